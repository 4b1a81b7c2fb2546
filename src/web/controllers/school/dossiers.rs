//! The school's view of the dossiers: `GET /etablissements/{uai}/dossiers`
//! (list, filter by state) and `GET …/dossiers/{dossier_id}` (what SIECLE
//! said, what each guardian changed or answered, pieces, history). Medical
//! information is shown to the nurse only.

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use futures::TryStreamExt;
use serde::Deserialize;

use super::transitions::StaffActions;
use crate::app::AppState;
use crate::db::{contacts, dossiers, family, medical, uploads};
use crate::domain::dossier_state::DossierState;
use crate::domain::fields;
use crate::domain::role::{AnyStaff, ManageSchool, ReadMedical, allows};
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

#[derive(Deserialize)]
pub struct ListQuery {
    etat: Option<String>,
}

pub struct Line {
    pub id: i64,
    pub name: String,
    pub division: String,
    pub state_label: &'static str,
    pub changes: i64,
    pub conflicts: bool,
}

#[derive(Template)]
#[template(path = "school/dossiers.html")]
pub struct DossiersPage {
    pub chrome: Chrome,
    pub uai: String,
    pub filter: String,
    pub states: Vec<(&'static str, &'static str)>,
    pub lines: Vec<Line>,
}

pub async fn list(
    State(state): State<AppState>,
    agent: CurrentAgent<AnyStaff>,
    chrome: Chrome,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let filter = query.etat.and_then(|s| s.parse::<DossierState>().ok());
    let lines = dossiers::list_for_school(state.db.pool(), agent.school_id, filter)
        .await?
        .into_iter()
        .map(|d| Line {
            id: d.id,
            name: format!("{} {}", d.last_name, d.first_name),
            division: d.division,
            state_label: d.state.label(),
            changes: d.changes,
            conflicts: d.conflicts > 0,
        })
        .collect();
    render(&DossiersPage {
        chrome,
        uai: agent.school_uai.clone(),
        filter: filter.map(|s| s.code().to_owned()).unwrap_or_default(),
        states: DossierState::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        lines,
    })
}

/// (label, SIECLE value, new value)
pub type ChangeLine = (String, String, String);

pub struct GuardianBlock {
    pub id: i64,
    pub name: String,
    pub changes: Vec<ChangeLine>,
    pub answers: Vec<(String, String, bool)>,
    pub medical: Option<(String, String)>,
}

/// A piece as agents see it: photos (JPEG, PNG) are previewed in the page.
pub struct UploadView(pub uploads::SchoolUpload);

impl std::ops::Deref for UploadView {
    type Target = uploads::SchoolUpload;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl UploadView {
    /// A photo, shown in the page.
    pub fn is_image(&self) -> bool {
        previewable(&self.content_type) && !self.is_pdf()
    }

    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "accepted" => "acceptée",
            "refused" => "refusée",
            _ => "à vérifier",
        }
    }

    /// A HEIC photo the server could not convert (built without the `heic`
    /// feature): some browsers cannot show it.
    pub fn is_heic(&self) -> bool {
        self.content_type == "image/heic"
    }

    /// A PDF, previewed in a frame of the page.
    pub fn is_pdf(&self) -> bool {
        self.content_type == PDF
    }
}

/// Types shown inline: images every browser decodes, and PDFs (in the
/// browser's viewer, sandboxed: see [`show_upload`]); never HTML.
fn previewable(content_type: &str) -> bool {
    matches!(content_type, "image/jpeg" | "image/png" | PDF)
}

const PDF: &str = "application/pdf";

#[derive(Template)]
#[template(path = "school/dossier.html")]
pub struct DossierPage {
    pub chrome: Chrome,
    pub uai: String,
    pub dossier_id: i64,
    pub pupil_name: String,
    pub state_label: &'static str,
    pub pupil_changes: Vec<ChangeLine>,
    pub guardians: Vec<GuardianBlock>,
    pub uploads: Vec<UploadView>,
    pub contacts: Vec<(String, String, String)>,
    pub history: Vec<(String, String, String)>,
    pub can_read_medical: bool,
    pub can_manage: bool,
    /// The decisions offered (after the content).
    pub actions: StaffActions,
}

async fn dossier_page<P>(
    state: &AppState,
    agent: &CurrentAgent<P>,
    chrome: Chrome,
    dossier_id: i64,
) -> Result<DossierPage, AppError> {
    let pool = state.db.pool();
    let found = dossiers::find_in_school(pool, agent.scope(), dossier_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let pupil_id = found.pupil_id;
    let pupil = family::pupil(pool, pupil_id).await?;
    let pupil_changes = family::pupil_changes(pool, dossier_id)
        .await?
        .into_iter()
        .map(|(field, (before, after))| (fields::label(&field).to_owned(), before, after))
        .collect();
    let can_read_medical = allows::<ReadMedical>(agent.role);
    let conflicts = family::conflicting_questions(pool, dossier_id).await?;
    let mut guardians = Vec::new();
    for g in dossiers::guardians_in_school(pool, agent.scope(), pupil_id).await? {
        let changes = family::guardian_changes(pool, g.id)
            .await?
            .into_iter()
            .map(|(field, (before, after))| (fields::label(&field).to_owned(), before, after))
            .collect();
        let mut answers: Vec<(String, String, bool)> = family::answers(pool, dossier_id, g.id)
            .await?
            .into_iter()
            .map(|(q, a)| {
                let conflict = conflicts.contains(&q);
                (fields::label(&q).to_owned(), a, conflict)
            })
            .collect();
        answers.sort();
        let medical = if can_read_medical {
            medical::find_in_school(pool, agent.scope(), dossier_id, g.id)
                .await?
                .map(|m| (m.mode, m.note))
        } else {
            None
        };
        guardians.push(GuardianBlock {
            id: g.id,
            name: format!("{} {} {}", g.civility, g.first_name, g.last_name)
                .trim()
                .to_owned(),
            changes,
            answers,
            medical,
        });
    }
    let uploads = uploads::list_in_school(pool, agent.scope(), dossier_id)
        .await?
        .into_iter()
        .map(UploadView)
        .collect();
    let contacts = contacts::list_in_school(pool, agent.scope(), dossier_id)
        .await?
        .into_iter()
        .map(|c| (c.name, c.relationship, c.phone))
        .collect();
    let history = dossiers::history_in_school(pool, agent.scope(), dossier_id)
        .await?
        .into_iter()
        .map(|t| {
            let when = chrono::DateTime::from_timestamp_millis(t.created_at)
                .map(|d| d.format("%d/%m/%Y %H:%M").to_string())
                .unwrap_or_default();
            let actor = if t.actor_kind == "guardian" {
                "famille".into()
            } else {
                t.actor_kind
            };
            (when, t.to_state.label().to_owned(), actor)
        })
        .collect();
    Ok(DossierPage {
        chrome,
        uai: agent.school_uai.clone(),
        dossier_id,
        pupil_name: format!("{} {}", pupil.first_name, pupil.last_name),
        state_label: found.state.label(),
        pupil_changes,
        guardians,
        uploads,
        contacts,
        history,
        can_read_medical,
        can_manage: allows::<ManageSchool>(agent.role),
        actions: StaffActions::new(found.state, allows::<ManageSchool>(agent.role)),
    })
}

pub async fn show(
    State(state): State<AppState>,
    agent: CurrentAgent<AnyStaff>,
    chrome: Chrome,
    Path((_uai, dossier_id)): Path<(String, i64)>,
) -> Result<Html<String>, AppError> {
    render(&dossier_page(&state, &agent, chrome, dossier_id).await?)
}

#[derive(Deserialize)]
pub struct UploadQuery {
    /// `?apercu=1`: shown in the page (photos, PDFs), else downloaded.
    apercu: Option<String>,
}

/// `GET …/dossiers/{dossier_id}/pieces/{upload_id}`: a piece, streamed from
/// the store, as a download; photos and PDFs may be shown inline
/// (`?apercu=1`). Every piece is served with its checked type (set from its
/// content at upload), `nosniff` and `Content-Security-Policy: sandbox`: even
/// a file a browser would render otherwise runs in an opaque origin, never
/// as a page of ours. An inline PDF may be framed by our own pages only.
pub async fn show_upload(
    State(state): State<AppState>,
    agent: CurrentAgent<AnyStaff>,
    Path((_uai, dossier_id, upload_id)): Path<(String, i64, i64)>,
    Query(query): Query<UploadQuery>,
) -> Result<Response, AppError> {
    let uploads::StoredUpload {
        storage_key: key,
        original_name: name,
        content_type,
    } = uploads::find_in_school(state.db.pool(), agent.scope(), dossier_id, upload_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (size, stream) = state.documents.get_stream(&key).await?;
    let mut safe_name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    // A converted photo is a JPEG whatever its original name said.
    if content_type == "image/jpeg" {
        let lower = safe_name.to_ascii_lowercase();
        if !lower.ends_with(".jpg") && !lower.ends_with(".jpeg") {
            let stem = safe_name
                .rsplit_once('.')
                .map_or(safe_name.as_str(), |(stem, _)| stem);
            safe_name = format!("{stem}.jpg");
        }
    }
    let inline = query.apercu.is_some() && previewable(&content_type);
    let disposition = if inline { "inline" } else { "attachment" };
    // Chrome's PDF viewer does not start in a sandboxed frame (`<iframe
    // sandbox>`), so the sandbox is the response's own; it also ignores the
    // response's other directives, which keep the rest locked.
    let (policy, framing) = if inline && content_type == PDF {
        ("sandbox; frame-ancestors 'self'", "SAMEORIGIN")
    } else {
        (
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            "DENY",
        )
    };
    agent
        .audit(
            state.db.pool(),
            "upload_downloaded",
            &format!("upload:{upload_id}"),
        )
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_LENGTH, size.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{safe_name}\""),
            ),
            (header::CONTENT_SECURITY_POLICY, policy.to_owned()),
            (header::X_FRAME_OPTIONS, framing.to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        Body::from_stream(stream.map_err(std::io::Error::other)),
    )
        .into_response())
}
