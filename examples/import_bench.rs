//! Import benchmark (not a test): generates synthetic SIECLE exports, then
//! imports them school by school (plan + apply, as `dossiersco import` does)
//! into a fresh database, and prints the wall time and the peak RSS.
//!
//! ```text
//! cargo run --release --example import_bench -- --schools 1 --pupils 1000 --runs 5
//! cargo run --release --example import_bench -- --schools 300 --pupils 500 --runs 3
//! DOSSIERSCO_TEST_DATABASE_URL=postgres://… cargo run --release --example import_bench -- --postgres …
//! ```
//! `--files 3` imports ElevesAvecAdresses, ResponsablesAvecAdresses and
//! Nomenclature (the default); `--files 4` adds Structures. `--parallel N`
//! reads and previews N schools ahead while one is written (with N > 1 the
//! "read + preview" time overlaps the writes and is summed per school).

use std::path::{Path, PathBuf};
use std::time::Instant;

use futures::StreamExt;

use dossiersco::db::Db;
use dossiersco::import::{self, InputFile, School};
use dossiersco_siecle::synth::{
    FICHIER_ELEVES, FICHIER_NOMENCLATURE, FICHIER_RESPONSABLES, FICHIER_STRUCTURES,
};

struct Args {
    schools: usize,
    pupils: usize,
    runs: usize,
    files: usize,
    postgres: bool,
    /// Schools read and previewed ahead while one is written.
    parallel: usize,
    /// Drop the list's revision triggers (`db::revisions`) before
    /// importing: what they cost the import.
    without_revisions: bool,
}

fn args() -> Args {
    let mut a = Args {
        schools: 1,
        pupils: 1000,
        runs: 3,
        files: 3,
        postgres: false,
        parallel: 1,
        without_revisions: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().and_then(|v| v.parse().ok()).expect("a number");
        match arg.as_str() {
            "--schools" => a.schools = value(),
            "--pupils" => a.pupils = value(),
            "--runs" => a.runs = value(),
            "--files" => a.files = value(),
            "--postgres" => a.postgres = true,
            "--parallel" => a.parallel = value(),
            "--without-revisions" => a.without_revisions = true,
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

/// Peak resident memory of this process so far (VmHWM), in MiB.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU seconds (user + system) of the processes whose command line contains
/// `needle` (`/proc/<pid>/stat`, clock ticks of 1/100 s): this process with
/// `self`, or the PostgreSQL backends of the bench database (same machine).
/// The wall time of a shared machine is noisy; CPU time tells where work goes.
fn cpu_secs(needle: Option<&str>) -> f64 {
    let ticks = |pid: &str| -> f64 {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                let fields: Vec<&str> = s.rsplit_once(')')?.1.split_whitespace().collect();
                Some(fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?)
            })
            .unwrap_or(0.0)
    };
    let Some(needle) = needle else {
        return ticks("self") / 100.0;
    };
    let mut total = 0.0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if pid.bytes().all(|b| b.is_ascii_digit())
            && std::fs::read(entry.path().join("cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(needle))
        {
            total += ticks(&pid);
        }
    }
    total / 100.0
}

async fn fresh_db(postgres: bool, dir: &Path) -> (Db, Option<(String, String)>) {
    if postgres {
        let admin_url = std::env::var("DOSSIERSCO_TEST_DATABASE_URL")
            .expect("DOSSIERSCO_TEST_DATABASE_URL for --postgres");
        let name = format!("dossiersco_bench_{}", uuid::Uuid::new_v4().simple());
        let admin = Db::connect(&admin_url, 1).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(admin.pool())
            .await
            .unwrap();
        admin.close().await;
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&format!("/{name}"));
        let db = Db::connect(url.as_str(), 4).await.unwrap();
        (db, Some((admin_url, name)))
    } else {
        let url = format!("sqlite://{}", dir.join("bench.db").display());
        (Db::connect(&url, 4).await.unwrap(), None)
    }
}

async fn drop_db(db: Db, postgres: Option<(String, String)>) {
    db.close().await;
    if let Some((admin_url, name)) = postgres {
        let admin = Db::connect(&admin_url, 1).await.unwrap();
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(admin.pool())
        .await;
        admin.close().await;
    }
}

#[tokio::main]
async fn main() {
    dossiersco::cli::install_tls_provider();
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .init();
    }
    let a = args();
    let work = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let dirs: Vec<(String, PathBuf)> =
        import::command::generate(a.schools, a.pupils, &work.path().join("exports"), 42)
            .unwrap()
            .into_iter()
            .map(|dir| {
                let uai = dir.file_name().unwrap().to_string_lossy().into_owned();
                (uai, dir)
            })
            .collect();
    let bytes: u64 = dirs
        .iter()
        .flat_map(|(_, d)| std::fs::read_dir(d).unwrap())
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    println!(
        "generated {} school(s) × {} pupils ({:.1} MB of XML) in {:.1} s",
        a.schools,
        a.pupils,
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let names: &[&str] = if a.files >= 4 {
        &[
            FICHIER_ELEVES,
            FICHIER_RESPONSABLES,
            FICHIER_NOMENCLATURE,
            FICHIER_STRUCTURES,
        ]
    } else {
        &[FICHIER_ELEVES, FICHIER_RESPONSABLES, FICHIER_NOMENCLATURE]
    };
    let mut times = Vec::new();
    for run in 1..=a.runs {
        let db_dir = tempfile::tempdir().unwrap();
        let (db, pg) = fresh_db(a.postgres, db_dir.path()).await;
        db.migrate().await.unwrap();
        if a.without_revisions {
            for name in dossiersco::db::revisions::installed_triggers(&db)
                .await
                .unwrap()
            {
                let drop = match db.backend() {
                    dossiersco::db::Backend::Sqlite => format!("DROP TRIGGER {name}"),
                    dossiersco::db::Backend::Postgres => {
                        let table = name.trim_start_matches("revision_v1_");
                        format!("DROP TRIGGER {name} ON {table}")
                    }
                };
                sqlx::query(sqlx::AssertSqlSafe(drop))
                    .execute(db.pool())
                    .await
                    .unwrap();
            }
        }
        let mut schools = Vec::new();
        for (uai, _) in &dirs {
            let id = dossiersco::db::schools::upsert(db.pool(), uai, uai, "", "")
                .await
                .unwrap();
            schools.push(School {
                id,
                uai: uai.clone(),
            });
        }
        let server = pg.as_ref().map(|(_, name)| name.clone());
        let cpu_before = (cpu_secs(None), cpu_secs(server.as_deref()));
        let t = Instant::now();
        let mut pupils = 0;
        let (mut planning, mut applying) = (0.0, 0.0);
        // SQLite has one writer: plans (reading and previewing) run `parallel`
        // schools ahead and writes go one at a time. PostgreSQL takes
        // `parallel` whole imports at once (each in its own transaction).
        let shared = db.clone();
        let jobs = futures::stream::iter(schools.iter().zip(&dirs).map(|(school, (_, dir))| {
            let files: Vec<InputFile> = names
                .iter()
                .map(|n| InputFile {
                    name: n.to_string(),
                    path: dir.join(n),
                })
                .collect();
            let db = shared.clone();
            let write_too = a.postgres;
            async move {
                let p = Instant::now();
                let plan = import::plan(&db, school, &files).await.unwrap();
                let planned = p.elapsed().as_secs_f64();
                assert!(plan.is_applicable(), "{}", plan.preview.to_text());
                let mut applied = None;
                if write_too {
                    let p = Instant::now();
                    let counts = import::apply(&db, &plan, None, &|_, _| {}).await.unwrap();
                    applied = Some((counts.pupils_new, p.elapsed().as_secs_f64()));
                }
                (plan, planned, applied)
            }
        }))
        .buffer_unordered(a.parallel.max(1));
        let mut jobs = std::pin::pin!(jobs);
        while let Some((plan, planned, applied)) = jobs.next().await {
            planning += planned;
            let (new, took) = match applied {
                Some(done) => done,
                None => {
                    let p = Instant::now();
                    let counts = import::apply(&db, &plan, None, &|_, _| {}).await.unwrap();
                    (counts.pupils_new, p.elapsed().as_secs_f64())
                }
            };
            applying += took;
            pupils += new;
        }
        let elapsed = t.elapsed().as_secs_f64();
        let cpu = (
            cpu_secs(None) - cpu_before.0,
            cpu_secs(server.as_deref()) - cpu_before.1,
        );
        let in_db: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pupils")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(in_db, pupils);
        println!(
            "run {run}: {} pupils imported on {} in {elapsed:.3} s (read + preview {planning:.3} s, write {applying:.3} s; {:.0} pupils/s), CPU: importer {:.2} s{}, peak RSS so far {:.0} MiB",
            pupils,
            db.backend().name(),
            pupils as f64 / elapsed,
            cpu.0,
            if server.is_some() {
                format!(", PostgreSQL backends {:.2} s", cpu.1)
            } else {
                String::new()
            },
            peak_rss_mib()
        );
        times.push(elapsed);
        drop_db(db, pg).await;
    }
    times.sort_by(f64::total_cmp);
    println!(
        "median {:.3} s over {} run(s); peak RSS {:.0} MiB",
        times[times.len() / 2],
        times.len(),
        peak_rss_mib()
    );
}
