//! Files sent by families, as the school sees and decides on them; always
//! within one school; and a family's removal of its own file
//! ([`delete_own`]). (Their intake is `documents::quota`; what a guardian
//! sees is [`super::family::uploads_seen_by`].)

use super::SchoolScope;
use sqlx::{Any, Executor, FromRow};

/// A piece of a dossier as agents see it.
#[derive(Debug, Clone, FromRow)]
pub struct SchoolUpload {
    pub id: i64,
    /// The expected document's label.
    pub label: String,
    /// The file's name as sent.
    pub name: String,
    pub status: String,
    pub refusal_reason: String,
    pub content_type: String,
}

/// The files of a dossier of the school, in the order sent.
pub async fn list_in_school(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    dossier_id: i64,
) -> sqlx::Result<Vec<SchoolUpload>> {
    let school_id = scope.id();
    sqlx::query_as(
        "SELECT u.id, e.label, u.original_name AS name, u.status, u.refusal_reason, u.content_type
         FROM uploads u JOIN expected_documents e ON e.id = u.expected_document_id
         JOIN dossiers d ON d.id = u.dossier_id JOIN campaigns c ON c.id = d.campaign_id
         WHERE u.dossier_id = $1 AND c.school_id = $2 ORDER BY u.id",
    )
    .bind(dossier_id)
    .bind(school_id)
    .fetch_all(db)
    .await
}

/// Where a file is stored and how to hand it out.
#[derive(Debug, Clone, FromRow)]
pub struct StoredUpload {
    pub storage_key: String,
    pub original_name: String,
    pub content_type: String,
}

/// The file `upload_id` of a dossier of the school.
pub async fn find_in_school(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    dossier_id: i64,
    upload_id: i64,
) -> sqlx::Result<Option<StoredUpload>> {
    let school_id = scope.id();
    sqlx::query_as(
        "SELECT u.storage_key, u.original_name, u.content_type FROM uploads u
         JOIN dossiers d ON d.id = u.dossier_id JOIN campaigns c ON c.id = d.campaign_id
         WHERE u.id = $1 AND u.dossier_id = $2 AND c.school_id = $3",
    )
    .bind(upload_id)
    .bind(dossier_id)
    .bind(school_id)
    .fetch_optional(db)
    .await
}

/// The school's decision on a file (`accepted`, or `refused` with a reason);
/// false when the dossier of the school has no such file.
pub async fn decide_in_school(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    dossier_id: i64,
    upload_id: i64,
    status: &str,
    refusal_reason: &str,
) -> sqlx::Result<bool> {
    let school_id = scope.id();
    let updated = sqlx::query(
        "UPDATE uploads SET status = $3, refusal_reason = $4, refusal_notified_at = NULL
         WHERE id = $1 AND dossier_id = $2
           AND dossier_id IN (SELECT d.id FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
                              WHERE c.school_id = $5)",
    )
    .bind(upload_id)
    .bind(dossier_id)
    .bind(status)
    .bind(refusal_reason)
    .bind(school_id)
    .execute(db)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// A refused piece, for the e-mail that sends a dossier back.
#[derive(Debug, Clone, FromRow)]
pub struct RefusedPiece {
    pub label: String,
    pub refusal_reason: String,
}

/// The refused files of a dossier of the school, in the school's order of
/// pieces.
pub async fn refused_in_school(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    dossier_id: i64,
) -> sqlx::Result<Vec<RefusedPiece>> {
    let school_id = scope.id();
    sqlx::query_as(
        "SELECT e.label, u.refusal_reason FROM uploads u JOIN expected_documents e ON e.id = u.expected_document_id
         JOIN dossiers d ON d.id = u.dossier_id JOIN campaigns c ON c.id = d.campaign_id
         WHERE u.dossier_id = $1 AND u.status = 'refused' AND u.replaced_at IS NULL
           AND c.school_id = $2 ORDER BY e.position, u.id",
    )
    .bind(dossier_id)
    .bind(school_id)
    .fetch_all(db)
    .await
}

/// Where a removed file was stored: the file agents saw, and the original
/// beside it for a converted photo.
#[derive(Debug, Clone, FromRow)]
pub struct RemovedUpload {
    pub expected_document_id: i64,
    pub storage_key: String,
    pub source_key: Option<String>,
}

/// Removes the file `upload_id` of the dossier if `guardian_id` sent it
/// (never the other guardian's); `None` otherwise. The caller deletes the
/// stored objects.
pub async fn delete_own(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    guardian_id: i64,
    upload_id: i64,
) -> sqlx::Result<Option<RemovedUpload>> {
    sqlx::query_as(
        "DELETE FROM uploads WHERE id = $1 AND dossier_id = $2 AND guardian_id = $3
         RETURNING expected_document_id, storage_key, source_key",
    )
    .bind(upload_id)
    .bind(dossier_id)
    .bind(guardian_id)
    .fetch_optional(db)
    .await
}
