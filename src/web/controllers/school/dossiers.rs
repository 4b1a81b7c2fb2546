//! The school's view of the dossiers: `GET /etablissements/{uai}/dossiers`
//! (list, filter by state) and `GET …/dossiers/{dossier_id}` (what SIECLE
//! said, what each guardian changed or answered, pieces, history). Medical
//! information is shown to the nurse only.

use std::collections::HashSet;

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use futures::TryStreamExt;
use serde::Deserialize;

use super::transitions::StaffActions;
use crate::app::AppState;
use crate::db::{contacts, dashboard, dossiers, medical, uploads};
use crate::domain::dossier_state::DossierState;
use crate::domain::role::{AnyStaff, ManageSchool, ReadMedical};
use crate::domain::words;
use crate::dossier::diff::{self, GuardianView, SchoolView};
use crate::dossier::facts;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

#[derive(Deserialize)]
pub struct ListQuery {
    etat: Option<String>,
    /// What needs the school (the dashboard's links): `conflits`, `pieces`,
    /// `sans-ine`, `jamais-venus`.
    #[serde(rename = "a-verifier")]
    a_verifier: Option<String>,
}

/// The dossier list's filters on what needs the school: (code, label).
pub const NEEDS: [(&str, &str); 4] = [
    ("conflits", "Réponses différentes des responsables"),
    ("pieces", "Pièces à vérifier"),
    ("sans-ine", "Élèves sans INE"),
    ("jamais-venus", "Aucun responsable jamais venu"),
];

pub struct Line {
    pub id: i64,
    pub name: String,
    pub division: String,
    pub state_label: &'static str,
    pub changes: usize,
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
    /// The filter on what needs the school ("" for none) and the choices.
    pub need: String,
    pub needs: Vec<(&'static str, &'static str)>,
    /// The agent may issue codes: the list lets them tick pupils for letters.
    pub can_issue_codes: bool,
}

pub async fn list(
    State(state): State<AppState>,
    agent: CurrentAgent<AnyStaff>,
    chrome: Chrome,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let filter = query.etat.and_then(|s| s.parse::<DossierState>().ok());
    let need = query
        .a_verifier
        .filter(|n| NEEDS.iter().any(|(code, _)| code == n))
        .unwrap_or_default();
    let pool = state.db.pool();
    let among: Option<HashSet<i64>> = match need.as_str() {
        "pieces" => Some(dashboard::with_pieces_to_check(pool, agent.scope()).await?),
        "sans-ine" => Some(dashboard::without_ine(pool, agent.scope()).await?),
        "jamais-venus" => Some(dashboard::never_visited(pool, agent.scope()).await?),
        _ => None,
    }
    .map(|ids| ids.into_iter().collect());
    let (listed, words) = facts::of_school(pool, agent.scope().id()).await?;
    let lines = listed
        .into_iter()
        .filter(|l| filter.is_none_or(|f| l.row.state == f))
        .filter(|l| {
            among
                .as_ref()
                .is_none_or(|ids| ids.contains(&l.row.dossier_id))
        })
        .map(|l| {
            let view = diff::for_school(&l.facts, &words);
            Line {
                id: l.row.dossier_id,
                name: format!("{} {}", l.row.last_name, l.row.first_name),
                division: l.row.division,
                state_label: l.row.state.label(),
                changes: view.changes,
                conflicts: !view.disagreements.is_empty(),
            }
        })
        .filter(|line| need != "conflits" || line.conflicts)
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
        need,
        needs: NEEDS.to_vec(),
        can_issue_codes: agent.roles.allows::<ManageSchool>(),
    })
}

/// A guardian as the school reads them, with their medical information for
/// the nurse.
pub struct GuardianBlock {
    pub view: GuardianView,
    /// When they last signed in, in words (« jamais »).
    pub last_visit: String,
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
    /// What changed, in words (see `dossier::diff`).
    pub diff: SchoolView,
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
    let (listed, words) = facts::of_dossier(pool, agent.scope().id(), dossier_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut diff = diff::for_school(&listed.facts, &words);
    let can_read_medical = agent.roles.allows::<ReadMedical>();
    let mut guardians = Vec::new();
    for view in std::mem::take(&mut diff.guardians) {
        let medical = if can_read_medical {
            medical::find_in_school(pool, agent.scope(), dossier_id, view.id)
                .await?
                .map(|m| (medical_mode_label(&m.mode).to_owned(), m.note))
        } else {
            None
        };
        let last_visit = dashboard::last_sign_in(pool, agent.scope(), view.id)
            .await?
            .map_or_else(|| "jamais".to_owned(), words::paris_time);
        guardians.push(GuardianBlock {
            view,
            medical,
            last_visit,
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
        pupil_name: format!("{} {}", listed.row.first_name, listed.row.last_name),
        state_label: listed.row.state.label(),
        diff,
        guardians,
        uploads,
        contacts,
        history,
        can_read_medical,
        can_manage: agent.roles.allows::<ManageSchool>(),
        actions: StaffActions::new(listed.row.state, agent.roles.allows::<ManageSchool>()),
    })
}

/// How the family chose to give medical information, in words.
fn medical_mode_label(mode: &str) -> &'static str {
    match mode {
        "online" => "saisie en ligne",
        "sealed" => "remise sous pli fermé à l'infirmerie",
        _ => "rien à signaler",
    }
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
