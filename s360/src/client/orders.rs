//! Typed calls of the order flow (s360-contract.md §5, §10) and the seat map (§4).
//!
//! Creating an order line or a payment is sent once ([`Idempotency::Once`]): a blind retry
//! could hold stock twice or open a second payment. `getOrderDetails`, `closeOrder`,
//! `notifyOrder` and `setMovementContactData` are idempotent per the contract and retried
//! ([`Idempotency::Safe`]); the writes among them carry a `requestId` that stays the same
//! across the retries of one call.

use super::{Client, Error, Idempotency};
use crate::envelope::Service;
use crate::ids::PosId;
use crate::model::order::*;

impl Client {
    /// `createOrUpdateOrder`: a new order (no `orderId`) or lines added to a running one.
    /// Missing stock is [`Error::Availability`].
    pub async fn create_or_update_order(
        &self,
        req: &CreateOrUpdateOrderRequest,
    ) -> Result<OrderUpdateData, Error> {
        let r: OrderUpdateResult = self
            .call(
                Service::ExternalOrderFacade,
                "createOrUpdateOrder",
                req,
                Idempotency::Once,
            )
            .await?;
        r.order_update_data
            .ok_or_else(|| Error::Protocol("createOrUpdateOrder without orderUpdateData".into()))
    }

    /// `abandonMovements`: removes units from a running order and releases their stock.
    pub async fn abandon_movements(
        &self,
        order_id: OrderId,
        movement_ids: Vec<MovementId>,
    ) -> Result<OrderUpdateData, Error> {
        let req = AbandonMovementsRequest {
            request_id: Some(self.next_request_id()),
            order_id,
            movement_ids,
        };
        let r: OrderUpdateResult = self
            .call(
                Service::ExternalOrder,
                "abandonMovements",
                &req,
                Idempotency::Once,
            )
            .await?;
        r.order_update_data
            .ok_or_else(|| Error::Protocol("abandonMovements without orderUpdateData".into()))
    }

    /// `setMovementContactData`: the ticket holders (mandatory for season tickets).
    pub async fn set_movement_contact_data(
        &self,
        order_id: OrderId,
        movement_contact_data: Vec<MovementContactData>,
    ) -> Result<OrderUpdateData, Error> {
        let req = SetMovementContactDataRequest {
            request_id: Some(self.next_request_id()),
            order_id,
            movement_contact_data,
        };
        let r: OrderUpdateResult = self
            .call(
                Service::ExternalOrder,
                "setMovementContactData",
                &req,
                Idempotency::Safe,
            )
            .await?;
        r.order_update_data
            .ok_or_else(|| Error::Protocol("setMovementContactData without orderUpdateData".into()))
    }

    /// `closeOrder`: makes the order final (idempotent: closing twice is one sale).
    pub async fn close_order(&self, req: &CloseOrderRequest) -> Result<OrderDetailsData, Error> {
        let mut req = req.clone();
        req.request_id.get_or_insert_with(|| self.next_request_id());
        let r: CloseOrderResult = self
            .call(
                Service::ExternalOrder,
                "closeOrder",
                &req,
                Idempotency::Safe,
            )
            .await?;
        r.order_data
            .ok_or_else(|| Error::Protocol("closeOrder without orderData".into()))
    }

    /// `getOrderDetails` at the given granularity (TICKETS when `None`).
    pub async fn get_order_details(
        &self,
        order_id: OrderId,
        granularity: Option<Granularity>,
    ) -> Result<OrderDetailsData, Error> {
        let req = GetOrderDetailsRequest {
            request_id: None,
            order_id,
            granularity,
        };
        let r: OrderDetailResult = self
            .call(
                Service::ExternalOrder,
                "getOrderDetails",
                &req,
                Idempotency::Safe,
            )
            .await?;
        r.order_details_data
            .ok_or_else(|| Error::Protocol("getOrderDetails without orderDetailsData".into()))
    }

    /// `createPaymentsAndCloseOrder`: opens an S-PAY payment; the answer's `transactionID`
    /// feeds the EPC widget.
    pub async fn create_payments_and_close_order(
        &self,
        req: &CreatePaymentsAndCloseOrderRequest,
    ) -> Result<CreatePaymentsResult, Error> {
        let r: CreatePaymentsResult = self
            .call(
                Service::ExternalOrderFacade,
                "createPaymentsAndCloseOrder",
                req,
                Idempotency::Once,
            )
            .await?;
        if r.payment_id.is_none() || r.transaction_id.is_none() {
            return Err(Error::Protocol(
                "createPaymentsAndCloseOrder without paymentId or transactionID".into(),
            ));
        }
        Ok(r)
    }

    /// `notifyOrder`: SUCCESS finalises the order (the payment must be PAID), FAILURE abandons
    /// it. Idempotent.
    pub async fn notify_order(
        &self,
        order_id: OrderId,
        payment_id: PaymentId,
        status: NotifyStatus,
    ) -> Result<OrderDetailsData, Error> {
        let req = NotifyOrderRequest {
            request_id: Some(self.next_request_id()),
            order_id,
            payment_id,
            status,
        };
        let r: CloseOrderResult = self
            .call(
                Service::ExternalOrderFacade,
                "notifyOrder",
                &req,
                Idempotency::Safe,
            )
            .await?;
        r.order_data
            .ok_or_else(|| Error::Protocol("notifyOrder without orderData".into()))
    }

    /// `reopenOrder`: an abandoned order runs again (its stock held again) for a new payment.
    pub async fn reopen_order(&self, order_id: OrderId) -> Result<OrderDetailsData, Error> {
        let req = ReopenOrderRequest {
            request_id: Some(self.next_request_id()),
            order_id,
        };
        let r: CloseOrderResult = self
            .call(
                Service::ExternalOrderFacade,
                "reopenOrder",
                &req,
                Idempotency::Once,
            )
            .await?;
        r.order_data
            .ok_or_else(|| Error::Protocol("reopenOrder without orderData".into()))
    }

    /// `getSeatsAvailability`: the seat map of one performance.
    pub async fn get_seats_availability(
        &self,
        pos: PosId,
        req: &SeatsAvailabilityRequest,
    ) -> Result<SeatsAvailabilityData, Error> {
        let mut req = req.clone();
        req.point_of_sales_id.get_or_insert(pos);
        let r: SeatsAvailabilityResult = self
            .call(
                Service::Availability,
                "getSeatsAvailability",
                &req,
                Idempotency::Safe,
            )
            .await?;
        r.seats_availability_data.ok_or_else(|| {
            Error::Protocol("getSeatsAvailability without seatsAvailabilityData".into())
        })
    }
}
