//! Orders, seats and S-PAY payments over real HTTP on loopback, through the typed client.

use crate::common::*;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use reqwest::StatusCode;
use s360::client::{Client, ClientConfig, Error};
use s360::model::availability::*;
use s360::model::catalog::{PosConfigData, Product};
use s360::model::order::*;
use s360::*;
use sandbox::{Faults, Sandbox};
use serde_json::{json, Value};
use tokio::sync::mpsc;

fn seat_cat(p: &Product, perf: usize, code: &str) -> SeatCategoryId {
    p.event.as_ref().unwrap().performances[perf]
        .seat_categories
        .iter()
        .find(|c| c.code == code)
        .unwrap()
        .id
}

fn single(
    pos: &PosConfigData,
    perf: PerformanceId,
    cat: SeatCategoryId,
    aud: AudienceSubCategoryId,
    quantity: u32,
    seat_ids: Option<Vec<SeatId>>,
) -> CreateOrUpdateOrderRequest {
    CreateOrUpdateOrderRequest {
        point_of_sales_id: Some(pos.pos_id),
        single_entry_operations: vec![SingleEntryOperation {
            performance_id: perf,
            seat_category_id: cat,
            audience_sub_category_id: aud,
            quantity,
            contingent_id: None,
            price_level_id: None,
            seat_ids,
        }],
        ..Default::default()
    }
}

/// A receiver for payment notifications and webhooks: every POST body arrives on the channel.
async fn receiver() -> (String, mpsc::UnboundedReceiver<(String, Value)>) {
    let (tx, rx) = mpsc::unbounded_channel::<(String, Value)>();
    async fn notify(
        State(tx): State<mpsc::UnboundedSender<(String, Value)>>,
        Json(v): Json<Value>,
    ) -> StatusCode {
        let _ = tx.send(("notify".into(), v));
        StatusCode::OK
    }
    async fn webhook(
        State(tx): State<mpsc::UnboundedSender<(String, Value)>>,
        Json(v): Json<Value>,
    ) -> StatusCode {
        let _ = tx.send(("webhook".into(), v));
        StatusCode::OK
    }
    let app = Router::new()
        .route("/notify", post(notify))
        .route("/webhook", post(webhook))
        .route("/return", get(|| async { "back in the shop" }))
        .with_state(tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), rx)
}

/// Points the sandbox's order webhook at `url` (admin API).
async fn set_webhook(base: &str, url: &str) {
    let r = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
        .put(format!("{base}/__admin/webhook"))
        .bearer_auth(ADMIN)
        .json(&json!({ "url": url }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

async fn next_of(
    rx: &mut mpsc::UnboundedReceiver<(String, Value)>,
    kind: &str,
    within: Duration,
) -> Option<Value> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some((k, v))) if k == kind => return Some(v),
            Ok(Some(_)) => continue,
            _ => return None,
        }
    }
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_family_can_be_ordered_and_closed() {
    let (sb, base) = start().await;

    // MOSA: a timed visit (pass with time slot), a yearly pass (pass item), an audio guide
    // (simple product with a quota)
    let (cat, pos) = setup(&sb, "MOSA");
    let c = client(&base, "MOSA_WEB");
    let visit = product(&cat, "VISIT");
    let pass = visit.pass.as_ref().unwrap();
    let slot = pass.timeslots.iter().rev().nth(20).unwrap();
    let year = product(&cat, "YEARPASS").pass.as_ref().unwrap().items[0].item_id;
    let audio = product(&cat, "AUDIO").items[0].item_id;
    let adult = tariff(&cat, "ADULT");
    let child = tariff(&cat, "CHILD");
    let order = c
        .create_or_update_order(&CreateOrUpdateOrderRequest {
            point_of_sales_id: Some(pos.pos_id),
            pass_operations: vec![
                PassOperation {
                    item_id: pass.items[0].item_id,
                    audience_sub_category_id: adult,
                    quantity: 2,
                    timeslot_id: Some(slot.id),
                    date: Some(slot.start.format("%Y-%m-%d").to_string()),
                },
                PassOperation {
                    item_id: pass.items[0].item_id,
                    audience_sub_category_id: child,
                    quantity: 1,
                    timeslot_id: Some(slot.id),
                    date: None,
                },
                PassOperation {
                    item_id: year,
                    audience_sub_category_id: adult,
                    quantity: 1,
                    timeslot_id: None,
                    date: None,
                },
            ],
            simple_product_operations: vec![SimpleProductOperation {
                item_id: audio,
                audience_sub_category_id: adult,
                quantity: 2,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(order.operation_data_updates.len(), 4);
    assert_eq!(order.movement_data_updates.len(), 6);
    // 2 x 18 + 0 + 90 + 2 x 6 + booking fee 2
    assert_eq!(order.sale_amount, Amount::from_units(36 + 90 + 12 + 2));
    let slots = c
        .get_product_availability(&ProductAvailabilityRequest {
            point_of_sales_id: Some(pos.pos_id),
            product_ids: vec![visit.id],
            timeslot_ids: vec![slot.id],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        slots[0].availability,
        40 - 3,
        "the hold shows in availability"
    );
    let closed = c.close_order(&close_req(order.order_id)).await.unwrap();
    assert_eq!(closed.order_state, OrderState::Closed);
    assert_eq!(closed.payment_state, PaymentState::Paid);
    assert_eq!(closed.charges_amount, Amount::from_units(2));
    assert_eq!(closed.charges[0].code, "BOOKING_FEE");
    assert_eq!(closed.tickets.len(), 6);
    for t in &closed.tickets {
        let b = t.barcode.as_deref().unwrap();
        assert_eq!(b.len(), 20);
        assert!(b.chars().all(|c| c.is_ascii_digit()));
        assert!(!t.tax_number.is_empty());
    }

    // CUBE: a numbered performance and the 4-show subscription (same seat everywhere)
    let (cat, pos) = setup(&sb, "CUBE");
    let c = client(&base, "CUBE_WEB");
    let adult = tariff(&cat, "ADULT");
    let hamlet = product(&cat, "HAMLET");
    let perf = &hamlet.event.as_ref().unwrap().performances[1];
    let subs = product(&cat, "SUBS4");
    let line = subs.package_line.as_ref().unwrap();
    let order = c
        .create_or_update_order(&CreateOrUpdateOrderRequest {
            composed_product_operations: vec![ComposedProductOperation {
                product_id: subs.id,
                audience_sub_category_id: adult,
                quantity: 2,
                seat_category_id: line.seat_categories[1].id,
                seat_ids: None,
            }],
            ..single(&pos, perf.id, seat_cat(hamlet, 1, "CAT2"), adult, 1, None)
        })
        .await
        .unwrap();
    let subs_moves: Vec<&MovementData> = order
        .movement_data_updates
        .iter()
        .filter(|m| {
            m.performance_id
                .is_some_and(|p| line.performance_ids.contains(&p))
        })
        .collect();
    assert_eq!(subs_moves.len(), 2 * line.performance_ids.len());
    for unit in 0..2 {
        let seats: std::collections::HashSet<SeatId> = subs_moves
            .iter()
            .filter(|m| {
                m.instance_number == unit
                    && m.operation_id != order.operation_data_updates[0].operation_id
            })
            .map(|m| m.seat_id.unwrap())
            .collect();
        assert_eq!(
            seats.len(),
            1,
            "one seat for every show of the subscription"
        );
    }
    // season tickets need a holder before closing
    let err = c.close_order(&close_req(order.order_id)).await.unwrap_err();
    assert!(is_code(&err, "error.invalidParameter"), "{err:?}");
    let holders: Vec<MovementContactData> = order
        .movement_data_updates
        .iter()
        .filter(|m| m.performance_id == Some(line.performance_ids[0]))
        .map(|m| MovementContactData {
            movement_id: m.movement_id,
            contact: MovementContact {
                first_name: Some("Ada".into()),
                last_name: Some("Lovelace".into()),
                ..Default::default()
            },
        })
        .collect();
    c.set_movement_contact_data(order.order_id, holders)
        .await
        .unwrap();
    let closed = c.close_order(&close_req(order.order_id)).await.unwrap();
    assert_eq!(closed.order_state, OrderState::Closed);
    assert_eq!(closed.tickets.len(), 1 + 2 * line.performance_ids.len());
    let subs_op = closed
        .operation_datas
        .iter()
        .find(|o| o.product_id == subs.id)
        .unwrap()
        .clone();
    assert_eq!(subs_op.quantity, 2);
    assert_eq!(
        subs_op.kind,
        s360::model::catalog::ProductFamilyType::Seasonticket
    );

    // PLAY: a standing place and a season ticket on the main stand
    let (cat, pos) = setup(&sb, "PLAY");
    let c = client(&base, "PLAY_WEB");
    let adult = tariff(&cat, "ADULT");
    let m1 = product(&cat, "MATCH01");
    let season = product(&cat, "SEASON");
    let standing = seat_cat(m1, 0, "STANDING");
    let m1perf = m1.event.as_ref().unwrap().performances[0].id;
    let order = c
        .create_or_update_order(&single(&pos, m1perf, standing, adult, 3, None))
        .await
        .unwrap();
    assert!(order
        .movement_data_updates
        .iter()
        .all(|m| m.movement_type == MovementType::Area && m.area_code.is_some()));
    let order = c
        .create_or_update_order(&CreateOrUpdateOrderRequest {
            point_of_sales_id: Some(pos.pos_id),
            order_id: Some(order.order_id),
            composed_product_operations: vec![ComposedProductOperation {
                product_id: season.id,
                audience_sub_category_id: adult,
                quantity: 1,
                seat_category_id: seat_cat(m1, 0, "MAIN"),
                seat_ids: None,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(order.movement_data_updates.len(), 10);
    let seats = c
        .get_seats_availability(
            pos.pos_id,
            &SeatsAvailabilityRequest {
                performance_id: Some(m1perf),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let left: u32 = seats.standing_areas.iter().map(|a| a.remaining).sum();
    assert_eq!(left, 3000 - 3);
}

#[tokio::test]
async fn fifty_concurrent_orders_never_oversell() {
    let (sb, base) = start().await;
    let (cat, pos) = setup(&sb, "CUBE");
    let c = client(&base, "CUBE_WEB");
    let adult = tariff(&cat, "ADULT");
    let nut = product(&cat, "NUTCRACKER");
    let perf = nut.event.as_ref().unwrap().performances[3].id;
    let cat3 = seat_cat(nut, 3, "CAT3");
    // hold all the balcony but 5 seats (chosen seats, 10 per order)
    let balcony: Vec<SeatId> = {
        let inst = sb.institution("CUBE").unwrap();
        let inst = inst.lock().unwrap();
        inst.venues[0]
            .seats
            .iter()
            .filter(|s| s.seat_category_code == "CAT3")
            .map(|s| s.id)
            .collect()
    };
    assert_eq!(balcony.len(), 144);
    for chunk in balcony[..139].chunks(10) {
        c.create_or_update_order(&single(
            &pos,
            perf,
            cat3,
            adult,
            chunk.len() as u32,
            Some(chunk.to_vec()),
        ))
        .await
        .unwrap();
    }
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let c = c.clone();
            let req = single(&pos, perf, cat3, adult, 1, None);
            tokio::spawn(async move { c.create_or_update_order(&req).await })
        })
        .collect();
    let mut won = Vec::new();
    let mut lost = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(o) => won.push(o.movement_data_updates[0].seat_id.unwrap()),
            Err(Error::Availability(_)) => lost += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(won.len(), 5);
    assert_eq!(lost, 45);
    won.sort();
    won.dedup();
    assert_eq!(won.len(), 5, "no seat sold twice");
    let items = c
        .get_performance_availability(&EventAvailabilityRequest {
            point_of_sales_id: Some(pos.pos_id),
            performance_ids: vec![perf],
            seat_category_ids: vec![cat3],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(items[0].availability, 0);
    assert_eq!(items[0].availability_level, AvailabilityLevel::SoldOut);

    // a time slot of 40: 50 buyers at once, 40 get in
    let (cat, pos) = setup(&sb, "MOSA");
    let c = client(&base, "MOSA_WEB");
    let visit = product(&cat, "VISIT").pass.as_ref().unwrap();
    let slot = visit.timeslots.iter().rev().nth(3).unwrap().id;
    let adult = tariff(&cat, "ADULT");
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let c = c.clone();
            let req = CreateOrUpdateOrderRequest {
                point_of_sales_id: Some(pos.pos_id),
                pass_operations: vec![PassOperation {
                    item_id: visit.items[0].item_id,
                    audience_sub_category_id: adult,
                    quantity: 1,
                    timeslot_id: Some(slot),
                    date: None,
                }],
                ..Default::default()
            };
            tokio::spawn(async move { c.create_or_update_order(&req).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(Error::Availability(d)) => assert!(d.contains("sold out"), "{d}"),
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ok, 40);
}

#[tokio::test]
async fn an_expired_order_releases_its_stock_and_can_be_reopened() {
    let (sb, base) = start().await;
    let (cat, pos) = setup(&sb, "MOSA");
    let c = client(&base, "MOSA_WEB");
    // through the admin endpoint
    let r = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
        .put(format!("{base}/__admin/order-abandon-delay"))
        .bearer_auth(ADMIN)
        .json(&json!({"institution": "MOSA", "seconds": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let visit = product(&cat, "VISIT");
    let pass = visit.pass.as_ref().unwrap();
    let slot = pass.timeslots.iter().rev().nth(5).unwrap().id;
    let adult = tariff(&cat, "ADULT");
    let avail = |c: Client| async move {
        c.get_product_availability(&ProductAvailabilityRequest {
            point_of_sales_id: Some(pos.pos_id),
            product_ids: vec![visit.id],
            timeslot_ids: vec![slot],
            ..Default::default()
        })
        .await
        .unwrap()[0]
            .availability
    };
    let before = chrono::Utc::now().fixed_offset();
    let order = c
        .create_or_update_order(&CreateOrUpdateOrderRequest {
            point_of_sales_id: Some(pos.pos_id),
            pass_operations: vec![PassOperation {
                item_id: pass.items[0].item_id,
                audience_sub_category_id: adult,
                quantity: 3,
                timeslot_id: Some(slot),
                date: None,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(order.expiration_date.unwrap() <= chrono::Utc::now() + chrono::Duration::seconds(2));
    assert_eq!(avail(c.clone()).await, 37);
    // the sweeper releases it without any call
    tokio::time::sleep(Duration::from_millis(2500)).await;
    {
        let inst = sb.institution("MOSA").unwrap();
        let inst = inst.lock().unwrap();
        assert_eq!(
            inst.orders.orders[&order.order_id].state,
            OrderState::Abandonned
        );
    }
    assert_eq!(avail(c.clone()).await, 40);
    let updated = c
        .get_updated_availabilities(&UpdatedAvailabilitiesRequest {
            point_of_sales_id: Some(pos.pos_id),
            product_ids: vec![visit.id],
            reference_date: Some(before),
        })
        .await
        .unwrap();
    assert_eq!(updated.len(), 1, "the release is reported as a change");
    let d = c.get_order_details(order.order_id, None).await.unwrap();
    assert_eq!(d.order_state, OrderState::Abandonned);
    assert_eq!(d.expiration_date, None);
    // an abandoned order cannot be closed, but can be reopened while the stock is there
    let err = c.close_order(&close_req(order.order_id)).await.unwrap_err();
    assert!(is_code(&err, "error.invalidParameter"), "{err:?}");
    let d = c.reopen_order(order.order_id).await.unwrap();
    assert_eq!(d.order_state, OrderState::Running);
    assert_eq!(avail(c.clone()).await, 37);
}

#[tokio::test]
async fn closing_twice_is_one_sale_and_the_webhook_fires_once() {
    let (sb, base) = start().await;
    let (hook, mut rx) = receiver().await;
    set_webhook(&base, &format!("{hook}/webhook")).await;
    let (cat, pos) = setup(&sb, "CUBE");
    let c = client(&base, "CUBE_WEB");
    let adult = tariff(&cat, "ADULT");
    let traviata = product(&cat, "TRAVIATA");
    let perf = traviata.event.as_ref().unwrap().performances[0].id;
    let cat1 = seat_cat(traviata, 0, "CAT1");
    let order = c
        .create_or_update_order(&single(&pos, perf, cat1, adult, 2, None))
        .await
        .unwrap();
    let first = c.close_order(&close_req(order.order_id)).await.unwrap();
    let second = c.close_order(&close_req(order.order_id)).await.unwrap();
    assert_eq!(first, second, "the same order, the same tickets");
    assert_eq!(first.sale_amount, Amount::from_units(2 * 95 + 2));
    {
        let inst = sb.institution("CUBE").unwrap();
        let inst = inst.lock().unwrap();
        assert_eq!(inst.tickets.of_order(order.order_id.0).count(), 2);
    }
    let items = c
        .get_performance_availability(&EventAvailabilityRequest {
            point_of_sales_id: Some(pos.pos_id),
            performance_ids: vec![perf],
            seat_category_ids: vec![cat1],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(items[0].availability, 160 - 2);
    let w = next_of(&mut rx, "webhook", Duration::from_secs(5))
        .await
        .expect("webhook for the closed order");
    assert_eq!(w["orderDetailsData"]["orderState"], "CLOSED");
    assert_eq!(w["orderDetailsData"]["orderId"], order.order_id.0);
    assert!(
        next_of(&mut rx, "webhook", Duration::from_millis(500))
            .await
            .is_none(),
        "closing again is not a second sale"
    );
    // abandoned orders are posted too
    let order = c
        .create_or_update_order(&single(&pos, perf, cat1, adult, 1, None))
        .await
        .unwrap();
    let mv = order.movement_data_updates[0].movement_id;
    let upd = c.abandon_movements(order.order_id, vec![mv]).await.unwrap();
    assert_eq!(upd.remove_movement_ids, vec![mv]);
    assert_eq!(upd.sale_amount, Amount::ZERO, "no fee on an empty order");
    sb.set_order_abandon_delay("CUBE", 1);
    let order = c
        .create_or_update_order(&single(&pos, perf, cat1, adult, 1, None))
        .await
        .unwrap();
    let w = next_of(&mut rx, "webhook", Duration::from_secs(5))
        .await
        .expect("webhook for the abandoned order");
    assert_eq!(w["orderDetailsData"]["orderState"], "ABANDONNED");
    assert_eq!(w["orderDetailsData"]["orderId"], order.order_id.0);
}

#[tokio::test]
async fn best_available_keeps_a_group_of_four_together() {
    let (sb, base) = start().await;
    let (cat, pos) = setup(&sb, "CUBE");
    let c = client(&base, "CUBE_WEB");
    let adult = tariff(&cat, "ADULT");
    let hamlet = product(&cat, "HAMLET");
    let perf = hamlet.event.as_ref().unwrap().performances[2].id;
    let cat2 = seat_cat(hamlet, 2, "CAT2");
    let mut all = Vec::new();
    for _ in 0..3 {
        let o = c
            .create_or_update_order(&single(&pos, perf, cat2, adult, 4, None))
            .await
            .unwrap();
        let m = &o.movement_data_updates;
        assert_eq!(m.len(), 4);
        let row = m[0].row_number.clone();
        assert!(m
            .iter()
            .all(|x| x.row_number == row && x.seat_category_id == Some(cat2)));
        let mut nums: Vec<i64> = m
            .iter()
            .map(|x| x.seat_number.as_deref().unwrap().parse().unwrap())
            .collect();
        nums.sort();
        assert!(nums.windows(2).all(|w| w[1] == w[0] + 1), "{nums:?}");
        all.extend(m.iter().map(|x| x.seat_id.unwrap()));
    }
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n);
    // chosen seats: validated (category, free)
    let cat1_seat = {
        let inst = sb.institution("CUBE").unwrap();
        let inst = inst.lock().unwrap();
        inst.venues[0]
            .seats
            .iter()
            .find(|s| s.seat_category_code == "CAT1")
            .unwrap()
            .id
    };
    let err = c
        .create_or_update_order(&single(&pos, perf, cat2, adult, 1, Some(vec![cat1_seat])))
        .await
        .unwrap_err();
    assert!(is_code(&err, "error.invalidParameter"), "{err:?}");
    let err = c
        .create_or_update_order(&single(&pos, perf, cat2, adult, 1, Some(vec![all[0]])))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Availability(ref d) if d.contains("no longer free")),
        "{err:?}"
    );
    // the seat map shows the held seats as reserved
    let map = c
        .get_seats_availability(
            pos.pos_id,
            &SeatsAvailabilityRequest {
                performance_id: Some(perf),
                seat_category_ids: vec![cat2],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(map.seats.len(), 12 * 20);
    for s in &map.seats {
        let held = all.contains(&s.seat_id);
        assert_eq!(s.status == SeatStatus::Reserved, held, "{s:?}");
        assert_eq!(s.status == SeatStatus::Free, !held);
    }
}

#[tokio::test]
async fn pos_rules_are_enforced() {
    let (sb, base) = start().await;
    let (cat, pos) = setup(&sb, "CUBE");
    let c = client(&base, "CUBE_WEB");
    let adult = tariff(&cat, "ADULT");
    let child = tariff(&cat, "CHILD");
    let nut = product(&cat, "NUTCRACKER");
    let perf = nut.event.as_ref().unwrap().performances[1].id;
    let cat1 = seat_cat(nut, 1, "CAT1");
    let err = c
        .create_or_update_order(&single(&pos, perf, cat1, child, 2, None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Other(ref code, ref d) if code == "error.invalidParameter" && d.contains("ADULT")),
        "{err:?}"
    );
    // with an adult in the same order, the child price (50 %) applies
    let mut req = single(&pos, perf, cat1, adult, 1, None);
    req.single_entry_operations
        .push(single(&pos, perf, cat1, child, 2, None).single_entry_operations[0].clone());
    let o = c.create_or_update_order(&req).await.unwrap();
    assert_eq!(o.sale_amount, Amount::from_units(70 + 2 * 35 + 2));
    // maxSeatsPerPerformance (10 at CUBE), counting what the order already holds
    let mut more = single(&pos, perf, cat1, adult, 8, None);
    more.order_id = Some(o.order_id);
    let err = c.create_or_update_order(&more).await.unwrap_err();
    assert!(is_code(&err, "error.invalidParameter"), "{err:?}");
    let err = c
        .create_or_update_order(&single(&pos, perf, cat1, adult, 11, None))
        .await
        .unwrap_err();
    assert!(is_code(&err, "error.invalidParameter"), "{err:?}");
    // malformed requests name the field
    let tok: Value = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
        .post(format!("{base}/tnai/backend-apis/v1/auth"))
        .json(&json!({"operator": "CUBE_WEB", "secret": "sandbox"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = reqwest::Client::builder().timeout(std::time::Duration::from_secs(60)).build().unwrap()
        .post(format!(
            "{base}/tnseb/backend-apis/externalOrderFacade/v1_33/createOrUpdateOrder"
        ))
        .bearer_auth(tok["token"].as_str().unwrap())
        .json(&json!({"pointOfSalesId": pos.pos_id, "singleEntryOperations": [{"performanceId": perf, "seatCategoryId": cat1, "audienceSubCategoryId": adult, "quantity": "two"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["statusDetail"]
            .as_str()
            .unwrap()
            .contains("singleEntryOperations[0].quantity"),
        "{v}"
    );
}

// ---------------------------------------------------------------------------------------------
// S-PAY

struct Shop {
    sb: Arc<Sandbox>,
    base: String,
    c: Client,
    pos: PosConfigData,
    hook: String,
    rx: mpsc::UnboundedReceiver<(String, Value)>,
    http: reqwest::Client,
    req: CreateOrUpdateOrderRequest,
}

async fn shop() -> Shop {
    let (sb, base) = start().await;
    let (hook, rx) = receiver().await;
    let (cat, pos) = setup(&sb, "PLAY");
    let c = client(&base, "PLAY_WEB");
    let m = product(&cat, "MATCH02");
    let perf = m.event.as_ref().unwrap().performances[0].id;
    let req = single(
        &pos,
        perf,
        seat_cat(m, 0, "ENDS"),
        tariff(&cat, "ADULT"),
        2,
        None,
    );
    Shop {
        sb,
        base,
        c,
        pos,
        hook,
        rx,
        http: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        req,
    }
}

impl Shop {
    async fn order_and_payment(&self) -> (OrderId, CreatePaymentsResult) {
        let o = self.c.create_or_update_order(&self.req).await.unwrap();
        let p = self.pay(o.order_id, "shop-session-1").await;
        (o.order_id, p)
    }

    async fn pay(&self, order_id: OrderId, session: &str) -> CreatePaymentsResult {
        let d = self.c.get_order_details(order_id, None).await.unwrap();
        let card = self
            .pos
            .payment_methods
            .iter()
            .find(|m| m.payment_type == "CREDIT_CARD")
            .unwrap()
            .id;
        let mut map = std::collections::HashMap::new();
        map.insert(ORDER_IDENTIFIER.to_string(), session.to_string());
        map.insert(RETURN_URL.to_string(), format!("{}/return", self.hook));
        map.insert(NOTIFY_URL.to_string(), format!("{}/notify", self.hook));
        self.c
            .create_payments_and_close_order(&CreatePaymentsAndCloseOrderRequest {
                request_id: None,
                order_id,
                is_converted_reservation: false,
                create_token: false,
                payments: vec![PaymentInput {
                    amount: d.sale_amount,
                    payment_method_id: card,
                }],
                payment_params: PaymentParams {
                    payment_parameters_map: map,
                    ..Default::default()
                },
                order_type: OrderType::Sale,
                max_waiting_time: None,
                purchasers_info: vec![],
            })
            .await
            .unwrap()
    }

    /// Posts the hosted form; returns the redirect's status parameter.
    async fn submit(&self, p: &CreatePaymentsResult, form: &[(&str, &str)]) -> String {
        let url = format!("{}{}", self.base, p.payment_page_path.as_deref().unwrap());
        let r = self.http.post(&url).form(form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let loc = r.headers()["location"].to_str().unwrap().to_string();
        let tid = p.transaction_id.as_deref().unwrap();
        assert!(
            loc.starts_with(&format!("{}/return?transactionID={tid}&status=", self.hook)),
            "{loc}"
        );
        loc.rsplit("status=").next().unwrap().to_string()
    }

    async fn card(&self, p: &CreatePaymentsResult, number: &str) -> String {
        self.submit(
            p,
            &[
                ("card_number", number),
                ("expiry", "12/40"),
                ("cvc", "123"),
                ("action", "pay"),
            ],
        )
        .await
    }

    async fn state(&self, id: OrderId) -> (OrderState, PaymentState) {
        let d = self.c.get_order_details(id, None).await.unwrap();
        (d.order_state, d.payment_state)
    }
}

#[tokio::test]
async fn hosted_page_and_widget_are_served() {
    let s = shop().await;
    let (_, p) = s.order_and_payment().await;
    let js = s
        .http
        .get(format!("{}/epc/widget.js", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/javascript"));
    assert!(js.text().await.unwrap().contains("SecutixEPC"));
    let page = s
        .http
        .get(format!(
            "{}{}",
            s.base,
            p.payment_page_path.as_deref().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    for needle in [
        r#"<label for="card_number">"#,
        r#"<label for="expiry">"#,
        r#"<label for="cvc">"#,
        r#"autocomplete="cc-number""#,
        r#"value="cancel""#,
        "CHF\u{a0}82.00",
    ] {
        assert!(html.contains(needle), "{needle} missing in {html}");
    }
    // a bad card number re-renders the form with an error, nothing is paid
    let url = format!("{}{}", s.base, p.payment_page_path.as_deref().unwrap());
    let r = s
        .http
        .post(&url)
        .form(&[
            ("card_number", "1234"),
            ("expiry", "12/40"),
            ("cvc", "1"),
            ("action", "pay"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains(r#"aria-invalid="true""#));
    let unknown = s
        .http
        .get(format!("{}/epc/pay/NOPE-123", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn card_that_pays_then_notify_closes() {
    let mut s = shop().await;
    let (id, p) = s.order_and_payment().await;
    assert_eq!(
        s.state(id).await,
        (OrderState::Running, PaymentState::Waiting)
    );
    // notifyOrder(SUCCESS) is refused before the payment is made
    let err =
        s.c.notify_order(id, p.payment_id.unwrap(), NotifyStatus::Success)
            .await
            .unwrap_err();
    assert!(is_code(&err, "error.invalidParameter"), "{err:?}");
    assert_eq!(s.card(&p, "4111 1111 1111 1111").await, "success");
    let n = next_of(&mut s.rx, "notify", Duration::from_secs(5))
        .await
        .expect("notification");
    assert_eq!(n["status"], "success");
    assert_eq!(n["orderId"], id.0);
    assert_eq!(n["paymentId"], p.payment_id.unwrap().0);
    assert_eq!(n["transactionID"], p.transaction_id.clone().unwrap());
    assert_eq!(s.state(id).await, (OrderState::Running, PaymentState::Paid));
    let d =
        s.c.notify_order(id, p.payment_id.unwrap(), NotifyStatus::Success)
            .await
            .unwrap();
    assert_eq!(d.order_state, OrderState::Closed);
    assert_eq!(d.tickets.len(), 2);
    let again =
        s.c.notify_order(id, p.payment_id.unwrap(), NotifyStatus::Success)
            .await
            .unwrap();
    assert_eq!(d, again, "notifyOrder is idempotent");
    // the page no longer takes cards
    let url = format!("{}{}", s.base, p.payment_page_path.as_deref().unwrap());
    let html = s.http.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Payment accepted"));
}

#[tokio::test]
async fn refused_card_then_abandon_reopen_and_pay() {
    let mut s = shop().await;
    let (id, p) = s.order_and_payment().await;
    assert_eq!(s.card(&p, "4000000000000002").await, "refused");
    let n = next_of(&mut s.rx, "notify", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(n["status"], "refused");
    assert_eq!(
        s.state(id).await,
        (OrderState::Running, PaymentState::Failed)
    );
    let d =
        s.c.notify_order(id, p.payment_id.unwrap(), NotifyStatus::Failure)
            .await
            .unwrap();
    assert_eq!(d.order_state, OrderState::Abandonned);
    let d = s.c.reopen_order(id).await.unwrap();
    assert_eq!(d.order_state, OrderState::Running);
    assert_eq!(d.payment_state, PaymentState::Waiting);
    let p2 = s.pay(id, "shop-session-2").await;
    assert_ne!(p2.transaction_id, p.transaction_id);
    assert_eq!(s.card(&p2, "4111111111111111").await, "success");
    let d =
        s.c.notify_order(id, p2.payment_id.unwrap(), NotifyStatus::Success)
            .await
            .unwrap();
    assert_eq!(d.order_state, OrderState::Closed);
    assert_eq!(d.payments.len(), 2);
}

#[tokio::test]
async fn cancel_button_cancels() {
    let mut s = shop().await;
    let (id, p) = s.order_and_payment().await;
    assert_eq!(s.submit(&p, &[("action", "cancel")]).await, "cancelled");
    let n = next_of(&mut s.rx, "notify", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(n["status"], "cancelled");
    assert_eq!(
        s.state(id).await,
        (OrderState::Running, PaymentState::CancelledByUser)
    );
}

#[tokio::test]
async fn delayed_card_is_in_progress_then_paid_and_freezes_the_hold() {
    let mut s = shop().await;
    s.sb.set_pending_payment_delay(Duration::from_millis(2500));
    s.sb.set_order_abandon_delay("PLAY", 1);
    let (id, p) = s.order_and_payment().await;
    assert_eq!(s.card(&p, "4000000000000077").await, "pending");
    assert_eq!(
        s.state(id).await,
        (OrderState::Running, PaymentState::InProgress)
    );
    let err =
        s.c.notify_order(id, p.payment_id.unwrap(), NotifyStatus::Success)
            .await
            .unwrap_err();
    assert!(is_code(&err, "error.invalidParameter"), "{err:?}");
    let err =
        s.c.notify_order(id, p.payment_id.unwrap(), NotifyStatus::Failure)
            .await
            .unwrap_err();
    assert!(is_code(&err, "error.invalidParameter"), "{err:?}");
    // the 1 s hold has passed, but a payment in progress freezes it
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        s.state(id).await,
        (OrderState::Running, PaymentState::InProgress)
    );
    let n = next_of(&mut s.rx, "notify", Duration::from_secs(5))
        .await
        .expect("notification after the delay");
    assert_eq!(n["status"], "success");
    assert_eq!(s.state(id).await, (OrderState::Running, PaymentState::Paid));
    let d =
        s.c.notify_order(id, p.payment_id.unwrap(), NotifyStatus::Success)
            .await
            .unwrap();
    assert_eq!(d.order_state, OrderState::Closed);
}

#[tokio::test]
async fn dropped_notifications_leave_the_outcome_in_order_details() {
    let mut s = shop().await;
    s.sb.set_faults(Faults {
        drop_payment_notifications: true,
        ..Faults::default()
    });
    let (id, p) = s.order_and_payment().await;
    assert_eq!(s.card(&p, "4111111111111111").await, "success");
    assert!(next_of(&mut s.rx, "notify", Duration::from_millis(1500))
        .await
        .is_none());
    assert_eq!(s.state(id).await, (OrderState::Running, PaymentState::Paid));
}

#[tokio::test]
async fn close_delay_fault_answers_late_after_doing_the_work() {
    let s = shop().await;
    s.sb.set_faults(Faults {
        close_order_delay_ms: 1500,
        ..Faults::default()
    });
    let o = s.c.create_or_update_order(&s.req).await.unwrap();
    let mut cfg = ClientConfig::new(&s.base, "PLAY_WEB", "sandbox");
    cfg.request_timeout = Duration::from_millis(400);
    cfg.max_attempts = 1;
    let impatient = Client::new(cfg).unwrap();
    let started = Instant::now();
    let err = impatient
        .close_order(&close_req(o.order_id))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unavailable(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(1400));
    // the close happened anyway
    assert_eq!(s.state(o.order_id).await.0, OrderState::Closed);
    // a patient client gets the (same) answer, late
    let started = Instant::now();
    let d = s.c.close_order(&close_req(o.order_id)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert_eq!(d.order_state, OrderState::Closed);
    assert_eq!(d.tickets.len(), 2);
}

#[tokio::test]
async fn webhook_is_retried_until_the_receiver_accepts() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let (sb, base) = start().await;
    let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
    let calls = Arc::new(AtomicU32::new(0));
    let app = Router::new().route(
        "/webhook",
        post(move |Json(v): Json<Value>| {
            let calls = calls.clone();
            let tx = tx.clone();
            async move {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                let _ = tx.send(n);
                assert_eq!(v["orderDetailsData"]["orderState"], "CLOSED");
                if n < 3 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    sb.set_order_webhook(Some(format!("http://{addr}/webhook")));
    let (cat, pos) = setup(&sb, "MOSA");
    let c = client(&base, "MOSA_WEB");
    let audio = product(&cat, "AUDIO").items[0].item_id;
    let o = c
        .create_or_update_order(&CreateOrUpdateOrderRequest {
            point_of_sales_id: Some(pos.pos_id),
            simple_product_operations: vec![SimpleProductOperation {
                item_id: audio,
                audience_sub_category_id: tariff(&cat, "ADULT"),
                quantity: 1,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    c.close_order(&close_req(o.order_id)).await.unwrap();
    let mut last = 0;
    while let Ok(Some(n)) = tokio::time::timeout(Duration::from_secs(4), rx.recv()).await {
        last = n;
        if n == 3 {
            break;
        }
    }
    assert_eq!(last, 3, "two failures, then delivered");
    assert!(tokio::time::timeout(Duration::from_millis(1500), rx.recv())
        .await
        .is_err());
}

/// Outbound calls reach a shop named under `.localhost` (RFC 6761: the loopback), as a browser
/// would: `http://mosa.localhost:3000` gets its notifications and webhooks in development.
#[tokio::test]
async fn a_webhook_under_localhost_reaches_the_loopback() {
    let (sb, base) = start().await;
    let (hook, mut rx) = receiver().await;
    let port = hook.rsplit(':').next().unwrap().to_string();
    set_webhook(&base, &format!("http://shop.cube.localhost:{port}/webhook")).await;
    let (cat, pos) = setup(&sb, "CUBE");
    let c = client(&base, "CUBE_WEB");
    let adult = tariff(&cat, "ADULT");
    let traviata = product(&cat, "TRAVIATA");
    let perf = traviata.event.as_ref().unwrap().performances[0].id;
    let cat1 = seat_cat(traviata, 0, "CAT1");
    let order = c
        .create_or_update_order(&single(&pos, perf, cat1, adult, 1, None))
        .await
        .unwrap();
    c.close_order(&close_req(order.order_id)).await.unwrap();
    let w = next_of(&mut rx, "webhook", Duration::from_secs(5))
        .await
        .expect("the webhook reached shop.cube.localhost");
    assert_eq!(w["orderDetailsData"]["orderId"], order.order_id.0);
}
