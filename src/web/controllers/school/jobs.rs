//! `GET /etablissements/{uai}/taches/{job_id}`: the progress of a background
//! job of the school.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;

use crate::app::AppState;
use crate::db::{imports, letters};
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
    /// The page the job belongs to (e.g. its import), when there is one.
    pub back: Option<(String, String)>,
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
    // A job this instance runs may be ahead of the table (see LiveProgress).
    let (done, total) = state
        .live_progress
        .get(job_id)
        .filter(|_| job.status == "running")
        .unwrap_or((job.progress_done, job.progress_total));
    let percent = match (job.status.as_str(), total) {
        ("done", _) => 100,
        (_, 0) => 0,
        (_, total) => (done * 100 / total).clamp(0, 100),
    };
    let back = match job.kind.as_str() {
        "import_preview" | "import_apply" => {
            imports::id_of_job(state.db.pool(), agent.school_id, job_id)
                .await?
                .map(|id| {
                    (
                        format!("/etablissements/{}/imports/{id}", agent.school_uai),
                        format!("Voir l'import n° {id}"),
                    )
                })
        }
        "make_letters" => letters::id_of_job(state.db.pool(), agent.scope(), job_id)
            .await?
            .map(|id| {
                (
                    format!("/etablissements/{}/courriers/{id}", agent.school_uai),
                    format!("Voir les courriers n° {id}"),
                )
            }),
        _ => None,
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
        back,
    })
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "send_email" => "envoi d'un courriel",
        "send_sms" => "envoi d'un SMS",
        "import_preview" => "analyse d'un import SIECLE",
        "import_apply" => "import SIECLE",
        "make_letters" => "préparation de courriers",
        _ => "traitement",
    }
}
