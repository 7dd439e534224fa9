//! A performance: seat categories with their prices per tariff, "best available" for a
//! quantity, and for seated venues the seat map; added to the cart on the server (the order
//! call is the final authority).

use leptos::prelude::*;

use crate::error::AppError;
use leptos_meta::{Link, Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

use rust_i18n::t;

use crate::i18n::use_lang;
use crate::routes::layout::{Layout, Problem};
use crate::routes::not_found::NotFound;
use crate::routes::seatmap::SeatMap;
use shop::model::{PerformanceView, SeatCategoryRow};

/// The performance; with `map`, its seat map (in a large venue, the seats of `block`).
#[server]
pub async fn get_performance(
    product_id: i64,
    performance_id: i64,
    map: bool,
    block: Option<String>,
) -> Result<Option<PerformanceView>, AppError> {
    use shop::browse::MapPart;
    let cx = crate::context::ctx().await?;
    let part = match (&block, map) {
        (Some(b), _) => MapPart::Block(b),
        (None, true) => MapPart::Whole,
        (None, false) => MapPart::None,
    };
    Ok(shop::browse::performance_view(&cx, product_id, performance_id, part).await?)
}

/// Adds best-available seats (or standing places) to the buyer's cart, then goes to the cart.
#[server]
pub async fn add_to_cart(
    performance_id: i64,
    seat_category_id: i64,
    tariff_id: i64,
    quantity: u32,
) -> Result<(), AppError> {
    let cx = crate::context::ctx().await?;
    shop::cart::add_to_cart(
        &cx,
        performance_id,
        tariff_id,
        shop::cart::SeatChoice::BestAvailable {
            seat_category_id,
            quantity,
        },
    )
    .await?;
    leptos_axum::redirect("/cart");
    Ok(())
}

/// Adds the seats chosen on the seat map, all in one tariff, then goes to the cart.
#[server]
pub async fn add_seats(
    performance_id: i64,
    tariff_id: i64,
    seat_ids: Option<Vec<i64>>,
) -> Result<(), AppError> {
    let cx = crate::context::ctx().await?;
    shop::cart::add_to_cart(
        &cx,
        performance_id,
        tariff_id,
        shop::cart::SeatChoice::Seats(seat_ids.unwrap_or_default()),
    )
    .await?;
    leptos_axum::redirect("/cart");
    Ok(())
}

/// The message of a refused server function.
pub(crate) fn refusal(e: &AppError) -> String {
    e.message.clone()
}

#[component]
pub fn PerformancePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let add = ServerAction::<AddToCart>::new();
    let add_seats = ServerAction::<AddSeats>::new();
    // after seats were refused, the map is read again: the taken seats show as taken
    let refused = move || {
        add_seats
            .value()
            .with(|v| matches!(v, Some(Err(_))))
            .then(|| add_seats.version().get())
    };
    let key = move || {
        let p = params.read();
        let get = |k: &str| p.get(k).and_then(|s| s.parse::<i64>().ok()).unwrap_or(-1);
        let q = query.read();
        let map = q.get("map").is_some_and(|m| m == "1");
        (get("id"), get("perf"), map, q.get("block"), refused())
    };
    let perf = Resource::new_blocking(key, |(id, perf, map, block, _)| {
        get_performance(id, perf, map, block)
    });
    let lang = use_lang().code();
    view! {
        // the page stays while the map is opened or read again after a refusal
        <Transition fallback=move || view! { <p class="loading">{t!("page.loading", locale = lang).to_string()}</p> }>
            {move || Suspend::new(async move {
                match perf.await {
                    Ok(Some(p)) => view! { <Performance perf=p add=add add_seats=add_seats/> }.into_any(),
                    Ok(None) => view! { <NotFound/> }.into_any(),
                    Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Performance(
    perf: PerformanceView,
    add: ServerAction<AddToCart>,
    add_seats: ServerAction<AddSeats>,
) -> impl IntoView {
    let PerformanceView {
        shop,
        product_id,
        product_name,
        performance_id,
        when,
        categories,
        max_quantity,
        seated,
        seat_map,
        canonical,
        json_ld,
    } = perf;
    let lang = use_lang().code();
    let error = move || {
        add.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| view! { <Problem message=refusal(&e)/> })
    };
    let title = format!("{product_name}, {when}");
    view! {
        <Title text=t!("page.title", locale = lang, page = title.clone(), shop = shop.name.clone()).to_string()/>
        <Meta name="description" content=title/>
        <Link rel="canonical" href=canonical/>
        <script type="application/ld+json" inner_html=json_ld></script>
        <Layout shop=shop>
            <p><a href=format!("/event/{product_id}")>{t!("perf.back", locale = lang).to_string()}</a></p>
            <h1>{product_name}</h1>
            <p class="when">{when}</p>
            {error}
            {(seated && seat_map.is_none()).then(|| view! {
                <p class="open-map">
                    {t!("seatmap.intro", locale = lang).to_string()}" "
                    <a class="button secondary" href=format!("/event/{product_id}/{performance_id}?map=1#seatmap") data-testid="open-seat-map">
                        {t!("seatmap.open", locale = lang).to_string()}
                    </a>
                </p>
            })}
            <h2>{t!("perf.categories", locale = lang).to_string()}</h2>
            <div class="categories">
                {categories
                    .iter()
                    .cloned()
                    .map(|c| view! { <Category cat=c performance_id=performance_id max=max_quantity add=add/> })
                    .collect_view()}
            </div>
            {seat_map.map(|m| view! {
                <SeatMap
                    map=m
                    product_id=product_id
                    performance_id=performance_id
                    max=max_quantity
                    categories=categories.clone()
                    add_seats=add_seats
                    add=add
                />
            })}
        </Layout>
    }
}

#[component]
fn Category(
    cat: SeatCategoryRow,
    performance_id: i64,
    max: u32,
    add: ServerAction<AddToCart>,
) -> impl IntoView {
    let level = format!("level level-{}", cat.availability.to_ascii_lowercase());
    let form_id = format!("cat-{}", cat.id);
    let max = max.min(cat.remaining.max(1));
    let tariff_field = format!("{form_id}-tariff");
    let qty_field = format!("{form_id}-qty");
    let lang = use_lang().code();
    view! {
        <section class="category" aria-labelledby=form_id.clone()>
            <h3 id=form_id.clone()>{cat.name.clone()}</h3>
            <p class=level>{cat.availability_text.clone()}</p>
            <table class="prices">
                <caption class="visually-hidden">{t!("perf.prices_caption", locale = lang, category = cat.name.clone()).to_string()}</caption>
                <thead><tr><th scope="col">{t!("perf.tariff", locale = lang).to_string()}</th><th scope="col">{t!("perf.price", locale = lang).to_string()}</th></tr></thead>
                <tbody>
                    {cat.prices.iter().map(|p| view! {
                        <tr><td>{p.tariff.clone()}</td><td>{p.price.clone()}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            {cat.buyable.then(|| view! {
                <ActionForm action=add attr:class="add-form">
                    <input type="hidden" name="performance_id" value=performance_id/>
                    <input type="hidden" name="seat_category_id" value=cat.id/>
                    <label for=tariff_field.clone()>{t!("perf.tariff", locale = lang).to_string()}</label>
                    <select id=tariff_field.clone() name="tariff_id">
                        {cat.prices.iter().map(|p| view! {
                            <option value=p.tariff_id>{format!("{} – {}", p.tariff, p.price)}</option>
                        }).collect_view()}
                    </select>
                    <label for=qty_field.clone()>{t!("perf.quantity", locale = lang).to_string()}</label>
                    <input id=qty_field.clone() type="number" name="quantity" min="1" max=max value="2" required/>
                    <button type="submit" data-testid=format!("add-{}", cat.id)>{t!("perf.add_best", locale = lang).to_string()}</button>
                </ActionForm>
            })}
        </section>
    }
}
