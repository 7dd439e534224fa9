//! The client-side limiter: keeps this process under S-360's per-service limits so that the
//! platform never has to answer 509/429 in normal operation.
//!
//! One reservation bucket per service: a caller takes a token even when none is left (the count
//! goes negative) and sleeps until its turn, so concurrent callers queue fairly in arrival order
//! instead of racing. `getCatalogDetailed` has its own interval and is refused rather than
//! delayed (waiting 10 minutes is never what a caller wants).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::Error;
use crate::envelope::Service;

#[derive(Debug, Clone)]
pub struct LimiterConfig {
    /// The institution's plan: calls per minute per service (S-360 default 60).
    pub per_minute: u32,
    /// Share of the plan we allow ourselves (headroom for clock drift and other clients).
    pub headroom_percent: u32,
    /// Minimum interval between two `getCatalogDetailed`.
    pub catalog_detailed_interval: Duration,
    /// Refuse instead of queueing when the wait would exceed this.
    pub max_wait: Duration,
}

impl Default for LimiterConfig {
    fn default() -> Self {
        LimiterConfig {
            per_minute: 60,
            headroom_percent: 90,
            catalog_detailed_interval: Duration::from_secs(600),
            max_wait: Duration::from_secs(120),
        }
    }
}

struct Bucket {
    tokens: f64,
    capacity: f64,
    per_sec: f64,
    last: Instant,
}

impl Bucket {
    fn reserve(&mut self, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.capacity);
        self.last = now;
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.per_sec)
        }
    }
}

pub(crate) struct Limiter {
    config: LimiterConfig,
    buckets: Mutex<HashMap<Service, Bucket>>,
    last_catalog: Mutex<Option<Instant>>,
}

impl Limiter {
    pub fn new(config: LimiterConfig) -> Self {
        Limiter {
            config,
            buckets: Mutex::default(),
            last_catalog: Mutex::new(None),
        }
    }

    fn allowed_per_minute(&self) -> f64 {
        (self.config.per_minute as f64 * self.config.headroom_percent as f64 / 100.0).max(1.0)
    }

    /// Waits for a slot; returns how long it waited.
    pub async fn acquire(&self, service: Service, method: &str) -> Result<Duration, Error> {
        if self.config.per_minute == 0 {
            return Ok(Duration::ZERO);
        }
        if service == Service::Catalog && method == "getCatalogDetailed" {
            let mut last = self.last_catalog.lock().await;
            let now = Instant::now();
            if let Some(t) = *last {
                let next = t + self.config.catalog_detailed_interval;
                if now < next {
                    return Err(Error::RateLimited {
                        retry_after: next - now,
                    });
                }
            }
            *last = Some(now);
        }
        let wait = {
            let mut buckets = self.buckets.lock().await;
            let per_minute = self.allowed_per_minute();
            let bucket = buckets.entry(service).or_insert_with(|| Bucket {
                tokens: per_minute.floor(),
                capacity: per_minute.floor(),
                per_sec: per_minute / 60.0,
                last: Instant::now(),
            });
            let wait = bucket.reserve(Instant::now());
            if wait > self.config.max_wait {
                bucket.tokens += 1.0; // not taken after all
                return Err(Error::RateLimited { retry_after: wait });
            }
            wait
        };
        if wait > Duration::ZERO {
            tokio::time::sleep(wait).await;
        }
        Ok(wait)
    }

    /// S-360 said 509/429 anyway (another client shares the quota): empty the bucket so that
    /// nobody in this process calls before `retry_after`.
    pub async fn penalise(&self, service: Service, retry_after: Duration) {
        let mut buckets = self.buckets.lock().await;
        if let Some(b) = buckets.get_mut(&service) {
            let debt = retry_after.as_secs_f64() * b.per_sec;
            b.tokens = b.tokens.min(0.0) - debt;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn queues_beyond_the_burst() {
        let l = Limiter::new(LimiterConfig {
            per_minute: 60,
            headroom_percent: 100,
            ..Default::default()
        });
        for _ in 0..60 {
            assert_eq!(
                l.acquire(Service::Availability, "x").await.unwrap(),
                Duration::ZERO
            );
        }
        let waited = l.acquire(Service::Availability, "x").await.unwrap();
        assert!(
            waited > Duration::from_millis(900) && waited <= Duration::from_secs(1),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn catalog_detailed_is_refused_not_queued() {
        let l = Limiter::new(LimiterConfig::default());
        l.acquire(Service::Catalog, "getCatalogDetailed")
            .await
            .unwrap();
        assert!(matches!(
            l.acquire(Service::Catalog, "getCatalogDetailed").await,
            Err(Error::RateLimited { .. })
        ));
    }
}
