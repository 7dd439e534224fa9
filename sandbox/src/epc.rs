//! The fake EPC payment widget of S-PAY (s360-contract.md §10, OUR DESIGN): `/epc/widget.js`,
//! the hosted card page `/epc/pay/{transactionID}`, and the admin endpoints of the order flow.
//!
//! Card data is posted to the sandbox only, never to the shop. Test cards:
//! 4111 1111 1111 1111 pays, 4000 0000 0000 0002 is refused, 4000 0000 0000 0077 stays
//! IN_PROGRESS for a while (5 s) and then pays, 4000 0000 0000 3220 asks for 3-D Secure: it pays
//! after the same delay but S-360 is told only then, so the order's hold keeps counting and may
//! expire first (the order ends ABANDONNED with a PAID payment). Any other valid number is
//! refused.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, put};
use axum::{Form, Json, Router};
use chrono::Datelike;
use s360::model::order::{OrderState, PaymentState};
use serde::Deserialize;

use crate::orders::{self, CardOutcome, Payment};
use crate::state::Institution;
use crate::Sandbox;

pub fn router() -> Router<Arc<Sandbox>> {
    Router::new()
        .route("/epc/widget.js", get(widget))
        .route("/epc/pay/{tid}", get(page).post(submit))
        .route("/__admin/webhook", get(get_webhook).put(put_webhook))
        .route("/__admin/order-abandon-delay", put(put_abandon_delay))
}

const WIDGET_JS: &str = r#"/* S-360 sandbox: fake EPC payment widget */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src).origin : "";
  function init(target, transactionId) {
    var el = typeof target === "string" ? document.querySelector(target) : target;
    if (!el || !transactionId) { return; }
    var page = base + "/epc/pay/" + encodeURIComponent(transactionId);
    var frame = document.createElement("iframe");
    frame.src = page + "?embed=1";
    frame.title = "Card payment";
    frame.style.width = "100%";
    frame.style.minHeight = "460px";
    frame.style.border = "0";
    var link = document.createElement("a");
    link.href = page;
    link.textContent = "Open the payment page";
    el.replaceChildren(frame, link);
  }
  window.SecutixEPC = { init: init };
  var auto = document.querySelectorAll("[data-epc-transaction-id]");
  for (var i = 0; i < auto.length; i++) {
    init(auto[i], auto[i].getAttribute("data-epc-transaction-id"));
  }
})();
"#;

async fn widget() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        WIDGET_JS,
    )
        .into_response()
}

use crate::oidc::esc;

fn valid_tid(tid: &str) -> bool {
    !tid.is_empty() && tid.len() <= 80 && tid.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn institution_of(sb: &Sandbox, tid: &str) -> Option<Arc<std::sync::Mutex<Institution>>> {
    if !valid_tid(tid) {
        return None;
    }
    sb.institution(tid.split('-').next()?)
}

fn return_link(p: &Payment, status: &str) -> String {
    let sep = if p.return_url.contains('?') { '&' } else { '?' };
    let tid = p.data.transaction_id.as_deref().unwrap_or_default();
    format!("{}{sep}transactionID={tid}&status={status}", p.return_url)
}

fn status_word(s: PaymentState) -> &'static str {
    match s {
        PaymentState::Paid | PaymentState::Authorized => "success",
        PaymentState::InProgress | PaymentState::WaitingManualValidation => "pending",
        PaymentState::Failed | PaymentState::FailedRejected => "refused",
        _ => "cancelled",
    }
}

fn layout(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – S-PAY (sandbox)</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 28rem; margin: 1.5rem auto; padding: 0 1rem; color: #1a1a1a; }}
label {{ display: block; margin-top: 1rem; font-weight: 600; }}
input {{ font-size: 1.1rem; padding: .5rem; width: 100%; box-sizing: border-box; border: 1px solid #555; border-radius: 4px; }}
input[aria-invalid="true"] {{ border: 2px solid #b00020; }}
.error {{ color: #b00020; margin: .25rem 0 0; }}
.actions {{ display: flex; gap: 1rem; margin-top: 1.5rem; }}
button {{ font-size: 1rem; padding: .6rem 1.2rem; border-radius: 4px; border: 1px solid #1a1a1a; cursor: pointer; }}
button[value="pay"] {{ background: #0b5394; color: #fff; }}
.hint {{ color: #444; font-size: .9rem; }}
:focus-visible {{ outline: 3px solid #f4b400; outline-offset: 2px; }}
</style>
</head>
<body>
<main>
{body}
</main>
</body>
</html>"#,
        title = esc(title),
    )
}

#[derive(Default)]
struct FormErrors {
    card: Option<&'static str>,
    expiry: Option<&'static str>,
    cvc: Option<&'static str>,
}

impl FormErrors {
    fn any(&self) -> bool {
        self.card.is_some() || self.expiry.is_some() || self.cvc.is_some()
    }
}

fn field(
    id: &str,
    label: &str,
    autocomplete: &str,
    hint: &str,
    value: &str,
    error: Option<&str>,
) -> String {
    let described = if error.is_some() {
        format!("{id}-hint {id}-error")
    } else {
        format!("{id}-hint")
    };
    let err = error
        .map(|e| format!(r#"<p class="error" id="{id}-error">{}</p>"#, esc(e)))
        .unwrap_or_default();
    format!(
        r#"<label for="{id}">{label}</label>
<p class="hint" id="{id}-hint">{hint}</p>
<input id="{id}" name="{id}" type="text" inputmode="numeric" autocomplete="{autocomplete}" required aria-required="true" aria-describedby="{described}" aria-invalid="{invalid}" value="{value}">
{err}"#,
        invalid = error.is_some(),
        value = esc(value),
    )
}

fn form_page(
    inst: &Institution,
    tid: &str,
    p: &Payment,
    embed: bool,
    values: (&str, &str),
    errors: &FormErrors,
) -> String {
    let amount = p
        .data
        .amount
        .format(&inst.pos.institution_currency, &inst.pos.main_language);
    let org = inst
        .pos
        .organization_name
        .best(&inst.pos.main_language, "en")
        .to_string();
    let target = if embed { r#" target="_top""# } else { "" };
    let summary = if errors.any() {
        r#"<div role="alert"><p class="error">Please correct the fields marked below.</p></div>"#
    } else {
        ""
    };
    let body = format!(
        r#"<h1>Pay {amount}</h1>
<p>To {org}, order {order}. Test mode: no real card is charged.</p>
{summary}
<form method="post" action="/epc/pay/{tid}{embed_q}"{target} novalidate>
{card}
{expiry}
{cvc}
<div class="actions">
<button type="submit" name="action" value="pay">Pay {amount}</button>
<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</div>
</form>
<p class="hint">Test cards: 4111 1111 1111 1111 (paid), 4000 0000 0000 0002 (refused), 4000 0000 0000 0077 (paid after a delay), 4000 0000 0000 3220 (3-D Secure).</p>"#,
        amount = esc(&amount),
        org = esc(&org),
        order = p
            .order_identifier
            .chars()
            .take(64)
            .collect::<String>()
            .replace(
                |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_',
                ""
            ),
        tid = esc(tid),
        embed_q = if embed { "?embed=1" } else { "" },
        card = field(
            "card_number",
            "Card number",
            "cc-number",
            "The 16 digits on the front of the card.",
            values.0,
            errors.card
        ),
        expiry = field(
            "expiry",
            "Expiry date",
            "cc-exp",
            "Month and year, as MM/YY.",
            values.1,
            errors.expiry
        ),
        cvc = field(
            "cvc",
            "Security code",
            "cc-csc",
            "The 3 or 4 digits on the back of the card.",
            "",
            errors.cvc
        ),
    );
    layout(&format!("Pay {amount}"), &body)
}

fn status_page(p: &Payment, order_state: OrderState, state: PaymentState, embed: bool) -> String {
    let (title, text) = match state {
        PaymentState::Paid | PaymentState::Authorized => {
            ("Payment accepted", "This payment has been made.")
        }
        PaymentState::InProgress => (
            "Payment in progress",
            "Your bank is confirming this payment. You can return to the shop.",
        ),
        PaymentState::Failed | PaymentState::FailedRejected => (
            "Payment refused",
            "This payment was refused. No money was taken.",
        ),
        PaymentState::CancelledByUser => ("Payment cancelled", "You cancelled this payment."),
        _ if order_state == OrderState::Abandonned => (
            "Order expired",
            "This order is no longer held, so it cannot be paid. No money was taken.",
        ),
        _ => (
            "Payment no longer valid",
            "This payment was replaced or withdrawn. No money was taken.",
        ),
    };
    let target = if embed { r#" target="_top""# } else { "" };
    let body = format!(
        r#"<h1>{title}</h1>
<p role="status">{text}</p>
<p><a href="{href}"{target}>Return to the shop</a></p>"#,
        href = esc(&return_link(p, status_word(state))),
    );
    layout(title, &body)
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(layout(
            "Unknown payment",
            "<h1>Unknown payment</h1><p>This payment link is not valid.</p>",
        )),
    )
        .into_response()
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(body),
    )
        .into_response()
}

async fn page(
    State(sb): State<Arc<Sandbox>>,
    Path(tid): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(inst) = institution_of(&sb, &tid) else {
        return not_found();
    };
    let embed = q.get("embed").is_some_and(|v| v == "1");
    let mut inst = inst.lock().expect("institution lock");
    orders::expire_due(&sb, &mut inst);
    let Some((p, order_state)) = orders::transaction(&inst, &tid) else {
        return not_found();
    };
    let state = p.data.payment_state;
    if state == PaymentState::Waiting && order_state == OrderState::Running {
        html(
            StatusCode::OK,
            form_page(&inst, &tid, &p, embed, ("", ""), &FormErrors::default()),
        )
    } else {
        html(StatusCode::OK, status_page(&p, order_state, state, embed))
    }
}

fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.chars().rev().enumerate() {
        let Some(mut d) = c.to_digit(10) else {
            return false;
        };
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

fn valid_expiry(s: &str) -> bool {
    let Some((m, y)) = s.trim().split_once('/') else {
        return false;
    };
    let (Ok(m), Ok(y)) = (m.trim().parse::<u32>(), y.trim().parse::<i32>()) else {
        return false;
    };
    let y = if y < 100 { 2000 + y } else { y };
    let today = chrono::Utc::now();
    (1..=12).contains(&m) && (y, m) >= (today.year(), today.month()) && y < today.year() + 30
}

#[derive(Debug, Deserialize)]
struct CardForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    card_number: String,
    #[serde(default)]
    expiry: String,
    #[serde(default)]
    cvc: String,
}

async fn submit(
    State(sb): State<Arc<Sandbox>>,
    Path(tid): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    form: Result<Form<CardForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Some(inst_lock) = institution_of(&sb, &tid) else {
        return not_found();
    };
    let Ok(Form(form)) = form else {
        return (StatusCode::BAD_REQUEST, "invalid form").into_response();
    };
    let embed = q.get("embed").is_some_and(|v| v == "1");
    let digits: String = form
        .card_number
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let outcome = match form.action.as_str() {
        "cancel" => CardOutcome::Cancelled,
        "pay" => {
            let errors = FormErrors {
                card: (!(12..=19).contains(&digits.len()) || !luhn(&digits))
                    .then_some("Enter a valid card number."),
                expiry: (!valid_expiry(&form.expiry))
                    .then_some("Enter a future expiry date as MM/YY."),
                cvc: (!(3..=4).contains(&form.cvc.trim().len())
                    || !form.cvc.trim().chars().all(|c| c.is_ascii_digit()))
                .then_some("Enter the 3 or 4 digit security code."),
            };
            if errors.any() {
                let inst = inst_lock.lock().expect("institution lock");
                let Some((p, _)) = orders::transaction(&inst, &tid) else {
                    return not_found();
                };
                let body = form_page(
                    &inst,
                    &tid,
                    &p,
                    embed,
                    (&form.card_number, &form.expiry),
                    &errors,
                );
                return html(StatusCode::UNPROCESSABLE_ENTITY, body);
            }
            match digits.as_str() {
                "4111111111111111" => CardOutcome::Paid,
                "4000000000000077" => CardOutcome::Pending,
                "4000000000003220" => CardOutcome::Authenticating,
                _ => CardOutcome::Refused,
            }
        }
        _ => return (StatusCode::BAD_REQUEST, "invalid field `action`").into_response(),
    };
    let mut inst = inst_lock.lock().expect("institution lock");
    orders::expire_due(&sb, &mut inst);
    let Some((payment, _)) = orders::transaction(&inst, &tid) else {
        return not_found();
    };
    match orders::apply_outcome(&mut inst, &tid, outcome) {
        Ok(n) => {
            let status = n.status.clone();
            if matches!(outcome, CardOutcome::Pending | CardOutcome::Authenticating) {
                settle_later(&sb, inst_lock.clone(), tid.clone());
            } else {
                sb.notify_payment(&inst, payment.notify_url.clone(), n);
            }
            Redirect::to(&return_link(&payment, &status)).into_response()
        }
        Err(state) => {
            let order_state = orders::transaction(&inst, &tid)
                .map(|(_, s)| s)
                .unwrap_or(OrderState::Abandonned);
            html(
                StatusCode::CONFLICT,
                status_page(&payment, order_state, state, embed),
            )
        }
    }
}

/// The delayed cards: PAID after the pending delay (even if the order's hold expired meanwhile,
/// for the 3-D Secure card), then the notification.
fn settle_later(sb: &Arc<Sandbox>, inst: Arc<std::sync::Mutex<Institution>>, tid: String) {
    let sb = sb.clone();
    tokio::spawn(async move {
        tokio::time::sleep(sb.pending_payment_delay()).await;
        let mut inst = inst.lock().expect("institution lock");
        let url = orders::transaction(&inst, &tid).and_then(|(p, _)| p.notify_url);
        if let Ok(n) = orders::apply_outcome(&mut inst, &tid, CardOutcome::Paid) {
            sb.notify_payment(&inst, url, n);
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Admin

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WebhookBody {
    url: Option<String>,
}

async fn get_webhook(State(sb): State<Arc<Sandbox>>, headers: HeaderMap) -> Response {
    if !sb.admin_allowed(&headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    Json(serde_json::json!({ "url": sb.order_webhook() })).into_response()
}

async fn put_webhook(
    State(sb): State<Arc<Sandbox>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !sb.admin_allowed(&headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match serde_json::from_slice::<WebhookBody>(&body) {
        Ok(WebhookBody { url: Some(u) })
            if !(u.starts_with("http://") || u.starts_with("https://")) =>
        {
            (
                StatusCode::BAD_REQUEST,
                "invalid field `url`: not an http(s) URL",
            )
                .into_response()
        }
        Ok(b) => {
            sb.set_order_webhook(b.url);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, format!("invalid body: {e}")).into_response(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AbandonDelayBody {
    institution: String,
    seconds: i64,
}

async fn put_abandon_delay(
    State(sb): State<Arc<Sandbox>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !sb.admin_allowed(&headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match serde_json::from_slice::<AbandonDelayBody>(&body) {
        Ok(b) if b.seconds < 1 => (
            StatusCode::BAD_REQUEST,
            "invalid field `seconds`: must be >= 1",
        )
            .into_response(),
        Ok(b) if sb.set_order_abandon_delay(&b.institution, b.seconds) => {
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(b) => (
            StatusCode::NOT_FOUND,
            format!("unknown institution {}", b.institution),
        )
            .into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, format!("invalid body: {e}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_checks() {
        assert!(luhn("4111111111111111"));
        assert!(luhn("4000000000000002"));
        assert!(luhn("4000000000000077"));
        assert!(!luhn("4111111111111112"));
        assert!(valid_expiry("12/99") || valid_expiry("12/49"));
        assert!(!valid_expiry("13/30"));
        assert!(!valid_expiry("01/20"));
        assert!(!valid_expiry("garbage"));
        assert!(!valid_tid("../x"));
        assert_eq!(esc("<a href=\"x\">"), "&lt;a href=&quot;x&quot;&gt;");
    }
}
