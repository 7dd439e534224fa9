//! The order page: state from S-360 (never from the browser), tickets and downloads.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::model::OrderView;
use crate::routes::layout::{Layout, Problem};
use crate::routes::not_found::NotFound;

/// The order, for whoever holds its secret link (finalised on the way if its payment settled).
#[server]
pub async fn get_order(order_id: i64, access: String) -> Result<Option<OrderView>, ServerFnError> {
    let tenant = crate::ssr::current_tenant().await?;
    crate::purchase::order_view(&tenant, order_id, &access, "en")
        .await
        .map_err(ServerFnError::new)
}

#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        (
            params
                .read()
                .get("id")
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(-1),
            query.read().get("access").unwrap_or_default(),
        )
    };
    let order = Resource::new_blocking(key, |(id, access)| get_order(id, access));
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading your order…"</p> }>
            {move || Suspend::new(async move {
                match order.await {
                    Ok(Some(o)) => view! { <Order order=o/> }.into_any(),
                    Ok(None) => view! { <NotFound/> }.into_any(),
                    // S-360 unreachable: say so and look again shortly (a paid order is
                    // finalised on the next successful visit)
                    Err(e) => view! {
                        <Meta http_equiv="refresh" content="10"/>
                        <Problem message=e.to_string()/>
                        <p>"This page checks again every 10 seconds."</p>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Order(order: OrderView) -> impl IntoView {
    let OrderView {
        shop,
        order_id,
        state,
        state_text,
        payment_state,
        lines,
        total,
        tickets,
        access,
        can_retry,
    } = order;
    let lang = crate::i18n::use_lang().code();
    let closed = state == "CLOSED";
    let pending = state == "RUNNING";
    // look again only while the payment is being confirmed, not while nobody pays
    let confirming = pending && matches!(payment_state.as_str(), "InProgress" | "Paid");
    let pdf = format!("/orders/{order_id}/tickets.pdf?access={access}");
    view! {
        <Title text=format!("Order {order_id} – {}", shop.name)/>
        {confirming.then(|| view! { <Meta http_equiv="refresh" content="5"/> })}
        <Layout shop=shop>
            <h1>{if closed { "Thank you for your order" } else { "Your order" }}</h1>
            <p>"Order number " <strong data-testid="order-number">{order_id}</strong></p>
            <p class=format!("order-state state-{}", state.to_ascii_lowercase()) data-testid="order-state" role="status">{state_text}</p>
            {can_retry.then(|| view! {
                <p><a class="button" href="/pay" data-testid="retry-payment">{rust_i18n::t!("payment.try_another_card", locale = lang).into_owned()}</a></p>
            })}
            <ul class="order-lines">
                {lines.into_iter().map(|l| view! {
                    <li>
                        <strong>{l.product}</strong>
                        {l.when.map(|w| view! { " · " {w} })}
                        " · " {l.quantity} " × " {l.tariff} " · " {l.total}
                    </li>
                }).collect_view()}
            </ul>
            <p>"Total: " <strong>{total}</strong></p>
            {closed.then(|| view! {
                <h2>"Your tickets"</h2>
                <p><a class="button" href=pdf.clone() download data-testid="download-tickets">"Download tickets (PDF)"</a></p>
                <ul class="tickets">
                    {tickets.into_iter().map(|t| view! {
                        <li data-testid="ticket">
                            <strong>{t.product}</strong>
                            {t.when.map(|w| view! { " · " {w} })}
                            <br/>{t.place}" · "{t.tariff}
                            <br/><span class="barcode">{t.barcode}</span>
                        </li>
                    }).collect_view()}
                </ul>
            })}
            {(!closed && !pending).then(|| view! { <p><a class="button" href="/">"Back to the programme"</a></p> })}
        </Layout>
    }
}
