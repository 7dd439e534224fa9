//! Settings: defaults, then an optional TOML file (`SHOP_CONFIG`), then the environment.
//! A bad value stops the start with a message naming the setting.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// One institution served by this shop.
#[derive(Debug, Clone, Deserialize, PartialEq)]
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
    /// CSS colour of the brand.
    #[serde(default = "default_brand")]
    pub brand_color: String,
}

fn default_brand() -> String {
    "#1f4e79".into()
}

/// Where S-360 is.
#[derive(Debug, Clone, PartialEq)]
pub enum Backend {
    /// Start the sandbox in-process on this address (port 0 = any free port).
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
    #[serde(default)]
    tenants: Vec<TenantConfig>,
}

/// The three demo institutions of the sandbox, with their brands.
pub fn sandbox_tenants(secret: &str) -> Vec<TenantConfig> {
    [
        ("MOSA", "#7a1f5c"),
        ("CUBE", "#1d4f91"),
        ("PLAY", "#0b6b3a"),
    ]
    .into_iter()
    .map(|(code, color)| TenantConfig {
        code: code.into(),
        operator: format!("{code}_WEB"),
        secret: secret.into(),
        hosts: vec![],
        brand_color: color.into(),
    })
    .collect()
}

impl Settings {
    /// Reads the settings from `SHOP_CONFIG` (if set) and the process environment.
    pub fn load() -> Result<Settings, String> {
        let lookup = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Self::from_lookup(lookup)
    }

    /// The same, with the environment given as a function (for tests).
    pub fn from_lookup(env: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
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
                                hosts: vec![],
                                brand_color: default_brand(),
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
                Backend::EmbeddedSandbox { listen }
            }
        };
        for t in &tenants {
            if t.code.is_empty() || !t.code.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(format!("tenants: invalid institution code {:?}", t.code));
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
        let secure = match env("SHOP_SESSION_SECURE_COOKIE") {
            Some(v) => boolean("SHOP_SESSION_SECURE_COOKIE", v)?,
            None => file.session_secure_cookie.unwrap_or(false),
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
        Ok(Settings {
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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| m.get(k).cloned())
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
    fn remote_needs_operator_and_secret() {
        let e = load(&[("S360_BASE_URL", "https://mosa.ws.secutix.com")]).unwrap_err();
        assert!(e.starts_with("S360_OPERATOR"), "{e}");
        let s = load(&[
            ("S360_BASE_URL", "https://mosa.ws.secutix.com"),
            ("S360_OPERATOR", "MOSA_WEB"),
            ("S360_SECRET", "x"),
        ])
        .unwrap();
        assert_eq!(s.default_tenant, "MOSA");
        assert_eq!(s.tenants.len(), 1);
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
        ] {
            let e = load(&[(k, v)]).unwrap_err();
            assert!(e.starts_with(k), "{k}: {e}");
        }
    }
}
