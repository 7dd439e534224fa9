//! Which `Host` headers the shop answers. The host picks the institution, and pages build
//! canonical links, structured data, robots.txt and the sitemap from it; so with a real S-360
//! (`strict`) a host no institution is configured for is refused with 421 instead of falling
//! back to the default institution. Probes (`/healthz`, `/readyz`) answer on any host.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The host names (without port, lower case) the shop serves.
#[derive(Debug, Clone, Default)]
pub struct HostPolicy {
    pub strict: bool,
    pub known: HashSet<String>,
}

impl HostPolicy {
    /// The configured hosts of every institution and the host of its public origin.
    pub fn new(
        strict: bool,
        tenants: &[crate::config::TenantConfig],
        resellers: &[reseller::ResellerConfig],
    ) -> HostPolicy {
        let mut known = HashSet::new();
        for r in resellers {
            for h in &r.hosts {
                known.insert(host_name(h));
            }
            if let Some(origin) = &r.public_origin {
                let authority = origin.split("://").nth(1).unwrap_or(origin);
                known.insert(host_name(authority));
            }
        }
        for t in tenants {
            for h in &t.hosts {
                known.insert(host_name(h));
            }
            if let Some(origin) = &t.public_origin {
                let authority = origin.split("://").nth(1).unwrap_or(origin);
                known.insert(host_name(authority));
            }
        }
        HostPolicy { strict, known }
    }

    pub fn allows(&self, host: Option<&str>) -> bool {
        !self.strict || host.is_some_and(|h| self.known.contains(&host_name(h)))
    }
}

/// `Tickets.Example.com:443` -> `tickets.example.com` (IPv6 literals keep their brackets).
fn host_name(authority: &str) -> String {
    let authority = authority.trim();
    let name = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or(authority)
    } else {
        authority.split(':').next().unwrap_or(authority)
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Middleware: refuses requests for unknown hosts when the policy is strict.
pub async fn known_hosts_only(
    State(policy): State<Arc<HostPolicy>>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if matches!(path, "/healthz" | "/readyz") {
        return next.run(req).await;
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().host());
    if policy.allows(host) {
        return next.run(req).await;
    }
    tracing::info!(
        host = host.unwrap_or(""),
        "request for an unknown host refused"
    );
    (
        StatusCode::MISDIRECTED_REQUEST,
        "This shop does not serve this host name.\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_configured_hosts_when_strict() {
        let tenant = crate::config::TenantConfig {
            code: "MOSA".into(),
            hosts: vec!["Tickets.Mosa.example".into()],
            public_origin: Some("https://shop.mosa.example:8443".into()),
            ..Default::default()
        };
        let strict = HostPolicy::new(true, std::slice::from_ref(&tenant), &[]);
        assert!(strict.allows(Some("tickets.mosa.example")));
        assert!(strict.allows(Some("TICKETS.mosa.example.:443")));
        assert!(strict.allows(Some("shop.mosa.example:8443")));
        assert!(!strict.allows(Some("evil.example")));
        assert!(!strict.allows(Some("mosa.evil.example")));
        assert!(!strict.allows(None));
        let open = HostPolicy::new(false, &[tenant], &[]);
        assert!(open.allows(Some("evil.example")));
        assert!(open.allows(None));
    }
}
