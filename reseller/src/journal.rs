//! The reseller's journal: every card payment it started and, per institution, the S-360
//! order it pays for and what became of it (closed as a pending-account payment, or refunded).
//! One SQLite file per reseller in the data directory, WAL mode: a payment is written before
//! its card form is shown, and each step of its finalisation is written before the next one
//! starts, so a restart picks up where it stopped and nothing is closed or refunded twice.
//!
//! | table | row | moves |
//! |---|---|---|
//! | `payments` | a PaymentIntent: its checkout, amount (provider's minor units), buyer, language | `open` -> `paid` or `abandoned` |
//! | `parts` | one institution's order in it: amount (S-360 thousandths) | `waiting` -> `closed`, or `waiting` -> `refunding` -> `refunded` |

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

#[derive(Debug, thiserror::Error)]
#[error("the reseller's journal: {0}")]
pub struct JournalError(String);

impl From<rusqlite::Error> for JournalError {
    fn from(e: rusqlite::Error) -> Self {
        JournalError(e.to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub intent_id: String,
    /// The checkout it belongs to: one payment per currency of the cart (usually one).
    pub checkout_id: String,
    pub created_ms: i64,
    /// In the provider's minor units (cents).
    pub amount_minor: i64,
    pub currency: String,
    pub lang: String,
    pub buyer_name: String,
    pub buyer_email: String,
    /// `open`, `paid`, `abandoned`.
    pub state: String,
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub institution: String,
    pub order_id: i64,
    /// In S-360's thousandths.
    pub amount: i64,
    /// Its share of the card payment, in minor units.
    pub amount_minor: i64,
    /// `waiting`, `closed`, `refunding`, `refunded`.
    pub state: String,
    pub reason: Option<String>,
    pub refund_id: Option<String>,
    /// When it was closed or refunded.
    pub done_ms: Option<i64>,
}

impl Part {
    pub fn is_final(&self) -> bool {
        matches!(self.state.as_str(), "closed" | "refunded")
    }
}

pub struct Journal {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Journal(..)")
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS payments (
    intent_id TEXT PRIMARY KEY,
    checkout_id TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    lang TEXT NOT NULL,
    buyer_name TEXT NOT NULL,
    buyer_email TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'paid', 'abandoned'))
);
CREATE TABLE IF NOT EXISTS parts (
    intent_id TEXT NOT NULL REFERENCES payments(intent_id),
    institution TEXT NOT NULL,
    order_id INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'closed', 'refunding', 'refunded')),
    reason TEXT,
    refund_id TEXT,
    done_ms INTEGER,
    PRIMARY KEY (intent_id, institution)
);
CREATE INDEX IF NOT EXISTS parts_order ON parts(institution, order_id);
-- an S-360 order is closed for one payment only: a second payment for it is refunded
CREATE UNIQUE INDEX IF NOT EXISTS parts_closed_once ON parts(institution, order_id)
    WHERE state = 'closed';
CREATE INDEX IF NOT EXISTS payments_state ON payments(state);
CREATE INDEX IF NOT EXISTS payments_checkout ON payments(checkout_id);
-- a part moves waiting -> closed, or waiting -> refunding -> refunded, and nowhere else
DROP TRIGGER IF EXISTS parts_final;
CREATE TRIGGER IF NOT EXISTS parts_moves BEFORE UPDATE OF state ON parts
WHEN NEW.state <> OLD.state AND NOT (
    (OLD.state = 'waiting' AND NEW.state IN ('closed', 'refunding'))
    OR (OLD.state = 'refunding' AND NEW.state = 'refunded'))
BEGIN SELECT RAISE(ABORT, 'a part cannot move this way'); END;
";

impl Journal {
    pub fn open(dir: &Path, code: &str) -> Result<Journal, JournalError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| JournalError(format!("{}: {e}", dir.display())))?;
        let path = dir.join(format!("reseller-{}.sqlite", code.to_ascii_lowercase()));
        let conn = Connection::open(&path)
            .map_err(|e| JournalError(format!("{}: {e}", path.display())))?;
        Self::setup(conn)
    }

    /// A journal in memory (tests).
    pub fn in_memory() -> Result<Journal, JournalError> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<Journal, JournalError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Journal {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The key that signs order links, made on first use and kept in the journal.
    pub fn link_key(&self) -> Result<[u8; 32], JournalError> {
        let conn = self.conn();
        let found: Option<Vec<u8>> = conn
            .query_row("SELECT value FROM meta WHERE key = 'link_key'", [], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(v) = found.filter(|v| v.len() == 32) {
            let mut k = [0u8; 32];
            k.copy_from_slice(&v);
            return Ok(k);
        }
        let k: [u8; 32] = rand::random();
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('link_key', ?1)",
            params![k.to_vec()],
        )?;
        Ok(k)
    }

    /// Records a payment and its parts, all `open` / `waiting`.
    pub fn insert(&self, p: &Payment) -> Result<(), JournalError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO payments (intent_id, checkout_id, created_ms, amount_minor, currency, lang, buyer_name, buyer_email, state)
             VALUES (?1, ?8, ?2, ?3, ?4, ?5, ?6, ?7, 'open')",
            params![
                p.intent_id,
                p.created_ms,
                p.amount_minor,
                p.currency,
                p.lang,
                p.buyer_name,
                p.buyer_email,
                p.checkout_id
            ],
        )?;
        for part in &p.parts {
            tx.execute(
                "INSERT INTO parts (intent_id, institution, order_id, amount, amount_minor, state)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'waiting')",
                params![
                    p.intent_id,
                    part.institution,
                    part.order_id,
                    part.amount,
                    part.amount_minor
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn get(&self, intent_id: &str) -> Result<Option<Payment>, JournalError> {
        let conn = self.conn();
        let p = conn
            .query_row(
                &format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE intent_id = ?1"),
                params![intent_id],
                payment_row,
            )
            .optional()?;
        let Some(mut p) = p else { return Ok(None) };
        p.parts = parts_of(&conn, intent_id)?;
        Ok(Some(p))
    }

    /// The payments of a checkout (one per currency), by currency.
    pub fn checkout(&self, checkout_id: &str) -> Result<Vec<Payment>, JournalError> {
        let conn = self.conn();
        let mut st = conn.prepare(&format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE checkout_id = ?1 ORDER BY currency"
        ))?;
        let mut payments = st
            .query_map(params![checkout_id], payment_row)?
            .collect::<Result<Vec<_>, _>>()?;
        for p in &mut payments {
            p.parts = parts_of(&conn, &p.intent_id)?;
        }
        Ok(payments)
    }

    pub fn set_payment_state(&self, intent_id: &str, state: &str) -> Result<(), JournalError> {
        self.conn().execute(
            "UPDATE payments SET state = ?2 WHERE intent_id = ?1",
            params![intent_id, state],
        )?;
        Ok(())
    }

    /// Moves a part from one of the states `from` to `state` (compare and set: `false` when
    /// it was not in one of them, e.g. another process moved it meanwhile); `at_ms` is kept
    /// as the time it became final.
    // the key, the move and the three columns it writes, each named at the call
    #[allow(clippy::too_many_arguments)]
    pub fn set_part(
        &self,
        intent_id: &str,
        institution: &str,
        from: &[&str],
        state: &str,
        reason: Option<&str>,
        refund_id: Option<&str>,
        at_ms: i64,
    ) -> Result<bool, JournalError> {
        let done = matches!(state, "closed" | "refunded").then_some(at_ms);
        let from = from.join(",");
        let n = self.conn().execute(
            "UPDATE parts SET state = ?3, reason = COALESCE(?4, reason), refund_id = COALESCE(?5, refund_id),
                 done_ms = COALESCE(?6, done_ms)
             WHERE intent_id = ?1 AND institution = ?2
               AND instr(',' || ?7 || ',', ',' || state || ',') > 0",
            params![intent_id, institution, state, reason, refund_id, done, from],
        )?;
        Ok(n == 1)
    }

    /// Whether another payment's part already closed this S-360 order.
    pub fn closed_by_another(
        &self,
        institution: &str,
        order_id: i64,
        intent_id: &str,
    ) -> Result<bool, JournalError> {
        let n: i64 = self.conn().query_row(
            "SELECT COUNT(*) FROM parts
             WHERE institution = ?1 AND order_id = ?2 AND state = 'closed' AND intent_id <> ?3",
            params![institution, order_id, intent_id],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }

    /// Payments still to look at: open ones older than `open_before_ms`, and paid ones with a
    /// part not final.
    pub fn unfinished(&self, open_before_ms: i64) -> Result<Vec<String>, JournalError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT intent_id, created_ms FROM payments WHERE state = 'open' AND created_ms < ?1
             UNION
             SELECT DISTINCT p.intent_id, p.created_ms FROM payments p JOIN parts t ON t.intent_id = p.intent_id
              WHERE p.state = 'paid' AND t.state IN ('waiting', 'refunding')
             ORDER BY created_ms
             LIMIT 500",
        )?;
        let ids = st
            .query_map(params![open_before_ms], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ids)
    }

    /// The parts that became final between `from_ms` (inclusive) and `to_ms` (exclusive), with
    /// their payment, oldest first: what the statement lists.
    pub fn final_parts(
        &self,
        institution: Option<&str>,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(Payment, Part)>, JournalError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT p.intent_id, p.checkout_id, p.created_ms, p.amount_minor, p.currency, p.lang, p.buyer_name, p.buyer_email, p.state,
                    t.institution, t.order_id, t.amount, t.amount_minor, t.state, t.reason, t.refund_id, t.done_ms
             FROM parts t JOIN payments p ON p.intent_id = t.intent_id
             WHERE t.state IN ('closed', 'refunded') AND t.done_ms >= ?1 AND t.done_ms < ?2
               AND (?3 IS NULL OR t.institution = ?3)
             ORDER BY t.done_ms, t.institution",
        )?;
        let rows = st
            .query_map(params![from_ms, to_ms, institution], |r| {
                Ok((
                    payment_row(r)?,
                    Part {
                        institution: r.get(9)?,
                        order_id: r.get(10)?,
                        amount: r.get(11)?,
                        amount_minor: r.get(12)?,
                        state: r.get(13)?,
                        reason: r.get(14)?,
                        refund_id: r.get(15)?,
                        done_ms: r.get(16)?,
                    },
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

const PAYMENT_COLUMNS: &str =
    "intent_id, checkout_id, created_ms, amount_minor, currency, lang, buyer_name, buyer_email, state";

fn payment_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Payment> {
    Ok(Payment {
        intent_id: r.get(0)?,
        checkout_id: r.get(1)?,
        created_ms: r.get(2)?,
        amount_minor: r.get(3)?,
        currency: r.get(4)?,
        lang: r.get(5)?,
        buyer_name: r.get(6)?,
        buyer_email: r.get(7)?,
        state: r.get(8)?,
        parts: vec![],
    })
}

fn parts_of(conn: &Connection, intent_id: &str) -> Result<Vec<Part>, JournalError> {
    let mut st = conn.prepare(
        "SELECT institution, order_id, amount, amount_minor, state, reason, refund_id, done_ms
         FROM parts WHERE intent_id = ?1 ORDER BY institution",
    )?;
    let parts = st
        .query_map(params![intent_id], |r| {
            Ok(Part {
                institution: r.get(0)?,
                order_id: r.get(1)?,
                amount: r.get(2)?,
                amount_minor: r.get(3)?,
                state: r.get(4)?,
                reason: r.get(5)?,
                refund_id: r.get(6)?,
                done_ms: r.get(7)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment() -> Payment {
        Payment {
            intent_id: "pi_1".into(),
            checkout_id: "co_1".into(),
            created_ms: 1_000,
            amount_minor: 9_500,
            currency: "CHF".into(),
            lang: "en".into(),
            buyer_name: "Ada Lovelace".into(),
            buyer_email: "ada@example.org".into(),
            state: "open".into(),
            parts: vec![
                Part {
                    institution: "CUBE".into(),
                    order_id: 7,
                    amount: 60_000,
                    amount_minor: 6_000,
                    state: "waiting".into(),
                    reason: None,
                    refund_id: None,
                    done_ms: None,
                },
                Part {
                    institution: "MOSA".into(),
                    order_id: 9,
                    amount: 35_000,
                    amount_minor: 3_500,
                    state: "waiting".into(),
                    reason: None,
                    refund_id: None,
                    done_ms: None,
                },
            ],
        }
    }

    #[test]
    fn a_payment_moves_on_and_final_parts_stay_final() {
        let j = Journal::in_memory().unwrap();
        j.insert(&payment()).unwrap();
        assert_eq!(j.unfinished(500).unwrap(), Vec::<String>::new());
        assert_eq!(j.unfinished(2_000).unwrap(), vec!["pi_1".to_string()]);
        j.set_payment_state("pi_1", "paid").unwrap();
        assert!(j
            .set_part("pi_1", "CUBE", &["waiting"], "closed", None, None, 5_000)
            .unwrap());
        assert!(j
            .set_part(
                "pi_1",
                "MOSA",
                &["waiting", "refunding"],
                "refunding",
                Some("expired"),
                None,
                5_000
            )
            .unwrap());
        // compare and set: already moved
        assert!(!j
            .set_part("pi_1", "MOSA", &["waiting"], "closed", None, None, 5_000)
            .unwrap());
        assert_eq!(j.unfinished(0).unwrap(), vec!["pi_1".to_string()]);
        assert!(j
            .set_part(
                "pi_1",
                "MOSA",
                &["refunding"],
                "refunded",
                None,
                Some("re_1"),
                6_000
            )
            .unwrap());
        assert!(j.unfinished(10_000).unwrap().is_empty());
        let p = j.get("pi_1").unwrap().unwrap();
        assert_eq!(p.parts[0].state, "closed");
        assert_eq!(p.parts[0].done_ms, Some(5_000));
        assert_eq!(p.parts[1].reason.as_deref(), Some("expired"));
        assert_eq!(p.parts[1].refund_id.as_deref(), Some("re_1"));
        // a closed part cannot be refunded afterwards, nor a refunded one closed, nor a part
        // being refunded closed (the trigger, whatever the caller says)
        for (inst, to) in [
            ("CUBE", "refunding"),
            ("MOSA", "closed"),
            ("MOSA", "waiting"),
        ] {
            assert!(j
                .set_part(
                    "pi_1",
                    inst,
                    &["waiting", "refunding", "closed", "refunded"],
                    to,
                    None,
                    None,
                    7_000
                )
                .is_err());
        }
        // one S-360 order is closed for one payment only
        let mut second = payment();
        second.intent_id = "pi_2".into();
        second.checkout_id = "co_9".into();
        second.parts.truncate(1);
        j.insert(&second).unwrap();
        assert!(j.closed_by_another("CUBE", 7, "pi_2").unwrap());
        assert!(!j.closed_by_another("CUBE", 7, "pi_1").unwrap());
        assert!(j
            .set_part("pi_2", "CUBE", &["waiting"], "closed", None, None, 8_000)
            .is_err());
        assert_eq!(j.checkout("co_1").unwrap().len(), 1);
        assert!(j.checkout("co_2").unwrap().is_empty());
        let statement = j.final_parts(None, 0, 10_000).unwrap();
        assert_eq!(statement.len(), 2);
        assert_eq!(j.final_parts(Some("MOSA"), 0, 5_500).unwrap().len(), 0);
    }

    #[test]
    fn the_link_key_is_kept() {
        let j = Journal::in_memory().unwrap();
        assert_eq!(j.link_key().unwrap(), j.link_key().unwrap());
    }
}
