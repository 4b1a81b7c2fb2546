//! `kill -9` under load, on both databases: a save the server acknowledged
//! (303 after its commit) is never lost.

use std::time::Duration;

use dossiersco::db::{Backend, Db};
use reqwest::redirect::Policy;

use crate::forms::prefilled;
use crate::harness::{extract_csrf, fresh_postgres_database, require, test_settings};
use crate::process::ServerProcess;

const CLIENTS: usize = 8;

/// A family ready to save: its browser (signed in) and its dossier.
struct Family {
    client: reqwest::Client,
    dossier_id: i64,
    code: String,
    birth_date: String,
}

/// What one family saw: the last save acknowledged and the one sent when the
/// server died (if any).
#[derive(Debug, Default, Clone, Copy)]
struct Outcome {
    acknowledged: Option<u64>,
    in_flight: Option<u64>,
}

/// Seeds the demo school through the library and gives `CLIENTS` guardians
/// (each with their own pupil) a known code.
async fn seed(dir: &std::path::Path, database_url: &str) -> Vec<Family> {
    let state = dossiersco::app::AppState::build(test_settings(dir, database_url.to_owned()))
        .await
        .unwrap();
    dossiersco::demo::seed(&state).await.unwrap();
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT d.id, gs.guardian_id, p.birth_date FROM dossiers d
         JOIN pupils p ON p.id = d.pupil_id
         JOIN guardianships gs ON gs.pupil_id = p.id
         WHERE d.campaign_id IN (SELECT id FROM campaigns WHERE school_year = (SELECT MAX(school_year) FROM campaigns))
         ORDER BY d.id, gs.guardian_id",
    )
    .fetch_all(state.db.pool())
    .await
    .unwrap();
    let mut families: Vec<Family> = Vec::new();
    let mut guardians = Vec::new();
    for (dossier_id, guardian_id, birth_date) in rows {
        if families.len() == CLIENTS
            || guardians.contains(&guardian_id)
            || families.iter().any(|f| f.dossier_id == dossier_id)
        {
            continue;
        }
        let code = format!("KILL-NINE-{:04}", guardian_id);
        sqlx::query("UPDATE guardians SET access_code_hash = $2 WHERE id = $1")
            .bind(guardian_id)
            .bind(dossiersco::domain::access_code::hash(&code))
            .execute(state.db.pool())
            .await
            .unwrap();
        guardians.push(guardian_id);
        families.push(Family {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .unwrap(),
            dossier_id,
            code,
            birth_date,
        });
    }
    assert_eq!(families.len(), CLIENTS, "the demo has enough families");
    state.db.close().await;
    families
}

/// Signs the family in and passes the welcome step; returns the pupil step's
/// form as the browser would send it.
async fn open_pupil_step(server: &ServerProcess, family: &Family) -> Vec<(String, String)> {
    let client = &family.client;
    let html = client
        .get(server.url("/famille/connexion"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = extract_csrf(&html).unwrap();
    let signed_in = client
        .post(server.url("/famille/connexion"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("code", family.code.as_str()),
            ("birth_date", family.birth_date.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303, "family {} signs in", family.code);
    let base = format!("/famille/dossiers/{}", family.dossier_id);
    for step in ["accueil", "eleve"] {
        let page = server.url(&format!("{base}/{step}"));
        let html = client
            .get(&page)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let form = prefilled(&html);
        if step == "eleve" {
            return form;
        }
        let sent = client.post(&page).form(&form).send().await.unwrap();
        assert_eq!(sent.status(), 303, "{step}");
    }
    unreachable!()
}

/// Saves "Ville 1", "Ville 2"… as the pupil's birth city until the server
/// stops answering or `stop` is cancelled.
async fn save_in_a_loop(
    url: String,
    client: reqwest::Client,
    form: Vec<(String, String)>,
    stop: tokio_util::sync::CancellationToken,
) -> Outcome {
    let mut outcome = Outcome::default();
    for n in 1u64.. {
        if stop.is_cancelled() {
            outcome.in_flight = None;
            break;
        }
        let mut form = form.clone();
        form.retain(|(k, _)| k != "birth_city");
        form.push(("birth_city".into(), format!("Ville {n}")));
        outcome.in_flight = Some(n);
        match client.post(&url).form(&form).send().await {
            Ok(response) if response.status() == 303 => outcome.acknowledged = Some(n),
            Ok(response) => panic!("save {n} refused: {}", response.status()),
            Err(_) => break,
        }
    }
    outcome
}

async fn acknowledged_saves_survive_a_kill_9_under_load(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, postgres) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}", dir.path().join("t.db").display()),
            None,
        ),
        Backend::Postgres => {
            let Some(admin) = require("DOSSIERSCO_TEST_DATABASE_URL", "PostgreSQL tests") else {
                return;
            };
            let (name, url) = fresh_postgres_database(&admin).await;
            (url, Some((admin, name)))
        }
    };
    let families = seed(dir.path(), &database_url).await;
    let settings = [("sign_in_failures_per_minute", "1000")];
    let server = ServerProcess::serve(dir.path(), &database_url, &settings).await;
    let stop = tokio_util::sync::CancellationToken::new();
    let mut clients = Vec::new();
    for family in &families {
        let form = open_pupil_step(&server, family).await;
        let url = server.url(&format!("/famille/dossiers/{}/eleve", family.dossier_id));
        clients.push(tokio::spawn(save_in_a_loop(
            url,
            family.client.clone(),
            form,
            stop.clone(),
        )));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    server.kill().await;
    let mut outcomes = Vec::new();
    for client in clients {
        let outcome = tokio::time::timeout(Duration::from_secs(30), client)
            .await
            .expect("a client stops once the server is gone")
            .unwrap();
        outcomes.push(outcome);
    }
    stop.cancel();

    // Restart on the same database: it opens (recovery) and serves.
    let restarted = ServerProcess::serve(dir.path(), &database_url, &settings).await;
    let health = reqwest::get(restarted.url("/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(restarted.terminate().await);

    let db = Db::connect(&database_url, 1).await.unwrap();
    let mut acknowledged = 0;
    let mut lost = Vec::new();
    for (family, outcome) in families.iter().zip(&outcomes) {
        let stored: Option<String> = sqlx::query_scalar(
            "SELECT new_value FROM pupil_changes WHERE dossier_id = $1 AND field = 'birth_city'",
        )
        .bind(family.dossier_id)
        .fetch_optional(db.pool())
        .await
        .unwrap();
        let stored: Option<u64> = stored.map(|v| v.trim_start_matches("Ville ").parse().unwrap());
        acknowledged += outcome.acknowledged.unwrap_or(0);
        let fine =
            stored == outcome.acknowledged || (stored.is_some() && stored == outcome.in_flight);
        if !fine {
            lost.push((family.dossier_id, stored, *outcome));
        }
    }
    db.close().await;
    if let Some((admin, name)) = postgres {
        let admin = Db::connect(&admin, 1).await.unwrap();
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(admin.pool())
        .await;
        admin.close().await;
    }
    eprintln!(
        "kill -9 on {}: {acknowledged} acknowledged saves by {CLIENTS} families, {} family(ies) with a lost save",
        backend.name(),
        lost.len()
    );
    assert!(
        acknowledged >= CLIENTS as u64,
        "the load ran ({acknowledged} saves)"
    );
    assert!(
        lost.is_empty(),
        "stored value older than the last acknowledged save (dossier, stored, outcome): {lost:?}"
    );
}

mod acknowledged_saves_survive_a_kill_9_under_load {
    use dossiersco::db::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::acknowledged_saves_survive_a_kill_9_under_load(Backend::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::acknowledged_saves_survive_a_kill_9_under_load(Backend::Postgres).await
    }
}
