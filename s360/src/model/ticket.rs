//! Tickets (entry rights keyed by barcode): the production service (OUR DESIGN, §9) and the
//! access-control service (`externalAccessControlService` v1_6, §11).

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::ids::*;
use crate::money::Amount;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TicketState {
    Valid,
    Cancelled,
    NotPrinted,
    Invalidated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TicketMedium {
    ETicket,
    Mobile,
    Thermal,
    Content,
}

/// Where a ticket sits (OUR DESIGN: block/row/number were not seen publicly).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketSeat {
    #[serde(default)]
    pub area_code: Option<String>,
    #[serde(default)]
    pub block_code: Option<String>,
    #[serde(default)]
    pub row: Option<String>,
    #[serde(default)]
    pub number: Option<String>,
}

/// A ticket as `getTickets` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketData {
    pub ticket_id: i64,
    pub order_id: i64,
    pub movement_id: i64,
    pub barcode: String,
    pub tax_number: String,
    pub ticket_state: TicketState,
    pub ticket_medium: TicketMedium,
    #[serde(default)]
    pub printing_date_time: Option<DateTime<FixedOffset>>,
    pub product_id: ProductId,
    pub product_code: String,
    pub product_name: String,
    #[serde(default)]
    pub performance_id: Option<PerformanceId>,
    #[serde(default)]
    pub performance_start: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub seat_category: Option<String>,
    pub audience_sub_category: String,
    pub price: Amount,
    #[serde(default)]
    pub seat: TicketSeat,
    #[serde(default)]
    pub entrance_code: Option<String>,
    /// Ticket holder, for nominative tickets.
    #[serde(default)]
    pub holder_name: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetTicketsRequest {
    #[serde(default)]
    pub order_id: Option<i64>,
    /// The history API's name for an order.
    #[serde(default)]
    pub file_id: Option<i64>,
    #[serde(default)]
    pub movement_ids: Vec<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetTicketsResult {
    #[serde(default)]
    pub tickets: Vec<TicketData>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PrintFormat {
    PdfA4,
    MobilePdf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrintTicketsRequest {
    pub ticket_ids: Vec<i64>,
    pub format: PrintFormat,
    /// Print again tickets already printed: their barcodes are invalidated and new ones issued.
    #[serde(default)]
    pub reprint: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrintTicketsResult {
    /// The PDF, base64 (standard alphabet).
    #[serde(default)]
    pub pdf_base64: String,
    #[serde(default)]
    pub printed_ticket_ids: Vec<i64>,
    /// The barcodes printed, in page order (new ones after a reprint).
    #[serde(default)]
    pub barcodes: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Access control

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ListType {
    Grey,
    Black,
    White,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TicketType {
    All,
    ThirdParty,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportListRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    pub list_type: ListType,
    pub ticket_type: TicketType,
    pub season_code: String,
    #[serde(default)]
    pub product_codes: Vec<String>,
    #[serde(default)]
    pub performance_codes: Vec<String>,
    /// Null on the first call, then the previous `paginationEnd` (opaque).
    #[serde(default)]
    pub pagination_start: Option<String>,
    pub nb_max_results: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessControlListItem {
    pub barcode: String,
    pub valid: bool,
    pub season_code: String,
    pub product_code: String,
    #[serde(default)]
    pub performance_code: Option<String>,
    pub audience_sub_category_code: String,
    #[serde(default)]
    pub seat_category_code: Option<String>,
    pub tax_number: String,
    #[serde(default)]
    pub entrance_code: Option<String>,
    #[serde(default)]
    pub container_identifier: Option<String>,
    #[serde(default)]
    pub area_code: Option<String>,
    #[serde(default)]
    pub block_code: Option<String>,
    #[serde(default)]
    pub row_number: Option<String>,
    #[serde(default)]
    pub seat_number: Option<String>,
    #[serde(default)]
    pub validity_start_date: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub validity_end_date: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub reduced_price: bool,
    #[serde(default)]
    pub specimen: bool,
    /// When not valid: CANCELLED | TECHNICAL | STOLEN | REPRINTED | REFUNDED.
    #[serde(default)]
    pub cancellation_cause: Option<String>,
    pub last_update: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportListResult {
    #[serde(default)]
    pub access_control_list_data: Option<AccessControlListData>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessControlListData {
    #[serde(default)]
    pub access_control_list_items: Vec<AccessControlListItem>,
    #[serde(default)]
    pub pagination_end: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ControlResult {
    Ok,
    Fail,
    OfflineOk,
    OfflineFail,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlledTicket {
    pub ac_identifier: String,
    pub barcode: String,
    pub control_date: DateTime<FixedOffset>,
    pub control_result: ControlResult,
    #[serde(default)]
    pub failure_reason: Option<String>,
    /// Spelling as published.
    #[serde(default)]
    pub additionnal_info: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportControlledTicketRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    pub controlled_tickets: Vec<ControlledTicket>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportControlledTicketResult {
    #[serde(default)]
    pub imported_count: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BarcodeRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    pub bar_code_or_tax_number: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ControlOperationType {
    Ok,
    OfflineOk,
    Fail,
    OfflineFail,
    InvalidatedTicket,
    CancelledTicket,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlOperation {
    pub control_operation_type: ControlOperationType,
    pub operation_date_time: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ControlledTicketState {
    Valid,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlledTicketData {
    pub barcode: String,
    #[serde(default)]
    pub container_identifier: Option<String>,
    #[serde(default)]
    pub container_ticket: bool,
    #[serde(default)]
    pub control_operations: Vec<ControlOperation>,
    /// Already controlled OK before this operation.
    #[serde(default)]
    pub duplicate: bool,
    #[serde(default)]
    pub printing_date_time: Option<DateTime<FixedOffset>>,
    pub state: ControlledTicketState,
    pub tax_number: String,
    #[serde(default)]
    pub ticket_kind: String,
    pub ticket_medium: TicketMedium,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlledTicketResult {
    #[serde(default)]
    pub controlled_ticket_data: Option<ControlledTicketData>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessControlCatalogRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub season_code: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessControlCatalogResult {
    #[serde(default)]
    pub seasons: Vec<AcSeason>,
    #[serde(default)]
    pub products: Vec<AcProduct>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcSeason {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcProduct {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub performances: Vec<AcPerformance>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcPerformance {
    pub code: String,
    pub start: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeZoneResult {
    #[serde(default)]
    pub time_zone: String,
}
