//! Family sign-in with a personal code and the child's date of birth:
//! `GET/POST /famille/connexion`, `POST /famille/deconnexion`.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::app::AppState;
use crate::db::sessions::Owner;
use crate::db::{audit, family, lockout, now_ms};
use crate::domain::access_code;
use crate::domain::dossier_state::{DossierState, Event};
use crate::domain::journey;
use crate::dossier::{self, By, Move, MoveError};
use crate::web::error::AppError;
use crate::web::session::{self, Flash, RequestContext};
use crate::web::templates::{Chrome, render};

/// Failed attempts on one code before it is locked, and for how long the
/// first time (longer each time after: see `db::lockout`).
pub const LOCKOUT: lockout::Policy = lockout::Policy {
    after: 5,
    for_ms: 15 * 60 * 1000,
};

/// The scope of families' sign-in failures per address (see `auth::throttle`).
pub const SCOPE: &str = "family";

const WRONG: &str =
    "Code personnel ou date de naissance incorrects. Vérifiez le code reçu de l'établissement.";

#[derive(Template)]
#[template(path = "family/sign_in.html")]
pub struct SignInPage {
    pub chrome: Chrome,
    pub code: String,
    pub birth_date: String,
    pub error: Option<String>,
}

pub async fn new(chrome: Chrome) -> Result<Response, AppError> {
    Ok(render(&SignInPage {
        chrome,
        code: String::new(),
        birth_date: String::new(),
        error: None,
    })?
    .into_response())
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    birth_date: String,
}

/// Accepts `AAAA-MM-JJ` (date field) and `JJ/MM/AAAA` (typed by hand).
pub fn parse_birth_date(input: &str) -> Option<String> {
    let input = input.trim();
    let date = chrono::NaiveDate::parse_from_str(input, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(input, "%d/%m/%Y"))
        .ok()?;
    Some(date.format("%Y-%m-%d").to_string())
}

pub async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    chrome: Chrome,
    Form(form): Form<SignInForm>,
) -> Result<Response, AppError> {
    let refuse = |status: StatusCode, error: &str| -> Result<Response, AppError> {
        let page = SignInPage {
            chrome: chrome.clone(),
            code: form.code.chars().take(40).collect(),
            birth_date: form.birth_date.chars().take(20).collect(),
            error: Some(error.to_owned()),
        };
        Ok((status, render(&page)?).into_response())
    };
    if !session::sign_in_allowed(&state, &ctx, SCOPE).await? {
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "Trop de tentatives depuis votre adresse : patientez une minute avant de réessayer.",
        );
    }
    let guardian =
        family::guardian_by_code_hash(state.db.pool(), &access_code::hash(&form.code)).await?;
    let Some(guardian) = guardian else {
        // An unknown code is nobody's: counted for the address, not audited
        // one by one (a flood would fill the trail).
        session::count_sign_in_failure(&state, &ctx, SCOPE).await?;
        return refuse(StatusCode::UNAUTHORIZED, WRONG);
    };
    if let Some(until) = guardian.locked_until.filter(|&until| until > now_ms()) {
        return refuse(StatusCode::FORBIDDEN, &locked_message(until - now_ms()));
    }
    let children = match check_birth_date(&state, &ctx, &guardian, &form.birth_date).await? {
        Ok(children) => children,
        Err(()) => return refuse(StatusCode::UNAUTHORIZED, WRONG),
    };
    open_session(&state, &ctx, &guardian, &children, "sign_in", None).await
}

/// The guardian's children if `typed` is the birth date of one of them;
/// otherwise the failure is counted for the address and against the
/// guardian's lockout, and audited.
pub async fn check_birth_date(
    state: &AppState,
    ctx: &RequestContext,
    guardian: &family::Guardian,
    typed: &str,
) -> Result<Result<Vec<family::ChildDossier>, ()>, AppError> {
    let children = family::dossiers_of_guardian(state.db.pool(), guardian.id).await?;
    let birth = parse_birth_date(typed);
    if birth.is_some()
        && children
            .iter()
            .any(|c| Some(&c.birth_date) == birth.as_ref())
    {
        return Ok(Ok(children));
    }
    session::count_sign_in_failure(state, ctx, SCOPE).await?;
    let locked = lockout::record_guardian_failure(state.db.pool(), guardian.id, LOCKOUT).await?;
    let action = if locked.is_some() {
        "sign_in_code_locked"
    } else {
        "sign_in_failed"
    };
    audit::record(
        state.db.pool(),
        Some(guardian.school_id),
        audit::Actor::Guardian(guardian.id),
        action,
        "family",
        &ctx.ip_string(),
    )
    .await?;
    Ok(Err(()))
}

/// Signs the guardian in: their not-started dossiers are opened, the sign-in
/// is audited as `action`, and the family lands on its dossier (or the list
/// of its children).
pub async fn open_session(
    state: &AppState,
    ctx: &RequestContext,
    guardian: &family::Guardian,
    children: &[family::ChildDossier],
    action: &str,
    next: Option<&str>,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    family::record_sign_in(&mut *tx, guardian.id).await?;
    for child in children {
        let from = child.state;
        if from == DossierState::NotStarted {
            let opened = dossier::transition(
                &mut tx,
                Move {
                    school_id: guardian.school_id,
                    dossier_id: child.dossier_id,
                    from,
                    event: Event::Open,
                    by: By::Guardian(guardian.id),
                    ip: &ctx.ip_string(),
                    reason: "",
                },
            )
            .await;
            match opened {
                // Another sign-in (the other parent) opened it first: fine.
                Ok(_) | Err(MoveError::Moved) => {}
                Err(err) => return Err(AppError::Internal(err.into())),
            }
        }
    }
    audit::record(
        &mut *tx,
        Some(guardian.school_id),
        audit::Actor::Guardian(guardian.id),
        action,
        "family",
        &ctx.ip_string(),
    )
    .await?;
    tx.commit().await?;

    let to = match children {
        _ if next.is_some() => next.unwrap_or_default().to_owned(),
        [only] => {
            let editable = only.state.editable_by_family();
            let step = journey::resume(only.furthest_step.as_deref(), editable);
            format!("/famille/dossiers/{}/{}", only.dossier_id, step.slug())
        }
        _ => "/famille".to_owned(),
    };
    tracing::info!(guardian.id = guardian.id, "guardian signed in");
    session::sign_in_response(state, Owner::Guardian(guardian.id), ctx.client_ip, &to).await
}

/// Said under the lockout message on the link's page: the lock is the
/// guardian's, whichever way they sign in.
pub const LOCKED_SCOPE_NOTE: &str = "Le blocage vaut aussi pour les liens de connexion.";

/// What a family reads while its code is locked: for how long still, and
/// whom to ask.
pub fn locked_message(remaining_ms: i64) -> String {
    let minutes = (remaining_ms.max(0) + 59_999) / 60_000;
    let wait = if minutes >= 120 {
        format!("{} heures", (minutes + 59) / 60)
    } else {
        format!("{minutes} minutes")
    };
    format!(
        "Trop d'essais avec ce code : il est bloqué pendant {wait}, plus longtemps après chaque nouvelle série d'erreurs. \
         Vérifiez la date de naissance de votre enfant, ou demandez un nouveau code au secrétariat."
    )
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    session::sign_out_response(
        &state,
        &ctx,
        "/",
        Flash::success("Vous êtes déconnecté·e. Vos réponses sont enregistrées."),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::parse_birth_date;

    #[test]
    fn a_birth_date_is_read_from_the_date_field_or_typed_by_hand() {
        assert_eq!(
            parse_birth_date("2013-08-22").as_deref(),
            Some("2013-08-22")
        );
        assert_eq!(
            parse_birth_date(" 22/08/2013 ").as_deref(),
            Some("2013-08-22")
        );
        assert_eq!(parse_birth_date("31/02/2013"), None);
        assert_eq!(parse_birth_date(""), None);
    }
}
