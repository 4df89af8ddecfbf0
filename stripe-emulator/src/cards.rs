//! Stripe's test cards (contract b.7): what each number does when it is charged.
//!
//! The outcomes come from Stripe's testing docs [docs*]; keep them here, in one table.

use crate::error::ApiError;

/// What authorising a card does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeed,
    Decline(Decline),
}

/// A decline: `code`, `decline_code` (or none), the message and the parameter blamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decline {
    pub code: &'static str,
    pub decline_code: Option<&'static str>,
    pub message: &'static str,
    pub param: Option<&'static str>,
    /// `outcome.type` and `outcome.reason` on the failed charge.
    pub outcome_type: &'static str,
}

impl Decline {
    pub fn to_error(self) -> ApiError {
        ApiError::card(self.code, self.decline_code, self.message, self.param)
    }
}

/// Whether confirming asks for 3-D Secure first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authentication {
    NotNeeded,
    Required,
}

/// What Stripe does by itself once a charge on the card has succeeded [docs*: the
/// "Disputes" and "Refunds" tables of Stripe's testing docs].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Afterwards {
    Nothing,
    /// "The charge succeeds, then is disputed" with this reason (4000000000000259:
    /// fraudulent; 4000000000002685: product not received).
    Dispute(&'static str),
    /// Refunds begin `pending` and succeed some time later (4000000000007726).
    RefundsSucceedLater,
    /// Refunds begin `succeeded` and fail some time later with `failure_reason`
    /// `expired_or_canceled_card` (4000000000005126).
    RefundsFailLater,
}

/// A card's whole behaviour: authentication, the outcome of authorising it, and what
/// follows a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Behaviour {
    pub authentication: Authentication,
    pub outcome: Outcome,
    pub afterwards: Afterwards,
}

const fn declined(decline_code: &'static str, message: &'static str) -> Outcome {
    Outcome::Decline(Decline {
        code: "card_declined",
        decline_code: Some(decline_code),
        message,
        param: None,
        outcome_type: "issuer_declined",
    })
}

const GENERIC: Outcome = declined("generic_decline", "Your card was declined.");

/// The behaviour of a card number. Unknown Luhn-valid numbers succeed.
pub fn behaviour(number: &str) -> Behaviour {
    let plain = |outcome| Behaviour {
        authentication: Authentication::NotNeeded,
        outcome,
        afterwards: Afterwards::Nothing,
    };
    let three_ds = |outcome| Behaviour {
        authentication: Authentication::Required,
        outcome,
        afterwards: Afterwards::Nothing,
    };
    let then = |afterwards| Behaviour {
        afterwards,
        ..plain(Outcome::Succeed)
    };
    match number {
        "4000000000000002" | "4000000000000341" => plain(GENERIC),
        "4000000000009995" => plain(declined(
            "insufficient_funds",
            "Your card has insufficient funds.",
        )),
        "4000000000009987" => plain(declined("lost_card", "Your card was declined.")),
        "4000000000009979" => plain(declined("stolen_card", "Your card was declined.")),
        "4100000000000019" => plain(Outcome::Decline(Decline {
            code: "card_declined",
            decline_code: Some("fraudulent"),
            message: "Your card was declined.",
            param: None,
            outcome_type: "blocked",
        })),
        "4000000000006975" => plain(declined(
            "card_velocity_exceeded",
            "Your card was declined.",
        )),
        "4000000000000069" => plain(Outcome::Decline(Decline {
            code: "expired_card",
            decline_code: None,
            message: "Your card has expired.",
            param: Some("exp_month"),
            outcome_type: "issuer_declined",
        })),
        "4000000000000127" => plain(Outcome::Decline(Decline {
            code: "incorrect_cvc",
            decline_code: None,
            message: "Your card's security code is incorrect.",
            param: Some("cvc"),
            outcome_type: "issuer_declined",
        })),
        "4000000000000119" => plain(Outcome::Decline(Decline {
            code: "processing_error",
            decline_code: None,
            message: "An error occurred while processing your card. Try again in a little bit.",
            param: None,
            outcome_type: "issuer_declined",
        })),
        "4000002500003155" | "4000002760003184" | "4000003800000446" | "4000000000003220" => {
            three_ds(Outcome::Succeed)
        }
        "4000008260003178" => three_ds(declined(
            "insufficient_funds",
            "Your card has insufficient funds.",
        )),
        "4000008400001629" => three_ds(GENERIC),
        "4000000000000259" => then(Afterwards::Dispute("fraudulent")),
        "4000000000002685" => then(Afterwards::Dispute("product_not_received")),
        "4000000000007726" => then(Afterwards::RefundsSucceedLater),
        "4000000000005126" => then(Afterwards::RefundsFailLater),
        _ => plain(Outcome::Succeed),
    }
}

/// Every number whose behaviour differs from a plain success.
const SPECIAL: &[&str] = &[
    "4000000000000002",
    "4000000000000341",
    "4000000000009995",
    "4000000000009987",
    "4000000000009979",
    "4100000000000019",
    "4000000000006975",
    "4000000000000069",
    "4000000000000127",
    "4000000000000119",
    "4000002500003155",
    "4000002760003184",
    "4000003800000446",
    "4000000000003220",
    "4000008260003178",
    "4000008400001629",
    "4000000000000259",
    "4000000000002685",
    "4000000000007726",
    "4000000000005126",
];

/// A stable, non-reversible name for a card number (Stripe's `card.fingerprint`).
///
/// We keep this instead of the number, and find a test card's behaviour through it.
pub fn fingerprint(number: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"stripe-emulator card fingerprint:")
        .chain_update(number.as_bytes())
        .finalize();
    digest
        .iter()
        .take(16)
        .map(|b| crate::ids::BASE62[(*b % 62) as usize] as char)
        .collect()
}

/// The behaviour of the card with this fingerprint.
pub fn behaviour_of_fingerprint(fingerprint_of_card: &str) -> Behaviour {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static BY_FINGERPRINT: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    let table =
        BY_FINGERPRINT.get_or_init(|| SPECIAL.iter().map(|n| (fingerprint(n), *n)).collect());
    behaviour(
        table
            .get(fingerprint_of_card)
            .copied()
            .unwrap_or("4242424242424242"),
    )
}

/// Stripe's `pm_card_*` test PaymentMethod ids and the number each stands for.
pub fn test_payment_method(id: &str) -> Option<&'static str> {
    Some(match id {
        "pm_card_visa" => "4242424242424242",
        "pm_card_visa_debit" => "4000056655665556",
        "pm_card_mastercard" => "5555555555554444",
        "pm_card_amex" => "378282246310005",
        "pm_card_discover" => "6011111111111117",
        "pm_card_diners" => "3056930009020004",
        "pm_card_jcb" => "3566002020360505",
        "pm_card_unionpay" => "6200000000000005",
        "pm_card_bypassPending" => "4000000000000077",
        "pm_card_visa_chargeDeclined" | "pm_card_chargeDeclined" => "4000000000000002",
        "pm_card_visa_chargeDeclinedInsufficientFunds"
        | "pm_card_chargeDeclinedInsufficientFunds" => "4000000000009995",
        "pm_card_visa_chargeDeclinedLostCard" | "pm_card_chargeDeclinedLostCard" => {
            "4000000000009987"
        }
        "pm_card_visa_chargeDeclinedStolenCard" | "pm_card_chargeDeclinedStolenCard" => {
            "4000000000009979"
        }
        "pm_card_radarBlock" => "4100000000000019",
        "pm_card_visa_chargeDeclinedVelocityLimitExceeded" => "4000000000006975",
        "pm_card_visa_chargeDeclinedExpiredCard" | "pm_card_chargeDeclinedExpiredCard" => {
            "4000000000000069"
        }
        "pm_card_visa_chargeDeclinedIncorrectCvc" | "pm_card_chargeDeclinedIncorrectCvc" => {
            "4000000000000127"
        }
        "pm_card_visa_chargeDeclinedProcessingError" | "pm_card_chargeDeclinedProcessingError" => {
            "4000000000000119"
        }
        "pm_card_chargeCustomerFail" => "4000000000000341",
        "pm_card_authenticationRequiredOnSetup" => "4000002500003155",
        "pm_card_authenticationRequired" => "4000002760003184",
        "pm_card_threeDSecure2Required" => "4000000000003220",
        "pm_card_threeDSecureOptional" => "4000000000003055",
        "pm_card_createDispute" => "4000000000000259",
        "pm_card_createDisputeProductNotReceived" => "4000000000002685",
        "pm_card_pendingRefund" => "4000000000007726",
        "pm_card_refundFail" => "4000000000005126",
        _ => return None,
    })
}

/// The card brand from the number's first digits.
pub fn brand(number: &str) -> &'static str {
    let prefix = |n: usize| {
        number
            .get(..n)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0)
    };
    match () {
        _ if number.starts_with('4') => "visa",
        _ if (51..=55).contains(&prefix(2)) || (2221..=2720).contains(&prefix(4)) => "mastercard",
        _ if matches!(prefix(2), 34 | 37) => "amex",
        _ if prefix(4) == 6011 || (644..=649).contains(&prefix(3)) || prefix(2) == 65 => "discover",
        _ if prefix(2) == 35 => "jcb",
        _ if matches!(prefix(2), 36 | 30) => "diners",
        _ if prefix(2) == 62 => "unionpay",
        _ => "unknown",
    }
}

/// Debit for Stripe's debit test numbers, credit otherwise.
pub fn funding(number: &str) -> &'static str {
    match number {
        "4000056655665556" | "5200828282828210" => "debit",
        "5105105105105100" => "prepaid",
        _ => "credit",
    }
}

/// The Luhn checksum every real card number satisfies.
pub fn luhn_valid(number: &str) -> bool {
    if number.len() < 12 || number.len() > 19 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = (b - b'0') as u32;
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Stripe's documented test numbers: with the strict option, only these are charged.
pub fn is_documented_test_number(number: &str) -> bool {
    const SUCCESS: &[&str] = &[
        "4242424242424242",
        "4000056655665556",
        "5555555555554444",
        "2223003122003222",
        "5200828282828210",
        "5105105105105100",
        "378282246310005",
        "371449635398431",
        "6011111111111117",
        "3056930009020004",
        "36227206271667",
        "3566002020360505",
        "6200000000000005",
        "4000000000000077",
        "4000000000003055",
    ];
    SUCCESS.contains(&number) || SPECIAL.contains(&number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_find_the_behaviour_without_the_number() {
        let declined = behaviour("4000008260003178");
        assert_eq!(
            behaviour_of_fingerprint(&fingerprint("4000008260003178")),
            declined
        );
        assert_eq!(
            behaviour_of_fingerprint(&fingerprint("4111111111111111")).outcome,
            Outcome::Succeed
        );
        assert_eq!(fingerprint("4242424242424242").len(), 16);
        for n in SPECIAL {
            assert!(luhn_valid(n), "{n}");
            assert_ne!(behaviour(n), behaviour("4242424242424242"), "{n}");
        }
    }

    #[test]
    fn luhn() {
        assert!(luhn_valid("4242424242424242"));
        assert!(!luhn_valid("4242424242424241"));
        assert!(luhn_valid("378282246310005"));
        assert!(!luhn_valid("42424242"));
        assert!(!luhn_valid("4242 4242 4242 4242"));
    }

    #[test]
    fn brands_from_bin() {
        for (n, b) in [
            ("4242424242424242", "visa"),
            ("5555555555554444", "mastercard"),
            ("2223003122003222", "mastercard"),
            ("378282246310005", "amex"),
            ("6011111111111117", "discover"),
            ("3566002020360505", "jcb"),
            ("36227206271667", "diners"),
            ("3056930009020004", "diners"),
            ("6200000000000005", "unionpay"),
            ("9999999999999995", "unknown"),
        ] {
            assert_eq!(brand(n), b, "{n}");
        }
    }

    #[test]
    fn every_test_pm_maps_to_a_luhn_valid_number() {
        for id in [
            "pm_card_visa",
            "pm_card_chargeDeclined",
            "pm_card_authenticationRequired",
            "pm_card_amex",
        ] {
            assert!(luhn_valid(test_payment_method(id).unwrap()), "{id}");
        }
        assert!(test_payment_method("pm_card_nope").is_none());
    }
}
