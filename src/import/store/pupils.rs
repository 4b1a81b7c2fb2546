//! The pupils of an import: upserted by ELEVE_ID or INE, their divisions,
//! groups and SIECLE options replaced, those the export no longer has flagged.

use std::collections::HashMap;

use super::batch::{Val, for_ids, insert_rows};
use super::flag_missing;
use crate::db::{Backend, Tx};
use crate::import::model::{PupilIn, PupilKey};
use crate::import::{Action, Plan};

const PUPIL_COLUMNS: &str = "school_id, siecle_eleve_id, ine, elenoet, last_name, first_name, other_first_names, sex,
    birth_date, birth_city, birth_country_code, nationality_code, mef_id, division, missing_from_siecle,
    created_at, updated_at, birth_commune_insee, birth_department, regime_code, siecle_mef_code,
    last_year_mef_code, last_year_division, last_year_uai, entry_date, siecle_address_id, address_lines,
    postcode, city, commune_insee, country_code, siecle_hash, last_import_id, siecle_private_id, usage_name,
    first_name2, first_name3, status_code, provenance_code, repeating, school_transport, accepts_sms,
    phone_home, phone_work, phone_mobile, email, exit_date, exit_reason_code";

const PUPIL_UPDATES: &str = "ine = COALESCE(excluded.ine, pupils.ine), elenoet = COALESCE(excluded.elenoet, pupils.elenoet),
    last_name = excluded.last_name, first_name = excluded.first_name, other_first_names = excluded.other_first_names,
    sex = excluded.sex, birth_date = excluded.birth_date, birth_city = excluded.birth_city,
    birth_country_code = excluded.birth_country_code, nationality_code = excluded.nationality_code,
    mef_id = excluded.mef_id, division = excluded.division, missing_from_siecle = excluded.missing_from_siecle,
    updated_at = excluded.updated_at, birth_commune_insee = excluded.birth_commune_insee,
    birth_department = excluded.birth_department, regime_code = excluded.regime_code,
    siecle_mef_code = excluded.siecle_mef_code, last_year_mef_code = excluded.last_year_mef_code,
    last_year_division = excluded.last_year_division, last_year_uai = excluded.last_year_uai,
    entry_date = excluded.entry_date, siecle_address_id = excluded.siecle_address_id,
    address_lines = excluded.address_lines, postcode = excluded.postcode, city = excluded.city,
    commune_insee = excluded.commune_insee, country_code = excluded.country_code,
    siecle_hash = excluded.siecle_hash, last_import_id = excluded.last_import_id,
    siecle_private_id = excluded.siecle_private_id, usage_name = excluded.usage_name,
    first_name2 = excluded.first_name2, first_name3 = excluded.first_name3,
    status_code = excluded.status_code, provenance_code = excluded.provenance_code,
    repeating = excluded.repeating, school_transport = excluded.school_transport,
    accepts_sms = excluded.accepts_sms, phone_home = excluded.phone_home, phone_work = excluded.phone_work,
    phone_mobile = excluded.phone_mobile, email = excluded.email, exit_date = excluded.exit_date,
    exit_reason_code = excluded.exit_reason_code";

/// Writes the pupils of `plan` (it has a pupils file).
pub(super) async fn write_pupils(
    tx: &mut Tx,
    backend: Backend,
    plan: &Plan,
    import_id: Option<i64>,
    now: i64,
) -> anyhow::Result<()> {
    rekey_found_by_ine(tx, plan).await?;
    let (changed_ids, written) = upsert_pupils(tx, backend, plan, import_id, now).await?;
    replace_structures_and_options(tx, backend, plan.school_id, &changed_ids, &written).await?;
    // Pupils the export no longer has: flagged, never deleted.
    flag_missing(tx, "pupils", &plan.missing_pupils, now).await?;
    Ok(())
}

async fn rekey_found_by_ine(tx: &mut Tx, plan: &Plan) -> sqlx::Result<()> {
    let pupils = plan.parsed.pupils.as_deref().unwrap_or_default();
    // A pupil found by INE takes the file's ELEVE_ID first, so the upsert finds
    // it; a pupil the school created, found by names and birth date, takes
    // both.
    for (p, action) in pupils.iter().zip(&plan.pupil_actions) {
        if let Some(Action::Update { id, rekey: true }) = action {
            sqlx::query(
                "UPDATE pupils SET siecle_eleve_id = COALESCE($1, siecle_eleve_id), ine = COALESCE(ine, $3)
                 WHERE id = $2",
            )
                .bind(p.eleve_id.clone())
                .bind(*id)
                .bind(p.ine.clone())
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// Upserts the new and changed pupils; returns the ids of the changed ones
/// and the pupils written.
async fn upsert_pupils<'p>(
    tx: &mut Tx,
    backend: Backend,
    plan: &'p Plan,
    import_id: Option<i64>,
    now: i64,
) -> sqlx::Result<(Vec<i64>, Vec<&'p PupilIn>)> {
    let school_id = plan.school_id;
    let pupils = plan.parsed.pupils.as_deref().unwrap_or_default();
    let mef_ids: HashMap<String, i64> =
        sqlx::query_as::<_, (String, i64)>("SELECT code, id FROM mefs WHERE school_id = $1")
            .bind(school_id)
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .collect();
    let mut by_eleve_id = Vec::new();
    let mut by_ine = Vec::new();
    let mut changed_ids = Vec::new();
    let mut written = Vec::new();
    for (p, action) in pupils.iter().zip(&plan.pupil_actions) {
        match action {
            None | Some(Action::Unchanged) => continue,
            Some(Action::Update { id, .. }) => changed_ids.push(*id),
            Some(Action::New) => {}
        }
        written.push(p);
        let mef_id = mef_ids.get(&p.mef_code).copied();
        let row = pupil_row(p, school_id, mef_id, now, import_id);
        if p.eleve_id.is_some() {
            by_eleve_id.push(row);
        } else {
            by_ine.push(row);
        }
    }
    let head = format!("INSERT INTO pupils ({PUPIL_COLUMNS})");
    insert_rows(
        tx,
        backend,
        &head,
        &format!("ON CONFLICT (school_id, siecle_eleve_id) DO UPDATE SET {PUPIL_UPDATES}"),
        by_eleve_id,
    )
    .await?;
    insert_rows(
        tx,
        backend,
        &head,
        &format!(
            "ON CONFLICT (school_id, ine) DO UPDATE SET {PUPIL_UPDATES}, siecle_eleve_id = COALESCE(excluded.siecle_eleve_id, pupils.siecle_eleve_id)"
        ),
        by_ine,
    )
    .await?;
    Ok((changed_ids, written))
}

/// The columns of [`PUPIL_COLUMNS`], in order.
fn pupil_row(
    p: &PupilIn,
    school_id: i64,
    mef_id: Option<i64>,
    now: i64,
    import_id: Option<i64>,
) -> Vec<Val> {
    let a = &p.address;
    let k = &p.siecle;
    vec![
        Val::I(school_id),
        Val::OT(p.eleve_id.clone()),
        Val::OT(p.ine.clone()),
        Val::OT(p.elenoet.clone()),
        Val::T(p.last_name.clone()),
        Val::T(p.first_name.clone()),
        Val::T(p.other_first_names.clone()),
        Val::T(p.sex.clone()),
        Val::T(p.birth_date.clone()),
        Val::T(p.birth_city.clone()),
        Val::T(p.birth_country_code.clone()),
        Val::T(p.nationality_code.clone()),
        Val::OI(mef_id),
        Val::T(p.division.clone()),
        Val::B(false),
        Val::I(now),
        Val::I(now),
        Val::T(p.birth_commune_insee.clone()),
        Val::T(p.birth_department.clone()),
        Val::T(p.regime_code.clone()),
        Val::T(p.mef_code.clone()),
        Val::T(p.last_year_mef_code.clone()),
        Val::T(p.last_year_division.clone()),
        Val::T(p.last_year_uai.clone()),
        Val::OT(p.entry_date.clone()),
        Val::OT(a.siecle_id.clone()),
        Val::T(a.lines.clone()),
        Val::T(a.postcode.clone()),
        Val::T(a.city.clone()),
        Val::T(a.commune_insee.clone()),
        Val::T(a.country_code.clone()),
        Val::T(p.fingerprint()),
        Val::OI(import_id),
        Val::OT(k.private_id.clone()),
        Val::T(k.usage_name.clone()),
        Val::T(k.first_name2.clone()),
        Val::T(k.first_name3.clone()),
        Val::T(k.status_code.clone()),
        Val::T(k.provenance_code.clone()),
        Val::OB(k.repeating),
        Val::OB(k.school_transport),
        Val::OB(k.accepts_sms),
        Val::T(k.phone_home.clone()),
        Val::T(k.phone_work.clone()),
        Val::T(k.phone_mobile.clone()),
        Val::T(k.email.clone()),
        Val::OT(k.exit_date.clone()),
        Val::T(k.exit_reason_code.clone()),
    ]
}

/// Their divisions, groups, options and grants: replaced for the pupils written.
async fn replace_structures_and_options(
    tx: &mut Tx,
    backend: Backend,
    school_id: i64,
    changed_ids: &[i64],
    written: &[&PupilIn],
) -> sqlx::Result<()> {
    let ids = pupil_ids(tx, school_id).await?;
    for table in ["pupil_structures", "pupil_siecle_options", "pupil_grants"] {
        for_ids(
            tx,
            &format!("DELETE FROM {table} WHERE pupil_id IN ({{ids}})"),
            &[],
            changed_ids,
        )
        .await?;
    }
    let mut structure_rows = Vec::new();
    let mut option_rows = Vec::new();
    let mut grant_rows = Vec::new();
    for p in written {
        let Some(id) = p.key().and_then(|k| ids.get(&k)).copied() else {
            continue;
        };
        for (code, kind) in &p.structures {
            structure_rows.push(vec![Val::I(id), Val::T(code.clone()), Val::T(kind.clone())]);
        }
        for code in &p.siecle.grant_codes {
            grant_rows.push(vec![Val::I(id), Val::T(code.clone())]);
        }
        for (subject, modality, number) in &p.options {
            option_rows.push(vec![
                Val::I(id),
                Val::T(subject.clone()),
                Val::T(modality.clone()),
                Val::OI(*number),
            ]);
        }
    }
    insert_rows(
        tx,
        backend,
        "INSERT INTO pupil_structures (pupil_id, code, kind)",
        "",
        structure_rows,
    )
    .await?;
    insert_rows(
        tx,
        backend,
        "INSERT INTO pupil_siecle_options (pupil_id, subject_code, modality_code, option_number)",
        "",
        option_rows,
    )
    .await?;
    insert_rows(
        tx,
        backend,
        "INSERT INTO pupil_grants (pupil_id, code)",
        "",
        grant_rows,
    )
    .await?;
    Ok(())
}

/// The ids of the school's pupils, by ELEVE_ID and by INE.
pub(super) async fn pupil_ids(tx: &mut Tx, school_id: i64) -> sqlx::Result<HashMap<PupilKey, i64>> {
    let rows: Vec<(i64, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT id, siecle_eleve_id, ine FROM pupils WHERE school_id = $1")
            .bind(school_id)
            .fetch_all(&mut **tx)
            .await?;
    let mut map = HashMap::with_capacity(rows.len() * 2);
    for (id, eleve_id, ine) in rows {
        if let Some(e) = eleve_id {
            map.insert(PupilKey::EleveId(e), id);
        }
        if let Some(i) = ine {
            map.insert(PupilKey::Ine(i), id);
        }
    }
    Ok(map)
}
