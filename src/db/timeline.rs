//! What happened to one dossier, read from the tables that record it (the
//! dossier's timeline on the school's page, assembled by
//! `crate::dossier::timeline`): state changes, messages, decisions on
//! changes, uploads, the family's saved values, and the audit trail's rows
//! about this dossier, its guardians and its pieces. A fixed number of
//! queries (seven), whatever the dossier holds.

use sqlx::{Any, FromRow, Pool};

use super::SchoolScope;

/// A guardian of the dossier's pupil.
#[derive(Debug, Clone, FromRow)]
pub struct Member {
    pub id: i64,
    pub civility: String,
    pub first_name: String,
    pub last_name: String,
    /// When their current personal code was made, if they have one.
    pub access_code_issued_at: Option<i64>,
}

/// A change of the dossier's state.
#[derive(Debug, Clone, FromRow)]
pub struct TransitionRow {
    pub created_at: i64,
    pub from_state: String,
    pub to_state: String,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    /// The agent's name when an agent made it.
    pub agent_name: Option<String>,
    pub reason: String,
}

/// A message to a guardian about this dossier (or about none).
#[derive(Debug, Clone, FromRow)]
pub struct MessageRow {
    pub created_at: i64,
    pub guardian_id: i64,
    pub channel: String,
    pub kind: String,
    pub status: String,
    pub failure: String,
}

/// The school's decision on a change.
#[derive(Debug, Clone, FromRow)]
pub struct DecisionRow {
    pub decided_at: i64,
    pub label: String,
    pub proposed_words: String,
    pub decision: String,
    pub reason: String,
    pub agent_name: Option<String>,
}

/// A file sent for a piece.
#[derive(Debug, Clone, FromRow)]
pub struct UploadRow {
    pub id: i64,
    pub created_at: i64,
    pub guardian_id: Option<i64>,
    /// The piece's label.
    pub label: String,
    pub original_name: String,
}

/// A value the family saved: `source` is `pupil` (a pupil's field),
/// `guardian` (a guardian's own contact detail), `answer` (a question's key),
/// `medical` (`key` is the mode: never shown but to the nurse) or `contact`
/// (an emergency contact, `key` is their name). Only the last save of each
/// value is kept by these tables.
#[derive(Debug, Clone, FromRow)]
pub struct SaveRow {
    pub at: i64,
    pub guardian_id: Option<i64>,
    pub source: String,
    pub key: String,
}

/// A row of the audit trail about this dossier, one of its guardians or one
/// of its pieces.
#[derive(Debug, Clone, FromRow)]
pub struct AuditRow {
    pub created_at: i64,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    /// The agent's name when an agent acted.
    pub agent_name: Option<String>,
    pub action: String,
    pub subject: String,
    /// `assisted` (`db::audit::ASSISTED`): an agent at the desk with the family.
    pub mode: String,
    /// For a choice of next year's MEF (`dossier:ID mef:CODE`), the MEF's
    /// label in the school (none when back to the default).
    pub mef_label: Option<String>,
    /// For a new pupil's provenance chosen (`dossier:ID provenance:CODE`),
    /// its label in the school's nomenclature.
    pub provenance_label: Option<String>,
}

/// Everything the timeline reads of one dossier.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub members: Vec<Member>,
    pub transitions: Vec<TransitionRow>,
    pub messages: Vec<MessageRow>,
    pub decisions: Vec<DecisionRow>,
    pub uploads: Vec<UploadRow>,
    pub saves: Vec<SaveRow>,
    pub audit: Vec<AuditRow>,
}

/// The audit actions the timeline shows (the others are about the school's
/// set-up, or repeat a table read here: transitions, messages, decisions).
pub const AUDIT_ACTIONS: &[&str] = &[
    "sign_in",
    "sign_in_link",
    "sign_in_failed",
    "sign_in_code_locked",
    "access_code_reissued",
    "code_request_issued",
    "upload_decision",
    "upload_removed",
    "dossier_saved",
    "next_mef_chosen",
    "provenance_chosen",
];

/// The guardians of the dossier's pupil, as a subquery on `$1` (dossier) and
/// `$2` (school).
const FAMILY: &str = "SELECT l.guardian_id FROM guardianships l
     JOIN dossiers d ON d.pupil_id = l.pupil_id JOIN campaigns c ON c.id = d.campaign_id
     WHERE d.id = $1 AND c.school_id = $2";

/// The dossier, as a subquery on `$1` and `$2`: its id only if it is the
/// school's.
const DOSSIER: &str = "SELECT d.id FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
     WHERE d.id = $1 AND c.school_id = $2";

/// Reads every source of the timeline of `dossier_id` (nothing if it is not
/// the school's).
pub async fn of_dossier(
    pool: &Pool<Any>,
    scope: SchoolScope,
    dossier_id: i64,
) -> sqlx::Result<Sources> {
    let school_id = scope.id();
    let members = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT g.id, g.civility, g.first_name, g.last_name, g.access_code_issued_at
         FROM guardians g WHERE g.id IN ({FAMILY}) ORDER BY g.id"
    )))
    .bind(dossier_id)
    .bind(school_id)
    .fetch_all(pool)
    .await?;
    let transitions = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT t.created_at, t.from_state, t.to_state, t.actor_kind, t.actor_id,
                a.display_name AS agent_name, t.reason
         FROM dossier_transitions t
         LEFT JOIN agents a ON t.actor_kind = 'agent' AND a.id = t.actor_id
         WHERE t.dossier_id IN ({DOSSIER})"
    )))
    .bind(dossier_id)
    .bind(school_id)
    .fetch_all(pool)
    .await?;
    let messages = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT m.created_at, m.guardian_id, m.channel, m.kind, m.status, m.failure
         FROM messages m
         WHERE m.school_id = $2 AND m.guardian_id IN ({FAMILY})
           AND (m.dossier_id = $1 OR m.dossier_id IS NULL)"
    )))
    .bind(dossier_id)
    .bind(school_id)
    .fetch_all(pool)
    .await?;
    let decisions = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT k.decided_at, k.label, k.proposed_words, k.decision, k.reason,
                a.display_name AS agent_name
         FROM change_decisions k LEFT JOIN agents a ON a.id = k.agent_id
         WHERE k.dossier_id IN ({DOSSIER})"
    )))
    .bind(dossier_id)
    .bind(school_id)
    .fetch_all(pool)
    .await?;
    let uploads = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT u.id, u.created_at, u.guardian_id, e.label, u.original_name
         FROM uploads u JOIN expected_documents e ON e.id = u.expected_document_id
         WHERE u.dossier_id IN ({DOSSIER})"
    )))
    .bind(dossier_id)
    .bind(school_id)
    .fetch_all(pool)
    .await?;
    let saves = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT p.changed_at AS at, p.guardian_id, 'pupil' AS source, p.field AS key
         FROM pupil_changes p WHERE p.dossier_id IN ({DOSSIER})
         UNION ALL
         SELECT g.changed_at, g.guardian_id, 'guardian', g.field
         FROM guardian_changes g WHERE g.guardian_id IN ({FAMILY})
         UNION ALL
         SELECT a.answered_at, a.guardian_id, 'answer', a.question
         FROM dossier_answers a WHERE a.dossier_id IN ({DOSSIER})
         UNION ALL
         SELECT m.updated_at, m.guardian_id, 'medical', m.mode
         FROM medical_notes m WHERE m.dossier_id IN ({DOSSIER})
         UNION ALL
         SELECT e.created_at, e.added_by, 'contact', e.name
         FROM emergency_contacts e WHERE e.dossier_id IN ({DOSSIER})"
    )))
    .bind(dossier_id)
    .bind(school_id)
    .fetch_all(pool)
    .await?;
    let actions = AUDIT_ACTIONS
        .iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(", ");
    // Rows about this dossier: its guardians' sign-ins, codes given to them
    // (`guardian:ID`, `code_request:N guardian:ID`), decisions on its pieces
    // (`upload:ID:status`), files removed (`upload:ID dossier:ID`, the upload's
    // row is gone), saves at the desk (`dossier:ID etape:…`) and next year's
    // MEF chosen (`dossier:ID mef:CODE`, no code: back to the default) and a
    // new pupil's provenance (`dossier:ID provenance:CODE`).
    let audit = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT a.created_at, a.actor_kind, a.actor_id, ag.display_name AS agent_name,
                a.action, a.subject, a.mode,
                (SELECT MIN(x.label) FROM mefs x
                 WHERE a.action = 'next_mef_chosen' AND x.school_id = a.school_id
                   AND a.subject LIKE ('% mef:' || x.code)) AS mef_label,
                (SELECT MIN(CASE WHEN v.long_label <> '' THEN v.long_label ELSE v.short_label END)
                 FROM provenances v
                 WHERE a.action = 'provenance_chosen' AND v.school_id = a.school_id
                   AND a.subject LIKE ('% provenance:' || v.code)) AS provenance_label
         FROM audit_events a LEFT JOIN agents ag ON a.actor_kind = 'agent' AND ag.id = a.actor_id
         WHERE a.school_id = $2 AND a.action IN ({actions}) AND (
             (a.actor_kind = 'guardian' AND a.actor_id IN ({FAMILY})
                 AND a.action IN ('sign_in', 'sign_in_link', 'sign_in_failed', 'sign_in_code_locked'))
             OR (a.action = 'access_code_reissued' AND a.subject IN (
                 SELECT 'guardian:' || CAST(f.guardian_id AS TEXT) FROM ({FAMILY}) f))
             OR (a.action = 'code_request_issued' AND EXISTS (
                 SELECT 1 FROM ({FAMILY}) f
                 WHERE a.subject LIKE '% guardian:' || CAST(f.guardian_id AS TEXT)))
             OR (a.action = 'upload_decision' AND EXISTS (
                 SELECT 1 FROM uploads u WHERE u.dossier_id IN ({DOSSIER})
                 AND a.subject LIKE 'upload:' || CAST(u.id AS TEXT) || ':%'))
             OR (a.action = 'upload_removed'
                 AND (a.subject LIKE $4 OR a.subject LIKE $5))
             OR (a.action IN ('dossier_saved', 'next_mef_chosen', 'provenance_chosen')
                 AND a.subject LIKE $3)
         )"
    )))
    .bind(dossier_id)
    .bind(school_id)
    .bind(format!("dossier:{dossier_id} %"))
    .bind(format!("upload:% dossier:{dossier_id}"))
    .bind(format!("upload:% dossier:{dossier_id} %"))
    .fetch_all(pool)
    .await?;
    Ok(Sources {
        members,
        transitions,
        messages,
        decisions,
        uploads,
        saves,
        audit,
    })
}
