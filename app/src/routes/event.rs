//! An event: its description and performances with dates, prices and availability.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_params_map;

use crate::model::EventView;
use crate::routes::layout::{Layout, Problem};
use crate::routes::not_found::NotFound;

#[server]
pub async fn get_event(product_id: i64) -> Result<Option<EventView>, ServerFnError> {
    let tenant = crate::ssr::current_tenant().await?;
    crate::purchase::event_view(&tenant, product_id, "en")
        .await
        .map_err(ServerFnError::new)
}

#[component]
pub fn EventPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(-1)
    };
    let event = Resource::new_blocking(id, get_event);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match event.await {
                    Ok(Some(e)) => view! { <Event event=e/> }.into_any(),
                    Ok(None) => view! { <NotFound/> }.into_any(),
                    Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Event(event: EventView) -> impl IntoView {
    let EventView {
        shop,
        product_id,
        name,
        description,
        performances,
    } = event;
    view! {
        <Title text=format!("{name} – {}", shop.name)/>
        <Meta name="description" content=description.clone()/>
        <Layout shop=shop>
            <h1>{name}</h1>
            <p class="description">{description}</p>
            <h2>"Dates"</h2>
            <ul class="performances">
                {performances
                    .into_iter()
                    .map(|p| {
                        let level = format!("level level-{}", p.availability.to_ascii_lowercase());
                        view! {
                            <li class="performance">
                                <span class="when">{p.when.clone()}</span>
                                {p.price_range.clone().map(|r| view! { <span class="price">{r}</span> })}
                                <span class=level>{p.availability_text.clone()}</span>
                                {p.buyable.then(|| view! {
                                    <a class="button" href=format!("/event/{product_id}/{}", p.id)
                                        aria-label=format!("Choose seats for {}", p.when)>
                                        "Choose seats"
                                    </a>
                                })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </Layout>
    }
}
