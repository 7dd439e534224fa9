//! Access control at the venue (seed 002, contract §11).
//!
//! S-360 lets **one** access-control client handle a product, so a gate server is the single
//! authority of its venue: the scanning devices (stewards' browsers) talk to it, never to
//! S-360. It keeps its own copy of the list ([`sync`]: `exportList` in GREY mode, every page,
//! then only what changed), decides every scan from that copy ([`decide`]), logs every
//! decision in an append-only table ([`store`]) and reports the controls back in batches
//! ([`report`]: `importControlledTicket`). S-360 down: the gates go on deciding.

rust_i18n::i18n!("locales", fallback = "en");

pub mod config;
pub mod decide;
pub mod report;
pub mod store;
pub mod sync;
pub mod web;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use s360::client::Client;

pub use config::GateConfig;
pub use decide::Outcome;
use store::{Performance, Store, Ticket};

/// Doors open this long before a performance's start...
pub const DOORS_BEFORE: chrono::Duration = chrono::Duration::hours(3);
/// ... and close this long after it.
pub const DOORS_AFTER: chrono::Duration = chrono::Duration::hours(3);

/// Head stewards' decisions: performances opened by hand, and performances closed by hand.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Doors {
    #[serde(default)]
    pub opened: Vec<String>,
    #[serde(default)]
    pub closed: Vec<String>,
}

/// The clock (tests move it).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the gate database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error(transparent)]
    S360(#[from] s360::client::Error),
}

/// Who scans: the gate, the device (one browser session) and the steward.
#[derive(Debug, Clone)]
pub struct Scanner {
    pub gate: String,
    pub device: String,
    pub steward: String,
}

/// A decision and what the screen shows with it.
#[derive(Debug, Clone)]
pub struct Decision {
    pub outcome: Outcome,
    /// The ticket, when the code is on the list.
    pub ticket: Option<Ticket>,
    /// The log entry (`None` for a repeat within the burst window, which counts once).
    pub scan_id: Option<i64>,
    pub at: DateTime<Utc>,
}

/// A scanner that sends the code it just sent again within this time (hardware scanners do)
/// gets the first decision again, not "already entered".
pub const BURST: Duration = Duration::from_secs(1);

/// Per gate: (admitted, refused).
pub type GateCounts = std::collections::HashMap<String, (i64, i64)>;

/// One institution's gates.
pub struct Gate {
    pub institution: String,
    pub config: GateConfig,
    store: Store,
    client: Client,
    clock: Clock,
    tz: Mutex<Option<Tz>>,
    /// One sync (export or report) at a time.
    sync_lock: tokio::sync::Mutex<()>,
    /// Today's counters: (start of the day as stored, gate -> (admitted, refused)).
    counts: Mutex<(String, GateCounts)>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("institution", &self.institution)
            .field("config", &self.config)
            .finish()
    }
}

impl Gate {
    /// Opens (or creates) `{data_dir}/gate-{INSTITUTION}.sqlite`.
    pub fn open(
        institution: &str,
        config: GateConfig,
        data_dir: &Path,
        client: Client,
    ) -> Result<Gate, String> {
        config.validate(institution)?;
        std::fs::create_dir_all(data_dir)
            .map_err(|e| format!("SHOP_DATA_DIR: cannot create {}: {e}", data_dir.display()))?;
        let path = data_dir.join(format!("gate-{institution}.sqlite"));
        let store =
            Store::open(&path).map_err(|e| format!("the gate database {}: {e}", path.display()))?;
        let tz = store
            .meta("time_zone")
            .ok()
            .flatten()
            .and_then(|z| z.parse().ok());
        Ok(Gate {
            institution: institution.to_string(),
            config,
            store,
            client,
            clock: Arc::new(Utc::now),
            tz: Mutex::new(tz),
            sync_lock: tokio::sync::Mutex::new(()),
            counts: Mutex::default(),
        })
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The institution's time zone (`getTimeZone`, kept), UTC until known.
    pub fn time_zone(&self) -> Tz {
        self.tz
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .unwrap_or(Tz::UTC)
    }

    fn set_time_zone(&self, tz: Tz) {
        *self.tz.lock().unwrap_or_else(|p| p.into_inner()) = Some(tz);
    }

    /// The performances whose doors are open now: each from [`DOORS_BEFORE`] before its start
    /// to [`DOORS_AFTER`] after it (a matinee's tickets do not enter the evening show), unless
    /// a head steward closed it; and those a head steward opened by hand, until
    /// [`DOORS_AFTER`] after their start.
    pub fn open_performances(&self) -> Vec<Performance> {
        let now = self.now();
        let doors = self.doors();
        self.store
            .performances()
            .unwrap_or_default()
            .into_iter()
            .filter(|p| {
                let start = p.start.with_timezone(&Utc);
                let end = start + DOORS_AFTER;
                let by_hand = doors.opened.contains(&p.code) && now < end;
                let by_time = now >= start - DOORS_BEFORE && now < end;
                by_hand || (by_time && !doors.closed.contains(&p.code))
            })
            .collect()
    }

    /// Today's performances in the institution's time zone, and those open now: what the
    /// event-day sync walks every minute.
    pub fn todays_performances(&self) -> Vec<Performance> {
        let tz = self.time_zone();
        let today = self.now().with_timezone(&tz).date_naive();
        let open: Vec<String> = self
            .open_performances()
            .into_iter()
            .map(|p| p.code)
            .collect();
        self.store
            .performances()
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p.start.with_timezone(&tz).date_naive() == today || open.contains(&p.code))
            .collect()
    }

    /// What head stewards decided about the doors.
    pub fn doors(&self) -> Doors {
        self.store
            .meta("doors")
            .ok()
            .flatten()
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default()
    }

    /// Opens (or closes) the doors for a performance by hand; an opening ends by itself
    /// [`DOORS_AFTER`] after the performance's start.
    pub fn set_doors(&self, performance: &str, open: bool) -> Result<(), Error> {
        let mut doors = self.doors();
        doors.opened.retain(|d| d != performance);
        doors.closed.retain(|d| d != performance);
        if open {
            doors.opened.push(performance.to_string());
        } else {
            doors.closed.push(performance.to_string());
        }
        self.store
            .set_meta("doors", &serde_json::to_string(&doors).unwrap_or_default())?;
        Ok(())
    }

    /// Event day (seed 002): a performance today in the institution's time zone, or one whose
    /// doors are open.
    pub fn event_day(&self) -> bool {
        !self.todays_performances().is_empty()
    }

    /// Decides a scan (a barcode, or a tax number typed by a steward), logs it, and answers.
    /// Two devices scanning one ticket at the same instant: the store's lock orders them and
    /// the second sees the first's admission (a unique index backs this up).
    pub fn scan(&self, who: &Scanner, input: &str) -> Result<Decision, Error> {
        let code: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        let open = self.open_performances();
        let known = self.store.performances()?;
        let now = self.now();
        let mut conn = self.store.lock();
        let tx = conn.transaction()?;
        let ticket = Store::find(&tx, &code)?;
        let key = ticket
            .as_ref()
            .map_or(code.as_str(), |t| t.barcode.as_str());
        if let Some(last) = Store::last_scan(&tx, &who.device)? {
            let same = last.barcode.as_deref() == Some(key) || last.input == code;
            if same
                && now
                    .signed_duration_since(last.at)
                    .to_std()
                    .unwrap_or_default()
                    < BURST
            {
                let outcome = self.replay(&last, ticket.as_ref());
                return Ok(Decision {
                    outcome,
                    ticket,
                    scan_id: None,
                    at: last.at,
                });
            }
        }
        let outcome = match &ticket {
            None => Outcome::Unknown,
            Some(t) => {
                // a reprint does not make a second entry: the old print's admission counts
                let admission = match Store::admission(&tx, &t.barcode)? {
                    Some(s) => Some(s),
                    None => Store::reprinted_admission(&tx, t)?,
                }
                .map(|s| (s.at, s.gate));
                decide::decide(
                    t,
                    admission,
                    &decide::Context {
                        config: &self.config,
                        gate: &who.gate,
                        now,
                        open: &open,
                        known: &known,
                    },
                )
            }
        };
        tx.execute(
            "INSERT INTO scans (at, device, gate, steward, input, barcode, outcome, detail, report)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            rusqlite::params![
                store::ts(now),
                who.device,
                who.gate,
                who.steward,
                code.chars().take(128).collect::<String>(),
                ticket.as_ref().map(|t| t.barcode.clone()),
                outcome.code(),
                serde_json::to_string(&outcome).ok(),
                if outcome.reported() {
                    store::REPORT_PENDING
                } else {
                    store::REPORT_NONE
                },
            ],
        )?;
        let scan_id = tx.last_insert_rowid();
        tx.commit()?;
        drop(conn);
        self.count(&who.gate, now, outcome.admitted());
        Ok(Decision {
            outcome,
            ticket,
            scan_id: Some(scan_id),
            at: now,
        })
    }

    /// The decision logged for an earlier scan.
    fn replay(&self, row: &store::ScanRow, ticket: Option<&Ticket>) -> Outcome {
        row.detail
            .as_deref()
            .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .and_then(|v| decode_outcome(&v))
            .unwrap_or_else(|| match ticket {
                None => Outcome::Unknown,
                Some(_) => Outcome::AlreadyEntered {
                    at: row.at,
                    gate: row.gate.clone(),
                },
            })
    }

    /// The start of today in the institution's time zone, as stored.
    pub fn midnight(&self) -> String {
        let tz = self.time_zone();
        let now = self.now();
        store::ts(
            now.with_timezone(&tz)
                .date_naive()
                .and_hms_opt(0, 0, 0)
                .and_then(|d| d.and_local_timezone(tz).earliest())
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or(now),
        )
    }

    /// Today's figures per gate (gate -> admitted, refused), read from the log once a day and
    /// then counted as scans are decided: a scan answer must not count the whole log.
    pub fn today(&self) -> GateCounts {
        let since = self.midnight();
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if c.0 != since {
            let rows = self.store.gate_counts(&since).unwrap_or_default();
            *c = (
                since,
                rows.into_iter().map(|(g, a, r)| (g, (a, r))).collect(),
            );
        }
        c.1.clone()
    }

    fn count(&self, gate: &str, at: DateTime<Utc>, admitted: bool) {
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if !c.0.is_empty() && store::ts(at) >= c.0 {
            let e = c.1.entry(gate.to_string()).or_default();
            if admitted {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
    }

    /// Counters of a gate since the start of today in the institution's time zone:
    /// (admitted here, refused here, admitted at every gate).
    pub fn counters(&self, gate: &str) -> (i64, i64, i64) {
        let today = self.today();
        let mine = today.get(gate).copied().unwrap_or_default();
        (mine.0, mine.1, today.values().map(|v| v.0).sum())
    }

    /// Starts the background work: the list's sync and the reports, at the seed's pace.
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let gate = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(15));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = gate.export_if_due().await {
                    tracing::warn!(institution = %gate.institution, error = %e, "gate: list sync failed");
                }
                if let Err(e) = gate.report_if_due().await {
                    tracing::warn!(institution = %gate.institution, error = %e, "gate: reporting controls failed");
                }
                let g = gate.clone();
                if let Ok(Err(e)) = tokio::task::spawn_blocking(move || g.store.checkpoint()).await
                {
                    tracing::warn!(institution = %gate.institution, error = %e, "gate: checkpoint failed");
                }
            }
        })
    }
}

fn decode_outcome(v: &serde_json::Value) -> Option<Outcome> {
    serde_json::from_value(v.clone()).ok()
}
