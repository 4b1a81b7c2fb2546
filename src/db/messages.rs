//! Messages to families (`messages`): created with their delivery job, kept
//! up to date by it and by the provider's delivery reports. The rules (who,
//! what, which channel) are in `crate::notify`.

use sqlx::{Any, Executor, FromRow};

use super::{SchoolScope, now_ms};

/// A message as stored.
#[derive(Debug, Clone, FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub guardian_id: i64,
    pub dossier_id: Option<i64>,
    pub channel: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub failure: String,
    pub provider_id: Option<String>,
    pub created_at: i64,
    pub status_at: i64,
}

const COLUMNS: &str = "id, guardian_id, dossier_id, channel, kind, recipient, subject, body, status, failure, provider_id, created_at, status_at";

/// What a new message is.
pub struct NewMessage<'a> {
    pub school_id: i64,
    pub guardian_id: i64,
    pub dossier_id: Option<i64>,
    pub channel: &'a str,
    pub kind: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub batch_id: Option<i64>,
}

pub async fn create(
    db: impl Executor<'_, Database = Any>,
    m: &NewMessage<'_>,
) -> sqlx::Result<i64> {
    let now = now_ms();
    sqlx::query_scalar(
        "INSERT INTO messages (school_id, guardian_id, dossier_id, channel, kind, recipient, subject,
             body, batch_id, created_at, status_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(m.school_id)
    .bind(m.guardian_id)
    .bind(m.dossier_id)
    .bind(m.channel)
    .bind(m.kind)
    .bind(m.recipient)
    .bind(m.subject)
    .bind(m.body)
    .bind(m.batch_id)
    .bind(now)
    .fetch_one(db)
    .await
}

/// The delivery job handed it over (with the provider's id, if it gave one).
/// A report that came first is kept.
pub async fn mark_sent(
    db: impl Executor<'_, Database = Any>,
    id: i64,
    provider_id: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE messages SET status = CASE WHEN status IN ('delivered', 'bounced') THEN status ELSE 'sent' END,
             failure = CASE WHEN status IN ('delivered', 'bounced') THEN failure ELSE '' END,
             provider_id = COALESCE($2, provider_id), status_at = $3
         WHERE id = $1",
    )
    .bind(id)
    .bind(provider_id)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(())
}

/// Not sent, for `reason` (written for the school).
pub async fn mark_failed(
    db: impl Executor<'_, Database = Any>,
    id: i64,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE messages SET status = 'failed', failure = $2, status_at = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(reason)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(())
}

/// A delivery report of the provider: `delivered`, or `bounced` with its
/// reason. A delivered message stays delivered. Returns whether a message
/// had this provider id.
pub async fn report(
    db: impl Executor<'_, Database = Any>,
    channel: &str,
    provider_id: &str,
    status: &str,
    reason: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE messages SET status = $3, failure = $4, status_at = $5
         WHERE channel = $1 AND provider_id = $2 AND status <> 'delivered'",
    )
    .bind(channel)
    .bind(provider_id)
    .bind(status)
    .bind(reason)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The messages to the guardians of a school's dossier's pupil, newest
/// first: what was sent to the family, whatever it was about.
pub async fn for_dossier_family(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    dossier_id: i64,
) -> sqlx::Result<Vec<MessageRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM messages m
         WHERE m.school_id = $1 AND m.guardian_id IN (
             SELECT l.guardian_id FROM guardianships l JOIN dossiers d ON d.pupil_id = l.pupil_id
             WHERE d.id = $2)
         ORDER BY m.created_at DESC, m.id DESC"
    )))
    .bind(scope.id())
    .bind(dossier_id)
    .fetch_all(db)
    .await
}

pub async fn find(
    db: impl Executor<'_, Database = Any>,
    id: i64,
) -> sqlx::Result<Option<MessageRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM messages WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await
}
