//! Passwords: argon2id hashes, checked by a small fixed pool of threads.
//!
//! One argon2 check with the default parameters fills 19 MiB of memory. Run on
//! tokio's blocking pool, every simultaneous sign-in took its own 19 MiB on its
//! own thread, and the allocator kept them (glibc keeps an arena per thread):
//! 128 wrong sign-ins at once took a server from 60 MB to 2.46 GB. Checks
//! therefore run on a few threads that each reuse one buffer, behind a short
//! queue. Memory is bounded by construction (threads × 19 MiB) and a burst
//! beyond the queue is refused at once, so that the caller answers 429 instead
//! of letting requests pile up.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, LazyLock, Mutex};

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, PasswordHasher, Version};
use tokio::sync::oneshot;

/// The largest memory cost accepted from a stored hash (64 MiB of blocks): a
/// hash asking for more is treated as wrong rather than allowed to allocate.
const MAX_BLOCKS: usize = 64 * 1024;

/// Checks waiting for a thread, per thread: the last of a full queue waits
/// for sixteen checks, then a burst beyond it is answered 429 at once.
const QUEUE_PER_THREAD: usize = 16;

/// Hashes a password with argon2id (the crate's default parameters: 19 MiB,
/// two passes). Used when a password is set, which is rare and authenticated.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash password: {e}"))
}

/// The shortest password an agent may choose, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest: enough for any passphrase, short enough to hash cheaply.
pub const MAX_PASSWORD_CHARS: usize = 200;

/// The only rule on a new password: its length (no composition rules, which
/// push people to predictable passwords). `Err` is the French message shown
/// next to the field.
pub fn check_new_password(password: &str) -> Result<(), &'static str> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Err("Le mot de passe doit compter au moins 12 caractères.")
    } else if chars > MAX_PASSWORD_CHARS {
        Err("Le mot de passe ne doit pas dépasser 200 caractères.")
    } else {
        Ok(())
    }
}

/// The pool was full: too many checks at once. Nothing was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many password checks at once")]
pub struct Busy;

struct Check {
    password: String,
    stored: Option<String>,
    answer: oneshot::Sender<bool>,
}

/// A fixed number of threads checking passwords, each with its own reusable
/// argon2 memory. Dropping the pool stops its threads once they are idle.
pub struct PasswordChecker {
    queue: SyncSender<Check>,
    threads: usize,
}

impl PasswordChecker {
    /// A pool of `threads` threads (at least one) and a queue of
    /// [`QUEUE_PER_THREAD`] checks per thread.
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        let (queue, receiver) = sync_channel::<Check>(threads * QUEUE_PER_THREAD);
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..threads {
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("password-check-{i}"))
                .spawn(move || work(&receiver))
                .expect("a thread can be started at start-up");
        }
        Self { queue, threads }
    }

    /// One thread per core, at most four: more would only queue on the CPU.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::new(cores.min(4))
    }

    /// How many checks may run at once.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Whether `password` matches `stored`. Without a stored hash it spends the
    /// same time on a dummy hash, so that response times do not tell which
    /// accounts exist. `Err(Busy)` when the queue is full.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool, Busy> {
        let (answer, answered) = oneshot::channel();
        let check = Check {
            password: password.to_owned(),
            stored: stored.map(str::to_owned),
            answer,
        };
        match self.queue.try_send(check) {
            Ok(()) => answered.await.map_err(|_| Busy),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => Err(Busy),
        }
    }
}

fn work(receiver: &Mutex<Receiver<Check>>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let next = receiver
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .recv();
        let Ok(check) = next else {
            return; // the pool was dropped
        };
        let valid = match check.stored.as_deref() {
            Some(stored) => verify_with(&mut memory, check.password.as_bytes(), stored),
            None => {
                verify_with(&mut memory, check.password.as_bytes(), &DUMMY);
                false
            }
        };
        let _ = check.answer.send(valid);
    }
}

/// A hash of nothing anybody types, checked when an e-mail is unknown.
static DUMMY: LazyLock<String> =
    LazyLock::new(|| hash_password("not a real password").expect("hashing works"));

/// Checks `password` against the PHC string `stored` using `memory` for the
/// argon2 blocks (grown once to the size the hash asks for, then reused).
fn verify_with(memory: &mut Vec<Block>, password: &[u8], stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm.as_str()) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    let blocks = params.block_count();
    if blocks > MAX_BLOCKS {
        return false;
    }
    if memory.len() < blocks {
        memory.resize(blocks, Block::new());
    }
    let mut computed = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt, &mut computed, &mut memory[..blocks])
        .is_ok()
        && constant_time_eq(&computed, expected.as_ref())
}

/// Whether `a` and `b` are equal, in a time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_password_is_checked_on_its_length_only() {
        assert!(check_new_password("onze-caract").is_err());
        assert!(check_new_password("douze-caract").is_ok());
        assert!(check_new_password("aaaaaaaaaaaa").is_ok());
        assert!(check_new_password("éééééééééééé").is_ok());
        assert!(check_new_password(&"a".repeat(200)).is_ok());
        assert!(check_new_password(&"a".repeat(201)).is_err());
    }

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let checker = PasswordChecker::new(1);
        let hash = hash_password("correct horse battery staple").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        let check = |password: &'static str, stored: Option<String>| {
            let checker = &checker;
            async move { checker.verify(password, stored.as_deref()).await.unwrap() }
        };
        assert!(check("correct horse battery staple", Some(hash.clone())).await);
        assert!(!check("Correct horse battery staple", Some(hash.clone())).await);
        assert!(!check("correct horse battery staple", None).await);
        assert!(!check("x", Some("not a hash".into())).await);
        // A hash made by the argon2 crate's own verifier's rules, other parameters.
        let light = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"pw")
        .unwrap()
        .to_string();
        assert!(check("pw", Some(light.clone())).await);
        assert!(!check("pw2", Some(light)).await);
    }

    #[tokio::test]
    async fn a_hash_asking_for_too_much_memory_is_refused_without_allocating_it() {
        let checker = PasswordChecker::new(1);
        let huge = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"pw")
        .unwrap()
        .to_string()
        .replace("m=1024", "m=4194304");
        assert!(!checker.verify("pw", Some(&huge)).await.unwrap());
    }

    #[tokio::test]
    async fn a_burst_beyond_the_queue_is_refused_at_once() {
        let checker = Arc::new(PasswordChecker::new(1));
        let hash = hash_password("pw").unwrap();
        let burst: Vec<_> = (0..40)
            .map(|_| {
                let checker = Arc::clone(&checker);
                let hash = hash.clone();
                tokio::spawn(async move { checker.verify("wrong", Some(&hash)).await })
            })
            .collect();
        let mut busy = 0;
        let mut checked = 0;
        for task in burst {
            match task.await.unwrap() {
                Ok(valid) => {
                    assert!(!valid);
                    checked += 1;
                }
                Err(Busy) => busy += 1,
            }
        }
        // One thread and a queue of eight: at most nine were checked.
        assert!(checked <= 1 + QUEUE_PER_THREAD, "checked {checked}");
        assert!(busy >= 40 - 1 - QUEUE_PER_THREAD, "busy {busy}");
    }
}
