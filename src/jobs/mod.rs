//! Background jobs: a small queue in the database (see [`queue`]) and a worker
//! that runs them. Jobs are at-least-once: each kind must be idempotent.
//!
//! To add a job: a struct implementing [`Job`], and a line in [`run_one`].

pub mod queue;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::{Any, Executor};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::app::AppState;
use crate::import::jobs::{ImportApplyJob, ImportPreviewJob};
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
        queue::set_progress(self.state.db.pool(), self.job_id, done, total).await?;
        Ok(())
    }
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
        other => Err(anyhow::anyhow!("unknown job kind {other:?}")),
    };
    match outcome {
        Ok(()) => {
            queue::complete(state.db.pool(), row.id).await?;
            tracing::info!(job.id = row.id, job.kind = %row.kind, "job done");
        }
        Err(err) => {
            let message = format!("{err:#}");
            tracing::warn!(job.id = row.id, job.kind = %row.kind, job.attempts = row.attempts, error = %message, "job failed");
            queue::fail(state.db.pool(), &row, &message).await?;
        }
    }
    Ok(())
}

async fn run_payload<J: Job>(payload: &str, ctx: &JobContext) -> anyhow::Result<()> {
    let job: J = serde_json::from_str(payload)?;
    job.run(ctx).await
}

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
                loop {
                    if let Err(err) = queue::requeue_expired(state.db.pool()).await {
                        tracing::error!(error = %err, "could not requeue expired jobs");
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
