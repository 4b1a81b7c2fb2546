//! The shared SIECLE samples.

use std::io::Write;
use std::path::{Path, PathBuf};

use dossiersco::import::InputFile;

use super::{add_school, assert_refused, guardians, links, pupils, run_import};
use crate::harness::TestApp;
use crate::on_both_databases;

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

on_both_databases!(the_shared_samples_import_or_are_refused_clearly,);
