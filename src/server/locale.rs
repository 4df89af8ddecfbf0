//! Which language a request is answered in: the shopper's own choice (the `locale`
//! cookie the switcher sets), else the browser's `Accept-Language` by its q-values,
//! else English. The same answer renders the page, sets `<html lang>`, goes to
//! Stripe.js and is stored on the order for its emails.
//!
//! The switcher is a plain form post to [`choose`], so it works without JavaScript
//! and lands the shopper back on the page they were on.

use super::{cookies, AppState};
use crate::i18n::Locale;
use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Form,
};
use leptos_i18n::Locale as _;
use serde::Deserialize;

/// The cookie's base name (`__Host-locale` over https).
pub const COOKIE: &str = "locale";

/// A year: a language choice is not a session.
const MAX_AGE_SECS: u64 = 365 * 24 * 60 * 60;

/// The language for a request with these headers.
pub fn negotiate(headers: &HeaderMap, secure: bool) -> Locale {
    cookies::value(headers, &cookies::name(COOKIE, secure))
        .and_then(|chosen| chosen.parse().ok())
        .or_else(|| {
            headers
                .get_all(header::ACCEPT_LANGUAGE)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .find_map(from_accept_language)
        })
        .unwrap_or_default()
}

/// The most preferred language we speak among an `Accept-Language` header's ranges,
/// by q-value (ties keep the header's order); `None` when it names neither.
pub fn from_accept_language(header: &str) -> Option<Locale> {
    let mut ranges: Vec<(u16, usize, Locale)> = header
        .split(',')
        .enumerate()
        .filter_map(|(position, range)| {
            let mut parts = range.split(';');
            let tag = parts.next()?.trim();
            let quality = parts
                .find_map(|param| param.trim().strip_prefix("q="))
                .map_or(Some(1000), parse_quality)?;
            (quality > 0).then_some((quality, position, of_tag(tag)?))
        })
        .collect();
    ranges.sort_by_key(|(quality, position, _)| (std::cmp::Reverse(*quality), *position));
    ranges.first().map(|(_, _, locale)| *locale)
}

/// A q-value as thousandths (`0.8` is 800); `None` when malformed.
fn parse_quality(value: &str) -> Option<u16> {
    let value = value.trim();
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Which of our languages a language tag asks for: any English; Chinese in simplified
/// script (`zh`, `zh-CN`, `zh-SG`, `zh-Hans…`), not Traditional (`zh-TW`, `zh-HK`,
/// `zh-Hant…`), which a Simplified page would serve badly.
fn of_tag(tag: &str) -> Option<Locale> {
    let tag = tag.to_ascii_lowercase();
    let mut subtags = tag.split(['-', '_']);
    match subtags.next()? {
        "en" => Some(Locale::en),
        "zh" => match subtags.next() {
            None | Some("cn" | "sg" | "hans") => Some(Locale::zh_CN),
            Some(_) => None,
        },
        _ => None,
    }
}

/// Says on every page what its language was chosen by, so a shared cache never hands
/// one shopper's Chinese page to another's English browser. Appended: compression
/// has its own `Vary`.
pub async fn vary(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if is_page {
        response.headers_mut().append(
            header::VARY,
            HeaderValue::from_static("cookie, accept-language"),
        );
    }
    response
}

/// The switcher's form.
#[derive(Deserialize)]
pub struct Choice {
    locale: String,
    #[serde(default)]
    return_to: String,
}

/// `POST /locale`: remembers the shopper's language and sends them back (303) to the
/// page they switched on. Only a path on this site is followed, so the form cannot be
/// used to send anyone elsewhere.
pub async fn choose(State(state): State<AppState>, Form(choice): Form<Choice>) -> Response {
    let Ok(locale) = choice.locale.parse::<Locale>() else {
        return (StatusCode::BAD_REQUEST, "unknown language").into_response();
    };
    let secure = state.config.serves_https();
    let Some(cookie) = cookies::set_cookie(COOKIE, locale.as_str(), MAX_AGE_SECS, secure) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let back = HeaderValue::from_str(same_site_path(&choice.return_to))
        .unwrap_or(HeaderValue::from_static("/"));
    (
        StatusCode::SEE_OTHER,
        [(header::SET_COOKIE, cookie), (header::LOCATION, back)],
    )
        .into_response()
}

/// `path` when it is a path on this site, else `/`: not `//host` or `/\host` (which
/// browsers read as another site), nothing but printable ASCII, and not absurdly long.
fn same_site_path(path: &str) -> &str {
    let local = path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && path.len() <= 2048
        && path.bytes().all(|b| b.is_ascii_graphic());
    if local {
        path
    } else {
        "/"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_values_decide_not_the_order_of_ranges() {
        assert_eq!(from_accept_language("en;q=0.3, zh-CN"), Some(Locale::zh_CN));
        assert_eq!(
            from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Some(Locale::zh_CN)
        );
        assert_eq!(
            from_accept_language("en-US,en;q=0.9,zh;q=0.8"),
            Some(Locale::en)
        );
        assert_eq!(
            from_accept_language("fr, zh-Hans-CN;q=0.5"),
            Some(Locale::zh_CN)
        );
        assert_eq!(from_accept_language("zh-TW, en;q=0.1"), Some(Locale::en));
        assert_eq!(from_accept_language("zh-HK, zh-Hant"), None);
        assert_eq!(from_accept_language("zh;q=0, en;q=0.2"), Some(Locale::en));
        assert_eq!(from_accept_language("de, fr;q=0.5"), None);
        // Malformed q-values drop the range, not the header.
        assert_eq!(
            from_accept_language("zh;q=2, en;q=abc, zh-SG;q=0.5"),
            Some(Locale::zh_CN)
        );
        assert_eq!(from_accept_language(""), None);
    }

    #[test]
    fn the_cookie_beats_the_browser_and_english_is_the_default() {
        let mut headers = HeaderMap::new();
        assert_eq!(negotiate(&headers, false), Locale::en);
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("zh-CN"));
        assert_eq!(negotiate(&headers, false), Locale::zh_CN);
        headers.insert(header::COOKIE, HeaderValue::from_static("locale=en"));
        assert_eq!(negotiate(&headers, false), Locale::en);
        // Behind https only the __Host- cookie counts.
        assert_eq!(negotiate(&headers, true), Locale::zh_CN);
        headers.insert(header::COOKIE, HeaderValue::from_static("locale=klingon"));
        assert_eq!(negotiate(&headers, false), Locale::zh_CN);
    }

    #[test]
    fn only_paths_on_this_site_are_returned_to() {
        assert_eq!(same_site_path("/checkout"), "/checkout");
        assert_eq!(
            same_site_path("/order-confirmation?order=R1"),
            "/order-confirmation?order=R1"
        );
        for elsewhere in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "",
            "checkout",
            "/a b",
            "/\u{7f}",
        ] {
            assert_eq!(same_site_path(elsewhere), "/", "{elsewhere:?}");
        }
    }
}
