//! Sales taxes: where a parcel goes, the rate that applies there, and the tax line it
//! adds to an order. Rates live in the database (`tax_rates`); everything here is the
//! arithmetic both the server and the page agree on. Prices are shown without tax and
//! the tax is added on top, as shops in the US and Canada show them.

use super::{money::MoneyError, Money};
use crate::i18n::{td_string, Locale};
use serde::{Deserialize, Serialize};

/// What kind of tax a rate is, as a receipt names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxKind {
    Vat,
    Gst,
    Hst,
    GstPst,
    SalesTax,
}

impl TaxKind {
    const ALL: [TaxKind; 5] = [
        TaxKind::Vat,
        TaxKind::Gst,
        TaxKind::Hst,
        TaxKind::GstPst,
        TaxKind::SalesTax,
    ];

    /// The value in the database.
    pub fn code(self) -> &'static str {
        match self {
            TaxKind::Vat => "vat",
            TaxKind::Gst => "gst",
            TaxKind::Hst => "hst",
            TaxKind::GstPst => "gst_pst",
            TaxKind::SalesTax => "sales_tax",
        }
    }

    /// The kind a database value names (see [`TaxKind::code`]).
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// The tax's name on a receipt.
    pub fn label(self, locale: Locale) -> &'static str {
        match self {
            TaxKind::Vat => td_string!(locale, checkout.tax.vat),
            TaxKind::Gst => td_string!(locale, checkout.tax.gst),
            TaxKind::Hst => td_string!(locale, checkout.tax.hst),
            TaxKind::GstPst => td_string!(locale, checkout.tax.gst_pst),
            TaxKind::SalesTax => td_string!(locale, checkout.tax.sales_tax),
        }
    }
}

/// One rate from the `tax_rates` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaxRate {
    pub kind: TaxKind,
    /// Hundredths of a percent: 2000 is 20%.
    pub basis_points: u32,
    /// Whether delivery is taxed too (it is for VAT and GST; some US states do not tax
    /// a separately stated delivery charge).
    pub on_shipping: bool,
}

/// Where the parcel goes, as far as tax is concerned: the country's ISO code and the
/// state or region as the shopper typed it. Empty country: not given yet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Destination {
    country: String,
    region: String,
}

impl Destination {
    /// Trims and bounds what a page sent. The country must be one the shop delivers to
    /// (or empty: not chosen yet); the region is free text, as the form's field is.
    pub fn parse(country: &str, region: &str) -> Result<Self, &'static str> {
        let country = country.trim().to_ascii_uppercase();
        let region = region.trim();
        if !country.is_empty()
            && !super::checkout::COUNTRIES
                .iter()
                .any(|(c, _)| *c == country)
        {
            return Err("that country is not one the shop delivers to");
        }
        if region.chars().count() > 100 || region.chars().any(char::is_control) {
            return Err("the region is too long or has special characters");
        }
        // A known state or province is kept as its code, as the form's check keeps it.
        let region = match super::checkout::region_code(&country, region) {
            Some(Some(code)) => code,
            _ => region,
        };
        Ok(Self {
            country,
            region: region.to_owned(),
        })
    }

    /// What is wrong with the state, where tax differs by state or province and the
    /// one given is none of them ("Calif"): the page says so next to the field, as
    /// Pay would refuse it.
    pub fn region_problem(&self) -> Option<super::Problem> {
        if self.region.is_empty()
            || super::checkout::region_code(&self.country, &self.region) != Some(None)
        {
            return None;
        }
        Some(match self.country.as_str() {
            "CA" => super::Problem::UnknownProvince,
            _ => super::Problem::UnknownState,
        })
    }

    /// The ISO code, upper case; empty until the checkout says.
    pub fn country(&self) -> &str {
        &self.country
    }

    /// The state or region as typed (trimmed); matched against `tax_rates` by code or
    /// by name, in any letter case.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The rule for this destination among `rates`: the country's rows from
    /// `tax_rates`, as (region code, region name, rate), where an empty region code
    /// covers the whole country. A region's own rate replaces the country's; a country
    /// taxed only by region needs the region before the tax is known.
    pub fn rule<'a>(
        &self,
        rates: impl IntoIterator<Item = (&'a str, &'a str, TaxRate)>,
    ) -> TaxRule {
        if self.country.is_empty() {
            return TaxRule::Pending;
        }
        let (mut national, mut regional, mut has_regions) = (None, None, false);
        for (code, name, rate) in rates {
            if code.is_empty() {
                national = Some(rate);
                continue;
            }
            has_regions = true;
            if !self.region.is_empty()
                && (self.region.eq_ignore_ascii_case(code)
                    || self.region.eq_ignore_ascii_case(name))
            {
                regional = Some(rate);
            }
        }
        match (regional, national) {
            (Some(rate), _) => TaxRule::Rate(rate),
            // No state yet, or one that is none ("Calif"): never taxed as if nowhere.
            _ if has_regions && (self.region.is_empty() || self.region_problem().is_some()) => {
                TaxRule::Pending
            }
            (None, Some(rate)) => TaxRule::Rate(rate),
            (None, None) => TaxRule::NoneApplies,
        }
    }
}

/// What applies to a destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaxRule {
    /// Not enough of the address yet (no country, or no state where states differ).
    Pending,
    /// The shop charges no tax there.
    NoneApplies,
    /// This rate applies.
    Rate(TaxRate),
}

/// The order's tax line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "tax", rename_all = "snake_case")]
pub enum Tax {
    /// Worked out once the delivery address says where the parcel goes.
    Pending,
    /// No tax applies to the delivery address.
    NoneApplies,
    /// A rate applies: its kind and rate, and what it adds.
    Charged {
        kind: TaxKind,
        basis_points: u32,
        amount: Money,
    },
}

impl Tax {
    /// The amount the line adds to the total (zero unless charged).
    pub fn amount(self, currency: super::Currency) -> Money {
        match self {
            Tax::Charged { amount, .. } => amount,
            Tax::Pending | Tax::NoneApplies => Money::zero(currency),
        }
    }

    /// The database's value for the tax line: `pending`, `none` or the kind's code.
    pub fn code(self) -> &'static str {
        match self {
            Tax::Pending => "pending",
            Tax::NoneApplies => "none",
            Tax::Charged { kind, .. } => kind.code(),
        }
    }

    /// Rebuilds a tax line from what the database holds (see [`Tax::code`]).
    pub fn from_stored(code: &str, basis_points: i64, amount: Money) -> Option<Self> {
        match code {
            "pending" => Some(Tax::Pending),
            "none" => Some(Tax::NoneApplies),
            kind => Some(Tax::Charged {
                kind: TaxKind::parse(kind)?,
                basis_points: u32::try_from(basis_points).ok()?,
                amount,
            }),
        }
    }

    /// The line's label: the tax's name and rate (`VAT (20%)`), or plain `Tax`.
    pub fn label(self, locale: Locale) -> String {
        match self {
            Tax::Charged {
                kind, basis_points, ..
            } => {
                let (name, rate) = (kind.label(locale), Tax::percent(basis_points));
                td_string!(locale, checkout.tax.line, name, rate).to_string()
            }
            Tax::Pending | Tax::NoneApplies => td_string!(locale, checkout.tax.tax).to_owned(),
        }
    }

    /// The line's value: the amount, or why there is none.
    pub fn value(self, locale: Locale) -> String {
        match self {
            Tax::Charged { amount, .. } => amount.format(locale),
            Tax::Pending => td_string!(locale, checkout.tax.pending).to_owned(),
            Tax::NoneApplies => td_string!(locale, checkout.tax.none).to_owned(),
        }
    }

    /// The rate as a percentage, as a receipt writes it: `20%`, `7.25%`.
    pub fn percent(basis_points: u32) -> String {
        let (whole, fraction) = (basis_points / 100, basis_points % 100);
        match fraction {
            0 => format!("{whole}%"),
            f if f % 10 == 0 => format!("{whole}.{}%", f / 10),
            f => format!("{whole}.{f:02}%"),
        }
    }
}

impl TaxRule {
    /// The tax on `subtotal` and `shipping` (same currency), rounded half up to the
    /// minor unit, as tax authorities round an invoice's tax.
    pub fn apply(self, subtotal: Money, shipping: Money) -> Result<Tax, MoneyError> {
        let TaxRule::Rate(rate) = self else {
            return Ok(match self {
                TaxRule::Pending => Tax::Pending,
                _ => Tax::NoneApplies,
            });
        };
        let base = if rate.on_shipping {
            subtotal.checked_add(shipping)?
        } else {
            subtotal
        };
        // i128: a base near i64::MAX times 10,000 basis points must not wrap.
        let minor = (i128::from(base.minor()) * i128::from(rate.basis_points) + 5_000) / 10_000;
        let minor = i64::try_from(minor).map_err(|_| MoneyError::Overflow)?;
        Ok(Tax::Charged {
            kind: rate.kind,
            basis_points: rate.basis_points,
            amount: Money::new(minor, base.currency())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::Usd).unwrap()
    }

    const VAT: TaxRate = TaxRate {
        kind: TaxKind::Vat,
        basis_points: 2000,
        on_shipping: true,
    };
    const CALIFORNIA: TaxRate = TaxRate {
        kind: TaxKind::SalesTax,
        basis_points: 725,
        on_shipping: false,
    };
    const GST: TaxRate = TaxRate {
        kind: TaxKind::Gst,
        basis_points: 500,
        on_shipping: true,
    };
    const HST: TaxRate = TaxRate {
        kind: TaxKind::Hst,
        basis_points: 1300,
        on_shipping: true,
    };

    fn to(country: &str, region: &str) -> Destination {
        Destination::parse(country, region).unwrap()
    }

    #[test]
    fn a_rate_taxes_goods_and_delivery_rounding_half_up() {
        let tax = TaxRule::Rate(VAT).apply(usd(3800), usd(500)).unwrap();
        assert_eq!(tax.amount(Currency::Usd), usd(860));
        // 7.25% of $38.00 is $2.755: half a cent rounds up. Delivery is not taxed.
        let tax = TaxRule::Rate(CALIFORNIA)
            .apply(usd(3800), usd(500))
            .unwrap();
        assert_eq!(tax.amount(Currency::Usd), usd(276));
        // 7.25% of $0.06 is 0.435 of a cent: below half rounds down.
        let tax = TaxRule::Rate(CALIFORNIA).apply(usd(6), usd(0)).unwrap();
        assert_eq!(tax.amount(Currency::Usd), usd(0));
    }

    #[test]
    fn huge_amounts_are_exact_or_refused_never_wrapped() {
        // i64::MAX × 2000 overflows i64 on the way; the result does not.
        let tax = TaxRule::Rate(VAT).apply(usd(i64::MAX), usd(0)).unwrap();
        assert_eq!(tax.amount(Currency::Usd), usd(i64::MAX / 5));
        assert!(TaxRule::Rate(VAT).apply(usd(i64::MAX), usd(1)).is_err());
        let totals = crate::domain::OrderTotals::new(
            usd(i64::MAX - 10_000),
            crate::domain::ShippingOption::Standard,
            TaxRule::Rate(VAT),
        );
        assert_eq!(totals, None, "a total past i64 is no total");
    }

    #[test]
    fn the_region_replaces_the_country_and_matches_by_code_or_name() {
        let canada = [("", "", GST), ("ON", "Ontario", HST)];
        assert_eq!(to("ca", "on").rule(canada), TaxRule::Rate(HST));
        assert_eq!(to("CA", " ontario ").rule(canada), TaxRule::Rate(HST));
        assert_eq!(to("CA", "Yukon").rule(canada), TaxRule::Rate(GST));
        // Where states differ, no state yet means no tax known yet.
        assert_eq!(to("CA", "").rule(canada), TaxRule::Pending);
        let states = [("CA", "California", CALIFORNIA)];
        assert_eq!(to("US", "IL").rule(states), TaxRule::NoneApplies);
        assert_eq!(
            to("US", "California").rule(states),
            TaxRule::Rate(CALIFORNIA)
        );
        assert_eq!(to("", "").rule(states), TaxRule::Pending);
        assert_eq!(to("GB", "").rule([("", "", VAT)]), TaxRule::Rate(VAT));
        assert_eq!(to("IE", "").rule([]), TaxRule::NoneApplies);
    }

    #[test]
    fn a_state_that_is_none_is_a_problem_only_where_states_decide_the_tax() {
        let problem = |country, region| {
            Destination::parse(country, region)
                .unwrap()
                .region_problem()
        };
        assert_eq!(
            problem("US", "Calif"),
            Some(super::super::Problem::UnknownState)
        );
        assert_eq!(
            problem("CA", "Yukon Territory"),
            Some(super::super::Problem::UnknownProvince)
        );
        assert_eq!(problem("US", "california"), None);
        assert_eq!(problem("US", ""), None, "not given yet is not wrong");
        assert_eq!(problem("GB", "Narnia"), None, "free text elsewhere");
        // Its tax waits for a real state, as an empty one's does: a typo must not read
        // as "none applies".
        let rates = [(
            "CA",
            "California",
            TaxRate {
                kind: TaxKind::SalesTax,
                basis_points: 725,
                on_shipping: false,
            },
        )];
        let rule = |region| {
            Destination::parse("US", region)
                .unwrap()
                .rule(rates.iter().map(|(c, n, r)| (*c, *n, *r)))
        };
        assert_eq!(rule("Calif"), TaxRule::Pending);
        assert_eq!(rule("Illinois"), TaxRule::NoneApplies);
    }

    #[test]
    fn destinations_refuse_what_no_form_sends() {
        assert!(Destination::parse("ZZ", "").is_err());
        assert!(Destination::parse("US", &"x".repeat(101)).is_err());
        assert!(Destination::parse("US", "C\u{0}A").is_err());
        assert_eq!(to(" gb ", " Kent ").country(), "GB");
        assert_eq!(to("GB", " Kent ").region(), "Kent");
    }

    #[test]
    fn stored_lines_round_trip_and_percentages_read_naturally() {
        for tax in [
            Tax::Pending,
            Tax::NoneApplies,
            TaxRule::Rate(CALIFORNIA)
                .apply(usd(3800), usd(500))
                .unwrap(),
        ] {
            let (bp, amount) = match tax {
                Tax::Charged {
                    basis_points,
                    amount,
                    ..
                } => (i64::from(basis_points), amount),
                _ => (0, usd(0)),
            };
            assert_eq!(Tax::from_stored(tax.code(), bp, amount), Some(tax));
        }
        assert_eq!(Tax::from_stored("poll_tax", 1, usd(1)), None);
        assert_eq!(Tax::percent(2000), "20%");
        assert_eq!(Tax::percent(725), "7.25%");
        assert_eq!(Tax::percent(1250), "12.5%");
        assert_eq!(Tax::percent(5), "0.05%");
    }
}
