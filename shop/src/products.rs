//! Product pages for everything that is not a dated event: visit passes (a day in a calendar,
//! then a time slot), open passes and simple products (tariffs and quantities), season tickets
//! (the same seat on every performance of the package). Pages render from the caches; adding to
//! the cart validates the choice here, re-checks availability and lets S-360 have the last word.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, FixedOffset, Months, NaiveDate, Utc};
use s360::model::availability::{
    AvailabilityItem, AvailabilityLevel, ProductAvailabilityRequest, ThemeAndLanguage,
    ThemeAndLanguageRequest,
};
use s360::model::catalog::{AudienceSubCategory, Item, Product, Timeslot};
use s360::model::order::*;
use s360::{
    Amount, AudienceSubCategoryId, ItemId, PerformanceId, ProductId, SeatCategoryId, TimeslotId,
};

use rust_i18n::t;

use s360::client::{CatalogSnapshot, Error as S360Error};

use crate::calendar::{self, day_label, month_title, parse_day, parse_month};
use crate::cart::{check_holds, places_changed, usable_order};
use crate::context::Ctx;
use crate::describe::{
    family_label, level_text, performance, product_level, snapshot, tariff_name, when,
};
use crate::error::Error;
use crate::lang::count_key;
use crate::model::*;
use crate::tenant::Tenant;

/// How a product is bought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductKind {
    /// A pass sold per time slot: a day, then a slot.
    Visit,
    /// An open pass or a simple product (service, goods): tariffs and quantities.
    Open,
    /// A season ticket or package: the same seat on each of its performances.
    Season,
}

impl ProductKind {
    pub fn of(p: &Product) -> Option<ProductKind> {
        if p.event.is_some() {
            return None;
        }
        if p.package_line.is_some() {
            return Some(ProductKind::Season);
        }
        match &p.pass {
            Some(pass) if !pass.timeslots.is_empty() => Some(ProductKind::Visit),
            Some(pass) if !pass.items.is_empty() => Some(ProductKind::Open),
            Some(_) => None,
            None if !p.items.is_empty() => Some(ProductKind::Open),
            None => None,
        }
    }

    fn code(self) -> &'static str {
        match self {
            ProductKind::Visit => "visit",
            ProductKind::Open => "open",
            ProductKind::Season => "season",
        }
    }
}

fn find_product(snap: &CatalogSnapshot, id: i64) -> Option<(&Product, ProductKind)> {
    snap.catalog
        .products()
        .find(|p| p.id == ProductId(id) && p.state.on_sale())
        .and_then(|p| ProductKind::of(p).map(|k| (p, k)))
}

/// The items of a pass or simple product.
fn items_of(p: &Product) -> &[Item] {
    match &p.pass {
        Some(pass) => &pass.items,
        None => &p.items,
    }
}

fn offer_key(item: Option<ItemId>, tariff: AudienceSubCategoryId) -> String {
    match item {
        Some(i) => format!("i{i}-t{tariff}"),
        None => format!("t{tariff}"),
    }
}

/// Every tariff of the catalog, for names and rules.
fn all_tariffs(snap: &CatalogSnapshot) -> Vec<&AudienceSubCategory> {
    snap.catalog
        .seasons
        .iter()
        .flat_map(|s| s.audience_categories.iter())
        .flat_map(|c| c.audience_sub_categories.iter())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Dates

/// "now" in the institution's time zone (the offset its catalog dates carry).
fn now_in(offset: FixedOffset) -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&offset)
}

fn catalog_offset(p: &Product) -> FixedOffset {
    p.pass
        .iter()
        .flat_map(|x| x.timeslots.first())
        .map(|t| *t.start.offset())
        .next()
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

fn slot_over(slot: &Timeslot, now: DateTime<FixedOffset>) -> bool {
    slot.start + chrono::Duration::seconds(slot.duration) <= now
}

fn slot_time(slot: &Timeslot) -> String {
    let end = slot.start + chrono::Duration::seconds(slot.duration);
    format!("{}–{}", slot.start.format("%H:%M"), end.format("%H:%M"))
}

// ---------------------------------------------------------------------------------------------
// Guided tours (getAvailableThemeAndLanguage), cached per pass and day

const THEMES_TTL: Duration = Duration::from_secs(600);

/// Pass and day.
type ThemeKey = (ProductId, NaiveDate);
/// When the tours were fetched, and the tours.
type ThemeEntry = (Instant, Arc<Vec<ThemeAndLanguage>>);

/// An institution's guided tours by pass and day (owned by its [`Tenant`]).
#[derive(Default)]
pub struct TourCache(Mutex<HashMap<ThemeKey, ThemeEntry>>);

impl TourCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ThemeKey, ThemeEntry>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::fmt::Debug for TourCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TourCache({} days)", self.lock().len())
    }
}

/// The guided tours of a visit pass's time slots on one day: from memory when asked in the last
/// ten minutes, else from S-360 (the tours are set up with the catalog and rarely change).
async fn tours_of_day(
    tenant: &Tenant,
    product: &Product,
    date: NaiveDate,
) -> Result<Arc<Vec<ThemeAndLanguage>>, S360Error> {
    let guided = product.pass.as_ref().is_some_and(|p| p.guided);
    let slots: Vec<TimeslotId> = product
        .pass
        .iter()
        .flat_map(|p| p.timeslots.iter())
        .filter(|t| t.start.date_naive() == date)
        .map(|t| t.id)
        .collect();
    if !guided || slots.is_empty() {
        return Ok(Arc::new(vec![]));
    }
    let key = (product.id, date);
    if let Some((at, v)) = tenant.tours.lock().get(&key) {
        if at.elapsed() < THEMES_TTL {
            return Ok(v.clone());
        }
    }
    let list = tenant
        .catalog
        .client()
        .get_available_theme_and_language(&ThemeAndLanguageRequest {
            pass_id: product.id,
            timeslot_ids: slots,
        })
        .await?;
    let list = Arc::new(list);
    let mut cache = tenant.tours.lock();
    cache.retain(|_, (at, _)| at.elapsed() < THEMES_TTL);
    cache.insert(key, (Instant::now(), list.clone()));
    Ok(list)
}

/// Guided tours of one slot, from the cache only (the cart's lines; nothing when unknown).
pub(crate) fn cached_tours(tenant: &Tenant, slot: TimeslotId) -> Vec<ThemeAndLanguage> {
    tenant
        .tours
        .lock()
        .values()
        .flat_map(|(_, v)| v.iter())
        .filter(|t| t.timeslot_id == slot)
        .cloned()
        .collect()
}

/// "English", "anglais", "Englisch" (a language code S-360 gives for a tour).
fn language_name(code: &str, locale: &str) -> String {
    let key = format!("product.language.{}", code.to_ascii_lowercase());
    let name = t!(&key, locale = locale).into_owned();
    if name == key {
        code.to_string()
    } else {
        name
    }
}

pub(crate) fn tour_text(code: &str, locale: &str) -> String {
    t!(
        "product.tour_in",
        locale = locale,
        language = language_name(code, locale)
    )
    .into_owned()
}

// ---------------------------------------------------------------------------------------------
// The page

/// What the page's URL asks for: `?month=YYYY-MM&date=YYYY-MM-DD&tour=en`.
#[derive(Debug, Clone, Default)]
pub struct ProductQuery {
    pub month: String,
    pub date: String,
    pub tour: String,
}

pub async fn product_view(
    cx: &Ctx,
    product_id: i64,
    query: &ProductQuery,
) -> Result<Option<ProductView>, Error> {
    let (tenant, locale) = (&*cx.tenant, cx.locale());
    let snap = snapshot(tenant)?;
    let Some((product, kind)) = find_product(&snap, product_id) else {
        return Ok(None);
    };
    let items = tenant.availability(&snap).get(product).await?;
    let main = &snap.pos.main_language;
    let shop = cx.shop_info(&snap);
    let name = product.external_name.best(locale, main).to_string();
    let description = product.external_description.best(locale, main).to_string();
    let max_quantity = snap.pos.max_seats_per_performance;
    let now = now_in(catalog_offset(product));

    let (calendar, day, season, offers, level) = match kind {
        ProductKind::Visit => {
            let calendar = visit_calendar(product, &items, query, now, locale);
            let day = visit_day(tenant, product, &items, query, now, locale).await;
            let offers = item_offers(&snap, product, true, max_quantity, locale);
            let open: Vec<AvailabilityItem> = bookable_items(product, &items, now);
            (Some(calendar), day, None, offers, product_level(&open))
        }
        ProductKind::Open => {
            let offers = item_offers(&snap, product, false, max_quantity, locale);
            (None, None, None, offers, product_level(&items))
        }
        ProductKind::Season => {
            let (package, offers, level) =
                season_package(tenant, &snap, product, max_quantity, locale).await?;
            (None, None, Some(package), offers, level)
        }
    };
    let validity = product
        .pass
        .as_ref()
        .and_then(|p| p.validity_days)
        .map(|days| t!("product.validity", locale = locale, days = days).into_owned());
    let canonical = format!("{}/product/{product_id}", shop.origin);
    let json_ld = json_ld_product(&shop, &name, &description, &canonical, product, level);
    Ok(Some(ProductView {
        product_id,
        kind: kind.code().into(),
        family: family_label(product, locale),
        availability: format!("{level:?}").to_ascii_uppercase(),
        availability_text: level_text(level, locale),
        validity,
        offers,
        max_quantity,
        calendar,
        day,
        season,
        canonical,
        json_ld,
        name,
        description,
        shop,
    }))
}

/// The items of the slots still to come.
fn bookable_items(
    product: &Product,
    items: &[AvailabilityItem],
    now: DateTime<FixedOffset>,
) -> Vec<AvailabilityItem> {
    let open: HashSet<TimeslotId> = product
        .pass
        .iter()
        .flat_map(|p| p.timeslots.iter())
        .filter(|t| !slot_over(t, now))
        .map(|t| t.id)
        .collect();
    items
        .iter()
        .filter(|i| i.timeslot_id.is_some_and(|t| open.contains(&t)))
        .cloned()
        .collect()
}

/// One offer per item and tariff (for a visit pass, the items sold per time slot).
fn item_offers(
    snap: &CatalogSnapshot,
    product: &Product,
    timed: bool,
    max: u32,
    locale: &str,
) -> Vec<TariffOffer> {
    let items: Vec<&Item> = items_of(product)
        .iter()
        .filter(|i| timed != i.timeslot_ids.is_empty())
        .collect();
    let several = items.len() > 1;
    let main = &snap.pos.main_language;
    let cur = &snap.pos.institution_currency;
    let tariffs = all_tariffs(snap);
    items
        .iter()
        .flat_map(|item| item.item_prices.iter().map(move |p| (item, p)))
        .map(|(item, p)| {
            let tariff = tariff_name(snap, p.aud_sub_cat_id, locale);
            TariffOffer {
                key: offer_key(Some(item.item_id), p.aud_sub_cat_id),
                tariff: if several {
                    format!("{} – {tariff}", item.external_name.best(locale, main))
                } else {
                    tariff
                },
                price: p.amount.format(cur, locale),
                note: needs_note(snap, &tariffs, p.aud_sub_cat_id, locale),
                max: p.max_qty.map_or(max, |m| m.min(max)),
            }
        })
        .collect()
}

/// "Only together with an Adult ticket" for a tariff that needs another one.
fn needs_note(
    snap: &CatalogSnapshot,
    tariffs: &[&AudienceSubCategory],
    id: AudienceSubCategoryId,
    locale: &str,
) -> Option<String> {
    let needs = &tariffs
        .iter()
        .find(|t| t.id == id)?
        .required_audience_sub_category_ids;
    (!needs.is_empty()).then(|| {
        let names: Vec<String> = needs
            .iter()
            .map(|n| tariff_name(snap, *n, locale))
            .collect();
        t!("product.needs", locale = locale, tariff = names.join(" / ")).into_owned()
    })
}

/// The slots of a visit pass by day (in the institution's time zone).
fn slots_by_day(product: &Product) -> BTreeMap<NaiveDate, Vec<&Timeslot>> {
    let mut days: BTreeMap<NaiveDate, Vec<&Timeslot>> = BTreeMap::new();
    for s in product.pass.iter().flat_map(|p| p.timeslots.iter()) {
        days.entry(s.start.date_naive()).or_default().push(s);
    }
    days
}

fn items_by_slot(items: &[AvailabilityItem]) -> HashMap<TimeslotId, &AvailabilityItem> {
    items
        .iter()
        .filter_map(|i| i.timeslot_id.map(|t| (t, i)))
        .collect()
}

/// The month grid of a visit pass: the month asked for (`YYYY-MM`), else the chosen day's,
/// else the first with a visit ahead; each day with its availability in words, a link when it
/// can be booked.
fn visit_calendar(
    product: &Product,
    items: &[AvailabilityItem],
    query: &ProductQuery,
    now: DateTime<FixedOffset>,
    locale: &str,
) -> VisitCalendar {
    let by_slot = items_by_slot(items);
    let days = slots_by_day(product);
    let today = now.date_naive();
    let upcoming = |d: &NaiveDate| days[d].iter().any(|s| !slot_over(s, now));
    let first = days.keys().find(|d| upcoming(d)).copied().unwrap_or(today);
    let last = days.keys().next_back().copied().unwrap_or(today);
    let chosen = parse_day(&query.date);
    let month = parse_month(&query.month)
        .or_else(|| chosen.and_then(|d| d.with_day(1)))
        .unwrap_or_else(|| first.with_day(1).expect("day 1"));
    // from the first month with a visit ahead to the last one (never the other way round,
    // even when every slot is over)
    let first_month = first.with_day(1).expect("day 1");
    let month = month.clamp(
        first_month,
        last.with_day(1).expect("day 1").max(first_month),
    );
    let level_of = |d: NaiveDate| -> AvailabilityLevel {
        let mine: Vec<AvailabilityItem> = days
            .get(&d)
            .into_iter()
            .flatten()
            .filter(|s| !slot_over(s, now))
            .filter_map(|s| by_slot.get(&s.id).map(|i| (*i).clone()))
            .collect();
        product_level(&mine)
    };
    let link = |m: NaiveDate, d: Option<NaiveDate>| {
        let mut q = format!("?month={}", m.format("%Y-%m"));
        if let Some(d) = d {
            q.push_str(&format!("&date={}", d.format("%Y-%m-%d")));
        }
        q
    };

    let weeks = calendar::weeks(month, |d| {
        let (availability, text, href) = if d < today {
            (
                "PAST".to_string(),
                t!("product.day_past", locale = locale).into_owned(),
                None,
            )
        } else if !days.contains_key(&d) {
            (
                "CLOSED".to_string(),
                t!("product.day_closed", locale = locale).into_owned(),
                None,
            )
        } else if !upcoming(&d) {
            (
                "PAST".to_string(),
                t!("product.day_over", locale = locale).into_owned(),
                None,
            )
        } else {
            let level = level_of(d);
            (
                format!("{level:?}").to_ascii_uppercase(),
                level_text(level, locale),
                level.buyable().then(|| link(month, Some(d))),
            )
        };
        VisitCalendarDay {
            day: d.day(),
            date: d.format("%Y-%m-%d").to_string(),
            label: day_label(d, locale),
            availability,
            availability_text: text,
            href,
            selected: chosen == Some(d),
        }
    });
    let prev = month
        .checked_sub_months(Months::new(1))
        .filter(|m| *m >= first.with_day(1).expect("day 1"))
        .map(|m| (link(m, None), month_title(m, locale)));
    let next = month
        .checked_add_months(Months::new(1))
        .filter(|m| *m <= last)
        .map(|m| (link(m, None), month_title(m, locale)));
    VisitCalendar {
        title: month_title(month, locale),
        prev,
        next,
        weekdays: calendar::weekdays(locale),
        weeks,
    }
}

/// The chosen day (`?date=`) of a visit pass: its slots still ahead with what is left, and the
/// guided tours (`?tour=` keeps the slots with a tour in that language).
async fn visit_day(
    tenant: &Tenant,
    product: &Product,
    items: &[AvailabilityItem],
    query: &ProductQuery,
    now: DateTime<FixedOffset>,
    locale: &str,
) -> Option<VisitDay> {
    let by_slot = items_by_slot(items);
    let days = slots_by_day(product);
    let today = now.date_naive();
    let chosen = parse_day(&query.date);
    match chosen {
        None => None,
        Some(date) => {
            let todays: Vec<&Timeslot> = days
                .get(&date)
                .map(|v| v.iter().copied().filter(|s| !slot_over(s, now)).collect())
                .unwrap_or_default();
            // the tours are an extra: without them the slots can still be sold
            let tours = tours_of_day(tenant, product, date)
                .await
                .unwrap_or_default();
            let mut languages: Vec<String> = tours
                .iter()
                .filter(|t| todays.iter().any(|s| s.id == t.timeslot_id))
                .map(|t| t.language_code.clone())
                .collect();
            languages.sort();
            languages.dedup();
            let tour = Some(query.tour.trim().to_ascii_lowercase())
                .filter(|l| languages.contains(l))
                .unwrap_or_default();
            let notice = if todays.is_empty() {
                Some(
                    t!(
                        if date < today || days.contains_key(&date) {
                            "product.no_slots_left"
                        } else {
                            "product.no_slots"
                        },
                        locale = locale
                    )
                    .into_owned(),
                )
            } else {
                None
            };
            let slots = todays
                .iter()
                .filter(|s| {
                    tour.is_empty()
                        || tours
                            .iter()
                            .any(|t| t.timeslot_id == s.id && t.language_code == tour)
                })
                .map(|s| {
                    let item = by_slot.get(&s.id);
                    let level = item.map_or(AvailabilityLevel::Unknown, |i| i.availability_level);
                    let remaining = item.map_or(0, |i| i.availability);
                    VisitSlot {
                        id: s.id.0,
                        time: slot_time(s),
                        remaining,
                        availability: format!("{level:?}").to_ascii_uppercase(),
                        availability_text: if level.buyable() {
                            t!(
                                &count_key("perf.remaining", remaining.into(), locale),
                                locale = locale,
                                count = remaining
                            )
                            .into_owned()
                        } else {
                            level_text(level, locale)
                        },
                        buyable: level.buyable(),
                        tours: tours
                            .iter()
                            .filter(|t| t.timeslot_id == s.id)
                            .map(|t| tour_text(&t.language_code, locale))
                            .collect(),
                    }
                })
                .collect();
            Some(VisitDay {
                date: date.format("%Y-%m-%d").to_string(),
                label: day_label(date, locale),
                slots,
                tour_languages: languages
                    .iter()
                    .map(|l| (l.clone(), language_name(l, locale)))
                    .collect(),
                tour,
                notice,
            })
        }
    }
}

/// What is left of each seat category on every performance of a package: the least any of its
/// performances has (from the events' cached availability).
async fn season_remaining(
    tenant: &Tenant,
    snap: &CatalogSnapshot,
    product: &Product,
) -> Result<HashMap<SeatCategoryId, (u32, AvailabilityLevel)>, Error> {
    let Some(line) = &product.package_line else {
        return Ok(HashMap::new());
    };
    let cache = tenant.availability(snap);
    let mut events: Vec<&Product> = snap
        .catalog
        .products()
        .filter(|p| {
            p.event.as_ref().is_some_and(|e| {
                e.performances
                    .iter()
                    .any(|x| line.performance_ids.contains(&x.id))
            })
        })
        .collect();
    events.dedup_by_key(|p| p.id);
    let mut items = Vec::new();
    for e in events {
        items.extend(cache.get(e).await?.iter().cloned());
    }
    Ok(line
        .seat_categories
        .iter()
        .map(|c| {
            let least = line
                .performance_ids
                .iter()
                .map(|perf| {
                    items
                        .iter()
                        .find(|i| {
                            i.performance_id == Some(*perf) && i.seat_category_id == Some(c.id)
                        })
                        .map_or((0, AvailabilityLevel::Unknown), |i| {
                            (i.availability, i.availability_level)
                        })
                })
                .min_by_key(|(n, _)| *n)
                .unwrap_or((0, AvailabilityLevel::Unknown));
            (c.id, least)
        })
        .collect())
}

async fn season_package(
    tenant: &Tenant,
    snap: &CatalogSnapshot,
    product: &Product,
    max: u32,
    locale: &str,
) -> Result<(SeasonPackage, Vec<TariffOffer>, AvailabilityLevel), Error> {
    let line = product.package_line.as_ref().expect("a season ticket");
    let main = &snap.pos.main_language;
    let cur = &snap.pos.institution_currency;
    let remaining = season_remaining(tenant, snap, product).await?;
    let mut includes: Vec<(DateTime<FixedOffset>, IncludedPerformance)> = line
        .performance_ids
        .iter()
        .filter_map(|id| performance(snap, *id))
        .map(|(p, perf)| {
            (
                perf.start,
                IncludedPerformance {
                    name: p.external_name.best(locale, main).to_string(),
                    when: when(&perf.start, locale),
                    href: format!("/event/{}/{}", p.id, perf.id),
                },
            )
        })
        .collect();
    includes.sort_by_key(|(start, _)| *start);
    let categories: Vec<SeatCategoryRow> = line
        .seat_categories
        .iter()
        .map(|c| {
            let (left, level) = remaining
                .get(&c.id)
                .copied()
                .unwrap_or((0, AvailabilityLevel::Unknown));
            let mut prices: Vec<TariffPrice> = line
                .prices
                .iter()
                .filter(|p| p.seat_cat_id == c.id)
                .map(|p| TariffPrice {
                    tariff_id: p.aud_sub_cat_id.0,
                    tariff: tariff_name(snap, p.aud_sub_cat_id, locale),
                    price: p.amount.format(cur, locale),
                })
                .collect();
            prices.sort_by_key(|p| p.tariff_id);
            SeatCategoryRow {
                id: c.id.0,
                name: c.external_name.best(locale, main).to_string(),
                availability: format!("{level:?}").to_ascii_uppercase(),
                availability_text: if level.buyable() {
                    t!(
                        &count_key("perf.remaining", left.into(), locale),
                        locale = locale,
                        count = left
                    )
                    .into_owned()
                } else {
                    level_text(level, locale)
                },
                remaining: left,
                buyable: level.buyable(),
                prices,
            }
        })
        .collect();
    let tariffs = all_tariffs(snap);
    let mut seen = HashSet::new();
    let mut ids: Vec<AudienceSubCategoryId> = line
        .prices
        .iter()
        .map(|p| p.aud_sub_cat_id)
        .filter(|t| seen.insert(*t))
        .collect();
    ids.sort();
    let offers = ids
        .into_iter()
        .map(|id| {
            let amounts: Vec<Amount> = line
                .prices
                .iter()
                .filter(|p| p.aud_sub_cat_id == id)
                .map(|p| p.amount)
                .collect();
            let (lo, hi) = (
                amounts.iter().min().copied().unwrap_or_default(),
                amounts.iter().max().copied().unwrap_or_default(),
            );
            TariffOffer {
                key: offer_key(None, id),
                tariff: tariff_name(snap, id, locale),
                price: if lo == hi {
                    lo.format(cur, locale)
                } else {
                    format!("{} – {}", lo.format(cur, locale), hi.format(cur, locale))
                },
                note: needs_note(snap, &tariffs, id, locale),
                max,
            }
        })
        .collect();
    let level = categories
        .iter()
        .map(|c| (c.buyable, c.remaining))
        .fold(None::<(bool, u32)>, |acc, x| {
            Some(acc.map_or(x, |a| a.max(x)))
        });
    let level = match level {
        Some((true, _)) => remaining
            .values()
            .filter(|(_, l)| l.buyable())
            .map(|(_, l)| *l)
            .find(|l| *l == AvailabilityLevel::Good)
            .unwrap_or(AvailabilityLevel::Limited),
        Some((false, _)) => AvailabilityLevel::SoldOut,
        None => AvailabilityLevel::Unknown,
    };
    Ok((
        SeasonPackage {
            includes: includes.into_iter().map(|(_, i)| i).collect(),
            categories,
        },
        offers,
        level,
    ))
}

/// schema.org `Product` with an `Offer` per tariff (a season ticket: an `AggregateOffer`).
fn json_ld_product(
    shop: &ShopInfo,
    name: &str,
    description: &str,
    url: &str,
    product: &Product,
    level: AvailabilityLevel,
) -> String {
    let decimal = |a: Amount| format!("{}.{:02}", a.0 / 1000, (a.0 % 1000) / 10);
    let availability = match level {
        AvailabilityLevel::SoldOut => "https://schema.org/SoldOut",
        AvailabilityLevel::Limited | AvailabilityLevel::Optionable => {
            "https://schema.org/LimitedAvailability"
        }
        _ if level.buyable() => "https://schema.org/InStock",
        _ => "https://schema.org/OutOfStock",
    };
    let amounts: Vec<Amount> = items_of(product)
        .iter()
        .flat_map(|i| i.item_prices.iter().map(|p| p.amount))
        .chain(
            product
                .package_line
                .iter()
                .flat_map(|l| l.prices.iter().map(|p| p.amount)),
        )
        .collect();
    let offers = serde_json::json!({
        "@type": "AggregateOffer",
        "priceCurrency": shop.currency,
        "lowPrice": amounts.iter().min().map(|a| decimal(*a)),
        "highPrice": amounts.iter().max().map(|a| decimal(*a)),
        "offerCount": amounts.len(),
        "availability": availability,
        "url": url,
    });
    let v = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": name,
        "description": description,
        "url": url,
        "brand": { "@type": "Organization", "name": shop.name, "url": shop.origin },
        "offers": offers,
    });
    serde_json::to_string(&v)
        .unwrap_or_default()
        // inside <script>: "</" must not end the element early
        .replace("</", "<\\/")
}

// ---------------------------------------------------------------------------------------------
// Validation

/// Why a choice cannot be added to the cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidChoice {
    NotOnSale,
    /// Every quantity is 0 or empty.
    NoQuantity,
    /// Not a whole number.
    BadQuantity,
    /// More than the point of sale (or the tariff) allows.
    TooMany {
        max: u32,
    },
    /// More than what is left.
    NotEnoughLeft {
        left: u32,
    },
    /// Fewer than the tariff's minimum.
    TooFew {
        min: u32,
    },
    UnknownTariff,
    MissingDate,
    BadDate,
    MissingSlot,
    UnknownSlot,
    SlotOver,
    SlotSoldOut,
    LanguageNotOffered {
        language: String,
    },
    MissingCategory,
    UnknownCategory,
    CategorySoldOut,
    TariffNotInCategory,
    /// A tariff that needs another one in the same order (a child with an adult).
    Needs {
        tariff: String,
        needs: String,
    },
}

impl InvalidChoice {
    pub fn message(&self, locale: &str) -> String {
        let tr = |key: &str| t!(key, locale = locale).into_owned();
        match self {
            InvalidChoice::NotOnSale => tr("product.error.not_on_sale"),
            InvalidChoice::NoQuantity => tr("product.error.no_quantity"),
            InvalidChoice::BadQuantity => tr("product.error.bad_quantity"),
            InvalidChoice::TooMany { max } => {
                t!("product.error.too_many", locale = locale, max = max).into_owned()
            }
            InvalidChoice::NotEnoughLeft { left: 0 } => tr("product.error.sold_out"),
            InvalidChoice::NotEnoughLeft { left } => t!(
                &count_key("product.error.not_enough_left", (*left).into(), locale),
                locale = locale,
                left = left
            )
            .into_owned(),
            InvalidChoice::TooFew { min } => {
                t!("product.error.too_few", locale = locale, min = min).into_owned()
            }
            InvalidChoice::UnknownTariff => tr("product.error.unknown_tariff"),
            InvalidChoice::MissingDate => tr("product.error.missing_date"),
            InvalidChoice::BadDate => tr("product.error.bad_date"),
            InvalidChoice::MissingSlot => tr("product.error.missing_slot"),
            InvalidChoice::UnknownSlot => tr("product.error.unknown_slot"),
            InvalidChoice::SlotOver => tr("product.error.slot_over"),
            InvalidChoice::SlotSoldOut => tr("product.error.slot_sold_out"),
            InvalidChoice::LanguageNotOffered { language } => t!(
                "product.error.language",
                locale = locale,
                language = language_name(language, locale)
            )
            .into_owned(),
            InvalidChoice::MissingCategory => tr("product.error.missing_category"),
            InvalidChoice::UnknownCategory => tr("product.error.unknown_category"),
            InvalidChoice::CategorySoldOut => tr("product.error.category_sold_out"),
            InvalidChoice::TariffNotInCategory => tr("product.error.tariff_category"),
            InvalidChoice::Needs { tariff, needs } => t!(
                "product.error.needs",
                locale = locale,
                tariff = tariff,
                needs = needs
            )
            .into_owned(),
        }
    }
}

/// What the choice is checked against.
pub struct ChoiceRules<'a> {
    /// The point of sale's most units per purchase.
    pub max: u32,
    pub now: DateTime<FixedOffset>,
    /// Tariffs of the catalog (names, and which need another).
    pub tariffs: &'a [&'a AudienceSubCategory],
    /// The page's language (tariff names in messages).
    pub locale: &'a str,
    /// Tariffs already in the buyer's order.
    pub ordered: HashSet<AudienceSubCategoryId>,
    /// Fresh availability: per time slot (visit pass) or of the product (open pass, service).
    pub items: &'a [AvailabilityItem],
    /// Guided tours of the chosen day.
    pub tours: &'a [ThemeAndLanguage],
    /// Season tickets: what is left per seat category on every performance.
    pub season: &'a HashMap<SeatCategoryId, (u32, AvailabilityLevel)>,
}

/// The order lines a valid choice adds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChoiceOperations {
    pub simple: Vec<SimpleProductOperation>,
    pub pass: Vec<PassOperation>,
    pub composed: Vec<ComposedProductOperation>,
}

fn parse_quantities(form: &ProductForm) -> Result<Vec<(String, u32)>, InvalidChoice> {
    let mut out = Vec::new();
    for (key, v) in &form.quantities {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        let n: u32 = v.parse().map_err(|_| InvalidChoice::BadQuantity)?;
        if n > 0 {
            out.push((key.clone(), n));
        }
    }
    if out.is_empty() {
        return Err(InvalidChoice::NoQuantity);
    }
    Ok(out)
}

fn tariff_label(rules: &ChoiceRules, id: AudienceSubCategoryId) -> String {
    rules
        .tariffs
        .iter()
        .find(|t| t.id == id)
        .map(|t| t.external_name.best(rules.locale, "en").to_string())
        .unwrap_or_else(|| id.to_string())
}

/// A tariff that needs another must find it in this choice or the order.
fn check_needs(rules: &ChoiceRules, chosen: &[AudienceSubCategoryId]) -> Result<(), InvalidChoice> {
    let present: HashSet<AudienceSubCategoryId> =
        chosen.iter().chain(rules.ordered.iter()).copied().collect();
    for id in chosen {
        let Some(t) = rules.tariffs.iter().find(|t| t.id == *id) else {
            continue;
        };
        let needs = &t.required_audience_sub_category_ids;
        if !needs.is_empty() && !needs.iter().any(|n| present.contains(n)) {
            return Err(InvalidChoice::Needs {
                tariff: tariff_label(rules, *id),
                needs: needs
                    .iter()
                    .map(|n| tariff_label(rules, *n))
                    .collect::<Vec<_>>()
                    .join(" / "),
            });
        }
    }
    Ok(())
}

/// Checks a posted choice for `product` and turns it into order lines.
pub fn validate_choice(
    product: &Product,
    form: &ProductForm,
    rules: &ChoiceRules,
) -> Result<ChoiceOperations, InvalidChoice> {
    let kind = ProductKind::of(product).ok_or(InvalidChoice::NotOnSale)?;
    if !product.state.on_sale() {
        return Err(InvalidChoice::NotOnSale);
    }
    match kind {
        ProductKind::Visit => validate_visit(product, form, rules),
        ProductKind::Open => validate_open(product, form, rules),
        ProductKind::Season => validate_season(product, form, rules),
    }
}

/// The item and tariff of an offer key among `items`.
fn item_offer<'a>(
    items: &[&'a Item],
    key: &str,
) -> Result<(&'a Item, &'a s360::model::catalog::ItemPrice), InvalidChoice> {
    items
        .iter()
        .flat_map(|i| i.item_prices.iter().map(move |p| (*i, p)))
        .find(|(i, p)| offer_key(Some(i.item_id), p.aud_sub_cat_id) == key)
        .ok_or(InvalidChoice::UnknownTariff)
}

fn check_limits(
    lines: &[(String, u32)],
    per_line_max: impl Fn(&str) -> u32,
    max: u32,
    left: u32,
) -> Result<(), InvalidChoice> {
    for (key, n) in lines {
        let m = per_line_max(key);
        if *n > m {
            return Err(InvalidChoice::TooMany { max: m });
        }
    }
    let total: u32 = lines.iter().map(|(_, n)| *n).sum();
    if total > max {
        return Err(InvalidChoice::TooMany { max });
    }
    if total > left {
        return Err(InvalidChoice::NotEnoughLeft { left });
    }
    Ok(())
}

fn validate_visit(
    product: &Product,
    form: &ProductForm,
    rules: &ChoiceRules,
) -> Result<ChoiceOperations, InvalidChoice> {
    let pass = product.pass.as_ref().ok_or(InvalidChoice::NotOnSale)?;
    if form.date.trim().is_empty() {
        return Err(InvalidChoice::MissingDate);
    }
    let date = parse_day(&form.date).ok_or(InvalidChoice::BadDate)?;
    if form.timeslot_id.trim().is_empty() {
        return Err(InvalidChoice::MissingSlot);
    }
    let slot_id = form
        .timeslot_id
        .trim()
        .parse::<i64>()
        .map(TimeslotId)
        .map_err(|_| InvalidChoice::UnknownSlot)?;
    let slot = pass
        .timeslots
        .iter()
        .find(|s| s.id == slot_id && s.start.date_naive() == date)
        .ok_or(InvalidChoice::UnknownSlot)?;
    if slot_over(slot, rules.now) {
        return Err(InvalidChoice::SlotOver);
    }
    let item = rules.items.iter().find(|i| i.timeslot_id == Some(slot_id));
    let left = match item {
        Some(i) if i.availability_level.buyable() && i.availability > 0 => i.availability,
        _ => return Err(InvalidChoice::SlotSoldOut),
    };
    let tour = form.tour.trim().to_ascii_lowercase();
    if !tour.is_empty()
        && !rules
            .tours
            .iter()
            .any(|t| t.timeslot_id == slot_id && t.language_code.eq_ignore_ascii_case(&tour))
    {
        return Err(InvalidChoice::LanguageNotOffered { language: tour });
    }
    let lines = parse_quantities(form)?;
    let items: Vec<&Item> = pass
        .items
        .iter()
        .filter(|i| i.timeslot_ids.contains(&slot_id))
        .collect();
    let mut ops = ChoiceOperations::default();
    let mut chosen = Vec::new();
    for (key, n) in &lines {
        let (item, price) = item_offer(&items, key)?;
        chosen.push(price.aud_sub_cat_id);
        ops.pass.push(PassOperation {
            item_id: item.item_id,
            audience_sub_category_id: price.aud_sub_cat_id,
            quantity: *n,
            timeslot_id: Some(slot_id),
            date: Some(date.format("%Y-%m-%d").to_string()),
        });
    }
    check_limits(
        &lines,
        |k| {
            item_offer(&items, k)
                .ok()
                .and_then(|(_, p)| p.max_qty)
                .map_or(rules.max, |m| m.min(rules.max))
        },
        rules.max,
        left,
    )?;
    check_needs(rules, &chosen)?;
    Ok(ops)
}

fn validate_open(
    product: &Product,
    form: &ProductForm,
    rules: &ChoiceRules,
) -> Result<ChoiceOperations, InvalidChoice> {
    let lines = parse_quantities(form)?;
    let items: Vec<&Item> = items_of(product)
        .iter()
        .filter(|i| i.timeslot_ids.is_empty())
        .collect();
    let mut ops = ChoiceOperations::default();
    let mut chosen = Vec::new();
    for (key, n) in &lines {
        let (item, price) = item_offer(&items, key)?;
        if let Some(min) = price.min_qty.filter(|m| n < m) {
            return Err(InvalidChoice::TooFew { min });
        }
        chosen.push(price.aud_sub_cat_id);
        if product.pass.is_some() {
            ops.pass.push(PassOperation {
                item_id: item.item_id,
                audience_sub_category_id: price.aud_sub_cat_id,
                quantity: *n,
                timeslot_id: None,
                date: None,
            });
        } else {
            ops.simple.push(SimpleProductOperation {
                item_id: item.item_id,
                audience_sub_category_id: price.aud_sub_cat_id,
                quantity: *n,
            });
        }
    }
    let item = rules.items.iter().find(|i| i.timeslot_id.is_none());
    let left = match item {
        Some(i) if !i.availability_level.buyable() || i.availability == 0 => {
            return Err(InvalidChoice::NotEnoughLeft { left: 0 })
        }
        Some(i) => i.availability,
        // not stock-controlled
        None => u32::MAX,
    };
    check_limits(
        &lines,
        |k| {
            item_offer(&items, k)
                .ok()
                .and_then(|(_, p)| p.max_qty)
                .map_or(rules.max, |m| m.min(rules.max))
        },
        rules.max,
        left,
    )?;
    check_needs(rules, &chosen)?;
    Ok(ops)
}

fn validate_season(
    product: &Product,
    form: &ProductForm,
    rules: &ChoiceRules,
) -> Result<ChoiceOperations, InvalidChoice> {
    let line = product
        .package_line
        .as_ref()
        .ok_or(InvalidChoice::NotOnSale)?;
    if form.seat_category_id.trim().is_empty() {
        return Err(InvalidChoice::MissingCategory);
    }
    let cat = form
        .seat_category_id
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|id| line.seat_categories.iter().find(|c| c.id.0 == id))
        .ok_or(InvalidChoice::UnknownCategory)?;
    let left = match rules.season.get(&cat.id) {
        Some((n, level)) if level.buyable() && *n > 0 => *n,
        _ => return Err(InvalidChoice::CategorySoldOut),
    };
    let lines = parse_quantities(form)?;
    let mut ops = ChoiceOperations::default();
    let mut chosen = Vec::new();
    for (key, n) in &lines {
        let tariff = key
            .strip_prefix('t')
            .and_then(|t| t.parse::<i64>().ok())
            .map(AudienceSubCategoryId)
            .filter(|t| line.prices.iter().any(|p| p.aud_sub_cat_id == *t))
            .ok_or(InvalidChoice::UnknownTariff)?;
        if !line
            .prices
            .iter()
            .any(|p| p.aud_sub_cat_id == tariff && p.seat_cat_id == cat.id)
        {
            return Err(InvalidChoice::TariffNotInCategory);
        }
        chosen.push(tariff);
        ops.composed.push(ComposedProductOperation {
            product_id: product.id,
            audience_sub_category_id: tariff,
            quantity: *n,
            seat_category_id: cat.id,
            seat_ids: None,
        });
    }
    check_limits(&lines, |_| rules.max, rules.max, left)?;
    check_needs(rules, &chosen)?;
    Ok(ops)
}

// ---------------------------------------------------------------------------------------------
// Add to cart

/// Validates the posted choice against fresh availability and adds it to the buyer's order.
pub async fn add_product_to_cart(cx: &Ctx, form: &ProductForm) -> Result<(), Error> {
    let (tenant, session, locale) = (&*cx.tenant, &cx.session, cx.locale());
    let invalid = Error::Choice;
    let snap = snapshot(tenant)?;
    let (product, kind) =
        find_product(&snap, form.product_id).ok_or_else(|| invalid(InvalidChoice::NotOnSale))?;
    let client = tenant.catalog.client();
    let pos = snap.pos.pos_id;
    let slot = form.timeslot_id.trim().parse::<i64>().ok().map(TimeslotId);
    // availability re-checked now, not from the page's cache
    let items = match (kind, slot) {
        (ProductKind::Visit, Some(ts)) => client
            .get_product_availability(&ProductAvailabilityRequest {
                point_of_sales_id: Some(pos),
                product_ids: vec![product.id],
                timeslot_ids: vec![ts],
                ..Default::default()
            })
            .await
            .or_else(|e| match e {
                // a slot that does not exist is the validation's to explain
                S360Error::NotFound(_) => Ok(vec![]),
                e => Err(e),
            })?,
        (ProductKind::Open, _) => {
            client
                .get_product_availability(&ProductAvailabilityRequest {
                    point_of_sales_id: Some(pos),
                    product_ids: vec![product.id],
                    ..Default::default()
                })
                .await?
        }
        _ => vec![],
    };
    let tours = match (kind, parse_day(&form.date)) {
        (ProductKind::Visit, Some(date)) if !form.tour.trim().is_empty() => {
            tours_of_day(tenant, product, date).await?
        }
        _ => Arc::new(vec![]),
    };
    let season = if kind == ProductKind::Season {
        season_remaining(tenant, &snap, product).await?
    } else {
        HashMap::new()
    };
    let existing = usable_order(tenant, session).await?;
    let tariffs = all_tariffs(&snap);
    let rules = ChoiceRules {
        max: snap.pos.max_seats_per_performance,
        now: now_in(catalog_offset(product)),
        tariffs: &tariffs,
        locale,
        ordered: existing
            .iter()
            .flat_map(|d| d.operation_datas.iter())
            .map(|o| o.audience_sub_category_id)
            .collect(),
        items: &items,
        tours: &tours,
        season: &season,
    };
    let ops = validate_choice(product, form, &rules).map_err(invalid)?;
    check_holds(
        cx,
        ops.simple.iter().map(|o| o.quantity).sum::<u32>()
            + ops.pass.iter().map(|o| o.quantity).sum::<u32>()
            + ops.composed.iter().map(|o| o.quantity).sum::<u32>(),
    )?;
    let req = CreateOrUpdateOrderRequest {
        point_of_sales_id: Some(pos),
        order_id: existing.map(|d| d.order_id),
        simple_product_operations: ops.simple,
        pass_operations: ops.pass,
        composed_product_operations: ops.composed,
        ..Default::default()
    };
    match client.create_or_update_order(&req).await {
        Ok(updated) => {
            // every page that counts these places counts them again at once
            let perfs: Vec<PerformanceId> = product
                .package_line
                .iter()
                .flat_map(|l| l.performance_ids.iter().copied())
                .collect();
            places_changed(tenant, &snap, &[product.id], &perfs).await;
            session.set_cart(updated.order_id).await
        }
        // sold out meanwhile: said in the words of what was chosen
        Err(S360Error::Availability(_)) => Err(invalid(match kind {
            ProductKind::Visit => InvalidChoice::SlotSoldOut,
            ProductKind::Season => InvalidChoice::CategorySoldOut,
            ProductKind::Open => InvalidChoice::NotEnoughLeft { left: 0 },
        })),
        Err(e) => Err(Error::from(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use s360::model::availability::AvailabilityColor;
    use s360::model::catalog::*;
    use s360::text::Translations;

    fn tr(en: &str) -> Translations {
        Translations::of(&[("en", en)])
    }

    const ADULT: AudienceSubCategoryId = AudienceSubCategoryId(1);
    const CHILD: AudienceSubCategoryId = AudienceSubCategoryId(2);
    const ITEM: ItemId = ItemId(10);
    const SLOT: TimeslotId = TimeslotId(100);
    const LATER: TimeslotId = TimeslotId(101);
    const CAT: SeatCategoryId = SeatCategoryId(7);

    fn at(h: u32) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(&format!("2026-12-12T{h:02}:00:00+01:00")).unwrap()
    }

    fn tariffs() -> Vec<AudienceSubCategory> {
        let sub = |id, name: &str, needs: Vec<AudienceSubCategoryId>| AudienceSubCategory {
            id,
            code: name.to_ascii_uppercase(),
            external_name: tr(name),
            audience_category_kind: AudienceCategoryKind::Full,
            required_audience_sub_category_ids: needs,
            cross_seat_category: false,
        };
        vec![
            sub(ADULT, "Adult", vec![]),
            sub(CHILD, "Child", vec![ADULT]),
        ]
    }

    fn price(amount: i64, aud: AudienceSubCategoryId) -> ItemPrice {
        ItemPrice {
            amount: Amount(amount),
            aud_sub_cat_id: aud,
            price_level_id: None,
            min_qty: None,
            max_qty: None,
        }
    }

    fn product(pass: Option<Pass>, package: Option<PackageLine>) -> Product {
        Product {
            id: ProductId(1),
            code: "X".into(),
            state: EntityState::Running,
            product_family_type: ProductFamilyType::Pass,
            vat_code_id: None,
            external_name: tr("X"),
            external_description: tr(""),
            topic_ids: vec![],
            medium_image_url: None,
            min_quantity: None,
            event: None,
            pass,
            items: vec![],
            package_line: package,
        }
    }

    fn visit() -> Product {
        let slot = |id, h| Timeslot {
            id,
            start: at(h),
            duration: 1800,
            quota: 40,
        };
        product(
            Some(Pass {
                consecutive: false,
                date_mandatory: true,
                guided: true,
                items: vec![Item {
                    item_id: ITEM,
                    external_name: tr("Entry"),
                    item_prices: vec![price(18_000, ADULT), price(0, CHILD)],
                    timeslot_ids: vec![SLOT, LATER],
                }],
                timeslots: vec![slot(SLOT, 10), slot(LATER, 14)],
                validity_days: None,
            }),
            None,
        )
    }

    fn open_pass() -> Product {
        product(
            Some(Pass {
                consecutive: false,
                date_mandatory: false,
                guided: false,
                items: vec![Item {
                    item_id: ITEM,
                    external_name: tr("Year"),
                    item_prices: vec![price(90_000, ADULT)],
                    timeslot_ids: vec![],
                }],
                timeslots: vec![],
                validity_days: Some(365),
            }),
            None,
        )
    }

    fn season_ticket() -> Product {
        product(
            None,
            Some(PackageLine {
                performance_ids: vec![PerformanceId(1), PerformanceId(2)],
                prices: vec![
                    Price {
                        seat_cat_id: CAT,
                        aud_sub_cat_id: ADULT,
                        price_level_id: None,
                        amount: Amount(480_000),
                    },
                    Price {
                        seat_cat_id: SeatCategoryId(8),
                        aud_sub_cat_id: CHILD,
                        price_level_id: None,
                        amount: Amount(100_000),
                    },
                ],
                seat_categories: vec![
                    SeatCategory {
                        id: CAT,
                        code: "MAIN".into(),
                        external_name: tr("Main"),
                        numbered: true,
                    },
                    SeatCategory {
                        id: SeatCategoryId(8),
                        code: "ENDS".into(),
                        external_name: tr("Ends"),
                        numbered: true,
                    },
                ],
            }),
        )
    }

    fn item(slot: Option<TimeslotId>, left: u32) -> AvailabilityItem {
        let level = AvailabilityLevel::compute(left, 40, true, 10);
        AvailabilityItem {
            performance_id: None,
            product_id: ProductId(1),
            timeslot_id: slot,
            seat_category_id: None,
            contingent_id: None,
            availability: left,
            capacity: 40,
            quota: None,
            availability_level: level,
            availability_color: AvailabilityColor::Green,
        }
    }

    fn form(slot: &str, qty: &[(&str, &str)]) -> ProductForm {
        ProductForm {
            product_id: 1,
            date: "2026-12-12".into(),
            timeslot_id: slot.into(),
            quantities: qty
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    struct Setup {
        tariffs: Vec<AudienceSubCategory>,
        items: Vec<AvailabilityItem>,
        tours: Vec<ThemeAndLanguage>,
        season: HashMap<SeatCategoryId, (u32, AvailabilityLevel)>,
        now: DateTime<FixedOffset>,
        ordered: HashSet<AudienceSubCategoryId>,
    }

    impl Setup {
        fn new() -> Setup {
            Setup {
                tariffs: tariffs(),
                items: vec![item(Some(SLOT), 12), item(Some(LATER), 0)],
                tours: vec![ThemeAndLanguage {
                    language_code: "en".into(),
                    theme_id: 1,
                    timeslot_id: SLOT,
                }],
                season: HashMap::from([
                    (CAT, (30, AvailabilityLevel::Good)),
                    (SeatCategoryId(8), (0, AvailabilityLevel::SoldOut)),
                ]),
                now: at(8),
                ordered: HashSet::new(),
            }
        }

        fn check(&self, p: &Product, f: &ProductForm) -> Result<ChoiceOperations, InvalidChoice> {
            let tariffs: Vec<&AudienceSubCategory> = self.tariffs.iter().collect();
            validate_choice(
                p,
                f,
                &ChoiceRules {
                    max: 20,
                    now: self.now,
                    tariffs: &tariffs,
                    locale: "en",
                    ordered: self.ordered.clone(),
                    items: &self.items,
                    tours: &self.tours,
                    season: &self.season,
                },
            )
        }
    }

    const ADULT_KEY: &str = "i10-t1";
    const CHILD_KEY: &str = "i10-t2";

    #[test]
    fn a_visit_needs_a_day_a_slot_that_is_on_and_quantities() {
        let s = Setup::new();
        let p = visit();
        let ops = s
            .check(&p, &form("100", &[(ADULT_KEY, "2"), (CHILD_KEY, "1")]))
            .unwrap();
        assert_eq!(ops.pass.len(), 2);
        assert_eq!(ops.pass[0].timeslot_id, Some(SLOT));
        assert_eq!(ops.pass[0].quantity, 2);
        assert_eq!(ops.pass[0].date.as_deref(), Some("2026-12-12"));
        assert_eq!(ops.pass[1].audience_sub_category_id, CHILD);

        let mut f = form("100", &[(ADULT_KEY, "1")]);
        f.date.clear();
        assert_eq!(s.check(&p, &f), Err(InvalidChoice::MissingDate));
        f.date = "12/12/2026".into();
        assert_eq!(s.check(&p, &f), Err(InvalidChoice::BadDate));
        f.date = "2026-12-13".into();
        assert_eq!(
            s.check(&p, &f),
            Err(InvalidChoice::UnknownSlot),
            "slot of another day"
        );
        assert_eq!(
            s.check(&p, &form("", &[(ADULT_KEY, "1")])),
            Err(InvalidChoice::MissingSlot)
        );
        assert_eq!(
            s.check(&p, &form("999", &[(ADULT_KEY, "1")])),
            Err(InvalidChoice::UnknownSlot)
        );
        assert_eq!(
            s.check(&p, &form("101", &[(ADULT_KEY, "1")])),
            Err(InvalidChoice::SlotSoldOut)
        );
        let late = Setup {
            now: at(11),
            ..Setup::new()
        };
        assert_eq!(
            late.check(&p, &form("100", &[(ADULT_KEY, "1")])),
            Err(InvalidChoice::SlotOver)
        );
    }

    #[test]
    fn quantities_are_whole_numbers_within_the_limits() {
        let s = Setup::new();
        let p = visit();
        assert_eq!(
            s.check(&p, &form("100", &[(ADULT_KEY, "0"), (CHILD_KEY, "")])),
            Err(InvalidChoice::NoQuantity)
        );
        assert_eq!(
            s.check(&p, &form("100", &[(ADULT_KEY, "two")])),
            Err(InvalidChoice::BadQuantity)
        );
        assert_eq!(
            s.check(&p, &form("100", &[(ADULT_KEY, "-1")])),
            Err(InvalidChoice::BadQuantity)
        );
        assert_eq!(
            s.check(&p, &form("100", &[(ADULT_KEY, "21")])),
            Err(InvalidChoice::TooMany { max: 20 })
        );
        assert_eq!(
            s.check(&p, &form("100", &[(ADULT_KEY, "11"), (CHILD_KEY, "10")])),
            Err(InvalidChoice::TooMany { max: 20 })
        );
        // 12 places left in the slot
        assert_eq!(
            s.check(&p, &form("100", &[(ADULT_KEY, "13")])),
            Err(InvalidChoice::NotEnoughLeft { left: 12 })
        );
        assert_eq!(
            s.check(&p, &form("100", &[("i10-t9", "1")])),
            Err(InvalidChoice::UnknownTariff)
        );
    }

    #[test]
    fn a_child_comes_with_an_adult_here_or_already_in_the_order() {
        let mut s = Setup::new();
        let p = visit();
        let e = s.check(&p, &form("100", &[(CHILD_KEY, "1")])).unwrap_err();
        assert_eq!(
            e,
            InvalidChoice::Needs {
                tariff: "Child".into(),
                needs: "Adult".into()
            }
        );
        assert!(e.message("en").contains("Child"), "{}", e.message("en"));
        s.ordered.insert(ADULT);
        assert!(s.check(&p, &form("100", &[(CHILD_KEY, "1")])).is_ok());
    }

    #[test]
    fn a_tour_language_must_be_offered_by_the_slot() {
        let s = Setup::new();
        let p = visit();
        let mut f = form("100", &[(ADULT_KEY, "1")]);
        f.tour = "EN".into();
        assert!(s.check(&p, &f).is_ok());
        f.tour = "de".into();
        assert_eq!(
            s.check(&p, &f),
            Err(InvalidChoice::LanguageNotOffered {
                language: "de".into()
            })
        );
        assert!(s
            .check(&p, &f)
            .unwrap_err()
            .message("fr")
            .contains("allemand"));
    }

    #[test]
    fn an_open_pass_is_a_pass_line_without_slot() {
        let mut s = Setup::new();
        s.items = vec![item(None, u32::MAX)];
        let p = open_pass();
        let ops = s.check(&p, &form("", &[("i10-t1", "3")])).unwrap();
        assert_eq!(
            ops.pass,
            vec![PassOperation {
                item_id: ITEM,
                audience_sub_category_id: ADULT,
                quantity: 3,
                timeslot_id: None,
                date: None,
            }]
        );
        assert_eq!(
            s.check(&p, &form("", &[("t1", "3")])),
            Err(InvalidChoice::UnknownTariff)
        );
        s.items = vec![item(None, 0)];
        assert_eq!(
            s.check(&p, &form("", &[("i10-t1", "1")])),
            Err(InvalidChoice::NotEnoughLeft { left: 0 })
        );
    }

    #[test]
    fn a_season_ticket_needs_a_category_with_seats_and_its_tariffs() {
        let s = Setup::new();
        let p = season_ticket();
        let mut f = form("", &[("t1", "2")]);
        assert_eq!(s.check(&p, &f), Err(InvalidChoice::MissingCategory));
        f.seat_category_id = "99".into();
        assert_eq!(s.check(&p, &f), Err(InvalidChoice::UnknownCategory));
        f.seat_category_id = "8".into();
        assert_eq!(s.check(&p, &f), Err(InvalidChoice::CategorySoldOut));
        f.seat_category_id = "7".into();
        let ops = s.check(&p, &f).unwrap();
        assert_eq!(ops.composed.len(), 1);
        assert_eq!(ops.composed[0].seat_category_id, CAT);
        assert_eq!(ops.composed[0].quantity, 2);
        // CHILD is only priced in the other category
        f.quantities.insert("t2".into(), "1".into());
        assert_eq!(s.check(&p, &f), Err(InvalidChoice::TariffNotInCategory));
    }

    /// The day of the month `d` in a calendar.
    fn cell(c: &VisitCalendar, d: u32) -> VisitCalendarDay {
        c.weeks
            .iter()
            .flatten()
            .flatten()
            .find(|x| x.day == d)
            .cloned()
            .unwrap()
    }

    #[test]
    fn the_calendar_says_in_words_which_days_can_be_booked() {
        let s = Setup::new();
        let p = visit();
        let q = |month: &str, date: &str| ProductQuery {
            month: month.into(),
            date: date.into(),
            tour: String::new(),
        };
        let c = visit_calendar(&p, &s.items, &q("", ""), at(8), "en");
        assert_eq!(c.title, "December 2026");
        assert_eq!(c.weekdays[0], ("Mon".to_string(), "Monday".to_string()));
        // 1 December 2026 is a Tuesday
        assert!(c.weeks[0][0].is_none());
        assert_eq!(c.weeks[0][1].as_ref().unwrap().day, 1);
        assert!(c.weeks.iter().all(|w| w.len() == 7));
        assert_eq!((c.prev.clone(), c.next.clone()), (None, None));
        let past = cell(&c, 11);
        assert_eq!((past.availability_text.as_str(), past.href), ("Past", None));
        let open = cell(&c, 12);
        assert_eq!(open.availability_text, "Available");
        assert_eq!(open.label, "Saturday 12 December 2026");
        assert_eq!(open.href.as_deref(), Some("?month=2026-12&date=2026-12-12"));
        assert!(!open.selected);
        let closed = cell(&c, 13);
        assert_eq!(
            (closed.availability_text.as_str(), closed.href),
            ("Closed", None)
        );

        // the 10:00 slot over, the 14:00 one sold out: nothing left to book that day
        let c = visit_calendar(&p, &s.items, &q("", "2026-12-12"), at(11), "fr");
        let day = cell(&c, 12);
        assert_eq!(
            (day.availability_text.as_str(), day.href),
            ("Complet", None)
        );
        assert!(day.selected);
        let c = visit_calendar(&p, &s.items, &q("", ""), at(15), "de");
        assert_eq!(c.title, "Dezember 2026");
        assert_eq!(cell(&c, 12).availability_text, "Keine Zeitfenster mehr");
        // a month without visits shows the nearest one with some
        let c = visit_calendar(&p, &s.items, &q("2027-05", ""), at(8), "en");
        assert_eq!(c.title, "December 2026");
        let c = visit_calendar(&p, &s.items, &q("not-a-month", ""), at(8), "en");
        assert_eq!(c.title, "December 2026");
    }

    #[test]
    fn every_message_is_translated() {
        for e in [
            InvalidChoice::NoQuantity,
            InvalidChoice::TooMany { max: 20 },
            InvalidChoice::SlotSoldOut,
            InvalidChoice::LanguageNotOffered {
                language: "en".into(),
            },
        ] {
            for l in ["en", "fr", "de"] {
                let m = e.message(l);
                assert!(!m.starts_with("product."), "{l}: {m}");
            }
        }
        assert_ne!(
            InvalidChoice::SlotSoldOut.message("en"),
            InvalidChoice::SlotSoldOut.message("de")
        );
    }
}
