//! Next year's schooling and school life: `…/scolarite` (MEF, options) and
//! `…/vie-scolaire` (régime de sortie, demi-pension and its tariff,
//! authorisations, FSE). Answers are this guardian's own: the other
//! guardian's answers are never overwritten (differences flag the dossier).

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::Form;
use serde::Deserialize;

use super::steps::Errors;
use super::{FamilyDossier, Stepper};
use crate::app::AppState;
use crate::db::{campaigns, family, pupils};
use crate::domain::journey::Step;
use crate::domain::schooling::{self, OfferedOption, OptionStatus, Tariff};
use crate::dossier::diff::Baseline;
use crate::dossier::facts;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

// ---------------------------------------------------------------- scolarité

pub struct OptionLine {
    pub code: String,
    pub label: String,
    pub explanation: String,
    pub kept: bool,
    pub droppable: bool,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "family/scolarite.html")]
pub struct SchoolingPage {
    pub chrome: Chrome,
    pub stepper: Stepper,
    pub action: String,
    pub current_mef: String,
    pub next_mef: String,
    pub options: Vec<OptionLine>,
    pub error: Option<&'static str>,
}

/// (current MEF label, next MEF label, available options, practised codes)
async fn schooling_facts(
    state: &AppState,
    dossier: &FamilyDossier,
) -> Result<
    (
        String,
        String,
        Vec<(OfferedOption, OptionStatus)>,
        Vec<String>,
    ),
    AppError,
> {
    let pool = state.db.pool();
    let (current, next_id, next_label) =
        match campaigns::mef_succession_of_dossier(pool, dossier.dossier.dossier_id).await? {
            Some(m) => (m.label, m.next_mef_id, m.next_label),
            None => Default::default(),
        };
    let offered = campaigns::offered_options(pool, next_id).await?;
    let practised = pupils::practised_options(pool, dossier.dossier.pupil_id).await?;
    let next = next_label.unwrap_or_else(|| "Fin du collège (orientation)".into());
    Ok((
        current,
        next,
        schooling::available(&offered, &practised),
        practised,
    ))
}

fn option_lines(available: &[(OfferedOption, OptionStatus)], chosen: &[String]) -> Vec<OptionLine> {
    available
        .iter()
        .map(|(o, status)| OptionLine {
            code: o.code.clone(),
            label: o.label.clone(),
            explanation: o.explanation.clone(),
            kept: *status == OptionStatus::Kept,
            droppable: *status == OptionStatus::Droppable,
            checked: *status == OptionStatus::Kept || chosen.contains(&o.code),
        })
        .collect()
}

pub async fn show_scolarite(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
) -> Result<Response, AppError> {
    if let Some(redirect) = dossier.redirect_for(Step::Scolarite) {
        return Ok(redirect.into_response());
    }
    let (current_mef, next_mef, available, practised) = schooling_facts(&state, &dossier).await?;
    let answers = family::answers(
        state.db.pool(),
        dossier.dossier.dossier_id,
        dossier.guardian_id,
    )
    .await?;
    let chosen: Vec<String> = match answers.get("options") {
        Some(saved) => saved
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        None => practised,
    };
    render(&SchoolingPage {
        chrome,
        stepper: Stepper::new(&dossier, Step::Scolarite),
        action: dossier.url(Step::Scolarite),
        current_mef,
        next_mef,
        options: option_lines(&available, &chosen),
        error: None,
    })
    .map(IntoResponse::into_response)
}

#[derive(Deserialize)]
pub struct SchoolingForm {
    #[serde(default)]
    options: Vec<String>,
}

pub async fn update_scolarite(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
    Form(form): Form<SchoolingForm>,
) -> Result<Response, AppError> {
    dossier.ensure_editable()?;
    let (current_mef, next_mef, available, _) = schooling_facts(&state, &dossier).await?;
    match schooling::resolve(&available, &form.options) {
        Ok(chosen) => {
            // Nothing is asked when nothing is offered (a pupil leaving the
            // collège): no answer, so no change to read.
            if !available.is_empty() {
                family::set_answer(
                    state.db.pool(),
                    dossier.dossier.dossier_id,
                    dossier.guardian_id,
                    "options",
                    &chosen.join(","),
                )
                .await?;
            }
            dossier.complete(&state, Step::Scolarite).await
        }
        Err(_) => {
            let page = SchoolingPage {
                chrome,
                stepper: Stepper::new(&dossier, Step::Scolarite),
                action: dossier.url(Step::Scolarite),
                current_mef,
                next_mef,
                options: option_lines(&available, &form.options),
                error: Some(
                    "Une option demandée n'est pas proposée l'an prochain : vérifiez vos choix.",
                ),
            };
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

// ---------------------------------------------------------------- vie scolaire

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SchoolLifeForm {
    #[serde(default)]
    pub exit_rule: String,
    #[serde(default)]
    pub canteen: String,
    #[serde(default)]
    pub quotient: String,
    #[serde(default)]
    pub photo: String,
    #[serde(default)]
    pub sorties: String,
    #[serde(default)]
    pub fse: String,
}

impl SchoolLifeForm {
    fn answers(&self) -> [(&'static str, &str); 6] {
        [
            ("exit_rule", &self.exit_rule),
            ("canteen", &self.canteen),
            ("quotient", &self.quotient),
            ("photo", &self.photo),
            ("sorties", &self.sorties),
            ("fse", &self.fse),
        ]
    }

    /// The guardian's answers, else what was known (SIECLE's régime, last
    /// year's answers: see `dossier::diff::Baseline`); nothing is assumed, so
    /// a question with nothing known starts unanswered.
    fn from_answers(answers: &HashMap<String, String>, baseline: &Baseline) -> Self {
        let get = |key: &str| {
            answers
                .get(key)
                .cloned()
                .or_else(|| baseline.value(key))
                .unwrap_or_default()
        };
        Self {
            exit_rule: get("exit_rule"),
            canteen: get("canteen"),
            quotient: get("quotient"),
            photo: get("photo"),
            sorties: get("sorties"),
            fse: get("fse"),
        }
    }
}

#[derive(Template)]
#[template(path = "family/vie_scolaire.html")]
pub struct SchoolLifePage {
    pub chrome: Chrome,
    pub stepper: Stepper,
    pub action: String,
    /// (id, label, description)
    pub exit_rules: Vec<(String, String, String)>,
    /// (label, bracket, price)
    pub tariffs: Vec<(String, String, String)>,
    pub applicable_tariff: Option<String>,
    pub form: SchoolLifeForm,
    pub errors: Errors,
}

impl SchoolLifePage {
    pub fn error(&self, field: &str) -> Option<&&'static str> {
        self.errors.get(field)
    }
}

async fn school_life_facts(
    state: &AppState,
    school_id: i64,
) -> Result<(Vec<(String, String, String)>, Vec<Tariff>), AppError> {
    let rules = campaigns::exit_rules(state.db.pool(), school_id).await?;
    let tariffs = campaigns::tariffs(state.db.pool(), school_id).await?;
    Ok((
        rules
            .into_iter()
            .map(|r| (r.id.to_string(), r.label, r.description))
            .collect(),
        tariffs,
    ))
}

fn school_life_page(
    chrome: Chrome,
    dossier: &FamilyDossier,
    exit_rules: Vec<(String, String, String)>,
    tariffs: &[Tariff],
    form: SchoolLifeForm,
    errors: Errors,
) -> SchoolLifePage {
    let quotient = form.quotient.parse::<i64>().ok();
    let applicable_tariff = schooling::tariff_for(quotient, tariffs).map(|t| {
        format!(
            "{} : {} par repas",
            t.label,
            schooling::euros(t.price_cents)
        )
    });
    let mut sorted = tariffs.to_vec();
    sorted.sort_by_key(|t| t.quotient_max.unwrap_or(i64::MAX));
    let mut floor = 0;
    let tariffs = sorted
        .iter()
        .map(|t| {
            let bracket = match t.quotient_max {
                Some(max) => format!("quotient familial de {floor} à {max}"),
                None => format!("quotient familial au-delà de {}", floor.max(1) - 1),
            };
            floor = t.quotient_max.map_or(floor, |m| m + 1);
            (t.label.clone(), bracket, schooling::euros(t.price_cents))
        })
        .collect();
    SchoolLifePage {
        chrome,
        stepper: Stepper::new(dossier, Step::VieScolaire),
        action: dossier.url(Step::VieScolaire),
        exit_rules,
        tariffs,
        applicable_tariff,
        form,
        errors,
    }
}

pub async fn show_vie_scolaire(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
) -> Result<Response, AppError> {
    if let Some(redirect) = dossier.redirect_for(Step::VieScolaire) {
        return Ok(redirect.into_response());
    }
    let (rules, tariffs) = school_life_facts(&state, dossier.dossier.school_id).await?;
    let answers = family::answers(
        state.db.pool(),
        dossier.dossier.dossier_id,
        dossier.guardian_id,
    )
    .await?;
    let baseline = facts::of_dossier(
        state.db.pool(),
        dossier.dossier.school_id,
        dossier.dossier.dossier_id,
    )
    .await?
    .map(|(listed, _)| listed.facts.baseline)
    .unwrap_or_default();
    let mut form = SchoolLifeForm::from_answers(&answers, &baseline);
    // Last year's rule may no longer exist.
    if !rules.iter().any(|r| r.0 == form.exit_rule) {
        form.exit_rule.clear();
    }
    render(&school_life_page(
        chrome,
        &dossier,
        rules,
        &tariffs,
        form,
        Errors::new(),
    ))
    .map(IntoResponse::into_response)
}

pub async fn update_vie_scolaire(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
    Form(form): Form<SchoolLifeForm>,
) -> Result<Response, AppError> {
    dossier.ensure_editable()?;
    let (rules, tariffs) = school_life_facts(&state, dossier.dossier.school_id).await?;
    let form = SchoolLifeForm {
        quotient: form.quotient.trim().to_owned(),
        ..form
    };
    let mut errors: BTreeMap<&'static str, &'static str> = BTreeMap::new();
    if !rules.is_empty() && !rules.iter().any(|r| r.0 == form.exit_rule) {
        errors.insert("exit_rule", "Choisissez un régime de sortie.");
    }
    if !matches!(form.canteen.as_str(), "externe" | "demi_pension") {
        errors.insert("canteen", "Choisissez externe ou demi-pensionnaire.");
    }
    if !form.quotient.is_empty() && form.quotient.parse::<u32>().is_err() {
        errors.insert(
            "quotient",
            "Le quotient familial est un nombre entier, par exemple 620.",
        );
    }
    for (field, message) in [
        ("photo", "Indiquez si vous autorisez la photo de classe."),
        (
            "sorties",
            "Indiquez si vous autorisez les sorties scolaires.",
        ),
        ("fse", "Indiquez si vous adhérez au foyer socio-éducatif."),
    ] {
        let value = match field {
            "photo" => &form.photo,
            "sorties" => &form.sorties,
            _ => &form.fse,
        };
        if !matches!(value.as_str(), "oui" | "non") {
            errors.insert(field, message);
        }
    }
    if !errors.is_empty() {
        let page = school_life_page(chrome, &dossier, rules, &tariffs, form, errors);
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let mut tx = state.db.begin().await?;
    for (question, answer) in form.answers() {
        family::set_answer(
            &mut *tx,
            dossier.dossier.dossier_id,
            dossier.guardian_id,
            question,
            answer,
        )
        .await?;
    }
    tx.commit().await?;
    dossier.complete(&state, Step::VieScolaire).await
}
