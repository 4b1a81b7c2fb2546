//! A new personal code for a guardian, as Post/Redirect/Get:
//! `POST …/dossiers/{dossier_id}/responsables/{guardian_id}/code` issues it
//! (the old one stops working) and redirects to the `GET` of the same
//! address, which shows it once, on a page made to be printed and handed
//! to the family. The code waits in `code_slips` for that one read, never
//! in a URL: a reload neither issues another code nor shows it again.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::app::AppState;
use crate::db::{Tx, code_slips, dossiers, family};
use crate::domain::access_code;
use crate::domain::role::ManageSchool;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

#[derive(Template)]
#[template(path = "school/code.html")]
pub struct CodePage {
    pub chrome: Chrome,
    pub uai: String,
    pub dossier_id: i64,
    pub guardian_id: i64,
    pub school_name: String,
    pub guardian_name: String,
    pub pupils: Vec<String>,
    /// The code, on the first read only.
    pub code: Option<String>,
    pub sign_in_url: String,
}

/// The guardian `guardian_id` of the pupil of dossier `dossier_id`, both of
/// the agent's school.
async fn guardian_of_dossier(
    state: &AppState,
    manager: &CurrentAgent<ManageSchool>,
    dossier_id: i64,
    guardian_id: i64,
) -> Result<family::Guardian, AppError> {
    let pupil_id = dossiers::find_in_school(state.db.pool(), manager.scope(), dossier_id)
        .await?
        .ok_or(AppError::NotFound)?
        .pupil_id;
    dossiers::guardian_in_school(state.db.pool(), manager.scope(), pupil_id, guardian_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Issues a new code to `guardian_id` (a guardian of the agent's school,
/// checked by the caller) inside `tx`: the old code and the sessions opened
/// with it end, the new code waits in `code_slips` for the code page.
pub async fn issue(
    tx: &mut Tx,
    manager: &CurrentAgent<ManageSchool>,
    guardian_id: i64,
) -> Result<(), AppError> {
    let code = access_code::generate();
    family::set_access_code(&mut **tx, guardian_id, &access_code::hash(&code)).await?;
    code_slips::keep(tx, guardian_id, manager.agent_id, &code).await?;
    manager
        .audit(
            &mut **tx,
            "access_code_reissued",
            &format!("guardian:{guardian_id}"),
        )
        .await?;
    Ok(())
}

/// `POST …/code`: issues the code, keeps it for the next page, redirects.
pub async fn create(
    State(state): State<AppState>,
    manager: CurrentAgent<ManageSchool>,
    Path((_uai, dossier_id, guardian_id)): Path<(String, i64, i64)>,
) -> Result<Response, AppError> {
    guardian_of_dossier(&state, &manager, dossier_id, guardian_id).await?;
    let mut tx = state.db.begin().await?;
    issue(&mut tx, &manager, guardian_id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/etablissements/{}/dossiers/{dossier_id}/responsables/{guardian_id}/code",
        manager.school_uai
    ))
    .into_response())
}

/// `GET …/code`: the code just issued by this agent, once; afterwards, the
/// page says it was shown and offers another one.
pub async fn show(
    State(state): State<AppState>,
    manager: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Path((_uai, dossier_id, guardian_id)): Path<(String, i64, i64)>,
) -> Result<Html<String>, AppError> {
    let guardian = guardian_of_dossier(&state, &manager, dossier_id, guardian_id).await?;
    let code = code_slips::take(state.db.pool(), guardian_id, manager.agent_id).await?;
    let pupils = family::dossiers_of_guardian(state.db.pool(), guardian_id)
        .await?
        .into_iter()
        .filter(|d| d.school_id == manager.school_id)
        .map(|d| format!("{} {}", d.first_name, d.last_name))
        .collect();
    render(&CodePage {
        chrome,
        uai: manager.school_uai.clone(),
        dossier_id,
        guardian_id,
        school_name: manager.school_name.clone(),
        guardian_name: format!(
            "{} {} {}",
            guardian.civility, guardian.first_name, guardian.last_name
        )
        .trim()
        .to_owned(),
        pupils,
        code,
        sign_in_url: format!(
            "{}/famille/connexion",
            state.settings.base_url.trim_end_matches('/')
        ),
    })
}
