//! Issue 11 end to end, in a real browser: from an empty install, `dossiersco
//! school add` prints the admin's one-time link; the admin chooses a
//! password, imports the school's exports made by `dossiersco generate`
//! through the import screen, sets up the campaign (dates, MEF succession,
//! options with a group and a capacity, two conditional pieces, tariffs, an
//! exit rule, a custom question; closing before opening and a tariff grid
//! with a gap or an overlap refused on the way), invites a secretary who
//! signs up, sees the ready page all green and gives a guardian a code; the
//! family then sees exactly this configuration. Everything through clicks
//! and typing, each screen reached by its link (only the e-mailed links are
//! opened as such); the database is only read, to choose the family and to
//! assert. axe-core and html-validate on every page.

use fantoccini::Locator;
use serde_json::{Value, json};

use super::{Browser, Counted, click_and_wait, family_sign_in, mark_page, wait_for_new_page};
use crate::harness::TestApp;
use crate::on_both_databases;
use crate::team::{dossiersco, last_link_to, link_in};

async fn type_into(browser: &Browser, id: &str, text: &str) {
    let field = browser
        .client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Sets a date field as the date picker would (its typed form depends on
/// the browser's locale).
async fn set_date(browser: &Browser, id: &str, date: &str) {
    browser
        .client
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![json!(id), json!(date)],
        )
        .await
        .unwrap();
}

async fn select(browser: &Browser, id: &str, value: &str) {
    browser
        .client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("#{id} = {value}: {e}"));
}

/// Follows the link whose text is `text`.
async fn follow(user: &mut Counted<'_>, text: &str) {
    click_and_wait(user.browser, Locator::LinkText(text)).await;
    user.check_page().await;
}

/// Clicks the (first) link of the page to `href` and checks the page it leads to.
async fn click_href(user: &mut Counted<'_>, href: &str) {
    click_and_wait(user.browser, Locator::Css(&format!("a[href='{href}']"))).await;
    user.check_page().await;
    assert_eq!(user.path().await, href);
}

/// Goes to `path` (as typed in the address bar) and checks the page.
async fn visit(user: &mut Counted<'_>, app: &TestApp, path: &str) {
    user.browser.goto(&app.url(path)).await;
    user.check_page().await;
}

/// The id of the option of subject `code` on a MEF's options page.
async fn option_of_subject(browser: &Browser, code: &str) -> String {
    let id: Value = browser
        .client
        .execute(
            "const l = [...document.querySelectorAll('legend[id^=option-]')]
                 .find(l => l.textContent.includes('(matière ' + arguments[0] + ')'));
             return l ? l.id.slice(7, -7) : null;",
            vec![json!(code)],
        )
        .await
        .unwrap();
    id.as_str()
        .unwrap_or_else(|| panic!("no option of subject {code}"))
        .to_owned()
}

/// The id of the option whose family label is `label` on a MEF's options page.
async fn option_id(browser: &Browser, label: &str) -> String {
    let id: Value = browser
        .client
        .execute(
            "const f = [...document.querySelectorAll('input[id^=label_]')].find(i => i.value === arguments[0]);
             return f ? f.id.slice(6) : null;",
            vec![json!(label)],
        )
        .await
        .unwrap();
    id.as_str()
        .unwrap_or_else(|| panic!("no option « {label} »"))
        .to_owned()
}

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

async fn a_school_from_an_empty_install_sets_up_its_campaign_in_the_browser_and_the_family_sees_it(
    app: TestApp,
) {
    let Some(browser) = Browser::start(1280, 900).await else {
        app.finish().await;
        return;
    };
    assert_eq!(app.count("SELECT COUNT(*) FROM schools").await, 0);

    // One school's exports, made by `dossiersco generate`.
    let exports = tempfile::tempdir().unwrap();
    let out = dossiersco(
        &app,
        &[
            "generate",
            "--schools",
            "1",
            "--pupils-per-school",
            "30",
            "-o",
            &exports.path().display().to_string(),
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let folder = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let uai = folder.file_name().unwrap().to_str().unwrap().to_owned();
    let mut files: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|f| f.unwrap().path().display().to_string())
        .collect();
    files.sort();
    assert_eq!(files.len(), 4, "{files:?}");

    // The operator adds the school; the admin opens the printed link.
    let out = dossiersco(
        &app,
        &[
            "school",
            "add",
            "--uai",
            &uai,
            "--name",
            "Collège Jean Moulin",
            "--admin",
            "principale@jean-moulin.fr",
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let link = link_in(
        &String::from_utf8_lossy(&out.stdout),
        &app.url("/agent/invitation/"),
    )
    .expect("the printed link");
    let mut user = Counted::new(&browser);
    browser.goto(&link).await;
    user.check_page().await;
    type_into(&browser, "password", "la principale du collège").await;
    type_into(&browser, "confirmation", "la principale du collège").await;
    user.button("Enregistrer le mot de passe").await;
    assert_eq!(user.path().await, format!("/etablissements/{uai}"));
    let base = format!("/etablissements/{uai}/campagne");

    // The import screen: send, analyse, confirm.
    follow(&mut user, "Importer des fichiers SIECLE").await;
    browser
        .client
        .find(Locator::Id("fichiers"))
        .await
        .unwrap()
        .send_keys(&files.join("\n"))
        .await
        .unwrap();
    user.button("Envoyer et analyser").await;
    app.run_jobs().await;
    browser.refresh().await;
    user.check_page().await;
    let text = browser.text().await;
    assert!(text.contains("Ce que l'import va faire"), "{text}");
    assert!(
        browser
            .client
            .find(Locator::Id("avertissement"))
            .await
            .is_err(),
        "a first import raises no alarm"
    );
    user.button("Confirmer l'import").await;
    assert!(user.path().await.contains("/taches/"));
    app.run_jobs().await;
    browser.refresh().await;
    user.check_page().await;
    let home = format!("/etablissements/{uai}");
    click_href(&mut user, &home).await;
    follow(&mut user, "Importer des fichiers SIECLE").await;
    follow(&mut user, "Import n° 1").await;
    let status: Value = browser
        .client
        .execute(
            "return document.getElementById('import-status').dataset.importStatus",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(status, json!("done"), "{}", browser.text().await);
    user.check_page().await;
    assert_eq!(app.count("SELECT COUNT(*) FROM pupils").await, 30);

    // The ready page lists what is missing.
    click_href(&mut user, &format!("{home}/imports")).await;
    click_href(&mut user, &home).await;
    follow(&mut user, "Préparer la campagne").await;
    assert!(browser.text().await.contains("Pas encore prête"));

    // Dates and texts.
    follow(&mut user, "Dates et textes").await;
    // Closing before opening: refused with its message, nothing saved.
    set_date(&browser, "opens_on", &day(30)).await;
    set_date(&browser, "closes_on", &day(0)).await;
    user.button("Enregistrer").await;
    browser.assert_accessible("the dates, refused").await;
    let text = browser.text().await;
    assert!(text.contains("avant la date d'ouverture"), "{text}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM campaigns WHERE opens_on IS NOT NULL")
            .await,
        0
    );
    set_date(&browser, "opens_on", &day(0)).await;
    set_date(&browser, "closes_on", &day(30)).await;
    type_into(
        &browser,
        "welcome_text",
        "**Bienvenue** au collège Jean Moulin.",
    )
    .await;
    type_into(&browser, "contact_email", "secretariat@jean-moulin.fr").await;
    user.button("Enregistrer").await;
    assert!(!browser.text().await.contains("Erreur"));

    // MEF succession, from the nomenclature.
    let ready = format!("{base}/pret");
    click_href(&mut user, &ready).await;
    click_href(&mut user, &format!("{base}/mefs")).await;
    user.button("Appliquer les propositions").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM mefs WHERE next_mef_id IS NULL AND ends_college = FALSE")
            .await,
        0,
        "every MEF has its next one"
    );

    // The family: a guardian of one child only, whose MEF leads to another.
    let (dossier_id, guardian_id, mef_id, next_mef_id, other_mef_id, birth): (
        i64,
        i64,
        i64,
        i64,
        i64,
        String,
    ) = sqlx::query_as(
        "SELECT d.id, g.id, p.mef_id, m.next_mef_id,
                (SELECT MIN(o.id) FROM mefs o WHERE o.school_id = p.school_id AND o.id <> p.mef_id),
                p.birth_date
         FROM dossiers d JOIN pupils p ON p.id = d.pupil_id JOIN mefs m ON m.id = p.mef_id
         JOIN guardianships l ON l.pupil_id = p.id JOIN guardians g ON g.id = l.guardian_id
         WHERE m.next_mef_id IS NOT NULL
           AND (SELECT COUNT(*) FROM guardianships k WHERE k.guardian_id = g.id) = 1
           AND NOT EXISTS (SELECT 1 FROM pupil_siecle_options o
                           WHERE o.pupil_id = p.id AND o.subject_code IN ('020200', '020300'))
         ORDER BY d.id LIMIT 1",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();

    // Options of the next MEF: Latin and Greek, one of them exactly, Greek with one place.
    click_href(&mut user, &ready).await;
    click_href(&mut user, &home).await;
    click_href(&mut user, &format!("{base}/options")).await;
    click_href(&mut user, &format!("{base}/options/{next_mef_id}")).await;
    for code in ["020300", "020200"] {
        select(&browser, "subject", code).await;
        user.button("Ajouter l'option").await;
    }
    type_into(&browser, "group_label", "Langues anciennes").await;
    user.label("group_rule_exactly").await;
    user.button("Créer le groupe").await;
    let text = browser.text().await;
    assert!(text.contains("Groupe « Langues anciennes » créé"), "{text}");
    let latin = option_of_subject(&browser, "020300").await;
    let greek = option_of_subject(&browser, "020200").await;
    type_into(&browser, &format!("label_{latin}"), "Latin").await;
    type_into(&browser, &format!("label_{greek}"), "Grec ancien").await;
    for option in [&latin, &greek] {
        browser
            .client
            .find(Locator::Id(&format!("group_{option}")))
            .await
            .unwrap()
            .select_by_label("Langues anciennes")
            .await
            .unwrap();
        let open: Value = browser
            .client
            .execute(
                "return document.getElementById('open_' + arguments[0]).checked",
                vec![json!(option)],
            )
            .await
            .unwrap();
        if open != json!(true) {
            user.label(&format!("open_{option}")).await;
        }
    }
    type_into(&browser, &format!("capacity_{greek}"), "1").await;
    user.button("Enregistrer les options").await;
    let text = browser.text().await;
    assert!(text.contains("enregistrées"), "{text}");
    assert_eq!(option_id(&browser, "Grec ancien").await, greek);

    // Two conditional pieces: one for the family's MEF, one for another.
    click_href(&mut user, &format!("{base}/options")).await;
    click_href(&mut user, &home).await;
    click_href(&mut user, &ready).await;
    click_href(&mut user, &format!("{base}/pieces")).await;
    for (label, mef) in [
        ("Attestation de natation", mef_id),
        ("Fiche d'orientation", other_mef_id),
    ] {
        type_into(&browser, "label", label).await;
        user.label(&format!("mef_{mef}")).await;
        user.button("Enregistrer la pièce").await;
        assert!(browser.text().await.contains(label));
    }

    // An exit rule.
    click_href(&mut user, &ready).await;
    click_href(&mut user, &format!("{base}/regimes-de-sortie")).await;
    type_into(&browser, "label", "Sortie libre après le dernier cours").await;
    type_into(
        &browser,
        "description",
        "L'élève quitte le collège après son dernier cours.",
    )
    .await;
    user.button("Ajouter le régime").await;
    assert!(
        browser
            .text()
            .await
            .contains("Sortie libre après le dernier cours")
    );

    // The demi-pension: its days and a grid without gap nor overlap.
    click_href(&mut user, &ready).await;
    click_href(&mut user, &format!("{base}/demi-pension")).await;
    for d in ["lun", "mar", "jeu", "ven"] {
        let checked: Value = browser
            .client
            .execute(
                "return document.getElementById('day_' + arguments[0]).checked",
                vec![json!(d)],
            )
            .await
            .unwrap();
        if checked != json!(true) {
            user.label(&format!("day_{d}")).await;
        }
    }
    // A gap, then an overlap: each refused with its message, nothing saved.
    for (second_min, message) in [
        ("801", "les quotients de 701 à 800 n'ont pas de tarif"),
        ("650", "se chevauchent"),
        ("701", ""),
    ] {
        for (n, (label, min, max, price)) in [
            ("Tranche A", "0", "700", "2,10"),
            ("Tranche B", second_min, "", "4,35"),
        ]
        .into_iter()
        .enumerate()
        {
            type_into(&browser, &format!("label_{n}"), label).await;
            type_into(&browser, &format!("min_{n}"), min).await;
            type_into(&browser, &format!("max_{n}"), max).await;
            type_into(&browser, &format!("price_{n}"), price).await;
        }
        user.button("Enregistrer").await;
        browser.assert_accessible("the demi-pension's screen").await;
        let text = browser.text().await;
        if message.is_empty() {
            assert!(!text.contains("Erreur"), "{text}");
        } else {
            assert!(text.contains(message), "{text}");
            assert_eq!(app.count("SELECT COUNT(*) FROM canteen_tariffs").await, 0);
        }
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM canteen_tariffs").await, 2);

    // A custom question.
    click_href(&mut user, &ready).await;
    click_href(&mut user, &home).await;
    click_href(&mut user, &format!("{base}/questions")).await;
    user.label("kind-custom").await;
    user.label("answer-choice").await;
    type_into(&browser, "label", "Transport").await;
    type_into(
        &browser,
        "question",
        "Comment votre enfant vient-il au collège ?",
    )
    .await;
    type_into(&browser, "choices", "À pied\nEn bus").await;
    type_into(&browser, "key", "transport").await;
    user.button("Ajouter la question").await;
    assert!(browser.text().await.contains("« Transport » ajoutée."));

    // A secretary, invited, signs up.
    click_href(&mut user, &home).await;
    follow(&mut user, "Gérer l'équipe").await;
    follow(&mut user, "Inviter une personne").await;
    type_into(&browser, "name", "Karima Benali").await;
    type_into(&browser, "email", "secretariat@jean-moulin.fr").await;
    user.label("role-secretariat").await;
    user.button("Envoyer l'invitation").await;
    assert!(
        browser
            .text()
            .await
            .contains("Invitation envoyée à secretariat@jean-moulin.fr.")
    );

    // The ready page is all green.
    click_href(&mut user, &home).await;
    click_href(&mut user, &ready).await;
    let text = browser.text().await;
    assert!(
        text.contains("Prête à ouvrir") && !text.contains("À faire"),
        "{text}"
    );

    // A code for the family's guardian, from the dossier's page.
    click_href(&mut user, &home).await;
    click_href(&mut user, &format!("/etablissements/{uai}/dossiers")).await;
    click_href(
        &mut user,
        &format!("/etablissements/{uai}/dossiers/{dossier_id}"),
    )
    .await;
    let form = format!("form[action$='/responsables/{guardian_id}/code'] button");
    mark_page(&browser).await;
    browser
        .client
        .find(Locator::Css(&form))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_new_page(&browser).await;
    user.check_page().await;
    let code = browser
        .client
        .find(Locator::Css(".app-code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    click_and_wait(&browser, Locator::Css("header form button[type=submit]")).await;

    // The secretary opens her link and signs up.
    let invitation = last_link_to(&app, "secretariat@jean-moulin.fr").await;
    visit(&mut user, &app, &invitation).await;
    type_into(&browser, "password", "le secrétariat du collège").await;
    type_into(&browser, "confirmation", "le secrétariat du collège").await;
    user.button("Enregistrer le mot de passe").await;
    assert_eq!(user.path().await, format!("/etablissements/{uai}"));
    assert!(browser.text().await.contains("Karima Benali"));
    click_and_wait(&browser, Locator::Css("header form button[type=submit]")).await;

    // The family sees exactly this configuration.
    family_sign_in(&browser, &app, &code, &birth).await;
    user.check_page().await;
    assert!(
        browser.text().await.contains("Bienvenue"),
        "{}",
        browser.text().await
    );
    user.button("Commencer").await;
    user.button("Valider et continuer").await; // élève
    user.button("Valider et continuer").await; // responsables
    user.button("Continuer").await; // contacts d'urgence
    assert!(user.path().await.ends_with("/scolarite"));
    let text = browser.text().await;
    assert!(text.contains("Langues anciennes"), "{text}");
    assert!(
        text.contains("Choisissez une option, et une seule."),
        "{text}"
    );
    assert!(
        text.contains("Latin") && text.contains("Grec ancien"),
        "{text}"
    );
    assert!(text.contains("1 place(s) encore libre(s) sur 1"), "{text}");
    user.label("option-020200").await;
    user.button("Valider et continuer").await;
    assert!(
        user.path().await.ends_with("/vie-scolaire"),
        "{}",
        browser.text().await
    );
    let text = browser.text().await;
    assert!(
        text.contains("Sortie libre après le dernier cours"),
        "{text}"
    );
    assert!(
        text.contains("Tranche A") && text.contains("2,10") && text.contains("4,35"),
        "{text}"
    );
    assert!(
        text.contains("Jours de demi-pension : lundi, mardi, jeudi et vendredi."),
        "{text}"
    );
    assert!(
        text.contains("Comment votre enfant vient-il au collège ?"),
        "{text}"
    );
    // Nothing the school did not configure: no authorisation, no FSE.
    for absent in [
        "photo de classe",
        "sorties scolaires",
        "foyer socio-éducatif",
    ] {
        assert!(!text.contains(absent), "{absent}: {text}");
    }
    user.click(Locator::XPath(
        "//label[starts-with(normalize-space(), 'Sortie libre après le dernier cours')]",
    ))
    .await;
    user.label("canteen-dp").await;
    user.label("transport-2").await;
    user.button("Valider et continuer").await;
    assert!(
        user.path().await.ends_with("/sante"),
        "{}",
        browser.text().await
    );
    user.button("Valider et continuer").await;
    assert!(
        user.path().await.ends_with("/pieces"),
        "{}",
        browser.text().await
    );
    let text = browser.text().await;
    assert!(text.contains("Attestation de natation"), "{text}");
    assert!(!text.contains("Fiche d'orientation"), "{text}");
    browser.close().await;
    app.finish().await;
}

on_both_databases!(
    a_school_from_an_empty_install_sets_up_its_campaign_in_the_browser_and_the_family_sees_it
);
