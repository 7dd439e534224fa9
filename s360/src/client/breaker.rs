//! A circuit breaker: after `threshold` consecutive failures, calls fail fast for `cooldown`;
//! then one trial call is let through (half-open) and its outcome closes or reopens it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

#[derive(Debug)]
struct Inner {
    failures: u32,
    open_until: Option<Instant>,
    trial_in_flight: bool,
}

#[derive(Debug)]
pub(crate) struct Breaker {
    threshold: u32,
    cooldown: Duration,
    inner: Mutex<Inner>,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Breaker {
            threshold: threshold.max(1),
            cooldown,
            inner: Mutex::new(Inner {
                failures: 0,
                open_until: None,
                trial_in_flight: false,
            }),
        }
    }

    pub fn state(&self) -> BreakerState {
        let i = self.inner.lock().expect("breaker lock");
        match i.open_until {
            None => BreakerState::Closed,
            Some(t) if Instant::now() < t => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
        }
    }

    /// Whether a call may go out now.
    pub fn allow(&self) -> bool {
        let mut i = self.inner.lock().expect("breaker lock");
        match i.open_until {
            None => true,
            Some(t) if Instant::now() < t => false,
            Some(_) if i.trial_in_flight => false,
            Some(_) => {
                i.trial_in_flight = true;
                true
            }
        }
    }

    pub fn success(&self) {
        let mut i = self.inner.lock().expect("breaker lock");
        i.failures = 0;
        i.open_until = None;
        i.trial_in_flight = false;
    }

    pub fn failure(&self) {
        let mut i = self.inner.lock().expect("breaker lock");
        i.failures += 1;
        i.trial_in_flight = false;
        if i.failures >= self.threshold {
            i.open_until = Some(Instant::now() + self.cooldown);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_then_half_opens_then_closes() {
        let b = Breaker::new(2, Duration::from_millis(20));
        b.failure();
        assert_eq!(b.state(), BreakerState::Closed);
        b.failure();
        assert_eq!(b.state(), BreakerState::Open);
        assert!(!b.allow());
        std::thread::sleep(Duration::from_millis(25));
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert!(b.allow());
        assert!(!b.allow(), "only one trial at a time");
        b.success();
        assert_eq!(b.state(), BreakerState::Closed);
    }
}
