//! Medical notes: what a guardian tells the nurse. The school side reads
//! them for the nurse only (the handler checks `ReadMedical`).

use sqlx::{Any, Executor, FromRow};

use super::SchoolScope;
use super::now_ms;

/// How a guardian passes medical information: `nothing`, `online` (with the
/// note) or `sealed` (a paper form in an envelope).
#[derive(Debug, Clone, FromRow)]
pub struct MedicalNote {
    pub mode: String,
    pub note: String,
}

/// This guardian's note in a dossier, if they gave one.
pub async fn find(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    guardian_id: i64,
) -> sqlx::Result<Option<MedicalNote>> {
    sqlx::query_as(
        "SELECT mode, note FROM medical_notes WHERE dossier_id = $1 AND guardian_id = $2",
    )
    .bind(dossier_id)
    .bind(guardian_id)
    .fetch_optional(db)
    .await
}

/// A guardian's note in a dossier of the school.
pub async fn find_in_school(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    dossier_id: i64,
    guardian_id: i64,
) -> sqlx::Result<Option<MedicalNote>> {
    let school_id = scope.id();
    sqlx::query_as(
        "SELECT m.mode, m.note FROM medical_notes m
         JOIN dossiers d ON d.id = m.dossier_id JOIN campaigns c ON c.id = d.campaign_id
         WHERE m.dossier_id = $1 AND m.guardian_id = $2 AND c.school_id = $3",
    )
    .bind(dossier_id)
    .bind(guardian_id)
    .bind(school_id)
    .fetch_optional(db)
    .await
}

/// Keeps this guardian's note, replacing the previous one.
pub async fn save(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    guardian_id: i64,
    mode: &str,
    note: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO medical_notes (dossier_id, guardian_id, mode, note, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (dossier_id, guardian_id) DO UPDATE SET mode = excluded.mode, note = excluded.note, updated_at = excluded.updated_at",
    )
    .bind(dossier_id)
    .bind(guardian_id)
    .bind(mode)
    .bind(note)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(())
}
