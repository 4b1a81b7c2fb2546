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

/// Creates a school; fails with a unique violation if its UAI exists.
pub async fn create(
    db: impl Executor<'_, Database = Any>,
    uai: &str,
    name: &str,
    academy: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO schools (uai, name, academy, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(uai)
    .bind(name)
    .bind(academy)
    .bind(now_ms())
    .fetch_one(db)
    .await
}

/// A school with the number of its active agents (the operator's list).
#[derive(Debug, Clone, FromRow)]
pub struct SchoolSummary {
    pub uai: String,
    pub name: String,
    pub academy: String,
    pub agents: i64,
}

pub async fn list_with_agent_counts(
    db: impl Executor<'_, Database = Any>,
) -> sqlx::Result<Vec<SchoolSummary>> {
    sqlx::query_as(
        "SELECT s.uai, s.name, s.academy,
                (SELECT COUNT(*) FROM agent_memberships m WHERE m.school_id = s.id AND m.active = TRUE) AS agents
         FROM schools s ORDER BY s.uai",
    )
    .fetch_all(db)
    .await
}
