//! "A paid order is never lost or closed twice": the buyer's journey over HTTP against the real
//! application and its embedded sandbox, with the return, the notification, timeouts and
//! outages arriving in every order. Each case checks exactly one sale: the order CLOSED, the
//! right number of tickets, the stock taken once, the buyer's view, and no 5xx.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use leptos::server_fn::ServerFn;
use s360::model::order::{OrderId, OrderState};
use s360::model::ticket::{GetTicketsRequest, TicketState};
use sandbox::faults::Faults;
use server::config::Settings;
use server::startup::Running;

const QUANTITY: u32 = 2;
const PAYS: &str = "4111111111111111";
const REFUSED: &str = "4000000000000002";

struct Shop {
    base: String,
    running: Running,
}

impl Shop {
    async fn start(env: &[(&str, &str)]) -> Shop {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut settings =
            Settings::from_lookup(|k| env.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()))
                .unwrap();
        settings.listen = "127.0.0.1:0".parse().unwrap();
        let running = server::startup::start(settings).await.unwrap();
        let base = format!("http://{}", running.addr);
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let r = http.get(format!("{base}/readyz")).send().await.unwrap();
            if r.status() == 200 {
                break;
            }
            assert!(Instant::now() < deadline, "never ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Shop { base, running }
    }

    fn sandbox(&self) -> &sandbox::Sandbox {
        self.running.state.sandbox.as_ref().unwrap()
    }

    fn tenant(&self) -> Arc<app::ssr::Tenant> {
        self.running
            .state
            .shop
            .tenants
            .iter()
            .find(|t| t.code == "CUBE")
            .cloned()
            .unwrap()
    }

    fn set_faults(&self, f: Faults) {
        self.sandbox().set_faults(f);
    }

    /// Seats sold or held at CUBE, all performances together.
    fn stock_taken(&self) -> u32 {
        let inst = self.sandbox().institution("CUBE").unwrap();
        let inst = inst.lock().unwrap();
        inst.stock.values().map(|c| c.taken).sum()
    }

    /// The order as the sandbox has it: state and secret.
    fn order(&self, id: OrderId) -> (OrderState, String) {
        let inst = self.sandbox().institution("CUBE").unwrap();
        let inst = inst.lock().unwrap();
        let o = &inst.orders.orders[&id];
        (o.state, o.secret.clone())
    }

    async fn wait_state(&self, id: OrderId, want: OrderState, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let (state, _) = self.order(id);
            if state == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "order {id:?} still {state:?}, expected {want:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Exactly one sale: CLOSED, `QUANTITY` valid tickets, the stock taken once.
    async fn assert_sold_once(&self, id: OrderId, stock_before: u32) {
        let client = self.tenant().catalog.client().clone();
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
        assert_eq!(self.stock_taken(), stock_before + QUANTITY);
    }

    /// A priced performance of CUBE on sale: (product, performance, seat category, tariff).
    fn offer(&self) -> (i64, i64, i64, i64) {
        let snap = self.tenant().catalog.snapshot().unwrap();
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
                            .map(move |pr| {
                                (p.id.0, perf.id.0, pr.seat_cat_id.0, pr.aud_sub_cat_id.0)
                            })
                    })
            })
            .next();
        found.expect("a priced CUBE performance")
    }
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
        let url = format!("{}{path}", self.base);
        self.send(
            self.http
                .post(url)
                .header("referer", format!("{}/", self.base))
                .form(form),
        )
        .await
    }

    /// Cart with `QUANTITY` tickets, guest details, payment started: (order, transaction).
    async fn checkout(&self, shop: &Shop) -> (OrderId, String) {
        let (_, perf, cat, tariff) = shop.offer();
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
        let cart: app::model::CartView = self
            .call(app::routes::cart::GetCart::PATH, &[])
            .await
            .json()
            .await
            .unwrap();
        let order_id = OrderId(cart.order_id.expect("a cart order"));
        let r = self
            .call(
                app::routes::checkout::StartPayment::PATH,
                &[
                    ("first_name", "Ada".into()),
                    ("last_name", "Lovelace".into()),
                    ("email", "ada@example.com".into()),
                ],
            )
            .await;
        assert_eq!(location(&r), "/pay", "start payment: {}", r.status());
        let page: app::routes::checkout::PaymentPage = self
            .call(app::routes::checkout::GetPayment::PATH, &[])
            .await
            .json()
            .await
            .unwrap();
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
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http
        .post(format!("{}/epc/pay/{tid}", shop.running.s360_base_url))
        .form(&[
            ("card_number", card),
            ("expiry", "12/45"),
            ("cvc", "123"),
            ("action", "pay"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "pay: {}", r.status());
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        to.starts_with(&format!("{}/payment/return", shop.base)),
        "{to}"
    );
    to
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

const NO_RECONCILE: &[(&str, &str)] = &[("SHOP_RECONCILE_SECS", "3600")];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn return_twice_at_once_and_the_notification_sell_once() {
    let shop = Shop::start(NO_RECONCILE).await;
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken();
    let (order, tid) = buyer.checkout(&shop).await;
    assert_eq!(shop.stock_taken(), before + QUANTITY, "held once");
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
    shop.wait_state(order, OrderState::Closed, Duration::from_secs(5))
        .await;
    // the notification arrives too (or already did): still one sale
    tokio::time::sleep(Duration::from_millis(300)).await;
    shop.assert_sold_once(order, before).await;
    let (_, secret) = shop.order(order);
    let html = buyer.order_page(order, &secret).await;
    assert!(html.contains("Paid and confirmed"), "{html}");
    // a reload of the return page after the end: back to the cart, nothing happens
    let r = buyer.get(&back).await;
    assert_eq!(location(&r), "/cart");
    shop.assert_sold_once(order, before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_notification_the_return_closes() {
    let shop = Shop::start(NO_RECONCILE).await;
    shop.set_faults(Faults {
        drop_payment_notifications: true,
        ..Default::default()
    });
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken();
    let (order, tid) = buyer.checkout(&shop).await;
    let back = pay(&shop, &tid, PAYS).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        shop.order(order).0,
        OrderState::Running,
        "nobody closed it yet"
    );
    let r = buyer.get(&back).await;
    let to = location(&r);
    assert!(
        to.starts_with(&format!("/orders/{}?access=", order.0)),
        "{to}"
    );
    assert_eq!(shop.order(order).0, OrderState::Closed);
    shop.assert_sold_once(order, before).await;
    let html = buyer.get(&to).await.text().await.unwrap();
    assert!(html.contains("Paid and confirmed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tab_closed_the_notification_alone_closes() {
    let shop = Shop::start(NO_RECONCILE).await;
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken();
    let (order, tid) = buyer.checkout(&shop).await;
    let _never_visited = pay(&shop, &tid, PAYS).await;
    shop.wait_state(order, OrderState::Closed, Duration::from_secs(10))
        .await;
    shop.assert_sold_once(order, before).await;
    let (_, secret) = shop.order(order);
    assert!(buyer
        .order_page(order, &secret)
        .await
        .contains("Paid and confirmed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tab_closed_and_notification_lost_a_reconciliation_pass_closes() {
    let shop = Shop::start(NO_RECONCILE).await;
    shop.set_faults(Faults {
        drop_payment_notifications: true,
        ..Default::default()
    });
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken();
    let (order, tid) = buyer.checkout(&shop).await;
    let tenant = shop.tenant();
    assert!(app::purchase::registered_payments(&tenant)
        .iter()
        .any(|(id, _)| *id == order));
    let _never_visited = pay(&shop, &tid, PAYS).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(shop.order(order).0, OrderState::Running);
    let pass = server::reconcile::reconcile_tenant(&tenant).await;
    assert_eq!((pass.checked, pass.finalised, pass.errors), (1, 1, 0));
    assert_eq!(shop.order(order).0, OrderState::Closed);
    shop.assert_sold_once(order, before).await;
    // forgotten once final: the next pass has nothing to do
    let pass = server::reconcile::reconcile_tenant(&tenant).await;
    assert_eq!(pass.checked, 0);
    shop.assert_sold_once(order, before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tab_closed_and_notification_lost_the_periodic_task_closes() {
    let shop = Shop::start(&[("SHOP_RECONCILE_SECS", "1")]).await;
    shop.set_faults(Faults {
        drop_payment_notifications: true,
        ..Default::default()
    });
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken();
    let (order, tid) = buyer.checkout(&shop).await;
    let _never_visited = pay(&shop, &tid, PAYS).await;
    shop.wait_state(order, OrderState::Closed, Duration::from_secs(10))
        .await;
    shop.assert_sold_once(order, before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_order_times_out_after_closing_the_return_still_lands_on_the_order() {
    let shop = Shop::start(&[
        ("SHOP_RECONCILE_SECS", "3600"),
        ("S360_REQUEST_TIMEOUT_MS", "300"),
    ])
    .await;
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken();
    let (order, tid) = buyer.checkout(&shop).await;
    shop.set_faults(Faults {
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
    assert_eq!(shop.order(order).0, OrderState::Closed, "the work was done");
    let errors = |m: &str| {
        shop.tenant()
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
    shop.set_faults(Faults::default());
    let html = buyer.get(&to).await.text().await.unwrap();
    assert!(html.contains("Paid and confirmed"), "{html}");
    shop.assert_sold_once(order, before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s360_down_on_return_then_the_next_visit_closes() {
    let shop = Shop::start(NO_RECONCILE).await;
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken();
    let (order, tid) = buyer.checkout(&shop).await;
    shop.set_faults(Faults {
        drop_payment_notifications: true,
        ..Default::default()
    });
    let back = pay(&shop, &tid, PAYS).await;
    shop.set_faults(Faults {
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
    assert_eq!(shop.order(order).0, OrderState::Running);
    // the order page itself during the outage: a friendly problem, not a 5xx
    let html = buyer.get(&to).await.text().await.unwrap();
    assert!(html.contains("busy or unreachable"), "{html}");
    shop.set_faults(Faults::default());
    // S-360 is back; the client's breaker may still be cooling down (10 s): the buyer reloads
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let html = buyer.get(&to).await.text().await.unwrap();
        if html.contains("Paid and confirmed") {
            break;
        }
        assert!(html.contains("busy or unreachable"), "{html}");
        assert!(Instant::now() < deadline, "never closed: {html}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    shop.assert_sold_once(order, before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_card_releases_the_order_and_its_seats() {
    let shop = Shop::start(NO_RECONCILE).await;
    let buyer = Buyer::new(&shop);
    let before = shop.stock_taken();
    let (order, tid) = buyer.checkout(&shop).await;
    let back = pay(&shop, &tid, REFUSED).await;
    let r = buyer.get(&back).await;
    let to = location(&r);
    assert!(
        to.starts_with(&format!("/orders/{}?access=", order.0)),
        "{to}"
    );
    shop.wait_state(order, OrderState::Abandonned, Duration::from_secs(5))
        .await;
    assert_eq!(shop.stock_taken(), before, "seats released");
    let html = buyer.get(&to).await.text().await.unwrap();
    assert!(html.contains("The payment was refused"), "{html}");
    let tickets = shop
        .tenant()
        .catalog
        .client()
        .get_tickets(&GetTicketsRequest {
            order_id: Some(order.0),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(tickets
        .iter()
        .all(|t| !matches!(t.ticket_state, TicketState::Valid | TicketState::NotPrinted)));
}
