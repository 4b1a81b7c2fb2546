//! Assisted mode: an agent (secretariat, direction) fills a dossier with the
//! family at the desk. `POST …/dossiers/{dossier_id}/avec-la-famille` marks
//! the agent's session as acting for one guardian of that dossier and opens
//! the family's own journey (`/famille/dossiers/{dossier_id}/…`: the same
//! handlers and pages, see `family::FamilyDossier`); every save is recorded
//! with the agent as actor and the mode `assisted` (`web::assisted`).
//! `POST …/avec-la-famille/fin` ends it and goes back to the dossier page.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::app::AppState;
use crate::db::{audit, dossiers, sessions};
use crate::domain::dossier_state::{DossierState, Event};
use crate::domain::role::ManageSchool;
use crate::dossier::{self, By, Move, MoveError};
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};

#[derive(Debug, Deserialize)]
pub struct StartForm {
    /// The guardian at the desk (the dossier's first one when absent).
    #[serde(default)]
    pub responsable: Option<i64>,
}

fn session_token(agent: &CurrentAgent<ManageSchool>) -> Result<String, AppError> {
    agent
        .ctx
        .session
        .as_ref()
        .map(|s| s.token_hash.clone())
        .ok_or(AppError::Forbidden)
}

/// `POST …/dossiers/{dossier_id}/avec-la-famille`.
pub async fn start(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    Path((_uai, dossier_id)): Path<(String, i64)>,
    Form(form): Form<StartForm>,
) -> Result<Response, AppError> {
    let pool = state.db.pool();
    let found = dossiers::find_in_school(pool, agent.scope(), dossier_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !found.state.editable_by_family() {
        return Err(AppError::DossierLocked);
    }
    let guardian_id = match form.responsable {
        Some(id) => id,
        None => dossiers::guardian_ids_in_school(pool, agent.scope(), found.pupil_id)
            .await?
            .first()
            .copied()
            .ok_or(AppError::NotFound)?,
    };
    dossiers::guardian_in_school(pool, agent.scope(), found.pupil_id, guardian_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let token = session_token(&agent)?;
    let mut tx = state.db.begin().await?;
    // The family at the desk opens its dossier, as its sign-in would.
    if found.state == DossierState::NotStarted {
        let opened = dossier::transition(
            &mut tx,
            Move {
                school_id: agent.school_id,
                dossier_id,
                from: found.state,
                event: Event::Open,
                by: By::Guardian(guardian_id),
                ip: &agent.ctx.ip_string(),
                reason: "",
            },
        )
        .await;
        match opened {
            Ok(_) | Err(MoveError::Moved) => {}
            Err(err) => return Err(AppError::Internal(err.into())),
        }
    }
    sessions::set_assisted(&mut *tx, &token, Some((dossier_id, guardian_id))).await?;
    audit::record_assisted(
        &mut *tx,
        agent.school_id,
        agent.agent_id,
        "assisted_started",
        &format!("dossier:{dossier_id} responsable:{guardian_id}"),
        &agent.ctx.ip_string(),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/famille/dossiers/{dossier_id}/accueil")).into_response())
}

/// `POST …/dossiers/{dossier_id}/avec-la-famille/fin`.
pub async fn end(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    Path((_uai, dossier_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let pool = state.db.pool();
    dossiers::find_in_school(pool, agent.scope(), dossier_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let token = session_token(&agent)?;
    let mut tx = state.db.begin().await?;
    sessions::set_assisted(&mut *tx, &token, None).await?;
    audit::record_assisted(
        &mut *tx,
        agent.school_id,
        agent.agent_id,
        "assisted_ended",
        &format!("dossier:{dossier_id}"),
        &agent.ctx.ip_string(),
    )
    .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/etablissements/{}/dossiers/{dossier_id}", agent.school_uai),
        Flash::success("Mode accompagné terminé."),
    ))
}
