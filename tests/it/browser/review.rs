//! An agent reviews a campaign in a real browser (issue 13): filters the
//! list, validates the dossiers without a change in one action, accepts one
//! change and rejects another with a reason, reads them in the dossier's
//! timeline; every page accessible.

use dossiersco::db::Backend;
use fantoccini::Locator;

use super::{Browser, agent_sign_in_with, click_and_wait};
use crate::builders::AGENT_PASSWORD;
use crate::harness::TestApp;
use crate::review::{AGENT, UAI, change_email, review_school};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_filters_validates_the_unchanged_in_one_action_and_decides_each_change() {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let school = review_school(&app, 3).await;
    change_email(&app, &school.changed).await;
    agent_sign_in_with(&browser, &app, AGENT, AGENT_PASSWORD).await;

    browser
        .goto(&app.url(&format!("/etablissements/{UAI}/dossiers")))
        .await;
    browser.assert_accessible("the dossier list").await;
    for (id, value) in [("etat", "submitted"), ("modifie", "non")] {
        browser
            .client
            .find(Locator::Id(id))
            .await
            .unwrap()
            .select_by_value(value)
            .await
            .unwrap();
    }
    click_and_wait(&browser, Locator::Css("#filtres button[type=submit]")).await;
    let text = browser.text().await;
    assert!(text.contains("3 dossiers sur 9"), "{text}");
    assert!(!text.contains("DURAND Inès"), "{text}");
    browser.assert_accessible("the filtered list").await;

    click_and_wait(
        &browser,
        Locator::Css("button[formaction$='/dossiers/validation']"),
    )
    .await;
    assert!(
        browser
            .text()
            .await
            .contains("Valider 3 dossiers sans modification ?")
    );
    browser
        .assert_accessible("the bulk validation's confirmation")
        .await;
    click_and_wait(&browser, Locator::Css("main form button[type=submit]")).await;
    assert!(browser.text().await.contains("3 dossiers validés."));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers WHERE state = 'validated'")
            .await,
        4,
        "the 3 unchanged and the one validated before"
    );

    let page = format!(
        "/etablissements/{UAI}/dossiers/{}",
        school.changed.dossier_id
    );
    browser.goto(&app.url(&page)).await;
    browser
        .assert_accessible("a dossier with two changes")
        .await;
    click_and_wait(
        &browser,
        Locator::XPath(
            "//form[input[@name='change' and @value='pupil:first_name']]//button[@value='accepter']",
        ),
    )
    .await;
    let email_form = format!(
        "//form[input[@name='change' and @value='guardian:{}:email']]",
        school.changed.guardian_id
    );
    browser
        .client
        .find(Locator::XPath(&format!(
            "{email_form}//input[@name='reason']"
        )))
        .await
        .unwrap()
        .send_keys("Adresse inconnue")
        .await
        .unwrap();
    click_and_wait(
        &browser,
        Locator::XPath(&format!("{email_form}//button[@value='refuser']")),
    )
    .await;
    let text = browser.text().await;
    assert!(
        text.contains("Toutes les modifications sont décidées.")
            && text.contains("Motif : Adresse inconnue"),
        "{text}"
    );
    // The decisions are the newest events of the dossier's timeline.
    assert!(
        text.contains("Historique du dossier")
            && text.contains("Modification refusée, par")
            && text.contains("motif : Adresse inconnue"),
        "{text}"
    );
    browser
        .assert_accessible("a dossier whose changes are decided, with its timeline")
        .await;
    browser.close().await;
    app.finish().await;
}
