//! An event: its description and performances with dates, prices and availability.

use leptos::prelude::*;

use crate::error::AppError;
use leptos_meta::{Link, Meta, Title};
use leptos_router::hooks::use_params_map;

use rust_i18n::t;

use crate::i18n::use_lang;
use crate::routes::layout::{Layout, Problem};
use crate::routes::not_found::NotFound;
use shop::model::EventView;

#[server]
pub async fn get_event(product_id: i64) -> Result<Option<EventView>, AppError> {
    let cx = crate::context::ctx().await?;
    Ok(shop::browse::event_view(&cx, product_id).await?)
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
    let lang = use_lang().code();
    view! {
        <Suspense fallback=move || view! { <p class="loading">{t!("page.loading", locale = lang).to_string()}</p> }>
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
        canonical,
        json_ld,
        venue,
        image,
    } = event;
    let lang = use_lang().code();
    view! {
        <Title text=t!("page.title", locale = lang, page = name.clone(), shop = shop.name.clone()).to_string()/>
        <Meta name="description" content=description.clone()/>
        <Link rel="canonical" href=canonical/>
        <script type="application/ld+json" inner_html=json_ld></script>
        <Layout shop=shop>
            <h1>{name.clone()}</h1>
            {image.map(|src| view! { <img class="event-image" src=src alt=name.clone()/> })}
            <p class="description">{description}</p>
            {venue.map(|v| view! {
                <p class="venue" data-testid="venue"><strong>{t!("event.venue", locale = lang).to_string()}</strong>" "{v}</p>
            })}
            <h2>{t!("event.dates", locale = lang).to_string()}</h2>
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
                                        aria-label=t!("event.choose_label", locale = lang, when = p.when.clone()).to_string()>
                                        {t!("event.choose", locale = lang).to_string()}
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
