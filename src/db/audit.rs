//! The audit trail: who did what, when, from where. Never personal data in
//! `subject`: ids and codes only.

use sqlx::{Any, Executor, FromRow};

use super::now_ms;

/// Who acted.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    Agent(i64),
    Guardian(i64),
    System,
    Anonymous,
}

impl Actor {
    fn parts(self) -> (&'static str, Option<i64>) {
        match self {
            Actor::Agent(id) => ("agent", Some(id)),
            Actor::Guardian(id) => ("guardian", Some(id)),
            Actor::System => ("system", None),
            Actor::Anonymous => ("anonymous", None),
        }
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct AuditEvent {
    pub id: i64,
    pub school_id: Option<i64>,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub action: String,
    pub subject: String,
    pub ip: String,
    pub created_at: i64,
}

pub async fn record(
    db: impl Executor<'_, Database = Any>,
    school_id: Option<i64>,
    actor: Actor,
    action: &str,
    subject: &str,
    ip: &str,
) -> sqlx::Result<()> {
    let (kind, id) = actor.parts();
    sqlx::query(
        "INSERT INTO audit_events (school_id, actor_kind, actor_id, action, subject, ip, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(school_id)
    .bind(kind)
    .bind(id)
    .bind(action)
    .bind(subject)
    .bind(ip)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(())
}

pub async fn list_for_school(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<AuditEvent>> {
    sqlx::query_as(
        "SELECT id, school_id, actor_kind, actor_id, action, subject, ip, created_at FROM audit_events
         WHERE school_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(school_id)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Every event, newest first (tests and the operator's CLI).
pub async fn list_recent(
    db: impl Executor<'_, Database = Any>,
    limit: i64,
) -> sqlx::Result<Vec<AuditEvent>> {
    sqlx::query_as(
        "SELECT id, school_id, actor_kind, actor_id, action, subject, ip, created_at FROM audit_events
         ORDER BY created_at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await
}
