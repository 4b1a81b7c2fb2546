//! Privacy between the guardians of a child, on both databases: each has
//! their own access "to protect families in difficult situations", so one
//! never learns the other's details by guessing them, from their own summary
//! or receipt, or through a session the school thought it had ended.

use crate::family::{family, location, mother_dossier, sign_in_as};
use crate::harness::{TestApp, extract_csrf};
use crate::on_both_databases;

async fn text(app: &TestApp, client: &reqwest::Client, page: &str) -> String {
    client
        .get(app.url(page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

// ---------------------------------------------------------------- sessions

async fn reissuing_a_code_ends_the_sessions_opened_with_the_old_one(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    let (father_code, birth) = family(&app, &seeded, "le père").await;
    let father = TestApp::client_for(&app);
    sign_in_as(&app, &father, &father_code, &birth).await;
    assert_eq!(app.get(&format!("{base}/accueil")).await.status(), 200);
    let (dossier_id, guardian_id): (i64, i64) = sqlx::query_as(
        "SELECT d.id, g.id FROM dossiers d JOIN guardianships l ON l.pupil_id = d.pupil_id JOIN guardians g ON g.id = l.guardian_id
         WHERE g.last_name = 'NGUYEN' AND g.first_name = 'Thi Lan'",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();

    // The school, from its own browser, gives her a new code.
    let agent = TestApp::client_for(&app);
    let token = extract_csrf(&text(&app, &agent, "/agent/connexion").await).unwrap();
    agent
        .post(app.url("/agent/connexion"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "secretariat@demo.dossiersco.fr"),
            ("password", dossiersco::demo::DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let page = format!("/etablissements/{}/dossiers/{dossier_id}", seeded.uai);
    let token = extract_csrf(&text(&app, &agent, &page).await).unwrap();
    let reissued = agent
        .post(app.url(&format!("{page}/responsables/{guardian_id}/code")))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(reissued.status(), 200);

    // Her old session is over: her next request goes to the sign-in page.
    let response = app.get(&format!("{base}/accueil")).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/famille/connexion");
    assert_eq!(app.get("/famille").await.status(), 303);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE guardian_id = $1")
        .bind(guardian_id)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
    // The father's session, and the agent's, are theirs and go on.
    let response = father
        .get(app.url(&format!("{base}/accueil")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        agent.get(app.url(&page)).send().await.unwrap().status(),
        200
    );
    app.finish().await;
}

on_both_databases!(reissuing_a_code_ends_the_sessions_opened_with_the_old_one);
