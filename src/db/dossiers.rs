//! Re-enrolment dossiers: the school's lists and lookups (always within one
//! school), the state writes and the history of states. A state leaves the
//! database as a [`DossierState`], decoded here, never as a string.

use sqlx::any::{AnyTypeInfo, AnyValueRef};
use sqlx::error::BoxDynError;
use sqlx::{Any, Executor, FromRow};

use crate::domain::dossier_state::DossierState;

impl sqlx::Type<Any> for DossierState {
    fn type_info() -> AnyTypeInfo {
        <String as sqlx::Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as sqlx::Type<Any>>::compatible(ty)
    }
}

/// A state column (`dossiers.state`, `dossier_transitions.to_state`) read as
/// a [`DossierState`]; an unknown code (the schema's `CHECK` forbids it) is
/// a decoding error.
impl<'r> sqlx::Decode<'r, Any> for DossierState {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        let code = <String as sqlx::Decode<Any>>::decode(value)?;
        Ok(code.parse::<DossierState>()?)
    }
}

/// How many dossiers of a school are in one state.
#[derive(Debug, Clone, FromRow)]
pub struct StateCount {
    pub state: DossierState,
    pub count: i64,
}

/// Number of dossiers of a school per state (states with none are absent).
pub async fn count_by_state(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<StateCount>> {
    sqlx::query_as(
        "SELECT d.state, COUNT(*) AS count FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
         WHERE c.school_id = $1 GROUP BY d.state",
    )
    .bind(school_id)
    .fetch_all(db)
    .await
}

/// A line of the school's list of dossiers.
#[derive(Debug, Clone, FromRow)]
pub struct DossierLine {
    pub id: i64,
    pub last_name: String,
    pub first_name: String,
    pub division: String,
    pub state: DossierState,
    pub changes: i64,
    pub conflicts: i64,
}

/// The dossiers of a school's current campaign, optionally in one state.
pub async fn list_for_school(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    state: Option<DossierState>,
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
    .bind(state.map(DossierState::code))
    .fetch_all(db)
    .await
}

/// A dossier found within a school.
#[derive(Debug, Clone, FromRow)]
pub struct SchoolDossier {
    pub pupil_id: i64,
    pub state: DossierState,
}

/// The dossier with this id if it belongs to the school.
pub async fn find_in_school(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    dossier_id: i64,
) -> sqlx::Result<Option<SchoolDossier>> {
    sqlx::query_as(
        "SELECT d.pupil_id, d.state FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
         WHERE d.id = $1 AND c.school_id = $2",
    )
    .bind(dossier_id)
    .bind(school_id)
    .fetch_optional(db)
    .await
}
