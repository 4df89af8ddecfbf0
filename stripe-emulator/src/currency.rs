//! Currencies: which ones we accept, their minor units and Stripe's charge limits.

/// The settlement currencies the emulator accepts (lower case, as Stripe answers).
pub const SUPPORTED: &[&str] = &[
    "aud", "bgn", "brl", "cad", "chf", "czk", "dkk", "eur", "gbp", "hkd", "huf", "idr", "inr",
    "jpy", "krw", "mxn", "myr", "nok", "nzd", "pln", "ron", "sek", "sgd", "thb", "usd",
];

/// Currencies without a minor unit: an amount of 500 jpy is ¥500, never scaled.
const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// The largest amount Stripe takes: eight digits [spec].
pub const MAX_AMOUNT: i64 = 99_999_999;

/// Lower-cases and checks a currency code.
pub fn parse(input: &str) -> Option<String> {
    let lower = input.to_ascii_lowercase();
    SUPPORTED.contains(&lower.as_str()).then_some(lower)
}

/// Stripe's minimum charge, in the currency's minor unit [docs*].
pub fn minimum_amount(currency: &str) -> i64 {
    match currency {
        "gbp" => 30,
        "jpy" => 50,
        "dkk" => 250,
        "nok" | "sek" => 300,
        "hkd" => 400,
        "czk" => 1500,
        "huf" => 17500,
        "mxn" | "thb" => 1000,
        "bgn" => 100,
        "myr" | "pln" | "ron" => 200,
        "krw" => 500,
        "idr" => 800000,
        _ => 50,
    }
}

/// `$0.50 usd`, `¥50 jpy`: how Stripe's amount errors write an amount.
pub fn display(amount: i64, currency: &str) -> String {
    let symbol = match currency {
        "usd" | "aud" | "cad" | "nzd" | "sgd" | "hkd" | "mxn" => "$",
        "eur" => "€",
        "gbp" => "£",
        "jpy" => "¥",
        _ => "",
    };
    if ZERO_DECIMAL.contains(&currency) {
        format!("{symbol}{amount} {currency}")
    } else {
        format!("{symbol}{}.{:02} {currency}", amount / 100, amount % 100)
    }
}

/// Checks an amount against the currency's minimum and Stripe's maximum.
pub fn check_amount(amount: i64, currency: &str) -> Result<(), crate::error::ApiError> {
    let minimum = minimum_amount(currency);
    if amount < minimum {
        return Err(crate::error::ApiError::amount_too_small(&display(
            minimum, currency,
        )));
    }
    if amount > MAX_AMOUNT {
        return Err(crate::error::ApiError::amount_too_large(&display(
            MAX_AMOUNT, currency,
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimums_and_display() {
        assert_eq!(parse("USD").as_deref(), Some("usd"));
        assert_eq!(parse("xyz"), None);
        assert_eq!(
            check_amount(49, "usd").unwrap_err().message,
            "Amount must be at least $0.50 usd"
        );
        assert!(check_amount(50, "usd").is_ok());
        assert!(check_amount(500, "jpy").is_ok());
        assert_eq!(display(50, "jpy"), "¥50 jpy");
        assert!(check_amount(100_000_000, "usd").is_err());
        assert!(check_amount(i64::MAX, "usd").is_err());
    }
}
