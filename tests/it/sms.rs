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
        "/v3/transactionalSMS/sms",
        post(move |headers: HeaderMap, body_in: String| {
            let record = record.clone();
            async move {
                record.lock().unwrap().push((
                    "/v3/transactionalSMS/sms".to_owned(),
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
        "http://{}/v3/transactionalSMS/sms",
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
    })
    .await?;
    Some((app, received))
}

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

on_both_databases!(an_e_mail_and_an_sms_go_through_one_door_to_their_outboxes);

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
);
