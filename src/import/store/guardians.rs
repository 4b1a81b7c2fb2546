//! The guardians of an import and their links to the pupils.

use std::collections::{HashMap, HashSet};

use super::batch::{Val, insert_rows};
use super::flag_missing;
use super::pupils::pupil_ids;
use crate::db::{Backend, Flag, Tx};
use crate::import::model::{LinkIn, LinkSiecleValues};
use crate::import::{Action, Plan};

/// Upserts the new and changed guardians; flags those the export no longer
/// has (never deleted).
pub(super) async fn write_guardians(
    tx: &mut Tx,
    backend: Backend,
    plan: &Plan,
    import_id: Option<i64>,
    now: i64,
) -> anyhow::Result<()> {
    let Some((guardians, _)) = &plan.parsed.guardians else {
        return Ok(());
    };
    // Guardians created at the desk, found in SIECLE's export: the row takes
    // the PERSONNE_ID first, so the upsert finds it (same id: their family's
    // sign-in, messages and dossiers stay theirs). What the agent typed and
    // SIECLE leaves empty (e-mail, mobile) is kept.
    let mut kept: Vec<(i64, String, String)> = Vec::new();
    for (g, action) in guardians.iter().zip(&plan.guardian_actions) {
        if let Action::Update { id, rekey: true } = action {
            let (email, mobile): (String, String) =
                sqlx::query_as("SELECT email, phone_mobile FROM guardians WHERE id = $1")
                    .bind(*id)
                    .fetch_one(&mut **tx)
                    .await?;
            kept.push((*id, email, mobile));
            sqlx::query("UPDATE guardians SET siecle_personne_id = $1 WHERE id = $2")
                .bind(&g.key)
                .bind(*id)
                .execute(&mut **tx)
                .await?;
        }
    }
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
                Val::OT(g.siecle.private_id.clone()),
                Val::T(g.siecle.usage_name.clone()),
                Val::OB(g.siecle.shares_address),
                Val::OB(g.siecle.accepts_sms),
            ]
        })
        .collect();
    insert_rows(
        tx,
        backend,
        "INSERT INTO guardians (school_id, siecle_personne_id, civility, civility_code, last_name, first_name,
             email, phone_mobile, phone_home, phone_work, profession_code, accepts_sms, siecle_address_id,
             address_lines, postcode, city, commune_insee, country_code, missing_from_siecle, siecle_hash,
             last_import_id, created_at, updated_at, siecle_private_id, usage_name, shares_address,
             siecle_accepts_sms)",
        "ON CONFLICT (school_id, siecle_personne_id) DO UPDATE SET civility = excluded.civility,
             civility_code = excluded.civility_code, last_name = excluded.last_name,
             first_name = excluded.first_name, email = excluded.email, phone_mobile = excluded.phone_mobile,
             phone_home = excluded.phone_home, phone_work = excluded.phone_work,
             profession_code = excluded.profession_code, accepts_sms = excluded.accepts_sms,
             siecle_address_id = excluded.siecle_address_id, address_lines = excluded.address_lines,
             postcode = excluded.postcode, city = excluded.city, commune_insee = excluded.commune_insee,
             country_code = excluded.country_code, missing_from_siecle = excluded.missing_from_siecle,
             siecle_hash = excluded.siecle_hash, last_import_id = excluded.last_import_id,
             updated_at = excluded.updated_at, siecle_private_id = excluded.siecle_private_id,
             usage_name = excluded.usage_name, shares_address = excluded.shares_address,
             siecle_accepts_sms = excluded.siecle_accepts_sms",
        rows,
    )
    .await?;
    for (id, email, mobile) in kept {
        sqlx::query(
            "UPDATE guardians SET email = CASE WHEN email = '' THEN $2 ELSE email END,
                 phone_mobile = CASE WHEN phone_mobile = '' THEN $3 ELSE phone_mobile END
             WHERE id = $1",
        )
        .bind(id)
        .bind(email)
        .bind(mobile)
        .execute(&mut **tx)
        .await?;
    }
    flag_missing(tx, "guardians", &plan.missing_guardians, now).await?;
    Ok(())
}

type LinkRow = (
    i64,
    i64,
    i64,
    String,
    i64,
    Flag,
    Flag,
    Flag,
    Flag,
    Flag,
    String,
    String,
);

/// The links of the files' guardians to their pupils; the SIECLE links the
/// files no longer have are deleted for the pupils they cover.
pub(super) async fn write_links(tx: &mut Tx, backend: Backend, plan: &Plan) -> anyhow::Result<()> {
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
                g.pays_fees, g.receives_aid, g.lives_with_pupil, g.contact_first, g.from_siecle,
                g.siecle_relationship_code,
                CASE WHEN g.siecle_pays_fees IS NULL THEN '-' WHEN g.siecle_pays_fees THEN '1' ELSE '0' END
                || CASE WHEN g.siecle_receives_aid IS NULL THEN '-' WHEN g.siecle_receives_aid THEN '1' ELSE '0' END
                || CASE WHEN g.siecle_lives_with_pupil IS NULL THEN '-' WHEN g.siecle_lives_with_pupil THEN '1' ELSE '0' END
                || CASE WHEN g.siecle_contact_first IS NULL THEN '-' WHEN g.siecle_contact_first THEN '1' ELSE '0' END
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
        if existing
            .get(&(pupil_id, guardian_id))
            .is_some_and(|e| same_siecle_link(e, l))
        {
            continue;
        }
        rows.push(link_row(pupil_id, guardian_id, l));
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
             pays_fees, receives_aid, lives_with_pupil, contact_first, from_siecle,
             siecle_relationship_code, siecle_pays_fees, siecle_receives_aid, siecle_lives_with_pupil,
             siecle_contact_first)",
        "ON CONFLICT (pupil_id, guardian_id) DO UPDATE SET rank = excluded.rank,
             relationship_code = excluded.relationship_code, legal_responsibility = excluded.legal_responsibility,
             pays_fees = excluded.pays_fees, receives_aid = excluded.receives_aid,
             lives_with_pupil = excluded.lives_with_pupil, contact_first = excluded.contact_first,
             from_siecle = excluded.from_siecle,
             siecle_relationship_code = excluded.siecle_relationship_code,
             siecle_pays_fees = excluded.siecle_pays_fees, siecle_receives_aid = excluded.siecle_receives_aid,
             siecle_lives_with_pupil = excluded.siecle_lives_with_pupil,
             siecle_contact_first = excluded.siecle_contact_first",
        rows,
    )
    .await?;
    Ok(())
}

/// Whether a link in the database is the file's, as SIECLE wrote it.
fn same_siecle_link(e: &LinkRow, l: &LinkIn) -> bool {
    e.2 == l.rank
        && e.3 == l.relationship_code
        && e.4 == l.legal_responsibility
        && e.5.0 == l.pays_fees
        && e.6.0 == l.receives_aid
        && e.7.0 == l.lives_with_pupil
        && e.8.0 == l.contact_first
        && e.9.0
        && e.10 == l.siecle.relationship_code
        && e.11 == siecle_flags(&l.siecle)
}

/// The four exported flags of a link in one comparable text: `1`, `0` or `-`
/// (absent) for PAIE_FRAIS_SCOLAIRES, PERCOIT_LES_AIDES, HEBERGE_ELEVE and
/// A_CONTACTER_EN_PRIORITE (the SELECT of `write_links` computes the same).
fn siecle_flags(s: &LinkSiecleValues) -> String {
    [
        s.pays_fees,
        s.receives_aid,
        s.lives_with_pupil,
        s.contact_first,
    ]
    .iter()
    .map(|f| match f {
        Some(true) => '1',
        Some(false) => '0',
        None => '-',
    })
    .collect()
}

fn link_row(pupil_id: i64, guardian_id: i64, l: &LinkIn) -> Vec<Val> {
    vec![
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
        Val::T(l.siecle.relationship_code.clone()),
        Val::OB(l.siecle.pays_fees),
        Val::OB(l.siecle.receives_aid),
        Val::OB(l.siecle.lives_with_pupil),
        Val::OB(l.siecle.contact_first),
    ]
}
