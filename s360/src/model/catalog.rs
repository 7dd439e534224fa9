//! Catalog and setup services (`catalogService`, `setupService`).

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::ids::*;
use crate::money::{Amount, Currency};
use crate::text::Translations;

/// Lifecycle of catalog objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntityState {
    Preparing,
    Validated,
    Running,
    Suspended,
    Canceled,
    Closed,
    CanceledClosed,
}

impl EntityState {
    /// Whether buyers may see and buy it.
    pub fn on_sale(self) -> bool {
        matches!(self, EntityState::Running)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProductFamilyType {
    SingleEntry,
    Seasonticket,
    Pass,
    Package,
    Membership,
    Service,
    Goods,
    Transport,
    Hospitality,
}

// ---------------------------------------------------------------------------------------------
// getPOSConfig

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PosConfigResult {
    #[serde(default)]
    pub pos_config_data: Option<PosConfigData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PosConfigData {
    pub pos_id: PosId,
    pub pos_code: String,
    #[serde(default)]
    pub pos_type: String,
    pub sales_channel_id: SalesChannelId,
    pub sales_channel_code: String,
    pub instit_code: String,
    pub organization_id: OrganizationId,
    pub organization_code: String,
    pub organization_name: Translations,
    /// IANA zone, e.g. `Europe/Zurich`.
    pub organization_time_zone: String,
    pub currency_code: String,
    #[serde(default)]
    pub currency_symbol: String,
    pub institution_currency: Currency,
    pub main_language: String,
    #[serde(default)]
    pub language_list: Vec<String>,
    #[serde(default)]
    pub net_prices: bool,
    /// Seconds an unpaid order holds its stock.
    pub order_abandon_delay: i64,
    pub max_seats_per_performance: u32,
    #[serde(default)]
    pub max_auto_suggested_seats_trials: u32,
    #[serde(default)]
    pub seat_selection_mode: String,
    #[serde(default)]
    pub guest_login_available: bool,
    #[serde(default)]
    pub contact_account_creation_allowed: bool,
    #[serde(default)]
    pub test_institution: bool,
    #[serde(default)]
    pub virtual_operator_name: String,
    #[serde(default)]
    pub place_address_data: Option<PlaceAddressData>,
    #[serde(default)]
    pub countries: Vec<Country>,
    #[serde(default)]
    pub charges: Vec<Charge>,
    #[serde(default)]
    pub product_families: Vec<ProductFamily>,
    #[serde(default)]
    pub payment_methods: Vec<PaymentMethod>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaceAddressData {
    pub country_code: String,
    pub first_address_line: String,
    pub zip_code: String,
    pub locality: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub website: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Country {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub international_phone_prefix: String,
    #[serde(default)]
    pub currency_code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Charge {
    pub id: i64,
    pub code: String,
    pub external_name: Translations,
    #[serde(rename = "type")]
    pub charge_type: String,
    /// OUR DESIGN: the fee per order, in thousandths.
    #[serde(default)]
    pub amount: Amount,
    #[serde(default)]
    pub modifiable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductFamily {
    pub id: ProductFamilyId,
    pub external_name: Translations,
    pub product_family_type: ProductFamilyType,
    #[serde(default)]
    pub product_family_sub_type: Option<String>,
    #[serde(default)]
    pub contact_required: bool,
    #[serde(default)]
    pub default_quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethod {
    pub id: PaymentMethodId,
    pub code: String,
    pub external_name: Translations,
    #[serde(default)]
    pub external_description: Translations,
    /// `CREDIT_CARD`, `PENDING_ACCOUNT`, ...
    pub payment_type: String,
    #[serde(default)]
    pub rank: i32,
    #[serde(default)]
    pub for_payment: bool,
}

// ---------------------------------------------------------------------------------------------
// getCatalogDetailed / getCatalog

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogRequest {
    /// `EXTENDED` also returns products that are not on sale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogResult {
    #[serde(default)]
    pub catalog_data: Option<CatalogData>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogData {
    #[serde(default)]
    pub seasons: Vec<Season>,
    #[serde(default)]
    pub physical_configurations: Vec<PhysicalConfiguration>,
}

impl CatalogData {
    /// Every product of every season.
    pub fn products(&self) -> impl Iterator<Item = &Product> {
        self.seasons.iter().flat_map(|s| s.products.iter())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Season {
    pub id: SeasonId,
    pub code: String,
    pub state: EntityState,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub external_name: Translations,
    #[serde(default)]
    pub products: Vec<Product>,
    #[serde(default)]
    pub audience_categories: Vec<AudienceCategory>,
    #[serde(default)]
    pub price_levels: Vec<PriceLevel>,
    #[serde(default)]
    pub topics: Vec<Topic>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Topic {
    pub id: TopicId,
    pub code: String,
    pub external_name: Translations,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AudienceCategory {
    pub id: AudienceCategoryId,
    pub code: String,
    pub external_name: Translations,
    #[serde(default)]
    pub audience_sub_categories: Vec<AudienceSubCategory>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AudienceCategoryKind {
    Full,
    Reduced,
    Free,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AudienceSubCategory {
    pub id: AudienceSubCategoryId,
    pub code: String,
    pub external_name: Translations,
    pub audience_category_kind: AudienceCategoryKind,
    /// Tariffs that must be bought in the same order (a child needs an adult).
    #[serde(default)]
    pub required_audience_sub_category_ids: Vec<AudienceSubCategoryId>,
    #[serde(default)]
    pub cross_seat_category: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceLevel {
    pub id: PriceLevelId,
    pub code: String,
    /// `OCCASIONAL`, `SUBSCRIBER`, `INSIDE_SEASONTICKET`, `MEMBER`, `INVITED`.
    pub main_category: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub id: ProductId,
    pub code: String,
    pub state: EntityState,
    pub product_family_type: ProductFamilyType,
    #[serde(default)]
    pub vat_code_id: Option<VatCodeId>,
    pub external_name: Translations,
    #[serde(default)]
    pub external_description: Translations,
    #[serde(default)]
    pub topic_ids: Vec<TopicId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium_image_url: Option<String>,
    #[serde(default)]
    pub min_quantity: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Event>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass: Option<Pass>,
    /// Simple products (services, goods, open passes): one item per tariff set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Item>,
    /// Season tickets / packages: the performances it contains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_line: Option<PackageLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    #[serde(default)]
    pub performances: Vec<Performance>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Performance {
    pub id: PerformanceId,
    #[serde(default)]
    pub code: String,
    pub state: EntityState,
    pub start: DateTime<FixedOffset>,
    /// Seconds.
    pub duration: i64,
    #[serde(default)]
    pub seat_categories: Vec<SeatCategory>,
    #[serde(default)]
    pub prices: Vec<Price>,
    /// OUR DESIGN: the space (hall, stadium) the performance takes place in.
    #[serde(default)]
    pub space_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatCategory {
    pub id: SeatCategoryId,
    pub code: String,
    pub external_name: Translations,
    /// OUR DESIGN: whether seats are numbered (false = standing / free placement).
    #[serde(default)]
    pub numbered: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    pub seat_cat_id: SeatCategoryId,
    pub aud_sub_cat_id: AudienceSubCategoryId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_level_id: Option<PriceLevelId>,
    pub amount: Amount,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pass {
    #[serde(default)]
    pub consecutive: bool,
    #[serde(default)]
    pub date_mandatory: bool,
    #[serde(default)]
    pub guided: bool,
    #[serde(default)]
    pub items: Vec<Item>,
    /// OUR DESIGN: the time slots of a visit pass.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeslots: Vec<Timeslot>,
    /// OUR DESIGN: validity of an open pass, in days from purchase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub item_id: ItemId,
    #[serde(default)]
    pub external_name: Translations,
    #[serde(default)]
    pub item_prices: Vec<ItemPrice>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeslot_ids: Vec<TimeslotId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemPrice {
    pub amount: Amount,
    pub aud_sub_cat_id: AudienceSubCategoryId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_level_id: Option<PriceLevelId>,
    #[serde(default)]
    pub min_qty: Option<u32>,
    #[serde(default)]
    pub max_qty: Option<u32>,
}

/// OUR DESIGN: a time slot of a visit pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Timeslot {
    pub id: TimeslotId,
    pub start: DateTime<FixedOffset>,
    /// Seconds.
    pub duration: i64,
    pub quota: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageLine {
    pub performance_ids: Vec<PerformanceId>,
    #[serde(default)]
    pub prices: Vec<Price>,
    #[serde(default)]
    pub seat_categories: Vec<SeatCategory>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalConfiguration {
    pub site_id: i64,
    pub site_code: String,
    pub site_external_name: Translations,
    pub space_id: i64,
    pub space_code: String,
    pub space_type: String,
    pub space_external_name: Translations,
    #[serde(default)]
    pub areas: Vec<Area>,
    /// OUR DESIGN: the space's entrances by the code tickets carry (`entranceCode`), with the
    /// names buyers read ("Door A – Stalls"); tickets and gates keep the codes.
    #[serde(default)]
    pub entrances: Vec<Entrance>,
}

/// OUR DESIGN: an entrance of a space (see [`PhysicalConfiguration::entrances`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entrance {
    pub code: String,
    #[serde(default)]
    pub external_name: Translations,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Area {
    pub id: AreaId,
    pub code: String,
    #[serde(default)]
    pub external_name: Translations,
    /// OUR DESIGN: the gate holders of this area enter through.
    #[serde(default)]
    pub entrance_code: Option<String>,
    #[serde(default)]
    pub numbered: bool,
}

// ---------------------------------------------------------------------------------------------
// getLastSetupUpdate (OUR DESIGN)

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastSetupUpdateResult {
    #[serde(default)]
    pub last_setup_update: Option<DateTime<FixedOffset>>,
}

// ---------------------------------------------------------------------------------------------
// setupService

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListSeasonsResult {
    #[serde(default)]
    pub seasons: Vec<Season>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchProductsRequest {
    #[serde(default)]
    pub search_products_criteria: SearchProductsCriteria,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity: Option<String>,
    #[serde(default)]
    pub min_index: u32,
    #[serde(default)]
    pub nb_max_results: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchProductsCriteria {
    #[serde(default)]
    pub season_ids: Vec<SeasonId>,
    #[serde(default)]
    pub product_family_types: Vec<ProductFamilyType>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchProductsResult {
    #[serde(default)]
    pub products: Vec<Product>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeasonRequest {
    pub season_id: SeasonId,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListAudienceSubCategoriesResult {
    #[serde(default)]
    pub audience_sub_categories: Vec<AudienceSubCategory>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPriceLevelsResult {
    #[serde(default)]
    pub price_levels: Vec<PriceLevel>,
}
