//! "A paid order is never lost or closed twice": the buyer's journey over HTTP against the real
//! application and its embedded sandbox, with the return, the notification, timeouts and
//! outages arriving in every order. Each case checks exactly one sale: the order CLOSED, the
//! right number of tickets, the stock taken once, the buyer's view, and no 5xx.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use leptos::server_fn::ServerFn;
use s360::model::order::{OrderId, OrderState, PaymentState};
use s360::model::ticket::{GetTicketsRequest, TicketState};
use sandbox::faults::Faults;

use crate::support::{self, location, Shop, TempDir};

const QUANTITY: u32 = 2;
const PAYS: &str = "4111111111111111";
const REFUSED: &str = "4000000000000002";
/// 3-D Secure in the sandbox: paid after the pending delay, without freezing the hold.
const AUTHENTICATES: &str = "4000000000003220";

/// The institution every case buys at.
const CUBE: &str = "CUBE";

/// The order's payments as the sandbox has them: (state, transaction, return URL, notify URL).
fn payments(
    shop: &Shop,
    id: OrderId,
) -> Vec<(PaymentState, Option<String>, String, Option<String>)> {
    let inst = shop.sandbox().institution(CUBE).unwrap();
    let inst = inst.lock().unwrap();
    inst.orders.orders[&id]
        .payments
        .iter()
        .map(|p| {
            (
                p.data.payment_state,
                p.data.transaction_id.clone(),
                p.return_url.clone(),
                p.notify_url.clone(),
            )
        })
        .collect()
}

/// The access token of the shop's link to the order.
fn access(shop: &Shop, id: OrderId) -> String {
    shop.tenant(CUBE).order_link_token(id.0)
}

/// Exactly one sale: CLOSED, `QUANTITY` valid tickets, the stock taken once.
async fn assert_sold_once(shop: &Shop, id: OrderId, stock_before: u32) {
    let client = shop.tenant(CUBE).catalog.client().clone();
    let d = client.get_order_details(id, None).await.unwrap();
    assert_eq!(d.order_state, OrderState::Closed);
    let tickets = client
        .get_tickets(&GetTicketsRequest {
            order_id: Some(id.0),
            ..Default::default()
        })
        .await
        .unwrap();
    let valid = tickets
        .iter()
        .filter(|t| matches!(t.ticket_state, TicketState::Valid | TicketState::NotPrinted))
        .count();
    assert_eq!(valid, QUANTITY as usize, "tickets: {tickets:?}");
    assert_eq!(shop.stock_taken(CUBE), stock_before + QUANTITY);
}

/// A priced performance of CUBE on sale: (product, performance, seat category, tariff).
fn offer(shop: &Shop) -> (i64, i64, i64, i64) {
    let snap = shop.tenant(CUBE).catalog.snapshot().unwrap();
    let found = snap
        .catalog
        .products()
        .filter(|p| p.state.on_sale())
        .flat_map(|p| {
            p.event
                .iter()
                .flat_map(|e| e.performances.iter())
                .filter(|perf| perf.state.on_sale())
                .flat_map(move |perf| {
                    perf.prices
                        .iter()
                        .filter(|pr| pr.amount.0 > 0)
                        .map(move |pr| (p.id.0, perf.id.0, pr.seat_cat_id.0, pr.aud_sub_cat_id.0))
                })
        })
        .next();
    found.expect("a priced CUBE performance")
}

/// A browser: keeps the shop's session cookie, never follows redirects (they are asserted).
struct Buyer {
    http: reqwest::Client,
    base: String,
    cookie: Mutex<Option<String>>,
}

impl Buyer {
    fn new(shop: &Shop) -> Arc<Buyer> {
        Arc::new(Buyer {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(60))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: shop.base.clone(),
            cookie: Mutex::new(None),
        })
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> reqwest::Response {
        let cookie = self.cookie.lock().unwrap().clone();
        let req = match cookie {
            Some(c) => req.header("cookie", c),
            None => req,
        };
        let r = req.send().await.unwrap();
        if let Some(set) = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("shop_session="))
        {
            let pair = set.split(';').next().unwrap_or_default().to_string();
            *self.cookie.lock().unwrap() = Some(pair);
        }
        assert!(
            !r.status().is_server_error(),
            "{} answered {}",
            r.url(),
            r.status()
        );
        r
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        self.send(self.http.get(url)).await
    }

    /// A server function, posted as its ActionForm would be without JavaScript.
    async fn call(&self, path: &str, form: &[(&str, String)]) -> reqwest::Response {
        self.call_with(path, form, &[]).await
    }

    async fn call_with(
        &self,
        path: &str,
        form: &[(&str, String)],
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let url = format!("{}{path}", self.base);
        let mut req = self
            .http
            .post(url)
            .header("referer", format!("{}/", self.base))
            .form(form);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(req).await
    }

    /// The payment page's data.
    async fn payment_page(&self) -> app::routes::checkout::PaymentPage {
        self.call(app::routes::checkout::GetPayment::PATH, &[])
            .await
            .json()
            .await
            .unwrap()
    }

    /// Cart with `QUANTITY` tickets, guest details, payment started: (order, transaction).
    async fn checkout(&self, shop: &Shop) -> (OrderId, String) {
        self.checkout_with(shop, &[]).await
    }

    /// The same, every request carrying `headers`.
    async fn checkout_with(&self, shop: &Shop, headers: &[(&str, &str)]) -> (OrderId, String) {
        let (_, perf, cat, tariff) = offer(shop);
        let r = self
            .call(
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
        let cart: shop::model::CartView = self
            .call(app::routes::cart::GetCart::PATH, &[])
            .await
            .json()
            .await
            .unwrap();
        let order_id = OrderId(cart.order_id.expect("a cart order"));
        let r = self
            .call_with(
                app::routes::checkout::StartPayment::PATH,
                &[
                    ("first_name", "Ada".into()),
                    ("last_name", "Lovelace".into()),
                    ("email", "ada@example.com".into()),
                ],
                headers,
            )
            .await;
        assert_eq!(location(&r), "/pay", "start payment: {}", r.status());
        let page: app::routes::checkout::PaymentPage = self
            .call_with(app::routes::checkout::GetPayment::PATH, &[], headers)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page.status, "ready", "{page:?}");
        (order_id, page.transaction_id.expect("a transaction"))
    }

    /// The order page as the buyer sees it.
    async fn order_page(&self, id: OrderId, secret: &str) -> String {
        let r = self.get(&format!("/orders/{}?access={secret}", id.0)).await;
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    }
}

/// Posts the sandbox's hosted card page; returns the shop's RETURN_URL it redirects to.
async fn pay(shop: &Shop, tid: &str, card: &str) -> String {
    let to = submit_card(shop, tid, card, "pay").await;
    assert!(
        to.starts_with(&format!("{}/payment/return", shop.base)),
        "{to}"
    );
    to
}

/// The card form with `action` (`pay` or `cancel`); returns where S-PAY sends the buyer.
async fn submit_card(shop: &Shop, tid: &str, card: &str, action: &str) -> String {
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http
        .post(format!("{}/epc/pay/{tid}", shop.running.s360_base_url))
        .form(&[
            ("card_number", card),
            ("expiry", "12/45"),
            ("cvc", "123"),
            ("action", action),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "pay: {}", r.status());
    r.headers()["location"].to_str().unwrap().to_string()
}

const NO_RECONCILE: &[(&str, &str)] = &[("SHOP_RECONCILE_SECS", "3600")];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn return_twice_at_once_and_the_notification_sell_once() {
    let shop = Shop::start(NO_RECONCILE).await;
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken(CUBE);
    let (order, tid) = buyer.checkout(&shop).await;
    assert_eq!(shop.stock_taken(CUBE), before + QUANTITY, "held once");
    let back = pay(&shop, &tid, PAYS).await;
    let (a, b) = {
        let (b1, b2) = (buyer.clone(), buyer.clone());
        let (u1, u2) = (back.clone(), back.clone());
        tokio::join!(
            tokio::spawn(async move { location(&b1.get(&u1).await) }),
            tokio::spawn(async move { location(&b2.get(&u2).await) }),
        )
    };
    let (secret_url, other) = (a.unwrap(), b.unwrap());
    let order_url = format!("/orders/{}?access=", order.0);
    for to in [&secret_url, &other] {
        // the second may find the cart already settled by the first
        assert!(to.starts_with(&order_url) || to == "/cart", "{to}");
    }
    assert!(secret_url.starts_with(&order_url) || other.starts_with(&order_url));
    shop.wait_order_state(CUBE, order, OrderState::Closed, Duration::from_secs(5))
        .await;
    // the notification arrives too (or already did): still one sale
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_sold_once(&shop, order, before).await;
    let secret = access(&shop, order);
    let html = buyer.order_page(order, &secret).await;
    assert!(html.contains("Paid and confirmed"), "{html}");
    // a reload of the return page after the end: its signed reference leads to the order
    // page again, nothing else happens
    let r = buyer.get(&back).await;
    assert!(location(&r).starts_with(&order_url), "{}", location(&r));
    assert_sold_once(&shop, order, before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_notification_the_return_closes() {
    let shop = Shop::start(NO_RECONCILE).await;
    shop.sandbox().set_faults(Faults {
        drop_payment_notifications: true,
        ..Default::default()
    });
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken(CUBE);
    let (order, tid) = buyer.checkout(&shop).await;
    let back = pay(&shop, &tid, PAYS).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        shop.order_state(CUBE, order),
        OrderState::Running,
        "nobody closed it yet"
    );
    let r = buyer.get(&back).await;
    let to = location(&r);
    assert!(
        to.starts_with(&format!("/orders/{}?access=", order.0)),
        "{to}"
    );
    assert_eq!(shop.order_state(CUBE, order), OrderState::Closed);
    assert_sold_once(&shop, order, before).await;
    let html = buyer.get(&to).await.text().await.unwrap();
    assert!(html.contains("Paid and confirmed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tab_closed_the_notification_alone_closes() {
    let shop = Shop::start(NO_RECONCILE).await;
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken(CUBE);
    let (order, tid) = buyer.checkout(&shop).await;
    let _never_visited = pay(&shop, &tid, PAYS).await;
    shop.wait_order_state(CUBE, order, OrderState::Closed, Duration::from_secs(10))
        .await;
    assert_sold_once(&shop, order, before).await;
    let secret = access(&shop, order);
    assert!(buyer
        .order_page(order, &secret)
        .await
        .contains("Paid and confirmed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tab_closed_and_notification_lost_a_reconciliation_pass_closes() {
    let shop = Shop::start(NO_RECONCILE).await;
    shop.sandbox().set_faults(Faults {
        drop_payment_notifications: true,
        ..Default::default()
    });
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken(CUBE);
    let (order, tid) = buyer.checkout(&shop).await;
    let tenant = shop.tenant(CUBE);
    assert!(shop::payment::registered_payments(&tenant)
        .iter()
        .any(|p| p.order_id == order.0 && p.transactions == [tid.clone()]));
    let _never_visited = pay(&shop, &tid, PAYS).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(shop.order_state(CUBE, order), OrderState::Running);
    let pass = server::reconcile::reconcile_tenant(&tenant).await;
    assert_eq!((pass.checked, pass.finalised, pass.errors), (1, 1, 0));
    assert_eq!(shop.order_state(CUBE, order), OrderState::Closed);
    assert_sold_once(&shop, order, before).await;
    // forgotten once final: the next pass has nothing to do
    let pass = server::reconcile::reconcile_tenant(&tenant).await;
    assert_eq!(pass.checked, 0);
    assert_sold_once(&shop, order, before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tab_closed_and_notification_lost_the_periodic_task_closes() {
    let shop = Shop::start(&[("SHOP_RECONCILE_SECS", "1")]).await;
    shop.sandbox().set_faults(Faults {
        drop_payment_notifications: true,
        ..Default::default()
    });
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken(CUBE);
    let (order, tid) = buyer.checkout(&shop).await;
    let _never_visited = pay(&shop, &tid, PAYS).await;
    shop.wait_order_state(CUBE, order, OrderState::Closed, Duration::from_secs(10))
        .await;
    assert_sold_once(&shop, order, before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_order_times_out_after_closing_the_return_still_lands_on_the_order() {
    let shop = Shop::start(&[
        ("SHOP_RECONCILE_SECS", "3600"),
        ("S360_REQUEST_TIMEOUT_MS", "300"),
    ])
    .await;
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken(CUBE);
    let (order, tid) = buyer.checkout(&shop).await;
    shop.sandbox().set_faults(Faults {
        drop_payment_notifications: true,
        close_order_delay_ms: 1_000,
        ..Default::default()
    });
    let back = pay(&shop, &tid, PAYS).await;
    let r = buyer.get(&back).await;
    let to = location(&r);
    assert!(
        to.starts_with(&format!("/orders/{}?access=", order.0)),
        "{to}"
    );
    assert_eq!(
        shop.order_state(CUBE, order),
        OrderState::Closed,
        "the work was done"
    );
    let errors = |m: &str| {
        shop.tenant(CUBE)
            .catalog
            .client()
            .metrics()
            .calls
            .iter()
            .filter(|((_, method), _)| method == m)
            .map(|(_, s)| s.errors)
            .sum::<u64>()
    };
    assert!(
        errors("notifyOrder") >= 1,
        "the shop saw notifyOrder time out"
    );
    shop.sandbox().set_faults(Faults::default());
    let html = buyer.get(&to).await.text().await.unwrap();
    assert!(html.contains("Paid and confirmed"), "{html}");
    assert_sold_once(&shop, order, before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s360_down_on_return_then_the_next_visit_closes() {
    let shop = Shop::start(NO_RECONCILE).await;
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken(CUBE);
    let (order, tid) = buyer.checkout(&shop).await;
    shop.sandbox().set_faults(Faults {
        drop_payment_notifications: true,
        ..Default::default()
    });
    let back = pay(&shop, &tid, PAYS).await;
    shop.sandbox().set_faults(Faults {
        drop_payment_notifications: true,
        outage: true,
        ..Default::default()
    });
    let r = buyer.get(&back).await;
    let to = location(&r);
    assert!(
        to.starts_with(&format!("/orders/{}?access=", order.0)),
        "the secret kept in the session leads to the order page: {to}"
    );
    assert_eq!(shop.order_state(CUBE, order), OrderState::Running);
    // the order page itself during the outage: a friendly problem, not a 5xx
    let html = buyer.get(&to).await.text().await.unwrap();
    assert!(html.contains("busy or unreachable"), "{html}");
    shop.sandbox().set_faults(Faults::default());
    // S-360 is back; the client's breaker may still be cooling down (10 s): the buyer reloads
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        let html = buyer.get(&to).await.text().await.unwrap();
        if html.contains("Paid and confirmed") {
            break;
        }
        assert!(html.contains("busy or unreachable"), "{html}");
        assert!(Instant::now() < deadline, "never closed: {html}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_sold_once(&shop, order, before).await;
}

/// S-360 goes down for a whole minute just as the card is paid (S-PAY itself is up): the
/// notification fails (and S-PAY's retries with it), the buyer's return and every reload show a
/// "busy" page (never a 5xx), the reconciliation task fails quietly. When S-360 is back, the
/// periodic task closes the order without anybody visiting: one sale, tickets issued, and the
/// buyer's next visit shows it paid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s360_down_for_a_minute_during_close_then_one_sale() {
    const OUTAGE: Duration = Duration::from_secs(60);
    let shop = Shop::start(&[("SHOP_RECONCILE_SECS", "5")]).await;
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken(CUBE);
    let (order, tid) = buyer.checkout(&shop).await;
    shop.sandbox().set_faults(Faults {
        outage: true,
        ..Default::default()
    });
    let down_since = Instant::now();
    let back = pay(&shop, &tid, PAYS).await;
    let r = buyer.get(&back).await;
    let to = location(&r);
    assert!(
        to.starts_with(&format!("/orders/{}?access=", order.0)),
        "the return leads to the order page: {to}"
    );
    let mut visits = 0;
    while down_since.elapsed() < OUTAGE {
        let r = buyer.get(&to).await;
        assert!(r.status().as_u16() < 500, "no 5xx page: {}", r.status());
        let html = r.text().await.unwrap();
        assert!(html.contains("busy or unreachable"), "{html}");
        visits += 1;
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    assert!(visits >= 10, "the buyer kept reloading: {visits}");
    assert_eq!(
        shop.order_state(CUBE, order),
        OrderState::Running,
        "nothing closed while down"
    );
    shop.sandbox().set_faults(Faults::default());
    // nobody visits: the periodic reconciliation closes it once the breaker lets calls through
    shop.wait_order_state(CUBE, order, OrderState::Closed, Duration::from_secs(45))
        .await;
    assert_sold_once(&shop, order, before).await;
    let html = buyer.get(&to).await.text().await.unwrap();
    assert!(html.contains("Paid and confirmed"), "{html}");
}

/// A card is refused: the order stays RUNNING with its seats held, the buyer is sent back to
/// the payment page with the reason and a new payment; a second card pays: one sale. The same
/// after a cancelled payment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_card_then_another_card_sells_once() {
    let shop = Shop::start(NO_RECONCILE).await;
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken(CUBE);
    let (order, tid) = buyer.checkout(&shop).await;
    let back = pay(&shop, &tid, REFUSED).await;
    let r = buyer.get(&back).await;
    assert_eq!(location(&r), "/pay", "back to the payment page");
    // the refused notification arrives too: nothing is released
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(shop.order_state(CUBE, order), OrderState::Running);
    assert_eq!(
        shop.stock_taken(CUBE),
        before + QUANTITY,
        "seats still held"
    );

    let page = buyer.payment_page().await;
    assert_eq!(page.status, "ready", "{page:?}");
    let notice = page.notice.clone().expect("a notice");
    assert!(
        notice.contains("Your card was refused; your seats are held until ")
            && notice.contains("try another card"),
        "{notice}"
    );
    let hold = page.hold.clone().expect("the hold");
    assert!(hold.contains("held until"), "{hold}");
    // the time names its zone (the sandbox's institutions are on UTC+01:00)
    assert!(hold.contains(" (UTC+01:00)"), "{hold}");
    assert!(
        notice.contains(" (UTC+01:00); try another card"),
        "{notice}"
    );
    let tid2 = page.transaction_id.clone().unwrap();
    assert_ne!(tid2, tid, "a new payment");
    // a reload shows the same new payment, still with the reason
    let again = buyer.payment_page().await;
    assert_eq!(again.transaction_id.as_deref(), Some(tid2.as_str()));
    assert_eq!(again.notice, page.notice);
    // the order page offers the retry while the card is refused... (seen by link only)
    let registered = shop::payment::registered_payment(&shop.tenant(CUBE), order).unwrap();
    assert_eq!(registered.transactions, [tid.clone(), tid2.clone()]);

    // cancelled this time: again back to a new payment
    let back = submit_card(&shop, &tid2, "", "cancel").await;
    assert_eq!(location(&buyer.get(&back).await), "/pay");
    let page = buyer.payment_page().await;
    assert!(
        page.notice
            .as_deref()
            .unwrap_or_default()
            .contains("cancelled"),
        "{page:?}"
    );
    let tid3 = page.transaction_id.unwrap();
    assert!(tid3 != tid && tid3 != tid2);

    let back = pay(&shop, &tid3, PAYS).await;
    let to = location(&buyer.get(&back).await);
    assert!(
        to.starts_with(&format!("/orders/{}?access=", order.0)),
        "{to}"
    );
    shop.wait_order_state(CUBE, order, OrderState::Closed, Duration::from_secs(5))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_sold_once(&shop, order, before).await;
    let states: Vec<PaymentState> = payments(&shop, order).iter().map(|p| p.0).collect();
    assert_eq!(
        states,
        [
            PaymentState::Failed,
            PaymentState::CancelledByUser,
            PaymentState::Paid
        ]
    );
    let html = buyer.get(&to).await.text().await.unwrap();
    assert!(html.contains("Paid and confirmed"), "{html}");
    // the old transactions' pages take no more cards
    let page = reqwest::get(format!("{}/epc/pay/{tid}", shop.running.s360_base_url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Payment refused"), "{page}");
}

/// A refused card and nobody tries again: the hold ends as it would have (the refusal does not
/// extend it) and the seats go back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_card_then_nothing_the_hold_expiry_releases_the_seats() {
    let shop = Shop::start(NO_RECONCILE).await;
    assert!(shop.sandbox().set_order_abandon_delay("CUBE", 4));
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken(CUBE);
    let (order, tid) = buyer.checkout(&shop).await;
    let back = pay(&shop, &tid, REFUSED).await;
    assert_eq!(location(&buyer.get(&back).await), "/pay");
    shop.wait_order_state(CUBE, order, OrderState::Abandonned, Duration::from_secs(8))
        .await;
    assert_eq!(shop.stock_taken(CUBE), before, "seats released");
    // the payment page now says the time ran out, and the cart starts afresh
    let page = buyer.payment_page().await;
    assert_eq!(page.status, "expired", "{page:?}");
    assert!(page.transaction_id.is_none());
    let cart: shop::model::CartView = buyer
        .call(app::routes::cart::GetCart::PATH, &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(cart.lines.is_empty() && cart.expired, "{cart:?}");
    let secret = access(&shop, order);
    let html = buyer.order_page(order, &secret).await;
    assert!(html.contains("The payment was refused"), "{html}");
}

/// Item 5: little time left is told before paying; a payment that completes after the hold
/// expired (S-360: order ABANDONNED, payment PAID) gets an honest page, an error-level report,
/// no tickets and no 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_after_the_hold_expired_is_told_honestly() {
    let shop = Shop::start(NO_RECONCILE).await;
    assert!(shop.sandbox().set_order_abandon_delay("CUBE", 3));
    shop.sandbox()
        .set_pending_payment_delay(Duration::from_millis(5_000));
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken(CUBE);
    let (order, tid) = buyer.checkout(&shop).await;
    let page = buyer.payment_page().await;
    assert!(page.hurry, "less than two minutes left: {page:?}");
    assert!(
        page.hold
            .as_deref()
            .unwrap_or_default()
            .contains("please pay now"),
        "{page:?}"
    );
    let errors_before = shop.tenant(CUBE).orders.refund_alerts();
    // 3-D Secure: S-360 hears of the payment only once the bank confirms, after the hold ended
    let back = pay(&shop, &tid, AUTHENTICATES).await;
    assert!(back.contains("status=pending"), "{back}");
    shop.wait_order_state(CUBE, order, OrderState::Abandonned, Duration::from_secs(6))
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while payments(&shop, order)[0].0 != PaymentState::Paid {
        assert!(Instant::now() < deadline, "never paid");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        shop.stock_taken(CUBE),
        before,
        "the seats went back at expiry"
    );
    // the payment page, if the buyer goes there, says it too
    let page = buyer.payment_page().await;
    assert_eq!(page.status, "paid_too_late", "{page:?}");
    let r = buyer.get(&back).await;
    let to = location(&r);
    assert!(
        to.starts_with(&format!("/orders/{}?access=", order.0)),
        "{to}"
    );
    let html = buyer.get(&to).await.text().await.unwrap();
    assert!(
        html.contains("Your payment arrived after your seats were released")
            && html.contains("will be refunded"),
        "{html}"
    );
    assert!(
        shop.tenant(CUBE).orders.refund_alerts() > errors_before,
        "an error-level event for the refund"
    );
    assert_eq!(
        shop.order_state(CUBE, order),
        OrderState::Abandonned,
        "no sale"
    );
    assert_eq!(shop.stock_taken(CUBE), before);
    let tickets = shop
        .tenant(CUBE)
        .catalog
        .client()
        .get_tickets(&GetTicketsRequest {
            order_id: Some(order.0),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(tickets.is_empty(), "{tickets:?}");
}

/// Item 3: a notification must name an order whose payment we started, with one of its
/// transactions; anything else is refused without calling S-360 and without counting against
/// anyone, so a flood of forged notifications from the same address (or the same proxy) never
/// gets S-PAY's genuine one refused; repeats of a genuine one are throttled per order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_notifications_cost_no_s360_call_and_bursts_are_throttled() {
    let shop = Shop::start(NO_RECONCILE).await;
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken(CUBE);
    let (order, tid) = buyer.checkout(&shop).await;
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let url = format!("{}/payment/notify/CUBE", shop.base);
    let notify = |order_id: i64, tx: &str| {
        http.post(&url).json(&serde_json::json!({
            "orderId": order_id,
            "paymentId": 1,
            "transactionID": tx,
            "status": "success",
        }))
    };
    let calls = shop.sandbox_calls("getOrderDetails");
    let unknown = notify(order.0 + 1_000, &tid).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    let wrong_tx = notify(order.0, "CUBE-0123456789abcdef")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_tx.status(), 403);
    let garbage = http.post(&url).body("{not json").send().await.unwrap();
    assert_eq!(garbage.status(), 400);
    let other_shop = http
        .post(format!("{}/payment/notify/NOPE", shop.base))
        .json(&serde_json::json!({"orderId": order.0, "paymentId": 1, "transactionID": tid, "status": "success"}))
        .send()
        .await
        .unwrap();
    assert_eq!(other_shop.status(), 404);
    assert_eq!(
        shop.sandbox_calls("getOrderDetails"),
        calls,
        "S-360 was not asked"
    );

    // a flood of forged notifications from this same address: each refused, none counted
    for _ in 0..200 {
        let status = notify(order.0, "CUBE-forged")
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 403);
    }
    assert_eq!(
        shop.sandbox_calls("getOrderDetails"),
        calls,
        "S-360 was not asked"
    );

    // S-PAY's own notification (the buyer never comes back), from the same address right
    // after the flood, is taken at once and closes the order
    shop.sandbox().set_faults(Faults {
        drop_payment_notifications: true,
        ..Default::default()
    });
    let _never_visited = pay(&shop, &tid, PAYS).await;
    let genuine = notify(order.0, &tid).send().await.unwrap();
    assert_eq!(genuine.status(), 200, "the genuine notification was taken");
    shop.wait_order_state(CUBE, order, OrderState::Closed, Duration::from_secs(10))
        .await;
    assert_sold_once(&shop, order, before).await;
    // S-PAY repeating it later: acknowledged without asking S-360 again
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let calls = shop.sandbox_calls("getOrderDetails");
    let again = notify(order.0, &tid).send().await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(shop.sandbox_calls("getOrderDetails"), calls);
    assert_sold_once(&shop, order, before).await;
}

/// Item 2: with `public_origin`, S-360 gets URLs on it whatever the request's Host; without,
/// the Host over http, and `X-Forwarded-Proto` only when `SHOP_TRUST_FORWARDED_PROTO` says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s360_gets_the_configured_public_origin() {
    let https = [("x-forwarded-proto", "https")];
    let shop = Shop::start(&[
        ("SHOP_RECONCILE_SECS", "3600"),
        ("SHOP_PUBLIC_ORIGIN_CUBE", "https://tickets.cube.example"),
    ])
    .await;
    let (order, _) = Buyer::new(&shop).checkout(&shop).await;
    let (_, _, ret, notify) = payments(&shop, order).remove(0);
    // with the signed order reference that brings a buyer whose session was lost back
    assert!(
        ret.starts_with(&format!(
            "https://tickets.cube.example/payment/return?order={}&ref=",
            order.0
        )),
        "{ret}"
    );
    assert_eq!(
        notify.as_deref(),
        Some("https://tickets.cube.example/payment/notify/CUBE")
    );

    let shop = Shop::start(NO_RECONCILE).await;
    let (order, _) = Buyer::new(&shop).checkout_with(&shop, &https).await;
    let (_, _, ret, _) = payments(&shop, order).remove(0);
    assert!(
        ret.starts_with(&format!("{}/payment/return?", shop.base)),
        "not trusted: {ret}"
    );

    let shop = Shop::start(&[
        ("SHOP_RECONCILE_SECS", "3600"),
        ("SHOP_TRUST_FORWARDED_PROTO", "true"),
    ])
    .await;
    let (order, _) = Buyer::new(&shop).checkout_with(&shop, &https).await;
    let (_, _, ret, _) = payments(&shop, order).remove(0);
    assert!(
        ret.starts_with(&format!(
            "{}/payment/return?",
            shop.base.replace("http://", "https://")
        )),
        "trusted: {ret}"
    );
}

/// Item 1: the shop stops after the payment started; the buyer paid, closed the tab and every
/// notification was lost. A new shop process on the same data directory and the same S-360
/// closes the order at start-up: exactly one sale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_shop_closes_a_paid_order_nobody_finalised() {
    // one S-360 for every shop process (its own limits would only slow the test down)
    let (sb, s360) = support::external_sandbox(sandbox::Config {
        limits: sandbox::Limits {
            per_minute: 0,
            catalog_detailed_interval: Duration::from_millis(1),
        },
        ..Default::default()
    })
    .await;
    let data = TempDir::new("restart");
    let env = [
        ("S360_BASE_URL", s360.as_str()),
        ("S360_OPERATOR", "CUBE_WEB"),
        ("S360_SECRET", "sandbox"),
        ("SHOP_DATA_DIR", data.path()),
        // no periodic pass: only the one at start-up
        ("SHOP_RECONCILE_SECS", "3600"),
    ];
    let first = Shop::with(&env).sandbox(sb.clone()).start().await;
    first.sandbox().set_faults(Faults {
        drop_payment_notifications: true,
        ..Default::default()
    });
    let buyer = Buyer::new(&first);
    let before = first.stock_taken(CUBE);
    let (order, tid) = buyer.checkout(&first).await;
    let _never_visited = pay(&first, &tid, PAYS).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        first.order_state(CUBE, order),
        OrderState::Running,
        "nobody closed it"
    );
    // the process goes away without finalising anything
    first.running.server.abort();
    drop(first);
    let files: Vec<_> = std::fs::read_dir(data.0.join("payments"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");

    // the new process: its start-up reconciliation pass closes the order
    let second = Shop::with(&env).sandbox(sb.clone()).start().await;
    second
        .wait_order_state(CUBE, order, OrderState::Closed, Duration::from_secs(10))
        .await;
    assert_sold_once(&second, order, before).await;
    // and later passes leave it alone (once the start-up pass has recorded it final)
    let deadline = Instant::now() + Duration::from_secs(5);
    while !shop::payment::registered_payments(&second.tenant(CUBE)).is_empty() {
        assert!(Instant::now() < deadline, "never recorded final");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pass = server::reconcile::reconcile_tenant(&second.tenant(CUBE)).await;
    assert_eq!(pass.checked, 0);
    let notify_calls: u64 = sb
        .call_counts()
        .iter()
        .filter(|((_, m), _)| m == "notifyOrder")
        .map(|(_, n)| *n)
        .sum();
    assert_eq!(notify_calls, 1, "closed by one notifyOrder");
    assert_sold_once(&second, order, before).await;
    // a third process finds the order final: nothing to do
    let third = Shop::with(&env).sandbox(sb.clone()).start().await;
    let pass = server::reconcile::reconcile_tenant(&third.tenant(CUBE)).await;
    assert_eq!(pass.checked, 0);
    assert_sold_once(&third, order, before).await;
}
