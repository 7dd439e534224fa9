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
    /// The ticket holder, when the institution sends it to access control (OUR DESIGN, §11):
    /// any of [`AcNameValue::FIRSTNAME`], [`AcNameValue::LASTNAME`], [`AcNameValue::ID_NUMBER`],
    /// [`AcNameValue::BIRTHDATE`] (`YYYY-MM-DD`), [`AcNameValue::COUNTRY_CODE`] (ISO-3166
    /// alpha-2), each at most once; absent when not sent or not known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holder_data: Vec<AcNameValue>,
}

/// One named value about a ticket holder in an access-control list item (OUR DESIGN, §11; the
/// `{name, value}` shape of S-360's data exports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcNameValue {
    pub name: String,
    pub value: String,
}

impl AcNameValue {
    pub const FIRSTNAME: &'static str = "FIRSTNAME";
    pub const LASTNAME: &'static str = "LASTNAME";
    /// Passport or identity card number.
    pub const ID_NUMBER: &'static str = "ID_NUMBER";
    /// `YYYY-MM-DD`.
    pub const BIRTHDATE: &'static str = "BIRTHDATE";
    /// Nationality, ISO-3166 alpha-2.
    pub const COUNTRY_CODE: &'static str = "COUNTRY_CODE";

    pub fn new(name: &str, value: impl Into<String>) -> Self {
        AcNameValue {
            name: name.to_string(),
            value: value.into(),
        }
    }
}

impl AccessControlListItem {
    /// The holder value named `name` (one of the [`AcNameValue`] constants), if sent.
    pub fn holder(&self, name: &str) -> Option<&str> {
        self.holder_data
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.value.as_str())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn item(holder_data: Vec<AcNameValue>) -> AccessControlListItem {
        AccessControlListItem {
            barcode: "24282035061813972260".into(),
            valid: true,
            season_code: "S2025".into(),
            product_code: "5012".into(),
            performance_code: Some("P0001".into()),
            audience_sub_category_code: "ADULT".into(),
            seat_category_code: None,
            tax_number: "T-000123".into(),
            entrance_code: Some("GATE_A".into()),
            container_identifier: None,
            area_code: None,
            block_code: None,
            row_number: None,
            seat_number: None,
            validity_start_date: None,
            validity_end_date: None,
            reduced_price: false,
            specimen: false,
            cancellation_cause: None,
            last_update: DateTime::parse_from_rfc3339("2025-05-01T10:00:00+02:00").unwrap(),
            holder_data,
        }
    }

    #[test]
    fn holder_data_is_left_out_when_empty_and_optional_when_read() {
        let json = serde_json::to_value(item(vec![])).unwrap();
        assert!(json.get("holderData").is_none(), "{json}");
        let back: AccessControlListItem = serde_json::from_value(json).unwrap();
        assert!(back.holder_data.is_empty());
    }

    #[test]
    fn holder_data_round_trips_as_name_values() {
        let it = item(vec![
            AcNameValue::new(AcNameValue::FIRSTNAME, "Alice"),
            AcNameValue::new(AcNameValue::BIRTHDATE, "1990-04-30"),
        ]);
        let json = serde_json::to_value(&it).unwrap();
        assert_eq!(
            json["holderData"],
            serde_json::json!([
                {"name": "FIRSTNAME", "value": "Alice"},
                {"name": "BIRTHDATE", "value": "1990-04-30"}
            ])
        );
        let back: AccessControlListItem = serde_json::from_value(json).unwrap();
        assert_eq!(back, it);
        assert_eq!(back.holder(AcNameValue::FIRSTNAME), Some("Alice"));
        assert_eq!(back.holder(AcNameValue::COUNTRY_CODE), None);
    }
}
