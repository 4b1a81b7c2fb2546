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
use crate::db::Db;
use crate::documents::DocumentStore;
use crate::jobs::{Job, JobContext, permanent, queue};

/// What the import jobs need: the database and the store of uploaded files.
#[derive(Clone)]
pub struct ImportEnv {
    pub db: Db,
    pub documents: DocumentStore,
}

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

/// Deletes the uploaded files that are no longer needed (see
/// [`records::with_files_to_delete`]), for every school; scheduled every hour
/// by the workers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PurgeImportFilesJob {}

/// Most imports handled by one run of [`PurgeImportFilesJob`].
const PURGE_BATCH: i64 = 500;

/// Deletes an import's files from the documents store, then forgets their keys.
async fn delete_files(state: &ImportEnv, row: &ImportRow) -> anyhow::Result<()> {
    let files = row.files();
    for file in files.iter().filter(|f| !f.key.is_empty()) {
        state.documents.delete(&file.key).await.with_context(|| {
            format!(
                "cannot delete the uploaded file {} of import {}",
                file.key, row.id
            )
        })?;
    }
    records::mark_files_deleted(state.db.pool(), row.id, &files).await
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

async fn fetch_files(state: &ImportEnv, row: &ImportRow) -> anyhow::Result<LocalCopies> {
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

async fn copy_to(state: &ImportEnv, key: &str, path: &Path) -> anyhow::Result<()> {
    let (_, mut stream) = state.documents.get_stream(key).await?;
    let mut out = tokio::fs::File::create(path).await?;
    while let Some(chunk) = stream.next().await {
        out.write_all(&chunk?).await?;
    }
    out.flush().await?;
    Ok(())
}

async fn school_of(state: &ImportEnv, school_id: i64) -> anyhow::Result<School> {
    let uai: String = sqlx::query_scalar("SELECT uai FROM schools WHERE id = $1")
        .bind(school_id)
        .fetch_one(state.db.pool())
        .await?;
    Ok(School { id: school_id, uai })
}

impl Job for ImportPreviewJob {
    const KIND: &'static str = "import_preview";
    type Context = ImportEnv;

    async fn run(self, ctx: &JobContext<ImportEnv>) -> anyhow::Result<()> {
        let state = &ctx.env;
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
    type Context = ImportEnv;

    async fn run(self, ctx: &JobContext<ImportEnv>) -> anyhow::Result<()> {
        let state = &ctx.env;
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
            let problem = plan
                .preview
                .problems
                .iter()
                .find(|p| p.fatal)
                .map(|p| p.to_string())
                .unwrap_or_default();
            let message = format!("L'import ne peut plus être appliqué : {problem}");
            records::mark_failed(state.db.pool(), row.id, &message).await?;
            return Err(permanent(message));
        }
        // Progress goes to memory at once (the job page of this instance reads
        // it) and to the table through a side task, on its own connection: on
        // SQLite those writes wait for the import's transaction, so only the
        // latest value is kept meanwhile.
        let (sender, mut receiver) = tokio::sync::watch::channel((0_i64, 0_i64));
        let pool = state.db.pool().clone();
        let job_id = ctx.job_id;
        let reporter = tokio::spawn(async move {
            while receiver.changed().await.is_ok() {
                let (done, total) = *receiver.borrow_and_update();
                let _ = queue::set_progress(&pool, job_id, done, total).await;
            }
        });
        let live = ctx.live_progress().clone();
        let report = move |done: i64, total: i64| {
            live.set(job_id, done, total);
            let _ = sender.send((done, total));
        };
        let result = super::apply(&state.db, &plan, Some(row.id), &report).await;
        drop(report);
        let _ = reporter.await;
        if let Err(err) = result {
            if let Some(rule) = refused_by_the_database(&err) {
                let message = format!(
                    "L'import a été annulé, rien n'a été écrit : les fichiers contredisent une règle de la base de données ({rule})."
                );
                records::mark_failed(state.db.pool(), row.id, &message).await?;
                return Err(permanent(message));
            }
            records::mark_failed(state.db.pool(), row.id, &format!("{err:#}")).await?;
            return Err(err);
        }
        // Applied: the files are no longer needed. A failure here leaves them
        // to the purge job rather than failing an import that is done.
        if let Err(err) = delete_files(state, &row).await {
            tracing::warn!(
                import.id = row.id,
                error = format!("{err:#}"),
                "uploaded files not deleted after the import"
            );
        }
        Ok(())
    }
}

impl Job for PurgeImportFilesJob {
    const KIND: &'static str = "purge_import_files";
    type Context = ImportEnv;

    async fn run(self, ctx: &JobContext<ImportEnv>) -> anyhow::Result<()> {
        let state = &ctx.env;
        let stale_before = crate::db::now_ms() - records::FILES_KEPT_MS;
        let rows =
            records::with_files_to_delete(state.db.pool(), stale_before, PURGE_BATCH).await?;
        for row in &rows {
            delete_files(state, row).await?;
        }
        if !rows.is_empty() {
            tracing::info!(imports = rows.len(), "uploaded import files deleted");
        }
        Ok(())
    }
}

/// The database's message when it refused the data itself (a unique, foreign
/// key, not-null or check constraint): the same files would be refused again,
/// so retrying is useless. Other errors (connection, timeout) may pass later.
fn refused_by_the_database(err: &anyhow::Error) -> Option<String> {
    use sqlx::error::ErrorKind;
    err.chain()
        .find_map(|e| match e.downcast_ref::<sqlx::Error>()? {
            sqlx::Error::Database(db) => match db.kind() {
                ErrorKind::UniqueViolation
                | ErrorKind::ForeignKeyViolation
                | ErrorKind::NotNullViolation
                | ErrorKind::CheckViolation => Some(db.message().to_owned()),
                _ => None,
            },
            _ => None,
        })
}
