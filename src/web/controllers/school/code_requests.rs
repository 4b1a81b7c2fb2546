//! Families' requests for a new personal code (made from the sign-in page,
//! `family::lost_code`): `GET /etablissements/{uai}/demandes-de-code` lists
//! those waiting; the secretariat issues a code to one of the matched
//! pupil's guardians (the code page shows it once, as for any new code) or
//! dismisses the request. Both are audited.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::codes;
use crate::app::AppState;
use crate::db::{code_requests, dossiers};
use crate::domain::role::ManageSchool;
use crate::domain::words;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

/// A request as listed, with the guardians a code may go to.
pub struct RequestView {
    pub id: i64,
    pub at: String,
    pub child: String,
    pub birth_date: String,
    pub guardian_name: String,
    pub contact: String,
    /// The matched pupil's dossier, and its guardians (id, name).
    pub dossier_id: Option<i64>,
    pub guardians: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "school/code_requests.html")]
pub struct CodeRequestsPage {
    pub chrome: Chrome,
    pub uai: String,
    pub requests: Vec<RequestView>,
}

fn list_url(uai: &str) -> String {
    format!("/etablissements/{uai}/demandes-de-code")
}

pub async fn list(
    State(state): State<AppState>,
    manager: CurrentAgent<ManageSchool>,
    chrome: Chrome,
) -> Result<Html<String>, AppError> {
    let pool = state.db.pool();
    let mut requests = Vec::new();
    for r in code_requests::pending(pool, manager.scope()).await? {
        let guardians = match (r.pupil_id, r.dossier_id) {
            (Some(pupil_id), Some(_)) => {
                dossiers::guardians_in_school(pool, manager.scope(), pupil_id)
                    .await?
                    .into_iter()
                    .map(|g| {
                        (
                            g.id,
                            words::person(&g.civility, &g.first_name, &g.last_name),
                        )
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        requests.push(RequestView {
            id: r.id,
            at: words::paris_time(r.created_at),
            child: format!("{} {}", r.pupil_first_name, r.pupil_last_name),
            birth_date: words::french_date(&r.birth_date),
            guardian_name: r.guardian_name,
            contact: r.contact,
            dossier_id: r.dossier_id,
            guardians,
        });
    }
    render(&CodeRequestsPage {
        chrome,
        uai: manager.school_uai.clone(),
        requests,
    })
}

#[derive(Deserialize)]
pub struct IssueForm {
    #[serde(default)]
    guardian_id: String,
}

/// `POST …/demandes-de-code/{request_id}/code`: a new code for one of the
/// matched pupil's guardians; the request is then closed and the code page
/// shows the code once.
pub async fn issue(
    State(state): State<AppState>,
    manager: CurrentAgent<ManageSchool>,
    Path((_uai, request_id)): Path<(String, i64)>,
    Form(form): Form<IssueForm>,
) -> Result<Response, AppError> {
    let pool = state.db.pool();
    let request = code_requests::find(pool, manager.scope(), request_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let list = list_url(&manager.school_uai);
    if request.status != "pending" {
        return Ok(redirect_with_flash(
            &state,
            &list,
            Flash::error("Cette demande a déjà été traitée."),
        ));
    }
    let (Some(pupil_id), Some(dossier_id)) = (request.pupil_id, request.dossier_id) else {
        return Ok(redirect_with_flash(
            &state,
            &list,
            Flash::error("Cette demande ne correspond à aucun élève : contactez la famille."),
        ));
    };
    let guardian = match form.guardian_id.trim().parse::<i64>() {
        Ok(id) => dossiers::guardian_in_school(pool, manager.scope(), pupil_id, id).await?,
        Err(_) => None,
    };
    let Some(guardian) = guardian else {
        return Ok(redirect_with_flash(
            &state,
            &list,
            Flash::error("Choisissez le responsable qui recevra le nouveau code."),
        ));
    };
    let mut tx = state.db.begin().await?;
    if !code_requests::close(
        &mut *tx,
        manager.scope(),
        request_id,
        "issued",
        manager.agent_id,
    )
    .await?
    {
        return Ok(redirect_with_flash(
            &state,
            &list,
            Flash::error("Cette demande a déjà été traitée."),
        ));
    }
    codes::issue(&mut tx, &manager, guardian.id).await?;
    manager
        .audit(
            &mut *tx,
            "code_request_issued",
            &format!("code_request:{request_id} guardian:{}", guardian.id),
        )
        .await?;
    tx.commit().await?;
    Ok(axum::response::Redirect::to(&format!(
        "/etablissements/{}/dossiers/{dossier_id}/responsables/{}/code",
        manager.school_uai, guardian.id
    ))
    .into_response())
}

/// `POST …/demandes-de-code/{request_id}/classement`: the request is
/// dismissed (not the school's pupil, already handled by telephone…).
pub async fn dismiss(
    State(state): State<AppState>,
    manager: CurrentAgent<ManageSchool>,
    Path((_uai, request_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    code_requests::find(state.db.pool(), manager.scope(), request_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = state.db.begin().await?;
    let closed = code_requests::close(
        &mut *tx,
        manager.scope(),
        request_id,
        "dismissed",
        manager.agent_id,
    )
    .await?;
    if closed {
        manager
            .audit(
                &mut *tx,
                "code_request_dismissed",
                &format!("code_request:{request_id}"),
            )
            .await?;
    }
    tx.commit().await?;
    let flash = if closed {
        Flash::success("Demande classée.")
    } else {
        Flash::error("Cette demande a déjà été traitée.")
    };
    Ok(redirect_with_flash(
        &state,
        &list_url(&manager.school_uai),
        flash,
    ))
}
