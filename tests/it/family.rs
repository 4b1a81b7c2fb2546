//! The family journey over HTTP, on both databases: access, steps, changes,
//! separated families, locking, bad input, uploads.

use dossiersco::demo::Seeded;

use crate::forms::prefilled;
use crate::harness::TestApp;
use crate::on_both_databases;

/// The demo guardian whose description contains `who`: (code, first child's birth date).
pub(crate) async fn family(app: &TestApp, seeded: &Seeded, who: &str) -> (String, String) {
    let (_, code, _) = seeded
        .families
        .iter()
        .find(|f| f.0.contains(who))
        .expect("a demo family");
    let guardian: i64 = sqlx::query_scalar("SELECT id FROM guardians WHERE access_code_hash = $1")
        .bind(dossiersco::domain::access_code::hash(code))
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let birth: String = sqlx::query_scalar(
        "SELECT p.birth_date FROM pupils p JOIN guardianships g ON g.pupil_id = p.id WHERE g.guardian_id = $1 ORDER BY p.birth_date LIMIT 1",
    )
    .bind(guardian)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    (code.clone(), birth)
}

pub(crate) async fn sign_in(app: &TestApp, code: &str, birth: &str) -> reqwest::Response {
    app.post_form(
        "/famille/connexion",
        "/famille/connexion",
        &[("code", code), ("birth_date", birth)],
    )
    .await
}

/// Signs in from another browser (`client`, its own cookies).
pub(crate) async fn sign_in_as(
    app: &TestApp,
    client: &reqwest::Client,
    code: &str,
    birth: &str,
) -> reqwest::Response {
    let html = client
        .get(app.url("/famille/connexion"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = crate::harness::extract_csrf(&html).unwrap();
    client
        .post(app.url("/famille/connexion"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("code", code),
            ("birth_date", birth),
        ])
        .send()
        .await
        .unwrap()
}

pub(crate) fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Signs in the separated family's mother; returns the URL of her child's dossier (without step).
pub(crate) async fn mother_dossier(app: &TestApp, seeded: &Seeded) -> String {
    let (code, birth) = family(app, seeded, "la mère").await;
    let response = sign_in(app, &code, &birth).await;
    assert_eq!(response.status(), 303);
    let to = location(&response);
    assert!(to.ends_with("/accueil"), "{to}");
    to.trim_end_matches("/accueil").to_owned()
}

/// Posts every step with what is prefilled (a family with no change).
async fn walk_without_change(app: &TestApp, base: &str) {
    walk_without_change_as(app, &app.client, base).await;
}

/// [`walk_without_change`] from another browser (`client`, its own cookies).
pub(crate) async fn walk_without_change_as(app: &TestApp, client: &reqwest::Client, base: &str) {
    let step = |s: &str| format!("{base}/{s}");
    for (name, fields) in [
        ("accueil", vec![]),
        ("eleve", vec![]),
        ("responsables", vec![]),
        ("contacts-urgence", vec![("action", "continuer")]),
        ("scolarite", vec![]),
        ("vie-scolaire", vec![("photo", "oui"), ("sorties", "oui")]),
        ("sante", vec![]),
        ("pieces", vec![]),
    ] {
        let page = step(name);
        let html = client
            .get(app.url(&page))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut form = prefilled(&html);
        for (k, v) in fields {
            form.retain(|(key, _)| key != k);
            form.push((k.to_owned(), v.to_owned()));
        }
        let response = client
            .post(app.url(&page))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            303,
            "step {name}: {}",
            response.text().await.unwrap()
        );
    }
}

/// Sends the dossier from the validation step (attestation ticked).
pub(crate) async fn send_dossier(app: &TestApp, base: &str) {
    let page = format!("{base}/validation");
    let sent = app.post_form(&page, &page, &[("attestation", "oui")]).await;
    assert_eq!(location(&sent), format!("{base}/confirmation"));
}

/// Signs the family out from its confirmation page.
async fn sign_out_family(app: &TestApp, base: &str) {
    app.post_form(&format!("{base}/confirmation"), "/famille/deconnexion", &[])
        .await;
}

/// Submits the last form of `page` as `client`'s browser would, with `changes`
/// replacing (or adding) fields.
pub(crate) async fn submit(
    app: &TestApp,
    client: &reqwest::Client,
    page: &str,
    changes: &[(&str, String)],
) -> reqwest::Response {
    let html = client
        .get(app.url(page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut form = prefilled(&html);
    for (key, value) in changes {
        form.retain(|(k, _)| k != key);
        form.push(((*key).to_owned(), value.clone()));
    }
    client.post(app.url(page)).form(&form).send().await.unwrap()
}

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

    assert_eq!(app.run_jobs().await, 1, "the receipt e-mail");
    let subject: String = sqlx::query_scalar("SELECT subject FROM outbox_emails")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert!(
        subject.starts_with("Réinscription de Inès DUBOIS enregistrée"),
        "{subject}"
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
    form.retain(|(k, _)| k != "canteen");
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
    let conflicts: Vec<String> = dossiersco::db::family::conflicting_questions(
        app.db().pool(),
        base.rsplit('/').next().unwrap().parse().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(conflicts, vec!["canteen".to_owned(), "photo".to_owned()]);
    assert!(
        app.get_html(&format!("{base}/validation"))
            .await
            .1
            .contains("L'autre responsable a répondu différemment")
    );
    app.finish().await;
}

async fn a_guardian_cannot_open_or_change_another_familys_dossier(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    let other: i64 = sqlx::query_scalar(
        "SELECT d.id FROM dossiers d JOIN pupils p ON p.id = d.pupil_id WHERE p.last_name = 'MARTIN' ORDER BY d.id LIMIT 1",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let foreign = format!("/famille/dossiers/{other}/eleve");
    assert_eq!(app.get(&foreign).await.status(), 404);
    let token = app.csrf_token(&format!("{base}/accueil")).await;
    let forged = app
        .client
        .post(app.url(&foreign))
        .form(&[
            ("csrf_token", token.as_str()),
            ("last_name", "PIRATE"),
            ("first_name", "X"),
            ("sex", "M"),
            ("birth_date", "2013-01-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM pupil_changes").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'forbidden_dossier'")
            .await,
        2
    );
    // Not signed in at all: sent to the sign-in page.
    let anonymous = TestApp::client_for(&app);
    let response = anonymous
        .get(app.url(&format!("{base}/eleve")))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/famille/connexion");
    app.finish().await;
}

async fn a_sent_dossier_can_no_longer_be_changed_by_url_or_forged_form(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    send_dossier(&app, &base).await;
    app.run_jobs().await;
    assert_eq!(
        location(&app.get(&format!("{base}/eleve")).await),
        format!("{base}/confirmation")
    );
    let token = app.csrf_token(&format!("{base}/confirmation")).await;
    let forged = app
        .client
        .post(app.url(&format!("{base}/eleve")))
        .form(&[
            ("csrf_token", token.as_str()),
            ("last_name", "AUTRE"),
            ("first_name", "Inès"),
            ("sex", "F"),
            ("birth_date", "2013-08-22"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 409);
    assert!(forged.text().await.unwrap().contains("Dossier déjà envoyé"));
    let again = app
        .client
        .post(app.url(&format!("{base}/validation")))
        .form(&[("csrf_token", token.as_str()), ("attestation", "oui")])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    assert_eq!(app.count("SELECT COUNT(*) FROM pupil_changes").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossier_transitions WHERE to_state = 'submitted'")
            .await,
        1
    );
    app.finish().await;
}

async fn wrong_codes_get_a_clear_message_and_a_code_locks_after_five_failures(app: TestApp) {
    let seeded = app.seed_demo().await;
    let (code, birth) = family(&app, &seeded, "la mère").await;
    let unknown = sign_in(&app, "AAAA-BBBB-CCCC", &birth).await;
    assert_eq!(unknown.status(), 401);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("Code personnel ou date de naissance incorrects")
    );
    for _ in 0..4 {
        assert_eq!(sign_in(&app, &code, "2001-01-01").await.status(), 401);
    }
    assert_eq!(sign_in(&app, &code, "2001-01-01").await.status(), 401);
    let locked = sign_in(&app, &code, &birth).await;
    assert_eq!(locked.status(), 403);
    assert!(
        locked
            .text()
            .await
            .unwrap()
            .contains("bloqué pendant 15 minutes")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    // The school re-issues a code: the lock is lifted.
    let guardian: i64 = sqlx::query_scalar("SELECT id FROM guardians WHERE access_code_hash = $1")
        .bind(dossiersco::domain::access_code::hash(&code))
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let fresh = dossiersco::domain::access_code::generate();
    dossiersco::db::family::set_access_code(
        app.db().pool(),
        guardian,
        &dossiersco::domain::access_code::hash(&fresh),
    )
    .await
    .unwrap();
    assert_eq!(
        sign_in(&app, &code, &birth).await.status(),
        401,
        "the old code no longer works"
    );
    // Typed by hand, lower case, with the French date format.
    let (y, m, d) = (&birth[..4], &birth[5..7], &birth[8..]);
    assert_eq!(
        sign_in(
            &app,
            &fresh.to_lowercase().replace('-', " "),
            &format!("{d}/{m}/{y}")
        )
        .await
        .status(),
        303
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

async fn bad_input_is_refused_with_a_message_and_html_is_shown_escaped(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    let page = format!("{base}/eleve");
    let long = "A".repeat(10_000);
    for (field, value, message) in [
        ("last_name", long.as_str(), "trop long"),
        ("birth_date", "2099-01-01", "dans le futur"),
        ("birth_date", "2013-02-31", "Date invalide"),
        ("first_name", "", "obligatoire"),
    ] {
        let mut form = prefilled(&app.get_html(&page).await.1);
        for (k, v) in form.iter_mut() {
            if k == field {
                *v = value.to_owned();
            }
        }
        let response = app
            .client
            .post(app.url(&page))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{field}={value}");
        let html = response.text().await.unwrap();
        assert!(html.contains(message), "{field}: {message}");
        assert!(
            html.contains(&format!("aria-describedby=\"{field}-error\"")),
            "the error is tied to its field"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM pupil_changes").await,
        0,
        "nothing stored"
    );

    let script = "<script>alert('x')</script>";
    let mut form = prefilled(&app.get_html(&page).await.1);
    for (k, v) in form.iter_mut() {
        if k == "birth_city" {
            *v = script.to_owned();
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
    let summary = app.get_html(&format!("{base}/validation")).await.1;
    assert!(
        !summary.contains(script) && summary.contains("&#60;script&#62;"),
        "shown escaped"
    );
    app.finish().await;
}

on_both_databases!(
    a_family_with_nothing_to_change_sends_its_dossier_and_gets_a_receipt,
    a_changed_address_is_remembered_as_a_change_against_siecle,
    separated_guardians_see_only_their_own_details_and_conflicts_are_flagged,
    a_guardian_cannot_open_or_change_another_familys_dossier,
    a_sent_dossier_can_no_longer_be_changed_by_url_or_forged_form,
    wrong_codes_get_a_clear_message_and_a_code_locks_after_five_failures,
    a_guardian_of_two_children_sees_both_and_resumes_where_they_stopped,
    bad_input_is_refused_with_a_message_and_html_is_shown_escaped,
);

// ---------------------------------------------------------------- uploads

pub(crate) const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
/// A real 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0x64, 0x60, 0xF8, 0x5F,
    0x0F, 0x00, 0x02, 0x87, 0x01, 0x80, 0xEB, 0x47, 0xBA, 0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

async fn upload(
    app: &TestApp,
    base: &str,
    document: i64,
    files: Vec<(&str, Vec<u8>)>,
) -> reqwest::Response {
    let token = app.csrf_token(&format!("{base}/pieces")).await;
    let mut form = reqwest::multipart::Form::new().text("csrf_token", token);
    for (name, bytes) in files {
        form = form.part(
            "files",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    }
    app.client
        .post(app.url(&format!("{base}/pieces/{document}")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn expected_document(app: &TestApp, position: i64) -> i64 {
    sqlx::query_scalar("SELECT id FROM expected_documents WHERE position = $1")
        .bind(position)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

async fn stored_files(app: &TestApp) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            count(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    count(&app.state.settings.documents_dir())
}

async fn documents_are_checked_from_their_content_and_stored_in_the_documents_store(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    let insurance = expected_document(&app, 0).await;
    let response = upload(
        &app,
        &base,
        insurance,
        vec![("recto.pdf", PDF.to_vec()), ("verso.PNG", PNG.to_vec())],
    )
    .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM uploads").await,
        2,
        "two files for one piece"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM uploads WHERE content_type = 'image/png'")
            .await,
        1
    );
    assert_eq!(stored_files(&app).await, 2);
    let html = app.get_html(&format!("{base}/pieces")).await.1;
    assert!(html.contains("recto.pdf") && html.contains("verso.PNG"));

    let mut polyglot = PNG.to_vec();
    polyglot.extend_from_slice(b"PK\x03\x04hidden.exePK\x05\x06");
    let mut truncated_jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
    truncated_jpeg.extend(std::iter::repeat_n(0x42, 300));
    for (name, bytes, message) in [
        (
            "facture.pdf",
            b"MZ\x90\x00\x03\x00\x00\x00This program cannot be run in DOS mode".to_vec(),
            "pas accepté",
        ),
        ("photo.jpg", truncated_jpeg, "abîmé"),
        ("image.png", polyglot, "autre chose"),
        ("vide.pdf", Vec::new(), "est vide"),
    ] {
        let response = upload(&app, &base, insurance, vec![(name, bytes)]).await;
        let status = response.status();
        let html = response.text().await.unwrap();
        assert_eq!(status, 422, "{name}");
        assert!(html.contains(message), "{name}: {message}");
        assert!(html.contains(name), "the message names the file");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM uploads").await,
        2,
        "nothing refused was recorded"
    );
    assert_eq!(stored_files(&app).await, 2, "nothing refused was stored");
    app.finish().await;
}

async fn an_oversized_upload_is_refused_and_leaves_nothing(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    let insurance = expected_document(&app, 0).await;
    // 20.5 MB: under the request limit, over the 20 MB limit per file, so
    // refused while streaming (larger requests are refused from their headers).
    let mut big = PDF.to_vec();
    big.resize(20 * 1024 * 1024 + 512 * 1024, b' ');
    let response = upload(&app, &base, insurance, vec![("scan.pdf", big)]).await;
    assert!(
        matches!(response.status().as_u16(), 413 | 422),
        "{}",
        response.status()
    );
    assert!(response.text().await.unwrap().contains("volumineux"));
    assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 0);
    assert_eq!(stored_files(&app).await, 0);
    app.finish().await;
}

async fn a_200_mb_upload_is_refused_before_it_is_read(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    let insurance = expected_document(&app, 0).await;
    let token = app.csrf_token(&format!("{base}/pieces")).await;
    // 200 MB announced and streamed lazily: the server answers from the headers.
    let chunks = futures::stream::iter(
        (0..200).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b' '; 1024 * 1024]))),
    );
    let part = reqwest::multipart::Part::stream_with_length(
        reqwest::Body::wrap_stream(chunks),
        200 * 1024 * 1024,
    )
    .file_name("enorme.pdf");
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .part("files", part);
    match app
        .client
        .post(app.url(&format!("{base}/pieces/{insurance}")))
        .multipart(form)
        .send()
        .await
    {
        Ok(response) => {
            assert_eq!(response.status(), 413);
            assert!(
                response
                    .text()
                    .await
                    .unwrap()
                    .contains("Envoi trop volumineux")
            );
        }
        // The server may close the connection while the client still sends.
        Err(err) => assert!(err.is_request() || err.is_body(), "{err}"),
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 0);
    assert_eq!(stored_files(&app).await, 0);
    app.finish().await;
}

async fn a_mandatory_piece_must_be_sent_before_going_on(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    sqlx::query("UPDATE expected_documents SET mandatory = $1 WHERE position = 0")
        .bind(true)
        .execute(app.db().pool())
        .await
        .unwrap();
    for step in [
        "accueil",
        "eleve",
        "responsables",
        "contacts-urgence",
        "scolarite",
        "vie-scolaire",
        "sante",
    ] {
        let mut form = prefilled(&app.get_html(&format!("{base}/{step}")).await.1);
        if step == "vie-scolaire" {
            form.extend([
                ("photo".into(), "oui".into()),
                ("sorties".into(), "oui".into()),
            ]);
        }
        app.client
            .post(app.url(&format!("{base}/{step}")))
            .form(&form)
            .send()
            .await
            .unwrap();
    }
    let blocked = app
        .post_form(&format!("{base}/pieces"), &format!("{base}/pieces"), &[])
        .await;
    assert_eq!(blocked.status(), 422);
    assert!(
        blocked
            .text()
            .await
            .unwrap()
            .contains("Il manque une pièce obligatoire")
    );
    upload(
        &app,
        &base,
        expected_document(&app, 0).await,
        vec![("assurance.pdf", PDF.to_vec())],
    )
    .await;
    let ok = app
        .post_form(&format!("{base}/pieces"), &format!("{base}/pieces"), &[])
        .await;
    assert_eq!(location(&ok), format!("{base}/validation"));
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

on_both_databases!(a_half_typed_emergency_contact_is_kept_and_guardians_remove_only_their_own);

/// A HEIC photo made with libheif's `heif-enc` (120×80, blue top third).
const HEIC: &[u8] = include_bytes!("../fixtures/photo.heic");

async fn heic_photos_reach_agents_as_jpeg_and_broken_ones_are_refused(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    let insurance = expected_document(&app, 0).await;

    // A truncated HEIC passes the first look at its head but cannot be
    // decoded: refused with the usual message, nothing kept.
    if dossiersco::documents::heic::AVAILABLE {
        let response = upload(
            &app,
            &base,
            insurance,
            vec![("coupee.heic", HEIC[..HEIC.len() / 2].to_vec())],
        )
        .await;
        assert_eq!(response.status(), 422);
        let html = response.text().await.unwrap();
        assert!(
            html.contains("coupee.heic") && html.contains("abîmé"),
            "{html}"
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 0);
        assert_eq!(stored_files(&app).await, 0, "nothing refused was stored");
    }

    let response = upload(
        &app,
        &base,
        insurance,
        vec![("IMG_0042.HEIC", HEIC.to_vec())],
    )
    .await;
    assert_eq!(response.status(), 303);
    let (content_type, source_key): (String, Option<String>) =
        sqlx::query_as("SELECT content_type, source_key FROM uploads")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    let heic = dossiersco::documents::heic::AVAILABLE;
    if !crate::harness::require_feature(heic, "HEIC → JPEG conversion", "heic") {
        // Built without the converter: the photo is kept as it was sent.
        assert_eq!((content_type.as_str(), source_key), ("image/heic", None));
        app.finish().await;
        return;
    }
    assert_eq!(content_type, "image/jpeg");
    let source_key = source_key.expect("the original is kept");
    assert!(source_key.ends_with(".heic"));
    assert!(app.state.documents.exists(&source_key).await.unwrap());
    assert_eq!(stored_files(&app).await, 2, "the original and its JPEG");
    // The family sees the name of what it sent.
    let html = app.get_html(&format!("{base}/pieces")).await.1;
    assert!(html.contains("IMG_0042.HEIC"));

    // Agents get a JPEG: shown in the page, downloaded with a .jpg name.
    app.post_form(&format!("{base}/pieces"), "/famille/deconnexion", &[])
        .await;
    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let dossier_id = base.rsplit('/').next().unwrap();
    let page = format!("/etablissements/{}/dossiers/{dossier_id}", seeded.uai);
    let html = app.get_html(&page).await.1;
    let upload_id: i64 = sqlx::query_scalar("SELECT id FROM uploads")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let preview = format!("{page}/pieces/{upload_id}?apercu=1");
    assert!(
        html.contains(&format!("src=\"{}\"", preview.replace('&', "&amp;"))),
        "{html}"
    );
    let response = app.get(&preview).await;
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert_eq!(
        response.headers()["content-disposition"],
        "inline; filename=\"IMG_0042.jpg\""
    );
    let jpeg = response.bytes().await.unwrap();
    assert_eq!(&jpeg[..3], &[0xFF, 0xD8, 0xFF]);
    let response = app.get(&format!("{page}/pieces/{upload_id}")).await;
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"IMG_0042.jpg\""
    );
    app.finish().await;
}

on_both_databases!(
    heic_photos_reach_agents_as_jpeg_and_broken_ones_are_refused,
    documents_are_checked_from_their_content_and_stored_in_the_documents_store,
    an_oversized_upload_is_refused_and_leaves_nothing,
    a_200_mb_upload_is_refused_before_it_is_read,
    a_mandatory_piece_must_be_sent_before_going_on,
);

// ---------------------------------------------------------------- the school's side

async fn the_school_sees_the_sent_dossier_with_exactly_the_changed_fields_and_medical_notes_stay_with_the_nurse(
    app: TestApp,
) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    let page = format!("{base}/responsables");
    let mut form = prefilled(&app.get_html(&page).await.1);
    for (k, v) in form.iter_mut() {
        if k == "phone_mobile" {
            *v = "07 11 22 33 44".into();
        }
    }
    app.client
        .post(app.url(&page))
        .form(&form)
        .send()
        .await
        .unwrap();
    let sante = format!("{base}/sante");
    app.post_form(
        &sante,
        &sante,
        &[
            ("mode", "online"),
            ("note", "Allergie aux arachides, PAI en cours"),
        ],
    )
    .await;
    upload(
        &app,
        &base,
        expected_document(&app, 0).await,
        vec![("assurance.pdf", PDF.to_vec())],
    )
    .await;
    send_dossier(&app, &base).await;
    app.run_jobs().await;
    sign_out_family(&app, &base).await;

    let dossier_id = base.rsplit('/').next().unwrap();
    let school = format!("/etablissements/{}", seeded.uai);
    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let list = app
        .get_html(&format!("{school}/dossiers?etat=submitted"))
        .await
        .1;
    assert!(
        list.contains("DUBOIS Inès") && list.contains("1 dossier(s)"),
        "{list}"
    );
    let html = app
        .get_html(&format!("{school}/dossiers/{dossier_id}"))
        .await
        .1;
    assert!(
        html.contains("envoyé à l&#39;établissement") || html.contains("envoyé à l'établissement"),
        "submitted"
    );
    assert!(html.contains("phone_mobile") && html.contains("07 11 22 33 44"));
    assert_eq!(
        html.matches("<strong>").count() - html.matches("<strong>Information").count(),
        1,
        "exactly one changed field"
    );
    assert!(
        !html.contains("arachides"),
        "the secretariat does not read medical notes"
    );
    let download = html
        .split("/pieces/")
        .nth(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .unwrap();
    let file = app
        .get(&format!("{school}/dossiers/{dossier_id}/pieces/{download}"))
        .await;
    assert_eq!(file.status(), 200);
    assert!(
        file.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(file.bytes().await.unwrap().as_ref(), PDF);

    app.post_form(&school, "/agent/deconnexion", &[]).await;
    app.sign_in_agent(
        "infirmerie@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    assert!(
        app.get_html(&format!("{school}/dossiers/{dossier_id}"))
            .await
            .1
            .contains("arachides"),
        "the nurse does"
    );
    app.finish().await;
}

async fn the_school_reissues_a_code_and_cannot_see_another_schools_dossier(app: TestApp) {
    let seeded = app.seed_demo().await;
    let (old_code, birth) = family(&app, &seeded, "la mère").await;
    let (dossier_id, guardian_id): (i64, i64) = sqlx::query_as(
        "SELECT d.id, g.id FROM dossiers d JOIN guardianships l ON l.pupil_id = d.pupil_id JOIN guardians g ON g.id = l.guardian_id
         WHERE g.last_name = 'NGUYEN' AND g.first_name = 'Thi Lan'",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let school = format!("/etablissements/{}", seeded.uai);
    let page = format!("{school}/dossiers/{dossier_id}");
    let action = format!("{page}/responsables/{guardian_id}/code");

    app.sign_in_agent(
        "infirmerie@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    assert_eq!(
        app.post_form(&page, &action, &[]).await.status(),
        403,
        "the nurse does not issue codes"
    );
    app.post_form(&page, "/agent/deconnexion", &[]).await;

    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let html = app
        .post_form(&page, &action, &[])
        .await
        .text()
        .await
        .unwrap();
    let start = html.find("Code personnel : <strong>").unwrap() + "Code personnel : <strong>".len();
    let new_code = html[start..start + 14].to_owned();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'access_code_reissued'")
            .await,
        1
    );

    // Another school's agent cannot reach this dossier through their own school.
    let other = dossiersco::db::schools::upsert(
        app.db().pool(),
        "0750680G",
        "Collège Voisin",
        "Paris",
        "Paris",
    )
    .await
    .unwrap();
    dossiersco::db::agents::upsert(
        app.db().pool(),
        other,
        "sec@voisin.fr",
        "Voisin",
        "secretariat",
        &dossiersco::web::auth::hash_password("voisin-pass").unwrap(),
    )
    .await
    .unwrap();
    app.post_form(&page, "/agent/deconnexion", &[]).await;
    app.sign_in_agent("sec@voisin.fr", "voisin-pass").await;
    assert_eq!(
        app.get(&format!("/etablissements/0750680G/dossiers/{dossier_id}"))
            .await
            .status(),
        404
    );
    assert_eq!(app.get(&page).await.status(), 403);
    app.post_form("/", "/agent/deconnexion", &[]).await;

    assert_eq!(sign_in(&app, &old_code, &birth).await.status(), 401);
    assert_eq!(sign_in(&app, &new_code, &birth).await.status(), 303);
    app.finish().await;
}

on_both_databases!(
    the_school_sees_the_sent_dossier_with_exactly_the_changed_fields_and_medical_notes_stay_with_the_nurse,
    the_school_reissues_a_code_and_cannot_see_another_schools_dossier,
);

async fn a_piece_refused_by_the_school_shows_its_reason_and_is_replaced_alone(app: TestApp) {
    let seeded = app.seed_demo().await;
    let (code, birth) = family(&app, &seeded, "la mère").await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    let insurance = expected_document(&app, 0).await;
    upload(&app, &base, insurance, vec![("flou.pdf", PDF.to_vec())]).await;
    upload(
        &app,
        &base,
        expected_document(&app, 2).await,
        vec![("caf.pdf", PDF.to_vec())],
    )
    .await;
    send_dossier(&app, &base).await;
    sign_out_family(&app, &base).await;

    // The secretary looks at the pieces: refusing needs a reason.
    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let dossier_id = base.rsplit('/').next().unwrap();
    let page = format!("/etablissements/{}/dossiers/{dossier_id}", seeded.uai);
    let id_of = |name: &'static str| {
        let pool = app.db().pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT id FROM uploads WHERE original_name = $1")
                .bind(name)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let (blurred, caf) = (id_of("flou.pdf").await, id_of("caf.pdf").await);
    let decide = |id: i64| format!("{page}/pieces/{id}/decision");
    let html = app.get_html(&page).await.1;
    assert!(html.contains(&format!("action=\"{}\"", decide(blurred))));
    let no_reason = app
        .post_form(
            &page,
            &decide(blurred),
            &[("decision", "refuser"), ("reason", "  ")],
        )
        .await;
    assert_eq!(no_reason.status(), 303);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM uploads WHERE status = 'submitted'")
            .await,
        2,
        "nothing decided without a reason"
    );
    app.post_form(
        &page,
        &decide(blurred),
        &[("decision", "refuser"), ("reason", "Document illisible")],
    )
    .await;
    app.post_form(&page, &decide(caf), &[("decision", "accepter")])
        .await;
    let unknown = app
        .post_form(&page, &decide(caf + 1000), &[("decision", "accepter")])
        .await;
    assert_eq!(unknown.status(), 404, "only this dossier's pieces");
    let html = app.get_html(&page).await.1;
    assert!(html.contains("(refusée)") && html.contains("Motif du refus : Document illisible"));
    assert!(html.contains("caf.pdf</a> (acceptée)"), "{html}");
    app.post_form(
        &page,
        &format!("{page}/etat"),
        &[
            ("event", "renvoyer"),
            ("reason", "Une pièce est à remplacer."),
        ],
    )
    .await;
    app.post_form(&page, "/agent/deconnexion", &[]).await;
    app.run_jobs().await;
    let body: String = sqlx::query_scalar(
        "SELECT body_text FROM outbox_emails WHERE subject = 'Dossier de réinscription à compléter'",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert!(
        body.contains(
            "Pièces à remplacer :\n- Attestation d'assurance scolaire : Document illisible"
        ),
        "{body}"
    );

    // The family reads the reason and replaces that piece alone.
    assert_eq!(sign_in(&app, &code, &birth).await.status(), 303);
    let html = app.get_html(&format!("{base}/pieces")).await.1;
    assert!(
        html.contains("flou.pdf : refusée — motif : Document illisible"),
        "{html}"
    );
    assert_eq!(
        upload(&app, &base, insurance, vec![("net.pdf", PDF.to_vec())])
            .await
            .status(),
        303
    );
    let statuses: Vec<(String, String)> =
        sqlx::query_as("SELECT original_name, status FROM uploads ORDER BY id")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    assert_eq!(
        statuses,
        vec![
            ("flou.pdf".to_owned(), "refused".to_owned()),
            ("caf.pdf".to_owned(), "accepted".to_owned()),
            ("net.pdf".to_owned(), "submitted".to_owned())
        ],
        "only the refused piece was replaced"
    );
    app.finish().await;
}

on_both_databases!(a_piece_refused_by_the_school_shows_its_reason_and_is_replaced_alone);

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

on_both_databases!(steps_cannot_be_skipped_by_posting_a_later_one);

async fn the_school_returns_a_dossier_the_family_corrects_it_and_the_school_validates_it(
    app: TestApp,
) {
    let seeded = app.seed_demo().await;
    let (code, birth) = family(&app, &seeded, "la mère").await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    send_dossier(&app, &base).await;
    sign_out_family(&app, &base).await;

    let dossier_id = base.rsplit('/').next().unwrap();
    let page = format!("/etablissements/{}/dossiers/{dossier_id}", seeded.uai);
    let action = format!("{page}/etat");
    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let no_reason = app
        .post_form(&page, &action, &[("event", "renvoyer"), ("reason", " ")])
        .await;
    assert_eq!(location(&no_reason), page);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers WHERE state = 'returned'")
            .await,
        0,
        "a reason is required"
    );
    app.post_form(
        &page,
        &action,
        &[
            ("event", "renvoyer"),
            ("reason", "Le prénom est mal orthographié"),
        ],
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers WHERE state = 'returned'")
            .await,
        1
    );
    app.post_form(&page, "/agent/deconnexion", &[]).await;
    assert_eq!(
        app.run_jobs().await,
        3,
        "the receipt, then the return e-mail to both parents"
    );
    let body: String = sqlx::query_scalar("SELECT body_text FROM outbox_emails WHERE subject = 'Dossier de réinscription à compléter'")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert!(body.contains("Le prénom est mal orthographié"));

    let response = sign_in(&app, &code, &birth).await;
    assert_eq!(
        location(&response),
        format!("{base}/validation"),
        "back at the validation, not in a loop"
    );
    assert!(
        app.get_html(&format!("{base}/validation"))
            .await
            .1
            .contains("Le prénom est mal orthographié")
    );
    let eleve = format!("{base}/eleve");
    let mut form = prefilled(&app.get_html(&eleve).await.1);
    form.retain(|(k, _)| k != "first_name");
    form.push(("first_name".into(), "Inès-Marie".into()));
    assert_eq!(
        app.client
            .post(app.url(&eleve))
            .form(&form)
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    send_dossier(&app, &base).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers WHERE state = 'submitted'")
            .await,
        1
    );
    sign_out_family(&app, &base).await;

    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    app.post_form(&page, &action, &[("event", "valider")]).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers WHERE state = 'validated'")
            .await,
        1
    );
    let html = app.get_html(&page).await.1;
    assert!(html.contains("validé par l") && html.contains("Inès-Marie"));
    let states: Vec<(String, String)> = sqlx::query_as(
        "SELECT to_state, actor_kind FROM dossier_transitions WHERE dossier_id = $1 ORDER BY created_at, id",
    )
    .bind(dossier_id.parse::<i64>().unwrap())
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    let states: Vec<(&str, &str)> = states
        .iter()
        .map(|(s, a)| (s.as_str(), a.as_str()))
        .collect();
    assert_eq!(
        states,
        vec![
            ("started", "guardian"),
            ("submitted", "guardian"),
            ("returned", "agent"),
            ("submitted", "guardian"),
            ("validated", "agent")
        ]
    );
    assert_eq!(app.run_jobs().await, 1, "the second receipt");
    app.finish().await;
}

on_both_databases!(the_school_returns_a_dossier_the_family_corrects_it_and_the_school_validates_it);

async fn html_typed_in_any_text_field_is_shown_escaped_to_the_family_and_the_school(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    let script = "<script>alert(1)</script>";
    let tagged = |name: &str| format!("{name} {script}");
    for (page, fields) in [
        (
            "eleve",
            vec![
                ("last_name", tagged("Dubois")),
                ("first_name", tagged("Inès")),
                ("other_first_names", tagged("Marie")),
                ("birth_city", tagged("Lyon")),
            ],
        ),
        (
            "responsables",
            vec![
                ("address_lines", tagged("3 rue")),
                ("city", tagged("Paris")),
            ],
        ),
        (
            "contacts-urgence",
            vec![
                ("name", tagged("Mamie")),
                ("relationship", tagged("grand-mère")),
                ("phone", "06 00 00 00 01".into()),
            ],
        ),
        (
            "sante",
            vec![("mode", "online".into()), ("note", tagged("Asthme"))],
        ),
    ] {
        let response = submit(&app, &app.client, &format!("{base}/{page}"), &fields).await;
        assert_eq!(
            response.status(),
            303,
            "{page}: {}",
            response.text().await.unwrap()
        );
    }
    let family_view = app.get_html(&format!("{base}/validation")).await.1;
    assert!(
        !family_view.contains(script),
        "raw markup never reaches a page"
    );
    assert!(
        family_view.matches("&#60;script&#62;").count() >= 5,
        "shown escaped"
    );
    app.post_form(&format!("{base}/validation"), "/famille/deconnexion", &[])
        .await;
    let dossier_id = base.rsplit('/').next().unwrap();
    app.sign_in_agent(
        "infirmerie@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let school_view = app
        .get_html(&format!(
            "/etablissements/{}/dossiers/{dossier_id}",
            seeded.uai
        ))
        .await
        .1;
    assert!(!school_view.contains(script));
    assert!(
        school_view.matches("&#60;script&#62;").count() >= 7,
        "{school_view}"
    );
    app.finish().await;
}

async fn a_guardian_cannot_open_a_dossier_of_another_school(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    let pool = app.db().pool();
    let other =
        dossiersco::db::schools::upsert(pool, "0750680G", "Collège Voisin", "Paris", "Paris")
            .await
            .unwrap();
    let campaign: i64 = sqlx::query_scalar("INSERT INTO campaigns (school_id, school_year, created_at) VALUES ($1, 2027, 0) RETURNING id")
        .bind(other)
        .fetch_one(pool)
        .await
        .unwrap();
    let pupil: i64 = sqlx::query_scalar(
        "INSERT INTO pupils (school_id, last_name, first_name, sex, birth_date, created_at, updated_at)
         VALUES ($1, 'AUTRE', 'Élève', 'F', '2013-08-22', 0, 0) RETURNING id",
    )
    .bind(other)
    .fetch_one(pool)
    .await
    .unwrap();
    let foreign: i64 = sqlx::query_scalar("INSERT INTO dossiers (campaign_id, pupil_id, created_at, updated_at) VALUES ($1, $2, 0, 0) RETURNING id")
        .bind(campaign)
        .bind(pupil)
        .fetch_one(pool)
        .await
        .unwrap();
    for step in ["accueil", "eleve", "validation", "confirmation", "recu.pdf"] {
        assert_eq!(
            app.get(&format!("/famille/dossiers/{foreign}/{step}"))
                .await
                .status(),
            404,
            "{step}"
        );
    }
    let token = app.csrf_token(&format!("{base}/accueil")).await;
    let forged = app
        .client
        .post(app.url(&format!("/famille/dossiers/{foreign}/validation")))
        .form(&[("csrf_token", token.as_str()), ("attestation", "oui")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM dossiers WHERE state <> 'not_started' AND pupil_id IN (SELECT id FROM pupils WHERE last_name = 'AUTRE')").await, 0);
    app.finish().await;
}

on_both_databases!(
    html_typed_in_any_text_field_is_shown_escaped_to_the_family_and_the_school,
    a_guardian_cannot_open_a_dossier_of_another_school,
);

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

on_both_databases!(the_health_form_to_print_is_a_prefilled_pdf);
