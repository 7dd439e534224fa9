//! The stewards' screens under `/gate` on the institution's host: a login separate from the
//! buyers' accounts, the choice of gate, the full-screen scan view (a form that works without
//! JavaScript; `/gate/gate.js` turns it into a scanner-speed screen with the camera), and the
//! head steward's overview. Server-rendered HTML, no hydration: a steward's phone loads the
//! page, one small script and the decoder only when the camera is used.

// the handlers' helpers return the early answer (a redirect, an error page) as their error
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::tachys::view::RenderHtml;
use rust_i18n::t;
use serde::{Deserialize, Serialize};
use shop::lang::Lang;
use shop::tenant::ShopState;
use tower_sessions::Session;

use crate::decide::NotValid;
use crate::{store, Decision, Gate, Outcome, Scanner};

/// The gates of every institution that has access control, and how a host finds its own.
#[derive(Clone)]
pub struct GateWeb {
    pub shop: ShopState,
    pub gates: Arc<HashMap<String, Arc<Gate>>>,
    failures: Arc<Mutex<HashMap<String, (Instant, u32)>>>,
    /// Password checks at once (each takes 19 MiB and a core for tens of milliseconds): a
    /// burst of logins waits here instead of taking the match-day server's memory.
    verifying: Arc<tokio::sync::Semaphore>,
}

impl GateWeb {
    pub fn new(shop: ShopState, gates: HashMap<String, Arc<Gate>>) -> Self {
        GateWeb {
            shop,
            gates: Arc::new(gates),
            failures: Arc::default(),
            verifying: Arc::new(tokio::sync::Semaphore::new(2)),
        }
    }
}

/// Failed logins per institution and user name before a minute's wait.
const MAX_FAILURES: u32 = 5;
const LOCKOUT: Duration = Duration::from_secs(60);
/// The longest code a scan may carry (barcodes are 20 digits; a QR code may carry more).
const MAX_CODE: usize = 256;
const SESSION_KEY: &str = "gate.steward";
const LANG_KEY: &str = "gate.lang";

pub fn router<S: Clone + Send + Sync + 'static>(web: GateWeb) -> Router<S> {
    Router::new()
        .route("/gate", get(index))
        .route("/gate/login", post(login))
        .route("/gate/logout", post(logout))
        .route("/gate/select", post(select))
        .route("/gate/scan", get(scan_page).post(scan_form))
        .route("/gate/api/scan", post(scan_api))
        .route("/gate/overview", get(overview))
        .route("/gate/overview/doors", post(doors))
        .route("/gate/overview/sync", post(sync_now))
        .with_state(web)
}

/// The steward logged in on this browser (one device).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Steward {
    institution: String,
    name: String,
    head: bool,
    gate: Option<String>,
    device: String,
}

/// What every handler starts from.
struct Req {
    gate: Arc<Gate>,
    /// The institution's shop (its catalog names the tariffs).
    tenant: Option<Arc<shop::tenant::Tenant>>,
    lang: Lang,
    steward: Option<Steward>,
    session: Session,
}

#[derive(Deserialize, Default)]
struct LangQuery {
    lang: Option<String>,
}

fn tr(key: &str, lang: Lang) -> String {
    t!(key, locale = lang.code()).into_owned()
}

async fn resolve(
    web: &GateWeb,
    headers: &HeaderMap,
    session: Session,
    asked: Option<&str>,
) -> Result<Req, Response> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let tenant = web.shop.tenant_for_host(host);
    let gate = tenant
        .as_ref()
        .and_then(|t| web.gates.get(&t.code))
        .cloned();
    let languages: Vec<Lang> = tenant
        .as_ref()
        .map(|t| t.languages.clone())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| vec![Lang::En, Lang::Fr, Lang::De]);
    let chosen = match asked.and_then(Lang::parse) {
        Some(l) => {
            let _ = session.insert(LANG_KEY, l.code()).await;
            Some(l)
        }
        None => session
            .get::<String>(LANG_KEY)
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
                .and_then(|h| Lang::from_accept_language(h, &[Lang::En, Lang::Fr, Lang::De]))
        })
        .unwrap_or(languages[0]);
    let Some(gate) = gate else {
        let body = document(
            lang,
            tr("gate.title", lang),
            view! { <main class="gate-page"><h1>{tr("gate.title", lang)}</h1><p role="alert" class="gate-error">{tr("gate.err.not_configured", lang)}</p></main> },
            false,
        );
        return Err((StatusCode::NOT_FOUND, body).into_response());
    };
    let steward = session
        .get::<Steward>(SESSION_KEY)
        .await
        .ok()
        .flatten()
        .filter(|s| s.institution == gate.institution);
    Ok(Req {
        gate,
        tenant,
        lang,
        steward,
        session,
    })
}

/// A whole page; never cached (a steward's screen shows live figures).
fn document(lang: Lang, title: String, main: impl IntoView + 'static, script: bool) -> Response {
    let html = view! {
        <html lang=lang.code()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="robots" content="noindex"/>
                <title>{title}</title>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" href="/gate/gate.css"/>
            </head>
            <body class="gate">
                {main}
                {script.then(|| view! { <script type="module" src="/gate/gate.js"></script> })}
            </body>
        </html>
    }
    .to_html();
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        format!("<!DOCTYPE html>{html}"),
    )
        .into_response()
}

fn language_links(lang: Lang, path: &'static str) -> impl IntoView {
    let links = [Lang::En, Lang::Fr, Lang::De]
        .into_iter()
        .map(|l| {
            let current = (l == lang).then_some("true");
            view! { <li><a href=format!("{path}?lang={}", l.code()) hreflang=l.code() lang=l.code() aria-current=current>{l.native_name()}</a></li> }
        })
        .collect_view();
    view! { <nav class="gate-langs" aria-label=tr("gate.language", lang)><ul>{links}</ul></nav> }
}

fn login_page(lang: Lang, error: Option<String>) -> Response {
    let main = view! {
        <main class="gate-page gate-login">
            <h1>{tr("gate.login.heading", lang)}</h1>
            {error.map(|e| view! { <p role="alert" class="gate-error">{e}</p> })}
            <form method="post" action="/gate/login" class="gate-form">
                <label for="gate-user">{tr("gate.login.user", lang)}</label>
                <input id="gate-user" name="user" autocomplete="username" required autofocus/>
                <label for="gate-password">{tr("gate.login.password", lang)}</label>
                <input id="gate-password" name="password" type="password" autocomplete="current-password" required/>
                <button type="submit">{tr("gate.login.submit", lang)}</button>
            </form>
            {language_links(lang, "/gate")}
        </main>
    };
    document(lang, tr("gate.login.heading", lang), main, false)
}

fn bar(gate: &Gate, steward: &Steward, lang: Lang, scanning: bool) -> impl IntoView {
    let gate_name = steward
        .gate
        .as_deref()
        .and_then(|g| gate.config.gate(g))
        .map(|g| g.name.clone());
    view! {
        <header class="gate-bar">
            <p class="gate-where">
                <span class="gate-institution">{gate.institution.clone()}</span>
                {gate_name.map(|n| view! { <strong class="gate-name">{n}</strong> })}
                <span class="gate-steward">{t!("gate.signed_in_as", locale = lang.code(), name = steward.name.clone()).into_owned()}</span>
            </p>
            <nav class="gate-actions">
                {scanning.then(|| view! { <a href="/gate?change=1">{tr("gate.change_gate", lang)}</a> })}
                {(!scanning).then(|| steward.gate.is_some().then(|| view! { <a href="/gate/scan">{tr("gate.back_to_scan", lang)}</a> }))}
                {steward.head.then(|| view! { <a href="/gate/overview">{tr("gate.overview", lang)}</a> })}
                <form method="post" action="/gate/logout"><button type="submit" class="gate-link">{tr("gate.logout", lang)}</button></form>
            </nav>
        </header>
    }
}

fn select_page(r: &Req, steward: &Steward, error: Option<String>) -> Response {
    let lang = r.lang;
    let gates = r
        .gate
        .config
        .gates
        .iter()
        .map(|g| {
            let checked = steward.gate.as_deref() == Some(g.code.as_str());
            let id = format!("gate-{}", g.code);
            view! {
                <li>
                    <input type="radio" name="gate" id=id.clone() value=g.code.clone() checked=checked required/>
                    <label for=id>{g.name.clone()}</label>
                </li>
            }
        })
        .collect_view();
    let main = view! {
        {bar(&r.gate, steward, lang, false)}
        <main class="gate-page gate-select">
            <h1>{tr("gate.select.heading", lang)}</h1>
            {error.map(|e| view! { <p role="alert" class="gate-error">{e}</p> })}
            <form method="post" action="/gate/select" class="gate-form">
                <fieldset>
                    <legend>{tr("gate.select.heading", lang)}</legend>
                    <ul class="gate-choices">{gates}</ul>
                </fieldset>
                <button type="submit">{tr("gate.select.submit", lang)}</button>
            </form>
            {language_links(lang, "/gate")}
        </main>
    };
    document(lang, tr("gate.select.heading", lang), main, false)
}

#[derive(Deserialize, Default)]
struct IndexQuery {
    lang: Option<String>,
    change: Option<String>,
}

async fn index(
    State(web): State<GateWeb>,
    Query(q): Query<IndexQuery>,
    headers: HeaderMap,
    session: Session,
) -> Response {
    let r = match resolve(&web, &headers, session, q.lang.as_deref()).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    match &r.steward {
        None => login_page(r.lang, None),
        Some(s) if s.gate.is_some() && q.change.is_none() => {
            Redirect::to("/gate/scan").into_response()
        }
        Some(s) => select_page(&r, s, None),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
}

/// A hash to check when the user name is unknown, so that the answer takes as long.
fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| crate::config::hash_password("not a password of anyone"))
}

async fn login(
    State(web): State<GateWeb>,
    headers: HeaderMap,
    session: Session,
    Form(f): Form<LoginForm>,
) -> Response {
    let r = match resolve(&web, &headers, session, None).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let lang = r.lang;
    let key = format!("{}/{}", r.gate.institution, f.user.trim().to_lowercase());
    {
        let mut failures = web.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.retain(|_, (at, _)| at.elapsed() < LOCKOUT);
        let tries = failures.entry(key.clone()).or_insert((Instant::now(), 0));
        if tries.1 >= MAX_FAILURES {
            let mut resp = login_page(lang, Some(tr("gate.login.locked", lang)));
            *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            return resp;
        }
        // counted before the check, so that parallel attempts cannot pass the limit; a
        // success takes it back
        tries.1 += 1;
    }
    let Ok(_permit) = web.verifying.acquire().await else {
        return (StatusCode::SERVICE_UNAVAILABLE, tr("gate.err.store", lang)).into_response();
    };
    let steward = r
        .gate
        .config
        .stewards
        .iter()
        .find(|s| s.name == f.user.trim())
        .cloned();
    let hash = steward
        .as_ref()
        .map_or_else(|| dummy_hash().to_string(), |s| s.password_hash.clone());
    let password = f.password.clone();
    let ok = tokio::task::spawn_blocking(move || crate::config::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let Some(steward) = steward.filter(|_| ok) else {
        tracing::warn!(institution = %r.gate.institution, "gate: failed steward login");
        let mut resp = login_page(lang, Some(tr("gate.login.bad", lang)));
        *resp.status_mut() = StatusCode::UNAUTHORIZED;
        return resp;
    };
    web.failures
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&key);
    // a new session id at login: a planted cookie does not become a steward's
    let _ = r.session.cycle_id().await;
    let device = format!("d{:08x}", rand::random::<u32>());
    let s = Steward {
        institution: r.gate.institution.clone(),
        name: steward.name,
        head: steward.head,
        gate: None,
        device,
    };
    if r.session.insert(SESSION_KEY, &s).await.is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, tr("gate.err.store", lang)).into_response();
    }
    Redirect::to("/gate").into_response()
}

async fn logout(State(web): State<GateWeb>, headers: HeaderMap, session: Session) -> Response {
    if let Ok(r) = resolve(&web, &headers, session, None).await {
        let _ = r.session.remove::<Steward>(SESSION_KEY).await;
    }
    Redirect::to("/gate").into_response()
}

#[derive(Deserialize)]
struct SelectForm {
    #[serde(default)]
    gate: String,
}

async fn select(
    State(web): State<GateWeb>,
    headers: HeaderMap,
    session: Session,
    Form(f): Form<SelectForm>,
) -> Response {
    let r = match resolve(&web, &headers, session, None).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let Some(mut s) = r.steward.clone() else {
        return Redirect::to("/gate").into_response();
    };
    if r.gate.config.gate(&f.gate).is_none() {
        let mut resp = select_page(&r, &s, Some(tr("gate.select.none", r.lang)));
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return resp;
    }
    s.gate = Some(f.gate);
    if r.session.insert(SESSION_KEY, &s).await.is_err() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            tr("gate.err.store", r.lang),
        )
            .into_response();
    }
    Redirect::to("/gate/scan").into_response()
}

/// A decision as the screen shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub outcome: &'static str,
    pub colour: &'static str,
    pub title: String,
    pub reason: String,
    pub hint: String,
    pub attention: bool,
    pub holder: Option<Vec<(String, String)>>,
}

fn local(gate: &Gate, t: DateTime<Utc>, lang: Lang, fmt: &str) -> String {
    t.with_timezone(&gate.time_zone())
        .format_localized(fmt, lang.chrono_locale())
        .to_string()
}

fn gate_names(gate: &Gate, codes: &[String], lang: Lang) -> String {
    codes
        .iter()
        .map(|c| gate.config.gate(c).map_or(c.clone(), |g| g.name.clone()))
        .collect::<Vec<_>>()
        .join(&tr("gate.r.or", lang))
}

/// A tariff's name in the steward's language, from the catalog (its code when unknown).
fn tariff_name(
    tenant: Option<&shop::tenant::Tenant>,
    season: &str,
    code: &str,
    lang: Lang,
) -> String {
    tenant
        .and_then(|t| shop::describe::snapshot(t).ok())
        .and_then(|snap| {
            let seasons = &snap.catalog.seasons;
            seasons
                .iter()
                .filter(|s| s.code == season)
                .chain(seasons.iter())
                .flat_map(|s| s.audience_categories.iter())
                .flat_map(|c| c.audience_sub_categories.iter())
                .find(|a| a.code == code)
                .map(|a| {
                    a.external_name
                        .best(lang.code(), &snap.pos.main_language)
                        .to_string()
                })
        })
        .unwrap_or_else(|| code.to_string())
}

pub fn shown(
    gate: &Gate,
    tenant: Option<&shop::tenant::Tenant>,
    d: &Decision,
    lang: Lang,
) -> Shown {
    let l = lang.code();
    let date_fmt = "%a %-d %b %Y %H:%M";
    let (title, reason, hint) = match &d.outcome {
        Outcome::Admitted { attention: false } => (
            tr("gate.r.admitted.title", lang),
            String::new(),
            tr("gate.r.admitted.hint", lang),
        ),
        Outcome::Admitted { attention: true } => (
            tr("gate.r.attention.title", lang),
            t!(
                "gate.r.attention.reason",
                locale = l,
                tariff = d.ticket.as_ref().map_or(String::new(), |t| tariff_name(
                    tenant,
                    &t.season_code,
                    &t.tariff,
                    lang
                ))
            )
            .into_owned(),
            tr("gate.r.attention.hint", lang),
        ),
        Outcome::AlreadyEntered { at, gate: g } => (
            tr("gate.r.already.title", lang),
            t!(
                "gate.r.already.reason",
                locale = l,
                time = local(gate, *at, lang, "%H:%M"),
                gate = gate_names(gate, std::slice::from_ref(g), lang)
            )
            .into_owned(),
            tr("gate.r.already.hint", lang),
        ),
        Outcome::WrongEntrance { entrance, gates } => {
            let names = if gates.is_empty() {
                t!("gate.r.wrong.entrance", locale = l, entrance = entrance).into_owned()
            } else {
                gate_names(gate, gates, lang)
            };
            (
                tr("gate.r.wrong.title", lang),
                t!("gate.r.wrong.reason", locale = l, gates = names).into_owned(),
                t!("gate.r.wrong.hint", locale = l, gates = names).into_owned(),
            )
        }
        Outcome::Cancelled { cause } => {
            let key = format!("gate.r.cancelled.{cause}");
            let reason = match cause.as_str() {
                "CANCELLED" | "REFUNDED" | "STOLEN" | "TECHNICAL" => tr(&key, lang),
                _ => t!("gate.r.cancelled.other", locale = l, cause = cause).into_owned(),
            };
            (
                tr("gate.r.cancelled.title", lang),
                reason,
                tr("gate.r.cancelled.hint", lang),
            )
        }
        Outcome::Invalidated => (
            tr("gate.r.invalidated.title", lang),
            tr("gate.r.invalidated.reason", lang),
            tr("gate.r.invalidated.hint", lang),
        ),
        Outcome::NotValidNow { why } => {
            let reason = match why {
                NotValid::OtherEvent {
                    name: Some(name),
                    start: Some(start),
                    ..
                } => t!(
                    "gate.r.notnow.other",
                    locale = l,
                    event = name,
                    date = local(gate, start.with_timezone(&Utc), lang, date_fmt)
                )
                .into_owned(),
                NotValid::OtherEvent { performance, .. } => {
                    t!("gate.r.notnow.other_code", locale = l, code = performance).into_owned()
                }
                NotValid::Before { from } => t!(
                    "gate.r.notnow.before",
                    locale = l,
                    date = local(gate, from.with_timezone(&Utc), lang, date_fmt)
                )
                .into_owned(),
                NotValid::After { until } => t!(
                    "gate.r.notnow.after",
                    locale = l,
                    date = local(gate, until.with_timezone(&Utc), lang, date_fmt)
                )
                .into_owned(),
            };
            (
                tr("gate.r.notnow.title", lang),
                reason,
                tr("gate.r.notnow.hint", lang),
            )
        }
        Outcome::Unknown => (
            tr("gate.r.unknown.title", lang),
            tr("gate.r.unknown.reason", lang),
            tr("gate.r.unknown.hint", lang),
        ),
    };
    let attention = matches!(d.outcome, Outcome::Admitted { attention: true });
    let holder = d.ticket.as_ref().map(|t| {
        let mut rows = vec![(tr("gate.holder.ticket", lang), t.tax_number.clone())];
        let seat = [&t.block_code, &t.row_number, &t.seat_number]
            .iter()
            .filter_map(|x| x.as_deref())
            .collect::<Vec<_>>()
            .join(" · ");
        if !seat.is_empty() {
            rows.push((tr("gate.holder.seat", lang), seat));
        }
        if attention {
            if let Some(n) = t.holder.full_name() {
                rows.push((tr("gate.holder.name", lang), n));
            }
            if let Some(b) = &t.holder.birthdate {
                rows.push((tr("gate.holder.born", lang), b.clone()));
            }
            if let Some(i) = &t.holder.id_number {
                rows.push((tr("gate.holder.id", lang), i.clone()));
            }
            if let Some(c) = &t.holder.country_code {
                rows.push((tr("gate.holder.country", lang), c.clone()));
            }
        }
        rows
    });
    Shown {
        outcome: d.outcome.code(),
        colour: d.outcome.colour(),
        title,
        reason,
        hint,
        attention,
        holder,
    }
}

fn counters_view(gate: &Gate, code: &str, lang: Lang) -> impl IntoView {
    let (admitted, refused, inside) = gate.counters(code);
    view! {
        <dl id="gate-counters" class="gate-counters">
            <div><dt>{tr("gate.counters.admitted", lang)}</dt><dd data-counter="admitted">{admitted}</dd></div>
            <div><dt>{tr("gate.counters.refused", lang)}</dt><dd data-counter="refused">{refused}</dd></div>
            <div><dt>{tr("gate.counters.inside", lang)}</dt><dd data-counter="inside">{inside}</dd></div>
        </dl>
    }
}

fn scan_view(r: &Req, steward: &Steward, shown: Option<Shown>, error: Option<String>) -> Response {
    let lang = r.lang;
    let code = steward.gate.clone().unwrap_or_default();
    let open = r.gate.open_performances();
    let doors = if open.is_empty() {
        tr("gate.scan.doors_closed", lang)
    } else {
        t!(
            "gate.scan.doors_open",
            locale = lang.code(),
            events = open
                .iter()
                .map(|p| format!(
                    "{} ({})",
                    p.name,
                    local(&r.gate, p.start.with_timezone(&Utc), lang, "%H:%M")
                ))
                .collect::<Vec<_>>()
                .join(", ")
        )
        .into_owned()
    };
    let (class, outcome, title, reason, hint, holder) = match (shown, error) {
        (_, Some(e)) => (
            "scan-result scan-red",
            "error".to_string(),
            e,
            String::new(),
            tr("gate.scan.ready_hint", lang),
            None,
        ),
        (Some(s), None) => (
            match s.colour {
                "green" => "scan-result scan-green",
                "amber" => "scan-result scan-amber",
                _ => "scan-result scan-red",
            },
            s.outcome.to_string(),
            s.title,
            s.reason,
            s.hint,
            s.holder,
        ),
        (None, None) => (
            "scan-result scan-idle",
            String::new(),
            tr("gate.scan.ready", lang),
            doors.clone(),
            tr("gate.scan.ready_hint", lang),
            None,
        ),
    };
    let holder = holder
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| view! { <div><dt>{k}</dt><dd>{v}</dd></div> })
        .collect_view();
    let main = view! {
        {bar(&r.gate, steward, lang, true)}
        <main class="gate-scan" data-lang=lang.code()>
            <section id="scan-result" class=class role="status" aria-live="assertive" aria-atomic="true" data-outcome=outcome data-msg-offline=tr("gate.err.offline", lang)>
                <p class="scan-title">{title}</p>
                <p class="scan-reason">{reason}</p>
                <p class="scan-hint">{hint}</p>
                <dl class="scan-holder">{holder}</dl>
            </section>
            <form id="scan-form" method="post" action="/gate/scan">
                <label for="scan-code">{tr("gate.scan.label", lang)}</label>
                <div class="scan-entry">
                    <input id="scan-code" name="code" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength=MAX_CODE.to_string() autofocus required/>
                    <button type="submit">{tr("gate.scan.submit", lang)}</button>
                </div>
            </form>
            <section class="scan-camera">
                <button id="camera-start" type="button" hidden>{tr("gate.camera.start", lang)}</button>
                <button id="camera-stop" type="button" hidden>{tr("gate.camera.stop", lang)}</button>
                <video id="camera-video" playsinline muted hidden></video>
                <p id="camera-status"
                    data-msg-starting=tr("gate.camera.starting", lang)
                    data-msg-scanning=tr("gate.camera.scanning", lang)
                    data-msg-denied=tr("gate.camera.denied", lang)
                    data-msg-unsupported=tr("gate.camera.unsupported", lang)
                    data-msg-failed=tr("gate.camera.failed", lang)></p>
            </section>
            <p class="scan-doors">{doors}</p>
            {counters_view(&r.gate, &code, lang)}
        </main>
    };
    document(lang, tr("gate.title", lang), main, true)
}

/// The steward and gate of a scanning screen, or where to go instead.
fn scanning(r: &Req) -> Result<(Steward, String), Response> {
    match &r.steward {
        Some(s) => match s.gate.clone().filter(|g| r.gate.config.gate(g).is_some()) {
            Some(g) => Ok((s.clone(), g)),
            None => Err(Redirect::to("/gate").into_response()),
        },
        None => Err(Redirect::to("/gate").into_response()),
    }
}

async fn scan_page(
    State(web): State<GateWeb>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    session: Session,
) -> Response {
    let r = match resolve(&web, &headers, session, q.lang.as_deref()).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    match scanning(&r) {
        Ok((s, _)) => scan_view(&r, &s, None, None),
        Err(resp) => resp,
    }
}

#[derive(Deserialize)]
struct ScanForm {
    #[serde(default)]
    code: String,
}

fn check_code(code: &str, lang: Lang) -> Result<(), String> {
    let code = code.trim();
    if code.is_empty() || code.len() > MAX_CODE || code.chars().any(char::is_control) {
        return Err(tr("gate.err.empty", lang));
    }
    Ok(())
}

async fn decide_for(r: &Req, steward: &Steward, gate: String, code: &str) -> Result<Decision, ()> {
    let who = Scanner {
        gate,
        device: steward.device.clone(),
        steward: steward.name.clone(),
    };
    let g = r.gate.clone();
    let code = code.to_string();
    // SQLite is synchronous: off the async workers
    match tokio::task::spawn_blocking(move || g.scan(&who, &code)).await {
        Ok(Ok(d)) => Ok(d),
        Ok(Err(e)) => {
            tracing::error!(institution = %r.gate.institution, error = %e, "gate: a scan could not be recorded");
            Err(())
        }
        Err(e) => {
            tracing::error!(error = %e, "gate: the scan task failed");
            Err(())
        }
    }
}

async fn scan_form(
    State(web): State<GateWeb>,
    headers: HeaderMap,
    session: Session,
    Form(f): Form<ScanForm>,
) -> Response {
    let r = match resolve(&web, &headers, session, None).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let (s, gate) = match scanning(&r) {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    if let Err(e) = check_code(&f.code, r.lang) {
        let mut resp = scan_view(&r, &s, None, Some(e));
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return resp;
    }
    match decide_for(&r, &s, gate, &f.code).await {
        Ok(d) => scan_view(
            &r,
            &s,
            Some(shown(&r.gate, r.tenant.as_deref(), &d, r.lang)),
            None,
        ),
        Err(()) => {
            let mut resp = scan_view(&r, &s, None, Some(tr("gate.err.store", r.lang)));
            *resp.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            resp
        }
    }
}

#[derive(Deserialize)]
struct ScanJson {
    #[serde(default)]
    code: String,
}

#[derive(Serialize)]
struct ScanAnswer {
    #[serde(flatten)]
    shown: Shown,
    counters: Counters,
}

#[derive(Serialize)]
struct Counters {
    admitted: i64,
    refused: i64,
    inside: i64,
}

fn json_error(status: StatusCode, message: String) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(serde_json::json!({ "error": message })),
    )
        .into_response()
}

async fn scan_api(
    State(web): State<GateWeb>,
    headers: HeaderMap,
    session: Session,
    body: axum::body::Bytes,
) -> Response {
    let r = match resolve(&web, &headers, session, None).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let Ok(body) = serde_json::from_slice::<ScanJson>(&body) else {
        return json_error(StatusCode::BAD_REQUEST, tr("gate.err.empty", r.lang));
    };
    let (s, gate) = match (&r.steward, r.steward.as_ref().and_then(|s| s.gate.clone())) {
        (Some(s), Some(g)) if r.gate.config.gate(&g).is_some() => (s.clone(), g),
        _ => return json_error(StatusCode::UNAUTHORIZED, tr("gate.err.session", r.lang)),
    };
    if let Err(e) = check_code(&body.code, r.lang) {
        return json_error(StatusCode::BAD_REQUEST, e);
    }
    match decide_for(&r, &s, gate.clone(), &body.code).await {
        Ok(d) => {
            let (admitted, refused, inside) = r.gate.counters(&gate);
            (
                [(header::CACHE_CONTROL, "no-store")],
                Json(ScanAnswer {
                    shown: shown(&r.gate, r.tenant.as_deref(), &d, r.lang),
                    counters: Counters {
                        admitted,
                        refused,
                        inside,
                    },
                }),
            )
                .into_response()
        }
        Err(()) => json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            tr("gate.err.store", r.lang),
        ),
    }
}

fn head_only(r: &Req) -> Result<Steward, Response> {
    match &r.steward {
        Some(s) if s.head => Ok(s.clone()),
        Some(_) => {
            let lang = r.lang;
            let main = view! { <main class="gate-page"><h1>{tr("gate.overview", lang)}</h1><p role="alert" class="gate-error">{tr("gate.err.head_only", lang)}</p><p><a href="/gate">{tr("gate.back_to_scan", lang)}</a></p></main> };
            let mut resp = document(lang, tr("gate.overview", lang), main, false);
            *resp.status_mut() = StatusCode::FORBIDDEN;
            Err(resp)
        }
        None => Err(Redirect::to("/gate").into_response()),
    }
}

fn overview_page(r: &Req, steward: &Steward, message: Option<(bool, String)>) -> Response {
    let lang = r.lang;
    let g = &r.gate;
    let now = g.now();
    let never = tr("gate.ov.never", lang);
    let when = |t: Option<DateTime<Utc>>| {
        t.map_or(never.clone(), |t| {
            local(g, t, lang, "%a %-d %b %Y %H:%M:%S %Z")
        })
    };
    let meta_ts = |k: &str| {
        g.store()
            .meta(k)
            .ok()
            .flatten()
            .and_then(|v| store::parse_ts(&v))
    };
    let (total, valid) = g.store().ticket_count().unwrap_or((0, 0));
    let (pending, reported, refused) = g.store().report_counts().unwrap_or((0, 0, 0));
    let cursor_age = g
        .store()
        .cursors()
        .unwrap_or_default()
        .iter()
        .filter_map(|c| store::parse_ts(&c.updated_at))
        .min()
        .map(|t| {
            let mins = now.signed_duration_since(t).num_minutes().max(0);
            format!("{mins} min")
        })
        .unwrap_or_else(|| never.clone());
    let last_error = g
        .store()
        .meta("last_error")
        .ok()
        .flatten()
        .map(|e| format!("{} ({})", e, when(meta_ts("last_error_at"))))
        .unwrap_or_else(|| tr("gate.ov.none", lang));
    let mode = if g.event_day() {
        tr("gate.ov.mode_event", lang)
    } else {
        tr("gate.ov.mode_leadup", lang)
    };
    let rows: Vec<(String, String)> = vec![
        (tr("gate.ov.last_export", lang), when(g.last_export())),
        (tr("gate.ov.cursor_age", lang), cursor_age),
        (
            tr("gate.ov.tickets", lang),
            t!(
                "gate.ov.tickets_value",
                locale = lang.code(),
                valid = valid,
                total = total
            )
            .into_owned(),
        ),
        (tr("gate.ov.pending", lang), pending.to_string()),
        (tr("gate.ov.reported", lang), reported.to_string()),
        (tr("gate.ov.refused", lang), refused.to_string()),
        (
            tr("gate.ov.last_report", lang),
            when(meta_ts("last_report_at")),
        ),
        (tr("gate.ov.last_error", lang), last_error),
        (tr("gate.ov.mode", lang), mode),
        (
            tr("gate.ov.time_zone", lang),
            g.time_zone().name().to_string(),
        ),
    ];
    let state = rows
        .into_iter()
        .map(|(k, v)| view! { <tr><th scope="row">{k}</th><td>{v}</td></tr> })
        .collect_view();
    let perfs = g.store().performances().unwrap_or_default();
    let open = g.open_performances();
    let perf_label = |p: &store::Performance| {
        format!(
            "{} · {}",
            p.name,
            local(g, p.start.with_timezone(&Utc), lang, "%a %-d %b %Y %H:%M")
        )
    };
    let open_list = if open.is_empty() {
        view! { <p>{tr("gate.ov.none_open", lang)}</p> }.into_any()
    } else {
        let items = open
            .iter()
            .map(|p| {
                view! {
                    <li>
                        <span>{perf_label(p)}</span>
                        <form method="post" action="/gate/overview/doors" class="gate-inline">
                            <input type="hidden" name="performance" value=p.code.clone()/>
                            <input type="hidden" name="action" value="close"/>
                            <button type="submit" class="gate-secondary">{tr("gate.ov.close", lang)}</button>
                        </form>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="gate-open">{items}</ul> }.into_any()
    };
    // upcoming first: what a head steward opens is today's or the next event
    let today = now.with_timezone(&g.time_zone()).date_naive();
    let options = perfs
        .iter()
        .filter(|p| p.start.with_timezone(&g.time_zone()).date_naive() >= today)
        .chain(
            perfs
                .iter()
                .filter(|p| p.start.with_timezone(&g.time_zone()).date_naive() < today),
        )
        .map(|p| view! { <option value=p.code.clone()>{perf_label(p)}</option> })
        .collect_view();
    let doors_form = if perfs.is_empty() {
        view! { <p>{tr("gate.ov.no_events", lang)}</p> }.into_any()
    } else {
        view! {
            <form method="post" action="/gate/overview/doors" class="gate-form">
                <label for="doors-performance">{tr("gate.ov.open_for", lang)}</label>
                <select id="doors-performance" name="performance">{options}</select>
                <input type="hidden" name="action" value="open"/>
                <button type="submit">{tr("gate.ov.open", lang)}</button>
            </form>
        }
        .into_any()
    };
    let counts = g.today();
    let gates = g
        .config
        .gates
        .iter()
        .map(|gd| {
            let c = counts.get(&gd.code).copied().unwrap_or_default();
            view! { <tr><th scope="row">{gd.name.clone()}</th><td>{c.0}</td><td>{c.1}</td></tr> }
        })
        .collect_view();
    let recent = g
        .store()
        .scans(20)
        .unwrap_or_default()
        .into_iter()
        .map(|s| {
            let gate_name = g
                .config
                .gate(&s.gate)
                .map_or(s.gate.clone(), |x| x.name.clone());
            view! {
                <tr>
                    <td>{local(g, s.at, lang, "%H:%M:%S")}</td>
                    <td>{gate_name}</td>
                    <td>{s.steward}</td>
                    <td class="gate-code">{s.input}</td>
                    <td data-outcome=s.outcome.clone()>{s.outcome.replace('_', " ")}</td>
                </tr>
            }
        })
        .collect_view();
    let main = view! {
        {bar(g, steward, lang, false)}
        <main class="gate-page gate-overview">
            <h1>{tr("gate.overview", lang)}</h1>
            {message.map(|(ok, m)| view! { <p role=if ok { "status" } else { "alert" } class=if ok { "gate-ok" } else { "gate-error" }>{m}</p> })}
            <section aria-labelledby="ov-doors">
                <h2 id="ov-doors">{tr("gate.ov.doors", lang)}</h2>
                {open_list}
                {doors_form}
            </section>
            <section aria-labelledby="ov-sync">
                <h2 id="ov-sync">{tr("gate.ov.sync", lang)}</h2>
                <table data-testid="sync-state" class="gate-table"><tbody>{state}</tbody></table>
                <form method="post" action="/gate/overview/sync"><button type="submit">{tr("gate.ov.sync_now", lang)}</button></form>
            </section>
            <section aria-labelledby="ov-gates">
                <h2 id="ov-gates">{tr("gate.ov.gates", lang)}</h2>
                <table class="gate-table" data-testid="gate-counts">
                    <thead><tr><th scope="col">{tr("gate.ov.gate", lang)}</th><th scope="col">{tr("gate.counters.admitted", lang)}</th><th scope="col">{tr("gate.counters.refused", lang)}</th></tr></thead>
                    <tbody>{gates}</tbody>
                </table>
            </section>
            <section aria-labelledby="ov-recent">
                <h2 id="ov-recent">{tr("gate.ov.recent", lang)}</h2>
                <table class="gate-table">
                    <thead><tr><th scope="col">{tr("gate.ov.time", lang)}</th><th scope="col">{tr("gate.ov.gate", lang)}</th><th scope="col">{tr("gate.ov.steward", lang)}</th><th scope="col">{tr("gate.ov.code", lang)}</th><th scope="col">{tr("gate.ov.result", lang)}</th></tr></thead>
                    <tbody>{recent}</tbody>
                </table>
            </section>
        </main>
    };
    document(lang, tr("gate.overview", lang), main, false)
}

async fn overview(
    State(web): State<GateWeb>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    session: Session,
) -> Response {
    let r = match resolve(&web, &headers, session, q.lang.as_deref()).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    match head_only(&r) {
        Ok(s) => overview_page(&r, &s, None),
        Err(resp) => resp,
    }
}

#[derive(Deserialize)]
struct DoorsForm {
    #[serde(default)]
    performance: String,
    #[serde(default)]
    action: String,
}

async fn doors(
    State(web): State<GateWeb>,
    headers: HeaderMap,
    session: Session,
    Form(f): Form<DoorsForm>,
) -> Response {
    let r = match resolve(&web, &headers, session, None).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let s = match head_only(&r) {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let known = r
        .gate
        .store()
        .performances()
        .unwrap_or_default()
        .iter()
        .any(|p| p.code == f.performance);
    if !known || !matches!(f.action.as_str(), "open" | "close") {
        let mut resp = overview_page(
            &r,
            &s,
            Some((false, tr("gate.err.unknown_performance", r.lang))),
        );
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return resp;
    }
    if let Err(e) = r.gate.set_doors(&f.performance, f.action == "open") {
        tracing::error!(error = %e, "gate: doors not saved");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            tr("gate.err.store", r.lang),
        )
            .into_response();
    }
    tracing::info!(institution = %r.gate.institution, steward = %s.name, performance = %f.performance, action = %f.action, "gate: doors");
    Redirect::to("/gate/overview").into_response()
}

async fn sync_now(State(web): State<GateWeb>, headers: HeaderMap, session: Session) -> Response {
    let r = match resolve(&web, &headers, session, None).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let s = match head_only(&r) {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let lang = r.lang;
    let recent = r
        .gate
        .store()
        .meta("last_export_attempt_at")
        .ok()
        .flatten()
        .and_then(|v| store::parse_ts(&v))
        .is_some_and(|t| r.gate.now().signed_duration_since(t) < chrono::Duration::seconds(60));
    if recent {
        let mut resp = overview_page(&r, &s, Some((false, tr("gate.ov.too_soon", lang))));
        *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        return resp;
    }
    let result = r.gate.export_now().await;
    // the controls go out with it when there are some
    let _ = r.gate.report_if_due().await;
    match result {
        Ok(rep) => overview_page(
            &r,
            &s,
            Some((
                true,
                t!(
                    "gate.ov.synced",
                    locale = lang.code(),
                    items = rep.items,
                    calls = rep.calls
                )
                .into_owned(),
            )),
        ),
        Err(e) => {
            let mut resp = overview_page(
                &r,
                &s,
                Some((
                    false,
                    t!(
                        "gate.ov.sync_failed",
                        locale = lang.code(),
                        error = e.to_string()
                    )
                    .into_owned(),
                )),
            );
            *resp.status_mut() = StatusCode::BAD_GATEWAY;
            resp
        }
    }
}
