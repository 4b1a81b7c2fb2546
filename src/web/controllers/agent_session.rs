//! Agent sign-in and sign-out: `GET/POST /agent/connexion`,
//! `POST /agent/deconnexion`.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::app::AppState;
use crate::db::sessions::Owner;
use crate::db::{agents, audit, lockout, schools};
use crate::web::auth::verify_password;
use crate::web::error::AppError;
use crate::web::session::{self, Flash, RequestContext};
use crate::web::templates::{Chrome, render};

/// Failed attempts after which an account is locked, and for how long.
pub const LOCKOUT: lockout::Policy = lockout::Policy {
    after: 10,
    for_ms: 15 * 60 * 1000,
};

#[derive(Template)]
#[template(path = "agent/sign_in.html")]
pub struct SignInPage {
    pub chrome: Chrome,
    pub email: String,
    pub next: String,
    pub error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    suite: Option<String>,
}

pub async fn new(chrome: Chrome, Query(query): Query<NextQuery>) -> Result<Response, AppError> {
    let page = SignInPage {
        chrome,
        email: String::new(),
        next: safe_next(query.suite.as_deref()),
        error: None,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    suite: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    chrome: Chrome,
    Form(form): Form<SignInForm>,
) -> Result<Response, AppError> {
    let next = safe_next(form.suite.as_deref());
    let refuse = |status: StatusCode, error: &'static str| -> Result<Response, AppError> {
        let page = SignInPage {
            chrome: chrome.clone(),
            email: form.email.clone(),
            next: next.clone(),
            error: Some(error),
        };
        Ok((status, render(&page)?).into_response())
    };
    if !session::sign_in_allowed(&state, &ctx, "agent").await? {
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "Trop de tentatives de connexion depuis votre adresse : patientez une minute avant de réessayer.",
        );
    }
    let agent = agents::find_by_email(state.db.pool(), &form.email).await?;
    if let Some(agent) = &agent
        && lockout::is_locked(agent.locked_until)
    {
        return refuse(
            StatusCode::FORBIDDEN,
            "Ce compte est verrouillé pendant 15 minutes après trop d'échecs de connexion. Réessayez plus tard ou adressez-vous à la direction.",
        );
    }
    let stored = agent.as_ref().and_then(|a| a.password_hash.clone());
    let password = form.password.clone();
    let valid = tokio::task::spawn_blocking(move || verify_password(&password, stored.as_deref()))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let Some(agent) = agent.clone().filter(|_| valid) else {
        if let Some(agent) = &agent {
            lockout::record_failure(state.db.pool(), lockout::Account::Agent, agent.id, LOCKOUT)
                .await?;
        }
        let actor = agent
            .as_ref()
            .map_or(audit::Actor::Anonymous, |a| audit::Actor::Agent(a.id));
        let school = agent.as_ref().map(|a| a.school_id);
        audit::record(
            state.db.pool(),
            school,
            actor,
            "sign_in_failed",
            "agent",
            &ctx.ip_string(),
        )
        .await?;
        return refuse(
            StatusCode::UNAUTHORIZED,
            "Adresse électronique ou mot de passe incorrect.",
        );
    };
    agents::record_sign_in(state.db.pool(), agent.id).await?;
    audit::record(
        state.db.pool(),
        Some(agent.school_id),
        audit::Actor::Agent(agent.id),
        "sign_in",
        "agent",
        &ctx.ip_string(),
    )
    .await?;
    let school = schools::find(state.db.pool(), agent.school_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let to = if next == "/" {
        format!("/etablissements/{}", school.uai)
    } else {
        next
    };
    tracing::info!(agent.id = agent.id, school.uai = %school.uai, "agent signed in");
    session::sign_in_response(&state, Owner::Agent(agent.id), ctx.client_ip, &to).await
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    if let Some(s) = &ctx.session {
        let actor = s
            .agent_id
            .map_or(audit::Actor::Anonymous, audit::Actor::Agent);
        audit::record(
            state.db.pool(),
            s.school_id,
            actor,
            "sign_out",
            "agent",
            &ctx.ip_string(),
        )
        .await?;
    }
    session::sign_out_response(&state, &ctx, "/", Flash::success("Vous êtes déconnecté·e.")).await
}

/// Only local paths are followed after sign-in (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(
            safe_next(Some("/etablissements/0750680G")),
            "/etablissements/0750680G"
        );
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
