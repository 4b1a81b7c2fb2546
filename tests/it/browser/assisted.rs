//! At the desk (issue 13, assisted mode): a secretariat agent creates a pupil
//! SIECLE does not know yet, then fills the new dossier with the family
//! through the family's own pages and sends it; every page accessible and
//! valid HTML, every tap and keystroke counted.

use dossiersco::db::Backend;
use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::{Value, json};

use super::{Browser, Counted, agent_sign_in, mark_page, wait_for_new_page};
use crate::harness::TestApp;

impl Counted<'_> {
    /// Presses Enter in the field `id` and waits for the page it submits
    /// (one key).
    async fn enter(&mut self, id: &str) {
        mark_page(self.browser).await;
        let enter: char = Key::Enter.into();
        self.browser
            .client
            .find(Locator::Id(id))
            .await
            .unwrap()
            .send_keys(&enter.to_string())
            .await
            .unwrap();
        self.typed += 1;
        wait_for_new_page(self.browser).await;
        self.check_page().await;
    }

    /// Answers every radio question of the form left unanswered with its
    /// first choice (one tap each); returns how many.
    async fn answer_unanswered(&mut self) -> usize {
        let names: Value = self
            .browser
            .client
            .execute(
                "const names = [...new Set([...document.querySelectorAll('main form input[type=radio]')].map(r => r.name))];
                 return names.filter(n => !document.querySelector(`main form input[name='${n}']:checked`));",
                vec![],
            )
            .await
            .unwrap();
        let names: Vec<String> = serde_json::from_value(names).unwrap();
        for name in &names {
            self.click(Locator::Css(&format!(
                "main form input[name='{name}'] + label"
            )))
            .await;
        }
        names.len()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_desk_an_agent_creates_a_new_pupil_and_fills_the_dossier_with_the_family() {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let seeded = app.seed_demo().await;
    let pool = app.db().pool();
    let mef: String = sqlx::query_scalar("SELECT code FROM mefs ORDER BY code LIMIT 1")
        .fetch_one(pool)
        .await
        .unwrap();
    let regime: String =
        sqlx::query_scalar("SELECT MIN(regime_code) FROM pupils WHERE regime_code <> ''")
            .fetch_one(pool)
            .await
            .unwrap();
    agent_sign_in(&browser, &app, "secretariat@demo.dossiersco.fr").await;
    let mut user = Counted::new(&browser);
    browser
        .goto(&app.url(&format!("/etablissements/{}/dossiers", seeded.uai)))
        .await;
    user.check_page().await;
    mark_page(&browser).await;
    user.click(Locator::LinkText("Nouvel élève")).await;
    wait_for_new_page(&browser).await;
    user.check_page().await;

    for (id, text) in [
        ("last_name", "MARTIN"),
        ("first_name", "Léo"),
        ("birth_commune_insee", "75112"),
        ("previous_uai", "0750680G"),
        ("g1_last_name", "MARTIN"),
        ("g1_first_name", "Awa"),
        ("g1_address", "3 rue des Lilas"),
        ("g1_postcode", "75012"),
        ("g1_city", "Paris"),
        ("g1_phone", "0601020304"),
    ] {
        user.replace_text(id, text).await;
    }
    browser
        .client
        .execute(
            "document.getElementById('birth_date').value = arguments[0];",
            vec![json!("2014-03-02")],
        )
        .await
        .unwrap();
    user.typed += 8; // JJMMAAAA, typed in the date field
    // Enter in a field presses the form's default button, the creation's,
    // never the search of a known guardian: the form's errors (nothing
    // chosen yet), what was typed kept.
    user.enter("first_name").await;
    let text = browser.text().await;
    assert!(
        text.contains("Certaines informations sont à corriger"),
        "{text}"
    );
    assert!(text.contains("Indiquez le sexe de l'élève."), "{text}");
    assert!(!text.contains("Aucun responsable de vos élèves"), "{text}");
    assert!(!text.contains("Responsable à lier"), "{text}");
    user.click(Locator::Css("label[for='sex-M']")).await;
    user.choose("entry_mef", &mef).await;
    user.choose("regime", &regime).await;
    // The demo has the nomenclature's provenances: chosen by their words.
    user.choose("provenance", "2").await;
    user.click(Locator::Css("label[for='g1_civility-2']")).await;
    user.choose("g1_relationship", "10").await;
    let (form_clicks, form_typed) = (user.clicks, user.typed);
    // Enter in the last field typed creates the pupil.
    user.enter("g1_phone").await;
    let text = browser.text().await;
    assert!(text.contains("Élève créé"), "{text}");
    assert!(text.contains("Léo MARTIN"), "{text}");

    user.button("Remplir avec la famille").await;
    assert!(
        user.path().await.ends_with("/accueil"),
        "{}",
        user.path().await
    );
    assert!(browser.text().await.contains("Mode accompagné"));
    user.button("Commencer").await;
    user.button("Valider et continuer").await; // élève
    user.button("Valider et continuer").await; // responsables
    user.button("Continuer").await; // contacts d'urgence
    user.answer_unanswered().await;
    user.button("Valider et continuer").await; // scolarité
    let answered = user.answer_unanswered().await; // a new family: nothing from last year
    user.button("Valider et continuer").await; // vie scolaire
    user.answer_unanswered().await;
    user.button("Valider et continuer").await; // santé
    assert!(
        user.path().await.ends_with("/pieces"),
        "{}",
        user.path().await
    );
    user.button("Continuer").await;
    assert!(
        user.path().await.ends_with("/validation"),
        "{}",
        user.path().await
    );
    user.label("attestation").await;
    user.button("Envoyer le dossier à l'établissement").await;
    assert!(
        user.path().await.ends_with("/confirmation"),
        "{}",
        browser.text().await
    );
    user.button("Terminer et revenir au dossier").await;
    let text = browser.text().await;
    assert!(text.contains("Mode accompagné terminé"), "{text}");
    assert!(text.contains("envoyé"), "{text}");

    // What the agent did, counted (with the family's answers given at the desk).
    assert_eq!(
        form_typed, 75,
        "characters typed in the new pupil form (one Enter)"
    );
    assert_eq!(form_clicks, 11, "taps in the new pupil form");
    assert!(
        answered > 0,
        "a new family answers the school-life questions"
    );
    let _ = std::io::Write::write_fmt(
        &mut std::io::stderr(),
        format_args!(
            "at the desk: {} taps and {} characters in all ({} in the journey's answers)\n",
            user.clicks, user.typed, answered
        ),
    );
    assert_eq!(
        user.typed,
        form_typed + 1,
        "nothing typed in the journey but the Enter that created the pupil"
    );
    assert_eq!(user.clicks, 27, "taps in all, the new pupil form included");
    let saves = app
        .count("SELECT COUNT(*) FROM audit_events WHERE action = 'dossier_saved' AND mode = 'assisted'")
        .await;
    assert!(saves >= 9, "{saves}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers d JOIN pupils p ON p.id = d.pupil_id WHERE p.created_by_school = TRUE AND d.state = 'submitted'")
            .await,
        1
    );
    browser.close().await;
    app.run_jobs().await;
    app.finish().await;
}
