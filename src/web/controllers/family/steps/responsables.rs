//! Step 3, responsables: the guardian's own contact details, and what they may see of the other guardian's (decided from SIECLE, never from input).

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use dossiersco_siecle::codes::Pcs;
use serde::Deserialize;

use super::super::{FamilyDossier, Stepper};
use super::{Errors, check_phone, check_text, clean};
use crate::app::AppState;
use crate::db::family;
use crate::domain::journey::Step;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

/// A guardian's own contact details.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone_mobile: String,
    #[serde(default)]
    pub phone_home: String,
    #[serde(default)]
    pub phone_work: String,
    #[serde(default)]
    pub address_lines: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub profession_code: String,
}

impl ContactForm {
    fn fields(&self) -> [(&'static str, &str); 8] {
        [
            ("email", &self.email),
            ("phone_mobile", &self.phone_mobile),
            ("phone_home", &self.phone_home),
            ("phone_work", &self.phone_work),
            ("address_lines", &self.address_lines),
            ("postcode", &self.postcode),
            ("city", &self.city),
            ("profession_code", &self.profession_code),
        ]
    }

    fn from_siecle(g: &family::Guardian) -> Self {
        Self {
            email: g.email.clone(),
            phone_mobile: g.phone_mobile.clone(),
            phone_home: g.phone_home.clone(),
            phone_work: g.phone_work.clone(),
            address_lines: g.address_lines.clone(),
            postcode: g.postcode.clone(),
            city: g.city.clone(),
            profession_code: g.profession_code.clone(),
        }
    }

    pub fn effective(g: &family::Guardian, changes: &family::Changes) -> Self {
        let mut form = Self::from_siecle(g);
        for (field, slot) in [
            ("email", &mut form.email),
            ("phone_mobile", &mut form.phone_mobile),
            ("phone_home", &mut form.phone_home),
            ("phone_work", &mut form.phone_work),
            ("address_lines", &mut form.address_lines),
            ("postcode", &mut form.postcode),
            ("city", &mut form.city),
            ("profession_code", &mut form.profession_code),
        ] {
            if let Some((_, new)) = changes.get(field) {
                *slot = new.clone();
            }
        }
        form
    }

    fn cleaned(&self) -> Self {
        Self {
            email: self.email.trim().to_lowercase(),
            phone_mobile: clean(&self.phone_mobile),
            phone_home: clean(&self.phone_home),
            phone_work: clean(&self.phone_work),
            address_lines: clean(&self.address_lines),
            postcode: self.postcode.trim().to_owned(),
            city: clean(&self.city),
            profession_code: self.profession_code.trim().to_owned(),
        }
    }

    fn validate(&self) -> Errors {
        let mut errors = Errors::new();
        if !self.email.is_empty() {
            let valid = self.email.len() <= 254
                && self.email.split_once('@').is_some_and(|(user, domain)| {
                    !user.is_empty()
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                })
                && !self.email.contains(char::is_whitespace);
            if !valid {
                errors.insert(
                    "email",
                    "Adresse électronique invalide. Format attendu : nom@domaine.fr.",
                );
            }
        }
        check_phone(&mut errors, "phone_mobile", &self.phone_mobile);
        check_phone(&mut errors, "phone_home", &self.phone_home);
        check_phone(&mut errors, "phone_work", &self.phone_work);
        check_text(&mut errors, "address_lines", &self.address_lines, true);
        check_text(&mut errors, "city", &self.city, true);
        if !(self.postcode.len() == 5 && self.postcode.chars().all(|c| c.is_ascii_digit())) {
            errors.insert("postcode", "Code postal invalide : 5 chiffres.");
        }
        if !self.profession_code.is_empty() && !Pcs::from_code(&self.profession_code).is_known() {
            errors.insert(
                "profession_code",
                "Choisissez une profession dans la liste.",
            );
        }
        errors
    }
}

/// Another guardian of the child, as this guardian may see them.
pub struct CoGuardianView {
    pub name: String,
    /// Contact details, only when the school knows both live together
    /// ([`family::co_guardians_seen_by`]).
    pub contact: Option<ContactForm>,
}

#[derive(Template)]
#[template(path = "family/responsables.html")]
pub struct ResponsablesPage {
    pub chrome: Chrome,
    pub stepper: Stepper,
    pub action: String,
    pub name: String,
    pub form: ContactForm,
    pub errors: Errors,
    pub others: Vec<CoGuardianView>,
    pub professions: Vec<(&'static str, &'static str)>,
}

impl ResponsablesPage {
    pub fn error(&self, field: &str) -> Option<&&'static str> {
        self.errors.get(field)
    }
}

async fn co_guardian_views(
    state: &AppState,
    dossier: &FamilyDossier,
) -> Result<Vec<CoGuardianView>, AppError> {
    let seen = family::co_guardians_seen_by(
        state.db.pool(),
        dossier.dossier.pupil_id,
        dossier.guardian_id,
    )
    .await?;
    Ok(seen
        .into_iter()
        .map(|other| CoGuardianView {
            name: format!(
                "{} {} {}",
                other.civility, other.first_name, other.last_name
            )
            .trim()
            .to_owned(),
            contact: other
                .shared
                .map(|(guardian, changes)| ContactForm::effective(&guardian, &changes)),
        })
        .collect())
}

fn professions() -> Vec<(&'static str, &'static str)> {
    Pcs::ALL
        .iter()
        .filter(|p| p.is_known())
        .map(|p| (p.code(), p.label()))
        .collect()
}

pub async fn show_responsables(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
) -> Result<Response, AppError> {
    if let Some(redirect) = dossier.redirect_for(Step::Responsables) {
        return Ok(redirect.into_response());
    }
    let me = family::guardian(state.db.pool(), dossier.guardian_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let changes = family::guardian_changes(state.db.pool(), me.id).await?;
    let form = ContactForm::effective(&me, &changes);
    let others = co_guardian_views(&state, &dossier).await?;
    render(&ResponsablesPage {
        chrome,
        stepper: Stepper::new(&dossier, Step::Responsables),
        action: dossier.url(Step::Responsables),
        name: format!("{} {}", me.first_name, me.last_name),
        form,
        errors: Errors::new(),
        others,
        professions: professions(),
    })
    .map(IntoResponse::into_response)
}

pub async fn update_responsables(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
    Form(form): Form<ContactForm>,
) -> Result<Response, AppError> {
    dossier.ensure_editable()?;
    let me = family::guardian(state.db.pool(), dossier.guardian_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = form.cleaned();
    let errors = form.validate();
    if !errors.is_empty() {
        let others = co_guardian_views(&state, &dossier).await?;
        let page = ResponsablesPage {
            chrome,
            stepper: Stepper::new(&dossier, Step::Responsables),
            action: dossier.url(Step::Responsables),
            name: format!("{} {}", me.first_name, me.last_name),
            form,
            errors,
            others,
            professions: professions(),
        };
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let siecle = ContactForm::from_siecle(&me);
    let mut tx = state.db.begin().await?;
    for ((field, new), (_, old)) in form.fields().into_iter().zip(siecle.fields()) {
        family::set_guardian_field(&mut *tx, me.id, field, old, new).await?;
    }
    tx.commit().await?;
    dossier.complete(&state, Step::Responsables).await
}
