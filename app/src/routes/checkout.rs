//! Checkout: guest details, then the embedded S-PAY widget. Card data goes to S-PAY only.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use rust_i18n::t;

use crate::i18n::use_lang;

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
    /// The S-PAY transaction waiting for a card, when there is one.
    pub transaction_id: Option<String>,
    pub widget_origin: String,
    pub total: String,
    /// `ready` (the widget), `none`, `confirming`, `done`, `expired` or `paid_too_late`.
    pub status: String,
    /// After a refused or cancelled card: why a new card is asked for (in the buyer's language).
    pub notice: Option<String>,
    /// "Your seats are held until 18:42." (in the buyer's language).
    pub hold: Option<String>,
    /// Little time is left on the hold (it cannot be extended).
    pub hurry: bool,
    /// The order page, when the order is paid, being confirmed or paid too late.
    pub order_link: Option<String>,
}

/// The payment page's data. The order is re-read first: a hold that ended or is about to end,
/// a refused or cancelled card (a new payment is started while the seats are still held) and a
/// payment already made are all told here rather than in the card form.
#[server]
pub async fn get_payment() -> Result<PaymentPage, ServerFnError> {
    use crate::purchase::{PaymentStatus, HURRY_SECS};
    let tenant = crate::ssr::current_tenant().await?;
    let session = crate::ssr::session().await?;
    let lang = crate::ssr::request_lang().code();
    let origin = crate::ssr::request_origin().await?;
    let snap = crate::purchase::snapshot(&tenant).map_err(ServerFnError::new)?;
    let status = crate::purchase::payment_status(&tenant, &session, &origin, lang)
        .await
        .map_err(ServerFnError::new)?;
    let mut page = PaymentPage {
        shop: crate::purchase::shop_info(&tenant, &snap, lang),
        transaction_id: None,
        widget_origin: tenant.catalog.client().config().base_url.clone(),
        total: String::new(),
        status: String::new(),
        notice: None,
        hold: None,
        hurry: false,
        order_link: None,
    };
    page.status = match status {
        PaymentStatus::None => "none",
        PaymentStatus::Ready {
            transaction_id,
            total,
            retry,
            hold_left_secs,
            held_until,
        } => {
            page.transaction_id = Some(transaction_id);
            page.total = total;
            page.notice =
                retry.map(|r| crate::purchase::retry_message(r, held_until.as_deref(), lang));
            page.hurry = hold_left_secs.is_some_and(|s| s < HURRY_SECS);
            page.hold = held_until.map(|time| {
                let key = if page.hurry {
                    "payment.hurry"
                } else {
                    "payment.held_until"
                };
                t!(key, locale = lang, time = time).into_owned()
            });
            "ready"
        }
        PaymentStatus::Confirming { order_link } => {
            page.order_link = Some(order_link);
            "confirming"
        }
        PaymentStatus::Done { order_link } => {
            page.order_link = Some(order_link);
            "done"
        }
        PaymentStatus::Expired => "expired",
        PaymentStatus::PaidTooLate { order_link } => {
            page.order_link = Some(order_link);
            "paid_too_late"
        }
    }
    .into();
    Ok(page)
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
                                        <PayButton start=start/>
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
                                        <PayButton start=start/>
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

/// Starts the payment; disabled while a start is under way, so a double click sends one
/// request (the server also gives a repeated start the same payment).
#[component]
fn PayButton(start: ServerAction<StartPayment>) -> impl IntoView {
    let lang = use_lang().code();
    let pending = move || start.pending().get();
    view! {
        <button type="submit" data-testid="to-payment" prop:disabled=pending aria-busy=move || pending().to_string()>
            {move || if pending() {
                t!("payment.starting", locale = lang).into_owned()
            } else {
                "Continue to payment".to_string()
            }}
        </button>
    }
}

#[component]
fn Pay(page: PaymentPage) -> impl IntoView {
    let PaymentPage {
        shop,
        transaction_id,
        widget_origin,
        total,
        status,
        notice,
        hold,
        hurry,
        order_link,
    } = page;
    let lang = use_lang().code();
    let tr = move |key: &str| t!(key, locale = lang).into_owned();
    let title = if status == "expired" {
        tr("payment.expired_title")
    } else {
        tr("payment.title")
    };
    let shop_name = shop.name.clone();
    view! {
        <Title text=format!("{title} – {}", shop.name)/>
        {(status == "confirming").then(|| view! { <Meta http_equiv="refresh" content="5"/> })}
        <Layout shop=shop>
            <h1>{title.clone()}</h1>
            {match (status.as_str(), transaction_id) {
                ("ready", Some(tx)) => {
                    let page_url = format!("{widget_origin}/epc/pay/{tx}");
                    view! {
                        {notice.map(|n| view! { <p class="notice problem" role="alert" data-testid="payment-notice">{n}</p> })}
                        {hold.map(|h| view! {
                            <p class="timer" class:warning=hurry role=if hurry { "alert" } else { "status" } data-testid="hold-until">{h}</p>
                        })}
                        <p>{tr("payment.amount")}" " <strong data-testid="payment-total">{total}</strong></p>
                        <p>{tr("payment.card_note")}</p>
                        // S-PAY's script fills this element before the page hydrates: it must
                        // have no children of ours, or hydration would find others
                        <div class="payment-widget" data-epc-transaction-id=tx.clone()></div>
                        <p><a href=page_url>{tr("payment.open_page")}</a></p>
                        <script src=format!("{widget_origin}/epc/widget.js")></script>
                    }.into_any()
                }
                ("expired", _) => view! {
                    <p role="status" data-testid="payment-expired">{tr("payment.expired")}</p>
                    <p><a class="button" href="/">{tr("payment.choose_again")}</a></p>
                }.into_any(),
                ("confirming", _) => view! {
                    <p role="status" data-testid="payment-confirming">{tr("payment.confirming")}</p>
                    <p><a href=order_link.unwrap_or_default()>{tr("payment.see_order")}</a></p>
                }.into_any(),
                ("done", _) => view! {
                    <p role="status" data-testid="payment-done">{tr("payment.done")}</p>
                    <p><a class="button" href=order_link.unwrap_or_default()>{tr("payment.see_order")}</a></p>
                }.into_any(),
                ("paid_too_late", _) => view! {
                    <p role="alert" data-testid="payment-too-late">{t!("payment.paid_too_late", locale = lang, shop = shop_name).into_owned()}</p>
                    <p><a href=order_link.unwrap_or_default()>{tr("payment.see_order")}</a></p>
                }.into_any(),
                _ => view! {
                    <p data-testid="payment-none">{tr("payment.none")}" " <a href="/cart">{tr("payment.back_to_cart")}</a></p>
                }.into_any(),
            }}
        </Layout>
    }
}
