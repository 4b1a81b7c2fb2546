//! Exports benchmark (not a test): a school of `--pupils` pupils on a fresh
//! SQLite database (one guardian each; every third pupil with a change of
//! first name, half of them refused; every pupil with a canteen answer, a
//! quotient and an answer to a custom question; `--pieces` uploads of
//! `--piece-kib` KiB each in the local documents store), then:
//! - each of the four spreadsheets (`exports::job::spreadsheet`: the dossier
//!   facts read from the database, the sheet, the `.xlsx` bytes), `--runs`
//!   times, median and range; then the four from one reading of the facts
//!   (`exports::job::spreadsheets`); then « Tout exporter (tableurs) », the
//!   same four zipped in memory (`exports::job::all_spreadsheets`, what its
//!   job does before the store's `put`);
//! - the ZIP of every piece by class (`exports::pieces::write_zip`, streamed
//!   from the store into the store), with the process's peak RSS (`VmHWM`)
//!   before and after: flat memory means the peak does not grow with the
//!   archive.
//!
//! ```text
//! cargo run --release --example exports_bench -- --pupils 1000 --pieces 2000 --runs 5
//! ```

use std::time::Instant;

use bytes::Bytes;
use dossiersco::db::exports as rows;
use dossiersco::db::now_ms;
use dossiersco::exports::Kind;
use dossiersco::exports::job::{all_spreadsheets, spreadsheet, spreadsheets};
use dossiersco::exports::pieces::{Grouping, write_zip};
use dossiersco::process::App;
use dossiersco::secret::Secret;
use dossiersco::settings::Settings;

struct Args {
    pupils: usize,
    pieces: usize,
    piece_kib: usize,
    runs: usize,
}

fn args() -> Args {
    let mut a = Args {
        pupils: 1000,
        pieces: 2000,
        piece_kib: 64,
        runs: 5,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().and_then(|v| v.parse().ok()).expect("a number");
        match arg.as_str() {
            "--pupils" => a.pupils = value(),
            "--pieces" => a.pieces = value(),
            "--piece-kib" => a.piece_kib = value(),
            "--runs" => a.runs = value(),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

/// A line of /proc/self/status, in KiB (`VmHWM`: peak RSS; `VmRSS`: now).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| {
            v.trim_start_matches(':')
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn median(mut times: Vec<f64>) -> (f64, f64, f64) {
    times.sort_by(|a, b| a.total_cmp(b));
    (times[times.len() / 2], times[0], times[times.len() - 1])
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args();
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        addr: "127.0.0.1:0".parse()?,
        data_dir: dir.path().to_path_buf(),
        secret_key: Some(Secret::from("exports-bench-secret-key-0123456789abcdef")),
        database_url: Some(Secret::new(format!(
            "sqlite://{}",
            dir.path().join("bench.db").display()
        ))),
        worker_concurrency: 0,
        log: "warn".into(),
        ..Settings::default()
    };
    let app = App::build(settings).await?;
    let state = app.state.clone();
    let pool = state.db.pool();
    let now = now_ms();

    // The school.
    let school: i64 = sqlx::query_scalar(
        "INSERT INTO schools (uai, name, created_at) VALUES ('0750680G', 'Collège Bench', $1) RETURNING id",
    )
    .bind(now)
    .fetch_one(pool)
    .await?;
    let campaign: i64 = sqlx::query_scalar(
        "INSERT INTO campaigns (school_id, school_year, canteen_days, created_at) VALUES ($1, $2, 'lun,mar,jeu,ven', $3) RETURNING id",
    )
    .bind(school)
    .bind(dossiersco::campaign::school_year_starting())
    .bind(now)
    .fetch_one(pool)
    .await?;
    for (label, min, max, price) in [("A", 0_i64, Some(600_i64), 250_i64), ("B", 601, None, 410)] {
        sqlx::query("INSERT INTO canteen_tariffs (school_id, label, quotient_min, quotient_max, price_cents) VALUES ($1, $2, $3, $4, $5)")
            .bind(school).bind(label).bind(min).bind(max).bind(price).execute(pool).await?;
    }
    sqlx::query(
        "INSERT INTO school_questions (school_id, kind, answer_type, answer_key, label, question, created_at)
         VALUES ($1, 'custom', 'text', 'atelier', 'Atelier choisi', 'Quel atelier ?', 0)",
    )
    .bind(school)
    .execute(pool)
    .await?;
    let document: i64 = sqlx::query_scalar(
        "INSERT INTO expected_documents (school_id, label, position) VALUES ($1, 'Attestation d''assurance', 1) RETURNING id",
    )
    .bind(school)
    .fetch_one(pool)
    .await?;

    // The pupils, in one transaction.
    let started = Instant::now();
    let mut tx = state.db.begin().await?;
    let mut dossiers = Vec::new();
    for n in 0..args.pupils {
        let division = format!(
            "{}{}",
            6 - (n % 4),
            ["A", "B", "C", "D", "E", "F", "G"][n / 4 % 7]
        );
        let pupil: i64 = sqlx::query_scalar(
            "INSERT INTO pupils (school_id, last_name, first_name, sex, birth_date, division, regime_code, created_at, updated_at)
             VALUES ($1, $2, 'Inès', 'F', '2013-05-14', $3, '2', $4, $4) RETURNING id",
        )
        .bind(school).bind(format!("ELEVE{n:04}")).bind(&division).bind(now)
        .fetch_one(&mut *tx).await?;
        let guardian: i64 = sqlx::query_scalar(
            "INSERT INTO guardians (school_id, last_name, first_name, email, created_at, updated_at)
             VALUES ($1, $2, 'Parent', 'parent@exemple.fr', $3, $3) RETURNING id",
        )
        .bind(school).bind(format!("ELEVE{n:04}")).bind(now)
        .fetch_one(&mut *tx).await?;
        sqlx::query("INSERT INTO guardianships (pupil_id, guardian_id, rank, relationship_code) VALUES ($1, $2, 1, '20')")
            .bind(pupil).bind(guardian).execute(&mut *tx).await?;
        let dossier: i64 = sqlx::query_scalar(
            "INSERT INTO dossiers (campaign_id, pupil_id, state, submitted_by, submitted_at, created_at, updated_at)
             VALUES ($1, $2, 'submitted', $3, $4, $4, $4) RETURNING id",
        )
        .bind(campaign).bind(pupil).bind(guardian).bind(now)
        .fetch_one(&mut *tx).await?;
        for (q, a) in [
            (
                "canteen",
                if n % 2 == 0 {
                    "demi_pension"
                } else {
                    "externe"
                }
                .to_owned(),
            ),
            ("quotient", (300 + n % 900).to_string()),
            ("atelier", format!("Atelier {}", n % 5)),
        ] {
            sqlx::query("INSERT INTO dossier_answers (dossier_id, guardian_id, question, answer, answered_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(dossier).bind(guardian).bind(q).bind(a).bind(now).execute(&mut *tx).await?;
        }
        if n % 3 == 0 {
            sqlx::query(
                "INSERT INTO pupil_changes (dossier_id, guardian_id, field, siecle_value, new_value, changed_at)
                 VALUES ($1, $2, 'first_name', 'Inès', 'Ines', $3)",
            )
            .bind(dossier).bind(guardian).bind(now).execute(&mut *tx).await?;
            if n % 2 == 0 {
                sqlx::query(
                    "INSERT INTO change_decisions (dossier_id, change_key, proposed_value, label, proposed_words, decision, reason, decided_at)
                     VALUES ($1, 'pupil:first_name', 'Ines', 'Prénom', 'Ines', 'rejected', 'Orthographe de l''état civil', $2)",
                )
                .bind(dossier).bind(now).execute(&mut *tx).await?;
            }
        }
        dossiers.push(dossier);
    }
    tx.commit().await?;
    let content = Bytes::from(
        (0..args.piece_kib * 1024)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<u8>>(),
    );
    for n in 0..args.pieces {
        let key = format!("uploads/bench/{n}");
        state.documents.put_bytes(&key, content.clone()).await?;
        sqlx::query(
            "INSERT INTO uploads (dossier_id, expected_document_id, storage_key, original_name, content_type, size_bytes, created_at)
             VALUES ($1, $2, $3, 'scan.pdf', 'application/pdf', $4, $5)",
        )
        .bind(dossiers[n % dossiers.len()])
        .bind(document)
        .bind(&key)
        .bind(content.len() as i64)
        .bind(now)
        .execute(pool)
        .await?;
    }
    println!(
        "exports_bench: {} pupils, {} pieces of {} KiB, seeded in {:.1} s; SQLite",
        args.pupils,
        args.pieces,
        args.piece_kib,
        started.elapsed().as_secs_f64()
    );

    // The ZIP first, so that its peak RSS is not hidden by the spreadsheets'.
    let found = rows::pieces_of_school(pool, school).await?;
    let hwm_before = status_kib("VmHWM");
    let started = Instant::now();
    let size = write_zip(
        &state.documents,
        "exports/bench.zip",
        &found,
        Grouping::ByClass,
        |_, _| async { Ok(()) },
    )
    .await?;
    let zip_s = started.elapsed().as_secs_f64();
    let hwm_after = status_kib("VmHWM");
    println!(
        "zip: {} entries, {:.1} MiB in {:.2} s; peak RSS {:.1} MiB before, {:.1} MiB after (+{:.1} MiB)",
        found.len(),
        size as f64 / 1_048_576.0,
        zip_s,
        hwm_before as f64 / 1024.0,
        hwm_after as f64 / 1024.0,
        (hwm_after.saturating_sub(hwm_before)) as f64 / 1024.0
    );

    let mut total = vec![0.0; args.runs];
    for kind in [Kind::Changes, Kind::Options, Kind::Canteen, Kind::Answers] {
        let mut times = Vec::new();
        let mut bytes = 0;
        for sum in total.iter_mut() {
            let started = Instant::now();
            bytes = spreadsheet(pool, school, kind).await?.len();
            let t = started.elapsed().as_secs_f64();
            *sum += t;
            times.push(t);
        }
        let (m, lo, hi) = median(times);
        println!(
            "{:<10} median {:.3} s ({} runs: {:.3}–{:.3}), {} KiB",
            kind.code(),
            m,
            args.runs,
            lo,
            hi,
            bytes / 1024
        );
    }
    let (m, lo, hi) = median(total);
    println!("all four spreadsheets: median {m:.3} s ({lo:.3}–{hi:.3}); goal < 0.5 s");
    // The four from one reading of the facts (`exports::job::spreadsheets`).
    let kinds = [Kind::Changes, Kind::Options, Kind::Canteen, Kind::Answers];
    let mut times = Vec::new();
    for _ in 0..args.runs {
        let started = Instant::now();
        let made = spreadsheets(pool, school, &kinds).await?;
        times.push(started.elapsed().as_secs_f64());
        anyhow::ensure!(made.len() == kinds.len());
    }
    let (m, lo, hi) = median(times);
    println!(
        "all four from one reading of the facts: median {m:.3} s ({lo:.3}–{hi:.3}); goal < 0.5 s"
    );
    // « Tout exporter (tableurs) »: the same four and their ZIP
    // (`exports::job::all_spreadsheets`).
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..args.runs {
        let started = Instant::now();
        bytes = all_spreadsheets(pool, school).await?.len();
        times.push(started.elapsed().as_secs_f64());
    }
    let (m, lo, hi) = median(times);
    println!(
        "all four in one ZIP (« Tout exporter (tableurs) »): median {m:.3} s ({lo:.3}–{hi:.3}), {} KiB; goal < 0.5 s",
        bytes / 1024
    );
    Ok(())
}
