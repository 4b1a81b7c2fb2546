//! The identity and contact steps of the journey: accueil, élève,
//! responsables, contacts d'urgence, santé. Each GET shows what is known,
//! prefilled; each POST saves (remembering only real changes against SIECLE)
//! and goes to the next step, or re-renders the form with the errors next to
//! their fields and everything typed kept.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use dossiersco_siecle::codes::Pcs;
use serde::Deserialize;

use super::{FamilyDossier, Stepper};
use crate::app::AppState;
use crate::db::{campaigns, contacts, drafts, family, medical};
use crate::domain::journey::Step;
use crate::domain::limits;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

/// Field errors: field name → message.
pub type Errors = BTreeMap<&'static str, &'static str>;

/// Longest accepted free text (names, addresses).
pub const MAX_TEXT: usize = 200;

fn clean(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn check_text(errors: &mut Errors, field: &'static str, value: &str, required: bool) {
    if required && value.is_empty() {
        errors.insert(field, "Ce champ est obligatoire.");
    } else if value.chars().count() > MAX_TEXT {
        errors.insert(field, "Ce texte est trop long (200 caractères au plus).");
    } else if value.chars().any(|c| c.is_control()) {
        errors.insert(field, "Ce texte contient des caractères non autorisés.");
    }
}

fn check_phone(errors: &mut Errors, field: &'static str, value: &str) {
    let digits: String = value.chars().filter(|c| c.is_ascii_digit()).collect();
    let allowed = value
        .chars()
        .all(|c| c.is_ascii_digit() || " .+-()".contains(c));
    if !value.is_empty() && (!allowed || digits.len() < 9 || digits.len() > 15) {
        errors.insert(
            field,
            "Numéro de téléphone invalide. Format attendu : 06 12 34 56 78 ou +33 6 12 34 56 78.",
        );
    }
}

// ---------------------------------------------------------------- accueil

#[derive(Template)]
#[template(path = "family/accueil.html")]
pub struct AccueilPage {
    pub chrome: Chrome,
    pub stepper: Stepper,
    pub action: String,
    pub school_name: String,
    pub welcome_text: String,
    pub deadline: String,
    pub documents: Vec<(String, String, bool)>,
}

pub async fn show_accueil(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
) -> Result<Response, AppError> {
    if let Some(redirect) = dossier.redirect_for(Step::Accueil) {
        return Ok(redirect.into_response());
    }
    let welcome =
        campaigns::welcome_of_dossier(state.db.pool(), dossier.dossier.dossier_id).await?;
    let school_name = dossier.school_name(&state).await?;
    let documents =
        campaigns::expected_documents(state.db.pool(), dossier.dossier.school_id).await?;
    render(&AccueilPage {
        chrome,
        stepper: Stepper::new(&dossier, Step::Accueil),
        action: dossier.url(Step::Accueil),
        school_name,
        welcome_text: welcome.welcome_text,
        deadline: welcome
            .closes_on
            .map(|d| french_date(&d))
            .unwrap_or_default(),
        documents: documents
            .into_iter()
            .map(|d| (d.label, d.explanation, d.mandatory))
            .collect(),
    })
    .map(IntoResponse::into_response)
}

pub async fn update_accueil(
    State(state): State<AppState>,
    dossier: FamilyDossier,
) -> Result<Response, AppError> {
    dossier.ensure_editable()?;
    dossier.complete(&state, Step::Accueil).await
}

pub fn french_date(iso: &str) -> String {
    match iso.split('-').collect::<Vec<_>>().as_slice() {
        [y, m, d] => format!("{d}/{m}/{y}"),
        _ => iso.to_owned(),
    }
}

// ---------------------------------------------------------------- élève

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
    let changes = family::pupil_changes(state.db.pool(), dossier.dossier.dossier_id).await?;
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

// ---------------------------------------------------------------- responsables

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

// ---------------------------------------------------------------- contacts d'urgence

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

// ---------------------------------------------------------------- santé

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
