//! Sessions: cookie attributes, the absolute timeout, and both stores (memory, purged and
//! bounded; Redis against a real `redis-server` this test starts on a free loopback port,
//! skipped with a message when the binary is not installed). A login in progress stores no
//! session.

use crate::support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use server::sessions::{MemorySessions, ShopStore};
use support::{location, log_in, Browser, Shop};
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cookies_are_http_only_lax_and_secure_when_configured() {
    for (secure, env) in [
        (false, vec![]),
        (true, vec![("SHOP_SESSION_SECURE_COOKIE", "true")]),
    ] {
        let shop = Shop::start(&env).await;
        // the login in progress: its own short-lived cookie, for the callback only
        let b = Browser::new(&shop.base);
        let r = b.get("/login").await;
        let cookie = set_cookie(&r, "shop_login=").expect("the login's cookie");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert_eq!(cookie.contains("Secure"), secure, "{cookie}");
        assert!(cookie.contains("Path=/auth"), "{cookie}");
        assert!(cookie.contains("Max-Age=600"), "{cookie}");
        assert!(set_cookie(&r, "shop_session=").is_none(), "no session yet");
        // the session, from the login on
        let r = log_in(&b, "/", "alice@example.com").await;
        let cookie = set_cookie(&r, "shop_session=").expect("the session's cookie");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert_eq!(cookie.contains("Secure"), secure, "{cookie}");
        assert!(cookie.contains("Path=/"), "{cookie}");
    }
}

/// The `Set-Cookie` header of `r` that starts with `prefix`.
fn set_cookie(r: &reqwest::Response, prefix: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(prefix))
        .map(String::from)
}

/// How many sessions the shop holds in memory.
fn sessions_held(shop: &Shop) -> usize {
    shop.running
        .state
        .sessions
        .sessions_in_memory()
        .expect("a memory store")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_login_starts_store_nothing() {
    let shop = Shop::start(&[]).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // a flood of logins nobody finishes (no cookie kept between them, as a script does)
    for _ in 0..300 {
        let r = http
            .get(format!("{}/login?return=/cart", shop.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert!(set_cookie(&r, "shop_login=").is_some());
        assert!(set_cookie(&r, "shop_session=").is_none());
    }
    assert_eq!(sessions_held(&shop), 0, "the flood stored nothing");
    // the login flow still works end to end, and only a finished login holds a session
    let b = Browser::new(&shop.base);
    let r = log_in(&b, "/cart", "alice@example.com").await;
    assert_eq!(location(&r), "/cart");
    assert_eq!(b.user_name().await.as_deref(), Some("Alice Martin"));
    assert_eq!(sessions_held(&shop), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_store_refuses_new_sessions_and_keeps_the_ones_it_has() {
    let shop = Shop::start(&[("SHOP_SESSION_MEMORY_MAX", "2")]).await;
    let alice = Browser::new(&shop.base);
    assert_eq!(log_in(&alice, "/", "alice@example.com").await.status(), 303);
    let bob = Browser::new(&shop.base);
    assert_eq!(log_in(&bob, "/", "bob@example.com").await.status(), 303);
    assert_eq!(sessions_held(&shop), 2);

    // a login in a third browser would need a third session: refused, with a page that says why
    let third = Browser::new(&shop.base);
    let r = log_in(&third, "/", "alice@example.com").await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "120");
    assert!(set_cookie(&r, "shop_session=").is_none());
    let html = r.text().await.unwrap();
    assert!(html.contains("The shop is very busy"), "{html}");
    assert_eq!(sessions_held(&shop), 2);
    assert_eq!(third.user_name().await, None);
    // browsing stores nothing and goes on; the buyers who have a session keep it
    assert_eq!(third.get("/").await.status(), 200);
    assert_eq!(alice.user_name().await.as_deref(), Some("Alice Martin"));
    assert_eq!(bob.user_name().await.as_deref(), Some("Bob Keller"));

    // a session that ends makes room
    assert_eq!(bob.post_form("/logout", &[]).await.status(), 303);
    assert_eq!(bob.session_id(), None, "nothing left to keep");
    assert_eq!(sessions_held(&shop), 1);
    assert_eq!(log_in(&third, "/", "alice@example.com").await.status(), 303);
    assert_eq!(third.user_name().await.as_deref(), Some("Alice Martin"));
    assert_eq!(sessions_held(&shop), 2);
}

/// A tiny app with the shop's memory store (idle expiry `idle`, purged every `purge`) and its
/// capacity guard: `/set` stores (and keeps the session alive), `/get` reads.
async fn store_app(store: MemorySessions, idle: Duration, purge: Duration) -> String {
    store.spawn_purge(purge);
    let shop_store = ShopStore::Memory(store);
    let app = Router::new()
        .route(
            "/set",
            get(|s: Session| async move {
                s.insert("v", 42).await.unwrap();
                // a change each time: only a changed session is saved with a later expiry
                let n = s.get::<u64>("n").await.unwrap().unwrap_or(0);
                s.insert("n", n + 1).await.unwrap();
                "set"
            }),
        )
        .route(
            "/get",
            get(|s: Session| async move { format!("{:?}", s.get::<i32>("v").await.unwrap()) }),
        )
        .layer(axum::middleware::from_fn_with_state(
            shop_store.clone(),
            server::sessions::capacity,
        ))
        .layer(
            SessionManagerLayer::new(shop_store)
                .with_name("shop_session")
                .with_expiry(tower_sessions::Expiry::OnInactivity(
                    time::Duration::try_from(idle).unwrap(),
                )),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_sessions_are_purged_from_memory() {
    let store = MemorySessions::new(1000);
    let base = store_app(
        store.clone(),
        Duration::from_secs(2),
        Duration::from_millis(250),
    )
    .await;
    let buyers: Vec<Browser> = (0..5).map(|_| Browser::new(&base)).collect();
    for b in &buyers {
        assert_eq!(b.get("/set").await.text().await.unwrap(), "set");
    }
    assert_eq!(store.len(), 5);
    // one buyer stays active; the four others leave
    for _ in 0..7 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(buyers[0].get("/set").await.text().await.unwrap(), "set");
    }
    // nobody asked for the four expired sessions: the purge dropped them all the same
    assert_eq!(store.len(), 1, "only the active session is left in memory");
    assert_eq!(
        buyers[0].get("/get").await.text().await.unwrap(),
        "Some(42)"
    );
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert_eq!(store.len(), 0, "and the last one once it expired");
    assert_eq!(buyers[0].get("/get").await.text().await.unwrap(), "None");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_store_answers_503_to_a_new_session_and_serves_the_others() {
    let store = MemorySessions::new(3);
    let base = store_app(
        store.clone(),
        Duration::from_secs(3),
        Duration::from_secs(3600),
    )
    .await;
    let held: Vec<Browser> = (0..3).map(|_| Browser::new(&base)).collect();
    for b in &held {
        assert_eq!(b.get("/set").await.status(), 200);
    }
    let late = Browser::new(&base);
    let r = late.get("/set").await;
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("The shop is very busy"));
    assert_eq!(late.session_id(), None);
    assert_eq!(store.len(), 3);
    for b in &held {
        assert_eq!(b.get("/get").await.text().await.unwrap(), "Some(42)");
    }
    // once they expired, a full store makes room by itself (no purge task ran)
    tokio::time::sleep(Duration::from_millis(3200)).await;
    assert_eq!(late.get("/set").await.status(), 200);
    assert_eq!(store.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_that_store_nothing_create_no_session() {
    let shop = Shop::start(&[]).await;
    let r = reqwest::get(format!("{}/", shop.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("set-cookie").is_none());
}

/// A tiny app with the shop's session layers: `/set` stores, `/get` reads.
async fn mini_app(max_age: Duration) -> String {
    let app = Router::new()
        .route(
            "/set",
            get(|s: Session| async move {
                s.insert("v", 42).await.unwrap();
                "set"
            }),
        )
        .route(
            "/get",
            get(|s: Session| async move { format!("{:?}", s.get::<i32>("v").await.unwrap()) }),
        )
        .route("/nothing", get(|| async { "nothing" }))
        .layer(axum::middleware::from_fn_with_state(
            max_age,
            server::sessions::absolute_timeout,
        ))
        .layer(SessionManagerLayer::new(MemoryStore::default()).with_name("shop_session"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ends_at_its_absolute_timeout_however_active() {
    let base = mini_app(Duration::from_secs(3)).await;
    let b = Browser::new(&base);
    assert!(b
        .get("/nothing")
        .await
        .headers()
        .get("set-cookie")
        .is_none());
    b.get("/set").await;
    let first = b.session_id().expect("a session");
    // active all along: well within the idle timeout, yet it ends after 3 s (whole seconds)
    assert_eq!(b.get("/get").await.text().await.unwrap(), "Some(42)");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(b.get("/get").await.text().await.unwrap(), "Some(42)");
    tokio::time::sleep(Duration::from_millis(3200)).await;
    assert_eq!(b.get("/get").await.text().await.unwrap(), "None");
    assert_eq!(
        b.session_id(),
        None,
        "the expired session's cookie is removed"
    );
    // a new session starts a new lifetime
    b.get("/set").await;
    assert_ne!(b.session_id(), Some(first));
    assert_eq!(b.get("/get").await.text().await.unwrap(), "Some(42)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_keeps_the_login_and_a_restart_loses_it() {
    let shop = Shop::start(&[("SHOP_SESSION_STORE", "memory")]).await;
    let b = Browser::new(&shop.base);
    assert_eq!(log_in(&b, "/", "alice@example.com").await.status(), 303);
    assert_eq!(b.user_name().await.as_deref(), Some("Alice Martin"));
    // another instance (its own memory) does not know the session
    let other = Shop::start(&[("SHOP_SESSION_STORE", "memory")]).await;
    let c = Browser::new(&other.base);
    *c.cookie.lock().unwrap() = b.cookie.lock().unwrap().clone();
    assert_eq!(c.user_name().await, None);
}

/// A `redis-server` on a free loopback port, stopped on drop.
struct RedisServer {
    child: Child,
    url: String,
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn redis_server() -> Option<RedisServer> {
    let bin = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server starts");
    let server = RedisServer {
        child,
        url: format!("redis://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Some(server);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("redis-server did not listen on {port}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_shares_sessions_between_instances_and_ends_them() {
    let Some(redis) = redis_server().await else {
        eprintln!(
            "SKIPPED redis_store_shares_sessions_between_instances_and_ends_them: \
             redis-server is not installed (apt-get install redis-server)"
        );
        return;
    };
    let env = [("SHOP_SESSION_STORE", redis.url.as_str())];
    let a = Shop::start(&env).await;
    let b_shop = Shop::start(&env).await;

    let b = Browser::new(&a.base);
    let authorize = b.start_login("/cart").await;
    let mut conn = redis::Client::open(redis.url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("shop:session:*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        keys.is_empty(),
        "a login in progress is not in Redis: {keys:?}"
    );

    let callback = support::sandbox_sign_in(&authorize, "alice@example.com", "demo").await;
    let r = b.get(&callback).await;
    assert_eq!(location(&r), "/cart");
    let id = b.session_id().unwrap();
    let ttl: i64 = redis::cmd("TTL")
        .arg(format!("shop:session:{id}"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        (29 * 60..=30 * 60).contains(&ttl),
        "expires in Redis with the idle timeout: {ttl}"
    );

    // the second instance serves the same buyer (a shared store)
    let c = Browser::new(&b_shop.base);
    *c.cookie.lock().unwrap() = b.cookie.lock().unwrap().clone();
    assert_eq!(c.user_name().await.as_deref(), Some("Alice Martin"));

    // thirteen hours later (SHOP_SESSION_ABSOLUTE_HOURS defaults to 12), however active
    let key = format!("shop:session:{id}");
    let raw: String = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    // (edited as text: the record's i128 id does not survive a trip through serde_json::Value)
    let record: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let created = record["data"][shop::session::CREATED].as_i64().unwrap();
    let field = format!("\"{}\":", shop::session::CREATED);
    let edited = raw.replace(
        &format!("{field}{created}"),
        &format!("{field}{}", created - 13 * 3600),
    );
    assert_ne!(edited, raw);
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg(edited)
        .arg("KEEPTTL")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(c.user_name().await, None, "ended at the absolute timeout");
    let gone: Option<String> = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(gone.is_none(), "and deleted from Redis");
    assert_eq!(b.user_name().await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_redis_stops_the_start_naming_the_setting() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    let mut settings =
        server::config::Settings::from_lookup(|k| (k == "SHOP_SESSION_STORE").then(|| url.clone()))
            .unwrap();
    settings.listen = "127.0.0.1:0".parse().unwrap();
    let err = match server::startup::start(settings).await {
        Ok(_) => panic!("started without its session store"),
        Err(e) => e,
    };
    assert!(err.starts_with("SHOP_SESSION_STORE"), "{err}");
}
