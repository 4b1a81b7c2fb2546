//! The writer: schema 4.0, ISO-8859-15, file name, zip, refusals, reading back.

use std::io::Read;

use dossiersco_siecle::codes::{Civilite, ModaliteElection, Parente};
use dossiersco_siecle::return_file::{
    Leaving, OptionChoice, ReturnFile, Town, is_valid_file_name, read_xml,
};

use super::{date, sample, xmllint};

/// What reading a written file gives: the same file, the generation day only (the time
/// is in the file name, not in the XML).
fn as_read_back(mut f: ReturnFile) -> ReturnFile {
    f.generated_at = f.generated_at.date().and_hms_opt(0, 0, 0).unwrap();
    f
}

fn problems_of(f: &ReturnFile) -> Vec<String> {
    f.to_xml()
        .expect_err("the writer must refuse this file")
        .problems
        .iter()
        .map(|p| p.to_string())
        .collect()
}

#[test]
fn the_sample_file_is_valid_against_schema_4_0() {
    let xml = sample().to_xml().unwrap();
    if let Some(result) = xmllint(&xml) {
        result.unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&xml)));
    }
}

#[test]
fn xmllint_catches_an_invalid_file() {
    // The XSD test must be able to fail: a file with CODE_MEF of 10 characters.
    let xml = sample().to_xml().unwrap();
    let broken = String::from_utf8_lossy(&xml).replacen(
        "<CODE_MEF>10110001110</CODE_MEF>",
        "<CODE_MEF>1011000111</CODE_MEF>",
        1,
    );
    if let Some(result) = xmllint(broken.as_bytes()) {
        assert!(result.is_err());
    }
}

#[test]
fn a_leaving_pupil_is_valid_against_schema_4_0() {
    let mut f = sample();
    let p = &mut f.pupils[1];
    p.leaving = Some(Leaving {
        motive: "DM".into(),
        date: date(2025, 7, 4),
    });
    p.schooling = None;
    p.previous = None;
    p.sex = None;
    p.nationality = None;
    p.birthplace = None;
    let xml = f.to_xml().unwrap();
    let text = String::from_utf8_lossy(&xml).into_owned();
    assert!(text.contains("<ELEVE>\n        <CODE_MOTIF_SORTIE>DM</CODE_MOTIF_SORTIE>"));
    if let Some(result) = xmllint(&xml) {
        result.unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(read_xml(&xml).unwrap(), as_read_back(f));
}

#[test]
fn the_file_name_is_uai_prive_year_and_the_24_hour_generation_time() {
    let mut f = sample();
    assert_eq!(f.file_name(), "0752387MPRIVE2025250628143005");
    f.generated_at = date(2025, 12, 31).and_hms_opt(21, 5, 9).unwrap();
    assert_eq!(f.file_name(), "0752387MPRIVE2025251231210509");
    assert!(is_valid_file_name(&f.file_name()));
    assert!(!is_valid_file_name("0752387MPRIVE202525123121050"));
    assert!(!is_valid_file_name("0752387mPRIVE2025251231210509"));
    // DATE_IMPORT is the same day as the name's timestamp.
    let xml = String::from_utf8_lossy(&f.to_xml().unwrap()).into_owned();
    assert!(xml.contains("<DATE_IMPORT>31/12/2025</DATE_IMPORT>"));
    assert!(xml.contains("<ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE>"));
    assert!(xml.contains("<LOGICIEL>DOSSIERSCO</LOGICIEL>"));
    assert!(xml.contains("<IMPORT_ELEVES VERSION=\"4.0\">"));
}

#[test]
fn the_xml_is_encoded_in_iso_8859_15() {
    let mut f = sample();
    f.persons[0].last_name = "Lefèvre-Œuvray".into();
    f.persons[1].first_name = "Stéphane\u{2019}".into();
    let xml = f.to_xml().unwrap();
    assert!(xml.starts_with(b"<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?>"));
    // é is one byte 0xE9, Œ is 0xBC in Latin-9 (not 0xC5 0x92 as in UTF-8).
    assert!(xml.windows(2).any(|w| w == [b'L', b'e']));
    assert!(xml.contains(&0xE9) && xml.contains(&0xBC));
    assert!(std::str::from_utf8(&xml).is_err(), "not UTF-8");
    let back = read_xml(&xml).unwrap();
    assert_eq!(back.persons[0].last_name, "Lefèvre-Œuvray");
    assert_eq!(back.persons[1].first_name, "Stéphane'");
    if let Some(result) = xmllint(&xml) {
        result.unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn characters_outside_latin9_without_a_spelling_are_refused_naming_pupil_and_field() {
    let mut f = sample();
    f.pupils[0].first_name2 = Some("美玲".into());
    let problems = problems_of(&f);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("Élève Zoé Martin — le deuxième prénom : le caractère « 美 »"),
        "{}",
        problems[0]
    );
}

#[test]
fn reading_the_file_back_gives_exactly_the_input() {
    let f = sample();
    let back = read_xml(&f.to_xml().unwrap()).unwrap();
    assert_eq!(back, as_read_back(f.clone()));
    // What the original broke: civility, guardians and links, school of origin.
    assert_eq!(back.persons[0].civility, Civilite::Madame);
    assert_eq!(back.pupils[0].links.len(), 2);
    assert_eq!(back.pupils[1].links[2].relationship, Parente::AutreLien);
    assert!(matches!(
        back.persons[2].address.as_ref().unwrap().town,
        Town::Abroad(_)
    ));
}

#[test]
fn links_are_written_legal_first_then_in_charge_then_contacts() {
    let mut f = sample();
    let contact = f.pupils[1].links.pop().unwrap();
    f.pupils[1].links.insert(0, contact);
    let back = read_xml(&f.to_xml().unwrap()).unwrap();
    let kinds: Vec<_> = back.pupils[1].links.iter().map(|l| l.person).collect();
    assert_eq!(kinds, vec![1, 2, 3]);
}

#[test]
fn the_zip_holds_the_xml_alone_under_the_same_name() {
    let f = sample();
    let (name, bytes) = f.to_zip().unwrap();
    assert_eq!(name, "0752387MPRIVE2025250628143005.zip");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(archive.len(), 1);
    let mut entry = archive.by_index(0).unwrap();
    assert_eq!(entry.name().unwrap(), "0752387MPRIVE2025250628143005.xml");
    let mut xml = Vec::new();
    entry.read_to_end(&mut xml).unwrap();
    assert_eq!(xml, f.to_xml().unwrap());
}

#[test]
fn duplicate_private_ids_and_ines_are_refused() {
    let mut f = sample();
    f.persons[1].private_id = 1;
    f.pupils[1].private_id = 10;
    f.pupils[2].ine = f.pupils[0].ine.clone();
    let problems = problems_of(&f).join("\n");
    assert!(problems.contains("Responsable Stéphane Martin — l'identifiant privé : l'identifiant 1 est déjà celui d'une autre personne"), "{problems}");
    assert!(problems.contains("Élève Léo Martin — l'identifiant privé : l'identifiant 10 est déjà celui d'un autre élève"), "{problems}");
    assert!(
        problems.contains(
            "Élève Awa N'Diaye — l'INE : l'INE 070000010AB est déjà celui d'un autre élève"
        ),
        "{problems}"
    );
}

#[test]
fn links_must_point_to_persons_of_the_file_once() {
    let mut f = sample();
    f.pupils[0].links[1].person = 99;
    f.pupils[1].links[1].person = 1;
    let problems = problems_of(&f).join("\n");
    assert!(problems.contains("Élève Zoé Martin — un responsable : le responsable d'identifiant 99 n'est pas dans la liste des personnes du fichier"), "{problems}");
    assert!(
        problems.contains(
            "Élève Léo Martin — un responsable : le responsable d'identifiant 1 est lié deux fois"
        ),
        "{problems}"
    );
}

#[test]
fn a_pupil_needs_one_or_two_legal_guardians_and_a_guardian_says_where_the_pupil_lives() {
    let mut f = sample();
    f.pupils[2].links.clear();
    f.pupils[0].links[0].lives_with_pupil = None;
    let problems = problems_of(&f).join("\n");
    assert!(
        problems
            .contains("Élève Awa N'Diaye — les représentants légaux : aucun représentant légal"),
        "{problems}"
    );
    assert!(
        problems.contains("Élève Zoé Martin — l'hébergement de l'élève"),
        "{problems}"
    );
}

#[test]
fn lengths_and_shapes_beyond_the_schema_are_refused() {
    let mut f = sample();
    f.persons[0].address.as_mut().unwrap().lines[0] =
        "Résidence des Grands Chênes bâtiment B escalier 4".into();
    f.persons[1].phones.mobile = Some("+33 6 12 34 56 78 poste 12".into());
    f.pupils[0].schooling.as_mut().unwrap().mef = "1011000111".into();
    f.pupils[0].schooling.as_mut().unwrap().division = Some("5EME-ABCDEF".into());
    f.pupils[1].ine = Some("07083232".into());
    f.pupils[1].last_name = "   ".into();
    f.pupils[2].schooling.as_mut().unwrap().options = (0..13)
        .map(|i| OptionChoice {
            subject: format!("0300{i:02}"),
            modality: ModaliteElection::Facultatif,
        })
        .collect();
    f.send_number = 100_000;
    let problems = problems_of(&f).join("\n");
    for expected in [
        "Responsable Inès Martin — une ligne de l'adresse : « Résidence des Grands Chênes bâtiment B escalier 4 » a 49 caractères, SIECLE en accepte au plus 38",
        "Responsable Stéphane Martin — le téléphone portable",
        "Élève Zoé Martin — la formation (MEF) : « 1011000111 » doit avoir exactement 11 caractères",
        "Élève Zoé Martin — la division : « 5EME-ABCDEF » a 11 caractères",
        "Élève Léo — l'INE : « 07083232 » doit faire exactement 11 lettres ou chiffres",
        "Élève Léo — le nom de famille : est vide",
        "Élève Awa N'Diaye — les options : 13 options, SIECLE en accepte au plus 12",
        "Fichier — le numéro d'envoi : 100000 dépasse",
    ] {
        assert!(
            problems.contains(expected),
            "missing « {expected} » in\n{problems}"
        );
    }
}

#[test]
fn a_staying_pupil_needs_identity_schooling_and_previous_year() {
    let mut f = sample();
    f.pupils[0].schooling = None;
    f.pupils[0].previous = None;
    f.pupils[0].sex = None;
    f.pupils[0].birthplace = None;
    let problems = problems_of(&f).join("\n");
    assert!(problems.contains("Élève Zoé Martin — la scolarité de l'année : absente"));
    assert!(problems.contains("Élève Zoé Martin — la scolarité de l'an dernier : absente"));
    assert!(problems.contains("Élève Zoé Martin — le sexe : absent"));
    assert!(problems.contains("Élève Zoé Martin — le lieu de naissance : absent"));
}

#[test]
fn an_empty_file_is_refused() {
    let mut f = sample();
    f.pupils.clear();
    f.persons.clear();
    let problems = problems_of(&f).join("\n");
    assert!(problems.contains("au moins un responsable"));
    assert!(problems.contains("au moins un élève"));
}

#[test]
fn the_shared_example_of_a_return_file_is_refused_as_ill_formed() {
    // The example the original team kept is not well-formed (a closing tag is wrong):
    // the reader says so instead of reading half of it.
    let Some(dir) = crate::samples::samples_dir() else {
        return;
    };
    let bytes = std::fs::read(dir.join("import_eleves_example.xml")).unwrap();
    let err = read_xml(&bytes).unwrap_err();
    assert!(
        err.to_string().starts_with("fichier de retour illisible"),
        "{err}"
    );
}
