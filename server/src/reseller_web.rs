//! Where the reseller storefronts meet the shop's server: requests for a reseller's host go to
//! its pages (the site's static files stay shared), the payment provider's webhook reaches the
//! right reseller by its code, and with localstripe on loopback the webhook is registered at
//! start.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use reseller::Reseller;
use tower::ServiceExt;

use crate::startup::AppState;

/// Every reseller with its pages' router.
#[derive(Clone)]
pub struct ResellerHosts(Arc<Vec<(Arc<Reseller>, axum::Router)>>);

impl ResellerHosts {
    pub fn new(resellers: &[Arc<Reseller>]) -> Self {
        ResellerHosts(Arc::new(
            resellers
                .iter()
                .map(|r| (r.clone(), reseller::web::router(r.clone())))
                .collect(),
        ))
    }
}

/// Middleware: a request whose `Host` is a reseller's goes to its storefront.
pub async fn dispatch(State(hosts): State<ResellerHosts>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let path = req.uri().path();
    if !reseller::web::is_static(path) && !matches!(path, "/healthz" | "/readyz" | "/metrics") {
        if let Some((_, router)) = hosts.0.iter().find(|(r, _)| r.serves(host)) {
            // a fresh request for the storefront's own router: the shop router's matched path
            // parameters stay behind; the session and the client's address come along
            let (parts, body) = req.into_parts();
            let mut fresh = Request::new(body);
            *fresh.method_mut() = parts.method;
            *fresh.uri_mut() = parts.uri;
            *fresh.version_mut() = parts.version;
            *fresh.headers_mut() = parts.headers;
            if let Some(s) = parts.extensions.get::<tower_sessions::Session>() {
                fresh.extensions_mut().insert(s.clone());
            }
            if let Some(c) = parts.extensions.get::<shop::context::ClientAddr>() {
                fresh.extensions_mut().insert(*c);
            }
            return match router.clone().oneshot(fresh).await {
                Ok(resp) => resp,
                Err(never) => match never {},
            };
        }
    }
    next.run(req).await
}

/// `POST /stripe/webhook/{code}`: the provider's webhook for reseller `code`, on any host.
pub async fn webhook(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match state.resellers.iter().find(|r| r.config.code == code) {
        Some(r) => reseller::web::webhook_for(r.clone(), &headers, body).await,
        None => (StatusCode::NOT_FOUND, "no such reseller\n").into_response(),
    }
}

/// With localstripe on loopback (local runs, tests), tells it where this shop's webhook is;
/// with Stripe itself the endpoint is configured in its dashboard.
pub async fn register_local_webhooks(resellers: &[Arc<Reseller>], listen: SocketAddr) {
    for r in resellers {
        let api = &r.config.stripe.api_base;
        if !(api.starts_with("http://127.0.0.1") || api.starts_with("http://localhost")) {
            continue;
        }
        let url = format!("http://{listen}/stripe/webhook/{}", r.config.code);
        match r
            .stripe
            .register_localstripe_webhook(
                &format!("shop-{}", r.config.code.to_ascii_lowercase()),
                &url,
                &r.config.stripe.webhook_secret,
                &[],
            )
            .await
        {
            Ok(()) => {
                tracing::info!(reseller = %r.config.code, %url, "webhook registered with localstripe")
            }
            Err(e) => {
                tracing::warn!(reseller = %r.config.code, error = %e, "localstripe is not reachable: payments will be checked on the buyer's return and by the reconciliation")
            }
        }
    }
}
