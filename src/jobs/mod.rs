//! Background jobs: a small queue in the database (see [`queue`]) and a worker
//! that runs them. Jobs are at-least-once: each kind must be idempotent.
//!
//! To add a job: a struct implementing [`Job`], and a line in [`run_one`].
//!
//! A failure is retried with backoff, unless the job says retrying cannot help
//! ([`permanent`]): then the job fails at once, with its message for the school.

pub mod queue;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::{Any, Executor};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::app::AppState;
use crate::import::jobs::{ImportApplyJob, ImportPreviewJob, PurgeImportFilesJob};
use crate::mail::SendEmailJob;

pub use queue::JobRow;

/// A kind of background work. The payload is the struct itself, as JSON.
pub trait Job: Serialize + DeserializeOwned + Send {
    /// The name stored in `jobs.kind`. Never rename one that has shipped.
    const KIND: &'static str;

    /// Does the work. Called again after a failure, so it must be idempotent.
    fn run(self, ctx: &JobContext) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// What a running job can use.
pub struct JobContext {
    pub state: AppState,
    pub job_id: i64,
}

impl JobContext {
    /// Reports progress, shown by the pages that follow this job.
    pub async fn progress(&self, done: i64, total: i64) -> anyhow::Result<()> {
        self.state.live_progress.set(self.job_id, done, total);
        queue::set_progress(self.state.db.pool(), self.job_id, done, total).await?;
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

/// Runs one claimed job to its end and records the outcome.
async fn run_one(state: &AppState, row: JobRow) -> anyhow::Result<()> {
    let ctx = JobContext {
        state: state.clone(),
        job_id: row.id,
    };
    let outcome = match row.kind.as_str() {
        SendEmailJob::KIND => run_payload::<SendEmailJob>(&row.payload, &ctx).await,
        ImportPreviewJob::KIND => run_payload::<ImportPreviewJob>(&row.payload, &ctx).await,
        ImportApplyJob::KIND => run_payload::<ImportApplyJob>(&row.payload, &ctx).await,
        PurgeImportFilesJob::KIND => run_payload::<PurgeImportFilesJob>(&row.payload, &ctx).await,
        other => Err(anyhow::anyhow!("unknown job kind {other:?}")),
    };
    state.live_progress.clear(row.id);
    match outcome {
        Ok(()) => {
            queue::complete(state.db.pool(), row.id).await?;
            tracing::info!(job.id = row.id, job.kind = %row.kind, "job done");
        }
        Err(err) => {
            let permanent = err.chain().find_map(|e| e.downcast_ref::<Permanent>());
            let message = permanent.map_or_else(|| format!("{err:#}"), |p| p.0.clone());
            tracing::warn!(job.id = row.id, job.kind = %row.kind, job.attempts = row.attempts,
                job.permanent = permanent.is_some(), error = %message, "job failed");
            queue::fail(state.db.pool(), &row, &message, permanent.is_some()).await?;
        }
    }
    Ok(())
}

async fn run_payload<J: Job>(payload: &str, ctx: &JobContext) -> anyhow::Result<()> {
    let job: J = serde_json::from_str(payload)?;
    job.run(ctx).await
}

/// Enqueues the periodic jobs of the current hour (the purge of uploaded
/// import files). Every worker calls it now and then; the hour in the dedup
/// key makes it one job per hour for all instances together.
pub async fn enqueue_periodic(state: &AppState) -> anyhow::Result<()> {
    let hour = crate::db::now_ms() / 3_600_000;
    let key = format!("{}:{hour}", PurgeImportFilesJob::KIND);
    enqueue(state.db.pool(), &PurgeImportFilesJob {}, Some(&key), None).await?;
    Ok(())
}

/// How often a worker calls [`enqueue_periodic`].
const PERIODIC_CHECK: Duration = Duration::from_secs(600);

/// Claims and runs jobs until none is ready; returns how many ran. Tests and
/// the `demo` command use it to drain the queue deterministically.
pub async fn run_until_idle(state: &AppState, worker: &str) -> anyhow::Result<usize> {
    let mut count = 0;
    while let Some(row) = queue::claim(&state.db, worker).await? {
        run_one(state, row).await?;
        count += 1;
    }
    Ok(count)
}

/// Wakes idle workers when a job is enqueued by this process.
#[derive(Clone, Default)]
pub struct JobSignal(Arc<Notify>);

impl JobSignal {
    pub fn notify(&self) {
        self.0.notify_waiters();
    }
}

/// Starts `concurrency` worker tasks that stop when `shutdown` is cancelled.
pub fn spawn_workers(
    state: AppState,
    concurrency: usize,
    shutdown: CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    let poll = Duration::from_millis(state.settings.job_poll_interval_ms.max(10));
    (0..concurrency)
        .map(|n| {
            let state = state.clone();
            let shutdown = shutdown.clone();
            let name = format!("{}-{}", std::process::id(), n);
            tokio::spawn(async move {
                let mut next_periodic = tokio::time::Instant::now();
                loop {
                    if let Err(err) = queue::requeue_expired(state.db.pool()).await {
                        tracing::error!(error = %err, "could not requeue expired jobs");
                    }
                    if tokio::time::Instant::now() >= next_periodic {
                        if let Err(err) = enqueue_periodic(&state).await {
                            tracing::error!(
                                error = format!("{err:#}"),
                                "could not enqueue periodic jobs"
                            );
                        }
                        next_periodic = tokio::time::Instant::now() + PERIODIC_CHECK;
                    }
                    match run_until_idle(&state, &name).await {
                        Ok(_) => {}
                        Err(err) => tracing::error!(error = format!("{err:#}"), "worker error"),
                    }
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = state.job_signal.0.notified() => {}
                        _ = tokio::time::sleep(poll) => {}
                    }
                }
            })
        })
        .collect()
}
