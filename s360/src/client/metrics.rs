//! Counters of upstream calls, latency, cache use, limiter waits, breaker state.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::BreakerState;
use crate::envelope::Service;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallStats {
    pub calls: u64,
    pub errors: u64,
    pub total_latency: Duration,
    pub max_latency: Duration,
}

#[derive(Debug, Clone)]
pub struct MetricsSnapshot {
    /// Per (service, method).
    pub calls: BTreeMap<(Service, String), CallStats>,
    pub cache_hits: u64,
    pub cache_misses: u64,
    pub limiter_waits: u64,
    pub limiter_wait_total: Duration,
    pub breaker: BreakerState,
}

impl MetricsSnapshot {
    /// Upstream calls of one method.
    pub fn calls_of(&self, service: Service, method: &str) -> u64 {
        self.calls
            .get(&(service, method.to_string()))
            .map_or(0, |s| s.calls)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Metrics {
    calls: Mutex<BTreeMap<(Service, String), CallStats>>,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    limiter_waits: AtomicU64,
    limiter_wait_micros: AtomicU64,
}

impl Metrics {
    pub fn record_call(&self, service: Service, method: &str, latency: Duration, ok: bool) {
        let mut calls = self.calls.lock().expect("metrics lock");
        let s = calls.entry((service, method.to_string())).or_default();
        s.calls += 1;
        if !ok {
            s.errors += 1;
        }
        s.total_latency += latency;
        s.max_latency = s.max_latency.max(latency);
    }

    pub fn record_cache(&self, hit: bool) {
        if hit {
            self.cache_hits.fetch_add(1, Ordering::Relaxed);
        } else {
            self.cache_misses.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn record_limiter_wait(&self, d: Duration) {
        self.limiter_waits.fetch_add(1, Ordering::Relaxed);
        self.limiter_wait_micros
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    pub fn snapshot(&self, breaker: BreakerState) -> MetricsSnapshot {
        MetricsSnapshot {
            calls: self.calls.lock().expect("metrics lock").clone(),
            cache_hits: self.cache_hits.load(Ordering::Relaxed),
            cache_misses: self.cache_misses.load(Ordering::Relaxed),
            limiter_waits: self.limiter_waits.load(Ordering::Relaxed),
            limiter_wait_total: Duration::from_micros(
                self.limiter_wait_micros.load(Ordering::Relaxed),
            ),
            breaker,
        }
    }
}
