//! The pieces queue (issue 13): one piece after the other, oldest first;
//! a decision brings the next; a refusal needs its reason; a family's
//! refusals are told in one message per guardian, whose link leads to
//! replacing just those pieces, which go back to the queue.

use dossiersco::domain::Role;
use dossiersco::domain::dossier_state::DossierState;

use crate::builders::{AGENT_PASSWORD, BuiltDossier, BuiltSchool, GuardianBuilder, SchoolBuilder};
use crate::harness::TestApp;
use crate::on_both_databases;

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// A real 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0x64, 0x60, 0xF8, 0x5F,
    0x0F, 0x00, 0x02, 0x87, 0x01, 0x80, 0xEB, 0x47, 0xBA, 0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

pub struct World {
    pub school: BuiltSchool,
    pub lea: BuiltDossier,
    pub tom: BuiltDossier,
    /// Léa's insurance (PDF, oldest), Tom's insurance (photo), Léa's proof
    /// of address (PDF, newest).
    pub lea_insurance: i64,
    pub tom_insurance: i64,
    pub lea_address: i64,
    pub address: i64,
}

/// A piece sent at `at`, stored for real.
pub async fn piece(
    app: &TestApp,
    dossier_id: i64,
    document: i64,
    name: &str,
    bytes: &[u8],
    at: i64,
) -> i64 {
    let content_type = if bytes.starts_with(b"%PDF") {
        "application/pdf"
    } else {
        "image/png"
    };
    let key = format!("dossiers/{dossier_id}/{document}/{at}-{name}");
    app.state
        .documents
        .put_bytes(&key, bytes::Bytes::copy_from_slice(bytes))
        .await
        .unwrap();
    sqlx::query_scalar(
        "INSERT INTO uploads (dossier_id, expected_document_id, storage_key, original_name, content_type, size_bytes, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(dossier_id)
    .bind(document)
    .bind(&key)
    .bind(name)
    .bind(content_type)
    .bind(bytes.len() as i64)
    .bind(at)
    .fetch_one(app.db().pool())
    .await
    .unwrap()
}

/// A school with two pieces asked, Léa (4A, two parents with e-mails) and
/// Tom (3B), both sent; Zoé's dossier is not sent yet (her piece waits for
/// her family, not the school).
pub async fn world(app: &TestApp) -> World {
    let school = SchoolBuilder::new("0750700A")
        .name("Collège Jean Moulin")
        .build(app)
        .await;
    school
        .agent(app, "secretariat@moulin.fr", Role::Secretariat)
        .await;
    let pool = app.db().pool();
    let mut documents = Vec::new();
    for (position, label) in ["Attestation d'assurance", "Justificatif de domicile"]
        .into_iter()
        .enumerate()
    {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO expected_documents (school_id, label, position) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(school.id)
        .bind(label)
        .bind(position as i64)
        .fetch_one(pool)
        .await
        .unwrap();
        documents.push(id);
    }
    let (insurance, address) = (documents[0], documents[1]);
    let lea = school
        .pupil("MARTIN", "Léa")
        .division("4A")
        .guardian(GuardianBuilder::new("MARTIN", "Julie").code("AAAA-BBBB-CCCC"))
        .guardian(GuardianBuilder::new("MARTIN", "Paul"))
        .state(DossierState::Submitted)
        .build(app)
        .await;
    let tom = school
        .pupil("DURAND", "Tom")
        .division("3B")
        .guardian(GuardianBuilder::new("DURAND", "Anne"))
        .state(DossierState::Submitted)
        .build(app)
        .await;
    let zoe = school
        .pupil("PETIT", "Zoé")
        .division("4A")
        .guardian(GuardianBuilder::new("PETIT", "Marc"))
        .state(DossierState::Started)
        .build(app)
        .await;
    let lea_insurance = piece(app, lea.dossier_id, insurance, "assurance.pdf", PDF, 100).await;
    let tom_insurance = piece(app, tom.dossier_id, insurance, "photo.png", PNG, 200).await;
    let lea_address = piece(app, lea.dossier_id, address, "facture.pdf", PDF, 300).await;
    piece(app, zoe.dossier_id, insurance, "zoe.pdf", PDF, 50).await;
    World {
        school,
        lea,
        tom,
        lea_insurance,
        tom_insurance,
        lea_address,
        address,
    }
}

/// A browser signed in as `email` (password [`AGENT_PASSWORD`]).
pub async fn agent(app: &TestApp, email: &str) -> reqwest::Client {
    let client = TestApp::client_for(app);
    let signed = app.sign_in_agent_as(&client, email, AGENT_PASSWORD).await;
    assert_eq!(signed.status(), 303);
    client
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

async fn status_of(app: &TestApp, upload_id: i64) -> (String, String) {
    sqlx::query_as("SELECT status, refusal_reason FROM uploads WHERE id = $1")
        .bind(upload_id)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

async fn decide(
    app: &TestApp,
    client: &reqwest::Client,
    queue: &str,
    upload_id: i64,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    app.post_form_as(client, queue, &format!("{queue}/{upload_id}"), fields)
        .await
}

async fn the_queue_shows_the_oldest_piece_first_and_a_decision_brings_the_next(app: TestApp) {
    let w = world(&app).await;
    let staff = agent(&app, "secretariat@moulin.fr").await;
    let queue = format!("/etablissements/{}/pieces/a-verifier", w.school.uai);
    let (status, html) = app.get_html_as(&staff, &queue).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Pièce 1 sur 3"), "{html}");
    assert!(html.contains("Léa MARTIN"), "{html}");
    assert!(html.contains("Attestation d&#39;assurance"), "{html}");
    // The PDF in the page, from our own download route, as a preview.
    let shown = format!(
        "/etablissements/{}/dossiers/{}/pieces/{}?apercu=1",
        w.school.uai, w.lea.dossier_id, w.lea_insurance
    );
    assert!(
        html.contains(&format!(
            "<iframe class=\"piece-queue-pdf\" src=\"{shown}\""
        )),
        "{html}"
    );
    assert!(
        !html.contains("zoe.pdf"),
        "a dossier not sent is not in the queue"
    );
    // Filtered on a class, on a piece.
    let (_, html) = app.get_html_as(&staff, &format!("{queue}?classe=3B")).await;
    assert!(
        html.contains("Pièce 1 sur 1") && html.contains("Tom DURAND"),
        "{html}"
    );
    assert!(html.contains("<img class=\"piece-queue-image\""), "{html}");
    let (_, html) = app
        .get_html_as(&staff, &format!("{queue}?document={}", w.address))
        .await;
    assert!(
        html.contains("Pièce 1 sur 1") && html.contains("facture.pdf"),
        "{html}"
    );
    // Skipped: it stays in the queue, the next one comes.
    let (_, html) = app
        .get_html_as(&staff, &format!("{queue}?passees={}", w.lea_insurance))
        .await;
    assert!(
        html.contains("Pièce 2 sur 3") && html.contains("Tom DURAND"),
        "{html}"
    );

    // Accepted: back to the queue (its state kept), the next piece.
    let done = decide(
        &app,
        &staff,
        &queue,
        w.lea_insurance,
        &[("decision", "accepter")],
    )
    .await;
    assert_eq!(done.status(), 303);
    assert_eq!(location(&done), queue);
    assert_eq!(status_of(&app, w.lea_insurance).await.0, "accepted");
    let (_, html) = app.get_html_as(&staff, &queue).await;
    assert!(html.contains("Pièce acceptée."), "{html}");
    assert!(
        html.contains("Pièce 1 sur 2") && html.contains("Tom DURAND"),
        "{html}"
    );

    // Refused without a reason: refused, in French, nothing changes.
    let refused = decide(
        &app,
        &staff,
        &queue,
        w.tom_insurance,
        &[("decision", "refuser"), ("motif", ""), ("precisions", "  ")],
    )
    .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("Indiquez le motif du refus"), "{html}");
    assert_eq!(
        status_of(&app, w.tom_insurance).await,
        ("submitted".into(), String::new())
    );
    let (_, html) = app.get_html_as(&staff, &queue).await;
    assert!(html.contains("Pièce 1 sur 2"), "{html}");
    app.finish().await;
}

async fn a_piece_shown_in_the_queue_keeps_its_safe_headers(app: TestApp) {
    let w = world(&app).await;
    let staff = agent(&app, "secretariat@moulin.fr").await;
    let base = format!(
        "/etablissements/{}/dossiers/{}/pieces",
        w.school.uai, w.lea.dossier_id
    );
    // The PDF framed by our own page only, sandboxed, never sniffed.
    let pdf = staff
        .get(app.url(&format!("{base}/{}?apercu=1", w.lea_insurance)))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    let headers = pdf.headers();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "SAMEORIGIN");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(
        policy.contains("sandbox") && policy.contains("frame-ancestors 'self'"),
        "{policy}"
    );
    // A photo: shown by an <img>, never framed.
    let photo = staff
        .get(app.url(&format!(
            "/etablissements/{}/dossiers/{}/pieces/{}?apercu=1",
            w.school.uai, w.tom.dossier_id, w.tom_insurance
        )))
        .send()
        .await
        .unwrap();
    let headers = photo.headers();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    // The queue's page itself is never framed.
    let page = staff
        .get(app.url(&format!(
            "/etablissements/{}/pieces/a-verifier",
            w.school.uai
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    app.finish().await;
}

/// The messages to the family: (guardian, channel, kind, body).
async fn messages(app: &TestApp) -> Vec<(i64, String, String, String)> {
    sqlx::query_as("SELECT guardian_id, channel, kind, body FROM messages ORDER BY id")
        .fetch_all(app.db().pool())
        .await
        .unwrap()
}

async fn two_refusals_make_one_message_per_guardian_whose_link_replaces_just_those(app: TestApp) {
    let w = world(&app).await;
    let staff = agent(&app, "secretariat@moulin.fr").await;
    let queue = format!("/etablissements/{}/pieces/a-verifier", w.school.uai);
    let refused = decide(
        &app,
        &staff,
        &queue,
        w.lea_insurance,
        &[("decision", "refuser"), ("motif", "Document illisible")],
    )
    .await;
    assert_eq!(refused.status(), 303);
    assert_eq!(
        status_of(&app, w.lea_insurance).await,
        ("refused".into(), "Document illisible".into())
    );
    assert!(messages(&app).await.is_empty(), "not one by one");
    // Tom's piece accepted; Léa's last one refused: her family is told now.
    decide(
        &app,
        &staff,
        &queue,
        w.tom_insurance,
        &[("decision", "accepter")],
    )
    .await;
    assert!(
        messages(&app).await.is_empty(),
        "Tom's family has nothing to hear"
    );
    let refused = decide(
        &app,
        &staff,
        &queue,
        w.lea_address,
        &[
            ("decision", "refuser"),
            ("motif", ""),
            ("precisions", "Facture de plus de trois mois"),
        ],
    )
    .await;
    assert_eq!(refused.status(), 303);
    let sent = messages(&app).await;
    assert_eq!(sent.len(), 2, "one per guardian: {sent:?}");
    let mut to: Vec<i64> = sent.iter().map(|m| m.0).collect();
    to.sort();
    assert_eq!(to, w.lea.guardian_ids);
    for (_, channel, kind, body) in &sent {
        assert_eq!(
            (channel.as_str(), kind.as_str()),
            ("email", "pieces_refused")
        );
        assert!(
            body.contains("- Attestation d'assurance : Document illisible"),
            "{body}"
        );
        assert!(
            body.contains("- Justificatif de domicile : Facture de plus de trois mois"),
            "{body}"
        );
        assert!(body.contains("/famille/lien#jeton="), "{body}");
    }
    let (_, html) = app.get_html_as(&staff, &queue).await;
    assert!(html.contains("La famille est prévenue"), "{html}");
    assert!(html.contains("Aucune pièce à vérifier"), "{html}");
    // « Envoyer les refus » again: nothing new.
    let again = app
        .post_form_as(&staff, &queue, &format!("{queue}/envoi-des-refus"), &[])
        .await;
    assert_eq!(again.status(), 303);
    assert_eq!(messages(&app).await.len(), 2);
    let (_, html) = app.get_html_as(&staff, &queue).await;
    assert!(html.contains("Aucun refus à envoyer"), "{html}");
    assert_eq!(app.run_jobs().await, 2, "both e-mails leave");
    // The dossier's page names the message for what it is.
    let (_, page) = app
        .get_html_as(
            &staff,
            &format!(
                "/etablissements/{}/dossiers/{}",
                w.school.uai, w.lea.dossier_id
            ),
        )
        .await;
    assert!(page.contains("<td>Pièces refusées</td>"), "{page}");

    // Julie's link leads to replacing just those two pieces.
    let body = &sent
        .iter()
        .find(|m| m.0 == w.lea.guardian_ids[0])
        .unwrap()
        .3;
    let token = body
        .split("recopiez ce code : ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let family = TestApp::client_for(&app);
    let signed = app
        .post_form_as(
            &family,
            "/famille/lien",
            "/famille/lien",
            &[("jeton", token), ("birth_date", &w.lea.birth_date)],
        )
        .await;
    assert_eq!(signed.status(), 303);
    let page = format!("/famille/dossiers/{}/pieces-a-remplacer", w.lea.dossier_id);
    assert_eq!(location(&signed), page);
    let (status, html) = app.get_html_as(&family, &page).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Document illisible"), "{html}");
    assert!(html.contains("Facture de plus de trois mois"), "{html}");
    assert_eq!(
        html.matches("enctype=\"multipart/form-data\"").count(),
        2,
        "{html}"
    );
    assert!(!html.contains("Tom"), "{html}");
    // Signed in otherwise, the dossier's page leads there too.
    let (_, confirmation) = app
        .get_html_as(
            &family,
            &format!("/famille/dossiers/{}/confirmation", w.lea.dossier_id),
        )
        .await;
    assert!(
        confirmation.contains(&format!("href=\"{page}\"")),
        "{confirmation}"
    );

    // The insurance replaced: back in the queue; the other still to replace.
    let token = crate::harness::extract_csrf(&html).unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .part(
            "files",
            reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("assurance-lisible.pdf"),
        );
    let replaced = family
        .post(app.url(&format!("{page}/{}", w.lea_insurance)))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.status(), 303);
    let (_, html) = app.get_html_as(&family, &page).await;
    assert!(html.contains("est envoyée au collège"), "{html}");
    assert!(!html.contains("Document illisible"), "{html}");
    assert!(html.contains("Facture de plus de trois mois"), "{html}");
    let (_, html) = app.get_html_as(&staff, &queue).await;
    assert!(html.contains("Pièce 1 sur 1"), "{html}");
    assert!(html.contains("assurance-lisible.pdf"), "{html}");
    // Nothing new to tell: the family sent it.
    assert!(
        html.contains("Aucun : chaque famille est prévenue"),
        "{html}"
    );
    app.finish().await;
}

async fn only_the_school_s_secretariat_and_direction_use_the_queue(app: TestApp) {
    let w = world(&app).await;
    w.school
        .agent(&app, "infirmerie@moulin.fr", Role::Infirmerie)
        .await;
    w.school
        .agent(&app, "cpe@moulin.fr", Role::VieScolaire)
        .await;
    let other = SchoolBuilder::new("0750701B").build(&app).await;
    other
        .agent(&app, "secretariat@voisin.fr", Role::Secretariat)
        .await;
    let queue = format!("/etablissements/{}/pieces/a-verifier", w.school.uai);
    for email in [
        "infirmerie@moulin.fr",
        "cpe@moulin.fr",
        "secretariat@voisin.fr",
    ] {
        let client = agent(&app, email).await;
        let (status, _) = app.get_html_as(&client, &queue).await;
        assert_eq!(status, 403, "{email}");
    }
    // Another school's secretariat, on its own queue with our piece: not found.
    let client = agent(&app, "secretariat@voisin.fr").await;
    let theirs = format!("/etablissements/{}/pieces/a-verifier", other.uai);
    let (status, html) = app.get_html_as(&client, &theirs).await;
    assert_eq!(status, 200);
    assert!(html.contains("Aucune pièce à vérifier"), "{html}");
    let answer = app
        .post_form_as(
            &client,
            &theirs,
            &format!("{theirs}/{}", w.lea_insurance),
            &[("decision", "accepter")],
        )
        .await;
    assert_eq!(answer.status(), 404);
    let answer = app
        .post_form_as(
            &client,
            &theirs,
            &format!(
                "/etablissements/{}/dossiers/{}/refus",
                other.uai, w.lea.dossier_id
            ),
            &[],
        )
        .await;
    assert_eq!(answer.status(), 404);
    assert_eq!(status_of(&app, w.lea_insurance).await.0, "submitted");
    app.finish().await;
}

on_both_databases!(
    the_queue_shows_the_oldest_piece_first_and_a_decision_brings_the_next,
    a_piece_shown_in_the_queue_keeps_its_safe_headers,
    two_refusals_make_one_message_per_guardian_whose_link_replaces_just_those,
    only_the_school_s_secretariat_and_direction_use_the_queue,
);

/// Migration 0026 lets messages be of kind `pieces_refused` (PostgreSQL
/// swaps the CHECK, SQLite rebuilds the table): the messages recorded
/// before stay, with their ids, and the next one gets a new id.
async fn messages_stay_through_migration_0026_which_allows_the_kind_of_refusals(
    backend: dossiersco::db::Backend,
) {
    let Some(old) = crate::harness::OlderInstall::before(backend, 26).await else {
        return;
    };
    let db = &old.db;
    let message = |kind: &str| {
        format!(
            "INSERT INTO messages (school_id, guardian_id, channel, kind, recipient, body, created_at, status_at)
             VALUES (1, 1, 'email', '{kind}', 'julie@exemple.fr', 'Bonjour', 0, 0)"
        )
    };
    sqlx::raw_sql(
        "INSERT INTO schools (uai, name, created_at) VALUES ('0750680G', 'Arago', 0);
         INSERT INTO guardians (school_id, last_name, first_name, created_at, updated_at)
         VALUES (1, 'MARTIN', 'Julie', 0, 0);",
    )
    .execute(db.pool())
    .await
    .unwrap();
    for kind in ["receipt", "individual"] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(message(kind)))
            .execute(db.pool())
            .await
            .unwrap();
    }
    assert!(
        sqlx::raw_sql(sqlx::AssertSqlSafe(message("pieces_refused")))
            .execute(db.pool())
            .await
            .is_err(),
        "not before 0026"
    );
    let applied = db.migrate().await.unwrap();
    assert_eq!(applied.first(), Some(&26), "{applied:?}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(message("pieces_refused")))
        .execute(db.pool())
        .await
        .unwrap();
    assert!(
        sqlx::raw_sql(sqlx::AssertSqlSafe(message("bogus")))
            .execute(db.pool())
            .await
            .is_err(),
        "the CHECK still holds"
    );
    let kinds: Vec<(i64, String)> = sqlx::query_as("SELECT id, kind FROM messages ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap();
    let ids: Vec<i64> = kinds.iter().map(|k| k.0).collect();
    let kinds: Vec<&str> = kinds.iter().map(|k| k.1.as_str()).collect();
    assert_eq!(kinds, ["receipt", "individual", "pieces_refused"]);
    assert_eq!(&ids[..2], [1, 2], "the ids recorded before stay");
    old.finish().await;
}

mod messages_stay_through_migration_0026_which_allows_the_kind_of_refusals {
    use dossiersco::db::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::messages_stay_through_migration_0026_which_allows_the_kind_of_refusals(
            Backend::Sqlite,
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::messages_stay_through_migration_0026_which_allows_the_kind_of_refusals(
            Backend::Postgres,
        )
        .await
    }
}
