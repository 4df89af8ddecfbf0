//! The checkout's vocabulary: shipping options, the shopper's contact and delivery
//! details with the rules both the browser and the server check them by, and the
//! payment session the server hands the browser.

use super::Money;
use crate::i18n::{td_string, Locale};
use serde::{Deserialize, Serialize};

/// How the parcel travels. Prices are fixed here and always applied by the server;
/// the browser only names the option.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShippingOption {
    #[default]
    Standard,
    Express,
}

impl ShippingOption {
    /// Every option, in the order the page lists them.
    pub const ALL: [ShippingOption; 2] = [ShippingOption::Standard, ShippingOption::Express];

    /// The value in forms and URLs.
    pub fn code(self) -> &'static str {
        match self {
            ShippingOption::Standard => "standard",
            ShippingOption::Express => "express",
        }
    }

    /// Parses a form value; anything else is refused, not defaulted.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|option| option.code() == code)
    }

    /// What the shopper reads next to the radio button.
    pub fn label(self, locale: Locale) -> &'static str {
        match self {
            ShippingOption::Standard => td_string!(locale, checkout.standard),
            ShippingOption::Express => td_string!(locale, checkout.express),
        }
    }

    /// The price in the cart's currency, in minor units.
    pub fn price(self, currency: super::Currency) -> Money {
        let minor = match self {
            ShippingOption::Standard => 500,
            ShippingOption::Express => 1500,
        };
        // Both constants are non-negative, so this cannot fail.
        Money::new(minor, currency).unwrap_or_else(|_| Money::zero(currency))
    }
}

/// Subtotal, shipping, tax and the total to charge, all in one currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTotals {
    pub subtotal: Money,
    pub shipping: Money,
    pub tax: super::Tax,
    pub total: Money,
}

impl OrderTotals {
    /// Adds shipping, and the tax `tax` puts on both, to a subtotal; `None` only if
    /// the sum overflows.
    pub fn new(subtotal: Money, shipping: ShippingOption, tax: super::TaxRule) -> Option<Self> {
        let shipping = shipping.price(subtotal.currency());
        let tax = tax.apply(subtotal, shipping).ok()?;
        let total = subtotal
            .checked_add(shipping)
            .and_then(|sum| sum.checked_add(tax.amount(sum.currency())))
            .ok()?;
        Some(Self {
            subtotal,
            shipping,
            tax,
            total,
        })
    }
}

/// A form field of the delivery form, named as the form names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Email,
    Name,
    Line1,
    Line2,
    City,
    Region,
    PostalCode,
    Country,
}

impl Field {
    /// Every field, in form order (the first with an error gets the focus).
    pub const ALL: [Field; 8] = [
        Field::Email,
        Field::Name,
        Field::Line1,
        Field::Line2,
        Field::City,
        Field::Region,
        Field::PostalCode,
        Field::Country,
    ];

    /// The form control's `name` (and, prefixed with `checkout-`, its `id`).
    pub fn name(self) -> &'static str {
        match self {
            Field::Email => "email",
            Field::Name => "name",
            Field::Line1 => "line1",
            Field::Line2 => "line2",
            Field::City => "city",
            Field::Region => "region",
            Field::PostalCode => "postal_code",
            Field::Country => "country",
        }
    }

    /// The longest value accepted, in characters.
    fn max_len(self) -> usize {
        match self {
            Field::Email => 254,
            Field::PostalCode => 12,
            Field::Country => 2,
            Field::Name | Field::Line1 | Field::Line2 | Field::City | Field::Region => 100,
        }
    }
}

/// What is wrong with a field. The page words it in the shopper's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// Empty, and the field is required.
    Required,
    ControlCharacters,
    /// Longer than this many characters.
    TooLong(usize),
    InvalidEmail,
    PostalCodeCharacters,
    UnknownCountry,
    /// A US address without its state (the state decides the tax).
    NeedsState,
    /// A Canadian address without its province or territory.
    NeedsProvince,
    /// A US "state" that is none of them (a typo would under-charge sales tax).
    UnknownState,
    /// A Canadian "province" that is none of them.
    UnknownProvince,
}

impl Problem {
    /// The sentence shown under `field`.
    pub fn message(self, field: Field, locale: Locale) -> String {
        match self {
            // (Line 2 and the region are never required as such, and the country is
            // chosen from a list: they share the nearest sentence.)
            Problem::Required => match field {
                Field::Email => td_string!(locale, checkout.fields.required_email),
                Field::Name => td_string!(locale, checkout.fields.required_name),
                Field::Line1 | Field::Line2 => td_string!(locale, checkout.fields.required_line1),
                Field::City => td_string!(locale, checkout.fields.required_city),
                Field::Region => td_string!(locale, checkout.fields.needs_state),
                Field::PostalCode => td_string!(locale, checkout.fields.required_postal_code),
                Field::Country => td_string!(locale, checkout.fields.unknown_country),
            }
            .to_owned(),
            Problem::ControlCharacters => {
                td_string!(locale, checkout.fields.control_characters).to_owned()
            }
            Problem::TooLong(max) => td_string!(locale, checkout.fields.too_long, max).to_string(),
            Problem::InvalidEmail => td_string!(locale, checkout.fields.invalid_email).to_owned(),
            Problem::PostalCodeCharacters => {
                td_string!(locale, checkout.fields.postal_code_characters).to_owned()
            }
            Problem::UnknownCountry => {
                td_string!(locale, checkout.fields.unknown_country).to_owned()
            }
            Problem::NeedsState => td_string!(locale, checkout.fields.needs_state).to_owned(),
            Problem::NeedsProvince => td_string!(locale, checkout.fields.needs_province).to_owned(),
            Problem::UnknownState => td_string!(locale, checkout.fields.unknown_state).to_owned(),
            Problem::UnknownProvince => {
                td_string!(locale, checkout.fields.unknown_province).to_owned()
            }
        }
    }
}

/// What is wrong with the form, field by field, in form order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(pub Vec<(Field, Problem)>);

impl FieldErrors {
    /// The problem with `field`, if it has one.
    pub fn get(&self, field: Field) -> Option<Problem> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, problem)| *problem)
    }

    /// The sentence for `field`'s problem, if it has one.
    pub fn message(&self, field: Field, locale: Locale) -> Option<String> {
        self.get(field)
            .map(|problem| problem.message(field, locale))
    }

    /// Every field's sentence, one after the other.
    pub fn messages(&self, locale: Locale) -> String {
        let messages: Vec<String> = self
            .0
            .iter()
            .map(|(field, problem)| problem.message(*field, locale))
            .collect();
        messages.join(if locale == Locale::en { " " } else { "" })
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Gives `field` this problem, or none.
    pub fn set(&mut self, field: Field, problem: Option<Problem>) {
        self.0.retain(|(f, _)| *f != field);
        if let Some(problem) = problem {
            self.push(field, problem);
        }
    }

    fn push(&mut self, field: Field, problem: Problem) {
        self.0.push((field, problem));
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.messages(Locale::en))
    }
}

/// The countries the shop delivers to: ISO 3166-1 alpha-2 code and name.
pub const COUNTRIES: [(&str, &str); 12] = [
    ("US", "United States"),
    ("CA", "Canada"),
    ("GB", "United Kingdom"),
    ("IE", "Ireland"),
    ("FR", "France"),
    ("DE", "Germany"),
    ("NL", "Netherlands"),
    ("BE", "Belgium"),
    ("ES", "Spain"),
    ("IT", "Italy"),
    ("AU", "Australia"),
    ("NZ", "New Zealand"),
];

/// The states of the United States (with DC and Puerto Rico): code and name.
const US_STATES: [(&str, &str); 52] = [
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("PR", "Puerto Rico"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
];

/// Canada's provinces and territories: code and name.
const CA_PROVINCES: [(&str, &str); 13] = [
    ("AB", "Alberta"),
    ("BC", "British Columbia"),
    ("MB", "Manitoba"),
    ("NB", "New Brunswick"),
    ("NL", "Newfoundland and Labrador"),
    ("NS", "Nova Scotia"),
    ("NT", "Northwest Territories"),
    ("NU", "Nunavut"),
    ("ON", "Ontario"),
    ("PE", "Prince Edward Island"),
    ("QC", "Quebec"),
    ("SK", "Saskatchewan"),
    ("YT", "Yukon"),
];

/// Where the tax differs by state or province, the region must be one of them: its
/// code for what the shopper typed (code or name, any letter case). `None` for a
/// country whose regions are free text; `Some(None)` for a region it does not have.
pub fn region_code(country: &str, region: &str) -> Option<Option<&'static str>> {
    let regions: &[(&str, &str)] = match country {
        "US" => &US_STATES,
        "CA" => &CA_PROVINCES,
        _ => return None,
    };
    let region = region.trim().trim_end_matches('.');
    Some(
        regions
            .iter()
            .find(|(code, name)| {
                region.eq_ignore_ascii_case(code) || region.eq_ignore_ascii_case(name)
            })
            .map(|(code, _)| *code),
    )
}

/// An email address that passed the shop's (deliberately modest) check: one `@`, a
/// dotted domain, no spaces. Real validation is the confirmation email arriving.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Option<Self> {
        let email = raw.trim();
        let (local, domain) = email.split_once('@')?;
        let ok = !local.is_empty()
            && email.chars().count() <= Field::Email.max_len()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && email.chars().all(|c| !c.is_whitespace() && !c.is_control());
        ok.then(|| Self(email.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Contact and delivery details as the shopper typed them: raw strings, checked by
/// [`DeliveryForm::validate`] in the browser and again on the server.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryForm {
    pub email: String,
    pub name: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

/// What the checkout's Pay sends: the details as the shopper typed them, and what the
/// page was showing (the delivery option, the PaymentIntent, the cart version and the
/// total it priced). Text, as a form carries it; [`CheckoutSubmission::parse`] is the
/// only way from here to a [`Submission`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutSubmission {
    #[serde(flatten)]
    pub details: DeliveryForm,
    pub shipping: String,
    pub payment_intent: String,
    pub cart_version: String,
    pub total: String,
}

/// A submission whose every field parsed: what the server locks the order with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    pub details: DeliveryDetails,
    pub shipping: ShippingOption,
    pub payment_intent: super::PaymentIntentId,
    pub cart_version: i64,
    /// The total the page showed, in minor units.
    pub total_minor: i64,
}

impl CheckoutSubmission {
    /// Parses every field: the shopper's mistakes come back per field
    /// ([`ShopError::InvalidDetails`]), anything a page never sends as a bad request.
    pub fn parse(&self) -> Result<Submission, super::ShopError> {
        use super::ShopError;
        let details = self.details.validate().map_err(ShopError::InvalidDetails)?;
        let bad = |what: &str| ShopError::BadRequest(format!("{what} is missing or malformed"));
        Ok(Submission {
            details,
            shipping: ShippingOption::parse(&self.shipping)
                .ok_or_else(|| bad("the delivery option"))?,
            payment_intent: super::PaymentIntentId::parse(&self.payment_intent)
                .ok_or_else(|| bad("the payment reference"))?,
            cart_version: self
                .cart_version
                .parse()
                .map_err(|_| bad("the cart version"))?,
            total_minor: self.total.parse().map_err(|_| bad("the total"))?,
        })
    }
}

/// Details that passed validation: trimmed, bounded, free of control characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryDetails {
    pub email: Email,
    pub name: String,
    pub line1: String,
    /// Empty when the shopper has no second line (Stripe.js wants `""`, not absent).
    pub line2: String,
    pub city: String,
    /// Empty where the country has no states or regions the shopper gave.
    pub region: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, one of [`COUNTRIES`].
    pub country: String,
}

impl DeliveryForm {
    /// The value of `field`.
    pub fn value(&self, field: Field) -> &str {
        match field {
            Field::Email => &self.email,
            Field::Name => &self.name,
            Field::Line1 => &self.line1,
            Field::Line2 => &self.line2,
            Field::City => &self.city,
            Field::Region => &self.region,
            Field::PostalCode => &self.postal_code,
            Field::Country => &self.country,
        }
    }

    /// Checks every field, collecting one message per field that is wrong.
    pub fn validate(&self) -> Result<DeliveryDetails, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut text = |field: Field, required: bool| -> String {
            let value = self.value(field).trim();
            if value.chars().any(char::is_control) {
                errors.push(field, Problem::ControlCharacters);
            } else if value.chars().count() > field.max_len() {
                errors.push(field, Problem::TooLong(field.max_len()));
            } else if value.is_empty() && required {
                errors.push(field, Problem::Required);
            }
            value.to_owned()
        };
        let email = text(Field::Email, true);
        let name = text(Field::Name, true);
        let line1 = text(Field::Line1, true);
        let line2 = text(Field::Line2, false);
        let city = text(Field::City, true);
        let mut region = text(Field::Region, false);
        let postal_code = text(Field::PostalCode, true);
        let country = self.country.trim().to_ascii_uppercase();

        let email = match Email::parse(&email) {
            Some(email) => Some(email),
            None => {
                if errors.get(Field::Email).is_none() {
                    errors.push(Field::Email, Problem::InvalidEmail);
                }
                None
            }
        };
        if errors.get(Field::PostalCode).is_none()
            && !postal_code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        {
            errors.push(Field::PostalCode, Problem::PostalCodeCharacters);
        }
        if !COUNTRIES.iter().any(|(code, _)| *code == country) {
            errors.push(Field::Country, Problem::UnknownCountry);
        }
        // Where tax differs from state to state, the state decides the total: it must
        // be one, and is kept as its code.
        if errors.get(Field::Region).is_none() {
            let us = country == "US";
            match region_code(&country, &region) {
                Some(Some(code)) => region = code.to_owned(),
                Some(None) if region.is_empty() && us => {
                    errors.push(Field::Region, Problem::NeedsState)
                }
                Some(None) if region.is_empty() => {
                    errors.push(Field::Region, Problem::NeedsProvince)
                }
                Some(None) if us => errors.push(Field::Region, Problem::UnknownState),
                Some(None) => errors.push(Field::Region, Problem::UnknownProvince),
                None => {}
            }
        }
        match email {
            Some(email) if errors.is_empty() => Ok(DeliveryDetails {
                email,
                name,
                line1,
                line2,
                city,
                region,
                postal_code,
                country,
            }),
            _ => {
                errors.0.sort_by_key(|(field, _)| *field);
                Err(errors)
            }
        }
    }
}

/// What the browser needs to show and confirm the payment. The client secret lets the
/// browser confirm this one PaymentIntent; it is never logged or stored in clear.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentSession {
    pub publishable_key: String,
    pub client_secret: String,
    /// The PaymentIntent's id (the prefix of the client secret).
    pub payment_intent: String,
    /// What the PaymentIntent will charge: subtotal, shipping and tax, priced by the server.
    pub totals: OrderTotals,
    pub shipping: ShippingOption,
    /// The cart version these totals were priced at; submit refuses any other.
    pub cart_version: i64,
}

impl std::fmt::Debug for PaymentSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentSession")
            .field("payment_intent", &self.payment_intent)
            .field("totals", &self.totals)
            .field("cart_version", &self.cart_version)
            .finish_non_exhaustive()
    }
}

/// What the page needs to know about payments before any session exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentMode {
    /// Test keys (or the emulator): nothing is really charged.
    pub test_mode: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;

    fn good() -> DeliveryForm {
        DeliveryForm {
            email: " ada@example.com ".into(),
            name: "Ada Lovelace".into(),
            line1: "12 St James's Square".into(),
            line2: String::new(),
            city: "London".into(),
            region: String::new(),
            postal_code: "SW1Y 4JH".into(),
            country: "gb".into(),
        }
    }

    #[test]
    fn good_details_are_trimmed_and_normalised() {
        let details = good().validate().unwrap();
        assert_eq!(details.email.as_str(), "ada@example.com");
        assert_eq!(details.country, "GB");
        assert_eq!(details.line2, "");
    }

    #[test]
    fn every_wrong_field_gets_a_sentence() {
        let form = DeliveryForm {
            email: "not-an-email".into(),
            country: "ZZ".into(),
            ..DeliveryForm::default()
        };
        let errors = form.validate().unwrap_err();
        let en = |field| errors.message(field, Locale::en);
        assert_eq!(
            en(Field::Email).as_deref(),
            Some("Enter a valid email address, like name@example.com.")
        );
        assert_eq!(en(Field::Name).as_deref(), Some("Enter your full name."));
        assert_eq!(
            en(Field::Country).as_deref(),
            Some("Choose a country we deliver to.")
        );
        assert_eq!(errors.get(Field::Line2), None);
        // The same problems, in the shopper's other language.
        let zh = errors.message(Field::Name, Locale::zh_CN).unwrap();
        assert!(!zh.is_empty() && !zh.is_ascii(), "{zh}");
    }

    #[test]
    fn overlong_and_control_characters_are_refused() {
        let mut form = good();
        form.name = "a".repeat(101);
        form.city = "Lon\u{0}don".into();
        form.email = format!("{}@example.com", "a".repeat(250));
        let errors = form.validate().unwrap_err();
        assert_eq!(
            errors.message(Field::Name, Locale::en).as_deref(),
            Some("Keep this to 100 characters or fewer.")
        );
        assert_eq!(
            errors.message(Field::City, Locale::en).as_deref(),
            Some("Remove the special characters from this field.")
        );
        assert!(errors.get(Field::Email).is_some());
    }

    #[test]
    fn us_addresses_need_a_state() {
        let mut form = good();
        form.country = "US".into();
        assert_eq!(
            form.validate().unwrap_err().get(Field::Region),
            Some(Problem::NeedsState)
        );
        form.region = "CA".into();
        assert!(form.validate().is_ok());
        // By name too, kept as the code the tax rates use; a typo is refused.
        form.region = " california ".into();
        assert_eq!(form.validate().unwrap().region, "CA");
        form.region = "Calif".into();
        assert_eq!(
            form.validate().unwrap_err().get(Field::Region),
            Some(Problem::UnknownState)
        );
        form.country = "CA".into();
        form.region = "Ontario".into();
        assert_eq!(form.validate().unwrap().region, "ON");
        form.region = String::new();
        assert_eq!(
            form.validate().unwrap_err().get(Field::Region),
            Some(Problem::NeedsProvince)
        );
        // Elsewhere the region is free text.
        form.country = "GB".into();
        form.region = "Kent".into();
        assert_eq!(form.validate().unwrap().region, "Kent");
    }

    #[test]
    fn emails_need_one_at_and_a_dotted_domain() {
        for bad in [
            "", "a@", "@b.c", "a@b", "a@@b.c", "a b@c.d", "a@.b", "a@b..c", "a@b.c.",
        ] {
            assert!(Email::parse(bad).is_none(), "{bad:?}");
        }
        assert!(Email::parse("a.b+c@d-e.example").is_some());
    }

    #[test]
    fn totals_add_server_priced_shipping() {
        let subtotal = Money::new(3800, Currency::Usd).unwrap();
        let totals = OrderTotals::new(
            subtotal,
            ShippingOption::Express,
            crate::domain::TaxRule::NoneApplies,
        )
        .unwrap();
        assert_eq!(totals.total.minor(), 5300);
        let vat = crate::domain::TaxRule::Rate(crate::domain::TaxRate {
            kind: crate::domain::TaxKind::Vat,
            basis_points: 2000,
            on_shipping: true,
        });
        let totals = OrderTotals::new(subtotal, ShippingOption::Express, vat).unwrap();
        assert_eq!(totals.tax.amount(Currency::Usd).minor(), 1060);
        assert_eq!(totals.total.minor(), 6360);
        assert_eq!(
            ShippingOption::parse("express"),
            Some(ShippingOption::Express)
        );
        assert_eq!(ShippingOption::parse("free"), None);
    }
}
