//! The one token bucket: the S-360 client's per-service limiter, the sandbox's per-(institution,
//! service) limits and the shop's payment-notification throttle all count with it.
//!
//! A [`TokenBucket`] holds at most [`capacity`](TokenBucket::capacity) tokens and gains
//! [`per_sec`](TokenBucket::per_sec) of them a second (fractions count). It starts full. Every
//! method takes the current time, so that the caller chooses the clock (a paused test clock,
//! one `now` for several buckets), and a `now` earlier than the last one seen (a clock that went
//! backwards, two threads racing) counts as no time passing: nothing panics.
//!
//! Two ways to take a token:
//! - [`try_take`](TokenBucket::try_take) takes one only if there is one, else says how long
//!   until there is (refuse-and-retry-later: the sandbox, the notification throttle);
//! - [`reserve`](TokenBucket::reserve) always takes one, even into debt (a negative balance),
//!   and says how long the caller must wait for its turn: callers that reserve one after the
//!   other queue in arrival order, and one that finds the wait too long hands its token back
//!   with [`give_back`](TokenBucket::give_back) (the S-360 client's limiter).

use std::time::{Duration, Instant};

/// A token bucket; see the [module documentation](self).
///
/// A rate of 0 never refills (a wait for a missing token is [`Duration::MAX`]: never); an
/// infinite rate (e.g. [`per_period`](Self::per_period) with a zero period) is always full.
#[derive(Debug, Clone, Copy)]
pub struct TokenBucket {
    capacity: f64,
    per_sec: f64,
    /// The balance at `last`; negative when reservations are queued.
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket of `capacity` tokens that gains `per_sec` tokens a second.
    pub fn new(capacity: f64, per_sec: f64, now: Instant) -> Self {
        TokenBucket {
            capacity,
            per_sec,
            tokens: capacity,
            last: now,
        }
    }

    /// A full bucket of `capacity` tokens that gains `capacity` tokens every `period` (60 a
    /// minute, one per 10 minutes). A zero `period` means no limit: always full.
    pub fn per_period(capacity: u32, period: Duration, now: Instant) -> Self {
        let capacity = capacity as f64;
        let per_sec = if period.is_zero() {
            f64::INFINITY
        } else {
            capacity / period.as_secs_f64()
        };
        TokenBucket::new(capacity, per_sec, now)
    }

    /// The most tokens the bucket holds.
    pub fn capacity(&self) -> f64 {
        self.capacity
    }

    /// Tokens gained a second.
    pub fn per_sec(&self) -> f64 {
        self.per_sec
    }

    /// The balance at `now`: what [`try_take`](Self::try_take) would find (negative while
    /// reservations are queued). Changes nothing.
    pub fn tokens(&self, now: Instant) -> f64 {
        if self.per_sec == f64::INFINITY {
            // refills at once (and `0 s × ∞` is not a number)
            return self.capacity;
        }
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        (self.tokens + elapsed * self.per_sec).min(self.capacity)
    }

    /// Whether the bucket has refilled completely by `now` (nobody took from it lately):
    /// forgetting it and starting a new one would change nothing.
    pub fn is_full(&self, now: Instant) -> bool {
        self.tokens(now) >= self.capacity
    }

    /// Takes a token if there is one at `now`; else `Err` with how long until there is one
    /// ([`Duration::MAX`] when the bucket never refills).
    pub fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(self.wait_for(self.tokens - 1.0))
        }
    }

    /// How long a [`reserve`](Self::reserve) at `now` would wait, without reserving.
    pub fn would_wait(&self, now: Instant) -> Duration {
        self.wait_for(self.tokens(now) - 1.0)
    }

    /// Takes a token at `now` even when none is left (the balance goes negative: a debt that
    /// later reservations queue behind) and returns how long until that token is covered: the
    /// caller's turn. Zero when a token was there. A caller that will not wait that long
    /// hands the token back with [`give_back`](Self::give_back).
    pub fn reserve(&mut self, now: Instant) -> Duration {
        self.refill(now);
        self.tokens -= 1.0;
        self.wait_for(self.tokens)
    }

    /// Returns a token taken but not used (a reservation given up, a call refused by a later
    /// check). Never beyond the capacity.
    pub fn give_back(&mut self, now: Instant) {
        self.refill(now);
        self.tokens = (self.tokens + 1.0).min(self.capacity);
    }

    /// Empties the bucket and owes `period` worth of tokens on top (a debt already queued
    /// stays): the next reservation waits `period`, plus what was queued, plus its own token.
    /// For when the other side says "not before `period`" (HTTP 429/509 `Retry-After`). An
    /// always-full bucket (infinite rate) is left alone.
    pub fn hold_off(&mut self, now: Instant, period: Duration) {
        if self.per_sec == f64::INFINITY {
            return;
        }
        self.refill(now);
        self.tokens = self.tokens.min(0.0) - period.as_secs_f64() * self.per_sec;
    }

    fn refill(&mut self, now: Instant) {
        self.tokens = self.tokens(now);
        // never backwards: a `now` older than `last` must not credit the same time twice
        self.last = self.last.max(now);
    }

    /// How long until a balance of `tokens` is back to zero.
    fn wait_for(&self, tokens: f64) -> Duration {
        if tokens >= 0.0 {
            Duration::ZERO
        } else {
            // ∞ (rate 0) or beyond what a Duration holds: never
            Duration::try_from_secs_f64(-tokens / self.per_sec).unwrap_or(Duration::MAX)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn starts_full_and_refills_up_to_its_capacity() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(3.0, 1.0, t0);
        assert!(b.is_full(t0));
        for _ in 0..3 {
            assert_eq!(b.try_take(t0), Ok(()));
        }
        assert_eq!(b.tokens(t0), 0.0);
        assert!(!b.is_full(t0));
        assert_eq!(b.tokens(t0 + secs(1.5)), 1.5);
        assert_eq!(b.try_take(t0 + secs(1.5)), Ok(()));
        assert_eq!(b.tokens(t0 + secs(1.5)), 0.5);
        // never beyond the capacity, however long it was left alone
        assert_eq!(b.tokens(t0 + 3600 * S), 3.0);
        assert!(b.is_full(t0 + 3600 * S));
        for _ in 0..3 {
            assert_eq!(b.try_take(t0 + 3600 * S), Ok(()));
        }
        assert!(b.try_take(t0 + 3600 * S).is_err());
    }

    #[test]
    fn try_take_says_how_long_until_the_next_token() {
        let t0 = Instant::now();
        // the notification throttle's per-order limit: 5 at once, then one every 2 s
        let mut b = TokenBucket::new(5.0, 0.5, t0);
        for _ in 0..5 {
            assert_eq!(b.try_take(t0), Ok(()));
        }
        assert_eq!(b.try_take(t0), Err(2 * S));
        assert_eq!(b.try_take(t0 + S), Err(S), "a refused take costs nothing");
        assert_eq!(b.would_wait(t0 + S), S);
        assert_eq!(b.try_take(t0 + 2 * S), Ok(()));
        assert_eq!(b.try_take(t0 + 2 * S), Err(2 * S));
    }

    #[test]
    fn per_period_spreads_the_capacity_over_the_period() {
        let t0 = Instant::now();
        let mut minute = TokenBucket::per_period(60, 60 * S, t0);
        assert_eq!((minute.capacity(), minute.per_sec()), (60.0, 1.0));
        for _ in 0..60 {
            assert_eq!(minute.try_take(t0), Ok(()));
        }
        assert_eq!(minute.try_take(t0), Err(S));

        let mut catalog = TokenBucket::per_period(1, 600 * S, t0);
        assert_eq!(catalog.try_take(t0), Ok(()));
        let wait = catalog.try_take(t0 + 10 * S).unwrap_err();
        assert!(wait > 589 * S && wait < 591 * S, "{wait:?}");
    }

    #[test]
    fn reserve_goes_into_debt_and_returns_the_wait() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(2.0, 1.0, t0);
        assert_eq!(b.reserve(t0), Duration::ZERO);
        assert_eq!(b.reserve(t0), Duration::ZERO);
        // beyond the burst: each caller queues behind the previous one
        assert_eq!(b.would_wait(t0), S);
        assert_eq!(b.reserve(t0), S);
        assert_eq!(b.reserve(t0), 2 * S);
        assert_eq!(b.tokens(t0), -2.0);
        assert_eq!(b.would_wait(t0), 3 * S, "would_wait reserves nothing");
        assert_eq!(b.tokens(t0), -2.0);
        // nobody can take while the queue is being served
        assert_eq!(b.try_take(t0), Err(3 * S));
        assert_eq!(b.try_take(t0 + S), Err(2 * S));
        // a caller that finds its wait too long hands its token back
        let wait = b.reserve(t0 + S);
        assert_eq!(wait, 2 * S);
        b.give_back(t0 + S);
        assert_eq!(b.would_wait(t0 + S), 2 * S);
        assert_eq!(b.reserve(t0 + 3 * S), Duration::ZERO);
    }

    #[test]
    fn give_back_never_exceeds_the_capacity() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(2.0, 1.0, t0);
        b.give_back(t0);
        assert_eq!(b.tokens(t0), 2.0);
        b.try_take(t0).unwrap();
        b.give_back(t0);
        b.give_back(t0);
        assert_eq!(b.tokens(t0), 2.0);
        // out of debt one token at a time
        for _ in 0..4 {
            b.reserve(t0);
        }
        b.give_back(t0);
        assert_eq!(b.tokens(t0), -1.0);
        // refilled first, then capped
        b.give_back(t0 + 10 * S);
        assert_eq!(b.tokens(t0 + 10 * S), 2.0);
    }

    #[test]
    fn hold_off_empties_the_bucket_for_the_period() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(60.0, 1.0, t0);
        for _ in 0..10 {
            b.try_take(t0).unwrap();
        }
        b.hold_off(t0, 30 * S);
        assert_eq!(b.tokens(t0), -30.0);
        assert_eq!(b.reserve(t0), 31 * S);
        // a debt already queued stays, the new period comes on top of it
        b.hold_off(t0, 5 * S);
        assert_eq!(b.would_wait(t0), 37 * S);
        assert_eq!(b.try_take(t0 + 36 * S), Err(S));
    }

    #[test]
    fn a_zero_rate_never_refills_and_says_so() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(1.0, 0.0, t0);
        assert_eq!(b.try_take(t0), Ok(()));
        assert_eq!(b.try_take(t0 + 3600 * S), Err(Duration::MAX));
        assert_eq!(b.would_wait(t0), Duration::MAX);
        assert_eq!(b.reserve(t0), Duration::MAX);
        b.give_back(t0);
        b.hold_off(t0, 30 * S);
        assert_eq!(b.tokens(t0 + 3600 * S), 0.0);
        b.give_back(t0);
        assert!(b.is_full(t0));

        // no capacity: a reservation still gets its turn at the rate
        let mut empty = TokenBucket::new(0.0, 1.0, t0);
        assert_eq!(empty.try_take(t0), Err(S));
        assert_eq!(empty.tokens(t0 + 10 * S), 0.0);
        assert_eq!(empty.reserve(t0), S);

        // a zero period: no limit at all
        let mut open = TokenBucket::per_period(1, Duration::ZERO, t0);
        for _ in 0..100 {
            assert_eq!(open.try_take(t0), Ok(()));
        }
        assert_eq!(open.reserve(t0), Duration::ZERO);
        open.hold_off(t0, 30 * S);
        assert_eq!(open.try_take(t0), Ok(()));
        // and nothing in between divides by zero
        let mut never = TokenBucket::per_period(0, Duration::ZERO, t0);
        assert_eq!(never.try_take(t0), Err(Duration::ZERO));
    }

    #[test]
    fn a_clock_that_goes_backwards_counts_as_no_time_and_never_panics() {
        let t0 = Instant::now();
        let t1 = t0 + 10 * S;
        let mut b = TokenBucket::new(2.0, 1.0, t1);
        assert_eq!(b.try_take(t0), Ok(()));
        assert_eq!(b.tokens(t0), 1.0);
        assert_eq!(b.reserve(t0), Duration::ZERO);
        assert_eq!(b.reserve(t0), S);
        b.give_back(t0);
        b.hold_off(t0, S);
        assert_eq!(b.would_wait(t0), 2 * S);
        // the time between t0 and t1 is not credited: the bucket was last seen at t1
        assert_eq!(b.tokens(t1), -1.0);
        assert_eq!(b.tokens(t1 + S), 0.0);
        // a `now` behind the last one seen does not move it back either
        b.try_take(t1 + S).unwrap_err();
        b.try_take(t1).unwrap_err();
        assert_eq!(b.tokens(t1 + S), 0.0);
    }
}
