//! Invitations and reminders by the school (`crate::reminders`): the texts
//! read before sending, exactly the families of the target, not twice within
//! the delay, at the providers' rate, an empty target that sends nothing, and
//! a message to one family from its dossier.

use std::collections::BTreeSet;

use dossiersco::demo::DEMO_PASSWORD;

use crate::harness::TestApp;
use crate::on_both_databases_with;

/// One message a second: the throttling shows in the jobs' times.
pub fn one_a_second(settings: &mut dossiersco::settings::Settings) {
    settings.messages_per_minute = 60;
}

async fn secretariat(app: &TestApp) -> reqwest::Client {
    let staff = TestApp::client_for(app);
    let response = app
        .sign_in_agent_as(&staff, "secretariat@demo.dossiersco.fr", DEMO_PASSWORD)
        .await;
    assert_eq!(response.status(), 303);
    staff
}

/// Posts the reminders' form: (status, location, page).
async fn post(
    app: &TestApp,
    staff: &reqwest::Client,
    uai: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let page = format!("/etablissements/{uai}/relances");
    let response = app.post_form_as(staff, &page, &page, fields).await;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

/// The guardians (with an e-mail) of the current campaign's dossiers in `state`.
async fn guardians_in_state(app: &TestApp, uai: &str, state: &str) -> BTreeSet<i64> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT g.id, g.email FROM dossiers d
         JOIN campaigns c ON c.id = d.campaign_id JOIN schools s ON s.id = c.school_id
         JOIN guardianships l ON l.pupil_id = d.pupil_id JOIN guardians g ON g.id = l.guardian_id
         WHERE s.uai = $1 AND d.state = $2
           AND c.school_year = (SELECT MAX(c2.school_year) FROM campaigns c2 WHERE c2.school_id = s.id)",
    )
    .bind(uai)
    .bind(state)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    rows.into_iter()
        .filter(|(_, email)| email.contains('@'))
        .map(|(id, _)| id)
        .collect()
}

async fn a_reminder_to_started_but_not_sent_reaches_exactly_those_families_once_within_the_delay(
    app: TestApp,
) {
    let seeded = app.seed_demo().await;
    let uai = seeded.uai.clone();
    // Three dossiers of this year started, not sent; one guardian of them
    // with an address that is not one.
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT d.id FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id JOIN schools s ON s.id = c.school_id
         WHERE s.uai = $1 AND d.state = 'not_started'
           AND c.school_year = (SELECT MAX(c2.school_year) FROM campaigns c2 WHERE c2.school_id = s.id)
         ORDER BY d.id LIMIT 3",
    )
    .bind(&uai)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert_eq!(ids.len(), 3, "the demo has dossiers not started");
    for id in &ids {
        sqlx::query("UPDATE dossiers SET state = 'started' WHERE id = $1")
            .bind(id)
            .execute(app.db().pool())
            .await
            .unwrap();
    }
    let invalid: i64 = sqlx::query_scalar(
        "SELECT l.guardian_id FROM guardianships l JOIN dossiers d ON d.pupil_id = l.pupil_id
         WHERE d.id = $1 ORDER BY l.guardian_id LIMIT 1",
    )
    .bind(ids[0])
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    sqlx::query("UPDATE guardians SET email = 'pas-une-adresse', phone_mobile = '' WHERE id = $1")
        .bind(invalid)
        .execute(app.db().pool())
        .await
        .unwrap();
    let mut expected = guardians_in_state(&app, &uai, "started").await;
    expected.remove(&invalid);
    assert!(!expected.is_empty());

    let staff = secretariat(&app).await;
    let (status, page) = app
        .get_html_as(&staff, &format!("/etablissements/{uai}/relances"))
        .await;
    assert_eq!(status, 200, "{page}");
    let choice = [
        ("kind", "relance"),
        ("cible", "etat"),
        ("etat", "started"),
        ("courriel", "oui"),
    ];
    // The preview: the texts and the numbers, nothing sent.
    let (status, _, preview) = post(&app, &staff, &uai, &choice).await;
    assert_eq!(status, 200);
    assert!(
        preview.contains(&format!("Envoyer à {} responsable(s)", expected.len())),
        "{preview}"
    );
    assert!(
        preview.contains("Rappel : réinscription"),
        "the e-mail's subject"
    );
    assert!(
        preview.contains("/famille/lien#jeton=XXXX"),
        "an example link"
    );
    assert!(
        preview.contains("1 responsable(s) sans courriel utilisable"),
        "{preview}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, 0);

    // Sent: the job queues one e-mail per guardian, spread at the rate.
    let mut confirmed = choice.to_vec();
    confirmed.push(("confirmed", "oui"));
    let (status, location, _) = post(&app, &staff, &uai, &confirmed).await;
    assert_eq!(status, 303);
    assert!(location.starts_with(&format!("/etablissements/{uai}/relances/")));
    assert_eq!(
        app.run_jobs().await,
        2,
        "the reminder's job and the first e-mail; the others wait their turn"
    );
    let run_at: Vec<i64> =
        sqlx::query_scalar("SELECT run_at FROM jobs WHERE kind = 'send_email' ORDER BY run_at")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    assert_eq!(run_at.len(), expected.len());
    for pair in run_at.windows(2) {
        assert!(pair[1] - pair[0] >= 1000, "one a second: {run_at:?}");
    }
    sqlx::query("UPDATE jobs SET run_at = 0 WHERE kind = 'send_email'")
        .execute(app.db().pool())
        .await
        .unwrap();
    app.run_jobs().await;
    let reached: BTreeSet<i64> = sqlx::query_scalar(
        "SELECT guardian_id FROM messages WHERE kind = 'reminder' AND status = 'sent'",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(
        reached, expected,
        "exactly the guardians of the started dossiers"
    );
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body_text FROM outbox_emails")
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    assert_eq!(bodies.len(), expected.len());
    assert!(
        bodies.iter().all(|b| b.contains("/famille/lien#jeton=")),
        "a link, not a code"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sign_in_links").await as usize,
        expected.len()
    );
    let batch_page = app.get_html_as(&staff, &location).await.1;
    assert!(
        batch_page.contains("1 responsable(s) sans contact utilisable"),
        "{batch_page}"
    );
    assert!(batch_page.contains("envoyé"), "the statuses");

    // Again, within the delay, even by SMS: nobody is reminded twice.
    let again = [
        ("kind", "relance"),
        ("cible", "etat"),
        ("etat", "started"),
        ("courriel", "oui"),
        ("sms", "oui"),
        ("confirmed", "oui"),
    ];
    let (status, _, page) = post(&app, &staff, &uai, &again).await;
    assert_eq!(status, 200, "shown, not sent");
    assert!(page.contains("Aucune famille à joindre"), "{page}");
    assert!(page.contains(&format!(
        "{} responsable(s) déjà invité(s) ou relancé(s)",
        expected.len()
    )));
    assert_eq!(app.run_jobs().await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM reminder_batches").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages").await as usize,
        expected.len()
    );
    // Once the delay is over, they may be reminded again.
    sqlx::query("UPDATE messages SET created_at = created_at - 4 * 24 * 3600 * 1000")
        .execute(app.db().pool())
        .await
        .unwrap();
    let (_, _, page) = post(&app, &staff, &uai, &choice).await;
    assert!(page.contains(&format!("Envoyer à {} responsable(s)", expected.len())));

    // The dashboard tells who came back after it: a family of the second
    // dossier sends it, a guardian of the third signs in; the others do not.
    let later = dossiersco::db::now_ms() + 1000;
    sqlx::query("UPDATE dossiers SET state = 'submitted', submitted_at = $1 WHERE id = $2")
        .bind(later)
        .bind(ids[1])
        .execute(app.db().pool())
        .await
        .unwrap();
    sqlx::query(
        "UPDATE guardians SET last_sign_in_at = $1 WHERE id IN
           (SELECT m.guardian_id FROM messages m WHERE m.dossier_id IN ($2, $3))",
    )
    .bind(later)
    .bind(ids[1])
    .bind(ids[2])
    .execute(app.db().pool())
    .await
    .unwrap();
    let reached_dossiers: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT dossier_id) FROM messages WHERE kind = 'reminder'",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let dashboard = app
        .get_html_as(&staff, &format!("/etablissements/{uai}"))
        .await
        .1;
    let row = &dashboard[dashboard
        .find("data-reminder=")
        .expect("the reminder's line")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains(&format!("<td data-dossiers>{reached_dossiers}</td>")),
        "{row}"
    );
    assert!(row.contains("<td data-signed-in>2</td>"), "{row}");
    assert!(row.contains("<td data-sent>1</td>"), "{row}");
    assert!(row.contains("Relance du "), "{row}");
    app.finish().await;
}

async fn a_reminder_to_an_empty_selection_says_so_and_sends_nothing(app: TestApp) {
    let seeded = app.seed_demo().await;
    let staff = secretariat(&app).await;
    let empty = [
        ("kind", "relance"),
        ("cible", "selection"),
        ("courriel", "oui"),
        ("confirmed", "oui"),
    ];
    let (status, _, page) = post(&app, &staff, &seeded.uai, &empty).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("aucun dossier ne correspond à ce choix"),
        "{page}"
    );
    assert!(!page.contains("Envoyer à"), "no button to send");
    assert_eq!(app.run_jobs().await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM reminder_batches").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, 0);
    app.finish().await;
}

async fn a_message_to_one_family_goes_to_each_guardian_and_shows_on_the_dossier(app: TestApp) {
    let seeded = app.seed_demo().await;
    let uai = seeded.uai.clone();
    let dossier: i64 = sqlx::query_scalar(
        "SELECT d.id FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id JOIN schools s ON s.id = c.school_id
         WHERE s.uai = $1 AND c.school_year = (SELECT MAX(c2.school_year) FROM campaigns c2 WHERE c2.school_id = s.id)
         ORDER BY d.id LIMIT 1",
    )
    .bind(&uai)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let staff = secretariat(&app).await;
    let page = format!("/etablissements/{uai}/dossiers/{dossier}");
    let response = app
        .post_form_as(
            &staff,
            &page,
            &format!("{page}/message"),
            &[
                ("text", "Merci d'apporter le certificat <médical> vendredi."),
                ("courriel", "oui"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    app.run_jobs().await;
    let with_email: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM guardianships l JOIN dossiers d ON d.pupil_id = l.pupil_id
         JOIN guardians g ON g.id = l.guardian_id WHERE d.id = $1 AND g.email LIKE '%@%'",
    )
    .bind(dossier)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert!(with_email > 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages WHERE kind = 'individual' AND status = 'sent'")
            .await,
        with_email
    );
    let html: String = sqlx::query_scalar("SELECT body_html FROM outbox_emails LIMIT 1")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert!(html.contains("&lt;médical&gt;"), "escaped in the HTML part");
    let (_, shown) = app.get_html_as(&staff, &page).await;
    assert!(shown.contains("Message de l&#39;établissement"), "{shown}");
    // Nothing to say, or no channel: nothing sent.
    let response = app
        .post_form_as(
            &staff,
            &page,
            &format!("{page}/message"),
            &[("text", " "), ("courriel", "oui")],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(app.run_jobs().await, 0);
    app.finish().await;
}

on_both_databases_with!(crate::reminders::one_a_second;
    a_reminder_to_started_but_not_sent_reaches_exactly_those_families_once_within_the_delay,
    a_reminder_to_an_empty_selection_says_so_and_sends_nothing,
    a_message_to_one_family_goes_to_each_guardian_and_shows_on_the_dossier,
);
