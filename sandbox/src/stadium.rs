//! A sold-out stadium for load and gate tests ([`crate::Config::stadium_tickets`],
//! `SANDBOX_STADIUM_TICKETS`): PLAY's first match filled with printed, valid e-tickets, as
//! if sold before the sandbox started (seed 002: "tickets immediately available, in a stadium
//! configuration").
//!
//! - Product `MATCH01`, performance `M01`, season `PLAY26`.
//! - First the numbered seats of blocks B1..B8 in the seed's seat map order (block, row,
//!   seat): B1-B4 are MAIN and enter through `GATE_A`, B5-B8 are ENDS through `GATE_C`.
//! - Then standing places, alternately on the NORTH terrace (`GATE_N`) and the SOUTH one
//!   (`GATE_S`), for all the rest: beyond 5,200 seats + 2 × 1,500 places the terraces hold more
//!   tickets than their capacity, which is acceptable for a load setting (40,000 tickets put
//!   17,400 on each terrace).
//! - Tariffs (PLAY26's codes), by the ticket's number n (1-based): every 10th `CHILD`, every
//!   7th `REDUCED` (unless a 10th), the others `ADULT`; the price is the match's price for the
//!   seat category and tariff.
//! - Holders: a first and a last name from small lists, a birth date (children 6 to 14 years
//!   old at today's date, the others 18 to 77), country CH, and for every 5th an ID_NUMBER
//!   (`S` and 7 digits). All deterministic from n; only the barcodes are random.
//! - They belong to no order: `orderId` 0, `movementId` n. They are sold in the availability:
//!   every seat of the blocks they cover is SOLD (the shop cannot sell it again) and the seat
//!   categories and terraces count them, up to their capacity.

use std::collections::HashMap;

use chrono::{Days, Months, NaiveDate};
use s360::ids::*;
use s360::model::catalog::AudienceCategoryKind;
use s360::model::order::OrderId;
use s360::model::ticket::{TicketMedium, TicketSeat};
use s360::money::Amount;

use crate::orders::SeatUse;
use crate::state::{now, Institution, StockKey};
use crate::tickets::{NewTicket, TicketHolder};

pub const INSTITUTION: &str = "PLAY";
pub const SEASON: &str = "PLAY26";
pub const PRODUCT: &str = "MATCH01";
pub const PERFORMANCE: &str = "M01";
/// The order id of the stadium's tickets: they belong to no order.
pub const ORDER_ID: i64 = 0;
/// At most this many (tax numbers are unique up to a million tickets per institution).
pub const MAX_TICKETS: u32 = 500_000;

const FIRST_NAMES: [&str; 16] = [
    "Anna", "Luca", "Sofia", "Noah", "Mia", "Leon", "Emma", "Elias", "Lea", "Nico", "Lara",
    "Jonas", "Nina", "Samuel", "Chiara", "David",
];
const LAST_NAMES: [&str; 16] = [
    "Müller",
    "Meier",
    "Schmid",
    "Keller",
    "Weber",
    "Huber",
    "Schneider",
    "Meyer",
    "Steiner",
    "Fischer",
    "Gerber",
    "Brunner",
    "Baumann",
    "Favre",
    "Rochat",
    "Bernasconi",
];

/// The tariff code of the n-th ticket (1-based).
pub fn tariff_of(n: u32) -> &'static str {
    if n.is_multiple_of(10) {
        "CHILD"
    } else if n.is_multiple_of(7) {
        "REDUCED"
    } else {
        "ADULT"
    }
}

/// The holder of the n-th ticket (1-based), as of `today`.
pub fn holder_of(n: u32, today: NaiveDate) -> TicketHolder {
    let n64 = u64::from(n);
    let (years, extra_days) = if tariff_of(n) == "CHILD" {
        (6 + (n / 10) % 9, n64 * 37 % 365)
    } else {
        (18 + n * 13 % 60, n64 * 37 % 365)
    };
    let birth_date = today
        .checked_sub_months(Months::new(12 * years))
        .and_then(|d| d.checked_sub_days(Days::new(extra_days)));
    TicketHolder {
        first_name: Some(FIRST_NAMES[n as usize % FIRST_NAMES.len()].to_string()),
        last_name: Some(
            LAST_NAMES[(n as usize / FIRST_NAMES.len() + n as usize * 5) % LAST_NAMES.len()]
                .to_string(),
        ),
        id_number: n
            .is_multiple_of(5)
            .then(|| format!("S{:07}", n64 * 7_919 % 10_000_000)),
        birth_date,
        country_code: Some("CH".into()),
    }
}

/// One tariff as the tickets carry it.
struct Tariff {
    id: AudienceSubCategoryId,
    code: String,
    name: String,
    reduced: bool,
}

/// Issues `count` (at most [`MAX_TICKETS`]) printed, valid tickets for PLAY's first match and
/// marks them sold; returns how many it issued (0 when `inst` has no such match).
pub fn fill(inst: &mut Institution, count: u32) -> u32 {
    let count = count.min(MAX_TICKETS);
    let lang = inst.pos.main_language.clone();
    let Some(season) = inst.catalog.seasons.iter().find(|s| s.code == SEASON) else {
        return 0;
    };
    let Some(product) = season.products.iter().find(|p| p.code == PRODUCT) else {
        return 0;
    };
    let Some(perf) = product
        .event
        .as_ref()
        .and_then(|e| e.performances.iter().find(|p| p.code == PERFORMANCE))
    else {
        return 0;
    };
    let Some(venue) = inst
        .venues
        .iter()
        .find(|v| Some(v.config.space_id) == perf.space_id)
    else {
        return 0;
    };
    let tariffs: HashMap<&str, Tariff> = season
        .audience_categories
        .iter()
        .flat_map(|c| c.audience_sub_categories.iter())
        .filter(|a| matches!(a.code.as_str(), "ADULT" | "CHILD" | "REDUCED"))
        .map(|a| {
            (
                a.code.as_str(),
                Tariff {
                    id: a.id,
                    code: a.code.clone(),
                    name: a.external_name.best(&lang, &lang).to_string(),
                    reduced: a.audience_category_kind != AudienceCategoryKind::Full,
                },
            )
        })
        .collect();
    if tariffs.len() != 3 {
        return 0;
    }
    // (seat category id, name) by code
    let categories: HashMap<&str, (SeatCategoryId, String)> = perf
        .seat_categories
        .iter()
        .map(|c| {
            (
                c.code.as_str(),
                (c.id, c.external_name.best(&lang, &lang).to_string()),
            )
        })
        .collect();
    let price = |cat: SeatCategoryId, aud: AudienceSubCategoryId| {
        perf.prices
            .iter()
            .find(|p| p.seat_cat_id == cat && p.aud_sub_cat_id == aud)
            .map_or(Amount(0), |p| p.amount)
    };
    let entrance: HashMap<AreaId, Option<String>> = venue
        .config
        .areas
        .iter()
        .map(|a| (a.id, a.entrance_code.clone()))
        .collect();
    let standing: Vec<(AreaId, String, &str)> = venue
        .standing
        .iter()
        .filter_map(|s| {
            let area = venue.config.areas.iter().find(|a| a.id == s.area_id)?;
            Some((s.area_id, area.code.clone(), s.seat_category_code.as_str()))
        })
        .collect();

    let at = now();
    let today = at.date_naive();
    let perf_id = perf.id;
    let template = NewTicket {
        order_id: ORDER_ID,
        movement_id: 0,
        contact_number: None,
        season_code: season.code.clone(),
        product_id: product.id,
        product_code: product.code.clone(),
        product_name: product.external_name.best(&lang, &lang).to_string(),
        performance_id: Some(perf.id),
        performance_code: Some(perf.code.clone()),
        performance_start: Some(perf.start),
        seat_category_code: None,
        seat_category_name: None,
        audience_sub_category_code: String::new(),
        audience_sub_category_name: String::new(),
        reduced_price: false,
        price: Amount(0),
        seat: TicketSeat::default(),
        entrance_code: None,
        holder_name: None,
        holder: TicketHolder::default(),
        validity_start: None,
        validity_end: None,
    };
    let mut issued = Vec::with_capacity(count as usize);
    let mut sold_seats = Vec::new();
    // sold per seat category, and per standing area
    let mut per_category: HashMap<SeatCategoryId, u32> = HashMap::new();
    let mut per_area: HashMap<AreaId, u32> = HashMap::new();
    let mut seats = venue.seats.iter();
    let mut standing_turn = 0usize;
    for n in 1..=count {
        let tariff = &tariffs[tariff_of(n)];
        let mut t = template.clone();
        let cat_code = if let Some(seat) = seats.next() {
            sold_seats.push(seat.id);
            t.seat = TicketSeat {
                area_code: Some(seat.area_code.clone()),
                block_code: Some(seat.block_code.clone()),
                row: Some(seat.row.clone()),
                number: Some(seat.number.clone()),
            };
            t.entrance_code = entrance.get(&seat.area_id).cloned().flatten();
            seat.seat_category_code.as_str()
        } else if standing.is_empty() {
            break;
        } else {
            let (area_id, area_code, cat) = &standing[standing_turn % standing.len()];
            standing_turn += 1;
            *per_area.entry(*area_id).or_default() += 1;
            t.seat = TicketSeat {
                area_code: Some(area_code.clone()),
                ..TicketSeat::default()
            };
            t.entrance_code = entrance.get(area_id).cloned().flatten();
            *cat
        };
        let Some((cat_id, cat_name)) = categories.get(cat_code) else {
            break;
        };
        *per_category.entry(*cat_id).or_default() += 1;
        let holder = holder_of(n, today);
        t.movement_id = i64::from(n);
        t.seat_category_code = Some(cat_code.to_string());
        t.seat_category_name = Some(cat_name.clone());
        t.audience_sub_category_code = tariff.code.clone();
        t.audience_sub_category_name = tariff.name.clone();
        t.reduced_price = tariff.reduced;
        t.price = price(*cat_id, tariff.id);
        t.holder_name = Some(format!(
            "{} {}",
            holder.first_name.as_deref().unwrap_or_default(),
            holder.last_name.as_deref().unwrap_or_default()
        ));
        t.holder = holder;
        issued.push(t);
    }

    let n = issued.len() as u32;
    for t in issued {
        inst.tickets.issue_printed(t, TicketMedium::ETicket, at);
    }
    // sold in the availability: the seats, the terraces and the seat categories (up to their
    // capacity)
    for seat in sold_seats {
        inst.orders
            .seats
            .insert((perf_id, seat), SeatUse::Sold(OrderId(ORDER_ID)));
    }
    for (area, sold) in per_area {
        let capacity = venue_standing_capacity(inst, area);
        let taken = inst.orders.standing.entry((perf_id, area)).or_default();
        *taken = taken.saturating_add(sold).min(capacity);
    }
    for (cat, sold) in per_category {
        let key = StockKey::Performance(perf_id, cat);
        if let Some(cell) = inst.stock.get_mut(&key) {
            cell.taken = cell.taken.saturating_add(sold).min(cell.capacity);
        }
        inst.touch(key);
    }
    n
}

fn venue_standing_capacity(inst: &Institution, area: AreaId) -> u32 {
    inst.venues
        .iter()
        .flat_map(|v| v.standing.iter())
        .find(|s| s.area_id == area)
        .map_or(0, |s| s.capacity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tariffs_follow_the_mix() {
        assert_eq!(tariff_of(1), "ADULT");
        assert_eq!(tariff_of(7), "REDUCED");
        assert_eq!(tariff_of(10), "CHILD");
        assert_eq!(tariff_of(70), "CHILD");
        assert_eq!(tariff_of(14), "REDUCED");
        let children = (1..=1000).filter(|n| tariff_of(*n) == "CHILD").count();
        assert_eq!(children, 100);
    }

    #[test]
    fn children_are_under_16_and_the_others_older() {
        let today = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
        for n in 1..=2000 {
            let h = holder_of(n, today);
            let birth = h.birth_date.unwrap();
            let age = today.years_since(birth).unwrap();
            if tariff_of(n) == "CHILD" {
                assert!(age < 16, "ticket {n}: {age}");
            } else {
                assert!(age >= 16, "ticket {n}: {age}");
            }
            assert_eq!(h.id_number.is_some(), n % 5 == 0);
            assert_eq!(h.country_code.as_deref(), Some("CH"));
        }
        assert_eq!(holder_of(3, today), holder_of(3, today), "deterministic");
    }

    #[test]
    fn fills_the_first_match_and_sells_its_seats() {
        let mut inst = Institution::from_seed(crate::seed::play());
        let seats = inst.venues[0].seats.len() as u32;
        assert_eq!(fill(&mut inst, seats + 10), seats + 10);
        let all = inst.tickets.all();
        assert_eq!(all.len() as u32, seats + 10);
        let first = &all[0];
        assert_eq!(first.info.product_code, PRODUCT);
        assert_eq!(first.info.performance_code.as_deref(), Some(PERFORMANCE));
        assert_eq!(first.info.seat.block_code.as_deref(), Some("B1"));
        assert_eq!(first.info.entrance_code.as_deref(), Some("GATE_A"));
        assert_eq!(first.state, s360::model::ticket::TicketState::Valid);
        assert!(first.printed_at.is_some());
        let last_seat = &all[seats as usize - 1];
        assert_eq!(last_seat.info.seat.block_code.as_deref(), Some("B8"));
        assert_eq!(last_seat.info.entrance_code.as_deref(), Some("GATE_C"));
        let terraces: Vec<_> = all[seats as usize..seats as usize + 2]
            .iter()
            .map(|t| {
                (
                    t.info.seat.area_code.as_deref(),
                    t.info.entrance_code.as_deref(),
                    t.info.seat.block_code.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            terraces,
            vec![
                (Some("NORTH"), Some("GATE_N"), None),
                (Some("SOUTH"), Some("GATE_S"), None)
            ]
        );
        // the numbered categories are sold out, the standing one counts the 10 places
        let perf = inst
            .catalog
            .products()
            .find(|p| p.code == PRODUCT)
            .and_then(|p| p.event.as_ref())
            .map(|e| e.performances[0].clone())
            .unwrap();
        for cat in &perf.seat_categories {
            let cell = inst.stock[&StockKey::Performance(perf.id, cat.id)];
            match cat.code.as_str() {
                "STANDING" => assert_eq!(cell.taken, 10),
                _ => assert_eq!(cell.remaining(), 0, "{}", cat.code),
            }
        }
        assert_eq!(inst.orders.seats.len() as u32, seats);
    }
}
