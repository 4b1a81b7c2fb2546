//! Step 2, élève: the pupil's identity, prefilled from SIECLE; only real changes are kept.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::super::{FamilyDossier, Stepper};
use super::{Errors, check_text, clean};
use crate::app::AppState;
use crate::db::family;
use crate::domain::journey::Step;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

/// The pupil's identity as the family sees and edits it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PupilForm {
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub other_first_names: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub birth_city: String,
}

impl PupilForm {
    fn fields(&self) -> [(&'static str, &str); 6] {
        [
            ("last_name", &self.last_name),
            ("first_name", &self.first_name),
            ("other_first_names", &self.other_first_names),
            ("sex", &self.sex),
            ("birth_date", &self.birth_date),
            ("birth_city", &self.birth_city),
        ]
    }

    fn from_siecle(pupil: &family::Pupil) -> Self {
        Self {
            last_name: pupil.last_name.clone(),
            first_name: pupil.first_name.clone(),
            other_first_names: pupil.other_first_names.clone(),
            sex: pupil.sex.clone(),
            birth_date: pupil.birth_date.clone(),
            birth_city: pupil.birth_city.clone(),
        }
    }

    fn with_changes(mut self, changes: &family::Changes) -> Self {
        for (field, slot) in [
            ("last_name", &mut self.last_name),
            ("first_name", &mut self.first_name),
            ("other_first_names", &mut self.other_first_names),
            ("sex", &mut self.sex),
            ("birth_date", &mut self.birth_date),
            ("birth_city", &mut self.birth_city),
        ] {
            if let Some((_, new)) = changes.get(field) {
                *slot = new.clone();
            }
        }
        self
    }

    fn cleaned(&self) -> Self {
        Self {
            last_name: clean(&self.last_name),
            first_name: clean(&self.first_name),
            other_first_names: clean(&self.other_first_names),
            sex: self.sex.trim().to_owned(),
            birth_date: self.birth_date.trim().to_owned(),
            birth_city: clean(&self.birth_city),
        }
    }

    fn validate(&self) -> Errors {
        let mut errors = Errors::new();
        check_text(&mut errors, "last_name", &self.last_name, true);
        check_text(&mut errors, "first_name", &self.first_name, true);
        check_text(
            &mut errors,
            "other_first_names",
            &self.other_first_names,
            false,
        );
        check_text(&mut errors, "birth_city", &self.birth_city, false);
        if !matches!(self.sex.as_str(), "F" | "M") {
            errors.insert("sex", "Indiquez le sexe de l'élève.");
        }
        match chrono::NaiveDate::parse_from_str(&self.birth_date, "%Y-%m-%d") {
            Err(_) => {
                errors.insert("birth_date", "Date invalide. Format attendu : JJ/MM/AAAA.");
            }
            Ok(date) => {
                let today = chrono::Utc::now().date_naive();
                if date > today {
                    errors.insert(
                        "birth_date",
                        "La date de naissance ne peut pas être dans le futur.",
                    );
                } else if today
                    .years_since(date)
                    .is_none_or(|age| !(8..=25).contains(&age))
                {
                    errors.insert(
                        "birth_date",
                        "Cette date ne correspond pas à l'âge d'un collégien.",
                    );
                }
            }
        }
        errors
    }
}

#[derive(Template)]
#[template(path = "family/eleve.html")]
pub struct ElevePage {
    pub chrome: Chrome,
    pub stepper: Stepper,
    pub action: String,
    pub form: PupilForm,
    pub errors: Errors,
}

impl ElevePage {
    pub fn error(&self, field: &str) -> Option<&&'static str> {
        self.errors.get(field)
    }
}

pub async fn show_eleve(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
) -> Result<Response, AppError> {
    if let Some(redirect) = dossier.redirect_for(Step::Eleve) {
        return Ok(redirect.into_response());
    }
    let pupil = family::pupil(state.db.pool(), dossier.dossier.pupil_id).await?;
    let changes = family::pupil_changes(
        state.db.pool(),
        dossier.dossier.dossier_id,
        dossier.guardian_id,
    )
    .await?;
    let form = PupilForm::from_siecle(&pupil).with_changes(&changes);
    render(&ElevePage {
        chrome,
        stepper: Stepper::new(&dossier, Step::Eleve),
        action: dossier.url(Step::Eleve),
        form,
        errors: Errors::new(),
    })
    .map(IntoResponse::into_response)
}

pub async fn update_eleve(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
    Form(form): Form<PupilForm>,
) -> Result<Response, AppError> {
    dossier.ensure_editable()?;
    let form = form.cleaned();
    let errors = form.validate();
    if !errors.is_empty() {
        let page = ElevePage {
            chrome,
            stepper: Stepper::new(&dossier, Step::Eleve),
            action: dossier.url(Step::Eleve),
            form,
            errors,
        };
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let pupil = family::pupil(state.db.pool(), dossier.dossier.pupil_id).await?;
    let siecle = PupilForm::from_siecle(&pupil);
    let mut tx = state.db.begin().await?;
    for ((field, new), (_, old)) in form.fields().into_iter().zip(siecle.fields()) {
        family::set_pupil_field(
            &mut *tx,
            dossier.dossier.dossier_id,
            field,
            old,
            new,
            dossier.guardian_id,
        )
        .await?;
    }
    tx.commit().await?;
    dossier.complete(&state, Step::Eleve).await
}
