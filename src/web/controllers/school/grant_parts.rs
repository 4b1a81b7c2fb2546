//! The number of parts of the pupils' grants (« Parts de bourse »), for the
//! direction and the secretariat: SIECLE's exports give a pupil's grant
//! (CODE_BOURSE) but not its number of parts (NB_PART), which the return file
//! must send with it (docs/SIECLE-RETURN.md, check 30).
//! - `GET …/retour-siecle/bourses`: every pupil of the current campaign whose
//!   import has a grant, with one input per grant, in one form;
//! - `POST …/retour-siecle/bourses`: all the figures at once; if any line is
//!   not a whole number from 0 to 99 (the schema's `entier2`), nothing is
//!   recorded and the page says why on each line (422).

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::Form;

use crate::app::AppState;
use crate::db::grant_parts::{self, GrantRow, PartsIn};
use crate::domain::grants;
use crate::domain::role::ManageSchool;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

/// One grant of a pupil: what the agent reads and the input.
pub struct Line {
    /// The input's id (`parts-3`).
    pub id: String,
    /// The input's name (`parts_{pupil}_{code}`).
    pub name: String,
    /// « Inès MARTIN ».
    pub pupil: String,
    /// The class (division), when the import gave one.
    pub division: String,
    /// The grant in words.
    pub grant: String,
    /// The figure shown in the input.
    pub value: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "school/grant_parts.html")]
pub struct GrantsPage {
    pub chrome: Chrome,
    pub uai: String,
    pub lines: Vec<Line>,
    /// The lines in error (none unless a form was refused).
    pub errors: usize,
}

fn field_name(row: &GrantRow) -> String {
    format!("parts_{}_{}", row.pupil_id, row.code)
}

fn lines(rows: &[GrantRow]) -> Vec<Line> {
    rows.iter()
        .enumerate()
        .map(|(i, r)| Line {
            id: format!("parts-{i}"),
            name: field_name(r),
            pupil: format!("{} {}", r.first_name.trim(), r.last_name.trim()),
            division: r.division.trim().to_owned(),
            grant: grants::in_words(&r.code),
            value: r.parts.map(|n| n.to_string()).unwrap_or_default(),
            error: None,
        })
        .collect()
}

fn base(uai: &str) -> String {
    format!("/etablissements/{uai}/retour-siecle")
}

pub async fn show(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
) -> Result<Response, AppError> {
    let rows = grant_parts::of_current_campaign(state.db.pool(), agent.scope()).await?;
    Ok(render(&GrantsPage {
        chrome,
        uai: agent.school_uai.clone(),
        lines: lines(&rows),
        errors: 0,
    })?
    .into_response())
}

pub async fn update(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let pool = state.db.pool();
    let rows = grant_parts::of_current_campaign(pool, agent.scope()).await?;
    let mut page = GrantsPage {
        chrome,
        uai: agent.school_uai.clone(),
        lines: lines(&rows),
        errors: 0,
    };
    // Only the grants the school holds now are read from the form; a line
    // the form lacks is left as it is.
    let mut to_record = Vec::new();
    for (row, line) in rows.iter().zip(page.lines.iter_mut()) {
        let Some(entered) = form.get(&line.name) else {
            continue;
        };
        line.value = entered.trim().chars().take(10).collect();
        match grants::parse_parts(entered) {
            Ok(parts) => to_record.push(PartsIn {
                pupil_id: row.pupil_id,
                code: row.code.clone(),
                parts,
            }),
            Err(why) => line.error = Some(why.to_owned()),
        }
    }
    page.errors = page.lines.iter().filter(|l| l.error.is_some()).count();
    if page.errors > 0 {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let mut tx = state.db.begin().await?;
    let changed = grant_parts::record(&mut tx, agent.scope(), agent.agent_id, &to_record).await?;
    if changed > 0 {
        agent
            .audit(
                &mut *tx,
                "grant_parts_updated",
                &format!("grants:{changed}"),
            )
            .await?;
    }
    tx.commit().await?;
    Ok(redirect_with_flash(
        &state,
        &base(&agent.school_uai),
        Flash::success("Parts de bourse enregistrées."),
    ))
}
