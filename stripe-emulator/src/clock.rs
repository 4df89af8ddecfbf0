//! The emulator clock: the wall clock plus an offset the control API can move.
//!
//! It stamps `created`, expires idempotency keys and (with webhooks) schedules retries,
//! so tests move time instead of sleeping.

use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds to add to the wall clock.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Clock {
    offset_seconds: i64,
}

/// The wall clock in unix seconds.
pub fn wall_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Clock {
    /// Unix seconds on the emulator clock.
    pub fn now(&self) -> i64 {
        wall_now().saturating_add(self.offset_seconds)
    }

    /// Moves the clock forward (or back, with a negative number).
    pub fn advance(&mut self, seconds: i64) {
        self.offset_seconds = self.offset_seconds.saturating_add(seconds);
    }

    /// Sets the clock to `now`.
    pub fn set(&mut self, now: i64) {
        self.offset_seconds = now.saturating_sub(wall_now());
    }
}

/// The calendar year and month (1 to 12) of a unix time (UTC), for card expiry checks.
pub fn year_and_month_of(unix_seconds: i64) -> (i64, i64) {
    // Days to civil date, after Howard Hinnant's algorithm.
    let days = unix_seconds.div_euclid(86_400) + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    (year_of_era + era * 400 + i64::from(month <= 2), month)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years() {
        assert_eq!(year_and_month_of(0).0, 1970);
        assert_eq!(year_and_month_of(1_700_000_000).0, 2023);
        assert_eq!(year_and_month_of(1_798_761_599).0, 2026); // 2026-12-31T23:59:59Z
        assert_eq!(year_and_month_of(1_798_761_600).0, 2027);
    }

    #[test]
    fn moves() {
        let mut clock = Clock::default();
        clock.advance(86_400);
        assert!((clock.now() - wall_now() - 86_400).abs() <= 1);
        clock.set(1_700_000_000);
        assert!((clock.now() - 1_700_000_000).abs() <= 1);
    }
}

#[cfg(test)]
mod month_tests {
    #[test]
    fn months() {
        assert_eq!(super::year_and_month_of(1_798_761_599), (2026, 12));
        assert_eq!(super::year_and_month_of(1_700_000_000), (2023, 11));
        assert_eq!(super::year_and_month_of(0), (1970, 1));
    }
}
