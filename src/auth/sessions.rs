//! A signed-in person's session, whatever the entry point: opened with a
//! random token (only its hash is stored), found again from it while it
//! lives, ended at sign-out. Agents' and families' sessions alike; the web
//! layer carries the token in a cookie.

use sqlx::AnyPool;

use super::keys::{hash_token, random_token};
use crate::db::now_ms;
use crate::db::sessions::{self, Owner, SessionView};

/// Sessions end after this long, whatever happens.
pub const SESSION_LIFETIME_MS: i64 = 12 * 3600 * 1000;
/// … or after this long without a request.
pub const SESSION_IDLE_MS: i64 = 2 * 3600 * 1000;
/// `last_seen_at` is written at most this often.
const TOUCH_EVERY_MS: i64 = 5 * 60 * 1000;

/// Opens a session for `owner` signing in from `ip`; returns the token to
/// hand to the person (never stored).
pub async fn open(pool: &AnyPool, owner: Owner, ip: &str) -> sqlx::Result<String> {
    let token = random_token();
    sessions::create(
        pool,
        &hash_token(&token),
        owner,
        now_ms() + SESSION_LIFETIME_MS,
        ip,
    )
    .await?;
    Ok(token)
}

/// The live session of `token`, if any: an idle one is ended, a used one
/// marked as seen (at most every few minutes).
pub async fn resolve(pool: &AnyPool, token: &str) -> sqlx::Result<Option<SessionView>> {
    let token_hash = hash_token(token);
    match sessions::find_live(pool, &token_hash).await? {
        Some(view) if now_ms() - view.last_seen_at > SESSION_IDLE_MS => {
            sessions::delete(pool, &token_hash).await?;
            Ok(None)
        }
        Some(view) => {
            if now_ms() - view.last_seen_at > TOUCH_EVERY_MS {
                sessions::touch(pool, &token_hash).await?;
            }
            Ok(Some(view))
        }
        None => Ok(None),
    }
}

/// Ends the session named by `token_hash`.
pub async fn close(pool: &AnyPool, token_hash: &str) -> sqlx::Result<()> {
    sessions::delete(pool, token_hash).await
}
