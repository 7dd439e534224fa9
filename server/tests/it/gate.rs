//! Access control (seed 002): the gate's sync with S-360, its decisions, its reports, and the
//! stewards' screens, against the sandbox's sold-out stadium (PLAY, match M01).

use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use gate::{Gate, Outcome, Scanner};
use s360::client::{Client, ClientConfig};
use sandbox::admin_tickets::{AdminTicket, CancelCause};
use sandbox::Faults;

use crate::support::{self, location, Browser, Shop, TempDir};

/// A sandbox with `tickets` sold for PLAY's first match, without rate limits (the gate's own
/// pace is what these tests look at).
async fn stadium(tickets: u32) -> (Arc<sandbox::Sandbox>, String) {
    support::external_sandbox(sandbox::Config {
        limits: sandbox::Limits {
            per_minute: 0,
            catalog_detailed_interval: Duration::from_millis(1),
        },
        stadium_tickets: tickets,
        ..Default::default()
    })
    .await
}

/// PLAY's demo gate configuration (as the embedded sandbox's shop has it).
fn play_config() -> gate::GateConfig {
    server::config::sandbox_tenants("sandbox")
        .into_iter()
        .find(|t| t.code == "PLAY")
        .and_then(|t| t.gate)
        .expect("PLAY has gates")
}

/// A settable clock, starting now.
#[derive(Clone)]
struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    fn new() -> Self {
        TestClock(Arc::new(Mutex::new(Utc::now())))
    }
    fn advance(&self, d: Duration) {
        let mut t = self.0.lock().unwrap();
        *t += chrono::Duration::from_std(d).unwrap();
    }
    fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap() = t;
    }
    fn clock(&self) -> gate::Clock {
        let c = self.0.clone();
        Arc::new(move || *c.lock().unwrap())
    }
}

fn open_gate(s360: &str, dir: &TempDir, clock: &TestClock) -> Gate {
    open_gate_with(s360, dir, clock, Duration::from_secs(15))
}

fn open_gate_with(s360: &str, dir: &TempDir, clock: &TestClock, timeout: Duration) -> Gate {
    open_gate_at(s360, dir.0.as_path(), clock, timeout)
}

fn open_gate_at(s360: &str, dir: &std::path::Path, clock: &TestClock, timeout: Duration) -> Gate {
    let mut cfg = ClientConfig::new(s360.to_string(), "PLAY_WEB", "sandbox");
    cfg.breaker_cooldown = Duration::from_millis(50);
    cfg.request_timeout = timeout;
    Gate::open("PLAY", play_config(), dir, Client::new(cfg).unwrap())
        .unwrap()
        .with_clock(clock.clock())
}

fn at(gate: &str, device: &str) -> Scanner {
    Scanner {
        gate: gate.into(),
        device: device.into(),
        steward: "steward".into(),
    }
}

fn tickets(sb: &sandbox::Sandbox, f: impl Fn(&AdminTicket) -> bool, n: usize) -> Vec<AdminTicket> {
    sb.tickets("PLAY", Some("M01"), sandbox::admin_tickets::MAX_LIST)
        .unwrap()
        .into_iter()
        .filter(|t| t.valid && f(t))
        .take(n)
        .collect()
}

/// A ticket of the gate's own list (the sandbox lists its first 1,000 only, all GATE_A seats).
fn listed(g: &Gate, entrance: &str) -> String {
    g.store()
        .lock()
        .query_row(
            "SELECT barcode FROM tickets WHERE entrance_code = ?1 AND valid = 1 ORDER BY barcode LIMIT 1",
            [entrance],
            |r| r.get(0),
        )
        .unwrap()
}

fn export_calls(sb: &sandbox::Sandbox) -> u64 {
    sb.call_counts()
        .get(&(s360::Service::AccessControl, "exportList".to_string()))
        .copied()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_walk_stores_every_ticket_once_then_only_changes_come() {
    let (sb, s360) = stadium(4_500).await;
    let dir = TempDir::new("gate-walk");
    let clock = TestClock::new();
    let g = open_gate(&s360, &dir, &clock);
    let first = g.export_now().await.unwrap();
    assert!(first.complete);
    assert!(!first.event_day, "M01 is days away: the lead-up pace");
    // 5 pages of at most 1,000 (the last one short ends the walk)
    assert_eq!(export_calls(&sb), 5);
    let (total, valid) = g.store().ticket_count().unwrap();
    assert_eq!((total, valid), (4_500, 4_500));
    assert!(g
        .store()
        .performances()
        .unwrap()
        .iter()
        .any(|p| p.code == "M01"));
    assert_eq!(g.time_zone().name(), "Europe/Zurich");

    // within the hour: not due; an hour later: only what changed (nothing)
    assert_eq!(g.export_if_due().await.unwrap(), None);
    clock.advance(Duration::from_secs(3_601));
    let again = g.export_if_due().await.unwrap().expect("due after an hour");
    assert_eq!(again.items, 0);
    assert_eq!(export_calls(&sb), 6);

    // cancelled after the first sync: refused with its cause after the next one
    let victim = tickets(&sb, |t| t.entrance_code.as_deref() == Some("GATE_A"), 1).remove(0);
    sb.cancel_ticket("PLAY", &victim.barcode, CancelCause::Stolen)
        .unwrap();
    g.set_doors("M01", true).unwrap();
    let later = g.export_now().await.unwrap();
    assert!(later.event_day);
    assert!(later.items >= 1, "{later:?}");
    let d = g.scan(&at("A", "d1"), &victim.barcode).unwrap();
    assert_eq!(
        d.outcome,
        Outcome::Cancelled {
            cause: "STOLEN".into()
        }
    );
    // a reprint: the old print is refused, the new one admitted
    let reprinted = tickets(&sb, |t| t.entrance_code.as_deref() == Some("GATE_A"), 2).remove(1);
    let r = sb.reprint_ticket("PLAY", &reprinted.barcode).unwrap();
    clock.advance(Duration::from_secs(61));
    g.export_if_due()
        .await
        .unwrap()
        .expect("due a minute later on event day");
    assert_eq!(
        g.scan(&at("A", "d1"), &r.old_barcode).unwrap().outcome,
        Outcome::Invalidated
    );
    assert_eq!(
        g.scan(&at("A", "d1"), &r.new_barcode).unwrap().outcome,
        Outcome::Admitted { attention: false }
    );
    // reprinted after it entered: the new print is no second entry
    let entered = tickets(&sb, |t| t.entrance_code.as_deref() == Some("GATE_A"), 3).remove(2);
    assert!(g
        .scan(&at("A", "d1"), &entered.barcode)
        .unwrap()
        .outcome
        .admitted());
    let again = sb.reprint_ticket("PLAY", &entered.barcode).unwrap();
    clock.advance(Duration::from_secs(61));
    g.export_if_due()
        .await
        .unwrap()
        .expect("due a minute later");
    match g.scan(&at("A", "d2"), &again.new_barcode).unwrap().outcome {
        Outcome::AlreadyEntered { gate, .. } => assert_eq!(gate, "A"),
        o => panic!("{o:?}"),
    }
    // event day: at most once a minute
    assert_eq!(g.export_if_due().await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_two_pages_neither_loses_nor_repeats_a_page() {
    let (sb, s360) = stadium(3_500).await;
    let dir = TempDir::new("gate-crash");
    let clock = TestClock::new();
    {
        let g = open_gate(&s360, &dir, &clock);
        let part = g.export_pages(2).await.unwrap();
        assert!(!part.complete);
        assert_eq!(g.store().ticket_count().unwrap().0, 2_000);
        // the process dies here: nothing is flushed or closed by hand
        std::mem::forget(g);
    }
    assert_eq!(export_calls(&sb), 2);
    let g = open_gate(&s360, &dir, &clock);
    let rest = g.export_now().await.unwrap();
    assert!(rest.complete);
    // the two remaining pages only: no page asked twice
    assert_eq!(export_calls(&sb), 4);
    assert_eq!(rest.items, 1_500);
    assert_eq!(g.store().ticket_count().unwrap(), (3_500, 3_500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_scan_is_decided_from_the_local_list() {
    // past the 2,600 GATE_A seats of blocks B1-B4: some GATE_C ones
    let (sb, s360) = stadium(2_700).await;
    let dir = TempDir::new("gate-decide");
    let clock = TestClock::new();
    let g = open_gate(&s360, &dir, &clock);
    g.export_now().await.unwrap();
    let gate_a = |t: &AdminTicket| t.entrance_code.as_deref() == Some("GATE_A");
    let adult = tickets(
        &sb,
        |t| gate_a(t) && t.audience_sub_category_code == "ADULT",
        3,
    );
    // doors closed: a ticket for M01 is not valid now, and names its event
    match g.scan(&at("A", "d1"), &adult[0].barcode).unwrap().outcome {
        Outcome::NotValidNow { .. } => {}
        o => panic!("{o:?}"),
    }
    g.set_doors("M01", true).unwrap();
    clock.advance(Duration::from_secs(5));
    let d = g.scan(&at("A", "d1"), &adult[0].barcode).unwrap();
    assert_eq!(d.outcome, Outcome::Admitted { attention: false });
    // again from another device, or the same after the burst window: already entered
    match g.scan(&at("C", "d2"), &adult[0].barcode).unwrap().outcome {
        Outcome::AlreadyEntered { gate, .. } => assert_eq!(gate, "A"),
        o => panic!("{o:?}"),
    }
    // a tax number typed by hand, in any case
    let typed = adult[1].tax_number.to_ascii_lowercase();
    assert_eq!(
        g.scan(&at("A", "d1"), &typed).unwrap().outcome,
        Outcome::Admitted { attention: false }
    );
    // wrong entrance names the right gate
    let gate_c = listed(&g, "GATE_C");
    assert_eq!(
        g.scan(&at("A", "d1"), &gate_c).unwrap().outcome,
        Outcome::WrongEntrance {
            entrance: "GATE_C".into(),
            gates: vec!["C".into()]
        }
    );
    // a child: amber, with the holder's name and birth date
    let child = tickets(
        &sb,
        |t| gate_a(t) && t.audience_sub_category_code == "CHILD",
        1,
    )
    .remove(0);
    let d = g.scan(&at("A", "d1"), &child.barcode).unwrap();
    assert_eq!(d.outcome, Outcome::Admitted { attention: true });
    let holder = &d.ticket.unwrap().holder;
    assert!(holder.full_name().is_some(), "{holder:?}");
    assert!(holder.birthdate.is_some(), "{holder:?}");
    // not issued by S-360: logged, never reported
    let before = g.store().report_counts().unwrap();
    let d = g.scan(&at("A", "d1"), "0000000000000000000").unwrap();
    assert_eq!(d.outcome, Outcome::Unknown);
    assert!(d.scan_id.is_some());
    assert_eq!(g.store().report_counts().unwrap(), before);
    // every decision is in the log, which refuses to be rewritten
    let log = g.store().scans(100).unwrap();
    assert_eq!(log.len(), 7);
    let conn = g.store().lock();
    assert!(conn.execute("DELETE FROM scans", []).is_err());
    assert!(conn
        .execute("UPDATE scans SET outcome = 'admitted'", [])
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_at_the_same_instant_admit_a_ticket_once_and_a_burst_counts_once() {
    let (sb, s360) = stadium(2_700).await;
    let dir = TempDir::new("gate-race");
    let clock = TestClock::new();
    let g = Arc::new(open_gate(&s360, &dir, &clock));
    g.export_now().await.unwrap();
    g.set_doors("M01", true).unwrap();
    let list = tickets(&sb, |t| t.entrance_code.as_deref() == Some("GATE_A"), 40);
    for t in &list {
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = ["d1", "d2"]
            .into_iter()
            .map(|device| {
                let (g, b, code) = (g.clone(), barrier.clone(), t.barcode.clone());
                std::thread::spawn(move || {
                    b.wait();
                    g.scan(&at("A", device), &code).unwrap().outcome
                })
            })
            .collect();
        let outcomes: Vec<Outcome> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let admitted = outcomes.iter().filter(|o| o.admitted()).count();
        assert_eq!(admitted, 1, "{outcomes:?}");
        assert!(outcomes
            .iter()
            .any(|o| matches!(o, Outcome::AlreadyEntered { .. })));
    }
    // a hardware scanner sending one code twice in a burst: one decision, one log entry
    let t = listed(&g, "GATE_C");
    let rows = g.store().scans(10_000).unwrap().len();
    let first = g.scan(&at("C", "d3"), &t).unwrap();
    let second = g.scan(&at("C", "d3"), &t).unwrap();
    assert_eq!(first.outcome, Outcome::Admitted { attention: false });
    assert_eq!(second.outcome, first.outcome);
    assert_eq!(second.scan_id, None);
    assert_eq!(g.store().scans(10_000).unwrap().len(), rows + 1);
    // after the burst window it is a second entry attempt
    clock.advance(gate::BURST + Duration::from_secs(1));
    assert!(matches!(
        g.scan(&at("C", "d3"), &t).unwrap().outcome,
        Outcome::AlreadyEntered { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_s360_down_the_gates_go_on_and_every_control_is_reported_once_when_it_is_back() {
    let (sb, s360) = stadium(200).await;
    let dir = TempDir::new("gate-outage");
    let clock = TestClock::new();
    let g = open_gate(&s360, &dir, &clock);
    g.export_now().await.unwrap();
    g.set_doors("M01", true).unwrap();
    let list = tickets(&sb, |t| t.entrance_code.as_deref() == Some("GATE_A"), 6);
    sb.set_faults(Faults {
        outage: true,
        ..Default::default()
    });
    for t in &list[..3] {
        assert!(g
            .scan(&at("A", "d1"), &t.barcode)
            .unwrap()
            .outcome
            .admitted());
    }
    assert!(g.report_now().await.is_err());
    assert!(
        g.export_now().await.is_err(),
        "the list cannot be synced either"
    );
    // the gates still decide from their list
    for t in &list[3..] {
        assert!(g
            .scan(&at("A", "d1"), &t.barcode)
            .unwrap()
            .outcome
            .admitted());
    }
    // one refusal of a valid ticket is a control too (FAIL)
    assert!(!g
        .scan(&at("A", "d2"), &list[0].barcode)
        .unwrap()
        .outcome
        .admitted());
    assert_eq!(g.store().report_counts().unwrap().0, 7);
    // a process killed now loses nothing: the controls are in the database
    std::mem::forget(g);
    let g = open_gate(&s360, &dir, &clock);
    assert_eq!(g.store().report_counts().unwrap().0, 7);
    sb.set_faults(Faults::default());
    tokio::time::sleep(Duration::from_millis(100)).await; // the breaker's cooldown
    let sent = g.report_now().await.unwrap();
    assert_eq!((sent.reported, sent.refused, sent.calls), (7, 0, 1));
    assert_eq!(g.store().report_counts().unwrap(), (0, 7, 0));
    // nothing goes twice
    assert_eq!(g.report_now().await.unwrap().calls, 0);
    let client = g.client();
    for t in &list {
        let c = client.get_controlled_ticket(&t.barcode).await.unwrap();
        let ok = c
            .control_operations
            .iter()
            .filter(|o| o.control_operation_type == s360::model::ticket::ControlOperationType::Ok)
            .count();
        assert_eq!(ok, 1, "{}: {:?}", t.barcode, c.control_operations);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_blacklisted_after_its_scan_is_refused_once_and_the_rest_goes_out() {
    let (sb, s360) = stadium(100).await;
    let dir = TempDir::new("gate-blacklist");
    let clock = TestClock::new();
    let g = open_gate(&s360, &dir, &clock);
    g.export_now().await.unwrap();
    g.set_doors("M01", true).unwrap();
    let list = tickets(&sb, |t| t.entrance_code.as_deref() == Some("GATE_A"), 3);
    for t in &list {
        assert!(g
            .scan(&at("A", "d1"), &t.barcode)
            .unwrap()
            .outcome
            .admitted());
    }
    // cancelled in S-360 after the scan, before the report
    sb.cancel_ticket("PLAY", &list[1].barcode, CancelCause::Refunded)
        .unwrap();
    let sent = g.report_now().await.unwrap();
    assert_eq!((sent.reported, sent.refused, sent.calls), (2, 1, 2));
    assert_eq!(g.store().report_counts().unwrap(), (0, 2, 1));
    assert_eq!(g.report_now().await.unwrap().calls, 0, "never retried");
}

/// A TOML configuration giving PLAY a gate (stewards `head` and `anna`, "correct horse").
fn gate_toml(dir: &TempDir) -> std::path::PathBuf {
    let hash = gate::config::hash_password("correct horse");
    let toml = format!(
        r#"
[[tenants]]
code = "PLAY"
operator = "PLAY_WEB"
secret = "sandbox"
languages = ["de", "en", "fr"]

[tenants.gate]
lists = [{{ season = "PLAY26" }}]
attention_tariffs = ["CHILD"]
gates = [
  {{ code = "A", name = "Gate A – Main stand", entrances = ["GATE_A"] }},
  {{ code = "C", name = "Gate C – Ends", entrances = ["GATE_C"] }},
]
stewards = [
  {{ name = "head", password_hash = "{hash}", head = true }},
  {{ name = "anna", password_hash = "{hash}" }},
]
"#
    );
    let path = dir.0.join("shop.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// A shop whose TOML configuration gives PLAY a gate, against a stadium sandbox.
async fn shop_with_gate(tickets: u32) -> (Shop, TempDir) {
    let (sb, s360) = stadium(tickets).await;
    let dir = TempDir::new("gate-shop");
    let path = gate_toml(&dir);
    let data = dir.0.join("data");
    let shop = Shop::with(&[
        ("S360_BASE_URL", s360.as_str()),
        ("SHOP_CONFIG", path.to_str().unwrap()),
        ("SHOP_DATA_DIR", data.to_str().unwrap()),
    ])
    .sandbox(sb)
    .start()
    .await;
    (shop, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_steward_logs_in_chooses_a_gate_and_scans_over_http() {
    let (shop, _dir) = shop_with_gate(120).await;
    let g = shop.running.state.gates.get("PLAY").unwrap().clone();
    g.export_now().await.unwrap();
    g.set_doors("M01", true).unwrap();
    let b = Browser::new(&shop.base);
    let english = |r: reqwest::RequestBuilder| r.header("accept-language", "en");

    let r = b.send(english(b.http.get(b.url("/gate")))).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Steward login"), "{html}");
    // the scan API without a steward: 401 with words
    let r = b
        .send(
            b.http
                .post(b.url("/gate/api/scan"))
                .header("origin", &shop.base)
                .json(&serde_json::json!({"code": "123"})),
        )
        .await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("error"));
    // a wrong password: 401, the form again; a buyer's cookie is no steward's
    let r = b
        .post_form("/gate/login", &[("user", "anna"), ("password", "wrong")])
        .await;
    assert_eq!(r.status(), 401);
    let before = b.session_id();
    let r = b
        .post_form(
            "/gate/login",
            &[("user", "anna"), ("password", "correct horse")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/gate");
    assert_ne!(b.session_id(), before, "a new session id at login");
    // not a head steward: no overview
    assert_eq!(b.get("/gate/overview").await.status(), 403);
    let r = b.post_form("/gate/select", &[("gate", "Z")]).await;
    assert_eq!(r.status(), 422);
    let r = b.post_form("/gate/select", &[("gate", "A")]).await;
    assert_eq!(location(&r), "/gate/scan");
    let page = b.get("/gate/scan?lang=en").await.text().await.unwrap();
    assert!(page.contains("id=\"scan-code\""), "{page}");
    assert!(page.contains("Gate A – Main stand"));

    let t = tickets(
        shop.sandbox(),
        |t| t.entrance_code.as_deref() == Some("GATE_A") && t.audience_sub_category_code == "ADULT",
        2,
    );
    let scan = |code: String| {
        let b = &b;
        let base = shop.base.clone();
        async move {
            let r = b
                .send(
                    b.http
                        .post(b.url("/gate/api/scan"))
                        .header("origin", base)
                        .json(&serde_json::json!({ "code": code })),
                )
                .await;
            (
                r.status().as_u16(),
                r.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let (status, v) = scan(t[0].barcode.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(v["outcome"], "admitted");
    assert_eq!(v["colour"], "green");
    assert_eq!(v["title"], "Admitted");
    assert_eq!(v["counters"]["admitted"], 1);
    let (_, v) = scan(t[0].barcode.clone()).await;
    assert_eq!(v["outcome"], "admitted", "a burst counts once");
    let (status, v) = scan(String::new()).await;
    assert_eq!(status, 400);
    assert!(v["error"].as_str().unwrap().contains("Scan or type"));
    // a child's ticket: amber, the tariff named as the catalog names it, the holder shown
    let child = tickets(
        shop.sandbox(),
        |t| t.entrance_code.as_deref() == Some("GATE_A") && t.audience_sub_category_code == "CHILD",
        1,
    )
    .remove(0);
    let (_, v) = scan(child.barcode.clone()).await;
    assert_eq!(v["colour"], "amber");
    assert_eq!(v["title"], "Check ID");
    assert!(
        v["reason"].as_str().unwrap().contains("Child (under 16)"),
        "{v}"
    );
    assert!(v["holder"].to_string().contains("Born"), "{v}");
    let (_, v) = scan("9999".into()).await;
    assert_eq!(v["outcome"], "unknown");
    assert_eq!(v["colour"], "red");

    // without JavaScript: the form posts and the page answers
    let r = b
        .post_form("/gate/scan", &[("code", t[1].tax_number.as_str())])
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("data-outcome=\"admitted\""), "{page}");
    // a cross-site post is refused before any decision
    let r = b
        .send(
            b.http
                .post(b.url("/gate/api/scan"))
                .header("origin", "http://evil.example")
                .json(&serde_json::json!({"code": t[1].barcode})),
        )
        .await;
    assert_eq!(r.status(), 403);

    // the head steward's overview
    let head = Browser::new(&shop.base);
    head.post_form(
        "/gate/login",
        &[("user", "head"), ("password", "correct horse")],
    )
    .await;
    let page = head
        .get("/gate/overview?lang=en")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-testid=\"sync-state\""), "{page}");
    assert!(page.contains("Controls not yet reported"));
    let r = head
        .post_form(
            "/gate/overview/doors",
            &[("performance", "NOPE"), ("action", "open")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = head.post_form("/gate/overview/sync", &[]).await;
    assert!([200, 429].contains(&r.status().as_u16()), "{}", r.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_day_comes_by_itself_in_the_institutions_time_zone() {
    let (_sb, s360) = stadium(10).await;
    let dir = TempDir::new("gate-day");
    let clock = TestClock::new();
    let g = open_gate(&s360, &dir, &clock);
    g.export_now().await.unwrap();
    let m01 = g
        .store()
        .performances()
        .unwrap()
        .into_iter()
        .find(|p| p.code == "M01")
        .unwrap();
    let start = m01.start.with_timezone(&Utc);
    let open = |g: &Gate| g.open_performances().iter().any(|p| p.code == "M01");
    clock.set(start - chrono::Duration::days(2));
    assert!(!g.event_day());
    assert!(g.event_scopes().is_empty());
    // the morning of the match, local time: event day (today's performance synced every
    // minute, by its code alone), doors still closed
    clock.set(start - chrono::Duration::hours(8));
    assert!(g.event_day());
    let scopes = g.event_scopes();
    assert_eq!(scopes.len(), 1);
    assert_eq!(scopes[0].performances, vec!["M01".to_string()]);
    assert!(
        scopes[0].products.is_empty(),
        "season tickets carry M01 too"
    );
    assert!(!open(&g));
    // three hours before kick-off the doors open by themselves, and close three hours after
    clock.set(start - chrono::Duration::minutes(179));
    assert!(open(&g));
    clock.set(start + chrono::Duration::minutes(179));
    assert!(open(&g));
    clock.set(start + chrono::Duration::minutes(181));
    assert!(!open(&g));
    // a head steward closes them early, and opens them again
    clock.set(start);
    g.set_doors("M01", false).unwrap();
    assert!(!open(&g));
    g.set_doors("M01", true).unwrap();
    assert!(open(&g));
    // an opening by hand does not outlive its performance
    clock.set(start + chrono::Duration::hours(7));
    assert!(!open(&g));
    assert!(!g.event_day(), "past midnight, in Zurich");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_sent_without_an_answer_is_checked_before_it_is_sent_again() {
    let (sb, s360) = stadium(100).await;
    let dir = TempDir::new("gate-doubt");
    let clock = TestClock::new();
    let g = open_gate_with(&s360, &dir, &clock, Duration::from_millis(300));
    g.export_now().await.unwrap();
    g.set_doors("M01", true).unwrap();
    let list = tickets(&sb, |t| t.entrance_code.as_deref() == Some("GATE_A"), 3);
    for t in &list {
        assert!(g
            .scan(&at("A", "d1"), &t.barcode)
            .unwrap()
            .outcome
            .admitted());
    }
    // S-360 imports the batch, but its answer comes after our timeout
    sb.set_faults(Faults {
        answer_delay_ms: 800,
        ..Default::default()
    });
    match g.report_now().await {
        Err(gate::Error::S360(e)) => assert!(e.may_have_been_applied(), "{e}"),
        other => panic!("{other:?}"),
    }
    sb.set_faults(Faults::default());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent = g.report_now().await.unwrap();
    // three lookups find the three controls: nothing is sent again
    assert_eq!((sent.reported, sent.calls), (3, 3), "{sent:?}");
    assert_eq!(g.store().report_counts().unwrap(), (0, 3, 0));
    for t in &list {
        let c = g.client().get_controlled_ticket(&t.barcode).await.unwrap();
        assert_eq!(c.control_operations.len(), 1, "{:?}", c.control_operations);
    }
}

/// The shop's own binary, killed with SIGKILL in the middle of the scans and started again: no
/// decision and no control is lost, and they all go to S-360 once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gate_server_killed_with_sigkill_loses_no_control() {
    let (sb, s360) = stadium(100).await;
    let dir = TempDir::new("gate-kill");
    let config = gate_toml(&dir);
    let data = dir.0.join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let start = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_shop"))
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("S360_BASE_URL", &s360)
            .env("SHOP_CONFIG", &config)
            .env("SHOP_DATA_DIR", &data)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let ready = |base: String| async move {
        let http = reqwest::Client::new();
        for _ in 0..600 {
            if http
                .get(format!("{base}/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the shop never became ready");
    };
    let mut child = start();
    ready(base.clone()).await;
    let head = Browser::new(&base);
    let r = head
        .post_form(
            "/gate/login",
            &[("user", "head"), ("password", "correct horse")],
        )
        .await;
    assert_eq!(r.status(), 303);
    // the list first (the shop's own sync may already be running: "sync now" then says 429)
    let r = head.post_form("/gate/overview/sync", &[]).await;
    assert!([200, 429].contains(&r.status().as_u16()));
    let mut opened = false;
    for _ in 0..100 {
        let r = head
            .post_form(
                "/gate/overview/doors",
                &[("performance", "M01"), ("action", "open")],
            )
            .await;
        if r.status() == 303 {
            opened = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(opened, "M01 never appeared on the gate's list");
    head.post_form("/gate/select", &[("gate", "A")]).await;
    let list = tickets(&sb, |t| t.entrance_code.as_deref() == Some("GATE_A"), 20);
    for t in &list {
        let mut outcome = serde_json::Value::Null;
        // the list may still be arriving: an unknown ticket is asked again a moment later
        for _ in 0..100 {
            let r = head
                .send(
                    head.http
                        .post(head.url("/gate/api/scan"))
                        .header("origin", &base)
                        .json(&serde_json::json!({ "code": t.barcode })),
                )
                .await;
            outcome = r.json::<serde_json::Value>().await.unwrap()["outcome"].clone();
            if outcome != "unknown" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(outcome, "admitted");
    }
    // SIGKILL: no shutdown, no flush
    child.kill().unwrap();
    child.wait().unwrap();
    let clock = TestClock::new();
    {
        let g = open_gate_at(&s360, &data, &clock, Duration::from_secs(15));
        let admitted: i64 = g
            .store()
            .lock()
            .query_row(
                "SELECT COUNT(*) FROM scans WHERE outcome = 'admitted'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(admitted, 20);
        let (pending, reported, _) = g.store().report_counts().unwrap();
        assert_eq!(pending + reported, 20);
        std::mem::forget(g);
    }
    // started again, it reports what was left, each control once
    let mut child = start();
    ready(base.clone()).await;
    let head = Browser::new(&base);
    head.post_form(
        "/gate/login",
        &[("user", "head"), ("password", "correct horse")],
    )
    .await;
    let client = Client::new(ClientConfig::new(s360.clone(), "PLAY_WEB", "sandbox")).unwrap();
    let mut all_once = false;
    for _ in 0..300 {
        head.post_form("/gate/overview/sync", &[]).await;
        let mut once = 0;
        for t in &list {
            let c = client.get_controlled_ticket(&t.barcode).await.unwrap();
            assert!(
                c.control_operations.len() <= 1,
                "{:?}",
                c.control_operations
            );
            once += c.control_operations.len();
        }
        if once == list.len() {
            all_once = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(all_once, "every control reported once");
}
