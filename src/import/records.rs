//! The `imports` table: one row per import, its files, its preview and its
//! outcome (the history shown on the imports page).

use serde::{Deserialize, Serialize};
use sqlx::{Any, Executor, FromRow};

use super::Preview;
use crate::db::{Flag, Tx, now_ms};

/// A file of an import, in the documents store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    /// The name the agent's computer gave it (shown, never used as a path).
    pub name: String,
    /// Its key in the documents store; empty once the file is deleted.
    pub key: String,
    pub size: u64,
}

/// Uploaded files are kept this long after an import's last change when it
/// is not applied (previewed but never confirmed, refused, failed); an
/// applied import's files go at once.
pub const FILES_KEPT_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, Clone, FromRow)]
pub struct ImportRow {
    pub id: i64,
    pub school_id: i64,
    pub status: String,
    pub files: String,
    pub preview: String,
    pub problem_count: i64,
    #[sqlx(try_from = "Flag")]
    pub fatal: bool,
    pub error: String,
    pub created_by: Option<i64>,
    pub created_by_name: Option<String>,
    pub preview_job_id: Option<i64>,
    pub apply_job_id: Option<i64>,
    pub created_at: i64,
    pub applied_at: Option<i64>,
}

impl ImportRow {
    pub fn files(&self) -> Vec<StoredFile> {
        serde_json::from_str(&self.files).unwrap_or_default()
    }

    /// The preview, once computed.
    pub fn preview(&self) -> Option<Preview> {
        serde_json::from_str(&self.preview).ok()
    }
}

const COLUMNS: &str = "i.id, i.school_id, i.status, i.files, i.preview, i.problem_count, i.fatal, i.error,
    i.created_by, a.display_name AS created_by_name, i.preview_job_id, i.apply_job_id, i.created_at, i.applied_at";

pub async fn create(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    files: &[StoredFile],
    created_by: Option<i64>,
) -> anyhow::Result<i64> {
    let now = now_ms();
    Ok(sqlx::query_scalar(
        "INSERT INTO imports (school_id, status, files, created_by, created_at, updated_at)
         VALUES ($1, 'previewing', $2, $3, $4, $4) RETURNING id",
    )
    .bind(school_id)
    .bind(serde_json::to_string(files)?)
    .bind(created_by)
    .bind(now)
    .fetch_one(db)
    .await?)
}

pub async fn set_preview_job(
    db: impl Executor<'_, Database = Any>,
    id: i64,
    job_id: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE imports SET preview_job_id = $2 WHERE id = $1")
        .bind(id)
        .bind(job_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Records the preview: `previewed`, or `refused` when a problem is fatal.
pub async fn save_preview(
    db: impl Executor<'_, Database = Any>,
    id: i64,
    preview: &Preview,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE imports SET status = $2, preview = $3, problem_count = $4, fatal = $5, updated_at = $6
         WHERE id = $1 AND status IN ('previewing', 'previewed', 'refused')",
    )
    .bind(id)
    .bind(if preview.fatal() { "refused" } else { "previewed" })
    .bind(serde_json::to_string(preview)?)
    .bind(preview.problem_count() as i64)
    .bind(preview.fatal())
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(())
}

/// The agent confirmed: the import is queued. Only a previewed import can be.
pub async fn mark_applying(tx: &mut Tx, id: i64, job_id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE imports SET status = 'applying', apply_job_id = $2, updated_at = $3
         WHERE id = $1 AND status = 'previewed'",
    )
    .bind(id)
    .bind(job_id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the import applied, in the transaction that applied it.
pub async fn mark_done(tx: &mut Tx, id: i64, preview: &Preview) -> anyhow::Result<()> {
    let now = now_ms();
    sqlx::query(
        "UPDATE imports SET status = 'done', preview = $2, error = '', applied_at = $3, updated_at = $3
         WHERE id = $1",
    )
    .bind(id)
    .bind(serde_json::to_string(preview)?)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn mark_failed(
    db: impl Executor<'_, Database = Any>,
    id: i64,
    error: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE imports SET status = 'failed', error = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(error)
        .bind(now_ms())
        .execute(db)
        .await?;
    Ok(())
}

/// Imports whose uploaded files are still stored and may go: applied ones,
/// and the others (never an import being applied) unchanged since
/// `stale_before`. Keys are `imports/…` (see the upload handler), which the
/// stored JSON shows as `"key":"imports/`.
pub async fn with_files_to_delete(
    db: impl Executor<'_, Database = Any>,
    stale_before: i64,
    limit: i64,
) -> sqlx::Result<Vec<ImportRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM imports i LEFT JOIN agents a ON a.id = i.created_by
         WHERE i.files LIKE '%\"key\":\"imports/%'
           AND (i.status = 'done' OR (i.status <> 'applying' AND i.updated_at < $1))
         ORDER BY i.id LIMIT $2"
    )))
    .bind(stale_before)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Records that the import's files were deleted from the documents store
/// (names and sizes stay for the history). An import that was never
/// confirmed can no longer be: it fails, saying why.
pub async fn mark_files_deleted(
    db: impl Executor<'_, Database = Any>,
    id: i64,
    files: &[StoredFile],
) -> anyhow::Result<()> {
    let files: Vec<StoredFile> = files
        .iter()
        .map(|f| StoredFile {
            key: String::new(),
            ..f.clone()
        })
        .collect();
    sqlx::query(
        "UPDATE imports SET files = $2, updated_at = $3,
             error = CASE WHEN status IN ('previewing', 'previewed') THEN $4 ELSE error END,
             status = CASE WHEN status IN ('previewing', 'previewed') THEN 'failed' ELSE status END
         WHERE id = $1",
    )
    .bind(id)
    .bind(serde_json::to_string(&files)?)
    .bind(now_ms())
    .bind("Import non confirmé pendant plus d'un jour : les fichiers envoyés ont été supprimés. Envoyez-les de nouveau pour importer.")
    .execute(db)
    .await?;
    Ok(())
}

/// An import of the school (`None` for another school's).
pub async fn find(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    id: i64,
) -> sqlx::Result<Option<ImportRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM imports i LEFT JOIN agents a ON a.id = i.created_by
         WHERE i.id = $1 AND i.school_id = $2"
    )))
    .bind(id)
    .bind(school_id)
    .fetch_optional(db)
    .await
}

/// The latest imports of the school, newest first.
pub async fn list(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<ImportRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM imports i LEFT JOIN agents a ON a.id = i.created_by
         WHERE i.school_id = $1 ORDER BY i.created_at DESC, i.id DESC LIMIT $2"
    )))
    .bind(school_id)
    .bind(limit)
    .fetch_all(db)
    .await
}
