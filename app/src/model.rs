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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Programme {
    pub shop: ShopInfo,
    pub products: Vec<ProductCard>,
    /// Seconds since the catalog was fetched from S-360.
    pub catalog_age_secs: i64,
}
