//! The real application on a free port, driven over HTTP.

use crate::support;

use std::time::Duration;

use server::config::Settings;
use support::{Shop, TempDir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_is_rendered_from_the_sandbox_per_host() {
    let shop = Shop::start(&[]).await;
    let base = &shop.base;
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let home = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let csp = home.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        csp.contains(&format!("frame-src {}", shop.running.s360_base_url)),
        "{csp}"
    );
    assert_eq!(home.headers()["x-content-type-options"], "nosniff");
    let html = home.text().await.unwrap();
    assert!(html.contains("Cube Theatre"), "default institution");
    assert!(html.contains("4 products on sale"));

    // each institution has its own default language, used when the browser asks for none
    for (host, name, summary) in [
        (
            "mosa.localhost",
            "Musée des sciences et des arts",
            "3 produits en vente",
        ),
        ("play.localhost:3000", "Play FC", "11 Angebote im Verkauf"),
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
        assert!(html.contains(summary), "{host}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_from_url_cookie_and_browser() {
    let shop = Shop::start(&[]).await;
    let base = &shop.base;
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let get = |path: &str, headers: Vec<(&'static str, &'static str)>| {
        let mut req = http
            .get(format!("{base}{path}"))
            .header("host", "mosa.localhost");
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    // the browser's preference among the offered languages
    let page = get("/", vec![("accept-language", "it-CH, de;q=0.8, en;q=0.5")])
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<html lang="de""#), "{}", &html[..200]);
    assert!(html.contains("3 Angebote im Verkauf"));

    // ?lang= wins and is remembered in a cookie
    let page = get("/?lang=en", vec![("accept-language", "de")])
        .await
        .unwrap();
    let cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("lang="))
        .expect("lang cookie");
    assert!(cookie.starts_with("lang=en;"), "{cookie}");
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<html lang="en""#));
    assert!(html.contains("3 products on sale"));
    // the switcher links to this page in the other languages
    assert!(html.contains(r#"href="/?lang=fr""#), "switcher");
    assert!(html.contains(r#"href="/?lang=de""#), "switcher");

    // the cookie beats the browser
    let html = get("/", vec![("accept-language", "de"), ("cookie", "lang=fr")])
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("3 produits en vente"));
    // an unknown language falls back to the institution's default
    let html = get("/?lang=xx", vec![])
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<html lang="fr""#));
    // the brand: logo and colours of the institution
    assert!(html.contains("/brands/mosa.svg"));
    assert!(html.contains("--brand: #7a1f5c"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_metrics_and_404() {
    let shop = Shop::start(&[]).await;
    let base = &shop.base;
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_sitemap_and_structured_data_per_institution() {
    let shop = Shop::start(&[]).await;
    let base = &shop.base;
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let get = |path: &str, host: &'static str| {
        http.get(format!("{base}{path}"))
            .header("host", host)
            .send()
    };
    let robots = get("/robots.txt", "play.localhost:3000")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(robots.contains("Disallow: /checkout"), "{robots}");
    assert!(
        robots.contains("Sitemap: http://play.localhost:3000/sitemap.xml"),
        "{robots}"
    );

    let sitemap = get("/sitemap.xml", "play.localhost:3000").await.unwrap();
    assert_eq!(sitemap.status(), 200);
    let xml = sitemap.text().await.unwrap();
    let urls = xml.matches("<url>").count();
    assert!(urls > 11, "home + every match and its performances: {urls}");
    assert!(xml.contains("<loc>http://play.localhost:3000/</loc>"));
    assert!(xml.contains(r#"hreflang="de" href="http://play.localhost:3000/?lang=de""#));
    // another institution's sitemap lists its own pages only
    let cube = get("/sitemap.xml", "cube.localhost")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!cube.contains("play.localhost"));

    // an event page carries its canonical URL and schema.org Event data, rendered on the server
    let event = xml
        .split("<loc>")
        .filter_map(|s| s.split("</loc>").next())
        .find(|u| u.contains("/event/") && u.matches('/').count() == 4)
        .expect("an event URL")
        .replace("http://play.localhost:3000", "");
    let html = get(&event, "play.localhost:3000")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let canonical = html
        .split("<link")
        .find(|l| l.contains(r#"rel="canonical""#))
        .expect("canonical link");
    assert!(
        canonical.contains(&format!(r#"href="http://play.localhost:3000{event}""#)),
        "{canonical}"
    );
    let start = html
        .find(r#"<script type="application/ld+json">"#)
        .expect("JSON-LD")
        + 35;
    let end = start + html[start..].find("</script>").unwrap();
    let ld: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
    let first = &ld[0];
    assert_eq!(first["@type"], "Event");
    assert_eq!(first["offers"]["priceCurrency"], "CHF");
    assert!(first["startDate"].as_str().unwrap().contains('T'));
    assert!(first["offers"]["lowPrice"].as_str().is_some());
}

/// Pages render from memory: with warm caches, browsing makes no S-360 call at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_pages_make_no_s360_call() {
    let shop = Shop::start(&[]).await;
    let base = &shop.base;
    let sandbox = shop.sandbox();
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let get = |path: String, host: &'static str| {
        http.get(format!("{base}{path}"))
            .header("host", host)
            .header("accept-language", "fr")
            .send()
    };
    let xml = get("/sitemap.xml".into(), "cube.localhost")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let pages: Vec<String> = xml
        .split("<loc>")
        .filter_map(|s| s.split("</loc>").next())
        .filter(|u| u.starts_with("http"))
        .map(|u| u.replace("http://cube.localhost", ""))
        .collect();
    assert!(pages.len() > 3, "{pages:?}");
    // warm: every page once
    for p in &pages {
        assert_eq!(
            get(p.clone(), "cube.localhost").await.unwrap().status(),
            200,
            "{p}"
        );
    }
    let total = |s: &sandbox::Sandbox| s.call_counts().values().sum::<u64>();
    let before = total(sandbox);
    for _ in 0..5 {
        for p in &pages {
            let page = get(p.clone(), "cube.localhost").await.unwrap();
            assert_eq!(page.status(), 200, "{p}");
        }
    }
    assert_eq!(
        total(sandbox) - before,
        0,
        "S-360 calls while browsing warm pages: {:?}",
        sandbox.call_counts()
    );
}

/// README.md is the project's front door: it must stay a document a person reads (a scripted
/// edit once inserted a line after every character and made it 5.6 MB) and it must name the two
/// commands that CI (`.ci/run`) and a newcomer use.
#[test]
fn readme_stays_a_readable_document_with_the_two_commands() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.len() < 64 * 1024,
        "README.md is {} bytes: it should be a page, not a dump",
        readme.len()
    );
    let lines: Vec<&str> = readme.lines().collect();
    assert!(
        (50..800).contains(&lines.len()),
        "README.md has {} lines",
        lines.len()
    );
    assert!(
        lines[0].starts_with("# "),
        "README.md starts with its title"
    );
    let longest = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(longest <= 1000, "a README line of {longest} characters");
    // no line repeated many times over (the signature of a replace run once per match)
    let mut seen = std::collections::HashMap::<&str, usize>::new();
    for l in lines.iter().filter(|l| l.trim().len() > 20) {
        *seen.entry(l).or_default() += 1;
    }
    if let Some((l, n)) = seen.iter().find(|(_, n)| **n > 2) {
        panic!("README.md repeats a line {n} times: {l}");
    }
    // the two commands: CI runs exactly the test command README names
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    assert!(
        ci.contains("scripts/test.sh"),
        ".ci/run runs scripts/test.sh"
    );
    for command in ["`scripts/run.sh`", "`scripts/test.sh`"] {
        assert!(readme.contains(command), "README.md names {command}");
    }
    for script in ["scripts/run.sh", "scripts/test.sh"] {
        assert!(root.join(script).is_file(), "{script} exists");
    }
    for section in [
        "## The two commands",
        "## Configuration",
        "## Architecture",
        "## Security",
    ] {
        assert!(
            readme.contains(section),
            "README.md has a section {section:?}"
        );
    }
}

/// Starts the shop on a separately run S-360 (`sb` at `s360`, CUBE only) with `data` as
/// `SHOP_DATA_DIR`; `ready_in` is how long it took to be ready.
async fn start_on(sb: &std::sync::Arc<sandbox::Sandbox>, s360: &str, data: &TempDir) -> Shop {
    Shop::with(&[
        ("S360_BASE_URL", s360),
        ("S360_OPERATOR", "CUBE_WEB"),
        ("S360_SECRET", "sandbox"),
        ("SHOP_DATA_DIR", data.path()),
    ])
    .sandbox(sb.clone())
    .ready_within(Duration::from_secs(60))
    .start()
    .await
}

/// Issue 12: a restart within 10 minutes of the last catalog fetch meant ~597 s of 503: S-360
/// refuses a second `getCatalogDetailed` (509, Retry-After ~596 s) and the client slept all of
/// it. The last good catalog is now kept in `SHOP_DATA_DIR` and served at once; without it, the
/// catalog is rebuilt through setupService without waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_within_ten_minutes_is_ready_at_once() {
    // the embedded sandbox is one per shop: here S-360 outlives the shop, as it does in
    // production
    let (sb, s360) = support::external_sandbox(sandbox::Config::default()).await;
    let count = |sb: &sandbox::Sandbox, service, method: &str| {
        sb.call_counts()
            .get(&(service, method.to_string()))
            .copied()
            .unwrap_or(0)
    };
    let detailed = |sb: &sandbox::Sandbox| count(sb, s360::Service::Catalog, "getCatalogDetailed");
    // the other source of the catalog (one call per season)
    let rebuilt = |sb: &sandbox::Sandbox| count(sb, s360::Service::Setup, "listSeasons");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let home = |base: String| {
        let http = http.clone();
        async move {
            let page = http.get(format!("{base}/")).send().await.unwrap();
            assert_eq!(page.status(), 200);
            let html = page.text().await.unwrap();
            assert!(html.contains("Cube Theatre"));
            assert!(html.contains("4 products on sale"), "the catalog is served");
        }
    };
    let data = TempDir::new("kept");

    let first = start_on(&sb, &s360, &data).await;
    home(first.base.clone()).await;
    assert_eq!(detailed(&sb), 1);
    assert_eq!(rebuilt(&sb), 0);
    assert!(
        data.0.join("catalog").join("CUBE.json").is_file(),
        "the catalog is kept on disk"
    );
    first.running.server.abort();

    // restarted at once: ready from the disk copy, no second getCatalogDetailed needed
    let second = start_on(&sb, &s360, &data).await;
    let took = second.ready_in;
    assert!(took < Duration::from_secs(3), "ready after {took:?}");
    let started = std::time::Instant::now();
    home(second.base.clone()).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        detailed(&sb),
        1,
        "the setup did not change: nothing refetched"
    );
    assert_eq!(rebuilt(&sb), 0, "served from the disk copy");
    second.running.server.abort();

    // restarted without the disk copy (a new machine): getCatalogDetailed is refused for
    // ~10 minutes, and the catalog comes through setupService within seconds
    let empty = TempDir::new("empty");
    let third = start_on(&sb, &s360, &empty).await;
    let took = third.ready_in;
    assert!(took < Duration::from_secs(10), "ready after {took:?}");
    home(third.base.clone()).await;
    assert_eq!(detailed(&sb), 1);
    assert!(rebuilt(&sb) >= 1, "rebuilt through setupService");
}
