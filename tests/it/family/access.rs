//! Who may open and change a dossier: other families, other schools, a sent
//! dossier, wrong codes and locking.

use super::{family, location, mother_dossier, send_dossier, sign_in, walk_without_change};
use crate::harness::TestApp;
use crate::on_both_databases;

async fn a_guardian_cannot_open_or_change_another_familys_dossier(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    let other: i64 = sqlx::query_scalar(
        "SELECT d.id FROM dossiers d JOIN pupils p ON p.id = d.pupil_id WHERE p.last_name = 'MARTIN' ORDER BY d.id LIMIT 1",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let foreign = format!("/famille/dossiers/{other}/eleve");
    assert_eq!(app.get(&foreign).await.status(), 404);
    let token = app.csrf_token(&format!("{base}/accueil")).await;
    let forged = app
        .client
        .post(app.url(&foreign))
        .form(&[
            ("csrf_token", token.as_str()),
            ("last_name", "PIRATE"),
            ("first_name", "X"),
            ("sex", "M"),
            ("birth_date", "2013-01-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM pupil_changes").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'forbidden_dossier'")
            .await,
        2
    );
    // Not signed in at all: sent to the sign-in page.
    let anonymous = TestApp::client_for(&app);
    let response = anonymous
        .get(app.url(&format!("{base}/eleve")))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/famille/connexion");
    app.finish().await;
}

async fn a_sent_dossier_can_no_longer_be_changed_by_url_or_forged_form(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    send_dossier(&app, &base).await;
    app.run_jobs().await;
    assert_eq!(
        location(&app.get(&format!("{base}/eleve")).await),
        format!("{base}/confirmation")
    );
    let token = app.csrf_token(&format!("{base}/confirmation")).await;
    let forged = app
        .client
        .post(app.url(&format!("{base}/eleve")))
        .form(&[
            ("csrf_token", token.as_str()),
            ("last_name", "AUTRE"),
            ("first_name", "Inès"),
            ("sex", "F"),
            ("birth_date", "2013-08-22"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 409);
    assert!(forged.text().await.unwrap().contains("Dossier déjà envoyé"));
    let again = app
        .client
        .post(app.url(&format!("{base}/validation")))
        .form(&[("csrf_token", token.as_str()), ("attestation", "oui")])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    assert_eq!(app.count("SELECT COUNT(*) FROM pupil_changes").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossier_transitions WHERE to_state = 'submitted'")
            .await,
        1
    );
    app.finish().await;
}

async fn wrong_codes_get_a_clear_message_and_a_code_locks_after_five_failures(app: TestApp) {
    let seeded = app.seed_demo().await;
    let (code, birth) = family(&app, &seeded, "la mère").await;
    let unknown = sign_in(&app, "AAAA-BBBB-CCCC", &birth).await;
    assert_eq!(unknown.status(), 401);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("Code personnel ou date de naissance incorrects")
    );
    for _ in 0..4 {
        assert_eq!(sign_in(&app, &code, "2001-01-01").await.status(), 401);
    }
    assert_eq!(sign_in(&app, &code, "2001-01-01").await.status(), 401);
    let locked = sign_in(&app, &code, &birth).await;
    assert_eq!(locked.status(), 403);
    assert!(
        locked
            .text()
            .await
            .unwrap()
            .contains("bloqué pendant 15 minutes")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    // The school re-issues a code: the lock is lifted.
    let guardian: i64 = sqlx::query_scalar("SELECT id FROM guardians WHERE access_code_hash = $1")
        .bind(dossiersco::domain::access_code::hash(&code))
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let fresh = dossiersco::domain::access_code::generate();
    dossiersco::db::family::set_access_code(
        app.db().pool(),
        guardian,
        &dossiersco::domain::access_code::hash(&fresh),
    )
    .await
    .unwrap();
    assert_eq!(
        sign_in(&app, &code, &birth).await.status(),
        401,
        "the old code no longer works"
    );
    // Typed by hand, lower case, with the French date format.
    let (y, m, d) = (&birth[..4], &birth[5..7], &birth[8..]);
    assert_eq!(
        sign_in(
            &app,
            &fresh.to_lowercase().replace('-', " "),
            &format!("{d}/{m}/{y}")
        )
        .await
        .status(),
        303
    );
    app.finish().await;
}

async fn a_guardian_cannot_open_a_dossier_of_another_school(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    let pool = app.db().pool();
    let other =
        dossiersco::db::schools::upsert(pool, "0750680G", "Collège Voisin", "Paris", "Paris")
            .await
            .unwrap();
    let campaign: i64 = sqlx::query_scalar("INSERT INTO campaigns (school_id, school_year, created_at) VALUES ($1, 2027, 0) RETURNING id")
        .bind(other)
        .fetch_one(pool)
        .await
        .unwrap();
    let pupil: i64 = sqlx::query_scalar(
        "INSERT INTO pupils (school_id, last_name, first_name, sex, birth_date, created_at, updated_at)
         VALUES ($1, 'AUTRE', 'Élève', 'F', '2013-08-22', 0, 0) RETURNING id",
    )
    .bind(other)
    .fetch_one(pool)
    .await
    .unwrap();
    let foreign: i64 = sqlx::query_scalar("INSERT INTO dossiers (campaign_id, pupil_id, created_at, updated_at) VALUES ($1, $2, 0, 0) RETURNING id")
        .bind(campaign)
        .bind(pupil)
        .fetch_one(pool)
        .await
        .unwrap();
    for step in ["accueil", "eleve", "validation", "confirmation", "recu.pdf"] {
        assert_eq!(
            app.get(&format!("/famille/dossiers/{foreign}/{step}"))
                .await
                .status(),
            404,
            "{step}"
        );
    }
    let token = app.csrf_token(&format!("{base}/accueil")).await;
    let forged = app
        .client
        .post(app.url(&format!("/famille/dossiers/{foreign}/validation")))
        .form(&[("csrf_token", token.as_str()), ("attestation", "oui")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM dossiers WHERE state <> 'not_started' AND pupil_id IN (SELECT id FROM pupils WHERE last_name = 'AUTRE')").await, 0);
    app.finish().await;
}

on_both_databases!(
    a_guardian_cannot_open_or_change_another_familys_dossier,
    a_sent_dossier_can_no_longer_be_changed_by_url_or_forged_form,
    wrong_codes_get_a_clear_message_and_a_code_locks_after_five_failures,
    a_guardian_cannot_open_a_dossier_of_another_school,
);
