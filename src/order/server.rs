//! Who may see an order (ssr only): the shopper coming back from Stripe with the
//! PaymentIntent's client secret, or a browser whose order-access or cart cookie owns it.

use crate::{
    checkout::server::client_secret_hash,
    domain::{OrderReference, PaymentIntentId, ShopError},
    server::{
        order_access,
        shopper::{now, CartLookup, Shopper},
        store::UnixTime,
        webhooks::signature::constant_time_eq,
    },
};

/// The order whose current PaymentIntent Stripe returned the shopper from, when
/// `client_secret` is that PaymentIntent's. The secret lingers in the return address
/// (history, shared links, screenshots), so it proves ownership only while the shopper
/// could still be coming back from paying; after that a cookie must own the order. A
/// browser proving it gets an order-access cookie for later visits.
pub async fn order_returned_from_stripe(
    shopper: &Shopper,
    payment_intent: &PaymentIntentId,
    client_secret: &str,
) -> Result<String, ShopError> {
    let store = &shopper.state().store;
    let owner = store
        .payment_intent_owner(payment_intent.as_str())
        .await?
        .ok_or(ShopError::OrderNotFound)?;
    // Compared as hashes, in constant time, and only for the current PaymentIntent: a
    // superseded one's secret opens nothing.
    let matches = constant_time_eq(
        client_secret_hash(client_secret).as_bytes(),
        owner.client_secret_hash.as_bytes(),
    );
    if !(matches && owner.is_current) {
        return Err(ShopError::OrderNotFound);
    }
    let held = holds_access(shopper, &owner.order_id).await?;
    let fresh = owner.created_at > now().saturating_sub(order_access::CLIENT_SECRET_OPENS_FOR_SECS);
    if !fresh && !held && !cart_owns(shopper, &owner.cart_id).await? {
        return Err(ShopError::OrderNotFound);
    }
    // A browser that already holds access keeps its cookie; others get one, beside the
    // tokens of the orders they already hold.
    if !held {
        let token = order_access::generate();
        store
            .grant_order_access(&owner.order_id, &order_access::hash(&token), now())
            .await?;
        shopper.set_order_access(&shopper.order_access_tokens().with(token));
    }
    Ok(owner.order_id)
}

/// The order with this reference, if the request's cookies own it.
pub async fn owned_order(shopper: &Shopper, reference: &str) -> Result<String, ShopError> {
    let reference = OrderReference::parse(reference).ok_or(ShopError::OrderNotFound)?;
    let (order_id, cart_id) = shopper
        .state()
        .store
        .order_by_reference(reference.as_str())
        .await?
        .ok_or(ShopError::OrderNotFound)?;
    if holds_access(shopper, &order_id).await? || cart_owns(shopper, &cart_id).await? {
        Ok(order_id)
    } else {
        Err(ShopError::OrderNotFound)
    }
}

/// Whether the request's order-access cookie holds a live token for this order.
async fn holds_access(shopper: &Shopper, order_id: &str) -> Result<bool, ShopError> {
    let tokens = shopper.order_access_tokens();
    if tokens.is_empty() {
        return Ok(false);
    }
    shopper
        .state()
        .store
        .has_order_access(order_id, &tokens.hashes(), access_since())
        .await
}

/// Whether the request's cart cookie names this (live) cart.
async fn cart_owns(shopper: &Shopper, cart_id: &str) -> Result<bool, ShopError> {
    Ok(matches!(shopper.cart().await?, CartLookup::Live { id } if id == cart_id))
}

/// Access tokens granted before this moment have expired (the cookie's 90 days).
fn access_since() -> UnixTime {
    now().saturating_sub(order_access::LIFETIME_SECS as i64)
}
