//! Writing a [`Plan`] in one transaction, with multi-row upserts (a few
//! statements per thousand rows, on both engines).

use std::collections::{HashMap, HashSet};

use serde::ser::Error as _;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

use super::model::{LinkIn, PupilKey};
use super::{Action, Counts, Plan};
use crate::db::{Backend, Db, Flag, Tx, now_ms};

/// Rows per statement. A batch travels as one JSON parameter, so its size is
/// bounded by memory and round trips, not by placeholders (see
/// docs/BENCHMARKS.md for how it was chosen).
const BATCH_ROWS: usize = 1_000;

/// A value of a row to insert.
#[derive(Debug, Clone)]
enum Val {
    T(String),
    OT(Option<String>),
    I(i64),
    OI(Option<i64>),
    B(bool),
}

fn bind(
    q: Query<'static, sqlx::Any, AnyArguments>,
    v: Val,
) -> Query<'static, sqlx::Any, AnyArguments> {
    match v {
        Val::T(s) => q.bind(s),
        Val::OT(s) => q.bind(s),
        Val::I(i) => q.bind(i),
        Val::OI(i) => q.bind(i),
        Val::B(b) => q.bind(b),
    }
}

impl Val {
    /// The SQL that reads column `n` of a JSON row `r.value` as this type.
    fn column(&self, n: usize) -> String {
        match self {
            Val::T(_) | Val::OT(_) => format!("r.value->>{n}"),
            Val::I(_) | Val::OI(_) => format!("CAST(r.value->>{n} AS BIGINT)"),
            Val::B(_) => format!("CAST(r.value->>{n} AS BOOLEAN)"),
        }
    }

    fn to_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            Val::T(s) | Val::OT(Some(s)) => serde_json::to_writer(out, s),
            Val::I(i) | Val::OI(Some(i)) => serde_json::to_writer(out, i),
            Val::OT(None) | Val::OI(None) => serde_json::to_writer(out, &()),
            Val::B(b) => serde_json::to_writer(out, b),
        }
    }
}

/// One batch as a JSON array of row arrays.
fn json_batch(rows: &[Vec<Val>]) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(rows.len() * rows.first().map_or(0, Vec::len) * 12);
    out.push(b'[');
    for (i, row) in rows.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"[" } else { b",[" });
        for (c, v) in row.iter().enumerate() {
            if c > 0 {
                out.push(b',');
            }
            v.to_json(&mut out)?;
        }
        out.push(b']');
    }
    out.push(b']');
    // serde_json writes UTF-8 only.
    String::from_utf8(out).map_err(serde_json::Error::custom)
}

/// Runs `head SELECT … tail` over `rows`, in batches: each batch is sent as
/// ONE JSON text parameter (an array of row arrays) that the statement
/// unpacks ([`Backend::json_rows`]), so each statement is written once for
/// both engines. Binding thousands of `$N` parameters through sqlx's `Any`
/// layer cost more than writing and reading the JSON (see
/// docs/BENCHMARKS.md), and SQLite no longer looks numbered parameters up.
async fn insert_rows(
    tx: &mut Tx,
    backend: Backend,
    head: &str,
    tail: &str,
    rows: Vec<Vec<Val>>,
) -> sqlx::Result<()> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let columns: Vec<String> = first.iter().enumerate().map(|(n, v)| v.column(n)).collect();
    // `WHERE true`: SQLite needs it to tell an upsert's ON from a join's.
    let sql = format!(
        "{head} SELECT {} FROM {} WHERE true {tail}",
        columns.join(", "),
        backend.json_rows("$1")
    );
    for batch in rows.chunks(BATCH_ROWS) {
        let json = json_batch(batch).map_err(|e| sqlx::Error::Encode(e.into()))?;
        sqlx::query(AssertSqlSafe(sql.clone()))
            .bind(json)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Runs `sql` with `ids` in place of `{ids}` (`$k, $k+1…`), in chunks; the
/// fixed parameters come first.
async fn for_ids(tx: &mut Tx, sql: &str, fixed: &[Val], ids: &[i64]) -> sqlx::Result<()> {
    // Short lists only (missing rows, changed pupils): `$N` is fine here.
    for chunk in ids.chunks(500) {
        let list: Vec<String> = (0..chunk.len())
            .map(|i| format!("${}", fixed.len() + i + 1))
            .collect();
        let mut q = sqlx::query(AssertSqlSafe(sql.replace("{ids}", &list.join(","))));
        for v in fixed {
            q = bind(q, v.clone());
        }
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

fn dedup_by_key<T, K: std::hash::Hash + Eq>(items: &[T], key: impl Fn(&T) -> K) -> Vec<&T> {
    let mut seen = HashSet::new();
    items.iter().filter(|i| seen.insert(key(i))).collect()
}

/// Writes `plan` in one transaction; returns what was done. `import_id`, when
/// given, is recorded on the rows and its `imports` row marked done in the
/// same transaction. `progress(done, total)` is called between batches.
pub async fn apply(
    db: &Db,
    plan: &Plan,
    import_id: Option<i64>,
    progress: &(dyn Fn(i64, i64) + Send + Sync),
) -> anyhow::Result<Counts> {
    anyhow::ensure!(
        plan.is_applicable(),
        "this import has fatal problems and cannot be applied"
    );
    let school_id = plan.school_id;
    let parsed = &plan.parsed;
    let now = now_ms();
    let backend = db.backend();
    let pupils = parsed.pupils.as_deref().unwrap_or_default();
    let (guardians, links): (&[_], &[LinkIn]) = match &parsed.guardians {
        Some((g, l)) => (g.as_slice(), l.as_slice()),
        None => (&[][..], &[][..]),
    };
    let total = (pupils.len() + guardians.len() + links.len()) as i64 + 3;
    let mut done = 0;
    progress(done, total);

    let mut tx = db.begin().await?;
    let started = std::time::Instant::now();
    let step = |name: &str| {
        tracing::debug!(
            import.step = name,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "import step done"
        )
    };

    // 1. Nomenclature.
    if let Some(n) = &parsed.nomenclature {
        let rows = dedup_by_key(&n.mefs, |m| m.code.clone())
            .into_iter()
            .map(|m| {
                vec![
                    Val::I(school_id),
                    Val::T(m.code.clone()),
                    Val::T(m.label.clone()),
                    Val::T(m.edition_label.clone()),
                    Val::T(m.attached_mef_code.clone()),
                    Val::T(m.formation.clone()),
                    Val::OI(m.mandatory_options_count),
                    Val::B(true),
                ]
            })
            .collect();
        insert_rows(
            &mut tx,
            backend,
            "INSERT INTO mefs (school_id, code, label, edition_label, attached_mef_code, formation, mandatory_options_count, from_siecle)",
            "ON CONFLICT (school_id, code) DO UPDATE SET label = excluded.label, edition_label = excluded.edition_label,
             attached_mef_code = excluded.attached_mef_code, formation = excluded.formation,
             mandatory_options_count = excluded.mandatory_options_count, from_siecle = excluded.from_siecle",
            rows,
        )
        .await?;
        let rows = dedup_by_key(&n.subjects, |s| s.code.clone())
            .into_iter()
            .map(|s| {
                vec![
                    Val::I(school_id),
                    Val::T(s.code.clone()),
                    Val::T(s.management_code.clone()),
                    Val::T(s.short_label.clone()),
                    Val::T(s.long_label.clone()),
                    Val::T(s.edition_label.clone()),
                    Val::T(s.national_code.clone()),
                ]
            })
            .collect();
        insert_rows(
            &mut tx,
            backend,
            "INSERT INTO subjects (school_id, code, management_code, short_label, long_label, edition_label, national_code)",
            "ON CONFLICT (school_id, code) DO UPDATE SET management_code = excluded.management_code,
             short_label = excluded.short_label, long_label = excluded.long_label,
             edition_label = excluded.edition_label, national_code = excluded.national_code",
            rows,
        )
        .await?;
        // Programmes and mandatory options are SIECLE's reference: replaced whole.
        sqlx::query("DELETE FROM programmes WHERE school_id = $1")
            .bind(school_id)
            .execute(&mut *tx)
            .await?;
        let rows = dedup_by_key(&n.programmes, |p| (p.0.clone(), p.1.clone(), p.2.clone()))
            .into_iter()
            .map(|p| {
                vec![
                    Val::I(school_id),
                    Val::T(p.0.clone()),
                    Val::T(p.1.clone()),
                    Val::T(p.2.clone()),
                    Val::T(p.3.clone()),
                ]
            })
            .collect();
        insert_rows(
            &mut tx,
            backend,
            "INSERT INTO programmes (school_id, mef_code, subject_code, modality_code, weekly_hours)",
            "",
            rows,
        )
        .await?;
        sqlx::query("DELETE FROM mandatory_options WHERE school_id = $1")
            .bind(school_id)
            .execute(&mut *tx)
            .await?;
        let rows = dedup_by_key(&n.mandatory_options, |o| o.clone())
            .into_iter()
            .map(|o| {
                vec![
                    Val::I(school_id),
                    Val::T(o.0.clone()),
                    Val::T(o.1.clone()),
                    Val::I(o.2),
                ]
            })
            .collect();
        insert_rows(
            &mut tx,
            backend,
            "INSERT INTO mandatory_options (school_id, mef_code, subject_code, option_rank)",
            "",
            rows,
        )
        .await?;
    }
    let rows = dedup_by_key(&parsed.spreadsheet_mefs, |m| m.0.clone())
        .into_iter()
        .map(|(code, label)| {
            vec![
                Val::I(school_id),
                Val::T(code.clone()),
                Val::T(label.clone()),
                Val::B(true),
            ]
        })
        .collect();
    insert_rows(
        &mut tx,
        backend,
        "INSERT INTO mefs (school_id, code, label, from_siecle)",
        "ON CONFLICT (school_id, code) DO NOTHING",
        rows,
    )
    .await?;

    // 2. Divisions and groups: Structures.xml, then those the pupils name.
    if let Some(structures) = &parsed.structures {
        let rows = dedup_by_key(structures, |s| s.code.clone())
            .into_iter()
            .map(|s| {
                vec![
                    Val::I(school_id),
                    Val::T(s.code.clone()),
                    Val::T(s.kind.clone()),
                    Val::T(s.label.clone()),
                    Val::T(s.mef_codes.join(",")),
                ]
            })
            .collect();
        insert_rows(
            &mut tx,
            backend,
            "INSERT INTO structures (school_id, code, kind, label, mef_codes)",
            "ON CONFLICT (school_id, code) DO UPDATE SET kind = excluded.kind, label = excluded.label, mef_codes = excluded.mef_codes",
            rows,
        )
        .await?;
    }
    let seen_structures: Vec<(String, String)> = pupils
        .iter()
        .flat_map(|p| p.structures.iter().cloned())
        .collect();
    let rows = dedup_by_key(&seen_structures, |s| s.0.clone())
        .into_iter()
        .map(|(code, kind)| {
            vec![
                Val::I(school_id),
                Val::T(code.clone()),
                Val::T(kind.clone()),
            ]
        })
        .collect();
    insert_rows(
        &mut tx,
        backend,
        "INSERT INTO structures (school_id, code, kind)",
        "ON CONFLICT (school_id, code) DO NOTHING",
        rows,
    )
    .await?;
    done += 1;
    progress(done, total);
    step("nomenclature and structures");

    // 3. Pupils.
    if parsed.pupils.is_some() {
        write_pupils(&mut tx, backend, plan, import_id, now).await?;
        done += pupils.len() as i64;
        progress(done, total);
        step("pupils");
        let campaign_id = current_campaign(&mut tx, school_id, now).await?;
        sqlx::query(
            "INSERT INTO dossiers (campaign_id, pupil_id, state, created_at, updated_at)
             SELECT $1, p.id, 'not_started', $2, $2 FROM pupils p
             WHERE p.school_id = $3 AND p.missing_from_siecle = $4
               AND NOT EXISTS (SELECT 1 FROM dossiers d WHERE d.campaign_id = $1 AND d.pupil_id = p.id)",
        )
        .bind(campaign_id)
        .bind(now)
        .bind(school_id)
        .bind(false)
        .execute(&mut *tx)
        .await?;
        step("dossiers");
    }

    // 4. Guardians and their links.
    if parsed.guardians.is_some() {
        write_guardians(&mut tx, backend, plan, import_id, now).await?;
        done += guardians.len() as i64;
        progress(done, total);
        step("guardians");
        write_links(&mut tx, backend, plan).await?;
        step("links");
    }

    if let Some(id) = import_id {
        super::records::mark_done(&mut tx, id, &plan.preview).await?;
    }
    tx.commit().await?;
    step("commit");
    progress(total, total);
    Ok(plan.preview.counts.clone())
}

/// The school's current campaign (the latest), created for the coming school
/// year when there is none.
async fn current_campaign(tx: &mut Tx, school_id: i64, now: i64) -> sqlx::Result<i64> {
    let existing: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM campaigns WHERE school_id = $1 ORDER BY school_year DESC LIMIT 1",
    )
    .bind(school_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    sqlx::query_scalar(
        "INSERT INTO campaigns (school_id, school_year, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(school_id)
    .bind(crate::campaign::school_year_starting())
    .bind(now)
    .fetch_one(&mut **tx)
    .await
}

const PUPIL_COLUMNS: &str = "school_id, siecle_eleve_id, ine, elenoet, last_name, first_name, other_first_names, sex,
    birth_date, birth_city, birth_country_code, nationality_code, mef_id, division, missing_from_siecle,
    created_at, updated_at, birth_commune_insee, birth_department, regime_code, siecle_mef_code,
    last_year_mef_code, last_year_division, last_year_uai, entry_date, siecle_address_id, address_lines,
    postcode, city, commune_insee, country_code, siecle_hash, last_import_id";

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
    siecle_hash = excluded.siecle_hash, last_import_id = excluded.last_import_id";

async fn write_pupils(
    tx: &mut Tx,
    backend: Backend,
    plan: &Plan,
    import_id: Option<i64>,
    now: i64,
) -> anyhow::Result<()> {
    let school_id = plan.school_id;
    let pupils = plan.parsed.pupils.as_deref().unwrap_or_default();
    // A pupil found by INE takes the file's ELEVE_ID first, so the upsert finds it.
    for (p, action) in pupils.iter().zip(&plan.pupil_actions) {
        if let Some(Action::Update { id, rekey: true }) = action {
            sqlx::query("UPDATE pupils SET siecle_eleve_id = $1 WHERE id = $2")
                .bind(p.eleve_id.clone())
                .bind(*id)
                .execute(&mut **tx)
                .await?;
        }
    }
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
        let a = &p.address;
        let row = vec![
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
            Val::OI(mef_ids.get(&p.mef_code).copied()),
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
        ];
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

    // Their divisions, groups and options: replaced for the pupils written.
    let ids = pupil_ids(tx, school_id).await?;
    for table in ["pupil_structures", "pupil_siecle_options"] {
        for_ids(
            tx,
            &format!("DELETE FROM {table} WHERE pupil_id IN ({{ids}})"),
            &[],
            &changed_ids,
        )
        .await?;
    }
    let mut structure_rows = Vec::new();
    let mut option_rows = Vec::new();
    for p in written {
        let Some(id) = p.key().and_then(|k| ids.get(&k)).copied() else {
            continue;
        };
        for (code, kind) in &p.structures {
            structure_rows.push(vec![Val::I(id), Val::T(code.clone()), Val::T(kind.clone())]);
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

    // Pupils the export no longer has: flagged, never deleted.
    for_ids(
        tx,
        "UPDATE pupils SET missing_from_siecle = $1, updated_at = $2 WHERE id IN ({ids})",
        &[Val::B(true), Val::I(now)],
        &plan.missing_pupils,
    )
    .await?;
    Ok(())
}

/// The ids of the school's pupils, by ELEVE_ID and by INE.
async fn pupil_ids(tx: &mut Tx, school_id: i64) -> sqlx::Result<HashMap<PupilKey, i64>> {
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

async fn write_guardians(
    tx: &mut Tx,
    backend: Backend,
    plan: &Plan,
    import_id: Option<i64>,
    now: i64,
) -> anyhow::Result<()> {
    let Some((guardians, _)) = &plan.parsed.guardians else {
        return Ok(());
    };
    let rows = guardians
        .iter()
        .zip(&plan.guardian_actions)
        .filter(|(_, a)| **a != Action::Unchanged)
        .map(|(g, _)| {
            let a = &g.address;
            vec![
                Val::I(plan.school_id),
                Val::T(g.key.clone()),
                Val::T(g.civility.clone()),
                Val::T(g.civility_code.clone()),
                Val::T(g.last_name.clone()),
                Val::T(g.first_name.clone()),
                Val::T(g.email.clone()),
                Val::T(g.phone_mobile.clone()),
                Val::T(g.phone_home.clone()),
                Val::T(g.phone_work.clone()),
                Val::T(g.profession_code.clone()),
                Val::B(g.accepts_sms),
                Val::OT(a.siecle_id.clone()),
                Val::T(a.lines.clone()),
                Val::T(a.postcode.clone()),
                Val::T(a.city.clone()),
                Val::T(a.commune_insee.clone()),
                Val::T(a.country_code.clone()),
                Val::B(false),
                Val::T(g.fingerprint()),
                Val::OI(import_id),
                Val::I(now),
                Val::I(now),
            ]
        })
        .collect();
    insert_rows(
        tx,
        backend,
        "INSERT INTO guardians (school_id, siecle_personne_id, civility, civility_code, last_name, first_name,
             email, phone_mobile, phone_home, phone_work, profession_code, accepts_sms, siecle_address_id,
             address_lines, postcode, city, commune_insee, country_code, missing_from_siecle, siecle_hash,
             last_import_id, created_at, updated_at)",
        "ON CONFLICT (school_id, siecle_personne_id) DO UPDATE SET civility = excluded.civility,
             civility_code = excluded.civility_code, last_name = excluded.last_name,
             first_name = excluded.first_name, email = excluded.email, phone_mobile = excluded.phone_mobile,
             phone_home = excluded.phone_home, phone_work = excluded.phone_work,
             profession_code = excluded.profession_code, accepts_sms = excluded.accepts_sms,
             siecle_address_id = excluded.siecle_address_id, address_lines = excluded.address_lines,
             postcode = excluded.postcode, city = excluded.city, commune_insee = excluded.commune_insee,
             country_code = excluded.country_code, missing_from_siecle = excluded.missing_from_siecle,
             siecle_hash = excluded.siecle_hash, last_import_id = excluded.last_import_id,
             updated_at = excluded.updated_at",
        rows,
    )
    .await?;
    for_ids(
        tx,
        "UPDATE guardians SET missing_from_siecle = $1, updated_at = $2 WHERE id IN ({ids})",
        &[Val::B(true), Val::I(now)],
        &plan.missing_guardians,
    )
    .await?;
    Ok(())
}

type LinkRow = (i64, i64, i64, String, i64, Flag, Flag, Flag, Flag, Flag);

async fn write_links(tx: &mut Tx, backend: Backend, plan: &Plan) -> anyhow::Result<()> {
    let Some((_, links)) = &plan.parsed.guardians else {
        return Ok(());
    };
    let school_id = plan.school_id;
    let pupil_ids = pupil_ids(tx, school_id).await?;
    let guardian_ids: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
        "SELECT siecle_personne_id, id FROM guardians WHERE school_id = $1 AND siecle_personne_id IS NOT NULL",
    )
    .bind(school_id)
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .collect();
    let existing: Vec<LinkRow> = sqlx::query_as(
        "SELECT g.pupil_id, g.guardian_id, g.rank, g.relationship_code, g.legal_responsibility,
                g.pays_fees, g.receives_aid, g.lives_with_pupil, g.contact_first, g.from_siecle
         FROM guardianships g JOIN pupils p ON p.id = g.pupil_id WHERE p.school_id = $1",
    )
    .bind(school_id)
    .fetch_all(&mut **tx)
    .await?;
    let existing: HashMap<(i64, i64), &LinkRow> =
        existing.iter().map(|l| ((l.0, l.1), l)).collect();
    // The pupils whose links the files describe: their other SIECLE links go.
    let mut covered: HashSet<i64> = plan
        .parsed
        .pupils
        .iter()
        .flatten()
        .filter_map(|p| p.key().and_then(|k| pupil_ids.get(&k)).copied())
        .collect();
    let mut desired = HashSet::new();
    let mut rows = Vec::new();
    for l in links {
        let (Some(&pupil_id), Some(&guardian_id)) =
            (pupil_ids.get(&l.pupil), guardian_ids.get(&l.guardian_key))
        else {
            continue;
        };
        covered.insert(pupil_id);
        if !desired.insert((pupil_id, guardian_id)) {
            continue;
        }
        let unchanged = existing.get(&(pupil_id, guardian_id)).is_some_and(|e| {
            e.2 == l.rank
                && e.3 == l.relationship_code
                && e.4 == l.legal_responsibility
                && e.5.0 == l.pays_fees
                && e.6.0 == l.receives_aid
                && e.7.0 == l.lives_with_pupil
                && e.8.0 == l.contact_first
                && e.9.0
        });
        if unchanged {
            continue;
        }
        rows.push(vec![
            Val::I(pupil_id),
            Val::I(guardian_id),
            Val::I(l.rank),
            Val::T(l.relationship_code.clone()),
            Val::I(l.legal_responsibility),
            Val::B(l.pays_fees),
            Val::B(l.receives_aid),
            Val::B(l.lives_with_pupil),
            Val::B(l.contact_first),
            Val::B(true),
        ]);
    }
    for ((pupil_id, guardian_id), e) in &existing {
        if e.9.0 && covered.contains(pupil_id) && !desired.contains(&(*pupil_id, *guardian_id)) {
            sqlx::query("DELETE FROM guardianships WHERE pupil_id = $1 AND guardian_id = $2")
                .bind(*pupil_id)
                .bind(*guardian_id)
                .execute(&mut **tx)
                .await?;
        }
    }
    insert_rows(
        tx,
        backend,
        "INSERT INTO guardianships (pupil_id, guardian_id, rank, relationship_code, legal_responsibility,
             pays_fees, receives_aid, lives_with_pupil, contact_first, from_siecle)",
        "ON CONFLICT (pupil_id, guardian_id) DO UPDATE SET rank = excluded.rank,
             relationship_code = excluded.relationship_code, legal_responsibility = excluded.legal_responsibility,
             pays_fees = excluded.pays_fees, receives_aid = excluded.receives_aid,
             lives_with_pupil = excluded.lives_with_pupil, contact_first = excluded.contact_first,
             from_siecle = excluded.from_siecle",
        rows,
    )
    .await?;
    Ok(())
}
