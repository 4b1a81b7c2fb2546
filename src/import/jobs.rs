//! The two background jobs of a web import: the preview (read the uploaded
//! files, compare, record what would happen) and the import itself (read
//! again, apply in one transaction, report progress). Both are idempotent:
//! a preview is recomputed, an applied import is not applied twice.

use std::path::{Path, PathBuf};

use anyhow::Context;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use super::records::{self, ImportRow};
use super::{InputFile, School};
use crate::app::AppState;
use crate::jobs::{Job, JobContext, queue};

/// Computes the preview of an uploaded import.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportPreviewJob {
    pub import_id: i64,
    pub school_id: i64,
}

/// Applies a previewed import the agent confirmed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportApplyJob {
    pub import_id: i64,
    pub school_id: i64,
}

/// The uploaded files, copied from the documents store to a private folder
/// (the parsers read files); the folder goes when this is dropped.
struct LocalCopies {
    dir: PathBuf,
    files: Vec<InputFile>,
}

impl Drop for LocalCopies {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn fetch_files(state: &AppState, row: &ImportRow) -> anyhow::Result<LocalCopies> {
    let dir = std::env::temp_dir().join(format!(
        "dossiersco-import-{}-{}",
        row.id,
        uuid::Uuid::new_v4().simple()
    ));
    tokio::fs::create_dir_all(&dir).await?;
    let mut copies = LocalCopies {
        dir: dir.clone(),
        files: Vec::new(),
    };
    for (n, file) in row.files().into_iter().enumerate() {
        let path = dir.join(n.to_string());
        copy_to(state, &file.key, &path)
            .await
            .with_context(|| format!("cannot fetch the uploaded file {n} of import {}", row.id))?;
        copies.files.push(InputFile {
            name: file.name,
            path,
        });
    }
    Ok(copies)
}

async fn copy_to(state: &AppState, key: &str, path: &Path) -> anyhow::Result<()> {
    let (_, mut stream) = state.documents.get_stream(key).await?;
    let mut out = tokio::fs::File::create(path).await?;
    while let Some(chunk) = stream.next().await {
        out.write_all(&chunk?).await?;
    }
    out.flush().await?;
    Ok(())
}

async fn school_of(state: &AppState, school_id: i64) -> anyhow::Result<School> {
    let uai: String = sqlx::query_scalar("SELECT uai FROM schools WHERE id = $1")
        .bind(school_id)
        .fetch_one(state.db.pool())
        .await?;
    Ok(School { id: school_id, uai })
}

impl Job for ImportPreviewJob {
    const KIND: &'static str = "import_preview";

    async fn run(self, ctx: &JobContext) -> anyhow::Result<()> {
        let state = &ctx.state;
        let Some(row) = records::find(state.db.pool(), self.school_id, self.import_id).await?
        else {
            return Ok(());
        };
        if row.status != "previewing" {
            return Ok(());
        }
        ctx.progress(0, 2).await?;
        let school = school_of(state, self.school_id).await?;
        let copies = fetch_files(state, &row).await?;
        ctx.progress(1, 2).await?;
        let plan = super::plan(&state.db, &school, &copies.files).await?;
        records::save_preview(state.db.pool(), row.id, &plan.preview).await?;
        Ok(())
    }
}

impl Job for ImportApplyJob {
    const KIND: &'static str = "import_apply";

    async fn run(self, ctx: &JobContext) -> anyhow::Result<()> {
        let state = &ctx.state;
        let Some(row) = records::find(state.db.pool(), self.school_id, self.import_id).await?
        else {
            return Ok(());
        };
        if row.status == "done" {
            return Ok(());
        }
        let school = school_of(state, self.school_id).await?;
        let copies = fetch_files(state, &row).await?;
        // The database may have changed since the preview: compute again.
        let plan = super::plan(&state.db, &school, &copies.files).await?;
        if !plan.is_applicable() {
            let message = plan
                .preview
                .problems
                .iter()
                .find(|p| p.fatal)
                .map(|p| p.to_string())
                .unwrap_or_default();
            records::mark_failed(state.db.pool(), row.id, &message).await?;
            anyhow::bail!("import {} cannot be applied: {message}", row.id);
        }
        // Progress is written by a side task: on SQLite its writes wait for the
        // import's transaction, so only the latest value is kept meanwhile.
        let (sender, mut receiver) = tokio::sync::watch::channel((0_i64, 0_i64));
        let pool = state.db.pool().clone();
        let job_id = ctx.job_id;
        let reporter = tokio::spawn(async move {
            while receiver.changed().await.is_ok() {
                let (done, total) = *receiver.borrow_and_update();
                let _ = queue::set_progress(&pool, job_id, done, total).await;
            }
        });
        let report = move |done: i64, total: i64| {
            let _ = sender.send((done, total));
        };
        let result = super::apply(&state.db, &plan, Some(row.id), &report).await;
        drop(report);
        let _ = reporter.await;
        if let Err(err) = result {
            let message = format!("{err:#}");
            records::mark_failed(state.db.pool(), row.id, &message).await?;
            return Err(err);
        }
        Ok(())
    }
}
