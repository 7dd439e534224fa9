//! A product that is not a dated event: a visit pass (a day in the calendar, then a time slot),
//! an open pass or a service (tariffs and quantities), a season ticket (what it includes and a
//! seat category). The choice is checked on the server and added to the cart; every step is a
//! link or a form post, so the page works without JavaScript.

use leptos::prelude::*;

use crate::error::AppError;
use leptos_meta::{Link, Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

use rust_i18n::t;

use crate::i18n::use_lang;
use crate::routes::layout::{Layout, Problem};
use crate::routes::not_found::NotFound;
use shop::model::{ProductForm, ProductView, SeasonPackage, TariffOffer, VisitCalendar, VisitDay};

#[server]
pub async fn get_product(
    product_id: i64,
    month: String,
    date: String,
    tour: String,
) -> Result<Option<ProductView>, AppError> {
    let cx = crate::context::ctx().await?;
    let query = shop::products::ProductQuery { month, date, tour };
    Ok(shop::products::product_view(&cx, product_id, &query).await?)
}

/// Checks the choice and adds it to the buyer's cart, then goes to the cart.
#[server]
pub async fn add_product(form: ProductForm) -> Result<(), AppError> {
    let cx = crate::context::ctx().await?;
    shop::products::add_product_to_cart(&cx, &form).await?;
    leptos_axum::redirect("/cart");
    Ok(())
}

#[component]
pub fn ProductPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let id = params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(-1);
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        (id, get("month"), get("date"), get("tour"))
    };
    let product = Resource::new_blocking(key, |(id, month, date, tour)| {
        get_product(id, month, date, tour)
    });
    let lang = use_lang().code();
    view! {
        <Suspense fallback=move || view! { <p class="loading">{t!("page.loading", locale = lang).to_string()}</p> }>
            {move || Suspend::new(async move {
                match product.await {
                    Ok(Some(p)) => view! { <Product product=p/> }.into_any(),
                    Ok(None) => view! { <NotFound/> }.into_any(),
                    Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Product(product: ProductView) -> impl IntoView {
    let ProductView {
        shop,
        product_id,
        kind,
        name,
        description,
        family,
        availability,
        availability_text,
        validity,
        offers,
        max_quantity,
        calendar,
        day,
        season,
        canonical,
        json_ld,
    } = product;
    let add = ServerAction::<AddProduct>::new();
    let lang = use_lang().code();
    let tr = move |key: &str| t!(key, locale = lang).to_string();
    let error = move || {
        add.value().get().and_then(|r| r.err()).map(|e| {
            let msg = e.message;
            view! { <div data-testid="product-error"><Problem message=msg/></div> }
        })
    };
    let level = format!("level level-{}", availability.to_ascii_lowercase());
    let title = match &day {
        Some(d) => format!("{name}, {}", d.label),
        None => name.clone(),
    };
    let body = match kind.as_str() {
        "visit" => view! {
            {calendar.map(|c| view! { <Calendar calendar=c/> })}
            {match day {
                Some(d) => view! { <Day day=d product_id=product_id offers=offers max=max_quantity add=add/> }.into_any(),
                None => view! { <p class="hint" data-testid="pick-a-day">{tr("product.pick_day")}</p> }.into_any(),
            }}
        }
        .into_any(),
        "season" => view! {
            {season.map(|s| view! { <Season package=s product_id=product_id offers=offers max=max_quantity add=add/> })}
        }
        .into_any(),
        _ => view! {
            <ActionForm action=add attr:class="add-form product-form" attr:novalidate=true>
                <input type="hidden" name="form[product_id]" value=product_id/>
                <Quantities offers=offers max=max_quantity/>
                <button type="submit" data-testid="add-product">{tr("product.add")}</button>
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <Title text=t!("page.title", locale = lang, page = title, shop = shop.name.clone()).to_string()/>
        <Meta name="description" content=description.clone()/>
        <Link rel="canonical" href=canonical/>
        <script type="application/ld+json" inner_html=json_ld></script>
        <Layout shop=shop>
            <p><a href="/">{tr("product.back")}</a></p>
            <h1>{name}</h1>
            <p class="family">{family}</p>
            <p class="description">{description}</p>
            <p class=level data-testid="product-availability">{availability_text}</p>
            {validity.map(|v| view! { <p class="validity" data-testid="validity">{v}</p> })}
            {error}
            {body}
        </Layout>
    }
}

/// The month grid of a visit pass: each day says in words whether it can be booked.
#[component]
fn Calendar(calendar: VisitCalendar) -> impl IntoView {
    let lang = use_lang().code();
    let tr = move |key: &str| t!(key, locale = lang).to_string();
    let VisitCalendar {
        title,
        prev,
        next,
        weekdays,
        weeks,
    } = calendar;
    view! {
        <section class="visit-calendar" aria-labelledby="calendar-heading">
            <h2 id="calendar-heading">{tr("product.choose_day")}</h2>
            <nav class="month-nav" aria-label=tr("product.months")>
                {prev.map(|(href, label)| view! {
                    <a href=href rel="prev" data-testid="prev-month">
                        <span aria-hidden="true">"← "</span>{t!("product.month_prev", locale = lang, month = label).to_string()}
                    </a>
                })}
                {next.map(|(href, label)| view! {
                    <a href=href rel="next" data-testid="next-month">
                        {t!("product.month_next", locale = lang, month = label).to_string()}<span aria-hidden="true">" →"</span>
                    </a>
                })}
            </nav>
            <table class="calendar" data-testid="calendar">
                <caption>{title}</caption>
                <thead>
                    <tr>
                        {weekdays.into_iter().map(|(short, full)| view! {
                            <th scope="col"><abbr title=full>{short}</abbr></th>
                        }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {weeks.into_iter().map(|week| view! {
                        <tr>
                            {week.into_iter().map(|day| match day {
                                None => view! { <td class="outside"></td> }.into_any(),
                                Some(d) => {
                                    let class = format!("day level-{}", d.availability.to_ascii_lowercase());
                                    let content = view! {
                                        <span class="num" aria-hidden="true">{d.day}</span>
                                        <span class="visually-hidden">{d.label.clone()}", "</span>
                                        <span class="day-level">{d.availability_text.clone()}</span>
                                    };
                                    match d.href {
                                        Some(href) => view! {
                                            <td class:selected=d.selected>
                                                <a class=class href=href data-date=d.date.clone()
                                                    aria-current=d.selected.then_some("date")>{content}</a>
                                            </td>
                                        }.into_any(),
                                        None => view! {
                                            <td><span class=format!("{class} unavailable") data-date=d.date.clone()>{content}</span></td>
                                        }.into_any(),
                                    }
                                }
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// The chosen day: a guided-tour filter, the time slots, tariffs and quantities.
#[component]
fn Day(
    day: VisitDay,
    product_id: i64,
    offers: Vec<TariffOffer>,
    max: u32,
    add: ServerAction<AddProduct>,
) -> impl IntoView {
    let lang = use_lang().code();
    let tr = move |key: &str| t!(key, locale = lang).to_string();
    let VisitDay {
        date,
        label,
        slots,
        tour_languages,
        tour,
        notice,
    } = day;
    let heading = t!("product.slots_on", locale = lang, day = label).to_string();
    let any_slot = slots.iter().any(|s| s.buyable);
    let filter = (!tour_languages.is_empty()).then(|| {
        let tour = tour.clone();
        view! {
            <form method="get" class="tour-filter" data-testid="tour-filter">
                <input type="hidden" name="date" value=date.clone()/>
                <label for="tour">{tr("product.tour_filter")}</label>
                <select id="tour" name="tour">
                    <option value="" selected=tour.is_empty()>{tr("product.tour_any")}</option>
                    {tour_languages.into_iter().map(|(code, name)| {
                        let selected = code == tour;
                        view! {
                            <option value=code selected=selected>
                                {t!("product.tour_in", locale = lang, language = name).to_string()}
                            </option>
                        }
                    }).collect_view()}
                </select>
                <button type="submit" class="secondary">{tr("product.tour_show")}</button>
            </form>
        }
    });
    view! {
        <section class="visit-day" aria-labelledby="day-heading">
            <h2 id="day-heading">{heading}</h2>
            {notice.map(|n| view! { <p class="notice" data-testid="day-notice">{n}</p> })}
            {filter}
            {(!slots.is_empty()).then(|| view! {
                <ActionForm action=add attr:class="add-form product-form" attr:novalidate=true>
                    <input type="hidden" name="form[product_id]" value=product_id/>
                    <input type="hidden" name="form[date]" value=date.clone()/>
                    <input type="hidden" name="form[tour]" value=tour.clone()/>
                    <fieldset class="slots">
                        <legend>{tr("product.slot")}</legend>
                        {slots.into_iter().map(|s| {
                            let id = format!("slot-{}", s.id);
                            let level = format!("level level-{}", s.availability.to_ascii_lowercase());
                            view! {
                                <div class="slot" class:sold-out=!s.buyable>
                                    <input type="radio" id=id.clone() name="form[timeslot_id]" value=s.id disabled=!s.buyable/>
                                    <label for=id>
                                        <span class="time">{s.time.clone()}</span>
                                        <span class=level>{s.availability_text.clone()}</span>
                                        {s.tours.iter().map(|t| view! { <span class="tour">{t.clone()}</span> }).collect_view()}
                                    </label>
                                </div>
                            }
                        }).collect_view()}
                    </fieldset>
                    {any_slot.then(|| view! {
                        <Quantities offers=offers max=max/>
                        <button type="submit" data-testid="add-product">{tr("product.add")}</button>
                    })}
                </ActionForm>
            })}
        </section>
    }
}

/// What a season ticket includes, its prices per seat category, and the seat category choice.
#[component]
fn Season(
    package: SeasonPackage,
    product_id: i64,
    offers: Vec<TariffOffer>,
    max: u32,
    add: ServerAction<AddProduct>,
) -> impl IntoView {
    let lang = use_lang().code();
    let tr = move |key: &str| t!(key, locale = lang).to_string();
    let SeasonPackage {
        includes,
        categories,
    } = package;
    let count = includes.len();
    let tariff_keys: Vec<(String, String)> = offers
        .iter()
        .map(|o| (o.key.clone(), o.tariff.clone()))
        .collect();
    let any = categories.iter().any(|c| c.buyable);
    view! {
        <section aria-labelledby="includes-heading">
            <h2 id="includes-heading">{t!("product.includes", locale = lang, count = count).to_string()}</h2>
            <ul class="included" data-testid="included">
                {includes.into_iter().map(|i| view! {
                    <li><a href=i.href>{i.name}</a>" · "<span class="when">{i.when}</span></li>
                }).collect_view()}
            </ul>
        </section>
        <section aria-labelledby="prices-heading">
            <h2 id="prices-heading">{tr("product.prices")}</h2>
            <table class="prices season-prices">
                <caption class="visually-hidden">{tr("product.prices_caption")}</caption>
                <thead>
                    <tr>
                        <th scope="col">{tr("product.category")}</th>
                        {tariff_keys.iter().map(|(_, name)| view! { <th scope="col">{name.clone()}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {categories.iter().map(|c| view! {
                        <tr>
                            <th scope="row">{c.name.clone()}</th>
                            {tariff_keys.iter().map(|(key, _)| {
                                let price = c.prices.iter()
                                    .find(|p| format!("t{}", p.tariff_id) == *key)
                                    .map(|p| p.price.clone())
                                    .unwrap_or_else(|| "–".into());
                                view! { <td>{price}</td> }
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <ActionForm action=add attr:class="add-form product-form" attr:novalidate=true>
            <input type="hidden" name="form[product_id]" value=product_id/>
            <fieldset class="season-categories">
                <legend>{tr("product.category")}</legend>
                <p class="detail">{tr("product.season_best")}</p>
                {categories.into_iter().map(|c| {
                    let id = format!("cat-{}", c.id);
                    let level = format!("level level-{}", c.availability.to_ascii_lowercase());
                    view! {
                        <div class="slot" class:sold-out=!c.buyable>
                            <input type="radio" id=id.clone() name="form[seat_category_id]" value=c.id disabled=!c.buyable/>
                            <label for=id>
                                <span class="time">{c.name.clone()}</span>
                                <span class=level>{c.availability_text.clone()}</span>
                            </label>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            {any.then(|| view! {
                <Quantities offers=offers max=max/>
                <button type="submit" data-testid="add-product">{tr("product.add")}</button>
            })}
        </ActionForm>
    }
}

/// A quantity per tariff, with its price and rule.
#[component]
fn Quantities(offers: Vec<TariffOffer>, max: u32) -> impl IntoView {
    let lang = use_lang().code();
    let tr = move |key: &str| t!(key, locale = lang).to_string();
    view! {
        <fieldset class="tariffs">
            <legend>{tr("product.tickets")}</legend>
            {offers.into_iter().map(|o| {
                let id = format!("qty-{}", o.key);
                let note_id = format!("note-{}", o.key);
                let described = o.note.is_some().then(|| note_id.clone());
                view! {
                    <div class="tariff">
                        <label for=id.clone()>
                            <span class="tariff-name">{o.tariff.clone()}</span>
                            <span class="price">{o.price.clone()}</span>
                        </label>
                        <input id=id type="number" inputmode="numeric" name=format!("form[quantities][{}]", o.key)
                            min="0" max=o.max value="0" aria-describedby=described/>
                        {o.note.map(|n| view! { <p class="detail" id=note_id>{n}</p> })}
                    </div>
                }
            }).collect_view()}
            <p class="detail">{t!("product.max", locale = lang, max = max).to_string()}</p>
        </fieldset>
    }
}
