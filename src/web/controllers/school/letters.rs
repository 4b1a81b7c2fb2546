//! Personal codes in bulk, printed on letters (issue 12):
//! `GET …/courriers` (whom for, the school's text, earlier batches),
//! `POST …/courriers` (says what it would do — letters, new codes, codes
//! replaced — and asks to confirm; once confirmed, queues the batch),
//! `GET …/courriers/{batch_id}` (progress, then the file) and
//! `GET …/courriers/{batch_id}/courriers.pdf` (the file, for the agent who
//! asked only, until it is deleted).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;

use crate::app::AppState;
use crate::db::letters::{self as batches, Batch, NewBatch};
use crate::domain::role::ManageSchool;
use crate::domain::words;
use crate::jobs::{self, queue};
use crate::letters::job::MakeLettersJob;
use crate::letters::{self, Plan, Selection};
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

/// The largest PDF served (1,700 letters are about 40 MB).
const PDF_LIMIT: u64 = 512 * 1024 * 1024;

#[derive(Debug, Default, Deserialize)]
pub struct LettersForm {
    /// "division" for one class, "selection" for the ticked pupils of the
    /// dossier list; anything else: the whole school.
    #[serde(default)]
    scope: String,
    #[serde(default)]
    division: String,
    #[serde(default)]
    only_without_contact: Option<String>,
    #[serde(default)]
    replace_codes: Option<String>,
    #[serde(default)]
    letter_text: String,
    /// Chosen pupils' dossiers (a selection from the dossier list), if any.
    #[serde(default)]
    dossier: Vec<i64>,
    /// Present once the agent confirmed the numbers shown.
    #[serde(default)]
    confirmed: Option<String>,
    /// The number of replaced codes the agent read and confirmed.
    #[serde(default)]
    confirmed_replacements: Option<i64>,
}

impl LettersForm {
    fn selection(&self) -> Selection {
        Selection {
            division: (self.scope == "division" && !self.division.trim().is_empty())
                .then(|| self.division.trim().to_owned()),
            // A selection with nobody ticked selects nobody, not everybody.
            dossiers: (self.scope == "selection" || !self.dossier.is_empty())
                .then(|| self.dossier.clone()),
            only_without_contact: self.only_without_contact.is_some(),
        }
    }

    fn replace(&self) -> bool {
        self.replace_codes.is_some()
    }

    fn text(&self) -> String {
        let text = self.letter_text.trim();
        if text.is_empty() {
            letters::DEFAULT_TEXT.to_owned()
        } else {
            text.chars().take(4000).collect()
        }
    }
}

pub struct BatchLine {
    pub id: i64,
    pub created: String,
    pub whom: String,
    pub status: &'static str,
    pub letters: i64,
}

#[derive(Template)]
#[template(path = "school/letters/new.html")]
pub struct NewPage {
    pub chrome: Chrome,
    pub uai: String,
    pub divisions: Vec<String>,
    pub default_text: &'static str,
    pub batches: Vec<BatchLine>,
}

#[derive(Template)]
#[template(path = "school/letters/confirm.html")]
pub struct ConfirmPage {
    pub chrome: Chrome,
    pub uai: String,
    pub whom: String,
    pub plan_letters: usize,
    pub new_codes: usize,
    pub replaced: usize,
    pub left_out: usize,
    /// The numbers changed since the agent read them.
    pub changed: bool,
    pub scope: String,
    pub division: String,
    pub only_without_contact: bool,
    pub replace_codes: bool,
    pub letter_text: String,
    pub dossiers: Vec<i64>,
}

#[derive(Template)]
#[template(path = "school/letters/show.html")]
pub struct ShowPage {
    pub chrome: Chrome,
    pub uai: String,
    pub batch_id: i64,
    pub whom: String,
    pub created: String,
    pub status: String,
    pub status_label: &'static str,
    pub percent: i64,
    pub finished: bool,
    pub failure: String,
    pub letters: i64,
    pub issued: i64,
    pub replaced: i64,
    /// The file can be downloaded by this agent now.
    pub downloadable: bool,
    pub requester: bool,
    pub deleted: bool,
    pub kept_hours: i64,
}

fn whom(division: Option<&str>, selected: Option<usize>, only_without_contact: bool) -> String {
    let mut text = match (division, selected) {
        (_, Some(n)) => format!("les responsables de {n} élève(s) choisi(s)"),
        (Some(division), None) => format!("les responsables des élèves de {division}"),
        (None, None) => "tous les responsables de l'établissement".to_owned(),
    };
    if only_without_contact {
        text.push_str(", sans courriel ni téléphone portable");
    }
    text
}

fn batch_whom(batch: &Batch) -> String {
    whom(
        batch.division.as_deref(),
        batch.selected_dossiers().map(|ids| ids.len()),
        batch.only_without_contact,
    )
}

fn status_label(batch: &Batch) -> &'static str {
    match batch.status.as_str() {
        "queued" => "En préparation",
        "done" if batch.document_deleted_at.is_some() => "Imprimé, fichier supprimé",
        "done" => "Prêt",
        _ => "Échec",
    }
}

/// `GET …/courriers`
pub async fn new(
    State(state): State<AppState>,
    manager: CurrentAgent<ManageSchool>,
    chrome: Chrome,
) -> Result<Html<String>, AppError> {
    let divisions = batches::divisions(state.db.pool(), manager.school_id).await?;
    let batches = batches::list_in_school(state.db.pool(), manager.scope(), 20)
        .await?
        .iter()
        .map(|b| BatchLine {
            id: b.id,
            created: words::paris_time(b.created_at),
            whom: batch_whom(b),
            status: status_label(b),
            letters: b.letters,
        })
        .collect();
    render(&NewPage {
        chrome,
        uai: manager.school_uai.clone(),
        divisions,
        default_text: letters::DEFAULT_TEXT,
        batches,
    })
}

fn confirm_page(
    chrome: Chrome,
    manager: &CurrentAgent<ManageSchool>,
    form: &LettersForm,
    plan: &Plan,
    changed: bool,
) -> ConfirmPage {
    let selection = form.selection();
    ConfirmPage {
        chrome,
        uai: manager.school_uai.clone(),
        whom: whom(
            selection.division.as_deref(),
            selection.dossiers.as_ref().map(Vec::len),
            selection.only_without_contact,
        ),
        plan_letters: plan.letters.len(),
        new_codes: plan.new_codes,
        replaced: plan.replaced,
        left_out: plan.left_out,
        changed,
        scope: form.scope.clone(),
        division: selection.division.clone().unwrap_or_default(),
        only_without_contact: selection.only_without_contact,
        replace_codes: form.replace(),
        letter_text: form.text(),
        dossiers: form.dossier.clone(),
    }
}

/// `POST …/courriers`: without `confirmed`, or when the numbers changed since
/// they were read, shows them and asks to confirm (nothing is issued); once
/// confirmed, queues the batch and goes to its page.
pub async fn create(
    State(state): State<AppState>,
    manager: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Form(form): Form<LettersForm>,
) -> Result<Response, AppError> {
    let selection = form.selection();
    let replace = form.replace();
    let plan = letters::plan(&state.db, manager.school_id, &selection, replace).await?;
    let confirmed = form.confirmed.is_some();
    let same_numbers = form.confirmed_replacements == Some(plan.replaced as i64);
    if !confirmed || !same_numbers || plan.letters.is_empty() {
        let changed = confirmed && !same_numbers;
        return Ok(render(&confirm_page(chrome, &manager, &form, &plan, changed))?.into_response());
    }
    let mut tx = state.db.begin().await?;
    let batch_id = batches::create(
        &mut *tx,
        &NewBatch {
            school_id: manager.school_id,
            agent_id: Some(manager.agent_id),
            division: selection.division.clone(),
            dossier_ids: selection.dossiers.clone(),
            only_without_contact: selection.only_without_contact,
            replace_codes: replace,
            confirmed_replacements: plan.replaced as i64,
            letter_text: form.text(),
        },
    )
    .await?;
    let job_id = jobs::enqueue(
        &mut *tx,
        &MakeLettersJob {
            batch_id,
            school_id: manager.school_id,
        },
        None,
        Some(manager.school_id),
    )
    .await
    .map_err(AppError::Internal)?;
    batches::set_job(&mut *tx, batch_id, job_id).await?;
    manager
        .audit(
            &mut *tx,
            "letters_requested",
            &format!(
                "letters:{batch_id} letters={} replaced={}",
                plan.letters.len(),
                plan.replaced
            ),
        )
        .await?;
    tx.commit().await?;
    state.job_signal.notify();
    Ok(Redirect::to(&format!(
        "/etablissements/{}/courriers/{batch_id}",
        manager.school_uai
    ))
    .into_response())
}

async fn show_page(
    state: &AppState,
    manager: &CurrentAgent<ManageSchool>,
    chrome: Chrome,
    batch: &Batch,
) -> Result<ShowPage, AppError> {
    let (mut percent, mut finished) = (100, true);
    if batch.status == "queued" {
        finished = false;
        percent = 0;
        if let Some(job_id) = batch.job_id
            && let Some(job) = queue::find(state.db.pool(), job_id).await?
        {
            let (done, total) = state
                .live_progress
                .get(job_id)
                .filter(|_| job.status == "running")
                .unwrap_or((job.progress_done, job.progress_total));
            if total > 0 {
                percent = (done * 100 / total).clamp(0, 99);
            }
            if job.status == "failed" {
                finished = true;
            }
        }
    }
    let requester = batch.agent_id == Some(manager.agent_id);
    let deleted = batch.document_deleted_at.is_some();
    Ok(ShowPage {
        chrome,
        uai: manager.school_uai.clone(),
        batch_id: batch.id,
        whom: batch_whom(batch),
        created: words::paris_time(batch.created_at),
        status: batch.status.clone(),
        status_label: status_label(batch),
        percent,
        finished,
        failure: batch.failure.clone(),
        letters: batch.letters,
        issued: batch.issued,
        replaced: batch.replaced,
        downloadable: requester
            && batch.status == "done"
            && !deleted
            && batch.document_key.is_some(),
        requester,
        deleted,
        kept_hours: crate::letters::job::PDF_KEPT_MS / 3_600_000,
    })
}

async fn batch_of(
    state: &AppState,
    manager: &CurrentAgent<ManageSchool>,
    batch_id: i64,
) -> Result<Batch, AppError> {
    batches::find_in_school(state.db.pool(), manager.scope(), batch_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET …/courriers/{batch_id}`
pub async fn show(
    State(state): State<AppState>,
    manager: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Path((_uai, batch_id)): Path<(String, i64)>,
) -> Result<Html<String>, AppError> {
    let batch = batch_of(&state, &manager, batch_id).await?;
    render(&show_page(&state, &manager, chrome, &batch).await?)
}

/// `GET …/courriers/{batch_id}/courriers.pdf`: the file, for the agent who
/// asked for it (it holds codes in clear); anyone else, or after the file was
/// deleted, reads the batch's page, which says why.
pub async fn download(
    State(state): State<AppState>,
    manager: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Path((_uai, batch_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let batch = batch_of(&state, &manager, batch_id).await?;
    let page = show_page(&state, &manager, chrome, &batch).await?;
    let key = match (&batch.document_key, page.downloadable) {
        (Some(key), true) => key.clone(),
        _ => {
            let status = if page.deleted {
                StatusCode::GONE
            } else {
                StatusCode::OK
            };
            return Ok((status, render(&page)?).into_response());
        }
    };
    let bytes = match state.documents.get_bytes(&key, PDF_LIMIT).await {
        Ok(bytes) => bytes,
        Err(crate::documents::DocumentError::NotFound) => {
            return Ok((StatusCode::GONE, render(&page)?).into_response());
        }
        Err(err) => return Err(AppError::Internal(err.into())),
    };
    manager
        .audit(
            state.db.pool(),
            "letters_downloaded",
            &format!("letters:{batch_id}"),
        )
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"courriers-{}-{batch_id}.pdf\"",
                    manager.school_uai
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
