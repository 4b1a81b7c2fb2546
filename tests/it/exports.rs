//! The school's exports (issue 13): asked on the exports page, made by a
//! job, downloaded, read back — spreadsheets with `calamine`, the ZIP of
//! pieces with `zip`, PDFs with `pdftotext` — and deleted once expired.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;

use bytes::Bytes;
use calamine::{Data, Reader, Xlsx};
use dossiersco::db::now_ms;
use dossiersco::domain::Role;
use dossiersco::exports::job::PurgeExportsJob;
use dossiersco::web::auth::hash_password;

use crate::builders::{AGENT_PASSWORD, add_agent};
use crate::harness::TestApp;
use crate::letters::{page_texts, tool};
use crate::on_both_databases;
use crate::review::{self, ReviewSchool, UAI};

const NURSE: &str = "infirmerie@voisin.fr";
const BASE: &str = "/etablissements/0750680G/exports";
const MEDICAL: &str = "/etablissements/0750680G/fiches-sante";

async fn school_id(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT id FROM schools WHERE uai = $1")
        .bind(UAI)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

async fn exec(app: &TestApp, sql: &'static str, binds: &[&str]) {
    let mut query = sqlx::query(sql);
    for b in binds {
        query = query.bind(b.to_string());
    }
    query.execute(app.db().pool()).await.unwrap();
}

/// The school's nurse (`NURSE`, password `AGENT_PASSWORD`).
async fn add_nurse(app: &TestApp, school: i64) {
    add_agent(
        app,
        school,
        NURSE,
        &[Role::Infirmerie],
        &hash_password(AGENT_PASSWORD).unwrap(),
    )
    .await;
}

/// Every export past its delay, then the purge job: the file `key` is
/// deleted from the store.
async fn expire_and_purge(app: &TestApp, key: &str) {
    exec(app, "UPDATE exports SET expires_at = 1", &[]).await;
    dossiersco::jobs::enqueue(app.db().pool(), &PurgeExportsJob {}, None, None)
        .await
        .unwrap();
    app.run_jobs().await;
    assert!(!app.state.documents.exists(key).await.unwrap(), "deleted");
}

/// The review school (six dossiers in 4A, DURAND Inès's first name changed)
/// with: that change refused with a reason that looks like a formula, an
/// undecided e-mail change; MARTIN Léa demi-pensionnaire with a quotient of
/// 700 and an answer « =1+1 » to a custom question; a tariff grid and the
/// canteen's days.
async fn school(app: &TestApp) -> ReviewSchool {
    let s = review::review_school(app, 0).await;
    review::change_email(app, &s.changed).await;
    let pool = app.db().pool();
    let school = school_id(app).await;
    sqlx::query(
        "INSERT INTO change_decisions (dossier_id, change_key, proposed_value, label, proposed_words,
             decision, reason, decided_at)
         VALUES ($1, 'pupil:first_name', 'Ines', 'Prénom', 'Ines', 'rejected', '=SOMME(A1)', $2)",
    )
    .bind(s.changed.dossier_id)
    .bind(now_ms())
    .execute(pool)
    .await
    .unwrap();
    for (label, max, price) in [
        ("Tranche A", Some(600_i64), 250_i64),
        ("Tranche B", None, 410),
    ] {
        sqlx::query(
            "INSERT INTO canteen_tariffs (school_id, label, quotient_min, quotient_max, price_cents)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(school)
        .bind(label)
        .bind(if max.is_some() { 0_i64 } else { 601 })
        .bind(max)
        .bind(price)
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::query("UPDATE campaigns SET canteen_days = 'lun,mar,jeu,ven' WHERE school_id = $1")
        .bind(school)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO school_questions (school_id, kind, answer_type, answer_key, label, question, created_at)
         VALUES ($1, 'custom', 'text', 'atelier', 'Atelier choisi', 'Quel atelier ?', 0)",
    )
    .bind(school)
    .execute(pool)
    .await
    .unwrap();
    let lea = &s.unchanged[0];
    for (question, answer) in [
        ("canteen", "demi_pension"),
        ("quotient", "700"),
        ("atelier", "=1+1"),
    ] {
        sqlx::query(
            "INSERT INTO dossier_answers (dossier_id, guardian_id, question, answer, answered_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(lea.dossier_id)
        .bind(lea.guardian_id)
        .bind(question)
        .bind(answer)
        .bind(now_ms())
        .execute(pool)
        .await
        .unwrap();
    }
    s
}

/// Asks for an export on `base` with `fields` as the signed-in agent of
/// `client`, runs the job and downloads the file.
async fn export(
    app: &TestApp,
    client: &reqwest::Client,
    base: &str,
    fields: &[(&str, &str)],
) -> (String, Bytes) {
    let asked = app.post_form_as(client, base, base, fields).await;
    assert_eq!(asked.status(), 303, "{fields:?}");
    let page = asked.headers()["location"].to_str().unwrap().to_owned();
    let (status, html) = app.get_html_as(client, &page).await;
    assert_eq!(status, 200);
    assert!(html.contains("<progress"), "a progress bar while queued");
    assert!(!html.contains("/fichier"), "nothing to download yet");
    app.run_jobs().await;
    let (_, html) = app.get_html_as(client, &page).await;
    assert!(html.contains("Télécharger le fichier"), "{html}");
    assert!(!html.contains("<progress"));
    let file = client
        .get(app.url(&format!("{page}/fichier")))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    (page, file.bytes().await.unwrap())
}

async fn signed_in(app: &TestApp, email: &str) -> reqwest::Client {
    let client = TestApp::client_for(app);
    let response = app.sign_in_agent_as(&client, email, AGENT_PASSWORD).await;
    assert_eq!(response.status(), 303, "{email} signs in");
    client
}

/// The first sheet as rows of cells, and whether any cell holds a formula.
fn sheet(bytes: &[u8], name: &str) -> (Vec<Vec<Data>>, bool) {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range(name).unwrap();
    let formulas = book.worksheet_formula(name).unwrap();
    let any_formula = formulas.used_cells().any(|(_, _, f)| !f.is_empty());
    (range.rows().map(<[Data]>::to_vec).collect(), any_formula)
}

fn text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("not a text cell: {other:?}"),
    }
}

/// The row whose column `col` is `value`, as (header → cell).
fn row_where(rows: &[Vec<Data>], col: &str, value: &str) -> BTreeMap<String, Data> {
    let headers: Vec<String> = rows[0].iter().map(text).collect();
    let at = headers.iter().position(|h| h == col).unwrap();
    let row = rows[1..]
        .iter()
        .find(|r| matches!(&r[at], Data::String(s) if s == value))
        .unwrap_or_else(|| panic!("no row with {col} = {value}"));
    headers.into_iter().zip(row.iter().cloned()).collect()
}

async fn the_spreadsheets_read_back_with_their_french_headers_dates_and_no_formula(app: TestApp) {
    let s = school(&app).await;
    let client = signed_in(&app, review::AGENT).await;

    let (_, bytes) = export(&app, &client, BASE, &[("kind", "changes")]).await;
    let (rows, formulas) = sheet(&bytes, "Modifications");
    assert!(!formulas, "no formula from a reason typed by an agent");
    assert_eq!(
        rows[0].iter().map(text).collect::<Vec<_>>(),
        [
            "Classe",
            "Nom",
            "Prénom",
            "Rubrique",
            "Champ",
            "Avant",
            "Après",
            "Modifié par",
            "Modifié le",
            "Décision",
            "Motif du refus",
            "Décidé par",
            "Décidé le"
        ]
    );
    assert_eq!(rows.len(), 3, "DURAND's two changes: {rows:?}");
    let first_name = row_where(&rows, "Champ", "Prénom");
    assert_eq!(text(&first_name["Nom"]), "DURAND");
    assert_eq!(text(&first_name["Classe"]), "4A");
    assert_eq!(text(&first_name["Avant"]), "Inès");
    assert_eq!(text(&first_name["Après"]), "Ines");
    assert_eq!(text(&first_name["Décision"]), "Refusée");
    assert_eq!(text(&first_name["Motif du refus"]), "=SOMME(A1)");
    assert!(
        matches!(first_name["Modifié le"], Data::DateTime(_)),
        "a date, not text: {:?}",
        first_name["Modifié le"]
    );
    assert!(matches!(first_name["Décidé le"], Data::DateTime(_)));
    let email = row_where(&rows, "Champ", "Adresse électronique");
    assert_eq!(text(&email["Après"]), "nouvelle@exemple.fr");
    assert_eq!(text(&email["Décision"]), "À décider");
    assert_eq!(email["Décidé le"], Data::Empty);

    let (_, bytes) = export(&app, &client, BASE, &[("kind", "canteen")]).await;
    let (rows, _) = sheet(&bytes, "Demi-pension");
    assert_eq!(rows.len(), 2, "MARTIN Léa only: {rows:?}");
    let lea = row_where(&rows, "Nom", "MARTIN");
    assert_eq!(text(&lea["Prénom"]), "Léa");
    assert_eq!(text(&lea["Régime"]), "Demi-pensionnaire");
    assert_eq!(text(&lea["Jours"]), "lundi, mardi, jeudi et vendredi");
    assert_eq!(lea["Quotient familial"], Data::Float(700.0));
    assert_eq!(text(&lea["Tranche"]), "Tranche B");
    assert_eq!(lea["Prix du repas"], Data::Float(4.1));

    let (_, bytes) = export(&app, &client, BASE, &[("kind", "answers")]).await;
    let (rows, formulas) = sheet(&bytes, "Réponses");
    assert!(!formulas, "a family's « =1+1 » is text");
    let lea = row_where(&rows, "Nom", "MARTIN");
    assert_eq!(text(&lea["Atelier choisi"]), "=1+1");
    assert_eq!(text(&lea["État du dossier"]), "Envoyé à l'établissement");
    let tom = row_where(&rows, "Nom", "PETIT");
    assert_eq!(tom["Atelier choisi"], Data::Empty);

    let (_, bytes) = export(&app, &client, BASE, &[("kind", "options")]).await;
    let (rows, _) = sheet(&bytes, "Options");
    assert_eq!(rows.len(), 7, "a row per pupil: {rows:?}");
    assert_eq!(text(&row_where(&rows, "Nom", "ROBERT")["Classe"]), "4A");
    let _ = s;
    app.finish().await;
}

/// Every sheet of a workbook, by name, as rows of cells.
fn workbook(bytes: &[u8]) -> Vec<(String, Vec<Vec<Data>>)> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            let rows = range.rows().map(<[Data]>::to_vec).collect();
            (name, rows)
        })
        .collect()
}

async fn all_the_spreadsheets_come_in_one_zip_each_equal_to_its_single_export(app: TestApp) {
    school(&app).await;
    let school = school_id(&app).await;
    add_nurse(&app, school).await;
    let client = signed_in(&app, review::AGENT).await;
    let (_, html) = app.get_html_as(&client, BASE).await;
    assert!(html.contains("Tout exporter (tableurs)"), "{html}");

    let (page, bytes) = export(&app, &client, BASE, &[("kind", "all_spreadsheets")]).await;
    let (_, html) = app.get_html_as(&client, &page).await;
    assert!(html.contains("Tous les tableurs (ZIP)"), "{html}");
    assert!(
        html.contains("modifications.xlsx, options.xlsx, demi-pension.xlsx et reponses.xlsx"),
        "{html}"
    );
    let file = client
        .get(app.url(&format!("{page}/fichier")))
        .send()
        .await
        .unwrap();
    assert_eq!(file.headers()["content-type"], "application/zip");
    let disposition = file.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with(&format!("attachment; filename=\"tableurs-{UAI}-20"))
            && disposition.ends_with(".zip\""),
        "{disposition}"
    );
    let files = entries(&bytes);
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        [
            "demi-pension.xlsx",
            "modifications.xlsx",
            "options.xlsx",
            "reponses.xlsx"
        ]
    );
    for (kind, name, sheet_name, rows) in [
        ("changes", "modifications.xlsx", "Modifications", 3),
        ("options", "options.xlsx", "Options", 7),
        ("canteen", "demi-pension.xlsx", "Demi-pension", 2),
        ("answers", "reponses.xlsx", "Réponses", 7),
    ] {
        let in_zip = workbook(&files[name]);
        assert_eq!(in_zip.len(), 1, "{name}: one sheet");
        assert_eq!(in_zip[0].0, sheet_name);
        assert_eq!(in_zip[0].1.len(), rows, "{name}: {:?}", in_zip[0].1);
        let (_, single) = export(&app, &client, BASE, &[("kind", kind)]).await;
        assert_eq!(in_zip, workbook(&single), "{name} is its single export");
    }
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_events
             WHERE action IN ('export_requested', 'export_downloaded') AND subject LIKE '% all_spreadsheets'"
        )
        .await,
        3,
        "asked once, downloaded twice (by export() and above)"
    );

    // The nurse's role has no access: refused, nothing queued, nothing read.
    let nurse = signed_in(&app, NURSE).await;
    let (exports, jobs) = (
        app.count("SELECT COUNT(*) FROM exports").await,
        app.count("SELECT COUNT(*) FROM jobs").await,
    );
    let refused = app
        .post_form_as(&nurse, MEDICAL, BASE, &[("kind", "all_spreadsheets")])
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM exports").await, exports);
    assert_eq!(app.count("SELECT COUNT(*) FROM jobs").await, jobs);
    for url in [page.clone(), format!("{page}/fichier")] {
        let response = nurse.get(app.url(&url)).send().await.unwrap();
        assert_eq!(response.status(), 403, "{url}");
    }
    // Nor through the nurse's desk: it only makes the medical forms.
    let id = page.rsplit('/').next().unwrap();
    let other_desk = nurse
        .get(app.url(&format!("{MEDICAL}/{id}/fichier")))
        .send()
        .await
        .unwrap();
    assert_eq!(other_desk.status(), 404);

    // Deleted once expired, like every export.
    let key: String =
        sqlx::query_scalar("SELECT document_key FROM exports WHERE kind = 'all_spreadsheets'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert!(app.state.documents.exists(&key).await.unwrap());
    expire_and_purge(&app, &key).await;
    let gone = client
        .get(app.url(&format!("{page}/fichier")))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 410);
    app.finish().await;
}

/// Stores `content` as an upload of `dossier_id` for the expected document
/// `document_id`.
async fn upload(
    app: &TestApp,
    dossier_id: i64,
    document_id: i64,
    name: &str,
    content: &[u8],
    status: &str,
) {
    let key = format!("uploads/test/{}", uuid::Uuid::new_v4().simple());
    app.state
        .documents
        .put_bytes(&key, Bytes::copy_from_slice(content))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO uploads (dossier_id, expected_document_id, storage_key, original_name, content_type,
             size_bytes, status, created_at)
         VALUES ($1, $2, $3, $4, 'application/pdf', $5, $6, $7)",
    )
    .bind(dossier_id)
    .bind(document_id)
    .bind(&key)
    .bind(name)
    .bind(content.len() as i64)
    .bind(status)
    .bind(now_ms())
    .execute(app.db().pool())
    .await
    .unwrap();
}

fn entries(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        out.insert(file.name().unwrap().into_owned(), content);
    }
    out
}

async fn the_zip_of_pieces_holds_every_upload_by_class_or_by_type_under_a_safe_name(app: TestApp) {
    let s = review::review_school(&app, 0).await;
    let school = school_id(&app).await;
    let document = |label: &'static str, position: i64| {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO expected_documents (school_id, label, position) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(school)
        .bind(label)
        .bind(position)
        .fetch_one(app.db().pool())
    };
    let insurance = document("Assurance / responsabilité civile", 1)
        .await
        .unwrap();
    let address = document("Justificatif de domicile", 2).await.unwrap();
    let big: Vec<u8> = (0..3_000_000_u32).map(|i| (i % 251) as u8).collect();
    upload(
        &app,
        s.changed.dossier_id,
        insurance,
        "scan.PDF",
        b"%PDF-1 assurance",
        "submitted",
    )
    .await;
    upload(
        &app,
        s.changed.dossier_id,
        insurance,
        "page2.pdf",
        &big,
        "accepted",
    )
    .await;
    upload(
        &app,
        s.changed.dossier_id,
        address,
        "facture",
        b"facture EDF",
        "submitted",
    )
    .await;
    upload(
        &app,
        s.changed.dossier_id,
        address,
        "refusee.pdf",
        b"refused",
        "refused",
    )
    .await;
    upload(
        &app,
        s.unchanged[0].dossier_id,
        address,
        "../../etc/passwd.jpg",
        b"jpeg",
        "accepted",
    )
    .await;
    let client = signed_in(&app, review::AGENT).await;

    let (_, bytes) = export(&app, &client, BASE, &[("kind", "pieces_by_class")]).await;
    let by_class = entries(&bytes);
    let expected: BTreeMap<String, Vec<u8>> = [
        (
            "4A/DURAND Inès - Assurance _ responsabilité civile.pdf",
            b"%PDF-1 assurance".to_vec(),
        ),
        (
            "4A/DURAND Inès - Assurance _ responsabilité civile (2).pdf",
            big.clone(),
        ),
        (
            "4A/DURAND Inès - Justificatif de domicile.bin",
            b"facture EDF".to_vec(),
        ),
        (
            "4A/MARTIN Léa - Justificatif de domicile.jpg",
            b"jpeg".to_vec(),
        ),
    ]
    .into_iter()
    .map(|(n, b)| (n.to_owned(), b))
    .collect();
    assert_eq!(
        by_class.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "the refused file is left out"
    );
    assert_eq!(by_class, expected, "each entry holds its upload's bytes");

    let (_, bytes) = export(&app, &client, BASE, &[("kind", "pieces_by_type")]).await;
    let by_type = entries(&bytes);
    assert_eq!(
        by_type.keys().cloned().collect::<Vec<_>>(),
        [
            "Assurance _ responsabilité civile/4A - DURAND Inès (2).pdf",
            "Assurance _ responsabilité civile/4A - DURAND Inès.pdf",
            "Justificatif de domicile/4A - DURAND Inès.bin",
            "Justificatif de domicile/4A - MARTIN Léa.jpg",
        ]
    );
    assert_eq!(
        by_type["Assurance _ responsabilité civile/4A - DURAND Inès (2).pdf"],
        big
    );
    app.finish().await;
}

fn pdf_pages(bytes: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.pdf");
    std::fs::write(&path, bytes).unwrap();
    let _ = tool("pdfinfo", &[path.to_str().unwrap()]);
    page_texts(Path::new(&path))
}

async fn convocations_give_one_page_per_pupil_of_the_class_with_the_date_typed(app: TestApp) {
    review::review_school(&app, 2).await;
    let client = signed_in(&app, review::AGENT).await;
    let refused = app
        .post_form_as(
            &client,
            BASE,
            BASE,
            &[("kind", "convocations"), ("division", "4A")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Indiquez la date de la convocation"),
        "{html}"
    );
    assert!(html.contains("Indiquez le lieu de la convocation"));
    assert_eq!(app.count("SELECT COUNT(*) FROM exports").await, 0);

    let (page, bytes) = export(
        &app,
        &client,
        BASE,
        &[
            ("kind", "convocations"),
            ("division", "4A"),
            ("date", "2027-07-02"),
            ("time", "09:30"),
            ("place", "Salle polyvalente"),
        ],
    )
    .await;
    let (_, html) = app.get_html_as(&client, &page).await;
    assert!(
        html.contains("Classe 4A, le 02/07/2027 à 9 h 30, lieu : Salle polyvalente"),
        "{html}"
    );
    let pages = pdf_pages(&bytes);
    assert_eq!(pages.len(), 6, "one page per pupil of 4A, none of 5C");
    let durand = pages
        .iter()
        .find(|p| p.contains("DURAND"))
        .expect("DURAND's page");
    assert!(durand.contains("Inès DURAND"), "{durand}");
    assert!(durand.contains("Classe : 4A"));
    assert!(durand.contains("Le 02/07/2027 à 9 h 30"));
    assert!(durand.contains("Lieu : Salle polyvalente"));
    assert!(pages.iter().all(|p| !p.contains("ELEVE001")));
    app.finish().await;
}

async fn the_medical_forms_are_the_nurse_s_only_and_every_export_is_deleted_once_expired(
    app: TestApp,
) {
    let s = review::review_school(&app, 0).await;
    let school = school_id(&app).await;
    add_nurse(&app, school).await;
    for (p, mode, note) in [
        (&s.changed, "online", "Allergie aux arachides\nPAI en cours"),
        (&s.unchanged[0], "sealed", ""),
    ] {
        sqlx::query(
            "INSERT INTO medical_notes (dossier_id, guardian_id, mode, note, updated_at) VALUES ($1, $2, $3, $4, 0)",
        )
        .bind(p.dossier_id)
        .bind(p.guardian_id)
        .bind(mode)
        .bind(note)
        .execute(app.db().pool())
        .await
        .unwrap();
    }
    let nurse = signed_in(&app, NURSE).await;
    let secretariat = signed_in(&app, review::AGENT).await;

    // The secretariat's desk offers no medical export, even asked by hand.
    let (_, html) = app.get_html_as(&secretariat, BASE).await;
    assert!(!html.contains("Fiches santé"), "{html}");
    let refused = app
        .post_form_as(&secretariat, BASE, BASE, &[("kind", "medical_forms")])
        .await;
    assert_eq!(refused.status(), 422);
    assert_eq!(app.count("SELECT COUNT(*) FROM exports").await, 0);

    let (page, bytes) = export(&app, &nurse, MEDICAL, &[]).await;
    let pages = pdf_pages(&bytes);
    assert_eq!(pages.len(), 2, "{pages:?}");
    let durand = pages.iter().find(|p| p.contains("DURAND")).unwrap();
    assert!(durand.contains("Allergie aux arachides"), "{durand}");
    assert!(durand.contains("PAI en cours"));
    let martin = pages.iter().find(|p| p.contains("MARTIN")).unwrap();
    assert!(martin.contains("sous enveloppe fermée"), "{martin}");

    // Nobody else reads it: not the secretariat, not through the other desk.
    let id = page.rsplit('/').next().unwrap();
    for url in [page.clone(), format!("{page}/fichier")] {
        let response = secretariat.get(app.url(&url)).send().await.unwrap();
        assert_eq!(response.status(), 403, "{url}");
    }
    let other_desk = nurse
        .get(app.url(&format!("{BASE}/{id}/fichier")))
        .send()
        .await
        .unwrap();
    assert_eq!(other_desk.status(), 403);
    let through_manager_desk = secretariat
        .get(app.url(&format!("{BASE}/{id}/fichier")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        through_manager_desk.status(),
        404,
        "a medical export is not on the other desk"
    );

    // Expired: the hourly job deletes the file; the page says so.
    let key: String =
        sqlx::query_scalar("SELECT document_key FROM exports WHERE kind = 'medical_forms'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert!(app.state.documents.exists(&key).await.unwrap());
    dossiersco::jobs::enqueue(app.db().pool(), &PurgeExportsJob {}, None, None)
        .await
        .unwrap();
    app.run_jobs().await;
    assert!(
        app.state.documents.exists(&key).await.unwrap(),
        "not expired yet"
    );
    expire_and_purge(&app, &key).await;
    let gone = nurse
        .get(app.url(&format!("{page}/fichier")))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 410);
    assert!(
        gone.text()
            .await
            .unwrap()
            .contains("Le fichier a été supprimé")
    );
    app.finish().await;
}

on_both_databases!(
    the_spreadsheets_read_back_with_their_french_headers_dates_and_no_formula,
    all_the_spreadsheets_come_in_one_zip_each_equal_to_its_single_export,
    the_zip_of_pieces_holds_every_upload_by_class_or_by_type_under_a_safe_name,
    convocations_give_one_page_per_pupil_of_the_class_with_the_date_typed,
    the_medical_forms_are_the_nurse_s_only_and_every_export_is_deleted_once_expired,
);
