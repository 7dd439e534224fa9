//! Contacts (`tnco` / `contactInformationPublicService` v2_21), s360-contract.md §7.
//!
//! `getContactData` and `createCulturalContact` follow the published shapes (High);
//! `createContact`, `updateContact`, `deleteContact`, `createOrUpdateAddress`, `deleteAddress`,
//! `setContactCriteria` and `searchContacts` are OUR DESIGN in the same style.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// Business error: the login e-mail is already used by another PUBLIC-role contact (OUR DESIGN).
pub const ERROR_DUPLICATE_LOGIN: &str = "error.contact.duplicateLogin";
/// Business error: an e-mail address that is not one (OUR DESIGN).
pub const ERROR_INVALID_EMAIL: &str = "error.contact.invalidEmail";
/// Business error: a mandatory field of the contact is missing (OUR DESIGN).
pub const ERROR_MISSING_FIELD: &str = "error.contact.missingField";
/// Business error: the contact was deleted (anonymised) and can no longer be changed (OUR DESIGN).
pub const ERROR_INACTIVE: &str = "error.contact.inactive";

/// The role of buyers of the ticket shop.
pub const ROLE_PUBLIC: &str = "PUBLIC";

/// The criterion code of the newsletter opt-in (values `["true"]` / `["false"]`).
pub const CRITERION_NEWSLETTER: &str = "NEWSLETTER";

/// The technical id of a contact (`contactId`, a `long`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct ContactId(pub i64);

impl std::fmt::Display for ContactId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The id of one address of a contact (`addressId`, a `long`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct AddressId(pub i64);

impl std::fmt::Display for AddressId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContactType {
    #[default]
    Individual,
    Structure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContactState {
    #[default]
    Active,
    /// Deleted: anonymised for the GDPR, kept for the order history.
    Inactive,
}

/// The `details` a `getContactData` call asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContactDetail {
    General,
    Qualities,
    Authorizations,
    Criteria,
    Indicators,
    Advantages,
    Addresses,
    ComMeans,
    Financial,
    Connections,
    IndividualPhoto,
    InvalidatedQualities,
}

// ---------------------------------------------------------------------------------------------
// getContactData

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetContactDataRequest {
    pub contact_number: String,
    /// Empty: everything the sandbox models (GENERAL, ADDRESSES, CRITERIA).
    #[serde(default)]
    pub details: Vec<ContactDetail>,
}

/// A contact as `getContactData` returns it (the fields sit beside the envelope's status).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactDataResult {
    pub contact_id: ContactId,
    /// The business key, at most 20 characters.
    pub contact_number: String,
    #[serde(rename = "type", default)]
    pub contact_type: ContactType,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub state: ContactState,
    #[serde(default)]
    pub guest: bool,
    pub creation_date: DateTime<FixedOffset>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub individual_contact: Option<IndividualContact>,
    #[serde(default)]
    pub addresses: Vec<ContactAddressData>,
    #[serde(default)]
    pub contact_criteria: Vec<ContactCriterion>,
}

impl ContactDataResult {
    /// Whether the contact opted in to the criterion `code` (values `["true"]`).
    pub fn opted_in(&self, code: &str) -> bool {
        self.contact_criteria
            .iter()
            .any(|c| c.criterion_code == code && c.values.iter().any(|v| v == "true"))
    }
}

/// The person behind an INDIVIDUAL contact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndividualContact {
    /// The ticket-shop login (the e-mail), when the contact has an account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub individual_firstname: String,
    #[serde(default)]
    pub individual_lastname: String,
    /// `M`, `F` or `U` (not checked by the sandbox).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub individual_gender: Option<String>,
    /// ISO-3166 alpha-2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
    /// Preferred language (`en`, `fr`, `de`): OUR DESIGN, the OIDC `locale` claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// One postal address. `addressType` combines `M` (main), `S` (shipment), `B` (billing): `"MSB"`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactAddressData {
    /// Absent to create an address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_id: Option<AddressId>,
    #[serde(default)]
    pub address_type: String,
    #[serde(default)]
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line3: Option<String>,
    #[serde(default)]
    pub zip_code: String,
    #[serde(default)]
    pub town: String,
    /// ISO-3166 alpha-2.
    #[serde(default)]
    pub country_code: String,
}

impl ContactAddressData {
    /// Whether the type includes `M`, `S` or `B`.
    pub fn is(&self, kind: char) -> bool {
        self.address_type.contains(kind)
    }
}

/// A criterion (opt-ins such as `NEWSLETTER` are criteria with `values: ["true"]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactCriterion {
    pub criterion_code: String,
    #[serde(default)]
    pub values: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// createCulturalContact

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCulturalContactRequest {
    pub contact_data_list: Vec<CulturalContactData>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CulturalContactData {
    /// The caller's correlation id, a key of `identifierContactMap`.
    pub identifier: String,
    /// An existing contact to reuse instead of creating one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_number: Option<String>,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub email: String,
    /// Make the e-mail the contact's ticket-shop login.
    #[serde(default)]
    pub create_login: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CulturalContactCreationResult {
    #[serde(default)]
    pub cultural_contact_data: Vec<ContactDataResult>,
    /// identifier -> contactNumber
    #[serde(default)]
    pub identifier_contact_map: BTreeMap<String, String>,
}

// ---------------------------------------------------------------------------------------------
// createContact / updateContact / deleteContact (OUR DESIGN)

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateContactRequest {
    /// `login` is ignored: `createLogin` makes the e-mail the login.
    pub individual_contact: IndividualContact,
    #[serde(default)]
    pub addresses: Vec<ContactAddressData>,
    #[serde(default)]
    pub criteria: Vec<ContactCriterion>,
    /// Criterion codes to set to `["true"]` (e.g. `NEWSLETTER`).
    #[serde(default)]
    pub opt_ins: Vec<String>,
    #[serde(default)]
    pub create_login: bool,
    /// The ticket-shop password (with `createLogin`); never returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateContactResult {
    #[serde(default)]
    pub contact_number: String,
    #[serde(default)]
    pub contact_id: ContactId,
}

/// Replaces the main data; a `login` is kept in sync with a changed e-mail.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateContactRequest {
    pub contact_number: String,
    pub individual_contact: IndividualContact,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactNumberRequest {
    pub contact_number: String,
}

/// `updateContact`, `deleteContact`, `setContactCriteria`, `deleteAddress`: just the status.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactUpdateResult {
    #[serde(default)]
    pub contact_number: String,
}

// ---------------------------------------------------------------------------------------------
// Addresses and criteria (OUR DESIGN)

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrUpdateAddressRequest {
    pub contact_number: String,
    pub address: ContactAddressData,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<ContactAddressData>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteAddressRequest {
    pub contact_number: String,
    pub address_id: AddressId,
}

/// Sets the listed criteria (others are kept); an empty `values` removes a criterion.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetContactCriteriaRequest {
    pub contact_number: String,
    pub criteria: Vec<ContactCriterion>,
}

// ---------------------------------------------------------------------------------------------
// searchContacts (OUR DESIGN)

/// Every given field must match (e-mail and names case-insensitively, exactly).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchContactsRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_number: Option<String>,
    /// OUR DESIGN: contacts holding this criterion with `criterion_value` among its values
    /// (how a third-party login's SSO id finds its contact, whatever its e-mail now is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criterion_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criterion_value: Option<String>,
    #[serde(default)]
    pub min_index: u32,
    /// Defaults to 50, at most 500.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nb_max_results: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchContactsResult {
    #[serde(default)]
    pub contacts: Vec<ContactDataResult>,
    /// How many contacts match in all (over every page).
    #[serde(default)]
    pub total_count: u32,
}

/// A plausible e-mail address: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && email.len() <= 254
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain.contains('.')
        && domain
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '-'))
}

/// An address type made of `M`, `S` and `B`, each at most once, at least one.
pub fn is_valid_address_type(t: &str) -> bool {
    !t.is_empty()
        && t.chars().all(|c| matches!(c, 'M' | 'S' | 'B'))
        && ['M', 'S', 'B']
            .iter()
            .all(|k| t.chars().filter(|c| c == k).count() <= 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_address_types() {
        assert!(is_valid_email("alice@example.com"));
        assert!(!is_valid_email("alice@example"));
        assert!(!is_valid_email("alice example.com"));
        assert!(!is_valid_email("a@b@c.com"));
        assert!(!is_valid_email("@example.com"));
        assert!(is_valid_address_type("MSB"));
        assert!(is_valid_address_type("B"));
        assert!(!is_valid_address_type("MM"));
        assert!(!is_valid_address_type(""));
        assert!(!is_valid_address_type("X"));
    }

    #[test]
    fn wire_names_are_s360s() {
        let c = ContactDataResult {
            contact_id: ContactId(10_000_000_000_001),
            contact_number: "C0001".into(),
            contact_type: ContactType::Individual,
            role: ROLE_PUBLIC.into(),
            state: ContactState::Active,
            guest: false,
            creation_date: DateTime::parse_from_rfc3339("2020-10-13T10:09:27.503+00:00").unwrap(),
            individual_contact: Some(IndividualContact {
                email: "a@b.ch".into(),
                individual_firstname: "A".into(),
                phone_number1: Some("+41".into()),
                ..Default::default()
            }),
            addresses: vec![],
            contact_criteria: vec![],
        };
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["type"], "INDIVIDUAL");
        assert_eq!(v["state"], "ACTIVE");
        assert_eq!(v["individualContact"]["individualFirstname"], "A");
        assert_eq!(v["individualContact"]["phoneNumber1"], "+41");
        assert_eq!(v["contactId"], 10_000_000_000_001i64);
    }
}
