//! Messages about the outcome of a shopper's action.

use super::language::use_locale;
use crate::domain::ShopError;
use leptos::prelude::*;

/// A request the server refused, or data it could not load, as an alert.
#[component]
pub fn ErrorNotice(error: ShopError) -> impl IntoView {
    view! {
        <p class="notice notice-error" role="alert">
            {error.message(use_locale())}
        </p>
    }
}

/// Shows a refused request as an alert, or `success` once the action worked (only a
/// hydrated page knows that; a no-JS page shows the updated cart instead).
#[component]
pub fn ActionOutcome<T>(
    /// The action's latest result.
    outcome: Signal<Option<Result<T, ShopError>>>,
    /// What to say when it succeeded, in the page's language.
    success: &'static str,
) -> impl IntoView
where
    T: Send + Sync + 'static,
{
    view! {
        <div class="notices" aria-live="polite">
            {move || {
                outcome
                    .with(|outcome| match outcome {
                        Some(Err(error)) => {
                            Some(view! { <ErrorNotice error=error.clone()/> }.into_any())
                        }
                        Some(Ok(_)) => {
                            Some(
                                view! {
                                    <p class="notice notice-success" role="status">
                                        {success}
                                    </p>
                                }
                                    .into_any(),
                            )
                        }
                        None => None,
                    })
            }}
        </div>
    }
}
