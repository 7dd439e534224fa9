//! One institution's shop and everything it owns: its configuration (hosts, brand, languages,
//! public origin), its S-360 caches, the payments it started, the per-institution state of the
//! services (tour and seat-map caches, order locks, hold limits) and the key of its order links.
//! [`ShopState`] is every tenant of a deployment.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use s360::client::{AvailabilityCache, CatalogCache, CatalogSnapshot};

use crate::lang::Lang;
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
    pub payments: Arc<dyn crate::payment::PaymentRegistry>,
    /// The programme formatted per language (see [`crate::programme`]).
    pub programme: crate::programme::ProgrammeCache,
    /// Signs the order links (see [`Tenant::order_link_token`]).
    link_key: LinkKey,
    /// Places held per client address (see [`crate::cart::HoldLimiter`]).
    pub holds: crate::cart::HoldLimiter,
    /// Guided tours per visit pass and day (see [`crate::products`]).
    pub tours: crate::products::TourCache,
    /// Seat maps per performance (see [`crate::seatmap`]).
    pub seat_maps: crate::seatmap::SeatMapCache,
    /// One lock per order being finalised, and the refunds already reported (see
    /// [`crate::payment`]).
    pub orders: crate::payment::OrderLocks,
    /// Where the buyers' e-mails wait to be sent (see [`Tenant::with_outbox`]).
    pub outbox: Arc<dyn crate::payment::Outbox>,
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
            payments: Arc::new(crate::payment::MemoryRegistry::default()),
            programme: Default::default(),
            link_key: LinkKey::random(),
            holds: Default::default(),
            tours: Default::default(),
            seat_maps: Default::default(),
            orders: Default::default(),
            outbox: Arc::new(crate::payment::NoOutbox),
        }
    }

    /// At most `places` held per client address in any `window` (0 = no limit).
    pub fn with_hold_limit(mut self, places: u32, window: Duration) -> Self {
        self.holds = crate::cart::HoldLimiter::new(places, window);
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
    pub fn with_payments(mut self, registry: Arc<dyn crate::payment::PaymentRegistry>) -> Self {
        self.payments = registry;
        self
    }

    /// Writes the buyers' e-mails (order confirmations) to `outbox`.
    pub fn with_outbox(mut self, outbox: Arc<dyn crate::payment::Outbox>) -> Self {
        self.outbox = outbox;
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
