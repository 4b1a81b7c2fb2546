//! Agent sign-in and sign-out: success, wrong password, lockout, rate limit,
//! CSRF.

use dossiersco::demo::DEMO_PASSWORD;

use crate::harness::TestApp;
use crate::on_both_databases;

const SECRETARIAT: &str = "secretariat@demo.dossiersco.fr";

async fn an_agent_signs_in_lands_on_the_school_dashboard_and_signs_out(app: TestApp) {
    let demo = app.seed_demo().await;
    let response = app.sign_in_agent(SECRETARIAT, DEMO_PASSWORD).await;
    assert_eq!(response.status(), 303);
    let dashboard = format!("/etablissements/{}", demo.uai);
    assert_eq!(response.headers()["location"], dashboard.as_str());
    let (status, html) = app.get_html(&dashboard).await;
    assert_eq!(status, 200);
    assert!(html.contains("Collège Lucie Aubrac") && html.contains("Secrétariat"));
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'sign_in'")
            .await,
        1
    );

    let response = app.post_form(&dashboard, "/agent/deconnexion", &[]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    let after = app.get(&dashboard).await;
    assert_eq!(after.status(), 303, "signed out: back to the sign-in page");
    app.finish().await;
}

async fn the_email_is_case_insensitive_and_the_next_page_is_followed(app: TestApp) {
    let demo = app.seed_demo().await;
    let target = format!("/etablissements/{}", demo.uai);
    let redirect = app.get(&target).await;
    let location = redirect.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/agent/connexion?suite="),
        "{location}"
    );
    let html = app.get_html(&location).await.1;
    assert!(
        html.contains(&format!("value=\"{target}\"")),
        "the sign-in form keeps where to go next"
    );
    let response = app
        .post_form(
            &location,
            "/agent/connexion",
            &[
                ("email", " SecretariaT@demo.dossiersco.fr "),
                ("password", DEMO_PASSWORD),
                ("suite", &target),
            ],
        )
        .await;
    assert_eq!(response.headers()["location"], target.as_str());
    app.finish().await;
}

async fn a_wrong_password_gets_a_clear_message_and_creates_no_session(app: TestApp) {
    app.seed_demo().await;
    let response = app.sign_in_agent(SECRETARIAT, "not the password").await;
    assert_eq!(response.status(), 401);
    let html = response.text().await.unwrap();
    assert!(html.contains("Adresse électronique ou mot de passe incorrect."));
    assert!(
        html.contains(r#"value="secretariat@demo.dossiersco.fr""#),
        "the e-mail typed is kept"
    );
    assert!(html.contains("aria-describedby=\"sign-in-error\""));
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'sign_in_failed'")
            .await,
        1
    );
    // An unknown address gets exactly the same answer.
    let unknown = app.sign_in_agent("nobody@example.org", "whatever").await;
    assert_eq!(unknown.status(), 401);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("Adresse électronique ou mot de passe incorrect.")
    );
    app.finish().await;
}

async fn an_account_is_locked_after_ten_failures_even_with_the_right_password(app: TestApp) {
    app.seed_demo().await;
    sqlx::query("UPDATE agents SET failed_sign_ins = 9 WHERE email = $1")
        .bind(SECRETARIAT)
        .execute(app.db().pool())
        .await
        .unwrap();
    assert_eq!(app.sign_in_agent(SECRETARIAT, "wrong").await.status(), 401);
    let locked = app.sign_in_agent(SECRETARIAT, DEMO_PASSWORD).await;
    assert_eq!(locked.status(), 403);
    assert!(
        locked
            .text()
            .await
            .unwrap()
            .contains("verrouillé pendant 15 minutes")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    app.finish().await;
}

async fn sign_in_attempts_are_rate_limited_per_address(app: TestApp) {
    app.seed_demo().await;
    for _ in 0..10 {
        assert_eq!(
            app.sign_in_agent("nobody@example.org", "x").await.status(),
            401
        );
    }
    let limited = app.sign_in_agent(SECRETARIAT, DEMO_PASSWORD).await;
    assert_eq!(limited.status(), 429);
    assert!(limited.text().await.unwrap().contains("Trop de tentatives"));
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    app.finish().await;
}

async fn a_forged_csrf_token_is_refused_and_changes_nothing(app: TestApp) {
    app.seed_demo().await;
    app.get("/agent/connexion").await; // gets a visitor cookie
    let forged = app
        .post_raw(
            "/agent/connexion",
            &[
                ("csrf_token", "forged"),
                ("email", SECRETARIAT),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status(), 403);
    assert!(forged.text().await.unwrap().contains("Formulaire expiré"));
    let missing = app
        .post_raw(
            "/agent/connexion",
            &[("email", SECRETARIAT), ("password", DEMO_PASSWORD)],
        )
        .await;
    assert_eq!(missing.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'csrf_refused'")
            .await,
        2
    );
    app.finish().await;
}

async fn a_token_from_another_browser_is_refused(app: TestApp) {
    app.seed_demo().await;
    let token = app.csrf_token("/agent/connexion").await;
    let other = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    other.get(app.url("/")).send().await.unwrap();
    let response = other
        .post(app.url("/agent/connexion"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", SECRETARIAT),
            ("password", DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    app.finish().await;
}

async fn a_cross_site_form_is_refused_even_with_a_valid_token(app: TestApp) {
    app.seed_demo().await;
    let token = app.csrf_token("/agent/connexion").await;
    let response = app
        .client
        .post(app.url("/agent/connexion"))
        .header("origin", "https://evil.example")
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", SECRETARIAT),
            ("password", DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    app.finish().await;
}

async fn a_json_post_is_refused(app: TestApp) {
    app.get("/").await;
    let response = app
        .client
        .post(app.url("/agent/connexion"))
        .header("content-type", "application/json")
        .body(r#"{"email":"a","password":"b"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    app.finish().await;
}

on_both_databases!(
    an_agent_signs_in_lands_on_the_school_dashboard_and_signs_out,
    the_email_is_case_insensitive_and_the_next_page_is_followed,
    a_wrong_password_gets_a_clear_message_and_creates_no_session,
    an_account_is_locked_after_ten_failures_even_with_the_right_password,
    sign_in_attempts_are_rate_limited_per_address,
    a_forged_csrf_token_is_refused_and_changes_nothing,
    a_token_from_another_browser_is_refused,
    a_cross_site_form_is_refused_even_with_a_valid_token,
    a_json_post_is_refused,
);
