//! The return file to SIECLE, from the school's screen (issue 13,
//! docs/SIECLE-RETURN.md), for the direction and the secretariat:
//! - `GET …/retour-siecle`: the dry run (what the file will carry, every
//!   problem per pupil or person, blocking first, each linked to its
//!   dossiers), one checkbox per warning, the download button only without a
//!   blocking problem, and the history of files;
//! - `POST …/retour-siecle`: the file, through the same
//!   `siecle_return::produce` as the command line, after the dry run is run
//!   again on the server: refused (nothing recorded, no NUM_ENVOI used) if a
//!   blocking problem appeared, a warning is not acknowledged (each by its
//!   stable key) or the dossiers changed; else kept in the documents store
//!   and answered as the zip;
//! - `GET …/retour-siecle/envois/{send_id}`: a file of the history again;
//! - `GET|POST …/retour-siecle/annee`: the first and last days of classes;
//! - `GET|POST …/retour-siecle/bourses`: the grants' numbers of parts
//!   (`grant_parts.rs`).

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::Form;
use bytes::Bytes;
use dossiersco_siecle::return_file::{Problem, Subject};
use serde::Deserialize;

use crate::app::AppState;
use crate::db::siecle_return::{self as rows, SchoolRow};
use crate::db::{self, siecle_history};
use crate::domain::role::ManageSchool;
use crate::domain::{classes_dates, words};
use crate::siecle_return::{
    self as file, Assembled, Request, assemble, dossiers_key, produce_checked, warning_key,
};
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

/// A return file is a few hundred kilobytes; the store's copy is read back
/// with this bound.
const ZIP_LIMIT: u64 = 64 * 1024 * 1024;

fn base<P>(agent: &CurrentAgent<P>) -> String {
    format!("/etablissements/{}/retour-siecle", agent.school_uai)
}

/// A dossier linked from the page: id and pupil's name.
pub struct DossierLink {
    pub id: i64,
    pub name: String,
}

/// One problem, in French.
pub struct ProblemRow {
    pub blocking: bool,
    pub field: &'static str,
    pub message: String,
    /// The warning's stable key (the checkbox's value); empty for a blocking one.
    pub key: String,
    /// A grant without its number of parts (check 30): linked to the screen
    /// where the school gives it.
    pub grant_parts: bool,
    /// A new pupil without a provenance (check 38): linked to the
    /// « Provenance » form of their dossier.
    pub provenance: bool,
}

/// The problems of one pupil, person, or of the file.
pub struct ProblemGroup {
    /// « Élève Inès MARTIN », « Responsable … », « Fichier ».
    pub title: String,
    pub dossiers: Vec<DossierLink>,
    pub blocking: usize,
    pub problems: Vec<ProblemRow>,
}

/// What the file will carry.
pub struct Summary {
    pub file_name: String,
    pub send_number: u32,
    pub pupils: usize,
    pub new_pupils: usize,
    pub leaving: usize,
    pub persons: usize,
    pub dossiers: Vec<DossierLink>,
}

/// A file of the history.
pub struct HistoryRow {
    pub id: i64,
    pub number: i64,
    pub generated_at: String,
    pub who: String,
    pub file_name: String,
    pub dossiers: Vec<DossierLink>,
    pub dossier_count: i64,
    pub downloadable: bool,
}

#[derive(Template)]
#[template(path = "school/siecle_return.html")]
pub struct ReturnPage {
    pub chrome: Chrome,
    pub uai: String,
    /// « 2025-2026 », the file's school year, when known.
    pub year_label: Option<String>,
    /// The first and last days of classes, in words.
    pub dates: Option<(String, String)>,
    /// Why no file can be made at all, in French.
    pub missing: Option<String>,
    pub dates_missing: bool,
    pub summary: Option<Summary>,
    pub groups: Vec<ProblemGroup>,
    pub blocking: usize,
    pub warnings: usize,
    pub dossiers_key: String,
    /// Why the download was refused, in French.
    pub error: Option<String>,
    pub files: Vec<HistoryRow>,
}

/// The pupils' names of the dossiers, for links.
fn names(assembled: &Assembled) -> HashMap<i64, String> {
    let mut out = HashMap::new();
    for p in &assembled.file.pupils {
        if let Some(&dossier) = assembled.pupil_dossiers.get(&p.private_id) {
            out.insert(dossier, p.display_name());
        }
    }
    out
}

fn links(ids: &[i64], names: &HashMap<i64, String>) -> Vec<DossierLink> {
    ids.iter()
        .map(|&id| DossierLink {
            id,
            name: names
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("Dossier n° {id}")),
        })
        .collect()
}

/// The problems per pupil, person or file: the groups with a blocking
/// problem first, and blocking problems first within each group; a warning
/// listed twice shows once (one checkbox per key).
fn groups(assembled: &Assembled, problems: &[Problem]) -> Vec<ProblemGroup> {
    let names = names(assembled);
    let dry = dossiersco_siecle::return_file::DryRun {
        problems: problems.to_vec(),
    };
    let mut seen = HashSet::new();
    let mut out: Vec<ProblemGroup> = dry
        .by_subject()
        .into_iter()
        .map(|(subject, problems)| {
            let mut rows: Vec<ProblemRow> = problems
                .into_iter()
                .map(|p| ProblemRow {
                    blocking: p.is_blocking(),
                    field: p.field,
                    message: p.message.clone(),
                    grant_parts: p.check == 30,
                    provenance: p.check == 38 && p.field == "la provenance",
                    key: if p.is_blocking() {
                        String::new()
                    } else {
                        warning_key(p)
                    },
                })
                .filter(|r| r.blocking || seen.insert(r.key.clone()))
                .collect();
            rows.sort_by_key(|r| !r.blocking);
            let dossiers = assembled.dossiers_of(subject);
            let mut names = names.clone();
            if let Subject::Pupil { name, .. } = subject {
                for id in &dossiers {
                    names.entry(*id).or_insert_with(|| name.clone());
                }
            }
            ProblemGroup {
                title: subject.to_string(),
                dossiers: links(&dossiers, &names),
                blocking: rows.iter().filter(|r| r.blocking).count(),
                problems: rows,
            }
        })
        .filter(|g| !g.problems.is_empty())
        .collect();
    out.sort_by_key(|g| g.blocking == 0);
    out
}

async fn history(
    state: &AppState,
    agent: &CurrentAgent<ManageSchool>,
) -> Result<Vec<HistoryRow>, AppError> {
    let pool = state.db.pool();
    let mut dossiers: HashMap<i64, Vec<DossierLink>> = HashMap::new();
    for d in siecle_history::file_dossiers(pool, agent.scope()).await? {
        dossiers.entry(d.send_id).or_default().push(DossierLink {
            id: d.dossier_id,
            name: format!("{} {}", d.first_name, d.last_name),
        });
    }
    Ok(siecle_history::files(pool, agent.scope())
        .await?
        .into_iter()
        .map(|f| HistoryRow {
            id: f.id,
            number: f.send_number,
            generated_at: generated_in_words(&f.generated_at),
            who: if f.from_cli.0 {
                "ligne de commande".to_owned()
            } else {
                f.agent_name.unwrap_or_else(|| "un agent parti".to_owned())
            },
            file_name: format!("{}.zip", f.file_name.trim_end_matches(".zip")),
            dossiers: dossiers.remove(&f.id).unwrap_or_default(),
            dossier_count: f.dossier_count,
            downloadable: f.document_key.is_some(),
        })
        .collect())
}

/// `2026-06-12 14:05:09` → « 12/06/2026 à 14:05 ».
fn generated_in_words(at: &str) -> String {
    chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S")
        .map(|t| t.format("%d/%m/%Y à %H:%M").to_string())
        .unwrap_or_else(|_| at.to_owned())
}

fn now() -> Result<(i64, chrono::NaiveDateTime), AppError> {
    let now = db::now_ms();
    let local = words::paris_local(now)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("clock out of range")))?;
    Ok((now, local))
}

/// The page: the dry run as of now, and the history.
async fn page(
    state: &AppState,
    agent: &CurrentAgent<ManageSchool>,
    chrome: Chrome,
    error: Option<String>,
) -> Result<ReturnPage, AppError> {
    let pool = state.db.pool();
    let school = rows::school(pool, agent.scope()).await?;
    let files = history(state, agent).await?;
    let mut page = ReturnPage {
        chrome,
        uai: agent.school_uai.clone(),
        year_label: school
            .as_ref()
            .map(|s| classes_dates::year_label(s.school_year)),
        dates: school.as_ref().and_then(|s| {
            Some((
                words::french_date(s.classes_start_on.as_deref()?),
                words::french_date(s.classes_end_on.as_deref()?),
            ))
        }),
        missing: None,
        dates_missing: false,
        summary: None,
        groups: Vec::new(),
        blocking: 0,
        warnings: 0,
        dossiers_key: String::new(),
        error,
        files,
    };
    page.dates_missing = page.dates.is_none();
    let (_, generated_at) = now()?;
    let assembled = match assemble(pool, agent.scope(), generated_at).await {
        Ok(a) => a,
        Err(file::Error::Missing(why)) => {
            page.missing = Some(sentence(&why));
            return Ok(page);
        }
        Err(file::Error::Db(e)) => return Err(e.into()),
    };
    let dry = assembled.dry_run();
    page.blocking = dry.blocking().count();
    page.groups = groups(&assembled, &dry.problems);
    page.warnings = page
        .groups
        .iter()
        .flat_map(|g| &g.problems)
        .filter(|p| !p.blocking)
        .count();
    page.dossiers_key = dossiers_key(&assembled.dossiers);
    let names = names(&assembled);
    let f = &assembled.file;
    page.summary = Some(Summary {
        file_name: format!("{}.zip", f.file_name()),
        send_number: f.send_number,
        pupils: f.pupils.len(),
        new_pupils: f.pupils.iter().filter(|p| p.siecle_id.is_none()).count(),
        leaving: f.pupils.iter().filter(|p| p.leaving.is_some()).count(),
        persons: f.persons.len(),
        dossiers: links(&assembled.dossiers, &names),
    });
    Ok(page)
}

/// « les dates … » → « Les dates ….»
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let first: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    let rest: String = chars.collect();
    let end = if rest.ends_with('.') { "" } else { "." };
    format!("{first}{rest}{end}")
}

pub async fn show(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
) -> Result<Response, AppError> {
    Ok(render(&page(&state, &agent, chrome, None).await?)?.into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct DownloadForm {
    /// The key of each warning the agent acknowledged.
    #[serde(default)]
    avertissement: Vec<String>,
    /// The dossiers of the dry run the agent read ([`dossiers_key`]).
    #[serde(default)]
    dossiers: String,
}

/// Why the file the agent asks for is refused, from the dry run it is made
/// from; `None` when every warning was acknowledged and the dossiers are those
/// the agent read.
fn refusal(
    form: &DownloadForm,
    assembled: &Assembled,
    dry: &dossiersco_siecle::return_file::DryRun,
) -> Option<String> {
    let acknowledged: HashSet<&str> = form.avertissement.iter().map(String::as_str).collect();
    let missing = dry
        .warnings()
        .map(warning_key)
        .collect::<HashSet<_>>()
        .into_iter()
        .filter(|k| !acknowledged.contains(k.as_str()))
        .count();
    if missing > 0 {
        return Some(format!(
            "Le fichier n'est pas produit : {missing} avertissement(s) ne sont pas cochés. Lisez chaque avertissement et cochez-le pour confirmer."
        ));
    }
    if form.dossiers != dossiers_key(&assembled.dossiers) {
        return Some(
            "Le fichier n'est pas produit : des dossiers ont changé depuis la simulation. Relisez la simulation ci-dessous avant de télécharger."
                .into(),
        );
    }
    None
}

pub async fn download(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Form(form): Form<DownloadForm>,
) -> Result<Response, AppError> {
    let pool = state.db.pool();
    let (now, generated_at) = now()?;
    let outcome = produce_checked(
        pool,
        agent.scope(),
        Request {
            dry_run: false,
            // Each warning is checked below, by its key.
            accept_warnings: true,
            agent_id: Some(agent.agent_id),
            from_cli: false,
            generated_at,
            now: now / 1000,
        },
        |assembled, dry| refusal(&form, assembled, dry),
    )
    .await;
    let refused = |why: String| async {
        let page = page(&state, &agent, chrome.clone(), Some(why)).await?;
        Ok::<_, AppError>((StatusCode::CONFLICT, render(&page)?).into_response())
    };
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(file::Error::Missing(why)) => {
            return refused(format!("Le fichier n'est pas produit : {why}.")).await;
        }
        Err(file::Error::Db(e)) if db::is_unique_violation(&e) => {
            return refused(
                "Le fichier n'est pas produit : un autre fichier vient d'être produit pour l'établissement. Relisez la simulation ci-dessous."
                    .into(),
            )
            .await;
        }
        Err(file::Error::Db(e)) => return Err(e.into()),
    };
    let (Some((name, bytes)), Some(send_id)) = (outcome.zip, outcome.send_id) else {
        let why = outcome
            .refused
            .map(|r| sentence(&r))
            .unwrap_or_else(|| "Le fichier n'est pas produit.".into());
        return refused(why).await;
    };
    // Kept for the history; the agent gets the file even if the store fails.
    let key = format!(
        "siecle/{}/{send_id}-{}.zip",
        agent.school_id,
        uuid::Uuid::new_v4().simple()
    );
    match state
        .documents
        .put_bytes(&key, Bytes::from(bytes.clone()))
        .await
    {
        Ok(()) => {
            siecle_history::set_document_key(pool, agent.scope(), send_id, &key).await?;
        }
        Err(err) => tracing::error!(error = %err, "return file not kept in the documents store"),
    }
    agent
        .audit(
            pool,
            "siecle_file_downloaded",
            &format!("siecle_send:{send_id}"),
        )
        .await?;
    Ok(zip_response(&name, bytes))
}

fn zip_response(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// `GET …/retour-siecle/envois/{send_id}`: a file of the history, byte for
/// byte as first downloaded.
pub async fn download_again(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    Path((_uai, send_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let pool = state.db.pool();
    let file = siecle_history::file(pool, agent.scope(), send_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let not_kept = || {
        redirect_with_flash(
            &state,
            &format!("{}#historique", base(&agent)),
            Flash::error(format!(
                "Le fichier n° {} n'a pas été conservé (produit en ligne de commande, ou le stockage a échoué) : il ne peut pas être téléchargé de nouveau.",
                file.send_number
            )),
        )
    };
    let Some(key) = file.document_key.clone() else {
        return Ok(not_kept());
    };
    let bytes = match state.documents.get_bytes(&key, ZIP_LIMIT).await {
        Ok(bytes) => bytes,
        Err(crate::documents::DocumentError::NotFound) => return Ok(not_kept()),
        Err(err) => return Err(err.into()),
    };
    agent
        .audit(
            pool,
            "siecle_file_downloaded_again",
            &format!("siecle_send:{send_id}"),
        )
        .await?;
    let name = format!("{}.zip", file.file_name.trim_end_matches(".zip"));
    Ok(zip_response(&name, bytes))
}

#[derive(Template)]
#[template(path = "school/siecle_return_dates.html")]
pub struct DatesPage {
    pub chrome: Chrome,
    pub uai: String,
    pub year_label: Option<String>,
    /// The bounds of the date inputs (`YYYY-MM-DD`).
    pub min: String,
    pub max: String,
    pub start: String,
    pub end: String,
    pub error: Option<String>,
}

fn dates_page(chrome: Chrome, uai: &str, school: Option<&SchoolRow>) -> DatesPage {
    let year = school.map(|s| s.school_year);
    let bounds = year.and_then(classes_dates::bounds);
    DatesPage {
        chrome,
        uai: uai.to_owned(),
        year_label: year.map(classes_dates::year_label),
        min: bounds.map(|b| b.0.to_string()).unwrap_or_default(),
        max: bounds.map(|b| b.1.to_string()).unwrap_or_default(),
        start: school
            .and_then(|s| s.classes_start_on.clone())
            .unwrap_or_default(),
        end: school
            .and_then(|s| s.classes_end_on.clone())
            .unwrap_or_default(),
        error: None,
    }
}

pub async fn show_dates(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
) -> Result<Response, AppError> {
    let school = rows::school(state.db.pool(), agent.scope()).await?;
    Ok(render(&dates_page(chrome, &agent.school_uai, school.as_ref()))?.into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct DatesForm {
    #[serde(default)]
    classes_start_on: String,
    #[serde(default)]
    classes_end_on: String,
}

pub async fn update_dates(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Form(form): Form<DatesForm>,
) -> Result<Response, AppError> {
    let pool = state.db.pool();
    let school = rows::school(pool, agent.scope()).await?;
    let checked = match school.as_ref().map(|s| s.school_year) {
        None => Err(
            "L'établissement n'a pas de campagne en cours : importez d'abord les exports SIECLE."
                .to_owned(),
        ),
        Some(year) => classes_dates::check(&form.classes_start_on, &form.classes_end_on, year),
    };
    let (start, end) = match checked {
        Ok(dates) => dates,
        Err(error) => {
            let mut page = dates_page(chrome, &agent.school_uai, school.as_ref());
            page.start = form.classes_start_on.chars().take(10).collect();
            page.end = form.classes_end_on.chars().take(10).collect();
            page.error = Some(error);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
    };
    rows::set_classes_dates(pool, agent.scope(), &start.to_string(), &end.to_string()).await?;
    if let Some(s) = &school {
        agent
            .audit(
                pool,
                "classes_dates_updated",
                &format!("campaign:{}", s.campaign_id),
            )
            .await?;
    }
    Ok(redirect_with_flash(
        &state,
        &base(&agent),
        Flash::success("Dates de l'année scolaire enregistrées."),
    ))
}
