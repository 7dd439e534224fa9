//! Security headers on every response. The Content-Security-Policy allows scripts and frames
//! from the shop and from S-360's origin (the S-PAY widget and its hosted card page) only.
//! `'unsafe-inline'` is still needed for Leptos' inline hydration bootstrap (no nonce yet).

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The policy for a shop whose S-360 (and so S-PAY) lives at `s360_origin`.
pub fn content_security_policy(s360_origin: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval' {s360_origin}; \
         frame-src {s360_origin}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self' {s360_origin}; frame-ancestors 'none'; \
         base-uri 'self'; object-src 'none'"
    )
}

/// The policy with a card payment provider's origins (Stripe.js and its API) allowed to run
/// scripts, frames and requests: the reseller's pay page loads the provider's script, which
/// talks to its API and may show 3-D Secure in a frame.
pub fn with_payment_provider(csp: &str, origins: &[String]) -> String {
    let mut origins: Vec<&str> = origins.iter().map(String::as_str).collect();
    origins.sort_unstable();
    origins.dedup();
    if origins.is_empty() {
        return csp.to_string();
    }
    let extra = origins.join(" ");
    csp.split("; ")
        .map(|d| {
            let name = d.split(' ').next().unwrap_or("");
            if matches!(name, "script-src" | "frame-src" | "connect-src") {
                format!("{d} {extra}")
            } else {
                d.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `scheme://host[:port]` of a URL.
pub fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let host = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{host}")
}

/// Pages and answers that carry a buyer's own data (the cart, addresses, holders' names, the
/// order with its barcodes, the account, the login and payment hand-offs, server functions):
/// never stored by the browser's or a proxy's cache.
pub fn is_private(path: &str) -> bool {
    const PRIVATE: [&str; 9] = [
        "/cart",
        "/checkout",
        "/pay",
        "/orders",
        "/account",
        "/payment",
        "/login",
        "/auth",
        "/api",
    ];
    PRIVATE
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

/// What `security_headers` adds: the CSP, and HSTS when the shop is served over https.
#[derive(Clone)]
pub struct Policy {
    pub csp: HeaderValue,
    pub hsts: bool,
}

pub async fn security_headers(
    State(Policy { csp, hsts }): State<Policy>,
    req: Request,
    next: Next,
) -> Response {
    let private = is_private(req.uri().path());
    let mut res = next.run(req).await;
    if private {
        res.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        );
    }
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: &'static str, v: HeaderValue| {
        h.entry(HeaderName::from_static(name)).or_insert(v);
    };
    set(h, "content-security-policy", csp);
    if hsts {
        set(
            h,
            "strict-transport-security",
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    set(
        h,
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    set(
        h,
        "referrer-policy",
        HeaderValue::from_static("same-origin"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_and_policy() {
        assert_eq!(origin_of("http://127.0.0.1:8360"), "http://127.0.0.1:8360");
        assert_eq!(
            origin_of("https://mosa.ws.secutix.com/tnseb"),
            "https://mosa.ws.secutix.com"
        );
        let p = content_security_policy("http://127.0.0.1:8360");
        assert!(p.contains("frame-src http://127.0.0.1:8360;"));
        assert!(p.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn private_pages() {
        for p in [
            "/cart",
            "/checkout",
            "/pay",
            "/orders/7",
            "/orders/7/tickets.pdf",
            "/account/orders",
            "/api/get_order",
            "/payment/return",
        ] {
            assert!(is_private(p), "{p}");
        }
        for p in [
            "/",
            "/event/1",
            "/product/2",
            "/performance/3",
            "/pkg/shop.css",
            "/cartography",
            "/robots.txt",
        ] {
            assert!(!is_private(p), "{p}");
        }
    }
}
