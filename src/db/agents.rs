//! School agents and their credentials.

use sqlx::{Any, Executor, FromRow};

use super::now_ms;

#[derive(Debug, Clone, FromRow)]
pub struct Agent {
    pub id: i64,
    pub school_id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: Option<String>,
}

/// (`failed_sign_ins` and `locked_until` are no longer used for agents: their
/// failures are counted per address in `sign_in_failures`.)
const COLUMNS: &str = "id, school_id, email, display_name, role, password_hash";

pub async fn find_by_email(
    db: impl Executor<'_, Database = Any>,
    email: &str,
) -> sqlx::Result<Option<Agent>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM agents WHERE email = $1"
    )))
    .bind(email.trim().to_lowercase())
    .fetch_optional(db)
    .await
}

pub async fn find(db: impl Executor<'_, Database = Any>, id: i64) -> sqlx::Result<Option<Agent>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM agents WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await
}

pub async fn list_for_school(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<Agent>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM agents WHERE school_id = $1 ORDER BY display_name"
    )))
    .bind(school_id)
    .fetch_all(db)
    .await
}

/// Creates the agent, or updates the name, role and password of the agent
/// with that e-mail; returns its id.
pub async fn upsert(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    email: &str,
    display_name: &str,
    role: &str,
    password_hash: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO agents (school_id, email, display_name, role, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (email) DO UPDATE SET display_name = excluded.display_name, role = excluded.role,
             password_hash = excluded.password_hash, school_id = excluded.school_id
         RETURNING id",
    )
    .bind(school_id)
    .bind(email.trim().to_lowercase())
    .bind(display_name)
    .bind(role)
    .bind(password_hash)
    .bind(now_ms())
    .fetch_one(db)
    .await
}

pub async fn record_sign_in(db: impl Executor<'_, Database = Any>, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE agents SET last_sign_in_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now_ms())
        .execute(db)
        .await?;
    Ok(())
}

/// Claims the right to tell the agent of failed sign-ins: true (and noted)
/// unless they were told less than `every_ms` ago, so that an attack from
/// many addresses sends at most one message per period.
pub async fn claim_failure_notice(
    db: impl Executor<'_, Database = Any>,
    id: i64,
    now: i64,
    every_ms: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE agents SET failure_notice_at = $2
         WHERE id = $1 AND (failure_notice_at IS NULL OR failure_notice_at <= $3)",
    )
    .bind(id)
    .bind(now)
    .bind(now - every_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
