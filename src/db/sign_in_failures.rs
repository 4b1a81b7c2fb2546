//! Sign-in failures counted per key in the database, so that every instance
//! of a deployment sees the same counts (see `auth::throttle`, which keeps an
//! in-memory copy of the locked keys in front of this table).

use sqlx::{Any, Executor};

/// Counts one failure for `key` in a fixed window of `window_ms` that starts
/// at the first failure; returns the number of failures in the current
/// window. One statement, so two concurrent failures are both counted.
pub async fn count(
    db: impl Executor<'_, Database = Any>,
    key: &str,
    now: i64,
    window_ms: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO sign_in_failures (key, window_start, failures, locked_until)
         VALUES ($1, $2, 1, NULL)
         ON CONFLICT (key) DO UPDATE SET
             failures = CASE WHEN sign_in_failures.window_start <= $3 THEN 1
                             ELSE sign_in_failures.failures + 1 END,
             locked_until = CASE WHEN sign_in_failures.window_start <= $3 THEN NULL
                                 ELSE sign_in_failures.locked_until END,
             window_start = CASE WHEN sign_in_failures.window_start <= $3 THEN $2
                                 ELSE sign_in_failures.window_start END
         RETURNING failures",
    )
    .bind(key)
    .bind(now)
    .bind(now - window_ms)
    .fetch_one(db)
    .await
}

/// Locks `key` until `until`; true when this call set the lock (it was not
/// already locked that long), so that a lock is reported once.
pub async fn lock(
    db: impl Executor<'_, Database = Any>,
    key: &str,
    until: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE sign_in_failures SET locked_until = $2
         WHERE key = $1 AND (locked_until IS NULL OR locked_until <= $3)",
    )
    .bind(key)
    .bind(until)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// When `key` is locked at `now`, until when.
pub async fn locked_until(
    db: impl Executor<'_, Database = Any>,
    key: &str,
    now: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT locked_until FROM sign_in_failures WHERE key = $1 AND locked_until > $2",
    )
    .bind(key)
    .bind(now)
    .fetch_optional(db)
    .await
    .map(Option::flatten)
}

/// Forgets the failures of `key` (after a successful sign-in on an account).
pub async fn forget(db: impl Executor<'_, Database = Any>, key: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sign_in_failures WHERE key = $1")
        .bind(key)
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes the rows whose window and lock are over before `before`.
pub async fn purge(db: impl Executor<'_, Database = Any>, before: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "DELETE FROM sign_in_failures
         WHERE window_start < $1 AND (locked_until IS NULL OR locked_until < $1)",
    )
    .bind(before)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
