//! An agent produces the return file to SIECLE in a real browser (issue 13):
//! from the dashboard, gives the school year's dates the page asks for, reads
//! the dry run, ticks each warning, downloads the file and finds it in the
//! history; every page passes axe-core and html-validate. Taps and keystrokes
//! are counted.

use std::time::Duration;

use dossiersco::db::Backend;
use fantoccini::Locator;
use serde_json::{Value, json};

use super::{Browser, Counted, agent_sign_in_with};
use crate::builders::AGENT_PASSWORD;
use crate::harness::TestApp;
use crate::siecle_return_screen::{SECRETARIAT, returning_school};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_gives_the_year_s_dates_ticks_each_warning_and_downloads_the_return_file() {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let r = returning_school(&app).await;
    let uai = r.school.uai.clone();
    agent_sign_in_with(&browser, &app, SECRETARIAT, AGENT_PASSWORD).await;
    browser
        .goto(&app.url(&format!("/etablissements/{uai}")))
        .await;

    let mut user = Counted::new(&browser);
    user.tap(Locator::LinkText("Retour vers SIECLE")).await;
    let text = browser.text().await;
    assert!(
        text.contains("Les dates de l'année scolaire ne sont pas saisies")
            && !text.contains("Télécharger le fichier pour SIECLE"),
        "{text}"
    );
    user.tap(Locator::LinkText("Saisir les dates de l'année scolaire"))
        .await;
    // Two dates as the date picker gives them: 8 digits each (JJMMAAAA).
    for (id, date) in [
        ("classes_start_on", format!("{}-09-01", r.year)),
        ("classes_end_on", format!("{}-07-04", r.year + 1)),
    ] {
        browser
            .client
            .execute(
                "document.getElementById(arguments[0]).value = arguments[1];",
                vec![json!(id), json!(date)],
            )
            .await
            .unwrap();
        user.typed += 8;
    }
    user.button("Enregistrer les dates").await;
    let text = browser.text().await;
    assert!(
        text.contains("Dates de l'année scolaire enregistrées.")
            && text.contains("Ce que le fichier contiendra")
            && text.contains("2 élève(s)"),
        "{text}"
    );
    browser
        .assert_accessible("the dry run with its warnings")
        .await;

    let ids: Value = browser
        .client
        .execute(
            "return Array.from(document.querySelectorAll('input[name=avertissement]')).map(e => e.id);",
            vec![],
        )
        .await
        .unwrap();
    let ids: Vec<String> = serde_json::from_value(ids).unwrap();
    assert!(ids.len() >= 2, "{ids:?}");
    for id in &ids {
        user.label(id).await;
    }
    user.click(Locator::XPath(
        "//button[normalize-space()='Télécharger le fichier pour SIECLE']",
    ))
    .await;
    // The answer is the zip: the browser stays on the page.
    let mut produced = 0;
    for _ in 0..100 {
        produced = app
            .count("SELECT COUNT(*) FROM siecle_sends WHERE send_number = 1 AND document_key IS NOT NULL")
            .await;
        if produced == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(produced, 1, "the file is produced and kept");

    user.tap(Locator::LinkText("Tableau de bord")).await;
    user.tap(Locator::LinkText("Retour vers SIECLE")).await;
    let text = browser.text().await;
    assert!(
        text.contains("Fichiers déjà produits")
            && text.contains("Agent Secrétariat")
            && text.contains("2 dossier(s)")
            && text.contains("Télécharger de nouveau"),
        "{text}"
    );
    browser.assert_accessible("the history").await;
    // The dashboard's link, the dates' link and button, one tap per warning,
    // the download, and back to the page through the dashboard.
    assert_eq!(user.clicks, 3 + ids.len() + 1 + 2, "taps");
    assert_eq!(user.typed, 16, "two dates");
    browser.close().await;
    app.finish().await;
}
