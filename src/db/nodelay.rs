//! `TCP_NODELAY` on the sockets to PostgreSQL — a workaround for sqlx 0.9.0.
//!
//! sqlx 0.8 set `TCP_NODELAY` on its TCP streams; 0.9.0 dropped it (upstream
//! issue transact-rs/sqlx#4335, fixed by #4336, merged but not released on
//! 2026-11-22). Over TLS, sqlx writes a request as several records, and the
//! last one waits for the server's delayed ACK: about 40 ms per round trip.
//! It made the PostgreSQL import about twice as slow; the web journeys of the
//! load scenario did not hit it (see docs/BENCHMARKS.md).
//!
//! sqlx gives no access to its socket, so once a connection is open
//! (`after_connect`) we set the option on this process's TCP sockets whose
//! peer is the database's port. **Remove this module** once a sqlx release
//! contains #4336 (`cargo update -p sqlx --dry-run`).

/// Sets `TCP_NODELAY` on every TCP socket of this process connected to
/// `port`; returns how many were changed. Linux only (reads `/proc/self/fd`);
/// does nothing elsewhere.
pub fn set_on_sockets_to(port: u16) -> usize {
    let mut changed = 0;
    for_each_socket_to(port, |socket| {
        if socket.tcp_nodelay().ok() == Some(false) && socket.set_tcp_nodelay(true).is_ok() {
            changed += 1;
        }
    });
    changed
}

/// Whether the socket whose local port is `local_port` and peer port is
/// `port` has `TCP_NODELAY` (`None`: no such socket).
pub fn is_set(local_port: u16, port: u16) -> Option<bool> {
    let mut found = None;
    for_each_socket_to(port, |socket| {
        let local = socket.local_addr().ok().and_then(|a| a.as_socket());
        if local.is_some_and(|a| a.port() == local_port) {
            found = socket.tcp_nodelay().ok();
        }
    });
    found
}

#[cfg(target_os = "linux")]
fn for_each_socket_to(port: u16, mut f: impl FnMut(&socket2::SockRef<'_>)) {
    use std::os::fd::{BorrowedFd, RawFd};
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<RawFd>().ok())
        else {
            continue;
        };
        let is_socket = std::fs::read_link(entry.path())
            .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"));
        if !is_socket {
            continue;
        }
        // SAFETY: `fd` was open a moment ago and is only borrowed for two
        // socket calls. If another thread closed it meanwhile, the calls fail
        // (EBADF, ENOTSOCK) and nothing happens; if its number was reused by
        // another socket, the peer check below still only lets a socket to
        // the database through. No memory is at stake, only which descriptor
        // the calls reach.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let socket = socket2::SockRef::from(&borrowed);
        let peer = socket.peer_addr().ok().and_then(|a| a.as_socket());
        if peer.is_some_and(|a| a.port() == port) {
            f(&socket);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn for_each_socket_to(_port: u16, _f: impl FnMut(&socket2::SockRef<'_>)) {}
