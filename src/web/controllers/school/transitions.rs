//! The school's decisions on a dossier: `POST /etablissements/{uai}/dossiers/{dossier_id}/etat`
//! with `event` = `valider`, `renvoyer` (with a reason, e-mailed to the
//! family) or `sortant`. The rules are in `domain::dossier_state`.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use crate::app::AppState;
use crate::db::{campaigns, dossiers, uploads};
use crate::domain::dossier_state::Event;
use crate::domain::role::ManageSchool;
use crate::dossier::messages::{self, SchoolContact};
use crate::dossier::{self, By, Move, MoveError, facts};
use crate::jobs;
use crate::mail::SendEmailJob;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};

#[derive(Deserialize)]
pub struct TransitionForm {
    #[serde(default)]
    event: String,
    #[serde(default)]
    reason: String,
}

pub async fn create(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    Path((_uai, dossier_id)): Path<(String, i64)>,
    Form(form): Form<TransitionForm>,
) -> Result<Response, AppError> {
    let page = format!("/etablissements/{}/dossiers/{dossier_id}", agent.school_uai);
    let dossier = dossiers::find_in_school(state.db.pool(), agent.scope(), dossier_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let from = dossier.state;
    let event = match form.event.as_str() {
        "valider" => Event::Validate,
        "renvoyer" => Event::Return,
        "sortant" => Event::MarkLeaving,
        _ => return Err(AppError::BadRequest("unknown event".into())),
    };
    let reason: String = form.reason.trim().chars().take(1000).collect();
    if event == Event::Return && reason.is_empty() {
        return Ok(redirect_with_flash(
            &state,
            &page,
            Flash::error("Indiquez à la famille ce qu'il faut corriger."),
        ));
    }
    // Read before the move: whom to write to if it is sent back.
    let (listed, _) = facts::of_dossier(state.db.pool(), agent.scope().id(), dossier_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let pupil = &listed.row;
    let mut tx = state.db.begin().await?;
    let moved = dossier::transition(
        &mut tx,
        Move {
            school_id: agent.school_id,
            dossier_id,
            from,
            event,
            by: By::Agent(agent.agent_id),
            ip: &agent.ctx.ip_string(),
            reason: &reason,
        },
    )
    .await;
    let to = match moved {
        Ok(to) => to,
        Err(MoveError::NotAllowed(_)) => {
            return Ok(redirect_with_flash(
                &state,
                &page,
                Flash::error(format!("Impossible depuis l'état « {} ».", from.label())),
            ));
        }
        Err(MoveError::Moved) => return Err(AppError::DossierLocked),
        Err(MoveError::Database(err)) => return Err(err.into()),
    };
    if event == Event::Return {
        let refused: Vec<(String, String)> =
            uploads::refused_in_school(&mut *tx, agent.scope(), dossier_id)
                .await?
                .into_iter()
                .map(|p| (p.label, p.refusal_reason))
                .collect();
        let (email, phone) = campaigns::contact(&mut *tx, agent.school_id).await?;
        let school = SchoolContact {
            name: agent.school_name.clone(),
            email,
            phone,
        };
        let child = format!("{} {}", pupil.first_name, pupil.last_name);
        for email in messages::dossier_returned(
            &listed.facts,
            &child,
            &reason,
            &refused,
            &school,
            &state.settings.base_url,
        ) {
            jobs::enqueue(
                &mut *tx,
                &SendEmailJob { email },
                None,
                Some(agent.school_id),
            )
            .await?;
        }
    }
    agent
        .audit(
            &mut *tx,
            "dossier_transition",
            &format!("dossier:{dossier_id}:{}", to.code()),
        )
        .await?;
    tx.commit().await?;
    state.job_signal.notify();
    Ok(redirect_with_flash(
        &state,
        &page,
        Flash::success(format!("Dossier {}.", to.label())),
    ))
}
