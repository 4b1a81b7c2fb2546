//! E-mail transports: the outbox (always) and a real SMTP server (when
//! `DOSSIERSCO_TEST_SMTP_ADDR` is set).

use std::time::Duration;

use dossiersco::db::Backend;
use dossiersco::jobs;
use dossiersco::mail::{Email, SendEmailJob};
use dossiersco::settings::{MailTransport, SmtpTls};

use crate::harness::{TestApp, require};

#[tokio::test]
async fn the_outbox_is_not_visible_unless_enabled() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.outbox_web = false)
        .await
        .unwrap();
    assert_eq!(app.get("/outbox").await.status(), 404);
    assert_eq!(app.get("/outbox/1").await.status(), 404);
    assert!(!app.get_html("/").await.1.contains("/outbox"));
    app.finish().await;
}

#[tokio::test]
async fn an_email_job_is_delivered_to_a_real_smtp_server() {
    let Some(addr) = require("DOSSIERSCO_TEST_SMTP_ADDR", "SMTP delivery test") else {
        return;
    };
    let maildir = require("DOSSIERSCO_TEST_SMTP_MAILDIR", "SMTP delivery test")
        .expect("the Maildir of the SMTP server");
    let (host, port) = addr.rsplit_once(':').unwrap();
    let (host, port) = (host.to_owned(), port.parse().unwrap());
    let app = TestApp::spawn_with(Backend::Sqlite, move |s| {
        s.mail_transport = MailTransport::Smtp;
        s.smtp_host = host;
        s.smtp_port = port;
        s.smtp_tls = SmtpTls::None;
    })
    .await
    .unwrap();
    let marker = uuid::Uuid::new_v4().simple().to_string();
    let job = SendEmailJob {
        message_id: None,
        email: Email {
            to: "parent@exemple.fr".into(),
            subject: format!("Test {marker}"),
            body_text: "Réinscription enregistrée.".into(),
        },
    };
    jobs::enqueue(app.db().pool(), &job, None, None)
        .await
        .unwrap();
    assert_eq!(app.run_jobs().await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs WHERE status = 'done'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox_emails").await,
        0,
        "SMTP, not the outbox"
    );

    let new = std::path::Path::new(&maildir).join("new");
    let mut found = None;
    for _ in 0..50 {
        found = std::fs::read_dir(&new)
            .unwrap()
            .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
            .find(|m| m.contains(&marker));
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let message = found.expect("the message reached the SMTP server's Maildir");
    assert!(message.contains("parent@exemple.fr"));
    assert!(message.contains("ne-pas-repondre@dossiersco.localhost"));
    app.finish().await;
}
