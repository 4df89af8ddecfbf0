//! The page for any path the shop does not have.

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
    view! {
        <Title text="Not found"/>
        <h1>"We couldn't find that page"</h1>
        <p>"It may have moved, or the link may be mistyped."</p>
        <A href="/" attr:class="button">"Back to the shop"</A>
    }
}
