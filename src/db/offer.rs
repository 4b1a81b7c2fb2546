//! What the school offers families beyond SIECLE's data: the options of each
//! MEF with the school's rules (mandatory, kept, droppable, open to
//! requests, groups, capacities), the families' requests of options in the
//! order they came (the waiting list), and the school's own questions of vie
//! scolaire (FSE, authorisations, custom questions). The screens of
//! `web::controllers::school::campaign` and the demo write through these
//! functions; the family journey and `dossier::facts` read them.

use std::collections::HashMap;

use sqlx::{Any, Executor, FromRow};

use super::campaigns::is_current;
use super::{Flag, SchoolScope, Tx, now_ms};
use crate::domain::questions::{AnswerType, CheckedQuestion, Question, QuestionKind};
use crate::domain::schooling::{GroupRule, OfferedOption, OptionGroup};

// ---------------------------------------------------------------- options

/// The practised options of a pupil: those of `pupil_options` and those the
/// SIECLE import read for them (`pupil_siecle_options`), as subject codes.
pub(super) const PRACTISED_CODES: &str = "SELECT po.pupil_id, o.code FROM pupil_options po
     JOIN subject_options o ON o.id = po.option_id
     UNION
     SELECT so.pupil_id, so.subject_code AS code FROM pupil_siecle_options so";

/// The codes of the options the pupil follows this year, in code order.
pub async fn practised_options(
    db: impl Executor<'_, Database = Any>,
    pupil_id: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT p.code FROM ({PRACTISED_CODES}) p WHERE p.pupil_id = $1 ORDER BY p.code"
    )))
    .bind(pupil_id)
    .fetch_all(db)
    .await
}

/// An option a MEF offers, as its screen shows it.
#[derive(Debug, Clone, FromRow)]
pub struct MefOptionRow {
    pub mef_id: i64,
    pub option_id: i64,
    pub code: String,
    pub label: String,
    pub explanation: String,
    #[sqlx(try_from = "Flag")]
    pub mandatory: bool,
    #[sqlx(try_from = "Flag")]
    pub can_drop: bool,
    #[sqlx(try_from = "Flag")]
    pub open_to_new: bool,
    pub capacity: Option<i64>,
    pub group_id: Option<i64>,
}

impl MefOptionRow {
    pub fn offered(&self) -> OfferedOption {
        OfferedOption {
            code: self.code.clone(),
            label: self.label.clone(),
            explanation: self.explanation.clone(),
            mandatory: self.mandatory,
            can_drop: self.can_drop,
            open_to_new: self.open_to_new,
            capacity: self.capacity,
            group: self.group_id,
        }
    }
}

const MEF_OPTION_COLUMNS: &str = "mo.mef_id, o.id AS option_id, o.code, o.label, o.explanation,
     mo.mandatory, mo.can_drop, mo.open_to_new, mo.capacity, mo.group_id";

/// Every option every MEF of the school offers, by label.
pub async fn options_of_school(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<MefOptionRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {MEF_OPTION_COLUMNS} FROM mef_options mo
         JOIN mefs m ON m.id = mo.mef_id
         JOIN subject_options o ON o.id = mo.option_id
         WHERE m.school_id = $1 ORDER BY o.label, o.code"
    )))
    .bind(school_id)
    .fetch_all(db)
    .await
}

/// The options the MEF `mef_id` offers (none without a MEF), by label.
pub async fn offered_options(
    db: impl Executor<'_, Database = Any>,
    mef_id: Option<i64>,
) -> sqlx::Result<Vec<MefOptionRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {MEF_OPTION_COLUMNS} FROM mef_options mo
         JOIN subject_options o ON o.id = mo.option_id
         WHERE mo.mef_id = $1 ORDER BY o.label, o.code"
    )))
    .bind(mef_id)
    .fetch_all(db)
    .await
}

#[derive(FromRow)]
struct GroupRow {
    id: i64,
    mef_id: i64,
    label: String,
    rule: String,
}

impl GroupRow {
    fn group(self) -> (i64, OptionGroup) {
        (
            self.mef_id,
            OptionGroup {
                id: self.id,
                label: self.label,
                rule: GroupRule::from_code(&self.rule).unwrap_or(GroupRule::AtMostOne),
            },
        )
    }
}

/// The groups of options of the MEF `mef_id`, in the order they were made.
pub async fn groups(
    db: impl Executor<'_, Database = Any>,
    mef_id: Option<i64>,
) -> sqlx::Result<Vec<OptionGroup>> {
    let rows: Vec<GroupRow> = sqlx::query_as(
        "SELECT id, mef_id, label, rule FROM option_groups WHERE mef_id = $1 ORDER BY id",
    )
    .bind(mef_id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| r.group().1).collect())
}

/// Every group of every MEF of the school: (MEF id, group).
pub async fn groups_of_school(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<(i64, OptionGroup)>> {
    let rows: Vec<GroupRow> = sqlx::query_as(
        "SELECT g.id, g.mef_id, g.label, g.rule FROM option_groups g
         JOIN mefs m ON m.id = g.mef_id WHERE m.school_id = $1 ORDER BY g.id",
    )
    .bind(school_id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(GroupRow::group).collect())
}

/// A MEF of the school and how many options it offers.
#[derive(Debug, Clone, FromRow)]
pub struct MefSummary {
    pub id: i64,
    pub code: String,
    pub label: String,
    pub options: i64,
    pub groups: i64,
}

/// The school's MEFs, by code, with their options and groups counted.
pub async fn mefs(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<Vec<MefSummary>> {
    sqlx::query_as(
        "SELECT m.id, m.code, m.label,
                (SELECT COUNT(*) FROM mef_options mo WHERE mo.mef_id = m.id) AS options,
                (SELECT COUNT(*) FROM option_groups g WHERE g.mef_id = m.id) AS groups
         FROM mefs m WHERE m.school_id = $1 ORDER BY m.code",
    )
    .bind(scope.id())
    .fetch_all(db)
    .await
}

/// The MEF `mef_id` if it is one of the school's.
pub async fn mef_in_school(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    mef_id: i64,
) -> sqlx::Result<Option<MefSummary>> {
    sqlx::query_as(
        "SELECT m.id, m.code, m.label,
                (SELECT COUNT(*) FROM mef_options mo WHERE mo.mef_id = m.id) AS options,
                (SELECT COUNT(*) FROM option_groups g WHERE g.mef_id = m.id) AS groups
         FROM mefs m WHERE m.school_id = $1 AND m.id = $2",
    )
    .bind(scope.id())
    .bind(mef_id)
    .fetch_optional(db)
    .await
}

/// A subject of the nomenclature the MEF does not offer yet: (code, label).
pub async fn subjects_not_offered(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    mef_id: i64,
) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT s.code, COALESCE(NULLIF(s.edition_label, ''), NULLIF(s.long_label, ''), s.code) AS label
         FROM subjects s WHERE s.school_id = $1
           AND NOT EXISTS (SELECT 1 FROM mef_options mo JOIN subject_options o ON o.id = mo.option_id
                           WHERE mo.mef_id = $2 AND o.code = s.code)
         ORDER BY label",
    )
    .bind(scope.id())
    .bind(mef_id)
    .fetch_all(db)
    .await
}

/// The option of the school with subject code `code`, created with `label`
/// and `explanation` when it does not exist (an existing one keeps its
/// words); its id.
pub async fn ensure_option(
    tx: &mut Tx,
    school_id: i64,
    code: &str,
    label: &str,
    explanation: &str,
) -> sqlx::Result<i64> {
    sqlx::query(
        "INSERT INTO subject_options (school_id, code, label, explanation) VALUES ($1, $2, $3, $4)
         ON CONFLICT (school_id, code) DO NOTHING",
    )
    .bind(school_id)
    .bind(code)
    .bind(label)
    .bind(explanation)
    .execute(&mut **tx)
    .await?;
    sqlx::query_scalar("SELECT id FROM subject_options WHERE school_id = $1 AND code = $2")
        .bind(school_id)
        .bind(code)
        .fetch_one(&mut **tx)
        .await
}

/// The words families read for an option of the school (every MEF).
pub async fn set_option_words(
    tx: &mut Tx,
    school_id: i64,
    option_id: i64,
    label: &str,
    explanation: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE subject_options SET label = $3, explanation = $4 WHERE school_id = $1 AND id = $2",
    )
    .bind(school_id)
    .bind(option_id)
    .bind(label)
    .bind(explanation)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The school's rules for one option in one MEF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OptionRules {
    pub mandatory: bool,
    pub can_drop: bool,
    pub open_to_new: bool,
    pub capacity: Option<i64>,
    pub group_id: Option<i64>,
}

/// Offers option `option_id` in MEF `mef_id` with `rules` (replacing the
/// rules of an option already offered).
pub async fn offer_option(
    tx: &mut Tx,
    mef_id: i64,
    option_id: i64,
    modality: &str,
    rules: OptionRules,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO mef_options (mef_id, option_id, modality, mandatory, can_drop, open_to_new, capacity, group_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (mef_id, option_id) DO UPDATE SET mandatory = excluded.mandatory,
             can_drop = excluded.can_drop, open_to_new = excluded.open_to_new,
             capacity = excluded.capacity, group_id = excluded.group_id",
    )
    .bind(mef_id)
    .bind(option_id)
    .bind(modality)
    .bind(rules.mandatory)
    .bind(rules.can_drop)
    .bind(rules.open_to_new)
    .bind(rules.capacity)
    .bind(rules.group_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Stops offering option `option_id` in MEF `mef_id`.
pub async fn withdraw_option(tx: &mut Tx, mef_id: i64, option_id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM mef_options WHERE mef_id = $1 AND option_id = $2")
        .bind(mef_id)
        .bind(option_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A new group of options in MEF `mef_id`; its id.
pub async fn create_group(
    tx: &mut Tx,
    mef_id: i64,
    label: &str,
    rule: GroupRule,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO option_groups (mef_id, label, rule, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(mef_id)
    .bind(label)
    .bind(rule.code())
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await
}

#[derive(FromRow)]
struct ProgrammeRow {
    mef_id: i64,
    subject_code: String,
    modality_code: String,
    label: String,
    option_rank: Option<i64>,
}

/// Offers, in every MEF of the school, the options its programmes list
/// (modalité d'élection O: kept; F: droppable), with the nomenclature's
/// labels; subjects SIECLE lists as the same rank of mandatory option of a
/// MEF become a group where exactly one is chosen. Options already offered
/// keep the school's rules. Returns how many options were added.
pub async fn propose_from_nomenclature(tx: &mut Tx, scope: SchoolScope) -> sqlx::Result<usize> {
    let school_id = scope.id();
    let rows: Vec<ProgrammeRow> = sqlx::query_as(
        "SELECT DISTINCT m.id AS mef_id, p.subject_code, p.modality_code,
                COALESCE(NULLIF(s.edition_label, ''), NULLIF(s.long_label, ''), p.subject_code) AS label,
                mo.option_rank
         FROM programmes p
         JOIN mefs m ON m.school_id = p.school_id AND m.code = p.mef_code
         LEFT JOIN subjects s ON s.school_id = p.school_id AND s.code = p.subject_code
         LEFT JOIN mandatory_options mo ON mo.school_id = p.school_id AND mo.mef_code = p.mef_code
                                       AND mo.subject_code = p.subject_code
         WHERE p.school_id = $1 AND p.modality_code IN ('O', 'F')
         ORDER BY m.id, p.subject_code, p.modality_code",
    )
    .bind(school_id)
    .fetch_all(&mut **tx)
    .await?;
    // Subjects per (MEF, rank of mandatory option): a group when two or more.
    let mut ranks: HashMap<(i64, i64), Vec<String>> = HashMap::new();
    for r in &rows {
        if let (Some(rank), "O") = (r.option_rank, r.modality_code.as_str()) {
            let codes = ranks.entry((r.mef_id, rank)).or_default();
            if !codes.contains(&r.subject_code) {
                codes.push(r.subject_code.clone());
            }
        }
    }
    let mut added = 0;
    let mut seen: Vec<(i64, String)> = Vec::new();
    let mut group_ids: HashMap<(i64, i64), i64> = HashMap::new();
    for r in rows {
        if seen.contains(&(r.mef_id, r.subject_code.clone())) {
            continue;
        }
        seen.push((r.mef_id, r.subject_code.clone()));
        let option_id = ensure_option(tx, school_id, &r.subject_code, &r.label, "").await?;
        let already: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM mef_options WHERE mef_id = $1 AND option_id = $2")
                .bind(r.mef_id)
                .bind(option_id)
                .fetch_optional(&mut **tx)
                .await?;
        if already.is_some() {
            continue;
        }
        let group_id = match r.option_rank.filter(|_| r.modality_code == "O") {
            Some(rank) if ranks.get(&(r.mef_id, rank)).is_some_and(|c| c.len() > 1) => {
                let id = match group_ids.get(&(r.mef_id, rank)) {
                    Some(id) => *id,
                    None => {
                        let id = create_group(
                            tx,
                            r.mef_id,
                            &format!("Option obligatoire n° {rank}"),
                            GroupRule::ExactlyOne,
                        )
                        .await?;
                        group_ids.insert((r.mef_id, rank), id);
                        id
                    }
                };
                Some(id)
            }
            _ => None,
        };
        let rules = OptionRules {
            can_drop: r.modality_code == "F",
            group_id,
            ..OptionRules::default()
        };
        offer_option(tx, r.mef_id, option_id, &r.modality_code, rules).await?;
        added += 1;
    }
    Ok(added)
}

// ---------------------------------------------------------------- requests

/// Keeps the requests of `guardian_id` in a dossier to exactly `codes`
/// (options of MEF `mef_id` the pupil does not follow): a request already
/// made keeps its place, one no longer made is withdrawn.
pub async fn set_requests(
    tx: &mut Tx,
    school_id: i64,
    dossier_id: i64,
    guardian_id: i64,
    mef_id: i64,
    codes: &[String],
) -> sqlx::Result<()> {
    let held: Vec<(i64, String)> = sqlx::query_as(
        "SELECT r.option_id, o.code FROM option_requests r JOIN subject_options o ON o.id = r.option_id
         WHERE r.dossier_id = $1 AND r.guardian_id = $2",
    )
    .bind(dossier_id)
    .bind(guardian_id)
    .fetch_all(&mut **tx)
    .await?;
    for (option_id, code) in &held {
        if !codes.contains(code) {
            sqlx::query(
                "DELETE FROM option_requests WHERE dossier_id = $1 AND guardian_id = $2 AND option_id = $3",
            )
            .bind(dossier_id)
            .bind(guardian_id)
            .bind(option_id)
            .execute(&mut **tx)
            .await?;
        }
    }
    let now = now_ms();
    for code in codes {
        sqlx::query(
            "INSERT INTO option_requests (dossier_id, guardian_id, mef_id, option_id, requested_at)
             SELECT $1, $2, $3, o.id, $5 FROM subject_options o WHERE o.school_id = $4 AND o.code = $6
             ON CONFLICT (dossier_id, guardian_id, option_id) DO UPDATE SET mef_id = excluded.mef_id",
        )
        .bind(dossier_id)
        .bind(guardian_id)
        .bind(mef_id)
        .bind(school_id)
        .bind(now)
        .bind(code)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

#[derive(FromRow)]
struct QueueRow {
    mef_id: i64,
    code: String,
    dossier_id: i64,
}

/// For each option of each MEF of the school, (MEF id, option code) → the
/// dossiers of the school's current campaign that asked for it, earliest
/// first (a dossier counts once, at its first guardian's request).
pub async fn request_queues(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<HashMap<(i64, String), Vec<i64>>> {
    let rows: Vec<QueueRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT r.mef_id, o.code, r.dossier_id
         FROM option_requests r
         JOIN subject_options o ON o.id = r.option_id
         JOIN dossiers d ON d.id = r.dossier_id
         JOIN campaigns c ON c.id = d.campaign_id
         WHERE c.school_id = $1 AND {}
         GROUP BY r.mef_id, o.code, r.dossier_id
         ORDER BY MIN(r.requested_at), r.dossier_id",
        is_current("c", "$1")
    )))
    .bind(school_id)
    .fetch_all(db)
    .await?;
    let mut queues: HashMap<(i64, String), Vec<i64>> = HashMap::new();
    for r in rows {
        queues
            .entry((r.mef_id, r.code))
            .or_default()
            .push(r.dossier_id);
    }
    Ok(queues)
}

// ---------------------------------------------------------------- questions

#[derive(FromRow)]
struct QuestionRow {
    id: i64,
    kind: String,
    answer_type: String,
    answer_key: String,
    label: String,
    question: String,
    help: String,
    choices: String,
    amount_cents: Option<i64>,
}

impl QuestionRow {
    fn question(self) -> Question {
        Question {
            id: self.id,
            kind: QuestionKind::from_code(&self.kind).unwrap_or(QuestionKind::Custom),
            answer_type: AnswerType::from_code(&self.answer_type).unwrap_or(AnswerType::Text),
            key: self.answer_key,
            label: self.label,
            question: self.question,
            help: self.help,
            choices: self
                .choices
                .lines()
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
            amount_cents: self.amount_cents,
        }
    }
}

/// The school's questions of vie scolaire, in the school's order.
pub async fn questions(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<Question>> {
    let rows: Vec<QuestionRow> = sqlx::query_as(
        "SELECT id, kind, answer_type, answer_key, label, question, help, choices, amount_cents
         FROM school_questions WHERE school_id = $1 ORDER BY position, id",
    )
    .bind(school_id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(QuestionRow::question).collect())
}

/// Adds a question at the end of the school's list; its id.
pub async fn create_question(
    tx: &mut Tx,
    school_id: i64,
    q: &CheckedQuestion,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO school_questions (school_id, kind, answer_type, answer_key, label, question, help,
             choices, amount_cents, position, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
                 (SELECT COALESCE(MAX(q.position), 0) + 1 FROM school_questions q WHERE q.school_id = $1), $10)
         RETURNING id",
    )
    .bind(school_id)
    .bind(q.kind.code())
    .bind(q.answer_type.code())
    .bind(&q.key)
    .bind(&q.label)
    .bind(&q.question)
    .bind(&q.help)
    .bind(q.choices.join("\n"))
    .bind(q.amount_cents)
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await
}

/// Replaces the words, choices and fee of question `question_id` of the
/// school (its kind, answer type and key never change).
pub async fn update_question(
    tx: &mut Tx,
    scope: SchoolScope,
    question_id: i64,
    q: &CheckedQuestion,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE school_questions SET label = $3, question = $4, help = $5, choices = $6, amount_cents = $7
         WHERE id = $1 AND school_id = $2",
    )
    .bind(question_id)
    .bind(scope.id())
    .bind(&q.label)
    .bind(&q.question)
    .bind(&q.help)
    .bind(q.choices.join("\n"))
    .bind(q.amount_cents)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Removes question `question_id` of the school if it is of one of `kinds`;
/// whether it did. Families' answers stay in their dossiers.
pub async fn delete_question(
    tx: &mut Tx,
    scope: SchoolScope,
    question_id: i64,
    kinds: &[QuestionKind],
) -> sqlx::Result<bool> {
    let kind: Option<String> =
        sqlx::query_scalar("SELECT kind FROM school_questions WHERE id = $1 AND school_id = $2")
            .bind(question_id)
            .bind(scope.id())
            .fetch_optional(&mut **tx)
            .await?;
    let Some(kind) = kind.and_then(|k| QuestionKind::from_code(&k)) else {
        return Ok(false);
    };
    if !kinds.contains(&kind) {
        return Ok(false);
    }
    sqlx::query("DELETE FROM school_questions WHERE id = $1 AND school_id = $2")
        .bind(question_id)
        .bind(scope.id())
        .execute(&mut **tx)
        .await?;
    Ok(true)
}
