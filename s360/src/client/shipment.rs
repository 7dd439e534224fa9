//! Typed calls of `shipmentPublicService` (s360-contract.md §9).
//!
//! Reads are retried ([`Idempotency::Safe`]). `createShipment` is sent once
//! ([`Idempotency::Once`]): it changes the order's amount. `changeShipmentMode` sets a state
//! (the same mode twice is one change) and is retried.

use super::{Client, Error, Idempotency};
use crate::envelope::Service;
use crate::ids::PosId;
use crate::model::order::OrderId;
use crate::model::shipment::*;

impl Client {
    /// `getAvailableShipmentModes`: the modes that fit the order (or families) and destination.
    /// The request's `pointOfSalesId` is filled with `pos` when absent.
    pub async fn get_available_shipment_modes(
        &self,
        pos: PosId,
        req: &GetAvailableShipmentModesRequest,
    ) -> Result<Vec<ShipmentModeData>, Error> {
        let mut req = req.clone();
        req.point_of_sales_id.get_or_insert(pos);
        let r: ShipmentModesResult = self
            .call(
                Service::Shipment,
                "getAvailableShipmentModes",
                &req,
                Idempotency::Safe,
            )
            .await?;
        Ok(r.shipment_modes_detailed_data
            .map(|d| d.shipment_modes)
            .unwrap_or_default())
    }

    /// `createShipment`: applies a mode to a running order; its fee shows in the order's
    /// charges. A mode needing an address without one is `error.shipment.addressRequired`.
    pub async fn create_shipment(
        &self,
        req: &CreateShipmentRequest,
    ) -> Result<ShipmentData, Error> {
        let r: ShipmentsResult = self
            .call(Service::Shipment, "createShipment", req, Idempotency::Once)
            .await?;
        r.shipments
            .into_iter()
            .next()
            .ok_or_else(|| Error::Protocol("createShipment without a shipment".into()))
    }

    /// `getShipments`: the shipments of an order (none before `createShipment`).
    pub async fn get_shipments(&self, order_id: OrderId) -> Result<Vec<ShipmentData>, Error> {
        let req = GetShipmentsRequest {
            request_id: None,
            order_id,
        };
        let r: ShipmentsResult = self
            .call(Service::Shipment, "getShipments", &req, Idempotency::Safe)
            .await?;
        Ok(r.shipments)
    }

    /// `changeShipmentMode`; a shipment already sent is [`Error::ShipmentSent`].
    pub async fn change_shipment_mode(
        &self,
        shipment_ids: Vec<ShipmentId>,
        shipment_mode_id: ShipmentModeId,
    ) -> Result<Vec<ShipmentData>, Error> {
        let req = ChangeShipmentModeRequest {
            request_id: Some(self.next_request_id()),
            shipment_ids,
            shipment_mode_id,
        };
        let r: ShipmentsResult = self
            .call(
                Service::Shipment,
                "changeShipmentMode",
                &req,
                Idempotency::Safe,
            )
            .await?;
        Ok(r.shipments)
    }
}
