//! The cart: the buyer's held order with a visible timer, removal, and the way to checkout.

use leptos::prelude::*;

use crate::error::AppError;
use leptos_meta::Title;

use rust_i18n::t;

use crate::i18n::use_lang;
use crate::routes::layout::{Layout, Problem};
use shop::model::CartView;

#[server]
pub async fn get_cart() -> Result<CartView, AppError> {
    let cx = crate::context::ctx().await?;
    Ok(shop::cart::cart_view(&cx).await?)
}

/// A cart line's movements, as its forms send them (comma-separated ids).
#[cfg(feature = "ssr")]
fn line_movements(movement_ids: &str) -> Result<Vec<i64>, AppError> {
    movement_ids
        .split(',')
        .map(|s| s.trim().parse::<i64>())
        .collect::<Result<_, _>>()
        .map_err(|_| shop::Error::LineGone.into())
}

/// Releases the seats of one cart line (comma-separated movement ids).
#[server]
pub async fn remove_from_cart(movement_ids: String) -> Result<(), AppError> {
    let ids = line_movements(&movement_ids)?;
    let cx = crate::context::ctx().await?;
    Ok(shop::cart::remove_from_cart(&cx, ids).await?)
}

/// Keeps fewer units of one cart line (its movement ids, comma-separated), releasing the rest.
#[server]
pub async fn change_quantity(movement_ids: String, units: u32) -> Result<(), AppError> {
    let ids = line_movements(&movement_ids)?;
    let cx = crate::context::ctx().await?;
    Ok(shop::cart::reduce_line(&cx, ids, units).await?)
}

/// Holds the expired cart's tickets again where they are still free, then shows the cart.
#[server]
pub async fn reopen_cart() -> Result<(), AppError> {
    let cx = crate::context::ctx().await?;
    shop::cart::reopen_expired(&cx).await?;
    leptos_axum::redirect("/cart");
    Ok(())
}

#[component]
pub fn CartPage() -> impl IntoView {
    let remove = ServerAction::<RemoveFromCart>::new();
    let change = ServerAction::<ChangeQuantity>::new();
    let reopen = ServerAction::<ReopenCart>::new();
    let cart = Resource::new_blocking(
        move || {
            (
                remove.version().get(),
                change.version().get(),
                reopen.version().get(),
            )
        },
        |_| get_cart(),
    );
    let lang = use_lang().code();
    view! {
        <Suspense fallback=move || view! { <p class="loading">{t!("cart.loading", locale = lang).to_string()}</p> }>
            {move || Suspend::new(async move {
                match cart.await {
                    Ok(c) => view! { <Cart cart=c remove=remove change=change reopen=reopen/> }.into_any(),
                    Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Cart(
    cart: CartView,
    remove: ServerAction<RemoveFromCart>,
    change: ServerAction<ChangeQuantity>,
    reopen: ServerAction<ReopenCart>,
) -> impl IntoView {
    let CartView {
        shop,
        lines,
        fees,
        total,
        hold_left_ms,
        expired,
        paying,
        can_reopen,
        ..
    } = cart;
    let empty = lines.is_empty();
    let lang = use_lang().code();
    let tr = move |key: &str| t!(key, locale = lang).to_string();
    view! {
        <Title text=t!("page.title", locale = lang, page = tr("cart.title"), shop = shop.name.clone()).to_string()/>
        <Layout shop=shop>
            <h1>{tr("cart.title")}</h1>
            {expired.then(|| view! {
                <div class="notice" role="status" data-testid="cart-expired">
                    <p>{tr("cart.expired")}</p>
                    {can_reopen.then(|| view! {
                        <ActionForm action=reopen>
                            <button type="submit" data-testid="reopen-cart">{tr("cart.reopen")}</button>
                        </ActionForm>
                    })}
                    {move || reopen.value().get().and_then(|r| r.err()).map(|e| view! {
                        <p class="problem" role="alert" data-testid="reopen-refused">
                            {e.message}
                        </p>
                    })}
                </div>
            })}
            {if empty {
                view! { <p data-testid="cart-empty">{tr("cart.empty")}" " <a href="/">{tr("cart.see_programme")}</a></p> }.into_any()
            } else {
                view! {
                    {hold_left_ms.map(|ms| view! { <HoldTimer left_ms=ms paying=paying/> })}
                    <table class="cart">
                        <caption class="visually-hidden">{tr("cart.caption")}</caption>
                        <thead>
                            <tr>
                                <th scope="col">{tr("cart.item")}</th>
                                <th scope="col">{tr("perf.tariff")}</th>
                                <th scope="col">{tr("cart.quantity")}</th>
                                <th scope="col">{tr("perf.price")}</th>
                                <th scope="col"><span class="visually-hidden">{tr("cart.actions")}</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            {lines.into_iter().map(|l| {
                                let ids = l.movement_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
                                let label = t!("cart.remove_label", locale = lang, product = l.product.clone(), tariff = l.tariff.clone()).to_string();
                                let line_ids = ids.clone();
                                view! {
                                    <tr data-testid="cart-line">
                                        <td>
                                            <strong>{l.product.clone()}</strong>
                                            {l.when.clone().map(|w| view! { <br/><span data-testid="cart-when">{w}</span> })}
                                            {l.seat_category.clone().map(|c| view! { <br/><span>{c}</span> })}
                                            <ul class="seats">{l.seats.iter().map(|s| view! { <li>{s.clone()}</li> }).collect_view()}</ul>
                                            {(!l.details.is_empty()).then(|| view! {
                                                <ul class="line-details">{l.details.iter().map(|d| view! { <li>{d.clone()}</li> }).collect_view()}</ul>
                                            })}
                                        </td>
                                        <td>{l.tariff.clone()}</td>
                                        <td>
                                            {l.quantity}" × "{l.unit_price.clone()}
                                            {(l.quantity > 1).then(move || {
                                                let select_id = format!("units-{}", l.movement_ids.first().copied().unwrap_or_default());
                                                let change_label = t!("cart.change_label", locale = lang, product = l.product.clone(), tariff = l.tariff.clone()).to_string();
                                                view! {
                                                    <ActionForm action=change attr:class="change-quantity">
                                                        <input type="hidden" name="movement_ids" value=line_ids/>
                                                        <label for=select_id.clone() class="visually-hidden">{change_label.clone()}</label>
                                                        <select id=select_id name="units" data-testid="line-units">
                                                            {(1..=l.quantity).rev().map(|n| view! {
                                                                <option value=n.to_string() selected=n == l.quantity>{n}</option>
                                                            }).collect_view()}
                                                        </select>
                                                        <button type="submit" class="secondary" data-testid="change-quantity">{tr("cart.update")}</button>
                                                    </ActionForm>
                                                }
                                            })}
                                        </td>
                                        <td>{l.total.clone()}</td>
                                        <td>
                                            <ActionForm action=remove>
                                                <input type="hidden" name="movement_ids" value=ids/>
                                                <button type="submit" class="secondary" aria-label=label.clone()>{tr("cart.remove")}</button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                        <tfoot>
                            {fees.into_iter().map(|(name, amount)| view! {
                                <tr><th scope="row" colspan="3">{name}</th><td colspan="2">{amount}</td></tr>
                            }).collect_view()}
                            <tr class="total"><th scope="row" colspan="3">{tr("cart.total")}</th><td colspan="2" data-testid="cart-total">{total}</td></tr>
                        </tfoot>
                    </table>
                    <p><a class="button" href="/checkout" data-testid="to-checkout">{tr("cart.checkout")}</a></p>
                }.into_any()
            }}
        </Layout>
    }
}

/// How long the seats stay held. Counts down in the browser from the time left when the server
/// answered (the browser's clock may be wrong or in another zone: only its elapsed time is
/// used); the server-rendered text is the same minute count so the page makes sense before
/// hydration and without JavaScript.
#[component]
fn HoldTimer(left_ms: i64, paying: bool) -> impl IntoView {
    let lang = use_lang().code();
    let tr = move |key: &str| t!(key, locale = lang).to_string();
    // milliseconds elapsed since the timer started in this browser
    let (elapsed_ms, set_elapsed_ms) = signal(None::<i64>);
    Effect::new(move |_| {
        let start = js_now();
        set_elapsed_ms.set(Some(0));
        let handle = set_interval_with_handle(
            move || set_elapsed_ms.set(Some((js_now() - start).max(0))),
            std::time::Duration::from_secs(1),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });
    let remaining = move || {
        elapsed_ms
            .get()
            .map(|elapsed| ((left_ms - elapsed) / 1000).max(0))
    };
    let text = move || match remaining() {
        _ if paying => tr("timer.paying"),
        None => tr("timer.limited"),
        Some(0) => tr("timer.expired"),
        Some(s) => t!(
            "timer.held",
            locale = lang,
            time = format!("{}:{:02}", s / 60, s % 60)
        )
        .to_string(),
    };
    let warn = move || remaining().is_some_and(|s| s < 120) && !paying;
    view! {
        <p class="timer" class:warning=warn data-testid="hold-timer">{text}</p>
        // announced once when it gets short, not every second
        <p class="visually-hidden" aria-live="polite">
            {move || warn().then(|| tr("timer.warning"))}
        </p>
    }
}

fn js_now() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0
    }
}
