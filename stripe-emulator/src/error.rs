//! Stripe's error envelope and the catalogue of b.8: every refusal the API makes.
//!
//! Messages marked [docs*] in the contract come from memory of Stripe's wording; they
//! all live here so they are easy to correct. Clients branch on `type`, `code` and
//! `decline_code`, never on `message`.

use serde_json::{Map, Value};

/// An API error: its HTTP status and the fields of `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub kind: ErrorType,
    pub code: Option<String>,
    pub decline_code: Option<String>,
    pub message: String,
    pub param: Option<String>,
    pub charge: Option<String>,
    /// The PaymentIntent as it is after the failure (rendered for the caller's key).
    pub payment_intent: Option<Value>,
    pub payment_method: Option<Value>,
    /// Refusals made before the endpoint ran (bad parameters, auth) are not kept for
    /// an `Idempotency-Key`: a retry with fixed parameters must be able to run.
    pub before_execution: bool,
    /// Sent as `Stripe-Should-Retry: true`.
    pub should_retry: bool,
    /// The answer carries the PaymentIntent as it now is (`error.payment_intent`).
    pub attach_intent: bool,
    /// Which PaymentIntent, when the path does not say (create with `confirm=true`).
    pub intent_id: Option<String>,
}

/// `error.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    Api,
    Card,
    Idempotency,
    InvalidRequest,
}

impl ErrorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::Api => "api_error",
            ErrorType::Card => "card_error",
            ErrorType::Idempotency => "idempotency_error",
            ErrorType::InvalidRequest => "invalid_request_error",
        }
    }
}

const SUPPORT: &str = "we can help at https://support.stripe.com/";

impl ApiError {
    fn new(status: u16, kind: ErrorType, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            code: None,
            decline_code: None,
            message: message.into(),
            param: None,
            charge: None,
            payment_intent: None,
            payment_method: None,
            before_execution: false,
            should_retry: false,
            attach_intent: false,
            intent_id: None,
        }
    }

    fn code(mut self, code: &str) -> Self {
        self.code = Some(code.to_string());
        self
    }

    fn param(mut self, param: &str) -> Self {
        self.param = Some(param.to_string());
        self
    }

    /// Names another parameter as the one at fault.
    pub fn param_named(mut self, param: &str) -> Self {
        self.param = Some(param.to_string());
        self
    }

    /// Marks a refusal made before the endpoint ran: never stored for idempotency.
    pub fn before_execution(mut self) -> Self {
        self.before_execution = true;
        self
    }

    /// Asks for the PaymentIntent to be attached to the answer.
    pub fn attached(mut self) -> Self {
        self.attach_intent = true;
        self
    }

    fn invalid(status: u16, message: impl Into<String>) -> Self {
        Self::new(status, ErrorType::InvalidRequest, message)
    }

    // --- transport and authentication (b.1, b.2) -------------------------------------

    pub fn json_body() -> Self {
        Self::invalid(400, format!("Invalid request (check that your POST content type is application/x-www-form-urlencoded). If you have any questions, {SUPPORT}.")).before_execution()
    }

    pub fn body_too_large(limit: usize) -> Self {
        Self::invalid(
            413,
            format!("The request body is too large: Stripe accepts at most {limit} bytes."),
        )
        .before_execution()
    }

    pub fn unrecognized_url(method: &str, path: &str) -> Self {
        Self::invalid(404, format!("Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or {SUPPORT}.")).before_execution()
    }

    pub fn invalid_version(version: &str) -> Self {
        Self::invalid(400, format!("Invalid Stripe API version: {version}")).before_execution()
    }

    pub fn no_api_key() -> Self {
        Self::invalid(401, format!("You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or {SUPPORT}.")).before_execution()
    }

    /// `key` is masked: the first 8 characters, one `*` per hidden one, the last 4.
    pub fn invalid_api_key(key: &str) -> Self {
        Self::invalid(401, format!("Invalid API Key provided: {}", mask_key(key)))
            .before_execution()
    }

    pub fn live_key(key: &str) -> Self {
        Self::invalid(401, format!("Invalid API Key provided: {}. This emulator only accepts test-mode keys; live keys are refused outright.", mask_key(key))).before_execution()
    }

    pub fn publishable_key_not_allowed() -> Self {
        Self::invalid(401, "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.").before_execution()
    }

    pub fn client_secret_mismatch() -> Self {
        Self::invalid(400, "The client_secret provided does not match the client_secret associated with the PaymentIntent.")
            .param("client_secret")
            .before_execution()
    }

    // --- parameters (b.8) ------------------------------------------------------------

    pub fn missing_param(param: &str) -> Self {
        Self::invalid(400, format!("Missing required param: {param}."))
            .code("parameter_missing")
            .param(param)
            .before_execution()
    }

    pub fn unknown_param(param: &str) -> Self {
        let param = shorten(param);
        Self::invalid(400, format!("Received unknown parameter: {param}"))
            .code("parameter_unknown")
            .param(&param)
            .before_execution()
    }

    pub fn invalid_integer(param: &str, value: &str) -> Self {
        Self::invalid(400, format!("Invalid integer: {}", shorten(value)))
            .code("parameter_invalid_integer")
            .param(param)
            .before_execution()
    }

    pub fn invalid_number(param: &str, value: &str) -> Self {
        Self::invalid(400, format!("Invalid decimal: {}", shorten(value)))
            .code("parameter_invalid_decimal")
            .param(param)
            .before_execution()
    }

    /// [docs*] Stripe's code for a bad boolean is not in its published list.
    pub fn invalid_boolean(param: &str, value: &str) -> Self {
        Self::invalid(400, format!("Invalid boolean: {}", shorten(value)))
            .code("parameter_invalid_boolean")
            .param(param)
            .before_execution()
    }

    /// [docs*] "Invalid capture_method: must be one of automatic, automatic_async, or manual".
    pub fn invalid_enum(param: &str, allowed: &[String]) -> Self {
        let list = match allowed {
            [] => String::new(),
            [one] => one.clone(),
            [init @ .., last] => format!("{}, or {last}", init.join(", ")),
        };
        Self::invalid(400, format!("Invalid {param}: must be one of {list}"))
            .code("parameter_invalid_enum")
            .param(param)
            .before_execution()
    }

    pub fn string_too_long(param: &str, max: u64) -> Self {
        Self::invalid(
            400,
            format!("Invalid string: {param} must be at most {max} characters"),
        )
        .code("parameter_invalid_string")
        .param(param)
        .before_execution()
    }

    pub fn expected_string(param: &str) -> Self {
        Self::invalid(
            400,
            format!("Invalid string: {param} must be a string, not a hash or an array"),
        )
        .code("parameter_invalid_string")
        .param(param)
        .before_execution()
    }

    pub fn expected_object(param: &str) -> Self {
        Self::invalid(400, "Invalid object")
            .param(param)
            .before_execution()
    }

    pub fn expected_array(param: &str) -> Self {
        Self::invalid(400, "Invalid array")
            .param(param)
            .before_execution()
    }

    pub fn empty_string(param: &str) -> Self {
        Self::invalid(400, format!("You passed an empty string for '{param}'. We assume empty values are an attempt to unset a parameter; however '{param}' cannot be unset. You should remove '{param}' from your request or supply a non-empty value.")).code("parameter_invalid_empty").param(param).before_execution()
    }

    pub fn invalid_param_name(key: &str) -> Self {
        Self::invalid(400, format!("Invalid parameter name: {}", shorten(key))).before_execution()
    }

    pub fn conflicting_param(key: &str) -> Self {
        Self::invalid(
            400,
            format!(
                "Invalid request: the parameter {} is sent both as a value and as a hash or array.",
                shorten(key)
            ),
        )
        .before_execution()
    }

    pub fn exclusive_params(a: &str, b: &str) -> Self {
        Self::invalid(
            400,
            format!("You may only specify one of these parameters: {a}, {b}."),
        )
        .code("parameters_exclusive")
        .param(a)
        .before_execution()
    }

    pub fn invalid_request(param: &str, message: impl Into<String>) -> Self {
        Self::invalid(400, message).param(param).before_execution()
    }

    pub fn invalid_limit(value: i64) -> Self {
        Self::invalid(
            400,
            format!("Invalid limit: must be an integer between 1 and 100 (got {value})"),
        )
        .param("limit")
        .before_execution()
    }

    pub fn invalid_currency(currency: &str) -> Self {
        Self::invalid(
            400,
            format!(
                "Invalid currency: {}. Stripe currently supports these currencies: {}",
                shorten(currency),
                crate::currency::SUPPORTED.join(", ")
            ),
        )
        .param("currency")
        .before_execution()
    }

    pub fn amount_too_small(minimum: &str) -> Self {
        Self::invalid(400, format!("Amount must be at least {minimum}"))
            .code("amount_too_small")
            .param("amount")
            .before_execution()
    }

    pub fn amount_too_large(maximum: &str) -> Self {
        Self::invalid(400, format!("Amount must be no more than {maximum}"))
            .code("amount_too_large")
            .param("amount")
            .before_execution()
    }

    pub fn metadata(message: impl Into<String>) -> Self {
        Self::invalid(400, message)
            .param("metadata")
            .before_execution()
    }

    pub fn unsupported_payment_method_type(kind: &str) -> Self {
        Self::invalid(
            400,
            format!(
                "The payment method type \"{}\" is invalid. This emulator supports only \"card\".",
                shorten(kind)
            ),
        )
        .code("payment_method_invalid_parameter")
        .param("payment_method_types")
        .before_execution()
    }

    /// A raw card number sent with a secret key (b.7).
    pub fn raw_card_data() -> Self {
        Self::invalid(402, "Sending credit card numbers directly to the Stripe API is generally unsafe. We suggest you use test tokens that map to the test card you are using, see https://stripe.com/docs/testing. To enable testing raw card data APIs, see https://support.stripe.com/questions/enabling-access-to-raw-card-data-apis.").before_execution()
    }

    pub fn idempotency_key_too_long() -> Self {
        Self::invalid(400, "Idempotency keys can be at most 255 characters long.")
            .before_execution()
    }

    // --- objects and state (b.5, b.6) ------------------------------------------------

    /// `param` is the path parameter's name in Stripe's API (`intent`, `payment_method`, ...).
    pub fn no_such(object: &str, id: &str, param: &str) -> Self {
        Self::invalid(404, format!("No such {object}: '{}'", shorten(id)))
            .code("resource_missing")
            .param(param)
    }

    pub fn unexpected_state(message: impl Into<String>) -> Self {
        Self::invalid(400, message)
            .code("payment_intent_unexpected_state")
            .attached()
    }

    pub fn unexpected_state_param(message: impl Into<String>, param: &str) -> Self {
        Self::unexpected_state(message).param(param)
    }

    pub fn missing_payment_method() -> Self {
        Self::unexpected_state("You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.")
    }

    pub fn cannot_expand(field: &str) -> Self {
        Self::invalid(400, format!("This property cannot be expanded ({field})."))
            .param("expand")
            .before_execution()
    }

    pub fn charge_already_refunded(charge: &str) -> Self {
        Self::invalid(400, format!("Charge {charge} has already been refunded."))
            .code("charge_already_refunded")
    }

    pub fn refund_too_large(requested: &str, available: &str) -> Self {
        Self::invalid(400, format!("Refund amount ({requested}) is greater than unrefunded amount on charge ({available})")).code("amount_too_large").param("amount")
    }

    /// [docs*: Stripe's error code `charge_disputed`, "the charge you're attempting to
    /// refund has been charged back"; the message is from memory.]
    pub fn charge_disputed(charge: &str) -> Self {
        Self::invalid(
            400,
            format!("Charge {charge} has been charged back; cannot issue a refund."),
        )
        .code("charge_disputed")
    }

    /// [docs: only refunds in `requires_action` can be canceled; the wording is ours,
    /// after the PaymentIntent's.]
    pub fn refund_cannot_cancel(status: &str) -> Self {
        Self::invalid(400, format!("You cannot cancel this refund because it has a status of {status}. Only a refund with a status of requires_action may be canceled."))
    }

    /// Evidence, submission or acceptance of a dispute that no longer awaits a response.
    pub fn dispute_not_awaiting_response(dispute: &str, status: &str) -> Self {
        Self::invalid(400, format!("This dispute ({dispute}) has a status of {status}: it can no longer be updated with evidence, submitted or closed."))
    }

    pub fn capture_too_large(requested: i64, capturable: i64) -> Self {
        Self::invalid(400, format!("The amount to capture ({requested}) is greater than the amount capturable on this PaymentIntent ({capturable}).")).code("amount_too_large").param("amount_to_capture")
    }

    // --- cards (b.7) -----------------------------------------------------------------

    pub fn card(
        code: &str,
        decline_code: Option<&str>,
        message: &str,
        param: Option<&str>,
    ) -> Self {
        let mut e = Self::new(402, ErrorType::Card, message)
            .code(code)
            .attached();
        e.decline_code = decline_code.map(str::to_string);
        e.param = param.map(str::to_string);
        e
    }

    /// 3-D Secure failed or was abandoned: how `last_payment_error` reads afterwards.
    pub fn authentication_failure() -> Self {
        Self::invalid(400, "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.").code("payment_intent_authentication_failure")
    }

    // --- idempotency (b.3) -----------------------------------------------------------

    pub fn idempotency_params_changed(key: &str) -> Self {
        Self::new(400, ErrorType::Idempotency, format!("Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request.")).before_execution()
    }

    pub fn idempotency_other_endpoint(key: &str, new_path: &str, first_path: &str) -> Self {
        Self::new(400, ErrorType::Idempotency, format!("Keys for idempotent requests can only be used for the same endpoint they were first used for ('{new_path}' vs '{first_path}'). Try using a key other than '{key}' if you meant to execute a different request.")).before_execution()
    }

    pub fn idempotency_in_use(key: &str) -> Self {
        let mut e = Self::invalid(409, format!("There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): {key}. Please try again later.")).code("idempotency_key_in_use").before_execution();
        e.should_retry = true;
        e
    }

    // --- injected faults (control API) -----------------------------------------------

    pub fn injected(status: u16) -> Self {
        let mut e = if status == 429 {
            Self::invalid(429, "Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.").code("rate_limit")
        } else if status >= 500 {
            Self::new(status, ErrorType::Api, format!("An unknown error occurred while processing this request (injected by the emulator's control API). If it keeps happening, {SUPPORT}."))
        } else {
            Self::invalid(status, "An error injected by the emulator's control API.")
        };
        e.before_execution = true;
        e.should_retry = true;
        e
    }

    /// A failure during execution (control API `faults` with `stored`): stored under
    /// the idempotency key like any executed result, so never worth retrying.
    pub fn injected_during_execution(status: u16) -> Self {
        let mut e = Self::injected(status);
        e.before_execution = false;
        e.should_retry = false;
        e
    }

    /// The envelope `{"error": {...}}`, fields in Stripe's (alphabetical) order.
    pub fn to_json(&self, request_log_url: Option<String>) -> Value {
        let mut e = Map::new();
        if let Some(charge) = &self.charge {
            e.insert("charge".into(), charge.clone().into());
        }
        if let Some(code) = &self.code {
            e.insert("code".into(), code.clone().into());
        }
        if let Some(decline) = &self.decline_code {
            e.insert("decline_code".into(), decline.clone().into());
        }
        if let Some(code) = &self.code {
            e.insert(
                "doc_url".into(),
                format!(
                    "https://stripe.com/docs/error-codes/{}",
                    code.replace('_', "-")
                )
                .into(),
            );
        }
        e.insert("message".into(), self.message.clone().into());
        if let Some(param) = &self.param {
            e.insert("param".into(), param.clone().into());
        }
        if let Some(pi) = &self.payment_intent {
            e.insert("payment_intent".into(), pi.clone());
        }
        if let Some(pm) = &self.payment_method {
            e.insert("payment_method".into(), pm.clone());
        }
        if let Some(url) = request_log_url {
            e.insert("request_log_url".into(), url.into());
        }
        e.insert("type".into(), self.kind.as_str().into());
        let mut envelope = Map::new();
        envelope.insert("error".into(), Value::Object(e));
        Value::Object(envelope)
    }

    /// The same error as it is kept in `last_payment_error` (no envelope, no PaymentIntent).
    pub fn as_last_payment_error(&self) -> Value {
        let mut copy = self.clone();
        copy.payment_intent = None;
        copy.to_json(None)["error"].take()
    }
}

/// `sk_test_************abcd`: 8 characters kept, one `*` per hidden character, 4 kept.
pub fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 12 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..8].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 12))
}

/// Echoed input is cut short so an error can never reflect a huge body back.
fn shorten(value: &str) -> String {
    const MAX: usize = 100;
    if value.chars().count() <= MAX {
        value.to_string()
    } else {
        format!("{}...", value.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_length_and_ends() {
        let key = "sk_test_1234567890abcd";
        let masked = mask_key(key);
        assert_eq!(masked, "sk_test_**********abcd");
        assert_eq!(masked.len(), key.len());
        assert_eq!(mask_key("short"), "*****");
    }

    #[test]
    fn envelope_is_alphabetical_with_doc_url() {
        let e = ApiError::card(
            "card_declined",
            Some("insufficient_funds"),
            "Your card has insufficient funds.",
            None,
        );
        let json = e.to_json(Some("http://emu/_emulator/requests/req_1".into()));
        let keys: Vec<&String> = json["error"].as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "code",
                "decline_code",
                "doc_url",
                "message",
                "request_log_url",
                "type"
            ]
        );
        assert_eq!(
            json["error"]["doc_url"],
            "https://stripe.com/docs/error-codes/card-declined"
        );
        assert_eq!(json["error"]["type"], "card_error");
    }

    #[test]
    fn enum_message_lists_choices_like_stripe() {
        let e = ApiError::invalid_enum(
            "capture_method",
            &[
                "automatic".into(),
                "automatic_async".into(),
                "manual".into(),
            ],
        );
        assert_eq!(
            e.message,
            "Invalid capture_method: must be one of automatic, automatic_async, or manual"
        );
    }
}
