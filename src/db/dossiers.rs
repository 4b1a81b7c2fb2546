//! Re-enrolment dossiers.

use sqlx::{Any, Executor};

/// Number of dossiers of a school per state (states with none are absent).
pub async fn count_by_state(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "SELECT d.state, COUNT(*) FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
         WHERE c.school_id = $1 GROUP BY d.state",
    )
    .bind(school_id)
    .fetch_all(db)
    .await
}

/// A line of the school's list of dossiers.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DossierLine {
    pub id: i64,
    pub last_name: String,
    pub first_name: String,
    pub division: String,
    pub state: String,
    pub changes: i64,
    pub conflicts: i64,
}

/// The dossiers of a school's current campaign, optionally in one state.
pub async fn list_for_school(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    state: Option<&str>,
) -> sqlx::Result<Vec<DossierLine>> {
    sqlx::query_as(
        "SELECT d.id, p.last_name, p.first_name, p.division, d.state,
            (SELECT COUNT(*) FROM pupil_changes pc WHERE pc.dossier_id = d.id)
              + (SELECT COUNT(*) FROM guardian_changes gc JOIN guardianships l ON l.guardian_id = gc.guardian_id
                 WHERE l.pupil_id = p.id) AS changes,
            (SELECT COUNT(*) FROM (SELECT a.question FROM dossier_answers a WHERE a.dossier_id = d.id
                 GROUP BY a.question HAVING COUNT(DISTINCT a.answer) > 1) q) AS conflicts
         FROM dossiers d
         JOIN pupils p ON p.id = d.pupil_id
         JOIN campaigns c ON c.id = d.campaign_id
         WHERE c.school_id = $1
           AND c.school_year = (SELECT MAX(c2.school_year) FROM campaigns c2 WHERE c2.school_id = $1)
           AND ($2 IS NULL OR d.state = $2)
         ORDER BY p.last_name, p.first_name
         LIMIT 2000",
    )
    .bind(school_id)
    .bind(state)
    .fetch_all(db)
    .await
}

/// The dossier with this id if it belongs to the school: (pupil id, state).
pub async fn find_in_school(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    dossier_id: i64,
) -> sqlx::Result<Option<(i64, String)>> {
    sqlx::query_as(
        "SELECT d.pupil_id, d.state FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
         WHERE d.id = $1 AND c.school_id = $2",
    )
    .bind(dossier_id)
    .bind(school_id)
    .fetch_optional(db)
    .await
}
