//! Background jobs: a small queue in the database (see [`queue`]) and the
//! workers that run them. Jobs are at-least-once: each kind must be idempotent.
//!
//! This module knows no job kind and no application state. A job kind is a
//! struct implementing [`Job`], next to the code it works for (e-mail, import…),
//! naming the [`Job::Context`] it needs (the mailer, the documents store…);
//! the application lists its kinds once, in a [`Registry`] (`app::job_registry`),
//! with how to get each context from its state. To add a job: the struct, its
//! `impl Job`, and one `register` line there.
//!
//! A failure is retried with backoff, unless the job says retrying cannot help
//! ([`permanent`]): then the job fails at once, with its message for the school.

pub mod queue;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::{Any, Executor};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::db::Db;

pub use queue::JobRow;

/// A kind of background work. The payload is the struct itself, as JSON.
pub trait Job: Serialize + DeserializeOwned + Send + 'static {
    /// The name stored in `jobs.kind`. Never rename one that has shipped.
    const KIND: &'static str;

    /// What the job needs to run (given by the [`Registry`] that lists it).
    type Context: Send + Sync + 'static;

    /// Does the work. Called again after a failure, so it must be idempotent.
    fn run(
        self,
        ctx: &JobContext<Self::Context>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// What a running job can use: its context, and progress reporting.
pub struct JobContext<C> {
    pub env: C,
    pub job_id: i64,
    /// This run's attempt (1 for the first) and how many the job may have.
    pub attempt: i64,
    pub max_attempts: i64,
    db: Db,
    live_progress: LiveProgress,
}

impl<C> JobContext<C> {
    /// Reports progress, shown by the pages that follow this job.
    pub async fn progress(&self, done: i64, total: i64) -> anyhow::Result<()> {
        self.live_progress.set(self.job_id, done, total);
        queue::set_progress(self.db.pool(), self.job_id, done, total).await?;
        Ok(())
    }

    /// Whether a failure of this run ends the job (no attempt left).
    pub fn is_last_attempt(&self) -> bool {
        self.attempt >= self.max_attempts
    }

    /// The application's database, for a job that records what it did.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The in-memory progress of this process's jobs, for a job that reports
    /// from inside a long transaction (see [`LiveProgress`]).
    pub fn live_progress(&self) -> &LiveProgress {
        &self.live_progress
    }
}

type RunFn<S> = Box<
    dyn Fn(&S, String, i64, (i64, i64)) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync,
>;

/// The job kinds an application runs, each with how to get its context from
/// the application's state `S`, and the jobs enqueued every hour.
pub struct Registry<S> {
    db: Db,
    live_progress: LiveProgress,
    kinds: HashMap<&'static str, RunFn<S>>,
    hourly: Vec<(&'static str, String)>,
}

impl<S: Send + Sync + 'static> Registry<S> {
    pub fn new(db: Db, live_progress: LiveProgress) -> Self {
        Self {
            db,
            live_progress,
            kinds: HashMap::new(),
            hourly: Vec::new(),
        }
    }

    /// Lists the kind `J`, run with the context `context(state)`.
    pub fn register<J: Job>(mut self, context: fn(&S) -> J::Context) -> Self {
        let db = self.db.clone();
        let live_progress = self.live_progress.clone();
        let run: RunFn<S> = Box::new(move |state, payload, job_id, (attempt, max_attempts)| {
            let ctx = JobContext {
                env: context(state),
                job_id,
                attempt,
                max_attempts,
                db: db.clone(),
                live_progress: live_progress.clone(),
            };
            Box::pin(async move {
                let job: J = serde_json::from_str(&payload)?;
                job.run(&ctx).await
            })
        });
        assert!(
            self.kinds.insert(J::KIND, run).is_none(),
            "job kind {} registered twice",
            J::KIND
        );
        self
    }

    /// Enqueues `job` once an hour, for all instances together (the hour is
    /// in its dedup key). Its kind must be registered.
    pub fn hourly<J: Job>(mut self, job: &J) -> Self {
        let payload = serde_json::to_string(job).expect("a job serialises");
        self.hourly.push((J::KIND, payload));
        self
    }

    /// Enqueues the hourly jobs of the current hour.
    pub async fn enqueue_periodic(&self) -> anyhow::Result<()> {
        let hour = crate::db::now_ms() / 3_600_000;
        for (kind, payload) in &self.hourly {
            let key = format!("{kind}:{hour}");
            queue::enqueue(self.db.pool(), kind, payload, Some(&key), None).await?;
        }
        Ok(())
    }

    /// Claims and runs jobs until none is ready; returns how many ran. Tests
    /// and the `demo` command use it to drain the queue deterministically.
    pub async fn run_until_idle(&self, state: &S, worker: &str) -> anyhow::Result<usize> {
        let mut count = 0;
        while let Some(row) = queue::claim(&self.db, worker).await? {
            self.run_one(state, row).await?;
            count += 1;
        }
        Ok(count)
    }

    /// Runs one claimed job to its end and records the outcome.
    async fn run_one(&self, state: &S, row: JobRow) -> anyhow::Result<()> {
        let outcome = match self.kinds.get(row.kind.as_str()) {
            Some(run) => {
                run(
                    state,
                    row.payload.clone(),
                    row.id,
                    (row.attempts, row.max_attempts),
                )
                .await
            }
            None => Err(anyhow::anyhow!("unknown job kind {:?}", row.kind)),
        };
        self.live_progress.clear(row.id);
        match outcome {
            Ok(()) => {
                queue::complete(self.db.pool(), row.id).await?;
                tracing::info!(job.id = row.id, job.kind = %row.kind, "job done");
            }
            Err(err) => {
                let permanent = err.chain().find_map(|e| e.downcast_ref::<Permanent>());
                let message = permanent.map_or_else(|| format!("{err:#}"), |p| p.0.clone());
                tracing::warn!(job.id = row.id, job.kind = %row.kind, job.attempts = row.attempts,
                    job.permanent = permanent.is_some(), error = %message, "job failed");
                queue::fail(self.db.pool(), &row, &message, permanent.is_some()).await?;
            }
        }
        Ok(())
    }
}

/// The progress of the jobs this process is running, in memory. A job that
/// holds SQLite's write lock — an import writes everything in one transaction
/// — cannot record its progress in `jobs` before it commits (any other write
/// waits for the lock), so the job page also reads it here; on PostgreSQL the
/// table has it as well, for every instance.
#[derive(Clone, Default)]
pub struct LiveProgress(Arc<Mutex<HashMap<i64, (i64, i64)>>>);

impl LiveProgress {
    pub fn set(&self, job_id: i64, done: i64, total: i64) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(job_id, (done, total));
        }
    }

    /// `(done, total)` of a job this process is running.
    pub fn get(&self, job_id: i64) -> Option<(i64, i64)> {
        self.0.lock().ok()?.get(&job_id).copied()
    }

    fn clear(&self, job_id: i64) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(&job_id);
        }
    }
}

/// A failure that retrying cannot fix: the data is wrong, not the moment (a
/// file that no longer passes its checks, a row the database refuses). Its
/// message is shown as is on the job page, so it is written for the school,
/// in French.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Permanent(pub String);

/// Ends a job for good with `message` (see [`Permanent`]): `Err(permanent(…))`.
pub fn permanent(message: impl Into<String>) -> anyhow::Error {
    Permanent(message.into()).into()
}

/// Enqueues `job` inside the caller's transaction or on the pool, so that a
/// job is only created along with the data it works on.
pub async fn enqueue<J: Job>(
    db: impl Executor<'_, Database = Any>,
    job: &J,
    dedup_key: Option<&str>,
    school_id: Option<i64>,
) -> anyhow::Result<i64> {
    let payload = serde_json::to_string(job)?;
    Ok(queue::enqueue(db, J::KIND, &payload, dedup_key, school_id).await?)
}

/// Enqueues `job` to run no sooner than `run_at` (ms since the epoch).
pub async fn enqueue_at<J: Job>(
    db: impl Executor<'_, Database = Any>,
    job: &J,
    school_id: Option<i64>,
    run_at: i64,
) -> anyhow::Result<i64> {
    let payload = serde_json::to_string(job)?;
    Ok(queue::enqueue_at(db, J::KIND, &payload, school_id, run_at).await?)
}

/// How often a worker enqueues the periodic jobs.
const PERIODIC_CHECK: Duration = Duration::from_secs(600);

/// Wakes idle workers when a job is enqueued by this process.
#[derive(Clone, Default)]
pub struct JobSignal(Arc<Notify>);

impl JobSignal {
    pub fn notify(&self) {
        self.0.notify_waiters();
    }
}

/// Starts `concurrency` worker tasks that stop when `shutdown` is cancelled,
/// polling every `poll` and woken by `signal`.
pub fn spawn_workers<S: Clone + Send + Sync + 'static>(
    registry: Arc<Registry<S>>,
    state: S,
    concurrency: usize,
    poll: Duration,
    signal: JobSignal,
    shutdown: CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..concurrency)
        .map(|n| {
            let registry = Arc::clone(&registry);
            let state = state.clone();
            let signal = signal.clone();
            let shutdown = shutdown.clone();
            let name = format!("{}-{}", std::process::id(), n);
            tokio::spawn(async move {
                let mut next_periodic = tokio::time::Instant::now();
                loop {
                    if let Err(err) = queue::requeue_expired(registry.db.pool()).await {
                        tracing::error!(error = %err, "could not requeue expired jobs");
                    }
                    if tokio::time::Instant::now() >= next_periodic {
                        if let Err(err) = registry.enqueue_periodic().await {
                            tracing::error!(
                                error = format!("{err:#}"),
                                "could not enqueue periodic jobs"
                            );
                        }
                        next_periodic = tokio::time::Instant::now() + PERIODIC_CHECK;
                    }
                    if let Err(err) = registry.run_until_idle(&state, &name).await {
                        tracing::error!(error = format!("{err:#}"), "worker error");
                    }
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = signal.0.notified() => {}
                        _ = tokio::time::sleep(poll) => {}
                    }
                }
            })
        })
        .collect()
}
