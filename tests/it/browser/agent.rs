//! An agent in a real browser.

use dossiersco::db::Backend;
use dossiersco::demo::DEMO_PASSWORD;
use fantoccini::Locator;
use serde_json::Value;

use super::{Browser, click_and_wait};
use crate::harness::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_signs_in_in_a_real_browser_and_every_page_is_accessible() {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let demo = app.seed_demo().await;

    browser.goto(&app.url("/")).await;
    assert_eq!(
        browser.client.title().await.unwrap(),
        "Accueil — DossierSCO"
    );
    let font: Value = browser
        .client
        .execute("return getComputedStyle(document.body).fontFamily", vec![])
        .await
        .unwrap();
    assert!(
        font.as_str().unwrap_or_default().contains("Marianne"),
        "the DSFR stylesheet is applied: {font}"
    );
    browser.assert_accessible("/").await;

    click_and_wait(
        &browser,
        Locator::LinkText("Je travaille dans un établissement"),
    )
    .await;
    assert!(
        browser
            .client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/agent/connexion")
    );
    browser.assert_accessible("/agent/connexion").await;

    // A wrong password first: the page says so and stays accessible.
    browser
        .client
        .find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys("cpe@demo.dossiersco.fr")
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("mauvais")
        .await
        .unwrap();
    click_and_wait(&browser, Locator::Css("form button[type=submit]")).await;
    assert!(
        browser
            .text()
            .await
            .contains("Adresse électronique ou mot de passe incorrect.")
    );
    browser.assert_accessible("/agent/connexion (error)").await;

    browser
        .client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(DEMO_PASSWORD)
        .await
        .unwrap();
    click_and_wait(&browser, Locator::Css("form button[type=submit]")).await;
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(url.path(), format!("/etablissements/{}", demo.uai));
    let text = browser.text().await;
    assert!(
        text.contains("Collège Lucie Aubrac") && text.contains("Vie scolaire (CPE)"),
        "{text}"
    );
    browser.assert_accessible("the school dashboard").await;

    browser.goto(&app.url("/nulle-part")).await;
    assert!(browser.text().await.contains("Page non trouvée"));
    browser.assert_accessible("the 404 page").await;

    click_and_wait(&browser, Locator::Css("header form button[type=submit]")).await;
    assert!(browser.text().await.contains("Vous êtes déconnecté·e."));
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    browser.close().await;
    app.finish().await;
}

/// The secretariat's decisions in a real browser: the dossier page, the
/// confirmation of a leaving pupil, a new code shown once; all accessible.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secretariat_confirms_a_leaving_pupil_and_hands_out_a_new_code_on_accessible_pages() {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let demo = app.seed_demo().await;
    super::agent_sign_in(&browser, &app, "secretariat@demo.dossiersco.fr").await;
    let dossier_id: i64 = sqlx::query_scalar("SELECT MIN(id) FROM dossiers")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let page = format!("/etablissements/{}/dossiers/{dossier_id}", demo.uai);
    browser.client.goto(&app.url(&page)).await.unwrap();
    let text = browser.text().await;
    assert!(
        text.contains("Décision de l'établissement") && !text.contains("Valider le dossier"),
        "{text}"
    );
    browser.assert_accessible("a dossier not started").await;

    click_and_wait(&browser, Locator::LinkText("Marquer comme sortant…")).await;
    assert!(browser.text().await.contains("comme sortant ?"));
    browser
        .assert_accessible("the confirmation of a leaving pupil")
        .await;
    click_and_wait(&browser, Locator::LinkText("Annuler")).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers WHERE state = 'leaving'")
            .await,
        0
    );

    click_and_wait(
        &browser,
        Locator::XPath("(//button[starts-with(normalize-space(), 'Donner un nouveau code')])[1]"),
    )
    .await;
    let text = browser.text().await;
    assert!(
        text.contains("Code personnel :") && text.contains("Imprimer"),
        "{text}"
    );
    browser.assert_accessible("a new code, shown once").await;
    browser.client.refresh().await.unwrap();
    let text = browser.text().await;
    assert!(
        text.contains("Ce code n'est plus affiché") && !text.contains("Code personnel :"),
        "{text}"
    );
    browser.assert_accessible("a new code, already shown").await;
    browser.close().await;
    app.finish().await;
}
