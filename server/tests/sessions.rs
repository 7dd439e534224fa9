//! Sessions: cookie attributes, the absolute timeout, and both stores (memory; Redis against a
//! real `redis-server` this test starts on a free loopback port, skipped with a message when
//! the binary is not installed).

mod support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use support::{location, log_in, Browser, Shop};
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cookie_is_http_only_lax_and_secure_when_configured() {
    for (secure, env) in [
        (false, vec![]),
        (true, vec![("SHOP_SESSION_SECURE_COOKIE", "true")]),
    ] {
        let shop = Shop::start(&env).await;
        let r = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}/login", shop.base))
            .send()
            .await
            .unwrap();
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.starts_with("shop_session="), "{cookie}");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert_eq!(cookie.contains("Secure"), secure, "{cookie}");
        assert!(cookie.contains("Path=/"), "{cookie}");
    }
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
    let pending_id = b.session_id().unwrap();
    let mut conn = redis::Client::open(redis.url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let ttl: i64 = redis::cmd("TTL")
        .arg(format!("shop:session:{pending_id}"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        (29 * 60..=30 * 60).contains(&ttl),
        "expires in Redis with the idle timeout: {ttl}"
    );

    let callback = support::sandbox_sign_in(&authorize, "alice@example.com", "demo").await;
    let r = b.get(&callback).await;
    assert_eq!(location(&r), "/cart");
    let id = b.session_id().unwrap();
    assert_ne!(id, pending_id, "rotated at login");
    let old: Option<String> = redis::cmd("GET")
        .arg(format!("shop:session:{pending_id}"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(old.is_none(), "the pre-login session is gone from Redis");

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
    let created = record["data"][server::sessions::CREATED_KEY]
        .as_i64()
        .unwrap();
    let field = format!("\"{}\":", server::sessions::CREATED_KEY);
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
