//! The school's decision on a piece sent by a family:
//! `POST /etablissements/{uai}/dossiers/{dossier_id}/pieces/{upload_id}/decision`
//! with `decision` = `accepter` or `refuser` (with a reason the family reads
//! on its pieces page, and in the e-mail if the dossier is sent back).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use crate::app::AppState;
use crate::db::{dossiers, uploads};
use crate::domain::role::ManageSchool;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};

/// The longest refusal reason kept.
const MAX_REASON: usize = 300;

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

pub async fn update(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    Path((_uai, dossier_id, upload_id)): Path<(String, i64, i64)>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    dossiers::find_in_school(state.db.pool(), agent.scope(), dossier_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let page = format!(
        "/etablissements/{}/dossiers/{dossier_id}#pieces",
        agent.school_uai
    );
    let reason: String = form
        .reason
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_REASON)
        .collect();
    let (status, reason) = match form.decision.as_str() {
        "accepter" => ("accepted", String::new()),
        "refuser" if reason.is_empty() => {
            return Ok(redirect_with_flash(
                &state,
                &page,
                Flash::error(
                    "Indiquez le motif du refus : la famille le lira pour envoyer la bonne pièce.",
                ),
            ));
        }
        "refuser" => ("refused", reason),
        _ => return Err(AppError::BadRequest("unknown decision".into())),
    };
    let mut tx = state.db.begin().await?;
    let decided = uploads::decide_in_school(
        &mut *tx,
        agent.scope(),
        dossier_id,
        upload_id,
        status,
        &reason,
    )
    .await?;
    if !decided {
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
    let message = if status == "accepted" {
        "Pièce acceptée."
    } else {
        "Pièce refusée. Renvoyez le dossier à la famille pour qu'elle la remplace."
    };
    Ok(redirect_with_flash(&state, &page, Flash::success(message)))
}
