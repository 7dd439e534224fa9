//! Checkout: guest details, then the embedded S-PAY widget. Card data goes to S-PAY only.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::model::{CartView, ShopInfo};
use crate::routes::cart::get_cart;
use crate::routes::layout::{Layout, Problem};

/// Starts the payment: as the logged-in buyer, or as a guest whose details are validated
/// here and who becomes an S-360 contact.
#[server]
pub async fn start_payment(
    first_name: String,
    last_name: String,
    email: String,
) -> Result<(), ServerFnError> {
    let tenant = crate::ssr::current_tenant().await?;
    let session = crate::ssr::session().await?;
    let buyer = match crate::purchase::session_user(&tenant, &session).await {
        Some(user) => crate::purchase::Buyer::Contact(user.contact_number),
        None => crate::purchase::Buyer::Guest(
            crate::purchase::Guest::parse(&first_name, &last_name, &email)
                .map_err(ServerFnError::new)?,
        ),
    };
    let origin = crate::ssr::request_origin().await?;
    crate::purchase::start_payment(&tenant, &session, buyer, &origin)
        .await
        .map_err(ServerFnError::new)?;
    leptos_axum::redirect("/pay");
    Ok(())
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PaymentPage {
    pub shop: ShopInfo,
    pub transaction_id: Option<String>,
    pub widget_origin: String,
    pub total: String,
}

#[server]
pub async fn get_payment() -> Result<PaymentPage, ServerFnError> {
    let tenant = crate::ssr::current_tenant().await?;
    let session = crate::ssr::session().await?;
    let cart = crate::purchase::cart_view(&tenant, &session, "en")
        .await
        .map_err(ServerFnError::new)?;
    let tx = session.get::<String>("paying_tx").await.ok().flatten();
    Ok(PaymentPage {
        shop: cart.shop,
        transaction_id: tx,
        widget_origin: tenant.catalog.client().config().base_url.clone(),
        total: cart.total,
    })
}

#[component]
pub fn CheckoutPage() -> impl IntoView {
    let cart = Resource::new_blocking(|| (), |_| get_cart());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match cart.await {
                    Ok(c) => view! { <Checkout cart=c/> }.into_any(),
                    Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Checkout(cart: CartView) -> impl IntoView {
    let user = Resource::new_blocking(|| (), |_| crate::routes::layout::get_user());
    let start = ServerAction::<StartPayment>::new();
    let error = move || {
        start.value().get().and_then(|r| r.err()).map(|e| {
            let msg = e
                .to_string()
                .trim_start_matches("error running server function: ")
                .to_string();
            view! { <Problem message=msg/> }
        })
    };
    let empty = cart.lines.is_empty();
    view! {
        <Title text=format!("Checkout – {}", cart.shop.name)/>
        <Layout shop=cart.shop.clone()>
            <h1>"Checkout"</h1>
            {if empty {
                view! { <p>"Your cart is empty. " <a href="/">"See the programme"</a></p> }.into_any()
            } else {
                view! {
                    <p>"Total to pay: " <strong data-testid="checkout-total">{cart.total.clone()}</strong></p>
                    {error}
                    <Suspense>
                        {move || Suspend::new(async move {
                            match user.await.ok().flatten() {
                                Some(u) => view! {
                                    <p data-testid="paying-as">"Paying as " <strong>{u.name}</strong></p>
                                    <ActionForm action=start>
                                        <input type="hidden" name="first_name" value=""/>
                                        <input type="hidden" name="last_name" value=""/>
                                        <input type="hidden" name="email" value=""/>
                                        <button type="submit" data-testid="to-payment">"Continue to payment"</button>
                                    </ActionForm>
                                }.into_any(),
                                None => view! {
                                    <h2>"Your details"</h2>
                                    <p>
                                        "Your tickets and receipt are sent to this address. Have an account? "
                                        <a href="/login?return=/checkout" rel="external">"Log in"</a>
                                    </p>
                                    <ActionForm action=start attr:class="guest-form">
                                        <label for="first_name">"First name"</label>
                                        <input id="first_name" name="first_name" autocomplete="given-name" required maxlength="50"/>
                                        <label for="last_name">"Last name"</label>
                                        <input id="last_name" name="last_name" autocomplete="family-name" required maxlength="50"/>
                                        <label for="email">"E-mail"</label>
                                        <input id="email" name="email" type="email" autocomplete="email" required/>
                                        <button type="submit" data-testid="to-payment">"Continue to payment"</button>
                                    </ActionForm>
                                }.into_any(),
                            }
                        })}
                    </Suspense>
                }.into_any()
            }}
        </Layout>
    }
}

#[component]
pub fn PayPage() -> impl IntoView {
    let page = Resource::new_blocking(|| (), |_| get_payment());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! { <Pay page=p/> }.into_any(),
                    Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Pay(page: PaymentPage) -> impl IntoView {
    let PaymentPage {
        shop,
        transaction_id,
        widget_origin,
        total,
    } = page;
    view! {
        <Title text=format!("Payment – {}", shop.name)/>
        <Layout shop=shop>
            <h1>"Payment"</h1>
            {match transaction_id {
                None => view! { <p>"There is no payment in progress. " <a href="/cart">"Back to your cart"</a></p> }.into_any(),
                Some(tx) => {
                    let page_url = format!("{widget_origin}/epc/pay/{tx}");
                    view! {
                        <p>"Amount: " <strong>{total}</strong></p>
                        <p>"Your card details are entered on the secure S-PAY form below and never reach this shop."</p>
                        <div class="payment-widget" data-epc-transaction-id=tx.clone()>
                            <a href=page_url>"Open the secure payment page"</a>
                        </div>
                        <script src=format!("{widget_origin}/epc/widget.js")></script>
                    }.into_any()
                }
            }}
        </Layout>
    }
}
