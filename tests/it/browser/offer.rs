//! Issue 11 in a real browser: the secretariat configures a group of options
//! with a capacity and a custom question; a family then sees exactly this
//! and answers. axe-core on every page.

use dossiersco::db::Backend;
use dossiersco::domain::Role;
use fantoccini::Locator;

use super::{Browser, Counted, agent_sign_in, family_sign_in};
use crate::harness::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secretariat_s_options_and_question_are_what_the_family_sees_and_answers() {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let seeded = app.seed_demo().await;
    let secretariat = &seeded
        .agents
        .iter()
        .find(|(r, _)| *r == Role::Secretariat)
        .unwrap()
        .1;
    // Inès (the separated family) goes to 3e next year.
    let (mef, latin): (i64, i64) = sqlx::query_as(
        "SELECT m.next_mef_id, (SELECT id FROM subject_options WHERE code = '020700')
         FROM pupils p JOIN mefs m ON m.id = p.mef_id WHERE p.first_name = 'Inès'",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();

    agent_sign_in(&browser, &app, secretariat).await;
    let mut user = Counted::new(&browser);
    let options = format!("/etablissements/{}/campagne/options", seeded.uai);
    browser.client.goto(&app.url(&options)).await.unwrap();
    user.check_page().await;
    assert!(browser.text().await.contains("3EME"));
    browser
        .client
        .goto(&app.url(&format!("{options}/{mef}")))
        .await
        .unwrap();
    user.check_page().await;

    // A group where exactly one is chosen, and Greek with one place.
    user.replace_text("group_label", "Langues anciennes").await;
    user.label("group_rule_exactly").await;
    user.button("Créer le groupe").await;
    assert!(
        browser
            .text()
            .await
            .contains("Groupe « Langues anciennes » créé")
    );
    user.replace_text("code", "020800").await;
    user.replace_text("label", "Grec ancien").await;
    user.button("Ajouter l'option").await;
    let greek: i64 = sqlx::query_scalar("SELECT id FROM subject_options WHERE code = '020800'")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let group: i64 =
        sqlx::query_scalar("SELECT id FROM option_groups WHERE label = 'Langues anciennes'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    for option in [latin, greek] {
        browser
            .client
            .find(Locator::Id(&format!("group_{option}")))
            .await
            .unwrap()
            .select_by_value(&group.to_string())
            .await
            .unwrap();
    }
    user.replace_text(&format!("capacity_{greek}"), "1").await;
    user.label(&format!("open_{greek}")).await;
    user.button("Enregistrer les options").await;
    assert!(
        browser
            .text()
            .await
            .contains("Options de 3EME enregistrées.")
    );

    // A custom question, with a choice.
    browser
        .client
        .goto(&app.url(&format!(
            "/etablissements/{}/campagne/questions",
            seeded.uai
        )))
        .await
        .unwrap();
    user.check_page().await;
    user.label("kind-custom").await;
    user.label("answer-choice").await;
    user.replace_text("label", "Transport").await;
    user.replace_text("question", "Comment votre enfant vient-il au collège ?")
        .await;
    user.replace_text("choices", "À pied\nEn bus").await;
    user.replace_text("key", "transport").await;
    user.button("Ajouter la question").await;
    let text = browser.text().await;
    assert!(
        text.contains("« Transport » ajoutée.") && text.contains("En bus"),
        "{text}"
    );
    let question: i64 =
        sqlx::query_scalar("SELECT id FROM school_questions WHERE answer_key = 'transport'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    browser
        .client
        .goto(&app.url(&format!(
            "/etablissements/{}/campagne/questions/{question}/suppression",
            seeded.uai
        )))
        .await
        .unwrap();
    user.check_page().await;
    assert!(browser.text().await.contains("Retirer « Transport » ?"));
    browser
        .client
        .goto(&app.url(&format!(
            "/etablissements/{}/campagne/questions/{question}",
            seeded.uai
        )))
        .await
        .unwrap();
    user.check_page().await;
    assert!(browser.text().await.contains("Modifier une question"));

    // The family.
    let (_, code, _) = seeded
        .families
        .iter()
        .find(|f| f.0.contains("la mère"))
        .unwrap();
    let birth: String =
        sqlx::query_scalar("SELECT birth_date FROM pupils WHERE first_name = 'Inès'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    family_sign_in(&browser, &app, code, &birth).await;
    user.button("Commencer").await;
    user.button("Valider et continuer").await;
    user.button("Valider et continuer").await;
    user.button("Continuer").await;
    let text = browser.text().await;
    assert!(text.contains("Langues anciennes"), "{text}");
    assert!(text.contains("Choisissez une option, et une seule."));
    assert!(text.contains("Grec ancien") && text.contains("1 place(s) encore libre(s) sur 1"));
    // Nothing chosen in the group (unless Inès follows Latin already):
    // refused with its message.
    let follows_latin = app
        .count(
            "SELECT COUNT(*) FROM pupil_options po JOIN pupils p ON p.id = po.pupil_id
             JOIN subject_options o ON o.id = po.option_id WHERE p.first_name = 'Inès' AND o.code = '020700'",
        )
        .await
        > 0;
    if !follows_latin {
        user.button("Valider et continuer").await;
        assert!(
            browser
                .text()
                .await
                .contains("« Langues anciennes » : choisissez une option.")
        );
    }
    user.label("option-020800").await;
    user.button("Valider et continuer").await;
    assert!(user.path().await.ends_with("/vie-scolaire"));
    let text = browser.text().await;
    assert!(
        text.contains("Comment votre enfant vient-il au collège ?"),
        "{text}"
    );
    user.label("photo-oui").await;
    user.label("sorties-oui").await;
    user.label("transport-2").await;
    user.button("Valider et continuer").await;
    user.button("Valider et continuer").await; // santé
    assert!(user.path().await.ends_with("/pieces"));
    user.button("Continuer").await;
    assert!(user.path().await.ends_with("/validation"));
    let text = browser.text().await;
    assert!(
        text.contains("Transport") && text.contains("En bus"),
        "{text}"
    );
    assert!(text.contains("Grec ancien"), "{text}");
    let answer: String =
        sqlx::query_scalar("SELECT answer FROM dossier_answers WHERE question = 'transport'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(answer, "En bus");
    browser.close().await;
    app.finish().await;
}
