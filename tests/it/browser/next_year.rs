//! Next year's track and the grants' parts in a real browser, on the demo,
//! as the secretariat: the dossier's « Formation l'an prochain » changed, the
//! « redoublants » screen that then says the choice in words (saved without
//! erasing it), and the return file's « Parts de bourse » screen (a figure
//! entered and saved). Every page passes axe-core and html-validate; taps and
//! keystrokes counted.

use dossiersco::db::Backend;

use super::{Browser, Counted, agent_sign_in};
use crate::harness::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secretariat_changes_a_track_sees_it_among_the_repeaters_and_enters_grant_parts() {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let demo = dossiersco::demo::seed_in_every_state(&app.state)
        .await
        .unwrap();
    let uai = demo.uai.clone();
    let pool = app.db().pool();
    // A pupil in 5e of this year's campaign, who will repeat it, and a
    // grant (the demo's exports have none) to give its parts.
    let (dossier_id, pupil_id, mef): (i64, i64, String) = sqlx::query_as(
        "SELECT d.id, p.id, m.code FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
         JOIN pupils p ON p.id = d.pupil_id JOIN mefs m ON m.id = p.mef_id
         WHERE m.label = '5EME' AND d.state <> 'leaving'
           AND c.school_year = (SELECT MAX(school_year) FROM campaigns WHERE school_id = c.school_id)
         ORDER BY d.id LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO pupil_grants (pupil_id, code) VALUES ($1, 'N')")
        .bind(pupil_id)
        .execute(pool)
        .await
        .unwrap();
    agent_sign_in(&browser, &app, "secretariat@demo.dossiersco.fr").await;
    let mut user = Counted::new(&browser);

    // The dossier: next year, the same 5e (a repeat chosen by the school).
    browser
        .goto(&app.url(&format!(
            "/etablissements/{uai}/dossiers/{dossier_id}#formation"
        )))
        .await;
    user.check_page().await;
    assert!(browser.text().await.contains("Formation l'an prochain"));
    user.choose("next-mef", &mef).await;
    user.button("Enregistrer la formation de l'an prochain")
        .await;
    let text = browser.text().await;
    assert!(text.contains("Formation de l'an prochain : 5e."), "{text}");
    assert!(
        text.contains("choisie par l'établissement : redoublement"),
        "{text}"
    );

    // The « redoublants » screen says so, and its save keeps the choice.
    browser
        .goto(&app.url(&format!("/etablissements/{uai}/campagne/redoublants")))
        .await;
    user.check_page().await;
    let text = browser.text().await;
    assert!(
        text.contains("Formation choisie dans le dossier : 5e (redoublement)"),
        "{text}"
    );
    user.button("Enregistrer").await;
    assert!(browser.text().await.contains("Aucun élève ne redouble."));
    let chosen: Option<i64> = sqlx::query_scalar("SELECT next_mef_id FROM dossiers WHERE id = $1")
        .bind(dossier_id)
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(chosen.is_some(), "the choice made in the dossier stays");

    // The grants' parts: one figure typed, saved.
    browser
        .goto(&app.url(&format!("/etablissements/{uai}/retour-siecle/bourses")))
        .await;
    user.check_page().await;
    user.replace_text("parts-0", "2").await;
    user.button("Enregistrer les parts de bourse").await;
    assert!(
        browser
            .text()
            .await
            .contains("Parts de bourse enregistrées.")
    );
    let parts: i64 =
        sqlx::query_scalar("SELECT parts FROM grant_parts WHERE pupil_id = $1 AND code = 'N'")
            .bind(pupil_id)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(parts, 2);

    assert_eq!((user.clicks, user.typed), (5, 1), "taps, keystrokes");
    browser.close().await;
    app.finish().await;
}
