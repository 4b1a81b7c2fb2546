//! The school's decisions on a dossier: `POST /etablissements/{uai}/dossiers/{dossier_id}/etat`
//! with `event` = `valider`, `renvoyer` (with a reason, e-mailed to the
//! family) or `sortant` (after its confirmation page,
//! `GET …/dossiers/{dossier_id}/sortant`). The rules are in
//! `domain::dossier_state`; the dossier page offers only what they allow
//! ([`StaffActions`]).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::app::AppState;
use crate::db::{campaigns, dossiers, family, uploads};
use crate::domain::dossier_state::{Actor, DossierState, Event};
use crate::domain::role::ManageSchool;
use crate::dossier::messages::{self, SchoolContact};
use crate::dossier::{self, By, Move, MoveError, decisions, facts};
use crate::notify::{self, Message};
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

/// The decisions the dossier page offers an agent: those the rules allow
/// from the dossier's state, to an agent who may decide.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StaffActions {
    pub validate: bool,
    pub send_back: bool,
    pub mark_leaving: bool,
}

impl StaffActions {
    pub fn new(state: DossierState, can_manage: bool) -> Self {
        if !can_manage {
            return Self::default();
        }
        let allowed = state.events_for(Actor::Agent);
        Self {
            validate: allowed.contains(&Event::Validate),
            send_back: allowed.contains(&Event::Return),
            mark_leaving: allowed.contains(&Event::MarkLeaving),
        }
    }

    pub fn any(&self) -> bool {
        self.validate || self.send_back || self.mark_leaving
    }
}

#[derive(Deserialize)]
pub struct TransitionForm {
    #[serde(default)]
    event: String,
    #[serde(default)]
    reason: String,
    /// `oui` once the agent confirmed "sortant" on its page.
    #[serde(default)]
    confirmation: String,
}

#[derive(Template)]
#[template(path = "school/leaving.html")]
pub struct LeavingPage {
    pub chrome: Chrome,
    pub uai: String,
    pub dossier_id: i64,
    pub pupil_name: String,
}

/// `GET …/dossiers/{dossier_id}/sortant`: asks the agent to confirm that the
/// pupil leaves (a page, so that it works without JavaScript).
pub async fn show_leaving(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Path((_uai, dossier_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let page = format!("/etablissements/{}/dossiers/{dossier_id}", agent.school_uai);
    let dossier = dossiers::find_in_school(state.db.pool(), agent.scope(), dossier_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !StaffActions::new(dossier.state, true).mark_leaving {
        return Ok(redirect_with_flash(
            &state,
            &page,
            Flash::error(format!(
                "Impossible depuis l'état « {} ».",
                dossier.state.label()
            )),
        ));
    }
    let pupil = family::pupil(state.db.pool(), dossier.pupil_id).await?;
    render(&LeavingPage {
        chrome,
        uai: agent.school_uai.clone(),
        dossier_id,
        pupil_name: format!("{} {}", pupil.first_name, pupil.last_name),
    })
    .map(IntoResponse::into_response)
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
    if event == Event::MarkLeaving && form.confirmation != "oui" {
        return Ok(Redirect::to(&format!("{page}/sortant")).into_response());
    }
    let reason: String = form.reason.trim().chars().take(1000).collect();
    if event == Event::Return && reason.is_empty() {
        return Ok(redirect_with_flash(
            &state,
            &page,
            Flash::error("Indiquez à la famille ce qu'il faut corriger."),
        ));
    }
    // Every change is decided before the dossier is validated: validating
    // never accepts a change silently (the agent may accept all at once).
    if event == Event::Validate {
        let undecided = decisions::of_dossier(state.db.pool(), agent.scope(), dossier_id)
            .await?
            .map_or(0, |d| decisions::undecided(&d));
        if undecided > 0 {
            return Ok(redirect_with_flash(
                &state,
                &format!("{page}#modifications"),
                Flash::error(format!(
                    "{undecided} modification{} en attente de votre décision : acceptez-la ou refusez-la avant de valider le dossier (« Tout accepter » les accepte toutes).",
                    if undecided > 1 { "s" } else { "" }
                ).replace("acceptez-la ou refusez-la", if undecided > 1 { "acceptez-les ou refusez-les" } else { "acceptez-la ou refusez-la" })),
            ));
        }
    }
    // Read before the move: whom to write to if it is sent back.
    let (listed, _) = facts::of_dossier(state.db.pool(), agent.scope().id(), dossier_id)
        .await?
        .ok_or(AppError::NotFound)?;
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
        send_back_messages(&mut tx, &state, &agent, &listed, &reason).await?;
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

/// The e-mails telling a dossier's family it was sent back (the reason, the
/// refused pieces, the changes the school rejected), queued in `tx`.
pub async fn send_back_messages<P>(
    tx: &mut crate::db::Tx,
    state: &AppState,
    agent: &CurrentAgent<P>,
    listed: &facts::Listed,
    reason: &str,
) -> Result<(), AppError> {
    let dossier_id = listed.row.dossier_id;
    let refused: Vec<(String, String)> =
        uploads::refused_in_school(&mut **tx, agent.scope(), dossier_id)
            .await?
            .into_iter()
            .map(|p| (p.label, p.refusal_reason))
            .collect();
    let (email, phone) = campaigns::contact(&mut **tx, agent.school_id).await?;
    let school = SchoolContact {
        name: agent.school_name.clone(),
        email,
        phone,
    };
    let child = format!("{} {}", listed.row.first_name, listed.row.last_name);
    for (guardian_id, email) in messages::dossier_returned(
        &listed.facts,
        &child,
        reason,
        &refused,
        &school,
        &state.settings.base_url,
    ) {
        let to = notify::Recipient {
            school_id: agent.school_id,
            guardian_id,
            dossier_id: Some(dossier_id),
            batch_id: None,
        };
        notify::send(tx, &to, notify::Kind::Returned, &Message::Email(email)).await?;
    }
    // The message names the refused pieces: they are told.
    crate::db::piece_queue::mark_told_in_dossier(&mut **tx, dossier_id, crate::db::now_ms())
        .await?;
    Ok(())
}
