//! The reseller storefront (seed 000): a ticket distribution company (a tourism office, an
//! agency, a city portal) sells what S-360 operators put on its dedicated sales channel at one
//! or more institutions, takes the payment itself, and S-360 counts each sale as a pending
//! account payment owed by the reseller.
//!
//! - [`config`]: what a reseller configures; [`journal`]: its payments and what became of each
//!   institution's order, on disk; [`stripe`]: its payment provider;
//! - [`pay`]: one card payment for a cart spread over several institutions, each institution's
//!   order closed with a PENDING_ACCOUNT payment exactly once, or refunded when it cannot be;
//! - [`web`]: the storefront's pages and the back office's statement.
//!
//! Each institution the reseller sells for is a [`shop::Tenant`] built on the reseller's
//! operator (its sales channel: its point of sale, its selection of products), so the
//! programme, product pages and cart are the institution shops' own services.

pub mod config;
pub mod journal;
pub mod pay;
pub mod stripe;
pub mod web;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use shop::lang::Lang;
use shop::tenant::Tenant;

pub use config::{Family, ResellerConfig};

/// One institution the reseller sells for, with its shop services on the reseller's channel.
#[derive(Debug)]
pub struct Institution {
    pub config: config::InstitutionConfig,
    pub tenant: Arc<Tenant>,
}

/// Renders a sheet of tickets as a PDF (the server's branded e-ticket renderer).
pub type TicketRenderer = fn(&shop::order::TicketSheet, Option<&str>) -> Vec<u8>;

/// One reseller, running.
pub struct Reseller {
    pub config: ResellerConfig,
    pub languages: Vec<Lang>,
    pub institutions: Vec<Institution>,
    pub stripe: stripe::Stripe,
    pub journal: journal::Journal,
    link_key: [u8; 32],
    /// One lock per payment being finalised (the return, the webhook, a reload and the
    /// reconciliation may arrive together).
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The logo as SVG text for the PDF tickets, when the configured logo is a file we serve.
    pub logo_svg: Option<String>,
    pub render_tickets: TicketRenderer,
    /// The back-office login's limits.
    pub office: web::OfficeGuard,
}

impl std::fmt::Debug for Reseller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reseller")
            .field("code", &self.config.code)
            .finish_non_exhaustive()
    }
}

impl Reseller {
    pub fn new(
        config: ResellerConfig,
        institutions: Vec<Institution>,
        journal: journal::Journal,
        render_tickets: TicketRenderer,
        logo_svg: Option<String>,
    ) -> Result<Reseller, String> {
        config.validate()?;
        let languages: Vec<Lang> = config
            .languages
            .iter()
            .filter_map(|l| Lang::parse(l))
            .collect();
        let languages = if languages.is_empty() {
            Lang::ALL.to_vec()
        } else {
            languages
        };
        let link_key = journal.link_key().map_err(|e| e.to_string())?;
        let stripe = stripe::Stripe::new(&config.stripe.api_base, &config.stripe.secret_key);
        Ok(Reseller {
            config,
            languages,
            institutions,
            stripe,
            journal,
            link_key,
            locks: Mutex::new(HashMap::new()),
            logo_svg,
            render_tickets,
            office: Default::default(),
        })
    }

    pub fn institution(&self, code: &str) -> Option<&Institution> {
        self.institutions.iter().find(|i| i.config.code == code)
    }

    /// Whether `host` (a `Host` header) selects this storefront.
    pub fn serves(&self, host: &str) -> bool {
        let name = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
        self.config
            .hosts
            .iter()
            .any(|h| h.split(':').next().unwrap_or(h).eq_ignore_ascii_case(&name))
    }

    /// The token of an order page's link (HMAC-SHA256 over the payment, 128 bits, base64url).
    pub fn order_token(&self, intent_id: &str) -> String {
        use base64::Engine;
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.link_key)
            .expect("HMAC takes keys of any length");
        mac.update(format!("reseller-order:{}:{intent_id}", self.config.code).as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..16])
    }

    pub fn order_token_ok(&self, intent_id: &str, token: &str) -> bool {
        token.len() == 22
            && s360::constant_time_eq(self.order_token(intent_id).as_bytes(), token.as_bytes())
    }

    pub fn order_link(&self, intent_id: &str) -> String {
        format!("/orders/{intent_id}?access={}", self.order_token(intent_id))
    }

    fn lock_for(&self, intent_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        if locks.len() > 10_000 {
            locks.retain(|_, l| Arc::strong_count(l) > 1);
        }
        locks.entry(intent_id.to_string()).or_default().clone()
    }
}
