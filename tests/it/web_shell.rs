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
    for path in ["/accessibilite", "/donnees-personnelles"] {
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
    let app = dossiersco::app::App::build(settings).await.unwrap();
    let token = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(app.run(token.clone()));
    token.cancel();
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(10), running).await;
    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "the server did not stop cleanly"
    );
}
