//! Server-only services the pages use: the tenants (one per institution) and their caches.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use leptos::prelude::*;
use s360::client::{AvailabilityCache, CatalogCache, CatalogSnapshot};
use s360::model::availability::{AvailabilityItem, AvailabilityLevel, DEFAULT_ALERT_RATIO_PERCENT};
use s360::model::catalog::{Product, ProductFamilyType};

use crate::model::{ProductCard, Programme, ShopInfo};

/// One institution's shop.
#[derive(Debug)]
pub struct Tenant {
    pub code: String,
    /// Host names that select this tenant (`mosa.localhost`, `tickets.mosa.ch`).
    pub hosts: Vec<String>,
    pub brand_color: String,
    pub catalog: Arc<CatalogCache>,
    availability: OnceLock<AvailabilityCache>,
    pub availability_max_age: Duration,
}

impl Tenant {
    pub fn new(
        code: String,
        hosts: Vec<String>,
        brand_color: String,
        catalog: Arc<CatalogCache>,
    ) -> Self {
        Tenant {
            code,
            hosts,
            brand_color,
            catalog,
            availability: OnceLock::new(),
            availability_max_age: Duration::from_secs(600),
        }
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

/// The programme: every product on sale with its price range and availability.
pub async fn programme(tenant: &Tenant, locale: &str) -> Result<Programme, PageError> {
    let snap = tenant
        .catalog
        .snapshot()
        .ok_or(PageError::CatalogNotLoaded)?;
    let pos = &snap.pos;
    let main = pos.main_language.as_str();
    let currency = &pos.institution_currency;
    let products: Vec<&Product> = snap
        .catalog
        .products()
        .filter(|p| p.state.on_sale())
        .collect();
    let availability = tenant.availability(&snap);
    let mut cards = Vec::with_capacity(products.len());
    for p in products {
        let items = availability.get(p).await.map_err(PageError::S360)?;
        let level = product_level(&items);
        cards.push(ProductCard {
            id: p.id.0,
            name: p.external_name.best(locale, main).to_string(),
            family: family_label(p).to_string(),
            price_from: min_price(p).map(|a| format!("from {}", a.format(currency, locale))),
            dates: date_range(p),
            availability: format!("{level:?}").to_ascii_uppercase(),
            availability_text: level_text(level).to_string(),
            href: p.event.is_some().then(|| format!("/event/{}", p.id)),
        });
    }
    let shop = ShopInfo {
        code: tenant.code.clone(),
        name: pos.organization_name.best(locale, main).to_string(),
        locality: pos
            .place_address_data
            .as_ref()
            .map(|a| a.locality.clone())
            .unwrap_or_default(),
        currency: currency.currency_code.clone(),
        brand_color: tenant.brand_color.clone(),
    };
    Ok(Programme {
        shop,
        products: cards,
        catalog_age_secs: tenant.catalog.age().map_or(0, |a| a.num_seconds()),
    })
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

pub fn level_text(level: AvailabilityLevel) -> &'static str {
    match level {
        AvailabilityLevel::Good => "Available",
        AvailabilityLevel::Limited | AvailabilityLevel::Optionable => "Few places left",
        AvailabilityLevel::SoldOut => "Sold out",
        AvailabilityLevel::OutsideSalePeriod => "Not on sale",
        AvailabilityLevel::NotVisible | AvailabilityLevel::Unknown => "Availability unknown",
    }
}

fn family_label(p: &Product) -> &'static str {
    match p.product_family_type {
        ProductFamilyType::SingleEntry => "Event",
        ProductFamilyType::Seasonticket => "Season ticket",
        ProductFamilyType::Pass if p.pass.as_ref().is_some_and(|x| !x.timeslots.is_empty()) => {
            "Timed entry"
        }
        ProductFamilyType::Pass => "Pass",
        ProductFamilyType::Service | ProductFamilyType::Goods => "Extra",
        _ => "Package",
    }
}

fn min_price(p: &Product) -> Option<s360::Amount> {
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

fn date_range(p: &Product) -> String {
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
    let fmt = |d: &chrono::DateTime<chrono::FixedOffset>| d.format("%-d %b %Y").to_string();
    if first.date_naive() == last.date_naive() {
        format!("{} at {}", fmt(first), first.format("%H:%M"))
    } else {
        format!("{} – {}", fmt(first), fmt(last))
    }
}

/// The buyer's session (cart, payment in progress).
pub async fn session() -> Result<tower_sessions::Session, ServerFnError> {
    leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|_| ServerFnError::new("sessions are not available"))
}

/// `http://host[:port]` of a request, from its `Host` (and a proxy's `X-Forwarded-Proto`).
pub fn origin_of(headers: &http::HeaderMap) -> Option<String> {
    let host = headers.get(http::header::HOST)?.to_str().ok()?;
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        == Some("https");
    Some(format!("{}://{host}", if https { "https" } else { "http" }))
}

/// `http://host[:port]` of the current request, for URLs S-360 sends the buyer back to.
pub async fn request_origin() -> Result<String, ServerFnError> {
    let parts =
        use_context::<http::request::Parts>().ok_or_else(|| ServerFnError::new("no request"))?;
    origin_of(&parts.headers).ok_or_else(|| ServerFnError::new("the request has no Host header"))
}
