//! The home page: the institution and what it has on sale.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};

use rust_i18n::t;

use crate::i18n::use_lang;
use crate::model::{ProductCard, Programme};
use crate::routes::layout::Layout;

/// The programme of the institution serving this request.
#[server]
pub async fn get_programme() -> Result<Programme, ServerFnError> {
    let tenant = crate::ssr::current_tenant().await?;
    crate::ssr::programme(&tenant, crate::ssr::request_lang().code())
        .await
        .map_err(ServerFnError::new)
}

#[component]
pub fn HomePage() -> impl IntoView {
    let programme = Resource::new_blocking(|| (), |_| get_programme());
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
    let Programme { shop, products, .. } = programme;
    let count = products.len();
    let (show_all, set_show_all) = signal(false);
    let first: Vec<ProductCard> = products.iter().take(3).cloned().collect();
    let rest: Vec<ProductCard> = products.iter().skip(3).cloned().collect();
    let rest_count = rest.len();
    let lang = use_lang().code();
    view! {
        <Title text=t!("home.title", locale = lang, name = shop.name.clone()).to_string()/>
        <Meta name="description" content=t!("home.description", locale = lang, name = shop.name.clone(), place = shop.locality.clone(), count = count).to_string()/>
        <Layout shop=shop.clone()>
                <h1>{t!("home.h1", locale = lang, name = shop.name.clone()).to_string()}</h1>
                <p class="summary" data-testid="product-count">
                    {t!("home.summary", locale = lang, count = count, currency = shop.currency.clone()).to_string()}
                </p>
                <ul class="cards">
                    {first.into_iter().map(|p| view! { <Card product=p/> }).collect_view()}
                </ul>
                <Show when=move || { rest_count > 0 }>
                    <button
                        class="toggle"
                        data-testid="toggle-programme"
                        aria-expanded=move || show_all.get().to_string()
                        aria-controls="more-products"
                        on:click=move |_| set_show_all.update(|v| *v = !*v)
                    >
                        {move || if show_all.get() {
                            t!("home.show_fewer", locale = lang).to_string()
                        } else {
                            t!("home.show_more", locale = lang, count = rest_count).to_string()
                        }}
                    </button>
                </Show>
                <ul class="cards" id="more-products" hidden=move || !show_all.get()>
                    {rest.clone().into_iter().map(|p| view! { <Card product=p/> }).collect_view()}
                </ul>
        </Layout>
    }
}

#[component]
fn Card(product: ProductCard) -> impl IntoView {
    let level_class = format!("level level-{}", product.availability.to_ascii_lowercase());
    view! {
        <li class="card">
            <h2>
                {match product.href {
                    Some(href) => view! { <a href=href>{product.name}</a> }.into_any(),
                    None => view! { <span>{product.name}</span> }.into_any(),
                }}
            </h2>
            <p class="family">{product.family}</p>
            {(!product.dates.is_empty()).then(|| view! { <p class="dates">{product.dates.clone()}</p> })}
            {product.price_from.map(|p| view! { <p class="price">{p}</p> })}
            <p class=level_class>{product.availability_text}</p>
        </li>
    }
}
