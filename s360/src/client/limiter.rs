//! The client-side limiter: keeps this process under S-360's per-service limits so that the
//! platform never has to answer 509/429 in normal operation.
//!
//! One reservation bucket ([`TokenBucket::reserve`]) per service: a caller takes a token even
//! when none is left (the count goes negative) and sleeps until its turn, so concurrent callers
//! queue fairly in arrival order instead of racing. `getCatalogDetailed` has its own interval
//! and is refused rather than delayed (waiting 10 minutes is never what a caller wants).
//!
//! - A reservation is a [`Permit`]. Dropped before its call went out (the caller gave up while
//!   queued, e.g. the buyer's HTTP request was cancelled), it gives its slot back: abandoned
//!   waits do not delay the callers that come after them.
//! - The services in [`LimiterConfig::reserved_services`] (the order services) keep
//!   [`LimiterConfig::reserved_percent`] of their budget in a second bucket that only
//!   [`Priority::PaidOrder`] calls may use: closing a paid order never queues behind anonymous
//!   carts and lookups. Priority calls also use the shared bucket when it is the sooner one.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::Error;
use crate::bucket::TokenBucket;
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
    /// Share (percent) of the budget of [`reserved_services`](Self::reserved_services) that
    /// only [`Priority::PaidOrder`] calls may use. 0 turns the reserve off.
    pub reserved_percent: u32,
    /// The services whose budget has a reserved share: the order services by default.
    pub reserved_services: Vec<Service>,
}

impl Default for LimiterConfig {
    fn default() -> Self {
        LimiterConfig {
            per_minute: 60,
            headroom_percent: 90,
            catalog_detailed_interval: Duration::from_secs(600),
            max_wait: Duration::from_secs(120),
            reserved_percent: 20,
            reserved_services: vec![Service::ExternalOrder, Service::ExternalOrderFacade],
        }
    }
}

/// Which share of a service's budget a call may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Priority {
    /// Everything else: shares the budget minus the reserve.
    #[default]
    Normal,
    /// Bringing a paid order to its final state (`getOrderDetails`, `notifyOrder`, `closeOrder`
    /// in finalisation and reconciliation): may also use the reserved share of the order
    /// services' budget, which normal calls cannot take.
    PaidOrder,
}

/// The two buckets of a service with a reserve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Lane {
    Shared,
    Reserved,
}

/// A lane's bucket: `per_minute` a minute, a burst of as many (at least one).
fn new_bucket(per_minute: f64, now: Instant) -> TokenBucket {
    TokenBucket::new(
        per_minute.floor().max(1.0),
        per_minute / 60.0,
        now.into_std(),
    )
}

#[derive(Debug, Default)]
struct State {
    buckets: HashMap<(Service, Lane), TokenBucket>,
    /// No `getCatalogDetailed` before this.
    catalog_not_before: Option<Instant>,
}

#[derive(Debug)]
pub(crate) struct Limiter {
    config: LimiterConfig,
    state: Mutex<State>,
}

/// What a dropped [`Permit`] gives back.
#[derive(Debug)]
struct Slot {
    service: Service,
    lane: Lane,
    /// `getCatalogDetailed`: the interval it started (restored unless changed since).
    catalog: Option<(Option<Instant>, Instant)>,
}

/// A reserved slot. Dropped before [`Permit::sent`], the slot goes back to its bucket.
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    limiter: &'a Limiter,
    slot: Option<Slot>,
    waited: Duration,
}

impl Permit<'_> {
    /// How long the caller queued for this slot.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// The call went out: the slot is spent.
    pub fn sent(&mut self) {
        self.slot = None;
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            self.limiter.give_back(slot);
        }
    }
}

impl Limiter {
    pub fn new(config: LimiterConfig) -> Self {
        Limiter {
            config,
            state: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // the state stays consistent across a panic (plain arithmetic)
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn allowed_per_minute(&self) -> f64 {
        (self.config.per_minute as f64 * self.config.headroom_percent as f64 / 100.0).max(1.0)
    }

    fn has_reserve(&self, service: Service) -> bool {
        self.config.reserved_percent > 0 && self.config.reserved_services.contains(&service)
    }

    /// Calls per minute of one lane of `service`.
    fn lane_per_minute(&self, service: Service, lane: Lane) -> f64 {
        let all = self.allowed_per_minute();
        if !self.has_reserve(service) {
            return all;
        }
        let reserved = self.config.reserved_percent.min(100) as f64 / 100.0;
        match lane {
            Lane::Reserved => all * reserved,
            Lane::Shared => all * (1.0 - reserved),
        }
    }

    fn bucket<'s>(
        &self,
        state: &'s mut State,
        service: Service,
        lane: Lane,
        now: Instant,
    ) -> &'s mut TokenBucket {
        let per_minute = self.lane_per_minute(service, lane);
        state
            .buckets
            .entry((service, lane))
            .or_insert_with(|| new_bucket(per_minute, now))
    }

    /// Waits for a slot of `service`, at most `max_wait` (and never more than the configured
    /// `max_wait`): a longer queue is refused at once with [`Error::RateLimited`].
    pub async fn acquire(
        &self,
        service: Service,
        method: &str,
        priority: Priority,
        max_wait: Duration,
    ) -> Result<Permit<'_>, Error> {
        if self.config.per_minute == 0 {
            return Ok(Permit {
                limiter: self,
                slot: None,
                waited: Duration::ZERO,
            });
        }
        let max_wait = max_wait.min(self.config.max_wait);
        let (slot, wait) = {
            let mut state = self.lock();
            let now = Instant::now();
            let catalog = service == Service::Catalog && method == "getCatalogDetailed";
            if catalog {
                if let Some(next) = state.catalog_not_before.filter(|t| now < *t) {
                    return Err(Error::RateLimited {
                        retry_after: next - now,
                    });
                }
            }
            let lane = if priority == Priority::PaidOrder && self.has_reserve(service) {
                // the sooner of the two; the shared one on a tie, to keep the reserve
                let shared = self
                    .bucket(&mut state, service, Lane::Shared, now)
                    .would_wait(now.into_std());
                let reserved = self
                    .bucket(&mut state, service, Lane::Reserved, now)
                    .would_wait(now.into_std());
                if reserved < shared {
                    Lane::Reserved
                } else {
                    Lane::Shared
                }
            } else {
                Lane::Shared
            };
            let bucket = self.bucket(&mut state, service, lane, now);
            let wait = bucket.reserve(now.into_std());
            if wait > max_wait {
                bucket.give_back(now.into_std()); // not taken after all
                return Err(Error::RateLimited { retry_after: wait });
            }
            let catalog = catalog.then(|| {
                let previous = state.catalog_not_before;
                let next = now + self.config.catalog_detailed_interval;
                state.catalog_not_before = Some(next);
                (previous, next)
            });
            (
                Slot {
                    service,
                    lane,
                    catalog,
                },
                wait,
            )
        };
        // from here on, a drop of this future (the caller gave up) returns the slot
        let permit = Permit {
            limiter: self,
            slot: Some(slot),
            waited: wait,
        };
        if wait > Duration::ZERO {
            tokio::time::sleep(wait).await;
        }
        Ok(permit)
    }

    fn give_back(&self, slot: Slot) {
        let mut state = self.lock();
        let now = Instant::now();
        if let Some(bucket) = state.buckets.get_mut(&(slot.service, slot.lane)) {
            bucket.give_back(now.into_std());
        }
        if let Some((previous, set)) = slot.catalog {
            if state.catalog_not_before == Some(set) {
                state.catalog_not_before = previous;
            }
        }
    }

    /// S-360 said 509/429 anyway (another client shares the quota): empty the service's
    /// buckets so that nobody in this process calls before `retry_after`.
    ///
    /// A 509 on `getCatalogDetailed` is read as that method's own 10-minute budget: only
    /// `getCatalogDetailed` is held back (were the service's budget spent, the next call of
    /// another method would be told so, and hold the service back).
    pub fn penalise(&self, service: Service, method: &str, retry_after: Duration) {
        let mut state = self.lock();
        let now = Instant::now();
        if service == Service::Catalog && method == "getCatalogDetailed" {
            let until = now + retry_after;
            state.catalog_not_before =
                Some(state.catalog_not_before.map_or(until, |t| t.max(until)));
            return;
        }
        for lane in [Lane::Shared, Lane::Reserved] {
            if let Some(b) = state.buckets.get_mut(&(service, lane)) {
                b.hold_off(now.into_std(), retry_after);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOREVER: Duration = Duration::from_secs(3600);

    async fn take(l: &Limiter, service: Service, priority: Priority) -> Result<Duration, Error> {
        let mut p = l.acquire(service, "x", priority, FOREVER).await?;
        p.sent();
        Ok(p.waited())
    }

    #[tokio::test(start_paused = true)]
    async fn queues_beyond_the_burst() {
        let l = Limiter::new(LimiterConfig {
            per_minute: 60,
            headroom_percent: 100,
            ..Default::default()
        });
        for _ in 0..60 {
            assert_eq!(
                take(&l, Service::Availability, Priority::Normal)
                    .await
                    .unwrap(),
                Duration::ZERO
            );
        }
        let waited = take(&l, Service::Availability, Priority::Normal)
            .await
            .unwrap();
        assert!(
            waited > Duration::from_millis(900) && waited <= Duration::from_secs(1),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn catalog_detailed_is_refused_not_queued() {
        let l = Limiter::new(LimiterConfig::default());
        take(&l, Service::Catalog, Priority::Normal).await.unwrap();
        let mut p = l
            .acquire(
                Service::Catalog,
                "getCatalogDetailed",
                Priority::Normal,
                FOREVER,
            )
            .await
            .unwrap();
        p.sent();
        drop(p);
        assert!(matches!(
            l.acquire(
                Service::Catalog,
                "getCatalogDetailed",
                Priority::Normal,
                FOREVER
            )
            .await,
            Err(Error::RateLimited { .. })
        ));
        // the other catalog calls are not held back by that interval
        assert_eq!(
            take(&l, Service::Catalog, Priority::Normal).await.unwrap(),
            Duration::ZERO
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_beyond_the_callers_deadline_is_refused_at_once() {
        let l = std::sync::Arc::new(Limiter::new(LimiterConfig {
            per_minute: 60,
            headroom_percent: 100,
            ..Default::default()
        }));
        for _ in 0..60 {
            take(&l, Service::Setup, Priority::Normal).await.unwrap();
        }
        let mut queued = Vec::new();
        for _ in 0..10 {
            let l = l.clone();
            queued.push(tokio::spawn(async move {
                take(&l, Service::Setup, Priority::Normal).await
            }));
        }
        tokio::task::yield_now().await;
        let started = Instant::now();
        let r = l
            .acquire(
                Service::Setup,
                "x",
                Priority::Normal,
                Duration::from_secs(2),
            )
            .await;
        match r {
            Err(Error::RateLimited { retry_after }) => {
                assert!(retry_after > Duration::from_secs(10), "{retry_after:?}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(started.elapsed(), Duration::ZERO);
        for q in queued {
            assert!(
                q.await.unwrap().is_ok(),
                "the refusal took no slot from the queue"
            );
        }
    }

    /// Issue 12: after a rush, callers that gave up while queued (their futures dropped) kept
    /// their reserved slots, and a lone buyer waited 46.5 s behind nobody.
    #[tokio::test(start_paused = true)]
    async fn abandoned_waits_give_their_slots_back() {
        let l = std::sync::Arc::new(Limiter::new(LimiterConfig {
            per_minute: 60,
            headroom_percent: 100,
            max_wait: FOREVER,
            ..Default::default()
        }));
        for _ in 0..60 {
            take(&l, Service::Availability, Priority::Normal)
                .await
                .unwrap();
        }
        // the burst is spent; 198 buyers queue (up to ~3 minutes), then all give up
        let mut waits = Vec::new();
        for _ in 0..198 {
            let l = l.clone();
            waits.push(tokio::spawn(async move {
                take(&l, Service::Availability, Priority::Normal).await
            }));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        for w in &waits {
            assert!(!w.is_finished(), "all queued");
        }
        for w in waits {
            w.abort();
            assert!(w.await.unwrap_err().is_cancelled());
        }
        // a fresh call waits at most for the refill of one slot, not for the abandoned queue
        let waited = take(&l, Service::Availability, Priority::Normal)
            .await
            .unwrap();
        assert!(waited <= Duration::from_secs(1), "{waited:?}");
    }

    /// Issue 12: finalising paid orders keeps a share of the order services' budget that
    /// anonymous carts and lookups cannot take.
    #[tokio::test(start_paused = true)]
    async fn priority_calls_use_a_reserve_that_normal_calls_cannot_take() {
        let l = std::sync::Arc::new(Limiter::new(LimiterConfig {
            per_minute: 100,
            headroom_percent: 100,
            reserved_percent: 20,
            ..Default::default()
        }));
        // normal calls get 80 of the 100 a minute at once, then queue
        let mut queued = Vec::new();
        for _ in 0..200 {
            let l = l.clone();
            let t = tokio::spawn(async move {
                take(&l, Service::ExternalOrder, Priority::Normal)
                    .await
                    .unwrap()
            });
            tokio::task::yield_now().await;
            queued.push(t);
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
        let immediate = queued.iter().filter(|t| t.is_finished()).count();
        assert_eq!(immediate, 80, "the shared share of the burst");

        // with 120 normal calls queued (~90 s), a priority call goes at once, 20 times
        for i in 0..20 {
            let waited = take(&l, Service::ExternalOrder, Priority::PaidOrder)
                .await
                .unwrap();
            assert_eq!(waited, Duration::ZERO, "priority call {i}");
        }
        // once the reserve is spent, priority calls queue on the sooner bucket
        let waited = take(&l, Service::ExternalOrder, Priority::PaidOrder)
            .await
            .unwrap();
        assert!(waited <= Duration::from_secs(3), "{waited:?}");
        // the reserve is per service: other services share their whole budget
        for t in queued {
            t.abort();
        }
        for _ in 0..100 {
            assert_eq!(
                take(&l, Service::Availability, Priority::Normal)
                    .await
                    .unwrap(),
                Duration::ZERO
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_limit_on_the_catalog_interval_holds_back_that_method_only() {
        let l = Limiter::new(LimiterConfig::default());
        l.penalise(
            Service::Catalog,
            "getCatalogDetailed",
            Duration::from_secs(596),
        );
        match l
            .acquire(
                Service::Catalog,
                "getCatalogDetailed",
                Priority::Normal,
                FOREVER,
            )
            .await
        {
            Err(Error::RateLimited { retry_after }) => {
                assert!(retry_after > Duration::from_secs(590), "{retry_after:?}")
            }
            other => panic!("{other:?}"),
        }
        take(&l, Service::Catalog, Priority::Normal).await.unwrap();
        // a service-wide 509 holds back every method of the service
        l.penalise(Service::Catalog, "getPOSConfig", Duration::from_secs(30));
        let waited = take(&l, Service::Catalog, Priority::Normal).await.unwrap();
        assert!(waited >= Duration::from_secs(29), "{waited:?}");
    }
}
