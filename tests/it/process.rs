//! The real `dossiersco serve` binary as a child process, for tests that need
//! what only a process has: its own file descriptors, signals, `kill -9`.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::harness::SECRET;

/// A running `dossiersco serve`.
pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// Starts `dossiersco serve` in `dir` on `database_url`, on a free port,
    /// with `settings` as `DOSSIERSCO_*` environment variables; returns once
    /// it listens.
    pub async fn serve(dir: &Path, database_url: &str, settings: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_dossiersco"));
        command
            .arg("serve")
            .current_dir(dir)
            .env("DOSSIERSCO_ADDR", "127.0.0.1:0")
            .env("DOSSIERSCO_DATABASE_URL", database_url)
            .env("DOSSIERSCO_SECRET_KEY", SECRET)
            .env("DOSSIERSCO_WORKER_CONCURRENCY", "0")
            .env("DOSSIERSCO_LOG", "warn,dossiersco=info")
            .env("DOSSIERSCO_LOG_FORMAT", "json");
        for (key, value) in settings {
            command.env(format!("DOSSIERSCO_{}", key.to_uppercase()), value);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the binary starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) else {
                    continue;
                };
                if event["message"] == "listening" {
                    return event["addr"].as_str().map(|a| a.parse().unwrap());
                }
            }
            None
        })
        .await
        .expect("the server did not start listening in time")
        .expect("the server stopped before listening");
        // Keep reading its logs, or it would block on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self { child, addr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("the server is running")
    }

    /// How many file descriptors the server process holds.
    pub fn open_files(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .expect("/proc is readable")
            .count()
    }

    /// `kill -9`: no chance to finish anything.
    pub async fn kill(mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }

    /// SIGTERM, as a process manager would; returns whether it exited with 0
    /// within 20 s.
    pub async fn terminate(mut self) -> bool {
        let killed = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(killed.success());
        matches!(
            tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await,
            Ok(Ok(status)) if status.success()
        )
    }
}
