//! Reconciliation: finalises orders whose payment succeeded but that nobody finalised (the
//! buyer closed the tab after paying and S-PAY's notification was lost or exhausted its
//! retries, or S-360 was down when both arrived).
//!
//! Where the candidates come from: the shop keeps no business data, and S-360's
//! `externalOrderHistoryService` (as far as the typed client and the contract go) can count
//! files and list the tickets of closed sales or a contact's files, but cannot list *running*
//! orders with a paid payment. So the candidates are the orders whose payment this process
//! started (`app::purchase::register_payment`, in memory), each re-read from S-360 with
//! `getOrderDetails` through [`finalize`] on every pass. Limitation: after a crash or restart
//! the registry is empty; such orders are then closed only by S-PAY's notification retries or
//! the buyer's next visit to the order page (S-360 keeps a paid payment frozen, it is never
//! abandoned by the hold expiry).

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::purchase::{finalize, forget_payment, registered_payments};
use app::ssr::Tenant;
use s360::model::order::OrderState;

/// Entries older than this are dropped even if S-360 never answered about them (bounded memory).
const MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// At most this many `getOrderDetails` look-ups per institution and pass, newest payments
/// first, so buyers who leave the payment page unpaid never eat the S-360 rate limit.
const MAX_PER_PASS: usize = 20;

/// Where the next pass starts in the (sorted) list of started payments.
static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// What one pass did, for logs and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Orders looked at.
    pub checked: usize,
    /// Orders found final (closed or released) and forgotten.
    pub finalised: usize,
    /// Orders S-360 could not be asked about (kept for the next pass).
    pub errors: usize,
}

/// One pass over one institution's started payments.
pub async fn reconcile_tenant(tenant: &Tenant) -> Pass {
    let mut pass = Pass::default();
    // forget what is too old to matter before choosing, so stale entries never crowd out others
    let mut candidates: Vec<_> = registered_payments(tenant)
        .into_iter()
        .filter(|(order_id, started)| {
            let stale = started.elapsed() > MAX_AGE;
            if stale {
                forget_payment(tenant, *order_id);
            }
            !stale
        })
        .collect();
    // round robin: each pass continues where the previous one stopped, so every started
    // payment is looked at within len / MAX_PER_PASS passes, however many there are
    candidates.sort_by_key(|(order_id, _)| order_id.0);
    let offset = if candidates.is_empty() {
        0
    } else {
        NEXT.fetch_add(MAX_PER_PASS, std::sync::atomic::Ordering::Relaxed) % candidates.len()
    };
    candidates.rotate_left(offset);
    for (order_id, started) in candidates.into_iter().take(MAX_PER_PASS) {
        pass.checked += 1;
        match finalize(tenant, order_id).await {
            Ok(d) if d.order_state != OrderState::Running => {
                tracing::info!(tenant = %tenant.code, order = order_id.0, state = ?d.order_state, "reconciliation: order final");
                forget_payment(tenant, order_id);
                pass.finalised += 1;
            }
            Ok(_) => {
                // payment still in progress (or not started): look again next time
                if started.elapsed() > MAX_AGE {
                    forget_payment(tenant, order_id);
                }
            }
            Err(e) => {
                pass.errors += 1;
                tracing::warn!(tenant = %tenant.code, order = order_id.0, error = %e, "reconciliation: S-360 did not answer; retrying next pass");
                if started.elapsed() > MAX_AGE {
                    forget_payment(tenant, order_id);
                }
            }
        }
    }
    pass
}

/// Runs [`reconcile_tenant`] for every institution every `period`.
pub fn spawn(tenants: Arc<Vec<Arc<Tenant>>>, period: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await; // nothing to reconcile at start-up
        loop {
            tick.tick().await;
            for t in tenants.iter() {
                let started = Instant::now();
                let pass = reconcile_tenant(t).await;
                if pass.checked > 0 {
                    tracing::debug!(tenant = %t.code, ?pass, elapsed = ?started.elapsed(), "reconciliation pass");
                }
            }
        }
    })
}
