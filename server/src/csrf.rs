//! Cross-site request forgery protection: every state-changing request (POST, PUT, PATCH,
//! DELETE: page forms, `/logout`, Leptos server functions under `/api`) must come from the
//! shop's own origin.
//!
//! The check, in order:
//! 1. `Origin` (every browser sends it on these methods): its `host[:port]` must be the
//!    request's `Host` or the institution's configured public origin, with the scheme `http` or
//!    `https` (a TLS proxy in front may change the scheme; the authority is what tells sites
//!    apart). `Origin: null` (sandboxed frames, privacy redirects) is refused.
//! 2. Without `Origin`: `Sec-Fetch-Site` must be `same-origin` (any other value is refused).
//! 3. Without both: `Referer`, whose origin must match as in 1.
//! 4. With none of them the request is **refused**: the browsers the shop supports always send
//!    `Origin` (or at least `Sec-Fetch-Site`) on these methods, so a request with neither header
//!    is not a browser's; a script of ours or a test can send `Origin` itself. Failing closed
//!    avoids trusting clients that strip headers (old proxies, privacy extensions) blindly.
//!
//! Exempt: server-to-server endpoints that never see a browser: S-PAY's payment notification
//! (`POST /payment/notify/{code}`, authenticated by its own secret). The payment return is a
//! GET (S-PAY redirects the browser with 303), so it needs no exemption.
//!
//! A refused request gets `403 Forbidden`: a small HTML page when the client accepts HTML (a
//! browser's form post), plain text otherwise (fetch, server functions called from wasm).

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use shop::tenant::ShopState;

/// Paths whose state-changing requests come from servers, not browsers.
fn exempt(path: &str) -> bool {
    // S-PAY's notification; the reseller's payment provider's webhook (signed by it)
    path.starts_with("/payment/notify/") || path.starts_with("/stripe/webhook")
}

fn state_changing(m: &Method) -> bool {
    !matches!(
        *m,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// `host[:port]` of an absolute http(s) URL or origin, lower-case; `None` otherwise.
fn authority_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(authority.to_ascii_lowercase())
}

fn header_str<'a>(headers: &'a HeaderMap, name: &header::HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Why a request is refused, or `None` when it is same-origin. `public_origin` is the
/// institution's configured origin, when it has one.
pub fn verdict(
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    public_origin: Option<&str>,
) -> Option<&'static str> {
    if !state_changing(method) || exempt(path) {
        return None;
    }
    let Some(host) = header_str(headers, &header::HOST).map(str::to_ascii_lowercase) else {
        return Some("the request names no host");
    };
    let public = public_origin.and_then(authority_of);
    let ours = |a: &str| a == host || public.as_deref() == Some(a);
    if let Some(origin) = headers.get(header::ORIGIN) {
        return match origin.to_str().ok().and_then(authority_of) {
            Some(a) if ours(&a) => None,
            _ => Some("the request comes from another site"),
        };
    }
    if let Some(site) = header_str(headers, &header::HeaderName::from_static("sec-fetch-site")) {
        return (!site.eq_ignore_ascii_case("same-origin"))
            .then_some("the request comes from another site");
    }
    if let Some(referer) = header_str(headers, &header::REFERER) {
        return match authority_of(referer) {
            Some(a) if ours(&a) => None,
            _ => Some("the request comes from another site"),
        };
    }
    Some("the request does not say where it comes from")
}

/// The middleware.
pub async fn same_origin_only(State(shop): State<ShopState>, req: Request, next: Next) -> Response {
    let public = state_changing(req.method())
        .then(|| shop.origin_of(req.headers()))
        .flatten();
    let Some(why) = verdict(
        req.method(),
        req.uri().path(),
        req.headers(),
        public.as_deref(),
    ) else {
        return next.run(req).await;
    };
    tracing::warn!(
        method = %req.method(),
        path = %req.uri().path(),
        origin = ?req.headers().get(header::ORIGIN),
        reason = why,
        "cross-site request refused"
    );
    let wants_html =
        header_str(req.headers(), &header::ACCEPT).is_some_and(|a| a.contains("text/html"));
    let mut res = if wants_html {
        (
            StatusCode::FORBIDDEN,
            Html(format!(
                "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
                 <title>Request refused</title></head><body><main><h1>Request refused</h1>\
                 <p role=\"alert\">This form was not sent from the shop's own pages ({why}), so \
                 nothing was changed. Please go back to the shop, reload the page and try \
                 again.</p><p><a href=\"/\">Back to the shop</a></p></main></body></html>"
            )),
        )
            .into_response()
    } else {
        (
            StatusCode::FORBIDDEN,
            format!("403 Forbidden: cross-site request refused ({why}); nothing was changed.\n"),
        )
            .into_response()
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        m
    }

    #[test]
    fn same_origin_passes_cross_site_is_refused() {
        let post = Method::POST;
        let host = ("host", "play.localhost:3000");
        assert!(verdict(&Method::GET, "/", &h(&[host]), None).is_none());
        for ok in [
            vec![host, ("origin", "http://play.localhost:3000")],
            vec![host, ("origin", "https://PLAY.localhost:3000")],
            vec![host, ("sec-fetch-site", "same-origin")],
            vec![host, ("referer", "http://play.localhost:3000/account?x=1")],
        ] {
            assert!(verdict(&post, "/api/x", &h(&ok), None).is_none(), "{ok:?}");
        }
        for bad in [
            vec![host, ("origin", "http://evil.example")],
            vec![host, ("origin", "http://play.localhost:3001")],
            vec![host, ("origin", "http://cube.localhost:3000")],
            vec![host, ("origin", "null")],
            vec![host, ("origin", "http://play.localhost:3000.evil.example")],
            vec![host, ("origin", "http://evil.example@play.localhost:3000")],
            // Origin wins over a same-origin Referer
            vec![
                host,
                ("origin", "http://evil.example"),
                ("referer", "http://play.localhost:3000/"),
            ],
            vec![host, ("sec-fetch-site", "cross-site")],
            vec![host, ("sec-fetch-site", "same-site")],
            vec![host, ("referer", "http://evil.example/play.localhost:3000")],
            vec![host, ("referer", "/relative")],
            vec![host],
            vec![("origin", "http://play.localhost:3000")],
        ] {
            assert!(
                verdict(&post, "/logout", &h(&bad), None).is_some(),
                "{bad:?}"
            );
        }
        for m in [Method::PUT, Method::PATCH, Method::DELETE] {
            assert!(verdict(&m, "/x", &h(&[host]), None).is_some());
        }
        // behind a proxy: the configured public origin is ours too
        let proxied = h(&[
            ("host", "10.0.0.5:3000"),
            ("origin", "https://tickets.play.ch"),
        ]);
        assert!(verdict(&post, "/x", &proxied, Some("https://tickets.play.ch")).is_none());
        assert!(verdict(&post, "/x", &proxied, None).is_some());
        assert!(verdict(&post, "/payment/notify/CUBE", &h(&[host]), None).is_none());
    }
}
