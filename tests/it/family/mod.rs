//! The family journey over HTTP, on both databases, by subject (below), and
//! the helpers the family tests share: signing in, walking the steps,
//! sending the dossier, uploading a piece.

mod access;
mod bad_input;
mod changes;
mod journey;
mod school_side;
mod separated;
mod stepper;
mod uploads;

use dossiersco::demo::Seeded;

use crate::forms::{prefilled, prefilled_or_first};
use crate::harness::TestApp;
use crate::valid_html::HtmlValidator;

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
    walk_without_change_validating(app, client, base, None).await;
}

/// [`walk_without_change_as`], each step's page validated by `validator` if any.
pub(crate) async fn walk_without_change_validating(
    app: &TestApp,
    client: &reqwest::Client,
    base: &str,
    validator: Option<&HtmlValidator>,
) {
    let step = |s: &str| format!("{base}/{s}");
    for (name, fields) in [
        ("accueil", vec![]),
        ("eleve", vec![]),
        ("responsables", vec![]),
        ("contacts-urgence", vec![("action", "continuer")]),
        ("scolarite", vec![]),
        ("vie-scolaire", vec![]),
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
        if let Some(validator) = validator {
            validator.assert_valid(&page, &html).await;
        }
        let mut form = prefilled_or_first(&html);
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

pub(crate) const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

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
