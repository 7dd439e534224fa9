//! Server-only purchase services: pages' data for events and performances, the cart (the
//! buyer's running S-360 order, its id kept in the session), checkout and the exactly-once
//! finalisation of a paid order.

mod browse;
mod cart;
mod checkout;
mod order;
mod pay;
mod products;
mod seatmap;

pub use browse::*;
pub use cart::*;
pub use checkout::*;
pub use order::*;
pub use pay::*;
pub use products::*;
pub(crate) use seatmap::*;

use std::sync::Arc;

use rust_i18n::t;

use s360::client::{CatalogSnapshot, Error as S360Error};
use s360::model::order::OrderDetailsData;
use s360::{AudienceSubCategoryId, SeatCategoryId};
use tower_sessions::Session;

use crate::model::*;
use crate::ssr::{PageError, Tenant};

/// A buyer-facing error: the message is safe and useful to show.
#[derive(Debug, Clone)]
pub struct BuyerError(pub String);

impl std::fmt::Display for BuyerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl BuyerError {
    /// The message of `key` in the language of the request being served.
    pub fn tr(key: &str) -> BuyerError {
        BuyerError(t!(key, locale = lang()).into_owned())
    }
}

/// The language of the request being served (English outside of a request).
pub(crate) fn lang() -> &'static str {
    crate::ssr::request_lang().code()
}

impl From<PageError> for BuyerError {
    fn from(e: PageError) -> Self {
        BuyerError(e.to_string())
    }
}

pub(crate) fn s360_error(e: S360Error) -> BuyerError {
    match e {
        S360Error::Availability(_) => BuyerError::tr("error.not_enough"),
        S360Error::Other(code, detail) if code.starts_with("error.") => BuyerError(detail),
        S360Error::CircuitOpen | S360Error::Unavailable(_) | S360Error::RateLimited { .. } => {
            BuyerError::tr("error.busy")
        }
        // S-360's own words (ids, internal states) go to the log, never to the buyer
        other => {
            report(
                Severity::Warn,
                format!("S-360 refused a buyer's request: {other}"),
            );
            BuyerError::tr("error.refused")
        }
    }
}

pub fn snapshot(tenant: &Tenant) -> Result<Arc<CatalogSnapshot>, BuyerError> {
    tenant
        .catalog
        .snapshot()
        .ok_or_else(|| BuyerError::tr("error.not_loaded"))
}

pub fn shop_info(tenant: &Tenant, snap: &CatalogSnapshot, locale: &str) -> ShopInfo {
    let pos = &snap.pos;
    ShopInfo {
        code: tenant.code.clone(),
        name: pos
            .organization_name
            .best(locale, &pos.main_language)
            .to_string(),
        locality: pos
            .place_address_data
            .as_ref()
            .map(|a| a.locality.clone())
            .unwrap_or_default(),
        currency: pos.institution_currency.currency_code.clone(),
        branding: tenant.branding.clone(),
        origin: leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|p| tenant.origin(&p.headers))
            .unwrap_or_default(),
        languages: tenant.languages.clone(),
    }
}

/// "Friday 12 December 2026, 19:00", "vendredi 12 décembre 2026, 19:00",
/// "Freitag, 12. Dezember 2026, 19:00": in the institution's time zone (the catalog's offset).
pub fn when(dt: &chrono::DateTime<chrono::FixedOffset>, locale: &str) -> String {
    let lang = crate::i18n::Lang::parse(locale).unwrap_or_default();
    let fmt = match lang {
        crate::i18n::Lang::De => "%A, %-d. %B %Y, %H:%M",
        _ => "%A %-d %B %Y, %H:%M",
    };
    dt.format_localized(fmt, lang.chrono_locale()).to_string()
}

/// "12 Dec 2026", "12 déc. 2026", "12. Dez. 2026".
pub fn day(dt: &chrono::DateTime<chrono::FixedOffset>, locale: &str) -> String {
    let lang = crate::i18n::Lang::parse(locale).unwrap_or_default();
    let fmt = match lang {
        crate::i18n::Lang::De => "%-d. %b %Y",
        _ => "%-d %b %Y",
    };
    dt.format_localized(fmt, lang.chrono_locale()).to_string()
}

pub(crate) fn tariff_name(
    snap: &CatalogSnapshot,
    id: AudienceSubCategoryId,
    locale: &str,
) -> String {
    snap.catalog
        .seasons
        .iter()
        .flat_map(|s| s.audience_categories.iter())
        .flat_map(|c| c.audience_sub_categories.iter())
        .find(|s| s.id == id)
        .map(|s| {
            s.external_name
                .best(locale, &snap.pos.main_language)
                .to_string()
        })
        .unwrap_or_default()
}

pub(crate) async fn session_get<T: serde::de::DeserializeOwned>(
    session: &Session,
    key: &str,
) -> Option<T> {
    session.get::<T>(key).await.ok().flatten()
}

pub(crate) async fn session_set<T: serde::Serialize + Send + Sync>(
    session: &Session,
    key: &str,
    v: T,
) -> Result<(), BuyerError> {
    session
        .insert(key, v)
        .await
        .map_err(|_| BuyerError::tr("error.session"))
}

pub(crate) fn seat_category_name(
    snap: &CatalogSnapshot,
    id: SeatCategoryId,
    locale: &str,
) -> Option<String> {
    snap.catalog
        .products()
        .flat_map(|p| p.event.iter().flat_map(|e| e.performances.iter()))
        .flat_map(|perf| perf.seat_categories.iter())
        .find(|c| c.id == id)
        .map(|c| {
            c.external_name
                .best(locale, &snap.pos.main_language)
                .to_string()
        })
}

/// Cart lines in the buyer's words: names from the catalog, not S-360 codes.
pub(crate) fn lines_of(
    d: &OrderDetailsData,
    snap: &CatalogSnapshot,
    locale: &str,
) -> Vec<CartLine> {
    d.operation_datas
        .iter()
        .map(|op| {
            let seats = d
                .movements
                .iter()
                .filter(|m| m.operation_id == op.operation_id)
                .filter_map(|m| match (&m.block_code, &m.row_number, &m.seat_number) {
                    (Some(b), Some(r), Some(n)) => Some(
                        t!("cart.seat", locale = locale, block = b, row = r, seat = n).into_owned(),
                    ),
                    (Some(b), _, _) => {
                        Some(t!("cart.area", locale = locale, area = b).into_owned())
                    }
                    _ => None,
                })
                .collect();
            CartLine {
                product: op.product.clone(),
                when: op.performance_start.as_ref().map(|w| when(w, locale)),
                seat_category: op
                    .seat_category_id
                    .and_then(|id| seat_category_name(snap, id, locale))
                    .or_else(|| op.seat_category.clone()),
                tariff: Some(tariff_name(snap, op.audience_sub_category_id, locale))
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| op.audience_sub_category.clone()),
                quantity: op.quantity,
                unit_price: op.unit_price.format(&d.currency, locale),
                total: op.total_amount.format(&d.currency, locale),
                seats,
                movement_ids: d
                    .movements
                    .iter()
                    .filter(|m| m.operation_id == op.operation_id)
                    .map(|m| m.movement_id.0)
                    .collect(),
                details: vec![],
            }
        })
        .collect()
}
// ---------------------------------------------------------------------------------------------
// The logged-in buyer

/// Session key of the logged-in buyer of an institution (set by the server's OIDC callback).
pub fn user_key(tenant: &Tenant) -> String {
    format!("user.{}", tenant.code)
}

pub async fn session_user(tenant: &Tenant, session: &Session) -> Option<crate::model::SessionUser> {
    session_get(session, &user_key(tenant)).await
}
