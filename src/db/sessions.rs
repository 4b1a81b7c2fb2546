//! Server-side sessions of signed-in agents and guardians.
//!
//! The browser holds a random token; the table holds its SHA-256, so a leaked
//! database does not give away live sessions.

use sqlx::{Any, Executor, FromRow};

use super::now_ms;

/// Who a session belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Agent(i64),
    Guardian(i64),
}

pub async fn create(
    db: impl Executor<'_, Database = Any>,
    token_hash: &str,
    owner: Owner,
    expires_at: i64,
    ip: &str,
) -> sqlx::Result<()> {
    let (agent_id, guardian_id) = match owner {
        Owner::Agent(id) => (Some(id), None),
        Owner::Guardian(id) => (None, Some(id)),
    };
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (token_hash, agent_id, guardian_id, created_at, last_seen_at, expires_at, ip)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token_hash)
    .bind(agent_id)
    .bind(guardian_id)
    .bind(now)
    .bind(now)
    .bind(expires_at)
    .bind(ip)
    .execute(db)
    .await?;
    Ok(())
}

/// A live session with what the pages need to know of its owner, read in
/// one query per request.
#[derive(Debug, Clone, FromRow)]
pub struct SessionView {
    pub token_hash: String,
    pub agent_id: Option<i64>,
    pub guardian_id: Option<i64>,
    pub last_seen_at: i64,
    pub display_name: Option<String>,
    /// A guardian's school. An agent's school is the one of the URL, checked
    /// against their memberships (`web::auth::CurrentAgent`).
    pub school_id: Option<i64>,
    pub school_uai: Option<String>,
    pub school_name: Option<String>,
    /// An agent filling a dossier with the family at the desk: the dossier,
    /// the guardian they act as, and the dossier's school.
    pub assisted_dossier_id: Option<i64>,
    pub assisted_guardian_id: Option<i64>,
    pub assisted_school_id: Option<i64>,
    pub assisted_uai: Option<String>,
}

/// The live session with this token hash, if any.
pub async fn find_live(
    db: impl Executor<'_, Database = Any>,
    token_hash: &str,
) -> sqlx::Result<Option<SessionView>> {
    sqlx::query_as(
        "SELECT s.token_hash, s.agent_id, s.guardian_id, s.last_seen_at,
                COALESCE(a.display_name, g.first_name || ' ' || g.last_name) AS display_name,
                sc.id AS school_id, sc.uai AS school_uai, sc.name AS school_name,
                s.assisted_dossier_id, s.assisted_guardian_id, asch.id AS assisted_school_id, asch.uai AS assisted_uai
         FROM sessions s
         LEFT JOIN agents a ON a.id = s.agent_id
         LEFT JOIN guardians g ON g.id = s.guardian_id
         LEFT JOIN schools sc ON sc.id = g.school_id
         LEFT JOIN pupils ap ON ap.id = (SELECT d.pupil_id FROM dossiers d WHERE d.id = s.assisted_dossier_id)
         LEFT JOIN schools asch ON asch.id = ap.school_id
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now_ms())
    .fetch_optional(db)
    .await
}

/// Starts (`Some((dossier_id, guardian_id))`) or ends (`None`) the assisted
/// mode of an agent's session.
pub async fn set_assisted(
    db: impl Executor<'_, Database = Any>,
    token_hash: &str,
    assisted: Option<(i64, i64)>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE sessions SET assisted_dossier_id = $2, assisted_guardian_id = $3
         WHERE token_hash = $1 AND agent_id IS NOT NULL",
    )
    .bind(token_hash)
    .bind(assisted.map(|a| a.0))
    .bind(assisted.map(|a| a.1))
    .execute(db)
    .await?;
    Ok(())
}

pub async fn touch(db: impl Executor<'_, Database = Any>, token_hash: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
        .bind(token_hash)
        .bind(now_ms())
        .execute(db)
        .await?;
    Ok(())
}

pub async fn delete(db: impl Executor<'_, Database = Any>, token_hash: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Ends every session of `owner`, wherever they were opened (their access
/// code was re-issued: whoever signed in with the old one is out); returns
/// how many.
pub async fn delete_all_of(
    db: impl Executor<'_, Database = Any>,
    owner: Owner,
) -> sqlx::Result<u64> {
    let done = match owner {
        Owner::Agent(id) => sqlx::query("DELETE FROM sessions WHERE agent_id = $1").bind(id),
        Owner::Guardian(id) => sqlx::query("DELETE FROM sessions WHERE guardian_id = $1").bind(id),
    }
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Removes expired sessions; returns how many.
pub async fn purge_expired(db: impl Executor<'_, Database = Any>) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now_ms())
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
