//! The home page: the institution and what it has on sale.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};

use crate::model::{ProductCard, Programme};
use crate::routes::layout::Layout;

/// The programme of the institution serving this request.
#[server]
pub async fn get_programme() -> Result<Programme, ServerFnError> {
    let tenant = crate::ssr::current_tenant().await?;
    crate::ssr::programme(&tenant, "en")
        .await
        .map_err(ServerFnError::new)
}

#[component]
pub fn HomePage() -> impl IntoView {
    let programme = Resource::new_blocking(|| (), |_| get_programme());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the programme…"</p> }>
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
    view! {
        <Title text="Temporarily unavailable"/>
        <main id="main" class="page">
            <h1>"The ticket shop is temporarily unavailable"</h1>
            <p>"We cannot reach the ticketing system right now. Please try again in a minute."</p>
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
    view! {
        <Title text=format!("{} – tickets", shop.name)/>
        <Meta name="description" content=format!("Buy tickets for {} in {}: {} products on sale.", shop.name, shop.locality, count)/>
        <Layout shop=shop.clone()>
                <h1>"Tickets for " {shop.name.clone()}</h1>
                <p class="summary" data-testid="product-count">
                    {format!("{count} products on sale · prices in {}", shop.currency)}
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
                            "Show fewer".to_string()
                        } else {
                            format!("Show {rest_count} more")
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
