//! Server-only services the pages use: the tenants (one per institution) and their caches.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use leptos::prelude::*;
use rust_i18n::t;
use s360::client::{AvailabilityCache, CatalogCache, CatalogSnapshot};
use s360::model::availability::{AvailabilityItem, AvailabilityLevel, DEFAULT_ALERT_RATIO_PERCENT};
use s360::model::catalog::{Product, ProductFamilyType};

use crate::i18n::Lang;
use crate::model::Branding;

/// One institution's shop.
#[derive(Debug)]
pub struct Tenant {
    pub code: String,
    /// Host names that select this tenant (`mosa.localhost`, `tickets.mosa.ch`).
    pub hosts: Vec<String>,
    pub branding: Branding,
    /// Languages offered, the first being the default when the buyer's browser asks for none.
    pub languages: Vec<Lang>,
    pub catalog: Arc<CatalogCache>,
    availability: OnceLock<AvailabilityCache>,
    pub availability_max_age: Duration,
    /// The shop's configured public origin (`https://tickets.mosa.ch`): URLs handed to S-360
    /// (payment return and notification, login redirect) are built on it. `None`: from the
    /// request's `Host` (local development). Set with [`Tenant::with_public_origin`].
    pub public_origin: Option<String>,
    /// Without a public origin, whether a proxy's `X-Forwarded-Proto: https` is believed.
    pub trust_forwarded_proto: bool,
    /// The payments this shop started for the institution (kept across restarts when the
    /// server gives a durable registry, see [`Tenant::with_payments`]).
    pub payments: Arc<dyn crate::purchase::PaymentRegistry>,
    /// The programme formatted per language (see [`crate::programme`]).
    pub programme: crate::programme::ProgrammeCache,
    /// Signs the order links (see [`Tenant::order_link_token`]).
    link_key: LinkKey,
    /// Places held per client address (see [`crate::purchase::HoldLimiter`]).
    pub holds: crate::purchase::HoldLimiter,
}

/// The secret that signs order links. Shared by every shop instance and kept across restarts
/// (the server reads it from `SHOP_LINK_SECRET` or the data directory); never printed.
#[derive(Clone)]
pub struct LinkKey([u8; 32]);

impl LinkKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        LinkKey(bytes)
    }

    /// A fresh random key (tests and single-process development).
    pub fn random() -> Self {
        LinkKey(rand::random())
    }
}

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(..)")
    }
}

impl Tenant {
    pub fn new(
        code: String,
        hosts: Vec<String>,
        branding: Branding,
        languages: Vec<Lang>,
        catalog: Arc<CatalogCache>,
    ) -> Self {
        let languages = if languages.is_empty() {
            Lang::ALL.to_vec()
        } else {
            languages
        };
        Tenant {
            code,
            hosts,
            branding,
            languages,
            catalog,
            availability: OnceLock::new(),
            availability_max_age: Duration::from_secs(600),
            public_origin: None,
            trust_forwarded_proto: false,
            payments: Arc::new(crate::purchase::MemoryRegistry::default()),
            programme: Default::default(),
            link_key: LinkKey::random(),
            holds: Default::default(),
        }
    }

    /// At most `places` held per client address in any `window` (0 = no limit).
    pub fn with_hold_limit(mut self, places: u32, window: Duration) -> Self {
        self.holds = crate::purchase::HoldLimiter::new(places, window);
        self
    }

    /// Signs this institution's order links with `key` (the same on every instance).
    pub fn with_link_key(mut self, key: LinkKey) -> Self {
        self.link_key = key;
        self
    }

    /// The access token of order `order_id`'s links (order page, downloads, payment return):
    /// an HMAC-SHA256 over the institution and the order id, 128 bits in base64url. Checking it
    /// needs no S-360 call, so guessing order links costs S-360 nothing.
    pub fn order_link_token(&self, order_id: i64) -> String {
        use base64::Engine;
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.link_key.0)
            .expect("HMAC takes keys of any length");
        mac.update(format!("order-link:{}:{order_id}", self.code).as_bytes());
        let tag = mac.finalize().into_bytes();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tag[..16])
    }

    /// Whether `token` is the access token of order `order_id` (constant time).
    pub fn order_link_ok(&self, order_id: i64, token: &str) -> bool {
        order_id > 0
            && token.len() == 22
            && s360::constant_time_eq(self.order_link_token(order_id).as_bytes(), token.as_bytes())
    }

    /// `/orders/{id}?access=…`: the order page's link for whoever may see the order.
    pub fn order_link(&self, order_id: i64) -> String {
        format!(
            "/orders/{order_id}?access={}",
            self.order_link_token(order_id)
        )
    }

    /// Sets the public origin (already validated by the configuration) and whether
    /// `X-Forwarded-Proto` is trusted when there is none.
    pub fn with_public_origin(
        mut self,
        origin: Option<String>,
        trust_forwarded_proto: bool,
    ) -> Self {
        self.public_origin = origin;
        self.trust_forwarded_proto = trust_forwarded_proto;
        self
    }

    /// Keeps the started payments in `registry` (durable) instead of memory.
    pub fn with_payments(mut self, registry: Arc<dyn crate::purchase::PaymentRegistry>) -> Self {
        self.payments = registry;
        self
    }

    /// `scheme://host[:port]` under which buyers reach this shop: the configured public origin,
    /// else the request's `Host` over http (https only when a trusted proxy says so).
    pub fn origin(&self, headers: &http::HeaderMap) -> Option<String> {
        if let Some(o) = &self.public_origin {
            return Some(o.clone());
        }
        let host = headers.get(http::header::HOST)?.to_str().ok()?;
        let https = self.trust_forwarded_proto
            && headers
                .get("x-forwarded-proto")
                .and_then(|h| h.to_str().ok())
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
        host_origin(host, https)
    }

    /// The availability cache (it needs the point of sale, known once the catalog loaded).
    pub fn availability(&self, snap: &CatalogSnapshot) -> &AvailabilityCache {
        self.availability.get_or_init(|| {
            AvailabilityCache::new(
                self.catalog.client().clone(),
                snap.pos.pos_id,
                self.availability_max_age,
            )
        })
    }
}

/// Everything the pages need, provided as context to every render and server function.
#[derive(Debug, Clone)]
pub struct ShopState {
    pub tenants: Arc<Vec<Arc<Tenant>>>,
    pub default_tenant: String,
}

impl ShopState {
    /// The tenant for a `Host` header: by configured host name, then by the first label
    /// (`cube.localhost:3000` -> CUBE), then the default.
    pub fn tenant_for_host(&self, host: Option<&str>) -> Option<Arc<Tenant>> {
        let host = host
            .unwrap_or("")
            .split(':')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let by_host = self
            .tenants
            .iter()
            .find(|t| t.hosts.iter().any(|h| h.eq_ignore_ascii_case(&host)));
        let by_label = || {
            let label = host.split('.').next().unwrap_or("");
            self.tenants
                .iter()
                .find(|t| t.code.eq_ignore_ascii_case(label))
        };
        let default = || self.tenants.iter().find(|t| t.code == self.default_tenant);
        by_host.or_else(by_label).or_else(default).cloned()
    }

    pub fn by_code(&self) -> HashMap<String, Arc<Tenant>> {
        self.tenants
            .iter()
            .map(|t| (t.code.clone(), t.clone()))
            .collect()
    }
}

/// The tenant of the request being served.
pub async fn current_tenant() -> Result<Arc<Tenant>, ServerFnError> {
    let state =
        use_context::<ShopState>().ok_or_else(|| ServerFnError::new("shop state missing"))?;
    let parts = use_context::<http::request::Parts>();
    let host = parts
        .as_ref()
        .and_then(|p| p.headers.get(http::header::HOST))
        .and_then(|h| h.to_str().ok());
    state
        .tenant_for_host(host)
        .ok_or_else(|| ServerFnError::new("no shop is configured for this host"))
}

/// Why a page cannot be shown.
#[derive(Debug)]
pub enum PageError {
    CatalogNotLoaded,
    S360(s360::client::Error),
}

impl std::error::Error for PageError {}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::CatalogNotLoaded => {
                f.write_str("the catalog has not been loaded from S-360 yet")
            }
            PageError::S360(e) => write!(f, "{e}"),
        }
    }
}

/// Where a product is bought: dated events have an event page with their performances; passes,
/// services and season tickets a product page.
/// Whether the request being served is a plain HTML form post (a browser without JavaScript),
/// whose server-function errors Leptos carries back in the URL; a script's call gets data.
pub fn is_plain_form_post() -> bool {
    use_context::<http::request::Parts>().is_some_and(|p| {
        p.headers
            .get(http::header::ACCEPT)
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
    })
}

pub fn product_href(p: &Product) -> String {
    if p.event.is_some() {
        format!("/event/{}", p.id)
    } else {
        format!("/product/{}", p.id)
    }
}

/// One level for a whole product, from its items.
pub fn product_level(items: &[AvailabilityItem]) -> AvailabilityLevel {
    if items.is_empty() {
        return AvailabilityLevel::Unknown;
    }
    if items.iter().all(|i| !i.availability_level.buyable()) {
        return if items
            .iter()
            .any(|i| i.availability_level == AvailabilityLevel::SoldOut)
        {
            AvailabilityLevel::SoldOut
        } else {
            items[0].availability_level
        };
    }
    let (remaining, capacity) = items.iter().fold((0u64, 0u64), |(r, c), i| {
        (r + i.availability as u64, c + i.capacity as u64)
    });
    if remaining * 100 <= capacity * DEFAULT_ALERT_RATIO_PERCENT as u64 {
        AvailabilityLevel::Limited
    } else {
        AvailabilityLevel::Good
    }
}

/// The availability level in words (never colour alone).
pub fn level_text(level: AvailabilityLevel, locale: &str) -> String {
    let key = match level {
        AvailabilityLevel::Good => "level.good",
        AvailabilityLevel::Limited | AvailabilityLevel::Optionable => "level.limited",
        AvailabilityLevel::SoldOut => "level.sold_out",
        AvailabilityLevel::OutsideSalePeriod => "level.not_on_sale",
        AvailabilityLevel::NotVisible | AvailabilityLevel::Unknown => "level.unknown",
    };
    t!(key, locale = locale).into_owned()
}

/// The family a product is sold as: `event`, `season`, `timed`, `pass`, `extra`, `package`.
pub fn family_key(p: &Product) -> &'static str {
    match p.product_family_type {
        ProductFamilyType::SingleEntry => "event",
        ProductFamilyType::Seasonticket => "season",
        ProductFamilyType::Pass if p.pass.as_ref().is_some_and(|x| !x.timeslots.is_empty()) => {
            "timed"
        }
        ProductFamilyType::Pass => "pass",
        ProductFamilyType::Service | ProductFamilyType::Goods => "extra",
        _ => "package",
    }
}

/// The buyer-facing family of a product.
pub fn family_label(p: &Product, locale: &str) -> String {
    t!(format!("family.{}", family_key(p)), locale = locale).into_owned()
}

pub(crate) fn min_price(p: &Product) -> Option<s360::Amount> {
    let perf = p
        .event
        .iter()
        .flat_map(|e| e.performances.iter())
        .flat_map(|x| x.prices.iter().map(|pr| pr.amount));
    let items = p
        .pass
        .iter()
        .flat_map(|x| x.items.iter())
        .chain(p.items.iter())
        .flat_map(|i| i.item_prices.iter().map(|pr| pr.amount));
    let package = p
        .package_line
        .iter()
        .flat_map(|l| l.prices.iter().map(|pr| pr.amount));
    perf.chain(items).chain(package).filter(|a| a.0 > 0).min()
}

pub(crate) fn date_range(p: &Product, locale: &str) -> String {
    let starts: Vec<_> = p
        .event
        .iter()
        .flat_map(|e| e.performances.iter().map(|x| x.start))
        .chain(
            p.pass
                .iter()
                .flat_map(|x| x.timeslots.iter().map(|t| t.start)),
        )
        .collect();
    let (Some(first), Some(last)) = (starts.iter().min(), starts.iter().max()) else {
        return String::new();
    };
    let day = |d| crate::purchase::day(d, locale);
    if first.date_naive() == last.date_naive() {
        t!(
            "home.same_day",
            locale = locale,
            day = day(first),
            time = first.format("%H:%M")
        )
        .into_owned()
    } else {
        format!("{} – {}", day(first), day(last))
    }
}

/// The address of the client of a request (the TCP peer), which the server's accept loop puts
/// in every request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

/// The address of the client of the request being served.
pub fn client_addr() -> Option<std::net::IpAddr> {
    let parts = use_context::<http::request::Parts>()?;
    parts.extensions.get::<ClientAddr>().map(|c| c.0)
}

/// The buyer's session (cart, payment in progress).
pub async fn session() -> Result<tower_sessions::Session, ServerFnError> {
    leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|_| ServerFnError::new("sessions are not available"))
}

/// `scheme://host[:port]` from a `Host` header value, refused unless it is a plain host name
/// or address with an optional port (it ends up in URLs given to S-360).
fn host_origin(host: &str, https: bool) -> Option<String> {
    let plain = !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    plain.then(|| format!("{}://{host}", if https { "https" } else { "http" }))
}

/// `http://host[:port]` of a request from its `Host` alone (never `X-Forwarded-Proto`). Prefer
/// [`ShopState::origin_of`], which honours the institution's configured public origin.
pub fn origin_of(headers: &http::HeaderMap) -> Option<String> {
    host_origin(headers.get(http::header::HOST)?.to_str().ok()?, false)
}

impl ShopState {
    /// The public origin of the institution a request is for (see [`Tenant::origin`]).
    pub fn origin_of(&self, headers: &http::HeaderMap) -> Option<String> {
        let host = headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok());
        self.tenant_for_host(host)?.origin(headers)
    }
}

/// The shop's public origin for the current request, for URLs S-360 sends the buyer back to.
pub async fn request_origin() -> Result<String, ServerFnError> {
    let parts =
        use_context::<http::request::Parts>().ok_or_else(|| ServerFnError::new("no request"))?;
    let tenant = current_tenant().await?;
    tenant
        .origin(&parts.headers)
        .ok_or_else(|| ServerFnError::new("the request has no usable Host header"))
}

/// The language of the current request: the page's (provided by the shell) or, in a server
/// function called from the browser, from the request itself.
pub fn request_lang() -> Lang {
    if let Some(lang) = use_context::<Lang>() {
        return lang;
    }
    let Some(parts) = use_context::<http::request::Parts>() else {
        return Lang::default();
    };
    lang_of(&parts, tenant_of(&parts).as_deref()).0
}

/// The tenant a request's `Host` selects, from the shop state in context.
fn tenant_of(parts: &http::request::Parts) -> Option<Arc<Tenant>> {
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok());
    use_context::<ShopState>()?.tenant_for_host(host)
}

/// `?lang=` (true when it came from there: the answer sets the cookie), the `lang` cookie,
/// `Accept-Language`, then the institution's first language.
pub fn lang_of(parts: &http::request::Parts, tenant: Option<&Tenant>) -> (Lang, bool) {
    let supported: &[Lang] = tenant.map_or(&Lang::ALL, |t| &t.languages);
    let allowed = |l: Lang| supported.contains(&l).then_some(l);
    let from_query = parts.uri.query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "lang")
            .and_then(|(_, v)| Lang::parse(v))
            .and_then(allowed)
    });
    if let Some(lang) = from_query {
        return (lang, true);
    }
    let from_cookie = parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::parse(v))
        .and_then(allowed);
    let from_browser = || {
        parts
            .headers
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| Lang::from_accept_language(h, supported))
    };
    let lang = from_cookie
        .or_else(from_browser)
        .or_else(|| supported.first().copied())
        .unwrap_or_default();
    (lang, false)
}

/// Chooses the page's language while the document shell renders: provides it to every
/// component and, when the buyer picked it with `?lang=`, remembers it in a cookie.
pub fn provide_page_lang() -> Lang {
    let lang = use_context::<http::request::Parts>().map_or(Lang::default(), |parts| {
        let (lang, chosen) = lang_of(&parts, tenant_of(&parts).as_deref());
        if chosen {
            if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
                let cookie = format!(
                    "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
                    lang.code()
                );
                if let Ok(v) = http::HeaderValue::from_str(&cookie) {
                    resp.append_header(http::header::SET_COOKIE, v);
                }
            }
        }
        lang
    });
    provide_context(lang);
    lang
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(code: &str, key: [u8; 32]) -> Tenant {
        let client = s360::client::Client::new(s360::client::ClientConfig::new(
            "http://127.0.0.1:9",
            format!("{code}_WEB"),
            "x",
        ))
        .unwrap();
        Tenant::new(
            code.into(),
            vec![],
            Branding::default(),
            vec![],
            CatalogCache::new(client),
        )
        .with_link_key(LinkKey::new(key))
    }

    #[test]
    fn order_links_are_signed_per_institution_and_order() {
        let mosa = tenant("MOSA", [7; 32]);
        let token = mosa.order_link_token(42);
        assert_eq!(token.len(), 22);
        assert!(mosa.order_link_ok(42, &token));
        assert!(!mosa.order_link_ok(43, &token));
        assert!(!mosa.order_link_ok(0, &mosa.order_link_token(0)));
        assert!(!mosa.order_link_ok(42, &token[..21]));
        assert!(!mosa.order_link_ok(42, ""));
        // another institution, or another key, signs differently
        assert!(!tenant("CUBE", [7; 32]).order_link_ok(42, &token));
        assert!(!tenant("MOSA", [8; 32]).order_link_ok(42, &token));
        // the same key on another instance: the same link works
        assert!(tenant("MOSA", [7; 32]).order_link_ok(42, &token));
        assert_eq!(mosa.order_link(42), format!("/orders/42?access={token}"));
        assert_eq!(format!("{:?}", LinkKey::new([7; 32])), "LinkKey(..)");
    }
}
