//! The school's own questions of the vie scolaire step. Two screens, each
//! for the role that owns it: `…/campagne/questions` (FSE and custom
//! questions: secretariat and direction, `ManageSchool`) and
//! `…/campagne/autorisations` (authorisations: vie scolaire and direction,
//! `ManageSchoolLife`). Each lists its questions, creates one (checked by
//! `domain::questions`: a refused form changes nothing), edits one's words
//! (`…/{id}`: its kind, answer type and key stay) and removes one
//! after a confirmation page (`GET …/{id}/suppression`; the POST without
//! the confirmation changes nothing). Texts are shown as typed, escaped:
//! never read as markup or as a template.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::app::AppState;
use crate::db::offer;
use crate::domain::questions::{self, AnswerType, NewQuestion, Question, QuestionKind};
use crate::domain::role::{ManageSchool, ManageSchoolLife, Permission};
use crate::domain::schooling;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

/// Which of the two screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Screen {
    /// FSE and custom questions.
    Questions,
    /// Authorisations.
    Authorisations,
}

impl Screen {
    fn kinds(self) -> &'static [QuestionKind] {
        match self {
            Screen::Questions => &[QuestionKind::Fse, QuestionKind::Custom],
            Screen::Authorisations => &[QuestionKind::Authorisation],
        }
    }

    fn path(self, uai: &str) -> String {
        match self {
            Screen::Questions => format!("/etablissements/{uai}/campagne/questions"),
            Screen::Authorisations => format!("/etablissements/{uai}/campagne/autorisations"),
        }
    }

    fn title(self) -> &'static str {
        match self {
            Screen::Questions => "Foyer socio-éducatif et questions de l'établissement",
            Screen::Authorisations => "Autorisations demandées aux familles",
        }
    }

    fn intro(self) -> &'static str {
        match self {
            Screen::Questions => {
                "Les familles répondent à ces questions à l'étape « Vie scolaire », après les autorisations. Chaque réponse va dans la colonne indiquée des exports de l'établissement."
            }
            Screen::Authorisations => {
                "Les familles répondent oui ou non à chaque autorisation à l'étape « Vie scolaire » ; la réponse de l'an dernier est reprise quand elle existe. Chaque réponse va dans la colonne indiquée des exports de l'établissement."
            }
        }
    }
}

/// A question as the screen lists it.
pub struct QuestionLine {
    pub id: i64,
    pub kind: &'static str,
    pub label: String,
    pub question: String,
    pub answer: String,
    pub key: String,
}

impl From<&Question> for QuestionLine {
    fn from(q: &Question) -> Self {
        let mut answer = q.answer_type.label().to_owned();
        if q.answer_type == AnswerType::Choice {
            answer = format!("{answer} : {}", q.choices.join(", "));
        }
        if let Some(cents) = q.amount_cents {
            answer = format!("{answer} ; cotisation {}", schooling::euros(cents));
        }
        Self {
            id: q.id,
            kind: q.kind.label(),
            label: q.label.clone(),
            question: q.question.clone(),
            answer,
            key: q.key.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "school/campaign/questions.html")]
pub struct QuestionsPage {
    pub chrome: Chrome,
    pub uai: String,
    pub title: &'static str,
    pub intro: &'static str,
    pub action: String,
    /// The create form offers a kind and an answer type (the questions'
    /// screen); the authorisations are yes/no.
    pub choose_kind: bool,
    pub questions: Vec<QuestionLine>,
    pub typed: NewQuestion,
    pub kind: String,
    pub answer_type: String,
    pub errors: HashMap<&'static str, String>,
}

impl QuestionsPage {
    pub fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

async fn list_page(
    state: &AppState,
    school_id: i64,
    uai: &str,
    chrome: Chrome,
    screen: Screen,
) -> Result<QuestionsPage, AppError> {
    let all = offer::questions(state.db.pool(), school_id).await?;
    Ok(QuestionsPage {
        chrome,
        uai: uai.to_owned(),
        title: screen.title(),
        intro: screen.intro(),
        action: screen.path(uai),
        choose_kind: screen == Screen::Questions,
        questions: all
            .iter()
            .filter(|q| screen.kinds().contains(&q.kind))
            .map(QuestionLine::from)
            .collect(),
        typed: NewQuestion::default(),
        kind: String::new(),
        answer_type: String::new(),
        errors: HashMap::new(),
    })
}

fn field(form: &HashMap<String, String>, name: &str, max: usize) -> String {
    form.get(name)
        .map(|v| v.chars().take(max).collect())
        .unwrap_or_default()
}

async fn create_on<P: Permission>(
    state: &AppState,
    agent: &CurrentAgent<P>,
    chrome: Chrome,
    screen: Screen,
    form: &HashMap<String, String>,
) -> Result<Response, AppError> {
    let typed = NewQuestion {
        key: field(form, "key", 60),
        label: field(form, "label", 200),
        question: field(form, "question", 500),
        help: field(form, "help", 2000),
        choices: field(form, "choices", 3000),
        amount: field(form, "amount", 20),
    };
    let (kind, answer_type) = match screen {
        Screen::Authorisations => (Some(QuestionKind::Authorisation), Some(AnswerType::YesNo)),
        Screen::Questions => {
            let kind = QuestionKind::from_code(&field(form, "kind", 20))
                .filter(|k| screen.kinds().contains(k));
            let answer_type = match kind {
                Some(QuestionKind::Fse) => Some(AnswerType::YesNo),
                _ => AnswerType::from_code(&field(form, "answer_type", 20)),
            };
            (kind, answer_type)
        }
    };
    let existing: Vec<String> = offer::questions(state.db.pool(), agent.school_id)
        .await?
        .into_iter()
        .map(|q| q.key)
        .collect();
    let checked = match (kind, answer_type) {
        (Some(kind), Some(answer_type)) => {
            questions::check_new(kind, answer_type, &typed, &existing)
        }
        _ => {
            let mut errors = Vec::new();
            if kind.is_none() {
                errors.push(("kind", "Choisissez le genre de question.".to_owned()));
            }
            if answer_type.is_none() {
                errors.push((
                    "answer_type",
                    "Choisissez comment les familles répondent.".to_owned(),
                ));
            }
            Err(errors)
        }
    };
    let checked = match checked {
        Ok(checked) => checked,
        Err(errors) => {
            let mut page =
                list_page(state, agent.school_id, &agent.school_uai, chrome, screen).await?;
            page.typed = typed;
            page.kind = field(form, "kind", 20);
            page.answer_type = field(form, "answer_type", 20);
            page.errors = errors.into_iter().collect();
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
    };
    let mut tx = state.db.begin().await?;
    offer::create_question(&mut tx, agent.school_id, &checked).await?;
    agent
        .audit(&mut *tx, "question.create", &checked.key)
        .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        state,
        &screen.path(&agent.school_uai),
        Flash::success(format!("« {} » ajoutée.", checked.label)),
    ))
}

pub async fn list(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
) -> Result<Response, AppError> {
    let page = list_page(
        &state,
        agent.school_id,
        &agent.school_uai,
        chrome,
        Screen::Questions,
    )
    .await?;
    Ok(render(&page)?.into_response())
}

pub async fn create(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    create_on(&state, &agent, chrome, Screen::Questions, &form).await
}

pub async fn list_authorisations(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchoolLife>,
    chrome: Chrome,
) -> Result<Response, AppError> {
    let page = list_page(
        &state,
        agent.school_id,
        &agent.school_uai,
        chrome,
        Screen::Authorisations,
    )
    .await?;
    Ok(render(&page)?.into_response())
}

pub async fn create_authorisation(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchoolLife>,
    chrome: Chrome,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    create_on(&state, &agent, chrome, Screen::Authorisations, &form).await
}

#[derive(Template)]
#[template(path = "school/campaign/question_edit.html")]
pub struct EditPage {
    pub chrome: Chrome,
    pub back: String,
    pub action: String,
    pub key: String,
    pub choice: bool,
    pub fse: bool,
    pub typed: NewQuestion,
    pub errors: HashMap<&'static str, String>,
}

impl EditPage {
    pub fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

fn edit_page(chrome: Chrome, uai: &str, screen: Screen, q: &Question) -> EditPage {
    let back = screen.path(uai);
    EditPage {
        chrome,
        action: format!("{back}/{}", q.id),
        back,
        key: q.key.clone(),
        choice: q.answer_type == AnswerType::Choice,
        fse: q.kind == QuestionKind::Fse,
        typed: q.as_typed(),
        errors: HashMap::new(),
    }
}

async fn show_edit_on<P: Permission>(
    state: &AppState,
    agent: &CurrentAgent<P>,
    chrome: Chrome,
    id: i64,
    screen: Screen,
) -> Result<Response, AppError> {
    let q = question_on(state, agent.school_id, id, screen).await?;
    Ok(render(&edit_page(chrome, &agent.school_uai, screen, &q))?.into_response())
}

async fn update_on<P: Permission>(
    state: &AppState,
    agent: &CurrentAgent<P>,
    chrome: Chrome,
    id: i64,
    screen: Screen,
    form: &HashMap<String, String>,
) -> Result<Response, AppError> {
    let q = question_on(state, agent.school_id, id, screen).await?;
    let typed = NewQuestion {
        key: q.key.clone(),
        label: field(form, "label", 200),
        question: field(form, "question", 500),
        help: field(form, "help", 2000),
        choices: field(form, "choices", 3000),
        amount: field(form, "amount", 20),
    };
    match questions::check_edit(&q, &typed) {
        Ok(checked) => {
            let mut tx = state.db.begin().await?;
            offer::update_question(&mut tx, agent.scope(), q.id, &checked).await?;
            agent.audit(&mut *tx, "question.update", &q.key).await?;
            tx.commit().await?;
            Ok(redirect_with_flash(
                state,
                &screen.path(&agent.school_uai),
                Flash::success(format!("« {} » enregistrée.", checked.label)),
            ))
        }
        Err(errors) => {
            let mut page = edit_page(chrome, &agent.school_uai, screen, &q);
            page.typed = typed;
            page.errors = errors.into_iter().collect();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

pub async fn show_edit(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    show_edit_on(&state, &agent, chrome, id, Screen::Questions).await
}

pub async fn update(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Path((_, id)): Path<(String, i64)>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    update_on(&state, &agent, chrome, id, Screen::Questions, &form).await
}

pub async fn show_edit_authorisation(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchoolLife>,
    chrome: Chrome,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    show_edit_on(&state, &agent, chrome, id, Screen::Authorisations).await
}

pub async fn update_authorisation(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchoolLife>,
    chrome: Chrome,
    Path((_, id)): Path<(String, i64)>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    update_on(&state, &agent, chrome, id, Screen::Authorisations, &form).await
}

#[derive(Template)]
#[template(path = "school/campaign/question_delete.html")]
pub struct DeletePage {
    pub chrome: Chrome,
    pub back: String,
    pub action: String,
    pub question: QuestionLine,
}

/// The question `id` of the school if it belongs to `screen`; otherwise
/// "not found".
async fn question_on(
    state: &AppState,
    school_id: i64,
    id: i64,
    screen: Screen,
) -> Result<Question, AppError> {
    offer::questions(state.db.pool(), school_id)
        .await?
        .into_iter()
        .find(|q| q.id == id && screen.kinds().contains(&q.kind))
        .ok_or(AppError::NotFound)
}

async fn show_delete_on<P: Permission>(
    state: &AppState,
    agent: &CurrentAgent<P>,
    chrome: Chrome,
    id: i64,
    screen: Screen,
) -> Result<Response, AppError> {
    let q = question_on(state, agent.school_id, id, screen).await?;
    let back = screen.path(&agent.school_uai);
    Ok(render(&DeletePage {
        chrome,
        action: format!("{back}/{}/suppression", q.id),
        back,
        question: QuestionLine::from(&q),
    })?
    .into_response())
}

async fn delete_on<P: Permission>(
    state: &AppState,
    agent: &CurrentAgent<P>,
    id: i64,
    screen: Screen,
    form: &HashMap<String, String>,
) -> Result<Response, AppError> {
    let q = question_on(state, agent.school_id, id, screen).await?;
    let back = screen.path(&agent.school_uai);
    if form.get("confirmation").map(String::as_str) != Some("oui") {
        return Ok(Redirect::to(&format!("{back}/{}/suppression", q.id)).into_response());
    }
    let mut tx = state.db.begin().await?;
    offer::delete_question(&mut tx, agent.scope(), q.id, screen.kinds()).await?;
    agent.audit(&mut *tx, "question.delete", &q.key).await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        state,
        &back,
        Flash::success(format!(
            "« {} » n'est plus posée ; les réponses déjà données restent dans les dossiers.",
            q.label
        )),
    ))
}

pub async fn show_delete(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    show_delete_on(&state, &agent, chrome, id, Screen::Questions).await
}

pub async fn delete(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    Path((_, id)): Path<(String, i64)>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    delete_on(&state, &agent, id, Screen::Questions, &form).await
}

pub async fn show_delete_authorisation(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchoolLife>,
    chrome: Chrome,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    show_delete_on(&state, &agent, chrome, id, Screen::Authorisations).await
}

pub async fn delete_authorisation(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchoolLife>,
    Path((_, id)): Path<(String, i64)>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    delete_on(&state, &agent, id, Screen::Authorisations, &form).await
}
