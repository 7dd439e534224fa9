//! The reseller storefront's pages, on its own host: one programme across the institutions,
//! the product pages, one cart, checkout, the card payment in the page, the order with its
//! tickets, the payment provider's webhook, and the back office's statement. Server-rendered
//! HTML (Leptos `view!`), every form posts without JavaScript; the card form needs the
//! provider's script, as every card payment in a page does.

// the handlers' helpers return the early answer (a redirect, an error page) as their error
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use leptos::prelude::*;
use leptos::tachys::view::RenderHtml;
use serde::Deserialize;
use shop::lang::Lang;
use tower_sessions::Session;

use crate::config::Family;
use crate::journal::Payment;
use crate::pay::{self, Buyer, PayError};
use crate::{Institution, Reseller};

type R = Arc<Reseller>;

pub fn router(r: R) -> Router {
    Router::new()
        .route("/", get(programme))
        .route("/i/{inst}/events/{id}", get(event_page))
        .route(
            "/i/{inst}/performances/{product}/{perf}",
            get(performance_page).post(performance_add),
        )
        .route(
            "/i/{inst}/products/{id}",
            get(product_page).post(product_add),
        )
        .route("/cart", get(cart_page))
        .route("/cart/remove", post(cart_remove))
        .route("/checkout", get(checkout_page).post(checkout_post))
        .route("/pay", get(pay_page))
        .route("/pay/cancel", post(pay_cancel))
        .route("/pay/return", get(pay_return))
        .route("/stripe/webhook", post(webhook))
        .route("/stripe/webhook/{code}", post(webhook_with_code))
        .route("/orders/{intent}", get(order_page))
        .route("/orders/{intent}/{inst}/tickets.pdf", get(order_pdf))
        .route("/office", get(office))
        .route("/office/login", post(office_login))
        .route("/office/logout", post(office_logout))
        .route("/office/statement.csv", get(office_csv))
        .fallback(not_found)
        .with_state(r)
}

/// Paths the storefront leaves to the site's static files (styles, scripts, logos).
pub fn is_static(path: &str) -> bool {
    ["/reseller/", "/brands/", "/pkg/", "/favicon"]
        .iter()
        .any(|p| path.starts_with(p))
}

// -------------------------------------------------------------------------------------------
// Words

/// The storefront's own words in its three languages.
fn t3(lang: Lang, en: &str, fr: &str, de: &str) -> String {
    match lang {
        Lang::En => en,
        Lang::Fr => fr,
        Lang::De => de,
    }
    .to_string()
}

fn family_name(f: Family, lang: Lang) -> String {
    match f {
        Family::Event => t3(lang, "Events", "Spectacles", "Veranstaltungen"),
        Family::VisitPass => t3(lang, "Visits", "Visites", "Besuche"),
        Family::Simple => t3(lang, "Passes", "Pass", "Pässe"),
        Family::Complex => t3(lang, "Season tickets", "Abonnements", "Abonnemente"),
    }
}

// -------------------------------------------------------------------------------------------
// The request

struct Req {
    r: R,
    lang: Lang,
    session: Session,
    origin: Option<String>,
    /// The buyer's address (per-client hold limits), where the handler asked for it.
    client: Option<std::net::IpAddr>,
}

#[derive(Deserialize, Default)]
struct LangQ {
    lang: Option<String>,
}

fn lang_key(r: &Reseller) -> String {
    format!("reseller.{}.lang", r.config.code)
}

async fn req(r: R, headers: &HeaderMap, session: Session, asked: Option<&str>) -> Req {
    let key = lang_key(&r);
    let chosen = match asked
        .and_then(Lang::parse)
        .filter(|l| r.languages.contains(l))
    {
        Some(l) => {
            let _ = session.insert(&key, l.code()).await;
            Some(l)
        }
        None => session
            .get::<String>(&key)
            .await
            .ok()
            .flatten()
            .and_then(|c| Lang::parse(&c)),
    };
    let lang = chosen
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|h| h.to_str().ok())
                .and_then(|h| Lang::from_accept_language(h, &r.languages))
        })
        .unwrap_or(r.languages[0]);
    let origin = r.config.public_origin.clone().or_else(|| {
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| format!("http://{h}"))
    });
    Req {
        r,
        lang,
        session,
        origin,
        client: None,
    }
}

type Client = Option<axum::Extension<shop::context::ClientAddr>>;

fn addr(c: Client) -> Option<std::net::IpAddr> {
    c.map(|axum::Extension(a)| a.0)
}

impl Req {
    fn cx(&self, inst: &Institution) -> shop::Ctx {
        shop::Ctx::new(inst.tenant.clone(), self.session.clone(), self.lang)
            .with_origin(self.origin.clone())
            .with_client(self.client)
    }

    fn inst(&self, code: &str) -> Result<&Institution, Response> {
        self.r.institution(code).ok_or_else(|| {
            page_error(
                self,
                StatusCode::NOT_FOUND,
                t3(
                    self.lang,
                    "We do not sell for this institution.",
                    "Nous ne vendons pas pour cette institution.",
                    "Für diese Institution verkaufen wir nicht.",
                ),
            )
        })
    }
}

// -------------------------------------------------------------------------------------------
// The page frame

fn document(
    q: &Req,
    title: String,
    main: impl IntoView + 'static,
    head_extra: Option<String>,
) -> Response {
    let r = &q.r;
    let lang = q.lang;
    let b = &r.config.branding;
    let style = format!(
        "--brand:{};--on-brand:{};--accent:{}",
        b.brand_color, b.on_brand_color, b.accent_color
    );
    let name = r.config.name.clone();
    let logo = b.logo.clone();
    let footer = b
        .footer_links
        .iter()
        .map(
            |l| view! { <li><a href=l.href.clone()>{l.label_in(lang.code()).to_string()}</a></li> },
        )
        .collect_view();
    let langs = r
        .languages
        .iter()
        .map(|l| {
            let current = (*l == lang).then_some("true");
            view! { <li><a href=format!("?lang={}", l.code()) hreflang=l.code() lang=l.code() aria-current=current>{l.native_name()}</a></li> }
        })
        .collect_view();
    let html = view! {
        <html lang=lang.code()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>{format!("{title} – {name}")}</title>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" href="/reseller/reseller.css"/>
            </head>
            <body class="rs" style=style>
                <a class="rs-skip" href="#main">{t3(lang, "Skip to content", "Aller au contenu", "Zum Inhalt")}</a>
                <header class="rs-top">
                    <a class="rs-brand" href="/">
                        {logo.map(|src| view! { <img src=src alt="" width="40" height="40"/> })}
                        <span>{name.clone()}</span>
                    </a>
                    <nav class="rs-nav" aria-label=t3(lang, "Main", "Principal", "Haupt")>
                        <ul>
                            <li><a href="/">{t3(lang, "What's on", "Programme", "Programm")}</a></li>
                            <li><a href="/cart">{t3(lang, "Cart", "Panier", "Warenkorb")}</a></li>
                        </ul>
                    </nav>
                    <nav class="rs-langs" aria-label=t3(lang, "Language", "Langue", "Sprache")><ul>{langs}</ul></nav>
                </header>
                <main id="main" class="rs-main">{main}</main>
                <footer class="rs-foot">
                    <ul>{footer}</ul>
                    <p>{t3(lang, "Tickets sold by ", "Billets vendus par ", "Tickets verkauft von ")}{name}{t3(lang, " on behalf of the institutions named on each ticket.", " pour le compte des institutions nommées sur chaque billet.", " im Auftrag der auf jedem Ticket genannten Institutionen.")}</p>
                </footer>
            </body>
        </html>
    }
    .to_html();
    let html = match head_extra {
        Some(extra) => html.replacen("</head>", &format!("{extra}</head>"), 1),
        None => html,
    };
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        format!("<!DOCTYPE html>{html}"),
    )
        .into_response()
}

fn page_error(q: &Req, status: StatusCode, message: String) -> Response {
    let lang = q.lang;
    let main = view! {
        <h1>{t3(lang, "Sorry", "Désolé", "Entschuldigung")}</h1>
        <p role="alert" class="rs-error">{message}</p>
        <p><a href="/">{t3(lang, "Back to what's on", "Retour au programme", "Zurück zum Programm")}</a></p>
    };
    let mut resp = document(q, t3(lang, "Sorry", "Désolé", "Entschuldigung"), main, None);
    *resp.status_mut() = status;
    resp
}

async fn not_found(State(r): State<R>, headers: HeaderMap, session: Session) -> Response {
    let q = req(r, &headers, session, None).await;
    let msg = t3(
        q.lang,
        "This page does not exist.",
        "Cette page n'existe pas.",
        "Diese Seite gibt es nicht.",
    );
    page_error(&q, StatusCode::NOT_FOUND, msg)
}

fn shop_error(q: &Req, e: &shop::Error) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_GATEWAY);
    if status.is_server_error() {
        tracing::warn!(error = ?e, "reseller page");
    }
    page_error(q, status, e.message(q.lang))
}

/// The family of a product of `inst`'s channel, if the reseller sells it there.
fn sold_family(inst: &Institution, product_id: i64) -> Option<Family> {
    let snap = inst.tenant.catalog.snapshot()?;
    let p = snap.catalog.products().find(|p| p.id.0 == product_id)?;
    Family::of(p).filter(|f| inst.config.sells(*f))
}

fn not_sold(q: &Req) -> Response {
    page_error(
        q,
        StatusCode::NOT_FOUND,
        t3(
            q.lang,
            "This product is not sold here.",
            "Ce produit n'est pas vendu ici.",
            "Dieses Produkt wird hier nicht verkauft.",
        ),
    )
}

// -------------------------------------------------------------------------------------------
// The programme

#[derive(Deserialize, Default)]
struct ProgrammeQ {
    lang: Option<String>,
    institution: Option<String>,
    family: Option<String>,
    from: Option<String>,
}

struct Card {
    inst: String,
    inst_name: String,
    name: String,
    family: Family,
    dates: String,
    price_from: Option<String>,
    availability_text: String,
    href: String,
}

async fn programme(
    State(r): State<R>,
    headers: HeaderMap,
    session: Session,
    Query(pq): Query<ProgrammeQ>,
) -> Response {
    let q = req(r.clone(), &headers, session, pq.lang.as_deref()).await;
    let lang = q.lang;
    let want_inst = pq
        .institution
        .clone()
        .filter(|c| r.institution(c).is_some());
    let want_family = pq.family.as_deref().and_then(Family::parse);
    let from = pq
        .from
        .clone()
        .filter(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok());
    let mut notices = Vec::new();
    if pq.from.as_deref().is_some_and(|d| !d.is_empty()) && from.is_none() {
        notices.push(t3(
            lang,
            "The date was not understood: use the date picker (YYYY-MM-DD).",
            "La date n'a pas été comprise : utilisez le sélecteur (AAAA-MM-JJ).",
            "Das Datum wurde nicht verstanden: Bitte die Auswahl verwenden (JJJJ-MM-TT).",
        ));
    }
    let mut cards = Vec::new();
    let mut inst_names = Vec::new();
    for inst in &r.institutions {
        let cx = q.cx(inst);
        let Some(snap) = inst.tenant.catalog.snapshot() else {
            continue;
        };
        let inst_name = cx.shop_info(&snap).name;
        inst_names.push((inst.config.code.clone(), inst_name.clone()));
        if want_inst.as_ref().is_some_and(|c| *c != inst.config.code) {
            continue;
        }
        let mut page = 1;
        loop {
            let query = shop::model::ProgrammeQuery {
                from: from.clone().unwrap_or_default(),
                page,
                ..Default::default()
            };
            let prog = match shop::programme::programme(&cx, query).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(institution = %inst.config.code, error = ?e, "programme");
                    break;
                }
            };
            for c in prog.products {
                let Some(family) = snap
                    .catalog
                    .products()
                    .find(|p| p.id.0 == c.id)
                    .and_then(Family::of)
                    .filter(|f| inst.config.sells(*f))
                else {
                    continue;
                };
                if want_family.is_some_and(|f| f != family) {
                    continue;
                }
                let href = match family {
                    Family::Event => format!("/i/{}/events/{}", inst.config.code, c.id),
                    _ => format!("/i/{}/products/{}", inst.config.code, c.id),
                };
                cards.push(Card {
                    inst: inst.config.code.clone(),
                    inst_name: inst_name.clone(),
                    name: c.name,
                    family,
                    dates: c.dates,
                    price_from: c.price_from,
                    availability_text: c.availability_text,
                    href,
                });
            }
            if page >= prog.pages || page >= 20 {
                break;
            }
            page += 1;
        }
    }
    let inst_options = inst_names
        .iter()
        .map(|(code, name)| {
            let sel = want_inst.as_deref() == Some(code.as_str());
            view! { <option value=code.clone() selected=sel>{name.clone()}</option> }
        })
        .collect_view();
    let fam_options = Family::ALL
        .into_iter()
        .filter(|f| r.institutions.iter().any(|i| i.config.sells(*f)))
        .map(|f| {
            let sel = want_family == Some(f);
            view! { <option value=f.code() selected=sel>{family_name(f, lang)}</option> }
        })
        .collect_view();
    let count = cards.len();
    let list = cards
        .into_iter()
        .map(|c| {
            view! {
                <li class="rs-card">
                    <p class="rs-card-inst">{c.inst_name}<span class="rs-visually-hidden">{format!(" ({})", c.inst)}</span></p>
                    <h2><a href=c.href>{c.name}</a></h2>
                    <p class="rs-card-family">{family_name(c.family, lang)}</p>
                    {(!c.dates.is_empty()).then(|| view! { <p class="rs-card-dates">{c.dates.clone()}</p> })}
                    {c.price_from.map(|p| view! { <p class="rs-card-price">{p}</p> })}
                    <p class="rs-card-avail">{c.availability_text}</p>
                </li>
            }
        })
        .collect_view();
    let notices = notices
        .into_iter()
        .map(|n| view! { <p role="alert" class="rs-error">{n}</p> })
        .collect_view();
    let main = view! {
        <h1>{t3(lang, "What's on", "Programme", "Programm")}</h1>
        <form method="get" action="/" class="rs-filters">
            <label>{t3(lang, "Institution", "Institution", "Institution")}
                <select name="institution"><option value="">{t3(lang, "All", "Toutes", "Alle")}</option>{inst_options}</select>
            </label>
            <label>{t3(lang, "Kind", "Type", "Art")}
                <select name="family"><option value="">{t3(lang, "All", "Tous", "Alle")}</option>{fam_options}</select>
            </label>
            <label>{t3(lang, "From", "À partir du", "Ab")}
                <input type="date" name="from" value=from.clone().unwrap_or_default()/>
            </label>
            <button type="submit">{t3(lang, "Show", "Afficher", "Anzeigen")}</button>
        </form>
        {notices}
        <p class="rs-count" role="status">{match lang {
            Lang::Fr => format!("{count} offre{} en vente", if count == 1 { "" } else { "s" }),
            Lang::De => format!("{count} {} im Verkauf", if count == 1 { "Angebot" } else { "Angebote" }),
            Lang::En => format!("{count} {} on sale", if count == 1 { "offer" } else { "offers" }),
        }}</p>
        <ul class="rs-cards">{list}</ul>
    };
    document(
        &q,
        t3(lang, "What's on", "Programme", "Programm"),
        main,
        None,
    )
}

// -------------------------------------------------------------------------------------------
// Events and performances

async fn event_page(
    State(r): State<R>,
    headers: HeaderMap,
    session: Session,
    Path((inst, id)): Path<(String, i64)>,
    Query(lq): Query<LangQ>,
) -> Response {
    let q = req(r, &headers, session, lq.lang.as_deref()).await;
    let inst = match q.inst(&inst) {
        Ok(i) => i,
        Err(resp) => return resp,
    };
    if sold_family(inst, id) != Some(Family::Event) {
        return not_sold(&q);
    }
    let cx = q.cx(inst);
    let ev = match shop::browse::event_view(&cx, id).await {
        Ok(Some(ev)) => ev,
        Ok(None) => return not_sold(&q),
        Err(e) => return shop_error(&q, &e),
    };
    let lang = q.lang;
    let code = inst.config.code.clone();
    let rows = ev
        .performances
        .iter()
        .map(|p| {
            let href = format!("/i/{code}/performances/{}/{}", ev.product_id, p.id);
            view! {
                <li class="rs-perf">
                    <span class="rs-perf-when">{p.when.clone()}</span>
                    {p.price_range.clone().map(|x| view! { <span class="rs-perf-price">{x}</span> })}
                    <span class="rs-perf-avail">{p.availability_text.clone()}</span>
                    {p.buyable.then(|| view! { <a class="rs-button" href=href>{t3(lang, "Choose tickets", "Choisir des billets", "Tickets wählen")}</a> })}
                </li>
            }
        })
        .collect_view();
    let title = ev.name.clone();
    let main = view! {
        <p class="rs-crumb"><a href="/">{t3(lang, "What's on", "Programme", "Programm")}</a>" › "{ev.shop.name.clone()}</p>
        <h1>{ev.name.clone()}</h1>
        {ev.venue.clone().map(|v| view! { <p class="rs-venue">{v}</p> })}
        {ev.image.clone().map(|src| view! { <img class="rs-hero" src=src alt="" width="1200" height="600"/> })}
        <p class="rs-desc">{ev.description.clone()}</p>
        <h2>{t3(lang, "Dates", "Dates", "Termine")}</h2>
        <ul class="rs-perfs">{rows}</ul>
    };
    document(&q, title, main, None)
}

#[derive(Deserialize, Default)]
struct MsgQ {
    lang: Option<String>,
    error: Option<String>,
    added: Option<String>,
}

async fn performance_page(
    State(r): State<R>,
    headers: HeaderMap,
    session: Session,
    Path((inst, product, perf)): Path<(String, i64, i64)>,
    Query(mq): Query<MsgQ>,
) -> Response {
    let q = req(r, &headers, session, mq.lang.as_deref()).await;
    let inst = match q.inst(&inst) {
        Ok(i) => i,
        Err(resp) => return resp,
    };
    if sold_family(inst, product) != Some(Family::Event) {
        return not_sold(&q);
    }
    render_performance(&q, inst, product, perf, mq.error, StatusCode::OK).await
}

async fn render_performance(
    q: &Req,
    inst: &Institution,
    product: i64,
    perf: i64,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let cx = q.cx(inst);
    let v = match shop::browse::performance_view(&cx, product, perf, shop::browse::MapPart::None)
        .await
    {
        Ok(Some(v)) => v,
        Ok(None) => return not_sold(q),
        Err(e) => return shop_error(q, &e),
    };
    let lang = q.lang;
    let cats = v
        .categories
        .iter()
        .map(|c| {
            let prices = c
                .prices
                .iter()
                .map(|p| {
                    let id = format!("q-{}-{}", c.id, p.tariff_id);
                    let name = format!("q_{}_{}", c.id, p.tariff_id);
                    view! {
                        <li class="rs-offer">
                            <label for=id.clone()>{p.tariff.clone()}" "<span class="rs-price">{p.price.clone()}</span></label>
                            <input id=id name=name type="number" min="0" max=v.max_quantity.to_string() value="0" inputmode="numeric" disabled=!c.buyable/>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <fieldset class="rs-cat">
                    <legend>{c.name.clone()}" · "<span class="rs-avail">{c.availability_text.clone()}</span></legend>
                    <ul>{prices}</ul>
                </fieldset>
            }
        })
        .collect_view();
    let action = format!("/i/{}/performances/{product}/{perf}", inst.config.code);
    let title = format!("{} – {}", v.product_name, v.when);
    let main = view! {
        <p class="rs-crumb"><a href="/">{t3(lang, "What's on", "Programme", "Programm")}</a>" › "{v.shop.name.clone()}" › "<a href=format!("/i/{}/events/{product}", inst.config.code)>{v.product_name.clone()}</a></p>
        <h1>{v.product_name.clone()}</h1>
        <p class="rs-when">{v.when.clone()}</p>
        {error.map(|e| view! { <p role="alert" class="rs-error">{e}</p> })}
        <form method="post" action=action class="rs-buy">
            <p>{t3(lang, "Best available seats in the category you choose.", "Les meilleures places disponibles dans la catégorie choisie.", "Die besten freien Plätze der gewählten Kategorie.")}</p>
            {cats}
            <button type="submit" class="rs-button">{t3(lang, "Add to cart", "Ajouter au panier", "In den Warenkorb")}</button>
        </form>
    };
    let mut resp = document(q, title, main, None);
    *resp.status_mut() = status;
    resp
}

async fn paying_refusal(q: &Req) -> Option<Response> {
    let id = pay::paying(&q.r, &q.session).await?;
    let open =
        q.r.journal
            .checkout(&id)
            .ok()
            .is_some_and(|ps| ps.iter().any(|p| p.state == "open"));
    if !open {
        return None;
    }
    Some(page_error(
        q,
        StatusCode::CONFLICT,
        t3(
            q.lang,
            "A payment is under way for your cart. Finish it, or cancel it on the payment page to change your cart.",
            "Un paiement est en cours pour votre panier. Terminez-le, ou annulez-le sur la page de paiement pour modifier votre panier.",
            "Für Ihren Warenkorb läuft eine Zahlung. Schliessen Sie sie ab oder brechen Sie sie auf der Zahlungsseite ab, um den Warenkorb zu ändern.",
        ),
    ))
}

async fn performance_add(
    State(r): State<R>,
    headers: HeaderMap,
    session: Session,
    Path((inst, product, perf)): Path<(String, i64, i64)>,
    client: Client,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let mut q = req(r, &headers, session, None).await;
    q.client = addr(client);
    let inst = match q.inst(&inst) {
        Ok(i) => i,
        Err(resp) => return resp,
    };
    if sold_family(inst, product) != Some(Family::Event) {
        return not_sold(&q);
    }
    if let Some(resp) = paying_refusal(&q).await {
        return resp;
    }
    let lang = q.lang;
    let mut wanted = Vec::new();
    for (k, v) in &form {
        let Some(rest) = k.strip_prefix("q_") else {
            continue;
        };
        let v = v.trim();
        if v.is_empty() || v == "0" {
            continue;
        }
        let parsed = rest
            .split_once('_')
            .and_then(|(c, t)| Some((c.parse::<i64>().ok()?, t.parse::<i64>().ok()?)));
        let qty = v.parse::<u32>().ok().filter(|n| *n <= 1000);
        match (parsed, qty) {
            (Some((c, t)), Some(n)) => wanted.push((c, t, n)),
            _ => {
                let msg = t3(
                    lang,
                    "Please give each quantity as a whole number.",
                    "Indiquez chaque quantité par un nombre entier.",
                    "Bitte jede Anzahl als ganze Zahl angeben.",
                );
                return render_performance(
                    &q,
                    inst,
                    product,
                    perf,
                    Some(msg),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        }
    }
    if wanted.is_empty() {
        let msg = t3(
            lang,
            "Choose how many tickets you want.",
            "Choisissez le nombre de billets.",
            "Wählen Sie die Anzahl Tickets.",
        );
        return render_performance(
            &q,
            inst,
            product,
            perf,
            Some(msg),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let cx = q.cx(inst);
    for (cat, tariff, quantity) in wanted {
        let choice = shop::cart::SeatChoice::BestAvailable {
            seat_category_id: cat,
            quantity,
        };
        if let Err(e) = shop::cart::add_to_cart(&cx, perf, tariff, choice).await {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_GATEWAY);
            return render_performance(&q, inst, product, perf, Some(e.message(lang)), status)
                .await;
        }
    }
    Redirect::to("/cart?added=1").into_response()
}

// -------------------------------------------------------------------------------------------
// Passes, visits, season tickets

#[derive(Deserialize, Default)]
struct ProductQ {
    lang: Option<String>,
    date: Option<String>,
    month: Option<String>,
    error: Option<String>,
}

async fn product_page(
    State(r): State<R>,
    headers: HeaderMap,
    session: Session,
    Path((inst, id)): Path<(String, i64)>,
    Query(pq): Query<ProductQ>,
) -> Response {
    let q = req(r, &headers, session, pq.lang.as_deref()).await;
    let inst = match q.inst(&inst) {
        Ok(i) => i,
        Err(resp) => return resp,
    };
    match sold_family(inst, id) {
        Some(Family::Event) => {
            return Redirect::to(&format!("/i/{}/events/{id}", inst.config.code)).into_response()
        }
        Some(_) => {}
        None => return not_sold(&q),
    }
    let query = shop::products::ProductQuery {
        month: pq.month.unwrap_or_default(),
        date: pq.date.unwrap_or_default(),
        tour: String::new(),
    };
    render_product(&q, inst, id, &query, pq.error, StatusCode::OK).await
}

async fn render_product(
    q: &Req,
    inst: &Institution,
    id: i64,
    query: &shop::products::ProductQuery,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let cx = q.cx(inst);
    let v = match shop::products::product_view(&cx, id, query).await {
        Ok(Some(v)) => v,
        Ok(None) => return not_sold(q),
        Err(e) => return shop_error(q, &e),
    };
    let lang = q.lang;
    let base = format!("/i/{}/products/{id}", inst.config.code);
    let calendar = v.calendar.clone().map(|c| {
        let weeks = c
            .weeks
            .iter()
            .map(|w| {
                let days = w
                    .iter()
                    .map(|d| match d {
                        None => view! { <td></td> }.into_any(),
                        Some(d) => {
                            let cls = format!("rs-day rs-{}", d.availability.to_ascii_lowercase());
                            match &d.href {
                                Some(_) => {
                                    let href = format!("{base}?date={}", d.date);
                                    let current = d.selected.then_some("date");
                                    view! { <td class=cls><a href=href aria-label=format!("{} – {}", d.label, d.availability_text) aria-current=current>{d.day}</a></td> }.into_any()
                                }
                                None => view! { <td class=cls><span aria-label=format!("{} – {}", d.label, d.availability_text)>{d.day}</span></td> }.into_any(),
                            }
                        }
                    })
                    .collect_view();
                view! { <tr>{days}</tr> }
            })
            .collect_view();
        let heads = c
            .weekdays
            .iter()
            .map(|(s, full)| view! { <th scope="col" abbr=full.clone()>{s.clone()}</th> })
            .collect_view();
        let nav = |link: Option<(String, String)>| {
            link.map(|(qs, label)| {
                let month = qs
                    .split(['?', '&'])
                    .find_map(|kv| kv.strip_prefix("month="))
                    .unwrap_or_default()
                    .to_string();
                view! { <a href=format!("{base}?month={month}")>{label}</a> }
            })
        };
        view! {
            <section class="rs-calendar" aria-label=t3(lang, "Choose a day", "Choisissez un jour", "Tag wählen")>
                <h2>{c.title.clone()}</h2>
                <p class="rs-cal-nav">{nav(c.prev.clone())}" "{nav(c.next.clone())}</p>
                <table><thead><tr>{heads}</tr></thead><tbody>{weeks}</tbody></table>
            </section>
        }
    });
    let day = v.day.clone();
    let slots = day.as_ref().map(|d| {
        let items = d
            .slots
            .iter()
            .map(|s| {
                let sid = format!("slot-{}", s.id);
                view! {
                    <li>
                        <input type="radio" name="timeslot_id" id=sid.clone() value=s.id.to_string() disabled=!s.buyable required/>
                        <label for=sid>{s.time.clone()}" · "{s.availability_text.clone()}{(!s.tours.is_empty()).then(|| format!(" · {}", s.tours.join(", ")))}</label>
                    </li>
                }
            })
            .collect_view();
        view! {
            <fieldset class="rs-slots">
                <legend>{d.label.clone()}</legend>
                {d.notice.clone().map(|n| view! { <p>{n}</p> })}
                <ul>{items}</ul>
            </fieldset>
        }
    });
    let season = v.season.clone().map(|s| {
        let opts = s
            .categories
            .iter()
            .filter(|c| c.buyable)
            .map(|c| view! { <option value=c.id.to_string()>{format!("{} · {}", c.name, c.availability_text)}</option> })
            .collect_view();
        let includes = s
            .includes
            .iter()
            .map(|i| view! { <li>{format!("{} – {}", i.name, i.when)}</li> })
            .collect_view();
        view! {
            <h2>{t3(lang, "Includes", "Comprend", "Enthält")}</h2>
            <ul>{includes}</ul>
            <label>{t3(lang, "Seat category", "Catégorie de places", "Platzkategorie")}<select name="seat_category_id" required>{opts}</select></label>
        }
    });
    let needs_day = v.kind == "visit" && day.is_none();
    let offers = v
        .offers
        .iter()
        .map(|o| {
            let id = format!("o-{}", o.key);
            view! {
                <li class="rs-offer">
                    <label for=id.clone()>{o.tariff.clone()}" "<span class="rs-price">{o.price.clone()}</span>{o.note.clone().map(|n| view! { <small>{n}</small> })}</label>
                    <input id=id name=format!("q.{}", o.key) type="number" min="0" max=o.max.to_string() value="0" inputmode="numeric"/>
                </li>
            }
        })
        .collect_view();
    let date_value = day.as_ref().map(|d| d.date.clone()).unwrap_or_default();
    let title = v.name.clone();
    let main = view! {
        <p class="rs-crumb"><a href="/">{t3(lang, "What's on", "Programme", "Programm")}</a>" › "{v.shop.name.clone()}</p>
        <h1>{v.name.clone()}</h1>
        <p class="rs-desc">{v.description.clone()}</p>
        {v.validity.clone().map(|x| view! { <p>{x}</p> })}
        {error.map(|e| view! { <p role="alert" class="rs-error">{e}</p> })}
        {calendar}
        {(!needs_day).then(|| view! {
            <form method="post" action=base.clone() class="rs-buy">
                <input type="hidden" name="date" value=date_value.clone()/>
                {slots}
                {season}
                <ul class="rs-offers">{offers}</ul>
                <button type="submit" class="rs-button">{t3(lang, "Add to cart", "Ajouter au panier", "In den Warenkorb")}</button>
            </form>
        })}
        {needs_day.then(|| view! { <p>{t3(lang, "Choose a day in the calendar to see its times.", "Choisissez un jour dans le calendrier pour voir ses horaires.", "Wählen Sie im Kalender einen Tag, um die Zeiten zu sehen.")}</p> })}
    };
    let mut resp = document(q, title, main, None);
    *resp.status_mut() = status;
    resp
}

async fn product_add(
    State(r): State<R>,
    headers: HeaderMap,
    session: Session,
    Path((inst, id)): Path<(String, i64)>,
    client: Client,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let mut q = req(r, &headers, session, None).await;
    q.client = addr(client);
    let inst = match q.inst(&inst) {
        Ok(i) => i,
        Err(resp) => return resp,
    };
    match sold_family(inst, id) {
        Some(f) if f != Family::Event => {}
        _ => return not_sold(&q),
    }
    if let Some(resp) = paying_refusal(&q).await {
        return resp;
    }
    let mut pf = shop::model::ProductForm {
        product_id: id,
        ..Default::default()
    };
    let mut quantities = BTreeMap::new();
    for (k, v) in form {
        match k.as_str() {
            "date" => pf.date = v,
            "timeslot_id" => pf.timeslot_id = v,
            "seat_category_id" => pf.seat_category_id = v,
            "tour" => pf.tour = v,
            _ => {
                if let Some(key) = k.strip_prefix("q.") {
                    if !v.trim().is_empty() && v.trim() != "0" {
                        quantities.insert(key.to_string(), v);
                    }
                }
            }
        }
    }
    pf.quantities = quantities;
    let cx = q.cx(inst);
    match shop::products::add_product_to_cart(&cx, &pf).await {
        Ok(()) => Redirect::to("/cart?added=1").into_response(),
        Err(e) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_GATEWAY);
            let query = shop::products::ProductQuery {
                date: pf.date.clone(),
                ..Default::default()
            };
            let msg = e.message(q.lang);
            render_product(&q, inst, id, &query, Some(msg), status).await
        }
    }
}

// -------------------------------------------------------------------------------------------
// The cart

/// Every institution's cart of this session, with what is in it.
async fn carts(q: &Req) -> Result<Vec<(&Institution, shop::model::CartView)>, Response> {
    let mut out = Vec::new();
    for inst in &q.r.institutions {
        let cx = q.cx(inst);
        match shop::cart::cart_view(&cx).await {
            Ok(v) if !v.lines.is_empty() => out.push((inst, v)),
            Ok(_) => {}
            Err(shop::Error::NotLoaded) => {}
            Err(e) => return Err(shop_error(q, &e)),
        }
    }
    Ok(out)
}

fn minutes_left(ms: i64) -> i64 {
    (ms.max(0) + 59_999) / 60_000
}

fn hold_text(lang: Lang, ms: i64) -> String {
    let m = minutes_left(ms);
    match lang {
        Lang::En => format!(
            "Your tickets are held for {m} more minute{}.",
            if m == 1 { "" } else { "s" }
        ),
        Lang::Fr => format!(
            "Vos billets sont réservés encore {m} minute{}.",
            if m > 1 { "s" } else { "" }
        ),
        Lang::De => format!(
            "Ihre Tickets sind noch {m} Minute{} reserviert.",
            if m == 1 { "" } else { "n" }
        ),
    }
}

fn cart_lines(
    inst: &Institution,
    v: &shop::model::CartView,
    lang: Lang,
    removable: bool,
) -> impl IntoView {
    let code = inst.config.code.clone();
    let lines = v
        .lines
        .iter()
        .map(|l| {
            let ids = l
                .movement_ids
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let label = format!("{} – {} × {}", l.product, l.quantity, l.tariff);
            view! {
                <li class="rs-line">
                    <p class="rs-line-what"><strong>{l.product.clone()}</strong>{l.when.clone().map(|w| view! { <span>" · "{w}</span> })}</p>
                    <p class="rs-line-detail">{format!("{} × {}", l.quantity, l.tariff)}{l.seat_category.clone().map(|c| format!(" · {c}"))}" · "{l.total.clone()}</p>
                    {(!l.seats.is_empty()).then(|| view! { <p class="rs-line-seats">{l.seats.join("; ")}</p> })}
                    {removable.then(|| view! {
                        <form method="post" action="/cart/remove">
                            <input type="hidden" name="institution" value=code.clone()/>
                            <input type="hidden" name="movements" value=ids/>
                            <button type="submit" class="rs-link" aria-label=format!("{} {label}", t3(lang, "Remove", "Retirer", "Entfernen"))>{t3(lang, "Remove", "Retirer", "Entfernen")}</button>
                        </form>
                    })}
                </li>
            }
        })
        .collect_view();
    view! { <ul class="rs-lines">{lines}</ul> }
}

async fn cart_page(
    State(r): State<R>,
    headers: HeaderMap,
    session: Session,
    Query(mq): Query<MsgQ>,
) -> Response {
    let q = req(r, &headers, session, mq.lang.as_deref()).await;
    let lang = q.lang;
    let carts = match carts(&q).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let paying = paying_refusal(&q).await.is_some();
    if carts.is_empty() {
        let main = view! {
            <h1>{t3(lang, "Your cart", "Votre panier", "Ihr Warenkorb")}</h1>
            <p>{t3(lang, "Your cart is empty.", "Votre panier est vide.", "Ihr Warenkorb ist leer.")}</p>
            <p><a href="/">{t3(lang, "See what's on", "Voir le programme", "Zum Programm")}</a></p>
        };
        return document(
            &q,
            t3(lang, "Your cart", "Votre panier", "Ihr Warenkorb"),
            main,
            None,
        );
    }
    let earliest = carts.iter().filter_map(|(_, v)| v.hold_left_ms).min();
    let total = cart_total(&carts, &q.r.config.currency, lang);
    let sections = carts
        .iter()
        .map(|(inst, v)| {
            view! {
                <section class="rs-cart-part">
                    <h2>{v.shop.name.clone()}</h2>
                    {cart_lines(inst, v, lang, !paying)}
                    {v.fees.iter().map(|(n, a)| view! { <p class="rs-fee">{format!("{n}: {a}")}</p> }).collect_view()}
                    <p class="rs-subtotal">{t3(lang, "Subtotal", "Sous-total", "Zwischensumme")}": "{v.total.clone()}</p>
                </section>
            }
        })
        .collect_view();
    let main = view! {
        <h1>{t3(lang, "Your cart", "Votre panier", "Ihr Warenkorb")}</h1>
        {mq.added.map(|_| view! { <p role="status" class="rs-ok">{t3(lang, "Added to your cart.", "Ajouté à votre panier.", "In den Warenkorb gelegt.")}</p> })}
        {earliest.map(|ms| view! { <p class="rs-hold" role="status">{hold_text(lang, ms)}</p> })}
        {sections}
        <p class="rs-total">{t3(lang, "Total", "Total", "Total")}": "<strong>{total}</strong></p>
        {if paying {
            view! { <p><a class="rs-button" href="/pay">{t3(lang, "Back to the payment", "Retour au paiement", "Zurück zur Zahlung")}</a></p> }.into_any()
        } else {
            view! { <p><a class="rs-button" href="/checkout">{t3(lang, "Checkout", "Commander", "Zur Kasse")}</a></p> }.into_any()
        }}
    };
    document(
        &q,
        t3(lang, "Your cart", "Votre panier", "Ihr Warenkorb"),
        main,
        None,
    )
}

/// A cart's total in minor units, from its formatted total ("CHF 95.00", "95,00 CHF",
/// "CHF 1’234.50"): its digits. Exact because the reseller only takes currencies with two
/// decimals ([`crate::pay::start`] refuses others); display only, the amount charged is added
/// up from S-360's orders.
fn total_of(v: &shop::model::CartView) -> i64 {
    let digits: String = v.total.chars().filter(|c| c.is_ascii_digit()).collect();
    digits.parse().unwrap_or(0)
}

/// The carts' total per currency, the reseller's default currency first ("CHF 36.00 +
/// €140.00").
fn cart_total(
    carts: &[(&Institution, shop::model::CartView)],
    default_currency: &str,
    lang: Lang,
) -> String {
    let mut sums: BTreeMap<(bool, String), i64> = BTreeMap::new();
    for (_, v) in carts {
        let cur = v.shop.currency.clone();
        *sums.entry((cur != default_currency, cur)).or_default() += total_of(v);
    }
    sums.into_iter()
        .map(|((_, cur), minor)| format_minor(minor, &cur, lang))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Minor units as the buyer reads them ("CHF 95.00").
pub fn format_minor(minor: i64, currency: &str, lang: Lang) -> String {
    // the symbols S-360's catalogs give for the currencies buyers see here; others by code
    let symbol = match currency {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        other => other,
    };
    let cur = s360::Currency {
        currency_code: currency.to_string(),
        fraction_digit: 2,
        min_amount: s360::Amount::ZERO,
        symbol: symbol.to_string(),
    };
    s360::Amount(minor * 10).format(&cur, lang.code())
}

#[derive(Deserialize)]
struct RemoveForm {
    institution: String,
    movements: String,
}

async fn cart_remove(
    State(r): State<R>,
    headers: HeaderMap,
    session: Session,
    Form(f): Form<RemoveForm>,
) -> Response {
    let q = req(r, &headers, session, None).await;
    let inst = match q.inst(&f.institution) {
        Ok(i) => i,
        Err(resp) => return resp,
    };
    if let Some(resp) = paying_refusal(&q).await {
        return resp;
    }
    let ids: Vec<i64> = f
        .movements
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    if ids.is_empty() {
        return page_error(
            &q,
            StatusCode::UNPROCESSABLE_ENTITY,
            t3(
                q.lang,
                "Nothing to remove.",
                "Rien à retirer.",
                "Nichts zu entfernen.",
            ),
        );
    }
    match shop::cart::remove_from_cart(&q.cx(inst), ids).await {
        Ok(()) => Redirect::to("/cart").into_response(),
        Err(e) => shop_error(&q, &e),
    }
}

// -------------------------------------------------------------------------------------------
// Checkout and payment

#[derive(Deserialize, Default)]
struct CheckoutForm {
    first_name: String,
    last_name: String,
    email: String,
}

async fn checkout_page(
    State(r): State<R>,
    headers: HeaderMap,
    session: Session,
    Query(lq): Query<LangQ>,
) -> Response {
    let q = req(r, &headers, session, lq.lang.as_deref()).await;
    render_checkout(&q, &CheckoutForm::default(), None, StatusCode::OK).await
}

async fn render_checkout(
    q: &Req,
    f: &CheckoutForm,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = q.lang;
    if paying_refusal(q).await.is_some() {
        return Redirect::to("/pay").into_response();
    }
    let carts = match carts(q).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    if carts.is_empty() {
        return Redirect::to("/cart").into_response();
    }
    let total = cart_total(&carts, &q.r.config.currency, lang);
    let summary = carts
        .iter()
        .map(|(inst, v)| view! { <section class="rs-cart-part"><h2>{v.shop.name.clone()}</h2>{cart_lines(inst, v, lang, false)}</section> })
        .collect_view();
    let main = view! {
        <h1>{t3(lang, "Checkout", "Commande", "Kasse")}</h1>
        {error.map(|e| view! { <p role="alert" class="rs-error" id="checkout-error">{e}</p> })}
        {summary}
        <p class="rs-total">{t3(lang, "Total", "Total", "Total")}": "<strong>{total}</strong></p>
        <form method="post" action="/checkout" class="rs-form">
            <label for="first_name">{t3(lang, "First name", "Prénom", "Vorname")}</label>
            <input id="first_name" name="first_name" autocomplete="given-name" required maxlength="60" value=f.first_name.clone()/>
            <label for="last_name">{t3(lang, "Last name", "Nom", "Nachname")}</label>
            <input id="last_name" name="last_name" autocomplete="family-name" required maxlength="60" value=f.last_name.clone()/>
            <label for="email">{t3(lang, "E-mail", "E-mail", "E-Mail")}</label>
            <input id="email" name="email" type="email" autocomplete="email" required maxlength="120" value=f.email.clone()/>
            <button type="submit" class="rs-button">{t3(lang, "Continue to payment", "Continuer vers le paiement", "Weiter zur Zahlung")}</button>
        </form>
    };
    let mut resp = document(q, t3(lang, "Checkout", "Commande", "Kasse"), main, None);
    *resp.status_mut() = status;
    resp
}

fn valid_name(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s.chars().count() <= 60
        && !s.chars().any(|c| {
            c.is_control()
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '<' | '>')
        })
}

fn valid_email(s: &str) -> bool {
    let s = s.trim();
    s.len() <= 120
        && s.split_once('@').is_some_and(|(a, b)| {
            !a.is_empty() && b.contains('.') && !b.starts_with('.') && !b.ends_with('.')
        })
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

async fn checkout_post(
    State(r): State<R>,
    headers: HeaderMap,
    session: Session,
    Form(f): Form<CheckoutForm>,
) -> Response {
    let q = req(r, &headers, session, None).await;
    let lang = q.lang;
    if !valid_name(&f.first_name) || !valid_name(&f.last_name) {
        let msg = t3(
            lang,
            "Please give your first and last name (60 characters at most).",
            "Indiquez votre prénom et votre nom (60 caractères au plus).",
            "Bitte Vor- und Nachnamen angeben (höchstens 60 Zeichen).",
        );
        return render_checkout(&q, &f, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if !valid_email(&f.email) {
        let msg = t3(
            lang,
            "Please give a valid e-mail address, such as name@example.org.",
            "Indiquez une adresse e-mail valide, par exemple nom@example.org.",
            "Bitte eine gültige E-Mail-Adresse angeben, z. B. name@example.org.",
        );
        return render_checkout(&q, &f, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let buyer = Buyer {
        first_name: f.first_name.trim().to_string(),
        last_name: f.last_name.trim().to_string(),
        email: f.email.trim().to_string(),
    };
    match pay::start(&q.r, &q.session, lang, &buyer).await {
        Ok(_) => Redirect::to("/pay").into_response(),
        Err(PayError::AlreadyPaid(id)) => Redirect::to(&q.r.order_link(&id)).into_response(),
        Err(PayError::Empty) => Redirect::to("/cart").into_response(),
        Err(e) => {
            tracing::warn!(error = ?e, "payment start");
            let status = match e {
                PayError::Cart(_) | PayError::Invalid(_) => StatusCode::CONFLICT,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
            render_checkout(&q, &f, Some(pay_error_text(&e, lang)), status).await
        }
    }
}

fn pay_error_text(e: &PayError, lang: Lang) -> String {
    match (e, lang) {
        (PayError::Cart(m) | PayError::Invalid(m), _) => m.clone(),
        (PayError::Provider(_), Lang::Fr) => "Le service de paiement est injoignable. Vos billets restent réservés ; réessayez dans un instant.".into(),
        (PayError::Provider(_), Lang::De) => "Der Zahlungsdienst ist nicht erreichbar. Ihre Tickets bleiben reserviert; bitte versuchen Sie es gleich noch einmal.".into(),
        (PayError::Internal(_), Lang::Fr) => "Une erreur s'est produite chez nous. Vos billets restent réservés ; réessayez.".into(),
        (PayError::Internal(_), Lang::De) => "Bei uns ist ein Fehler aufgetreten. Ihre Tickets bleiben reserviert; bitte erneut versuchen.".into(),
        (e, _) => e.to_string(),
    }
}

async fn pay_page(
    State(r): State<R>,
    headers: HeaderMap,
    session: Session,
    Query(mq): Query<MsgQ>,
) -> Response {
    let q = req(r.clone(), &headers, session, mq.lang.as_deref()).await;
    let lang = q.lang;
    let Some(checkout) = pay::paying(&r, &q.session).await else {
        return Redirect::to("/cart").into_response();
    };
    let payments = match r.journal.checkout(&checkout) {
        Ok(p) if !p.is_empty() => p,
        _ => {
            pay::forget_paying(&r, &q.session).await;
            return Redirect::to("/cart").into_response();
        }
    };
    if payments.iter().all(|p| p.state != "open") {
        return Redirect::to(&format!("/pay/return?checkout={checkout}")).into_response();
    }
    let mut intents = Vec::new();
    for p in &payments {
        let intent = match r.stripe.retrieve_payment_intent(&p.intent_id).await {
            Ok(pi) => pi,
            Err(e) => {
                tracing::warn!(error = %e, "retrieve payment intent");
                return page_error(
                    &q,
                    StatusCode::SERVICE_UNAVAILABLE,
                    pay_error_text(&PayError::Provider(e.to_string()), lang),
                );
            }
        };
        intents.push((p, intent));
    }
    let names = |p: &Payment| {
        p.parts
            .iter()
            .map(|t| inst_name(&r, &t.institution, lang))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let charges = intents
        .iter()
        .map(|(p, pi)| {
            let state = if p.state == "paid" || pi.status == crate::stripe::PaymentIntentStatus::Succeeded {
                "succeeded"
            } else {
                "open"
            };
            let amount = format_minor(p.amount_minor, &p.currency, lang);
            view! {
                <li class="rs-charge" data-client-secret=pi.client_secret.clone().unwrap_or_default() data-state=state data-amount=amount.clone()>
                    <strong>{amount.clone()}</strong>" · "{names(p)}
                    <span class="rs-charge-state">{if state == "succeeded" { format!(" · {}", t3(lang, "paid", "payé", "bezahlt")) } else { String::new() }}</span>
                </li>
            }
        })
        .collect_view();
    let total = intents
        .iter()
        .filter(|(p, pi)| {
            p.state == "open" && pi.status != crate::stripe::PaymentIntentStatus::Succeeded
        })
        .map(|(p, _)| format_minor(p.amount_minor, &p.currency, lang))
        .collect::<Vec<_>>()
        .join(" + ");
    let several = payments.len() > 1;
    let pay_label = format!("{} {total}", t3(lang, "Pay", "Payer", "Bezahlen"));
    let main = view! {
        <h1>{t3(lang, "Payment", "Paiement", "Zahlung")}</h1>
        <p>{if several {
            t3(lang, "Your cart is in two currencies: your card is charged once per currency.", "Votre panier est en deux monnaies : votre carte est débitée une fois par monnaie.", "Ihr Warenkorb ist in zwei Währungen: Ihre Karte wird einmal pro Währung belastet.")
        } else {
            t3(lang, "One card payment for your whole cart:", "Un seul paiement par carte pour tout votre panier :", "Eine Kartenzahlung für den ganzen Warenkorb:")
        }}</p>
        <ul class="rs-parts" id="pay-charges">{charges}</ul>
        <form id="pay-form" class="rs-form" data-pk=r.config.stripe.publishable_key.clone()
              data-return-url=format!("/pay/return?checkout={checkout}")
              data-paying-text=t3(lang, "Paying…", "Paiement…", "Zahlung läuft…")
              data-declined-text=t3(lang, "The card was not accepted for", "La carte n'a pas été acceptée pour", "Die Karte wurde nicht akzeptiert für")>
            <label for="card-element">{t3(lang, "Card", "Carte", "Karte")}</label>
            <div id="card-element" class="rs-card-element"></div>
            <p id="card-errors" class="rs-error" role="alert" aria-live="assertive"></p>
            <button type="submit" id="pay-button" class="rs-button">{pay_label}</button>
        </form>
        // shown until the card form's script runs (a <noscript> would stay hidden where
        // scripts are blocked rather than switched off)
        <p class="rs-error" id="pay-needs-js">{t3(lang, "Card payment needs JavaScript in this page.", "Le paiement par carte nécessite JavaScript dans cette page.", "Die Kartenzahlung braucht JavaScript auf dieser Seite.")}</p>
        <form method="post" action="/pay/cancel" class="rs-cancel">
            <button type="submit" class="rs-link">{t3(lang, "Cancel the payment and change my cart", "Annuler le paiement et modifier mon panier", "Zahlung abbrechen und Warenkorb ändern")}</button>
        </form>
    };
    let scripts = format!(
        "<script src=\"{}\"></script><script src=\"/reseller/pay.js\" defer></script>",
        html_attr(&r.config.stripe.js_url)
    );
    document(
        &q,
        t3(lang, "Payment", "Paiement", "Zahlung"),
        main,
        Some(scripts),
    )
}

fn inst_name(r: &Reseller, code: &str, lang: Lang) -> String {
    r.institution(code)
        .and_then(|i| {
            i.tenant
                .catalog
                .snapshot()
                .map(|s| shop::describe::shop_info(&i.tenant, &s, lang.code(), None).name)
        })
        .unwrap_or_else(|| code.to_string())
}

fn html_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

async fn pay_cancel(State(r): State<R>, headers: HeaderMap, session: Session) -> Response {
    let q = req(r.clone(), &headers, session, None).await;
    let Some(id) = pay::paying(&r, &q.session).await else {
        return Redirect::to("/cart").into_response();
    };
    match pay::cancel(&r, &id).await {
        Ok(()) => {
            pay::forget_paying(&r, &q.session).await;
            Redirect::to("/cart").into_response()
        }
        Err(PayError::AlreadyPaid(id)) => {
            pay::forget_paying(&r, &q.session).await;
            Redirect::to(&r.order_link(&id)).into_response()
        }
        Err(e) => page_error(
            &q,
            StatusCode::SERVICE_UNAVAILABLE,
            pay_error_text(&e, q.lang),
        ),
    }
}

#[derive(Deserialize, Default)]
struct ReturnQ {
    checkout: Option<String>,
    payment_intent: Option<String>,
    payment_intent_client_secret: Option<String>,
}

fn plausible_id(id: &str, prefix: &str) -> bool {
    id.starts_with(prefix)
        && id.len() <= 80
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

async fn pay_return(
    State(r): State<R>,
    headers: HeaderMap,
    session: Session,
    Query(rq): Query<ReturnQ>,
) -> Response {
    let q = req(r.clone(), &headers, session, None).await;
    let lang = q.lang;
    let invalid = |q: &Req| {
        page_error(
            q,
            StatusCode::NOT_FOUND,
            t3(
                lang,
                "This payment link is not valid.",
                "Ce lien de paiement n'est pas valide.",
                "Dieser Zahlungslink ist ungültig.",
            ),
        )
    };
    // the return proves the checkout is the buyer's: this session started it, or it carries a
    // payment's client secret, which only the buyer's page knew (a redirect from the provider)
    let checkout = match (&rq.checkout, &rq.payment_intent) {
        (Some(c), _) if pay::paying(&r, &q.session).await.as_deref() == Some(c.as_str()) => {
            c.clone()
        }
        (_, Some(pi)) if plausible_id(pi, "pi_") => {
            let secret_ok = match (
                &rq.payment_intent_client_secret,
                r.stripe.retrieve_payment_intent(pi).await,
            ) {
                (Some(given), Ok(intent)) => intent
                    .client_secret
                    .as_deref()
                    .is_some_and(|s| s360::constant_time_eq(s.as_bytes(), given.as_bytes())),
                _ => false,
            };
            match r.journal.get(pi) {
                Ok(Some(p)) if secret_ok => p.checkout_id,
                _ => return invalid(&q),
            }
        }
        (Some(c), _) if plausible_id(c, "co_") => {
            // another session (a second tab after a login, a lost cookie): the order page's
            // link is the way; without it, nothing is shown
            return match r.journal.checkout(c) {
                Ok(ps) if !ps.is_empty() => Redirect::to("/cart").into_response(),
                _ => invalid(&q),
            };
        }
        _ => return invalid(&q),
    };
    match pay::finalize_checkout(&r, &checkout).await {
        Ok(ps) if ps.iter().any(|p| p.state == "paid") && ps.iter().all(|p| p.state != "open") => {
            after_paid(&r, &q.session, &ps).await;
            Redirect::to(&r.order_link(&checkout)).into_response()
        }
        Ok(ps) if !ps.is_empty() && ps.iter().all(|p| p.state == "abandoned") => {
            pay::forget_paying(&r, &q.session).await;
            Redirect::to("/cart").into_response()
        }
        Ok(_) => Redirect::to("/pay").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, %checkout, "finalize on return");
            // the reconciliation goes on; the order page says where it stands
            Redirect::to(&r.order_link(&checkout)).into_response()
        }
    }
}

/// The carts of a paid checkout are done with in this session.
async fn after_paid(r: &Reseller, session: &Session, ps: &[Payment]) {
    if let Some(p) = ps.first() {
        if pay::paying(r, session).await.as_deref() == Some(p.checkout_id.as_str()) {
            pay::forget_paying(r, session).await;
        }
    }
    for part in ps
        .iter()
        .filter(|p| p.state == "paid")
        .flat_map(|p| p.parts.iter())
    {
        let bs = shop::session::BuyerSession::new(session.clone(), &part.institution);
        if bs.cart().await.map(|o| o.0) == Some(part.order_id) {
            bs.forget_cart().await;
        }
    }
}

async fn webhook(State(r): State<R>, headers: HeaderMap, body: Bytes) -> Response {
    webhook_for(r, &headers, body).await
}

/// The same at the path the server offers on every host (`/stripe/webhook/{code}`).
async fn webhook_with_code(
    State(r): State<R>,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if code != r.config.code {
        return (StatusCode::NOT_FOUND, "no such reseller\n").into_response();
    }
    webhook_for(r, &headers, body).await
}

/// The payment provider's webhook: a signed event about a payment moves it on (the answer
/// does not wait for S-360).
pub async fn webhook_for(r: R, headers: &HeaderMap, body: Bytes) -> Response {
    let sig = headers
        .get("stripe-signature")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let event = match crate::stripe::verify_webhook(
        &body,
        sig,
        &r.config.stripe.webhook_secret,
        chrono::Utc::now().timestamp(),
        300,
    ) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "webhook refused");
            return (StatusCode::BAD_REQUEST, "invalid signature\n").into_response();
        }
    };
    if event.type_.starts_with("payment_intent.") {
        if let Some(id) = event.data_object.get("id").and_then(|v| v.as_str()) {
            if plausible_id(id, "pi_") {
                let (r, id) = (r.clone(), id.to_string());
                tokio::spawn(async move {
                    if let Err(e) = pay::finalize(&r, &id).await {
                        tracing::warn!(error = %e, intent = %id, "finalize on webhook");
                    }
                });
            }
        }
    }
    (StatusCode::OK, "ok\n").into_response()
}

// -------------------------------------------------------------------------------------------
// The order

#[derive(Deserialize, Default)]
struct AccessQ {
    access: Option<String>,
    lang: Option<String>,
}

fn reason_text(reason: Option<&str>, lang: Lang) -> String {
    match reason.unwrap_or("") {
        "expired" => t3(
            lang,
            "the hold on these tickets ended during the payment and the seats were taken",
            "la réservation de ces billets a expiré pendant le paiement et les places ont été prises",
            "die Reservierung lief während der Zahlung ab und die Plätze wurden vergeben",
        ),
        "duplicate" => t3(
            lang,
            "these tickets had already been paid by an earlier payment",
            "ces billets avaient déjà été payés par un paiement précédent",
            "diese Tickets waren bereits mit einer früheren Zahlung bezahlt",
        ),
        "changed" => t3(
            lang,
            "this part of the cart changed during the payment",
            "cette partie du panier a changé pendant le paiement",
            "dieser Teil des Warenkorbs änderte sich während der Zahlung",
        ),
        _ => t3(
            lang,
            "the institution could not confirm these tickets",
            "l'institution n'a pas pu confirmer ces billets",
            "die Institution konnte diese Tickets nicht bestätigen",
        ),
    }
}

fn invalid_order(q: &Req) -> Response {
    page_error(
        q,
        StatusCode::NOT_FOUND,
        t3(
            q.lang,
            "This order link is not valid.",
            "Ce lien de commande n'est pas valide.",
            "Dieser Bestelllink ist ungültig.",
        ),
    )
}

async fn order_page(
    State(r): State<R>,
    headers: HeaderMap,
    session: Session,
    Path(checkout): Path<String>,
    Query(aq): Query<AccessQ>,
) -> Response {
    let q = req(r.clone(), &headers, session, aq.lang.as_deref()).await;
    let lang = q.lang;
    let token = aq.access.unwrap_or_default();
    if !plausible_id(&checkout, "co_") || !r.order_token_ok(&checkout, &token) {
        return invalid_order(&q);
    }
    // a reload moves an unfinished payment on (the reconciliation does it too)
    let payments = match pay::finalize_checkout(&r, &checkout).await {
        Ok(ps) => ps,
        Err(e) => {
            tracing::warn!(error = %e, "order page finalize");
            match r.journal.checkout(&checkout) {
                Ok(ps) => ps,
                Err(_) => {
                    return page_error(
                        &q,
                        StatusCode::SERVICE_UNAVAILABLE,
                        pay_error_text(&e, lang),
                    )
                }
            }
        }
    };
    if payments.is_empty() {
        return invalid_order(&q);
    }
    if payments.iter().any(|p| p.state == "paid") {
        after_paid(&r, &q.session, &payments).await;
    }
    let pending = payments
        .iter()
        .any(|p| p.state == "open" || (p.state == "paid" && p.parts.iter().any(|t| !t.is_final())));
    let mut sections = Vec::new();
    for p in &payments {
        for part in &p.parts {
            let Some(inst) = r.institution(&part.institution) else {
                continue;
            };
            let name = inst_name(&r, &part.institution, lang);
            let amount = format_minor(part.amount_minor, &p.currency, lang);
            let body = match (p.state.as_str(), part.state.as_str()) {
                ("paid", "closed") => {
                    let tickets = shop::order::valid_tickets(&inst.tenant, part.order_id)
                        .await
                        .unwrap_or_default();
                    // blocks and areas by the catalog's names ("Stalls · Row 3 · Seat 12")
                    let snap = inst.tenant.catalog.snapshot();
                    let rows = tickets
                        .iter()
                        .map(|t| {
                            let place = match &snap {
                                Some(snap) => shop::order::place_named(t, snap, lang),
                                None => shop::order::place_of(t, lang),
                            };
                            view! {
                                <li class="rs-ticket">
                                    <strong>{t.product_name.clone()}</strong>
                                    {t.performance_start.map(|w| view! { <span>" · "{w.format("%Y-%m-%d %H:%M").to_string()}</span> })}
                                    <span>" · "{place}</span>
                                    <span>" · "{t.audience_sub_category.clone()}</span>
                                </li>
                            }
                        })
                        .collect_view();
                    let pdf = format!(
                        "/orders/{checkout}/{}/tickets.pdf?access={token}",
                        part.institution
                    );
                    view! {
                        <p class="rs-ok">{t3(lang, "Confirmed", "Confirmé", "Bestätigt")}" · "{amount}" · "{t3(lang, "order", "commande", "Bestellung")}" "{part.order_id}</p>
                        <ul class="rs-tickets">{rows}</ul>
                        <p><a class="rs-button" href=pdf download="">{format!("{} – {name}", t3(lang, "Download the tickets (PDF)", "Télécharger les billets (PDF)", "Tickets herunterladen (PDF)"))}</a></p>
                    }
                    .into_any()
                }
                ("paid", "refunded" | "refunding") => {
                    let done = part.state == "refunded";
                    view! {
                        <p class="rs-error" role="status">
                            {if done { t3(lang, "Refunded: ", "Remboursé : ", "Zurückerstattet: ") } else { t3(lang, "Being refunded: ", "Remboursement en cours : ", "Wird zurückerstattet: ") }}
                            <strong>{amount}</strong>{" – "}{reason_text(part.reason.as_deref(), lang)}"."
                        </p>
                    }
                    .into_any()
                }
                ("paid", _) => view! { <p role="status">{t3(lang, "Being confirmed by the institution…", "Confirmation en cours par l'institution…", "Wird von der Institution bestätigt…")}</p> }.into_any(),
                ("open", _) => view! { <p role="status">{format!("{} {amount}", t3(lang, "Waiting for the card payment of", "En attente du paiement par carte de", "Warten auf die Kartenzahlung von"))}</p> }.into_any(),
                _ => view! { <p role="status">{t3(lang, "Not paid: the payment was cancelled.", "Non payé : le paiement a été annulé.", "Nicht bezahlt: Die Zahlung wurde abgebrochen.")}</p> }.into_any(),
            };
            sections.push(view! { <section class="rs-order-part"><h2>{name}</h2>{body}</section> });
        }
    }
    let heading = if payments.iter().any(|p| p.state == "paid") {
        t3(
            lang,
            "Thank you for your order",
            "Merci pour votre commande",
            "Vielen Dank für Ihre Bestellung",
        )
    } else if payments.iter().any(|p| p.state == "open") {
        t3(
            lang,
            "Waiting for your payment",
            "En attente de votre paiement",
            "Warten auf Ihre Zahlung",
        )
    } else {
        t3(
            lang,
            "This payment was cancelled",
            "Ce paiement a été annulé",
            "Diese Zahlung wurde abgebrochen",
        )
    };
    let paid = payments
        .iter()
        .filter(|p| p.state == "paid")
        .map(|p| format_minor(p.amount_minor, &p.currency, lang))
        .collect::<Vec<_>>()
        .join(" + ");
    let refunded = payments
        .iter()
        .filter(|p| p.state == "paid")
        .filter_map(|p| {
            let minor: i64 = p
                .parts
                .iter()
                .filter(|t| t.state == "refunded")
                .map(|t| t.amount_minor)
                .sum();
            (minor > 0).then(|| format_minor(minor, &p.currency, lang))
        })
        .collect::<Vec<_>>()
        .join(" + ");
    let main = view! {
        <h1>{heading.clone()}</h1>
        {(!paid.is_empty()).then(|| view! {
            <p>{t3(lang, "Paid by card: ", "Payé par carte : ", "Mit Karte bezahlt: ")}<strong>{paid.clone()}</strong>
            {(!refunded.is_empty()).then(|| format!(" · {}{refunded}", t3(lang, "refunded: ", "remboursé : ", "zurückerstattet: ")))}</p>
        })}
        <p class="rs-small">{t3(lang, "Keep this page's address: it is the way back to your tickets.", "Gardez l'adresse de cette page : elle vous ramène à vos billets.", "Bewahren Sie die Adresse dieser Seite auf: Sie führt zurück zu Ihren Tickets.")}</p>
        {sections}
    };
    let refresh = pending.then(|| "<meta http-equiv=\"refresh\" content=\"3\">".to_string());
    document(&q, heading, main, refresh)
}

fn tickets_unavailable(q: &Req) -> Response {
    page_error(
        q,
        StatusCode::SERVICE_UNAVAILABLE,
        t3(
            q.lang,
            "The tickets cannot be fetched right now; please try again in a moment.",
            "Les billets ne peuvent pas être obtenus pour le moment ; réessayez dans un instant.",
            "Die Tickets sind gerade nicht abrufbar; bitte gleich noch einmal versuchen.",
        ),
    )
}

async fn order_pdf(
    State(r): State<R>,
    headers: HeaderMap,
    session: Session,
    Path((checkout, inst)): Path<(String, String)>,
    Query(aq): Query<AccessQ>,
) -> Response {
    let q = req(r.clone(), &headers, session, aq.lang.as_deref()).await;
    let lang = q.lang;
    let token = aq.access.unwrap_or_default();
    if !plausible_id(&checkout, "co_") || !r.order_token_ok(&checkout, &token) {
        return invalid_order(&q);
    }
    let Ok(payments) = r.journal.checkout(&checkout) else {
        return invalid_order(&q);
    };
    let Some(part) = payments
        .iter()
        .filter(|p| p.state == "paid")
        .flat_map(|p| p.parts.iter())
        .find(|t| t.institution == inst && t.state == "closed")
    else {
        return invalid_order(&q);
    };
    let Some(institution) = r.institution(&inst) else {
        return invalid_order(&q);
    };
    let client = institution.tenant.catalog.client();
    let d = match client
        .get_order_details(s360::model::order::OrderId(part.order_id), None)
        .await
    {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "order for tickets");
            return tickets_unavailable(&q);
        }
    };
    let pdf = if institution.config.s360_pdf {
        let tickets = match shop::order::valid_tickets(&institution.tenant, part.order_id).await {
            Ok(t) => t,
            Err(e) => return shop_error(&q, &e),
        };
        match client
            .print_tickets(&s360::model::ticket::PrintTicketsRequest {
                ticket_ids: tickets.iter().map(|t| t.ticket_id).collect(),
                format: s360::model::ticket::PrintFormat::PdfA4,
                reprint: false,
            })
            .await
        {
            Ok(printed) => {
                use base64::Engine;
                match base64::engine::general_purpose::STANDARD.decode(printed.pdf_base64) {
                    Ok(b) => b,
                    Err(_) => return tickets_unavailable(&q),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "printTickets");
                return tickets_unavailable(&q);
            }
        }
    } else {
        let sheet = match shop::order::ticket_sheet(&institution.tenant, &d, lang).await {
            Ok(s) => s,
            Err(e) => return shop_error(&q, &e),
        };
        (r.render_tickets)(&sheet, r.logo_svg.as_deref())
    };
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"tickets-{}-{}.pdf\"",
                    inst.to_ascii_lowercase(),
                    part.order_id
                ),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        pdf,
    )
        .into_response()
}

// -------------------------------------------------------------------------------------------
// The back office

/// The back-office login's limits: failed attempts per name, and password checks at once.
pub struct OfficeGuard {
    failures: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, u32)>>,
    verifying: tokio::sync::Semaphore,
}

const OFFICE_MAX_FAILURES: u32 = 5;
const OFFICE_LOCKOUT: std::time::Duration = std::time::Duration::from_secs(60);

impl Default for OfficeGuard {
    fn default() -> Self {
        OfficeGuard {
            failures: Default::default(),
            verifying: tokio::sync::Semaphore::new(2),
        }
    }
}

impl OfficeGuard {
    /// Counts an attempt for `name`; `false` while it is locked.
    fn attempt(&self, name: &str) -> bool {
        let mut f = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = std::time::Instant::now();
        f.retain(|_, (since, _)| now.duration_since(*since) < OFFICE_LOCKOUT);
        let entry = f.entry(name.to_string()).or_insert((now, 0));
        if entry.1 >= OFFICE_MAX_FAILURES {
            return false;
        }
        entry.1 += 1;
        true
    }

    fn succeeded(&self, name: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
    }
}

fn staff_key(r: &Reseller) -> String {
    format!("reseller.{}.staff", r.config.code)
}

#[derive(Deserialize, Default)]
struct StatementQ {
    lang: Option<String>,
    institution: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// The statement's period: `from` and `to` inclusive days (UTC), this month by default.
fn period(sq: &StatementQ) -> (chrono::NaiveDate, chrono::NaiveDate) {
    use chrono::Datelike;
    let today = chrono::Utc::now().date_naive();
    let first = today.with_day(1).unwrap_or(today);
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    };
    let from = parse(&sq.from).unwrap_or(first);
    let to = parse(&sq.to).unwrap_or(today).max(from);
    (from, to)
}

fn day_ms(d: chrono::NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or(0)
}

struct Line {
    done: String,
    institution: String,
    order_id: i64,
    intent: String,
    kind: &'static str,
    amount_minor: i64,
    currency: String,
}

fn statement(
    r: &Reseller,
    sq: &StatementQ,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate, Vec<Line>), String> {
    let (from, to) = period(sq);
    let inst = sq
        .institution
        .as_deref()
        .filter(|c| r.institution(c).is_some());
    let rows = r
        .journal
        .final_parts(inst, day_ms(from), day_ms(to + chrono::Days::new(1)))
        .map_err(|e| e.to_string())?;
    Ok((
        from,
        to,
        rows.into_iter()
            .map(|(p, t)| Line {
                done: chrono::DateTime::from_timestamp_millis(t.done_ms.unwrap_or(0))
                    .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_default(),
                institution: t.institution,
                order_id: t.order_id,
                intent: p.intent_id,
                kind: if t.state == "closed" {
                    "closed"
                } else {
                    "refunded"
                },
                amount_minor: t.amount_minor,
                currency: p.currency,
            })
            .collect(),
    ))
}

async fn office(
    State(r): State<R>,
    headers: HeaderMap,
    session: Session,
    Query(sq): Query<StatementQ>,
) -> Response {
    let q = req(r.clone(), &headers, session, sq.lang.as_deref()).await;
    let staff: Option<String> = q.session.get(&staff_key(&r)).await.ok().flatten();
    match staff {
        None => office_login_page(&q, None, StatusCode::OK),
        Some(name) => office_statement(&q, &name, &sq),
    }
}

fn office_login_page(q: &Req, error: Option<String>, status: StatusCode) -> Response {
    let lang = q.lang;
    let main = view! {
        <h1>{t3(lang, "Back office", "Back-office", "Backoffice")}</h1>
        {error.map(|e| view! { <p role="alert" class="rs-error">{e}</p> })}
        <form method="post" action="/office/login" class="rs-form">
            <label for="user">{t3(lang, "User name", "Nom d'utilisateur", "Benutzername")}</label>
            <input id="user" name="user" autocomplete="username" required/>
            <label for="password">{t3(lang, "Password", "Mot de passe", "Passwort")}</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required/>
            <button type="submit" class="rs-button">{t3(lang, "Sign in", "Se connecter", "Anmelden")}</button>
        </form>
    };
    let mut resp = document(
        q,
        t3(lang, "Back office", "Back-office", "Backoffice"),
        main,
        None,
    );
    *resp.status_mut() = status;
    resp
}

fn office_statement(q: &Req, name: &str, sq: &StatementQ) -> Response {
    let lang = q.lang;
    let r = &q.r;
    let (from, to, lines) = match statement(r, sq) {
        Ok(x) => x,
        Err(e) => return page_error(q, StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let mut totals: BTreeMap<(String, String), (usize, i64, usize, i64)> = BTreeMap::new();
    for l in &lines {
        let e = totals
            .entry((l.institution.clone(), l.currency.clone()))
            .or_default();
        if l.kind == "closed" {
            e.0 += 1;
            e.1 += l.amount_minor;
        } else {
            e.2 += 1;
            e.3 += l.amount_minor;
        }
    }
    let summary = totals
        .iter()
        .map(|((inst, cur), (n, owed, rn, refunded))| view! {
            <tr><th scope="row">{inst.clone()}</th><td>{*n}</td><td>{format_minor(*owed, cur, lang)}</td><td>{*rn}</td><td>{format_minor(*refunded, cur, lang)}</td></tr>
        })
        .collect_view();
    let rows = lines
        .iter()
        .map(|l| view! {
            <tr><td>{l.done.clone()}</td><td>{l.institution.clone()}</td><td>{l.order_id}</td><td>{if l.kind == "closed" { t3(lang, "pending account", "compte en attente", "offenes Konto") } else { t3(lang, "refunded", "remboursé", "zurückerstattet") }}</td><td>{format_minor(l.amount_minor, &l.currency, lang)}</td><td><code>{l.intent.clone()}</code></td></tr>
        })
        .collect_view();
    let inst_opts = r
        .institutions
        .iter()
        .map(|i| {
            let sel = sq.institution.as_deref() == Some(i.config.code.as_str());
            view! { <option value=i.config.code.clone() selected=sel>{i.config.code.clone()}</option> }
        })
        .collect_view();
    let csv = format!(
        "/office/statement.csv?from={from}&to={to}{}",
        sq.institution
            .as_deref()
            .map(|i| format!("&institution={}", shop::model::url_encode(i)))
            .unwrap_or_default()
    );
    let main = view! {
        <h1>{t3(lang, "Statement", "Relevé", "Abrechnung")}</h1>
        <p>{t3(lang, "Signed in as ", "Connecté en tant que ", "Angemeldet als ")}{name.to_string()}</p>
        <form method="post" action="/office/logout"><button type="submit" class="rs-link">{t3(lang, "Sign out", "Se déconnecter", "Abmelden")}</button></form>
        <form method="get" action="/office" class="rs-filters">
            <label>{t3(lang, "Institution", "Institution", "Institution")}<select name="institution"><option value="">{t3(lang, "All", "Toutes", "Alle")}</option>{inst_opts}</select></label>
            <label>{t3(lang, "From", "Du", "Von")}<input type="date" name="from" value=from.to_string()/></label>
            <label>{t3(lang, "To", "Au", "Bis")}<input type="date" name="to" value=to.to_string()/></label>
            <button type="submit">{t3(lang, "Show", "Afficher", "Anzeigen")}</button>
        </form>
        <h2>{t3(lang, "What we owe each institution", "Ce que nous devons à chaque institution", "Was wir jeder Institution schulden")}</h2>
        <table class="rs-table">
            <thead><tr><th scope="col">{t3(lang, "Institution", "Institution", "Institution")}</th><th scope="col">{t3(lang, "Orders closed", "Commandes conclues", "Abgeschlossene Bestellungen")}</th><th scope="col">{t3(lang, "Pending account", "Compte en attente", "Offenes Konto")}</th><th scope="col">{t3(lang, "Refunds", "Remboursements", "Rückerstattungen")}</th><th scope="col">{t3(lang, "Refunded", "Remboursé", "Zurückerstattet")}</th></tr></thead>
            <tbody>{summary}</tbody>
        </table>
        <h2>{t3(lang, "Orders", "Commandes", "Bestellungen")}</h2>
        <table class="rs-table">
            <thead><tr><th scope="col">{t3(lang, "When (UTC)", "Quand (UTC)", "Wann (UTC)")}</th><th scope="col">{t3(lang, "Institution", "Institution", "Institution")}</th><th scope="col">{t3(lang, "S-360 order", "Commande S-360", "S-360-Bestellung")}</th><th scope="col">{t3(lang, "Counted as", "Compté comme", "Gebucht als")}</th><th scope="col">{t3(lang, "Amount", "Montant", "Betrag")}</th><th scope="col">{t3(lang, "Card payment", "Paiement par carte", "Kartenzahlung")}</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <p><a class="rs-button" href=csv>{t3(lang, "Download as CSV", "Télécharger en CSV", "Als CSV herunterladen")}</a></p>
    };
    document(q, t3(lang, "Statement", "Relevé", "Abrechnung"), main, None)
}

#[derive(Deserialize)]
struct LoginForm {
    user: String,
    password: String,
}

async fn office_login(
    State(r): State<R>,
    headers: HeaderMap,
    session: Session,
    Form(f): Form<LoginForm>,
) -> Response {
    let q = req(r.clone(), &headers, session, None).await;
    let lang = q.lang;
    let refused = || {
        office_login_page(
            &q,
            Some(t3(
                lang,
                "Wrong user name or password.",
                "Nom d'utilisateur ou mot de passe incorrect.",
                "Benutzername oder Passwort falsch.",
            )),
            StatusCode::UNAUTHORIZED,
        )
    };
    if f.user.len() > 100 || f.password.len() > 200 {
        return refused();
    }
    // five failed attempts per name lock it for a minute, counted before the check (so
    // parallel attempts cannot pass it); two checks at a time (each takes 19 MiB)
    if !r.office.attempt(&f.user) {
        let mut resp = office_login_page(
            &q,
            Some(t3(
                lang,
                "Too many attempts: wait a minute, then try again.",
                "Trop d'essais : attendez une minute, puis réessayez.",
                "Zu viele Versuche: Bitte eine Minute warten und erneut versuchen.",
            )),
            StatusCode::TOO_MANY_REQUESTS,
        );
        resp.headers_mut().insert(
            header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("60"),
        );
        return resp;
    }
    let Ok(_permit) = r.office.verifying.acquire().await else {
        return refused();
    };
    let staff = r.config.staff.iter().find(|s| s.name == f.user).cloned();
    let hash = staff.as_ref().map(|s| s.password_hash.clone());
    let password = f.password.clone();
    let ok = tokio::task::spawn_blocking(move || {
        use argon2::PasswordVerifier;
        // an unknown name costs the same as a known one
        let hash = hash.unwrap_or_else(|| "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$K7Ub4NLNn8zu4t1o+ab0CIlB+W7gXGmHDxkPbXAfO1c".into());
        argon2::PasswordHash::new(&hash)
            .ok()
            .is_some_and(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false);
    match (ok, staff) {
        (true, Some(s)) => {
            r.office.succeeded(&s.name);
            let _ = q.session.cycle_id().await;
            let _ = q.session.insert(&staff_key(&r), &s.name).await;
            Redirect::to("/office").into_response()
        }
        _ => {
            tracing::info!(user = %f.user, "back-office login refused");
            refused()
        }
    }
}

async fn office_logout(State(r): State<R>, session: Session) -> Response {
    let _ = session.remove::<String>(&staff_key(&r)).await;
    let _ = session.cycle_id().await;
    Redirect::to("/office").into_response()
}

async fn office_csv(
    State(r): State<R>,
    session: Session,
    Query(sq): Query<StatementQ>,
) -> Response {
    let staff: Option<String> = session.get(&staff_key(&r)).await.ok().flatten();
    if staff.is_none() {
        return (
            StatusCode::UNAUTHORIZED,
            "Sign in to the back office first.\n",
        )
            .into_response();
    }
    let (from, to, lines) = match statement(&r, &sq) {
        Ok(x) => x,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    };
    let mut out = String::from(
        "closed_at_utc,institution,s360_order,counted_as,amount,currency,card_payment\n",
    );
    for l in &lines {
        let amount = format!(
            "{}.{:02}",
            l.amount_minor / 100,
            (l.amount_minor % 100).abs()
        );
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            l.done,
            l.institution,
            l.order_id,
            if l.kind == "closed" {
                "PENDING_ACCOUNT"
            } else {
                "REFUNDED"
            },
            amount,
            l.currency,
            l.intent
        ));
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"statement-{}-{from}-{to}.csv\"",
                    r.config.code.to_ascii_lowercase()
                ),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        out,
    )
        .into_response()
}
