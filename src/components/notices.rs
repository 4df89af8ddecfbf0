//! Messages about the outcome of a shopper's action.

use super::cart_state::use_cart_state;
use crate::domain::{CartNotice, ShopError};
use leptos::prelude::*;

/// Tells the shopper, on whichever page they land, that the cart their cookie named
/// is gone (expired, or never ours) and a new one will start.
#[component]
pub fn LostCartNotice() -> impl IntoView {
    let state = use_cart_state();
    let lost = move || {
        state
            .loaded()
            .is_some_and(|cart| cart.notice == Some(CartNotice::Expired))
    };
    view! {
        <Transition fallback=|| ()>
            <Show when=lost>
                <p class="notice notice-info" role="status">
                    {ShopError::CartExpired.to_string()}
                </p>
            </Show>
        </Transition>
    }
}

/// A request the server refused, or data it could not load, as an alert.
#[component]
pub fn ErrorNotice(error: ShopError) -> impl IntoView {
    view! {
        <p class="notice notice-error" role="alert">
            {error.to_string()}
        </p>
    }
}

/// Shows a refused request as an alert, or `success` once the action worked (only a
/// hydrated page knows that; a no-JS page shows the updated cart instead).
#[component]
pub fn ActionOutcome<T>(
    /// The action's latest result.
    outcome: Signal<Option<Result<T, ShopError>>>,
    /// What to say when it succeeded.
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
