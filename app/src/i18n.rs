//! The page's language in the components: chosen on the server (see `shop::lang` and the
//! request context), written into `<html lang>`, read back by the browser when it hydrates, so
//! both sides render the same words from `locales/*.yml`.

use leptos::prelude::*;

pub use shop::lang::Lang;

/// The language of the page being rendered (provided by the document shell on the server, read
/// back from `<html lang>` in the browser).
pub fn use_lang() -> Lang {
    use_context::<Lang>().unwrap_or_default()
}

/// The language the server rendered the document in, read from `<html lang>`.
#[cfg(feature = "hydrate")]
pub fn document_lang() -> Lang {
    document()
        .document_element()
        .and_then(|e| e.get_attribute("lang"))
        .and_then(|l| Lang::parse(&l))
        .unwrap_or_default()
}
