//! Invitations and reminders (`reminder_batches`) and whom they may go to:
//! the guardians of the pupils of a school's current campaign, with the state
//! of each dossier. The rules are in `crate::reminders`.

use sqlx::{Any, Executor, FromRow};

use super::campaigns::is_current;
use super::{Flag, now_ms};

/// A guardian and one of their children's dossiers in the current campaign
/// (not leaving): a guardian of two children is two rows.
#[derive(Debug, Clone, FromRow)]
pub struct FamilyRow {
    pub guardian_id: i64,
    pub email: String,
    pub phone_mobile: String,
    pub dossier_id: i64,
    pub state: String,
    pub pupil_first_name: String,
    pub pupil_last_name: String,
    pub division: String,
}

/// Every (guardian, dossier) of the school's current campaign, by class,
/// guardian, child.
pub async fn family_rows(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<FamilyRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT g.id AS guardian_id, g.email, g.phone_mobile, d.id AS dossier_id, d.state,
                p.first_name AS pupil_first_name, p.last_name AS pupil_last_name, p.division
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

/// The guardians of the school who were invited or reminded (a message not
/// failed, by any channel) since `since`.
pub async fn reminded_since(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    since: i64,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT DISTINCT guardian_id FROM messages
         WHERE school_id = $1 AND kind IN ('invitation', 'reminder') AND status <> 'failed'
           AND created_at > $2",
    )
    .bind(school_id)
    .bind(since)
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct Batch {
    pub id: i64,
    pub school_id: i64,
    pub agent_id: Option<i64>,
    pub kind: String,
    pub target_state: Option<String>,
    pub division: Option<String>,
    pub dossier_ids: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub by_email: bool,
    #[sqlx(try_from = "Flag")]
    pub by_sms: bool,
    pub status: String,
    pub job_id: Option<i64>,
    pub families: i64,
    pub queued: i64,
    pub skipped_recent: i64,
    pub without_contact: i64,
    pub created_at: i64,
    pub done_at: Option<i64>,
}

const COLUMNS: &str = "id, school_id, agent_id, kind, target_state, division, dossier_ids, by_email, \
     by_sms, status, job_id, families, queued, skipped_recent, without_contact, created_at, done_at";

pub struct NewBatch<'a> {
    pub school_id: i64,
    pub agent_id: Option<i64>,
    pub kind: &'a str,
    pub target_state: Option<&'a str>,
    pub division: Option<&'a str>,
    pub dossier_ids: Option<String>,
    pub by_email: bool,
    pub by_sms: bool,
}

pub async fn create(
    db: impl Executor<'_, Database = Any>,
    new: &NewBatch<'_>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO reminder_batches (school_id, agent_id, kind, target_state, division, dossier_ids,
             by_email, by_sms, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(new.school_id)
    .bind(new.agent_id)
    .bind(new.kind)
    .bind(new.target_state)
    .bind(new.division)
    .bind(new.dossier_ids.as_deref())
    .bind(new.by_email)
    .bind(new.by_sms)
    .bind(now_ms())
    .fetch_one(db)
    .await
}

pub async fn set_job(
    db: impl Executor<'_, Database = Any>,
    id: i64,
    job_id: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE reminder_batches SET job_id = $2 WHERE id = $1")
        .bind(id)
        .bind(job_id)
        .execute(db)
        .await?;
    Ok(())
}

/// The batch is done: how many families it reached, messages it queued,
/// guardians it left out (reminded lately; no usable contact).
pub async fn finish(
    db: impl Executor<'_, Database = Any>,
    id: i64,
    families: i64,
    queued: i64,
    skipped_recent: i64,
    without_contact: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE reminder_batches SET status = 'done', families = $2, queued = $3, skipped_recent = $4,
             without_contact = $5, done_at = $6
         WHERE id = $1",
    )
    .bind(id)
    .bind(families)
    .bind(queued)
    .bind(skipped_recent)
    .bind(without_contact)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(())
}

pub async fn find(db: impl Executor<'_, Database = Any>, id: i64) -> sqlx::Result<Option<Batch>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM reminder_batches WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// How the batch's messages stand: (status, count).
pub async fn message_statuses(
    db: impl Executor<'_, Database = Any>,
    id: i64,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "SELECT status, COUNT(*) FROM messages WHERE batch_id = $1 GROUP BY status ORDER BY status",
    )
    .bind(id)
    .fetch_all(db)
    .await
}

/// The batch's messages not sent or not delivered, with their reason:
/// (guardian's name, dossier id, channel, recipient, status, reason).
pub async fn failures(
    db: impl Executor<'_, Database = Any>,
    id: i64,
) -> sqlx::Result<Vec<(String, Option<i64>, String, String, String, String)>> {
    sqlx::query_as(
        "SELECT g.first_name || ' ' || g.last_name, m.dossier_id, m.channel, m.recipient, m.status, m.failure
         FROM messages m JOIN guardians g ON g.id = m.guardian_id
         WHERE m.batch_id = $1 AND m.status IN ('failed', 'bounced') ORDER BY m.id",
    )
    .bind(id)
    .fetch_all(db)
    .await
}
