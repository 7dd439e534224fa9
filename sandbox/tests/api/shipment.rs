//! Shipment modes and shipments over real HTTP on loopback, through the typed client.

use crate::common::*;

use s360::client::{Client, Error};
use s360::model::catalog::{PosConfigData, ProductFamilyType};
use s360::model::contact::AddressId;
use s360::model::order::*;
use s360::model::shipment::*;
use s360::*;
use sandbox::Sandbox;

/// A demo buyer's contact number and addresses.
fn buyer(sb: &Sandbox, code: &str, email: &str) -> (String, Vec<(AddressId, String)>) {
    let inst = sb.institution(code).unwrap();
    let inst = inst.lock().unwrap();
    let c = inst
        .contacts
        .authenticate(email, sandbox::contacts::DEMO_PASSWORD)
        .unwrap();
    let addresses = c
        .data
        .addresses
        .iter()
        .map(|a| (a.address_id.unwrap(), a.country_code.clone()))
        .collect();
    (c.data.contact_number.clone(), addresses)
}

fn codes(modes: &[ShipmentModeData]) -> Vec<&str> {
    modes.iter().map(|m| m.code.as_str()).collect()
}

fn mode<'a>(modes: &'a [ShipmentModeData], code: &str) -> &'a ShipmentModeData {
    modes.iter().find(|m| m.code == code).unwrap()
}

async fn modes(
    c: &Client,
    pos: &PosConfigData,
    req: GetAvailableShipmentModesRequest,
) -> Vec<ShipmentModeData> {
    c.get_available_shipment_modes(pos.pos_id, &req)
        .await
        .unwrap()
}

#[tokio::test]
async fn modes_depend_on_content_destination_and_date() {
    let (sb, base) = start().await;
    let (cat, pos) = setup(&sb, "PLAY");
    let c = client(&base, "PLAY_WEB");

    // MATCH01 is 4 days away: no mail; MATCH02 is 18 days away: mail to CH/FR/DE...
    let soon = c
        .create_or_update_order(&standing(&cat, &pos, "MATCH01", 2, None))
        .await
        .unwrap();
    let later = c
        .create_or_update_order(&standing(&cat, &pos, "MATCH02", 2, None))
        .await
        .unwrap();
    let for_order = |order_id: OrderId, country: &str| GetAvailableShipmentModesRequest {
        shipment_contents: ShipmentContents::Tickets,
        order_id: Some(order_id),
        destination_country_code: Some(country.into()),
        ..Default::default()
    };
    let m = modes(&c, &pos, for_order(soon.order_id, "CH")).await;
    assert_eq!(codes(&m), ["PAH", "MOBILE", "BOXOFFICE"]);
    let m = modes(&c, &pos, for_order(later.order_id, "CH")).await;
    assert_eq!(
        codes(&m),
        ["PAH", "MOBILE", "MAIL", "REGISTERED", "BOXOFFICE"]
    );
    let mail = mode(&m, "MAIL");
    assert_eq!(mail.mode_type, ShipmentModeType::ByMail);
    assert_eq!(mail.price, Amount::from_units(5));
    assert!(mail.address_required);
    assert_eq!(mail.delivery_days, Some(5));
    assert_eq!(mail.external_name.best("fr", "en"), "Par courrier");
    assert_eq!(mode(&m, "PAH").price, Amount::ZERO);
    assert!(!mode(&m, "PAH").address_required);
    assert_eq!(
        mode(&m, "BOXOFFICE").mode_type,
        ShipmentModeType::PickUpAtControl
    );
    // registered mail stays in Switzerland; nothing goes by post to the US
    let m = modes(&c, &pos, for_order(later.order_id, "fr")).await;
    assert_eq!(codes(&m), ["PAH", "MOBILE", "MAIL", "BOXOFFICE"]);
    let m = modes(&c, &pos, for_order(later.order_id, "US")).await;
    assert_eq!(codes(&m), ["PAH", "MOBILE", "BOXOFFICE"]);

    // without an order: the families decide; season tickets are a card (no print@home/mobile)
    let season_family = pos
        .product_families
        .iter()
        .find(|f| f.product_family_type == ProductFamilyType::Seasonticket)
        .unwrap()
        .id;
    let m = modes(
        &c,
        &pos,
        GetAvailableShipmentModesRequest {
            shipment_contents: ShipmentContents::Tickets,
            product_family_ids: vec![season_family],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(codes(&m), ["MAIL", "REGISTERED", "BOXOFFICE"]);

    // the museum sells no performances: no box-office pickup; documents go by e-mail too
    let (_, mosa_pos) = setup(&sb, "MOSA");
    let mc = client(&base, "MOSA_WEB");
    let m = modes(
        &mc,
        &mosa_pos,
        GetAvailableShipmentModesRequest {
            shipment_contents: ShipmentContents::Tickets,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(codes(&m), ["PAH", "MOBILE", "MAIL", "REGISTERED"]);
    let m = modes(
        &mc,
        &mosa_pos,
        GetAvailableShipmentModesRequest {
            shipment_contents: ShipmentContents::Documents,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(codes(&m), ["PAH", "MAIL", "EMAIL"]);
    // mode ids are the institution's own
    assert!(m.iter().all(|x| x.shipment_mode_id.0 > 10_000_000_000_000));

    // a bad country and a foreign point of sale are refused
    let err = c
        .get_available_shipment_modes(pos.pos_id, &for_order(later.order_id, "Switzerland"))
        .await
        .unwrap_err();
    assert!(is_code(&err, "error.invalidParameter"), "{err:?}");
    let err = c
        .get_available_shipment_modes(mosa_pos.pos_id, &for_order(later.order_id, "CH"))
        .await
        .unwrap_err();
    assert!(is_code(&err, "error.invalidParameter"), "{err:?}");
}

#[tokio::test]
async fn mail_needs_an_address_and_its_fee_shows_in_the_order() {
    let (sb, base) = start().await;
    let (cat, pos) = setup(&sb, "PLAY");
    let c = client(&base, "PLAY_WEB");
    let (bob, addresses) = buyer(&sb, "PLAY", "bob@example.com");
    let (address, country) = addresses[0].clone();
    assert_eq!(country, "CH");

    let order = c
        .create_or_update_order(&standing(&cat, &pos, "MATCH02", 2, Some(&bob)))
        .await
        .unwrap();
    let before = order.sale_amount;
    let all = modes(
        &c,
        &pos,
        GetAvailableShipmentModesRequest {
            shipment_contents: ShipmentContents::Tickets,
            order_id: Some(order.order_id),
            contact_address_id: Some(address),
            ..Default::default()
        },
    )
    .await;
    let mail = mode(&all, "MAIL").shipment_mode_id;
    let pah = mode(&all, "PAH").shipment_mode_id;

    let create = |mode_id, contact_address_id| CreateShipmentRequest {
        request_id: None,
        order_id: order.order_id,
        shipment_mode_id: mode_id,
        contact_address_id,
        email: None,
    };
    let err = c.create_shipment(&create(mail, None)).await.unwrap_err();
    assert!(is_code(&err, ERROR_ADDRESS_REQUIRED), "{err:?}");
    let err = c
        .create_shipment(&create(mail, Some(AddressId(1))))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");

    let s = c
        .create_shipment(&create(mail, Some(address)))
        .await
        .unwrap();
    assert_eq!(s.state, ShipmentState::Unsent);
    assert_eq!(s.mode_type, ShipmentModeType::ByMail);
    assert_eq!(s.contact_number.as_deref(), Some(bob.as_str()));
    assert_eq!(s.contact_address.as_ref().unwrap().town, "Zürich");
    assert_eq!(s.number_of_tickets, 2);
    assert_eq!(s.price, Amount::from_units(5));
    let d = c.get_order_details(order.order_id, None).await.unwrap();
    assert_eq!(d.sale_amount, Amount(before.0 + 5_000));
    assert!(d
        .charges
        .iter()
        .any(|ch| ch.code == "SHIPMENT_MAIL" && ch.amount == Amount::from_units(5)));

    // adding a line keeps the fee (and the booking fee once)
    let more = c
        .create_or_update_order(&CreateOrUpdateOrderRequest {
            order_id: Some(order.order_id),
            ..standing(&cat, &pos, "MATCH02", 1, None)
        })
        .await
        .unwrap();
    let d = c.get_order_details(order.order_id, None).await.unwrap();
    assert_eq!(d.sale_amount, more.sale_amount);
    assert_eq!(d.charges_amount, Amount::from_units(2 + 5));
    assert_eq!(d.charges.len(), 2);

    // switching to print@home removes the fee
    let changed = c
        .change_shipment_mode(vec![s.shipment_id], pah)
        .await
        .unwrap();
    assert_eq!(changed[0].shipment_mode_code, "PAH");
    assert_eq!(changed[0].original_contact_address_id, Some(address));
    let d = c.get_order_details(order.order_id, None).await.unwrap();
    assert_eq!(d.charges_amount, Amount::from_units(2));
    assert_eq!(d.sale_amount, Amount(d.products_amount.0 + 2_000));
    // one shipment per order: creating again replaces it
    c.create_shipment(&create(mail, Some(address)))
        .await
        .unwrap();
    let shipments = c.get_shipments(order.order_id).await.unwrap();
    assert_eq!(shipments.len(), 1);
    assert_eq!(shipments[0].shipment_id, s.shipment_id);
    assert_eq!(shipments[0].shipment_mode_code, "MAIL");

    // mail is not possible for a match in 4 days, even with an address
    let soon = c
        .create_or_update_order(&standing(&cat, &pos, "MATCH01", 1, Some(&bob)))
        .await
        .unwrap();
    let err = c
        .create_shipment(&CreateShipmentRequest {
            order_id: soon.order_id,
            ..create(mail, Some(address))
        })
        .await
        .unwrap_err();
    assert!(is_code(&err, ERROR_MODE_NOT_AVAILABLE), "{err:?}");
    // and closing charges the fee
    let closed = c.close_order(&close_req(order.order_id)).await.unwrap();
    assert_eq!(closed.charges_amount, Amount::from_units(2 + 5));
}

#[tokio::test]
async fn a_sent_shipment_cannot_change_mode() {
    let (sb, base) = start().await;
    let (cat, pos) = setup(&sb, "PLAY");
    let c = client(&base, "PLAY_WEB");
    let (bob, _) = buyer(&sb, "PLAY", "bob@example.com");
    let order = c
        .create_or_update_order(&standing(&cat, &pos, "MATCH02", 1, Some(&bob)))
        .await
        .unwrap();
    assert!(c.get_shipments(order.order_id).await.unwrap().is_empty());
    let all = modes(
        &c,
        &pos,
        GetAvailableShipmentModesRequest {
            shipment_contents: ShipmentContents::Tickets,
            order_id: Some(order.order_id),
            ..Default::default()
        },
    )
    .await;
    let pah = mode(&all, "PAH").shipment_mode_id;
    let mobile = mode(&all, "MOBILE").shipment_mode_id;
    let boxoffice = mode(&all, "BOXOFFICE").shipment_mode_id;
    let s = c
        .create_shipment(&CreateShipmentRequest {
            request_id: None,
            order_id: order.order_id,
            shipment_mode_id: pah,
            contact_address_id: None,
            email: None,
        })
        .await
        .unwrap();
    assert_eq!(s.email.as_deref(), Some("bob@example.com"));
    assert_eq!(s.state, ShipmentState::Unsent);
    c.close_order(&close_req(order.order_id)).await.unwrap();
    let s = c.get_shipments(order.order_id).await.unwrap().remove(0);
    assert_eq!(s.state, ShipmentState::Sent);
    assert!(s.collection_date_time.is_some());
    let err = c
        .change_shipment_mode(vec![s.shipment_id], mobile)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ShipmentSent(_)), "{err:?}");

    // box-office pickup stays UNSENT after closing and may still become print@home
    let order = c
        .create_or_update_order(&standing(&cat, &pos, "MATCH02", 1, Some(&bob)))
        .await
        .unwrap();
    let s2 = c
        .create_shipment(&CreateShipmentRequest {
            request_id: None,
            order_id: order.order_id,
            shipment_mode_id: boxoffice,
            contact_address_id: None,
            email: Some("fan@example.org".into()),
        })
        .await
        .unwrap();
    c.close_order(&close_req(order.order_id)).await.unwrap();
    let after = c.get_shipments(order.order_id).await.unwrap().remove(0);
    assert_eq!(after.state, ShipmentState::Unsent);
    // all or nothing: one sent shipment fails the whole call
    let err = c
        .change_shipment_mode(vec![s2.shipment_id, s.shipment_id], pah)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ShipmentSent(_)), "{err:?}");
    assert_eq!(
        c.get_shipments(order.order_id).await.unwrap()[0].shipment_mode_code,
        "BOXOFFICE"
    );
    let changed = c
        .change_shipment_mode(vec![s2.shipment_id], pah)
        .await
        .unwrap();
    assert_eq!(changed[0].state, ShipmentState::Sent);
    assert_eq!(changed[0].email.as_deref(), Some("fan@example.org"));
    // the closed order keeps the fees it was sold with
    let d = c.get_order_details(order.order_id, None).await.unwrap();
    assert_eq!(d.charges_amount, Amount::from_units(2));
}
