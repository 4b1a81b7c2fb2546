//! Emergency contacts of a dossier. What a guardian may see of them is
//! [`super::family::emergency_contacts_seen_by`]; the school sees them all.

use sqlx::{Any, Executor, FromRow};

use super::SchoolScope;
use super::now_ms;

/// How many contacts the dossier has (all guardians together).
pub async fn count(db: impl Executor<'_, Database = Any>, dossier_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM emergency_contacts WHERE dossier_id = $1")
        .bind(dossier_id)
        .fetch_one(db)
        .await
}

/// Adds a contact given by `guardian_id`.
pub async fn add(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    guardian_id: i64,
    name: &str,
    relationship: &str,
    phone: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO emergency_contacts (dossier_id, added_by, name, relationship, phone, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(dossier_id)
    .bind(guardian_id)
    .bind(name)
    .bind(relationship)
    .bind(phone)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(())
}

/// Removes a contact that `guardian_id` added; false when there is no such
/// contact (another guardian's contacts are theirs to remove).
pub async fn remove_own(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    guardian_id: i64,
    contact_id: i64,
) -> sqlx::Result<bool> {
    let removed = sqlx::query(
        "DELETE FROM emergency_contacts WHERE id = $1 AND dossier_id = $2 AND added_by = $3",
    )
    .bind(contact_id)
    .bind(dossier_id)
    .bind(guardian_id)
    .execute(db)
    .await?;
    Ok(removed.rows_affected() > 0)
}

/// A contact as the school sees it.
#[derive(Debug, Clone, FromRow)]
pub struct SchoolContact {
    pub name: String,
    pub relationship: String,
    pub phone: String,
}

/// Every contact of a dossier of the school, in the order given.
pub async fn list_in_school(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    dossier_id: i64,
) -> sqlx::Result<Vec<SchoolContact>> {
    let school_id = scope.id();
    sqlx::query_as(
        "SELECT e.name, e.relationship, e.phone FROM emergency_contacts e
         JOIN dossiers d ON d.id = e.dossier_id JOIN campaigns c ON c.id = d.campaign_id
         WHERE e.dossier_id = $1 AND c.school_id = $2 ORDER BY e.id",
    )
    .bind(dossier_id)
    .bind(school_id)
    .fetch_all(db)
    .await
}
