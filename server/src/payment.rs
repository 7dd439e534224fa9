//! Where S-PAY sends the buyer back, where S-360 notifies us, and the ticket download.
//! The outcome always comes from S-360 (`getOrderDetails`), never from the query string; the
//! order is finalised exactly once whichever of these arrives first.

use app::purchase::{self, finalize};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use base64::Engine;
use s360::model::order::{OrderId, OrderState, PaymentNotification};
use s360::model::ticket::{GetTicketsRequest, PrintFormat, PrintTicketsRequest, TicketState};
use serde::Deserialize;
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
                purchase::forget_payment(&tenant, order_id);
                purchase::clear_cart(&tenant, &session, order_id).await;
            }
            Redirect::to(&order_url(order_id, &d.order_secret_id)).into_response()
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

/// `NOTIFY_URL`: S-PAY's server-to-server notification. Only a hint: the state is re-read.
pub async fn payment_notify(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Json(n): Json<PaymentNotification>,
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
    match finalize(&tenant, n.order_id).await {
        Ok(d) => {
            if d.order_state != OrderState::Running {
                purchase::forget_payment(&tenant, n.order_id);
            }
            StatusCode::OK
        }
        // a non-2xx makes S-PAY retry
        Err(e) => {
            tracing::warn!(tenant = %tenant.code, order = n.order_id.0, error = %e, "finalising on notification failed");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

#[derive(Deserialize)]
pub struct Access {
    access: String,
}

/// The tickets of a closed order as one PDF (S-360's `printTickets`), as an attachment.
pub async fn tickets_pdf(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(order_id): Path<i64>,
    Query(q): Query<Access>,
) -> Response {
    let Some(tenant) = state.tenant_for(&headers) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let client = tenant.catalog.client();
    let Ok(d) = client.get_order_details(OrderId(order_id), None).await else {
        return (StatusCode::NOT_FOUND, "No such order.").into_response();
    };
    if !s360::constant_time_eq(d.order_secret_id.as_bytes(), q.access.as_bytes()) {
        return (StatusCode::NOT_FOUND, "No such order.").into_response();
    }
    if d.order_state != OrderState::Closed {
        return (
            StatusCode::CONFLICT,
            "The tickets are available once the order is paid.",
        )
            .into_response();
    }
    let tickets = match client
        .get_tickets(&GetTicketsRequest {
            order_id: Some(order_id),
            ..Default::default()
        })
        .await
    {
        Ok(t) => t,
        Err(e) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("Tickets unavailable right now: {e}"),
            )
                .into_response()
        }
    };
    let ids: Vec<i64> = tickets
        .iter()
        .filter(|t| matches!(t.ticket_state, TicketState::Valid | TicketState::NotPrinted))
        .map(|t| t.ticket_id)
        .collect();
    let printed = match client
        .print_tickets(&PrintTicketsRequest {
            ticket_ids: ids,
            format: PrintFormat::PdfA4,
            reprint: false,
        })
        .await
    {
        Ok(p) => p,
        Err(e) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("Tickets unavailable right now: {e}"),
            )
                .into_response()
        }
    };
    let Ok(pdf) = base64::engine::general_purpose::STANDARD.decode(printed.pdf_base64) else {
        return (
            StatusCode::BAD_GATEWAY,
            "The ticketing system sent an unreadable PDF.",
        )
            .into_response();
    };
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"tickets-{order_id}.pdf\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        pdf,
    )
        .into_response()
}
