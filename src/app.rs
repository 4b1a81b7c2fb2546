//! Builds the application from settings: the one place where the database,
//! the documents store, the mailer and the keys are put together. The server,
//! the worker, the CLI commands and the tests all start here.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::db::Db;
use crate::documents::DocumentStore;
use crate::jobs::{self, JobSignal, LiveProgress};
use crate::mail::Mailer;
use crate::settings::Settings;
use crate::web::keys::Keys;
use crate::web::rate_limit::RateLimiter;

/// Everything a request handler or a job needs; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub settings: Settings,
    pub db: Db,
    pub documents: DocumentStore,
    pub mailer: Mailer,
    pub keys: Keys,
    pub sign_in_limiter: RateLimiter,
    pub job_signal: JobSignal,
    pub live_progress: LiveProgress,
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
        let db = Db::connect(&settings.database_url(), settings.database_max_connections)
            .await
            .context("cannot open the database")?;
        db.migrate().await?;
        let documents =
            DocumentStore::from_settings(&settings).context("cannot open the documents store")?;
        let mailer = Mailer::from_settings(&settings, &db).context("invalid mail settings")?;
        let keys = Keys::from_settings(&settings)?;
        let sign_in_limiter = RateLimiter::per_minute(settings.sign_in_attempts_per_minute);
        Ok(AppState(Arc::new(Inner {
            settings,
            db,
            documents,
            mailer,
            keys,
            sign_in_limiter,
            job_signal: JobSignal::default(),
            live_progress: LiveProgress::default(),
        })))
    }
}

/// A server bound to its address, not yet serving.
pub struct App {
    pub state: AppState,
    listener: TcpListener,
}

impl App {
    /// Builds the state and binds the listener (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let addr = settings.addr;
        let state = AppState::build(settings).await?;
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        Ok(Self { state, listener })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    /// Serves requests and runs the workers until `shutdown` is cancelled,
    /// then finishes the requests in flight and stops.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let workers = jobs::spawn_workers(
            self.state.clone(),
            self.state.settings.worker_concurrency,
            shutdown.clone(),
        );
        let router = crate::web::router(self.state.clone());
        crate::web::server::serve(
            self.listener,
            router,
            self.state.settings.connection_limits(),
            shutdown.clone(),
        )
        .await;
        shutdown.cancel();
        for worker in workers {
            let _ = worker.await;
        }
        self.state.db.close().await;
        Ok(())
    }
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested");
}
