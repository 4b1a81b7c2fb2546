//! Sign-in failure limits. Only failures count (a successful sign-in never
//! uses up a limit: families behind one mobile-network address, a school's
//! help session), per key: an address, or one account from one address.
//!
//! Counts live in the database (`sign_in_failures`), so that the limits hold
//! across instances. In front of it, each instance keeps the keys it knows to
//! be locked: a refused request is answered from memory, without touching the
//! database (SQLite has one writer; a flood must not take it).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use sha2::{Digest, Sha256};
use sqlx::{Any, Pool};

use crate::db::{now_ms, sign_in_failures};

/// How many failures in a window lock a key, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub failures: i64,
    pub window_ms: i64,
    /// Counted from the failure that reaches the limit; not shorter than the
    /// window, so that a lock always outlasts the failures that set it.
    pub lock_ms: i64,
}

/// The key of failures from one address. IPv6 addresses count per /64 (what
/// one subscriber gets), IPv4 per address.
pub fn address_key(scope: &str, ip: IpAddr) -> String {
    format!("{scope}:{}", network(ip))
}

/// The key of failures on one account (named by what was typed, known or
/// not, so that the answer never tells whether it exists) from one address.
pub fn account_key(scope: &str, account: &str, ip: IpAddr) -> String {
    let digest = Sha256::digest(account.trim().to_lowercase().as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("{scope}:{hex}:{}", network(ip))
}

fn network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// What a failure did to its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Counted, still under the limit.
    Counted,
    /// This failure reached the limit and locked the key until then (reported
    /// once per lock, e.g. to audit it or tell the account holder).
    Locked(i64),
}

/// Purge rows of expired windows at most this often, per instance.
const PURGE_EVERY_MS: i64 = 10 * 60 * 1000;

#[derive(Default)]
pub struct SignInThrottle {
    locked: Mutex<HashMap<String, i64>>,
    last_purge: AtomicI64,
}

impl SignInThrottle {
    /// Until when `key` is locked, if it is: from memory when this instance
    /// knows it, else from the database (then remembered).
    pub async fn locked_until(&self, db: &Pool<Any>, key: &str) -> sqlx::Result<Option<i64>> {
        let now = now_ms();
        if let Some(until) = self.remembered(key, now) {
            return Ok(Some(until));
        }
        let until = sign_in_failures::locked_until(db, key, now).await?;
        if let Some(until) = until {
            self.remember(key, until, now);
        }
        Ok(until)
    }

    /// Counts a failure for `key` under `limit`.
    pub async fn record_failure(
        &self,
        db: &Pool<Any>,
        key: &str,
        limit: Limit,
    ) -> sqlx::Result<Failure> {
        let now = now_ms();
        self.purge_now_and_then(db, now).await?;
        let failures = sign_in_failures::count(db, key, now, limit.window_ms).await?;
        if failures < limit.failures {
            return Ok(Failure::Counted);
        }
        let until = now + limit.lock_ms.max(limit.window_ms);
        let newly = sign_in_failures::lock(db, key, until, now).await?;
        self.remember(key, until, now);
        Ok(if newly {
            Failure::Locked(until)
        } else {
            Failure::Counted
        })
    }

    /// Forgets the failures of `key` (an account signed in from there).
    pub async fn forget(&self, db: &Pool<Any>, key: &str) -> sqlx::Result<()> {
        self.locked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(key);
        sign_in_failures::forget(db, key).await
    }

    fn remembered(&self, key: &str, now: i64) -> Option<i64> {
        let locked = self
            .locked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        locked.get(key).copied().filter(|until| *until > now)
    }

    fn remember(&self, key: &str, until: i64, now: i64) {
        let mut locked = self
            .locked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if locked.len() >= 100_000 {
            locked.retain(|_, until| *until > now);
        }
        locked.insert(key.to_owned(), until);
    }

    async fn purge_now_and_then(&self, db: &Pool<Any>, now: i64) -> sqlx::Result<()> {
        let last = self.last_purge.load(Ordering::Relaxed);
        if now - last < PURGE_EVERY_MS
            || self
                .last_purge
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return Ok(());
        }
        // Windows are at most a day long.
        sign_in_failures::purge(db, now - 24 * 3600 * 1000).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_no_account_in_clear_and_group_ipv6_by_subscriber() {
        let v4: IpAddr = "203.0.113.7".parse().unwrap();
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(address_key("agent", v4), "agent:203.0.113.7");
        assert_eq!(address_key("agent", a), address_key("agent", b));
        let key = account_key("agent", " Direction@Demo.fr ", v4);
        assert!(!key.contains("demo"), "{key}");
        assert_eq!(key, account_key("agent", "direction@demo.fr", v4));
        assert_ne!(key, account_key("agent", "secretariat@demo.fr", v4));
    }
}
