//! The controls back to S-360: `importControlledTicket` with only what was not yet reported,
//! in batches, at most once a minute. A control S-360 refuses because the ticket was
//! blacklisted meanwhile (`Failed to import controlledTickets:<barcode>`) is marked and never
//! sent again; the rest of its batch goes out. S-360 down: the controls wait in the log and go
//! out once it is back, each once (marked in the same database right after S-360's answer).

use std::time::Duration;

use s360::model::ticket::{ControlResult, ControlledTicket};

use crate::store::{self, ScanRow};
use crate::{Error, Gate};

pub const BATCH: i64 = 500;
pub const INTERVAL: Duration = Duration::from_secs(60);
const BLACKLISTED: &str = "Failed to import controlledTickets:";
/// The ids of a batch sent without an answer.
const IN_DOUBT: &str = "report_in_doubt";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportSummary {
    pub calls: u32,
    pub reported: usize,
    /// Controls S-360 refused (ticket blacklisted since): never retried.
    pub refused: usize,
}

impl Gate {
    /// Reports when there is something to report and a minute has passed since the last try.
    pub async fn report_if_due(&self) -> Result<Option<ReportSummary>, Error> {
        if self.store.report_counts()?.0 == 0 {
            return Ok(None);
        }
        if let Some(last) = self
            .store
            .meta("last_report_attempt_at")?
            .and_then(|v| store::parse_ts(&v))
        {
            if self
                .now()
                .signed_duration_since(last)
                .to_std()
                .is_ok_and(|d| d < INTERVAL)
            {
                return Ok(None);
            }
        }
        self.report_now().await.map(Some)
    }

    /// Reports every pending control now.
    pub async fn report_now(&self) -> Result<ReportSummary, Error> {
        let _one = self.sync_lock.lock().await;
        self.store
            .set_meta("last_report_attempt_at", &store::ts(self.now()))?;
        let mut sum = ReportSummary::default();
        let result = self.report_locked(&mut sum).await;
        match &result {
            Ok(()) => self
                .store
                .set_meta("last_report_at", &store::ts(self.now()))?,
            Err(e) => self.record_error("importControlledTicket", e),
        }
        result.map(|()| sum)
    }

    async fn report_locked(&self, sum: &mut ReportSummary) -> Result<(), Error> {
        self.settle_in_doubt(sum).await?;
        // bounded: each round reports or marks at least one control
        for _ in 0..10_000 {
            let rows = self.store.to_report(BATCH)?;
            if rows.is_empty() {
                return Ok(());
            }
            let batch: Vec<ControlledTicket> = rows.iter().map(|r| self.control(r)).collect();
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            // written before sending: a process that dies before S-360's answer is marked asks
            // S-360 after its restart instead of sending the batch again
            self.store
                .set_meta(IN_DOUBT, &serde_json::to_string(&ids).unwrap_or_default())?;
            sum.calls += 1;
            let answer = self.client.import_controlled_tickets(batch).await;
            if !answer.as_ref().is_err_and(|e| e.may_have_been_applied()) {
                // S-360 answered (or was not reached): the marks below say what happened
                self.store.set_meta(IN_DOUBT, "[]")?;
            }
            match answer {
                Ok(_) => {
                    self.store.mark_reported(&ids, self.now())?;
                    sum.reported += ids.len();
                }
                Err(s360::client::Error::Other(code, msg)) if msg.contains(BLACKLISTED) => {
                    let barcode = msg
                        .split(BLACKLISTED)
                        .nth(1)
                        .unwrap_or("")
                        .split(|c: char| c.is_whitespace() || c == ',')
                        .next()
                        .unwrap_or("");
                    let ids: Vec<i64> = rows
                        .iter()
                        .filter(|r| r.barcode.as_deref() == Some(barcode))
                        .map(|r| r.id)
                        .collect();
                    if ids.is_empty() {
                        return Err(Error::S360(s360::client::Error::Other(code, msg)));
                    }
                    tracing::info!(institution = %self.institution, %barcode, "gate: S-360 refused a control (ticket blacklisted since the scan); not retried");
                    self.store.mark_refused(&ids, &msg)?;
                    sum.refused += ids.len();
                }
                // sent without an answer: S-360 may have imported it; the batch stays in doubt
                // and is looked up before anything is sent again
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// A batch sent without an answer: each of its controls is looked up in S-360
    /// (`getControlledTicket`: a control at the same time is ours) before anything is sent
    /// again, so that none is imported twice. Rare (a timeout after S-360 did the work), and
    /// one call per control of that batch.
    async fn settle_in_doubt(&self, sum: &mut ReportSummary) -> Result<(), Error> {
        let Some(ids) = self
            .store
            .meta(IN_DOUBT)?
            .and_then(|v| serde_json::from_str::<Vec<i64>>(&v).ok())
        else {
            return Ok(());
        };
        let pending = self.store.to_report(i64::MAX)?;
        for row in pending.iter().filter(|r| ids.contains(&r.id)) {
            let Some(barcode) = row.barcode.as_deref() else {
                continue;
            };
            sum.calls += 1;
            let seen = match self.client.get_controlled_ticket(barcode).await {
                Ok(t) => t
                    .control_operations
                    .iter()
                    .any(|o| o.operation_date_time.timestamp() == row.at.timestamp()),
                Err(s360::client::Error::NotFound(_)) => false,
                Err(e) => return Err(e.into()),
            };
            if seen {
                self.store.mark_reported(&[row.id], self.now())?;
                sum.reported += 1;
            }
        }
        self.store.set_meta(IN_DOUBT, "[]")?;
        Ok(())
    }

    fn control(&self, r: &ScanRow) -> ControlledTicket {
        let admitted = r.outcome == "admitted";
        let reason = serde_json::from_str::<crate::Outcome>(r.detail.as_deref().unwrap_or(""))
            .ok()
            .and_then(|o| o.failure_reason());
        ControlledTicket {
            ac_identifier: format!("{}/{}", r.gate, r.device)
                .chars()
                .take(64)
                .collect(),
            barcode: r.barcode.clone().unwrap_or_default(),
            control_date: r.at.with_timezone(&self.time_zone()).fixed_offset(),
            control_result: if admitted {
                ControlResult::Ok
            } else {
                ControlResult::Fail
            },
            failure_reason: (!admitted).then(|| reason.unwrap_or("REFUSED").to_string()),
            additionnal_info: Some(format!("scan {} by {}", r.id, r.steward)),
        }
    }
}
