//! On a phone-size screen: pages that fit, a family's journey counted in clicks.

use std::time::Duration;

use dossiersco::db::Backend;
use fantoccini::Locator;
use serde_json::Value;

use dossiersco::demo::DEMO_PASSWORD;

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

/// The family effort the README quotes, counted as a person acts: every
/// click or tap, every character typed. Sign-in: the code typed from the
/// letter, the birth date typed as 8 digits (the date field's own format),
/// one tap on « Accéder au dossier ». After sign-in, a family with nothing to
/// change taps through and types nothing: each answer starts from what the
/// school knows (SIECLE, last year's answers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_a_family_with_no_change_re_enrols_in_at_most_12_clicks_without_typing() {
    let Some(browser) = Browser::start(360, 740).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (code, birth) = super::demo_family(&app, "la mère").await;
    let mut user = Counted::new(&browser);
    browser
        .client
        .goto(&app.url("/famille/connexion"))
        .await
        .unwrap();
    user.check_page().await;
    user.replace_text("code", &code).await;
    browser
        .client
        .execute(
            "document.getElementById('birth_date').value = arguments[0];",
            vec![serde_json::json!(birth)],
        )
        .await
        .unwrap();
    user.typed += 8; // JJMMAAAA, typed in the date field
    user.button("Accéder au dossier").await;
    let (sign_in_clicks, sign_in_typed) = (user.clicks, user.typed);
    assert_eq!(sign_in_clicks, 1);
    assert_eq!(sign_in_typed, code.chars().count() + 8);
    assert!(user.path().await.ends_with("/accueil"));
    user.button("Commencer").await;
    for _ in ["eleve", "responsables"] {
        user.button("Valider et continuer").await;
    }
    user.button("Continuer").await; // contacts d'urgence
    user.button("Valider et continuer").await; // scolarité
    assert!(user.path().await.ends_with("/vie-scolaire"));
    user.button("Valider et continuer").await; // prefilled from last year
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
    let (clicks, typed) = (user.clicks - sign_in_clicks, user.typed - sign_in_typed);
    // The figures in README.md ("Family effort"): keep them in step.
    assert_eq!(clicks, 10, "taps after sign-in");
    assert!(clicks <= 12);
    assert_eq!(typed, 0, "characters typed after sign-in");
    assert_eq!(user.clicks, 11, "taps, sign-in included");
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
    assert_eq!(app.run_jobs().await, 2, "the receipt, to each parent");
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

/// A dossier sent back with a refused piece, on a phone: the family reads
/// what to fix on the validation step, follows the link to the piece,
/// removes the refused file, sends another one and sends the dossier again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_a_family_fixes_a_returned_dossier_from_its_list_of_what_to_fix() {
    let Some((browser, app)) = phone_with_mother_signed_in().await else {
        return;
    };
    sqlx::query("UPDATE expected_documents SET mandatory = $1 WHERE position = 0")
        .bind(true)
        .execute(app.db().pool())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let (blurred, clear) = (dir.path().join("flou.pdf"), dir.path().join("net.pdf"));
    std::fs::write(&blurred, pdf).unwrap();
    std::fs::write(&clear, pdf).unwrap();
    let mut user = Counted::new(&browser);
    user.walk_to_pieces().await;
    assert_eq!(
        choose_file(&browser, 0, &blurred).await,
        "« flou.pdf » : envoyé."
    );
    user.button("Continuer").await;
    user.label("attestation").await;
    user.button("Envoyer le dossier à l'établissement").await;
    assert!(user.path().await.ends_with("/confirmation"));
    let base = user
        .path()
        .await
        .trim_end_matches("/confirmation")
        .to_owned();

    // The school refuses the piece and sends the dossier back.
    let uai: String = sqlx::query_scalar("SELECT uai FROM schools ORDER BY id LIMIT 1")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let dossier_id = base.rsplit('/').next().unwrap();
    let page = format!("/etablissements/{uai}/dossiers/{dossier_id}");
    app.sign_in_agent("secretariat@demo.dossiersco.fr", DEMO_PASSWORD)
        .await;
    let upload: i64 = sqlx::query_scalar("SELECT id FROM uploads")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    app.post_form(
        &page,
        &format!("{page}/pieces/{upload}/decision"),
        &[("decision", "refuser"), ("reason", "Document illisible")],
    )
    .await;
    let returned = app
        .post_form(
            &page,
            &format!("{page}/etat"),
            &[
                ("event", "renvoyer"),
                ("reason", "Merci de renvoyer l'attestation"),
            ],
        )
        .await;
    assert_eq!(returned.status(), 303);
    app.run_jobs().await;

    // The family's validation step lists what to fix, with links.
    browser
        .client
        .goto(&app.url(&format!("{base}/validation")))
        .await
        .unwrap();
    let text = browser.text().await;
    assert!(
        text.contains("Merci de renvoyer l'attestation")
            && text.contains("Pièce refusée (obligatoire) : Attestation d'assurance scolaire, motif : Document illisible"),
        "{text}"
    );
    browser
        .assert_accessible("the returned dossier's validation")
        .await;
    click_and_wait(
        &browser,
        Locator::Css("#a-corriger a[href*='/pieces#piece-']"),
    )
    .await;
    assert_eq!(user.path().await, format!("{base}/pieces"));
    browser
        .assert_accessible("the pieces of a returned dossier")
        .await;
    click_and_wait(
        &browser,
        Locator::XPath("//button[normalize-space()='Retirer « flou.pdf »']"),
    )
    .await;
    let text = browser.text().await;
    assert!(
        text.contains("Fichier retiré.") && !text.contains("flou.pdf"),
        "{text}"
    );
    browser
        .assert_accessible("the pieces after a removal")
        .await;
    assert_eq!(
        choose_file(&browser, 0, &clear).await,
        "« net.pdf » : envoyé."
    );
    user.button("Continuer").await;
    assert!(user.path().await.ends_with("/validation"));
    assert!(!browser.text().await.contains("Pièce refusée"));
    user.label("attestation").await;
    user.button("Envoyer le dossier à l'établissement").await;
    assert!(user.path().await.ends_with("/confirmation"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers WHERE state = 'submitted'")
            .await,
        1
    );
    app.run_jobs().await;
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
