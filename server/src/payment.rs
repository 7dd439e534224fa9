//! Where S-PAY sends the buyer back and where S-360 notifies us (the downloads of a paid order
//! are in `tickets.rs`).
//! The outcome always comes from S-360 (`getOrderDetails`), never from the query string; the
//! order is finalised exactly once whichever of these arrives first.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use s360::model::order::{OrderId, OrderState, PaymentNotification};
use shop::payment::{finalize, payment_underway};
use shop::session::BuyerSession;
use tower_sessions::Session;

use crate::startup::AppState;

/// `RETURN_URL`: the buyer is back from the payment page.
pub async fn payment_return(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
    // `order` and `ref`: the signed order reference the shop put in `RETURN_URL` when it
    // started the payment (S-PAY adds `transactionID` and `status`, which are never believed)
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let Some(tenant) = state.tenant_for(&headers) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // the order this session is paying for; else the signed reference of the return URL (the
    // session was lost: a restart mid-payment, another browser), checked without S-360
    let order = q.get("order").and_then(|o| o.parse::<i64>().ok());
    let signed = match (order, q.get("ref")) {
        (Some(id), Some(r)) if tenant.order_link_ok(id, r) => Some(OrderId(id)),
        _ => None,
    };
    let buyer = BuyerSession::new(session, &tenant.code);
    let Some(order_id) = buyer.paying().await.or(signed) else {
        // a reload after the order page was reached, or another browser: nothing to do here
        return Redirect::to("/cart").into_response();
    };
    let order_url = |id: OrderId| tenant.order_link(id.0);
    match finalize(&tenant, order_id).await {
        Ok(d) => {
            if d.order_state != OrderState::Running {
                buyer.order_finalised(order_id).await;
                return Redirect::to(&order_url(order_id)).into_response();
            }
            if payment_underway(&d) {
                // a card being confirmed: the order page follows it
                Redirect::to(&order_url(order_id)).into_response()
            } else {
                // refused, cancelled or not paid yet: the seats are still held, the payment
                // page says why and offers a new card
                Redirect::to("/pay").into_response()
            }
        }
        Err(e) => {
            tracing::warn!(tenant = %tenant.code, order = order_id.0, error = %e, "finalising on return failed; the order page, the notification or reconciliation will finish it");
            // never an error page for a buyer who may have paid: the order page finalises on
            // every visit (and refreshes itself while the payment is being confirmed). Its
            // link is signed by the shop, so this works while S-360 is unreachable.
            Redirect::to(&order_url(order_id)).into_response()
        }
    }
}

/// Limits on `POST /payment/notify/{institution}`. Only notifications that pass the cheap
/// authenticity check (an order whose payment this shop started, with one of its transactions:
/// no S-360 call) are counted, per order ([`NotifyThrottle::PER_ORDER_BURST`], then
/// [`NotifyThrottle::PER_ORDER_PER_SEC`]) and per institution. Forged ones cost a map lookup
/// and are never counted, so they cannot crowd out genuine ones, whatever address (or shared
/// proxy) they come from. A refused request gets 429, which S-PAY retries later;
/// reconciliation closes what a notification could not.
#[derive(Debug, Default)]
pub struct NotifyThrottle {
    per_order: Mutex<HashMap<(String, i64), s360::bucket::TokenBucket>>,
    per_institution: Mutex<HashMap<String, s360::bucket::TokenBucket>>,
}

impl NotifyThrottle {
    pub const PER_ORDER_BURST: f64 = 5.0;
    pub const PER_ORDER_PER_SEC: f64 = 0.5;
    pub const PER_INSTITUTION_BURST: f64 = 30.0;
    pub const PER_INSTITUTION_PER_SEC: f64 = 2.0;

    fn allow_order(&self, code: &str, order: i64) -> bool {
        let mut m = self.per_order.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if m.len() > 10_000 {
            // forget the idle buckets: those at most one token short of full (a forgotten one
            // comes back full, so that costs at most one extra notification)
            m.retain(|_, b| b.tokens(now) < Self::PER_ORDER_BURST - 1.0);
        }
        m.entry((code.to_string(), order))
            .or_insert_with(|| {
                s360::bucket::TokenBucket::new(Self::PER_ORDER_BURST, Self::PER_ORDER_PER_SEC, now)
            })
            .try_take(now)
            .is_ok()
    }

    fn allow_institution(&self, code: &str) -> bool {
        let mut m = self
            .per_institution
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        m.entry(code.to_string())
            .or_insert_with(|| {
                s360::bucket::TokenBucket::new(
                    Self::PER_INSTITUTION_BURST,
                    Self::PER_INSTITUTION_PER_SEC,
                    now,
                )
            })
            .try_take(now)
            .is_ok()
    }
}

/// `NOTIFY_URL`: S-PAY's server-to-server notification. Only a hint (the state is re-read
/// from S-360), and only taken when it names an order whose payment this shop started, with
/// one of the transactions it started: anything else is answered 4xx without calling S-360.
/// 2xx ends S-PAY's retries; 429 and 503 make it retry.
pub async fn payment_notify(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> StatusCode {
    let Some(tenant) = state
        .shop
        .tenants
        .iter()
        .find(|t| t.code.eq_ignore_ascii_case(&code))
        .cloned()
    else {
        return StatusCode::NOT_FOUND;
    };
    if body.len() > 4096 {
        return StatusCode::PAYLOAD_TOO_LARGE;
    }
    let Ok(n) = serde_json::from_slice::<PaymentNotification>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let Some(started) = shop::payment::registered_payment(&tenant, n.order_id) else {
        tracing::warn!(tenant = %tenant.code, order = n.order_id.0, peer = %peer.ip(), "payment notification for an order whose payment we did not start");
        return StatusCode::NOT_FOUND;
    };
    if !started
        .transactions
        .iter()
        .any(|t| s360::constant_time_eq(t.as_bytes(), n.transaction_id.as_bytes()))
    {
        tracing::warn!(tenant = %tenant.code, order = n.order_id.0, peer = %peer.ip(), "payment notification with a transaction we did not start");
        return StatusCode::FORBIDDEN;
    }
    if started.is_final() {
        // already closed or released: S-PAY repeating itself
        return StatusCode::OK;
    }
    if !state
        .notify_throttle
        .allow_order(&tenant.code, n.order_id.0)
        || !state.notify_throttle.allow_institution(&tenant.code)
    {
        tracing::warn!(tenant = %tenant.code, order = n.order_id.0, "payment notification throttled (institution)");
        return StatusCode::TOO_MANY_REQUESTS;
    }
    match finalize(&tenant, n.order_id).await {
        Ok(_) => StatusCode::OK,
        // a non-2xx makes S-PAY retry
        Err(e) => {
            tracing::warn!(tenant = %tenant.code, order = n.order_id.0, error = %e, "finalising on notification failed");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}
