//! Re-enrolment dossiers.

use sqlx::{Any, Executor};

/// Number of dossiers of a school per state (states with none are absent).
pub async fn count_by_state(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "SELECT d.state, COUNT(*) FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
         WHERE c.school_id = $1 GROUP BY d.state",
    )
    .bind(school_id)
    .fetch_all(db)
    .await
}
