//! The page's language: where components read it, and the switcher in the header.

use crate::i18n::{t, use_i18n, Locale};
use leptos::prelude::*;
use leptos_i18n::Locale as _;
use leptos_router::hooks::use_location;

/// The page's language. It is fixed for the page's life: the switcher reloads the
/// page, so nothing needs to follow a change.
pub fn use_locale() -> Locale {
    use_i18n().get_locale_untracked()
}

/// English and 简体中文, each written in its own language. A plain form post to
/// `POST /locale` (no router interception), so it works without JavaScript; the server
/// remembers the choice and sends the shopper back to this very page.
#[component]
pub fn LanguageSwitcher() -> impl IntoView {
    let i18n = use_i18n();
    let current = i18n.get_locale_untracked();
    let location = use_location();
    // Path and query, so a shopper on `/order-confirmation?order=…` stays there.
    let return_to = move || {
        let (path, query) = (location.pathname.get(), location.search.get());
        match query.trim_start_matches('?') {
            "" => path,
            query => format!("{path}?{query}"),
        }
    };
    let choice = move |locale: Locale, name: &'static str| {
        view! {
            <button
                type="submit"
                name="locale"
                value=locale.as_str()
                lang=locale.as_str()
                class="language-choice"
                aria-pressed=(locale == current).to_string()
            >
                {name}
            </button>
        }
    };
    // The address as the browser has it now: the confirmation page takes the client
    // secret out of its address with `history.replaceState`, which the router does not
    // see, and the switch must not put it back.
    let input = NodeRef::<leptos::html::Input>::new();
    let on_submit = move |_: leptos::ev::SubmitEvent| {
        #[cfg(feature = "hydrate")]
        if let Some(input) = input.get() {
            let location = window().location();
            let path = location.pathname().unwrap_or_default();
            let query = location.search().unwrap_or_default();
            input.set_value(&format!("{path}{query}"));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = input;
    };
    view! {
        <form class="language-switcher" method="post" action="/locale" on:submit=on_submit>
            <input type="hidden" name="return_to" value=return_to node_ref=input/>
            <div role="group" aria-labelledby="language-label">
                <span id="language-label" class="visually-hidden">{t!(i18n, site.language)}</span>
                {choice(Locale::en, "English")}
                {choice(Locale::zh_CN, "简体中文")}
            </div>
        </form>
    }
}
