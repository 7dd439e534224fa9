//! `contactInformationPublicService` (s360-contract.md §7): one contact store per institution.
//!
//! Demo buyers seeded in every institution (password `demo`, see [`DEMO_BUYERS`]):
//! - `alice@example.com`: Alice Martin, French, main + billing address in Lausanne and a
//!   shipment address in Geneva, NEWSLETTER opt-in.
//! - `bob@example.com`: Bob Keller, German, one address (main, shipment, billing) in Zürich.
//!
//! Rules (OUR DESIGN where the contract has none): e-mail must look like one, first and last
//! names are mandatory, at most one ACTIVE PUBLIC-role contact uses an e-mail as its login
//! (`error.contact.duplicateLogin`), unknown contacts are `error.notFound`, deleted contacts are
//! anonymised and INACTIVE (`error.contact.inactive` on changes). Every method is all-or-nothing.

use std::collections::BTreeMap;

use s360::model::contact::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::rpc::{ok, parse, BusinessError, MethodResult, RpcError};
use crate::state::{now, Institution};

/// The password of every seeded demo buyer.
pub const DEMO_PASSWORD: &str = "demo";

/// (e-mail, first name, last name) of the demo buyers of every institution.
pub const DEMO_BUYERS: [(&str, &str, &str); 2] = [
    ("alice@example.com", "Alice", "Martin"),
    ("bob@example.com", "Bob", "Keller"),
];

const MAX_NAME: usize = 100;
const MAX_PASSWORD: usize = 200;
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 500;

/// A contact and its secret.
#[derive(Debug, Clone)]
pub struct StoredContact {
    pub data: ContactDataResult,
    /// sha256(contactNumber ":" password), hex. A sandbox, not a password store.
    password_hash: Option<String>,
}

impl StoredContact {
    pub fn is_active(&self) -> bool {
        self.data.state == ContactState::Active
    }

    pub fn individual(&self) -> IndividualContact {
        self.data.individual_contact.clone().unwrap_or_default()
    }

    fn login(&self) -> Option<&str> {
        self.data
            .individual_contact
            .as_ref()
            .and_then(|i| i.login.as_deref())
    }
}

fn hash_password(contact_number: &str, password: &str) -> String {
    let digest = Sha256::digest(format!("{contact_number}:{password}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The contacts of one institution.
#[derive(Debug, Clone)]
pub struct ContactStore {
    prefix: String,
    contacts: BTreeMap<String, StoredContact>,
    next_number: u64,
    next_id: i64,
    next_address_id: i64,
}

impl ContactStore {
    /// An empty store; contact numbers are `{INSTIT}{7 digits}`.
    pub fn new(institution: &str) -> Self {
        // a stable, institution-specific block of 14-digit ids
        let block: i64 = institution.bytes().map(i64::from).sum::<i64>() % 1000;
        ContactStore {
            prefix: institution.chars().take(12).collect(),
            contacts: BTreeMap::new(),
            next_number: 1,
            next_id: 30_000_000_000_000 + block * 1_000_000_000,
            next_address_id: 40_000_000_000_000 + block * 1_000_000_000,
        }
    }

    /// The store with the demo buyers.
    pub fn seeded(institution: &str) -> Self {
        let mut s = ContactStore::new(institution);
        let alice = CreateContactRequest {
            individual_contact: IndividualContact {
                email: DEMO_BUYERS[0].0.into(),
                individual_firstname: DEMO_BUYERS[0].1.into(),
                individual_lastname: DEMO_BUYERS[0].2.into(),
                individual_gender: Some("F".into()),
                country_code: Some("CH".into()),
                phone_number1: Some("+41 21 555 01 01".into()),
                zip_code: Some("1003".into()),
                language_code: Some("fr".into()),
                ..Default::default()
            },
            addresses: vec![
                address("MB", "Rue de Bourg 1", "1003", "Lausanne", "CH"),
                address("S", "Rue du Rhône 10", "1204", "Genève", "CH"),
            ],
            criteria: vec![],
            opt_ins: vec![CRITERION_NEWSLETTER.into()],
            create_login: true,
            password: Some(DEMO_PASSWORD.into()),
        };
        let bob = CreateContactRequest {
            individual_contact: IndividualContact {
                email: DEMO_BUYERS[1].0.into(),
                individual_firstname: DEMO_BUYERS[1].1.into(),
                individual_lastname: DEMO_BUYERS[1].2.into(),
                individual_gender: Some("M".into()),
                country_code: Some("CH".into()),
                phone_number1: Some("+41 44 555 02 02".into()),
                zip_code: Some("8001".into()),
                language_code: Some("de".into()),
                ..Default::default()
            },
            addresses: vec![address("MSB", "Bahnhofstrasse 20", "8001", "Zürich", "CH")],
            criteria: vec![],
            opt_ins: vec![],
            create_login: true,
            password: Some(DEMO_PASSWORD.into()),
        };
        for req in [alice, bob] {
            if let Err(e) = s.create_contact(req) {
                tracing::error!(code = e.code, detail = %e.detail, "seeding a demo buyer failed");
            }
        }
        s
    }

    pub fn get(&self, contact_number: &str) -> Option<&StoredContact> {
        self.contacts.get(contact_number)
    }

    fn get_mut(&mut self, contact_number: &str) -> Result<&mut StoredContact, BusinessError> {
        self.contacts
            .get_mut(contact_number)
            .ok_or_else(|| BusinessError::not_found(format!("contact {contact_number}")))
    }

    fn active_mut(&mut self, contact_number: &str) -> Result<&mut StoredContact, BusinessError> {
        let c = self.get_mut(contact_number)?;
        if !c.is_active() {
            return Err(BusinessError::new(
                ERROR_INACTIVE,
                format!("contact {contact_number} was deleted"),
            ));
        }
        Ok(c)
    }

    /// The active PUBLIC contact whose login is `email` and whose password is `password`.
    pub fn authenticate(&self, email: &str, password: &str) -> Option<&StoredContact> {
        let email = email.trim();
        let c = self.contacts.values().find(|c| {
            c.is_active()
                && c.data.role == ROLE_PUBLIC
                && c.login().is_some_and(|l| l.eq_ignore_ascii_case(email))
        })?;
        let expected = c.password_hash.as_deref()?;
        let given = hash_password(&c.data.contact_number, password);
        s360::constant_time_eq(expected.as_bytes(), given.as_bytes()).then_some(c)
    }

    fn login_taken(&self, email: &str, except: Option<&str>) -> bool {
        self.contacts.values().any(|c| {
            c.is_active()
                && c.data.role == ROLE_PUBLIC
                && Some(c.data.contact_number.as_str()) != except
                && c.login().is_some_and(|l| l.eq_ignore_ascii_case(email))
        })
    }

    fn new_number(&mut self) -> String {
        let n = format!("{}{:07}", self.prefix, self.next_number);
        self.next_number += 1;
        n
    }

    fn new_address_id(&mut self) -> AddressId {
        self.next_address_id += 1;
        AddressId(self.next_address_id)
    }

    fn insert(
        &mut self,
        mut individual: IndividualContact,
        create_login: bool,
        password: Option<&str>,
    ) -> Result<String, BusinessError> {
        individual = check_individual(individual)?;
        individual.login = None;
        individual.active = true;
        if create_login {
            if self.login_taken(&individual.email, None) {
                return Err(BusinessError::new(
                    ERROR_DUPLICATE_LOGIN,
                    format!(
                        "{} is already the login of another contact",
                        individual.email
                    ),
                ));
            }
            individual.login = Some(individual.email.clone());
        }
        if let Some(p) = password {
            if !create_login {
                return Err(BusinessError::invalid("a password needs createLogin"));
            }
            if p.is_empty() || p.len() > MAX_PASSWORD {
                return Err(BusinessError::invalid(format!(
                    "the password must have 1 to {MAX_PASSWORD} characters"
                )));
            }
        }
        let number = self.new_number();
        self.next_id += 1;
        let data = ContactDataResult {
            contact_id: ContactId(self.next_id),
            contact_number: number.clone(),
            contact_type: ContactType::Individual,
            role: ROLE_PUBLIC.into(),
            state: ContactState::Active,
            guest: !create_login,
            creation_date: now(),
            individual_contact: Some(individual),
            addresses: vec![],
            contact_criteria: vec![],
        };
        let password_hash = password.map(|p| hash_password(&number, p));
        self.contacts.insert(
            number.clone(),
            StoredContact {
                data,
                password_hash,
            },
        );
        Ok(number)
    }

    /// `createContact`.
    pub fn create_contact(
        &mut self,
        req: CreateContactRequest,
    ) -> Result<CreateContactResult, BusinessError> {
        let mut tx = self.clone();
        let number = tx.insert(
            req.individual_contact,
            req.create_login,
            req.password.as_deref(),
        )?;
        for a in req.addresses {
            if a.address_id.is_some() {
                return Err(BusinessError::invalid(
                    "addresses of a new contact have no addressId",
                ));
            }
            tx.upsert_address(&number, a)?;
        }
        let mut criteria = req.criteria;
        criteria.extend(req.opt_ins.into_iter().map(|code| ContactCriterion {
            criterion_code: code,
            values: vec!["true".into()],
        }));
        tx.set_criteria(&number, criteria)?;
        let contact_id = tx
            .get(&number)
            .map(|c| c.data.contact_id)
            .unwrap_or_default();
        *self = tx;
        Ok(CreateContactResult {
            contact_number: number,
            contact_id,
        })
    }

    /// `createCulturalContact`: all or nothing.
    pub fn create_cultural(
        &mut self,
        req: CreateCulturalContactRequest,
    ) -> Result<CulturalContactCreationResult, BusinessError> {
        if req.contact_data_list.is_empty() {
            return Err(BusinessError::new(
                ERROR_MISSING_FIELD,
                "contactDataList is empty",
            ));
        }
        let mut tx = self.clone();
        let mut out = CulturalContactCreationResult::default();
        for entry in req.contact_data_list {
            let identifier = entry.identifier.trim().to_string();
            if identifier.is_empty() {
                return Err(BusinessError::new(
                    ERROR_MISSING_FIELD,
                    "identifier is mandatory",
                ));
            }
            if out.identifier_contact_map.contains_key(&identifier) {
                return Err(BusinessError::invalid(format!(
                    "identifier {identifier} appears twice"
                )));
            }
            let number = match entry.contact_number {
                Some(n) => {
                    tx.active_mut(&n)?;
                    n
                }
                None => tx.insert(
                    IndividualContact {
                        email: entry.email,
                        individual_firstname: entry.first_name,
                        individual_lastname: entry.last_name,
                        ..Default::default()
                    },
                    entry.create_login,
                    None,
                )?,
            };
            if let Some(c) = tx.get(&number) {
                out.cultural_contact_data.push(c.data.clone());
            }
            out.identifier_contact_map.insert(identifier, number);
        }
        *self = tx;
        Ok(out)
    }

    /// `updateContact`: replaces the main data; the login follows the e-mail.
    pub fn update_contact(&mut self, req: UpdateContactRequest) -> Result<(), BusinessError> {
        let mut individual = check_individual(req.individual_contact)?;
        let had_login = self.active_mut(&req.contact_number)?.login().is_some();
        if had_login {
            if self.login_taken(&individual.email, Some(&req.contact_number)) {
                return Err(BusinessError::new(
                    ERROR_DUPLICATE_LOGIN,
                    format!(
                        "{} is already the login of another contact",
                        individual.email
                    ),
                ));
            }
            individual.login = Some(individual.email.clone());
        } else {
            individual.login = None;
        }
        individual.active = true;
        let c = self.active_mut(&req.contact_number)?;
        c.data.individual_contact = Some(individual);
        Ok(())
    }

    /// `deleteContact`: GDPR anonymisation. Deleting a deleted contact succeeds (idempotent).
    pub fn delete_contact(&mut self, contact_number: &str) -> Result<(), BusinessError> {
        let c = self.get_mut(contact_number)?;
        c.data.state = ContactState::Inactive;
        c.data.individual_contact = Some(IndividualContact {
            individual_firstname: "ANONYMISED".into(),
            individual_lastname: "ANONYMISED".into(),
            active: false,
            ..Default::default()
        });
        c.data.addresses.clear();
        c.data.contact_criteria.clear();
        c.password_hash = None;
        Ok(())
    }

    fn upsert_address(
        &mut self,
        contact_number: &str,
        address: ContactAddressData,
    ) -> Result<ContactAddressData, BusinessError> {
        let mut a = check_address(address)?;
        let existing = a.address_id;
        if existing.is_none() {
            a.address_id = Some(self.new_address_id());
        }
        let c = self.active_mut(contact_number)?;
        match existing {
            // an id the caller names must be one of the contact's addresses
            Some(id) => match c
                .data
                .addresses
                .iter_mut()
                .find(|x| x.address_id == Some(id))
            {
                Some(slot) => *slot = a.clone(),
                None => return Err(BusinessError::not_found(format!("address {id}"))),
            },
            None if c.data.addresses.len() >= 20 => {
                return Err(BusinessError::invalid("at most 20 addresses per contact"))
            }
            None => c.data.addresses.push(a.clone()),
        }
        Ok(a)
    }

    /// `createOrUpdateAddress`.
    pub fn create_or_update_address(
        &mut self,
        req: CreateOrUpdateAddressRequest,
    ) -> Result<AddressResult, BusinessError> {
        let a = self.upsert_address(&req.contact_number, req.address)?;
        Ok(AddressResult { address: Some(a) })
    }

    /// `deleteAddress`.
    pub fn delete_address(&mut self, req: DeleteAddressRequest) -> Result<(), BusinessError> {
        let c = self.active_mut(&req.contact_number)?;
        let before = c.data.addresses.len();
        c.data
            .addresses
            .retain(|a| a.address_id != Some(req.address_id));
        if c.data.addresses.len() == before {
            return Err(BusinessError::not_found(format!(
                "address {}",
                req.address_id
            )));
        }
        Ok(())
    }

    fn set_criteria(
        &mut self,
        contact_number: &str,
        criteria: Vec<ContactCriterion>,
    ) -> Result<(), BusinessError> {
        for cr in &criteria {
            let code = cr.criterion_code.trim();
            if code.is_empty() {
                return Err(BusinessError::new(
                    ERROR_MISSING_FIELD,
                    "criterionCode is mandatory",
                ));
            }
            if code.len() > 50 || cr.values.len() > 50 {
                return Err(BusinessError::invalid(format!(
                    "criterion {code} is too long"
                )));
            }
        }
        let c = self.active_mut(contact_number)?;
        for cr in criteria {
            let code = cr.criterion_code.trim().to_string();
            c.data.contact_criteria.retain(|x| x.criterion_code != code);
            if !cr.values.is_empty() {
                c.data.contact_criteria.push(ContactCriterion {
                    criterion_code: code,
                    values: cr.values,
                });
            }
        }
        Ok(())
    }

    /// `searchContacts`: every given field must match (a criterion: the contact holds it, with
    /// the value when one is given); ordered by contact number.
    pub fn search(&self, req: &SearchContactsRequest) -> SearchContactsResult {
        let eq = |want: &Option<String>, have: &str| {
            want.as_deref()
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .is_none_or(|w| w.eq_ignore_ascii_case(have.trim()))
        };
        let matching: Vec<&StoredContact> = self
            .contacts
            .values()
            .filter(|c| {
                let i = c.data.individual_contact.clone().unwrap_or_default();
                eq(&req.email, &i.email)
                    && eq(&req.last_name, &i.individual_lastname)
                    && eq(&req.first_name, &i.individual_firstname)
                    && eq(&req.contact_number, &c.data.contact_number)
                    && req.criterion_code.as_deref().is_none_or(|code| {
                        c.data.contact_criteria.iter().any(|k| {
                            k.criterion_code == code
                                && req
                                    .criterion_value
                                    .as_deref()
                                    .is_none_or(|v| k.values.iter().any(|x| x == v))
                        })
                    })
            })
            .collect();
        let page = req.nb_max_results.unwrap_or(DEFAULT_PAGE).min(MAX_PAGE) as usize;
        SearchContactsResult {
            total_count: matching.len() as u32,
            contacts: matching
                .into_iter()
                .skip(req.min_index as usize)
                .take(page)
                .map(|c| c.data.clone())
                .collect(),
        }
    }
}

fn address(kind: &str, line1: &str, zip: &str, town: &str, country: &str) -> ContactAddressData {
    ContactAddressData {
        address_id: None,
        address_type: kind.into(),
        line1: line1.into(),
        line2: None,
        line3: None,
        zip_code: zip.into(),
        town: town.into(),
        country_code: country.into(),
    }
}

fn required(value: &str, field: &str) -> Result<String, BusinessError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(BusinessError::new(
            ERROR_MISSING_FIELD,
            format!("{field} is mandatory"),
        ));
    }
    if v.chars().count() > MAX_NAME {
        return Err(BusinessError::invalid(format!(
            "{field} has more than {MAX_NAME} characters"
        )));
    }
    Ok(v.to_string())
}

fn check_country(code: &str, field: &str) -> Result<(), BusinessError> {
    if code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(BusinessError::invalid(format!(
            "{field} must be an ISO-3166 alpha-2 code such as CH, got {code:?}"
        )))
    }
}

fn check_individual(mut i: IndividualContact) -> Result<IndividualContact, BusinessError> {
    i.individual_firstname = required(&i.individual_firstname, "individualFirstname")?;
    i.individual_lastname = required(&i.individual_lastname, "individualLastname")?;
    let email = i.email.trim().to_string();
    if email.is_empty() {
        return Err(BusinessError::new(
            ERROR_MISSING_FIELD,
            "email is mandatory",
        ));
    }
    if !is_valid_email(&email) {
        return Err(BusinessError::new(
            ERROR_INVALID_EMAIL,
            format!("{email:?} is not an e-mail address"),
        ));
    }
    i.email = email;
    if let Some(c) = &i.country_code {
        check_country(c, "countryCode")?;
    }
    if let Some(l) = &i.language_code {
        if l.is_empty() || l.len() > 8 || !l.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
            return Err(BusinessError::invalid(format!(
                "languageCode {l:?} is not a language tag"
            )));
        }
    }
    for (v, f) in [
        (&i.phone_number1, "phoneNumber1"),
        (&i.zip_code, "zipCode"),
        (&i.individual_gender, "individualGender"),
    ] {
        if v.as_ref().is_some_and(|v| v.chars().count() > MAX_NAME) {
            return Err(BusinessError::invalid(format!("{f} is too long")));
        }
    }
    Ok(i)
}

fn check_address(mut a: ContactAddressData) -> Result<ContactAddressData, BusinessError> {
    a.address_type = a.address_type.trim().to_ascii_uppercase();
    if !is_valid_address_type(&a.address_type) {
        return Err(BusinessError::invalid(format!(
            "addressType must combine M, S and B (e.g. \"MSB\"), got {:?}",
            a.address_type
        )));
    }
    a.line1 = required(&a.line1, "line1")?;
    a.zip_code = required(&a.zip_code, "zipCode")?;
    a.town = required(&a.town, "town")?;
    check_country(&a.country_code, "countryCode")?;
    for (v, f) in [(&a.line2, "line2"), (&a.line3, "line3")] {
        if v.as_ref().is_some_and(|v| v.chars().count() > MAX_NAME) {
            return Err(BusinessError::invalid(format!("{f} is too long")));
        }
    }
    Ok(a)
}

fn done(contact_number: String) -> MethodResult {
    ok(ContactUpdateResult { contact_number })
}

/// Answers one method of the contact service; `None` for a method it does not know.
pub fn dispatch(
    inst: &mut Institution,
    method: &str,
    body: &Value,
) -> Option<Result<MethodResult, RpcError>> {
    let store = &mut inst.contacts;
    Some(match method {
        "getContactData" => {
            parse::<GetContactDataRequest>(body).map(|r| match store.get(&r.contact_number) {
                Some(c) => ok(with_details(&c.data, &r.details)),
                None => Err(BusinessError::not_found(format!(
                    "contact {}",
                    r.contact_number
                ))),
            })
        }
        "createCulturalContact" => parse(body).map(|r| store.create_cultural(r).and_then(ok)),
        "createContact" => parse(body).map(|r| store.create_contact(r).and_then(ok)),
        "updateContact" => parse::<UpdateContactRequest>(body).map(|r| {
            let n = r.contact_number.clone();
            store.update_contact(r).and_then(|()| done(n))
        }),
        "deleteContact" => parse::<ContactNumberRequest>(body).map(|r| {
            store
                .delete_contact(&r.contact_number)
                .and_then(|()| done(r.contact_number))
        }),
        "createOrUpdateAddress" => {
            parse(body).map(|r| store.create_or_update_address(r).and_then(ok))
        }
        "deleteAddress" => parse::<DeleteAddressRequest>(body).map(|r| {
            let n = r.contact_number.clone();
            store.delete_address(r).and_then(|()| done(n))
        }),
        "setContactCriteria" => parse::<SetContactCriteriaRequest>(body).map(|r| {
            let n = r.contact_number.clone();
            let mut tx = store.clone();
            tx.set_criteria(&n, r.criteria).and_then(|()| {
                *store = tx;
                done(n)
            })
        }),
        "searchContacts" => parse::<SearchContactsRequest>(body).map(|r| ok(store.search(&r))),
        _ => return None,
    })
}

/// Keeps the parts `details` asks for (all modelled parts when empty).
fn with_details(c: &ContactDataResult, details: &[ContactDetail]) -> ContactDataResult {
    let all = details.is_empty();
    let wants = |d| all || details.contains(&d);
    let mut out = c.clone();
    if !wants(ContactDetail::General) {
        out.individual_contact = None;
    }
    if !wants(ContactDetail::Addresses) {
        out.addresses.clear();
    }
    if !wants(ContactDetail::Criteria) {
        out.contact_criteria.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_buyers_sign_in() {
        let s = ContactStore::seeded("CUBE");
        let alice = s.authenticate("Alice@Example.com", DEMO_PASSWORD).unwrap();
        assert_eq!(alice.data.addresses.len(), 2);
        assert!(alice.data.opted_in(CRITERION_NEWSLETTER));
        assert!(alice.data.contact_number.len() <= 20);
        assert!(s.authenticate("alice@example.com", "wrong").is_none());
        assert!(s.authenticate("bob@example.com", DEMO_PASSWORD).is_some());
    }
}
