//! Orders (`externalOrderFacade` and `externalOrderService`, s360-contract.md §5), the S-PAY /
//! EPC payment widget (§10) and the seat map (`availabilityService.getSeatsAvailability`, §4).
//!
//! The operation lists other than `simpleProductOperations`, `setMovementContactData`, the seat
//! map and the EPC notification are OUR DESIGN, in the style of the published parts.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::ids::*;
use crate::model::catalog::ProductFamilyType;
use crate::money::{Amount, Currency};

macro_rules! order_id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    )*};
}

order_id_type!(
    /// An order (the history API calls it a file).
    OrderId,
    /// One order line (product × tariff × quantity).
    OperationId,
    /// One unit (seat, standing place, entry right) of an operation.
    MovementId,
    /// A payment of an order.
    PaymentId,
);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderType {
    #[default]
    Sale,
    RefundClient,
    RefundOrganization,
    ExchangeOrganization,
    ExchangeClient,
    Reservation,
    Renewal,
    Option,
    ReservationFreeing,
    OptionFreeing,
    StTransfer,
}

/// `orderState` (the emulator's state machine, §5.3; `ABANDONNED` spelt as published).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderState {
    Running,
    Closed,
    Abandonned,
}

/// `paymentState` (§5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentState {
    Waiting,
    InProgress,
    Authorized,
    Paid,
    CancelledByUser,
    Failed,
    Abandoned,
    WaitingManualValidation,
    FailedRejected,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PurchaserInfo {
    /// The contact number of the buyer.
    pub contact_reference: String,
}

// ---------------------------------------------------------------------------------------------
// createOrUpdateOrder

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrUpdateOrderRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    pub point_of_sales_id: Option<PosId>,
    /// Set: the existing (running) order is updated; absent: a new order is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    #[serde(default)]
    pub order_type: OrderType,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purchasers_info: Vec<PurchaserInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Services, goods and open passes: items without date.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub simple_product_operations: Vec<SimpleProductOperation>,
    /// Pass items, with a time slot for visit passes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pass_operations: Vec<PassOperation>,
    /// Dated events.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub single_entry_operations: Vec<SingleEntryOperation>,
    /// Season tickets and packages: the same seat on every performance of the package.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub composed_product_operations: Vec<ComposedProductOperation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimpleProductOperation {
    pub item_id: ItemId,
    pub audience_sub_category_id: AudienceSubCategoryId,
    pub quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PassOperation {
    pub item_id: ItemId,
    pub audience_sub_category_id: AudienceSubCategoryId,
    pub quantity: u32,
    /// Mandatory for items sold per time slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeslot_id: Option<TimeslotId>,
    /// `YYYY-MM-DD`; checked against the time slot's day when both are given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SingleEntryOperation {
    pub performance_id: PerformanceId,
    pub seat_category_id: SeatCategoryId,
    pub audience_sub_category_id: AudienceSubCategoryId,
    pub quantity: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contingent_id: Option<ContingentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_level_id: Option<PriceLevelId>,
    /// Chosen seats (as many as `quantity`); absent: best available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat_ids: Option<Vec<SeatId>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComposedProductOperation {
    pub product_id: ProductId,
    pub audience_sub_category_id: AudienceSubCategoryId,
    pub quantity: u32,
    pub seat_category_id: SeatCategoryId,
    /// Chosen seats, held on every performance of the package; absent: best available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat_ids: Option<Vec<SeatId>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderUpdateResult {
    #[serde(default)]
    pub order_update_data: Option<OrderUpdateData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderUpdateData {
    pub order_id: OrderId,
    pub order_secret_id: String,
    #[serde(default)]
    pub main_operation_id: Option<OperationId>,
    #[serde(default)]
    pub catalog_currency: Option<Currency>,
    /// Operations created or changed by this call.
    #[serde(default)]
    pub operation_data_updates: Vec<OperationData>,
    /// Movements created or changed by this call.
    #[serde(default)]
    pub movement_data_updates: Vec<MovementData>,
    #[serde(default)]
    pub remove_operation_ids: Vec<OperationId>,
    #[serde(default)]
    pub remove_movement_ids: Vec<MovementId>,
    /// OUR DESIGN: the order's totals after the call, fees included.
    #[serde(default)]
    pub sale_amount: Amount,
    /// OUR DESIGN: when the hold ends unless the order is paid or closed.
    #[serde(default)]
    pub expiration_date: Option<DateTime<FixedOffset>>,
}

/// One order line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationData {
    pub operation_id: OperationId,
    /// The product family (`SINGLE_ENTRY`, `PASS`, ...).
    pub kind: ProductFamilyType,
    pub product_id: ProductId,
    /// The product's name in the institution's main language.
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub product_code: String,
    pub product_family_type: ProductFamilyType,
    #[serde(default)]
    pub item_id: Option<ItemId>,
    #[serde(default)]
    pub performance_id: Option<PerformanceId>,
    /// The performance's code.
    #[serde(default)]
    pub performance: Option<String>,
    /// OUR DESIGN: when the performance or time slot starts.
    #[serde(default)]
    pub performance_start: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub timeslot_id: Option<TimeslotId>,
    #[serde(default)]
    pub seat_category_id: Option<SeatCategoryId>,
    /// The seat category's code.
    #[serde(default)]
    pub seat_category: Option<String>,
    pub audience_sub_category_id: AudienceSubCategoryId,
    /// The tariff's code (`ADULT`, `CHILD`, ...).
    #[serde(default)]
    pub audience_sub_category: String,
    pub quantity: u32,
    pub base_price: Amount,
    pub unit_price: Amount,
    pub total_amount: Amount,
    #[serde(default)]
    pub numbered: bool,
    /// OUR DESIGN: the performances a composed product (season ticket) covers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performance_ids: Vec<PerformanceId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MovementType {
    /// A numbered seat.
    Seat,
    /// A place in a non-numbered (standing) area.
    Area,
    /// An entry right without placement (pass, time slot, service).
    Entry,
}

/// The ticket holder of a movement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MovementContact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
}

/// One unit of an operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MovementData {
    pub movement_id: MovementId,
    pub operation_id: OperationId,
    #[serde(rename = "type")]
    pub movement_type: MovementType,
    #[serde(default)]
    pub performance_id: Option<PerformanceId>,
    #[serde(default)]
    pub timeslot_id: Option<TimeslotId>,
    #[serde(default)]
    pub seat_id: Option<SeatId>,
    #[serde(default)]
    pub seat_category_id: Option<SeatCategoryId>,
    #[serde(default)]
    pub seat_category: Option<String>,
    #[serde(default)]
    pub area_id: Option<AreaId>,
    #[serde(default)]
    pub area_code: Option<String>,
    #[serde(default)]
    pub block_code: Option<String>,
    #[serde(default)]
    pub row_number: Option<String>,
    #[serde(default)]
    pub seat_number: Option<String>,
    /// The gate to enter through.
    #[serde(default)]
    pub entrance_code: Option<String>,
    /// For a composed product: which unit (0-based) of the operation this movement belongs to.
    #[serde(default)]
    pub instance_number: u32,
    #[serde(default)]
    pub contact_data: Option<MovementContact>,
}

// ---------------------------------------------------------------------------------------------
// abandonMovements, setMovementContactData

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AbandonMovementsRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    pub order_id: OrderId,
    pub movement_ids: Vec<MovementId>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetMovementContactDataRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    pub order_id: OrderId,
    pub movement_contact_data: Vec<MovementContactData>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MovementContactData {
    pub movement_id: MovementId,
    #[serde(flatten)]
    pub contact: MovementContact,
}

// ---------------------------------------------------------------------------------------------
// closeOrder, getOrderDetails, notifyOrder, reopenOrder

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentInput {
    pub amount: Amount,
    pub payment_method_id: PaymentMethodId,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloseOrderRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    pub order_id: OrderId,
    #[serde(default)]
    pub order_type: OrderType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchaser_info: Option<PurchaserInfo>,
    /// Absent means true (OUR DESIGN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate_bar_codes: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_waiting_time: Option<u32>,
    /// When given, they must add up to the order's `saleAmount`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payments: Vec<PaymentInput>,
}

/// What `closeOrder`, `notifyOrder` and `reopenOrder` answer: the order after the call.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloseOrderResult {
    #[serde(default)]
    pub order_data: Option<OrderDetailsData>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Granularity {
    Operations,
    Movements,
    #[default]
    Tickets,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetOrderDetailsRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    pub order_id: OrderId,
    /// OPERATIONS ⊂ MOVEMENTS ⊂ TICKETS (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity: Option<Granularity>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetailResult {
    #[serde(default)]
    pub order_details_data: Option<OrderDetailsData>,
}

/// A fee of the point of sale applied to the order (`posConfigData.charges`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCharge {
    pub charge_id: i64,
    pub code: String,
    /// The fee's name in the institution's main language.
    pub external_name: String,
    pub amount: Amount,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentData {
    pub payment_id: PaymentId,
    pub payment_method_id: PaymentMethodId,
    pub amount: Amount,
    pub payment_state: PaymentState,
    #[serde(default)]
    pub transaction_id: Option<String>,
    #[serde(default)]
    pub identification: Option<String>,
}

/// A produced entry right.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderTicket {
    pub movement_id: MovementId,
    pub operation_id: OperationId,
    #[serde(default)]
    pub performance_id: Option<PerformanceId>,
    /// 20 digits; absent when the order was closed with `generateBarCodes: false`.
    #[serde(default)]
    pub barcode: Option<String>,
    pub tax_number: String,
    /// `VALID`, `CANCELLED`, `NOT_PRINTED`, `INVALIDATED`.
    pub ticket_state: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetailsData {
    pub order_id: OrderId,
    pub order_secret_id: String,
    pub order_type: OrderType,
    pub order_state: OrderState,
    pub payment_state: PaymentState,
    pub creation_date_time: DateTime<FixedOffset>,
    /// When an unpaid running order releases its stock.
    #[serde(default)]
    pub expiration_date: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub close_date_time: Option<DateTime<FixedOffset>>,
    /// Everything the buyer pays: operations plus charges.
    pub sale_amount: Amount,
    /// OUR DESIGN: the operations alone.
    #[serde(default)]
    pub products_amount: Amount,
    /// OUR DESIGN: the charges alone.
    #[serde(default)]
    pub charges_amount: Amount,
    #[serde(default)]
    pub pre_sale_amount: Amount,
    #[serde(default)]
    pub reservation_amount: Amount,
    #[serde(default)]
    pub option_amount: Amount,
    #[serde(default)]
    pub waiting_account_balance_amount: Amount,
    pub currency: Currency,
    #[serde(default)]
    pub purchaser_contact_number: Option<String>,
    #[serde(default)]
    pub operation_datas: Vec<OperationData>,
    #[serde(default)]
    pub charges: Vec<OrderCharge>,
    #[serde(default)]
    pub movements: Vec<MovementData>,
    #[serde(default)]
    pub payments: Vec<PaymentData>,
    #[serde(default)]
    pub tickets: Vec<OrderTicket>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NotifyStatus {
    Success,
    Failure,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifyOrderRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    pub order_id: OrderId,
    pub payment_id: PaymentId,
    pub status: NotifyStatus,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReopenOrderRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    pub order_id: OrderId,
}

// ---------------------------------------------------------------------------------------------
// createPaymentsAndCloseOrder (S-PAY / EPC widget)

/// Keys of `paymentParametersMap`.
pub const ORDER_IDENTIFIER: &str = "ORDER_IDENTIFIER";
pub const RETURN_URL: &str = "RETURN_URL";
/// OUR DESIGN: where the platform POSTs the server-to-server payment notification.
pub const NOTIFY_URL: &str = "NOTIFY_URL";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<Amount>,
    #[serde(default)]
    pub payment_parameters_map: HashMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePaymentsAndCloseOrderRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    pub order_id: OrderId,
    #[serde(default)]
    pub is_converted_reservation: bool,
    #[serde(default)]
    pub create_token: bool,
    pub payments: Vec<PaymentInput>,
    pub payment_params: PaymentParams,
    #[serde(default)]
    pub order_type: OrderType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_waiting_time: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purchasers_info: Vec<PurchaserInfo>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePaymentsResult {
    #[serde(default)]
    pub payment_id: Option<PaymentId>,
    #[serde(default)]
    pub identification: Option<String>,
    /// The EPC transaction that feeds the widget.
    #[serde(rename = "transactionID", default)]
    pub transaction_id: Option<String>,
    /// OUR DESIGN: the hosted card page, relative to the S-360 host (`/epc/pay/{transactionID}`).
    #[serde(default)]
    pub payment_page_path: Option<String>,
}

/// OUR DESIGN: the JSON the platform POSTs to `NOTIFY_URL` once a payment has an outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentNotification {
    pub order_id: OrderId,
    pub payment_id: PaymentId,
    #[serde(rename = "transactionID")]
    pub transaction_id: String,
    /// `success`, `refused` or `cancelled`.
    pub status: String,
}

// ---------------------------------------------------------------------------------------------
// availabilityService.getSeatsAvailability (OUR DESIGN, §4)

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatsAvailabilityRequest {
    pub point_of_sales_id: Option<PosId>,
    pub performance_id: Option<PerformanceId>,
    /// Empty: every category.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seat_category_ids: Vec<SeatCategoryId>,
    /// Empty: every area.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub area_ids: Vec<AreaId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SeatStatus {
    Free,
    /// Sold (in a closed order).
    Booked,
    /// Not for sale.
    Blocked,
    /// Held by a running order.
    Reserved,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatAvailability {
    pub seat_id: SeatId,
    pub area_id: AreaId,
    pub area_code: String,
    pub block_code: String,
    pub row_number: String,
    pub seat_number: String,
    pub seat_category_id: SeatCategoryId,
    pub status: SeatStatus,
    pub x: i32,
    pub y: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StandingAvailability {
    pub area_id: AreaId,
    pub area_code: String,
    pub seat_category_id: SeatCategoryId,
    pub capacity: u32,
    pub remaining: u32,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatsAvailabilityResult {
    #[serde(default)]
    pub seats_availability_data: Option<SeatsAvailabilityData>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatsAvailabilityData {
    #[serde(default)]
    pub seats: Vec<SeatAvailability>,
    #[serde(default)]
    pub standing_areas: Vec<StandingAvailability>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names() {
        let r = CreatePaymentsResult {
            payment_id: Some(PaymentId(5)),
            identification: Some("x".into()),
            transaction_id: Some("T".into()),
            payment_page_path: None,
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["transactionID"], "T");
        assert_eq!(v["paymentId"], 5);
        assert_eq!(
            serde_json::to_value(OrderState::Abandonned).unwrap(),
            "ABANDONNED"
        );
        assert_eq!(
            serde_json::to_value(PaymentState::CancelledByUser).unwrap(),
            "CANCELLED_BY_USER"
        );
        let op: SingleEntryOperation = serde_json::from_value(serde_json::json!({
            "performanceId": 1, "seatCategoryId": 2, "audienceSubCategoryId": 3, "quantity": 2
        }))
        .unwrap();
        assert_eq!(op.seat_ids, None);
        let c: MovementContactData = serde_json::from_value(serde_json::json!({
            "movementId": 9, "firstName": "Ada", "lastName": "Lovelace"
        }))
        .unwrap();
        assert_eq!(c.contact.first_name.as_deref(), Some("Ada"));
    }
}
