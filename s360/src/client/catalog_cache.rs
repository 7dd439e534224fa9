//! The catalog cache: the whole catalog and the POS configuration in memory, swapped atomically.
//!
//! A background task polls `getLastSetupUpdate` and refetches only when the setup changed. The
//! refetch uses `getCatalogDetailed` when its 10-minute budget allows, and the paginated
//! `setupService` calls otherwise, so a change is visible within one polling period. Readers
//! never wait: they get the last good snapshot, whose age is visible, even while S-360 is down.
//!
//! With a disk copy ([`CatalogCache::with_disk_copy`]) the last good catalog is also kept in a
//! file, replaced atomically on every change, and served from the start: a restarted shop is
//! ready at once (S-360 refuses a second `getCatalogDetailed` within 10 minutes), and the first
//! refresh only checks `getLastSetupUpdate`.
//!
//! A catalog rebuilt from `setupService` without an earlier full one lacks the venues
//! (physical configurations) and the tariff groups: it is replaced by a full
//! `getCatalogDetailed` as soon as that budget allows, even if the setup did not change.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

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
    /// The current snapshot was rebuilt from `setupService` without a full one before it.
    partial: AtomicBool,
    health: RwLock<Health>,
    refresh_lock: tokio::sync::Mutex<()>,
    /// Where the last good catalog is kept across restarts.
    disk_copy: Option<PathBuf>,
}

/// The disk copy as written (borrowing the snapshot).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DiskCopyOut<'a> {
    s360: &'a str,
    operator: &'a str,
    complete: bool,
    setup_version: &'a DateTime<FixedOffset>,
    fetched_at: &'a DateTime<Utc>,
    pos: &'a PosConfigData,
    catalog: &'a CatalogData,
}

/// The disk copy as read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DiskCopyIn {
    /// The S-360 host and operator the catalog is from: a copy of another one is not used.
    s360: String,
    operator: String,
    complete: bool,
    setup_version: DateTime<FixedOffset>,
    fetched_at: DateTime<Utc>,
    pos: PosConfigData,
    catalog: CatalogData,
}

impl CatalogCache {
    pub fn new(client: Client) -> Arc<Self> {
        Arc::new(Self::build(client, None))
    }

    fn build(client: Client, disk_copy: Option<PathBuf>) -> Self {
        CatalogCache {
            client,
            current: RwLock::new(None),
            partial: AtomicBool::new(false),
            health: RwLock::default(),
            refresh_lock: tokio::sync::Mutex::new(()),
            disk_copy,
        }
    }

    /// A cache that keeps the last good catalog in the file `path` (written whole to a
    /// temporary name, synced and renamed over the old one) and starts with the copy found
    /// there, if it is from the same S-360 host and operator: readers are served at once, and
    /// the first [`refresh`](Self::refresh) brings it up to date (or keeps it, when the setup
    /// did not change). An unreadable or foreign copy is ignored (and replaced by the next
    /// load); a copy that cannot be written is logged, never an error of the refresh.
    pub fn with_disk_copy(client: Client, path: impl Into<PathBuf>) -> Arc<Self> {
        let path = path.into();
        let cache = Self::build(client, Some(path.clone()));
        match cache.read_disk_copy(&path) {
            Ok(Some((snapshot, complete))) => {
                tracing::info!(
                    operator = %cache.client.config().operator,
                    file = %path.display(),
                    setup_version = %snapshot.setup_version,
                    fetched_at = %snapshot.fetched_at,
                    "catalog served from its disk copy until the first refresh"
                );
                cache.partial.store(!complete, Ordering::Relaxed);
                *cache.current.write().expect("catalog lock") = Some(Arc::new(snapshot));
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "catalog disk copy not used")
            }
        }
        Arc::new(cache)
    }

    /// Where [`with_disk_copy`](Self::with_disk_copy) keeps an institution's catalog under a
    /// data directory: `{data_dir}/catalog/{INSTITUTION}.json`.
    pub fn disk_copy_path(data_dir: &Path, institution: &str) -> PathBuf {
        let name: String = institution
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        data_dir.join("catalog").join(format!("{name}.json"))
    }

    /// The file the catalog is kept in, if any.
    pub fn disk_copy(&self) -> Option<&Path> {
        self.disk_copy.as_deref()
    }

    fn read_disk_copy(&self, path: &Path) -> Result<Option<(CatalogSnapshot, bool)>, String> {
        if let Some(dir) = path.parent() {
            remove_stale_temporaries(dir, path);
        }
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        let copy: DiskCopyIn = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        let config = self.client.config();
        if copy.s360.trim_end_matches('/') != config.base_url || copy.operator != config.operator {
            return Err(format!(
                "it is the catalog of {} at {}, not of {} at {}",
                copy.operator, copy.s360, config.operator, config.base_url
            ));
        }
        Ok(Some((
            CatalogSnapshot {
                pos: copy.pos,
                catalog: copy.catalog,
                setup_version: copy.setup_version,
                fetched_at: copy.fetched_at,
            },
            copy.complete,
        )))
    }

    /// Replaces the disk copy with `snapshot` (atomically: temporary file, sync, rename).
    async fn write_disk_copy(&self, snapshot: Arc<CatalogSnapshot>, complete: bool) {
        let Some(path) = self.disk_copy.clone() else {
            return;
        };
        let s360 = self.client.config().base_url.clone();
        let operator = self.client.config().operator.clone();
        let target = path.clone();
        let written = match tokio::task::spawn_blocking(move || {
            let bytes = serde_json::to_vec(&DiskCopyOut {
                s360: &s360,
                operator: &operator,
                complete,
                setup_version: &snapshot.setup_version,
                fetched_at: &snapshot.fetched_at,
                pos: &snapshot.pos,
                catalog: &snapshot.catalog,
            })
            .map_err(|e| std::io::Error::other(e.to_string()))?;
            write_atomically(&target, &bytes)
        })
        .await
        {
            Ok(written) => written,
            Err(e) => Err(std::io::Error::other(e)),
        };
        match written {
            Ok(()) => tracing::debug!(file = %path.display(), "catalog disk copy replaced"),
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "cannot write the catalog disk copy")
            }
        }
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
        let partial = self.partial.load(Ordering::Relaxed);
        let pos = match &previous {
            Some(p) if p.setup_version == version => {
                if !partial {
                    return Ok(false);
                }
                // unchanged, but rebuilt without venues: complete it when the budget allows
                match self.client.get_catalog_detailed().await {
                    Ok(catalog) => {
                        self.install(p.pos.clone(), catalog, version, true).await;
                        return Ok(true);
                    }
                    Err(Error::RateLimited { .. }) => return Ok(false),
                    Err(e) => return Err(e),
                }
            }
            _ => self.client.get_pos_config().await?,
        };
        let (catalog, complete) = match self.client.get_catalog_detailed().await {
            Ok(c) => (c, true),
            Err(Error::RateLimited { retry_after }) => {
                tracing::info!(
                    operator = %self.client.config().operator,
                    ?retry_after,
                    "getCatalogDetailed is rate limited: catalog rebuilt from setupService"
                );
                let complete = previous.is_some() && !partial;
                (
                    self.catalog_from_setup(previous.as_deref()).await?,
                    complete,
                )
            }
            Err(e) => return Err(e),
        };
        self.install(pos, catalog, version, complete).await;
        Ok(true)
    }

    /// Makes a new snapshot current and replaces the disk copy.
    async fn install(
        &self,
        pos: PosConfigData,
        catalog: CatalogData,
        version: DateTime<FixedOffset>,
        complete: bool,
    ) {
        tracing::info!(
            operator = %self.client.config().operator,
            products = catalog.products().count(),
            %version,
            complete,
            "catalog loaded"
        );
        let snapshot = Arc::new(CatalogSnapshot {
            pos,
            catalog,
            setup_version: version,
            fetched_at: Utc::now(),
        });
        *self.current.write().expect("catalog lock") = Some(snapshot.clone());
        self.partial.store(!complete, Ordering::Relaxed);
        self.write_disk_copy(snapshot, complete).await;
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

/// Writes `bytes` to `path` whole or not at all: a temporary file in the same directory,
/// synced, renamed over `path`, then the directory synced (as the payment registry does).
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".tmp-{name}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        // directories can be opened and synced on Unix; elsewhere the rename is what we have
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Temporary files of `path` left by a crash (older than an hour: recent ones may be another
/// process's write in progress).
fn remove_stale_temporaries(dir: &Path, path: &Path) {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let Ok(items) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".tmp-{name}-");
    for item in items.flatten() {
        if !item.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        let old = item
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(3600));
        if old {
            let _ = std::fs::remove_file(item.path());
        }
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
