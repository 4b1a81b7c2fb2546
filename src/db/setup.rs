//! The campaign's set-up, as the school's screens (`web::controllers::school::
//! campaign`) and the demo write it: dates and texts, help per step, MEF
//! succession and repeaters, expected documents with their conditions, exit
//! rules, the demi-pension (days, tariff grid), what is missing before
//! opening, and the copy into next year's campaign.
//!
//! Configuration is the school's, not personal data: these functions take the
//! school's id; the one that reads pupils (repeaters) takes a `SchoolScope`.
//! Expected documents, exit rules and tariffs belong to the school and carry
//! over from one campaign to the next; dates, texts and help belong to a
//! campaign.

use std::collections::HashMap;

use sqlx::{Any, AnyConnection, Executor, FromRow};

use super::campaigns::{ExpectedDocument, is_current};
use super::{Flag, SchoolScope, Tx, now_ms};
use crate::domain::campaign_dates::CampaignDates;
use crate::domain::household::{self, SiecleAddress};
use crate::domain::mef_succession::{self, Mef};
use crate::domain::piece_conditions::{Conditions, DossierFacts};
use crate::domain::tariff_grid::Bracket;
use crate::domain::words;

// ---------------------------------------------------------------- campaign

/// The current campaign of a school, as its dates-and-texts screen shows it.
#[derive(Debug, Clone, FromRow)]
pub struct CampaignSettings {
    pub id: i64,
    pub school_year: i64,
    pub opens_on: Option<String>,
    pub closes_on: Option<String>,
    pub returned_until: Option<String>,
    pub welcome_text: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub canteen_days: String,
}

impl CampaignSettings {
    pub fn dates(&self) -> CampaignDates {
        CampaignDates::parse(
            self.opens_on.as_deref(),
            self.closes_on.as_deref(),
            self.returned_until.as_deref(),
        )
    }
}

const CAMPAIGN_COLUMNS: &str = "c.id, c.school_year, c.opens_on, c.closes_on, c.returned_until, c.welcome_text, c.contact_email, c.contact_phone, c.canteen_days";

/// The school's current campaign (its latest school year), if any.
pub async fn current_campaign(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Option<CampaignSettings>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM campaigns c WHERE c.school_id = $1 AND {}",
        is_current("c", "$1")
    )))
    .bind(school_id)
    .fetch_optional(db)
    .await
}

/// The school's current campaign, created for `school_year` when the school
/// has none yet (a school set up before its first import).
pub async fn current_or_new_campaign(
    tx: &mut Tx,
    school_id: i64,
    school_year: i64,
) -> sqlx::Result<CampaignSettings> {
    if let Some(found) = current_campaign(&mut **tx, school_id).await? {
        return Ok(found);
    }
    sqlx::query("INSERT INTO campaigns (school_id, school_year, created_at) VALUES ($1, $2, $3)")
        .bind(school_id)
        .bind(school_year)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    Ok(current_campaign(&mut **tx, school_id)
        .await?
        .expect("just created"))
}

/// The dates and texts of a campaign, as the screen saves them.
#[derive(Debug, Clone, Default)]
pub struct CampaignText {
    pub opens_on: Option<String>,
    pub closes_on: Option<String>,
    pub returned_until: Option<String>,
    pub welcome_text: String,
    pub contact_email: String,
    pub contact_phone: String,
}

pub async fn update_campaign(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    campaign_id: i64,
    text: &CampaignText,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE campaigns SET opens_on = $3, closes_on = $4, returned_until = $5, welcome_text = $6,
             contact_email = $7, contact_phone = $8
         WHERE id = $2 AND school_id = $1",
    )
    .bind(school_id)
    .bind(campaign_id)
    .bind(&text.opens_on)
    .bind(&text.closes_on)
    .bind(&text.returned_until)
    .bind(&text.welcome_text)
    .bind(&text.contact_email)
    .bind(&text.contact_phone)
    .execute(db)
    .await?;
    Ok(())
}

/// The help texts of a campaign: step slug → Markdown.
pub async fn help_texts(
    db: impl Executor<'_, Database = Any>,
    campaign_id: i64,
) -> sqlx::Result<HashMap<String, String>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT step, body FROM campaign_help_texts WHERE campaign_id = $1")
            .bind(campaign_id)
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().collect())
}

/// Sets the help of `step` (removed when empty).
pub async fn set_help_text(
    tx: &mut Tx,
    campaign_id: i64,
    step: &str,
    body: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM campaign_help_texts WHERE campaign_id = $1 AND step = $2")
        .bind(campaign_id)
        .bind(step)
        .execute(&mut **tx)
        .await?;
    if !body.trim().is_empty() {
        sqlx::query(
            "INSERT INTO campaign_help_texts (campaign_id, step, body) VALUES ($1, $2, $3)",
        )
        .bind(campaign_id)
        .bind(step)
        .bind(body)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// What the family journey needs of a dossier's campaign: its dates, whom
/// to contact, and the help of each step.
#[derive(Debug, Clone, FromRow)]
pub struct FamilyCampaign {
    pub campaign_id: i64,
    pub opens_on: Option<String>,
    pub closes_on: Option<String>,
    pub returned_until: Option<String>,
    pub contact_email: String,
    pub contact_phone: String,
    /// The canteen's days (`lun,mar,jeu`).
    pub canteen_days: String,
}

impl FamilyCampaign {
    pub fn dates(&self) -> CampaignDates {
        CampaignDates::parse(
            self.opens_on.as_deref(),
            self.closes_on.as_deref(),
            self.returned_until.as_deref(),
        )
    }
}

pub async fn campaign_of_dossier(
    db: impl Executor<'_, Database = Any>,
    dossier_id: i64,
) -> sqlx::Result<FamilyCampaign> {
    sqlx::query_as(
        "SELECT c.id AS campaign_id, c.opens_on, c.closes_on, c.returned_until, c.contact_email, c.contact_phone,
                c.canteen_days
         FROM campaigns c JOIN dossiers d ON d.campaign_id = c.id WHERE d.id = $1",
    )
    .bind(dossier_id)
    .fetch_one(db)
    .await
}

// ---------------------------------------------------------------- MEFs

/// A MEF of the school with its next MEF and how many pupils it has.
#[derive(Debug, Clone, FromRow)]
pub struct MefRow {
    pub id: i64,
    pub code: String,
    pub label: String,
    pub next_mef_id: Option<i64>,
    #[sqlx(try_from = "Flag")]
    pub ends_college: bool,
    pub pupils: i64,
}

impl MefRow {
    /// Neither a next MEF nor the end of collège has been set.
    pub fn to_set(&self) -> bool {
        self.next_mef_id.is_none() && !self.ends_college
    }
}

pub async fn mefs(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<MefRow>> {
    sqlx::query_as(
        "SELECT m.id, m.code, m.label, m.next_mef_id, m.ends_college,
                (SELECT COUNT(*) FROM pupils p WHERE p.mef_id = m.id) AS pupils
         FROM mefs m WHERE m.school_id = $1 ORDER BY m.code",
    )
    .bind(school_id)
    .fetch_all(db)
    .await
}

/// Where a MEF goes next year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextMef {
    /// Not decided yet.
    Unset,
    /// Its pupils leave the collège.
    EndOfCollege,
    /// This MEF of the same school.
    Mef(i64),
}

/// Sets where `mef_id` goes; a MEF of another school, or the MEF itself,
/// leaves it unset. Returns whether the MEF is the school's.
pub async fn set_next_mef(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    mef_id: i64,
    next: NextMef,
) -> sqlx::Result<bool> {
    let (next_id, ends) = match next {
        NextMef::Unset => (None, false),
        NextMef::EndOfCollege => (None, true),
        NextMef::Mef(id) => (Some(id), false),
    };
    let done = sqlx::query(
        "UPDATE mefs SET ends_college = $4,
             next_mef_id = (SELECT n.id FROM mefs n WHERE n.id = $3 AND n.school_id = $1 AND n.id <> $2)
         WHERE id = $2 AND school_id = $1",
    )
    .bind(school_id)
    .bind(mef_id)
    .bind(next_id)
    .bind(ends)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets every MEF still to set to the proposal from the nomenclature
/// (`domain::mef_succession`); returns how many were set.
pub async fn apply_proposed_succession(tx: &mut Tx, school_id: i64) -> sqlx::Result<usize> {
    let rows = mefs(&mut **tx, school_id).await?;
    let all: Vec<Mef> = rows
        .iter()
        .map(|m| Mef {
            id: m.id,
            code: m.code.clone(),
            label: m.label.clone(),
        })
        .collect();
    let mut set = 0;
    for (row, mef) in rows.iter().zip(&all) {
        if !row.to_set() {
            continue;
        }
        let next = match mef_succession::propose(mef, &all) {
            Some(id) => NextMef::Mef(id),
            None if mef_succession::is_last_level(&mef.code) => NextMef::EndOfCollege,
            None => continue,
        };
        set_next_mef(&mut **tx, school_id, row.id, next).await?;
        set += 1;
    }
    Ok(set)
}

/// A pupil of the current campaign, for the repeaters' screen.
#[derive(Debug, Clone, FromRow)]
pub struct RepeaterRow {
    pub dossier_id: i64,
    pub last_name: String,
    pub first_name: String,
    pub division: String,
    pub mef_label: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub repeating: bool,
    /// Next year's MEF an agent chose in the dossier (a change of track,
    /// `dossiers.next_mef_id`): its label, and whether it is this year's
    /// (a repeat chosen there). It wins over the « redoublants » mark.
    pub chosen_label: Option<String>,
    pub chosen_is_this_year: Option<Flag>,
}

pub async fn repeaters(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<Vec<RepeaterRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT d.id AS dossier_id, p.last_name, p.first_name, p.division, m.label AS mef_label, d.repeating,
                x.label AS chosen_label, (x.id = p.mef_id) AS chosen_is_this_year
         FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id JOIN pupils p ON p.id = d.pupil_id
         LEFT JOIN mefs m ON m.id = p.mef_id
         LEFT JOIN mefs x ON x.id = d.next_mef_id AND x.school_id = c.school_id
         WHERE c.school_id = $1 AND {}
         ORDER BY m.code, p.division, p.last_name, p.first_name, d.id",
        is_current("c", "$1")
    )))
    .bind(scope.id())
    .fetch_all(db)
    .await
}

/// Marks the dossiers `repeating` of the school's current campaign as
/// repeating, and every other one as not. Only that mark: a next year's MEF
/// an agent chose in a dossier (`dossiers.next_mef_id`) stays as it is.
pub async fn set_repeaters(tx: &mut Tx, scope: SchoolScope, repeating: &[i64]) -> sqlx::Result<()> {
    let rows = repeaters(&mut **tx, scope).await?;
    for row in rows {
        let wanted = repeating.contains(&row.dossier_id);
        if wanted != row.repeating {
            sqlx::query("UPDATE dossiers SET repeating = $2 WHERE id = $1")
                .bind(row.dossier_id)
                .bind(wanted)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- pieces

/// A piece with its conditions, as the screen shows and saves it.
#[derive(Debug, Clone, Default)]
pub struct DocumentSetup {
    pub id: i64,
    pub label: String,
    pub explanation: String,
    pub mandatory: bool,
    pub conditions: Conditions,
}

#[derive(FromRow)]
struct DocumentRow {
    id: i64,
    label: String,
    explanation: String,
    #[sqlx(try_from = "Flag")]
    mandatory: bool,
    #[sqlx(try_from = "Flag")]
    only_new_pupils: bool,
    #[sqlx(try_from = "Flag")]
    only_demi_pension: bool,
    #[sqlx(try_from = "Flag")]
    only_separated: bool,
}

/// The school's pieces with their conditions, in its order.
pub async fn documents(
    conn: &mut AnyConnection,
    school_id: i64,
) -> sqlx::Result<Vec<DocumentSetup>> {
    let rows: Vec<DocumentRow> = sqlx::query_as(
        "SELECT id, label, explanation, mandatory, only_new_pupils, only_demi_pension, only_separated
         FROM expected_documents WHERE school_id = $1 ORDER BY position, id",
    )
    .bind(school_id)
    .fetch_all(&mut *conn)
    .await?;
    let links: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT dm.document_id, dm.mef_id FROM expected_document_mefs dm
         JOIN expected_documents d ON d.id = dm.document_id WHERE d.school_id = $1 ORDER BY dm.mef_id",
    )
    .bind(school_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DocumentSetup {
            id: r.id,
            label: r.label,
            explanation: r.explanation,
            mandatory: r.mandatory,
            conditions: Conditions {
                only_new_pupils: r.only_new_pupils,
                only_demi_pension: r.only_demi_pension,
                only_separated: r.only_separated,
                mef_ids: links
                    .iter()
                    .filter(|(d, _)| *d == r.id)
                    .map(|(_, m)| *m)
                    .collect(),
            },
        })
        .collect())
}

/// Writes the MEFs of a piece (only the school's MEFs are kept).
async fn set_document_mefs(
    tx: &mut Tx,
    school_id: i64,
    document_id: i64,
    mef_ids: &[i64],
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM expected_document_mefs WHERE document_id = $1")
        .bind(document_id)
        .execute(&mut **tx)
        .await?;
    for mef_id in mef_ids {
        sqlx::query(
            "INSERT INTO expected_document_mefs (document_id, mef_id)
             SELECT $1, m.id FROM mefs m WHERE m.id = $2 AND m.school_id = $3",
        )
        .bind(document_id)
        .bind(mef_id)
        .bind(school_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Adds a piece at the end of the school's list; returns its id.
pub async fn create_document(
    tx: &mut Tx,
    school_id: i64,
    doc: &DocumentSetup,
) -> sqlx::Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO expected_documents (school_id, label, explanation, mandatory, position,
             only_new_pupils, only_demi_pension, only_separated)
         VALUES ($1, $2, $3, $4,
             (SELECT COALESCE(MAX(position), -1) + 1 FROM expected_documents WHERE school_id = $1),
             $5, $6, $7)
         RETURNING id",
    )
    .bind(school_id)
    .bind(&doc.label)
    .bind(&doc.explanation)
    .bind(doc.mandatory)
    .bind(doc.conditions.only_new_pupils)
    .bind(doc.conditions.only_demi_pension)
    .bind(doc.conditions.only_separated)
    .fetch_one(&mut **tx)
    .await?;
    set_document_mefs(tx, school_id, id, &doc.conditions.mef_ids).await?;
    Ok(id)
}

/// Changes the piece `doc.id` of the school; `false` if it is not the school's.
pub async fn update_document(
    tx: &mut Tx,
    school_id: i64,
    doc: &DocumentSetup,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE expected_documents SET label = $3, explanation = $4, mandatory = $5,
             only_new_pupils = $6, only_demi_pension = $7, only_separated = $8
         WHERE id = $2 AND school_id = $1",
    )
    .bind(school_id)
    .bind(doc.id)
    .bind(&doc.label)
    .bind(&doc.explanation)
    .bind(doc.mandatory)
    .bind(doc.conditions.only_new_pupils)
    .bind(doc.conditions.only_demi_pension)
    .bind(doc.conditions.only_separated)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    set_document_mefs(tx, school_id, doc.id, &doc.conditions.mef_ids).await?;
    Ok(true)
}

/// What removing a piece did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Removed,
    /// Families already sent files for it: kept (removing it would delete them).
    InUse(i64),
    NotFound,
}

pub async fn delete_document(
    tx: &mut Tx,
    school_id: i64,
    document_id: i64,
) -> sqlx::Result<Removal> {
    let uploads: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM uploads u JOIN expected_documents d ON d.id = u.expected_document_id
         WHERE d.id = $1 AND d.school_id = $2",
    )
    .bind(document_id)
    .bind(school_id)
    .fetch_one(&mut **tx)
    .await?;
    if uploads > 0 {
        return Ok(Removal::InUse(uploads));
    }
    let done = sqlx::query("DELETE FROM expected_documents WHERE id = $1 AND school_id = $2")
        .bind(document_id)
        .bind(school_id)
        .execute(&mut **tx)
        .await?;
    Ok(if done.rows_affected() == 1 {
        Removal::Removed
    } else {
        Removal::NotFound
    })
}

#[derive(FromRow)]
struct FactsRow {
    regime_code: String,
    last_year_uai: String,
    school_uai: String,
    mef_id: Option<i64>,
}

#[derive(FromRow)]
struct GuardianAddressRow {
    siecle_address_id: Option<String>,
    address_lines: String,
    postcode: String,
    city: String,
    country_code: String,
    /// How many of the guardian's address fields the family changed: a
    /// declared move.
    address_changes: i64,
}

/// What a piece's conditions are checked against, for one dossier.
pub async fn dossier_facts(
    conn: &mut AnyConnection,
    dossier_id: i64,
) -> sqlx::Result<DossierFacts> {
    let row: FactsRow = sqlx::query_as(
        "SELECT p.regime_code, p.last_year_uai, s.uai AS school_uai, p.mef_id
         FROM dossiers d JOIN pupils p ON p.id = d.pupil_id JOIN schools s ON s.id = p.school_id
         WHERE d.id = $1",
    )
    .bind(dossier_id)
    .fetch_one(&mut *conn)
    .await?;
    let canteen: Option<String> = sqlx::query_scalar(
        "SELECT answer FROM dossier_answers WHERE dossier_id = $1 AND question = 'canteen'
         ORDER BY answered_at DESC LIMIT 1",
    )
    .bind(dossier_id)
    .fetch_optional(&mut *conn)
    .await?;
    let demi_pension = match canteen.as_deref() {
        Some(answer) => answer == "demi_pension",
        None => words::canteen_of_regime(&row.regime_code) == Some("demi_pension"),
    };
    // A change to one of the address fields (`family::ADDRESS_FIELDS`) is a declared move.
    let addresses: Vec<GuardianAddressRow> = sqlx::query_as(
        "SELECT g.siecle_address_id, g.address_lines, g.postcode, g.city, g.country_code,
                (SELECT COUNT(*) FROM guardian_changes c
                 WHERE c.guardian_id = g.id AND c.field IN ('address_lines', 'postcode', 'city'))
                  AS address_changes
         FROM guardianships gs JOIN guardians g ON g.id = gs.guardian_id
         JOIN dossiers d ON d.pupil_id = gs.pupil_id
         WHERE d.id = $1 AND gs.legal_responsibility = 1 ORDER BY gs.rank",
    )
    .bind(dossier_id)
    .fetch_all(&mut *conn)
    .await?;
    let addresses: Vec<(SiecleAddress, bool)> = addresses
        .into_iter()
        .map(|a| {
            let moved = a.address_changes > 0;
            let address = SiecleAddress {
                id: a.siecle_address_id,
                lines: a.address_lines,
                postcode: a.postcode,
                city: a.city,
                country_code: a.country_code,
            };
            (address, moved)
        })
        .collect();
    // Separated: not living together in SIECLE, or one of them declared
    // another address since (the rule of shared contact details).
    let separated = match addresses.as_slice() {
        [(a, a_moved), (b, b_moved), ..] => !household::contacts_shared(a, b, *a_moved, *b_moved),
        _ => false,
    };
    Ok(DossierFacts {
        new_pupil: !row.last_year_uai.is_empty()
            && !row.last_year_uai.eq_ignore_ascii_case(&row.school_uai),
        demi_pension,
        separated,
        mef_id: row.mef_id,
    })
}

/// The pieces asked of this dossier: the school's pieces whose conditions
/// hold for it, in the school's order.
pub async fn documents_asked(
    conn: &mut AnyConnection,
    school_id: i64,
    dossier_id: i64,
) -> sqlx::Result<Vec<ExpectedDocument>> {
    let facts = dossier_facts(conn, dossier_id).await?;
    Ok(documents(conn, school_id)
        .await?
        .into_iter()
        .filter(|d| d.conditions.applies_to(&facts))
        .map(|d| ExpectedDocument {
            id: d.id,
            label: d.label,
            explanation: d.explanation,
            mandatory: d.mandatory,
        })
        .collect())
}

// ---------------------------------------------------------------- exit rules

pub use super::campaigns::ExitRule;

pub async fn create_exit_rule(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    label: &str,
    description: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO exit_rules (school_id, label, description, position)
         VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), -1) + 1 FROM exit_rules WHERE school_id = $1))
         RETURNING id",
    )
    .bind(school_id)
    .bind(label)
    .bind(description)
    .fetch_one(db)
    .await
}

pub async fn update_exit_rule(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    rule_id: i64,
    label: &str,
    description: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE exit_rules SET label = $3, description = $4 WHERE id = $2 AND school_id = $1",
    )
    .bind(school_id)
    .bind(rule_id)
    .bind(label)
    .bind(description)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete_exit_rule(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    rule_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM exit_rules WHERE id = $1 AND school_id = $2")
        .bind(rule_id)
        .bind(school_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves a rule one place up (`up`) or down in the school's order.
pub async fn move_exit_rule(
    tx: &mut Tx,
    school_id: i64,
    rule_id: i64,
    up: bool,
) -> sqlx::Result<bool> {
    let rules = super::campaigns::exit_rules(&mut **tx, school_id).await?;
    let Some(at) = rules.iter().position(|r| r.id == rule_id) else {
        return Ok(false);
    };
    let other = if up { at.checked_sub(1) } else { Some(at + 1) };
    let mut order: Vec<i64> = rules.iter().map(|r| r.id).collect();
    if let Some(other) = other.filter(|o| *o < order.len()) {
        order.swap(at, other);
    }
    for (position, id) in order.iter().enumerate() {
        sqlx::query("UPDATE exit_rules SET position = $3 WHERE id = $2 AND school_id = $1")
            .bind(school_id)
            .bind(id)
            .bind(position as i64)
            .execute(&mut **tx)
            .await?;
    }
    Ok(true)
}

// ---------------------------------------------------------------- canteen

#[derive(FromRow)]
struct BracketRow {
    label: String,
    quotient_min: i64,
    quotient_max: Option<i64>,
    price_cents: i64,
}

pub async fn tariff_grid(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
) -> sqlx::Result<Vec<Bracket>> {
    let rows: Vec<BracketRow> = sqlx::query_as(
        "SELECT label, quotient_min, quotient_max, price_cents FROM canteen_tariffs
         WHERE school_id = $1 ORDER BY quotient_min, id",
    )
    .bind(school_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Bracket {
            label: r.label,
            min: r.quotient_min,
            max: r.quotient_max,
            price_cents: r.price_cents,
        })
        .collect())
}

/// Replaces the school's grid with `grid` (already checked by
/// `domain::tariff_grid::check`, sorted), in its order.
pub async fn replace_tariff_grid(
    tx: &mut Tx,
    school_id: i64,
    grid: &[Bracket],
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM canteen_tariffs WHERE school_id = $1")
        .bind(school_id)
        .execute(&mut **tx)
        .await?;
    for b in grid {
        sqlx::query(
            "INSERT INTO canteen_tariffs (school_id, label, quotient_min, quotient_max, price_cents)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(school_id)
        .bind(&b.label)
        .bind(b.min)
        .bind(b.max)
        .bind(b.price_cents)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The demi-pension's days (codes `lun,mar,…`) of the school's current campaign.
pub async fn set_canteen_days(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    campaign_id: i64,
    days: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE campaigns SET canteen_days = $3 WHERE id = $2 AND school_id = $1")
        .bind(school_id)
        .bind(campaign_id)
        .bind(days)
        .execute(db)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- ready

/// What the "ready to open" page counts.
#[derive(Debug, Clone, Default)]
pub struct Readiness {
    pub campaign: Option<CampaignSettings>,
    pub mefs: i64,
    pub mefs_to_set: i64,
    pub documents: i64,
    pub exit_rules: i64,
    pub tariffs: i64,
}

pub async fn readiness(conn: &mut AnyConnection, school_id: i64) -> sqlx::Result<Readiness> {
    let campaign = current_campaign(&mut *conn, school_id).await?;
    let mefs = mefs(&mut *conn, school_id).await?;
    let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).bind(school_id);
    Ok(Readiness {
        campaign,
        mefs: mefs.len() as i64,
        mefs_to_set: mefs.iter().filter(|m| m.to_set()).count() as i64,
        documents: count("SELECT COUNT(*) FROM expected_documents WHERE school_id = $1")
            .fetch_one(&mut *conn)
            .await?,
        exit_rules: count("SELECT COUNT(*) FROM exit_rules WHERE school_id = $1")
            .fetch_one(&mut *conn)
            .await?,
        tariffs: count("SELECT COUNT(*) FROM canteen_tariffs WHERE school_id = $1")
            .fetch_one(&mut *conn)
            .await?,
    })
}

// ---------------------------------------------------------------- next year

/// What copying into next year did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextYear {
    /// The new campaign's school year.
    Created(i64),
    NoCampaign,
}

/// `YYYY-MM-DD` one year later (29 February becomes 28 February).
pub fn a_year_later(date: &str) -> Option<String> {
    use chrono::{Datelike, NaiveDate};
    let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let later = d
        .with_year(d.year() + 1)
        .or_else(|| NaiveDate::from_ymd_opt(d.year() + 1, d.month(), 28))?;
    Some(later.format("%Y-%m-%d").to_string())
}

/// Creates the campaign of the year after the current one, with its dates a
/// year later and the same texts, contact, demi-pension days and help.
/// (Pieces, exit rules and tariffs are the school's: they carry over.)
pub async fn copy_to_next_year(tx: &mut Tx, school_id: i64) -> sqlx::Result<NextYear> {
    let Some(current) = current_campaign(&mut **tx, school_id).await? else {
        return Ok(NextYear::NoCampaign);
    };
    let year = current.school_year + 1;
    let later = |d: &Option<String>| d.as_deref().and_then(a_year_later);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO campaigns (school_id, school_year, opens_on, closes_on, returned_until, welcome_text,
             contact_email, contact_phone, canteen_days, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(school_id)
    .bind(year)
    .bind(later(&current.opens_on))
    .bind(later(&current.closes_on))
    .bind(later(&current.returned_until))
    .bind(&current.welcome_text)
    .bind(&current.contact_email)
    .bind(&current.contact_phone)
    .bind(&current.canteen_days)
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO campaign_help_texts (campaign_id, step, body)
         SELECT $1, step, body FROM campaign_help_texts WHERE campaign_id = $2",
    )
    .bind(id)
    .bind(current.id)
    .execute(&mut **tx)
    .await?;
    Ok(NextYear::Created(year))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_a_year_later() {
        assert_eq!(a_year_later("2027-05-02").as_deref(), Some("2028-05-02"));
        assert_eq!(a_year_later("2028-02-29").as_deref(), Some("2029-02-28"));
        assert_eq!(a_year_later("bientôt"), None);
    }
}
