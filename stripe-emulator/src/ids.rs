//! Object ids in Stripe's formats: a prefix and base62 characters.
//!
//! Random by default. After `POST /_emulator/seed` they are derived from the seed and a
//! counter, so test snapshots are stable; the counter is saved with the rest of the
//! state, so a restarted emulator never issues an id twice.

use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Stripe's id alphabet.
pub(crate) const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Where ids come from.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct IdSource {
    seed: Option<String>,
    counter: u64,
}

impl IdSource {
    /// Switches to deterministic ids derived from `seed`.
    pub fn seeded(seed: &str) -> Self {
        IdSource {
            seed: Some(seed.to_string()),
            counter: 0,
        }
    }

    /// `len` base62 characters.
    pub fn token(&mut self, len: usize) -> String {
        match &self.seed {
            None => {
                let mut rng = rand::rng();
                (0..len)
                    .map(|_| BASE62[rng.random_range(0..62)] as char)
                    .collect()
            }
            Some(seed) => {
                let mut out = String::with_capacity(len);
                while out.len() < len {
                    self.counter += 1;
                    let digest = Sha256::new()
                        .chain_update(seed.as_bytes())
                        .chain_update(self.counter.to_be_bytes())
                        .finalize();
                    // 248 of 256 byte values map evenly onto base62 (4 × 62); the rest are skipped.
                    out.extend(
                        digest
                            .iter()
                            .filter(|b| **b < 248)
                            .map(|b| BASE62[(*b % 62) as usize] as char)
                            .take(len - out.len()),
                    );
                }
                out
            }
        }
    }

    /// `pi_` + 24 base62 characters, and so on for every prefix.
    pub fn object_id(&mut self, prefix: &str) -> String {
        format!("{prefix}_{}", self.token(24))
    }

    /// `req_` + 14 base62 characters.
    pub fn request_id(&mut self) -> String {
        format!("req_{}", self.token(14))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let mut ids = IdSource::default();
        let pi = ids.object_id("pi");
        assert_eq!(pi.len(), 27);
        assert!(pi[3..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(ids.request_id().len(), 18);
    }

    #[test]
    fn seeded_ids_repeat_and_never_reissue() {
        let mut a = IdSource::seeded("checkout");
        let mut b = IdSource::seeded("checkout");
        let first = a.object_id("pi");
        assert_eq!(first, b.object_id("pi"));
        assert_ne!(first, a.object_id("pi"));
        let saved: IdSource = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        let mut restored = saved;
        assert_ne!(restored.object_id("pi"), b.object_id("pi").clone());
    }
}
