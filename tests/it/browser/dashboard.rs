//! Issue 12 in a real browser: a family signs in on a phone from the QR
//! code's address (two taps and the birth date) and asks for a lost code;
//! an agent reads the dashboard (curve, what needs the school, families who
//! never came, satisfaction) and the families' requests. axe-core and
//! html-validate on every page.

use dossiersco::db::{Backend, now_ms};
use fantoccini::Locator;
use serde_json::{Value, json};

use super::{Browser, Counted, agent_sign_in, click_and_wait, demo_family};
use crate::harness::TestApp;

/// Opening the letter's QR code lands on the sign-in page with the code in
/// the fragment; the family taps the birth date field, types the date (8
/// digits, JJMMAAAA), taps « Accéder au dossier ».
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_a_family_signs_in_from_the_qr_code_s_address_in_two_taps_and_the_birth_date() {
    let Some(browser) = Browser::start(360, 740).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (code, birth) = demo_family(&app, "la mère").await;
    // The QR code's address (see `letters`): the code only in the fragment.
    browser
        .goto(&app.url(&format!("/famille/connexion#code={code}")))
        .await;
    let mut user = Counted::new(&browser);
    user.check_page().await;
    let filled: Value = browser
        .client
        .execute("return document.getElementById('code').value;", vec![])
        .await
        .unwrap();
    assert_eq!(
        filled.as_str(),
        Some(code.as_str()),
        "the code is filled in"
    );
    user.click(Locator::Id("birth_date")).await;
    browser
        .client
        .execute(
            "document.getElementById('birth_date').value = arguments[0];",
            vec![json!(birth)],
        )
        .await
        .unwrap();
    user.typed += 8; // JJMMAAAA, typed in the date field
    user.button("Accéder au dossier").await;
    assert_eq!(user.clicks, 2, "two taps");
    assert_eq!(user.typed, 8, "the birth date only");
    assert!(
        user.path().await.ends_with("/accueil"),
        "{}",
        user.path().await
    );
    browser.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_a_family_who_lost_its_code_asks_the_school_for_a_new_one() {
    let Some(browser) = Browser::start(360, 740).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.seed_demo().await;
    browser.goto(&app.url("/famille/connexion")).await;
    click_and_wait(
        &browser,
        Locator::LinkText("Demandez-en un nouveau au collège"),
    )
    .await;
    let mut user = Counted::new(&browser);
    user.check_page().await;
    // Sent empty: each field says what it needs.
    user.button("Demander un nouveau code").await;
    assert!(
        browser
            .text()
            .await
            .contains("Saisissez le nom de l'enfant.")
    );
    for (id, text) in [
        ("last_name", "Dubois"),
        ("first_name", "Ines"),
        ("guardian_name", "Claire Dubois"),
        ("contact", "06 12 34 56 78"),
    ] {
        user.replace_text(id, text).await;
    }
    browser
        .client
        .execute(
            "document.getElementById('birth_date').value = '2013-05-14';",
            vec![],
        )
        .await
        .unwrap();
    user.button("Demander un nouveau code").await;
    assert!(browser.text().await.contains("Demande transmise"));
    assert_eq!(app.count("SELECT COUNT(*) FROM code_requests").await, 1);
    browser.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_reads_the_dashboard_s_curve_what_needs_the_school_and_the_requests() {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let demo = app.seed_demo().await;
    let pool = app.db().pool();
    // A request for a lost code, a mark and a comment, a sent dossier.
    sqlx::query(
        "INSERT INTO code_requests (school_id, pupil_last_name, pupil_first_name, birth_date, guardian_name, contact, created_at)
         SELECT id, 'DUBOIS', 'Inès', '2013-05-14', 'Claire Dubois', '06 12 34 56 78', $2 FROM schools WHERE uai = $1",
    )
    .bind(&demo.uai)
    .bind(now_ms())
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO satisfaction (dossier_id, guardian_id, mark, comment, created_at)
         SELECT d.id, l.guardian_id, 4, 'Rapide, merci.', $1 FROM dossiers d
         JOIN campaigns c ON c.id = d.campaign_id JOIN guardianships l ON l.pupil_id = d.pupil_id
         WHERE NOT EXISTS (SELECT 1 FROM satisfaction s WHERE s.dossier_id = d.id)
         ORDER BY c.school_year DESC, d.id LIMIT 1",
    )
    .bind(now_ms())
    .execute(pool)
    .await
    .unwrap();
    agent_sign_in(&browser, &app, "secretariat@demo.dossiersco.fr").await;
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(url.path(), format!("/etablissements/{}", demo.uai));
    browser.assert_accessible("the dashboard").await;
    let text = browser.text().await;
    for heading in [
        "Avancement jour après jour",
        "À traiter par l'établissement",
        "Familles qui ne sont jamais venues",
        "Satisfaction des familles",
        "Rapide, merci.",
    ] {
        assert!(text.contains(heading), "{heading} in:\n{text}");
    }
    // The chart is drawn and named for assistive technologies.
    let drawn: Value = browser
        .client
        .execute(
            "const svg = document.querySelector('svg[role=img]');
             const line = svg.querySelector('[data-series=sent]');
             return [svg.getBoundingClientRect().width, line.getTotalLength(),
                     svg.getAttribute('aria-labelledby')];",
            vec![],
        )
        .await
        .unwrap();
    assert!(drawn[0].as_f64().unwrap() > 300.0, "{drawn}");
    assert!(drawn[1].as_f64().unwrap() > 0.0, "{drawn}");
    // The numbers, opened.
    browser
        .client
        .execute(
            "document.querySelectorAll('details').forEach(d => d.open = true);",
            vec![],
        )
        .await
        .unwrap();
    browser
        .assert_accessible("the dashboard, tables opened")
        .await;
    click_and_wait(
        &browser,
        Locator::LinkText("Demandes de nouveau code personnel"),
    )
    .await;
    assert!(browser.text().await.contains("Claire Dubois"));
    browser
        .assert_accessible("the requests for a new code")
        .await;
    browser
        .goto(&app.url(&format!(
            "/etablissements/{}/dossiers?jamais-venus=oui",
            demo.uai
        )))
        .await;
    browser
        .assert_accessible("the dossiers none of whose guardians came")
        .await;
    browser.close().await;
    app.finish().await;
}
