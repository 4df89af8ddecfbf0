//! The catalog page for shoppers without a cart, rendered once and served to each of
//! them with its own CSP nonce.
//!
//! An anonymous `GET /` renders the same bytes for everyone but the nonce on its
//! inline scripts, which must be fresh per response. So the page is kept in pieces,
//! split where the nonce goes, and each response joins them around a new one. For
//! browsers that take gzip, the pieces are kept deflated at the best level, each ending
//! on a byte boundary (a sync flush), and the nonce goes between them as a stored
//! (uncompressed) deflate block: a valid gzip stream per response for the price of a
//! CRC over the page, with no compression per request.
//!
//! The cached page is dropped when stock changes (the store's catalog counter) and is
//! never older than [`MAX_AGE`]. Anything that could make the page differ (a cookie, a
//! query string, a method other than GET) bypasses the cache.

use super::{accept_encoding, security::CspNonce};
use crate::i18n::Locale;
use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use flate2::{write::DeflateEncoder, Compression};
use std::{
    io::Write,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

/// The longest a rendered page is served, stock changes or not.
pub const MAX_AGE: Duration = Duration::from_secs(1);

/// The most of a rendered page this reads (the catalog is about 13 KB).
const MAX_PAGE: usize = 8 << 20;

/// The anonymous catalog page, when one is cached: one per language, since the page
/// is written in the one `Accept-Language` asks for.
#[derive(Clone, Default)]
pub struct PageCache {
    pages: Arc<RwLock<[Option<Arc<CachedPage>>; 2]>>,
    /// Held by the one request that renders a missing page for everyone; requests
    /// arriving meanwhile render for themselves rather than wait or pile up.
    rendering: Arc<tokio::sync::Mutex<()>>,
}

/// What a catalog change counter and a clock say about a cached page.
struct CachedPage {
    catalog_version: u64,
    rendered_at: Instant,
    content_type: HeaderValue,
    /// The page split at each place its nonce went: `nonce.len() + 1` pieces.
    pieces: Vec<Bytes>,
    /// The same pieces, each deflated on its own and sync-flushed.
    deflated: Vec<Bytes>,
}

/// The state the middleware needs: the cache and how to read the catalog's version.
#[derive(Clone)]
pub struct CatalogPages {
    pub cache: PageCache,
    pub store: super::store::Store,
}

/// Serves an anonymous `GET /` from the cache, rendering and keeping it on a miss.
/// Runs inside [`super::security::protective_headers`], which draws the nonce the CSP
/// header names, and inside the compression layer, which leaves a response that is
/// already encoded alone.
pub async fn serve(
    State(pages): State<Arc<CatalogPages>>,
    request: Request,
    next: Next,
) -> Response {
    let nonce = request.extensions().get::<CspNonce>().map(|n| n.0.clone());
    let (Some(nonce), true) = (nonce, cacheable(&request)) else {
        return next.run(request).await;
    };
    let gzip = accept_encoding::accepts(request.headers(), "gzip");
    // No cookie reaches here, so the browser's languages alone decide.
    let language = match super::locale::negotiate(request.headers(), false) {
        Locale::en => 0,
        Locale::zh_CN => 1,
    };
    let version = pages.store.catalog_version();
    if let Some(page) = pages.cache.fresh(language, version) {
        return page.response(&nonce, gzip);
    }
    let Ok(_rendering) = pages.cache.rendering.try_lock() else {
        return next.run(request).await;
    };
    let response = next.run(request).await;
    if response.status() != StatusCode::OK
        || response.headers().contains_key(header::SET_COOKIE)
        || response.headers().contains_key(header::CONTENT_ENCODING)
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(html) = to_bytes(body, MAX_PAGE).await else {
        tracing::error!("the catalog page could not be rendered, or is over {MAX_PAGE} bytes");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // A page showing an error (the catalog could not be read) is not for everyone.
    if html
        .windows(ERROR_NOTICE.len())
        .any(|window| window == ERROR_NOTICE)
    {
        return Response::from_parts(parts, Body::from(html));
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("text/html; charset=utf-8"));
    match CachedPage::split(&html, &nonce, version, content_type) {
        Some(page) => {
            let page = Arc::new(page);
            pages.cache.keep(language, page.clone());
            page.response(&nonce, gzip)
        }
        // A page without the nonce is not the catalog we know: serve it as rendered.
        None => Response::from_parts(parts, Body::from(html)),
    }
}

/// The class of [`crate::components::notices::ErrorNotice`].
const ERROR_NOTICE: &[u8] = b"notice-error";

/// Only what renders the same for everyone: no cookie, no query, a plain GET of `/`.
fn cacheable(request: &Request) -> bool {
    request.method() == Method::GET
        && request.uri().path() == "/"
        && request.uri().query().is_none()
        && !request.headers().contains_key(header::COOKIE)
}

impl PageCache {
    fn fresh(&self, language: usize, catalog_version: u64) -> Option<Arc<CachedPage>> {
        let page = self.pages.read().ok()?.get(language)?.clone()?;
        (page.catalog_version == catalog_version && page.rendered_at.elapsed() < MAX_AGE)
            .then_some(page)
    }

    fn keep(&self, language: usize, page: Arc<CachedPage>) {
        if let Ok(mut pages) = self.pages.write() {
            if let Some(slot) = pages.get_mut(language) {
                *slot = Some(page);
            }
        }
    }
}

impl CachedPage {
    fn split(
        html: &[u8],
        nonce: &str,
        catalog_version: u64,
        content_type: HeaderValue,
    ) -> Option<Self> {
        let nonce = nonce.as_bytes();
        if nonce.is_empty() {
            return None;
        }
        let mut pieces = Vec::new();
        let mut rest = html;
        while let Some(at) = rest.windows(nonce.len()).position(|window| window == nonce) {
            pieces.push(Bytes::copy_from_slice(&rest[..at]));
            rest = &rest[at + nonce.len()..];
        }
        if pieces.is_empty() {
            return None;
        }
        pieces.push(Bytes::copy_from_slice(rest));
        let deflated = pieces
            .iter()
            .map(|piece| deflate_piece(piece))
            .collect::<Option<_>>()?;
        Some(Self {
            catalog_version,
            rendered_at: Instant::now(),
            content_type,
            pieces,
            deflated,
        })
    }

    fn response(&self, nonce: &str, gzip: bool) -> Response {
        let mut response = if gzip {
            let mut response = Response::new(Body::from(self.gzip(nonce.as_bytes())));
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            response
        } else {
            Response::new(Body::from(self.plain(nonce.as_bytes())))
        };
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, self.content_type.clone());
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        response
    }

    fn plain(&self, nonce: &[u8]) -> Vec<u8> {
        self.pieces.join(nonce)
    }

    /// One gzip member: the deflated pieces with the nonce between them as stored
    /// blocks, a final empty block, then the CRC and length of the whole page.
    fn gzip(&self, nonce: &[u8]) -> Vec<u8> {
        let size: usize = self.deflated.iter().map(Bytes::len).sum();
        let mut out = Vec::with_capacity(size + self.pieces.len() * (nonce.len() + 5) + 32);
        // Magic, deflate, no flags, no time, no extra flags, unknown OS.
        out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
        let mut crc = crc32fast::Hasher::new();
        let mut length: u32 = 0;
        for (index, (piece, deflated)) in self.pieces.iter().zip(&self.deflated).enumerate() {
            if index > 0 {
                stored_block(&mut out, nonce, false);
                crc.update(nonce);
                length = length.wrapping_add(nonce.len() as u32);
            }
            out.extend_from_slice(deflated);
            crc.update(piece);
            length = length.wrapping_add(piece.len() as u32);
        }
        stored_block(&mut out, &[], true);
        out.extend_from_slice(&crc.finalize().to_le_bytes());
        out.extend_from_slice(&length.to_le_bytes());
        out
    }
}

/// Deflates `piece` at the best level and sync-flushes, so the stream ends on a byte
/// boundary with no final block: pieces and stored blocks can follow it.
fn deflate_piece(piece: &[u8]) -> Option<Bytes> {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(piece).ok()?;
    // `flush` is deflate's sync flush; the encoder is dropped unfinished.
    encoder.flush().ok()?;
    Some(Bytes::from(std::mem::take(encoder.get_mut())))
}

/// A stored (uncompressed) deflate block, at most 65,535 bytes, written at a byte
/// boundary: the header bits pad to the next byte, then LEN and its complement.
fn stored_block(out: &mut Vec<u8>, data: &[u8], last: bool) {
    // A nonce is a few dozen bytes; a longer one would not fit one block.
    let len = u16::try_from(data.len()).unwrap_or(u16::MAX);
    let data = &data[..usize::from(len)];
    out.push(u8::from(last));
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(data);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn page() -> CachedPage {
        let html = format!(
            "<script nonce=\"N0NCE\">a</script>{}<script nonce=\"N0NCE\">b</script>{}",
            "<p class=\"card\">catalog</p>".repeat(300),
            "<li>line</li>".repeat(300)
        );
        CachedPage::split(
            html.as_bytes(),
            "N0NCE",
            7,
            HeaderValue::from_static("text/html"),
        )
        .unwrap()
    }

    fn gunzip(bytes: &[u8]) -> String {
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .expect("a valid gzip stream");
        text
    }

    #[test]
    fn each_response_carries_its_own_nonce_in_a_valid_gzip_stream() {
        let page = page();
        let first = gunzip(&page.gzip(b"abcDEF123+/="));
        let second = gunzip(&page.gzip(b"zyx987"));
        assert_eq!(first.matches("nonce=\"abcDEF123+/=\"").count(), 2);
        assert_eq!(second.matches("nonce=\"zyx987\"").count(), 2);
        assert!(!first.contains("N0NCE") && !second.contains("N0NCE"));
        assert_eq!(first.replace("abcDEF123+/=", "zyx987"), second);
    }

    #[test]
    fn the_plain_page_is_the_same_page() {
        let page = page();
        assert_eq!(
            String::from_utf8(page.plain(b"xyz")).unwrap(),
            gunzip(&page.gzip(b"xyz"))
        );
    }

    #[test]
    fn the_cached_page_is_much_smaller_than_the_page() {
        let page = page();
        let plain = page.plain(b"abc").len();
        assert!(page.gzip(b"abc").len() * 4 < plain);
    }

    #[test]
    fn a_page_without_the_nonce_is_not_kept() {
        assert!(CachedPage::split(
            b"<p>no scripts</p>",
            "N0NCE",
            1,
            HeaderValue::from_static("text/html")
        )
        .is_none());
    }
}
