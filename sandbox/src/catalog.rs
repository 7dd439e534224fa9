//! `catalogService` and `setupService`.

use s360::envelope;
use s360::model::catalog::*;
use serde_json::json;

use crate::rpc::{ok, MethodResult, RpcError};
use crate::state::Institution;
use crate::Sandbox;

pub fn pos_config(inst: &Institution) -> MethodResult {
    ok(PosConfigResult {
        pos_config_data: Some(inst.pos.clone()),
    })
}

fn visible(inst: &Institution, extended: bool) -> CatalogData {
    let mut data = inst.catalog.clone();
    if !extended {
        for s in &mut data.seasons {
            s.products.retain(|p| p.state.on_sale());
        }
        data.seasons.retain(|s| s.state.on_sale());
    }
    data
}

/// `getCatalogDetailed` (`detailed`) or `getCatalog` (performances without prices).
pub fn catalog_detailed(
    sandbox: &Sandbox,
    inst: &Institution,
    req: CatalogRequest,
    request_id: Option<i64>,
    detailed: bool,
) -> Result<MethodResult, RpcError> {
    // a reseller's channel builds its own catalog (its selection)
    let key = inst.catalog_key();
    if detailed && !sandbox.catalog_build_ready(&key, request_id) {
        let id = sandbox.start_or_poll_catalog_build(&key, request_id);
        return Ok(Ok(json!({
            "statusCode": envelope::IN_PROGRESS,
            "statusDetail": "The catalog is being computed, call again with the same requestId",
            "requestId": id,
        })));
    }
    let mut data = visible(inst, req.scope.as_deref() == Some("EXTENDED"));
    if !detailed {
        for p in data.seasons.iter_mut().flat_map(|s| s.products.iter_mut()) {
            if let Some(e) = &mut p.event {
                for perf in &mut e.performances {
                    perf.prices.clear();
                    perf.seat_categories.clear();
                }
            }
        }
    }
    Ok(ok(CatalogResult {
        catalog_data: Some(data),
    }))
}

pub fn last_setup_update(inst: &Institution) -> MethodResult {
    ok(LastSetupUpdateResult {
        last_setup_update: Some(inst.last_setup_update),
    })
}

pub fn list_seasons(inst: &Institution) -> MethodResult {
    let seasons = inst
        .catalog
        .seasons
        .iter()
        .map(|s| Season {
            products: vec![],
            audience_categories: vec![],
            price_levels: vec![],
            ..s.clone()
        })
        .collect();
    ok(ListSeasonsResult { seasons })
}

/// Offset pagination, oldest first (ids grow with creation), 100 per page at most.
pub fn search_products(inst: &Institution, req: SearchProductsRequest) -> MethodResult {
    let c = &req.search_products_criteria;
    let page = req.nb_max_results.unwrap_or(100).clamp(1, 100) as usize;
    let mut products: Vec<Product> = inst
        .catalog
        .seasons
        .iter()
        .filter(|s| c.season_ids.is_empty() || c.season_ids.contains(&s.id))
        .flat_map(|s| s.products.iter())
        .filter(|p| {
            c.product_family_types.is_empty()
                || c.product_family_types.contains(&p.product_family_type)
        })
        .cloned()
        .collect();
    products.sort_by_key(|p| p.id);
    let products = products
        .into_iter()
        .skip(req.min_index as usize)
        .take(page)
        .collect();
    ok(SearchProductsResult { products })
}

pub fn list_audience_sub_categories(inst: &Institution, req: SeasonRequest) -> MethodResult {
    let subs = inst
        .catalog
        .seasons
        .iter()
        .filter(|s| s.id == req.season_id)
        .flat_map(|s| s.audience_categories.iter())
        .flat_map(|c| c.audience_sub_categories.iter().cloned())
        .collect();
    ok(ListAudienceSubCategoriesResult {
        audience_sub_categories: subs,
    })
}

pub fn list_price_levels(inst: &Institution, req: SeasonRequest) -> MethodResult {
    let levels = inst
        .catalog
        .seasons
        .iter()
        .filter(|s| s.id == req.season_id)
        .flat_map(|s| s.price_levels.iter().cloned())
        .collect();
    ok(ListPriceLevelsResult {
        price_levels: levels,
    })
}
