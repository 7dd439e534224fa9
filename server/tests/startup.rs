//! The real application on a free port, driven over HTTP.

use std::time::Duration;

use server::config::Settings;

async fn start() -> (String, server::startup::Running) {
    let mut settings = Settings::from_lookup(|_| None).unwrap();
    settings.listen = "127.0.0.1:0".parse().unwrap();
    let running = server::startup::start(settings).await.unwrap();
    let base = format!("http://{}", running.addr);
    // wait for readiness (catalog loaded from the embedded sandbox)
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap()
            .status()
            == 200
        {
            return (base, running);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_is_rendered_from_the_sandbox_per_host() {
    let (base, running) = start().await;
    let http = reqwest::Client::new();
    let home = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let csp = home.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        csp.contains(&format!("frame-src {}", running.s360_base_url)),
        "{csp}"
    );
    assert_eq!(home.headers()["x-content-type-options"], "nosniff");
    let html = home.text().await.unwrap();
    assert!(html.contains("Cube Theatre"), "default institution");
    assert!(html.contains("4 products on sale"));

    for (host, name, count) in [
        ("mosa.localhost", "Museum of Science and Art", 3),
        ("play.localhost:3000", "Play FC", 11),
    ] {
        let html = http
            .get(format!("{base}/"))
            .header("host", host)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains(name), "{host}");
        assert!(
            html.contains(&format!("{count} products on sale")),
            "{host}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_metrics_and_404() {
    let (base, _running) = start().await;
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("s360_breaker_state{institution=\"MOSA\",state=\"closed\"} 1"),
        "{metrics}"
    );
    let r = http.get(format!("{base}/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configuration_names_the_setting() {
    let err = Settings::from_lookup(|k| (k == "LEPTOS_SITE_ADDR").then(|| "localhost".to_string()))
        .unwrap_err();
    assert!(err.starts_with("LEPTOS_SITE_ADDR"));
}
