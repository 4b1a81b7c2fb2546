//! `GET /etablissements/{uai}/taches/{job_id}`: the progress of a background
//! job of the school.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;

use crate::app::AppState;
use crate::domain::role::AnyStaff;
use crate::jobs::queue;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

#[derive(Template)]
#[template(path = "school/job.html")]
pub struct JobPage {
    pub chrome: Chrome,
    pub uai: String,
    pub job_id: i64,
    pub kind_label: &'static str,
    pub status: String,
    pub status_label: &'static str,
    pub percent: i64,
    pub finished: bool,
    pub last_error: String,
}

pub async fn show(
    State(state): State<AppState>,
    agent: CurrentAgent<AnyStaff>,
    chrome: Chrome,
    Path((_uai, job_id)): Path<(String, i64)>,
) -> Result<Html<String>, AppError> {
    let job = queue::find(state.db.pool(), job_id)
        .await?
        .filter(|job| job.school_id == Some(agent.school_id))
        .ok_or(AppError::NotFound)?;
    let (status_label, finished) = match job.status.as_str() {
        "queued" if job.attempts > 0 => ("Nouvel essai prévu", false),
        "queued" => ("En attente", false),
        "running" => ("En cours", false),
        "done" => ("Terminée", true),
        _ => ("Échec définitif", true),
    };
    let percent = match (job.status.as_str(), job.progress_total) {
        ("done", _) => 100,
        (_, 0) => 0,
        (_, total) => (job.progress_done * 100 / total).clamp(0, 100),
    };
    render(&JobPage {
        chrome,
        uai: agent.school_uai.clone(),
        job_id,
        kind_label: kind_label(&job.kind),
        status: job.status.clone(),
        status_label,
        percent,
        finished,
        last_error: job.last_error.clone(),
    })
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "send_email" => "envoi d'un courriel",
        _ => "traitement",
    }
}
