//! The header on every page.

use super::language::LanguageSwitcher;
use crate::i18n::{t, td_string, use_i18n};
use leptos::prelude::*;
use leptos_router::components::A;

/// Shop name and navigation. `children` go inside the cart link: the app passes the
/// cart's own badge, so this component knows no feature.
#[component]
pub fn SiteHeader(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">
                {t!(i18n, site.brand)}
            </A>
            <nav aria-label=td_string!(locale, site.nav_label)>
                <A href="/">{t!(i18n, site.nav_shop)}</A>
                <A href="/cart" attr:class="cart-link">
                    {t!(i18n, site.nav_cart)}
                    {children()}
                </A>
            </nav>
            <LanguageSwitcher/>
        </header>
    }
}
