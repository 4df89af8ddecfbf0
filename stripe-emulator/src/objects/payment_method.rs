//! PaymentMethods (type `card`) and the card details shared with Charges.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::cards;
use crate::error::ApiError;

/// What we keep of a card: never the full number, only what Stripe would show and a
/// fingerprint that tells which test card it was.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Card {
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
    pub funding: String,
    pub fingerprint: String,
    /// `pass` when a CVC came with the card, `null` otherwise.
    pub cvc_check: Option<String>,
}

impl Card {
    /// Checks a raw card as Stripe's API does and keeps what may be kept of it.
    pub fn from_raw(
        number: &str,
        exp_month: i64,
        exp_year: i64,
        cvc: Option<&str>,
        (this_year, this_month): (i64, i64),
    ) -> Result<Card, ApiError> {
        let number: String = number.chars().filter(|c| !c.is_whitespace()).collect();
        if !cards::luhn_valid(&number) {
            return Err(ApiError::card(
                "incorrect_number",
                None,
                "Your card number is incorrect.",
                Some("number"),
            ));
        }
        if !(1..=12).contains(&exp_month) {
            return Err(ApiError::card(
                "invalid_expiry_month",
                None,
                "Your card's expiration month is invalid.",
                Some("exp_month"),
            ));
        }
        // Two-digit years mean this century, as Stripe reads them.
        let exp_year = if (0..100).contains(&exp_year) {
            2000 + exp_year
        } else {
            exp_year
        };
        if exp_year < this_year || exp_year > this_year + 50 {
            return Err(ApiError::card(
                "invalid_expiry_year",
                None,
                "Your card's expiration year is invalid.",
                Some("exp_year"),
            ));
        }
        if exp_year == this_year && exp_month < this_month {
            return Err(ApiError::card(
                "invalid_expiry_month",
                None,
                "Your card's expiration month is invalid.",
                Some("exp_month"),
            ));
        }
        if let Some(cvc) = cvc {
            let expected = if cards::brand(&number) == "amex" {
                4
            } else {
                3
            };
            if cvc.len() != expected || !cvc.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ApiError::card(
                    "invalid_cvc",
                    None,
                    "Your card's security code is invalid.",
                    Some("cvc"),
                ));
            }
        }
        Ok(Card {
            brand: cards::brand(&number).to_string(),
            last4: number[number.len() - 4..].to_string(),
            exp_month,
            exp_year,
            funding: cards::funding(&number).to_string(),
            fingerprint: cards::fingerprint(&number),
            cvc_check: cvc.map(|_| "pass".to_string()),
        })
    }

    /// What charging this card does.
    pub fn behaviour(&self) -> cards::Behaviour {
        cards::behaviour_of_fingerprint(&self.fingerprint)
    }

    /// `payment_method.card`, fields in the fixture's order.
    pub fn render_for_payment_method(&self) -> Value {
        json!({
            "brand": self.brand,
            "checks": self.checks(),
            "country": "US",
            "display_brand": self.brand,
            "exp_month": self.exp_month,
            "exp_year": self.exp_year,
            "fingerprint": self.fingerprint,
            "funding": self.funding,
            "generated_from": null,
            "last4": self.last4,
            "networks": { "available": [self.brand], "preferred": null },
            "three_d_secure_usage": { "supported": true },
            "wallet": null,
            "regulated_status": "unregulated",
        })
    }

    /// `charge.payment_method_details.card`.
    pub fn render_for_charge(&self, amount: i64, three_d_secure: Option<&str>) -> Value {
        json!({
            "amount_authorized": amount,
            "authorization_code": null,
            "brand": self.brand,
            "checks": self.checks(),
            "country": "US",
            "exp_month": self.exp_month,
            "exp_year": self.exp_year,
            "extended_authorization": { "status": "disabled" },
            "fingerprint": self.fingerprint,
            "funding": self.funding,
            "incremental_authorization": { "status": "unavailable" },
            "installments": null,
            "last4": self.last4,
            "mandate": null,
            "multicapture": { "status": "unavailable" },
            "network": self.brand,
            "network_token": { "used": false },
            "network_transaction_id": null,
            "overcapture": { "maximum_amount_capturable": amount, "status": "unavailable" },
            "regulated_status": "unregulated",
            "three_d_secure": three_d_secure.map(|result| json!({
                "authentication_flow": "challenge",
                "electronic_commerce_indicator": "05",
                "exemption_indicator": null,
                "result": result,
                "result_reason": null,
                "transaction_id": null,
                "version": "2.2.0",
            })),
            "wallet": null,
        })
    }

    fn checks(&self) -> Value {
        json!({ "address_line1_check": null, "address_postal_code_check": null, "cvc_check": self.cvc_check })
    }
}

/// A PaymentMethod of type `card`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PaymentMethod {
    pub id: String,
    pub created: i64,
    /// `None` when nothing was given: most test PaymentMethods carry no details.
    pub billing_details: Option<Box<BillingDetails>>,
    pub card: Card,
    pub metadata: Map<String, Value>,
    pub allow_redisplay: String,
}

/// The billing details a PaymentMethod was created with.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct BillingDetails {
    pub city: Option<String>,
    pub country: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub postal_code: Option<String>,
    pub state: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
}

impl BillingDetails {
    /// Reads `billing_details[...]`; empty strings count as not given.
    pub fn from_params(input: Option<&Value>) -> Option<Box<BillingDetails>> {
        let field = |path: &[&str]| -> Option<String> {
            let mut node = input;
            for key in path {
                node = node.and_then(|n| n.get(*key));
            }
            node.and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let details = BillingDetails {
            city: field(&["address", "city"]),
            country: field(&["address", "country"]),
            line1: field(&["address", "line1"]),
            line2: field(&["address", "line2"]),
            postal_code: field(&["address", "postal_code"]),
            state: field(&["address", "state"]),
            email: field(&["email"]),
            name: field(&["name"]),
            phone: field(&["phone"]),
        };
        (details != BillingDetails::default()).then(|| Box::new(details))
    }
}

/// `billing_details` with every field present, `null` where nothing was given.
pub fn render_billing_details(details: Option<&BillingDetails>) -> Value {
    let empty = BillingDetails::default();
    let d = details.unwrap_or(&empty);
    json!({
        "address": {
            "city": d.city,
            "country": d.country,
            "line1": d.line1,
            "line2": d.line2,
            "postal_code": d.postal_code,
            "state": d.state,
        },
        "email": d.email,
        "name": d.name,
        "phone": d.phone,
        "tax_id": null,
    })
}

impl PaymentMethod {
    /// The object as the API renders it, fields in the fixture's order.
    pub fn render(&self) -> Value {
        json!({
            "allow_redisplay": self.allow_redisplay,
            "billing_details": render_billing_details(self.billing_details.as_deref()),
            "card": self.card.render_for_payment_method(),
            "created": self.created,
            "customer": null,
            "id": self.id,
            "livemode": false,
            "metadata": self.metadata,
            "object": "payment_method",
            "type": "card",
            "customer_account": null,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_card_checks() {
        let year = (2026, 11);
        assert!(Card::from_raw("4242424242424242", 12, 2030, Some("123"), year).is_ok());
        assert_eq!(
            Card::from_raw("4242424242424241", 12, 2030, None, year)
                .unwrap_err()
                .code
                .as_deref(),
            Some("incorrect_number")
        );
        assert_eq!(
            Card::from_raw("4242424242424242", 13, 2030, None, year)
                .unwrap_err()
                .param
                .as_deref(),
            Some("exp_month")
        );
        assert_eq!(
            Card::from_raw("4242424242424242", 1, 2020, None, year)
                .unwrap_err()
                .code
                .as_deref(),
            Some("invalid_expiry_year")
        );
        assert_eq!(
            Card::from_raw("4242424242424242", 10, 2026, None, year)
                .unwrap_err()
                .code
                .as_deref(),
            Some("invalid_expiry_month")
        );
        assert!(Card::from_raw("4242424242424242", 11, 2026, None, year).is_ok());
        assert_eq!(
            Card::from_raw("378282246310005", 1, 2030, Some("123"), year)
                .unwrap_err()
                .code
                .as_deref(),
            Some("invalid_cvc")
        );
        let card = Card::from_raw("4242 4242 4242 4242", 1, 34, Some("123"), year).unwrap();
        assert_eq!(
            (card.last4.as_str(), card.exp_year, card.brand.as_str()),
            ("4242", 2034, "visa")
        );
    }

    #[test]
    fn billing_details_fill_every_field() {
        assert_eq!(
            BillingDetails::from_params(Some(&json!({"name": "", "address": {"line2": ""}}))),
            None
        );
        let details = BillingDetails::from_params(Some(
            &json!({"name": "Ada", "address": {"postal_code": "94103", "line2": ""}}),
        ));
        let bd = render_billing_details(details.as_deref());
        assert_eq!(bd["name"], "Ada");
        assert_eq!(bd["address"]["postal_code"], "94103");
        assert_eq!(bd["address"]["line2"], Value::Null);
        assert_eq!(bd["email"], Value::Null);
    }
}
