//! Builds the whole application: S-360 backend (embedded sandbox, feature `sandbox`, or remote),
//! tenants and their caches, background refreshers, the router. Returns the bound address so
//! tests can start it on port 0.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use s360::client::{CatalogCache, Client, ClientConfig, LimiterConfig};
use shop::tenant::{ShopState, Tenant};
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::config::{Backend, Settings};

/// The state every handler sees.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub shop: ShopState,
    /// The embedded sandbox, when there is one (only in a build with the feature `sandbox`).
    #[cfg(feature = "sandbox")]
    pub sandbox: Option<Arc<sandbox::Sandbox>>,
    /// Third-party OpenID Connect providers by institution code (others log in with S-360).
    pub identity_providers:
        Arc<std::collections::HashMap<String, crate::config::OidcProviderConfig>>,
    /// Limits on S-PAY's payment notifications.
    pub notify_throttle: Arc<crate::payment::NotifyThrottle>,
    /// The login cookie's key and the identity providers' cached metadata.
    pub auth: Arc<crate::auth::AuthState>,
    /// The session store (how many sessions it holds in memory).
    pub sessions: crate::sessions::ShopStore,
    /// Opens `/metrics` to other peers than loopback (`SHOP_METRICS_TOKEN`).
    pub metrics_token: Option<Arc<str>>,
    /// Access control, by institution code (those with `[tenants.gate]`).
    pub gates: Arc<std::collections::HashMap<String, Arc<gate::Gate>>>,
    /// Reseller storefronts, each on its own hosts (`[[resellers]]`).
    pub resellers: Arc<Vec<Arc<reseller::Reseller>>>,
    /// The buyers' e-mail outbox (`None`: no SMTP server configured, no e-mail).
    pub mail: Option<Arc<crate::mail::MailOutbox>>,
}

/// The largest request body the shop reads (forms and server functions are a few KB; S-PAY's
/// notification is smaller still). Larger bodies are refused with 413 before any work.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// A request body must arrive within this time (slow-body clients are cut).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

impl AppState {
    /// The institution a request is for, by its `Host` header.
    pub fn tenant_for(&self, headers: &axum::http::HeaderMap) -> Option<Arc<Tenant>> {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        self.shop.tenant_for_host(host)
    }
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos_options.clone()
    }
}

/// A started shop.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    pub s360_base_url: String,
    pub server: tokio::task::JoinHandle<()>,
    /// The e-mail worker, when e-mail is on (tests stop it to play a restart).
    pub mailer: Option<tokio::task::JoinHandle<()>>,
}

/// Starts everything and serves on `settings.listen`.
pub async fn start(settings: Settings) -> Result<Running, String> {
    #[cfg(feature = "sandbox")]
    let mut sandbox = None;
    let base_url = match &settings.backend {
        #[cfg(feature = "sandbox")]
        Backend::EmbeddedSandbox { listen } => {
            let config = sandbox::Config::from_env()?;
            let sb = sandbox::Sandbox::new(config);
            let bound = sb
                .spawn(*listen)
                .await
                .map_err(|e| format!("SHOP_SANDBOX_ADDR: cannot listen on {listen}: {e}"))?;
            tracing::info!(%bound, "embedded S-360 sandbox started");
            sandbox = Some(sb);
            format!("http://{bound}")
        }
        // `Settings::load` already refuses it in such a build; settings made by hand too
        #[cfg(not(feature = "sandbox"))]
        Backend::EmbeddedSandbox { .. } => {
            return Err(crate::config::NO_EMBEDDED_SANDBOX.into());
        }
        Backend::Remote { base_url } => base_url.clone(),
    };

    // the payments started before a restart, for reconciliation and notifications
    let payments: Arc<dyn shop::payment::PaymentRegistry> = Arc::new(
        crate::store::FileRegistry::open(&settings.data_dir, &base_url)?,
    );
    let link_key = crate::store::link_key(
        &settings.data_dir,
        std::env::var("SHOP_LINK_SECRET").ok().as_deref(),
    )?;
    // the buyers' e-mails wait here until the SMTP server took them
    let outbox = match &settings.mail.smtp_url {
        Some(_) => Some(Arc::new(crate::mail::MailOutbox::open(&settings.data_dir)?)),
        None => None,
    };
    let mut tenants = Vec::new();
    let mut gates = std::collections::HashMap::new();
    for t in &settings.tenants {
        let mut cfg = ClientConfig::new(base_url.clone(), t.operator.clone(), t.secret.clone());
        cfg.limits = LimiterConfig {
            per_minute: settings.s360_rate_limit_per_minute,
            ..LimiterConfig::default()
        };
        cfg.request_timeout = settings.s360_request_timeout;
        if let Some(g) = &t.gate {
            // its own client: the access-control service has its own budget at S-360
            let client = Client::new(cfg.clone()).map_err(|e| e.to_string())?;
            let gate = Arc::new(gate::Gate::open(
                &t.code,
                g.clone(),
                &settings.data_dir,
                client,
            )?);
            gate.spawn();
            gates.insert(t.code.clone(), gate);
        }
        let client = Client::new(cfg).map_err(|e| e.to_string())?;
        let mut hosts = t.hosts.clone();
        hosts.push(format!("{}.localhost", t.code.to_ascii_lowercase()));
        tenants.push(Arc::new(
            Tenant::new(
                t.code.clone(),
                hosts,
                t.branding.clone(),
                t.languages
                    .iter()
                    .filter_map(|l| shop::lang::Lang::parse(l))
                    .collect(),
                // the last good catalog survives a restart: ready at once, not 10 minutes of
                // 503 (a restarted embedded sandbox is a new one, with a fresh budget)
                match settings.backend {
                    Backend::Remote { .. } => CatalogCache::with_disk_copy(
                        client,
                        CatalogCache::disk_copy_path(&settings.data_dir, &t.code),
                    ),
                    Backend::EmbeddedSandbox { .. } => CatalogCache::new(client),
                },
            )
            .with_public_origin(t.public_origin.clone(), settings.trust_forwarded_proto)
            .with_payments(payments.clone())
            .with_link_key(link_key.clone())
            .with_hold_limit(settings.holds_per_client, Duration::from_secs(600))
            .with_outbox(match &outbox {
                Some(o) => o.clone(),
                None => Arc::new(shop::payment::NoOutbox),
            }),
        ));
    }
    for t in &tenants {
        spawn_refreshers(t.clone(), settings.catalog_poll, settings.availability_poll);
    }
    let mut resellers = Vec::new();
    for rc in &settings.resellers {
        let mut institutions = Vec::new();
        for ic in &rc.institutions {
            // the reseller's own sales channel: its operator, point of sale and selection
            let mut cfg =
                ClientConfig::new(base_url.clone(), ic.operator.clone(), ic.secret.clone());
            cfg.limits = LimiterConfig {
                per_minute: settings.s360_rate_limit_per_minute,
                ..LimiterConfig::default()
            };
            cfg.request_timeout = settings.s360_request_timeout;
            let client = Client::new(cfg).map_err(|e| e.to_string())?;
            let tenant = Arc::new(
                Tenant::new(
                    ic.code.clone(),
                    vec![],
                    rc.branding.clone(),
                    rc.languages
                        .iter()
                        .filter_map(|l| shop::lang::Lang::parse(l))
                        .collect(),
                    CatalogCache::new(client),
                )
                .with_public_origin(rc.public_origin.clone(), settings.trust_forwarded_proto)
                .with_link_key(link_key.clone())
                .with_hold_limit(settings.holds_per_client, Duration::from_secs(600)),
            );
            spawn_refreshers(
                tenant.clone(),
                settings.catalog_poll,
                settings.availability_poll,
            );
            institutions.push(reseller::Institution {
                config: ic.clone(),
                tenant,
            });
        }
        let journal = reseller::journal::Journal::open(&settings.data_dir, &rc.code)
            .map_err(|e| e.to_string())?;
        let logo = rc
            .branding
            .logo
            .as_deref()
            .and_then(|l| crate::tickets::site_svg(&settings.site_root, l));
        let r = Arc::new(reseller::Reseller::new(
            rc.clone(),
            institutions,
            journal,
            crate::tickets::render_tickets,
            logo,
        )?);
        reseller::pay::spawn_reconciliation(r.clone(), settings.reconcile_period);
        resellers.push(r);
    }
    let resellers = Arc::new(resellers);

    let shop = ShopState {
        tenants: Arc::new(tenants),
        default_tenant: settings.default_tenant.clone(),
    };
    crate::reconcile::spawn(shop.tenants.clone(), settings.reconcile_period);

    let mut leptos_options = leptos::config::get_configuration(None)
        .map_err(|e| format!("leptos configuration: {e}"))?
        .leptos_options;
    leptos_options.output_name = "shop".into();
    leptos_options.site_root = settings.site_root.to_string_lossy().into_owned().into();
    leptos_options.site_pkg_dir = "pkg".into();
    leptos_options.site_addr = settings.listen;

    let store =
        crate::sessions::ShopStore::open_with(&settings.session_store, settings.session_memory_max)
            .await?;
    let state = AppState {
        leptos_options: leptos_options.clone(),
        shop: shop.clone(),
        #[cfg(feature = "sandbox")]
        sandbox,
        identity_providers: Arc::new(
            settings
                .tenants
                .iter()
                .filter_map(|t| Some((t.code.clone(), t.oidc.clone()?)))
                .collect(),
        ),
        notify_throttle: Arc::default(),
        auth: Arc::new(crate::auth::AuthState::new(
            &settings.tenants,
            settings.session_secure_cookie,
        )),
        sessions: store.clone(),
        metrics_token: settings
            .metrics_token
            .as_ref()
            .map(|t| Arc::from(t.0.as_str())),
        gates: Arc::new(gates),
        resellers: resellers.clone(),
        mail: outbox.clone(),
    };
    let host_policy = Arc::new(crate::hosts::HostPolicy::new(
        settings.strict_hosts,
        &settings.tenants,
        &settings.resellers,
    ));

    let routes = generate_route_list(app::App);
    let sessions = SessionManagerLayer::new(store.clone())
        .with_name("shop_session")
        .with_secure(settings.session_secure_cookie)
        .with_http_only(true)
        .with_same_site(tower_sessions::cookie::SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(
            time::Duration::try_from(settings.session_idle)
                .map_err(|e| format!("SHOP_SESSION_IDLE_MINUTES: {e}"))?,
        ));
    let idp_issuers: Vec<String> = state
        .identity_providers
        .values()
        .map(|o| o.issuer.clone())
        .collect();
    let provider_origins: Vec<String> = resellers
        .iter()
        .flat_map(|r| {
            let js = crate::headers::origin_of(&r.config.stripe.js_url);
            // Stripe.js shows 3-D Secure challenges in frames from hooks.stripe.com
            let hooks = (js == "https://js.stripe.com").then(|| "https://hooks.stripe.com".into());
            [
                Some(js),
                Some(crate::headers::origin_of(&r.config.stripe.api_base)),
                hooks,
            ]
        })
        .flatten()
        .collect();
    let csp = axum::http::HeaderValue::from_str(&crate::headers::with_payment_provider(
        &crate::auth::with_form_action(
            &crate::headers::content_security_policy(&crate::headers::origin_of(&base_url)),
            &idp_issuers,
        ),
        &provider_origins,
    ))
    .map_err(|e| format!("S360_BASE_URL: cannot be used in a Content-Security-Policy: {e}"))?;
    let shop_ctx = shop.clone();
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/robots.txt", get(crate::seo::robots))
        .route("/sitemap.xml", get(crate::seo::sitemap))
        .route("/payment/return", get(crate::payment::payment_return))
        .route(
            "/payment/notify/{code}",
            axum::routing::post(crate::payment::payment_notify),
        )
        .route("/orders/{id}/tickets.pdf", get(crate::tickets::tickets_pdf))
        .route(
            "/orders/{id}/tickets-branded.pdf",
            get(crate::tickets::branded_pdf),
        )
        .route(
            "/orders/{id}/calendar.ics",
            get(crate::tickets::calendar_ics),
        )
        .route(
            "/orders/{id}/resend",
            axum::routing::post(crate::mail::resend),
        )
        .route(
            "/find-order",
            get(crate::mail::find_order_page).post(crate::mail::find_order),
        )
        .route("/login", get(crate::auth::login))
        .route("/auth/callback", get(crate::auth::callback))
        .route("/logout", axum::routing::post(crate::auth::logout))
        .merge(gate::web::router(gate::web::GateWeb::new(
            shop.clone(),
            (*state.gates).clone(),
        )))
        .route(
            "/account/erase",
            axum::routing::post(crate::auth::erase_account),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            move || leptos::prelude::provide_context(shop_ctx.clone()),
            {
                let opts = leptos_options.clone();
                move || app::shell(opts.clone())
            },
        )
        .route(
            "/stripe/webhook/{code}",
            axum::routing::post(crate::reseller_web::webhook),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        .layer(axum::middleware::from_fn_with_state(
            crate::reseller_web::ResellerHosts::new(&resellers),
            crate::reseller_web::dispatch,
        ))
        .layer(axum::middleware::from_fn_with_state(
            settings.session_absolute,
            crate::sessions::absolute_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            store,
            crate::sessions::capacity,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            shop.clone(),
            crate::csrf::same_origin_only,
        ))
        .layer(axum::middleware::from_fn_with_state(
            crate::headers::Policy {
                csp,
                hsts: settings.hsts,
            },
            crate::headers::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            host_policy,
            crate::hosts::known_hosts_only,
        ))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            BODY_TIMEOUT,
        ))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_BODY_BYTES,
        ))
        .with_state(state.clone());

    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| {
            format!(
                "LEPTOS_SITE_ADDR: cannot listen on {}: {e}",
                settings.listen
            )
        })?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    crate::reseller_web::register_local_webhooks(&resellers, addr).await;
    let mut mailer = None;
    if let Some(outbox) = &outbox {
        // order links in e-mails: the public origin, else (local development) the
        // institution's `{code}.localhost` name on the port the shop listens on
        let origins = shop
            .tenants
            .iter()
            .map(|t| {
                let origin = t.public_origin.clone().unwrap_or_else(|| {
                    format!(
                        "http://{}.localhost:{}",
                        t.code.to_ascii_lowercase(),
                        addr.port()
                    )
                });
                (t.code.clone(), origin)
            })
            .collect();
        let worker = Arc::new(crate::mail::Mailer::new(
            outbox.clone(),
            settings.mail.clone(),
            &shop.tenants,
            origins,
            settings.site_root.clone(),
        ));
        mailer = Some(worker.spawn());
    }
    let server = tokio::spawn(crate::serve::serve(
        listener,
        router,
        settings.connection_limits,
    ));
    Ok(Running {
        addr,
        state,
        s360_base_url: base_url,
        server,
        mailer,
    })
}

/// Initial load (retried until it works), then the catalog and availability pollers.
fn spawn_refreshers(tenant: Arc<Tenant>, catalog_poll: Duration, availability_poll: Duration) {
    tokio::spawn(async move {
        let mut delay = Duration::from_millis(500);
        loop {
            match tenant.catalog.refresh().await {
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(tenant = %tenant.code, error = %e, "initial catalog load failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
        }
        if let Some(snap) = tenant.catalog.snapshot() {
            let products: Vec<_> = snap
                .catalog
                .products()
                .filter(|p| p.state.on_sale())
                .collect();
            if let Err(e) = tenant.availability(&snap).load(&products).await {
                tracing::warn!(tenant = %tenant.code, error = %e, "availability warm-up failed");
            }
        }
        let catalog_task = {
            let t = tenant.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(catalog_poll);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                tick.tick().await; // the load above was this period's
                loop {
                    tick.tick().await;
                    match t.catalog.refresh().await {
                        Ok(true) => {
                            if let Some(snap) = t.catalog.snapshot() {
                                t.availability(&snap).clear();
                            }
                        }
                        Ok(false) => {}
                        Err(e) => {
                            tracing::warn!(tenant = %t.code, error = %e, "catalog refresh failed; serving the last good catalog")
                        }
                    }
                }
            })
        };
        let mut tick = tokio::time::interval(availability_poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Some(snap) = tenant.catalog.snapshot() {
                let products: Vec<_> = snap
                    .catalog
                    .products()
                    .filter(|p| p.state.on_sale())
                    .collect();
                if let Err(e) = tenant.availability(&snap).refresh_changed(&products).await {
                    tracing::warn!(tenant = %tenant.code, error = %e, "availability refresh failed");
                }
            }
            if catalog_task.is_finished() {
                break;
            }
        }
    });
}

/// Ready once every institution's catalog is loaded.
async fn readyz(State(state): State<AppState>) -> Response {
    let missing: Vec<&str> = state
        .shop
        .tenants
        .iter()
        .filter(|t| t.catalog.snapshot().is_none())
        .map(|t| t.code.as_str())
        .collect();
    if missing.is_empty() {
        (StatusCode::OK, "ready").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("catalog not loaded yet: {}", missing.join(", ")),
        )
            .into_response()
    }
}

/// Prometheus text format: upstream calls, latency, cache, limiter, breaker, catalog age.
/// Only for loopback peers (a scraper on the machine) or with `SHOP_METRICS_TOKEN` as bearer.
async fn metrics(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
) -> Response {
    use std::fmt::Write;
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let token_ok = match (&state.metrics_token, bearer) {
        (Some(t), Some(b)) => s360::constant_time_eq(t.as_bytes(), b.as_bytes()),
        _ => false,
    };
    // behind a proxy every request comes from loopback: the proxy must not pass /metrics on
    // (README, security)
    if !(peer.ip().is_loopback() || token_ok) {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let mut out = String::new();
    let _ = writeln!(out, "# TYPE s360_calls_total counter");
    let _ = writeln!(out, "# TYPE s360_call_errors_total counter");
    let _ = writeln!(out, "# TYPE s360_call_latency_seconds_sum counter");
    for t in state.shop.tenants.iter() {
        let m = t.catalog.client().metrics();
        for ((svc, method), s) in &m.calls {
            let labels = format!(
                "institution=\"{}\",service=\"{}\",method=\"{}\"",
                t.code, svc, method
            );
            let _ = writeln!(out, "s360_calls_total{{{labels}}} {}", s.calls);
            let _ = writeln!(out, "s360_call_errors_total{{{labels}}} {}", s.errors);
            let _ = writeln!(
                out,
                "s360_call_latency_seconds_sum{{{labels}}} {:.6}",
                s.total_latency.as_secs_f64()
            );
        }
        let l = format!("institution=\"{}\"", t.code);
        let _ = writeln!(out, "s360_cache_hits_total{{{l}}} {}", m.cache_hits);
        let _ = writeln!(out, "s360_cache_misses_total{{{l}}} {}", m.cache_misses);
        let _ = writeln!(out, "s360_limiter_waits_total{{{l}}} {}", m.limiter_waits);
        let _ = writeln!(
            out,
            "s360_limiter_wait_seconds_sum{{{l}}} {:.6}",
            m.limiter_wait_total.as_secs_f64()
        );
        for st in ["closed", "open", "half_open"] {
            let v = u8::from(m.breaker.as_str() == st);
            let _ = writeln!(out, "s360_breaker_state{{{l},state=\"{st}\"}} {v}");
        }
        let age = t.catalog.age().map_or(-1, |a| a.num_seconds());
        let _ = writeln!(out, "shop_catalog_age_seconds{{{l}}} {age}");
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
