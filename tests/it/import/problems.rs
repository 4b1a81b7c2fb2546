//! Bad files refused with a clear message and nothing written; problems
//! listed in the preview.

use std::io::Write;
use std::path::Path;

use dossiersco::import::{self, InputFile};
use dossiersco_siecle::synth::{self, FICHIER_ELEVES};

use super::{add_school, assert_refused, footprint, input, replace_all, write_exports};
use crate::harness::TestApp;
use crate::on_both_databases;

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

on_both_databases!(
    bad_files_are_refused_with_a_clear_message_and_nothing_is_written,
    an_unknown_mef_is_a_problem_in_the_preview,
);
