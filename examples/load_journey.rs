//! Load scenario (not a test): families re-enrolling at the same time.
//!
//! Starts the application in this process on a fresh database (SQLite, or
//! PostgreSQL with `--postgres`), seeds the demo collège, gives every
//! guardian of a single child a new personal code, then runs `--concurrency`
//! virtual families in parallel until `--journeys` journeys are done. A
//! journey is what a family with nothing to change does: open the sign-in
//! page, sign in (code + birth date; a family comes back several times, and
//! lands on its furthest step), for each of the 8 steps load the page and
//! send it back as prefilled, load the validation summary, sign out —
//! 20 requests, every one checked (status and redirect). Each journey comes
//! from its own address (`X-Forwarded-For`, the app set `behind_proxy`), as
//! on the Internet, so the per-address sign-in limit applies to each one.
//!
//! ```text
//! cargo run --release --example load_journey -- --journeys 2000 --concurrency 32
//! DOSSIERSCO_TEST_DATABASE_URL=postgres://… cargo run --release --example load_journey -- --postgres
//! ```
//! Prints journeys per second and the median / 95th percentile latency of
//! each kind of request. Client and server share the machine's cores.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dossiersco::db::family;
use dossiersco::domain::access_code;
use dossiersco::process::App;
use dossiersco::secret::Secret;
use dossiersco::settings::Settings;
use reqwest::redirect::Policy;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

#[path = "../tests/it/forms.rs"]
mod forms;

struct Args {
    journeys: usize,
    concurrency: usize,
    postgres: bool,
    connections: u32,
}

fn args() -> Args {
    let mut a = Args {
        journeys: 1000,
        concurrency: 32,
        postgres: false,
        connections: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().and_then(|v| v.parse().ok()).expect("a number");
        match arg.as_str() {
            "--journeys" => a.journeys = value(),
            "--concurrency" => a.concurrency = value(),
            "--connections" => a.connections = value() as u32,
            "--postgres" => a.postgres = true,
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

/// The steps of a journey with nothing to change, with the answers a family
/// must give where nothing is prefilled.
const STEPS: &[(&str, &[(&str, &str)])] = &[
    ("accueil", &[]),
    ("eleve", &[]),
    ("responsables", &[]),
    ("contacts-urgence", &[("action", "continuer")]),
    ("scolarite", &[]),
    ("vie-scolaire", &[("photo", "oui"), ("sorties", "oui")]),
    ("sante", &[]),
    ("pieces", &[]),
];

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    SignIn,
    Page,
    Save,
}

#[derive(Default)]
struct Timings {
    sign_in: Vec<Duration>,
    page: Vec<Duration>,
    save: Vec<Duration>,
}

impl Timings {
    fn push(&mut self, kind: Kind, d: Duration) {
        match kind {
            Kind::SignIn => self.sign_in.push(d),
            Kind::Page => self.page.push(d),
            Kind::Save => self.save.push(d),
        }
    }
}

struct Family {
    code: String,
    birth: String,
}

fn csrf(html: &str) -> String {
    let key = "name=\"csrf_token\" value=\"";
    let start = html.find(key).expect("a CSRF token") + key.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// One journey; returns the timings of its requests.
async fn journey(base: &str, family: &Family, ip: &str) -> anyhow::Result<Vec<(Kind, Duration)>> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()?;
    let mut timings = Vec::with_capacity(20);
    let get = |path: String| {
        let request = client
            .get(format!("{base}{path}"))
            .header("x-forwarded-for", ip);
        async move {
            let started = Instant::now();
            let response = request.send().await?;
            anyhow::ensure!(
                response.status() == 200,
                "GET {path}: {}",
                response.status()
            );
            let html = response.text().await?;
            Ok::<_, anyhow::Error>((html, started.elapsed()))
        }
    };
    let post = |path: String, form: Vec<(String, String)>| {
        let request = client
            .post(format!("{base}{path}"))
            .header("x-forwarded-for", ip)
            .form(&form);
        async move {
            let started = Instant::now();
            let response = request.send().await?;
            anyhow::ensure!(
                response.status() == 303,
                "POST {path}: {} {}",
                response.status(),
                response
                    .text()
                    .await
                    .unwrap_or_default()
                    .chars()
                    .take(300)
                    .collect::<String>()
            );
            let to = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            Ok::<_, anyhow::Error>((to, started.elapsed()))
        }
    };

    let (html, d) = get("/famille/connexion".into()).await?;
    timings.push((Kind::Page, d));
    let (to, d) = post(
        "/famille/connexion".into(),
        vec![
            ("csrf_token".into(), csrf(&html)),
            ("code".into(), family.code.clone()),
            ("birth_date".into(), family.birth.clone()),
        ],
    )
    .await?;
    timings.push((Kind::SignIn, d));
    // The first time at `…/accueil`, later at the furthest step reached:
    // the family goes through the steps from the start either way.
    let dossier = to
        .rsplit_once('/')
        .filter(|(base, _)| base.starts_with("/famille/dossiers/"))
        .ok_or_else(|| anyhow::anyhow!("signed in to {to}"))?
        .0
        .to_owned();
    let mut last = String::new();
    for (step, answers) in STEPS {
        let path = format!("{dossier}/{step}");
        let (html, d) = get(path.clone()).await?;
        timings.push((Kind::Page, d));
        let mut form = forms::prefilled(&html);
        for (key, value) in *answers {
            form.retain(|(k, _)| k != key);
            form.push(((*key).to_owned(), (*value).to_owned()));
        }
        let (to, d) = post(path, form).await?;
        timings.push((Kind::Save, d));
        last = to;
    }
    anyhow::ensure!(last.ends_with("/validation"), "ended at {last}");
    let (html, d) = get(last).await?;
    timings.push((Kind::Page, d));
    let (_, d) = post(
        "/famille/deconnexion".into(),
        vec![("csrf_token".into(), csrf(&html))],
    )
    .await?;
    timings.push((Kind::Save, d));
    Ok(timings)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args();
    let dir = tempfile::tempdir()?;
    let mut postgres_db = None;
    let database_url = if args.postgres {
        let admin = std::env::var("DOSSIERSCO_TEST_DATABASE_URL")
            .expect("DOSSIERSCO_TEST_DATABASE_URL for --postgres");
        let name = format!("dossiersco_load_{}", uuid::Uuid::new_v4().simple());
        let db = dossiersco::db::Db::connect(&admin, 1).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(db.pool())
            .await?;
        let mut url = url::Url::parse(&admin)?;
        url.set_path(&name);
        postgres_db = Some((admin, name));
        url.to_string()
    } else {
        format!("sqlite://{}", dir.path().join("load.db").display())
    };
    let settings = Settings {
        addr: "127.0.0.1:0".parse()?,
        base_url: "http://127.0.0.1".into(),
        data_dir: dir.path().to_path_buf(),
        secret_key: Some(Secret::from("load-scenario-secret-key-0123456789abcdef")),
        database_url: Some(Secret::new(database_url)),
        database_max_connections: args.connections,
        behind_proxy: true,
        log: "warn".into(),
        ..Settings::default()
    };
    let app = App::build(settings).await?;
    let base = format!("http://{}", app.local_addr());
    let state = app.state.clone();
    dossiersco::demo::seed(&state).await?;

    // A code for every guardian of exactly one child (a family with several
    // children lands on their list first, a different journey).
    let guardians: Vec<(i64, String)> = sqlx::query_as(
        "SELECT l.guardian_id, MIN(p.birth_date) FROM guardianships l JOIN pupils p ON p.id = l.pupil_id
         GROUP BY l.guardian_id HAVING COUNT(*) = 1 ORDER BY l.guardian_id",
    )
    .fetch_all(state.db.pool())
    .await?;
    let mut families = Vec::new();
    for (id, birth) in guardians {
        let code = access_code::generate();
        family::set_access_code(state.db.pool(), id, &access_code::hash(&code)).await?;
        families.push(Family { code, birth });
    }
    let families = Arc::new(families);

    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.run(shutdown.clone()));
    println!(
        "load_journey: {} database, {} families with a code, {} journeys, {} at once, {} connections",
        if args.postgres {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        families.len(),
        args.journeys,
        args.concurrency,
        args.connections
    );

    let next = Arc::new(AtomicUsize::new(0));
    let timings = Arc::new(Mutex::new(Timings::default()));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (next, timings, errors, families, base) = (
            next.clone(),
            timings.clone(),
            errors.clone(),
            families.clone(),
            base.clone(),
        );
        let total = args.journeys;
        workers.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                let family = &families[n % families.len()];
                // Each journey from its own address (a family comes back
                // from home, work, a phone network).
                let ip = format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255);
                match journey(&base, family, &ip).await {
                    Ok(done) => {
                        let mut t = timings.lock().await;
                        for (kind, d) in done {
                            t.push(kind, d);
                        }
                    }
                    Err(e) => errors.lock().await.push(e.to_string()),
                }
            }
        }));
    }
    for worker in workers {
        worker.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    shutdown.cancel();
    server.await??;

    let errors = errors.lock().await;
    let mut guard = timings.lock().await;
    let t = &mut *guard;
    let done = args.journeys - errors.len();
    println!(
        "{done} journeys in {elapsed:.1} s: {:.1} journeys/s, {:.0} requests/s",
        done as f64 / elapsed,
        (t.sign_in.len() + t.page.len() + t.save.len()) as f64 / elapsed
    );
    for (name, list) in [
        ("sign-in (POST)", &mut t.sign_in),
        ("page (GET)", &mut t.page),
        ("step saved (POST)", &mut t.save),
    ] {
        list.sort();
        println!(
            "  {name:<18} {:>6} requests  median {:>6.1} ms  p95 {:>6.1} ms",
            list.len(),
            percentile(list, 0.5),
            percentile(list, 0.95)
        );
    }
    if !errors.is_empty() {
        println!(
            "{} journeys failed; first error: {}",
            errors.len(),
            errors[0]
        );
    }
    if let Some((admin, name)) = postgres_db {
        let db = dossiersco::db::Db::connect(&admin, 1).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(db.pool())
        .await?;
    }
    anyhow::ensure!(errors.is_empty(), "some journeys failed");
    Ok(())
}
