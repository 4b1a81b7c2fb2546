//! The school's decisions on the changes families proposed
//! (`change_decisions`, see its migration): what the dossier page shows,
//! what the return file to SIECLE keeps (`dossier::decisions::accepted_changes`),
//! what a family reads when its dossier is sent back.

use sqlx::{Any, Executor, FromRow};

use super::{SchoolScope, now_ms};

/// A decision as recorded.
#[derive(Debug, Clone, FromRow)]
pub struct DecisionRow {
    pub change_key: String,
    pub proposed_value: String,
    pub label: String,
    pub proposed_words: String,
    pub decision: String,
    pub reason: String,
    /// The agent's name (empty when the agent was removed).
    pub agent_name: String,
    pub decided_at: i64,
}

impl DecisionRow {
    pub fn accepted(&self) -> bool {
        self.decision == "accepted"
    }
}

/// The decisions on dossier `dossier_id` of the school.
pub async fn list_in_school(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    dossier_id: i64,
) -> sqlx::Result<Vec<DecisionRow>> {
    sqlx::query_as(
        "SELECT x.change_key, x.proposed_value, x.label, x.proposed_words, x.decision, x.reason,
                COALESCE(a.display_name, '') AS agent_name, x.decided_at
         FROM change_decisions x
         JOIN dossiers d ON d.id = x.dossier_id
         JOIN campaigns c ON c.id = d.campaign_id
         LEFT JOIN agents a ON a.id = x.agent_id
         WHERE x.dossier_id = $1 AND c.school_id = $2
         ORDER BY x.decided_at, x.id",
    )
    .bind(dossier_id)
    .bind(scope.id())
    .fetch_all(db)
    .await
}

/// What is decided on one change.
#[derive(Debug, Clone, Copy)]
pub struct Decision<'a> {
    pub dossier_id: i64,
    pub change_key: &'a str,
    pub proposed_value: &'a str,
    pub label: &'a str,
    pub proposed_words: &'a str,
    pub accepted: bool,
    pub reason: &'a str,
    pub agent_id: i64,
}

/// Records `d`, replacing an earlier decision on the same change. The
/// caller checked the dossier is the agent's school's.
pub async fn record(db: impl Executor<'_, Database = Any>, d: Decision<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO change_decisions (dossier_id, change_key, proposed_value, label, proposed_words,
             decision, reason, agent_id, decided_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (dossier_id, change_key) DO UPDATE SET
             proposed_value = excluded.proposed_value, label = excluded.label,
             proposed_words = excluded.proposed_words, decision = excluded.decision,
             reason = excluded.reason, agent_id = excluded.agent_id, decided_at = excluded.decided_at",
    )
    .bind(d.dossier_id)
    .bind(d.change_key)
    .bind(d.proposed_value)
    .bind(d.label)
    .bind(d.proposed_words)
    .bind(if d.accepted { "accepted" } else { "rejected" })
    .bind(d.reason)
    .bind(d.agent_id)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(())
}

/// A change the school rejected, as the family reads it.
#[derive(Debug, Clone, FromRow)]
pub struct RejectedRow {
    pub label: String,
    pub proposed_words: String,
    pub reason: String,
}

/// The rejected changes of dossier `dossier_id` (for its family's page: the
/// caller checked the family's access).
pub async fn rejected(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
) -> sqlx::Result<Vec<RejectedRow>> {
    sqlx::query_as(
        "SELECT label, proposed_words, reason FROM change_decisions
         WHERE dossier_id = $1 AND decision = 'rejected' ORDER BY id",
    )
    .bind(dossier_id)
    .fetch_all(db)
    .await
}

/// The changes the school accepted, in every dossier of its campaigns:
/// (dossier, change key, the value accepted). A decision holds for its
/// value only: the caller matches both.
pub async fn accepted_in_school(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<Vec<(i64, String, String)>> {
    sqlx::query_as(
        "SELECT x.dossier_id, x.change_key, x.proposed_value
         FROM change_decisions x
         JOIN dossiers d ON d.id = x.dossier_id
         JOIN campaigns c ON c.id = d.campaign_id
         WHERE c.school_id = $1 AND x.decision = 'accepted'",
    )
    .bind(scope.id())
    .fetch_all(db)
    .await
}
