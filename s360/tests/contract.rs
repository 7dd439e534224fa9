//! The client against the sandbox over real HTTP on loopback: no mocks of our own code.

use std::sync::Arc;
use std::time::Duration;

use s360::client::{
    AvailabilityCache, BreakerState, CatalogCache, Client, ClientConfig, Error, LimiterConfig,
    Priority,
};
use s360::model::availability::*;
use s360::model::catalog::ProductFamilyType;
use s360::{PosId, SeatCategoryId, Service};
use sandbox::{Config, Faults, Sandbox};

const ADMIN: &str = "test-admin-token";

async fn sandbox_with(config: Config) -> (Arc<Sandbox>, String) {
    let sb = Sandbox::new(Config {
        admin_token: Some(ADMIN.into()),
        ..config
    });
    let addr = sb.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
    (sb, format!("http://{addr}"))
}

async fn sandbox() -> (Arc<Sandbox>, String) {
    sandbox_with(Config::default()).await
}

fn client(base: &str, operator: &str) -> Client {
    Client::new(ClientConfig::new(base, operator, "sandbox")).unwrap()
}

#[tokio::test]
async fn typed_catalog_and_setup_calls_round_trip() {
    let (_sb, base) = sandbox().await;
    let c = client(&base, "PLAY_WEB");
    let pos = c.get_pos_config().await.unwrap();
    assert_eq!(pos.instit_code, "PLAY");
    assert_eq!(pos.currency_code, "CHF");
    assert!(!pos.payment_methods.is_empty());

    let catalog = c.get_catalog_detailed().await.unwrap();
    let products: Vec<_> = catalog.products().collect();
    assert_eq!(products.len(), 11);
    assert!(products
        .iter()
        .any(|p| p.product_family_type == ProductFamilyType::Seasonticket));
    let setup = c.get_last_setup_update().await.unwrap();
    assert!(setup <= chrono::Utc::now());

    let seasons = c.list_seasons().await.unwrap();
    assert_eq!(seasons.len(), 1);
    assert!(
        seasons[0].products.is_empty(),
        "listSeasons returns no products"
    );
    let searched = c.search_all_products(vec![seasons[0].id]).await.unwrap();
    assert_eq!(searched.len(), 11);
    let subs = c.list_audience_sub_categories(seasons[0].id).await.unwrap();
    assert_eq!(subs.len(), 3);
    let levels = c.list_price_levels(seasons[0].id).await.unwrap();
    assert_eq!(levels[0].main_category, "OCCASIONAL");
}

#[tokio::test]
async fn typed_availability_calls_round_trip() {
    let (_sb, base) = sandbox().await;
    let c = client(&base, "CUBE_WEB");
    let pos = c.get_pos_config().await.unwrap();
    let catalog = c.get_catalog_detailed().await.unwrap();
    let event = catalog.products().find(|p| p.event.is_some()).unwrap();
    let perf = &event.event.as_ref().unwrap().performances[0];

    let per_cat = c
        .get_event_availability(&EventAvailabilityRequest {
            point_of_sales_id: Some(pos.pos_id),
            event_ids: vec![event.id],
            seat_category_ids: vec![SeatCategoryId(-1)],
            ..Default::default()
        })
        .await
        .unwrap();
    let perfs = event.event.as_ref().unwrap().performances.len();
    assert_eq!(
        per_cat.len(),
        perfs * 3,
        "one item per performance and category"
    );
    let capacity: u32 = per_cat
        .iter()
        .filter(|i| i.performance_id == Some(perf.id))
        .map(|i| i.capacity)
        .sum();
    assert_eq!(capacity, 20 * 20 + 8 * 18);

    let total = c
        .get_performance_availability(&EventAvailabilityRequest {
            point_of_sales_id: Some(pos.pos_id),
            performance_ids: vec![perf.id],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(total.len(), 1);
    assert_eq!(total[0].availability, 544);
    assert_eq!(total[0].availability_level, AvailabilityLevel::Good);
    assert_eq!(total[0].availability_color, AvailabilityColor::Green);

    // a wrong point of sale is a business error, not a crash
    let err = c
        .get_performance_availability(&EventAvailabilityRequest {
            point_of_sales_id: Some(PosId(1)),
            performance_ids: vec![perf.id],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Other(ref code, _) if code == "error.invalidParameter"),
        "{err:?}"
    );

    let subs = catalog
        .products()
        .find(|p| p.package_line.is_some())
        .unwrap();
    let st = c
        .get_product_availability(&ProductAvailabilityRequest {
            point_of_sales_id: Some(pos.pos_id),
            product_ids: vec![subs.id],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(st[0].availability, 544);

    let changed = c
        .get_updated_availabilities(&UpdatedAvailabilitiesRequest {
            point_of_sales_id: Some(pos.pos_id),
            product_ids: vec![event.id],
            reference_date: Some((chrono::Utc::now() - chrono::Duration::hours(1)).fixed_offset()),
        })
        .await
        .unwrap();
    assert_eq!(changed.len(), 1);
    let unchanged = c
        .get_updated_availabilities(&UpdatedAvailabilitiesRequest {
            point_of_sales_id: Some(pos.pos_id),
            product_ids: vec![event.id],
            reference_date: Some(chrono::Utc::now().fixed_offset()),
        })
        .await
        .unwrap();
    assert!(unchanged.is_empty());
}

#[tokio::test]
async fn time_slots_of_a_day() {
    let (_sb, base) = sandbox().await;
    let c = client(&base, "MOSA_WEB");
    let pos = c.get_pos_config().await.unwrap();
    let catalog = c.get_catalog_detailed().await.unwrap();
    let visit = catalog.products().find(|p| p.code == "VISIT").unwrap();
    let first = &visit.pass.as_ref().unwrap().timeslots[0];
    let day = first.start.format("%Y-%m-%d").to_string();
    let items = c
        .get_product_availability(&ProductAvailabilityRequest {
            point_of_sales_id: Some(pos.pos_id),
            product_ids: vec![visit.id],
            date: Some(day),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        !items.is_empty() && items.len() <= 16,
        "{} slots",
        items.len()
    );
    assert!(items
        .iter()
        .all(|i| i.timeslot_id.is_some() && i.capacity == 40));

    // guided tours of that day: English at 11:00, French at 14:00, German at 16:00
    let ids: Vec<_> = items.iter().filter_map(|i| i.timeslot_id).collect();
    let tours = c
        .get_available_theme_and_language(&ThemeAndLanguageRequest {
            pass_id: visit.id,
            timeslot_ids: ids.clone(),
        })
        .await
        .unwrap();
    let langs: Vec<&str> = tours.iter().map(|t| t.language_code.as_str()).collect();
    if ids.len() == 16 {
        assert_eq!(langs, ["en", "fr", "de"]);
    }
    assert!(tours.iter().all(|t| ids.contains(&t.timeslot_id)));
    // not a pass: a business error
    let audio = catalog.products().find(|p| p.code == "AUDIO").unwrap();
    let err = c
        .get_available_theme_and_language(&ThemeAndLanguageRequest {
            pass_id: audio.id,
            timeslot_ids: ids,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Other(ref code, _) if code == "error.invalidParameter"));

    // getCatalog: the same tree without prices
    let light: s360::model::catalog::CatalogResult = c
        .call(
            Service::Catalog,
            "getCatalog",
            &serde_json::json!({}),
            s360::client::Idempotency::Safe,
        )
        .await
        .unwrap();
    let light = light.catalog_data.unwrap();
    assert_eq!(light.products().count(), 3);
    assert!(light
        .products()
        .flat_map(|p| p.event.iter().flat_map(|e| e.performances.iter()))
        .all(|perf| perf.prices.is_empty()));
}

#[tokio::test]
async fn wrong_secret_is_unauthorized() {
    let (_sb, base) = sandbox().await;
    let c = Client::new(ClientConfig::new(&base, "MOSA_WEB", "wrong")).unwrap();
    assert!(matches!(c.get_pos_config().await, Err(Error::Unauthorized)));
}

#[tokio::test]
async fn concurrent_reads_hit_the_caches() {
    let (sb, base) = sandbox().await;
    let c = client(&base, "PLAY_WEB");
    let cache = CatalogCache::new(c.clone());
    assert!(cache.refresh().await.unwrap());
    let snap = cache.snapshot().unwrap();
    let avail = AvailabilityCache::new(c.clone(), snap.pos.pos_id, Duration::from_secs(600));
    let product = snap.catalog.products().next().unwrap().clone();

    let before = sb.call_counts();
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let cache = cache.clone();
        let avail = avail.clone();
        let product = product.clone();
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                assert!(cache.snapshot().is_some());
            } else {
                assert!(!avail.get(&product).await.unwrap().is_empty());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let after = sb.call_counts();
    let delta = |svc: Service, m: &str| {
        after.get(&(svc, m.to_string())).copied().unwrap_or(0)
            - before.get(&(svc, m.to_string())).copied().unwrap_or(0)
    };
    assert_eq!(delta(Service::Catalog, "getCatalogDetailed"), 0);
    assert_eq!(
        delta(Service::Availability, "getEventAvailability"),
        1,
        "single-flight"
    );
    let m = c.metrics();
    // readers that arrived while the first fetch was in flight count as misses, but waited
    // for that one fetch instead of calling S-360
    assert!(m.cache_hits + m.cache_misses >= 1000);
    assert!(m.cache_hits >= 500, "{} hits", m.cache_hits);
}

#[tokio::test]
async fn setup_change_reaches_the_cache_through_the_setup_service() {
    let (sb, base) = sandbox().await;
    let c = client(&base, "CUBE_WEB");
    let cache = CatalogCache::new(c.clone());
    assert!(cache.refresh().await.unwrap());
    assert!(
        !cache.refresh().await.unwrap(),
        "unchanged setup: no refetch"
    );
    let v1 = cache.snapshot().unwrap().setup_version;

    assert!(sb.setup_change("CUBE", |inst| {
        let p = &mut inst.catalog.seasons[0].products[0];
        p.external_name = s360::Translations::of(&[("en", "Renamed in the back office")]);
    }));
    // getCatalogDetailed is spent for 10 minutes: the refresh must use setupService
    assert!(cache.refresh().await.unwrap());
    let snap = cache.snapshot().unwrap();
    assert!(snap.setup_version > v1);
    assert!(snap
        .catalog
        .products()
        .any(|p| p.external_name.best("en", "en") == "Renamed in the back office"));
    assert_eq!(
        snap.catalog.seasons[0].audience_categories.len(),
        2,
        "tariff groups kept"
    );
    assert_eq!(
        c.metrics().calls_of(Service::Catalog, "getCatalogDetailed"),
        1
    );
    assert!(
        c.metrics()
            .calls_of(Service::Setup, "searchProductsByCriteria")
            >= 1
    );
}

#[tokio::test]
async fn outage_serves_the_last_catalog_and_the_breaker_opens_and_closes() {
    let (sb, base) = sandbox().await;
    let mut cfg = ClientConfig::new(&base, "MOSA_WEB", "sandbox");
    cfg.max_attempts = 1;
    cfg.breaker_threshold = 3;
    cfg.breaker_cooldown = Duration::from_millis(300);
    let c = Client::new(cfg).unwrap();
    let cache = CatalogCache::new(c.clone());
    cache.refresh().await.unwrap();

    sb.set_faults(Faults {
        outage: true,
        ..Faults::default()
    });
    for _ in 0..3 {
        assert!(matches!(cache.refresh().await, Err(Error::Unavailable(_))));
    }
    assert_eq!(c.breaker_state(), BreakerState::Open);
    assert!(matches!(cache.refresh().await, Err(Error::CircuitOpen)));
    assert!(cache.snapshot().is_some(), "last good catalog still served");
    assert!(cache.last_check().1.is_some(), "the failure is visible");

    sb.set_faults(Faults::default());
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(c.breaker_state(), BreakerState::HalfOpen);
    cache.refresh().await.unwrap();
    assert_eq!(c.breaker_state(), BreakerState::Closed);
}

#[tokio::test]
async fn in_progress_is_polled_with_the_same_request_id() {
    let (_sb, base) = sandbox_with(Config {
        catalog_in_progress: Some(Duration::from_millis(500)),
        ..Config::default()
    })
    .await;
    let c = client(&base, "MOSA_WEB");
    let catalog = c.get_catalog_detailed().await.unwrap();
    assert_eq!(catalog.products().count(), 3);
    assert!(c.metrics().calls_of(Service::Catalog, "getCatalogDetailed") >= 2);
}

#[tokio::test]
async fn retries_transient_failures_of_reads() {
    let (sb, base) = sandbox().await;
    let mut cfg = ClientConfig::new(&base, "MOSA_WEB", "sandbox");
    cfg.breaker_threshold = 50; // this test is about retries, not the breaker
    let c = Client::new(cfg).unwrap();
    c.get_pos_config().await.unwrap();
    sb.set_faults(Faults {
        error_rate: [("catalogService".to_string(), 25u8)].into(),
        ..Faults::default()
    });
    // without retries ~10 of 40 reads would fail; with 3 attempts a read fails with
    // probability 1/64, so more than 4 failures (p < 0.1 %) means retries are broken
    let mut ok = 0;
    for _ in 0..40 {
        if c.get_last_setup_update().await.is_ok() {
            ok += 1;
        }
    }
    assert!(ok >= 36, "{ok}/40 succeeded");
    let m = c.metrics();
    assert!(
        m.calls
            .get(&(Service::Catalog, "getLastSetupUpdate".into()))
            .unwrap()
            .errors
            > 0
    );
}

/// The client's limiter keeps a burst well beyond the plan under S-360's limit: no 509.
#[tokio::test]
async fn queued_calls_never_hit_the_platform_limit() {
    let (sb, base) = sandbox().await;
    sb.set_limits(sandbox::Limits {
        per_minute: 240,
        ..Default::default()
    });
    let mut cfg = ClientConfig::new(&base, "PLAY_WEB", "sandbox");
    cfg.max_attempts = 1; // a 509 would surface as an error
    cfg.limits = LimiterConfig {
        per_minute: 240,
        ..LimiterConfig::default()
    };
    let c = Client::new(cfg).unwrap();
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..300 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move { c.get_last_setup_update().await }));
    }
    let mut limited = 0;
    for t in tasks {
        if let Err(Error::RateLimited { .. }) = t.await.unwrap() {
            limited += 1;
        }
    }
    assert_eq!(limited, 0, "no 509 from the platform");
    let m = c.metrics();
    assert_eq!(m.calls_of(Service::Catalog, "getLastSetupUpdate"), 300);
    assert!(m.limiter_waits > 0, "the burst was queued");
    assert!(started.elapsed() > Duration::from_secs(15));
}

#[tokio::test]
async fn seat_maps_are_single_flight_and_short_lived() {
    let (sb, base) = sandbox().await;
    let c = client(&base, "CUBE_WEB");
    let cache = CatalogCache::new(c.clone());
    cache.refresh().await.unwrap();
    let snap = cache.snapshot().unwrap();
    let avail = AvailabilityCache::new(c.clone(), snap.pos.pos_id, Duration::from_secs(600));
    let perf = snap
        .catalog
        .products()
        .find_map(|p| p.event.as_ref().map(|e| e.performances[0].id))
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let avail = avail.clone();
        tasks.push(tokio::spawn(async move {
            avail.seat_map(perf).await.unwrap().seats.len()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 544);
    }
    let calls = |sb: &Sandbox| {
        sb.call_counts()
            .get(&(Service::Availability, "getSeatsAvailability".to_string()))
            .copied()
            .unwrap_or(0)
    };
    assert_eq!(calls(&sb), 1, "single-flight");
    tokio::time::sleep(s360::client::SEAT_MAP_TTL + Duration::from_millis(200)).await;
    avail.seat_map(perf).await.unwrap();
    assert_eq!(calls(&sb), 2, "refetched after the TTL");
}

/// A directory of its own for a test's files, removed at the end.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "s360-contract-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Issue 12: after a restart S-360 answers `getCatalogDetailed` with 509 and a Retry-After of
/// ~596 s; the client slept all of it, so the fallback through setupService was never reached.
#[tokio::test]
async fn a_retry_after_beyond_the_deadline_fails_the_call_at_once() {
    let (_sb, base) = sandbox().await;
    client(&base, "CUBE_WEB")
        .get_catalog_detailed()
        .await
        .unwrap();

    // the restarted shop: a new client, the platform's 10-minute budget spent
    let restarted = client(&base, "CUBE_WEB");
    let started = std::time::Instant::now();
    let err = restarted
        .with_deadline(Duration::from_secs(2))
        .get_catalog_detailed()
        .await
        .unwrap_err();
    let took = started.elapsed();
    match err {
        Error::RateLimited { retry_after } => {
            assert!(retry_after > Duration::from_secs(500), "{retry_after:?}")
        }
        other => panic!("{other:?}"),
    }
    assert!(took <= Duration::from_secs(2), "took {took:?}");
    assert_eq!(
        restarted
            .metrics()
            .calls_of(Service::Catalog, "getCatalogDetailed"),
        1,
        "one 509, no retry"
    );

    // the default deadline (2 minutes) is shorter than the Retry-After too: the catalog cache
    // falls back to setupService at once
    let restarted = client(&base, "CUBE_WEB");
    let cache = CatalogCache::new(restarted.clone());
    let started = std::time::Instant::now();
    assert!(cache.refresh().await.unwrap());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(cache.snapshot().unwrap().catalog.products().count(), 4);
    assert!(restarted.metrics().calls_of(Service::Setup, "listSeasons") >= 1);
    // and other catalogService calls are not held back by that method's 10 minutes
    let started = std::time::Instant::now();
    restarted.get_pos_config().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// Issue 12: the last good catalog is kept on disk and served at once by the next process;
/// the first refresh only checks the setup date.
#[tokio::test]
async fn the_disk_copy_of_the_catalog_is_served_after_a_restart() {
    let (sb, base) = sandbox().await;
    let dir = TempDir::new("disk-copy");
    let path = CatalogCache::disk_copy_path(&dir.0, "CUBE");
    assert_eq!(path, dir.0.join("catalog").join("CUBE.json"));

    let first = CatalogCache::with_disk_copy(client(&base, "CUBE_WEB"), &path);
    assert!(first.snapshot().is_none(), "nothing on disk yet");
    assert!(first.refresh().await.unwrap());
    assert!(path.is_file());
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let loaded = first.snapshot().unwrap();

    let restarted = client(&base, "CUBE_WEB");
    let second = CatalogCache::with_disk_copy(restarted.clone(), &path);
    let served = second.snapshot().expect("served from disk before any call");
    assert_eq!(served.catalog, loaded.catalog);
    assert_eq!(served.pos, loaded.pos);
    assert_eq!(served.setup_version, loaded.setup_version);
    assert_eq!(served.fetched_at, loaded.fetched_at, "its age is honest");
    assert_eq!(restarted.metrics().calls.len(), 0);
    assert!(!second.refresh().await.unwrap(), "setup unchanged: kept");
    assert_eq!(
        restarted
            .metrics()
            .calls_of(Service::Catalog, "getCatalogDetailed"),
        0
    );

    // a change is fetched (through setupService: the budget is spent) and written
    assert!(sb.setup_change("CUBE", |inst| {
        let p = &mut inst.catalog.seasons[0].products[0];
        p.external_name = s360::Translations::of(&[("en", "Renamed after the restart")]);
    }));
    assert!(second.refresh().await.unwrap());
    let third = CatalogCache::with_disk_copy(client(&base, "CUBE_WEB"), &path);
    let snap = third.snapshot().unwrap();
    assert!(snap
        .catalog
        .products()
        .any(|p| p.external_name.best("en", "en") == "Renamed after the restart"));
    assert_eq!(
        snap.catalog.physical_configurations, loaded.catalog.physical_configurations,
        "venues kept through the setupService rebuild"
    );

    // another operator's copy, or a damaged file, is not used
    assert!(
        CatalogCache::with_disk_copy(client(&base, "MOSA_WEB"), &path)
            .snapshot()
            .is_none()
    );
    std::fs::write(&path, b"{\"truncated").unwrap();
    assert!(
        CatalogCache::with_disk_copy(client(&base, "CUBE_WEB"), &path)
            .snapshot()
            .is_none()
    );
}

/// A catalog rebuilt from setupService without a full one before it (no venues) is completed
/// by getCatalogDetailed once that budget allows, though the setup did not change.
#[tokio::test]
async fn a_catalog_rebuilt_without_venues_is_completed_later() {
    let interval = Duration::from_secs(2);
    let (_sb, base) = sandbox_with(Config {
        limits: sandbox::Limits {
            catalog_detailed_interval: interval,
            ..Default::default()
        },
        ..Config::default()
    })
    .await;
    let full = client(&base, "CUBE_WEB")
        .get_catalog_detailed()
        .await
        .unwrap();
    assert!(!full.physical_configurations.is_empty());

    let mut cfg = ClientConfig::new(&base, "CUBE_WEB", "sandbox");
    cfg.limits.catalog_detailed_interval = interval;
    // a deadline shorter than the Retry-After (2 s): no waiting for it
    let c = Client::new(cfg)
        .unwrap()
        .with_deadline(Duration::from_secs(1));
    let cache = CatalogCache::new(c.clone());
    assert!(cache.refresh().await.unwrap(), "rebuilt from setupService");
    assert!(cache
        .snapshot()
        .unwrap()
        .catalog
        .physical_configurations
        .is_empty());
    assert!(!cache.refresh().await.unwrap(), "still within the budget");
    tokio::time::sleep(interval + Duration::from_millis(200)).await;
    assert!(cache.refresh().await.unwrap(), "completed");
    let snap = cache.snapshot().unwrap();
    assert_eq!(snap.catalog, full);
    assert!(
        !cache.refresh().await.unwrap(),
        "complete: nothing more to do"
    );
}

/// Issue 12: callers that gave up while queued for the rate budget (their request cancelled)
/// kept their slots; a lone buyer after the rush waited 46.5 s behind nobody.
#[tokio::test]
async fn abandoned_calls_give_their_slots_back() {
    let (sb, base) = sandbox().await;
    let c = client(&base, "MOSA_WEB"); // 60 a minute, 54 for us: a burst of 54
    let mut burst = Vec::new();
    for _ in 0..54 {
        let c = c.clone();
        burst.push(tokio::spawn(async move { c.get_last_setup_update().await }));
    }
    for t in burst {
        t.await.unwrap().unwrap();
    }
    // 100 more queue (up to ~110 s), then their requests are cancelled
    let mut queued = Vec::new();
    for _ in 0..100 {
        let c = c.clone();
        queued.push(tokio::spawn(async move { c.get_last_setup_update().await }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(queued.iter().all(|t| !t.is_finished()), "all queued");
    for t in queued {
        t.abort();
        assert!(t.await.unwrap_err().is_cancelled());
    }
    let started = std::time::Instant::now();
    c.get_last_setup_update().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "waited {:?} behind abandoned calls",
        started.elapsed()
    );
    assert_eq!(
        sb.call_counts()[&(Service::Catalog, "getLastSetupUpdate".to_string())],
        55,
        "the abandoned calls never went out"
    );
}

/// Issue 12: finalising paid orders keeps a share of the order services' budget that the
/// anonymous carts and lookups cannot take.
#[tokio::test]
async fn priority_calls_go_through_while_ordinary_calls_queue() {
    let (_sb, base) = sandbox().await;
    // 54 a minute for us, 20 % of it kept for priority calls: 43 ordinary at once
    let c = client(&base, "PLAY_WEB");
    let lookup = |c: &Client| {
        let c = c.clone();
        tokio::spawn(async move {
            // an unknown order: a cheap call of externalOrderService all the same
            let r = c
                .get_order_details(s360::model::order::OrderId(1), None)
                .await;
            assert!(!matches!(r, Err(Error::RateLimited { .. })), "{r:?}");
        })
    };
    let burst: Vec<_> = (0..43).map(|_| lookup(&c)).collect();
    for t in burst {
        t.await.unwrap();
    }
    let queued: Vec<_> = (0..40).map(|_| lookup(&c)).collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        queued.iter().all(|t| !t.is_finished()),
        "ordinary calls queue"
    );

    let paid = c.with_priority(Priority::PaidOrder);
    assert_eq!(paid.priority(), Priority::PaidOrder);
    assert_eq!(c.priority(), Priority::Normal);
    for i in 0..5 {
        let started = std::time::Instant::now();
        let r = paid
            .get_order_details(s360::model::order::OrderId(1), None)
            .await;
        assert!(matches!(r, Err(Error::NotFound(_))), "{r:?}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "priority call {i} waited {:?}",
            started.elapsed()
        );
    }
    assert!(
        queued.iter().all(|t| !t.is_finished()),
        "the ordinary queue did not move ahead of them"
    );
    for t in queued {
        t.abort();
    }
}
