//! Single-use, expiring sign-in links (`auth::sign_in_links`): the family
//! opens the link, types the child's birth date, and is in; the link works
//! once, until it expires, never replaces the guardian's code, and the birth
//! date is checked and counted as with the code.

use dossiersco::auth::sign_in_links;
use dossiersco::db::now_ms;

use crate::family::{family, sign_in};
use crate::harness::TestApp;
use crate::on_both_databases_with;

/// The demo mother: (code, birth date of her first child, guardian id).
async fn mother(app: &TestApp) -> (String, String, i64) {
    let seeded = app.seed_demo().await;
    let (code, birth) = family(app, &seeded, "la mère").await;
    let guardian: i64 = sqlx::query_scalar("SELECT id FROM guardians WHERE access_code_hash = $1")
        .bind(dossiersco::domain::access_code::hash(&code))
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    (code, birth, guardian)
}

async fn issue(app: &TestApp, guardian: i64, days: u32) -> String {
    let mut tx = app.db().begin().await.unwrap();
    let token = sign_in_links::issue(&mut tx, guardian, days).await.unwrap();
    tx.commit().await.unwrap();
    token
}

/// Posts the link's form from a fresh browser: (status, location, body).
async fn use_link(app: &TestApp, token: &str, birth: &str) -> (u16, String, String) {
    let client = TestApp::client_for(app);
    let response = app
        .post_form_as(
            &client,
            "/famille/lien",
            "/famille/lien",
            &[("jeton", token), ("birth_date", birth)],
        )
        .await;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

async fn a_link_signs_the_family_in_once_with_the_birth_date_and_leaves_the_code_alone(
    app: TestApp,
) {
    let (code, birth, guardian) = mother(&app).await;
    let token = issue(&app, guardian, 14).await;
    let link = sign_in_links::url(&app.url(""), &token);
    assert!(link.contains("/famille/lien#jeton="), "{link}");
    // The page: nothing secret in its address, and no referrer for its links.
    let page = app.get("/famille/lien").await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Date de naissance de l'enfant")
    );
    // Nothing stored of the token but its hash.
    let stored = app
        .count("SELECT COUNT(*) FROM sign_in_links WHERE token_hash LIKE '%-%'")
        .await;
    assert_eq!(stored, 0);

    // A wrong date: refused, counted against the guardian, the link still valid.
    let (status, _, body) = use_link(&app, &token, "2001-01-01").await;
    assert_eq!(status, 401);
    assert!(body.contains("Date de naissance incorrecte"));
    let failures: i64 = sqlx::query_scalar("SELECT failed_sign_ins FROM guardians WHERE id = $1")
        .bind(guardian)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(failures, 1);
    // Typed by hand, in lower case and without dashes: the same token.
    let typed = token.replace('-', "").to_lowercase();
    let (status, location, _) = use_link(&app, &typed, &birth).await;
    assert_eq!(status, 303, "signed in");
    assert!(location.starts_with("/famille"), "{location}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'sign_in_link'")
            .await,
        1
    );
    // Once only.
    let (status, _, body) = use_link(&app, &token, &birth).await;
    assert_eq!(status, 401);
    assert!(body.contains("n&#39;est plus valable"), "{body}");
    // The printed letter's code still works.
    assert_eq!(sign_in(&app, &code, &birth).await.status(), 303);
    app.finish().await;
}

async fn an_expired_or_unknown_link_is_refused_and_a_locked_guardian_stays_locked(app: TestApp) {
    let (_, birth, guardian) = mother(&app).await;
    let expired = issue(&app, guardian, 14).await;
    sqlx::query("UPDATE sign_in_links SET expires_at = $1")
        .bind(now_ms() - 1)
        .execute(app.db().pool())
        .await
        .unwrap();
    let (status, _, body) = use_link(&app, &expired, &birth).await;
    assert_eq!(status, 401);
    assert!(body.contains("n&#39;est plus valable"));
    let (status, _, _) = use_link(&app, "AAAA-BBBB-CCCC-DDDD-EEEE", &birth).await;
    assert_eq!(status, 401);
    let (status, _, _) = use_link(&app, "", &birth).await;
    assert_eq!(status, 401);
    // Five wrong dates through a link lock the guardian, as with the code.
    let token = issue(&app, guardian, 14).await;
    for _ in 0..5 {
        assert_eq!(use_link(&app, &token, "2001-01-01").await.0, 401);
    }
    let (status, _, body) = use_link(&app, &token, &birth).await;
    assert_eq!(status, 403, "locked, even with the right date");
    assert!(body.contains("bloqué pendant 15 minutes"));
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    app.finish().await;
}

on_both_databases_with!(crate::family_sign_in::patient_address;
    a_link_signs_the_family_in_once_with_the_birth_date_and_leaves_the_code_alone,
    an_expired_or_unknown_link_is_refused_and_a_locked_guardian_stays_locked,
);
