//! `GET /famille`: the signed-in guardian's children, each with the state of
//! their dossier and a link to go on where they stopped.

use askama::Template;
use axum::extract::State;
use axum::response::Html;

use super::CurrentGuardian;
use crate::app::AppState;
use crate::db::family;
use crate::domain::journey::{self, Step};
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

pub struct ChildLine {
    pub name: String,
    pub state_label: &'static str,
    pub url: String,
    pub action: &'static str,
}

#[derive(Template)]
#[template(path = "family/dossiers.html")]
pub struct DossiersPage {
    pub chrome: Chrome,
    pub children: Vec<ChildLine>,
}

/// The state of a dossier the family can fill but has not begun.
const NOT_BEGUN: &str = "pas encore commencé";

pub async fn list(
    State(state): State<AppState>,
    guardian: CurrentGuardian,
    chrome: Chrome,
) -> Result<Html<String>, AppError> {
    let children = family::dossiers_of_guardian(state.db.pool(), guardian.guardian_id)
        .await?
        .into_iter()
        .map(|c| {
            let (step, action) = if c.state.editable_by_family() {
                let step = journey::resume(c.furthest_step.as_deref(), true);
                (
                    step,
                    if step == Step::Accueil {
                        "Commencer"
                    } else {
                        "Reprendre"
                    },
                )
            } else {
                (Step::Confirmation, "Voir")
            };
            ChildLine {
                name: format!("{} {}", c.first_name, c.last_name),
                // Opened at sign-in, a dossier is "en cours" for the school;
                // the family has not begun it until it leaves the welcome page.
                state_label: if step == Step::Accueil {
                    NOT_BEGUN
                } else {
                    c.state.label()
                },
                url: format!("/famille/dossiers/{}/{}", c.dossier_id, step.slug()),
                action,
            }
        })
        .collect();
    render(&DossiersPage { chrome, children })
}
