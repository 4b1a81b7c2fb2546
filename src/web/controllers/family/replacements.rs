//! `…/pieces-a-remplacer`: the refused pieces of a dossier not replaced yet,
//! each with the school's reason, and a file to send for each — nothing
//! else of the dossier. The link of the message that tells the refusals
//! (`dossier::refusals`) leads here. A replacement goes back to the
//! school's pieces queue, even once the dossier is sent.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::FamilyDossier;
use super::documents::{Received, receive};
use crate::app::AppState;
use crate::db::{now_ms, piece_queue};
use crate::dossier::refusals::replace_path;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

pub struct Line {
    pub piece: piece_queue::ToReplace,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "family/replacements.html")]
pub struct ReplacementsPage {
    pub chrome: Chrome,
    pub child_name: String,
    pub action: String,
    pub lines: Vec<Line>,
    pub max_bytes: u64,
    pub max_label: String,
    pub home: String,
}

async fn page(
    state: &AppState,
    chrome: Chrome,
    dossier: &FamilyDossier,
) -> Result<ReplacementsPage, AppError> {
    let dossier_id = dossier.dossier.dossier_id;
    let lines = piece_queue::to_replace(state.db.pool(), dossier_id)
        .await?
        .into_iter()
        .map(|piece| Line { piece, error: None })
        .collect();
    let max = state.settings.upload_max_bytes;
    Ok(ReplacementsPage {
        chrome,
        child_name: format!(
            "{} {}",
            dossier.dossier.first_name, dossier.dossier.last_name
        ),
        action: replace_path(dossier_id),
        lines,
        max_bytes: max,
        max_label: format!("{} Mo", max / (1024 * 1024)),
        home: "/famille".to_owned(),
    })
}

pub async fn show(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
) -> Result<Response, AppError> {
    render(&page(&state, chrome, &dossier).await?).map(IntoResponse::into_response)
}

/// `POST …/pieces-a-remplacer/{upload_id}`: the new file of a refused piece;
/// the refused one is then replaced.
pub async fn create(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
    Path((_dossier_id, upload_id)): Path<(i64, i64)>,
    headers: axum::http::HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let dossier_id = dossier.dossier.dossier_id;
    let here = replace_path(dossier_id);
    let refused = piece_queue::to_replace(state.db.pool(), dossier_id)
        .await?
        .into_iter()
        .find(|p| p.upload_id == upload_id);
    let Some(refused) = refused else {
        return Ok(redirect_with_flash(
            &state,
            &here,
            Flash::success("Cette pièce a déjà été remplacée."),
        ));
    };
    let Received { stored, refusal } = receive(
        &state,
        &dossier,
        refused.document_id,
        &headers,
        &mut multipart,
    )
    .await?;
    if stored > 0 {
        piece_queue::mark_replaced(state.db.pool(), dossier_id, upload_id, now_ms()).await?;
        dossier
            .audit(
                state.db.pool(),
                "upload_replaced",
                &format!("upload:{upload_id}"),
            )
            .await?;
    }
    if let Some(message) = refusal {
        let mut page = page(&state, chrome, &dossier).await?;
        if let Some(line) = page
            .lines
            .iter_mut()
            .find(|l| l.piece.upload_id == upload_id)
        {
            line.error = Some(message);
        }
        let status = if stored == 0 {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        return Ok((status, render(&page)?).into_response());
    }
    if stored == 0 {
        return Ok(redirect_with_flash(
            &state,
            &here,
            Flash::error("Choisissez un fichier à envoyer."),
        ));
    }
    Ok(redirect_with_flash(
        &state,
        &here,
        Flash::success(format!(
            "« {} » est envoyée au collège, qui va la vérifier.",
            refused.label
        )),
    ))
}
