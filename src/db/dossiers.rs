//! Re-enrolment dossiers: the school's lists and lookups (always within one
//! school), the state writes and the history of states. A state leaves the
//! database as a [`DossierState`], decoded here, never as a string.

use sqlx::any::{AnyTypeInfo, AnyValueRef};
use sqlx::error::BoxDynError;
use sqlx::{Any, Executor, FromRow};

use super::SchoolScope;
use super::campaigns;
use super::family::{Guardian, guardian_columns};
use super::now_ms;
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

/// Number of dossiers of a school's current campaign per state (states
/// with none are absent; last year's dossiers are not counted).
pub async fn count_by_state(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<StateCount>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT d.state, COUNT(*) AS count FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
         WHERE c.school_id = $1 AND {} GROUP BY d.state",
        campaigns::is_current("c", "$1")
    )))
    .bind(school_id)
    .fetch_all(db)
    .await
}

/// How many dossiers of the current campaign are in one state, for one
/// class (division) and one MEF (its label, "" when unknown).
#[derive(Debug, Clone, FromRow)]
pub struct GroupCount {
    pub division: String,
    pub mef_label: String,
    pub state: DossierState,
    pub count: i64,
}

/// The dashboard's counts: per class, MEF and state, for the current campaign.
pub async fn count_by_class_and_mef(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<Vec<GroupCount>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT p.division, COALESCE(m.label, '') AS mef_label, d.state, COUNT(*) AS count
         FROM dossiers d
         JOIN campaigns c ON c.id = d.campaign_id
         JOIN pupils p ON p.id = d.pupil_id
         LEFT JOIN mefs m ON m.id = p.mef_id
         WHERE c.school_id = $1 AND {}
         GROUP BY p.division, COALESCE(m.label, ''), d.state",
        campaigns::is_current("c", "$1")
    )))
    .bind(scope.id())
    .fetch_all(db)
    .await
}

/// A dossier the family has not sent yet (not started, or started).
#[derive(Debug, Clone, FromRow)]
pub struct LeftDossier {
    pub id: i64,
    pub last_name: String,
    pub first_name: String,
    pub division: String,
    pub state: DossierState,
    /// The last time one of its guardians moved through the journey.
    pub last_visit: Option<i64>,
}

/// Who is left: the current campaign's dossiers not started or started but
/// not sent, by state, class and name.
pub async fn left_to_finish(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    limit: i64,
) -> sqlx::Result<Vec<LeftDossier>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT d.id, p.last_name, p.first_name, p.division, d.state,
                (SELECT MAX(gp.updated_at) FROM guardian_progress gp WHERE gp.dossier_id = d.id) AS last_visit
         FROM dossiers d
         JOIN campaigns c ON c.id = d.campaign_id
         JOIN pupils p ON p.id = d.pupil_id
         WHERE c.school_id = $1 AND {} AND d.state IN ('not_started', 'started')
         ORDER BY d.state, p.division, p.last_name, p.first_name, d.id
         LIMIT $2",
        campaigns::is_current("c", "$1")
    )))
    .bind(scope.id())
    .bind(limit)
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
    scope: SchoolScope,
    dossier_id: i64,
) -> sqlx::Result<Option<SchoolDossier>> {
    let school_id = scope.id();
    sqlx::query_as(
        "SELECT d.pupil_id, d.state FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
         WHERE d.id = $1 AND c.school_id = $2",
    )
    .bind(dossier_id)
    .bind(school_id)
    .fetch_optional(db)
    .await
}

/// Moves a dossier of the school from `from` to `to` in one statement;
/// false when it was no longer in `from` (another request moved it) or is not
/// the school's. `submitted_by`: the guardian who sent it (then the sending
/// time is kept too); `return_reason`: why the school sent it back. Called by
/// `dossier::transition` only, which records the move.
pub async fn move_state(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    dossier_id: i64,
    from: DossierState,
    to: DossierState,
    submitted_by: Option<i64>,
    return_reason: Option<&str>,
) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE dossiers SET state = $2, updated_at = $3,
             submitted_at = CASE WHEN $4 > 0 THEN $3 ELSE submitted_at END,
             submitted_by = CASE WHEN $4 > 0 THEN $4 ELSE submitted_by END,
             return_reason = CASE WHEN $5 THEN $6 ELSE return_reason END
         WHERE id = $1 AND state = $7
           AND campaign_id IN (SELECT id FROM campaigns WHERE school_id = $8)",
    )
    .bind(dossier_id)
    .bind(to.code())
    .bind(now_ms())
    .bind(submitted_by.unwrap_or(0))
    .bind(return_reason.is_some())
    .bind(return_reason.unwrap_or(""))
    .bind(from.code())
    .bind(school_id)
    .execute(db)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Why the school sent the dossier back (empty if it did not).
pub async fn return_reason(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
) -> sqlx::Result<String> {
    sqlx::query_scalar("SELECT return_reason FROM dossiers WHERE id = $1")
        .bind(dossier_id)
        .fetch_one(db)
        .await
}

/// Who last sent the dossier (a guardian id), if anybody did.
pub async fn submitted_by(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT submitted_by FROM dossiers WHERE id = $1")
        .bind(dossier_id)
        .fetch_one(db)
        .await
}

/// When the dossier was last sent (Unix ms), if ever.
pub async fn submitted_at(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT submitted_at FROM dossiers WHERE id = $1")
        .bind(dossier_id)
        .fetch_one(db)
        .await
}

/// The guardians of a pupil of the school, by rank.
pub async fn guardians_in_school(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    pupil_id: i64,
) -> sqlx::Result<Vec<Guardian>> {
    let school_id = scope.id();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM guardians g JOIN guardianships l ON l.guardian_id = g.id
         JOIN pupils p ON p.id = l.pupil_id
         WHERE l.pupil_id = $1 AND p.school_id = $2 ORDER BY l.rank",
        guardian_columns("g")
    )))
    .bind(pupil_id)
    .bind(school_id)
    .fetch_all(db)
    .await
}

/// The guardian `guardian_id` if they are responsible for `pupil_id`, a
/// pupil of the school.
pub async fn guardian_in_school(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    pupil_id: i64,
    guardian_id: i64,
) -> sqlx::Result<Option<Guardian>> {
    let school_id = scope.id();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM guardians g JOIN guardianships l ON l.guardian_id = g.id
         JOIN pupils p ON p.id = l.pupil_id
         WHERE l.pupil_id = $1 AND g.id = $2 AND p.school_id = $3",
        guardian_columns("g")
    )))
    .bind(pupil_id)
    .bind(guardian_id)
    .bind(school_id)
    .fetch_optional(db)
    .await
}

/// The guardians of pupil `pupil_id` of the school, by rank.
pub async fn guardian_ids_in_school(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    pupil_id: i64,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT l.guardian_id FROM guardianships l JOIN pupils p ON p.id = l.pupil_id
         WHERE l.pupil_id = $1 AND p.school_id = $2 ORDER BY l.rank, l.guardian_id",
    )
    .bind(pupil_id)
    .bind(scope.id())
    .fetch_all(db)
    .await
}

/// Whether this guardian already gave their opinion on the service.
pub async fn satisfaction_given(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    guardian_id: i64,
) -> sqlx::Result<bool> {
    let given: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM satisfaction WHERE dossier_id = $1 AND guardian_id = $2",
    )
    .bind(dossier_id)
    .bind(guardian_id)
    .fetch_one(db)
    .await?;
    Ok(given > 0)
}

/// Keeps a guardian's mark (1–5) and comment, replacing an earlier one.
pub async fn record_satisfaction(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    guardian_id: i64,
    mark: i64,
    comment: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO satisfaction (dossier_id, guardian_id, mark, comment, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (dossier_id, guardian_id) DO UPDATE SET mark = excluded.mark, comment = excluded.comment",
    )
    .bind(dossier_id)
    .bind(guardian_id)
    .bind(mark)
    .bind(comment)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(())
}

/// Records a change of state of a dossier (who, when, from where).
#[expect(clippy::too_many_arguments, reason = "one column each")]
pub async fn record_transition(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    from: DossierState,
    to: DossierState,
    actor_kind: &str,
    actor_id: i64,
    ip: &str,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO dossier_transitions (dossier_id, from_state, to_state, actor_kind, actor_id, ip, reason, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(dossier_id)
    .bind(from.code())
    .bind(to.code())
    .bind(actor_kind)
    .bind(actor_id)
    .bind(ip)
    .bind(reason)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(())
}
