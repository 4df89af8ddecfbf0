//! The "test mode" ribbon: when payments are pretend (the built-in emulator or Stripe
//! test keys), every page says so, with the card to pay with.

use crate::{
    domain::{PaymentMode, ShopError},
    i18n::{t, use_i18n},
};
use leptos::prelude::*;

/// Whether the shop takes pretend payments.
#[server(endpoint = "payment-mode")]
pub async fn get_payment_mode() -> Result<PaymentMode, ShopError> {
    use crate::server::shopper::Shopper;
    Shopper::serve(|shopper| async move {
        Ok(PaymentMode {
            test_mode: shopper.state().payments.test_mode,
        })
    })
    .await
}

/// A ribbon across the top of the page in test mode; nothing with live keys.
#[component]
pub fn TestModeRibbon() -> impl IntoView {
    let mode = Resource::new(|| (), |_| get_payment_mode());
    let i18n = use_i18n();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                mode.await
                    .ok()
                    .filter(|mode| mode.test_mode)
                    .map(|_| {
                        view! {
                            <p class="test-mode-ribbon" role="note">
                                {t!(i18n, site.test_mode, <strong> = <strong/>, <card> = <span class="card-number"/>)}
                            </p>
                        }
                    })
            })}
        </Suspense>
    }
}
