//! The school's history of return files to SIECLE, as its screen shows it
//! (issue 13): the files downloaded (never the dry runs), who made each, its
//! dossiers, and the documents-store key of the file kept for downloading it
//! again. Every read is scoped to the school.

use sqlx::{AnyPool, FromRow};

use super::SchoolScope;

/// A file of the history.
#[derive(Debug, Clone, FromRow)]
pub struct FileRow {
    pub id: i64,
    pub send_number: i64,
    pub file_name: String,
    /// The agent's name; `None` from the command line (or an agent deleted).
    pub agent_name: Option<String>,
    pub from_cli: super::Flag,
    /// French local time, `YYYY-MM-DD HH:MM:SS`.
    pub generated_at: String,
    pub document_key: Option<String>,
    pub dossier_count: i64,
}

/// The school's downloaded files, latest first.
pub async fn files(pool: &AnyPool, scope: SchoolScope) -> sqlx::Result<Vec<FileRow>> {
    sqlx::query_as(
        "SELECT s.id, s.send_number, s.file_name, a.display_name AS agent_name, s.from_cli,
                s.generated_at, s.document_key,
                (SELECT COUNT(*) FROM siecle_send_dossiers sd WHERE sd.send_id = s.id) AS dossier_count
         FROM siecle_sends s LEFT JOIN agents a ON a.id = s.agent_id
         WHERE s.school_id = $1 AND s.send_number IS NOT NULL
         ORDER BY s.send_number DESC",
    )
    .bind(scope.id())
    .fetch_all(pool)
    .await
}

/// One downloaded file of the school.
pub async fn file(
    pool: &AnyPool,
    scope: SchoolScope,
    send_id: i64,
) -> sqlx::Result<Option<FileRow>> {
    sqlx::query_as(
        "SELECT s.id, s.send_number, s.file_name, a.display_name AS agent_name, s.from_cli,
                s.generated_at, s.document_key,
                (SELECT COUNT(*) FROM siecle_send_dossiers sd WHERE sd.send_id = s.id) AS dossier_count
         FROM siecle_sends s LEFT JOIN agents a ON a.id = s.agent_id
         WHERE s.school_id = $1 AND s.id = $2 AND s.send_number IS NOT NULL",
    )
    .bind(scope.id())
    .bind(send_id)
    .fetch_optional(pool)
    .await
}

/// A dossier of a file: (send id, dossier id, pupil's last name, first name).
#[derive(Debug, Clone, FromRow)]
pub struct FileDossier {
    pub send_id: i64,
    pub dossier_id: i64,
    pub last_name: String,
    pub first_name: String,
}

/// The dossiers of the school's downloaded files, by pupil name.
pub async fn file_dossiers(pool: &AnyPool, scope: SchoolScope) -> sqlx::Result<Vec<FileDossier>> {
    sqlx::query_as(
        "SELECT sd.send_id, d.id AS dossier_id, p.last_name, p.first_name
         FROM siecle_send_dossiers sd
         JOIN siecle_sends s ON s.id = sd.send_id
         JOIN dossiers d ON d.id = sd.dossier_id
         JOIN pupils p ON p.id = d.pupil_id
         WHERE s.school_id = $1 AND s.send_number IS NOT NULL AND p.school_id = $1
         ORDER BY sd.send_id, p.last_name, p.first_name, d.id",
    )
    .bind(scope.id())
    .fetch_all(pool)
    .await
}

/// Records where a downloaded file of the school is kept.
pub async fn set_document_key(
    pool: &AnyPool,
    scope: SchoolScope,
    send_id: i64,
    key: &str,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE siecle_sends SET document_key = $3
         WHERE school_id = $1 AND id = $2 AND send_number IS NOT NULL",
    )
    .bind(scope.id())
    .bind(send_id)
    .bind(key)
    .execute(pool)
    .await?
    .rows_affected())
}
