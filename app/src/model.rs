//! What pages receive from server functions: display-ready, serialisable, no S-360 internals
//! beyond ids.

use serde::{Deserialize, Serialize};

/// The institution whose shop is being shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShopInfo {
    pub code: String,
    pub name: String,
    pub locality: String,
    pub currency: String,
    pub branding: Branding,
    /// `scheme://host[:port]` buyers reach this shop under (canonical URLs, JSON-LD).
    pub origin: String,
    /// Languages this shop is offered in (the switcher's choices).
    pub languages: Vec<crate::i18n::Lang>,
}

/// How an institution's shop looks: set per institution in the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Branding {
    /// Header background and buttons (CSS colour).
    pub brand_color: String,
    /// Text on the brand colour; must contrast with it (WCAG AA).
    pub on_brand_color: String,
    /// Links and highlights.
    pub accent_color: String,
    /// Logo shown in the header (URL or site path), with the institution's name as its text.
    pub logo: Option<String>,
    /// Links in the footer (the institution's site, terms, privacy, contact).
    pub footer_links: Vec<FooterLink>,
}

impl Default for Branding {
    fn default() -> Self {
        Branding {
            brand_color: "#1d4f91".into(),
            on_brand_color: "#ffffff".into(),
            accent_color: "#1d4f91".into(),
            logo: None,
            footer_links: vec![],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FooterLink {
    pub label: String,
    pub href: String,
}

/// One product on the programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductCard {
    pub id: i64,
    pub name: String,
    /// The buyer-facing family ("Performance", "Visit pass", ...).
    pub family: String,
    /// "from CHF 12.00", already formatted for the locale.
    pub price_from: Option<String>,
    /// First and last date, formatted; empty for undated products.
    pub dates: String,
    /// `GOOD`, `LIMITED`, `SOLD_OUT`, ... and the words for it.
    pub availability: String,
    pub availability_text: String,
    /// The product's page, where it can be bought.
    pub href: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Programme {
    pub shop: ShopInfo,
    pub products: Vec<ProductCard>,
    /// Seconds since the catalog was fetched from S-360.
    pub catalog_age_secs: i64,
}

/// A line of the availability / price summary of a performance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerformanceRow {
    pub id: i64,
    /// "Friday 12 December 2026, 19:00" in the institution's time zone.
    pub when: String,
    pub price_range: Option<String>,
    pub availability: String,
    pub availability_text: String,
    pub buyable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    pub shop: ShopInfo,
    pub product_id: i64,
    pub name: String,
    pub description: String,
    pub performances: Vec<PerformanceRow>,
    /// The page's own address without language (for `<link rel="canonical">`).
    pub canonical: String,
    /// schema.org `Event` items of the performances on sale, as JSON-LD (rendered on the
    /// server for search engines).
    pub json_ld: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TariffPrice {
    pub tariff_id: i64,
    pub tariff: String,
    pub price: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeatCategoryRow {
    pub id: i64,
    pub name: String,
    pub availability: String,
    pub availability_text: String,
    pub remaining: u32,
    pub buyable: bool,
    pub prices: Vec<TariffPrice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerformanceView {
    pub shop: ShopInfo,
    pub product_id: i64,
    pub product_name: String,
    pub performance_id: i64,
    pub when: String,
    pub categories: Vec<SeatCategoryRow>,
    pub max_quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartLine {
    pub product: String,
    pub when: Option<String>,
    pub seat_category: Option<String>,
    pub tariff: String,
    pub quantity: u32,
    pub unit_price: String,
    pub total: String,
    /// "Block STALLS, row 3, seats 9–12"
    pub seats: Vec<String>,
    pub movement_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartView {
    pub shop: ShopInfo,
    pub order_id: Option<i64>,
    pub lines: Vec<CartLine>,
    pub fees: Vec<(String, String)>,
    pub total: String,
    /// Milliseconds since the epoch when the hold ends.
    pub expires_at_ms: Option<i64>,
    /// The previous cart expired and was released.
    pub expired: bool,
    pub paying: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketRow {
    pub ticket_id: i64,
    pub product: String,
    pub when: Option<String>,
    pub place: String,
    pub tariff: String,
    pub barcode: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderView {
    pub shop: ShopInfo,
    pub order_id: i64,
    /// RUNNING, CLOSED, ABANDONNED... and the words for it.
    pub state: String,
    pub state_text: String,
    pub payment_state: String,
    pub lines: Vec<CartLine>,
    pub total: String,
    pub tickets: Vec<TicketRow>,
    /// Secret link part that lets the buyer download the tickets.
    pub access: String,
    /// The card was refused or the payment cancelled while the seats are still held: the
    /// buyer can pay again (`/pay`).
    #[serde(default)]
    pub can_retry: bool,
}

/// The logged-in buyer, as kept in the session after an OpenID Connect login.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionUser {
    /// S-360 `contactNumber` (the ID token's `sub` with S-360 as identity provider).
    pub contact_number: String,
    pub name: String,
    pub email: String,
    /// For RP-initiated logout.
    pub id_token: String,
}

/// What pages show of the logged-in buyer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub name: String,
}

// ---------------------------------------------------------------------------------------------
// The buyer's account (profile page)

/// A postal address as the profile form edits it (all empty: no such address).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AddressFields {
    pub line1: String,
    pub line2: String,
    pub zip_code: String,
    pub town: String,
    /// ISO-3166 alpha-2 (`CH`).
    pub country_code: String,
}

impl AddressFields {
    pub fn is_empty(&self) -> bool {
        [
            &self.line1,
            &self.line2,
            &self.zip_code,
            &self.town,
            &self.country_code,
        ]
        .iter()
        .all(|f| f.trim().is_empty())
    }
}

/// The profile form, as posted (`profile[first_name]`, `profile[main][town]`, ...) and as
/// shown. Checkboxes are present (`"on"`) when ticked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub main: AddressFields,
    /// Ship to the main address.
    pub shipment_same: Option<String>,
    pub shipment: AddressFields,
    /// Bill to the main address.
    pub billing_same: Option<String>,
    pub billing: AddressFields,
    /// Opt-ins (S-360 criteria `NEWSLETTER`, `PARTNER_OFFERS`).
    pub newsletter: Option<String>,
    pub partner_offers: Option<String>,
}

/// What the account page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub shop: ShopInfo,
    pub contact_number: String,
    pub profile: ProfileForm,
    /// Who the buyer logs in with: `None` for S-360's own login, else the provider's host.
    pub identity_provider: Option<String>,
}
