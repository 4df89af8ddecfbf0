//! The page for any path the shop does not have.

use crate::i18n::{t, td_string, use_i18n};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// "Not found", with a real 404 status for the server-rendered response.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    view! {
        <Title text=td_string!(locale, site.not_found.title)/>
        <h1>{t!(i18n, site.not_found.heading)}</h1>
        <p>{t!(i18n, site.not_found.text)}</p>
        <A href="/" attr:class="button">{t!(i18n, site.back_to_shop)}</A>
    }
}
