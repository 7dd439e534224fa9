//! S-360 as an OpenID Connect identity provider for buyers (s360-contract.md §8, OUR DESIGN).
//!
//! One provider per institution, under `/{INSTIT}/oidc`:
//! - `GET  .well-known/openid-configuration`: discovery.
//! - `GET  authorize`: the authorization-code flow (PKCE S256 required, `state` echoed, `nonce`
//!   put in the ID token); shows a login form listing the demo buyers. `POST authorize` checks
//!   e-mail + password and redirects to `redirect_uri` with `code` and `state`.
//! - `POST token`: `authorization_code` grant. Codes live 60 s and are single-use; the PKCE
//!   verifier and the `redirect_uri` are checked; clients authenticate with
//!   `client_secret_basic` or `client_secret_post`.
//! - `GET|POST userinfo` (Bearer access token), `GET jwks` (the RS256 key), `GET logout`
//!   (RP-initiated logout: `id_token_hint`, `post_logout_redirect_uri`, `state`).
//!
//! Clients: every virtual operator of the institution is a client. `client_id` = the operator
//! (point-of-sale) code, e.g. `CUBE_WEB`; `client_secret` = its secret (`Config.operator_secret`,
//! `sandbox` by default). Redirect URIs are not registered one by one: any `http`/`https` URI on
//! a loopback host (`127.0.0.1`, `[::1]`, `localhost`, `*.localhost`), any port and path, no
//! fragment, is accepted; the token request must repeat it exactly.
//!
//! Tokens: ID token and access token are RS256 JWTs, valid 5 minutes, signed with the PUBLIC
//! TEST KEY below. No refresh token. Claims: `sub` = contactNumber, `email`, `email_verified`,
//! `given_name`, `family_name`, `name`, `locale`, `institution`, `contact_id` (whatever the
//! scopes). The issuer is `{scheme}://{Host header}/{INSTIT}/oidc` (scheme `https` when
//! `X-Forwarded-Proto: https`), so the provider works on any port. The provider keeps no browser
//! session: every authorization shows the login form, and logout only validates and redirects.

// Helpers return the early `Response` of a handler as their error: a cold path, not worth boxing.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::{Arc, LazyLock, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::contacts::{StoredContact, DEMO_BUYERS, DEMO_PASSWORD};
use crate::state::Institution;
use crate::Sandbox;

/// How long an authorization code can be exchanged.
pub const CODE_TTL: Duration = Duration::from_secs(60);
/// Lifetime of ID and access tokens.
pub const TOKEN_TTL_SECS: i64 = 300;
/// At most this many codes wait per institution (older ones are dropped).
const MAX_PENDING_CODES: usize = 10_000;

/// The routes, mounted by [`Sandbox::router`].
pub fn routes() -> Router<Arc<Sandbox>> {
    Router::new()
        .route(
            "/{instit}/oidc/.well-known/openid-configuration",
            get(discovery),
        )
        .route("/{instit}/oidc/authorize", get(authorize).post(login))
        .route("/{instit}/oidc/token", axum::routing::post(token))
        .route("/{instit}/oidc/userinfo", get(userinfo).post(userinfo))
        .route("/{instit}/oidc/jwks", get(jwks))
        .route("/{instit}/oidc/logout", get(logout))
}

/// Authorization codes waiting for their exchange.
#[derive(Debug, Default)]
pub struct IdpState {
    codes: HashMap<String, PendingCode>,
    /// A fault for the next ID token issued (tests of relying parties).
    token_fault: Option<TokenFault>,
}

/// A broken ID token the provider issues once, so relying parties can prove they refuse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenFault {
    /// A `nonce` other than the authorization request's.
    WrongNonce,
    /// Expired ten minutes ago (`exp` in the past).
    Expired,
    /// Issued for another client (`aud`).
    WrongAudience,
}

#[derive(Debug, Clone)]
struct PendingCode {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    nonce: Option<String>,
    scope: String,
    contact_number: String,
    auth_time: i64,
    issued: Instant,
}

impl PendingCode {
    fn expired(&self) -> bool {
        self.issued.elapsed() > CODE_TTL
    }
}

impl IdpState {
    /// Ages every pending code by `by` (tests use it to reach the expiry without waiting).
    pub fn backdate_codes(&mut self, by: Duration) {
        for c in self.codes.values_mut() {
            c.issued = c.issued.checked_sub(by).unwrap_or(c.issued);
        }
    }

    /// The next ID token issued carries `fault` (one token only).
    pub fn set_token_fault(&mut self, fault: Option<TokenFault>) {
        self.token_fault = fault;
    }

    /// How many codes wait for an exchange.
    pub fn pending_codes(&self) -> usize {
        self.codes.len()
    }

    fn insert(&mut self, code: String, pending: PendingCode) {
        self.codes.retain(|_, c| !c.expired());
        if self.codes.len() >= MAX_PENDING_CODES {
            if let Some(oldest) = self
                .codes
                .iter()
                .min_by_key(|(_, c)| c.issued)
                .map(|(k, _)| k.clone())
            {
                self.codes.remove(&oldest);
            }
        }
        self.codes.insert(code, pending);
    }
}

// ---------------------------------------------------------------------------------------------
// Keys

static ENCODING_KEY: LazyLock<Option<EncodingKey>> = LazyLock::new(|| {
    EncodingKey::from_rsa_pem(test_key::PRIVATE_KEY_PEM.as_bytes())
        .inspect_err(|e| tracing::error!(error = %e, "the OIDC test key does not parse"))
        .ok()
});

static DECODING_KEY: LazyLock<Option<DecodingKey>> = LazyLock::new(|| {
    DecodingKey::from_rsa_components(test_key::MODULUS_B64, test_key::EXPONENT_B64)
        .inspect_err(|e| tracing::error!(error = %e, "the OIDC test key does not parse"))
        .ok()
});

fn sign<T: Serialize>(claims: &T, typ: &str) -> Option<String> {
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(test_key::KID.into());
    h.typ = Some(typ.into());
    jsonwebtoken::encode(&h, claims, ENCODING_KEY.as_ref()?).ok()
}

fn b64url_sha256(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(data))
}

fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

// ---------------------------------------------------------------------------------------------
// Common helpers

fn lock(inst: &std::sync::Mutex<Institution>) -> std::sync::MutexGuard<'_, Institution> {
    inst.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `{scheme}://{host}/{INSTIT}/oidc`, or `None` for a missing or odd Host header.
fn issuer(headers: &HeaderMap, instit: &str) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let ok = !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !ok {
        return None;
    }
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let scheme = if https { "https" } else { "http" };
    Some(format!("{scheme}://{host}/{instit}/oidc"))
}

/// The institution and the issuer of a request, or the error page.
fn context(
    sb: &Sandbox,
    instit: &str,
    headers: &HeaderMap,
) -> Result<(Arc<std::sync::Mutex<Institution>>, String), Response> {
    let inst = sb
        .institution(instit)
        .ok_or_else(|| page_error(StatusCode::NOT_FOUND, "Unknown institution."))?;
    let code = lock(&inst).code.clone();
    let iss = issuer(headers, &code)
        .ok_or_else(|| page_error(StatusCode::BAD_REQUEST, "Missing or invalid Host header."))?;
    Ok((inst, iss))
}

/// Whether `uri` may receive codes or logout redirects: http(s) on a loopback host, no fragment.
pub fn redirect_uri_allowed(uri: &str) -> bool {
    let Ok(u) = url::Url::parse(uri) else {
        return false;
    };
    if !matches!(u.scheme(), "http" | "https")
        || u.fragment().is_some()
        || !u.username().is_empty()
        || u.password().is_some()
    {
        return false;
    }
    match u.host() {
        Some(url::Host::Ipv4(ip)) => ip == Ipv4Addr::LOCALHOST,
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        None => false,
    }
}

/// Parses `application/x-www-form-urlencoded` text; a repeated parameter is an error (RFC 6749).
fn params(raw: &[u8]) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(raw) {
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(format!("parameter {k} is repeated"));
        }
    }
    Ok(out)
}

fn is_registered_client(inst: &Institution, client_id: &str) -> bool {
    inst.operators.iter().any(|o| o.code == client_id)
}

fn with_query(uri: &str, pairs: &[(&str, Option<&str>)]) -> Option<String> {
    let mut u = url::Url::parse(uri).ok()?;
    {
        let mut q = u.query_pairs_mut();
        for (k, v) in pairs {
            if let Some(v) = v {
                q.append_pair(k, v);
            }
        }
    }
    Some(u.to_string())
}

fn no_store(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}

// ---------------------------------------------------------------------------------------------
// Discovery and keys

async fn discovery(
    State(sb): State<Arc<Sandbox>>,
    Path(instit): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (_, iss) = match context(&sb, &instit, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    Json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "userinfo_endpoint": format!("{iss}/userinfo"),
        "jwks_uri": format!("{iss}/jwks"),
        "end_session_endpoint": format!("{iss}/logout"),
        "scopes_supported": ["openid", "email", "profile"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "email",
            "email_verified", "given_name", "family_name", "name", "locale", "institution",
            "contact_id"
        ],
        "ui_locales_supported": ["en"],
    }))
    .into_response()
}

async fn jwks(State(sb): State<Arc<Sandbox>>, Path(instit): Path<String>) -> Response {
    if sb.institution(&instit).is_none() {
        return page_error(StatusCode::NOT_FOUND, "Unknown institution.");
    }
    Json(json!({
        "keys": [{
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": test_key::KID,
            "n": test_key::MODULUS_B64,
            "e": test_key::EXPONENT_B64,
        }]
    }))
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// Authorization

/// The parameters of an authorization request (carried as hidden fields by the login form).
#[derive(Debug, Clone, Default)]
struct AuthParams {
    client_id: String,
    redirect_uri: String,
    response_type: String,
    scope: String,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    login_hint: Option<String>,
}

impl AuthParams {
    fn from(p: &HashMap<String, String>) -> Self {
        let get = |k: &str| p.get(k).cloned().unwrap_or_default();
        let opt = |k: &str| p.get(k).filter(|v| !v.is_empty()).cloned();
        AuthParams {
            client_id: get("client_id"),
            redirect_uri: get("redirect_uri"),
            response_type: get("response_type"),
            scope: get("scope"),
            state: opt("state"),
            nonce: opt("nonce"),
            code_challenge: opt("code_challenge"),
            code_challenge_method: opt("code_challenge_method"),
            login_hint: opt("login_hint"),
        }
    }

    fn hidden_fields(&self) -> Vec<(&'static str, &str)> {
        let mut v = vec![
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("response_type", self.response_type.as_str()),
            ("scope", self.scope.as_str()),
        ];
        for (k, o) in [
            ("state", &self.state),
            ("nonce", &self.nonce),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
        ] {
            if let Some(x) = o {
                v.push((k, x.as_str()));
            }
        }
        v
    }

    /// Sends an OAuth error back to the client (only once its redirect URI is trusted).
    fn redirect_error(&self, error: &str, description: &str) -> Response {
        match with_query(
            &self.redirect_uri,
            &[
                ("error", Some(error)),
                ("error_description", Some(description)),
                ("state", self.state.as_deref()),
            ],
        ) {
            Some(u) => no_store(Redirect::to(&u).into_response()),
            None => page_error(StatusCode::BAD_REQUEST, "Invalid redirect_uri."),
        }
    }
}

/// Checks an authorization request: `Err` is the response to give (an error page when the
/// client or the redirect URI cannot be trusted, else a redirect carrying the error).
fn check_auth(inst: &Institution, p: &AuthParams) -> Result<(), Response> {
    if p.client_id.is_empty() || !is_registered_client(inst, &p.client_id) {
        return Err(page_error(
            StatusCode::BAD_REQUEST,
            "Unknown client_id: clients are the institution's point-of-sale codes.",
        ));
    }
    if !redirect_uri_allowed(&p.redirect_uri) {
        return Err(page_error(
            StatusCode::BAD_REQUEST,
            "This redirect_uri is not registered: the sandbox accepts http(s) URIs on \
             127.0.0.1, [::1], localhost and *.localhost only.",
        ));
    }
    if p.response_type != "code" {
        return Err(p.redirect_error(
            "unsupported_response_type",
            "only response_type=code is supported",
        ));
    }
    if !p.scope.split(' ').any(|s| s == "openid") {
        return Err(p.redirect_error("invalid_scope", "the scope must include openid"));
    }
    let challenge_ok = p.code_challenge.as_deref().is_some_and(|c| {
        c.len() == 43
            && c.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    });
    if !challenge_ok || p.code_challenge_method.as_deref() != Some("S256") {
        return Err(p.redirect_error(
            "invalid_request",
            "PKCE is required: code_challenge with code_challenge_method=S256",
        ));
    }
    if p.state.as_ref().is_some_and(|s| s.len() > 2000)
        || p.nonce.as_ref().is_some_and(|s| s.len() > 2000)
    {
        return Err(p.redirect_error("invalid_request", "state or nonce is too long"));
    }
    Ok(())
}

async fn authorize(
    State(sb): State<Arc<Sandbox>>,
    Path(instit): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let (inst, _) = match context(&sb, &instit, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let raw = match params(query.unwrap_or_default().as_bytes()) {
        Ok(p) => p,
        Err(e) => return page_error(StatusCode::BAD_REQUEST, &e),
    };
    let p = AuthParams::from(&raw);
    let inst = lock(&inst);
    if let Err(r) = check_auth(&inst, &p) {
        return r;
    }
    let email = p.login_hint.clone().unwrap_or_default();
    login_page(&inst, &p, &email, None, StatusCode::OK)
}

async fn login(
    State(sb): State<Arc<Sandbox>>,
    Path(instit): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (inst, _) = match context(&sb, &instit, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let raw = match params(&body) {
        Ok(p) => p,
        Err(e) => return page_error(StatusCode::BAD_REQUEST, &e),
    };
    let p = AuthParams::from(&raw);
    let email = raw.get("email").map(|e| e.trim()).unwrap_or_default();
    let password = raw.get("password").map(String::as_str).unwrap_or_default();
    let mut inst = lock(&inst);
    if let Err(r) = check_auth(&inst, &p) {
        return r;
    }
    let Some(contact) = inst.contacts.authenticate(email, password) else {
        return login_page(
            &inst,
            &p,
            email,
            Some("Wrong e-mail or password. Please try again."),
            StatusCode::OK,
        );
    };
    let contact_number = contact.data.contact_number.clone();
    let code = random_token();
    inst.oidc.insert(
        code.clone(),
        PendingCode {
            client_id: p.client_id.clone(),
            redirect_uri: p.redirect_uri.clone(),
            code_challenge: p.code_challenge.clone().unwrap_or_default(),
            nonce: p.nonce.clone(),
            scope: p.scope.clone(),
            contact_number,
            auth_time: chrono::Utc::now().timestamp(),
            issued: Instant::now(),
        },
    );
    match with_query(
        &p.redirect_uri,
        &[("code", Some(&code)), ("state", p.state.as_deref())],
    ) {
        Some(u) => no_store(Redirect::to(&u).into_response()),
        None => page_error(StatusCode::BAD_REQUEST, "Invalid redirect_uri."),
    }
}

// ---------------------------------------------------------------------------------------------
// Token

#[derive(Debug, Serialize, Deserialize)]
struct IdClaims {
    iss: String,
    sub: String,
    aud: String,
    exp: i64,
    iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    auth_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at_hash: Option<String>,
    #[serde(flatten)]
    profile: Profile,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Profile {
    email: String,
    email_verified: bool,
    given_name: String,
    family_name: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    locale: Option<String>,
    institution: String,
    contact_id: i64,
}

fn profile(inst: &Institution, c: &StoredContact) -> Profile {
    let i = c.individual();
    Profile {
        name: format!("{} {}", i.individual_firstname, i.individual_lastname),
        email_verified: true,
        email: i.email,
        given_name: i.individual_firstname,
        family_name: i.individual_lastname,
        locale: i.language_code,
        institution: inst.code.clone(),
        contact_id: c.data.contact_id.0,
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct AccessClaims {
    iss: String,
    sub: String,
    aud: String,
    exp: i64,
    iat: i64,
    scope: String,
    client_id: String,
    /// `access`: an ID token is not accepted in its place.
    token_use: String,
    jti: String,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut r = no_store(
        (
            status,
            Json(json!({"error": error, "error_description": description})),
        )
            .into_response(),
    );
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"s360-sandbox\""),
        );
    }
    r
}

/// Decodes `%XX` and `+` (the client_secret_basic encoding of RFC 6749 §2.3.1).
fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The client's id and secret, from the Basic header or the form (not both).
fn client_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<(String, String), Response> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            h.strip_prefix("Basic ")
                .or_else(|| h.strip_prefix("basic "))
        });
    let in_form = form.get("client_secret").is_some();
    match (basic, in_form) {
        (Some(_), true) => Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "use one client authentication method",
        )),
        (Some(b), false) => {
            let bad = || {
                oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "malformed Basic credentials",
                )
            };
            let decoded = STANDARD.decode(b.trim()).map_err(|_| bad())?;
            let text = String::from_utf8(decoded).map_err(|_| bad())?;
            let (id, secret) = text.split_once(':').ok_or_else(bad)?;
            let id = form_decode(id).ok_or_else(bad)?;
            let secret = form_decode(secret).ok_or_else(bad)?;
            if form.get("client_id").is_some_and(|f| *f != id) {
                return Err(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "client_id differs from the authenticated client",
                ));
            }
            Ok((id, secret))
        }
        (None, true) => Ok((
            form.get("client_id").cloned().unwrap_or_default(),
            form.get("client_secret").cloned().unwrap_or_default(),
        )),
        (None, false) => Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication is required (client_secret_basic or client_secret_post)",
        )),
    }
}

fn verifier_ok(verifier: &str, challenge: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'))
        && s360::constant_time_eq(
            b64url_sha256(verifier.as_bytes()).as_bytes(),
            challenge.as_bytes(),
        )
}

async fn token(
    State(sb): State<Arc<Sandbox>>,
    Path(instit): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (inst, iss) = match context(&sb, &instit, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let form = match params(&body) {
        Ok(f) => f,
        Err(e) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &e),
    };
    let (client_id, secret) = match client_credentials(&headers, &form) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut inst = lock(&inst);
    let client_ok = inst.operators.iter().any(|o| {
        o.code == client_id && s360::constant_time_eq(o.secret.as_bytes(), secret.as_bytes())
    });
    if !client_ok {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        );
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only authorization_code is supported",
        );
    }
    let code = form.get("code").map(String::as_str).unwrap_or_default();
    // single use: the code is gone whatever happens next
    let Some(pending) = inst.oidc.codes.remove(code) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "unknown, used or expired code",
        );
    };
    let invalid = |d: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", d);
    if pending.expired() {
        return invalid("the code expired");
    }
    if pending.client_id != client_id {
        return invalid("the code was issued to another client");
    }
    if form.get("redirect_uri") != Some(&pending.redirect_uri) {
        return invalid("redirect_uri differs from the authorization request");
    }
    let verifier = form
        .get("code_verifier")
        .map(String::as_str)
        .unwrap_or_default();
    if !verifier_ok(verifier, &pending.code_challenge) {
        return invalid("PKCE verification failed");
    }
    let Some(contact) = inst
        .contacts
        .get(&pending.contact_number)
        .filter(|c| c.is_active())
    else {
        return invalid("the contact no longer exists");
    };
    let now = chrono::Utc::now().timestamp();
    let access = AccessClaims {
        iss: iss.clone(),
        sub: pending.contact_number.clone(),
        aud: client_id.clone(),
        exp: now + TOKEN_TTL_SECS,
        iat: now,
        scope: pending.scope.clone(),
        client_id: client_id.clone(),
        token_use: "access".into(),
        jti: random_token(),
    };
    let Some(access_token) = sign(&access, "at+jwt") else {
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "signing failed",
        );
    };
    let digest = Sha256::digest(access_token.as_bytes());
    let mut id = IdClaims {
        iss,
        sub: pending.contact_number.clone(),
        aud: client_id,
        exp: now + TOKEN_TTL_SECS,
        iat: now,
        auth_time: Some(pending.auth_time),
        nonce: pending.nonce.clone(),
        at_hash: Some(URL_SAFE_NO_PAD.encode(&digest[..16])),
        profile: profile(&inst, contact),
    };
    match inst.oidc.token_fault.take() {
        Some(TokenFault::WrongNonce) => id.nonce = Some(random_token()),
        Some(TokenFault::Expired) => {
            id.iat = now - 2 * TOKEN_TTL_SECS - 600;
            id.exp = now - 600;
        }
        Some(TokenFault::WrongAudience) => id.aud = "SOMEONE_ELSE_WEB".into(),
        None => {}
    }
    let Some(id_token) = sign(&id, "JWT") else {
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "signing failed",
        );
    };
    no_store(
        Json(json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL_SECS,
            "id_token": id_token,
            "scope": pending.scope,
        }))
        .into_response(),
    )
}

// ---------------------------------------------------------------------------------------------
// Userinfo and logout

fn bearer_error(description: &str) -> Response {
    let mut r = (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": "invalid_token", "error_description": description})),
    )
        .into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    r
}

fn decode<T: serde::de::DeserializeOwned>(token: &str, iss: &str, check_exp: bool) -> Option<T> {
    let mut v = Validation::new(Algorithm::RS256);
    v.set_issuer(&[iss]);
    v.validate_aud = false;
    v.validate_exp = check_exp;
    v.leeway = 5;
    jsonwebtoken::decode::<T>(token, DECODING_KEY.as_ref()?, &v)
        .ok()
        .map(|d| d.claims)
}

async fn userinfo(
    State(sb): State<Arc<Sandbox>>,
    Path(instit): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (inst, iss) = match context(&sb, &instit, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
    else {
        return bearer_error("a Bearer access token is required");
    };
    let Some(claims) = decode::<AccessClaims>(token.trim(), &iss, true) else {
        return bearer_error("invalid or expired access token");
    };
    if claims.token_use != "access" {
        return bearer_error("not an access token");
    }
    let inst = lock(&inst);
    let Some(contact) = inst.contacts.get(&claims.sub).filter(|c| c.is_active()) else {
        return bearer_error("the contact no longer exists");
    };
    let mut v = serde_json::to_value(profile(&inst, contact)).unwrap_or_default();
    if let Some(map) = v.as_object_mut() {
        map.insert("sub".into(), claims.sub.into());
    }
    no_store(Json(v).into_response())
}

async fn logout(
    State(sb): State<Arc<Sandbox>>,
    Path(instit): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let (inst, iss) = match context(&sb, &instit, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let q = match params(query.unwrap_or_default().as_bytes()) {
        Ok(p) => p,
        Err(e) => return page_error(StatusCode::BAD_REQUEST, &e),
    };
    let get = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
    // an expired hint is fine: it only names the session that ends
    let hint_aud = match get("id_token_hint") {
        Some(t) => match decode::<IdClaims>(&t, &iss, false) {
            Some(c) => Some(c.aud),
            None => return page_error(StatusCode::BAD_REQUEST, "Invalid id_token_hint."),
        },
        None => None,
    };
    let client = match (hint_aud, get("client_id")) {
        (Some(a), Some(c)) if a != c => {
            return page_error(
                StatusCode::BAD_REQUEST,
                "client_id does not match the id_token_hint.",
            )
        }
        (Some(a), _) => Some(a),
        (None, c) => c,
    };
    let Some(target) = get("post_logout_redirect_uri") else {
        return page(
            StatusCode::OK,
            "Signed out",
            "<h1>You are signed out</h1><p>You can close this window.</p>",
        );
    };
    let registered = client.is_some_and(|c| is_registered_client(&lock(&inst), &c));
    if !registered {
        return page_error(
            StatusCode::BAD_REQUEST,
            "post_logout_redirect_uri needs an id_token_hint or a registered client_id.",
        );
    }
    if !redirect_uri_allowed(&target) {
        return page_error(
            StatusCode::BAD_REQUEST,
            "This post_logout_redirect_uri is not registered.",
        );
    }
    let state = get("state");
    match with_query(&target, &[("state", state.as_deref())]) {
        Some(u) => no_store(Redirect::to(&u).into_response()),
        None => page_error(StatusCode::BAD_REQUEST, "Invalid post_logout_redirect_uri."),
    }
}

// ---------------------------------------------------------------------------------------------
// HTML

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;\
padding:0 1rem;line-height:1.5;color:#1a1a1a}label{display:block;margin-top:1rem;font-weight:600}\
input{font:inherit;width:100%;padding:.5rem;box-sizing:border-box;border:1px solid #555;\
border-radius:4px}button{font:inherit;margin-top:1.25rem;padding:.6rem 1.2rem;background:#0b4f8a;\
color:#fff;border:0;border-radius:4px;cursor:pointer}button:focus,input:focus{outline:3px solid \
#f0b400;outline-offset:2px}.error{color:#a00000;border:1px solid #a00000;padding:.5rem;\
border-radius:4px}.hints{margin-top:2rem;font-size:.95rem;background:#f3f3f3;padding:.75rem;\
border-radius:4px}code{font-size:1em}";

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · S-360 sandbox</title><style>{STYLE}</style></head>\
         <body><main>{body}</main></body></html>",
        esc(title)
    );
    let mut r = no_store((status, Html(html)).into_response());
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

fn page_error(status: StatusCode, message: &str) -> Response {
    page(
        status,
        "Sign-in error",
        &format!(
            "<h1>Sign-in error</h1><p class=\"error\" role=\"alert\">{}</p>",
            esc(message)
        ),
    )
}

fn login_page(
    inst: &Institution,
    p: &AuthParams,
    email: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let hidden: String = p
        .hidden_fields()
        .into_iter()
        .map(|(k, v)| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", esc(v)))
        .collect();
    let (error_html, described) = match error {
        Some(e) => (
            format!(
                "<p id=\"login-error\" class=\"error\" role=\"alert\">{}</p>",
                esc(e)
            ),
            " aria-describedby=\"login-error\" aria-invalid=\"true\"",
        ),
        None => (String::new(), ""),
    };
    let hints: String = DEMO_BUYERS
        .iter()
        .map(|(mail, first, last)| {
            format!(
                "<li><code>{}</code> ({} {})</li>",
                esc(mail),
                esc(first),
                esc(last)
            )
        })
        .collect();
    let body = format!(
        "<h1>Sign in to {inst}</h1>\
         <p>Ticket shop account of the S-360 sandbox (client <code>{client}</code>).</p>\
         {error_html}\
         <form method=\"post\" action=\"authorize\">{hidden}\
         <label for=\"email\">E-mail</label>\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required \
         value=\"{email}\"{described}>\
         <label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" \
         autocomplete=\"current-password\" required{described}>\
         <button type=\"submit\">Sign in</button></form>\
         <section class=\"hints\" aria-labelledby=\"hints-title\">\
         <h2 id=\"hints-title\">Demo buyers</h2>\
         <p>Every demo buyer's password is <code>{password}</code>.</p><ul>{hints}</ul></section>",
        inst = esc(&inst.code),
        client = esc(&p.client_id),
        email = esc(email),
        password = esc(DEMO_PASSWORD),
    );
    page(status, "Sign in", &body)
}

// ---------------------------------------------------------------------------------------------

/// PUBLIC TEST KEY of the sandbox's OIDC identity provider. It is in the source tree on purpose:
/// anyone can sign tokens with it, so nothing outside the sandbox may ever trust it.
/// Generated with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`.
mod test_key {

    /// The private key (PKCS#8 PEM) that signs ID and access tokens.
    pub const PRIVATE_KEY_PEM: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQC7KYZC6i4fK6/7\n\
nDwwE2oxDrHHx9fiL15bgJDw6OadyT+Tg3BKhde+WYPpAeKklzM11JvC3clSdSIg\n\
F1vvw5ZHsSvH8gcOfAPuZR3GXg6Ua10DYodrUFe5NpuSheRGTi9gRhopU8V6b38i\n\
soTaygVC5cz55bsEXdvSHLgNEJVuOqIdUUpN6QibPBISTzVOHPGFqizLYLeA+YOa\n\
HLd//Vc65SXLywnfwEcjxIH6CvPFgUX+vLvsISlhZQCVmE82n0hOT1qaOERnSlsU\n\
aONi+BDBmRlcHrRkzC66k+zxnyK0CV2/QKUhZ+GOXVldz+sZqUGcKEg7I7vmFE8X\n\
znpKtxNPAgMBAAECggEAL8JnX+DpNwwLYr3Z//ycTvtsc0n0NWQYBGp40fjkjGQD\n\
5K0YNPQVex3Vktpnzs9EgpqHysCUtIVuWVkMnVDAIvg7b1C76z7LNAS6hdmPh+Ej\n\
wY7ddo1wbTNZnJitCSG/ZiZNW7lkPZuBCkYar8f4crs4RJaSVAltZB7u+mp+bzt4\n\
UPOtkJURxI9o/6MBpowbguitLAhZOYARoyaxT/fc+2m7RhvIzdm/wvjA8J8QG0It\n\
rPDfCpp16IJc79JL5B0DB7K1GWAsxvUV/qlyWB/6QQftF0QEWwEUZFezRSmsiy0x\n\
v/4ZGlnavVFnNJBt/9fGbvp/dJ/J+8G9oIo+MGUdgQKBgQDff2PE/QlUoYrSYsxz\n\
zCpNM+Ku0e/d1gmgXrZqdE7WUxv3epNoge6obRWfimHRJTgAakFiu88wil8aG49w\n\
EYryGIPtlC/a81ofKcbjyAhze7bl3q/cqUAgZuhtjt6R7PiBrRY59FUhE43YI6FF\n\
lsi0RHltXZlIX2pqVoak5DYwzwKBgQDWYWae2l3PnJKCgtW6OGPPwU0moe0CBXpr\n\
zgsVE+4MBrBlDYCanRm3zq9/iM2/ftt2WU0YnPmVqUGYCWVzMhPGnLKbfTcXOZo8\n\
TZdKYfp4LKVbwROVWZnjXd8Dp6dKCO6ClCWEyWuNENr+MWillWcuFAQVBogH7zhb\n\
fkm6bwCVgQKBgCR53gagZY1yb/22MjgT8jN3bF+r08IY1Klfy9XD9bn1BnN1helg\n\
i1rhss2/AAfqUyF+Nf2vOTlq2+qe5OIdetfYOG/l54mMfgDoCJXUZ8yxPEB3/6u7\n\
08N2CCkZUCnwyv4fCambvukPD+9eoUuCOG9zXX4D8KhnKi8AwCjZNh7xAoGAEvxV\n\
RkQ4gqZvIzfLDc7oqAGKf51fjApIKTv6J0e4kUAWZxynAwpeuLSJPlYzQn5NmVGX\n\
TlK4l9SBhqFuZqFMtw4xkyunsVrcmfKVL3U15Wauzk1vGo7w3f32PjCe1COuW8oa\n\
+IOODtQrUM+3YNK2bJJBOkt1yJ4a859fkC88cgECgYBJ6imczrxb07SZfBw3q78q\n\
sEl1cuCQ0+lOtnx8TKulgRGk5aHQYcVpgl7D5GGFZSimIkmPKn/BS/avifpmngrt\n\
WkpQjHH+T9X2i7lYz4gSQ93Fc5dpoNp+opd+YiFlc7Mz2bq8a6m5rrwzkKeDol1r\n\
wE53qs2U1nmF7RiNGEihJA==\n\
-----END PRIVATE KEY-----\n";

    /// The key id (`kid`) of the key in the JWKS.
    pub const KID: &str = "s360-sandbox-test-key-1";

    /// The modulus, base64url without padding (`n` of the JWK).
    pub const MODULUS_B64: &str = "uymGQuouHyuv-5w8MBNqMQ6xx8fX4i9eW4CQ8Ojmnck_k4NwSoXXvlmD6QHipJczNdSbwt3JUnUiIBdb78OWR7Erx_IHDnwD7mUdxl4OlGtdA2KHa1BXuTabkoXkRk4vYEYaKVPFem9_IrKE2soFQuXM-eW7BF3b0hy4DRCVbjqiHVFKTekImzwSEk81Thzxhaosy2C3gPmDmhy3f_1XOuUly8sJ38BHI8SB-grzxYFF_ry77CEpYWUAlZhPNp9ITk9amjhEZ0pbFGjjYvgQwZkZXB60ZMwuupPs8Z8itAldv0ClIWfhjl1ZXc_rGalBnChIOyO75hRPF856SrcTTw";

    /// The public exponent 65537, base64url (`e` of the JWK).
    pub const EXPONENT_B64: &str = "AQAB";
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    #[test]
    fn loopback_redirect_uris_only() {
        for ok in [
            "http://127.0.0.1:3000/auth/callback",
            "http://127.0.0.1/cb",
            "http://localhost:8080/cb?x=1",
            "http://shop.localhost:3000/cb",
            "https://localhost/cb",
            "http://[::1]:3000/cb",
        ] {
            assert!(redirect_uri_allowed(ok), "{ok}");
        }
        for bad in [
            "https://shop.example.com/cb",
            "http://localhost.example.com/cb",
            "http://127.0.0.2/cb",
            "http://user:pw@localhost/cb",
            "http://localhost/cb#x",
            "ftp://localhost/cb",
            "javascript:alert(1)",
            "/relative",
            "",
        ] {
            assert!(!redirect_uri_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn keys_parse_and_sign() {
        assert!(ENCODING_KEY.is_some() && DECODING_KEY.is_some());
        let claims = json!({"iss": "i", "sub": "s", "exp": 4_000_000_000i64});
        let tok = sign(&claims, "JWT").unwrap();
        let back: Value = decode(&tok, "i", true).unwrap();
        assert_eq!(back["sub"], "s");
        assert!(decode::<Value>(&tok, "other", true).is_none());
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        assert_eq!(form_decode("a%3Ab+c").as_deref(), Some("a:b c"));
        assert_eq!(form_decode("%zz"), None);
        assert_eq!(form_decode("%4"), None);
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
