//! The return file to SIECLE: writer, reader, XSD validation, dry run, properties.

mod dry_run;
mod from_synth;
mod properties;
mod writer;

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::NaiveDate;
use dossiersco_siecle::Uai;
use dossiersco_siecle::codes::{Civilite, ModaliteElection, Parente, Pcs, Regime, Sexe};
use dossiersco_siecle::return_file::{
    Address, Birthplace, Grant, Link, LinkKind, OptionChoice, Person, Phones, PreviousSchool,
    PreviousYear, Pupil, ReturnFile, Schooling, Town,
};

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn legal(person: u32, relationship: Parente) -> Link {
    Link {
        person,
        kind: LinkKind::Legal,
        relationship,
        pays_fees: Some(true),
        lives_with_pupil: Some(true),
        receives_aid: Some(false),
        contact_first: Some(true),
    }
}

pub fn person(private_id: u32, civility: Civilite, last: &str, first: &str) -> Person {
    Person {
        private_id,
        siecle_id: Some(200_000 + private_id),
        civility,
        last_name: last.into(),
        usage_name: None,
        first_name: first.into(),
        address: Some(Address {
            lines: vec!["12 rue de l'Église".into(), "Bâtiment B".into()],
            town: Town::France {
                postcode: "75012".into(),
                name: "PARIS".into(),
            },
            country: "100".into(),
        }),
        shares_address: Some(false),
        profession: Pcs::from_code("37"),
        phones: Phones {
            home: Some("0143434343".into()),
            work: None,
            mobile: Some("+33612345678".into()),
        },
        accepts_sms: Some(true),
        email: Some(format!(
            "{}.{}@example.org",
            first.to_lowercase(),
            private_id
        )),
    }
}

/// The school year's MEF of 5e and its division, as the sample nomenclature has them.
pub const MEF_5E: &str = "10110001110";
pub const MEF_6E: &str = "10010012110";

pub fn pupil(private_id: u32, last: &str, first: &str, guardians: &[u32]) -> Pupil {
    Pupil {
        private_id,
        siecle_id: Some(1_800_000 + private_id),
        ine: Some(format!("{:09}AB", 70_000_000 + private_id)),
        last_name: last.into(),
        usage_name: None,
        first_name: first.into(),
        first_name2: Some("Élise".into()),
        first_name3: None,
        nationality: Some("100".into()),
        birth_date: date(2013, 4, 2),
        sex: Some(Sexe::Feminin),
        birth_country: "100".into(),
        birthplace: Some(Birthplace::Insee("75112".into())),
        entry_date: Some(date(2024, 9, 2)),
        address: None,
        phones: Phones::default(),
        accepts_sms: None,
        email: None,
        transport: true,
        regime: Regime::from_code("24"),
        repeating: false,
        grants: vec![Grant {
            code: "N".into(),
            parts: Some(3),
        }],
        links: guardians
            .iter()
            .enumerate()
            .map(|(i, g)| legal(*g, if i == 0 { Parente::Mere } else { Parente::Pere }))
            .collect(),
        schooling: Some(Schooling {
            mef: MEF_5E.into(),
            division: Some("5A".into()),
            status: "ST".into(),
            start: date(2025, 9, 1),
            end: None,
            stops_training: None,
            options: vec![OptionChoice {
                subject: "030201".into(),
                modality: ModaliteElection::Obligatoire,
            }],
        }),
        previous: Some(PreviousYear {
            school: PreviousSchool::Uai("0752387M".into()),
            provenance: "1".into(),
            mef: Some(MEF_6E.into()),
            mef_type: None,
            division: Some("6A".into()),
            status: None,
            start: None,
            end: None,
            regime: None,
            options: vec!["AGL1".into()],
        }),
        leaving: None,
    }
}

/// A small file: two parents, their two children, a new pupil without INE with a tutor.
pub fn sample() -> ReturnFile {
    let mut tutor = person(3, Civilite::Monsieur, "N'Diaye", "Ousmane");
    tutor.siecle_id = None;
    tutor.address = Some(Address {
        lines: vec!["Rua Augusta 45".into()],
        town: Town::Abroad("LISBOA".into()),
        country: "139".into(),
    });
    let mut newcomer = pupil(12, "N'Diaye", "Awa", &[3]);
    newcomer.siecle_id = None;
    newcomer.ine = None;
    newcomer.links[0].relationship = Parente::Tuteur;
    newcomer.birth_country = "139".into();
    newcomer.birthplace = Some(Birthplace::Abroad("LISBOA".into()));
    newcomer.nationality = Some("139".into());
    newcomer.grants.clear();
    newcomer.previous = Some(PreviousYear {
        school: PreviousSchool::Uai("0750001A".into()),
        provenance: "3".into(),
        mef: None,
        mef_type: None,
        division: None,
        status: None,
        start: None,
        end: None,
        regime: None,
        options: vec![],
    });
    let mut brother = pupil(11, "Martin", "Léo", &[1, 2]);
    brother.sex = Some(Sexe::Masculin);
    brother.links.push(Link {
        person: 3,
        kind: LinkKind::Contact,
        relationship: Parente::AutreLien,
        pays_fees: None,
        lives_with_pupil: None,
        receives_aid: None,
        contact_first: None,
    });
    ReturnFile {
        uai: Uai::parse("0752387M").unwrap(),
        school_year: 2025,
        generated_at: date(2025, 6, 28).and_hms_opt(14, 30, 5).unwrap(),
        send_number: 1,
        persons: vec![
            person(1, Civilite::Madame, "Martin", "Inès"),
            person(2, Civilite::Monsieur, "Martin", "Stéphane"),
            tutor,
        ],
        pupils: vec![pupil(10, "Martin", "Zoé", &[1, 2]), brother, newcomer],
    }
}

/// schema_Import_4.0.xsd, read in place from the shared specs.
pub fn xsd_path() -> Option<PathBuf> {
    let samples = crate::samples::samples_dir()?;
    Some(samples.join("../specs/schema_Import_4.0.xsd"))
}

/// Runs `xmllint --noout --schema` on the bytes. `None` (with a visible skip line) when
/// xmllint or the schema is missing, unless `DOSSIERSCO_REQUIRE_ALL=1`: then it fails.
pub fn xmllint(xml: &[u8]) -> Option<Result<(), String>> {
    let xsd = xsd_path()?;
    let required = std::env::var("DOSSIERSCO_REQUIRE_ALL").as_deref() == Ok("1");
    if Command::new("xmllint").arg("--version").output().is_err() {
        assert!(
            !required,
            "xmllint is required (DOSSIERSCO_REQUIRE_ALL=1) but not installed (apt install libxml2-utils)"
        );
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: xmllint not installed (apt install libxml2-utils)"
        );
        return None;
    }
    static N: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "dossiersco-retour-{}-{}.xml",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, xml).unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&path)
        .output()
        .expect("xmllint runs");
    let _ = std::fs::remove_file(&path);
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}
