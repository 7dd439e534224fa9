//! The catalog cache: the whole catalog and the POS configuration in memory, swapped atomically.
//!
//! A background task polls `getLastSetupUpdate` and refetches only when the setup changed. The
//! refetch uses `getCatalogDetailed` when its 10-minute budget allows, and the paginated
//! `setupService` calls otherwise, so a change is visible within one polling period. Readers
//! never wait: they get the last good snapshot, whose age is visible, even while S-360 is down.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};

use super::{Client, Error};
use crate::model::catalog::*;

/// One consistent view of the catalog.
#[derive(Debug, Clone)]
pub struct CatalogSnapshot {
    pub pos: PosConfigData,
    pub catalog: CatalogData,
    /// S-360's `lastSetupUpdate` this snapshot reflects.
    pub setup_version: DateTime<FixedOffset>,
    pub fetched_at: DateTime<Utc>,
}

#[derive(Debug, Default, Clone)]
struct Health {
    last_check_ok: Option<DateTime<Utc>>,
    last_error: Option<String>,
}

#[derive(Debug)]
pub struct CatalogCache {
    client: Client,
    current: RwLock<Option<Arc<CatalogSnapshot>>>,
    health: RwLock<Health>,
    refresh_lock: tokio::sync::Mutex<()>,
}

impl CatalogCache {
    pub fn new(client: Client) -> Arc<Self> {
        Arc::new(CatalogCache {
            client,
            current: RwLock::new(None),
            health: RwLock::default(),
            refresh_lock: tokio::sync::Mutex::new(()),
        })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The current snapshot, without waiting (None until the first load succeeded).
    pub fn snapshot(&self) -> Option<Arc<CatalogSnapshot>> {
        let snap = self.current.read().expect("catalog lock").clone();
        self.client.record_cache(snap.is_some());
        snap
    }

    /// How old the catalog we serve is (since it was fetched).
    pub fn age(&self) -> Option<chrono::Duration> {
        self.current
            .read()
            .expect("catalog lock")
            .as_ref()
            .map(|s| Utc::now() - s.fetched_at)
    }

    /// When S-360 last answered a setup check, and the last error since.
    pub fn last_check(&self) -> (Option<DateTime<Utc>>, Option<String>) {
        let h = self.health.read().expect("health lock");
        (h.last_check_ok, h.last_error.clone())
    }

    /// Checks the setup date and refetches when it changed. Returns whether the catalog changed.
    pub async fn refresh(&self) -> Result<bool, Error> {
        let _one_at_a_time = self.refresh_lock.lock().await;
        let result = self.refresh_inner().await;
        let mut h = self.health.write().expect("health lock");
        match &result {
            Ok(_) => {
                h.last_check_ok = Some(Utc::now());
                h.last_error = None;
            }
            Err(e) => h.last_error = Some(e.to_string()),
        }
        result
    }

    async fn refresh_inner(&self) -> Result<bool, Error> {
        let version = self.client.get_last_setup_update().await?;
        let previous = self.current.read().expect("catalog lock").clone();
        if previous
            .as_ref()
            .is_some_and(|p| p.setup_version == version)
        {
            return Ok(false);
        }
        let pos = self.client.get_pos_config().await?;
        let catalog = match self.client.get_catalog_detailed().await {
            Ok(c) => c,
            Err(Error::RateLimited { .. }) => self.catalog_from_setup(previous.as_deref()).await?,
            Err(e) => return Err(e),
        };
        tracing::info!(
            operator = %self.client.config().operator,
            products = catalog.products().count(),
            %version,
            "catalog loaded"
        );
        *self.current.write().expect("catalog lock") = Some(Arc::new(CatalogSnapshot {
            pos,
            catalog,
            setup_version: version,
            fetched_at: Utc::now(),
        }));
        Ok(true)
    }

    /// The catalog rebuilt from `setupService` (60 calls/min instead of 1 per 10 min).
    async fn catalog_from_setup(
        &self,
        previous: Option<&CatalogSnapshot>,
    ) -> Result<CatalogData, Error> {
        let mut seasons = self.client.list_seasons().await?;
        for season in &mut seasons {
            season.products = self.client.search_all_products(vec![season.id]).await?;
            let subs = self.client.list_audience_sub_categories(season.id).await?;
            season.price_levels = self.client.list_price_levels(season.id).await?;
            // listAudienceSubCategories is flat: keep the known grouping, add what is new
            let known = previous
                .and_then(|p| p.catalog.seasons.iter().find(|s| s.id == season.id))
                .map(|s| s.audience_categories.clone())
                .unwrap_or_default();
            season.audience_categories = regroup(known, subs);
        }
        Ok(CatalogData {
            seasons,
            physical_configurations: previous
                .map(|p| p.catalog.physical_configurations.clone())
                .unwrap_or_default(),
        })
    }

    /// Polls every `interval` until the process ends.
    pub fn spawn_refresher(self: &Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        let cache = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = cache.refresh().await {
                    tracing::warn!(operator = %cache.client.config().operator, error = %e, "catalog refresh failed; serving the last good catalog");
                }
            }
        })
    }
}

fn regroup(known: Vec<AudienceCategory>, subs: Vec<AudienceSubCategory>) -> Vec<AudienceCategory> {
    let mut cats: Vec<AudienceCategory> = known
        .into_iter()
        .map(|mut c| {
            c.audience_sub_categories
                .retain(|s| subs.iter().any(|n| n.id == s.id));
            for s in &mut c.audience_sub_categories {
                if let Some(n) = subs.iter().find(|n| n.id == s.id) {
                    *s = n.clone();
                }
            }
            c
        })
        .collect();
    let placed: Vec<_> = cats
        .iter()
        .flat_map(|c| c.audience_sub_categories.iter().map(|s| s.id))
        .collect();
    let new: Vec<AudienceSubCategory> = subs
        .into_iter()
        .filter(|s| !placed.contains(&s.id))
        .collect();
    if !new.is_empty() {
        cats.push(AudienceCategory {
            id: crate::ids::AudienceCategoryId(0),
            code: "OTHER".into(),
            external_name: crate::text::Translations::default(),
            audience_sub_categories: new,
        });
    }
    cats.retain(|c| !c.audience_sub_categories.is_empty());
    cats
}
