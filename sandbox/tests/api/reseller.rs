//! A reseller's dedicated sales channel (seed 000), over real HTTP with the typed client
//! configured with the channel's operator (`CUBE_RESELL`, ...): its point of sale, its
//! selection of products, PENDING_ACCOUNT sales and the pending balance they leave.

use crate::common::*;

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::StatusCode;
use s360::client::Client;
use s360::model::catalog::{CatalogData, PaymentMethod, PosConfigData, Product};
use s360::model::order::*;
use s360::*;
use sandbox::state::StockKey;
use sandbox::{Config, Sandbox};
use serde_json::Value;

fn codes(cat: &CatalogData) -> BTreeSet<String> {
    cat.products().map(|p| p.code.clone()).collect()
}

fn pending_method(pos: &PosConfigData) -> &PaymentMethod {
    pos.payment_methods
        .iter()
        .find(|m| m.payment_type == "PENDING_ACCOUNT")
        .unwrap()
}

fn first_perf(p: &Product) -> (PerformanceId, SeatCategoryId) {
    let perf = &p.event.as_ref().unwrap().performances[0];
    (perf.id, perf.seat_categories[0].id)
}

fn single(
    pos: &PosConfigData,
    perf: PerformanceId,
    cat: SeatCategoryId,
    aud: AudienceSubCategoryId,
    quantity: u32,
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
            seat_ids: None,
        }],
        ..Default::default()
    }
}

fn pay_pending(order_id: OrderId, pos: &PosConfigData, amount: Amount) -> CloseOrderRequest {
    CloseOrderRequest {
        payments: vec![PaymentInput {
            amount,
            payment_method_id: pending_method(pos).id,
        }],
        ..close_req(order_id)
    }
}

fn taken(sb: &Sandbox, code: &str, key: StockKey) -> u32 {
    sb.institution(code).unwrap().lock().unwrap().stock[&key].taken
}

async fn admin_get(base: &str, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut r = reqwest::Client::new().get(format!("{base}{path}"));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap()
}

/// The channel's operator and the institution's web operator, side by side.
fn clients(base: &str, code: &str) -> (Client, Client) {
    (
        client(base, &format!("{code}_RESELL")),
        client(base, &format!("{code}_WEB")),
    )
}

#[tokio::test]
async fn the_channel_has_its_point_of_sale_and_its_selection() {
    let (sb, base) = start().await;
    let (_, web_pos) = setup(&sb, "CUBE");
    let (reseller, web) = clients(&base, "CUBE");

    let pos = reseller.get_pos_config().await.unwrap();
    assert_eq!(pos.pos_code, "CUBE_RESELL");
    assert_eq!(pos.virtual_operator_name, "CUBE_RESELL");
    assert_eq!(pos.sales_channel_code, "RESELLER");
    assert_ne!(pos.pos_id, web_pos.pos_id);
    assert_ne!(pos.sales_channel_id, web_pos.sales_channel_id);
    assert_eq!(pos.instit_code, "CUBE");
    // the web point of sale's limits, no booking fee, only the pending account
    assert_eq!(pos.order_abandon_delay, web_pos.order_abandon_delay);
    assert_eq!(
        pos.max_seats_per_performance,
        web_pos.max_seats_per_performance
    );
    assert!(pos.charges.is_empty());
    assert_eq!(pos.payment_methods.len(), 1);
    let m = &pos.payment_methods[0];
    assert_eq!(
        (m.code.as_str(), m.payment_type.as_str(), m.for_payment),
        ("PENDING_ACCOUNT", "PENDING_ACCOUNT", true)
    );
    assert_eq!(
        m.id,
        pending_method(&web_pos).id,
        "the institution's method"
    );
    // the same in process
    let (in_process_cat, in_process_pos) = sb.channel_setup("CUBE_RESELL").unwrap();
    assert_eq!(in_process_pos, pos);
    assert_eq!(
        codes(&in_process_cat),
        ["NUTCRACKER", "TRAVIATA"].map(String::from).into()
    );
    assert!(sb.channel_setup("CUBE_WEB").is_none());

    // the catalog holds the selection only (each point of sale builds its own catalog: the
    // two calls do not share the 10-minute limit)
    let cat = reseller.get_catalog_detailed().await.unwrap();
    assert_eq!(
        codes(&cat),
        ["NUTCRACKER", "TRAVIATA"].map(String::from).into()
    );
    let topics: BTreeSet<String> = cat.seasons[0]
        .topics
        .iter()
        .map(|t| t.code.clone())
        .collect();
    assert_eq!(topics, ["DANCE", "OPERA"].map(String::from).into());
    let seasons = reseller.list_seasons().await.unwrap();
    assert_eq!(seasons.len(), 1);

    // the web operator is unchanged: its point of sale, the full catalog
    assert_eq!(web.get_pos_config().await.unwrap(), web_pos);
    let full = web.get_catalog_detailed().await.unwrap();
    assert_eq!(
        codes(&full),
        ["HAMLET", "NUTCRACKER", "SUBS4", "TRAVIATA"]
            .map(String::from)
            .into()
    );
    // and the institution's catalog outside any call is the full one
    assert_eq!(codes(&setup(&sb, "CUBE").0), codes(&full));

    // the other institutions' channels
    let play: BTreeSet<String> = (1..=10)
        .map(|i| format!("MATCH{i:02}"))
        .chain(["SEASON".to_string()])
        .collect();
    for (code, want) in [
        ("MOSA", ["VISIT", "YEARPASS"].map(String::from).into()),
        ("PLAY", play),
    ] {
        let (reseller, _) = clients(&base, code);
        let pos = reseller.get_pos_config().await.unwrap();
        assert_eq!(pos.pos_code, format!("{code}_RESELL"));
        assert_eq!(pos.payment_methods.len(), 1);
        let cat = reseller.get_catalog_detailed().await.unwrap();
        assert_eq!(codes(&cat), want, "{code}");
    }
}

#[tokio::test]
async fn a_product_outside_the_selection_is_refused_by_name() {
    let (sb, base) = start().await;
    let (cat, web_pos) = setup(&sb, "CUBE");
    let (reseller, web) = clients(&base, "CUBE");
    let pos = reseller.get_pos_config().await.unwrap();
    let adult = tariff(&cat, "ADULT");

    let (perf, seat_cat) = first_perf(product(&cat, "HAMLET"));
    let err = reseller
        .create_or_update_order(&single(&pos, perf, seat_cat, adult, 1))
        .await
        .unwrap_err();
    assert!(is_code(&err, "error.invalidParameter"), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("HAMLET") && text.contains("CUBE_RESELL") && text.contains("selection"),
        "{text}"
    );
    // the subscription is left out too
    let subs = product(&cat, "SUBS4");
    let line = subs.package_line.as_ref().unwrap();
    let err = reseller
        .create_or_update_order(&CreateOrUpdateOrderRequest {
            point_of_sales_id: Some(pos.pos_id),
            composed_product_operations: vec![ComposedProductOperation {
                product_id: subs.id,
                audience_sub_category_id: adult,
                quantity: 1,
                seat_category_id: line.seat_categories[0].id,
                seat_ids: None,
            }],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("SUBS4"), "{err}");
    // the channel's operator works on the channel's point of sale only
    let (perf, seat_cat) = first_perf(product(&cat, "TRAVIATA"));
    let err = reseller
        .create_or_update_order(&single(&web_pos, perf, seat_cat, adult, 1))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("pointOfSalesId"), "{err}");
    // nothing was held
    assert!(sb
        .institution("CUBE")
        .unwrap()
        .lock()
        .unwrap()
        .stock
        .values()
        .all(|c| c.taken == 0));
    // the web point of sale still sells HAMLET
    let (perf, seat_cat) = first_perf(product(&cat, "HAMLET"));
    web.create_or_update_order(&single(&web_pos, perf, seat_cat, adult, 1))
        .await
        .unwrap();

    // MOSA's channel: the audio guide (a simple product) is not in its selection, the
    // yearly pass is
    let (cat, _) = setup(&sb, "MOSA");
    let (reseller, _) = clients(&base, "MOSA");
    let pos = reseller.get_pos_config().await.unwrap();
    let adult = tariff(&cat, "ADULT");
    let audio = product(&cat, "AUDIO").items[0].item_id;
    let err = reseller
        .create_or_update_order(&CreateOrUpdateOrderRequest {
            point_of_sales_id: Some(pos.pos_id),
            simple_product_operations: vec![SimpleProductOperation {
                item_id: audio,
                audience_sub_category_id: adult,
                quantity: 1,
            }],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("AUDIO"), "{err}");
    let year = product(&cat, "YEARPASS").pass.as_ref().unwrap().items[0].item_id;
    let order = reseller
        .create_or_update_order(&CreateOrUpdateOrderRequest {
            point_of_sales_id: Some(pos.pos_id),
            pass_operations: vec![PassOperation {
                item_id: year,
                audience_sub_category_id: adult,
                quantity: 1,
                timeslot_id: None,
                date: None,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(order.sale_amount, Amount::from_units(90), "no booking fee");
}

#[tokio::test]
async fn a_pending_account_sale_is_recorded_once() {
    let (sb, base) = start().await;
    let (cat, web_pos) = setup(&sb, "CUBE");
    let (reseller, web) = clients(&base, "CUBE");
    let pos = reseller.get_pos_config().await.unwrap();
    let adult = tariff(&cat, "ADULT");
    let (perf, seat_cat) = first_perf(product(&cat, "TRAVIATA"));
    let key = StockKey::Performance(perf, seat_cat);

    let order = reseller
        .create_or_update_order(&single(&pos, perf, seat_cat, adult, 2))
        .await
        .unwrap();
    assert_eq!(
        taken(&sb, "CUBE", key),
        2,
        "the institution's stock is held"
    );
    let amount = order.sale_amount;
    assert_eq!(
        amount,
        Amount::from_units(2 * 95),
        "two front seats, no fee"
    );

    // the channel's orders are paid on the pending account, with exactly the sale amount
    let err = reseller
        .close_order(&close_req(order.order_id))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("PENDING_ACCOUNT"), "{err}");
    let err = reseller
        .close_order(&pay_pending(order.order_id, &pos, Amount(amount.0 - 1000)))
        .await
        .unwrap_err();
    assert!(is_code(&err, "error.invalidParameter"), "{err:?}");
    assert!(err.to_string().contains("saleAmount"), "{err}");
    // nor with the web point of sale's card
    let card = web_pos
        .payment_methods
        .iter()
        .find(|m| m.payment_type == "CREDIT_CARD")
        .unwrap();
    let err = reseller
        .close_order(&CloseOrderRequest {
            payments: vec![PaymentInput {
                amount,
                payment_method_id: card.id,
            }],
            ..close_req(order.order_id)
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("paymentMethodId"), "{err}");
    // the web operator can neither close nor change the channel's order
    let err = web
        .close_order(&pay_pending(order.order_id, &web_pos, amount))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("point of sale"), "{err}");
    let running = reseller
        .get_order_details(order.order_id, None)
        .await
        .unwrap();
    assert_eq!(running.order_state, OrderState::Running);
    assert!(sb.pending_accounts("CUBE").unwrap().entries.is_empty());

    let closed = reseller
        .close_order(&pay_pending(order.order_id, &pos, amount))
        .await
        .unwrap();
    assert_eq!(closed.order_state, OrderState::Closed);
    assert_eq!(closed.payment_state, PaymentState::Waiting);
    assert_eq!(closed.waiting_account_balance_amount, amount);
    assert_eq!(closed.tickets.len(), 2);
    let [payment] = closed.payments.as_slice() else {
        panic!("one payment: {:?}", closed.payments)
    };
    assert_eq!(payment.payment_method_id, pending_method(&pos).id);
    assert_eq!(payment.payment_state, PaymentState::Waiting);
    assert_eq!(payment.amount, amount);
    assert_eq!(taken(&sb, "CUBE", key), 2, "sold once");
    let tickets = sb.tickets("CUBE", None, 1000).unwrap().len();
    assert_eq!(tickets, 2);

    let accounts = sb.pending_accounts("CUBE").unwrap();
    assert_eq!(accounts.institution, "CUBE");
    assert_eq!(accounts.balances.len(), 1);
    let b = &accounts.balances[0];
    assert_eq!(
        (
            b.pos_id,
            b.pos_code.as_str(),
            b.currency.as_str(),
            b.amount,
            b.orders
        ),
        (pos.pos_id, "CUBE_RESELL", "EUR", amount, 1)
    );
    assert_eq!(accounts.entries.len(), 1);
    assert_eq!(accounts.entries[0].order_id, order.order_id);
    assert_eq!(accounts.entries[0].amount, amount);
    assert_eq!(Some(accounts.entries[0].date), closed.close_date_time);

    // closing again answers the closed order: no second sale, no second entry
    let again = reseller
        .close_order(&pay_pending(order.order_id, &pos, amount))
        .await
        .unwrap();
    assert_eq!(again.order_state, OrderState::Closed);
    assert_eq!(again.payments.len(), 1);
    assert_eq!(taken(&sb, "CUBE", key), 2);
    assert_eq!(sb.tickets("CUBE", None, 1000).unwrap().len(), tickets);
    assert_eq!(sb.pending_accounts("CUBE").unwrap(), accounts);

    // getOrderDetails shows the pending payment, to the web operator too (shared orders)
    for c in [&reseller, &web] {
        let d = c.get_order_details(order.order_id, None).await.unwrap();
        assert_eq!(d.payments, closed.payments);
        assert_eq!(d.waiting_account_balance_amount, amount);
        assert_eq!(d.payment_state, PaymentState::Waiting);
    }
    // the channel's sale is the institution's: the web operator sees the seats gone
    let web_avail = web
        .get_event_availability(&s360::model::availability::EventAvailabilityRequest {
            point_of_sales_id: Some(web_pos.pos_id),
            performance_ids: vec![perf],
            seat_category_ids: vec![seat_cat],
            ..Default::default()
        })
        .await
        .unwrap();
    let cell = sb.institution("CUBE").unwrap().lock().unwrap().stock[&key];
    assert_eq!(web_avail[0].availability, cell.capacity - 2);
    // the files of a point of sale are its own
    let count = |c: &Client, pos: PosId| {
        let c = c.clone();
        async move {
            c.count_files_by_criteria(&s360::model::history::CountFilesByCriteriaRequest {
                point_of_sales_id: Some(pos),
                ..Default::default()
            })
            .await
            .unwrap()
        }
    };
    assert_eq!(count(&reseller, pos.pos_id).await, 1);
    assert_eq!(count(&web, web_pos.pos_id).await, 0);

    // the admin endpoint: the same, as JSON, behind the admin token
    let path = "/__admin/pending-accounts?institution=CUBE";
    assert_eq!(
        admin_get(&base, path, None).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin_get(&base, path, Some("wrong")).await.status(),
        StatusCode::NOT_FOUND
    );
    let r = admin_get(&base, path, Some(ADMIN)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let json: Value = r.json().await.unwrap();
    assert_eq!(json["institution"], "CUBE");
    assert_eq!(
        json["balances"],
        serde_json::json!([{
            "posId": pos.pos_id.0, "posCode": "CUBE_RESELL", "currency": "EUR",
            "amount": amount.0, "orders": 1
        }])
    );
    let e = &json["entries"][0];
    assert_eq!(e["orderId"], order.order_id.0);
    assert_eq!(e["posId"], pos.pos_id.0);
    assert_eq!(e["amount"], amount.0);
    assert_eq!(e["currency"], "EUR");
    assert!(e["date"].as_str().is_some_and(|d| d.contains('T')), "{e}");
    assert_eq!(
        admin_get(
            &base,
            "/__admin/pending-accounts?institution=NOPE",
            Some(ADMIN)
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin_get(&base, "/__admin/pending-accounts", Some(ADMIN))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );

    // the web point of sale works as before: closed without payments, paid, nothing owed
    let o = web
        .create_or_update_order(&single(&web_pos, perf, seat_cat, adult, 1))
        .await
        .unwrap();
    let c = web.close_order(&close_req(o.order_id)).await.unwrap();
    assert_eq!(c.payment_state, PaymentState::Paid);
    assert_eq!(
        c.sale_amount,
        Amount::from_units(95 + 2),
        "with its booking fee"
    );
    assert_eq!(sb.pending_accounts("CUBE").unwrap(), accounts);
    assert_eq!(taken(&sb, "CUBE", key), 3);
}

#[tokio::test]
async fn a_season_ticket_on_the_channel_and_its_holder() {
    let (sb, base) = start().await;
    let (cat, _) = setup(&sb, "PLAY");
    let (reseller, _) = clients(&base, "PLAY");
    let pos = reseller.get_pos_config().await.unwrap();
    let adult = tariff(&cat, "ADULT");
    let season = product(&cat, "SEASON");
    let line = season.package_line.as_ref().unwrap();
    let order = reseller
        .create_or_update_order(&CreateOrUpdateOrderRequest {
            point_of_sales_id: Some(pos.pos_id),
            composed_product_operations: vec![ComposedProductOperation {
                product_id: season.id,
                audience_sub_category_id: adult,
                quantity: 1,
                seat_category_id: line.seat_categories[1].id,
                seat_ids: None,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(order.movement_data_updates.len(), 10);
    let holder = order.movement_data_updates[0].movement_id;
    reseller
        .set_movement_contact_data(
            order.order_id,
            vec![MovementContactData {
                movement_id: holder,
                contact: MovementContact {
                    first_name: Some("Ada".into()),
                    last_name: Some("Lovelace".into()),
                    ..Default::default()
                },
            }],
        )
        .await
        .unwrap();
    let closed = reseller
        .close_order(&pay_pending(order.order_id, &pos, order.sale_amount))
        .await
        .unwrap();
    assert_eq!(closed.tickets.len(), 10);
    let accounts = sb.pending_accounts("PLAY").unwrap();
    assert_eq!(accounts.balances[0].amount, order.sale_amount);
    assert_eq!(accounts.balances[0].currency, "CHF");
}

#[tokio::test]
async fn each_point_of_sale_polls_its_own_catalog_build() {
    let (_sb, base) = start_with(Config {
        catalog_in_progress: Some(Duration::from_millis(300)),
        ..Config::default()
    })
    .await;
    let (reseller, web) = clients(&base, "CUBE");
    let (a, b) = tokio::join!(reseller.get_catalog_detailed(), web.get_catalog_detailed());
    assert_eq!(codes(&a.unwrap()).len(), 2);
    assert_eq!(codes(&b.unwrap()).len(), 4);
}
