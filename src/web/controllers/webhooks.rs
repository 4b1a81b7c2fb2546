//! `POST /webhooks/sms`: the SMS provider's delivery reports (Brevo's
//! transactional SMS webhook), which mark messages delivered or bounced.
//!
//! Outside the session layer (no cookie, no CSRF form: the body is the
//! provider's JSON), so the route is authenticated by a shared secret of its
//! own: `sms_webhook_secret`, which Brevo sends as `Authorization: Bearer …`
//! (the webhook's `auth` of type `bearer`). It is compared in constant time;
//! without the setting, every report is refused.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::auth::passwords::constant_time_eq;

/// Whether the request carries the shared secret.
fn authorised(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(secret) = &state.settings.sms_webhook_secret else {
        return false;
    };
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    // Hashed first: equal lengths, whatever was sent.
    let given = Sha256::digest(given.trim().as_bytes());
    let expected = Sha256::digest(secret.expose().as_bytes());
    !secret.expose().is_empty() && constant_time_eq(&given, &expected)
}

pub async fn sms(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    if !authorised(&state, &headers) {
        return (StatusCode::UNAUTHORIZED, "unauthorised");
    }
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON");
    };
    match crate::notify::record_sms_reports(&state.db, &body).await {
        Ok(updated) => {
            tracing::info!(updated, "SMS delivery reports recorded");
            (StatusCode::OK, "ok")
        }
        Err(err) => {
            tracing::error!(
                error = format!("{err:#}"),
                "SMS delivery reports not recorded"
            );
            (StatusCode::SERVICE_UNAVAILABLE, "try again")
        }
    }
}
