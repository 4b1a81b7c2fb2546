//! On a phone-size screen: pages that fit, a family's journey counted in clicks.

use std::time::Duration;

use dossiersco::db::Backend;
use fantoccini::Locator;
use serde_json::Value;

use super::{
    Browser, Counted, choose_file, click_and_wait, demo_family, family_sign_in,
    phone_with_mother_signed_in,
};
use crate::harness::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_the_pages_fit_the_screen_and_stay_accessible() {
    let Some(browser) = Browser::start(360, 740).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    for path in ["/", "/agent/connexion", "/accessibilite", "/outbox"] {
        browser.goto(&app.url(path)).await;
        let overflow: Value = browser
            .client
            .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth", vec![])
            .await
            .unwrap();
        assert!(
            overflow.as_i64().unwrap_or(1) <= 0,
            "{path} scrolls sideways on a phone ({overflow}px)"
        );
        browser.assert_accessible(path).await;
    }
    browser.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_a_family_with_no_change_re_enrols_in_at_most_12_clicks_without_typing() {
    let Some((browser, app)) = phone_with_mother_signed_in().await else {
        return;
    };
    let mut user = Counted::new(&browser);
    assert!(user.path().await.ends_with("/accueil"));
    user.check_page().await;
    user.button("Commencer").await;
    for _ in ["eleve", "responsables"] {
        user.button("Valider et continuer").await;
    }
    user.button("Continuer").await; // contacts d'urgence
    user.button("Valider et continuer").await; // scolarité
    assert!(user.path().await.ends_with("/vie-scolaire"));
    user.label("photo-oui").await;
    user.label("sorties-oui").await;
    user.button("Valider et continuer").await;
    user.button("Valider et continuer").await; // santé
    user.button("Continuer").await; // pièces
    assert!(
        user.path().await.ends_with("/validation"),
        "{}",
        user.path().await
    );
    user.label("attestation").await;
    user.button("Envoyer le dossier à l'établissement").await;
    assert!(user.path().await.ends_with("/confirmation"));
    assert!(
        browser
            .text()
            .await
            .contains("Réinscription d'Inès DUBOIS envoyée")
    );
    assert!(user.clicks <= 12, "{} clicks", user.clicks);
    assert_eq!(user.typed, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers WHERE state = 'submitted'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM pupil_changes").await
            + app.count("SELECT COUNT(*) FROM guardian_changes").await,
        0
    );
    assert_eq!(app.run_jobs().await, 1);
    browser.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_a_family_changes_its_address_and_uploads_two_documents() {
    let Some((browser, app)) = phone_with_mother_signed_in().await else {
        return;
    };
    let mut user = Counted::new(&browser);
    user.button("Commencer").await;
    user.button("Valider et continuer").await;
    user.replace_text("address_lines", "8 avenue des Peupliers")
        .await;
    user.replace_text("postcode", "75012").await;
    user.button("Valider et continuer").await;
    user.button("Continuer").await;
    user.button("Valider et continuer").await;
    user.label("photo-non").await;
    user.label("sorties-oui").await;
    user.button("Valider et continuer").await;
    user.button("Valider et continuer").await;
    assert!(user.path().await.ends_with("/pieces"));

    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("attestation.pdf");
    // Uploaded PDFs are parsed: these load (a catalog and a trailer).
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    std::fs::write(&first, pdf).unwrap();
    let second = dir.path().join("quotient.pdf");
    std::fs::write(&second, pdf).unwrap();
    let before = browser.client.current_url().await.unwrap();
    let outcome = choose_file(&browser, 0, &first).await;
    assert_eq!(outcome, "« attestation.pdf » : envoyé.");
    assert_eq!(
        choose_file(&browser, 2, &second).await,
        "« quotient.pdf » : envoyé."
    );
    assert_eq!(
        browser.client.current_url().await.unwrap(),
        before,
        "sent in the background, the page stays"
    );
    let text = browser.text().await;
    assert!(
        text.contains("attestation.pdf") && text.contains("quotient.pdf"),
        "{text}"
    );
    user.check_page().await;
    user.button("Continuer").await;
    let summary = browser.text().await;
    assert!(summary.contains("8 avenue des Peupliers") && summary.contains("modifié"));
    user.label("attestation").await;
    user.button("Envoyer le dossier à l'établissement").await;
    assert!(user.path().await.ends_with("/confirmation"));
    assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM guardian_changes").await,
        2,
        "address and postcode"
    );
    app.run_jobs().await;
    browser.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_a_signed_in_family_signs_out_from_the_header_menu() {
    let Some((browser, app)) = phone_with_mother_signed_in().await else {
        return;
    };
    browser
        .client
        .find(Locator::Id("button-menu"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    browser.assert_accessible("the open menu").await;
    click_and_wait(&browser, Locator::Css("#modal-menu button[type=submit]")).await;
    assert!(browser.text().await.contains("Vous êtes déconnecté·e."));
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    browser.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_without_javascript_a_signed_in_family_signs_out_from_the_header() {
    let Some(browser) = Browser::start_without_javascript(360, 740).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (code, birth) = demo_family(&app, "la mère").await;
    family_sign_in(&browser, &app, &code, &birth).await;
    assert!(
        browser
            .client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/accueil")
    );
    let scripts_ran: Value = browser
        .client
        .execute(
            "return document.documentElement.hasAttribute('data-fr-js');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        scripts_ran,
        Value::Bool(false),
        "the DSFR's script did not run"
    );
    let shown = |selector: &'static str| {
        let browser = &browser;
        async move {
            browser
                .client
                .find(Locator::Css(selector))
                .await
                .unwrap()
                .is_displayed()
                .await
                .unwrap()
        }
    };
    assert!(
        !shown("#button-menu").await,
        "no menu button that does nothing"
    );
    assert!(
        shown("header .fr-header__tools button[type=submit]").await,
        "« Se déconnecter » is in sight"
    );
    browser.assert_accessible("a step without JavaScript").await;
    click_and_wait(
        &browser,
        Locator::Css("header .fr-header__tools button[type=submit]"),
    )
    .await;
    assert!(browser.text().await.contains("Vous êtes déconnecté·e."));
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    browser.close().await;
    app.finish().await;
}
