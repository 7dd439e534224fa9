//! Tickets after a sale: the printed PDF and its QR code, reprints, the access-control lists.

use crate::common;

use std::sync::Arc;

use base64::Engine;
use s360::client::{Client, Error};
use s360::model::order::*;
use s360::model::ticket::*;
use sandbox::Sandbox;

async fn start() -> (Arc<Sandbox>, Client) {
    let (sb, base) = common::start().await;
    (sb, common::client(&base, "PLAY_WEB"))
}

/// Buys `quantity` adult tickets in the main stand of PLAY's `match_index`-th match and closes.
async fn sell(sb: &Sandbox, c: &Client, match_index: usize, quantity: u32) -> OrderId {
    let (cat, pos) = {
        let inst = sb.institution("PLAY").unwrap();
        let inst = inst.lock().unwrap();
        (inst.catalog.clone(), inst.pos.clone())
    };
    let m = cat
        .products()
        .filter(|p| p.event.is_some())
        .nth(match_index)
        .unwrap();
    let perf = &m.event.as_ref().unwrap().performances[0];
    let main = perf
        .seat_categories
        .iter()
        .find(|s| s.code == "MAIN")
        .unwrap()
        .id;
    let adult = cat.seasons[0]
        .audience_categories
        .iter()
        .flat_map(|a| a.audience_sub_categories.iter())
        .find(|s| s.code == "ADULT")
        .unwrap()
        .id;
    let order = c
        .create_or_update_order(&CreateOrUpdateOrderRequest {
            point_of_sales_id: Some(pos.pos_id),
            single_entry_operations: vec![SingleEntryOperation {
                performance_id: perf.id,
                seat_category_id: main,
                audience_sub_category_id: adult,
                quantity,
                contingent_id: None,
                price_level_id: None,
                seat_ids: None,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    let id = order.order_id;
    c.close_order(&CloseOrderRequest {
        request_id: None,
        order_id: id,
        order_type: OrderType::Sale,
        purchaser_info: None,
        generate_bar_codes: Some(true),
        max_waiting_time: None,
        payments: vec![],
    })
    .await
    .unwrap();
    id
}

/// Reads the QR modules of each page back from the PDF and decodes them.
fn decode_qr_codes(pdf: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(pdf).expect("the PDF parses");
    let mut out = Vec::new();
    for (_, page_id) in doc.get_pages() {
        let content = doc.get_page_content(page_id);
        let ops = lopdf::content::Content::decode(&content)
            .unwrap()
            .operations;
        let mut inside = false;
        let mut rects = Vec::new();
        for op in ops {
            match op.operator.as_str() {
                "BMC" => inside = true,
                "EMC" => inside = false,
                "re" if inside => {
                    let n: Vec<f32> = op.operands.iter().map(|o| o.as_float().unwrap()).collect();
                    rects.push((n[0], n[1], n[2]));
                }
                _ => {}
            }
        }
        assert!(!rects.is_empty(), "a QR code on every page");
        let module = rects[0].2;
        let min_x = rects.iter().map(|r| r.0).fold(f32::MAX, f32::min);
        let min_y = rects.iter().map(|r| r.1).fold(f32::MAX, f32::min);
        let max_x = rects.iter().map(|r| r.0).fold(f32::MIN, f32::max);
        let max_y = rects.iter().map(|r| r.1).fold(f32::MIN, f32::max);
        let n = ((max_x - min_x) / module).round() as usize + 1;
        let rows = ((max_y - min_y) / module).round() as usize + 1;
        // rasterise at 4 px per module with a 4-module quiet zone
        let scale = 4;
        let size = (n.max(rows) + 8) * scale;
        let mut dark = vec![false; size * size];
        for (x, y, _) in &rects {
            let mx = ((x - min_x) / module).round() as usize + 4;
            let my = rows - 1 - ((y - min_y) / module).round() as usize + 4;
            for dy in 0..scale {
                for dx in 0..scale {
                    dark[(my * scale + dy) * size + mx * scale + dx] = true;
                }
            }
        }
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(size, size, |x, y| {
            if dark[y * size + x] {
                0
            } else {
                255
            }
        });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, text) = grids[0].decode().unwrap();
        out.push(text);
    }
    out
}

#[tokio::test]
async fn printed_pdf_parses_and_its_qr_codes_decode_to_the_barcodes() {
    let (sb, c) = start().await;
    let order = sell(&sb, &c, 0, 3).await;
    let tickets = c
        .get_tickets(&GetTicketsRequest {
            order_id: Some(order.0),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(tickets.len(), 3);
    assert!(tickets
        .iter()
        .all(|t| t.ticket_state == TicketState::NotPrinted));
    assert!(tickets
        .iter()
        .all(|t| t.seat.row.is_some() && t.entrance_code.as_deref() == Some("GATE_A")));

    let printed = c
        .print_tickets(&PrintTicketsRequest {
            ticket_ids: tickets.iter().map(|t| t.ticket_id).collect(),
            format: PrintFormat::PdfA4,
            reprint: false,
        })
        .await
        .unwrap();
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(&printed.pdf_base64)
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let decoded = decode_qr_codes(&pdf);
    let expected: Vec<String> = tickets.iter().map(|t| t.barcode.clone()).collect();
    assert_eq!(decoded, expected);

    // printing again without reprint keeps the barcodes; a reprint replaces them
    let again = c
        .print_tickets(&PrintTicketsRequest {
            ticket_ids: vec![tickets[0].ticket_id],
            format: PrintFormat::MobilePdf,
            reprint: false,
        })
        .await
        .unwrap();
    assert_eq!(again.barcodes, vec![tickets[0].barcode.clone()]);
    let reprint = c
        .print_tickets(&PrintTicketsRequest {
            ticket_ids: vec![tickets[0].ticket_id],
            format: PrintFormat::MobilePdf,
            reprint: true,
        })
        .await
        .unwrap();
    assert_ne!(reprint.barcodes[0], tickets[0].barcode);
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(&reprint.pdf_base64)
        .unwrap();
    assert_eq!(decode_qr_codes(&pdf), reprint.barcodes);
    let old = c.get_controlled_ticket(&tickets[0].barcode).await.unwrap();
    assert_eq!(old.state, ControlledTicketState::Cancelled);
    // the invalidated ticket cannot be printed any more
    let err = c
        .print_tickets(&PrintTicketsRequest {
            ticket_ids: vec![tickets[0].ticket_id],
            format: PrintFormat::PdfA4,
            reprint: false,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Other(ref code, _) if code == "error.invalidParameter"),
        "{err:?}"
    );
}

fn export(start: Option<String>, list: ListType, page: i64) -> ExportListRequest {
    ExportListRequest {
        request_id: None,
        list_type: list,
        ticket_type: TicketType::All,
        season_code: "PLAY26".into(),
        product_codes: vec![],
        performance_codes: vec![],
        pagination_start: start,
        nb_max_results: page,
    }
}

#[tokio::test]
async fn export_list_walks_every_ticket_once_and_reexports_cancellations() {
    let (sb, c) = start().await;
    let first = sell(&sb, &c, 0, 4).await;
    sell(&sb, &c, 1, 3).await;
    sell(&sb, &c, 2, 5).await;

    // walk the white list 5 at a time
    let mut cursor = None;
    let mut seen = Vec::new();
    loop {
        let page = c
            .export_list(&export(cursor.clone(), ListType::White, 5))
            .await
            .unwrap();
        assert!(page.access_control_list_items.len() <= 5);
        if page.access_control_list_items.is_empty() {
            break;
        }
        seen.extend(
            page.access_control_list_items
                .iter()
                .map(|i| i.barcode.clone()),
        );
        cursor = page.pagination_end;
    }
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(seen.len(), 12, "every ticket");
    assert_eq!(unique.len(), 12, "exactly once");

    // nothing changed: the same cursor gives nothing
    let page = c
        .export_list(&export(cursor.clone(), ListType::Grey, 100))
        .await
        .unwrap();
    assert!(page.access_control_list_items.is_empty());

    // the back office cancels the first order: its tickets come back, invalid
    let cancelled = {
        let inst = sb.institution("PLAY").unwrap();
        let mut inst = inst.lock().unwrap();
        inst.tickets.cancel_order(first.0, "CANCELLED")
    };
    assert_eq!(cancelled, 4);
    let page = c
        .export_list(&export(cursor.clone(), ListType::Grey, 100))
        .await
        .unwrap();
    assert_eq!(page.access_control_list_items.len(), 4);
    assert!(page
        .access_control_list_items
        .iter()
        .all(|i| !i.valid && i.cancellation_cause.as_deref() == Some("CANCELLED")));
    // the white list ignores them, the black list has them
    let white = c
        .export_list(&export(cursor.clone(), ListType::White, 100))
        .await
        .unwrap();
    assert!(white.access_control_list_items.is_empty());
    let black = c
        .export_list(&export(cursor, ListType::Black, 100))
        .await
        .unwrap();
    assert_eq!(black.access_control_list_items.len(), 4);

    // a foreign cursor is refused
    let err = c
        .export_list(&export(Some("garbage".into()), ListType::Grey, 10))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Other(ref code, _) if code == "error.invalidParameter"));
}

#[tokio::test]
async fn grey_list_puts_the_reprinted_barcode_right_after_its_replacement() {
    let (sb, c) = start().await;
    let order = sell(&sb, &c, 3, 1).await;
    let t = &c
        .get_tickets(&GetTicketsRequest {
            order_id: Some(order.0),
            ..Default::default()
        })
        .await
        .unwrap()[0];
    let start = c
        .export_list(&export(None, ListType::Grey, 100))
        .await
        .unwrap()
        .pagination_end;
    for reprint in [false, true] {
        c.print_tickets(&PrintTicketsRequest {
            ticket_ids: vec![t.ticket_id],
            format: PrintFormat::PdfA4,
            reprint,
        })
        .await
        .unwrap();
    }
    let items = c
        .export_list(&export(start, ListType::Grey, 1))
        .await
        .unwrap()
        .access_control_list_items;
    assert_eq!(
        items.len(),
        2,
        "a valid ticket and its invalid counterpart count as one"
    );
    assert!(items[0].valid);
    assert!(!items[1].valid);
    assert_eq!(items[1].barcode, t.barcode);
    assert_eq!(items[1].cancellation_cause.as_deref(), Some("REPRINTED"));
}

#[tokio::test]
async fn gate_scans_burn_and_import() {
    let (sb, c) = start().await;
    let order = sell(&sb, &c, 4, 3).await;
    let tickets = c
        .get_tickets(&GetTicketsRequest {
            order_id: Some(order.0),
            ..Default::default()
        })
        .await
        .unwrap();
    let burned = c.burn_ticket(&tickets[0].barcode).await.unwrap();
    assert!(!burned.duplicate);
    let again = c.burn_ticket(&tickets[0].tax_number).await.unwrap();
    assert!(again.duplicate, "second entry is refused");
    assert_eq!(again.control_operations.len(), 2);

    let now = chrono::Utc::now().fixed_offset();
    let scan = |code: &str| ControlledTicket {
        ac_identifier: "GATE_A_1".into(),
        barcode: code.to_string(),
        control_date: now,
        control_result: ControlResult::OfflineOk,
        failure_reason: None,
        additionnal_info: None,
    };
    assert_eq!(
        c.import_controlled_tickets(vec![scan(&tickets[1].barcode)])
            .await
            .unwrap(),
        1
    );
    // seed 002: a barcode S-360 never issued is ignored, not an error
    assert_eq!(
        c.import_controlled_tickets(vec![
            scan("00000000000000000000"),
            scan(&tickets[0].barcode)
        ])
        .await
        .unwrap(),
        1
    );

    // a blacklisted barcode rejects the whole import
    {
        let inst = sb.institution("PLAY").unwrap();
        inst.lock().unwrap().tickets.cancel_order(order.0, "STOLEN");
    }
    let err = c
        .import_controlled_tickets(vec![scan(&tickets[2].barcode)])
        .await
        .unwrap_err();
    match err {
        Error::Other(code, detail) => {
            assert_eq!(code, "failed");
            assert_eq!(
                detail,
                format!("Failed to import controlledTickets:{}", tickets[2].barcode)
            );
        }
        other => panic!("{other:?}"),
    }
    let unknown = c
        .get_controlled_ticket("00000000000000000000")
        .await
        .unwrap_err();
    assert!(matches!(unknown, Error::NotFound(_)));
}

#[tokio::test]
async fn access_control_catalog_and_time_zone() {
    let (_sb, c) = start().await;
    let seasons = c.get_access_control_catalog(None).await.unwrap();
    assert_eq!(seasons.seasons[0].code, "PLAY26");
    let products = c.get_access_control_catalog(Some("PLAY26")).await.unwrap();
    assert_eq!(products.products.len(), 11);
    assert_eq!(products.products[0].performances.len(), 1);
    assert_eq!(c.get_time_zone().await.unwrap(), "Europe/Zurich");
}
