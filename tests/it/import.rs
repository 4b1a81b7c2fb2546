//! The SIECLE import (issue 3), on both databases: counts, re-imports,
//! missing pupils, shared guardians, all-or-nothing, bad files, the shared
//! samples, and the web flow from upload to the job page.

use std::io::Write;
use std::path::{Path, PathBuf};

use dossiersco::import::records::StoredFile;
use dossiersco::import::{self, InputFile, Preview, School};
use dossiersco_siecle::synth::{
    self, FICHIER_ELEVES, FICHIER_NOMENCLATURE, FICHIER_RESPONSABLES, FICHIER_STRUCTURES,
    SynthSchool,
};

use crate::harness::TestApp;
use crate::on_both_databases;

/// A synthetic school's four XML exports written to a temporary folder.
pub(crate) struct Exports {
    pub dir: tempfile::TempDir,
    pub files: Vec<InputFile>,
}

pub(crate) fn write_exports(school: &SynthSchool) -> Exports {
    let dir = tempfile::tempdir().unwrap();
    school.write_all_to_dir(dir.path()).unwrap();
    let files = [
        FICHIER_ELEVES,
        FICHIER_RESPONSABLES,
        FICHIER_NOMENCLATURE,
        FICHIER_STRUCTURES,
    ]
    .iter()
    .map(|name| InputFile {
        name: name.to_string(),
        path: dir.path().join(name),
    })
    .collect();
    Exports { dir, files }
}

fn input(dir: &Path, name: &str, bytes: &[u8]) -> InputFile {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    InputFile {
        name: name.into(),
        path,
    }
}

async fn add_school(app: &TestApp, uai: &str) -> School {
    let id = dossiersco::db::schools::upsert(app.db().pool(), uai, "Collège d'essai", "", "")
        .await
        .unwrap();
    School {
        id,
        uai: uai.into(),
    }
}

/// Plans and applies; panics on a fatal problem.
async fn run_import(app: &TestApp, school: &School, files: &[InputFile]) -> Preview {
    let plan = import::plan(app.db(), school, files).await.unwrap();
    assert!(plan.is_applicable(), "{}", plan.preview.to_text());
    import::apply(app.db(), &plan, None, &|_, _| {})
        .await
        .unwrap();
    plan.preview
}

async fn count(app: &TestApp, sql: &str, school: &School) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(school.id)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

async fn pupils(app: &TestApp, school: &School) -> i64 {
    count(
        app,
        "SELECT COUNT(*) FROM pupils WHERE school_id = $1",
        school,
    )
    .await
}

async fn guardians(app: &TestApp, school: &School) -> i64 {
    count(
        app,
        "SELECT COUNT(*) FROM guardians WHERE school_id = $1",
        school,
    )
    .await
}

async fn links(app: &TestApp, school: &School) -> i64 {
    count(
        app,
        "SELECT COUNT(*) FROM guardianships g JOIN pupils p ON p.id = g.pupil_id WHERE p.school_id = $1",
        school,
    )
    .await
}

/// Every table an import writes, for "nothing changed" assertions.
async fn footprint(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "pupils",
        "guardians",
        "guardianships",
        "dossiers",
        "campaigns",
        "mefs",
        "subjects",
        "programmes",
        "mandatory_options",
        "structures",
        "pupil_structures",
        "pupil_siecle_options",
        "imports",
    ] {
        out.push(
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(app.db().pool())
                .await
                .unwrap(),
        );
    }
    out
}

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
        assert_eq!(campaign_year, dossiersco::campaign::school_year_starting());
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

/// Plans `files` for `school` and checks the import is refused with a fatal
/// problem naming `file` and containing `expected`, and that nothing is written.
async fn assert_refused(
    app: &TestApp,
    school: &School,
    files: &[InputFile],
    file: &str,
    expected: &[&str],
) {
    let before = footprint(app).await;
    let plan = import::plan(app.db(), school, files).await.unwrap();
    assert!(!plan.is_applicable(), "{file} is refused");
    let fatal = plan
        .preview
        .problems
        .iter()
        .find(|p| p.fatal)
        .expect("a fatal problem");
    assert_eq!(fatal.file, file);
    let text = fatal.to_string();
    for part in expected {
        assert!(text.contains(part), "« {text} » should contain « {part} »");
    }
    assert!(
        import::apply(app.db(), &plan, None, &|_, _| {})
            .await
            .is_err()
    );
    assert_eq!(footprint(app).await, before, "nothing written for {file}");
}

fn xlsx_with_rows(rows: &[&[&str]]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *value).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

fn zip_bomb(path: &Path) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(b"<Types/>").unwrap();
    zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..300 {
        zip.write_all(&zeros).unwrap();
    }
    zip.finish().unwrap();
}

async fn bad_files_are_refused_with_a_clear_message_and_nothing_is_written(app: TestApp) {
    let generated = synth::generate_school(0, 30, 9);
    let other = synth::generate_school(1, 10, 9);
    let school = add_school(&app, generated.uai.as_str()).await;
    let exports = write_exports(&generated);
    let dir = exports.dir.path();
    let eleves = std::fs::read(dir.join(FICHIER_ELEVES)).unwrap();

    // Truncated in the middle of a pupil.
    let truncated = input(dir, "tronque.xml", &eleves[..eleves.len() / 2]);
    assert_refused(
        &app,
        &school,
        &[truncated],
        "tronque.xml",
        &["ligne", "tronqué"],
    )
    .await;

    // Declared UTF-8, written in ISO-8859-15 (accented names are invalid UTF-8).
    let text = String::from_utf8_lossy(&eleves).replace("ISO-8859-15", "UTF-8");
    let mut latin = text.into_bytes();
    // Put raw Latin-1 bytes back where the lossy decoding replaced them.
    latin = replace_all(&latin, "\u{FFFD}".as_bytes(), &[0xE9]);
    let wrong_encoding = input(dir, "encodage.xml", &latin);
    assert_refused(
        &app,
        &school,
        &[wrong_encoding],
        "encodage.xml",
        &["ligne", "encodé"],
    )
    .await;

    // Another school's export.
    let other_exports = write_exports(&other);
    let foreign = input(
        dir,
        "autre_etablissement.xml",
        &std::fs::read(other_exports.dir.path().join(FICHIER_ELEVES)).unwrap(),
    );
    assert_refused(
        &app,
        &school,
        &[exports.files[2].clone(), foreign],
        "autre_etablissement.xml",
        &[other.uai.as_str(), generated.uai.as_str(), "refusé"],
    )
    .await;

    // Empty file, and a file that is not an export.
    let empty = input(dir, "vide.xml", b"");
    assert_refused(&app, &school, &[empty], "vide.xml", &["vide"]).await;
    let photo = input(dir, "photo.jpg", b"\xFF\xD8\xFF\xE0 not an export");
    assert_refused(
        &app,
        &school,
        &[photo],
        "photo.jpg",
        &["pas un export SIECLE"],
    )
    .await;

    // Billion laughs: refused at the DOCTYPE, never expanded.
    let laughs = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE BEE_ELEVES [<!ENTITY a \"ha\">{}]>\n<BEE_ELEVES><PARAMETRES><UAJ>{}</UAJ></PARAMETRES><DONNEES>&j;</DONNEES></BEE_ELEVES>",
        (b'b'..=b'j')
            .map(|c| {
                let prev = (c - 1) as char;
                format!(
                    "<!ENTITY {} \"{}\">",
                    c as char,
                    format!("&{prev};").repeat(10)
                )
            })
            .collect::<String>(),
        generated.uai
    );
    let bomb = input(dir, "rires.xml", laughs.as_bytes());
    assert_refused(&app, &school, &[bomb], "rires.xml", &["DOCTYPE"]).await;

    // Zip bomb dressed as a spreadsheet.
    let zip_path = dir.join("classeur.xlsx");
    zip_bomb(&zip_path);
    let zip_input = InputFile {
        name: "classeur.xlsx".into(),
        path: zip_path,
    };
    assert_refused(
        &app,
        &school,
        &[zip_input],
        "classeur.xlsx",
        &["décompressé"],
    )
    .await;

    // Spreadsheets: no header row, then a missing required column.
    let no_header = input(
        dir,
        "sans_entete.xlsx",
        &xlsx_with_rows(&[
            &["DUPONT", "Marie", "01/02/2012"],
            &["MARTIN", "Paul", "03/04/2011"],
        ]),
    );
    assert_refused(
        &app,
        &school,
        &[no_header],
        "sans_entete.xlsx",
        &["en-tête"],
    )
    .await;
    let missing_column = input(
        dir,
        "sans_prenom.xlsx",
        &xlsx_with_rows(&[
            &[
                "Nom de famille",
                "Date Naissance",
                "Sexe",
                "Id National",
                "Code MEF",
            ],
            &["DUPONT", "01/02/2012", "F", "070832327JA", "10010012110"],
        ]),
    );
    assert_refused(
        &app,
        &school,
        &[missing_column],
        "sans_prenom.xlsx",
        &["manquante", "Prénom"],
    )
    .await;

    // Two pupil files in one import.
    assert_refused(
        &app,
        &school,
        &[exports.files[0].clone(), input(dir, "copie.xml", &eleves)],
        "copie.xml",
        &["double emploi"],
    )
    .await;
    app.finish().await;
}

fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

async fn an_unknown_mef_is_a_problem_in_the_preview(app: TestApp) {
    let mut generated = synth::generate_school(0, 30, 4);
    generated.eleves[3].code_mef = Some("99999999999".into());
    let school = add_school(&app, generated.uai.as_str()).await;
    let exports = write_exports(&generated);
    let before = footprint(&app).await;
    let plan = import::plan(app.db(), &school, &exports.files)
        .await
        .unwrap();
    assert_eq!(footprint(&app).await, before, "a preview writes nothing");
    let problem = plan
        .preview
        .problems
        .iter()
        .find(|p| p.field.as_deref() == Some("CODE_MEF"))
        .unwrap_or_else(|| panic!("{}", plan.preview.to_text()));
    assert_eq!(problem.file, FICHIER_ELEVES);
    assert!(
        problem
            .location
            .as_deref()
            .unwrap_or("")
            .starts_with("ligne ")
    );
    assert!(
        problem.message.contains("99999999999"),
        "{}",
        problem.message
    );
    assert!(!problem.fatal);
    // Applied, the pupil is there with the code kept and no MEF.
    import::apply(app.db(), &plan, None, &|_, _| {})
        .await
        .unwrap();
    let (mef_id, code): (Option<i64>, String) =
        sqlx::query_as("SELECT mef_id, siecle_mef_code FROM pupils WHERE siecle_eleve_id = $1")
            .bind(generated.eleves[3].eleve_id.to_string())
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!((mef_id, code.as_str()), (None, "99999999999"));
    app.finish().await;
}

/// The shared SIECLE samples, read in place (`DOSSIERSCO_SIECLE_SAMPLES`, as
/// `.ci/run` exports it, else `../shared/siecle/samples` next to the
/// checkout); skipped visibly when absent.
fn samples_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("DOSSIERSCO_SIECLE_SAMPLES") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/siecle/samples"),
    };
    if dir.join("nomenclature_simple.xml").exists() {
        return Some(dir);
    }
    if std::env::var("DOSSIERSCO_REQUIRE_ALL").as_deref() == Ok("1") {
        panic!(
            "the shared SIECLE samples are required (DOSSIERSCO_REQUIRE_ALL=1) but {} is missing",
            dir.display()
        );
    }
    let _ = writeln!(
        std::io::stderr(),
        "skipped: SIECLE samples tests ({} not found)",
        dir.display()
    );
    None
}

fn sample(dir: &Path, name: &str) -> InputFile {
    InputFile {
        name: name.into(),
        path: dir.join(name),
    }
}

async fn the_shared_samples_import_or_are_refused_clearly(app: TestApp) {
    let Some(dir) = samples_dir() else {
        app.finish().await;
        return;
    };
    // Nomenclature and responsables of the Calvados collège.
    let school = add_school(&app, "0140070A").await;
    let preview = run_import(
        &app,
        &school,
        &[
            sample(&dir, "nomenclature_simple.xml"),
            sample(&dir, "responsables_avec_adresses_simple.xml"),
        ],
    )
    .await;
    assert!(
        preview.counts.mefs > 0 && preview.counts.subjects > 0,
        "{}",
        preview.to_text()
    );
    assert!(preview.counts.guardians_new > 0);
    assert_eq!(guardians(&app, &school).await, preview.counts.guardians_new);
    // Their pupils are not imported yet: every link is reported, none written.
    assert!(
        preview
            .problems
            .iter()
            .any(|p| p.message.contains("inconnu"))
    );
    assert_eq!(links(&app, &school).await, 0);
    let again = run_import(
        &app,
        &school,
        &[sample(&dir, "nomenclature_tout_niveau.xml")],
    )
    .await;
    assert!(again.counts.mefs > 0);

    // The pupils' sample is malformed on purpose: a clear error, line 139.
    let paris = add_school(&app, "0752387M").await;
    assert_refused(
        &app,
        &paris,
        &[sample(&dir, "eleves_avec_adresse_simple.xml")],
        "eleves_avec_adresse_simple.xml",
        &["ligne 139", "mal formé"],
    )
    .await;
    // A sample of another school is refused for this one.
    assert_refused(
        &app,
        &paris,
        &[sample(&dir, "nomenclature_simple.xml")],
        "nomenclature_simple.xml",
        &["0140070A", "0752387M"],
    )
    .await;

    // The spreadsheets have no UAJ: they import into any school.
    for name in ["test_import_siecle.xls", "test_import_multi_lignes.xlsx"] {
        let target = add_school(
            &app,
            if name.ends_with("xls") {
                "0750680G"
            } else {
                "0752387M"
            },
        )
        .await;
        let preview = run_import(&app, &target, &[sample(&dir, name)]).await;
        assert!(
            preview.counts.pupils_new > 0,
            "{name}: {}",
            preview.to_text()
        );
        assert_eq!(pupils(&app, &target).await, preview.counts.pupils_new);
        let again = run_import(&app, &target, &[sample(&dir, name)]).await;
        assert_eq!(
            again.counts.pupils_new, 0,
            "{name} re-imported: no duplicate"
        );
        assert_eq!(again.counts.pupils_unchanged, preview.counts.pupils_new);
    }
    app.finish().await;
}

/// A multipart body as a browser sends it: the CSRF token first, then the files.
pub(crate) fn multipart(token: &str, files: &[(&str, Vec<u8>)]) -> (String, Vec<u8>) {
    let boundary = "----dossiersco-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
        )
        .as_bytes(),
    );
    for (name, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"fichiers\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The four exports of a synthetic school, relabelled for the school `uai`.
pub(crate) fn exports_for(uai: &str, pupils: usize) -> Vec<(&'static str, Vec<u8>)> {
    let generated = synth::generate_school(0, pupils, 21);
    let exports = write_exports(&generated);
    [
        FICHIER_ELEVES,
        FICHIER_RESPONSABLES,
        FICHIER_NOMENCLATURE,
        FICHIER_STRUCTURES,
    ]
    .into_iter()
    .map(|name| {
        let bytes = std::fs::read(exports.dir.path().join(name)).unwrap();
        let from = format!("<UAJ>{}</UAJ>", generated.uai);
        let to = format!("<UAJ>{uai}</UAJ>");
        (name, replace_all(&bytes, from.as_bytes(), to.as_bytes()))
    })
    .collect()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

async fn upload(app: &TestApp, uai: &str, files: &[(&str, Vec<u8>)]) -> reqwest::Response {
    let page = format!("/etablissements/{uai}/imports");
    let token = app.csrf_token(&page).await;
    let (content_type, body) = multipart(&token, files);
    app.client
        .post(app.url(&page))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn an_agent_uploads_previews_confirms_and_follows_the_import(app: TestApp) {
    let demo = app.seed_demo().await;
    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let (status, dashboard) = app.get_html(&format!("/etablissements/{}", demo.uai)).await;
    assert_eq!(status, 200);
    assert!(dashboard.contains(&format!("/etablissements/{}/imports", demo.uai)));
    let (status, page) = app
        .get_html(&format!("/etablissements/{}/imports", demo.uai))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("enctype=\"multipart/form-data\"") && page.contains("Aucun import"));

    let files = exports_for(&demo.uai, 50);
    let response = upload(&app, &demo.uai, &files).await;
    assert_eq!(response.status().as_u16(), 303);
    let import_page = location(&response);
    assert!(import_page.starts_with(&format!("/etablissements/{}/imports/", demo.uai)));
    let (_, html) = app.get_html(&import_page).await;
    assert!(html.contains("Analyse en cours"), "{html}");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM pupils WHERE siecle_eleve_id IS NOT NULL AND siecle_hash <> ''"
        )
        .await,
        0
    );

    assert_eq!(app.run_jobs().await, 1);
    let (_, html) = app.get_html(&import_page).await;
    assert!(
        html.contains("Ce que l&#39;import va faire") || html.contains("Ce que l'import va faire"),
        "{html}"
    );
    assert!(html.contains("Confirmer l"), "{html}");
    assert!(html.contains(">50<"), "50 new pupils shown: {html}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM pupils WHERE siecle_hash <> ''")
            .await,
        0,
        "the preview wrote nothing"
    );

    let response = app
        .post_form(&import_page, &format!("{import_page}/confirmation"), &[])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let job_page = location(&response);
    assert!(job_page.contains("/taches/"), "{job_page}");
    let (_, html) = app.get_html(&job_page).await;
    assert!(
        html.contains("import SIECLE") && html.contains("<progress"),
        "{html}"
    );
    assert_eq!(app.run_jobs().await, 1);
    let (_, html) = app.get_html(&job_page).await;
    assert!(
        html.contains("Terminée") && html.contains("100 %"),
        "{html}"
    );
    assert!(
        html.contains(&import_page),
        "the job page links back to the import"
    );

    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM pupils WHERE siecle_hash <> '' AND missing_from_siecle = FALSE"
        )
        .await,
        50
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM pupils WHERE missing_from_siecle = TRUE")
            .await,
        demo.pupils,
        "the demo's own pupils are not in the export: flagged, kept"
    );
    let (_, html) = app.get_html(&import_page).await;
    assert!(
        html.contains("Importé") && html.contains("Ce qui a été importé"),
        "{html}"
    );
    // Confirming twice does nothing more.
    let again = app
        .post_form(&import_page, &format!("{import_page}/confirmation"), &[])
        .await;
    assert_eq!(again.status().as_u16(), 303);
    assert_eq!(app.run_jobs().await, 0);
    let (_, list) = app
        .get_html(&format!("/etablissements/{}/imports", demo.uai))
        .await;
    assert!(
        list.contains("Importé") && list.contains("Karim Belkacem"),
        "{list}"
    );
    app.finish().await;
}

async fn a_refused_import_shows_its_problems_and_cannot_be_confirmed(app: TestApp) {
    let demo = app.seed_demo().await;
    app.sign_in_agent(
        "direction@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    // An export of another school (its own UAJ kept).
    let generated = synth::generate_school(3, 10, 1);
    let exports = write_exports(&generated);
    let bytes = std::fs::read(exports.dir.path().join(FICHIER_ELEVES)).unwrap();
    let response = upload(&app, &demo.uai, &[("ElevesAvecAdresses.xml", bytes)]).await;
    let import_page = location(&response);
    app.run_jobs().await;
    let (_, html) = app.get_html(&import_page).await;
    assert!(
        html.contains("Import refusé") && html.contains("Bloquant"),
        "{html}"
    );
    assert!(html.contains(generated.uai.as_str()), "{html}");
    assert!(
        !html.contains("Confirmer l"),
        "no confirmation for a refused import"
    );
    let response = app
        .post_form(&import_page, &format!("{import_page}/confirmation"), &[])
        .await;
    assert_eq!(location(&response), import_page);
    assert_eq!(app.run_jobs().await, 0);
    // Other roles cannot import.
    app.client
        .post(app.url("/agent/deconnexion"))
        .form(&[("csrf_token", app.csrf_token("/").await.as_str())])
        .send()
        .await
        .unwrap();
    app.sign_in_agent("cpe@demo.dossiersco.fr", dossiersco::demo::DEMO_PASSWORD)
        .await;
    let (status, _) = app
        .get_html(&format!("/etablissements/{}/imports", demo.uai))
        .await;
    assert_eq!(status, 403);
    app.finish().await;
}

async fn a_too_large_upload_gets_413_and_nothing_is_stored(app: TestApp) {
    let demo = app.seed_demo().await;
    app.sign_in_agent(
        "direction@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let limit = app.state.settings.upload_max_bytes as usize;
    let files = exports_for(&demo.uai, 10);
    let mut big = files[0].1.clone();
    big.resize(limit + 10, b' ');
    let response = upload(
        &app,
        &demo.uai,
        &[
            (files[2].0, files[2].1.clone()),
            ("ElevesAvecAdresses.xml", big),
        ],
    )
    .await;
    assert_eq!(response.status().as_u16(), 413);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Envoi trop volumineux")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM imports").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM jobs").await, 0);
    let stored = walk(&app.state.settings.documents_dir());
    assert!(stored.is_empty(), "nothing stored: {stored:?}");
    app.finish().await;
}

/// Seeds the demo collège and signs its secretariat in.
async fn demo_with_secretariat(app: &TestApp) -> dossiersco::demo::Seeded {
    let demo = app.seed_demo().await;
    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    demo
}

/// Uploads `files`, runs the preview job; returns the import's page.
async fn upload_and_preview(app: &TestApp, uai: &str, files: &[(&str, Vec<u8>)]) -> String {
    let response = upload(app, uai, files).await;
    assert_eq!(response.status().as_u16(), 303);
    let import_page = location(&response);
    assert_eq!(app.run_jobs().await, 1, "the preview job");
    import_page
}

/// Confirms a previewed import; returns the page of its job.
async fn confirm(app: &TestApp, import_page: &str) -> String {
    let response = app
        .post_form(import_page, &format!("{import_page}/confirmation"), &[])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    location(&response)
}

fn id_in(page: &str) -> i64 {
    page.rsplit('/').next().unwrap().parse().unwrap()
}

/// An import that can no longer be applied — its file changed since the
/// preview, or the database refuses its rows — fails at its first attempt
/// (retrying would fail the same way) and the job page says why, in French.
async fn an_import_that_cannot_be_applied_fails_once_and_says_why(app: TestApp) {
    let demo = demo_with_secretariat(&app).await;
    let pool = app.db().pool();
    let siecle_pupils = "SELECT COUNT(*) FROM pupils WHERE siecle_hash <> ''";

    // 1. After the preview, the stored pupils file becomes another school's.
    let import_page = upload_and_preview(&app, &demo.uai, &exports_for(&demo.uai, 20)).await;
    let school_id: i64 = sqlx::query_scalar("SELECT school_id FROM imports WHERE id = $1")
        .bind(id_in(&import_page))
        .fetch_one(pool)
        .await
        .unwrap();
    let row = dossiersco::import::records::find(pool, school_id, id_in(&import_page))
        .await
        .unwrap()
        .unwrap();
    let stored = row
        .files()
        .into_iter()
        .find(|f| f.name == FICHIER_ELEVES)
        .unwrap();
    let other = write_exports(&synth::generate_school(3, 10, 1));
    let bytes = std::fs::read(other.dir.path().join(FICHIER_ELEVES)).unwrap();
    app.state
        .documents
        .put_bytes(&stored.key, bytes.into())
        .await
        .unwrap();
    let job_page = confirm(&app, &import_page).await;
    assert_eq!(app.run_jobs().await, 1);
    let job = dossiersco::jobs::queue::find(pool, id_in(&job_page))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((job.status.as_str(), job.attempts), ("failed", 1));
    assert_eq!(app.run_jobs().await, 0, "not retried");
    let (_, html) = app.get_html(&job_page).await;
    assert!(
        html.contains("Échec définitif")
            && html.contains("ne peut plus être appliqué")
            && html.contains(FICHIER_ELEVES)
            && html.contains("fr-alert--error"),
        "{html}"
    );
    let (_, html) = app.get_html(&import_page).await;
    assert!(html.contains("ne peut plus être appliqué"), "{html}");
    assert_eq!(app.count(siecle_pupils).await, 0);

    // 2. The database refuses the rows (siblings share guardians).
    sqlx::query(
        "CREATE UNIQUE INDEX one_siecle_link_per_guardian ON guardianships (guardian_id) WHERE from_siecle = TRUE",
    )
    .execute(pool)
    .await
    .unwrap();
    let import_page = upload_and_preview(&app, &demo.uai, &exports_for(&demo.uai, 60)).await;
    let job_page = confirm(&app, &import_page).await;
    assert_eq!(app.run_jobs().await, 1);
    let job = dossiersco::jobs::queue::find(pool, id_in(&job_page))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((job.status.as_str(), job.attempts), ("failed", 1));
    assert!(
        job.last_error.contains("rien n'a été écrit"),
        "{}",
        job.last_error
    );
    assert_eq!(app.run_jobs().await, 0, "not retried");
    let (_, html) = app.get_html(&job_page).await;
    assert!(html.contains("Échec définitif"), "{html}");
    assert_eq!(app.count(siecle_pupils).await, 0, "nothing landed");
    app.finish().await;
}

/// The files of an import, as its row records them.
async fn stored_files(app: &TestApp, import_page: &str) -> Vec<StoredFile> {
    let school_id: i64 = sqlx::query_scalar("SELECT school_id FROM imports WHERE id = $1")
        .bind(id_in(import_page))
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    dossiersco::import::records::find(app.db().pool(), school_id, id_in(import_page))
        .await
        .unwrap()
        .unwrap()
        .files()
}

async fn in_store(app: &TestApp, files: &[StoredFile]) -> Vec<bool> {
    let mut out = Vec::new();
    for f in files {
        out.push(app.state.documents.exists(&f.key).await.unwrap());
    }
    out
}

/// Uploaded files leave the documents store once the import is applied, or a
/// day after its last change when nobody applies it (the hourly purge job);
/// the history keeps their names.
async fn uploaded_files_are_deleted_once_applied_or_abandoned(app: TestApp) {
    let demo = demo_with_secretariat(&app).await;

    // Applied: deleted by the import job itself.
    let applied = upload_and_preview(&app, &demo.uai, &exports_for(&demo.uai, 10)).await;
    let files = stored_files(&app, &applied).await;
    assert_eq!(in_store(&app, &files).await, vec![true; 4]);
    confirm(&app, &applied).await;
    assert_eq!(app.run_jobs().await, 1);
    assert_eq!(in_store(&app, &files).await, vec![false; 4]);
    assert!(
        stored_files(&app, &applied)
            .await
            .iter()
            .all(|f| f.key.is_empty())
    );
    let (_, html) = app.get_html(&applied).await;
    assert!(
        html.contains("Importé") && html.contains(FICHIER_ELEVES),
        "{html}"
    );

    // Never confirmed, refused, and a recent one.
    let abandoned = upload_and_preview(&app, &demo.uai, &exports_for(&demo.uai, 10)).await;
    let other = write_exports(&synth::generate_school(3, 10, 1));
    let bytes = std::fs::read(other.dir.path().join(FICHIER_ELEVES)).unwrap();
    let refused = upload_and_preview(&app, &demo.uai, &[(FICHIER_ELEVES, bytes)]).await;
    let recent = upload_and_preview(&app, &demo.uai, &exports_for(&demo.uai, 10)).await;
    let (abandoned_files, refused_files, recent_files) = (
        stored_files(&app, &abandoned).await,
        stored_files(&app, &refused).await,
        stored_files(&app, &recent).await,
    );
    for page in [&abandoned, &refused] {
        sqlx::query("UPDATE imports SET updated_at = updated_at - $2 WHERE id = $1")
            .bind(id_in(page))
            .bind(2 * 24 * 3600 * 1000_i64)
            .execute(app.db().pool())
            .await
            .unwrap();
    }
    dossiersco::app::job_registry(&app.state)
        .enqueue_periodic()
        .await
        .unwrap();
    dossiersco::app::job_registry(&app.state)
        .enqueue_periodic()
        .await
        .unwrap();
    assert_eq!(app.run_jobs().await, 1, "one purge job per hour");
    assert_eq!(in_store(&app, &abandoned_files).await, vec![false; 4]);
    assert_eq!(in_store(&app, &refused_files).await, vec![false]);
    assert_eq!(in_store(&app, &recent_files).await, vec![true; 4]);

    // The abandoned import can no longer be confirmed, and says why.
    let (_, html) = app.get_html(&abandoned).await;
    assert!(html.contains("Envoyez-les de nouveau"), "{html}");
    confirm(&app, &abandoned).await;
    assert_eq!(app.run_jobs().await, 0, "no import job for deleted files");
    let (_, html) = app.get_html(&recent).await;
    assert!(html.contains("Confirmer l"), "{html}");
    app.finish().await;
}

/// The job page shows an import's progress while its one transaction is still
/// open (on SQLite from the worker's memory: the table cannot be written
/// before the commit).
async fn the_job_page_shows_progress_during_the_import(app: TestApp) {
    let demo = demo_with_secretariat(&app).await;
    let import_page = upload_and_preview(&app, &demo.uai, &exports_for(&demo.uai, 1500)).await;
    let job_page = confirm(&app, &import_page).await;
    let state = app.state.clone();
    let worker =
        tokio::spawn(async move { dossiersco::app::run_jobs_until_idle(&state, "test").await });
    let mut seen = Vec::new();
    while !worker.is_finished() {
        let (_, html) = app.get_html(&job_page).await;
        if html.contains("En cours")
            && let Some(rest) = html.split("Avancement : ").nth(1)
            && let Some(percent) = rest.split(' ').next().and_then(|p| p.parse::<i64>().ok())
        {
            seen.push(percent);
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(worker.await.unwrap().unwrap(), 1);
    assert!(
        seen.iter().any(|p| *p > 0 && *p < 100),
        "an intermediate value while running: {seen:?}"
    );
    let (_, html) = app.get_html(&job_page).await;
    assert!(
        html.contains("Terminée") && html.contains("100 %"),
        "{html}"
    );
    app.finish().await;
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

on_both_databases!(
    generated_schools_import_with_the_right_counts,
    a_reimport_updates_without_duplicates_and_keeps_what_families_did,
    a_pupil_missing_from_the_new_export_is_flagged_not_deleted,
    a_pupil_whose_record_is_left_out_is_not_flagged_missing,
    siblings_share_their_guardians,
    imported_values_arrive_exactly_as_read,
    an_import_is_all_or_nothing,
    bad_files_are_refused_with_a_clear_message_and_nothing_is_written,
    an_unknown_mef_is_a_problem_in_the_preview,
    the_shared_samples_import_or_are_refused_clearly,
    an_agent_uploads_previews_confirms_and_follows_the_import,
    a_refused_import_shows_its_problems_and_cannot_be_confirmed,
    a_too_large_upload_gets_413_and_nothing_is_stored,
    an_import_that_cannot_be_applied_fails_once_and_says_why,
    uploaded_files_are_deleted_once_applied_or_abandoned,
    the_job_page_shows_progress_during_the_import,
);

/// The import pages in a real browser, without JavaScript help: upload through
/// the file input, preview, confirm, job page; axe-core finds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_import_pages_work_in_a_real_browser_and_are_accessible() {
    use fantoccini::Locator;

    let Some(browser) = crate::browser::Browser::start(1280, 900).await else {
        return;
    };
    let app = TestApp::spawn(dossiersco::db::Backend::Sqlite)
        .await
        .unwrap();
    let demo = app.seed_demo().await;
    let files_dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, bytes) in exports_for(&demo.uai, 30) {
        let path = files_dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        paths.push(path.display().to_string());
    }

    crate::browser::agent_sign_in(&browser, &app, "secretariat@demo.dossiersco.fr").await;
    wait_for_text(&browser, "Importer des fichiers SIECLE").await;
    browser
        .client
        .find(Locator::LinkText("Importer des fichiers SIECLE"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&browser, "Historique des imports").await;
    browser.assert_accessible("the imports page").await;
    browser
        .client
        .find(Locator::Id("fichiers"))
        .await
        .unwrap()
        .send_keys(&paths.join("\n"))
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&browser, "Analyse en cours").await;
    browser.assert_accessible("the import being analysed").await;
    assert_eq!(app.run_jobs().await, 1);
    browser.client.refresh().await.unwrap();
    wait_for_text(&browser, "Ce que l'import va faire").await;
    browser.assert_accessible("the preview").await;
    browser
        .client
        .find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&browser, "import SIECLE").await;
    browser.assert_accessible("the job page of an import").await;
    assert_eq!(app.run_jobs().await, 1);
    browser.client.refresh().await.unwrap();
    wait_for_text(&browser, "Terminée").await;
    browser
        .client
        .find(Locator::Css("main a[href*=\"/imports/\"]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&browser, "Ce qui a été importé").await;
    browser.assert_accessible("the applied import").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM pupils WHERE siecle_hash <> ''")
            .await,
        30
    );
    browser.close().await;
    app.finish().await;
}

/// Waits (up to 15 s) for the page after a navigation to contain `needle`.
async fn wait_for_text(browser: &crate::browser::Browser, needle: &str) {
    let mut last = String::new();
    for _ in 0..150 {
        if let Ok(body) = browser.client.find(fantoccini::Locator::Css("body")).await
            && let Ok(text) = body.text().await
        {
            if text.contains(needle) {
                return;
            }
            last = text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the page never showed « {needle} »: {last}");
}
