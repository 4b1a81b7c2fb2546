//! The end of the journey: `…/validation` (summary with the changes
//! highlighted, attestation, sending), `…/confirmation` (receipt, e-mail, PDF,
//! satisfaction).

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::to_fix::{ToFix, to_fix};
use super::{FamilyDossier, Stepper};
use crate::app::AppState;
use crate::db::{campaigns, dossiers, family};
use crate::domain::dossier_state::Event;
use crate::domain::journey::Step;
use crate::dossier::diff::{self, Summary};
use crate::dossier::messages::{self, SchoolContact};
use crate::dossier::{self, By, Move, MoveError, facts};
use crate::notify::{self, Message};
use crate::pdf::{self, Line};
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

/// This guardian's summary of the dossier (see `dossier::diff`).
pub async fn summary(state: &AppState, dossier: &FamilyDossier) -> Result<Summary, AppError> {
    let (listed, words) = facts::of_dossier(
        state.db.pool(),
        dossier.dossier.school_id,
        dossier.dossier.dossier_id,
    )
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(diff::for_guardian(
        &listed.facts,
        dossier.guardian_id,
        &words,
    ))
}

#[derive(Template)]
#[template(path = "family/validation.html")]
pub struct ValidationPage {
    pub chrome: Chrome,
    pub stepper: Stepper,
    pub action: String,
    pub summary: Summary,
    pub edit_links: Vec<(String, &'static str)>,
    pub error: Option<&'static str>,
    /// Why the school sent the dossier back, if it did.
    pub return_reason: String,
    /// What to fix before sending (the banner `family/_to_fix.html`).
    pub to_fix: ToFix,
}

fn validation_page(
    chrome: Chrome,
    dossier: &FamilyDossier,
    summary: Summary,
    error: Option<&'static str>,
    return_reason: String,
) -> ValidationPage {
    ValidationPage {
        chrome,
        stepper: Stepper::new(dossier, Step::Validation),
        action: dossier.url(Step::Validation),
        summary,
        edit_links: [
            Step::Eleve,
            Step::Responsables,
            Step::Scolarite,
            Step::VieScolaire,
            Step::Pieces,
        ]
        .into_iter()
        .map(|s| (dossier.url(s), s.title()))
        .collect(),
        error,
        return_reason,
        to_fix: ToFix::default(),
    }
}

pub async fn show_validation(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
) -> Result<Response, AppError> {
    if let Some(redirect) = dossier.redirect_for(Step::Validation) {
        return Ok(redirect.into_response());
    }
    let summary = summary(&state, &dossier).await?;
    let reason = return_reason(&state, &dossier).await?;
    let mut page = validation_page(chrome, &dossier, summary, None, reason);
    page.to_fix = to_fix(&state, &dossier).await?;
    render(&page).map(IntoResponse::into_response)
}

async fn return_reason(state: &AppState, dossier: &FamilyDossier) -> Result<String, AppError> {
    if dossier.state != crate::domain::dossier_state::DossierState::Returned {
        return Ok(String::new());
    }
    Ok(dossiers::return_reason(state.db.pool(), dossier.dossier.dossier_id).await?)
}

#[derive(Deserialize)]
pub struct ValidationForm {
    #[serde(default)]
    attestation: String,
}

pub async fn update_validation(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
    Form(form): Form<ValidationForm>,
) -> Result<Response, AppError> {
    dossier.ensure_editable()?;
    if dossier.furthest() < Step::Validation {
        return Ok(axum::response::Redirect::to(&dossier.url(dossier.furthest())).into_response());
    }
    let mut fixes = to_fix(&state, &dossier).await?;
    // A refused or missing mandatory piece: nothing is sent, the banner says what to do.
    fixes.sending_refused = fixes.blocks_sending();
    if form.attestation != "oui" || fixes.sending_refused {
        let summary = summary(&state, &dossier).await?;
        let reason = return_reason(&state, &dossier).await?;
        let mut page = validation_page(
            chrome,
            &dossier,
            summary,
            (form.attestation != "oui")
                .then_some("Cochez la case pour certifier l'exactitude des informations."),
            reason,
        );
        page.to_fix = fixes;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let (listed, _) = facts::of_dossier(
        state.db.pool(),
        dossier.dossier.school_id,
        dossier.dossier.dossier_id,
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let school = school_contact(&state, &dossier).await?;
    let mut tx = state.db.begin().await?;
    let sent = dossier::transition(
        &mut tx,
        Move {
            school_id: dossier.dossier.school_id,
            dossier_id: dossier.dossier.dossier_id,
            from: dossier.state,
            event: Event::Submit,
            by: By::Guardian(dossier.guardian_id),
            ip: &dossier.ctx.ip_string(),
            reason: "",
        },
    )
    .await;
    match sent {
        Ok(_) => {}
        Err(MoveError::NotAllowed(_) | MoveError::Moved) => return Err(AppError::DossierLocked),
        Err(MoveError::Database(err)) => return Err(err.into()),
    }
    family::advance(
        &mut *tx,
        dossier.dossier.dossier_id,
        dossier.guardian_id,
        Step::Confirmation.slug(),
    )
    .await?;
    let child = format!(
        "{} {}",
        dossier.dossier.first_name, dossier.dossier.last_name
    );
    let when = crate::domain::words::paris_time(chrono::Utc::now().timestamp_millis());
    // One receipt per guardian with an address, each at their own; one
    // sending only: the state check above refuses a second one.
    for (guardian_id, email) in messages::dossier_sent(
        &listed.facts,
        &child,
        dossier.guardian_id,
        &when,
        &school,
        &state.settings.base_url,
    ) {
        let to = notify::Recipient {
            school_id: dossier.dossier.school_id,
            guardian_id,
            dossier_id: Some(dossier.dossier.dossier_id),
            batch_id: None,
        };
        notify::send(&mut tx, &to, notify::Kind::Receipt, &Message::Email(email)).await?;
    }
    tx.commit().await?;
    state.job_signal.notify();
    Ok(axum::response::Redirect::to(&dossier.url(Step::Confirmation)).into_response())
}

/// The school's name and the campaign's contact for families.
pub async fn school_contact(
    state: &AppState,
    dossier: &FamilyDossier,
) -> Result<SchoolContact, AppError> {
    let (email, phone) = campaigns::contact(state.db.pool(), dossier.dossier.school_id).await?;
    Ok(SchoolContact {
        name: dossier.school_name(state).await?,
        email,
        phone,
    })
}

#[derive(Template)]
#[template(path = "family/confirmation.html")]
pub struct ConfirmationPage {
    pub chrome: Chrome,
    pub child_name: String,
    pub dossier_id: i64,
    pub state_label: &'static str,
    pub submitted_on: String,
    pub satisfaction_given: bool,
    pub action: String,
    /// Whether this guardian sent it (else the other guardian, or nobody when
    /// the school decided on it).
    pub sent_by_me: bool,
    pub school_name: String,
    /// Refused pieces still to replace (their page is linked).
    pub to_replace: usize,
}

pub async fn show_confirmation(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
) -> Result<Response, AppError> {
    if let Some(redirect) = dossier.redirect_for(Step::Confirmation) {
        return Ok(redirect.into_response());
    }
    let submitted_at = dossiers::submitted_at(state.db.pool(), dossier.dossier.dossier_id).await?;
    let satisfaction_given = dossiers::satisfaction_given(
        state.db.pool(),
        dossier.dossier.dossier_id,
        dossier.guardian_id,
    )
    .await?;
    let sent_by_me = dossiers::submitted_by(state.db.pool(), dossier.dossier.dossier_id).await?
        == Some(dossier.guardian_id);
    let school_name = dossier.school_name(&state).await?;
    let to_replace =
        crate::db::piece_queue::to_replace(state.db.pool(), dossier.dossier.dossier_id)
            .await?
            .len();
    render(&ConfirmationPage {
        to_replace,
        sent_by_me,
        school_name,
        chrome,
        child_name: format!(
            "{} {}",
            dossier.dossier.first_name, dossier.dossier.last_name
        ),
        dossier_id: dossier.dossier.dossier_id,
        state_label: dossier.state.label(),
        submitted_on: submitted_at
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default(),
        satisfaction_given,
        action: format!(
            "/famille/dossiers/{}/satisfaction",
            dossier.dossier.dossier_id
        ),
    })
    .map(IntoResponse::into_response)
}

#[derive(Deserialize)]
pub struct SatisfactionForm {
    #[serde(default)]
    mark: String,
    #[serde(default)]
    comment: String,
}

pub async fn create_satisfaction(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    Form(form): Form<SatisfactionForm>,
) -> Result<Response, AppError> {
    let confirmation = dossier.url(Step::Confirmation);
    let Some(mark) = form
        .mark
        .parse::<i64>()
        .ok()
        .filter(|m| (1..=5).contains(m))
    else {
        return Ok(redirect_with_flash(
            &state,
            &confirmation,
            Flash::error("Choisissez une note de 1 à 5."),
        ));
    };
    let comment: String = form.comment.trim().chars().take(2000).collect();
    dossiers::record_satisfaction(
        state.db.pool(),
        dossier.dossier.dossier_id,
        dossier.guardian_id,
        mark,
        &comment,
    )
    .await?;
    Ok(redirect_with_flash(
        &state,
        &confirmation,
        Flash::success("Merci pour votre avis !"),
    ))
}

/// `GET …/recu.pdf`: the receipt of a sent dossier.
pub async fn show_receipt(
    State(state): State<AppState>,
    dossier: FamilyDossier,
) -> Result<Response, AppError> {
    if dossier.state.editable_by_family() {
        return Err(AppError::NotFound);
    }
    let summary = summary(&state, &dossier).await?;
    let school = school_contact(&state, &dossier).await?;
    let submitted_at = dossiers::submitted_at(state.db.pool(), dossier.dossier.dossier_id).await?;
    let child = format!(
        "{} {}",
        dossier.dossier.first_name, dossier.dossier.last_name
    );
    let mut lines = vec![
        Line::Title("Récépissé de réinscription".into()),
        Line::Text(format!("Établissement : {}", school.name)),
        Line::Text(format!("Élève : {child}")),
        Line::Text(format!("Dossier n° {}", dossier.dossier.dossier_id)),
        Line::Text(format!("État du dossier : {}", dossier.state.label())),
    ];
    if let Some(at) = submitted_at {
        lines.push(Line::Text(format!(
            "Envoyé à l'établissement le {}",
            crate::domain::words::paris_time(at)
        )));
    }
    lines.push(Line::Text(format!(
        "Document édité le {}",
        crate::domain::words::paris_time(chrono::Utc::now().timestamp_millis())
    )));
    lines.push(Line::Text(format!("Contact : {}", school.line())));
    lines.push(Line::Blank);
    for section in &summary.sections {
        if section.lines.is_empty() {
            continue;
        }
        lines.push(Line::Heading(section.title.into()));
        for line in &section.lines {
            let mark = if line.changed {
                if line.before.is_empty() {
                    " (modifié)".to_owned()
                } else {
                    format!(" (modifié ; avant : {})", line.before)
                }
            } else {
                String::new()
            };
            // The PDF's fonts have no arrow.
            let after = line.after.replace('→', "->");
            lines.push(Line::Text(format!("{} : {after}{mark}", line.label)));
        }
        lines.push(Line::Blank);
    }
    let bytes = pdf::render(&format!("Récépissé — {child}"), &lines);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"recepisse-{}.pdf\"",
                    dossier.dossier.dossier_id
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}
