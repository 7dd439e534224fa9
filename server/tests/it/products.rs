//! Product pages for passes, services and season tickets, over HTTP against the real shop and
//! its embedded sandbox: the pages, the choices the server refuses (in words), and the S-360
//! order each accepted choice creates (a visit pass with its time slot, an open pass, a service,
//! a season ticket on every match).

use crate::support;

use leptos::server_fn::ServerFn;
use s360::model::catalog::{Product, ProductFamilyType};
use s360::model::order::{Granularity, OrderDetailsData, OrderId};
use sandbox::state::StockKey;
use support::{location, Browser, Shop};

/// A browser on one institution's host (`mosa.localhost`), in English.
struct Site {
    b: Browser,
    host: String,
}

impl Site {
    fn new(shop: &Shop, institution: &str) -> Site {
        let port = shop.running.addr.port();
        Site {
            b: Browser::new(&shop.base),
            host: format!("{}.localhost:{port}", institution.to_ascii_lowercase()),
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.b
            .send(
                self.b
                    .http
                    .get(self.b.url(path))
                    .header("host", &self.host)
                    .header("accept-language", "en"),
            )
            .await
    }

    async fn page(&self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        r.text().await.unwrap()
    }

    /// A server function, posted as its form would be.
    async fn call(&self, path: &str, form: &[(String, String)]) -> reqwest::Response {
        self.b
            .send(
                self.b
                    .http
                    .post(self.b.url(path))
                    .header("host", &self.host)
                    .header("origin", format!("http://{}", self.host))
                    .header("accept-language", "en")
                    .form(form),
            )
            .await
    }

    /// Posts the product form: `Ok(())` when it led to the cart, else the message shown.
    async fn add(&self, product: &Product, fields: &[(String, String)]) -> Result<(), String> {
        let mut form = vec![("form[product_id]".to_string(), product.id.0.to_string())];
        form.extend(
            fields
                .iter()
                .map(|(k, v)| (format!("form[{k}]"), v.clone())),
        );
        let r = self
            .call(app::routes::product::AddProduct::PATH, &form)
            .await;
        if location(&r) == "/cart" {
            return Ok(());
        }
        let status = r.status();
        let body = r.text().await.unwrap();
        // the buyer's mistake is a 4xx with its words, never a 500
        assert!(
            status.is_client_error(),
            "a refusal is a client error: {status} {body}"
        );
        let refusal: app::error::AppError = serde_json::from_str(&body).unwrap();
        assert_eq!(refusal.status, status.as_u16(), "{body}");
        Err(body)
    }

    async fn cart(&self) -> shop::model::CartView {
        self.call(app::routes::cart::GetCart::PATH, &[])
            .await
            .json()
            .await
            .unwrap()
    }
}

/// A form field (`quantities][i1-t2` for `form[quantities][i1-t2]`).
fn f(k: impl Into<String>, v: impl Into<String>) -> (String, String) {
    (k.into(), v.into())
}

fn product(shop: &Shop, institution: &str, code: &str) -> Product {
    let snap = shop.tenant(institution).catalog.snapshot().unwrap();
    let found = snap.catalog.products().find(|p| p.code == code).cloned();
    found.unwrap()
}

/// The tariff ids of an institution by code (`ADULT`, `REDUCED`, `CHILD`).
fn tariff(shop: &Shop, institution: &str, code: &str) -> i64 {
    let snap = shop.tenant(institution).catalog.snapshot().unwrap();
    snap.catalog
        .seasons
        .iter()
        .flat_map(|s| s.audience_categories.iter())
        .flat_map(|c| c.audience_sub_categories.iter())
        .find(|s| s.code == code)
        .unwrap()
        .id
        .0
}

async fn order(shop: &Shop, institution: &str, site: &Site) -> OrderDetailsData {
    let id = site.cart().await.order_id.expect("a cart order");
    shop.tenant(institution)
        .catalog
        .client()
        .get_order_details(OrderId(id), Some(Granularity::Movements))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_visit_pass_is_booked_for_a_day_and_a_time_slot() {
    let shop = Shop::start(&[]).await;
    let site = Site::new(&shop, "MOSA");
    let visit = product(&shop, "MOSA", "VISIT");
    let pass = visit.pass.clone().unwrap();
    let item = pass.items[0].item_id;
    let (adult, child) = (
        tariff(&shop, "MOSA", "ADULT"),
        tariff(&shop, "MOSA", "CHILD"),
    );
    let key = |t: i64| format!("quantities][i{item}-t{t}");
    // a slot at 11:00 (English guided tour) on an open day after today
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Duration::days(1);
    let slot = pass
        .timeslots
        .iter()
        .find(|s| {
            s.start.date_naive() >= tomorrow && s.start.format("%H:%M").to_string() == "11:00"
        })
        .unwrap()
        .clone();
    let date = slot.start.format("%Y-%m-%d").to_string();

    // the calendar, then the day with its slots, tours and tariffs
    let month = slot.start.format("%Y-%m");
    let page = site
        .page(&format!("/product/{}?month={month}", visit.id))
        .await;
    assert!(page.contains("data-testid=\"calendar\""), "{page}");
    assert!(page.contains(&format!("date={date}")), "the day is a link");
    assert!(page.contains("Closed"), "Mondays are closed");
    assert!(page.contains("\"@type\":\"Product\""));
    let canonical = page
        .split('<')
        .find(|l| l.contains(r#"rel="canonical""#))
        .expect("canonical link");
    assert!(canonical.contains(&format!(
        r#"href="http://{}/product/{}""#,
        site.host, visit.id
    )));
    let page = site
        .page(&format!("/product/{}?date={date}", visit.id))
        .await;
    assert!(page.contains("11:00–11:30"), "{page}");
    assert!(page.contains("Guided tour in English"));
    assert!(page.contains("40 places left"));
    assert!(page.contains("Child (under 16)"));
    // once warm, the page renders from memory: no S-360 call
    // (page reads only: the background pollers may check for updates meanwhile)
    let calls = |shop: &Shop| {
        shop.sandbox()
            .call_counts()
            .iter()
            .filter(|((_, m), _)| {
                [
                    "getProductAvailability",
                    "getEventAvailability",
                    "getAvailableThemeAndLanguage",
                ]
                .contains(&m.as_str())
            })
            .map(|(_, n)| *n)
            .sum::<u64>()
    };
    let before = calls(&shop);
    site.page(&format!("/product/{}?date={date}", visit.id))
        .await;
    site.page(&format!("/product/{}", visit.id)).await;
    assert_eq!(calls(&shop), before, "S-360 calls on warm product pages");
    // filtered to the slots with a German tour: only 16:00
    let page = site
        .page(&format!("/product/{}?date={date}&tour=de", visit.id))
        .await;
    assert!(page.contains("16:00–16:30") && !page.contains("11:00–11:30"));

    // refused choices, in words, before anything is held
    let base = |qty: &str| {
        vec![
            f("date", &date),
            f("timeslot_id", slot.id.0.to_string()),
            f(key(adult), qty),
        ]
    };
    let err = site.add(&visit, &base("21")).await.unwrap_err();
    assert!(err.contains("at most 20 tickets"), "{err}");
    let err = site.add(&visit, &base("0")).await.unwrap_err();
    assert!(err.contains("how many tickets"), "{err}");
    let mut no_slot = base("2");
    no_slot.retain(|(k, _)| k != "timeslot_id");
    let err = site.add(&visit, &no_slot).await.unwrap_err();
    assert!(err.contains("choose a time slot"), "{err}");
    let mut unknown = base("2");
    unknown.push(f("quantities][i1-t1", "1"));
    let err = site.add(&visit, &unknown).await.unwrap_err();
    assert!(err.contains("tariff is not sold"), "{err}");
    let mut german = base("2");
    german.push(f("tour", "de"));
    let err = site.add(&visit, &german).await.unwrap_err();
    assert!(err.contains("no guided tour in German"), "{err}");
    let child_alone = vec![
        f("date", &date),
        f("timeslot_id", slot.id.0.to_string()),
        f(key(child), "1"),
    ];
    let err = site.add(&visit, &child_alone).await.unwrap_err();
    assert!(err.contains("only sold together with"), "{err}");
    assert_eq!(site.cart().await.order_id, None, "nothing was held");

    // a slot sold out since the page was cached is refused at add-to-cart, never oversold
    let full = pass
        .timeslots
        .iter()
        .find(|s| s.start.date_naive() == slot.start.date_naive() && s.id != slot.id)
        .unwrap()
        .id;
    {
        let inst = shop.sandbox().institution("MOSA").unwrap();
        let mut inst = inst.lock().unwrap();
        let cell = inst.stock.get_mut(&StockKey::Timeslot(full)).unwrap();
        cell.taken = cell.capacity;
    }
    let mut sold_out = base("2");
    sold_out[1].1 = full.0.to_string();
    let err = site.add(&visit, &sold_out).await.unwrap_err();
    assert!(err.contains("this time slot is sold out"), "{err}");

    // 2 adults and a child in the English tour's slot
    let mut ok = base("2");
    ok.push(f(key(child), "1"));
    ok.push(f("tour", "en"));
    site.add(&visit, &ok).await.unwrap();
    let d = order(&shop, "MOSA", &site).await;
    let mut ops: Vec<_> = d
        .operation_datas
        .iter()
        .map(|o| (o.audience_sub_category_id.0, o.quantity, o.timeslot_id))
        .collect();
    ops.sort();
    let mut want = vec![(adult, 2, Some(slot.id)), (child, 1, Some(slot.id))];
    want.sort();
    assert_eq!(ops, want);
    assert!(d
        .operation_datas
        .iter()
        .all(|o| o.product_family_type == ProductFamilyType::Pass));
    assert_eq!(d.movements.len(), 3);
    assert!(d.movements.iter().all(|m| m.timeslot_id == Some(slot.id)));
    // the cart says the day, the slot and the tour
    let cart = site.cart().await;
    assert_eq!(cart.lines.len(), 2);
    for l in &cart.lines {
        let when = l.when.clone().unwrap_or_default();
        assert!(when.contains("11:00–11:30"), "{when}");
        assert!(
            l.details.iter().any(|d| d == "Guided tour in English"),
            "{:?}",
            l.details
        );
        assert!(l.product.starts_with("Permanent collection"));
    }
    // the slot now has 3 fewer places
    let inst = shop.sandbox().institution("MOSA").unwrap();
    let left = inst.lock().unwrap().stock[&StockKey::Timeslot(slot.id)].remaining();
    assert_eq!(left, 37);
}

#[tokio::test]
async fn an_open_pass_and_a_service_go_into_the_same_order() {
    let shop = Shop::start(&[]).await;
    let site = Site::new(&shop, "MOSA");
    let year = product(&shop, "MOSA", "YEARPASS");
    let audio = product(&shop, "MOSA", "AUDIO");
    let (adult, reduced) = (
        tariff(&shop, "MOSA", "ADULT"),
        tariff(&shop, "MOSA", "REDUCED"),
    );

    let page = site.page(&format!("/product/{}", year.id)).await;
    assert!(page.contains("Valid 365 days from purchase."), "{page}");
    assert!(page.contains("CHF\u{a0}90.00"));
    let year_item = year.pass.as_ref().unwrap().items[0].item_id;
    let err = site
        .add(
            &year,
            &[f(format!("quantities][i{year_item}-t{reduced}"), "x")],
        )
        .await
        .unwrap_err();
    assert!(err.contains("whole number"), "{err}");
    site.add(
        &year,
        &[
            f(format!("quantities][i{year_item}-t{adult}"), "1"),
            f(format!("quantities][i{year_item}-t{reduced}"), "1"),
        ],
    )
    .await
    .unwrap();

    let page = site.page(&format!("/product/{}", audio.id)).await;
    assert!(page.contains("Audio guide"));
    let audio_item = audio.items[0].item_id;
    site.add(
        &audio,
        &[f(format!("quantities][i{audio_item}-t{adult}"), "2")],
    )
    .await
    .unwrap();

    let d = order(&shop, "MOSA", &site).await;
    let mut ops: Vec<_> = d
        .operation_datas
        .iter()
        .map(|o| {
            (
                o.product_id,
                o.item_id,
                o.audience_sub_category_id.0,
                o.quantity,
                o.timeslot_id,
            )
        })
        .collect();
    ops.sort();
    let mut want = vec![
        (year.id, Some(year_item), adult, 1, None),
        (year.id, Some(year_item), reduced, 1, None),
        (audio.id, Some(audio_item), adult, 2, None),
    ];
    want.sort();
    assert_eq!(ops, want);
    // 90 + 60 + 2 × 6 + 2 booking fee
    assert_eq!(d.sale_amount, s360::Amount::from_units(164));
    let cart = site.cart().await;
    assert!(cart
        .lines
        .iter()
        .filter(|l| l.product.starts_with("Museum pass"))
        .all(|l| l
            .details
            .contains(&"Valid 365 days from purchase.".to_string())));
}

#[tokio::test]
async fn a_season_ticket_holds_the_same_seat_on_every_match() {
    let shop = Shop::start(&[]).await;
    let site = Site::new(&shop, "PLAY");
    let season = product(&shop, "PLAY", "SEASON");
    let line = season.package_line.clone().unwrap();
    let main = line
        .seat_categories
        .iter()
        .find(|c| c.code == "MAIN")
        .unwrap()
        .id;
    let adult = tariff(&shop, "PLAY", "ADULT");

    let page = site.page(&format!("/product/{}", season.id)).await;
    assert!(page.contains("Included: 10 dates"), "{page}");
    assert!(page.contains("Play FC – FC Lakeside"));
    assert!(page.contains("Main stand"));
    assert!(page.contains("CHF\u{a0}480.00"));

    let err = site
        .add(&season, &[f(format!("quantities][t{adult}"), "1")])
        .await
        .unwrap_err();
    assert!(err.contains("choose a seat category"), "{err}");
    let err = site
        .add(
            &season,
            &[
                f("seat_category_id", main.0.to_string()),
                f(format!("quantities][t{adult}"), "9"),
            ],
        )
        .await
        .unwrap_err();
    assert!(err.contains("at most 8 tickets"), "{err}");
    site.add(
        &season,
        &[
            f("seat_category_id", main.0.to_string()),
            f(format!("quantities][t{adult}"), "2"),
        ],
    )
    .await
    .unwrap();

    let d = order(&shop, "PLAY", &site).await;
    assert_eq!(d.operation_datas.len(), 1);
    let op = &d.operation_datas[0];
    assert_eq!(op.product_id, season.id);
    assert_eq!(op.quantity, 2);
    assert_eq!(op.seat_category_id, Some(main));
    assert_eq!(op.performance_ids, line.performance_ids);
    assert_eq!(d.movements.len(), 2 * 10);
    for unit in 0..2 {
        let seats: std::collections::HashSet<_> = d
            .movements
            .iter()
            .filter(|m| m.instance_number == unit)
            .map(|m| m.seat_id)
            .collect();
        assert_eq!(seats.len(), 1, "one seat for all ten matches");
    }
    let cart = site.cart().await;
    let l = &cart.lines[0];
    assert_eq!(l.seats.len(), 2, "{:?}", l.seats);
    assert_eq!(l.details.len(), 10);
    assert_eq!(l.when.as_deref(), Some("10 dates, same seat"));
}

#[tokio::test]
async fn product_pages_are_in_the_sitemap() {
    let shop = Shop::start(&[]).await;
    let site = Site::new(&shop, "MOSA");
    let visit = product(&shop, "MOSA", "VISIT");
    let xml = site.page("/sitemap.xml").await;
    assert!(
        xml.contains(&format!("http://{}/product/{}</loc>", site.host, visit.id)),
        "{xml}"
    );
    // an unknown product is not found
    assert_eq!(site.get("/product/1").await.status(), 404);
}
