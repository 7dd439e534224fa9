//! An emulator of the S-360 backend APIs (see `docs/s360-contract.md`).
//!
//! It is a library (the shop embeds it when no S-360 host is configured) and a binary
//! (`cargo run -p sandbox -- --listen 127.0.0.1:8360`). It keeps state per institution,
//! enforces the platform's rate limits and can inject faults through an admin endpoint.
//!
//! Each institution also has a reseller's dedicated sales channel (seed 000): the operator
//! `{CODE}_RESELL` sells a selection of the catalog on its own point of sale and pays on the
//! pending account (see `seed`, `state` and [`pending`]).

mod access_control;
pub mod admin_tickets;
pub mod auth;
mod availability;
mod catalog;
pub mod contacts;
mod epc;
pub mod faults;
mod history;
pub mod oidc;
pub mod orders;
mod pdf;
pub mod pending;
mod production;
pub mod ratelimit;
mod rpc;
mod seating;
pub mod seed;
pub mod shipment;
pub mod stadium;
pub mod state;
pub mod tickets;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use s360::model::auth::{AuthRequest, AuthResponse, AUTH_PATH};
use s360::model::catalog::{CatalogData, PosConfigData};
use s360::Service;
use serde::Deserialize;

pub use admin_tickets::{AdminError, AdminTicket, CancelCause, Reprinted};
pub use faults::Faults;
pub use pending::{PendingAccounts, PendingBalance, PendingEntry};
pub use ratelimit::Limits;
use state::Institution;

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct Config {
    pub limits: Limits,
    /// Answer rate-limit breaches with HTTP 429 instead of 509.
    pub use_429: bool,
    /// Secret of every seeded operator.
    pub operator_secret: String,
    /// Token of the admin endpoint (`/__admin/*`); `None` disables it.
    pub admin_token: Option<String>,
    /// When set, `getCatalogDetailed` first answers `in_progress` for this long.
    pub catalog_in_progress: Option<Duration>,
    /// When > 0, PLAY's first match (`MATCH01`, `M01`) starts sold out with this many printed,
    /// valid tickets, holders included: a stadium for load and gate tests (see [`stadium`];
    /// more tickets than places is allowed, the terraces take the rest). At most
    /// [`stadium::MAX_TICKETS`].
    pub stadium_tickets: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            limits: Limits::default(),
            use_429: false,
            operator_secret: "sandbox".into(),
            admin_token: None,
            catalog_in_progress: None,
            stadium_tickets: 0,
        }
    }
}

impl Config {
    /// Reads `SANDBOX_*` variables over the defaults; a bad value names its variable.
    pub fn from_env() -> Result<Self, String> {
        Self::from_vars(|k| std::env::var(k).ok())
    }

    /// [`Config::from_env`] over any source of variables.
    fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut c = Config::default();
        let var = |k: &str| lookup(k).filter(|v| !v.is_empty());
        if let Some(v) = var("SANDBOX_RATE_LIMIT_PER_MINUTE") {
            c.limits.per_minute = v
                .parse()
                .map_err(|_| format!("SANDBOX_RATE_LIMIT_PER_MINUTE: not a number: {v:?}"))?;
        }
        if let Some(v) = var("SANDBOX_CATALOG_INTERVAL_SECS") {
            let secs: u64 = v
                .parse()
                .map_err(|_| format!("SANDBOX_CATALOG_INTERVAL_SECS: not a number: {v:?}"))?;
            c.limits.catalog_detailed_interval = Duration::from_secs(secs);
        }
        if let Some(v) = var("SANDBOX_RATE_LIMIT_STATUS") {
            c.use_429 = match v.as_str() {
                "509" => false,
                "429" => true,
                _ => {
                    return Err(format!(
                        "SANDBOX_RATE_LIMIT_STATUS: must be 509 or 429, got {v:?}"
                    ))
                }
            };
        }
        if let Some(v) = var("SANDBOX_OPERATOR_SECRET") {
            c.operator_secret = v;
        }
        c.admin_token = var("SANDBOX_ADMIN_TOKEN");
        if let Some(v) = var("SANDBOX_CATALOG_IN_PROGRESS_SECS") {
            let secs: u64 = v
                .parse()
                .map_err(|_| format!("SANDBOX_CATALOG_IN_PROGRESS_SECS: not a number: {v:?}"))?;
            c.catalog_in_progress = (secs > 0).then(|| Duration::from_secs(secs));
        }
        if let Some(v) = var("SANDBOX_STADIUM_TICKETS") {
            let n: u32 = v
                .parse()
                .map_err(|_| format!("SANDBOX_STADIUM_TICKETS: not a number: {v:?}"))?;
            if n > stadium::MAX_TICKETS {
                return Err(format!(
                    "SANDBOX_STADIUM_TICKETS: at most {}, got {n}",
                    stadium::MAX_TICKETS
                ));
            }
            c.stadium_tickets = n;
        }
        Ok(c)
    }
}

/// The emulator: all institutions and the platform rules.
#[derive(Debug)]
pub struct Sandbox {
    config: Config,
    institutions: HashMap<String, Arc<Mutex<Institution>>>,
    limiter: ratelimit::RateLimiter,
    faults: RwLock<Faults>,
    catalog_in_progress: RwLock<Option<Duration>>,
    /// The `getCatalogDetailed` builds in progress, per catalog (`state::catalog_key`: the
    /// institution's, or a reseller's channel's).
    catalog_builds: Mutex<HashMap<String, (i64, Instant)>>,
    next_request_id: AtomicI64,
    calls: Mutex<HashMap<(Service, String), u64>>,
    /// Payment notifications and the order webhook.
    outbound: orders::Outbound,
}

impl Sandbox {
    /// A sandbox seeded with the demo institutions (and the stadium's tickets when
    /// `config.stadium_tickets` > 0).
    pub fn new(config: Config) -> Arc<Self> {
        let institutions = seed::all()
            .into_iter()
            .map(|mut s| {
                for op in &mut s.operators {
                    op.secret = config.operator_secret.clone();
                }
                let mut inst = Institution::from_seed(s);
                if config.stadium_tickets > 0 && inst.code == stadium::INSTITUTION {
                    let started = Instant::now();
                    let n = stadium::fill(&mut inst, config.stadium_tickets);
                    tracing::info!(
                        tickets = n,
                        ms = started.elapsed().as_millis() as u64,
                        "stadium filled: {} {}",
                        stadium::PRODUCT,
                        stadium::PERFORMANCE
                    );
                }
                (inst.code.clone(), Arc::new(Mutex::new(inst)))
            })
            .collect();
        Arc::new(Sandbox {
            limiter: ratelimit::RateLimiter::new(config.limits.clone()),
            catalog_in_progress: RwLock::new(config.catalog_in_progress),
            config,
            institutions,
            faults: RwLock::default(),
            catalog_builds: Mutex::default(),
            next_request_id: AtomicI64::new(900_000_000),
            calls: Mutex::default(),
            outbound: orders::Outbound::default(),
        })
    }

    /// The HTTP service.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route(AUTH_PATH, post(token))
            .route("/tnco/backend-apis/v1/auth", post(token))
            .route(
                "/{module}/backend-apis/{service}/{version}/{method}",
                post(rpc::handle),
            )
            .route("/__admin/faults", get(get_faults).put(put_faults))
            .route("/__admin/limits", axum::routing::put(put_limits))
            .route("/__admin/setup-change", post(setup_change))
            .route("/__admin/calls", get(get_calls))
            .route("/__admin/tickets", get(admin_tickets::list))
            .route("/__admin/tickets/cancel", post(admin_tickets::cancel))
            .route("/__admin/tickets/reprint", post(admin_tickets::reprint))
            .route("/__admin/pending-accounts", get(pending::list))
            .route("/healthz", get(|| async { "ok" }))
            .merge(oidc::routes())
            .merge(epc::router())
            .with_state(self.clone())
    }

    /// Serves on `addr` (port 0 picks a free one) in a background task; returns the bound address.
    pub async fn spawn(self: &Arc<Self>, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        let app = self.router();
        orders::spawn_sweeper(self);
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "sandbox server stopped");
            }
        });
        Ok(bound)
    }

    pub fn institution(&self, code: &str) -> Option<Arc<Mutex<Institution>>> {
        self.institutions.get(&code.to_ascii_uppercase()).cloned()
    }

    pub fn institution_codes(&self) -> Vec<String> {
        let mut v: Vec<String> = self.institutions.keys().cloned().collect();
        v.sort();
        v
    }

    /// The point of sale and catalog the operator of a reseller's sales channel (`CUBE_RESELL`)
    /// sees: the channel's point of sale and the institution's catalog reduced to the
    /// channel's selection. `None` when `operator` is no channel's.
    pub fn channel_setup(&self, operator: &str) -> Option<(CatalogData, PosConfigData)> {
        let inst = self.institution(s360::model::auth::institution_of(operator))?;
        let mut inst = inst.lock().expect("institution lock");
        let scope = state::ChannelScope::enter(&mut inst, operator);
        scope.active()?;
        Some((scope.catalog.clone(), scope.pos.clone()))
    }

    /// The key of the catalog `caller` builds with `getCatalogDetailed` (state.rs).
    fn catalog_key_of(&self, caller: &auth::Caller) -> String {
        let is_channel = self.institution(&caller.institution).is_some_and(|inst| {
            let inst = inst.lock().expect("institution lock");
            inst.channel_of(&caller.operator).is_some()
        });
        let channel = is_channel.then_some(caller.operator.as_str());
        state::catalog_key(&caller.institution, channel)
    }

    fn secret_of(&self, operator: &str) -> Option<String> {
        let inst = self.institution(s360::model::auth::institution_of(operator))?;
        let inst = inst.lock().expect("institution lock");
        inst.operators
            .iter()
            .find(|o| o.code == operator)
            .map(|o| o.secret.clone())
    }

    pub fn faults(&self) -> Faults {
        self.faults.read().expect("faults lock").clone()
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.faults.write().expect("faults lock") = faults;
    }

    pub fn set_limits(&self, limits: Limits) {
        self.limiter.set_limits(limits);
    }

    /// Switches the `in_progress` simulation of `getCatalogDetailed`.
    pub fn set_catalog_in_progress(&self, d: Option<Duration>) {
        *self.catalog_in_progress.write().expect("lock") = d;
        self.catalog_builds.lock().expect("lock").clear();
    }

    fn rate_limit_status(&self) -> StatusCode {
        if self.config.use_429 {
            StatusCode::TOO_MANY_REQUESTS
        } else {
            StatusCode::from_u16(509).expect("509 is a valid status")
        }
    }

    /// Changes the setup of an institution (as a back-office edit would): renames nothing,
    /// but moves `lastSetupUpdate` so clients refetch. Returns false for an unknown code.
    pub fn setup_change(&self, institution: &str, edit: impl FnOnce(&mut Institution)) -> bool {
        let Some(inst) = self.institution(institution) else {
            return false;
        };
        let mut inst = inst.lock().expect("institution lock");
        edit(&mut inst);
        inst.bump_setup();
        true
    }

    /// How many backend calls each (service, method) received (admitted ones only).
    pub fn call_counts(&self) -> HashMap<(Service, String), u64> {
        self.calls.lock().expect("calls lock").clone()
    }

    fn count_call(&self, svc: Service, method: &str) {
        *self
            .calls
            .lock()
            .expect("calls lock")
            .entry((svc, method.to_string()))
            .or_default() += 1;
    }

    fn is_pending_catalog(&self, catalog: &str, request_id: i64) -> bool {
        self.catalog_builds
            .lock()
            .expect("lock")
            .get(catalog)
            .is_some_and(|(id, _)| *id == request_id)
    }

    /// With the simulation off, always ready. With it on, ready once the build started by an
    /// earlier call with this `requestId` has had its time.
    fn catalog_build_ready(&self, catalog: &str, request_id: Option<i64>) -> bool {
        if self.catalog_in_progress.read().expect("lock").is_none() {
            return true;
        }
        let mut builds = self.catalog_builds.lock().expect("lock");
        match (builds.get(catalog), request_id) {
            (Some((id, ready_at)), Some(rid)) if *id == rid && Instant::now() >= *ready_at => {
                builds.remove(catalog);
                true
            }
            _ => false,
        }
    }

    fn start_or_poll_catalog_build(&self, catalog: &str, request_id: Option<i64>) -> i64 {
        let delay = self
            .catalog_in_progress
            .read()
            .expect("lock")
            .unwrap_or_default();
        let mut builds = self.catalog_builds.lock().expect("lock");
        if let (Some((id, _)), Some(rid)) = (builds.get(catalog), request_id) {
            if *id == rid {
                return rid;
            }
        }
        let id = request_id.unwrap_or_else(|| self.next_request_id.fetch_add(1, Ordering::Relaxed));
        builds.insert(catalog.to_string(), (id, Instant::now() + delay));
        id
    }

    fn admin_allowed(&self, headers: &HeaderMap) -> bool {
        let Some(expected) = &self.config.admin_token else {
            return false;
        };
        headers
            .get("authorization")
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .is_some_and(|t| s360::constant_time_eq(t.as_bytes(), expected.as_bytes()))
    }
}

async fn token(State(sb): State<Arc<Sandbox>>, body: axum::body::Bytes) -> Response {
    let req: AuthRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("invalid auth request: {e}"),
            )
                .into_response()
        }
    };
    if sb.faults().outage {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    match sb.secret_of(&req.operator) {
        Some(secret) if s360::constant_time_eq(secret.as_bytes(), req.secret.as_bytes()) => {
            let token = auth::issue(
                &req.operator,
                &secret,
                req.partner.as_deref(),
                chrono::Utc::now().timestamp(),
            );
            Json(AuthResponse { token }).into_response()
        }
        _ => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn get_faults(State(sb): State<Arc<Sandbox>>, headers: HeaderMap) -> Response {
    if !sb.admin_allowed(&headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    Json(sb.faults()).into_response()
}

async fn put_faults(
    State(sb): State<Arc<Sandbox>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !sb.admin_allowed(&headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match serde_json::from_slice::<Faults>(&body) {
        Ok(f) => {
            sb.set_faults(f.clone());
            Json(f).into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, format!("invalid faults: {e}")).into_response(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LimitsBody {
    per_minute: u32,
    #[serde(default)]
    catalog_interval_secs: Option<u64>,
}

async fn put_limits(
    State(sb): State<Arc<Sandbox>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !sb.admin_allowed(&headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match serde_json::from_slice::<LimitsBody>(&body) {
        Ok(l) => {
            let mut limits = Limits {
                per_minute: l.per_minute,
                ..Limits::default()
            };
            if let Some(s) = l.catalog_interval_secs {
                limits.catalog_detailed_interval = Duration::from_secs(s);
            }
            sb.set_limits(limits);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, format!("invalid limits: {e}")).into_response(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SetupChangeBody {
    institution: String,
}

async fn setup_change(
    State(sb): State<Arc<Sandbox>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !sb.admin_allowed(&headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match serde_json::from_slice::<SetupChangeBody>(&body) {
        Ok(b) if sb.setup_change(&b.institution, |_| {}) => StatusCode::NO_CONTENT.into_response(),
        Ok(b) => (
            StatusCode::NOT_FOUND,
            format!("unknown institution {}", b.institution),
        )
            .into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, format!("invalid body: {e}")).into_response(),
    }
}

async fn get_calls(State(sb): State<Arc<Sandbox>>, headers: HeaderMap) -> Response {
    if !sb.admin_allowed(&headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let calls: HashMap<String, u64> = sb
        .call_counts()
        .into_iter()
        .map(|((s, m), n)| (format!("{s}.{m}"), n))
        .collect();
    Json(calls).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, String> {
        Config::from_vars(|k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn the_stadium_setting_reads_its_variable() {
        assert_eq!(config(&[]).unwrap().stadium_tickets, 0);
        assert_eq!(
            config(&[("SANDBOX_STADIUM_TICKETS", "40000")])
                .unwrap()
                .stadium_tickets,
            40_000
        );
        for bad in ["lots", "-1", "9999999"] {
            let err = config(&[("SANDBOX_STADIUM_TICKETS", bad)]).unwrap_err();
            assert!(err.starts_with("SANDBOX_STADIUM_TICKETS: "), "{err}");
        }
    }
}
