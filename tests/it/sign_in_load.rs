//! Sign-ins under load, on the real binary started as a process: memory stays
//! bounded whatever the number of simultaneous password checks.

use std::time::Duration;

use crate::harness::SECRET;

/// A `dossiersco serve` process on a fresh SQLite database, behind a "proxy"
/// (the client address is taken from `X-Forwarded-For`).
struct Server {
    child: tokio::process::Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_dossiersco"))
            .arg("serve")
            .current_dir(dir.path())
            .env("DOSSIERSCO_ADDR", format!("127.0.0.1:{port}"))
            .env("DOSSIERSCO_BASE_URL", format!("http://127.0.0.1:{port}"))
            .env("DOSSIERSCO_DATA_DIR", dir.path())
            .env("DOSSIERSCO_SECRET_KEY", SECRET)
            .env("DOSSIERSCO_BEHIND_PROXY", "true")
            .env("DOSSIERSCO_LOG", "error")
            .env_remove("DOSSIERSCO_DATABASE_URL")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..300 {
            if reqwest::get(format!("{base}/healthz"))
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return Self {
                    child,
                    base,
                    _dir: dir,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("dossiersco serve did not answer /healthz within 30 s");
    }

    /// A line of /proc/PID/status, in kB (VmRSS: now; VmHWM: the peak).
    fn memory_kb(&self, field: &str) -> u64 {
        let pid = self.child.id().unwrap();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
    }
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
    let server = Server::start().await;
    // Warm up: one check, so that the baseline includes a checking thread.
    assert_eq!(wrong_sign_in(&server.base, "192.0.2.1", 0).await, 401);
    let baseline = server.memory_kb("VmRSS");
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for round in 0..2 {
        let burst = (0..128).map(|i| {
            let base = server.base.clone();
            tokio::spawn(async move {
                wrong_sign_in(&base, &format!("10.{round}.{}.{}", i / 200, i % 200 + 1), i).await
            })
        });
        for status in futures::future::join_all(burst).await {
            *statuses.entry(status.unwrap()).or_default() += 1;
        }
    }
    let peak = server.memory_kb("VmHWM");
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
