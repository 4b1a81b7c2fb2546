//! `GET /etablissements/{uai}`: the school's dashboard: the current
//! campaign's dossiers by state, per class and per MEF, the completion rate
//! and who is left (state labels as in the dossier list).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::response::Html;

use super::completion::{self, CompletionChart};
use crate::app::AppState;
use crate::db::{agents, code_requests, dashboard, dossiers, family, lockout, now_ms};
use crate::domain::dossier_state::DossierState;
use crate::domain::role::{AnyStaff, ManageAgents, ManageSchool, ManageSchoolLife, ReadMedical};
use crate::domain::words;
use crate::dossier::review::Filter;
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
const LEFT_LISTED: i64 = 100;

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
    /// The nurse prepares the medical forms.
    pub can_read_medical: bool,
    pub can_canteen: bool,
    pub can_school_life: bool,
    /// The vie scolaire and the direction set the authorisations.
    pub can_manage_school_life: bool,
    /// Personal codes that keep failing (shown to those who issue codes).
    pub failing_codes: Vec<FailingCodeRow>,
    /// Sent and validated per day of the campaign.
    pub completion: Option<CompletionChart>,
    /// What needs the school: a count each, linking to what it counts.
    pub needs: Vec<Need>,
    /// Guardians of pupils who stay who never signed in (at most
    /// [`NEVER_LISTED`]), of `guardians` in all; `came` did.
    pub never_came: Vec<NeverCame>,
    pub never_came_count: usize,
    pub guardians: usize,
    pub came: usize,
    /// Satisfaction marks (direction and secretariat only): how many of each
    /// mark 1 to 5, and the comments, newest first.
    pub marks: Vec<(i64, i64)>,
    pub marks_total: i64,
    pub comments: Vec<Comment>,
    /// The last invitations and reminders, and who came back after each
    /// (direction and secretariat only).
    pub reminders: Vec<ReminderLine>,
}

/// An invitation or reminder on the dashboard.
pub struct ReminderLine {
    pub id: i64,
    pub at: String,
    pub kind: &'static str,
    pub dossiers: i64,
    pub signed_in: i64,
    pub sent: i64,
}

/// How many invitations and reminders the dashboard lists.
const REMINDERS_LISTED: i64 = 10;

/// One line of « À traiter par l'établissement ».
pub struct Need {
    /// The `id` of its line (`a-traiter-pieces`).
    pub id: &'static str,
    pub label: &'static str,
    pub count: i64,
    /// Where the school sees them, if there is a page yet.
    pub href: Option<String>,
    /// Where the school deals with them one after the other (the pieces
    /// queue), for those who may.
    pub queue: Option<String>,
}

/// A guardian who never signed in.
pub struct NeverCame {
    pub guardian_id: i64,
    pub name: String,
    /// Their children who stay, « Léa MARTIN (4A) », with one dossier.
    pub pupils: String,
    pub dossier_id: i64,
    /// How the school can reach them, in words.
    pub reach: &'static str,
}

pub struct Comment {
    pub mark: i64,
    pub at: String,
    pub text: String,
}

/// How many of the guardians who never came the dashboard lists.
const NEVER_LISTED: usize = 100;

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
    let completion = completion_chart(&state, &agent, staying).await?;
    let needs = needs(&state, &agent).await?;
    let visits = guardian_visits(&state, &agent).await?;
    let (marks, marks_total, comments) = if can_manage {
        satisfaction(&state, &agent).await?
    } else {
        (Vec::new(), 0, Vec::new())
    };
    let reminders = if can_manage {
        dashboard::reminder_outcomes(state.db.pool(), agent.scope(), REMINDERS_LISTED)
            .await?
            .into_iter()
            .map(|r| ReminderLine {
                id: r.id,
                at: words::paris_time(r.created_at),
                kind: if r.kind == "invitation" {
                    "Invitation"
                } else {
                    "Relance"
                },
                dossiers: r.dossiers,
                signed_in: r.signed_in,
                sent: r.sent,
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
        can_read_medical: agent.roles.allows::<ReadMedical>(),
        can_canteen: agent.roles.allows::<crate::domain::role::ManageCanteen>(),
        can_school_life: agent
            .roles
            .allows::<crate::domain::role::ManageSchoolLife>(),
        can_manage_school_life,
        failing_codes,
        completion,
        needs,
        never_came_count: visits.never_came_count,
        never_came: visits.never_came,
        guardians: visits.guardians,
        came: visits.came,
        marks,
        marks_total,
        comments,
        reminders,
    })
}

/// What needs the school, each counted and linked to the dossier list
/// filtered on it.
async fn needs(state: &AppState, agent: &CurrentAgent<AnyStaff>) -> Result<Vec<Need>, AppError> {
    let pool = state.db.pool();
    let list = |filter: &str| {
        Some(format!(
            "/etablissements/{}/dossiers?{filter}=oui",
            agent.school_uai
        ))
    };
    // Counted as the list its link shows: the same entries, the same filter.
    let entries = super::dossiers::entries(state, agent.scope()).await?;
    let count = |filter: Filter| entries.iter().filter(|e| filter.matches(e)).count() as i64;
    let mut needs = vec![
        Need {
            id: "a-traiter-conflits",
            label: "Dossiers où les responsables ont répondu différemment",
            count: count(Filter {
                conflicts: true,
                ..Filter::default()
            }),
            href: list("conflits"),
            queue: None,
        },
        Need {
            id: "a-traiter-pieces",
            label: "Dossiers envoyés avec des pièces à vérifier",
            count: count(Filter {
                pieces_to_check: true,
                ..Filter::default()
            }),
            href: list("pieces"),
            queue: agent
                .roles
                .allows::<ManageSchool>()
                .then(|| format!("/etablissements/{}/pieces/a-verifier", agent.school_uai)),
        },
        Need {
            id: "a-traiter-ine",
            label: "Élèves sans INE",
            count: count(Filter {
                without_ine: true,
                ..Filter::default()
            }),
            href: list("sans-ine"),
            queue: None,
        },
        Need {
            id: "a-traiter-messages",
            label: "Messages aux familles non distribués",
            count: dashboard::undelivered_messages(pool, agent.scope()).await?,
            href: None,
            queue: None,
        },
    ];
    if agent.roles.allows::<ManageSchool>() {
        needs.push(Need {
            id: "a-traiter-demandes",
            label: "Demandes de nouveau code personnel",
            count: code_requests::count_pending(pool, agent.scope()).await?,
            href: Some(format!(
                "/etablissements/{}/demandes-de-code",
                agent.school_uai
            )),
            queue: None,
        });
    }
    Ok(needs)
}

struct Visits {
    /// The first [`NEVER_LISTED`] of those who never came, by name.
    never_came: Vec<NeverCame>,
    never_came_count: usize,
    guardians: usize,
    came: usize,
}

/// The guardians of pupils who stay, by whether they ever signed in.
async fn guardian_visits(
    state: &AppState,
    agent: &CurrentAgent<AnyStaff>,
) -> Result<Visits, AppError> {
    let pool = state.db.pool();
    let counts = dashboard::guardian_counts(pool, agent.scope()).await?;
    let rows = dashboard::never_came(pool, agent.scope(), NEVER_LISTED as i64).await?;
    let mut by_guardian: Vec<(dashboard::GuardianVisit, Vec<String>)> = Vec::new();
    for row in rows {
        let pupil = if row.division.is_empty() {
            format!("{} {}", row.pupil_first_name, row.pupil_last_name)
        } else {
            format!(
                "{} {} ({})",
                row.pupil_first_name, row.pupil_last_name, row.division
            )
        };
        match by_guardian.last_mut() {
            Some((last, pupils)) if last.guardian_id == row.guardian_id => pupils.push(pupil),
            _ => by_guardian.push((row, vec![pupil])),
        }
    }
    let never_came = by_guardian
        .into_iter()
        .map(|(g, pupils)| NeverCame {
            guardian_id: g.guardian_id,
            name: words::person(&g.civility, &g.first_name, &g.last_name),
            pupils: pupils.join(", "),
            dossier_id: g.dossier_id,
            reach: match (g.has_email, g.has_mobile) {
                (true, true) => "Courriel et SMS",
                (true, false) => "Courriel",
                (false, true) => "SMS",
                (false, false) => "Courrier seulement",
            },
        })
        .collect();
    Ok(Visits {
        never_came,
        never_came_count: (counts.guardians - counts.came) as usize,
        guardians: counts.guardians as usize,
        came: counts.came as usize,
    })
}

/// The distribution of the marks (1 to 5) and the comments.
async fn satisfaction(
    state: &AppState,
    agent: &CurrentAgent<AnyStaff>,
) -> Result<(Vec<(i64, i64)>, i64, Vec<Comment>), AppError> {
    let rows = dashboard::satisfaction(state.db.pool(), agent.scope()).await?;
    let marks = (1..=5)
        .map(|mark| (mark, rows.iter().filter(|r| r.mark == mark).count() as i64))
        .collect();
    let comments = rows
        .iter()
        .filter(|r| !r.comment.trim().is_empty())
        .take(200)
        .map(|r| Comment {
            mark: r.mark,
            at: words::paris_time(r.created_at),
            text: r.comment.clone(),
        })
        .collect();
    Ok((marks, rows.len() as i64, comments))
}

/// The completion curve from the recorded instants; the clock only says
/// which day is today.
async fn completion_chart(
    state: &AppState,
    agent: &CurrentAgent<AnyStaff>,
    staying: i64,
) -> Result<Option<CompletionChart>, AppError> {
    let Some((opens_on, closes_on)) =
        dashboard::campaign_days(state.db.pool(), agent.scope()).await?
    else {
        return Ok(None);
    };
    let times = dashboard::completion_times(state.db.pool(), agent.scope()).await?;
    let sent: Vec<i64> = times.iter().filter_map(|t| t.sent_at).collect();
    let validated: Vec<i64> = times.iter().filter_map(|t| t.validated_at).collect();
    let Some(today) = words::paris_day(now_ms()) else {
        return Ok(None);
    };
    Ok(completion::chart(
        opens_on.as_deref(),
        closes_on.as_deref(),
        today,
        &sent,
        &validated,
        staying,
    ))
}
