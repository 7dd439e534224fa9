//! The edge between the pages and the shop's domain: what a server function or a render knows
//! of its request (the tenant its `Host` selects, the session, the language, the client's
//! address), gathered once into a [`shop::Ctx`].

use std::sync::Arc;

use leptos::prelude::*;
use shop::context::{lang_of, ClientAddr};
use shop::lang::Lang;
use shop::tenant::{ShopState, Tenant};

use crate::error::AppError;

/// The request context of the server function or page being served: the tenant, the
/// language and the public origin are worked out once, from one look at the request.
pub async fn ctx() -> Result<shop::Ctx, AppError> {
    let tenant = current_tenant().await?;
    let session = session().await?;
    let parts = use_context::<http::request::Parts>();
    let lang = use_context::<Lang>()
        .or_else(|| parts.as_ref().map(|p| lang_of(p, Some(&tenant)).0))
        .unwrap_or_default();
    let origin = parts.as_ref().and_then(|p| tenant.origin(&p.headers));
    let client = parts
        .as_ref()
        .and_then(|p| p.extensions.get::<ClientAddr>().map(|c| c.0));
    Ok(shop::Ctx::new(tenant, session, lang)
        .with_client(client)
        .with_origin(origin))
}

/// The shop's public origin for URLs S-360 sends the buyer back to; refused without a usable
/// `Host` header.
pub fn public_origin(cx: &shop::Ctx) -> Result<&str, AppError> {
    cx.origin
        .as_deref()
        .ok_or_else(|| AppError::new(400, "the request has no usable Host header"))
}

/// The tenant of the request being served.
pub async fn current_tenant() -> Result<Arc<Tenant>, AppError> {
    let state =
        use_context::<ShopState>().ok_or_else(|| AppError::internal("shop state missing"))?;
    let parts = use_context::<http::request::Parts>();
    let host = parts
        .as_ref()
        .and_then(|p| p.headers.get(http::header::HOST))
        .and_then(|h| h.to_str().ok());
    state
        .tenant_for_host(host)
        .ok_or_else(|| AppError::new(404, "no shop is configured for this host"))
}

/// Whether the request being served calls a server function (`/api/…`), rather than rendering
/// a page that runs one on the server.
pub fn is_server_function_call() -> bool {
    use_context::<http::request::Parts>().is_some_and(|p| p.uri.path().starts_with("/api/"))
}

/// Whether the request being served is a plain HTML form post (a browser without JavaScript),
/// whose server-function errors Leptos carries back in the URL; a script's call gets data.
pub fn is_plain_form_post() -> bool {
    use_context::<http::request::Parts>().is_some_and(|p| {
        p.headers
            .get(http::header::ACCEPT)
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
    })
}

/// The buyer's session (cart, payment in progress).
pub async fn session() -> Result<tower_sessions::Session, AppError> {
    leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|_| AppError::internal("sessions are not available"))
}

/// The language of the current request: the page's (provided by the shell) or, in a server
/// function called from the browser, from the request itself.
pub fn request_lang() -> Lang {
    if let Some(lang) = use_context::<Lang>() {
        return lang;
    }
    let Some(parts) = use_context::<http::request::Parts>() else {
        return Lang::default();
    };
    lang_of(&parts, tenant_of(&parts).as_deref()).0
}

/// The tenant a request's `Host` selects, from the shop state in context.
fn tenant_of(parts: &http::request::Parts) -> Option<Arc<Tenant>> {
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok());
    use_context::<ShopState>()?.tenant_for_host(host)
}

/// Chooses the page's language while the document shell renders: provides it to every
/// component and, when the buyer picked it with `?lang=`, remembers it in a cookie.
pub fn provide_page_lang() -> Lang {
    let lang = use_context::<http::request::Parts>().map_or(Lang::default(), |parts| {
        let (lang, chosen) = lang_of(&parts, tenant_of(&parts).as_deref());
        if chosen {
            if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
                let cookie = format!(
                    "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
                    lang.code()
                );
                if let Ok(v) = http::HeaderValue::from_str(&cookie) {
                    resp.append_header(http::header::SET_COOKIE, v);
                }
            }
        }
        lang
    });
    provide_context(lang);
    lang
}
