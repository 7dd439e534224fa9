//! Orders: `externalOrderFacade` / `externalOrderService` (s360-contract.md §5) and the state
//! machine RUNNING → CLOSED / ABANDONNED (+ reopen), with stock holds.
//!
//! Every method runs under the institution's mutex (see `rpc::dispatch`), so checking and
//! taking stock is one atomic step: stock can neither go negative nor be sold twice.
//!
//! Rules (OUR DESIGN, documented in the contract's "Sandbox decisions"):
//! - `expirationDate` = creation + `orderAbandonDelay`; updates do not extend it. Expiry is
//!   applied lazily on every call and by a periodic sweep.
//! - The hold is frozen while a payment is IN_PROGRESS, and a PAID order never expires: it
//!   waits for `notifyOrder(SUCCESS)` (or `closeOrder`).
//! - An order cannot change while a payment is IN_PROGRESS or PAID; changing it while a payment
//!   is WAITING abandons that payment (its page stops accepting cards).
//! - An order belongs to the point of sale that created it (the web one or a reseller's
//!   channel, `state.rs`): only it may change, pay or close it. A channel sells its selection
//!   only, and closes with PENDING_ACCOUNT payments, which `pending.rs` records.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use s360::envelope;
use s360::ids::*;
use s360::model::catalog::Performance;
use s360::model::order::*;
use s360::money::Amount;
use serde_json::Value;

use crate::rpc::{ok, parse, BusinessError, MethodResult, RpcError};
use crate::seating::{self, Placement};
use crate::seed::{SeatDef, Venue};
use crate::state::{now, Institution, StockKey};
use crate::tickets::{NewTicket, TicketHolder};
use crate::Sandbox;
use s360::model::ticket::TicketSeat;

// ---------------------------------------------------------------------------------------------
// State

/// What one movement holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    Seat {
        perf: PerformanceId,
        cat: SeatCategoryId,
        seat: SeatId,
    },
    Standing {
        perf: PerformanceId,
        cat: SeatCategoryId,
        area: AreaId,
    },
    Cell(StockKey),
    /// Not stock-controlled.
    Free,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatUse {
    Held(OrderId),
    Sold(OrderId),
}

#[derive(Debug, Clone)]
pub struct Movement {
    pub data: MovementData,
    pub hold: Hold,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub op: OperationData,
    pub composed: bool,
    pub movements: Vec<Movement>,
}

impl Line {
    fn refresh(&mut self) {
        let units = if self.composed {
            self.movements
                .iter()
                .map(|m| m.data.instance_number)
                .collect::<BTreeSet<_>>()
                .len()
        } else {
            self.movements.len()
        } as u32;
        self.op.quantity = units;
        self.op.total_amount = Amount(self.op.unit_price.0.saturating_mul(units as i64));
    }
}

#[derive(Debug, Clone)]
pub struct Payment {
    pub data: PaymentData,
    pub order_identifier: String,
    pub return_url: String,
    pub notify_url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Order {
    pub id: OrderId,
    /// The point of sale that created the order (the web one or a reseller's channel); only
    /// it may change, pay or close the order.
    pub pos_id: PosId,
    pub secret: String,
    pub order_type: OrderType,
    pub state: OrderState,
    pub payment_state: PaymentState,
    pub created: DateTime<FixedOffset>,
    pub expires: DateTime<FixedOffset>,
    pub closed_at: Option<DateTime<FixedOffset>>,
    pub purchaser: Option<String>,
    pub lines: Vec<Line>,
    pub charges: Vec<OrderCharge>,
    pub payments: Vec<Payment>,
    /// Whether the tickets' barcodes are shown (`generateBarCodes`).
    pub with_barcodes: bool,
    pub waiting_account: Amount,
}

impl Order {
    pub fn products_amount(&self) -> Amount {
        Amount(self.lines.iter().map(|l| l.op.total_amount.0).sum())
    }
    pub fn charges_amount(&self) -> Amount {
        Amount(self.charges.iter().map(|c| c.amount.0).sum())
    }
    pub fn sale_amount(&self) -> Amount {
        Amount(self.products_amount().0 + self.charges_amount().0)
    }
    fn movements(&self) -> impl Iterator<Item = &Movement> {
        self.lines.iter().flat_map(|l| l.movements.iter())
    }
    fn payment_frozen(&self) -> bool {
        matches!(
            self.payment_state,
            PaymentState::InProgress | PaymentState::Paid
        )
    }
}

/// The orders of one institution and the per-seat state of its performances.
#[derive(Debug)]
pub struct OrderBook {
    base: i64,
    counter: i64,
    pub orders: HashMap<OrderId, Order>,
    running: BTreeSet<OrderId>,
    pub seats: HashMap<(PerformanceId, SeatId), SeatUse>,
    pub standing: HashMap<(PerformanceId, AreaId), u32>,
    pub transactions: HashMap<String, OrderId>,
}

impl OrderBook {
    /// `base` keeps the ids of two institutions apart (the point of sale id).
    pub fn new(base: i64) -> Self {
        OrderBook {
            base: base + 10_000_000,
            counter: 0,
            orders: HashMap::new(),
            running: BTreeSet::new(),
            seats: HashMap::new(),
            standing: HashMap::new(),
            transactions: HashMap::new(),
        }
    }

    fn next_id(&mut self) -> i64 {
        self.counter += 1;
        self.base + self.counter
    }

    pub fn seat_use(&self, perf: PerformanceId, seat: SeatId) -> Option<SeatUse> {
        self.seats.get(&(perf, seat)).copied()
    }

    pub fn standing_taken(&self, perf: PerformanceId, area: AreaId) -> u32 {
        self.standing.get(&(perf, area)).copied().unwrap_or(0)
    }
}

fn random_hex(n: usize) -> String {
    (0..n)
        .map(|_| char::from_digit(rand::random_range(0..16u32), 16).unwrap_or('0'))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Outbound calls (payment notifications, order webhook)

/// What the sandbox sends out: the webhook URL and the HTTP client.
#[derive(Debug)]
pub struct Outbound {
    http: reqwest::Client,
    webhook_url: RwLock<Option<String>>,
    pending_payment_delay: RwLock<Duration>,
}

/// Names under `.localhost` are the loopback (RFC 6761), as browsers already treat them, so a
/// shop reached as `http://mosa.localhost:3000` gets its payment notifications; other names go
/// to the system resolver.
struct LoopbackLocalhost;

impl reqwest::dns::Resolve for LoopbackLocalhost {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> =
                if host == "localhost" || host.ends_with(".localhost") {
                    vec![std::net::SocketAddr::from(([127, 0, 0, 1], 0))]
                } else {
                    tokio::net::lookup_host((host.as_str(), 0)).await?.collect()
                };
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

impl Default for Outbound {
    fn default() -> Self {
        Outbound {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .dns_resolver(std::sync::Arc::new(LoopbackLocalhost))
                .build()
                .unwrap_or_default(),
            webhook_url: RwLock::new(None),
            pending_payment_delay: RwLock::new(Duration::from_secs(5)),
        }
    }
}

/// POSTs `body` to `url`, retrying with backoff until a 2xx answer or `attempts` failures.
fn post_with_retries(
    http: reqwest::Client,
    url: String,
    body: Value,
    institution: String,
    attempts: u32,
    first_backoff: Duration,
) {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        tracing::warn!(%url, "no runtime to send an outbound call");
        return;
    };
    handle.spawn(async move {
        let mut wait = first_backoff;
        for attempt in 1..=attempts {
            let r = http
                .post(&url)
                .header("x-s360-institution", &institution)
                .json(&body)
                .send()
                .await;
            match r {
                Ok(resp) if resp.status().is_success() => return,
                Ok(resp) => {
                    tracing::warn!(%url, attempt, status = %resp.status(), "outbound call refused")
                }
                Err(e) => tracing::warn!(%url, attempt, error = %e, "outbound call failed"),
            }
            if attempt < attempts {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(30));
            }
        }
        tracing::error!(%url, "outbound call given up");
    });
}

impl Sandbox {
    /// The order webhook (§12): `getOrderDetails` payloads of closed or abandoned orders are
    /// POSTed there. `None` switches it off.
    pub fn set_order_webhook(&self, url: Option<String>) {
        *self.outbound.webhook_url.write().expect("lock") = url;
    }

    pub fn order_webhook(&self) -> Option<String> {
        self.outbound.webhook_url.read().expect("lock").clone()
    }

    /// How long the "pending" test card stays IN_PROGRESS (5 s by default).
    pub fn set_pending_payment_delay(&self, d: Duration) {
        *self.outbound.pending_payment_delay.write().expect("lock") = d;
    }

    pub(crate) fn pending_payment_delay(&self) -> Duration {
        *self.outbound.pending_payment_delay.read().expect("lock")
    }

    /// Sets `orderAbandonDelay` (seconds) of an institution; false for an unknown code.
    /// The resellers' channels of the institution get the same delay (they share the web
    /// point of sale's limits).
    pub fn set_order_abandon_delay(&self, institution: &str, secs: i64) -> bool {
        self.setup_change(institution, |i| {
            i.pos.order_abandon_delay = secs.max(1);
            for c in &mut i.channels {
                c.pos.order_abandon_delay = secs.max(1);
            }
        })
    }

    fn emit_webhook(&self, inst: &Institution, order: &Order) {
        let Some(url) = self.order_webhook() else {
            return;
        };
        let body = serde_json::to_value(OrderDetailResult {
            order_details_data: Some(details(inst, order, Granularity::Tickets)),
        })
        .unwrap_or_default();
        post_with_retries(
            self.outbound.http.clone(),
            url,
            body,
            inst.code.clone(),
            6,
            Duration::from_millis(500),
        );
    }

    /// Sends the payment outcome to the shop's NOTIFY_URL (unless the fault drops it).
    pub(crate) fn notify_payment(
        &self,
        inst: &Institution,
        url: Option<String>,
        n: PaymentNotification,
    ) {
        let Some(url) = url else { return };
        if self.faults().drop_payment_notifications {
            tracing::info!(order = %n.order_id, "payment notification dropped (fault)");
            return;
        }
        let body = serde_json::to_value(&n).unwrap_or_default();
        post_with_retries(
            self.outbound.http.clone(),
            url,
            body,
            inst.code.clone(),
            5,
            Duration::from_millis(300),
        );
    }
}

/// Abandons the running orders whose hold has expired (not those with a payment in progress
/// or paid). Called at the start of every backend call and by the sweeper.
pub fn expire_due(sb: &Sandbox, inst: &mut Institution) {
    let t = now();
    let due: Vec<OrderId> = inst
        .orders
        .running
        .iter()
        .filter(|id| {
            inst.orders
                .orders
                .get(id)
                .is_some_and(|o| o.expires <= t && !o.payment_frozen())
        })
        .copied()
        .collect();
    for id in due {
        abandon(sb, inst, id);
    }
}

/// Sweeps expired orders every second while the sandbox is alive.
pub fn spawn_sweeper(sb: &Arc<Sandbox>) {
    let weak = Arc::downgrade(sb);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let Some(sb) = weak.upgrade() else { return };
            for code in sb.institution_codes() {
                if let Some(inst) = sb.institution(&code) {
                    let mut inst = inst.lock().expect("institution lock");
                    expire_due(&sb, &mut inst);
                }
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Holding stock

fn acquire(inst: &mut Institution, order: OrderId, hold: Hold) -> Result<(), String> {
    let key = match hold {
        Hold::Seat { perf, cat, .. } | Hold::Standing { perf, cat, .. } => {
            StockKey::Performance(perf, cat)
        }
        Hold::Cell(k) => k,
        Hold::Free => return Ok(()),
    };
    let remaining = inst.stock.get(&key).map_or(0, |c| c.remaining());
    if remaining == 0 {
        return Err("sold out".into());
    }
    match hold {
        Hold::Seat { perf, seat, .. } => {
            if inst.orders.seats.contains_key(&(perf, seat)) {
                return Err(format!("seat {seat} is no longer free"));
            }
            inst.orders.seats.insert((perf, seat), SeatUse::Held(order));
        }
        Hold::Standing { perf, area, .. } => {
            let capacity = standing_capacity(inst, perf, area);
            let taken = inst.orders.standing_taken(perf, area);
            if taken >= capacity {
                return Err(format!("standing area {area} is full"));
            }
            inst.orders.standing.insert((perf, area), taken + 1);
        }
        _ => {}
    }
    if let Some(c) = inst.stock.get_mut(&key) {
        c.taken += 1;
    }
    inst.touch(key);
    Ok(())
}

fn release(inst: &mut Institution, hold: Hold) {
    let key = match hold {
        Hold::Seat { perf, cat, seat } => {
            inst.orders.seats.remove(&(perf, seat));
            StockKey::Performance(perf, cat)
        }
        Hold::Standing { perf, cat, area } => {
            if let Some(n) = inst.orders.standing.get_mut(&(perf, area)) {
                *n = n.saturating_sub(1);
            }
            StockKey::Performance(perf, cat)
        }
        Hold::Cell(k) => k,
        Hold::Free => return,
    };
    if let Some(c) = inst.stock.get_mut(&key) {
        c.taken = c.taken.saturating_sub(1);
    }
    inst.touch(key);
}

/// Takes all `holds` or none.
fn acquire_all(inst: &mut Institution, order: OrderId, holds: &[Hold]) -> Result<(), String> {
    for (i, h) in holds.iter().enumerate() {
        if let Err(e) = acquire(inst, order, *h) {
            for done in &holds[..i] {
                release(inst, *done);
            }
            return Err(e);
        }
    }
    Ok(())
}

fn venue_of(inst: &Institution, perf: &Performance) -> Option<usize> {
    inst.venues
        .iter()
        .position(|v| Some(v.config.space_id) == perf.space_id)
}

fn standing_capacity(inst: &Institution, perf: PerformanceId, area: AreaId) -> u32 {
    find_performance(inst, perf)
        .and_then(|(_, p)| venue_of(inst, p))
        .and_then(|v| inst.venues.get(v))
        .and_then(|v| v.standing.iter().find(|s| s.area_id == area))
        .map_or(0, |s| s.capacity)
}

/// A performance of the institution's whole catalog (a reseller's channel included: a season
/// ticket of its selection may hold performances it does not sell alone; sales of single
/// entries check the selection themselves).
fn find_performance(
    inst: &Institution,
    id: PerformanceId,
) -> Option<(&s360::model::catalog::Product, &Performance)> {
    inst.setup_catalog().products().find_map(|p| {
        p.event
            .as_ref()
            .and_then(|e| e.performances.iter().find(|x| x.id == id))
            .map(|x| (p, x))
    })
}

// ---------------------------------------------------------------------------------------------
// Dispatch

pub fn dispatch(
    sb: &Sandbox,
    inst: &mut Institution,
    method: &str,
    body: &Value,
) -> Option<Result<MethodResult, RpcError>> {
    Some(match method {
        "createOrUpdateOrder" => parse(body).map(|r| create_or_update(inst, r)),
        "abandonMovements" => parse(body).map(|r| abandon_movements(inst, r)),
        "setMovementContactData" => parse(body).map(|r| set_contacts(inst, r)),
        "closeOrder" => parse(body).map(|r| close_order(sb, inst, r)),
        "getOrderDetails" => parse(body).map(|r| get_details(inst, r)),
        "createPaymentsAndCloseOrder" | "createPaymentAndCloseOrder" => {
            parse(body).map(|r| create_payments(inst, r))
        }
        "notifyOrder" => parse(body).map(|r| notify_order(sb, inst, r)),
        "reopenOrder" => parse(body).map(|r| reopen(inst, r)),
        _ => return None,
    })
}

fn availability(detail: impl Into<String>) -> BusinessError {
    BusinessError::new(envelope::ERROR_AVAILABILITY, detail)
}

fn check_pos(inst: &Institution, pos: Option<PosId>) -> Result<(), BusinessError> {
    match pos {
        None => Err(BusinessError::invalid("pointOfSalesId is mandatory")),
        Some(p) if p != inst.pos.pos_id => Err(BusinessError::invalid(format!(
            "pointOfSalesId {p} is not this operator's point of sale"
        ))),
        Some(_) => Ok(()),
    }
}

/// A reseller's channel sells its selection only (seed 000): a product of the institution
/// outside it is refused by name. Always true for the web point of sale.
fn check_selected(
    inst: &Institution,
    product: &s360::model::catalog::Product,
) -> Result<(), BusinessError> {
    if inst.product(product.id).is_some() {
        return Ok(());
    }
    Err(BusinessError::invalid(format!(
        "product {} ({}, id {}) is not sold on point of sale {}: it is not in the channel's selection",
        product.code,
        product.external_name.best(&inst.pos.main_language, "en"),
        product.id,
        inst.pos.pos_code
    )))
}

/// Only the point of sale that created an order may change, pay or close it (OUR DESIGN:
/// a reseller's channel and the web point of sale share the institution's orders).
fn check_order_pos(inst: &Institution, o: &Order) -> Result<(), BusinessError> {
    if o.pos_id == inst.pos.pos_id {
        return Ok(());
    }
    Err(BusinessError::invalid(format!(
        "order {} belongs to point of sale {}, not to this operator's ({})",
        o.id, o.pos_id, inst.pos.pos_id
    )))
}

fn order_mut(inst: &mut Institution, id: OrderId) -> Result<&mut Order, BusinessError> {
    inst.orders
        .orders
        .get_mut(&id)
        .ok_or_else(|| BusinessError::not_found(format!("order {id}")))
}

fn order_ref(inst: &Institution, id: OrderId) -> Result<&Order, BusinessError> {
    inst.orders
        .orders
        .get(&id)
        .ok_or_else(|| BusinessError::not_found(format!("order {id}")))
}

fn state_name(s: OrderState) -> &'static str {
    match s {
        OrderState::Running => "RUNNING",
        OrderState::Closed => "CLOSED",
        OrderState::Abandonned => "ABANDONNED",
    }
}

/// The order must be running and modifiable.
/// OUR DESIGN: `createOrUpdateOrder { orderId, purchasersInfo }` without operations names (or
/// replaces) the buyer of a running order, so that the buyer's addresses can be used for its
/// shipment before the payment (s360-contract.md, "buyer before shipment").
fn set_purchaser(inst: &mut Institution, id: OrderId, contact: &str) -> MethodResult {
    modifiable(inst, id)?;
    let known = inst
        .contacts
        .get(contact)
        .is_some_and(|c| c.data.state == s360::model::contact::ContactState::Active);
    if !known {
        return Err(BusinessError::invalid(format!(
            "purchasersInfo: contact {contact} does not exist or is not active"
        )));
    }
    let o = order_mut(inst, id)?;
    o.purchaser = Some(contact.to_string());
    let data = update_data(inst, id, vec![], vec![], vec![], vec![])?;
    ok(OrderUpdateResult {
        order_update_data: Some(data),
    })
}

fn modifiable(inst: &mut Institution, id: OrderId) -> Result<(), BusinessError> {
    check_order_pos(inst, order_ref(inst, id)?)?;
    let o = order_mut(inst, id)?;
    if o.state != OrderState::Running {
        return Err(BusinessError::invalid(format!(
            "order {id} is {}",
            state_name(o.state)
        )));
    }
    if o.payment_frozen() {
        return Err(BusinessError::invalid(format!(
            "order {id} has a payment {:?}; it cannot change",
            o.payment_state
        )));
    }
    Ok(())
}

/// A change invalidates a payment page that is open.
pub(crate) fn invalidate_waiting_payments(o: &mut Order) {
    for p in &mut o.payments {
        if p.data.payment_state == PaymentState::Waiting {
            p.data.payment_state = PaymentState::Abandoned;
        }
    }
    o.payment_state = PaymentState::Waiting;
}

// ---------------------------------------------------------------------------------------------
// createOrUpdateOrder

/// A line to add, with the stock it needs.
struct NewLine {
    op: OperationData,
    composed: bool,
    movements: Vec<(MovementData, Hold)>,
}

fn main_language(inst: &Institution) -> String {
    inst.pos.main_language.clone()
}

fn tariff_code(inst: &Institution, aud: AudienceSubCategoryId) -> Option<String> {
    inst.catalog
        .seasons
        .iter()
        .flat_map(|s| s.audience_categories.iter())
        .flat_map(|c| c.audience_sub_categories.iter())
        .find(|s| s.id == aud)
        .map(|s| s.code.clone())
}

fn required_tariffs(inst: &Institution, aud: AudienceSubCategoryId) -> Vec<AudienceSubCategoryId> {
    inst.catalog
        .seasons
        .iter()
        .flat_map(|s| s.audience_categories.iter())
        .flat_map(|c| c.audience_sub_categories.iter())
        .find(|s| s.id == aud)
        .map(|s| s.required_audience_sub_category_ids.clone())
        .unwrap_or_default()
}

/// A CHILD needs an ADULT (any of its required tariffs) in the same order.
fn check_tariff_rules<'a>(
    inst: &Institution,
    auds: impl Iterator<Item = &'a AudienceSubCategoryId> + Clone,
) -> Result<(), BusinessError> {
    let present: HashSet<AudienceSubCategoryId> = auds.clone().copied().collect();
    for aud in auds {
        let req = required_tariffs(inst, *aud);
        if !req.is_empty() && !req.iter().any(|r| present.contains(r)) {
            let names: Vec<String> = req
                .iter()
                .map(|r| tariff_code(inst, *r).unwrap_or_else(|| r.to_string()))
                .collect();
            return Err(BusinessError::invalid(format!(
                "tariff {} needs a {} ticket in the same order",
                tariff_code(inst, *aud).unwrap_or_else(|| aud.to_string()),
                names.join(" or ")
            )));
        }
    }
    Ok(())
}

/// Most units one operation may ask for (OUR DESIGN: a bound for items without stock).
const MAX_QUANTITY: u32 = 100;

fn check_quantity(q: u32, what: &str) -> Result<(), BusinessError> {
    if q == 0 || q > MAX_QUANTITY {
        return Err(BusinessError::invalid(format!(
            "{what}.quantity must be between 1 and {MAX_QUANTITY}"
        )));
    }
    Ok(())
}

fn create_or_update(inst: &mut Institution, req: CreateOrUpdateOrderRequest) -> MethodResult {
    check_pos(inst, req.point_of_sales_id)?;
    let no_operation = req.simple_product_operations.is_empty()
        && req.pass_operations.is_empty()
        && req.single_entry_operations.is_empty()
        && req.composed_product_operations.is_empty();
    if let (true, Some(id), Some(buyer)) = (no_operation, req.order_id, req.purchasers_info.first())
    {
        return set_purchaser(inst, id, &buyer.contact_reference);
    }
    if no_operation {
        return Err(BusinessError::invalid(
            "at least one of simpleProductOperations, passOperations, singleEntryOperations, composedProductOperations is mandatory",
        ));
    }
    for (i, o) in req.simple_product_operations.iter().enumerate() {
        check_quantity(o.quantity, &format!("simpleProductOperations[{i}]"))?;
    }
    for (i, o) in req.pass_operations.iter().enumerate() {
        check_quantity(o.quantity, &format!("passOperations[{i}]"))?;
    }
    for (i, o) in req.single_entry_operations.iter().enumerate() {
        check_quantity(o.quantity, &format!("singleEntryOperations[{i}]"))?;
    }
    for (i, o) in req.composed_product_operations.iter().enumerate() {
        check_quantity(o.quantity, &format!("composedProductOperations[{i}]"))?;
    }
    if req.order_type != OrderType::Sale {
        return Err(BusinessError::invalid(
            "orderType: the sandbox sells SALE orders only",
        ));
    }
    if let Some(id) = req.order_id {
        modifiable(inst, id)?;
    }

    // POS rules, checked before any stock is taken
    let mut per_perf: HashMap<PerformanceId, u32> = HashMap::new();
    let mut auds: Vec<AudienceSubCategoryId> = Vec::new();
    if let Some(id) = req.order_id {
        let o = order_ref(inst, id)?;
        for l in &o.lines {
            auds.push(l.op.audience_sub_category_id);
        }
        for m in o.movements() {
            if let Some(p) = m.data.performance_id {
                *per_perf.entry(p).or_default() += 1;
            }
        }
    }
    for o in &req.single_entry_operations {
        *per_perf.entry(o.performance_id).or_default() += o.quantity;
        auds.push(o.audience_sub_category_id);
    }
    for o in &req.composed_product_operations {
        auds.push(o.audience_sub_category_id);
        if let Some(line) = inst
            .setup_product(o.product_id)
            .and_then(|p| p.package_line.as_ref())
        {
            for p in &line.performance_ids {
                *per_perf.entry(*p).or_default() += o.quantity;
            }
        }
    }
    auds.extend(
        req.simple_product_operations
            .iter()
            .map(|o| o.audience_sub_category_id),
    );
    auds.extend(
        req.pass_operations
            .iter()
            .map(|o| o.audience_sub_category_id),
    );
    let max = inst.pos.max_seats_per_performance;
    if let Some((p, n)) = per_perf.iter().find(|(_, n)| **n > max) {
        return Err(BusinessError::invalid(format!(
            "{n} seats for performance {p}: at most {max} per performance (maxSeatsPerPerformance)"
        )));
    }
    check_tariff_rules(inst, auds.iter())?;

    let order_id = req
        .order_id
        .unwrap_or_else(|| OrderId(inst.orders.next_id()));
    let mut new_lines = Vec::new();
    for o in &req.simple_product_operations {
        new_lines.push(item_line(
            inst,
            o.item_id,
            o.audience_sub_category_id,
            o.quantity,
            None,
            None,
            false,
        )?);
    }
    for o in &req.pass_operations {
        new_lines.push(item_line(
            inst,
            o.item_id,
            o.audience_sub_category_id,
            o.quantity,
            o.timeslot_id,
            o.date.as_deref(),
            true,
        )?);
    }
    // seats are chosen one operation at a time, holding as we go, so two operations of one
    // call never pick the same seat; everything is released if a later one fails
    let mut taken: Vec<Hold> = Vec::new();
    let result = (|| -> Result<(), BusinessError> {
        for nl in &new_lines {
            let holds: Vec<Hold> = nl.movements.iter().map(|(_, h)| *h).collect();
            acquire_all(inst, order_id, &holds)
                .map_err(|e| availability(format!("{}: {e}", nl.op.product_code)))?;
            taken.extend(holds);
        }
        for o in &req.single_entry_operations {
            let nl = single_entry_line(inst, o)?;
            let holds: Vec<Hold> = nl.movements.iter().map(|(_, h)| *h).collect();
            acquire_all(inst, order_id, &holds).map_err(availability)?;
            taken.extend(holds);
            new_lines.push(nl);
        }
        for o in &req.composed_product_operations {
            let nl = composed_line(inst, o)?;
            let holds: Vec<Hold> = nl.movements.iter().map(|(_, h)| *h).collect();
            acquire_all(inst, order_id, &holds).map_err(availability)?;
            taken.extend(holds);
            new_lines.push(nl);
        }
        Ok(())
    })();
    if let Err(e) = result {
        for h in taken {
            release(inst, h);
        }
        return Err(e);
    }

    // commit: ids, lines, charges
    let t = now();
    if req.order_id.is_none() {
        let delay = chrono::Duration::seconds(inst.pos.order_abandon_delay.max(1));
        inst.orders.orders.insert(
            order_id,
            Order {
                id: order_id,
                pos_id: inst.pos.pos_id,
                secret: random_hex(16),
                order_type: req.order_type,
                state: OrderState::Running,
                payment_state: PaymentState::Waiting,
                created: t,
                expires: t + delay,
                closed_at: None,
                purchaser: req
                    .purchasers_info
                    .first()
                    .map(|p| p.contact_reference.clone()),
                lines: Vec::new(),
                charges: Vec::new(),
                payments: Vec::new(),
                with_barcodes: false,
                waiting_account: Amount::ZERO,
            },
        );
        inst.orders.running.insert(order_id);
    }
    let mut op_updates = Vec::new();
    let mut mv_updates = Vec::new();
    let mut lines = Vec::new();
    for nl in new_lines {
        let op_id = OperationId(inst.orders.next_id());
        let mut line = Line {
            op: OperationData {
                operation_id: op_id,
                ..nl.op
            },
            composed: nl.composed,
            movements: Vec::new(),
        };
        for (data, hold) in nl.movements {
            let data = MovementData {
                movement_id: MovementId(inst.orders.next_id()),
                operation_id: op_id,
                ..data
            };
            line.movements.push(Movement { data, hold });
        }
        line.refresh();
        op_updates.push(line.op.clone());
        mv_updates.extend(line.movements.iter().map(|m| m.data.clone()));
        lines.push(line);
    }
    let charges = order_charges(inst);
    let o = order_mut(inst, order_id)?;
    if o.purchaser.is_none() {
        o.purchaser = req
            .purchasers_info
            .first()
            .map(|p| p.contact_reference.clone());
    }
    o.lines.extend(lines);
    // the shipment fee (shipment.rs) stays; the point of sale's charges are recomputed
    o.charges.retain(crate::shipment::is_fee);
    o.charges.splice(0..0, charges);
    invalidate_waiting_payments(o);
    let data = update_data(inst, order_id, op_updates, mv_updates, vec![], vec![])?;
    ok(OrderUpdateResult {
        order_update_data: Some(data),
    })
}

fn order_charges(inst: &Institution) -> Vec<OrderCharge> {
    let lang = main_language(inst);
    inst.pos
        .charges
        .iter()
        .filter(|c| c.charge_type == "ORDER")
        .map(|c| OrderCharge {
            charge_id: c.id,
            code: c.code.clone(),
            external_name: c.external_name.best(&lang, &lang).to_string(),
            amount: c.amount,
        })
        .collect()
}

fn update_data(
    inst: &Institution,
    id: OrderId,
    ops: Vec<OperationData>,
    mvs: Vec<MovementData>,
    removed_ops: Vec<OperationId>,
    removed_mvs: Vec<MovementId>,
) -> Result<OrderUpdateData, BusinessError> {
    let o = order_ref(inst, id)?;
    Ok(OrderUpdateData {
        order_id: o.id,
        order_secret_id: o.secret.clone(),
        main_operation_id: o.lines.first().map(|l| l.op.operation_id),
        catalog_currency: Some(inst.pos.institution_currency.clone()),
        operation_data_updates: ops,
        movement_data_updates: mvs,
        remove_operation_ids: removed_ops,
        remove_movement_ids: removed_mvs,
        sale_amount: o.sale_amount(),
        expiration_date: (o.state == OrderState::Running).then_some(o.expires),
    })
}

fn base_op(
    inst: &Institution,
    product: &s360::model::catalog::Product,
    aud: AudienceSubCategoryId,
    price: Amount,
) -> OperationData {
    let lang = main_language(inst);
    OperationData {
        operation_id: OperationId(0),
        kind: product.product_family_type,
        product_id: product.id,
        product: product.external_name.best(&lang, &lang).to_string(),
        product_code: product.code.clone(),
        product_family_type: product.product_family_type,
        item_id: None,
        performance_id: None,
        performance: None,
        performance_start: None,
        timeslot_id: None,
        seat_category_id: None,
        seat_category: None,
        audience_sub_category_id: aud,
        audience_sub_category: tariff_code(inst, aud).unwrap_or_default(),
        quantity: 0,
        base_price: price,
        unit_price: price,
        total_amount: Amount::ZERO,
        numbered: false,
        performance_ids: vec![],
    }
}

fn entry_movement() -> MovementData {
    MovementData {
        movement_id: MovementId(0),
        operation_id: OperationId(0),
        movement_type: MovementType::Entry,
        performance_id: None,
        timeslot_id: None,
        seat_id: None,
        seat_category_id: None,
        seat_category: None,
        area_id: None,
        area_code: None,
        block_code: None,
        row_number: None,
        seat_number: None,
        entrance_code: None,
        instance_number: 0,
        contact_data: None,
    }
}

/// A pass item (`pass`) or a simple item (service, goods, open pass).
fn item_line(
    inst: &Institution,
    item_id: ItemId,
    aud: AudienceSubCategoryId,
    quantity: u32,
    timeslot: Option<TimeslotId>,
    date: Option<&str>,
    pass_op: bool,
) -> Result<NewLine, BusinessError> {
    let (product, item, slots) = inst
        .setup_catalog()
        .products()
        .find_map(|p| {
            if let Some(pass) = &p.pass {
                if let Some(i) = pass.items.iter().find(|i| i.item_id == item_id) {
                    return Some((p, i, pass.timeslots.as_slice()));
                }
            }
            p.items
                .iter()
                .find(|i| i.item_id == item_id)
                .map(|i| (p, i, &[][..]))
        })
        .ok_or_else(|| BusinessError::not_found(format!("item {item_id}")))?;
    check_selected(inst, product)?;
    if pass_op && product.pass.is_none() {
        return Err(BusinessError::invalid(format!(
            "item {item_id} is not a pass item: use simpleProductOperations"
        )));
    }
    if !product.state.on_sale() {
        return Err(BusinessError::invalid(format!(
            "product {} is not on sale",
            product.code
        )));
    }
    let price = item
        .item_prices
        .iter()
        .find(|p| p.aud_sub_cat_id == aud)
        .ok_or_else(|| {
            BusinessError::invalid(format!(
                "no price for tariff {aud} on item {item_id} ({})",
                product.code
            ))
        })?;
    if price.min_qty.is_some_and(|m| quantity < m) || price.max_qty.is_some_and(|m| quantity > m) {
        return Err(BusinessError::invalid(format!(
            "quantity {quantity} is outside {:?}..{:?} for item {item_id}",
            price.min_qty, price.max_qty
        )));
    }
    let mut op = base_op(inst, product, aud, price.amount);
    op.item_id = Some(item_id);
    let mut mv = entry_movement();
    let hold = if !item.timeslot_ids.is_empty() {
        if !pass_op {
            return Err(BusinessError::invalid(format!(
                "item {item_id} is sold per time slot: use passOperations with a timeslotId"
            )));
        }
        let ts = timeslot.ok_or_else(|| {
            BusinessError::invalid(format!("timeslotId is mandatory for item {item_id}"))
        })?;
        let slot = slots
            .iter()
            .find(|s| s.id == ts && item.timeslot_ids.contains(&ts))
            .ok_or_else(|| BusinessError::not_found(format!("time slot {ts} of item {item_id}")))?;
        if slot.start + chrono::Duration::seconds(slot.duration) <= now() {
            return Err(BusinessError::invalid(format!("time slot {ts} is over")));
        }
        if let Some(d) = date {
            if slot.start.format("%Y-%m-%d").to_string() != d {
                return Err(BusinessError::invalid(format!(
                    "time slot {ts} is not on {d}"
                )));
            }
        }
        op.timeslot_id = Some(ts);
        op.performance_start = Some(slot.start);
        mv.timeslot_id = Some(ts);
        Hold::Cell(StockKey::Timeslot(ts))
    } else if inst.stock.contains_key(&StockKey::Product(product.id)) {
        Hold::Cell(StockKey::Product(product.id))
    } else {
        Hold::Free
    };
    Ok(NewLine {
        op,
        composed: false,
        movements: (0..quantity).map(|_| (mv.clone(), hold)).collect(),
    })
}

fn seat_movement(
    venue: &Venue,
    perf: PerformanceId,
    cat: SeatCategoryId,
    cat_code: &str,
    seat: &SeatDef,
) -> (MovementData, Hold) {
    let area = venue.config.areas.iter().find(|a| a.id == seat.area_id);
    (
        MovementData {
            movement_type: MovementType::Seat,
            performance_id: Some(perf),
            seat_id: Some(seat.id),
            seat_category_id: Some(cat),
            seat_category: Some(cat_code.to_string()),
            area_id: Some(seat.area_id),
            area_code: Some(seat.area_code.clone()),
            block_code: Some(seat.block_code.clone()),
            row_number: Some(seat.row.clone()),
            seat_number: Some(seat.number.clone()),
            entrance_code: area.and_then(|a| a.entrance_code.clone()),
            ..entry_movement()
        },
        Hold::Seat {
            perf,
            cat,
            seat: seat.id,
        },
    )
}

/// Seats for `n` units in category `cat_code` free on every one of `perfs`: the chosen ones
/// (validated) or the best available.
fn pick_seats<'v>(
    inst: &Institution,
    venue: &'v Venue,
    perfs: &[PerformanceId],
    cat_code: &str,
    n: u32,
    chosen: Option<&[SeatId]>,
) -> Result<Vec<&'v SeatDef>, BusinessError> {
    let free = |s: SeatId| perfs.iter().all(|p| inst.orders.seat_use(*p, s).is_none());
    if let Some(ids) = chosen {
        if ids.len() != n as usize {
            return Err(BusinessError::invalid(format!(
                "seatIds has {} seats for a quantity of {n}",
                ids.len()
            )));
        }
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for id in ids {
            if !seen.insert(*id) {
                return Err(BusinessError::invalid(format!("seat {id} is listed twice")));
            }
            let seat = venue
                .seats
                .iter()
                .find(|s| s.id == *id)
                .ok_or_else(|| BusinessError::not_found(format!("seat {id}")))?;
            if seat.seat_category_code != cat_code {
                return Err(BusinessError::invalid(format!(
                    "seat {id} is in category {}, not {cat_code}",
                    seat.seat_category_code
                )));
            }
            if !free(*id) {
                return Err(availability(format!(
                    "seat {id} ({} row {} seat {}) is no longer free",
                    seat.block_code, seat.row, seat.number
                )));
            }
            out.push(seat);
        }
        return Ok(out);
    }
    let candidates: Vec<&SeatDef> = venue
        .seats
        .iter()
        .filter(|s| s.seat_category_code == cat_code)
        .collect();
    let ids = match seating::best_available(&candidates, &free, n as usize) {
        Placement::OneRow(ids) | Placement::TwoRows(ids) => ids,
        Placement::NotEnough { free } => {
            return Err(availability(format!(
                "{n} seats asked in category {cat_code}, {free} left"
            )))
        }
        Placement::Scattered { free } => {
            return Err(availability(format!(
                "no {n} seats together left in category {cat_code} ({free} single seats are free: choose them on the seat map)"
            )))
        }
    };
    Ok(ids
        .iter()
        .filter_map(|id| venue.seats.iter().find(|s| s.id == *id))
        .collect())
}

/// A standing area of `cat_code` with room for `n` more on every one of `perfs`.
fn pick_standing(
    inst: &Institution,
    venue: &Venue,
    perfs: &[PerformanceId],
    cat_code: &str,
    n: u32,
) -> Result<AreaId, BusinessError> {
    venue
        .standing
        .iter()
        .filter(|s| s.seat_category_code == cat_code)
        .map(|s| {
            let room = perfs
                .iter()
                .map(|p| {
                    s.capacity
                        .saturating_sub(inst.orders.standing_taken(*p, s.area_id))
                })
                .min()
                .unwrap_or(0);
            (s.area_id, room)
        })
        .filter(|(_, room)| *room >= n)
        .max_by_key(|(_, room)| *room)
        .map(|(a, _)| a)
        .ok_or_else(|| {
            availability(format!(
                "no standing area of {cat_code} has {n} places left"
            ))
        })
}

fn standing_movement(
    venue: &Venue,
    perf: PerformanceId,
    cat: SeatCategoryId,
    cat_code: &str,
    area: AreaId,
) -> (MovementData, Hold) {
    let a = venue.config.areas.iter().find(|x| x.id == area);
    (
        MovementData {
            movement_type: MovementType::Area,
            performance_id: Some(perf),
            seat_category_id: Some(cat),
            seat_category: Some(cat_code.to_string()),
            area_id: Some(area),
            area_code: a.map(|x| x.code.clone()),
            entrance_code: a.and_then(|x| x.entrance_code.clone()),
            ..entry_movement()
        },
        Hold::Standing { perf, cat, area },
    )
}

fn single_entry_line(
    inst: &Institution,
    o: &SingleEntryOperation,
) -> Result<NewLine, BusinessError> {
    let (product, perf) = find_performance(inst, o.performance_id)
        .ok_or_else(|| BusinessError::not_found(format!("performance {}", o.performance_id)))?;
    check_selected(inst, product)?;
    if !product.state.on_sale() || !perf.state.on_sale() {
        return Err(BusinessError::invalid(format!(
            "performance {} is not on sale",
            perf.id
        )));
    }
    if perf.start <= now() {
        return Err(BusinessError::invalid(format!(
            "performance {} has started",
            perf.id
        )));
    }
    let (cat, price) = priced_category(
        &perf.seat_categories,
        &perf.prices,
        o.seat_category_id,
        o.audience_sub_category_id,
        || format!("performance {}", perf.id),
    )?;
    let venue = venue_of(inst, perf)
        .and_then(|v| inst.venues.get(v))
        .ok_or_else(|| BusinessError::invalid(format!("performance {} has no venue", perf.id)))?;
    let mut op = base_op(inst, product, o.audience_sub_category_id, price.amount);
    op.performance_id = Some(perf.id);
    op.performance = Some(perf.code.clone());
    op.performance_start = Some(perf.start);
    op.seat_category_id = Some(cat.id);
    op.seat_category = Some(cat.code.clone());
    op.numbered = cat.numbered;
    let movements = if cat.numbered {
        pick_seats(
            inst,
            venue,
            &[perf.id],
            &cat.code,
            o.quantity,
            o.seat_ids.as_deref(),
        )?
        .into_iter()
        .map(|s| seat_movement(venue, perf.id, cat.id, &cat.code, s))
        .collect()
    } else {
        if o.seat_ids.as_ref().is_some_and(|s| !s.is_empty()) {
            return Err(BusinessError::invalid(format!(
                "seat category {} is not numbered: seatIds must be absent",
                cat.code
            )));
        }
        let area = pick_standing(inst, venue, &[perf.id], &cat.code, o.quantity)?;
        (0..o.quantity)
            .map(|_| standing_movement(venue, perf.id, cat.id, &cat.code, area))
            .collect()
    };
    Ok(NewLine {
        op,
        composed: false,
        movements,
    })
}

fn composed_line(
    inst: &Institution,
    o: &ComposedProductOperation,
) -> Result<NewLine, BusinessError> {
    let product = inst
        .setup_product(o.product_id)
        .ok_or_else(|| BusinessError::not_found(format!("product {}", o.product_id)))?;
    check_selected(inst, product)?;
    let line = product.package_line.as_ref().ok_or_else(|| {
        BusinessError::invalid(format!(
            "product {} is not a composed product",
            product.code
        ))
    })?;
    if !product.state.on_sale() {
        return Err(BusinessError::invalid(format!(
            "product {} is not on sale",
            product.code
        )));
    }
    let (cat, price) = priced_category(
        &line.seat_categories,
        &line.prices,
        o.seat_category_id,
        o.audience_sub_category_id,
        || format!("product {}", product.code),
    )?;
    let perfs = &line.performance_ids;
    let first = perfs
        .first()
        .and_then(|p| find_performance(inst, *p))
        .ok_or_else(|| BusinessError::invalid(format!("{} has no performance", product.code)))?;
    let venue_idx = venue_of(inst, first.1)
        .ok_or_else(|| BusinessError::invalid(format!("{} has no venue", product.code)))?;
    for p in perfs {
        let (prod, perf) = find_performance(inst, *p)
            .ok_or_else(|| BusinessError::not_found(format!("performance {p}")))?;
        if !prod.state.on_sale() || !perf.state.on_sale() || perf.start <= now() {
            return Err(BusinessError::invalid(format!(
                "performance {p} of {} is not on sale",
                product.code
            )));
        }
        if venue_of(inst, perf) != Some(venue_idx) {
            return Err(BusinessError::invalid(format!(
                "{} spans several venues",
                product.code
            )));
        }
    }
    let venue = inst
        .venues
        .get(venue_idx)
        .ok_or_else(|| BusinessError::invalid("no venue"))?;
    let mut op = base_op(inst, product, o.audience_sub_category_id, price.amount);
    op.seat_category_id = Some(cat.id);
    op.seat_category = Some(cat.code.clone());
    op.numbered = cat.numbered;
    op.performance_ids = perfs.clone();
    let mut movements = Vec::new();
    if cat.numbered {
        let seats = pick_seats(
            inst,
            venue,
            perfs,
            &cat.code,
            o.quantity,
            o.seat_ids.as_deref(),
        )?;
        for (unit, seat) in seats.into_iter().enumerate() {
            for p in perfs {
                let (mut m, h) = seat_movement(venue, *p, cat.id, &cat.code, seat);
                m.instance_number = unit as u32;
                movements.push((m, h));
            }
        }
    } else {
        let area = pick_standing(inst, venue, perfs, &cat.code, o.quantity)?;
        for unit in 0..o.quantity {
            for p in perfs {
                let (mut m, h) = standing_movement(venue, *p, cat.id, &cat.code, area);
                m.instance_number = unit;
                movements.push((m, h));
            }
        }
    }
    Ok(NewLine {
        op,
        composed: true,
        movements,
    })
}

// ---------------------------------------------------------------------------------------------
// abandonMovements, setMovementContactData

fn abandon_movements(inst: &mut Institution, req: AbandonMovementsRequest) -> MethodResult {
    if req.movement_ids.is_empty() {
        return Err(BusinessError::invalid("movementIds is mandatory"));
    }
    modifiable(inst, req.order_id)?;
    let o = order_ref(inst, req.order_id)?;
    // a unit of a composed product goes as a whole (all its performances)
    let mut drop: HashSet<MovementId> = HashSet::new();
    for id in &req.movement_ids {
        let (line, m) = o
            .lines
            .iter()
            .find_map(|l| {
                l.movements
                    .iter()
                    .find(|m| m.data.movement_id == *id)
                    .map(|m| (l, m))
            })
            .ok_or_else(|| BusinessError::not_found(format!("movement {id} in order {}", o.id)))?;
        if line.composed {
            drop.extend(
                line.movements
                    .iter()
                    .filter(|x| x.data.instance_number == m.data.instance_number)
                    .map(|x| x.data.movement_id),
            );
        } else {
            drop.insert(*id);
        }
    }
    let o = order_mut(inst, req.order_id)?;
    let mut released = Vec::new();
    let mut removed_mvs = Vec::new();
    let mut removed_ops = Vec::new();
    let mut updated_ops = Vec::new();
    for line in &mut o.lines {
        let before = line.movements.len();
        line.movements.retain(|m| {
            if drop.contains(&m.data.movement_id) {
                released.push(m.hold);
                removed_mvs.push(m.data.movement_id);
                false
            } else {
                true
            }
        });
        if line.movements.len() != before {
            line.refresh();
            if line.movements.is_empty() {
                removed_ops.push(line.op.operation_id);
            } else {
                updated_ops.push(line.op.clone());
            }
        }
    }
    o.lines.retain(|l| !l.movements.is_empty());
    invalidate_waiting_payments(o);
    if o.lines.is_empty() {
        o.charges.clear();
    }
    for h in released {
        release(inst, h);
    }
    let data = update_data(
        inst,
        req.order_id,
        updated_ops,
        vec![],
        removed_ops,
        removed_mvs,
    )?;
    ok(OrderUpdateResult {
        order_update_data: Some(data),
    })
}

fn set_contacts(inst: &mut Institution, req: SetMovementContactDataRequest) -> MethodResult {
    if req.movement_contact_data.is_empty() {
        return Err(BusinessError::invalid("movementContactData is mandatory"));
    }
    for (i, c) in req.movement_contact_data.iter().enumerate() {
        let named = c
            .contact
            .first_name
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty())
            && c.contact
                .last_name
                .as_deref()
                .is_some_and(|s| !s.trim().is_empty());
        let numbered = c
            .contact
            .contact_number
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty());
        if !named && !numbered {
            return Err(BusinessError::invalid(format!(
                "movementContactData[{i}]: contactNumber or firstName and lastName is mandatory"
            )));
        }
    }
    check_order_pos(inst, order_ref(inst, req.order_id)?)?;
    let o = order_mut(inst, req.order_id)?;
    if o.state != OrderState::Running {
        return Err(BusinessError::invalid(format!(
            "order {} is {}",
            o.id,
            state_name(o.state)
        )));
    }
    let mut updated = Vec::new();
    for c in &req.movement_contact_data {
        let (li, unit, composed) = o
            .lines
            .iter()
            .enumerate()
            .find_map(|(li, l)| {
                l.movements
                    .iter()
                    .find(|m| m.data.movement_id == c.movement_id)
                    .map(|m| (li, m.data.instance_number, l.composed))
            })
            .ok_or_else(|| {
                BusinessError::not_found(format!("movement {} in order {}", c.movement_id, o.id))
            })?;
        if let Some(line) = o.lines.get_mut(li) {
            // the holder of a season ticket holds it for every performance
            for m in line.movements.iter_mut().filter(|m| {
                m.data.movement_id == c.movement_id || (composed && m.data.instance_number == unit)
            }) {
                m.data.contact_data = Some(c.contact.clone());
                updated.push(m.data.clone());
            }
        }
    }
    let data = update_data(inst, req.order_id, vec![], updated, vec![], vec![])?;
    ok(OrderUpdateResult {
        order_update_data: Some(data),
    })
}

// ---------------------------------------------------------------------------------------------
// getOrderDetails, closeOrder, notifyOrder, reopenOrder

pub fn details(inst: &Institution, o: &Order, gran: Granularity) -> OrderDetailsData {
    let movements = if gran == Granularity::Operations {
        vec![]
    } else {
        o.movements().map(|m| m.data.clone()).collect()
    };
    OrderDetailsData {
        order_id: o.id,
        order_secret_id: o.secret.clone(),
        order_type: o.order_type,
        order_state: o.state,
        payment_state: o.payment_state,
        creation_date_time: o.created,
        expiration_date: (o.state == OrderState::Running && !o.payment_frozen())
            .then_some(o.expires),
        close_date_time: o.closed_at,
        sale_amount: o.sale_amount(),
        products_amount: o.products_amount(),
        charges_amount: o.charges_amount(),
        pre_sale_amount: Amount::ZERO,
        reservation_amount: Amount::ZERO,
        option_amount: Amount::ZERO,
        waiting_account_balance_amount: o.waiting_account,
        currency: inst.pos.institution_currency.clone(),
        purchaser_contact_number: o.purchaser.clone(),
        operation_datas: o.lines.iter().map(|l| l.op.clone()).collect(),
        charges: o.charges.clone(),
        movements,
        payments: o.payments.iter().map(|p| p.data.clone()).collect(),
        tickets: if gran == Granularity::Tickets {
            order_tickets(inst, o)
        } else {
            vec![]
        },
    }
}

fn get_details(inst: &Institution, req: GetOrderDetailsRequest) -> MethodResult {
    let o = order_ref(inst, req.order_id)?;
    ok(OrderDetailResult {
        order_details_data: Some(details(inst, o, req.granularity.unwrap_or_default())),
    })
}

fn order_result(inst: &Institution, id: OrderId) -> MethodResult {
    let o = order_ref(inst, id)?;
    ok(CloseOrderResult {
        order_data: Some(details(inst, o, Granularity::Tickets)),
    })
}

/// What must hold before an order may be paid or closed.
fn check_closable(inst: &Institution, o: &Order) -> Result<(), BusinessError> {
    if o.lines.is_empty() {
        return Err(BusinessError::invalid(format!("order {} is empty", o.id)));
    }
    check_tariff_rules(inst, o.lines.iter().map(|l| &l.op.audience_sub_category_id))?;
    for l in &o.lines {
        let required = inst
            .pos
            .product_families
            .iter()
            .any(|f| f.product_family_type == l.op.product_family_type && f.contact_required);
        if let Some(m) = l
            .movements
            .iter()
            .find(|m| required && m.data.contact_data.is_none())
        {
            return Err(BusinessError::invalid(format!(
                "movement {} ({}) needs a holder: call setMovementContactData first",
                m.data.movement_id, l.op.product_code
            )));
        }
    }
    Ok(())
}

/// The order's tickets, as the ticket registry holds them now.
fn order_tickets(inst: &Institution, o: &Order) -> Vec<OrderTicket> {
    let ops: HashMap<MovementId, OperationId> = o
        .movements()
        .map(|m| (m.data.movement_id, m.data.operation_id))
        .collect();
    inst.tickets
        .of_order(o.id.0)
        .filter_map(|t| {
            let movement_id = MovementId(t.info.movement_id);
            Some(OrderTicket {
                movement_id,
                operation_id: *ops.get(&movement_id)?,
                performance_id: t.info.performance_id,
                barcode: o.with_barcodes.then(|| t.barcode.clone()),
                tax_number: t.tax_number.clone(),
                ticket_state: serde_json::to_value(t.state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// What the ticket registry needs to know about one movement.
fn new_ticket(inst: &Institution, o: &Order, line: &Line, m: &Movement) -> NewTicket {
    let lang = main_language(inst);
    let season_code = inst
        .setup_catalog()
        .seasons
        .iter()
        .find(|s| s.products.iter().any(|p| p.id == line.op.product_id))
        .map(|s| s.code.clone())
        .unwrap_or_default();
    let perf = m
        .data
        .performance_id
        .and_then(|p| find_performance(inst, p));
    let cat_name = m.data.seat_category_id.and_then(|c| {
        perf.and_then(|(_, p)| p.seat_categories.iter().find(|x| x.id == c))
            .map(|x| x.external_name.best(&lang, &lang).to_string())
    });
    let aud = inst
        .catalog
        .seasons
        .iter()
        .flat_map(|s| s.audience_categories.iter())
        .flat_map(|c| c.audience_sub_categories.iter())
        .find(|a| a.id == line.op.audience_sub_category_id);
    let holder = m.data.contact_data.as_ref().and_then(|c| {
        match (c.first_name.as_deref(), c.last_name.as_deref()) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            _ => c.contact_number.clone(),
        }
    });
    let holder_data = m
        .data
        .contact_data
        .as_ref()
        .map(|c| ticket_holder(inst, c))
        .unwrap_or_default();
    let (validity_start, validity_end) = match (line.op.performance_start, line.op.timeslot_id) {
        (Some(start), Some(ts)) => {
            let dur = inst
                .setup_catalog()
                .products()
                .filter_map(|p| p.pass.as_ref())
                .flat_map(|p| p.timeslots.iter())
                .find(|s| s.id == ts)
                .map_or(0, |s| s.duration);
            (Some(start), Some(start + chrono::Duration::seconds(dur)))
        }
        _ => {
            let days = inst
                .setup_product(line.op.product_id)
                .and_then(|p| p.pass.as_ref())
                .and_then(|p| p.validity_days);
            match days {
                Some(d) => (Some(now()), Some(now() + chrono::Duration::days(d as i64))),
                None => (None, None),
            }
        }
    };
    NewTicket {
        order_id: o.id.0,
        movement_id: m.data.movement_id.0,
        contact_number: m
            .data
            .contact_data
            .as_ref()
            .and_then(|c| c.contact_number.clone())
            .or_else(|| o.purchaser.clone()),
        season_code,
        product_id: line.op.product_id,
        product_code: line.op.product_code.clone(),
        product_name: line.op.product.clone(),
        performance_id: m.data.performance_id,
        performance_code: perf.map(|(_, p)| p.code.clone()),
        performance_start: perf.map(|(_, p)| p.start).or(line.op.performance_start),
        seat_category_code: m.data.seat_category.clone(),
        seat_category_name: cat_name,
        audience_sub_category_code: line.op.audience_sub_category.clone(),
        audience_sub_category_name: aud
            .map(|a| a.external_name.best(&lang, &lang).to_string())
            .unwrap_or_default(),
        reduced_price: aud.is_some_and(|a| {
            a.audience_category_kind != s360::model::catalog::AudienceCategoryKind::Full
        }),
        price: line.op.unit_price,
        seat: TicketSeat {
            area_code: m.data.area_code.clone(),
            block_code: m.data.block_code.clone(),
            row: m.data.row_number.clone(),
            number: m.data.seat_number.clone(),
        },
        entrance_code: m.data.entrance_code.clone(),
        holder_name: holder,
        holder: holder_data,
        validity_start,
        validity_end,
    }
}

/// The holder of a movement as the access-control lists give it: the names and birth date
/// the order set on the movement, completed by the contact it names (names, country); the
/// contact data of S-360 has no identity document number, so ID_NUMBER stays unknown. A
/// movement without a holder has none (the purchaser is not taken for the holder).
fn ticket_holder(inst: &Institution, c: &MovementContact) -> TicketHolder {
    fn filled(s: &Option<String>) -> Option<&str> {
        s.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    let contact = c
        .contact_number
        .as_deref()
        .and_then(|n| inst.contacts.get(n))
        .filter(|k| k.is_active())
        .map(|k| k.individual());
    let name = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string);
    TicketHolder {
        first_name: filled(&c.first_name)
            .map(str::to_string)
            .or_else(|| contact.as_ref().and_then(|k| name(&k.individual_firstname))),
        last_name: filled(&c.last_name)
            .map(str::to_string)
            .or_else(|| contact.as_ref().and_then(|k| name(&k.individual_lastname))),
        id_number: None,
        birth_date: filled(&c.birth_date)
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
        country_code: contact
            .as_ref()
            .and_then(|k| filled(&k.country_code))
            .map(str::to_string),
    }
}

/// RUNNING → CLOSED: seats become sold, tickets are issued, the webhook fires.
fn finalize(sb: &Sandbox, inst: &mut Institution, id: OrderId, barcodes: bool) {
    let Some(mut o) = inst.orders.orders.remove(&id) else {
        return;
    };
    o.state = OrderState::Closed;
    o.closed_at = Some(now());
    o.with_barcodes = barcodes;
    let mut issued = Vec::new();
    for l in &o.lines {
        for m in &l.movements {
            if let Hold::Seat { perf, seat, .. } = m.hold {
                inst.orders.seats.insert((perf, seat), SeatUse::Sold(id));
            }
            issued.push(new_ticket(inst, &o, l, m));
        }
    }
    for t in issued {
        inst.tickets.issue(t);
    }
    inst.orders.running.remove(&id);
    sb.emit_webhook(inst, &o);
    inst.orders.orders.insert(id, o);
}

/// RUNNING → ABANDONNED: the stock goes back, the webhook fires.
fn abandon(sb: &Sandbox, inst: &mut Institution, id: OrderId) {
    let Some(o) = inst.orders.orders.get_mut(&id) else {
        return;
    };
    if o.state != OrderState::Running {
        return;
    }
    o.state = OrderState::Abandonned;
    for p in &mut o.payments {
        if p.data.payment_state == PaymentState::Waiting {
            p.data.payment_state = PaymentState::Abandoned;
        }
    }
    if o.payment_state == PaymentState::Waiting {
        o.payment_state = PaymentState::Abandoned;
    }
    let holds: Vec<Hold> = o.movements().map(|m| m.hold).collect();
    for h in holds {
        release(inst, h);
    }
    inst.orders.running.remove(&id);
    if let Some(o) = inst.orders.orders.get(&id) {
        sb.emit_webhook(inst, o);
    }
}

fn close_order(sb: &Sandbox, inst: &mut Institution, req: CloseOrderRequest) -> MethodResult {
    let o = order_ref(inst, req.order_id)?;
    check_order_pos(inst, o)?;
    match o.state {
        // closing twice answers the same order, without a second sale
        OrderState::Closed => return order_result(inst, req.order_id),
        OrderState::Abandonned => {
            return Err(BusinessError::invalid(format!(
                "order {} is ABANDONNED",
                o.id
            )))
        }
        OrderState::Running => {}
    }
    if o.payment_state == PaymentState::InProgress {
        return Err(BusinessError::invalid(format!(
            "order {} has a payment in progress: wait for it and call notifyOrder",
            o.id
        )));
    }
    check_closable(inst, o)?;
    let already_paid = o.payment_state == PaymentState::Paid;
    let sale = o.sale_amount();
    // a reseller's channel is paid by the reseller, on the pending account (seed 000)
    if req.payments.is_empty() && !already_paid && sale.0 != 0 && inst.active().is_some() {
        return Err(BusinessError::invalid(format!(
            "payments is mandatory on point of sale {}: pay the order's saleAmount {} with its PENDING_ACCOUNT method",
            inst.pos.pos_code, sale.0
        )));
    }
    let mut new_payments = Vec::new();
    let mut waiting = Amount::ZERO;
    if !req.payments.is_empty() {
        if already_paid {
            return Err(BusinessError::invalid(format!(
                "order {} is already paid",
                o.id
            )));
        }
        let sum: i64 = req.payments.iter().map(|p| p.amount.0).sum();
        if sum != sale.0 {
            return Err(BusinessError::invalid(format!(
                "payments add up to {sum}, the order's saleAmount is {}",
                sale.0
            )));
        }
        for (i, p) in req.payments.iter().enumerate() {
            let method = inst
                .pos
                .payment_methods
                .iter()
                .find(|m| m.id == p.payment_method_id && m.for_payment)
                .ok_or_else(|| {
                    BusinessError::invalid(format!(
                        "payments[{i}].paymentMethodId {} is not a payment method of this point of sale",
                        p.payment_method_id
                    ))
                })?;
            let pending = method.payment_type == "PENDING_ACCOUNT";
            if pending {
                waiting = Amount(waiting.0 + p.amount.0);
            }
            new_payments.push((p.clone(), pending));
        }
    }
    let mut ids = Vec::new();
    for _ in &new_payments {
        ids.push(PaymentId(inst.orders.next_id()));
    }
    let o = order_mut(inst, req.order_id)?;
    for p in &mut o.payments {
        if p.data.payment_state == PaymentState::Waiting {
            p.data.payment_state = PaymentState::Abandoned;
        }
    }
    for ((p, pending), id) in new_payments.into_iter().zip(ids) {
        o.payments.push(Payment {
            data: PaymentData {
                payment_id: id,
                payment_method_id: p.payment_method_id,
                amount: p.amount,
                payment_state: if pending {
                    PaymentState::Waiting
                } else {
                    PaymentState::Paid
                },
                transaction_id: None,
                identification: None,
            },
            order_identifier: String::new(),
            return_url: String::new(),
            notify_url: None,
        });
    }
    o.waiting_account = waiting;
    // OUR DESIGN: without payments the money was taken outside S-360
    o.payment_state = if waiting.0 > 0 {
        PaymentState::Waiting
    } else {
        PaymentState::Paid
    };
    if let Some(c) = req.purchaser_info {
        o.purchaser = Some(c.contact_reference);
    }
    finalize(
        sb,
        inst,
        req.order_id,
        req.generate_bar_codes.unwrap_or(true),
    );
    if waiting.0 > 0 {
        let closed = order_ref(inst, req.order_id)?.closed_at.unwrap_or_else(now);
        crate::pending::record(inst, req.order_id, waiting, closed);
    }
    order_result(inst, req.order_id)
}

fn notify_order(sb: &Sandbox, inst: &mut Institution, req: NotifyOrderRequest) -> MethodResult {
    let o = order_ref(inst, req.order_id)?;
    check_order_pos(inst, o)?;
    let payment = o
        .payments
        .iter()
        .find(|p| p.data.payment_id == req.payment_id)
        .ok_or_else(|| {
            BusinessError::not_found(format!("payment {} of order {}", req.payment_id, o.id))
        })?;
    let pstate = payment.data.payment_state;
    match (req.status, o.state) {
        (NotifyStatus::Success, OrderState::Closed)
        | (NotifyStatus::Failure, OrderState::Abandonned) => order_result(inst, req.order_id),
        (NotifyStatus::Success, OrderState::Abandonned) => Err(BusinessError::invalid(format!(
            "order {} is ABANDONNED",
            o.id
        ))),
        (NotifyStatus::Failure, OrderState::Closed) => {
            Err(BusinessError::invalid(format!("order {} is CLOSED", o.id)))
        }
        (NotifyStatus::Success, OrderState::Running) => {
            if pstate != PaymentState::Paid {
                return Err(BusinessError::invalid(format!(
                    "payment {} is {pstate:?}, not PAID: the order cannot be finalised",
                    req.payment_id
                )));
            }
            check_closable(inst, o)?;
            finalize(sb, inst, req.order_id, true);
            order_result(inst, req.order_id)
        }
        (NotifyStatus::Failure, OrderState::Running) => {
            if matches!(pstate, PaymentState::Paid | PaymentState::InProgress) {
                return Err(BusinessError::invalid(format!(
                    "payment {} is {pstate:?}: the order cannot be abandoned",
                    req.payment_id
                )));
            }
            if let Some(o) = inst.orders.orders.get_mut(&req.order_id) {
                o.payment_state = if pstate == PaymentState::Waiting {
                    PaymentState::Abandoned
                } else {
                    pstate
                };
            }
            abandon(sb, inst, req.order_id);
            order_result(inst, req.order_id)
        }
    }
}

fn reopen(inst: &mut Institution, req: ReopenOrderRequest) -> MethodResult {
    let o = order_ref(inst, req.order_id)?;
    check_order_pos(inst, o)?;
    if o.state != OrderState::Abandonned {
        return Err(BusinessError::invalid(format!(
            "order {} is {}: only an ABANDONNED order can be reopened",
            o.id,
            state_name(o.state)
        )));
    }
    if o.payments
        .iter()
        .any(|p| p.data.payment_state == PaymentState::Paid)
    {
        return Err(BusinessError::invalid(format!("order {} was paid", o.id)));
    }
    let holds: Vec<Hold> = o.movements().map(|m| m.hold).collect();
    acquire_all(inst, req.order_id, &holds)
        .map_err(|e| availability(format!("order {} cannot be reopened: {e}", req.order_id)))?;
    let delay = chrono::Duration::seconds(inst.pos.order_abandon_delay.max(1));
    let o = order_mut(inst, req.order_id)?;
    o.state = OrderState::Running;
    o.payment_state = PaymentState::Waiting;
    o.expires = now() + delay;
    inst.orders.running.insert(req.order_id);
    order_result(inst, req.order_id)
}

// ---------------------------------------------------------------------------------------------
// createPaymentsAndCloseOrder

fn is_http_url(s: &str) -> bool {
    (s.starts_with("http://") || s.starts_with("https://"))
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn create_payments(
    inst: &mut Institution,
    req: CreatePaymentsAndCloseOrderRequest,
) -> MethodResult {
    let map = &req.payment_params.payment_parameters_map;
    let identifier = map
        .get(ORDER_IDENTIFIER)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| {
            BusinessError::invalid(
                "paymentParams.paymentParametersMap.ORDER_IDENTIFIER is mandatory",
            )
        })?
        .clone();
    let return_url = map
        .get(RETURN_URL)
        .filter(|s| is_http_url(s))
        .ok_or_else(|| {
            BusinessError::invalid(
                "paymentParams.paymentParametersMap.RETURN_URL is mandatory (an http(s) URL)",
            )
        })?
        .clone();
    let notify_url = match map.get(NOTIFY_URL) {
        Some(u) if is_http_url(u) => Some(u.clone()),
        Some(_) => {
            return Err(BusinessError::invalid(
                "paymentParams.paymentParametersMap.NOTIFY_URL must be an http(s) URL",
            ))
        }
        None => None,
    };
    let o = order_ref(inst, req.order_id)?;
    check_order_pos(inst, o)?;
    if o.state != OrderState::Running {
        return Err(BusinessError::invalid(format!(
            "order {} is {}",
            o.id,
            state_name(o.state)
        )));
    }
    // the same call again (a retry) gets the same payment
    if let Some(p) = o.payments.iter().rev().find(|p| {
        p.data.payment_state == PaymentState::Waiting
            && p.data.transaction_id.is_some()
            && p.order_identifier == identifier
    }) {
        return ok(payment_result(&p.data));
    }
    if o.payment_frozen() {
        return Err(BusinessError::invalid(format!(
            "order {} already has a payment {:?}",
            o.id, o.payment_state
        )));
    }
    check_closable(inst, o)?;
    let sale = o.sale_amount();
    if sale.0 <= 0 {
        return Err(BusinessError::invalid(format!(
            "order {} has nothing to pay: use closeOrder",
            o.id
        )));
    }
    let [p] = req.payments.as_slice() else {
        return Err(BusinessError::invalid(
            "payments must hold exactly one payment for the widget",
        ));
    };
    if p.amount != sale {
        return Err(BusinessError::invalid(format!(
            "payments[0].amount is {}, the order's saleAmount is {}",
            p.amount.0, sale.0
        )));
    }
    if !inst
        .pos
        .payment_methods
        .iter()
        .any(|m| m.id == p.payment_method_id && m.for_payment && m.payment_type == "CREDIT_CARD")
    {
        return Err(BusinessError::invalid(format!(
            "payments[0].paymentMethodId {} is not a card method of this point of sale",
            p.payment_method_id
        )));
    }
    let payment_id = PaymentId(inst.orders.next_id());
    let tid = format!("{}-{}", inst.code, random_hex(32));
    let data = PaymentData {
        payment_id,
        payment_method_id: p.payment_method_id,
        amount: p.amount,
        payment_state: PaymentState::Waiting,
        transaction_id: Some(tid.clone()),
        identification: Some(format!("SPAY{:012}", rand::random_range(0..10u64.pow(12)))),
    };
    let result = payment_result(&data);
    inst.orders.transactions.insert(tid, req.order_id);
    let o = order_mut(inst, req.order_id)?;
    invalidate_waiting_payments(o);
    if let Some(c) = req.purchasers_info.first() {
        o.purchaser = Some(c.contact_reference.clone());
    }
    o.payments.push(Payment {
        data,
        order_identifier: identifier,
        return_url,
        notify_url,
    });
    ok(result)
}

fn payment_result(p: &PaymentData) -> CreatePaymentsResult {
    CreatePaymentsResult {
        payment_id: Some(p.payment_id),
        identification: p.identification.clone(),
        transaction_id: p.transaction_id.clone(),
        payment_page_path: p.transaction_id.as_ref().map(|t| format!("/epc/pay/{t}")),
    }
}

/// What the payment page does with a transaction (used by `epc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardOutcome {
    Paid,
    Refused,
    Pending,
    Cancelled,
    /// 3-D Secure: the bank authenticates the buyer before S-360 hears of the payment. The
    /// payment is IN_PROGRESS at S-PAY but the order's `paymentState` stays WAITING, so its hold
    /// keeps counting and may expire before the money is taken (order ABANDONNED, payment PAID).
    Authenticating,
}

/// Applies an outcome to the payment of `tid` if it is still WAITING on a running order.
/// Returns the notification to send, or the current state when nothing changed.
pub fn apply_outcome(
    inst: &mut Institution,
    tid: &str,
    outcome: CardOutcome,
) -> Result<PaymentNotification, PaymentState> {
    let order_id = *inst
        .orders
        .transactions
        .get(tid)
        .ok_or(PaymentState::Abandoned)?;
    let o = inst
        .orders
        .orders
        .get_mut(&order_id)
        .ok_or(PaymentState::Abandoned)?;
    let running = o.state == OrderState::Running;
    let p = o
        .payments
        .iter_mut()
        .find(|p| p.data.transaction_id.as_deref() == Some(tid))
        .ok_or(PaymentState::Abandoned)?;
    let current = p.data.payment_state;
    let allowed = match outcome {
        // an IN_PROGRESS payment settles even if the order was released meanwhile (only
        // possible after `Authenticating`: a frozen hold never expires)
        CardOutcome::Paid => {
            current == PaymentState::InProgress || (current == PaymentState::Waiting && running)
        }
        _ => current == PaymentState::Waiting && running,
    };
    if !allowed {
        return Err(current);
    }
    let (state, status) = match outcome {
        CardOutcome::Paid => (PaymentState::Paid, "success"),
        CardOutcome::Refused => (PaymentState::Failed, "refused"),
        CardOutcome::Pending | CardOutcome::Authenticating => (PaymentState::InProgress, "pending"),
        CardOutcome::Cancelled => (PaymentState::CancelledByUser, "cancelled"),
    };
    p.data.payment_state = state;
    let n = PaymentNotification {
        order_id,
        payment_id: p.data.payment_id,
        transaction_id: tid.to_string(),
        status: status.into(),
    };
    // S-360 does not know of a payment still being authenticated: the order's state (and so
    // its hold) is left alone
    if outcome != CardOutcome::Authenticating {
        o.payment_state = state;
    }
    Ok(n)
}

/// The payment of a transaction, with its order's amount and state.
pub fn transaction(inst: &Institution, tid: &str) -> Option<(Payment, OrderState)> {
    let order_id = inst.orders.transactions.get(tid)?;
    let o = inst.orders.orders.get(order_id)?;
    let p = o
        .payments
        .iter()
        .find(|p| p.data.transaction_id.as_deref() == Some(tid))?;
    Some((p.clone(), o.state))
}

/// The seat category a line asks for and its price for the tariff, from a performance's or a
/// composed product's categories and prices; `owner` names them in the error.
fn priced_category<'a>(
    categories: &'a [s360::model::catalog::SeatCategory],
    prices: &'a [s360::model::catalog::Price],
    seat_category_id: SeatCategoryId,
    tariff: AudienceSubCategoryId,
    owner: impl Fn() -> String,
) -> Result<
    (
        &'a s360::model::catalog::SeatCategory,
        &'a s360::model::catalog::Price,
    ),
    BusinessError,
> {
    let cat = categories
        .iter()
        .find(|c| c.id == seat_category_id)
        .ok_or_else(|| {
            BusinessError::not_found(format!("seat category {seat_category_id} of {}", owner()))
        })?;
    let price = prices
        .iter()
        .find(|p| p.seat_cat_id == cat.id && p.aud_sub_cat_id == tariff)
        .ok_or_else(|| {
            BusinessError::invalid(format!(
                "no price for tariff {tariff} in seat category {}",
                cat.code
            ))
        })?;
    Ok((cat, price))
}
