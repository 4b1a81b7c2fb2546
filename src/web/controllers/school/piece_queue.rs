//! The pieces queue (issue 13): `GET /etablissements/{uai}/pieces/a-verifier`
//! shows the oldest piece waiting for a decision (of one piece type or one
//! class if asked), in the page, with « 3 sur 41 »; `POST …/a-verifier/{upload_id}`
//! accepts it or refuses it with a reason, then the next one comes (PRG).
//! « Passer » is a link: the skipped pieces ride in the address
//! (`passees=…`) and stay in the queue for later.
//!
//! Refusals are told per family, never one by one (`dossier::refusals`):
//! when the last waiting piece of a dossier is decided, from « Prévenir la
//! famille » (`POST …/dossiers/{dossier_id}/refus`), or for the whole school
//! with « Envoyer les refus » (`POST …/a-verifier/envoi-des-refus`).

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::Form;
use serde::Deserialize;

use super::reminders::school_contact;
use crate::app::AppState;
use crate::db::piece_queue::{self, Filter, Waiting};
use crate::db::{dossiers, uploads};
use crate::domain::role::ManageSchool;
use crate::dossier::refusals::{self, Told};
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

/// The longest refusal reason kept (as on the dossier page).
const MAX_REASON: usize = 300;

/// The skipped pieces kept in the address, at most.
const MAX_SKIPPED: usize = 200;

/// The reasons agents give most, offered before their own words.
pub const COMMON_REASONS: &[&str] = &[
    "Document illisible",
    "Document incomplet (une page ou une partie manque)",
    "Document trop ancien ou expiré",
    "Ce n'est pas le document demandé",
    "Le document ne concerne pas cet élève ou sa famille",
];

/// Where the agent is in the queue: its filters and the pieces skipped.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct QueueState {
    /// An expected document's id (`""`: every piece).
    #[serde(default)]
    document: String,
    /// A class (`""`: every class).
    #[serde(default)]
    classe: String,
    /// The skipped pieces' ids, comma-separated.
    #[serde(default)]
    passees: String,
}

impl QueueState {
    fn filter(&self) -> Filter {
        Filter {
            document_id: self.document.trim().parse().ok(),
            division: Some(self.classe.trim().to_owned()).filter(|c| !c.is_empty()),
        }
    }

    fn skipped(&self) -> BTreeSet<i64> {
        self.passees
            .split(',')
            .filter_map(|id| id.trim().parse().ok())
            .take(MAX_SKIPPED)
            .collect()
    }

    /// The query string of this state (with `also_skipped` added), `?…` or "".
    fn query(&self, also_skipped: Option<i64>) -> String {
        let mut skipped = self.skipped();
        skipped.extend(also_skipped);
        let skipped: Vec<String> = skipped.iter().map(i64::to_string).collect();
        let filter = self.filter();
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        if let Some(id) = filter.document_id {
            pairs.append_pair("document", &id.to_string());
        }
        if let Some(division) = &filter.division {
            pairs.append_pair("classe", division);
        }
        if !skipped.is_empty() {
            pairs.append_pair("passees", &skipped.join(","));
        }
        let query = pairs.finish();
        if query.is_empty() {
            query
        } else {
            format!("?{query}")
        }
    }
}

/// The piece shown.
pub struct Current {
    pub upload_id: i64,
    pub dossier_id: i64,
    pub pupil: String,
    pub division: String,
    pub label: String,
    pub name: String,
    /// Its address (`?apercu=1` shows it in the page).
    pub href: String,
    pub is_image: bool,
    pub is_pdf: bool,
}

#[derive(Template)]
#[template(path = "school/piece_queue.html")]
pub struct QueuePage {
    pub chrome: Chrome,
    pub uai: String,
    pub current: Option<Current>,
    /// « 3 sur 41 »: the skipped pieces come before the one shown.
    pub position: usize,
    pub total: usize,
    /// Pieces waiting but all skipped.
    pub all_skipped: bool,
    pub documents: Vec<(i64, String)>,
    pub divisions: Vec<String>,
    pub document: Option<i64>,
    pub division: String,
    pub filtered: bool,
    /// The queue's state, kept by the forms.
    pub passees: String,
    /// The address of « Passer ».
    pub skip_href: String,
    /// The address of the queue without the skipped pieces.
    pub restart_href: String,
    pub reasons: &'static [&'static str],
    /// The current piece's dossier has refusals not told yet.
    pub family_untold: bool,
    /// Pupils of the school with refusals not told yet.
    pub untold_dossiers: usize,
    /// A refusal without a reason: the form's error, and what was typed.
    pub error: Option<&'static str>,
    pub motif: String,
    pub details: String,
}

impl QueuePage {
    pub fn selected_document(&self, id: &i64) -> bool {
        self.document == Some(*id)
    }

    pub fn is_motif(&self, reason: &str) -> bool {
        self.motif == reason
    }
}

async fn page(
    state: &AppState,
    agent: &CurrentAgent<ManageSchool>,
    chrome: Chrome,
    queue: &QueueState,
) -> Result<QueuePage, AppError> {
    let pool = state.db.pool();
    let filter = queue.filter();
    let waiting = piece_queue::waiting(pool, agent.scope(), &filter).await?;
    let skipped = queue.skipped();
    let total = waiting.len();
    let next = waiting
        .iter()
        .enumerate()
        .find(|(_, w)| !skipped.contains(&w.upload_id));
    let uai = agent.school_uai.clone();
    let current = next.map(|(_, w)| current(&uai, w));
    let position = next.map_or(0, |(n, _)| n + 1);
    let untold = piece_queue::untold_refusals(pool, agent.scope(), None).await?;
    let family_untold = current
        .as_ref()
        .is_some_and(|c| untold.iter().any(|u| u.dossier_id == c.dossier_id));
    let untold_dossiers = untold
        .iter()
        .map(|u| u.dossier_id)
        .collect::<BTreeSet<_>>()
        .len();
    let base = format!("/etablissements/{uai}/pieces/a-verifier");
    let restart = QueueState {
        passees: String::new(),
        ..queue.clone()
    };
    Ok(QueuePage {
        chrome,
        skip_href: format!(
            "{base}{}",
            queue.query(current.as_ref().map(|c| c.upload_id))
        ),
        restart_href: format!("{base}{}", restart.query(None)),
        all_skipped: current.is_none() && total > 0,
        current,
        position,
        total,
        documents: piece_queue::documents(pool, agent.scope()).await?,
        divisions: piece_queue::divisions(pool, agent.scope()).await?,
        document: filter.document_id,
        division: filter.division.clone().unwrap_or_default(),
        filtered: filter != Filter::default(),
        passees: skipped
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(","),
        reasons: COMMON_REASONS,
        family_untold,
        untold_dossiers,
        error: None,
        motif: String::new(),
        details: String::new(),
        uai,
    })
}

fn current(uai: &str, w: &Waiting) -> Current {
    Current {
        upload_id: w.upload_id,
        dossier_id: w.dossier_id,
        pupil: format!("{} {}", w.pupil_first_name, w.pupil_last_name),
        division: w.division.clone(),
        label: w.label.clone(),
        name: w.name.clone(),
        href: format!(
            "/etablissements/{uai}/dossiers/{}/pieces/{}",
            w.dossier_id, w.upload_id
        ),
        // Shown in the page only as the download route serves them inline
        // (photos, PDFs; never SVG or HTML).
        is_image: matches!(w.content_type.as_str(), "image/jpeg" | "image/png"),
        is_pdf: w.content_type == "application/pdf",
    }
}

pub async fn show(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Query(queue): Query<QueueState>,
) -> Result<Response, AppError> {
    render(&page(&state, &agent, chrome, &queue).await?).map(IntoResponse::into_response)
}

#[derive(Debug, Default, Deserialize)]
pub struct DecisionForm {
    /// `accepter` or `refuser`.
    #[serde(default)]
    decision: String,
    /// One of [`COMMON_REASONS`], or "".
    #[serde(default)]
    motif: String,
    /// The agent's own words.
    #[serde(default)]
    precisions: String,
    #[serde(flatten)]
    queue: QueueState,
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The reason the family reads: the common reason, the agent's words, or
/// both.
fn reason(form: &DecisionForm) -> String {
    let motif = one_line(&form.motif);
    let details = one_line(&form.precisions);
    let reason = match (motif.is_empty(), details.is_empty()) {
        (false, false) => format!("{motif} : {details}"),
        (false, true) => motif,
        _ => details,
    };
    reason.chars().take(MAX_REASON).collect()
}

const REASON_REQUIRED: &str = "Indiquez le motif du refus : choisissez-en un ou écrivez-le. La famille le lira pour envoyer la bonne pièce.";

/// `POST …/pieces/a-verifier/{upload_id}`: the decision, then the next piece.
pub async fn decide(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Path((_uai, upload_id)): Path<(String, i64)>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let dossier_id = piece_queue::dossier_of(state.db.pool(), agent.scope(), upload_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let reason = reason(&form);
    let (status, reason) = match form.decision.as_str() {
        "accepter" => ("accepted", String::new()),
        "refuser" if reason.is_empty() => {
            let mut page = page(&state, &agent, chrome, &form.queue).await?;
            page.error = Some(REASON_REQUIRED);
            page.details = one_line(&form.precisions);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
        "refuser" => ("refused", reason),
        _ => return Err(AppError::BadRequest("unknown decision".into())),
    };
    let mut tx = state.db.begin().await?;
    if !uploads::decide_in_school(
        &mut *tx,
        agent.scope(),
        dossier_id,
        upload_id,
        status,
        &reason,
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    agent
        .audit(
            &mut *tx,
            "upload_decision",
            &format!("upload:{upload_id}:{status}"),
        )
        .await?;
    tx.commit().await?;
    let mut message = if status == "accepted" {
        "Pièce acceptée.".to_owned()
    } else {
        "Pièce refusée.".to_owned()
    };
    // The dossier's last waiting piece decided: its family hears of its
    // refusals now, in one message.
    if piece_queue::waiting_in_dossier(state.db.pool(), dossier_id).await? == 0 {
        let told = tell(&state, &agent, Some(dossier_id)).await?;
        if told.messages > 0 {
            message.push_str(" La famille est prévenue des pièces refusées, en un seul message.");
        }
    }
    let to = format!(
        "/etablissements/{}/pieces/a-verifier{}",
        agent.school_uai,
        form.queue.query(None)
    );
    Ok(redirect_with_flash(&state, &to, Flash::success(message)))
}

async fn tell(
    state: &AppState,
    agent: &CurrentAgent<ManageSchool>,
    dossier_id: Option<i64>,
) -> Result<Told, AppError> {
    let school = school_contact(state, agent).await?;
    let told = refusals::tell_now(
        &state.db,
        &state.settings,
        agent.scope(),
        &school,
        dossier_id,
    )
    .await
    .map_err(AppError::Internal)?;
    if told.messages > 0 {
        agent
            .audit(
                state.db.pool(),
                "refusals_told",
                &format!(
                    "dossier:{}:messages:{}",
                    dossier_id.map_or_else(|| "*".to_owned(), |id| id.to_string()),
                    told.messages
                ),
            )
            .await?;
        state.job_signal.notify();
    }
    Ok(told)
}

/// What a sending did, in words.
fn told_message(told: Told) -> Flash {
    let unreachable = if told.without_contact > 0 {
        format!(
            " {} responsable(s) sans courriel ni téléphone portable utilisable n'ont pas pu être prévenu(s) : appelez-les ou renvoyez le dossier.",
            told.without_contact
        )
    } else {
        String::new()
    };
    if told.messages == 0 {
        Flash::success(format!(
            "Aucun refus à envoyer : les familles sont déjà prévenues.{unreachable}"
        ))
    } else {
        Flash::success(format!(
            "Refus envoyés : {} message(s) pour {} élève(s), un par responsable.{unreachable}",
            told.messages, told.dossiers
        ))
    }
}

/// `POST …/pieces/a-verifier/envoi-des-refus`: every family with refusals
/// not told yet gets its one message.
pub async fn send_refusals(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    Form(queue): Form<QueueState>,
) -> Result<Response, AppError> {
    let told = tell(&state, &agent, None).await?;
    let to = format!(
        "/etablissements/{}/pieces/a-verifier{}",
        agent.school_uai,
        queue.query(None)
    );
    Ok(redirect_with_flash(&state, &to, told_message(told)))
}

#[derive(Debug, Default, Deserialize)]
pub struct TellForm {
    /// `file`: back to the queue (with its state), else the dossier.
    #[serde(default)]
    depuis: String,
    #[serde(flatten)]
    queue: QueueState,
}

/// `POST …/dossiers/{dossier_id}/refus`: « Prévenir la famille » of this
/// dossier's refusals not told yet.
pub async fn tell_family(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    Path((_uai, dossier_id)): Path<(String, i64)>,
    Form(form): Form<TellForm>,
) -> Result<Response, AppError> {
    dossiers::find_in_school(state.db.pool(), agent.scope(), dossier_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let told = tell(&state, &agent, Some(dossier_id)).await?;
    let to = if form.depuis == "file" {
        format!(
            "/etablissements/{}/pieces/a-verifier{}",
            agent.school_uai,
            form.queue.query(None)
        )
    } else {
        format!(
            "/etablissements/{}/dossiers/{dossier_id}#pieces",
            agent.school_uai
        )
    };
    Ok(redirect_with_flash(&state, &to, told_message(told)))
}
