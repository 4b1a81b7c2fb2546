//! Sign-in from the single-use link of an invitation or reminder:
//! `GET/POST /famille/lien` (see `auth::sign_in_links`).
//!
//! The link is `/famille/lien#jeton=…`: the token is in the fragment, which
//! the browser keeps to itself, so `GET` carries nothing secret and nothing
//! of it is logged (by us or a proxy). The page's script copies the token
//! into the form and removes it from the address bar; the family types the
//! child's birth date and the form is POSTed. Without JavaScript, the family
//! copies the token printed under the link in the e-mail (or signs in with
//! the personal code). The page is served with `Referrer-Policy: no-referrer`.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::session::{LOCKED_SCOPE_NOTE, SCOPE, check_birth_date, locked_message, open_session};
use crate::app::AppState;
use crate::db::{family, now_ms, sign_in_links};
use crate::domain::access_code;
use crate::web::error::AppError;
use crate::web::session::{self, RequestContext};
use crate::web::templates::{Chrome, render};

#[derive(Template)]
#[template(path = "family/sign_in_link.html")]
pub struct LinkPage {
    pub chrome: Chrome,
    pub token: String,
    pub birth_date: String,
    pub error: Option<String>,
}

const WRONG: &str = "Date de naissance incorrecte. Saisissez celle de votre enfant.";
const EXPIRED: &str = "Ce lien de connexion n'est plus valable : il a déjà servi ou il a expiré. \
     Connectez-vous avec votre code personnel, ou demandez un nouveau lien au secrétariat du collège.";

/// The page, with no referrer for anything it links to.
fn page(status: StatusCode, page: &LinkPage) -> Result<Response, AppError> {
    let mut response = (status, render(page)?).into_response();
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

pub async fn show(chrome: Chrome) -> Result<Response, AppError> {
    page(
        StatusCode::OK,
        &LinkPage {
            chrome,
            token: String::new(),
            birth_date: String::new(),
            error: None,
        },
    )
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    birth_date: String,
}

pub async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    chrome: Chrome,
    Form(form): Form<LinkForm>,
) -> Result<Response, AppError> {
    let refuse = |status: StatusCode, error: &str, keep_token: bool| {
        page(
            status,
            &LinkPage {
                chrome: chrome.clone(),
                token: if keep_token {
                    form.jeton.chars().take(40).collect()
                } else {
                    String::new()
                },
                birth_date: form.birth_date.chars().take(20).collect(),
                error: Some(error.to_owned()),
            },
        )
    };
    if !session::sign_in_allowed(&state, &ctx, SCOPE).await? {
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "Trop de tentatives depuis votre adresse : patientez une minute avant de réessayer.",
            true,
        );
    }
    let hash = access_code::hash(&form.jeton);
    let link = sign_in_links::find_valid(state.db.pool(), &hash).await?;
    let guardian = match link {
        Some((_, guardian_id)) => family::guardian(state.db.pool(), guardian_id).await?,
        None => None,
    };
    let (Some((link_id, _)), Some(guardian)) = (link, guardian) else {
        session::count_sign_in_failure(&state, &ctx, SCOPE).await?;
        return refuse(StatusCode::UNAUTHORIZED, EXPIRED, false);
    };
    if let Some(until) = guardian.locked_until.filter(|&until| until > now_ms()) {
        let message = format!("{} {LOCKED_SCOPE_NOTE}", locked_message(until - now_ms()));
        return refuse(StatusCode::FORBIDDEN, &message, true);
    }
    let children = match check_birth_date(&state, &ctx, &guardian, &form.birth_date).await? {
        Ok(children) => children,
        Err(()) => return refuse(StatusCode::UNAUTHORIZED, WRONG, true),
    };
    if !sign_in_links::consume(state.db.pool(), link_id).await? {
        return refuse(StatusCode::UNAUTHORIZED, EXPIRED, false);
    }
    // A link sent with refused pieces leads to the page that replaces them
    // (a path the server set; the dossier's own checks still apply there).
    let next = sign_in_links::next_path(state.db.pool(), link_id)
        .await?
        .filter(|path| path.starts_with("/famille/"));
    open_session(
        &state,
        &ctx,
        &guardian,
        &children,
        "sign_in_link",
        next.as_deref(),
    )
    .await
}
