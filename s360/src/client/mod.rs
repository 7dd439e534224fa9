//! The HTTP client for S-360: one [`Client`] per virtual operator (institution + point of sale).
//!
//! Every call goes through the same pipeline: circuit breaker -> client-side rate limiter ->
//! token (refreshed before expiry, one refresh in flight) -> POST with timeouts -> envelope
//! check. Reads and idempotent writes are retried with jittered backoff; a 401 triggers one
//! re-authentication; `in_progress` answers are polled with the same `requestId`.
//!
//! A call never waits past its deadline ([`ClientConfig::call_deadline`], or
//! [`Client::with_deadline`]): a queue, a backoff or a `Retry-After` that would outlive it fails
//! the call at once (with the 509/429 as [`Error::RateLimited`]), so the caller can fall back.

mod availability_cache;
mod breaker;
mod catalog_cache;
mod contacts;
mod history;
mod limiter;
mod metrics;
mod orders;
mod production;
mod shipment;
mod token;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

pub use availability_cache::{AvailabilityCache, SEAT_MAP_TTL};
pub use breaker::BreakerState;
pub use catalog_cache::{CatalogCache, CatalogSnapshot};
pub use limiter::{LimiterConfig, Priority};
pub use metrics::{CallStats, MetricsSnapshot};

use crate::envelope::{self, Service, Status};
use crate::model::availability::*;
use crate::model::catalog::*;

/// How to reach one S-360 operator.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// e.g. `https://mosa.ws.secutix.com` or the sandbox's `http://127.0.0.1:8360`.
    pub base_url: String,
    pub operator: String,
    pub secret: String,
    pub partner: String,
    pub connect_timeout: Duration,
    /// Deadline of one HTTP attempt.
    pub request_timeout: Duration,
    /// Attempts for calls that are safe to repeat.
    pub max_attempts: u32,
    pub limits: LimiterConfig,
    /// Consecutive failures that open the breaker, and how long it stays open.
    pub breaker_threshold: u32,
    pub breaker_cooldown: Duration,
    /// How long to poll an `in_progress` answer before giving up.
    pub in_progress_deadline: Duration,
    /// The longest a call may take in all: limiter queue, retries, their backoff and
    /// `Retry-After`, `in_progress` polls. A wait that would end past it is not started: the
    /// call fails at once with the last error. Per handle: [`Client::with_deadline`].
    pub call_deadline: Duration,
}

impl ClientConfig {
    pub fn new(
        base_url: impl Into<String>,
        operator: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        ClientConfig {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            operator: operator.into(),
            secret: secret.into(),
            partner: "rust-ticket-shop".into(),
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(15),
            max_attempts: 3,
            limits: LimiterConfig::default(),
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(10),
            in_progress_deadline: Duration::from_secs(60),
            call_deadline: Duration::from_secs(120),
        }
    }
}

/// What can go wrong with a call.
/// How an [`Error::Unavailable`] for a request sent without an answer begins.
const NO_ANSWER: &str = "sent, no answer: ";

#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// `error.order.availability`: stock is missing.
    #[error("not enough availability: {0}")]
    Availability(String),
    /// `error.shipmentSent`.
    #[error("the shipment was already sent: {0}")]
    ShipmentSent(String),
    /// Something named in the request does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// Any other business status.
    #[error("S-360 answered {0}: {1}")]
    Other(String, String),
    /// 401 after a fresh token: the operator or secret is wrong.
    #[error("S-360 refused the operator's credentials")]
    Unauthorized,
    /// 509 / 429 from S-360, or the client-side limiter refusing a call it cannot delay
    /// (within the limiter's `max_wait` and the call's deadline).
    #[error("rate limited by S-360 (retry after {retry_after:?})")]
    RateLimited { retry_after: Duration },
    /// The breaker is open: S-360 failed repeatedly, calls fail fast for a while.
    #[error("S-360 is unavailable (circuit open)")]
    CircuitOpen,
    /// Connection failure, timeout or 5xx.
    #[error("S-360 unreachable or failing: {0}")]
    Unavailable(String),
    /// `in_progress` for longer than the deadline.
    #[error("S-360 still computing after the deadline")]
    StillInProgress,
    /// A response we could not read.
    #[error("unexpected answer from S-360: {0}")]
    Protocol(String),
}

impl Error {
    fn from_status(status: Status) -> Error {
        let detail = status.status_detail.unwrap_or_default();
        match status.status_code.as_str() {
            envelope::ERROR_AVAILABILITY => Error::Availability(detail),
            envelope::ERROR_SHIPMENT_SENT => Error::ShipmentSent(detail),
            envelope::ERROR_NOT_FOUND => Error::NotFound(detail),
            code => Error::Other(code.to_string(), detail),
        }
    }

    /// Whether a write may have been applied by S-360 although the call failed: the request
    /// was sent and no answer came (a timeout, a connection lost, a body cut short). A caller
    /// that must not apply a write twice checks S-360's state before sending it again.
    pub fn may_have_been_applied(&self) -> bool {
        matches!(self, Error::Unavailable(m) if m.starts_with(NO_ANSWER))
    }

    /// Whether trying again later may succeed (and counts against the breaker).
    fn is_transient(&self) -> bool {
        matches!(self, Error::Unavailable(_) | Error::RateLimited { .. })
    }
}

/// Whether a call may be sent again after a failure whose effect is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Reads, and writes the contract declares idempotent (sent with the same `requestId`).
    Safe,
    /// Sent once; a failure is reported, never retried blindly.
    Once,
}

struct Inner {
    config: ClientConfig,
    http: reqwest::Client,
    tokens: token::TokenManager,
    limiter: limiter::Limiter,
    breaker: breaker::Breaker,
    metrics: metrics::Metrics,
    request_ids: AtomicI64,
}

/// A cheap-to-clone handle on one operator's connection to S-360.
///
/// Handles made with [`Client::with_priority`] and [`Client::with_deadline`] share the
/// connection, token, limiter, breaker and metrics; only their calls' priority and deadline
/// differ.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    priority: Priority,
    deadline: Option<Duration>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.config.base_url)
            .field("operator", &self.inner.config.operator)
            .field("priority", &self.priority)
            .finish()
    }
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| Error::Protocol(format!("HTTP client: {e}")))?;
        let seed = chrono::Utc::now().timestamp_millis() % 1_000_000_000;
        Ok(Client {
            inner: Arc::new(Inner {
                tokens: token::TokenManager::new(),
                limiter: limiter::Limiter::new(config.limits.clone()),
                breaker: breaker::Breaker::new(config.breaker_threshold, config.breaker_cooldown),
                metrics: metrics::Metrics::default(),
                request_ids: AtomicI64::new(seed),
                http,
                config,
            }),
            priority: Priority::Normal,
            deadline: None,
        })
    }

    /// A handle whose calls have `priority`. [`Priority::PaidOrder`] is for bringing a paid
    /// order to its final state (finalisation, reconciliation): those calls may use the share
    /// of the order services' budget that ordinary calls cannot take
    /// ([`LimiterConfig::reserved_percent`]), so they do not queue behind a rush of carts.
    pub fn with_priority(&self, priority: Priority) -> Client {
        Client {
            priority,
            ..self.clone()
        }
    }

    /// A handle whose calls end within `deadline` (instead of
    /// [`ClientConfig::call_deadline`]).
    pub fn with_deadline(&self, deadline: Duration) -> Client {
        Client {
            deadline: Some(deadline),
            ..self.clone()
        }
    }

    /// The priority of this handle's calls.
    pub fn priority(&self) -> Priority {
        self.priority
    }

    fn deadline(&self) -> Duration {
        self.deadline.unwrap_or(self.inner.config.call_deadline)
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Counters for the metrics endpoint.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.inner.metrics.snapshot(self.inner.breaker.state())
    }

    pub(crate) fn record_cache(&self, hit: bool) {
        self.inner.metrics.record_cache(hit);
    }

    pub fn breaker_state(&self) -> BreakerState {
        self.inner.breaker.state()
    }

    /// A fresh `requestId` for an idempotent write or a poll.
    pub fn next_request_id(&self) -> i64 {
        self.inner.request_ids.fetch_add(1, Ordering::Relaxed)
    }

    /// Calls `service.method` with `req` and reads the payload `T` from a success envelope.
    pub async fn call<Req, T>(
        &self,
        service: Service,
        method: &str,
        req: &Req,
        idem: Idempotency,
    ) -> Result<T, Error>
    where
        Req: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let body = serde_json::to_value(req).map_err(|e| Error::Protocol(e.to_string()))?;
        let deadline = Instant::now() + self.deadline();
        let value = self
            .call_value(service, method, method, body, idem, deadline)
            .await?;
        serde_json::from_value(value)
            .map_err(|e| Error::Protocol(format!("{service}.{method}: {e}")))
    }

    /// Like [`Client::call`], polling `in_progress` answers with the same `requestId`.
    pub async fn call_polling<Req, T>(
        &self,
        service: Service,
        method: &str,
        req: &Req,
    ) -> Result<T, Error>
    where
        Req: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let mut body = serde_json::to_value(req).map_err(|e| Error::Protocol(e.to_string()))?;
        let started = Instant::now();
        let deadline = started + self.deadline();
        let poll_deadline = (started + self.inner.config.in_progress_deadline).min(deadline);
        let mut delay = Duration::from_millis(200);
        loop {
            // polls of a running computation are not new calls for the per-method budget
            let limiter_key = if body.get("requestId").is_some() {
                "poll"
            } else {
                method
            };
            let value = self
                .call_value(
                    service,
                    method,
                    limiter_key,
                    body.clone(),
                    Idempotency::Safe,
                    deadline,
                )
                .await?;
            let status: Status = serde_json::from_value(value.clone())
                .map_err(|e| Error::Protocol(e.to_string()))?;
            if status.status_code != envelope::IN_PROGRESS {
                return serde_json::from_value(value)
                    .map_err(|e| Error::Protocol(format!("{service}.{method}: {e}")));
            }
            if Instant::now() + delay > poll_deadline {
                return Err(Error::StillInProgress);
            }
            if let (Some(id), Value::Object(map)) = (status.request_id, &mut body) {
                map.insert("requestId".into(), id.into());
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    async fn call_value(
        &self,
        service: Service,
        method: &str,
        limiter_key: &str,
        body: Value,
        idem: Idempotency,
        deadline: Instant,
    ) -> Result<Value, Error> {
        let inner = &self.inner;
        let attempts = match idem {
            Idempotency::Safe => inner.config.max_attempts.max(1),
            Idempotency::Once => 1,
        };
        let mut last = Error::Unavailable("no attempt".into());
        for attempt in 0..attempts {
            if attempt > 0 {
                let wait = match &last {
                    Error::RateLimited { retry_after } => *retry_after,
                    _ => backoff(attempt),
                };
                if Instant::now()
                    .checked_add(wait)
                    .is_none_or(|t| t > deadline)
                {
                    // sleeping would outlive the call (a Retry-After of 10 minutes on
                    // getCatalogDetailed, or one too large to add to the clock): fail now, so
                    // that the caller can fall back
                    return Err(last);
                }
                tokio::time::sleep(wait).await;
            }
            if !inner.breaker.allow() {
                return Err(Error::CircuitOpen);
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            let mut permit = inner
                .limiter
                .acquire(service, limiter_key, self.priority, remaining)
                .await?;
            if permit.waited() > Duration::ZERO {
                inner.metrics.record_limiter_wait(permit.waited());
            }
            let started = Instant::now();
            let result = self.attempt(service, method, &body, &mut permit).await;
            inner
                .metrics
                .record_call(service, method, started.elapsed(), result.is_ok());
            match result {
                Ok(v) => {
                    inner.breaker.success();
                    return Ok(v);
                }
                Err(e) if e.is_transient() => {
                    // a rate limit says nothing about the platform's health
                    if !matches!(e, Error::RateLimited { .. }) {
                        inner.breaker.failure();
                    }
                    tracing::warn!(%service, method, attempt, error = %e, "S-360 call failed");
                    last = e;
                }
                Err(e) => {
                    inner.breaker.success();
                    return Err(e);
                }
            }
        }
        Err(last)
    }

    /// One HTTP exchange, with one re-authentication on 401. The limiter's slot is spent when
    /// the request is sent (dropped before, it goes back).
    async fn attempt(
        &self,
        service: Service,
        method: &str,
        body: &Value,
        permit: &mut limiter::Permit<'_>,
    ) -> Result<Value, Error> {
        let url = format!("{}{}", self.inner.config.base_url, service.path(method));
        let mut reauthed = false;
        loop {
            let token = self
                .inner
                .tokens
                .get(&self.inner.http, &self.inner.config)
                .await?;
            permit.sent();
            let resp = self
                .inner
                .http
                .post(&url)
                .bearer_auth(&token)
                .json(body)
                .send()
                .await
                .map_err(|e| {
                    // past the connection the request may have reached S-360
                    Error::Unavailable(if e.is_connect() {
                        e.to_string()
                    } else {
                        format!("{NO_ANSWER}{e}")
                    })
                })?;
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED {
                if reauthed {
                    return Err(Error::Unauthorized);
                }
                self.inner.tokens.invalidate(&token).await;
                reauthed = true;
                continue;
            }
            if status.as_u16() == 509 || status == StatusCode::TOO_MANY_REQUESTS {
                let retry_after = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|h| h.to_str().ok())
                    .and_then(|s| s.parse::<u64>().ok())
                    .map(Duration::from_secs)
                    .unwrap_or(Duration::from_secs(5));
                self.inner.limiter.penalise(service, method, retry_after);
                return Err(Error::RateLimited { retry_after });
            }
            if status.is_server_error() {
                // a gateway's 502/504 says nothing of what S-360 behind it did
                let unknown = matches!(status.as_u16(), 502 | 504);
                return Err(Error::Unavailable(format!(
                    "{}HTTP {status}",
                    if unknown { NO_ANSWER } else { "" }
                )));
            }
            if !status.is_success() {
                let text = resp.text().await.unwrap_or_default();
                return Err(Error::Protocol(format!("HTTP {status}: {text}")));
            }
            let value: Value = resp
                .json()
                .await
                .map_err(|e| Error::Unavailable(format!("{NO_ANSWER}reading body: {e}")))?;
            let st: Status = serde_json::from_value(value.clone())
                .map_err(|e| Error::Protocol(e.to_string()))?;
            if st.status_code == envelope::SUCCESS || st.status_code == envelope::IN_PROGRESS {
                return Ok(value);
            }
            return Err(Error::from_status(st));
        }
    }

    // ------------------------------------------------------------------------------------------
    // Typed calls

    pub async fn get_pos_config(&self) -> Result<PosConfigData, Error> {
        let r: PosConfigResult = self
            .call(
                Service::Catalog,
                "getPOSConfig",
                &serde_json::json!({}),
                Idempotency::Safe,
            )
            .await?;
        r.pos_config_data
            .ok_or_else(|| Error::Protocol("getPOSConfig without posConfigData".into()))
    }

    /// The full catalog; polls `in_progress`. Limited to one call per 10 minutes.
    pub async fn get_catalog_detailed(&self) -> Result<CatalogData, Error> {
        let r: CatalogResult = self
            .call_polling(
                Service::Catalog,
                "getCatalogDetailed",
                &CatalogRequest::default(),
            )
            .await?;
        r.catalog_data
            .ok_or_else(|| Error::Protocol("getCatalogDetailed without catalogData".into()))
    }

    pub async fn get_last_setup_update(
        &self,
    ) -> Result<chrono::DateTime<chrono::FixedOffset>, Error> {
        let r: LastSetupUpdateResult = self
            .call(
                Service::Catalog,
                "getLastSetupUpdate",
                &serde_json::json!({}),
                Idempotency::Safe,
            )
            .await?;
        r.last_setup_update
            .ok_or_else(|| Error::Protocol("getLastSetupUpdate without a date".into()))
    }

    pub async fn list_seasons(&self) -> Result<Vec<Season>, Error> {
        let r: ListSeasonsResult = self
            .call(
                Service::Setup,
                "listSeasons",
                &serde_json::json!({}),
                Idempotency::Safe,
            )
            .await?;
        Ok(r.seasons)
    }

    /// Every product of the given seasons, walking the offset pagination to its end.
    pub async fn search_all_products(
        &self,
        season_ids: Vec<crate::ids::SeasonId>,
    ) -> Result<Vec<Product>, Error> {
        const PAGE: u32 = 100;
        let mut all = Vec::new();
        loop {
            let req = SearchProductsRequest {
                search_products_criteria: SearchProductsCriteria {
                    season_ids: season_ids.clone(),
                    product_family_types: vec![],
                },
                granularity: Some("COMPLETE".into()),
                min_index: all.len() as u32,
                nb_max_results: Some(PAGE),
            };
            let r: SearchProductsResult = self
                .call(
                    Service::Setup,
                    "searchProductsByCriteria",
                    &req,
                    Idempotency::Safe,
                )
                .await?;
            let n = r.products.len();
            all.extend(r.products);
            if n < PAGE as usize {
                return Ok(all);
            }
        }
    }

    pub async fn list_audience_sub_categories(
        &self,
        season_id: crate::ids::SeasonId,
    ) -> Result<Vec<AudienceSubCategory>, Error> {
        let r: ListAudienceSubCategoriesResult = self
            .call(
                Service::Setup,
                "listAudienceSubCategories",
                &SeasonRequest { season_id },
                Idempotency::Safe,
            )
            .await?;
        Ok(r.audience_sub_categories)
    }

    pub async fn list_price_levels(
        &self,
        season_id: crate::ids::SeasonId,
    ) -> Result<Vec<PriceLevel>, Error> {
        let r: ListPriceLevelsResult = self
            .call(
                Service::Setup,
                "listPriceLevels",
                &SeasonRequest { season_id },
                Idempotency::Safe,
            )
            .await?;
        Ok(r.price_levels)
    }

    pub async fn get_event_availability(
        &self,
        req: &EventAvailabilityRequest,
    ) -> Result<Vec<AvailabilityItem>, Error> {
        let r: EventAvailabilityResult = self
            .call(
                Service::Availability,
                "getEventAvailability",
                req,
                Idempotency::Safe,
            )
            .await?;
        Ok(r.event_availability_data
            .unwrap_or_default()
            .event_availabilities)
    }

    pub async fn get_performance_availability(
        &self,
        req: &EventAvailabilityRequest,
    ) -> Result<Vec<AvailabilityItem>, Error> {
        let r: PerformanceAvailabilityResult = self
            .call(
                Service::Availability,
                "getPerformanceAvailability",
                req,
                Idempotency::Safe,
            )
            .await?;
        Ok(r.performance_availability_data
            .unwrap_or_default()
            .performance_availabilities)
    }

    pub async fn get_product_availability(
        &self,
        req: &ProductAvailabilityRequest,
    ) -> Result<Vec<AvailabilityItem>, Error> {
        let r: ProductAvailabilityResult = self
            .call(
                Service::Availability,
                "getProductAvailability",
                req,
                Idempotency::Safe,
            )
            .await?;
        Ok(r.product_availability_data
            .unwrap_or_default()
            .product_availabilities)
    }

    /// Guided-tour themes and languages of a visit pass's time slots.
    pub async fn get_available_theme_and_language(
        &self,
        req: &ThemeAndLanguageRequest,
    ) -> Result<Vec<ThemeAndLanguage>, Error> {
        let r: ThemeAndLanguageResult = self
            .call(
                Service::Availability,
                "getAvailableThemeAndLanguage",
                req,
                Idempotency::Safe,
            )
            .await?;
        Ok(r.list_theme_and_language)
    }

    pub async fn get_updated_availabilities(
        &self,
        req: &UpdatedAvailabilitiesRequest,
    ) -> Result<Vec<AvailabilityUpdate>, Error> {
        let r: UpdatedAvailabilitiesResult = self
            .call(
                Service::Availability,
                "getUpdatedAvailabilities",
                req,
                Idempotency::Safe,
            )
            .await?;
        Ok(r.availability_update_data)
    }
}

/// Exponential backoff with full jitter: 0..(200 ms * 2^attempt), capped at 5 s.
fn backoff(attempt: u32) -> Duration {
    let cap = Duration::from_millis(200 * 2u64.pow(attempt.min(5))).min(Duration::from_secs(5));
    let ms = rand::random_range(cap.as_millis() as u64 / 2..=cap.as_millis() as u64);
    Duration::from_millis(ms)
}
