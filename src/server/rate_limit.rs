//! Rate limits (DESIGN.md, "Security"). One instance (SQLite) counts in memory, below;
//! instances sharing PostgreSQL count in the database, with the same sliding window
//! ([`crate::server::store::Store::count_hit`]), so a limit holds across all of them.
//! There an IPv6 client is counted under its /64 alone: the pooling below bounds an
//! in-memory window, and the database's rows are swept after two windows instead.

use super::store::{SharedLimit, Store};
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
///
/// Keys are free to an attacker, so a bounded window can be filled. Client IPs, counted
/// with [`RateLimiter::check_ip`], are pooled so that the crowd that fills it pays for
/// it rather than everyone: one IPv6 network hands out 2^16 /64s per /48 and 2^32 per
/// /32, so a new IPv6 client is counted under its whole /48 or /32 once that prefix
/// crowds the window (see `Crowding`). A flood from one /48 or /32 then takes a
/// bounded share of the window and ends up on one key, over its limit, while clients
/// from other networks and IPv4 clients keep their own keys and allowances.
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
    /// How many keys of `current` fall under each IPv6 /48 and /32 they came from (the
    /// pooled keys included): how much of the window each network takes. An entry is
    /// made only with a key of `current`, at most two per key, and goes with the window.
    prefixes: HashMap<u64, u32>,
    /// Whether this window has already logged that its map is full.
    warned_full: bool,
    /// Whether this window has already logged that it pooled a crowding prefix.
    warned_pooled: bool,
}

/// When a new IPv6 client is counted under its /48 or /32 rather than its own /64: when
/// its prefix already holds
///
/// - its share of the room left in the window: an eighth for a /48, a quarter for a
///   /32. One network alone then takes at most about a ninth (a /48) or a fifth (a /32)
///   of the window however many addresses it sprays, and the rest stays for everyone
///   else; a prefix with many clients of its own is pooled only as the window fills
///   (one with a hundred keys once fewer than 800 are left, for a /48);
/// - or, once the window is half full, sixteen keys for a /48, and once it is three
///   quarters full, 256 for a /32: many networks flooding at once are then held to a
///   few keys each.
///
/// The pooled key counts the prefix's new clients together, against the same limit:
/// under a flood, a client that shares the flooding /48 (or, past its share, /32) may
/// be refused with it; no other client is. Clients counted before keep their own keys.
/// IPv4 clients are always counted per address: a network there holds a few hundred
/// addresses, not billions, and a flood of addresses from everywhere (a botnet) is not
/// a crowd a prefix describes; past the bound they are refused like any new key.
#[derive(Clone, Copy, Debug)]
struct Crowding {
    /// The prefix, as its length in bits (for the log) and its place in an IPv6
    /// client's keys: its own /64 first, then its /48, then its /32.
    bits: u8,
    level: usize,
    /// It is pooled when it holds at least 1/`share` of the room left in the window...
    share: usize,
    /// ...or, once the window holds `quarters_full` quarters of `max_keys`, when it
    /// holds at least `dense` keys.
    quarters_full: usize,
    dense: u32,
}

/// Coarsest first: a client whose /32 is pooled is counted under the /32.
const CROWDING: [Crowding; 2] = [
    Crowding {
        bits: 32,
        level: 2,
        share: 4,
        quarters_full: 3,
        dense: 256,
    },
    Crowding {
        bits: 48,
        level: 1,
        share: 8,
        quarters_full: 2,
        dense: 16,
    },
];

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
    /// Where the counts live when instances share them: the database.
    shared: Option<Store>,
}

/// Whom a hit is counted against.
#[derive(Clone, Copy, Debug)]
enum Counted<'a> {
    Ip(IpAddr),
    Cart(&'a str),
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
            shared: None,
        }
    }

    /// The same limits, counted in `store`'s database so that every instance sharing
    /// it counts together.
    pub fn shared_through(mut self, store: Store) -> Self {
        self.shared = Some(store);
        self
    }

    /// Counts a checkout submit against the client's IP, then against the cart. A
    /// submit the IP limit refuses does not also spend the cart's allowance.
    pub async fn submit(&self, cart_id: &str, ip: Option<IpAddr>) -> Result<(), Refused> {
        if let Some(ip) = ip {
            self.count(&self.submits_per_ip, Counted::Ip(ip)).await?;
        }
        self.count(&self.submits_per_cart, Counted::Cart(cart_id))
            .await
    }

    /// Counts a new cart against the client's IP.
    pub async fn new_cart(&self, ip: Option<IpAddr>) -> Result<(), Refused> {
        match ip {
            Some(ip) => self.count(&self.carts_per_ip, Counted::Ip(ip)).await,
            None => Ok(()),
        }
    }

    /// Counts a PaymentIntent creation against the client's IP, then the cart.
    pub async fn payment_intent(&self, cart_id: &str, ip: Option<IpAddr>) -> Result<(), Refused> {
        if let Some(ip) = ip {
            self.count(&self.per_ip, Counted::Ip(ip)).await?;
        }
        self.count(&self.per_cart, Counted::Cart(cart_id)).await
    }

    /// Counts a re-pricing of the cart's checkout.
    pub async fn prepare(&self, cart_id: &str) -> Result<(), Refused> {
        self.count(&self.prepares_per_cart, Counted::Cart(cart_id))
            .await
    }

    /// One hit against `limiter`, in memory or in the shared database.
    async fn count(&self, limiter: &RateLimiter, counted: Counted<'_>) -> Result<(), Refused> {
        let Some(store) = &self.shared else {
            return match counted {
                Counted::Ip(ip) => limiter.check_ip(ip),
                Counted::Cart(cart) => limiter.check(cart),
            };
        };
        let key = match counted {
            Counted::Ip(ip) => ip_key(ip),
            Counted::Cart(cart) => cart.to_owned(),
        };
        let limit = SharedLimit {
            name: limiter.name,
            limit: limiter.limit,
            window_ms: i64::try_from(limiter.window.as_millis()).unwrap_or(i64::MAX),
        };
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| {
                i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
            });
        match store.count_hit(limit, &key, now_ms).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(refusal)) => {
                let left = Duration::from_millis(u64::try_from(refusal.left_ms).unwrap_or(0));
                Err(limiter.refused(limiter.wait(refusal.previous, refusal.current, left)))
            }
            // The database is failing: this instance's own counts still hold the line
            // (a limit never fails open).
            Err(error) => {
                tracing::error!(%error, limit = limiter.name, "could not count a rate-limited hit; counting in memory");
                match counted {
                    Counted::Ip(ip) => limiter.check_ip(ip),
                    Counted::Cart(cart) => limiter.check(cart),
                }
            }
        }
    }
}

/// The key a client IP is limited under: the address itself for IPv4, the /64 for
/// IPv6 (one household or server gets a whole /64, so single addresses are free).
/// [`RateLimiter::check_ip`] counts under this key, or under the client's /48 or /32
/// when that network crowds the window.
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
                prefixes: HashMap::new(),
                warned_full: false,
                warned_pooled: false,
            }),
        }
    }

    /// Counts one event for `key`; `false` when the key is over its limit.
    pub fn allow(&self, key: &str) -> bool {
        self.check(key).is_ok()
    }

    /// Counts one event for `key`, or says how long until it would be allowed. A
    /// refused event is not counted.
    ///
    /// For keys that are not client IPs: carts. A full window refuses cart keys it has
    /// not counted (fails closed) rather than pooling them, since a cart id says nothing
    /// about who sent it, and carts are themselves limited per client IP
    /// ([`PaymentLimits::new_cart`], pooled as above): filling a per-cart window takes
    /// `max_keys` carts, which the per-IP limit spreads over many clients and windows.
    pub fn check(&self, key: &str) -> Result<(), Refused> {
        self.check_at(key, Instant::now())
    }

    /// Counts one event for a client IP, under [`ip_key`] (the IPv4 address, or the
    /// IPv6 /64) or, when its IPv6 network crowds the window, under its /48 or /32.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refused> {
        self.check_ip_at(ip, Instant::now())
    }

    /// [`RateLimiter::check_ip`], `false` when refused.
    pub fn allow_ip(&self, ip: IpAddr) -> bool {
        self.check_ip(ip).is_ok()
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), Refused> {
        self.count(&[self.hasher.hash_one(key)], now)
    }

    fn check_ip_at(&self, ip: IpAddr, now: Instant) -> Result<(), Refused> {
        // The same hash as `check(&ip_key(ip))`: both count the same client alike.
        let own = self.hasher.hash_one(ip_key(ip).as_str());
        match ip.to_canonical() {
            IpAddr::V4(_) => self.count(&[own], now),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                // Tagged, so they hash unlike any `str` key by construction (that
                // hashes as its UTF-8 bytes and then 0xff, which "/48" and 0xff and
                // more are not).
                let prefix_48 = self.hasher.hash_one(("/48", s[0], s[1], s[2]));
                let prefix_32 = self.hasher.hash_one(("/32", s[0], s[1]));
                self.count(&[own, prefix_48, prefix_32], now)
            }
        }
    }

    /// Counts one event for the first key of `chain` or, for an IPv6 client, one of
    /// the prefixes that follow it, finest first.
    fn count(&self, chain: &[u64], now: Instant) -> Result<(), Refused> {
        // A poisoned lock only means another request panicked mid-update of a counter;
        // the counters are still usable.
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        windows.rotate(now, self.window);
        let left = self
            .window
            .saturating_sub(now.saturating_duration_since(windows.started));
        // The finest key this window already counts keeps counting the client: its own,
        // or its prefix's once the prefix was pooled. Otherwise the crowding picks one.
        let counted = chain.iter().position(|h| windows.current.contains_key(h));
        let level = match counted {
            Some(level) => level,
            None if windows.current.len() >= self.max_keys => {
                // Every key is free to an attacker, so a full window cannot make room
                // by forgetting one (that would reset someone's count) nor grow. It
                // refuses keys it does not know until the window ends: these limits
                // guard payment and checkout endpoints, where failing closed for new
                // clients during a flood beats letting the flood through, and clients
                // it already counts keep their allowance. With client IPs, pooling
                // keeps one network's flood from getting here (see `Crowding`).
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
            None => self.level_for_new(&mut windows, chain),
        };
        let hash = chain[level];
        let current = windows.current.get(&hash).copied().unwrap_or(0);
        // A client pooled under its prefix brings its own previous count along, so a
        // client over its limit does not get a fresh allowance from being pooled.
        let previous = chain[..=level]
            .iter()
            .filter_map(|h| windows.previous.get(h).copied())
            .max()
            .unwrap_or(0);
        // The share of the previous window still inside the sliding window.
        let weight = left.as_secs_f64() / self.window.as_secs_f64();
        let estimate = f64::from(previous) * weight + f64::from(current);
        if estimate + 1.0 > f64::from(self.limit) {
            return Err(self.refused(self.wait(previous, current, left)));
        }
        windows.current.insert(hash, current + 1);
        if counted.is_none() {
            for prefix in &chain[1..] {
                *windows.prefixes.entry(*prefix).or_insert(0) += 1;
            }
        }
        Ok(())
    }

    /// Which of `chain` a client this window does not count yet is counted under: its
    /// own key, unless its IPv6 /32 or /48 crowds the window (see `Crowding`).
    fn level_for_new(&self, windows: &mut Windows, chain: &[u64]) -> usize {
        if chain.len() < 3 {
            return 0;
        }
        let keys = windows.current.len();
        // Above zero: a full window refused the client already.
        let room = self.max_keys.saturating_sub(keys);
        for crowding in CROWDING {
            let level = crowding.level;
            let held = windows.prefixes.get(&chain[level]).copied().unwrap_or(0);
            let over_share = (held as usize).saturating_mul(crowding.share) >= room;
            let dense = held >= crowding.dense
                && keys.saturating_mul(4) >= self.max_keys.saturating_mul(crowding.quarters_full);
            if over_share || dense {
                if !windows.warned_pooled {
                    windows.warned_pooled = true;
                    tracing::warn!(
                        limit = self.name,
                        keys,
                        prefix_bits = crowding.bits,
                        "rate limit window is crowded: new clients from a crowding IPv6 \
                         prefix are counted under the prefix until it ends"
                    );
                }
                return level;
            }
        }
        0
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

    #[cfg(test)]
    fn prefix_entries(&self) -> usize {
        self.windows.lock().unwrap().prefixes.len()
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
        self.prefixes = HashMap::new();
        let into_window = elapsed.as_nanos() % window.as_nanos();
        self.started = now - Duration::from_nanos(u64::try_from(into_window).unwrap_or(0));
        self.warned_full = false;
        self.warned_pooled = false;
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

    fn v6(segments: [u16; 8]) -> IpAddr {
        std::net::Ipv6Addr::from(segments).into()
    }

    /// Every /64 of 2001:db8:aaaa::/48, one event each: what one attacker with a /48
    /// can send to each limit, every window.
    fn flood_from_one_48() -> impl Iterator<Item = IpAddr> {
        (0..=u16::MAX).map(|subnet| v6([0x2001, 0xdb8, 0xaaaa, subnet, 0, 0, 0, 1]))
    }

    /// The IPv6 and IPv4 clients a flood from 2001:db8::/32 must not lock out.
    fn bystanders() -> [IpAddr; 4] {
        [
            v6([0x3fff, 1, 2, 3, 0, 0, 0, 1]),
            v6([0x2a02, 0x1234, 0x5678, 9, 0, 0, 0, 7]),
            "198.51.100.23".parse().unwrap(),
            "::ffff:203.0.113.5".parse().unwrap(),
        ]
    }

    /// A bystander gets exactly its own allowance: every event up to the limit, and
    /// its own refusal after it.
    fn assert_own_allowance(limiter: &RateLimiter, ip: IpAddr, limit: u32, now: Instant) {
        for event in 0..limit {
            assert!(
                limiter.check_ip_at(ip, now).is_ok(),
                "{ip}: event {event} refused"
            );
        }
        assert!(
            limiter.check_ip_at(ip, now).is_err(),
            "{ip}: over its limit"
        );
    }

    #[test]
    fn a_flood_from_one_ipv6_48_does_not_lock_out_other_clients() {
        let (limiter, start) = limiter(5, 1_000);
        for ip in flood_from_one_48() {
            let _ = limiter.check_ip_at(ip, start);
        }
        // The flood took its share of the window, about a ninth, and then one key...
        let (keys, _) = limiter.keys();
        assert!(keys <= 1_000 / 8, "{keys} keys");
        // ...which is over its limit: the rest of the /48 is refused (the first /64s
        // it sent keep what is left of their own allowances).
        let next = v6([0x2001, 0xdb8, 0xaaaa, 0x8000, 0, 0, 0, 99]);
        assert!(limiter.check_ip_at(next, start).is_err());
        // Other clients keep their own keys and allowances, those from another /48 of
        // the same /32 too, and the rest of the window stays theirs: hundreds of
        // clients more are counted one by one.
        let same_32 = v6([0x2001, 0xdb8, 0xbbbb, 1, 0, 0, 0, 1]);
        for ip in bystanders().into_iter().chain([same_32]) {
            assert_own_allowance(&limiter, ip, 5, start);
        }
        for client in 0..800u16 {
            let ip = v6([0x2a00, client, 1, 1, 0, 0, 0, 1]);
            assert!(limiter.check_ip_at(ip, start).is_ok(), "client {client}");
        }
        assert!(limiter.keys().0 <= 1_000);
    }

    #[tokio::test]
    async fn a_flood_from_one_ipv6_48_does_not_lock_checkout_for_other_clients() {
        let config = crate::server::config::RateLimits::default();
        let limits = PaymentLimits::new(&config);
        // The attacker opens a cart from each /64, submits it and asks for a
        // PaymentIntent, reusing its last cart when a new one is refused.
        let mut cart = String::from("flood-cart-0");
        for (n, ip) in flood_from_one_48().enumerate() {
            if limits.new_cart(Some(ip)).await.is_ok() {
                cart = format!("flood-cart-{n}");
            }
            let _ = limits.submit(&cart, Some(ip)).await;
            let _ = limits.per_ip.allow_ip(ip);
        }
        for limiter in [&limits.carts_per_ip, &limits.submits_per_ip, &limits.per_ip] {
            let (keys, _) = limiter.keys();
            assert!(keys <= config.keys_per_window / 8, "{keys} keys");
        }
        // So the carts it got, which the per-cart limits count and which fail closed,
        // are bounded by the per-IP limit on new carts, far below their bound.
        assert!(limits.submits_per_cart.keys().0 <= config.keys_per_window / 8 + 100);
        // Shoppers elsewhere open carts, submit them and pay.
        for (n, ip) in bystanders().into_iter().enumerate() {
            assert!(limits.new_cart(Some(ip)).await.is_ok(), "{ip}");
            assert!(
                limits.submit(&format!("cart-{n}"), Some(ip)).await.is_ok(),
                "{ip}"
            );
            assert!(limits.per_ip.allow_ip(ip), "{ip}");
        }
    }

    #[test]
    fn a_flood_across_one_ipv6_32_does_not_lock_out_other_clients() {
        let (limiter, start) = limiter(5, 1_000);
        // 4,096 /48s of 2001:db8::/32, sixteen /64s from each.
        for network in 0..4_096u16 {
            for subnet in 0..16 {
                let ip = v6([0x2001, 0xdb8, network, subnet, 0, 0, 0, 1]);
                let _ = limiter.check_ip_at(ip, start);
            }
        }
        // About a fifth of the window, then one key for the whole /32.
        let (keys, _) = limiter.keys();
        assert!(keys <= 1_000 / 4, "{keys} keys");
        for ip in bystanders() {
            assert_own_allowance(&limiter, ip, 5, start);
        }
    }

    #[test]
    fn floods_from_many_ipv6_networks_at_once_are_held_to_a_few_keys_each() {
        let (limiter, start) = limiter(5, 10_000);
        // 200 /48s, each in a /32 of its own, sixty-four /64s from each: 12,800 keys,
        // more than the window holds, were each counted on its own.
        for network in 0..200u16 {
            for subnet in 0..64 {
                let ip = v6([0x2400 + network, 0xdb8, 1, subnet, 0, 0, 0, 1]);
                let _ = limiter.check_ip_at(ip, start);
            }
        }
        // Once the window is half full, each further network gets sixteen keys and then
        // one for its /48.
        let (keys, _) = limiter.keys();
        assert!(keys < 7_500, "{keys} keys");
        for ip in bystanders() {
            assert_own_allowance(&limiter, ip, 5, start);
        }
    }

    #[test]
    fn clients_counted_before_a_flood_keep_their_own_allowance() {
        let (limiter, start) = limiter(5, 1_000);
        // A shopper from the attacker's own /48, counted before the flood.
        let neighbour = v6([0x2001, 0xdb8, 0xaaaa, 0xffff, 0, 0, 0, 0x42]);
        assert!(limiter.check_ip_at(neighbour, start).is_ok());
        for ip in flood_from_one_48().take(60_000) {
            let _ = limiter.check_ip_at(ip, start);
        }
        for event in 1..5 {
            assert!(
                limiter.check_ip_at(neighbour, start).is_ok(),
                "event {event}"
            );
        }
        assert!(limiter.check_ip_at(neighbour, start).is_err());
    }

    #[test]
    fn pooling_a_client_under_its_prefix_does_not_reset_its_count() {
        // 90 keys: a /48 is pooled once it holds ten (ten is an eighth of the 80 left).
        let (limiter, start) = limiter(5, 90);
        let tester = v6([0x2001, 0xdb8, 0xaaaa, 1, 0, 0, 0, 1]);
        let late = start + MINUTE - Duration::from_secs(1);
        for _ in 0..5 {
            assert!(limiter.check_ip_at(tester, late).is_ok());
        }
        // The next window: its /48 fills up, so the tester would be pooled under it.
        let early = start + MINUTE + Duration::from_secs(1);
        for subnet in 2..12 {
            let ip = v6([0x2001, 0xdb8, 0xaaaa, subnet, 0, 0, 0, 1]);
            assert!(limiter.check_ip_at(ip, early).is_ok());
        }
        // Its last window's five events still count against it, while the /48's pooled
        // key, new, admits another client.
        assert!(limiter.check_ip_at(tester, early).is_err());
        let other = v6([0x2001, 0xdb8, 0xaaaa, 99, 0, 0, 0, 1]);
        assert!(limiter.check_ip_at(other, early).is_ok());
        assert_eq!(limiter.keys().0, 11, "ten /64s and the pooled /48");
    }

    #[test]
    fn a_flood_of_ipv4_addresses_past_the_bound_is_refused_without_growing_the_map() {
        // IPv4 clients are counted per address whatever the crowding: past the bound,
        // new ones are refused until the window ends, as any new key.
        let (limiter, start) = limiter(5, 100);
        for host in 0..=u16::MAX {
            let [a, b] = host.to_be_bytes();
            let _ = limiter.check_ip_at(IpAddr::from([10, 0, a, b]), start);
        }
        assert_eq!(limiter.keys().0, 100);
        assert!(limiter
            .check_ip_at("198.51.100.23".parse().unwrap(), start)
            .is_err());
        assert!(limiter
            .check_ip_at(IpAddr::from([10, 0, 0, 0]), start)
            .is_ok());
    }

    #[test]
    fn the_key_capacity_holds_under_floods_of_client_ips() {
        let (limiter, start) = limiter(5, 1_000);
        for window in 0..4u32 {
            let now = start + MINUTE * window;
            let mut n = 0u32;
            let sprays = flood_from_one_48()
                .chain((0..=u16::MAX).map(|s| v6([0x2001, 0xdb9, s, 1, 0, 0, 0, 1])))
                .chain((0..=u16::MAX).map(|s| v6([s, 0xdb8, 1, 1, 0, 0, 0, 1])))
                .chain((0..=u16::MAX).map(|s| {
                    let [a, b] = s.to_be_bytes();
                    IpAddr::from([10, 1, a, b])
                }));
            for ip in sprays {
                let _ = limiter.check_ip_at(ip, now);
                n += 1;
                if n % 1_024 == 0 {
                    let (current, previous) = limiter.keys();
                    assert!(current <= 1_000 && previous <= 1_000, "window {window}");
                    assert!(limiter.prefix_entries() <= 2 * current, "window {window}");
                }
            }
        }
    }

    #[test]
    fn an_ip_is_counted_alike_by_check_ip_and_by_its_key() {
        let limiter = RateLimiter::new("test", 2, MINUTE, 100);
        let ip: IpAddr = "2001:db8:1:2::7".parse().unwrap();
        assert!(limiter.allow(&ip_key(ip)));
        assert!(limiter.allow_ip(ip));
        assert!(!limiter.allow_ip("2001:db8:1:2::8".parse().unwrap()));
    }
}
