//! The return file to SIECLE from the database (issue 13), on both databases:
//! generated SIECLE exports are imported, families change some dossiers, the
//! school validates, `dossiersco export siecle` writes the file; read back, it
//! holds exactly what SIECLE held (`what_siecle_holds` of the same exports)
//! with the changes made, for the pupils of validated dossiers with a change,
//! and nothing else. xmllint validates it against schema 4.0.

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::path::PathBuf;
use std::process::Command;

use dossiersco::db::siecle_return as rows;
use dossiersco::db::{SchoolScope, family};
use dossiersco::domain::dossier_state::{DossierState, Event};
use dossiersco::dossier::{self, By, Move};
use dossiersco::siecle_return::command::export;
use dossiersco_siecle::eleves::parse_eleves;
use dossiersco_siecle::responsables::parse_responsables;
use dossiersco_siecle::return_file::{
    Address, Choices, PreviousSchool, PreviousYear, ReturnFile, SiecleRecords, latin9, read_xml,
    what_siecle_holds,
};
use dossiersco_siecle::synth;

use crate::harness::TestApp;
use crate::import::{add_school, write_exports};
use crate::on_both_databases;

fn bytes(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out).unwrap();
    out
}

fn clean(s: &mut String) {
    *s = latin9::clean(s).unwrap();
}

/// The file as its values are written: names transliterated to Latin-9.
fn as_written(mut f: ReturnFile) -> ReturnFile {
    for p in &mut f.pupils {
        // NB_PART is unknown (not exported): such a grant is left out.
        p.grants.retain(|g| g.parts.is_some());
        if let Some(prev) = p.previous.as_mut() {
            prev.options.sort();
        }
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

/// `xmllint --schema` against schema 4.0; skipped (visibly) when xmllint is
/// missing, unless DOSSIERSCO_REQUIRE_ALL=1.
pub(crate) fn xmllint(xml: &[u8]) {
    // Read in place from the shared specs, found as the SIECLE samples are
    // (`DOSSIERSCO_SIECLE_SAMPLES`, which .ci/run sets, or ../shared).
    let samples = std::env::var_os("DOSSIERSCO_SIECLE_SAMPLES").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/siecle/samples"),
        PathBuf::from,
    );
    let xsd = samples.join("../specs/schema_Import_4.0.xsd");
    let required = std::env::var("DOSSIERSCO_REQUIRE_ALL").as_deref() == Ok("1");
    if !xsd.is_file() || Command::new("xmllint").arg("--version").output().is_err() {
        assert!(
            !required,
            "xmllint and schema 4.0 are required (DOSSIERSCO_REQUIRE_ALL=1)"
        );
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "skipped: xmllint or schema 4.0 missing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("retour.xml");
    std::fs::write(&path, xml).unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The zip's only entry.
pub(crate) fn unzip(path: &std::path::Path) -> (String, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    assert_eq!(archive.len(), 1, "one file in the zip");
    let mut entry = archive.by_index(0).unwrap();
    let mut xml = Vec::new();
    entry.read_to_end(&mut xml).unwrap();
    (entry.name().unwrap().into_owned(), xml)
}

/// Moves a dossier through `dossier::transition`, as the app does.
pub(crate) async fn step(
    app: &TestApp,
    school_id: i64,
    dossier_id: i64,
    from: DossierState,
    event: Event,
    by: By,
) {
    let mut tx = app.db().begin().await.unwrap();
    dossier::transition(
        &mut tx,
        Move {
            school_id,
            dossier_id,
            from,
            event,
            by,
            ip: "192.0.2.1",
            reason: "",
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn the_return_file_holds_exactly_the_changes_of_validated_dossiers(app: TestApp) {
    let generated = synth::generate_school(0, 30, 5);
    let school = add_school(&app, generated.uai.as_str()).await;
    let exports = write_exports(&generated);
    // As `dossiersco import` does: the import is recorded with its exports' year.
    let paths: Vec<PathBuf> = exports.files.iter().map(|f| f.path.clone()).collect();
    dossiersco::import::command::import(app.db(), &school.uai, false, &paths, false)
        .await
        .unwrap();
    let pool = app.db().pool();
    let scope = SchoolScope::of_command_line(school.id);
    // The exports are of the ending year; the campaign and the file are for
    // the next one.
    let year = i32::from(generated.annee_scolaire) + 1;
    // The campaign's MEF succession, as the set-up screen proposes it.
    let mut tx = app.db().begin().await.unwrap();
    dossiersco::db::setup::apply_proposed_succession(&mut tx, school.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // Without the school year's dates, no file (never a hard-coded date).
    let out_dir = tempfile::tempdir().unwrap();
    let refused = export(app.db(), &school.uai, true, false, None).await;
    assert!(
        refused
            .as_ref()
            .err()
            .is_some_and(|e| e.to_string().contains("dates de début et de fin")),
        "{:?}",
        refused.map(|r| r.text)
    );
    rows::set_classes_dates(
        pool,
        scope,
        &format!("{year}-09-01"),
        &format!("{}-07-04", year + 1),
    )
    .await
    .unwrap();

    // Pupils whose guardians have no other child here, with their dossier;
    // in 5e or 4e (next year's mandatory options are this year's: a 6e needs
    // an LV2 chosen, a 3e leaves the collège).
    let lonely: Vec<(i64, i64, String, String)> = sqlx::query_as(
        "SELECT d.id, p.id, p.last_name, p.first_name FROM dossiers d JOIN pupils p ON p.id = d.pupil_id
         WHERE p.school_id = $1 AND (p.siecle_mef_code LIKE '101%' OR p.siecle_mef_code LIKE '102%')
           AND NOT EXISTS (
             SELECT 1 FROM guardianships l JOIN guardianships o ON o.guardian_id = l.guardian_id
             WHERE l.pupil_id = p.id AND o.pupil_id <> p.id)
         ORDER BY p.id",
    )
    .bind(school.id)
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(lonely.len() >= 5, "{}", lonely.len());
    let guardian = |pupil: i64| async move {
        let row: (i64, String, String, String) = sqlx::query_as(
            "SELECT g.id, g.phone_mobile, g.address_lines, g.siecle_personne_id
             FROM guardianships l JOIN guardians g ON g.id = l.guardian_id
             WHERE l.pupil_id = $1 ORDER BY l.rank, g.id LIMIT 1",
        )
        .bind(pupil)
        .fetch_one(pool)
        .await
        .unwrap();
        row
    };
    let (changed_name, changed_address, unchanged, not_validated, leaving) =
        (&lonely[0], &lonely[1], &lonely[2], &lonely[3], &lonely[4]);
    // An agent decided the second one repeats the year.
    let mut tx = app.db().begin().await.unwrap();
    dossiersco::db::setup::set_repeaters(&mut tx, scope, &[changed_address.0])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // The school marks one as leaving: never in the file, listed apart.
    step(
        &app,
        school.id,
        leaving.0,
        DossierState::NotStarted,
        Event::MarkLeaving,
        By::Agent(1),
    )
    .await;
    let address_text = "Résidence des Grands Chênes, bâtiment B escalier 4\n12 avenue du Général de Gaulle prolongée";

    // Families change their dossiers and send them.
    let g0 = guardian(changed_name.1).await;
    family::set_pupil_field(
        pool,
        changed_name.0,
        "last_name",
        &changed_name.2,
        "NOUVEAUNOM",
        g0.0,
    )
    .await
    .unwrap();
    family::set_guardian_field(pool, g0.0, "phone_mobile", &g0.1, "06 11 22 33 44")
        .await
        .unwrap();
    // A birthplace in words: SIECLE wants an INSEE code for a town in France,
    // so this change is a warning and not sent (SIECLE's value stays).
    let city: String = sqlx::query_scalar("SELECT birth_commune_insee FROM pupils WHERE id = $1")
        .bind(changed_name.1)
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(!city.is_empty(), "born in France, with an INSEE code");
    family::set_pupil_field(pool, changed_name.0, "birth_city", "", "Villeneuve", g0.0)
        .await
        .unwrap();
    let g1 = guardian(changed_address.1).await;
    family::set_guardian_field(pool, g1.0, "address_lines", &g1.2, address_text)
        .await
        .unwrap();
    let g2 = guardian(unchanged.1).await;
    let g3 = guardian(not_validated.1).await;
    family::set_pupil_field(
        pool,
        not_validated.0,
        "first_name",
        &not_validated.3,
        "Autre",
        g3.0,
    )
    .await
    .unwrap();
    for (d, g) in [
        (changed_name.0, g0.0),
        (changed_address.0, g1.0),
        (unchanged.0, g2.0),
        (not_validated.0, g3.0),
    ] {
        step(
            &app,
            school.id,
            d,
            DossierState::NotStarted,
            Event::Open,
            By::Guardian(g),
        )
        .await;
        step(
            &app,
            school.id,
            d,
            DossierState::Started,
            Event::Submit,
            By::Guardian(g),
        )
        .await;
    }
    // The school decides on each change of the three it validates: it accepts
    // them all but the mobile phone of the first family, which it rejects.
    let agent_id: i64 = sqlx::query_scalar(
        "INSERT INTO agents (school_id, email, display_name, created_at)
         VALUES ($1, 'secretariat@college.fr', 'Secrétariat', 0) RETURNING id",
    )
    .bind(school.id)
    .fetch_one(pool)
    .await
    .unwrap();
    let mut rejected = 0;
    for d in [changed_name.0, changed_address.0, unchanged.0] {
        let decided = dossiersco::dossier::decisions::of_dossier(pool, scope, d)
            .await
            .unwrap()
            .unwrap();
        for c in decided.iter().map(|x| &x.change) {
            let reject = c.guardian_id == Some(g0.0) && c.field == "phone_mobile";
            rejected += usize::from(reject);
            dossiersco::db::decisions::record(
                pool,
                dossiersco::db::decisions::Decision {
                    dossier_id: d,
                    change_key: &c.key,
                    proposed_value: &c.value,
                    label: &c.label,
                    proposed_words: &c.after,
                    accepted: !reject,
                    reason: if reject { "Numéro à vérifier" } else { "" },
                    agent_id,
                },
            )
            .await
            .unwrap();
        }
    }
    assert_eq!(rejected, 1, "the phone change was there to reject");
    // The school validates three of them.
    for d in [changed_name.0, changed_address.0, unchanged.0] {
        step(
            &app,
            school.id,
            d,
            DossierState::Submitted,
            Event::Validate,
            By::Agent(1),
        )
        .await;
    }

    // The dry run: no blocking problem, no file, no NUM_ENVOI used.
    let dry = export(app.db(), &school.uai, true, false, None)
        .await
        .unwrap();
    assert!(!dry.failed, "{}", dry.text);
    assert!(dry.text.contains("2 élève(s)"), "{}", dry.text);
    assert!(!dry.text.contains("bloquant —"), "{}", dry.text);
    assert!(
        dry.text.contains("avertissement — la commune de naissance")
            && dry.text.contains("Villeneuve"),
        "{}",
        dry.text
    );
    assert!(dry.written.is_none());
    let leaving_name = format!("{} {}", leaving.3, leaving.2);
    assert!(
        dry.text.contains(&format!(
            "avertissement — les élèves sortants : 1 élève quitte le collège : enregistrez sa sortie dans SIECLE, ce fichier ne la porte pas ({leaving_name})"
        )),
        "{}",
        dry.text
    );
    assert!(
        dry.text.contains(&format!(
            "à enregistrer dans SIECLE (absents du fichier) :\n  - {leaving_name} (INE "
        )),
        "{}",
        dry.text
    );
    let listed = dossiersco::siecle_return::leaving(pool, scope)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].dossier_id, leaving.0);
    assert_eq!(listed[0].name, leaving_name);
    let leaving_ine: Option<String> = sqlx::query_scalar("SELECT ine FROM pupils WHERE id = $1")
        .bind(leaving.1)
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(listed[0].ine.is_some());
    assert_eq!(listed[0].ine, leaving_ine);
    assert_eq!(rows::last_send(pool, scope).await.unwrap(), None);
    assert!(rows::sent_dossiers(pool, scope).await.unwrap().is_empty());

    // The file: refused while a warning is not accepted, then written.
    let out = out_dir.path().join("retour.zip");
    let refused = export(app.db(), &school.uai, false, false, Some(out.clone()))
        .await
        .unwrap();
    assert!(refused.failed, "{}", refused.text);
    assert!(
        refused.text.contains("avertissement(s) à lire et accepter"),
        "{}",
        refused.text
    );
    assert!(!out.exists());
    assert_eq!(rows::last_send(pool, scope).await.unwrap(), None);
    let report = export(app.db(), &school.uai, false, true, Some(out.clone()))
        .await
        .unwrap();
    assert!(!report.failed, "{}", report.text);
    let (name, xml) = unzip(&out);
    assert!(
        name.starts_with(&format!("{}PRIVE{year}", school.uai)),
        "{name}"
    );
    assert!(name.ends_with(".xml"), "{name}");
    xmllint(&xml);
    let back = read_xml(&xml).unwrap();
    assert_eq!(back.send_number, 1);
    assert_eq!(back.school_year, generated.annee_scolaire + 1);

    // What SIECLE holds, from the same exports, with the file's private ids.
    let eleves = parse_eleves(Cursor::new(bytes(|w| generated.write_eleves(w)))).unwrap();
    let responsables =
        parse_responsables(Cursor::new(bytes(|w| generated.write_responsables(w)))).unwrap();
    let pupil_ids: HashMap<u64, u32> = back
        .pupils
        .iter()
        .map(|p| (u64::from(p.siecle_id.unwrap()), p.private_id))
        .collect();
    let person_ids: HashMap<u64, u32> = back
        .persons
        .iter()
        .map(|p| (u64::from(p.siecle_id.unwrap()), p.private_id))
        .collect();
    let start = chrono::NaiveDate::from_ymd_opt(year, 9, 1).unwrap();
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
            grant_parts: &|_, _| None,
            schooling_start: start,
        },
    );
    let mut expected = ReturnFile {
        uai: back.uai.clone(),
        school_year: back.school_year,
        generated_at: back.generated_at,
        send_number: 1,
        persons: snapshot.persons,
        pupils: snapshot.pupils,
    };
    // Exactly the changes made.
    let siecle_id = |pupil: i64| async move {
        let id: String = sqlx::query_scalar("SELECT siecle_eleve_id FROM pupils WHERE id = $1")
            .bind(pupil)
            .fetch_one(pool)
            .await
            .unwrap();
        id.parse::<u32>().unwrap()
    };
    let renamed = siecle_id(changed_name.1).await;
    let repeater = siecle_id(changed_address.1).await;
    let gone = siecle_id(leaving.1).await;
    assert!(back.pupils.iter().all(|p| p.siecle_id != Some(gone)));
    // Next year: the successor MEF (the agent's decision for the repeater),
    // this year's schooling as last year's, DOUBLEMENT when the MEF repeats.
    let next_of: HashMap<String, String> = sqlx::query_as(
        "SELECT m.code, n.code FROM mefs m JOIN mefs n ON n.id = m.next_mef_id WHERE m.school_id = $1",
    )
    .bind(school.id)
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let gestion: HashMap<&str, &str> = generated
        .matieres
        .iter()
        .map(|m| (m.code_matiere.as_str(), m.code_gestion.as_deref().unwrap()))
        .collect();
    for p in &mut expected.pupils {
        if p.siecle_id == Some(renamed) {
            p.last_name = "NOUVEAUNOM".into();
        }
        let repeats = p.siecle_id == Some(repeater);
        let this = p.schooling.clone().unwrap();
        let provenance = p.previous.take().unwrap().provenance;
        p.previous = Some(PreviousYear {
            school: PreviousSchool::Uai(school.uai.clone()),
            provenance,
            mef: Some(this.mef.clone()),
            mef_type: None,
            division: this.division.clone(),
            status: None,
            start: None,
            end: None,
            regime: None,
            options: this
                .options
                .iter()
                .map(|o| gestion[o.subject.as_str()].to_owned())
                .collect(),
        });
        assert!(!this.options.is_empty(), "SIECLE had options");
        p.repeating = repeats;
        let s = p.schooling.as_mut().unwrap();
        if !repeats {
            s.mef = next_of[&this.mef].clone();
            // This year's division is not one of next year's MEF.
            s.division = None;
        }
    }
    for p in &back.pupils {
        let this: String = sqlx::query_scalar(
            "SELECT siecle_mef_code FROM pupils WHERE siecle_eleve_id = $1 AND school_id = $2",
        )
        .bind(p.siecle_id.unwrap().to_string())
        .bind(school.id)
        .fetch_one(pool)
        .await
        .unwrap();
        let s = p.schooling.as_ref().unwrap();
        let prev = p.previous.as_ref().unwrap();
        assert_eq!(prev.mef.as_deref(), Some(this.as_str()));
        assert!(!prev.options.is_empty());
        if p.siecle_id == Some(repeater) {
            assert_eq!(s.mef, this, "the agent's decision wins");
            assert!(p.repeating);
        } else {
            assert_eq!(s.mef, next_of[&this], "the successor");
            assert_ne!(s.mef, this);
            assert!(!p.repeating);
        }
    }
    for p in &mut expected.persons {
        let id = p.siecle_id.map(|i| i.to_string());
        // g0's new mobile phone was rejected: SIECLE's stays.
        if id.as_deref() == Some(g1.3.as_str()) {
            p.address.as_mut().unwrap().lines = Address::split_lines(address_text).unwrap();
        }
    }
    let expected = as_written(expected);
    assert_eq!(back.pupils.len(), 2, "the validated dossiers with a change");
    let mut got_pupils = back.pupils.clone();
    got_pupils.sort_by_key(|p| p.private_id);
    for p in &mut got_pupils {
        p.previous.as_mut().unwrap().options.sort();
    }
    let mut want_pupils = expected.pupils.clone();
    want_pupils.sort_by_key(|p| p.private_id);
    assert_eq!(
        got_pupils, want_pupils,
        "every value SIECLE had, and the changes"
    );
    let mut got_persons = back.persons.clone();
    got_persons.sort_by_key(|p| p.private_id);
    let mut want_persons = expected.persons.clone();
    want_persons.sort_by_key(|p| p.private_id);
    assert_eq!(got_persons, want_persons);

    // The history: the dry run without a number, the file from the command
    // line with its two dossiers, marked as sent.
    let sends = rows::sends(pool, scope).await.unwrap();
    assert_eq!(sends.len(), 3);
    assert_eq!(sends[0].send_number, Some(1));
    assert!(sends[0].from_cli.0 && !sends[0].dry_run.0);
    assert_eq!(sends[0].dossier_count, 2);
    assert!(
        sends[1..]
            .iter()
            .all(|s| s.send_number.is_none() && s.dry_run.0)
    );
    let mut sent = vec![changed_name.0, changed_address.0];
    sent.sort();
    assert_eq!(rows::sent_dossiers(pool, scope).await.unwrap(), sent);

    // A second file: the next NUM_ENVOI, the same private ids.
    let again = out_dir.path().join("again.zip");
    export(app.db(), &school.uai, false, true, Some(again.clone()))
        .await
        .unwrap();
    let second = read_xml(&unzip(&again).1).unwrap();
    assert_eq!(second.send_number, 2);
    let ids = |f: &ReturnFile| {
        let mut v: Vec<(Option<u32>, u32)> = f
            .pupils
            .iter()
            .map(|p| (p.siecle_id, p.private_id))
            .chain(f.persons.iter().map(|p| (p.siecle_id, p.private_id)))
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids(&second), ids(&back), "private ids stable across files");

    // A MEF without a successor, for a pupil without a decision: blocking, in
    // French; the repeater's decision is enough.
    sqlx::query("UPDATE mefs SET next_mef_id = NULL WHERE school_id = $1")
        .bind(school.id)
        .execute(pool)
        .await
        .unwrap();
    let blocked = export(app.db(), &school.uai, true, false, None)
        .await
        .unwrap();
    assert!(
        blocked.text.contains(&format!(
            "Élève {} NOUVEAUNOM\n  - bloquant — la formation de l'an prochain : la formation qui suit la formation « ",
            changed_name.3
        )) && blocked.text.contains("n'est pas réglée dans la campagne"),
        "{}",
        blocked.text
    );
    assert!(
        blocked.text.contains("1 problème(s) bloquant(s)"),
        "{}",
        blocked.text
    );
    app.finish().await;
}

on_both_databases!(the_return_file_holds_exactly_the_changes_of_validated_dossiers);

async fn private_ids_are_given_above_siecles_and_never_reused(app: TestApp) {
    let school = crate::builders::SchoolBuilder::new("0750680G")
        .build(&app)
        .await;
    let pool = app.db().pool();
    let scope = SchoolScope::of_command_line(school.id);
    let mut pupils = Vec::new();
    for name in ["ALPHA", "BRAVO", "CHARLIE", "DELTA"] {
        pupils.push(school.pupil(name, "Léa").build(&app).await.pupil_id);
    }
    // SIECLE exported ID_PRV_ELE 41 for the first one.
    sqlx::query("UPDATE pupils SET siecle_private_id = '41' WHERE id = $1")
        .bind(pupils[0])
        .execute(pool)
        .await
        .unwrap();
    let given = rows::allocate_ids(pool, scope, rows::IdKind::Pupil, &pupils[1..3])
        .await
        .unwrap();
    assert_eq!(given, vec![(pupils[1], 42), (pupils[2], 43)]);
    // Stable: asked again, in another order, the same numbers.
    let again = rows::allocate_ids(pool, scope, rows::IdKind::Pupil, &[pupils[2], pupils[1]])
        .await
        .unwrap();
    assert_eq!(again, vec![(pupils[2], 43), (pupils[1], 42)]);
    // A deleted pupil's number is never given to another.
    sqlx::query("DELETE FROM pupils WHERE id = $1")
        .bind(pupils[2])
        .execute(pool)
        .await
        .unwrap();
    let next = rows::allocate_ids(pool, scope, rows::IdKind::Pupil, &pupils[3..])
        .await
        .unwrap();
    assert_eq!(next, vec![(pupils[3], 44)]);
    // Persons are numbered apart.
    let persons = rows::allocate_ids(pool, scope, rows::IdKind::Person, &[pupils[3]])
        .await
        .unwrap();
    assert_eq!(persons, vec![(pupils[3], 1)]);
    app.finish().await;
}

on_both_databases!(private_ids_are_given_above_siecles_and_never_reused);
