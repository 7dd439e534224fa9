//! Buyer login with OpenID Connect (authorization code + PKCE S256, state and nonce checked,
//! ID token verified against the provider's JWKS). The identity provider is S-360 by default;
//! an institution can use a third-party provider instead (`[tenants.oidc]`), whose buyers are
//! linked to their S-360 contact by SSO id, else by e-mail, and by e-mail only when the provider
//! says the address is verified (`shop::account::link_login`).
//!
//! The login in progress (state, nonce, PKCE verifier, return path) is not kept in the session
//! store: `GET /login` sets a short-lived cookie (`shop_login`, 10 minutes, HttpOnly, SameSite=Lax,
//! `Path=/auth`) holding a random id, the institution, the issuer and the return path, signed
//! with HMAC-SHA256 under the shop's login key. State, nonce and verifier are derived from the
//! id with that key, so the cookie does not carry the verifier and cannot be forged; the
//! callback removes it. The key is derived from the institutions' S-360 operator secrets, which
//! every instance of the shop shares: a login started on one instance finishes on another.
//!
//! The providers' discovery documents (with their JWKS) are cached for an hour; an ID token
//! signed with a key the cached JWKS lacks (the provider rotated its keys) fetches them again
//! once, and a provider whose discovery is down meanwhile is served from the last document.
//!
//! The session id is rotated at login and logout; the session's absolute lifetime restarts at
//! login. Logout ends the local session, then the provider's (RP-initiated logout, when its
//! discovery advertises an `end_session_endpoint`). `POST /account/erase` deletes the account.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreHmacKey, CoreJwsSigningAlgorithm, CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, PrivateSigningKey,
    ProviderMetadataWithLogout, RedirectUrl, Scope, SignatureVerificationError, TokenResponse,
};
use serde::{Deserialize, Serialize};
use shop::model::SessionUser;
use shop::tenant::Tenant;
use tower_sessions::cookie::{Cookie, SameSite};
use tower_sessions::Session;

use crate::config::{OidcProviderConfig, TenantConfig};
use crate::startup::AppState;

type Rp = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

type Metadata = ProviderMetadataWithLogout;

/// The cookie of a login in progress.
pub const LOGIN_COOKIE: &str = "shop_login";
/// How long a login may take at the provider.
pub const LOGIN_TTL_SECS: i64 = 600;
/// How long a provider's discovery document (and JWKS) is used before it is fetched again.
pub const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
/// After a failed refresh, the last document serves this long before the next try.
const DISCOVERY_RETRY: Duration = Duration::from_secs(60);
/// The longest return path kept (a cookie must stay under the browsers' 4 KB).
const MAX_RETURN_PATH: usize = 1024;

/// What the login handlers share: the login cookie's key and the providers' metadata.
pub struct AuthState {
    key: LoginKey,
    secure_cookie: bool,
    http: openidconnect::reqwest::Client,
    discovery: DiscoveryCache,
}

impl fmt::Debug for AuthState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthState")
            .field("key", &self.key)
            .field("secure_cookie", &self.secure_cookie)
            .finish_non_exhaustive()
    }
}

impl AuthState {
    /// The login key is derived from the institutions' S-360 operator secrets (see the module's
    /// documentation); `secure_cookie` as `SHOP_SESSION_SECURE_COOKIE`.
    pub fn new(tenants: &[TenantConfig], secure_cookie: bool) -> AuthState {
        let mut tenants: Vec<&TenantConfig> = tenants.iter().collect();
        tenants.sort_by(|a, b| a.code.cmp(&b.code));
        let mut material = Vec::new();
        for t in tenants {
            for part in [&t.code, &t.operator, &t.secret] {
                material.extend_from_slice(&(part.len() as u64).to_be_bytes());
                material.extend_from_slice(part.as_bytes());
            }
        }
        AuthState {
            key: LoginKey(
                hmac(b"ticket-shop login cookie v1", &material)
                    .unwrap_or_else(|| CsrfToken::new_random_len(32).secret().as_bytes().to_vec()),
            ),
            secure_cookie,
            http: http(),
            discovery: DiscoveryCache::default(),
        }
    }
}

/// The key that signs login cookies and derives their secrets. `Debug` does not show it.
struct LoginKey(Vec<u8>);

impl fmt::Debug for LoginKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LoginKey(<redacted>)")
    }
}

/// HMAC-SHA256 (`None` only if the primitive fails, which it does not for any key length).
fn hmac(key: &[u8], msg: &[u8]) -> Option<Vec<u8>> {
    CoreHmacKey::new(key.to_vec())
        .sign(&CoreJwsSigningAlgorithm::HmacSha256, msg)
        .ok()
        .filter(|mac| mac.len() == 32)
}

/// A login in progress, as its cookie carries it.
#[derive(Debug, Serialize, Deserialize)]
struct PendingLogin {
    /// Random; with the login key it gives the login's state, nonce and PKCE verifier.
    id: String,
    /// The institution.
    t: String,
    /// The issuer the login started with (the callback must finish with the same one).
    iss: String,
    /// Where to send the buyer afterwards (a same-site path).
    ret: String,
    /// Expiry, unix seconds.
    exp: i64,
}

const SEAL: &str = "shop_login.v1";

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl PendingLogin {
    fn new(tenant: &str, issuer: &str, return_to: String) -> PendingLogin {
        PendingLogin {
            id: CsrfToken::new_random_len(32).secret().clone(),
            t: tenant.to_string(),
            iss: issuer.to_string(),
            ret: return_to,
            exp: now_unix() + LOGIN_TTL_SECS,
        }
    }

    /// One of the login's secrets (`state`, `nonce`, `pkce`): 43 characters, base64url.
    fn secret(&self, key: &LoginKey, what: &str) -> Option<String> {
        let mac = hmac(&key.0, format!("{SEAL}.{what}.{}", self.id).as_bytes())?;
        Some(URL_SAFE_NO_PAD.encode(mac))
    }

    /// The cookie's value: `payload.mac`, both base64url.
    fn seal(&self, key: &LoginKey) -> Option<String> {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).ok()?);
        let mac = hmac(&key.0, format!("{SEAL}.{payload}").as_bytes())?;
        Some(format!("{payload}.{}", URL_SAFE_NO_PAD.encode(mac)))
    }

    /// The login a cookie value carries, if it is ours, untampered and not expired.
    fn open(key: &LoginKey, value: &str, now: i64) -> Option<PendingLogin> {
        let (payload, mac) = value.split_once('.')?;
        let expected = hmac(&key.0, format!("{SEAL}.{payload}").as_bytes())?;
        let given = URL_SAFE_NO_PAD.decode(mac).ok()?;
        if !s360::constant_time_eq(&expected, &given) {
            return None;
        }
        let login: PendingLogin =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        (now < login.exp).then_some(login)
    }
}

/// The values of the request's cookies named `name`.
fn cookies<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(move |c| c.trim().strip_prefix(name)?.strip_prefix('='))
}

/// `Set-Cookie` for the login cookie (`value` empty with `max_age` 0 removes it).
fn login_cookie(value: String, max_age: i64, secure: bool) -> Option<HeaderValue> {
    let cookie = Cookie::build((LOGIN_COOKIE, value))
        .path("/auth")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(time::Duration::seconds(max_age))
        .build();
    HeaderValue::from_str(&cookie.to_string()).ok()
}

/// The providers' discovery documents, by issuer (one slot per configured provider).
#[derive(Default)]
struct DiscoveryCache {
    slots: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Discovered>>>>>,
}

#[derive(Clone)]
struct Discovered {
    meta: Arc<Metadata>,
    /// Counts the fetches: a refresh after a failure happens once per generation.
    generation: u64,
    expires: Instant,
}

async fn discover(http: &openidconnect::reqwest::Client, issuer: &str) -> Result<Metadata, String> {
    let issuer = IssuerUrl::new(issuer.to_string()).map_err(|e| e.to_string())?;
    Metadata::discover_async(issuer, http)
        .await
        .map_err(|e| format!("discovery: {e}"))
}

impl DiscoveryCache {
    fn slot(&self, issuer: &str) -> Arc<tokio::sync::Mutex<Option<Discovered>>> {
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(issuer.to_string())
            .or_default()
            .clone()
    }

    /// The provider's metadata, fetched at most once per [`DISCOVERY_TTL`] (one fetch at a time
    /// per provider: concurrent logins wait for it). When a refresh fails, the last document
    /// serves for another minute.
    async fn get(
        &self,
        http: &openidconnect::reqwest::Client,
        issuer: &str,
    ) -> Result<Discovered, String> {
        let slot = self.slot(issuer);
        let mut cached = slot.lock().await;
        let now = Instant::now();
        if let Some(d) = cached.as_ref().filter(|d| now < d.expires) {
            return Ok(d.clone());
        }
        match discover(http, issuer).await {
            Ok(meta) => Ok(Self::store(&mut cached, meta)),
            Err(e) => match cached.as_mut() {
                Some(d) => {
                    tracing::warn!(%issuer, error = %e, "provider discovery failed; using the last document");
                    d.expires = now + DISCOVERY_RETRY;
                    Ok(d.clone())
                }
                None => Err(e),
            },
        }
    }

    /// Fetches the metadata again after `failed` did not work (its JWKS lacks the key of an ID
    /// token: the provider rotated its keys), unless another request already did.
    async fn refresh(
        &self,
        http: &openidconnect::reqwest::Client,
        issuer: &str,
        failed: &Discovered,
    ) -> Result<Discovered, String> {
        let slot = self.slot(issuer);
        let mut cached = slot.lock().await;
        if let Some(d) = cached
            .as_ref()
            .filter(|d| d.generation != failed.generation)
        {
            return Ok(d.clone());
        }
        let meta = discover(http, issuer).await?;
        Ok(Self::store(&mut cached, meta))
    }

    /// Makes the next login fetch the metadata again (an endpoint of `failed` did not answer).
    async fn expire(&self, issuer: &str, failed: &Discovered) {
        let slot = self.slot(issuer);
        let mut cached = slot.lock().await;
        if let Some(d) = cached
            .as_mut()
            .filter(|d| d.generation == failed.generation)
        {
            d.expires = Instant::now();
        }
    }

    fn store(cached: &mut Option<Discovered>, meta: Metadata) -> Discovered {
        let d = Discovered {
            meta: Arc::new(meta),
            generation: cached.as_ref().map_or(1, |d| d.generation + 1),
            expires: Instant::now() + DISCOVERY_TTL,
        };
        *cached = Some(d.clone());
        d
    }
}

/// Only same-site paths: `/cart`, never `//evil.example` or `https://...` (no open redirect).
pub fn safe_return(path: Option<&str>) -> String {
    match path {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.contains("://")
                && p.len() <= MAX_RETURN_PATH
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
/// `Debug` does not show the client secret.
struct Provider {
    issuer: String,
    client_id: String,
    client_secret: String,
    scopes: Vec<String>,
    /// A third-party provider (buyers linked to S-360 contacts by e-mail).
    external: bool,
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("scopes", &self.scopes)
            .field("external", &self.external)
            .finish()
    }
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

fn relying_party(p: &Provider, origin: &str, d: &Discovered) -> Result<Rp, String> {
    let redirect =
        RedirectUrl::new(format!("{origin}/auth/callback")).map_err(|e| e.to_string())?;
    Ok(CoreClient::from_provider_metadata(
        (*d.meta).clone(),
        ClientId::new(p.client_id.clone()),
        Some(ClientSecret::new(p.client_secret.clone())),
    )
    .set_redirect_uri(redirect))
}

/// The provider's `end_session_endpoint` (RP-initiated logout), if its discovery has one.
async fn end_session_endpoint(state: &AppState, issuer: &str) -> Option<openidconnect::url::Url> {
    let d = state
        .auth
        .discovery
        .get(&state.auth.http, issuer)
        .await
        .ok()?;
    let u = d
        .meta
        .additional_metadata()
        .end_session_endpoint
        .as_ref()?
        .url()
        .clone();
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

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Starts the login: redirect to the identity provider, the login in progress in its cookie
/// (nothing is written to the session store).
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    let (Some(t), Some(origin)) = (state.tenant_for(&headers), state.shop.origin_of(&headers))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let p = provider(&state, &t);
    let rp = match state.auth.discovery.get(&state.auth.http, &p.issuer).await {
        Ok(d) => relying_party(&p, &origin, &d),
        Err(e) => Err(e),
    };
    let rp = match rp {
        Ok(rp) => rp,
        Err(e) => {
            tracing::warn!(tenant = %t.code, issuer = %p.issuer, error = %e, "identity provider unavailable");
            return problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "Login is unavailable right now. You can still buy as a guest.",
            );
        }
    };
    let key = &state.auth.key;
    let pending = PendingLogin::new(&t.code, &p.issuer, safe_return(q.return_to.as_deref()));
    let secrets = (
        pending.secret(key, "state"),
        pending.secret(key, "nonce"),
        pending.secret(key, "pkce"),
        pending.seal(key),
    );
    let (Some(csrf), Some(nonce), Some(verifier), Some(sealed)) = secrets else {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Login is unavailable right now. You can still buy as a guest.",
        );
    };
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier));
    let mut auth = rp.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        move || CsrfToken::new(csrf),
        move || Nonce::new(nonce),
    );
    for s in &p.scopes {
        auth = auth.add_scope(Scope::new(s.clone()));
    }
    let (url, _, _) = auth.set_pkce_challenge(challenge).url();
    let mut res = no_store(Redirect::to(url.as_str()).into_response());
    if let Some(cookie) = login_cookie(sealed, LOGIN_TTL_SECS, state.auth.secure_cookie) {
        res.headers_mut().append(header::SET_COOKIE, cookie);
    }
    res
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// The provider sends the buyer back: the login cookie is spent (removed, whatever the outcome),
/// then [`complete_login`].
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
    Query(cb): Query<Callback>,
) -> Response {
    let mut res = complete_login(&state, &headers, &session, cb).await;
    if cookies(&headers, LOGIN_COOKIE).next().is_some() {
        if let Some(gone) = login_cookie(String::new(), 0, state.auth.secure_cookie) {
            res.headers_mut().append(header::SET_COOKIE, gone);
        }
    }
    no_store(res)
}

/// Checks the state against this browser's login cookie, exchanges the code, verifies the ID
/// token; with a third-party provider, links the buyer's S-360 contact.
async fn complete_login(
    state: &AppState,
    headers: &HeaderMap,
    session: &Session,
    cb: Callback,
) -> Response {
    let (Some(t), Some(origin)) = (state.tenant_for(headers), state.shop.origin_of(headers)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let key = &state.auth.key;
    let now = now_unix();
    let pending = cookies(headers, LOGIN_COOKIE)
        .filter_map(|v| PendingLogin::open(key, v, now))
        .find(|p| p.t == t.code);
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
    let (Some(csrf), Some(nonce), Some(verifier)) = (
        pending.secret(key, "state"),
        pending.secret(key, "nonce"),
        pending.secret(key, "pkce"),
    ) else {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The login could not be completed. Please log in again.",
        );
    };
    if !s360::constant_time_eq(returned_state.as_bytes(), csrf.as_bytes()) {
        return problem(
            StatusCode::BAD_REQUEST,
            "The login answer did not match this browser. Please log in again.",
        );
    }
    let p = provider(state, &t);
    if p.issuer != pending.iss {
        return problem(
            StatusCode::BAD_REQUEST,
            "The login provider changed meanwhile. Please log in again.",
        );
    }
    let http = &state.auth.http;
    let discovery = &state.auth.discovery;
    let unavailable = || {
        problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Login is unavailable right now. Please try again.",
        )
    };
    let Ok(discovered) = discovery.get(http, &p.issuer).await else {
        return unavailable();
    };
    let Ok(mut rp) = relying_party(&p, &origin, &discovered) else {
        return unavailable();
    };
    let exchange = match rp.exchange_code(AuthorizationCode::new(code)) {
        Ok(x) => x,
        Err(_) => return problem(StatusCode::SERVICE_UNAVAILABLE, "Login is misconfigured."),
    };
    let tokens = match exchange
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(http)
        .await
    {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "code exchange refused");
            if !matches!(e, openidconnect::RequestTokenError::ServerResponse(_)) {
                // the token endpoint did not answer as the cached metadata says it would
                discovery.expire(&p.issuer, &discovered).await;
            }
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
    let nonce = Nonce::new(nonce);
    let mut verified = id_token.claims(&rp.id_token_verifier(), &nonce);
    if let Err(ClaimsVerificationError::SignatureVerification(
        SignatureVerificationError::NoMatchingKey,
    )) = verified
    {
        // signed with a key the cached JWKS lacks: the provider may have rotated its keys
        match discovery.refresh(http, &p.issuer, &discovered).await {
            Ok(d) => {
                if let Ok(fresh) = relying_party(&p, &origin, &d) {
                    rp = fresh;
                    verified = id_token.claims(&rp.id_token_verifier(), &nonce);
                }
            }
            Err(e) => tracing::warn!(issuer = %p.issuer, error = %e, "provider discovery failed"),
        }
    }
    let claims = match verified {
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
        // providers that follow the specification strictly put the profile in userinfo only,
        // and some say there only whether the e-mail is verified
        if email.is_none() || email_verified.is_none() {
            let info: Option<CoreUserInfoClaims> = match rp.user_info(
                AccessToken::new(tokens.access_token().secret().clone()),
                Some(subject.clone()),
            ) {
                Ok(req) => req
                    .request_async(http)
                    .await
                    .inspect_err(|e| tracing::warn!(error = %e, "userinfo refused"))
                    .ok(),
                Err(_) => None,
            };
            if let Some(info) = info {
                // the address and whether it is verified, from the same answer
                if let Some(e) = info.email() {
                    email = Some(e.to_string());
                    email_verified = info.email_verified();
                }
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
        let sso_id = format!("{}|{}", p.issuer, subject.as_str());
        let linked = shop::account::link_login(
            t.catalog.client(),
            &sso_id,
            &email,
            email_verified == Some(true),
            given.as_deref().unwrap_or_default(),
            family.as_deref().unwrap_or_default(),
            locale.as_deref(),
        )
        .await;
        match linked {
            Ok(Some((contact_number, name))) => SessionUser {
                contact_number,
                name,
                email,
                id_token: id_token.to_string(),
            },
            Ok(None) => {
                // an existing customer's account is not opened, nor a new one claimed, on an
                // address nobody confirmed (shop::account::link_login)
                tracing::warn!(tenant = %t.code, issuer = %p.issuer, email_verified = ?email_verified, "login refused: the provider did not say the e-mail address is verified");
                return problem(
                    StatusCode::FORBIDDEN,
                    &format!(
                        "Your login provider ({}) has not confirmed that {} is your e-mail \
                         address, so the shop cannot link it to a customer account. Please confirm \
                         the address with your provider (look for its confirmation e-mail), then \
                         log in again. You can still buy as a guest.",
                        html_escape(&provider_host(&p.issuer)),
                        html_escape(&email)
                    ),
                );
            }
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
    let buyer = shop::session::BuyerSession::new(session.clone(), &t.code);
    let saved = async {
        session.cycle_id().await.map_err(|_| shop::Error::Session)?;
        crate::sessions::stamp(session).await?;
        if p.external {
            buyer.set_provider(&provider_host(&p.issuer)).await?;
        } else {
            buyer.forget_provider().await;
        }
        buyer.set_user(&user).await
    };
    if saved.await.is_err() {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Your session could not be saved; please enable cookies.",
        );
    }
    Redirect::to(&safe_return(Some(&pending.ret))).into_response()
}

/// Ends the buyer's session here: user, provider, new id; a session left with nothing but its
/// start time is deleted (not kept in the store until it expires). Returns the user that was
/// logged in.
async fn end_session(t: &Tenant, session: &Session) -> Option<SessionUser> {
    let buyer = shop::session::BuyerSession::new(session.clone(), &t.code);
    let user: Option<SessionUser> = buyer.user().await;
    buyer.forget_user().await;
    buyer.forget_provider().await;
    let created = shop::session::take_created_at(session).await;
    // the old record is deleted; with a new id, `is_empty` tells whether anything is left
    let _ = session.cycle_id().await;
    if !session.is_empty().await {
        if let Some(created) = created {
            let _ = shop::session::set_created_at(session, created).await;
        }
    }
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
        end_session_endpoint(state, &p.issuer).await
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
    let buyer = shop::session::BuyerSession::new(session.clone(), &t.code);
    let Some(user) = buyer.user().await else {
        return Redirect::to("/login?return=/account").into_response();
    };
    if let Err(e) = shop::account::delete_account(t.catalog.client(), &user.contact_number).await {
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
    use super::*;

    fn tenant(code: &str, secret: &str) -> TenantConfig {
        TenantConfig {
            code: code.into(),
            operator: format!("{code}_WEB"),
            secret: secret.into(),
            ..Default::default()
        }
    }

    #[test]
    fn debug_shows_no_secret() {
        let p = Provider {
            issuer: "https://id.example".into(),
            client_id: "shop".into(),
            client_secret: "oidc-client-secret-4711".into(),
            scopes: vec!["email".into()],
            external: true,
        };
        let debug = format!("{p:?} {p:#?}");
        assert!(!debug.contains("oidc-client-secret-4711"), "{debug}");
        assert!(debug.contains("https://id.example") && debug.contains("shop"));

        let auth = AuthState::new(&[tenant("CUBE", "operator-secret-0815")], true);
        let debug = format!("{auth:?} {auth:#?}");
        assert!(!debug.contains("operator-secret-0815"), "{debug}");
        let key_hex: String = auth.key.0.iter().map(|b| format!("{b:02x}")).collect();
        let key_b64 = URL_SAFE_NO_PAD.encode(&auth.key.0);
        let key_bytes = format!("{:?}", auth.key.0);
        for k in [&key_hex, &key_b64, &key_bytes] {
            assert!(!debug.contains(k.as_str()), "{debug}");
        }
        assert!(debug.contains("redacted"), "{debug}");
    }

    #[test]
    fn the_login_cookie_is_signed_expires_and_keeps_its_secrets_out() {
        let auth = AuthState::new(&[tenant("CUBE", "s1"), tenant("MOSA", "s2")], false);
        let key = &auth.key;
        let login = PendingLogin::new("CUBE", "https://id.example", "/cart".into());
        let sealed = login.seal(key).unwrap();
        let now = now_unix();
        let back = PendingLogin::open(key, &sealed, now).unwrap();
        assert_eq!(
            (back.id.as_str(), back.t.as_str(), back.ret.as_str()),
            (login.id.as_str(), "CUBE", "/cart")
        );
        // state, nonce and verifier: distinct, derived, and not in the cookie
        let secrets: Vec<String> = ["state", "nonce", "pkce"]
            .iter()
            .map(|w| login.secret(key, w).unwrap())
            .collect();
        assert!(secrets.iter().all(|s| s.len() == 43));
        assert!(secrets[0] != secrets[1] && secrets[1] != secrets[2]);
        let payload = String::from_utf8(
            URL_SAFE_NO_PAD
                .decode(sealed.split_once('.').unwrap().0)
                .unwrap(),
        )
        .unwrap();
        for secret in &secrets {
            assert!(!payload.contains(secret.as_str()) && !sealed.contains(secret.as_str()));
        }
        // expired
        assert!(PendingLogin::open(key, &sealed, login.exp).is_none());
        // tampered: another return path, or a cookie of another key
        let (_, mac) = sealed.split_once('.').unwrap();
        let forged = PendingLogin {
            ret: "/account".into(),
            ..PendingLogin::open(key, &sealed, now).unwrap()
        };
        let forged_payload = forged.seal(key).unwrap();
        let forged_payload = forged_payload.split_once('.').unwrap().0;
        assert!(PendingLogin::open(key, &format!("{forged_payload}.{mac}"), now).is_none());
        let other = AuthState::new(&[tenant("CUBE", "another secret")], false);
        assert!(PendingLogin::open(&other.key, &sealed, now).is_none());
        for junk in ["", ".", "abc", "a.b", format!("{sealed}x").as_str()] {
            assert!(PendingLogin::open(key, junk, now).is_none(), "{junk}");
        }
        // the same configuration (another instance of the shop) opens it
        let twin = AuthState::new(&[tenant("MOSA", "s2"), tenant("CUBE", "s1")], false);
        assert!(PendingLogin::open(&twin.key, &sealed, now).is_some());
    }

    #[test]
    fn login_cookie_attributes() {
        let c = login_cookie("v".into(), LOGIN_TTL_SECS, true).unwrap();
        let c = c.to_str().unwrap();
        for part in [
            "shop_login=v",
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/auth",
            "Max-Age=600",
        ] {
            assert!(c.contains(part), "{part} in {c}");
        }
        let gone = login_cookie(String::new(), 0, false).unwrap();
        let gone = gone.to_str().unwrap();
        assert!(gone.starts_with("shop_login=;") && gone.contains("Max-Age=0"));
        assert!(!gone.contains("Secure"), "{gone}");
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; shop_login=x.y; shop_session=z"),
        );
        h.append(header::COOKIE, HeaderValue::from_static("shop_login=u.v"));
        assert_eq!(
            cookies(&h, LOGIN_COOKIE).collect::<Vec<_>>(),
            ["x.y", "u.v"]
        );
    }

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
            format!("/{}", "a".repeat(MAX_RETURN_PATH)).as_str(),
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
