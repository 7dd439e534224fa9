//! A performance: seat categories with their prices per tariff, and "best available" for a
//! quantity, added to the cart on the server (the order call is the final authority).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use rust_i18n::t;

use crate::i18n::use_lang;
use crate::model::{PerformanceView, SeatCategoryRow};
use crate::routes::layout::{Layout, Problem};
use crate::routes::not_found::NotFound;

#[server]
pub async fn get_performance(
    product_id: i64,
    performance_id: i64,
) -> Result<Option<PerformanceView>, ServerFnError> {
    let tenant = crate::ssr::current_tenant().await?;
    let lang = crate::ssr::request_lang();
    crate::purchase::performance_view(&tenant, product_id, performance_id, lang.code())
        .await
        .map_err(ServerFnError::new)
}

/// Adds best-available seats to the buyer's cart, then goes to the cart.
#[server]
pub async fn add_to_cart(
    performance_id: i64,
    seat_category_id: i64,
    tariff_id: i64,
    quantity: u32,
) -> Result<(), ServerFnError> {
    let tenant = crate::ssr::current_tenant().await?;
    let session = crate::ssr::session().await?;
    crate::purchase::add_to_cart(
        &tenant,
        &session,
        performance_id,
        seat_category_id,
        tariff_id,
        quantity,
    )
    .await
    .map_err(ServerFnError::new)?;
    leptos_axum::redirect("/cart");
    Ok(())
}

#[component]
pub fn PerformancePage() -> impl IntoView {
    let params = use_params_map();
    let ids = move || {
        let p = params.read();
        let get = |k: &str| p.get(k).and_then(|s| s.parse::<i64>().ok()).unwrap_or(-1);
        (get("id"), get("perf"))
    };
    let perf = Resource::new_blocking(ids, |(id, perf)| get_performance(id, perf));
    let lang = use_lang().code();
    view! {
        <Suspense fallback=move || view! { <p class="loading">{t!("page.loading", locale = lang).to_string()}</p> }>
            {move || Suspend::new(async move {
                match perf.await {
                    Ok(Some(p)) => view! { <Performance perf=p/> }.into_any(),
                    Ok(None) => view! { <NotFound/> }.into_any(),
                    Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Performance(perf: PerformanceView) -> impl IntoView {
    let PerformanceView {
        shop,
        product_id,
        product_name,
        performance_id,
        when,
        categories,
        max_quantity,
    } = perf;
    let add = ServerAction::<AddToCart>::new();
    let lang = use_lang().code();
    let error = move || {
        add.value().get().and_then(|r| r.err()).map(|e| {
            let msg = e.to_string();
            let msg = msg
                .trim_start_matches("error running server function: ")
                .to_string();
            view! { <Problem message=msg/> }
        })
    };
    view! {
        <Title text=t!("page.title", locale = lang, page = format!("{product_name}, {when}"), shop = shop.name.clone()).to_string()/>
        <Layout shop=shop>
            <p><a href=format!("/event/{product_id}")>{t!("perf.back", locale = lang).to_string()}</a></p>
            <h1>{product_name}</h1>
            <p class="when">{when}</p>
            {error}
            <h2>{t!("perf.categories", locale = lang).to_string()}</h2>
            <div class="categories">
                {categories
                    .into_iter()
                    .map(|c| view! { <Category cat=c performance_id=performance_id max=max_quantity add=add/> })
                    .collect_view()}
            </div>
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
