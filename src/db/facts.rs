//! What the dossier diff (`crate::dossier::diff`) is computed from, read in
//! bulk: for one dossier, or for every dossier of a school's current campaign
//! in a fixed number of queries (the school's list of 1,000 pupils counts
//! changes with the same rule as the family's summary, without a query per
//! dossier). Each function takes the school and [`Which`] of its dossiers.

use sqlx::{Any, Executor, FromRow};

use super::campaigns::is_current;

/// Which dossiers of a school to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// One dossier, of any of the school's campaigns.
    Dossier(i64),
    /// Every dossier of the school's current campaign.
    Campaign,
    /// The dossiers of the current campaign in one state.
    InState(crate::domain::dossier_state::DossierState),
}

impl Which {
    fn dossier(self) -> Option<i64> {
        match self {
            Which::Dossier(id) => Some(id),
            _ => None,
        }
    }

    fn state(self) -> Option<&'static str> {
        match self {
            Which::InState(state) => Some(state.code()),
            _ => None,
        }
    }
}

/// The condition "dossier `d` (of campaign `c`) is dossier `$2` of school
/// `$1`, or, without `$2`, any dossier of the school's current campaign (in
/// state `$3` if given)", bound by [`Which`].
fn current_dossiers() -> String {
    format!(
        "c.school_id = $1 AND (d.id = $2 OR ($2 IS NULL AND {} AND ($3 IS NULL OR d.state = $3)))",
        is_current("c", "$1")
    )
}

/// A dossier with its pupil as SIECLE gave it.
#[derive(Debug, Clone, FromRow)]
pub struct DossierRow {
    pub dossier_id: i64,
    pub pupil_id: i64,
    pub state: crate::domain::dossier_state::DossierState,
    pub submitted_by: Option<i64>,
    pub submitted_at: Option<i64>,
    pub ine: Option<String>,
    pub last_name: String,
    pub first_name: String,
    pub other_first_names: String,
    pub sex: String,
    pub birth_date: String,
    pub birth_city: String,
    pub division: String,
    pub regime_code: String,
    pub mef_id: Option<i64>,
    pub mef_label: Option<String>,
    pub next_mef_id: Option<i64>,
    pub next_mef_label: Option<String>,
}

pub async fn dossiers(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    which: Which,
) -> sqlx::Result<Vec<DossierRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT d.id AS dossier_id, p.id AS pupil_id, d.state, d.submitted_by, d.submitted_at,
                p.ine, p.last_name, p.first_name, p.other_first_names, p.sex, p.birth_date, p.birth_city,
                p.division, p.regime_code, p.mef_id, m.label AS mef_label,
                n.id AS next_mef_id, n.label AS next_mef_label
         FROM dossiers d
         JOIN campaigns c ON c.id = d.campaign_id
         JOIN pupils p ON p.id = d.pupil_id
         LEFT JOIN mefs m ON m.id = p.mef_id
         LEFT JOIN mefs n ON n.id = CASE
             WHEN d.next_mef_id IS NOT NULL THEN d.next_mef_id
             WHEN p.entry_mef_code <> '' THEN
                 (SELECT e.id FROM mefs e WHERE e.school_id = p.school_id AND e.code = p.entry_mef_code)
             WHEN d.repeating THEN m.id ELSE m.next_mef_id END
         WHERE {}
         ORDER BY p.last_name, p.first_name, d.id",
        current_dossiers()
    )))
    .bind(school_id)
    .bind(which.dossier())
    .bind(which.state())
    .fetch_all(db)
    .await
}

/// A guardian's edit of the pupil's identity.
#[derive(Debug, Clone, FromRow)]
pub struct PupilEditRow {
    pub dossier_id: i64,
    pub guardian_id: i64,
    pub field: String,
    pub new_value: String,
    pub changed_at: i64,
}

pub async fn pupil_edits(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    which: Which,
) -> sqlx::Result<Vec<PupilEditRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT pc.dossier_id, pc.guardian_id, pc.field, pc.new_value, pc.changed_at
         FROM pupil_changes pc
         JOIN dossiers d ON d.id = pc.dossier_id
         JOIN campaigns c ON c.id = d.campaign_id
         WHERE {}",
        current_dossiers()
    )))
    .bind(school_id)
    .bind(which.dossier())
    .bind(which.state())
    .fetch_all(db)
    .await
}

/// A guardian of a dossier's pupil, with what SIECLE holds of their contact
/// details.
#[derive(Debug, Clone, FromRow)]
pub struct GuardianRow {
    pub dossier_id: i64,
    pub guardian_id: i64,
    pub rank: i64,
    pub civility: String,
    pub last_name: String,
    pub first_name: String,
    pub email: String,
    pub phone_mobile: String,
    pub phone_home: String,
    pub phone_work: String,
    pub address_lines: String,
    pub postcode: String,
    pub city: String,
    pub profession_code: String,
}

pub async fn guardians(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    which: Which,
) -> sqlx::Result<Vec<GuardianRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT d.id AS dossier_id, g.id AS guardian_id, l.rank, g.civility, g.last_name, g.first_name,
                g.email, g.phone_mobile, g.phone_home, g.phone_work, g.address_lines, g.postcode, g.city,
                g.profession_code
         FROM dossiers d
         JOIN campaigns c ON c.id = d.campaign_id
         JOIN guardianships l ON l.pupil_id = d.pupil_id
         JOIN guardians g ON g.id = l.guardian_id
         WHERE {}
         ORDER BY d.id, l.rank, g.id",
        current_dossiers()
    )))
    .bind(school_id)
    .bind(which.dossier())
    .bind(which.state())
    .fetch_all(db)
    .await
}

/// A guardian's edit of their own contact details.
#[derive(Debug, Clone, FromRow)]
pub struct GuardianEditRow {
    pub guardian_id: i64,
    pub field: String,
    pub new_value: String,
    pub changed_at: i64,
}

pub async fn guardian_edits(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    which: Which,
) -> sqlx::Result<Vec<GuardianEditRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT gc.guardian_id, gc.field, gc.new_value, gc.changed_at
         FROM guardian_changes gc
         JOIN guardianships l ON l.guardian_id = gc.guardian_id
         JOIN dossiers d ON d.pupil_id = l.pupil_id
         JOIN campaigns c ON c.id = d.campaign_id
         WHERE {}",
        current_dossiers()
    )))
    .bind(school_id)
    .bind(which.dossier())
    .bind(which.state())
    .fetch_all(db)
    .await
}

/// A guardian's answer to a question of the dossier.
#[derive(Debug, Clone, FromRow)]
pub struct AnswerRow {
    pub dossier_id: i64,
    pub guardian_id: i64,
    pub question: String,
    pub answer: String,
    pub answered_at: i64,
}

pub async fn answers(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    which: Which,
) -> sqlx::Result<Vec<AnswerRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT a.dossier_id, a.guardian_id, a.question, a.answer, a.answered_at
         FROM dossier_answers a
         JOIN dossiers d ON d.id = a.dossier_id
         JOIN campaigns c ON c.id = d.campaign_id
         WHERE {}",
        current_dossiers()
    )))
    .bind(school_id)
    .bind(which.dossier())
    .bind(which.state())
    .fetch_all(db)
    .await
}

/// Last year's answer of a pupil: what the guardian who sent last year's
/// dossier answered, when it was sent (or validated).
#[derive(Debug, Clone, FromRow)]
pub struct PreviousAnswerRow {
    pub dossier_id: i64,
    pub question: String,
    pub answer: String,
}

pub async fn previous_answers(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    which: Which,
) -> sqlx::Result<Vec<PreviousAnswerRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT d.id AS dossier_id, a.question, a.answer
         FROM dossiers d
         JOIN campaigns c ON c.id = d.campaign_id
         JOIN dossiers pd ON pd.pupil_id = d.pupil_id AND pd.id <> d.id
         JOIN campaigns pc ON pc.id = pd.campaign_id AND pc.school_id = c.school_id
                          AND pc.school_year = c.school_year - 1
         JOIN dossier_answers a ON a.dossier_id = pd.id AND a.guardian_id = pd.submitted_by
         WHERE {} AND pd.state IN ('submitted', 'validated')",
        current_dossiers()
    )))
    .bind(school_id)
    .bind(which.dossier())
    .bind(which.state())
    .fetch_all(db)
    .await
}

/// An option a dossier's pupil follows this year.
#[derive(Debug, Clone, FromRow)]
pub struct PractisedRow {
    pub dossier_id: i64,
    pub code: String,
}

pub async fn practised_options(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    which: Which,
) -> sqlx::Result<Vec<PractisedRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT d.id AS dossier_id, po.code
         FROM dossiers d
         JOIN campaigns c ON c.id = d.campaign_id
         JOIN ({}) po ON po.pupil_id = d.pupil_id
         WHERE {}
         ORDER BY d.id, po.code",
        super::offer::PRACTISED_CODES,
        current_dossiers()
    )))
    .bind(school_id)
    .bind(which.dossier())
    .bind(which.state())
    .fetch_all(db)
    .await
}

/// The school's option codes and their labels (for options followed this
/// year that next year's MEF no longer offers).
pub async fn option_labels(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as("SELECT code, label FROM subject_options WHERE school_id = $1")
        .bind(school_id)
        .fetch_all(db)
        .await
}

/// An emergency contact added to a dossier.
#[derive(Debug, Clone, FromRow)]
pub struct ContactRow {
    pub dossier_id: i64,
    pub added_by: Option<i64>,
    pub name: String,
    pub relationship: String,
    pub phone: String,
}

pub async fn contacts(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    which: Which,
) -> sqlx::Result<Vec<ContactRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT e.dossier_id, e.added_by, e.name, e.relationship, e.phone
         FROM emergency_contacts e
         JOIN dossiers d ON d.id = e.dossier_id
         JOIN campaigns c ON c.id = d.campaign_id
         WHERE {}
         ORDER BY e.id",
        current_dossiers()
    )))
    .bind(school_id)
    .bind(which.dossier())
    .bind(which.state())
    .fetch_all(db)
    .await
}

/// A file sent for an expected document and not refused (a refused file is
/// no information: the family replaces it).
#[derive(Debug, Clone, FromRow)]
pub struct PieceRow {
    pub dossier_id: i64,
    pub guardian_id: Option<i64>,
    pub label: String,
    pub original_name: String,
    pub status: String,
}

pub async fn pieces(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    which: Which,
) -> sqlx::Result<Vec<PieceRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT u.dossier_id, u.guardian_id, e.label, u.original_name, u.status
         FROM uploads u
         JOIN expected_documents e ON e.id = u.expected_document_id
         JOIN dossiers d ON d.id = u.dossier_id
         JOIN campaigns c ON c.id = d.campaign_id
         WHERE {} AND u.status <> 'refused'
         ORDER BY u.id",
        current_dossiers()
    )))
    .bind(school_id)
    .bind(which.dossier())
    .bind(which.state())
    .fetch_all(db)
    .await
}
