//! Checkout and payment: the guest or logged-in buyer, the S-PAY transaction (and another one
//! after a refused card, while the seats are still held), the registry of started payments and
//! the exactly-once finalisation of a paid order.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use rust_i18n::t;
use s360::model::contact::CulturalContactData;
use s360::model::order::*;
use serde::{Deserialize, Serialize};

use crate::checkout::Delivery;
use s360::client::Error as S360Error;

use crate::context::Ctx;
use crate::describe::snapshot;
use crate::error::Error;
use crate::session::BuyerSession;
use crate::tenant::Tenant;

/// Who pays: a guest (a contact is created) or the logged-in buyer's S-360 contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Buyer {
    Guest(Guest),
    Contact(String),
}

/// Checked guest details (see [`check_checkout`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guest {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
}

/// What the payment page needs: the transaction and where the widget comes from.
pub struct PaymentStart {
    pub order_id: OrderId,
    pub transaction_id: String,
    pub widget_origin: String,
}

/// Below this much hold time left, the payment page asks the buyer to hurry: S-360 does not
/// extend a hold (updates do not refresh `expirationDate`), it only freezes it once the card is
/// being charged.
pub const HURRY_SECS: i64 = 120;

/// A payment that has been (or is being) taken for the order: no other may start, and the
/// buyer back from the payment page waits for it on the order page.
pub fn payment_underway(d: &OrderDetailsData) -> bool {
    matches!(
        d.payment_state,
        PaymentState::InProgress | PaymentState::Paid | PaymentState::Authorized
    ) || d.payments.iter().any(|p| {
        matches!(
            p.payment_state,
            PaymentState::InProgress | PaymentState::Paid | PaymentState::Authorized
        )
    })
}

/// The order's payment that took the money, if any.
pub fn paid_payment(d: &OrderDetailsData) -> Option<&PaymentData> {
    d.payments
        .iter()
        .rev()
        .find(|p| p.payment_state == PaymentState::Paid)
}

/// Seconds left on the order's hold (`None`: S-360 gives no expiration, e.g. a frozen hold).
pub fn hold_left_secs(d: &OrderDetailsData) -> Option<i64> {
    d.expiration_date
        .map(|e| (e.timestamp_millis() - chrono::Utc::now().timestamp_millis()).div_euclid(1000))
}

/// "18:42 (UTC+01:00)": when the hold ends, on the institution's clock (the offset its catalog
/// uses for the performance closest to that moment; S-360 answers in UTC), naming the offset:
/// a buyer abroad reads it against their own clock.
pub fn clock(tenant: &Tenant, at: chrono::DateTime<chrono::FixedOffset>) -> String {
    let offset = tenant
        .catalog
        .snapshot()
        .and_then(|snap| {
            snap.catalog
                .products()
                .flat_map(|p| p.event.iter().flat_map(|e| e.performances.iter()))
                .map(|perf| perf.start)
                .min_by_key(|start| (start.timestamp() - at.timestamp()).abs())
                .map(|start| *start.offset())
        })
        .unwrap_or(*at.offset());
    let time = at.with_timezone(&offset).format("%H:%M");
    let secs = offset.local_minus_utc();
    let (sign, abs) = if secs < 0 {
        ('−', -secs)
    } else {
        ('+', secs)
    };
    format!("{time} (UTC{sign}{:02}:{:02})", abs / 3600, abs % 3600 / 60)
}

/// Starts the payment of the session's cart: the checked checkout choices (`delivery`) are
/// written to the order (buyer, shipment, holders), then S-PAY's transaction is created. Under
/// the order's lock: a second submit of the same form (a double click, a reload) gets the same
/// transaction and writes nothing; changed choices are written again and get a new one.
pub async fn start_payment(
    cx: &Ctx,
    buyer: Buyer,
    delivery: Delivery,
    shop_origin: &str,
) -> Result<PaymentStart, Error> {
    let (tenant, session) = (&*cx.tenant, &cx.session);
    let client = tenant.catalog.client();
    let order_id = session.cart().await.ok_or(Error::CheckoutEmpty)?;
    // one start at a time per order: two submits must not start two payments
    let lock = order_lock(tenant, order_id);
    let _guard = lock.lock().await;
    let d = client.get_order_details(order_id, None).await?;
    if d.order_state != OrderState::Running
        || d.operation_datas.is_empty()
        || hold_left_secs(&d).is_some_and(|s| s <= 0)
    {
        return Err(Error::CheckoutExpired);
    }
    if payment_underway(&d) {
        return Err(Error::CheckoutUnderway);
    }
    let choices = serde_json::to_string(&(&buyer, &delivery)).unwrap_or_default();
    let applied = session.checkout_applied().await;
    if applied.as_deref() == Some(choices.as_str()) {
        if let Some(tx) = current_waiting_tx(session, &d).await {
            return Ok(PaymentStart {
                order_id,
                transaction_id: tx,
                widget_origin: client.config().base_url.clone(),
            });
        }
    }
    let (contact, email) = match buyer {
        Buyer::Contact(number) => (number, None),
        Buyer::Guest(guest) => {
            let email = guest.email.clone();
            (guest_contact(tenant, session, guest).await?, Some(email))
        }
    };
    crate::checkout::apply_delivery(tenant, &d, &contact, email.as_deref(), &delivery).await?;
    session.set_checkout_applied(&choices).await?;
    session.set_retry(None).await?;
    // the shipment fee may have changed the amount
    let d = client.get_order_details(order_id, None).await?;
    new_payment(tenant, session, &d, contact, shop_origin, cx.lang).await
}

/// The S-360 contact of a guest: created once per session for the same details, so that a
/// corrected form or a second attempt does not create a contact each time.
async fn guest_contact(
    tenant: &Tenant,
    session: &BuyerSession,
    guest: Guest,
) -> Result<String, Error> {
    let details = (
        guest.first_name.clone(),
        guest.last_name.clone(),
        guest.email.clone(),
    );
    if let Some((known, number)) = session.guest_contact().await {
        if known == details {
            return Ok(number);
        }
    }
    let created = tenant
        .catalog
        .client()
        .create_cultural_contacts(vec![CulturalContactData {
            identifier: "buyer".into(),
            contact_number: None,
            first_name: guest.first_name,
            last_name: guest.last_name,
            email: guest.email,
            create_login: false,
        }])
        .await?;
    let number = created
        .identifier_contact_map
        .get("buyer")
        .cloned()
        .ok_or(Error::ContactNotCreated)?;
    session
        .set_guest_contact(&(details, number.clone()))
        .await?;
    Ok(number)
}

/// The session's transaction for this order if S-360 still waits for its card.
async fn current_waiting_tx(session: &BuyerSession, d: &OrderDetailsData) -> Option<String> {
    let paying = session.paying().await?;
    let tx = session.paying_transaction().await?;
    let open = d.payments.iter().any(|p| {
        p.payment_state == PaymentState::Waiting && p.transaction_id.as_deref() == Some(&tx)
    });
    (paying == d.order_id && open).then_some(tx)
}

/// `createPaymentsAndCloseOrder` for the whole order, remembered durably before the buyer can
/// use it. `ORDER_IDENTIFIER` names the attempt (`CUBE-123-2` after one refused card), so a
/// repeated call for the same attempt gets the same payment back from S-360.
async fn new_payment(
    tenant: &Tenant,
    session: &BuyerSession,
    d: &OrderDetailsData,
    contact: String,
    shop_origin: &str,
    lang: crate::lang::Lang,
) -> Result<PaymentStart, Error> {
    let snap = snapshot(tenant)?;
    let client = tenant.catalog.client();
    let order_id = d.order_id;
    let method = snap
        .pos
        .payment_methods
        .iter()
        .filter(|m| m.for_payment && m.payment_type == "CREDIT_CARD")
        .min_by_key(|m| m.rank)
        .ok_or(Error::NoCard)?;
    let attempt = 1 + d
        .payments
        .iter()
        .filter(|p| p.payment_state != PaymentState::Waiting)
        .count();
    let mut params = HashMap::new();
    params.insert(
        ORDER_IDENTIFIER.to_string(),
        format!("{}-{}-{attempt}", tenant.code, order_id.0),
    );
    // the return carries a signed reference to the order: a buyer whose session was lost
    // (a restart of an instance without shared sessions, another browser) still gets back to
    // the order they paid
    params.insert(
        RETURN_URL.to_string(),
        format!(
            "{shop_origin}/payment/return?order={}&ref={}",
            order_id.0,
            tenant.order_link_token(order_id.0)
        ),
    );
    params.insert(
        NOTIFY_URL.to_string(),
        format!("{shop_origin}/payment/notify/{}", tenant.code),
    );
    let started = client
        .create_payments_and_close_order(&CreatePaymentsAndCloseOrderRequest {
            request_id: None,
            order_id,
            is_converted_reservation: false,
            create_token: false,
            payments: vec![PaymentInput {
                amount: d.sale_amount,
                payment_method_id: method.id,
            }],
            payment_params: PaymentParams {
                contact_number: Some(contact.clone()),
                total_amount: Some(d.sale_amount),
                payment_parameters_map: params,
            },
            order_type: OrderType::Sale,
            max_waiting_time: None,
            purchasers_info: vec![PurchaserInfo {
                contact_reference: contact.clone(),
            }],
        })
        .await?;
    let transaction_id = started.transaction_id.ok_or(Error::CheckoutNotStarted)?;
    // durable before the buyer sees the card form: a paid order must be found after a restart
    if let Err(e) = register_payment(tenant, order_id, &transaction_id, lang).await {
        tracing::error!("tenant={} order={}: cannot record the started payment ({e}); not handing it to the buyer",
                tenant.code, order_id.0);
        return Err(Error::PaymentNotRecorded);
    }
    session
        .start_paying(order_id, &contact, &transaction_id)
        .await?;
    Ok(PaymentStart {
        order_id,
        transaction_id,
        widget_origin: client.config().base_url.clone(),
    })
}

/// Where the buyer's payment stands, for the payment page.
#[derive(Debug, Clone, PartialEq)]
pub enum PaymentStatus {
    /// No payment was started in this session (or its order is gone).
    None,
    /// S-PAY waits for a card: show the widget. `retry` says why this is a new attempt.
    Ready {
        transaction_id: String,
        /// The amount, formatted.
        total: String,
        retry: Option<Retry>,
        hold_left_secs: Option<i64>,
        held_until: Option<String>,
    },
    /// A card was accepted or is being confirmed: the order page follows it.
    Confirming { order_link: String },
    /// The order is paid and closed.
    Done { order_link: String },
    /// The hold expired (or the order was released) before any payment succeeded.
    Expired,
    /// The money arrived after the seats were released (order ABANDONNED, payment PAID).
    PaidTooLate { order_link: String },
}

/// Why a payment is started again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Retry {
    Refused,
    Cancelled,
}

/// Re-reads the buyer's order before showing the payment page (the hold may be about to end,
/// or the last card may have been refused). After a refused or cancelled card the order is
/// still RUNNING with its seats held and the same hold time: a new payment is started for it
/// (s360-contract.md, OUR DESIGN "payment retry").
pub async fn payment_status(cx: &Ctx, shop_origin: &str) -> Result<PaymentStatus, Error> {
    let (tenant, session, locale) = (&*cx.tenant, &cx.session, cx.locale());
    let client = tenant.catalog.client();
    let Some(order_id) = session.paying().await else {
        return Ok(PaymentStatus::None);
    };
    let lock = order_lock(tenant, order_id);
    let _guard = lock.lock().await;
    let d = match client.get_order_details(order_id, None).await {
        Ok(d) => d,
        Err(S360Error::NotFound(_)) => return Ok(PaymentStatus::None),
        Err(e) => return Err(Error::from(e)),
    };
    match d.order_state {
        OrderState::Closed => {
            return Ok(PaymentStatus::Done {
                order_link: tenant.order_link(d.order_id.0),
            })
        }
        OrderState::Abandonned if paid_payment(&d).is_some() => {
            return Ok(PaymentStatus::PaidTooLate {
                order_link: tenant.order_link(d.order_id.0),
            })
        }
        OrderState::Abandonned => {
            forget_cart(session, order_id).await;
            return Ok(PaymentStatus::Expired);
        }
        OrderState::Running => {}
    }
    if payment_underway(&d) {
        return Ok(PaymentStatus::Confirming {
            order_link: tenant.order_link(d.order_id.0),
        });
    }
    let left = hold_left_secs(&d);
    if left.is_some_and(|s| s <= 0) {
        forget_cart(session, order_id).await;
        return Ok(PaymentStatus::Expired);
    }
    let held_until = d.expiration_date.map(|e| clock(tenant, e));
    let total = d.sale_amount.format(&d.currency, locale);
    let ready = |transaction_id: String, retry: Option<Retry>| PaymentStatus::Ready {
        transaction_id,
        total: total.clone(),
        retry,
        hold_left_secs: left,
        held_until: held_until.clone(),
    };
    if let Some(tx) = current_waiting_tx(session, &d).await {
        let retry = session.retry().await;
        return Ok(ready(tx, retry));
    }
    // the session's payment is over without money: why, and with whom to try again
    let Some(tx) = session.paying_transaction().await else {
        return Ok(PaymentStatus::None);
    };
    let Some(last) = d
        .payments
        .iter()
        .find(|p| p.transaction_id.as_deref() == Some(tx.as_str()))
    else {
        return Ok(PaymentStatus::None);
    };
    let retry = match last.payment_state {
        PaymentState::Failed | PaymentState::FailedRejected => Some(Retry::Refused),
        PaymentState::CancelledByUser => Some(Retry::Cancelled),
        // replaced (the order changed) or abandoned: simply a new attempt
        _ => None,
    };
    let contact = match session.paying_contact().await {
        Some(c) => c,
        None => match d.purchaser_contact_number.clone() {
            Some(c) => c,
            None => return Ok(PaymentStatus::None),
        },
    };
    let started = new_payment(tenant, session, &d, contact, shop_origin, cx.lang).await?;
    session.set_retry(retry).await?;
    tracing::info!(
        "tenant={} order={}: new payment attempt ({retry:?}) while the seats are held",
        tenant.code,
        order_id.0
    );
    Ok(ready(started.transaction_id, retry))
}

/// The buyer's cart order is over (expired or released): the session forgets it, and the cart
/// page says it expired.
async fn forget_cart(session: &BuyerSession, order_id: OrderId) {
    if session.cart().await == Some(order_id) {
        let _ = session.mark_expired(order_id).await;
    }
    session.order_finalised(order_id).await;
}

// ---------------------------------------------------------------------------------------------
// The registry of started payments

/// A payment this shop started: the candidates of reconciliation, and what a payment
/// notification must match. Only ids: the order itself is re-read from S-360 every time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartedPayment {
    pub institution: String,
    pub order_id: i64,
    /// Every S-PAY transaction started for the order, oldest first (a refused card, then
    /// another one); at most [`MAX_TRANSACTIONS`].
    pub transactions: Vec<String>,
    /// Unix milliseconds of the first start and of the last change.
    pub started_ms: i64,
    pub updated_ms: i64,
    /// When the order was seen final (closed or released): the entry is then kept for a while
    /// only to recognise S-PAY's repeated notifications.
    #[serde(default)]
    pub final_ms: Option<i64>,
    /// The buyer's language when the payment started (`en`, `fr`, `de`): the confirmation
    /// e-mail is written in it, whichever path finalises the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// Transactions remembered per order (a buyer trying card after card).
pub const MAX_TRANSACTIONS: usize = 20;

impl StartedPayment {
    pub fn is_final(&self) -> bool {
        self.final_ms.is_some()
    }

    /// Milliseconds since the last change.
    pub fn age_ms(&self) -> i64 {
        now_ms() - self.updated_ms
    }
}

/// Where the started payments are kept. Implementations store durably before returning from
/// `save`/`remove` (the server's is a directory of small files, see `server::store`).
pub trait PaymentRegistry: Send + Sync + std::fmt::Debug {
    /// Stores (or replaces) an entry.
    fn save(&self, payment: &StartedPayment) -> std::io::Result<()>;
    /// Removes an entry (no error if there is none).
    fn remove(&self, institution: &str, order_id: i64) -> std::io::Result<()>;
    fn get(&self, institution: &str, order_id: i64) -> Option<StartedPayment>;
    /// Every entry of an institution, final ones included.
    fn list(&self, institution: &str) -> Vec<StartedPayment>;
}

/// A registry in memory only: lost on restart (tests, or a shop without a data directory).
#[derive(Debug, Default)]
pub struct MemoryRegistry(Mutex<HashMap<(String, i64), StartedPayment>>);

impl PaymentRegistry for MemoryRegistry {
    fn save(&self, payment: &StartedPayment) -> std::io::Result<()> {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        m.insert(
            (payment.institution.clone(), payment.order_id),
            payment.clone(),
        );
        Ok(())
    }

    fn remove(&self, institution: &str, order_id: i64) -> std::io::Result<()> {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        m.remove(&(institution.to_string(), order_id));
        Ok(())
    }

    fn get(&self, institution: &str, order_id: i64) -> Option<StartedPayment> {
        let m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        m.get(&(institution.to_string(), order_id)).cloned()
    }

    fn list(&self, institution: &str) -> Vec<StartedPayment> {
        let m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        m.values()
            .filter(|p| p.institution == institution)
            .cloned()
            .collect()
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Runs a registry write off the async threads (it syncs to disk).
async fn registry_io<T: Send + 'static>(
    tenant: &Tenant,
    f: impl FnOnce(&dyn PaymentRegistry) -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    let registry = tenant.payments.clone();
    tokio::task::spawn_blocking(move || f(registry.as_ref()))
        .await
        .map_err(std::io::Error::other)?
}

/// Remembers (durably) that a payment was started for this order, with its transaction.
pub async fn register_payment(
    tenant: &Tenant,
    order_id: OrderId,
    transaction_id: &str,
    lang: crate::lang::Lang,
) -> std::io::Result<()> {
    let code = tenant.code.clone();
    let tx = transaction_id.to_string();
    registry_io(tenant, move |r| {
        let now = now_ms();
        let mut entry = r.get(&code, order_id.0).unwrap_or(StartedPayment {
            institution: code.clone(),
            order_id: order_id.0,
            transactions: vec![],
            started_ms: now,
            updated_ms: now,
            final_ms: None,
            lang: None,
        });
        entry.lang = Some(lang.code().to_string());
        if !entry.transactions.contains(&tx) {
            entry.transactions.push(tx);
        }
        let excess = entry.transactions.len().saturating_sub(MAX_TRANSACTIONS);
        entry.transactions.drain(..excess);
        entry.updated_ms = now;
        entry.final_ms = None;
        r.save(&entry)
    })
    .await
}

/// The started payments whose order was not yet seen final.
pub fn registered_payments(tenant: &Tenant) -> Vec<StartedPayment> {
    tenant
        .payments
        .list(&tenant.code)
        .into_iter()
        .filter(|p| !p.is_final())
        .collect()
}

/// The registry's entry for an order (final or not).
pub fn registered_payment(tenant: &Tenant, order_id: OrderId) -> Option<StartedPayment> {
    tenant.payments.get(&tenant.code, order_id.0)
}

/// Forgets an order entirely (gone from S-360, or too old to matter).
pub async fn forget_payment(tenant: &Tenant, order_id: OrderId) {
    let code = tenant.code.clone();
    if let Err(e) = registry_io(tenant, move |r| r.remove(&code, order_id.0)).await {
        tracing::warn!(
            "tenant={} order={}: cannot forget a started payment: {e}",
            tenant.code,
            order_id.0
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The e-mail outbox

/// An e-mail to send about an order, as the outbox keeps it until the SMTP server accepted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    pub institution: String,
    pub order_id: i64,
    /// [`OutboxMail::CONFIRMATION`] (once per order), or a resend / order link asked by the
    /// buyer (`resend:{window}`, `link:{window}`: once per window).
    pub kind: String,
    pub lang: crate::lang::Lang,
    /// The recipient when already known (else the order's buyer, looked up when sending).
    pub to: Option<String>,
}

impl OutboxMail {
    pub const CONFIRMATION: &'static str = "confirmation";
}

/// Where e-mails wait to be sent (the server's is a SQLite table in `SHOP_DATA_DIR` with a
/// worker that sends through SMTP, see `server::mail`).
pub trait Outbox: Send + Sync + std::fmt::Debug {
    /// Stores `mail` durably before returning, unless the outbox already holds one with the
    /// same institution, order and kind. Returns whether it was added.
    fn enqueue(&self, mail: &OutboxMail) -> std::io::Result<bool>;
}

/// No outbox: nothing is sent (a shop without e-mail, the reseller's institution tenants).
#[derive(Debug, Default)]
pub struct NoOutbox;

impl Outbox for NoOutbox {
    fn enqueue(&self, _mail: &OutboxMail) -> std::io::Result<bool> {
        Ok(false)
    }
}

/// Writes `mail` to the tenant's outbox off the async threads (it syncs to disk).
pub async fn enqueue_mail(tenant: &Tenant, mail: OutboxMail) -> std::io::Result<bool> {
    let outbox = tenant.outbox.clone();
    tokio::task::spawn_blocking(move || outbox.enqueue(&mail))
        .await
        .map_err(std::io::Error::other)?
}

/// Records that an order is final. Returns whether this call recorded it (the first to see it).
async fn mark_final(tenant: &Tenant, order_id: OrderId) -> bool {
    let code = tenant.code.clone();
    let r = registry_io(tenant, move |r| match r.get(&code, order_id.0) {
        Some(mut entry) if !entry.is_final() => {
            entry.final_ms = Some(now_ms());
            r.save(&entry).map(|_| true)
        }
        _ => Ok(false),
    })
    .await;
    r.unwrap_or_else(|e| {
        tracing::warn!(
            "tenant={} order={}: cannot record a final order: {e}",
            tenant.code,
            order_id.0
        );
        false
    })
}

/// What every path does once it sees an order final: the registry stops reconciling it, and
/// money taken for an order that was released is reported, once, at error level (it must be
/// refunded: S-360 will not issue tickets for it).
async fn settled(tenant: &Tenant, d: &OrderDetailsData) {
    // the confirmation e-mail goes into the outbox before the order is recorded final: a
    // crash in between finds it not final, and the next look (return, notification, order
    // page, reconciliation) writes it again, which the outbox's unique key makes a no-op
    if d.order_state == OrderState::Closed {
        if let Some(entry) = registered_payment(tenant, d.order_id).filter(|p| !p.is_final()) {
            let mail = OutboxMail {
                institution: tenant.code.clone(),
                order_id: d.order_id.0,
                kind: OutboxMail::CONFIRMATION.into(),
                lang: entry
                    .lang
                    .as_deref()
                    .and_then(crate::lang::Lang::parse)
                    .unwrap_or_else(|| tenant.languages[0]),
                to: None,
            };
            if let Err(e) = enqueue_mail(tenant, mail).await {
                tracing::error!(
                    "tenant={} order={}: cannot write the confirmation e-mail to the outbox ({e}); the order stays to be finalised",
                    tenant.code,
                    d.order_id.0
                );
                return;
            }
        }
    }
    let first = mark_final(tenant, d.order_id).await;
    if d.order_state != OrderState::Abandonned {
        return;
    }
    let Some(paid) = paid_payment(d) else {
        return;
    };
    let new = tenant.orders.first_refund_report(d.order_id);
    if first || new {
        tenant
            .orders
            .refund_alerts
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::error!("tenant={} order={} payment={} amount={} {}: payment taken after the order was released (hold expired); no tickets, the payment must be refunded",
                tenant.code,
                d.order_id.0,
                paid.payment_id.0,
                paid.amount.0,
                d.currency.currency_code);
    }
}

/// An institution's orders being finalised (owned by its [`Tenant`]): one lock per order, as
/// the buyer's return, a reload, a second tab and the server notification may all arrive at
/// once (one of them finalises, the others see the result); and the released orders whose
/// money was already reported for a refund.
#[derive(Default, Debug)]
pub struct OrderLocks {
    locks: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    refunds: Mutex<HashSet<i64>>,
    refund_alerts: std::sync::atomic::AtomicU64,
}

impl OrderLocks {
    fn lock(&self, order_id: OrderId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        if locks.len() > 10_000 {
            locks.retain(|_, l| Arc::strong_count(l) > 1);
        }
        locks.entry(order_id.0).or_default().clone()
    }

    /// Whether the refund of `order_id` is reported for the first time.
    fn first_refund_report(&self, order_id: OrderId) -> bool {
        let mut seen = self.refunds.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > 10_000 {
            seen.clear();
        }
        seen.insert(order_id.0)
    }

    /// How many payments taken for released orders were reported for a refund (an error-level
    /// event each: money a person must give back).
    pub fn refund_alerts(&self) -> u64 {
        self.refund_alerts
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

fn order_lock(tenant: &Tenant, order_id: OrderId) -> Arc<tokio::sync::Mutex<()>> {
    tenant.orders.lock(order_id)
}

/// Brings the order to its final state from what S-360 says (never from the browser): a PAID
/// payment -> `notifyOrder(SUCCESS)` closes it (idempotent, once even under concurrency).
/// A refused or cancelled card leaves it RUNNING: its seats stay held until the hold ends, so
/// the buyer can try another card, and S-360 releases it at expiry if nobody pays (OUR DESIGN,
/// s360-contract.md). Returns the order as it ends.
pub async fn finalize(tenant: &Tenant, order_id: OrderId) -> Result<OrderDetailsData, Error> {
    let lock = order_lock(tenant, order_id);
    let _guard = lock.lock().await;
    // closing a paid order uses the order budget's reserved share: a rush of carts or of
    // anonymous lookups cannot keep money taken from becoming a sale
    let client = tenant
        .catalog
        .client()
        .with_priority(s360::client::Priority::PaidOrder);
    let mut d = client.get_order_details(order_id, None).await?;
    if d.order_state == OrderState::Running {
        let Some(paid) = paid_payment(&d) else {
            return Ok(d);
        };
        let paid_count = d
            .payments
            .iter()
            .filter(|p| p.payment_state == PaymentState::Paid)
            .count();
        if paid_count > 1 {
            tracing::error!("tenant={} order={}: {paid_count} payments were taken for one order; all but one must be refunded",
                    tenant.code, order_id.0);
        }
        d = client
            .notify_order(order_id, paid.payment_id, NotifyStatus::Success)
            .await?;
    }
    if d.order_state != OrderState::Running {
        settled(tenant, &d).await;
    }
    Ok(d)
}

/// A message for the payment page when a new attempt follows a refused or cancelled card.
pub fn retry_message(retry: Retry, held_until: Option<&str>, locale: &str) -> String {
    match (retry, held_until) {
        (Retry::Refused, Some(time)) => {
            t!("payment.refused_until", locale = locale, time = time).into_owned()
        }
        (Retry::Refused, None) => t!("payment.refused", locale = locale).into_owned(),
        (Retry::Cancelled, Some(time)) => {
            t!("payment.cancelled_until", locale = locale, time = time).into_owned()
        }
        (Retry::Cancelled, None) => t!("payment.cancelled", locale = locale).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_registry_keeps_entries_per_institution() {
        let r = MemoryRegistry::default();
        let entry = |inst: &str, id: i64| StartedPayment {
            institution: inst.into(),
            order_id: id,
            transactions: vec![format!("{inst}-tx{id}")],
            started_ms: 1,
            updated_ms: 1,
            final_ms: None,
            lang: None,
        };
        r.save(&entry("CUBE", 1)).unwrap();
        r.save(&entry("MOSA", 1)).unwrap();
        r.save(&entry("CUBE", 2)).unwrap();
        assert_eq!(r.list("CUBE").len(), 2);
        assert_eq!(r.get("MOSA", 1).unwrap().transactions, ["MOSA-tx1"]);
        r.remove("CUBE", 1).unwrap();
        assert!(r.get("CUBE", 1).is_none());
        assert_eq!(r.list("CUBE").len(), 1);
        assert!(r.get("MOSA", 1).is_some());
    }

    #[test]
    fn retry_messages_say_until_when_the_seats_are_held() {
        let m = retry_message(Retry::Refused, Some("18:42"), "en");
        assert!(m.contains("refused") && m.contains("18:42"), "{m}");
        let m = retry_message(Retry::Cancelled, Some("18:42"), "fr");
        assert!(m.contains("18:42") && !m.starts_with("payment."), "{m}");
        let m = retry_message(Retry::Refused, None, "de");
        assert!(!m.starts_with("payment."), "{m}");
    }
}
