//! The shop's pages. Rendered on the server (feature `ssr`) and hydrated in the browser
//! (feature `hydrate`); their data comes from thin server functions over the `shop` crate.

// UI strings of every page, compiled in from locales/*.yml (see i18n.rs)
rust_i18n::i18n!("../locales", fallback = "en");

#[cfg(feature = "ssr")]
pub mod context;
pub mod error;
pub mod i18n;
pub mod routes;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

/// The HTML document around the app (server side only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let lang = context::provide_page_lang();
    #[cfg(not(feature = "ssr"))]
    let lang = i18n::Lang::default();
    view! {
        <!DOCTYPE html>
        <html lang=lang.code()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // the server's shell provides the page's language; the browser reads it back from <html>
    #[cfg(feature = "hydrate")]
    if use_context::<i18n::Lang>().is_none() {
        provide_context(i18n::document_lang());
    }
    // Effects run only in the browser: the marker tells tests (and CSS) that the page is live.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    view! {
        <Stylesheet id="shop" href="/pkg/shop.css"/>
        <Title text="Tickets"/>
        <div class="app" data-hydrated=move || hydrated.get().to_string()>
            <Router>
                <Routes fallback=routes::not_found::NotFound>
                    <Route path=StaticSegment("") view=routes::home::HomePage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("event"), ParamSegment("id")) view=routes::event::EventPage ssr=SsrMode::Async/>
                    <Route
                        path=(StaticSegment("event"), ParamSegment("id"), ParamSegment("perf"))
                        view=routes::performance::PerformancePage
                        ssr=SsrMode::Async
                    />
                    <Route path=(StaticSegment("product"), ParamSegment("id")) view=routes::product::ProductPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("cart") view=routes::cart::CartPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("checkout") view=routes::checkout::CheckoutPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("pay") view=routes::checkout::PayPage/>
                    <Route path=(StaticSegment("orders"), ParamSegment("id")) view=routes::order::OrderPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("account") view=routes::account::AccountPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("account"), StaticSegment("orders")) view=routes::history::OrderHistoryPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("account"), StaticSegment("delete")) view=routes::account::DeleteAccountPage/>
                    <Route path=(StaticSegment("account"), StaticSegment("deleted")) view=routes::account::AccountDeletedPage/>
                </Routes>
            </Router>
        </div>
    }
}
