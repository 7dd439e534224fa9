//! The buyers' OIDC identity provider over real HTTP, with the relying-party library the shop
//! uses (`openidconnect` 4): discovery, PKCE + nonce, login form, code exchange, ID token
//! verification, userinfo, and the refusals.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::reqwest;
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use sandbox::{Config, Sandbox};
use serde_json::Value;

const REDIRECT: &str = "http://127.0.0.1:3000/auth/callback";

async fn start() -> (Arc<Sandbox>, String) {
    let sb = Sandbox::new(Config::default());
    let addr = sb.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
    (sb, format!("http://{addr}"))
}

fn http() -> reqwest::Client {
    reqwest::ClientBuilder::new()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The query of an authorize URL, as the login form carries it.
fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Posts the login form; returns the redirect `Location`, or panics with the page.
async fn sign_in(
    base: &str,
    instit: &str,
    auth: &HashMap<String, String>,
    email: &str,
    pw: &str,
) -> reqwest::Response {
    let mut form = auth.clone();
    form.insert("email".into(), email.into());
    form.insert("password".into(), pw.into());
    http()
        .post(format!("{base}/{instit}/oidc/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

fn location(r: &reqwest::Response) -> url::Url {
    assert_eq!(r.status(), 303, "expected a redirect");
    url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap()
}

fn param(u: &url::Url, k: &str) -> Option<String> {
    u.query_pairs()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.to_string())
}

type Rp = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

async fn relying_party(base: &str, instit: &str, secret: &str) -> Rp {
    let meta = CoreProviderMetadata::discover_async(
        IssuerUrl::new(format!("{base}/{instit}/oidc")).unwrap(),
        &http(),
    )
    .await
    .unwrap();
    CoreClient::from_provider_metadata(
        meta,
        ClientId::new(format!("{instit}_WEB")),
        Some(ClientSecret::new(secret.into())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap())
}

/// Starts a flow: (authorize query, csrf, nonce, verifier).
fn begin(rp: &Rp) -> (String, CsrfToken, Nonce, PkceCodeVerifier) {
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
    (url.to_string(), csrf, nonce, verifier)
}

/// Signs alice in and returns the code.
async fn code_for(base: &str, instit: &str, auth_url: &str) -> String {
    let r = sign_in(base, instit, &query(auth_url), "alice@example.com", "demo").await;
    param(&location(&r), "code").unwrap()
}

#[tokio::test]
async fn full_code_flow_with_openidconnect() {
    let (_sb, base) = start().await;
    let rp = relying_party(&base, "CUBE", "sandbox").await;
    let (auth_url, csrf, nonce, verifier) = begin(&rp);
    assert!(auth_url.starts_with(&format!("{base}/CUBE/oidc/authorize?")));

    // the login page: a labelled form, the demo buyers as hints
    let page = http().get(&auth_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<form method=\"post\""));
    assert!(html.contains("<label for=\"email\">"));
    assert!(html.contains("alice@example.com") && html.contains("bob@example.com"));

    // a wrong password shows the form again with an error
    let r = sign_in(
        &base,
        "CUBE",
        &query(&auth_url),
        "alice@example.com",
        "nope",
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("role=\"alert\""));
    assert!(html.contains("Wrong e-mail or password"));

    // the right one redirects with the code and the state
    let r = sign_in(
        &base,
        "CUBE",
        &query(&auth_url),
        "alice@example.com",
        "demo",
    )
    .await;
    let back = location(&r);
    assert!(back.as_str().starts_with(REDIRECT));
    assert_eq!(
        param(&back, "state").as_deref(),
        Some(csrf.secret().as_str())
    );
    let code = param(&back, "code").unwrap();

    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .unwrap();
    let id_token = tokens.id_token().expect("an ID token");
    let verifier = rp.id_token_verifier();
    let claims = id_token.claims(&verifier, &nonce).unwrap();
    assert!(claims.subject().as_str().starts_with("CUBE"));
    assert_eq!(claims.email().unwrap().as_str(), "alice@example.com");
    assert_eq!(
        claims.given_name().unwrap().get(None).unwrap().as_str(),
        "Alice"
    );
    assert_eq!(
        claims.family_name().unwrap().get(None).unwrap().as_str(),
        "Martin"
    );
    assert_eq!(claims.locale().unwrap().as_str(), "fr");
    let lifetime = claims.expiration() - claims.issue_time();
    assert_eq!(lifetime.num_seconds(), 300);
    // at_hash binds the access token
    let at_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&at_hash));
    // custom claims
    let payload = id_token.to_string();
    let payload = payload.split('.').nth(1).unwrap();
    let custom: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(custom["institution"], "CUBE");
    assert!(custom["contact_id"].as_i64().unwrap() > 1_000_000_000_000);

    // userinfo with the access token
    let info: CoreUserInfoClaims = rp
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .unwrap()
        .request_async(&http())
        .await
        .unwrap();
    assert_eq!(info.email().unwrap().as_str(), "alice@example.com");
    // the ID token is not an access token
    let r = http()
        .get(format!("{base}/CUBE/oidc/userinfo"))
        .bearer_auth(id_token.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn client_secret_post_and_any_loopback_port_work() {
    let (_sb, base) = start().await;
    let rp = relying_party(&base, "PLAY", "sandbox").await;
    let redirect = "http://shop.localhost:8123/cb?x=1";
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, _) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .set_redirect_uri(std::borrow::Cow::Owned(
            RedirectUrl::new(redirect.into()).unwrap(),
        ))
        .url();
    let r = sign_in(
        &base,
        "PLAY",
        &query(url.as_str()),
        "bob@example.com",
        "demo",
    )
    .await;
    let back = location(&r);
    assert_eq!(
        param(&back, "x").as_deref(),
        Some("1"),
        "the URI's query is kept"
    );
    let code = param(&back, "code").unwrap();
    let r = http()
        .post(format!("{base}/PLAY/oidc/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect),
            ("code_verifier", verifier.secret().as_str()),
            ("client_id", "PLAY_WEB"),
            ("client_secret", "sandbox"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["token_type"], "Bearer");
    assert!(v["id_token"].is_string());
}

async fn token_error(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    (status, v["error"].as_str().unwrap_or_default().to_string())
}

async fn exchange_raw(
    base: &str,
    code: &str,
    verifier: &str,
    redirect: &str,
    secret: &str,
) -> reqwest::Response {
    http()
        .post(format!("{base}/CUBE/oidc/token"))
        .basic_auth("CUBE_WEB", Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn tampered_pkce_verifier_is_refused() {
    let (_sb, base) = start().await;
    let rp = relying_party(&base, "CUBE", "sandbox").await;
    let (url, _, _, verifier) = begin(&rp);
    let code = code_for(&base, "CUBE", &url).await;
    let mut tampered = verifier.secret().clone();
    tampered.replace_range(0..1, if tampered.starts_with('A') { "B" } else { "A" });
    let r = exchange_raw(&base, &code, &tampered, REDIRECT, "sandbox").await;
    assert_eq!(token_error(r).await, (400, "invalid_grant".into()));
    // and the code is burnt even with the right verifier now
    let r = exchange_raw(&base, &code, verifier.secret(), REDIRECT, "sandbox").await;
    assert_eq!(token_error(r).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn a_code_is_single_use() {
    let (_sb, base) = start().await;
    let rp = relying_party(&base, "CUBE", "sandbox").await;
    let (url, _, _, verifier) = begin(&rp);
    let code = code_for(&base, "CUBE", &url).await;
    let r = exchange_raw(&base, &code, verifier.secret(), REDIRECT, "sandbox").await;
    assert_eq!(r.status(), 200);
    let r = exchange_raw(&base, &code, verifier.secret(), REDIRECT, "sandbox").await;
    assert_eq!(token_error(r).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn wrong_client_secret_is_refused() {
    let (_sb, base) = start().await;
    let rp = relying_party(&base, "CUBE", "not-the-secret").await;
    let (url, _, _, verifier) = begin(&rp);
    let code = code_for(&base, "CUBE", &url).await;
    let err = rp
        .exchange_code(AuthorizationCode::new(code.clone()))
        .unwrap()
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.secret().clone()))
        .request_async(&http())
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("invalid_client"), "{err:?}");
    let r = exchange_raw(&base, "whatever", verifier.secret(), REDIRECT, "wrong").await;
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("www-authenticate").is_some());
    // no credentials at all
    let r = http()
        .post(format!("{base}/CUBE/oidc/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(token_error(r).await, (401, "invalid_client".into()));
}

#[tokio::test]
async fn unregistered_redirect_uri_and_missing_pkce_are_refused() {
    let (_sb, base) = start().await;
    let rp = relying_party(&base, "CUBE", "sandbox").await;
    let (url, _, _, verifier) = begin(&rp);
    for evil in [
        "https://evil.example.com/cb",
        "http://127.0.0.2/cb",
        "http://localhost.evil.com/cb",
        "http://127.0.0.1:3000/cb#frag",
        "javascript:alert(1)",
    ] {
        let mut q = query(&url);
        q.insert("redirect_uri".into(), evil.into());
        let r = http()
            .get(format!("{base}/CUBE/oidc/authorize"))
            .query(&q)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{evil}");
        assert!(
            r.headers().get("location").is_none(),
            "never redirect to {evil}"
        );
        // the login POST checks it too
        let r = sign_in(&base, "CUBE", &q, "alice@example.com", "demo").await;
        assert_eq!(r.status(), 400, "{evil}");
    }
    // an unknown client
    let mut q = query(&url);
    q.insert("client_id".into(), "MOSA_WEB".into());
    let r = http()
        .get(format!("{base}/CUBE/oidc/authorize"))
        .query(&q)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // no PKCE: the error goes back to the (trusted) client with the state
    let mut q = query(&url);
    q.remove("code_challenge");
    let r = http()
        .get(format!("{base}/CUBE/oidc/authorize"))
        .query(&q)
        .send()
        .await
        .unwrap();
    let back = location(&r);
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&back, "state"), q.get("state").cloned());
    // a redirect_uri at the token endpoint that differs from the authorization request
    let code = code_for(&base, "CUBE", &url).await;
    let r = exchange_raw(
        &base,
        &code,
        verifier.secret(),
        "http://127.0.0.1:3000/other",
        "sandbox",
    )
    .await;
    assert_eq!(token_error(r).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let (sb, base) = start().await;
    let rp = relying_party(&base, "CUBE", "sandbox").await;
    let (url, _, _, verifier) = begin(&rp);
    let code = code_for(&base, "CUBE", &url).await;
    sb.institution("CUBE")
        .unwrap()
        .lock()
        .unwrap()
        .oidc
        .backdate_codes(sandbox::oidc::CODE_TTL + Duration::from_secs(1));
    let r = exchange_raw(&base, &code, verifier.secret(), REDIRECT, "sandbox").await;
    assert_eq!(token_error(r).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn logout_redirects_to_a_validated_uri_with_the_state() {
    let (_sb, base) = start().await;
    let rp = relying_party(&base, "CUBE", "sandbox").await;
    let (url, _, _, verifier) = begin(&rp);
    let code = code_for(&base, "CUBE", &url).await;
    let r = exchange_raw(&base, &code, verifier.secret(), REDIRECT, "sandbox").await;
    let v: Value = r.json().await.unwrap();
    let id_token = v["id_token"].as_str().unwrap();

    let meta: Value = http()
        .get(format!("{base}/CUBE/oidc/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let end_session = meta["end_session_endpoint"].as_str().unwrap();
    assert_eq!(end_session, format!("{base}/CUBE/oidc/logout"));

    let r = http()
        .get(end_session)
        .query(&[
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", "http://localhost:3000/"),
            ("state", "bye"),
        ])
        .send()
        .await
        .unwrap();
    let back = location(&r);
    assert_eq!(back.host_str(), Some("localhost"));
    assert_eq!(param(&back, "state").as_deref(), Some("bye"));

    // not a loopback URI
    let r = http()
        .get(end_session)
        .query(&[
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", "https://evil.example.com/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // a forged hint
    let r = http()
        .get(end_session)
        .query(&[
            ("id_token_hint", "e30.e30.bad"),
            ("post_logout_redirect_uri", "http://localhost:3000/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // without a redirect: a page
    let r = http().get(end_session).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("signed out"));
}

#[tokio::test]
async fn discovery_follows_the_host_and_html_is_escaped() {
    let (_sb, base) = start().await;
    let meta: Value = http()
        .get(format!("{base}/MOSA/oidc/.well-known/openid-configuration"))
        .header("host", "shop.localhost:9999")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["issuer"], "http://shop.localhost:9999/MOSA/oidc");
    let jwks: Value = http()
        .get(format!("{base}/MOSA/oidc/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    assert_eq!(jwks["keys"][0]["alg"], "RS256");
    let r = http()
        .get(format!("{base}/NOPE/oidc/jwks"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // user-provided text is escaped in the login page
    let (challenge, _) = PkceCodeChallenge::new_random_sha256();
    let r = http()
        .get(format!("{base}/MOSA/oidc/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", "MOSA_WEB"),
            ("redirect_uri", "http://127.0.0.1:1/cb"),
            ("scope", "openid"),
            ("state", "\"><script>alert(1)</script>"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("login_hint", "<b>x</b>"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;"));
    assert!(!html.contains("<b>x</b>"));
}
