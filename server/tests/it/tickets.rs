//! The downloads of a paid order and the buyer's order history, over HTTP against the real
//! application and its embedded sandbox: the branded e-tickets are a PDF with one page per
//! ticket whose QR code decodes to the ticket's barcode and which names the seat; the calendar
//! file parses and starts when the performance does; the logged-in buyer gets their order and
//! its files without the secret link and finds the order in their history; another buyer, a
//! wrong secret or no secret get the same 404 as an order that does not exist.

use crate::support;

use leptos::server_fn::ServerFn;
use s360::model::order::{OrderId, OrderState};
use s360::model::ticket::{GetTicketsRequest, TicketData};
use support::{location, log_in, Browser, Shop};

const QUANTITY: u32 = 2;
const PAYS: &str = "4111111111111111";

/// The shop with the site's static files (the institutions' logos) where the server finds them.
async fn start() -> Shop {
    let public = concat!(env!("CARGO_MANIFEST_DIR"), "/../public");
    Shop::start(&[
        ("LEPTOS_SITE_ROOT", public),
        ("SHOP_RECONCILE_SECS", "3600"),
    ])
    .await
}

/// A priced CUBE performance with numbered seats: (performance, seat category, tariff, start).
fn offer(shop: &Shop) -> (i64, i64, i64, chrono::DateTime<chrono::FixedOffset>) {
    let snap = shop.tenant("CUBE").catalog.snapshot().unwrap();
    let found = snap
        .catalog
        .products()
        .filter(|p| p.state.on_sale())
        .flat_map(|p| p.event.iter().flat_map(|e| e.performances.iter()))
        .filter(|perf| perf.state.on_sale())
        .flat_map(|perf| {
            perf.prices
                .iter()
                .filter(|pr| pr.amount.0 > 0)
                .filter(|pr| {
                    perf.seat_categories
                        .iter()
                        .any(|c| c.id == pr.seat_cat_id && c.numbered)
                })
                .map(move |pr| (perf.id.0, pr.seat_cat_id.0, pr.aud_sub_cat_id.0, perf.start))
        })
        .next();
    found.expect("a priced CUBE performance with numbered seats")
}

/// A server function called as the page's own code calls it (JSON answer).
async fn call(b: &Browser, path: &str, form: &[(&str, String)]) -> reqwest::Response {
    b.send(
        b.http
            .post(b.url(path))
            .header("origin", &b.base)
            .form(form),
    )
    .await
}

/// `QUANTITY` seats bought and paid by `b`: the order and its secret.
async fn buy(shop: &Shop, b: &Browser) -> (OrderId, String) {
    let back = pay_until_return(shop, b).await;
    follow_return(shop, b, &back).await
}

/// `QUANTITY` seats put in `b`'s cart and paid at S-PAY: the return URL S-PAY sends the buyer
/// back to (not visited yet).
async fn pay_until_return(shop: &Shop, b: &Browser) -> String {
    let (perf, cat, tariff, _) = offer(shop);
    let r = call(
        b,
        app::routes::performance::AddToCart::PATH,
        &[
            ("performance_id", perf.to_string()),
            ("seat_category_id", cat.to_string()),
            ("tariff_id", tariff.to_string()),
            ("quantity", QUANTITY.to_string()),
        ],
    )
    .await;
    assert_eq!(location(&r), "/cart", "add to cart: {}", r.status());
    let r = call(
        b,
        app::routes::checkout::StartPayment::PATH,
        &[
            ("first_name", "Ada".into()),
            ("last_name", "Lovelace".into()),
            ("email", "ada@example.com".into()),
        ],
    )
    .await;
    assert_eq!(location(&r), "/pay", "start payment: {}", r.status());
    let page: app::routes::checkout::PaymentPage =
        call(b, app::routes::checkout::GetPayment::PATH, &[])
            .await
            .json()
            .await
            .unwrap();
    let tid = page.transaction_id.expect("a transaction");
    // the sandbox's hosted card page, then back to the shop
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/epc/pay/{tid}", shop.running.s360_base_url))
        .form(&[
            ("card_number", PAYS),
            ("expiry", "12/45"),
            ("cvc", "123"),
            ("action", "pay"),
        ])
        .send()
        .await
        .unwrap();
    let back = location(&r);
    assert!(back.contains("/payment/return"), "{back}");
    back
}

/// `b` visits the return URL: the closed order and its secret.
async fn follow_return(shop: &Shop, b: &Browser, back: &str) -> (OrderId, String) {
    let r = b.get(back).await;
    let order = location(&r);
    let rest = order
        .strip_prefix("/orders/")
        .unwrap_or_else(|| panic!("to the order page: {order}"));
    let (id, secret) = rest.split_once("?access=").unwrap();
    let id = OrderId(id.parse().unwrap());
    let d = shop
        .tenant("CUBE")
        .catalog
        .client()
        .get_order_details(id, None)
        .await
        .unwrap();
    assert_eq!(d.order_state, OrderState::Closed);
    (id, secret.to_string())
}

async fn tickets_of(shop: &Shop, id: OrderId) -> Vec<TicketData> {
    shop.tenant("CUBE")
        .catalog
        .client()
        .get_tickets(&GetTicketsRequest {
            order_id: Some(id.0),
            ..Default::default()
        })
        .await
        .unwrap()
}

/// A logged-in browser.
async fn logged_in(shop: &Shop, email: &str) -> Browser {
    let b = Browser::new(&shop.base);
    let r = log_in(&b, "/", email).await;
    assert!(r.status().is_redirection(), "login: {}", r.status());
    assert!(b.user_name().await.is_some(), "{email} is logged in");
    b
}

/// One page of the PDF: its text (WinAnsi strings shown) and the QR code's content.
struct PdfPage {
    text: String,
    qr: String,
    has_logo: bool,
}

fn read_pdf(pdf: &[u8]) -> Vec<PdfPage> {
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let doc = lopdf::Document::load_mem(pdf).expect("the PDF parses");
    let mut pages = Vec::new();
    for (_, page_id) in doc.get_pages() {
        let content = doc.get_page_content(page_id);
        let ops = lopdf::content::Content::decode(&content)
            .unwrap()
            .operations;
        let (mut marked, mut text, mut rects, mut has_logo) =
            (Vec::<String>::new(), String::new(), Vec::new(), false);
        for op in ops {
            match op.operator.as_str() {
                "BMC" => {
                    let tag = op.operands[0].as_name().unwrap();
                    let tag = String::from_utf8_lossy(tag).to_string();
                    has_logo |= tag == "Logo";
                    marked.push(tag);
                }
                "EMC" => {
                    marked.pop();
                }
                "Tj" => {
                    // WinAnsi is Latin-1 for the letters used here
                    let bytes = op.operands[0].as_str().unwrap();
                    text.extend(bytes.iter().map(|b| *b as char));
                    text.push('\n');
                }
                "re" if marked.last().map(String::as_str) == Some("QR") => {
                    let n: Vec<f32> = op.operands.iter().map(|o| o.as_float().unwrap()).collect();
                    rects.push((n[0], n[1], n[2]));
                }
                _ => {}
            }
        }
        pages.push(PdfPage {
            text,
            qr: decode_qr(&rects),
            has_logo,
        });
    }
    pages
}

/// Rasterises the QR modules (4 px each, 4-module quiet zone) and decodes them.
fn decode_qr(rects: &[(f32, f32, f32)]) -> String {
    assert!(!rects.is_empty(), "a QR code on the page");
    let module = rects[0].2;
    let min_x = rects.iter().map(|r| r.0).fold(f32::MAX, f32::min);
    let min_y = rects.iter().map(|r| r.1).fold(f32::MAX, f32::min);
    let max_x = rects.iter().map(|r| r.0).fold(f32::MIN, f32::max);
    let max_y = rects.iter().map(|r| r.1).fold(f32::MIN, f32::max);
    let n = ((max_x - min_x) / module).round() as usize + 1;
    let rows = ((max_y - min_y) / module).round() as usize + 1;
    let scale = 4;
    let size = (n.max(rows) + 8) * scale;
    let mut dark = vec![false; size * size];
    for (x, y, _) in rects {
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
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().expect("the QR code decodes").1
}

/// The properties of the calendar's events, lines unfolded (RFC 5545 §3.1).
fn read_ics(ics: &str) -> Vec<Vec<(String, String)>> {
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    assert!(ics.ends_with("END:VCALENDAR\r\n"), "{ics}");
    let unfolded = ics.replace("\r\n ", "");
    let mut events = Vec::new();
    let mut current: Option<Vec<(String, String)>> = None;
    for line in unfolded.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(line.len() <= 75 || ics.contains("\r\n "), "folded lines");
        let (name, value) = line.split_once(':').expect("name:value");
        let name = name.split(';').next().unwrap().to_string();
        match (name.as_str(), value) {
            ("BEGIN", "VEVENT") => current = Some(vec![]),
            ("END", "VEVENT") => events.push(current.take().expect("an open event")),
            _ => {
                if let Some(e) = current.as_mut() {
                    e.push((name, value.to_string()));
                }
            }
        }
    }
    events
}

/// CUBE's entrances as its catalog names them (the sandbox's seed).
fn entrance_name(code: &str, lang: &str) -> &'static str {
    match (code, lang) {
        ("DOOR_A", "de") => "Tür A (Parkett)",
        ("DOOR_B", "de") => "Tür B (Balkon)",
        ("DOOR_A", _) => "Door A (stalls)",
        ("DOOR_B", _) => "Door B (balcony)",
        other => panic!("an entrance of CUBE: {other:?}"),
    }
}

/// CUBE's blocks as its catalog names them in English.
fn block_name(code: &str) -> &'static str {
    match code {
        "STALLS" => "Stalls",
        "BALCONY" => "Balcony",
        other => panic!("a block of CUBE: {other}"),
    }
}

fn prop<'a>(event: &'a [(String, String)], name: &str) -> Option<&'a str> {
    event
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_logged_in_buyer_gets_branded_tickets_a_calendar_and_the_order_in_their_history() {
    let shop = start().await;
    let alice = logged_in(&shop, "alice@example.com").await;
    let (id, secret) = buy(&shop, &alice).await;
    let tickets = tickets_of(&shop, id).await;
    assert_eq!(tickets.len(), QUANTITY as usize);

    // the branded e-tickets, without the secret: the buyer is logged in
    let r = alice
        .get(&format!("/orders/{}/tickets-branded.pdf", id.0))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let body = r.bytes().await.unwrap();
    let pages = read_pdf(&body);
    assert_eq!(pages.len(), tickets.len(), "one page per ticket");
    for (page, ticket) in pages.iter().zip(&tickets) {
        assert_eq!(
            page.qr, ticket.barcode,
            "the QR code is the ticket's barcode"
        );
        let seat = ticket.seat.number.as_deref().expect("a numbered seat");
        assert!(page.text.contains(&format!("Seat {seat}")), "{}", page.text);
        if let Some(row) = &ticket.seat.row {
            assert!(page.text.contains(&format!("Row {row}")), "{}", page.text);
        }
        // blocks and entrances by the catalog's names, never their codes
        let gate = ticket.entrance_code.as_deref().expect("an entrance");
        assert!(
            page.text.contains(entrance_name(gate, "en")),
            "{}",
            page.text
        );
        assert!(!page.text.contains(gate), "{}", page.text);
        let block = ticket.seat.block_code.as_deref().expect("a block");
        assert!(page.text.contains(block_name(block)), "{}", page.text);
        assert!(!page.text.contains(block), "{}", page.text);
        assert!(page.text.contains(&ticket.tax_number), "{}", page.text);
        assert!(page.text.contains(&ticket.product_name), "{}", page.text);
        assert!(page.text.contains(&id.0.to_string()), "{}", page.text);
        assert!(page.has_logo, "the institution's logo is drawn");
    }
    // in the language asked for
    let r = alice
        .get(&format!(
            "/orders/{}/tickets-branded.pdf?access={secret}&lang=de",
            id.0
        ))
        .await;
    let pages = read_pdf(&r.bytes().await.unwrap());
    let seat = tickets[0].seat.number.as_deref().unwrap();
    assert!(
        pages[0].text.contains(&format!("Platz {seat}")),
        "{}",
        pages[0].text
    );
    assert!(pages[0].text.contains("Steuernummer"), "{}", pages[0].text);
    let gate = tickets[0].entrance_code.as_deref().unwrap();
    assert!(
        pages[0].text.contains(entrance_name(gate, "de")),
        "{}",
        pages[0].text
    );

    // the calendar: one event for the performance, at its start
    let (_, _, _, start) = offer(&shop);
    let r = alice.get(&format!("/orders/{}/calendar.ics", id.0)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/calendar; charset=utf-8");
    let ics_text = r.text().await.unwrap();
    let events = read_ics(&ics_text);
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    let utc = start.with_timezone(&chrono::Utc);
    assert_eq!(
        prop(e, "DTSTART"),
        Some(utc.format("%Y%m%dT%H%M%SZ").to_string().as_str())
    );
    let end = chrono::NaiveDateTime::parse_from_str(prop(e, "DTEND").unwrap(), "%Y%m%dT%H%M%SZ")
        .unwrap()
        .and_utc();
    assert!(end > utc, "ends after it starts");
    assert_eq!(prop(e, "SUMMARY"), Some(tickets[0].product_name.as_str()));
    assert!(prop(e, "UID").unwrap().contains(&id.0.to_string()));
    assert!(prop(e, "LOCATION").is_some_and(|l| !l.is_empty()));
    assert!(
        prop(e, "DESCRIPTION").is_some_and(|d| d.contains(&format!("{QUANTITY} tickets"))),
        "{e:?}"
    );
    // the same item, the same UID: calendars update rather than duplicate
    let again = alice.get(&format!("/orders/{}/calendar.ics", id.0)).await;
    assert_eq!(
        prop(&read_ics(&again.text().await.unwrap())[0], "UID"),
        prop(e, "UID")
    );

    // S-360's printable PDF, without the secret too: names, not codes, there as well
    let r = alice.get(&format!("/orders/{}/tickets.pdf", id.0)).await;
    assert_eq!(r.status(), 200);
    let body = r.bytes().await.unwrap();
    assert!(body.starts_with(b"%PDF-"));
    let pages = read_pdf(&body);
    let gate = tickets[0].entrance_code.as_deref().unwrap();
    let block = tickets[0].seat.block_code.as_deref().unwrap();
    assert!(
        pages[0].text.contains(entrance_name(gate, "en")),
        "{}",
        pages[0].text
    );
    assert!(
        pages[0].text.contains(block_name(block)),
        "{}",
        pages[0].text
    );
    assert!(!pages[0].text.contains(gate), "{}", pages[0].text);

    // the order page without the secret, with its downloads
    let r = alice.get(&format!("/orders/{}", id.0)).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Paid and confirmed"), "{html}");
    assert!(html.contains("href=\"/account/orders\""), "{html}");
    for file in ["tickets-branded.pdf", "tickets.pdf", "calendar.ics"] {
        assert!(
            html.contains(&format!("/orders/{}/{file}?access=", id.0)),
            "{file} offered: {html}"
        );
    }

    // in the buyer's language
    let html = alice
        .get(&format!("/orders/{}?lang=fr", id.0))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Payée et confirmée"), "{html}");
    assert!(html.contains("Merci pour votre commande"), "{html}");
    assert!(html.contains("E-billets, un par page (PDF)"), "{html}");

    // the history lists it, paid, and links to it
    let r = call(&alice, app::routes::history::GetOrderHistory::PATH, &[]).await;
    assert_eq!(r.status(), 200);
    let history: Option<shop::model::HistoryView> = r.json().await.unwrap();
    let history = history.expect("a logged-in buyer's history");
    let listed = history
        .orders
        .iter()
        .find(|o| o.order_id == id.0)
        .expect("the order is listed");
    assert_eq!(listed.state, "paid");
    assert_eq!(listed.state_text, "Paid");
    assert!(!listed.total.is_empty());
    let r = alice.get("/account/orders").await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!("href=\"/orders/{}\"", id.0)),
        "{html}"
    );
    // and the account page links to the history
    let html = alice.get("/account").await.text().await.unwrap();
    assert!(html.contains("href=\"/account/orders\""), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_else_gets_the_order_or_its_tickets_and_cannot_tell_it_exists() {
    let shop = start().await;
    let alice = logged_in(&shop, "alice@example.com").await;
    let (id, secret) = buy(&shop, &alice).await;
    let bob = logged_in(&shop, "bob@example.com").await;
    let anonymous = Browser::new(&shop.base);
    let unknown = id.0 + 100_000;

    let mut wrong = secret.clone().into_bytes();
    wrong[0] = if wrong[0] == b'a' { b'b' } else { b'a' };
    let wrong = String::from_utf8(wrong).unwrap();
    let files = ["tickets.pdf", "tickets-branded.pdf", "calendar.ics"];
    for (who, b) in [("bob", &bob), ("a visitor", &anonymous)] {
        for (order, access) in [
            (id.0, ""),
            (id.0, wrong.as_str()),
            (unknown, ""),
            (unknown, secret.as_str()),
        ] {
            let q = if access.is_empty() {
                String::new()
            } else {
                format!("?access={access}")
            };
            let what = format!("{who}, order {order}{q}");
            // the page
            let r = b.get(&format!("/orders/{order}{q}")).await;
            assert_eq!(r.status(), 404, "{what}");
            let html = r.text().await.unwrap();
            assert!(!html.contains(&secret), "{what}: the secret leaked");
            assert!(!html.contains("data-testid=\"ticket\""), "{what}");
            // the page's data
            let r = call(
                b,
                app::routes::order::GetOrder::PATH,
                &[("order_id", order.to_string()), ("access", access.into())],
            )
            .await;
            assert_eq!(r.status(), 200, "{what}");
            let view: Option<shop::model::OrderView> = r.json().await.unwrap();
            assert!(view.is_none(), "{what}: {view:?}");
            // the downloads: the same 404 whether the order exists or not
            for file in files {
                let r = b.get(&format!("/orders/{order}/{file}{q}")).await;
                assert_eq!(r.status(), 404, "{what}: {file}");
                assert_eq!(r.text().await.unwrap(), "No such order.", "{what}: {file}");
            }
        }
    }
    // a malformed id is just as unknown
    let r = anonymous.get("/orders/abc/tickets-branded.pdf").await;
    assert_eq!(r.status(), 404);

    // the secret link still works in any browser (a guest's way back to their tickets)
    for file in files {
        let r = anonymous
            .get(&format!("/orders/{}/{file}?access={secret}", id.0))
            .await;
        assert_eq!(r.status(), 200, "{file} with the secret");
    }
    // and the history of somebody else does not list it
    let r = call(&bob, app::routes::history::GetOrderHistory::PATH, &[]).await;
    let history: Option<shop::model::HistoryView> = r.json().await.unwrap();
    assert!(history
        .expect("bob is logged in")
        .orders
        .iter()
        .all(|o| o.order_id != id.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_asks_a_visitor_to_log_in_first() {
    let shop = start().await;
    let b = Browser::new(&shop.base);
    // sent to the login and back, as /account does (the page sets `Location`)
    let r = b.get("/account/orders").await;
    assert_eq!(location(&r), "/login?return=/account/orders");
    let html = r.text().await.unwrap();
    assert!(!html.contains("data-testid=\"order-history\""), "{html}");
    let r = call(&b, app::routes::history::GetOrderHistory::PATH, &[]).await;
    let history: Option<shop::model::HistoryView> = r.json().await.unwrap();
    assert!(history.is_none());
}

/// The sum of every call the sandbox answered.
fn s360_calls(shop: &Shop) -> u64 {
    shop.sandbox().call_counts().values().sum()
}

/// Guessing order links costs S-360 nothing: the link's access token is a MAC the shop checks
/// itself, so anonymous requests for any order with a wrong or missing token (the page, its
/// data, the three downloads) are answered 404 without a single S-360 call, however many.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_anonymous_order_lookups_makes_no_s360_call() {
    let shop = start().await;
    let guest = Browser::new(&shop.base);
    let (id, secret) = buy(&shop, &guest).await;
    let anonymous = Browser::new(&shop.base);
    // warm the pages' own caches (layout, catalog) so only order lookups are left
    assert_eq!(anonymous.get("/orders/1?access=x").await.status(), 404);
    let before = s360_calls(&shop);
    let files = ["tickets.pdf", "tickets-branded.pdf", "calendar.ics"];
    for i in 0..50 {
        let order = if i % 5 == 0 { id.0 } else { id.0 + 1 + i };
        let access = if i % 2 == 0 {
            "AAAAAAAAAAAAAAAAAAAAAA"
        } else {
            "guess"
        };
        let r = anonymous
            .get(&format!("/orders/{order}?access={access}"))
            .await;
        assert_eq!(r.status(), 404);
        let r = anonymous.get(&format!("/orders/{order}")).await;
        assert_eq!(r.status(), 404);
        for file in files {
            let r = anonymous
                .get(&format!("/orders/{order}/{file}?access={access}"))
                .await;
            assert_eq!(r.status(), 404, "{file}");
        }
        let r = call(
            &anonymous,
            app::routes::order::GetOrder::PATH,
            &[("order_id", order.to_string()), ("access", access.into())],
        )
        .await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "null");
    }
    assert_eq!(s360_calls(&shop), before, "S-360 was asked");
    // the real link still opens the order, for anyone who holds it
    let r = anonymous
        .get(&format!("/orders/{}?access={secret}", id.0))
        .await;
    assert_eq!(r.status(), 200);
    assert!(s360_calls(&shop) > before);
}

/// A buyer whose session is gone when they come back from S-PAY (the instance restarted with
/// its in-memory sessions, or the payment page opened in another browser) is brought back to
/// the order they paid by the signed reference in the return URL; a forged reference is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_return_without_the_session_still_reaches_the_paid_order() {
    let shop = start().await;
    let buyer = Browser::new(&shop.base);
    let back = pay_until_return(&shop, &buyer).await;
    assert!(back.contains("order=") && back.contains("&ref="), "{back}");
    // a forged reference (another order id, the same token) leads nowhere
    let (path, query) = back.split_once('?').unwrap();
    let order: i64 = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("order="))
        .unwrap()
        .parse()
        .unwrap();
    let forged = format!(
        "{path}?{}",
        query.replace(&format!("order={order}"), &format!("order={}", order + 1))
    );
    let stranger = Browser::new(&shop.base);
    let r = stranger.get(&forged).await;
    assert_eq!(location(&r), "/cart");
    // the same return in a browser with no session: to the closed order, with its link
    let lost = Browser::new(&shop.base);
    let (id, secret) = follow_return(&shop, &lost, &back).await;
    assert_eq!(id.0, order);
    let r = lost.get(&format!("/orders/{}?access={secret}", id.0)).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Paid and confirmed"));
}
