//! Typed calls of `externalOrderHistoryService` (s360-contract.md §6). All are reads, retried
//! ([`Idempotency::Safe`]).

use super::{Client, Error, Idempotency};
use crate::envelope::Service;
use crate::model::history::*;

impl Client {
    /// `countFilesByCriteria`: how many files (orders) match.
    pub async fn count_files_by_criteria(
        &self,
        req: &CountFilesByCriteriaRequest,
    ) -> Result<u64, Error> {
        let r: CountFilesResult = self
            .call(
                Service::OrderHistory,
                "countFilesByCriteria",
                req,
                Idempotency::Safe,
            )
            .await?;
        Ok(r.number_of_files)
    }

    /// `listTicketsByCriteria`: one page of the tickets of a product sold in a period.
    pub async fn list_tickets_by_criteria(
        &self,
        req: &ListTicketsByCriteriaRequest,
    ) -> Result<ListTicketsResult, Error> {
        self.call(
            Service::OrderHistory,
            "listTicketsByCriteria",
            req,
            Idempotency::Safe,
        )
        .await
    }

    /// `getContactFiles`: a buyer's orders, newest first ("my orders").
    pub async fn get_contact_files(
        &self,
        req: &GetContactFilesRequest,
    ) -> Result<ContactFilesResult, Error> {
        self.call(
            Service::OrderHistory,
            "getContactFiles",
            req,
            Idempotency::Safe,
        )
        .await
    }
}
