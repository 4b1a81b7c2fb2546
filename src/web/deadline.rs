//! How long a request may take. An ordinary request (a page, a form) is
//! answered within `http_request_timeout_secs` or gets the 408 page. A file
//! upload (a multipart form) is not held to that: a 20 MB photo from a phone
//! on a slow network can take many minutes, so it may go on for up to
//! [`UPLOAD_DEADLINE`] as long as its bytes keep coming: every request body
//! must send something at least every `http_body_idle_timeout_secs`, or the
//! request is given up (a stalled client does not hold a connection).

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::timeout::TimeoutBody;

use super::error_page;
use crate::app::AppState;

/// The longest an upload may take in all: 20 MB at about 90 kbit/s.
pub const UPLOAD_DEADLINE: Duration = Duration::from_secs(30 * 60);

/// Applies the request deadline and the body inactivity limit.
pub async fn deadline(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let upload = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    let limit = if upload {
        UPLOAD_DEADLINE
    } else {
        Duration::from_secs(state.settings.http_request_timeout_secs)
    };
    let idle = Duration::from_secs(state.settings.http_body_idle_timeout_secs);
    let request = request.map(|body| axum::body::Body::new(TimeoutBody::new(idle, body)));
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(upload, "request given up after its deadline");
            error_page::render_error(
                StatusCode::REQUEST_TIMEOUT,
                "Délai dépassé",
                "La demande a pris trop de temps et n'a pas été traitée.",
                "Vérifiez votre connexion à Internet, puis réessayez.",
            )
            .into_response()
        }
    }
}
