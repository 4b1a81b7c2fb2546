//! A pupil's change of track: « Formation l'an prochain » on the dossier's
//! page. `POST /etablissements/{uai}/dossiers/{dossier_id}/formation-an-prochain`
//! with `mef` = the code of one of the school's MEFs (a change of track, or
//! this year's MEF to repeat), or empty to go back to the default (the
//! campaign's « redoublants », else its MEF succession). The choice wins
//! wherever next year's MEF is read (the family's options, the return file to
//! SIECLE, where DOUBLEMENT is « next MEF = this year's »). Direction and
//! secretariat only; audited (`next_mef_chosen`, in the dossier's timeline).

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::dossiers::dossier_page;
use crate::app::AppState;
use crate::db::next_mef::{self, NextMefRow};
use crate::db::{SchoolScope, dossiers};
use crate::domain::dossier_state::DossierState;
use crate::domain::role::ManageSchool;
use crate::domain::words;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

/// What the dossier's page says of next year, with the choice it offers.
#[derive(Debug, Clone, Default)]
pub struct NextYearView {
    /// This year's class level in words (« 6e »), or « — ».
    pub this_year: String,
    /// Next year's in words (« 5e », « fin du collège »…).
    pub next_year: String,
    /// Why: chosen by the school, repeating, the campaign's succession…
    pub why: String,
    /// The default (what « formation prévue » means here), in words.
    pub default_words: String,
    /// The chosen MEF's code, empty for the default (the select's value).
    pub chosen: String,
    /// The school's MEFs: (code, label in words).
    pub choices: Vec<(String, String)>,
    /// The agent may change it (direction, secretariat; not a pupil leaving).
    pub can_change: bool,
    /// A refused choice, in French.
    pub error: Option<String>,
}

/// The default next year of `row` in words, and why.
fn default_of(row: &NextMefRow) -> (String, &'static str) {
    if let Some(entry) = &row.entry_label {
        return (
            words::class_level(entry),
            "formation d'entrée indiquée à l'inscription",
        );
    }
    if row.repeating {
        let this = row
            .mef_label
            .as_deref()
            .map_or("—".into(), words::class_level);
        return (this, "redoublement (redoublants de la campagne)");
    }
    if let Some(next) = &row.succession_label {
        return (words::class_level(next), "passage prévu par la campagne");
    }
    if row.ends_college.is_some_and(|f| f.0) {
        return (
            "fin du collège".into(),
            "dernière formation du collège : indiquez s'il redouble ou s'il change de formation",
        );
    }
    (
        "pas encore réglée".into(),
        "la formation qui suit n'est pas réglée dans la campagne (formations de la campagne)",
    )
}

/// Next year of the dossier `dossier_id`, as its page shows it.
pub async fn view(
    state: &AppState,
    scope: SchoolScope,
    dossier_id: i64,
    dossier_state: DossierState,
    can_manage: bool,
) -> Result<NextYearView, AppError> {
    let pool = state.db.pool();
    let Some(row) = next_mef::of_dossier(pool, scope, dossier_id).await? else {
        return Ok(NextYearView::default());
    };
    let (default_words, default_why) = default_of(&row);
    let (next_year, why) = match (&row.chosen_code, &row.chosen_label) {
        (Some(code), Some(label)) => (
            words::class_level(label),
            if row.mef_code.as_deref() == Some(code.as_str()) {
                "choisie par l'établissement : redoublement".to_owned()
            } else {
                "choisie par l'établissement".to_owned()
            },
        ),
        _ => (default_words.clone(), default_why.to_owned()),
    };
    let choices = next_mef::choices(pool, scope)
        .await?
        .into_iter()
        .map(|m| (m.code, words::class_level(&m.label)))
        .collect();
    Ok(NextYearView {
        this_year: row
            .mef_label
            .as_deref()
            .map_or_else(|| "—".to_owned(), words::class_level),
        next_year,
        why,
        default_words: format!("{default_words}, {default_why}"),
        chosen: row.chosen_code.unwrap_or_default(),
        choices,
        can_change: can_manage && dossier_state != DossierState::Leaving,
        error: None,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct TrackForm {
    #[serde(default)]
    mef: String,
}

/// Refused: a code that is none of the school's MEFs (a forged form).
const NOT_OURS: &str = "Cette formation n'est pas une formation de l'établissement : choisissez-en une dans la liste. Rien n'a été changé.";

pub async fn update(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Path((_uai, dossier_id)): Path<(String, i64)>,
    Form(form): Form<TrackForm>,
) -> Result<Response, AppError> {
    let pool = state.db.pool();
    let dossier = dossiers::find_in_school(pool, agent.scope(), dossier_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let page = format!(
        "/etablissements/{}/dossiers/{dossier_id}#formation",
        agent.school_uai
    );
    if dossier.state == DossierState::Leaving {
        return Ok(redirect_with_flash(
            &state,
            &page,
            Flash::error(
                "L'élève quitte l'établissement : il n'a pas de formation ici l'an prochain.",
            ),
        ));
    }
    let code = form.mef.trim();
    let choices = next_mef::choices(pool, agent.scope()).await?;
    let chosen = if code.is_empty() {
        None
    } else if let Some(mef) = choices.iter().find(|m| m.code == code) {
        Some(mef)
    } else {
        let mut page = dossier_page(&state, &agent, chrome, dossier_id).await?;
        page.next_year.error = Some(NOT_OURS.to_owned());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    };
    let before = next_mef::of_dossier(pool, agent.scope(), dossier_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if before.chosen_code.as_deref() == chosen.map(|m| m.code.as_str()) {
        return Ok(redirect_with_flash(
            &state,
            &page,
            Flash::success("Formation de l'an prochain inchangée."),
        ));
    }
    let mut tx = state.db.begin().await?;
    if !next_mef::set(&mut *tx, agent.scope(), dossier_id, chosen.map(|m| m.id)).await? {
        return Err(AppError::NotFound);
    }
    agent
        .audit(
            &mut *tx,
            "next_mef_chosen",
            &format!("dossier:{dossier_id} mef:{code}"),
        )
        .await?;
    tx.commit().await?;
    let message = match chosen {
        Some(mef) => format!(
            "Formation de l'an prochain : {}.",
            words::class_level(&mef.label)
        ),
        None => format!(
            "Formation de l'an prochain : retour à celle prévue, {}.",
            default_of(&before).0
        ),
    };
    Ok(redirect_with_flash(&state, &page, Flash::success(message)))
}
