//! The school's exports (`exports`, migration 0021): one row per file asked
//! by an agent, made by a job (`crate::exports::job`), kept until it expires;
//! and the bulk reads the exports need beyond the dossier facts (every
//! decision, piece and medical note of the school's current campaign).

use sqlx::{Any, Executor, FromRow};

use super::campaigns::is_current;
use super::decisions::DecisionRow;
use super::{SchoolScope, now_ms};

/// An export as recorded.
#[derive(Debug, Clone, FromRow)]
pub struct ExportRow {
    pub id: i64,
    pub school_id: i64,
    pub kind: String,
    pub params: String,
    pub requested_by: Option<i64>,
    /// The requester's name (empty when the agent was removed).
    pub requester: String,
    pub job_id: Option<i64>,
    pub status: String,
    pub failure: String,
    pub document_key: Option<String>,
    pub size_bytes: i64,
    pub created_at: i64,
    pub done_at: Option<i64>,
    pub expires_at: Option<i64>,
}

const COLUMNS: &str = "x.id, x.school_id, x.kind, x.params, x.requested_by,
    COALESCE(a.display_name, '') AS requester, x.job_id, x.status, x.failure, x.document_key,
    x.size_bytes, x.created_at, x.done_at, x.expires_at";

/// Records an export asked by `agent_id`; returns its id.
pub async fn create(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    kind: &str,
    params: &str,
    agent_id: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO exports (school_id, kind, params, requested_by, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(scope.id())
    .bind(kind)
    .bind(params)
    .bind(agent_id)
    .bind(now_ms())
    .fetch_one(db)
    .await
}

pub async fn set_job(
    db: impl Executor<'_, Database = Any>,
    export_id: i64,
    job_id: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE exports SET job_id = $2 WHERE id = $1")
        .bind(export_id)
        .bind(job_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Export `export_id` of the school, for the agent signed in to it.
pub async fn find_in_school(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    export_id: i64,
) -> sqlx::Result<Option<ExportRow>> {
    find(db, scope.id(), export_id).await
}

/// Export `export_id` of school `school_id` (the job that makes it).
pub async fn find(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    export_id: i64,
) -> sqlx::Result<Option<ExportRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM exports x LEFT JOIN agents a ON a.id = x.requested_by
         WHERE x.id = $1 AND x.school_id = $2"
    )))
    .bind(export_id)
    .bind(school_id)
    .fetch_optional(db)
    .await
}

/// The school's latest exports of these kinds, newest first.
pub async fn list_in_school(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    kinds: &[&str],
    limit: i64,
) -> sqlx::Result<Vec<ExportRow>> {
    let rows: Vec<ExportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM exports x LEFT JOIN agents a ON a.id = x.requested_by
         WHERE x.school_id = $1 ORDER BY x.created_at DESC, x.id DESC"
    )))
    .bind(scope.id())
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| kinds.contains(&r.kind.as_str()))
        .take(limit.max(0) as usize)
        .collect())
}

/// Marks a queued export made: its file, size and expiry. `false` when it
/// was no longer queued (made by an earlier attempt).
pub async fn mark_done(
    db: impl Executor<'_, Database = Any>,
    export_id: i64,
    document_key: &str,
    size_bytes: i64,
    expires_at: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE exports SET status = 'done', document_key = $2, size_bytes = $3, done_at = $4,
             expires_at = $5
         WHERE id = $1 AND status = 'queued'",
    )
    .bind(export_id)
    .bind(document_key)
    .bind(size_bytes)
    .bind(now_ms())
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn mark_failed(
    db: impl Executor<'_, Database = Any>,
    export_id: i64,
    failure: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE exports SET status = 'failed', failure = $2 WHERE id = $1 AND status = 'queued'",
    )
    .bind(export_id)
    .bind(failure)
    .execute(db)
    .await?;
    Ok(())
}

/// Made exports whose time is up at `now`: (id, document key), at most `limit`.
pub async fn expired(
    db: impl Executor<'_, Database = Any>,
    now: i64,
    limit: i64,
) -> sqlx::Result<Vec<(i64, String)>> {
    sqlx::query_as(
        "SELECT id, document_key FROM exports
         WHERE status = 'done' AND expires_at <= $1 AND document_key IS NOT NULL
         ORDER BY expires_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await
}

pub async fn mark_expired(
    db: impl Executor<'_, Database = Any>,
    export_id: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE exports SET status = 'expired', document_key = NULL WHERE id = $1")
        .bind(export_id)
        .execute(db)
        .await?;
    Ok(())
}

/// A decision with its dossier.
#[derive(Debug, Clone, FromRow)]
pub struct SchoolDecision {
    pub dossier_id: i64,
    #[sqlx(flatten)]
    pub row: DecisionRow,
}

/// Every decision on the dossiers of the school's current campaign.
pub async fn decisions_of_school(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<SchoolDecision>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT x.dossier_id, x.change_key, x.proposed_value, x.label, x.proposed_words, x.decision,
                x.reason, COALESCE(a.display_name, '') AS agent_name, x.decided_at
         FROM change_decisions x
         JOIN dossiers d ON d.id = x.dossier_id
         JOIN campaigns c ON c.id = d.campaign_id
         LEFT JOIN agents a ON a.id = x.agent_id
         WHERE c.school_id = $1 AND {}
         ORDER BY x.decided_at, x.id",
        is_current("c", "$1")
    )))
    .bind(school_id)
    .fetch_all(db)
    .await
}

/// A file a family sent, with where it belongs.
#[derive(Debug, Clone, FromRow)]
pub struct PieceRow {
    pub upload_id: i64,
    pub division: String,
    pub last_name: String,
    pub first_name: String,
    /// The expected document's label (« Attestation d'assurance »).
    pub piece: String,
    pub original_name: String,
    pub storage_key: String,
    pub size_bytes: i64,
}

/// Every file sent for the school's current campaign (refused ones left
/// out), by class, pupil, piece and order sent.
pub async fn pieces_of_school(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<PieceRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT u.id AS upload_id, p.division, p.last_name, p.first_name, e.label AS piece,
                u.original_name, u.storage_key, u.size_bytes
         FROM uploads u
         JOIN expected_documents e ON e.id = u.expected_document_id
         JOIN dossiers d ON d.id = u.dossier_id
         JOIN campaigns c ON c.id = d.campaign_id
         JOIN pupils p ON p.id = d.pupil_id
         WHERE c.school_id = $1 AND {} AND u.status <> 'refused'
         ORDER BY p.division, p.last_name, p.first_name, e.position, u.id",
        is_current("c", "$1")
    )))
    .bind(school_id)
    .fetch_all(db)
    .await
}

/// A guardian's medical note, with the dossier and the guardian's name.
#[derive(Debug, Clone, FromRow)]
pub struct MedicalRow {
    pub dossier_id: i64,
    pub guardian_first_name: String,
    pub guardian_last_name: String,
    pub mode: String,
    pub note: String,
}

/// Every medical note of the school's current campaign. Read by the job of
/// the nurse's export only (its page checks `ReadMedical`).
pub async fn medical_of_school(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<MedicalRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT m.dossier_id, g.first_name AS guardian_first_name, g.last_name AS guardian_last_name,
                m.mode, m.note
         FROM medical_notes m
         JOIN guardians g ON g.id = m.guardian_id
         JOIN dossiers d ON d.id = m.dossier_id
         JOIN campaigns c ON c.id = d.campaign_id
         WHERE c.school_id = $1 AND {}
         ORDER BY m.dossier_id, g.id",
        is_current("c", "$1")
    )))
    .bind(school_id)
    .fetch_all(db)
    .await
}
