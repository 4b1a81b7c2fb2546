//! `/etablissements/{uai}/imports…`: the SIECLE import, for the direction and
//! the secretariat. Upload (multipart, streamed to the documents store) →
//! preview computed by a job → the agent reads it and confirms → the import
//! runs as a job whose progress the job page shows.

use std::sync::atomic::{AtomicBool, Ordering};

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use futures::TryStreamExt;
use serde::Deserialize;

use crate::app::AppState;
use crate::domain::role::ManageSchool;
use crate::import::alarm::Alarm;
use crate::import::jobs::{ImportApplyJob, ImportPreviewJob};
use crate::import::records::{self, ImportRow, StoredFile};
use crate::import::{Counts, Preview, Problem};
use crate::jobs;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

/// Most files in one import (the five kinds, with room for a mistake).
const MAX_FILES: usize = 8;

/// One line of the history.
pub struct ImportLine {
    pub id: i64,
    pub date: String,
    pub agent: String,
    pub files: String,
    pub status_label: &'static str,
    pub status_css: &'static str,
}

#[derive(Template)]
#[template(path = "school/imports/list.html")]
pub struct ImportsPage {
    pub chrome: Chrome,
    pub uai: String,
    pub imports: Vec<ImportLine>,
    pub max_mb: u64,
}

#[derive(Template)]
#[template(path = "school/imports/show.html")]
pub struct ImportPage {
    pub chrome: Chrome,
    pub uai: String,
    pub id: i64,
    pub status: String,
    pub status_label: &'static str,
    pub status_css: &'static str,
    pub files: Vec<StoredFile>,
    pub preview: Option<Preview>,
    pub counts: Counts,
    pub problems: Vec<Problem>,
    pub fatal: bool,
    pub error: String,
    pub job_id: Option<i64>,
    /// The numbers look like another school's files: confirming needs the
    /// agent to tick that they read this.
    pub alarm: Option<Alarm>,
    /// Confirmed without ticking it.
    pub alarm_not_acknowledged: bool,
}

fn status_of(status: &str) -> (&'static str, &'static str) {
    match status {
        "previewing" => ("Analyse en cours", "info"),
        "previewed" => ("À confirmer", "new"),
        "refused" => ("Refusé", "error"),
        "applying" => ("Import en cours", "info"),
        "done" => ("Importé", "success"),
        _ => ("Échec", "error"),
    }
}

fn date_of(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| {
            d.with_timezone(&chrono::FixedOffset::east_opt(3600).expect("valid offset"))
                .format("%d/%m/%Y %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

pub async fn list(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
) -> Result<Html<String>, AppError> {
    let rows = records::list(state.db.pool(), agent.school_id, 50).await?;
    let imports = rows
        .iter()
        .map(|row| {
            let (status_label, status_css) = status_of(&row.status);
            ImportLine {
                id: row.id,
                date: date_of(row.created_at),
                agent: row
                    .created_by_name
                    .clone()
                    .unwrap_or_else(|| "ligne de commande".into()),
                files: row
                    .files()
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                status_label,
                status_css,
            }
        })
        .collect();
    render(&ImportsPage {
        chrome,
        uai: agent.school_uai.clone(),
        imports,
        max_mb: state.settings.upload_max_bytes / (1024 * 1024),
    })
}

/// Receives the files: each is streamed to the documents store under the
/// upload limit; over it, nothing is kept and the agent gets the 413 page.
pub async fn create(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let batch = uuid::Uuid::new_v4().simple().to_string();
    let mut stored: Vec<StoredFile> = Vec::new();
    let outcome = receive_files(&state, &agent, &batch, &mut multipart, &mut stored).await;
    if let Err(err) = outcome {
        for file in &stored {
            let _ = state.documents.delete(&file.key).await;
        }
        return Err(err);
    }
    if stored.is_empty() {
        return Ok(redirect_with_flash(
            &state,
            &format!("/etablissements/{}/imports", agent.school_uai),
            Flash::error("Choisissez au moins un fichier exporté de SIECLE."),
        ));
    }
    let mut tx = state.db.begin().await?;
    let import_id = records::create(&mut *tx, agent.school_id, &stored, Some(agent.agent_id))
        .await
        .map_err(AppError::Internal)?;
    let job_id = jobs::enqueue(
        &mut *tx,
        &ImportPreviewJob {
            import_id,
            school_id: agent.school_id,
        },
        None,
        Some(agent.school_id),
    )
    .await?;
    records::set_preview_job(&mut *tx, import_id, job_id).await?;
    agent
        .audit(&mut *tx, "import_uploaded", &format!("import:{import_id}"))
        .await?;
    tx.commit().await?;
    state.job_signal.notify();
    Ok(redirect_with_flash(
        &state,
        &format!("/etablissements/{}/imports/{import_id}", agent.school_uai),
        Flash::success(format!(
            "{} fichier(s) reçu(s) : l'analyse est en cours, rien n'est encore importé.",
            stored.len()
        )),
    ))
}

async fn receive_files(
    state: &AppState,
    agent: &CurrentAgent<ManageSchool>,
    batch: &str,
    multipart: &mut Multipart,
    stored: &mut Vec<StoredFile>,
) -> Result<(), AppError> {
    let too_large = AtomicBool::new(false);
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(()),
            Err(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(AppError::PayloadTooLarge);
            }
            Err(err) => return Err(AppError::BadRequest(err.body_text())),
        };
        if field.name() != Some("fichiers") {
            continue;
        }
        let name = field.file_name().unwrap_or_default().trim().to_string();
        if name.is_empty() {
            continue;
        }
        if stored.len() >= MAX_FILES {
            return Err(AppError::BadRequest("too many files".into()));
        }
        let key = format!("imports/{}/{batch}/{}", agent.school_id, stored.len());
        let body = field.map_err(|err| {
            if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large.store(true, Ordering::Relaxed);
            }
            std::io::Error::other(err.body_text())
        });
        match state
            .documents
            .put_stream(&key, body, state.settings.upload_max_bytes)
            .await
        {
            Ok(size) => stored.push(StoredFile {
                name: name.chars().take(200).collect(),
                key,
                size,
            }),
            Err(_) if too_large.load(Ordering::Relaxed) => return Err(AppError::PayloadTooLarge),
            Err(err) => return Err(err.into()),
        }
    }
}

pub async fn show(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Path((_uai, id)): Path<(String, i64)>,
) -> Result<Html<String>, AppError> {
    let row = find(&state, &agent, id).await?;
    render(&import_page(chrome, &agent, &row, false))
}

fn import_page(
    chrome: Chrome,
    agent: &CurrentAgent<ManageSchool>,
    row: &ImportRow,
    alarm_not_acknowledged: bool,
) -> ImportPage {
    let (status_label, status_css) = status_of(&row.status);
    let preview = row.preview();
    let job_id = match row.status.as_str() {
        "previewing" => row.preview_job_id,
        "applying" | "done" | "failed" => row.apply_job_id,
        _ => None,
    };
    ImportPage {
        chrome,
        uai: agent.school_uai.clone(),
        id: row.id,
        status: row.status.clone(),
        status_label,
        status_css,
        files: row.files(),
        counts: preview
            .as_ref()
            .map(|p| p.counts.clone())
            .unwrap_or_default(),
        problems: preview
            .as_ref()
            .map(|p| p.problems.clone())
            .unwrap_or_default(),
        fatal: row.fatal,
        error: row.error.clone(),
        alarm: preview.as_ref().and_then(Preview::alarm),
        alarm_not_acknowledged,
        preview,
        job_id,
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    /// `lu` when the agent ticked that they read the preview's alarm.
    #[serde(default)]
    avertissement: String,
}

/// The agent confirmed the preview: the import is queued as a job. A
/// preview that raises an alarm is confirmed only with the alarm
/// acknowledged; otherwise the page comes back, saying so, and nothing runs.
pub async fn confirm(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Path((_uai, id)): Path<(String, i64)>,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, AppError> {
    let row = find(&state, &agent, id).await?;
    let alarm = row.preview().as_ref().and_then(Preview::alarm);
    if alarm.is_some() && form.avertissement != "lu" {
        let page = import_page(chrome, &agent, &row, true);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let mut tx = state.db.begin().await?;
    let job_id = jobs::enqueue(
        &mut *tx,
        &ImportApplyJob {
            import_id: row.id,
            school_id: agent.school_id,
        },
        Some(&format!("import_apply:{}", row.id)),
        Some(agent.school_id),
    )
    .await?;
    if !records::mark_applying(&mut tx, row.id, job_id).await? {
        tx.rollback().await?;
        return Ok(redirect_with_flash(
            &state,
            &format!("/etablissements/{}/imports/{}", agent.school_uai, row.id),
            Flash::error("Cet import ne peut pas (ou plus) être confirmé."),
        ));
    }
    agent
        .audit(&mut *tx, "import_confirmed", &format!("import:{}", row.id))
        .await?;
    tx.commit().await?;
    state.job_signal.notify();
    Ok(redirect_with_flash(
        &state,
        &format!("/etablissements/{}/taches/{job_id}", agent.school_uai),
        Flash::success(
            "L'import a commencé : vous pouvez suivre son avancement ici ou quitter cette page.",
        ),
    ))
}

async fn find(
    state: &AppState,
    agent: &CurrentAgent<ManageSchool>,
    id: i64,
) -> Result<ImportRow, AppError> {
    records::find(state.db.pool(), agent.school_id, id)
        .await?
        .ok_or(AppError::NotFound)
}
