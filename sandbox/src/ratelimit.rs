//! S-360's rate limits: a token bucket per (institution, service), 60 calls a minute by default,
//! counted over every method and version of the service; `getCatalogDetailed` has its own bucket
//! of one call per 10 minutes on top, per catalog (per point of sale: a reseller's channel
//! builds its own).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use s360::bucket::TokenBucket;
use s360::Service;

/// The limits the sandbox enforces.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Calls per minute per (institution, service). 0 disables rate limiting.
    pub per_minute: u32,
    /// Minimum interval between two `getCatalogDetailed` of one institution.
    pub catalog_detailed_interval: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_minute: 60,
            catalog_detailed_interval: Duration::from_secs(600),
        }
    }
}

#[derive(Debug)]
pub struct RateLimiter {
    limits: Mutex<Limits>,
    buckets: Mutex<HashMap<(String, Service), TokenBucket>>,
    catalog: Mutex<HashMap<String, TokenBucket>>,
}

impl RateLimiter {
    pub fn new(limits: Limits) -> Self {
        RateLimiter {
            limits: Mutex::new(limits),
            buckets: Mutex::default(),
            catalog: Mutex::default(),
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits.lock().expect("limits lock").clone()
    }

    /// Changes the limits and starts every bucket afresh.
    pub fn set_limits(&self, limits: Limits) {
        *self.limits.lock().expect("limits lock") = limits;
        self.buckets.lock().expect("buckets lock").clear();
        self.catalog.lock().expect("catalog lock").clear();
    }

    /// Counts one call; `Err(retry_after)` when over the limit.
    pub fn check(&self, institution: &str, service: Service, method: &str) -> Result<(), Duration> {
        self.check_for(institution, institution, service, method)
    }

    /// Like [`RateLimiter::check`], the `getCatalogDetailed` bucket being the one of `catalog`
    /// (each point of sale builds its own catalog: the institution's code for the web point
    /// of sale, `{code}/{operator}` for a reseller's channel; OUR DESIGN).
    pub fn check_for(
        &self,
        institution: &str,
        catalog: &str,
        service: Service,
        method: &str,
    ) -> Result<(), Duration> {
        let limits = self.limits();
        if limits.per_minute == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("buckets lock");
        let bucket = buckets
            .entry((institution.to_string(), service))
            .or_insert_with(|| {
                TokenBucket::per_period(limits.per_minute, Duration::from_secs(60), now)
            });
        bucket.try_take(now)?;
        if service == Service::Catalog && method == "getCatalogDetailed" {
            let mut catalog_buckets = self.catalog.lock().expect("catalog lock");
            let cb = catalog_buckets
                .entry(catalog.to_string())
                .or_insert_with(|| {
                    TokenBucket::per_period(1, limits.catalog_detailed_interval, now)
                });
            if let Err(wait) = cb.try_take(now) {
                bucket.give_back(now);
                return Err(wait);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixty_first_call_is_refused() {
        let rl = RateLimiter::new(Limits::default());
        for i in 0..60 {
            assert!(
                rl.check("MOSA", Service::Availability, "x").is_ok(),
                "call {i}"
            );
        }
        let wait = rl.check("MOSA", Service::Availability, "x").unwrap_err();
        assert!(wait <= Duration::from_secs(1));
        // another service and another institution have their own buckets
        assert!(rl.check("MOSA", Service::Catalog, "getPOSConfig").is_ok());
        assert!(rl.check("CUBE", Service::Availability, "x").is_ok());
    }

    #[test]
    fn catalog_detailed_once_per_interval() {
        let rl = RateLimiter::new(Limits::default());
        assert!(rl
            .check("MOSA", Service::Catalog, "getCatalogDetailed")
            .is_ok());
        let wait = rl
            .check("MOSA", Service::Catalog, "getCatalogDetailed")
            .unwrap_err();
        assert!(wait > Duration::from_secs(590));
        assert!(rl.check("MOSA", Service::Catalog, "getPOSConfig").is_ok());
    }
}
