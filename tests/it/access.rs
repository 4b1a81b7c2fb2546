//! An agent sees only their school and what their role allows.

use dossiersco::demo::DEMO_PASSWORD;
use dossiersco::domain::Role;

use crate::builders::{AGENT_PASSWORD, SchoolBuilder};
use crate::harness::TestApp;
use crate::on_both_databases;

/// A second school with its own admin; returns its UAI.
async fn other_school(app: &TestApp) -> String {
    let school = SchoolBuilder::new("0750680G")
        .name("Collège Voisin")
        .build(app)
        .await;
    school.agent(app, "direction@voisin.fr", Role::Admin).await;
    school.uai
}

async fn a_request_for_another_schools_page_is_refused_and_audited(app: TestApp) {
    let demo = app.seed_demo().await;
    let other = other_school(&app).await;
    app.sign_in_agent("direction@demo.dossiersco.fr", DEMO_PASSWORD)
        .await;
    assert_eq!(
        app.get(&format!("/etablissements/{}", demo.uai))
            .await
            .status(),
        200
    );

    let (status, html) = app.get_html(&format!("/etablissements/{other}")).await;
    assert_eq!(status, 403);
    assert!(html.contains("Accès refusé") && !html.contains("Collège Voisin"));
    // Lower case in the URL does not get around the check either.
    assert_eq!(
        app.get(&format!("/etablissements/{}", other.to_lowercase()))
            .await
            .status(),
        403
    );
    let refused = app
        .count("SELECT COUNT(*) FROM audit_events WHERE action = 'forbidden_other_school'")
        .await;
    assert_eq!(refused, 2);
    // Nor can a form be posted to the other school.
    let jobs_before = app.count("SELECT COUNT(*) FROM jobs").await;
    let post = app
        .post_form(
            &format!("/etablissements/{}", demo.uai),
            &format!("/etablissements/{other}/courriels-de-test"),
            &[],
        )
        .await;
    assert_eq!(post.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM jobs").await, jobs_before);
    app.finish().await;
}

async fn a_role_without_the_permission_is_refused(app: TestApp) {
    let demo = app.seed_demo().await;
    app.sign_in_agent("infirmerie@demo.dossiersco.fr", DEMO_PASSWORD)
        .await;
    let dashboard = format!("/etablissements/{}", demo.uai);
    let html = app.get_html(&dashboard).await.1;
    assert!(
        !html.contains("courriels-de-test"),
        "the nurse is not offered what she may not do"
    );
    let post = app
        .post_form(&dashboard, &format!("{dashboard}/courriels-de-test"), &[])
        .await;
    assert_eq!(post.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM jobs").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'forbidden_role'")
            .await,
        1
    );
    app.finish().await;
}

async fn a_visitor_who_is_not_signed_in_is_sent_to_the_sign_in_page(app: TestApp) {
    let demo = app.seed_demo().await;
    let response = app
        .get(&format!("/etablissements/{}/taches/1", demo.uai))
        .await;
    assert_eq!(response.status(), 303);
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/agent/connexion?suite=%2Fetablissements")
    );
    app.finish().await;
}

async fn a_job_of_another_school_is_not_found(app: TestApp) {
    let demo = app.seed_demo().await;
    let other = other_school(&app).await;
    app.sign_in_agent("direction@voisin.fr", AGENT_PASSWORD)
        .await;
    let response = app
        .post_form(
            &format!("/etablissements/{other}"),
            &format!("/etablissements/{other}/courriels-de-test"),
            &[],
        )
        .await;
    let job_page = response.headers()["location"].to_str().unwrap().to_owned();
    let job_id = job_page.rsplit('/').next().unwrap();
    app.run_jobs().await;

    let (status, _) = app.get_html(&job_page).await;
    assert_eq!(status, 200);
    app.post_form("/", "/agent/deconnexion", &[]).await;
    app.sign_in_agent("direction@demo.dossiersco.fr", DEMO_PASSWORD)
        .await;
    let (status, _) = app
        .get_html(&format!("/etablissements/{}/taches/{job_id}", demo.uai))
        .await;
    assert_eq!(
        status, 404,
        "a job id of another school is not visible through one's own school"
    );
    app.finish().await;
}

on_both_databases!(
    a_request_for_another_schools_page_is_refused_and_audited,
    a_role_without_the_permission_is_refused,
    a_visitor_who_is_not_signed_in_is_sent_to_the_sign_in_page,
    a_job_of_another_school_is_not_found,
);
