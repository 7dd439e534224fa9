//! The REST-RPC surface: `POST /{module}/backend-apis/{service}/{version}/{method}`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use s360::envelope::{self, Envelope};
use s360::Service;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::auth::{self, Caller};
use crate::state::{ChannelScope, Institution};
use crate::{catalog, Sandbox};

/// What a method answers: a payload to wrap in a success envelope, or a business error.
pub type MethodResult = Result<Value, BusinessError>;

/// A business error: HTTP 200 with the dotted code in `statusCode`.
#[derive(Debug)]
pub struct BusinessError {
    pub code: &'static str,
    pub detail: String,
}

impl BusinessError {
    pub fn new(code: &'static str, detail: impl Into<String>) -> Self {
        BusinessError {
            code,
            detail: detail.into(),
        }
    }
    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::new(envelope::ERROR_NOT_FOUND, format!("{what} not found"))
    }
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(envelope::ERROR_INVALID, detail)
    }
}

/// A protocol-level failure with its HTTP status.
#[derive(Debug)]
pub enum RpcError {
    Unauthorized,
    NotFound(String),
    BadRequest(String),
    RateLimited(StatusCode, Duration),
    Unavailable,
    Injected,
}

impl IntoResponse for RpcError {
    fn into_response(self) -> Response {
        match self {
            RpcError::Unauthorized => StatusCode::UNAUTHORIZED.into_response(),
            RpcError::NotFound(m) => (StatusCode::NOT_FOUND, m).into_response(),
            RpcError::BadRequest(m) => (
                StatusCode::BAD_REQUEST,
                Json(serde_json::json!({"statusCode": envelope::FAILED, "statusDetail": m})),
            )
                .into_response(),
            RpcError::RateLimited(status, wait) => {
                let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
                (
                    status,
                    [("retry-after", secs.to_string())],
                    "Rate limit exceeded",
                )
                    .into_response()
            }
            RpcError::Unavailable => {
                (StatusCode::SERVICE_UNAVAILABLE, "S-360 sandbox outage (injected)").into_response()
            }
            RpcError::Injected => (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(serde_json::json!({"statusCode": envelope::ERROR_TECHNICAL, "statusDetail": "injected fault"})),
            )
                .into_response(),
        }
    }
}

/// Parses a request body, naming the offending field on failure.
pub fn parse<T: DeserializeOwned>(body: &Value) -> Result<T, RpcError> {
    serde_path_to_error::deserialize(body).map_err(|e| {
        let path = e.path().to_string();
        RpcError::BadRequest(format!("invalid field `{path}`: {}", e.inner()))
    })
}

pub fn ok<T: Serialize>(payload: T) -> MethodResult {
    Ok(serde_json::to_value(payload).expect("wire types serialise"))
}

fn is_version(v: &str) -> bool {
    let rest = v.strip_prefix('v').unwrap_or("");
    let mut parts = rest.split('_');
    matches!((parts.next(), parts.next(), parts.next()), (Some(a), Some(b), None)
        if !a.is_empty() && !b.is_empty() && a.chars().all(|c| c.is_ascii_digit()) && b.chars().all(|c| c.is_ascii_digit()))
}

pub fn caller(sandbox: &Sandbox, headers: &HeaderMap) -> Result<Caller, RpcError> {
    let token = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or(RpcError::Unauthorized)?;
    auth::verify(token, chrono::Utc::now().timestamp(), |op| {
        sandbox.secret_of(op)
    })
    .ok_or(RpcError::Unauthorized)
}

pub async fn handle(
    State(sandbox): State<Arc<Sandbox>>,
    Path((module, service, version, method)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, RpcError> {
    let faults = sandbox.faults();
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    if faults.outage {
        return Err(RpcError::Unavailable);
    }
    let svc = Service::from_path(&module, &service)
        .filter(|_| is_version(&version))
        .ok_or_else(|| RpcError::NotFound(format!("no service {module}/{service}/{version}")))?;
    let caller = caller(&sandbox, &headers)?;
    let status = sandbox.rate_limit_status();
    if faults.rate_limit_storm {
        return Err(RpcError::RateLimited(status, Duration::from_secs(1)));
    }
    let body: Value = if body.is_empty() {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| RpcError::BadRequest(format!("malformed JSON: {e}")))?
    };
    let request_id = body.get("requestId").and_then(Value::as_i64);
    // Each point of sale builds its own catalog (a reseller's channel its selection): the
    // cache of builds and the 10-minute limit are per catalog, the per-minute limit per
    // institution.
    let catalog_key = if svc == Service::Catalog && method == "getCatalogDetailed" {
        sandbox.catalog_key_of(&caller)
    } else {
        caller.institution.clone()
    };
    // A poll for a catalog being built is not a new getCatalogDetailed call.
    let polling = svc == Service::Catalog
        && method == "getCatalogDetailed"
        && request_id.is_some_and(|id| sandbox.is_pending_catalog(&catalog_key, id));
    let counted_method = if polling { "poll" } else { method.as_str() };
    sandbox
        .limiter
        .check_for(&caller.institution, &catalog_key, svc, counted_method)
        .map_err(|wait| RpcError::RateLimited(status, wait))?;
    if let Some(rate) = faults.error_rate.get(svc.name()) {
        if rand::random_range(0..100u8) < *rate {
            return Err(RpcError::Injected);
        }
    }
    sandbox.count_call(svc, &method);
    let result = dispatch(&sandbox, &caller, svc, &method, &body, request_id)?;
    // the work is done (and the lock released); only the answer is late
    if faults.close_order_delay_ms > 0 && matches!(method.as_str(), "closeOrder" | "notifyOrder") {
        tokio::time::sleep(Duration::from_millis(faults.close_order_delay_ms)).await;
    }
    if faults.answer_delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.answer_delay_ms)).await;
    }
    let envelope = match result {
        Ok(Value::Object(map)) => {
            let mut out = serde_json::Map::new();
            out.insert("statusCode".into(), envelope::SUCCESS.into());
            if let Some(id) = request_id {
                out.insert("requestId".into(), id.into());
            }
            // a payload may override the status (in_progress)
            out.extend(map);
            Value::Object(out)
        }
        Ok(other) => serde_json::to_value(Envelope::success(other, request_id)).expect("json"),
        Err(e) => serde_json::to_value(Envelope::<serde_json::Map<String, Value>>::error(
            e.code, e.detail, request_id,
        ))
        .expect("json"),
    };
    Ok(Json(envelope).into_response())
}

fn dispatch(
    sandbox: &Sandbox,
    caller: &Caller,
    svc: Service,
    method: &str,
    body: &Value,
    request_id: Option<i64>,
) -> Result<MethodResult, RpcError> {
    let inst_lock = sandbox
        .institution(&caller.institution)
        .ok_or(RpcError::Unauthorized)?;
    let mut guard = inst_lock.lock().expect("institution lock");
    crate::orders::expire_due(sandbox, &mut guard);
    // The operator of a reseller's channel acts on the channel: its point of sale and its
    // selection are swapped in until `scope` drops, on every path out of this function
    // (state.rs). Stock, orders, contacts and tickets stay the institution's.
    let mut scope = ChannelScope::enter(&mut guard, &caller.operator);
    let inst: &mut Institution = &mut scope;
    let unknown = || RpcError::NotFound(format!("no method {method} in {svc}"));
    match svc {
        Service::Catalog => match method {
            "isCatalogServiceAlive" => Ok(ok(serde_json::json!({}))),
            "getPOSConfig" => Ok(catalog::pos_config(inst)),
            "getCatalogDetailed" => {
                catalog::catalog_detailed(sandbox, inst, parse(body)?, request_id, true)
            }
            "getCatalog" => catalog::catalog_detailed(sandbox, inst, parse(body)?, None, false),
            "getLastSetupUpdate" => Ok(catalog::last_setup_update(inst)),
            _ => Err(unknown()),
        },
        Service::Setup => match method {
            "listSeasons" => Ok(catalog::list_seasons(inst)),
            "searchProductsByCriteria" => Ok(catalog::search_products(inst, parse(body)?)),
            "listAudienceSubCategories" => {
                Ok(catalog::list_audience_sub_categories(inst, parse(body)?))
            }
            "listPriceLevels" => Ok(catalog::list_price_levels(inst, parse(body)?)),
            _ => Err(unknown()),
        },
        Service::Availability => {
            crate::availability::dispatch(inst, method, body).unwrap_or_else(|| Err(unknown()))
        }
        Service::Production => {
            crate::production::dispatch(inst, method, body).unwrap_or_else(|| Err(unknown()))
        }
        Service::AccessControl => {
            crate::access_control::dispatch(inst, method, body).unwrap_or_else(|| Err(unknown()))
        }
        Service::Contact => {
            crate::contacts::dispatch(inst, method, body).unwrap_or_else(|| Err(unknown()))
        }
        Service::Shipment => {
            crate::shipment::dispatch(inst, method, body).unwrap_or_else(|| Err(unknown()))
        }
        Service::OrderHistory => {
            crate::history::dispatch(inst, method, body).unwrap_or_else(|| Err(unknown()))
        }
        Service::ExternalOrderFacade | Service::ExternalOrder => {
            crate::orders::dispatch(sandbox, inst, method, body).unwrap_or_else(|| Err(unknown()))
        }
    }
}
