//! Cross-site request forgery: state-changing requests (forms, `/logout`, server functions)
//! are refused unless they come from the shop's own origin; S-PAY's server-to-server
//! notification is exempt.

use crate::support;

use leptos::server_fn::ServerFn;
use support::{location, log_in, Browser, Shop};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_and_anonymous_posts_are_refused() {
    let shop = Shop::start(&[]).await;
    let http = client();
    let server_fn = format!("{}{}", shop.base, app::routes::layout::GetUser::PATH);
    let logout = format!("{}/logout", shop.base);

    // a browser's form post from another site: a small HTML page
    let r = http
        .post(&logout)
        .header("origin", "http://evil.example")
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert!(html.contains("<h1>Request refused</h1>") && html.contains("role=\"alert\""));

    // fetch from another site (a server function): plain text
    for (name, value) in [
        ("origin", "http://evil.example"),
        ("origin", "null"),
        ("origin", &format!("{}.evil.example", shop.base)),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("referer", "http://evil.example/page"),
    ] {
        let r = http
            .post(&server_fn)
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{name}: {value}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("cross-site request refused"));
    }

    // no Origin, no Sec-Fetch-Site, no Referer: refused too (browsers always send one)
    let r = http.post(&server_fn).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("does not say where it comes from"));
    for m in [
        reqwest::Method::PUT,
        reqwest::Method::PATCH,
        reqwest::Method::DELETE,
    ] {
        let r = http.request(m.clone(), &logout).send().await.unwrap();
        assert_eq!(r.status(), 403, "{m}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_origin_requests_pass() {
    let shop = Shop::start(&[]).await;
    let http = client();
    let server_fn = format!("{}{}", shop.base, app::routes::layout::GetUser::PATH);
    for (name, value) in [
        ("origin", shop.base.clone()),
        ("sec-fetch-site", "same-origin".to_string()),
        ("referer", format!("{}/cart", shop.base)),
    ] {
        let r = http
            .post(&server_fn)
            .header(name, &value)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{name}: {value}");
    }
    // an institution on its own host name: its origin is its own
    let r = http
        .post(&server_fn)
        .header("host", "play.localhost")
        .header("origin", "http://play.localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .post(&server_fn)
        .header("host", "play.localhost")
        .header("origin", "http://cube.localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "another institution is another site");

    // a logged-in buyer's own logout form works
    let b = Browser::new(&shop.base);
    assert_eq!(log_in(&b, "/", "alice@example.com").await.status(), 303);
    let r = b.post_form("/logout", &[]).await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).contains("/CUBE/oidc/logout?"));
    assert_eq!(b.user_name().await, None);

    // a forged logout (from another site) leaves the buyer logged in
    let b = Browser::new(&shop.base);
    assert_eq!(log_in(&b, "/", "bob@example.com").await.status(), 303);
    let r = b
        .send(
            b.http
                .post(format!("{}/logout", shop.base))
                .header("origin", "http://evil.example"),
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(b.user_name().await.as_deref(), Some("Bob Keller"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_notifications_are_exempt() {
    let shop = Shop::start(&[]).await;
    // S-PAY posts server to server, from its own origin or none: the handler answers, not the
    // CSRF check (a malformed notification is the handler's 400; an unknown order its 404)
    for origin in [None, Some("http://spay.example")] {
        let mut req = client()
            .post(format!("{}/payment/notify/CUBE", shop.base))
            .header("content-type", "application/json")
            .body("{not json");
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 400, "{origin:?}");
        assert!(!r.text().await.unwrap().contains("cross-site"));
    }
    // the same request to any other path is refused
    let r = client()
        .post(format!("{}/payment/notifyx/CUBE", shop.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}
