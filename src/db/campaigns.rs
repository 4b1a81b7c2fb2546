//! A school's campaign and the configuration the family journey reads: the
//! welcome text and closing date, the expected documents, the MEF succession
//! and the exit rules and the canteen tariffs (the options each MEF offers:
//! `super::offer`).

use sqlx::{Any, Executor, FromRow};

use super::Flag;
use crate::domain::schooling::Tariff;

/// The SQL condition "the campaign `campaign` is the current one of the
/// school `school`": the campaign of the school's latest school year. Every
/// query about "this year's dossiers" uses it.
pub(super) fn is_current(campaign: &str, school: &str) -> String {
    format!(
        "{campaign}.school_year = (SELECT MAX(c2.school_year) FROM campaigns c2 WHERE c2.school_id = {school})"
    )
}

/// What the family reads on the first step: the campaign's welcome text and
/// its closing date (`YYYY-MM-DD`), if set.
#[derive(Debug, Clone, FromRow)]
pub struct Welcome {
    pub welcome_text: String,
    pub closes_on: Option<String>,
}

/// The welcome of the campaign a dossier belongs to.
pub async fn welcome_of_dossier(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
) -> sqlx::Result<Welcome> {
    sqlx::query_as(
        "SELECT c.welcome_text, c.closes_on FROM campaigns c JOIN dossiers d ON d.campaign_id = c.id WHERE d.id = $1",
    )
    .bind(dossier_id)
    .fetch_one(db)
    .await
}

/// A piece the school asks families for.
#[derive(Debug, Clone, FromRow)]
pub struct ExpectedDocument {
    pub id: i64,
    pub label: String,
    pub explanation: String,
    #[sqlx(try_from = "Flag")]
    pub mandatory: bool,
}

/// The pieces a school asks for, in the school's order.
pub async fn expected_documents(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<ExpectedDocument>> {
    sqlx::query_as(
        "SELECT id, label, explanation, mandatory FROM expected_documents WHERE school_id = $1 ORDER BY position, id",
    )
    .bind(school_id)
    .fetch_all(db)
    .await
}

/// Whether `document_id` is a piece this school asks for.
pub async fn expects_document(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    document_id: i64,
) -> sqlx::Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM expected_documents WHERE id = $1 AND school_id = $2")
            .bind(document_id)
            .bind(school_id)
            .fetch_optional(db)
            .await?;
    Ok(found.is_some())
}

/// A MEF and the one that follows it next year.
#[derive(Debug, Clone, FromRow)]
pub struct MefSuccession {
    pub label: String,
    pub next_mef_id: Option<i64>,
    pub next_label: Option<String>,
}

/// The MEF `mef_id` (none when the pupil has no MEF) and its successor.
pub async fn mef_succession(
    db: impl Executor<'_, Database = Any>,
    mef_id: Option<i64>,
) -> sqlx::Result<Option<MefSuccession>> {
    sqlx::query_as(
        "SELECT m.label, m.next_mef_id, n.label AS next_label FROM mefs m LEFT JOIN mefs n ON n.id = m.next_mef_id WHERE m.id = $1",
    )
    .bind(mef_id)
    .fetch_optional(db)
    .await
}

/// The MEF of the pupil of dossier `dossier_id` and the one they go to next
/// year: the same MEF when the school marked them as repeating, else the
/// MEF's successor; for a pupil the school created, the MEF it entered.
pub async fn mef_succession_of_dossier(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
) -> sqlx::Result<Option<MefSuccession>> {
    sqlx::query_as(
        "SELECT COALESCE(m.label, '') AS label, n.id AS next_mef_id, n.label AS next_label
         FROM dossiers d JOIN pupils p ON p.id = d.pupil_id LEFT JOIN mefs m ON m.id = p.mef_id
         LEFT JOIN mefs n ON n.id = CASE
             WHEN d.next_mef_id IS NOT NULL THEN d.next_mef_id
             WHEN p.entry_mef_code <> '' THEN
                 (SELECT e.id FROM mefs e WHERE e.school_id = p.school_id AND e.code = p.entry_mef_code)
             WHEN d.repeating THEN m.id ELSE m.next_mef_id END
         WHERE d.id = $1 AND (m.id IS NOT NULL OR p.entry_mef_code <> '')",
    )
    .bind(dossier_id)
    .fetch_optional(db)
    .await
}

/// A régime de sortie of the school.
#[derive(Debug, Clone, FromRow)]
pub struct ExitRule {
    pub id: i64,
    pub label: String,
    pub description: String,
}

/// The school's exit rules, in its order.
pub async fn exit_rules(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<ExitRule>> {
    sqlx::query_as(
        "SELECT id, label, description FROM exit_rules WHERE school_id = $1 ORDER BY position, id",
    )
    .bind(school_id)
    .fetch_all(db)
    .await
}

#[derive(FromRow)]
struct TariffRow {
    label: String,
    quotient_max: Option<i64>,
    price_cents: i64,
}

/// The school's canteen tariffs, bracket by bracket.
pub async fn tariffs(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<Tariff>> {
    let rows: Vec<TariffRow> = sqlx::query_as(
        "SELECT label, quotient_max, price_cents FROM canteen_tariffs WHERE school_id = $1 ORDER BY id",
    )
    .bind(school_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Tariff {
            label: r.label,
            quotient_max: r.quotient_max,
            price_cents: r.price_cents,
        })
        .collect())
}

/// The current campaign's contact for families: (e-mail, phone), empty when
/// not set.
pub async fn contact(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<(String, String)> {
    let found: Option<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.contact_email, c.contact_phone FROM campaigns c WHERE c.school_id = $1 AND {}",
        is_current("c", "$1")
    )))
    .bind(school_id)
    .fetch_optional(db)
    .await?;
    Ok(found.unwrap_or_default())
}
