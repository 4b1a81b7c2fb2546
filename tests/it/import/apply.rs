//! What an import writes: counts, re-imports, missing pupils, shared
//! guardians, values as read, all-or-nothing.

use dossiersco::import::{self, School};
use dossiersco_siecle::synth::{self, FICHIER_ELEVES};

use super::{
    add_school, count, footprint, guardians, links, pupils, replace_all, run_import, write_exports,
};
use crate::harness::TestApp;
use crate::on_both_databases;

async fn generated_schools_import_with_the_right_counts(app: TestApp) {
    for generated in synth::generate(2, 80, 7) {
        let school = add_school(&app, generated.uai.as_str()).await;
        let exports = write_exports(&generated);
        let preview = run_import(&app, &school, &exports.files).await;
        let c = &preview.counts;
        assert_eq!(c.pupils_new as usize, generated.eleves.len());
        assert_eq!(c.guardians_new as usize, generated.personnes.len());
        assert_eq!(
            (c.pupils_updated, c.pupils_unchanged, c.pupils_missing),
            (0, 0, 0)
        );
        assert!(
            preview.problems.is_empty(),
            "synthetic files have no problem: {}",
            preview.to_text()
        );
        assert_eq!(pupils(&app, &school).await as usize, generated.eleves.len());
        assert_eq!(
            guardians(&app, &school).await as usize,
            generated.personnes.len()
        );
        assert_eq!(
            links(&app, &school).await as usize,
            generated.responsables.len()
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM mefs WHERE school_id = $1",
                &school
            )
            .await as usize,
            generated.mefs.len()
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM dossiers d JOIN pupils p ON p.id = d.pupil_id WHERE p.school_id = $1 AND d.state = 'not_started'", &school).await as usize,
            generated.eleves.len()
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM pupils WHERE school_id = $1 AND mef_id IS NULL",
                &school
            )
            .await,
            0,
            "every pupil's MEF is found"
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM pupils WHERE school_id = $1 AND division = ''",
                &school
            )
            .await,
            0,
            "every pupil has a division"
        );
        let campaign_year: i64 =
            sqlx::query_scalar("SELECT school_year FROM campaigns WHERE school_id = $1")
                .bind(school.id)
                .fetch_one(app.db().pool())
                .await
                .unwrap();
        // The campaign prepares the year after the exports' ANNEE_SCOLAIRE,
        // whatever the date of the import.
        assert_eq!(campaign_year, i64::from(generated.annee_scolaire) + 1);
    }
    app.finish().await;
}

async fn a_reimport_updates_without_duplicates_and_keeps_what_families_did(app: TestApp) {
    let mut generated = synth::generate_school(0, 60, 11);
    let school = add_school(&app, generated.uai.as_str()).await;
    let first = write_exports(&generated);
    run_import(&app, &school, &first.files).await;
    let (n_pupils, n_guardians, n_links) = (
        pupils(&app, &school).await,
        guardians(&app, &school).await,
        links(&app, &school).await,
    );
    // A family has started its dossier and holds an access code.
    let eleve_id = generated.eleves[0].eleve_id.to_string();
    let pupil_id: i64 = sqlx::query_scalar("SELECT id FROM pupils WHERE siecle_eleve_id = $1")
        .bind(&eleve_id)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    sqlx::query(
        "UPDATE dossiers SET state = 'submitted', furthest_step = 'options' WHERE pupil_id = $1",
    )
    .bind(pupil_id)
    .execute(app.db().pool())
    .await
    .unwrap();
    sqlx::query("UPDATE guardians SET access_code_hash = 'hash-of-a-code-' || id, failed_sign_ins = 2 WHERE id IN (SELECT guardian_id FROM guardianships WHERE pupil_id = $1)")
        .bind(pupil_id)
        .execute(app.db().pool())
        .await
        .unwrap();

    // The same export again: nothing to do.
    let same = run_import(&app, &school, &first.files).await;
    assert_eq!(same.counts.pupils_unchanged, n_pupils);
    assert_eq!(
        (
            same.counts.pupils_new,
            same.counts.pupils_updated,
            same.counts.pupils_missing
        ),
        (0, 0, 0)
    );
    assert_eq!(same.counts.guardians_unchanged, n_guardians);

    // A newer export: one pupil changed name and class.
    generated.eleves[0].nom_de_famille = "NOUVEAU-NOM".into();
    generated.eleves[0].prenom = "Zoé".into();
    let newer = write_exports(&generated);
    let preview = run_import(&app, &school, &newer.files).await;
    assert_eq!(preview.counts.pupils_updated, 1);
    assert_eq!(preview.counts.pupils_unchanged, n_pupils - 1);
    assert_eq!(preview.counts.pupils_new, 0);
    assert_eq!(pupils(&app, &school).await, n_pupils, "no duplicate");
    assert_eq!(guardians(&app, &school).await, n_guardians);
    assert_eq!(links(&app, &school).await, n_links);
    let (last_name, first_name): (String, String) =
        sqlx::query_as("SELECT last_name, first_name FROM pupils WHERE id = $1")
            .bind(pupil_id)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(
        (last_name.as_str(), first_name.as_str()),
        ("NOUVEAU-NOM", "Zoé")
    );
    let state: (String, String) =
        sqlx::query_as("SELECT state, furthest_step FROM dossiers WHERE pupil_id = $1")
            .bind(pupil_id)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(state, ("submitted".into(), "options".into()));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM guardians WHERE access_code_hash LIKE 'hash-of-a-code-%' AND failed_sign_ins = 2")
            .await,
        count(&app, "SELECT COUNT(*) FROM guardianships WHERE pupil_id = $1", &School { id: pupil_id, uai: String::new() }).await
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers").await,
        n_pupils,
        "one dossier per pupil, not one per import"
    );
    app.finish().await;
}

/// The ELEVE_IDs of the school's pupils flagged missing from SIECLE, sorted.
async fn flagged_missing(app: &TestApp, school: &School) -> Vec<String> {
    let mut ids: Vec<String> = sqlx::query_scalar(
        "SELECT siecle_eleve_id FROM pupils WHERE school_id = $1 AND missing_from_siecle = $2",
    )
    .bind(school.id)
    .bind(true)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    ids.sort();
    ids
}

async fn a_pupil_missing_from_the_new_export_is_flagged_not_deleted(app: TestApp) {
    let mut generated = synth::generate_school(0, 40, 3);
    let school = add_school(&app, generated.uai.as_str()).await;
    run_import(&app, &school, &write_exports(&generated).files).await;
    let gone = generated.eleves.remove(5);
    let preview = run_import(&app, &school, &write_exports(&generated).files).await;
    assert_eq!(preview.counts.pupils_missing, 1);
    assert_eq!(
        pupils(&app, &school).await as usize,
        generated.eleves.len() + 1
    );
    assert_eq!(
        flagged_missing(&app, &school).await,
        vec![gone.eleve_id.to_string()]
    );
    // Back in a later export: no longer flagged.
    generated.eleves.push(gone);
    let back = run_import(&app, &school, &write_exports(&generated).files).await;
    assert_eq!(
        (back.counts.pupils_updated, back.counts.pupils_missing),
        (1, 0)
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM pupils WHERE school_id = $1 AND missing_from_siecle = TRUE",
            &school
        )
        .await,
        0
    );
    app.finish().await;
}

/// A pupil whose record is left out for a problem is still in the export: the
/// preview lists the problem, but the pupil is neither counted nor flagged as
/// missing; a pupil who really left still is.
async fn a_pupil_whose_record_is_left_out_is_not_flagged_missing(app: TestApp) {
    let mut generated = synth::generate_school(0, 30, 3);
    let school = add_school(&app, generated.uai.as_str()).await;
    run_import(&app, &school, &write_exports(&generated).files).await;

    // The reader skips a pupil without a name; the import leaves out one
    // without a birth date; one pupil really left.
    generated.eleves[4].nom_de_famille = String::new();
    generated.eleves[7].date_naiss = None;
    let gone = generated.eleves.remove(10);
    let preview = run_import(&app, &school, &write_exports(&generated).files).await;
    assert_eq!(preview.counts.pupils_missing, 1, "{}", preview.to_text());
    assert_eq!(
        flagged_missing(&app, &school).await,
        vec![gone.eleve_id.to_string()]
    );
    for (eleve, field) in [(4, "NOM_DE_FAMILLE"), (7, "DATE_NAISS")] {
        let record = format!("élève ELEVE_ID {}", generated.eleves[eleve].eleve_id);
        assert!(
            preview.problems.iter().any(|p| !p.fatal
                && p.field.as_deref() == Some(field)
                && p.record.as_deref() == Some(record.as_str())),
            "{field}: {}",
            preview.to_text()
        );
    }

    // A record left out with no readable ELEVE_ID nor INE could be anyone:
    // nobody is flagged this time, and the preview says why.
    let unreadable = generated.eleves[12].eleve_id;
    generated.eleves[12].id_national = None;
    let exports = write_exports(&generated);
    let eleves = exports.dir.path().join(FICHIER_ELEVES);
    let bytes = std::fs::read(&eleves).unwrap();
    let from = format!("ELEVE_ID=\"{unreadable}\"");
    std::fs::write(
        &eleves,
        replace_all(&bytes, from.as_bytes(), b"ELEVE_ID=\"illisible\""),
    )
    .unwrap();
    let preview = run_import(&app, &school, &exports.files).await;
    assert_eq!(preview.counts.pupils_missing, 0, "{}", preview.to_text());
    assert!(
        preview
            .problems
            .iter()
            .any(|p| p.message.contains("ne sont pas signalés cette fois")),
        "{}",
        preview.to_text()
    );
    assert_eq!(
        flagged_missing(&app, &school).await,
        vec![gone.eleve_id.to_string()]
    );
    app.finish().await;
}

async fn siblings_share_their_guardians(app: TestApp) {
    let generated = synth::generate_school(0, 120, 5);
    let school = add_school(&app, generated.uai.as_str()).await;
    run_import(&app, &school, &write_exports(&generated).files).await;
    let shared = count(
        &app,
        "SELECT COUNT(*) FROM (SELECT g.guardian_id FROM guardianships g JOIN pupils p ON p.id = g.pupil_id
         WHERE p.school_id = $1 GROUP BY g.guardian_id HAVING COUNT(*) > 1) AS s",
        &school,
    )
    .await;
    assert!(shared > 0, "the synthetic school has siblings");
    let distinct_persons: std::collections::HashSet<u64> = generated
        .responsables
        .iter()
        .map(|r| r.personne_id)
        .collect();
    assert_eq!(
        guardians(&app, &school).await as usize,
        distinct_persons.len()
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM (SELECT school_id, siecle_personne_id FROM guardians GROUP BY school_id, siecle_personne_id HAVING COUNT(*) > 1) AS d")
            .await,
        0
    );
    app.finish().await;
}

/// Rows travel to the database as JSON (`store::insert_rows`): text with
/// quotes, backslashes and non-ASCII letters, missing values, booleans both
/// ways and numbers arrive exactly as read.
async fn imported_values_arrive_exactly_as_read(app: TestApp) {
    let mut generated = synth::generate_school(0, 30, 17);
    let nasty = r#"O'BRIEN "dit" \ <&> Œ€ é"#;
    generated.eleves[0].nom_de_famille = nasty.into();
    generated.eleves[1].id_national = None;
    generated.personnes[0].prenom = nasty.into();
    generated.personnes[0].accepte_sms = Some(true);
    generated.personnes[1].accepte_sms = Some(false);
    let school = add_school(&app, generated.uai.as_str()).await;
    run_import(&app, &school, &write_exports(&generated).files).await;

    let pupil = |eleve_id: u64| {
        sqlx::query_as::<_, (String, Option<String>, Option<i64>, String)>(
            "SELECT last_name, ine, mef_id, siecle_mef_code FROM pupils WHERE school_id = $1 AND siecle_eleve_id = $2",
        )
        .bind(school.id)
        .bind(eleve_id.to_string())
        .fetch_one(app.db().pool())
    };
    let (last_name, ine, mef_id, mef_code) = pupil(generated.eleves[0].eleve_id).await.unwrap();
    assert_eq!(last_name, nasty);
    assert_eq!(
        ine.as_deref(),
        generated.eleves[0].id_national.as_ref().map(|i| i.as_str())
    );
    assert!(ine.is_some());
    let mef: (i64, String) = sqlx::query_as("SELECT id, code FROM mefs WHERE id = $1")
        .bind(mef_id.expect("a MEF id"))
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(mef.1, mef_code, "the MEF id points at the pupil's MEF");
    let (_, ine, _, _) = pupil(generated.eleves[1].eleve_id).await.unwrap();
    assert_eq!(
        ine, None,
        "a pupil without INE has NULL, not the text 'null'"
    );

    let guardian = |personne_id: u64| {
        sqlx::query_as::<_, (String, dossiersco::db::Flag, dossiersco::db::Flag)>(
            "SELECT first_name, accepts_sms, missing_from_siecle FROM guardians WHERE school_id = $1 AND siecle_personne_id = $2",
        )
        .bind(school.id)
        .bind(personne_id.to_string())
        .fetch_one(app.db().pool())
    };
    let (first_name, sms, missing) = guardian(generated.personnes[0].personne_id).await.unwrap();
    assert_eq!(
        (first_name.as_str(), sms.0, missing.0),
        (nasty, true, false)
    );
    let (_, sms, _) = guardian(generated.personnes[1].personne_id).await.unwrap();
    assert!(!sms.0);

    let paying = generated
        .responsables
        .iter()
        .filter(|r| r.paie_frais_scolaires == Some(true))
        .count();
    assert!(paying > 0 && paying < generated.responsables.len());
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM guardianships g JOIN pupils p ON p.id = g.pupil_id WHERE p.school_id = $1 AND g.pays_fees = TRUE",
            &school
        )
        .await as usize,
        paying
    );
    app.finish().await;
}

async fn an_import_is_all_or_nothing(app: TestApp) {
    let generated = synth::generate_school(0, 120, 5);
    let school = add_school(&app, generated.uai.as_str()).await;
    let exports = write_exports(&generated);
    // A constraint the last step breaks (siblings share guardians), after
    // MEFs, pupils, dossiers and guardians have been written in the transaction.
    sqlx::query("CREATE UNIQUE INDEX one_pupil_per_guardian ON guardianships (guardian_id)")
        .execute(app.db().pool())
        .await
        .unwrap();
    let before = footprint(&app).await;
    let plan = import::plan(app.db(), &school, &exports.files)
        .await
        .unwrap();
    assert!(plan.is_applicable());
    let err = import::apply(app.db(), &plan, None, &|_, _| {})
        .await
        .expect_err("the unique index is violated");
    assert!(
        format!("{err:#}").to_lowercase().contains("unique"),
        "{err:#}"
    );
    assert_eq!(footprint(&app).await, before, "nothing landed");
    assert_eq!(pupils(&app, &school).await, 0);
    app.finish().await;
}

on_both_databases!(
    generated_schools_import_with_the_right_counts,
    a_reimport_updates_without_duplicates_and_keeps_what_families_did,
    a_pupil_missing_from_the_new_export_is_flagged_not_deleted,
    a_pupil_whose_record_is_left_out_is_not_flagged_missing,
    siblings_share_their_guardians,
    imported_values_arrive_exactly_as_read,
    an_import_is_all_or_nothing,
);
