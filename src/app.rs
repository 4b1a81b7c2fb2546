//! Builds the application from settings: the one place where the database,
//! the documents store, the mailer and the keys are put together. The server,
//! the worker, the CLI commands and the tests all start here.

use std::sync::Arc;

use anyhow::Context;

use crate::auth::keys::Keys;
use crate::auth::passwords::PasswordChecker;
use crate::auth::throttle::SignInThrottle;
use crate::db::Db;
use crate::db::audit::AnonymousTrail;
use crate::documents::DocumentStore;
use crate::exports::job::{ExportsEnv, MakeExportJob, PurgeExportsJob};
use crate::import::jobs::{ImportApplyJob, ImportEnv, ImportPreviewJob, PurgeImportFilesJob};
use crate::jobs::{JobSignal, LiveProgress, Registry};
use crate::letters::job::{LettersEnv, MakeLettersJob, PurgeLettersJob};
use crate::mail::{Mailer, SendEmailJob};
use crate::settings::Settings;
use crate::sms::{SendSmsJob, SmsSender};

/// Everything a request handler or a job needs; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub settings: Settings,
    pub db: Db,
    pub documents: DocumentStore,
    pub mailer: Mailer,
    pub sms: SmsSender,
    pub keys: Keys,
    /// Checks passwords on a few threads with bounded memory.
    pub passwords: PasswordChecker,
    /// Sign-in failure limits (database-backed, locked keys in memory).
    pub sign_in_throttle: SignInThrottle,
    /// Anonymous refusals, recorded without letting a flood fill the table.
    pub anonymous_audit: AnonymousTrail,
    pub job_signal: JobSignal,
    pub live_progress: LiveProgress,
    /// The school lists' entries, recomputed where the data changed.
    pub entries: crate::dossier::entries_cache::EntriesCache,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Connects to everything the settings name and applies migrations.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        // Created where needed (database, documents, key) owner-only; an
        // existing data folder left readable by others is tightened.
        crate::private_fs::tighten(&settings.data_dir, 0o700)
            .context("cannot restrict the data folder to its owner")?;
        let db = Db::connect(&settings.database_url(), settings.database_max_connections)
            .await
            .context("cannot open the database")?;
        db.migrate().await?;
        let documents =
            DocumentStore::from_settings(&settings).context("cannot open the documents store")?;
        let mailer = Mailer::from_settings(&settings, &db).context("invalid mail settings")?;
        let sms = SmsSender::from_settings(&settings, &db).context("invalid SMS settings")?;
        let keys = Keys::from_settings(&settings)?;
        let check_list_cache = settings.check_list_cache;
        Ok(AppState(Arc::new(Inner {
            settings,
            db,
            documents,
            mailer,
            sms,
            keys,
            passwords: PasswordChecker::for_this_machine(),
            sign_in_throttle: SignInThrottle::default(),
            anonymous_audit: AnonymousTrail::default(),
            job_signal: JobSignal::default(),
            live_progress: LiveProgress::default(),
            entries: crate::dossier::entries_cache::EntriesCache::new(check_list_cache),
        })))
    }
}

/// Every kind of background job, with the part of the state it works with,
/// and the jobs enqueued every hour. The worker and the tests use this list.
pub fn job_registry(state: &AppState) -> Registry<AppState> {
    Registry::new(state.db.clone(), state.live_progress.clone())
        .register::<SendEmailJob>(|state: &AppState| state.mailer.clone())
        .register::<SendSmsJob>(|state: &AppState| state.sms.clone())
        .register::<ImportPreviewJob>(import_env)
        .register::<ImportApplyJob>(import_env)
        .register::<PurgeImportFilesJob>(import_env)
        .register::<MakeLettersJob>(letters_env)
        .register::<PurgeLettersJob>(letters_env)
        .register::<crate::reminders::SendRemindersJob>(reminders_env)
        .register::<MakeExportJob>(exports_env)
        .register::<PurgeExportsJob>(exports_env)
        .hourly(&PurgeImportFilesJob {})
        .hourly(&PurgeLettersJob {})
        .hourly(&PurgeExportsJob {})
}

fn exports_env(state: &AppState) -> ExportsEnv {
    ExportsEnv {
        db: state.db.clone(),
        documents: state.documents.clone(),
        retention_ms: i64::from(state.settings.export_retention_hours) * 3_600_000,
    }
}

fn letters_env(state: &AppState) -> LettersEnv {
    LettersEnv {
        db: state.db.clone(),
        documents: state.documents.clone(),
        base_url: state.settings.base_url.clone(),
    }
}

fn reminders_env(state: &AppState) -> crate::reminders::RemindersEnv {
    crate::reminders::RemindersEnv {
        db: state.db.clone(),
        settings: state.settings.clone(),
        job_signal: state.job_signal.clone(),
    }
}

fn import_env(state: &AppState) -> ImportEnv {
    ImportEnv {
        db: state.db.clone(),
        documents: state.documents.clone(),
    }
}

/// Runs every ready job in this task until none is left; returns how many
/// ran (tests and the demo drain the queue with it).
pub async fn run_jobs_until_idle(state: &AppState, worker: &str) -> anyhow::Result<usize> {
    job_registry(state).run_until_idle(state, worker).await
}
