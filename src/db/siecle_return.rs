//! What the return file to SIECLE is assembled from (docs/SIECLE-RETURN.md):
//! the values the import kept, read in bulk for the pupils of a school's
//! current campaign; the school's nomenclature; the private ids allocator; the
//! history of files produced and the school's NUM_ENVOI. Every read is scoped
//! to the school.

use sqlx::{AnyPool, FromRow};

use super::campaigns::is_current;
use super::{Flag, SchoolScope};

/// The school and its current campaign, with what the file's PARAMETRES need.
#[derive(Debug, Clone, FromRow)]
pub struct SchoolRow {
    pub uai: String,
    pub campaign_id: i64,
    pub school_year: i64,
    pub classes_start_on: Option<String>,
    pub classes_end_on: Option<String>,
    /// The exports' ANNEE_SCOLAIRE of the latest applied import.
    pub exports_year: Option<i64>,
}

pub async fn school(pool: &AnyPool, scope: SchoolScope) -> sqlx::Result<Option<SchoolRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT s.uai, c.id AS campaign_id, c.school_year, c.classes_start_on, c.classes_end_on,
                (SELECT i.school_year FROM imports i
                 WHERE i.school_id = s.id AND i.status = 'done' AND i.school_year IS NOT NULL
                 ORDER BY i.id DESC LIMIT 1) AS exports_year
         FROM schools s JOIN campaigns c ON c.school_id = s.id
         WHERE s.id = $1 AND {}",
        is_current("c", "$1")
    )))
    .bind(scope.id())
    .fetch_optional(pool)
    .await
}

/// Sets the first and last days of classes of the school's current campaign
/// (`YYYY-MM-DD`).
pub async fn set_classes_dates(
    pool: &AnyPool,
    scope: SchoolScope,
    start: &str,
    end: &str,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE campaigns SET classes_start_on = $2, classes_end_on = $3
         WHERE school_id = $1 AND {}",
        is_current("campaigns", "$1")
    )))
    .bind(scope.id())
    .bind(start)
    .bind(end)
    .execute(pool)
    .await?
    .rows_affected())
}

/// A pupil of the current campaign's validated dossiers, as imported.
#[derive(Debug, Clone, FromRow)]
pub struct PupilRow {
    pub dossier_id: i64,
    pub pupil_id: i64,
    pub siecle_eleve_id: Option<String>,
    pub siecle_private_id: Option<String>,
    pub ine: Option<String>,
    pub last_name: String,
    pub usage_name: String,
    pub first_name: String,
    pub first_name2: String,
    pub first_name3: String,
    pub sex: String,
    pub birth_date: String,
    pub birth_city: String,
    pub birth_commune_insee: String,
    pub birth_country_code: String,
    pub nationality_code: String,
    pub entry_date: Option<String>,
    pub address_lines: String,
    pub postcode: String,
    pub city: String,
    pub country_code: String,
    pub phone_home: String,
    pub phone_work: String,
    pub phone_mobile: String,
    pub email: String,
    pub accepts_sms: Option<Flag>,
    pub school_transport: Option<Flag>,
    pub regime_code: String,
    pub repeating: Option<Flag>,
    pub siecle_mef_code: String,
    pub division: String,
    pub status_code: String,
    pub last_year_uai: String,
    pub provenance_code: String,
    pub last_year_mef_code: String,
    pub last_year_division: String,
    /// This year's MEF in the campaign (`mefs`), its successor and whether
    /// it ends the collège (the campaign's MEF succession, set-up screen).
    pub mef_label: Option<String>,
    pub next_mef_code: Option<String>,
    pub ends_college: Option<Flag>,
    /// The agent's decision for this pupil: repeats the year (the campaign's
    /// « redoublants », `dossiers.repeating`).
    pub decided_repeating: Flag,
    /// The MEF an agent chose for next year on the dossier's page (a change
    /// of track, `dossiers.next_mef_id`): wins over the two above.
    pub chosen_mef_code: Option<String>,
}

const VALIDATED: &str = "FROM dossiers d
     JOIN campaigns c ON c.id = d.campaign_id
     JOIN pupils p ON p.id = d.pupil_id AND p.school_id = c.school_id";

fn validated_where() -> String {
    format!(
        "c.school_id = $1 AND d.state = 'validated' AND {}",
        is_current("c", "$1")
    )
}

/// The pupils of the current campaign's validated dossiers.
pub async fn validated_pupils(pool: &AnyPool, scope: SchoolScope) -> sqlx::Result<Vec<PupilRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT d.id AS dossier_id, p.id AS pupil_id, p.siecle_eleve_id, p.siecle_private_id, p.ine,
                p.last_name, p.usage_name, p.first_name, p.first_name2, p.first_name3, p.sex,
                p.birth_date, p.birth_city, p.birth_commune_insee, p.birth_country_code,
                p.nationality_code, p.entry_date, p.address_lines, p.postcode, p.city,
                p.country_code, p.phone_home, p.phone_work, p.phone_mobile, p.email,
                p.accepts_sms, p.school_transport, p.regime_code, p.repeating, p.siecle_mef_code,
                p.division, p.status_code, p.last_year_uai, p.provenance_code,
                p.last_year_mef_code, p.last_year_division,
                m.label AS mef_label, n.code AS next_mef_code, m.ends_college,
                d.repeating AS decided_repeating, x.code AS chosen_mef_code
         {VALIDATED}
         LEFT JOIN mefs m ON m.id = p.mef_id AND m.school_id = c.school_id
         LEFT JOIN mefs n ON n.id = m.next_mef_id AND n.school_id = c.school_id
         LEFT JOIN mefs x ON x.id = d.next_mef_id AND x.school_id = c.school_id
         WHERE {}
         ORDER BY p.last_name, p.first_name, p.id",
        validated_where()
    )))
    .bind(scope.id())
    .fetch_all(pool)
    .await
}

/// A pupil of the current campaign whose dossier says they leave the school.
#[derive(Debug, Clone, FromRow)]
pub struct LeavingRow {
    pub dossier_id: i64,
    pub pupil_id: i64,
    pub ine: Option<String>,
    pub last_name: String,
    pub first_name: String,
    pub division: String,
    pub mef_label: Option<String>,
    /// SIECLE's DATE_SORTIE and CODE_MOTIF_SORTIE, when it already had them.
    pub exit_date: Option<String>,
    pub exit_reason_code: String,
}

/// The pupils of the current campaign marked as leaving (dossier state
/// `leaving`), by name.
pub async fn leaving_pupils(pool: &AnyPool, scope: SchoolScope) -> sqlx::Result<Vec<LeavingRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT d.id AS dossier_id, p.id AS pupil_id, p.ine, p.last_name, p.first_name,
                p.division, m.label AS mef_label, p.exit_date, p.exit_reason_code
         FROM dossiers d
         JOIN campaigns c ON c.id = d.campaign_id
         JOIN pupils p ON p.id = d.pupil_id AND p.school_id = c.school_id
         LEFT JOIN mefs m ON m.id = p.mef_id AND m.school_id = c.school_id
         WHERE c.school_id = $1 AND d.state = 'leaving' AND {}
         ORDER BY p.last_name, p.first_name, p.id",
        is_current("c", "$1")
    )))
    .bind(scope.id())
    .fetch_all(pool)
    .await
}

/// A link of such a pupil with a person, and the person as imported.
#[derive(Debug, Clone, FromRow)]
pub struct LinkRow {
    pub pupil_id: i64,
    pub guardian_id: i64,
    pub rank: i64,
    pub legal_responsibility: i64,
    pub from_siecle: Flag,
    pub siecle_relationship_code: String,
    pub siecle_pays_fees: Option<Flag>,
    pub siecle_receives_aid: Option<Flag>,
    pub siecle_lives_with_pupil: Option<Flag>,
    pub siecle_contact_first: Option<Flag>,
    pub siecle_personne_id: Option<String>,
    pub siecle_private_id: Option<String>,
    pub civility_code: String,
    pub last_name: String,
    pub usage_name: String,
    pub first_name: String,
    pub address_lines: String,
    pub postcode: String,
    pub city: String,
    pub country_code: String,
    pub shares_address: Option<Flag>,
    pub profession_code: String,
    pub phone_home: String,
    pub phone_work: String,
    pub phone_mobile: String,
    pub siecle_accepts_sms: Option<Flag>,
    pub email: String,
}

pub async fn validated_links(pool: &AnyPool, scope: SchoolScope) -> sqlx::Result<Vec<LinkRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT l.pupil_id, g.id AS guardian_id, l.rank, l.legal_responsibility, l.from_siecle,
                l.siecle_relationship_code, l.siecle_pays_fees, l.siecle_receives_aid,
                l.siecle_lives_with_pupil, l.siecle_contact_first, g.siecle_personne_id,
                g.siecle_private_id, g.civility_code, g.last_name, g.usage_name, g.first_name,
                g.address_lines, g.postcode, g.city, g.country_code, g.shares_address,
                g.profession_code, g.phone_home, g.phone_work, g.phone_mobile,
                g.siecle_accepts_sms, g.email
         {VALIDATED}
         JOIN guardianships l ON l.pupil_id = p.id
         JOIN guardians g ON g.id = l.guardian_id AND g.school_id = c.school_id
         WHERE {}
         ORDER BY l.pupil_id, l.rank, g.id",
        validated_where()
    )))
    .bind(scope.id())
    .fetch_all(pool)
    .await
}

/// (pupil, code, NB_PART) rows of the validated pupils' grants; the number
/// of parts is the school's (`grant_parts`), when entered for the campaign.
pub async fn validated_grants(
    pool: &AnyPool,
    scope: SchoolScope,
) -> sqlx::Result<Vec<(i64, String, Option<i64>)>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT g.pupil_id, g.code, gp.parts {VALIDATED} JOIN pupil_grants g ON g.pupil_id = p.id
         LEFT JOIN grant_parts gp
           ON gp.campaign_id = c.id AND gp.pupil_id = g.pupil_id AND gp.code = g.code
         WHERE {} ORDER BY g.pupil_id, g.code",
        validated_where()
    )))
    .bind(scope.id())
    .fetch_all(pool)
    .await
}

/// An option of a validated pupil, as SIECLE lists it.
#[derive(Debug, Clone, FromRow)]
pub struct OptionRow {
    pub pupil_id: i64,
    pub subject_code: String,
    pub modality_code: String,
    pub option_number: Option<i64>,
    /// The subject's CODE_GESTION (nomenclature), for OPTIONS_AN_DERNIER.
    pub management_code: Option<String>,
}

pub async fn validated_options(pool: &AnyPool, scope: SchoolScope) -> sqlx::Result<Vec<OptionRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT o.pupil_id, o.subject_code, o.modality_code, o.option_number,
                s.management_code
         {VALIDATED} JOIN pupil_siecle_options o ON o.pupil_id = p.id
         LEFT JOIN subjects s ON s.school_id = c.school_id AND s.code = o.subject_code
         WHERE {} ORDER BY o.pupil_id, o.option_number, o.subject_code",
        validated_where()
    )))
    .bind(scope.id())
    .fetch_all(pool)
    .await
}

/// A MEF of the school's nomenclature.
#[derive(Debug, Clone, FromRow)]
pub struct MefRow {
    pub code: String,
    pub label: String,
    pub mandatory_options_count: Option<i64>,
}

pub async fn mefs(pool: &AnyPool, scope: SchoolScope) -> sqlx::Result<Vec<MefRow>> {
    sqlx::query_as(
        "SELECT code, label, mandatory_options_count FROM mefs WHERE school_id = $1 ORDER BY code",
    )
    .bind(scope.id())
    .fetch_all(pool)
    .await
}

/// A subject of the nomenclature.
#[derive(Debug, Clone, FromRow)]
pub struct SubjectRow {
    pub code: String,
    pub management_code: String,
    pub short_label: String,
    pub long_label: String,
}

pub async fn subjects(pool: &AnyPool, scope: SchoolScope) -> sqlx::Result<Vec<SubjectRow>> {
    sqlx::query_as(
        "SELECT code, management_code, short_label, long_label FROM subjects
         WHERE school_id = $1 ORDER BY code",
    )
    .bind(scope.id())
    .fetch_all(pool)
    .await
}

/// (MEF, subject, modality) of PROGRAMMES.
pub async fn programmes(
    pool: &AnyPool,
    scope: SchoolScope,
) -> sqlx::Result<Vec<(String, String, String)>> {
    sqlx::query_as(
        "SELECT mef_code, subject_code, modality_code FROM programmes
         WHERE school_id = $1 ORDER BY mef_code, subject_code, modality_code",
    )
    .bind(scope.id())
    .fetch_all(pool)
    .await
}

/// (MEF, subject, rank) of OPTIONS_OBLIGATOIRES.
pub async fn mandatory_options(
    pool: &AnyPool,
    scope: SchoolScope,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    sqlx::query_as(
        "SELECT mef_code, subject_code, option_rank FROM mandatory_options
         WHERE school_id = $1 ORDER BY mef_code, subject_code, option_rank",
    )
    .bind(scope.id())
    .fetch_all(pool)
    .await
}

/// (code, label, MEF codes separated by commas or spaces) of the divisions.
pub async fn divisions(
    pool: &AnyPool,
    scope: SchoolScope,
) -> sqlx::Result<Vec<(String, String, String)>> {
    sqlx::query_as(
        "SELECT code, label, mef_codes FROM structures
         WHERE school_id = $1 AND kind = 'D' ORDER BY code",
    )
    .bind(scope.id())
    .fetch_all(pool)
    .await
}

/// Who holds an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Pupil,
    Person,
}

impl IdKind {
    fn as_str(self) -> &'static str {
        match self {
            IdKind::Pupil => "pupil",
            IdKind::Person => "person",
        }
    }

    fn table(self) -> &'static str {
        match self {
            IdKind::Pupil => "pupils",
            IdKind::Person => "guardians",
        }
    }
}

/// The private ids our allocator gave the school's records of `kind`:
/// record → number.
pub async fn allocated_ids(
    pool: &AnyPool,
    scope: SchoolScope,
    kind: IdKind,
) -> sqlx::Result<Vec<(i64, i64)>> {
    sqlx::query_as(
        "SELECT record_id, number FROM siecle_private_ids WHERE school_id = $1 AND kind = $2",
    )
    .bind(scope.id())
    .bind(kind.as_str())
    .fetch_all(pool)
    .await
}

/// Gives each of `records` (of the school, without an exported private id) a
/// private id of its own: above every id SIECLE exported for the school and
/// every id already given, so never one used before. Returns record → number
/// for every record asked (already given ones included).
pub async fn allocate_ids(
    pool: &AnyPool,
    scope: SchoolScope,
    kind: IdKind,
    records: &[i64],
) -> sqlx::Result<Vec<(i64, i64)>> {
    let mut tx = pool.begin().await?;
    let given: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT record_id, number FROM siecle_private_ids WHERE school_id = $1 AND kind = $2",
    )
    .bind(scope.id())
    .bind(kind.as_str())
    .fetch_all(&mut *tx)
    .await?;
    let exported: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT siecle_private_id FROM {} WHERE school_id = $1 AND siecle_private_id IS NOT NULL",
        kind.table()
    )))
    .bind(scope.id())
    .fetch_all(&mut *tx)
    .await?;
    let mut next = given
        .iter()
        .map(|(_, n)| *n)
        .chain(exported.iter().filter_map(|s| s.trim().parse::<i64>().ok()))
        .max()
        .unwrap_or(0)
        + 1;
    let known: std::collections::HashMap<i64, i64> = given.into_iter().collect();
    let mut out = Vec::with_capacity(records.len());
    for &record in records {
        if let Some(&n) = known.get(&record) {
            out.push((record, n));
            continue;
        }
        sqlx::query(
            "INSERT INTO siecle_private_ids (school_id, kind, record_id, number)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(scope.id())
        .bind(kind.as_str())
        .bind(record)
        .bind(next)
        .execute(&mut *tx)
        .await?;
        out.push((record, next));
        next += 1;
    }
    tx.commit().await?;
    Ok(out)
}

/// The school's last downloaded file: (NUM_ENVOI, generation time).
pub async fn last_send(pool: &AnyPool, scope: SchoolScope) -> sqlx::Result<Option<(i64, String)>> {
    sqlx::query_as(
        "SELECT send_number, generated_at FROM siecle_sends
         WHERE school_id = $1 AND send_number IS NOT NULL
         ORDER BY send_number DESC LIMIT 1",
    )
    .bind(scope.id())
    .fetch_optional(pool)
    .await
}

/// A file produced or dry-run, to record.
#[derive(Debug, Clone)]
pub struct NewSend<'a> {
    pub campaign_id: i64,
    /// `None` for a dry run.
    pub send_number: Option<i64>,
    pub file_name: &'a str,
    pub agent_id: Option<i64>,
    pub from_cli: bool,
    pub generated_at: &'a str,
    pub blocking_count: i64,
    pub warning_count: i64,
    pub dossiers: &'a [i64],
    pub now: i64,
}

/// Records a file in the school's history; a downloaded file marks its
/// dossiers as sent. Fails (unique NUM_ENVOI) when another file took the
/// number meanwhile.
pub async fn record_send(
    pool: &AnyPool,
    scope: SchoolScope,
    send: &NewSend<'_>,
) -> sqlx::Result<i64> {
    let mut tx = pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO siecle_sends (school_id, campaign_id, send_number, dry_run, file_name,
                                   agent_id, from_cli, generated_at, blocking_count,
                                   warning_count, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(scope.id())
    .bind(send.campaign_id)
    .bind(send.send_number)
    .bind(send.send_number.is_none())
    .bind(send.file_name)
    .bind(send.agent_id)
    .bind(send.from_cli)
    .bind(send.generated_at)
    .bind(send.blocking_count)
    .bind(send.warning_count)
    .bind(send.now)
    .fetch_one(&mut *tx)
    .await?;
    for dossier in send.dossiers {
        sqlx::query(
            "INSERT INTO siecle_send_dossiers (send_id, dossier_id)
             SELECT $1, d.id FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
             WHERE d.id = $2 AND c.school_id = $3",
        )
        .bind(id)
        .bind(dossier)
        .bind(scope.id())
        .execute(&mut *tx)
        .await?;
        if send.send_number.is_some() {
            sqlx::query(
                "UPDATE dossiers SET siecle_send_id = $1
                 WHERE id = $2 AND campaign_id IN (SELECT id FROM campaigns WHERE school_id = $3)",
            )
            .bind(id)
            .bind(dossier)
            .bind(scope.id())
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(id)
}

/// A file of the school's history.
#[derive(Debug, Clone, FromRow)]
pub struct SendRow {
    pub id: i64,
    pub send_number: Option<i64>,
    pub dry_run: Flag,
    pub file_name: String,
    pub agent_id: Option<i64>,
    pub from_cli: Flag,
    pub generated_at: String,
    pub dossier_count: i64,
}

/// The school's history of files, latest first.
pub async fn sends(pool: &AnyPool, scope: SchoolScope) -> sqlx::Result<Vec<SendRow>> {
    sqlx::query_as(
        "SELECT s.id, s.send_number, s.dry_run, s.file_name, s.agent_id, s.from_cli, s.generated_at,
                (SELECT COUNT(*) FROM siecle_send_dossiers sd WHERE sd.send_id = s.id) AS dossier_count
         FROM siecle_sends s WHERE s.school_id = $1 ORDER BY s.id DESC",
    )
    .bind(scope.id())
    .fetch_all(pool)
    .await
}

/// The dossiers of the school sent in a downloaded file.
pub async fn sent_dossiers(pool: &AnyPool, scope: SchoolScope) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT d.id FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
         WHERE c.school_id = $1 AND d.siecle_send_id IS NOT NULL ORDER BY d.id",
    )
    .bind(scope.id())
    .fetch_all(pool)
    .await
}
