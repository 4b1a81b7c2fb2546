//! `GET|POST /etablissements/{uai}/campagne/annee-suivante`: the campaign of
//! the next school year, copied from the current one (dates a year later,
//! texts, contact, help, demi-pension days; the school's pieces, exit rules
//! and tariffs carry over). The POST needs the confirmation box ticked.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Fields, base};
use crate::app::AppState;
use crate::db::setup::{self, NextYear};
use crate::domain::role::ManageSchool;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

#[derive(Template)]
#[template(path = "school/campaign/next_year.html")]
pub struct NextYearPage {
    pub chrome: Chrome,
    pub uai: String,
    pub current_year: Option<i64>,
    pub error: Option<&'static str>,
}

async fn page(
    state: &AppState,
    agent: &CurrentAgent<ManageSchool>,
    chrome: Chrome,
    error: Option<&'static str>,
) -> Result<NextYearPage, AppError> {
    let current = setup::current_campaign(state.db.pool(), agent.school_id).await?;
    Ok(NextYearPage {
        chrome,
        uai: agent.school_uai.clone(),
        current_year: current.map(|c| c.school_year),
        error,
    })
}

pub async fn show(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
) -> Result<Response, AppError> {
    Ok(render(&page(&state, &agent, chrome, None).await?)?.into_response())
}

pub async fn create(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    if !Fields(form).has("confirm") {
        let page = page(
            &state,
            &agent,
            chrome,
            Some("Cochez la case de confirmation : rien n'a été créé."),
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let mut tx = state.db.begin().await?;
    let year = match setup::copy_to_next_year(&mut tx, agent.school_id).await? {
        NextYear::Created(year) => year,
        NextYear::NoCampaign => {
            tx.rollback().await?;
            let page = page(
                &state,
                &agent,
                chrome,
                Some("Il n'y a pas encore de campagne à recopier : commencez par les dates de celle-ci."),
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
    };
    agent
        .audit(&mut *tx, "campaign_copied", &format!("school_year:{year}"))
        .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &state,
        &format!("{}/pret", base(&agent)),
        Flash::success(format!(
            "Campagne {year} créée à partir de la précédente : vérifiez ses dates, puis importez les fichiers de SIECLE de la nouvelle année."
        )),
    ))
}
