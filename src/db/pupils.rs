//! What is known of a pupil beyond their identity (which is
//! [`super::family::pupil`]).

use sqlx::{Any, Executor};

/// The codes of the options the pupil follows this year, in code order.
pub async fn practised_options(
    db: impl Executor<'_, Database = Any>,
    pupil_id: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT o.code FROM pupil_options po JOIN subject_options o ON o.id = po.option_id WHERE po.pupil_id = $1 ORDER BY o.code",
    )
    .bind(pupil_id)
    .fetch_all(db)
    .await
}
