//! The import keeps what the return file to SIECLE must send back as SIECLE had
//! it (issue 13, docs/SIECLE-RETURN.md): private ids, usage names, first names
//! apart, status, provenance, repeating, transport, the pupil's own contacts, the
//! exit, grants, and the links as exported (no invented code, absent ≠ false).

use dossiersco_siecle::synth::{self, FICHIER_ELEVES};

use super::{add_school, run_import, write_exports};
use crate::harness::TestApp;
use crate::on_both_databases;

type PupilRow = (
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    Option<dossiersco::db::Flag>,
    Option<dossiersco::db::Flag>,
    Option<dossiersco::db::Flag>,
    String,
    String,
    Option<String>,
    String,
);

async fn the_import_keeps_what_the_return_file_sends_back(app: TestApp) {
    let mut generated = synth::generate_school(0, 20, 23);
    {
        let e = &mut generated.eleves[0];
        e.id_prv_ele = Some("4521".into());
        e.nom_usage = Some("DURAND".into());
        e.prenom2 = Some("Marie".into());
        e.prenom3 = Some("Élise".into());
        e.code_statut = Some("ST".into());
        e.doublement = Some(true);
        e.adhesion_transport = None;
        e.accepte_sms = Some(false);
        e.tel_portable = Some("+33612345678".into());
        e.mel = Some("eleve@example.org".into());
        e.date_sortie = Some(chrono::NaiveDate::from_ymd_opt(2026, 7, 3).unwrap());
        e.code_motif_sortie = Some("DM".into());
    }
    {
        let p = &mut generated.personnes[0];
        p.id_prv_per = Some("812".into());
        p.nom_usage = Some("MARTIN".into());
        p.communication_adresse = Some(true);
        p.accepte_sms = None;
    }
    let first_link = generated.responsables[0].clone();
    {
        let r = &mut generated.responsables[0];
        r.code_parente = None;
        r.paie_frais_scolaires = None;
        r.heberge_eleve = Some(true);
        r.percoit_les_aides = Some(false);
        r.a_contacter_en_priorite = None;
    }
    let school = add_school(&app, generated.uai.as_str()).await;
    let exports = write_exports(&generated);
    // Grants: the generator writes none; SIECLE's block, by hand.
    let eleves = exports.dir.path().join(FICHIER_ELEVES);
    let xml = std::fs::read(&eleves).unwrap();
    let bourses = format!(
        "<BOURSES><BOURSE ELEVE_ID=\"{0}\"><CODE_BOURSE>N</CODE_BOURSE></BOURSE><BOURSE ELEVE_ID=\"{0}\"><CODE_BOURSE>R</CODE_BOURSE></BOURSE></BOURSES>",
        generated.eleves[0].eleve_id
    );
    // ASCII only: replaced in SIECLE's ISO-8859-15 bytes as they are.
    let at = xml
        .windows(11)
        .position(|w| w == b"<BOURSES />")
        .expect("an empty BOURSES block");
    let mut patched = xml[..at].to_vec();
    patched.extend_from_slice(bourses.as_bytes());
    patched.extend_from_slice(&xml[at + 11..]);
    std::fs::write(&eleves, &patched).unwrap();
    run_import(&app, &school, &exports.files).await;

    let row: PupilRow = sqlx::query_as(
        "SELECT siecle_private_id, usage_name, first_name2, first_name3, status_code, provenance_code,
                repeating, school_transport, accepts_sms, phone_mobile, email, exit_date, exit_reason_code
         FROM pupils WHERE school_id = $1 AND siecle_eleve_id = $2",
    )
    .bind(school.id)
    .bind(generated.eleves[0].eleve_id.to_string())
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(row.0.as_deref(), Some("4521"));
    assert_eq!(
        (&row.1[..], &row.2[..], &row.3[..], &row.4[..], &row.5[..]),
        ("DURAND", "Marie", "Élise", "ST", "1")
    );
    assert_eq!(row.6.map(|f| f.0), Some(true), "DOUBLEMENT");
    assert_eq!(
        row.7.map(|f| f.0),
        None,
        "ADHESION_TRANSPORT absent stays absent"
    );
    assert_eq!(row.8.map(|f| f.0), Some(false), "ACCEPTE_SMS");
    assert_eq!(
        (&row.9[..], &row.10[..]),
        ("+33612345678", "eleve@example.org")
    );
    assert_eq!((row.11.as_deref(), &row.12[..]), (Some("2026-07-03"), "DM"));
    let grants: Vec<String> = sqlx::query_scalar(
        "SELECT g.code FROM pupil_grants g JOIN pupils p ON p.id = g.pupil_id
         WHERE p.school_id = $1 AND p.siecle_eleve_id = $2 ORDER BY g.code",
    )
    .bind(school.id)
    .bind(generated.eleves[0].eleve_id.to_string())
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert_eq!(grants, vec!["N", "R"]);

    let person: (
        Option<String>,
        String,
        Option<dossiersco::db::Flag>,
        Option<dossiersco::db::Flag>,
    ) = sqlx::query_as(
        "SELECT siecle_private_id, usage_name, shares_address, siecle_accepts_sms
         FROM guardians WHERE school_id = $1 AND siecle_personne_id = $2",
    )
    .bind(school.id)
    .bind(generated.personnes[0].personne_id.to_string())
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(person.0.as_deref(), Some("812"));
    assert_eq!(person.1, "MARTIN");
    assert_eq!(person.2.map(|f| f.0), Some(true));
    assert_eq!(
        person.3.map(|f| f.0),
        None,
        "ACCEPTE_SMS absent stays absent"
    );

    let link: (
        String,
        String,
        Option<dossiersco::db::Flag>,
        Option<dossiersco::db::Flag>,
        Option<dossiersco::db::Flag>,
        Option<dossiersco::db::Flag>,
    ) = sqlx::query_as(
        "SELECT g.relationship_code, g.siecle_relationship_code, g.siecle_pays_fees,
                g.siecle_receives_aid, g.siecle_lives_with_pupil, g.siecle_contact_first
         FROM guardianships g
         JOIN pupils p ON p.id = g.pupil_id JOIN guardians u ON u.id = g.guardian_id
         WHERE p.school_id = $1 AND p.siecle_eleve_id = $2 AND u.siecle_personne_id = $3",
    )
    .bind(school.id)
    .bind(first_link.eleve_id.to_string())
    .bind(first_link.personne_id.to_string())
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    // The app's column says 90 (other) when SIECLE gave no code; the kept one is empty.
    assert_eq!((&link.0[..], &link.1[..]), ("90", ""));
    assert_eq!(
        (
            link.2.map(|f| f.0),
            link.3.map(|f| f.0),
            link.4.map(|f| f.0),
            link.5.map(|f| f.0)
        ),
        (None, Some(false), Some(true), None)
    );

    // The same files again change nothing; SIECLE's DOUBLEMENT changing updates the pupil.
    let same = run_import(&app, &school, &exports.files).await;
    assert_eq!(same.counts.pupils_updated, 0);
    assert_eq!(same.counts.guardians_updated, 0);
    generated.eleves[0].doublement = Some(false);
    let newer = write_exports(&generated);
    let preview = run_import(&app, &school, &newer.files).await;
    assert_eq!(preview.counts.pupils_updated, 1);
    let repeating: Option<dossiersco::db::Flag> = sqlx::query_scalar(
        "SELECT repeating FROM pupils WHERE school_id = $1 AND siecle_eleve_id = $2",
    )
    .bind(school.id)
    .bind(generated.eleves[0].eleve_id.to_string())
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(repeating.map(|f| f.0), Some(false));
    // The grants are gone from the newer export: gone from the database.
    let grants: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pupil_grants g JOIN pupils p ON p.id = g.pupil_id WHERE p.school_id = $1",
    )
    .bind(school.id)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(grants, 0);
    app.finish().await;
}

on_both_databases!(the_import_keeps_what_the_return_file_sends_back);
