use leptos::prelude::*;
use leptos_meta::Title;

/// The 404 page (and its status code on the server).
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Page not found"/>
        <main id="main" class="page">
            <h1>"Page not found"</h1>
            <p>"This page does not exist. " <a href="/">"Back to the programme"</a></p>
        </main>
    }
}
