//! Cross-site request forgery protection, applied by the session middleware to
//! every unsafe request, so that no handler can forget it.
//!
//! Each form carries a hidden `csrf_token` (an HMAC of the visitor's cookie);
//! the middleware reads it from the body before the handler runs:
//! - `application/x-www-form-urlencoded`: the body (small) is read, checked and
//!   handed on unchanged;
//! - `multipart/form-data`: only the first part is read, which must be the
//!   token (our forms put it first), and the rest of the upload streams on.
//!
//! Other content types are refused: the application has no JSON API. Requests
//! that a browser marks as cross-site (`Sec-Fetch-Site`, `Origin`) are refused
//! before the body is read.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, header};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;

/// Largest urlencoded form body (uploads go through multipart).
pub const FORM_LIMIT: usize = 256 * 1024;
/// Largest multipart prefix read to find the token.
const MULTIPART_PREFIX_LIMIT: usize = 16 * 1024;

/// Why a request was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum CsrfRefusal {
    CrossSite,
    MissingOrWrongToken,
    UnsupportedBody,
    FormTooLarge,
}

pub fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses a request a browser says comes from another site.
pub fn check_origin(headers: &HeaderMap, base_url: &str) -> Result<(), CsrfRefusal> {
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return Err(CsrfRefusal::CrossSite);
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    // A page served with `Referrer-Policy: no-referrer` (the sign-in link's)
    // makes the browser send `Origin: null` with its own forms; the browser's
    // `Sec-Fetch-Site` (which no page can set) still says where it comes from.
    // A sandboxed frame elsewhere also sends `null`, but never "same-origin".
    if origin == "null" {
        let same_origin =
            headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("same-origin");
        return if same_origin {
            Ok(())
        } else {
            Err(CsrfRefusal::CrossSite)
        };
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let same_host = url::Url::parse(origin)
        .ok()
        .and_then(|url| url.host_str().map(|h| (h.to_owned(), url.port())))
        .is_some_and(|(h, port)| {
            let origin_host = match port {
                Some(port) => format!("{h}:{port}"),
                None => h,
            };
            origin_host.eq_ignore_ascii_case(host)
        });
    if same_host || origin.trim_end_matches('/') == base_url.trim_end_matches('/') {
        Ok(())
    } else {
        Err(CsrfRefusal::CrossSite)
    }
}

/// Reads the `csrf_token` of an unsafe request and gives back a request whose
/// body is intact.
pub async fn extract_token(
    request: Request<Body>,
) -> Result<(Option<String>, Request<Body>), CsrfRefusal> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| CsrfRefusal::FormTooLarge)?;
        let token = form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == "csrf_token")
            .map(|(_, v)| v.into_owned());
        Ok((token, Request::from_parts(parts, Body::from(bytes))))
    } else if content_type.starts_with("multipart/form-data") {
        let boundary = content_type
            .split(';')
            .find_map(|p| p.trim().strip_prefix("boundary="))
            .map(|b| b.trim_matches('"').to_owned())
            .ok_or(CsrfRefusal::UnsupportedBody)?;
        // The boundary's case matters: take it from the original header.
        let original = request.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap_or("");
        let boundary = original
            .split(';')
            .find_map(|p| p.trim().strip_prefix("boundary="))
            .map(|b| b.trim_matches('"').to_owned())
            .unwrap_or(boundary);
        let (parts, body) = request.into_parts();
        let mut stream = body.into_data_stream();
        let mut prefix = BytesMut::new();
        let token = loop {
            if let Some(found) = first_part_token(&prefix, &boundary) {
                break found;
            }
            if prefix.len() > MULTIPART_PREFIX_LIMIT {
                break None;
            }
            match stream.next().await {
                Some(Ok(chunk)) => prefix.extend_from_slice(&chunk),
                Some(Err(_)) | None => break None,
            }
        };
        let prefix: Bytes = prefix.freeze();
        let body = Body::from_stream(
            futures::stream::once(async move { Ok::<_, axum::Error>(prefix) }).chain(stream),
        );
        Ok((token, Request::from_parts(parts, body)))
    } else {
        Err(CsrfRefusal::UnsupportedBody)
    }
}

/// `Some(Some(token))` when the first part is a complete `csrf_token` field,
/// `Some(None)` when the first part is complete but something else, `None`
/// when more bytes are needed.
fn first_part_token(buf: &[u8], boundary: &str) -> Option<Option<String>> {
    let start = format!("--{boundary}\r\n");
    if buf.len() < start.len() {
        return None;
    }
    if !buf.starts_with(start.as_bytes()) {
        return Some(None);
    }
    let rest = &buf[start.len()..];
    let headers_end = find(rest, b"\r\n\r\n")?;
    let headers = String::from_utf8_lossy(&rest[..headers_end]).to_ascii_lowercase();
    let value_start = headers_end + 4;
    let end_marker = format!("\r\n--{boundary}");
    let value_end = find(&rest[value_start..], end_marker.as_bytes())?;
    let is_token = headers.lines().any(|line| {
        line.starts_with("content-disposition:") && line.contains("name=\"csrf_token\"")
    });
    if !is_token {
        return Some(None);
    }
    Some(String::from_utf8(rest[value_start..value_start + value_end].to_vec()).ok())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_found_in_the_first_multipart_part_only() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc123\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n...";
        assert_eq!(first_part_token(body, "XyZ"), Some(Some("abc123".into())));
        assert_eq!(first_part_token(&body[..30], "XyZ"), None);
        let other = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n--XyZ--";
        assert_eq!(first_part_token(other, "XyZ"), Some(None));
        assert_eq!(first_part_token(b"garbage garbage", "XyZ"), Some(None));
    }

    #[test]
    fn cross_site_requests_are_refused_and_same_host_ones_accepted() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "localhost:8080".parse().unwrap());
        headers.insert(header::ORIGIN, "http://localhost:8080".parse().unwrap());
        assert_eq!(check_origin(&headers, "http://127.0.0.1:8080"), Ok(()));
        headers.insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert_eq!(
            check_origin(&headers, "http://127.0.0.1:8080"),
            Err(CsrfRefusal::CrossSite)
        );
        headers.remove(header::ORIGIN);
        headers.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert_eq!(
            check_origin(&headers, "http://127.0.0.1:8080"),
            Err(CsrfRefusal::CrossSite)
        );
    }

    #[test]
    fn a_null_origin_is_accepted_only_when_the_browser_says_same_origin() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "localhost:8080".parse().unwrap());
        headers.insert(header::ORIGIN, "null".parse().unwrap());
        let base = "http://127.0.0.1:8080";
        assert_eq!(check_origin(&headers, base), Err(CsrfRefusal::CrossSite));
        headers.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert_eq!(check_origin(&headers, base), Err(CsrfRefusal::CrossSite));
        headers.insert("sec-fetch-site", "same-site".parse().unwrap());
        assert_eq!(check_origin(&headers, base), Err(CsrfRefusal::CrossSite));
        headers.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert_eq!(check_origin(&headers, base), Ok(()));
    }
}
