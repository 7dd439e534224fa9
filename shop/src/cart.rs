//! The cart: the buyer's running S-360 order, its id kept in the session.

use s360::model::order::*;
use s360::PerformanceId;

use rust_i18n::t;
use s360::client::{CatalogSnapshot, Error as S360Error};
use s360::{AudienceSubCategoryId, ProductId, SeatCategoryId};

use crate::context::Ctx;
use crate::describe::{lines_of, performance, snapshot, when};
use crate::error::Error;
use crate::model::*;
use crate::seatmap::{forget_seat_map, has_seat_map, seat_operations, taken_error};
use crate::session::BuyerSession;
use crate::tenant::Tenant;

/// Holds the expired cart's tickets again (`reopenOrder`: the same seats and places, or nothing
/// when one of them is gone), and makes it the buyer's cart.
pub async fn reopen_expired(cx: &Ctx) -> Result<(), Error> {
    let (tenant, session) = (&*cx.tenant, &cx.session);
    let Some(id) = session.expired_order().await else {
        return Err(Error::ReopenGone);
    };
    let client = tenant.catalog.client();
    let gone = || async {
        session.forget_expired_order().await;
        Err(Error::ReopenGone)
    };
    match client.reopen_order(id).await {
        Ok(d) if d.order_state == OrderState::Running => {
            session.set_cart(id).await?;
            // the seat maps show these seats taken again
            let held: Vec<MovementId> = d.movements.iter().map(|m| m.movement_id).collect();
            seats_released(tenant, &d, &held).await;
            Ok(())
        }
        Ok(_) | Err(S360Error::Availability(_)) | Err(S360Error::NotFound(_)) => gone().await,
        Err(S360Error::Other(_, _)) => gone().await,
        Err(e) => Err(Error::from(e)),
    }
}

/// How the buyer chose their places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeatChoice {
    /// `quantity` places of a seat category, placed by S-360: best available seats, or room
    /// on a standing area.
    BestAvailable {
        seat_category_id: i64,
        quantity: u32,
    },
    /// These seats, chosen on the seat map (their categories come from the map).
    Seats(Vec<i64>),
}

type HeldByClient = std::collections::HashMap<
    std::net::IpAddr,
    std::collections::VecDeque<(std::time::Instant, u32)>,
>;

/// Places held per client address: at most `places` in any `window` (a buyer holds a cart or
/// two; 15 anonymous sessions holding 150 seats in 2 s is hoarding). Counted when S-360 is
/// asked to hold, whatever happens to the cart afterwards, so releasing and holding again in a
/// loop counts too. `places == 0` turns it off (a deployment whose proxy limits per client
/// and hides the client address).
#[derive(Debug)]
pub struct HoldLimiter {
    pub places: u32,
    pub window: std::time::Duration,
    held: std::sync::Mutex<HeldByClient>,
}

impl HoldLimiter {
    pub fn new(places: u32, window: std::time::Duration) -> Self {
        HoldLimiter {
            places,
            window,
            held: Default::default(),
        }
    }

    /// Whether `client` may hold `places` more now; if so, they are counted.
    pub fn allow(&self, client: std::net::IpAddr, places: u32) -> bool {
        if self.places == 0 {
            return true;
        }
        let now = std::time::Instant::now();
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if held.len() > 100_000 {
            held.retain(|_, q| {
                q.back()
                    .is_some_and(|(t, _)| now.duration_since(*t) < self.window)
            });
        }
        let q = held.entry(client).or_default();
        while q
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) >= self.window)
        {
            q.pop_front();
        }
        let so_far: u32 = q.iter().map(|(_, n)| n).sum();
        if so_far.saturating_add(places) > self.places {
            return false;
        }
        q.push_back((now, places));
        true
    }
}

impl Default for HoldLimiter {
    fn default() -> Self {
        HoldLimiter::new(60, std::time::Duration::from_secs(600))
    }
}

/// Refuses a hold of `places` when the requesting client already holds too many (see
/// [`HoldLimiter`]); requests without a known client address (tests calling services
/// directly) are not limited.
pub(crate) fn check_holds(cx: &Ctx, places: u32) -> Result<(), Error> {
    match cx.client {
        Some(ip) if !cx.tenant.holds.allow(ip, places) => {
            tracing::warn!(tenant = %cx.tenant.code, client = %ip, places, "hold refused (too many held)");
            Err(Error::TooManyHolds)
        }
        _ => Ok(()),
    }
}

/// Adds tickets for one performance in one tariff, placed as the buyer chose, to the cart.
pub async fn add_to_cart(
    cx: &Ctx,
    performance_id: i64,
    tariff_id: i64,
    choice: SeatChoice,
) -> Result<(), Error> {
    let (tenant, session) = (&*cx.tenant, &cx.session);
    let snap = snapshot(tenant)?;
    let max = snap.pos.max_seats_per_performance;
    let (product, perf) = snap
        .catalog
        .products()
        .filter(|p| p.state.on_sale())
        .flat_map(|p| {
            p.event
                .iter()
                .flat_map(move |e| e.performances.iter().map(move |f| (p, f)))
        })
        .find(|(_, f)| f.id == PerformanceId(performance_id) && f.state.on_sale())
        .ok_or(Error::NotOnSale)?;
    let tariff = AudienceSubCategoryId(tariff_id);
    let operations = match &choice {
        SeatChoice::BestAvailable {
            seat_category_id,
            quantity,
        } => {
            if *quantity == 0 || *quantity > max {
                return Err(Error::Quantity { max });
            }
            let priced = perf.prices.iter().any(|p| {
                p.seat_cat_id == SeatCategoryId(*seat_category_id) && p.aud_sub_cat_id == tariff
            });
            if !priced {
                return Err(Error::Tariff);
            }
            vec![SingleEntryOperation {
                performance_id: perf.id,
                seat_category_id: SeatCategoryId(*seat_category_id),
                audience_sub_category_id: tariff,
                quantity: *quantity,
                contingent_id: None,
                price_level_id: None,
                seat_ids: None,
            }]
        }
        SeatChoice::Seats(ids) => {
            seat_operations(tenant, &snap, product, perf, tariff, ids).await?
        }
    };
    check_holds(cx, operations.iter().map(|o| o.quantity).sum())?;
    let client = tenant.catalog.client();
    // a cart that expired or was paid cannot take more items: a new one starts
    let order_id = usable_order(tenant, session).await?.map(|d| d.order_id);
    let req = CreateOrUpdateOrderRequest {
        point_of_sales_id: Some(snap.pos.pos_id),
        order_id,
        single_entry_operations: operations,
        ..Default::default()
    };
    let updated = match client.create_or_update_order(&req).await {
        Ok(u) => u,
        Err(e) => {
            return Err(match (&choice, e) {
                // name the seats someone else took meanwhile
                (SeatChoice::Seats(ids), S360Error::Availability(_)) => {
                    taken_error(tenant, &snap, product, perf.id, ids, cx.locale()).await
                }
                (_, e) => Error::from(e),
            });
        }
    };
    // the seat map shows these seats taken from now on, every page counts them at once
    if has_seat_map(&snap, perf) {
        forget_seat_map(tenant, &snap, perf.id).await;
    }
    places_changed(tenant, &snap, &[product.id], &[perf.id]).await;
    session.set_cart(updated.order_id).await
}

pub async fn cart_view(cx: &Ctx) -> Result<CartView, Error> {
    let (tenant, session, locale) = (&*cx.tenant, &cx.session, cx.locale());
    let snap = snapshot(tenant)?;
    let shop = cx.shop_info(&snap);
    let expired = session.cart_expired().await;
    let can_reopen = session.expired_order().await.is_some();
    let empty = |expired: bool| CartView {
        shop: shop.clone(),
        order_id: None,
        lines: vec![],
        fees: vec![],
        total: s360::Amount::ZERO.format(&snap.pos.institution_currency, locale),
        hold_left_ms: None,
        expired,
        paying: false,
        can_reopen: expired && can_reopen,
    };
    let Some(order_id) = session.cart().await else {
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
        Err(e) => return Err(Error::from(e)),
    };
    if d.order_state != OrderState::Running {
        // released at the end of its hold, unpaid (S-360 marks its payment state ABANDONED)
        if d.order_state == OrderState::Abandonned
            && !matches!(
                d.payment_state,
                PaymentState::Paid | PaymentState::InProgress
            )
        {
            session.mark_expired(order_id).await?;
            session.forget_cart().await;
            return Ok(CartView {
                can_reopen: true,
                ..empty(true)
            });
        }
        session.forget_cart().await;
        return Ok(empty(expired));
    }
    Ok(CartView {
        shop,
        order_id: Some(order_id.0),
        lines: cart_lines(tenant, &d, &snap, locale),
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
        hold_left_ms: d
            .expiration_date
            .map(|e| e.timestamp_millis() - chrono::Utc::now().timestamp_millis()),
        expired: false,
        paying: matches!(
            d.payment_state,
            PaymentState::InProgress | PaymentState::Paid
        ),
        can_reopen: false,
    })
}

/// The buyer's cart order with its movements; `missing` when the session has no cart.
pub(crate) async fn cart_movements(cx: &Ctx, missing: Error) -> Result<OrderDetailsData, Error> {
    let order_id = cx.session.cart().await.ok_or(missing)?;
    Ok(cx
        .tenant
        .catalog
        .client()
        .get_order_details(order_id, Some(Granularity::Movements))
        .await?)
}

pub async fn remove_from_cart(cx: &Ctx, movement_ids: Vec<i64>) -> Result<(), Error> {
    let tenant = &*cx.tenant;
    let d = cart_movements(cx, Error::CartEmpty).await?;
    let released: Vec<MovementId> = movement_ids.into_iter().map(MovementId).collect();
    tenant
        .catalog
        .client()
        .abandon_movements(d.order_id, released.clone())
        .await?;
    seats_released(tenant, &d, &released).await;
    Ok(())
}

/// The seat maps of the performances whose seats were just released (or held again) show it,
/// and every page that counts places counts them again (without waiting for the next
/// availability poll).
async fn seats_released(tenant: &Tenant, d: &OrderDetailsData, released: &[MovementId]) {
    let Ok(snap) = snapshot(tenant) else { return };
    let mine: Vec<&MovementData> = d
        .movements
        .iter()
        .filter(|m| released.contains(&m.movement_id))
        .collect();
    let mut seated: Vec<PerformanceId> = mine
        .iter()
        .filter(|m| m.seat_id.is_some())
        .filter_map(|m| m.performance_id)
        .collect();
    seated.sort_by_key(|p| p.0);
    seated.dedup();
    for p in seated {
        forget_seat_map(tenant, &snap, p).await;
    }
    let perfs: Vec<PerformanceId> = mine.iter().filter_map(|m| m.performance_id).collect();
    let products: Vec<ProductId> = d
        .operation_datas
        .iter()
        .filter(|o| mine.iter().any(|m| m.operation_id == o.operation_id))
        .map(|o| o.product_id)
        .collect();
    places_changed(tenant, &snap, &products, &perfs).await;
}

/// This shop just held or released places of `products` (and of `perfs`): their cached
/// availability is forgotten, with that of every product sharing those performances (an event
/// and the season tickets that include its performances), so the programme's cards, the day
/// and slot pages and the performance's categories count them again at once.
pub(crate) async fn places_changed(
    tenant: &Tenant,
    snap: &CatalogSnapshot,
    products: &[ProductId],
    perfs: &[PerformanceId],
) {
    let affected: Vec<ProductId> = snap
        .catalog
        .products()
        .filter(|p| {
            products.contains(&p.id)
                || p.event
                    .iter()
                    .flat_map(|e| e.performances.iter())
                    .any(|f| perfs.contains(&f.id))
                || p.package_line
                    .iter()
                    .flat_map(|l| l.performance_ids.iter())
                    .any(|f| perfs.contains(f))
        })
        .map(|p| p.id)
        .collect();
    tenant.availability(snap).forget(&affected).await;
}

/// Keeps `units` of one cart line (the line's movements, as the cart page lists them) and
/// releases the others, the last ones first. A season ticket's unit is all its performances.
pub async fn reduce_line(cx: &Ctx, movement_ids: Vec<i64>, units: u32) -> Result<(), Error> {
    let tenant = &*cx.tenant;
    let d = cart_movements(cx, Error::CartEmpty).await?;
    let (order_id, client) = (d.order_id, tenant.catalog.client());
    let mine: Vec<&MovementData> = d
        .movements
        .iter()
        .filter(|m| movement_ids.contains(&m.movement_id.0))
        .collect();
    let op = mine.first().map(|m| m.operation_id);
    if mine.is_empty()
        || mine.len() != movement_ids.len()
        || mine.iter().any(|m| Some(m.operation_id) != op)
    {
        return Err(Error::LineGone);
    }
    let composed = d
        .operation_datas
        .iter()
        .find(|o| Some(o.operation_id) == op)
        .is_some_and(|o| !o.performance_ids.is_empty());
    // the line's units in order: one movement each, or a season ticket's movements together
    let mut groups: Vec<Vec<MovementId>> = Vec::new();
    let mut keys: Vec<u32> = Vec::new();
    for (i, m) in mine.iter().enumerate() {
        let key = if composed {
            m.instance_number
        } else {
            i as u32
        };
        match keys.iter().position(|k| *k == key) {
            Some(at) => groups[at].push(m.movement_id),
            None => {
                keys.push(key);
                groups.push(vec![m.movement_id]);
            }
        }
    }
    if units == 0 || units as usize > groups.len() {
        return Err(Error::LineQuantity { max: groups.len() });
    }
    let released: Vec<MovementId> = groups.into_iter().skip(units as usize).flatten().collect();
    if released.is_empty() {
        return Ok(());
    }
    client.abandon_movements(order_id, released.clone()).await?;
    seats_released(tenant, &d, &released).await;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Shared by every kind of "add to cart"

/// The buyer's order if it can still take items. A cart that expired or was paid cannot: it is
/// forgotten (an expired one remembered for the cart page's notice) and a new order starts.
pub(crate) async fn usable_order(
    tenant: &Tenant,
    session: &BuyerSession,
) -> Result<Option<OrderDetailsData>, Error> {
    let Some(id) = session.cart().await else {
        return Ok(None);
    };
    match tenant
        .catalog
        .client()
        .get_order_details(id, Some(Granularity::Operations))
        .await
    {
        // a refused or cancelled card leaves the order open with its places held
        Ok(d)
            if d.order_state == OrderState::Running
                && matches!(
                    d.payment_state,
                    PaymentState::Waiting
                        | PaymentState::Failed
                        | PaymentState::FailedRejected
                        | PaymentState::CancelledByUser
                ) =>
        {
            Ok(Some(d))
        }
        Ok(d) => {
            if d.order_state == OrderState::Abandonned {
                session.mark_expired(d.order_id).await?;
            }
            Ok(None)
        }
        Err(S360Error::NotFound(_)) => Ok(None),
        Err(e) => Err(Error::from(e)),
    }
}

/// The cart's lines with what every product family needs said: names in the buyer's language,
/// the time slot of a visit and its guided tour, the validity of an open pass, the
/// performances a season ticket covers and its seats once (not once per performance).
pub(crate) fn cart_lines(
    tenant: &Tenant,
    d: &OrderDetailsData,
    snap: &CatalogSnapshot,
    locale: &str,
) -> Vec<CartLine> {
    let main = &snap.pos.main_language;
    let mut lines = lines_of(d, snap, locale);
    for (line, op) in lines.iter_mut().zip(&d.operation_datas) {
        let Some(product) = snap.catalog.products().find(|p| p.id == op.product_id) else {
            continue;
        };
        line.product = product.external_name.best(locale, main).to_string();
        if let Some(ts) = op.timeslot_id {
            if let Some(slot) = product
                .pass
                .iter()
                .flat_map(|p| p.timeslots.iter())
                .find(|s| s.id == ts)
            {
                let end = slot.start + chrono::Duration::seconds(slot.duration);
                line.when = Some(format!(
                    "{}–{}",
                    when(&slot.start, locale),
                    end.format("%H:%M")
                ));
            }
            line.details.extend(
                crate::products::cached_tours(tenant, ts)
                    .iter()
                    .map(|t| crate::products::tour_text(&t.language_code, locale)),
            );
        }
        if let Some(days) = product.pass.as_ref().and_then(|p| p.validity_days) {
            line.details
                .push(t!("product.validity", locale = locale, days = days).into_owned());
        }
        if !op.performance_ids.is_empty() {
            // the same seat on every performance: say it once
            let mut seen = std::collections::HashSet::new();
            line.seats.retain(|s| seen.insert(s.clone()));
            let mut included: Vec<_> = op
                .performance_ids
                .iter()
                .filter_map(|id| performance(snap, *id))
                .map(|(p, perf)| (perf.start, p.external_name.best(locale, main).to_string()))
                .collect();
            included.sort();
            line.when = Some(
                t!(
                    "product.cart_includes",
                    locale = locale,
                    count = included.len()
                )
                .into_owned(),
            );
            line.details.extend(
                included
                    .iter()
                    .map(|(start, name)| format!("{name}, {}", when(start, locale))),
            );
        }
    }
    lines
}
