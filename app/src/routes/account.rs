//! "My account": the logged-in buyer's profile (name, e-mail, phone, addresses, opt-ins) read
//! from and written to S-360, and the deletion of the account. Plain forms: everything works
//! without JavaScript (errors come back in the URL, see `ServerFnUrlError`).

use leptos::prelude::*;

use crate::error::AppError;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use rust_i18n::t;

use crate::i18n::use_lang;
use crate::routes::layout::{Layout, Problem};
use shop::model::{AccountView, AddressFields, ProfileForm, ShopInfo};

/// The account of the logged-in buyer; `None` when nobody is logged in.
#[server]
pub async fn get_account() -> Result<Option<AccountView>, AppError> {
    let cx = crate::context::ctx().await?;
    Ok(shop::account::account_view(&cx).await?)
}

/// Saves the profile to S-360, then shows the page again with a confirmation. Refused input
/// comes back as the list of (field, message): as the answer to the page's own call (a 200,
/// nothing for the browser to log as a failed request), or, for a plain form post without
/// JavaScript, as the error Leptos carries back in the URL.
#[server]
pub async fn update_profile(profile: ProfileForm) -> Result<Vec<(String, String)>, AppError> {
    use shop::account::{save_profile, validate};
    let cx = crate::context::ctx().await?;
    let lang = cx.lang;
    let Some(mut user) = cx.session.user().await else {
        return Err(AppError::new(
            401,
            t!("account.logged_out", locale = lang.code()).to_string(),
        ));
    };
    let plain_form = crate::context::is_plain_form_post();
    let refused = |bad: shop::error::Invalid| {
        if plain_form {
            Err(AppError::from(shop::Error::Invalid(bad)))
        } else {
            Ok(bad.0)
        }
    };
    let valid = match validate(&profile, lang) {
        Ok(v) => v,
        Err(bad) => return refused(bad),
    };
    match save_profile(
        cx.tenant.catalog.client(),
        &user.contact_number,
        &valid,
        lang,
    )
    .await
    {
        Ok(()) => {}
        Err(shop::Error::Invalid(bad)) => return refused(bad),
        Err(e) => return Err(e.into()),
    }
    user.name = format!("{} {}", valid.first_name, valid.last_name);
    user.email = valid.email.clone();
    let _ = cx.session.set_user(&user).await;
    leptos_axum::redirect("/account?saved=1");
    Ok(vec![])
}

/// The shop's frame for the account pages that need no contact data, and whether a buyer is
/// logged in.
#[server]
pub async fn get_account_shop() -> Result<(ShopInfo, bool), AppError> {
    let cx = crate::context::ctx().await?;
    let snap = shop::describe::snapshot(&cx.tenant)?;
    let logged_in = cx.session.user().await.is_some();
    Ok((cx.shop_info(&snap), logged_in))
}

/// Sends a visitor who is not logged in to the login, and back here after it.
pub(crate) fn to_login(path: &'static str) -> impl IntoView {
    let lang = use_lang().code();
    let href = format!("/login?return={path}");
    #[cfg(feature = "ssr")]
    leptos_axum::redirect(&href);
    view! {
        <main id="main" class="page">
            <p>
                {t!("account.need_login", locale = lang).to_string()}" "
                <a href=href rel="external">{t!("nav.login", locale = lang).to_string()}</a>
            </p>
        </main>
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let save = ServerAction::<UpdateProfile>::new();
    let query = use_query_map();
    let saved = move || query.with(|q| q.get("saved").is_some());
    // fetched again after a save (which redirects to ?saved=1), not after a refused one: the
    // buyer's typed values stay in the form beside the messages
    let account = Resource::new_blocking(saved, |_| get_account());
    let lang = use_lang().code();
    view! {
        <Suspense fallback=move || view! { <p class="loading">{t!("account.loading", locale = lang).to_string()}</p> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(Some(a)) => view! { <Account account=a save=save saved=saved()/> }.into_any(),
                    Ok(None) => to_login("/account").into_any(),
                    Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One labelled input with its error, announced and linked to the field.
#[component]
pub(crate) fn Field(
    #[prop(into)] id: String,
    #[prop(into)] name: String,
    label: String,
    value: String,
    #[prop(optional)] kind: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] hint: Option<String>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
        let (error_id, hint_id, has_hint) = (error_id.clone(), hint_id.clone(), hint.is_some());
        move || {
            let mut ids = vec![];
            if has_hint {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <label for=id.clone()>{label}</label>
        {hint.map(|h| view! { <span class="hint" id=hint_id.clone()>{h}</span> })}
        <input
            id=id
            name=name
            type=kind.unwrap_or("text")
            autocomplete=autocomplete
            required=required
            value=value
            aria-invalid=move || error.get().map(|_| "true")
            aria-describedby=described
        />
        {move || error.get().map(|e| view! { <p class="field-error problem" id=error_id.clone()>{e}</p> })}
    }
}

const COUNTRIES: [&str; 14] = [
    "CH", "LI", "AT", "DE", "FR", "IT", "BE", "NL", "LU", "ES", "PT", "GB", "IE", "US",
];

/// An address: street, second line, postcode, town, country.
#[component]
pub(crate) fn AddressFieldset(
    prefix: &'static str,
    legend: String,
    value: AddressFields,
    errors: Signal<Vec<(String, String)>>,
    #[prop(optional)] same: Option<(&'static str, String, bool)>,
) -> impl IntoView {
    let lang = use_lang().code();
    let tr = move |k: &str| t!(k, locale = lang).to_string();
    let err = move |f: &'static str| {
        Signal::derive(move || {
            errors.with(|es| {
                es.iter()
                    .find(|(k, _)| *k == format!("{prefix}.{f}"))
                    .map(|(_, m)| m.clone())
            })
        })
    };
    // ids and names are static strings: one set per address kind
    let (ids, names): ([&'static str; 5], [&'static str; 5]) = match prefix {
        "main" => (
            [
                "main-line1",
                "main-line2",
                "main-zip",
                "main-town",
                "main-country",
            ],
            [
                "profile[main][line1]",
                "profile[main][line2]",
                "profile[main][zip_code]",
                "profile[main][town]",
                "profile[main][country_code]",
            ],
        ),
        "shipment" => (
            [
                "ship-line1",
                "ship-line2",
                "ship-zip",
                "ship-town",
                "ship-country",
            ],
            [
                "profile[shipment][line1]",
                "profile[shipment][line2]",
                "profile[shipment][zip_code]",
                "profile[shipment][town]",
                "profile[shipment][country_code]",
            ],
        ),
        "checkout" => (
            ["co-line1", "co-line2", "co-zip", "co-town", "co-country"],
            [
                "address[line1]",
                "address[line2]",
                "address[zip_code]",
                "address[town]",
                "address[country_code]",
            ],
        ),
        _ => (
            [
                "bill-line1",
                "bill-line2",
                "bill-zip",
                "bill-town",
                "bill-country",
            ],
            [
                "profile[billing][line1]",
                "profile[billing][line2]",
                "profile[billing][zip_code]",
                "profile[billing][town]",
                "profile[billing][country_code]",
            ],
        ),
    };
    let country = value.country_code.clone();
    let country_error = err("country_code");
    let country_error_id = format!("{}-error", ids[4]);
    view! {
        <fieldset class="address" data-testid=format!("address-{prefix}")>
            <legend>{legend}</legend>
            {same.map(|(name, label, checked)| {
                let id = format!("{prefix}-same");
                view! {
                    <p>
                        <input type="checkbox" id=id.clone() name=name checked=checked/>
                        " "
                        <label for=id>{label}</label>
                    </p>
                }
            })}
            <Field id=ids[0] name=names[0] label=tr("account.street") value=value.line1.clone() autocomplete="address-line1" error=err("line1")/>
            <Field id=ids[1] name=names[1] label=tr("account.street2") value=value.line2.clone() autocomplete="address-line2" error=err("line2")/>
            <Field id=ids[2] name=names[2] label=tr("account.zip") value=value.zip_code.clone() autocomplete="postal-code" error=err("zip_code")/>
            <Field id=ids[3] name=names[3] label=tr("account.town") value=value.town.clone() autocomplete="address-level2" error=err("town")/>
            <label for=ids[4]>{tr("account.country")}</label>
            <select
                id=ids[4]
                name=names[4]
                autocomplete="country"
                aria-invalid=move || country_error.get().map(|_| "true")
                aria-describedby=move || country_error.get().map(|_| country_error_id.clone())
            >
                <option value="" selected=country.is_empty()>{tr("account.country_none")}</option>
                {COUNTRIES
                    .iter()
                    .map(|c| {
                        let key = format!("account.country_{}", c.to_ascii_lowercase());
                        let name = t!(&key, locale = lang).to_string();
                        view! { <option value=*c selected=country == *c>{name}</option> }
                    })
                    .collect_view()}
                {(!country.is_empty() && !COUNTRIES.contains(&country.as_str())).then(|| {
                    let c = country.clone();
                    view! { <option value=c.clone() selected=true>{c.clone()}</option> }
                })}
            </select>
            {move || country_error.get().map(|e| view! { <p class="field-error problem" id=format!("{}-error", ids[4])>{e}</p> })}
        </fieldset>
    }
}

#[component]
fn Account(account: AccountView, save: ServerAction<UpdateProfile>, saved: bool) -> impl IntoView {
    let lang = use_lang().code();
    let tr = move |k: &str| t!(k, locale = lang).to_string();
    let AccountView {
        shop,
        contact_number,
        profile: p,
        identity_provider,
    } = account;
    let errors: Signal<Vec<(String, String)>> = Signal::derive(move || match save.value().get() {
        Some(Ok(refused)) => refused,
        Some(Err(e)) => e.fields,
        None => vec![],
    });
    let other_error = move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .filter(|e| e.fields.is_empty())
            .map(|e| e.message)
    };
    let err = move |f: &'static str| {
        Signal::derive(move || {
            errors.with(|es| es.iter().find(|(k, _)| k == f).map(|(_, m)| m.clone()))
        })
    };
    let pending = save.pending();
    let provider = match identity_provider {
        Some(host) => t!("account.login_with", locale = lang, provider = host).to_string(),
        None => tr("account.login_s360"),
    };
    view! {
        <Title text=t!("page.title", locale = lang, page = tr("account.title"), shop = shop.name.clone()).to_string()/>
        <Layout shop=shop.clone()>
            <h1>{tr("account.title")}</h1>
            <p>
                {t!("account.customer_number", locale = lang, number = contact_number).to_string()}
                " · "{provider}
            </p>
            <p><a href="/account/orders" data-testid="my-orders">{tr("order.history_title")}</a></p>
            {saved.then(|| view! { <p class="notice" role="status" data-testid="profile-saved">{tr("account.saved")}</p> })}
            {move || {
                let es = errors.get();
                (!es.is_empty()).then(|| view! {
                    <div class="problem" role="alert" data-testid="profile-errors">
                        <p>{tr("account.fix_errors")}</p>
                        <ul>
                            {es.into_iter().map(|(_, m)| view! { <li>{m}</li> }).collect_view()}
                        </ul>
                    </div>
                })
            }}
            {move || other_error().map(|m| view! { <Problem message=m/> })}
            <ActionForm action=save attr:class="guest-form profile-form" attr:novalidate=true>
                <fieldset>
                    <legend>{tr("account.personal")}</legend>
                    <Field id="first_name" name="profile[first_name]" label=tr("account.first_name") value=p.first_name.clone() autocomplete="given-name" required=true error=err("first_name")/>
                    <Field id="last_name" name="profile[last_name]" label=tr("account.last_name") value=p.last_name.clone() autocomplete="family-name" required=true error=err("last_name")/>
                    <Field id="email" name="profile[email]" label=tr("account.email") value=p.email.clone() kind="email" autocomplete="email" required=true hint=tr("account.email_hint") error=err("email")/>
                    <Field id="phone" name="profile[phone]" label=tr("account.phone") value=p.phone.clone() kind="tel" autocomplete="tel" hint=tr("account.phone_hint") error=err("phone")/>
                </fieldset>
                <AddressFieldset prefix="main" legend=tr("account.main_address") value=p.main.clone() errors=errors/>
                <AddressFieldset
                    prefix="shipment"
                    legend=tr("account.shipment_address")
                    value=p.shipment.clone()
                    errors=errors
                    same=("profile[shipment_same]", tr("account.same_as_main"), p.shipment_same.is_some())
                />
                <AddressFieldset
                    prefix="billing"
                    legend=tr("account.billing_address")
                    value=p.billing.clone()
                    errors=errors
                    same=("profile[billing_same]", tr("account.same_as_main"), p.billing_same.is_some())
                />
                <fieldset>
                    <legend>{tr("account.opt_ins")}</legend>
                    <p>
                        <input type="checkbox" id="newsletter" name="profile[newsletter]" checked=p.newsletter.is_some()/>
                        " "<label for="newsletter">{tr("account.newsletter")}</label>
                    </p>
                    <p>
                        <input type="checkbox" id="partner_offers" name="profile[partner_offers]" checked=p.partner_offers.is_some()/>
                        " "<label for="partner_offers">{tr("account.partner_offers")}</label>
                    </p>
                </fieldset>
                <button type="submit" data-testid="save-profile" disabled=move || pending.get()>{tr("account.save")}</button>
            </ActionForm>
            <section aria-labelledby="delete-title">
                <h2 id="delete-title">{tr("account.delete_title")}</h2>
                <p>{tr("account.delete_intro")}</p>
                <p><a href="/account/delete" data-testid="delete-account">{tr("account.delete_link")}</a></p>
            </section>
        </Layout>
    }
}

/// The confirmation step of the deletion: what happens, then a plain form (`POST
/// /account/erase`, handled by the server with the session's end).
#[component]
pub fn DeleteAccountPage() -> impl IntoView {
    let page = Resource::new_blocking(|| (), |_| get_account_shop());
    let lang = use_lang().code();
    let tr = move |k: &str| t!(k, locale = lang).to_string();
    // `?failed=1`: the server could not delete the account (S-360 unreachable); nothing changed
    let query = leptos_router::hooks::use_query_map();
    let failed = move || query.read().get("failed").is_some();
    view! {
        <Suspense fallback=move || view! { <p class="loading">{tr("account.loading")}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok((shop, true)) => view! {
                        <Title text=t!("page.title", locale = lang, page = tr("account.delete_title"), shop = shop.name.clone()).to_string()/>
                        <Layout shop=shop.clone()>
                            <h1>{tr("account.delete_title")}</h1>
                            {failed().then(|| view! { <p class="problem" role="alert" data-testid="delete-failed">{tr("account.delete_failed")}</p> })}
                            <p>{tr("account.delete_what")}</p>
                            <ul>
                                <li>{tr("account.delete_erased")}</li>
                                <li>{tr("account.delete_orders")}</li>
                                <li>{tr("account.delete_login")}</li>
                                <li>{tr("account.delete_final")}</li>
                            </ul>
                            <form method="post" action="/account/erase">
                                <button type="submit" class="danger" data-testid="confirm-delete">{tr("account.delete_confirm")}</button>
                            </form>
                            <p><a href="/account">{tr("account.delete_keep")}</a></p>
                        </Layout>
                    }.into_any(),
                    Ok((_, false)) => to_login("/account/delete").into_any(),
                    Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// After the deletion: what happened and what happens next.
#[component]
pub fn AccountDeletedPage() -> impl IntoView {
    let page = Resource::new_blocking(|| (), |_| get_account_shop());
    let lang = use_lang().code();
    let tr = move |k: &str| t!(k, locale = lang).to_string();
    view! {
        <Suspense fallback=move || view! { <p class="loading">{tr("account.loading")}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok((shop, _)) => view! {
                        <Title text=t!("page.title", locale = lang, page = tr("account.deleted_title"), shop = shop.name.clone()).to_string()/>
                        <Layout shop=shop.clone()>
                            <h1 data-testid="account-deleted">{tr("account.deleted_title")}</h1>
                            <p>{tr("account.deleted_done")}</p>
                            <p>{tr("account.deleted_orders")}</p>
                            <p>{tr("account.deleted_provider")}</p>
                            <p><a href="/">{tr("account.back_to_shop")}</a></p>
                        </Layout>
                    }.into_any(),
                    Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
