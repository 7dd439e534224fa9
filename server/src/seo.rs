//! What search engines read, per institution: `robots.txt` (public pages only, and where the
//! sitemap is) and `sitemap.xml` (the programme, every event, performance and product page on
//! sale, each with its other languages as `hreflang` alternates). Built from the catalog in
//! memory.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::startup::AppState;

/// Pages a crawler has no business in: the buyer's cart, checkout, payment, orders, account.
const PRIVATE: [&str; 8] = [
    "/cart",
    "/checkout",
    "/pay",
    "/orders/",
    "/account",
    "/login",
    "/auth/",
    "/payment/",
];

pub async fn robots(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(origin) = state.shop.origin_of(&headers) else {
        return (StatusCode::BAD_REQUEST, "unknown host").into_response();
    };
    let mut body = String::from("User-agent: *\nAllow: /\n");
    for p in PRIVATE {
        body.push_str(&format!("Disallow: {p}\n"));
    }
    body.push_str(&format!("Sitemap: {origin}/sitemap.xml\n"));
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub async fn sitemap(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (Some(tenant), Some(origin)) = (state.tenant_for(&headers), state.shop.origin_of(&headers))
    else {
        return (StatusCode::BAD_REQUEST, "unknown host").into_response();
    };
    let Some(snap) = tenant.catalog.snapshot() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "30")],
            "the catalog is not loaded yet",
        )
            .into_response();
    };
    let mut paths = vec!["/".to_string()];
    for p in snap.catalog.products().filter(|p| p.state.on_sale()) {
        let Some(event) = &p.event else {
            // passes, services and season tickets: their product page
            paths.push(shop::describe::product_href(p));
            continue;
        };
        paths.push(format!("/event/{}", p.id));
        for perf in event.performances.iter().filter(|x| x.state.on_sale()) {
            paths.push(format!("/event/{}/{}", p.id, perf.id));
        }
    }
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
    );
    for path in paths {
        let loc = xml_escape(&format!("{origin}{path}"));
        xml.push_str(&format!("  <url>\n    <loc>{loc}</loc>\n"));
        for lang in &tenant.languages {
            let href = xml_escape(&format!("{origin}{path}?lang={}", lang.code()));
            xml.push_str(&format!(
                "    <xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{href}\"/>\n",
                lang.code()
            ));
        }
        xml.push_str("  </url>\n");
    }
    xml.push_str("</urlset>\n");
    (
        [
            (header::CONTENT_TYPE, "application/xml; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        xml,
    )
        .into_response()
}
