//! `…/pieces`: one upload per expected document (several files per piece),
//! checked from their content, streamed to the documents store, within the
//! dossier's quotas (`domain::limits`); `…/fichiers/{upload_id}/retirer`: a
//! guardian removes a file they sent, while the dossier may change.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};

use super::{FamilyDossier, Stepper};
use crate::app::AppState;
use crate::db::{campaigns, family, setup, uploads};
use crate::documents::quota::{self, NewUpload};
use crate::documents::{DocumentError, heic, pdf_scan};
use crate::domain::journey::Step;
use crate::domain::limits::{MAX_FILES_PER_REQUEST, Quota};
use crate::domain::upload::{self, DocumentKind, Refusal, Scanner};
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

pub use crate::dossier::diff::OTHERS_PIECE;

pub struct UploadLine {
    pub id: i64,
    /// The file's name, or [`OTHERS_PIECE`].
    pub name: String,
    pub status_label: &'static str,
    pub refused: bool,
    /// Sent by this guardian (a refused file of theirs is theirs to replace).
    pub mine: bool,
    pub reason: String,
}

pub struct PieceLine {
    pub id: i64,
    pub label: String,
    pub explanation: String,
    pub mandatory: bool,
    pub uploads: Vec<UploadLine>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "family/pieces.html")]
pub struct PiecesPage {
    pub chrome: Chrome,
    pub stepper: Stepper,
    pub action: String,
    /// Where a file's removal is posted: `{remove_action}/{upload_id}/retirer`.
    pub remove_action: String,
    pub pieces: Vec<PieceLine>,
    pub max_bytes: u64,
    pub max_label: String,
    pub error: Option<&'static str>,
}

impl PiecesPage {
    pub fn max_files(&self) -> i64 {
        crate::domain::limits::MAX_FILES_PER_PIECE
    }
}

async fn pieces(state: &AppState, dossier: &FamilyDossier) -> Result<Vec<PieceLine>, AppError> {
    // Only the pieces whose conditions hold for this dossier.
    let expected = {
        let mut conn = state.db.pool().acquire().await?;
        setup::documents_asked(
            &mut conn,
            dossier.dossier.school_id,
            dossier.dossier.dossier_id,
        )
        .await?
    };
    let uploads = family::uploads_seen_by(
        state.db.pool(),
        dossier.dossier.dossier_id,
        dossier.guardian_id,
    )
    .await?;
    Ok(expected
        .into_iter()
        .map(|expected| PieceLine {
            id: expected.id,
            label: expected.label,
            explanation: expected.explanation,
            mandatory: expected.mandatory,
            uploads: uploads
                .iter()
                .filter(|u| u.expected_document_id == expected.id)
                .map(|u| UploadLine {
                    id: u.id,
                    name: u
                        .original_name
                        .clone()
                        .unwrap_or_else(|| OTHERS_PIECE.into()),
                    status_label: match u.status.as_str() {
                        "accepted" => "acceptée",
                        "refused" => "refusée",
                        _ => "envoyée",
                    },
                    refused: u.status == "refused",
                    mine: u.is_mine(),
                    reason: u.refusal_reason.clone(),
                })
                .collect(),
            error: None,
        })
        .collect())
}

fn page(
    state: &AppState,
    chrome: Chrome,
    dossier: &FamilyDossier,
    pieces: Vec<PieceLine>,
    error: Option<&'static str>,
) -> PiecesPage {
    let max = state.settings.upload_max_bytes;
    PiecesPage {
        chrome,
        stepper: Stepper::new(dossier, Step::Pieces),
        action: dossier.url(Step::Pieces),
        remove_action: format!("/famille/dossiers/{}/fichiers", dossier.dossier.dossier_id),
        pieces,
        max_bytes: max,
        max_label: format!("{} Mo", max / (1024 * 1024)),
        error,
    }
}

pub async fn show_pieces(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
) -> Result<Response, AppError> {
    if let Some(redirect) = dossier.redirect_for(Step::Pieces) {
        return Ok(redirect.into_response());
    }
    let pieces = pieces(&state, &dossier).await?;
    render(&page(&state, chrome, &dossier, pieces, None)).map(IntoResponse::into_response)
}

/// `POST …/pieces`: goes on, once every mandatory piece has a file that was
/// not refused.
pub async fn update_pieces(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
) -> Result<Response, AppError> {
    dossier.ensure_editable()?;
    let pieces = pieces(&state, &dossier).await?;
    let missing = pieces
        .iter()
        .any(|p| p.mandatory && !p.uploads.iter().any(|u| !u.refused));
    if missing {
        let page = page(
            &state,
            chrome,
            &dossier,
            pieces,
            Some("Il manque une pièce obligatoire (marquée d'un astérisque)."),
        );
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    dossier.complete(&state, Step::Pieces).await
}

/// `POST …/pieces/{document_id}`: receives the files of one piece.
pub async fn create_upload(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    chrome: Chrome,
    Path((_dossier_id, document_id)): Path<(i64, i64)>,
    headers: axum::http::HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    dossier.ensure_editable()?;
    let Received { stored, refusal } =
        receive(&state, &dossier, document_id, &headers, &mut multipart).await?;
    if let Some(message) = refusal {
        let mut pieces = pieces(&state, &dossier).await?;
        if let Some(piece) = pieces.iter_mut().find(|p| p.id == document_id) {
            piece.error = Some(message);
        }
        let status = if stored == 0 {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        return Ok((
            status,
            render(&page(&state, chrome, &dossier, pieces, None))?,
        )
            .into_response());
    }
    Ok(Redirect::to(&format!(
        "{}#piece-{document_id}",
        dossier.url(Step::Pieces)
    ))
    .into_response())
}

/// `POST …/fichiers/{upload_id}/retirer`: removes a file this guardian sent
/// (another guardian's is "not found"), from the database and the documents
/// store, while the family may still change the dossier.
pub async fn delete_upload(
    State(state): State<AppState>,
    dossier: FamilyDossier,
    Path((_dossier_id, upload_id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    dossier.ensure_editable()?;
    let mut tx = state.db.begin().await?;
    let removed = uploads::delete_own(
        &mut *tx,
        dossier.dossier.dossier_id,
        dossier.guardian_id,
        upload_id,
    )
    .await?
    .ok_or(AppError::NotFound)?;
    dossier
        .audit(
            &mut *tx,
            "upload_removed",
            &format!("upload:{upload_id} dossier:{}", dossier.dossier.dossier_id),
        )
        .await?;
    tx.commit().await?;
    // Once the row is gone nobody can reach the objects; delete them now.
    state.documents.delete(&removed.storage_key).await?;
    if let Some(source) = &removed.source_key {
        state.documents.delete(source).await?;
    }
    Ok(redirect_with_flash(
        &state,
        &format!(
            "{}#piece-{}",
            dossier.url(Step::Pieces),
            removed.expected_document_id
        ),
        Flash::success("Fichier retiré."),
    ))
}

/// What a request of files for one piece gave: how many were stored, and
/// why one was refused (the last reason), if one was.
pub struct Received {
    pub stored: usize,
    pub refusal: Option<String>,
}

/// Receives the files of the piece `document_id` of the dossier: each checked
/// from its content, streamed to the documents store and recorded (status
/// `submitted`: in the school's queue), within the quotas.
pub async fn receive(
    state: &AppState,
    dossier: &FamilyDossier,
    document_id: i64,
    headers: &axum::http::HeaderMap,
    multipart: &mut Multipart,
) -> Result<Received, AppError> {
    // A request announcing more than the limit is refused before reading it.
    let announced = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|len| len > state.settings.upload_max_bytes + 1024 * 1024) {
        return Err(AppError::PayloadTooLarge);
    }
    if !campaigns::expects_document(state.db.pool(), dossier.dossier.school_id, document_id).await?
    {
        return Err(AppError::NotFound);
    }
    let limit = state.settings.upload_max_bytes;
    let dossier_id = dossier.dossier.dossier_id;
    let mut stored = 0;
    let mut received = 0;
    let mut refusal: Option<String> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| AppError::PayloadTooLarge)?
    {
        if field.name() != Some("files") {
            continue;
        }
        if received == MAX_FILES_PER_REQUEST {
            refusal = Some(Quota::TooManyInRequest.to_string());
            // Read what is left (within the body limit) so that the browser
            // gets this page.
            while let Ok(Some(_)) = multipart.next_field().await {}
            break;
        }
        let original_name: String = field
            .file_name()
            .unwrap_or("document")
            .chars()
            .filter(|c| !c.is_control())
            .take(120)
            .collect();
        let mut stream = field.map_err(|e| std::io::Error::other(e.to_string()));
        // The first bytes decide the kind; the name and the browser's claim do not.
        let mut head = Vec::new();
        while head.len() < upload::SNIFF_LEN {
            match stream.try_next().await {
                Ok(Some(chunk)) => head.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(_) => return Err(AppError::PayloadTooLarge),
            }
        }
        if head.is_empty() && original_name == "document" {
            continue; // no file chosen
        }
        received += 1;
        // A full piece or dossier is refused before the file is stored (the
        // insert below checks again, for requests running at once).
        if let Err(full) = quota::usage(state.db.pool(), dossier_id, document_id)
            .await?
            .admits(0)
        {
            refusal = Some(format!("« {original_name} » : {full}"));
            while let Ok(Some(_)) = stream.try_next().await {}
            continue;
        }
        let kind = match upload::sniff(&head) {
            Ok(kind) => kind,
            Err(refused) => {
                refusal = Some(format!("« {original_name} » : {refused}"));
                while let Ok(Some(_)) = stream.try_next().await {}
                continue;
            }
        };
        let key = format!(
            "dossiers/{}/{}/{}.{}",
            dossier.dossier.dossier_id,
            document_id,
            uuid::Uuid::new_v4().simple(),
            kind.extension()
        );
        let mut scanner = Scanner::new(kind);
        // A HEIC photo is also kept in memory (it is within the upload
        // limit) to be converted once stored.
        let convert = kind == DocumentKind::Heic && heic::AVAILABLE;
        let mut copy = Vec::new();
        let body = futures::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(head)) })
            .chain(stream);
        let body = body.inspect_ok(|chunk| {
            scanner.feed(chunk);
            if convert {
                copy.extend_from_slice(chunk);
            }
        });
        let size = match state.documents.put_stream(&key, body, limit).await {
            Ok(size) => size,
            Err(DocumentError::TooLarge { .. }) => {
                refusal = Some(format!(
                    "« {original_name} » est trop volumineux : {} Mo au plus par fichier.",
                    limit / (1024 * 1024)
                ));
                // Read what is left of the request (at most the body limit), so
                // that the browser finishes sending and gets this page instead
                // of a broken connection.
                while let Ok(Some(_)) = multipart.next_field().await {}
                break;
            }
            Err(DocumentError::Stream(_)) => return Err(AppError::PayloadTooLarge),
            Err(other) => return Err(other.into()),
        };
        let mut verdict = scanner.finish();
        if verdict.is_ok() && kind == DocumentKind::Pdf {
            verdict = pdf_scan::check(state.documents.get_bytes(&key, limit)).await?;
        }
        if let Err(refused) = verdict {
            state.documents.delete(&key).await?;
            dossier
                .audit(state.db.pool(), "upload_refused", &format!("{refused:?}"))
                .await?;
            refusal = Some(format!("« {original_name} » : {refused}"));
            continue;
        }
        // What agents will see: the file itself, or its JPEG conversion with
        // the original kept beside it.
        let (shown_key, shown_type, shown_size, source_key) = if convert {
            match heic::convert(copy).await {
                Ok(jpeg) => {
                    let jpeg_key = format!("{}.jpg", key.trim_end_matches(".heic"));
                    let jpeg_size = jpeg.len() as u64;
                    state
                        .documents
                        .put_bytes(&jpeg_key, Bytes::from(jpeg))
                        .await?;
                    (jpeg_key, "image/jpeg", jpeg_size, Some(key))
                }
                Err(err) => {
                    state.documents.delete(&key).await?;
                    dossier
                        .audit(state.db.pool(), "upload_refused", &format!("heic: {err}"))
                        .await?;
                    let refused = match err {
                        heic::ConvertError::TooLarge { .. } => Refusal::TooManyPixels,
                        _ => Refusal::Corrupt,
                    };
                    refusal = Some(format!("« {original_name} » : {refused}"));
                    continue;
                }
            }
        } else {
            (key, kind.mime(), size, None)
        };
        let recorded = quota::insert_upload(
            &state.db,
            &NewUpload {
                dossier_id,
                piece_id: document_id,
                guardian_id: dossier.guardian_id,
                storage_key: &shown_key,
                original_name: &original_name,
                content_type: shown_type,
                size_bytes: shown_size as i64,
                source_key: source_key.as_deref(),
            },
        )
        .await?;
        if let Err(full) = recorded {
            state.documents.delete(&shown_key).await?;
            if let Some(source) = &source_key {
                state.documents.delete(source).await?;
            }
            refusal = Some(format!("« {original_name} » : {full}"));
            continue;
        }
        stored += 1;
    }
    Ok(Received { stored, refusal })
}
