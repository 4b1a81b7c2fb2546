//! Options per MEF, for the secretariat and the direction (`ManageSchool`):
//! `GET …/campagne/options` (the MEFs), `POST …/options/nomenclature`
//! (propose the options SIECLE's programmes list), `GET`/`POST
//! …/options/{mef_id}` (each option's words and rules), `POST
//! …/options/{mef_id}/ajout` (offer another subject) and `POST
//! …/options/{mef_id}/groupes` (a group where one is chosen). A refused form
//! changes nothing and comes back with its messages.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::db::offer::{self, MefOptionRow, MefSummary, OptionRules};
use crate::domain::role::ManageSchool;
use crate::domain::schooling::{GroupRule, OptionGroup};
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

type Agent = CurrentAgent<ManageSchool>;

fn base(agent: &Agent) -> String {
    format!("/etablissements/{}/campagne/options", agent.school_uai)
}

fn field(form: &HashMap<String, String>, name: &str, max: usize) -> String {
    form.get(name)
        .map(|v| v.trim().chars().take(max).collect())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "school/campaign/options.html")]
pub struct MefsPage {
    pub chrome: Chrome,
    pub uai: String,
    pub mefs: Vec<MefSummary>,
}

pub async fn list(
    State(state): State<AppState>,
    agent: Agent,
    chrome: Chrome,
) -> Result<Response, AppError> {
    let mefs = offer::mefs(state.db.pool(), agent.scope()).await?;
    Ok(render(&MefsPage {
        chrome,
        uai: agent.school_uai.clone(),
        mefs,
    })?
    .into_response())
}

pub async fn create_from_nomenclature(
    State(state): State<AppState>,
    agent: Agent,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    let added = offer::propose_from_nomenclature(&mut tx, agent.scope()).await?;
    agent
        .audit(&mut *tx, "options.nomenclature", &added.to_string())
        .await?;
    tx.commit().await?;
    let message = match added {
        0 => "Aucune nouvelle option : la nomenclature importée n'en liste pas d'autre.".to_owned(),
        1 => "1 option ajoutée depuis la nomenclature : vérifiez ses règles.".to_owned(),
        n => format!("{n} options ajoutées depuis la nomenclature : vérifiez leurs règles."),
    };
    Ok(redirect_with_flash(
        &state,
        &base(&agent),
        Flash::success(message),
    ))
}

/// One option's line of the MEF's form, as typed.
pub struct OptionRow {
    pub id: i64,
    pub code: String,
    pub label: String,
    pub explanation: String,
    /// `mandatory`, `kept`, `droppable` or `withdrawn`.
    pub rule: String,
    pub open: bool,
    pub capacity: String,
    pub group: String,
    pub error: Option<String>,
}

impl From<&MefOptionRow> for OptionRow {
    fn from(o: &MefOptionRow) -> Self {
        Self {
            id: o.option_id,
            code: o.code.clone(),
            label: o.label.clone(),
            explanation: o.explanation.clone(),
            rule: match (o.mandatory, o.can_drop) {
                (true, _) => "mandatory",
                (false, false) => "kept",
                (false, true) => "droppable",
            }
            .into(),
            open: o.open_to_new,
            capacity: o.capacity.map(|c| c.to_string()).unwrap_or_default(),
            group: o.group_id.map(|g| g.to_string()).unwrap_or_default(),
            error: None,
        }
    }
}

/// The rules a MEF's option may have, as the form names them.
pub const RULES: [(&str, &str); 4] = [
    ("mandatory", "Obligatoire pour tous les élèves"),
    (
        "kept",
        "Conservée par ceux qui la suivent, sans pouvoir l'abandonner",
    ),
    (
        "droppable",
        "Conservée par ceux qui la suivent, qui peuvent l'abandonner",
    ),
    ("withdrawn", "Plus proposée à ce niveau"),
];

#[derive(Template)]
#[template(path = "school/campaign/mef_options.html")]
pub struct MefOptionsPage {
    pub chrome: Chrome,
    pub uai: String,
    pub mef: MefSummary,
    pub options: Vec<OptionRow>,
    pub groups: Vec<OptionGroup>,
    pub rules: [(&'static str, &'static str); 4],
    /// Subjects of the nomenclature not offered yet: (code, label).
    pub subjects: Vec<(String, String)>,
    pub error: Option<String>,
    pub add_error: Option<String>,
    pub group_error: Option<String>,
    pub group_label: String,
}

impl MefOptionsPage {
    pub fn group_rule(&self, group: &OptionGroup) -> &'static str {
        group.rule.hint()
    }
}

async fn mef(state: &AppState, agent: &Agent, mef_id: i64) -> Result<MefSummary, AppError> {
    offer::mef_in_school(state.db.pool(), agent.scope(), mef_id)
        .await?
        .ok_or(AppError::NotFound)
}

async fn page(
    state: &AppState,
    agent: &Agent,
    chrome: Chrome,
    mef: MefSummary,
) -> Result<MefOptionsPage, AppError> {
    let pool = state.db.pool();
    let options = offer::offered_options(pool, Some(mef.id)).await?;
    Ok(MefOptionsPage {
        chrome,
        uai: agent.school_uai.clone(),
        options: options.iter().map(OptionRow::from).collect(),
        groups: offer::groups(pool, Some(mef.id)).await?,
        rules: RULES,
        subjects: offer::subjects_not_offered(pool, agent.scope(), mef.id).await?,
        mef,
        error: None,
        add_error: None,
        group_error: None,
        group_label: String::new(),
    })
}

pub async fn show(
    State(state): State<AppState>,
    agent: Agent,
    chrome: Chrome,
    Path((_, mef_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let mef = mef(&state, &agent, mef_id).await?;
    Ok(render(&page(&state, &agent, chrome, mef).await?)?.into_response())
}

/// Reads one option's line of the form; the line keeps what was typed and
/// says what is wrong.
fn read_row(
    form: &HashMap<String, String>,
    current: &MefOptionRow,
    groups: &[OptionGroup],
) -> (OptionRow, Option<OptionRules>) {
    let id = current.option_id;
    let mut row = OptionRow {
        id,
        code: current.code.clone(),
        label: field(form, &format!("label_{id}"), 200),
        explanation: field(form, &format!("explanation_{id}"), 2000),
        rule: field(form, &format!("rule_{id}"), 20),
        open: form.contains_key(&format!("open_{id}")),
        capacity: field(form, &format!("capacity_{id}"), 10),
        group: field(form, &format!("group_{id}"), 20),
        error: None,
    };
    let mut problems: Vec<&str> = Vec::new();
    if !RULES.iter().any(|(code, _)| *code == row.rule) {
        problems.push("choisissez une règle");
    }
    if row.label.is_empty() || row.label.chars().count() > 120 {
        problems.push("saisissez un libellé de 120 caractères au plus");
    }
    if row.explanation.chars().count() > 1000 {
        problems.push("l'explication dépasse 1 000 caractères");
    }
    let capacity = if row.capacity.is_empty() {
        None
    } else {
        match row.capacity.parse::<i64>() {
            Ok(n) if (1..=9999).contains(&n) => Some(n),
            _ => {
                problems.push("le nombre de places est un nombre entier, par exemple 24");
                None
            }
        }
    };
    let group_id = if row.group.is_empty() {
        None
    } else {
        match row.group.parse::<i64>() {
            Ok(g) if groups.iter().any(|known| known.id == g) => Some(g),
            _ => {
                problems.push("choisissez un groupe de ce niveau");
                None
            }
        }
    };
    if !problems.is_empty() {
        let mut message = problems.join(" ; ");
        if let Some(first) = message.get(..1) {
            message = first.to_uppercase() + &message[1..];
        }
        row.error = Some(format!("{message}."));
        return (row, None);
    }
    let rules = (row.rule != "withdrawn").then_some(OptionRules {
        mandatory: row.rule == "mandatory",
        can_drop: row.rule == "droppable",
        open_to_new: row.open,
        capacity,
        group_id,
    });
    (row, rules)
}

pub async fn update(
    State(state): State<AppState>,
    agent: Agent,
    chrome: Chrome,
    Path((_, mef_id)): Path<(String, i64)>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let mef = mef(&state, &agent, mef_id).await?;
    let pool = state.db.pool();
    let current = offer::offered_options(pool, Some(mef.id)).await?;
    let groups = offer::groups(pool, Some(mef.id)).await?;
    let read: Vec<(OptionRow, Option<OptionRules>, &MefOptionRow)> = current
        .iter()
        .map(|o| {
            let (row, rules) = read_row(&form, o, &groups);
            (row, rules, o)
        })
        .collect();
    if read.iter().any(|(row, _, _)| row.error.is_some()) {
        let mut page = page(&state, &agent, chrome, mef).await?;
        page.options = read.into_iter().map(|(row, _, _)| row).collect();
        page.error = Some("Certaines options ne sont pas enregistrées : voyez les messages sous chacune. Rien n'a été modifié.".into());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let mut tx = state.db.begin().await?;
    for (row, rules, current) in &read {
        offer::set_option_words(
            &mut tx,
            agent.school_id,
            row.id,
            &row.label,
            &row.explanation,
        )
        .await?;
        match rules {
            Some(rules) => {
                let modality = if rules.can_drop { "F" } else { "O" };
                offer::offer_option(&mut tx, mef.id, current.option_id, modality, *rules).await?;
            }
            None => offer::withdraw_option(&mut tx, mef.id, current.option_id).await?,
        }
    }
    agent.audit(&mut *tx, "options.update", &mef.code).await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &state,
        &format!("{}/{}", base(&agent), mef.id),
        Flash::success(format!("Options de {} enregistrées.", mef.label)),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    agent: Agent,
    chrome: Chrome,
    Path((_, mef_id)): Path<(String, i64)>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let mef = mef(&state, &agent, mef_id).await?;
    let subjects = offer::subjects_not_offered(state.db.pool(), agent.scope(), mef.id).await?;
    let subject = field(&form, "subject", 20);
    let (code, label) = match subjects.iter().find(|(code, _)| *code == subject) {
        Some((code, label)) => (code.clone(), label.clone()),
        None => (field(&form, "code", 20), field(&form, "label", 200)),
    };
    let well_formed = !code.is_empty()
        && code.len() <= 10
        && code.chars().all(|c| c.is_ascii_alphanumeric())
        && !label.is_empty()
        && label.chars().count() <= 120;
    if !well_formed {
        let mut page = page(&state, &agent, chrome, mef).await?;
        page.add_error = Some(if subjects.is_empty() {
            "Saisissez le code matière (chiffres et lettres, 10 au plus) et le libellé de l'option."
                .into()
        } else {
            "Choisissez une matière de la nomenclature.".into()
        });
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let mut tx = state.db.begin().await?;
    let option_id = offer::ensure_option(&mut tx, agent.school_id, &code, &label, "").await?;
    offer::offer_option(&mut tx, mef.id, option_id, "F", OptionRules::default()).await?;
    agent
        .audit(&mut *tx, "options.add", &format!("{} {code}", mef.code))
        .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &state,
        &format!("{}/{}", base(&agent), mef.id),
        Flash::success(format!("{label} ajoutée : réglez sa règle ci-dessous.")),
    ))
}

pub async fn create_group(
    State(state): State<AppState>,
    agent: Agent,
    chrome: Chrome,
    Path((_, mef_id)): Path<(String, i64)>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let mef = mef(&state, &agent, mef_id).await?;
    let label = field(&form, "group_label", 200);
    let rule = GroupRule::from_code(&field(&form, "group_rule", 20));
    let (Some(rule), false, true) = (rule, label.is_empty(), label.chars().count() <= 80) else {
        let mut page = page(&state, &agent, chrome, mef).await?;
        page.group_label = label;
        page.group_error = Some(
            "Saisissez le nom du groupe (80 caractères au plus) et choisissez sa règle.".into(),
        );
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    };
    let mut tx = state.db.begin().await?;
    offer::create_group(&mut tx, mef.id, &label, rule).await?;
    agent.audit(&mut *tx, "options.group", &mef.code).await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &state,
        &format!("{}/{}", base(&agent), mef.id),
        Flash::success(format!(
            "Groupe « {label} » créé : rattachez-y ses options ci-dessous."
        )),
    ))
}
