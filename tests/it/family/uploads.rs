//! The pieces a family uploads: checked from their content, size limits,
//! mandatory pieces, HEIC photos.

use super::{PDF, expected_document, location, mother_dossier, upload, walk_without_change};
use crate::forms::prefilled;
use crate::harness::TestApp;
use crate::on_both_databases;

/// A real 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0x64, 0x60, 0xF8, 0x5F,
    0x0F, 0x00, 0x02, 0x87, 0x01, 0x80, 0xEB, 0x47, 0xBA, 0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

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
            form.retain(|(k, _)| k != "photo" && k != "sorties");
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

/// A HEIC photo made with libheif's `heif-enc` (120×80, blue top third).
const HEIC: &[u8] = include_bytes!("../../fixtures/photo.heic");

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
