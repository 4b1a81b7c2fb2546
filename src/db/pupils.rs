//! What is known of a pupil beyond their identity (which is
//! [`super::family::pupil`]).

use sqlx::{Any, Executor};

/// The codes of the options the pupil follows this year, in code order
/// (`pupil_options` and what the SIECLE import read).
pub async fn practised_options(
    db: impl Executor<'_, Database = Any>,
    pupil_id: i64,
) -> sqlx::Result<Vec<String>> {
    super::offer::practised_options(db, pupil_id).await
}
