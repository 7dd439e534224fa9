//! Order history over real HTTP on loopback, through the typed client.

use crate::common::*;

use std::time::Duration;

use chrono::Utc;
use s360::client::{Error, Idempotency};
use s360::model::catalog::CatalogData;
use s360::model::history::*;
use s360::model::order::*;
use s360::model::ticket::TicketState;
use s360::*;
use sandbox::Sandbox;
use serde_json::{json, Value};

fn contact_number(sb: &Sandbox, code: &str, email: &str) -> String {
    let inst = sb.institution(code).unwrap();
    let inst = inst.lock().unwrap();
    inst.contacts
        .authenticate(email, sandbox::contacts::DEMO_PASSWORD)
        .unwrap()
        .data
        .contact_number
        .clone()
}

fn adult(cat: &CatalogData) -> AudienceSubCategoryId {
    cat.seasons[0]
        .audience_categories
        .iter()
        .flat_map(|c| c.audience_sub_categories.iter())
        .find(|s| s.code == "ADULT")
        .unwrap()
        .id
}

fn standing_cat(cat: &CatalogData, match_code: &str) -> (PerformanceId, SeatCategoryId) {
    let perf = &product(cat, match_code)
        .event
        .as_ref()
        .unwrap()
        .performances[0];
    let c = perf
        .seat_categories
        .iter()
        .find(|c| c.code == "STANDING")
        .unwrap();
    (perf.id, c.id)
}

#[tokio::test]
async fn a_buyers_files_newest_first_with_totals_and_counts() {
    let (sb, base) = start().await;
    let (cat, pos) = setup(&sb, "PLAY");
    let c = client(&base, "PLAY_WEB");
    let bob = contact_number(&sb, "PLAY", "bob@example.com");
    let alice = contact_number(&sb, "PLAY", "alice@example.com");

    // sold, then abandoned (expired), then still running
    let sold = c
        .create_or_update_order(&standing(&cat, &pos, "MATCH02", 2, Some(&bob)))
        .await
        .unwrap();
    let sold = c.close_order(&close_req(sold.order_id)).await.unwrap();
    assert!(sb.set_order_abandon_delay("PLAY", 1));
    let gone = c
        .create_or_update_order(&standing(&cat, &pos, "MATCH03", 1, Some(&bob)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(sb.set_order_abandon_delay("PLAY", 600));
    let running = c
        .create_or_update_order(&standing(&cat, &pos, "MATCH02", 1, Some(&bob)))
        .await
        .unwrap();
    // someone else's order is not bob's
    c.create_or_update_order(&standing(&cat, &pos, "MATCH02", 1, Some(&alice)))
        .await
        .unwrap();

    let r = c
        .get_contact_files(&GetContactFilesRequest {
            contact_number: bob.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!r.truncated);
    let ids: Vec<OrderId> = r.files.iter().map(|f| f.order_id).collect();
    assert_eq!(ids, [running.order_id, gone.order_id, sold.order_id]);
    let states: Vec<FileState> = r.files.iter().map(|f| f.state).collect();
    assert_eq!(
        states,
        [FileState::Running, FileState::Abandonned, FileState::Solded]
    );
    let f = &r.files[2];
    assert_eq!(f.file_id, sold.order_id.0);
    assert_eq!(f.total_amount, sold.sale_amount);
    assert_eq!(f.payment_state, PaymentState::Paid);
    assert_eq!(f.currency.currency_code, "CHF");
    assert!(f.close_date.is_some());
    assert_eq!(f.operations.len(), 1);
    let op = &f.operations[0];
    assert_eq!(op.quantity, 2);
    assert_eq!(op.amount, sold.operation_datas[0].total_amount);
    assert_eq!(op.product_code, "MATCH02");
    assert!(!op.product.is_empty());
    assert_eq!(
        op.performance_start,
        Some(
            product(&cat, "MATCH02")
                .event
                .as_ref()
                .unwrap()
                .performances[0]
                .start
        )
    );
    assert_eq!(r.files[1].total_amount, gone.sale_amount);
    assert!(r
        .files
        .windows(2)
        .all(|w| w[0].creation_date >= w[1].creation_date));

    // pagination
    let page = c
        .get_contact_files(&GetContactFilesRequest {
            contact_number: bob.clone(),
            pagination_parameter: Some(PaginationParameter {
                start_position: 1,
                max_result: Some(1),
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(page.truncated);
    assert_eq!(page.files[0].order_id, gone.order_id);

    // counts agree
    let count = |req: CountFilesByCriteriaRequest| {
        let c = &c;
        async move { c.count_files_by_criteria(&req).await.unwrap() }
    };
    let by_bob = CountFilesByCriteriaRequest {
        point_of_sales_id: Some(pos.pos_id),
        cultural_contact_reference: Some(bob.clone()),
        ..Default::default()
    };
    assert_eq!(count(by_bob.clone()).await, 3);
    assert_eq!(count(CountFilesByCriteriaRequest::default()).await, 4);
    assert_eq!(
        count(CountFilesByCriteriaRequest {
            states: vec![FileState::Solded],
            ..by_bob.clone()
        })
        .await,
        1
    );
    assert_eq!(
        count(CountFilesByCriteriaRequest {
            states: vec![FileState::Solded, FileState::Abandonned],
            ..by_bob.clone()
        })
        .await,
        2
    );
    assert_eq!(
        count(CountFilesByCriteriaRequest {
            product_id: Some(product(&cat, "MATCH02").id),
            ..by_bob.clone()
        })
        .await,
        2
    );
    assert_eq!(
        count(CountFilesByCriteriaRequest {
            performance_id: Some(standing_cat(&cat, "MATCH03").0),
            ..by_bob.clone()
        })
        .await,
        1
    );
    let now = Utc::now().fixed_offset();
    assert_eq!(
        count(CountFilesByCriteriaRequest {
            start_date: Some(now + chrono::Duration::hours(1)),
            ..by_bob.clone()
        })
        .await,
        0
    );
    assert_eq!(
        count(CountFilesByCriteriaRequest {
            start_date: Some(now - chrono::Duration::hours(1)),
            end_date: Some(now + chrono::Duration::hours(1)),
            ..by_bob.clone()
        })
        .await,
        3
    );
    let err = c
        .count_files_by_criteria(&CountFilesByCriteriaRequest {
            start_date: Some(now),
            end_date: Some(now - chrono::Duration::hours(1)),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Other(c, _) if c == "error.invalidParameter"),
        "{err:?}"
    );
}

#[tokio::test]
async fn tickets_of_a_product_are_listed_by_page() {
    let (sb, base) = start().await;
    let (cat, pos) = setup(&sb, "PLAY");
    let c = client(&base, "PLAY_WEB");
    let bob = contact_number(&sb, "PLAY", "bob@example.com");
    let m2 = product(&cat, "MATCH02").id;
    let order = c
        .create_or_update_order(&standing(&cat, &pos, "MATCH02", 5, Some(&bob)))
        .await
        .unwrap();
    let closed = c.close_order(&close_req(order.order_id)).await.unwrap();
    // another product, and a running order of the same: neither is listed
    let other = c
        .create_or_update_order(&standing(&cat, &pos, "MATCH03", 1, Some(&bob)))
        .await
        .unwrap();
    c.close_order(&close_req(other.order_id)).await.unwrap();
    c.create_or_update_order(&standing(&cat, &pos, "MATCH02", 1, Some(&bob)))
        .await
        .unwrap();

    let now = Utc::now().fixed_offset();
    let req = |start: u32, max: Option<u32>| ListTicketsByCriteriaRequest {
        request_id: None,
        ticket_filter_criteria: TicketFilterCriteria {
            point_of_sales_id: None,
            product_id: m2,
            start_date: now - chrono::Duration::hours(1),
            end_date: now + chrono::Duration::hours(1),
        },
        pagination_parameter: Some(PaginationParameter {
            start_position: start,
            max_result: max,
        }),
    };
    let all = c.list_tickets_by_criteria(&req(0, None)).await.unwrap();
    assert!(!all.truncated);
    assert_eq!(all.ticket_summaries.len(), 5);
    let (perf, sc) = standing_cat(&cat, "MATCH02");
    let op = &closed.operation_datas[0];
    for t in &all.ticket_summaries {
        assert_eq!(t.ticket_state, TicketState::NotPrinted);
        assert_eq!(t.performance_id, Some(perf));
        assert_eq!(t.seat_category_id, Some(sc));
        assert_eq!(t.audience_sub_category_id, adult(&cat));
        assert_eq!(t.audience_sub_category, "ADULT");
        assert_eq!(t.price, op.unit_price);
    }

    let p1 = c.list_tickets_by_criteria(&req(0, Some(2))).await.unwrap();
    let p2 = c.list_tickets_by_criteria(&req(2, Some(2))).await.unwrap();
    let p3 = c.list_tickets_by_criteria(&req(4, Some(2))).await.unwrap();
    assert!(p1.truncated && p2.truncated && !p3.truncated);
    assert_eq!(p3.ticket_summaries.len(), 1);
    let paged: Vec<i64> = [p1, p2, p3]
        .iter()
        .flat_map(|p| p.ticket_summaries.iter().map(|t| t.ticket_id))
        .collect();
    let whole: Vec<i64> = all.ticket_summaries.iter().map(|t| t.ticket_id).collect();
    assert_eq!(paged, whole);

    // the same operator's point of sale is accepted; a period before the sale lists nothing
    let mut r = req(0, None);
    r.ticket_filter_criteria.point_of_sales_id = Some(pos.pos_id);
    assert_eq!(
        c.list_tickets_by_criteria(&r)
            .await
            .unwrap()
            .ticket_summaries
            .len(),
        5
    );
    r.ticket_filter_criteria.start_date = now - chrono::Duration::days(2);
    r.ticket_filter_criteria.end_date = now - chrono::Duration::days(1);
    assert!(c
        .list_tickets_by_criteria(&r)
        .await
        .unwrap()
        .ticket_summaries
        .is_empty());

    // the dates are mandatory: HTTP 400 naming the field
    let err = c
        .call::<Value, Value>(
            Service::OrderHistory,
            "listTicketsByCriteria",
            &json!({"ticketFilterCriteria": {"productId": m2.0, "endDate": now.to_rfc3339()}}),
            Idempotency::Safe,
        )
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("400") && msg.contains("ticketFilterCriteria") && msg.contains("startDate"),
        "{msg}"
    );
}
