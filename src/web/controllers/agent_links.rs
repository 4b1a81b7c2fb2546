//! The one-time links e-mailed to agents, and "mot de passe oublié":
//! `GET/POST /agent/invitation/{token}` (choose a first password, 7 days),
//! `GET/POST /agent/mot-de-passe-oublie` (ask for a link: the same answer
//! whether the address is known or not), `GET/POST
//! /agent/nouveau-mot-de-passe/{token}` (choose a new password, 1 hour).
//! A link works once; an unknown, used, replaced or expired one gets the
//! same page (410) and changes nothing.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::keys::hash_token;
use crate::auth::passwords::{check_new_password, hash_password};
use crate::db::agents::{self, LinkPurpose};
use crate::db::schools;
use crate::db::sessions::Owner;
use crate::jobs;
use crate::mail::SendEmailJob;
use crate::team;
use crate::web::error::AppError;
use crate::web::session::{self, RequestContext};
use crate::web::templates::{Chrome, render};

#[derive(Template)]
#[template(path = "agent/set_password.html")]
pub struct SetPasswordPage {
    pub chrome: Chrome,
    pub title: &'static str,
    pub intro: String,
    pub action: String,
    pub email: String,
    pub error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "agent/link_invalid.html")]
pub struct LinkInvalidPage {
    pub chrome: Chrome,
    pub invitation: bool,
}

#[derive(Template)]
#[template(path = "agent/forgot_password.html")]
pub struct ForgotPasswordPage {
    pub chrome: Chrome,
    pub email: String,
    pub error: Option<&'static str>,
    pub sent: bool,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirmation: String,
}

fn invalid(chrome: Chrome, purpose: LinkPurpose) -> Result<Response, AppError> {
    let page = LinkInvalidPage {
        chrome,
        invitation: purpose == LinkPurpose::Invitation,
    };
    Ok((StatusCode::GONE, render(&page)?).into_response())
}

fn path_of(purpose: LinkPurpose, token: &str) -> String {
    match purpose {
        LinkPurpose::Invitation => format!("/agent/invitation/{token}"),
        LinkPurpose::PasswordReset => format!("/agent/nouveau-mot-de-passe/{token}"),
    }
}

/// The form of a live link, or the "link no longer valid" page.
async fn show(
    state: &AppState,
    chrome: Chrome,
    purpose: LinkPurpose,
    token: &str,
    error: Option<&'static str>,
) -> Result<Response, AppError> {
    let Some(link) = agents::live_link(state.db.pool(), &hash_token(token), purpose).await? else {
        return invalid(chrome, purpose);
    };
    let (title, intro) = match (purpose, link.school_id) {
        (LinkPurpose::Invitation, Some(school_id)) => {
            let school = schools::find(state.db.pool(), school_id)
                .await?
                .ok_or(AppError::NotFound)?;
            (
                "Bienvenue dans DossierSCO",
                format!(
                    "Vous êtes invité·e à rejoindre l'équipe de {} ({}). Choisissez votre mot de passe pour vous connecter.",
                    school.name, school.uai
                ),
            )
        }
        _ => (
            "Choisir un nouveau mot de passe",
            "Choisissez un nouveau mot de passe : l'ancien ne fonctionnera plus, et vos connexions en cours seront fermées."
                .to_owned(),
        ),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = SetPasswordPage {
        chrome,
        title,
        intro,
        action: path_of(purpose, token),
        email: link.email,
        error,
    };
    Ok((status, render(&page)?).into_response())
}

/// Sets the password through a live link, then signs the agent in: an
/// invitation lands on its school, a new password on the agent's schools.
async fn update(
    state: &AppState,
    ctx: &RequestContext,
    chrome: Chrome,
    purpose: LinkPurpose,
    token: &str,
    form: PasswordForm,
) -> Result<Response, AppError> {
    let error = check_new_password(&form.password).err().or_else(|| {
        (form.password != form.confirmation)
            .then_some("Les deux mots de passe ne sont pas identiques.")
    });
    if let Some(error) = error {
        return show(state, chrome, purpose, token, Some(error)).await;
    }
    let password = form.password;
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let mut tx = state.db.begin().await?;
    let set =
        team::set_password_with_link(&mut tx, token, purpose, &hash, &ctx.ip_string()).await?;
    let Some(set) = set else {
        drop(tx);
        return invalid(chrome, purpose);
    };
    tx.commit().await?;
    let to = match set.school_id {
        Some(school_id) if purpose == LinkPurpose::Invitation => {
            let school = schools::find(state.db.pool(), school_id)
                .await?
                .ok_or(AppError::NotFound)?;
            format!("/etablissements/{}", school.uai)
        }
        _ => "/agent/etablissements".to_owned(),
    };
    agents::record_sign_in(state.db.pool(), set.agent_id).await?;
    session::sign_in_response(state, Owner::Agent(set.agent_id), ctx.client_ip, &to).await
}

pub async fn show_invitation(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    show(&state, chrome, LinkPurpose::Invitation, &token, None).await
}

pub async fn accept_invitation(
    State(state): State<AppState>,
    ctx: RequestContext,
    chrome: Chrome,
    Path(token): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    update(&state, &ctx, chrome, LinkPurpose::Invitation, &token, form).await
}

pub async fn show_reset(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    show(&state, chrome, LinkPurpose::PasswordReset, &token, None).await
}

pub async fn update_reset(
    State(state): State<AppState>,
    ctx: RequestContext,
    chrome: Chrome,
    Path(token): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    update(
        &state,
        &ctx,
        chrome,
        LinkPurpose::PasswordReset,
        &token,
        form,
    )
    .await
}

pub async fn new_reset(chrome: Chrome) -> Result<Response, AppError> {
    let page = ForgotPasswordPage {
        chrome,
        email: String::new(),
        error: None,
        sent: false,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// Sends a link if the address is an agent's; the page says the same in
/// both cases, so that it does not tell which addresses exist.
pub async fn create_reset(
    State(state): State<AppState>,
    ctx: RequestContext,
    chrome: Chrome,
    Form(form): Form<ForgotForm>,
) -> Result<Response, AppError> {
    let email = form.email.trim().chars().take(200).collect::<String>();
    if !email.contains('@') {
        let page = ForgotPasswordPage {
            chrome,
            email,
            error: Some("Saisissez votre adresse électronique, au format nom@domaine.fr."),
            sent: false,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    if !session::sign_in_allowed(&state, &ctx, "agent").await? {
        return Err(AppError::TooManyAttempts);
    }
    let mut tx = state.db.begin().await?;
    if let Some(message) =
        team::request_password_reset(&mut tx, &state.settings.base_url, &email, &ctx.ip_string())
            .await?
    {
        jobs::enqueue(&mut *tx, &SendEmailJob::new(message), None, None).await?;
    }
    tx.commit().await?;
    state.job_signal.notify();
    // Each request counts like a failed sign-in from this address, known
    // address or not: asking for many addresses, or flooding one mailbox,
    // is slowed down the same way.
    session::count_sign_in_failure(&state, &ctx, "agent").await?;
    let page = ForgotPasswordPage {
        chrome,
        email,
        error: None,
        sent: true,
    };
    Ok(render(&page)?.into_response())
}
