//! Production (tickets, PDFs) and access-control calls.

use super::{Client, Error, Idempotency};
use crate::envelope::Service;
use crate::model::ticket::*;

impl Client {
    /// The tickets of an order (all, or some movements).
    pub async fn get_tickets(&self, req: &GetTicketsRequest) -> Result<Vec<TicketData>, Error> {
        let r: GetTicketsResult = self
            .call(Service::Production, "getTickets", req, Idempotency::Safe)
            .await?;
        Ok(r.tickets)
    }

    /// Prints tickets as one PDF. Not repeated on failure: a reprint issues new barcodes.
    pub async fn print_tickets(
        &self,
        req: &PrintTicketsRequest,
    ) -> Result<PrintTicketsResult, Error> {
        let idem = if req.reprint {
            Idempotency::Once
        } else {
            Idempotency::Safe
        };
        self.call(Service::Production, "printTickets", req, idem)
            .await
    }

    /// One page of the white/black/grey list, from `paginationStart` (None on the first call).
    pub async fn export_list(
        &self,
        req: &ExportListRequest,
    ) -> Result<AccessControlListData, Error> {
        let r: ExportListResult = self
            .call(Service::AccessControl, "exportList", req, Idempotency::Safe)
            .await?;
        Ok(r.access_control_list_data.unwrap_or_default())
    }

    pub async fn get_controlled_ticket(&self, code: &str) -> Result<ControlledTicketData, Error> {
        let r: ControlledTicketResult = self
            .call(
                Service::AccessControl,
                "getControlledTicket",
                &BarcodeRequest {
                    request_id: None,
                    bar_code_or_tax_number: code.to_string(),
                },
                Idempotency::Safe,
            )
            .await?;
        r.controlled_ticket_data
            .ok_or_else(|| Error::Protocol("getControlledTicket without data".into()))
    }

    /// Controls a ticket now (a gate scan). Sent once: a repeat would be a second scan.
    pub async fn burn_ticket(&self, code: &str) -> Result<ControlledTicketData, Error> {
        let r: ControlledTicketResult = self
            .call(
                Service::AccessControl,
                "burnTicket",
                &BarcodeRequest {
                    request_id: Some(self.next_request_id()),
                    bar_code_or_tax_number: code.to_string(),
                },
                Idempotency::Once,
            )
            .await?;
        r.controlled_ticket_data
            .ok_or_else(|| Error::Protocol("burnTicket without data".into()))
    }

    /// Reports scans made by the gates. Transactional: a blacklisted barcode fails the whole
    /// call (`Failed to import controlledTickets:<barcode>`); barcodes S-360 never issued are
    /// ignored.
    pub async fn import_controlled_tickets(
        &self,
        tickets: Vec<ControlledTicket>,
    ) -> Result<u32, Error> {
        let r: ImportControlledTicketResult = self
            .call(
                Service::AccessControl,
                "importControlledTicket",
                &ImportControlledTicketRequest {
                    request_id: Some(self.next_request_id()),
                    controlled_tickets: tickets,
                },
                Idempotency::Once,
            )
            .await?;
        Ok(r.imported_count)
    }

    pub async fn get_access_control_catalog(
        &self,
        season_code: Option<&str>,
    ) -> Result<AccessControlCatalogResult, Error> {
        self.call(
            Service::AccessControl,
            "getAccessControlCatalog",
            &AccessControlCatalogRequest {
                request_id: None,
                season_code: season_code.map(str::to_string),
            },
            Idempotency::Safe,
        )
        .await
    }

    pub async fn get_time_zone(&self) -> Result<String, Error> {
        let r: TimeZoneResult = self
            .call(
                Service::AccessControl,
                "getTimeZone",
                &serde_json::json!({}),
                Idempotency::Safe,
            )
            .await?;
        Ok(r.time_zone)
    }
}
