//! The number of parts (NB_PART) of the pupils' grants, which SIECLE's exports
//! do not carry: entered by the school for its current campaign, read by the
//! return file (docs/SIECLE-RETURN.md, check 30). Every read and write is
//! scoped to the school.

use sqlx::{AnyPool, FromRow};

use super::campaigns::is_current;
use super::{SchoolScope, Tx, now_ms};

/// A grant of a pupil of the current campaign, as imported, with the number
/// of parts the school entered.
#[derive(Debug, Clone, FromRow)]
pub struct GrantRow {
    pub pupil_id: i64,
    pub last_name: String,
    pub first_name: String,
    pub division: String,
    /// CODE_BOURSE.
    pub code: String,
    pub parts: Option<i64>,
}

/// The grants of the pupils of the school's current campaign (every
/// dossier, whatever its state), by name.
pub async fn of_current_campaign(
    pool: &AnyPool,
    scope: SchoolScope,
) -> sqlx::Result<Vec<GrantRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT p.id AS pupil_id, p.last_name, p.first_name, p.division, g.code, gp.parts
         FROM dossiers d
         JOIN campaigns c ON c.id = d.campaign_id
         JOIN pupils p ON p.id = d.pupil_id AND p.school_id = c.school_id
         JOIN pupil_grants g ON g.pupil_id = p.id
         LEFT JOIN grant_parts gp
           ON gp.campaign_id = c.id AND gp.pupil_id = g.pupil_id AND gp.code = g.code
         WHERE c.school_id = $1 AND {}
         ORDER BY p.last_name, p.first_name, p.id, g.code",
        is_current("c", "$1")
    )))
    .bind(scope.id())
    .fetch_all(pool)
    .await
}

/// One grant's number of parts to record: `None` forgets the figure.
#[derive(Debug, Clone)]
pub struct PartsIn {
    pub pupil_id: i64,
    pub code: String,
    pub parts: Option<u8>,
}

/// Records the numbers of parts for the school's current campaign, in `tx`;
/// a grant the school's current campaign does not hold (another school's
/// pupil, a grant gone with a re-import) is skipped. Returns how many rows
/// changed.
pub async fn record(
    tx: &mut Tx,
    scope: SchoolScope,
    agent_id: i64,
    lines: &[PartsIn],
) -> sqlx::Result<u64> {
    let now = now_ms();
    let mut changed = 0;
    for line in lines {
        let done = match line.parts {
            Some(parts) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO grant_parts (campaign_id, pupil_id, code, parts, agent_id, updated_at)
                     SELECT DISTINCT c.id, g.pupil_id, g.code, $4, $5, $6
                     FROM campaigns c
                     JOIN dossiers d ON d.campaign_id = c.id
                     JOIN pupils p ON p.id = d.pupil_id AND p.school_id = c.school_id
                     JOIN pupil_grants g ON g.pupil_id = p.id
                     WHERE c.school_id = $1 AND {} AND g.pupil_id = $2 AND g.code = $3
                     ON CONFLICT (campaign_id, pupil_id, code) DO UPDATE SET
                         parts = excluded.parts, agent_id = excluded.agent_id,
                         updated_at = excluded.updated_at
                     WHERE grant_parts.parts <> excluded.parts",
                is_current("c", "$1")
            )))
                .bind(scope.id())
                .bind(line.pupil_id)
                .bind(&line.code)
                .bind(i64::from(parts))
                .bind(agent_id)
                .bind(now)
                .execute(&mut **tx)
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM grant_parts
                     WHERE pupil_id = $2 AND code = $3 AND campaign_id IN (
                         SELECT c.id FROM campaigns c WHERE c.school_id = $1 AND {})",
                    is_current("c", "$1")
                )))
                .bind(scope.id())
                .bind(line.pupil_id)
                .bind(&line.code)
                .execute(&mut **tx)
                .await?
            }
        };
        changed += done.rows_affected();
    }
    Ok(changed)
}
