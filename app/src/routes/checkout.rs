//! Checkout: guest details, then the embedded S-PAY widget. Card data goes to S-PAY only.

use leptos::prelude::*;

use crate::error::AppError;
use leptos_meta::{Meta, Title};
use rust_i18n::t;

use crate::i18n::use_lang;

use crate::routes::account::{AddressFieldset, Field};
use crate::routes::layout::{Layout, Problem};
use shop::model::{AddressFields, CheckoutView, HolderInput, ShopInfo};

/// The checkout page's data: the cart, the delivery modes S-360 offers for this order, and the
/// tickets that need a holder's name.
#[server]
pub async fn get_checkout() -> Result<CheckoutView, AppError> {
    let cx = crate::context::ctx().await?;
    Ok(shop::checkout::checkout_view(&cx).await?)
}

/// Starts the payment: as the logged-in buyer, or as a guest whose details are checked here and
/// who becomes an S-360 contact; the delivery and the holders' names are checked too, then
/// written to the order. Every field in error is reported at once, in the buyer's language: as
/// data for the page's script (not a failed request), or, for a plain form post without
/// JavaScript, as the error Leptos carries back in the URL.
#[server]
pub async fn start_payment(
    first_name: String,
    last_name: String,
    email: String,
    shipment_mode: Option<i64>,
    address: Option<AddressFields>,
    holders: Option<Vec<HolderInput>>,
) -> Result<Vec<(String, String)>, AppError> {
    use shop::checkout::CheckoutForm;
    use shop::payment::Buyer;
    let cx = crate::context::ctx().await?;
    let user = cx.session.user().await;
    let form = CheckoutForm {
        first_name,
        last_name,
        email,
        shipment_mode,
        address,
        holders,
    };
    let checked = shop::checkout::check_checkout(&cx, &form, user.is_none()).await;
    let (guest, delivery) = match checked {
        Ok(checked) => checked,
        // without JavaScript the fields come back with the error Leptos carries in the URL
        Err(shop::Error::Invalid(bad)) if !crate::context::is_plain_form_post() => return Ok(bad.0),
        Err(e) => return Err(e.into()),
    };
    let buyer = match (user, guest) {
        (Some(u), _) => Buyer::Contact(u.contact_number),
        (None, Some(g)) => Buyer::Guest(g),
        (None, None) => return Err(AppError::internal("no buyer")),
    };
    let origin = crate::context::public_origin(&cx)?;
    shop::payment::start_payment(&cx, buyer, delivery, origin).await?;
    leptos_axum::redirect("/pay");
    Ok(vec![])
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
pub async fn get_payment() -> Result<PaymentPage, AppError> {
    use shop::payment::{PaymentStatus, HURRY_SECS};
    let cx = crate::context::ctx().await?;
    let lang = cx.locale();
    let origin = crate::context::public_origin(&cx)?;
    let snap = shop::describe::snapshot(&cx.tenant)?;
    let status = shop::payment::payment_status(&cx, origin).await?;
    let mut page = PaymentPage {
        shop: cx.shop_info(&snap),
        transaction_id: None,
        widget_origin: cx.tenant.catalog.client().config().base_url.clone(),
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
                retry.map(|r| shop::payment::retry_message(r, held_until.as_deref(), lang));
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
    let checkout = Resource::new_blocking(|| (), |_| get_checkout());
    let lang = use_lang().code();
    view! {
        <Suspense fallback=move || view! { <p class="loading">{t!("checkout.loading", locale = lang).to_string()}</p> }>
            {move || Suspend::new(async move {
                match checkout.await {
                    Ok(c) => view! { <Checkout checkout=c/> }.into_any(),
                    Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Checkout(checkout: CheckoutView) -> impl IntoView {
    let CheckoutView {
        cart,
        modes,
        address,
        holders,
    } = checkout;
    let lang = use_lang().code();
    let tr = move |k: &str| t!(k, locale = lang).to_string();
    let user = Resource::new_blocking(|| (), |_| crate::routes::layout::get_user());
    let start = ServerAction::<StartPayment>::new();
    let errors: Signal<Vec<(String, String)>> = Signal::derive(move || match start.value().get() {
        Some(Ok(refused)) => refused,
        Some(Err(e)) => e.fields,
        None => vec![],
    });
    let other_error = move || {
        start
            .value()
            .get()
            .and_then(|r| r.err())
            .filter(|e| e.fields.is_empty())
            .map(|e| e.message)
    };
    let err = move |f: String| {
        Signal::derive(move || {
            errors.with(|es| es.iter().find(|(k, _)| *k == f).map(|(_, m)| m.clone()))
        })
    };
    let empty = cart.lines.is_empty();
    let first_mode = modes.first().map(|m| m.id);
    view! {
        <Title text=t!("page.title", locale = lang, page = tr("checkout.title"), shop = cart.shop.name.clone()).to_string()/>
        <Layout shop=cart.shop.clone()>
            <h1>{tr("checkout.title")}</h1>
            {if empty {
                view! { <p>{tr("checkout.empty")}" " <a href="/">{tr("checkout.see_programme")}</a></p> }.into_any()
            } else {
                view! {
                    <p>{tr("checkout.total")}" " <strong data-testid="checkout-total">{cart.total.clone()}</strong></p>
                    {move || {
                        let es = errors.get();
                        (!es.is_empty()).then(|| view! {
                            <div class="problem" role="alert" data-testid="checkout-errors">
                                <p>{tr("checkout.fix")}</p>
                                <ul>{es.into_iter().map(|(_, m)| view! { <li>{m}</li> }).collect_view()}</ul>
                            </div>
                        })
                    }}
                    {move || other_error().map(|m| view! { <Problem message=m/> })}
                    <ActionForm action=start attr:class="guest-form checkout-form" attr:novalidate=true>
                        <Suspense>
                            {move || Suspend::new(async move {
                                match user.await.ok().flatten() {
                                    Some(u) => view! {
                                        <p data-testid="paying-as">{tr("checkout.paying_as")}" " <strong>{u.name}</strong></p>
                                        <input type="hidden" name="first_name" value=""/>
                                        <input type="hidden" name="last_name" value=""/>
                                        <input type="hidden" name="email" value=""/>
                                    }.into_any(),
                                    None => view! {
                                        <fieldset>
                                            <legend>{tr("checkout.details")}</legend>
                                            <p>
                                                {tr("checkout.details_note")}" "
                                                <a href="/login?return=/checkout" rel="external">{tr("checkout.log_in")}</a>
                                            </p>
                                            <Field id="first_name" name="first_name" label=tr("account.first_name") value=String::new() autocomplete="given-name" required=true error=err("first_name".into())/>
                                            <Field id="last_name" name="last_name" label=tr("account.last_name") value=String::new() autocomplete="family-name" required=true error=err("last_name".into())/>
                                            <Field id="email" name="email" kind="email" label=tr("account.email") value=String::new() autocomplete="email" required=true error=err("email".into())/>
                                        </fieldset>
                                    }.into_any(),
                                }
                            })}
                        </Suspense>
                        {(!modes.is_empty()).then(|| {
                            let mode_error = err("shipment_mode".into());
                            let any_address = modes.iter().any(|m| m.address_required);
                            view! {
                                <fieldset class="delivery" data-testid="delivery"
                                    aria-describedby=move || mode_error.get().map(|_| "mode-error")>
                                    <legend>{tr("checkout.delivery")}</legend>
                                    {move || mode_error.get().map(|e| view! { <p class="field-error problem" id="mode-error">{e}</p> })}
                                    {modes.clone().into_iter().map(|m| {
                                        let id = format!("mode-{}", m.id);
                                        let hint_id = format!("mode-{}-hint", m.id);
                                        let checked = Some(m.id) == first_mode;
                                        let mut hint = m.description.clone();
                                        if m.address_required {
                                            hint = format!("{hint} ({})", tr("checkout.needs_address"));
                                        }
                                        view! {
                                            <div class="mode">
                                                <input type="radio" name="shipment_mode" id=id.clone() value=m.id.to_string()
                                                    checked=checked aria-describedby=hint_id.clone()/>
                                                <label for=id>
                                                    <strong>{m.name}</strong>", "<span class="fee">{m.fee}</span>
                                                </label>
                                                <p class="hint" id=hint_id>{hint}</p>
                                            </div>
                                        }
                                    }).collect_view()}
                                </fieldset>
                                {any_address.then(|| view! {
                                    <AddressFieldset prefix="checkout" legend=tr("checkout.address") value=address.clone() errors=errors/>
                                })}
                            }
                        })}
                        {(!holders.is_empty()).then(|| view! {
                            <fieldset class="holders" data-testid="holders">
                                <legend>{tr("checkout.holders")}</legend>
                                <p>{tr("checkout.holders_note")}</p>
                                {holders.into_iter().enumerate().map(|(i, h)| view! {
                                    <fieldset class="holder">
                                        <legend>{h.label.clone()}</legend>
                                        <input type="hidden" name=format!("holders[{i}][movement_id]") value=h.movement_id.to_string()/>
                                        <Field
                                            id=format!("holder-{i}-first")
                                            name=format!("holders[{i}][first_name]")
                                            label=tr("account.first_name")
                                            value=h.first_name.clone()
                                            required=true
                                            error=err(format!("holders.{i}.first_name"))
                                        />
                                        <Field
                                            id=format!("holder-{i}-last")
                                            name=format!("holders[{i}][last_name]")
                                            label=tr("account.last_name")
                                            value=h.last_name.clone()
                                            required=true
                                            error=err(format!("holders.{i}.last_name"))
                                        />
                                    </fieldset>
                                }).collect_view()}
                            </fieldset>
                        })}
                        <PayButton start=start/>
                    </ActionForm>
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
                t!("checkout.continue", locale = lang).into_owned()
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
