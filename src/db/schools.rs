//! Schools (établissements).

use sqlx::{Any, Executor, FromRow};

use super::now_ms;

#[derive(Debug, Clone, FromRow)]
pub struct School {
    pub id: i64,
    pub uai: String,
    pub name: String,
    pub city: String,
    pub academy: String,
}

pub async fn find_by_uai<'e>(
    db: impl Executor<'e, Database = Any>,
    uai: &str,
) -> sqlx::Result<Option<School>> {
    sqlx::query_as("SELECT id, uai, name, city, academy FROM schools WHERE uai = $1")
        .bind(uai)
        .fetch_optional(db)
        .await
}

pub async fn find(db: impl Executor<'_, Database = Any>, id: i64) -> sqlx::Result<Option<School>> {
    sqlx::query_as("SELECT id, uai, name, city, academy FROM schools WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Creates the school or updates its name, city and académie; returns its id.
pub async fn upsert(
    db: impl Executor<'_, Database = Any>,
    uai: &str,
    name: &str,
    city: &str,
    academy: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO schools (uai, name, city, academy, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (uai) DO UPDATE SET name = excluded.name, city = excluded.city, academy = excluded.academy
         RETURNING id",
    )
    .bind(uai)
    .bind(name)
    .bind(city)
    .bind(academy)
    .bind(now_ms())
    .fetch_one(db)
    .await
}
