//! `contactInformationPublicService` over real HTTP, through the typed client.

use crate::common::*;

use s360::client::Error;
use s360::model::contact::*;
use serde_json::{json, Value};

fn person(email: &str, first: &str, last: &str) -> IndividualContact {
    IndividualContact {
        email: email.into(),
        individual_firstname: first.into(),
        individual_lastname: last.into(),
        country_code: Some("CH".into()),
        language_code: Some("en".into()),
        ..Default::default()
    }
}

fn addr(kind: &str, line1: &str) -> ContactAddressData {
    ContactAddressData {
        address_type: kind.into(),
        line1: line1.into(),
        zip_code: "1200".into(),
        town: "Genève".into(),
        country_code: "CH".into(),
        ..Default::default()
    }
}

fn code(e: Error) -> String {
    match e {
        Error::Other(code, _) => code,
        Error::NotFound(_) => "error.notFound".into(),
        other => panic!("not a business error: {other:?}"),
    }
}

#[tokio::test]
async fn demo_buyers_are_seeded_in_every_institution() {
    let (_sb, base) = start().await;
    for op in ["MOSA_WEB", "CUBE_WEB", "PLAY_WEB"] {
        let c = client(&base, op);
        for email in ["alice@example.com", "bob@example.com"] {
            let found = c
                .search_contacts(&SearchContactsRequest {
                    email: Some(email.into()),
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(found.total_count, 1, "{op} {email}");
            let contact = &found.contacts[0];
            assert!(contact.contact_number.len() <= 20);
            assert!(contact.contact_id.0 > 1_000_000_000_000);
            assert!(!contact.addresses.is_empty());
            let i = contact.individual_contact.as_ref().unwrap();
            assert_eq!(i.login.as_deref(), Some(email));
        }
    }
}

#[tokio::test]
async fn contact_lifecycle_create_read_update_addresses_criteria_search_delete() {
    let (_sb, base) = start().await;
    let c = client(&base, "CUBE_WEB");
    let created = c
        .create_contact(&CreateContactRequest {
            individual_contact: person("carol@example.org", "Carol", "Dupont"),
            addresses: vec![addr("MB", "Quai du Mont-Blanc 5")],
            opt_ins: vec![CRITERION_NEWSLETTER.into()],
            create_login: true,
            password: Some("s3cret!".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(created.contact_number.starts_with("CUBE"));
    assert!(created.contact_number.len() <= 20);

    // read
    let got = c
        .get_contact_data(&created.contact_number, &[])
        .await
        .unwrap();
    assert_eq!(got.contact_id, created.contact_id);
    assert_eq!(got.state, ContactState::Active);
    assert_eq!(got.role, ROLE_PUBLIC);
    assert!(!got.guest);
    let i = got.individual_contact.clone().unwrap();
    assert_eq!(i.login.as_deref(), Some("carol@example.org"));
    assert_eq!(i.individual_firstname, "Carol");
    assert_eq!(got.addresses.len(), 1);
    assert!(got.addresses[0].address_id.is_some());
    assert!(got.opted_in(CRITERION_NEWSLETTER));
    // details filter
    let general = c
        .get_contact_data(&created.contact_number, &[ContactDetail::General])
        .await
        .unwrap();
    assert!(general.individual_contact.is_some());
    assert!(general.addresses.is_empty() && general.contact_criteria.is_empty());

    // update: the login follows the e-mail
    c.update_contact(
        &created.contact_number,
        person("carol.dupont@example.org", "Carol", "Dupont-Roux"),
    )
    .await
    .unwrap();
    let got = c
        .get_contact_data(&created.contact_number, &[])
        .await
        .unwrap();
    let i = got.individual_contact.unwrap();
    assert_eq!(i.individual_lastname, "Dupont-Roux");
    assert_eq!(i.login.as_deref(), Some("carol.dupont@example.org"));

    // addresses: add, update, delete
    let shipping = c
        .create_or_update_address(&created.contact_number, addr("S", "Rue de Lyon 1"))
        .await
        .unwrap();
    let id = shipping.address_id.unwrap();
    let updated = c
        .create_or_update_address(
            &created.contact_number,
            ContactAddressData {
                address_id: Some(id),
                line2: Some("c/o Dupont".into()),
                ..addr("S", "Rue de Lyon 2")
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.address_id, Some(id));
    let got = c
        .get_contact_data(&created.contact_number, &[ContactDetail::Addresses])
        .await
        .unwrap();
    assert_eq!(got.addresses.len(), 2);
    assert!(got
        .addresses
        .iter()
        .any(|a| a.line1 == "Rue de Lyon 2" && a.is('S')));
    c.delete_address(&created.contact_number, id).await.unwrap();
    let got = c
        .get_contact_data(&created.contact_number, &[])
        .await
        .unwrap();
    assert_eq!(got.addresses.len(), 1);
    let err = c
        .delete_address(&created.contact_number, id)
        .await
        .unwrap_err();
    assert_eq!(code(err), "error.notFound");

    // criteria: opt out of the newsletter, set another criterion
    c.set_contact_criteria(
        &created.contact_number,
        vec![
            ContactCriterion {
                criterion_code: CRITERION_NEWSLETTER.into(),
                values: vec!["false".into()],
            },
            ContactCriterion {
                criterion_code: "FAVOURITE_GENRE".into(),
                values: vec!["OPERA".into(), "JAZZ".into()],
            },
        ],
    )
    .await
    .unwrap();
    let got = c
        .get_contact_data(&created.contact_number, &[ContactDetail::Criteria])
        .await
        .unwrap();
    assert!(!got.opted_in(CRITERION_NEWSLETTER));
    assert_eq!(got.contact_criteria.len(), 2);

    // search by e-mail (case-insensitive) and by name
    let found = c
        .search_contacts(&SearchContactsRequest {
            email: Some("CAROL.DUPONT@example.org".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.total_count, 1);
    assert_eq!(found.contacts[0].contact_number, created.contact_number);
    let page = c
        .search_contacts(&SearchContactsRequest {
            min_index: 1,
            nb_max_results: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total_count, 3, "alice, bob, carol");
    assert_eq!(page.contacts.len(), 1);

    // delete: anonymised, INACTIVE, gone from the e-mail search, frozen
    c.delete_contact(&created.contact_number).await.unwrap();
    c.delete_contact(&created.contact_number).await.unwrap(); // idempotent
    let got = c
        .get_contact_data(&created.contact_number, &[])
        .await
        .unwrap();
    assert_eq!(got.state, ContactState::Inactive);
    let i = got.individual_contact.unwrap();
    assert!(i.email.is_empty() && i.login.is_none());
    assert!(got.addresses.is_empty() && got.contact_criteria.is_empty());
    let found = c
        .search_contacts(&SearchContactsRequest {
            email: Some("carol.dupont@example.org".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.total_count, 0);
    let err = c
        .update_contact(&created.contact_number, person("c@example.org", "C", "D"))
        .await
        .unwrap_err();
    assert_eq!(code(err), ERROR_INACTIVE);
    // its login e-mail is free again
    c.create_contact(&CreateContactRequest {
        individual_contact: person("carol.dupont@example.org", "Carol", "Again"),
        create_login: true,
        ..Default::default()
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn validation_errors_are_business_errors() {
    let (_sb, base) = start().await;
    let c = client(&base, "MOSA_WEB");
    let create = |i: IndividualContact| CreateContactRequest {
        individual_contact: i,
        ..Default::default()
    };
    let e = c
        .create_contact(&create(person("not-an-email", "A", "B")))
        .await
        .unwrap_err();
    assert_eq!(code(e), ERROR_INVALID_EMAIL);
    let e = c
        .create_contact(&create(person("a@example.com", " ", "B")))
        .await
        .unwrap_err();
    assert_eq!(code(e), ERROR_MISSING_FIELD);
    let e = c
        .create_contact(&create(person("a@example.com", "A", "")))
        .await
        .unwrap_err();
    assert_eq!(code(e), ERROR_MISSING_FIELD);
    let e = c
        .create_contact(&CreateContactRequest {
            individual_contact: person("a@example.com", "A", "B"),
            addresses: vec![addr("X", "Somewhere 1")],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(code(e), "error.invalidParameter");
    // nothing of a refused creation is kept
    let found = c
        .search_contacts(&SearchContactsRequest {
            email: Some("a@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.total_count, 0);

    let e = c.get_contact_data("NOPE0000001", &[]).await.unwrap_err();
    assert!(matches!(e, Error::NotFound(_)), "{e:?}");
    let e = c
        .update_contact("NOPE0000001", person("x@example.com", "X", "Y"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(_)), "{e:?}");

    // raw: HTTP 200, dotted code in statusCode; a malformed body is a 400
    let tok: Value = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
        .post(format!("{base}/tnai/backend-apis/v1/auth"))
        .json(&json!({"operator": "MOSA_WEB", "secret": "sandbox"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tok = tok["token"].as_str().unwrap();
    let path = "/tnco/backend-apis/contactInformationPublicService/v2_21/getContactData";
    let r = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
        .post(format!("{base}{path}"))
        .bearer_auth(tok)
        .json(&json!({"contactNumber": "NOPE", "details": ["GENERAL"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["statusCode"], "error.notFound");
    assert!(v["statusDetail"].as_str().unwrap().contains("NOPE"));
    let r = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
        .post(format!("{base}{path}"))
        .bearer_auth(tok)
        .json(&json!({"contactNumber": 12}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn a_login_email_belongs_to_one_public_contact() {
    let (_sb, base) = start().await;
    let c = client(&base, "PLAY_WEB");
    let e = c
        .create_contact(&CreateContactRequest {
            individual_contact: person("Alice@Example.com", "Alice", "Other"),
            create_login: true,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(code(e), ERROR_DUPLICATE_LOGIN);
    // the same e-mail without a login is allowed (many contacts may share an e-mail)
    let guest = c
        .create_contact(&CreateContactRequest {
            individual_contact: person("alice@example.com", "Alice", "Guest"),
            ..Default::default()
        })
        .await
        .unwrap();
    let g = c
        .get_contact_data(&guest.contact_number, &[])
        .await
        .unwrap();
    assert!(g.guest);
    assert!(g.individual_contact.unwrap().login.is_none());
    // changing an account's e-mail to a taken login is refused
    let dan = c
        .create_contact(&CreateContactRequest {
            individual_contact: person("dan@example.com", "Dan", "Brown"),
            create_login: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let e = c
        .update_contact(
            &dan.contact_number,
            person("bob@example.com", "Dan", "Brown"),
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), ERROR_DUPLICATE_LOGIN);
    // other institutions have their own logins
    let other = client(&base, "CUBE_WEB");
    other
        .create_contact(&CreateContactRequest {
            individual_contact: person("dan@example.com", "Dan", "Brown"),
            create_login: true,
            ..Default::default()
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn cultural_contacts_are_created_all_or_nothing() {
    let (_sb, base) = start().await;
    let c = client(&base, "CUBE_WEB");
    let r = c
        .create_cultural_contacts(vec![
            CulturalContactData {
                identifier: "holder-1".into(),
                first_name: "Eve".into(),
                last_name: "Blanc".into(),
                email: "eve@example.com".into(),
                ..Default::default()
            },
            CulturalContactData {
                identifier: "holder-2".into(),
                first_name: "Frank".into(),
                last_name: "Noir".into(),
                email: "frank@example.com".into(),
                create_login: true,
                ..Default::default()
            },
        ])
        .await
        .unwrap();
    assert_eq!(r.cultural_contact_data.len(), 2);
    let n1 = &r.identifier_contact_map["holder-1"];
    let eve = c.get_contact_data(n1, &[]).await.unwrap();
    assert_eq!(eve.individual_contact.unwrap().individual_firstname, "Eve");

    // the second entry reuses a login: nothing is created
    let e = c
        .create_cultural_contacts(vec![
            CulturalContactData {
                identifier: "a".into(),
                first_name: "Gus".into(),
                last_name: "Vert".into(),
                email: "gus@example.com".into(),
                ..Default::default()
            },
            CulturalContactData {
                identifier: "b".into(),
                first_name: "Frank".into(),
                last_name: "Twice".into(),
                email: "frank@example.com".into(),
                create_login: true,
                ..Default::default()
            },
        ])
        .await
        .unwrap_err();
    assert_eq!(code(e), ERROR_DUPLICATE_LOGIN);
    let found = c
        .search_contacts(&SearchContactsRequest {
            email: Some("gus@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.total_count, 0);
}
