//! The frame every shop page shares: the institution's brand header with its logo, the cart and
//! account links, the language switcher, and the institution's footer.

use leptos::prelude::*;

use crate::error::AppError;
use leptos_router::hooks::use_location;
use rust_i18n::t;

use crate::i18n::{use_lang, Lang};
use shop::model::{ShopInfo, UserView};

/// The logged-in buyer of this shop, if any.
#[server]
pub async fn get_user() -> Result<Option<UserView>, AppError> {
    let cx = crate::context::ctx().await?;
    Ok(cx.session.user().await.map(|u| UserView { name: u.name }))
}

/// "Log in", or the buyer's name, "My account" and "Log out" (a POST: logging out changes
/// state).
#[component]
fn UserNav() -> impl IntoView {
    let lang = use_lang().code();
    let user = Resource::new_blocking(|| (), |_| get_user());
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match user.await.ok().flatten() {
                    Some(u) => view! {
                        <a href="/account" data-testid="account-link">
                            <span class="visually-hidden">{t!("nav.account_of", locale = lang).to_string()}" "</span>
                            <span data-testid="user-name">{u.name}</span>
                        </a>
                        <form method="post" action="/logout" class="inline">
                            <button type="submit" class="link">{t!("nav.logout", locale = lang).to_string()}</button>
                        </form>
                    }.into_any(),
                    None => view! {
                        <a href="/login" rel="external" data-testid="login-link">{t!("nav.login", locale = lang).to_string()}</a>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The current page in another language: same path and query, `lang` replaced.
fn with_lang(path: &str, search: &str, lang: Lang) -> String {
    let mut query: Vec<&str> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("lang="))
        .collect();
    let pair = format!("lang={}", lang.code());
    query.push(&pair);
    format!("{path}?{}", query.join("&"))
}

/// Links to the page in each language the shop offers. A full page load (`rel="external"`):
/// the server renders the new language and remembers it in a cookie; works without JavaScript.
#[component]
fn LanguageSwitcher(languages: Vec<Lang>) -> impl IntoView {
    let current = use_lang();
    let location = use_location();
    let (path, search) = (
        location.pathname.get_untracked(),
        location.search.get_untracked(),
    );
    (languages.len() > 1).then(|| {
        view! {
            <nav class="languages" aria-label=t!("nav.languages", locale = current.code()).to_string()>
                <ul>
                    {languages
                        .into_iter()
                        .map(|l| {
                            let is_current = l == current;
                            view! {
                                <li>
                                    <a
                                        href=with_lang(&path, &search, l)
                                        rel="external"
                                        hreflang=l.code()
                                        lang=l.code()
                                        aria-current=is_current.then_some("true")
                                        data-testid=format!("lang-{}", l.code())
                                    >
                                        {l.native_name()}
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
        }
    })
}

#[component]
pub fn Layout(shop: ShopInfo, children: Children) -> impl IntoView {
    let lang = use_lang().code();
    let b = &shop.branding;
    let style = format!(
        "--brand: {}; --on-brand: {}; --accent: {}",
        b.brand_color, b.on_brand_color, b.accent_color
    );
    let logo = b.logo.clone();
    let footer_links = b.footer_links.clone();
    view! {
        <div class="shop" style=style data-institution=shop.code.clone()>
            <a class="skip-link" href="#main">{t!("nav.skip", locale = lang).to_string()}</a>
            <header class="site-header">
                <a class="brand" href="/" data-testid="institution-name">
                    {logo.map(|src| view! { <img class="logo" src=src alt="" width="40" height="40"/> })}
                    <span>{shop.name.clone()}</span>
                </a>
                <nav aria-label=t!("nav.shop", locale = lang).to_string()>
                    <a href="/">{t!("nav.programme", locale = lang).to_string()}</a>
                    <a href="/cart" data-testid="cart-link">{t!("nav.cart", locale = lang).to_string()}</a>
                    <UserNav/>
                </nav>
                <LanguageSwitcher languages=shop.languages.clone()/>
            </header>
            <main id="main" class="page">{children()}</main>
            <footer class="site-footer">
                <p>{shop.name.clone()} " · " {shop.locality.clone()}</p>
                {(!footer_links.is_empty()).then(|| view! {
                    <nav aria-label=t!("nav.footer", locale = lang).to_string()>
                        <ul>
                            {footer_links.into_iter().map(|l| view! {
                                <li><a href=l.href.clone() rel="external">{l.label_in(lang).to_string()}</a></li>
                            }).collect_view()}
                        </ul>
                    </nav>
                })}
            </footer>
        </div>
    }
}

/// An error a buyer can act on, announced to screen readers.
#[component]
pub fn Problem(message: String) -> impl IntoView {
    view! { <p class="problem" role="alert">{message}</p> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_links_keep_the_page_and_its_query() {
        assert_eq!(with_lang("/", "", Lang::Fr), "/?lang=fr");
        assert_eq!(
            with_lang("/orders/7", "?access=abc&lang=de", Lang::En),
            "/orders/7?access=abc&lang=en"
        );
    }
}
