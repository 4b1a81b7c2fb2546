//! Agent sign-in and sign-out: success, wrong password, lockout, rate limit,
//! CSRF.

use dossiersco::demo::DEMO_PASSWORD;

use crate::harness::TestApp;
use crate::{on_both_databases, on_both_databases_with};

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

/// Signs in as the browser would, from `ip` (the app is behind a proxy).
async fn sign_in_from(app: &TestApp, ip: &str, email: &str, password: &str) -> reqwest::Response {
    let token = app.csrf_token("/agent/connexion").await;
    app.client
        .post(app.url("/agent/connexion"))
        .header("x-forwarded-for", ip)
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

/// The message of a refused sign-in page.
async fn alert(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let html = response.text().await.unwrap();
    let start = html.find("id=\"sign-in-error\"").expect("an error message");
    let text = &html[start..];
    let p = text.find("<p>").unwrap() + 3;
    (
        status,
        text[p..p + text[p..].find("</p>").unwrap()].to_owned(),
    )
}

async fn ten_failures_lock_an_account_from_that_address_only_and_the_holder_is_told(app: TestApp) {
    let demo = app.seed_demo().await;
    for _ in 0..9 {
        let (status, _) =
            alert(sign_in_from(&app, "198.51.100.7", SECRETARIAT, "wrong").await).await;
        assert_eq!(status, 401);
    }
    let (status, locked) =
        alert(sign_in_from(&app, "198.51.100.7", SECRETARIAT, "wrong").await).await;
    assert_eq!(status, 429);
    assert!(locked.contains("15 minutes"), "{locked}");
    // Even the right password is not checked from that address now.
    let (status, again) =
        alert(sign_in_from(&app, "198.51.100.7", SECRETARIAT, DEMO_PASSWORD).await).await;
    assert_eq!((status, again.as_str()), (429, locked.as_str()));
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);

    // An unknown e-mail reads exactly the same: nothing tells which exist.
    for _ in 0..9 {
        let (status, _) =
            alert(sign_in_from(&app, "198.51.100.8", "nobody@example.org", "x").await).await;
        assert_eq!(status, 401);
    }
    let (status, unknown) =
        alert(sign_in_from(&app, "198.51.100.8", "nobody@example.org", "x").await).await;
    assert_eq!((status, unknown.as_str()), (429, locked.as_str()));

    // The real user, elsewhere, is not locked out.
    let real = sign_in_from(&app, "203.0.113.20", SECRETARIAT, DEMO_PASSWORD).await;
    assert_eq!(real.status(), 303);
    assert_eq!(
        real.headers()["location"],
        format!("/etablissements/{}", demo.uai).as_str()
    );
    // And is told, once, by e-mail.
    assert_eq!(app.run_jobs().await, 1);
    let mail: (String, String) =
        sqlx::query_as("SELECT recipient, body_text FROM outbox_emails ORDER BY id DESC")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(mail.0, SECRETARIAT);
    assert!(mail.1.contains("198.51.100.7"), "{}", mail.1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'sign_in_account_locked' AND actor_kind = 'agent'")
            .await,
        1
    );
    app.finish().await;
}

async fn only_failures_count_against_an_address(app: TestApp) {
    app.seed_demo().await;
    // A school's help session: many successful sign-ins from one address.
    for _ in 0..30 {
        let ok = sign_in_from(&app, "192.0.2.44", SECRETARIAT, DEMO_PASSWORD).await;
        assert_eq!(ok.status(), 303);
    }
    // Twenty failures in a minute (different e-mails) and the address waits.
    for i in 0..20 {
        let failed = sign_in_from(&app, "192.0.2.44", &format!("n{i}@example.org"), "x").await;
        assert_eq!(failed.status(), 401, "failure {i}");
    }
    let (status, limited) =
        alert(sign_in_from(&app, "192.0.2.44", SECRETARIAT, DEMO_PASSWORD).await).await;
    assert_eq!(status, 429);
    assert!(limited.contains("patientez une minute"), "{limited}");
    // Another address is not concerned.
    assert_eq!(
        sign_in_from(&app, "192.0.2.45", SECRETARIAT, DEMO_PASSWORD)
            .await
            .status(),
        303
    );
    app.finish().await;
}

async fn failure_limits_hold_across_instances_and_refusals_write_nothing(app: TestApp) {
    app.seed_demo().await;
    // A second instance on the same database.
    let dir = tempfile::tempdir().unwrap();
    let mut settings = crate::harness::test_settings(dir.path(), app.state.settings.database_url());
    settings.behind_proxy = true;
    let second = dossiersco::process::App::build(settings).await.unwrap();
    let second_addr = second.local_addr();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(second.run(shutdown.clone()));

    for _ in 0..10 {
        sign_in_from(&app, "198.51.100.9", SECRETARIAT, "wrong").await;
    }
    // The second instance knows the lock from the database.
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(format!("http://{second_addr}/agent/connexion"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = crate::harness::extract_csrf(&page).unwrap();
    let post = || {
        client
            .post(format!("http://{second_addr}/agent/connexion"))
            .header("x-forwarded-for", "198.51.100.9")
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", SECRETARIAT),
                ("password", DEMO_PASSWORD),
            ])
            .send()
    };
    assert_eq!(post().await.unwrap().status(), 429);
    // Once known, refusals are answered from memory: nothing is written.
    let rows = || async {
        app.count("SELECT (SELECT COUNT(*) FROM audit_events) + (SELECT COALESCE(MAX(failures), 0) FROM sign_in_failures)")
            .await
    };
    let before = rows().await;
    for _ in 0..50 {
        assert_eq!(post().await.unwrap().status(), 429);
    }
    assert_eq!(rows().await, before);
    shutdown.cancel();
    running.await.unwrap().unwrap();
    assert_eq!(app.run_jobs().await, 1, "the account holder is told");
    app.finish().await;
}

async fn refused_anonymous_requests_do_not_flood_the_audit_trail(app: TestApp) {
    app.seed_demo().await;
    app.get("/agent/connexion").await; // a visitor cookie
    let before = app.count("SELECT COUNT(*) FROM audit_events").await;
    for _ in 0..300 {
        let forged = app
            .post_raw("/agent/connexion", &[("csrf_token", "forged")])
            .await;
        assert_eq!(forged.status(), 403);
    }
    // Unknown family codes from many addresses.
    for i in 0..100 {
        let token = app.csrf_token("/famille/connexion").await;
        let response = app
            .client
            .post(app.url("/famille/connexion"))
            .header("x-forwarded-for", format!("10.1.{}.{}", i / 50, i % 50))
            .form(&[
                ("csrf_token", token.as_str()),
                ("code", "AAAA-BBBB-CCCC"),
                ("birth_date", "2012-01-01"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
    }
    let written = app.count("SELECT COUNT(*) FROM audit_events").await - before;
    assert!(
        written <= 2,
        "{written} rows for 400 refused anonymous requests"
    );
    // The row that is kept says how many were left out.
    let (subject,): (String,) = sqlx::query_as(
        "SELECT subject FROM audit_events WHERE action = 'csrf_refused' ORDER BY id DESC",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert!(subject.starts_with("MissingOrWrongToken"), "{subject}");
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
    // Anonymous refusals: the first is recorded, the next ones of the same
    // minute from the same address only counted (see the flood test).
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'csrf_refused'")
            .await,
        1
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
    a_forged_csrf_token_is_refused_and_changes_nothing,
    a_token_from_another_browser_is_refused,
    a_cross_site_form_is_refused_even_with_a_valid_token,
    a_json_post_is_refused,
);

on_both_databases_with!(crate::harness::behind_proxy;
    ten_failures_lock_an_account_from_that_address_only_and_the_holder_is_told,
    only_failures_count_against_an_address,
    failure_limits_hold_across_instances_and_refusals_write_nothing,
    refused_anonymous_requests_do_not_flood_the_audit_trail,
);
