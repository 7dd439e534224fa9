//! Server-only purchase services: pages' data for events and performances, the cart (the
//! buyer's running S-360 order, its id kept in the session), checkout and the exactly-once
//! finalisation of a paid order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use s360::client::{CatalogSnapshot, Error as S360Error};
use s360::model::availability::AvailabilityLevel;
use s360::model::catalog::{Performance, Product};
use s360::model::contact::CulturalContactData;
use s360::model::order::*;
use s360::{AudienceSubCategoryId, PerformanceId, ProductId, SeatCategoryId};
use tower_sessions::Session;

use crate::model::*;
use crate::ssr::{level_text, product_level, PageError, Tenant};

/// A buyer-facing error: the message is safe and useful to show.
#[derive(Debug, Clone)]
pub struct BuyerError(pub String);

impl std::fmt::Display for BuyerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<PageError> for BuyerError {
    fn from(e: PageError) -> Self {
        BuyerError(e.to_string())
    }
}

fn s360_error(e: S360Error) -> BuyerError {
    match e {
        S360Error::Availability(_) => BuyerError(
            "Sorry, there are not enough places left for this choice. Please pick fewer tickets or another category."
                .into(),
        ),
        S360Error::Other(code, detail) if code.starts_with("error.") => BuyerError(detail),
        S360Error::CircuitOpen | S360Error::Unavailable(_) | S360Error::RateLimited { .. } => BuyerError(
            "The ticketing system is busy or unreachable. Nothing was charged; please try again in a minute.".into(),
        ),
        other => BuyerError(format!("The ticketing system refused the request: {other}")),
    }
}

pub fn snapshot(tenant: &Tenant) -> Result<Arc<CatalogSnapshot>, BuyerError> {
    tenant.catalog.snapshot().ok_or_else(|| {
        BuyerError("The programme is not loaded yet; please try again in a moment.".into())
    })
}

pub fn shop_info(tenant: &Tenant, snap: &CatalogSnapshot, locale: &str) -> ShopInfo {
    let pos = &snap.pos;
    ShopInfo {
        code: tenant.code.clone(),
        name: pos
            .organization_name
            .best(locale, &pos.main_language)
            .to_string(),
        locality: pos
            .place_address_data
            .as_ref()
            .map(|a| a.locality.clone())
            .unwrap_or_default(),
        currency: pos.institution_currency.currency_code.clone(),
        brand_color: tenant.brand_color.clone(),
    }
}

pub fn when(dt: &chrono::DateTime<chrono::FixedOffset>) -> String {
    dt.format("%A %-d %B %Y, %H:%M").to_string()
}

fn find_event(snap: &CatalogSnapshot, id: i64) -> Option<&Product> {
    snap.catalog
        .products()
        .find(|p| p.id == ProductId(id) && p.state.on_sale() && p.event.is_some())
}

fn tariff_name(snap: &CatalogSnapshot, id: AudienceSubCategoryId, locale: &str) -> String {
    snap.catalog
        .seasons
        .iter()
        .flat_map(|s| s.audience_categories.iter())
        .flat_map(|c| c.audience_sub_categories.iter())
        .find(|s| s.id == id)
        .map(|s| {
            s.external_name
                .best(locale, &snap.pos.main_language)
                .to_string()
        })
        .unwrap_or_default()
}

fn price_range(snap: &CatalogSnapshot, perf: &Performance, locale: &str) -> Option<String> {
    let amounts: Vec<_> = perf
        .prices
        .iter()
        .map(|p| p.amount)
        .filter(|a| a.0 > 0)
        .collect();
    let cur = &snap.pos.institution_currency;
    let (min, max) = (amounts.iter().min()?, amounts.iter().max()?);
    Some(if min == max {
        min.format(cur, locale)
    } else {
        format!("{} – {}", min.format(cur, locale), max.format(cur, locale))
    })
}

pub async fn event_view(
    tenant: &Tenant,
    product_id: i64,
    locale: &str,
) -> Result<Option<EventView>, BuyerError> {
    let snap = snapshot(tenant)?;
    let Some(product) = find_event(&snap, product_id) else {
        return Ok(None);
    };
    let items = tenant
        .availability(&snap)
        .get(product)
        .await
        .map_err(s360_error)?;
    let main = &snap.pos.main_language;
    let mut performances = Vec::new();
    for perf in product
        .event
        .iter()
        .flat_map(|e| e.performances.iter())
        .filter(|p| p.state.on_sale())
    {
        let mine: Vec<_> = items
            .iter()
            .filter(|i| i.performance_id == Some(perf.id))
            .cloned()
            .collect();
        let level = product_level(&mine);
        performances.push(PerformanceRow {
            id: perf.id.0,
            when: when(&perf.start),
            price_range: price_range(&snap, perf, locale),
            availability: format!("{level:?}").to_ascii_uppercase(),
            availability_text: level_text(level).to_string(),
            buyable: level.buyable(),
        });
    }
    Ok(Some(EventView {
        shop: shop_info(tenant, &snap, locale),
        product_id,
        name: product.external_name.best(locale, main).to_string(),
        description: product.external_description.best(locale, main).to_string(),
        performances,
    }))
}

pub async fn performance_view(
    tenant: &Tenant,
    product_id: i64,
    performance_id: i64,
    locale: &str,
) -> Result<Option<PerformanceView>, BuyerError> {
    let snap = snapshot(tenant)?;
    let Some(product) = find_event(&snap, product_id) else {
        return Ok(None);
    };
    let Some(perf) = product
        .event
        .iter()
        .flat_map(|e| e.performances.iter())
        .find(|p| p.id == PerformanceId(performance_id) && p.state.on_sale())
    else {
        return Ok(None);
    };
    let items = tenant
        .availability(&snap)
        .get(product)
        .await
        .map_err(s360_error)?;
    let main = &snap.pos.main_language;
    let cur = &snap.pos.institution_currency;
    let categories = perf
        .seat_categories
        .iter()
        .map(|cat| {
            let item = items
                .iter()
                .find(|i| i.performance_id == Some(perf.id) && i.seat_category_id == Some(cat.id));
            let level = item.map_or(AvailabilityLevel::Unknown, |i| i.availability_level);
            let mut prices: Vec<TariffPrice> = perf
                .prices
                .iter()
                .filter(|p| p.seat_cat_id == cat.id)
                .map(|p| TariffPrice {
                    tariff_id: p.aud_sub_cat_id.0,
                    tariff: tariff_name(&snap, p.aud_sub_cat_id, locale),
                    price: p.amount.format(cur, locale),
                })
                .collect();
            prices.sort_by_key(|p| p.tariff_id);
            SeatCategoryRow {
                id: cat.id.0,
                name: cat.external_name.best(locale, main).to_string(),
                availability: format!("{level:?}").to_ascii_uppercase(),
                availability_text: level_text(level).to_string(),
                remaining: item.map_or(0, |i| i.availability),
                buyable: level.buyable(),
                prices,
            }
        })
        .collect();
    Ok(Some(PerformanceView {
        shop: shop_info(tenant, &snap, locale),
        product_id,
        product_name: product.external_name.best(locale, main).to_string(),
        performance_id,
        when: when(&perf.start),
        categories,
        max_quantity: snap.pos.max_seats_per_performance,
    }))
}

// ---------------------------------------------------------------------------------------------
// The cart

fn cart_key(tenant: &Tenant) -> String {
    format!("cart.{}", tenant.code)
}

fn expired_key(tenant: &Tenant) -> String {
    format!("cart_expired.{}", tenant.code)
}

async fn session_get<T: serde::de::DeserializeOwned>(session: &Session, key: &str) -> Option<T> {
    session.get::<T>(key).await.ok().flatten()
}

async fn session_set<T: serde::Serialize + Send + Sync>(
    session: &Session,
    key: &str,
    v: T,
) -> Result<(), BuyerError> {
    session
        .insert(key, v)
        .await
        .map_err(|_| BuyerError("Your session could not be saved; please enable cookies.".into()))
}

/// Adds tickets for one performance, seat category and tariff (best available seats).
pub async fn add_to_cart(
    tenant: &Tenant,
    session: &Session,
    performance_id: i64,
    seat_category_id: i64,
    tariff_id: i64,
    quantity: u32,
) -> Result<(), BuyerError> {
    let snap = snapshot(tenant)?;
    let max = snap.pos.max_seats_per_performance;
    if quantity == 0 || quantity > max {
        return Err(BuyerError(format!(
            "Please choose between 1 and {max} tickets."
        )));
    }
    let perf = snap
        .catalog
        .products()
        .filter(|p| p.state.on_sale())
        .flat_map(|p| p.event.iter().flat_map(|e| e.performances.iter()))
        .find(|p| p.id == PerformanceId(performance_id) && p.state.on_sale())
        .ok_or_else(|| BuyerError("This performance is no longer on sale.".into()))?;
    let priced = perf.prices.iter().any(|p| {
        p.seat_cat_id == SeatCategoryId(seat_category_id)
            && p.aud_sub_cat_id == AudienceSubCategoryId(tariff_id)
    });
    if !priced {
        return Err(BuyerError(
            "This tariff is not sold in this seat category.".into(),
        ));
    }
    let client = tenant.catalog.client();
    let mut order_id: Option<OrderId> = session_get(session, &cart_key(tenant)).await;
    if let Some(id) = order_id {
        // a cart that expired or was paid cannot take more items: start a new one
        match client.get_order_details(id, None).await {
            Ok(d)
                if d.order_state == OrderState::Running
                    && d.payment_state == PaymentState::Waiting => {}
            Ok(d) => {
                if d.order_state == OrderState::Abandonned {
                    session_set(session, &expired_key(tenant), true).await?;
                }
                order_id = None;
            }
            Err(S360Error::NotFound(_)) => order_id = None,
            Err(e) => return Err(s360_error(e)),
        }
    }
    let req = CreateOrUpdateOrderRequest {
        point_of_sales_id: Some(snap.pos.pos_id),
        order_id,
        single_entry_operations: vec![SingleEntryOperation {
            performance_id: perf.id,
            seat_category_id: SeatCategoryId(seat_category_id),
            audience_sub_category_id: AudienceSubCategoryId(tariff_id),
            quantity,
            contingent_id: None,
            price_level_id: None,
            seat_ids: None,
        }],
        ..Default::default()
    };
    let updated = client
        .create_or_update_order(&req)
        .await
        .map_err(s360_error)?;
    session_set(session, &cart_key(tenant), updated.order_id).await?;
    session_set(session, &expired_key(tenant), false).await?;
    Ok(())
}

fn seat_category_name(snap: &CatalogSnapshot, id: SeatCategoryId, locale: &str) -> Option<String> {
    snap.catalog
        .products()
        .flat_map(|p| p.event.iter().flat_map(|e| e.performances.iter()))
        .flat_map(|perf| perf.seat_categories.iter())
        .find(|c| c.id == id)
        .map(|c| {
            c.external_name
                .best(locale, &snap.pos.main_language)
                .to_string()
        })
}

/// Cart lines in the buyer's words: names from the catalog, not S-360 codes.
fn lines_of(d: &OrderDetailsData, snap: &CatalogSnapshot, locale: &str) -> Vec<CartLine> {
    d.operation_datas
        .iter()
        .map(|op| {
            let seats = d
                .movements
                .iter()
                .filter(|m| m.operation_id == op.operation_id)
                .filter_map(|m| match (&m.block_code, &m.row_number, &m.seat_number) {
                    (Some(b), Some(r), Some(n)) => Some(format!("Block {b}, row {r}, seat {n}")),
                    (Some(b), _, _) => Some(format!("Area {b}")),
                    _ => None,
                })
                .collect();
            CartLine {
                product: op.product.clone(),
                when: op.performance_start.as_ref().map(when),
                seat_category: op
                    .seat_category_id
                    .and_then(|id| seat_category_name(snap, id, locale))
                    .or_else(|| op.seat_category.clone()),
                tariff: Some(tariff_name(snap, op.audience_sub_category_id, locale))
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| op.audience_sub_category.clone()),
                quantity: op.quantity,
                unit_price: op.unit_price.format(&d.currency, locale),
                total: op.total_amount.format(&d.currency, locale),
                seats,
                movement_ids: d
                    .movements
                    .iter()
                    .filter(|m| m.operation_id == op.operation_id)
                    .map(|m| m.movement_id.0)
                    .collect(),
            }
        })
        .collect()
}

pub async fn cart_view(
    tenant: &Tenant,
    session: &Session,
    locale: &str,
) -> Result<CartView, BuyerError> {
    let snap = snapshot(tenant)?;
    let shop = shop_info(tenant, &snap, locale);
    let mut expired: bool = session_get(session, &expired_key(tenant))
        .await
        .unwrap_or(false);
    let empty = |expired| CartView {
        shop: shop.clone(),
        order_id: None,
        lines: vec![],
        fees: vec![],
        total: s360::Amount::ZERO.format(&snap.pos.institution_currency, locale),
        expires_at_ms: None,
        expired,
        paying: false,
    };
    let Some(order_id) = session_get::<OrderId>(session, &cart_key(tenant)).await else {
        return Ok(empty(expired));
    };
    let d = match tenant
        .catalog
        .client()
        .get_order_details(order_id, Some(Granularity::Movements))
        .await
    {
        Ok(d) => d,
        Err(S360Error::NotFound(_)) => return Ok(empty(false)),
        Err(e) => return Err(s360_error(e)),
    };
    if d.order_state != OrderState::Running {
        if d.order_state == OrderState::Abandonned && d.payment_state == PaymentState::Waiting {
            expired = true;
            session_set(session, &expired_key(tenant), true).await?;
        }
        let _ = session.remove::<OrderId>(&cart_key(tenant)).await;
        return Ok(empty(expired));
    }
    Ok(CartView {
        shop,
        order_id: Some(order_id.0),
        lines: lines_of(&d, &snap, locale),
        fees: d
            .charges
            .iter()
            .map(|c| {
                (
                    c.external_name.clone(),
                    c.amount.format(&d.currency, locale),
                )
            })
            .collect(),
        total: d.sale_amount.format(&d.currency, locale),
        expires_at_ms: d.expiration_date.map(|e| e.timestamp_millis()),
        expired: false,
        paying: matches!(
            d.payment_state,
            PaymentState::InProgress | PaymentState::Paid
        ),
    })
}

pub async fn remove_from_cart(
    tenant: &Tenant,
    session: &Session,
    movement_ids: Vec<i64>,
) -> Result<(), BuyerError> {
    let Some(order_id) = session_get::<OrderId>(session, &cart_key(tenant)).await else {
        return Err(BuyerError("Your cart is empty.".into()));
    };
    tenant
        .catalog
        .client()
        .abandon_movements(order_id, movement_ids.into_iter().map(MovementId).collect())
        .await
        .map_err(s360_error)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The logged-in buyer

/// Session key of the logged-in buyer of an institution (set by the server's OIDC callback).
pub fn user_key(tenant: &Tenant) -> String {
    format!("user.{}", tenant.code)
}

pub async fn session_user(tenant: &Tenant, session: &Session) -> Option<crate::model::SessionUser> {
    session_get(session, &user_key(tenant)).await
}

// ---------------------------------------------------------------------------------------------
// Checkout and payment

/// Who pays: a guest (a contact is created) or the logged-in buyer's S-360 contact.
pub enum Buyer {
    Guest(Guest),
    Contact(String),
}

/// Validated guest details.
pub struct Guest {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
}

impl Guest {
    pub fn parse(first: &str, last: &str, email: &str) -> Result<Guest, BuyerError> {
        let (first, last, email) = (first.trim(), last.trim(), email.trim());
        if first.is_empty() || last.is_empty() {
            return Err(BuyerError("Please enter your first and last name.".into()));
        }
        if first.chars().count() > 50 || last.chars().count() > 50 {
            return Err(BuyerError("Names are limited to 50 characters.".into()));
        }
        let valid_email = email.len() <= 254
            && email.split_once('@').is_some_and(|(user, domain)| {
                !user.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            })
            && !email.contains(char::is_whitespace);
        if !valid_email {
            return Err(BuyerError(
                "Please enter a valid e-mail address, such as name@example.com.".into(),
            ));
        }
        Ok(Guest {
            first_name: first.into(),
            last_name: last.into(),
            email: email.to_ascii_lowercase(),
        })
    }
}

/// What the payment page needs: the transaction and where the widget comes from.
pub struct PaymentStart {
    pub order_id: OrderId,
    pub transaction_id: String,
    pub widget_origin: String,
}

fn pending_key(tenant: &Tenant) -> String {
    format!("paying.{}", tenant.code)
}

/// Creates the guest contact and the S-PAY payment for the cart; the hold cannot expire while
/// the payment is in progress (the platform freezes it).
pub async fn start_payment(
    tenant: &Tenant,
    session: &Session,
    buyer: Buyer,
    shop_origin: &str,
) -> Result<PaymentStart, BuyerError> {
    let snap = snapshot(tenant)?;
    let client = tenant.catalog.client();
    let order_id = session_get::<OrderId>(session, &cart_key(tenant))
        .await
        .ok_or_else(|| BuyerError("Your cart is empty.".into()))?;
    let d = client
        .get_order_details(order_id, None)
        .await
        .map_err(s360_error)?;
    if d.order_state != OrderState::Running || d.operation_datas.is_empty() {
        return Err(BuyerError(
            "Your cart has expired. Please choose your tickets again.".into(),
        ));
    }
    // a second submit (double click, back button) must not start a second payment
    if matches!(
        d.payment_state,
        PaymentState::InProgress | PaymentState::Paid
    ) {
        return Err(BuyerError(
            "Your payment for this cart is already being processed. Please wait for its confirmation."
                .into(),
        ));
    }
    if let (Some(paying), Some(tx)) = (
        session_get::<OrderId>(session, &pending_key(tenant)).await,
        session_get::<String>(session, "paying_tx").await,
    ) {
        let open = d.payments.iter().any(|p| {
            p.payment_state == PaymentState::Waiting
                && p.transaction_id.as_deref() == Some(tx.as_str())
        });
        if paying == order_id && open {
            return Ok(PaymentStart {
                order_id,
                transaction_id: tx,
                widget_origin: client.config().base_url.clone(),
            });
        }
    }
    let contact = match buyer {
        Buyer::Contact(number) => number,
        Buyer::Guest(guest) => {
            let created = client
                .create_cultural_contacts(vec![CulturalContactData {
                    identifier: "buyer".into(),
                    contact_number: None,
                    first_name: guest.first_name,
                    last_name: guest.last_name,
                    email: guest.email,
                    create_login: false,
                }])
                .await
                .map_err(s360_error)?;
            created
                .identifier_contact_map
                .get("buyer")
                .cloned()
                .ok_or_else(|| {
                    BuyerError("The ticketing system did not create your contact.".into())
                })?
        }
    };
    let method = snap
        .pos
        .payment_methods
        .iter()
        .filter(|m| m.for_payment && m.payment_type == "CREDIT_CARD")
        .min_by_key(|m| m.rank)
        .ok_or_else(|| BuyerError("No card payment is available in this shop.".into()))?;
    let mut params = HashMap::new();
    params.insert(
        ORDER_IDENTIFIER.to_string(),
        format!("{}-{}", tenant.code, order_id.0),
    );
    params.insert(
        RETURN_URL.to_string(),
        format!("{shop_origin}/payment/return"),
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
                contact_reference: contact,
            }],
        })
        .await
        .map_err(s360_error)?;
    let transaction_id = started
        .transaction_id
        .ok_or_else(|| BuyerError("The payment could not be started.".into()))?;
    register_payment(tenant, order_id);
    session_set(session, &pending_key(tenant), order_id).await?;
    session_set(session, &secret_key(tenant), d.order_secret_id.clone()).await?;
    session_set(session, "paying_tx", transaction_id.clone()).await?;
    Ok(PaymentStart {
        order_id,
        transaction_id,
        widget_origin: client.config().base_url.clone(),
    })
}

fn secret_key(tenant: &Tenant) -> String {
    format!("paying_secret.{}", tenant.code)
}

/// The secret of the order the buyer is paying for, kept so the return page can link to the
/// order page even while S-360 cannot be reached.
pub async fn paying_order_secret(tenant: &Tenant, session: &Session) -> Option<String> {
    session_get(session, &secret_key(tenant)).await
}

/// Orders whose payment was started, per S-360 host and institution, for the reconciliation
/// task (the shop keeps no business data: only ids, re-read from S-360 every time).
type PaymentRegistry = Mutex<HashMap<(String, String), HashMap<i64, std::time::Instant>>>;

fn payment_registry() -> &'static PaymentRegistry {
    static REGISTRY: OnceLock<PaymentRegistry> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

fn registry_key(tenant: &Tenant) -> (String, String) {
    (
        tenant.catalog.client().config().base_url.clone(),
        tenant.code.clone(),
    )
}

/// Remembers that a payment was started for this order.
pub fn register_payment(tenant: &Tenant, order_id: OrderId) {
    let mut r = payment_registry().lock().unwrap_or_else(|p| p.into_inner());
    r.entry(registry_key(tenant))
        .or_default()
        .insert(order_id.0, std::time::Instant::now());
}

/// The orders with a started payment not yet seen final, with when the payment started.
pub fn registered_payments(tenant: &Tenant) -> Vec<(OrderId, std::time::Instant)> {
    let r = payment_registry().lock().unwrap_or_else(|p| p.into_inner());
    r.get(&registry_key(tenant))
        .map(|m| m.iter().map(|(id, t)| (OrderId(*id), *t)).collect())
        .unwrap_or_default()
}

/// Forgets an order once it is final (closed or released) or too old to matter.
pub fn forget_payment(tenant: &Tenant, order_id: OrderId) {
    let mut r = payment_registry().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(m) = r.get_mut(&registry_key(tenant)) {
        m.remove(&order_id.0);
    }
}

/// The order the buyer is paying for in this session.
pub async fn paying_order(tenant: &Tenant, session: &Session) -> Option<OrderId> {
    session_get(session, &pending_key(tenant)).await
}

/// Per-order locks: the buyer's return, a reload, a second tab and the server notification
/// may all arrive at once; one of them finalises, the others see the result.
fn order_lock(order_id: OrderId) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let mut locks = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if locks.len() > 10_000 {
        locks.retain(|_, l| Arc::strong_count(l) > 1);
    }
    locks.entry(order_id.0).or_default().clone()
}

/// Brings the order to its final state from what S-360 says (never from the browser):
/// PAID -> notifyOrder(SUCCESS) closes it (idempotent, once even under concurrency);
/// refused or cancelled -> notifyOrder(FAILURE) releases it. Returns the order as it ends.
pub async fn finalize(tenant: &Tenant, order_id: OrderId) -> Result<OrderDetailsData, BuyerError> {
    let lock = order_lock(order_id);
    let _guard = lock.lock().await;
    let client = tenant.catalog.client();
    let d = client
        .get_order_details(order_id, None)
        .await
        .map_err(s360_error)?;
    if d.order_state != OrderState::Running {
        return Ok(d);
    }
    // the payment that carries the order's payment state (not merely the last one listed)
    let Some(payment) = d
        .payments
        .iter()
        .rev()
        .find(|p| p.payment_state == d.payment_state)
        .or(d.payments.last())
    else {
        return Ok(d);
    };
    let status = match d.payment_state {
        PaymentState::Paid => NotifyStatus::Success,
        PaymentState::Failed
        | PaymentState::FailedRejected
        | PaymentState::CancelledByUser
        | PaymentState::Abandoned => NotifyStatus::Failure,
        _ => return Ok(d),
    };
    client
        .notify_order(order_id, payment.payment_id, status)
        .await
        .map_err(s360_error)
}

/// Forgets the cart once its order is closed.
pub async fn clear_cart(tenant: &Tenant, session: &Session, order_id: OrderId) {
    // only that order's cart: the buyer may already have started a new one
    if session_get::<OrderId>(session, &cart_key(tenant)).await == Some(order_id) {
        let _ = session.remove::<OrderId>(&cart_key(tenant)).await;
    }
    if session_get::<OrderId>(session, &pending_key(tenant)).await != Some(order_id) {
        return;
    }
    let _ = session.remove::<OrderId>(&pending_key(tenant)).await;
    let _ = session.remove::<String>(&secret_key(tenant)).await;
    let _ = session.remove::<String>("paying_tx").await;
}

/// The order page's data, for whoever holds the order's secret.
pub async fn order_view(
    tenant: &Tenant,
    order_id: i64,
    access: &str,
    locale: &str,
) -> Result<Option<OrderView>, BuyerError> {
    let snap = snapshot(tenant)?;
    let client = tenant.catalog.client();
    let mut d = match client
        .get_order_details(OrderId(order_id), Some(Granularity::Movements))
        .await
    {
        Ok(d) => d,
        Err(S360Error::NotFound(_)) => return Ok(None),
        Err(e) => return Err(s360_error(e)),
    };
    if !s360::constant_time_eq(d.order_secret_id.as_bytes(), access.as_bytes()) {
        return Ok(None);
    }
    // the owner looking at a running order: finalise it if its payment is settled
    if d.order_state == OrderState::Running && d.payment_state != PaymentState::Waiting {
        let movements = std::mem::take(&mut d.movements);
        d = finalize(tenant, OrderId(order_id)).await?;
        if d.movements.is_empty() {
            d.movements = movements;
        }
    }
    let tickets = if d.order_state == OrderState::Closed {
        client
            .get_tickets(&s360::model::ticket::GetTicketsRequest {
                order_id: Some(order_id),
                ..Default::default()
            })
            .await
            .map_err(s360_error)?
            .into_iter()
            .filter(|t| {
                !matches!(
                    t.ticket_state,
                    s360::model::ticket::TicketState::Cancelled
                        | s360::model::ticket::TicketState::Invalidated
                )
            })
            .map(|t| {
                let place = [
                    t.seat.block_code.as_ref().map(|b| format!("Block {b}")),
                    t.seat.row.as_ref().map(|r| format!("row {r}")),
                    t.seat.number.as_ref().map(|n| format!("seat {n}")),
                    t.entrance_code.as_ref().map(|g| format!("entrance {g}")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
                TicketRow {
                    ticket_id: t.ticket_id,
                    product: t.product_name,
                    when: t.performance_start.as_ref().map(when),
                    place,
                    tariff: t.audience_sub_category,
                    barcode: t.barcode,
                }
            })
            .collect()
    } else {
        vec![]
    };
    let (state, state_text) = match (d.order_state, d.payment_state) {
        (OrderState::Closed, _) => ("CLOSED", "Paid and confirmed"),
        (OrderState::Abandonned, PaymentState::Failed | PaymentState::FailedRejected) => (
            "ABANDONNED",
            "The payment was refused; the seats were released",
        ),
        (OrderState::Abandonned, PaymentState::CancelledByUser) => (
            "ABANDONNED",
            "The payment was cancelled; the seats were released",
        ),
        (OrderState::Abandonned, _) => {
            ("ABANDONNED", "This order expired; the seats were released")
        }
        (OrderState::Running, PaymentState::InProgress | PaymentState::Paid) => {
            ("RUNNING", "Your payment is being confirmed")
        }
        (OrderState::Running, _) => ("RUNNING", "Waiting for payment"),
    };
    Ok(Some(OrderView {
        shop: shop_info(tenant, &snap, locale),
        order_id,
        state: state.into(),
        state_text: state_text.into(),
        payment_state: format!("{:?}", d.payment_state),
        lines: lines_of(&d, &snap, locale),
        total: d.sale_amount.format(&d.currency, locale),
        tickets,
        access: d.order_secret_id,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_details_are_validated() {
        assert!(Guest::parse("Ada", "Lovelace", "ada@example.com").is_ok());
        assert!(Guest::parse("", "Lovelace", "ada@example.com").is_err());
        assert!(Guest::parse("Ada", "Lovelace", "ada@example").is_err());
        assert!(Guest::parse("Ada", "Lovelace", "ada example@x.com").is_err());
        assert_eq!(
            Guest::parse(" Ada ", "L", "ADA@Example.com").unwrap().email,
            "ada@example.com"
        );
    }
}
