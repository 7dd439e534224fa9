//! What the sandbox's HTTP tests share: a sandbox on a free port with the rate limits out of
//! the way (tests that are about the limits set their own), a client for an operator, and
//! lookups in the seeded catalog.
#![allow(dead_code)] // each test file uses its own subset

use std::sync::Arc;

use s360::client::{Client, ClientConfig, LimiterConfig};
use s360::model::catalog::{CatalogData, PosConfigData, Product};
use s360::AudienceSubCategoryId;
use sandbox::{Config, Limits, Sandbox};

/// The admin token of the sandboxes `start` creates.
pub const ADMIN: &str = "test-admin";

pub async fn start() -> (Arc<Sandbox>, String) {
    let sb = Sandbox::new(Config {
        admin_token: Some(ADMIN.into()),
        limits: Limits {
            per_minute: 100_000,
            ..Limits::default()
        },
        ..Config::default()
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
