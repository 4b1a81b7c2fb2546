//! The running process: the web server and the background workers on one
//! [`AppState`], until shutdown. Sits above both `app` (the state) and `web`
//! (the router), so that neither imports the other in both directions.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::app::{AppState, job_registry};
use crate::jobs;
use crate::settings::Settings;

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
            Arc::new(job_registry(&self.state)),
            self.state.clone(),
            self.state.settings.worker_concurrency,
            Duration::from_millis(self.state.settings.job_poll_interval_ms.max(10)),
            self.state.job_signal.clone(),
            shutdown.clone(),
        );
        let router = crate::web::router(self.state.clone());
        crate::web::server::serve(
            self.listener,
            router,
            crate::web::server::ConnectionLimits::from_settings(&self.state.settings),
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
