//! The pieces queue (issue 13): every piece of the current campaign waiting
//! for the school's decision, oldest first; the refusals not yet told to the
//! family; and the refused pieces a family replaces. Always within one
//! school (the family's side is within one dossier).

use sqlx::{Any, Executor, FromRow};

use super::SchoolScope;
use super::campaigns::is_current;
use crate::domain::dossier_state::DossierState;

/// The states whose pieces the school checks, as an SQL list
/// (`('submitted', 'validated')`): see
/// [`DossierState::pieces_checked_by_school`].
pub(crate) fn checked_states() -> String {
    let codes: Vec<String> = DossierState::ALL
        .into_iter()
        .filter(|s| s.pieces_checked_by_school())
        .map(|s| format!("'{}'", s.code()))
        .collect();
    format!("({})", codes.join(", "))
}

/// A piece waiting for a decision, as the queue shows it.
#[derive(Debug, Clone, FromRow)]
pub struct Waiting {
    pub upload_id: i64,
    pub dossier_id: i64,
    pub pupil_first_name: String,
    pub pupil_last_name: String,
    pub division: String,
    /// The expected document's label.
    pub label: String,
    /// The file's name as sent.
    pub name: String,
    pub content_type: String,
}

/// Which pieces: of one expected document, of one class.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub document_id: Option<i64>,
    pub division: Option<String>,
}

/// The pieces of the current campaign waiting for a decision, in the
/// school's dossiers whose pieces it checks (as the dashboard and the
/// dossier list count them), oldest first.
pub async fn waiting(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    filter: &Filter,
) -> sqlx::Result<Vec<Waiting>> {
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT u.id AS upload_id, d.id AS dossier_id, p.first_name AS pupil_first_name,
                p.last_name AS pupil_last_name, p.division, e.label,
                u.original_name AS name, u.content_type
         FROM uploads u
         JOIN expected_documents e ON e.id = u.expected_document_id
         JOIN dossiers d ON d.id = u.dossier_id
         JOIN campaigns c ON c.id = d.campaign_id
         JOIN pupils p ON p.id = d.pupil_id
         WHERE c.school_id = $1 AND {} AND d.state IN {}
           AND u.status = 'submitted' {}
         ORDER BY u.created_at, u.id",
        is_current("c", "$1"),
        checked_states(),
        match (filter.document_id, &filter.division) {
            (Some(_), Some(_)) => "AND u.expected_document_id = $2 AND p.division = $3",
            (Some(_), None) => "AND u.expected_document_id = $2",
            (None, Some(_)) => "AND p.division = $2",
            (None, None) => "",
        }
    )))
    .bind(scope.id());
    if let Some(document_id) = filter.document_id {
        query = query.bind(document_id);
    }
    if let Some(division) = &filter.division {
        query = query.bind(division.clone());
    }
    query.fetch_all(db).await
}

/// The school's expected documents, in its order: (id, label).
pub async fn documents(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<Vec<(i64, String)>> {
    sqlx::query_as(
        "SELECT id, label FROM expected_documents WHERE school_id = $1 ORDER BY position, id",
    )
    .bind(scope.id())
    .fetch_all(db)
    .await
}

/// The classes of the current campaign's pupils, in order.
pub async fn divisions(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT p.division FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
         JOIN pupils p ON p.id = d.pupil_id
         WHERE c.school_id = $1 AND {} AND p.division <> '' ORDER BY p.division",
        is_current("c", "$1")
    )))
    .bind(scope.id())
    .fetch_all(db)
    .await
}

/// The dossier of the school a file belongs to.
pub async fn dossier_of(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    upload_id: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT u.dossier_id FROM uploads u JOIN dossiers d ON d.id = u.dossier_id
         JOIN campaigns c ON c.id = d.campaign_id WHERE u.id = $1 AND c.school_id = $2",
    )
    .bind(upload_id)
    .bind(scope.id())
    .fetch_optional(db)
    .await
}

/// How many files of the dossier still wait for a decision.
pub async fn waiting_in_dossier(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM uploads WHERE dossier_id = $1 AND status = 'submitted'",
    )
    .bind(dossier_id)
    .fetch_one(db)
    .await
}

/// A refusal not yet told, with one guardian of the pupil to tell it to.
#[derive(Debug, Clone, FromRow)]
pub struct Untold {
    pub upload_id: i64,
    pub dossier_id: i64,
    pub pupil_first_name: String,
    pub pupil_last_name: String,
    pub label: String,
    pub refusal_reason: String,
    pub guardian_id: i64,
    pub email: String,
    pub phone_mobile: String,
}

/// The refused files of the current campaign not yet told to the family,
/// once per guardian of the pupil; of one dossier's guardians only if
/// `dossier_id` is given (with their other children's). Ordered by guardian,
/// then pupil and the school's order of pieces.
pub async fn untold_refusals(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    dossier_id: Option<i64>,
) -> sqlx::Result<Vec<Untold>> {
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT u.id AS upload_id, d.id AS dossier_id, p.first_name AS pupil_first_name,
                p.last_name AS pupil_last_name, e.label, u.refusal_reason,
                g.id AS guardian_id, g.email, g.phone_mobile
         FROM uploads u
         JOIN expected_documents e ON e.id = u.expected_document_id
         JOIN dossiers d ON d.id = u.dossier_id
         JOIN campaigns c ON c.id = d.campaign_id
         JOIN pupils p ON p.id = d.pupil_id
         JOIN guardianships l ON l.pupil_id = p.id
         JOIN guardians g ON g.id = l.guardian_id AND g.school_id = c.school_id
         WHERE c.school_id = $1 AND {} AND u.status = 'refused'
           AND u.refusal_notified_at IS NULL AND u.replaced_at IS NULL
           {}
         ORDER BY g.id, p.last_name, p.first_name, d.id, e.position, u.id",
        is_current("c", "$1"),
        if dossier_id.is_some() {
            "AND g.id IN (SELECT l2.guardian_id FROM guardianships l2
                          JOIN dossiers d2 ON d2.pupil_id = l2.pupil_id WHERE d2.id = $2)"
        } else {
            ""
        }
    )))
    .bind(scope.id());
    if let Some(dossier_id) = dossier_id {
        query = query.bind(dossier_id);
    }
    query.fetch_all(db).await
}

/// Records that these refusals were told; how many were not yet (fewer than
/// asked: someone else told them meanwhile).
pub async fn mark_told(
    db: impl Executor<'_, Database = Any>,
    upload_ids: &[i64],
    at: i64,
) -> sqlx::Result<u64> {
    if upload_ids.is_empty() {
        return Ok(0);
    }
    let list: Vec<String> = upload_ids.iter().map(i64::to_string).collect();
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE uploads SET refusal_notified_at = $1
         WHERE id IN ({}) AND status = 'refused' AND refusal_notified_at IS NULL",
        list.join(", ")
    )))
    .bind(at)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Records that the refusals of a dossier were told (in the message that
/// sends it back).
pub async fn mark_told_in_dossier(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE uploads SET refusal_notified_at = $1
         WHERE dossier_id = $2 AND status = 'refused' AND refusal_notified_at IS NULL",
    )
    .bind(at)
    .bind(dossier_id)
    .execute(db)
    .await?;
    Ok(())
}

/// A refused file the family has to replace.
#[derive(Debug, Clone, FromRow)]
pub struct ToReplace {
    pub upload_id: i64,
    pub document_id: i64,
    pub label: String,
    pub explanation: String,
    pub refusal_reason: String,
}

/// The refused files of a dossier not replaced yet, in the school's order.
pub async fn to_replace(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
) -> sqlx::Result<Vec<ToReplace>> {
    sqlx::query_as(
        "SELECT u.id AS upload_id, e.id AS document_id, e.label, e.explanation, u.refusal_reason
         FROM uploads u JOIN expected_documents e ON e.id = u.expected_document_id
         WHERE u.dossier_id = $1 AND u.status = 'refused' AND u.replaced_at IS NULL
         ORDER BY e.position, u.id",
    )
    .bind(dossier_id)
    .fetch_all(db)
    .await
}

/// Records that the refused file was replaced; false if it was not (or no
/// longer) to replace.
pub async fn mark_replaced(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    upload_id: i64,
    at: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE uploads SET replaced_at = $3
         WHERE id = $1 AND dossier_id = $2 AND status = 'refused' AND replaced_at IS NULL",
    )
    .bind(upload_id)
    .bind(dossier_id)
    .bind(at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
