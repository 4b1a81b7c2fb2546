//! Single-use sign-in links (`sign_in_links`): only the token's hash is
//! stored. The rules are in `crate::auth::sign_in_links`.

use sqlx::{Any, Executor};

use super::now_ms;

pub async fn create(
    db: impl Executor<'_, Database = Any>,
    guardian_id: i64,
    token_hash: &str,
    expires_at: i64,
    next_path: Option<&str>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO sign_in_links (guardian_id, token_hash, created_at, expires_at, next_path)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(guardian_id)
    .bind(token_hash)
    .bind(now_ms())
    .bind(expires_at)
    .bind(next_path)
    .fetch_one(db)
    .await
}

/// The link with this hash if it is unused and unexpired: (link id, guardian id).
pub async fn find_valid(
    db: impl Executor<'_, Database = Any>,
    token_hash: &str,
) -> sqlx::Result<Option<(i64, i64)>> {
    sqlx::query_as(
        "SELECT id, guardian_id FROM sign_in_links
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now_ms())
    .fetch_optional(db)
    .await
}

/// Where the link leads once used, if the server gave it a page.
pub async fn next_path(
    db: impl Executor<'_, Database = Any>,
    id: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar::<_, Option<String>>("SELECT next_path FROM sign_in_links WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
        .map(Option::flatten)
}

/// Uses the link; `false` if it was used (or expired) meanwhile.
pub async fn consume(db: impl Executor<'_, Database = Any>, id: i64) -> sqlx::Result<bool> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE sign_in_links SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(id)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
