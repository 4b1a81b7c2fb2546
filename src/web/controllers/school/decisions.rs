//! The school's decision on each change of a dossier:
//! `POST /etablissements/{uai}/dossiers/{dossier_id}/modifications` with
//! `decision` = `accepter` or `refuser` (with a reason, shown to the family
//! if the dossier is sent back) and `change` = the change's key, or
//! `decision` = `tout_accepter` for every change still undecided. Only while
//! the dossier is to be checked (sent by its family). Only accepted changes
//! go back to SIECLE (`dossier::decisions::accepted_changes`). Audited.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use crate::app::AppState;
use crate::db::{decisions, dossiers};
use crate::domain::dossier_state::DossierState;
use crate::domain::role::ManageSchool;
use crate::dossier::decisions::{self as decided, Decided};
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};

/// The longest rejection reason kept.
const MAX_REASON: usize = 300;

#[derive(Debug, Default, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    change: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

pub async fn update(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    Path((_uai, dossier_id)): Path<(String, i64)>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let pool = state.db.pool();
    let dossier = dossiers::find_in_school(pool, agent.scope(), dossier_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let all = decided::of_dossier(pool, agent.scope(), dossier_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let page = format!(
        "/etablissements/{}/dossiers/{dossier_id}#modifications",
        agent.school_uai
    );
    let error = |message: &str| Ok(redirect_with_flash(&state, &page, Flash::error(message)));
    let reason: String = form
        .reason
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_REASON)
        .collect();
    let (targets, accepted): (Vec<&Decided>, bool) = match form.decision.as_str() {
        "tout_accepter" => (all.iter().filter(|d| d.decision.is_none()).collect(), true),
        "accepter" | "refuser" => {
            let Some(one) = all.iter().find(|d| d.change.key == form.change) else {
                return error(
                    "Cette modification n'est plus proposée : la famille l'a changée. Relisez le dossier.",
                );
            };
            (vec![one], form.decision == "accepter")
        }
        _ => return Err(AppError::BadRequest("unknown decision".into())),
    };
    if dossier.state != DossierState::Submitted {
        return error("Les modifications se décident quand le dossier est à vérifier.");
    }
    if !accepted && reason.is_empty() {
        return error(
            "Indiquez le motif du refus : la famille le lira si le dossier lui est renvoyé.",
        );
    }
    let mut tx = state.db.begin().await?;
    for d in &targets {
        let c = &d.change;
        decisions::record(
            &mut *tx,
            decisions::Decision {
                dossier_id,
                change_key: &c.key,
                proposed_value: &c.value,
                label: &c.label,
                proposed_words: &c.after,
                accepted,
                reason: if accepted { "" } else { &reason },
                agent_id: agent.agent_id,
            },
        )
        .await?;
        agent
            .audit(
                &mut *tx,
                "change_decision",
                &format!(
                    "dossier:{dossier_id}:{}:{}",
                    c.key,
                    if accepted { "accepted" } else { "rejected" }
                ),
            )
            .await?;
    }
    tx.commit().await?;
    let message = match (targets.len(), accepted) {
        (0, _) => "Aucune modification en attente de décision.".to_owned(),
        (1, true) => format!("Modification acceptée : {}.", targets[0].change.label),
        (1, false) => format!("Modification refusée : {}.", targets[0].change.label),
        (n, _) => format!("{n} modifications acceptées."),
    };
    Ok(redirect_with_flash(&state, &page, Flash::success(message)))
}
