//! The school's team, for its direction (`ManageAgents`):
//! `GET /etablissements/{uai}/agents` (the list), `GET …/agents/nouveau` and
//! `POST …/agents` (invite by e-mail with one or several roles),
//! `GET …/agents/{agent_id}` (a member's page), and its actions
//! `POST …/roles`, `…/desactivation`, `…/reactivation`, `…/invitation`
//! (a new link; the previous one stops working). The rules live in
//! `crate::team`; a refusal comes back as a message on the member's page.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::db::Tx;
use crate::db::agents::{self, Member};
use crate::db::schools::{self, School};
use crate::domain::role::ManageAgents;
use crate::domain::{Role, RoleSet};
use crate::jobs;
use crate::mail::SendEmailJob;
use crate::team::{self, By, TeamError};
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

/// One role's checkbox.
pub struct RoleBox {
    pub code: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

fn role_boxes(roles: RoleSet) -> Vec<RoleBox> {
    Role::ALL
        .into_iter()
        .map(|role| RoleBox {
            code: role.code(),
            label: role.label(),
            checked: roles.contains(role),
        })
        .collect()
}

/// The roles ticked in a form (`role_<code>` fields).
fn ticked(form: &HashMap<String, String>) -> RoleSet {
    Role::ALL
        .into_iter()
        .filter(|role| form.contains_key(&format!("role_{}", role.code())))
        .fold(RoleSet::EMPTY, RoleSet::with)
}

/// A member as the pages show them.
pub struct MemberRow {
    pub agent_id: i64,
    pub name: String,
    pub email: String,
    pub roles: String,
    pub status: &'static str,
    pub status_css: &'static str,
}

impl From<&Member> for MemberRow {
    fn from(m: &Member) -> Self {
        let (status, status_css) = if !m.is_active() {
            ("Désactivé", "fr-badge--error")
        } else if !m.has_password() {
            ("Invitation envoyée", "fr-badge--info")
        } else {
            ("Actif", "fr-badge--success")
        };
        Self {
            agent_id: m.agent_id,
            name: m.display_name.clone(),
            email: m.email.clone(),
            roles: m.roles().labels(),
            status,
            status_css,
        }
    }
}

#[derive(Template)]
#[template(path = "school/agents/list.html")]
pub struct AgentsPage {
    pub chrome: Chrome,
    pub uai: String,
    pub school_name: String,
    pub members: Vec<MemberRow>,
}

pub async fn list(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageAgents>,
    chrome: Chrome,
) -> Result<Response, AppError> {
    let members = agents::list_members(state.db.pool(), agent.scope()).await?;
    Ok(render(&AgentsPage {
        chrome,
        uai: agent.school_uai.clone(),
        school_name: agent.school_name.clone(),
        members: members.iter().map(MemberRow::from).collect(),
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "school/agents/new.html")]
pub struct InvitePage {
    pub chrome: Chrome,
    pub uai: String,
    pub name: String,
    pub email: String,
    pub roles: Vec<RoleBox>,
    pub name_error: Option<&'static str>,
    pub email_error: Option<String>,
    pub roles_error: Option<&'static str>,
}

pub async fn new(agent: CurrentAgent<ManageAgents>, chrome: Chrome) -> Result<Response, AppError> {
    Ok(render(&InvitePage {
        chrome,
        uai: agent.school_uai.clone(),
        name: String::new(),
        email: String::new(),
        roles: role_boxes(RoleSet::EMPTY),
        name_error: None,
        email_error: None,
        roles_error: None,
    })?
    .into_response())
}

fn field(form: &HashMap<String, String>, name: &str) -> String {
    form.get(name)
        .map(|v| v.trim().chars().take(200).collect())
        .unwrap_or_default()
}

fn by(agent: &CurrentAgent<ManageAgents>) -> By {
    By {
        agent_id: Some(agent.agent_id),
        name: agent.display_name.clone(),
        ip: agent.ctx.ip_string(),
    }
}

async fn school_of(
    state: &AppState,
    agent: &CurrentAgent<ManageAgents>,
) -> Result<School, AppError> {
    schools::find(state.db.pool(), agent.school_id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn create(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageAgents>,
    chrome: Chrome,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let name = field(&form, "name");
    let email = field(&form, "email");
    let roles = ticked(&form);
    let mut page = InvitePage {
        chrome,
        uai: agent.school_uai.clone(),
        name: name.clone(),
        email: email.clone(),
        roles: role_boxes(roles),
        name_error: name
            .is_empty()
            .then_some("Saisissez le nom de la personne."),
        email_error: (!plausible_email(&email))
            .then(|| "Saisissez une adresse électronique au format nom@domaine.fr.".to_owned()),
        roles_error: roles.is_empty().then_some("Choisissez au moins un rôle."),
    };
    if page.name_error.is_some() || page.email_error.is_some() || page.roles_error.is_some() {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let school = school_of(&state, &agent).await?;
    let mut tx = state.db.begin().await?;
    let invitation = match team::invite(
        &mut tx,
        &state.settings.base_url,
        &school,
        &email,
        &name,
        roles,
        &by(&agent),
    )
    .await
    {
        Ok(invitation) => invitation,
        Err(TeamError::AlreadyMember) => {
            page.email_error = Some(TeamError::AlreadyMember.to_string());
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
        Err(err) => return Err(AppError::Internal(err.into())),
    };
    jobs::enqueue(
        &mut *tx,
        &SendEmailJob::new(invitation.email),
        None,
        Some(agent.school_id),
    )
    .await?;
    tx.commit().await?;
    state.job_signal.notify();
    let message = if invitation.link.is_some() {
        format!("Invitation envoyée à {email}.")
    } else {
        format!("{email} a désormais accès à l'établissement ; un courriel l'en informe.")
    };
    Ok(redirect_with_flash(
        &state,
        &format!("/etablissements/{}/agents", agent.school_uai),
        Flash::success(message),
    ))
}

/// An e-mail address worth sending to: something@something, no spaces.
fn plausible_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.contains(char::is_whitespace)
        }
        None => false,
    }
}

#[derive(Template)]
#[template(path = "school/agents/show.html")]
pub struct MemberPage {
    pub chrome: Chrome,
    pub uai: String,
    pub member: MemberRow,
    pub roles: Vec<RoleBox>,
    pub is_me: bool,
    pub active: bool,
    pub invitation_pending: bool,
}

/// The member `agent_id` of the agent's school; another school's agent (or
/// nobody) is "not found".
async fn member(
    state: &AppState,
    agent: &CurrentAgent<ManageAgents>,
    agent_id: i64,
) -> Result<Member, AppError> {
    agents::find_member(state.db.pool(), agent.scope(), agent_id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn show(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageAgents>,
    chrome: Chrome,
    Path((_, agent_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let m = member(&state, &agent, agent_id).await?;
    Ok(render(&MemberPage {
        chrome,
        uai: agent.school_uai.clone(),
        roles: role_boxes(m.roles()),
        is_me: agent_id == agent.agent_id,
        active: m.is_active(),
        invitation_pending: m.is_active() && !m.has_password(),
        member: MemberRow::from(&m),
    })?
    .into_response())
}

/// Back to the member's page, with what happened.
fn outcome(
    state: &AppState,
    agent: &CurrentAgent<ManageAgents>,
    agent_id: i64,
    result: Result<&str, TeamError>,
) -> Result<Response, AppError> {
    let flash = match result {
        Ok(message) => Flash::success(message),
        Err(TeamError::Database(err)) => return Err(err.into()),
        Err(TeamError::Other(err)) => return Err(AppError::Internal(err)),
        Err(refusal) => Flash::error(refusal.to_string()),
    };
    Ok(redirect_with_flash(
        state,
        &format!("/etablissements/{}/agents/{agent_id}", agent.school_uai),
        flash,
    ))
}

/// Commits the change, or the refusal: a rule's refusal wrote nothing but
/// its audit row, which must stay. A failure rolls back.
async fn commit_if_done(tx: Tx, result: Result<(), TeamError>) -> Result<(), TeamError> {
    match result {
        Err(err @ (TeamError::Database(_) | TeamError::Other(_))) => Err(err),
        result => {
            tx.commit().await?;
            result
        }
    }
}

pub async fn update_roles(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageAgents>,
    Path((_, agent_id)): Path<(String, i64)>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    member(&state, &agent, agent_id).await?;
    let roles = ticked(&form);
    let by = by(&agent);
    let mut tx = state.db.begin().await?;
    let result = team::change_roles(&mut tx, agent.school_id, agent_id, roles, &by).await;
    let result = commit_if_done(tx, result).await;
    outcome(
        &state,
        &agent,
        agent_id,
        result.map(|()| "Rôles enregistrés."),
    )
}

pub async fn deactivate(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageAgents>,
    Path((_, agent_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    member(&state, &agent, agent_id).await?;
    let by = by(&agent);
    let mut tx = state.db.begin().await?;
    let result = team::deactivate(&mut tx, agent.school_id, agent_id, &by).await;
    let result = commit_if_done(tx, result).await;
    let done = "Compte désactivé dans l'établissement : ses connexions en cours sont fermées.";
    outcome(&state, &agent, agent_id, result.map(|()| done))
}

pub async fn reactivate(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageAgents>,
    Path((_, agent_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    member(&state, &agent, agent_id).await?;
    let by = by(&agent);
    let mut tx = state.db.begin().await?;
    let result = team::reactivate(&mut tx, agent.school_id, agent_id, &by).await;
    let result = commit_if_done(tx, result).await;
    outcome(
        &state,
        &agent,
        agent_id,
        result.map(|()| "Compte réactivé."),
    )
}

pub async fn resend(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageAgents>,
    Path((_, agent_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    member(&state, &agent, agent_id).await?;
    let school = school_of(&state, &agent).await?;
    let by = by(&agent);
    let mut tx = state.db.begin().await?;
    let result =
        match team::resend_invitation(&mut tx, &state.settings.base_url, &school, agent_id, &by)
            .await
        {
            Ok(invitation) => jobs::enqueue(
                &mut *tx,
                &SendEmailJob::new(invitation.email),
                None,
                Some(agent.school_id),
            )
            .await
            .map(|_| ())
            .map_err(TeamError::from),
            Err(err) => Err(err),
        };
    let result = commit_if_done(tx, result).await;
    state.job_signal.notify();
    outcome(
        &state,
        &agent,
        agent_id,
        result.map(|()| "Nouvelle invitation envoyée ; le lien précédent ne fonctionne plus."),
    )
}
