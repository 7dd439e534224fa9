//! The list from S-360: `exportList` in GREY mode (valid and invalid barcodes), every page
//! with the opaque `paginationEnd` cursor, then only what changed after the stored cursor.
//!
//! Pace (seed 002): the configured lists at most once an hour, whatever the day; on event day
//! also today's performances (by performance code, so that season tickets and passes that
//! carry it come too) at most once a minute, each with its own cursor. Every call goes through
//! the `s360` client (limiter, 509/429, breaker).

use std::time::Duration;

use chrono::{DateTime, Utc};
use s360::model::ticket::{ExportListRequest, ListType, TicketType};

use crate::store::{self, Performance};
use crate::{Error, Gate};

/// Items asked per page.
pub const PAGE: i64 = 1000;
/// A walk stops after this many pages (a cursor that never ends is S-360's bug, not a reason
/// to loop for ever); the next sync goes on from where it stopped.
pub const MAX_PAGES: u32 = 1000;
pub const LEAD_UP_INTERVAL: Duration = Duration::from_secs(3600);
pub const EVENT_DAY_INTERVAL: Duration = Duration::from_secs(60);

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncReport {
    /// `exportList` calls made.
    pub calls: u32,
    /// Items received (a reprinted ticket's old barcode counts as one more).
    pub items: usize,
    /// Whether every walk reached the end of its list.
    pub complete: bool,
    pub event_day: bool,
}

/// What one walk covers, and the key of its cursor.
#[derive(Debug, Clone)]
pub struct Scope {
    pub key: String,
    pub season: String,
    pub products: Vec<String>,
    pub performances: Vec<String>,
}

impl Gate {
    /// The configured lists (walked at the lead-up pace, also on event day).
    pub fn list_scopes(&self) -> Vec<Scope> {
        self.config
            .lists
            .iter()
            .map(|l| Scope {
                key: format!("list:{}:{}", l.season, l.products.join(",")),
                season: l.season.clone(),
                products: l.products.clone(),
                performances: vec![],
            })
            .collect()
    }

    /// Today's performances, each by its code alone (season tickets and passes of other
    /// products carry it too), each with a cursor of its own.
    pub fn event_scopes(&self) -> Vec<Scope> {
        self.todays_performances()
            .iter()
            .map(|p| Scope {
                key: format!("perf:{}:{}", p.season_code, p.code),
                season: p.season_code.clone(),
                products: vec![],
                performances: vec![p.code.clone()],
            })
            .collect()
    }

    /// Everything a full sync walks now.
    pub fn scopes(&self) -> Vec<Scope> {
        let mut scopes = self.list_scopes();
        scopes.extend(self.event_scopes());
        scopes
    }

    fn last(&self, key: &str) -> Option<DateTime<Utc>> {
        self.store
            .meta(key)
            .ok()
            .flatten()
            .and_then(|v| store::parse_ts(&v))
    }

    fn older_than(&self, key: &str, every: Duration) -> bool {
        self.last(key).is_none_or(|t| {
            self.now()
                .signed_duration_since(t)
                .to_std()
                .is_ok_and(|d| d >= every)
        })
    }

    /// When the configured lists were last synced completely (`None`: never).
    pub fn last_export(&self) -> Option<DateTime<Utc>> {
        self.last("last_export_at")
    }

    /// Syncs what the pace allows: the configured lists (and the catalog) once an hour, today's
    /// performances once a minute on event day; `None` when nothing is due.
    pub async fn export_if_due(&self) -> Result<Option<SyncReport>, Error> {
        let lists = self.older_than("last_list_attempt_at", LEAD_UP_INTERVAL);
        let event =
            self.event_day() && self.older_than("last_event_attempt_at", EVENT_DAY_INTERVAL);
        if !lists && !event {
            return Ok(None);
        }
        self.export(MAX_PAGES, lists).await.map(Some)
    }

    /// Syncs now: the configured lists and, on event day, today's performances.
    pub async fn export_now(&self) -> Result<SyncReport, Error> {
        self.export_pages(MAX_PAGES).await
    }

    /// The same, at most `max_pages` pages per scope (a test stops a walk half-way with it,
    /// as a crash would).
    pub async fn export_pages(&self, max_pages: u32) -> Result<SyncReport, Error> {
        self.export(max_pages, true).await
    }

    async fn export(&self, max_pages: u32, lists: bool) -> Result<SyncReport, Error> {
        let _one = self.sync_lock.lock().await;
        let now = store::ts(self.now());
        self.store.set_meta("last_export_attempt_at", &now)?;
        let result = self.export_locked(max_pages, lists).await;
        match &result {
            Ok(r) if r.complete && lists => {
                self.store
                    .set_meta("last_export_at", &store::ts(self.now()))?;
            }
            Ok(_) => {}
            Err(e) => self.record_error("exportList", e),
        }
        result
    }

    async fn export_locked(&self, max_pages: u32, lists: bool) -> Result<SyncReport, Error> {
        let mut report = SyncReport {
            complete: true,
            ..SyncReport::default()
        };
        let mut scopes = Vec::new();
        if lists {
            self.store
                .set_meta("last_list_attempt_at", &store::ts(self.now()))?;
            // the time zone and the performances; without them the lists are still walked
            match self.refresh_catalog().await {
                Ok(calls) => report.calls += calls,
                Err(e) => {
                    tracing::warn!(institution = %self.institution, error = %e, "gate: the access-control catalog or time zone could not be read; the lists are synced without it");
                    self.record_error("getAccessControlCatalog", &e);
                }
            }
            scopes.extend(self.list_scopes());
        }
        report.event_day = self.event_day();
        if report.event_day {
            self.store
                .set_meta("last_event_attempt_at", &store::ts(self.now()))?;
            scopes.extend(self.event_scopes());
        }
        for scope in scopes {
            let (calls, items, complete) = self.walk(&scope, max_pages).await?;
            report.calls += calls;
            report.items += items;
            report.complete &= complete;
        }
        Ok(report)
    }

    /// One scope, from its stored cursor to the end of the list; each page and the cursor
    /// after it are written in one transaction, so a crash between two pages neither loses
    /// one nor applies one twice (the next walk starts after the last page written).
    async fn walk(&self, scope: &Scope, max_pages: u32) -> Result<(u32, usize, bool), Error> {
        let mut cursor = self.store.cursor(&scope.key)?.and_then(|(c, _)| c);
        let (mut calls, mut items) = (0, 0);
        for _ in 0..max_pages {
            let page = self
                .client
                .export_list(&ExportListRequest {
                    request_id: None,
                    list_type: ListType::Grey,
                    ticket_type: TicketType::All,
                    season_code: scope.season.clone(),
                    product_codes: scope.products.clone(),
                    performance_codes: scope.performances.clone(),
                    pagination_start: cursor.clone(),
                    nb_max_results: PAGE,
                })
                .await?;
            calls += 1;
            let n = page.access_control_list_items.len();
            items += n;
            let next = page.pagination_end.clone().or_else(|| cursor.clone());
            let done = n < PAGE as usize || next == cursor;
            self.store.apply_page(
                &scope.key,
                &page.access_control_list_items,
                next.as_deref(),
                done,
                self.now(),
            )?;
            cursor = next;
            if done {
                return Ok((calls, items, true));
            }
        }
        Ok((calls, items, false))
    }

    /// `getTimeZone` and the performances of the configured lists (`getAccessControlCatalog`).
    async fn refresh_catalog(&self) -> Result<u32, Error> {
        let mut calls = 1;
        let zone = self.client.get_time_zone().await?;
        match zone.parse::<chrono_tz::Tz>() {
            Ok(tz) => {
                self.set_time_zone(tz);
                self.store.set_meta("time_zone", &zone)?;
            }
            Err(_) => tracing::warn!(%zone, "gate: S-360's time zone is not one we know; UTC"),
        }
        let mut perfs = Vec::new();
        for list in &self.config.lists {
            calls += 1;
            let cat = self
                .client
                .get_access_control_catalog(Some(&list.season))
                .await?;
            for p in cat.products {
                if !list.products.is_empty() && !list.products.contains(&p.code) {
                    continue;
                }
                for x in p.performances {
                    perfs.push(Performance {
                        code: x.code,
                        season_code: list.season.clone(),
                        product_code: p.code.clone(),
                        name: p.name.clone(),
                        start: x.start,
                    });
                }
            }
        }
        self.store.save_performances(&perfs)?;
        Ok(calls)
    }

    pub(crate) fn record_error(&self, what: &str, e: &Error) {
        let _ = self.store.set_meta("last_error", &format!("{what}: {e}"));
        let _ = self.store.set_meta("last_error_at", &store::ts(self.now()));
    }
}
