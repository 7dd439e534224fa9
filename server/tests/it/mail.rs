//! The confirmation e-mail, against a real SMTP server on loopback: maildev (npm, installed in
//! `end2end/node_modules` by scripts/test.sh; `MAILDEV_BIN` names another), one per test on
//! free ports, read back through its REST API (`GET /email`).
//! A paid order sends exactly one mail (also when finalised again), in the buyer's language,
//! with a link that opens the order and the e-tickets PDF and the `.ics` attached; SMTP down
//! during the purchase, then up: one mail; a restart between finalising and sending: one mail;
//! "find my order" with a wrong number sends nothing and answers the same page.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use leptos::server_fn::ServerFn;
use s360::model::order::{OrderId, OrderState};
use sandbox::faults::Faults;

use crate::support::{self, location, Browser, Shop, TempDir};

const CUBE: &str = "CUBE";
const PAYS: &str = "4111111111111111";
const BUYER: &str = "ada@example.com";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A maildev process (SMTP and its web API on loopback), stopped on drop.
struct Maildev {
    child: Child,
    smtp: u16,
    web: u16,
    _dir: TempDir,
}

impl Maildev {
    fn bin() -> PathBuf {
        if let Some(b) = std::env::var_os("MAILDEV_BIN") {
            return b.into();
        }
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../end2end/node_modules/maildev/bin/maildev")
    }

    /// Started on `smtp` (a free port when `None`); returns once both ports answer.
    async fn start(smtp: Option<u16>) -> Maildev {
        let bin = Self::bin();
        assert!(
            bin.exists(),
            "maildev not found at {} (npm ci in end2end/, as scripts/test.sh does, or set MAILDEV_BIN)",
            bin.display()
        );
        let (smtp, web) = (smtp.unwrap_or_else(free_port), free_port());
        let dir = TempDir::new("maildev");
        let child = Command::new("node")
            .arg(&bin)
            .args(["--smtp", &smtp.to_string(), "--web", &web.to_string()])
            .args(["--ip", "127.0.0.1", "--web-ip", "127.0.0.1", "--silent"])
            .args(["--mail-directory", dir.path()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("node");
        let m = Maildev {
            child,
            smtp,
            web,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let up = tokio::net::TcpStream::connect(("127.0.0.1", smtp))
                .await
                .is_ok()
                && reqwest::get(format!("http://127.0.0.1:{web}/email"))
                    .await
                    .is_ok_and(|r| r.status() == 200);
            if up {
                return m;
            }
            assert!(Instant::now() < deadline, "maildev did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.smtp)
    }

    async fn emails(&self) -> Vec<serde_json::Value> {
        reqwest::get(format!("http://127.0.0.1:{}/email", self.web))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Waits until at least `n` mails arrived, then a little longer to see no more come.
    async fn wait_for(&self, n: usize, within: Duration) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.emails().await;
            if got.len() >= n {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                return self.emails().await;
            }
            assert!(
                Instant::now() < deadline,
                "{} mail(s) instead of {n}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn attachment(&self, mail: &serde_json::Value, name: &str) -> Vec<u8> {
        let id = mail["id"].as_str().unwrap();
        reqwest::get(format!(
            "http://127.0.0.1:{}/email/{id}/attachment/{name}",
            self.web
        ))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
    }
}

impl Drop for Maildev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A priced performance of CUBE on sale: (performance, seat category, tariff).
fn offer(shop: &Shop) -> (i64, i64, i64) {
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
                        .map(move |pr| (perf.id.0, pr.seat_cat_id.0, pr.aud_sub_cat_id.0))
                })
        })
        .next();
    found.expect("a priced CUBE performance")
}

/// A guest browser speaking `lang` (`Accept-Language`).
fn guest(shop: &Shop, lang: &str) -> Browser {
    let mut b = Browser::new(&shop.base);
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("accept-language", lang.parse().unwrap());
    b.http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap();
    b
}

/// A server function without arguments, answered as JSON.
async fn json<T: serde::de::DeserializeOwned>(b: &Browser, path: &str) -> T {
    b.send(
        b.http
            .post(b.url(path))
            .header("origin", &b.base)
            .header("accept", "application/json")
            .form(&[] as &[(&str, &str)]),
    )
    .await
    .json()
    .await
    .unwrap()
}

/// Two tickets in the cart, the guest's details, the payment started and paid at S-PAY: the
/// order and the shop's return URL (not visited yet).
async fn buy(shop: &Shop, b: &Browser) -> (OrderId, String) {
    let (perf, cat, tariff) = offer(shop);
    let r = b
        .post_form(
            app::routes::performance::AddToCart::PATH,
            &[
                ("performance_id", &perf.to_string()),
                ("seat_category_id", &cat.to_string()),
                ("tariff_id", &tariff.to_string()),
                ("quantity", "2"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/cart", "add to cart: {}", r.status());
    let cart: shop::model::CartView = json(b, app::routes::cart::GetCart::PATH).await;
    let order = OrderId(cart.order_id.expect("a cart order"));
    let r = b
        .post_form(
            app::routes::checkout::StartPayment::PATH,
            &[
                ("first_name", "Ada"),
                ("last_name", "Lovelace"),
                ("email", BUYER),
            ],
        )
        .await;
    assert_eq!(location(&r), "/pay", "start payment: {}", r.status());
    let page: app::routes::checkout::PaymentPage =
        json(b, app::routes::checkout::GetPayment::PATH).await;
    let tid = page.transaction_id.expect("a transaction");
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
    assert!(r.status().is_redirection(), "pay: {}", r.status());
    (order, location(&r))
}

/// The order link of a mail's plain text: its path and query.
fn order_path(text: &str, order: OrderId) -> String {
    let marker = format!("/orders/{}?access=", order.0);
    let line = text
        .lines()
        .find(|l| l.contains(&marker))
        .unwrap_or_else(|| panic!("no order link in {text}"));
    let at = line.find(&marker).unwrap();
    line[at..].trim().to_string()
}

fn attachment_names(mail: &serde_json::Value) -> Vec<String> {
    mail["attachments"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["generatedFileName"].as_str().or(x["fileName"].as_str()))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_order_sends_one_mail_with_its_link_and_tickets_even_when_finalised_twice() {
    let smtp = Maildev::start(None).await;
    let url = smtp.url();
    let shop = Shop::start(&[("SHOP_SMTP_URL", &url), ("SHOP_RECONCILE_SECS", "3600")]).await;
    let b = guest(&shop, "en");
    let (order, back) = buy(&shop, &b).await;
    // the return and the notification both finalise; then the order page, a reconciliation
    // pass and a direct call do it again
    let r = b.get(&back).await;
    assert!(location(&r).starts_with(&format!("/orders/{}", order.0)));
    shop.wait_order_state(CUBE, order, OrderState::Closed, Duration::from_secs(10))
        .await;
    let tenant = shop.tenant(CUBE);
    shop::payment::finalize(&tenant, order).await.unwrap();
    server::reconcile::reconcile_tenant(&tenant).await;
    let mails = smtp.wait_for(1, Duration::from_secs(20)).await;
    shop::payment::finalize(&tenant, order).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let mails = if mails.len() == 1 {
        smtp.emails().await
    } else {
        mails
    };
    assert_eq!(mails.len(), 1, "exactly one mail: {mails:#?}");
    let m = &mails[0];
    assert_eq!(m["to"][0]["address"], BUYER);
    let subject = m["subject"].as_str().unwrap();
    assert!(subject.contains(&order.0.to_string()), "{subject}");
    assert!(subject.contains("Your order"), "{subject}");
    let text = m["text"].as_str().unwrap();
    assert!(text.contains("Order number"), "{text}");
    assert!(m["html"].as_str().unwrap().contains("<html lang=\"en\""));
    // the link opens the order (its host is the institution's; the path carries the secret)
    let path = order_path(text, order);
    let page = Browser::new(&shop.base).get(&path).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("data-testid=\"order-number\""), "{html}");
    // the branded e-tickets and the calendar
    let names = attachment_names(m);
    let pdf = names.iter().find(|n| n.ends_with(".pdf")).expect("a PDF");
    let ics = names.iter().find(|n| n.ends_with(".ics")).expect("an .ics");
    assert!(smtp.attachment(m, pdf).await.starts_with(b"%PDF-"));
    let cal = String::from_utf8(smtp.attachment(m, ics).await).unwrap();
    assert!(cal.starts_with("BEGIN:VCALENDAR"), "{cal}");
    let outbox = shop.running.state.mail.clone().unwrap();
    assert_eq!(outbox.rows().len(), 1, "{:?}", outbox.rows());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_french_buyer_gets_the_mail_in_french() {
    let smtp = Maildev::start(None).await;
    let url = smtp.url();
    let shop = Shop::start(&[("SHOP_SMTP_URL", &url)]).await;
    let b = guest(&shop, "fr");
    let (order, back) = buy(&shop, &b).await;
    b.get(&back).await;
    let mails = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 1);
    let subject = mails[0]["subject"].as_str().unwrap();
    assert!(subject.starts_with("Votre commande"), "{subject}");
    let text = mails[0]["text"].as_str().unwrap();
    assert!(text.contains("Numéro de commande"), "{text}");
    assert!(text.contains(&order.0.to_string()));
    assert!(mails[0]["html"]
        .as_str()
        .unwrap()
        .contains("<html lang=\"fr\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_down_during_the_purchase_then_up_the_mail_arrives_once() {
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    let shop = Shop::start(&[("SHOP_SMTP_URL", &url), ("SHOP_SMTP_RETRY_MAX_SECS", "1")]).await;
    let b = guest(&shop, "en");
    let (order, back) = buy(&shop, &b).await;
    b.get(&back).await;
    shop.wait_order_state(CUBE, order, OrderState::Closed, Duration::from_secs(10))
        .await;
    let outbox = shop.running.state.mail.clone().unwrap();
    // tried and failed at least twice while nothing listens
    let deadline = Instant::now() + Duration::from_secs(15);
    while outbox.rows().first().is_none_or(|r| r.attempts < 2) {
        assert!(Instant::now() < deadline, "{:?}", outbox.rows());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let row = &outbox.rows()[0];
    assert!(row.sent_ms.is_none() && row.last_error.is_some(), "{row:?}");
    let smtp = Maildev::start(Some(port)).await;
    let mails = smtp.wait_for(1, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(smtp.emails().await.len(), 1, "{mails:#?}");
    assert!(outbox.rows()[0].sent_ms.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_between_finalising_and_sending_sends_once() {
    let (sb, s360) = support::external_sandbox(sandbox::Config {
        limits: sandbox::Limits {
            per_minute: 0,
            catalog_detailed_interval: Duration::from_millis(1),
        },
        ..Default::default()
    })
    .await;
    let data = TempDir::new("mail-restart");
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    let env = [
        ("S360_BASE_URL", s360.as_str()),
        ("S360_OPERATOR", "CUBE_WEB"),
        ("S360_SECRET", "sandbox"),
        ("SHOP_DATA_DIR", data.path()),
        ("SHOP_SMTP_URL", url.as_str()),
        ("SHOP_SMTP_RETRY_MAX_SECS", "1"),
    ];
    let first = Shop::with(&env).sandbox(sb.clone()).start().await;
    let b = guest(&first, "en");
    let (order, back) = buy(&first, &b).await;
    b.get(&back).await;
    first
        .wait_order_state(CUBE, order, OrderState::Closed, Duration::from_secs(10))
        .await;
    let outbox = first.running.state.mail.clone().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while outbox.rows().first().is_none_or(|r| r.attempts < 1) {
        assert!(Instant::now() < deadline, "{:?}", outbox.rows());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // the process goes away with the mail unsent
    first.running.server.abort();
    if let Some(m) = &first.running.mailer {
        m.abort();
    }
    drop(outbox);
    drop(first);
    let smtp = Maildev::start(Some(port)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        smtp.emails().await.is_empty(),
        "the stopped process sent it"
    );
    let second = Shop::with(&env).sandbox(sb.clone()).start().await;
    let mails = smtp.wait_for(1, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(smtp.emails().await.len(), 1, "{mails:#?}");
    assert!(mails[0]["subject"]
        .as_str()
        .unwrap()
        .contains(&order.0.to_string()));
    let rows = second.running.state.mail.clone().unwrap().rows();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].sent_ms.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_my_order_mails_the_buyer_only_and_answers_the_same() {
    let smtp = Maildev::start(None).await;
    let url = smtp.url();
    let shop = Shop::start(&[("SHOP_SMTP_URL", &url)]).await;
    let b = guest(&shop, "en");
    let (order, back) = buy(&shop, &b).await;
    b.get(&back).await;
    smtp.wait_for(1, Duration::from_secs(20)).await;
    let stranger = Browser::new(&shop.base);
    let form = stranger.get("/find-order").await;
    assert_eq!(form.status(), 200);
    assert!(form.text().await.unwrap().contains("find-order-form"));
    let ask = |email: &'static str, number: String| {
        let stranger = &stranger;
        async move {
            let r = stranger
                .post_form("/find-order", &[("email", email), ("order", &number)])
                .await;
            assert_eq!(r.status(), 200);
            r.text().await.unwrap()
        }
    };
    let wrong_number = ask(BUYER, (order.0 + 1).to_string()).await;
    let wrong_email = ask("eve@example.com", order.0.to_string()).await;
    let garbage = ask(BUYER, "not a number".into()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        smtp.emails().await.len(),
        1,
        "nothing sent for a wrong number or address"
    );
    let right = ask(BUYER, order.0.to_string()).await;
    assert_eq!(wrong_number, right, "the same answer");
    assert_eq!(wrong_email, right);
    assert_eq!(garbage, right);
    assert!(right.contains("find-order-done"));
    let mails = smtp.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 2);
    let link_mail = &mails[1];
    assert_eq!(link_mail["to"][0]["address"], BUYER);
    let path = order_path(link_mail["text"].as_str().unwrap(), order);
    assert_eq!(Browser::new(&shop.base).get(&path).await.status(), 200);
    // asked again at once: nothing more (once per 10 minutes)
    ask(BUYER, order.0.to_string()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(smtp.emails().await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_me_my_tickets_again_once_per_ten_minutes() {
    let smtp = Maildev::start(None).await;
    let url = smtp.url();
    let shop = Shop::start(&[("SHOP_SMTP_URL", &url)]).await;
    let b = guest(&shop, "en");
    let (order, back) = buy(&shop, &b).await;
    b.get(&back).await;
    smtp.wait_for(1, Duration::from_secs(20)).await;
    let access = shop.tenant(CUBE).order_link_token(order.0);
    let other = Browser::new(&shop.base);
    // without the secret: the same 404 as for any order
    let r = other
        .post_form(&format!("/orders/{}/resend", order.0), &[])
        .await;
    assert_eq!(r.status(), 404);
    let r = other
        .post_form(&format!("/orders/{}/resend?access={access}", order.0), &[])
        .await;
    assert!(location(&r).contains("mail=sent"), "{}", location(&r));
    let r = other
        .post_form(&format!("/orders/{}/resend?access={access}", order.0), &[])
        .await;
    assert!(location(&r).contains("mail=wait"), "{}", location(&r));
    let mails = smtp.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1]["to"][0]["address"], BUYER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_card_sends_nothing() {
    let smtp = Maildev::start(None).await;
    let url = smtp.url();
    let shop = Shop::start(&[("SHOP_SMTP_URL", &url)]).await;
    shop.sandbox().set_faults(Faults::default());
    let b = guest(&shop, "en");
    let (perf, cat, tariff) = offer(&shop);
    b.post_form(
        app::routes::performance::AddToCart::PATH,
        &[
            ("performance_id", &perf.to_string()),
            ("seat_category_id", &cat.to_string()),
            ("tariff_id", &tariff.to_string()),
            ("quantity", "1"),
        ],
    )
    .await;
    b.post_form(
        app::routes::checkout::StartPayment::PATH,
        &[
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
            ("email", BUYER),
        ],
    )
    .await;
    let page: app::routes::checkout::PaymentPage =
        json(&b, app::routes::checkout::GetPayment::PATH).await;
    let tid = page.transaction_id.unwrap();
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/epc/pay/{tid}", shop.running.s360_base_url))
        .form(&[
            ("card_number", "4000000000000002"),
            ("expiry", "12/45"),
            ("cvc", "123"),
            ("action", "pay"),
        ])
        .send()
        .await
        .unwrap();
    b.get(&location(&r)).await;
    server::reconcile::reconcile_tenant(&shop.tenant(CUBE)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(smtp.emails().await.is_empty());
    assert!(shop.running.state.mail.clone().unwrap().rows().is_empty());
}
