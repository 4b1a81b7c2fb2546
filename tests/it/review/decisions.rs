//! Decisions on each change: accepted or rejected with a reason, the
//! rejection shown to the family after a send-back and never among the
//! changes SIECLE receives; validation waits for every decision.

use dossiersco::db::SchoolScope;
use dossiersco::domain::access_code;
use dossiersco::dossier::decisions::accepted_changes;

use super::{UAI, change_email, review_school, sign_in, state_of};
use crate::harness::TestApp;
use crate::on_both_databases;

const CODE: &str = "AAAA-BBBB-CCCC";

async fn scope(app: &TestApp) -> SchoolScope {
    let id: i64 = sqlx::query_scalar("SELECT id FROM schools WHERE uai = $1")
        .bind(UAI)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    SchoolScope::of_signed_in_agent(id)
}

async fn a_rejected_change_is_shown_to_the_family_after_a_send_back_and_never_accepted_for_siecle(
    app: TestApp,
) {
    let school = review_school(&app, 0).await;
    let p = &school.changed;
    change_email(&app, p).await;
    sign_in(&app).await;
    let page = format!("/etablissements/{UAI}/dossiers/{}", p.dossier_id);
    let decide = format!("{page}/modifications");
    let guardian_key = format!("guardian:{}:email", p.guardian_id);

    let html = app.get_html(&page).await.1;
    assert!(html.contains("Modifications proposées"), "{html}");
    assert!(html.contains("2 modifications en attente de votre décision"));
    assert!(html.contains("nouvelle@exemple.fr") && html.contains("Prénom"));

    // Validating with undecided changes is refused.
    let refused = app
        .post_form(&page, &format!("{page}/etat"), &[("event", "valider")])
        .await;
    assert_eq!(refused.status(), 303);
    assert_eq!(state_of(&app, p.dossier_id).await, "submitted");

    // A rejection needs a reason.
    app.post_form(
        &page,
        &decide,
        &[("change", &guardian_key), ("decision", "refuser")],
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM change_decisions").await, 0);

    app.post_form(
        &page,
        &decide,
        &[("change", "pupil:first_name"), ("decision", "accepter")],
    )
    .await;
    app.post_form(
        &page,
        &decide,
        &[
            ("change", &guardian_key),
            ("decision", "refuser"),
            ("reason", "Adresse inconnue, merci de vérifier"),
        ],
    )
    .await;
    let html = app.get_html(&page).await.1;
    assert!(
        html.contains("Toutes les modifications sont décidées."),
        "{html}"
    );
    assert!(html.contains("Acceptée") && html.contains("Motif : Adresse inconnue"));

    let accepted = accepted_changes(app.db().pool(), scope(&app).await, p.dossier_id)
        .await
        .unwrap();
    let accepted: Vec<(&str, &str)> = accepted
        .iter()
        .map(|c| (c.key.as_str(), c.value.as_str()))
        .collect();
    assert_eq!(
        accepted,
        [("pupil:first_name", "Ines")],
        "never the rejected e-mail"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'change_decision'")
            .await,
        2
    );

    // Sent back: the family reads the rejection and its reason.
    let sent_back = app
        .post_form(
            &page,
            &format!("{page}/etat"),
            &[
                ("event", "renvoyer"),
                ("reason", "Merci de corriger l'adresse"),
            ],
        )
        .await;
    assert_eq!(sent_back.status(), 303);
    assert_eq!(state_of(&app, p.dossier_id).await, "returned");
    sqlx::query("UPDATE guardians SET access_code_hash = $1 WHERE id = $2")
        .bind(access_code::hash(CODE))
        .bind(p.guardian_id)
        .execute(app.db().pool())
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO guardian_progress (dossier_id, guardian_id, furthest_step, updated_at)
         VALUES ($1, $2, 'validation', 1)",
    )
    .bind(p.dossier_id)
    .bind(p.guardian_id)
    .execute(app.db().pool())
    .await
    .unwrap();
    let family = TestApp::client_for(&app);
    let signed_in = app
        .post_form_as(
            &family,
            "/famille/connexion",
            "/famille/connexion",
            &[("code", CODE), ("birth_date", "2013-05-14")],
        )
        .await;
    assert_eq!(signed_in.status(), 303);
    let html = family
        .get(app.url(&format!("/famille/dossiers/{}/validation", p.dossier_id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Modification refusée par l&#39;établissement")
            || html.contains("Modification refusée par l'établissement"),
        "{html}"
    );
    assert!(
        html.contains("nouvelle@exemple.fr")
            && html.contains("Adresse inconnue, merci de vérifier")
    );
    assert_eq!(app.run_jobs().await, 1, "the send-back's e-mail");
    app.finish().await;
}
on_both_databases!(
    a_rejected_change_is_shown_to_the_family_after_a_send_back_and_never_accepted_for_siecle
);

async fn accepting_every_change_at_once_lets_the_dossier_be_validated(app: TestApp) {
    let school = review_school(&app, 0).await;
    let p = &school.changed;
    change_email(&app, p).await;
    sign_in(&app).await;
    let page = format!("/etablissements/{UAI}/dossiers/{}", p.dossier_id);
    let all = app
        .post_form(
            &page,
            &format!("{page}/modifications"),
            &[("decision", "tout_accepter")],
        )
        .await;
    assert_eq!(all.status(), 303);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM change_decisions WHERE decision = 'accepted'")
            .await,
        2
    );
    let validated = app
        .post_form(&page, &format!("{page}/etat"), &[("event", "valider")])
        .await;
    assert_eq!(validated.status(), 303);
    assert_eq!(state_of(&app, p.dossier_id).await, "validated");
    assert_eq!(
        accepted_changes(app.db().pool(), scope(&app).await, p.dossier_id)
            .await
            .unwrap()
            .len(),
        2
    );
    app.finish().await;
}
on_both_databases!(accepting_every_change_at_once_lets_the_dossier_be_validated);
