use leptos::prelude::*;
use leptos_meta::Title;
use rust_i18n::t;

use crate::i18n::use_lang;

/// The 404 page (and its status code on the server).
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    let lang = use_lang().code();
    view! {
        <Title text=t!("notfound.title", locale = lang).to_string()/>
        <main id="main" class="page">
            <h1>{t!("notfound.title", locale = lang).to_string()}</h1>
            <p>{t!("notfound.text", locale = lang).to_string()}" " <a href="/">{t!("notfound.back", locale = lang).to_string()}</a></p>
        </main>
    }
}
