//! Step 7, santé: information for the nurse only, online or on a printed form in a sealed envelope.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::super::{FamilyDossier, Stepper};
use super::{ContactForm, Errors, french_date};
use crate::app::AppState;
use crate::db::{family, medical};
use crate::domain::journey::Step;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

#[derive(Debug, Clone, Default, Deserialize)]
pub struct HealthForm {
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Template)]
#[template(path = "family/sante.html")]
pub struct HealthPage {
    pub chrome: Chrome,
    pub stepper: Stepper,
    pub action: String,
    pub form: HealthForm,
    pub errors: Errors,
}

impl HealthPage {
    pub fn error(&self, field: &str) -> Option<&&'static str> {
        self.errors.get(field)
    }
}

pub async fn show_sante(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
) -> Result<Response, AppError> {
    if let Some(redirect) = dossier.redirect_for(Step::Sante) {
        return Ok(redirect.into_response());
    }
    let saved = medical::find(
        state.db.pool(),
        dossier.dossier.dossier_id,
        dossier.guardian_id,
    )
    .await?;
    let form = saved
        .map(|m| HealthForm {
            mode: m.mode,
            note: m.note,
        })
        .unwrap_or(HealthForm {
            mode: "nothing".into(),
            note: String::new(),
        });
    render(&HealthPage {
        chrome,
        stepper: Stepper::new(&dossier, Step::Sante),
        action: dossier.url(Step::Sante),
        form,
        errors: Errors::new(),
    })
    .map(IntoResponse::into_response)
}

pub async fn update_sante(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
    Form(form): Form<HealthForm>,
) -> Result<Response, AppError> {
    dossier.ensure_editable()?;
    let form = HealthForm {
        mode: form.mode.trim().to_owned(),
        note: form.note.trim().to_owned(),
    };
    let mut errors = Errors::new();
    if !matches!(form.mode.as_str(), "nothing" | "online" | "sealed") {
        errors.insert("mode", "Choisissez une des trois possibilités.");
    } else if form.mode == "online" && form.note.is_empty() {
        errors.insert(
            "note",
            "Écrivez l'information pour l'infirmerie, ou choisissez une autre possibilité.",
        );
    } else if form.note.chars().count() > 4000 {
        errors.insert("note", "Ce texte est trop long (4 000 caractères au plus).");
    }
    if !errors.is_empty() {
        let page = HealthPage {
            chrome,
            stepper: Stepper::new(&dossier, Step::Sante),
            action: dossier.url(Step::Sante),
            form,
            errors,
        };
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let note = if form.mode == "online" {
        form.note.as_str()
    } else {
        ""
    };
    medical::save(
        state.db.pool(),
        dossier.dossier.dossier_id,
        dossier.guardian_id,
        &form.mode,
        note,
    )
    .await?;
    dossier.complete(&state, Step::Sante).await
}

/// `GET …/fiche-sante.pdf`: the health form to print, fill in by hand and
/// hand to the nurse in a sealed envelope, prefilled with what is known.
pub async fn show_health_form(
    State(state): State<AppState>,
    dossier: FamilyDossier,
) -> Result<Response, AppError> {
    use crate::pdf::{self, Line};
    let pupil = family::pupil(state.db.pool(), dossier.dossier.pupil_id).await?;
    let me = family::guardian(state.db.pool(), dossier.guardian_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let contact = ContactForm::effective(
        &me,
        &family::guardian_changes(state.db.pool(), me.id).await?,
    );
    let school = dossier.school_name(&state).await?;
    let blank = || {
        Line::Text("......................................................................................".into())
    };
    let mut lines = vec![
        Line::Title("Fiche santé — confidentielle".into()),
        Line::Text(format!(
            "À remettre sous enveloppe fermée à l'infirmerie du {school}."
        )),
        Line::Blank,
        Line::Heading("Élève".into()),
        Line::Text(format!(
            "{} {} — né·e le {} — classe {}",
            pupil.first_name,
            pupil.last_name,
            french_date(&pupil.birth_date),
            pupil.division
        )),
        Line::Heading("Responsable à joindre".into()),
        Line::Text(format!(
            "{} {} — {} — {}",
            me.first_name, me.last_name, contact.phone_mobile, contact.email
        )),
        Line::Blank,
    ];
    for heading in [
        "Allergies (aliments, médicaments, autres)",
        "Traitement en cours",
        "Projet d'accueil individualisé (PAI) ou autre aménagement",
        "Médecin traitant (nom et téléphone)",
        "Autres informations utiles à l'infirmerie",
    ] {
        lines.push(Line::Heading(heading.into()));
        lines.extend([blank(), blank()]);
    }
    lines.extend([
        Line::Blank,
        Line::Text("Date et signature du responsable :".into()),
    ]);
    let bytes = pdf::render("Fiche santé", &lines);
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pdf".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"fiche-sante-{}.pdf\"",
                    dossier.dossier.dossier_id
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}
