//! A guardian who lost their personal code asks the school for a new one:
//! `GET/POST /famille/code-perdu`. The answer is the same whatever was
//! typed: nothing tells whether a child or a contact is known. The request
//! is kept for the school (matched to a pupil when the names and the birth
//! date are those of one of its pupils), counted against the address like a
//! failed sign-in, and audited.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::session::parse_birth_date;
use crate::app::AppState;
use crate::db::{audit, code_requests};
use crate::domain::words;
use crate::web::error::AppError;
use crate::web::session::{self, RequestContext};
use crate::web::templates::{Chrome, render};

/// The scope of these requests' limit per address (see `auth::throttle`).
const SCOPE: &str = "code_request";

#[derive(Template)]
#[template(path = "family/lost_code.html")]
pub struct LostCodePage {
    pub chrome: Chrome,
    /// (id, name and city) of the schools.
    pub schools: Vec<(i64, String)>,
    pub form: LostCodeForm,
    /// What is missing or wrong, per field: (field, message).
    pub errors: Vec<(&'static str, &'static str)>,
    /// The request was taken.
    pub sent: bool,
}

impl LostCodePage {
    pub fn error(&self, field: &str) -> Option<&'static str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| *m)
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct LostCodeForm {
    #[serde(default)]
    pub school_id: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub guardian_name: String,
    #[serde(default)]
    pub contact: String,
}

async fn schools(state: &AppState) -> Result<Vec<(i64, String)>, AppError> {
    Ok(code_requests::schools(state.db.pool())
        .await?
        .into_iter()
        .map(|(id, name, city)| {
            let label = if city.is_empty() {
                name
            } else {
                format!("{name} ({city})")
            };
            (id, label)
        })
        .collect())
}

pub async fn new(State(state): State<AppState>, chrome: Chrome) -> Result<Response, AppError> {
    let schools = schools(&state).await?;
    let form = LostCodeForm {
        school_id: match schools.as_slice() {
            [(only, _)] => only.to_string(),
            _ => String::new(),
        },
        ..LostCodeForm::default()
    };
    Ok(render(&LostCodePage {
        chrome,
        schools,
        form,
        errors: Vec::new(),
        sent: false,
    })?
    .into_response())
}

fn clip(text: &str, max: usize) -> String {
    text.trim().chars().take(max).collect()
}

pub async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    chrome: Chrome,
    Form(form): Form<LostCodeForm>,
) -> Result<Response, AppError> {
    let schools = schools(&state).await?;
    let form = LostCodeForm {
        school_id: clip(&form.school_id, 20),
        last_name: clip(&form.last_name, 100),
        first_name: clip(&form.first_name, 100),
        birth_date: clip(&form.birth_date, 20),
        guardian_name: clip(&form.guardian_name, 200),
        contact: clip(&form.contact, 200),
    };
    let school_id = form
        .school_id
        .parse::<i64>()
        .ok()
        .filter(|id| schools.iter().any(|(s, _)| s == id));
    let birth = parse_birth_date(&form.birth_date);
    let mut errors = Vec::new();
    if school_id.is_none() {
        errors.push(("school_id", "Choisissez le collège de votre enfant."));
    }
    if form.last_name.is_empty() {
        errors.push(("last_name", "Saisissez le nom de l'enfant."));
    }
    if form.first_name.is_empty() {
        errors.push(("first_name", "Saisissez le prénom de l'enfant."));
    }
    if birth.is_none() {
        errors.push((
            "birth_date",
            "Saisissez la date de naissance de l'enfant, par exemple 14/05/2013.",
        ));
    }
    if form.guardian_name.is_empty() {
        errors.push(("guardian_name", "Saisissez votre nom."));
    }
    if form.contact.is_empty() {
        errors.push((
            "contact",
            "Saisissez un numéro de téléphone ou une adresse électronique où vous joindre.",
        ));
    }
    let (Some(school_id), Some(birth), true) = (school_id, birth, errors.is_empty()) else {
        let page = LostCodePage {
            chrome,
            schools,
            form,
            errors,
            sent: false,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    };
    if !session::sign_in_allowed(&state, &ctx, SCOPE).await? {
        return Err(AppError::TooManyAttempts);
    }
    let (last, first) = (
        words::folded_name(&form.last_name),
        words::folded_name(&form.first_name),
    );
    let pupil_id = code_requests::pupils_born_on(state.db.pool(), school_id, &birth)
        .await?
        .into_iter()
        .find(|p| {
            words::folded_name(&p.last_name) == last && words::folded_name(&p.first_name) == first
        })
        .map(|p| p.pupil_id);
    let ip = ctx.ip_string();
    let mut tx = state.db.begin().await?;
    let id = code_requests::create(
        &mut *tx,
        &code_requests::NewRequest {
            school_id,
            pupil_last_name: &form.last_name,
            pupil_first_name: &form.first_name,
            birth_date: &birth,
            guardian_name: &form.guardian_name,
            contact: &form.contact,
            pupil_id,
            ip: &ip,
        },
    )
    .await?;
    audit::record(
        &mut *tx,
        Some(school_id),
        audit::Actor::Anonymous,
        "code_requested",
        &format!("code_request:{id}"),
        &ip,
    )
    .await?;
    tx.commit().await?;
    // Each request counts like a failed sign-in from this address: asking
    // for many children is slowed down the same way.
    session::count_sign_in_failure(&state, &ctx, SCOPE).await?;
    Ok(render(&LostCodePage {
        chrome,
        schools,
        form: LostCodeForm::default(),
        errors: Vec::new(),
        sent: true,
    })?
    .into_response())
}
