//! From SIECLE's exports to the return file and back: a generated school's exports
//! are written, read by the parsers, turned into what SIECLE holds, written as a
//! return file, validated against schema 4.0, read back, and dry-run.

use std::collections::HashMap;
use std::io::Cursor;

use chrono::NaiveDate;
use dossiersco_siecle::eleves::parse_eleves;
use dossiersco_siecle::nomenclatures::parse_nomenclature;
use dossiersco_siecle::responsables::parse_responsables;
use dossiersco_siecle::return_file::{
    Choices, DryRunContext, ReturnFile, SiecleRecords, dry_run, latin9, read_xml, what_siecle_holds,
};
use dossiersco_siecle::structures::parse_structures;
use dossiersco_siecle::synth;

use super::{date, xmllint};

fn clean(s: &mut String) {
    *s = latin9::clean(s).unwrap();
}

/// The file as its values are written: names transliterated to Latin-9.
fn as_written(mut f: ReturnFile) -> ReturnFile {
    for p in &mut f.pupils {
        clean(&mut p.last_name);
        clean(&mut p.first_name);
        p.first_name2
            .iter_mut()
            .chain(p.first_name3.iter_mut())
            .chain(p.usage_name.iter_mut())
            .for_each(clean);
    }
    for p in &mut f.persons {
        clean(&mut p.last_name);
        clean(&mut p.first_name);
        p.usage_name.iter_mut().for_each(clean);
    }
    f
}

/// How many names the writer transliterates.
fn report_count(f: &ReturnFile) -> usize {
    f.pupils
        .iter()
        .map(|p| &p.last_name)
        .chain(f.persons.iter().map(|p| &p.last_name))
        .filter(|n| latin9::is_transliterated(n))
        .count()
}

fn bytes(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out).unwrap();
    out
}

/// The generator writes what SIECLE's real exports always carry: every
/// pupil's CODE_PROVENANCE, and no consent to SMS without a mobile phone
/// (which the dry run blocks: check 21).
#[test]
fn a_generated_school_has_what_siecle_s_exports_always_carry() {
    let school = synth::generate_school(0, 300, 5);
    assert!(school.eleves.iter().all(|e| e.code_provenance.is_some()));
    assert!(
        school
            .personnes
            .iter()
            .all(|p| p.tel_portable.is_some() || p.accepte_sms != Some(true))
    );
    assert!(school.personnes.iter().any(|p| p.accepte_sms == Some(true)));
    assert!(school.personnes.iter().any(|p| p.tel_portable.is_none()));
}

#[test]
fn a_generated_school_goes_from_its_exports_to_a_valid_return_file_holding_exactly_siecles_values()
{
    let school = synth::generate_school(0, 300, 5);
    let eleves = parse_eleves(Cursor::new(bytes(|w| school.write_eleves(w)))).unwrap();
    let responsables =
        parse_responsables(Cursor::new(bytes(|w| school.write_responsables(w)))).unwrap();
    let nomenclature =
        parse_nomenclature(Cursor::new(bytes(|w| school.write_nomenclature(w)))).unwrap();
    let structures = parse_structures(Cursor::new(bytes(|w| school.write_structures(w)))).unwrap();

    // Private ids: none exported by the generator, so the school's allocator's (here
    // 1, 2, 3… in file order), one per pupil and one per person.
    let pupil_ids: HashMap<u64, u32> = eleves
        .eleves
        .iter()
        .enumerate()
        .map(|(i, e)| (e.eleve_id, i as u32 + 1))
        .collect();
    let person_ids: HashMap<u64, u32> = responsables
        .personnes
        .iter()
        .enumerate()
        .map(|(i, p)| (p.personne_id, i as u32 + 1))
        .collect();
    let start = NaiveDate::from_ymd_opt(i32::from(school.annee_scolaire), 9, 1).unwrap();
    let snapshot = what_siecle_holds(
        SiecleRecords {
            eleves: &eleves.eleves,
            options: &eleves.options,
            structures: &eleves.structures,
            bourses: &eleves.bourses,
            pupil_addresses: &eleves.adresses,
            personnes: &responsables.personnes,
            responsables: &responsables.responsables,
            person_addresses: &responsables.adresses,
        },
        &Choices {
            pupil_private_id: &|e| pupil_ids.get(&e.eleve_id).copied(),
            person_private_id: &|p| person_ids.get(&p.personne_id).copied(),
            grant_parts: &|_, _| Some(3),
            schooling_start: start,
        },
    );
    assert!(snapshot.problems.is_empty(), "{:#?}", snapshot.problems);
    assert_eq!(snapshot.pupils.len(), school.eleves.len());
    assert_eq!(snapshot.persons.len(), school.personnes.len());
    let links: usize = snapshot.pupils.iter().map(|p| p.links.len()).sum();
    assert_eq!(links, school.responsables.len(), "no guardian dropped");

    let file = ReturnFile {
        uai: school.uai.clone(),
        school_year: school.annee_scolaire,
        generated_at: date(i32::from(school.annee_scolaire), 6, 30)
            .and_hms_opt(16, 45, 0)
            .unwrap(),
        send_number: 1,
        persons: snapshot.persons.clone(),
        pupils: snapshot.pupils.clone(),
    };
    let xml = file
        .to_xml()
        .unwrap_or_else(|e| panic!("{:#?}", e.problems));
    if let Some(result) = xmllint(&xml) {
        result.unwrap_or_else(|e| panic!("{e}"));
    }
    let back = read_xml(&xml).unwrap();
    // Exactly SIECLE's values, but for characters outside ISO-8859-15 (the generator
    // writes a few, e.g. « Č »), transliterated as the dry run warns (check 3).
    let expected = as_written(file.clone());
    let transliterated = report_count(&file);
    assert!(
        transliterated > 0,
        "the generator's non-Latin-9 names are exercised"
    );
    for (read, given) in back.pupils.iter().zip(&expected.pupils) {
        assert_eq!(read, given, "every value SIECLE had, unchanged");
    }
    assert_eq!(back.pupils.len(), expected.pupils.len());
    assert_eq!(back.persons, expected.persons);
    // Civility and links as SIECLE had them (what the original broke).
    let madames = school
        .personnes
        .iter()
        .filter(|p| p.civilite.as_ref().is_some_and(|c| c.code() == "2"))
        .count();
    assert_eq!(
        back.persons
            .iter()
            .filter(|p| p.civility.code() == "2")
            .count(),
        madames
    );

    // Accepted changes (a pupil's régime, a parent's mobile phone) and nothing else:
    // reading the file back shows exactly those.
    let mut changed = file.clone();
    changed.pupils[7].regime = dossiersco_siecle::codes::Regime::ExterneLibre;
    changed.persons[3].phones.mobile = Some("+33698765432".into());
    let back_changed = read_xml(&changed.to_xml().unwrap()).unwrap();
    let differing_pupils: Vec<usize> = (0..back.pupils.len())
        .filter(|&i| back.pupils[i] != back_changed.pupils[i])
        .collect();
    let differing_persons: Vec<usize> = (0..back.persons.len())
        .filter(|&i| back.persons[i] != back_changed.persons[i])
        .collect();
    assert_eq!((differing_pupils, differing_persons), (vec![7], vec![3]));
    let mut undone = back_changed.clone();
    undone.pupils[7].regime = back.pupils[7].regime.clone();
    undone.persons[3].phones.mobile = back.persons[3].phones.mobile.clone();
    assert_eq!(undone, back, "only the accepted changes differ");

    // The dry run over SIECLE's own values finds nothing to block.
    let ctx = DryRunContext {
        school_year_dates: Some((
            start,
            NaiveDate::from_ymd_opt(i32::from(school.annee_scolaire) + 1, 7, 4).unwrap(),
        )),
        mefs: nomenclature.mefs.clone(),
        subjects: nomenclature.matieres.clone(),
        programmes: nomenclature.programmes.clone(),
        mandatory_options: nomenclature.options_obligatoires.clone(),
        divisions: structures.divisions.clone(),
        siecle_pupils: snapshot.pupils.clone(),
        siecle_persons: snapshot.persons.clone(),
        removed_links: vec![],
        exports: vec![
            eleves.parametres.clone(),
            responsables.parametres.clone(),
            nomenclature.parametres.clone(),
            structures.parametres.clone(),
        ],
        last_send: None,
        exports_of_the_year_before: false,
    };
    let report = dry_run(&file, &ctx);
    let blocking: Vec<String> = report.blocking().map(|p| p.to_string()).collect();
    assert!(
        blocking.is_empty(),
        "{} blocking, e.g. {:#?}",
        blocking.len(),
        &blocking[..blocking.len().min(10)]
    );
}
