//! What a reseller configures (`[[resellers]]` in the shop's TOML file): its host and brand,
//! the institutions it sells for (each through the S-360 operator of its own sales channel),
//! the product families it sells at each, its payment provider and its back-office staff.

use serde::Deserialize;

/// The product families of seed 000. Everything else is hidden and refused by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Open passes and simple products (tariffs and quantities).
    Simple,
    /// Visit passes (a day, then a time slot).
    VisitPass,
    /// Performances of events (theatre, football, concerts).
    Event,
    /// Complex products: season tickets and packages.
    Complex,
}

impl Family {
    pub const ALL: [Family; 4] = [
        Family::Event,
        Family::VisitPass,
        Family::Simple,
        Family::Complex,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Family::Simple => "simple",
            Family::VisitPass => "visit_pass",
            Family::Event => "event",
            Family::Complex => "complex",
        }
    }

    pub fn parse(s: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.code() == s)
    }

    /// The family of a catalog product, as the seed names them.
    pub fn of(p: &s360::model::catalog::Product) -> Option<Family> {
        if p.event.is_some() {
            return Some(Family::Event);
        }
        Some(match shop::products::ProductKind::of(p)? {
            shop::products::ProductKind::Visit => Family::VisitPass,
            shop::products::ProductKind::Open => Family::Simple,
            shop::products::ProductKind::Season => Family::Complex,
        })
    }
}

/// One institution the reseller sells for.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InstitutionConfig {
    /// Institution code (CUBE).
    pub code: String,
    /// The operator of the reseller's sales channel at this institution (CUBE_RESELL) and its
    /// secret.
    pub operator: String,
    pub secret: String,
    /// The families the reseller sells here; empty = all four.
    #[serde(default)]
    pub families: Vec<Family>,
    /// Whether the institution agreed that the reseller hands out S-360's PDF tickets; if not,
    /// buyers get the reseller's own ticket built from the barcode.
    #[serde(default)]
    pub s360_pdf: bool,
}

impl InstitutionConfig {
    pub fn sells(&self, f: Family) -> bool {
        self.families.is_empty() || self.families.contains(&f)
    }
}

impl std::fmt::Debug for InstitutionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstitutionConfig")
            .field("code", &self.code)
            .field("operator", &self.operator)
            .field("secret", &"<redacted>")
            .field("families", &self.families)
            .field("s360_pdf", &self.s360_pdf)
            .finish()
    }
}

/// The reseller's payment provider: Stripe (or, locally and in tests, localstripe).
#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StripeConfig {
    /// `https://api.stripe.com` (or localstripe's `http://127.0.0.1:8420`).
    #[serde(default = "default_stripe_api")]
    pub api_base: String,
    /// Where the page loads Stripe.js from.
    #[serde(default = "default_stripe_js")]
    pub js_url: String,
    pub publishable_key: String,
    pub secret_key: String,
    /// The signing secret of the webhook endpoint (`whsec_...`).
    pub webhook_secret: String,
}

fn default_stripe_api() -> String {
    "https://api.stripe.com".into()
}

fn default_stripe_js() -> String {
    "https://js.stripe.com/v3/".into()
}

impl std::fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeConfig")
            .field("api_base", &self.api_base)
            .field("js_url", &self.js_url)
            .field("publishable_key", &self.publishable_key)
            .field("secret_key", &"<redacted>")
            .field("webhook_secret", &"<redacted>")
            .finish()
    }
}

/// A member of the reseller's back office (a staff login, not a buyer account).
#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StaffConfig {
    pub name: String,
    /// An Argon2id PHC string (`shop hash-password`).
    pub password_hash: String,
}

impl std::fmt::Debug for StaffConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffConfig")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// One reseller (`[[resellers]]`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ResellerConfig {
    /// A short code (TOURISM): names its data files.
    pub code: String,
    /// The name buyers see ("Lakeside Tourism").
    pub name: String,
    /// Host names selecting this storefront (`resell.localhost`).
    pub hosts: Vec<String>,
    #[serde(default)]
    pub branding: shop::model::Branding,
    /// Languages offered (`en`, `fr`, `de`), the first being the default; empty = all three.
    #[serde(default)]
    pub languages: Vec<String>,
    /// The currency the reseller charges in (ISO 4217, `CHF`); every institution's orders
    /// must be in it.
    pub currency: String,
    pub institutions: Vec<InstitutionConfig>,
    /// Whether buyers and holders become contacts in S-360 (`createContact`,
    /// `setMovementContactData`); optional in seed 000.
    #[serde(default)]
    pub create_contacts: bool,
    pub stripe: StripeConfig,
    #[serde(default)]
    pub staff: Vec<StaffConfig>,
    /// The storefront's public origin (`https://tickets.lakeside.example`); unset: from the
    /// request's `Host` (local development).
    #[serde(default)]
    pub public_origin: Option<String>,
}

impl ResellerConfig {
    /// Refuses what cannot work, naming the setting.
    pub fn validate(&self) -> Result<(), String> {
        let at = |field: &str| format!("resellers[{}].{field}", self.code);
        if self.code.is_empty() || !self.code.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!(
                "resellers.code: {:?}: letters and digits only",
                self.code
            ));
        }
        if self.hosts.is_empty() {
            return Err(format!("{}: at least one host name", at("hosts")));
        }
        if self.institutions.is_empty() {
            return Err(format!("{}: at least one institution", at("institutions")));
        }
        if self.currency.len() != 3 || !self.currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(format!(
                "{}: {:?} is not an ISO 4217 code such as CHF",
                at("currency"),
                self.currency
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for i in &self.institutions {
            if !seen.insert(i.code.as_str()) {
                return Err(format!("{}: {} twice", at("institutions"), i.code));
            }
            if i.operator.is_empty() || i.secret.is_empty() {
                return Err(format!(
                    "{}: operator and secret are required",
                    at(&format!("institutions[{}]", i.code))
                ));
            }
        }
        for s in &self.staff {
            if !s.password_hash.starts_with("$argon2") {
                return Err(format!(
                    "{}: {}'s password_hash is not an Argon2 PHC string (make one with `shop hash-password`)",
                    at("staff"),
                    s.name
                ));
            }
        }
        if !self.stripe.api_base.starts_with("http://")
            && !self.stripe.api_base.starts_with("https://")
        {
            return Err(format!("{}: an http(s) URL", at("stripe.api_base")));
        }
        Ok(())
    }
}
