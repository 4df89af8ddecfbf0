//! Rate limits kept in memory (DESIGN.md, "Security"): enough for one instance;
//! several instances would keep the counters in the database.

use std::{
    collections::HashMap,
    hash::{BuildHasher, RandomState},
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// At most `limit` events per `window` for each key (a client IP, a cart), counted in
/// two fixed windows, the current and the previous one, whose counts are blended into
/// a sliding window: a client cannot spend one allowance at the end of a window and
/// another at the start of the next.
///
/// Memory is bounded whatever keys arrive, and no request pays for more than its own
/// key: each window holds at most `max_keys` keys, and when a window elapses its map
/// becomes the previous one and the one before is dropped whole, once per window.
#[derive(Debug)]
pub struct RateLimiter {
    /// What is limited, for the log.
    name: &'static str,
    limit: u32,
    window: Duration,
    max_keys: usize,
    /// Keys are kept as 64-bit hashes under a per-process random seed: small, with no
    /// allocation per key, and collisions an attacker cannot aim at (one would only
    /// make two keys share a count).
    hasher: RandomState,
    windows: Mutex<Windows>,
}

#[derive(Debug)]
struct Windows {
    /// When the current window began; windows follow one another without gaps.
    started: Instant,
    current: HashMap<u64, u32>,
    previous: HashMap<u64, u32>,
    /// Whether this window has already logged that its map is full.
    warned_full: bool,
}

/// A refused event: which limit refused it, and when the key may try again.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Refused {
    pub limit: &'static str,
    /// How long until the key would be allowed again, if it sends nothing meanwhile.
    pub retry_after: Duration,
}

impl Refused {
    /// `retry_after` in whole seconds, rounded up, as the `Retry-After` header has it.
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs();
        let rounded = if self.retry_after.subsec_nanos() > 0 {
            secs + 1
        } else {
            secs
        };
        rounded.max(1)
    }
}

/// The shop's rate limits: PaymentIntent creation per client IP and per cart,
/// re-pricing per cart, submits per client IP and per cart, and new carts per client
/// IP.
#[derive(Debug)]
pub struct PaymentLimits {
    pub per_ip: RateLimiter,
    pub per_cart: RateLimiter,
    pub prepares_per_cart: RateLimiter,
    pub submits_per_ip: RateLimiter,
    pub submits_per_cart: RateLimiter,
    pub carts_per_ip: RateLimiter,
}

impl PaymentLimits {
    pub fn new(limits: &super::config::RateLimits) -> Self {
        let limiter =
            |name, limit| RateLimiter::new(name, limit, limits.window, limits.keys_per_window);
        Self {
            per_ip: limiter("PaymentIntents per IP", limits.per_ip),
            per_cart: limiter("PaymentIntents per cart", limits.per_cart),
            prepares_per_cart: limiter("re-pricings per cart", limits.prepares_per_cart),
            submits_per_ip: limiter("submits per IP", limits.submits_per_ip),
            submits_per_cart: limiter("submits per cart", limits.submits_per_cart),
            carts_per_ip: limiter("new carts per IP", limits.carts_per_ip),
        }
    }

    /// Counts a checkout submit against the client's IP, then against the cart. A
    /// submit the IP limit refuses does not also spend the cart's allowance.
    pub fn submit(&self, cart_id: &str, ip: Option<IpAddr>) -> Result<(), Refused> {
        if let Some(ip) = ip {
            self.submits_per_ip.check(&ip_key(ip))?;
        }
        self.submits_per_cart.check(cart_id)
    }

    /// Counts a new cart against the client's IP.
    pub fn new_cart(&self, ip: Option<IpAddr>) -> Result<(), Refused> {
        match ip {
            Some(ip) => self.carts_per_ip.check(&ip_key(ip)),
            None => Ok(()),
        }
    }
}

/// The key a client IP is limited under: the address itself for IPv4, the /64 for
/// IPv6 (one household or server gets a whole /64, so single addresses are free).
/// An IPv4 client of a dual-stack listener arrives as `::ffff:a.b.c.d`, and is the
/// IPv4 address it is, not one of a single /64 shared by every IPv4 client.
pub fn ip_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
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
    turns: Mutex<Turns>,
}

#[derive(Debug, Default)]
struct Turns {
    locks: HashMap<String, std::sync::Weak<tokio::sync::Mutex<()>>>,
    /// The size at which the next sweep of ended turns runs.
    sweep_at: usize,
    /// Sweeps so far (for the tests).
    sweeps: u64,
}

/// A sweep runs once the map holds this many entries and twice as many as the last
/// sweep left: at least as many calls as it has entries to look at pass between two
/// sweeps, so each call pays O(1) on average, and memory stays within twice the turns
/// in progress (or this floor).
const SWEEP_AT_LEAST: usize = 1_024;

impl TurnLocks {
    /// Waits for the key's turn; the turn ends when the guard drops.
    pub async fn lock(&self, key: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut turns = self.turns.lock().unwrap_or_else(|e| e.into_inner());
            if turns.locks.len() >= turns.sweep_at.max(SWEEP_AT_LEAST) {
                turns.locks.retain(|_, lock| lock.strong_count() > 0);
                turns.sweep_at = turns.locks.len() * 2;
                turns.sweeps += 1;
            }
            match turns.locks.get(key).and_then(std::sync::Weak::upgrade) {
                Some(lock) => lock,
                None => {
                    let lock = std::sync::Arc::new(tokio::sync::Mutex::new(()));
                    turns
                        .locks
                        .insert(key.to_owned(), std::sync::Arc::downgrade(&lock));
                    lock
                }
            }
        };
        lock.lock_owned().await
    }
}

impl RateLimiter {
    /// `name` says what is limited, in the log.
    pub fn new(name: &'static str, limit: u32, window: Duration, max_keys: usize) -> Self {
        Self::starting_at(name, limit, window, max_keys, Instant::now())
    }

    fn starting_at(
        name: &'static str,
        limit: u32,
        window: Duration,
        max_keys: usize,
        started: Instant,
    ) -> Self {
        Self {
            name,
            limit,
            window: window.max(Duration::from_millis(1)),
            max_keys: max_keys.max(1),
            hasher: RandomState::new(),
            windows: Mutex::new(Windows {
                started,
                current: HashMap::new(),
                previous: HashMap::new(),
                warned_full: false,
            }),
        }
    }

    /// Counts one event for `key`; `false` when the key is over its limit.
    pub fn allow(&self, key: &str) -> bool {
        self.check(key).is_ok()
    }

    /// Counts one event for `key`, or says how long until it would be allowed. A
    /// refused event is not counted.
    pub fn check(&self, key: &str) -> Result<(), Refused> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), Refused> {
        let hash = self.hasher.hash_one(key);
        // A poisoned lock only means another request panicked mid-update of a counter;
        // the counters are still usable.
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        windows.rotate(now, self.window);
        let left = self
            .window
            .saturating_sub(now.saturating_duration_since(windows.started));
        let current = windows.current.get(&hash).copied();
        if current.is_none() && windows.current.len() >= self.max_keys {
            // Every key is free to an attacker, so a full window cannot make room by
            // forgetting one (that would reset someone's count) nor grow. It refuses
            // keys it does not know until the window ends: these limits guard payment
            // and checkout endpoints, where failing closed for new clients during a
            // flood beats letting the flood through, and clients it already counts
            // keep their allowance.
            if !windows.warned_full {
                windows.warned_full = true;
                tracing::warn!(
                    limit = self.name,
                    keys = self.max_keys,
                    "rate limit window is full: new clients are refused until it ends"
                );
            }
            return Err(self.refused(left));
        }
        let current = current.unwrap_or(0);
        let previous = windows.previous.get(&hash).copied().unwrap_or(0);
        // The share of the previous window still inside the sliding window.
        let weight = left.as_secs_f64() / self.window.as_secs_f64();
        let estimate = f64::from(previous) * weight + f64::from(current);
        if estimate + 1.0 > f64::from(self.limit) {
            return Err(self.refused(self.wait(previous, current, left)));
        }
        windows.current.insert(hash, current + 1);
        Ok(())
    }

    /// How long until a key with these counts may send one more event, if it sends
    /// nothing meanwhile: while the current window lasts, the previous window's count
    /// weighs less and less; after it, the current count does.
    fn wait(&self, previous: u32, current: u32, left: Duration) -> Duration {
        let window = self.window.as_secs_f64();
        let room = f64::from(self.limit) - 1.0;
        let seconds = if f64::from(current) <= room && previous > 0 {
            // prev × (left − t) / window + current ≤ room
            (left.as_secs_f64() - window * (room - f64::from(current)) / f64::from(previous))
                .max(0.0)
        } else {
            // current × (window − s) / window ≤ room, s after this window ends
            let s = window * (1.0 - room / f64::from(current.max(1))).max(0.0);
            left.as_secs_f64() + s
        };
        Duration::from_secs_f64(seconds.min(2.0 * window))
    }

    fn refused(&self, retry_after: Duration) -> Refused {
        Refused {
            limit: self.name,
            retry_after,
        }
    }

    #[cfg(test)]
    fn keys(&self) -> (usize, usize) {
        let windows = self.windows.lock().unwrap();
        (windows.current.len(), windows.previous.len())
    }
}

impl Windows {
    /// Moves to the window `now` falls in: the current map becomes the previous one,
    /// or both are dropped when a whole window passed without events. Either way this
    /// happens once per window, not once per request.
    fn rotate(&mut self, now: Instant, window: Duration) {
        let elapsed = now.saturating_duration_since(self.started);
        if elapsed < window {
            return;
        }
        let windows_passed = elapsed.as_nanos() / window.as_nanos();
        self.previous = if windows_passed == 1 {
            std::mem::take(&mut self.current)
        } else {
            self.current = HashMap::new();
            HashMap::new()
        };
        let into_window = elapsed.as_nanos() % window.as_nanos();
        self.started = now - Duration::from_nanos(u64::try_from(into_window).unwrap_or(0));
        self.warned_full = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn limiter(limit: u32, max_keys: usize) -> (RateLimiter, Instant) {
        let start = Instant::now();
        (
            RateLimiter::starting_at("test", limit, MINUTE, max_keys, start),
            start,
        )
    }

    #[test]
    fn each_key_gets_its_own_allowance() {
        let limiter = RateLimiter::new("test", 2, MINUTE, 100);
        assert!(limiter.allow("a"));
        assert!(limiter.allow("a"));
        assert!(!limiter.allow("a"));
        assert!(limiter.allow("b"));
    }

    #[test]
    fn ipv6_clients_are_limited_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(ip_key(a), ip_key(b));
        assert_eq!(ip_key("192.0.2.7".parse().unwrap()), "192.0.2.7");
    }

    #[test]
    fn ipv4_clients_of_a_dual_stack_listener_are_keyed_as_their_ipv4_address() {
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(ip_key(mapped), "192.0.2.7");
        let other: IpAddr = "::ffff:198.51.100.9".parse().unwrap();
        assert_ne!(
            ip_key(mapped),
            ip_key(other),
            "two IPv4 clients must not share one /64 bucket"
        );
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

    #[tokio::test]
    async fn a_flood_of_one_off_turns_neither_grows_the_map_nor_sweeps_it_per_call() {
        let locks = TurnLocks::default();
        // Many turns in progress at once, then a flood of one-off keys beside them.
        let mut held = Vec::new();
        for key in 0..3_000 {
            held.push(locks.lock(&format!("held-{key}")).await);
        }
        for key in 0..30_000 {
            drop(locks.lock(&format!("once-{key}")).await);
        }
        let turns = locks.turns.lock().unwrap();
        assert!(
            turns.locks.len() <= 2 * 3_000 + SWEEP_AT_LEAST,
            "{} entries",
            turns.locks.len()
        );
        // A sweep per call would be ~30,000; amortised, one per few thousand calls.
        assert!(turns.sweeps <= 20, "{} sweeps", turns.sweeps);
        drop(turns);
        // The turns in progress still exclude their keys.
        assert!(
            tokio::time::timeout(Duration::from_millis(20), locks.lock("held-7"))
                .await
                .is_err()
        );
    }

    #[test]
    fn the_window_resets() {
        let limiter = RateLimiter::new("test", 1, Duration::from_millis(1), 100);
        assert!(limiter.allow("a"));
        std::thread::sleep(Duration::from_millis(5));
        assert!(limiter.allow("a"));
    }

    #[test]
    fn a_key_is_free_again_once_its_events_left_the_sliding_window() {
        let (limiter, start) = limiter(2, 100);
        assert!(limiter.check_at("a", start).is_ok());
        assert!(limiter.check_at("a", start).is_ok());
        assert!(limiter.check_at("a", start).is_err());
        // Two windows on, nothing of the first remains.
        assert!(limiter.check_at("a", start + 2 * MINUTE).is_ok());
        assert!(limiter.check_at("a", start + 2 * MINUTE).is_ok());
        assert!(limiter.check_at("a", start + 2 * MINUTE).is_err());
    }

    #[test]
    fn a_burst_across_a_window_boundary_gets_one_allowance_not_two() {
        let (limiter, start) = limiter(10, 100);
        let late = start + MINUTE - Duration::from_secs(1);
        for _ in 0..10 {
            assert!(limiter.check_at("card-tester", late).is_ok());
        }
        // Just after the boundary a fixed window would hand out ten more.
        let early = start + MINUTE + Duration::from_secs(1);
        let refused = limiter
            .check_at("card-tester", early)
            .expect_err("the previous window still counts");
        assert_eq!(refused.limit, "test");
        // It is allowed again as the previous window's events slide out.
        let retry = early + refused.retry_after + Duration::from_millis(1);
        assert!(
            refused.retry_after > Duration::ZERO && retry < start + 2 * MINUTE,
            "{refused:?}"
        );
        assert!(limiter.check_at("card-tester", retry).is_ok());
    }

    #[test]
    fn a_refusal_says_when_to_retry() {
        let (limiter, start) = limiter(1, 100);
        assert!(limiter.check_at("a", start).is_ok());
        let refused = limiter.check_at("a", start).unwrap_err();
        // Limit 1: the one event must slide out entirely, two windows after it.
        assert_eq!(refused.retry_after, 2 * MINUTE);
        assert_eq!(refused.retry_after_secs(), 120);
        assert!(limiter
            .check_at("a", start + refused.retry_after - Duration::from_secs(1))
            .is_err());
        assert!(limiter.check_at("a", start + refused.retry_after).is_ok());
    }

    #[test]
    fn a_flood_of_fresh_keys_is_refused_without_growing_the_map() {
        let (limiter, start) = limiter(5, 3);
        assert!(limiter.check_at("shopper", start).is_ok());
        for key in 0..2 {
            assert!(limiter.check_at(&format!("flood-{key}"), start).is_ok());
        }
        for key in 2..1_000 {
            let refused = limiter
                .check_at(&format!("flood-{key}"), start + Duration::from_secs(15))
                .expect_err("a full window refuses keys it does not know");
            assert_eq!(refused.retry_after, Duration::from_secs(45));
        }
        assert_eq!(limiter.keys(), (3, 0));
        // A key counted before the flood keeps its allowance.
        assert!(limiter.check_at("shopper", start).is_ok());
    }

    #[test]
    fn the_key_capacity_holds_across_windows() {
        let (limiter, start) = limiter(5, 3);
        for window in 0..5u32 {
            let now = start + MINUTE * window;
            for key in 0..100 {
                let _ = limiter.check_at(&format!("flood-{window}-{key}"), now);
            }
            let (current, previous) = limiter.keys();
            assert!(current <= 3 && previous <= 3, "window {window}");
        }
        // A new window takes new keys again.
        assert!(limiter
            .check_at("newcomer", start + MINUTE * 5 + Duration::from_secs(1))
            .is_ok());
        // After a quiet window, nothing is kept at all.
        let _ = limiter.check_at("later", start + MINUTE * 8);
        assert_eq!(limiter.keys(), (1, 0));
    }
}
