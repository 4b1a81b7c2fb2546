//! A per-IP fixed-window limiter for sign-in attempts, in memory.
//!
//! Each instance counts on its own: with N instances behind a load balancer an
//! address gets at most N times the limit, which still stops brute force; the
//! per-account lockout in the database is the shared backstop.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter {
    limit: u32,
    window: Duration,
    hits: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn per_minute(limit: u32) -> Self {
        Self {
            limit,
            window: Duration::from_secs(60),
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt from `ip`; false when the address is over the limit.
    pub fn check(&self, ip: IpAddr) -> bool {
        self.check_at(ip, Instant::now())
    }

    fn check_at(&self, ip: IpAddr, now: Instant) -> bool {
        let mut hits = self
            .hits
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if hits.len() > 100_000 {
            hits.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = hits.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_stopped_after_the_limit_then_let_in_the_next_minute() {
        let limiter = RateLimiter::per_minute(3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        assert!((0..3).all(|_| limiter.check_at(ip, t0)));
        assert!(!limiter.check_at(ip, t0));
        assert!(limiter.check_at(other, t0));
        assert!(limiter.check_at(ip, t0 + Duration::from_secs(61)));
    }
}
