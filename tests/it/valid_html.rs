//! html-validate (npm, pinned in `tests/browser/package.json`) on the HTML
//! the server sends: `tests/browser/validate-html.mjs` runs once per
//! [`HtmlValidator`] and validates each document it is given, with the
//! configuration of `tests/browser/htmlvalidate.config.mjs` (the recommended
//! rules, minus those that conflict with the DSFR's own markup).
//!
//! The browser tests validate every page they check with axe-core
//! ([`crate::browser::Browser::assert_accessible`]); the test below
//! validates the main pages without a browser.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::Mutex;

use dossiersco::db::Backend;
use dossiersco::demo::DEMO_PASSWORD;

use crate::family::{mother_dossier, send_dossier, walk_without_change_validating};
use crate::forms::prefilled;
use crate::harness::{TestApp, extract_csrf, require};

/// A running `node validate-html.mjs`; it ends on drop.
pub struct HtmlValidator {
    pipes: Mutex<(ChildStdin, Lines<BufReader<ChildStdout>>)>,
    _child: Child,
}

/// The validation script: `DOSSIERSCO_TEST_HTML_VALIDATE`, or the one of
/// this checkout once `npm ci --prefix tests/browser` has installed
/// html-validate; `None` after a visible skip.
fn script() -> Option<PathBuf> {
    if std::env::var("DOSSIERSCO_TEST_HTML_VALIDATE").is_err() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
        if dir
            .join("node_modules/html-validate/package.json")
            .is_file()
        {
            return Some(dir.join("validate-html.mjs"));
        }
    }
    require(
        "DOSSIERSCO_TEST_HTML_VALIDATE",
        "HTML validation (html-validate)",
    )
    .map(PathBuf::from)
}

impl HtmlValidator {
    /// Starts the validator, or returns `None` after a visible skip.
    pub async fn start() -> Option<Self> {
        let script = script()?;
        let mut child = tokio::process::Command::new("node")
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("node {} starts: {e}", script.display()));
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        Some(Self {
            pipes: Mutex::new((stdin, stdout)),
            _child: child,
        })
    }

    /// html-validate's findings on `html`, one line each:
    /// "rule (line:column): message", then the line of the source.
    pub async fn problems(&self, html: &str) -> Vec<String> {
        let mut pipes = self.pipes.lock().await;
        let (stdin, stdout) = &mut *pipes;
        let mut request = serde_json::to_string(html).unwrap();
        request.push('\n');
        stdin.write_all(request.as_bytes()).await.unwrap();
        stdin.flush().await.unwrap();
        let answer = stdout
            .next_line()
            .await
            .unwrap()
            .expect("html-validate answers");
        let problems: Vec<String> = serde_json::from_str(&answer).unwrap();
        let lines: Vec<&str> = html.lines().collect();
        problems
            .into_iter()
            .map(|problem| {
                let line = problem
                    .split_once(" (")
                    .and_then(|(_, rest)| rest.split_once(':'))
                    .and_then(|(n, _)| n.parse::<usize>().ok())
                    .and_then(|n| lines.get(n.wrapping_sub(1)));
                match line {
                    Some(line) => format!("{problem}\n    | {}", line.trim()),
                    None => problem,
                }
            })
            .collect()
    }

    /// Fails with html-validate's messages if `html` (the page `page`) is not valid.
    pub async fn assert_valid(&self, page: &str, html: &str) {
        let problems = self.problems(html).await;
        assert!(
            problems.is_empty(),
            "html-validate found {} problem(s) on {page}:\n{}",
            problems.len(),
            problems.join("\n")
        );
    }
}

/// The main pages, fetched over HTTP as the server sends them, are valid
/// HTML: public pages, a family's every step, a form sent back with errors,
/// the confirmation, and the school's pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_pages_are_valid_html() {
    let Some(validator) = HtmlValidator::start().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let seeded = app.seed_demo().await;
    let check = async |client: &reqwest::Client, path: &str| {
        let response = client.get(app.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        assert!(status == 200 || status == 404, "{path}: {status}");
        validator
            .assert_valid(path, &response.text().await.unwrap())
            .await;
    };
    let anonymous = TestApp::client_for(&app);
    for path in [
        "/",
        "/accessibilite",
        "/donnees-personnelles",
        "/famille/connexion",
        "/famille/code-perdu",
        "/agent/connexion",
        "/nulle-part",
        "/outbox",
    ] {
        check(&anonymous, path).await;
    }

    // A request for a new code sent incomplete: every field says what it needs.
    let html = anonymous
        .get(app.url("/famille/code-perdu"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let response = anonymous
        .post(app.url("/famille/code-perdu"))
        .form(&[("csrf_token", extract_csrf(&html).unwrap().as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    validator
        .assert_valid("code perdu (erreurs)", &response.text().await.unwrap())
        .await;

    let base = mother_dossier(&app, &seeded).await;
    check(&app.client, "/famille").await;
    walk_without_change_validating(&app, &app.client, &base, Some(&validator)).await;
    let validation = format!("{base}/validation");
    check(&app.client, &validation).await;
    // A step sent back with an error (an empty postcode).
    let page = format!("{base}/responsables");
    let html = app.get_html(&page).await.1;
    let mut form = prefilled(&html);
    form.retain(|(k, _)| k != "postcode");
    form.push(("postcode".into(), String::new()));
    let response = app
        .client
        .post(app.url(&page))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    validator
        .assert_valid("responsables (error)", &response.text().await.unwrap())
        .await;
    send_dossier(&app, &base).await;
    check(&app.client, &format!("{base}/confirmation")).await;

    let staff = TestApp::client_for(&app);
    let (_, email) = &seeded.agents[0];
    let html = staff
        .get(app.url("/agent/connexion"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let signed_in = staff
        .post(app.url("/agent/connexion"))
        .form(&[
            ("csrf_token", extract_csrf(&html).unwrap().as_str()),
            ("email", email.as_str()),
            ("password", DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let school = format!("/etablissements/{}", seeded.uai);
    let dossier = base.rsplit('/').next().unwrap();
    for path in [
        school.clone(),
        format!("{school}/dossiers"),
        format!("{school}/dossiers/{dossier}"),
        format!("{school}/imports"),
        format!("{school}/dossiers?conflits=oui"),
        format!("{school}/demandes-de-code"),
        format!("{school}/exports"),
    ] {
        check(&staff, &path).await;
    }
    // The exports page: convocations asked without a date (errors), then a
    // spreadsheet asked, its page while queued (a progress bar).
    let exports = format!("{school}/exports");
    let html = staff
        .get(app.url(&exports))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = extract_csrf(&html).unwrap();
    let response = staff
        .post(app.url(&exports))
        .form(&[("csrf_token", token.as_str()), ("kind", "convocations")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    validator
        .assert_valid("exports (errors)", &response.text().await.unwrap())
        .await;
    let response = staff
        .post(app.url(&exports))
        .form(&[("csrf_token", token.as_str()), ("kind", "changes")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let queued = response.headers()["location"].to_str().unwrap().to_owned();
    check(&staff, &queued).await;
    // « Tout exporter (tableurs) », its page once made (the list of its files).
    let response = staff
        .post(app.url(&exports))
        .form(&[("csrf_token", token.as_str()), ("kind", "all_spreadsheets")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let made = response.headers()["location"].to_str().unwrap().to_owned();
    app.run_jobs().await;
    check(&staff, &made).await;
    app.finish().await;
}
