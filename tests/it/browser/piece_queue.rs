//! The pieces queue in a real browser (issue 13): an agent goes through the
//! queue with the keyboard shortcuts — refuses a piece with a reason,
//! accepts the others, skips one for later — and sends the refusals; the
//! family opens the message's link on a phone and replaces just the refused
//! piece. Every page accessible; keystrokes and taps counted.

use dossiersco::db::Backend;
use fantoccini::Locator;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use serde_json::{Value, json};

use super::{Browser, Counted, agent_sign_in_with, click_and_wait, mark_page, wait_for_new_page};
use crate::builders::AGENT_PASSWORD;
use crate::harness::TestApp;
use crate::piece_queue::world;

/// Presses `key` on the page (not in a field), as a person would.
async fn press(browser: &Browser, key: char) {
    let actions = KeyActions::new("clavier".to_owned())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    browser.client.perform_actions(actions).await.unwrap();
}

/// Presses `key`, which leads to another page, and waits for it.
async fn press_and_wait(browser: &Browser, key: char) {
    mark_page(browser).await;
    press(browser, key).await;
    wait_for_new_page(browser).await;
}

async fn position(browser: &Browser) -> String {
    browser
        .client
        .find(Locator::Id("position"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_goes_through_the_queue_with_the_keyboard_and_the_family_replaces_the_refused_piece()
 {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let w = world(&app).await;
    agent_sign_in_with(&browser, &app, "secretariat@moulin.fr", AGENT_PASSWORD).await;
    // From the dashboard's button.
    click_and_wait(
        &browser,
        Locator::XPath("//a[normalize-space()='Pièces à vérifier']"),
    )
    .await;
    browser.assert_accessible("the pieces queue").await;
    assert_eq!(position(&browser).await, "Pièce 1 sur 3");
    let help: Value = browser
        .client
        .execute(
            "return document.getElementById('raccourcis').hidden;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(help, json!(false), "the shortcuts are announced");
    let mut keys = 0;

    // Léa's insurance: R, the reason, Enter refuses.
    // The PDF's viewer took the focus as it loaded: the page takes it back.
    let mut focused = Value::Null;
    for _ in 0..60 {
        focused = browser
            .client
            .execute("return document.activeElement.tagName;", vec![])
            .await
            .unwrap();
        if focused != json!("IFRAME") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_ne!(focused, json!("IFRAME"), "the keys go to the page");
    press(&browser, 'r').await;
    keys += 1;
    let focused: Value = browser
        .client
        .execute("return document.activeElement.id;", vec![])
        .await
        .unwrap();
    assert_eq!(focused, json!("precisions"));
    // Typing in the field is typing, not shortcuts: « a », « s », « r » in it.
    let reason = "Document illisible, refaites un scan";
    browser
        .client
        .find(Locator::Id("precisions"))
        .await
        .unwrap()
        .send_keys(reason)
        .await
        .unwrap();
    keys += reason.chars().count();
    press_and_wait(&browser, Key::Enter.into()).await;
    keys += 1;
    let text = browser.text().await;
    assert!(text.contains("Pièce refusée."), "{text}");
    assert_eq!(position(&browser).await, "Pièce 1 sur 2");
    assert!(text.contains("Tom DURAND"), "{text}");
    browser
        .assert_accessible("the queue, next piece (a photo)")
        .await;
    // Tom's photo: A.
    press_and_wait(&browser, 'a').await;
    keys += 1;
    assert!(browser.text().await.contains("Léa MARTIN"));
    // Léa's proof of address: S, for later.
    press_and_wait(&browser, 's').await;
    keys += 1;
    let text = browser.text().await;
    assert!(text.contains("Vous avez passé 1 pièce(s)"), "{text}");
    assert!(
        text.contains("1 élève(s) ont des pièces refusées"),
        "{text}"
    );
    browser.assert_accessible("the queue, all skipped").await;
    let mut taps = 0;
    click_and_wait(&browser, Locator::Id("envoyer-refus")).await;
    taps += 1;
    let text = browser.text().await;
    assert!(
        text.contains("Refus envoyés : 2 message(s) pour 1 élève(s)"),
        "{text}"
    );
    click_and_wait(
        &browser,
        Locator::XPath("//a[normalize-space()='Revoir les pièces passées']"),
    )
    .await;
    taps += 1;
    assert_eq!(position(&browser).await, "Pièce 1 sur 1");
    press_and_wait(&browser, 'a').await;
    keys += 1;
    let text = browser.text().await;
    assert!(text.contains("Aucune pièce à vérifier"), "{text}");
    assert!(text.contains("chaque famille est prévenue"), "{text}");
    browser.assert_accessible("the queue, empty").await;
    assert_eq!(
        (keys, taps),
        (reason.chars().count() + 5, 2),
        "keystrokes, clicks"
    );
    let statuses: Vec<(String, String)> =
        sqlx::query_as("SELECT original_name, status FROM uploads ORDER BY id")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    assert_eq!(
        statuses[..3],
        [
            ("assurance.pdf".into(), "refused".into()),
            ("photo.png".into(), "accepted".into()),
            ("facture.pdf".into(), "accepted".into()),
        ]
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages").await,
        2,
        "one per parent"
    );
    browser.close().await;

    // Julie opens the link of her e-mail on a phone.
    let body: String = sqlx::query_scalar("SELECT body FROM messages WHERE guardian_id = $1")
        .bind(w.lea.guardian_ids[0])
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert!(body.contains(reason), "{body}");
    let link = body
        .split_whitespace()
        .find(|w| w.contains("/famille/lien#jeton="))
        .unwrap()
        .to_owned();
    let phone = Browser::start(360, 740).await.unwrap();
    phone
        .client
        .goto(&app.url(&link[link.find("/famille/lien#").unwrap()..]))
        .await
        .unwrap();
    let mut family = Counted::new(&phone);
    phone
        .client
        .execute(
            "document.getElementById('birth_date').value = arguments[0];",
            vec![json!(w.lea.birth_date)],
        )
        .await
        .unwrap();
    family.button("Accéder au dossier").await;
    assert!(
        family.path().await.ends_with("/pieces-a-remplacer"),
        "{}",
        phone.text().await
    );
    let text = phone.text().await;
    assert!(text.contains(reason), "{text}");
    assert!(!text.contains("Justificatif de domicile"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("assurance-lisible.pdf");
    std::fs::write(
        &file,
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    )
    .unwrap();
    phone
        .client
        .find(Locator::Css("input[type=file]"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    family.clicks += 1;
    family
        .button("Envoyer le nouveau fichier pour « Attestation d'assurance »")
        .await;
    let text = phone.text().await;
    assert!(text.contains("est envoyée au collège"), "{text}");
    assert!(text.contains("Aucune pièce à remplacer"), "{text}");
    assert_eq!((family.clicks, family.typed), (3, 0), "taps, keystrokes");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM uploads WHERE status = 'submitted' AND original_name = 'assurance-lisible.pdf'"
        )
        .await,
        1,
        "back in the queue"
    );
    phone.close().await;
    assert_eq!(app.run_jobs().await, 2, "the two e-mails leave");
    app.finish().await;
}
