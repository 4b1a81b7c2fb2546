//! Next year's schooling and school life: `…/scolarite` (MEF, options) and
//! `…/vie-scolaire` (régime de sortie, demi-pension and its tariff, and
//! the school's own questions: FSE, authorisations, custom questions, read
//! from `db::offer`). Answers are this guardian's own: the other
//! guardian's answers are never overwritten (differences flag the dossier).

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::Form;

use super::steps::Errors;
use super::{FamilyDossier, Stepper};
use crate::app::AppState;
use crate::db::{campaigns, family, offer, pupils, setup};
use crate::domain::journey::Step;
use crate::domain::questions::{AnswerType, Question};
use crate::domain::schooling::{
    self, GroupRule, OfferedOption, OptionGroup, OptionStatus, OptionsError, RequestStanding,
    Tariff,
};
use crate::domain::words;
use crate::dossier::diff::Baseline;
use crate::dossier::facts;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

// ---------------------------------------------------------------- scolarité

/// An option as the family reads it.
pub struct OptionLine {
    pub code: String,
    pub label: String,
    pub explanation: String,
    /// Not a choice: mandatory or kept.
    pub fixed: bool,
    /// Why it is not a choice (« obligatoire pour tous les élèves »).
    pub fixed_why: &'static str,
    pub droppable: bool,
    pub checked: bool,
    /// Places and waiting list, when the option has a capacity.
    pub places: Option<String>,
}

/// A group of options where one (or at most one) is chosen.
pub struct GroupBlock {
    pub id: i64,
    pub label: String,
    pub hint: &'static str,
    /// « Aucune » is offered (at most one, and nothing fixed in the group).
    pub none_allowed: bool,
    pub none_checked: bool,
    pub fixed: Vec<OptionLine>,
    pub choices: Vec<OptionLine>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "family/scolarite.html")]
pub struct SchoolingPage {
    pub chrome: Chrome,
    pub stepper: Stepper,
    pub action: String,
    pub current_mef: String,
    pub next_mef: String,
    /// Options outside any group.
    pub options: Vec<OptionLine>,
    pub groups: Vec<GroupBlock>,
    pub error: Option<String>,
}

impl SchoolingPage {
    pub fn has_options(&self) -> bool {
        !self.options.is_empty() || !self.groups.is_empty()
    }
}

/// What the scolarité step is computed from.
struct SchoolingFacts {
    current_mef: String,
    next_mef: String,
    next_mef_id: Option<i64>,
    available: Vec<(OfferedOption, OptionStatus)>,
    groups: Vec<OptionGroup>,
    practised: Vec<String>,
    /// Option code → dossiers that asked for it, earliest first.
    queues: HashMap<String, Vec<i64>>,
}

async fn schooling_facts(
    state: &AppState,
    dossier: &FamilyDossier,
) -> Result<SchoolingFacts, AppError> {
    let pool = state.db.pool();
    let (current_mef, next_mef_id, next_label) =
        match campaigns::mef_succession_of_dossier(pool, dossier.dossier.dossier_id).await? {
            Some(m) => (m.label, m.next_mef_id, m.next_label),
            None => Default::default(),
        };
    let offered = offer::offered_options(pool, next_mef_id).await?;
    let practised = pupils::practised_options(pool, dossier.dossier.pupil_id).await?;
    let available = facts::available_options(&offered, next_mef_id, &practised);
    let groups = offer::groups(pool, next_mef_id).await?;
    let queues = match next_mef_id {
        Some(mef) => offer::request_queues(pool, dossier.dossier.school_id)
            .await?
            .into_iter()
            .filter(|((m, _), _)| *m == mef)
            .map(|((_, code), queue)| (code, queue))
            .collect(),
        None => HashMap::new(),
    };
    Ok(SchoolingFacts {
        current_mef,
        next_mef: next_label.unwrap_or_else(|| "Fin du collège (orientation)".into()),
        next_mef_id,
        available,
        groups,
        practised,
        queues,
    })
}

/// What the family reads about an option's places.
fn places(option: &OfferedOption, queue: &[i64], dossier_id: i64) -> Option<String> {
    let capacity = option.capacity?;
    Some(
        match schooling::request_standing(queue, dossier_id, Some(capacity)) {
            Some(RequestStanding::Waiting(rank)) => format!(
                "Places limitées : toutes les places sont prises, votre demande est en liste d'attente (rang {rank}). Le collège vous préviendra si une place se libère."
            ),
            Some(RequestStanding::Placed) => {
                "Places limitées : votre demande a une place.".to_owned()
            }
            None => {
                let left = capacity - queue.len() as i64;
                if left > 0 {
                    format!("Places limitées : {left} place(s) encore libre(s) sur {capacity}.")
                } else {
                    format!(
                        "Places limitées : toutes les places ({capacity}) sont demandées ; une nouvelle demande sera mise en liste d'attente."
                    )
                }
            }
        },
    )
}

fn schooling_page(
    chrome: Chrome,
    dossier: &FamilyDossier,
    f: &SchoolingFacts,
    chosen: &[String],
    error: Option<&OptionsError>,
) -> SchoolingPage {
    let line = |(o, status): &(OfferedOption, OptionStatus)| OptionLine {
        code: o.code.clone(),
        label: o.label.clone(),
        explanation: o.explanation.clone(),
        fixed: !status.is_choice(),
        fixed_why: match status {
            OptionStatus::Mandatory => "obligatoire pour tous les élèves",
            _ => "poursuivie (obligatoire)",
        },
        droppable: *status == OptionStatus::Droppable,
        checked: !status.is_choice() || chosen.contains(&o.code),
        places: (*status == OptionStatus::Requestable)
            .then(|| {
                places(
                    o,
                    f.queues.get(&o.code).map_or(&[][..], Vec::as_slice),
                    dossier.dossier.dossier_id,
                )
            })
            .flatten(),
    };
    let groups: Vec<GroupBlock> = f
        .groups
        .iter()
        .filter_map(|g| {
            let members: Vec<OptionLine> = f
                .available
                .iter()
                .filter(|(o, _)| o.group == Some(g.id))
                .map(line)
                .collect();
            if members.is_empty() {
                return None;
            }
            let (fixed, choices): (Vec<OptionLine>, Vec<OptionLine>) =
                members.into_iter().partition(|l| l.fixed);
            Some(GroupBlock {
                id: g.id,
                label: g.label.clone(),
                hint: g.rule.hint(),
                none_allowed: g.rule == GroupRule::AtMostOne && fixed.is_empty(),
                none_checked: !choices.iter().any(|l| l.checked),
                fixed,
                choices,
                error: error
                    .filter(|e| e.group() == Some(g.label.as_str()))
                    .map(OptionsError::message),
            })
        })
        .collect();
    let grouped: Vec<i64> = groups.iter().map(|g| g.id).collect();
    SchoolingPage {
        chrome,
        stepper: Stepper::new(dossier, Step::Scolarite),
        action: dossier.url(Step::Scolarite),
        current_mef: f.current_mef.clone(),
        next_mef: f.next_mef.clone(),
        options: f
            .available
            .iter()
            .filter(|(o, _)| o.group.is_none_or(|g| !grouped.contains(&g)))
            .map(line)
            .collect(),
        groups,
        error: error.map(OptionsError::message),
    }
}

pub async fn show_scolarite(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
) -> Result<Response, AppError> {
    if let Some(redirect) = dossier.redirect_for(Step::Scolarite) {
        return Ok(redirect.into_response());
    }
    let f = schooling_facts(&state, &dossier).await?;
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
        None => f.practised.clone(),
    };
    render(&schooling_page(chrome, &dossier, &f, &chosen, None)).map(IntoResponse::into_response)
}

/// The codes a scolarité form ticks: the `options` checkboxes and the
/// `group_<id>` radios (« Aucune » is an empty value).
fn ticked(form: &[(String, String)]) -> Vec<String> {
    form.iter()
        .filter(|(k, v)| (k == "options" || k.starts_with("group_")) && !v.is_empty())
        .map(|(_, v)| v.clone())
        .collect()
}

pub async fn update_scolarite(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    dossier.ensure_editable()?;
    let f = schooling_facts(&state, &dossier).await?;
    let ticked = ticked(&form);
    match schooling::resolve(&f.available, &f.groups, &ticked) {
        Ok(chosen) => {
            // Nothing is asked when nothing is offered (a pupil leaving the
            // collège): no answer, so no change to read.
            if let (false, Some(mef)) = (f.available.is_empty(), f.next_mef_id) {
                let requested: Vec<String> = f
                    .available
                    .iter()
                    .filter(|(o, s)| *s == OptionStatus::Requestable && chosen.contains(&o.code))
                    .map(|(o, _)| o.code.clone())
                    .collect();
                let mut tx = state.db.begin().await?;
                family::set_answer(
                    &mut *tx,
                    dossier.dossier.dossier_id,
                    dossier.guardian_id,
                    "options",
                    &chosen.join(","),
                )
                .await?;
                offer::set_requests(
                    &mut tx,
                    dossier.dossier.school_id,
                    dossier.dossier.dossier_id,
                    dossier.guardian_id,
                    mef,
                    &requested,
                )
                .await?;
                tx.commit().await?;
            }
            dossier.complete(&state, Step::Scolarite).await
        }
        Err(error) => {
            let page = schooling_page(chrome, &dossier, &f, &ticked, Some(&error));
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

// ---------------------------------------------------------------- vie scolaire

/// The vie scolaire form: the fixed questions, and the school's own ones
/// (each under its key).
#[derive(Debug, Clone, Default)]
pub struct SchoolLifeForm {
    pub exit_rule: String,
    pub canteen: String,
    pub quotient: String,
    /// The school's question key → answer.
    pub answers: HashMap<String, String>,
}

impl SchoolLifeForm {
    /// The form's fields: the fixed ones by name, the school's questions by
    /// their key; any other field is ignored.
    fn from_fields(fields: &[(String, String)], questions: &[Question]) -> Self {
        let get = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        Self {
            exit_rule: get("exit_rule"),
            canteen: get("canteen"),
            quotient: get("quotient").trim().to_owned(),
            answers: questions
                .iter()
                .map(|q| (q.key.clone(), get(&q.key)))
                .collect(),
        }
    }

    /// The guardian's answers, else what was known (SIECLE's régime, last
    /// year's answers: see `dossier::diff::Baseline`); nothing is assumed, so
    /// a question with nothing known starts unanswered.
    fn from_answers(
        answers: &HashMap<String, String>,
        baseline: &Baseline,
        questions: &[Question],
    ) -> Self {
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
            answers: questions
                .iter()
                .map(|q| {
                    let value = get(&q.key);
                    // Last year's choice may no longer be one.
                    let value = if value.is_empty() || q.accepts(&value) {
                        value
                    } else {
                        String::new()
                    };
                    (q.key.clone(), value)
                })
                .collect(),
        }
    }
}

/// A school's question as the family reads it, with its answer.
pub struct QuestionField {
    pub key: String,
    pub question: String,
    /// The help, and the FSE's fee.
    pub hints: Vec<String>,
    pub yes_no: bool,
    pub choice: bool,
    pub choices: Vec<String>,
    pub value: String,
    pub error: Option<String>,
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
    /// The days the canteen serves, in words (empty when the school set none).
    pub canteen_days: String,
    pub form: SchoolLifeForm,
    pub questions: Vec<QuestionField>,
    pub errors: Errors,
}

impl SchoolLifePage {
    pub fn error(&self, field: &str) -> Option<&&'static str> {
        self.errors.get(field)
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.questions.iter().any(|q| q.error.is_some())
    }
}

/// The school's exit rules, tariffs and questions.
struct SchoolLifeFacts {
    exit_rules: Vec<(String, String, String)>,
    tariffs: Vec<Tariff>,
    canteen_days: String,
    questions: Vec<Question>,
}

async fn school_life_facts(
    state: &AppState,
    dossier: &FamilyDossier,
) -> Result<SchoolLifeFacts, AppError> {
    let pool = state.db.pool();
    let school_id = dossier.dossier.school_id;
    let rules = campaigns::exit_rules(pool, school_id).await?;
    let campaign = setup::campaign_of_dossier(pool, dossier.dossier.dossier_id).await?;
    Ok(SchoolLifeFacts {
        canteen_days: words::canteen_days(&campaign.canteen_days),
        exit_rules: rules
            .into_iter()
            .map(|r| (r.id.to_string(), r.label, r.description))
            .collect(),
        tariffs: campaigns::tariffs(pool, school_id).await?,
        questions: offer::questions(pool, school_id).await?,
    })
}

fn school_life_page(
    chrome: Chrome,
    dossier: &FamilyDossier,
    f: SchoolLifeFacts,
    form: SchoolLifeForm,
    errors: Errors,
    question_errors: &HashMap<String, String>,
) -> SchoolLifePage {
    let quotient = form.quotient.parse::<i64>().ok();
    let applicable_tariff = schooling::tariff_for(quotient, &f.tariffs).map(|t| {
        format!(
            "{} : {} par repas",
            t.label,
            schooling::euros(t.price_cents)
        )
    });
    let mut sorted = f.tariffs.clone();
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
    let questions = f
        .questions
        .iter()
        .map(|q| QuestionField {
            key: q.key.clone(),
            question: q.question.clone(),
            hints: [
                q.help.clone(),
                q.amount_cents
                    .map(|c| format!("Cotisation : {}", schooling::euros(c)))
                    .unwrap_or_default(),
            ]
            .into_iter()
            .filter(|h| !h.is_empty())
            .collect(),
            yes_no: q.answer_type == AnswerType::YesNo,
            choice: q.answer_type == AnswerType::Choice,
            choices: q.choices.clone(),
            value: form.answers.get(&q.key).cloned().unwrap_or_default(),
            error: question_errors.get(&q.key).cloned(),
        })
        .collect();
    SchoolLifePage {
        chrome,
        stepper: Stepper::new(dossier, Step::VieScolaire),
        action: dossier.url(Step::VieScolaire),
        exit_rules: f.exit_rules,
        tariffs,
        applicable_tariff,
        canteen_days: f.canteen_days,
        form,
        questions,
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
    let f = school_life_facts(&state, &dossier).await?;
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
    let mut form = SchoolLifeForm::from_answers(&answers, &baseline, &f.questions);
    // Last year's rule may no longer exist.
    if !f.exit_rules.iter().any(|r| r.0 == form.exit_rule) {
        form.exit_rule.clear();
    }
    render(&school_life_page(
        chrome,
        &dossier,
        f,
        form,
        Errors::new(),
        &HashMap::new(),
    ))
    .map(IntoResponse::into_response)
}

pub async fn update_vie_scolaire(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    dossier.ensure_editable()?;
    let f = school_life_facts(&state, &dossier).await?;
    let form = SchoolLifeForm::from_fields(&fields, &f.questions);
    let mut errors: BTreeMap<&'static str, &'static str> = BTreeMap::new();
    if !f.exit_rules.is_empty() && !f.exit_rules.iter().any(|r| r.0 == form.exit_rule) {
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
    let mut question_errors: HashMap<String, String> = HashMap::new();
    let mut answers: Vec<(String, String)> = Vec::new();
    for q in &f.questions {
        let raw = form.answers.get(&q.key).map_or("", String::as_str);
        match q.check_answer(raw) {
            Ok(value) => answers.push((q.key.clone(), value)),
            Err(message) => {
                question_errors.insert(q.key.clone(), message);
            }
        }
    }
    if !errors.is_empty() || !question_errors.is_empty() {
        let page = school_life_page(chrome, &dossier, f, form, errors, &question_errors);
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let mut tx = state.db.begin().await?;
    let fixed = [
        ("exit_rule".to_owned(), form.exit_rule.clone()),
        ("canteen".to_owned(), form.canteen.clone()),
        ("quotient".to_owned(), form.quotient.clone()),
    ];
    for (question, answer) in fixed.iter().chain(&answers) {
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
