//! HTTP statuses for refused server-function calls.
//!
//! Leptos answers every server-function error with 500. A hydrated caller should get
//! the status that fits the [`ShopError`] (400, 404, 409, ...), including for errors
//! raised before our code runs, such as a missing form field. A no-JS form post is
//! left alone: Leptos already turned it into a redirect back to the page.

use crate::domain::ShopError;
use axum::{
    body::{to_bytes, Body},
    extract::Request,
    http::StatusCode,
    middleware::Next,
    response::Response,
};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

/// Error bodies are a small JSON value; anything larger is left as it is.
const MAX_ERROR_BODY: usize = 16 * 1024;

/// Gives a failed server-function response the status of its error.
pub async fn server_fn_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<ShopError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status()).unwrap_or(parts.status);
    }
    Response::from_parts(parts, Body::from(bytes))
}
