//! A school from an empty install, in a real browser: `dossiersco school
//! add`, the admin's invitation link, the team page, a secretary invited
//! with two roles who signs up and lands on the school's pages. axe-core
//! finds no violation on any page.

use dossiersco::db::Backend;
use fantoccini::Locator;

use super::{Browser, click_and_wait};
use crate::harness::TestApp;
use crate::team::{dossiersco, last_link_to, link_in};

const UAI: &str = "0750680G";

async fn type_into(browser: &Browser, id: &str, text: &str) {
    browser
        .client
        .find(Locator::Id(id))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

async fn path(browser: &Browser) -> String {
    browser
        .client
        .current_url()
        .await
        .unwrap()
        .path()
        .to_owned()
}

/// Chooses a password on the page of a one-time link.
async fn choose_password(browser: &Browser, password: &str) {
    type_into(browser, "password", password).await;
    type_into(browser, "confirmation", password).await;
    click_and_wait(browser, Locator::Css("main form button[type=submit]")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_an_empty_install_the_admin_and_an_invited_secretary_sign_up_in_a_real_browser() {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM schools").await, 0);

    let out = dossiersco(
        &app,
        &[
            "school",
            "add",
            "--uai",
            UAI,
            "--name",
            "Collège Arago",
            "--admin",
            "principal@arago.fr",
            "--academy",
            "01",
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let link = link_in(&stdout, &app.url("/agent/invitation/")).expect("the printed link");

    // The admin opens the link and chooses a password.
    browser.client.goto(&link).await.unwrap();
    assert!(browser.text().await.contains("Collège Arago"));
    browser.assert_accessible("the invitation page").await;
    choose_password(&browser, "trop court").await;
    assert!(browser.text().await.contains("au moins 12 caractères"));
    browser
        .assert_accessible("the invitation page (error)")
        .await;
    choose_password(&browser, "la direction du collège Arago").await;
    assert_eq!(path(&browser).await, format!("/etablissements/{UAI}"));
    browser
        .assert_accessible("the new school's dashboard")
        .await;

    // The team, then the invitation of a secretary with two roles.
    click_and_wait(&browser, Locator::LinkText("Gérer l'équipe")).await;
    assert_eq!(
        path(&browser).await,
        format!("/etablissements/{UAI}/agents")
    );
    browser.assert_accessible("the team page").await;
    click_and_wait(&browser, Locator::LinkText("Inviter une personne")).await;
    browser.assert_accessible("the invitation form").await;
    click_and_wait(&browser, Locator::Css("main form button[type=submit]")).await;
    assert!(
        browser
            .text()
            .await
            .contains("Choisissez au moins un rôle.")
    );
    browser
        .assert_accessible("the invitation form (errors)")
        .await;
    type_into(&browser, "name", "Karima Benali").await;
    type_into(&browser, "email", "secretariat@arago.fr").await;
    for role in ["secretariat", "intendance"] {
        browser
            .client
            .find(Locator::Css(&format!("label[for=role-{role}]")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    click_and_wait(&browser, Locator::Css("main form button[type=submit]")).await;
    let text = browser.text().await;
    assert!(
        text.contains("Invitation envoyée à secretariat@arago.fr."),
        "{text}"
    );
    assert!(text.contains("Secrétariat, Intendance") && text.contains("Invitation envoyée"));
    browser
        .assert_accessible("the team page with the invited secretary")
        .await;
    click_and_wait(&browser, Locator::Css("main table a[href*='/agents/']")).await;
    browser.assert_accessible("a member's page").await;

    // The secretary, in the same browser once the admin has signed out.
    click_and_wait(&browser, Locator::Css("header form button[type=submit]")).await;
    let invitation = last_link_to(&app, "secretariat@arago.fr").await;
    browser.client.goto(&app.url(&invitation)).await.unwrap();
    browser
        .assert_accessible("the secretary's invitation page")
        .await;
    choose_password(&browser, "secrétariat du collège Arago").await;
    assert_eq!(path(&browser).await, format!("/etablissements/{UAI}"));
    let text = browser.text().await;
    assert!(
        text.contains("Karima Benali") && text.contains("Secrétariat, Intendance"),
        "{text}"
    );
    browser.assert_accessible("the secretary's dashboard").await;

    // The link worked once; the pages around passwords are accessible too.
    browser.client.goto(&app.url(&invitation)).await.unwrap();
    assert!(browser.text().await.contains("Ce lien ne fonctionne plus"));
    browser.assert_accessible("a used link").await;
    click_and_wait(&browser, Locator::Css("header form button[type=submit]")).await;
    browser
        .client
        .goto(&app.url("/agent/mot-de-passe-oublie"))
        .await
        .unwrap();
    browser
        .assert_accessible("the forgotten-password form")
        .await;
    type_into(&browser, "email", "secretariat@arago.fr").await;
    click_and_wait(&browser, Locator::Css("main form button[type=submit]")).await;
    assert!(browser.text().await.contains("Demande enregistrée"));
    browser
        .assert_accessible("the forgotten-password answer")
        .await;
    app.run_jobs().await;
    browser.close().await;
    app.finish().await;
}
