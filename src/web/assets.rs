//! Static files (the vendored DSFR and our own CSS/JS), embedded in the binary
//! and served under a path that changes with their content, so browsers may
//! cache them for a year.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

#[derive(RustEmbed)]
#[folder = "static/"]
#[exclude = "*.md"]
#[exclude = "*.txt"]
struct Static;

/// `/static/<hash of every embedded file>`: computed once.
static BASE: LazyLock<String> = LazyLock::new(|| {
    let mut hasher = Sha256::new();
    let mut names: Vec<_> = Static::iter().collect();
    names.sort();
    for name in names {
        hasher.update(name.as_bytes());
        if let Some(file) = Static::get(&name) {
            hasher.update(file.metadata.sha256_hash());
        }
    }
    let digest = hasher.finalize();
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("/static/{short}")
});

/// The URL prefix of static files.
pub fn base() -> &'static str {
    BASE.as_str()
}

/// `GET /static/{version}/{*path}`: an embedded file. A stale version still
/// gets the current file, without the long cache.
pub async fn serve(Path((version, path)): Path<(String, String)>) -> Response {
    let Some(file) = Static::get(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mime = mime_for(&path);
    let cache = if base().ends_with(&version) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        file.data,
    )
        .into_response()
}

fn mime_for(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "webmanifest" => "application/manifest+json",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}
