//! Step 4, contacts d'urgence: the emergency contacts this guardian adds or removes (a half-typed one kept as a draft).

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::super::{FamilyDossier, Stepper};
use super::{Errors, MAX_TEXT, check_phone, check_text, clean};
use crate::app::AppState;
use crate::db::{contacts, drafts, family};
use crate::domain::journey::Step;
use crate::domain::limits;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct EmergencyForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub relationship: String,
    #[serde(default)]
    pub phone: String,
    /// "ajouter" to add and stay, anything else to go on.
    #[serde(default, skip_serializing)]
    pub action: String,
}

/// The step name under which a half-typed contact is kept.
const CONTACT_DRAFT: &str = "contacts-urgence";

#[derive(Template)]
#[template(path = "family/contacts_urgence.html")]
pub struct EmergencyPage {
    pub chrome: Chrome,
    pub stepper: Stepper,
    pub action: String,
    /// The contacts this guardian added (each removable).
    pub contacts: Vec<family::EmergencyContact>,
    pub form: EmergencyForm,
    pub errors: Errors,
}

impl EmergencyPage {
    pub fn error(&self, field: &str) -> Option<&&'static str> {
        self.errors.get(field)
    }

    pub fn max_contacts(&self) -> i64 {
        limits::MAX_EMERGENCY_CONTACTS
    }
}

/// The contacts this guardian added: the other guardian's are theirs.
async fn emergency_contacts(
    state: &AppState,
    dossier: &FamilyDossier,
) -> Result<Vec<family::EmergencyContact>, AppError> {
    Ok(family::emergency_contacts_seen_by(
        state.db.pool(),
        dossier.dossier.dossier_id,
        dossier.guardian_id,
    )
    .await?)
}

pub async fn show_contacts_urgence(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
) -> Result<Response, AppError> {
    if let Some(redirect) = dossier.redirect_for(Step::ContactsUrgence) {
        return Ok(redirect.into_response());
    }
    let contacts = emergency_contacts(&state, &dossier).await?;
    // A contact half typed before leaving comes back (autosave).
    let form = drafts::load(
        state.db.pool(),
        dossier.dossier.dossier_id,
        dossier.guardian_id,
        CONTACT_DRAFT,
    )
    .await?
    .and_then(|data| serde_json::from_str(&data).ok())
    .unwrap_or_default();
    render(&EmergencyPage {
        chrome,
        stepper: Stepper::new(&dossier, Step::ContactsUrgence),
        action: dossier.url(Step::ContactsUrgence),
        contacts,
        form,
        errors: Errors::new(),
    })
    .map(IntoResponse::into_response)
}

/// `POST …/contacts-urgence/{contact_id}/retirer`: removes a contact this
/// guardian added (the other guardian's contacts are theirs to remove).
pub async fn remove_contact(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    axum::extract::Path((_dossier_id, contact_id)): axum::extract::Path<(i64, i64)>,
) -> Result<Response, AppError> {
    dossier.ensure_editable()?;
    let removed = contacts::remove_own(
        state.db.pool(),
        dossier.dossier.dossier_id,
        dossier.guardian_id,
        contact_id,
    )
    .await?;
    if !removed {
        return Err(AppError::NotFound);
    }
    Ok(axum::response::Redirect::to(&dossier.url(Step::ContactsUrgence)).into_response())
}

/// The message next to the name when the dossier has its
/// [`limits::MAX_EMERGENCY_CONTACTS`] contacts.
static TOO_MANY_CONTACTS: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| limits::Quota::TooManyContacts.to_string());

pub async fn update_contacts_urgence(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
    Form(form): Form<EmergencyForm>,
) -> Result<Response, AppError> {
    dossier.ensure_editable()?;
    if dossier.autosave {
        // Kept as typed (bounded), checked when the step is sent.
        let bounded = |v: &str| v.chars().take(MAX_TEXT * 2).collect::<String>();
        let draft = EmergencyForm {
            name: bounded(&form.name),
            relationship: bounded(&form.relationship),
            phone: bounded(&form.phone),
            action: String::new(),
        };
        drafts::save(
            state.db.pool(),
            dossier.dossier.dossier_id,
            dossier.guardian_id,
            CONTACT_DRAFT,
            &serde_json::to_string(&draft).map_err(anyhow::Error::from)?,
        )
        .await?;
        return Ok(axum::http::StatusCode::NO_CONTENT.into_response());
    }
    let form = EmergencyForm {
        name: clean(&form.name),
        relationship: clean(&form.relationship),
        phone: clean(&form.phone),
        action: form.action,
    };
    let adding = !(form.name.is_empty() && form.phone.is_empty() && form.relationship.is_empty());
    if adding {
        let mut errors = Errors::new();
        check_text(&mut errors, "name", &form.name, true);
        check_text(&mut errors, "relationship", &form.relationship, false);
        if form.phone.is_empty() {
            errors.insert("phone", "Indiquez un numéro pour joindre ce contact.");
        } else {
            check_phone(&mut errors, "phone", &form.phone);
        }
        // Counted and inserted in one transaction, the dossier locked, so
        // that two guardians adding at once cannot pass the limit.
        let mut tx = state.db.begin().await?;
        if errors.is_empty() {
            crate::documents::quota::lock_dossier(&mut tx, dossier.dossier.dossier_id).await?;
            let existing = contacts::count(&mut *tx, dossier.dossier.dossier_id).await?;
            if limits::admits_contact(existing).is_err() {
                errors.insert("name", TOO_MANY_CONTACTS.as_str());
            }
        }
        if !errors.is_empty() {
            tx.rollback().await?;
            let contacts = emergency_contacts(&state, &dossier).await?;
            let page = EmergencyPage {
                chrome,
                stepper: Stepper::new(&dossier, Step::ContactsUrgence),
                action: dossier.url(Step::ContactsUrgence),
                contacts,
                form,
                errors,
            };
            return Ok(
                (axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response(),
            );
        }
        contacts::add(
            &mut *tx,
            dossier.dossier.dossier_id,
            dossier.guardian_id,
            &form.name,
            &form.relationship,
            &form.phone,
        )
        .await?;
        tx.commit().await?;
    }
    drafts::clear(
        state.db.pool(),
        dossier.dossier.dossier_id,
        dossier.guardian_id,
        CONTACT_DRAFT,
    )
    .await?;
    if adding && form.action == "ajouter" {
        return Ok(
            axum::response::Redirect::to(&dossier.url(Step::ContactsUrgence)).into_response(),
        );
    }
    dossier.complete(&state, Step::ContactsUrgence).await
}
