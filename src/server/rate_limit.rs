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
}

impl PaymentLimits {
    pub fn new(limits: &super::config::RateLimits) -> Self {
        Self {
            per_ip: RateLimiter::new(limits.per_ip, limits.window),
            per_cart: RateLimiter::new(limits.per_cart, limits.window),
        }
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
    fn the_window_resets() {
        let limiter = RateLimiter::new(1, Duration::from_millis(1));
        assert!(limiter.allow("a"));
        std::thread::sleep(Duration::from_millis(5));
        assert!(limiter.allow("a"));
    }
}
