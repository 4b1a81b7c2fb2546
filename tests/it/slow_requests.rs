//! How long a request may take: an upload from a phone on a slow network goes
//! on as long as its bytes keep coming; a stalled body or a slow ordinary
//! request is given up.

use std::time::Duration;

use futures::StreamExt;

use crate::harness::TestApp;
use crate::on_both_databases_with;
use crate::uploads::{mother_at_pieces, phone_jpeg, piece};

/// Short limits, so that the test takes seconds: 2 s for a request, 1 s
/// without a byte of body.
pub fn short_timeouts(settings: &mut dossiersco::settings::Settings) {
    settings.http_request_timeout_secs = 2;
    settings.http_body_idle_timeout_secs = 1;
}

const BOUNDARY: &str = "dossiersco-slow-upload";

/// A multipart upload of `file`, as a browser sends it.
fn multipart(token: &str, file: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"photo.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Sends `body` in `chunks` pieces, waiting `pause` before each one after the
/// first (and `stall` before the middle one).
async fn send_slowly(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
    chunks: usize,
    pause: Duration,
    stall: Duration,
) -> Result<reqwest::Response, reqwest::Error> {
    let size = body.len().div_ceil(chunks);
    let parts: Vec<Vec<u8>> = body.chunks(size).map(<[u8]>::to_vec).collect();
    let middle = parts.len() / 2;
    let stream =
        futures::stream::iter(parts.into_iter().enumerate()).then(move |(i, part)| async move {
            if i > 0 {
                tokio::time::sleep(pause).await;
            }
            if i == middle {
                tokio::time::sleep(stall).await;
            }
            Ok::<_, std::io::Error>(part)
        });
    app.client
        .post(app.url(path))
        .header("content-type", content_type)
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
}

async fn an_upload_slower_than_the_request_timeout_is_received_while_bytes_keep_coming(
    app: TestApp,
) {
    let seeded = app.seed_demo().await;
    let base = mother_at_pieces(&app, &seeded).await;
    let insurance = piece(&app, 0).await;
    let token = app.csrf_token(&format!("{base}/pieces")).await;
    let started = std::time::Instant::now();
    let response = send_slowly(
        &app,
        &format!("{base}/pieces/{insurance}"),
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        multipart(&token, &phone_jpeg()),
        16,
        Duration::from_millis(250),
        Duration::ZERO,
    )
    .await
    .unwrap();
    assert!(
        started.elapsed() > Duration::from_secs(3),
        "the upload took longer than the 2 s request timeout"
    );
    assert_eq!(response.status(), 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 1);
    app.finish().await;
}

async fn a_stalled_upload_is_given_up_and_nothing_is_kept(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_at_pieces(&app, &seeded).await;
    let insurance = piece(&app, 0).await;
    let token = app.csrf_token(&format!("{base}/pieces")).await;
    let response = send_slowly(
        &app,
        &format!("{base}/pieces/{insurance}"),
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        multipart(&token, &phone_jpeg()),
        4,
        Duration::from_millis(100),
        Duration::from_millis(2500),
    )
    .await;
    if let Ok(response) = response {
        assert!(
            response.status().is_client_error(),
            "a body silent for 2.5 s (limit 1 s) is refused, got {}",
            response.status()
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 0);
    app.finish().await;
}

async fn an_ordinary_request_slower_than_the_timeout_gets_the_timeout_page(app: TestApp) {
    app.seed_demo().await;
    let token = app.csrf_token("/agent/connexion").await;
    let body = format!(
        "csrf_token={token}&email=secretariat%40demo.dossiersco.fr&password={}",
        dossiersco::demo::DEMO_PASSWORD
    );
    let response = send_slowly(
        &app,
        "/agent/connexion",
        "application/x-www-form-urlencoded",
        body.into_bytes(),
        12,
        Duration::from_millis(300),
        Duration::ZERO,
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 408);
    assert!(response.text().await.unwrap().contains("Délai dépassé"));
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    app.finish().await;
}

on_both_databases_with!(crate::slow_requests::short_timeouts;
    an_upload_slower_than_the_request_timeout_is_received_while_bytes_keep_coming,
    a_stalled_upload_is_given_up_and_nothing_is_kept,
    an_ordinary_request_slower_than_the_timeout_gets_the_timeout_page,
);
