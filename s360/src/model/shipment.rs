//! Shipments (`tnpsb` / `shipmentPublicService` v1_18), s360-contract.md §9.
//!
//! `getAvailableShipmentModes` and `changeShipmentMode` follow the published shapes (High);
//! `createShipment` and `getShipments` are OUR DESIGN in the same style. Which modes the
//! sandbox offers for which order is documented in the contract's "Sandbox decisions" of §9.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::ids::{PosId, ProductFamilyId};
use crate::model::contact::{AddressId, ContactAddressData};
use crate::model::order::{OperationId, OrderId};
use crate::money::Amount;
use crate::text::Translations;

/// Business error: the mode ships paper and needs a postal address (OUR DESIGN).
pub const ERROR_ADDRESS_REQUIRED: &str = "error.shipment.addressRequired";
/// Business error: the mode exists but is not offered for this order or destination (OUR DESIGN).
pub const ERROR_MODE_NOT_AVAILABLE: &str = "error.shipment.modeNotAvailable";

macro_rules! shipment_id_type {
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
    )*};
}

shipment_id_type!(
    /// A shipment mode of the institution (print@home, mail, ...).
    ShipmentModeId,
    /// One shipment (the tickets and documents of an order sent one way).
    ShipmentId,
);

/// What is to be shipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShipmentContents {
    #[default]
    Tickets,
    Documents,
    TicketsAndDocuments,
}

/// The shipment mode types (Confluence vocabulary, spelt as published).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ShipmentModeType {
    #[serde(rename = "PRINT_AT_HOME")]
    PrintAtHome,
    #[serde(rename = "ELECTRONIC")]
    Electronic,
    #[serde(rename = "MOBILE")]
    Mobile,
    #[serde(rename = "BY_MAIL")]
    ByMail,
    #[serde(rename = "BY_RECOMMANDED_MAIL")]
    ByRecommandedMail,
    #[serde(rename = "DHL")]
    Dhl,
    #[serde(rename = "PICK UP AT CONTROL")]
    PickUpAtControl,
    #[serde(rename = "HAND TO CONTACT POSTPONED")]
    HandToContactPostponed,
    #[serde(rename = "BY HAND")]
    ByHand,
    #[serde(rename = "BY_EMAIL")]
    ByEmail,
    #[serde(rename = "LOAD_BADGE")]
    LoadBadge,
    #[serde(rename = "LOAD_RFID_CARD")]
    LoadRfidCard,
    #[serde(rename = "EXTERNAL")]
    External,
    #[serde(rename = "BLOCKCHAIN")]
    Blockchain,
}

impl ShipmentModeType {
    /// Delivered by the platform itself when the order closes (nothing to post or hand over).
    pub fn is_electronic(self) -> bool {
        matches!(
            self,
            ShipmentModeType::PrintAtHome
                | ShipmentModeType::Electronic
                | ShipmentModeType::Mobile
                | ShipmentModeType::ByEmail
                | ShipmentModeType::Blockchain
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShipmentState {
    Sent,
    Unsent,
}

// ---------------------------------------------------------------------------------------------
// getAvailableShipmentModes

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetAvailableShipmentModesRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    /// Mandatory.
    pub point_of_sales_id: Option<PosId>,
    pub shipment_contents: ShipmentContents,
    /// ISO-3166 alpha-2; wins over the country of `contactAddressId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_country_code: Option<String>,
    /// One of the addresses of the order's buyer (needs `orderId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_address_id: Option<AddressId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    /// Without an order: the families to ship (from `posConfigData.productFamilies`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_family_ids: Vec<ProductFamilyId>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentModesResult {
    #[serde(default)]
    pub shipment_modes_detailed_data: Option<ShipmentModesDetailedData>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentModesDetailedData {
    #[serde(default)]
    pub shipment_modes: Vec<ShipmentModeData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentModeData {
    pub shipment_mode_id: ShipmentModeId,
    pub code: String,
    #[serde(rename = "type")]
    pub mode_type: ShipmentModeType,
    #[serde(default)]
    pub external_name: Translations,
    #[serde(default)]
    pub external_description: Translations,
    /// The fee added to the order (thousandths).
    pub price: Amount,
    #[serde(default)]
    pub address_required: bool,
    /// Working days the post needs (mail modes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_days: Option<u32>,
}

// ---------------------------------------------------------------------------------------------
// createShipment, getShipments, changeShipmentMode

/// OUR DESIGN: applies a mode to a running order (replacing the order's shipment, if any).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateShipmentRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    pub order_id: OrderId,
    pub shipment_mode_id: ShipmentModeId,
    /// One of the buyer's addresses; mandatory for modes with `addressRequired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_address_id: Option<AddressId>,
    /// Where electronic tickets go; defaults to the buyer's e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetShipmentsRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    pub order_id: OrderId,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeShipmentModeRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    pub shipment_ids: Vec<ShipmentId>,
    pub shipment_mode_id: ShipmentModeId,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentsResult {
    #[serde(default)]
    pub shipments: Vec<ShipmentData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentData {
    pub shipment_id: ShipmentId,
    /// OUR DESIGN: the order shipped.
    pub order_id: OrderId,
    pub shipment_mode_id: ShipmentModeId,
    /// OUR DESIGN: the mode's code and type, to spare a lookup.
    #[serde(default)]
    pub shipment_mode_code: String,
    #[serde(rename = "shipmentModeType")]
    pub mode_type: ShipmentModeType,
    pub state: ShipmentState,
    /// When the shipment was sent (electronic modes: when the order closed).
    #[serde(default)]
    pub collection_date_time: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub contact_address: Option<ContactAddressData>,
    /// The address chosen first (kept when the mode changes).
    #[serde(default)]
    pub original_contact_address_id: Option<AddressId>,
    #[serde(default)]
    pub contact_number: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub number_of_tickets: u32,
    #[serde(default)]
    pub operation_ids: Vec<OperationId>,
    /// OUR DESIGN: the fee charged on the order for this shipment.
    #[serde(default)]
    pub price: Amount,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_types_are_spelt_as_published() {
        let v = serde_json::to_value([
            ShipmentModeType::PickUpAtControl,
            ShipmentModeType::ByRecommandedMail,
        ])
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!(["PICK UP AT CONTROL", "BY_RECOMMANDED_MAIL"])
        );
        let c: ShipmentContents = serde_json::from_str("\"TICKETS_AND_DOCUMENTS\"").unwrap();
        assert_eq!(c, ShipmentContents::TicketsAndDocuments);
    }
}
