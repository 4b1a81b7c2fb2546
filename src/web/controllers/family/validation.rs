//! The end of the journey: `…/validation` (summary with the changes
//! highlighted, attestation, sending), `…/confirmation` (receipt, e-mail, PDF,
//! satisfaction).

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::documents::OTHERS_PIECE;
use super::steps::{ContactForm, french_date};
use super::to_fix::{ToFix, to_fix};
use super::{FamilyDossier, Stepper};
use crate::app::AppState;
use crate::db::{campaigns, dossiers, family, pupils};
use crate::domain::dossier_state::Event;
use crate::domain::journey::Step;
use crate::dossier::{self, By, Move, MoveError};
use crate::jobs;
use crate::mail::{Email, SendEmailJob};
use crate::pdf::{self, Line};
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

/// One line of the summary: what, what SIECLE said, what it is now.
pub struct SummaryLine {
    pub label: String,
    pub before: String,
    pub after: String,
    pub changed: bool,
}

pub struct Summary {
    pub sections: Vec<(&'static str, Vec<SummaryLine>)>,
    pub conflicts: bool,
    pub changes: usize,
}

fn field_label(field: &str) -> &'static str {
    crate::domain::fields::label(field)
}

fn answer_text(question: &str, answer: &str, exit_rules: &[campaigns::ExitRule]) -> String {
    match (question, answer) {
        ("canteen", "demi_pension") => "Demi-pensionnaire".into(),
        ("canteen", "externe") => "Externe".into(),
        ("exit_rule", id) => exit_rules
            .iter()
            .find(|r| r.id.to_string() == id)
            .map(|r| r.label.clone())
            .unwrap_or_default(),
        ("photo" | "sorties" | "fse", "oui") => "Oui".into(),
        ("photo" | "sorties" | "fse", "non") => "Non".into(),
        (_, "") => "—".into(),
        (_, other) => other.to_owned(),
    }
}

/// Everything the family said in this dossier, against what was known.
pub async fn summary(state: &AppState, dossier: &FamilyDossier) -> Result<Summary, AppError> {
    let pool = state.db.pool();
    let id = dossier.dossier.dossier_id;
    let mut sections = Vec::new();
    let mut changes = 0;

    let pupil_changes = family::pupil_changes(pool, id).await?;
    let pupil = family::pupil(pool, dossier.dossier.pupil_id).await?;
    let identity = [
        ("last_name", pupil.last_name.clone()),
        ("first_name", pupil.first_name.clone()),
        ("sex", pupil.sex.clone()),
        ("birth_date", pupil.birth_date.clone()),
        ("birth_city", pupil.birth_city.clone()),
    ];
    let lines: Vec<SummaryLine> = identity
        .into_iter()
        .map(|(field, siecle)| {
            let after = pupil_changes
                .get(field)
                .map(|c| c.1.clone())
                .unwrap_or_else(|| siecle.clone());
            let show = |v: &str| {
                if field == "birth_date" {
                    french_date(v)
                } else {
                    v.to_owned()
                }
            };
            SummaryLine {
                label: field_label(field).into(),
                before: show(&siecle),
                after: show(&after),
                changed: after != siecle,
            }
        })
        .collect();
    changes += lines.iter().filter(|l| l.changed).count();
    sections.push(("Élève", lines));

    let me = family::guardian(pool, dossier.guardian_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let guardian_changes = family::guardian_changes(pool, me.id).await?;
    let now = ContactForm::effective(&me, &family::Changes::new());
    let after = ContactForm::effective(&me, &guardian_changes);
    let contact_fields = [
        ("email", &now.email, &after.email),
        ("phone_mobile", &now.phone_mobile, &after.phone_mobile),
        ("phone_home", &now.phone_home, &after.phone_home),
        ("phone_work", &now.phone_work, &after.phone_work),
        ("address_lines", &now.address_lines, &after.address_lines),
        ("postcode", &now.postcode, &after.postcode),
        ("city", &now.city, &after.city),
    ];
    let lines: Vec<SummaryLine> = contact_fields
        .into_iter()
        .map(|(field, before, after)| SummaryLine {
            label: field_label(field).into(),
            before: before.clone(),
            after: after.clone(),
            changed: before != after,
        })
        .collect();
    changes += lines.iter().filter(|l| l.changed).count();
    sections.push(("Vos coordonnées", lines));

    let answers = family::answers(pool, id, dossier.guardian_id).await?;
    let exit_rules = campaigns::exit_rules(pool, dossier.dossier.school_id).await?;
    let practised = pupils::practised_options(pool, dossier.dossier.pupil_id).await?;
    let mut lines = Vec::new();
    for question in [
        "options",
        "exit_rule",
        "canteen",
        "quotient",
        "photo",
        "sorties",
        "fse",
    ] {
        let Some(answer) = answers.get(question) else {
            continue;
        };
        let (before, changed) = if question == "options" {
            let before = practised.join(", ");
            (before.clone(), answer.replace(',', ", ") != before)
        } else {
            (String::new(), false)
        };
        lines.push(SummaryLine {
            label: field_label(question).into(),
            before,
            after: answer_text(question, &answer.replace(',', ", "), &exit_rules),
            changed,
        });
    }
    changes += lines.iter().filter(|l| l.changed).count();
    sections.push(("Scolarité et vie scolaire", lines));

    // Only what this guardian may see: their own contacts, every piece but
    // another guardian's without its name.
    let contacts = family::emergency_contacts_seen_by(pool, id, dossier.guardian_id).await?;
    let uploads = family::uploads_seen_by(pool, id, dossier.guardian_id).await?;
    let mut lines: Vec<SummaryLine> = contacts
        .into_iter()
        .map(|c| SummaryLine {
            label: "Contact d'urgence".into(),
            before: String::new(),
            after: format!("{}, {}", c.name, c.phone),
            changed: true,
        })
        .collect();
    lines.extend(uploads.into_iter().map(|u| SummaryLine {
        changed: u.is_mine(),
        after: u.original_name.unwrap_or_else(|| OTHERS_PIECE.into()),
        label: u.label,
        before: String::new(),
    }));
    changes += lines.iter().filter(|l| l.changed).count();
    sections.push(("Contacts et pièces ajoutés", lines));

    let conflicts = !family::conflicting_questions(pool, id).await?.is_empty();
    Ok(Summary {
        sections,
        conflicts,
        changes,
    })
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
    let me = family::guardian(state.db.pool(), dossier.guardian_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let email = ContactForm::effective(
        &me,
        &family::guardian_changes(state.db.pool(), me.id).await?,
    )
    .email;
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
    if !email.is_empty() {
        let child = format!(
            "{} {}",
            dossier.dossier.first_name, dossier.dossier.last_name
        );
        let job = SendEmailJob {
            email: Email {
                to: email,
                subject: format!("Réinscription de {child} enregistrée"),
                body_text: format!(
                    "Bonjour,\n\nLe dossier de réinscription de {child} a bien été envoyé à l'établissement le {}.\n\
                     L'établissement le vérifiera et vous écrira s'il manque quelque chose.\n\n\
                     Vous pouvez télécharger votre récépissé depuis la page de confirmation.\n\nDossierSCO\n",
                    chrono::Utc::now().format("%d/%m/%Y")
                ),
            },
        };
        // One receipt per sending: the state check above already refuses a
        // second submission of the same dossier.
        jobs::enqueue(&mut *tx, &job, None, Some(dossier.dossier.school_id)).await?;
    }
    tx.commit().await?;
    state.job_signal.notify();
    Ok(axum::response::Redirect::to(&dossier.url(Step::Confirmation)).into_response())
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
    render(&ConfirmationPage {
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
    let school = dossier.school_name(&state).await?;
    let child = format!(
        "{} {}",
        dossier.dossier.first_name, dossier.dossier.last_name
    );
    let mut lines = vec![
        Line::Title("Récépissé de réinscription".into()),
        Line::Text(format!("Établissement : {school}")),
        Line::Text(format!("Élève : {child}")),
        Line::Text(format!("État du dossier : {}", dossier.state.label())),
        Line::Text(format!(
            "Document édité le {}",
            chrono::Utc::now().format("%d/%m/%Y")
        )),
        Line::Blank,
    ];
    for (title, section) in &summary.sections {
        lines.push(Line::Heading((*title).into()));
        for line in section {
            let mark = if line.changed { " (modifié)" } else { "" };
            lines.push(Line::Text(format!("{} : {}{mark}", line.label, line.after)));
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
