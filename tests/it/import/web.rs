//! The web flow, from upload to the job page, over HTTP and in a real browser.

use std::path::{Path, PathBuf};

use dossiersco_siecle::synth::{self, FICHIER_ELEVES};

use super::{exports_for, location, upload, write_exports};
use crate::harness::TestApp;
use crate::on_both_databases;

async fn an_agent_uploads_previews_confirms_and_follows_the_import(app: TestApp) {
    let demo = app.seed_demo().await;
    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let (status, dashboard) = app.get_html(&format!("/etablissements/{}", demo.uai)).await;
    assert_eq!(status, 200);
    assert!(dashboard.contains(&format!("/etablissements/{}/imports", demo.uai)));
    let (status, page) = app
        .get_html(&format!("/etablissements/{}/imports", demo.uai))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("enctype=\"multipart/form-data\"") && page.contains("Aucun import"));

    let files = exports_for(&demo.uai, 50);
    let response = upload(&app, &demo.uai, &files).await;
    assert_eq!(response.status().as_u16(), 303);
    let import_page = location(&response);
    assert!(import_page.starts_with(&format!("/etablissements/{}/imports/", demo.uai)));
    let (_, html) = app.get_html(&import_page).await;
    assert!(html.contains("Analyse en cours"), "{html}");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM pupils WHERE siecle_eleve_id IS NOT NULL AND siecle_hash <> ''"
        )
        .await,
        0
    );

    assert_eq!(app.run_jobs().await, 1);
    let (_, html) = app.get_html(&import_page).await;
    assert!(
        html.contains("Ce que l&#39;import va faire") || html.contains("Ce que l'import va faire"),
        "{html}"
    );
    assert!(html.contains("Confirmer l"), "{html}");
    assert!(html.contains(">50<"), "50 new pupils shown: {html}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM pupils WHERE siecle_hash <> ''")
            .await,
        0,
        "the preview wrote nothing"
    );

    // These files hold none of the demo's pupils: a loud warning, with the
    // numbers, that must be acknowledged before confirming.
    assert!(
        html.contains("ne ressemblent pas à ceux de votre établissement"),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            "{0} des {0} élèves connus de l&#39;établissement (100 %)",
            demo.pupils
        )) && html.contains("50 des 50 élèves des fichiers (100 %)"),
        "{html}"
    );
    let unacknowledged = app
        .post_form(&import_page, &format!("{import_page}/confirmation"), &[])
        .await;
    assert_eq!(unacknowledged.status().as_u16(), 422);
    assert!(
        unacknowledged
            .text()
            .await
            .unwrap()
            .contains("Cochez cette case")
    );
    assert_eq!(app.run_jobs().await, 0, "nothing queued");
    let response = app
        .post_form(
            &import_page,
            &format!("{import_page}/confirmation"),
            &[("avertissement", "lu")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let job_page = location(&response);
    assert!(job_page.contains("/taches/"), "{job_page}");
    let (_, html) = app.get_html(&job_page).await;
    assert!(
        html.contains("import SIECLE") && html.contains("<progress"),
        "{html}"
    );
    assert_eq!(app.run_jobs().await, 1);
    let (_, html) = app.get_html(&job_page).await;
    assert!(
        html.contains("Terminée") && html.contains("100 %"),
        "{html}"
    );
    assert!(
        html.contains(&import_page),
        "the job page links back to the import"
    );

    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM pupils WHERE siecle_hash <> '' AND missing_from_siecle = FALSE"
        )
        .await,
        50
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM pupils WHERE missing_from_siecle = TRUE")
            .await,
        demo.pupils,
        "the demo's own pupils are not in the export: flagged, kept"
    );
    let (_, html) = app.get_html(&import_page).await;
    assert!(
        html.contains("Importé") && html.contains("Ce qui a été importé"),
        "{html}"
    );
    // Confirming twice does nothing more.
    let again = app
        .post_form(
            &import_page,
            &format!("{import_page}/confirmation"),
            &[("avertissement", "lu")],
        )
        .await;
    assert_eq!(again.status().as_u16(), 303);
    assert_eq!(app.run_jobs().await, 0);
    let (_, list) = app
        .get_html(&format!("/etablissements/{}/imports", demo.uai))
        .await;
    assert!(
        list.contains("Importé") && list.contains("Karim Belkacem"),
        "{list}"
    );
    app.finish().await;
}

async fn a_refused_import_shows_its_problems_and_cannot_be_confirmed(app: TestApp) {
    let demo = app.seed_demo().await;
    app.sign_in_agent(
        "direction@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    // An export of another school (its own UAJ kept).
    let generated = synth::generate_school(3, 10, 1);
    let exports = write_exports(&generated);
    let bytes = std::fs::read(exports.dir.path().join(FICHIER_ELEVES)).unwrap();
    let response = upload(&app, &demo.uai, &[("ElevesAvecAdresses.xml", bytes)]).await;
    let import_page = location(&response);
    app.run_jobs().await;
    let (_, html) = app.get_html(&import_page).await;
    assert!(
        html.contains("Import refusé") && html.contains("Bloquant"),
        "{html}"
    );
    assert!(html.contains(generated.uai.as_str()), "{html}");
    assert!(
        !html.contains("Confirmer l"),
        "no confirmation for a refused import"
    );
    let response = app
        .post_form(&import_page, &format!("{import_page}/confirmation"), &[])
        .await;
    assert_eq!(location(&response), import_page);
    assert_eq!(app.run_jobs().await, 0);
    // Other roles cannot import.
    app.client
        .post(app.url("/agent/deconnexion"))
        .form(&[("csrf_token", app.csrf_token("/").await.as_str())])
        .send()
        .await
        .unwrap();
    app.sign_in_agent("cpe@demo.dossiersco.fr", dossiersco::demo::DEMO_PASSWORD)
        .await;
    let (status, _) = app
        .get_html(&format!("/etablissements/{}/imports", demo.uai))
        .await;
    assert_eq!(status, 403);
    app.finish().await;
}

async fn a_too_large_upload_gets_413_and_nothing_is_stored(app: TestApp) {
    let demo = app.seed_demo().await;
    app.sign_in_agent(
        "direction@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let limit = app.state.settings.upload_max_bytes as usize;
    let files = exports_for(&demo.uai, 10);
    let mut big = files[0].1.clone();
    big.resize(limit + 10, b' ');
    let response = upload(
        &app,
        &demo.uai,
        &[
            (files[2].0, files[2].1.clone()),
            ("ElevesAvecAdresses.xml", big),
        ],
    )
    .await;
    assert_eq!(response.status().as_u16(), 413);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Envoi trop volumineux")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM imports").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM jobs").await, 0);
    let stored = walk(&app.state.settings.documents_dir());
    assert!(stored.is_empty(), "nothing stored: {stored:?}");
    app.finish().await;
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// The import pages in a real browser, without JavaScript help: upload through
/// the file input, preview, confirm, job page; axe-core finds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_import_pages_work_in_a_real_browser_and_are_accessible() {
    use fantoccini::Locator;

    let Some(browser) = crate::browser::Browser::start(1280, 900).await else {
        return;
    };
    let app = TestApp::spawn(dossiersco::db::Backend::Sqlite)
        .await
        .unwrap();
    let demo = app.seed_demo().await;
    let files_dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, bytes) in exports_for(&demo.uai, 30) {
        let path = files_dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        paths.push(path.display().to_string());
    }

    crate::browser::agent_sign_in(&browser, &app, "secretariat@demo.dossiersco.fr").await;
    wait_for_text(&browser, "Importer des fichiers SIECLE").await;
    browser
        .client
        .find(Locator::LinkText("Importer des fichiers SIECLE"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&browser, "Historique des imports").await;
    browser.assert_accessible("the imports page").await;
    browser
        .client
        .find(Locator::Id("fichiers"))
        .await
        .unwrap()
        .send_keys(&paths.join("\n"))
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&browser, "Analyse en cours").await;
    browser.assert_accessible("the import being analysed").await;
    assert_eq!(app.run_jobs().await, 1);
    browser.refresh().await;
    wait_for_text(&browser, "Ce que l'import va faire").await;
    browser.assert_accessible("the preview").await;
    // The demo's pupils are not in these files: the warning is acknowledged.
    browser
        .client
        .find(Locator::Css("label[for='avertissement']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&browser, "import SIECLE").await;
    browser.assert_accessible("the job page of an import").await;
    assert_eq!(app.run_jobs().await, 1);
    browser.refresh().await;
    wait_for_text(&browser, "Terminée").await;
    browser
        .client
        .find(Locator::Css("main a[href*=\"/imports/\"]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&browser, "Ce qui a été importé").await;
    browser.assert_accessible("the applied import").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM pupils WHERE siecle_hash <> ''")
            .await,
        30
    );
    browser.close().await;
    app.finish().await;
}

/// Waits (up to 15 s) for the page after a navigation to contain `needle`.
async fn wait_for_text(browser: &crate::browser::Browser, needle: &str) {
    let mut last = String::new();
    for _ in 0..150 {
        if let Ok(body) = browser.client.find(fantoccini::Locator::Css("body")).await
            && let Ok(text) = body.text().await
        {
            if text.contains(needle) {
                return;
            }
            last = text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the page never showed « {needle} »: {last}");
}

on_both_databases!(
    an_agent_uploads_previews_confirms_and_follows_the_import,
    a_refused_import_shows_its_problems_and_cannot_be_confirmed,
    a_too_large_upload_gets_413_and_nothing_is_stored,
);
