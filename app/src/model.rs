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
    /// CSS colour of the institution's brand.
    pub brand_color: String,
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
