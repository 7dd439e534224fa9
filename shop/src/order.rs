//! The order page, the buyer's order history and what the downloads are made of (tickets for
//! the branded PDF, events for the calendar file).
//!
//! Who may see an order: whoever holds its signed link (`?access=`, a MAC of the institution and
//! the order id, [`Tenant::order_link_token`]), or the logged-in buyer who bought it. Anyone
//! else gets the same answer as for an order that does not exist, so order numbers cannot be
//! probed ([`owned_order`]); and a request with neither a valid link nor a login is answered
//! without asking S-360, so guessing costs the shop's S-360 budget nothing.

use chrono::{DateTime, FixedOffset, Utc};
use s360::model::history::{FileData, FileState, GetContactFilesRequest, PaginationParameter};
use s360::model::order::*;
use s360::model::ticket::{GetTicketsRequest, TicketData, TicketState};

use rust_i18n::t;
use s360::client::{CatalogSnapshot, Error as S360Error};

use crate::cart::cart_lines;
use crate::context::Ctx;
use crate::describe::{area_name, block_name, day, entrance_name, shop_info, snapshot, when};
use crate::error::Error;
use crate::lang::Lang;
use crate::model::*;
use crate::payment::{clock, finalize, paid_payment, retry_message, Retry};
use crate::tenant::Tenant;

/// Orders the history page lists (newest first); older ones are left out with a note.
pub const HISTORY_PAGE: u32 = 100;

/// The order `order_id` if this request may see it: `access` is its signed link token
/// (checked in constant time, before any S-360 call), or the buyer logged in on `session` is
/// its purchaser. `None` alike for an order that does not exist and for somebody else's.
pub async fn owned_order(
    cx: &Ctx,
    order_id: i64,
    access: Option<&str>,
    granularity: Option<Granularity>,
) -> Result<Option<OrderDetailsData>, Error> {
    let (tenant, session) = (&*cx.tenant, &cx.session);
    if order_id <= 0 {
        return Ok(None);
    }
    let by_link = access.is_some_and(|a| tenant.order_link_ok(order_id, a));
    let user = if by_link {
        None
    } else {
        match session.user().await {
            Some(u) if !u.contact_number.is_empty() => Some(u),
            // neither a valid link nor a login: nothing S-360 could change
            _ => return Ok(None),
        }
    };
    let d = match tenant
        .catalog
        .client()
        .get_order_details(OrderId(order_id), granularity)
        .await
    {
        Ok(d) => d,
        Err(S360Error::NotFound(_)) => return Ok(None),
        Err(e) => return Err(Error::from(e)),
    };
    let by_login = match (&d.purchaser_contact_number, &user) {
        (Some(buyer), Some(user)) => *buyer == user.contact_number,
        _ => false,
    };
    Ok((by_link || by_login).then_some(d))
}

/// The order's tickets that are still good for entry (not cancelled, not replaced).
pub async fn valid_tickets(tenant: &Tenant, order_id: i64) -> Result<Vec<TicketData>, Error> {
    Ok(tenant
        .catalog
        .client()
        .get_tickets(&GetTicketsRequest {
            order_id: Some(order_id),
            ..Default::default()
        })
        .await?
        .into_iter()
        .filter(|t| matches!(t.ticket_state, TicketState::Valid | TicketState::NotPrinted))
        .collect())
}

fn tr(key: &str, lang: Lang) -> String {
    t!(key, locale = lang.code()).into_owned()
}

/// A message of the order area (`order.*` keys) in `lang`, for what the server renders itself.
pub fn order_text(key: &str, lang: Lang) -> String {
    tr(key, lang)
}

/// Where a ticket holder goes, in words: "Block A · Row 3 · Seat 12", "Standing · Area
/// NORTH", "Free placement".
pub fn place_of(t: &TicketData, lang: Lang) -> String {
    place(t, None, lang)
}

/// [`place_of`] with the catalog's names of blocks and areas: "Stalls · Row 3 · Seat 12",
/// "Standing · North terrace".
pub fn place_named(t: &TicketData, snap: &CatalogSnapshot, lang: Lang) -> String {
    place(t, Some(snap), lang)
}

/// "Entrance Door A (stalls)" for a ticket's entrance code, named from the catalog.
pub fn entrance_of(t: &TicketData, snap: &CatalogSnapshot, lang: Lang) -> Option<String> {
    t.entrance_code
        .as_deref()
        .filter(|g| !g.is_empty())
        .map(|g| entrance_name(snap, g, lang.code()))
}

fn place(t: &TicketData, snap: Option<&CatalogSnapshot>, lang: Lang) -> String {
    let l = lang.code();
    let s = &t.seat;
    let area = s.block_code.as_deref().or(s.area_code.as_deref());
    match (&s.number, area) {
        (Some(n), _) => [
            area.map(|b| match snap {
                Some(snap) => block_name(snap, b, l),
                None => t!("order.block", locale = l, block = b).into_owned(),
            }),
            s.row
                .as_ref()
                .map(|r| t!("order.row", locale = l, row = r).into_owned()),
            Some(t!("order.seat", locale = l, seat = n).into_owned()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · "),
        (None, Some(a)) => format!(
            "{} · {}",
            tr("order.standing", lang),
            match snap {
                Some(snap) => area_name(snap, a, l),
                None => t!("order.area", locale = l, area = a).into_owned(),
            }
        ),
        (None, None) => tr("order.free_placement", lang),
    }
}

/// The order page's data, for whoever may see the order (see [`owned_order`]). Finalises the
/// order on the way when its payment settled.
pub async fn order_view(
    cx: &Ctx,
    order_id: i64,
    access: Option<&str>,
) -> Result<Option<OrderView>, Error> {
    let (tenant, session, lang) = (&*cx.tenant, &cx.session, cx.lang);
    let locale = lang.code();
    let snap = snapshot(tenant)?;
    let Some(mut d) = owned_order(cx, order_id, access, Some(Granularity::Movements)).await? else {
        return Ok(None);
    };
    // the owner looking at an order with money taken: finalise it (or, when the money came
    // after the seats were released, report it)
    if d.order_state != OrderState::Closed && paid_payment(&d).is_some() {
        let movements = std::mem::take(&mut d.movements);
        d = finalize(tenant, OrderId(order_id)).await?;
        if d.movements.is_empty() {
            d.movements = movements;
        }
    }
    let tickets = if d.order_state == OrderState::Closed {
        valid_tickets(tenant, order_id)
            .await?
            .into_iter()
            .map(|t| TicketRow {
                ticket_id: t.ticket_id,
                when: t.performance_start.as_ref().map(|w| when(w, locale)),
                place: [
                    Some(place_named(&t, &snap, lang)),
                    entrance_of(&t, &snap, lang)
                        .map(|g| t!("order.entrance_gate", locale = locale, gate = g).into_owned()),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
                product: t.product_name,
                tariff: t.audience_sub_category,
                barcode: t.barcode,
                holder: t.holder_name.filter(|h| !h.trim().is_empty()),
                price: t.price.format(&d.currency, locale),
            })
            .collect()
    } else {
        vec![]
    };
    let paid_too_late = d.order_state == OrderState::Abandonned && paid_payment(&d).is_some();
    let being_confirmed = d.payments.iter().any(|p| {
        matches!(
            p.payment_state,
            PaymentState::InProgress | PaymentState::Paid | PaymentState::Authorized
        )
    });
    let held_until = d.expiration_date.map(|e| clock(tenant, e));
    let retry = match (d.order_state, d.payment_state) {
        (OrderState::Running, PaymentState::Failed | PaymentState::FailedRejected)
            if !being_confirmed =>
        {
            Some(Retry::Refused)
        }
        (OrderState::Running, PaymentState::CancelledByUser) if !being_confirmed => {
            Some(Retry::Cancelled)
        }
        _ => None,
    };
    let special = if paid_too_late {
        Some((
            "ABANDONNED",
            t!(
                "payment.paid_too_late",
                locale = locale,
                shop = cx.shop_info(&snap).name
            )
            .into_owned(),
        ))
    } else {
        retry.map(|r| ("RUNNING", retry_message(r, held_until.as_deref(), locale)))
    };
    let (state, state_text) = match (d.order_state, d.payment_state) {
        _ if special.is_some() => special.unwrap_or_default(),
        (OrderState::Running, _) if being_confirmed => {
            ("RUNNING", tr("order.state_confirming", lang))
        }
        (OrderState::Closed, _) => ("CLOSED", tr("order.state_closed", lang)),
        (OrderState::Abandonned, PaymentState::Failed | PaymentState::FailedRejected) => {
            ("ABANDONNED", tr("order.state_refused", lang))
        }
        (OrderState::Abandonned, PaymentState::CancelledByUser) => {
            ("ABANDONNED", tr("order.state_cancelled", lang))
        }
        (OrderState::Abandonned, _) => ("ABANDONNED", tr("order.state_expired", lang)),
        (OrderState::Running, _) => ("RUNNING", tr("order.state_waiting", lang)),
    };
    // the page looks again while a card is being confirmed
    let payment_state = if being_confirmed && d.order_state == OrderState::Running {
        "InProgress".to_string()
    } else {
        format!("{:?}", d.payment_state)
    };
    let has_dates = d
        .operation_datas
        .iter()
        .any(|op| op.performance_start.is_some() || !op.performance_ids.is_empty());
    Ok(Some(OrderView {
        shop: cx.shop_info(&snap),
        order_id,
        state: state.into(),
        state_text,
        payment_state,
        lines: cart_lines(tenant, &d, &snap, locale),
        total: d.sale_amount.format(&d.currency, locale),
        tickets,
        access: tenant.order_link_token(order_id),
        can_retry: retry.is_some(),
        has_dates,
        logged_in: session.user().await.is_some(),
    }))
}

// ---------------------------------------------------------------------------------------------
// Order history

/// A history state as the buyer reads it: (class, key of its words).
fn file_state(s: FileState) -> (&'static str, &'static str) {
    match s {
        FileState::Solded | FileState::Confirmed => ("paid", "order.file_paid"),
        FileState::PartSolded => ("paid", "order.file_part_paid"),
        FileState::Running | FileState::Suspended => ("running", "order.file_running"),
        FileState::InOption | FileState::InReservation | FileState::OptionReserv => {
            ("running", "order.file_reserved")
        }
        FileState::Abandonned | FileState::NotSolded => ("released", "order.file_released"),
        FileState::Canceled => ("cancelled", "order.file_cancelled"),
        FileState::TechError => ("other", "order.file_error"),
    }
}

fn summary(f: &FileData, lang: Lang) -> OrderSummary {
    let locale = lang.code();
    let (state, key) = file_state(f.state);
    OrderSummary {
        order_id: f.order_id.0,
        date: day(&f.creation_date, locale),
        date_iso: f.creation_date.format("%Y-%m-%d").to_string(),
        state: state.into(),
        state_text: tr(key, lang),
        total: f.total_amount.format(&f.currency, locale),
        items: f
            .operations
            .iter()
            .map(|op| {
                [
                    Some(format!("{} × {}", op.quantity, op.product)),
                    op.performance_start.as_ref().map(|w| when(w, locale)),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ")
            })
            .collect(),
    }
}

/// The logged-in buyer's orders (`getContactFiles`), newest first; `None` when nobody is
/// logged in.
pub async fn order_history(cx: &Ctx) -> Result<Option<HistoryView>, Error> {
    let (tenant, session, lang) = (&*cx.tenant, &cx.session, cx.lang);
    let Some(user) = session.user().await else {
        return Ok(None);
    };
    let snap = snapshot(tenant)?;
    let files = tenant
        .catalog
        .client()
        .get_contact_files(&GetContactFilesRequest {
            contact_number: user.contact_number,
            pagination_parameter: Some(PaginationParameter {
                start_position: 0,
                max_result: Some(HISTORY_PAGE),
            }),
            ..Default::default()
        })
        .await?;
    Ok(Some(HistoryView {
        shop: cx.shop_info(&snap),
        orders: files.files.iter().map(|f| summary(f, lang)).collect(),
        truncated: files.truncated,
    }))
}

// ---------------------------------------------------------------------------------------------
// The branded tickets

/// One ticket of the branded PDF, every text in the buyer's language.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketCard {
    pub ticket_id: i64,
    pub product: String,
    pub when: Option<String>,
    /// (label, value): place, entrance, tariff, holder, price, tax number, order.
    pub details: Vec<(String, String)>,
    /// What the QR code encodes, as S-360 issued it.
    pub barcode: String,
    /// "Show this ticket at the entrance. Valid once. Ticket 70000000000012."
    pub footer: String,
}

/// The tickets of an order as the branded PDF shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketSheet {
    pub shop_name: String,
    pub branding: Branding,
    /// The document's title: "Tickets – order 123 – CUBE".
    pub title: String,
    pub lang: Lang,
    pub tickets: Vec<TicketCard>,
}

/// The cards of `d`'s valid tickets (`d` must be an order the buyer may see, and closed).
pub async fn ticket_sheet(
    tenant: &Tenant,
    d: &OrderDetailsData,
    lang: Lang,
) -> Result<TicketSheet, Error> {
    let locale = lang.code();
    let snap = snapshot(tenant)?;
    let shop = shop_info(tenant, &snap, locale, None);
    let order = d.order_id.0.to_string();
    let tickets = valid_tickets(tenant, d.order_id.0)
        .await?
        .into_iter()
        .map(|t| {
            let mut details = vec![(tr("order.label_place", lang), place_named(&t, &snap, lang))];
            if let Some(gate) = entrance_of(&t, &snap, lang) {
                details.push((tr("order.label_entrance", lang), gate));
            }
            details.push((
                tr("order.label_tariff", lang),
                t.audience_sub_category.clone(),
            ));
            if let Some(holder) = t.holder_name.as_ref().filter(|h| !h.trim().is_empty()) {
                details.push((tr("order.label_holder", lang), holder.clone()));
            }
            details.push((
                tr("order.label_price", lang),
                t.price.format(&d.currency, locale),
            ));
            details.push((tr("order.label_tax_number", lang), t.tax_number.clone()));
            details.push((tr("order.label_order", lang), order.clone()));
            TicketCard {
                ticket_id: t.ticket_id,
                when: t.performance_start.as_ref().map(|w| when(w, locale)),
                product: t.product_name,
                details,
                footer: t!("order.ticket_footer", locale = locale, ticket = t.ticket_id)
                    .into_owned(),
                barcode: t.barcode,
            }
        })
        .collect();
    Ok(TicketSheet {
        title: t!(
            "order.tickets_title",
            locale = locale,
            number = order,
            shop = shop.name
        )
        .into_owned(),
        shop_name: shop.name,
        branding: tenant.branding.clone(),
        lang,
        tickets,
    })
}

// ---------------------------------------------------------------------------------------------
// The calendar

/// One dated item of an order, for the calendar file.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarEvent {
    /// Stable for the order item: `order-123-item-456[-perf-789]@cube.localhost`.
    pub uid: String,
    pub start: DateTime<Utc>,
    /// `None` when the catalog does not say how long it lasts.
    pub end: Option<DateTime<Utc>>,
    pub summary: String,
    pub location: String,
    pub description: String,
}

/// What the catalog says of a performance or time slot: (start, length in seconds, space).
fn catalog_date(
    snap: &CatalogSnapshot,
    performance: Option<s360::ids::PerformanceId>,
    timeslot: Option<s360::ids::TimeslotId>,
) -> Option<(DateTime<FixedOffset>, i64, Option<i64>)> {
    let products = || snap.catalog.products();
    if let Some(id) = performance {
        if let Some(p) = products()
            .flat_map(|p| p.event.iter().flat_map(|e| e.performances.iter()))
            .find(|p| p.id == id)
        {
            return Some((p.start, p.duration, p.space_id));
        }
    }
    let id = timeslot?;
    products()
        .flat_map(|p| p.pass.iter().flat_map(|pass| pass.timeslots.iter()))
        .find(|t| t.id == id)
        .map(|t| (t.start, t.duration, None))
}

/// "Main hall, CUBE, Rue du Rhône 1, 1204 Genève": the space when the catalog names it, then
/// the institution and its address.
fn venue(snap: &CatalogSnapshot, shop: &str, space: Option<i64>, locale: &str) -> String {
    let main = &snap.pos.main_language;
    let space = space.and_then(|id| {
        snap.catalog
            .physical_configurations
            .iter()
            .find(|c| c.space_id == id)
            .map(|c| c.space_external_name.best(locale, main).to_string())
    });
    let address = snap.pos.place_address_data.as_ref().map(|a| {
        [
            a.first_address_line.trim().to_string(),
            format!("{} {}", a.zip_code.trim(), a.locality.trim())
                .trim()
                .to_string(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
    });
    [space, Some(shop.to_string()), address]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

fn product_name(snap: &CatalogSnapshot, op: &OperationData, locale: &str) -> String {
    snap.catalog
        .products()
        .find(|p| p.id == op.product_id)
        .map(|p| {
            p.external_name
                .best(locale, &snap.pos.main_language)
                .to_string()
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| op.product.clone())
}

/// The dated items of `d` (a performance, a time slot, each performance of a season ticket),
/// one event each.
pub fn calendar_events(
    tenant: &Tenant,
    d: &OrderDetailsData,
    lang: Lang,
) -> Result<Vec<CalendarEvent>, Error> {
    let locale = lang.code();
    let snap = snapshot(tenant)?;
    let shop = shop_info(tenant, &snap, locale, None).name;
    let domain = tenant
        .hosts
        .first()
        .cloned()
        .unwrap_or_else(|| tenant.code.to_ascii_lowercase());
    let mut events = Vec::new();
    for op in &d.operation_datas {
        // (performance, start as the order has it) per date the item covers
        let dates: Vec<(
            Option<s360::ids::PerformanceId>,
            Option<DateTime<FixedOffset>>,
        )> = if op.performance_ids.is_empty() {
            vec![(op.performance_id, op.performance_start)]
        } else {
            op.performance_ids
                .iter()
                .map(|p| (Some(*p), None))
                .collect()
        };
        let name = product_name(&snap, op, locale);
        for (perf, start) in dates {
            let known = catalog_date(&snap, perf, op.timeslot_id);
            let Some(start) = start.or(known.map(|k| k.0)) else {
                continue;
            };
            let length = known.map(|k| k.1).filter(|s| *s > 0);
            let uid = match (perf, op.performance_ids.is_empty()) {
                (Some(p), false) => format!(
                    "order-{}-item-{}-perf-{}@{domain}",
                    d.order_id.0, op.operation_id.0, p.0
                ),
                _ => format!("order-{}-item-{}@{domain}", d.order_id.0, op.operation_id.0),
            };
            events.push(CalendarEvent {
                uid,
                start: start.with_timezone(&Utc),
                end: length.map(|s| (start + chrono::Duration::seconds(s)).with_timezone(&Utc)),
                summary: name.clone(),
                location: venue(&snap, &shop, known.and_then(|k| k.2), locale),
                description: t!(
                    if op.quantity == 1 {
                        "order.calendar_one"
                    } else {
                        "order.calendar_many"
                    },
                    locale = locale,
                    number = d.order_id.0,
                    count = op.quantity,
                    shop = shop
                )
                .into_owned(),
            });
        }
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use s360::model::ticket::{TicketMedium, TicketSeat};

    fn ticket(seat: TicketSeat) -> TicketData {
        TicketData {
            ticket_id: 1,
            order_id: 2,
            movement_id: 3,
            barcode: "123".into(),
            tax_number: "T-1".into(),
            ticket_state: TicketState::Valid,
            ticket_medium: TicketMedium::ETicket,
            printing_date_time: None,
            product_id: s360::ids::ProductId(4),
            product_code: "P".into(),
            product_name: "Hamlet".into(),
            performance_id: None,
            performance_start: None,
            seat_category: None,
            audience_sub_category: "Adult".into(),
            price: s360::money::Amount(45_000),
            seat,
            entrance_code: None,
            holder_name: None,
        }
    }

    #[test]
    fn places_are_told_in_words() {
        let seated = ticket(TicketSeat {
            area_code: Some("STALLS".into()),
            block_code: Some("A".into()),
            row: Some("3".into()),
            number: Some("12".into()),
        });
        assert_eq!(place_of(&seated, Lang::En), "Block A · Row 3 · Seat 12");
        assert_eq!(place_of(&seated, Lang::De), "Block A · Reihe 3 · Platz 12");
        let standing = ticket(TicketSeat {
            area_code: Some("NORTH".into()),
            ..Default::default()
        });
        assert_eq!(place_of(&standing, Lang::En), "Standing · Area NORTH");
        let free = ticket(TicketSeat::default());
        assert_eq!(place_of(&free, Lang::Fr), "Placement libre");
    }

    #[test]
    fn every_history_state_has_words() {
        use FileState::*;
        for s in [
            Running,
            Suspended,
            InOption,
            InReservation,
            OptionReserv,
            Confirmed,
            Solded,
            NotSolded,
            PartSolded,
            Canceled,
            Abandonned,
            TechError,
        ] {
            let (_, key) = file_state(s);
            for lang in Lang::ALL {
                assert_ne!(tr(key, lang), key, "{s:?} in {lang}");
            }
        }
    }
}
