//! What people read: French sentences around names ("d'Inès"), readable
//! class levels and phone numbers, one label per dossier state, page titles
//! that say when a form came back with errors, no format hint over a date
//! picker, numeric keyboards for numbers, the legal notice and the
//! ministry's name in the DSFR logo, the receipt's PDF title.

use dossiersco::demo::DEMO_PASSWORD;
use dossiersco::domain::dossier_state::DossierState;

use crate::family::{location, mother_dossier, send_dossier, sign_in, walk_without_change_as};
use crate::forms::prefilled;
use crate::harness::TestApp;
use crate::on_both_databases;

/// The page's HTML with askama's escaped apostrophes turned back.
async fn page(app: &TestApp, path: &str) -> String {
    let (status, html) = app.get_html(path).await;
    assert_eq!(status, 200, "{path}");
    unescape(&html)
}

fn unescape(html: &str) -> String {
    html.replace("&#x27;", "'").replace("&#39;", "'")
}

fn title(html: &str) -> &str {
    let start = html.find("<title>").unwrap() + "<title>".len();
    &html[start..start + html[start..].find("</title>").unwrap()]
}

async fn the_family_reads_french_words_not_codes(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;

    let list = page(&app, "/famille").await;
    assert!(list.contains("Dossier pas encore commencé"), "{list}");
    assert!(!list.contains("Dossier en cours"), "untouched: {list}");
    assert!(list.contains("le dossier d'Inès DUBOIS"), "{list}");

    let welcome = page(&app, &format!("{base}/accueil")).await;
    assert!(
        welcome.contains("Dossier d'<strong>Inès DUBOIS</strong>"),
        "{welcome}"
    );

    // An emergency contact's number, typed without spaces.
    let contacts = format!("{base}/contacts-urgence");
    walk_without_change_as(&app, &app.client, &base).await;
    let added = app
        .post_form(
            &contacts,
            &contacts,
            &[
                ("name", "Jeanne Martin"),
                ("relationship", "grand-mère"),
                ("phone", "0612345678"),
                ("action", "ajouter"),
            ],
        )
        .await;
    assert_eq!(added.status(), 303);
    let contacts = page(&app, &contacts).await;
    assert!(contacts.contains("06 12 34 56 78"), "{contacts}");

    let schooling = page(&app, &format!("{base}/scolarite")).await;
    assert!(
        schooling.contains("Cette année : <strong>5e</strong>")
            || schooling.contains("Cette année : <strong>4e</strong>")
            || schooling.contains("Cette année : <strong>3e</strong>")
            || schooling.contains("Cette année : <strong>6e</strong>"),
        "{schooling}"
    );
    assert!(!schooling.contains("EME"), "{schooling}");

    // Numbers get a numeric keyboard.
    let guardians = page(&app, &format!("{base}/responsables")).await;
    assert!(
        guardians.contains(r#"id="postcode" name="postcode""#)
            && guardians
                .split(r#"id="postcode""#)
                .nth(1)
                .unwrap()
                .split('>')
                .next()
                .unwrap()
                .contains(r#"inputmode="numeric""#),
        "{guardians}"
    );
    let school_life = page(&app, &format!("{base}/vie-scolaire")).await;
    assert!(
        school_life
            .split(r#"id="quotient""#)
            .nth(1)
            .unwrap()
            .split('>')
            .next()
            .unwrap()
            .contains(r#"inputmode="numeric""#),
        "{school_life}"
    );

    // A native date picker has no "JJ/MM/AAAA" hint over it.
    let pupil = page(&app, &format!("{base}/eleve")).await;
    assert!(pupil.contains(r#"type="date""#));
    assert!(!pupil.contains("JJ/MM/AAAA"), "{pupil}");
    assert!(title(&pupil).starts_with("Élève"), "{}", title(&pupil));

    // A form sent back with errors says so in the page's title.
    let eleve = format!("{base}/eleve");
    let mut form = prefilled(&pupil);
    form.retain(|(k, _)| k != "first_name");
    form.push(("first_name".into(), String::new()));
    let refused = app
        .client
        .post(app.url(&eleve))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let refused = unescape(&refused.text().await.unwrap());
    assert!(
        title(&refused).starts_with("Erreur : Élève"),
        "{}",
        title(&refused)
    );

    // The receipt's PDF title reads as written.
    send_dossier(&app, &base).await;
    let pdf = app
        .get(&format!("{base}/recu.pdf"))
        .await
        .bytes()
        .await
        .unwrap();
    let document = lopdf::Document::load_mem(&pdf).unwrap();
    let info = document
        .trailer
        .get(b"Info")
        .unwrap()
        .as_reference()
        .unwrap();
    let info = document.get_dictionary(info).unwrap();
    let pdf_title = lopdf::decode_text_string(info.get(b"Title").unwrap()).unwrap();
    assert!(pdf_title.starts_with("Récépissé — "), "{pdf_title}");
    let confirmation = page(&app, &format!("{base}/confirmation")).await;
    assert!(
        confirmation.contains("Réinscription d'Inès DUBOIS"),
        "{confirmation}"
    );
    app.run_jobs().await;
    app.finish().await;
}

async fn sign_in_pages_say_error_in_their_title(app: TestApp) {
    let family = page(&app, "/famille/connexion").await;
    assert!(!family.contains("JJ/MM/AAAA"), "a date picker: {family}");
    let refused = sign_in(&app, "AAAA-BBBB-CCCC", "2012-01-01").await;
    assert_ne!(refused.status(), 303);
    let refused = unescape(&refused.text().await.unwrap());
    assert!(
        title(&refused).starts_with("Erreur : Connexion des familles"),
        "{}",
        title(&refused)
    );
    let agent = app
        .sign_in_agent("personne@exemple.fr", "mauvais mot de passe")
        .await;
    assert_ne!(agent.status(), 303);
    let agent = unescape(&agent.text().await.unwrap());
    assert!(
        title(&agent).starts_with("Erreur : Connexion des agents"),
        "{}",
        title(&agent)
    );
    app.finish().await;
}

async fn the_school_names_each_state_as_its_list_does(app: TestApp) {
    let seeded = app.seed_demo().await;
    let response = app
        .sign_in_agent("direction@demo.dossiersco.fr", DEMO_PASSWORD)
        .await;
    assert_eq!(response.status(), 303, "{}", location(&response));
    let school = format!("/etablissements/{}", seeded.uai);
    let dashboard = page(&app, &school).await;
    let tiles: Vec<&str> = dashboard
        .split(r#"<p class="fr-tile__desc">"#)
        .skip(1)
        .map(|rest| rest.split("</p>").next().unwrap())
        .collect();
    let labels: Vec<&str> = DossierState::ALL.iter().map(|s| s.label()).collect();
    assert_eq!(
        tiles, labels,
        "the dashboard names the states as the domain does"
    );
    let list = page(&app, &format!("{school}/dossiers")).await;
    for label in labels {
        // The list's queues and badges start with a capital.
        let mut chars = label.chars();
        let capitalised: String = chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
        assert!(list.contains(&capitalised), "{capitalised}: {list}");
    }
    app.finish().await;
}

async fn every_page_links_the_legal_notice_under_the_ministrys_logo(app: TestApp) {
    let home = page(&app, "/").await;
    assert!(
        home.contains(
            r#"<a class="fr-footer__bottom-link" href="/mentions-legales">Mentions légales</a>"#
        ),
        "{home}"
    );
    assert_eq!(
        home.matches(r#"<p class="fr-logo">Ministère<br>de l'Éducation<br>nationale</p>"#)
            .count(),
        2,
        "the header's and the footer's logo: {home}"
    );
    let notice = page(&app, "/mentions-legales").await;
    assert!(notice.contains("<h1>Mentions légales</h1>"), "{notice}");
    app.finish().await;
}

on_both_databases!(
    the_family_reads_french_words_not_codes,
    sign_in_pages_say_error_in_their_title,
    the_school_names_each_state_as_its_list_does,
    every_page_links_the_legal_notice_under_the_ministrys_logo,
);
