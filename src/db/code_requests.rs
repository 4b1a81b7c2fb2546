//! Requests for a new personal code, made by families from the sign-in page
//! and handled by the school (a code issued, or the request dismissed).

use sqlx::{Any, Executor, FromRow};

use super::campaigns::is_current;
use super::{SchoolScope, now_ms};

/// What a family typed, as kept.
pub struct NewRequest<'a> {
    pub school_id: i64,
    pub pupil_last_name: &'a str,
    pub pupil_first_name: &'a str,
    pub birth_date: &'a str,
    pub guardian_name: &'a str,
    pub contact: &'a str,
    /// The pupil of the school the names and birth date match, if one does.
    pub pupil_id: Option<i64>,
    pub ip: &'a str,
}

pub async fn create(
    db: impl Executor<'_, Database = Any>,
    request: &NewRequest<'_>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO code_requests (school_id, pupil_last_name, pupil_first_name, birth_date, guardian_name,
             contact, pupil_id, ip, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(request.school_id)
    .bind(request.pupil_last_name)
    .bind(request.pupil_first_name)
    .bind(request.birth_date)
    .bind(request.guardian_name)
    .bind(request.contact)
    .bind(request.pupil_id)
    .bind(request.ip)
    .bind(now_ms())
    .fetch_one(db)
    .await
}

/// A pupil of a school born on a day, with a dossier in its current campaign:
/// a candidate for a request's names.
#[derive(Debug, Clone, FromRow)]
pub struct Candidate {
    pub pupil_id: i64,
    pub last_name: String,
    pub first_name: String,
}

/// The school's pupils of the current campaign born on `birth_date`
/// (`YYYY-MM-DD`). Used to match a family's request, never shown to it.
pub async fn pupils_born_on(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    birth_date: &str,
) -> sqlx::Result<Vec<Candidate>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT p.id AS pupil_id, p.last_name, p.first_name FROM pupils p
         JOIN dossiers d ON d.pupil_id = p.id JOIN campaigns c ON c.id = d.campaign_id
         WHERE p.school_id = $1 AND c.school_id = $1 AND {} AND p.birth_date = $2
         ORDER BY p.id",
        is_current("c", "$1")
    )))
    .bind(school_id)
    .bind(birth_date)
    .fetch_all(db)
    .await
}

/// A request as the school reads it, with the matched pupil's dossier of
/// the current campaign.
#[derive(Debug, Clone, FromRow)]
pub struct CodeRequest {
    pub id: i64,
    pub pupil_last_name: String,
    pub pupil_first_name: String,
    pub birth_date: String,
    pub guardian_name: String,
    pub contact: String,
    pub pupil_id: Option<i64>,
    pub dossier_id: Option<i64>,
    pub status: String,
    pub created_at: i64,
}

fn select(condition: &str) -> String {
    format!(
        "SELECT r.id, r.pupil_last_name, r.pupil_first_name, r.birth_date, r.guardian_name, r.contact,
                r.pupil_id,
                (SELECT d.id FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
                  WHERE d.pupil_id = r.pupil_id AND c.school_id = $1 AND {}) AS dossier_id,
                r.status, r.created_at
         FROM code_requests r WHERE r.school_id = $1 AND {condition}",
        is_current("c", "$1")
    )
}

/// The school's requests waiting for an answer, oldest first.
pub async fn pending(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<Vec<CodeRequest>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{} ORDER BY r.created_at, r.id LIMIT 500",
        select("r.status = 'pending'")
    )))
    .bind(scope.id())
    .fetch_all(db)
    .await
}

/// How many requests wait for an answer.
pub async fn count_pending(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM code_requests WHERE school_id = $1 AND status = 'pending'",
    )
    .bind(scope.id())
    .fetch_one(db)
    .await
}

/// One request of the school.
pub async fn find(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    id: i64,
) -> sqlx::Result<Option<CodeRequest>> {
    sqlx::query_as(sqlx::AssertSqlSafe(select("r.id = $2")))
        .bind(scope.id())
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Closes a pending request (`issued` or `dismissed`); `false` when it was
/// no longer pending.
pub async fn close(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    id: i64,
    status: &str,
    agent_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE code_requests SET status = $3, handled_by = $4, handled_at = $5
         WHERE school_id = $1 AND id = $2 AND status = 'pending'",
    )
    .bind(scope.id())
    .bind(id)
    .bind(status)
    .bind(agent_id)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The schools a family may address a request to: (id, name, city), by name.
pub async fn schools(
    db: impl Executor<'_, Database = Any>,
) -> sqlx::Result<Vec<(i64, String, String)>> {
    sqlx::query_as("SELECT id, name, city FROM schools ORDER BY name, city, id")
        .fetch_all(db)
        .await
}
