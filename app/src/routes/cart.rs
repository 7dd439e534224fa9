//! The cart: the buyer's held order with a visible timer, removal, and the way to checkout.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::model::CartView;
use crate::routes::layout::{Layout, Problem};

#[server]
pub async fn get_cart() -> Result<CartView, ServerFnError> {
    let tenant = crate::ssr::current_tenant().await?;
    let session = crate::ssr::session().await?;
    crate::purchase::cart_view(&tenant, &session, "en")
        .await
        .map_err(ServerFnError::new)
}

/// Releases the seats of one cart line (comma-separated movement ids).
#[server]
pub async fn remove_from_cart(movement_ids: String) -> Result<(), ServerFnError> {
    let ids: Vec<i64> = movement_ids
        .split(',')
        .map(|s| s.trim().parse::<i64>())
        .collect::<Result<_, _>>()
        .map_err(|_| ServerFnError::new("Invalid cart line."))?;
    let tenant = crate::ssr::current_tenant().await?;
    let session = crate::ssr::session().await?;
    crate::purchase::remove_from_cart(&tenant, &session, ids)
        .await
        .map_err(ServerFnError::new)
}

#[component]
pub fn CartPage() -> impl IntoView {
    let remove = ServerAction::<RemoveFromCart>::new();
    let cart = Resource::new_blocking(move || remove.version().get(), |_| get_cart());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading your cart…"</p> }>
            {move || Suspend::new(async move {
                match cart.await {
                    Ok(c) => view! { <Cart cart=c remove=remove/> }.into_any(),
                    Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Cart(cart: CartView, remove: ServerAction<RemoveFromCart>) -> impl IntoView {
    let CartView {
        shop,
        lines,
        fees,
        total,
        expires_at_ms,
        expired,
        paying,
        ..
    } = cart;
    let empty = lines.is_empty();
    view! {
        <Title text=format!("Your cart – {}", shop.name)/>
        <Layout shop=shop>
            <h1>"Your cart"</h1>
            {expired.then(|| view! {
                <div class="notice" role="status" data-testid="cart-expired">
                    <p>"Your previous cart expired and its seats were released. You can choose your tickets again."</p>
                </div>
            })}
            {if empty {
                view! { <p data-testid="cart-empty">"Your cart is empty. " <a href="/">"See the programme"</a></p> }.into_any()
            } else {
                view! {
                    {expires_at_ms.map(|ms| view! { <HoldTimer expires_at_ms=ms paying=paying/> })}
                    <table class="cart">
                        <caption class="visually-hidden">"Tickets in your cart"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Item"</th>
                                <th scope="col">"Tariff"</th>
                                <th scope="col">"Quantity"</th>
                                <th scope="col">"Price"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            {lines.into_iter().map(|l| {
                                let ids = l.movement_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
                                let label = format!("Remove {} ({})", l.product, l.tariff);
                                view! {
                                    <tr data-testid="cart-line">
                                        <td>
                                            <strong>{l.product.clone()}</strong>
                                            {l.when.clone().map(|w| view! { <br/><span>{w}</span> })}
                                            {l.seat_category.clone().map(|c| view! { <br/><span>{c}</span> })}
                                            <ul class="seats">{l.seats.iter().map(|s| view! { <li>{s.clone()}</li> }).collect_view()}</ul>
                                        </td>
                                        <td>{l.tariff.clone()}</td>
                                        <td>{l.quantity}" × "{l.unit_price.clone()}</td>
                                        <td>{l.total.clone()}</td>
                                        <td>
                                            <ActionForm action=remove>
                                                <input type="hidden" name="movement_ids" value=ids/>
                                                <button type="submit" class="secondary" aria-label=label.clone()>"Remove"</button>
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
                            <tr class="total"><th scope="row" colspan="3">"Total"</th><td colspan="2" data-testid="cart-total">{total}</td></tr>
                        </tfoot>
                    </table>
                    <p><a class="button" href="/checkout" data-testid="to-checkout">"Checkout"</a></p>
                }.into_any()
            }}
        </Layout>
    }
}

/// How long the seats stay held. Counts down in the browser; the server-rendered text is the
/// same minute count so the page makes sense before hydration and without JavaScript.
#[component]
fn HoldTimer(expires_at_ms: i64, paying: bool) -> impl IntoView {
    let (now_ms, set_now_ms) = signal(None::<i64>);
    Effect::new(move |_| {
        set_now_ms.set(Some(js_now()));
        let handle = set_interval_with_handle(
            move || set_now_ms.set(Some(js_now())),
            std::time::Duration::from_secs(1),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });
    let remaining = move || {
        now_ms
            .get()
            .map(|now| ((expires_at_ms - now) / 1000).max(0))
    };
    let text = move || match remaining() {
        _ if paying => "Your payment is in progress; your seats stay held.".to_string(),
        None => "Your seats are held for a limited time.".to_string(),
        Some(0) => "Your cart has expired. The seats were released.".to_string(),
        Some(s) => format!("Your seats are held for {}:{:02} more.", s / 60, s % 60),
    };
    let warn = move || remaining().is_some_and(|s| s < 120) && !paying;
    view! {
        <p class="timer" class:warning=warn data-testid="hold-timer">{text}</p>
        // announced once when it gets short, not every second
        <p class="visually-hidden" aria-live="polite">
            {move || warn().then_some("Less than two minutes left to check out.")}
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
