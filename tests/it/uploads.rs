//! Hostile uploads through the real route, on both databases: PDFs with
//! active content, decompression bombs, quotas (also under concurrent
//! requests), and the permissions of what is stored.

use dossiersco::demo::Seeded;
use lopdf::{Dictionary, Document, Object, Stream, dictionary};

use crate::harness::TestApp;
use crate::on_both_databases;

// ---------------------------------------------------------------- helpers

/// Signs in the separated family's mother and walks every step unchanged;
/// returns the URL of her child's dossier (without step).
pub(crate) async fn mother_at_pieces(app: &TestApp, seeded: &Seeded) -> String {
    let base = crate::family::mother_dossier(app, seeded).await;
    crate::family::walk_without_change_as(app, &app.client, &base).await;
    base
}

async fn upload(
    app: &TestApp,
    base: &str,
    piece: i64,
    files: Vec<(&str, Vec<u8>)>,
) -> (u16, String) {
    let token = app.csrf_token(&format!("{base}/pieces")).await;
    send_upload(app, base, piece, &token, files).await
}

async fn send_upload(
    app: &TestApp,
    base: &str,
    piece: i64,
    token: &str,
    files: Vec<(&str, Vec<u8>)>,
) -> (u16, String) {
    let mut form = reqwest::multipart::Form::new().text("csrf_token", token.to_owned());
    for (name, bytes) in files {
        form = form.part(
            "files",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    }
    let response = app
        .client
        .post(app.url(&format!("{base}/pieces/{piece}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

pub(crate) async fn piece(app: &TestApp, position: i64) -> i64 {
    sqlx::query_scalar("SELECT id FROM expected_documents WHERE position = $1")
        .bind(position)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

fn stored_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                walk(&entry.path(), out);
            } else {
                out.push(entry.path());
            }
        }
    }
    let mut files = Vec::new();
    walk(&app.state.settings.documents_dir(), &mut files);
    files
}

/// A real 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0x64, 0x60, 0xF8, 0x5F,
    0x0F, 0x00, 0x02, 0x87, 0x01, 0x80, 0xEB, 0x47, 0xBA, 0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

// ---------------------------------------------------------------- PDFs

/// A PDF written by hand with a correct cross-reference table: object 1 is
/// the catalog (`catalog_extra` added to it), 2 the page tree, 3 the page,
/// 4 its content stream (`content`, a whole stream object), then `more`
/// objects (5, 6…).
fn pdf(catalog_extra: &str, content: &[u8], more: &[&[u8]]) -> Vec<u8> {
    let catalog = format!("<< /Type /Catalog /Pages 2 0 R {catalog_extra} >>");
    let mut objects: Vec<&[u8]> = vec![
        catalog.as_bytes(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
           /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
        content,
    ];
    objects.extend_from_slice(more);
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    let size = objects.len() + 1;
    out.extend_from_slice(format!("xref\n0 {size}\n0000000000 65535 f \n").as_bytes());
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    out
}

const TEXT: &[u8] = b"BT /F1 18 Tf 72 760 Td (Attestation d'assurance scolaire) Tj ET";

/// `content` as an uncompressed stream object.
fn plain(content: &[u8]) -> Vec<u8> {
    let mut out = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    out.extend_from_slice(content);
    out.extend_from_slice(b"\nendstream");
    out
}

/// `content` compressed (FlateDecode), as a stream object (padded with
/// spaces, so that compression pays off even for a short content).
fn flate(content: &[u8]) -> Vec<u8> {
    let mut padded = content.to_vec();
    padded.extend(std::iter::repeat_n(b' ', 200));
    let mut stream = Stream::new(Dictionary::new(), padded);
    stream.compress().unwrap();
    assert!(stream.dict.has(b"Filter"), "compressed");
    let mut out = format!(
        "<< /Length {} /Filter /FlateDecode >>\nstream\n",
        stream.content.len()
    )
    .into_bytes();
    out.extend_from_slice(&stream.content);
    out.extend_from_slice(b"\nendstream");
    out
}

/// A document saved by lopdf with object streams and a cross-reference
/// stream: everything but the streams is compressed, the JavaScript action
/// of the catalog's `/OpenAction` included.
fn javascript_in_object_stream() -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let content_id = doc.add_object(Stream::new(dictionary! {}, TEXT.to_vec()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Contents" => content_id,
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page_id.into()],
            "Count" => 1,
        }),
    );
    let action_id = doc.add_object(dictionary! {
        "Type" => "Action",
        "S" => "JavaScript",
        "JS" => Object::string_literal("app.alert('bonjour')"),
    });
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
        "OpenAction" => action_id,
    });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_with_options(
        &mut out,
        lopdf::SaveOptions::builder()
            .use_object_streams(true)
            .use_xref_streams(true)
            .compression_level(6)
            .build(),
    )
    .unwrap();
    assert!(
        !out.windows(10).any(|w| w == b"JavaScript") && !out.windows(3).any(|w| w == b"/JS"),
        "the action is only in the compressed object stream"
    );
    out
}

async fn hostile_pdfs_are_refused_and_nothing_of_them_is_kept(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_at_pieces(&app, &seeded).await;
    let insurance = piece(&app, 0).await;

    let text = plain(TEXT);
    let mut html_first = b"<html><body><script>alert(1)</script></body></html>\n".to_vec();
    html_first.extend(pdf("", &text, &[]));
    let mut html_inside = TEXT.to_vec();
    html_inside.extend_from_slice(b"\n% <html><script>alert(1)</script>\n");
    let hostile: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "echappe-js.pdf",
            pdf(
                "/OpenAction 5 0 R",
                &text,
                &[b"<< /Type /Action /S /J#61vaScript /J#53 (app.alert(1)) >>"],
            ),
            "contenu actif",
        ),
        (
            "echappe-launch.pdf",
            pdf(
                "/OpenAction 5 0 R",
                &text,
                &[b"<< /Type /Action /S /L#61unch /F (calc.exe) >>"],
            ),
            "contenu actif",
        ),
        (
            "objet-compresse.pdf",
            javascript_in_object_stream(),
            "contenu actif",
        ),
        (
            "piece-jointe.pdf",
            pdf(
                "/Names << /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>",
                &text,
                &[
                    b"<< /Type /Filespec /F (a.exe) /EF << /F 6 0 R >> >>",
                    &plain(b"MZ"),
                ],
            ),
            "contenu actif",
        ),
        (
            "formulaire-xfa.pdf",
            pdf(
                "/AcroForm << /Fields [] /XFA 5 0 R >>",
                &text,
                &[&plain(b"<xdp:xdp/>")],
            ),
            "contenu actif",
        ),
        ("html-devant.pdf", html_first, "pas accepté"),
        (
            "html-compresse.pdf",
            pdf("", &flate(&html_inside), &[]),
            "autre chose",
        ),
        (
            "illisible.pdf",
            b"%PDF-1.7\n\x00\x01 ceci n'est pas un PDF \xFF\xFE\n%%EOF\n".to_vec(),
            "abîmé",
        ),
    ];
    for (name, bytes, message) in hostile {
        let (status, html) = upload(&app, &base, insurance, vec![(name, bytes)]).await;
        assert_eq!(status, 422, "{name}: {html}");
        assert!(html.contains(name), "the message names the file");
        assert!(html.contains(message), "{name}: {message}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 0);
    assert!(stored_files(&app).is_empty(), "nothing refused is kept");

    // An ordinary PDF, compressed and with a link, is still accepted.
    let link: &[u8] = b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 720] \
        /A << /S /URI /URI (https://www.service-public.fr) >> >>";
    let ordinary = pdf("", &flate(TEXT), &[link]);
    let (status, html) = upload(&app, &base, insurance, vec![("attestation.pdf", ordinary)]).await;
    assert_eq!(status, 303, "{html}");
    assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 1);
    assert_eq!(stored_files(&app).len(), 1);
    app.finish().await;
}

on_both_databases!(hostile_pdfs_are_refused_and_nothing_of_them_is_kept);

// ---------------------------------------------------------------- images

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut typed = kind.to_vec();
    typed.extend_from_slice(data);
    out.extend_from_slice(&typed);
    out.extend_from_slice(&crc32(&typed).to_be_bytes());
}

/// A PNG announcing `width` × `height` RGB pixels, with a tiny (not
/// decodable to the end) image stream: all a check of the header needs.
fn png_announcing(width: u32, height: u32) -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut header = width.to_be_bytes().to_vec();
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &header);
    png_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0xDA, 0xED, 0xC1, 0x01, 0x0D, 0, 0],
    );
    png_chunk(&mut out, b"IEND", b"");
    out
}

/// The header of a 12-megapixel phone photo (JFIF, EXIF, frame, scan).
pub(crate) fn phone_jpeg() -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    out.extend_from_slice(&[
        0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
    ]);
    out.extend_from_slice(&[0xFF, 0xE1, 0x10, 0x02]);
    out.extend(std::iter::repeat_n(0u8, 0x1000));
    out.extend_from_slice(&[0xFF, 0xC0, 0, 17, 8]);
    out.extend_from_slice(&3024u16.to_be_bytes());
    out.extend_from_slice(&4032u16.to_be_bytes());
    out.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    out.extend_from_slice(&[0xFF, 0xDA, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3F, 0]);
    out.extend(std::iter::repeat_n(0x55u8, 2000));
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

async fn an_image_of_too_many_pixels_or_an_unreadable_header_is_refused(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_at_pieces(&app, &seeded).await;
    let insurance = piece(&app, 0).await;

    let bomb = png_announcing(30_000, 30_000);
    assert!(bomb.len() < 100, "a few bytes announce 900 megapixels");
    let (status, html) = upload(&app, &base, insurance, vec![("bombe.png", bomb)]).await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("bombe.png") && html.contains("64 millions de pixels"),
        "{html}"
    );

    let mut no_header = png_announcing(10, 10);
    no_header[12..16].copy_from_slice(b"IDAT");
    let (status, html) = upload(&app, &base, insurance, vec![("sans-entete.png", no_header)]).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("abîmé"), "{html}");
    assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 0);
    assert!(stored_files(&app).is_empty(), "nothing refused is kept");

    let (status, html) = upload(
        &app,
        &base,
        insurance,
        vec![("photo.jpg", phone_jpeg()), ("scan.png", PNG.to_vec())],
    )
    .await;
    assert_eq!(status, 303, "{html}");
    assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 2);
    app.finish().await;
}

on_both_databases!(an_image_of_too_many_pixels_or_an_unreadable_header_is_refused);

// ---------------------------------------------------------------- quotas

async fn a_piece_keeps_five_files_even_when_eight_uploads_arrive_at_once(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_at_pieces(&app, &seeded).await;
    let insurance = piece(&app, 0).await;
    let token = app.csrf_token(&format!("{base}/pieces")).await;
    let answers =
        futures::future::join_all(
            (0..8).map(|i| {
                let name = format!("page-{i}.png");
                let (app, base, token) = (&app, &base, &token);
                async move {
                    send_upload(app, base, insurance, token, vec![(&name, PNG.to_vec())]).await
                }
            }),
        )
        .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM uploads").await,
        5,
        "five files per piece, whatever the timing"
    );
    assert_eq!(stored_files(&app).len(), 5, "the others were not kept");
    let refused: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status == 422)
        .collect();
    assert_eq!(refused.len(), 3);
    assert!(
        refused
            .iter()
            .all(|(_, html)| html.contains("déjà 5 fichiers")),
        "the message says why"
    );
    app.finish().await;
}

async fn a_request_takes_five_files_and_a_dossier_thirty_files_and_100_mb(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_at_pieces(&app, &seeded).await;
    let (first, second, third) = (
        piece(&app, 0).await,
        piece(&app, 1).await,
        piece(&app, 2).await,
    );

    // Seven files in one request: five kept, the family told why.
    let seven = (0..7)
        .map(|i| {
            (
                [
                    "a.png", "b.png", "c.png", "d.png", "e.png", "f.png", "g.png",
                ][i],
                PNG.to_vec(),
            )
        })
        .collect();
    let (status, html) = upload(&app, &base, first, seven).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("au plus 5 fichiers à la fois"), "{html}");
    assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 5);

    // Thirty files in the dossier (25 more recorded directly): no 31st.
    let dossier_id: i64 = base.rsplit('/').next().unwrap().parse().unwrap();
    for i in 0..25 {
        sqlx::query(
            "INSERT INTO uploads (dossier_id, expected_document_id, storage_key, original_name, content_type, size_bytes, created_at)
             VALUES ($1, $2, $3, 'x.png', 'image/png', 70, 0)",
        )
        .bind(dossier_id)
        .bind(second)
        .bind(format!("fake/{i}"))
        .execute(app.db().pool())
        .await
        .unwrap();
    }
    let (status, html) = upload(&app, &base, third, vec![("trente-et-un.png", PNG.to_vec())]).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("déjà 30 fichiers"), "{html}");

    // Files the school refused free their place; 100 MB in all.
    sqlx::query("UPDATE uploads SET status = 'refused' WHERE storage_key LIKE 'fake/%'")
        .execute(app.db().pool())
        .await
        .unwrap();
    sqlx::query("UPDATE uploads SET size_bytes = $1 WHERE storage_key = 'fake/0'")
        .bind(100 * 1024 * 1024 - 5 * 70 - 10)
        .execute(app.db().pool())
        .await
        .unwrap();
    sqlx::query("UPDATE uploads SET status = 'submitted' WHERE storage_key = 'fake/0'")
        .execute(app.db().pool())
        .await
        .unwrap();
    let (status, html) = upload(&app, &base, third, vec![("trop-lourd.png", PNG.to_vec())]).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("100 Mo"), "{html}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM uploads WHERE expected_document_id <> (SELECT MIN(id) FROM expected_documents) AND storage_key NOT LIKE 'fake/%'")
            .await,
        0
    );
    assert_eq!(stored_files(&app).len(), 5, "nothing refused is kept");
    app.finish().await;
}

async fn a_dossier_keeps_six_emergency_contacts_even_when_added_at_once(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_at_pieces(&app, &seeded).await;
    let page = format!("{base}/contacts-urgence");
    let token = app.csrf_token(&page).await;
    let answers = futures::future::join_all((0..10).map(|i| {
        let (app, page, token) = (&app, &page, &token);
        async move {
            app.client
                .post(app.url(page))
                .form(&[
                    ("csrf_token", token.as_str()),
                    ("name", &format!("Voisin {i}")),
                    ("relationship", "voisin"),
                    ("phone", &format!("06 12 34 56 {:02}", i)),
                    ("action", "ajouter"),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    }))
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM emergency_contacts").await,
        6,
        "six contacts per dossier, whatever the timing: {answers:?}"
    );
    let response = app
        .post_form(
            &page,
            &page,
            &[
                ("name", "Tante Lucie"),
                ("phone", "06 98 76 54 32"),
                ("action", "ajouter"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("déjà 6 contacts d"), "{html}");
    assert!(
        html.contains("value=\"Tante Lucie\""),
        "what was typed is kept"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM emergency_contacts").await,
        6
    );
    app.finish().await;
}

on_both_databases!(
    a_piece_keeps_five_files_even_when_eight_uploads_arrive_at_once,
    a_request_takes_five_files_and_a_dossier_thirty_files_and_100_mb,
    a_dossier_keeps_six_emergency_contacts_even_when_added_at_once,
);

// ---------------------------------------------------------------- permissions

/// The data folder, the database and its WAL, the documents folder and a
/// stored document are owner-only even under the usual umask 022, and
/// folders found wider are tightened.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_files_and_stored_documents_are_owner_only_under_a_umask_of_022() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    // SAFETY: umask changes only the process's file creation mask.
    let previous = unsafe { libc::umask(0o022) };
    let mut data = std::path::PathBuf::new();
    let app = TestApp::spawn_with(dossiersco::db::Backend::Sqlite, |settings| {
        data = settings.data_dir.join("donnees");
        // An existing data folder and documents folder, readable by all.
        std::fs::create_dir_all(data.join("documents")).unwrap();
        for dir in [&data, &data.join("documents")] {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        settings.data_dir = data.clone();
        settings.database_url = Some(dossiersco::secret::Secret::new(format!(
            "sqlite://{}",
            data.join("dossiersco.db").display()
        )));
    })
    .await
    .unwrap();
    let seeded = app.seed_demo().await;
    let base = mother_at_pieces(&app, &seeded).await;
    let (status, _) = upload(
        &app,
        &base,
        piece(&app, 0).await,
        vec![("scan.png", PNG.to_vec())],
    )
    .await;
    assert_eq!(status, 303);

    assert_eq!(mode(&data), 0o700, "data folder");
    assert_eq!(mode(&data.join("dossiersco.db")), 0o600, "database");
    assert_eq!(
        mode(&data.join("dossiersco.db-wal")),
        0o600,
        "write-ahead log"
    );
    assert_eq!(mode(&data.join("documents")), 0o700, "documents folder");
    let stored = stored_files(&app);
    assert_eq!(stored.len(), 1);
    assert_eq!(mode(&stored[0]), 0o600, "stored document");
    app.finish().await;
    // SAFETY: as above.
    unsafe { libc::umask(previous) };
}
