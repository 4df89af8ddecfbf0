//! The cart every page shares: one resource for its contents and one server action
//! per kind of change. Any completed change refetches the cart, so the header badge
//! and the cart page never disagree.

use super::api::{get_cart, AddToCart, RemoveFromCart, SetQuantity};
use crate::domain::{CartView, ShopError};
use leptos::{prelude::*, server::ServerActionError};
use leptos_router::hooks::use_query_map;

/// Handles to the cart's state and the actions that change it.
#[derive(Clone, Copy)]
pub struct CartState {
    /// The cart as the server last reported it.
    pub cart: Resource<Result<CartView, ShopError>>,
    pub add: ServerAction<AddToCart>,
    pub set_quantity: ServerAction<SetQuantity>,
    pub remove: ServerAction<RemoveFromCart>,
}

impl CartState {
    /// The cart as last loaded, or `None` while loading or after an error. Reading it
    /// inside a `Suspense`/`Transition` subscribes to the cart.
    pub fn loaded(&self) -> Option<CartView> {
        self.cart.get().and_then(Result::ok)
    }
}

/// Creates the cart state and provides it to every page. Must run inside `<Router>`.
pub fn provide_cart_state() {
    provide_form_error();
    let add = ServerAction::<AddToCart>::new();
    let set_quantity = ServerAction::<SetQuantity>::new();
    let remove = ServerAction::<RemoveFromCart>::new();
    let cart = Resource::new(
        move || {
            (
                add.version().get(),
                set_quantity.version().get(),
                remove.version().get(),
            )
        },
        |_| get_cart(),
    );
    // Only the newest outcome is worth showing: when one kind of change is made, an
    // older message from another kind is cleared.
    let clear_others = |keep: usize| {
        move |_: &usize, _: Option<&usize>, _: Option<()>| {
            if keep != 0 {
                add.value().set(None);
            }
            if keep != 1 {
                set_quantity.value().set(None);
            }
            if keep != 2 {
                remove.value().set(None);
            }
        }
    };
    Effect::watch(move || add.version().get(), clear_others(0), false);
    Effect::watch(move || set_quantity.version().get(), clear_others(1), false);
    Effect::watch(move || remove.version().get(), clear_others(2), false);
    provide_context(CartState {
        cart,
        add,
        set_quantity,
        remove,
    });
}

/// A no-JS form post that failed comes back to its page with the error in the URL
/// (`__path`, `__err`); a server action created afterwards starts with that error as
/// its value. `<Routes>` provides this too, but only to actions created below it, and
/// the cart's actions live above the routes so the header can share them.
fn provide_form_error() {
    let query = use_query_map();
    query.with_untracked(|query| {
        if let (Some(path), Some(error)) = (query.get("__path"), query.get("__err")) {
            provide_context(ServerActionError::new(&path, &error));
        }
    });
}

/// The cart state provided by [`provide_cart_state`].
pub fn use_cart_state() -> CartState {
    expect_context::<CartState>()
}
