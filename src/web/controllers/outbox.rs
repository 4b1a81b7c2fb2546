//! `GET /outbox`, `GET /outbox/{id}`: the e-mails kept by the outbox
//! transport, for demos and development. Answers 404 unless `outbox_web`.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;

use crate::app::AppState;
use crate::mail;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

#[derive(Template)]
#[template(path = "outbox/list.html")]
pub struct OutboxPage {
    pub chrome: Chrome,
    /// (date, recipient, id, subject)
    pub emails: Vec<(String, String, i64, String)>,
}

#[derive(Template)]
#[template(path = "outbox/show.html")]
pub struct OutboxEmailPage {
    pub chrome: Chrome,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub sent_at: String,
}

fn format_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|dt| dt.format("%d/%m/%Y %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

pub async fn list(State(state): State<AppState>, chrome: Chrome) -> Result<Html<String>, AppError> {
    if !state.settings.outbox_web {
        return Err(AppError::NotFound);
    }
    let emails = mail::list_outbox(&state.db, 200)
        .await?
        .into_iter()
        .map(|e| (format_ms(e.created_at), e.recipient, e.id, e.subject))
        .collect();
    render(&OutboxPage { chrome, emails })
}

pub async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    if !state.settings.outbox_web {
        return Err(AppError::NotFound);
    }
    let email = mail::find_outbox(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    render(&OutboxEmailPage {
        chrome,
        recipient: email.recipient,
        subject: email.subject,
        body: email.body_text,
        sent_at: format_ms(email.created_at),
    })
}
