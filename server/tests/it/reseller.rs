//! The reseller storefront (seed 000) on its own host: carts over several institutions, one
//! card payment per currency through the reseller's provider (localstripe, a separate
//! implementation of Stripe's API), each institution's order closed in S-360 with a
//! PENDING_ACCOUNT payment exactly once, refunds for what cannot be closed, the back office's
//! statement.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reseller::stripe::Stripe;
use s360::model::order::{OrderId, OrderState};

use crate::support::localstripe::LocalStripe;
use crate::support::{self, location, Browser, Shop, TempDir};

/// A browser on the reseller's host (`resell.localhost`, resolved to the shop's address).
fn resell_browser(shop: &Shop) -> Browser {
    let addr = shop.running.addr;
    Browser {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .resolve("resell.localhost", addr)
            .build()
            .unwrap(),
        base: format!("http://resell.localhost:{}", addr.port()),
        cookie: Default::default(),
        login_cookie: Default::default(),
    }
}

fn reseller_of(shop: &Shop) -> Arc<reseller::Reseller> {
    shop.running.state.resellers[0].clone()
}

/// Every `start…end` in `s`, in order.
fn all_between<'a>(s: &'a str, start: &str, end: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(start) {
        let after = &rest[i + start.len()..];
        let Some(j) = after.find(end) else { break };
        out.push(&after[..j]);
        rest = &after[j..];
    }
    out
}

async fn text(b: &Browser, path: &str) -> String {
    let r = b.get(path).await;
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

/// Puts `qty` best-available tickets for the first performance of `inst`'s first event on sale
/// into the cart; answers the cart's S-360 order afterwards is not known here.
async fn add_event(b: &Browser, inst: &str, qty: u32) {
    let home = text(b, &format!("/?institution={inst}&family=event")).await;
    let event = all_between(&home, &format!("href=\"/i/{inst}/events/"), "\"")[0].to_string();
    let page = text(b, &format!("/i/{inst}/events/{event}")).await;
    let perf = all_between(&page, &format!("href=\"/i/{inst}/performances/"), "\"")[0].to_string();
    let path = format!("/i/{inst}/performances/{perf}");
    let page = text(b, &path).await;
    let field = all_between(&page, "<input ", ">")
        .into_iter()
        .find(|tag| tag.contains("name=\"q_") && !tag.contains("disabled"))
        .and_then(|tag| {
            all_between(tag, "name=\"", "\"")
                .first()
                .map(|s| s.to_string())
        })
        .expect("a buyable category");
    let r = b.post_form(&path, &[(&field, &qty.to_string())]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), "/cart?added=1");
}

/// Puts `qty` adult visits of MOSA's visit pass, on the first day with a free slot, into the
/// cart; answers the time slot's id.
async fn add_visit(b: &Browser, qty: u32) -> i64 {
    let home = text(b, "/?institution=MOSA&family=visit_pass").await;
    let product = all_between(&home, "href=\"/i/MOSA/products/", "\"")[0].to_string();
    let page = text(b, &format!("/i/MOSA/products/{product}")).await;
    let days: Vec<String> = all_between(
        &page,
        &format!("href=\"/i/MOSA/products/{product}?date="),
        "\"",
    )
    .into_iter()
    .map(String::from)
    .collect();
    for day in days {
        let page = text(b, &format!("/i/MOSA/products/{product}?date={day}")).await;
        let slot = all_between(&page, "<input ", ">")
            .into_iter()
            .find(|t| t.contains("name=\"timeslot_id\"") && !t.contains("disabled"))
            .and_then(|t| {
                all_between(t, "value=\"", "\"")
                    .first()
                    .map(|s| s.to_string())
            });
        let offer = all_between(&page, "name=\"q.", "\"")
            .first()
            .map(|s| s.to_string());
        if let (Some(slot), Some(offer)) = (slot, offer) {
            let r = b
                .post_form(
                    &format!("/i/MOSA/products/{product}"),
                    &[
                        ("date", day.as_str()),
                        ("timeslot_id", slot.as_str()),
                        (&format!("q.{offer}"), &qty.to_string()),
                    ],
                )
                .await;
            assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
            return slot.parse().unwrap();
        }
    }
    panic!("no day with a free slot");
}

/// Checkout as a guest; answers the checkout's id and its PaymentIntents (id, client secret).
async fn checkout(b: &Browser) -> (String, Vec<String>) {
    let r = b
        .post_form(
            "/checkout",
            &[
                ("first_name", "Ada"),
                ("last_name", "Lovelace"),
                ("email", "ada@example.org"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), "/pay");
    let page = text(b, "/pay").await;
    let checkout = all_between(&page, "/pay/return?checkout=", "\"")[0].to_string();
    let intents = all_between(&page, "data-client-secret=\"", "\"")
        .into_iter()
        .map(|s| s.split("_secret_").next().unwrap().to_string())
        .collect();
    (checkout, intents)
}

async fn pay_by_card(ls: &LocalStripe, key: &str, intent: &str, card: &str) -> bool {
    Stripe::new(&ls.base, key)
        .confirm_payment_intent(intent, Some(card), &format!("test-confirm-{intent}-{card}"))
        .await
        .is_ok()
}

/// Waits until every part of the checkout is closed or refunded.
async fn settled(r: &reseller::Reseller, checkout: &str) -> Vec<reseller::journal::Payment> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ps = r.journal.checkout(checkout).unwrap();
        if !ps.is_empty()
            && ps
                .iter()
                .all(|p| p.state == "paid" && p.parts.iter().all(|t| t.is_final()))
        {
            return ps;
        }
        assert!(Instant::now() < deadline, "never settled: {ps:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The reseller's entries in S-360's pending-account balance of `inst`.
fn pending(shop: &Shop, inst: &str) -> Vec<(i64, i64)> {
    shop.sandbox()
        .pending_accounts(inst)
        .unwrap()
        .entries
        .into_iter()
        .filter(|e| e.pos_code.ends_with("_RESELL"))
        .map(|e| (e.order_id.0, e.amount.0))
        .collect()
}

fn calls(shop: &Shop, method: &str) -> u64 {
    shop.sandbox()
        .call_counts()
        .iter()
        .filter(|((_, m), _)| m == method)
        .map(|(_, n)| *n)
        .sum()
}

/// A reseller of MOSA's visits (not its passes) and PLAY's matches, both in CHF: one card
/// payment for both, paid through localstripe at `stripe`.
fn config_file(dir: &TempDir, stripe: &str) -> String {
    let hash = gate::config::hash_password("office-test");
    let path = dir.0.join("reseller.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[[resellers]]
code = "TEST"
name = "Test Tickets"
hosts = ["resell.localhost"]
currency = "CHF"
languages = ["en", "fr"]

[resellers.stripe]
api_base = "{stripe}"
publishable_key = "pk_test_x"
secret_key = "sk_test_x"
webhook_secret = "whsec_test"

[[resellers.institutions]]
code = "MOSA"
operator = "MOSA_RESELL"
secret = "sandbox"
families = ["visit_pass"]

[[resellers.institutions]]
code = "PLAY"
operator = "PLAY_RESELL"
secret = "sandbox"
families = ["event"]

[[resellers.staff]]
name = "office"
password_hash = "{hash}"
"#
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_institution_cart_is_paid_once_per_currency_and_each_order_closed_once() {
    let ls = LocalStripe::start().await;
    let shop = Shop::start(&[
        ("SHOP_STRIPE_API_BASE", ls.base.as_str()),
        ("SHOP_HOLDS_PER_CLIENT", "0"),
    ])
    .await;
    let r = reseller_of(&shop);
    let b = resell_browser(&shop);
    let (cube_before, mosa_before) = (shop.stock_taken("CUBE"), shop.stock_taken("MOSA"));
    add_event(&b, "CUBE", 2).await;
    add_visit(&b, 2).await;
    let cart = text(&b, "/cart").await;
    assert!(cart.contains("Cube Theatre") && cart.contains("Museum of Science and Art"));
    assert!(cart.contains("held for"), "one hold timer");
    let (checkout, intents) = checkout(&b).await;
    assert_eq!(intents.len(), 2, "CUBE sells in EUR, MOSA in CHF");
    // a cart with a payment under way cannot change
    let r2 = b
        .post_form(
            "/cart/remove",
            &[("institution", "CUBE"), ("movements", "1")],
        )
        .await;
    assert_eq!(r2.status(), 409);

    for pi in &intents {
        assert!(pay_by_card(&ls, "sk_test_lakeside", pi, "pm_card_visa").await);
    }
    // the buyer's return, two copies of each webhook (and localstripe's own) at once
    let mut tasks = Vec::new();
    for pi in intents.iter().chain(intents.iter()) {
        let payload = serde_json::json!({
            "id": format!("evt_{pi}"),
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {"object": {"id": pi, "object": "payment_intent"}},
        })
        .to_string();
        let sig = reseller::stripe::sign_webhook(
            payload.as_bytes(),
            "whsec_lakeside_demo",
            chrono::Utc::now().timestamp(),
        );
        let url = format!("{}/stripe/webhook/LAKE", shop.base);
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .header("stripe-signature", sig)
                .header("content-type", "application/json")
                .body(payload)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let ret = b.get(&format!("/pay/return?checkout={checkout}")).await;
    assert_eq!(ret.status(), 303);
    let order_link = location(&ret);
    assert!(
        order_link.starts_with(&format!("/orders/{checkout}?access=")),
        "{order_link}"
    );
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let ps = settled(&r, &checkout).await;
    // S-360: two sales, each closed once with a pending-account payment of its amount
    for p in &ps {
        for part in &p.parts {
            assert_eq!(part.state, "closed", "{part:?}");
            assert_eq!(
                shop.order_state(&part.institution, OrderId(part.order_id)),
                OrderState::Closed
            );
            assert_eq!(
                pending(&shop, &part.institution),
                vec![(part.order_id, part.amount)],
                "{}'s pending account",
                part.institution
            );
        }
    }
    tokio::time::sleep(Duration::from_millis(1500)).await; // localstripe's webhooks too
    assert_eq!(calls(&shop, "closeOrder"), 2, "one closeOrder per order");
    assert_eq!(
        shop.stock_taken("CUBE"),
        cube_before + 2,
        "stock moved once"
    );
    assert_eq!(
        shop.stock_taken("MOSA"),
        mosa_before + 2,
        "stock moved once"
    );
    // the same in the order's history at S-360
    for p in &ps {
        for part in &p.parts {
            let d = r
                .institution(&part.institution)
                .unwrap()
                .tenant
                .catalog
                .client()
                .get_order_details(OrderId(part.order_id), None)
                .await
                .unwrap();
            assert_eq!(d.waiting_account_balance_amount.0, part.amount);
            assert_eq!(d.payments.len(), 1);
        }
    }

    // the order page and both tickets: ours for CUBE, S-360's for MOSA
    let page = text(&b, &order_link).await;
    assert_eq!(page.matches("Confirmed").count(), 2, "{page}");
    assert!(
        !page.contains("http-equiv=\"refresh\""),
        "final: no refresh"
    );
    let token = order_link.split("access=").nth(1).unwrap();
    for inst in ["CUBE", "MOSA"] {
        let pdf = b
            .get(&format!(
                "/orders/{checkout}/{inst}/tickets.pdf?access={token}"
            ))
            .await;
        assert_eq!(pdf.status(), 200, "{inst}");
        assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
    }
    // nobody else: a wrong token, another session without the link
    let stranger = resell_browser(&shop);
    let r3 = stranger
        .get(&format!("/orders/{checkout}?access=AAAAAAAAAAAAAAAAAAAAAA"))
        .await;
    assert_eq!(r3.status(), 404);
    let r4 = stranger
        .get(&format!("/pay/return?checkout={checkout}"))
        .await;
    assert_ne!(r4.status(), 200);
    assert!(!location(&r4).contains("access="));
    // the cart is empty again
    assert!(text(&b, "/cart").await.contains("Your cart is empty"));

    // the back office: staff only, the statement as S-360 counts it
    let csv = b.get("/office/statement.csv").await;
    assert_eq!(csv.status(), 401);
    let bad = b
        .post_form("/office/login", &[("user", "office"), ("password", "nope")])
        .await;
    assert_eq!(bad.status(), 401);
    let ok = b
        .post_form(
            "/office/login",
            &[("user", "office"), ("password", "office-demo")],
        )
        .await;
    assert_eq!(ok.status(), 303);
    let statement = text(&b, "/office").await;
    assert!(
        statement.contains("CUBE") && statement.contains("MOSA"),
        "{statement}"
    );
    let csv = b.get("/office/statement.csv").await;
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(lines.len(), 2, "{csv}");
    for p in &ps {
        for part in &p.parts {
            let line = lines
                .iter()
                .find(|l| l.contains(&format!(",{},{},", part.institution, part.order_id)))
                .unwrap_or_else(|| panic!("{csv}"));
            assert!(line.contains("PENDING_ACCOUNT"));
            let amount = format!("{}.{:02}", part.amount_minor / 100, part.amount_minor % 100);
            assert!(
                line.contains(&format!(",{amount},{},", p.currency)),
                "{line}"
            );
            // S-360 counts the same amount (thousandths -> cents)
            assert_eq!(
                pending(&shop, &part.institution)[0].1,
                part.amount_minor * 10
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_that_ended_during_the_payment_is_refunded_and_the_rest_stays_sold() {
    let ls = LocalStripe::start().await;
    let dir = TempDir::new("reseller-refund");
    let config = config_file(&dir, &ls.base);
    let shop = Shop::start(&[
        ("SHOP_CONFIG", config.as_str()),
        ("SHOP_HOLDS_PER_CLIENT", "0"),
    ])
    .await;
    let r = reseller_of(&shop);
    let b = resell_browser(&shop);
    add_event(&b, "PLAY", 1).await;
    // MOSA's holds end 8 s after they start: time enough for the checkout on a busy machine
    assert!(shop.sandbox().set_order_abandon_delay("MOSA", 8));
    let slot = add_visit(&b, 2).await;
    let (checkout, intents) = checkout(&b).await;
    assert_eq!(
        intents.len(),
        1,
        "MOSA and PLAY both sell in CHF: one payment"
    );
    let before = r.journal.checkout(&checkout).unwrap().remove(0);
    let mosa = before
        .parts
        .iter()
        .find(|t| t.institution == "MOSA")
        .unwrap()
        .clone();
    let play = before
        .parts
        .iter()
        .find(|t| t.institution == "PLAY")
        .unwrap()
        .clone();

    // the buyer is slow: MOSA's hold ends and the last places of the slot go to someone else
    let mosa_client = r
        .institution("MOSA")
        .unwrap()
        .tenant
        .catalog
        .client()
        .clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let d = mosa_client
            .get_order_details(OrderId(mosa.order_id), None)
            .await
            .unwrap();
        if d.order_state == OrderState::Abandonned {
            break;
        }
        assert!(Instant::now() < deadline, "the hold never ended");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(shop.sandbox().setup_change("MOSA", |inst| {
        let cell = inst
            .stock
            .get_mut(&sandbox::state::StockKey::Timeslot(s360::TimeslotId(slot)))
            .unwrap();
        cell.capacity = cell.taken;
    }));

    assert!(pay_by_card(&ls, "sk_test_x", &intents[0], "pm_card_visa").await);
    let ret = b.get(&format!("/pay/return?checkout={checkout}")).await;
    assert_eq!(ret.status(), 303);
    let ps = settled(&r, &checkout).await;
    let parts = &ps[0].parts;
    let m = parts.iter().find(|t| t.institution == "MOSA").unwrap();
    let p = parts.iter().find(|t| t.institution == "PLAY").unwrap();
    assert_eq!(
        (m.state.as_str(), m.reason.as_deref()),
        ("refunded", Some("expired"))
    );
    assert_eq!(p.state, "closed");
    // the provider refunded exactly MOSA's share; S-360 counts only PLAY's
    let refunds = Stripe::new(&ls.base, "sk_test_x")
        .list_refunds(&intents[0])
        .await
        .unwrap();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].amount, mosa.amount_minor);
    assert!(pending(&shop, "MOSA").is_empty());
    assert_eq!(pending(&shop, "PLAY"), vec![(play.order_id, play.amount)]);
    // the buyer is told in words which part and how much
    let page = text(&b, &location(&ret)).await;
    let amount = format!(
        "CHF\u{a0}{}.{:02}",
        mosa.amount_minor / 100,
        mosa.amount_minor % 100
    );
    assert!(
        page.contains("Refunded: ")
            && (page.contains(&amount) || page.contains(&amount.replace('\u{a0}', " "))),
        "{page}"
    );
    assert!(page.contains("the hold on these tickets ended"), "{page}");
    assert!(page.contains("Confirmed"));

    // the finalisation, asked again, changes nothing
    reseller::pay::finalize_checkout(&r, &checkout)
        .await
        .unwrap();
    let again = Stripe::new(&ls.base, "sk_test_x")
        .list_refunds(&intents[0])
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(calls(&shop, "closeOrder"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_family_the_reseller_does_not_sell_is_refused_even_when_posted_by_hand() {
    let ls = LocalStripe::start().await;
    let dir = TempDir::new("reseller-families");
    let config = config_file(&dir, &ls.base);
    let shop = Shop::start(&[("SHOP_CONFIG", config.as_str())]).await;
    let b = resell_browser(&shop);
    let (catalog, _) = shop.sandbox().channel_setup("MOSA_RESELL").unwrap();
    let pass = catalog
        .products()
        .find(|p| p.code == "YEARPASS")
        .expect("the year pass is on MOSA's reseller channel")
        .id
        .0;
    let home = text(&b, "/").await;
    assert!(
        !home.contains(&format!("/i/MOSA/products/{pass}")),
        "not listed"
    );
    let page = b.get(&format!("/i/MOSA/products/{pass}")).await;
    assert_eq!(page.status(), 404);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("This product is not sold here."));
    let offer = format!("q.t{}", 1);
    let posted = b
        .post_form(
            &format!("/i/MOSA/products/{pass}"),
            &[(offer.as_str(), "1")],
        )
        .await;
    assert_eq!(posted.status(), 404);
    // nothing was held at S-360
    assert_eq!(calls(&shop, "createOrUpdateOrder"), 0);
    assert!(text(&b, "/cart").await.contains("Your cart is empty"));
    // nor for an institution the reseller does not sell for
    let cube = b.get("/i/CUBE/events/1").await;
    assert_eq!(cube.status(), 404);
    // a checkout with an empty cart goes back to the cart
    let r = b
        .post_form(
            "/checkout",
            &[
                ("first_name", "A"),
                ("last_name", "B"),
                ("email", "a@b.example"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/cart");
    // bad input answers in words, never 500
    add_visit(&b, 1).await;
    let bad = b
        .post_form(
            "/checkout",
            &[
                ("first_name", "A"),
                ("last_name", "B"),
                ("email", "not-an-address"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("valid e-mail address"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_between_the_payment_and_the_close_is_closed_by_the_reconciliation() {
    let ls = LocalStripe::start().await;
    let (sb, s360) = support::external_sandbox(sandbox::Config {
        limits: sandbox::Limits {
            per_minute: 0,
            catalog_detailed_interval: Duration::from_millis(1),
        },
        ..Default::default()
    })
    .await;
    let data = TempDir::new("reseller-restart");
    let config = config_file(&data, &ls.base);
    let env = |reconcile: &'static str| {
        vec![
            ("S360_BASE_URL", s360.as_str()),
            ("S360_OPERATOR", "CUBE_WEB"),
            ("S360_SECRET", "sandbox"),
            ("SHOP_DATA_DIR", data.path()),
            ("SHOP_CONFIG", config.as_str()),
            ("SHOP_RECONCILE_SECS", reconcile),
            ("SHOP_STRICT_HOSTS", "false"),
        ]
    };
    // the first process reconciles once, at start-up (nothing to do then), and never again
    let first = Shop::with(&env("3600")).sandbox(sb.clone()).start().await;
    let b = resell_browser(&first);
    add_event(&b, "PLAY", 2).await;
    let (checkout, intents) = checkout(&b).await;
    let order = reseller_of(&first).journal.checkout(&checkout).unwrap()[0].parts[0].clone();
    // the buyer pays; the process is gone before anything comes back
    first.running.server.abort();
    drop(b);
    drop(first);
    assert!(pay_by_card(&ls, "sk_test_x", &intents[0], "pm_card_visa").await);
    tokio::time::sleep(Duration::from_millis(300)).await;

    let second = Shop::with(&env("1")).sandbox(sb.clone()).start().await;
    let ps = settled(&reseller_of(&second), &checkout).await;
    assert_eq!(ps[0].parts[0].state, "closed");
    assert_eq!(
        pending(&second, "PLAY"),
        vec![(order.order_id, order.amount)]
    );
    assert_eq!(calls(&second, "closeOrder"), 1);
}
