//! The languages the emulator speaks to a shopper: English and Simplified Chinese, for
//! the Payment Element's labels, placeholders and validation messages, the 3-D Secure
//! pages, and the card errors the API returns to Stripe.js.
//!
//! Every string is in [`PHRASES`], one table for the browser pages and the API alike.
//! Stripe's web Payment Element is closed source, so its Chinese wording is taken
//! where Stripe publishes it: the localisation files of its iOS and Android SDKs
//! (`zh-Hans.lproj/Localizable.strings`, `values-zh/strings.xml`). Phrases Stripe
//! publishes nowhere are marked [`Source::Ours`].
//!
//! How Stripe picks the language `[docs*]`: Stripe.js and Elements take a `locale`
//! option (`auto` follows the browser; `zh` is Simplified Chinese), and Stripe.js asks
//! the API in that language, so card errors come back translated. The emulator's
//! Payment Element sends the language as `Accept-Language` on its confirm, and only
//! requests made with a publishable key (from a browser) are answered in it: a server
//! with its secret key gets English, as with Stripe. One exception, as Stripe's: a
//! request replayed under the same `Idempotency-Key` gets the stored answer byte for
//! byte, in the language of the request that made it. The hosted 3-D Secure page (a
//! redirect, no Stripe.js) follows the browser's `Accept-Language`.

use std::sync::LazyLock;

/// A language the emulator's shopper-facing text comes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    En,
    Zh,
}

impl Language {
    /// The `lang` attribute of a page in this language.
    pub fn tag(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Zh => "zh-CN",
        }
    }

    /// The language of a Stripe.js `locale` option: `zh` (and `zh-CN`, `zh-Hans`) is
    /// Simplified Chinese; Traditional Chinese (`zh-HK`, `zh-TW`) and every other
    /// locale fall back to English, the emulator's only other language.
    pub fn of_stripe_locale(locale: &str) -> Self {
        let locale = locale.trim().to_ascii_lowercase();
        let simplified = locale == "zh"
            || locale.starts_with("zh-cn")
            || locale.starts_with("zh-hans")
            || locale.starts_with("zh-sg");
        if simplified {
            Language::Zh
        } else {
            Language::En
        }
    }

    /// The language an `Accept-Language` header prefers, by its quality values;
    /// English when it names neither language (or is absent).
    pub fn of_accept_language(header: Option<&str>) -> Self {
        let Some(header) = header else {
            return Language::En;
        };
        let mut best: Option<(f32, Language)> = None;
        for range in header.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let language = if tag == "en" || tag.starts_with("en-") {
                Language::En
            } else if tag == "zh" || tag.starts_with("zh-") {
                Language::of_stripe_locale(&tag)
            } else {
                continue;
            };
            // Traditional Chinese falls back to English: only a simplified tag counts as Chinese.
            if tag.starts_with("zh") && language == Language::En {
                continue;
            }
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, language));
            }
        }
        best.map_or(Language::En, |(_, language)| language)
    }
}

/// Where a phrase's Chinese comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Stripe's own wording, from its iOS or Android SDK.
    Stripe,
    /// Stripe publishes no Chinese for this phrase: the emulator's translation,
    /// written in the pattern of Stripe's.
    Ours,
}

/// One string in both languages.
#[derive(Clone, Copy, Debug)]
pub struct Phrase {
    /// The name the browser pages look it up by.
    pub key: &'static str,
    pub en: &'static str,
    pub zh: &'static str,
    pub source: Source,
}

impl Phrase {
    /// The phrase in `language`.
    pub fn text(&self, language: Language) -> &'static str {
        match language {
            Language::En => self.en,
            Language::Zh => self.zh,
        }
    }
}

const fn stripe(key: &'static str, en: &'static str, zh: &'static str) -> Phrase {
    Phrase {
        key,
        en,
        zh,
        source: Source::Stripe,
    }
}

const fn ours(key: &'static str, en: &'static str, zh: &'static str) -> Phrase {
    Phrase {
        key,
        en,
        zh,
        source: Source::Ours,
    }
}

/// Every shopper-facing string of the emulator, in both languages.
pub const PHRASES: &[Phrase] = &[
    // The Payment Element: labels and placeholders.
    ours("tab_card", "Card", "银行卡"),
    stripe("card_number", "Card number", "卡号"),
    stripe("expiration_date", "Expiration date", "有效期"),
    stripe("security_code", "Security code", "安全码"),
    ours("country", "Country", "国家或地区"),
    ours("zip", "ZIP", "邮编"),
    stripe("postal_code", "Postal code", "邮编"),
    stripe("expiry_placeholder", "MM / YY", "月份/年份"),
    stripe("cvc_placeholder", "CVC", "安全码"),
    // The Payment Element: validation, as the shopper types.
    stripe("incomplete_number", "Your card number is incomplete.", "您的银行卡号不完整。"),
    stripe("invalid_number", "Your card number is invalid.", "您的卡号无效。"),
    stripe(
        "incomplete_expiry",
        "Your card\u{2019}s expiration date is incomplete.",
        "您的银行卡的有效期不完整。",
    ),
    ours(
        "invalid_expiry_year_past",
        "Your card\u{2019}s expiration year is in the past.",
        "您的银行卡的到期年份已过。",
    ),
    ours(
        "invalid_expiry_month_past",
        "Your card\u{2019}s expiration date is in the past.",
        "您的银行卡的有效期已过。",
    ),
    stripe(
        "invalid_expiry_month",
        "Your card\u{2019}s expiration month is invalid.",
        "您的银行卡的到期月份无效。",
    ),
    stripe(
        "incomplete_cvc",
        "Your card\u{2019}s security code is incomplete.",
        "您的银行卡的安全码不完整。",
    ),
    stripe("incomplete_zip", "Your ZIP is incomplete.", "您的邮编不完整。"),
    stripe("invalid_zip", "Your ZIP is invalid.", "您的邮政编码无效。"),
    stripe(
        "incomplete_postal_code",
        "Your postal code is incomplete.",
        "您的邮编不完整。",
    ),
    ours("payment_frame", "Secure payment input frame", "安全付款输入框"),
    stripe(
        "connection_error",
        "We could not reach Stripe. Check your connection and try again.",
        "连接我们的支付服务商时出现了问题。请检查网络连接，然后重试。",
    ),
    // 3-D Secure: the modal and the test page inside it.
    stripe("verify_payment", "Verify your payment", "验证您的付款"),
    ours(
        "challenge_inner_frame",
        "3D Secure challenge frame",
        "3D Secure 验证框",
    ),
    ours("issuer_authentication", "Issuer authentication", "发卡行验证"),
    ours("test_page_frame", "3D Secure test page", "3D Secure 测试页面"),
    stripe("cancel", "Cancel", "取消"),
    ours("challenge_frame", "3D Secure challenge", "3D Secure 验证"),
    ours("test_page_title", "3D Secure 2 Test Page", "3D Secure 2 测试页面"),
    ours(
        "test_page_text",
        "This is a test payment: choose how the authentication ends. No real bank is asked.",
        "这是一笔测试付款：请选择验证的结果。不会询问任何真实的银行。",
    ),
    ours("complete", "Complete", "完成"),
    ours("fail", "Fail", "失败"),
    // Errors Stripe.js and the API give the shopper.
    stripe(
        "authentication_failure",
        "We are unable to authenticate your payment method. Please choose a different payment method and try again.",
        "我们未能验证您的支付方式。请选择另一支付方式并重试。",
    ),
    stripe("card_declined", "Your card was declined.", "您的卡已被拒绝。"),
    ours(
        "insufficient_funds",
        "Your card has insufficient funds.",
        "您的银行卡余额不足。",
    ),
    stripe("expired_card", "Your card has expired.", "您的银行卡已过期。"),
    ours(
        "incorrect_cvc",
        "Your card's security code is incorrect.",
        "您的银行卡的安全码不正确。",
    ),
    stripe(
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
        "处理您的卡时发生错误 —— 请稍后再试。",
    ),
    ours(
        "payment_not_completed",
        "The payment could not be completed. Please try again.",
        "付款未能完成。请重试。",
    ),
    // The API's own wording of card errors (a straight apostrophe, as Stripe's API).
    stripe(
        "api_invalid_cvc",
        "Your card's security code is invalid.",
        "您的银行卡的安全码无效。",
    ),
    stripe(
        "api_invalid_expiry_year",
        "Your card's expiration year is invalid.",
        "您的银行卡的到期年份无效。",
    ),
    stripe(
        "api_invalid_expiry_month",
        "Your card's expiration month is invalid.",
        "您的银行卡的到期月份无效。",
    ),
    ours("incorrect_number", "Your card number is incorrect.", "您的卡号不正确。"),
    ours(
        "declined_live_card",
        "Your card was declined. Your request was in test mode, but used a non test (live) card. For a list of valid test cards, visit: https://stripe.com/docs/testing.",
        "您的卡已被拒绝。您的请求处于测试模式，但使用了非测试（真实）的卡。有效测试卡的列表见：https://stripe.com/docs/testing。",
    ),
    ours(
        "declined_authentication_required",
        "Your card was declined. This transaction requires authentication.",
        "您的卡已被拒绝。此交易需要验证。",
    ),
];

/// `english` in `language`: a phrase of the table, or `english` unchanged when the
/// table has no such phrase (an error the emulator never shows a shopper).
pub fn translate(language: Language, english: &str) -> &str {
    PHRASES
        .iter()
        .find(|phrase| phrase.en == english)
        .map_or(english, |phrase| phrase.text(language))
}

/// The phrase named `key` in `language`; empty if the table has no such key (a test
/// keeps every key the pages use in the table).
pub fn phrase(language: Language, key: &str) -> &'static str {
    PHRASES
        .iter()
        .find(|phrase| phrase.key == key)
        .map_or("", |phrase| phrase.text(language))
}

/// The table as the browser pages read it: `{"key": {"en": .., "zh": ..}, ..}`.
pub fn browser_table() -> &'static str {
    static TABLE: LazyLock<String> = LazyLock::new(|| {
        let table: serde_json::Map<String, serde_json::Value> = PHRASES
            .iter()
            .map(|phrase| {
                (
                    phrase.key.to_owned(),
                    serde_json::json!({ "en": phrase.en, "zh": phrase.zh }),
                )
            })
            .collect();
        serde_json::Value::Object(table).to_string()
    });
    &TABLE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripe_locales_map_to_the_two_languages() {
        assert_eq!(Language::of_stripe_locale("zh"), Language::Zh);
        assert_eq!(Language::of_stripe_locale("zh-CN"), Language::Zh);
        assert_eq!(Language::of_stripe_locale("zh-Hans"), Language::Zh);
        assert_eq!(Language::of_stripe_locale("zh-TW"), Language::En);
        assert_eq!(Language::of_stripe_locale("zh-HK"), Language::En);
        assert_eq!(Language::of_stripe_locale("en"), Language::En);
        assert_eq!(Language::of_stripe_locale("fr"), Language::En);
    }

    #[test]
    fn accept_language_is_read_by_quality() {
        let of = |h| Language::of_accept_language(Some(h));
        assert_eq!(of("zh-CN,zh;q=0.9,en;q=0.8"), Language::Zh);
        assert_eq!(of("en-US, zh-CN;q=0.5"), Language::En);
        assert_eq!(of("en;q=0.3, zh"), Language::Zh);
        assert_eq!(of("zh-TW"), Language::En);
        assert_eq!(of("fr, zh;q=0.1"), Language::Zh);
        assert_eq!(of("zh;q=0"), Language::En);
        assert_eq!(Language::of_accept_language(None), Language::En);
    }

    #[test]
    fn every_phrase_has_a_unique_key_and_both_languages() {
        let mut keys: Vec<_> = PHRASES.iter().map(|p| p.key).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), before, "duplicate keys");
        for phrase in PHRASES {
            assert!(
                !phrase.en.is_empty() && !phrase.zh.is_empty(),
                "{}",
                phrase.key
            );
            assert_ne!(phrase.en, phrase.zh, "{} is not translated", phrase.key);
        }
    }

    #[test]
    fn card_errors_translate_and_unknown_text_stays() {
        assert_eq!(
            translate(Language::Zh, "Your card was declined."),
            "您的卡已被拒绝。"
        );
        assert_eq!(
            translate(Language::En, "Your card was declined."),
            "Your card was declined."
        );
        assert_eq!(
            translate(Language::Zh, "No such payment_intent"),
            "No such payment_intent"
        );
    }

    /// Every card error the API can answer with, read from the code that makes them:
    /// each must be in the table, or a Chinese shopper would read English.
    #[test]
    fn every_card_error_the_api_gives_is_translated() {
        let sources = [
            include_str!("cards.rs"),
            include_str!("objects/payment_method.rs"),
            include_str!("api/payment_methods.rs"),
        ];
        let mut found = 0;
        for source in sources {
            for (at, _) in source.match_indices("\"Your card") {
                let rest = &source[at + 1..];
                let english = &rest[..rest.find('"').unwrap()];
                found += 1;
                assert_ne!(translate(Language::Zh, english), english, "{english}");
            }
        }
        assert!(found >= 10, "only {found} card errors found");
        let processing = "An error occurred while processing your card. Try again in a little bit.";
        assert_ne!(translate(Language::Zh, processing), processing);
    }

    #[test]
    fn the_keys_the_3ds_page_renders_are_in_the_table() {
        for key in ["test_page_title", "test_page_text", "complete", "fail"] {
            assert!(!phrase(Language::Zh, key).is_empty(), "{key}");
        }
        assert_eq!(phrase(Language::En, "no_such_key"), "");
    }

    #[test]
    fn phrases_carry_no_markup() {
        for phrase in PHRASES {
            for text in [phrase.en, phrase.zh] {
                assert!(!text.contains(['<', '>', '&']), "{}: {text}", phrase.key);
            }
        }
    }

    #[test]
    fn the_browser_table_is_json_with_every_key() {
        let table: serde_json::Value = serde_json::from_str(browser_table()).unwrap();
        for phrase in PHRASES {
            assert_eq!(table[phrase.key]["zh"], phrase.zh);
        }
    }
}
