//! Buyer login with OpenID Connect (authorization code + PKCE S256, state and nonce checked,
//! ID token verified against the provider's JWKS): S-360 as identity provider by default.
//! The session id is rotated at login and logout.

use app::model::SessionUser;
use app::ssr::Tenant;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::startup::AppState;

type Rp = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

#[derive(Serialize, Deserialize)]
struct PendingLogin {
    csrf: String,
    nonce: String,
    verifier: String,
    return_to: String,
}

fn pending_key(t: &Tenant) -> String {
    format!("oidc.{}", t.code)
}

/// Only same-site paths: `/cart`, never `//evil.example` or `https://...` (no open redirect).
pub fn safe_return(path: Option<&str>) -> String {
    match path {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.contains("://")
                // browsers drop tabs and newlines from URLs: "/\t/evil" would become "//evil"
                && !p.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            p.to_string()
        }
        _ => "/".to_string(),
    }
}

fn http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap_or_default()
}

async fn relying_party(t: &Tenant, origin: &str) -> Result<Rp, String> {
    let cfg = t.catalog.client().config();
    let issuer =
        IssuerUrl::new(format!("{}/{}/oidc", cfg.base_url, t.code)).map_err(|e| e.to_string())?;
    let meta = CoreProviderMetadata::discover_async(issuer, &http())
        .await
        .map_err(|e| format!("discovery: {e}"))?;
    let redirect =
        RedirectUrl::new(format!("{origin}/auth/callback")).map_err(|e| e.to_string())?;
    Ok(CoreClient::from_provider_metadata(
        meta,
        ClientId::new(cfg.operator.clone()),
        Some(ClientSecret::new(cfg.secret.clone())),
    )
    .set_redirect_uri(redirect))
}

fn problem(status: StatusCode, text: &str) -> Response {
    (
        status,
        Html(format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Login</title></head>\
             <body><main><h1>Login</h1><p role=\"alert\">{text}</p><p><a href=\"/\">Back to the shop</a></p></main></body></html>"
        )),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(rename = "return")]
    return_to: Option<String>,
}

/// Starts the login: redirect to the identity provider.
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
    Query(q): Query<LoginQuery>,
) -> Response {
    let (Some(t), Some(origin)) = (state.tenant_for(&headers), app::ssr::origin_of(&headers))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let rp = match relying_party(&t, &origin).await {
        Ok(rp) => rp,
        Err(e) => {
            tracing::warn!(tenant = %t.code, error = %e, "identity provider unavailable");
            return problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "Login is unavailable right now. You can still buy as a guest.",
            );
        }
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let pending = PendingLogin {
        csrf: csrf.secret().clone(),
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
        return_to: safe_return(q.return_to.as_deref()),
    };
    if session.insert(&pending_key(&t), pending).await.is_err() {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Your session could not be saved; please enable cookies.",
        );
    }
    Redirect::to(url.as_str()).into_response()
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// The provider sends the buyer back: check state, exchange the code, verify the ID token.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
    Query(cb): Query<Callback>,
) -> Response {
    let (Some(t), Some(origin)) = (state.tenant_for(&headers), app::ssr::origin_of(&headers))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let pending: Option<PendingLogin> = session.remove(&pending_key(&t)).await.ok().flatten();
    let Some(pending) = pending else {
        return problem(
            StatusCode::BAD_REQUEST,
            "This login link has expired or was already used. Please log in again.",
        );
    };
    if let Some(e) = cb.error {
        return problem(
            StatusCode::BAD_REQUEST,
            &format!("The login was not completed ({}).", html_escape(&e)),
        );
    }
    let (Some(code), Some(returned_state)) = (cb.code, cb.state) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "The login answer was incomplete. Please log in again.",
        );
    };
    if !s360::constant_time_eq(returned_state.as_bytes(), pending.csrf.as_bytes()) {
        return problem(
            StatusCode::BAD_REQUEST,
            "The login answer did not match this browser. Please log in again.",
        );
    }
    let rp = match relying_party(&t, &origin).await {
        Ok(rp) => rp,
        Err(_) => {
            return problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "Login is unavailable right now. Please try again.",
            )
        }
    };
    let exchange = match rp.exchange_code(AuthorizationCode::new(code)) {
        Ok(x) => x,
        Err(_) => return problem(StatusCode::SERVICE_UNAVAILABLE, "Login is misconfigured."),
    };
    let tokens = match exchange
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
        .request_async(&http())
        .await
    {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "code exchange refused");
            return problem(
                StatusCode::BAD_REQUEST,
                "The login could not be completed. Please log in again.",
            );
        }
    };
    let Some(id_token) = tokens.id_token() else {
        return problem(
            StatusCode::BAD_GATEWAY,
            "The identity provider sent no ID token.",
        );
    };
    let verifier = rp.id_token_verifier();
    let claims = match id_token.claims(&verifier, &Nonce::new(pending.nonce)) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "ID token refused");
            return problem(
                StatusCode::BAD_REQUEST,
                "The login could not be verified. Please log in again.",
            );
        }
    };
    let name = [
        claims
            .given_name()
            .and_then(|n| n.get(None))
            .map(|n| n.to_string()),
        claims
            .family_name()
            .and_then(|n| n.get(None))
            .map(|n| n.to_string()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let user = SessionUser {
        contact_number: claims.subject().to_string(),
        name,
        email: claims.email().map(|e| e.to_string()).unwrap_or_default(),
        id_token: id_token.to_string(),
    };
    // a new session id for the logged-in buyer (no session fixation); the cart survives
    if session.cycle_id().await.is_err()
        || session
            .insert(&app::purchase::user_key(&t), user)
            .await
            .is_err()
    {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Your session could not be saved; please enable cookies.",
        );
    }
    Redirect::to(&pending.return_to).into_response()
}

/// Local logout, then the provider's (RP-initiated) logout back to the shop.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
) -> Response {
    let (Some(t), Some(origin)) = (state.tenant_for(&headers), app::ssr::origin_of(&headers))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let user: Option<SessionUser> = session
        .remove(&app::purchase::user_key(&t))
        .await
        .ok()
        .flatten();
    let _ = session.cycle_id().await;
    match user {
        Some(u) => {
            let base = &t.catalog.client().config().base_url;
            let mut url =
                match openidconnect::url::Url::parse(&format!("{base}/{}/oidc/logout", t.code)) {
                    Ok(u) => u,
                    Err(_) => return Redirect::to("/").into_response(),
                };
            url.query_pairs_mut()
                .append_pair("id_token_hint", &u.id_token)
                .append_pair("post_logout_redirect_uri", &format!("{origin}/"));
            Redirect::to(url.as_str()).into_response()
        }
        None => Redirect::to("/").into_response(),
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::safe_return;

    #[test]
    fn only_same_site_paths_are_returned_to() {
        assert_eq!(safe_return(Some("/cart")), "/cart");
        assert_eq!(safe_return(Some("/event/1?x=2")), "/event/1?x=2");
        for bad in [
            "/\t/evil.example",
            "/\n/evil.example",
            "//evil.example",
            "https://evil.example",
            "evil",
            "/\\evil.example",
            "/x?u=http://e",
        ] {
            assert_eq!(safe_return(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_return(None), "/");
    }
}
