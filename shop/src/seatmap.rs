//! The seat map of a seated performance: `getSeatsAvailability` read through a cache that
//! follows the availability cache's policy, turned into what the page draws; and the checks of
//! seats chosen on it before they go to S-360.
//!
//! Cache policy: a seat map is kept as long as the performance's availability items it was
//! read with. Those are refreshed when `getUpdatedAvailabilities` (polled once a minute) says
//! the product changed, and at most after the availability cache's maximum age; a new items
//! list makes the next page view read the seat map again. This shop's own changes (seats added
//! to a cart, a refusal) drop the map at once. A warm page view therefore makes no S-360 call,
//! and a seat shown free that another channel sold meanwhile is refused by the order call,
//! which stays the final authority, with a message naming the seat.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use s360::model::availability::AvailabilityItem;
use s360::model::catalog::{Performance, Product};
use s360::model::order::{SeatStatus, SeatsAvailabilityData};
use s360::{AudienceSubCategoryId, PerformanceId, SeatId};

use rust_i18n::t;
use s360::client::CatalogSnapshot;

use crate::describe::tariff_name;
use crate::error::Error;
use crate::model::*;
use crate::tenant::Tenant;

/// Above this many seats a venue is chosen block by block (a stadium), not drawn whole.
const WHOLE_MAP_MAX_SEATS: usize = 800;

type Items = Arc<Vec<AvailabilityItem>>;

struct Kept {
    /// The availability items current when the map was read (compared by identity).
    items: Items,
    map: Arc<SeatsAvailabilityData>,
}

/// An institution's seat maps by performance (owned by its [`Tenant`]).
#[derive(Default)]
pub struct SeatMapCache(Mutex<HashMap<i64, Kept>>);

impl SeatMapCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Kept>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::fmt::Debug for SeatMapCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SeatMapCache({} maps)", self.lock().len())
    }
}

/// Whether a performance takes place in a venue the catalog describes (it has a seat map).
pub(crate) fn has_seat_map(snap: &CatalogSnapshot, perf: &Performance) -> bool {
    perf.space_id.is_some_and(|space| {
        snap.catalog
            .physical_configurations
            .iter()
            .any(|c| c.space_id == space)
    })
}

/// The seat map of `perf` (of `product`), from memory while the product's availability has not
/// changed (see the module's cache policy).
pub(crate) async fn seat_map(
    tenant: &Tenant,
    snap: &CatalogSnapshot,
    product: &Product,
    perf: PerformanceId,
) -> Result<Arc<SeatsAvailabilityData>, Error> {
    let avail = tenant.availability(snap);
    let items = avail.get(product).await?;
    if let Some(k) = tenant.seat_maps.lock().get(&perf.0) {
        if Arc::ptr_eq(&k.items, &items) {
            return Ok(k.map.clone());
        }
    }
    let map = avail.seat_map(perf).await?;
    tenant.seat_maps.lock().insert(
        perf.0,
        Kept {
            items,
            map: map.clone(),
        },
    );
    Ok(map)
}

/// Drops the seat map of `perf`: this shop just changed who holds its seats.
pub(crate) async fn forget_seat_map(tenant: &Tenant, snap: &CatalogSnapshot, perf: PerformanceId) {
    tenant.seat_maps.lock().remove(&perf.0);
    tenant.availability(snap).forget_seat_map(perf).await;
}

/// "Stalls" for an area id, in the buyer's language (the code when the catalog has no name).
fn area_names(snap: &CatalogSnapshot, locale: &str) -> HashMap<i64, String> {
    snap.catalog
        .physical_configurations
        .iter()
        .flat_map(|c| c.areas.iter())
        .map(|a| {
            (
                a.id.0,
                a.external_name
                    .best(locale, &snap.pos.main_language)
                    .to_string(),
            )
        })
        .collect()
}

/// "Stalls, row 3, seat 12".
pub(crate) fn seat_place(block: &str, row: &str, number: &str, locale: &str) -> String {
    t!(
        "seatmap.place",
        locale = locale,
        block = block,
        row = row,
        seat = number
    )
    .into_owned()
}

/// What the performance page draws: the seats (all, or in a large venue those of `block`),
/// the blocks of a large venue, the standing areas and the legend with prices.
pub(crate) fn seat_map_view(
    snap: &CatalogSnapshot,
    perf: &Performance,
    data: &SeatsAvailabilityData,
    block: Option<&str>,
    locale: &str,
) -> Option<SeatMapView> {
    if data.seats.is_empty() && data.standing_areas.is_empty() {
        return None;
    }
    let main = &snap.pos.main_language;
    let cur = &snap.pos.institution_currency;
    let areas = area_names(snap, locale);
    let mut tariffs: Vec<_> = perf.prices.iter().collect();
    tariffs.sort_by_key(|p| p.aud_sub_cat_id);
    let legend: Vec<SeatLegend> = perf
        .seat_categories
        .iter()
        .map(|c| SeatLegend {
            category_id: c.id.0,
            name: c.external_name.best(locale, main).to_string(),
            prices: tariffs
                .iter()
                .filter(|p| p.seat_cat_id == c.id)
                .map(|p| {
                    format!(
                        "{}: {}",
                        tariff_name(snap, p.aud_sub_cat_id, locale),
                        p.amount.format(cur, locale)
                    )
                })
                .collect::<Vec<_>>()
                .join(" · "),
        })
        .collect();
    let category_of = |id: s360::SeatCategoryId| {
        perf.seat_categories
            .iter()
            .position(|c| c.id == id)
            .unwrap_or(0)
    };
    // a seat's price in its name: the first tariff's (full price)
    let price_of = |id: s360::SeatCategoryId| {
        tariffs
            .iter()
            .find(|p| p.seat_cat_id == id)
            .map(|p| p.amount.format(cur, locale))
            .unwrap_or_default()
    };
    let block_name = |s: &s360::model::order::SeatAvailability| {
        areas
            .get(&s.area_id.0)
            .cloned()
            .unwrap_or_else(|| s.block_code.clone())
    };
    // blocks in the order S-360 lists them
    let mut codes: Vec<&str> = Vec::new();
    for s in &data.seats {
        if !codes.contains(&s.block_code.as_str()) {
            codes.push(&s.block_code);
        }
    }
    let by_blocks = data.seats.len() > WHOLE_MAP_MAX_SEATS && codes.len() > 1;
    let block = block.filter(|b| by_blocks && codes.contains(b));
    let bounds = |seats: &mut dyn Iterator<Item = &s360::model::order::SeatAvailability>| {
        seats.fold(None, |acc: Option<(i32, i32, i32, i32)>, s| {
            Some(match acc {
                None => (s.x, s.y, s.x, s.y),
                Some((a, b, c, d)) => (a.min(s.x), b.min(s.y), c.max(s.x), d.max(s.y)),
            })
        })
    };
    let drawn: Vec<&s360::model::order::SeatAvailability> = data
        .seats
        .iter()
        .filter(|s| !by_blocks || block == Some(s.block_code.as_str()))
        .collect();
    const PAD: i32 = 16;
    let view_box = bounds(&mut drawn.iter().copied())
        .map(|(x0, y0, x1, y1)| {
            format!(
                "{} {} {} {}",
                x0 - PAD,
                y0 - PAD,
                x1 - x0 + 2 * PAD,
                y1 - y0 + 2 * PAD
            )
        })
        .unwrap_or_else(|| "0 0 100 100".into());
    let seats = drawn
        .iter()
        .map(|s| {
            let free = s.status == SeatStatus::Free;
            let cat = category_of(s.seat_category_id);
            let name = block_name(s);
            let key = if free {
                "seatmap.seat_label"
            } else {
                "seatmap.seat_taken_label"
            };
            let label = t!(
                key,
                locale = locale,
                place = seat_place(&name, &s.row_number, &s.seat_number, locale),
                category = legend.get(cat).map(|l| l.name.clone()).unwrap_or_default(),
                price = price_of(s.seat_category_id)
            )
            .into_owned();
            MapSeat {
                id: s.seat_id.0,
                x: s.x,
                y: s.y,
                block: name,
                row: s.row_number.clone(),
                number: s.seat_number.clone(),
                category: cat,
                free,
                label,
            }
        })
        .collect::<Vec<_>>();
    let blocks = if by_blocks {
        let all = bounds(&mut data.seats.iter()).unwrap_or((0, 0, 1, 1));
        let (w, h) = (
            (all.2 - all.0 + 2 * PAD).max(1) as f32,
            (all.3 - all.1 + 2 * PAD).max(1) as f32,
        );
        codes
            .iter()
            .filter_map(|code| {
                let mine = data.seats.iter().filter(|s| s.block_code == *code);
                let first = mine.clone().next()?;
                let (x0, y0, x1, y1) = bounds(&mut mine.clone())?;
                Some(MapBlock {
                    code: code.to_string(),
                    name: block_name(first),
                    left: (x0 - all.0) as f32 / w * 100.0,
                    top: (y0 - all.1) as f32 / h * 100.0,
                    width: (x1 - x0 + 2 * PAD) as f32 / w * 100.0,
                    height: (y1 - y0 + 2 * PAD) as f32 / h * 100.0,
                    free: mine.filter(|s| s.status == SeatStatus::Free).count() as u32,
                    category: category_of(first.seat_category_id),
                })
            })
            .collect()
    } else {
        vec![]
    };
    let standing = data
        .standing_areas
        .iter()
        .map(|a| StandingBlock {
            category_id: a.seat_category_id.0,
            name: areas
                .get(&a.area_id.0)
                .cloned()
                .unwrap_or_else(|| a.area_code.clone()),
            remaining: a.remaining,
            capacity: a.capacity,
        })
        .collect();
    Some(SeatMapView {
        view_box,
        legend,
        free: seats.iter().filter(|s| s.free).count() as u32,
        seats,
        blocks,
        block: block.map(String::from),
        standing,
    })
}

/// The order lines for seats chosen on the map, one per seat category, after checking that
/// every seat belongs to this performance and has a price in `tariff`.
pub(crate) async fn seat_operations(
    tenant: &Tenant,
    snap: &CatalogSnapshot,
    product: &Product,
    perf: &Performance,
    tariff: AudienceSubCategoryId,
    seat_ids: &[i64],
) -> Result<Vec<s360::model::order::SingleEntryOperation>, Error> {
    let max = snap.pos.max_seats_per_performance;
    // the bound first, on the list as posted: no work on a list no buyer could have chosen
    // (a few repeats from a double click are tolerated, then de-duplicated in one pass)
    if seat_ids.len() > 2 * max.max(1) as usize {
        return Err(Error::TooManySeats { max });
    }
    let mut seen = std::collections::HashSet::with_capacity(seat_ids.len());
    let ids: Vec<i64> = seat_ids
        .iter()
        .copied()
        .filter(|id| seen.insert(*id))
        .collect();
    if ids.is_empty() {
        return Err(Error::NoSeat);
    }
    if ids.len() > max as usize {
        return Err(Error::TooManySeats { max });
    }
    if !has_seat_map(snap, perf) {
        return Err(Error::UnknownSeat);
    }
    let map = seat_map(tenant, snap, product, perf.id).await?;
    let mut by_category: Vec<(s360::SeatCategoryId, Vec<SeatId>)> = Vec::new();
    for id in &ids {
        let seat = map
            .seats
            .iter()
            .find(|s| s.seat_id == SeatId(*id))
            .ok_or(Error::UnknownSeat)?;
        match by_category
            .iter_mut()
            .find(|(c, _)| *c == seat.seat_category_id)
        {
            Some((_, v)) => v.push(seat.seat_id),
            None => by_category.push((seat.seat_category_id, vec![seat.seat_id])),
        }
    }
    by_category
        .into_iter()
        .map(|(cat, seats)| {
            if !perf
                .prices
                .iter()
                .any(|p| p.seat_cat_id == cat && p.aud_sub_cat_id == tariff)
            {
                return Err(Error::Tariff);
            }
            Ok(s360::model::order::SingleEntryOperation {
                performance_id: perf.id,
                seat_category_id: cat,
                audience_sub_category_id: tariff,
                quantity: seats.len() as u32,
                contingent_id: None,
                price_level_id: None,
                seat_ids: Some(seats),
            })
        })
        .collect()
}

/// After S-360 refused seats chosen on the map: which of them are taken now, in the buyer's
/// words ("Seat Stalls, row 3, seat 9 was just taken ..."), read from a fresh seat map.
pub(crate) async fn taken_error(
    tenant: &Tenant,
    snap: &CatalogSnapshot,
    product: &Product,
    perf: PerformanceId,
    seat_ids: &[i64],
    locale: &str,
) -> Error {
    forget_seat_map(tenant, snap, perf).await;
    let Ok(map) = seat_map(tenant, snap, product, perf).await else {
        return Error::NotEnough;
    };
    let areas = area_names(snap, locale);
    let taken: Vec<String> = map
        .seats
        .iter()
        .filter(|s| seat_ids.contains(&s.seat_id.0) && s.status != SeatStatus::Free)
        .map(|s| {
            let block = areas
                .get(&s.area_id.0)
                .cloned()
                .unwrap_or_else(|| s.block_code.clone());
            seat_place(&block, &s.row_number, &s.seat_number, locale)
        })
        .collect();
    Error::SeatsTaken(taken)
}
