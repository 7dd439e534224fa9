//! The frame every shop page shares: brand header with the cart link, footer.

use leptos::prelude::*;

use crate::model::{ShopInfo, UserView};

/// The logged-in buyer of this shop, if any.
#[server]
pub async fn get_user() -> Result<Option<UserView>, ServerFnError> {
    let tenant = crate::ssr::current_tenant().await?;
    let session = crate::ssr::session().await?;
    Ok(crate::purchase::session_user(&tenant, &session)
        .await
        .map(|u| UserView { name: u.name }))
}

/// "Log in", or the buyer's name and "Log out" (a POST: logging out changes state).
#[component]
fn UserNav() -> impl IntoView {
    let user = Resource::new_blocking(|| (), |_| get_user());
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match user.await.ok().flatten() {
                    Some(u) => view! {
                        <span data-testid="user-name">{u.name}</span>
                        <form method="post" action="/logout" class="inline">
                            <button type="submit" class="link">"Log out"</button>
                        </form>
                    }.into_any(),
                    None => view! { <a href="/login" rel="external" data-testid="login-link">"Log in"</a> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn Layout(shop: ShopInfo, children: Children) -> impl IntoView {
    let style = format!("--brand: {}", shop.brand_color);
    view! {
        <div class="shop" style=style>
            <header class="site-header">
                <a class="skip-link" href="#main">"Skip to content"</a>
                <a class="brand" href="/" data-testid="institution-name">{shop.name.clone()}</a>
                <nav aria-label="Shop">
                    <a href="/">"Programme"</a>
                    <a href="/cart" data-testid="cart-link">"Cart"</a>
                    <UserNav/>
                </nav>
            </header>
            <main id="main" class="page">{children()}</main>
            <footer class="site-footer">
                <p>{shop.name.clone()} " · " {shop.locality.clone()}</p>
            </footer>
        </div>
    }
}

/// An error a buyer can act on, announced to screen readers.
#[component]
pub fn Problem(message: String) -> impl IntoView {
    view! { <p class="problem" role="alert">{message}</p> }
}
