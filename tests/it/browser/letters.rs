//! Letters in a browser (issue 12): an agent prints the letters of a class
//! and watches the job's progress; a guardian opens the address of a
//! letter's QR code and finds the code filled in, though no request ever
//! carried it (every byte the browser sends goes through a recording proxy).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dossiersco::db::Backend;
use dossiersco::domain::Role;
use fantoccini::Locator;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Browser, click_and_wait, mark_page, wait_for_new_page};
use crate::builders::AGENT_PASSWORD;
use crate::harness::TestApp;
use crate::letters::{UAI, codes_in, families, page_texts, qr_of_page};

/// A TCP proxy to `target` that keeps every byte browsers send through it.
async fn recording_proxy(target: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<u8>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sent = Arc::new(Mutex::new(Vec::new()));
    let record = sent.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(target).await else {
                    return;
                };
                let (mut from_client, mut to_client) = client.into_split();
                let (mut from_server, mut to_server) = server.into_split();
                let upstream = async move {
                    let mut buf = vec![0; 16 * 1024];
                    while let Ok(n) = from_client.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        record.lock().unwrap().extend_from_slice(&buf[..n]);
                        if to_server.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = to_server.shutdown().await;
                };
                let downstream = async move {
                    let _ = tokio::io::copy(&mut from_server, &mut to_client).await;
                    let _ = to_client.shutdown().await;
                };
                tokio::join!(upstream, downstream);
            });
        }
    });
    (addr, sent)
}

/// The request lines and headers the browser sent, request by request
/// (bodies skipped by their Content-Length: a form posts the code in its
/// body, which is neither logged nor a Referer).
fn request_heads(bytes: &[u8]) -> Vec<String> {
    let mut heads = Vec::new();
    let mut rest = bytes;
    while let Some(end) = rest.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&rest[..end]).into_owned();
        let body: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .unwrap_or(0);
        heads.extend(head.split("\r\n").map(str::to_owned));
        rest = &rest[(end + 4 + body).min(rest.len())..];
    }
    heads
}

async fn wait_for_text(browser: &Browser, text: &str) {
    for _ in 0..200 {
        if browser.text().await.contains(text) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never said {text:?}:\n{}", browser.text().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_prints_a_class_letters_and_a_family_signs_in_from_the_qr_code_without_sending_it()
{
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let f = families(&app).await;
    f.school
        .agent(&app, "secretariat@voisin.fr", Role::Secretariat)
        .await;
    let (proxy, sent) = recording_proxy(app.addr).await;
    let base = format!("http://{proxy}");

    // The agent: the letters of 6B (Paul, Awa), confirmed, then the job.
    browser
        .client
        .goto(&format!("{base}/agent/connexion"))
        .await
        .unwrap();
    for (id, text) in [
        ("email", "secretariat@voisin.fr"),
        ("password", AGENT_PASSWORD),
    ] {
        browser
            .client
            .find(Locator::Id(id))
            .await
            .unwrap()
            .send_keys(text)
            .await
            .unwrap();
    }
    click_and_wait(&browser, Locator::Css("main form button[type=submit]")).await;
    browser
        .client
        .goto(&format!("{base}/etablissements/{UAI}/courriers"))
        .await
        .unwrap();
    browser.assert_accessible("courriers").await;
    browser
        .client
        .find(Locator::Css("label[for=scope-division]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .client
        .execute("document.getElementById('division').value = '6B';", vec![])
        .await
        .unwrap();
    click_and_wait(&browser, Locator::Css("main form button[type=submit]")).await;
    let text = browser.text().await;
    assert!(text.contains("les responsables des élèves de 6B"), "{text}");
    assert!(
        text.contains("2 courrier(s)") || text.contains("2\ncourrier(s)"),
        "{text}"
    );
    browser.assert_accessible("confirmation").await;
    click_and_wait(&browser, Locator::Css("main form button[type=submit]")).await;
    assert!(browser.text().await.contains("En préparation"));
    browser.assert_accessible("courriers en préparation").await;
    assert_eq!(app.run_jobs().await, 1);
    // The page follows the job by itself (app.js) until the file is ready.
    wait_for_text(&browser, "Télécharger les courriers (PDF)").await;
    browser.assert_accessible("courriers prêts").await;

    // The first letter's QR code, read from the PDF.
    let key: String =
        sqlx::query_scalar("SELECT document_key FROM letter_batches ORDER BY id DESC LIMIT 1")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("courriers.pdf");
    let bytes = app.state.documents.get_bytes(&key, 1 << 26).await.unwrap();
    std::fs::write(&pdf, bytes).unwrap();
    let code = codes_in(&page_texts(&pdf)[0])[0].clone();
    let scanned = qr_of_page(&pdf, 1);
    let path = scanned
        .strip_prefix("http://127.0.0.1")
        .expect("the QR code holds the application's address");
    assert_eq!(path, format!("/famille/connexion#code={code}"));

    // The family, in another browser: the QR code's address on this server.
    let family = Browser::start(360, 740).await.unwrap();
    family.client.goto(&format!("{base}{path}")).await.unwrap();
    let filled: Value = family
        .client
        .execute("return document.getElementById('code').value;", vec![])
        .await
        .unwrap();
    assert_eq!(
        filled.as_str(),
        Some(code.as_str()),
        "the code is filled in"
    );
    let address = family.client.current_url().await.unwrap();
    assert_eq!(address.fragment(), None, "the code left the address bar");
    family.assert_accessible("/famille/connexion#code=…").await;
    family
        .client
        .execute(
            "document.getElementById('birth_date').value = arguments[0];",
            vec![json!("2013-05-14")],
        )
        .await
        .unwrap();
    mark_page(&family).await;
    family
        .client
        .find(Locator::XPath(
            "//button[normalize-space()='Accéder au dossier']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_new_page(&family).await;
    let signed_in = family.client.current_url().await.unwrap();
    assert!(
        signed_in.path().starts_with("/famille") && signed_in.path() != "/famille/connexion",
        "the family is signed in: {signed_in}"
    );
    family.assert_accessible(signed_in.path()).await;

    // No request line and no header (Referer included) carried the code.
    let heads = request_heads(&sent.lock().unwrap());
    assert!(
        heads
            .iter()
            .any(|l| l.starts_with("GET /famille/connexion HTTP/1.1")),
        "the proxy saw the sign-in page: {heads:?}"
    );
    assert!(
        heads
            .iter()
            .any(|l| l.to_ascii_lowercase().starts_with("referer: "))
    );
    let compact: String = code.chars().filter(|c| *c != '-').collect();
    let leaks: Vec<&String> = heads
        .iter()
        .filter(|l| l.contains(&code) || l.contains(&compact))
        .collect();
    assert!(leaks.is_empty(), "the code reached the server: {leaks:?}");
    family.close().await;
    browser.close().await;
    app.finish().await;
}
