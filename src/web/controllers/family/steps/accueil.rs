//! Step 1, accueil: the welcome text of the campaign and what the family will be asked.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::super::{FamilyDossier, Stepper};
use crate::app::AppState;
use crate::db::{campaigns, setup};
use crate::domain::journey::Step;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

#[derive(Template)]
#[template(path = "family/accueil.html")]
pub struct AccueilPage {
    pub chrome: Chrome,
    pub stepper: Stepper,
    pub action: String,
    pub school_name: String,
    /// The school's welcome, rendered and sanitised (`web::markdown`).
    pub welcome_html: String,
    pub deadline: String,
    pub documents: Vec<(String, String, bool)>,
}

pub async fn show_accueil(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
) -> Result<Response, AppError> {
    if let Some(redirect) = dossier.redirect_for(Step::Accueil) {
        return Ok(redirect.into_response());
    }
    let welcome =
        campaigns::welcome_of_dossier(state.db.pool(), dossier.dossier.dossier_id).await?;
    let school_name = dossier.school_name(&state).await?;
    let documents = {
        let mut conn = state.db.pool().acquire().await?;
        setup::documents_asked(
            &mut conn,
            dossier.dossier.school_id,
            dossier.dossier.dossier_id,
        )
        .await?
    };
    render(&AccueilPage {
        chrome,
        stepper: Stepper::new(&dossier, Step::Accueil),
        action: dossier.url(Step::Accueil),
        school_name,
        welcome_html: crate::web::markdown::to_safe_html(&welcome.welcome_text),
        deadline: welcome
            .closes_on
            .map(|d| french_date(&d))
            .unwrap_or_default(),
        documents: documents
            .into_iter()
            .map(|d| (d.label, d.explanation, d.mandatory))
            .collect(),
    })
    .map(IntoResponse::into_response)
}

pub async fn update_accueil(
    State(state): State<AppState>,
    dossier: FamilyDossier,
) -> Result<Response, AppError> {
    dossier.ensure_editable()?;
    dossier.complete(&state, Step::Accueil).await
}

pub fn french_date(iso: &str) -> String {
    match iso.split('-').collect::<Vec<_>>().as_slice() {
        [y, m, d] => format!("{d}/{m}/{y}"),
        _ => iso.to_owned(),
    }
}
