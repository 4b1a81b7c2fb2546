//! Separated guardians: each sees and changes only their own details.

use super::{family, location, mother_dossier, sign_in_as, submit, walk_without_change};
use crate::forms::prefilled;
use crate::harness::TestApp;
use crate::on_both_databases;

async fn separated_guardians_see_only_their_own_details_and_conflicts_are_flagged(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    let (father_code, birth) = family(&app, &seeded, "le père").await;
    let father_phone: String = sqlx::query_scalar(
        "SELECT phone_mobile FROM guardians WHERE last_name = 'DUBOIS' AND first_name = 'Marc'",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let mother_page = app.get_html(&format!("{base}/responsables")).await.1;
    assert!(
        mother_page.contains("Marc DUBOIS") && !mother_page.contains(&father_phone),
        "the father's details are hidden"
    );

    // The father signs in from another browser and chooses differently.
    let father = TestApp::client_for(&app);
    let response = sign_in_as(&app, &father, &father_code, &birth).await;
    assert_eq!(
        location(&response),
        format!("{base}/accueil"),
        "the same dossier"
    );
    let html = father
        .get(app.url(&format!("{base}/vie-scolaire")))
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), 303, "not reachable before the earlier steps");
    for step in [
        "accueil",
        "eleve",
        "responsables",
        "contacts-urgence",
        "scolarite",
    ] {
        let html = father
            .get(app.url(&format!("{base}/{step}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let form = prefilled(&html);
        assert_eq!(
            father
                .post(app.url(&format!("{base}/{step}")))
                .form(&form)
                .send()
                .await
                .unwrap()
                .status(),
            303,
            "{step}"
        );
    }
    let html = father
        .get(app.url(&format!("{base}/vie-scolaire")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut form = prefilled(&html);
    form.retain(|(k, _)| !["canteen", "photo", "sorties"].contains(&k.as_str()));
    form.extend([
        ("canteen".into(), "externe".into()),
        ("photo".into(), "non".into()),
        ("sorties".into(), "oui".into()),
    ]);
    assert_eq!(
        father
            .post(app.url(&format!("{base}/vie-scolaire")))
            .form(&form)
            .send()
            .await
            .unwrap()
            .status(),
        303
    );

    let answers: Vec<(String,)> = sqlx::query_as(
        "SELECT answer FROM dossier_answers WHERE question = 'canteen' ORDER BY answer",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert_eq!(
        answers,
        vec![("demi_pension".to_owned(),), ("externe".to_owned(),)],
        "neither choice overwrote the other"
    );
    let school_id: i64 = sqlx::query_scalar("SELECT id FROM schools WHERE uai = $1")
        .bind(&seeded.uai)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let (listed, _) = dossiersco::dossier::facts::of_dossier(
        app.db().pool(),
        school_id,
        base.rsplit('/').next().unwrap().parse().unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        dossiersco::dossier::diff::disagreements(&listed.facts),
        vec!["canteen", "photo"]
    );
    assert!(
        app.get_html(&format!("{base}/validation"))
            .await
            .1
            .contains("L'autre responsable a répondu différemment")
    );
    app.finish().await;
}

async fn a_half_typed_emergency_contact_is_kept_and_guardians_remove_only_their_own(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    let page = format!("{base}/contacts-urgence");
    let token = app.csrf_token(&page).await;

    // Autosave while typing: kept as a draft, not added, not checked yet.
    let response = app
        .client
        .post(app.url(&page))
        .header("X-Autosave", "1")
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", "Josette <b>Mamie</b>"),
            ("phone", "06 1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM emergency_contacts").await,
        0
    );
    let html = app.get_html(&page).await.1;
    assert!(
        html.contains("value=\"Josette &#60;b&#62;Mamie&#60;/b&#62;\"")
            || html.contains("value=\"Josette &lt;b&gt;Mamie&lt;/b&gt;\""),
        "the draft comes back, escaped: {html}"
    );
    assert!(html.contains("value=\"06 1\""));

    // Sent: checked, added, the draft forgotten.
    let response = submit(
        &app,
        &app.client,
        &page,
        &[
            ("name", "Josette Mamie".to_owned()),
            ("relationship", "grand-mère".to_owned()),
            ("phone", "06 12 34 56 78".to_owned()),
            ("action", "ajouter".to_owned()),
        ],
    )
    .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM emergency_contacts").await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM step_drafts").await, 0);
    let html = app.get_html(&page).await.1;
    assert!(html.contains("Josette Mamie (grand-mère)") && !html.contains("value=\"06 1\""));
    let contact: i64 = sqlx::query_scalar("SELECT id FROM emergency_contacts")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let remove = format!("{page}/{contact}/retirer");
    assert!(html.contains(&format!("action=\"{remove}\"")));

    // The other guardian cannot remove it, even by a forged form (nor see
    // it: see privacy.rs).
    let (father_code, birth) = family(&app, &seeded, "le père").await;
    let father = TestApp::client_for(&app);
    sign_in_as(&app, &father, &father_code, &birth).await;
    let father_html = father
        .get(app.url(&format!("{base}/accueil")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let father_token = crate::harness::extract_csrf(&father_html).unwrap();
    let response = father
        .post(app.url(&remove))
        .form(&[("csrf_token", father_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM emergency_contacts").await,
        1
    );

    let response = app.post_form(&page, &remove, &[]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM emergency_contacts").await,
        0
    );
    app.finish().await;
}

/// Issue 10, defect 1: once one parent sent the dossier, the other — who had
/// not reached the last step — was sent round in circles between
/// /confirmation and their furthest step.
async fn the_other_parent_reads_the_sent_dossier_instead_of_going_round_in_circles(app: TestApp) {
    let seeded = app.seed_demo().await;
    // The mother signs in and stops after the first step.
    let base = mother_dossier(&app, &seeded).await;
    let page = format!("{base}/accueil");
    let mut form = prefilled(&app.get_html(&page).await.1);
    form.retain(|(k, _)| k != "csrf_token");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.post_form(&page, &page, &pairs).await;
    // The father, in his own browser, goes through and sends it.
    let (father_code, birth) = family(&app, &seeded, "le père").await;
    let father = TestApp::client_for(&app);
    let signed_in = sign_in_as(&app, &father, &father_code, &birth).await;
    let father_base = location(&signed_in).trim_end_matches("/accueil").to_owned();
    crate::family::walk_without_change_as(&app, &father, &father_base).await;
    let validation = format!("{father_base}/validation");
    let sent = app
        .post_form_as(&father, &validation, &validation, &[("attestation", "oui")])
        .await;
    assert_eq!(location(&sent), format!("{father_base}/confirmation"));

    // The mother comes back: every page she opens leads, in at most two
    // redirects, to a page she can read.
    for start in [
        "/famille",
        &format!("{base}/eleve"),
        &format!("{base}/confirmation"),
    ] {
        let mut url = start.to_owned();
        let mut hops = 0;
        let response = loop {
            let response = app.get(&url).await;
            if !response.status().is_redirection() {
                break response;
            }
            hops += 1;
            assert!(hops <= 2, "from {start}: redirected again to {url}");
            url = location(&response);
        };
        assert_eq!(response.status(), 200, "from {start}");
        let html = response.text().await.unwrap();
        if url.ends_with("/confirmation") {
            assert!(
                html.contains("envoyé à l&#39;établissement par l&#39;autre responsable")
                    || html.contains("envoyé à l'établissement par l'autre responsable"),
                "who sent it"
            );
            assert!(
                !html.contains("Un courriel de confirmation vous est envoyé"),
                "no e-mail was sent to her"
            );
        }
    }
    send_dossier_is_refused_for_the_mother(&app, &base).await;
    app.run_jobs().await;
    app.finish().await;
}

/// The mother cannot send it again: it is sent.
async fn send_dossier_is_refused_for_the_mother(app: &TestApp, base: &str) {
    let page = format!("{base}/confirmation");
    let response = app
        .post_form(
            &page,
            &format!("{base}/validation"),
            &[("attestation", "oui")],
        )
        .await;
    assert_eq!(response.status(), 409);
}

on_both_databases!(
    the_other_parent_reads_the_sent_dossier_instead_of_going_round_in_circles,
    separated_guardians_see_only_their_own_details_and_conflicts_are_flagged,
    a_half_typed_emergency_contact_is_kept_and_guardians_remove_only_their_own,
);
