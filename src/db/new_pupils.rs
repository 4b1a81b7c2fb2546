//! Pupils the school creates at the desk (issue 13, « Nouvel élève »): not yet
//! known to SIECLE (no ELEVE_ID, no INE), with what SIECLE needs for a new
//! pupil, their guardians and a dossier in the current campaign. The return
//! file sends them as new pupils (`siecle_return::new_pupils`); SIECLE's next
//! export is matched to them by names and birth date (`import`).

use sqlx::{Any, Executor, FromRow};

use super::{SchoolScope, Tx, now_ms};
use crate::domain::words;

/// A guardian of a new pupil, as the agent entered it.
#[derive(Debug, Clone, Default)]
pub struct NewGuardian {
    /// CODE_CIVILITE (1 M., 2 Mme) and its short label.
    pub civility_code: String,
    pub civility: String,
    pub last_name: String,
    pub first_name: String,
    /// CODE_PARENTE.
    pub relationship_code: String,
    pub address_lines: String,
    pub postcode: String,
    pub city: String,
    pub country_code: String,
    pub phone_mobile: String,
    pub email: String,
    pub lives_with_pupil: bool,
    pub pays_fees: bool,
}

/// A new pupil, as the agent entered it (checked by the caller).
#[derive(Debug, Clone, Default)]
pub struct NewPupil {
    pub last_name: String,
    pub first_name: String,
    pub other_first_names: String,
    pub sex: String,
    pub birth_date: String,
    pub birth_country_code: String,
    /// Born in France: the INSEE code of the commune; else empty.
    pub birth_commune_insee: String,
    /// Born abroad: the town; else empty.
    pub birth_town_abroad: String,
    pub nationality_code: String,
    /// The MEF entered next year (its code).
    pub entry_mef_code: String,
    pub regime_code: String,
    pub school_transport: bool,
    pub repeating: bool,
    /// Last year's school: its UAI, or its department when only that is known.
    pub last_year_uai: String,
    pub last_year_department: String,
    /// CODE_PROVENANCE, chosen among the school's (`provenances`).
    pub provenance_code: String,
    /// A guardian the school already has (a sibling's), linked first;
    /// checked by the caller with `known_guardian`.
    pub known_guardian: Option<KnownLink>,
    pub guardians: Vec<NewGuardian>,
}

/// The link of a new pupil to a guardian the school already has.
#[derive(Debug, Clone, Default)]
pub struct KnownLink {
    pub guardian_id: i64,
    /// CODE_PARENTE.
    pub relationship_code: String,
    pub lives_with_pupil: bool,
    pub pays_fees: bool,
}

/// A guardian of one of the school's pupils, to link to a new pupil.
#[derive(Debug, Clone)]
pub struct KnownGuardian {
    pub id: i64,
    pub civility_code: String,
    pub last_name: String,
    pub first_name: String,
    /// Their pupils in the school: (first name, last name, division).
    pub pupils: Vec<(String, String, String)>,
}

/// The school's guardians linked to one of its pupils, with those pupils;
/// `only`: just that guardian.
async fn guardians_of_pupils(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    only: Option<i64>,
) -> sqlx::Result<Vec<KnownGuardian>> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(i64, String, String, String, String, String, String)> = sqlx::query_as(
        "SELECT g.id, g.civility_code, g.last_name, g.first_name, p.first_name, p.last_name, p.division
         FROM guardians g JOIN guardianships l ON l.guardian_id = g.id JOIN pupils p ON p.id = l.pupil_id
         WHERE g.school_id = $1 AND p.school_id = $1 AND ($2 = 0 OR g.id = $2)
         ORDER BY g.last_name, g.first_name, g.id, p.first_name",
    )
    .bind(scope.id())
    .bind(only.unwrap_or(0))
    .fetch_all(db)
    .await?;
    let mut out: Vec<KnownGuardian> = Vec::new();
    for (id, civility_code, last_name, first_name, pf, pl, division) in rows {
        if out.last().is_none_or(|g| g.id != id) {
            out.push(KnownGuardian {
                id,
                civility_code,
                last_name,
                first_name,
                pupils: Vec::new(),
            });
        }
        if let Some(g) = out.last_mut() {
            g.pupils.push((pf, pl, division));
        }
    }
    Ok(out)
}

/// The school's guardians (of its pupils, never another school's persons)
/// whose name holds `query` (folded: case, accents, hyphens), 20 at most.
/// A query under two letters finds nobody.
pub async fn search_guardians(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    query: &str,
) -> sqlx::Result<Vec<KnownGuardian>> {
    let wanted = words::folded_name(query);
    if wanted.chars().count() < 2 {
        return Ok(Vec::new());
    }
    Ok(guardians_of_pupils(db, scope, None)
        .await?
        .into_iter()
        .filter(|g| {
            let last = words::folded_name(&g.last_name);
            let both = words::folded_name(&format!("{} {}", g.first_name, g.last_name));
            let reversed = words::folded_name(&format!("{} {}", g.last_name, g.first_name));
            last.contains(&wanted) || both.contains(&wanted) || reversed.contains(&wanted)
        })
        .take(20)
        .collect())
}

/// Guardian `id` if they are a guardian of one of the school's pupils.
pub async fn known_guardian(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    id: i64,
) -> sqlx::Result<Option<KnownGuardian>> {
    if id <= 0 {
        return Ok(None);
    }
    Ok(guardians_of_pupils(db, scope, Some(id))
        .await?
        .into_iter()
        .next())
}

/// A MEF of the school: id, code, label.
#[derive(Debug, Clone, FromRow)]
pub struct Mef {
    pub id: i64,
    pub code: String,
    pub label: String,
}

/// The school's MEFs (the campaign's), by label.
pub async fn mefs(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<Vec<Mef>> {
    sqlx::query_as("SELECT id, code, label FROM mefs WHERE school_id = $1 ORDER BY code")
        .bind(scope.id())
        .fetch_all(db)
        .await
}

/// A provenance of the school's nomenclature: code and words.
#[derive(Debug, Clone, FromRow)]
pub struct Provenance {
    pub code: String,
    pub label: String,
}

/// The school's provenances (kept from SIECLE's nomenclature at import), by
/// code; their words are the long label, else the short one, else the code.
pub async fn provenances(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<Vec<Provenance>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT code, short_label, long_label FROM provenances WHERE school_id = $1 ORDER BY code",
    )
    .bind(scope.id())
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(code, short, long)| {
            let label = [long.trim(), short.trim()]
                .into_iter()
                .find(|l| !l.is_empty())
                .map_or_else(|| code.clone(), words::sentence_case);
            Provenance { code, label }
        })
        .collect())
}

/// A new pupil's provenance, as the dossier's page shows it.
#[derive(Debug, Clone, FromRow)]
pub struct PupilProvenance {
    pub pupil_id: i64,
    /// Created at the desk and still unknown to SIECLE (no ELEVE_ID, no INE):
    /// the return file sends them as a new pupil, with this provenance.
    #[sqlx(try_from = "super::Flag")]
    pub is_new: bool,
    /// CODE_PROVENANCE, empty when the pupil was created without one.
    pub provenance_code: String,
}

/// The provenance of the pupil of the dossier `dossier_id` of the school
/// (none if the dossier is not the school's).
pub async fn provenance_of_dossier(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    dossier_id: i64,
) -> sqlx::Result<Option<PupilProvenance>> {
    sqlx::query_as(
        "SELECT p.id AS pupil_id,
                (p.created_by_school = $3 AND p.siecle_eleve_id IS NULL AND p.ine IS NULL) AS is_new,
                p.provenance_code
         FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
         JOIN pupils p ON p.id = d.pupil_id AND p.school_id = c.school_id
         WHERE d.id = $1 AND c.school_id = $2",
    )
    .bind(dossier_id)
    .bind(scope.id())
    .bind(true)
    .fetch_optional(db)
    .await
}

/// Sets the provenance of a new pupil of the school (created at the desk,
/// unknown to SIECLE); false when there is no such pupil.
pub async fn set_provenance(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    pupil_id: i64,
    code: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE pupils SET provenance_code = $1, updated_at = $2
         WHERE id = $3 AND school_id = $4 AND created_by_school = $5
           AND siecle_eleve_id IS NULL AND ine IS NULL",
    )
    .bind(code)
    .bind(now_ms())
    .bind(pupil_id)
    .bind(scope.id())
    .bind(true)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The régime codes the school's pupils have in SIECLE (the school's
/// nomenclature as the exports show it).
pub async fn regimes(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT regime_code FROM pupils WHERE school_id = $1 AND regime_code <> '' ORDER BY regime_code",
    )
    .bind(scope.id())
    .fetch_all(db)
    .await
}

/// A pupil of the school with the same names and birth date.
#[derive(Debug, Clone, FromRow)]
pub struct Homonym {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub division: String,
    pub ine: Option<String>,
}

/// The school's pupils with these names (folded: case, accents, hyphens)
/// and this birth date (check 15 of RETURN-FILE-RULES.md).
pub async fn homonyms(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    last_name: &str,
    first_name: &str,
    birth_date: &str,
) -> sqlx::Result<Vec<Homonym>> {
    let born: Vec<Homonym> = sqlx::query_as(
        "SELECT id, first_name, last_name, division, ine FROM pupils
         WHERE school_id = $1 AND birth_date = $2 ORDER BY id",
    )
    .bind(scope.id())
    .bind(birth_date)
    .fetch_all(db)
    .await?;
    let (last, first) = (
        words::folded_name(last_name),
        words::folded_name(first_name),
    );
    Ok(born
        .into_iter()
        .filter(|p| {
            words::folded_name(&p.last_name) == last && words::folded_name(&p.first_name) == first
        })
        .collect())
}

/// Creates the pupil, their guardians and a dossier in the school's current
/// campaign; returns (pupil id, dossier id). `None` when the school has no
/// campaign yet.
pub async fn create(
    tx: &mut Tx,
    scope: SchoolScope,
    p: &NewPupil,
) -> sqlx::Result<Option<(i64, i64)>> {
    let school_id = scope.id();
    let now = now_ms();
    let Some(campaign_id): Option<i64> = sqlx::query_scalar(
        "SELECT id FROM campaigns WHERE school_id = $1 ORDER BY school_year DESC LIMIT 1",
    )
    .bind(school_id)
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(None);
    };
    // This year's MEF: the one before the MEF entered, if the school has it.
    let this_year: Option<i64> = sqlx::query_scalar(
        "SELECT m.id FROM mefs m JOIN mefs n ON n.id = m.next_mef_id
         WHERE m.school_id = $1 AND n.code = $2 ORDER BY m.id LIMIT 1",
    )
    .bind(school_id)
    .bind(&p.entry_mef_code)
    .fetch_optional(&mut **tx)
    .await?;
    let mut others = p.other_first_names.split_whitespace();
    let first_name2 = others.next().unwrap_or_default().to_owned();
    let first_name3 = others.collect::<Vec<_>>().join(" ");
    let pupil_id: i64 = sqlx::query_scalar(
        "INSERT INTO pupils (school_id, last_name, first_name, other_first_names, first_name2, first_name3,
            sex, birth_date, birth_city, birth_country_code, nationality_code, birth_commune_insee,
            mef_id, entry_mef_code, regime_code, status_code, last_year_uai, last_year_department,
            repeating, school_transport, created_by_school, created_at, updated_at, provenance_code)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'ST', $16, $17,
            $18, $19, $20, $21, $21, $22)
         RETURNING id",
    )
    .bind(school_id)
    .bind(&p.last_name)
    .bind(&p.first_name)
    .bind(&p.other_first_names)
    .bind(first_name2)
    .bind(first_name3)
    .bind(&p.sex)
    .bind(&p.birth_date)
    .bind(&p.birth_town_abroad)
    .bind(&p.birth_country_code)
    .bind(&p.nationality_code)
    .bind(&p.birth_commune_insee)
    .bind(this_year)
    .bind(&p.entry_mef_code)
    .bind(&p.regime_code)
    .bind(&p.last_year_uai)
    .bind(&p.last_year_department)
    .bind(p.repeating)
    .bind(p.school_transport)
    .bind(true)
    .bind(now)
    .bind(&p.provenance_code)
    .fetch_one(&mut **tx)
    .await?;
    let mut rank: i64 = 0;
    if let Some(k) = &p.known_guardian {
        rank += 1;
        link(
            tx,
            pupil_id,
            k.guardian_id,
            rank,
            &k.relationship_code,
            (k.pays_fees, k.lives_with_pupil),
        )
        .await?;
    }
    for g in &p.guardians {
        rank += 1;
        let guardian_id: i64 = sqlx::query_scalar(
            "INSERT INTO guardians (school_id, civility, civility_code, last_name, first_name, email,
                phone_mobile, address_lines, postcode, city, country_code, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
             RETURNING id",
        )
        .bind(school_id)
        .bind(&g.civility)
        .bind(&g.civility_code)
        .bind(&g.last_name)
        .bind(&g.first_name)
        .bind(&g.email)
        .bind(&g.phone_mobile)
        .bind(&g.address_lines)
        .bind(&g.postcode)
        .bind(&g.city)
        .bind(&g.country_code)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        link(
            tx,
            pupil_id,
            guardian_id,
            rank,
            &g.relationship_code,
            (g.pays_fees, g.lives_with_pupil),
        )
        .await?;
    }
    let dossier_id: i64 = sqlx::query_scalar(
        "INSERT INTO dossiers (campaign_id, pupil_id, state, created_at, updated_at)
         VALUES ($1, $2, 'not_started', $3, $3) RETURNING id",
    )
    .bind(campaign_id)
    .bind(pupil_id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Some((pupil_id, dossier_id)))
}

/// Links the new pupil to a legal guardian; `flags`: (pays fees, lives with
/// the pupil).
async fn link(
    tx: &mut Tx,
    pupil_id: i64,
    guardian_id: i64,
    rank: i64,
    relationship_code: &str,
    flags: (bool, bool),
) -> sqlx::Result<()> {
    let (pays_fees, lives_with_pupil) = flags;
    sqlx::query(
        "INSERT INTO guardianships (pupil_id, guardian_id, rank, relationship_code, legal_responsibility,
            pays_fees, lives_with_pupil, contact_first, from_siecle)
         VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8)",
    )
    .bind(pupil_id)
    .bind(guardian_id)
    .bind(rank)
    .bind(relationship_code)
    .bind(pays_fees)
    .bind(lives_with_pupil)
    .bind(rank == 1)
    .bind(false)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A new pupil of a validated dossier of the school's current campaign,
/// still unknown to SIECLE, as the return file needs it.
#[derive(Debug, Clone, FromRow)]
pub struct ToSend {
    pub dossier_id: i64,
    pub pupil_id: i64,
    pub last_name: String,
    pub first_name: String,
    pub first_name2: String,
    pub first_name3: String,
    pub sex: String,
    pub birth_date: String,
    pub birth_city: String,
    pub birth_country_code: String,
    pub birth_commune_insee: String,
    pub nationality_code: String,
    pub entry_mef_code: String,
    pub regime_code: String,
    pub status_code: String,
    pub last_year_uai: String,
    pub last_year_department: String,
    pub provenance_code: String,
    pub repeating: Option<super::Flag>,
    pub school_transport: Option<super::Flag>,
}

pub async fn validated(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<Vec<ToSend>> {
    sqlx::query_as(
        "SELECT d.id AS dossier_id, p.id AS pupil_id, p.last_name, p.first_name, p.first_name2, p.first_name3,
                p.sex, p.birth_date, p.birth_city, p.birth_country_code, p.birth_commune_insee,
                p.nationality_code, p.entry_mef_code, p.regime_code, p.status_code, p.last_year_uai,
                p.last_year_department, p.provenance_code, p.repeating, p.school_transport
         FROM dossiers d JOIN pupils p ON p.id = d.pupil_id JOIN campaigns c ON c.id = d.campaign_id
         WHERE c.school_id = $1 AND p.school_id = $1 AND d.state = 'validated'
           AND p.created_by_school = $2 AND p.siecle_eleve_id IS NULL AND p.ine IS NULL
           AND c.school_year = (SELECT MAX(c2.school_year) FROM campaigns c2 WHERE c2.school_id = $1)
         ORDER BY p.id",
    )
    .bind(scope.id())
    .bind(true)
    .fetch_all(db)
    .await
}

/// A guardian of a new pupil, as the return file needs it.
#[derive(Debug, Clone, FromRow)]
pub struct GuardianToSend {
    pub pupil_id: i64,
    pub guardian_id: i64,
    pub rank: i64,
    pub relationship_code: String,
    pub legal_responsibility: i64,
    pub pays_fees: super::Flag,
    pub lives_with_pupil: super::Flag,
    pub contact_first: super::Flag,
    pub civility_code: String,
    pub last_name: String,
    pub first_name: String,
    pub address_lines: String,
    pub postcode: String,
    pub city: String,
    pub country_code: String,
    pub phone_mobile: String,
    pub phone_home: String,
    pub phone_work: String,
    pub email: String,
    pub profession_code: String,
    /// SIECLE's PERSONNE_ID and private id, for a guardian SIECLE knows (a
    /// sibling's, linked at creation).
    pub siecle_personne_id: Option<String>,
    pub siecle_private_id: Option<String>,
}

/// The guardians of the school's pupils `pupil_ids`, by pupil and rank.
pub async fn guardians(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    pupil_ids: &[i64],
) -> sqlx::Result<Vec<GuardianToSend>> {
    let all: Vec<GuardianToSend> = sqlx::query_as(
        "SELECT l.pupil_id, g.id AS guardian_id, l.rank, l.relationship_code, l.legal_responsibility,
                l.pays_fees, l.lives_with_pupil, l.contact_first, g.civility_code, g.last_name, g.first_name,
                g.address_lines, g.postcode, g.city, g.country_code, g.phone_mobile, g.phone_home,
                g.phone_work, g.email, g.profession_code, g.siecle_personne_id, g.siecle_private_id
         FROM guardianships l JOIN guardians g ON g.id = l.guardian_id JOIN pupils p ON p.id = l.pupil_id
         WHERE p.school_id = $1 AND p.created_by_school = $2 ORDER BY l.pupil_id, l.rank",
    )
    .bind(scope.id())
    .bind(true)
    .fetch_all(db)
    .await?;
    Ok(all
        .into_iter()
        .filter(|g| pupil_ids.contains(&g.pupil_id))
        .collect())
}
