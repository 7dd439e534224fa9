//! "My orders": the logged-in buyer's orders from S-360's order history (`getContactFiles`),
//! newest first, each linking to its order page (items, tickets, downloads). Visitors who are
//! not logged in are sent to the login and brought back here.

use leptos::prelude::*;

use crate::error::AppError;
use leptos_meta::Title;
use rust_i18n::t;

use crate::i18n::use_lang;
use crate::routes::account::to_login;
use crate::routes::layout::{Layout, Problem};
use shop::model::HistoryView;

/// The logged-in buyer's orders; `None` when nobody is logged in.
#[server]
pub async fn get_order_history() -> Result<Option<HistoryView>, AppError> {
    let cx = crate::context::ctx().await?;
    Ok(shop::order::order_history(&cx).await?)
}

#[component]
pub fn OrderHistoryPage() -> impl IntoView {
    let history = Resource::new_blocking(|| (), |_| get_order_history());
    let lang = use_lang().code();
    view! {
        <Suspense fallback=move || view! { <p class="loading">{t!("order.loading", locale = lang).to_string()}</p> }>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(Some(h)) => view! { <History history=h/> }.into_any(),
                    Ok(None) => to_login("/account/orders").into_any(),
                    Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn History(history: HistoryView) -> impl IntoView {
    let lang = use_lang().code();
    let tr = move |k: &str| t!(k, locale = lang).to_string();
    let HistoryView {
        shop,
        orders,
        truncated,
    } = history;
    let count = orders.len();
    view! {
        <Title text=t!("page.title", locale = lang, page = tr("order.history_title"), shop = shop.name.clone()).to_string()/>
        <Layout shop=shop>
            <h1>{tr("order.history_title")}</h1>
            {if orders.is_empty() {
                view! { <p data-testid="no-orders">{tr("order.history_empty")}</p> }.into_any()
            } else {
                view! {
                    <p>{tr("order.history_intro")}</p>
                    <div class="table-scroll">
                        <table class="order-history" data-testid="order-history">
                            <caption class="visually-hidden">{tr("order.history_caption")}</caption>
                            <thead>
                                <tr>
                                    <th scope="col">{tr("order.col_order")}</th>
                                    <th scope="col">{tr("order.col_date")}</th>
                                    <th scope="col">{tr("order.col_items")}</th>
                                    <th scope="col">{tr("order.col_state")}</th>
                                    <th scope="col" class="amount">{tr("order.col_total")}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {orders.into_iter().map(|o| view! {
                                    <tr data-testid="history-order" data-order=o.order_id.to_string()>
                                        <th scope="row">
                                            <a href=format!("/orders/{}", o.order_id)>
                                                {t!("order.open", locale = lang, number = o.order_id).to_string()}
                                            </a>
                                        </th>
                                        <td><time datetime=o.date_iso>{o.date}</time></td>
                                        <td>
                                            <ul class="history-items">
                                                {o.items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}
                                            </ul>
                                        </td>
                                        <td class=format!("file-state file-{}", o.state) data-testid="history-state">{o.state_text}</td>
                                        <td class="amount">{o.total}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    {truncated.then(|| view! {
                        <p class="notice">{t!("order.history_truncated", locale = lang, count = count).to_string()}</p>
                    })}
                }.into_any()
            }}
            <p><a href="/account">{tr("account.title")}</a></p>
        </Layout>
    }
}
