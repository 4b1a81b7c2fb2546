//! The spreadsheet export: shared samples, and workbooks built by the tests (header
//! variants, numbers for codes, dates in every form, missing columns, no header, a
//! zip bomb).

use chrono::NaiveDate;
use dossiersco_siecle::codes::{Civilite, ModaliteElection, Parente, Regime, Sexe, TypeStructure};
use dossiersco_siecle::tableur::{read_spreadsheet, read_spreadsheet_with_limits};
use dossiersco_siecle::{ErrorReason, FileKind, Limits, Location, WarningEffect, detect};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use crate::samples::samples_dir;

#[test]
fn sample_xls_gives_pupils_with_serial_dates_and_guardians() {
    let Some(dir) = samples_dir() else { return };
    let t = read_spreadsheet(&std::fs::read(dir.join("test_import_siecle.xls")).unwrap()).unwrap();
    assert_eq!(t.kind, FileKind::Xls);
    assert_eq!(t.feuille, "Sheet 1");
    assert_eq!(t.ligne_entete, 1);
    assert_eq!(t.eleves.len(), 5);
    let first = &t.eleves[0];
    assert_eq!(first.nom_de_famille, "NOM_TEST");
    assert_eq!(first.prenom2.as_deref(), Some("Prenom_test_2"));
    assert_eq!(first.id_national.as_ref().unwrap().as_str(), "080788316HE");
    assert_eq!(first.sexe, Some(Sexe::Masculin));
    // A date cell of a workbook in the 1904 date system: serial 31734 is 1990-11-19.
    assert_eq!(first.date_naiss, NaiveDate::from_ymd_opt(1990, 11, 19));
    assert_eq!(first.code_regime, Some(Regime::DemiPensionnaire));
    assert_eq!(first.num_eleve_etab.as_deref(), Some("12345678912"));
    assert_eq!(first.structures[0].code_structure, "4A");
    assert_eq!(first.options[0].cle_gestion, "AGL1");
    assert_eq!(
        first.options[0].code_modalite_elect,
        Some(ModaliteElection::Obligatoire)
    );
    assert_eq!(first.representants.len(), 2);
    let mere = &first.representants[0];
    assert_eq!(mere.civilite, Some(Civilite::Madame));
    assert_eq!(mere.lien_parente, Some(Parente::Mere));
    assert_eq!(mere.adresse.code_postal.as_deref(), Some("75011"));
    assert_eq!(mere.communication_adresse, Some(true));
    assert_eq!(first.representants[1].lien_parente, Some(Parente::Pere));
    // The Congolese pupil: a régime code stored as a number, no guardian 1.
    let second = &t.eleves[1];
    assert_eq!(second.code_regime, Some(Regime::DemiPensionnaire));
    assert_eq!(
        second.code_pays_naiss.as_ref().map(|p| p.code()),
        Some("324")
    );
    assert_eq!(second.ville_naiss_etrangere.as_deref(), Some("Brazaville"));
    // The last pupil: dates as text, a MEF code as text, an exit date.
    let last = &t.eleves[4];
    assert_eq!(last.date_naiss, NaiveDate::from_ymd_opt(2003, 2, 17));
    assert_eq!(last.date_sortie, NaiveDate::from_ymd_opt(2017, 9, 4));
    assert_eq!(last.code_mef.as_deref(), Some("10310019110"));
    assert_eq!(last.num_eleve_etab.as_deref(), Some("04387752387"));
    assert_eq!(last.options.len(), 4);
}

#[test]
fn sample_xlsx_groups_the_rows_of_one_pupil_and_reads_unnumbered_guardian_headers() {
    let Some(dir) = samples_dir() else { return };
    let t = read_spreadsheet(&std::fs::read(dir.join("test_import_multi_lignes.xlsx")).unwrap())
        .unwrap();
    assert_eq!(t.kind, FileKind::Xlsx);
    assert_eq!(t.feuille, "Feuil1");
    let devost = t
        .eleves
        .iter()
        .find(|e| e.nom_de_famille == "Devost")
        .unwrap();
    assert_eq!(devost.lignes, vec![2, 3, 4]);
    assert_eq!(devost.date_naiss, NaiveDate::from_ymd_opt(2005, 2, 24));
    // A MEF read as the number 10110001999.0.
    assert_eq!(devost.code_mef.as_deref(), Some("10110001999"));
    let codes: Vec<_> = devost
        .structures
        .iter()
        .map(|s| (s.code_structure.as_str(), s.type_structure.clone()))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("5 C", Some(TypeStructure::Division)),
            ("5 C 1", Some(TypeStructure::Groupe)),
            ("5 C G1", Some(TypeStructure::Groupe))
        ]
    );
    assert_eq!(
        devost.nationalite.as_ref().map(|n| n.label()),
        Some("Péruvienne")
    );
    assert_eq!(devost.representants.len(), 1);
    assert_eq!(devost.representants[0].rang, 1);
    let angelil = t
        .eleves
        .iter()
        .find(|e| e.nom_de_famille == "Angélil")
        .unwrap();
    assert_eq!(
        angelil.representants.len(),
        2,
        "the second « Repr. Lég. » block is guardian 2"
    );
    assert_eq!(angelil.representants[1].rang, 2);
    assert_eq!(angelil.representants[1].prenom.as_deref(), Some("Michel"));
    assert_eq!(angelil.representants[1].lien_parente, Some(Parente::Mere));
    assert!(
        t.eleves.len() < 107,
        "{} pupils from 107 rows",
        t.eleves.len()
    );
    // Columns the app has no use for are listed, not silently dropped.
    assert_eq!(t.ignored_columns.len(), 10, "{:?}", t.ignored_columns);
    assert!(t.ignored_columns.contains(&"Code Bourse 1".to_string()));
}

#[test]
fn a_truncated_xls_that_makes_calamine_panic_gives_an_error() {
    let Some(dir) = samples_dir() else { return };
    // Found by fuzzing: calamine 0.38 panics (cfb.rs, slice index) on the first 2 KiB
    // of an XLS. The reader must turn that into an error for the user.
    let bytes = std::fs::read(dir.join("test_import_siecle.xls")).unwrap();
    let e = read_spreadsheet(&bytes[..2048]).unwrap_err();
    assert_eq!(e.kind, FileKind::Xls);
    assert!(matches!(e.reason, ErrorReason::Spreadsheet(_)), "{e:?}");
}

#[test]
fn parametres_built_by_hand_do_not_panic() {
    let p = dossiersco_siecle::Parametres::default();
    assert!(!p.uaj().has_valid_check_letter());
}

const HEADERS: &[&str] = &[
    "Sexe",
    "Pays Nat.",
    "Nom de famille",
    "Prénom",
    "Date Naissance",
    "Id National",
    "Code Régime",
    "Code MEF",
    "Code Structure",
    "Type Structure",
    "Clé Gestion Mat. Enseignée 1",
    "Code Modalité Elect. 1",
    "Code Postal",
    "Tél. Portable",
    "Civilité Repr. Lég. 1",
    "Nom de famille Repr. Lég. 1",
    "Prénom Repr. Lég. 1",
    "Lien Parenté Repr. Lég. 1",
    "Code Postal Repr. Lég. 1",
    "Civilité Repr. Lég. 2",
    "Nom de famille Repr. Lég. 2",
    "Prénom Repr. Lég. 2",
    "Lien Parenté Repr. Lég. 2",
];

fn workbook(
    headers: &[&str],
    header_row: u32,
    rows: impl Fn(&mut rust_xlsxwriter::Worksheet, u32),
) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(header_row, c as u16, *h).unwrap();
    }
    rows(ws, header_row + 1);
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_built_workbook_with_header_variants_numbers_and_dates_is_read_by_name() {
    // Headers in another order, shouted, with NBSP and trailing spaces, after a title.
    let mut headers: Vec<String> = HEADERS.iter().map(|h| h.to_string()).collect();
    headers.reverse();
    headers[0] = "LIEN PARENTÉ REPR. LÉG.\u{a0}2".into();
    let last = headers.len() - 1;
    headers[last] = "sexe ".into();
    let refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let col = |name: &str| HEADERS.iter().rev().position(|h| *h == name).unwrap() as u16;
    let date_format = Format::new().set_num_format("dd/mm/yyyy");
    let bytes = workbook(&refs, 2, |ws, r| {
        ws.write_string(0, 0, "Export SIECLE — Fiches élèves complètes")
            .unwrap();
        // Row 1: codes as numbers, birth date as a date cell.
        ws.write_string(r, col("Sexe"), "F").unwrap();
        ws.write_string(r, col("Pays Nat."), "FRANCE").unwrap();
        ws.write_string(r, col("Nom de famille"), "Lefèvre")
            .unwrap();
        ws.write_string(r, col("Prénom"), "Chloé").unwrap();
        ws.write_datetime_with_format(
            r,
            col("Date Naissance"),
            ExcelDateTime::from_ymd(2012, 3, 4).unwrap(),
            &date_format,
        )
        .unwrap();
        ws.write_string(r, col("Id National"), "123456789AB")
            .unwrap();
        ws.write_number(r, col("Code Régime"), 24).unwrap();
        ws.write_number(r, col("Code MEF"), 10110001110.0).unwrap();
        ws.write_string(r, col("Code Structure"), "5 B").unwrap();
        ws.write_string(r, col("Type Structure"), "D").unwrap();
        ws.write_string(r, col("Clé Gestion Mat. Enseignée 1"), "AGL1")
            .unwrap();
        ws.write_string(r, col("Code Modalité Elect. 1"), "O")
            .unwrap();
        ws.write_number(r, col("Code Postal"), 1000).unwrap();
        ws.write_number(r, col("Tél. Portable"), 612345678).unwrap();
        ws.write_string(r, col("Civilité Repr. Lég. 1"), "MME")
            .unwrap();
        ws.write_string(r, col("Nom de famille Repr. Lég. 1"), "LEFÈVRE")
            .unwrap();
        ws.write_string(r, col("Prénom Repr. Lég. 1"), "Hélène")
            .unwrap();
        ws.write_string(r, col("Lien Parenté Repr. Lég. 1"), "MERE")
            .unwrap();
        ws.write_number(r, col("Code Postal Repr. Lég. 1"), 1000)
            .unwrap();
        ws.write_string(r, col("Civilité Repr. Lég. 2"), "M.")
            .unwrap();
        ws.write_string(r, col("Nom de famille Repr. Lég. 2"), "MARTIN")
            .unwrap();
        ws.write_string(r, col("Prénom Repr. Lég. 2"), "Paul")
            .unwrap();
        ws.write_string(r, col("Lien Parenté Repr. Lég. 2"), "TUTEUR")
            .unwrap();
        // Row 2: date as a serial number, as ISO text; bad date; unknown régime.
        ws.write_string(r + 1, col("Nom de famille"), "Petit")
            .unwrap();
        ws.write_string(r + 1, col("Prénom"), "Léo").unwrap();
        ws.write_number(r + 1, col("Date Naissance"), 41517.0)
            .unwrap();
        ws.write_string(r + 1, col("Id National"), "234567890CD")
            .unwrap();
        ws.write_string(r + 1, col("Code Régime"), "77").unwrap();
        ws.write_string(r + 2, col("Nom de famille"), "Grand")
            .unwrap();
        ws.write_string(r + 2, col("Prénom"), "Ève").unwrap();
        ws.write_string(r + 2, col("Date Naissance"), "31/02/2010")
            .unwrap();
        ws.write_string(r + 2, col("Id National"), "345678901EF")
            .unwrap();
        ws.write_string(r + 3, col("Nom de famille"), "Sans-prénom")
            .unwrap();
        ws.write_string(r + 4, col("Nom de famille"), "Iso")
            .unwrap();
        ws.write_string(r + 4, col("Prénom"), "Date").unwrap();
        ws.write_string(r + 4, col("Date Naissance"), "2011-12-25")
            .unwrap();
    });
    let t = read_spreadsheet(&bytes).unwrap();
    assert_eq!(t.ligne_entete, 3);
    assert_eq!(t.eleves.len(), 4);
    let chloe = &t.eleves[0];
    assert_eq!(chloe.sexe, Some(Sexe::Feminin));
    assert_eq!(chloe.date_naiss, NaiveDate::from_ymd_opt(2012, 3, 4));
    assert_eq!(chloe.code_regime, Some(Regime::DemiPensionnaire4Jours));
    assert_eq!(chloe.code_mef.as_deref(), Some("10110001110"));
    assert_eq!(
        chloe.adresse.code_postal.as_deref(),
        Some("01000"),
        "leading zero restored"
    );
    assert_eq!(chloe.tel_portable.as_deref(), Some("0612345678"));
    assert_eq!(chloe.representants.len(), 2);
    assert_eq!(
        chloe.representants[0].adresse.code_postal.as_deref(),
        Some("01000")
    );
    assert_eq!(chloe.representants[1].lien_parente, Some(Parente::Tuteur));
    assert_eq!(chloe.representants[1].civilite, Some(Civilite::Monsieur));
    assert_eq!(t.eleves[1].date_naiss, NaiveDate::from_ymd_opt(2013, 8, 31));
    assert_eq!(t.eleves[1].code_regime, Some(Regime::Other("77".into())));
    assert_eq!(t.eleves[2].date_naiss, None);
    assert_eq!(
        t.eleves[3].date_naiss,
        NaiveDate::from_ymd_opt(2011, 12, 25)
    );

    let bad_date = t
        .warnings
        .iter()
        .find(|w| w.message.contains("31/02/2010"))
        .unwrap();
    assert_eq!(bad_date.location, Location::Row(6));
    assert_eq!(bad_date.field.as_deref(), Some("Date Naissance"));
    assert_eq!(bad_date.effect, WarningEffect::FieldIgnored);
    assert_eq!(
        bad_date.to_string(),
        "ligne 6 du tableur, colonne Date Naissance : date invalide « 31/02/2010 » (élève Ève Grand, champ ignoré)"
    );
    let skipped = t
        .warnings
        .iter()
        .find(|w| w.effect == WarningEffect::RecordSkipped)
        .unwrap();
    assert_eq!(skipped.location, Location::Row(7));
}

#[test]
fn a_missing_required_column_is_named() {
    let headers: Vec<&str> = HEADERS
        .iter()
        .copied()
        .filter(|h| *h != "Date Naissance" && *h != "Id National")
        .collect();
    let bytes = workbook(&headers, 0, |ws, r| {
        ws.write_string(r, 2, "X").unwrap();
    });
    let e = read_spreadsheet(&bytes).unwrap_err();
    assert_eq!(
        e.reason,
        ErrorReason::MissingColumns(vec!["Date Naissance".into(), "Id National".into()])
    );
    assert_eq!(
        e.to_string(),
        "ligne 1 du tableur : colonnes obligatoires manquantes : « Date Naissance », « Id National »"
    );
}

#[test]
fn a_spreadsheet_without_header_row_is_refused() {
    let bytes = workbook(
        &["Dupont", "Jean", "01/02/2012", "123456789AB"],
        0,
        |ws, r| {
            ws.write_string(r, 0, "Durand").unwrap();
        },
    );
    let e = read_spreadsheet(&bytes).unwrap_err();
    assert_eq!(e.reason, ErrorReason::NoHeaderRow);
    assert!(e.to_string().contains("aucune ligne d'en-tête"));
}

#[test]
fn a_zip_bomb_is_refused_before_loading() {
    use std::io::Write;
    // A real XLSX, plus one entry of 50 MB of zeros (compresses to ~50 KB).
    let base = workbook(HEADERS, 0, |_, _| {});
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(base)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let file = archive.by_index_raw(i).unwrap();
        out.raw_copy_file(file).unwrap();
    }
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    out.start_file("xl/media/bomb.bin", options).unwrap();
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..50 {
        out.write_all(&zeros).unwrap();
    }
    let bytes = out.finish().unwrap().into_inner();
    assert!(bytes.len() < 1024 * 1024, "{} bytes", bytes.len());
    let limits = Limits {
        max_uncompressed_bytes: 10 * 1024 * 1024,
        ..Limits::default()
    };
    let e = read_spreadsheet_with_limits(&bytes, limits).unwrap_err();
    assert_eq!(e.reason, ErrorReason::ZipBomb(10 * 1024 * 1024));
    assert!(e.to_string().contains("décompressé"), "{e}");
    // Under the default limit (256 MiB) the same file is an ordinary workbook.
    assert_eq!(read_spreadsheet(&bytes).unwrap().eleves.len(), 0);
}

#[test]
fn oversized_garbage_and_non_spreadsheets_are_refused() {
    let limits = Limits {
        max_spreadsheet_bytes: 100,
        ..Limits::default()
    };
    let big = [b"PK\x03\x04".as_slice(), &[0u8; 200]].concat();
    assert_eq!(
        read_spreadsheet_with_limits(&big, limits)
            .unwrap_err()
            .reason,
        ErrorReason::FileTooLarge(100)
    );
    assert!(matches!(
        read_spreadsheet(b"PK\x03\x04garbage").unwrap_err().reason,
        ErrorReason::Spreadsheet(_)
    ));
    let ole = [
        &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1][..],
        &[0u8; 600],
    ]
    .concat();
    assert!(matches!(
        read_spreadsheet(&ole).unwrap_err().reason,
        ErrorReason::Spreadsheet(_)
    ));
    assert!(matches!(
        read_spreadsheet(b"<BEE_ELEVES/>").unwrap_err().reason,
        ErrorReason::NotSiecle(_)
    ));
    assert_eq!(
        read_spreadsheet(b"").unwrap_err().reason,
        ErrorReason::Empty
    );
}

#[test]
fn far_apart_cells_do_not_make_the_reader_allocate_the_whole_grid() {
    // Two cells a million rows and 16 000 columns apart: a dense grid would be
    // 16 billion cells. The reader must refuse or cope, not exhaust memory.
    let bytes = workbook(HEADERS, 0, |ws, r| {
        ws.write_string(r, 2, "Loin").unwrap();
        ws.write_string(r, 3, "Là-bas").unwrap();
        ws.write_string(1_000_000, 16_000, "away").unwrap();
    });
    let t = read_spreadsheet(&bytes).unwrap();
    assert_eq!(t.eleves.len(), 1, "the far-right cell is ignored");
    let bytes = workbook(HEADERS, 0, |ws, r| {
        ws.write_string(r, 2, "Loin").unwrap();
        ws.write_string(1_000_000, 3, "down").unwrap();
    });
    let e = read_spreadsheet(&bytes).unwrap_err();
    assert!(e.to_string().contains("plus de 50000 lignes"), "{e}");
}

/// An XLS (compound file with a BIFF8 Workbook stream) holding NUMBER cells at the
/// given positions: enough for the size checks, which run before calamine.
fn xls_with_cells(cells: &[(u16, u16)]) -> Vec<u8> {
    use std::io::Write;
    let mut biff = Vec::new();
    let mut record = |typ: u16, data: &[u8]| {
        biff.extend_from_slice(&typ.to_le_bytes());
        biff.extend_from_slice(&(data.len() as u16).to_le_bytes());
        biff.extend_from_slice(data);
    };
    record(
        0x0809,
        &[0x00, 0x06, 0x10, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    );
    for &(row, col) in cells {
        let mut data = Vec::new();
        data.extend_from_slice(&row.to_le_bytes());
        data.extend_from_slice(&col.to_le_bytes());
        data.extend_from_slice(&0u16.to_le_bytes());
        data.extend_from_slice(&1.0f64.to_le_bytes());
        record(0x0203, &data);
    }
    record(0x000A, &[]);
    let mut file = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    file.create_stream("/Workbook")
        .unwrap()
        .write_all(&biff)
        .unwrap();
    file.flush().unwrap();
    file.into_inner().into_inner()
}

#[test]
fn an_xls_whose_sheets_would_need_a_huge_grid_is_refused_before_calamine() {
    assert_eq!(detect(&xls_with_cells(&[(0, 0)])), FileKind::Xls);
    let e = read_spreadsheet(&xls_with_cells(&[(0, 0), (60_000, 1)])).unwrap_err();
    assert!(e.to_string().contains("plus de 50000 lignes"), "{e}");
    let e = read_spreadsheet(&xls_with_cells(&[(0, 0), (40_000, 255)])).unwrap_err();
    assert!(e.to_string().contains("démesurées"), "{e}");
    // A small one passes the checks (and calamine then finds no header row).
    let e = read_spreadsheet(&xls_with_cells(&[(0, 0), (10, 10)])).unwrap_err();
    assert!(
        matches!(
            e.reason,
            ErrorReason::NoHeaderRow | ErrorReason::Spreadsheet(_)
        ),
        "{e:?}"
    );
}
