//! Families in real browsers: resuming, two guardians at once, the pieces
//! page's JavaScript, answers saved as typed.

use std::time::Duration;

use dossiersco::db::Backend;
use fantoccini::Locator;
use serde_json::{Value, json};

use super::{
    Browser, Counted, agent_sign_in, choose_file, demo_family, family_sign_in,
    phone_with_mother_signed_in,
};
use crate::harness::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_family_resumes_where_it_stopped_after_closing_the_browser_and_sees_both_children() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (code, birth) = demo_family(&app, "deux enfants (père)").await;
    {
        let Some(browser) = Browser::start(360, 740).await else {
            app.finish().await;
            return;
        };
        family_sign_in(&browser, &app, &code, &birth).await;
        let mut user = Counted::new(&browser);
        assert_eq!(user.path().await, "/famille");
        user.check_page().await;
        let text = browser.text().await;
        assert!(text.contains("Hugo MARTIN") && text.contains("Léa MARTIN"));
        user.click(Locator::XPath(
            "(//a[starts-with(normalize-space(), 'Commencer')])[1]",
        ))
        .await;
        user.button("Commencer").await;
        user.button("Valider et continuer").await;
        assert!(user.path().await.ends_with("/responsables"));
        browser.close().await;
    }
    let Some(browser) = Browser::start(360, 740).await else {
        unreachable!("started once already")
    };
    family_sign_in(&browser, &app, &code, &birth).await;
    let first = browser
        .client
        .find(Locator::XPath(
            "(//a[contains(@href, '/famille/dossiers/')])[1]",
        ))
        .await
        .unwrap();
    assert_eq!(
        first.text().await.unwrap().split_whitespace().next(),
        Some("Reprendre")
    );
    first.click().await.unwrap();
    let path = browser
        .client
        .current_url()
        .await
        .unwrap()
        .path()
        .to_owned();
    assert!(
        path.ends_with("/responsables"),
        "back at the furthest step: {path}"
    );
    let html = browser.text().await;
    assert!(html.contains("Vos coordonnées"), "{html}");
    browser.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_separated_guardians_fill_the_same_dossier_in_their_own_browsers() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (mother_code, birth) = demo_family(&app, "la mère").await;
    let (father_code, _) = demo_family(&app, "le père").await;
    let Some(mother) = Browser::start(360, 740).await else {
        app.finish().await;
        return;
    };
    let Some(father) = Browser::start(360, 740).await else {
        unreachable!()
    };
    for (browser, code, canteen) in [
        (&mother, &mother_code, "canteen-dp"),
        (&father, &father_code, "canteen-ext"),
    ] {
        family_sign_in(browser, &app, code, &birth).await;
        let mut user = Counted::new(browser);
        user.button("Commencer").await;
        user.button("Valider et continuer").await;
        let text = browser.text().await;
        assert!(text.contains("Vos coordonnées"));
        user.button("Valider et continuer").await;
        user.button("Continuer").await;
        user.button("Valider et continuer").await;
        user.label(canteen).await;
        user.label("photo-oui").await;
        user.label("sorties-oui").await;
        user.button("Valider et continuer").await;
        assert!(user.path().await.ends_with("/sante"));
    }
    let father_phone: String = sqlx::query_scalar(
        "SELECT phone_mobile FROM guardians WHERE last_name = 'DUBOIS' AND first_name = 'Marc'",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    mother
        .goto(
            &app.url(
                &mother
                    .client
                    .current_url()
                    .await
                    .unwrap()
                    .path()
                    .replace("/sante", "/responsables"),
            ),
        )
        .await;
    assert!(
        !mother.text().await.contains(&father_phone),
        "the father's phone stays private"
    );
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT answer) FROM dossier_answers WHERE question = 'canteen'")
            .await,
        2
    );
    mother.close().await;
    father.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_javascript_a_too_large_file_is_refused_before_it_is_sent() {
    let Some((browser, app)) = phone_with_mother_signed_in().await else {
        return;
    };
    let mut user = Counted::new(&browser);
    user.walk_to_pieces().await;
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("scan-enorme.pdf");
    std::fs::write(&big, vec![b'%'; 21 * 1024 * 1024]).unwrap();
    let input = browser
        .client
        .find(Locator::Css("input[type=file]"))
        .await
        .unwrap();
    input.send_keys(&big.display().to_string()).await.unwrap();
    let mut message = String::new();
    for _ in 0..50 {
        message = browser.text().await;
        if message.contains("trop volumineux") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        message.contains("« scan-enorme.pdf » : trop volumineux, 20 Mo au plus"),
        "{message}"
    );
    let count: Value = browser
        .client
        .execute(
            "return document.querySelector('input[type=file]').files.length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(count.as_i64(), Some(0), "the file is not kept for sending");
    browser
        .assert_accessible("the pieces page with a client-side error")
        .await;

    // A file the server refuses: sent in the background, its reason shown
    // next to the field and announced, nothing stored.
    let fake = dir.path().join("facture.pdf");
    std::fs::write(
        &fake,
        b"MZ\x90\x00\x03 This program cannot be run in DOS mode",
    )
    .unwrap();
    let outcome = choose_file(&browser, 0, &fake).await;
    assert!(
        outcome.contains("« facture.pdf » : Ce type de fichier n'est pas accepté"),
        "{outcome}"
    );
    let described: Value = browser
        .client
        .execute(
            "const i = document.querySelector('input[type=file]'); \
             return document.getElementById(i.getAttribute('aria-describedby')).textContent",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        described.as_str().unwrap().contains("facture.pdf"),
        "{described}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 0);
    browser
        .assert_accessible("the pieces page with a server-side refusal")
        .await;
    browser.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heic_photo_from_a_phone_is_shown_to_the_school_as_a_jpeg() {
    let Some(browser) = Browser::start(360, 740).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (code, birth) = demo_family(&app, "la mère").await;
    let uai: String = sqlx::query_scalar("SELECT uai FROM schools")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    family_sign_in(&browser, &app, &code, &birth).await;
    let mut user = Counted::new(&browser);
    user.walk_to_pieces().await;
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photo.heic");
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("IMG_0042.HEIC");
    std::fs::copy(&fixture, &photo).unwrap();
    // Chromium cannot decode HEIC: the page sends the photo as it is.
    assert_eq!(
        choose_file(&browser, 0, &photo).await,
        "« IMG_0042.HEIC » : envoyé."
    );
    assert!(browser.text().await.contains("IMG_0042.HEIC : envoyée"));
    let (content_type, source): (String, Option<String>) =
        sqlx::query_as("SELECT content_type, source_key FROM uploads")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    let heic = dossiersco::documents::heic::AVAILABLE;
    if !crate::harness::require_feature(heic, "HEIC photos shown to agents", "heic") {
        assert_eq!(content_type, "image/heic");
        browser.close().await;
        app.finish().await;
        return;
    }
    assert_eq!(content_type, "image/jpeg", "converted by the server");
    assert!(source.is_some());

    // The secretary opens the dossier: the photo is in the page, decoded by
    // the browser, the right way up (blue top, red bottom).
    agent_sign_in(&browser, &app, "secretariat@demo.dossiersco.fr").await;
    let dossier_id: i64 = sqlx::query_scalar("SELECT dossier_id FROM uploads")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    browser
        .goto(&app.url(&format!("/etablissements/{uai}/dossiers/{dossier_id}")))
        .await;
    let mut pixels = Value::Null;
    for _ in 0..50 {
        pixels = browser
            .client
            .execute(
                r#"const img = document.querySelector("img.piece-preview");
                   if (!img) return null;
                   img.scrollIntoView(); // previews load lazily, as agents scroll
                   if (!img.complete || img.naturalWidth === 0) return null;
                   const c = document.createElement("canvas");
                   c.width = img.naturalWidth; c.height = img.naturalHeight;
                   const g = c.getContext("2d");
                   g.drawImage(img, 0, 0);
                   return [img.naturalWidth, img.naturalHeight,
                           Array.from(g.getImageData(60, 10, 1, 1).data),
                           Array.from(g.getImageData(60, 60, 1, 1).data)];"#,
                vec![],
            )
            .await
            .unwrap();
        if !pixels.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(pixels[0], json!(120), "{pixels} {}", browser.text().await);
    assert_eq!(pixels[1], json!(80), "{pixels}");
    let channel = |p: usize, c: usize| pixels[p][c].as_i64().unwrap();
    assert!(
        channel(2, 2) > 150 && channel(2, 0) < 90,
        "top is blue: {pixels}"
    );
    assert!(
        channel(3, 0) > 150 && channel(3, 2) < 90,
        "bottom is red: {pixels}"
    );
    browser
        .assert_accessible("the dossier page with a photo preview")
        .await;
    browser.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_javascript_answers_are_saved_as_they_are_typed() {
    let Some((browser, app)) = phone_with_mother_signed_in().await else {
        return;
    };
    let mut user = Counted::new(&browser);
    user.button("Commencer").await;
    user.button("Valider et continuer").await;
    let page = browser.client.current_url().await.unwrap();
    assert!(page.path().ends_with("/responsables"));
    user.replace_text("phone_mobile", "06 98 76 54 32").await;
    // Leaving the field fires `change`; the draft is saved without moving on.
    browser
        .client
        .find(Locator::Id("city"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let mut saved = false;
    for _ in 0..60 {
        if browser.text().await.contains("Brouillon enregistré.") {
            saved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(saved, "the page says the draft is saved");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM guardian_changes WHERE new_value = '06 98 76 54 32'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM guardian_progress WHERE furthest_step = 'responsables'")
            .await,
        1,
        "not moved on"
    );
    browser.goto(page.as_str()).await;
    let value: Value = browser
        .client
        .execute(
            "return document.getElementById('phone_mobile').value",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        value.as_str(),
        Some("06 98 76 54 32"),
        "still there after leaving the page"
    );

    // The emergency contact being typed is kept too, without being added.
    user.button("Valider et continuer").await;
    assert!(user.path().await.ends_with("/contacts-urgence"));
    user.replace_text("name", "Josette Martin").await;
    browser
        .client
        .find(Locator::Id("phone"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let mut drafted = false;
    for _ in 0..60 {
        if app.count("SELECT COUNT(*) FROM step_drafts").await == 1 {
            drafted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(drafted, "the contact being typed is kept");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM emergency_contacts").await,
        0
    );
    browser.refresh().await;
    let value: Value = browser
        .client
        .execute("return document.getElementById('name').value", vec![])
        .await
        .unwrap();
    assert_eq!(value.as_str(), Some("Josette Martin"));
    browser.close().await;
    app.finish().await;
}

/// On a phone, the parent who did not send the dossier (the other parent did)
/// reads it after signing in, and the direction's dashboard lists a code that
/// keeps failing; both pages pass axe-core.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_the_parent_who_did_not_send_reads_the_sent_dossier() {
    let Some(browser) = Browser::start(360, 740).await else {
        return;
    };
    let app = crate::harness::TestApp::spawn(Backend::Sqlite)
        .await
        .unwrap();
    let seeded = app.seed_demo().await;
    // The father sends it from his own browser (over HTTP).
    let (father_code, birth) = crate::family::family(&app, &seeded, "le père").await;
    let father = crate::harness::TestApp::client_for(&app);
    let signed_in = crate::family::sign_in_as(&app, &father, &father_code, &birth).await;
    let base = crate::family::location(&signed_in)
        .trim_end_matches("/accueil")
        .to_owned();
    crate::family::walk_without_change_as(&app, &father, &base).await;
    let validation = format!("{base}/validation");
    app.post_form_as(&father, &validation, &validation, &[("attestation", "oui")])
        .await;
    // Another family mistypes its child's birth date five times.
    let (other_code, _) = crate::family::family(&app, &seeded, "deux enfants (mère)").await;
    for _ in 0..5 {
        crate::family::sign_in(&app, &other_code, "2001-01-01").await;
    }

    // Not demo_family: seeding again would give the demo families new codes.
    let (code, birth) = crate::family::family(&app, &seeded, "la mère").await;
    family_sign_in(&browser, &app, &code, &birth).await;
    let text = browser.text().await;
    assert!(
        text.contains("envoyé à l'établissement par l'autre responsable"),
        "{text}"
    );
    assert!(!text.contains("Un courriel de confirmation vous est envoyé"));
    browser
        .assert_accessible("confirmation of the other parent")
        .await;

    agent_sign_in(&browser, &app, "direction@demo.dossiersco.fr").await;
    let text = browser.text().await;
    assert!(
        text.contains("Codes personnels en échec") && text.contains("MARTIN"),
        "{text}"
    );
    browser
        .assert_accessible("dashboard with failing codes")
        .await;
    browser.close().await;
    app.run_jobs().await;
    app.finish().await;
}
