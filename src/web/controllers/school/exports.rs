//! The school's exports (issue 13), two desks with the same pages:
//! `…/exports` for the direction and the secretariat (spreadsheets, ZIPs of
//! pieces, convocations) and `…/fiches-sante` for the nurse (the medical
//! forms, which never leave that role). `GET` lists what may be exported and
//! the latest exports, `POST` queues one (a job), `GET …/{id}` shows its
//! progress then the download link, `GET …/{id}/fichier` streams the file
//! until it expires. An id of the other desk is « not found ».

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;

use crate::app::AppState;
use crate::db::exports::{self as rows, ExportRow};
use crate::db::letters as classes;
use crate::domain::role::{ManageSchool, Permission, ReadMedical};
use crate::domain::words;
use crate::exports::job::MakeExportJob;
use crate::exports::{Kind, Params};
use crate::jobs::{self, queue};
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

/// A desk: where its pages are and what it exports.
trait Desk: Permission {
    const PATH: &'static str;
    const KINDS: &'static [Kind];
}

impl Desk for ManageSchool {
    const PATH: &'static str = "exports";
    const KINDS: &'static [Kind] = &[
        Kind::Changes,
        Kind::Options,
        Kind::Canteen,
        Kind::Answers,
        Kind::AllSpreadsheets,
        Kind::PiecesByType,
        Kind::PiecesByClass,
        Kind::Convocations,
    ];
}

impl Desk for ReadMedical {
    const PATH: &'static str = "fiches-sante";
    const KINDS: &'static [Kind] = &[Kind::MedicalForms];
}

#[derive(Debug, Default, Deserialize)]
pub struct ExportForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    division: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
    #[serde(default)]
    place: String,
}

impl ExportForm {
    fn params(&self) -> Params {
        Params {
            division: self.division.trim().to_owned(),
            date: self.date.trim().to_owned(),
            time: self.time.trim().to_owned(),
            place: self.place.trim().to_owned(),
        }
    }
}

/// A line of the latest exports.
pub struct ExportLine {
    pub id: i64,
    pub created: String,
    pub label: &'static str,
    pub requester: String,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "school/exports/list.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub uai: String,
    pub base: String,
    pub medical: bool,
    pub spreadsheets: Vec<(&'static str, &'static str)>,
    pub divisions: Vec<String>,
    pub form_division: String,
    pub form_date: String,
    pub form_time: String,
    pub form_place: String,
    pub errors: Vec<(&'static str, String)>,
    pub kept_hours: u32,
    pub exports: Vec<ExportLine>,
}

impl ListPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, e)| e)
    }
}

#[derive(Template)]
#[template(path = "school/exports/show.html")]
pub struct ShowPage {
    pub chrome: Chrome,
    pub uai: String,
    pub base: String,
    pub id: i64,
    pub label: &'static str,
    pub created: String,
    pub requester: String,
    pub detail: String,
    pub status: String,
    pub status_label: &'static str,
    pub percent: i64,
    pub finished: bool,
    pub failure: String,
    pub downloadable: bool,
    pub size: String,
    pub expires: String,
    pub kept_hours: u32,
}

fn status_label(row: &ExportRow) -> &'static str {
    match row.status.as_str() {
        "queued" => "En préparation",
        "done" => "Prêt",
        "expired" => "Fichier supprimé",
        _ => "Échec",
    }
}

fn base<P: Desk>(agent: &CurrentAgent<P>) -> String {
    format!("/etablissements/{}/{}", agent.school_uai, P::PATH)
}

async fn list_page<P: Desk>(
    state: &AppState,
    agent: &CurrentAgent<P>,
    chrome: Chrome,
    form: &ExportForm,
    errors: Vec<(&'static str, String)>,
) -> Result<ListPage, AppError> {
    let codes: Vec<&str> = P::KINDS.iter().map(|k| k.code()).collect();
    let exports = rows::list_in_school(state.db.pool(), agent.scope(), &codes, 20)
        .await?
        .iter()
        .map(|r| ExportLine {
            id: r.id,
            created: words::paris_time(r.created_at),
            label: Kind::from_code(&r.kind).map_or("Export", Kind::label),
            requester: r.requester.clone(),
            status: status_label(r),
        })
        .collect();
    let medical = P::KINDS.contains(&Kind::MedicalForms);
    let divisions = if medical {
        Vec::new()
    } else {
        classes::divisions(state.db.pool(), agent.school_id).await?
    };
    Ok(ListPage {
        chrome,
        uai: agent.school_uai.clone(),
        base: base(agent),
        medical,
        spreadsheets: Kind::SPREADSHEETS
            .iter()
            .filter(|k| P::KINDS.contains(k))
            .map(|k| (k.code(), k.label()))
            .collect(),
        divisions,
        form_division: form.division.clone(),
        form_date: form.date.clone(),
        form_time: form.time.clone(),
        form_place: form.place.clone(),
        errors,
        kept_hours: state.settings.export_retention_hours,
        exports,
    })
}

async fn list<P: Desk>(
    state: AppState,
    agent: CurrentAgent<P>,
    chrome: Chrome,
) -> Result<Html<String>, AppError> {
    render(&list_page(&state, &agent, chrome, &ExportForm::default(), Vec::new()).await?)
}

async fn create<P: Desk>(
    state: AppState,
    agent: CurrentAgent<P>,
    chrome: Chrome,
    form: ExportForm,
) -> Result<Response, AppError> {
    let kind = Kind::from_code(&form.kind).filter(|k| P::KINDS.contains(k));
    let params = form.params();
    let errors = match kind {
        None => vec![("kind", "Choisissez un export dans la liste.".to_owned())],
        Some(kind) => params.errors(kind),
    };
    let Some(kind) = kind.filter(|_| errors.is_empty()) else {
        let page = list_page(&state, &agent, chrome, &form, errors).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    };
    let mut tx = state.db.begin().await?;
    let export_id = rows::create(
        &mut *tx,
        agent.scope(),
        kind.code(),
        &params.to_json(),
        agent.agent_id,
    )
    .await?;
    let job_id = jobs::enqueue(
        &mut *tx,
        &MakeExportJob {
            export_id,
            school_id: agent.school_id,
        },
        None,
        Some(agent.school_id),
    )
    .await
    .map_err(AppError::Internal)?;
    rows::set_job(&mut *tx, export_id, job_id).await?;
    agent
        .audit(
            &mut *tx,
            "export_requested",
            &format!("export:{export_id} {}", kind.code()),
        )
        .await?;
    tx.commit().await?;
    state.job_signal.notify();
    Ok(Redirect::to(&format!("{}/{export_id}", base(&agent))).into_response())
}

/// The export `id` of this desk's kinds in the agent's school.
async fn export_of<P: Desk>(
    state: &AppState,
    agent: &CurrentAgent<P>,
    id: i64,
) -> Result<(ExportRow, Kind), AppError> {
    let row = rows::find_in_school(state.db.pool(), agent.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let kind = Kind::from_code(&row.kind)
        .filter(|k| P::KINDS.contains(k))
        .ok_or(AppError::NotFound)?;
    Ok((row, kind))
}

async fn show_page<P: Desk>(
    state: &AppState,
    agent: &CurrentAgent<P>,
    chrome: Chrome,
    row: &ExportRow,
    kind: Kind,
) -> Result<ShowPage, AppError> {
    let (mut percent, mut finished, mut failure) = (100, true, row.failure.clone());
    if row.status == "queued" {
        let job = match row.job_id {
            Some(job_id) => queue::find(state.db.pool(), job_id).await?,
            None => None,
        };
        match job {
            Some(job) if job.status == "failed" => {
                failure = "L'export n'a pas pu être préparé. Recommencez ; si l'échec se répète, signalez-le.".into();
            }
            Some(job) => {
                finished = false;
                let (done, total) = state
                    .live_progress
                    .get(job.id)
                    .filter(|_| job.status == "running")
                    .unwrap_or((job.progress_done, job.progress_total));
                percent = if total > 0 {
                    (done * 100 / total).clamp(0, 99)
                } else {
                    0
                };
            }
            None => finished = false,
        }
    }
    let params = Params::from_json(&row.params);
    let detail = match kind {
        Kind::Convocations => format!(
            "{}, le {}, lieu : {}",
            if params.division.is_empty() {
                "Toutes les classes".to_owned()
            } else {
                format!("Classe {}", params.division)
            },
            crate::exports::pdfs::when(&params),
            params.place
        ),
        Kind::AllSpreadsheets => {
            let names: Vec<String> = Kind::SPREADSHEETS
                .iter()
                .map(|k| format!("{}.xlsx", k.file_stem()))
                .collect();
            let (last, first) = names.split_last().expect("four spreadsheets");
            format!(
                "Une archive ZIP des quatre tableurs : {} et {last}",
                first.join(", ")
            )
        }
        _ => String::new(),
    };
    let status = if row.status == "queued" && !failure.is_empty() {
        "failed".to_owned()
    } else {
        row.status.clone()
    };
    Ok(ShowPage {
        chrome,
        uai: agent.school_uai.clone(),
        base: base(agent),
        id: row.id,
        label: kind.label(),
        created: words::paris_time(row.created_at),
        requester: row.requester.clone(),
        detail,
        status_label: if status == "failed" {
            "Échec"
        } else {
            status_label(row)
        },
        status,
        percent,
        finished,
        failure,
        downloadable: row.status == "done" && row.document_key.is_some(),
        size: size_in_words(row.size_bytes),
        expires: row.expires_at.map(words::paris_time).unwrap_or_default(),
        kept_hours: state.settings.export_retention_hours,
    })
}

fn size_in_words(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} Mo", bytes as f64 / (1024.0 * 1024.0)).replace('.', ",")
    } else {
        format!("{} ko", (bytes + 1023) / 1024)
    }
}

async fn show<P: Desk>(
    state: AppState,
    agent: CurrentAgent<P>,
    chrome: Chrome,
    id: i64,
) -> Result<Html<String>, AppError> {
    let (row, kind) = export_of(&state, &agent, id).await?;
    render(&show_page(&state, &agent, chrome, &row, kind).await?)
}

async fn download<P: Desk>(
    state: AppState,
    agent: CurrentAgent<P>,
    chrome: Chrome,
    id: i64,
) -> Result<Response, AppError> {
    let (row, kind) = export_of(&state, &agent, id).await?;
    let page = show_page(&state, &agent, chrome, &row, kind).await?;
    let gone = |page: &ShowPage| -> Result<Response, AppError> {
        Ok((StatusCode::GONE, render(page)?).into_response())
    };
    let key = match (&row.document_key, row.status.as_str()) {
        (Some(key), "done") => key.clone(),
        (_, "expired") => return gone(&page),
        _ => return Ok(render(&page)?.into_response()),
    };
    let (size, stream) = match state.documents.get_stream(&key).await {
        Ok(found) => found,
        Err(crate::documents::DocumentError::NotFound) => return gone(&page),
        Err(err) => return Err(AppError::Internal(err.into())),
    };
    agent
        .audit(
            state.db.pool(),
            "export_downloaded",
            &format!("export:{id} {}", kind.code()),
        )
        .await?;
    let day = words::paris_local(row.created_at)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let name = format!(
        "{}-{}-{day}.{}",
        kind.file_stem(),
        agent.school_uai,
        kind.extension()
    );
    Ok((
        [
            (header::CONTENT_TYPE, kind.content_type().to_owned()),
            (header::CONTENT_LENGTH, size.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// `GET …/exports`
pub async fn list_school(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
) -> Result<Html<String>, AppError> {
    list(state, agent, chrome).await
}

/// `POST …/exports`
pub async fn create_school(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Form(form): Form<ExportForm>,
) -> Result<Response, AppError> {
    create(state, agent, chrome, form).await
}

/// `GET …/exports/{export_id}`
pub async fn show_school(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Path((_uai, id)): Path<(String, i64)>,
) -> Result<Html<String>, AppError> {
    show(state, agent, chrome, id).await
}

/// `GET …/exports/{export_id}/fichier`
pub async fn download_school(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Path((_uai, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    download(state, agent, chrome, id).await
}

/// `GET …/fiches-sante`
pub async fn list_medical(
    State(state): State<AppState>,
    agent: CurrentAgent<ReadMedical>,
    chrome: Chrome,
) -> Result<Html<String>, AppError> {
    list(state, agent, chrome).await
}

/// `POST …/fiches-sante`
pub async fn create_medical(
    State(state): State<AppState>,
    agent: CurrentAgent<ReadMedical>,
    chrome: Chrome,
    Form(form): Form<ExportForm>,
) -> Result<Response, AppError> {
    let form = ExportForm {
        kind: Kind::MedicalForms.code().into(),
        ..form
    };
    create(state, agent, chrome, form).await
}

/// `GET …/fiches-sante/{medical_export_id}`
pub async fn show_medical(
    State(state): State<AppState>,
    agent: CurrentAgent<ReadMedical>,
    chrome: Chrome,
    Path((_uai, id)): Path<(String, i64)>,
) -> Result<Html<String>, AppError> {
    show(state, agent, chrome, id).await
}

/// `GET …/fiches-sante/{medical_export_id}/fichier`
pub async fn download_medical(
    State(state): State<AppState>,
    agent: CurrentAgent<ReadMedical>,
    chrome: Chrome,
    Path((_uai, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    download(state, agent, chrome, id).await
}
