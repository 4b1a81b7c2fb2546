//! `GET /agent/etablissements`: the schools where the signed-in agent is
//! active; straight to the school when there is one.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use crate::app::AppState;
use crate::db::agents;
use crate::web::auth::SignedInAgent;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

pub struct SchoolChoice {
    pub uai: String,
    pub name: String,
    pub roles: String,
}

#[derive(Template)]
#[template(path = "agent/schools.html")]
pub struct SchoolsPage {
    pub chrome: Chrome,
    pub agent_name: String,
    pub schools: Vec<SchoolChoice>,
}

pub async fn list(
    State(state): State<AppState>,
    agent: SignedInAgent,
    chrome: Chrome,
) -> Result<Response, AppError> {
    let memberships = agents::active_memberships(state.db.pool(), agent.agent_id).await?;
    if let [only] = memberships.as_slice() {
        return Ok(Redirect::to(&format!("/etablissements/{}", only.school_uai)).into_response());
    }
    let schools = memberships
        .into_iter()
        .map(|m| SchoolChoice {
            roles: m.roles().labels(),
            uai: m.school_uai,
            name: m.school_name,
        })
        .collect();
    Ok(render(&SchoolsPage {
        chrome,
        agent_name: agent.display_name,
        schools,
    })?
    .into_response())
}
