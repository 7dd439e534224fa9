//! The seat map of a performance over HTTP, used as a buyer without JavaScript uses it: the
//! page's list of free seats is the form, the choice is posted, refusals come back on the page.
//! The seats S-360 holds are exactly the ones chosen; wrong choices (none, too many, unknown
//! seat, another institution's performance, a tariff not sold, a seat taken meanwhile) are
//! refused with a message in the buyer's language.

use crate::support;

use std::sync::Arc;

use leptos::server_fn::ServerFn;
use s360::model::order::{Granularity, OrderId};
use support::{location, Browser, Shop};

use app::routes::performance::AddSeats;

/// A CUBE performance with its venue's seat map: (product, performance, adult tariff).
fn cube_performance(shop: &Shop) -> (Arc<shop::tenant::Tenant>, i64, i64, i64) {
    let tenant = shop
        .running
        .state
        .shop
        .tenants
        .iter()
        .find(|t| t.code == "CUBE")
        .cloned()
        .unwrap();
    let snap = tenant.catalog.snapshot().unwrap();
    let (product, perf) = snap
        .catalog
        .products()
        .filter(|p| p.state.on_sale())
        .flat_map(|p| {
            p.event
                .iter()
                .flat_map(move |e| e.performances.iter().map(move |f| (p, f)))
        })
        .find(|(_, f)| f.space_id.is_some())
        .expect("a seated CUBE performance");
    let tariff = perf
        .prices
        .iter()
        .map(|p| p.aud_sub_cat_id.0)
        .min()
        .unwrap();
    (tenant.clone(), product.id.0, perf.id.0, tariff)
}

/// The seat ids of the page's list of free seats (the no-JavaScript form).
fn free_seats(html: &str) -> Vec<i64> {
    html.split(r#"name="seat_ids[]" value=""#)
        .skip(1)
        .filter_map(|s| s.split('"').next()?.parse().ok())
        .collect()
}

async fn page(b: &Browser, path: &str) -> String {
    page_in(b, path, "en").await
}

async fn page_in(b: &Browser, path: &str, lang: &str) -> String {
    let r = b
        .send(b.http.get(b.url(path)).header("accept-language", lang))
        .await;
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

/// Posts the seat form as a browser without JavaScript does (`seat_ids[]` once per ticked box):
/// `Ok(())` when it went to the cart, else the page it was sent back to.
async fn post_seats(
    b: &Browser,
    from: &str,
    perf: i64,
    tariff: i64,
    seats: &[i64],
) -> Result<(), String> {
    post_seats_in(b, from, perf, tariff, seats, "en").await
}

/// The same by a buyer whose browser asks for `lang`.
async fn post_seats_in(
    b: &Browser,
    from: &str,
    perf: i64,
    tariff: i64,
    seats: &[i64],
    lang: &str,
) -> Result<(), String> {
    let mut form = vec![
        ("performance_id", perf.to_string()),
        ("tariff_id", tariff.to_string()),
    ];
    form.extend(seats.iter().map(|s| ("seat_ids[]", s.to_string())));
    let r = b
        .send(
            b.http
                .post(b.url(AddSeats::PATH))
                .header("origin", &b.base)
                .header("referer", b.url(from))
                .header("accept", "text/html")
                .header("accept-language", lang)
                .form(&form),
        )
        .await;
    assert!(r.status().is_redirection(), "add seats: {}", r.status());
    let to = location(&r);
    if to == "/cart" {
        return Ok(());
    }
    assert!(to.contains("__err="), "sent back without an error: {to}");
    Err(page_in(b, &to, lang).await)
}

/// The seats held by the buyer's cart order, as S-360 lists its movements.
async fn held_seats(b: &Browser, tenant: &shop::tenant::Tenant) -> Vec<i64> {
    let r = b
        .send(
            b.http
                .post(b.url(app::routes::cart::GetCart::PATH))
                .header("origin", &b.base)
                .header("accept", "application/json")
                .form(&[] as &[(&str, &str)]),
        )
        .await;
    let cart: shop::model::CartView = r.json().await.unwrap();
    let order = OrderId(cart.order_id.expect("a cart order"));
    let d = tenant
        .catalog
        .client()
        .get_order_details(order, Some(Granularity::Movements))
        .await
        .unwrap();
    let mut seats: Vec<i64> = d
        .movements
        .iter()
        .filter_map(|m| m.seat_id.map(|s| s.0))
        .collect();
    seats.sort();
    seats
}

#[tokio::test]
async fn the_seats_chosen_on_the_map_are_the_ones_held() {
    let shop = Shop::start(&[]).await;
    let (tenant, product, perf, tariff) = cube_performance(&shop);
    let b = Browser::new(&shop.base);
    // the performance page offers the map, and schema.org Event data
    let plain = page(&b, &format!("/event/{product}/{perf}")).await;
    assert!(
        plain.contains(r#"data-testid="open-seat-map""#),
        "no link to the map"
    );
    assert!(
        !plain.contains(r#"data-testid="seat-map""#),
        "map drawn unasked"
    );
    assert!(plain.contains(r#""@type":"Event""#), "JSON-LD");
    assert!(
        plain.contains(&format!("/event/{product}/{perf}\"")),
        "JSON-LD url"
    );
    let path = format!("/event/{product}/{perf}?map=1");
    let html = page(&b, &path).await;
    // the map, its legend and its text alternative are on the server-rendered page
    assert!(html.contains(r#"data-testid="seat-map""#), "no seat map");
    assert!(html.contains(r#"role="button""#) && html.contains(r#"aria-pressed="false""#));
    assert!(
        html.contains("Stalls, row 1, seat 1, Stalls, front, "),
        "seat names"
    );
    assert!(html.contains("Taken (crossed square)"), "legend");
    let free = free_seats(&html);
    assert!(free.len() >= 500, "{} free seats listed", free.len());
    // two seats apart from each other, as best available would never place them
    let mut chosen = vec![free[5], free[300]];
    post_seats(&b, &path, perf, tariff, &chosen).await.unwrap();
    chosen.sort();
    assert_eq!(held_seats(&b, &tenant).await, chosen);
    // the map shows them taken at once, to everyone
    let other = Browser::new(&shop.base);
    let after = free_seats(&page(&other, &path).await);
    assert_eq!(after.len(), free.len() - 2);
    assert!(chosen.iter().all(|s| !after.contains(s)));
    // best available still works beside it, and more seats join the same cart
    let cats = tenant.catalog.snapshot().unwrap();
    let cat = cats
        .catalog
        .products()
        .flat_map(|p| p.event.iter().flat_map(|e| e.performances.iter()))
        .find(|f| f.id.0 == perf)
        .unwrap()
        .seat_categories[0]
        .id
        .0;
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
    assert_eq!(location(&r), "/cart");
    assert_eq!(held_seats(&b, &tenant).await.len(), 4);
}

#[tokio::test]
async fn wrong_seat_choices_are_refused_with_a_message() {
    let shop = Shop::start(&[]).await;
    let (tenant, product, perf, tariff) = cube_performance(&shop);
    let path = format!("/event/{product}/{perf}?map=1");
    let b = Browser::new(&shop.base);
    let free = free_seats(&page(&b, &path).await);

    let none = post_seats(&b, &path, perf, tariff, &[]).await.unwrap_err();
    assert!(none.contains("Please choose at least one seat"), "none");

    let max = tenant
        .catalog
        .snapshot()
        .unwrap()
        .pos
        .max_seats_per_performance as usize;
    let too_many = post_seats(&b, &path, perf, tariff, &free[..max + 1])
        .await
        .unwrap_err();
    assert!(
        too_many.contains(&format!("You can choose up to {max} seats")),
        "too many"
    );

    let unknown = post_seats(&b, &path, perf, tariff, &[free[0], 42])
        .await
        .unwrap_err();
    assert!(
        unknown.contains("does not exist for this performance"),
        "unknown"
    );

    // a PLAY match posted to CUBE's shop
    let play = shop
        .running
        .state
        .shop
        .tenants
        .iter()
        .find(|t| t.code == "PLAY")
        .unwrap()
        .catalog
        .snapshot()
        .unwrap();
    let play_perf = play
        .catalog
        .products()
        .flat_map(|p| p.event.iter().flat_map(|e| e.performances.iter()))
        .next()
        .unwrap()
        .id
        .0;
    let foreign = post_seats(&b, &path, play_perf, tariff, &[free[0]])
        .await
        .unwrap_err();
    assert!(foreign.contains("no longer on sale"), "foreign performance");

    let tariff_refused = post_seats(&b, &path, perf, 1, &[free[0]])
        .await
        .unwrap_err();
    assert!(
        tariff_refused.contains("This tariff is not sold in this seat category"),
        "tariff"
    );

    // another buyer holds the first two seats
    let first = Browser::new(&shop.base);
    page(&first, &path).await;
    post_seats(&first, &path, perf, tariff, &[free[0], free[1]])
        .await
        .unwrap();

    // someone else took free[1] after this buyer's page showed it free
    let taken = post_seats(&b, &path, perf, tariff, &[free[1], free[2]])
        .await
        .unwrap_err();
    assert!(
        taken.contains("Seat Stalls, row 1, seat 2 was just taken: please choose another one."),
        "taken: {}",
        taken
            .split("class=\"problem\"")
            .nth(1)
            .unwrap_or("no problem shown")
            .chars()
            .take(300)
            .collect::<String>()
    );
    // the page it comes back to shows the seat taken; free[2] was not held either
    let listed = free_seats(&taken);
    assert!(!listed.contains(&free[1]) && listed.contains(&free[2]));

    // in French
    let fr = Browser::new(&shop.base);
    let msg = post_seats_in(&fr, &path, perf, tariff, &[free[0]], "fr")
        .await
        .unwrap_err();
    assert!(
        msg.contains("La place Parterre, rang 1, place 1 vient d’être prise"),
        "fr"
    );
}

/// The map is read from memory while the performance's availability is unchanged: a warm map
/// page makes no S-360 call; after a sale through this shop it is read again, once, with the
/// event's availability (the categories count the places just held).
#[tokio::test]
async fn warm_seat_maps_make_no_s360_call() {
    let shop = Shop::start(&[]).await;
    let (_, product, perf, tariff) = cube_performance(&shop);
    let path = format!("/event/{product}/{perf}?map=1");
    let b = Browser::new(&shop.base);
    let calls = || shop.sandbox().call_counts().values().sum::<u64>();
    let free = free_seats(&page(&b, &path).await);
    let before = calls();
    for _ in 0..3 {
        page(&Browser::new(&shop.base), &path).await;
    }
    assert_eq!(calls() - before, 0, "{:?}", shop.sandbox().call_counts());
    post_seats(&b, &path, perf, tariff, &[free[0]])
        .await
        .unwrap();
    let before = calls();
    let after = free_seats(&page(&Browser::new(&shop.base), &path).await);
    assert!(
        !after.contains(&free[0]),
        "the sold seat is shown taken at once"
    );
    assert_eq!(calls() - before, 2, "{:?}", shop.sandbox().call_counts());
    page(&Browser::new(&shop.base), &path).await;
    assert_eq!(calls() - before, 2, "{:?}", shop.sandbox().call_counts());
}

/// PLAY's stadium is chosen block by block (5,200 seats are too many for one page); its
/// standing terraces show what is left and take a quantity.
#[tokio::test]
async fn a_stadium_is_chosen_block_by_block() {
    let shop = Shop::start(&[]).await;
    let play = shop
        .running
        .state
        .shop
        .tenants
        .iter()
        .find(|t| t.code == "PLAY")
        .cloned()
        .unwrap();
    let snap = play.catalog.snapshot().unwrap();
    let (product, perf) = snap
        .catalog
        .products()
        .filter(|p| p.state.on_sale())
        .find_map(|p| Some((p, p.event.as_ref()?.performances.first()?)))
        .unwrap();
    let adult = perf
        .prices
        .iter()
        .map(|p| p.aud_sub_cat_id.0)
        .min()
        .unwrap();
    let standing = perf
        .seat_categories
        .iter()
        .find(|c| !c.numbered)
        .unwrap()
        .id
        .0;
    let b = Browser::new(&shop.base);
    let get = |path: String| {
        let b = &b;
        async move {
            let r = b
                .send(
                    b.http
                        .get(b.url(&path))
                        .header("host", "play.localhost")
                        .header("accept-language", "en"),
                )
                .await;
            assert_eq!(r.status(), 200, "{path}");
            r.text().await.unwrap()
        }
    };
    let path = format!("/event/{}/{}", product.id, perf.id);
    let plan = get(format!("{path}?map=1")).await;
    for block in 1..=8 {
        assert!(
            plan.contains(&format!(r#"data-testid="block-B{block}""#)),
            "block {block}"
        );
    }
    assert!(plan.contains("650 free"), "free seats per block");
    assert!(plan.contains("North terrace") && plan.contains("1500 of 1500 places left"));
    assert!(
        free_seats(&plan).is_empty(),
        "no seat before a block is chosen"
    );

    let block = get(format!("{path}?block=B2")).await;
    let free = free_seats(&block);
    assert_eq!(free.len(), 650);
    assert!(
        block.contains("Block 2, row 1, seat 1, Main stand, "),
        "seat names"
    );

    let post = |form: Vec<(&'static str, String)>, to: &'static str| {
        let b = &b;
        async move {
            let r = b
                .send(
                    b.http
                        .post(b.url(to))
                        .header("host", "play.localhost")
                        .header("origin", "http://play.localhost")
                        .header("accept", "text/html")
                        .form(&form),
                )
                .await;
            location(&r)
        }
    };
    let to = post(
        vec![
            ("performance_id", perf.id.to_string()),
            ("tariff_id", adult.to_string()),
            ("seat_ids[]", free[30].to_string()),
        ],
        AddSeats::PATH,
    )
    .await;
    assert_eq!(to, "/cart");
    let to = post(
        vec![
            ("performance_id", perf.id.to_string()),
            ("seat_category_id", standing.to_string()),
            ("tariff_id", adult.to_string()),
            ("quantity", "3".into()),
        ],
        app::routes::performance::AddToCart::PATH,
    )
    .await;
    assert_eq!(to, "/cart");
    let plan = get(format!("{path}?map=1")).await;
    assert!(plan.contains("649 free"), "the seat is taken in its block");
    let left: u32 = ["North terrace", "South terrace"]
        .iter()
        .filter_map(|t| {
            let after = plan.split(t).nth(1)?;
            after
                .split("area-left\">")
                .nth(1)?
                .split(' ')
                .next()?
                .parse::<u32>()
                .ok()
        })
        .sum();
    assert_eq!(left, 3000 - 3, "standing places left");
}

/// A post of 100,000 seat ids (2 MB) is refused with 413 before any work is done on the list,
/// three at once leave the server answering, and a list that fits the body limit but is far
/// longer than any buyer could choose is refused in words without a quadratic pass over it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_list_of_seats_is_refused_before_any_work() {
    let shop = Shop::start(&[]).await;
    let (_, _, perf, tariff) = cube_performance(&shop);
    let b = Arc::new(Browser::new(&shop.base));
    let body = |n: usize| {
        let mut body = format!("performance_id={perf}&tariff_id={tariff}");
        for i in 0..n {
            body.push_str(&format!("&seat_ids%5B%5D={}", 1_000_000 + i));
        }
        body
    };
    let huge = body(100_000);
    assert!(huge.len() > 2_000_000);
    let started = std::time::Instant::now();
    let posts: Vec<_> = (0..3)
        .map(|_| {
            let (b, huge) = (b.clone(), huge.clone());
            tokio::spawn(async move {
                b.http
                    .post(b.url(AddSeats::PATH))
                    .header("origin", &b.base)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(huge)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    // another client meanwhile (b's pooled connections are the ones being refused)
    let health = reqwest::Client::new()
        .get(b.url("/healthz"))
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    for p in posts {
        // refused as soon as the length is known: 413 (or the connection closed on us while
        // the rest of the body was still being sent)
        match p.await.unwrap() {
            Ok(status) => assert_eq!(status, 413),
            Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
        }
    }
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(10), "took {took:?}");

    // 2,000 ids fit in the body limit: refused in words (back to the page), fast
    let b = Browser::new(&shop.base);
    let started = std::time::Instant::now();
    let r = b
        .send(
            b.http
                .post(b.url(AddSeats::PATH))
                .header("origin", &b.base)
                .header("referer", b.url("/"))
                .header("accept", "text/html")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body(2_000)),
        )
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_ne!(location(&r), "/cart");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // nothing reached S-360's order service
    let orders: u64 = shop
        .sandbox()
        .call_counts()
        .iter()
        .filter(|((svc, _), _)| format!("{svc:?}").to_ascii_lowercase().contains("order"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(orders, 0, "{:?}", shop.sandbox().call_counts());
}
