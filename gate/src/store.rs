//! The gate's own database: the list synced from S-360, the cursors, and the append-only log
//! of every scan decision. SQLite in WAL mode in the data directory, one file per institution.
//!
//! Durability: every decision and every page of the list is one transaction. WAL with
//! `synchronous=NORMAL` makes a committed transaction survive the death of the process
//! (`kill -9`); only a power cut can lose the last few, which a venue's server on a UPS does
//! not see. One connection behind a mutex: SQLite writes one transaction at a time anyway,
//! and the mutex is what makes two devices' scans of one ticket admit it once.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use s360::model::ticket::AccessControlListItem;
use serde::Serialize;

pub use rusqlite::Error as DbError;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS tickets (
    barcode TEXT PRIMARY KEY,
    tax_number TEXT NOT NULL,
    valid INTEGER NOT NULL,
    cancellation_cause TEXT,
    season_code TEXT NOT NULL,
    product_code TEXT NOT NULL,
    performance_code TEXT,
    tariff TEXT NOT NULL,
    seat_category TEXT,
    entrance_code TEXT,
    area_code TEXT,
    block_code TEXT,
    row_number TEXT,
    seat_number TEXT,
    validity_start TEXT,
    validity_end TEXT,
    first_name TEXT,
    last_name TEXT,
    id_number TEXT,
    birthdate TEXT,
    country_code TEXT,
    last_update TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_tax_number ON tickets(tax_number);
CREATE INDEX IF NOT EXISTS tickets_seat ON tickets(performance_code, block_code, row_number, seat_number);

CREATE TABLE IF NOT EXISTS cursors (
    scope TEXT PRIMARY KEY,
    cursor TEXT,
    complete INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS performances (
    code TEXT PRIMARY KEY,
    season_code TEXT NOT NULL,
    product_code TEXT NOT NULL,
    name TEXT NOT NULL,
    start TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- every decision, never deleted nor rewritten: only its report state moves on
CREATE TABLE IF NOT EXISTS scans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    device TEXT NOT NULL,
    gate TEXT NOT NULL,
    steward TEXT NOT NULL,
    input TEXT NOT NULL,
    barcode TEXT,
    outcome TEXT NOT NULL,
    detail TEXT,
    -- 0: not for S-360 (unknown barcode, blacklisted ticket), 1: to report, 2: reported,
    -- 3: refused by S-360 (blacklisted since the scan), never retried
    report INTEGER NOT NULL,
    reported_at TEXT,
    report_error TEXT
);
-- a ticket is admitted once, whatever the gate or the device
CREATE UNIQUE INDEX IF NOT EXISTS scans_admitted_once ON scans(barcode) WHERE outcome = 'admitted';
CREATE INDEX IF NOT EXISTS scans_to_report ON scans(report) WHERE report = 1;
CREATE INDEX IF NOT EXISTS scans_device ON scans(device, id);
CREATE INDEX IF NOT EXISTS scans_gate_at ON scans(at, gate);
CREATE TRIGGER IF NOT EXISTS scans_append_only_delete BEFORE DELETE ON scans
BEGIN SELECT RAISE(ABORT, 'the scan log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS scans_append_only_update BEFORE UPDATE OF at, device, gate, steward, input, barcode, outcome, detail ON scans
BEGIN SELECT RAISE(ABORT, 'the scan log is append-only'); END;
"#;

/// A timestamp as stored: UTC, fixed width, so that text order is time order.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The holder fields an institution may send (seed 002).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Holder {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub id_number: Option<String>,
    pub birthdate: Option<String>,
    pub country_code: Option<String>,
}

impl Holder {
    pub fn is_empty(&self) -> bool {
        *self == Holder::default()
    }

    pub fn full_name(&self) -> Option<String> {
        match (&self.first_name, &self.last_name) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (Some(n), None) | (None, Some(n)) => Some(n.clone()),
            (None, None) => None,
        }
    }
}

/// A ticket of the local list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ticket {
    pub barcode: String,
    pub tax_number: String,
    pub valid: bool,
    pub cancellation_cause: Option<String>,
    pub season_code: String,
    pub product_code: String,
    pub performance_code: Option<String>,
    pub tariff: String,
    pub seat_category: Option<String>,
    pub entrance_code: Option<String>,
    pub area_code: Option<String>,
    pub block_code: Option<String>,
    pub row_number: Option<String>,
    pub seat_number: Option<String>,
    pub validity_start: Option<DateTime<FixedOffset>>,
    pub validity_end: Option<DateTime<FixedOffset>>,
    pub holder: Holder,
    pub last_update: DateTime<Utc>,
}

impl Ticket {
    pub fn from_item(i: &AccessControlListItem) -> Ticket {
        let field = |name: &str| {
            i.holder_data
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| h.value.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        Ticket {
            barcode: i.barcode.trim().to_string(),
            tax_number: i.tax_number.trim().to_ascii_uppercase(),
            valid: i.valid,
            cancellation_cause: i.cancellation_cause.clone(),
            season_code: i.season_code.clone(),
            product_code: i.product_code.clone(),
            performance_code: i.performance_code.clone(),
            tariff: i.audience_sub_category_code.clone(),
            seat_category: i.seat_category_code.clone(),
            entrance_code: i.entrance_code.clone(),
            area_code: i.area_code.clone(),
            block_code: i.block_code.clone(),
            row_number: i.row_number.clone(),
            seat_number: i.seat_number.clone(),
            validity_start: i.validity_start_date,
            validity_end: i.validity_end_date,
            holder: Holder {
                first_name: field("FIRSTNAME"),
                last_name: field("LASTNAME"),
                id_number: field("ID_NUMBER"),
                birthdate: field("BIRTHDATE"),
                country_code: field("COUNTRY_CODE"),
            },
            last_update: i.last_update.with_timezone(&Utc),
        }
    }

    fn from_row(r: &rusqlite::Row) -> rusqlite::Result<Ticket> {
        let when = |s: Option<String>| s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok());
        Ok(Ticket {
            barcode: r.get("barcode")?,
            tax_number: r.get("tax_number")?,
            valid: r.get("valid")?,
            cancellation_cause: r.get("cancellation_cause")?,
            season_code: r.get("season_code")?,
            product_code: r.get("product_code")?,
            performance_code: r.get("performance_code")?,
            tariff: r.get("tariff")?,
            seat_category: r.get("seat_category")?,
            entrance_code: r.get("entrance_code")?,
            area_code: r.get("area_code")?,
            block_code: r.get("block_code")?,
            row_number: r.get("row_number")?,
            seat_number: r.get("seat_number")?,
            validity_start: when(r.get("validity_start")?),
            validity_end: when(r.get("validity_end")?),
            holder: Holder {
                first_name: r.get("first_name")?,
                last_name: r.get("last_name")?,
                id_number: r.get("id_number")?,
                birthdate: r.get("birthdate")?,
                country_code: r.get("country_code")?,
            },
            last_update: r
                .get::<_, String>("last_update")
                .map(|s| parse_ts(&s).unwrap_or_default())?,
        })
    }
}

/// A performance the gates may open their doors for (from `getAccessControlCatalog`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Performance {
    pub code: String,
    pub season_code: String,
    pub product_code: String,
    pub name: String,
    pub start: DateTime<FixedOffset>,
}

/// One scan as logged.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub device: String,
    pub gate: String,
    pub steward: String,
    pub input: String,
    pub barcode: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
    pub report: i64,
}

impl ScanRow {
    fn from_row(r: &rusqlite::Row) -> rusqlite::Result<ScanRow> {
        Ok(ScanRow {
            id: r.get("id")?,
            at: r
                .get::<_, String>("at")
                .map(|s| parse_ts(&s).unwrap_or_default())?,
            device: r.get("device")?,
            gate: r.get("gate")?,
            steward: r.get("steward")?,
            input: r.get("input")?,
            barcode: r.get("barcode")?,
            outcome: r.get("outcome")?,
            detail: r.get("detail")?,
            report: r.get("report")?,
        })
    }
}

/// Where a walk of the list stands.
#[derive(Debug, Clone, PartialEq)]
pub struct CursorRow {
    pub scope: String,
    pub cursor: Option<String>,
    pub complete: bool,
    pub updated_at: String,
}

pub const REPORT_NONE: i64 = 0;
pub const REPORT_PENDING: i64 = 1;
pub const REPORT_DONE: i64 = 2;
pub const REPORT_REFUSED: i64 = 3;

pub struct Store {
    conn: Mutex<Connection>,
    path: std::path::PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, DbError> {
        let conn = Connection::open(path)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(%mode, "the gate database is not in WAL mode");
        }
        // checkpoints are the background's work (`checkpoint`), not a scan's: a scan that
        // also copied the log into the database would wait ten milliseconds; the automatic
        // one stays as a backstop for a log of 40 MB
        conn.execute_batch(
            "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;
             PRAGMA wal_autocheckpoint=10000;",
        )?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        })
    }

    /// Copies the write-ahead log into the database from a connection of its own, without
    /// blocking the scans (a passive checkpoint waits for no writer).
    pub fn checkpoint(&self) -> Result<(), DbError> {
        let conn = Connection::open(&self.path)?;
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
    }

    /// The connection, for one transaction. A panic while it was held leaves SQLite's own
    /// state consistent (an open transaction is rolled back when dropped), so a poisoned
    /// lock is taken over.
    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn cursor(&self, scope: &str) -> Result<Option<(Option<String>, bool)>, DbError> {
        self.lock()
            .query_row(
                "SELECT cursor, complete FROM cursors WHERE scope = ?1",
                [scope],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
    }

    /// One page of `exportList`: its items and the cursor after it, in one transaction. An
    /// item older than the stored one (two scopes can export one ticket) is skipped.
    pub fn apply_page(
        &self,
        scope: &str,
        items: &[AccessControlListItem],
        cursor: Option<&str>,
        complete: bool,
        now: DateTime<Utc>,
    ) -> Result<usize, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let mut applied = 0;
        {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO tickets (barcode, tax_number, valid, cancellation_cause, season_code,
                    product_code, performance_code, tariff, seat_category, entrance_code, area_code,
                    block_code, row_number, seat_number, validity_start, validity_end, first_name,
                    last_name, id_number, birthdate, country_code, last_update)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                    ?18, ?19, ?20, ?21, ?22)
                 ON CONFLICT(barcode) DO UPDATE SET tax_number = excluded.tax_number,
                    valid = excluded.valid, cancellation_cause = excluded.cancellation_cause,
                    season_code = excluded.season_code, product_code = excluded.product_code,
                    performance_code = excluded.performance_code, tariff = excluded.tariff,
                    seat_category = excluded.seat_category, entrance_code = excluded.entrance_code,
                    area_code = excluded.area_code, block_code = excluded.block_code,
                    row_number = excluded.row_number, seat_number = excluded.seat_number,
                    validity_start = excluded.validity_start, validity_end = excluded.validity_end,
                    first_name = excluded.first_name, last_name = excluded.last_name,
                    id_number = excluded.id_number, birthdate = excluded.birthdate,
                    country_code = excluded.country_code, last_update = excluded.last_update
                 WHERE excluded.last_update >= tickets.last_update",
            )?;
            for i in items {
                let t = Ticket::from_item(i);
                if t.barcode.is_empty() {
                    continue;
                }
                applied += upsert.execute(params![
                    t.barcode,
                    t.tax_number,
                    t.valid,
                    t.cancellation_cause,
                    t.season_code,
                    t.product_code,
                    t.performance_code,
                    t.tariff,
                    t.seat_category,
                    t.entrance_code,
                    t.area_code,
                    t.block_code,
                    t.row_number,
                    t.seat_number,
                    t.validity_start.map(|d| d.to_rfc3339()),
                    t.validity_end.map(|d| d.to_rfc3339()),
                    t.holder.first_name,
                    t.holder.last_name,
                    t.holder.id_number,
                    t.holder.birthdate,
                    t.holder.country_code,
                    ts(t.last_update),
                ])?;
            }
        }
        tx.execute(
            "INSERT INTO cursors (scope, cursor, complete, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(scope) DO UPDATE SET cursor = excluded.cursor,
                complete = MAX(cursors.complete, excluded.complete), updated_at = excluded.updated_at",
            params![scope, cursor, complete, ts(now)],
        )?;
        tx.commit()?;
        Ok(applied)
    }

    pub fn cursors(&self) -> Result<Vec<CursorRow>, DbError> {
        let conn = self.lock();
        let mut stmt =
            conn.prepare_cached("SELECT scope, cursor, complete, updated_at FROM cursors")?;
        let rows = stmt.query_map([], |r| {
            Ok(CursorRow {
                scope: r.get(0)?,
                cursor: r.get(1)?,
                complete: r.get(2)?,
                updated_at: r.get(3)?,
            })
        })?;
        rows.collect()
    }

    /// A ticket by barcode, or by tax number (typed by a steward, any case).
    pub fn find(conn: &Connection, code: &str) -> Result<Option<Ticket>, DbError> {
        let by_barcode = conn
            .prepare_cached("SELECT * FROM tickets WHERE barcode = ?1")?
            .query_row([code], Ticket::from_row)
            .optional()?;
        if by_barcode.is_some() {
            return Ok(by_barcode);
        }
        conn.prepare_cached(
            "SELECT * FROM tickets WHERE tax_number = ?1 ORDER BY valid DESC, last_update DESC LIMIT 1",
        )?
        .query_row([code.to_ascii_uppercase()], Ticket::from_row)
        .optional()
    }

    pub fn ticket(&self, code: &str) -> Result<Option<Ticket>, DbError> {
        Store::find(&self.lock(), code)
    }

    pub fn ticket_count(&self) -> Result<(i64, i64), DbError> {
        self.lock().query_row(
            "SELECT COUNT(*), COALESCE(SUM(valid), 0) FROM tickets",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>, DbError> {
        self.lock()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), DbError> {
        self.lock().execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    pub fn save_performances(&self, perfs: &[Performance]) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        for p in perfs {
            tx.execute(
                "INSERT INTO performances (code, season_code, product_code, name, start)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(code) DO UPDATE SET season_code = excluded.season_code,
                    product_code = excluded.product_code, name = excluded.name, start = excluded.start",
                params![p.code, p.season_code, p.product_code, p.name, p.start.to_rfc3339()],
            )?;
        }
        tx.commit()
    }

    pub fn performances(&self) -> Result<Vec<Performance>, DbError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT code, season_code, product_code, name, start FROM performances ORDER BY start, code")?;
        let rows = stmt.query_map([], |r| {
            Ok(Performance {
                code: r.get(0)?,
                season_code: r.get(1)?,
                product_code: r.get(2)?,
                name: r.get(3)?,
                start: r
                    .get::<_, String>(4)
                    .map(|s| DateTime::parse_from_rfc3339(&s).unwrap_or_default())?,
            })
        })?;
        rows.collect()
    }

    /// The admission of a ticket, if any.
    pub fn admission(conn: &Connection, barcode: &str) -> Result<Option<ScanRow>, DbError> {
        conn.prepare_cached("SELECT * FROM scans WHERE barcode = ?1 AND outcome = 'admitted'")?
            .query_row([barcode], ScanRow::from_row)
            .optional()
    }

    /// The admission of an older print of the same seat at the same performance, now
    /// invalidated by a reprint (S-360 gives the new print a new barcode and tax number).
    pub fn reprinted_admission(conn: &Connection, t: &Ticket) -> Result<Option<ScanRow>, DbError> {
        let (Some(perf), Some(block), Some(row), Some(seat)) = (
            &t.performance_code,
            &t.block_code,
            &t.row_number,
            &t.seat_number,
        ) else {
            return Ok(None);
        };
        conn.prepare_cached(
            "SELECT s.* FROM tickets t JOIN scans s ON s.barcode = t.barcode AND s.outcome = 'admitted'
             WHERE t.performance_code = ?1 AND t.block_code = ?2 AND t.row_number = ?3
               AND t.seat_number = ?4 AND t.valid = 0 AND t.cancellation_cause = 'REPRINTED'
               AND t.barcode != ?5
             LIMIT 1",
        )?
        .query_row(params![perf, block, row, seat, t.barcode], ScanRow::from_row)
        .optional()
    }

    /// The last scan of a device (a scanner that repeats its code in a burst counts once).
    pub fn last_scan(conn: &Connection, device: &str) -> Result<Option<ScanRow>, DbError> {
        conn.prepare_cached("SELECT * FROM scans WHERE device = ?1 ORDER BY id DESC LIMIT 1")?
            .query_row(params![device], ScanRow::from_row)
            .optional()
    }

    pub fn scans(&self, limit: i64) -> Result<Vec<ScanRow>, DbError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached("SELECT * FROM scans ORDER BY id DESC LIMIT ?1")?;
        let rows = stmt.query_map([limit], ScanRow::from_row)?;
        rows.collect()
    }

    /// Controls not yet reported, oldest first.
    pub fn to_report(&self, limit: i64) -> Result<Vec<ScanRow>, DbError> {
        let conn = self.lock();
        let mut stmt =
            conn.prepare_cached("SELECT * FROM scans WHERE report = 1 ORDER BY id LIMIT ?1")?;
        let rows = stmt.query_map([limit], ScanRow::from_row)?;
        rows.collect()
    }

    pub fn mark_reported(&self, ids: &[i64], now: DateTime<Utc>) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE scans SET report = 2, reported_at = ?2 WHERE id = ?1 AND report = 1",
            )?;
            let now = ts(now);
            for id in ids {
                stmt.execute(params![id, now])?;
            }
        }
        tx.commit()
    }

    pub fn mark_refused(&self, ids: &[i64], why: &str) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE scans SET report = 3, report_error = ?2 WHERE id = ?1 AND report = 1",
            )?;
            for id in ids {
                stmt.execute(params![id, why])?;
            }
        }
        tx.commit()
    }

    /// (reports pending, reported, refused by S-360)
    pub fn report_counts(&self) -> Result<(i64, i64, i64), DbError> {
        self.lock().query_row(
            "SELECT COALESCE(SUM(report = 1), 0), COALESCE(SUM(report = 2), 0),
                    COALESCE(SUM(report = 3), 0) FROM scans",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    }

    /// Per gate since a time: (gate, admitted, refused); refusals do not count unknown
    /// repeats twice (every logged decision counts once).
    pub fn gate_counts(&self, since: &str) -> Result<Vec<(String, i64, i64)>, DbError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT gate, COALESCE(SUM(outcome = 'admitted'), 0), COALESCE(SUM(outcome != 'admitted'), 0)
             FROM scans WHERE at >= ?1 GROUP BY gate",
        )?;
        let rows = stmt.query_map([since], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect()
    }
}
