//! The four XML parsers against the hand-written fixtures, nice and nasty.

use chrono::NaiveDate;
use dossiersco_siecle::codes::{
    Civilite, Nationalite, NiveauResponsabilite, Parente, Pays, Pcs, Regime, Sexe, TypeStructure,
};
use dossiersco_siecle::eleves::{ElevesReader, ElevesRecord, parse_eleves};
use dossiersco_siecle::nomenclatures::parse_nomenclature;
use dossiersco_siecle::responsables::parse_responsables;
use dossiersco_siecle::structures::parse_structures;
use dossiersco_siecle::{ErrorReason, FileKind, Limits, Location, WarningEffect, detect};

use crate::fixture_bytes;

fn warning_about<'a>(
    warnings: &'a [dossiersco_siecle::Warning],
    field: &str,
) -> Vec<&'a dossiersco_siecle::Warning> {
    warnings
        .iter()
        .filter(|w| w.field.as_deref() == Some(field))
        .collect()
}

#[test]
fn eleves_fixture_gives_pupils_options_structures_and_addresses() {
    let export = parse_eleves(&fixture_bytes("eleves_avec_adresses.xml")[..]).unwrap();
    assert_eq!(export.parametres.uaj().as_str(), "0593412N");
    assert_eq!(export.parametres.annee_scolaire, Some(2025));
    assert_eq!(
        export.parametres.date_export,
        NaiveDate::from_ymd_opt(2026, 6, 12)
    );
    assert_eq!(export.parametres.version.as_deref(), Some("3.0"));
    // The pupil without a name is skipped, the others are kept.
    assert_eq!(export.eleves.len(), 4);
    let zoe = &export.eleves[0];
    assert_eq!(zoe.eleve_id, 4100001);
    assert_eq!(zoe.id_national.as_ref().unwrap().as_str(), "123456789AB");
    // ISO-8859-15 letters that Latin-1 does not have: Œ, Ÿ.
    assert_eq!(zoe.nom_de_famille, "LEFÈVRE-ŒUVRARD");
    assert_eq!(zoe.prenom3.as_deref(), Some("Ÿvonne"));
    assert_eq!(zoe.prenom2.as_deref(), Some("Maëlle"));
    assert_eq!(zoe.date_naiss, NaiveDate::from_ymd_opt(2013, 11, 3));
    assert_eq!(zoe.code_sexe, Some(Sexe::Feminin));
    assert_eq!(zoe.code_regime, Some(Regime::DemiPensionnaire4Jours));
    assert_eq!(zoe.code_pays, Some(Pays::france()));
    assert_eq!(zoe.code_mef.as_deref(), Some("10110001110"));
    assert_eq!(zoe.ville_naiss, None);
    assert_eq!(zoe.adresse_id, Some(900001));
    assert_eq!(zoe.accepte_sms, Some(true));
    let sad = zoe.scolarite_an_dernier.as_ref().unwrap();
    assert_eq!(sad.code_structure.as_deref(), Some("6 B"));
    assert_eq!(sad.code_mef.as_deref(), Some("10010012110"));

    let moussa = &export.eleves[1];
    assert_eq!(moussa.nom_de_famille, "N'DIAYE");
    assert_eq!(moussa.date_naiss, None, "31/02 is not a date");
    assert_eq!(moussa.doublement, Some(true));
    assert_eq!(
        moussa.code_pays_nat.as_ref().map(Nationalite::label),
        Some("Sénégalaise")
    );
    assert_eq!(moussa.ville_naiss.as_deref(), Some("DAKAR"));

    let noel = &export.eleves[2];
    assert!(noel.id_national.is_none());
    assert_eq!(noel.code_regime, Some(Regime::Other("77".into())));

    let jerome = &export.eleves[3];
    assert_eq!(jerome.nom_de_famille, "MÜLLER & FILS");
    assert_eq!(jerome.date_naiss, NaiveDate::from_ymd_opt(2013, 5, 20));
    assert_eq!(jerome.mel.as_deref(), Some("prix\u{a0}: 12 €"));

    assert_eq!(export.options.len(), 1);
    assert_eq!(export.options[0].options.len(), 2);
    assert_eq!(export.options[0].options[1].code_matiere, "020300");
    assert_eq!(export.structures.len(), 2);
    assert_eq!(export.structures[0].division(), Some("5 B"));
    assert_eq!(
        export.structures[0].structures[1].type_structure,
        TypeStructure::Groupe
    );
    assert_eq!(export.bourses.len(), 1);
    assert_eq!(export.adresses.len(), 1);
    assert_eq!(
        export.adresses[0].lignes[0].as_deref(),
        Some("3 place du Théâtre")
    );
    assert_eq!(export.adresses[0].lignes[1], None);
    assert_eq!(export.adresses[0].code_postal.as_deref(), Some("59000"));
}

#[test]
fn eleves_fixture_warnings_name_line_field_and_value() {
    let export = parse_eleves(&fixture_bytes("eleves_avec_adresses.xml")[..]).unwrap();
    let w = &export.warnings;
    let date = warning_about(w, "DATE_NAISS");
    assert_eq!(date.len(), 1);
    assert_eq!(date[0].effect, WarningEffect::FieldIgnored);
    assert!(
        matches!(date[0].location, Location::Xml { line: 58, .. }),
        "{:?}",
        date[0].location
    );
    assert_eq!(
        date[0].to_string(),
        "ligne 58, élément DATE_NAISS : date invalide « 31/02/2012 » (élève ELEVE_ID 4100002, champ ignoré)"
    );
    let nom = warning_about(w, "NOM_DE_FAMILLE");
    assert_eq!(nom.len(), 1);
    assert_eq!(nom[0].effect, WarningEffect::RecordSkipped);
    assert!(
        warning_about(w, "ID_NATIONAL")
            .iter()
            .any(|w| w.message == "INE absent")
    );
    assert!(
        warning_about(w, "CODE_REGIME")
            .iter()
            .any(|w| w.message.contains("« 77 »"))
    );
}

#[test]
fn an_unknown_mef_referenced_by_a_pupil_is_reported_at_its_line() {
    let nomenclature = parse_nomenclature(&fixture_bytes("nomenclature.xml")[..]).unwrap();
    let bytes = fixture_bytes("eleves_avec_adresses.xml");
    let reader = ElevesReader::new(&bytes[..])
        .unwrap()
        .with_known_mefs(nomenclature.mef_codes());
    let mut reader = reader;
    let pupils = (&mut reader)
        .filter(|r| matches!(r, Ok(ElevesRecord::Eleve(_))))
        .count();
    assert_eq!(pupils, 4);
    let unknown: Vec<_> = reader
        .warnings()
        .iter()
        .filter(|w| w.message.contains("absent de la nomenclature"))
        .collect();
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert!(unknown[0].message.contains("99999999999"));
    assert!(
        matches!(unknown[0].location, Location::Xml { line: 83, .. }),
        "{:?}",
        unknown[0].location
    );
}

#[test]
fn the_streaming_reader_exposes_the_uaj_before_reading_records() {
    let bytes = fixture_bytes("eleves_avec_adresses.xml");
    let reader = ElevesReader::new(&bytes[..]).unwrap();
    assert_eq!(reader.uaj().as_str(), "0593412N");
    assert!(reader.uaj().has_valid_check_letter());
    assert!(reader.warnings().is_empty());
}

#[test]
fn the_reader_tells_which_pupil_records_it_skipped() {
    let bytes = fixture_bytes("eleves_avec_adresses.xml");
    let mut reader = ElevesReader::new(&bytes[..]).unwrap();
    let kept = (&mut reader)
        .filter(|r| matches!(r, Ok(ElevesRecord::Eleve(_))))
        .count();
    assert_eq!(kept, 4);
    let skipped = reader.skipped_eleves();
    assert_eq!(skipped.len(), 1, "the pupil without a name");
    assert_eq!(skipped[0].eleve_id, Some(4100004));
    assert_eq!(
        skipped[0].id_national.as_ref().map(|i| i.as_str()),
        Some("345678901EF")
    );
}

#[test]
fn utf8_with_bom_gives_the_same_records_as_iso_8859_15() {
    let iso = parse_eleves(&fixture_bytes("eleves_avec_adresses.xml")[..]).unwrap();
    let utf8 = parse_eleves(&fixture_bytes("eleves_utf8_bom.xml")[..]).unwrap();
    assert_eq!(iso.eleves, utf8.eleves);
    assert_eq!(iso.adresses, utf8.adresses);
}

#[test]
fn responsables_fixture_gives_persons_links_and_addresses() {
    let export = parse_responsables(&fixture_bytes("responsables_avec_adresses.xml")[..]).unwrap();
    assert_eq!(export.parametres.uaj().as_str(), "0593412N");
    assert_eq!(
        export.personnes.len(),
        3,
        "the person with a non-numeric id is skipped"
    );
    let helene = &export.personnes[0];
    assert_eq!(helene.personne_id, 700001);
    assert_eq!(helene.civilite, Some(Civilite::Madame));
    assert_eq!(helene.nom_de_famille, "LEFÈVRE");
    assert_eq!(helene.code_profession, Some(Pcs::ProfesseurScientifique));
    assert_eq!(helene.communication_adresse, Some(true));
    assert_eq!(helene.tel_professionnel, None);
    let francois = &export.personnes[1];
    assert_eq!(francois.civilite, Some(Civilite::Monsieur));
    assert_eq!(francois.nom_de_famille, "ŒUVRARD");
    assert_eq!(francois.code_profession, Some(Pcs::Other("30".into())));

    assert_eq!(
        export.responsables.len(),
        4,
        "the link without ELEVE_ID is skipped"
    );
    let mere = &export.responsables[0];
    assert_eq!(mere.code_parente, Some(Parente::Mere));
    assert_eq!(
        mere.niveau_responsabilite,
        Some(NiveauResponsabilite::RepresentantLegal)
    );
    assert_eq!(mere.paie_frais_scolaires, Some(true));
    assert_eq!(mere.a_contacter_en_priorite, Some(true));
    assert!(mere.est_representant_legal());
    let old_format = &export.responsables[2];
    assert_eq!(old_format.resp_legal, Some(1));
    assert_eq!(
        old_format.paie_frais_scolaires,
        Some(true),
        "RESP_FINANCIER"
    );
    assert_eq!(
        old_format.a_contacter_en_priorite,
        Some(true),
        "PERS_CONTACT"
    );
    assert!(old_format.est_representant_legal());
    assert_eq!(old_format.code_parente, Some(Parente::Other("1".into())));
    assert!(!export.responsables[3].est_representant_legal());

    let parente = warning_about(&export.warnings, "CODE_PARENTE");
    assert_eq!(parente.len(), 1);
    assert!(
        parente[0].message.contains("deux caractères"),
        "{}",
        parente[0]
    );
    assert!(
        warning_about(&export.warnings, "CODE_PROFESSION")
            .iter()
            .any(|w| w.message.contains("« 30 »"))
    );
    assert!(
        warning_about(&export.warnings, "PERSONNE_ID")
            .iter()
            .any(|w| w.effect == WarningEffect::RecordSkipped)
    );
    assert!(
        warning_about(&export.warnings, "ELEVE_ID")
            .iter()
            .any(|w| w.effect == WarningEffect::RecordSkipped)
    );

    assert_eq!(export.adresses.len(), 2);
    let bruxelles = &export.adresses[1];
    assert_eq!(bruxelles.commune_etrangere.as_deref(), Some("BRUXELLES"));
    assert_eq!(
        bruxelles.code_pays.as_ref().map(Pays::label),
        Some("Belgique")
    );
}

#[test]
fn nomenclature_fixture_gives_mefs_subjects_programmes_and_options() {
    let n = parse_nomenclature(&fixture_bytes("nomenclature.xml")[..]).unwrap();
    assert_eq!(n.mefs.len(), 4);
    let cinquieme = n.mef("10110001110").unwrap();
    assert_eq!(cinquieme.formation.as_deref(), Some("5G"));
    assert_eq!(cinquieme.libelle_edition.as_deref(), Some("5ème"));
    assert_eq!(cinquieme.nb_opt_oblig, Some(2));
    assert_eq!(
        cinquieme.date_fermeture,
        NaiveDate::from_ymd_opt(9999, 12, 31)
    );
    assert_eq!(n.matieres.len(), 3);
    let anglais = n.matiere("030201").unwrap();
    assert_eq!(
        anglais.code_gestion.as_deref(),
        Some("AGL1"),
        "padding removed"
    );
    assert_eq!(anglais.libelle_court.as_deref(), Some("ANGLAIS LV1"));
    assert_eq!(n.programmes.len(), 4);
    assert_eq!(n.programmes[1].horaire, Some(1.5), "decimal comma accepted");
    // The same subject twice for one MEF with two modalities is legitimate.
    assert_eq!(
        n.programmes
            .iter()
            .filter(|p| p.code_matiere == "020300")
            .count(),
        2
    );
    assert_eq!(
        n.options_obligatoires.len(),
        2,
        "the option without RANG_OPTION is skipped"
    );
    assert_eq!(n.options_obligatoires[1].rang_option, 2);
    assert_eq!(n.codes.len(), 2);
    assert_eq!(n.codes[0].bloc, "MODALITES_ELECTION");
    assert_eq!(n.codes[0].code, "O");
    assert!(
        warning_about(&n.warnings, "CODE_MEF")
            .iter()
            .any(|w| w.message.contains("12345678901"))
    );
    assert!(
        warning_about(&n.warnings, "RANG_OPTION")
            .iter()
            .any(|w| w.effect == WarningEffect::RecordSkipped)
    );
}

#[test]
fn structures_fixture_gives_divisions_and_groups() {
    let s = parse_structures(&fixture_bytes("structures.xml")[..]).unwrap();
    assert_eq!(s.divisions.len(), 2);
    assert_eq!(s.divisions[0].code_structure, "5 B");
    assert_eq!(s.divisions[0].libelle_long.as_deref(), Some("5ème B"));
    assert_eq!(
        s.divisions[1].mefs,
        vec!["10310019110".to_string(), "10310019112".to_string()]
    );
    assert_eq!(s.groupes.len(), 1);
    assert_eq!(
        s.groupes[0].divisions,
        vec!["5 B".to_string(), "5 C".to_string()]
    );
    assert_eq!(s.warnings.len(), 1);
    assert_eq!(s.warnings[0].effect, WarningEffect::RecordSkipped);
}

#[test]
fn detect_recognises_every_fixture() {
    assert_eq!(
        detect(&fixture_bytes("eleves_avec_adresses.xml")),
        FileKind::ElevesXml
    );
    assert_eq!(
        detect(&fixture_bytes("eleves_utf8_bom.xml")),
        FileKind::ElevesXml
    );
    assert_eq!(
        detect(&fixture_bytes("responsables_avec_adresses.xml")),
        FileKind::ResponsablesXml
    );
    assert_eq!(
        detect(&fixture_bytes("nomenclature.xml")),
        FileKind::NomenclaturesXml
    );
    assert_eq!(
        detect(&fixture_bytes("structures.xml")),
        FileKind::StructuresXml
    );
    assert_eq!(detect(&fixture_bytes("not_siecle.xml")), FileKind::Unknown);
    assert_eq!(detect(&fixture_bytes("empty.xml")), FileKind::Unknown);
}

fn fatal(name: &str) -> dossiersco_siecle::SiecleError {
    parse_eleves(&fixture_bytes(name)[..]).expect_err(name)
}

#[test]
fn a_truncated_file_is_fatal_and_says_so() {
    let e = fatal("truncated.xml");
    assert!(matches!(e.reason, ErrorReason::Truncated(_)), "{e:?}");
    assert!(e.to_string().contains("tronqué"), "{e}");
    assert!(e.location.is_some());
}

#[test]
fn an_empty_file_is_fatal() {
    assert_eq!(fatal("empty.xml").reason, ErrorReason::Empty);
    assert_eq!(fatal("empty.xml").to_string(), "le fichier est vide");
}

#[test]
fn windows_1252_bytes_in_an_iso_8859_15_file_are_fatal_with_the_line() {
    let e = fatal("windows1252_declared_iso.xml");
    assert!(
        matches!(&e.reason, ErrorReason::Encoding { declared, .. } if declared == "ISO-8859-15"),
        "{e:?}"
    );
    // The first C1 byte is the Œ of LEFÈVRE-ŒUVRARD (0x8C in Windows-1252), line 16.
    assert_eq!(
        e.location,
        Some(Location::Xml {
            line: 16,
            column: None
        }),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with("ligne 16 : le fichier n'est pas correctement encodé en ISO-8859-15"),
        "{e}"
    );
}

#[test]
fn utf8_in_an_iso_8859_15_file_and_latin9_in_a_utf8_file_are_fatal() {
    let e = fatal("utf8_declared_iso.xml");
    assert!(matches!(e.reason, ErrorReason::Encoding { .. }), "{e:?}");
    assert!(e.to_string().contains("UTF-8"), "{e}");
    let e = fatal("iso_declared_utf8.xml");
    assert!(
        matches!(&e.reason, ErrorReason::Encoding { declared, .. } if declared == "UTF-8"),
        "{e:?}"
    );
    assert_eq!(
        e.location,
        Some(Location::Xml {
            line: 16,
            column: None
        }),
        "{e}"
    );
}

#[test]
fn a_doctype_is_refused_and_never_expanded() {
    let e = fatal("billion_laughs.xml");
    assert_eq!(e.reason, ErrorReason::Doctype, "{e:?}");
    assert!(e.to_string().contains("DOCTYPE"));
    let e = fatal("undeclared_entity.xml");
    assert!(
        matches!(&e.reason, ErrorReason::Malformed(m) if m.contains("&lol9;")),
        "{e:?}"
    );
}

#[test]
fn a_file_without_uaj_is_fatal() {
    let e = fatal("missing_uaj.xml");
    assert_eq!(e.reason, ErrorReason::MissingUaj);
    assert_eq!(e.element.as_deref(), Some("UAJ"));
    let e =
        parse_eleves(&b"<BEE_ELEVES><DONNEES><ELEVES/></DONNEES></BEE_ELEVES>"[..]).unwrap_err();
    assert_eq!(e.reason, ErrorReason::MissingUaj);
    let e =
        parse_eleves(&b"<BEE_ELEVES><PARAMETRES><UAJ>12345</UAJ></PARAMETRES></BEE_ELEVES>"[..])
            .unwrap_err();
    assert!(matches!(e.reason, ErrorReason::InvalidUaj(_)));
}

#[test]
fn another_export_or_a_foreign_xml_is_refused() {
    let e = fatal("not_siecle.xml");
    assert!(
        matches!(&e.reason, ErrorReason::NotSiecle(Some(r)) if r == "cas:serviceResponse"),
        "{e:?}"
    );
    let e = fatal("nomenclature.xml");
    assert_eq!(
        e.reason,
        ErrorReason::WrongKind {
            expected: FileKind::ElevesXml,
            found: FileKind::NomenclaturesXml
        }
    );
    assert!(e.to_string().contains("nomenclatures"), "{e}");
}

#[test]
fn nesting_and_text_length_are_bounded() {
    let deep = format!(
        "<BEE_ELEVES><PARAMETRES><UAJ>0593412N</UAJ></PARAMETRES><DONNEES><ELEVES><ELEVE ELEVE_ID=\"1\">{}{}</ELEVE></ELEVES></DONNEES></BEE_ELEVES>",
        "<A>".repeat(100),
        "</A>".repeat(100)
    );
    let e = parse_eleves(deep.as_bytes()).unwrap_err();
    assert_eq!(e.reason, ErrorReason::TooDeep(16));

    let limits = Limits {
        max_text_len: 100,
        max_token_len: 1000,
        ..Limits::default()
    };
    let long = format!(
        "<BEE_ELEVES><PARAMETRES><UAJ>0593412N</UAJ></PARAMETRES><DONNEES><ELEVES><ELEVE ELEVE_ID=\"1\"><NOM_DE_FAMILLE>{}</NOM_DE_FAMILLE></ELEVE></ELEVES></DONNEES></BEE_ELEVES>",
        "A".repeat(500)
    );
    let mut reader = ElevesReader::with_limits(long.as_bytes(), limits).unwrap();
    let e = reader.next().unwrap().unwrap_err();
    assert_eq!(e.reason, ErrorReason::TooLong(100));
    assert_eq!(e.element.as_deref(), Some("NOM_DE_FAMILLE"));
    assert!(
        reader.next().is_none(),
        "the reader stops after a fatal error"
    );

    let huge = format!(
        "<BEE_ELEVES><PARAMETRES><UAJ>0593412N</UAJ></PARAMETRES><DONNEES><ELEVES><ELEVE ELEVE_ID=\"1\"><NOM_DE_FAMILLE>{}",
        "A".repeat(5000)
    );
    let mut reader = ElevesReader::with_limits(huge.as_bytes(), limits).unwrap();
    assert_eq!(
        reader.next().unwrap().unwrap_err().reason,
        ErrorReason::TooLong(1000)
    );
}

#[test]
fn mismatched_tags_are_fatal_and_located() {
    let doc = "<BEE_ELEVES>\n<PARAMETRES><UAJ>0593412N</UAJ></PARAMETRES>\n<DONNEES>\n<ELEVES>\n<ELEVE ELEVE_ID=\"1\"><NOM_DE_FAMILLE>A</PRENOM></ELEVE>\n</ELEVES></DONNEES></BEE_ELEVES>";
    let e = parse_eleves(doc.as_bytes()).unwrap_err();
    assert!(
        matches!(&e.reason, ErrorReason::Malformed(m) if m.contains("</PRENOM>")),
        "{e:?}"
    );
    assert!(
        matches!(e.location, Some(Location::Xml { line: 5, .. })),
        "{e:?}"
    );
}
