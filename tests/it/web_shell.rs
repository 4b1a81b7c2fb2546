//! The web shell: pages, headers, static files, errors.

use crate::harness::TestApp;
use crate::on_both_databases;

async fn the_health_check_answers_ok_when_the_database_does(app: TestApp) {
    let (status, body) = app.get_html("/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok"));
    app.finish().await;
}

async fn the_home_page_is_french_dsfr_with_strict_security_headers(app: TestApp) {
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert_eq!(headers["cache-control"], "no-store");
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"<html lang="fr""#));
    assert!(
        html.contains("fr-skiplinks") && html.contains("fr-header") && html.contains("fr-footer")
    );
    assert!(html.contains("/dsfr/dist/dsfr.min.css"));
    assert!(
        !html.contains("style=\""),
        "no inline style may appear (CSP)"
    );
    app.finish().await;
}

async fn static_files_are_served_from_the_binary_with_a_long_cache(app: TestApp) {
    let html = app.get_html("/").await.1;
    let start = html.find("href=\"/static/").unwrap() + 6;
    let href = &html[start..start + html[start..].find('"').unwrap()];
    assert!(href.ends_with("/dsfr/dist/dsfr.min.css"), "{href}");
    let response = app.get(href).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/css; charset=utf-8"
    );
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(
        response.headers().get("set-cookie").is_none(),
        "static files set no cookie"
    );
    let css = response.text().await.unwrap();
    assert!(css.len() > 100_000, "the full DSFR stylesheet is served");
    let version = href.split('/').nth(2).unwrap();
    let font = app
        .get(&format!(
            "/static/{version}/dsfr/dist/fonts/Marianne-Regular.woff2"
        ))
        .await;
    assert_eq!(font.headers()["content-type"], "font/woff2");
    assert_eq!(
        app.get(&format!("/static/{version}/nope.css"))
            .await
            .status(),
        404
    );
    app.finish().await;
}

async fn an_unknown_url_gets_a_dsfr_404_page(app: TestApp) {
    let (status, html) = app.get_html("/cette-page-n-existe-pas").await;
    assert_eq!(status, 404);
    assert!(html.contains("Page non trouvée") && html.contains("fr-footer"));
    app.finish().await;
}

async fn the_footer_pages_exist(app: TestApp) {
    for path in [
        "/accessibilite",
        "/donnees-personnelles",
        "/mentions-legales",
    ] {
        let (status, html) = app.get_html(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains("<h1>"), "{path}");
    }
    app.finish().await;
}

on_both_databases!(
    the_health_check_answers_ok_when_the_database_does,
    the_home_page_is_french_dsfr_with_strict_security_headers,
    static_files_are_served_from_the_binary_with_a_long_cache,
    an_unknown_url_gets_a_dsfr_404_page,
    the_footer_pages_exist,
);

#[tokio::test]
async fn the_server_stops_gracefully_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let settings = crate::harness::test_settings(
        dir.path(),
        format!("sqlite://{}", dir.path().join("t.db").display()),
    );
    let app = dossiersco::process::App::build(settings).await.unwrap();
    let token = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(app.run(token.clone()));
    token.cancel();
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(10), running).await;
    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "the server did not stop cleanly"
    );
}

async fn an_internal_error_gets_a_dsfr_500_page_without_details(app: TestApp) {
    let demo = app.seed_demo().await;
    app.sign_in_agent(
        "direction@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    // Break the database under the application's feet.
    sqlx::query("ALTER TABLE dossiers RENAME TO dossiers_gone")
        .execute(app.db().pool())
        .await
        .unwrap();
    let (status, html) = app.get_html(&format!("/etablissements/{}", demo.uai)).await;
    assert_eq!(status, 500);
    assert!(html.contains("Erreur inattendue") && html.contains("fr-footer"));
    assert!(
        !html.contains("dossiers_gone")
            && !html.contains("no such table")
            && !html.contains("does not exist")
    );
    sqlx::query("ALTER TABLE dossiers_gone RENAME TO dossiers")
        .execute(app.db().pool())
        .await
        .unwrap();
    app.finish().await;
}

on_both_databases!(an_internal_error_gets_a_dsfr_500_page_without_details);

/// The README's first command, for real: the binary seeds the demo, prints the
/// URLs and sign-in details, serves, and stops cleanly on SIGTERM.
#[tokio::test]
async fn the_demo_command_prints_sign_in_details_and_serves_the_school() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_dossiersco"))
        .args(["demo", "--addr", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env("DOSSIERSCO_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = String::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            banner.push_str(&line);
            banner.push('\n');
            if line.contains("Ctrl-C") {
                break;
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the demo did not print its banner in time:\n{banner}"
    );
    if !banner.contains("Ctrl-C") {
        use tokio::io::AsyncReadExt;
        let mut err = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut err).await;
        panic!("the demo stopped early:\n{banner}\n{err}");
    }
    for expected in [
        "direction@demo.dossiersco.fr",
        "infirmerie@demo.dossiersco.fr",
        "demo-dossiersco",
        "deux enfants",
        "séparée",
        "/outbox",
    ] {
        assert!(
            banner.contains(expected),
            "banner lacks {expected}:\n{banner}"
        );
    }
    let home = banner
        .lines()
        .find(|l| l.trim_start().starts_with("Accueil"))
        .unwrap();
    let url = home.split_whitespace().last().unwrap().to_owned();
    let response = reqwest::get(format!("{url}healthz")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        dir.path().join("data/dossiersco.db").exists(),
        "the embedded default is a SQLite file under ./data"
    );

    let pid = child.id().unwrap() as i32;
    // SIGTERM through kill(1), as a process manager would.
    std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .unwrap();
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(
        status.success(),
        "graceful shutdown exits with 0, got {status}"
    );
}
