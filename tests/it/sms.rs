//! SMS through the outbox and through the HTTP provider (Brevo's API), the
//! provider played by a local HTTP server that records what it receives and
//! answers what the test tells it; e-mail and SMS queued through one door
//! (`notify::enqueue`).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use dossiersco::mail::Email;
use dossiersco::notify::{self, Message};
use dossiersco::secret::Secret;
use dossiersco::settings::SmsTransport;
use dossiersco::sms::Sms;

use crate::harness::TestApp;
use crate::on_both_databases;

/// What the stand-in received: (path, api-key header, JSON body).
type Received = Arc<Mutex<Vec<(String, String, serde_json::Value)>>>;

/// A stand-in for the provider answering `status` with `body`.
async fn provider(status: StatusCode, body: &'static str) -> (String, Received) {
    let received: Received = Arc::default();
    let record = received.clone();
    let app = Router::new().route(
        "/v3/transactionalSMS/send",
        post(move |headers: HeaderMap, body_in: String| {
            let record = record.clone();
            async move {
                record.lock().unwrap().push((
                    "/v3/transactionalSMS/send".to_owned(),
                    headers
                        .get("api-key")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned(),
                    serde_json::from_str(&body_in).unwrap_or_default(),
                ));
                (status, body)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/v3/transactionalSMS/send",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

async fn with_provider(
    backend: dossiersco::db::Backend,
    status: StatusCode,
    body: &'static str,
) -> Option<(TestApp, Received)> {
    let (url, received) = provider(status, body).await;
    let app = TestApp::spawn_with(backend, |settings| {
        settings.sms_transport = SmsTransport::Brevo;
        settings.sms_api_url = url;
        settings.sms_api_key = Some(Secret::from("cle-de-test"));
        settings.sms_webhook_secret = Some(Secret::from(WEBHOOK_SECRET));
    })
    .await?;
    Some((app, received))
}

/// The token Brevo's webhook sends (`sms_webhook_secret`).
const WEBHOOK_SECRET: &str = "secret-du-webhook-de-test";

async fn queue(app: &TestApp, message: Message) -> i64 {
    let mut tx = app.db().begin().await.unwrap();
    let id = notify::enqueue(&mut *tx, &message, None).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn job(app: &TestApp, id: i64) -> (String, i64, String) {
    sqlx::query_as("SELECT status, attempts, last_error FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

fn sms(to: &str) -> Message {
    Message::Sms(Sms {
        to: to.to_owned(),
        text: "Collège Voisin : la réinscription est ouverte.".to_owned(),
    })
}

async fn an_e_mail_and_an_sms_go_through_one_door_to_their_outboxes(app: TestApp) {
    queue(
        &app,
        Message::Email(Email {
            to: "awa.diallo@exemple.fr".into(),
            subject: "Réinscription".into(),
            body_text: "Bonjour".into(),
        }),
    )
    .await;
    queue(&app, sms("06 12 34 56 78")).await;
    assert_eq!(app.run_jobs().await, 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox_emails WHERE recipient = 'awa.diallo@exemple.fr'")
            .await,
        1
    );
    let stored: (String, String) = sqlx::query_as("SELECT recipient, body FROM outbox_sms")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(stored.0, "33612345678");
    assert!(stored.1.contains("réinscription est ouverte"));
    // Not a mobile phone: refused at once with its reason, nothing stored.
    let id = queue(&app, sms("01 40 00 00 00")).await;
    app.run_jobs().await;
    let (status, attempts, error) = job(&app, id).await;
    assert_eq!((status.as_str(), attempts), ("failed", 1));
    assert!(
        error.contains("n'est pas un numéro de téléphone portable"),
        "{error}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox_sms").await, 1);
    app.finish().await;
}

async fn the_provider_receives_the_sms_with_its_key(backend: dossiersco::db::Backend) {
    let Some((app, received)) =
        with_provider(backend, StatusCode::CREATED, r#"{"messageId":1}"#).await
    else {
        return;
    };
    let id = queue(&app, sms("+33 7 00 00 00 01")).await;
    app.run_jobs().await;
    assert_eq!(job(&app, id).await.0, "done");
    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let (_, key, body) = &received[0];
    assert_eq!(key, "cle-de-test");
    assert_eq!(body["recipient"], "33700000001");
    assert_eq!(body["sender"], "DossierSCO");
    assert_eq!(body["type"], "transactional");
    assert!(body["content"].as_str().unwrap().contains("réinscription"));
    app.finish().await;
}

async fn a_refused_sms_fails_with_the_provider_s_reason(backend: dossiersco::db::Backend) {
    let Some((app, received)) = with_provider(
        backend,
        StatusCode::BAD_REQUEST,
        r#"{"code":"invalid_parameter","message":"Invalid phone number"}"#,
    )
    .await
    else {
        return;
    };
    let id = queue(&app, sms("06 12 34 56 78")).await;
    app.run_jobs().await;
    let (status, attempts, error) = job(&app, id).await;
    assert_eq!((status.as_str(), attempts), ("failed", 1), "not retried");
    assert!(error.contains("400 Invalid phone number"), "{error}");
    assert_eq!(received.lock().unwrap().len(), 1);
    app.finish().await;
}

async fn a_provider_in_trouble_is_retried_later(backend: dossiersco::db::Backend) {
    let Some((app, received)) =
        with_provider(backend, StatusCode::SERVICE_UNAVAILABLE, "maintenance").await
    else {
        return;
    };
    let id = queue(&app, sms("06 12 34 56 78")).await;
    app.run_jobs().await;
    let (status, attempts, error) = job(&app, id).await;
    assert_eq!(
        (status.as_str(), attempts),
        ("queued", 1),
        "retried with backoff"
    );
    assert!(
        error.contains("503") && error.contains("maintenance"),
        "{error}"
    );
    assert_eq!(received.lock().unwrap().len(), 1);
    // Settle the job so that the test leaves none behind.
    sqlx::query("UPDATE jobs SET status = 'failed' WHERE id = $1")
        .bind(id)
        .execute(app.db().pool())
        .await
        .unwrap();
    app.finish().await;
}

/// A guardian of the demo school with a child in the current campaign, the
/// dossier, and the school: (school_id, guardian_id, dossier_id, UAI).
async fn a_demo_guardian(app: &TestApp) -> (i64, i64, i64, String) {
    let seeded = app.seed_demo().await;
    let (school_id, guardian_id, dossier_id): (i64, i64, i64) = sqlx::query_as(
        "SELECT s.id, l.guardian_id, d.id FROM dossiers d
         JOIN campaigns c ON c.id = d.campaign_id JOIN schools s ON s.id = c.school_id
         JOIN guardianships l ON l.pupil_id = d.pupil_id
         WHERE s.uai = $1 ORDER BY c.id DESC, d.id, l.guardian_id LIMIT 1",
    )
    .bind(&seeded.uai)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    (school_id, guardian_id, dossier_id, seeded.uai)
}

/// Sends `message` to the guardian through `notify::send`; the message's id.
async fn send_to(app: &TestApp, to: (i64, i64, i64), message: Message) -> i64 {
    let mut tx = app.db().begin().await.unwrap();
    let id = notify::send(
        &mut tx,
        &notify::Recipient {
            school_id: to.0,
            guardian_id: to.1,
            dossier_id: Some(to.2),
            batch_id: None,
        },
        notify::Kind::Individual,
        &message,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

/// (status, failure, provider id) of a message.
async fn status_of(app: &TestApp, id: i64) -> (String, String, Option<String>) {
    sqlx::query_as("SELECT status, failure, provider_id FROM messages WHERE id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

async fn report(app: &TestApp, authorization: Option<&str>, body: &str) -> u16 {
    let mut request = reqwest::Client::new()
        .post(app.url("/webhooks/sms"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.send().await.unwrap().status().as_u16()
}

/// `text` as the page's templates escape it.
fn as_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('\'', "&#39;")
        .replace('"', "&quot;")
}

/// The staff's view of the dossier's page.
async fn dossier_page(app: &TestApp, uai: &str, dossier_id: i64) -> String {
    let staff = TestApp::client_for(app);
    let signed_in = app
        .sign_in_agent_as(
            &staff,
            "secretariat@demo.dossiersco.fr",
            dossiersco::demo::DEMO_PASSWORD,
        )
        .await;
    assert_eq!(signed_in.status(), 303);
    staff
        .get(app.url(&format!("/etablissements/{uai}/dossiers/{dossier_id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn a_message_is_queued_then_sent_with_the_provider_s_id_then_delivered_by_its_report(
    backend: dossiersco::db::Backend,
) {
    let Some((app, received)) = with_provider(
        backend,
        StatusCode::CREATED,
        r#"{"messageId":1511882900176220}"#,
    )
    .await
    else {
        return;
    };
    let (school, guardian, dossier, _) = a_demo_guardian(&app).await;
    let id = send_to(&app, (school, guardian, dossier), sms("06 12 34 56 78")).await;
    assert_eq!(status_of(&app, id).await.0, "queued");
    app.run_jobs().await;
    assert_eq!(
        status_of(&app, id).await,
        (
            "sent".into(),
            String::new(),
            Some("1511882900176220".into())
        )
    );
    assert_eq!(received.lock().unwrap().len(), 1);
    // Brevo's report of the delivery, with the shared secret.
    let delivered = r#"{"id":26570,"to":"33612345678","sms_count":1,"credits_used":1.5,
        "messageId":1511882900176220,"remaining_credit":11488.8,"msg_status":"delivered",
        "date":"2026-12-01 10:00:00","type":"transactional","reference":"ab1cde2fgh3i"}"#;
    let bearer = format!("Bearer {WEBHOOK_SECRET}");
    assert_eq!(report(&app, Some(&bearer), delivered).await, 200);
    assert_eq!(status_of(&app, id).await.0, "delivered");
    // A later bounce of a delivered message changes nothing.
    let bounced = delivered.replace("\"delivered\"", "\"hard_bounce\"");
    assert_eq!(report(&app, Some(&bearer), &bounced).await, 200);
    assert_eq!(status_of(&app, id).await.0, "delivered");
    app.finish().await;
}

async fn a_bounce_reported_by_the_provider_shows_its_reason_on_the_family_s_line(
    backend: dossiersco::db::Backend,
) {
    let Some((app, _)) = with_provider(backend, StatusCode::CREATED, r#"{"messageId":777}"#).await
    else {
        return;
    };
    let (school, guardian, dossier, uai) = a_demo_guardian(&app).await;
    let id = send_to(&app, (school, guardian, dossier), sms("07 00 00 00 01")).await;
    app.run_jobs().await;
    let bearer = format!("Bearer {WEBHOOK_SECRET}");
    // A batch of events (Brevo's batched webhooks): one about an unknown
    // message, ignored.
    let events = r#"[{"messageId":777,"msg_status":"hard_bounce","to":"33700000001"},
                     {"messageId":999,"msg_status":"delivered"}]"#;
    assert_eq!(report(&app, Some(&bearer), events).await, 200);
    let (status, failure, _) = status_of(&app, id).await;
    assert_eq!(status, "bounced");
    assert!(failure.contains("injoignable"), "{failure}");
    let page = dossier_page(&app, &uai, dossier).await;
    assert!(page.contains("Messages à"), "{page}");
    assert!(page.contains("non distribué"), "the status in words");
    assert!(
        page.contains(&as_html(&failure)),
        "the reason on the family's line"
    );
    assert!(page.contains("07 00 00 00 01"), "the number it went to");
    app.finish().await;
}

async fn the_webhook_refuses_reports_without_the_shared_secret(backend: dossiersco::db::Backend) {
    let Some((app, _)) = with_provider(backend, StatusCode::CREATED, r#"{"messageId":555}"#).await
    else {
        return;
    };
    let (school, guardian, dossier, _) = a_demo_guardian(&app).await;
    let id = send_to(&app, (school, guardian, dossier), sms("06 12 34 56 78")).await;
    app.run_jobs().await;
    let bounce = r#"{"messageId":555,"msg_status":"hard_bounce"}"#;
    for authorization in [
        None,
        Some("Bearer "),
        Some("Bearer secret-du-webhook-de-tesT"),
        Some("Bearer secret-du-webhook-de-test-et-plus"),
        Some("secret-du-webhook-de-test"),
        Some("Basic c2VjcmV0LWR1LXdlYmhvb2stZGUtdGVzdA=="),
    ] {
        assert_eq!(
            report(&app, authorization, bounce).await,
            401,
            "{authorization:?}"
        );
    }
    assert_eq!(status_of(&app, id).await.0, "sent", "nothing recorded");
    app.finish().await;
}

async fn without_its_setting_the_webhook_refuses_every_report(app: TestApp) {
    assert_eq!(
        report(
            &app,
            Some("Bearer "),
            r#"{"messageId":1,"msg_status":"delivered"}"#
        )
        .await,
        401
    );
    assert_eq!(
        report(
            &app,
            Some("Bearer x"),
            r#"{"messageId":1,"msg_status":"delivered"}"#
        )
        .await,
        401
    );
    app.finish().await;
}

async fn an_invalid_number_or_address_is_reported_not_sent(app: TestApp) {
    let (school, guardian, dossier, uai) = a_demo_guardian(&app).await;
    let to = (school, guardian, dossier);
    let bad_sms = send_to(&app, to, sms("01 40 00 00 00")).await;
    let bad_email = send_to(
        &app,
        to,
        Message::Email(Email {
            to: "pas-une-adresse".into(),
            subject: "Réinscription".into(),
            body_text: "Bonjour".into(),
        }),
    )
    .await;
    let good = send_to(
        &app,
        to,
        Message::Email(Email {
            to: "awa.diallo@exemple.fr".into(),
            subject: "Réinscription".into(),
            body_text: "Bonjour,\n\nRendez-vous sur https://exemple.fr/famille <ici>.".into(),
        }),
    )
    .await;
    app.run_jobs().await;
    let (status, failure, _) = status_of(&app, bad_sms).await;
    assert_eq!(status, "failed");
    assert!(
        failure.contains("n'est pas un numéro de téléphone portable"),
        "{failure}"
    );
    let (status, failure, _) = status_of(&app, bad_email).await;
    assert_eq!(status, "failed");
    assert!(
        failure.contains("n'est pas une adresse électronique valide"),
        "{failure}"
    );
    assert_eq!(status_of(&app, good).await.0, "sent");
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox_sms").await, 0);
    // Only the good e-mail went, as text and HTML.
    let (recipient, html): (String, String) =
        sqlx::query_as("SELECT recipient, body_html FROM outbox_emails")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(recipient, "awa.diallo@exemple.fr");
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(
        html.contains("<a href=\"https://exemple.fr/famille\""),
        "{html}"
    );
    assert!(html.contains("&lt;ici&gt;"), "escaped: {html}");
    let page = dossier_page(&app, &uai, dossier).await;
    assert!(page.contains(&as_html(
        "« pas-une-adresse » n'est pas une adresse électronique valide"
    )));
    assert!(page.contains(&as_html("n'est pas un numéro de téléphone portable")));
    app.finish().await;
}

async fn a_provider_down_is_retried_then_the_message_fails_with_its_reason(
    backend: dossiersco::db::Backend,
) {
    let Some((app, received)) =
        with_provider(backend, StatusCode::SERVICE_UNAVAILABLE, "maintenance").await
    else {
        return;
    };
    let (school, guardian, dossier, _) = a_demo_guardian(&app).await;
    let id = send_to(&app, (school, guardian, dossier), sms("06 12 34 56 78")).await;
    app.run_jobs().await;
    assert_eq!(status_of(&app, id).await.0, "queued", "to be retried");
    let (job_status, attempts, max_attempts, run_at): (String, i64, i64, i64) = sqlx::query_as(
        "SELECT status, attempts, max_attempts, run_at FROM jobs WHERE kind = 'send_sms'",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!((job_status.as_str(), attempts), ("queued", 1));
    assert!(run_at > dossiersco::db::now_ms(), "later, with backoff");
    // Every attempt fails the same way: at the last one, the message fails
    // with the provider's reason.
    for _ in 1..max_attempts {
        sqlx::query("UPDATE jobs SET run_at = 0 WHERE kind = 'send_sms'")
            .execute(app.db().pool())
            .await
            .unwrap();
        app.run_jobs().await;
    }
    assert_eq!(received.lock().unwrap().len() as i64, max_attempts);
    let (status, failure, _) = status_of(&app, id).await;
    assert_eq!(status, "failed");
    assert!(
        failure.contains("503") && failure.contains("maintenance"),
        "{failure}"
    );
    app.finish().await;
}

/// A provider that never answers in time: each attempt ends at the
/// client's timeout (`sms_timeout_secs`, 1 s here, 10 s by default), the job is retried with backoff, and at its last
/// attempt the message fails with the reason.
async fn a_provider_that_times_out_is_retried_then_the_message_fails_with_its_reason(
    backend: dossiersco::db::Backend,
) {
    let slow = Router::new().route(
        "/v3/transactionalSMS/send",
        post(|| async {
            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
            (StatusCode::CREATED, r#"{"messageId":1}"#)
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/v3/transactionalSMS/send",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, slow).await });
    let Some(app) = TestApp::spawn_with(backend, |settings| {
        settings.sms_transport = SmsTransport::Brevo;
        settings.sms_api_url = url;
        settings.sms_api_key = Some(Secret::from("cle-de-test"));
        settings.sms_timeout_secs = 1;
    })
    .await
    else {
        return;
    };
    let (school, guardian, dossier, _) = a_demo_guardian(&app).await;
    let id = send_to(&app, (school, guardian, dossier), sms("06 12 34 56 78")).await;
    app.run_jobs().await;
    let (job_status, attempts, last_error): (String, i64, String) =
        sqlx::query_as("SELECT status, attempts, last_error FROM jobs WHERE kind = 'send_sms'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(
        (job_status.as_str(), attempts),
        ("queued", 1),
        "retried later"
    );
    assert!(last_error.contains("pas de réponse en 1 s"), "{last_error}");
    assert_eq!(status_of(&app, id).await.0, "queued");
    // The last attempt (the others are the same, and long).
    sqlx::query("UPDATE jobs SET run_at = 0, attempts = max_attempts - 1 WHERE kind = 'send_sms'")
        .execute(app.db().pool())
        .await
        .unwrap();
    app.run_jobs().await;
    let (status, failure, _) = status_of(&app, id).await;
    assert_eq!(status, "failed");
    assert!(failure.contains("pas de réponse en 1 s"), "{failure}");
    app.finish().await;
}

on_both_databases!(
    an_e_mail_and_an_sms_go_through_one_door_to_their_outboxes,
    without_its_setting_the_webhook_refuses_every_report,
    an_invalid_number_or_address_is_reported_not_sent,
);

macro_rules! with_provider_on_both {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$test(dossiersco::db::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$test(dossiersco::db::Backend::Postgres).await
            }
        }
    )*};
}

with_provider_on_both!(
    the_provider_receives_the_sms_with_its_key,
    a_refused_sms_fails_with_the_provider_s_reason,
    a_provider_in_trouble_is_retried_later,
    a_message_is_queued_then_sent_with_the_provider_s_id_then_delivered_by_its_report,
    a_bounce_reported_by_the_provider_shows_its_reason_on_the_family_s_line,
    the_webhook_refuses_reports_without_the_shared_secret,
    a_provider_down_is_retried_then_the_message_fails_with_its_reason,
    a_provider_that_times_out_is_retried_then_the_message_fails_with_its_reason,
);
