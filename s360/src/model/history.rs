//! Order history (`tnseb` / `externalOrderHistoryService` v1_34), s360-contract.md §6.
//!
//! `countFilesByCriteria` (a subset of its criteria) and `listTicketsByCriteria` follow the
//! published shapes (High); the count's field name and `getContactFiles` (the "my orders"
//! page) are OUR DESIGN. A file is an order: `fileId` = `orderId`.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::ids::*;
use crate::model::order::{OperationId, OrderId, PaymentState};
use crate::model::ticket::TicketState;
use crate::money::{Amount, Currency};

/// `maxResult` when absent, and its ceiling.
pub const DEFAULT_MAX_RESULT: u32 = 5000;

/// History (file) states, spelt as published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FileState {
    Running,
    Suspended,
    InOption,
    InReservation,
    OptionReserv,
    Confirmed,
    Solded,
    NotSolded,
    PartSolded,
    Canceled,
    Abandonned,
    TechError,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaginationParameter {
    /// 0-based.
    #[serde(default)]
    pub start_position: u32,
    /// Default and ceiling [`DEFAULT_MAX_RESULT`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_result: Option<u32>,
}

// ---------------------------------------------------------------------------------------------
// countFilesByCriteria

/// The criteria the sandbox understands; files are matched on their creation date.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountFilesByCriteriaRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_of_sales_id: Option<PosId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<DateTime<FixedOffset>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<DateTime<FixedOffset>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<FileState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<ProductId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_id: Option<PerformanceId>,
    /// The buyer's or a ticket holder's contact number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cultural_contact_reference: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountFilesResult {
    /// OUR DESIGN name (the published result field is unknown).
    #[serde(default)]
    pub number_of_files: u64,
}

// ---------------------------------------------------------------------------------------------
// listTicketsByCriteria

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketFilterCriteria {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_of_sales_id: Option<PosId>,
    pub product_id: ProductId,
    /// Tickets sold (order closed) at or after this instant.
    pub start_date: DateTime<FixedOffset>,
    /// ... and before this one.
    pub end_date: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTicketsByCriteriaRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    pub ticket_filter_criteria: TicketFilterCriteria,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination_parameter: Option<PaginationParameter>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTicketsResult {
    /// More tickets match after this page.
    #[serde(default)]
    pub truncated: bool,
    #[serde(default)]
    pub ticket_summaries: Vec<TicketSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketSummary {
    pub ticket_id: i64,
    pub ticket_state: TicketState,
    #[serde(default)]
    pub performance_id: Option<PerformanceId>,
    #[serde(default)]
    pub seat_category_id: Option<SeatCategoryId>,
    pub audience_sub_category_id: AudienceSubCategoryId,
    /// The tariff's code.
    #[serde(default)]
    pub audience_sub_category: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_level_id: Option<PriceLevelId>,
    pub price: Amount,
}

// ---------------------------------------------------------------------------------------------
// getContactFiles (OUR DESIGN)

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetContactFilesRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    /// The buyer.
    pub contact_number: String,
    /// Files created at or after this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<DateTime<FixedOffset>>,
    /// ... and before this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<DateTime<FixedOffset>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination_parameter: Option<PaginationParameter>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactFilesResult {
    #[serde(default)]
    pub truncated: bool,
    /// Newest first.
    #[serde(default)]
    pub files: Vec<FileData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileData {
    pub file_id: i64,
    pub order_id: OrderId,
    pub state: FileState,
    pub payment_state: PaymentState,
    pub creation_date: DateTime<FixedOffset>,
    #[serde(default)]
    pub close_date: Option<DateTime<FixedOffset>>,
    /// What the buyer pays (operations + charges), as `saleAmount`.
    pub total_amount: Amount,
    pub currency: Currency,
    #[serde(default)]
    pub operations: Vec<FileOperation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileOperation {
    pub operation_id: OperationId,
    pub product_id: ProductId,
    /// The product's name in the institution's main language.
    pub product: String,
    #[serde(default)]
    pub product_code: String,
    #[serde(default)]
    pub performance_id: Option<PerformanceId>,
    /// The performance or time slot start (the first performance of a season ticket).
    #[serde(default)]
    pub performance_start: Option<DateTime<FixedOffset>>,
    pub quantity: u32,
    pub amount: Amount,
}
