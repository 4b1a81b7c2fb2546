//! The family's way through the steps: sending, changing, resuming, the
//! order of the steps, the health form to print.

use super::{family, location, mother_dossier, sign_in, walk_without_change};
use crate::forms::prefilled;
use crate::harness::TestApp;
use crate::on_both_databases;

async fn a_family_with_nothing_to_change_sends_its_dossier_and_gets_a_receipt(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers WHERE state = 'started'")
            .await,
        1,
        "opened at sign-in"
    );
    walk_without_change(&app, &base).await;
    let html = app.get_html(&format!("{base}/validation")).await.1;
    assert!(html.contains("Vous n'avez rien changé"), "{html}");
    let refused = app
        .post_form(
            &format!("{base}/validation"),
            &format!("{base}/validation"),
            &[],
        )
        .await;
    assert_eq!(refused.status(), 422, "the attestation is required");
    let sent = app
        .post_form(
            &format!("{base}/validation"),
            &format!("{base}/validation"),
            &[("attestation", "oui")],
        )
        .await;
    assert_eq!(location(&sent), format!("{base}/confirmation"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers WHERE state = 'submitted'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM pupil_changes").await,
        0,
        "no change recorded"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM guardian_changes").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM dossier_transitions WHERE to_state = 'submitted' AND actor_kind = 'guardian' AND ip <> ''").await, 1);

    assert_eq!(
        app.run_jobs().await,
        2,
        "the receipt e-mail, to each parent at their own address"
    );
    let mails: Vec<(String, String, String)> =
        sqlx::query_as("SELECT recipient, subject, body_text FROM outbox_emails ORDER BY id")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    for (_, subject, body) in &mails {
        assert_eq!(subject, "Réinscription d'Inès DUBOIS envoyée au collège");
        assert!(
            body.contains("/famille/connexion"),
            "a link to the service: {body}"
        );
        assert!(
            body.contains("secretariat@demo.dossiersco.fr") && body.contains("01 40 00 00 00"),
            "the school's contact: {body}"
        );
    }
    assert!(mails.iter().any(|(_, _, b)| b.contains("Vous avez envoyé")));
    assert!(
        mails
            .iter()
            .any(|(_, _, b)| b.contains("Madame Thi Lan NGUYEN a envoyé"))
    );
    let receipt = app.get(&format!("{base}/recu.pdf")).await;
    assert_eq!(receipt.headers()["content-type"], "application/pdf");
    assert!(receipt.bytes().await.unwrap().starts_with(b"%PDF-"));

    let thanks = app
        .post_form(
            &format!("{base}/confirmation"),
            &format!("{base}/satisfaction"),
            &[("mark", "5"), ("comment", "Très simple")],
        )
        .await;
    assert_eq!(thanks.status(), 303);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM satisfaction WHERE mark = 5")
            .await,
        1
    );
    app.finish().await;
}

async fn a_changed_address_is_remembered_as_a_change_against_siecle(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    let page = format!("{base}/responsables");
    let mut form = prefilled(&app.get_html(&page).await.1);
    let old = form
        .iter()
        .find(|(k, _)| k == "address_lines")
        .unwrap()
        .1
        .clone();
    for (k, v) in form.iter_mut() {
        if k == "address_lines" {
            *v = "12 rue des Lilas".into();
        }
    }
    assert_eq!(
        app.client
            .post(app.url(&page))
            .form(&form)
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    let change: (String, String) = sqlx::query_as(
        "SELECT siecle_value, new_value FROM guardian_changes WHERE field = 'address_lines'",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(change, (old.clone(), "12 rue des Lilas".to_owned()));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM guardian_changes").await,
        1,
        "only what changed"
    );
    let summary = app.get_html(&format!("{base}/validation")).await.1;
    assert!(summary.contains("12 rue des Lilas") && summary.contains("modifié"));
    // The pupils and guardians tables still say what SIECLE said.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM guardians WHERE address_lines = '12 rue des Lilas'")
            .await,
        0
    );
    app.finish().await;
}

async fn a_guardian_of_two_children_sees_both_and_resumes_where_they_stopped(app: TestApp) {
    let seeded = app.seed_demo().await;
    let (code, birth) = family(&app, &seeded, "deux enfants (mère)").await;
    let response = sign_in(&app, &code, &birth).await;
    assert_eq!(location(&response), "/famille");
    let html = app.get_html("/famille").await.1;
    assert!(
        html.contains("Hugo MARTIN") && html.contains("Léa MARTIN"),
        "{html}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers WHERE state = 'started'")
            .await,
        2
    );
    let first = html.split("href=\"/famille/dossiers/").nth(1).unwrap();
    let base = format!("/famille/dossiers/{}", &first[..first.find('/').unwrap()]);
    for step in ["accueil", "eleve"] {
        let form = prefilled(&app.get_html(&format!("{base}/{step}")).await.1);
        app.client
            .post(app.url(&format!("{base}/{step}")))
            .form(&form)
            .send()
            .await
            .unwrap();
    }
    app.post_form("/famille", "/famille/deconnexion", &[]).await;
    sign_in(&app, &code, &birth).await;
    let html = app.get_html("/famille").await.1;
    assert!(
        html.contains(&format!("{base}/responsables")) && html.contains("Reprendre"),
        "resume at the furthest step"
    );
    app.finish().await;
}

async fn steps_cannot_be_skipped_by_posting_a_later_one(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    let later = format!("{base}/sante");
    let response = app
        .post_form(&format!("{base}/accueil"), &later, &[("mode", "nothing")])
        .await;
    assert_eq!(response.status(), 303);
    let furthest: Option<String> =
        sqlx::query_scalar("SELECT furthest_step FROM guardian_progress")
            .fetch_optional(app.db().pool())
            .await
            .unwrap();
    assert_eq!(
        furthest, None,
        "posting a later step does not move the family on"
    );
    assert_eq!(
        location(&app.get(&format!("{base}/validation")).await),
        format!("{base}/accueil")
    );
    app.finish().await;
}

async fn the_health_form_to_print_is_a_prefilled_pdf(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    assert!(
        app.get_html(&format!("{base}/sante"))
            .await
            .1
            .contains("fiche-sante.pdf")
    );
    let response = app.get(&format!("{base}/fiche-sante.pdf")).await;
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let pdf = response.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-") && pdf.ends_with(b"%%EOF\n"));
    assert!(
        pdf.windows(6).any(|w| w == b"DUBOIS"),
        "prefilled with the pupil's name"
    );
    app.finish().await;
}

on_both_databases!(
    a_family_with_nothing_to_change_sends_its_dossier_and_gets_a_receipt,
    a_changed_address_is_remembered_as_a_change_against_siecle,
    a_guardian_of_two_children_sees_both_and_resumes_where_they_stopped,
    steps_cannot_be_skipped_by_posting_a_later_one,
    the_health_form_to_print_is_a_prefilled_pdf,
);
