//! Agent sign-in and sign-out: `GET/POST /agent/connexion`,
//! `POST /agent/deconnexion`.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::throttle::{self, Failure};
use crate::db::sessions::Owner;
use crate::db::{agents, audit, now_ms};
use crate::jobs;
use crate::mail::{Email, SendEmailJob};
use crate::web::error::AppError;
use crate::web::session::{self, Flash, RequestContext};
use crate::web::templates::{Chrome, render};

/// The scope of agents' sign-in failures (see `auth::throttle`).
const SCOPE: &str = "agent";

/// Failures on one account from one address after which that address may
/// not try that account for 15 minutes. Other addresses are not affected, so
/// a stranger cannot lock the real user out.
pub const ACCOUNT_LIMIT: throttle::Limit = throttle::Limit {
    failures: 10,
    window_ms: 15 * 60 * 1000,
    lock_ms: 15 * 60 * 1000,
};

const ADDRESS_LOCKED: &str = "Trop de tentatives de connexion depuis votre adresse : patientez une minute avant de réessayer.";
const ACCOUNT_LOCKED: &str = "Trop d'échecs de connexion pour cette adresse électronique depuis votre poste : réessayez dans 15 minutes ou adressez-vous à la direction de votre établissement.";
const NO_SCHOOL: &str = "Votre compte n'est actif dans aucun établissement : adressez-vous à la direction de votre établissement.";
const BUSY: &str = "Le service reçoit beaucoup de demandes de connexion en ce moment : réessayez dans quelques secondes.";

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
            email: form.email.chars().take(200).collect(),
            next: next.clone(),
            error: Some(error),
        };
        Ok((status, render(&page)?).into_response())
    };
    if !session::sign_in_allowed(&state, &ctx, SCOPE).await? {
        return refuse(StatusCode::TOO_MANY_REQUESTS, ADDRESS_LOCKED);
    }
    // One account from one address: known or not, the same key and the same
    // answer, so that a lock tells nothing about which e-mails exist, and a
    // stranger elsewhere cannot lock the real user out.
    let account_key = throttle::account_key(SCOPE, &form.email, ctx.client_ip);
    let throttle = &state.sign_in_throttle;
    if throttle
        .locked_until(state.db.pool(), &account_key)
        .await?
        .is_some()
    {
        return refuse(StatusCode::TOO_MANY_REQUESTS, ACCOUNT_LOCKED);
    }
    let agent = agents::find_by_email(state.db.pool(), &form.email).await?;
    let stored = agent.as_ref().and_then(|a| a.password_hash.as_deref());
    let Ok(valid) = state.passwords.verify(&form.password, stored).await else {
        tracing::warn!("sign-in refused: every password check is busy");
        return refuse(StatusCode::TOO_MANY_REQUESTS, BUSY);
    };
    let agent = match agent {
        Some(agent) if valid => agent,
        other => return failed(&state, &ctx, &account_key, other.as_ref(), refuse).await,
    };
    throttle.forget(state.db.pool(), &account_key).await?;
    let schools = agents::active_memberships(state.db.pool(), agent.id).await?;
    if schools.is_empty() {
        // The password was right: saying so tells nothing to a stranger.
        audit::record(
            state.db.pool(),
            None,
            audit::Actor::Agent(agent.id),
            "sign_in_refused_no_school",
            "agent",
            &ctx.ip_string(),
        )
        .await?;
        return refuse(StatusCode::FORBIDDEN, NO_SCHOOL);
    }
    agents::record_sign_in(state.db.pool(), agent.id).await?;
    let only = (schools.len() == 1).then(|| &schools[0]);
    audit::record(
        state.db.pool(),
        only.map(|m| m.school_id),
        audit::Actor::Agent(agent.id),
        "sign_in",
        "agent",
        &ctx.ip_string(),
    )
    .await?;
    let to = match only {
        _ if next != "/" => next,
        Some(m) => format!("/etablissements/{}", m.school_uai),
        None => "/agent/etablissements".to_owned(),
    };
    tracing::info!(agent.id = agent.id, "agent signed in");
    session::sign_in_response(&state, Owner::Agent(agent.id), ctx.client_ip, &to).await
}

/// A wrong e-mail or password: counted for the address and for the account
/// from this address; the holder of a real account is told by e-mail when
/// their account gets locked from somewhere.
async fn failed(
    state: &AppState,
    ctx: &RequestContext,
    account_key: &str,
    agent: Option<&agents::Agent>,
    refuse: impl Fn(StatusCode, &'static str) -> Result<Response, AppError>,
) -> Result<Response, AppError> {
    session::count_sign_in_failure(state, ctx, SCOPE).await?;
    let failure = state
        .sign_in_throttle
        .record_failure(state.db.pool(), account_key, ACCOUNT_LIMIT)
        .await?;
    match agent {
        Some(agent) => {
            audit::record(
                state.db.pool(),
                None,
                audit::Actor::Agent(agent.id),
                "sign_in_failed",
                "agent",
                &ctx.ip_string(),
            )
            .await?;
            if let Failure::Locked(until) = failure {
                tell_the_holder(state, ctx, agent, until).await?;
            }
        }
        None => {
            // Nobody to attribute it to: kept as a count, and the lock once.
            if let Failure::Locked(_) = failure {
                state
                    .anonymous_audit
                    .record(
                        state.db.pool(),
                        None,
                        "sign_in_account_locked",
                        "agent",
                        &ctx.ip_string(),
                    )
                    .await?;
            }
        }
    }
    if let Failure::Locked(_) = failure {
        return refuse(StatusCode::TOO_MANY_REQUESTS, ACCOUNT_LOCKED);
    }
    refuse(
        StatusCode::UNAUTHORIZED,
        "Adresse électronique ou mot de passe incorrect.",
    )
}

/// E-mails the account holder that sign-ins to their account failed too
/// often from an address (at most once an hour), and audits the lock.
async fn tell_the_holder(
    state: &AppState,
    ctx: &RequestContext,
    agent: &agents::Agent,
    until: i64,
) -> Result<(), AppError> {
    let mut tx = state.db.begin().await?;
    audit::record(
        &mut *tx,
        None,
        audit::Actor::Agent(agent.id),
        "sign_in_account_locked",
        "agent",
        &ctx.ip_string(),
    )
    .await?;
    if agents::claim_failure_notice(&mut *tx, agent.id, now_ms(), 3600 * 1000).await? {
        let job = SendEmailJob {
            message_id: None,
            email: Email {
                to: agent.email.clone(),
                subject: "Connexions refusées à votre compte DossierSCO".into(),
                body_text: format!(
                    "Bonjour,\n\nPlusieurs tentatives de connexion à votre compte DossierSCO ont échoué depuis \
                     l'adresse {ip}. Les connexions à votre compte depuis cette adresse sont suspendues \
                     pendant {minutes} minutes ; depuis votre poste habituel, vous pouvez continuer à vous connecter.\n\n\
                     Si ce n'était pas vous, prévenez la direction de votre établissement. Votre mot de passe \
                     n'a pas été trouvé : il n'est pas nécessaire de le changer, sauf s'il est court ou utilisé ailleurs.\n\n\
                     DossierSCO\n",
                    ip = ctx.ip_string(),
                    minutes = ((until - now_ms()).max(60_000) + 59_999) / 60_000,
                ),
            },
        };
        jobs::enqueue(&mut *tx, &job, None, None).await?;
    }
    tx.commit().await?;
    state.job_signal.notify();
    Ok(())
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

/// Where to go after sign-in: only a page of the school back-office, written
/// with the characters of a plain URL path and query (no open redirect: no
/// scheme, no `//`, no backslash, no tab, space or control character that a
/// browser would drop or a header would refuse); anything else goes to the
/// dashboard.
fn safe_next(next: Option<&str>) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-._~/?=&%+".contains(c);
    match next {
        Some(path)
            if path.starts_with("/etablissements/")
                && path.len() <= 512
                && path.chars().all(plain)
                && !path.contains("//")
                && !path.contains("/.") =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_back_office_paths_are_followed_after_sign_in() {
        assert_eq!(
            safe_next(Some(
                "/etablissements/0750680G/dossiers?etat=submitted&page=2"
            )),
            "/etablissements/0750680G/dossiers?etat=submitted&page=2"
        );
        for hostile in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "/\t/evil.example",
            "/etablissements/\t/evil.example",
            "/etablissements//evil.example",
            "/etablissements/x\r\nSet-Cookie: a=b",
            "/etablissements/x\u{7f}",
            "/etablissements/../famille",
            "/etablissements/é",
            "/famille",
            "",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
