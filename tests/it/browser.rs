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
    driver: tokio::process::Child,
    _profile: tempfile::TempDir,
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

    pub async fn assert_accessible(&self, page: &str) {
        let violations = self.axe_violations().await;
        assert!(
            violations.is_empty(),
            "axe-core found problems on {page}:\n{}",
            violations.join("\n")
        );
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

    click_and_wait(
        &browser,
        Locator::LinkText("Je travaille dans un établissement"),
    )
    .await;
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
    click_and_wait(&browser, Locator::Css("form button[type=submit]")).await;
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
    click_and_wait(&browser, Locator::Css("form button[type=submit]")).await;
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

    click_and_wait(&browser, Locator::Css("header form button[type=submit]")).await;
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

    /// From the welcome step to the pieces, changing nothing (the exit
    /// authorisations, which have no default, answered "oui").
    async fn walk_to_pieces(&mut self) {
        self.button("Commencer").await;
        for _ in ["eleve", "responsables"] {
            self.button("Valider et continuer").await;
        }
        self.button("Continuer").await; // contacts d'urgence
        self.button("Valider et continuer").await; // scolarité
        self.label("photo-oui").await;
        self.label("sorties-oui").await;
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
    browser
        .client
        .goto(&app.url("/agent/connexion"))
        .await
        .unwrap();
    for (id, text) in [("email", email), ("password", DEMO_PASSWORD)] {
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
    browser
        .client
        .goto(&app.url("/famille/connexion"))
        .await
        .unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_a_family_with_no_change_re_enrols_in_at_most_12_clicks_without_typing() {
    let Some((browser, app)) = phone_with_mother_signed_in().await else {
        return;
    };
    let mut user = Counted::new(&browser);
    assert!(user.path().await.ends_with("/accueil"));
    user.check_page().await;
    user.button("Commencer").await;
    for _ in ["eleve", "responsables"] {
        user.button("Valider et continuer").await;
    }
    user.button("Continuer").await; // contacts d'urgence
    user.button("Valider et continuer").await; // scolarité
    assert!(user.path().await.ends_with("/vie-scolaire"));
    user.label("photo-oui").await;
    user.label("sorties-oui").await;
    user.button("Valider et continuer").await;
    user.button("Valider et continuer").await; // santé
    user.button("Continuer").await; // pièces
    assert!(
        user.path().await.ends_with("/validation"),
        "{}",
        user.path().await
    );
    user.label("attestation").await;
    user.button("Envoyer le dossier à l'établissement").await;
    assert!(user.path().await.ends_with("/confirmation"));
    assert!(
        browser
            .text()
            .await
            .contains("Réinscription de Inès DUBOIS envoyée")
    );
    assert!(user.clicks <= 12, "{} clicks", user.clicks);
    assert_eq!(user.typed, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers WHERE state = 'submitted'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM pupil_changes").await
            + app.count("SELECT COUNT(*) FROM guardian_changes").await,
        0
    );
    assert_eq!(app.run_jobs().await, 1);
    browser.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_a_family_changes_its_address_and_uploads_two_documents() {
    let Some((browser, app)) = phone_with_mother_signed_in().await else {
        return;
    };
    let mut user = Counted::new(&browser);
    user.button("Commencer").await;
    user.button("Valider et continuer").await;
    user.replace_text("address_lines", "8 avenue des Peupliers")
        .await;
    user.replace_text("postcode", "75012").await;
    user.button("Valider et continuer").await;
    user.button("Continuer").await;
    user.button("Valider et continuer").await;
    user.label("photo-non").await;
    user.label("sorties-oui").await;
    user.button("Valider et continuer").await;
    user.button("Valider et continuer").await;
    assert!(user.path().await.ends_with("/pieces"));

    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("attestation.pdf");
    // Uploaded PDFs are parsed: these load (a catalog and a trailer).
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    std::fs::write(&first, pdf).unwrap();
    let second = dir.path().join("quotient.pdf");
    std::fs::write(&second, pdf).unwrap();
    let before = browser.client.current_url().await.unwrap();
    let outcome = choose_file(&browser, 0, &first).await;
    assert_eq!(outcome, "« attestation.pdf » : envoyé.");
    assert_eq!(
        choose_file(&browser, 2, &second).await,
        "« quotient.pdf » : envoyé."
    );
    assert_eq!(
        browser.client.current_url().await.unwrap(),
        before,
        "sent in the background, the page stays"
    );
    let text = browser.text().await;
    assert!(
        text.contains("attestation.pdf") && text.contains("quotient.pdf"),
        "{text}"
    );
    user.check_page().await;
    user.button("Continuer").await;
    let summary = browser.text().await;
    assert!(summary.contains("8 avenue des Peupliers") && summary.contains("modifié"));
    user.label("attestation").await;
    user.button("Envoyer le dossier à l'établissement").await;
    assert!(user.path().await.ends_with("/confirmation"));
    assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM guardian_changes").await,
        2,
        "address and postcode"
    );
    app.run_jobs().await;
    browser.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_family_resumes_where_it_stopped_after_closing_the_browser_and_sees_both_children() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (code, birth) = demo_family(&app, "deux enfants (père)").await;
    {
        let Some(browser) = Browser::start(360, 740).await else {
            app.finish().await;
            return;
        };
        family_sign_in(&browser, &app, &code, &birth).await;
        let mut user = Counted::new(&browser);
        assert_eq!(user.path().await, "/famille");
        user.check_page().await;
        let text = browser.text().await;
        assert!(text.contains("Hugo MARTIN") && text.contains("Léa MARTIN"));
        user.click(Locator::XPath(
            "(//a[starts-with(normalize-space(), 'Commencer')])[1]",
        ))
        .await;
        user.button("Commencer").await;
        user.button("Valider et continuer").await;
        assert!(user.path().await.ends_with("/responsables"));
        browser.close().await;
    }
    let Some(browser) = Browser::start(360, 740).await else {
        unreachable!("started once already")
    };
    family_sign_in(&browser, &app, &code, &birth).await;
    let first = browser
        .client
        .find(Locator::XPath(
            "(//a[contains(@href, '/famille/dossiers/')])[1]",
        ))
        .await
        .unwrap();
    assert_eq!(
        first.text().await.unwrap().split_whitespace().next(),
        Some("Reprendre")
    );
    first.click().await.unwrap();
    let path = browser
        .client
        .current_url()
        .await
        .unwrap()
        .path()
        .to_owned();
    assert!(
        path.ends_with("/responsables"),
        "back at the furthest step: {path}"
    );
    let html = browser.text().await;
    assert!(html.contains("Vos coordonnées"), "{html}");
    browser.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_separated_guardians_fill_the_same_dossier_in_their_own_browsers() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (mother_code, birth) = demo_family(&app, "la mère").await;
    let (father_code, _) = demo_family(&app, "le père").await;
    let Some(mother) = Browser::start(360, 740).await else {
        app.finish().await;
        return;
    };
    let Some(father) = Browser::start(360, 740).await else {
        unreachable!()
    };
    for (browser, code, canteen) in [
        (&mother, &mother_code, "canteen-dp"),
        (&father, &father_code, "canteen-ext"),
    ] {
        family_sign_in(browser, &app, code, &birth).await;
        let mut user = Counted::new(browser);
        user.button("Commencer").await;
        user.button("Valider et continuer").await;
        let text = browser.text().await;
        assert!(text.contains("Vos coordonnées"));
        user.button("Valider et continuer").await;
        user.button("Continuer").await;
        user.button("Valider et continuer").await;
        user.label(canteen).await;
        user.label("photo-oui").await;
        user.label("sorties-oui").await;
        user.button("Valider et continuer").await;
        assert!(user.path().await.ends_with("/sante"));
    }
    let father_phone: String = sqlx::query_scalar(
        "SELECT phone_mobile FROM guardians WHERE last_name = 'DUBOIS' AND first_name = 'Marc'",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    mother
        .client
        .goto(
            &app.url(
                &mother
                    .client
                    .current_url()
                    .await
                    .unwrap()
                    .path()
                    .replace("/sante", "/responsables"),
            ),
        )
        .await
        .unwrap();
    assert!(
        !mother.text().await.contains(&father_phone),
        "the father's phone stays private"
    );
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT answer) FROM dossier_answers WHERE question = 'canteen'")
            .await,
        2
    );
    mother.close().await;
    father.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_javascript_a_too_large_file_is_refused_before_it_is_sent() {
    let Some((browser, app)) = phone_with_mother_signed_in().await else {
        return;
    };
    let mut user = Counted::new(&browser);
    user.walk_to_pieces().await;
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("scan-enorme.pdf");
    std::fs::write(&big, vec![b'%'; 21 * 1024 * 1024]).unwrap();
    let input = browser
        .client
        .find(Locator::Css("input[type=file]"))
        .await
        .unwrap();
    input.send_keys(&big.display().to_string()).await.unwrap();
    let mut message = String::new();
    for _ in 0..50 {
        message = browser.text().await;
        if message.contains("trop volumineux") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        message.contains("« scan-enorme.pdf » : trop volumineux, 20 Mo au plus"),
        "{message}"
    );
    let count: Value = browser
        .client
        .execute(
            "return document.querySelector('input[type=file]').files.length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(count.as_i64(), Some(0), "the file is not kept for sending");
    browser
        .assert_accessible("the pieces page with a client-side error")
        .await;

    // A file the server refuses: sent in the background, its reason shown
    // next to the field and announced, nothing stored.
    let fake = dir.path().join("facture.pdf");
    std::fs::write(
        &fake,
        b"MZ\x90\x00\x03 This program cannot be run in DOS mode",
    )
    .unwrap();
    let outcome = choose_file(&browser, 0, &fake).await;
    assert!(
        outcome.contains("« facture.pdf » : Ce type de fichier n'est pas accepté"),
        "{outcome}"
    );
    let described: Value = browser
        .client
        .execute(
            "const i = document.querySelector('input[type=file]'); \
             return document.getElementById(i.getAttribute('aria-describedby')).textContent",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        described.as_str().unwrap().contains("facture.pdf"),
        "{described}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 0);
    browser
        .assert_accessible("the pieces page with a server-side refusal")
        .await;
    browser.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heic_photo_from_a_phone_is_shown_to_the_school_as_a_jpeg() {
    let Some(browser) = Browser::start(360, 740).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (code, birth) = demo_family(&app, "la mère").await;
    let uai: String = sqlx::query_scalar("SELECT uai FROM schools")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    family_sign_in(&browser, &app, &code, &birth).await;
    let mut user = Counted::new(&browser);
    user.walk_to_pieces().await;
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photo.heic");
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("IMG_0042.HEIC");
    std::fs::copy(&fixture, &photo).unwrap();
    // Chromium cannot decode HEIC: the page sends the photo as it is.
    assert_eq!(
        choose_file(&browser, 0, &photo).await,
        "« IMG_0042.HEIC » : envoyé."
    );
    assert!(browser.text().await.contains("IMG_0042.HEIC : envoyée"));
    let (content_type, source): (String, Option<String>) =
        sqlx::query_as("SELECT content_type, source_key FROM uploads")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    let heic = dossiersco::documents::heic::AVAILABLE;
    if !crate::harness::require_feature(heic, "HEIC photos shown to agents", "heic") {
        assert_eq!(content_type, "image/heic");
        browser.close().await;
        app.finish().await;
        return;
    }
    assert_eq!(content_type, "image/jpeg", "converted by the server");
    assert!(source.is_some());

    // The secretary opens the dossier: the photo is in the page, decoded by
    // the browser, the right way up (blue top, red bottom).
    agent_sign_in(&browser, &app, "secretariat@demo.dossiersco.fr").await;
    let dossier_id: i64 = sqlx::query_scalar("SELECT dossier_id FROM uploads")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    browser
        .client
        .goto(&app.url(&format!("/etablissements/{uai}/dossiers/{dossier_id}")))
        .await
        .unwrap();
    let mut pixels = Value::Null;
    for _ in 0..50 {
        pixels = browser
            .client
            .execute(
                r#"const img = document.querySelector("img.piece-preview");
                   if (!img) return null;
                   img.scrollIntoView(); // previews load lazily, as agents scroll
                   if (!img.complete || img.naturalWidth === 0) return null;
                   const c = document.createElement("canvas");
                   c.width = img.naturalWidth; c.height = img.naturalHeight;
                   const g = c.getContext("2d");
                   g.drawImage(img, 0, 0);
                   return [img.naturalWidth, img.naturalHeight,
                           Array.from(g.getImageData(60, 10, 1, 1).data),
                           Array.from(g.getImageData(60, 60, 1, 1).data)];"#,
                vec![],
            )
            .await
            .unwrap();
        if !pixels.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(pixels[0], json!(120), "{pixels} {}", browser.text().await);
    assert_eq!(pixels[1], json!(80), "{pixels}");
    let channel = |p: usize, c: usize| pixels[p][c].as_i64().unwrap();
    assert!(
        channel(2, 2) > 150 && channel(2, 0) < 90,
        "top is blue: {pixels}"
    );
    assert!(
        channel(3, 0) > 150 && channel(3, 2) < 90,
        "bottom is red: {pixels}"
    );
    browser
        .assert_accessible("the dossier page with a photo preview")
        .await;
    browser.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_javascript_answers_are_saved_as_they_are_typed() {
    let Some((browser, app)) = phone_with_mother_signed_in().await else {
        return;
    };
    let mut user = Counted::new(&browser);
    user.button("Commencer").await;
    user.button("Valider et continuer").await;
    let page = browser.client.current_url().await.unwrap();
    assert!(page.path().ends_with("/responsables"));
    user.replace_text("phone_mobile", "06 98 76 54 32").await;
    // Leaving the field fires `change`; the draft is saved without moving on.
    browser
        .client
        .find(Locator::Id("city"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let mut saved = false;
    for _ in 0..60 {
        if browser.text().await.contains("Brouillon enregistré.") {
            saved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(saved, "the page says the draft is saved");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM guardian_changes WHERE new_value = '06 98 76 54 32'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM guardian_progress WHERE furthest_step = 'responsables'")
            .await,
        1,
        "not moved on"
    );
    browser.client.goto(page.as_str()).await.unwrap();
    let value: Value = browser
        .client
        .execute(
            "return document.getElementById('phone_mobile').value",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        value.as_str(),
        Some("06 98 76 54 32"),
        "still there after leaving the page"
    );

    // The emergency contact being typed is kept too, without being added.
    user.button("Valider et continuer").await;
    assert!(user.path().await.ends_with("/contacts-urgence"));
    user.replace_text("name", "Josette Martin").await;
    browser
        .client
        .find(Locator::Id("phone"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let mut drafted = false;
    for _ in 0..60 {
        if app.count("SELECT COUNT(*) FROM step_drafts").await == 1 {
            drafted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(drafted, "the contact being typed is kept");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM emergency_contacts").await,
        0
    );
    browser.client.refresh().await.unwrap();
    let value: Value = browser
        .client
        .execute("return document.getElementById('name').value", vec![])
        .await
        .unwrap();
    assert_eq!(value.as_str(), Some("Josette Martin"));
    browser.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_a_signed_in_family_signs_out_from_the_header_menu() {
    let Some((browser, app)) = phone_with_mother_signed_in().await else {
        return;
    };
    browser
        .client
        .find(Locator::Id("button-menu"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    browser.assert_accessible("the open menu").await;
    click_and_wait(&browser, Locator::Css("#modal-menu button[type=submit]")).await;
    assert!(browser.text().await.contains("Vous êtes déconnecté·e."));
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    browser.close().await;
    app.finish().await;
}
