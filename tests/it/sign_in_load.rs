//! Sign-ins under load, on the real binary started as a process: memory stays
//! bounded whatever the number of simultaneous password checks.

use crate::process::ServerProcess;

/// `dossiersco serve` on a fresh SQLite database, behind a "proxy" (the
/// client address is taken from `X-Forwarded-For`).
async fn start(dir: &std::path::Path) -> ServerProcess {
    let database = format!("sqlite://{}", dir.join("dossiersco.db").display());
    ServerProcess::serve(dir, &database, &[("behind_proxy", "true")]).await
}

/// A line of /proc/PID/status, in kB (VmRSS: now; VmHWM: the peak).
fn memory_kb(server: &ServerProcess, field: &str) -> u64 {
    let pid = server.pid();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// One wrong sign-in as a browser does it (page, then form), from `ip`.
async fn wrong_sign_in(base: &str, ip: &str, n: usize) -> u16 {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(format!("{base}/agent/connexion"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = crate::harness::extract_csrf(&page).unwrap();
    let email = format!("agent{n}@example.org");
    client
        .post(format!("{base}/agent/connexion"))
        .header("x-forwarded-for", ip)
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email.as_str()),
            ("password", "not the password"),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_stays_bounded_under_hundreds_of_simultaneous_wrong_sign_ins() {
    if !cfg!(target_os = "linux") {
        return; // reads /proc
    }
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let base = server.url("");
    // Warm up: one check, so that the baseline includes a checking thread.
    assert_eq!(wrong_sign_in(&base, "192.0.2.1", 0).await, 401);
    let baseline = memory_kb(&server, "VmRSS");
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for round in 0..2 {
        let burst = (0..128).map(|i| {
            let base = base.clone();
            tokio::spawn(async move {
                wrong_sign_in(&base, &format!("10.{round}.{}.{}", i / 200, i % 200 + 1), i).await
            })
        });
        for status in futures::future::join_all(burst).await {
            *statuses.entry(status.unwrap()).or_default() += 1;
        }
    }
    let peak = memory_kb(&server, "VmHWM");
    eprintln!(
        "sign-in burst: RSS before {} MB, peak {} MB; answers {statuses:?}",
        baseline / 1024,
        peak / 1024
    );
    // Every answer is a refusal the person can read: wrong password, or
    // "busy, try again in a few seconds"; none is lost or a server error.
    assert_eq!(statuses.values().sum::<usize>(), 256);
    assert!(
        statuses.keys().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert!(
        statuses.get(&401).copied().unwrap_or(0) >= 2,
        "{statuses:?}"
    );
    assert!(
        peak < 150 * 1024,
        "peak RSS {} MB under 256 simultaneous sign-ins (goal: < 150 MB)",
        peak / 1024
    );
}
