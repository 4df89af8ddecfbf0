//! Security layers every response passes through: the Content-Security-Policy with a
//! per-request nonce, protective headers (no caching of personal data, HSTS behind
//! https), and the cross-site POST check.

use crate::i18n::{td_string, Locale};
use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::sync::Arc;

/// The path Stripe posts webhooks to: exempt from the Origin check, because Stripe is
/// cross-site by definition and the route authenticates by signature instead.
pub const WEBHOOK_PATH: &str = "/webhooks/stripe";

/// Where Stripe.js returns the shopper, with the client secret in the query.
pub const CONFIRMATION_PATH: &str = "/order-confirmation";

/// The checkout page: the shopper's contact and delivery details.
pub const CHECKOUT_PATH: &str = "/checkout";

/// The server functions behind those two pages (Leptos mounts them under `/api/`):
/// they answer with a client secret, contact details, an address or order lines.
const PRIVATE_SERVER_FNS: [&str; 2] = ["/api/checkout/", "/api/order/"];

/// `Strict-Transport-Security` for a shop served over https. Two years, the span
/// browsers' preload lists ask for, so a shopper who came once is never sent to the
/// shop in clear again (no TLS stripping of the checkout). `includeSubDomains` covers
/// hosts under the shop's own (never its parent domain), which an https shop has no
/// reason to serve in clear, and a sibling served in clear could otherwise set
/// cookies for it. No `preload`: submitting a domain to the lists is its owner's
/// decision, not a default.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=63072000; includeSubDomains";

/// Origins beyond the shop's own that pages may load from, per CSP directive.
#[derive(Clone, Debug, Default)]
pub struct CspSources {
    pub script: Vec<String>,
    pub frame: Vec<String>,
    pub connect: Vec<String>,
}

/// A fresh nonce for this request's inline scripts, shared by the CSP header and the
/// `<script nonce>` attributes Leptos renders.
#[derive(Clone, Debug)]
pub struct CspNonce(pub Arc<str>);

/// The Content-Security-Policy, split around the nonce so each request only joins
/// three strings.
#[derive(Clone, Debug)]
pub struct ContentSecurityPolicy {
    before_nonce: String,
    after_nonce: String,
}

impl ContentSecurityPolicy {
    /// Builds the policy for the shop's own origin plus the configured extra sources
    /// (the Stripe origins of the active mode, the dev reload socket).
    pub fn new(extra: &CspSources) -> Self {
        let join = |sources: &[String]| {
            sources
                .iter()
                .map(|source| format!(" {source}"))
                .collect::<String>()
        };
        let frame_src = if extra.frame.is_empty() {
            "'none'".to_owned()
        } else {
            join(&extra.frame).trim_start().to_owned()
        };
        Self {
            before_nonce: "default-src 'self'; script-src 'self' 'nonce-".to_owned(),
            // 'wasm-unsafe-eval' allows compiling our wasm, and nothing like eval().
            after_nonce: format!(
                "' 'wasm-unsafe-eval'{script}; style-src 'self'; img-src 'self' data:; \
                 font-src 'self'; connect-src 'self'{connect}; frame-src {frame_src}; \
                 frame-ancestors 'none'; base-uri 'none'; form-action 'self'; \
                 object-src 'none'",
                script = join(&extra.script),
                connect = join(&extra.connect),
            ),
        }
    }

    fn header(&self, nonce: &str) -> Option<HeaderValue> {
        HeaderValue::try_from(format!("{}{nonce}{}", self.before_nonce, self.after_nonce)).ok()
    }
}

/// Draws the request's nonce, lets the handler render with it, then sets the CSP and
/// the other protective headers on whatever comes back.
pub async fn protective_headers(
    State(policy): State<Arc<ContentSecurityPolicy>>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce: Arc<str> = leptos::nonce::Nonce::new().as_inner().clone();
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    // The confirmation page's address can carry a PaymentIntent's client secret.
    let private_address = request.uri().path() == CONFIRMATION_PATH;
    let personal_data = carries_personal_data(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if personal_data {
        // Not for the disk cache, a shared proxy, or the back button of the next
        // person at a shared computer. Whatever the handler said, this wins.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(csp) = policy.header(&nonce) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Same-origin form posts need the full Referer: Leptos redirects a no-JS form
    // back to it. Other origins get only our origin.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(if private_address {
            "no-referrer"
        } else {
            "strict-origin-when-cross-origin"
        }),
    );
    response
}

/// Whether responses to `path` carry a shopper's personal data or a client secret:
/// the checkout and confirmation pages and their server functions, whatever the query.
fn carries_personal_data(path: &str) -> bool {
    let page = path.trim_end_matches('/');
    page == CHECKOUT_PATH
        || page == CONFIRMATION_PATH
        || PRIVATE_SERVER_FNS
            .iter()
            .any(|prefix| path.starts_with(prefix))
}

/// Adds `Strict-Transport-Security` to every response; the router wraps everything in
/// it when the shop is served over https.
pub async fn strict_transport_security(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
    );
    response
}

/// Refuses cross-site state changes with 403: an `Origin` that is not the shop's, or
/// no `Origin` with `Sec-Fetch-Site: cross-site`. SameSite=Lax cookies already keep
/// the cart off such requests; this also stops login-less CSRF and cart stuffing.
pub async fn reject_cross_site_posts(
    State(public_origin): State<Option<Arc<str>>>,
    request: Request,
    next: Next,
) -> Response {
    let safe_method = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe_method || request.uri().path() == WEBHOOK_PATH {
        return next.run(request).await;
    }
    let headers = request.headers();
    let header_str = |name| {
        headers
            .get(name)
            .and_then(|value: &HeaderValue| value.to_str().ok())
    };
    let allowed = same_site_post(
        header_str(header::ORIGIN),
        header_str(http::HeaderName::from_static("sec-fetch-site")),
        header_str(header::HOST).unwrap_or_default(),
        public_origin.as_deref(),
    );
    if allowed {
        next.run(request).await
    } else {
        tracing::warn!(path = request.uri().path(), "refused a cross-site request");
        let secure = super::config::serves_https(public_origin.as_deref());
        forbidden(super::locale::negotiate(request.headers(), secure))
    }
}

/// Whether a POST came from the shop's own pages. A page served with
/// `Referrer-Policy: no-referrer` (the confirmation page, whose address may hold a
/// client secret) posts its forms with `Origin: null`; so does an opaque origin (a
/// sandboxed frame, a `data:` page), which browsers mark `Sec-Fetch-Site: cross-site`.
/// So `null` is decided by `Sec-Fetch-Site` alone, and only `same-origin` passes.
fn same_site_post(
    origin: Option<&str>,
    fetch_site: Option<&str>,
    host: &str,
    public_origin: Option<&str>,
) -> bool {
    match origin {
        Some("null") => fetch_site == Some("same-origin"),
        Some(origin) => is_same_origin(origin, host, public_origin),
        None => fetch_site != Some("cross-site"),
    }
}

/// Whether `origin` is the shop itself: the configured public origin, or the origin
/// the browser addressed (`Host`), which a cross-site page cannot choose.
fn is_same_origin(origin: &str, host: &str, public_origin: Option<&str>) -> bool {
    if public_origin.is_some_and(|public| public.eq_ignore_ascii_case(origin)) {
        return true;
    }
    !host.is_empty()
        && ["http://", "https://"].iter().any(|scheme| {
            origin
                .strip_prefix(scheme)
                .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
        })
}

/// The refusal page, in the shopper's language (the shop's own pages are not
/// rendered for a refused request, so it is a small page of its own). Every value
/// written into it is the shop's own text, fixed at build time: nothing from the
/// request is, so nothing needs escaping.
fn forbidden(locale: Locale) -> Response {
    let page = format!(
        concat!(
            "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
            "<title>{title}</title></head><body>",
            "<h1>{heading}</h1><p>{text}</p>",
            "<p><a href=\"/\">{back}</a></p></body></html>",
        ),
        lang = leptos_i18n::Locale::as_str(locale),
        title = td_string!(
            locale,
            site.title,
            page = td_string!(locale, site.cross_site.title)
        ),
        heading = td_string!(locale, site.cross_site.title),
        text = td_string!(locale, site.cross_site.text),
        back = td_string!(locale, site.back_to_shop),
    );
    (
        StatusCode::FORBIDDEN,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::VARY, "cookie, accept-language"),
        ],
        Body::from(page),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_is_the_host_or_the_public_origin() {
        assert!(is_same_origin(
            "http://127.0.0.1:3000",
            "127.0.0.1:3000",
            None
        ));
        assert!(is_same_origin(
            "https://shop.example",
            "internal:8080",
            Some("https://shop.example")
        ));
        assert!(!is_same_origin(
            "http://evil.example",
            "127.0.0.1:3000",
            None
        ));
        assert!(!is_same_origin(
            "http://127.0.0.1:3000.evil.example",
            "127.0.0.1:3000",
            None
        ));
        assert!(!is_same_origin("null", "127.0.0.1:3000", None));
    }

    #[test]
    fn a_null_origin_passes_only_from_the_same_origin() {
        let host = "127.0.0.1:3000";
        assert!(same_site_post(
            Some("null"),
            Some("same-origin"),
            host,
            None
        ));
        for site in [Some("cross-site"), Some("same-site"), Some("none"), None] {
            assert!(!same_site_post(Some("null"), site, host, None), "{site:?}");
        }
        assert!(same_site_post(
            Some("http://127.0.0.1:3000"),
            None,
            host,
            None
        ));
        assert!(!same_site_post(
            Some("https://evil.example"),
            Some("same-origin"),
            host,
            None
        ));
        assert!(same_site_post(None, None, host, None));
        assert!(!same_site_post(None, Some("cross-site"), host, None));
        assert!(!is_same_origin("http://", "", None));
    }

    #[test]
    fn checkout_and_confirmation_are_private_and_nothing_else() {
        for path in [
            "/checkout",
            "/checkout/",
            "/order-confirmation",
            "/api/checkout/prepare",
            "/api/checkout/submit",
            "/api/order/confirmation",
            "/api/order/status",
        ] {
            assert!(carries_personal_data(path), "{path}");
        }
        for path in [
            "/",
            "/cart",
            "/api/cart/add",
            "/checkouts",
            "/pkg/storefront.js",
            "/webhooks/stripe",
        ] {
            assert!(!carries_personal_data(path), "{path}");
        }
    }

    #[test]
    fn policy_has_a_nonce_and_no_unsafe_inline() {
        let policy = ContentSecurityPolicy::new(&CspSources::default());
        let header = policy.header("abc123").unwrap();
        let header = header.to_str().unwrap();
        assert!(header.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'"));
        assert!(header.contains("frame-ancestors 'none'"));
        assert!(header.contains("frame-src 'none'"));
        assert!(!header.contains("unsafe-inline"));
    }

    #[test]
    fn policy_makes_room_for_extra_origins() {
        let extra = CspSources {
            script: vec!["https://js.stripe.com".into()],
            frame: vec![
                "https://js.stripe.com".into(),
                "https://hooks.stripe.com".into(),
            ],
            connect: vec!["https://api.stripe.com".into()],
        };
        let header = ContentSecurityPolicy::new(&extra).header("n").unwrap();
        let header = header.to_str().unwrap();
        assert!(header.contains("'wasm-unsafe-eval' https://js.stripe.com;"));
        assert!(header.contains("frame-src https://js.stripe.com https://hooks.stripe.com;"));
        assert!(header.contains("connect-src 'self' https://api.stripe.com;"));
    }
}
