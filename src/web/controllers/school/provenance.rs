//! A new pupil's provenance after the fact: « Provenance » on the dossier's
//! page of a pupil created at the desk (no INE, unknown to SIECLE). A pupil
//! created before the school imported SIECLE's Nomenclature export has none,
//! and the return file's dry run blocks them (check 38) with a link here.
//! `POST /etablissements/{uai}/dossiers/{dossier_id}/provenance` with
//! `provenance` = one of the school's provenance codes (its nomenclature's).
//! Direction and secretariat only; audited (`provenance_chosen`, in the
//! dossier's timeline).

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::dossiers::dossier_page;
use crate::app::AppState;
use crate::db::SchoolScope;
use crate::db::new_pupils;
use crate::domain::role::ManageSchool;
use crate::domain::words;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

/// What the dossier's page says of a new pupil's provenance.
#[derive(Debug, Clone, Default)]
pub struct ProvenanceView {
    /// The pupil is a new pupil (created at the desk, unknown to SIECLE):
    /// the section is shown.
    pub shown: bool,
    /// The provenance in words, or what is missing.
    pub words: String,
    /// The pupil has none yet.
    pub missing: bool,
    /// The chosen code (the select's value).
    pub chosen: String,
    /// The school's provenances: (code, words).
    pub choices: Vec<(String, String)>,
    /// The agent may change it (direction, secretariat).
    pub can_change: bool,
    /// A refused choice, in French.
    pub error: Option<String>,
}

/// The provenance of the dossier `dossier_id`'s pupil, as its page shows it.
pub async fn view(
    state: &AppState,
    scope: SchoolScope,
    dossier_id: i64,
    can_manage: bool,
) -> Result<ProvenanceView, AppError> {
    let pool = state.db.pool();
    let Some(pupil) = new_pupils::provenance_of_dossier(pool, scope, dossier_id).await? else {
        return Ok(ProvenanceView::default());
    };
    if !pupil.is_new {
        return Ok(ProvenanceView::default());
    }
    let choices: Vec<(String, String)> = new_pupils::provenances(pool, scope)
        .await?
        .into_iter()
        .map(|p| (p.code, p.label))
        .collect();
    let code = pupil.provenance_code.trim().to_owned();
    let words = if code.is_empty() {
        "non renseignée : l'élève ne peut pas partir dans le fichier de retour vers SIECLE"
            .to_owned()
    } else {
        choices.iter().find(|(c, _)| *c == code).map_or_else(
            || "code inconnu de la nomenclature importée".to_owned(),
            |(_, label)| words::sentence_case(label),
        )
    };
    Ok(ProvenanceView {
        shown: true,
        words,
        missing: code.is_empty(),
        chosen: code,
        choices,
        can_change: can_manage,
        error: None,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct ProvenanceForm {
    #[serde(default)]
    provenance: String,
}

/// Refused: a code that is none of the school's provenances (a forged form,
/// or none chosen).
const NOT_OURS: &str = "Choisissez la provenance de l'élève dans la liste des provenances de SIECLE. Rien n'a été changé.";

pub async fn update(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Path((_uai, dossier_id)): Path<(String, i64)>,
    Form(form): Form<ProvenanceForm>,
) -> Result<Response, AppError> {
    let pool = state.db.pool();
    let pupil = new_pupils::provenance_of_dossier(pool, agent.scope(), dossier_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let page = format!(
        "/etablissements/{}/dossiers/{dossier_id}#provenance",
        agent.school_uai
    );
    if !pupil.is_new {
        return Ok(redirect_with_flash(
            &state,
            &page,
            Flash::error(
                "Cet élève est connu de SIECLE : sa provenance est celle de SIECLE, elle ne se change pas ici.",
            ),
        ));
    }
    let code = form.provenance.trim();
    let choices = new_pupils::provenances(pool, agent.scope()).await?;
    let Some(chosen) = choices.iter().find(|p| p.code == code) else {
        let mut page = dossier_page(&state, &agent, chrome, dossier_id).await?;
        page.provenance.error = Some(NOT_OURS.to_owned());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    };
    if pupil.provenance_code == chosen.code {
        return Ok(redirect_with_flash(
            &state,
            &page,
            Flash::success("Provenance inchangée."),
        ));
    }
    let mut tx = state.db.begin().await?;
    if !new_pupils::set_provenance(&mut *tx, agent.scope(), pupil.pupil_id, &chosen.code).await? {
        return Err(AppError::NotFound);
    }
    agent
        .audit(
            &mut *tx,
            "provenance_chosen",
            &format!("dossier:{dossier_id} provenance:{}", chosen.code),
        )
        .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &state,
        &page,
        Flash::success(format!(
            "Provenance de l'élève : {}.",
            words::sentence_case(&chosen.label)
        )),
    ))
}
