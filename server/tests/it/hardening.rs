//! What a hostile client does to the shop, over raw TCP and HTTP against the real application:
//! slow or idle connections are cut, the number of connections is capped, unknown host names
//! are refused when the shop runs for real, and oversized bodies are refused before they are
//! read.

use crate::support;

use std::time::{Duration, Instant};

use support::Shop;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn addr(shop: &Shop) -> String {
    shop.base.trim_start_matches("http://").to_string()
}

/// Reads until the server closes the connection; how long that took (at most `limit`).
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(
            limit.saturating_sub(started.elapsed()),
            stream.read(&mut buf),
        )
        .await
        {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
        }
    }
}

/// A client that sends half its headers and then nothing, and one that keeps an idle
/// keep-alive connection open, are both disconnected after the header timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_are_cut() {
    let shop = Shop::start(&[("SHOP_HEADER_TIMEOUT_SECS", "1")]).await;
    let mut slow = TcpStream::connect(addr(&shop)).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .unwrap();
    let took = closed_within(&mut slow, Duration::from_secs(10)).await;
    assert!(took.is_some_and(|t| t < Duration::from_secs(5)), "{took:?}");

    let mut idle = TcpStream::connect(addr(&shop)).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = idle.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let took = closed_within(&mut idle, Duration::from_secs(10)).await;
    assert!(took.is_some_and(|t| t < Duration::from_secs(5)), "{took:?}");
}

/// Past `SHOP_MAX_CONNECTIONS` open connections, new ones are closed at once; once the
/// others go, the shop answers again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_capped() {
    let shop = Shop::start(&[
        ("SHOP_MAX_CONNECTIONS", "4"),
        ("SHOP_HEADER_TIMEOUT_SECS", "30"),
    ])
    .await;
    // the readiness probe's connection may still be open in the pool of Shop::start's client:
    // it was dropped with that client, so wait until its slot is given back
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(addr(&shop)).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(addr(&shop)).await.unwrap();
    let _ = extra
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await;
    let took = closed_within(&mut extra, Duration::from_secs(5)).await;
    assert!(took.is_some(), "the fifth connection was served");
    drop(held);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = reqwest::Client::new()
        .get(format!("{}/healthz", shop.base))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// With `SHOP_STRICT_HOSTS` (the default with a real S-360), a request for a host no
/// institution is configured for gets 421 instead of the default institution's pages; the
/// institution's own host is served, and probes answer on any host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_hosts_are_refused_when_strict() {
    let shop = Shop::start(&[
        ("SHOP_STRICT_HOSTS", "true"),
        ("SHOP_PUBLIC_ORIGIN_CUBE", "https://tickets.cube.example"),
    ])
    .await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let get = |host: &'static str, path: &'static str| {
        http.get(format!("{}{path}", shop.base))
            .header("host", host)
            .send()
    };
    for path in ["/", "/robots.txt", "/sitemap.xml", "/payment/return"] {
        let r = get("evil.example", path).await.unwrap();
        assert_eq!(r.status(), 421, "{path}");
        assert!(r.text().await.unwrap().contains("does not serve"));
    }
    let r = get("tickets.cube.example", "/").await.unwrap();
    assert_eq!(r.status(), 200);
    let r = get("evil.example", "/healthz").await.unwrap();
    assert_eq!(r.status(), 200);

    // without strict hosts (local development), any host is the default institution's
    let dev = Shop::start(&[]).await;
    let r = http
        .get(format!("{}/", dev.base))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// A body over the limit is refused with 413 as soon as its length is known.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_get_413() {
    let shop = Shop::start(&[]).await;
    let addr = shop.running.addr;
    for path in ["/api/get_user", "/payment/notify/CUBE", "/logout"] {
        // the shop answers from the announced length, before any of the body: the request is
        // sent without it and the answer read (a client still writing 64 KiB when the answer
        // and the close come would see a broken pipe, by timing luck)
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
            server::startup::MAX_BODY_BYTES + 1
        );
        tcp.write_all(head.as_bytes()).await.unwrap();
        let mut answer = vec![0u8; 64];
        let n = tokio::time::timeout(Duration::from_secs(10), tcp.read(&mut answer))
            .await
            .expect("an answer before the body")
            .unwrap();
        let status = String::from_utf8_lossy(&answer[..n]).to_string();
        assert!(status.starts_with("HTTP/1.1 413"), "{path}: {status}");
    }
}

/// Seat hoarding: many anonymous sessions from one address each holding the most they may.
/// Past `SHOP_HOLDS_PER_CLIENT` places in 10 minutes, the next holds are refused in words
/// before S-360 is asked; another address is not affected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_cannot_hoard_seats() {
    use leptos::server_fn::ServerFn;
    let shop = Shop::start(&[("SHOP_HOLDS_PER_CLIENT", "24")]).await;
    let tenant = shop.tenant("CUBE");
    let snap = tenant.catalog.snapshot().unwrap();
    let max = snap.pos.max_seats_per_performance.min(6);
    let (product, perf, price) = snap
        .catalog
        .products()
        .filter(|p| p.state.on_sale())
        .flat_map(|p| {
            p.event
                .iter()
                .flat_map(move |e| e.performances.iter().map(move |f| (p.id.0, f)))
        })
        .filter(|(_, f)| f.state.on_sale())
        .find_map(|(p, f)| Some((p, f.id.0, f.prices.first()?.clone())))
        .expect("a priced CUBE performance");
    let from = format!("/event/{product}/{perf}");
    let add = |b: &support::Browser| {
        b.http
            .post(b.url(app::routes::performance::AddToCart::PATH))
            .header("origin", &b.base)
            .header("referer", b.url(&from))
            .header("accept", "text/html")
            .form(&[
                ("performance_id", perf.to_string()),
                ("seat_category_id", price.seat_cat_id.0.to_string()),
                ("tariff_id", price.aud_sub_cat_id.0.to_string()),
                ("quantity", max.to_string()),
            ])
    };
    let orders_before = |shop: &Shop| shop.sandbox_calls("createOrUpdateOrder");
    let allowed = 24 / max;
    let mut held = 0;
    let mut refused_at = None;
    for i in 0..15 {
        let b = support::Browser::new(&shop.base);
        let r = b.send(add(&b)).await;
        let to = support::location(&r);
        if to == "/cart" {
            held += 1;
        } else if refused_at.is_none() {
            refused_at = Some(i);
            let calls = orders_before(&shop);
            // the refusal is on the page the buyer came from, in words
            let page = b.get(&to).await.text().await.unwrap();
            assert!(page.contains("holding many tickets"), "{to}: {page}");
            let again = support::Browser::new(&shop.base);
            let r = again.send(add(&again)).await;
            assert_ne!(support::location(&r), "/cart");
            assert_eq!(orders_before(&shop), calls, "S-360 was not asked");
        }
    }
    assert_eq!(held, allowed, "holds granted to one address");
    assert_eq!(refused_at, Some(allowed));
}

/// Served over https (every institution's public origin is https): the session cookie is
/// `Secure` and responses carry HSTS by default; in local development neither.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_origins_mean_secure_cookies_and_hsts() {
    let shop = Shop::start(&[
        ("SHOP_PUBLIC_ORIGIN_CUBE", "https://tickets.cube.example"),
        ("SHOP_PUBLIC_ORIGIN_MOSA", "https://tickets.mosa.example"),
        ("SHOP_PUBLIC_ORIGIN_PLAY", "https://tickets.play.example"),
    ])
    .await;
    assert!(shop.running.state.shop.tenants.len() == 3);
    let b = support::Browser::new(&shop.base);
    let r = b.get("/").await;
    assert_eq!(
        r.headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000")
    );
    // starting a login sets the shop's login cookie, Secure like the session's
    let r = b.get("/login").await;
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_string())
        .filter(|c| c.starts_with("shop_"))
        .collect();
    assert!(
        !cookies.is_empty(),
        "no cookie from /login ({})",
        r.status()
    );
    for c in &cookies {
        assert!(c.contains("Secure"), "{c}");
    }
    let dev = Shop::start(&[]).await;
    let r = reqwest::get(format!("{}/", dev.base)).await.unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
}
