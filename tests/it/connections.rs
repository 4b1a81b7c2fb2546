//! The server's limits on its clients' connections, on the real binary: slow
//! clients are closed, the connection cap holds, SIGTERM still stops it.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::process::ServerProcess;

fn sqlite_in(dir: &std::path::Path) -> String {
    format!("sqlite://{}", dir.join("t.db").display())
}

/// Waits (until `deadline` at most) for the server to close `stream`: true
/// when a read ends the connection (EOF or reset), false if it is still open.
async fn closed_by_server(stream: &mut TcpStream, deadline: tokio::time::Instant) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

/// Polls the number of open files of `server` until it is at most `target`
/// (at most 10 s); returns the last count.
async fn open_files_down_to(server: &ServerProcess, target: usize) -> usize {
    let mut count = server.open_files();
    for _ in 0..100 {
        if count <= target {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        count = server.open_files();
    }
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_sending_half_a_header_are_closed_after_the_header_timeout_and_the_health_check_still_answers()
 {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::serve(
        dir.path(),
        &sqlite_in(dir.path()),
        &[
            ("http_header_timeout_secs", "1"),
            // Long, so that only the header timeout can close them.
            ("http_idle_timeout_secs", "60"),
        ],
    )
    .await;
    let before = server.open_files();

    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Ag")
            .await
            .unwrap();
        slow.push(stream);
    }
    let opened = Instant::now();

    let health = tokio::time::timeout(Duration::from_secs(5), reqwest::get(server.url("/healthz")))
        .await
        .expect("/healthz answers while 300 slow clients are connected")
        .unwrap();
    assert_eq!(health.status(), 200);
    let health_after = opened.elapsed();
    let during = server.open_files();

    // One deadline for all: 10 s, ten times the header timeout.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut closed = 0;
    for stream in &mut slow {
        if closed_by_server(stream, deadline).await {
            closed += 1;
        }
    }
    let closed_after = opened.elapsed();
    let after = open_files_down_to(&server, before).await;
    eprintln!(
        "slow clients: {closed}/300 closed by the server within {closed_after:.1?}; \
         /healthz answered after {health_after:.1?}; server fds {before} before, \
         {during} with 300 slow clients, {after} after the header timeout"
    );
    assert_eq!(closed, 300, "every slow client is closed by the server");
    assert!(
        after <= before + 2,
        "the descriptors are given back: {before} before, {after} after"
    );
    assert!(server.terminate().await, "SIGTERM still stops the server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn above_the_connection_cap_a_request_waits_for_a_free_slot_and_is_then_answered() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::serve(
        dir.path(),
        &sqlite_in(dir.path()),
        &[
            ("http_max_connections", "20"),
            ("http_header_timeout_secs", "1"),
            ("http_idle_timeout_secs", "3"),
        ],
    )
    .await;
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(TcpStream::connect(server.addr).await.unwrap());
    }
    // Let the server accept them before the 21st arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let started = Instant::now();
    let url = server.url("/healthz");
    let mut twenty_first = tokio::spawn(async move {
        let response = reqwest::get(url).await.unwrap();
        (response.status(), started.elapsed())
    });
    // Idle connections are not closed by the (shorter) header timeout, so
    // the cap still holds after it.
    assert!(
        tokio::time::timeout(Duration::from_millis(1500), &mut twenty_first)
            .await
            .is_err(),
        "with 20 connections open, the 21st waits"
    );
    let (status, waited) = tokio::time::timeout(Duration::from_secs(10), twenty_first)
        .await
        .expect("the 21st is answered once the idle ones are closed")
        .unwrap();
    assert_eq!(status, 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    let mut closed = 0;
    for stream in &mut idle {
        if closed_by_server(stream, deadline).await {
            closed += 1;
        }
    }
    eprintln!("connection cap: the 21st waited {waited:.1?}; {closed}/20 idle closed");
    assert_eq!(closed, 20, "the idle connections were closed by the server");
    let again = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(again.status(), 200);
    assert!(server.terminate().await, "SIGTERM still stops the server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_idle_connections_and_stops_the_server_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::serve(dir.path(), &sqlite_in(dir.path()), &[]).await;
    // A browser's kept-alive connection after a page.
    let mut kept = TcpStream::connect(server.addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = kept.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    // terminate() waits 20 s: less than the idle timeout (60 s) that the
    // kept-alive connection would otherwise hold the shutdown for.
    assert!(server.terminate().await, "SIGTERM stops the server with 0");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    assert!(closed_by_server(&mut kept, deadline).await);
}

/// Sends `request` on `stream` and reads one response head; returns its status line.
async fn status_line(stream: &mut TcpStream, request: &[u8]) -> String {
    stream.write_all(request).await.unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("a response within 10 s")
            .unwrap();
        assert!(
            n > 0,
            "the server closed the connection instead of answering"
        );
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    head.lines().next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_serves_a_request_sent_after_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::serve(
        dir.path(),
        &sqlite_in(dir.path()),
        &[
            ("http_header_timeout_secs", "1"),
            ("http_idle_timeout_secs", "30"),
        ],
    )
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    for _ in 0..2 {
        assert_eq!(status_line(&mut stream, request).await, "HTTP/1.1 200 OK");
        // Idle for longer than the header timeout: only the idle one applies.
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    assert!(server.terminate().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_slowly_is_not_cut_by_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::serve(
        dir.path(),
        &sqlite_in(dir.path()),
        &[
            ("http_header_timeout_secs", "1"),
            ("http_idle_timeout_secs", "1"),
        ],
    )
    .await;
    // A browser's visitor cookie and the form's CSRF token.
    let page = reqwest::get(server.url("/agent/connexion")).await.unwrap();
    let cookies: Vec<String> = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    let token = crate::harness::extract_csrf(&page.text().await.unwrap()).unwrap();
    let body = format!("csrf_token={token}&email=nobody%40example.fr&password=wrong-password");
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);

    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /agent/connexion HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        cookies.join("; "),
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first).await.unwrap();
    // The body takes 2.5 s: longer than both timeouts.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let status = status_line(&mut stream, rest).await;
    assert_eq!(
        status, "HTTP/1.1 401 Unauthorized",
        "the whole body was read and the form handled"
    );
    assert!(server.terminate().await);
}
