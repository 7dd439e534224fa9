//! What the event and performance pages show, from the catalog and availability caches.

use s360::model::availability::AvailabilityLevel;
use s360::model::catalog::{Performance, Product};
use s360::{PerformanceId, ProductId};

use s360::client::CatalogSnapshot;

use crate::context::Ctx;
use crate::describe::{level_text, product_level, snapshot, tariff_name, when};
use crate::error::Error;
use crate::model::*;
use crate::seatmap::{has_seat_map, seat_map, seat_map_view};

fn find_event(snap: &CatalogSnapshot, id: i64) -> Option<&Product> {
    snap.catalog
        .products()
        .find(|p| p.id == ProductId(id) && p.state.on_sale() && p.event.is_some())
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

pub async fn event_view(cx: &Ctx, product_id: i64) -> Result<Option<EventView>, Error> {
    let (tenant, locale) = (&*cx.tenant, cx.locale());
    let snap = snapshot(tenant)?;
    let Some(product) = find_event(&snap, product_id) else {
        return Ok(None);
    };
    let items = tenant.availability(&snap).get(product).await?;
    let main = &snap.pos.main_language;
    let mut performances = Vec::new();
    let mut ld_events = Vec::new();
    let shop = cx.shop_info(&snap);
    let name = product.external_name.best(locale, main).to_string();
    let description = product.external_description.best(locale, main).to_string();
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
        ld_events.push(json_ld_event(
            &shop,
            &name,
            &description,
            product_id,
            perf,
            level,
        ));
        performances.push(PerformanceRow {
            id: perf.id.0,
            when: when(&perf.start, locale),
            price_range: price_range(&snap, perf, locale),
            availability: format!("{level:?}").to_ascii_uppercase(),
            availability_text: level_text(level, locale),
            buyable: level.buyable(),
        });
    }
    let json_ld = script_json(&serde_json::Value::Array(ld_events));
    // where it takes place: the halls of its performances, named as the catalog names them
    let mut venues: Vec<String> = Vec::new();
    for space in product
        .event
        .iter()
        .flat_map(|e| e.performances.iter())
        .filter_map(|p| p.space_id)
    {
        if let Some(c) = snap
            .catalog
            .physical_configurations
            .iter()
            .find(|c| c.space_id == space)
        {
            let v = format!(
                "{}, {}",
                c.space_external_name.best(locale, main),
                c.site_external_name.best(locale, main)
            );
            if !venues.contains(&v) {
                venues.push(v);
            }
        }
    }
    Ok(Some(EventView {
        canonical: format!("{}/event/{product_id}", shop.origin),
        venue: (!venues.is_empty()).then(|| format!("{}, {}", venues.join(" · "), shop.locality)),
        image: product.medium_image_url.clone(),
        shop,
        product_id,
        name,
        description,
        performances,
        json_ld,
    }))
}

/// JSON for a `<script>` element: "</" must not end the element early.
fn script_json(v: &serde_json::Value) -> String {
    serde_json::to_string(v)
        .unwrap_or_default()
        .replace("</", "<\\/")
}

/// One performance as a schema.org `Event` with its offers.
fn json_ld_event(
    shop: &ShopInfo,
    name: &str,
    description: &str,
    product_id: i64,
    perf: &Performance,
    level: AvailabilityLevel,
) -> serde_json::Value {
    let amounts: Vec<i64> = perf
        .prices
        .iter()
        .map(|p| p.amount.0)
        .filter(|a| *a > 0)
        .collect();
    let decimal = |a: i64| format!("{}.{:02}", a / 1000, (a % 1000) / 10);
    let availability = match level {
        AvailabilityLevel::SoldOut => "https://schema.org/SoldOut",
        AvailabilityLevel::Limited | AvailabilityLevel::Optionable => {
            "https://schema.org/LimitedAvailability"
        }
        _ if level.buyable() => "https://schema.org/InStock",
        _ => "https://schema.org/OutOfStock",
    };
    let url = format!("{}/event/{product_id}/{}", shop.origin, perf.id);
    serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "name": name,
        "description": description,
        "startDate": perf.start.to_rfc3339(),
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "url": url,
        "location": {
            "@type": "Place",
            "name": shop.name,
            "address": { "@type": "PostalAddress", "addressLocality": shop.locality },
        },
        "organizer": { "@type": "Organization", "name": shop.name, "url": shop.origin },
        "offers": {
            "@type": "AggregateOffer",
            "priceCurrency": shop.currency,
            "lowPrice": amounts.iter().min().map(|a| decimal(*a)),
            "highPrice": amounts.iter().max().map(|a| decimal(*a)),
            "availability": availability,
            "url": url,
        },
    })
}

/// Which part of a seated venue's map the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapPart<'a> {
    /// No map: categories and best available only.
    None,
    /// The whole map (a large venue: its blocks).
    Whole,
    /// The seats of one block of a large venue.
    Block(&'a str),
}

/// A performance's page: its seat categories with prices, and for a seated venue the part of
/// the seat map the buyer opened.
pub async fn performance_view(
    cx: &Ctx,
    product_id: i64,
    performance_id: i64,
    map: MapPart<'_>,
) -> Result<Option<PerformanceView>, Error> {
    let (tenant, locale) = (&*cx.tenant, cx.locale());
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
    let items = tenant.availability(&snap).get(product).await?;
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
                availability_text: level_text(level, locale),
                remaining: item.map_or(0, |i| i.availability),
                buyable: level.buyable(),
                prices,
            }
        })
        .collect();
    let seated = has_seat_map(&snap, perf);
    let seat_map = match map {
        MapPart::None => None,
        _ if !seated => None,
        MapPart::Whole | MapPart::Block(_) => {
            let data = seat_map(tenant, &snap, product, perf.id).await?;
            let block = match map {
                MapPart::Block(b) => Some(b),
                _ => None,
            };
            seat_map_view(&snap, perf, &data, block, locale)
        }
    };
    let shop = cx.shop_info(&snap);
    let product_name = product.external_name.best(locale, main).to_string();
    let mine: Vec<_> = items
        .iter()
        .filter(|i| i.performance_id == Some(perf.id))
        .cloned()
        .collect();
    let json_ld = script_json(&json_ld_event(
        &shop,
        &product_name,
        product.external_description.best(locale, main),
        product_id,
        perf,
        product_level(&mine),
    ));
    Ok(Some(PerformanceView {
        canonical: format!("{}/event/{product_id}/{performance_id}", shop.origin),
        shop,
        product_id,
        product_name,
        performance_id,
        when: when(&perf.start, locale),
        categories,
        max_quantity: snap.pos.max_seats_per_performance,
        seated,
        seat_map,
        json_ld,
    }))
}
