//! Printed letters (`letter_batches`) and whom they go to: the guardians of
//! the pupils of a school's current campaign, with their children. The rules
//! (selection, one letter per guardian, replacement) are in `crate::letters`.

use sqlx::{Any, Executor, FromRow};

use super::campaigns::is_current;
use super::{Flag, SchoolScope, now_ms};

/// A guardian and one of their children with a dossier in the current
/// campaign (not leaving): a guardian of two children is two rows.
#[derive(Debug, Clone, FromRow)]
pub struct RecipientRow {
    pub guardian_id: i64,
    pub civility: String,
    pub last_name: String,
    pub first_name: String,
    pub email: String,
    pub phone_mobile: String,
    pub address_lines: String,
    pub postcode: String,
    pub city: String,
    #[sqlx(try_from = "Flag")]
    pub has_code: bool,
    pub dossier_id: i64,
    pub pupil_first_name: String,
    pub pupil_last_name: String,
    pub division: String,
}

/// Every (guardian, child) of the school's current campaign, by class, then
/// guardian, then child.
pub async fn recipient_rows(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<RecipientRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT g.id AS guardian_id, g.civility, g.last_name, g.first_name, g.email, g.phone_mobile,
                g.address_lines, g.postcode, g.city,
                (g.access_code_hash IS NOT NULL) AS has_code,
                d.id AS dossier_id, p.first_name AS pupil_first_name, p.last_name AS pupil_last_name,
                p.division
         FROM dossiers d
         JOIN campaigns c ON c.id = d.campaign_id
         JOIN pupils p ON p.id = d.pupil_id
         JOIN guardianships l ON l.pupil_id = p.id
         JOIN guardians g ON g.id = l.guardian_id AND g.school_id = c.school_id
         WHERE c.school_id = $1 AND {} AND d.state <> 'leaving'
         ORDER BY p.division, g.last_name, g.first_name, g.id, p.last_name, p.first_name, d.id",
        is_current("c", "$1")
    )))
    .bind(school_id)
    .fetch_all(db)
    .await
}

/// The classes (divisions) of the school's current campaign, in order.
pub async fn divisions(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT p.division FROM dossiers d
         JOIN campaigns c ON c.id = d.campaign_id
         JOIN pupils p ON p.id = d.pupil_id
         WHERE c.school_id = $1 AND {} AND p.division <> ''
         ORDER BY p.division",
        is_current("c", "$1")
    )))
    .bind(school_id)
    .fetch_all(db)
    .await
}

/// A request for letters, as asked.
#[derive(Debug, Clone)]
pub struct NewBatch {
    pub school_id: i64,
    pub agent_id: Option<i64>,
    pub division: Option<String>,
    /// The chosen pupils' dossiers, for a selection.
    pub dossier_ids: Option<Vec<i64>>,
    pub only_without_contact: bool,
    pub replace_codes: bool,
    pub confirmed_replacements: i64,
    pub letter_text: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct Batch {
    pub id: i64,
    pub school_id: i64,
    pub agent_id: Option<i64>,
    pub division: Option<String>,
    pub dossier_ids: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub only_without_contact: bool,
    #[sqlx(try_from = "Flag")]
    pub replace_codes: bool,
    pub confirmed_replacements: i64,
    pub letter_text: String,
    pub status: String,
    pub failure: String,
    pub job_id: Option<i64>,
    pub document_key: Option<String>,
    pub letters: i64,
    pub issued: i64,
    pub replaced: i64,
    pub created_at: i64,
    pub done_at: Option<i64>,
    pub document_deleted_at: Option<i64>,
}

impl Batch {
    /// The chosen pupils' dossiers, when the batch is for a selection.
    pub fn selected_dossiers(&self) -> Option<Vec<i64>> {
        self.dossier_ids
            .as_deref()
            .map(|json| serde_json::from_str(json).unwrap_or_default())
    }
}

const BATCH_COLUMNS: &str = "id, school_id, agent_id, division, dossier_ids, only_without_contact, replace_codes, \
     confirmed_replacements, letter_text, status, failure, job_id, document_key, letters, issued, replaced, \
     created_at, done_at, document_deleted_at";

pub async fn create(db: impl Executor<'_, Database = Any>, new: &NewBatch) -> sqlx::Result<i64> {
    let dossier_ids = new
        .dossier_ids
        .as_ref()
        .map(|ids| serde_json::to_string(ids).unwrap_or_else(|_| "[]".into()));
    sqlx::query_scalar(
        "INSERT INTO letter_batches (school_id, agent_id, division, dossier_ids, only_without_contact,
             replace_codes, confirmed_replacements, letter_text, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(new.school_id)
    .bind(new.agent_id)
    .bind(new.division.as_deref())
    .bind(dossier_ids)
    .bind(new.only_without_contact)
    .bind(new.replace_codes)
    .bind(new.confirmed_replacements)
    .bind(&new.letter_text)
    .bind(now_ms())
    .fetch_one(db)
    .await
}

pub async fn set_job(
    db: impl Executor<'_, Database = Any>,
    id: i64,
    job_id: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE letter_batches SET job_id = $2 WHERE id = $1")
        .bind(id)
        .bind(job_id)
        .execute(db)
        .await?;
    Ok(())
}

/// A batch of school `school_id` (the job and the command line).
pub async fn find(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    id: i64,
) -> sqlx::Result<Option<Batch>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {BATCH_COLUMNS} FROM letter_batches WHERE id = $1 AND school_id = $2"
    )))
    .bind(id)
    .bind(school_id)
    .fetch_optional(db)
    .await
}

/// A batch of the agent's school.
pub async fn find_in_school(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    id: i64,
) -> sqlx::Result<Option<Batch>> {
    find(db, scope.id(), id).await
}

/// The batch a job makes, in the agent's school.
pub async fn id_of_job(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    job_id: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM letter_batches WHERE school_id = $1 AND job_id = $2")
        .bind(scope.id())
        .bind(job_id)
        .fetch_optional(db)
        .await
}

/// The school's latest batches, newest first.
pub async fn list_in_school(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    limit: i64,
) -> sqlx::Result<Vec<Batch>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {BATCH_COLUMNS} FROM letter_batches WHERE school_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
    )))
    .bind(scope.id())
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Records a printed batch; `false` if it was no longer queued (another run
/// finished it).
pub async fn mark_done(
    db: impl Executor<'_, Database = Any>,
    id: i64,
    document_key: &str,
    letters: i64,
    issued: i64,
    replaced: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE letter_batches SET status = 'done', document_key = $2, letters = $3, issued = $4,
             replaced = $5, done_at = $6
         WHERE id = $1 AND status = 'queued'",
    )
    .bind(id)
    .bind(document_key)
    .bind(letters)
    .bind(issued)
    .bind(replaced)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn mark_failed(
    db: impl Executor<'_, Database = Any>,
    id: i64,
    failure: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE letter_batches SET status = 'failed', failure = $2, done_at = $3
         WHERE id = $1 AND status = 'queued'",
    )
    .bind(id)
    .bind(failure)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(())
}

/// Batches whose PDF was made before `before` and is still stored: (id, key).
pub async fn documents_made_before(
    db: impl Executor<'_, Database = Any>,
    before: i64,
    limit: i64,
) -> sqlx::Result<Vec<(i64, String)>> {
    sqlx::query_as(
        "SELECT id, document_key FROM letter_batches
         WHERE document_key IS NOT NULL AND document_deleted_at IS NULL AND done_at < $1
         ORDER BY done_at LIMIT $2",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(db)
    .await
}

pub async fn mark_document_deleted(
    db: impl Executor<'_, Database = Any>,
    id: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE letter_batches SET document_deleted_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now_ms())
        .execute(db)
        .await?;
    Ok(())
}
