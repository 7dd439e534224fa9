//! Server-only account services: linking an external identity to an S-360 contact, reading and
//! writing the buyer's profile (main data, addresses, opt-ins) and deleting the account.
//!
//! S-360 calls (s360-contract.md §7): `searchContacts` + `createContact` (linking),
//! `getContactData`, `updateContact`, `createOrUpdateAddress` / `deleteAddress`,
//! `setContactCriteria`, `deleteContact` (GDPR anonymisation).

use rust_i18n::t;
use s360::client::{Client, Error as S360Error};
use s360::model::contact::*;

use crate::context::Ctx;
use crate::describe::snapshot;
use crate::error::{Error, Invalid};
use crate::lang::Lang;
use crate::model::{AccountView, AddressFields, ProfileForm};

/// The opt-ins the profile offers: (criterion code, form field).
pub const CRITERION_PARTNER_OFFERS: &str = "PARTNER_OFFERS";

const MAX_NAME: usize = 50;
const MAX_LINE: usize = 100;

// ---------------------------------------------------------------------------------------------
// Linking an external identity

/// The contact criterion that holds a third-party login's SSO id (`issuer|subject`), so that the
/// buyer finds the same contact after changing their e-mail on either side (OUR DESIGN, after
/// P14: "the external sub (SSO id) is linked to an S-360 contact").
pub const SSO_CRITERION: &str = "SSO_ID";

fn public_active(c: &ContactDataResult) -> bool {
    c.state == ContactState::Active && c.role == ROLE_PUBLIC
}

fn number_and_name(c: ContactDataResult) -> (String, String) {
    let i = c.individual_contact.unwrap_or_default();
    let name = format!("{} {}", i.individual_firstname, i.individual_lastname);
    (c.contact_number, name.trim().to_string())
}

/// The S-360 contact of a buyer who logged in with a third-party provider: the ACTIVE contact
/// already linked to this SSO id (`sso_id`, kept in the contact's [`SSO_CRITERION`]); else, only
/// when the provider says the e-mail address is verified (`email_verified: true`), the one whose
/// ticket-shop login is this e-mail, else a new contact with this e-mail as login; the contact
/// found by e-mail or created is then linked to the SSO id. Returns the contact number and the
/// contact's name as S-360 has it, or `None` for a login with an unverified e-mail that no
/// contact is linked to yet: anybody can type someone else's address at a provider that does not
/// check it, so such an address neither opens an existing customer's account nor claims it for a
/// new one (the caller refuses the login and says why).
pub async fn link_login(
    client: &Client,
    sso_id: &str,
    email: &str,
    email_verified: bool,
    given_name: &str,
    family_name: &str,
    locale: Option<&str>,
) -> Result<Option<(String, String)>, S360Error> {
    if let Some(found) = linked_by_sso(client, sso_id).await? {
        return Ok(Some(found));
    }
    if !email_verified {
        return Ok(None);
    }
    link_by_email(client, sso_id, email, given_name, family_name, locale)
        .await
        .map(Some)
}

/// [`link_login`] for an e-mail address the provider verified.
pub async fn link_contact(
    client: &Client,
    sso_id: &str,
    email: &str,
    given_name: &str,
    family_name: &str,
    locale: Option<&str>,
) -> Result<(String, String), S360Error> {
    if let Some(found) = linked_by_sso(client, sso_id).await? {
        return Ok(found);
    }
    link_by_email(client, sso_id, email, given_name, family_name, locale).await
}

/// The ACTIVE contact already linked to this SSO id.
async fn linked_by_sso(
    client: &Client,
    sso_id: &str,
) -> Result<Option<(String, String)>, S360Error> {
    let by_sso = client
        .search_contacts(&SearchContactsRequest {
            criterion_code: Some(SSO_CRITERION.into()),
            criterion_value: Some(sso_id.to_string()),
            nb_max_results: Some(10),
            ..Default::default()
        })
        .await?;
    Ok(by_sso
        .contacts
        .into_iter()
        .find(public_active)
        .map(number_and_name))
}

/// The contact whose login is this (verified) e-mail, else a new one; linked to the SSO id.
async fn link_by_email(
    client: &Client,
    sso_id: &str,
    email: &str,
    given_name: &str,
    family_name: &str,
    locale: Option<&str>,
) -> Result<(String, String), S360Error> {
    let found = client
        .search_contacts(&SearchContactsRequest {
            email: Some(email.to_string()),
            nb_max_results: Some(100),
            ..Default::default()
        })
        .await?;
    let linked = found.contacts.into_iter().find(|c| {
        public_active(c)
            && c.individual_contact
                .as_ref()
                .and_then(|i| i.login.as_deref())
                .is_some_and(|l| l.eq_ignore_ascii_case(email))
    });
    let (number, name) = match linked {
        Some(c) => number_and_name(c),
        None => create_linked(client, email, given_name, family_name, locale).await?,
    };
    client
        .set_contact_criteria(
            &number,
            vec![ContactCriterion {
                criterion_code: SSO_CRITERION.into(),
                values: vec![sso_id.to_string()],
            }],
        )
        .await?;
    Ok((number, name))
}

async fn create_linked(
    client: &Client,
    email: &str,
    given_name: &str,
    family_name: &str,
    locale: Option<&str>,
) -> Result<(String, String), S360Error> {
    let local = email.split('@').next().unwrap_or(email);
    let first = Some(given_name.trim())
        .filter(|s| !s.is_empty())
        .unwrap_or(local);
    let last = Some(family_name.trim())
        .filter(|s| !s.is_empty())
        .unwrap_or(local);
    let created = client
        .create_contact(&CreateContactRequest {
            individual_contact: IndividualContact {
                email: email.to_string(),
                individual_firstname: first.to_string(),
                individual_lastname: last.to_string(),
                language_code: locale.and_then(Lang::parse).map(|l| l.code().to_string()),
                active: true,
                ..Default::default()
            },
            create_login: true,
            ..Default::default()
        })
        .await?;
    Ok((created.contact_number, format!("{first} {last}")))
}

// ---------------------------------------------------------------------------------------------
// Reading the profile

fn fields(a: &ContactAddressData) -> AddressFields {
    AddressFields {
        line1: a.line1.clone(),
        line2: a.line2.clone().unwrap_or_default(),
        zip_code: a.zip_code.clone(),
        town: a.town.clone(),
        country_code: a.country_code.clone(),
    }
}

fn on(b: bool) -> Option<String> {
    b.then(|| "on".to_string())
}

/// The form as S-360 has the contact.
pub fn profile_of(c: &ContactDataResult) -> ProfileForm {
    let i = c.individual_contact.clone().unwrap_or_default();
    let with = |k: char| c.addresses.iter().find(|a| a.is(k));
    let main = with('M');
    let ship = with('S');
    let bill = with('B');
    let same = |x: Option<&ContactAddressData>| {
        x.is_some() && x.map(|a| a.address_id) == main.map(|a| a.address_id)
    };
    ProfileForm {
        first_name: i.individual_firstname,
        last_name: i.individual_lastname,
        email: i.email,
        phone: i.phone_number1.unwrap_or_default(),
        main: main.map(fields).unwrap_or_default(),
        shipment_same: on(same(ship) || ship.is_none()),
        shipment: ship.filter(|_| !same(ship)).map(fields).unwrap_or_default(),
        billing_same: on(same(bill) || bill.is_none()),
        billing: bill.filter(|_| !same(bill)).map(fields).unwrap_or_default(),
        newsletter: on(c.opted_in(CRITERION_NEWSLETTER)),
        partner_offers: on(c.opted_in(CRITERION_PARTNER_OFFERS)),
    }
}

/// The account page of the logged-in buyer, `None` when nobody is logged in.
pub async fn account_view(cx: &Ctx) -> Result<Option<AccountView>, Error> {
    let (tenant, session) = (&*cx.tenant, &cx.session);
    let Some(user) = session.user().await else {
        return Ok(None);
    };
    let snap = snapshot(tenant)?;
    let contact = tenant
        .catalog
        .client()
        .get_contact_data(&user.contact_number, &[])
        .await?;
    let provider = session.provider().await;
    Ok(Some(AccountView {
        shop: cx.shop_info(&snap),
        contact_number: contact.contact_number.clone(),
        profile: profile_of(&contact),
        identity_provider: provider,
    }))
}

// ---------------------------------------------------------------------------------------------
// Validation

fn tr(key: &str, lang: Lang) -> String {
    t!(key, locale = lang.code()).to_string()
}

/// A translated message of the account area, for pages the server renders itself.
pub fn message(key: &str, lang: Lang) -> String {
    tr(key, lang)
}

/// Invisible characters that reorder or hide text (bidirectional overrides and isolates such
/// as U+202E, zero-width characters, the byte-order mark): a name or address line that holds
/// one would print differently on tickets, e-mails and S-360's screens than it reads here.
pub(crate) fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}')
}

pub(crate) fn check_name(
    v: &str,
    field: &str,
    label: &str,
    lang: Lang,
    bad: &mut Invalid,
) -> String {
    let v = v.trim();
    if v.is_empty() {
        bad.0.push((
            field.into(),
            t!(
                "account.err_required",
                locale = lang.code(),
                field = tr(label, lang)
            )
            .to_string(),
        ));
    } else if v.chars().count() > MAX_NAME {
        bad.0.push((
            field.into(),
            t!(
                "account.err_too_long",
                locale = lang.code(),
                field = tr(label, lang),
                max = MAX_NAME
            )
            .to_string(),
        ));
    } else if v
        .chars()
        .any(|c| c.is_control() || is_invisible_format(c) || "<>{}[]@#$%^*=|\\/".contains(c))
    {
        bad.0.push((
            field.into(),
            t!(
                "account.err_name_chars",
                locale = lang.code(),
                field = tr(label, lang)
            )
            .to_string(),
        ));
    }
    v.to_string()
}

/// A required e-mail address (trimmed; S-360's rules).
pub(crate) fn check_email(v: &str, field: &str, lang: Lang, bad: &mut Invalid) -> String {
    let email = v.trim().to_string();
    if email.is_empty() {
        bad.0.push((
            field.into(),
            t!(
                "account.err_required",
                locale = lang.code(),
                field = tr("account.email", lang)
            )
            .to_string(),
        ));
    } else if !is_valid_email(&email) {
        bad.0.push((field.into(), tr("account.err_email", lang)));
    }
    email
}

/// A phone number: digits with optional `+`, spaces, dots, dashes and brackets, 6–15 digits.
pub fn is_valid_phone(p: &str) -> bool {
    let digits = p.chars().filter(char::is_ascii_digit).count();
    (6..=15).contains(&digits)
        && p.chars()
            .all(|c| c.is_ascii_digit() || " +-.()/".contains(c))
        && p.trim_start().find('+').is_none_or(|i| i == 0)
        && p.matches('+').count() <= 1
}

pub(crate) fn check_address(
    a: &AddressFields,
    prefix: &str,
    lang: Lang,
    bad: &mut Invalid,
) -> Option<AddressFields> {
    if a.is_empty() {
        return None;
    }
    let out = AddressFields {
        line1: a.line1.trim().to_string(),
        line2: a.line2.trim().to_string(),
        zip_code: a.zip_code.trim().to_string(),
        town: a.town.trim().to_string(),
        country_code: a.country_code.trim().to_ascii_uppercase(),
    };
    for (v, f, label) in [
        (&out.line1, "line1", "account.street"),
        (&out.zip_code, "zip_code", "account.zip"),
        (&out.town, "town", "account.town"),
        (&out.country_code, "country_code", "account.country"),
    ] {
        if v.is_empty() {
            bad.0.push((
                format!("{prefix}.{f}"),
                t!(
                    "account.err_required",
                    locale = lang.code(),
                    field = tr(label, lang)
                )
                .to_string(),
            ));
        }
    }
    for (v, f, label) in [
        (&out.line1, "line1", "account.street"),
        (&out.line2, "line2", "account.street2"),
        (&out.town, "town", "account.town"),
    ] {
        if v.chars().count() > MAX_LINE
            || v.chars().any(|c| c.is_control() || is_invisible_format(c))
        {
            bad.0.push((
                format!("{prefix}.{f}"),
                t!(
                    "account.err_too_long",
                    locale = lang.code(),
                    field = tr(label, lang),
                    max = MAX_LINE
                )
                .to_string(),
            ));
        }
    }
    if !out.zip_code.is_empty()
        && (out.zip_code.len() > 10
            || !out
                .zip_code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-'))
    {
        bad.0
            .push((format!("{prefix}.zip_code"), tr("account.err_zip", lang)));
    }
    let iso2 =
        out.country_code.len() == 2 && out.country_code.chars().all(|c| c.is_ascii_uppercase());
    if !out.country_code.is_empty() && !iso2 {
        bad.0.push((
            format!("{prefix}.country_code"),
            tr("account.err_country", lang),
        ));
    }
    Some(out)
}

/// A checked form: what is written to S-360.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidProfile {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: Option<String>,
    /// (address type `M`/`S`/`B` combination, fields), main first.
    pub addresses: Vec<(String, AddressFields)>,
    pub newsletter: bool,
    pub partner_offers: bool,
}

/// Checks a posted form; every problem is reported at once, in the buyer's language.
pub fn validate(f: &ProfileForm, lang: Lang) -> Result<ValidProfile, Invalid> {
    let mut bad = Invalid::default();
    let first_name = check_name(
        &f.first_name,
        "first_name",
        "account.first_name",
        lang,
        &mut bad,
    );
    let last_name = check_name(
        &f.last_name,
        "last_name",
        "account.last_name",
        lang,
        &mut bad,
    );
    let email = check_email(&f.email, "email", lang, &mut bad);
    let phone = f.phone.trim().to_string();
    if !phone.is_empty() && !is_valid_phone(&phone) {
        bad.0.push(("phone".into(), tr("account.err_phone", lang)));
    }
    let main = check_address(&f.main, "main", lang, &mut bad);
    let ship_same = f.shipment_same.is_some();
    let bill_same = f.billing_same.is_some();
    let ship = if ship_same {
        None
    } else {
        check_address(&f.shipment, "shipment", lang, &mut bad)
    };
    let bill = if bill_same {
        None
    } else {
        check_address(&f.billing, "billing", lang, &mut bad)
    };
    if main.is_none() && (ship.is_some() || bill.is_some()) {
        bad.0
            .push(("main.line1".into(), tr("account.err_main_first", lang)));
    }
    if !bad.0.is_empty() {
        return Err(bad);
    }
    let mut addresses = Vec::new();
    if let Some(m) = main {
        let mut kind = "M".to_string();
        if ship_same {
            kind.push('S');
        }
        if bill_same {
            kind.push('B');
        }
        addresses.push((kind, m));
    }
    if let Some(s) = ship {
        addresses.push(("S".into(), s));
    }
    if let Some(b) = bill {
        addresses.push(("B".into(), b));
    }
    Ok(ValidProfile {
        first_name,
        last_name,
        email,
        phone: Some(phone).filter(|p| !p.is_empty()),
        addresses,
        newsletter: f.newsletter.is_some(),
        partner_offers: f.partner_offers.is_some(),
    })
}

// ---------------------------------------------------------------------------------------------
// Writing the profile

/// Writes a checked profile to S-360: main data, then addresses (existing ones are updated in
/// place, one per role, extra ones removed), then opt-ins.
pub async fn save_profile(
    client: &Client,
    contact_number: &str,
    p: &ValidProfile,
    lang: Lang,
) -> Result<(), Error> {
    let current = client.get_contact_data(contact_number, &[]).await?;
    let mut individual = current.individual_contact.clone().unwrap_or_default();
    individual.individual_firstname = p.first_name.clone();
    individual.individual_lastname = p.last_name.clone();
    individual.email = p.email.clone();
    individual.phone_number1 = p.phone.clone();
    if let Some((_, m)) = p.addresses.iter().find(|(k, _)| k.contains('M')) {
        individual.zip_code = Some(m.zip_code.clone());
        individual.country_code = Some(m.country_code.clone());
    }
    client
        .update_contact(contact_number, individual)
        .await
        .map_err(|e| match e {
            S360Error::Other(code, _) if code == ERROR_DUPLICATE_LOGIN => Error::Invalid(Invalid(
                vec![("email".into(), tr("account.err_email_taken", lang))],
            )),
            S360Error::Other(code, _) if code == ERROR_INVALID_EMAIL => Error::Invalid(Invalid(
                vec![("email".into(), tr("account.err_email", lang))],
            )),
            e => Error::from(e),
        })?;

    // one stored address per wanted one, reusing the address that had the same role
    let mut unused: Vec<&ContactAddressData> = current.addresses.iter().collect();
    for (kind, f) in &p.addresses {
        let role = kind.chars().next().unwrap_or('M');
        let reuse = unused
            .iter()
            .position(|a| a.is(role))
            .map(|i| unused.remove(i));
        let address = ContactAddressData {
            address_id: reuse.and_then(|a| a.address_id),
            address_type: kind.clone(),
            line1: f.line1.clone(),
            line2: Some(f.line2.clone()).filter(|l| !l.is_empty()),
            line3: None,
            zip_code: f.zip_code.clone(),
            town: f.town.clone(),
            country_code: f.country_code.clone(),
        };
        if reuse.is_some_and(|r| *r == address) {
            continue;
        }
        client
            .create_or_update_address(contact_number, address)
            .await?;
    }
    for a in unused {
        if let Some(id) = a.address_id {
            client.delete_address(contact_number, id).await?;
        }
    }
    let flag = |b: bool| ContactCriterion {
        criterion_code: String::new(),
        values: vec![if b { "true" } else { "false" }.to_string()],
    };
    client
        .set_contact_criteria(
            contact_number,
            vec![
                ContactCriterion {
                    criterion_code: CRITERION_NEWSLETTER.into(),
                    ..flag(p.newsletter)
                },
                ContactCriterion {
                    criterion_code: CRITERION_PARTNER_OFFERS.into(),
                    ..flag(p.partner_offers)
                },
            ],
        )
        .await?;
    Ok(())
}

/// Asks S-360 to delete (anonymise) the contact: `deleteContact`. Orders and tickets stay
/// valid; the contact's personal data, login, addresses and opt-ins are erased.
pub async fn delete_account(client: &Client, contact_number: &str) -> Result<(), Error> {
    client
        .delete_contact(contact_number)
        .await
        .map_err(Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ProfileForm {
        ProfileForm {
            first_name: " Ada ".into(),
            last_name: "Lovelace".into(),
            email: "ada@example.com".into(),
            phone: "+41 21 555 01 01".into(),
            main: AddressFields {
                line1: "Rue de Bourg 1".into(),
                zip_code: "1003".into(),
                town: "Lausanne".into(),
                country_code: "ch".into(),
                ..Default::default()
            },
            shipment_same: Some("on".into()),
            billing_same: None,
            billing: AddressFields {
                line1: "Postfach 12".into(),
                zip_code: "8001".into(),
                town: "Zürich".into(),
                country_code: "CH".into(),
                ..Default::default()
            },
            newsletter: Some("on".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_form_becomes_s360_addresses() {
        let p = validate(&form(), Lang::En).unwrap();
        assert_eq!(p.first_name, "Ada");
        assert_eq!(p.addresses.len(), 2);
        assert_eq!(p.addresses[0].0, "MS");
        assert_eq!(p.addresses[0].1.country_code, "CH");
        assert_eq!(p.addresses[1].0, "B");
        assert!(p.newsletter && !p.partner_offers);
    }

    #[test]
    fn names_and_addresses_refuse_text_reordering_characters() {
        for hidden in ['\u{202E}', '\u{2066}', '\u{200B}', '\u{FEFF}'] {
            let mut f = form();
            f.last_name = format!("Love{hidden}lace");
            f.main.line1 = format!("Rue{hidden} de Bourg 1");
            let bad = validate(&f, Lang::En).unwrap_err();
            let fields: Vec<&str> = bad.0.iter().map(|(f, _)| f.as_str()).collect();
            assert_eq!(
                fields,
                ["last_name", "main.line1"],
                "U+{:04X}",
                hidden as u32
            );
        }
        // accents, apostrophes, hyphens and non-Latin scripts are names
        let mut f = form();
        f.last_name = "O'Brien-Łukasiewicz Müller 山田".into();
        assert!(validate(&f, Lang::En).is_ok());
    }

    #[test]
    fn every_problem_is_named_in_the_buyers_language() {
        let mut f = form();
        f.first_name = "".into();
        f.email = "ada.example.com".into();
        f.phone = "call me".into();
        f.billing.town = "".into();
        f.billing.country_code = "Switzerland".into();
        let bad = validate(&f, Lang::En).unwrap_err();
        let fields: Vec<&str> = bad.0.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "first_name",
                "email",
                "phone",
                "billing.town",
                "billing.country_code"
            ]
        );
        assert!(bad.0[0].1.contains("First name"), "{:?}", bad.0[0]);
        let fr = validate(&f, Lang::Fr).unwrap_err();
        assert_ne!(fr.0[1].1, bad.0[1].1, "French differs from English");
    }

    #[test]
    fn phones() {
        for ok in ["+41 21 555 01 01", "021/555.01.01", "(021) 555-0101"] {
            assert!(is_valid_phone(ok), "{ok}");
        }
        for bad in [
            "12345",
            "+41 21 + 555",
            "41+21555555",
            "call me",
            "0215550101010101",
        ] {
            assert!(!is_valid_phone(bad), "{bad}");
        }
    }

    #[test]
    fn the_form_shows_what_s360_has() {
        let mut c = ContactDataResult {
            contact_id: ContactId(1),
            contact_number: "CUBE0000001".into(),
            contact_type: ContactType::Individual,
            role: ROLE_PUBLIC.into(),
            state: ContactState::Active,
            guest: false,
            creation_date: chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").unwrap(),
            individual_contact: Some(IndividualContact {
                email: "a@example.com".into(),
                individual_firstname: "A".into(),
                individual_lastname: "M".into(),
                ..Default::default()
            }),
            addresses: vec![
                ContactAddressData {
                    address_id: Some(AddressId(1)),
                    address_type: "MB".into(),
                    line1: "Main".into(),
                    zip_code: "1".into(),
                    town: "T".into(),
                    country_code: "CH".into(),
                    ..Default::default()
                },
                ContactAddressData {
                    address_id: Some(AddressId(2)),
                    address_type: "S".into(),
                    line1: "Ship".into(),
                    zip_code: "2".into(),
                    town: "U".into(),
                    country_code: "FR".into(),
                    ..Default::default()
                },
            ],
            contact_criteria: vec![ContactCriterion {
                criterion_code: CRITERION_NEWSLETTER.into(),
                values: vec!["true".into()],
            }],
        };
        let f = profile_of(&c);
        assert_eq!(f.main.line1, "Main");
        assert!(f.billing_same.is_some() && f.shipment_same.is_none());
        assert_eq!(f.shipment.line1, "Ship");
        assert!(f.newsletter.is_some() && f.partner_offers.is_none());
        c.addresses.clear();
        let f = profile_of(&c);
        assert!(f.main.is_empty() && f.shipment_same.is_some());
    }
}
