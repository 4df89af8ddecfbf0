//! One shopper's request as server functions see it: the shared state, the cart
//! cookie, and the response they may add headers to.

use super::{
    cart_cookie::{self, CartToken, CookieToken},
    rate_limit::Refused,
    store::{LineChange, UnixTime},
    AppState,
};
use crate::domain::{CartNotice, CartView, ProductId, ShopError};
use http::{header, request::Parts, HeaderMap, HeaderValue};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use std::{
    future::Future,
    net::IpAddr,
    time::{SystemTime, UNIX_EPOCH},
};

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
    /// Runs a server function's body for the current request's shopper, and logs it
    /// when it is refused. (Its HTTP status is set by [`super::server_fn_status`],
    /// which also sees errors raised before the body runs.)
    pub async fn serve<T, Body>(body: impl FnOnce(Self) -> Body) -> Result<T, ShopError>
    where
        Body: Future<Output = Result<T, ShopError>>,
    {
        let result = body(Self::current()?).await;
        if let Err(error) = &result {
            tracing::info!(%error, "request refused");
        }
        result
    }

    /// Gathers the request context Leptos provides to server functions. It is absent
    /// only when Leptos renders the app outside a request (listing the routes at
    /// start-up), where refusing quietly is right and panicking would not be.
    fn current() -> Result<Self, ShopError> {
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
    /// peer was (see [`client_ip`]).
    pub fn client_ip(&self) -> Option<IpAddr> {
        let peer = self
            .parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip())?;
        Some(client_ip(
            peer,
            self.state.config.trusted_proxy,
            &self.parts.headers,
        ))
    }

    /// The language this request is answered in (see [`super::locale::negotiate`]).
    pub fn locale(&self) -> crate::i18n::Locale {
        super::locale::negotiate(&self.parts.headers, self.state.config.serves_https())
    }

    /// Counts a checkout submit against its limits, per client IP and per cart
    /// (DESIGN.md, "Security"): a card tester resubmitting one cart, or many carts
    /// from one address, is refused.
    pub async fn count_submit(&self, cart_id: &str) -> Result<(), ShopError> {
        self.state
            .limits
            .submit(cart_id, self.client_ip())
            .await
            .map_err(|refused| self.too_many_requests(refused))
    }

    /// Refuses while the cart's checkout is paused after repeated declines (card
    /// testing), telling the caller when the pause ends. The checkout's own steps
    /// check the pause again inside their transactions; this only answers early.
    pub async fn refuse_if_checkout_paused(&self, cart_id: &str) -> Result<(), ShopError> {
        let Some(until) = self
            .state
            .store
            .checkout_paused_until(cart_id, now())
            .await?
        else {
            return Ok(());
        };
        let left = u64::try_from(until.saturating_sub(now())).unwrap_or(0);
        Err(self.too_many_requests(Refused {
            limit: "checkout paused after repeated declines",
            retry_after: std::time::Duration::from_secs(left),
        }))
    }

    /// Refuses with [`ShopError::TooManyRequests`], telling the caller when to retry.
    /// A rate limit refused the request: logged, and answered 429 with `Retry-After`.
    pub fn too_many_requests(&self, refused: Refused) -> ShopError {
        self.state.metrics.refused(refused.limit);
        tracing::warn!(
            limit = refused.limit,
            ip = ?self.client_ip(),
            "rate limit reached"
        );
        self.response.insert_header(
            header::RETRY_AFTER,
            HeaderValue::from(refused.retry_after_secs()),
        );
        ShopError::TooManyRequests
    }

    /// The order-access tokens the request carries (empty without the cookie).
    pub fn order_access_tokens(&self) -> super::order_access::AccessTokens {
        super::order_access::AccessTokens::in_request(
            &self.parts.headers,
            self.state.config.serves_https(),
        )
    }

    /// Hands the browser an order-access cookie holding `tokens`.
    pub fn set_order_access(&self, tokens: &super::order_access::AccessTokens) {
        if let Some(cookie) = tokens.set_cookie(self.state.config.serves_https()) {
            self.response.append_header(header::SET_COOKIE, cookie);
        }
    }

    /// The shared application state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Looks up the cart the cookie names.
    pub async fn cart(&self) -> Result<CartLookup, ShopError> {
        let token =
            match cart_cookie::token_in(&self.parts.headers, self.state.config.serves_https()) {
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
        // Each cart brings fresh per-cart allowances, so carts are limited too.
        self.state
            .limits
            .new_cart(self.client_ip())
            .await
            .map_err(|refused| self.too_many_requests(refused))?;
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

    /// The live cart's id for the checkout: no cart at all is an empty cart there.
    pub async fn cart_to_check_out(&self) -> Result<String, ShopError> {
        match self.existing_cart().await {
            Err(ShopError::NotInCart) => Err(ShopError::EmptyCart),
            other => other,
        }
    }

    /// The cart as pages show it. A lost cookie is deleted and the shopper told once.
    pub async fn cart_view(&self) -> Result<CartView, ShopError> {
        match self.cart().await? {
            CartLookup::None => Ok(CartView::default()),
            CartLookup::Live { id } => self.state.store.cart_view_in(&id, self.locale()).await,
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

    /// Changes one line of `cart` and returns the cart as it now is.
    pub async fn change_line(
        &self,
        cart: &str,
        product: &ProductId,
        change: LineChange,
    ) -> Result<CartView, ShopError> {
        let store = &self.state.store;
        if let Err(error) = store
            .change_line(cart, product, change, now(), self.expires_at())
            .await
        {
            return Err(store.stock_refusal_in(error, product, self.locale()).await);
        }
        store.cart_view_in(cart, self.locale()).await
    }

    fn forget_cart(&self) {
        self.response.insert_header(
            header::SET_COOKIE,
            cart_cookie::clear_cookie(self.state.config.serves_https()),
        );
    }
}

/// The client of a connection from `peer`: the peer itself, or, when the peer is the
/// trusted proxy, the last `X-Forwarded-For` hop (the one the proxy itself added).
///
/// Addresses are canonical: an IPv4 client of a dual-stack listener (`[::]`) arrives
/// as `::ffff:a.b.c.d`, and is keyed, and compared with `TRUSTED_PROXY`, as the IPv4
/// address it is.
pub fn client_ip(peer: IpAddr, trusted_proxy: Option<IpAddr>, headers: &HeaderMap) -> IpAddr {
    let peer = peer.to_canonical();
    if trusted_proxy.map(|proxy| proxy.to_canonical()) != Some(peer) {
        return peer;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .next_back()
        .and_then(|hop| hop.trim().parse::<IpAddr>().ok())
        .map_or(peer, |forwarded| forwarded.to_canonical())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded_for(hops: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", hops.parse().unwrap());
        headers
    }

    #[test]
    fn a_dual_stack_listeners_ipv4_clients_are_their_ipv4_addresses() {
        let none = HeaderMap::new();
        assert_eq!(
            client_ip(ip("::ffff:192.0.2.7"), None, &none),
            ip("192.0.2.7")
        );
        assert_ne!(
            client_ip(ip("::ffff:192.0.2.7"), None, &none),
            client_ip(ip("::ffff:192.0.2.8"), None, &none)
        );
    }

    #[test]
    fn a_trusted_ipv4_proxy_is_recognised_behind_a_dual_stack_listener() {
        let headers = forwarded_for("203.0.113.50, 198.51.100.4");
        for (proxy, peer) in [
            ("127.0.0.1", "::ffff:127.0.0.1"),
            ("::ffff:127.0.0.1", "127.0.0.1"),
            ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
        ] {
            assert_eq!(
                client_ip(ip(peer), Some(ip(proxy)), &headers),
                ip("198.51.100.4"),
                "proxy {proxy}, peer {peer}"
            );
        }
        // A forwarded mapped address is the IPv4 client too.
        assert_eq!(
            client_ip(
                ip("::ffff:127.0.0.1"),
                Some(ip("127.0.0.1")),
                &forwarded_for("::ffff:198.51.100.4")
            ),
            ip("198.51.100.4")
        );
    }

    #[test]
    fn forwarded_for_is_ignored_from_anyone_but_the_trusted_proxy() {
        let headers = forwarded_for("198.51.100.4");
        assert_eq!(
            client_ip(ip("::ffff:192.0.2.7"), Some(ip("127.0.0.1")), &headers),
            ip("192.0.2.7")
        );
        assert_eq!(client_ip(ip("192.0.2.7"), None, &headers), ip("192.0.2.7"));
        // The proxy itself, with no usable header, is the client.
        assert_eq!(
            client_ip(
                ip("::ffff:127.0.0.1"),
                Some(ip("127.0.0.1")),
                &forwarded_for("junk")
            ),
            ip("127.0.0.1")
        );
    }
}
