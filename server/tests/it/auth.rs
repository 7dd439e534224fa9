//! Buyer login over HTTP against the real application and its embedded S-360 identity
//! provider: the session id rotates at login and logout, the return path is same-site only,
//! and every forged or replayed login answer is refused (tampered or missing `state`, a code
//! used twice, an ID token with a wrong nonce, expired, or for another client). The login in
//! progress lives in a signed cookie, not in the session store.
//!
//! A third-party provider (`SHOP_OIDC_{CODE}_*`) is played by [`idp::FakeIdp`], a small OpenID
//! Connect provider on loopback whose accounts say what the tests need about their e-mail
//! (verified, not verified, not said at all) and which counts its discovery requests.

use crate::support;

use sandbox::oidc::TokenFault;
use support::{location, log_in, sandbox_sign_in, Browser, Shop};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_rotates_the_session_returns_same_site_and_logout_ends_it() {
    let shop = Shop::start(&[]).await;
    let b = Browser::new(&shop.base);
    let authorize = b.start_login("/cart").await;
    assert!(
        authorize.starts_with(&format!(
            "{}/CUBE/oidc/authorize?",
            shop.running.s360_base_url
        )),
        "{authorize}"
    );
    for p in [
        "code_challenge_method=S256",
        "state=",
        "nonce=",
        "scope=openid",
    ] {
        assert!(authorize.contains(p), "{p} in {authorize}");
    }
    assert_eq!(b.session_id(), None, "starting a login stores no session");
    assert!(
        b.login_cookie.lock().unwrap().is_some(),
        "the login's cookie"
    );
    let callback = sandbox_sign_in(&authorize, "alice@example.com", "demo").await;
    let r = b.get(&callback).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/cart");
    assert!(
        b.login_cookie.lock().unwrap().is_none(),
        "the login's cookie is spent"
    );
    let first = b.session_id().expect("a session for the buyer");
    assert_eq!(b.user_name().await.as_deref(), Some("Alice Martin"));

    // logging in again (another buyer at the same browser): a new session id, the old one is gone
    assert_eq!(log_in(&b, "/", "bob@example.com").await.status(), 303);
    let logged_in = b.session_id().unwrap();
    assert_ne!(first, logged_in, "a new session id at login");
    assert_eq!(b.user_name().await.as_deref(), Some("Bob Keller"));
    let stale = Browser::new(&shop.base);
    *stale.cookie.lock().unwrap() = Some(format!("shop_session={first}"));
    assert_eq!(stale.user_name().await, None, "the old id logs nobody in");

    let r = b.post_form("/logout", &[]).await;
    assert_eq!(r.status(), 303);
    let to = location(&r);
    assert!(
        to.starts_with(&format!("{}/CUBE/oidc/logout?", shop.running.s360_base_url)),
        "RP-initiated logout: {to}"
    );
    assert!(to.contains("id_token_hint=") && to.contains("post_logout_redirect_uri="));
    // the provider accepts the hint and sends the buyer back to the shop
    let back = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(&to)
        .send()
        .await
        .unwrap();
    assert!(location(&back).starts_with(&format!("{}/", shop.base)));
    assert_ne!(
        b.session_id(),
        Some(logged_in),
        "a new session id at logout"
    );
    assert_eq!(b.user_name().await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_or_foreign_login_cookie_is_refused() {
    let shop = Shop::start(&[]).await;
    let b = Browser::new(&shop.base);
    let authorize = b.start_login("/cart").await;
    let callback = sandbox_sign_in(&authorize, "alice@example.com", "demo").await;
    let genuine = b.login_cookie.lock().unwrap().clone().unwrap();
    // the return path rewritten in the cookie: its signature no longer matches
    let (payload, mac) = genuine
        .strip_prefix("shop_login=")
        .unwrap()
        .split_once('.')
        .unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let json = String::from_utf8(b64.decode(payload).unwrap()).unwrap();
    assert!(json.contains("\"/cart\""), "{json}");
    let forged = b64.encode(json.replace("\"/cart\"", "\"/account\""));
    *b.login_cookie.lock().unwrap() = Some(format!("shop_login={forged}.{mac}"));
    let r = b.get(&callback).await;
    assert_eq!(r.status(), 400);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("expired or was already used"));
    assert_eq!(b.user_name().await, None);

    // the genuine cookie in another browser, with another browser's answer: state mismatch
    let other = Browser::new(&shop.base);
    let other_authorize = other.start_login("/").await;
    let other_callback = sandbox_sign_in(&other_authorize, "bob@example.com", "demo").await;
    let thief = Browser::new(&shop.base);
    *thief.login_cookie.lock().unwrap() = Some(genuine);
    let r = thief.get(&other_callback).await;
    assert_eq!(r.status(), 400);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("did not match this browser"));
    assert_eq!(thief.user_name().await, None);
    // the other browser's own login still works
    assert_eq!(other.get(&other_callback).await.status(), 303);
    assert_eq!(other.user_name().await.as_deref(), Some("Bob Keller"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_redirects_are_refused() {
    let shop = Shop::start(&[]).await;
    for bad in [
        "//evil.com",
        "https://evil.com",
        "http:evil.com",
        "/\\evil.com",
        "%2F%2Fevil.com",
        "%2f%2fevil.com",
        "https%3A%2F%2Fevil.com",
        "%2F%5Cevil.com",
        "/%5Cevil.com",
        "%5C%5Cevil.com",
        "/%09/evil.com",
        "%2F%0A%2Fevil.com",
        "%252F%252Fevil.com",
        "javascript:alert(1)",
        "evil.com",
    ] {
        let b = Browser::new(&shop.base);
        let r = log_in(&b, bad, "bob@example.com").await;
        assert_eq!(r.status(), 303, "{bad}");
        assert_eq!(location(&r), "/", "{bad} must not be returned to");
        assert_eq!(b.user_name().await.as_deref(), Some("Bob Keller"), "{bad}");
    }
    // a same-site path with a query is kept
    let b = Browser::new(&shop.base);
    let r = log_in(&b, "%2Fevent%2F1%3Fx%3D2", "bob@example.com").await;
    assert_eq!(location(&r), "/event/1?x=2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_or_missing_state_is_refused() {
    let shop = Shop::start(&[]).await;
    let b = Browser::new(&shop.base);
    let authorize = b.start_login("/").await;
    let callback = sandbox_sign_in(&authorize, "alice@example.com", "demo").await;
    let mut u = reqwest::Url::parse(&callback).unwrap();
    let pairs: Vec<(String, String)> = u.query_pairs().into_owned().collect();
    let tampered: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| {
            if k == "state" {
                (k.clone(), format!("{v}x"))
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(&tampered);
    let r = b.get(u.as_str()).await;
    assert_eq!(r.status(), 400);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("did not match this browser"));
    // the pending login is spent: even the genuine answer is refused now
    let r = b.get(&callback).await;
    assert_eq!(r.status(), 400);
    assert_eq!(b.user_name().await, None);

    // no state at all (a login the browser never started: login CSRF)
    let authorize = b.start_login("/").await;
    let callback = sandbox_sign_in(&authorize, "alice@example.com", "demo").await;
    let mut u = reqwest::Url::parse(&callback).unwrap();
    let code: Vec<(String, String)> = u
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k == "code")
        .collect();
    u.query_pairs_mut().clear().extend_pairs(&code);
    assert_eq!(b.get(u.as_str()).await.status(), 400);
    assert_eq!(b.user_name().await, None);

    // another browser's callback (its own state) does not log this one in
    let other = Browser::new(&shop.base);
    let r = other.get(&callback).await;
    assert_eq!(r.status(), 400);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("expired or was already used"));
    assert_eq!(other.user_name().await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_code_is_refused() {
    let shop = Shop::start(&[]).await;
    let b = Browser::new(&shop.base);
    let authorize = b.start_login("/").await;
    let callback = sandbox_sign_in(&authorize, "alice@example.com", "demo").await;
    assert_eq!(b.get(&callback).await.status(), 303);
    // the same answer again: the pending login is gone
    assert_eq!(b.get(&callback).await.status(), 400);

    // a fresh login whose state is genuine, with the old (used) code: the provider refuses it
    let fresh = Browser::new(&shop.base);
    let authorize = fresh.start_login("/").await;
    let state = reqwest::Url::parse(&authorize)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let old_code = reqwest::Url::parse(&callback)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let mut replay = reqwest::Url::parse(&format!("{}/auth/callback", shop.base)).unwrap();
    replay
        .query_pairs_mut()
        .append_pair("code", &old_code)
        .append_pair("state", &state);
    let r = fresh.get(replay.as_str()).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("could not be completed"));
    assert_eq!(fresh.user_name().await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_id_tokens_are_refused() {
    let shop = Shop::start(&[]).await;
    for fault in [
        TokenFault::WrongNonce,
        TokenFault::Expired,
        TokenFault::WrongAudience,
    ] {
        let b = Browser::new(&shop.base);
        let authorize = b.start_login("/").await;
        let callback = sandbox_sign_in(&authorize, "alice@example.com", "demo").await;
        shop.sandbox()
            .institution("CUBE")
            .unwrap()
            .lock()
            .unwrap()
            .oidc
            .set_token_fault(Some(fault));
        let r = b.get(&callback).await;
        assert_eq!(r.status(), 400, "{fault:?}");
        assert!(
            r.text().await.unwrap().contains("could not be verified"),
            "{fault:?}"
        );
        assert_eq!(b.user_name().await, None, "{fault:?}");
    }
    // and without a fault the same flow logs in (the faults were what failed)
    let b = Browser::new(&shop.base);
    assert_eq!(log_in(&b, "/", "alice@example.com").await.status(), 303);
    assert_eq!(b.user_name().await.as_deref(), Some("Alice Martin"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_refusing_is_shown_not_logged_in() {
    let shop = Shop::start(&[]).await;
    let b = Browser::new(&shop.base);
    let _ = b.start_login("/").await;
    let r = b
        .get("/auth/callback?error=access_denied&state=x&error_description=%3Cscript%3E")
        .await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("not completed") && !html.contains("<script>"));
}

// ---------------------------------------------------------------------------------------------
// A third-party identity provider

/// Logs `b` in at the fake provider as `login`; the shop's answer to the callback.
async fn idp_log_in(
    b: &Browser,
    idp: &idp::FakeIdp,
    return_to: &str,
    login: &str,
) -> reqwest::Response {
    let authorize = b.start_login(return_to).await;
    assert!(authorize.starts_with(&idp.issuer), "{authorize}");
    let callback = idp.sign_in(&authorize, login).await;
    b.get(&callback).await
}

/// How often the sandbox was asked to link (`setContactCriteria`) or create a contact.
fn linking_calls(shop: &Shop) -> (u64, u64) {
    (
        shop.sandbox_calls("setContactCriteria"),
        shop.sandbox_calls("createContact"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_third_party_e_mail_opens_an_existing_account_only_when_verified() {
    use serde_json::json;
    let idp = idp::FakeIdp::start().await;
    // someone who typed Alice's address at a provider that does not check addresses: the
    // provider does not say it is verified, says it is not, or says so only in userinfo
    idp.account(
        "mallory",
        "mallory-1",
        json!({"email": "alice@example.com", "given_name": "Mallory"}),
        json!({"email": "alice@example.com"}),
    );
    idp.account(
        "mallory-false",
        "mallory-2",
        json!({"email": "alice@example.com", "email_verified": false}),
        json!({"email": "alice@example.com", "email_verified": false}),
    );
    idp.account(
        "mallory-userinfo",
        "mallory-3",
        json!({}),
        json!({"email": "alice@example.com", "email_verified": false}),
    );
    // the same, with an address no customer has yet: no account is claimed with it either
    idp.account(
        "newcomer",
        "newcomer-1",
        json!({"email": "newcomer@example.org"}),
        json!({"email": "newcomer@example.org"}),
    );
    // the real Alice, whose provider verified her address
    idp.account(
        "alice",
        "alice-1",
        json!({"email": "alice@example.com", "email_verified": true, "given_name": "Alice"}),
        json!({"email": "alice@example.com", "email_verified": true}),
    );
    let shop = idp.shop("CUBE").await;

    for (login, email) in [
        ("mallory", "alice@example.com"),
        ("mallory-false", "alice@example.com"),
        ("mallory-userinfo", "alice@example.com"),
        ("newcomer", "newcomer@example.org"),
    ] {
        let b = Browser::new(&shop.base);
        let r = idp_log_in(&b, &idp, "/account", login).await;
        assert_eq!(r.status(), 403, "{login}");
        assert!(
            r.headers().get("set-cookie").is_some(),
            "{login}: the login cookie is removed"
        );
        let html = r.text().await.unwrap();
        assert!(
            html.contains(&format!(
                "has not confirmed that {email} is your e-mail address"
            )) && html.contains("You can still buy as a guest"),
            "{login}: {html}"
        );
        assert_eq!(b.user_name().await, None, "{login}");
        assert_eq!(b.session_id(), None, "{login}: no session");
    }
    assert_eq!(
        linking_calls(&shop),
        (0, 0),
        "no contact was linked or created"
    );

    // Alice: her existing customer account, linked by her verified address
    let b = Browser::new(&shop.base);
    let r = idp_log_in(&b, &idp, "/account", "alice").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/account");
    assert_eq!(b.user_name().await.as_deref(), Some("Alice Martin"));
    assert_eq!(linking_calls(&shop), (1, 0), "linked, not created");

    // once linked, her provider account is known by its SSO id: the e-mail plays no part
    idp.account(
        "alice",
        "alice-1",
        json!({"email": "alice@example.com"}),
        json!({"email": "alice@example.com"}),
    );
    let b = Browser::new(&shop.base);
    assert_eq!(idp_log_in(&b, &idp, "/", "alice").await.status(), 303);
    assert_eq!(b.user_name().await.as_deref(), Some("Alice Martin"));
    assert_eq!(linking_calls(&shop), (1, 0));
    // and mallory still is not Alice
    let b = Browser::new(&shop.base);
    assert_eq!(idp_log_in(&b, &idp, "/", "mallory").await.status(), 403);
    assert_eq!(b.user_name().await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_providers_discovery_is_cached_and_fetched_again_when_its_keys_change() {
    let idp = idp::FakeIdp::start().await;
    idp.account(
        "carla",
        "carla-1",
        serde_json::json!({"email": "carla@example.org", "email_verified": true,
            "given_name": "Carla", "family_name": "Rossi"}),
        serde_json::json!({}),
    );
    let shop = idp.shop("CUBE").await;
    assert_eq!(idp.discoveries(), 0);
    let a = Browser::new(&shop.base);
    assert_eq!(idp_log_in(&a, &idp, "/", "carla").await.status(), 303);
    let b = Browser::new(&shop.base);
    assert_eq!(idp_log_in(&b, &idp, "/", "carla").await.status(), 303);
    assert_eq!(b.user_name().await.as_deref(), Some("Carla Rossi"));
    // the logout's end_session_endpoint comes from the same document
    let r = b.post_form("/logout", &[]).await;
    assert!(
        location(&r).starts_with(&format!("{}/logout?", idp.issuer)),
        "{}",
        location(&r)
    );
    assert_eq!(
        (idp.discoveries(), idp.jwks_fetches()),
        (1, 1),
        "two logins and a logout: one discovery"
    );

    // the provider rotates its signing key: the next login fetches the document again, once
    idp.rotate_key("key-2");
    let c = Browser::new(&shop.base);
    assert_eq!(idp_log_in(&c, &idp, "/", "carla").await.status(), 303);
    assert_eq!(c.user_name().await.as_deref(), Some("Carla Rossi"));
    let d = Browser::new(&shop.base);
    assert_eq!(idp_log_in(&d, &idp, "/", "carla").await.status(), 303);
    assert_eq!((idp.discoveries(), idp.jwks_fetches()), (2, 2));
}

/// A minimal OpenID Connect provider for the shop's tests: authorization code with PKCE S256
/// (no login form: the test names the account in the authorization URL), RS256 ID tokens,
/// userinfo, discovery and JWKS (counted), RP-initiated logout advertised.
mod idp {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use axum::extract::{Query, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Redirect, Response};
    use axum::routing::{get, post};
    use axum::{Form, Json, Router};
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine;
    use openidconnect::core::{CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey};
    use openidconnect::{PkceCodeChallenge, PkceCodeVerifier, PrivateSigningKey};
    use serde_json::{json, Value};

    pub const CLIENT_ID: &str = "ticket-shop";
    pub const CLIENT_SECRET: &str = "fake-idp-client-secret";

    /// A TEST-ONLY RSA key (generated for these tests; it signs nothing anywhere else).
    const KEY_PEM: &str = "\
-----BEGIN RSA PRIVATE KEY-----\n\
MIIEowIBAAKCAQEA1vBeKMEJu0srDv84eLkokUQUYLOEQAmpyFXGXVuDTgqKL33b\n\
j8TAlQCxxhZyH8LHbBix6F6dnSyYKAk5AXV4Q9wQxcKhc2CDpcL4t6RfY0kf3rJo\n\
n83vAnm/I6ZvS9fsf/n17/nJckIg8EkWmJM+ORym8alzUDkg9D+/4NGNWTw8Ydof\n\
qZvotVBjb1rkrcDmHJqLnN3ET8uGQF9Y+oAjr4wsaix3ERnq7kWyju+13nazv2Ks\n\
OOufAhXhQwFfgJ2vUTpivTdmIxxL9cbwRs3ZwHCG2rmyqtRcA9Uiu9wz7kG8U7WZ\n\
1YKCtrVRkCK2pe+zF3TNwcvXISc1XkZO1zoIzQIDAQABAoIBAFYrB/ybowygjnMV\n\
M20GgfJ20hqQbWEE3rmPVZaAxQuo4ww2Dys8bB5wKFTrE7aS7kLyRYSMRfDIe3l1\n\
dRKWJvBBjcHSjMpF85ElMHPi5FDX9HxhltsWAo9CArRGmZDU0B3gNk4OHEn/o9fg\n\
3Tuur//SckUosy+Cr6jr079MEzgl1yw6En5cljM/b8F72vGuDillEmwG7DsxW81l\n\
ywmB5X2eZHS+wSx2bgpC535PsWT5LGunsg+NiOCvwqxL81nyav/Y18uCf+fP1eVW\n\
UCvjHHRhbLoqqo1JLDwCp7hMjW5nN0SCq8TtqrujXpFf6Mb8tk1N+RGwVvGt1zCd\n\
z5uXpKsCgYEA9Ft7i89F0R6VxSovvVwVm22rwjg8nKNgpFv+hcA3xuKtk6DK/anY\n\
lU1p9ghNO9hMRAz/9PqFvwK17Qk3jpxg6QSXToUnr0tRmebqGtjJmRLKhOxKGQr/\n\
IsC3XXyGt8lYGOuLK2yQXeWX2XzzxDlThXQn+iw3aTTDKT6K8Wh1xlMCgYEA4S4O\n\
zxcQF9WATCvAS6wZmeoUUPDmlfS6rFpjOkER3IKfvWCrIdg/HOdebjWLz5dddwLX\n\
vWn3PcXzAHVV462mmxpntuBNYLc4pBV++5MAM2mTWO5+1QlpugDbCe+OGSTpRXEU\n\
8F1xsQyq17dfveHxfG4IocIuqlL739MoDuPW0F8CgYEA5hDcGZ5llaa+TIyTti3l\n\
ChoQBST9rF0GuLkEwtlfqpnx43UYqgwoJypkAYl/bkEQTWIP+4+ELXtX3n03GcaS\n\
V9JCw2MLIjg/9C89a1mBNeZDVzNB8KIx5X6dJiAAlzmzAIOE3LWylzV76wGCYdW3\n\
lYbvvNO0uBE9Tq/cEb7QZJECgYAxhLtk9yFm3GCWX5iuC26l1kAZfKB4oZTbihUA\n\
HocbAu616qg3jSJz7L1rZwMT56l6HnnrAX6JaxqBI0x8ARf+S9Q69yCNAD3Id6Gx\n\
GSaWJ8VrbScfGi7R5JZGnROWm/Ngffmo0iPKV4rKXV0EmMdOIbRsPhOdCRqyofDR\n\
NXFr6QKBgAE/OvgCHsPaxm6ZsOvzWoxM2DYGgEe0QWivnjB7a2d0jhc+ZvhZJHzB\n\
+/VjVQTyTI7YXvbJ7d2hFlGbQDRF8knTF48mqAFBQF4M51uMtjE1GrDsGZk/P6bF\n\
CNe73u6eH9nltpALbunC9DNU9egUx9USSdLg8mcceQgVU2n+53VR\n\
-----END RSA PRIVATE KEY-----\n";

    struct Account {
        sub: String,
        id_token: Value,
        userinfo: Value,
    }

    struct Grant {
        login: String,
        nonce: String,
        challenge: String,
        redirect_uri: String,
    }

    #[derive(Default)]
    struct Inner {
        accounts: HashMap<String, Account>,
        grants: HashMap<String, Grant>,
        access: HashMap<String, String>,
        kid: String,
    }

    pub struct FakeIdp {
        pub issuer: String,
        inner: Arc<Mutex<Inner>>,
        discoveries: Arc<AtomicUsize>,
        jwks: Arc<AtomicUsize>,
    }

    #[derive(Clone)]
    struct Ctx {
        issuer: String,
        inner: Arc<Mutex<Inner>>,
        discoveries: Arc<AtomicUsize>,
        jwks: Arc<AtomicUsize>,
    }

    fn random() -> String {
        openidconnect::CsrfToken::new_random().secret().clone()
    }

    fn signing_key() -> CoreRsaPrivateSigningKey {
        CoreRsaPrivateSigningKey::from_pem(KEY_PEM, None).expect("the test key parses")
    }

    impl FakeIdp {
        pub async fn start() -> FakeIdp {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let issuer = format!("http://{}", listener.local_addr().unwrap());
            let ctx = Ctx {
                issuer: issuer.clone(),
                inner: Arc::new(Mutex::new(Inner {
                    kid: "key-1".into(),
                    ..Default::default()
                })),
                discoveries: Arc::default(),
                jwks: Arc::default(),
            };
            let app = Router::new()
                .route("/.well-known/openid-configuration", get(discovery))
                .route("/jwks", get(jwks))
                .route("/authorize", get(authorize))
                .route("/token", post(token))
                .route("/userinfo", get(userinfo))
                .with_state(ctx.clone());
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            FakeIdp {
                issuer,
                inner: ctx.inner,
                discoveries: ctx.discoveries,
                jwks: ctx.jwks,
            }
        }

        /// The shop's settings that make this the provider of institution `code`.
        pub fn env(&self, code: &str) -> Vec<(String, String)> {
            [
                ("ISSUER", self.issuer.as_str()),
                ("CLIENT_ID", CLIENT_ID),
                ("CLIENT_SECRET", CLIENT_SECRET),
            ]
            .into_iter()
            .map(|(k, v)| (format!("SHOP_OIDC_{code}_{k}"), v.to_string()))
            .collect()
        }

        /// A shop whose institution `code` logs in with this provider.
        pub async fn shop(&self, code: &str) -> super::Shop {
            let env = self.env(code);
            let env: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            super::Shop::start(&env).await
        }

        /// Adds (or replaces) an account: its subject, the claims its ID token and its
        /// userinfo answer carry besides the standard ones.
        pub fn account(&self, login: &str, sub: &str, id_token: Value, userinfo: Value) {
            self.inner.lock().unwrap().accounts.insert(
                login.into(),
                Account {
                    sub: sub.into(),
                    id_token,
                    userinfo,
                },
            );
        }

        /// Publishes the signing key under another key id and signs with it from now on.
        pub fn rotate_key(&self, kid: &str) {
            self.inner.lock().unwrap().kid = kid.into();
        }

        pub fn discoveries(&self) -> usize {
            self.discoveries.load(Ordering::SeqCst)
        }

        pub fn jwks_fetches(&self) -> usize {
            self.jwks.load(Ordering::SeqCst)
        }

        /// Signs in as `login` at the authorization URL the shop redirected to: the shop's
        /// callback URL with `code` and `state`.
        pub async fn sign_in(&self, authorize: &str, login: &str) -> String {
            let mut u = reqwest::Url::parse(authorize).unwrap();
            u.query_pairs_mut().append_pair("login", login);
            let r = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
                .get(u)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_redirection(), "authorize: {}", r.status());
            super::location(&r)
        }
    }

    async fn discovery(State(c): State<Ctx>) -> Json<Value> {
        c.discoveries.fetch_add(1, Ordering::SeqCst);
        let iss = &c.issuer;
        Json(json!({
            "issuer": iss,
            "authorization_endpoint": format!("{iss}/authorize"),
            "token_endpoint": format!("{iss}/token"),
            "userinfo_endpoint": format!("{iss}/userinfo"),
            "jwks_uri": format!("{iss}/jwks"),
            "end_session_endpoint": format!("{iss}/logout"),
            "scopes_supported": ["openid", "email", "profile"],
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
        }))
    }

    async fn jwks(State(c): State<Ctx>) -> Json<Value> {
        c.jwks.fetch_add(1, Ordering::SeqCst);
        let kid = c.inner.lock().unwrap().kid.clone();
        let key = signing_key().as_verification_key();
        let mut jwk = serde_json::to_value(key).unwrap();
        jwk["kid"] = json!(kid);
        jwk["use"] = json!("sig");
        jwk["alg"] = json!("RS256");
        Json(json!({ "keys": [jwk] }))
    }

    async fn authorize(State(c): State<Ctx>, Query(q): Query<HashMap<String, String>>) -> Response {
        let get = |k: &str| q.get(k).cloned().unwrap_or_default();
        if get("client_id") != CLIENT_ID
            || get("response_type") != "code"
            || get("code_challenge_method") != "S256"
            || get("code_challenge").is_empty()
            || get("nonce").is_empty()
            || !get("scope").split(' ').any(|s| s == "openid")
        {
            return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
        }
        let code = random();
        c.inner.lock().unwrap().grants.insert(
            code.clone(),
            Grant {
                login: get("login"),
                nonce: get("nonce"),
                challenge: get("code_challenge"),
                redirect_uri: get("redirect_uri"),
            },
        );
        let mut to = reqwest::Url::parse(&get("redirect_uri")).unwrap();
        to.query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &get("state"));
        Redirect::to(to.as_str()).into_response()
    }

    fn client_authenticated(headers: &HeaderMap) -> bool {
        let Some(basic) = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
        else {
            return false;
        };
        let decoded = STANDARD.decode(basic).unwrap_or_default();
        decoded == format!("{CLIENT_ID}:{CLIENT_SECRET}").as_bytes()
    }

    async fn token(
        State(c): State<Ctx>,
        headers: HeaderMap,
        Form(f): Form<HashMap<String, String>>,
    ) -> Response {
        let refuse = |e: &str| (StatusCode::BAD_REQUEST, Json(json!({"error": e}))).into_response();
        if !client_authenticated(&headers) {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": "invalid_client"})),
            )
                .into_response();
        }
        let get = |k: &str| f.get(k).cloned().unwrap_or_default();
        let mut inner = c.inner.lock().unwrap();
        let Some(grant) = inner.grants.remove(&get("code")) else {
            return refuse("invalid_grant");
        };
        let verifier = get("code_verifier");
        if verifier.len() < 43
            || PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier))
                .as_str()
                != grant.challenge
            || get("redirect_uri") != grant.redirect_uri
        {
            return refuse("invalid_grant");
        }
        let Some(account) = inner.accounts.get(&grant.login) else {
            return refuse("invalid_grant");
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut claims = json!({
            "iss": c.issuer,
            "sub": account.sub,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant.nonce,
        });
        for (k, v) in account.id_token.as_object().unwrap() {
            claims[k] = v.clone();
        }
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": inner.kid});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = signing_key()
            .sign(
                &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                input.as_bytes(),
            )
            .unwrap();
        let id_token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature));
        let access_token = random();
        inner.access.insert(access_token.clone(), grant.login);
        Json(json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }))
        .into_response()
    }

    async fn userinfo(State(c): State<Ctx>, headers: HeaderMap) -> Response {
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        let inner = c.inner.lock().unwrap();
        let Some(account) = inner
            .access
            .get(token)
            .and_then(|login| inner.accounts.get(login))
        else {
            return StatusCode::UNAUTHORIZED.into_response();
        };
        let mut claims = json!({ "sub": account.sub });
        for (k, v) in account.userinfo.as_object().unwrap() {
            claims[k] = v.clone();
        }
        Json(claims).into_response()
    }
}
