//! Typed calls of `contactInformationPublicService` (s360-contract.md §7).
//!
//! Reads are retried ([`Idempotency::Safe`]); creations are sent once ([`Idempotency::Once`]):
//! a retried `createContact` could create a second contact. Updates that set a state
//! (`updateContact`, `createOrUpdateAddress` with an `addressId`, `setContactCriteria`,
//! `deleteContact`, `deleteAddress`) are idempotent and retried.

use super::{Client, Error, Idempotency};
use crate::envelope::Service;
use crate::model::contact::*;

impl Client {
    /// `getContactData`; an empty `details` asks for everything.
    pub async fn get_contact_data(
        &self,
        contact_number: &str,
        details: &[ContactDetail],
    ) -> Result<ContactDataResult, Error> {
        let req = GetContactDataRequest {
            contact_number: contact_number.to_string(),
            details: details.to_vec(),
        };
        self.call(Service::Contact, "getContactData", &req, Idempotency::Safe)
            .await
    }

    /// `createCulturalContact`: light contacts (name + e-mail), e.g. ticket holders.
    pub async fn create_cultural_contacts(
        &self,
        contacts: Vec<CulturalContactData>,
    ) -> Result<CulturalContactCreationResult, Error> {
        let req = CreateCulturalContactRequest {
            contact_data_list: contacts,
        };
        self.call(
            Service::Contact,
            "createCulturalContact",
            &req,
            Idempotency::Once,
        )
        .await
    }

    /// `createContact`: a buyer, with a login when `createLogin` is set.
    pub async fn create_contact(
        &self,
        req: &CreateContactRequest,
    ) -> Result<CreateContactResult, Error> {
        self.call(Service::Contact, "createContact", req, Idempotency::Once)
            .await
    }

    /// `updateContact`: replaces the main data.
    pub async fn update_contact(
        &self,
        contact_number: &str,
        individual_contact: IndividualContact,
    ) -> Result<(), Error> {
        let req = UpdateContactRequest {
            contact_number: contact_number.to_string(),
            individual_contact,
        };
        let _: ContactUpdateResult = self
            .call(Service::Contact, "updateContact", &req, Idempotency::Safe)
            .await?;
        Ok(())
    }

    /// `deleteContact`: GDPR anonymisation; the contact turns INACTIVE.
    pub async fn delete_contact(&self, contact_number: &str) -> Result<(), Error> {
        let req = ContactNumberRequest {
            contact_number: contact_number.to_string(),
        };
        let _: ContactUpdateResult = self
            .call(Service::Contact, "deleteContact", &req, Idempotency::Safe)
            .await?;
        Ok(())
    }

    /// `createOrUpdateAddress`: creates when `addressId` is absent; returns the stored address.
    pub async fn create_or_update_address(
        &self,
        contact_number: &str,
        address: ContactAddressData,
    ) -> Result<ContactAddressData, Error> {
        let idem = if address.address_id.is_some() {
            Idempotency::Safe
        } else {
            Idempotency::Once
        };
        let req = CreateOrUpdateAddressRequest {
            contact_number: contact_number.to_string(),
            address,
        };
        let r: AddressResult = self
            .call(Service::Contact, "createOrUpdateAddress", &req, idem)
            .await?;
        r.address
            .ok_or_else(|| Error::Protocol("createOrUpdateAddress without address".into()))
    }

    /// `deleteAddress`.
    pub async fn delete_address(
        &self,
        contact_number: &str,
        address_id: AddressId,
    ) -> Result<(), Error> {
        let req = DeleteAddressRequest {
            contact_number: contact_number.to_string(),
            address_id,
        };
        let _: ContactUpdateResult = self
            .call(Service::Contact, "deleteAddress", &req, Idempotency::Safe)
            .await?;
        Ok(())
    }

    /// `setContactCriteria`: sets the listed criteria (opt-ins such as `NEWSLETTER`).
    pub async fn set_contact_criteria(
        &self,
        contact_number: &str,
        criteria: Vec<ContactCriterion>,
    ) -> Result<(), Error> {
        let req = SetContactCriteriaRequest {
            contact_number: contact_number.to_string(),
            criteria,
        };
        let _: ContactUpdateResult = self
            .call(
                Service::Contact,
                "setContactCriteria",
                &req,
                Idempotency::Safe,
            )
            .await?;
        Ok(())
    }

    /// `searchContacts`: one page.
    pub async fn search_contacts(
        &self,
        req: &SearchContactsRequest,
    ) -> Result<SearchContactsResult, Error> {
        self.call(Service::Contact, "searchContacts", req, Idempotency::Safe)
            .await
    }
}
