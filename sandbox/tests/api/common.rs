//! What the sandbox's HTTP tests share: a sandbox on a free port with the rate limits out of
//! the way (tests that are about the limits set their own), a client for an operator, and
//! lookups in the seeded catalog, and the order requests several modules send.

use std::sync::Arc;

use s360::client::{Client, ClientConfig, Error, LimiterConfig};
use s360::model::catalog::{CatalogData, PosConfigData, Product};
use s360::model::order::*;
use s360::AudienceSubCategoryId;
use sandbox::{Config, Limits, Sandbox};

/// The admin token of the sandboxes `start` creates.
pub const ADMIN: &str = "test-admin";

pub async fn start() -> (Arc<Sandbox>, String) {
    start_with(Config::default()).await
}

/// Like [`start`], over `config`'s other settings.
pub async fn start_with(config: Config) -> (Arc<Sandbox>, String) {
    let sb = Sandbox::new(Config {
        admin_token: Some(ADMIN.into()),
        limits: Limits {
            per_minute: 100_000,
            ..Limits::default()
        },
        ..config
    });
    let addr = sb.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
    (sb, format!("http://{addr}"))
}

pub fn client(base: &str, operator: &str) -> Client {
    let mut cfg = ClientConfig::new(base, operator, "sandbox");
    cfg.limits = LimiterConfig {
        per_minute: 100_000,
        ..LimiterConfig::default()
    };
    Client::new(cfg).unwrap()
}

/// The catalog and point of sale as the sandbox holds them.
pub fn setup(sb: &Sandbox, code: &str) -> (CatalogData, PosConfigData) {
    let inst = sb.institution(code).unwrap();
    let inst = inst.lock().unwrap();
    (inst.catalog.clone(), inst.pos.clone())
}

pub fn tariff(cat: &CatalogData, code: &str) -> AudienceSubCategoryId {
    cat.seasons[0]
        .audience_categories
        .iter()
        .flat_map(|c| c.audience_sub_categories.iter())
        .find(|s| s.code == code)
        .unwrap()
        .id
}

pub fn product<'a>(cat: &'a CatalogData, code: &str) -> &'a Product {
    cat.products().find(|p| p.code == code).unwrap()
}

/// `quantity` standing places for the first performance of a PLAY match, bought by `buyer`.
pub fn standing(
    cat: &CatalogData,
    pos: &PosConfigData,
    match_code: &str,
    quantity: u32,
    buyer: Option<&str>,
) -> CreateOrUpdateOrderRequest {
    let m = product(cat, match_code);
    let perf = &m.event.as_ref().unwrap().performances[0];
    let standing = perf
        .seat_categories
        .iter()
        .find(|c| c.code == "STANDING")
        .unwrap()
        .id;
    CreateOrUpdateOrderRequest {
        point_of_sales_id: Some(pos.pos_id),
        purchasers_info: buyer
            .map(|b| PurchaserInfo {
                contact_reference: b.into(),
            })
            .into_iter()
            .collect(),
        single_entry_operations: vec![SingleEntryOperation {
            performance_id: perf.id,
            seat_category_id: standing,
            audience_sub_category_id: tariff(cat, "ADULT"),
            quantity,
            contingent_id: None,
            price_level_id: None,
            seat_ids: None,
        }],
        ..Default::default()
    }
}

/// Closes `order_id` as a sale, with barcodes.
pub fn close_req(order_id: OrderId) -> CloseOrderRequest {
    CloseOrderRequest {
        request_id: None,
        order_id,
        order_type: OrderType::Sale,
        purchaser_info: None,
        generate_bar_codes: Some(true),
        max_waiting_time: None,
        payments: vec![],
    }
}

/// Whether `e` is the business error `code`.
pub fn is_code(e: &Error, code: &str) -> bool {
    matches!(e, Error::Other(c, _) if c == code)
}
