//! Money as integer minor units with a currency: no floats anywhere near a price.

use crate::i18n::Locale;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The currencies the shop can price in. Each has two decimal places, which is what
/// Stripe expects for them; a zero-decimal currency (JPY) would need its own exponent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Currency {
    Usd,
    Eur,
    Gbp,
}

impl Currency {
    /// The lowercase ISO 4217 code, as Stripe and our database spell it.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Usd => "usd",
            Currency::Eur => "eur",
            Currency::Gbp => "gbp",
        }
    }

    /// Parses an ISO 4217 code in any letter case.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        match code.to_ascii_lowercase().as_str() {
            "usd" => Ok(Currency::Usd),
            "eur" => Ok(Currency::Eur),
            "gbp" => Ok(Currency::Gbp),
            _ => Err(MoneyError::UnknownCurrency(code.to_owned())),
        }
    }

    /// The symbol a shopper reading `locale` expects, as `Intl.NumberFormat` writes it:
    /// in Chinese a bare `$` could be any dollar, so the US dollar is `US$`.
    fn symbol(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (Currency::Usd, Locale::zh_CN) => "US$",
            (Currency::Usd, _) => "$",
            (Currency::Eur, _) => "€",
            (Currency::Gbp, _) => "£",
        }
    }
}

/// Why an amount could not be made or combined.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amounts cannot be negative")]
    Negative,
    #[error("amounts in {0} and {1} cannot be added")]
    CurrencyMismatch(&'static str, &'static str),
    #[error("the amount is too large")]
    Overflow,
    #[error("unknown currency {0:?}")]
    UnknownCurrency(String),
}

/// A non-negative amount in minor units (cents) of one currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "MoneyFields")]
pub struct Money {
    minor: i64,
    currency: Currency,
}

/// What arrives on the wire, before [`Money::new`] has checked it.
#[derive(Deserialize)]
struct MoneyFields {
    minor: i64,
    currency: Currency,
}

impl TryFrom<MoneyFields> for Money {
    type Error = MoneyError;
    fn try_from(fields: MoneyFields) -> Result<Self, Self::Error> {
        Money::new(fields.minor, fields.currency)
    }
}

impl Money {
    /// Makes an amount; negative amounts are refused because nothing the shop sells
    /// or sums can be below zero (refunds will get their own type).
    pub fn new(minor: i64, currency: Currency) -> Result<Self, MoneyError> {
        if minor < 0 {
            return Err(MoneyError::Negative);
        }
        Ok(Self { minor, currency })
    }

    /// Zero in the given currency: the start of every sum.
    pub fn zero(currency: Currency) -> Self {
        Self { minor: 0, currency }
    }

    /// The amount in minor units, as Stripe's `amount` wants it.
    pub fn minor(self) -> i64 {
        self.minor
    }

    /// The currency of the amount.
    pub fn currency(self) -> Currency {
        self.currency
    }

    /// Adds two amounts of the same currency, refusing mixed currencies and overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(
                self.currency.code(),
                other.currency.code(),
            ));
        }
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    /// Multiplies a unit price by a count, refusing overflow.
    pub fn checked_mul(self, count: u32) -> Result<Money, MoneyError> {
        let minor = self
            .minor
            .checked_mul(i64::from(count))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }
}

/// `minor` units of the currency coded `currency`, for people: `$12.50`, or the minor
/// units and the code of a currency the shop does not price in (Stripe may report one).
pub fn describe_minor(minor: i64, currency: &str) -> String {
    match Currency::parse(currency).and_then(|code| Money::new(minor, code)) {
        Ok(amount) => amount.to_string(),
        Err(_) => format!("{minor} {currency} (minor units)"),
    }
}

impl Money {
    /// Formats as a shopper reading `locale` reads it, exactly as the browser's
    /// `Intl.NumberFormat(locale, {style: "currency"})` does: `$1,234.50` in English,
    /// `US$1,234.50` in Chinese (both group by thousands with a comma).
    pub fn format(self, locale: Locale) -> String {
        Shown(self, locale).to_string()
    }
}

/// A formatting of an amount in a language.
struct Shown(Money, Locale);

impl fmt::Display for Money {
    /// Formats in English: `$1,234.50` (logs, the operator's pages).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Shown(*self, Locale::en).fmt(f)
    }
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Shown(money, locale) = self;
        let units = money.minor / 100;
        let cents = money.minor % 100;
        let digits = units.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        write!(f, "{}{grouped}.{cents:02}", money.currency.symbol(*locale))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_a_currency_the_shop_does_not_price_in_still_read() {
        assert_eq!(describe_minor(1250, "usd"), "$12.50");
        assert_eq!(describe_minor(500, "xts"), "500 xts (minor units)");
    }
    use proptest::prelude::*;

    #[test]
    fn formats_with_symbol_grouping_and_two_decimals() {
        let cases = [
            (0, "$0.00"),
            (5, "$0.05"),
            (1250, "$12.50"),
            (123_450, "$1,234.50"),
            (100_000_000, "$1,000,000.00"),
        ];
        for (minor, shown) in cases {
            assert_eq!(Money::new(minor, Currency::Usd).unwrap().to_string(), shown);
        }
        assert_eq!(Money::new(999, Currency::Eur).unwrap().to_string(), "€9.99");
        let usd = Money::new(135_000, Currency::Usd).unwrap();
        assert_eq!(usd.format(Locale::zh_CN), "US$1,350.00");
        assert_eq!(usd.format(Locale::en), "$1,350.00");
        let gbp = Money::new(135_000, Currency::Gbp).unwrap();
        assert_eq!(gbp.format(Locale::zh_CN), "£1,350.00");
    }

    #[test]
    fn refuses_negative_amounts() {
        assert_eq!(Money::new(-1, Currency::Usd), Err(MoneyError::Negative));
        let forged = r#"{"minor":-1,"currency":"usd"}"#;
        assert!(serde_json::from_str::<Money>(forged).is_err());
    }

    #[test]
    fn refuses_to_add_different_currencies() {
        let usd = Money::new(1, Currency::Usd).unwrap();
        let eur = Money::new(1, Currency::Eur).unwrap();
        assert!(matches!(
            usd.checked_add(eur),
            Err(MoneyError::CurrencyMismatch(..))
        ));
    }

    #[test]
    fn refuses_overflow() {
        let big = Money::new(i64::MAX, Currency::Usd).unwrap();
        assert_eq!(
            big.checked_add(Money::new(1, Currency::Usd).unwrap()),
            Err(MoneyError::Overflow)
        );
        assert_eq!(big.checked_mul(2), Err(MoneyError::Overflow));
    }

    #[test]
    fn parses_currency_codes_case_insensitively() {
        assert_eq!(Currency::parse("USD"), Ok(Currency::Usd));
        assert!(Currency::parse("xxx").is_err());
    }

    proptest! {
        #[test]
        fn sum_of_line_totals_matches_integer_arithmetic(
            lines in proptest::collection::vec((0i64..1_000_000, 1u32..=99), 0..20)
        ) {
            let mut total = Money::zero(Currency::Usd);
            let mut expected = 0i64;
            for (unit, count) in lines {
                let line = Money::new(unit, Currency::Usd).unwrap().checked_mul(count).unwrap();
                total = total.checked_add(line).unwrap();
                expected += unit * i64::from(count);
            }
            prop_assert_eq!(total.minor(), expected);
        }
    }
}
