//! Actions on many dossiers at once, from the dossier list: on the ticked
//! dossiers or, when none is ticked, on every dossier of the list's filter
//! (its query string comes in the hidden field `filtre`).
//!
//! - `POST …/dossiers/validation`: validates every dossier of the selection
//!   sent by its family without a single change (`Entry::validatable_in_bulk`),
//!   after a confirmation page that says how many (and which);
//! - `POST …/dossiers/renvoi`: sends the selection's dossiers back to their
//!   families with one reason, after a confirmation page;
//! - `POST …/dossiers/export`: the selection as a CSV file (UTF-8 with a BOM,
//!   `;`-separated, French headers: what Excel opens as is).
//!
//! Each dossier moves through `dossier::transition`, all in one transaction,
//! and each move is audited, with one more event for the batch.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::Form;
use serde::Deserialize;

use super::dossiers::entries;
use super::review::ListParams;
use super::transitions::send_back_messages;
use crate::app::AppState;
use crate::domain::dossier_state::{Actor, DossierState, Event};
use crate::domain::role::{AnyStaff, ManageSchool};
use crate::dossier::review::{self, Entry};
use crate::dossier::{self, By, Move, MoveError, facts};
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

#[derive(Debug, Default, Deserialize)]
pub struct SelectionForm {
    /// The ticked dossiers; none: the whole filter.
    #[serde(default)]
    dossier: Vec<i64>,
    /// The confirmed dossiers, comma-separated (the confirmation page's one
    /// hidden field).
    #[serde(default)]
    dossiers: String,
    /// The list's filter, as its query string.
    #[serde(default)]
    filtre: String,
    /// `oui` once the agent confirmed on the confirmation page.
    #[serde(default)]
    confirmation: String,
    /// A send-back's reason.
    #[serde(default)]
    reason: String,
}

impl SelectionForm {
    /// The selected dossiers among the campaign's, in the list's order.
    fn select(&self, all: Vec<Entry>) -> Vec<Entry> {
        let params = ListParams::parse(&self.filtre);
        let mut ids = self.dossier.clone();
        ids.extend(
            self.dossiers
                .split(',')
                .filter_map(|id| id.trim().parse::<i64>().ok()),
        );
        if ids.is_empty() {
            review::select(all, &params.filter, params.sort, params.descending)
        } else {
            let chosen = review::select(all, &Default::default(), params.sort, params.descending);
            chosen
                .into_iter()
                .filter(|e| ids.contains(&e.dossier_id))
                .collect()
        }
    }
}

/// What a bulk action will do, shown before it is done.
#[derive(Template)]
#[template(path = "school/bulk_confirm.html")]
pub struct ConfirmPage {
    pub chrome: Chrome,
    pub uai: String,
    /// `validation` or `renvoi`.
    pub action: &'static str,
    /// The dossiers it applies to.
    pub chosen: Vec<Entry>,
    /// How many selected dossiers it leaves alone.
    pub left_alone: usize,
    pub filter_query: String,
    pub reason: String,
}

impl ConfirmPage {
    /// The ids confirmed, comma-separated.
    pub fn ids(&self) -> String {
        self.chosen
            .iter()
            .map(|e| e.dossier_id.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn list_url(agent_uai: &str, filter: &str) -> String {
    if filter.is_empty() {
        format!("/etablissements/{agent_uai}/dossiers")
    } else {
        format!("/etablissements/{agent_uai}/dossiers?{filter}")
    }
}

/// `POST …/dossiers/validation`.
pub async fn validate(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Form(form): Form<SelectionForm>,
) -> Result<Response, AppError> {
    let back = list_url(&agent.school_uai, &form.filtre);
    let selected = form.select(entries(&state, agent.scope()).await?);
    let total = selected.len();
    let chosen: Vec<Entry> = selected
        .into_iter()
        .filter(Entry::validatable_in_bulk)
        .collect();
    if chosen.is_empty() {
        return Ok(redirect_with_flash(
            &state,
            &back,
            Flash::error(
                "Aucun dossier à valider : aucun dossier à vérifier sans modification dans cette sélection.",
            ),
        ));
    }
    if form.confirmation != "oui" {
        return render(&ConfirmPage {
            chrome,
            uai: agent.school_uai.clone(),
            action: "validation",
            left_alone: total - chosen.len(),
            chosen,
            filter_query: form.filtre.clone(),
            reason: String::new(),
        })
        .map(IntoResponse::into_response);
    }
    let mut tx = state.db.begin().await?;
    let mut validated = 0usize;
    for e in &chosen {
        let moved = dossier::transition(
            &mut tx,
            Move {
                school_id: agent.school_id,
                dossier_id: e.dossier_id,
                from: DossierState::Submitted,
                event: Event::Validate,
                by: By::Agent(agent.agent_id),
                ip: &agent.ctx.ip_string(),
                reason: "",
            },
        )
        .await;
        match moved {
            Ok(to) => {
                validated += 1;
                agent
                    .audit(
                        &mut *tx,
                        "dossier_transition",
                        &format!("dossier:{}:{}", e.dossier_id, to.code()),
                    )
                    .await?;
            }
            // Moved by someone else meanwhile: left as it is now.
            Err(MoveError::Moved | MoveError::NotAllowed(_)) => {}
            Err(MoveError::Database(err)) => return Err(err.into()),
        }
    }
    agent
        .audit(
            &mut *tx,
            "dossiers_validated_in_bulk",
            &format!("dossiers:{validated}"),
        )
        .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &state,
        &back,
        Flash::success(format!(
            "{validated} dossier{} validé{}.",
            plural(validated),
            plural(validated)
        )),
    ))
}

fn plural(n: usize) -> &'static str {
    if n > 1 { "s" } else { "" }
}

/// `POST …/dossiers/renvoi`.
pub async fn send_back(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Form(form): Form<SelectionForm>,
) -> Result<Response, AppError> {
    let back = list_url(&agent.school_uai, &form.filtre);
    let selected = form.select(entries(&state, agent.scope()).await?);
    let total = selected.len();
    let chosen: Vec<Entry> = selected
        .into_iter()
        .filter(|e| e.state.events_for(Actor::Agent).contains(&Event::Return))
        .collect();
    if chosen.is_empty() {
        return Ok(redirect_with_flash(
            &state,
            &back,
            Flash::error("Aucun dossier de cette sélection ne peut être renvoyé à sa famille."),
        ));
    }
    let reason: String = form.reason.trim().chars().take(1000).collect();
    if form.confirmation != "oui" || reason.is_empty() {
        return render(&ConfirmPage {
            chrome,
            uai: agent.school_uai.clone(),
            action: "renvoi",
            left_alone: total - chosen.len(),
            chosen,
            filter_query: form.filtre.clone(),
            reason,
        })
        .map(IntoResponse::into_response);
    }
    let (listed, _) = facts::of_school(state.db.pool(), agent.scope().id()).await?;
    let mut tx = state.db.begin().await?;
    let mut returned = 0usize;
    for e in &chosen {
        let Some(l) = listed.iter().find(|l| l.row.dossier_id == e.dossier_id) else {
            continue;
        };
        let moved = dossier::transition(
            &mut tx,
            Move {
                school_id: agent.school_id,
                dossier_id: e.dossier_id,
                from: e.state,
                event: Event::Return,
                by: By::Agent(agent.agent_id),
                ip: &agent.ctx.ip_string(),
                reason: &reason,
            },
        )
        .await;
        match moved {
            Ok(to) => {
                returned += 1;
                send_back_messages(&mut tx, &state, &agent, l, &reason).await?;
                agent
                    .audit(
                        &mut *tx,
                        "dossier_transition",
                        &format!("dossier:{}:{}", e.dossier_id, to.code()),
                    )
                    .await?;
            }
            Err(MoveError::Moved | MoveError::NotAllowed(_)) => {}
            Err(MoveError::Database(err)) => return Err(err.into()),
        }
    }
    agent
        .audit(
            &mut *tx,
            "dossiers_returned_in_bulk",
            &format!("dossiers:{returned}"),
        )
        .await?;
    tx.commit().await?;
    state.job_signal.notify();
    Ok(redirect_with_flash(
        &state,
        &back,
        Flash::success(format!(
            "{returned} dossier{} renvoyé{} à {}.",
            plural(returned),
            plural(returned),
            if returned > 1 {
                "leur famille"
            } else {
                "sa famille"
            }
        )),
    ))
}

/// `POST …/dossiers/export`: the selection as CSV.
pub async fn export(
    State(state): State<AppState>,
    agent: CurrentAgent<AnyStaff>,
    Form(form): Form<SelectionForm>,
) -> Result<Response, AppError> {
    let selected = form.select(entries(&state, agent.scope()).await?);
    agent
        .audit(
            state.db.pool(),
            "dossiers_exported",
            &format!("dossiers:{}", selected.len()),
        )
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"dossiers.csv\"".to_owned(),
            ),
        ],
        review::csv(&selected),
    )
        .into_response())
}
