//! `GET|POST /etablissements/{uai}/campagne/mefs`: where each MEF goes next
//! year (a MEF, or the end of collège), proposed from the nomenclature
//! (`POST …/mefs/propositions`, `domain::mef_succession`) and editable;
//! `GET|POST …/campagne/redoublants`: the pupils who stay in their level.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{Fields, base};
use crate::app::AppState;
use crate::db::setup::{self, NextMef};
use crate::domain::mef_succession::{self, Mef};
use crate::domain::role::ManageSchool;
use crate::domain::words;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct MefLine {
    pub id: i64,
    pub label: String,
    pub code: String,
    pub pupils: i64,
    pub to_set: bool,
    pub proposal: String,
    pub choices: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "school/campaign/mefs.html")]
pub struct MefsPage {
    pub chrome: Chrome,
    pub uai: String,
    pub mefs: Vec<MefLine>,
    pub to_set: usize,
}

pub async fn show(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
) -> Result<Response, AppError> {
    let rows = setup::mefs(state.db.pool(), agent.school_id).await?;
    let all: Vec<Mef> = rows
        .iter()
        .map(|m| Mef {
            id: m.id,
            code: m.code.clone(),
            label: m.label.clone(),
        })
        .collect();
    let label_of = |id: i64| {
        rows.iter()
            .find(|m| m.id == id)
            .map(|m| m.label.clone())
            .unwrap_or_default()
    };
    let mefs: Vec<MefLine> = rows
        .iter()
        .zip(&all)
        .map(|(row, mef)| {
            let proposal = match mef_succession::propose(mef, &all) {
                Some(id) => label_of(id),
                None if mef_succession::is_last_level(&mef.code) => "Fin du collège".into(),
                None => String::new(),
            };
            let mut choices = vec![
                Choice {
                    value: String::new(),
                    label: "À choisir".into(),
                    selected: row.to_set(),
                },
                Choice {
                    value: "fin".into(),
                    label: "Fin du collège (orientation)".into(),
                    selected: row.ends_college,
                },
            ];
            choices.extend(rows.iter().filter(|m| m.id != row.id).map(|m| Choice {
                value: m.id.to_string(),
                label: m.label.clone(),
                selected: row.next_mef_id == Some(m.id),
            }));
            MefLine {
                id: row.id,
                label: row.label.clone(),
                code: row.code.clone(),
                pupils: row.pupils,
                to_set: row.to_set(),
                proposal,
                choices,
            }
        })
        .collect();
    Ok(render(&MefsPage {
        chrome,
        uai: agent.school_uai.clone(),
        to_set: mefs.iter().filter(|m| m.to_set).count(),
        mefs,
    })?
    .into_response())
}

pub async fn update(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    let mut changed = 0;
    for (name, value) in &form {
        let Some(mef_id) = name.strip_prefix("next_").and_then(|id| id.parse().ok()) else {
            continue;
        };
        let next = match value.as_str() {
            "" => NextMef::Unset,
            "fin" => NextMef::EndOfCollege,
            id => match id.parse() {
                Ok(id) => NextMef::Mef(id),
                Err(_) => continue,
            },
        };
        if setup::set_next_mef(&mut *tx, agent.school_id, mef_id, next).await? {
            changed += 1;
        }
    }
    agent
        .audit(
            &mut *tx,
            "mef_succession_updated",
            &format!("mefs:{changed}"),
        )
        .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &state,
        &format!("{}/mefs", base(&agent)),
        Flash::success("MEF suivants enregistrés."),
    ))
}

pub async fn apply_proposals(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    let set = setup::apply_proposed_succession(&mut tx, agent.school_id).await?;
    agent
        .audit(&mut *tx, "mef_succession_proposed", &format!("mefs:{set}"))
        .await?;
    tx.commit().await?;
    let message = match set {
        0 => {
            "Aucune proposition à appliquer : chaque MEF a déjà sa suite, ou n'en a pas de connue."
                .to_owned()
        }
        1 => "1 MEF a reçu la suite proposée.".to_owned(),
        n => format!("{n} MEF ont reçu la suite proposée."),
    };
    Ok(redirect_with_flash(
        &state,
        &format!("{}/mefs", base(&agent)),
        Flash::success(message),
    ))
}

pub struct RepeaterLine {
    pub dossier_id: i64,
    pub name: String,
    pub division: String,
    pub mef: String,
    pub repeating: bool,
    /// Next year's track an agent chose in the dossier, in words (it wins
    /// over the mark): « Formation choisie dans le dossier : 4e ».
    pub chosen: Option<String>,
}

#[derive(Template)]
#[template(path = "school/campaign/repeaters.html")]
pub struct RepeatersPage {
    pub chrome: Chrome,
    pub uai: String,
    pub pupils: Vec<RepeaterLine>,
}

pub async fn show_repeaters(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
) -> Result<Response, AppError> {
    let rows = setup::repeaters(state.db.pool(), agent.scope()).await?;
    Ok(render(&RepeatersPage {
        chrome,
        uai: agent.school_uai.clone(),
        pupils: rows
            .into_iter()
            .map(|r| RepeaterLine {
                dossier_id: r.dossier_id,
                name: format!("{} {}", r.last_name, r.first_name),
                division: r.division,
                mef: r.mef_label.unwrap_or_else(|| "Sans MEF".into()),
                repeating: r.repeating,
                chosen: r.chosen_label.map(|label| {
                    let level = words::class_level(&label);
                    if r.chosen_is_this_year.is_some_and(|f| f.0) {
                        format!("Formation choisie dans le dossier : {level} (redoublement)")
                    } else {
                        format!(
                            "Formation choisie dans le dossier : {level} (changement de formation)"
                        )
                    }
                }),
            })
            .collect(),
    })?
    .into_response())
}

pub async fn update_repeaters(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let repeating = Fields(form).ids("repeating");
    let mut tx = state.db.begin().await?;
    setup::set_repeaters(&mut tx, agent.scope(), &repeating).await?;
    agent
        .audit(
            &mut *tx,
            "repeaters_updated",
            &format!("pupils:{}", repeating.len()),
        )
        .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &state,
        &format!("{}/redoublants", base(&agent)),
        Flash::success(match repeating.len() {
            0 => "Aucun élève ne redouble.".to_owned(),
            1 => "1 élève redouble : sa famille verra le même niveau l'an prochain.".to_owned(),
            n => format!(
                "{n} élèves redoublent : leurs familles verront le même niveau l'an prochain."
            ),
        }),
    ))
}
