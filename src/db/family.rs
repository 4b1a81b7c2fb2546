//! Queries of the family journey: guardians, their children's dossiers,
//! changes against SIECLE, answers, progress — and what one guardian may see
//! of the other's (`co_guardians_seen_by`, `emergency_contacts_seen_by`,
//! `uploads_seen_by`): the only doors through which a guardian's pages, receipt
//! and e-mails read the other guardian's data.

use std::collections::HashMap;

use sqlx::{Acquire, Any, Executor, FromRow};

use super::{now_ms, sessions};
use crate::domain::dossier_state::DossierState;
use crate::domain::household::{self, SiecleAddress};

#[derive(Debug, Clone, FromRow)]
pub struct Guardian {
    pub id: i64,
    pub school_id: i64,
    pub civility: String,
    pub last_name: String,
    pub first_name: String,
    pub email: String,
    pub phone_mobile: String,
    pub phone_home: String,
    pub phone_work: String,
    pub profession_code: String,
    pub address_lines: String,
    pub postcode: String,
    pub city: String,
    pub country_code: String,
    /// SIECLE's ADRESSE_ID, as imported.
    pub siecle_address_id: Option<String>,
    pub failed_sign_ins: i64,
    pub locked_until: Option<i64>,
}

impl Guardian {
    /// The address as SIECLE gave it (the row's columns are written by the
    /// import only; what the guardian declares lives in `guardian_changes`).
    pub fn siecle_address(&self) -> SiecleAddress {
        SiecleAddress {
            id: self.siecle_address_id.clone(),
            lines: self.address_lines.clone(),
            postcode: self.postcode.clone(),
            city: self.city.clone(),
            country_code: self.country_code.clone(),
        }
    }
}

const GUARDIAN_COLUMNS: &str = "id, school_id, civility, last_name, first_name, email, phone_mobile, phone_home, \
     phone_work, profession_code, address_lines, postcode, city, country_code, siecle_address_id, failed_sign_ins, \
     locked_until";

/// The columns of a [`Guardian`] prefixed by the query's alias of
/// `guardians` (`g.id, g.school_id, …`).
pub(super) fn guardian_columns(alias: &str) -> String {
    GUARDIAN_COLUMNS
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn guardian_by_code_hash(
    db: impl Executor<'_, Database = Any>,
    hash: &str,
) -> sqlx::Result<Option<Guardian>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {GUARDIAN_COLUMNS} FROM guardians WHERE access_code_hash = $1"
    )))
    .bind(hash)
    .fetch_optional(db)
    .await
}

pub async fn guardian(
    db: impl Executor<'_, Database = Any>,
    id: i64,
) -> sqlx::Result<Option<Guardian>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {GUARDIAN_COLUMNS} FROM guardians WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// A successful sign-in: the code's failures start again, and the school's
/// dashboard reads when the guardian last came (`last_sign_in_at`).
pub async fn record_sign_in(db: impl Executor<'_, Database = Any>, id: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE guardians SET failed_sign_ins = 0, locked_until = NULL, sign_in_lockouts = 0, last_sign_in_at = $2
         WHERE id = $1",
    )
    .bind(id)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(())
}

/// Sets a new access code (the school re-issues it) and ends every session
/// of the guardian, atomically: whoever signed in with the old code (perhaps
/// the very reason for a new one) is out with it. Inside a transaction, this
/// runs as a savepoint of it.
pub async fn set_access_code<'c>(
    db: impl Acquire<'c, Database = Any>,
    id: i64,
    hash: &str,
) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE guardians SET access_code_hash = $2, access_code_issued_at = $3, failed_sign_ins = 0, locked_until = NULL,
             sign_in_lockouts = 0
         WHERE id = $1",
    )
    .bind(id)
    .bind(hash)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    sessions::delete_all_of(&mut *tx, sessions::Owner::Guardian(id)).await?;
    tx.commit().await
}

/// Issues a code in a batch of letters, inside the batch's transaction: sets
/// it and ends the guardian's sessions, like [`set_access_code`], but only if
/// the guardian has no code yet unless `replace`. Returns whether it was set
/// (`false`: a code was issued since the batch was planned).
pub async fn issue_access_code(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    hash: &str,
    replace: bool,
) -> sqlx::Result<bool> {
    let set = sqlx::query(
        "UPDATE guardians SET access_code_hash = $2, access_code_issued_at = $3, failed_sign_ins = 0,
             locked_until = NULL, sign_in_lockouts = 0
         WHERE id = $1 AND ($4 OR access_code_hash IS NULL)",
    )
    .bind(id)
    .bind(hash)
    .bind(now_ms())
    .bind(replace)
    .execute(&mut *conn)
    .await?;
    if set.rows_affected() == 0 {
        return Ok(false);
    }
    sessions::delete_all_of(&mut *conn, sessions::Owner::Guardian(id)).await?;
    Ok(true)
}

/// A dossier as a guardian sees it in the list of their children.
#[derive(Debug, Clone, FromRow)]
pub struct ChildDossier {
    pub dossier_id: i64,
    pub pupil_id: i64,
    pub school_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: String,
    pub state: DossierState,
    pub division: String,
    pub mef_id: Option<i64>,
    pub rank: i64,
    pub furthest_step: Option<String>,
}

/// The children's dossiers of guardian `$1` in the current campaign, then
/// `rest` (a further condition, an order).
fn child_query(rest: &str) -> String {
    format!(
        "SELECT d.id AS dossier_id, p.id AS pupil_id, p.school_id, p.first_name, p.last_name,
        p.birth_date, d.state, p.division, p.mef_id, g.rank, gp.furthest_step
     FROM guardianships g
     JOIN pupils p ON p.id = g.pupil_id
     JOIN dossiers d ON d.pupil_id = p.id
     JOIN campaigns c ON c.id = d.campaign_id
     LEFT JOIN guardian_progress gp ON gp.dossier_id = d.id AND gp.guardian_id = g.guardian_id
     WHERE g.guardian_id = $1
       AND {} {rest}",
        super::campaigns::is_current("c", "p.school_id")
    )
}

/// The dossiers of the current campaign of every child of a guardian.
pub async fn dossiers_of_guardian(
    db: impl Executor<'_, Database = Any>,
    guardian_id: i64,
) -> sqlx::Result<Vec<ChildDossier>> {
    sqlx::query_as(sqlx::AssertSqlSafe(child_query("ORDER BY p.birth_date")))
        .bind(guardian_id)
        .fetch_all(db)
        .await
}

/// The dossier if, and only if, the guardian is responsible for its pupil.
pub async fn dossier_of_guardian(
    db: impl Executor<'_, Database = Any>,
    guardian_id: i64,
    dossier_id: i64,
) -> sqlx::Result<Option<ChildDossier>> {
    sqlx::query_as(sqlx::AssertSqlSafe(child_query("AND d.id = $2")))
        .bind(guardian_id)
        .bind(dossier_id)
        .fetch_optional(db)
        .await
}

#[derive(Debug, Clone, FromRow)]
pub struct Pupil {
    pub id: i64,
    pub last_name: String,
    pub first_name: String,
    pub other_first_names: String,
    pub sex: String,
    pub birth_date: String,
    pub birth_city: String,
    pub birth_country_code: String,
    pub nationality_code: String,
    pub mef_id: Option<i64>,
    pub division: String,
}

pub async fn pupil(db: impl Executor<'_, Database = Any>, id: i64) -> sqlx::Result<Pupil> {
    sqlx::query_as(
        "SELECT id, last_name, first_name, other_first_names, sex, birth_date, birth_city, birth_country_code,
                nationality_code, mef_id, division FROM pupils WHERE id = $1",
    )
    .bind(id)
    .fetch_one(db)
    .await
}

/// field → (SIECLE value, new value)
pub type Changes = HashMap<String, (String, String)>;

pub async fn pupil_changes(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    guardian_id: i64,
) -> sqlx::Result<Changes> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT field, siecle_value, new_value FROM pupil_changes WHERE dossier_id = $1 AND guardian_id = $2",
    )
    .bind(dossier_id)
    .bind(guardian_id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(f, s, n)| (f, (s, n))).collect())
}

pub async fn guardian_changes(
    db: impl Executor<'_, Database = Any>,
    guardian_id: i64,
) -> sqlx::Result<Changes> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT field, siecle_value, new_value FROM guardian_changes WHERE guardian_id = $1",
    )
    .bind(guardian_id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(f, s, n)| (f, (s, n))).collect())
}

/// Records `new` as guardian `guardian_id`'s value of a pupil's field, or
/// forgets their change when it is back to what SIECLE says. Each guardian's
/// changes are their own (see `dossier::diff`).
pub async fn set_pupil_field(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    field: &str,
    siecle: &str,
    new: &str,
    guardian_id: i64,
) -> sqlx::Result<()> {
    if siecle == new {
        sqlx::query(
            "DELETE FROM pupil_changes WHERE dossier_id = $1 AND guardian_id = $2 AND field = $3",
        )
        .bind(dossier_id)
        .bind(guardian_id)
        .bind(field)
        .execute(db)
        .await?;
    } else {
        sqlx::query(
            "INSERT INTO pupil_changes (dossier_id, field, siecle_value, new_value, guardian_id, changed_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (dossier_id, guardian_id, field) DO UPDATE SET new_value = excluded.new_value,
                 siecle_value = excluded.siecle_value, changed_at = excluded.changed_at",
        )
        .bind(dossier_id)
        .bind(field)
        .bind(siecle)
        .bind(new)
        .bind(guardian_id)
        .bind(now_ms())
        .execute(db)
        .await?;
    }
    Ok(())
}

/// Same as [`set_pupil_field`] for a guardian's own details.
pub async fn set_guardian_field(
    db: impl Executor<'_, Database = Any>,
    guardian_id: i64,
    field: &str,
    siecle: &str,
    new: &str,
) -> sqlx::Result<()> {
    if siecle == new {
        sqlx::query("DELETE FROM guardian_changes WHERE guardian_id = $1 AND field = $2")
            .bind(guardian_id)
            .bind(field)
            .execute(db)
            .await?;
    } else {
        sqlx::query(
            "INSERT INTO guardian_changes (guardian_id, field, siecle_value, new_value, changed_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (guardian_id, field) DO UPDATE SET new_value = excluded.new_value, changed_at = excluded.changed_at",
        )
        .bind(guardian_id)
        .bind(field)
        .bind(siecle)
        .bind(new)
        .bind(now_ms())
        .execute(db)
        .await?;
    }
    Ok(())
}

/// This guardian's answers in a dossier: question → answer.
pub async fn answers(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    guardian_id: i64,
) -> sqlx::Result<HashMap<String, String>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT question, answer FROM dossier_answers WHERE dossier_id = $1 AND guardian_id = $2",
    )
    .bind(dossier_id)
    .bind(guardian_id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().collect())
}

pub async fn set_answer(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    guardian_id: i64,
    question: &str,
    answer: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO dossier_answers (dossier_id, guardian_id, question, answer, answered_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (dossier_id, guardian_id, question) DO UPDATE SET answer = excluded.answer, answered_at = excluded.answered_at",
    )
    .bind(dossier_id)
    .bind(guardian_id)
    .bind(question)
    .bind(answer)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(())
}

/// Moves this guardian's furthest step forward (never back).
pub async fn advance(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    guardian_id: i64,
    step: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO guardian_progress (dossier_id, guardian_id, furthest_step, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (dossier_id, guardian_id) DO UPDATE SET furthest_step = excluded.furthest_step,
             updated_at = excluded.updated_at",
    )
    .bind(dossier_id)
    .bind(guardian_id)
    .bind(step)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(())
}

/// The other guardians of a pupil (rank, guardian), with everything: only
/// for [`co_guardians_seen_by`].
async fn co_guardians(
    db: impl Executor<'_, Database = Any>,
    pupil_id: i64,
    guardian_id: i64,
) -> sqlx::Result<Vec<Guardian>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM guardians g JOIN guardianships l ON l.guardian_id = g.id
         WHERE l.pupil_id = $1 AND g.id <> $2 ORDER BY l.rank",
        guardian_columns("g")
    )))
    .bind(pupil_id)
    .bind(guardian_id)
    .fetch_all(db)
    .await
}

/// The fields of a guardian's address: a change to one of them is a
/// declared move.
const ADDRESS_FIELDS: [&str; 3] = ["address_lines", "postcode", "city"];

fn declares_a_move(changes: &Changes) -> bool {
    ADDRESS_FIELDS.iter().any(|f| changes.contains_key(*f))
}

/// Another guardian of a child as one guardian may see them.
#[derive(Debug, Clone)]
pub struct CoGuardian {
    pub civility: String,
    pub first_name: String,
    pub last_name: String,
    /// Their record and their declared changes, only when the two share
    /// contact details ([`household::contacts_shared`]).
    pub shared: Option<(Guardian, Changes)>,
}

/// The other guardians of `pupil_id` as `guardian_id` may see them: names
/// always, contact details only when SIECLE says they live together and
/// neither declared another address. Nothing typed in a form takes part.
pub async fn co_guardians_seen_by(
    pool: &sqlx::AnyPool,
    pupil_id: i64,
    guardian_id: i64,
) -> sqlx::Result<Vec<CoGuardian>> {
    let Some(me) = guardian(pool, guardian_id).await? else {
        return Ok(Vec::new());
    };
    let i_moved = declares_a_move(&guardian_changes(pool, guardian_id).await?);
    let mut seen = Vec::new();
    for other in co_guardians(pool, pupil_id, guardian_id).await? {
        let changes = guardian_changes(pool, other.id).await?;
        let shared = household::contacts_shared(
            &me.siecle_address(),
            &other.siecle_address(),
            i_moved,
            declares_a_move(&changes),
        );
        seen.push(CoGuardian {
            civility: other.civility.clone(),
            first_name: other.first_name.clone(),
            last_name: other.last_name.clone(),
            shared: shared.then_some((other, changes)),
        });
    }
    Ok(seen)
}

/// An emergency contact of a dossier.
#[derive(Debug, Clone, FromRow)]
pub struct EmergencyContact {
    pub id: i64,
    pub name: String,
    pub relationship: String,
    pub phone: String,
}

/// The emergency contacts of a dossier that `guardian_id` may see: the ones
/// they added. Another guardian's contacts are theirs (a separated parent's
/// relatives and their numbers); the school sees them all. No contact comes
/// from SIECLE today: one that did would be common to both guardians.
pub async fn emergency_contacts_seen_by(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    guardian_id: i64,
) -> sqlx::Result<Vec<EmergencyContact>> {
    sqlx::query_as(
        "SELECT id, name, relationship, phone FROM emergency_contacts
         WHERE dossier_id = $1 AND added_by = $2 ORDER BY id",
    )
    .bind(dossier_id)
    .bind(guardian_id)
    .fetch_all(db)
    .await
}

/// A file sent for an expected document, as one guardian may see it.
#[derive(Debug, Clone, FromRow)]
pub struct UploadSeen {
    pub id: i64,
    pub expected_document_id: i64,
    /// The expected document's label.
    pub label: String,
    /// The file's name as sent: `None` when another guardian sent it (the
    /// piece counts for the child, its name stays theirs).
    pub original_name: Option<String>,
    pub status: String,
    /// The school's reason for refusing it, for its sender only.
    pub refusal_reason: String,
}

impl UploadSeen {
    /// Sent by the guardian who sees it.
    pub fn is_mine(&self) -> bool {
        self.original_name.is_some()
    }
}

/// The files of a dossier as `guardian_id` may see them: all of them (a
/// piece is common to the child), but another guardian's without its name or
/// refusal reason. The masking happens in the query, so those never reach
/// a page, a receipt or an e-mail. A refused file is left out once a later
/// file of the same piece was not refused: it was replaced (the school still
/// sees it).
pub async fn uploads_seen_by(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
    guardian_id: i64,
) -> sqlx::Result<Vec<UploadSeen>> {
    sqlx::query_as(
        "SELECT u.id, u.expected_document_id, e.label,
                CASE WHEN u.guardian_id = $2 THEN u.original_name END AS original_name,
                u.status,
                CASE WHEN u.guardian_id = $2 THEN u.refusal_reason ELSE '' END AS refusal_reason
         FROM uploads u JOIN expected_documents e ON e.id = u.expected_document_id
         WHERE u.dossier_id = $1
           AND NOT (u.status = 'refused' AND EXISTS (
                SELECT 1 FROM uploads r
                WHERE r.dossier_id = u.dossier_id AND r.expected_document_id = u.expected_document_id
                  AND r.id > u.id AND r.status <> 'refused'))
         ORDER BY u.id",
    )
    .bind(dossier_id)
    .bind(guardian_id)
    .fetch_all(db)
    .await
}

/// A personal code that keeps failing: the school may call the family or
/// issue a new code.
#[derive(Debug, Clone, FromRow)]
pub struct FailingCode {
    pub guardian_id: i64,
    pub first_name: String,
    pub last_name: String,
    /// One dossier of the guardian's children (where a new code is issued).
    pub dossier_id: i64,
    pub failed_sign_ins: i64,
    pub sign_in_lockouts: i64,
    pub locked_until: Option<i64>,
    pub last_failed_sign_in_at: i64,
}

/// The school's guardians whose code has been locked since its last
/// successful use, or failed at least `min_failures` times in a row; most
/// recent failure first.
pub async fn failing_codes(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    min_failures: i64,
) -> sqlx::Result<Vec<FailingCode>> {
    sqlx::query_as(
        "SELECT g.id AS guardian_id, g.first_name, g.last_name,
                (SELECT MAX(d.id) FROM guardianships gs JOIN dossiers d ON d.pupil_id = gs.pupil_id
                  WHERE gs.guardian_id = g.id) AS dossier_id,
                g.failed_sign_ins, g.sign_in_lockouts, g.locked_until, g.last_failed_sign_in_at
         FROM guardians g
         WHERE g.school_id = $1 AND g.last_failed_sign_in_at IS NOT NULL
           AND (g.sign_in_lockouts > 0 OR g.failed_sign_ins >= $2)
           AND EXISTS (SELECT 1 FROM guardianships gs JOIN dossiers d ON d.pupil_id = gs.pupil_id
                        WHERE gs.guardian_id = g.id)
         ORDER BY g.last_failed_sign_in_at DESC
         LIMIT 50",
    )
    .bind(school_id)
    .bind(min_failures)
    .fetch_all(db)
    .await
}
