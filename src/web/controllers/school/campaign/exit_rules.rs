//! The school's régimes de sortie, for the vie scolaire (`ManageSchoolLife`):
//! `GET|POST /etablissements/{uai}/campagne/regimes-de-sortie` (the list, a
//! new rule), `GET|POST …/{exit_rule_id}` (change), `POST …/{exit_rule_id}/
//! retrait` (remove, confirmed), `…/monter` and `…/descendre` (order).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Fields, base};
use crate::app::AppState;
use crate::db::{campaigns, setup};
use crate::domain::role::ManageSchoolLife;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

type Agent = CurrentAgent<ManageSchoolLife>;

#[derive(Template)]
#[template(path = "school/campaign/exit_rules.html")]
pub struct ExitRulesPage {
    pub chrome: Chrome,
    pub uai: String,
    pub rules: Vec<setup::ExitRule>,
    pub label: String,
    pub description: String,
    pub error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "school/campaign/exit_rule.html")]
pub struct ExitRulePage {
    pub chrome: Chrome,
    pub uai: String,
    pub id: i64,
    pub label: String,
    pub description: String,
    pub error: Option<&'static str>,
}

const NO_LABEL: &str = "Saisissez le nom du régime.";

fn url(agent: &Agent) -> String {
    format!("{}/regimes-de-sortie", base(agent))
}

pub async fn list(
    State(state): State<AppState>,
    agent: Agent,
    chrome: Chrome,
) -> Result<Response, AppError> {
    Ok(render(&ExitRulesPage {
        chrome,
        uai: agent.school_uai.clone(),
        rules: campaigns::exit_rules(state.db.pool(), agent.school_id).await?,
        label: String::new(),
        description: String::new(),
        error: None,
    })?
    .into_response())
}

pub async fn create(
    State(state): State<AppState>,
    agent: Agent,
    chrome: Chrome,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields = Fields(form);
    let label = fields.text("label", 200);
    let description = fields.text("description", 2000);
    if label.is_empty() {
        let page = ExitRulesPage {
            chrome,
            uai: agent.school_uai.clone(),
            rules: campaigns::exit_rules(state.db.pool(), agent.school_id).await?,
            label,
            description,
            error: Some(NO_LABEL),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let mut tx = state.db.begin().await?;
    let id = setup::create_exit_rule(&mut *tx, agent.school_id, &label, &description).await?;
    agent
        .audit(&mut *tx, "exit_rule_created", &format!("exit_rule:{id}"))
        .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &state,
        &url(&agent),
        Flash::success(format!("Régime « {label} » ajouté.")),
    ))
}

async fn find(state: &AppState, agent: &Agent, rule_id: i64) -> Result<setup::ExitRule, AppError> {
    campaigns::exit_rules(state.db.pool(), agent.school_id)
        .await?
        .into_iter()
        .find(|r| r.id == rule_id)
        .ok_or(AppError::NotFound)
}

pub async fn show(
    State(state): State<AppState>,
    agent: Agent,
    chrome: Chrome,
    Path((_, rule_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let rule = find(&state, &agent, rule_id).await?;
    Ok(render(&ExitRulePage {
        chrome,
        uai: agent.school_uai.clone(),
        id: rule.id,
        label: rule.label,
        description: rule.description,
        error: None,
    })?
    .into_response())
}

pub async fn update(
    State(state): State<AppState>,
    agent: Agent,
    chrome: Chrome,
    Path((_, rule_id)): Path<(String, i64)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    find(&state, &agent, rule_id).await?;
    let fields = Fields(form);
    let label = fields.text("label", 200);
    let description = fields.text("description", 2000);
    if label.is_empty() {
        let page = ExitRulePage {
            chrome,
            uai: agent.school_uai.clone(),
            id: rule_id,
            label,
            description,
            error: Some(NO_LABEL),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let mut tx = state.db.begin().await?;
    setup::update_exit_rule(&mut *tx, agent.school_id, rule_id, &label, &description).await?;
    agent
        .audit(
            &mut *tx,
            "exit_rule_updated",
            &format!("exit_rule:{rule_id}"),
        )
        .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &state,
        &url(&agent),
        Flash::success(format!("Régime « {label} » enregistré.")),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    agent: Agent,
    Path((_, rule_id)): Path<(String, i64)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let rule = find(&state, &agent, rule_id).await?;
    if !Fields(form).has("confirm") {
        return Ok(redirect_with_flash(
            &state,
            &format!("{}/{rule_id}", url(&agent)),
            Flash::error("Cochez la case de confirmation pour retirer le régime."),
        ));
    }
    let mut tx = state.db.begin().await?;
    setup::delete_exit_rule(&mut *tx, agent.school_id, rule_id).await?;
    agent
        .audit(
            &mut *tx,
            "exit_rule_deleted",
            &format!("exit_rule:{rule_id}"),
        )
        .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &state,
        &url(&agent),
        Flash::success(format!("Régime « {} » retiré.", rule.label)),
    ))
}

async fn move_rule(
    state: AppState,
    agent: Agent,
    rule_id: i64,
    up: bool,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    if !setup::move_exit_rule(&mut tx, agent.school_id, rule_id, up).await? {
        return Err(AppError::NotFound);
    }
    agent
        .audit(&mut *tx, "exit_rule_moved", &format!("exit_rule:{rule_id}"))
        .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &state,
        &url(&agent),
        Flash::success("Ordre des régimes enregistré."),
    ))
}

pub async fn move_up(
    State(state): State<AppState>,
    agent: Agent,
    Path((_, rule_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    move_rule(state, agent, rule_id, true).await
}

pub async fn move_down(
    State(state): State<AppState>,
    agent: Agent,
    Path((_, rule_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    move_rule(state, agent, rule_id, false).await
}
