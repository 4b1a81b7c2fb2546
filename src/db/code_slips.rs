//! Personal codes waiting to be shown once to the agent who issued them
//! (`code_slips`): the new-code page is a Post/Redirect/Get, and the code
//! never travels in a URL.

use sqlx::{Any, Executor};

use super::now_ms;

/// How long an issued code waits for its page.
pub const SLIP_LIFETIME_MS: i64 = 10 * 60 * 1000;

/// Keeps `code`, just issued to `guardian_id` by `agent_id`, for the next
/// page (replacing one not shown yet); forgets slips nobody came to see.
pub async fn keep(
    conn: &mut sqlx::AnyConnection,
    guardian_id: i64,
    agent_id: i64,
    code: &str,
) -> sqlx::Result<()> {
    let now = now_ms();
    sqlx::query("DELETE FROM code_slips WHERE created_at < $1")
        .bind(now - SLIP_LIFETIME_MS)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO code_slips (guardian_id, agent_id, code, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (guardian_id, agent_id) DO UPDATE SET code = excluded.code, created_at = excluded.created_at",
    )
    .bind(guardian_id)
    .bind(agent_id)
    .bind(code)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The code waiting for this agent and guardian, removed as it is read: the
/// next read finds nothing.
pub async fn take(
    db: impl Executor<'_, Database = Any>,
    guardian_id: i64,
    agent_id: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "DELETE FROM code_slips WHERE guardian_id = $1 AND agent_id = $2 AND created_at >= $3
         RETURNING code",
    )
    .bind(guardian_id)
    .bind(agent_id)
    .bind(now_ms() - SLIP_LIFETIME_MS)
    .fetch_optional(db)
    .await
}
