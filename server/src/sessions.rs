//! Buyer sessions: where they are stored (`SHOP_SESSION_STORE`: in memory or in Redis) and how
//! long they live. The cookie (`shop_session`) is HttpOnly, SameSite=Lax and Secure when
//! configured; the id is rotated at login and logout (`auth.rs`). A session ends after
//! `SHOP_SESSION_IDLE_MINUTES` without a request (the store's expiry) and, whatever the
//! activity, `SHOP_SESSION_ABSOLUTE_HOURS` after it was created or its buyer logged in
//! ([`absolute_timeout`]).

use std::fmt;

use async_trait::async_trait;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use redis::aio::ConnectionManager;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result as StoreResult};
use tower_sessions::{MemoryStore, Session, SessionStore};

/// Session key of the time (unix seconds) the session started or its buyer logged in.
pub const CREATED_KEY: &str = "session.created";

/// Marks now as the start of the session's absolute lifetime (at creation and at login).
pub async fn stamp(session: &Session) -> Result<(), tower_sessions::session::Error> {
    session
        .insert(CREATED_KEY, OffsetDateTime::now_utc().unix_timestamp())
        .await
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
    let created = session.get::<i64>(CREATED_KEY).await.ok().flatten();
    if let Some(created) = created {
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
    if session
        .get::<i64>(CREATED_KEY)
        .await
        .ok()
        .flatten()
        .is_none()
        && !session.is_empty().await
    {
        if let Err(e) = stamp(&session).await {
            tracing::warn!(error = %e, "the session's start could not be recorded");
        }
    }
    res
}

/// Where sessions are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
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
            "SHOP_SESSION_STORE: expected memory or redis://host:port, got {v:?}"
        ))
    }
}

/// The configured store, behind one type for the session layer.
#[derive(Clone, Debug)]
pub enum ShopStore {
    Memory(MemoryStore),
    Redis(RedisStore),
}

impl ShopStore {
    /// Opens the store; for Redis, connects now so a wrong URL stops the start.
    pub async fn open(config: &StoreConfig) -> Result<ShopStore, String> {
        Ok(match config {
            StoreConfig::Memory => ShopStore::Memory(MemoryStore::default()),
            StoreConfig::Redis(url) => ShopStore::Redis(
                RedisStore::connect(url)
                    .await
                    .map_err(|e| format!("SHOP_SESSION_STORE: cannot use Redis at {url}: {e}"))?,
            ),
        })
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
}
