//! The home page: the institution and what it has on sale.

use leptos::prelude::*;

use crate::error::AppError;
use leptos_meta::{Meta, Title};

use rust_i18n::t;

use crate::i18n::use_lang;
use leptos_router::hooks::use_query_map;

use crate::routes::layout::Layout;
use shop::model::{MonthCalendar, ProductCard, Programme, ProgrammeQuery};

/// The programme of the institution serving this request, filtered by `query`.
#[server]
pub async fn get_programme(query: ProgrammeQuery) -> Result<Programme, AppError> {
    let cx = crate::context::ctx().await?;
    Ok(shop::programme::programme(&cx, query).await?)
}

#[component]
pub fn HomePage() -> impl IntoView {
    let query = use_query_map();
    let key = move || {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        ProgrammeQuery {
            q: get("q"),
            topic: get("topic"),
            family: get("family"),
            from: get("from"),
            to: get("to"),
            view: get("view"),
            month: get("month"),
            page: get("page").parse().unwrap_or(0),
        }
    };
    let programme = Resource::new_blocking(key, get_programme);
    let lang = use_lang().code();
    view! {
        <Suspense fallback=move || view! { <p class="loading">{t!("home.loading", locale = lang).to_string()}</p> }>
            {move || Suspend::new(async move {
                match programme.await {
                    Ok(p) => view! { <Home programme=p/> }.into_any(),
                    Err(e) => view! { <ServiceProblem error=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ServiceProblem(error: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(http::StatusCode::SERVICE_UNAVAILABLE);
        }
    }
    let lang = use_lang().code();
    view! {
        <Title text=t!("unavailable.title", locale = lang).to_string()/>
        <main id="main" class="page">
            <h1>{t!("unavailable.heading", locale = lang).to_string()}</h1>
            <p>{t!("unavailable.text", locale = lang).to_string()}</p>
            <p class="detail">{error}</p>
        </main>
    }
}

#[component]
fn Home(programme: Programme) -> impl IntoView {
    let Programme {
        shop,
        products,
        on_sale,
        matching,
        page,
        pages,
        query,
        topics,
        families,
        notices,
        calendar,
        ..
    } = programme;
    let lang = use_lang().code();
    let filtered = !query.q.is_empty()
        || !query.topic.is_empty()
        || !query.family.is_empty()
        || !query.from.is_empty()
        || !query.to.is_empty();
    let calendar_view = calendar.is_some();
    let list_href = {
        let mut q = query.clone();
        q.view.clear();
        q.month.clear();
        q.page = 0;
        format!("/{}", q.to_query_string())
    };
    let calendar_href = {
        let mut q = query.clone();
        q.view = "calendar".into();
        q.page = 0;
        format!("/{}", q.to_query_string())
    };
    view! {
        <Title text=t!("home.title", locale = lang, name = shop.name.clone()).to_string()/>
        <Meta name="description" content=t!("home.description", locale = lang, name = shop.name.clone(), place = shop.locality.clone(), count = on_sale).to_string()/>
        <Layout shop=shop.clone()>
            <h1>{t!("home.h1", locale = lang, name = shop.name.clone()).to_string()}</h1>
            <p class="summary" data-testid="product-count">
                {t!("home.summary", locale = lang, count = on_sale, currency = shop.currency.clone()).to_string()}
            </p>
            <Filters query=query.clone() topics=topics families=families filtered=filtered/>
            <nav class="views" aria-label=t!("home.views", locale = lang).to_string()>
                <a href=list_href aria-current=(!calendar_view).then_some("page")>{t!("home.view_list", locale = lang).to_string()}</a>
                <a href=calendar_href aria-current=calendar_view.then_some("page")>{t!("home.view_calendar", locale = lang).to_string()}</a>
            </nav>
            {notices.into_iter().map(|n| view! { <p class="notice" role="status">{n}</p> }).collect_view()}
            {filtered.then(|| view! {
                <p class="matching" role="status" data-testid="matching">
                    {if matching == 0 {
                        t!("home.none_matching", locale = lang).to_string()
                    } else {
                        t!("home.matching", locale = lang, count = matching, total = on_sale).to_string()
                    }}
                </p>
            })}
            {match calendar {
                Some(c) => view! { <Calendar calendar=c/> }.into_any(),
                None => view! {
                    <Cards products=products/>
                    <Pager query=query page=page pages=pages/>
                }
                .into_any(),
            }}
        </Layout>
    }
}

/// Search and filters: a plain GET form (works without JavaScript; the result is a shareable
/// URL). With JavaScript, the panel can be folded away.
#[component]
fn Filters(
    query: ProgrammeQuery,
    topics: Vec<(String, String)>,
    families: Vec<(String, String)>,
    filtered: bool,
) -> impl IntoView {
    let lang = use_lang().code();
    let (open, set_open) = signal(true);
    let selected_topic = query.topic.clone();
    let selected_family = query.family.clone();
    let clear_href = if query.view == "calendar" {
        "/?view=calendar".to_string()
    } else {
        "/".to_string()
    };
    view! {
        <button
            type="button"
            class="toggle"
            data-testid="toggle-filters"
            aria-expanded=move || open.get().to_string()
            aria-controls="filters"
            on:click=move |_| set_open.update(|v| *v = !*v)
        >
            {move || if open.get() {
                t!("home.filters_hide", locale = lang).to_string()
            } else {
                t!("home.filters_show", locale = lang).to_string()
            }}
        </button>
        <form id="filters" class="filters" method="get" action="/" role="search" hidden=move || !open.get()
            aria-label=t!("home.filters", locale = lang).to_string()>
            <div class="field">
                <label for="f-q">{t!("home.search", locale = lang).to_string()}</label>
                <input id="f-q" name="q" type="search" maxlength="100" value=query.q.clone()/>
            </div>
            {(!topics.is_empty()).then(|| view! {
                <div class="field">
                    <label for="f-topic">{t!("home.topic", locale = lang).to_string()}</label>
                    <select id="f-topic" name="topic">
                        <option value="">{t!("home.all_topics", locale = lang).to_string()}</option>
                        {topics.into_iter().map(|(id, name)| {
                            let selected = id == selected_topic;
                            view! { <option value=id selected=selected>{name}</option> }
                        }).collect_view()}
                    </select>
                </div>
            })}
            <div class="field">
                <label for="f-family">{t!("home.family", locale = lang).to_string()}</label>
                <select id="f-family" name="family">
                    <option value="">{t!("home.all_families", locale = lang).to_string()}</option>
                    {families.into_iter().map(|(key, name)| {
                        let selected = key == selected_family;
                        view! { <option value=key selected=selected>{name}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-from">{t!("home.from", locale = lang).to_string()}</label>
                <input id="f-from" name="from" type="date" value=query.from.clone()/>
            </div>
            <div class="field">
                <label for="f-to">{t!("home.to", locale = lang).to_string()}</label>
                <input id="f-to" name="to" type="date" value=query.to.clone()/>
            </div>
            {(query.view == "calendar").then(|| view! { <input type="hidden" name="view" value="calendar"/> })}
            <div class="actions">
                <button type="submit">{t!("home.apply", locale = lang).to_string()}</button>
                {filtered.then(|| view! { <a href=clear_href.clone()>{t!("home.clear", locale = lang).to_string()}</a> })}
            </div>
        </form>
    }
}

/// The cards of this page, under a heading per family.
#[component]
fn Cards(products: Vec<ProductCard>) -> impl IntoView {
    let mut groups: Vec<(String, Vec<ProductCard>)> = Vec::new();
    for p in products {
        match groups.last_mut() {
            Some((family, cards)) if *family == p.family => cards.push(p),
            _ => groups.push((p.family.clone(), vec![p])),
        }
    }
    groups
        .into_iter()
        .map(|(family, cards)| {
            view! {
                <section class="group">
                    <h2>{family}</h2>
                    <ul class="cards">
                        {cards.into_iter().map(|p| view! { <Card product=p/> }).collect_view()}
                    </ul>
                </section>
            }
        })
        .collect_view()
}

/// Links to the other pages of the list (plain links: no JavaScript needed).
#[component]
fn Pager(query: ProgrammeQuery, page: u32, pages: u32) -> impl IntoView {
    let lang = use_lang().code();
    let href = move |n: u32| {
        let mut q = query.clone();
        q.page = n;
        format!("/{}", q.to_query_string())
    };
    (pages > 1).then(|| {
        view! {
            <nav class="pager" aria-label=t!("home.pages", locale = lang).to_string()>
                <p class="page-of">{t!("home.page_n", locale = lang, page = page, pages = pages).to_string()}</p>
                <ul>
                    {(page > 1).then(|| view! {
                        <li><a href=href(page - 1) rel="prev">{t!("home.previous", locale = lang).to_string()}</a></li>
                    })}
                    {(1..=pages).map(|n| {
                        let label = t!("home.page_link", locale = lang, page = n).to_string();
                        view! {
                            <li>
                                <a href=href(n) aria-label=label aria-current=(n == page).then_some("page")>{n}</a>
                            </li>
                        }
                    }).collect_view()}
                    {(page < pages).then(|| view! {
                        <li><a href=href(page + 1) rel="next">{t!("home.next", locale = lang).to_string()}</a></li>
                    })}
                </ul>
            </nav>
        }
    })
}

/// The month view: a table, one cell per day, with what is on that day.
#[component]
fn Calendar(calendar: MonthCalendar) -> impl IntoView {
    let lang = use_lang().code();
    let MonthCalendar {
        title,
        prev,
        next,
        weekdays,
        weeks,
        ..
    } = calendar;
    let empty = weeks
        .iter()
        .flatten()
        .flatten()
        .all(|d| d.entries.is_empty());
    view! {
        <nav class="months" aria-label=t!("home.view_calendar", locale = lang).to_string()>
            {prev.map(|(q, month)| view! {
                <a href=format!("/{q}") rel="prev">{t!("home.prev_month", locale = lang, month = month).to_string()}</a>
            })}
            {next.map(|(q, month)| view! {
                <a href=format!("/{q}") rel="next">{t!("home.next_month", locale = lang, month = month).to_string()}</a>
            })}
        </nav>
        {empty.then(|| view! { <p class="notice">{t!("home.nothing_this_month", locale = lang).to_string()}</p> })}
        <div class="calendar-wrap">
            <table class="calendar" data-testid="calendar">
                <caption>{t!("home.calendar_caption", locale = lang, month = title).to_string()}</caption>
                <thead>
                    <tr>
                        {weekdays.into_iter().map(|(short, long)| view! {
                            <th scope="col"><abbr title=long>{short}</abbr></th>
                        }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {weeks.into_iter().map(|week| view! {
                        <tr>
                            {week.into_iter().map(|day| match day {
                                None => view! { <td class="outside"></td> }.into_any(),
                                Some(d) => {
                                    let busy = !d.entries.is_empty();
                                    view! {
                                        <td class:busy=busy>
                                            <span class="day-number" aria-hidden="true">{d.day}</span>
                                            <span class="visually-hidden">{d.label}</span>
                                            {busy.then(|| view! {
                                                <ul>
                                                    {d.entries.into_iter().map(|e| {
                                                        let level_class = format!("level level-{}", e.availability.to_ascii_lowercase());
                                                        view! {
                                                            <li>
                                                                <a href=e.href>{format!("{} {}", e.time, e.name)}</a>
                                                                <span class=level_class>{e.availability_text}</span>
                                                            </li>
                                                        }
                                                    }).collect_view()}
                                                </ul>
                                            })}
                                        </td>
                                    }
                                    .into_any()
                                }
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn Card(product: ProductCard) -> impl IntoView {
    let level_class = format!("level level-{}", product.availability.to_ascii_lowercase());
    view! {
        <li class="card">
            <h3>
                {match product.href {
                    Some(href) => view! { <a href=href>{product.name}</a> }.into_any(),
                    None => view! { <span>{product.name}</span> }.into_any(),
                }}
            </h3>
            {(!product.dates.is_empty()).then(|| view! { <p class="dates">{product.dates.clone()}</p> })}
            {product.price_from.map(|p| view! { <p class="price">{p}</p> })}
            <p class=level_class>{product.availability_text}</p>
        </li>
    }
}
