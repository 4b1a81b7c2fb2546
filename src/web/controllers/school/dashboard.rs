//! `GET /etablissements/{uai}`: the school's dashboard: the current
//! campaign's dossiers by state, per class and per MEF, the completion rate
//! and who is left (state labels as in the dossier list).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::response::Html;

use crate::app::AppState;
use crate::db::{agents, dossiers, family, lockout};
use crate::domain::dossier_state::DossierState;
use crate::domain::role::{AnyStaff, ManageAgents, ManageSchool, ManageSchoolLife};
use crate::domain::words;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

pub struct Tile {
    pub label: &'static str,
    pub count: i64,
}

/// One line of a table of counts (a class or a MEF).
pub struct GroupRow {
    /// The row's `id` (`classe-4A`, `mef-6EME`).
    pub id: String,
    pub name: String,
    /// (state code, count), in the order of [`DossierState::ALL`].
    pub counts: Vec<(&'static str, i64)>,
    pub total: i64,
    /// Sent or validated, in % of the dossiers of pupils who stay.
    pub rate: Option<i64>,
}

/// A table of counts: per class, or per MEF.
pub struct CountTable {
    pub title: &'static str,
    pub caption: &'static str,
    /// The header of the rows' column.
    pub heading: &'static str,
    pub rows: Vec<GroupRow>,
}

/// A dossier the family has not sent, with the dossier list's state label.
pub struct LeftRow {
    pub dossier_id: i64,
    pub name: String,
    pub division: String,
    pub state_label: &'static str,
    pub last_visit: String,
}

/// How many of those who are left the dashboard lists.
const LEFT_LISTED: i64 = 500;

/// Sent (`submitted`) or `validated`: the family is done.
fn is_complete(state: DossierState) -> bool {
    matches!(state, DossierState::Submitted | DossierState::Validated)
}

/// `done` of `staying` in %, rounded down; `None` without anyone staying.
fn rate(done: i64, staying: i64) -> Option<i64> {
    (staying > 0).then(|| done * 100 / staying)
}

/// An HTML id from a class or MEF name (letters, digits and dashes).
fn html_id(prefix: &str, name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{prefix}-{name}")
}

/// Rows of counts grouped by `key` (a class, a MEF), in name order.
fn group_rows(
    counts: &[dossiers::GroupCount],
    prefix: &str,
    key: impl Fn(&dossiers::GroupCount) -> &str,
    unnamed: &str,
) -> Vec<GroupRow> {
    let mut groups: BTreeMap<String, Vec<&dossiers::GroupCount>> = BTreeMap::new();
    for count in counts {
        groups.entry(key(count).to_owned()).or_default().push(count);
    }
    groups
        .into_iter()
        .map(|(name, rows)| {
            let of = |state: DossierState| -> i64 {
                rows.iter()
                    .filter(|r| r.state == state)
                    .map(|r| r.count)
                    .sum()
            };
            let total: i64 = rows.iter().map(|r| r.count).sum();
            let done: i64 = rows
                .iter()
                .filter(|r| is_complete(r.state))
                .map(|r| r.count)
                .sum();
            let name = if name.is_empty() {
                unnamed.to_owned()
            } else {
                name
            };
            GroupRow {
                id: html_id(prefix, &name),
                counts: DossierState::ALL
                    .iter()
                    .map(|s| (s.code(), of(*s)))
                    .collect(),
                total,
                rate: rate(done, total - of(DossierState::Leaving)),
                name,
            }
        })
        .collect()
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
    /// The state labels of the tables' columns, as the dossier list says them.
    pub state_labels: Vec<&'static str>,
    /// Per class, then per MEF.
    pub tables: Vec<CountTable>,
    /// Sent or validated, of the dossiers of pupils who stay.
    pub done: i64,
    pub staying: i64,
    pub rate: Option<i64>,
    pub left: Vec<LeftRow>,
    /// More are left than listed.
    pub left_more: bool,
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
    let count_of = |state: DossierState| -> i64 {
        counts
            .iter()
            .find(|c| c.state == state)
            .map_or(0, |c| c.count)
    };
    let tiles = DossierState::ALL
        .iter()
        .map(|state| Tile {
            label: state.label(),
            count: count_of(*state),
        })
        .collect();
    let done: i64 = DossierState::ALL
        .into_iter()
        .filter(|s| is_complete(*s))
        .map(count_of)
        .sum();
    let staying: i64 =
        counts.iter().map(|c| c.count).sum::<i64>() - count_of(DossierState::Leaving);
    let groups = dossiers::count_by_class_and_mef(state.db.pool(), agent.scope()).await?;
    let by_class = group_rows(&groups, "classe", |g| g.division.as_str(), "Sans classe");
    let by_mef = group_rows(&groups, "mef", |g| g.mef_label.as_str(), "MEF inconnu");
    let mut left: Vec<LeftRow> =
        dossiers::left_to_finish(state.db.pool(), agent.scope(), LEFT_LISTED + 1)
            .await?
            .into_iter()
            .map(|d| LeftRow {
                dossier_id: d.id,
                name: format!("{} {}", d.first_name, d.last_name),
                division: d.division,
                state_label: d.state.label(),
                last_visit: d
                    .last_visit
                    .map(words::paris_time)
                    .unwrap_or_else(|| "jamais".to_owned()),
            })
            .collect();
    let left_more = left.len() as i64 > LEFT_LISTED;
    left.truncate(LEFT_LISTED as usize);
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
        state_labels: DossierState::ALL.iter().map(|s| s.label()).collect(),
        tables: vec![
            CountTable {
                title: "Par classe",
                caption: "Dossiers par classe et par état",
                heading: "Classe",
                rows: by_class,
            },
            CountTable {
                title: "Par MEF",
                caption: "Dossiers par MEF et par état",
                heading: "MEF",
                rows: by_mef,
            },
        ],
        done,
        staying,
        rate: rate(done, staying),
        left,
        left_more,
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
