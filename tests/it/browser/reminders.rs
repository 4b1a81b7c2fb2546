//! Reminders in a browser (issue 12): the secretariat chooses the families
//! whose dossier is started but not sent, reads the texts and the numbers,
//! sends, and follows the statuses; a guardian opens the reminder's link on a
//! phone and only types the birth date. axe-core and html-validate on every
//! page.

use std::time::Duration;

use dossiersco::db::Backend;
use fantoccini::Locator;
use serde_json::{Value, json};

use super::{Browser, agent_sign_in, click_and_wait, mark_page, wait_for_new_page};
use crate::harness::TestApp;

async fn wait_for_text(browser: &Browser, text: &str) {
    for _ in 0..200 {
        if browser.text().await.contains(text) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never said {text:?}:\n{}", browser.text().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secretariat_previews_and_sends_a_reminder_sees_the_statuses_and_a_family_signs_in_from_its_link()
 {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.messages_per_minute = 60_000;
    })
    .await
    .unwrap();
    let seeded = app.seed_demo().await;
    let uai = seeded.uai.clone();
    // Two dossiers of this year started, not sent.
    let started: Vec<i64> = sqlx::query_scalar(
        "SELECT d.id FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id JOIN schools s ON s.id = c.school_id
         WHERE s.uai = $1 AND d.state = 'not_started'
           AND c.school_year = (SELECT MAX(c2.school_year) FROM campaigns c2 WHERE c2.school_id = s.id)
         ORDER BY d.id LIMIT 2",
    )
    .bind(&uai)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    for id in &started {
        sqlx::query("UPDATE dossiers SET state = 'started' WHERE id = $1")
            .bind(id)
            .execute(app.db().pool())
            .await
            .unwrap();
    }

    agent_sign_in(&browser, &app, "secretariat@demo.dossiersco.fr").await;
    browser
        .goto(&app.url(&format!("/etablissements/{uai}/relances")))
        .await;
    browser.assert_accessible("relances").await;
    // Default choice: a reminder, to the dossiers started but not sent, by e-mail.
    click_and_wait(&browser, Locator::Css("main form button[type=submit]")).await;
    let preview = browser.text().await;
    assert!(preview.contains("Rappel : réinscription"), "{preview}");
    assert!(preview.contains("commencés mais pas envoyés"), "{preview}");
    browser.assert_accessible("relance à relire").await;
    click_and_wait(&browser, Locator::Css("main form button[type=submit]")).await;
    browser.assert_accessible("relance en préparation").await;
    app.run_jobs().await;
    sqlx::query("UPDATE jobs SET run_at = 0 WHERE kind = 'send_email'")
        .execute(app.db().pool())
        .await
        .unwrap();
    app.run_jobs().await;
    browser.refresh().await;
    wait_for_text(&browser, "État des messages").await;
    let statuses = browser.text().await;
    assert!(statuses.contains("envoyé"), "{statuses}");
    browser.assert_accessible("relance envoyée").await;

    // A guardian opens the link of their e-mail on a phone.
    let (recipient, body): (String, String) =
        sqlx::query_as("SELECT recipient, body_text FROM outbox_emails ORDER BY id LIMIT 1")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    let link = body
        .split_whitespace()
        .find(|w| w.contains("/famille/lien#jeton="))
        .expect("a link in the e-mail")
        .to_owned();
    let token = link.rsplit('=').next().unwrap().to_owned();
    let birth: String = sqlx::query_scalar(
        "SELECT p.birth_date FROM messages m JOIN guardianships l ON l.guardian_id = m.guardian_id
         JOIN pupils p ON p.id = l.pupil_id WHERE m.recipient = $1 ORDER BY p.birth_date LIMIT 1",
    )
    .bind(&recipient)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let family = Browser::start(360, 740).await.unwrap();
    let path = &link[link.find("/famille/lien#").unwrap()..];
    family.client.goto(&app.url(path)).await.unwrap();
    let filled: Value = family
        .client
        .execute("return document.getElementById('jeton').value;", vec![])
        .await
        .unwrap();
    assert_eq!(
        filled.as_str(),
        Some(token.as_str()),
        "the token is filled in"
    );
    let hidden: Value = family
        .client
        .execute(
            "return document.getElementById('link-token-group').hidden;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(hidden, json!(true), "only the birth date is asked");
    let address = family.client.current_url().await.unwrap();
    assert_eq!(address.fragment(), None, "the token left the address bar");
    family.assert_accessible("/famille/lien#jeton=…").await;
    family
        .client
        .execute(
            "document.getElementById('birth_date').value = arguments[0];",
            vec![json!(birth)],
        )
        .await
        .unwrap();
    mark_page(&family).await;
    family
        .client
        .find(Locator::XPath(
            "//button[normalize-space()='Accéder au dossier']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_new_page(&family).await;
    let signed_in = family.client.current_url().await.unwrap();
    assert!(
        signed_in.path().starts_with("/famille") && signed_in.path() != "/famille/lien",
        "the family is signed in: {signed_in}\n{}",
        family.text().await
    );
    family.close().await;
    browser.close().await;
    app.finish().await;
}
