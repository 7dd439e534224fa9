//! The programme (home page): every product on sale, searched, filtered by topic, family and
//! dates, paged, or laid out as a month calendar. Every part of the query is in the URL, so a
//! filtered view can be shared and works without JavaScript.
//!
//! Formatting the cards (names, prices, dates in the buyer's language) is the costly part of
//! the page, so it is done once per language and kept until the catalog snapshot or one of the
//! products' availability changes (both are `Arc`s the caches swap on change; comparing
//! pointers is enough). The page then only filters and slices.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use rust_i18n::t;
use s360::client::CatalogSnapshot;
use s360::model::availability::AvailabilityItem;
use s360::model::catalog::Product;

use crate::calendar::{self, parse_day, parse_month};
use crate::context::Ctx;
use crate::describe::{family_key, level_text, product_href, product_level};
use crate::error::Error;
use crate::lang::count_key;
use crate::model::{
    CalendarDay, CalendarEntry, MonthCalendar, ProductCard, Programme, ProgrammeQuery,
};
use crate::tenant::Tenant;

/// Products per page of the list.
pub const PAGE_SIZE: usize = 8;

/// The families in the order the programme groups them.
const FAMILY_ORDER: [&str; 6] = ["timed", "season", "event", "pass", "extra", "package"];

type Items = Arc<Vec<AvailabilityItem>>;

/// The formatted programme of one tenant, per language.
#[derive(Debug, Default)]
pub struct ProgrammeCache(Mutex<HashMap<String, Arc<Formatted>>>);

#[derive(Debug)]
pub struct Formatted {
    snap: Arc<CatalogSnapshot>,
    items: Vec<Items>,
    entries: Vec<Entry>,
    topics: Vec<(String, String)>,
    families: Vec<(String, String)>,
}

/// One product formatted for one language, with what the filters need.
#[derive(Debug)]
struct Entry {
    card: ProductCard,
    topics: Vec<String>,
    family: &'static str,
    /// Name and description, lower case, accents folded (search).
    haystack: String,
    /// Its dated sessions (performances, visit days), in the institution's time zone.
    sessions: Vec<Session>,
}

#[derive(Debug)]
struct Session {
    start: DateTime<FixedOffset>,
    entry: CalendarEntry,
}

impl ProgrammeCache {
    /// The formatted programme for `locale`: from memory when neither the catalog nor any
    /// product's availability changed since it was formatted.
    pub async fn get(&self, tenant: &Tenant, locale: &str) -> Result<Arc<Formatted>, Error> {
        let snap = tenant.catalog.snapshot().ok_or(Error::NotLoaded)?;
        let availability = tenant.availability(&snap);
        let products: Vec<&Product> = snap
            .catalog
            .products()
            .filter(|p| p.state.on_sale())
            .collect();
        let mut items = Vec::with_capacity(products.len());
        for p in &products {
            items.push(availability.get(p).await?);
        }
        let cached = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(locale)
            .cloned();
        if let Some(c) = cached {
            if Arc::ptr_eq(&c.snap, &snap)
                && c.items.len() == items.len()
                && c.items.iter().zip(&items).all(|(a, b)| Arc::ptr_eq(a, b))
            {
                return Ok(c);
            }
        }
        let formatted = Arc::new(format_programme(tenant, &snap, &products, items, locale));
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(locale.to_string(), formatted.clone());
        Ok(formatted)
    }
}

fn format_programme(
    tenant: &Tenant,
    snap: &Arc<CatalogSnapshot>,
    products: &[&Product],
    items: Vec<Items>,
    locale: &str,
) -> Formatted {
    let main = snap.pos.main_language.as_str();
    let currency = &snap.pos.institution_currency;
    let now = Utc::now();
    let mut entries: Vec<Entry> = products
        .iter()
        .zip(&items)
        .map(|(p, items)| {
            let level = product_level(items);
            let name = p.external_name.best(locale, main).to_string();
            let description = p.external_description.best(locale, main);
            Entry {
                card: ProductCard {
                    id: p.id.0,
                    name: name.clone(),
                    family: crate::describe::family_label(p, locale),
                    price_from: crate::describe::min_price(p).map(|a| {
                        t!(
                            "home.price_from",
                            locale = locale,
                            price = a.format(currency, locale)
                        )
                        .into_owned()
                    }),
                    dates: crate::describe::date_range(p, locale),
                    availability: level_name(level),
                    availability_text: level_text(level, locale),
                    href: Some(product_href(p)),
                },
                topics: p.topic_ids.iter().map(|t| t.0.to_string()).collect(),
                family: family_key(p),
                haystack: fold(&format!("{name} {description}")),
                sessions: sessions(p, items, &name, now, locale),
            }
        })
        .collect();
    // grouped by family, then by first date, then by name
    entries.sort_by(|a, b| {
        let rank = |e: &Entry| FAMILY_ORDER.iter().position(|f| *f == e.family);
        rank(a)
            .cmp(&rank(b))
            .then_with(|| {
                let first = |e: &Entry| e.sessions.first().map(|s| s.start);
                match (first(a), first(b)) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    (x, y) => y.is_none().cmp(&x.is_none()),
                }
            })
            .then_with(|| a.card.name.cmp(&b.card.name))
    });
    let used: BTreeSet<&str> = entries
        .iter()
        .flat_map(|e| e.topics.iter())
        .map(|s| s.as_str())
        .collect();
    let topics = snap
        .catalog
        .seasons
        .iter()
        .flat_map(|s| s.topics.iter())
        .filter(|t| used.contains(t.id.0.to_string().as_str()))
        .fold(Vec::<(String, String)>::new(), |mut acc, t| {
            let id = t.id.0.to_string();
            if !acc.iter().any(|(i, _)| *i == id) {
                acc.push((id, t.external_name.best(locale, main).to_string()));
            }
            acc
        });
    let families = FAMILY_ORDER
        .iter()
        .filter(|f| entries.iter().any(|e| e.family == **f))
        .map(|f| {
            (
                f.to_string(),
                t!(format!("family.{f}"), locale = locale).into_owned(),
            )
        })
        .collect();
    let _ = tenant;
    Formatted {
        snap: snap.clone(),
        items,
        entries,
        topics,
        families,
    }
}

fn level_name(level: s360::model::availability::AvailabilityLevel) -> String {
    format!("{level:?}").to_ascii_uppercase()
}

/// The dated sessions of a product still ahead: each performance of an event; for a visit pass,
/// one entry per day with the number of time slots. Season tickets show under their events.
fn sessions(
    p: &Product,
    items: &[AvailabilityItem],
    name: &str,
    now: DateTime<Utc>,
    locale: &str,
) -> Vec<Session> {
    let mut out = Vec::new();
    for perf in p
        .event
        .iter()
        .flat_map(|e| e.performances.iter())
        .filter(|x| x.state.on_sale() && x.start > now)
    {
        let mine: Vec<AvailabilityItem> = items
            .iter()
            .filter(|i| i.performance_id == Some(perf.id))
            .cloned()
            .collect();
        let level = product_level(&mine);
        out.push(Session {
            start: perf.start,
            entry: CalendarEntry {
                name: name.to_string(),
                time: perf.start.format("%H:%M").to_string(),
                href: format!("/event/{}/{}", p.id, perf.id),
                availability: level_name(level),
                availability_text: level_text(level, locale),
            },
        });
    }
    if let Some(pass) = &p.pass {
        let mut by_day: Vec<(
            NaiveDate,
            DateTime<FixedOffset>,
            Vec<AvailabilityItem>,
            usize,
        )> = Vec::new();
        for slot in pass.timeslots.iter().filter(|s| s.start > now) {
            let day = slot.start.date_naive();
            let mine = items
                .iter()
                .filter(|i| i.timeslot_id == Some(slot.id))
                .cloned();
            match by_day.iter_mut().find(|(d, ..)| *d == day) {
                Some((_, _, v, n)) => {
                    v.extend(mine);
                    *n += 1;
                }
                None => by_day.push((day, slot.start, mine.collect(), 1)),
            }
        }
        for (day, start, mine, slots) in by_day {
            let level = product_level(&mine);
            out.push(Session {
                start,
                entry: CalendarEntry {
                    name: name.to_string(),
                    time: t!(
                        &count_key("home.slots", slots as u64, locale),
                        locale = locale,
                        count = slots
                    )
                    .into_owned(),
                    href: format!("/product/{}?date={day}", p.id),
                    availability: level_name(level),
                    availability_text: level_text(level, locale),
                },
            });
        }
    }
    out.sort_by_key(|s| s.start);
    out
}

/// Lower case without accents, for search ("Théâtre" finds "theatre").
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => out.push('a'),
            'ç' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ñ' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => out.push('o'),
            'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'ß' => out.push_str("ss"),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            '’' => out.push('\''),
            c => out.push(c),
        }
    }
    out
}

/// The programme page for `query`: the formatted programme filtered, then paged or laid out
/// as a month.
pub async fn programme(cx: &Ctx, query: ProgrammeQuery) -> Result<Programme, Error> {
    let (tenant, locale) = (&*cx.tenant, cx.locale());
    let formatted = tenant.programme.get(tenant, locale).await?;
    let shop = cx.shop_info(&formatted.snap);
    let mut q = query;
    let mut notices = Vec::new();
    q.q = q.q.trim().chars().take(100).collect();
    if !q.topic.is_empty() && !formatted.topics.iter().any(|(id, _)| *id == q.topic) {
        q.topic.clear();
    }
    if !q.family.is_empty() && !formatted.families.iter().any(|(f, _)| *f == q.family) {
        q.family.clear();
    }
    let mut from = None;
    let mut to = None;
    for (value, bound) in [(&mut q.from, &mut from), (&mut q.to, &mut to)] {
        if value.is_empty() {
            continue;
        }
        match parse_day(value) {
            Some(d) => *bound = Some(d),
            None => {
                notices
                    .push(t!("home.bad_date", locale = locale, value = value.clone()).into_owned());
                value.clear();
            }
        }
    }
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            notices.push(t!("home.dates_reversed", locale = locale).into_owned());
            std::mem::swap(&mut q.from, &mut q.to);
            from = Some(t);
            to = Some(f);
        }
    }
    let words: Vec<String> = fold(&q.q).split_whitespace().map(str::to_string).collect();
    let in_range = |d: NaiveDate| from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t);
    let dated = from.is_some() || to.is_some();
    let matching: Vec<&Entry> = formatted
        .entries
        .iter()
        .filter(|e| words.iter().all(|w| e.haystack.contains(w.as_str())))
        .filter(|e| q.topic.is_empty() || e.topics.contains(&q.topic))
        .filter(|e| q.family.is_empty() || e.family == q.family)
        .filter(|e| !dated || e.sessions.iter().any(|s| in_range(s.start.date_naive())))
        .collect();
    let on_sale = formatted.entries.len();
    let count = matching.len();
    let calendar_view = q.view == "calendar";
    if !calendar_view {
        q.view.clear();
        q.month.clear();
    }
    let pages = count.div_ceil(PAGE_SIZE).max(1) as u32;
    q.page = q.page.clamp(1, pages);
    let calendar = calendar_view.then(|| month_calendar(&matching, &mut q, from, to, locale));
    let products = if calendar_view {
        vec![]
    } else {
        matching
            .iter()
            .skip((q.page as usize - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
            .map(|e| e.card.clone())
            .collect()
    };
    if calendar_view {
        q.page = 0;
    }
    Ok(Programme {
        shop,
        products,
        on_sale,
        matching: count,
        page: if calendar_view { 1 } else { q.page },
        pages: if calendar_view { 1 } else { pages },
        query: q,
        topics: formatted.topics.clone(),
        families: formatted.families.clone(),
        notices,
        calendar,
        catalog_age_secs: tenant.catalog.age().map_or(0, |a| a.num_seconds()),
    })
}

fn month_calendar(
    matching: &[&Entry],
    q: &mut ProgrammeQuery,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    locale: &str,
) -> MonthCalendar {
    let mut sessions: Vec<&Session> = matching
        .iter()
        .flat_map(|e| e.sessions.iter())
        .filter(|s| {
            let d = s.start.date_naive();
            from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t)
        })
        .collect();
    sessions.sort_by_key(|s| s.start);
    let months: BTreeSet<NaiveDate> = sessions
        .iter()
        .map(|s| calendar::first_of_month(s.start.date_naive()))
        .collect();
    let first = parse_month(&q.month)
        .or_else(|| months.iter().next().copied())
        .unwrap_or_else(|| calendar::first_of_month(Utc::now().date_naive()));
    q.month = first.format("%Y-%m").to_string();
    let next_month = calendar::next_month(first);
    let link = |m: &NaiveDate| {
        let mut other = q.clone();
        other.month = m.format("%Y-%m").to_string();
        other.page = 0;
        (other.to_query_string(), calendar::month_name(*m, locale))
    };
    let prev = months.range(..first).next_back().map(link);
    let next = months.range(next_month..).next().map(link);
    let weeks = calendar::weeks(first, |day| CalendarDay {
        day: day.day(),
        label: calendar::day_label(day, locale),
        entries: sessions
            .iter()
            .filter(|s| s.start.date_naive() == day)
            .map(|s| s.entry.clone())
            .collect(),
    });
    MonthCalendar {
        month: q.month.clone(),
        title: calendar::month_name(first, locale),
        prev,
        next,
        weekdays: calendar::weekdays(locale),
        weeks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_folds_case_and_accents() {
        assert_eq!(fold("Théâtre Größe"), "theatre grosse");
        assert!(fold("Lumière et matière").contains(&fold("LUMIERE")));
    }

    #[test]
    fn query_strings_keep_only_what_is_set() {
        let q = ProgrammeQuery {
            q: "la bohème".into(),
            family: "event".into(),
            page: 2,
            ..Default::default()
        };
        assert_eq!(
            q.to_query_string(),
            "?q=la%20boh%C3%A8me&family=event&page=2"
        );
        assert_eq!(ProgrammeQuery::default().to_query_string(), "");
    }
}
