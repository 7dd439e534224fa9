//! Settings: defaults, then an optional TOML file (`SHOP_CONFIG`), then the environment.
//! A bad value stops the start with a message naming the setting.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// One institution served by this shop. Its `Debug` leaves the secrets out.
#[derive(Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// Institution code (MOSA).
    pub code: String,
    /// Virtual operator (MOSA_WEB) and its secret.
    pub operator: String,
    pub secret: String,
    /// Host names selecting this shop, besides `{code}.localhost`.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Colours, logo and footer links (TOML table `[tenants.branding]`).
    #[serde(default)]
    pub branding: shop::model::Branding,
    /// Languages offered (`en`, `fr`, `de`), the first being the default for browsers that
    /// ask for none of them; empty = all three, English first.
    #[serde(default)]
    pub languages: Vec<String>,
    /// A third-party OpenID Connect provider for this institution's buyers (`[tenants.oidc]`,
    /// or `SHOP_OIDC_{CODE}_*`); unset: S-360's own identity provider.
    #[serde(default)]
    pub oidc: Option<OidcProviderConfig>,
    /// The shop's public origin for this institution (`https://tickets.mosa.ch`, no path), or
    /// `SHOP_PUBLIC_ORIGIN_{CODE}`: the payment return and notification URLs handed to S-360
    /// are built on it. Unset (local development): from the request's `Host`.
    #[serde(default)]
    pub public_origin: Option<String>,
    /// Access control at the venue (`[tenants.gate]`): the lists to sync from S-360, the
    /// gates and their entrances, the tariffs to check, the stewards. Unset: no `/gate`.
    /// S-360 allows one access-control client per product: configure a venue's gate on one
    /// shop instance only.
    #[serde(default)]
    pub gate: Option<gate::GateConfig>,
}

/// A third-party OpenID Connect identity provider (Keycloak, Entra ID, oidc-provider, ...).
/// Its `Debug` leaves the client secret out.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OidcProviderConfig {
    /// The issuer; its discovery document is `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Scopes besides `openid`; the shop needs the e-mail to link the buyer's S-360 contact.
    #[serde(default = "default_oidc_scopes")]
    pub scopes: Vec<String>,
}

fn default_oidc_scopes() -> Vec<String> {
    vec!["email".into(), "profile".into()]
}

impl std::fmt::Debug for TenantConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantConfig")
            .field("code", &self.code)
            .field("operator", &self.operator)
            .field("secret", &"<redacted>")
            .field("hosts", &self.hosts)
            .field("branding", &self.branding)
            .field("languages", &self.languages)
            .field("oidc", &self.oidc)
            .field("public_origin", &self.public_origin)
            .field("gate", &self.gate)
            .finish()
    }
}

impl std::fmt::Debug for OidcProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProviderConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// Where S-360 is.
#[derive(Debug, Clone, PartialEq)]
pub enum Backend {
    /// Start the sandbox in-process on this address (port 0 = any free port). Only a build
    /// with the feature `sandbox` (the default) has one; without it the configuration is
    /// refused ([`NO_EMBEDDED_SANDBOX`]).
    EmbeddedSandbox { listen: SocketAddr },
    /// A real (or separately run) S-360 host.
    Remote { base_url: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub listen: SocketAddr,
    /// The built site (`/pkg`, favicon...).
    pub site_root: PathBuf,
    pub backend: Backend,
    pub tenants: Vec<TenantConfig>,
    pub default_tenant: String,
    pub catalog_poll: Duration,
    pub availability_poll: Duration,
    /// S-360 plan: calls per minute per service.
    pub s360_rate_limit_per_minute: u32,
    pub session_secure_cookie: bool,
    pub session_idle: Duration,
    /// Deadline of one S-360 HTTP attempt (`S360_REQUEST_TIMEOUT_MS`).
    pub s360_request_timeout: Duration,
    /// Period of the reconciliation of paid but unfinalised orders (`SHOP_RECONCILE_SECS`).
    pub reconcile_period: Duration,
    /// Where sessions live (`SHOP_SESSION_STORE`: `memory` or `redis://...`).
    pub session_store: crate::sessions::StoreConfig,
    /// Longest life of a session, however active (`SHOP_SESSION_ABSOLUTE_HOURS`).
    pub session_absolute: Duration,
    /// Most sessions the memory store holds (`SHOP_SESSION_MEMORY_MAX`).
    pub session_memory_max: usize,
    /// Where the shop keeps what must survive a restart: the payments it started
    /// (`SHOP_DATA_DIR`).
    pub data_dir: PathBuf,
    /// Believe a proxy's `X-Forwarded-Proto` for institutions without `public_origin`
    /// (`SHOP_TRUST_FORWARDED_PROTO`).
    pub trust_forwarded_proto: bool,
    /// Refuse requests for a host no institution is configured for (`SHOP_STRICT_HOSTS`; on by
    /// default with a real S-360, off with the embedded sandbox for local development).
    pub strict_hosts: bool,
    /// Open connections and header-read / idle timeout (`SHOP_MAX_CONNECTIONS`,
    /// `SHOP_HEADER_TIMEOUT_SECS`).
    pub connection_limits: crate::serve::Limits,
    /// Bearer token that opens `/metrics` to other hosts than loopback (`SHOP_METRICS_TOKEN`).
    pub metrics_token: Option<Redacted>,
    /// Places one client address may have held in any 10 minutes (`SHOP_HOLDS_PER_CLIENT`,
    /// 0 = no limit).
    pub holds_per_client: u32,
    /// Every institution is served over https: responses carry `Strict-Transport-Security`.
    pub hsts: bool,
    /// Reseller storefronts (`[[resellers]]`, seed 000). With the embedded sandbox and none
    /// configured: the demo reseller on `resell.localhost` ([`sandbox_reseller`]).
    pub resellers: Vec<reseller::ResellerConfig>,
    /// The buyers' e-mails: SMTP server, sender (`SHOP_SMTP_URL`, `SHOP_MAIL_FROM`...).
    pub mail: crate::mail::MailSettings,
}

/// A secret setting: `Debug` prints `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Redacted(pub String);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    site_root: Option<PathBuf>,
    s360_base_url: Option<String>,
    s360_rate_limit_per_minute: Option<u32>,
    sandbox_listen: Option<String>,
    default_tenant: Option<String>,
    catalog_poll_secs: Option<u64>,
    availability_poll_secs: Option<u64>,
    session_secure_cookie: Option<bool>,
    session_idle_minutes: Option<u64>,
    s360_request_timeout_ms: Option<u64>,
    reconcile_secs: Option<u64>,
    session_store: Option<String>,
    session_absolute_hours: Option<u64>,
    session_memory_max: Option<u64>,
    data_dir: Option<PathBuf>,
    trust_forwarded_proto: Option<bool>,
    strict_hosts: Option<bool>,
    max_connections: Option<u64>,
    header_timeout_secs: Option<u64>,
    metrics_token: Option<String>,
    holds_per_client: Option<u32>,
    #[serde(default)]
    tenants: Vec<TenantConfig>,
    #[serde(default)]
    resellers: Vec<reseller::ResellerConfig>,
}

/// The three demo institutions of the sandbox, with their brands.
pub fn sandbox_tenants(secret: &str) -> Vec<TenantConfig> {
    let link = |[en, fr, de]: [&str; 3], href: &str| shop::model::FooterLink {
        label: en.into(),
        labels: vec![("fr".into(), fr.into()), ("de".into(), de.into())],
        href: href.into(),
    };
    [
        // code, brand, accent, languages (first = default), site
        (
            "MOSA",
            "#7a1f5c",
            "#7a1f5c",
            ["fr", "en", "de"],
            "https://mosa.example",
        ),
        (
            "CUBE",
            "#1d4f91",
            "#1d4f91",
            ["en", "fr", "de"],
            "https://cube.example",
        ),
        (
            "PLAY",
            "#0b6b3a",
            "#0b5c32",
            ["de", "en", "fr"],
            "https://play.example",
        ),
    ]
    .into_iter()
    .map(|(code, brand, accent, languages, site)| TenantConfig {
        code: code.into(),
        operator: format!("{code}_WEB"),
        secret: secret.into(),
        branding: shop::model::Branding {
            brand_color: brand.into(),
            on_brand_color: "#ffffff".into(),
            accent_color: accent.into(),
            logo: Some(format!("/brands/{}.svg", code.to_ascii_lowercase())),
            footer_links: vec![
                link(["Website", "Site web", "Website"], site),
                link(
                    ["Terms of sale", "Conditions de vente", "AGB"],
                    &format!("{site}/terms"),
                ),
                link(
                    ["Privacy", "Confidentialité", "Datenschutz"],
                    &format!("{site}/privacy"),
                ),
                link(
                    ["Contact", "Contact", "Kontakt"],
                    &format!("{site}/contact"),
                ),
            ],
        },
        languages: languages.iter().map(|l| l.to_string()).collect(),
        gate: demo_gate(code),
        ..Default::default()
    })
    .collect()
}

/// The embedded sandbox's venues: PLAY's stadium and CUBE's theatre, with two demo stewards
/// each (`head` and `steward`, password `gate-demo`; only with the embedded sandbox).
fn demo_gate(code: &str) -> Option<gate::GateConfig> {
    use gate::config::{GateDef, ListScope, StewardConfig};
    let def = |code: &str, name: &str, entrance: &str| GateDef {
        code: code.into(),
        name: name.into(),
        entrances: vec![entrance.into()],
    };
    let (season, gates) = match code {
        "PLAY" => (
            "PLAY26",
            vec![
                def("A", "Gate A – Main stand", "GATE_A"),
                def("C", "Gate C – Ends", "GATE_C"),
                def("N", "North terrace", "GATE_N"),
                def("S", "South terrace", "GATE_S"),
            ],
        ),
        "CUBE" => (
            "CUBE26",
            vec![
                def("A", "Door A – Stalls", "DOOR_A"),
                def("B", "Door B – Balcony", "DOOR_B"),
            ],
        ),
        _ => return None,
    };
    static DEMO_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DEMO_HASH
        .get_or_init(|| gate::config::hash_password("gate-demo"))
        .clone();
    Some(gate::GateConfig {
        lists: vec![ListScope {
            season: season.into(),
            products: vec![],
        }],
        gates,
        attention_tariffs: vec!["CHILD".into(), "REDUCED".into()],
        stewards: vec![
            StewardConfig {
                name: "head".into(),
                password_hash: hash.clone(),
                head: true,
            },
            StewardConfig {
                name: "steward".into(),
                password_hash: hash,
                head: false,
            },
        ],
    })
}

/// The embedded sandbox's demo reseller, "Lakeside Tickets" on `resell.localhost`: CUBE's
/// performances (its own tickets built from the barcode) and MOSA's visits and passes (S-360's
/// PDF, MOSA agreed), paid through Stripe at `stripe_api` (localstripe, started by the run and
/// test commands); back office `office` / `office-demo`.
pub fn sandbox_reseller(secret: &str, stripe_api: String) -> reseller::ResellerConfig {
    use reseller::config::{Family, InstitutionConfig, StaffConfig, StripeConfig};
    static DEMO_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DEMO_HASH
        .get_or_init(|| gate::config::hash_password("office-demo"))
        .clone();
    let js_url = format!("{}/js.stripe.com/v3/", stripe_api.trim_end_matches('/'));
    reseller::ResellerConfig {
        code: "LAKE".into(),
        name: "Lakeside Tickets".into(),
        hosts: vec!["resell.localhost".into()],
        branding: shop::model::Branding {
            brand_color: "#0f5e6b".into(),
            on_brand_color: "#ffffff".into(),
            accent_color: "#0f5e6b".into(),
            logo: Some("/brands/lake.svg".into()),
            footer_links: vec![
                shop::model::FooterLink {
                    label: "Terms of sale".into(),
                    labels: vec![
                        ("fr".into(), "Conditions de vente".into()),
                        ("de".into(), "Verkaufsbedingungen".into()),
                    ],
                    href: "https://lakeside.example/terms".into(),
                },
                shop::model::FooterLink {
                    label: "Privacy".into(),
                    labels: vec![
                        ("fr".into(), "Confidentialité".into()),
                        ("de".into(), "Datenschutz".into()),
                    ],
                    href: "https://lakeside.example/privacy".into(),
                },
            ],
        },
        languages: vec!["en".into(), "fr".into(), "de".into()],
        currency: "CHF".into(),
        institutions: vec![
            InstitutionConfig {
                code: "CUBE".into(),
                operator: "CUBE_RESELL".into(),
                secret: secret.into(),
                families: vec![Family::Event],
                s360_pdf: false,
            },
            InstitutionConfig {
                code: "MOSA".into(),
                operator: "MOSA_RESELL".into(),
                secret: secret.into(),
                families: vec![Family::VisitPass, Family::Simple],
                s360_pdf: true,
            },
        ],
        create_contacts: false,
        stripe: StripeConfig {
            api_base: stripe_api,
            js_url,
            publishable_key: "pk_test_lakeside".into(),
            secret_key: "sk_test_lakeside".into(),
            webhook_secret: "whsec_lakeside_demo".into(),
        },
        staff: vec![StaffConfig {
            name: "office".into(),
            password_hash: hash,
        }],
        public_origin: None,
    }
}

/// Why a configuration without `S360_BASE_URL` is refused by a build without the embedded
/// sandbox (`cargo build -p server --no-default-features`, for production).
pub const NO_EMBEDDED_SANDBOX: &str = "S360_BASE_URL: required: it is not set and this build \
     has no embedded sandbox (built without the feature `sandbox`); set it to the S-360 host, \
     e.g. https://mosa.ws.secutix.com";

impl Settings {
    /// Reads the settings from `SHOP_CONFIG` (if set) and the process environment.
    pub fn load() -> Result<Settings, String> {
        let lookup = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Self::from_lookup(lookup)
    }

    /// The same, with the environment given as a function (for tests).
    pub fn from_lookup(env: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        Self::from_lookup_for(env, cfg!(feature = "sandbox"))
    }

    /// The same, for a build with or without the embedded sandbox (the unit tests check both
    /// in either build).
    fn from_lookup_for(
        env: impl Fn(&str) -> Option<String>,
        embedded_sandbox: bool,
    ) -> Result<Settings, String> {
        let file: FileConfig = match env("SHOP_CONFIG") {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("SHOP_CONFIG: cannot read {path}: {e}"))?;
                toml::from_str(&text).map_err(|e| format!("SHOP_CONFIG: {path}: {e}"))?
            }
            None => FileConfig::default(),
        };
        let addr = |name: &str, v: String| -> Result<SocketAddr, String> {
            v.parse()
                .map_err(|_| format!("{name}: not a socket address (host:port): {v:?}"))
        };
        let num = |name: &str, v: String| -> Result<u64, String> {
            v.parse()
                .map_err(|_| format!("{name}: not a whole number: {v:?}"))
        };
        let boolean = |name: &str, v: String| -> Result<bool, String> {
            match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(format!("{name}: expected true or false, got {v:?}")),
            }
        };

        let listen = addr(
            "LEPTOS_SITE_ADDR",
            env("LEPTOS_SITE_ADDR")
                .or(file.listen)
                .unwrap_or_else(|| "127.0.0.1:3000".into()),
        )?;
        let site_root = env("LEPTOS_SITE_ROOT")
            .map(PathBuf::from)
            .or(file.site_root)
            .unwrap_or_else(|| PathBuf::from("target/site"));

        let base_url = env("S360_BASE_URL").or(file.s360_base_url);
        let operator = env("S360_OPERATOR");
        let secret = env("S360_SECRET");
        let mut tenants = file.tenants;
        let mut resellers = file.resellers;
        let backend = match base_url {
            Some(url) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(format!(
                        "S360_BASE_URL: must start with http:// or https://, got {url:?}"
                    ));
                }
                match (operator, secret) {
                    (Some(op), Some(secret)) => {
                        let code = s360::model::auth::institution_of(&op).to_ascii_uppercase();
                        tenants.retain(|t| t.code != code);
                        tenants.insert(
                            0,
                            TenantConfig {
                                code,
                                operator: op,
                                secret,
                                ..Default::default()
                            },
                        );
                    }
                    (None, None) if !tenants.is_empty() => {}
                    (None, _) => {
                        return Err("S360_OPERATOR: required when S360_BASE_URL is set".into())
                    }
                    (_, None) => {
                        return Err("S360_SECRET: required when S360_BASE_URL is set".into())
                    }
                }
                Backend::Remote { base_url: url }
            }
            None => {
                if operator.is_some() || secret.is_some() {
                    return Err(
                        "S360_BASE_URL: required when S360_OPERATOR or S360_SECRET is set".into(),
                    );
                }
                if !embedded_sandbox {
                    return Err(NO_EMBEDDED_SANDBOX.into());
                }
                let listen = addr(
                    "SHOP_SANDBOX_ADDR",
                    env("SHOP_SANDBOX_ADDR")
                        .or(file.sandbox_listen)
                        .unwrap_or_else(|| "127.0.0.1:0".into()),
                )?;
                if tenants.is_empty() {
                    tenants = sandbox_tenants(
                        &env("SANDBOX_OPERATOR_SECRET").unwrap_or_else(|| "sandbox".into()),
                    );
                }
                if resellers.is_empty() {
                    resellers = vec![sandbox_reseller(
                        &env("SANDBOX_OPERATOR_SECRET").unwrap_or_else(|| "sandbox".into()),
                        env("SHOP_STRIPE_API_BASE")
                            .unwrap_or_else(|| "http://127.0.0.1:8420".into()),
                    )];
                }
                Backend::EmbeddedSandbox { listen }
            }
        };
        for t in &tenants {
            if t.code.is_empty() || !t.code.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(format!("tenants: invalid institution code {:?}", t.code));
            }
            if let Some(bad) = t
                .languages
                .iter()
                .find(|l| shop::lang::Lang::parse(l).is_none())
            {
                return Err(format!(
                    "tenants.languages ({}): unsupported language {bad:?} (en, fr, de)",
                    t.code
                ));
            }
            let b = &t.branding;
            for (name, colour) in [
                ("brand_color", &b.brand_color),
                ("on_brand_color", &b.on_brand_color),
                ("accent_color", &b.accent_color),
            ] {
                if !is_css_colour(colour) {
                    return Err(format!(
                        "tenants.branding.{name} ({}): not a #rrggbb colour: {colour:?}",
                        t.code
                    ));
                }
            }
            // every pair the stylesheet puts together must stay readable (WCAG AA, 4.5:1):
            // the header, buttons and the chosen calendar day (on_brand on brand), outlined
            // buttons (brand on the white page) and links (accent on the white page)
            for (what, fg, bg) in [
                (
                    "on_brand_color on brand_color",
                    &b.on_brand_color,
                    &b.brand_color,
                ),
                (
                    "brand_color on the white page",
                    &b.brand_color,
                    &"#ffffff".to_string(),
                ),
                (
                    "accent_color on the white page",
                    &b.accent_color,
                    &"#ffffff".to_string(),
                ),
            ] {
                let ratio = contrast_ratio(fg, bg);
                if ratio < 4.5 {
                    return Err(format!(
                        "tenants.branding ({}): {what} has a contrast of {ratio:.2}:1, \
                         below the 4.5:1 that text needs ({fg} on {bg})",
                        t.code
                    ));
                }
            }
        }

        for t in &mut tenants {
            apply_oidc_env(t, &env)?;
            let env_name = format!("SHOP_PUBLIC_ORIGIN_{}", t.code.to_ascii_uppercase());
            let (setting, value) = match env(&env_name) {
                Some(v) => (env_name, Some(v)),
                None => (
                    format!("tenants.public_origin ({})", t.code),
                    t.public_origin.take(),
                ),
            };
            if let Some(v) = value {
                t.public_origin = Some(public_origin(&v).map_err(|e| format!("{setting}: {e}"))?);
            }
        }

        for r in &mut resellers {
            if let Some(base) = env(&format!(
                "SHOP_STRIPE_API_BASE_{}",
                r.code.to_ascii_uppercase()
            )) {
                r.stripe.api_base = base;
            }
            r.validate()?;
            for i in &r.institutions {
                if !tenants.iter().any(|t| t.code == i.code) {
                    tracing::info!(reseller = %r.code, institution = %i.code, "the reseller sells for an institution this shop does not serve itself");
                }
            }
            if let Some(o) = r.public_origin.take() {
                r.public_origin = Some(
                    public_origin(&o)
                        .map_err(|e| format!("resellers.public_origin ({}): {e}", r.code))?,
                );
            }
        }

        let default_tenant = env("SHOP_DEFAULT_INSTITUTION")
            .or(file.default_tenant)
            .map(|s| s.to_ascii_uppercase())
            .unwrap_or_else(|| {
                if tenants.iter().any(|t| t.code == "CUBE") {
                    "CUBE".into()
                } else {
                    tenants.first().map(|t| t.code.clone()).unwrap_or_default()
                }
            });
        if !tenants.iter().any(|t| t.code == default_tenant) {
            return Err(format!(
                "SHOP_DEFAULT_INSTITUTION: {default_tenant:?} is not a configured institution"
            ));
        }

        let catalog_poll = match env("SHOP_CATALOG_POLL_SECS") {
            Some(v) => num("SHOP_CATALOG_POLL_SECS", v)?,
            None => file.catalog_poll_secs.unwrap_or(60),
        };
        let availability_poll = match env("SHOP_AVAILABILITY_POLL_SECS") {
            Some(v) => num("SHOP_AVAILABILITY_POLL_SECS", v)?,
            None => file.availability_poll_secs.unwrap_or(60),
        };
        if catalog_poll == 0 {
            return Err("SHOP_CATALOG_POLL_SECS: must be at least 1".into());
        }
        if availability_poll < 60 {
            return Err("SHOP_AVAILABILITY_POLL_SECS: S-360 allows getUpdatedAvailabilities at most once a minute (>= 60)".into());
        }
        let rate = match env("S360_RATE_LIMIT_PER_MINUTE") {
            Some(v) => num("S360_RATE_LIMIT_PER_MINUTE", v)? as u32,
            None => file.s360_rate_limit_per_minute.unwrap_or(60),
        };
        // served over https (every institution's public origin says so): Secure cookies and
        // HSTS unless told otherwise
        let all_https = !tenants.is_empty()
            && tenants.iter().all(|t| {
                t.public_origin
                    .as_deref()
                    .is_some_and(|o| o.starts_with("https://"))
            });
        let secure = match env("SHOP_SESSION_SECURE_COOKIE") {
            Some(v) => boolean("SHOP_SESSION_SECURE_COOKIE", v)?,
            None => file.session_secure_cookie.unwrap_or(all_https),
        };
        let idle = match env("SHOP_SESSION_IDLE_MINUTES") {
            Some(v) => num("SHOP_SESSION_IDLE_MINUTES", v)?,
            None => file.session_idle_minutes.unwrap_or(30),
        };
        if idle == 0 {
            return Err("SHOP_SESSION_IDLE_MINUTES: must be at least 1".into());
        }
        let request_timeout = match env("S360_REQUEST_TIMEOUT_MS") {
            Some(v) => num("S360_REQUEST_TIMEOUT_MS", v)?,
            None => file.s360_request_timeout_ms.unwrap_or(15_000),
        };
        if request_timeout < 100 {
            return Err("S360_REQUEST_TIMEOUT_MS: must be at least 100".into());
        }
        let reconcile = match env("SHOP_RECONCILE_SECS") {
            Some(v) => num("SHOP_RECONCILE_SECS", v)?,
            None => file.reconcile_secs.unwrap_or(30),
        };
        if reconcile == 0 {
            return Err("SHOP_RECONCILE_SECS: must be at least 1".into());
        }
        let session_store = crate::sessions::StoreConfig::parse(
            &env("SHOP_SESSION_STORE")
                .or(file.session_store)
                .unwrap_or_else(|| "memory".into()),
        )?;
        let absolute = match env("SHOP_SESSION_ABSOLUTE_HOURS") {
            Some(v) => num("SHOP_SESSION_ABSOLUTE_HOURS", v)?,
            None => file.session_absolute_hours.unwrap_or(12),
        };
        if absolute == 0 || absolute * 60 < idle {
            return Err(
                "SHOP_SESSION_ABSOLUTE_HOURS: must be at least 1 and not shorter than the idle timeout"
                    .into(),
            );
        }
        let memory_max = match env("SHOP_SESSION_MEMORY_MAX") {
            Some(v) => num("SHOP_SESSION_MEMORY_MAX", v)?,
            None => file
                .session_memory_max
                .unwrap_or(crate::sessions::DEFAULT_MEMORY_MAX as u64),
        };
        if memory_max == 0 {
            return Err("SHOP_SESSION_MEMORY_MAX: must be at least 1".into());
        }
        let data_dir = env("SHOP_DATA_DIR")
            .map(PathBuf::from)
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("data"));
        let trust_forwarded_proto = match env("SHOP_TRUST_FORWARDED_PROTO") {
            Some(v) => boolean("SHOP_TRUST_FORWARDED_PROTO", v)?,
            None => file.trust_forwarded_proto.unwrap_or(false),
        };
        // a real S-360 is reached over https; a sandbox run apart (http on loopback) is still
        // local development
        let remote =
            matches!(&backend, Backend::Remote { base_url } if base_url.starts_with("https://"));
        if remote {
            // with a real S-360 the payment return and notification URLs must not be built
            // from whatever Host header a request carries
            if let Some(t) = tenants.iter().find(|t| t.public_origin.is_none()) {
                return Err(format!(
                    "SHOP_PUBLIC_ORIGIN_{}: required with a real S-360 (S360_BASE_URL): the \
                     institution's public https origin, e.g. https://tickets.example.com",
                    t.code
                ));
            }
        }
        let strict_hosts = match env("SHOP_STRICT_HOSTS") {
            Some(v) => boolean("SHOP_STRICT_HOSTS", v)?,
            None => file.strict_hosts.unwrap_or(remote),
        };
        let defaults = crate::serve::Limits::default();
        let max_connections = match env("SHOP_MAX_CONNECTIONS") {
            Some(v) => num("SHOP_MAX_CONNECTIONS", v)?,
            None => file
                .max_connections
                .unwrap_or(defaults.max_connections as u64),
        };
        if max_connections == 0 {
            return Err("SHOP_MAX_CONNECTIONS: must be at least 1".into());
        }
        let header_timeout = match env("SHOP_HEADER_TIMEOUT_SECS") {
            Some(v) => num("SHOP_HEADER_TIMEOUT_SECS", v)?,
            None => file
                .header_timeout_secs
                .unwrap_or(defaults.header_timeout.as_secs()),
        };
        if header_timeout == 0 {
            return Err("SHOP_HEADER_TIMEOUT_SECS: must be at least 1".into());
        }
        let metrics_token = env("SHOP_METRICS_TOKEN")
            .or(file.metrics_token)
            .filter(|t| !t.is_empty())
            .map(Redacted);
        let holds_per_client = match env("SHOP_HOLDS_PER_CLIENT") {
            Some(v) => u32::try_from(num("SHOP_HOLDS_PER_CLIENT", v)?)
                .map_err(|_| "SHOP_HOLDS_PER_CLIENT: too large".to_string())?,
            None => file.holds_per_client.unwrap_or(60),
        };
        let mail = crate::mail::MailSettings::from_lookup(
            &env,
            matches!(backend, Backend::EmbeddedSandbox { .. }),
            &tenants.iter().map(|t| t.code.clone()).collect::<Vec<_>>(),
        )?;
        Ok(Settings {
            mail,
            listen,
            site_root,
            backend,
            tenants,
            default_tenant,
            catalog_poll: Duration::from_secs(catalog_poll),
            availability_poll: Duration::from_secs(availability_poll),
            s360_rate_limit_per_minute: rate,
            session_secure_cookie: secure,
            session_idle: Duration::from_secs(idle * 60),
            s360_request_timeout: Duration::from_millis(request_timeout),
            reconcile_period: Duration::from_secs(reconcile),
            session_store,
            session_absolute: Duration::from_secs(absolute * 3600),
            session_memory_max: memory_max as usize,
            data_dir,
            trust_forwarded_proto,
            strict_hosts,
            connection_limits: crate::serve::Limits {
                max_connections: max_connections as usize,
                header_timeout: Duration::from_secs(header_timeout),
            },
            metrics_token,
            holds_per_client,
            hsts: all_https,
            resellers,
        })
    }
}

/// `SHOP_OIDC_{CODE}_ISSUER`, `_CLIENT_ID`, `_CLIENT_SECRET`, `_SCOPES` (space- or
/// comma-separated) override the institution's `[tenants.oidc]`; then the result is checked.
fn apply_oidc_env(
    t: &mut TenantConfig,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<(), String> {
    let name = |k: &str| format!("SHOP_OIDC_{}_{k}", t.code.to_ascii_uppercase());
    let issuer = env(&name("ISSUER"));
    let id = env(&name("CLIENT_ID"));
    let secret = env(&name("CLIENT_SECRET"));
    let scopes = env(&name("SCOPES"));
    if issuer.is_some() || id.is_some() || secret.is_some() || scopes.is_some() {
        let base = t.oidc.clone();
        let pick = |v: Option<String>, f: fn(&OidcProviderConfig) -> String| {
            v.or_else(|| base.as_ref().map(f)).unwrap_or_default()
        };
        t.oidc = Some(OidcProviderConfig {
            issuer: pick(issuer, |o| o.issuer.clone()),
            client_id: pick(id, |o| o.client_id.clone()),
            client_secret: pick(secret, |o| o.client_secret.clone()),
            scopes: match scopes {
                Some(s) => s
                    .split([' ', ','])
                    .filter(|x| !x.is_empty())
                    .map(String::from)
                    .collect(),
                None => base.map(|o| o.scopes).unwrap_or_else(default_oidc_scopes),
            },
        });
    }
    if let Some(o) = &mut t.oidc {
        o.issuer = o.issuer.trim_end_matches('/').to_string();
        if !(o.issuer.starts_with("http://") || o.issuer.starts_with("https://")) {
            return Err(format!(
                "{}: the issuer must be an http(s) URL, got {:?}",
                name("ISSUER"),
                o.issuer
            ));
        }
        if o.client_id.trim().is_empty() {
            return Err(format!("{}: required with an issuer", name("CLIENT_ID")));
        }
        if o.client_secret.is_empty() {
            return Err(format!(
                "{}: required with an issuer",
                name("CLIENT_SECRET")
            ));
        }
        o.scopes.retain(|s| s != "openid");
    }
    Ok(())
}

/// `scheme://host[:port]` with an http(s) scheme and nothing after it (one trailing `/` is
/// dropped), lower-cased: the only form of a public origin.
fn public_origin(v: &str) -> Result<String, String> {
    let v = v.trim();
    let (scheme, rest) = v.split_once("://").ok_or_else(|| {
        format!("not an http(s) origin such as https://tickets.example.ch: {v:?}")
    })?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(format!("the scheme must be http or https: {v:?}"));
    }
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() {
        return Err(format!("no host name: {v:?}"));
    }
    if authority.contains(['/', '?', '#', '@', ' ']) {
        return Err(format!(
            "an origin has no path, query or user (scheme://host[:port]): {v:?}"
        ));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("bad IPv6 address in {v:?}"))?;
        if addr.is_empty() || !addr.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            return Err(format!("bad IPv6 address in {v:?}"));
        }
        match after {
            "" => ("ipv6", None),
            p => ("ipv6", Some(p.strip_prefix(':').unwrap_or("x"))),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if let Some(p) = port {
        if p.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(format!("bad port {p:?} in {v:?}"));
        }
    }
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'));
    if !host_ok {
        return Err(format!("bad host name {host:?} in {v:?}"));
    }
    Ok(format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

/// `#rgb` or `#rrggbb`: the only colour syntax accepted, so a value cannot break out of the
/// style attribute it is written into.
fn is_css_colour(v: &str) -> bool {
    v.strip_prefix('#')
        .is_some_and(|hex| matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

/// WCAG 2 contrast ratio of two colours accepted by `is_css_colour` (1.0 to 21.0).
fn contrast_ratio(a: &str, b: &str) -> f64 {
    fn luminance(colour: &str) -> f64 {
        let hex = colour.trim_start_matches('#');
        let channel = |i: usize| -> f64 {
            let v = if hex.len() == 3 {
                let d = u8::from_str_radix(&hex[i..i + 1], 16).unwrap_or(0);
                d * 17
            } else {
                u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0)
            };
            let c = f64::from(v) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2)
    }
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The settings of a build with the embedded sandbox, whichever this one is.
    fn load(pairs: &[(&str, &str)]) -> Result<Settings, String> {
        load_for(pairs, true)
    }

    fn load_for(pairs: &[(&str, &str)], embedded_sandbox: bool) -> Result<Settings, String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup_for(|k| m.get(k).cloned(), embedded_sandbox)
    }

    #[test]
    fn without_the_embedded_sandbox_s360_base_url_is_required() {
        // a production build (no feature `sandbox`): the default configuration is refused,
        // naming the setting and the feature
        let e = load_for(&[], false).unwrap_err();
        assert_eq!(e, NO_EMBEDDED_SANDBOX);
        assert!(e.starts_with("S360_BASE_URL: required"), "{e}");
        assert!(e.contains("feature `sandbox`"), "{e}");
        let e = load_for(&[("SHOP_SANDBOX_ADDR", "127.0.0.1:4000")], false).unwrap_err();
        assert_eq!(e, NO_EMBEDDED_SANDBOX);
        // the existing message still comes first for a half-given remote configuration
        let e = load_for(&[("S360_OPERATOR", "MOSA_WEB")], false).unwrap_err();
        assert!(
            e.starts_with("S360_BASE_URL: required when S360_OPERATOR"),
            "{e}"
        );
        // a remote S-360 works the same without it
        let s = load_for(
            &[
                ("S360_BASE_URL", "https://mosa.ws.secutix.com"),
                ("S360_OPERATOR", "MOSA_WEB"),
                ("S360_SECRET", "x"),
                ("SHOP_PUBLIC_ORIGIN_MOSA", "https://tickets.mosa.example"),
            ],
            false,
        )
        .unwrap();
        assert!(matches!(s.backend, Backend::Remote { .. }));
        // and the public entry point follows this build's features
        let default = Settings::from_lookup(|_| None);
        if cfg!(feature = "sandbox") {
            assert!(matches!(
                default.unwrap().backend,
                Backend::EmbeddedSandbox { .. }
            ));
        } else {
            assert_eq!(default.unwrap_err(), NO_EMBEDDED_SANDBOX);
        }
    }

    #[test]
    fn defaults_use_the_embedded_sandbox() {
        let s = load(&[]).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:3000");
        assert!(matches!(s.backend, Backend::EmbeddedSandbox { .. }));
        assert_eq!(s.tenants.len(), 3);
        assert_eq!(s.default_tenant, "CUBE");
        assert_eq!(s.s360_request_timeout, Duration::from_secs(15));
        assert_eq!(s.reconcile_period, Duration::from_secs(30));
    }

    #[test]
    fn sessions_and_a_third_party_identity_provider() {
        let s = load(&[]).unwrap();
        assert_eq!(s.session_store, crate::sessions::StoreConfig::Memory);
        assert_eq!(s.session_absolute, Duration::from_secs(12 * 3600));
        assert!(s.tenants.iter().all(|t| t.oidc.is_none()));
        let s = load(&[
            ("SHOP_SESSION_STORE", "redis://127.0.0.1:6379"),
            ("SHOP_SESSION_ABSOLUTE_HOURS", "2"),
            ("SHOP_OIDC_PLAY_ISSUER", "http://127.0.0.1:3302/"),
            ("SHOP_OIDC_PLAY_CLIENT_ID", "shop"),
            ("SHOP_OIDC_PLAY_CLIENT_SECRET", "s3cret"),
        ])
        .unwrap();
        assert_eq!(
            s.session_store,
            crate::sessions::StoreConfig::Redis("redis://127.0.0.1:6379".into())
        );
        assert_eq!(s.session_absolute, Duration::from_secs(7200));
        let play = s.tenants.iter().find(|t| t.code == "PLAY").unwrap();
        let o = play.oidc.as_ref().unwrap();
        assert_eq!(o.issuer, "http://127.0.0.1:3302");
        assert_eq!(
            (o.client_id.as_str(), o.client_secret.as_str()),
            ("shop", "s3cret")
        );
        assert_eq!(o.scopes, ["email", "profile"]);
        assert!(s
            .tenants
            .iter()
            .filter(|t| t.code != "PLAY")
            .all(|t| t.oidc.is_none()));
        // the same from the TOML file
        let dir = std::env::temp_dir().join(format!("shop-oidc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("shop.toml");
        std::fs::write(
            &file,
            "session_absolute_hours = 3\n[[tenants]]\ncode = \"PLAY\"\noperator = \"PLAY_WEB\"\n\
             secret = \"sandbox\"\n[tenants.oidc]\nissuer = \"https://id.example\"\n\
             client_id = \"c\"\nclient_secret = \"s\"\nscopes = [\"openid\", \"email\"]\n",
        )
        .unwrap();
        let s = load(&[("SHOP_CONFIG", file.to_str().unwrap())]).unwrap();
        let o = s.tenants[0].oidc.as_ref().unwrap();
        assert_eq!(o.issuer, "https://id.example");
        assert_eq!(o.scopes, ["email"]);
        assert_eq!(s.session_absolute, Duration::from_secs(3 * 3600));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn remote_needs_operator_and_secret() {
        let e = load(&[("S360_BASE_URL", "https://mosa.ws.secutix.com")]).unwrap_err();
        assert!(e.starts_with("S360_OPERATOR"), "{e}");
        let real = [
            ("S360_BASE_URL", "https://mosa.ws.secutix.com"),
            ("S360_OPERATOR", "MOSA_WEB"),
            ("S360_SECRET", "x"),
        ];
        // a real S-360 needs the institution's public origin, and refuses unknown hosts
        let e = load(&real).unwrap_err();
        assert!(e.starts_with("SHOP_PUBLIC_ORIGIN_MOSA: required"), "{e}");
        let mut with_origin = real.to_vec();
        with_origin.push(("SHOP_PUBLIC_ORIGIN_MOSA", "https://tickets.mosa.example"));
        let s = load(&with_origin).unwrap();
        assert_eq!(s.default_tenant, "MOSA");
        assert_eq!(s.tenants.len(), 1);
        assert!(s.strict_hosts);
        with_origin.push(("SHOP_STRICT_HOSTS", "false"));
        assert!(!load(&with_origin).unwrap().strict_hosts);
        // served over https: Secure cookies and HSTS by default
        let s = load(&with_origin).unwrap();
        assert!(s.session_secure_cookie && s.hsts);
        with_origin.push(("SHOP_SESSION_SECURE_COOKIE", "false"));
        assert!(!load(&with_origin).unwrap().session_secure_cookie);
        let dev = load(&[]).unwrap();
        assert!(!dev.session_secure_cookie && !dev.hsts);
        // the embedded sandbox is local development: any host, the default institution
        assert!(!load(&[]).unwrap().strict_hosts);
    }

    #[test]
    fn debug_leaves_secrets_out() {
        let s = load(&[
            ("SANDBOX_OPERATOR_SECRET", "operator-secret-xyz"),
            ("SHOP_OIDC_PLAY_ISSUER", "https://idp.example"),
            ("SHOP_OIDC_PLAY_CLIENT_ID", "shop"),
            ("SHOP_OIDC_PLAY_CLIENT_SECRET", "client-secret-xyz"),
            ("SHOP_METRICS_TOKEN", "metrics-token-xyz"),
        ])
        .unwrap();
        let printed = format!("{s:?}");
        assert!(printed.contains("PLAY_WEB"), "{printed}");
        for secret in [
            "operator-secret-xyz",
            "client-secret-xyz",
            "metrics-token-xyz",
        ] {
            assert!(!printed.contains(secret), "{secret} printed: {printed}");
        }
    }

    #[test]
    fn contrast_ratio_follows_wcag() {
        assert!((contrast_ratio("#000", "#fff") - 21.0).abs() < 1e-9);
        assert!((contrast_ratio("#ffffff", "#ffffff") - 1.0).abs() < 1e-9);
        // the embedded institutions' brands all pass; a pale brand under white text does not
        for t in sandbox_tenants("s") {
            let b = &t.branding;
            assert!(
                contrast_ratio(&b.on_brand_color, &b.brand_color) >= 4.5,
                "{}",
                t.code
            );
            assert!(
                contrast_ratio(&b.accent_color, "#ffffff") >= 4.5,
                "{}",
                t.code
            );
        }
        assert!(contrast_ratio("#ffffff", "#eef3fb") < 4.5);
        assert!(contrast_ratio("#ffffff", "#ffbf47") < 4.5);
        // an institution configured with white text on a light brand is refused at start
        let dir = std::env::temp_dir().join(format!("shop-contrast-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("shop.toml");
        let toml = |brand: &str| {
            format!(
                "[[tenants]]\ncode = \"MOSA\"\noperator = \"MOSA_WEB\"\nsecret = \"sandbox\"\n\
                 [tenants.branding]\nbrand_color = \"{brand}\"\non_brand_color = \"#ffffff\"\n\
                 accent_color = \"#7a1f5c\"\nfooter_links = []\n"
            )
        };
        std::fs::write(&file, toml("#7a1f5c")).unwrap();
        load(&[("SHOP_CONFIG", file.to_str().unwrap())]).unwrap();
        std::fs::write(&file, toml("#ffbf47")).unwrap();
        let e = load(&[("SHOP_CONFIG", file.to_str().unwrap())]).unwrap_err();
        assert!(
            e.starts_with("tenants.branding (MOSA): on_brand_color on brand_color"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn footer_links_have_a_label_per_language_and_old_single_labels_still_load() {
        let dir = std::env::temp_dir().join(format!("shop-footer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("shop.toml");
        std::fs::write(
            &file,
            "[[tenants]]\ncode = \"MOSA\"\noperator = \"MOSA_WEB\"\nsecret = \"sandbox\"\n\
             [tenants.branding]\nfooter_links = [\n\
             { label = \"Contact\", href = \"https://mosa.example/contact\" },\n\
             { label = \"Terms of sale\", labels = { fr = \"Conditions de vente\", de = \"AGB\" }, \
             href = \"https://mosa.example/terms\" },\n]\n",
        )
        .unwrap();
        let s = load(&[("SHOP_CONFIG", file.to_str().unwrap())]).unwrap();
        let links = &s.tenants[0].branding.footer_links;
        assert_eq!(links[0].label_in("fr"), "Contact");
        assert_eq!(links[1].label_in("en"), "Terms of sale");
        assert_eq!(links[1].label_in("fr"), "Conditions de vente");
        assert_eq!(links[1].label_in("de"), "AGB");
        // the demo institutions speak every language
        for t in sandbox_tenants("x") {
            let terms = &t.branding.footer_links[1];
            assert_eq!(terms.label_in("de"), "AGB", "{}", t.code);
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn bad_values_name_the_setting() {
        for (k, v) in [
            ("LEPTOS_SITE_ADDR", "nope"),
            ("SHOP_CATALOG_POLL_SECS", "soon"),
            ("SHOP_AVAILABILITY_POLL_SECS", "5"),
            ("SHOP_SESSION_SECURE_COOKIE", "maybe"),
            ("SHOP_DEFAULT_INSTITUTION", "NOPE"),
            ("S360_BASE_URL", "ftp://x"),
            ("S360_REQUEST_TIMEOUT_MS", "5"),
            ("SHOP_RECONCILE_SECS", "0"),
            ("SHOP_SESSION_STORE", "postgres://x"),
            ("SHOP_SESSION_ABSOLUTE_HOURS", "0"),
            ("SHOP_SESSION_MEMORY_MAX", "0"),
            ("SHOP_OIDC_PLAY_ISSUER", "idp.example"),
            ("SHOP_STRICT_HOSTS", "sometimes"),
            ("SHOP_MAX_CONNECTIONS", "0"),
            ("SHOP_HEADER_TIMEOUT_SECS", "0"),
            ("SHOP_HOLDS_PER_CLIENT", "many"),
        ] {
            let e = load(&[(k, v)]).unwrap_err();
            assert!(e.starts_with(k), "{k}: {e}");
        }
    }

    #[test]
    fn public_origin_data_dir_and_forwarded_proto() {
        let s = load(&[]).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("data"));
        assert!(!s.trust_forwarded_proto);
        assert!(s.tenants.iter().all(|t| t.public_origin.is_none()));
        let s = load(&[
            ("SHOP_DATA_DIR", "/var/lib/shop"),
            ("SHOP_TRUST_FORWARDED_PROTO", "true"),
            ("SHOP_PUBLIC_ORIGIN_MOSA", "HTTPS://Tickets.Mosa.example/"),
            ("SHOP_PUBLIC_ORIGIN_CUBE", "http://127.0.0.1:3000"),
        ])
        .unwrap();
        assert_eq!(s.data_dir, PathBuf::from("/var/lib/shop"));
        assert!(s.trust_forwarded_proto);
        let origin = |code: &str| {
            s.tenants
                .iter()
                .find(|t| t.code == code)
                .unwrap()
                .public_origin
                .clone()
        };
        assert_eq!(
            origin("MOSA").as_deref(),
            Some("https://tickets.mosa.example")
        );
        assert_eq!(origin("CUBE").as_deref(), Some("http://127.0.0.1:3000"));
        assert_eq!(origin("PLAY"), None);
        for bad in [
            "tickets.mosa.example",
            "ftp://tickets.mosa.example",
            "https://tickets.mosa.example/shop",
            "https://tickets.mosa.example?x=1",
            "https://user@tickets.mosa.example",
            "https://",
            "https://tickets.mosa.example:0",
            "https://tickets.mosa.example:http",
        ] {
            let e = load(&[("SHOP_PUBLIC_ORIGIN_MOSA", bad)]).unwrap_err();
            assert!(e.starts_with("SHOP_PUBLIC_ORIGIN_MOSA: "), "{bad}: {e}");
        }
        let e = load(&[("SHOP_TRUST_FORWARDED_PROTO", "perhaps")]).unwrap_err();
        assert!(e.starts_with("SHOP_TRUST_FORWARDED_PROTO"), "{e}");
        // the same from the TOML file, where a bad value names the institution's setting
        let dir = std::env::temp_dir().join(format!("shop-origin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("shop.toml");
        let toml = |origin: &str| {
            format!(
                "data_dir = \"/srv/shop\"\ntrust_forwarded_proto = true\n[[tenants]]\n\
                 code = \"MOSA\"\noperator = \"MOSA_WEB\"\nsecret = \"sandbox\"\n\
                 public_origin = \"{origin}\"\n"
            )
        };
        std::fs::write(&file, toml("https://tickets.mosa.example")).unwrap();
        let s = load(&[("SHOP_CONFIG", file.to_str().unwrap())]).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("/srv/shop"));
        assert!(s.trust_forwarded_proto);
        assert_eq!(
            s.tenants[0].public_origin.as_deref(),
            Some("https://tickets.mosa.example")
        );
        std::fs::write(&file, toml("https://tickets.mosa.example/path")).unwrap();
        let e = load(&[("SHOP_CONFIG", file.to_str().unwrap())]).unwrap_err();
        assert!(e.starts_with("tenants.public_origin (MOSA): "), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
