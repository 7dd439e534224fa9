//! The order page: state from S-360 (never from the browser), items, tickets and downloads
//! (S-360's printable PDF, our branded e-tickets, the calendar file). Shown to whoever holds the
//! order's secret link and to the logged-in buyer who bought it; anyone else is told there is
//! no such page.

use leptos::prelude::*;

use crate::error::AppError;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};
use rust_i18n::t;

use crate::i18n::use_lang;
use crate::routes::layout::{Layout, Problem};
use crate::routes::not_found::NotFound;
use shop::model::OrderView;

/// The order, for whoever holds its secret link or bought it while logged in (finalised on the
/// way if its payment settled); `None` for anyone else and for an order that does not exist.
#[server]
pub async fn get_order(order_id: i64, access: String) -> Result<Option<OrderView>, AppError> {
    let cx = crate::context::ctx().await?;
    Ok(shop::order::order_view(&cx, order_id, Some(access.as_str())).await?)
}

#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let lang = use_lang().code();
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
        <Suspense fallback=move || view! { <p class="loading">{t!("order.loading", locale = lang).to_string()}</p> }>
            {move || Suspend::new(async move {
                match order.await {
                    Ok(Some(o)) => view! { <Order order=o/> }.into_any(),
                    Ok(None) => view! { <NotFound/> }.into_any(),
                    // S-360 unreachable: say so and look again shortly (a paid order is
                    // finalised on the next successful visit)
                    Err(e) => view! {
                        <Meta http_equiv="refresh" content="10"/>
                        <Problem message=e.to_string()/>
                        <p>{t!("order.checks_again", locale = lang).to_string()}</p>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

/// The three downloads of a paid order. The links carry the secret (they work in another
/// browser and after logging out, like the order link itself) and the page's language.
#[component]
fn Downloads(order_id: i64, access: String, has_dates: bool) -> impl IntoView {
    let lang = use_lang().code();
    let tr = move |k: &str| t!(k, locale = lang).to_string();
    let link = move |file: &str| format!("/orders/{order_id}/{file}?access={access}&lang={lang}");
    view! {
        <section class="downloads" aria-labelledby="downloads-title">
            <h3 id="downloads-title">{tr("order.downloads")}</h3>
            <ul>
                <li>
                    <a class="button" href=link("tickets-branded.pdf") download data-testid="download-branded">
                        {tr("order.download_branded")}
                    </a>
                </li>
                <li>
                    <a class="button secondary" href=link("tickets.pdf") download data-testid="download-tickets">
                        {tr("order.download_tickets")}
                    </a>
                </li>
                {has_dates.then(|| view! {
                    <li>
                        <a class="button secondary" href=link("calendar.ics") download data-testid="download-calendar">
                            {tr("order.download_calendar")}
                        </a>
                    </li>
                })}
            </ul>
        </section>
    }
}

/// "Send me my tickets again": the confirmation e-mail once more, to the order's buyer (at most
/// once in 10 minutes; the server says which with `?mail=sent|wait`). A plain form: it works
/// without JavaScript.
#[component]
fn Resend(order_id: i64, access: String) -> impl IntoView {
    let lang = use_lang().code();
    let query = use_query_map();
    let notice = move || match query.read().get("mail").as_deref() {
        Some("sent") => Some(t!("mail.resend_sent", locale = lang).to_string()),
        Some("wait") => Some(t!("mail.resend_wait", locale = lang).to_string()),
        _ => None,
    };
    view! {
        <form class="resend" method="post" action=format!("/orders/{order_id}/resend?access={access}&lang={lang}")>
            <button type="submit" class="button secondary" data-testid="resend-tickets">
                {t!("mail.resend_button", locale = lang).to_string()}
            </button>
            {move || notice().map(|n| view! { <p role="status" data-testid="resend-notice">{n}</p> })}
        </form>
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
        has_dates,
        logged_in,
    } = order;
    let lang = use_lang().code();
    let tr = move |k: &str| t!(k, locale = lang).to_string();
    let closed = state == "CLOSED";
    let pending = state == "RUNNING";
    // look again only while the payment is being confirmed, not while nobody pays
    let confirming = pending && matches!(payment_state.as_str(), "InProgress" | "Paid");
    let page = t!("order.page_title", locale = lang, number = order_id).to_string();
    view! {
        <Title text=t!("page.title", locale = lang, page = page, shop = shop.name.clone()).to_string()/>
        {confirming.then(|| view! { <Meta http_equiv="refresh" content="5"/> })}
        <Layout shop=shop>
            <h1>{if closed { tr("order.thanks") } else { tr("order.your_order") }}</h1>
            <p>{tr("order.number")}" " <strong data-testid="order-number">{order_id}</strong></p>
            <p class=format!("order-state state-{}", state.to_ascii_lowercase()) data-testid="order-state" role="status">{state_text}</p>
            {can_retry.then(|| view! {
                <p><a class="button" href="/pay" data-testid="retry-payment">{tr("payment.try_another_card")}</a></p>
            })}
            <h2>{tr("order.items")}</h2>
            <ul class="order-lines">
                {lines.into_iter().map(|l| view! {
                    <li>
                        <strong>{l.product}</strong>
                        {l.when.map(|w| view! { " · " {w} })}
                        " · " {l.quantity} " × " {l.tariff} " · " {l.total}
                    </li>
                }).collect_view()}
            </ul>
            <p>{tr("order.total")}" " <strong data-testid="order-total">{total}</strong></p>
            {closed.then(|| view! {
                <section class="order-tickets" aria-labelledby="tickets-title">
                    <h2 id="tickets-title">{tr("order.your_tickets")}</h2>
                    <Downloads order_id=order_id access=access.clone() has_dates=has_dates/>
                    <Resend order_id=order_id access=access.clone()/>
                    <ul class="tickets">
                        {tickets.into_iter().map(|t| view! {
                            <li data-testid="ticket">
                                <strong>{t.product}</strong>
                                {t.when.map(|w| view! { " · " {w} })}
                                <br/>{t.place}" · "{t.tariff}" · "{t.price}
                                {t.holder.map(|h| view! { <br/>{t!("order.ticket_holder", locale = lang, name = h).to_string()} })}
                                <br/>{tr("order.barcode")}" " <span class="barcode">{t.barcode}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
            })}
            {(!closed && !pending).then(|| view! { <p><a class="button" href="/">{tr("order.back_to_programme")}</a></p> })}
            {logged_in.then(|| view! { <p><a href="/account/orders" data-testid="all-orders">{tr("order.all_orders")}</a></p> })}
        </Layout>
    }
}
