//! The quotas of a dossier (`domain::limits`) enforced where uploads are
//! written: the dossier's row is locked, what it holds is counted and the
//! new upload inserted in one transaction, so two requests at once cannot
//! both slip under a limit, on SQLite and PostgreSQL alike.

use crate::db::{Db, Tx, now_ms};
use crate::domain::limits::{Quota, Usage};

/// Locks the dossier's row until the transaction ends: on PostgreSQL the
/// row lock of an `UPDATE` (here a no-op one, portable SQL) makes a second
/// writer wait; SQLite already serialises writers (`Db::begin` takes the
/// write lock). The counts read after it are then final.
pub async fn lock_dossier(tx: &mut Tx, dossier_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE dossiers SET updated_at = updated_at WHERE id = $1")
        .bind(dossier_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What the dossier holds (pieces refused by the school not counted).
pub async fn usage<'c, E>(executor: E, dossier_id: i64, piece_id: i64) -> sqlx::Result<Usage>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let (piece_files, dossier_files, dossier_bytes): (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(CASE WHEN expected_document_id = $2 THEN 1 END), COUNT(*),
                CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT)
         FROM uploads WHERE dossier_id = $1 AND status <> 'refused'",
    )
    .bind(dossier_id)
    .bind(piece_id)
    .fetch_one(executor)
    .await?;
    Ok(Usage {
        piece_files,
        dossier_files,
        dossier_bytes,
    })
}

/// An upload checked and stored, to record.
pub struct NewUpload<'a> {
    pub dossier_id: i64,
    pub piece_id: i64,
    pub guardian_id: i64,
    pub storage_key: &'a str,
    pub original_name: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub source_key: Option<&'a str>,
}

/// Records `upload` if it fits in the dossier's quotas; otherwise records
/// nothing and says which limit it would cross.
pub async fn insert_upload(db: &Db, upload: &NewUpload<'_>) -> sqlx::Result<Result<(), Quota>> {
    let mut tx = db.begin().await?;
    lock_dossier(&mut tx, upload.dossier_id).await?;
    let usage = usage(&mut *tx, upload.dossier_id, upload.piece_id).await?;
    if let Err(quota) = usage.admits(upload.size_bytes) {
        tx.rollback().await?;
        return Ok(Err(quota));
    }
    sqlx::query(
        "INSERT INTO uploads (dossier_id, expected_document_id, guardian_id, storage_key, original_name, content_type, size_bytes, created_at, source_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(upload.dossier_id)
    .bind(upload.piece_id)
    .bind(upload.guardian_id)
    .bind(upload.storage_key)
    .bind(upload.original_name)
    .bind(upload.content_type)
    .bind(upload.size_bytes)
    .bind(now_ms())
    .bind(upload.source_key)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}
