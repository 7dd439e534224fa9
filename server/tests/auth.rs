//! Buyer login over HTTP against the real application and its embedded S-360 identity
//! provider: the session id rotates at login and logout, the return path is same-site only,
//! and every forged or replayed login answer is refused (tampered or missing `state`, a code
//! used twice, an ID token with a wrong nonce, expired, or for another client).

mod support;

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
    let before = b.session_id().expect("a session for the pending login");
    let callback = sandbox_sign_in(&authorize, "alice@example.com", "demo").await;
    let r = b.get(&callback).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/cart");
    let logged_in = b.session_id().unwrap();
    assert_ne!(before, logged_in, "a new session id at login");
    assert_eq!(b.user_name().await.as_deref(), Some("Alice Martin"));

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
