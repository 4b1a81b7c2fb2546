//! In a real browser: headless Chromium driven through ChromeDriver
//! (`DOSSIERSCO_TEST_CHROMEDRIVER`, `DOSSIERSCO_TEST_CHROMIUM`), with axe-core
//! (`DOSSIERSCO_TEST_AXE_JS`) run on every page visited, and html-validate
//! (`DOSSIERSCO_TEST_HTML_VALIDATE`, see [`crate::valid_html`]) on the HTML
//! the server sent for it. Here the driver and the helpers the browser tests
//! share; the tests by subject below.

mod agent;
mod assisted;
mod campaign_review;
mod dashboard;
mod family;
mod letters;
mod next_year;
mod nurse;
mod offer;
mod onboarding;
mod phone;
mod piece_queue;
mod reminders;
mod review;
mod siecle_return;
mod team;

use std::net::TcpListener;
use std::process::Stdio;
use std::time::Duration;

use axum::http::Method;
use dossiersco::db::Backend;
use dossiersco::demo::DEMO_PASSWORD;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::harness::{TestApp, require};
use crate::valid_html::HtmlValidator;

/// A ChromeDriver process and a browser session; both end on drop.
pub struct Browser {
    pub client: Client,
    axe: String,
    html: HtmlValidator,
    /// Whether pages run their scripts (axe-core cannot run where they do not).
    javascript: bool,
    /// The loader id of the last document validated (each document once).
    validated: tokio::sync::Mutex<Option<Value>>,
    driver: tokio::process::Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts a browser, or returns `None` after a visible skip.
    pub async fn start(width: u32, height: u32) -> Option<Self> {
        Self::start_with(width, height, true).await
    }

    /// Starts a browser in which pages run no script of their own (the
    /// tests' own scripts still run), or returns `None` after a visible skip.
    pub async fn start_without_javascript(width: u32, height: u32) -> Option<Self> {
        Self::start_with(width, height, false).await
    }

    async fn start_with(width: u32, height: u32, javascript: bool) -> Option<Self> {
        let driver = require("DOSSIERSCO_TEST_CHROMEDRIVER", "browser tests")?;
        let chromium = require("DOSSIERSCO_TEST_CHROMIUM", "browser tests")?;
        let axe_path = require("DOSSIERSCO_TEST_AXE_JS", "browser tests (axe-core)")?;
        let axe = std::fs::read_to_string(&axe_path).expect("axe-core script readable");
        let html = HtmlValidator::start().await?;
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
            .process_group(0)
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
                ],
                // 2: blocked, as by a visitor who turned JavaScript off.
                "prefs": { "profile.managed_default_content_settings.javascript": if javascript { 1 } else { 2 } },
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
        // The Network domain keeps each response's body, so that the HTML
        // the server sent can be read back (see `served_html`).
        client
            .issue_cmd(Cdp::new("Network.enable", json!({})))
            .await
            .expect("Network.enable");
        Some(Self {
            client,
            axe,
            html,
            javascript,
            validated: Default::default(),
            driver,
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

    /// Checks the current page with axe-core, and validates the HTML the
    /// server sent for it with html-validate. Without JavaScript, axe-core
    /// cannot run (its checks wait on the page's timers): only the HTML is
    /// validated.
    pub async fn assert_accessible(&self, page: &str) {
        if self.javascript {
            let violations = self.axe_violations().await;
            assert!(
                violations.is_empty(),
                "axe-core found problems on {page}:\n{}",
                violations.join("\n")
            );
        }
        self.assert_valid_html(page).await;
    }

    /// Validates the HTML the server sent for the current page (as sent, not
    /// the document after scripts ran) with html-validate, once per
    /// document; a document that is not HTML (a PDF) is not validated.
    pub async fn assert_valid_html(&self, page: &str) {
        let Some((loader, html)) = self.served_html().await else {
            return;
        };
        let mut validated = self.validated.lock().await;
        if validated.as_ref() != Some(&loader) {
            self.html.assert_valid(page, &html).await;
            *validated = Some(loader);
        }
    }

    /// Goes to `url` and validates the page it serves.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
        self.assert_valid_html(url).await;
    }

    /// Reloads the page and validates what it serves.
    pub async fn refresh(&self) {
        self.client.refresh().await.unwrap();
        let url = self.client.current_url().await.unwrap();
        self.assert_valid_html(url.path()).await;
    }

    /// The body of the response the current document was loaded from, with
    /// the document's loader id, if it is HTML. Read through the Chrome
    /// DevTools Protocol: the main frame's loader id is the id of its
    /// document request, whose body the Network domain keeps (this holds
    /// for a page that answers a POST too).
    pub async fn served_html(&self) -> Option<(Value, String)> {
        let tree = self
            .client
            .issue_cmd(Cdp::new("Page.getFrameTree", json!({})))
            .await
            .expect("Page.getFrameTree");
        let frame = &tree["frameTree"]["frame"];
        if frame["mimeType"] != json!("text/html") {
            return None;
        }
        let body = self
            .client
            .issue_cmd(Cdp::new(
                "Network.getResponseBody",
                json!({ "requestId": frame["loaderId"] }),
            ))
            .await
            .unwrap_or_else(|e| panic!("the body of {} was not kept: {e}", frame["url"]));
        assert_eq!(body["base64Encoded"], json!(false), "{}", frame["url"]);
        Some((
            frame["loaderId"].clone(),
            body["body"].as_str().unwrap().to_owned(),
        ))
    }

    /// The visible text of the page (read by script: no element handle to go stale).
    pub async fn text(&self) -> String {
        for _ in 0..50 {
            let script = "return document.body ? document.body.innerText : null;";
            if let Ok(Value::String(text)) = self.client.execute(script, vec![]).await {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no page text");
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    /// ChromeDriver runs in its own process group with the Chromium it
    /// starts: killing the group leaves no orphaned browser behind when a
    /// test fails before `close()`.
    fn drop(&mut self) {
        if let Some(pid) = self.driver.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// A Chrome DevTools Protocol command, sent through ChromeDriver.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl Cdp {
    fn new(cmd: &'static str, params: Value) -> Self {
        Self { cmd, params }
    }
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (Method::POST, Some(body.to_string()))
    }
}

/// A browser session that counts what the user does.
struct Counted<'a> {
    browser: &'a Browser,
    clicks: usize,
    typed: usize,
    pages: Vec<String>,
}

impl<'a> Counted<'a> {
    fn new(browser: &'a Browser) -> Self {
        Self {
            browser,
            clicks: 0,
            typed: 0,
            pages: Vec::new(),
        }
    }

    async fn click(&mut self, locator: Locator<'_>) {
        self.browser
            .client
            .find(locator)
            .await
            .unwrap_or_else(|e| panic!("{locator:?}: {e}"))
            .click()
            .await
            .unwrap();
        self.clicks += 1;
    }

    async fn button(&mut self, text: &str) {
        let xpath = format!("//button[normalize-space()=\"{text}\"]");
        mark_page(self.browser).await;
        self.click(Locator::XPath(&xpath)).await;
        wait_for_new_page(self.browser).await;
        self.check_page().await;
    }

    /// Taps what `locator` finds, waits for the page it leads to and
    /// checks it (one tap).
    async fn tap(&mut self, locator: Locator<'_>) {
        mark_page(self.browser).await;
        self.click(locator).await;
        wait_for_new_page(self.browser).await;
        self.check_page().await;
    }

    /// Chooses `value` in the list `id`: two taps (open the list, choose).
    async fn choose(&mut self, id: &str, value: &str) {
        self.browser
            .client
            .find(Locator::Id(id))
            .await
            .unwrap()
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("{id} = {value}: {e}"));
        self.clicks += 2;
    }

    async fn label(&mut self, for_id: &str) {
        self.click(Locator::Css(&format!("label[for='{for_id}']")))
            .await;
    }

    async fn replace_text(&mut self, id: &str, text: &str) {
        let field = self.browser.client.find(Locator::Id(id)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
        self.typed += text.chars().count();
    }

    /// From the welcome step to the pieces, changing nothing (every answer
    /// starts from last year's).
    async fn walk_to_pieces(&mut self) {
        self.button("Commencer").await;
        for _ in ["eleve", "responsables"] {
            self.button("Valider et continuer").await;
        }
        self.button("Continuer").await; // contacts d'urgence
        self.button("Valider et continuer").await; // scolarité
        self.button("Valider et continuer").await; // vie scolaire
        self.button("Valider et continuer").await; // santé
        assert!(self.path().await.ends_with("/pieces"));
    }

    /// Runs axe-core on the page reached, once per distinct path.
    async fn check_page(&mut self) {
        let path = self
            .browser
            .client
            .current_url()
            .await
            .unwrap()
            .path()
            .to_owned();
        if !self.pages.contains(&path) {
            self.browser.assert_accessible(&path).await;
            let overflow: Value = self
                .browser
                .client
                .execute(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                    vec![],
                )
                .await
                .unwrap();
            assert!(
                overflow.as_i64().unwrap_or(1) <= 0,
                "{path} scrolls sideways ({overflow}px)"
            );
            self.pages.push(path);
        }
    }

    async fn path(&self) -> String {
        self.browser
            .client
            .current_url()
            .await
            .unwrap()
            .path()
            .to_owned()
    }
}

/// Marks the current document, so that [`wait_for_new_page`] can tell when
/// the next one has loaded.
async fn mark_page(browser: &Browser) {
    browser
        .client
        .execute("window.__oldPage = true;", vec![])
        .await
        .unwrap();
}

/// Waits until the marked document is replaced by a fully loaded one.
async fn wait_for_new_page(browser: &Browser) {
    for _ in 0..100 {
        let state: Value = browser
            .client
            .execute(
                "return (window.__oldPage ? 'old' : document.readyState);",
                vec![],
            )
            .await
            .unwrap_or(Value::Null);
        if state.as_str() == Some("complete") {
            let path = browser
                .client
                .current_url()
                .await
                .unwrap()
                .path()
                .to_owned();
            browser.assert_valid_html(&path).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the next page did not load");
}

/// Clicks what `locator` finds and waits for the page it leads to.
async fn click_and_wait(browser: &Browser, locator: Locator<'_>) {
    mark_page(browser).await;
    browser
        .client
        .find(locator)
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_new_page(browser).await;
}

/// Chooses `file` in the `n`-th file input of the pieces page: the page
/// sends it in the background and updates the piece in place. Waits for the
/// announced outcome and returns it.
async fn choose_file(browser: &Browser, n: usize, file: &std::path::Path) -> String {
    let inputs = browser
        .client
        .find_all(Locator::Css("input[type=file]"))
        .await
        .unwrap();
    inputs[n]
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    for _ in 0..100 {
        let status: Value = browser
            .client
            .execute(
                "return document.getElementById('pieces-status').textContent",
                vec![],
            )
            .await
            .unwrap();
        let status = status.as_str().unwrap_or_default().to_owned();
        if !status.is_empty() && !status.contains("en cours") {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no outcome announced for {}", file.display());
}

/// The demo family whose description contains `who`: (code, birth date of the eldest child).
async fn demo_family(app: &TestApp, who: &str) -> (String, String) {
    let seeded = app.seed_demo().await;
    let (_, code, _) = seeded.families.iter().find(|f| f.0.contains(who)).unwrap();
    let birth: String = sqlx::query_scalar(
        "SELECT p.birth_date FROM pupils p JOIN guardianships l ON l.pupil_id = p.id JOIN guardians g ON g.id = l.guardian_id
         WHERE g.access_code_hash = $1 ORDER BY p.birth_date LIMIT 1",
    )
    .bind(dossiersco::domain::access_code::hash(code))
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    (code.clone(), birth)
}

/// Signs a demo agent in through the sign-in form and waits for the next page.
pub async fn agent_sign_in(browser: &Browser, app: &TestApp, email: &str) {
    agent_sign_in_with(browser, app, email, DEMO_PASSWORD).await;
}

/// Signs the agent `email` in through the form, with `password` (not
/// counted).
pub async fn agent_sign_in_with(browser: &Browser, app: &TestApp, email: &str, password: &str) {
    browser.goto(&app.url("/agent/connexion")).await;
    for (id, text) in [("email", email), ("password", password)] {
        browser
            .client
            .find(Locator::Id(id))
            .await
            .unwrap()
            .send_keys(text)
            .await
            .unwrap();
    }
    click_and_wait(browser, Locator::Css("main form button[type=submit]")).await;
}

/// A phone-size browser in which the separated family's mother is signed in,
/// on a fresh demo (SQLite); `None` after a visible skip.
async fn phone_with_mother_signed_in() -> Option<(Browser, TestApp)> {
    let browser = Browser::start(360, 740).await?;
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (code, birth) = demo_family(&app, "la mère").await;
    family_sign_in(&browser, &app, &code, &birth).await;
    Some((browser, app))
}

/// Signs in through the form (not counted: the code is typed from the letter).
async fn family_sign_in(browser: &Browser, app: &TestApp, code: &str, birth: &str) {
    browser.goto(&app.url("/famille/connexion")).await;
    browser.assert_accessible("/famille/connexion").await;
    browser
        .client
        .find(Locator::Id("code"))
        .await
        .unwrap()
        .send_keys(code)
        .await
        .unwrap();
    browser
        .client
        .execute(
            "document.getElementById('birth_date').value = arguments[0];",
            vec![json!(birth)],
        )
        .await
        .unwrap();
    mark_page(browser).await;
    browser
        .client
        .find(Locator::XPath(
            "//button[normalize-space()='Accéder au dossier']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_new_page(browser).await;
}
