//! Family sign-in under attack: a known code leaves only the birth date to
//! guess, so the code is locked for longer each time, and the school sees the
//! codes that keep failing.

use dossiersco::db::now_ms;
use dossiersco::demo::DEMO_PASSWORD;

use crate::family::{family, sign_in};
use crate::harness::TestApp;
use crate::on_both_databases_with;

async fn a_code_that_keeps_failing_is_locked_longer_each_time_and_shown_to_the_school(
    app: TestApp,
) {
    let seeded = app.seed_demo().await;
    let (code, birth) = family(&app, &seeded, "la mère").await;
    let guardian: i64 = sqlx::query_scalar("SELECT id FROM guardians WHERE access_code_hash = $1")
        .bind(dossiersco::domain::access_code::hash(&code))
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let expire_lock = || async {
        sqlx::query("UPDATE guardians SET locked_until = $2 WHERE id = $1")
            .bind(guardian)
            .bind(now_ms() - 1)
            .execute(app.db().pool())
            .await
            .unwrap();
    };
    let locked_message = || async {
        let response = sign_in(&app, &code, &birth).await;
        assert_eq!(response.status(), 403);
        response.text().await.unwrap()
    };
    // Five wrong dates: 15 minutes. Five more once it ends: 30 minutes, then an hour.
    for expected in ["15 minutes", "30 minutes", "60 minutes"] {
        for _ in 0..5 {
            assert_eq!(sign_in(&app, &code, "2001-01-01").await.status(), 401);
        }
        let html = locked_message().await;
        assert!(
            html.contains(&format!("bloqué pendant {expected}")),
            "{expected}"
        );
        expire_lock().await;
    }
    for _ in 0..5 {
        sign_in(&app, &code, "2001-01-01").await;
    }
    assert!(locked_message().await.contains("bloqué pendant 2 heures"));
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'sign_in_code_locked'")
            .await,
        4
    );

    // The direction sees the code on its dashboard, with a link to the dossier.
    let family_name: (String, String) =
        sqlx::query_as("SELECT first_name, last_name FROM guardians WHERE id = $1")
            .bind(guardian)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    let dashboard_path = format!("/etablissements/{}", seeded.uai);
    let dashboard_as = |email: &'static str| {
        let app = &app;
        let path = dashboard_path.clone();
        async move {
            app.sign_in_agent(email, DEMO_PASSWORD).await;
            let html = app.get_html(&path).await.1;
            app.post_form(&path, "/agent/deconnexion", &[]).await;
            html
        }
    };
    let dashboard = dashboard_as("direction@demo.dossiersco.fr").await;
    assert!(dashboard.contains("Codes personnels en échec"));
    assert!(
        dashboard.contains(&format!("{} {}", family_name.0, family_name.1)),
        "the guardian is listed"
    );
    assert!(dashboard.contains("Bloqué"));
    // The nurse does not issue codes: the list is not shown to her.
    let hers = dashboard_as("infirmerie@demo.dossiersco.fr").await;
    assert!(!hers.contains("Codes personnels en échec"));

    // Once the lock ends, the right date lets the family in and the
    // progression starts again.
    expire_lock().await;
    assert_eq!(sign_in(&app, &code, &birth).await.status(), 303);
    let lockouts: i64 = sqlx::query_scalar("SELECT sign_in_lockouts FROM guardians WHERE id = $1")
        .bind(guardian)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(lockouts, 0);
    let dashboard = dashboard_as("direction@demo.dossiersco.fr").await;
    assert!(dashboard.contains("Aucun code personnel n'échoue"));
    app.finish().await;
}

/// This test fails twenty times from one address in a few seconds: the
/// per-address limit (tested in agent_sign_in) is raised out of its way.
pub fn patient_address(settings: &mut dossiersco::settings::Settings) {
    settings.sign_in_failures_per_minute = 1000;
}

on_both_databases_with!(crate::family_sign_in::patient_address;
    a_code_that_keeps_failing_is_locked_longer_each_time_and_shown_to_the_school
);
