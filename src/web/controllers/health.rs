//! `GET /healthz`: the process is up and its database answers.

use axum::extract::State;
use axum::http::StatusCode;

use crate::app::AppState;

pub async fn show(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.db.ping().await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(err) => {
            tracing::error!(error = %err, "health check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
