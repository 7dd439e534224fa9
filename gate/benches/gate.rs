//! The gate at a sold-out stadium: `cargo bench -p gate --bench gate [-- TICKETS]` (or
//! `scripts/bench.sh gate`). Not a timed test: it prints figures for README.
//!
//! 1. A full sync of PLAY's match M01 with TICKETS tickets (40,000 by default) from the
//!    sandbox, at S-360's default pace (its rate limit and our client's limiter): time and
//!    `exportList` calls. 2. An incremental sync with nothing new, then after 500 tickets were
//!    cancelled. 3. Scan decisions: as fast as two devices can go, then paced at 500 scans a
//!    second for 20 seconds (open loop: latency from the moment a scan was due, so a slow
//!    decision shows as the queue it causes), p50/p99/max.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gate::{Gate, Scanner};
use s360::client::{Client, ClientConfig};
use sandbox::admin_tickets::CancelCause;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn config() -> gate::GateConfig {
    use gate::config::{GateDef, ListScope};
    gate::GateConfig {
        lists: vec![ListScope {
            season: "PLAY26".into(),
            products: vec![],
        }],
        gates: ["A", "C", "N", "S"]
            .iter()
            .map(|g| GateDef {
                code: (*g).into(),
                name: format!("Gate {g}"),
                entrances: vec![format!("GATE_{g}")],
            })
            .collect(),
        attention_tariffs: vec!["CHILD".into()],
        stewards: vec![],
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let tickets: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(40_000);
    let seeded = Instant::now();
    let sb = sandbox::Sandbox::new(sandbox::Config {
        stadium_tickets: tickets,
        ..Default::default()
    });
    println!(
        "sandbox seeded with {tickets} tickets in {:.2} s",
        seeded.elapsed().as_secs_f64()
    );
    let addr = sb.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let dir = std::env::temp_dir().join(format!("gate-bench-{}", std::process::id()));
    let client = Client::new(ClientConfig::new(
        format!("http://{addr}"),
        "PLAY_WEB",
        "sandbox",
    ))
    .unwrap();
    let g = Arc::new(Gate::open("PLAY", config(), &dir, client).unwrap());
    let calls = |sb: &sandbox::Sandbox| {
        sb.call_counts()
            .get(&(s360::Service::AccessControl, "exportList".to_string()))
            .copied()
            .unwrap_or(0)
    };

    let t = Instant::now();
    let full = g.export_now().await.unwrap();
    let (held, _) = g.store().ticket_count().unwrap();
    println!(
        "full sync:        {:>8.2} s, {} exportList calls, {} tickets held",
        t.elapsed().as_secs_f64(),
        calls(&sb),
        held,
    );
    g.store().checkpoint().unwrap();
    let size = |f: &str| std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0);
    println!(
        "database:         {:>8.1} MB after a checkpoint ({:.1} MB of log)",
        size("gate-PLAY.sqlite") as f64 / 1e6,
        size("gate-PLAY.sqlite-wal") as f64 / 1e6
    );
    assert_eq!(held as u32, tickets);
    assert!(full.complete);

    let before = calls(&sb);
    let t = Instant::now();
    let none = g.export_now().await.unwrap();
    println!(
        "incremental sync: {:>8.3} s, {} call(s), {} changes",
        t.elapsed().as_secs_f64(),
        calls(&sb) - before,
        none.items
    );
    for t in sb.tickets("PLAY", Some("M01"), 500).unwrap() {
        sb.cancel_ticket("PLAY", &t.barcode, CancelCause::Refunded)
            .unwrap();
    }
    let before = calls(&sb);
    let t = Instant::now();
    let some = g.export_now().await.unwrap();
    println!(
        "incremental sync: {:>8.3} s, {} call(s), {} changes (500 cancelled)",
        t.elapsed().as_secs_f64(),
        calls(&sb) - before,
        some.items
    );

    // every valid barcode, with the gate that admits it
    let codes: Vec<(String, String)> = {
        let conn = g.store().lock();
        let mut stmt = conn
            .prepare("SELECT barcode, entrance_code FROM tickets WHERE valid = 1 ORDER BY barcode")
            .unwrap();
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .unwrap();
        rows.map(Result::unwrap)
            .map(|(b, e)| (b, e.trim_start_matches("GATE_").to_string()))
            .collect()
    };
    g.set_doors("M01", true).unwrap();

    // as fast as two devices go
    let half = 10_000.min(codes.len() / 2);
    let t = Instant::now();
    let handles: Vec<_> = (0..2)
        .map(|d| {
            let g = g.clone();
            let mine: Vec<(String, String)> = codes[d * half..(d + 1) * half].to_vec();
            std::thread::spawn(move || {
                for (code, gate) in mine {
                    let who = Scanner {
                        gate,
                        device: format!("bench-{d}"),
                        steward: "bench".into(),
                    };
                    assert!(g.scan(&who, &code).unwrap().outcome.admitted());
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let fast = t.elapsed();
    println!(
        "scan decisions:   {:>8.0} per second ({} admissions by 2 devices in {:.2} s)",
        (2 * half) as f64 / fast.as_secs_f64(),
        2 * half,
        fast.as_secs_f64()
    );

    // the server checkpoints the log in the background (every 15 s); here every 2 s
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let checkpoints = {
        let (g, stop) = (g.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                g.store().checkpoint().unwrap();
                std::thread::sleep(Duration::from_secs(2));
            }
        })
    };
    // paced at 500 a second, open loop, two devices of 250 each
    let rest: Vec<(String, String)> = codes[2 * half..].to_vec();
    let per_device = (rest.len() / 2).min(5_000);
    let rate = 250.0;
    let start = Instant::now() + Duration::from_millis(50);
    let handles: Vec<_> = (0..2)
        .map(|d| {
            let g = g.clone();
            let mine: Vec<(String, String)> = rest[d * per_device..(d + 1) * per_device].to_vec();
            std::thread::spawn(move || {
                let mut lat = Vec::with_capacity(mine.len());
                for (i, (code, gate)) in mine.into_iter().enumerate() {
                    let due = start
                        + Duration::from_secs_f64(i as f64 / rate)
                        + Duration::from_micros(d as u64 * 2_000);
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let who = Scanner {
                        gate,
                        device: format!("paced-{d}"),
                        steward: "bench".into(),
                    };
                    let ok = g.scan(&who, &code).unwrap().outcome.admitted();
                    assert!(ok);
                    lat.push(Instant::now().duration_since(due));
                }
                lat
            })
        })
        .collect();
    let mut lat: Vec<Duration> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    checkpoints.join().unwrap();
    lat.sort();
    println!(
        "at 500 scans/s:   {} scans, p50 {}, p99 {}, max {}",
        lat.len(),
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99)),
        ms(*lat.last().unwrap_or(&Duration::ZERO))
    );
    let (pending, _, _) = g.store().report_counts().unwrap();
    let t = Instant::now();
    let sent = g.report_now().await.unwrap();
    println!(
        "report:           {:>8.2} s, {} controls in {} importControlledTicket calls ({} pending before)",
        t.elapsed().as_secs_f64(),
        sent.reported,
        sent.calls,
        pending
    );
    let _ = std::fs::remove_dir_all(&dir);
}
