//! One request, as the services see it: the institution's shop, the buyer's typed session and
//! the buyer's language. The edges build it once per request (the pages' server functions in
//! `app`, the HTTP handlers in `server`); nothing below them looks at the request again.

use std::net::IpAddr;
use std::sync::Arc;

use crate::lang::Lang;
use crate::session::BuyerSession;
use crate::tenant::Tenant;

/// The request context every service that acts for a buyer takes.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub tenant: Arc<Tenant>,
    pub session: BuyerSession,
    pub lang: Lang,
    /// The buyer's address (the TCP peer), for per-client limits.
    pub client: Option<IpAddr>,
    /// The shop's public origin for this request (canonical URLs, JSON-LD; see
    /// [`Tenant::origin`]).
    pub origin: Option<String>,
}

impl Ctx {
    pub fn new(tenant: Arc<Tenant>, session: tower_sessions::Session, lang: Lang) -> Self {
        let session = BuyerSession::new(session, &tenant.code);
        Ctx {
            tenant,
            session,
            lang,
            client: None,
            origin: None,
        }
    }

    pub fn with_origin(mut self, origin: Option<String>) -> Self {
        self.origin = origin;
        self
    }

    pub fn with_client(mut self, client: Option<IpAddr>) -> Self {
        self.client = client;
        self
    }

    /// The language's code (`en`), the locale of rust-i18n and of the formatters.
    pub fn locale(&self) -> &'static str {
        self.lang.code()
    }

    /// The shop as the page's layout shows it (see [`crate::describe::shop_info`]).
    pub fn shop_info(&self, snap: &s360::client::CatalogSnapshot) -> crate::model::ShopInfo {
        crate::describe::shop_info(&self.tenant, snap, self.locale(), self.origin.as_deref())
    }
}

/// The address of the client of a request (the TCP peer), which the server's accept loop puts
/// in every request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

/// `?lang=` (true when it came from there: the answer sets the cookie), the `lang` cookie,
/// `Accept-Language`, then the institution's first language.
pub fn lang_of(parts: &http::request::Parts, tenant: Option<&Tenant>) -> (Lang, bool) {
    let supported: &[Lang] = tenant.map_or(&Lang::ALL, |t| &t.languages);
    let allowed = |l: Lang| supported.contains(&l).then_some(l);
    let from_query = parts.uri.query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "lang")
            .and_then(|(_, v)| Lang::parse(v))
            .and_then(allowed)
    });
    if let Some(lang) = from_query {
        return (lang, true);
    }
    let from_cookie = parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::parse(v))
        .and_then(allowed);
    let from_browser = || {
        parts
            .headers
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| Lang::from_accept_language(h, supported))
    };
    let lang = from_cookie
        .or_else(from_browser)
        .or_else(|| supported.first().copied())
        .unwrap_or_default();
    (lang, false)
}
