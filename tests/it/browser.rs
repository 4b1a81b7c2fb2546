//! In a real browser: headless Chromium driven through ChromeDriver
//! (`DOSSIERSCO_TEST_CHROMEDRIVER`, `DOSSIERSCO_TEST_CHROMIUM`), with axe-core
//! (`DOSSIERSCO_TEST_AXE_JS`) run on every page visited.

use std::net::TcpListener;
use std::process::Stdio;
use std::time::Duration;

use dossiersco::db::Backend;
use dossiersco::demo::DEMO_PASSWORD;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::harness::{TestApp, require};

/// A ChromeDriver process and a browser session; both end on drop.
pub struct Browser {
    pub client: Client,
    axe: String,
    _driver: tokio::process::Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts a browser, or returns `None` after a visible skip.
    pub async fn start(width: u32, height: u32) -> Option<Self> {
        let driver = require("DOSSIERSCO_TEST_CHROMEDRIVER", "browser tests")?;
        let chromium = require("DOSSIERSCO_TEST_CHROMIUM", "browser tests")?;
        let axe_path = require("DOSSIERSCO_TEST_AXE_JS", "browser tests (axe-core)")?;
        let axe = std::fs::read_to_string(&axe_path).expect("axe-core script readable");
        dossiersco::cli::install_tls_provider();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = tokio::process::Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-dev-shm-usage",
                    format!("--user-data-dir={}", profile.path().display()),
                    format!("--window-size={width},{height}"),
                ]
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut client = None;
        for _ in 0..100 {
            match ClientBuilder::rustls()
                .unwrap()
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let client = client.expect("a ChromeDriver session");
        Some(Self {
            client,
            axe,
            _driver: driver,
            _profile: profile,
        })
    }

    /// Runs axe-core on the current page; returns the violations, described.
    pub async fn axe_violations(&self) -> Vec<String> {
        self.client
            .execute(&self.axe, vec![])
            .await
            .expect("axe-core injected");
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document).then(r => done(r.violations.map(v =>
                     v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
                   .catch(e => done(['axe error: ' + e]));",
                vec![],
            )
            .await
            .expect("axe-core ran");
        match result {
            Value::Array(items) => items
                .into_iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect(),
            other => vec![format!("unexpected axe result {other}")],
        }
    }

    pub async fn assert_accessible(&self, page: &str) {
        let violations = self.axe_violations().await;
        assert!(
            violations.is_empty(),
            "axe-core found problems on {page}:\n{}",
            violations.join("\n")
        );
    }

    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_signs_in_in_a_real_browser_and_every_page_is_accessible() {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let demo = app.seed_demo().await;

    browser.client.goto(&app.url("/")).await.unwrap();
    assert_eq!(
        browser.client.title().await.unwrap(),
        "Accueil — DossierSCO"
    );
    let font: Value = browser
        .client
        .execute("return getComputedStyle(document.body).fontFamily", vec![])
        .await
        .unwrap();
    assert!(
        font.as_str().unwrap_or_default().contains("Marianne"),
        "the DSFR stylesheet is applied: {font}"
    );
    browser.assert_accessible("/").await;

    browser
        .client
        .find(Locator::LinkText("Je travaille dans un établissement"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(
        browser
            .client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/agent/connexion")
    );
    browser.assert_accessible("/agent/connexion").await;

    // A wrong password first: the page says so and stays accessible.
    browser
        .client
        .find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys("cpe@demo.dossiersco.fr")
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("mauvais")
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(
        browser
            .text()
            .await
            .contains("Adresse électronique ou mot de passe incorrect.")
    );
    browser.assert_accessible("/agent/connexion (error)").await;

    browser
        .client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(DEMO_PASSWORD)
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(url.path(), format!("/etablissements/{}", demo.uai));
    let text = browser.text().await;
    assert!(
        text.contains("Collège Lucie Aubrac") && text.contains("Vie scolaire (CPE)"),
        "{text}"
    );
    browser.assert_accessible("the school dashboard").await;

    browser.client.goto(&app.url("/nulle-part")).await.unwrap();
    assert!(browser.text().await.contains("Page non trouvée"));
    browser.assert_accessible("the 404 page").await;

    browser
        .client
        .find(Locator::Css("header form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(browser.text().await.contains("Vous êtes déconnecté·e."));
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    browser.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_the_pages_fit_the_screen_and_stay_accessible() {
    let Some(browser) = Browser::start(360, 740).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    for path in ["/", "/agent/connexion", "/accessibilite", "/outbox"] {
        browser.client.goto(&app.url(path)).await.unwrap();
        let overflow: Value = browser
            .client
            .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth", vec![])
            .await
            .unwrap();
        assert!(
            overflow.as_i64().unwrap_or(1) <= 0,
            "{path} scrolls sideways on a phone ({overflow}px)"
        );
        browser.assert_accessible(path).await;
    }
    browser.close().await;
    app.finish().await;
}
