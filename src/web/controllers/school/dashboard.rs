//! `GET /etablissements/{uai}`: the school's dashboard.

use askama::Template;
use axum::extract::State;
use axum::response::Html;

use crate::app::AppState;
use crate::db::{agents, dossiers, family, lockout};
use crate::domain::dossier_state::DossierState;
use crate::domain::role::{AnyStaff, ManageAgents, ManageSchool, ManageSchoolLife};
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

pub struct Tile {
    pub label: &'static str,
    pub count: i64,
}

#[derive(Template)]
#[template(path = "school/dashboard.html")]
pub struct DashboardPage {
    pub chrome: Chrome,
    pub uai: String,
    pub school_name: String,
    pub agent_name: String,
    pub role_label: String,
    pub tiles: Vec<Tile>,
    /// (name, e-mail, roles)
    pub agents: Vec<(String, String, String)>,
    pub can_manage: bool,
    /// The direction manages the team.
    pub can_manage_agents: bool,
    pub can_canteen: bool,
    pub can_school_life: bool,
    /// The vie scolaire and the direction set the authorisations.
    pub can_manage_school_life: bool,
    /// Personal codes that keep failing (shown to those who issue codes).
    pub failing_codes: Vec<FailingCodeRow>,
}

pub struct FailingCodeRow {
    pub name: String,
    pub dossier_id: i64,
    pub failures: i64,
    pub lockouts: i64,
    pub locked_now: bool,
}

/// Failures in a row from which a code is listed even before its first lock.
const FAILING_FROM: i64 = 3;

pub async fn show(
    State(state): State<AppState>,
    agent: CurrentAgent<AnyStaff>,
    chrome: Chrome,
) -> Result<Html<String>, AppError> {
    let counts = dossiers::count_by_state(state.db.pool(), agent.school_id).await?;
    // The states' own labels, as on the list of dossiers.
    let tiles = DossierState::ALL
        .into_iter()
        .map(|state| Tile {
            label: state.label(),
            count: counts
                .iter()
                .find(|c| c.state == state)
                .map_or(0, |c| c.count),
        })
        .collect();
    let agents = agents::list_members(state.db.pool(), agent.scope())
        .await?
        .into_iter()
        .filter(|m| m.is_active())
        .map(|m| (m.display_name.clone(), m.email.clone(), m.roles().labels()))
        .collect();
    let can_manage = agent.roles.allows::<ManageSchool>();
    let can_manage_agents = agent.roles.allows::<ManageAgents>();
    let can_manage_school_life = agent.roles.allows::<ManageSchoolLife>();
    let failing_codes = if can_manage {
        family::failing_codes(state.db.pool(), agent.school_id, FAILING_FROM)
            .await?
            .into_iter()
            .map(|c| FailingCodeRow {
                name: format!("{} {}", c.first_name, c.last_name),
                dossier_id: c.dossier_id,
                failures: c.failed_sign_ins,
                lockouts: c.sign_in_lockouts,
                locked_now: lockout::is_locked(c.locked_until),
            })
            .collect()
    } else {
        Vec::new()
    };
    render(&DashboardPage {
        chrome,
        uai: agent.school_uai.clone(),
        school_name: agent.school_name.clone(),
        agent_name: agent.display_name.clone(),
        role_label: agent.roles.labels(),
        tiles,
        agents,
        can_manage,
        can_manage_agents,
        can_canteen: agent.roles.allows::<crate::domain::role::ManageCanteen>(),
        can_school_life: agent
            .roles
            .allows::<crate::domain::role::ManageSchoolLife>(),
        can_manage_school_life,
        failing_codes,
    })
}
