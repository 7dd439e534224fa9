//! The frame every shop page shares: brand header with the cart link, footer.

use leptos::prelude::*;

use crate::model::ShopInfo;

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
