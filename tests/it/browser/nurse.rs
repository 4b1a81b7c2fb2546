//! The nurse in a real browser, on the demo: from her dashboard she prepares
//! the medical forms and downloads them; the pages of the other roles (the
//! pieces queue, the return file, the exports, the team) are neither offered
//! nor open to her. Every page passes axe-core and html-validate; taps
//! counted.

use dossiersco::db::Backend;
use fantoccini::Locator;

use super::{Browser, Counted, agent_sign_in};
use crate::harness::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nurse_prepares_the_medical_forms_and_sees_no_other_role_s_page() {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let demo = dossiersco::demo::seed_in_every_state(&app.state)
        .await
        .unwrap();
    let uai = demo.uai.clone();
    agent_sign_in(&browser, &app, "infirmerie@demo.dossiersco.fr").await;
    let dashboard = format!("/etablissements/{uai}");
    browser.goto(&app.url(&dashboard)).await;
    let mut nurse = Counted::new(&browser);
    nurse.check_page().await;
    let text = browser.text().await;
    for other in [
        "Pièces à vérifier",
        "Retour vers SIECLE",
        "Exports",
        "Gérer l'équipe",
        "Codes personnels et courriers",
    ] {
        assert!(
            browser.client.find(Locator::LinkText(other)).await.is_err(),
            "« {other} » is offered to the nurse: {text}"
        );
    }

    nurse.tap(Locator::LinkText("Fiches santé")).await;
    nurse
        .tap(Locator::XPath(
            "//button[normalize-space()='Préparer les fiches santé (PDF)']",
        ))
        .await;
    assert_eq!(app.run_jobs().await, 1, "the forms are prepared");
    browser.refresh().await;
    let text = browser.text().await;
    assert!(text.contains("Télécharger le fichier"), "{text}");
    browser.assert_accessible("the medical forms, ready").await;
    let href = browser
        .client
        .find(Locator::Css("a[href$='/fichier']"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(
        href.starts_with(&format!("{dashboard}/fiches-sante/")),
        "{href}"
    );
    assert_eq!((nurse.clicks, nurse.typed), (2, 0), "taps, keystrokes");

    // Asked by hand, the other roles' pages are refused.
    for page in ["pieces/a-verifier", "retour-siecle", "exports", "agents"] {
        browser.goto(&app.url(&format!("{dashboard}/{page}"))).await;
        let text = browser.text().await;
        assert!(
            text.contains("Vous n'avez pas accès à cette page."),
            "{page}: {text}"
        );
        browser.assert_accessible(page).await;
    }
    browser.close().await;
    app.finish().await;
}
