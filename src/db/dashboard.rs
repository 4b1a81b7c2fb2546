//! What the school's dashboard reads beyond the counts by state
//! (`super::dossiers`): when dossiers were sent and validated, the guardians
//! who never came, what needs the school, the satisfaction marks. Always the
//! current campaign of one school.

use sqlx::{Any, Executor, FromRow};

use super::SchoolScope;
use super::campaigns::is_current;

/// When a dossier of the current campaign was first sent and first
/// validated, as recorded (transitions; `submitted_at` for a dossier sent
/// before transitions were kept).
#[derive(Debug, Clone, FromRow)]
pub struct CompletionTimes {
    pub sent_at: Option<i64>,
    pub validated_at: Option<i64>,
}

/// The completion instants of the current campaign's dossiers of pupils who
/// stay.
pub async fn completion_times(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<Vec<CompletionTimes>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COALESCE((SELECT MIN(t.created_at) FROM dossier_transitions t
                           WHERE t.dossier_id = d.id AND t.to_state = 'submitted'), d.submitted_at) AS sent_at,
                (SELECT MIN(t.created_at) FROM dossier_transitions t
                  WHERE t.dossier_id = d.id AND t.to_state = 'validated') AS validated_at
         FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
         WHERE c.school_id = $1 AND {} AND d.state <> 'leaving'",
        is_current("c", "$1")
    )))
    .bind(scope.id())
    .fetch_all(db)
    .await
}

/// The current campaign's opening and closing days (`YYYY-MM-DD`), if set.
pub async fn campaign_days(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<Option<(Option<String>, Option<String>)>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.opens_on, c.closes_on FROM campaigns c WHERE c.school_id = $1 AND {}",
        is_current("c", "$1")
    )))
    .bind(scope.id())
    .fetch_optional(db)
    .await
}

/// A guardian of a pupil who stays, with one of their children (one row per
/// child) and when they last signed in.
#[derive(Debug, Clone, FromRow)]
pub struct GuardianVisit {
    pub guardian_id: i64,
    pub civility: String,
    pub first_name: String,
    pub last_name: String,
    pub has_email: bool,
    pub has_mobile: bool,
    pub last_sign_in_at: Option<i64>,
    pub dossier_id: i64,
    pub pupil_first_name: String,
    pub pupil_last_name: String,
    pub division: String,
}

/// The guardians of the current campaign's pupils who stay, and how many of
/// them ever signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct GuardianCounts {
    pub guardians: i64,
    pub came: i64,
}

/// The pupils who stay and their guardians, in the current campaign.
fn staying_guardians() -> String {
    format!(
        "FROM dossiers d
         JOIN campaigns c ON c.id = d.campaign_id
         JOIN pupils p ON p.id = d.pupil_id
         JOIN guardianships gs ON gs.pupil_id = p.id
         JOIN guardians g ON g.id = gs.guardian_id
         WHERE c.school_id = $1 AND {} AND d.state <> 'leaving'",
        is_current("c", "$1")
    )
}

pub async fn guardian_counts(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<GuardianCounts> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(DISTINCT g.id) AS guardians,
                COUNT(DISTINCT CASE WHEN g.last_sign_in_at IS NOT NULL THEN g.id END) AS came
         {}",
        staying_guardians()
    )))
    .bind(scope.id())
    .fetch_one(db)
    .await
}

/// The first `limit` guardians (by name) of the current campaign's pupils
/// who stay who never signed in, a row per pupil of theirs, by guardian
/// name then pupil name.
pub async fn never_came(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    limit: i64,
) -> sqlx::Result<Vec<GuardianVisit>> {
    let staying = staying_guardians();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT g.id AS guardian_id, g.civility, g.first_name, g.last_name,
                CASE WHEN g.email <> '' THEN 1 ELSE 0 END AS has_email_n,
                CASE WHEN g.phone_mobile <> '' THEN 1 ELSE 0 END AS has_mobile_n,
                g.last_sign_in_at, d.id AS dossier_id, p.first_name AS pupil_first_name,
                p.last_name AS pupil_last_name, p.division
         {staying} AND g.id IN (
             SELECT g.id {staying} AND g.last_sign_in_at IS NULL
             GROUP BY g.id, g.last_name, g.first_name
             ORDER BY g.last_name, g.first_name, g.id LIMIT $2)
         ORDER BY g.last_name, g.first_name, g.id, p.last_name, p.first_name"
    )))
    .bind(scope.id())
    .bind(limit)
    .fetch_all(db)
    .await
    .map(|rows: Vec<GuardianVisitRow>| rows.into_iter().map(GuardianVisit::from).collect())
}

#[derive(FromRow)]
struct GuardianVisitRow {
    guardian_id: i64,
    civility: String,
    first_name: String,
    last_name: String,
    has_email_n: i64,
    has_mobile_n: i64,
    last_sign_in_at: Option<i64>,
    dossier_id: i64,
    pupil_first_name: String,
    pupil_last_name: String,
    division: String,
}

impl From<GuardianVisitRow> for GuardianVisit {
    fn from(r: GuardianVisitRow) -> Self {
        Self {
            guardian_id: r.guardian_id,
            civility: r.civility,
            first_name: r.first_name,
            last_name: r.last_name,
            has_email: r.has_email_n != 0,
            has_mobile: r.has_mobile_n != 0,
            last_sign_in_at: r.last_sign_in_at,
            dossier_id: r.dossier_id,
            pupil_first_name: r.pupil_first_name,
            pupil_last_name: r.pupil_last_name,
            division: r.division,
        }
    }
}

/// The current campaign's dossiers of pupils who stay none of whose
/// guardians ever signed in.
pub async fn never_visited(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT d.id FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
         WHERE c.school_id = $1 AND {} AND d.state <> 'leaving'
           AND NOT EXISTS (SELECT 1 FROM guardianships gs JOIN guardians g ON g.id = gs.guardian_id
                            WHERE gs.pupil_id = d.pupil_id AND g.last_sign_in_at IS NOT NULL)
         ORDER BY d.id",
        is_current("c", "$1")
    )))
    .bind(scope.id())
    .fetch_all(db)
    .await
}

/// Messages to families the school sent that were not delivered: failed
/// (with their reason) or bounced, as their delivery statuses say (see
/// `db::messages`).
pub async fn undelivered_messages(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE school_id = $1 AND status IN ('failed', 'bounced')",
    )
    .bind(scope.id())
    .fetch_one(db)
    .await
}

/// A satisfaction mark given at the end of the journey, with its comment.
#[derive(Debug, Clone, FromRow)]
pub struct SatisfactionRow {
    pub mark: i64,
    pub comment: String,
    pub created_at: i64,
}

/// The marks given for the current campaign's dossiers, newest first.
pub async fn satisfaction(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<Vec<SatisfactionRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT s.mark, s.comment, s.created_at FROM satisfaction s
         JOIN dossiers d ON d.id = s.dossier_id JOIN campaigns c ON c.id = d.campaign_id
         WHERE c.school_id = $1 AND {}
         ORDER BY s.created_at DESC, s.dossier_id",
        is_current("c", "$1")
    )))
    .bind(scope.id())
    .fetch_all(db)
    .await
}

/// When a guardian of the school last signed in (`None`: never, or not a
/// guardian of the school).
pub async fn last_sign_in(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    guardian_id: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar::<_, Option<i64>>(
        "SELECT last_sign_in_at FROM guardians WHERE id = $1 AND school_id = $2",
    )
    .bind(guardian_id)
    .bind(scope.id())
    .fetch_optional(db)
    .await
    .map(Option::flatten)
}

/// An invitation or reminder, and how many of the families it reached came
/// back after it.
#[derive(Debug, Clone, FromRow)]
pub struct ReminderOutcome {
    pub id: i64,
    /// `invitation` or `reminder`.
    pub kind: String,
    pub created_at: i64,
    /// Dossiers its messages were about.
    pub dossiers: i64,
    /// Of those, the ones a guardian it wrote to signed in for after it.
    pub signed_in: i64,
    /// Of those, the ones sent to the school after it.
    pub sent: i64,
}

/// The school's last invitations and reminders (newest first, at most
/// `limit`), each with the families who came back after it.
pub async fn reminder_outcomes(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    limit: i64,
) -> sqlx::Result<Vec<ReminderOutcome>> {
    sqlx::query_as(
        "SELECT b.id, b.kind, b.created_at,
                (SELECT COUNT(DISTINCT m.dossier_id) FROM messages m
                  WHERE m.batch_id = b.id AND m.school_id = b.school_id) AS dossiers,
                (SELECT COUNT(DISTINCT m.dossier_id) FROM messages m JOIN guardians g ON g.id = m.guardian_id
                  WHERE m.batch_id = b.id AND m.school_id = b.school_id
                    AND g.last_sign_in_at > b.created_at) AS signed_in,
                (SELECT COUNT(DISTINCT m.dossier_id) FROM messages m JOIN dossiers d ON d.id = m.dossier_id
                  WHERE m.batch_id = b.id AND m.school_id = b.school_id
                    AND d.submitted_at > b.created_at) AS sent
         FROM reminder_batches b
         WHERE b.school_id = $1 AND b.status <> 'failed'
         ORDER BY b.created_at DESC, b.id DESC
         LIMIT $2",
    )
    .bind(scope.id())
    .bind(limit)
    .fetch_all(db)
    .await
}
