//! Checkout before payment: the delivery modes S-360 offers, the postal address for the modes
//! that post tickets, the ticket holders' names for nominative products, each checked on the
//! server with a message per field, then written to the S-360 order exactly once per choice.

use crate::support;

use leptos::server_fn::ServerFn;
use s360::model::order::{ComposedProductOperation, CreateOrUpdateOrderRequest, OrderId};
use support::{location, Browser, Shop};

/// A priced CUBE performance, the last one (far enough away for tickets sent by post):
/// (performance, seat category, tariff).
fn offer(shop: &Shop) -> (i64, i64, i64) {
    let snap = shop.tenant("CUBE").catalog.snapshot().unwrap();
    let last = snap
        .catalog
        .products()
        .filter(|p| p.state.on_sale())
        .flat_map(|p| p.event.iter().flat_map(|e| e.performances.iter()))
        .filter(|perf| perf.state.on_sale())
        .max_by_key(|perf| perf.start)
        .expect("a performance");
    let price = last
        .prices
        .iter()
        .find(|pr| pr.amount.0 > 0)
        .expect("a price");
    (last.id.0, price.seat_cat_id.0, price.aud_sub_cat_id.0)
}

async fn call(b: &Browser, path: &str, form: &[(&str, String)]) -> reqwest::Response {
    let owned: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post_form(path, &owned).await
}

/// Two tickets in the cart; returns the order.
async fn cart(shop: &Shop, b: &Browser) -> OrderId {
    let (perf, cat, tariff) = offer(shop);
    let r = call(
        b,
        app::routes::performance::AddToCart::PATH,
        &[
            ("performance_id", perf.to_string()),
            ("seat_category_id", cat.to_string()),
            ("tariff_id", tariff.to_string()),
            ("quantity", "2".into()),
        ],
    )
    .await;
    assert_eq!(location(&r), "/cart", "add to cart: {}", r.status());
    let cart: shop::model::CartView = call(b, app::routes::cart::GetCart::PATH, &[])
        .await
        .json()
        .await
        .unwrap();
    OrderId(cart.order_id.expect("an order"))
}

async fn checkout_view(b: &Browser) -> shop::model::CheckoutView {
    let r = call(b, app::routes::checkout::GetCheckout::PATH, &[]).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn payment(b: &Browser) -> app::routes::checkout::PaymentPage {
    call(b, app::routes::checkout::GetPayment::PATH, &[])
        .await
        .json()
        .await
        .unwrap()
}

fn guest(extra: &[(&str, &str)]) -> Vec<(&'static str, String)> {
    let mut form: Vec<(&'static str, String)> = vec![
        ("first_name", "Ada".into()),
        ("last_name", "Lovelace".into()),
        ("email", "ada@example.com".into()),
    ];
    for (k, v) in extra {
        form.push((Box::leak(k.to_string().into_boxed_str()), v.to_string()));
    }
    form
}

/// A guest's form for delivery by post (mode `mode`) to an address in Geneva.
fn by_post(mode: i64) -> Vec<(&'static str, String)> {
    let mode = mode.to_string();
    guest(&[
        ("shipment_mode", &mode),
        ("address[line1]", "Rue du Rhône 1"),
        ("address[zip_code]", "1204"),
        ("address[town]", "Genève"),
        ("address[country_code]", "CH"),
    ])
}

/// What a refused checkout says (the server function's error, field by field).
async fn refused(r: reqwest::Response) -> String {
    assert_ne!(location(&r), "/pay", "must not reach the payment");
    let to = location(&r);
    let body = r.text().await.unwrap();
    // without JavaScript the error comes back in the redirect; with it, in the body
    let text = format!("{body} {}", urlencoding_decode(&to));
    text
}

fn urlencoding_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("00");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_by_post_needs_an_address_then_costs_its_fee() {
    let shop = Shop::start(&[]).await;
    let b = Browser::new(&shop.base);
    let order = cart(&shop, &b).await;
    let view = checkout_view(&b).await;
    assert!(view.modes.len() >= 2, "{:?}", view.modes);
    assert!(view.holders.is_empty(), "single tickets are not nominative");
    let post = view
        .modes
        .iter()
        .find(|m| m.address_required)
        .expect("a mode that posts tickets")
        .clone();
    assert!(post.fee.starts_with("+ "), "{post:?}");

    // by post without an address: refused, said in words, nothing started
    let r = call(
        &b,
        app::routes::checkout::StartPayment::PATH,
        &guest(&[("shipment_mode", &post.id.to_string())]),
    )
    .await;
    let said = refused(r).await;
    assert!(said.contains("address.line1"), "{said}");
    assert!(said.contains("please give a postal address"), "{said}");
    // a mode S-360 does not offer, and a bad guest e-mail: both reported at once
    let mut form = guest(&[("shipment_mode", "999999")]);
    form[2].1 = "ada@example".into();
    let said = refused(call(&b, app::routes::checkout::StartPayment::PATH, &form).await).await;
    assert!(
        said.contains("shipment_mode") && said.contains("email"),
        "{said}"
    );
    let client = shop.tenant("CUBE").catalog.client().clone();
    assert!(client.get_shipments(order).await.unwrap().is_empty());

    // with the address: the order ships by post to it, its fee in the total paid
    let before = client
        .get_order_details(order, None)
        .await
        .unwrap()
        .sale_amount;
    let r = call(
        &b,
        app::routes::checkout::StartPayment::PATH,
        &by_post(post.id),
    )
    .await;
    assert_eq!(location(&r), "/pay", "{}", r.status());
    let shipments = client.get_shipments(order).await.unwrap();
    assert_eq!(shipments.len(), 1, "{shipments:?}");
    let s = &shipments[0];
    assert_eq!(s.shipment_mode_id.0, post.id);
    let address = s.contact_address.as_ref().expect("the address");
    assert_eq!(
        (address.line1.as_str(), address.town.as_str()),
        ("Rue du Rhône 1", "Genève")
    );
    let d = client.get_order_details(order, None).await.unwrap();
    assert!(d.sale_amount.0 > before.0, "the postage is paid");
    let page = payment(&b).await;
    assert_eq!(page.status, "ready", "{page:?}");
    let tx = page.transaction_id.clone().unwrap();

    // the same form again (a double submit): the same payment, nothing written again
    let calls = |name: &str| shop.sandbox_calls(name);
    let shipments_before = calls("createShipment");
    let r = call(
        &b,
        app::routes::checkout::StartPayment::PATH,
        &by_post(post.id),
    )
    .await;
    assert_eq!(location(&r), "/pay");
    assert_eq!(payment(&b).await.transaction_id, Some(tx.clone()));
    assert_eq!(calls("createShipment"), shipments_before);
    assert_eq!(
        calls("createCulturalContact") + calls("createCulturalContacts"),
        1
    );

    // back to checkout, e-tickets instead: the fee goes, a new payment for the new amount
    let free = view.modes.iter().find(|m| !m.address_required).unwrap();
    let r = call(
        &b,
        app::routes::checkout::StartPayment::PATH,
        &guest(&[("shipment_mode", &free.id.to_string())]),
    )
    .await;
    assert_eq!(location(&r), "/pay");
    let d = client.get_order_details(order, None).await.unwrap();
    assert_eq!(d.sale_amount, before, "no postage any more");
    let again = payment(&b).await;
    assert_ne!(
        again.transaction_id,
        Some(tx),
        "a payment for the new amount"
    );
    assert_eq!(
        client.get_shipments(order).await.unwrap()[0]
            .shipment_mode_id
            .0,
        free.id
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_needs_each_holders_name() {
    let shop = Shop::start(&[]).await;
    let b = Browser::new(&shop.base);
    let order = cart(&shop, &b).await;
    // two subscriptions in the same cart (season tickets are nominative at CUBE)
    let tenant = shop.tenant("CUBE");
    let snap = tenant.catalog.snapshot().unwrap();
    let subs = snap
        .catalog
        .products()
        .find(|p| p.package_line.is_some())
        .expect("the subscription");
    let line = subs.package_line.as_ref().unwrap();
    let price = line.prices.iter().find(|p| p.amount.0 > 0).unwrap();
    tenant
        .catalog
        .client()
        .create_or_update_order(&CreateOrUpdateOrderRequest {
            point_of_sales_id: Some(snap.pos.pos_id),
            order_id: Some(order),
            composed_product_operations: vec![ComposedProductOperation {
                product_id: subs.id,
                audience_sub_category_id: price.aud_sub_cat_id,
                quantity: 2,
                seat_category_id: price.seat_cat_id,
                seat_ids: None,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    let view = checkout_view(&b).await;
    assert_eq!(
        view.holders.len(),
        2,
        "one name per subscription: {:?}",
        view.holders
    );
    assert!(
        view.holders[0].label.contains("ticket 1"),
        "{:?}",
        view.holders[0]
    );

    // no names: each missing one is reported
    let said =
        refused(call(&b, app::routes::checkout::StartPayment::PATH, &guest(&[])).await).await;
    for f in [
        "holders.0.first_name",
        "holders.0.last_name",
        "holders.1.first_name",
        "holders.1.last_name",
    ] {
        assert!(said.contains(f), "{f} in {said}");
    }
    // names given: written on every performance of each subscription, then the payment
    let m0 = view.holders[0].movement_id.to_string();
    let m1 = view.holders[1].movement_id.to_string();
    let r = call(
        &b,
        app::routes::checkout::StartPayment::PATH,
        &guest(&[
            ("holders[0][movement_id]", &m0),
            ("holders[0][first_name]", "Grace"),
            ("holders[0][last_name]", "Hopper"),
            ("holders[1][movement_id]", &m1),
            ("holders[1][first_name]", "Alan"),
            ("holders[1][last_name]", "Turing"),
        ]),
    )
    .await;
    assert_eq!(location(&r), "/pay", "{}", r.status());
    let d = tenant
        .catalog
        .client()
        .get_order_details(order, Some(s360::model::order::Granularity::Movements))
        .await
        .unwrap();
    let named: Vec<String> = d
        .movements
        .iter()
        .filter_map(|m| m.contact_data.as_ref())
        .filter_map(|c| c.last_name.clone())
        .collect();
    let per_subscription = line.performance_ids.len();
    assert_eq!(
        named.iter().filter(|n| *n == "Hopper").count(),
        per_subscription
    );
    assert_eq!(
        named.iter().filter(|n| *n == "Turing").count(),
        per_subscription
    );
    assert_eq!(payment(&b).await.status, "ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_line_keeps_fewer_tickets_and_releases_the_others() {
    let shop = Shop::start(&[]).await;
    let b = Browser::new(&shop.base);
    let order = cart(&shop, &b).await;
    let client = shop.tenant("CUBE").catalog.client().clone();
    let movements = |d: &s360::model::order::OrderDetailsData| d.movements.len();
    let details = || async {
        client
            .get_order_details(order, Some(s360::model::order::Granularity::Movements))
            .await
            .unwrap()
    };
    let view: shop::model::CartView = call(&b, app::routes::cart::GetCart::PATH, &[])
        .await
        .json()
        .await
        .unwrap();
    let line = &view.lines[0];
    assert_eq!(line.quantity, 2);
    let ids = line
        .movement_ids
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    // more than the line has, or none: refused in words, as the buyer's mistake (4xx)
    let r = call(
        &b,
        app::routes::cart::ChangeQuantity::PATH,
        &[("movement_ids", ids.clone()), ("units", "3".into())],
    )
    .await;
    assert!(
        r.status().is_client_error() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    assert_eq!(movements(&details().await), 2);
    // one ticket kept: the other seat is released in S-360
    let r = call(
        &b,
        app::routes::cart::ChangeQuantity::PATH,
        &[("movement_ids", ids.clone()), ("units", "1".into())],
    )
    .await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    let d = details().await;
    assert_eq!(movements(&d), 1);
    assert_eq!(
        d.movements[0].movement_id.0, line.movement_ids[0],
        "the first one is kept"
    );
    // the old line (with the released movement) is gone: a clear refusal
    let r = call(
        &b,
        app::routes::cart::ChangeQuantity::PATH,
        &[("movement_ids", ids), ("units", "1".into())],
    )
    .await;
    let body = r.text().await.unwrap();
    assert!(body.contains("no longer in your cart"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_cart_is_held_again_with_the_same_seats() {
    let shop = Shop::start(&[]).await;
    assert!(shop.sandbox().set_order_abandon_delay("CUBE", 2));
    let b = Browser::new(&shop.base);
    let order = cart(&shop, &b).await;
    let client = shop.tenant("CUBE").catalog.client().clone();
    let seats = |d: &s360::model::order::OrderDetailsData| {
        let mut s: Vec<_> = d.movements.iter().filter_map(|m| m.seat_id).collect();
        s.sort_by_key(|x| x.0);
        s
    };
    let held = seats(
        &client
            .get_order_details(order, Some(s360::model::order::Granularity::Movements))
            .await
            .unwrap(),
    );
    assert_eq!(held.len(), 2);
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let view: shop::model::CartView = call(&b, app::routes::cart::GetCart::PATH, &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(
        view.expired && view.can_reopen && view.lines.is_empty(),
        "{view:?}"
    );
    assert!(shop.sandbox().set_order_abandon_delay("CUBE", 1200));
    let r = call(&b, app::routes::cart::ReopenCart::PATH, &[]).await;
    assert_eq!(location(&r), "/cart", "{}", r.status());
    let view: shop::model::CartView = call(&b, app::routes::cart::GetCart::PATH, &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view.order_id, Some(order.0), "the same order");
    assert!(!view.expired && view.lines.len() == 1, "{view:?}");
    let d = client
        .get_order_details(order, Some(s360::model::order::Granularity::Movements))
        .await
        .unwrap();
    assert_eq!(seats(&d), held, "the same seats");
    // asking again: nothing left to reopen, said in words
    let r = call(&b, app::routes::cart::ReopenCart::PATH, &[]).await;
    let body = r.text().await.unwrap();
    assert!(body.contains("no longer free"), "{body}");
}
