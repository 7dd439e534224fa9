//! `availabilityService`: levels computed from the live stock (held orders included).

use std::collections::HashSet;

use s360::ids::*;
use s360::model::availability::*;
use s360::model::catalog::Product;
use serde_json::Value;

use crate::rpc::{ok, parse, BusinessError, MethodResult, RpcError};
use crate::state::{Institution, StockKey};

pub fn dispatch(
    inst: &mut Institution,
    method: &str,
    body: &Value,
) -> Option<Result<MethodResult, RpcError>> {
    Some(match method {
        "getEventAvailability" => parse(body).map(|r| event(inst, r)),
        "getPerformanceAvailability" => parse(body).map(|r| performance(inst, r)),
        "getProductAvailability" => parse(body).map(|r| product(inst, r)),
        "getAvailableThemeAndLanguage" => parse(body).map(|r| themes_and_languages(inst, r)),
        "getUpdatedAvailabilities" => parse(body).map(|r| updated(inst, r)),
        "getSeatsAvailability" => parse(body).map(|r| seats(inst, r)),
        _ => return None,
    })
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

/// Items for the performances of `products` (all of them when `perf_filter` is empty).
fn performance_items(
    inst: &Institution,
    products: &[&Product],
    perf_filter: &[PerformanceId],
    seat_categories: &[SeatCategoryId],
) -> Vec<AvailabilityItem> {
    let per_category = seat_categories == [SeatCategoryId(-1)];
    let mut items = Vec::new();
    for product in products {
        let Some(event) = &product.event else {
            continue;
        };
        for perf in event
            .performances
            .iter()
            .filter(|p| perf_filter.is_empty() || perf_filter.contains(&p.id))
        {
            let keys: Vec<StockKey> = perf
                .seat_categories
                .iter()
                .filter(|c| {
                    per_category || seat_categories.is_empty() || seat_categories.contains(&c.id)
                })
                .map(|c| StockKey::Performance(perf.id, c.id))
                .collect();
            if seat_categories.is_empty() {
                items.push(inst.total_item(product, Some(perf.id), &keys));
            } else {
                items.extend(keys.iter().filter_map(|k| inst.item(*k, product)));
            }
        }
    }
    items
}

fn event(inst: &Institution, req: EventAvailabilityRequest) -> MethodResult {
    check_pos(inst, req.point_of_sales_id)?;
    if req.event_ids.is_empty() && req.performance_ids.is_empty() {
        return Err(BusinessError::invalid(
            "eventIds or performanceIds is mandatory",
        ));
    }
    let products: Vec<&Product> = inst
        .catalog
        .products()
        .filter(|p| p.event.is_some())
        .filter(|p| {
            req.event_ids.contains(&p.id)
                || p.event.as_ref().is_some_and(|e| {
                    e.performances
                        .iter()
                        .any(|x| req.performance_ids.contains(&x.id))
                })
        })
        .collect();
    if products.is_empty() {
        return Err(BusinessError::not_found("event"));
    }
    let items = performance_items(
        inst,
        &products,
        &req.performance_ids,
        &req.seat_category_ids,
    );
    ok(EventAvailabilityResult {
        event_availability_data: Some(EventAvailabilityData {
            event_availabilities: items,
        }),
    })
}

fn performance(inst: &Institution, req: EventAvailabilityRequest) -> MethodResult {
    check_pos(inst, req.point_of_sales_id)?;
    if req.performance_ids.is_empty() {
        return Err(BusinessError::invalid("performanceIds is mandatory"));
    }
    let products: Vec<&Product> = inst
        .catalog
        .products()
        .filter(|p| {
            p.event.as_ref().is_some_and(|e| {
                e.performances
                    .iter()
                    .any(|x| req.performance_ids.contains(&x.id))
            })
        })
        .collect();
    if products.is_empty() {
        return Err(BusinessError::not_found("performance"));
    }
    let items = performance_items(
        inst,
        &products,
        &req.performance_ids,
        &req.seat_category_ids,
    );
    ok(PerformanceAvailabilityResult {
        performance_availability_data: Some(PerformanceAvailabilityData {
            performance_availabilities: items,
        }),
    })
}

fn product(inst: &Institution, req: ProductAvailabilityRequest) -> MethodResult {
    check_pos(inst, req.point_of_sales_id)?;
    if req.product_ids.is_empty() {
        return Err(BusinessError::invalid("productIds is mandatory"));
    }
    let wanted_slots: HashSet<TimeslotId> = req.timeslot_ids.iter().copied().collect();
    let mut items = Vec::new();
    for pid in &req.product_ids {
        let product = inst
            .product(*pid)
            .ok_or_else(|| BusinessError::not_found(format!("product {pid}")))?;
        if let Some(pass) = product.pass.as_ref().filter(|p| !p.timeslots.is_empty()) {
            for slot in &pass.timeslots {
                let day_ok = req
                    .date
                    .as_deref()
                    .is_none_or(|d| slot.start.format("%Y-%m-%d").to_string() == d);
                if day_ok && (wanted_slots.is_empty() || wanted_slots.contains(&slot.id)) {
                    items.extend(inst.item(StockKey::Timeslot(slot.id), product));
                }
            }
        } else if let Some(item) = inst.item(StockKey::Product(*pid), product) {
            items.push(item);
        } else if let Some(line) = &product.package_line {
            // a season ticket: what is left is what every one of its performances still has
            let per_perf: Vec<AvailabilityItem> = line
                .performance_ids
                .iter()
                .map(|perf| {
                    let keys: Vec<StockKey> = line
                        .seat_categories
                        .iter()
                        .map(|c| StockKey::Performance(*perf, c.id))
                        .collect();
                    inst.total_item(product, Some(*perf), &keys)
                })
                .collect();
            if let Some(min) = per_perf.into_iter().min_by_key(|i| i.availability) {
                items.push(AvailabilityItem {
                    performance_id: None,
                    ..min
                });
            }
        } else {
            // not stock-controlled (open pass, service without quota)
            let level = if product.state.on_sale() {
                AvailabilityLevel::Good
            } else {
                AvailabilityLevel::OutsideSalePeriod
            };
            items.push(AvailabilityItem {
                performance_id: None,
                product_id: product.id,
                timeslot_id: None,
                seat_category_id: None,
                contingent_id: None,
                availability: u32::MAX,
                capacity: u32::MAX,
                quota: None,
                availability_level: level,
                availability_color: level.color(),
            });
        }
    }
    ok(ProductAvailabilityResult {
        product_availability_data: Some(ProductAvailabilityData {
            product_availabilities: items,
        }),
    })
}

fn updated(inst: &Institution, req: UpdatedAvailabilitiesRequest) -> MethodResult {
    check_pos(inst, req.point_of_sales_id)?;
    if req.product_ids.is_empty() {
        return Err(BusinessError::invalid("productIds is mandatory"));
    }
    let reference = req
        .reference_date
        .ok_or_else(|| BusinessError::invalid("referenceDate is mandatory"))?;
    let data = req
        .product_ids
        .iter()
        .filter_map(|pid| inst.product_updated.get(pid).map(|t| (pid, t)))
        .filter(|(_, t)| **t > reference)
        .map(|(pid, t)| AvailabilityUpdate {
            product_id: *pid,
            last_update: *t,
        })
        .collect();
    ok(UpdatedAvailabilitiesResult {
        availability_update_data: data,
    })
}

/// `getSeatsAvailability` (OUR DESIGN): every seat of a performance with its status, and the
/// standing areas with what is left. Held seats are RESERVED, sold ones BOOKED.
fn seats(inst: &Institution, req: s360::model::order::SeatsAvailabilityRequest) -> MethodResult {
    use s360::model::order::*;
    check_pos(inst, req.point_of_sales_id)?;
    let perf_id = req
        .performance_id
        .ok_or_else(|| BusinessError::invalid("performanceId is mandatory"))?;
    let perf = inst
        .catalog
        .products()
        .filter_map(|p| p.event.as_ref())
        .flat_map(|e| e.performances.iter())
        .find(|p| p.id == perf_id)
        .ok_or_else(|| BusinessError::not_found(format!("performance {perf_id}")))?;
    let venue = inst
        .venues
        .iter()
        .find(|v| Some(v.config.space_id) == perf.space_id)
        .ok_or_else(|| BusinessError::not_found(format!("venue of performance {perf_id}")))?;
    let cat_of = |code: &str| {
        perf.seat_categories
            .iter()
            .find(|c| c.code == code)
            .map(|c| c.id)
    };
    let wanted = |cat: SeatCategoryId, area: AreaId| {
        (req.seat_category_ids.is_empty() || req.seat_category_ids.contains(&cat))
            && (req.area_ids.is_empty() || req.area_ids.contains(&area))
    };
    let seats = venue
        .seats
        .iter()
        .filter_map(|s| {
            let cat = cat_of(&s.seat_category_code)?;
            wanted(cat, s.area_id).then(|| SeatAvailability {
                seat_id: s.id,
                area_id: s.area_id,
                area_code: s.area_code.clone(),
                block_code: s.block_code.clone(),
                row_number: s.row.clone(),
                seat_number: s.number.clone(),
                seat_category_id: cat,
                status: match inst.orders.seat_use(perf_id, s.id) {
                    None => SeatStatus::Free,
                    Some(crate::orders::SeatUse::Held(_)) => SeatStatus::Reserved,
                    Some(crate::orders::SeatUse::Sold(_)) => SeatStatus::Booked,
                },
                x: s.x,
                y: s.y,
            })
        })
        .collect();
    let standing_areas = venue
        .standing
        .iter()
        .filter_map(|s| {
            let cat = cat_of(&s.seat_category_code)?;
            let code = venue
                .config
                .areas
                .iter()
                .find(|a| a.id == s.area_id)
                .map(|a| a.code.clone())
                .unwrap_or_default();
            wanted(cat, s.area_id).then(|| StandingAvailability {
                area_id: s.area_id,
                area_code: code,
                seat_category_id: cat,
                capacity: s.capacity,
                remaining: s
                    .capacity
                    .saturating_sub(inst.orders.standing_taken(perf_id, s.area_id)),
            })
        })
        .collect();
    ok(SeatsAvailabilityResult {
        seats_availability_data: Some(SeatsAvailabilityData {
            seats,
            standing_areas,
        }),
    })
}

/// Guided tours of a visit pass (OUR DESIGN for the seed): the "highlights" tour (theme 1)
/// starts at 11:00 in English, 14:00 in French and 16:00 in German, on every open day.
pub const HIGHLIGHTS_THEME_ID: i64 = 1;

fn themes_and_languages(inst: &Institution, req: ThemeAndLanguageRequest) -> MethodResult {
    use chrono::Timelike;
    let product = inst
        .product(req.pass_id)
        .ok_or_else(|| BusinessError::not_found(format!("pass {}", req.pass_id)))?;
    let pass = product
        .pass
        .as_ref()
        .ok_or_else(|| BusinessError::invalid(format!("product {} is not a pass", req.pass_id)))?;
    if req.timeslot_ids.is_empty() {
        return Err(BusinessError::invalid("timeslotIds is mandatory"));
    }
    let mut list = Vec::new();
    for id in &req.timeslot_ids {
        let slot = pass
            .timeslots
            .iter()
            .find(|t| t.id == *id)
            .ok_or_else(|| BusinessError::not_found(format!("time slot {id}")))?;
        let language = match (slot.start.hour(), slot.start.minute()) {
            (11, 0) => Some("en"),
            (14, 0) => Some("fr"),
            (16, 0) => Some("de"),
            _ => None,
        };
        if let (true, Some(language)) = (pass.guided, language) {
            list.push(ThemeAndLanguage {
                language_code: language.into(),
                theme_id: HIGHLIGHTS_THEME_ID,
                timeslot_id: slot.id,
            });
        }
    }
    ok(ThemeAndLanguageResult {
        list_theme_and_language: list,
    })
}
