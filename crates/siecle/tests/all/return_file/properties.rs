//! Properties of the writer over generated inputs: any valid input gives a file valid
//! against schema 4.0, in ISO-8859-15, that reads back to exactly the input; any input
//! at all gives either a refusal or a schema-valid file.

use std::collections::HashSet;

use dossiersco_siecle::Uai;
use dossiersco_siecle::codes::{Civilite, ModaliteElection, Parente, Pcs, Regime, Sexe};
use dossiersco_siecle::return_file::{
    Address, Birthplace, Grant, Link, LinkKind, OptionChoice, Person, Phones, PreviousSchool,
    PreviousYear, Pupil, ReturnFile, Schooling, Town, latin9, read_xml,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

use super::date;

/// A value as the writer writes it: Latin-9 words (with XML's special characters),
/// single spaces, 1 to `max` characters.
fn words(max: usize) -> impl Strategy<Value = String> {
    "[A-Za-zÀ-ÖØ-öø-ÿŒœŠšŽžŸ€&<>'\"-]{1,12}( [A-Za-zéèàçÉ'&-]{1,10}){0,3}"
        .prop_map(move |s| s.chars().take(max).collect::<String>().trim().to_string())
        .prop_filter("not empty", |s| !s.is_empty())
}

fn digits(n: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..10, n)
        .prop_map(|d| d.into_iter().map(|x| char::from(b'0' + x)).collect())
}

fn phone() -> impl Strategy<Value = String> {
    ("\\+?[0-9]{1,19}").prop_map(|s| s)
}

fn a_date() -> impl Strategy<Value = chrono::NaiveDate> {
    (1990i32..2030, 1u32..13, 1u32..29).prop_map(|(y, m, d)| date(y, m, d))
}

fn address() -> impl Strategy<Value = Address> {
    (
        proptest::collection::vec(words(38), 0..=4),
        prop_oneof![
            (digits(5), words(32)).prop_map(|(postcode, name)| Town::France { postcode, name }),
            words(32).prop_map(Town::Abroad),
        ],
        digits(3),
    )
        .prop_map(|(lines, town, country)| Address {
            lines,
            town,
            country,
        })
}

fn phones() -> impl Strategy<Value = Phones> {
    (
        proptest::option::of(phone()),
        proptest::option::of(phone()),
        proptest::option::of(phone()),
    )
        .prop_map(|(home, work, mobile)| Phones { home, work, mobile })
}

fn person(private_id: u32) -> impl Strategy<Value = Person> {
    (
        proptest::option::of(any::<u32>()),
        prop_oneof![Just(Civilite::Monsieur), Just(Civilite::Madame)],
        words(100),
        proptest::option::of(words(100)),
        words(100),
        proptest::option::of(address()),
        proptest::option::of(any::<bool>()),
        proptest::sample::select(Pcs::ALL),
        phones(),
        proptest::option::of(any::<bool>()),
        proptest::option::of("[a-z0-9.]{1,20}@[a-z]{1,10}\\.fr"),
    )
        .prop_map(
            move |(
                siecle_id,
                civility,
                last_name,
                usage_name,
                first_name,
                address,
                shares_address,
                profession,
                phones,
                accepts_sms,
                email,
            )| Person {
                private_id,
                siecle_id,
                civility,
                last_name,
                usage_name,
                first_name,
                address,
                shares_address,
                profession: profession.clone(),
                phones,
                accepts_sms,
                email,
            },
        )
}

fn link(persons: Vec<u32>, kind: LinkKind) -> impl Strategy<Value = Link> {
    (
        proptest::sample::select(persons),
        proptest::sample::select(Parente::ALL),
        proptest::option::of(any::<bool>()),
        any::<bool>(),
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(move |(person, rel, pays, lives, aid, first)| {
            let contact = kind == LinkKind::Contact;
            Link {
                person,
                kind,
                relationship: rel.clone(),
                pays_fees: if contact { None } else { pays },
                lives_with_pupil: if contact { None } else { Some(lives) },
                receives_aid: if contact { None } else { aid },
                contact_first: if contact { None } else { first },
            }
        })
}

/// Links to distinct persons: 1–2 legal, then in charge, then contacts.
fn links(persons: Vec<u32>) -> impl Strategy<Value = Vec<Link>> {
    let n = persons.len();
    (
        proptest::sample::subsequence(persons.clone(), 1..=n.min(5)),
        1usize..=2,
        0usize..=2,
    )
        .prop_flat_map(move |(chosen, legal, in_charge)| {
            let legal = legal.min(chosen.len());
            let in_charge = in_charge.min(chosen.len() - legal);
            let kinds: Vec<LinkKind> = (0..chosen.len())
                .map(|i| {
                    if i < legal {
                        LinkKind::Legal
                    } else if i < legal + in_charge {
                        LinkKind::InCharge
                    } else {
                        LinkKind::Contact
                    }
                })
                .collect();
            chosen
                .into_iter()
                .zip(kinds)
                .map(|(p, k)| link(vec![p], k))
                .collect::<Vec<_>>()
        })
}

fn schooling() -> impl Strategy<Value = Schooling> {
    (
        digits(11),
        proptest::option::of("[0-9A-Z]{1,8}"),
        "[A-Z]{1,2}",
        a_date(),
        proptest::option::of(a_date()),
        proptest::option::of(any::<bool>()),
        proptest::collection::vec(
            (
                digits(6),
                prop_oneof![
                    Just(ModaliteElection::Obligatoire),
                    Just(ModaliteElection::Facultatif)
                ],
            ),
            0..=12,
        ),
    )
        .prop_map(
            |(mef, division, status, start, end, stops, options)| Schooling {
                mef,
                division,
                status,
                start,
                end,
                stops_training: stops,
                options: options
                    .into_iter()
                    .map(|(subject, modality)| OptionChoice { subject, modality })
                    .collect(),
            },
        )
}

fn previous() -> impl Strategy<Value = PreviousYear> {
    (
        prop_oneof![
            (0u32..10_000_000)
                .prop_map(|n| PreviousSchool::Uai(Uai::from_digits(n).unwrap().to_string())),
            digits(3).prop_map(PreviousSchool::Department),
        ],
        "[0-9]",
        proptest::option::of(digits(11)),
        proptest::option::of("[0-9]"),
        proptest::option::of("[0-9A-Z]{1,8}"),
        proptest::option::of("[A-Z]{2}"),
        proptest::option::of(a_date()),
        proptest::option::of("[0-9]{1,2}"),
        proptest::collection::vec("[A-Z0-9]{1,5}", 0..=12),
    )
        .prop_map(
            |(school, provenance, mef, mef_type, division, status, start, regime, options)| {
                PreviousYear {
                    school,
                    provenance,
                    mef,
                    mef_type,
                    division,
                    status,
                    start,
                    end: None,
                    regime,
                    options,
                }
            },
        )
}

fn pupil(private_id: u32, ine: Option<String>, persons: Vec<u32>) -> impl Strategy<Value = Pupil> {
    let identity = (
        proptest::option::of(any::<u32>()),
        words(100),
        proptest::option::of(words(100)),
        words(100),
        proptest::option::of(words(100)),
        proptest::option::of(words(100)),
        digits(3),
        a_date(),
        prop_oneof![Just(Sexe::Masculin), Just(Sexe::Feminin)],
        digits(3),
        prop_oneof![
            digits(5).prop_map(Birthplace::Insee),
            words(32).prop_map(Birthplace::Abroad)
        ],
    );
    let rest = (
        proptest::option::of(a_date()),
        proptest::option::of(address()),
        phones(),
        proptest::option::of(any::<bool>()),
        any::<bool>(),
        proptest::sample::select(Regime::ALL),
        any::<bool>(),
        proptest::sample::subsequence(vec!["N", "R", "M"], 0..=2),
        links(persons),
        schooling(),
        previous(),
        0u8..=99,
    );
    (identity, rest).prop_map(
        move |(
            (siecle_id, last, usage, first, first2, first3, nat, birth, sex, country, place),
            (
                entry,
                address,
                phones,
                sms,
                transport,
                regime,
                repeating,
                grants,
                links,
                sc,
                prev,
                parts,
            ),
        )| Pupil {
            private_id,
            siecle_id,
            ine: ine.clone(),
            last_name: last,
            usage_name: usage,
            first_name: first,
            first_name2: first2,
            first_name3: first3,
            nationality: Some(nat),
            birth_date: birth,
            sex: Some(sex),
            birth_country: country,
            birthplace: Some(place),
            entry_date: entry,
            address,
            phones,
            accepts_sms: sms,
            email: None,
            transport,
            regime: regime.clone(),
            repeating,
            grants: grants
                .into_iter()
                .map(|code| Grant {
                    code: code.into(),
                    parts: Some(parts),
                })
                .collect(),
            links,
            schooling: Some(sc),
            previous: Some(prev),
            leaving: None,
        },
    )
}

/// A valid file: 1–6 persons with distinct ids, 1–6 pupils with distinct ids and INEs.
fn valid_file() -> impl Strategy<Value = ReturnFile> {
    (
        proptest::collection::hash_set(any::<u32>(), 1..=6),
        proptest::collection::hash_set(any::<u32>(), 1..=6),
        0u32..10_000_000,
        1990u16..2100,
        (
            2000i32..2100,
            1u32..13,
            1u32..29,
            0u32..24,
            0u32..60,
            0u32..60,
        ),
        0u32..=99_999,
    )
        .prop_flat_map(|(person_ids, pupil_ids, uai, year, t, send)| {
            let person_ids: Vec<u32> = person_ids.into_iter().collect();
            let persons: Vec<_> = person_ids.iter().map(|id| person(*id)).collect();
            let pupils: Vec<_> = pupil_ids
                .into_iter()
                .enumerate()
                .map(|(i, id)| {
                    let ine = (i % 3 != 2).then(|| format!("{:09}JA", 70_000_000 + i));
                    pupil(id, ine, person_ids.clone())
                })
                .collect();
            (persons, pupils).prop_map(move |(persons, pupils)| ReturnFile {
                uai: Uai::from_digits(uai).unwrap(),
                school_year: year,
                generated_at: date(t.0, t.1, t.2).and_hms_opt(t.3, t.4, t.5).unwrap(),
                send_number: send,
                persons,
                pupils,
            })
        })
}

fn read_back_form(mut f: ReturnFile) -> ReturnFile {
    f.generated_at = f.generated_at.date().and_hms_opt(0, 0, 0).unwrap();
    for p in &mut f.pupils {
        p.links.sort_by_key(|l| l.kind);
    }
    f
}

proptest! {
    #![proptest_config(Config { cases: 128, ..Config::default() })]

    #[test]
    fn any_valid_input_is_written_in_latin9_and_reads_back_exactly(f in valid_file()) {
        let xml = f.to_xml().map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(xml.starts_with(b"<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?>"));
        let (text, _, malformed) = encoding_rs::ISO_8859_15.decode(&xml);
        prop_assert!(!malformed);
        prop_assert!(text.chars().all(|c| c == '\n' || latin9::is_latin9(c)));
        let back = read_xml(&xml).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, &read_back_form(f.clone()));
        // Ids unique, lengths and codes within the schema's bounds.
        let ids: HashSet<u32> = back.persons.iter().map(|p| p.private_id).collect();
        prop_assert_eq!(ids.len(), back.persons.len());
        let ids: HashSet<u32> = back.pupils.iter().map(|p| p.private_id).collect();
        prop_assert_eq!(ids.len(), back.pupils.len());
        for p in &back.pupils {
            prop_assert!(p.last_name.chars().count() <= 100);
            prop_assert!(p.links.iter().all(|l| ids_contains(&back, l.person)));
            prop_assert!(p.links.iter().all(|l| l.relationship.code().len() == 2));
            let sc = p.schooling.as_ref().unwrap();
            prop_assert_eq!(sc.mef.len(), 11);
            prop_assert!(sc.options.len() <= 12);
            prop_assert!(p.links.iter().filter(|l| l.kind == LinkKind::Legal).count() <= 2);
        }
        for p in &back.persons {
            if let Some(a) = &p.address {
                prop_assert!(a.lines.len() <= 4);
                prop_assert!(a.lines.iter().all(|l| l.chars().count() <= 38));
            }
        }
        prop_assert!(dossiersco_siecle::return_file::is_valid_file_name(&f.file_name()));
    }
}

fn ids_contains(f: &ReturnFile, id: u32) -> bool {
    f.persons.iter().any(|p| p.private_id == id)
}

/// Any input at all: a wild mutation of a valid file (too long, empty, out-of-Latin-9,
/// dangling links, duplicate ids…).
fn wild_file() -> impl Strategy<Value = ReturnFile> {
    let wild_text = prop_oneof![
        4 => words(100),
        1 => ".{0,120}",
        1 => Just("   ".to_string()),
    ];
    (
        valid_file(),
        wild_text.clone(),
        wild_text,
        0u8..8,
        any::<u32>(),
    )
        .prop_map(|(mut f, a, b, which, n)| {
            match which {
                0 => f.pupils[0].last_name = a,
                1 => {
                    if let Some(p) = f.persons.first_mut() {
                        p.address = Some(Address {
                            lines: vec![a, b],
                            town: Town::Abroad("X".into()),
                            country: "139".into(),
                        });
                    }
                }
                2 => f.pupils[0].links.push(Link {
                    person: n,
                    kind: LinkKind::Legal,
                    relationship: Parente::Mere,
                    pays_fees: None,
                    lives_with_pupil: Some(true),
                    receives_aid: None,
                    contact_first: None,
                }),
                3 => f.persons[0].phones.mobile = Some(a),
                4 => {
                    let dup = f.persons[0].clone();
                    f.persons.push(dup);
                }
                5 => f.pupils[0].schooling.as_mut().unwrap().division = Some(a),
                6 => f.pupils[0].ine = Some(b),
                _ => f.persons[0].first_name = b,
            }
            f
        })
}

/// Generates files with the strategy and validates those the writer accepts with
/// xmllint, in one call.
fn xsd_valid_batch(
    label: &str,
    strategy: impl Strategy<Value = ReturnFile>,
    cases: usize,
) -> (usize, usize) {
    let mut runner = TestRunner::deterministic();
    let dir =
        std::env::temp_dir().join(format!("dossiersco-retour-{label}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    let mut refused = 0;
    for i in 0..cases {
        let f = strategy.new_tree(&mut runner).unwrap().current();
        match f.to_xml() {
            Ok(xml) => {
                let path = dir.join(format!("{i}.xml"));
                std::fs::write(&path, xml).unwrap();
                files.push(path);
            }
            Err(e) => {
                assert!(!e.problems.is_empty());
                refused += 1;
            }
        }
    }
    let Some(xsd) = super::xsd_path() else {
        return (files.len(), refused);
    };
    if super::xmllint(b"<x/>").is_none() {
        return (files.len(), refused);
    }
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .args(&files)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (files.len(), refused)
}

#[test]
fn any_valid_input_gives_a_file_valid_against_schema_4_0() {
    let (written, refused) = xsd_valid_batch("valid", valid_file(), 200);
    assert_eq!((written, refused), (200, 0));
}

#[test]
fn any_input_gives_either_a_refusal_or_a_file_valid_against_schema_4_0() {
    let (written, refused) = xsd_valid_batch("wild", wild_file(), 300);
    // Both outcomes occur, so the property says something.
    assert!(
        written > 50 && refused > 20,
        "{written} written, {refused} refused"
    );
}
