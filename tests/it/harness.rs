//! The test harness: a real application on port 0 with a fresh database per
//! test (a SQLite file, or a new PostgreSQL database when
//! `DOSSIERSCO_TEST_DATABASE_URL` is set), an HTTP client with cookies, and
//! helpers per user action.

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::OnceLock;

use dossiersco::app::AppState;
use dossiersco::db::{Backend, Db};
use dossiersco::process::App;
use dossiersco::secret::Secret;
use dossiersco::settings::Settings;
use reqwest::redirect::Policy;
use tokio_util::sync::CancellationToken;

/// Returns the value of `var`, or prints a visible skip line and returns
/// `None`; with `DOSSIERSCO_REQUIRE_ALL=1` a missing setting fails the test.
pub fn require(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Some(value),
        _ => {
            if std::env::var("DOSSIERSCO_REQUIRE_ALL").as_deref() == Ok("1") {
                panic!("{what} is required (DOSSIERSCO_REQUIRE_ALL=1) but {var} is not set");
            }
            // Written to the real stderr, past the test harness's capture, so
            // that a skip is always visible.
            let _ = writeln!(std::io::stderr(), "skipped: {what} (set {var})");
            None
        }
    }
}

/// Whether a part built only with a cargo feature is in this build; if not,
/// prints a visible skip line, and fails under `DOSSIERSCO_REQUIRE_ALL=1`.
pub fn require_feature(built: bool, what: &str, feature: &str) -> bool {
    if built {
        return true;
    }
    if std::env::var("DOSSIERSCO_REQUIRE_ALL").as_deref() == Ok("1") {
        panic!(
            "{what} is required (DOSSIERSCO_REQUIRE_ALL=1) but this build has no `{feature}` feature"
        );
    }
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {what} (build with --features {feature})"
    );
    false
}

pub const SECRET: &str = "test-secret-key-of-at-least-32-characters";

/// A running application for one test.
pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub client: reqwest::Client,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

/// Settings for a test: embedded defaults in a temporary folder, no worker
/// (tests run jobs explicitly), the outbox visible.
pub fn test_settings(dir: &std::path::Path, database_url: String) -> Settings {
    Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        base_url: "http://127.0.0.1".into(),
        data_dir: dir.to_path_buf(),
        secret_key: Some(Secret::from(SECRET)),
        database_url: Some(Secret::new(database_url)),
        database_max_connections: 5,
        worker_concurrency: 0,
        outbox_web: true,
        check_list_cache: true,
        log: "warn".into(),
        ..Settings::default()
    }
}

fn init_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("warn")
            .with_test_writer()
            .try_init();
    });
}

/// A fresh PostgreSQL database on the test server; returns (admin URL, database name, URL).
pub async fn fresh_postgres_database(admin_url: &str) -> (String, String) {
    let name = format!("dossiersco_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Db::connect(admin_url, 1)
        .await
        .expect("cannot reach the test PostgreSQL server");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(admin.pool())
        .await
        .unwrap();
    admin.close().await;
    let mut url = url::Url::parse(admin_url).unwrap();
    url.set_path(&format!("/{name}"));
    (name, url.to_string())
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts the app on `backend` after letting the test adjust the settings.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Option<Self> {
        init_logs();
        let dir = tempfile::tempdir().unwrap();
        let (database_url, postgres) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}", dir.path().join("test.db").display()),
                None,
            ),
            Backend::Postgres => {
                let admin = require("DOSSIERSCO_TEST_DATABASE_URL", "PostgreSQL tests")?;
                let (name, url) = fresh_postgres_database(&admin).await;
                (url, Some((admin, name)))
            }
        };
        let mut settings = test_settings(dir.path(), database_url);
        adjust(&mut settings);
        let app = App::build(settings).await.expect("the application starts");
        let addr = app.local_addr();
        let state = app.state.clone();
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(app.run(shutdown.clone()));
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap();
        Some(Self {
            addr,
            state,
            client,
            shutdown,
            server: Some(server),
            _dir: dir,
            postgres,
        })
    }

    /// Another browser: its own cookies.
    pub fn client_for(_app: &TestApp) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_html(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// A page as another browser (`client`) reads it: (status, HTML).
    pub async fn get_html_as(&self, client: &reqwest::Client, path: &str) -> (u16, String) {
        let response = client.get(self.url(path)).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// The CSRF token of the forms of the page at `path`.
    pub async fn csrf_token(&self, path: &str) -> String {
        let (_, html) = self.get_html(path).await;
        extract_csrf(&html).unwrap_or_else(|| panic!("no csrf_token on {path}"))
    }

    /// Posts a form as the browser would, with the page's CSRF token.
    pub async fn post_form(
        &self,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.csrf_token(form_page).await;
        let mut body: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        body.extend_from_slice(fields);
        self.client
            .post(self.url(action))
            .form(&body)
            .send()
            .await
            .unwrap()
    }

    /// Posts a form as another browser (`client`, its own cookies) would: the
    /// page first, for its CSRF token, then the form.
    pub async fn post_form_as(
        &self,
        client: &reqwest::Client,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let html = client
            .get(self.url(form_page))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = extract_csrf(&html).unwrap_or_else(|| panic!("no csrf_token on {form_page}"));
        let mut body: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        body.extend_from_slice(fields);
        client
            .post(self.url(action))
            .form(&body)
            .send()
            .await
            .unwrap()
    }

    /// Posts a form with exactly these fields (no token added).
    pub async fn post_raw(&self, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(action))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_in_agent(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_form(
            "/agent/connexion",
            "/agent/connexion",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Signs an agent in on `client` (a browser of its own, see
    /// [`TestApp::client_for`]), through the sign-in form.
    pub async fn sign_in_agent_as(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        self.post_form_as(
            client,
            "/agent/connexion",
            "/agent/connexion",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Seeds the demo collège; returns its UAI.
    pub async fn seed_demo(&self) -> dossiersco::demo::Seeded {
        dossiersco::demo::seed(&self.state).await.unwrap()
    }

    /// Runs every ready job.
    pub async fn run_jobs(&self) -> usize {
        dossiersco::app::run_jobs_until_idle(&self.state, "test")
            .await
            .unwrap()
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(self.db().pool())
            .await
            .unwrap()
    }

    /// Stops the server and checks that no job was left behind.
    pub async fn finish(mut self) {
        let waiting = self
            .count("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')")
            .await;
        assert_eq!(waiting, 0, "a test left {waiting} job(s) unprocessed");
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
        if let Some((admin, name)) = self.postgres.take() {
            let admin = Db::connect(&admin, 1).await.unwrap();
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(admin.pool())
            .await;
            admin.close().await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if self.server.is_some() && !std::thread::panicking() {
            panic!("call TestApp::finish() at the end of the test (it checks that no job is left)");
        }
    }
}

pub fn extract_csrf(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

/// Runs `test` on SQLite.
pub async fn on_sqlite<F, Fut>(test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    test(TestApp::spawn(Backend::Sqlite).await.unwrap()).await
}

/// Runs `test` on PostgreSQL, or skips visibly.
pub async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Some(app) = TestApp::spawn(Backend::Postgres).await {
        test(app).await
    }
}

/// Declares each listed `async fn(TestApp)` as two tests, `<name>::sqlite` and
/// `<name>::postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::harness::on_sqlite(super::$test).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::harness::on_postgres(super::$test).await
            }
        }
    )*};
}

/// Settings of an application behind the deployment's reverse proxy: the
/// client address is the last `X-Forwarded-For` entry, so a test can speak
/// from several addresses.
pub fn behind_proxy(settings: &mut Settings) {
    settings.behind_proxy = true;
}

/// Like [`on_both_databases!`], with the settings adjusted by `$adjust`
/// (a path to a `fn(&mut Settings)`).
#[macro_export]
macro_rules! on_both_databases_with {
    ($adjust:path; $($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::harness::TestApp::spawn_with(
                    dossiersco::db::Backend::Sqlite,
                    $adjust,
                )
                .await
                .unwrap();
                super::$test(app).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::harness::TestApp::spawn_with(
                    dossiersco::db::Backend::Postgres,
                    $adjust,
                )
                .await
                {
                    super::$test(app).await
                }
            }
        }
    )*};
}

/// Every `.rs` file under `dir` (for the tests that read the sources).
pub fn rust_sources(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// A database as an older install left it: the migrations before `version`
/// applied and recorded, on `backend` (a fresh PostgreSQL database, or a
/// SQLite file of its own). `None` when PostgreSQL is not configured.
pub struct OlderInstall {
    pub db: Db,
    _dir: tempfile::TempDir,
    /// (admin URL, database name) of a PostgreSQL database to drop.
    postgres: Option<(String, String)>,
}

impl OlderInstall {
    pub async fn before(backend: Backend, version: i64) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let (url, postgres) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}", dir.path().join("old.db").display()),
                None,
            ),
            Backend::Postgres => {
                let admin = require("DOSSIERSCO_TEST_DATABASE_URL", "PostgreSQL tests")?;
                let (name, url) = fresh_postgres_database(&admin).await;
                (url, Some((admin, name)))
            }
        };
        let db = Db::connect(&url, 2).await.unwrap();
        sqlx::raw_sql(
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(db.pool())
        .await
        .unwrap();
        for &(v, name, sql) in dossiersco::db::migrate::MIGRATIONS
            .iter()
            .filter(|m| m.0 < version)
        {
            sqlx::raw_sql(sqlx::AssertSqlSafe(dossiersco::db::migrate::render(
                sql, backend,
            )))
            .execute(db.pool())
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)",
            )
            .bind(v)
            .bind(name)
            .execute(db.pool())
            .await
            .unwrap();
        }
        Some(Self {
            db,
            _dir: dir,
            postgres,
        })
    }

    /// Closes the database and drops it on PostgreSQL.
    pub async fn finish(self) {
        self.db.close().await;
        if let Some((admin, name)) = self.postgres {
            let admin = Db::connect(&admin, 1).await.unwrap();
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(admin.pool())
            .await;
            admin.close().await;
        }
    }
}
