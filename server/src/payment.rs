//! Where S-PAY sends the buyer back and where S-360 notifies us (the downloads of a paid order
//! are in `tickets.rs`).
//! The outcome always comes from S-360 (`getOrderDetails`), never from the query string; the
//! order is finalised exactly once whichever of these arrives first.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use app::purchase::{self, finalize};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use s360::model::order::{OrderId, OrderState, PaymentNotification, PaymentState};
use tower_sessions::Session;

use crate::startup::AppState;

fn order_url(order_id: OrderId, secret: &str) -> String {
    format!("/orders/{}?access={secret}", order_id.0)
}

/// `RETURN_URL`: the buyer is back from the payment page.
pub async fn payment_return(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
) -> Response {
    let Some(tenant) = state.tenant_for(&headers) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(order_id) = purchase::paying_order(&tenant, &session).await else {
        // a reload after the order page was reached, or another browser: nothing to do here
        return Redirect::to("/cart").into_response();
    };
    match finalize(&tenant, order_id).await {
        Ok(d) => {
            if d.order_state != OrderState::Running {
                purchase::clear_cart(&tenant, &session, order_id).await;
                return Redirect::to(&order_url(order_id, &d.order_secret_id)).into_response();
            }
            let underway = d.payments.iter().any(|p| {
                matches!(
                    p.payment_state,
                    PaymentState::InProgress | PaymentState::Paid | PaymentState::Authorized
                )
            });
            if underway {
                // a card being confirmed: the order page follows it
                Redirect::to(&order_url(order_id, &d.order_secret_id)).into_response()
            } else {
                // refused, cancelled or not paid yet: the seats are still held, the payment
                // page says why and offers a new card
                Redirect::to("/pay").into_response()
            }
        }
        Err(e) => {
            tracing::warn!(tenant = %tenant.code, order = order_id.0, error = %e, "finalising on return failed; the order page, the notification or reconciliation will finish it");
            // never an error page for a buyer who may have paid: the order page finalises on
            // every visit (and refreshes itself while the payment is being confirmed). The
            // secret was kept in the session when the payment started, so this works even
            // while S-360 is unreachable; older sessions ask S-360 for it.
            let secret = match purchase::paying_order_secret(&tenant, &session).await {
                Some(s) if !s.is_empty() => s,
                _ => tenant
                    .catalog
                    .client()
                    .get_order_details(order_id, None)
                    .await
                    .map(|d| d.order_secret_id)
                    .unwrap_or_default(),
            };
            if secret.is_empty() {
                confirming_page()
            } else {
                Redirect::to(&order_url(order_id, &secret)).into_response()
            }
        }
    }
}

/// The last resort of the return page: S-360 cannot be reached and the order's secret is not
/// known. A 503 (so nothing caches it) with a page a buyer can read and reload.
fn confirming_page() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::RETRY_AFTER, "30"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        axum::response::Html(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"refresh\" content=\"30\"><title>Confirming your payment</title></head>\
<body><main><h1>Your payment is being confirmed</h1>\
<p role=\"status\">The ticketing system is busy right now. Please reload this page in a minute; \
you will not be charged twice, and your order is completed as soon as it answers.</p>\
<p><a href=\"/payment/return\">Reload</a></p></main></body></html>",
        ),
    )
        .into_response()
}

/// Sends the payment code's events (`app::purchase::set_reporter`) to the log.
pub fn report_to_log(severity: purchase::Severity, message: &str) {
    match severity {
        purchase::Severity::Info => tracing::info!(target: "shop::payment", "{message}"),
        purchase::Severity::Warn => tracing::warn!(target: "shop::payment", "{message}"),
        purchase::Severity::Error => tracing::error!(target: "shop::payment", "{message}"),
    }
}

/// A token bucket: `burst` requests at once, then `per_sec` a second.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn take(buckets: &mut Option<Bucket>, burst: f64, per_sec: f64) -> bool {
        let now = Instant::now();
        let b = buckets.get_or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * per_sec).min(burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Limits on `POST /payment/notify/{institution}`: every client address gets
/// [`NotifyThrottle::PER_IP_BURST`] requests then [`NotifyThrottle::PER_IP_PER_SEC`] a second,
/// whatever they carry; the notifications that match a payment we started (the only ones
/// that cost S-360 calls) are also limited per institution. A refused request gets 429, which
/// S-PAY retries later; reconciliation closes what a notification could not.
#[derive(Debug, Default)]
pub struct NotifyThrottle {
    per_ip: Mutex<HashMap<IpAddr, Option<Bucket>>>,
    per_institution: Mutex<HashMap<String, Option<Bucket>>>,
}

impl NotifyThrottle {
    pub const PER_IP_BURST: f64 = 20.0;
    pub const PER_IP_PER_SEC: f64 = 5.0;
    pub const PER_INSTITUTION_BURST: f64 = 30.0;
    pub const PER_INSTITUTION_PER_SEC: f64 = 2.0;

    fn allow_ip(&self, ip: IpAddr) -> bool {
        let mut m = self.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        if m.len() > 10_000 {
            // forget the idle (full) buckets; a flood from many addresses keeps its own
            m.retain(|_, b| b.is_some_and(|b| b.tokens < Self::PER_IP_BURST - 1.0));
        }
        Bucket::take(
            m.entry(ip).or_default(),
            Self::PER_IP_BURST,
            Self::PER_IP_PER_SEC,
        )
    }

    fn allow_institution(&self, code: &str) -> bool {
        let mut m = self
            .per_institution
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        Bucket::take(
            m.entry(code.to_string()).or_default(),
            Self::PER_INSTITUTION_BURST,
            Self::PER_INSTITUTION_PER_SEC,
        )
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
    if !state.notify_throttle.allow_ip(peer.ip()) {
        tracing::warn!(peer = %peer.ip(), "payment notification throttled (client)");
        return StatusCode::TOO_MANY_REQUESTS;
    }
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
    let Some(started) = purchase::registered_payment(&tenant, n.order_id) else {
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
    if !state.notify_throttle.allow_institution(&tenant.code) {
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
