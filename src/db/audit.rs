//! The audit trail: who did what, when, from where. Never personal data in
//! `subject`: ids and codes only.

use sqlx::{Any, Executor, FromRow};

use super::now_ms;

/// Who acted.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    Agent(i64),
    Guardian(i64),
    System,
    Anonymous,
}

impl Actor {
    fn parts(self) -> (&'static str, Option<i64>) {
        match self {
            Actor::Agent(id) => ("agent", Some(id)),
            Actor::Guardian(id) => ("guardian", Some(id)),
            Actor::System => ("system", None),
            Actor::Anonymous => ("anonymous", None),
        }
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct AuditEvent {
    pub id: i64,
    pub school_id: Option<i64>,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub action: String,
    pub subject: String,
    pub ip: String,
    pub created_at: i64,
    /// `assisted`: done by the agent (the actor) at the desk with the
    /// family; empty otherwise.
    #[sqlx(default)]
    pub mode: String,
}

/// The [`AuditEvent::mode`] of what an agent did at the desk with the family.
pub const ASSISTED: &str = "assisted";

pub async fn record(
    db: impl Executor<'_, Database = Any>,
    school_id: Option<i64>,
    actor: Actor,
    action: &str,
    subject: &str,
    ip: &str,
) -> sqlx::Result<()> {
    let (kind, id) = actor.parts();
    sqlx::query(
        "INSERT INTO audit_events (school_id, actor_kind, actor_id, action, subject, ip, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(school_id)
    .bind(kind)
    .bind(id)
    .bind(action)
    .bind(subject)
    .bind(ip)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(())
}

/// Records `action` done by agent `agent_id` at the desk with the family
/// ([`ASSISTED`]).
pub async fn record_assisted(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    agent_id: i64,
    action: &str,
    subject: &str,
    ip: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_events (school_id, actor_kind, actor_id, action, subject, ip, created_at, mode)
         VALUES ($1, 'agent', $2, $3, $4, $5, $6, $7)",
    )
    .bind(school_id)
    .bind(agent_id)
    .bind(action)
    .bind(subject)
    .bind(ip)
    .bind(now_ms())
    .bind(ASSISTED)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn list_for_school(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<AuditEvent>> {
    sqlx::query_as(
        "SELECT id, school_id, actor_kind, actor_id, action, subject, ip, created_at, mode FROM audit_events
         WHERE school_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(school_id)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Every event, newest first (tests and the operator's CLI).
pub async fn list_recent(
    db: impl Executor<'_, Database = Any>,
    limit: i64,
) -> sqlx::Result<Vec<AuditEvent>> {
    sqlx::query_as(
        "SELECT id, school_id, actor_kind, actor_id, action, subject, ip, created_at, mode FROM audit_events
         ORDER BY created_at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Anonymous refusals (a forged form, a sign-in with an unknown code) are
/// recorded at most once a minute per action and address, the next row
/// saying how many were left out, and at most [`ANONYMOUS_ROWS_PER_MINUTE`]
/// in all: a flood of refused requests must neither fill the table nor hide
/// the useful trail. Every authenticated action is still recorded with
/// [`record`].
#[derive(Default)]
pub struct AnonymousTrail {
    state: std::sync::Mutex<TrailState>,
}

#[derive(Default)]
struct TrailState {
    /// (action, address) → (start of its minute, refusals left out since).
    seen: std::collections::HashMap<(String, String), (i64, u64)>,
    /// Start of the current minute and rows written in it, all keys together.
    minute: (i64, u32),
}

/// Rows written by [`AnonymousTrail`] per minute, all addresses together.
pub const ANONYMOUS_ROWS_PER_MINUTE: u32 = 120;

impl AnonymousTrail {
    /// Records an anonymous refusal unless one like it was recorded in the
    /// last minute (then it is only counted).
    pub async fn record(
        &self,
        db: impl Executor<'_, Database = Any>,
        school_id: Option<i64>,
        action: &str,
        subject: &str,
        ip: &str,
    ) -> sqlx::Result<()> {
        let Some(left_out) = self.admit(action, ip, now_ms()) else {
            return Ok(());
        };
        let subject = if left_out > 0 {
            format!("{subject} (+{left_out} non détaillés)")
        } else {
            subject.to_owned()
        };
        record(db, school_id, Actor::Anonymous, action, &subject, ip).await
    }

    /// Whether to write a row now, with the number of refusals left out
    /// before it.
    fn admit(&self, action: &str, ip: &str, now: i64) -> Option<u64> {
        const MINUTE: i64 = 60_000;
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if now - state.minute.0 >= MINUTE {
            state.minute = (now, 0);
            if state.seen.len() > 10_000 {
                state.seen.retain(|_, (start, _)| now - *start < MINUTE);
            }
        }
        let key = (action.to_owned(), ip.to_owned());
        let entry = state.seen.get(&key).copied();
        match entry {
            Some((start, _)) if now - start < MINUTE => {
                if let Some(e) = state.seen.get_mut(&key) {
                    e.1 += 1;
                }
                None
            }
            _ if state.minute.1 >= ANONYMOUS_ROWS_PER_MINUTE => None,
            _ => {
                state.minute.1 += 1;
                state.seen.insert(key, (now, 0));
                Some(entry.map_or(0, |(_, left_out)| left_out))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_refusals_are_recorded_once_a_minute_per_address_with_the_count_left_out() {
        let trail = AnonymousTrail::default();
        let t0 = 1_000_000;
        assert_eq!(trail.admit("csrf_refused", "192.0.2.1", t0), Some(0));
        for i in 1..=599 {
            assert_eq!(trail.admit("csrf_refused", "192.0.2.1", t0 + i), None);
        }
        assert_eq!(trail.admit("csrf_refused", "192.0.2.2", t0), Some(0));
        assert_eq!(trail.admit("sign_in_failed", "192.0.2.1", t0), Some(0));
        assert_eq!(
            trail.admit("csrf_refused", "192.0.2.1", t0 + 60_000),
            Some(599)
        );
    }

    #[test]
    fn anonymous_rows_are_capped_per_minute_whatever_the_number_of_addresses() {
        let trail = AnonymousTrail::default();
        let t0 = 1_000_000;
        let written = (0..1000)
            .filter(|i| {
                trail
                    .admit("csrf_refused", &format!("10.0.{}.{}", i / 256, i % 256), t0)
                    .is_some()
            })
            .count();
        assert_eq!(written, ANONYMOUS_ROWS_PER_MINUTE as usize);
        assert!(
            trail
                .admit("csrf_refused", "10.9.9.9", t0 + 60_000)
                .is_some()
        );
    }
}
