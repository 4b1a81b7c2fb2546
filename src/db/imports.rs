//! Lookups of the `imports` table needed outside the import (which owns the
//! table and its writes: `import::records`).

use sqlx::{Any, Executor};

/// The school's import that the job `job_id` previews or applies, if any.
pub async fn id_of_job(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    job_id: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT id FROM imports WHERE school_id = $1 AND (preview_job_id = $2 OR apply_job_id = $2)",
    )
    .bind(school_id)
    .bind(job_id)
    .fetch_optional(db)
    .await
}
