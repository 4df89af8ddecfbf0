//! Operators' passwords: Argon2id with OWASP's parameters (19 MiB of memory, two
//! passes, one lane), salted per password, stored as a PHC string. Hashing costs tens
//! of milliseconds of CPU on purpose, so callers run it off the async threads.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use std::sync::OnceLock;

/// The shortest password `operator add` accepts.
pub const MIN_LENGTH: usize = 12;
/// The longest: anything past this is not a password someone types.
pub const MAX_LENGTH: usize = 1024;

/// Argon2id, m = 19,456 KiB, t = 2, p = 1 (OWASP's Password Storage Cheat Sheet).
fn argon2() -> Argon2<'static> {
    // The parameters are constants inside Argon2's bounds; the library's defaults are
    // the same ones, so the fallback changes nothing.
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why a password was not accepted for an operator.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must be at least {MIN_LENGTH} characters")]
    TooShort,
    #[error("the password must be at most {MAX_LENGTH} characters")]
    TooLong,
    #[error("the password could not be hashed: {0}")]
    Hashing(String),
}

/// The PHC string for a new password.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(PasswordError::TooLong);
    }
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| PasswordError::Hashing(error.to_string()))
}

/// Whether `password` is the one `phc` was made from. A malformed hash verifies
/// nothing. The parameters come from the stored string, so hashes made with older
/// parameters still verify.
pub fn verify(password: &str, phc: &str) -> bool {
    if password.len() > MAX_LENGTH * 4 {
        return false;
    }
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash no password is known for, verified against when a login names nobody, so
/// an unknown name takes as long as a wrong password and the answers cannot be told
/// apart by their timing. Made once (the shop makes it at start-up, off the async
/// threads, so the first unknown name costs no more than any other).
pub fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        use argon2::password_hash::rand_core::RngCore;
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        let secret: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        hash(&secret).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let phc = hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("correct horse batterY", &phc));
        assert!(!verify("correct horse battery", "not a hash"));
        assert_ne!(phc, hash("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert_eq!(hash("short"), Err(PasswordError::TooShort));
        assert_eq!(
            hash(&"x".repeat(MAX_LENGTH + 1)),
            Err(PasswordError::TooLong)
        );
    }

    #[test]
    fn the_decoy_verifies_nothing_guessable() {
        assert!(decoy().starts_with("$argon2id$"));
        assert!(!verify("", decoy()));
        assert!(!verify("password1234", decoy()));
    }
}
