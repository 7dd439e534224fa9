//! Reconciliation: finalises orders whose payment succeeded but that nobody finalised (the
//! buyer closed the tab after paying and S-PAY's notification was lost or exhausted its
//! retries, S-360 was down when both arrived, or the shop restarted in between).
//!
//! Where the candidates come from: the shop keeps no business data, and S-360's
//! `externalOrderHistoryService` (as far as the typed client and the contract go) can count
//! files and list the tickets of closed sales or a contact's files, but cannot list *running*
//! orders with a paid payment. So the candidates are the orders whose payment this shop
//! started (`shop::payment::register_payment`), kept durably in `SHOP_DATA_DIR`
//! (`crate::store`) so a restart resumes them: the first pass runs at start-up. Each is
//! re-read from S-360 with `getOrderDetails` through [`finalize`] on every pass.

use std::sync::Arc;
use std::time::{Duration, Instant};

use s360::model::order::{OrderId, OrderState};
use shop::payment::{finalize, forget_payment, registered_payments, StartedPayment};
use shop::tenant::Tenant;

/// Entries unchanged for this long are dropped even if S-360 never answered about them, and
/// final entries (kept to recognise repeated notifications) are dropped after it too.
const MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// At most this many `getOrderDetails` look-ups per institution and pass, so buyers who leave
/// the payment page unpaid never eat the S-360 rate limit.
const MAX_PER_PASS: usize = 20;

/// Where the next pass starts in the (sorted) list of started payments.
static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// What one pass did, for logs and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Orders looked at.
    pub checked: usize,
    /// Orders found final (closed or released).
    pub finalised: usize,
    /// Orders S-360 could not be asked about (kept for the next pass).
    pub errors: usize,
}

fn stale(p: &StartedPayment) -> bool {
    p.age_ms() > MAX_AGE.as_millis() as i64
}

/// One pass over one institution's started payments.
pub async fn reconcile_tenant(tenant: &Tenant) -> Pass {
    let mut pass = Pass::default();
    // final entries are only kept to answer repeated notifications for a while
    for p in tenant.payments.list(&tenant.code) {
        if p.is_final() && stale(&p) {
            forget_payment(tenant, OrderId(p.order_id)).await;
        }
    }
    // forget what is too old to matter before choosing, so stale entries never crowd out others
    let mut candidates = Vec::new();
    for p in registered_payments(tenant) {
        if stale(&p) {
            tracing::warn!(tenant = %tenant.code, order = p.order_id, "reconciliation: giving up on an order S-360 never showed final");
            forget_payment(tenant, OrderId(p.order_id)).await;
        } else {
            candidates.push(p);
        }
    }
    // round robin: each pass continues where the previous one stopped, so every started
    // payment is looked at within len / MAX_PER_PASS passes, however many there are
    candidates.sort_by_key(|p| p.order_id);
    let offset = if candidates.is_empty() {
        0
    } else {
        NEXT.fetch_add(MAX_PER_PASS, std::sync::atomic::Ordering::Relaxed) % candidates.len()
    };
    candidates.rotate_left(offset);
    for p in candidates.into_iter().take(MAX_PER_PASS) {
        let order_id = OrderId(p.order_id);
        pass.checked += 1;
        // finalize records a final order in the registry itself
        match finalize(tenant, order_id).await {
            Ok(d) if d.order_state != OrderState::Running => {
                tracing::info!(tenant = %tenant.code, order = order_id.0, state = ?d.order_state, "reconciliation: order final");
                pass.finalised += 1;
            }
            // payment still waiting, refused (the buyer may try again), in progress: next time
            Ok(_) => {}
            Err(e) => {
                pass.errors += 1;
                tracing::warn!(tenant = %tenant.code, order = order_id.0, error = %e, "reconciliation: S-360 did not answer; retrying next pass");
            }
        }
    }
    pass
}

/// Runs [`reconcile_tenant`] for every institution at start-up (payments started before a
/// restart) and then every `period`.
pub fn spawn(tenants: Arc<Vec<Arc<Tenant>>>, period: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
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
