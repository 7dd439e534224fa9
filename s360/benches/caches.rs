//! Shop-side costs of the caches (run: `cargo bench -p s360 --features client --bench caches`).
//!
//! - `catalog_snapshot`: a page's read of the catalog cache (what every render pays).
//! - `availability_hit`: a cached availability lookup.
//! - `play_catalog_decode`: decoding PLAY's full `getCatalogDetailed` answer (the CPU part of
//!   a refresh).
//! - `play_catalog_refresh`: a full refresh for PLAY against the embedded sandbox on loopback
//!   (setup check + POS config + catalog), rate limits off.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use s360::client::{AvailabilityCache, CatalogCache, Client, ClientConfig, LimiterConfig};
use s360::envelope::Envelope;
use s360::model::catalog::CatalogResult;

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let sb = sandbox::Sandbox::new(sandbox::Config {
        limits: sandbox::Limits {
            per_minute: 0,
            catalog_detailed_interval: Duration::ZERO,
        },
        ..Default::default()
    });
    let addr = rt
        .block_on(sb.spawn("127.0.0.1:0".parse().expect("addr")))
        .expect("sandbox");
    let mut cfg = ClientConfig::new(format!("http://{addr}"), "PLAY_WEB", "sandbox");
    cfg.limits = LimiterConfig {
        per_minute: 0,
        ..LimiterConfig::default()
    };
    let client = Client::new(cfg).expect("client");
    let cache = CatalogCache::new(client.clone());
    rt.block_on(cache.refresh()).expect("first load");
    let snap = cache.snapshot().expect("loaded");
    let avail = AvailabilityCache::new(client.clone(), snap.pos.pos_id, Duration::from_secs(600));
    let product = snap.catalog.products().next().expect("a product").clone();
    rt.block_on(avail.get(&product)).expect("warm");

    c.bench_function("catalog_snapshot", |b| b.iter(|| cache.snapshot()));
    c.bench_function("availability_hit", |b| {
        b.to_async(&rt)
            .iter(|| async { avail.get(&product).await.expect("hit") })
    });

    let body = serde_json::to_vec(&Envelope::success(
        CatalogResult {
            catalog_data: Some(snap.catalog.clone()),
        },
        None,
    ))
    .expect("json");
    println!("PLAY getCatalogDetailed payload: {} bytes", body.len());
    c.bench_function("play_catalog_decode", |b| {
        b.iter(|| serde_json::from_slice::<Envelope<CatalogResult>>(&body).expect("decode"))
    });

    c.bench_function("play_catalog_refresh", |b| {
        b.to_async(&rt).iter(|| async {
            // a setup change forces the full refetch path every iteration
            sb.setup_change("PLAY", |_| {});
            assert!(cache.refresh().await.expect("refresh"));
        })
    });
}

criterion_group! {
    name = caches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(4));
    targets = benches
}
criterion_main!(caches);
