//! Drafts: what a guardian is typing in a step, kept as they type
//! (autosave) and given back when they return.

use sqlx::{Any, Executor};

use super::now_ms;

/// Keeps what a guardian is typing in `step` (autosave), as JSON.
pub async fn save(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    guardian_id: i64,
    step: &str,
    data: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO step_drafts (dossier_id, guardian_id, step, data, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (dossier_id, guardian_id, step) DO UPDATE SET data = excluded.data,
             updated_at = excluded.updated_at",
    )
    .bind(dossier_id)
    .bind(guardian_id)
    .bind(step)
    .bind(data)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(())
}

/// The draft of `step`, if the guardian left one.
pub async fn load(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    guardian_id: i64,
    step: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT data FROM step_drafts WHERE dossier_id = $1 AND guardian_id = $2 AND step = $3",
    )
    .bind(dossier_id)
    .bind(guardian_id)
    .bind(step)
    .fetch_optional(db)
    .await
}

/// Forgets the draft of `step` once the step is sent.
pub async fn clear(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    guardian_id: i64,
    step: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM step_drafts WHERE dossier_id = $1 AND guardian_id = $2 AND step = $3")
        .bind(dossier_id)
        .bind(guardian_id)
        .bind(step)
        .execute(db)
        .await?;
    Ok(())
}
