//! The job table: enqueue, claim, finish, retry, progress.
//!
//! Claiming works the same on both engines without `SKIP LOCKED`: a worker
//! picks the oldest ready job and flips it to `running` with a conditional
//! `UPDATE … WHERE id = ? AND status = 'queued'`. If two workers pick the same
//! job, only one update matches a row; the other simply tries again. SQLite
//! serialises writers anyway; PostgreSQL re-checks the condition after the
//! row lock, so a job is never run twice at the same time. A crashed worker's
//! job comes back when its lease (`locked_until`) runs out.

use sqlx::{Any, Executor, FromRow};

use crate::db::{Db, now_ms};

#[derive(Debug, Clone, FromRow)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub school_id: Option<i64>,
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub progress_done: i64,
    pub progress_total: i64,
    pub last_error: String,
}

const COLUMNS: &str = "id, kind, payload, school_id, status, attempts, max_attempts, progress_done, progress_total, last_error";

/// How long a claimed job stays reserved without news from its worker.
pub const LEASE_MS: i64 = 5 * 60 * 1000;

/// Adds a job. With a `dedup_key`, enqueuing the same key twice keeps one job
/// and returns its id (the no-op update makes `RETURNING` give the existing
/// row on both engines).
pub async fn enqueue(
    db: impl Executor<'_, Database = Any>,
    kind: &str,
    payload: &str,
    dedup_key: Option<&str>,
    school_id: Option<i64>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO jobs (kind, payload, dedup_key, school_id, run_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (dedup_key) DO UPDATE SET dedup_key = excluded.dedup_key RETURNING id",
    )
    .bind(kind)
    .bind(payload)
    .bind(dedup_key)
    .bind(school_id)
    .bind(now_ms())
    .fetch_one(db)
    .await
}

/// Adds a job that is not to run before `run_at` (ms): a sending spread
/// over time to keep to a provider's rate.
pub async fn enqueue_at(
    db: impl Executor<'_, Database = Any>,
    kind: &str,
    payload: &str,
    school_id: Option<i64>,
    run_at: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO jobs (kind, payload, school_id, run_at, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(kind)
    .bind(payload)
    .bind(school_id)
    .bind(run_at)
    .bind(now_ms())
    .fetch_one(db)
    .await
}

/// Reserves the next ready job for `worker`, if there is one.
pub async fn claim(db: &Db, worker: &str) -> sqlx::Result<Option<JobRow>> {
    loop {
        let now = now_ms();
        let candidate: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE status = 'queued' AND run_at <= $1 ORDER BY run_at, id LIMIT 1",
        )
        .bind(now)
        .fetch_optional(db.pool())
        .await?;
        let Some(id) = candidate else { return Ok(None) };
        let claimed: Option<JobRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $2, locked_until = $3
             WHERE id = $1 AND status = 'queued' RETURNING {COLUMNS}"
        )))
        .bind(id)
        .bind(worker)
        .bind(now + LEASE_MS)
        .fetch_optional(db.pool())
        .await?;
        if claimed.is_some() {
            return Ok(claimed);
        }
        // Another worker took it between our two statements: look again.
    }
}

/// Puts back jobs whose worker vanished (lease expired); returns how many.
pub async fn requeue_expired(db: impl Executor<'_, Database = Any>) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'queued', locked_by = NULL, locked_until = NULL
         WHERE status = 'running' AND locked_until < $1",
    )
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

pub async fn complete(db: impl Executor<'_, Database = Any>, id: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE jobs SET status = 'done', locked_by = NULL, locked_until = NULL, finished_at = $2,
             progress_done = CASE WHEN progress_total > 0 THEN progress_total ELSE progress_done END
         WHERE id = $1",
    )
    .bind(id)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(())
}

/// Backoff before attempt `attempts + 1`: 2 s, 4 s, 8 s … capped at one hour.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(0, 20) as u32;
    (1000_i64 << exp).saturating_mul(2).min(3_600_000)
}

/// Records a failure: the job is retried later, or marked `failed` once it
/// has used all its attempts — at once when the failure is `permanent`.
pub async fn fail(
    db: impl Executor<'_, Database = Any>,
    job: &JobRow,
    error: &str,
    permanent: bool,
) -> sqlx::Result<()> {
    let now = now_ms();
    let exhausted = permanent || job.attempts >= job.max_attempts;
    sqlx::query(
        "UPDATE jobs SET status = $2, last_error = $3, run_at = $4, locked_by = NULL, locked_until = NULL,
             finished_at = $5
         WHERE id = $1",
    )
    .bind(job.id)
    .bind(if exhausted { "failed" } else { "queued" })
    .bind(error)
    .bind(now + backoff_ms(job.attempts))
    .bind(if exhausted { Some(now) } else { None })
    .execute(db)
    .await?;
    Ok(())
}

/// Records progress (and extends the lease: a job that reports is alive).
pub async fn set_progress(
    db: impl Executor<'_, Database = Any>,
    id: i64,
    done: i64,
    total: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE jobs SET progress_done = $2, progress_total = $3, locked_until = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(done)
    .bind(total)
    .bind(now_ms() + LEASE_MS)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn find(db: impl Executor<'_, Database = Any>, id: i64) -> sqlx::Result<Option<JobRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM jobs WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Counts jobs per status (tests assert nothing is left behind).
pub async fn count_with_status(
    db: impl Executor<'_, Database = Any>,
    status: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status = $1")
        .bind(status)
        .fetch_one(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_doubles_and_is_capped_at_one_hour() {
        assert_eq!(backoff_ms(0), 2_000);
        assert_eq!(backoff_ms(1), 4_000);
        assert_eq!(backoff_ms(3), 16_000);
        assert_eq!(backoff_ms(30), 3_600_000);
    }
}
