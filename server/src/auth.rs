//! Buyer login with OpenID Connect (authorization code + PKCE S256, state and nonce checked,
//! ID token verified against the provider's JWKS): S-360 as identity provider by default.
//! The session id is rotated at login and logout.

//! Buyer login with OpenID Connect (authorization code + PKCE S256, state and nonce checked,
//! ID token verified against the provider's JWKS). The identity provider is S-360 by default;
//! an institution can use a third-party provider instead (`[tenants.oidc]`), whose buyers are
//! linked to their S-360 contact by SSO id, else by e-mail (`app::account::link_contact`).
//! The session id is rotated at login and logout; the session's absolute lifetime restarts at
//! login. Logout ends the local session, then the provider's (RP-initiated logout, when its
//! discovery advertises an `end_session_endpoint`). `POST /account/erase` deletes the account.

use app::model::SessionUser;
use app::ssr::Tenant;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::config::OidcProviderConfig;
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
    /// The issuer the login started with (the callback must finish with the same one).
    #[serde(default)]
    issuer: String,
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

/// The identity provider of an institution: who it is and how the shop is its client.
struct Provider {
    issuer: String,
    client_id: String,
    client_secret: String,
    scopes: Vec<String>,
    /// A third-party provider (buyers linked to S-360 contacts by e-mail).
    external: bool,
}

fn provider(state: &AppState, t: &Tenant) -> Provider {
    match state.identity_providers.get(&t.code) {
        Some(OidcProviderConfig {
            issuer,
            client_id,
            client_secret,
            scopes,
        }) => Provider {
            issuer: issuer.clone(),
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
            scopes: scopes.clone(),
            external: true,
        },
        None => {
            let cfg = t.catalog.client().config();
            Provider {
                issuer: format!("{}/{}/oidc", cfg.base_url, t.code),
                client_id: cfg.operator.clone(),
                client_secret: cfg.secret.clone(),
                scopes: vec!["email".into(), "profile".into()],
                external: false,
            }
        }
    }
}

/// The host (and port) of a provider, as the account page names it.
fn provider_host(issuer: &str) -> String {
    openidconnect::url::Url::parse(issuer)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| u.port().map_or(h.to_string(), |p| format!("{h}:{p}")))
        })
        .unwrap_or_else(|| issuer.to_string())
}

async fn relying_party(p: &Provider, origin: &str) -> Result<Rp, String> {
    let issuer = IssuerUrl::new(p.issuer.clone()).map_err(|e| e.to_string())?;
    let meta = CoreProviderMetadata::discover_async(issuer, &http())
        .await
        .map_err(|e| format!("discovery: {e}"))?;
    let redirect =
        RedirectUrl::new(format!("{origin}/auth/callback")).map_err(|e| e.to_string())?;
    Ok(CoreClient::from_provider_metadata(
        meta,
        ClientId::new(p.client_id.clone()),
        Some(ClientSecret::new(p.client_secret.clone())),
    )
    .set_redirect_uri(redirect))
}

/// The provider's `end_session_endpoint` (RP-initiated logout), if its discovery has one.
async fn end_session_endpoint(issuer: &str) -> Option<openidconnect::url::Url> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let doc: serde_json::Value = http().get(url).send().await.ok()?.json().await.ok()?;
    let end = doc.get("end_session_endpoint")?.as_str()?;
    let u = openidconnect::url::Url::parse(end).ok()?;
    matches!(u.scheme(), "http" | "https").then_some(u)
}

/// Adds the third-party providers' origins to the policy's `form-action`: logging out is a form
/// post that the shop redirects to the provider's logout page, and browsers apply `form-action`
/// to the redirects of a form submission.
pub fn with_form_action(policy: &str, providers: &[String]) -> String {
    let extra: Vec<String> = providers
        .iter()
        .map(|p| crate::headers::origin_of(p))
        .collect();
    if extra.is_empty() {
        return policy.to_string();
    }
    policy
        .split(';')
        .map(|d| {
            let d = d.trim();
            if d.starts_with("form-action") {
                format!("{d} {}", extra.join(" "))
            } else {
                d.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
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
    let (Some(t), Some(origin)) = (state.tenant_for(&headers), state.shop.origin_of(&headers))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let p = provider(&state, &t);
    let rp = match relying_party(&p, &origin).await {
        Ok(rp) => rp,
        Err(e) => {
            tracing::warn!(tenant = %t.code, issuer = %p.issuer, error = %e, "identity provider unavailable");
            return problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "Login is unavailable right now. You can still buy as a guest.",
            );
        }
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut auth = rp.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for s in &p.scopes {
        auth = auth.add_scope(Scope::new(s.clone()));
    }
    let (url, csrf, nonce) = auth.set_pkce_challenge(challenge).url();
    let pending = PendingLogin {
        csrf: csrf.secret().clone(),
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
        return_to: safe_return(q.return_to.as_deref()),
        issuer: p.issuer.clone(),
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

/// The provider sends the buyer back: check state, exchange the code, verify the ID token;
/// with a third-party provider, link the buyer's S-360 contact by e-mail.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
    Query(cb): Query<Callback>,
) -> Response {
    let (Some(t), Some(origin)) = (state.tenant_for(&headers), state.shop.origin_of(&headers))
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
    let p = provider(&state, &t);
    if p.issuer != pending.issuer {
        return problem(
            StatusCode::BAD_REQUEST,
            "The login provider changed meanwhile. Please log in again.",
        );
    }
    let rp = match relying_party(&p, &origin).await {
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
    let first = |n: Option<&openidconnect::LocalizedClaim<openidconnect::EndUserGivenName>>| {
        n.and_then(|n| n.get(None)).map(|n| n.to_string())
    };
    let mut given = first(claims.given_name());
    let mut family = claims
        .family_name()
        .and_then(|n| n.get(None))
        .map(|n| n.to_string());
    let mut email = claims.email().map(|e| e.to_string());
    let mut email_verified = claims.email_verified();
    let mut locale = claims.locale().map(|l| l.to_string());
    let subject = claims.subject().clone();

    let user = if !p.external {
        let name = [given, family]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        SessionUser {
            contact_number: subject.to_string(),
            name,
            email: email.unwrap_or_default(),
            id_token: id_token.to_string(),
        }
    } else {
        // providers that follow the specification strictly put the profile in userinfo only
        if email.is_none() {
            let info: Option<CoreUserInfoClaims> = match rp.user_info(
                AccessToken::new(tokens.access_token().secret().clone()),
                Some(subject.clone()),
            ) {
                Ok(req) => req
                    .request_async(&http())
                    .await
                    .inspect_err(|e| tracing::warn!(error = %e, "userinfo refused"))
                    .ok(),
                Err(_) => None,
            };
            if let Some(info) = info {
                email = info.email().map(|e| e.to_string());
                email_verified = info.email_verified();
                given = given.or_else(|| first(info.given_name()));
                family = family.or_else(|| {
                    info.family_name()
                        .and_then(|n| n.get(None))
                        .map(|n| n.to_string())
                });
                locale = locale.or_else(|| info.locale().map(|l| l.to_string()));
            }
        }
        let Some(email) = email.filter(|e| s360::model::contact::is_valid_email(e)) else {
            return problem(
                StatusCode::FORBIDDEN,
                "Your account at the login provider has no e-mail address, which the shop needs to find your customer account.",
            );
        };
        if email_verified == Some(false) {
            return problem(
                StatusCode::FORBIDDEN,
                "Your e-mail address is not confirmed at the login provider yet. Please confirm it there, then log in again.",
            );
        }
        let sso_id = format!("{}|{}", p.issuer, subject.as_str());
        let linked = app::account::link_contact(
            t.catalog.client(),
            &sso_id,
            &email,
            given.as_deref().unwrap_or_default(),
            family.as_deref().unwrap_or_default(),
            locale.as_deref(),
        )
        .await;
        match linked {
            Ok((contact_number, name)) => SessionUser {
                contact_number,
                name,
                email,
                id_token: id_token.to_string(),
            },
            Err(e) => {
                tracing::warn!(tenant = %t.code, error = %e, "linking the buyer's contact failed");
                return problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Your customer account could not be reached right now. Please try again in a minute; you can still buy as a guest.",
                );
            }
        }
    };
    // a new session id for the logged-in buyer (no session fixation); the cart survives
    let provider_key = app::account::provider_key(&t);
    let saved = async {
        session.cycle_id().await?;
        crate::sessions::stamp(&session).await?;
        if p.external {
            session
                .insert(&provider_key, provider_host(&p.issuer))
                .await?;
        } else {
            session.remove_value(&provider_key).await?;
        }
        session.insert(&app::purchase::user_key(&t), user).await
    };
    if saved.await.is_err() {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Your session could not be saved; please enable cookies.",
        );
    }
    Redirect::to(&pending.return_to).into_response()
}

/// Ends the buyer's session here: user, provider, new id. Returns the user that was logged in.
async fn end_session(t: &Tenant, session: &Session) -> Option<SessionUser> {
    let user: Option<SessionUser> = session
        .remove(&app::purchase::user_key(t))
        .await
        .ok()
        .flatten();
    let _ = session.remove_value(&app::account::provider_key(t)).await;
    let _ = session.cycle_id().await;
    user
}

/// Local logout, then the provider's (RP-initiated) logout back to the shop.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
) -> Response {
    let (Some(t), Some(origin)) = (state.tenant_for(&headers), state.shop.origin_of(&headers))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(user) = end_session(&t, &session).await else {
        return Redirect::to("/").into_response();
    };
    match provider_logout(&state, &t, &user, &format!("{origin}/")).await {
        Some(url) => Redirect::to(url.as_str()).into_response(),
        None => Redirect::to("/").into_response(),
    }
}

/// The provider's logout page for `user` (RP-initiated logout), which sends the buyer back to
/// `back` on the shop; `None` when the provider offers none.
async fn provider_logout(
    state: &AppState,
    t: &Tenant,
    user: &SessionUser,
    back: &str,
) -> Option<openidconnect::url::Url> {
    let p = provider(state, t);
    let mut url = if p.external {
        end_session_endpoint(&p.issuer).await
    } else {
        // S-360's provider: known without a discovery round trip
        openidconnect::url::Url::parse(&format!("{}/logout", p.issuer)).ok()
    }?;
    url.query_pairs_mut()
        .append_pair("id_token_hint", &user.id_token)
        .append_pair("client_id", &p.client_id)
        .append_pair("post_logout_redirect_uri", back);
    Some(url)
}

/// `POST /account/erase`: the confirmed deletion of the buyer's account. S-360 anonymises the
/// contact (`deleteContact`), the session ends, and the buyer is told what happened.
pub async fn erase_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
) -> Response {
    let Some(t) = state.tenant_for(&headers) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(user) = app::purchase::session_user(&t, &session).await else {
        return Redirect::to("/login?return=/account").into_response();
    };
    if let Err(e) = app::account::delete_account(t.catalog.client(), &user.contact_number).await {
        tracing::warn!(tenant = %t.code, error = %e, "account deletion failed");
        // the shop's own page, in the buyer's language, says so: nothing was changed
        return Redirect::to("/account/delete?failed=1").into_response();
    }
    tracing::info!(tenant = %t.code, contact = %user.contact_number, "account deleted at the buyer's request");
    end_session(&t, &session).await;
    // the provider's session ends too, so that its next login does not bring a deleted buyer back
    let back = state
        .shop
        .origin_of(&headers)
        .map(|origin| format!("{origin}/account/deleted"));
    match back {
        Some(back) => match provider_logout(&state, &t, &user, &back).await {
            Some(url) => Redirect::to(url.as_str()).into_response(),
            None => Redirect::to("/account/deleted").into_response(),
        },
        None => Redirect::to("/account/deleted").into_response(),
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

    #[test]
    fn third_party_providers_may_receive_the_logout_redirect() {
        let p = crate::headers::content_security_policy("http://127.0.0.1:8360");
        assert_eq!(super::with_form_action(&p, &[]), p);
        let q = super::with_form_action(&p, &["http://127.0.0.1:3302/realms/x".into()]);
        assert!(
            q.contains("form-action 'self' http://127.0.0.1:8360 http://127.0.0.1:3302;"),
            "{q}"
        );
        assert!(
            q.contains("frame-src http://127.0.0.1:8360;"),
            "only form-action: {q}"
        );
    }
}
