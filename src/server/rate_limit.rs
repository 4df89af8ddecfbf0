//! Fixed-window rate limits kept in memory (DESIGN.md, "Security"): enough for one
//! instance; several instances would keep the counters in the database.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// At most `limit` events per `window` for each key (a client IP, a cart).
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

/// The limits on PaymentIntent creation: per client IP and per cart.
#[derive(Debug)]
pub struct PaymentLimits {
    pub per_ip: RateLimiter,
    pub per_cart: RateLimiter,
    pub prepares_per_cart: RateLimiter,
}

impl PaymentLimits {
    pub fn new(limits: &super::config::RateLimits) -> Self {
        Self {
            per_ip: RateLimiter::new(limits.per_ip, limits.window),
            per_cart: RateLimiter::new(limits.per_cart, limits.window),
            prepares_per_cart: RateLimiter::new(limits.prepares_per_cart, limits.window),
        }
    }
}

/// The key a client IP is limited under: the address itself for IPv4, the /64 for
/// IPv6 (one household or server gets a whole /64, so single addresses are free).
pub fn ip_key(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// One turn at a time per key: per cart, two tabs preparing different cart states
/// must not interleave their writes to the same PaymentIntent; per PaymentIntent, the
/// worker and the reconciler must not apply reads out of order.
#[derive(Debug, Default)]
pub struct TurnLocks {
    locks: Mutex<HashMap<String, std::sync::Weak<tokio::sync::Mutex<()>>>>,
}

impl TurnLocks {
    /// Waits for the cart's turn; the turn ends when the guard drops.
    pub async fn lock(&self, cart_id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            if locks.len() >= SWEEP_AT {
                locks.retain(|_, lock| lock.strong_count() > 0);
            }
            match locks.get(cart_id).and_then(std::sync::Weak::upgrade) {
                Some(lock) => lock,
                None => {
                    let lock = std::sync::Arc::new(tokio::sync::Mutex::new(()));
                    locks.insert(cart_id.to_owned(), std::sync::Arc::downgrade(&lock));
                    lock
                }
            }
        };
        lock.lock_owned().await
    }
}

/// Past this many keys, expired windows are swept so memory stays bounded.
const SWEEP_AT: usize = 10_000;

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one event for `key`; `false` when the key is over its limit.
    pub fn allow(&self, key: &str) -> bool {
        let now = Instant::now();
        // A poisoned lock only means another request panicked mid-update of a counter;
        // the counters are still usable.
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let (start, count) = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(*start) >= self.window {
            *start = now;
            *count = 0;
        }
        if *count >= self.limit {
            return false;
        }
        *count += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_gets_its_own_allowance() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        assert!(limiter.allow("a"));
        assert!(limiter.allow("a"));
        assert!(!limiter.allow("a"));
        assert!(limiter.allow("b"));
    }

    #[test]
    fn ipv6_clients_are_limited_per_64() {
        let a: std::net::IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: std::net::IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(ip_key(a), ip_key(b));
        assert_eq!(ip_key("192.0.2.7".parse().unwrap()), "192.0.2.7");
    }

    #[tokio::test]
    async fn one_turn_per_cart_at_a_time() {
        let locks = TurnLocks::default();
        let first = locks.lock("cart").await;
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(20), locks.lock("cart"))
                .await
                .is_err()
        );
        let _other = locks.lock("other").await;
        drop(first);
        let _again = locks.lock("cart").await;
    }

    #[test]
    fn the_window_resets() {
        let limiter = RateLimiter::new(1, Duration::from_millis(1));
        assert!(limiter.allow("a"));
        std::thread::sleep(Duration::from_millis(5));
        assert!(limiter.allow("a"));
    }
}
