//! Buyer sessions: where they are stored (`SHOP_SESSION_STORE`: in memory or in Redis) and how
//! long they live. The cookie (`shop_session`) is HttpOnly, SameSite=Lax and Secure when
//! configured; the id is rotated at login and logout (`auth.rs`). A session ends after
//! `SHOP_SESSION_IDLE_MINUTES` without a request (the store's expiry) and, whatever the
//! activity, `SHOP_SESSION_ABSOLUTE_HOURS` after it was created or its buyer logged in
//! ([`absolute_timeout`]).
//!
//! The memory store ([`MemorySessions`]) is bounded: expired sessions are purged every minute
//! ([`PURGE_EVERY`]), and it holds at most `SHOP_SESSION_MEMORY_MAX` sessions. When it is full,
//! a request that would start a new session is answered 503 with a page saying the shop is busy
//! ([`capacity`]); sessions already held (carts, logged-in buyers, payments under way) go on
//! undisturbed, and so does browsing that stores nothing. Nothing is evicted to make room: a
//! flood of new visitors must not log out the buyers in the middle of a checkout. A login in
//! progress is not kept in the store at all (a short-lived signed cookie, `auth.rs`), so an
//! anonymous `GET /login` stores nothing.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use redis::aio::ConnectionManager;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result as StoreResult};
use tower_sessions::{Session, SessionStore};

/// Marks now as the start of the session's absolute lifetime (at creation and at login).
pub async fn stamp(session: &Session) -> Result<(), shop::Error> {
    shop::session::set_created_at(session, OffsetDateTime::now_utc().unix_timestamp()).await
}

/// Ends sessions older than `max_age` (the absolute timeout), then stamps new sessions.
///
/// A request carrying an expired session is served with a fresh, empty session (the old record
/// is deleted from the store and its cookie removed). A session is stamped only once it holds
/// something, so anonymous visits that store nothing still create no session.
pub async fn absolute_timeout(
    State(max_age): State<std::time::Duration>,
    req: Request,
    next: Next,
) -> Response {
    let Some(session) = req.extensions().get::<Session>().cloned() else {
        return next.run(req).await;
    };
    if let Some(created) = shop::session::created_at(&session).await {
        let age = OffsetDateTime::now_utc().unix_timestamp() - created;
        if age < 0 || age as u64 >= max_age.as_secs() {
            tracing::info!(
                age_secs = age,
                "session reached its absolute timeout; ended"
            );
            if let Err(e) = session.flush().await {
                tracing::warn!(error = %e, "an expired session could not be deleted");
            }
        }
    }
    let res = next.run(req).await;
    if shop::session::created_at(&session).await.is_none() && !session.is_empty().await {
        if let Err(e) = stamp(&session).await {
            tracing::warn!(error = %e, "the session's start could not be recorded");
        }
    }
    res
}

/// Where sessions are kept. Its `Debug` hides the password of a Redis URL.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// In this process: lost at restart, not shared between instances.
    Memory,
    /// A Redis server (`redis://host:port[/db]`, `rediss://` for TLS is not compiled in).
    Redis(String),
}

impl StoreConfig {
    /// `memory` or a `redis://` URL (the `SHOP_SESSION_STORE` setting).
    pub fn parse(v: &str) -> Result<StoreConfig, String> {
        let v = v.trim();
        if v.eq_ignore_ascii_case("memory") {
            return Ok(StoreConfig::Memory);
        }
        if v.starts_with("redis://") && redis::Client::open(v).is_ok() {
            return Ok(StoreConfig::Redis(v.to_string()));
        }
        Err(format!(
            "SHOP_SESSION_STORE: expected memory or redis://host:port, got {:?}",
            redact_url(v)
        ))
    }
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreConfig::Memory => f.write_str("Memory"),
            StoreConfig::Redis(url) => f.debug_tuple("Redis").field(&redact_url(url)).finish(),
        }
    }
}

/// A URL for logs and `Debug`: its password (`redis://user:secret@host`) replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match openidconnect::url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        // not a URL: whatever stands before the last '@' may be a secret
        Err(_) => match url.rsplit_once('@') {
            Some((_, host)) => format!("***@{host}"),
            None => url.to_string(),
        },
    }
}

/// Most sessions the memory store holds (`SHOP_SESSION_MEMORY_MAX`): about 1.3 KB each for a
/// cart or a logged-in buyer, so some 65 MB when full.
pub const DEFAULT_MEMORY_MAX: usize = 50_000;

/// How often the memory store drops its expired sessions.
pub const PURGE_EVERY: Duration = Duration::from_secs(60);

/// Sessions in this process, at most `max` of them; expired ones are dropped by
/// [`MemorySessions::purge_expired`] (every [`PURGE_EVERY`] once [`ShopStore::open`] started its
/// task), when found expired at load, and when the store is full.
#[derive(Clone)]
pub struct MemorySessions {
    inner: Arc<MemoryInner>,
}

struct MemoryInner {
    records: Mutex<HashMap<Id, Record>>,
    max: usize,
    /// When a full store last looked for expired sessions (at most once a second).
    last_full_purge: Mutex<Option<Instant>>,
}

impl fmt::Debug for MemorySessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySessions")
            .field("sessions", &self.len())
            .field("max", &self.inner.max)
            .finish()
    }
}

fn expired(r: &Record, now: OffsetDateTime) -> bool {
    r.expiry_date <= now
}

impl MemorySessions {
    /// An empty store that holds at most `max` sessions (at least one).
    pub fn new(max: usize) -> MemorySessions {
        MemorySessions {
            inner: Arc::new(MemoryInner {
                records: Mutex::new(HashMap::new()),
                max: max.max(1),
                last_full_purge: Mutex::new(None),
            }),
        }
    }

    fn records(&self) -> std::sync::MutexGuard<'_, HashMap<Id, Record>> {
        self.inner
            .records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// How many sessions are held (expired ones not purged yet included).
    pub fn len(&self) -> usize {
        self.records().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most sessions held.
    pub fn max(&self) -> usize {
        self.inner.max
    }

    /// Drops the expired sessions; returns how many.
    pub fn purge_expired(&self) -> usize {
        let now = OffsetDateTime::now_utc();
        let mut records = self.records();
        let before = records.len();
        records.retain(|_, r| !expired(r, now));
        before - records.len()
    }

    /// Whether a new session fits. A full store first drops its expired sessions (not more
    /// often than once a second, so a flood does not scan the whole store on every request).
    pub fn has_room(&self) -> bool {
        if self.len() < self.inner.max {
            return true;
        }
        {
            let mut last = self
                .inner
                .last_full_purge
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
                return false;
            }
            *last = Some(Instant::now());
        }
        self.purge_expired();
        self.len() < self.inner.max
    }

    /// Purges the expired sessions every `every`, for as long as the store is in use.
    pub fn spawn_purge(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let store: Weak<MemoryInner> = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(inner) = store.upgrade() else {
                    return;
                };
                let purged = MemorySessions { inner }.purge_expired();
                if purged > 0 {
                    tracing::debug!(purged, "expired sessions purged from memory");
                }
            }
        })
    }

    fn full(&self) -> Error {
        Error::Backend(format!(
            "the memory session store is full ({} sessions)",
            self.inner.max
        ))
    }
}

#[async_trait]
impl SessionStore for MemorySessions {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        if !self.has_room() {
            return Err(self.full());
        }
        let mut records = self.records();
        if records.len() >= self.inner.max {
            return Err(self.full());
        }
        while records.contains_key(&record.id) {
            record.id = Id::default();
        }
        records.insert(record.id, record.clone());
        Ok(())
    }

    async fn save(&self, record: &Record) -> StoreResult<()> {
        let known = self.records().contains_key(&record.id);
        if !known && !self.has_room() {
            return Err(self.full());
        }
        self.records().insert(record.id, record.clone());
        Ok(())
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        let now = OffsetDateTime::now_utc();
        let mut records = self.records();
        if records.get(id).is_some_and(|r| expired(r, now)) {
            records.remove(id);
            return Ok(None);
        }
        Ok(records.get(id).cloned())
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        self.records().remove(id);
        Ok(())
    }
}

/// Refuses, with a page that says so, a request that would start a new session while the store
/// is full (see the module's documentation). Sits inside the session layer: a 503 is not saved.
pub async fn capacity(State(store): State<ShopStore>, req: Request, next: Next) -> Response {
    let session = req.extensions().get::<Session>().cloned();
    let res = next.run(req).await;
    let Some(session) = session else {
        return res;
    };
    let creates = session.id().is_none() && session.is_modified() && !session.is_empty().await;
    if creates && !store.has_room() {
        tracing::warn!(
            sessions = store.sessions_in_memory(),
            "the session store is full: a new session was refused"
        );
        return busy();
    }
    res
}

/// The page of a refused new session.
fn busy() -> Response {
    let mut res = (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>The shop is busy</title></head>\
             <body><main><h1>The shop is very busy</h1><p role=\"alert\">So many visitors are here right now that the shop cannot start a basket or a login for you. \
             Please try again in a few minutes.</p><p><a href=\"/\">Back to the shop</a></p></main></body></html>",
        ),
    )
        .into_response();
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("120"));
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The configured store, behind one type for the session layer.
#[derive(Clone, Debug)]
pub enum ShopStore {
    Memory(MemorySessions),
    Redis(RedisStore),
}

impl ShopStore {
    /// Opens the store with the default bound of the memory store ([`DEFAULT_MEMORY_MAX`]).
    pub async fn open(config: &StoreConfig) -> Result<ShopStore, String> {
        Self::open_with(config, DEFAULT_MEMORY_MAX).await
    }

    /// Opens the store; in memory, at most `memory_max` sessions, purged every [`PURGE_EVERY`]
    /// (needs a Tokio runtime); for Redis, connects now so a wrong URL stops the start.
    pub async fn open_with(config: &StoreConfig, memory_max: usize) -> Result<ShopStore, String> {
        Ok(match config {
            StoreConfig::Memory => {
                let store = MemorySessions::new(memory_max);
                store.spawn_purge(PURGE_EVERY);
                ShopStore::Memory(store)
            }
            StoreConfig::Redis(url) => {
                ShopStore::Redis(RedisStore::connect(url).await.map_err(|e| {
                    format!(
                        "SHOP_SESSION_STORE: cannot use Redis at {}: {e}",
                        redact_url(url)
                    )
                })?)
            }
        })
    }

    /// How many sessions this process holds (`None` for Redis, which expires its own).
    pub fn sessions_in_memory(&self) -> Option<usize> {
        match self {
            ShopStore::Memory(s) => Some(s.len()),
            ShopStore::Redis(_) => None,
        }
    }

    /// Whether a new session can be stored (Redis: always; it is bounded by its own settings).
    pub fn has_room(&self) -> bool {
        match self {
            ShopStore::Memory(s) => s.has_room(),
            ShopStore::Redis(_) => true,
        }
    }
}

#[async_trait]
impl SessionStore for ShopStore {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        match self {
            ShopStore::Memory(s) => s.create(record).await,
            ShopStore::Redis(s) => s.create(record).await,
        }
    }
    async fn save(&self, record: &Record) -> StoreResult<()> {
        match self {
            ShopStore::Memory(s) => s.save(record).await,
            ShopStore::Redis(s) => s.save(record).await,
        }
    }
    async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        match self {
            ShopStore::Memory(s) => s.load(id).await,
            ShopStore::Redis(s) => s.load(id).await,
        }
    }
    async fn delete(&self, id: &Id) -> StoreResult<()> {
        match self {
            ShopStore::Memory(s) => s.delete(id).await,
            ShopStore::Redis(s) => s.delete(id).await,
        }
    }
}

/// Sessions in Redis: one JSON value per session under `shop:session:{id}`, expiring in Redis
/// itself at the session's expiry (`EXAT`), so nothing needs purging.
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RedisStore")
    }
}

fn key(id: &Id) -> String {
    format!("shop:session:{id}")
}

fn backend(e: redis::RedisError) -> Error {
    Error::Backend(e.to_string())
}

impl RedisStore {
    /// Connects (and checks the server answers).
    pub async fn connect(url: &str) -> Result<RedisStore, String> {
        let client = redis::Client::open(url).map_err(|e| e.to_string())?;
        let mut conn = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            ConnectionManager::new(client),
        )
        .await
        .map_err(|_| "no answer within 5 s".to_string())?
        .map_err(|e| e.to_string())?;
        let _: String = redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        Ok(RedisStore { conn })
    }

    /// `SET key value EXAT expiry [NX]`; `Ok(false)` when NX found the key taken.
    async fn set(&self, record: &Record, only_new: bool) -> StoreResult<bool> {
        let value = serde_json::to_string(record).map_err(|e| Error::Encode(e.to_string()))?;
        let mut cmd = redis::cmd("SET");
        cmd.arg(key(&record.id))
            .arg(value)
            .arg("EXAT")
            .arg(record.expiry_date.unix_timestamp().max(1));
        if only_new {
            cmd.arg("NX");
        }
        let mut conn = self.conn.clone();
        let done: Option<String> = cmd.query_async(&mut conn).await.map_err(backend)?;
        Ok(done.is_some())
    }
}

#[async_trait]
impl SessionStore for RedisStore {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        // a colliding id (astronomically unlikely with 128 random bits) gets a new one
        while !self.set(record, true).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> StoreResult<()> {
        self.set(record, false).await.map(|_| ())
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        let mut conn = self.conn.clone();
        let value: Option<String> = redis::cmd("GET")
            .arg(key(id))
            .query_async(&mut conn)
            .await
            .map_err(backend)?;
        let Some(value) = value else {
            return Ok(None);
        };
        let record: Record =
            serde_json::from_str(&value).map_err(|e| Error::Decode(e.to_string()))?;
        Ok((record.expiry_date > OffsetDateTime::now_utc()).then_some(record))
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        let mut conn = self.conn.clone();
        let _: i64 = redis::cmd("DEL")
            .arg(key(id))
            .query_async(&mut conn)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_setting() {
        assert_eq!(StoreConfig::parse("memory"), Ok(StoreConfig::Memory));
        assert_eq!(
            StoreConfig::parse("redis://127.0.0.1:6379"),
            Ok(StoreConfig::Redis("redis://127.0.0.1:6379".into()))
        );
        for bad in ["", "mem", "http://127.0.0.1:6379", "redis://"] {
            let e = StoreConfig::parse(bad).unwrap_err();
            assert!(e.starts_with("SHOP_SESSION_STORE"), "{bad}: {e}");
        }
    }

    #[test]
    fn debug_and_errors_hide_the_redis_password() {
        let c = StoreConfig::parse("redis://shop:hunter2-secret@10.0.0.5:6379/2").unwrap();
        let debug = format!("{c:?}");
        assert!(!debug.contains("hunter2-secret"), "{debug}");
        assert!(debug.contains("shop:***@10.0.0.5:6379"), "{debug}");
        // a Settings-like struct that holds it does not show it either
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            store: StoreConfig,
        }
        let all = format!("{:#?}", Holder { store: c });
        assert!(!all.contains("hunter2-secret"), "{all}");
        // a refused value is named without its password
        let e = StoreConfig::parse("rediss://:hunter2-secret@10.0.0.5").unwrap_err();
        assert!(!e.contains("hunter2-secret"), "{e}");
        assert_eq!(format!("{:?}", StoreConfig::Memory), "Memory");
    }

    fn record(expires_in: time::Duration) -> Record {
        Record {
            id: Id::default(),
            data: Default::default(),
            expiry_date: OffsetDateTime::now_utc() + expires_in,
        }
    }

    #[tokio::test]
    async fn the_memory_store_purges_expired_sessions_and_holds_at_most_its_max() {
        let store = MemorySessions::new(3);
        let mut live = record(time::Duration::minutes(30));
        store.create(&mut live).await.unwrap();
        for _ in 0..2 {
            store
                .create(&mut record(time::Duration::seconds(-1)))
                .await
                .unwrap();
        }
        assert_eq!(store.len(), 3);
        // full of expired sessions: they make room for a new one
        store
            .create(&mut record(time::Duration::minutes(30)))
            .await
            .unwrap();
        assert_eq!(store.len(), 2);
        store
            .create(&mut record(time::Duration::minutes(30)))
            .await
            .unwrap();
        // full of live sessions: a new one is refused, the live ones stay
        let e = store
            .create(&mut record(time::Duration::minutes(30)))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("full"), "{e}");
        assert!(!store.has_room());
        assert_eq!(store.len(), 3);
        assert!(store.load(&live.id).await.unwrap().is_some());
        // a held session can still be saved
        store.save(&live).await.unwrap();
        store.delete(&live.id).await.unwrap();
        assert!(store.has_room());
        // an expired session is not loaded, and dropped when asked for
        let mut old = record(time::Duration::seconds(-1));
        store.create(&mut old).await.unwrap();
        assert!(store.load(&old.id).await.unwrap().is_none());
        assert_eq!(store.len(), 2);
        assert_eq!(store.purge_expired(), 0);
        assert!(format!("{store:?}").contains("sessions: 2"));
    }
}
