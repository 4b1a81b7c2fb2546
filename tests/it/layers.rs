//! The layers of `src/`, guarded cheaply: which top-level module may name
//! which. (A full cycle check: `cargo install cargo-modules`, then
//! `cargo modules dependencies --lib --acyclic`; it builds for minutes, so it
//! stays out of CI, and this test guards the rules that matter.)

use std::path::Path;

use crate::harness::rust_sources as sources;

/// (module, the modules that may name it): anything else naming it breaks
/// the layering.
const RULES: &[(&str, &[&str])] = &[
    // The web layer sits on top: only the process and the CLI start it.
    ("web", &["web", "process.rs", "cli.rs"]),
    // The application state: the web layer, the process, the CLI and the demo.
    ("app", &["web", "process.rs", "cli.rs", "demo", "app.rs"]),
    // The demo is a command, never a dependency of production code.
    ("demo", &["cli.rs", "demo"]),
    ("process", &["cli.rs", "process.rs"]),
    ("cli", &["main.rs", "cli.rs"]),
];

#[test]
fn modules_name_only_the_layers_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut broken = Vec::new();
    for file in sources(&src) {
        let relative = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let top = relative.split('/').next().unwrap().to_owned();
        let text = std::fs::read_to_string(&file).unwrap();
        for (module, allowed) in RULES {
            if allowed.contains(&top.as_str()) {
                continue;
            }
            for needle in [
                format!("crate::{module}::"),
                format!("crate::{module};"),
                format!("crate::{module}}}"),
            ] {
                if text.contains(&needle) {
                    broken.push(format!("{relative} names crate::{module}"));
                }
            }
        }
    }
    broken.dedup();
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

#[test]
fn the_job_queue_knows_no_job_kind_and_no_application() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/jobs");
    for file in sources(&src) {
        let text = std::fs::read_to_string(&file).unwrap();
        for forbidden in [
            "crate::app",
            "crate::mail",
            "crate::import",
            "crate::web",
            "AppState",
        ] {
            assert!(
                !text.contains(forbidden),
                "{} names {forbidden}: job kinds are registered in app::job_registry",
                file.display()
            );
        }
    }
}

#[test]
fn only_the_signed_in_agent_makes_a_school_scope() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let makers: Vec<String> = sources(&src)
        .into_iter()
        .filter(|file| {
            std::fs::read_to_string(file)
                .unwrap()
                .contains("SchoolScope::of_signed_in_agent(")
        })
        .map(|file| {
            file.strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        makers,
        ["web/auth.rs"],
        "a school scope comes from CurrentAgent only"
    );
}
