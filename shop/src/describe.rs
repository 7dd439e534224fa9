//! Catalog things in the buyer's words: dates and times in the institution's time zone, tariff
//! and seat-category names, availability levels, product families and price ranges, the cart's
//! lines. Names come from the catalog, never S-360's codes.

use std::sync::Arc;

use rust_i18n::t;
use s360::client::CatalogSnapshot;
use s360::model::availability::{AvailabilityItem, AvailabilityLevel, DEFAULT_ALERT_RATIO_PERCENT};
use s360::model::catalog::{Area, Product, ProductFamilyType};
use s360::model::order::OrderDetailsData;
use s360::{AudienceSubCategoryId, SeatCategoryId};

use crate::error::Error;
use crate::lang::Lang;
use crate::model::{CartLine, ShopInfo};
use crate::tenant::Tenant;

/// The institution's catalog, or [`Error::NotLoaded`] before its first load.
pub fn snapshot(tenant: &Tenant) -> Result<Arc<CatalogSnapshot>, Error> {
    tenant.catalog.snapshot().ok_or(Error::NotLoaded)
}

/// The shop's name, place, currency and brand as the layout shows them; `origin` is the
/// request's public origin (see [`Tenant::origin`]) where the page needs canonical URLs.
pub fn shop_info(
    tenant: &Tenant,
    snap: &CatalogSnapshot,
    locale: &str,
    origin: Option<&str>,
) -> ShopInfo {
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
        branding: tenant.branding.clone(),
        origin: origin.unwrap_or_default().to_string(),
        languages: tenant.languages.clone(),
    }
}

/// The performance `id` of the catalog, with its event's product.
pub fn performance(
    snap: &CatalogSnapshot,
    id: s360::PerformanceId,
) -> Option<(&Product, &s360::model::catalog::Performance)> {
    snap.catalog.products().find_map(|p| {
        let perf = p.event.as_ref()?.performances.iter().find(|x| x.id == id)?;
        Some((p, perf))
    })
}

/// "Friday 12 December 2026, 19:00", "vendredi 12 décembre 2026, 19:00",
/// "Freitag, 12. Dezember 2026, 19:00": in the institution's time zone (the catalog's offset).
pub fn when(dt: &chrono::DateTime<chrono::FixedOffset>, locale: &str) -> String {
    let lang = Lang::parse(locale).unwrap_or_default();
    let fmt = match lang {
        Lang::De => "%A, %-d. %B %Y, %H:%M",
        _ => "%A %-d %B %Y, %H:%M",
    };
    dt.format_localized(fmt, lang.chrono_locale()).to_string()
}

/// "12 Dec 2026", "12 déc. 2026", "12. Dez. 2026".
pub fn day(dt: &chrono::DateTime<chrono::FixedOffset>, locale: &str) -> String {
    let lang = Lang::parse(locale).unwrap_or_default();
    let fmt = match lang {
        Lang::De => "%-d. %b %Y",
        _ => "%-d %b %Y",
    };
    dt.format_localized(fmt, lang.chrono_locale()).to_string()
}

pub(crate) fn tariff_name(
    snap: &CatalogSnapshot,
    id: AudienceSubCategoryId,
    locale: &str,
) -> String {
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

pub(crate) fn seat_category_name(
    snap: &CatalogSnapshot,
    id: SeatCategoryId,
    locale: &str,
) -> Option<String> {
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
pub(crate) fn lines_of(
    d: &OrderDetailsData,
    snap: &CatalogSnapshot,
    locale: &str,
) -> Vec<CartLine> {
    d.operation_datas
        .iter()
        .map(|op| {
            let seats = d
                .movements
                .iter()
                .filter(|m| m.operation_id == op.operation_id)
                .filter_map(|m| match (&m.block_code, &m.row_number, &m.seat_number) {
                    (Some(b), Some(r), Some(n)) => Some(
                        t!(
                            "cart.seat",
                            locale = locale,
                            block = block_name(snap, b, locale),
                            row = r,
                            seat = n
                        )
                        .into_owned(),
                    ),
                    (Some(b), _, _) => Some(area_name(snap, b, locale)),
                    _ => None,
                })
                .collect();
            CartLine {
                product: op.product.clone(),
                when: op.performance_start.as_ref().map(|w| when(w, locale)),
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
                details: vec![],
            }
        })
        .collect()
}

/// The catalog's area of a block or area code (`STALLS`, `B1`, `NORTH`), in any configuration.
fn area_of<'a>(snap: &'a CatalogSnapshot, code: &str) -> Option<&'a Area> {
    snap.catalog
        .physical_configurations
        .iter()
        .flat_map(|c| c.areas.iter())
        .find(|a| a.code == code)
}

/// A block as buyers read it: its name in the catalog ("Stalls", "Parkett", "Block 2"), else
/// "Block {code}".
pub fn block_name(snap: &CatalogSnapshot, code: &str, locale: &str) -> String {
    area_of(snap, code)
        .map(|a| a.external_name.best(locale, &snap.pos.main_language))
        .filter(|n| !n.trim().is_empty())
        .map_or_else(
            || t!("order.block", locale = locale, block = code).into_owned(),
            str::to_string,
        )
}

/// A standing area as buyers read it: its name in the catalog ("North terrace"), else
/// "Area {code}".
pub fn area_name(snap: &CatalogSnapshot, code: &str, locale: &str) -> String {
    area_of(snap, code)
        .map(|a| a.external_name.best(locale, &snap.pos.main_language))
        .filter(|n| !n.trim().is_empty())
        .map_or_else(
            || t!("order.area", locale = locale, area = code).into_owned(),
            str::to_string,
        )
}

/// An entrance as buyers read it: its name in the catalog ("Door A (stalls)"), else its code
/// (tickets and gates keep the codes).
pub fn entrance_name(snap: &CatalogSnapshot, code: &str, locale: &str) -> String {
    snap.catalog
        .physical_configurations
        .iter()
        .flat_map(|c| c.entrances.iter())
        .find(|e| e.code == code)
        .map(|e| e.external_name.best(locale, &snap.pos.main_language))
        .filter(|n| !n.trim().is_empty())
        .map_or_else(|| code.to_string(), str::to_string)
}

/// Where a product is bought: dated events have an event page with their performances; passes,
/// services and season tickets a product page.
pub fn product_href(p: &Product) -> String {
    if p.event.is_some() {
        format!("/event/{}", p.id)
    } else {
        format!("/product/{}", p.id)
    }
}

/// One level for a whole product, from its items.
pub fn product_level(items: &[AvailabilityItem]) -> AvailabilityLevel {
    if items.is_empty() {
        return AvailabilityLevel::Unknown;
    }
    if items.iter().all(|i| !i.availability_level.buyable()) {
        return if items
            .iter()
            .any(|i| i.availability_level == AvailabilityLevel::SoldOut)
        {
            AvailabilityLevel::SoldOut
        } else {
            items[0].availability_level
        };
    }
    let (remaining, capacity) = items.iter().fold((0u64, 0u64), |(r, c), i| {
        (r + i.availability as u64, c + i.capacity as u64)
    });
    if remaining * 100 <= capacity * DEFAULT_ALERT_RATIO_PERCENT as u64 {
        AvailabilityLevel::Limited
    } else {
        AvailabilityLevel::Good
    }
}

/// The availability level in words (never colour alone).
pub fn level_text(level: AvailabilityLevel, locale: &str) -> String {
    let key = match level {
        AvailabilityLevel::Good => "level.good",
        AvailabilityLevel::Limited | AvailabilityLevel::Optionable => "level.limited",
        AvailabilityLevel::SoldOut => "level.sold_out",
        AvailabilityLevel::OutsideSalePeriod => "level.not_on_sale",
        AvailabilityLevel::NotVisible | AvailabilityLevel::Unknown => "level.unknown",
    };
    t!(key, locale = locale).into_owned()
}

/// The family a product is sold as: `event`, `season`, `timed`, `pass`, `extra`, `package`.
pub fn family_key(p: &Product) -> &'static str {
    match p.product_family_type {
        ProductFamilyType::SingleEntry => "event",
        ProductFamilyType::Seasonticket => "season",
        ProductFamilyType::Pass if p.pass.as_ref().is_some_and(|x| !x.timeslots.is_empty()) => {
            "timed"
        }
        ProductFamilyType::Pass => "pass",
        ProductFamilyType::Service | ProductFamilyType::Goods => "extra",
        _ => "package",
    }
}

/// The buyer-facing family of a product.
pub fn family_label(p: &Product, locale: &str) -> String {
    t!(format!("family.{}", family_key(p)), locale = locale).into_owned()
}

pub(crate) fn min_price(p: &Product) -> Option<s360::Amount> {
    let perf = p
        .event
        .iter()
        .flat_map(|e| e.performances.iter())
        .flat_map(|x| x.prices.iter().map(|pr| pr.amount));
    let items = p
        .pass
        .iter()
        .flat_map(|x| x.items.iter())
        .chain(p.items.iter())
        .flat_map(|i| i.item_prices.iter().map(|pr| pr.amount));
    let package = p
        .package_line
        .iter()
        .flat_map(|l| l.prices.iter().map(|pr| pr.amount));
    perf.chain(items).chain(package).filter(|a| a.0 > 0).min()
}

pub(crate) fn date_range(p: &Product, locale: &str) -> String {
    let starts: Vec<_> = p
        .event
        .iter()
        .flat_map(|e| e.performances.iter().map(|x| x.start))
        .chain(
            p.pass
                .iter()
                .flat_map(|x| x.timeslots.iter().map(|t| t.start)),
        )
        .collect();
    let (Some(first), Some(last)) = (starts.iter().min(), starts.iter().max()) else {
        return String::new();
    };
    let day = |d| day(d, locale);
    if first.date_naive() == last.date_naive() {
        t!(
            "home.same_day",
            locale = locale,
            day = day(first),
            time = first.format("%H:%M")
        )
        .into_owned()
    } else {
        format!("{} – {}", day(first), day(last))
    }
}
