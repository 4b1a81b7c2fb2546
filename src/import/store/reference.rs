//! The school's reference data from SIECLE: MEFs, subjects, programmes and
//! mandatory options (Nomenclature.xml, or the MEFs a spreadsheet names),
//! divisions and groups (Structures.xml, then those the pupils name).

use super::batch::{Val, dedup_by_key, insert_rows};
use crate::db::{Backend, Tx};
use crate::import::model::{NomenclatureIn, PupilIn, StructureIn};

/// Nomenclature.xml: MEFs and subjects upserted, programmes and mandatory
/// options replaced.
pub(super) async fn write_nomenclature(
    tx: &mut Tx,
    backend: Backend,
    school_id: i64,
    n: &NomenclatureIn,
) -> sqlx::Result<()> {
    write_mefs_and_subjects(tx, backend, school_id, n).await?;
    replace_programmes_and_options(tx, backend, school_id, n).await?;
    replace_provenances(tx, backend, school_id, n).await
}

/// The provenances (a new pupil's, chosen by label): replaced whole when the
/// nomenclature has the block, kept as they were when it has none.
async fn replace_provenances(
    tx: &mut Tx,
    backend: Backend,
    school_id: i64,
    n: &NomenclatureIn,
) -> sqlx::Result<()> {
    if n.provenances.is_empty() {
        return Ok(());
    }
    sqlx::query("DELETE FROM provenances WHERE school_id = $1")
        .bind(school_id)
        .execute(&mut **tx)
        .await?;
    let rows = dedup_by_key(&n.provenances, |p| p.0.clone())
        .into_iter()
        .map(|p| {
            vec![
                Val::I(school_id),
                Val::T(p.0.clone()),
                Val::T(p.1.clone()),
                Val::T(p.2.clone()),
            ]
        })
        .collect();
    insert_rows(
        tx,
        backend,
        "INSERT INTO provenances (school_id, code, short_label, long_label)",
        "",
        rows,
    )
    .await
}

async fn write_mefs_and_subjects(
    tx: &mut Tx,
    backend: Backend,
    school_id: i64,
    n: &NomenclatureIn,
) -> sqlx::Result<()> {
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
        tx,
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
        tx,
        backend,
        "INSERT INTO subjects (school_id, code, management_code, short_label, long_label, edition_label, national_code)",
        "ON CONFLICT (school_id, code) DO UPDATE SET management_code = excluded.management_code,
         short_label = excluded.short_label, long_label = excluded.long_label,
         edition_label = excluded.edition_label, national_code = excluded.national_code",
        rows,
    )
    .await?;
    Ok(())
}

/// Programmes and mandatory options are SIECLE's reference: replaced whole.
async fn replace_programmes_and_options(
    tx: &mut Tx,
    backend: Backend,
    school_id: i64,
    n: &NomenclatureIn,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM programmes WHERE school_id = $1")
        .bind(school_id)
        .execute(&mut **tx)
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
        tx,
        backend,
        "INSERT INTO programmes (school_id, mef_code, subject_code, modality_code, weekly_hours)",
        "",
        rows,
    )
    .await?;
    sqlx::query("DELETE FROM mandatory_options WHERE school_id = $1")
        .bind(school_id)
        .execute(&mut **tx)
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
        tx,
        backend,
        "INSERT INTO mandatory_options (school_id, mef_code, subject_code, option_rank)",
        "",
        rows,
    )
    .await?;
    Ok(())
}

/// The MEFs a spreadsheet names (it has no nomenclature): added if unknown.
pub(super) async fn write_spreadsheet_mefs(
    tx: &mut Tx,
    backend: Backend,
    school_id: i64,
    mefs: &[(String, String)],
) -> sqlx::Result<()> {
    let rows = dedup_by_key(mefs, |m| m.0.clone())
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
        tx,
        backend,
        "INSERT INTO mefs (school_id, code, label, from_siecle)",
        "ON CONFLICT (school_id, code) DO NOTHING",
        rows,
    )
    .await?;
    Ok(())
}

/// Divisions and groups: Structures.xml, then those the pupils name.
pub(super) async fn write_structures(
    tx: &mut Tx,
    backend: Backend,
    school_id: i64,
    structures: Option<&[StructureIn]>,
    pupils: &[PupilIn],
) -> sqlx::Result<()> {
    if let Some(structures) = structures {
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
            tx,
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
        tx,
        backend,
        "INSERT INTO structures (school_id, code, kind)",
        "ON CONFLICT (school_id, code) DO NOTHING",
        rows,
    )
    .await?;
    Ok(())
}
