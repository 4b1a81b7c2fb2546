//! Privacy between the guardians of a child, on both databases: each has
//! their own access "to protect families in difficult situations", so one
//! never learns the other's details by guessing them, from their own summary
//! or receipt, or through a session the school thought it had ended.

use crate::family::{
    PDF, expected_document, family, location, mother_dossier, send_dossier, sign_in_as, submit,
    walk_without_change_as,
};
use crate::forms::prefilled;
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

/// A guardian's details as SIECLE gave them: (address, postcode, city, e-mail,
/// mobile as pages show it).
async fn siecle_details(app: &TestApp, last: &str, first: &str) -> [String; 5] {
    let (address, postcode, city, email, mobile): (String, String, String, String, String) =
        sqlx::query_as(
            "SELECT address_lines, postcode, city, email, phone_mobile FROM guardians
             WHERE last_name = $1 AND first_name = $2",
        )
        .bind(last)
        .bind(first)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    // The mobile as pages show another guardian's: in pairs of digits.
    let mobile = dossiersco::domain::words::phone(&mobile);
    [address, postcode, city, email, mobile]
}

/// Posts the first steps (accueil, élève) as they are, so that
/// `responsables` opens.
async fn reach_responsables(app: &TestApp, client: &reqwest::Client, base: &str) {
    for step in ["accueil", "eleve"] {
        let page = format!("{base}/{step}");
        let form = prefilled(&text(app, client, &page).await);
        let response = client
            .post(app.url(&page))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{step}");
    }
}

// ---------------------------------------------------------------- contact details

async fn typing_the_other_parents_address_never_reveals_their_details(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change_as(&app, &app.client, &base).await;
    let [address, postcode, city, his_email, his_mobile] =
        siecle_details(&app, "DUBOIS", "Marc").await;
    let [.., her_email, her_mobile] = siecle_details(&app, "NGUYEN", "Thi Lan").await;
    let page = format!("{base}/responsables");
    let his_address = [
        ("address_lines", address.clone()),
        ("postcode", postcode.clone()),
        ("city", city.clone()),
    ];

    // His exact address with a field that fails validation: nothing is
    // saved, and the page that comes back shows nothing of his.
    let mut fields = his_address.to_vec();
    fields.push(("email", "pas-une-adresse".to_owned()));
    let refused = submit(&app, &app.client, &page, &fields).await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("Adresse électronique invalide"), "{html}");
    assert!(
        html.contains("Marc DUBOIS") && !html.contains(&his_email) && !html.contains(&his_mobile),
        "a failed save shows neither his e-mail nor his mobile: {html}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM guardian_changes").await, 0);

    // Saved for real: declaring his address does not unlock his details
    // either, for her or for him.
    let saved = submit(&app, &app.client, &page, &his_address).await;
    assert_eq!(saved.status(), 303);
    let html = app.get_html(&page).await.1;
    assert!(html.contains(&address), "her new address is hers to see");
    assert!(
        !html.contains(&his_email) && !html.contains(&his_mobile),
        "a saved address shows neither his e-mail nor his mobile: {html}"
    );
    let (father_code, birth) = family(&app, &seeded, "le père").await;
    let father = TestApp::client_for(&app);
    sign_in_as(&app, &father, &father_code, &birth).await;
    reach_responsables(&app, &father, &base).await;
    let html = text(&app, &father, &page).await;
    assert!(
        html.contains("Thi Lan NGUYEN")
            && !html.contains(&her_email)
            && !html.contains(&her_mobile),
        "nor hers to him: {html}"
    );
    app.finish().await;
}

async fn guardians_living_together_in_siecle_see_each_others_details_until_one_declares_a_move(
    app: TestApp,
) {
    let seeded = app.seed_demo().await;
    let [.., her_email, her_mobile] = siecle_details(&app, "MARTIN", "Sandrine").await;
    let [.., his_email, his_mobile] = siecle_details(&app, "MARTIN", "Olivier").await;
    let mother = TestApp::client_for(&app);
    let (code, birth) = family(&app, &seeded, "deux enfants (mère)").await;
    assert_eq!(
        location(&sign_in_as(&app, &mother, &code, &birth).await),
        "/famille"
    );
    let list = text(&app, &mother, "/famille").await;
    let first = list.split("href=\"/famille/dossiers/").nth(1).unwrap();
    let base = format!("/famille/dossiers/{}", &first[..first.find('/').unwrap()]);
    let page = format!("{base}/responsables");
    reach_responsables(&app, &mother, &base).await;
    let html = text(&app, &mother, &page).await;
    assert!(
        html.contains(&his_email) && html.contains(&his_mobile),
        "she sees his details: {html}"
    );

    let father = TestApp::client_for(&app);
    let (code, birth) = family(&app, &seeded, "deux enfants (père)").await;
    sign_in_as(&app, &father, &code, &birth).await;
    reach_responsables(&app, &father, &base).await;
    let html = text(&app, &father, &page).await;
    assert!(
        html.contains(&her_email) && html.contains(&her_mobile),
        "he sees hers: {html}"
    );

    // He declares another address: he may have left; neither his new
    // address nor his details reach her any more.
    let moved = submit(
        &app,
        &father,
        &page,
        &[("address_lines", "3 place du Marché".to_owned())],
    )
    .await;
    assert_eq!(moved.status(), 303);
    let html = text(&app, &mother, &page).await;
    assert!(
        html.contains("Olivier MARTIN")
            && !html.contains("3 place du Marché")
            && !html.contains(&his_email)
            && !html.contains(&his_mobile),
        "{html}"
    );
    app.finish().await;
}

on_both_databases!(
    typing_the_other_parents_address_never_reveals_their_details,
    guardians_living_together_in_siecle_see_each_others_details_until_one_declares_a_move,
);

// ---------------------------------------------------------------- summary and receipt

const HIS_CONTACT: &str = "Zorglub";
const HIS_CONTACT_PHONE: &str = "0798765432";
/// The same number as pages and PDFs print it.
const HIS_CONTACT_PHONE_READ: &str = "07 98 76 54 32";
const HIS_FILE: &str = "releve-secret-du-pere.pdf";

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

async fn a_guardian_sees_only_their_own_emergency_contacts_and_file_names(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;

    // The father adds a contact of his and sends a piece.
    let (father_code, birth) = family(&app, &seeded, "le père").await;
    let father = TestApp::client_for(&app);
    sign_in_as(&app, &father, &father_code, &birth).await;
    walk_without_change_as(&app, &father, &base).await;
    let added = submit(
        &app,
        &father,
        &format!("{base}/contacts-urgence"),
        &[
            ("name", format!("{HIS_CONTACT} Tonton")),
            ("relationship", "oncle".to_owned()),
            ("phone", HIS_CONTACT_PHONE.to_owned()),
            ("action", "ajouter".to_owned()),
        ],
    )
    .await;
    assert_eq!(added.status(), 303);
    let insurance = expected_document(&app, 0).await;
    let token = extract_csrf(&text(&app, &father, &format!("{base}/pieces")).await).unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .part(
            "files",
            reqwest::multipart::Part::bytes(PDF.to_vec()).file_name(HIS_FILE),
        );
    let sent = father
        .post(app.url(&format!("{base}/pieces/{insurance}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 303);
    let html = text(&app, &father, &format!("{base}/contacts-urgence")).await;
    assert!(html.contains(HIS_CONTACT), "{html}");
    let html = text(&app, &father, &format!("{base}/pieces")).await;
    assert!(html.contains(HIS_FILE), "{html}");
    let html = text(&app, &father, &format!("{base}/validation")).await;
    assert!(
        html.contains(HIS_CONTACT) && html.contains(HIS_FILE),
        "{html}"
    );

    // The mother: his piece counts for the child, but neither his contact
    // nor his file's name reaches her pages, her receipt or her e-mail.
    walk_without_change_as(&app, &app.client, &base).await;
    for step in ["contacts-urgence", "pieces", "validation"] {
        let html = app.get_html(&format!("{base}/{step}")).await.1;
        assert!(
            !html.contains(HIS_CONTACT)
                && !html.contains(HIS_CONTACT_PHONE)
                && !html.contains(HIS_CONTACT_PHONE_READ)
                && !html.contains(HIS_FILE),
            "{step} shows the father's data to the mother: {html}"
        );
    }
    let html = app.get_html(&format!("{base}/pieces")).await.1;
    assert!(
        html.contains("Fichier fourni par l"),
        "his piece counts: {html}"
    );
    send_dossier(&app, &base).await;
    let html = app.get_html(&format!("{base}/confirmation")).await.1;
    assert!(
        !html.contains(HIS_CONTACT) && !html.contains(HIS_FILE),
        "{html}"
    );
    let receipt = app
        .get(&format!("{base}/recu.pdf"))
        .await
        .bytes()
        .await
        .unwrap();
    assert!(receipt.starts_with(b"%PDF-"));
    assert!(
        !contains(&receipt, HIS_CONTACT)
            && !contains(&receipt, HIS_CONTACT_PHONE)
            && !contains(&receipt, HIS_CONTACT_PHONE_READ)
            && !contains(&receipt, HIS_FILE),
        "the mother's receipt lists the father's data"
    );
    assert!(contains(&receipt, "autre responsable"));
    assert_eq!(
        app.run_jobs().await,
        2,
        "a receipt e-mail to each parent, each at their own address"
    );
    let mails: Vec<(String, String)> =
        sqlx::query_as("SELECT recipient, body_text FROM outbox_emails ORDER BY id")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    let hers = siecle_details(&app, "NGUYEN", "Thi Lan").await[3].clone();
    let his = siecle_details(&app, "DUBOIS", "Marc").await[3].clone();
    let mut recipients: Vec<&str> = mails.iter().map(|(to, _)| to.as_str()).collect();
    recipients.sort_unstable();
    let mut expected = vec![hers.as_str(), his.as_str()];
    expected.sort_unstable();
    assert_eq!(recipients, expected, "one each, never a copy");
    for (_, body) in &mails {
        assert!(
            !body.contains(HIS_CONTACT) && !body.contains(HIS_FILE),
            "{body}"
        );
    }

    // His own receipt lists what is his.
    let receipt = father
        .get(app.url(&format!("{base}/recu.pdf")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        contains(&receipt, HIS_CONTACT)
            && contains(&receipt, HIS_CONTACT_PHONE_READ)
            && contains(&receipt, HIS_FILE)
    );
    app.finish().await;
}

on_both_databases!(a_guardian_sees_only_their_own_emergency_contacts_and_file_names);

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
         WHERE g.last_name = 'NGUYEN' AND g.first_name = 'Thi Lan' AND d.campaign_id IN (SELECT id FROM campaigns WHERE school_year = (SELECT MAX(school_year) FROM campaigns))",
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
    assert_eq!(reissued.status(), 303, "to the page that shows it once");

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
