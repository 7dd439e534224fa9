//! One card payment for a cart spread over several institutions.
//!
//! 1. [`start`]: each institution's cart is a running S-360 order on the reseller's channel.
//!    Their amounts are added up, one PaymentIntent is made at the provider, and the payment
//!    with its parts is written to the journal before the card form is shown.
//! 2. [`finalize`]: once the provider says the payment succeeded (the buyer's return, the
//!    webhook, a reload, a second tab or the reconciliation, whichever comes first; they queue
//!    on one lock per payment), each institution's order is closed with a PENDING_ACCOUNT
//!    payment of its amount. Every step is written down before the next: a part is `closed`
//!    once S-360 says the order is closed, and is never closed again; a part whose order cannot
//!    be closed any more (its hold expired and the seats are gone, or the order changed) is
//!    marked `refunding` and refunded through the provider with an idempotency key, then
//!    `refunded`. A call that failed without an answer is looked up (order state, same refund
//!    key) before anything is sent again.
//! 3. [`reconcile`]: every few seconds, the payments the journal holds unfinished go through
//!    [`finalize`] again, so a restart or a lost webhook only delays a close.

use std::sync::Arc;
use std::time::Duration;

use s360::client::Error as S360Error;
use s360::model::order::OrderId;
use s360::model::order::{
    CloseOrderRequest, Granularity, MovementContact, MovementContactData, OrderDetailsData,
    OrderState, OrderType, PaymentInput, PaymentState,
};
use shop::lang::Lang;
use tower_sessions::Session;

use crate::journal::{Part, Payment};
use crate::stripe::PaymentIntentStatus;
use crate::{Institution, Reseller};

/// An open payment lives at most this long; then it is cancelled at the provider.
const OPEN_FOR: Duration = Duration::from_secs(2 * 3600);
/// Open payments younger than this are left to the buyer's return and the webhook.
const QUIET: Duration = Duration::from_secs(20);

/// What the buyer typed at checkout.
#[derive(Debug, Clone, Default)]
pub struct Buyer {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
}

/// Why a payment cannot start or go on, in words a buyer understands.
#[derive(Debug, thiserror::Error)]
pub enum PayError {
    #[error("Your cart is empty.")]
    Empty,
    #[error("{0}")]
    Cart(String),
    #[error("This payment was already made.")]
    AlreadyPaid(String),
    #[error("The payment service cannot be reached. Your tickets stay held; please try again in a moment.")]
    Provider(String),
    #[error("{0}")]
    Invalid(String),
    #[error("Something went wrong on our side. Your tickets stay held; please try again.")]
    Internal(String),
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn paying_key(r: &Reseller) -> String {
    format!("reseller.{}.paying", r.config.code)
}

/// The checkout the session started and that is not finished with, if any.
pub async fn paying(r: &Reseller, session: &Session) -> Option<String> {
    session.get::<String>(&paying_key(r)).await.ok().flatten()
}

pub async fn forget_paying(r: &Reseller, session: &Session) {
    let _ = session.remove::<String>(&paying_key(r)).await;
}

/// S-360 thousandths -> the provider's minor units, exactly (refused if it would round).
pub fn to_minor(amount: s360::Amount, fraction_digits: u32) -> Option<i64> {
    let digits = fraction_digits.min(3);
    let scale = 10i64.pow(3 - digits);
    (amount.0 % scale == 0).then_some(amount.0 / scale)
}

/// The buyer's cart at one institution: its running order.
async fn cart_order(
    inst: &Institution,
    session: &Session,
) -> Result<Option<OrderDetailsData>, PayError> {
    let bs = shop::session::BuyerSession::new(session.clone(), &inst.tenant.code);
    let Some(order_id) = bs.cart().await else {
        return Ok(None);
    };
    match inst
        .tenant
        .catalog
        .client()
        .get_order_details(order_id, Some(Granularity::Movements))
        .await
    {
        Ok(d) if d.order_state == OrderState::Running && !d.movements.is_empty() => Ok(Some(d)),
        Ok(_) | Err(S360Error::NotFound(_)) => Ok(None),
        Err(e) => Err(PayError::Provider(e.to_string())),
    }
}

/// Starts (or resumes) the payment of everything in the buyer's carts; answers the checkout's
/// id. A cart is paid with one PaymentIntent per currency: one when every institution sells in
/// the same currency (the usual case), two for a Swiss museum and a French theatre.
pub async fn start(
    r: &Reseller,
    session: &Session,
    lang: Lang,
    buyer: &Buyer,
) -> Result<String, PayError> {
    // one checkout at a time per session (two tabs posting at once get the same one)
    let session_key = match session.id() {
        Some(id) => format!("session:{id}"),
        None => {
            // a new session: give it its id now, so that the lock has a name
            session
                .insert(&paying_key(r), Option::<String>::None)
                .await
                .map_err(|e| PayError::Internal(e.to_string()))?;
            session
                .save()
                .await
                .map_err(|e| PayError::Internal(e.to_string()))?;
            format!(
                "session:{}",
                session.id().map(|i| i.to_string()).unwrap_or_default()
            )
        }
    };
    let lock = r.lock_for(&session_key);
    let _guard = lock.lock().await;
    let mut parts: Vec<(String, Part)> = Vec::new();
    let mut orders = Vec::new();
    for inst in &r.institutions {
        let Some(d) = cart_order(inst, session).await? else {
            continue;
        };
        if d.currency.fraction_digit != 2 {
            return Err(PayError::Cart(format!(
                "{} sells in {}, which this shop cannot charge: this part of the cart cannot be paid here.",
                inst.config.code, d.currency.currency_code
            )));
        }
        if let Some(exp) = d.expiration_date {
            if exp.timestamp_millis() <= now_ms() {
                return Err(PayError::Cart(
                    "The hold on your tickets has ended. Please add them again.".into(),
                ));
            }
        }
        let minor = to_minor(d.sale_amount, d.currency.fraction_digit).ok_or_else(|| {
            PayError::Internal(format!(
                "{}'s amount {} has more digits than {}",
                inst.config.code, d.sale_amount.0, d.currency.currency_code
            ))
        })?;
        parts.push((
            d.currency.currency_code.clone(),
            Part {
                institution: inst.config.code.clone(),
                order_id: d.order_id.0,
                amount: d.sale_amount.0,
                amount_minor: minor,
                state: "waiting".into(),
                reason: None,
                refund_id: None,
                done_ms: None,
            },
        ));
        orders.push((inst, d));
    }
    // a checkout this session already started for the same orders and amounts goes on
    if let Some(id) = paying(r, session).await {
        let started = r
            .journal
            .checkout(&id)
            .map_err(|e| PayError::Internal(e.to_string()))?;
        let mut before: Vec<(&str, i64, i64)> = started
            .iter()
            .flat_map(|p| p.parts.iter())
            .map(|t| (t.institution.as_str(), t.order_id, t.amount))
            .collect();
        let mut now: Vec<(&str, i64, i64)> = parts
            .iter()
            .map(|(_, t)| (t.institution.as_str(), t.order_id, t.amount))
            .collect();
        before.sort_unstable();
        now.sort_unstable();
        let any_paid = started.iter().any(|p| p.state == "paid");
        let all_open = !started.is_empty() && started.iter().all(|p| p.state == "open");
        if all_open && before == now {
            return Ok(id);
        }
        if any_paid {
            // what is still open of it must not be paid any more either
            let _ = cancel(r, &id).await;
            forget_paying(r, session).await;
            return Err(PayError::AlreadyPaid(id));
        }
        // the cart changed: the old payments must not be paid any more
        cancel(r, &id).await?;
        forget_paying(r, session).await;
    }
    if parts.is_empty() {
        return Err(PayError::Empty);
    }
    if r.config.create_contacts {
        for (inst, d) in &orders {
            set_contacts(inst, d, buyer).await?;
        }
    }
    let checkout_id = format!("co_{:024x}", rand::random::<u128>() >> 32);
    let mut currencies: Vec<String> = parts.iter().map(|(c, _)| c.clone()).collect();
    currencies.sort();
    currencies.dedup();
    for currency in currencies {
        let these: Vec<Part> = parts
            .iter()
            .filter(|(c, _)| *c == currency)
            .map(|(_, t)| t.clone())
            .collect();
        let amount_minor: i64 = these.iter().map(|p| p.amount_minor).sum();
        if amount_minor <= 0 {
            return Err(PayError::Cart(
                "Tickets that cost nothing cannot be ordered on their own here: add a paid ticket, or ask the institution."
                    .into(),
            ));
        }
        let summary = these
            .iter()
            .map(|p| format!("{}:{}", p.institution, p.order_id))
            .collect::<Vec<_>>()
            .join(",");
        let intent = r
            .stripe
            .create_payment_intent(
                amount_minor,
                &currency.to_ascii_lowercase(),
                &[
                    ("reseller", r.config.code.as_str()),
                    ("checkout", checkout_id.as_str()),
                    ("orders", summary.as_str()),
                ],
                &format!("start-{checkout_id}-{currency}"),
            )
            .await
            .map_err(|e| match e {
                // the provider refused the payment itself (an amount below its minimum...)
                crate::stripe::StripeError::Api {
                    status: 400..=499,
                    ref message,
                    ..
                } => PayError::Cart(format!(
                    "The payment service refused this payment: {message}"
                )),
                e => PayError::Provider(e.to_string()),
            })?;
        let payment = Payment {
            intent_id: intent.id.clone(),
            checkout_id: checkout_id.clone(),
            created_ms: now_ms(),
            amount_minor,
            currency: currency.clone(),
            lang: lang.code().to_string(),
            buyer_name: format!("{} {}", buyer.first_name.trim(), buyer.last_name.trim()),
            buyer_email: buyer.email.trim().to_string(),
            state: "open".into(),
            parts: these,
        };
        r.journal
            .insert(&payment)
            .map_err(|e| PayError::Internal(e.to_string()))?;
        tracing::info!(reseller = %r.config.code, checkout = %checkout_id, intent = %intent.id, orders = %summary, amount_minor, %currency, "payment started");
    }
    session
        .insert(&paying_key(r), &checkout_id)
        .await
        .map_err(|e| PayError::Internal(e.to_string()))?;
    Ok(checkout_id)
}

/// The buyer as the contact of every ticket of `d` (a new S-360 contact per institution).
async fn set_contacts(
    inst: &Institution,
    d: &OrderDetailsData,
    buyer: &Buyer,
) -> Result<(), PayError> {
    let client = inst.tenant.catalog.client();
    let created = client
        .create_contact(&s360::model::contact::CreateContactRequest {
            individual_contact: s360::model::contact::IndividualContact {
                login: None,
                email: buyer.email.trim().to_string(),
                individual_firstname: buyer.first_name.trim().to_string(),
                individual_lastname: buyer.last_name.trim().to_string(),
                individual_gender: None,
                country_code: None,
                phone_number1: None,
                zip_code: None,
                language_code: None,
                active: true,
            },
            addresses: vec![],
            criteria: vec![],
            opt_ins: vec![],
            create_login: false,
            password: None,
        })
        .await
        .map_err(|e| PayError::Provider(e.to_string()))?;
    let data = d
        .movements
        .iter()
        .map(|m| MovementContactData {
            movement_id: m.movement_id,
            contact: MovementContact {
                contact_number: Some(created.contact_number.clone()),
                first_name: Some(buyer.first_name.trim().to_string()),
                last_name: Some(buyer.last_name.trim().to_string()),
                email: Some(buyer.email.trim().to_string()),
                birth_date: None,
            },
        })
        .collect();
    client
        .set_movement_contact_data(d.order_id, data)
        .await
        .map_err(|e| PayError::Provider(e.to_string()))?;
    Ok(())
}

/// Cancels a checkout's open payments at the provider so they can no longer be paid; if one
/// was paid meanwhile, the checkout is finalised instead and [`PayError::AlreadyPaid`]
/// answered (its paid part stays sold; nothing is refunded because the buyer changed their
/// mind after paying).
pub async fn cancel(r: &Reseller, checkout_id: &str) -> Result<(), PayError> {
    let payments = r
        .journal
        .checkout(checkout_id)
        .map_err(|e| PayError::Internal(e.to_string()))?;
    let mut paid = false;
    for p in payments.iter().filter(|p| p.state == "open") {
        if let Err(e) = r.stripe.cancel_payment_intent(&p.intent_id).await {
            // it may have succeeded (or been cancelled) meanwhile: ask
            let pi = r
                .stripe
                .retrieve_payment_intent(&p.intent_id)
                .await
                .map_err(|_| PayError::Provider(e.to_string()))?;
            match pi.status {
                PaymentIntentStatus::Succeeded | PaymentIntentStatus::Processing => paid = true,
                PaymentIntentStatus::Canceled => {}
                _ => return Err(PayError::Provider(e.to_string())),
            }
        }
    }
    let after = finalize_checkout(r, checkout_id).await?;
    if paid || after.iter().any(|p| p.state == "paid") {
        return Err(PayError::AlreadyPaid(checkout_id.to_string()));
    }
    Ok(())
}

/// [`finalize`] for each payment of a checkout; answers them as the journal holds them after.
pub async fn finalize_checkout(r: &Reseller, checkout_id: &str) -> Result<Vec<Payment>, PayError> {
    let payments = r
        .journal
        .checkout(checkout_id)
        .map_err(|e| PayError::Internal(e.to_string()))?;
    let mut out = Vec::new();
    let mut first_error = None;
    for p in payments {
        match finalize(r, &p.intent_id).await {
            Ok(Some(after)) => out.push(after),
            Ok(None) => {}
            Err(e) => {
                out.push(p);
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) if out.iter().all(|p| p.state == "open") => Err(e),
        _ => Ok(out),
    }
}

/// Moves a payment on as far as it can go now (see the module's documentation), and answers
/// it as the journal holds it afterwards; `None` for a payment this reseller never started.
pub async fn finalize(r: &Reseller, intent_id: &str) -> Result<Option<Payment>, PayError> {
    let lock = r.lock_for(intent_id);
    let _guard = lock.lock().await;
    let journal_err = |e: crate::journal::JournalError| PayError::Internal(e.to_string());
    let Some(p) = r.journal.get(intent_id).map_err(journal_err)? else {
        return Ok(None);
    };
    if p.state == "open" {
        let pi = r
            .stripe
            .retrieve_payment_intent(intent_id)
            .await
            .map_err(|e| PayError::Provider(e.to_string()))?;
        match pi.status {
            PaymentIntentStatus::Succeeded => {
                if pi.amount != p.amount_minor || !pi.currency.eq_ignore_ascii_case(&p.currency) {
                    // never close orders for a payment that is not what we asked for
                    tracing::error!(
                        intent = intent_id,
                        paid = pi.amount,
                        asked = p.amount_minor,
                        "payment amount differs from the journal"
                    );
                    return Err(PayError::Internal("the payment's amount differs".into()));
                }
                r.journal
                    .set_payment_state(intent_id, "paid")
                    .map_err(journal_err)?;
                tracing::info!(reseller = %r.config.code, intent = intent_id, "payment succeeded");
            }
            PaymentIntentStatus::Canceled => {
                r.journal
                    .set_payment_state(intent_id, "abandoned")
                    .map_err(journal_err)?;
                return r.journal.get(intent_id).map_err(journal_err);
            }
            _ => return Ok(Some(p)),
        }
    }
    if p.state == "abandoned" {
        return Ok(Some(p));
    }
    for part in p.parts.iter().filter(|t| !t.is_final()) {
        let Some(inst) = r.institution(&part.institution) else {
            tracing::error!(institution = %part.institution, "a journal part for an institution no longer configured");
            continue;
        };
        if let Err(e) = settle_part(r, inst, intent_id, part).await {
            tracing::warn!(intent = intent_id, institution = %part.institution, error = %e, "part not settled yet; retried by the reconciliation");
        }
    }
    r.journal.get(intent_id).map_err(journal_err)
}

/// Closes one institution's order with a PENDING_ACCOUNT payment, or refunds its share.
async fn settle_part(
    r: &Reseller,
    inst: &Institution,
    intent_id: &str,
    part: &Part,
) -> Result<(), String> {
    if part.state == "refunding" {
        return refund(r, intent_id, part, None).await;
    }
    let client = inst.tenant.catalog.client();
    let order_id = OrderId(part.order_id);
    let mut d = match client.get_order_details(order_id, None).await {
        Ok(d) => d,
        Err(S360Error::NotFound(_)) => {
            return refund(r, intent_id, part, Some("order_gone")).await;
        }
        Err(e) => return Err(e.to_string()),
    };
    if d.order_state == OrderState::Closed {
        return mark_closed(r, inst, intent_id, part, &d).await;
    }
    if d.order_state == OrderState::Abandonned {
        // the hold ended during the payment: the same seats again if they are still free
        match client.reopen_order(order_id).await {
            Ok(again) if again.order_state == OrderState::Running => d = again,
            Ok(_) | Err(S360Error::Availability(_)) | Err(S360Error::Other(..)) => {
                return refund(r, intent_id, part, Some("expired")).await;
            }
            Err(e) if e.may_have_been_applied() => return Err(e.to_string()),
            Err(S360Error::NotFound(_)) => {
                return refund(r, intent_id, part, Some("expired")).await
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    if d.sale_amount.0 != part.amount {
        return refund(r, intent_id, part, Some("changed")).await;
    }
    if d.payment_state == PaymentState::InProgress {
        return Err(format!(
            "order {} has another payment in progress",
            d.order_id
        ));
    }
    let snap = inst
        .tenant
        .catalog
        .snapshot()
        .ok_or("the catalog is not loaded yet")?;
    let method = snap
        .pos
        .payment_methods
        .iter()
        .find(|m| m.payment_type == "PENDING_ACCOUNT" && m.for_payment)
        .ok_or_else(|| {
            format!(
                "the point of sale of {} has no PENDING_ACCOUNT payment method",
                inst.config.code
            )
        })?;
    let req = CloseOrderRequest {
        request_id: None,
        order_id,
        order_type: OrderType::default(),
        purchaser_info: None,
        generate_bar_codes: None,
        max_waiting_time: None,
        payments: vec![PaymentInput {
            amount: s360::Amount(part.amount),
            payment_method_id: method.id,
        }],
    };
    match client.close_order(&req).await {
        Ok(d) if d.order_state == OrderState::Closed => {
            mark_closed(r, inst, intent_id, part, &d).await
        }
        Ok(d) => Err(format!("closeOrder answered {:?}", d.order_state)),
        Err(e) if transient(&e) => Err(e.to_string()),
        Err(e) => {
            // refused: closed meanwhile (by an earlier attempt whose answer was lost), or not
            // closable any more
            match client.get_order_details(order_id, None).await {
                Ok(now) if now.order_state == OrderState::Closed => {
                    mark_closed(r, inst, intent_id, part, &now).await
                }
                Ok(now) if now.order_state == OrderState::Running => {
                    tracing::warn!(order = part.order_id, error = %e, "closeOrder refused a running order");
                    refund(r, intent_id, part, Some("refused")).await
                }
                Ok(_) => refund(r, intent_id, part, Some("expired")).await,
                Err(e2) => Err(format!("{e}; then {e2}")),
            }
        }
    }
}

fn transient(e: &S360Error) -> bool {
    matches!(
        e,
        S360Error::Unavailable(_)
            | S360Error::RateLimited { .. }
            | S360Error::CircuitOpen
            | S360Error::StillInProgress
            | S360Error::Unauthorized
            | S360Error::Protocol(_)
    )
}

/// S-360 says the order is closed. It is this payment's close unless another payment of the
/// journal already closed it (a second payment for one order: then this one is refunded).
async fn mark_closed(
    r: &Reseller,
    _inst: &Institution,
    intent_id: &str,
    part: &Part,
    d: &OrderDetailsData,
) -> Result<(), String> {
    let journal_err = |e: crate::journal::JournalError| e.to_string();
    if r.journal
        .closed_by_another(&part.institution, part.order_id, intent_id)
        .map_err(journal_err)?
    {
        return refund(r, intent_id, part, Some("duplicate")).await;
    }
    let at = d
        .close_date_time
        .map(|t| t.timestamp_millis())
        .unwrap_or_else(now_ms);
    match r.journal.set_part(
        intent_id,
        &part.institution,
        &["waiting"],
        "closed",
        None,
        None,
        at,
    ) {
        Ok(true) => {
            tracing::info!(reseller = %r.config.code, intent = intent_id, institution = %part.institution, order = part.order_id, amount = part.amount, "order closed as a pending-account payment");
            Ok(())
        }
        // moved meanwhile (another process): the journal holds what happened
        Ok(false) => Ok(()),
        // the unique index: another payment recorded this order's close in between
        Err(_)
            if r.journal
                .closed_by_another(&part.institution, part.order_id, intent_id)
                .unwrap_or(false) =>
        {
            refund(r, intent_id, part, Some("duplicate")).await
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Refunds a part's share. The part is marked `refunding` first (compare and set: a part
/// another process closed meanwhile is left alone); a part already `refunding` (an earlier
/// attempt whose outcome is unknown) looks for its refund at the provider before asking again,
/// and asks with the same idempotency key, so it is never refunded twice.
async fn refund(
    r: &Reseller,
    intent_id: &str,
    part: &Part,
    reason: Option<&str>,
) -> Result<(), String> {
    let moved = r
        .journal
        .set_part(
            intent_id,
            &part.institution,
            &["waiting", "refunding"],
            "refunding",
            reason,
            None,
            now_ms(),
        )
        .map_err(|e| e.to_string())?;
    if !moved {
        return Ok(());
    }
    let order = part.order_id.to_string();
    let done = |refund_id: &str| {
        r.journal
            .set_part(
                intent_id,
                &part.institution,
                &["refunding"],
                "refunded",
                None,
                Some(refund_id),
                now_ms(),
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    if part.amount_minor <= 0 {
        return done("none");
    }
    if part.state == "refunding" {
        // an earlier attempt may have refunded it (its answer lost, or long ago)
        let earlier = r
            .stripe
            .list_refunds(intent_id)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(found) = earlier.iter().find(|f| {
            f.metadata.get("institution") == Some(&part.institution)
                && f.metadata.get("order") == Some(&order)
                && !matches!(
                    f.status,
                    crate::stripe::RefundStatus::Failed | crate::stripe::RefundStatus::Canceled
                )
        }) {
            return done(&found.id);
        }
    }
    let key = format!("refund-{intent_id}-{}", part.institution);
    let refund = r
        .stripe
        .refund(
            intent_id,
            part.amount_minor,
            &key,
            &[
                ("institution", part.institution.as_str()),
                ("order", order.as_str()),
            ],
        )
        .await
        .map_err(|e| e.to_string())?;
    if matches!(
        refund.status,
        crate::stripe::RefundStatus::Failed | crate::stripe::RefundStatus::Canceled
    ) {
        tracing::error!(intent = intent_id, refund = %refund.id, "the provider did not make the refund; staff must look at it");
        return Err(format!("refund {} {:?}", refund.id, refund.status));
    }
    done(&refund.id)?;
    tracing::warn!(reseller = %r.config.code, intent = intent_id, institution = %part.institution, order = part.order_id, amount_minor = part.amount_minor, "part refunded: its order could not be closed");
    Ok(())
}

/// One pass of the reconciliation: every unfinished payment moves on; payments open for too
/// long are cancelled at the provider.
pub async fn reconcile_once(r: &Reseller, quiet: Duration) {
    let now = now_ms();
    let ids = match r.journal.unfinished(now - quiet.as_millis() as i64) {
        Ok(ids) => ids,
        Err(e) => {
            tracing::error!(error = %e, "reconciliation cannot read the journal");
            return;
        }
    };
    for id in ids {
        match finalize(r, &id).await {
            Ok(Some(p))
                if p.state == "open" && now - p.created_ms > OPEN_FOR.as_millis() as i64 =>
            {
                if let Err(e) = r.stripe.cancel_payment_intent(&id).await {
                    tracing::info!(intent = %id, error = %e, "an old open payment was not cancelled");
                }
                let _ = finalize(r, &id).await;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(intent = %id, error = %e, "reconciliation"),
        }
    }
}

/// Runs [`reconcile_once`] every `period` (the first pass at once: a restart finishes what the
/// previous process left). Open payments younger than the period (at most [`QUIET`]) are left
/// to the buyer's return and the webhook.
pub fn spawn_reconciliation(r: Arc<Reseller>, period: Duration) {
    let quiet = period.min(QUIET);
    tokio::spawn(async move {
        loop {
            reconcile_once(&r, quiet).await;
            tokio::time::sleep(period).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousandths_become_cents_exactly() {
        assert_eq!(to_minor(s360::Amount(45_000), 2), Some(4_500));
        assert_eq!(to_minor(s360::Amount(45_005), 2), None);
        assert_eq!(to_minor(s360::Amount(45_000), 0), Some(45));
        assert_eq!(to_minor(s360::Amount(45_123), 3), Some(45_123));
    }
}
