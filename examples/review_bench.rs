//! Review benchmark (issue 13, « Measure »; not a test): a school of
//! `--pupils` pupils (default 1,000) on SQLite, seeded by the demo's seeder
//! at that size (`demo::seed_sized`: dossiers in every state, changes and
//! decisions, pieces, transitions over two weeks), then, one request at a
//! time by a signed-in secretary, `--runs` times each: the dossier list
//! (default page, and filtered on a state and a class), the dashboard, and
//! dossier pages (dossiers with events, in turn). Prints the median and 95th
//! percentile of each, measured by the client over a local connection (the
//! server's time plus well under a millisecond). Then the return file to
//! SIECLE, assembled, checked and written `--runs` times (as `dossiersco
//! export siecle --accept-warnings -o FILE`).
//!
//! ```text
//! cargo run --release --example review_bench -- --pupils 1000 --runs 50
//! ```

use std::time::{Duration, Instant};

use dossiersco::process::App;
use dossiersco::secret::Secret;
use dossiersco::settings::Settings;
use reqwest::redirect::Policy;
use tokio_util::sync::CancellationToken;

struct Args {
    pupils: i64,
    runs: usize,
}

fn args() -> Args {
    let mut a = Args {
        pupils: 1000,
        runs: 30,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || -> u64 { it.next().and_then(|v| v.parse().ok()).expect("a number") };
        match arg.as_str() {
            "--pupils" => a.pupils = value() as i64,
            "--runs" => a.runs = value() as usize,
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

/// The path of the n-th request of a kind.
type PathOf<'a> = Box<dyn Fn(usize) -> String + 'a>;

fn csrf(html: &str) -> String {
    let key = "name=\"csrf_token\" value=\"";
    let start = html.find(key).expect("a CSRF token") + key.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn line(label: &str, mut times: Vec<Duration>, goal_ms: f64) {
    times.sort();
    let (p50, p95) = (percentile(&times, 0.5), percentile(&times, 0.95));
    println!(
        "{label:<34} p50 {p50:>8.1} ms   p95 {p95:>8.1} ms   goal {goal_ms} ms (p95/goal {:.2})",
        p95 / goal_ms
    );
}

fn median_ms(mut times: Vec<Duration>) -> f64 {
    times.sort();
    percentile(&times, 0.5)
}

/// The parts of the list's and the dashboard's work, timed in-process
/// (median of `runs`): the reading of the facts, the entries (changes
/// counted without words, against the whole school view of each dossier,
/// as the list did before), the sort (names folded once per entry, against
/// at each comparison, as before).
async fn parts(state: &dossiersco::app::AppState, uai: &str, runs: usize) -> anyhow::Result<()> {
    use dossiersco::dossier::{diff, facts, review};
    let pool = state.db.pool();
    let school: i64 = sqlx::query_scalar("SELECT id FROM schools WHERE uai = $1")
        .bind(uai)
        .fetch_one(pool)
        .await?;
    let time = |label: &str, times: Vec<Duration>| {
        println!("  part: {label:<58} median {:>8.2} ms", median_ms(times));
    };
    let mut read = Vec::new();
    let (mut by_view, mut by_count) = (Vec::new(), Vec::new());
    let (mut sort_before, mut sort_now) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let (listed, words) = facts::of_school(pool, school).await?;
        read.push(t.elapsed());
        let t = Instant::now();
        let old: Vec<(usize, bool)> = listed
            .iter()
            .map(|l| {
                let view = diff::for_school(&l.facts, &words);
                (view.changes, !view.disagreements.is_empty())
            })
            .collect();
        by_view.push(t.elapsed());
        let t = Instant::now();
        let entries: Vec<review::Entry> = listed.iter().map(review::Entry::of).collect();
        by_count.push(t.elapsed());
        anyhow::ensure!(
            old.iter()
                .zip(&entries)
                .all(|(o, e)| *o == (e.changes, e.conflicts)),
            "the list's counts differ from the school view's"
        );
        let mut before = entries.clone();
        let t = Instant::now();
        before.sort_by(|a, b| {
            a.division
                .cmp(&b.division)
                .then_with(|| review::folded(&a.last_name).cmp(&review::folded(&b.last_name)))
                .then_with(|| review::folded(&a.first_name).cmp(&review::folded(&b.first_name)))
                .then(a.dossier_id.cmp(&b.dossier_id))
        });
        sort_before.push(t.elapsed());
        let t = Instant::now();
        let now = review::select(
            entries,
            &review::Filter::default(),
            review::SortKey::Division,
            false,
        );
        sort_now.push(t.elapsed());
        anyhow::ensure!(now == before, "the sorts differ");
    }
    time("facts::of_school (the whole reading)", read);
    queries(pool, school, runs).await?;
    time("entries by diff::for_school (before)", by_view);
    time("entries by diff::changes (now)", by_count);
    time(
        "sort, names folded at each comparison (before)",
        sort_before,
    );
    time("sort, names folded once (now)", sort_now);
    Ok(())
}

/// Each query of `facts::of_school`, timed alone (median of `runs`), with
/// the rows it returns: where the reading's time goes.
async fn queries(pool: &sqlx::AnyPool, school: i64, runs: usize) -> anyhow::Result<()> {
    use dossiersco::db::{facts as rows, offer};
    macro_rules! timed {
        ($label:expr, $call:expr) => {{
            let mut times = Vec::new();
            let mut n = 0;
            for _ in 0..runs {
                let t = Instant::now();
                n = $call.await?.len();
                times.push(t.elapsed());
            }
            println!(
                "    query: {:<34} {:>6} rows  median {:>8.2} ms",
                $label,
                n,
                median_ms(times)
            );
        }};
    }
    timed!("dossiers", rows::dossiers(pool, school, None));
    timed!("pupil_edits", rows::pupil_edits(pool, school, None));
    timed!("guardians", rows::guardians(pool, school, None));
    timed!("guardian_edits", rows::guardian_edits(pool, school, None));
    timed!("answers", rows::answers(pool, school, None));
    timed!(
        "previous_answers",
        rows::previous_answers(pool, school, None)
    );
    timed!(
        "practised_options",
        rows::practised_options(pool, school, None)
    );
    timed!("options_of_school", offer::options_of_school(pool, school));
    timed!("request_queues", offer::request_queues(pool, school));
    timed!("contacts", rows::contacts(pool, school, None));
    timed!("pieces", rows::pieces(pool, school, None));
    timed!("questions", offer::questions(pool, school));
    timed!("option_labels", rows::option_labels(pool, school));
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args();
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        addr: "127.0.0.1:0".parse()?,
        base_url: "http://127.0.0.1".into(),
        data_dir: dir.path().to_path_buf(),
        secret_key: Some(Secret::from("review-bench-secret-key-0123456789abcdef")),
        database_url: Some(Secret::new(format!(
            "sqlite://{}",
            dir.path().join("bench.db").display()
        ))),
        log: "warn".into(),
        ..Settings::default()
    };
    let app = App::build(settings).await?;
    let base = format!("http://{}", app.local_addr());
    let state = app.state.clone();
    let started = Instant::now();
    let seeded = dossiersco::demo::seed_sized(&state, args.pupils).await?;
    let uai = seeded.uai.clone();
    println!(
        "review_bench: SQLite, {} pupils seeded in {:.1} s, {} runs",
        seeded.pupils,
        started.elapsed().as_secs_f64(),
        args.runs
    );
    // Dossiers with events (sent, sent back, validated), in turn.
    let dossiers: Vec<i64> = sqlx::query_scalar(
        "SELECT d.id FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
         WHERE c.school_year = $1 AND d.state IN ('submitted', 'returned', 'validated')
         ORDER BY d.id",
    )
    .bind(dossiersco::campaign::school_year_starting())
    .fetch_all(state.db.pool())
    .await?;
    anyhow::ensure!(!dossiers.is_empty(), "no dossier with events");

    parts(&state, &uai, args.runs).await?;

    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.run(shutdown.clone()));
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()?;
    let page = client
        .get(format!("{base}/agent/connexion"))
        .send()
        .await?
        .text()
        .await?;
    let signed_in = client
        .post(format!("{base}/agent/connexion"))
        .form(&[
            ("csrf_token", csrf(&page).as_str()),
            ("email", "secretariat@demo.dossiersco.fr"),
            ("password", dossiersco::demo::DEMO_PASSWORD),
        ])
        .send()
        .await?;
    anyhow::ensure!(signed_in.status() == 303, "sign-in: {}", signed_in.status());

    let get = |path: String| {
        let request = client.get(format!("{base}{path}"));
        async move {
            let t = Instant::now();
            let response = request.send().await?;
            let status = response.status();
            let body = response.bytes().await?;
            let elapsed = t.elapsed();
            anyhow::ensure!(status == 200, "{path}: {status}");
            Ok::<_, anyhow::Error>((elapsed, body.len()))
        }
    };
    let list = format!("/etablissements/{uai}/dossiers");
    let paths: [(&str, PathOf); 4] = [
        ("dossier list, default page", Box::new(|_| list.clone())),
        (
            "dossier list, state + class filter",
            Box::new(|_| format!("{list}?etat=validated&classe=4B")),
        ),
        ("dashboard", Box::new(|_| format!("/etablissements/{uai}"))),
        (
            "dossier page (with its timeline)",
            Box::new(|n| format!("{list}/{}", dossiers[n % dossiers.len()])),
        ),
    ];
    // One warm-up request each (first statements prepared, pages cached by
    // SQLite), not counted.
    for (_, path) in &paths {
        get(path(0)).await?;
    }
    for (label, path) in &paths {
        let mut times = Vec::with_capacity(args.runs);
        let mut bytes = 0;
        for n in 0..args.runs {
            let (t, size) = get(path(n)).await?;
            times.push(t);
            bytes = size;
        }
        line(&format!("{label} ({} kB)", bytes / 1024), times, 50.0);
    }

    let mut times = Vec::with_capacity(args.runs);
    let mut pupils_line = String::new();
    for n in 0..args.runs {
        let out = dir.path().join(format!("retour-{n}.zip"));
        let t = Instant::now();
        let report = dossiersco::siecle_return::command::export(
            &state.db,
            &uai,
            false,
            true,
            Some(out.clone()),
        )
        .await?;
        times.push(t.elapsed());
        pupils_line = report.text.lines().next().unwrap_or_default().to_owned();
        if let Some(why) = report.refused {
            pupils_line.push_str(&format!(
                " Refused (assembled and checked, not written): {why}"
            ));
        }
    }
    line("return file (assemble, check, write)", times, 500.0);
    println!("  {pupils_line}");

    shutdown.cancel();
    server.await??;
    Ok(())
}
