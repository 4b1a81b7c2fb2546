//! The job queue, on both databases: claims, retries, leases, progress.

use dossiersco::db::now_ms;
use dossiersco::jobs::{self, queue};
use dossiersco::mail::{Email, SendEmailJob};

use crate::harness::TestApp;
use crate::on_both_databases;

fn email(n: usize) -> SendEmailJob {
    SendEmailJob {
        message_id: None,
        email: Email {
            to: format!("parent{n}@exemple.fr"),
            subject: format!("Message {n}"),
            body_text: "Bonjour".into(),
        },
    }
}

async fn enqueuing_twice_with_the_same_key_keeps_one_job(app: TestApp) {
    let pool = app.db().pool();
    let first = jobs::enqueue(pool, &email(1), Some("reminder:42"), None)
        .await
        .unwrap();
    let second = jobs::enqueue(pool, &email(1), Some("reminder:42"), None)
        .await
        .unwrap();
    let other = jobs::enqueue(pool, &email(1), Some("reminder:43"), None)
        .await
        .unwrap();
    assert_eq!(first, second);
    assert_ne!(first, other);
    assert_eq!(app.count("SELECT COUNT(*) FROM jobs").await, 2);
    assert_eq!(app.run_jobs().await, 2);
    app.finish().await;
}

async fn concurrent_workers_run_every_job_exactly_once(app: TestApp) {
    for n in 0..40 {
        jobs::enqueue(app.db().pool(), &email(n), None, None)
            .await
            .unwrap();
    }
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let state = app.state.clone();
            tokio::spawn(async move {
                dossiersco::app::run_jobs_until_idle(&state, &format!("worker-{w}"))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut ran = 0;
    for worker in workers {
        ran += worker.await.unwrap();
    }
    assert_eq!(ran, 40);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs WHERE status = 'done' AND attempts = 1")
            .await,
        40
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox_emails").await, 40);
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT subject) FROM outbox_emails")
            .await,
        40
    );
    app.finish().await;
}

async fn a_failing_job_is_retried_with_backoff_then_marked_failed(app: TestApp) {
    let pool = app.db().pool();
    let id = queue::enqueue(pool, "no_such_kind", "{}", None, None)
        .await
        .unwrap();
    sqlx::query("UPDATE jobs SET max_attempts = 2 WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(app.run_jobs().await, 1);
    let job = queue::find(pool, id).await.unwrap().unwrap();
    assert_eq!((job.status.as_str(), job.attempts), ("queued", 1));
    assert!(
        job.last_error.contains("unknown job kind"),
        "{}",
        job.last_error
    );
    let run_at: i64 = sqlx::query_scalar("SELECT run_at FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(run_at > now_ms(), "the retry waits for its backoff");
    assert_eq!(app.run_jobs().await, 0, "not before its time");

    sqlx::query("UPDATE jobs SET run_at = 0 WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(app.run_jobs().await, 1);
    let job = queue::find(pool, id).await.unwrap().unwrap();
    assert_eq!((job.status.as_str(), job.attempts), ("failed", 2));
    app.finish().await;
}

async fn a_job_whose_worker_vanished_comes_back_after_its_lease(app: TestApp) {
    let pool = app.db().pool();
    let id = jobs::enqueue(pool, &email(7), None, None).await.unwrap();
    let claimed = queue::claim(app.db(), "crashed-worker")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, id);
    assert!(
        queue::claim(app.db(), "other").await.unwrap().is_none(),
        "a claimed job is not claimed twice"
    );
    assert_eq!(
        queue::requeue_expired(pool).await.unwrap(),
        0,
        "the lease still runs"
    );
    sqlx::query("UPDATE jobs SET locked_until = $2 WHERE id = $1")
        .bind(id)
        .bind(now_ms() - 1)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(queue::requeue_expired(pool).await.unwrap(), 1);
    assert_eq!(app.run_jobs().await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox_emails").await, 1);
    app.finish().await;
}

async fn a_retried_email_job_is_stored_once_in_the_outbox(app: TestApp) {
    let id = jobs::enqueue(app.db().pool(), &email(3), None, None)
        .await
        .unwrap();
    let job = email(3);
    // Deliver twice for the same job, as a retry after a crash would.
    app.state.mailer.send(&job.email, Some(id)).await.unwrap();
    app.state.mailer.send(&job.email, Some(id)).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox_emails").await, 1);
    app.run_jobs().await;
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox_emails").await, 1);
    app.finish().await;
}

async fn the_job_page_shows_progress_then_completion(app: TestApp) {
    let demo = app.seed_demo().await;
    app.sign_in_agent(
        "direction@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let dashboard = format!("/etablissements/{}", demo.uai);
    let response = app
        .post_form(&dashboard, &format!("{dashboard}/courriels-de-test"), &[])
        .await;
    assert_eq!(response.status(), 303);
    let job_page = response.headers()["location"].to_str().unwrap().to_owned();
    let job_id: i64 = job_page.rsplit('/').next().unwrap().parse().unwrap();

    queue::set_progress(app.db().pool(), job_id, 1, 4)
        .await
        .unwrap();
    let html = app.get_html(&job_page).await.1;
    assert!(
        html.contains("En attente") && html.contains("value=\"25\""),
        "{html}"
    );
    assert!(
        html.contains("Le courriel de test part"),
        "the flash message is shown once"
    );
    assert!(
        !app.get_html(&job_page)
            .await
            .1
            .contains("Le courriel de test part")
    );

    app.run_jobs().await;
    let html = app.get_html(&job_page).await.1;
    assert!(html.contains("Terminée") && html.contains("value=\"100\""));
    let outbox = app.get_html("/outbox").await.1;
    assert!(
        outbox.contains("DossierSCO : courriel de test")
            && outbox.contains("direction@demo.dossiersco.fr")
    );
    app.finish().await;
}

on_both_databases!(
    enqueuing_twice_with_the_same_key_keeps_one_job,
    concurrent_workers_run_every_job_exactly_once,
    a_failing_job_is_retried_with_backoff_then_marked_failed,
    a_job_whose_worker_vanished_comes_back_after_its_lease,
    a_retried_email_job_is_stored_once_in_the_outbox,
    the_job_page_shows_progress_then_completion,
);
