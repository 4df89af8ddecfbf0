//! The site's static files (wasm, JS, CSS, images) held in memory, with the `.br` and
//! `.gz` the release build wrote beside each, so serving one is a map lookup: read
//! from disk per request (Leptos's file handler) they came at about 1,100 a second.
//!
//! Loaded once at start-up, in production only (`LEPTOS_ENV=PROD`): `cargo leptos
//! watch` rewrites the files while the server runs, so development reads the disk.

use super::accept_encoding;
use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderValue, Method},
    middleware::Next,
    response::Response,
};
use bytes::Bytes;
use std::{collections::HashMap, path::Path, sync::Arc};

/// Files bigger than this stay on disk.
const MAX_FILE: u64 = 16 << 20;

/// Every file under the site root, by its URL path.
#[derive(Debug, Default)]
pub struct StaticFiles {
    files: HashMap<String, Asset>,
}

#[derive(Debug)]
struct Asset {
    content_type: HeaderValue,
    plain: Bytes,
    brotli: Option<Bytes>,
    gzip: Option<Bytes>,
}

impl StaticFiles {
    /// Reads every file under `root` (none when it does not exist).
    pub fn load(root: &Path) -> std::io::Result<Self> {
        let mut files = HashMap::new();
        if root.is_dir() {
            load_dir(root, root, &mut files)?;
        }
        Ok(Self { files })
    }

    /// How many files are held.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file is held.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

fn load_dir(root: &Path, dir: &Path, files: &mut HashMap<String, Asset>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let metadata = std::fs::metadata(&path)?;
        if metadata.is_dir() {
            load_dir(root, &path, files)?;
            continue;
        }
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if matches!(extension, "br" | "gz") || metadata.len() > MAX_FILE {
            continue;
        }
        let Some(url) = path
            .strip_prefix(root)
            .ok()
            .and_then(|relative| relative.to_str())
            .map(|relative| format!("/{}", relative.replace('\\', "/")))
        else {
            continue;
        };
        let sibling = |suffix: &str| {
            let mut name = path.clone().into_os_string();
            name.push(suffix);
            std::fs::read(name).ok().map(Bytes::from)
        };
        files.insert(
            url,
            Asset {
                content_type: content_type(extension),
                plain: Bytes::from(std::fs::read(&path)?),
                brotli: sibling(".br"),
                gzip: sibling(".gz"),
            },
        );
    }
    Ok(())
}

fn content_type(extension: &str) -> HeaderValue {
    HeaderValue::from_static(match extension {
        "wasm" => "application/wasm",
        "js" | "mjs" => "text/javascript",
        "css" => "text/css",
        "svg" => "image/svg+xml",
        "html" => "text/html; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    })
}

/// Answers a GET or HEAD of a held file, in the best encoding the client takes;
/// anything else goes on to the routes.
pub async fn serve(
    State(files): State<Arc<StaticFiles>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let asset = (method == Method::GET || method == Method::HEAD)
        .then(|| files.files.get(request.uri().path()))
        .flatten();
    let Some(asset) = asset else {
        return next.run(request).await;
    };
    let accepted = |coding: &str| accept_encoding::accepts(request.headers(), coding);
    let (body, encoding) = match (&asset.brotli, &asset.gzip) {
        (Some(brotli), _) if accepted("br") => (brotli.clone(), Some("br")),
        (_, Some(gzip)) if accepted("gzip") => (gzip.clone(), Some("gzip")),
        _ => (asset.plain.clone(), None),
    };
    let length = body.len();
    let mut response = Response::new(if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(body)
    });
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, asset.content_type.clone());
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(encoding) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_load_with_their_precompressed_siblings() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("pkg")).unwrap();
        std::fs::write(root.path().join("pkg/app.css"), "body{}").unwrap();
        std::fs::write(root.path().join("pkg/app.css.br"), "BR").unwrap();
        std::fs::write(root.path().join("favicon.svg"), "<svg/>").unwrap();
        let files = StaticFiles::load(root.path()).unwrap();
        assert_eq!(files.len(), 2, "the .br is a variant, not a file");
        let css = &files.files["/pkg/app.css"];
        assert_eq!(css.content_type, "text/css");
        assert_eq!(css.brotli.as_deref(), Some(&b"BR"[..]));
        assert!(css.gzip.is_none());
        assert_eq!(files.files["/favicon.svg"].content_type, "image/svg+xml");
        assert!(StaticFiles::load(&root.path().join("missing"))
            .unwrap()
            .is_empty());
    }
}
