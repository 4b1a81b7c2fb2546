//! The pieces families are asked for: `GET|POST /etablissements/{uai}/
//! campagne/pieces` (the list, a new piece), `GET|POST …/pieces/{document_id}`
//! (change one), `POST …/pieces/{document_id}/retrait` (remove one no family
//! has sent a file for). Each piece may be asked only of new pupils, of
//! demi-pensionnaires, of separated guardians or of some MEFs
//! (`domain::piece_conditions`); the family's pieces step asks only the
//! pieces whose conditions hold.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Fields, base};
use crate::app::AppState;
use crate::db::setup::{self, DocumentSetup, Removal};
use crate::domain::piece_conditions::Conditions;
use crate::domain::role::ManageSchool;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

pub struct MefBox {
    pub id: i64,
    pub label: String,
    pub checked: bool,
}

/// The piece's form, as typed.
pub struct DocumentForm {
    pub action: String,
    pub label: String,
    pub explanation: String,
    pub mandatory: bool,
    pub only_new_pupils: bool,
    pub only_demi_pension: bool,
    pub only_separated: bool,
    pub mefs: Vec<MefBox>,
    pub error: Option<&'static str>,
}

pub struct DocumentLine {
    pub id: i64,
    pub label: String,
    pub mandatory: bool,
    pub conditions: String,
}

#[derive(Template)]
#[template(path = "school/campaign/documents.html")]
pub struct DocumentsPage {
    pub chrome: Chrome,
    pub uai: String,
    pub documents: Vec<DocumentLine>,
    pub form: DocumentForm,
}

#[derive(Template)]
#[template(path = "school/campaign/document.html")]
pub struct DocumentPage {
    pub chrome: Chrome,
    pub uai: String,
    pub id: i64,
    pub form: DocumentForm,
}

type MefLabels = Vec<(i64, String)>;

async fn mef_labels(state: &AppState, school_id: i64) -> Result<MefLabels, AppError> {
    Ok(setup::mefs(state.db.pool(), school_id)
        .await?
        .into_iter()
        .map(|m| (m.id, m.label))
        .collect())
}

fn form_of(action: String, doc: &DocumentSetup, mefs: &MefLabels) -> DocumentForm {
    DocumentForm {
        action,
        label: doc.label.clone(),
        explanation: doc.explanation.clone(),
        mandatory: doc.mandatory,
        only_new_pupils: doc.conditions.only_new_pupils,
        only_demi_pension: doc.conditions.only_demi_pension,
        only_separated: doc.conditions.only_separated,
        mefs: mefs
            .iter()
            .map(|(id, label)| MefBox {
                id: *id,
                label: label.clone(),
                checked: doc.conditions.mef_ids.contains(id),
            })
            .collect(),
        error: None,
    }
}

fn typed(fields: &Fields, id: i64) -> DocumentSetup {
    DocumentSetup {
        id,
        label: fields.text("label", 200),
        explanation: fields.text("explanation", 2000),
        mandatory: fields.has("mandatory"),
        conditions: Conditions {
            only_new_pupils: fields.has("only_new_pupils"),
            only_demi_pension: fields.has("only_demi_pension"),
            only_separated: fields.has("only_separated"),
            mef_ids: fields.ids("mef"),
        },
    }
}

const NO_LABEL: &str = "Saisissez le nom de la pièce.";

async fn documents_page(
    state: &AppState,
    agent: &CurrentAgent<ManageSchool>,
    chrome: Chrome,
    form: DocumentForm,
    mefs: &MefLabels,
) -> Result<DocumentsPage, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let documents = setup::documents(&mut conn, agent.school_id).await?;
    Ok(DocumentsPage {
        chrome,
        uai: agent.school_uai.clone(),
        documents: documents
            .into_iter()
            .map(|d| {
                let labels: Vec<String> = mefs
                    .iter()
                    .filter(|(id, _)| d.conditions.mef_ids.contains(id))
                    .map(|(_, l)| l.clone())
                    .collect();
                DocumentLine {
                    id: d.id,
                    conditions: d.conditions.describe(&labels),
                    label: d.label,
                    mandatory: d.mandatory,
                }
            })
            .collect(),
        form,
    })
}

pub async fn list(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
) -> Result<Response, AppError> {
    let mefs = mef_labels(&state, agent.school_id).await?;
    let form = form_of(
        format!("{}/pieces", base(&agent)),
        &DocumentSetup::default(),
        &mefs,
    );
    Ok(render(&documents_page(&state, &agent, chrome, form, &mefs).await?)?.into_response())
}

pub async fn create(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let doc = typed(&Fields(form), 0);
    let mefs = mef_labels(&state, agent.school_id).await?;
    if doc.label.is_empty() {
        let mut form = form_of(format!("{}/pieces", base(&agent)), &doc, &mefs);
        form.error = Some(NO_LABEL);
        let page = documents_page(&state, &agent, chrome, form, &mefs).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let mut tx = state.db.begin().await?;
    let id = setup::create_document(&mut tx, agent.school_id, &doc).await?;
    agent
        .audit(
            &mut *tx,
            "expected_document_created",
            &format!("expected_document:{id}"),
        )
        .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &state,
        &format!("{}/pieces", base(&agent)),
        Flash::success(format!("Pièce « {} » ajoutée.", doc.label)),
    ))
}

async fn find(
    state: &AppState,
    agent: &CurrentAgent<ManageSchool>,
    document_id: i64,
) -> Result<DocumentSetup, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    setup::documents(&mut conn, agent.school_id)
        .await?
        .into_iter()
        .find(|d| d.id == document_id)
        .ok_or(AppError::NotFound)
}

pub async fn show(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Path((_, document_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let doc = find(&state, &agent, document_id).await?;
    let mefs = mef_labels(&state, agent.school_id).await?;
    Ok(render(&DocumentPage {
        chrome,
        uai: agent.school_uai.clone(),
        id: document_id,
        form: form_of(
            format!("{}/pieces/{document_id}", base(&agent)),
            &doc,
            &mefs,
        ),
    })?
    .into_response())
}

pub async fn update(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Path((_, document_id)): Path<(String, i64)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    find(&state, &agent, document_id).await?;
    let doc = typed(&Fields(form), document_id);
    if doc.label.is_empty() {
        let mefs = mef_labels(&state, agent.school_id).await?;
        let mut form = form_of(
            format!("{}/pieces/{document_id}", base(&agent)),
            &doc,
            &mefs,
        );
        form.error = Some(NO_LABEL);
        let page = DocumentPage {
            chrome,
            uai: agent.school_uai.clone(),
            id: document_id,
            form,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let mut tx = state.db.begin().await?;
    if !setup::update_document(&mut tx, agent.school_id, &doc).await? {
        return Err(AppError::NotFound);
    }
    agent
        .audit(
            &mut *tx,
            "expected_document_updated",
            &format!("expected_document:{document_id}"),
        )
        .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &state,
        &format!("{}/pieces", base(&agent)),
        Flash::success(format!("Pièce « {} » enregistrée.", doc.label)),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    Path((_, document_id)): Path<(String, i64)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let doc = find(&state, &agent, document_id).await?;
    let back = format!("{}/pieces", base(&agent));
    if !Fields(form).has("confirm") {
        return Ok(redirect_with_flash(
            &state,
            &format!("{back}/{document_id}"),
            Flash::error("Cochez la case de confirmation pour retirer la pièce."),
        ));
    }
    let mut tx = state.db.begin().await?;
    let flash = match setup::delete_document(&mut tx, agent.school_id, document_id).await? {
        Removal::Removed => {
            agent
                .audit(
                    &mut *tx,
                    "expected_document_deleted",
                    &format!("expected_document:{document_id}"),
                )
                .await?;
            Flash::success(format!("Pièce « {} » retirée.", doc.label))
        }
        Removal::InUse(n) => Flash::error(format!(
            "La pièce « {} » est gardée : des familles ont déjà envoyé {n} fichier(s) pour elle. Rendez-la facultative si vous ne la demandez plus.",
            doc.label
        )),
        Removal::NotFound => return Err(AppError::NotFound),
    };
    tx.commit().await?;
    Ok(redirect_with_flash(&state, &back, flash))
}
