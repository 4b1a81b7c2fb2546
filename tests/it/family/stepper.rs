//! The DSFR stepper on each step: within the component's limits (it draws
//! its bar for 2 to 8 steps), at the right step.

use crate::harness::TestApp;
use crate::on_both_databases;

use super::{mother_dossier, walk_without_change};

/// The value of the first `name="…"` attribute in `html`.
fn attribute(html: &str, name: &str) -> Option<String> {
    let marker = format!("{name}=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

async fn the_stepper_draws_its_bar_at_the_right_step_on_every_step(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    let css = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/static/dsfr/dist/dsfr.min.css"
    ))
    .unwrap();

    let (_, welcome) = app.get_html(&format!("{base}/accueil")).await;
    assert_eq!(
        attribute(&welcome, "data-fr-steps"),
        None,
        "the welcome page introduces the steps and is not one of them"
    );
    assert!(welcome.contains("Le dossier compte 8 étapes"), "{welcome}");

    walk_without_change(&app, &base).await;
    let steps = [
        "eleve",
        "responsables",
        "contacts-urgence",
        "scolarite",
        "vie-scolaire",
        "sante",
        "pieces",
        "validation",
    ];
    for (i, step) in steps.iter().enumerate() {
        let (status, html) = app.get_html(&format!("{base}/{step}")).await;
        assert_eq!(status, 200, "{step}");
        let total = attribute(&html, "data-fr-steps").unwrap();
        let current = attribute(&html, "data-fr-current-step").unwrap();
        assert!(
            css.contains(&format!("[data-fr-steps=\"{total}\"]")),
            "{step}: the DSFR stepper draws no bar for {total} steps"
        );
        assert!(
            css.contains(&format!("[data-fr-current-step=\"{current}\"]")),
            "{step}: the DSFR stepper draws no bar at step {current}"
        );
        assert_eq!(total, steps.len().to_string(), "{step}");
        assert_eq!(current, (i + 1).to_string(), "{step}");
        assert!(
            html.contains(&format!("Étape {} sur {}", i + 1, steps.len())),
            "{step}"
        );
    }
    app.finish().await;
}

on_both_databases!(the_stepper_draws_its_bar_at_the_right_step_on_every_step);
