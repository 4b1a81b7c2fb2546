//! The HTTP/1 accept loop: it replaces `axum::serve`, which has no limits, so
//! that a client cannot hold a connection (and a file descriptor) forever.
//!
//! Three limits, all settings ([`ConnectionLimits`]):
//! - **request headers must arrive within `header_timeout`** of their first
//!   byte ([`HeaderDeadlineIo`]), or the connection is closed;
//! - **a connection waiting for a request** (new, or kept alive after a
//!   response) is closed after `idle_timeout`: this is hyper's own
//!   `header_read_timeout`, whose timer (hyper 1.12, `proto/h1/conn.rs`
//!   `poll_read_head`) starts as soon as hyper waits for a request head,
//!   bytes or not;
//! - **at most `max_connections` are served at once**. Above that the loop
//!   stops calling `accept()`: new connections wait in the kernel's listen
//!   backlog and the oldest is taken as soon as a slot frees. Closing them at
//!   once instead would fail the load balancer's health check the moment the
//!   server is full, even though it can answer a second later; and a
//!   connection waiting in the backlog costs the process no file descriptor.
//!
//! A request's body is not covered here: once its headers are in, a slow
//! upload is bounded only by the request timeout of the router.
//!
//! Shutdown: when the token is cancelled the loop stops accepting, every
//! connection finishes its request in flight and closes, and [`serve`]
//! returns when the last one has (all permits are back).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;
use tower::Service;

/// How long clients may take, and how many may be connected at once.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: u32,
}

impl ConnectionLimits {
    pub fn from_settings(settings: &crate::settings::Settings) -> Self {
        Self {
            header_timeout: Duration::from_secs(settings.http_header_timeout_secs),
            idle_timeout: Duration::from_secs(settings.http_idle_timeout_secs),
            max_connections: settings.http_max_connections,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` is cancelled and every
/// connection has finished.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) {
    let max = limits.max_connections.max(1);
    let slots = Arc::new(Semaphore::new(max as usize));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.idle_timeout);
    loop {
        // Take a slot before accepting: when none is free, connections wait
        // in the kernel backlog.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = shutdown.cancelled() => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    drop(slot);
                    wait_after_accept_error(err, &shutdown).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        let connection = serve_connection(
            http.clone(),
            stream,
            remote,
            router.clone(),
            limits.header_timeout,
            shutdown.clone(),
        );
        tokio::spawn(async move {
            connection.await;
            drop(slot);
        });
    }
    drop(listener);
    // Every connection holds a slot until it is closed.
    let _all = slots.acquire_many(max).await;
}

async fn serve_connection(
    http: hyper::server::conn::http1::Builder,
    stream: TcpStream,
    remote: SocketAddr,
    router: Router,
    header_timeout: Duration,
    shutdown: CancellationToken,
) {
    let heads = Arc::new(HeadProgress::default());
    let io = TokioIo::new(HeaderDeadlineIo::new(stream, header_timeout, heads.clone()));
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        heads.received.fetch_add(1, Ordering::Relaxed);
        heads.awaiting.store(false, Ordering::Relaxed);
        request.extensions_mut().insert(ConnectInfo(remote));
        let mut router = router.clone();
        let heads = heads.clone();
        async move {
            let response = router.call(request.map(Body::new)).await;
            heads.awaiting.store(true, Ordering::Relaxed);
            response
        }
    });
    let connection = http.serve_connection(io, service);
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(err) = result {
        tracing::debug!(client.addr = %remote, error = %err, "connection closed on an error");
    }
}

/// Too many open files and the like: wait a little for connections to close
/// rather than spin (as hyper 0.14 and axum do).
async fn wait_after_accept_error(err: io::Error, shutdown: &CancellationToken) {
    if matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %err, "cannot accept a connection");
    tokio::select! {
        () = tokio::time::sleep(Duration::from_secs(1)) => {},
        () = shutdown.cancelled() => {},
    }
}

/// Where a connection stands, shared by its socket and its service.
struct HeadProgress {
    /// No request is being handled: bytes read now belong to a request head.
    awaiting: AtomicBool,
    /// Request heads received so far: a deadline armed for an earlier head
    /// is void.
    received: AtomicU64,
}

impl Default for HeadProgress {
    fn default() -> Self {
        Self {
            awaiting: AtomicBool::new(true),
            received: AtomicU64::new(0),
        }
    }
}

/// A socket that fails its reads once a request head has been arriving for
/// longer than `header_timeout`: the clock starts at the first byte read
/// while the connection waits for a request, and stops when the request
/// reaches the router.
///
/// hyper's own `header_read_timeout` cannot do this: it starts before any
/// byte, so it would also close idle keep-alive connections after the same
/// short delay.
struct HeaderDeadlineIo {
    inner: TcpStream,
    header_timeout: Duration,
    heads: Arc<HeadProgress>,
    /// The deadline of the head being received, and which head it is.
    deadline: Option<(u64, Pin<Box<Sleep>>)>,
}

impl HeaderDeadlineIo {
    fn new(inner: TcpStream, header_timeout: Duration, heads: Arc<HeadProgress>) -> Self {
        Self {
            inner,
            header_timeout,
            heads,
            deadline: None,
        }
    }
}

impl AsyncRead for HeaderDeadlineIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = Pin::new(&mut this.inner).poll_read(cx, buf);
        let received = this.heads.received.load(Ordering::Relaxed);
        if !this.heads.awaiting.load(Ordering::Relaxed) {
            this.deadline = None;
            return read;
        }
        if this
            .deadline
            .as_ref()
            .is_some_and(|(head, _)| *head != received)
        {
            this.deadline = None;
        }
        let got_bytes = matches!(read, Poll::Ready(Ok(()))) && buf.filled().len() > before;
        if got_bytes && this.deadline.is_none() {
            let sleep = tokio::time::sleep_until(Instant::now() + this.header_timeout);
            this.deadline = Some((received, Box::pin(sleep)));
        }
        // Polled on every read, so that the task wakes up at the deadline.
        if let Some((_, deadline)) = &mut this.deadline
            && deadline.as_mut().poll(cx).is_ready()
        {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "request headers not received in time",
            )));
        }
        read
    }
}

impl AsyncWrite for HeaderDeadlineIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
