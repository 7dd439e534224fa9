//! Access control (contract §11) for gate tests: the holders' data in the lists (PLAY sends
//! it, CUBE does not), the import rules of seed 002 (unknown barcodes ignored, blacklisted ones
//! fail the call), the sold-out stadium setting walked in full, and the admin endpoints that
//! list, cancel and reprint tickets.

use crate::common::{self, client, close_req, product, setup, tariff, ADMIN};

use std::collections::HashSet;
use std::sync::Arc;

use reqwest::StatusCode;
use s360::client::{Client, Error};
use s360::model::order::*;
use s360::model::ticket::*;
use sandbox::{AdminTicket, CancelCause, Config, Reprinted, Sandbox};
use serde_json::json;

fn export(season: &str, start: Option<String>, list: ListType, page: i64) -> ExportListRequest {
    ExportListRequest {
        request_id: None,
        list_type: list,
        ticket_type: TicketType::All,
        season_code: season.into(),
        product_codes: vec![],
        performance_codes: vec![],
        pagination_start: start,
        nb_max_results: page,
    }
}

/// Walks the list from `start` in pages of `page`; returns the items and the last cursor.
async fn walk(
    c: &Client,
    season: &str,
    start: Option<String>,
    list: ListType,
    page: i64,
) -> (Vec<AccessControlListItem>, Option<String>) {
    let mut cursor = start;
    let mut all = Vec::new();
    loop {
        let p = c
            .export_list(&export(season, cursor.clone(), list, page))
            .await
            .unwrap();
        cursor = p.pagination_end;
        if p.access_control_list_items.is_empty() {
            return (all, cursor);
        }
        all.extend(p.access_control_list_items);
    }
}

fn scan(code: &str) -> ControlledTicket {
    ControlledTicket {
        ac_identifier: "GATE_N_3".into(),
        barcode: code.to_string(),
        control_date: chrono::Utc::now().fixed_offset(),
        control_result: ControlResult::OfflineOk,
        failure_reason: None,
        additionnal_info: None,
    }
}

fn alice(sb: &Sandbox, institution: &str) -> String {
    let inst = sb.institution(institution).unwrap();
    let inst = inst.lock().unwrap();
    inst.contacts
        .authenticate("alice@example.com", "demo")
        .unwrap()
        .data
        .contact_number
        .clone()
}

/// Closes `order` after giving its first movement Alice (by contact number, with a birth
/// date) and its second Ada Lovelace (by name); returns the tax numbers of both tickets.
async fn close_with_holders(
    sb: &Sandbox,
    c: &Client,
    institution: &str,
    order: &OrderUpdateData,
) -> (String, String) {
    let moves: Vec<MovementId> = order
        .movement_data_updates
        .iter()
        .map(|m| m.movement_id)
        .collect();
    assert_eq!(moves.len(), 2);
    c.set_movement_contact_data(
        order.order_id,
        vec![
            MovementContactData {
                movement_id: moves[0],
                contact: MovementContact {
                    contact_number: Some(alice(sb, institution)),
                    birth_date: Some("1990-04-30".into()),
                    ..Default::default()
                },
            },
            MovementContactData {
                movement_id: moves[1],
                contact: MovementContact {
                    first_name: Some("Ada".into()),
                    last_name: Some("Lovelace".into()),
                    birth_date: Some("1815-12-10".into()),
                    ..Default::default()
                },
            },
        ],
    )
    .await
    .unwrap();
    c.close_order(&close_req(order.order_id)).await.unwrap();
    let tickets = c
        .get_tickets(&GetTicketsRequest {
            order_id: Some(order.order_id.0),
            ..Default::default()
        })
        .await
        .unwrap();
    let tax = |m: MovementId| {
        tickets
            .iter()
            .find(|t| t.movement_id == m.0)
            .unwrap()
            .tax_number
            .clone()
    };
    (tax(moves[0]), tax(moves[1]))
}

fn holder(item: &AccessControlListItem) -> Vec<(&str, &str)> {
    item.holder_data
        .iter()
        .map(|v| (v.name.as_str(), v.value.as_str()))
        .collect()
}

#[tokio::test]
async fn holder_data_goes_to_the_gates_of_play_and_not_of_cube() {
    let (sb, base) = common::start().await;

    // PLAY sends the holders
    let (cat, pos) = setup(&sb, "PLAY");
    let play = client(&base, "PLAY_WEB");
    let order = play
        .create_or_update_order(&common::standing(&cat, &pos, "MATCH02", 2, None))
        .await
        .unwrap();
    let (alice_tax, ada_tax) = close_with_holders(&sb, &play, "PLAY", &order).await;
    let (items, _) = walk(&play, "PLAY26", None, ListType::Grey, 100).await;
    assert_eq!(items.len(), 2);
    let by_tax = |tax: &str| items.iter().find(|i| i.tax_number == tax).unwrap();
    assert_eq!(
        holder(by_tax(&alice_tax)),
        vec![
            ("FIRSTNAME", "Alice"),
            ("LASTNAME", "Martin"),
            ("BIRTHDATE", "1990-04-30"),
            ("COUNTRY_CODE", "CH"),
        ],
        "names and country from the contact, birth date from the movement"
    );
    assert_eq!(
        holder(by_tax(&ada_tax)),
        vec![
            ("FIRSTNAME", "Ada"),
            ("LASTNAME", "Lovelace"),
            ("BIRTHDATE", "1815-12-10"),
        ]
    );

    // CUBE does not, although it knows them
    let (cat, pos) = setup(&sb, "CUBE");
    let cube = client(&base, "CUBE_WEB");
    let hamlet = product(&cat, "HAMLET");
    let perf = &hamlet.event.as_ref().unwrap().performances[0];
    let cat2 = perf
        .seat_categories
        .iter()
        .find(|c| c.code == "CAT2")
        .unwrap()
        .id;
    let order = cube
        .create_or_update_order(&CreateOrUpdateOrderRequest {
            point_of_sales_id: Some(pos.pos_id),
            single_entry_operations: vec![SingleEntryOperation {
                performance_id: perf.id,
                seat_category_id: cat2,
                audience_sub_category_id: tariff(&cat, "ADULT"),
                quantity: 2,
                contingent_id: None,
                price_level_id: None,
                seat_ids: None,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    let (_, ada_tax) = close_with_holders(&sb, &cube, "CUBE", &order).await;
    let (items, _) = walk(&cube, "CUBE26", None, ListType::Grey, 100).await;
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i.holder_data.is_empty()), "{items:?}");
    // the back office still knows the holder
    let known = sb.tickets("CUBE", None, 10).unwrap();
    let ada = known.iter().find(|t| t.tax_number == ada_tax).unwrap();
    assert_eq!(ada.holder_data[0].value, "Ada");
}

#[tokio::test]
async fn import_ignores_unknown_barcodes_and_fails_on_a_blacklisted_one() {
    let (sb, base) = common::start_with(Config {
        stadium_tickets: 3,
        ..Config::default()
    })
    .await;
    let c = client(&base, "PLAY_WEB");
    let t: Vec<String> = sb
        .tickets("PLAY", Some("M01"), 3)
        .unwrap()
        .into_iter()
        .map(|t| t.barcode)
        .collect();
    let unknown = ["99000000000000000000", "not even a barcode"];

    // seed 002: barcodes S-360 never issued are ignored, the others imported
    let imported = c
        .import_controlled_tickets(vec![
            scan(unknown[0]),
            scan(&t[0]),
            scan(unknown[1]),
            scan(&t[1]),
        ])
        .await
        .unwrap();
    assert_eq!(imported, 2);
    for code in &t[..2] {
        let controlled = c.get_controlled_ticket(code).await.unwrap();
        assert_eq!(controlled.control_operations.len(), 1, "{code}");
        assert_eq!(
            controlled.control_operations[0].control_operation_type,
            ControlOperationType::OfflineOk
        );
    }
    assert!(matches!(
        c.get_controlled_ticket(unknown[0]).await.unwrap_err(),
        Error::NotFound(_)
    ));
    assert_eq!(
        c.import_controlled_tickets(vec![scan(unknown[0])])
            .await
            .unwrap(),
        0
    );

    // a blacklisted barcode fails the whole call, naming it; nothing is imported
    sb.cancel_ticket("PLAY", &t[2], CancelCause::Stolen)
        .unwrap();
    let err = c
        .import_controlled_tickets(vec![scan(&t[0]), scan(unknown[0]), scan(&t[2])])
        .await
        .unwrap_err();
    match err {
        Error::Other(code, detail) => {
            assert_eq!(code, "failed");
            assert_eq!(
                detail,
                format!("Failed to import controlledTickets:{}", t[2])
            );
        }
        other => panic!("{other:?}"),
    }
    let first = c.get_controlled_ticket(&t[0]).await.unwrap();
    assert_eq!(first.control_operations.len(), 1, "all or nothing");

    // so does a barcode invalidated by a reprint
    let r = sb.reprint_ticket("PLAY", &t[1]).unwrap();
    let err = c
        .import_controlled_tickets(vec![scan(&r.old_barcode)])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Other(_, d) if d == &format!("Failed to import controlledTickets:{}", t[1])),
        "{err:?}"
    );
    assert_eq!(
        c.import_controlled_tickets(vec![scan(&r.new_barcode)])
            .await
            .unwrap(),
        1
    );
}

/// How many tickets the stadium test issues and walks (two pages of standing places beyond
/// the 5,200 numbered seats, and a last page that is not full).
const STADIUM: u32 = 7_500;

#[tokio::test]
async fn the_stadium_setting_walks_in_full_exactly_once() {
    let started = std::time::Instant::now();
    let (sb, base) = common::start_with(Config {
        stadium_tickets: STADIUM,
        ..Config::default()
    })
    .await;
    let seeded = started.elapsed();
    let c = client(&base, "PLAY_WEB");
    let started = std::time::Instant::now();
    let mut cursor = None;
    let mut barcodes = Vec::new();
    let mut pages = 0;
    loop {
        let page = c
            .export_list(&ExportListRequest {
                product_codes: vec!["MATCH01".into()],
                performance_codes: vec!["M01".into()],
                ..export("PLAY26", cursor.clone(), ListType::Grey, 1_000)
            })
            .await
            .unwrap();
        assert!(page.access_control_list_items.len() <= 1_000);
        if page.access_control_list_items.is_empty() {
            assert_eq!(page.pagination_end, cursor, "at the end the cursor stays");
            break;
        }
        assert_ne!(page.pagination_end, cursor, "the cursor moves");
        cursor = page.pagination_end;
        pages += 1;
        for i in &page.access_control_list_items {
            assert!(i.valid, "{i:?}");
            assert_eq!(i.product_code, "MATCH01");
            assert!(i.entrance_code.is_some());
            assert!(i.holder("FIRSTNAME").is_some() && i.holder("BIRTHDATE").is_some());
        }
        barcodes.extend(
            page.access_control_list_items
                .into_iter()
                .map(|i| i.barcode),
        );
    }
    eprintln!(
        "stadium of {STADIUM}: sandbox started in {seeded:?}, grey list walked in {pages} pages in {:?}",
        started.elapsed()
    );
    assert_eq!(pages, STADIUM.div_ceil(1_000) as usize);
    assert_eq!(barcodes.len(), STADIUM as usize, "every ticket");
    let distinct: HashSet<&String> = barcodes.iter().collect();
    assert_eq!(distinct.len(), STADIUM as usize, "exactly once");

    // the match is sold out in the numbered stands: the shop cannot sell those seats again
    let (cat, pos) = setup(&sb, "PLAY");
    let m1 = product(&cat, "MATCH01");
    let perf = &m1.event.as_ref().unwrap().performances[0];
    let main = perf
        .seat_categories
        .iter()
        .find(|s| s.code == "MAIN")
        .unwrap()
        .id;
    let refused = c
        .create_or_update_order(&CreateOrUpdateOrderRequest {
            point_of_sales_id: Some(pos.pos_id),
            single_entry_operations: vec![SingleEntryOperation {
                performance_id: perf.id,
                seat_category_id: main,
                audience_sub_category_id: tariff(&cat, "ADULT"),
                quantity: 1,
                contingent_id: None,
                price_level_id: None,
                seat_ids: None,
            }],
            ..Default::default()
        })
        .await;
    assert!(refused.is_err(), "{refused:?}");

    // the admin listing: capped at 1,000, the tariff mix and the first seat
    let listed = sb.tickets("PLAY", Some("M01"), 5_000).unwrap();
    assert_eq!(listed.len(), 1_000);
    assert_eq!(listed[0].block_code.as_deref(), Some("B1"));
    assert_eq!(listed[0].entrance_code.as_deref(), Some("GATE_A"));
    assert_eq!(listed[9].audience_sub_category_code, "CHILD");
    assert_eq!(listed[6].audience_sub_category_code, "REDUCED");
    assert_eq!(listed[0].audience_sub_category_code, "ADULT");
    assert!(listed[4].holder_data.iter().any(|v| v.name == "ID_NUMBER"));
    assert!(sb.tickets("PLAY", Some("M02"), 10).unwrap().is_empty());
}

async fn admin(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    http.post(format!("{base}/__admin/tickets/{path}"))
        .bearer_auth(ADMIN)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn start_stadium(n: u32) -> (Arc<Sandbox>, String, Client, reqwest::Client) {
    let (sb, base) = common::start_with(Config {
        stadium_tickets: n,
        ..Config::default()
    })
    .await;
    let c = client(&base, "PLAY_WEB");
    (sb, base, c, reqwest::Client::new())
}

#[tokio::test]
async fn a_cancelled_ticket_comes_back_invalid_from_the_stored_cursor() {
    let (sb, base, c, http) = start_stadium(40).await;
    let (items, cursor) = walk(&c, "PLAY26", None, ListType::Grey, 15).await;
    assert_eq!(items.len(), 40);

    // in process
    let cancelled = sb
        .cancel_ticket("PLAY", &items[3].barcode, CancelCause::Refunded)
        .unwrap();
    assert!(!cancelled.valid);
    assert_eq!(cancelled.state, TicketState::Cancelled);
    assert_eq!(cancelled.cancellation_cause.as_deref(), Some("REFUNDED"));
    let (changed, cursor) = walk(&c, "PLAY26", cursor, ListType::Grey, 15).await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].barcode, items[3].barcode);
    assert!(!changed[0].valid);
    assert_eq!(changed[0].cancellation_cause.as_deref(), Some("REFUNDED"));

    // over HTTP, by tax number
    let r = admin(
        &http,
        &base,
        "cancel",
        json!({"institution": "PLAY", "barcode": items[7].tax_number, "cause": "TECHNICAL"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let t: AdminTicket = r.json().await.unwrap();
    assert_eq!(t.barcode, items[7].barcode);
    assert!(!t.valid);
    let (changed, _) = walk(&c, "PLAY26", cursor.clone(), ListType::Black, 15).await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].barcode, items[7].barcode);
    assert_eq!(changed[0].cancellation_cause.as_deref(), Some("TECHNICAL"));
    let (white, _) = walk(&c, "PLAY26", cursor, ListType::White, 15).await;
    assert!(white.is_empty());

    // once blacklisted, always: a second cancellation is refused
    let r = admin(
        &http,
        &base,
        "cancel",
        json!({"institution": "PLAY", "barcode": items[7].barcode, "cause": "STOLEN"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("already invalid"));
}

#[tokio::test]
async fn a_reprint_gives_the_new_barcode_then_the_old_one() {
    let (sb, base, c, http) = start_stadium(10).await;
    let (items, cursor) = walk(&c, "PLAY26", None, ListType::Grey, 100).await;

    let r = admin(
        &http,
        &base,
        "reprint",
        json!({"institution": "PLAY", "barcode": items[2].barcode}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let reprinted: Reprinted = r.json().await.unwrap();
    assert_eq!(reprinted.old_barcode, items[2].barcode);
    assert_ne!(reprinted.new_barcode, reprinted.old_barcode);
    let page = c
        .export_list(&export("PLAY26", cursor.clone(), ListType::Grey, 1))
        .await
        .unwrap()
        .access_control_list_items;
    assert_eq!(
        page.len(),
        2,
        "the new ticket and its old barcode count as one"
    );
    assert_eq!(page[0].barcode, reprinted.new_barcode);
    assert!(page[0].valid);
    assert_eq!(page[0].row_number, items[2].row_number, "the same seat");
    assert_eq!(page[0].holder_data, items[2].holder_data);
    assert_eq!(page[1].barcode, reprinted.old_barcode);
    assert!(!page[1].valid);
    assert_eq!(page[1].cancellation_cause.as_deref(), Some("REPRINTED"));

    // reprinted again in process: the new one, then both old ones
    let again = sb.reprint_ticket("PLAY", &reprinted.new_barcode).unwrap();
    assert_eq!(again.old_barcode, reprinted.new_barcode);
    let (changed, _) = walk(&c, "PLAY26", cursor, ListType::Grey, 1).await;
    let codes: Vec<(&str, bool)> = changed
        .iter()
        .map(|i| (i.barcode.as_str(), i.valid))
        .collect();
    assert_eq!(
        codes,
        vec![
            (again.new_barcode.as_str(), true),
            (again.old_barcode.as_str(), false),
            (reprinted.old_barcode.as_str(), false),
        ]
    );
    // an invalid barcode cannot be reprinted
    let r = admin(
        &http,
        &base,
        "reprint",
        json!({"institution": "PLAY", "barcode": reprinted.old_barcode}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn admin_ticket_endpoints_need_the_token_and_answer_bad_input_in_words() {
    let (_sb, base, _c, http) = start_stadium(5).await;
    let list = format!("{base}/__admin/tickets?institution=PLAY&performance=M01&limit=2");

    // no token, or a wrong one: the endpoints do not exist
    let r = http.get(&list).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = http.get(&list).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    for path in ["cancel", "reprint"] {
        let r = http
            .post(format!("{base}/__admin/tickets/{path}"))
            .json(&json!({"institution": "PLAY", "barcode": "x", "cause": "CANCELLED"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }

    // with the token
    let r = http.get(&list).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let listed: Vec<serde_json::Value> = r.json().await.unwrap();
    assert_eq!(listed.len(), 2);
    for key in [
        "barcode",
        "taxNumber",
        "valid",
        "state",
        "audienceSubCategoryCode",
        "entranceCode",
        "productCode",
        "performanceCode",
        "blockCode",
        "rowNumber",
        "seatNumber",
        "holderData",
    ] {
        assert!(listed[0].get(key).is_some(), "{key} in {}", listed[0]);
    }
    assert_eq!(listed[0]["state"], "VALID");
    let barcode = listed[0]["barcode"].as_str().unwrap().to_string();

    let get = |q: &str| {
        http.get(format!("{base}/__admin/tickets?{q}"))
            .bearer_auth(ADMIN)
            .send()
    };
    let r = get("institution=NOPE").await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("unknown institution NOPE"));
    let r = get("institution=PLAY&limit=many").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("limit"));
    let r = get("performance=M01").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("institution"));

    let refused = [
        (
            "cancel",
            json!({"institution": "PLAY", "barcode": barcode, "cause": "BORED"}),
            StatusCode::BAD_REQUEST,
            "unknown variant",
        ),
        (
            "cancel",
            json!({"institution": "PLAY", "barcode": barcode}),
            StatusCode::BAD_REQUEST,
            "cause",
        ),
        (
            "cancel",
            json!({"institution": "NOPE", "barcode": barcode, "cause": "CANCELLED"}),
            StatusCode::NOT_FOUND,
            "unknown institution",
        ),
        (
            "cancel",
            json!({"institution": "PLAY", "barcode": "123", "cause": "CANCELLED"}),
            StatusCode::NOT_FOUND,
            "no ticket",
        ),
        (
            "reprint",
            json!({"institution": "PLAY", "barcode": "123"}),
            StatusCode::NOT_FOUND,
            "no ticket",
        ),
        (
            "reprint",
            json!({"institution": "PLAY"}),
            StatusCode::BAD_REQUEST,
            "barcode",
        ),
        (
            "reprint",
            json!("not an object"),
            StatusCode::BAD_REQUEST,
            "invalid body",
        ),
    ];
    for (path, body, status, words) in refused {
        let r = admin(&http, &base, path, body.clone()).await;
        assert_eq!(r.status(), status, "{path} {body}");
        let text = r.text().await.unwrap();
        assert!(text.contains(words), "{path} {body}: {text}");
    }
}
