//! One shopper's request as server functions see it: the shared state, the cart
//! cookie, and the response they may add headers to.

use super::{
    cart_cookie::{self, CartToken, CookieToken},
    store::UnixTime,
    AppState,
};
use crate::domain::{CartNotice, CartView, ShopError};
use http::{header, request::Parts};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use std::time::{SystemTime, UNIX_EPOCH};

/// The cart a request's cookie leads to.
#[derive(Debug)]
pub enum CartLookup {
    /// No cart cookie at all.
    None,
    /// A live cart.
    Live { id: String },
    /// A cookie that names no live cart: expired, deleted, or never ours.
    Lost,
}

/// The current request, seen from inside a server function or a page render.
pub struct Shopper {
    state: AppState,
    parts: Parts,
    response: ResponseOptions,
}

impl Shopper {
    /// Gathers the request context Leptos provides to server functions. It is absent
    /// only when Leptos renders the app outside a request (listing the routes at
    /// start-up), where refusing quietly is right and panicking would not be.
    pub fn current() -> Result<Self, ShopError> {
        let (Some(state), Some(parts)) = (use_context::<AppState>(), use_context::<Parts>()) else {
            return Err(ShopError::Unavailable);
        };
        Ok(Self {
            state,
            parts,
            response: use_context::<ResponseOptions>().unwrap_or_default(),
        })
    }

    /// The client's IP address: the peer, or what a configured trusted proxy says the
    /// peer was (the last `X-Forwarded-For` hop, the one the proxy itself added).
    pub fn client_ip(&self) -> Option<std::net::IpAddr> {
        let peer = self
            .parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip())?;
        if self.state.config.trusted_proxy != Some(peer) {
            return Some(peer);
        }
        let forwarded = self
            .parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .next_back()
            .and_then(|hop| hop.trim().parse().ok());
        Some(forwarded.unwrap_or(peer))
    }

    /// The order-access token the request carries, if any.
    pub fn order_access_token(&self) -> Option<String> {
        super::order_access::token_in(&self.parts.headers)
    }

    /// Hands the browser an order-access cookie holding `token`.
    pub fn set_order_access(&self, token: &str) {
        if let Some(cookie) =
            super::order_access::set_cookie(token, self.state.config.serves_https())
        {
            self.response.append_header(header::SET_COOKIE, cookie);
        }
    }

    /// The shared application state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Looks up the cart the cookie names.
    pub async fn cart(&self) -> Result<CartLookup, ShopError> {
        let token = match cart_cookie::token_in(&self.parts.headers) {
            CookieToken::Absent => return Ok(CartLookup::None),
            CookieToken::Forged => return Ok(CartLookup::Lost),
            CookieToken::Present(token) => token,
        };
        match self.state.store.find_cart(&token.hash()).await? {
            Some(cart) if cart.expires_at > now() => Ok(CartLookup::Live { id: cart.id }),
            _ => Ok(CartLookup::Lost),
        }
    }

    /// The live cart's id, starting a new cart (and setting its cookie) when there is
    /// none: adding an item is the only thing that creates a cart.
    pub async fn cart_or_new(&self) -> Result<String, ShopError> {
        if let CartLookup::Live { id } = self.cart().await? {
            return Ok(id);
        }
        let token = CartToken::generate();
        let id = new_cart_id();
        let now = now();
        self.state
            .store
            .create_cart(&id, &token.hash(), now, self.expires_at())
            .await?;
        let lifetime = self.state.config.cart_lifetime;
        self.response.insert_header(
            header::SET_COOKIE,
            token.set_cookie(lifetime, self.state.config.serves_https()),
        );
        Ok(id)
    }

    /// The live cart's id for an edit of existing lines; a missing or lost cart is
    /// reported (and a lost cookie deleted) rather than silently replaced.
    pub async fn existing_cart(&self) -> Result<String, ShopError> {
        match self.cart().await? {
            CartLookup::Live { id } => Ok(id),
            CartLookup::None => Err(ShopError::NotInCart),
            CartLookup::Lost => {
                self.forget_cart();
                Err(ShopError::CartExpired)
            }
        }
    }

    /// The cart as pages show it. A lost cookie is deleted and the shopper told once.
    pub async fn cart_view(&self) -> Result<CartView, ShopError> {
        match self.cart().await? {
            CartLookup::None => Ok(CartView::default()),
            CartLookup::Live { id } => self.state.store.cart_view(&id).await,
            CartLookup::Lost => {
                self.forget_cart();
                Ok(CartView {
                    notice: Some(CartNotice::Expired),
                    ..CartView::default()
                })
            }
        }
    }

    /// When a cart changed now should expire.
    pub fn expires_at(&self) -> UnixTime {
        let lifetime = i64::try_from(self.state.config.cart_lifetime.as_secs()).unwrap_or(i64::MAX);
        now().saturating_add(lifetime)
    }

    /// Logs a refused request and passes the result on. (Its HTTP status is set by
    /// [`super::server_fn_status`], which also sees errors raised before the body runs.)
    pub fn log_refusal<T>(&self, result: Result<T, ShopError>) -> Result<T, ShopError> {
        if let Err(error) = &result {
            tracing::info!(%error, "request refused");
        }
        result
    }

    fn forget_cart(&self) {
        self.response.insert_header(
            header::SET_COOKIE,
            cart_cookie::clear_cookie(self.state.config.serves_https()),
        );
    }
}

/// The current time in unix seconds.
pub fn now() -> UnixTime {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A cart id: random, so ids reveal nothing about how many carts exist.
fn new_cart_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
