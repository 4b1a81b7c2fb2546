//! The dossier, as the family and the school act on it. [`transition`] is the
//! one way a dossier changes state: the rule (`domain::dossier_state`), the
//! write guarded by the state it was read in, and the record of who moved it,
//! from where and why — for the family (open, send) and the school
//! (validate, send back, mark as leaving) alike. [`diff`] is what changed in
//! it, read the same by the family's summary and receipt and the school's
//! list and dossier page; [`messages`] what the family receives about it.

pub mod decisions;
pub mod diff;
pub mod entries_cache;
pub mod facts;
pub mod messages;
pub mod refusals;
pub mod review;
pub mod timeline;

use sqlx::AnyConnection;

use crate::db::dossiers;
use crate::domain::dossier_state::{Actor, DossierState, Event};

/// Who moves a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Guardian(i64),
    Agent(i64),
}

impl By {
    fn actor(self) -> Actor {
        match self {
            By::Guardian(_) => Actor::Guardian,
            By::Agent(_) => Actor::Agent,
        }
    }

    fn parts(self) -> (&'static str, i64) {
        match self {
            By::Guardian(id) => ("guardian", id),
            By::Agent(id) => ("agent", id),
        }
    }
}

/// A move asked for: `event` on the dossier of `school_id`, read in state
/// `from`, by `by` from address `ip`, with a `reason` (a send-back's, kept
/// for the family; empty otherwise).
#[derive(Debug, Clone, Copy)]
pub struct Move<'a> {
    pub school_id: i64,
    pub dossier_id: i64,
    pub from: DossierState,
    pub event: Event,
    pub by: By,
    pub ip: &'a str,
    pub reason: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    /// The rules do not allow this event from this state (or to this actor).
    #[error("not allowed from {0:?}")]
    NotAllowed(DossierState),
    /// The dossier is no longer in the state it was read in: another request
    /// moved it first. Nothing was written.
    #[error("the dossier was moved meanwhile")]
    Moved,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Applies `m` inside the caller's transaction (`conn`: `&mut *tx`), so that
/// what goes with the move (an e-mail job, the family's next step) is written
/// with it or not at all. Returns the new state.
pub async fn transition(conn: &mut AnyConnection, m: Move<'_>) -> Result<DossierState, MoveError> {
    let to = m
        .from
        .apply(m.event, m.by.actor())
        .map_err(|_| MoveError::NotAllowed(m.from))?;
    let submitted_by = match (m.event, m.by) {
        (Event::Submit, By::Guardian(id)) => Some(id),
        _ => None,
    };
    let return_reason = (m.event == Event::Return).then_some(m.reason);
    let moved = dossiers::move_state(
        &mut *conn,
        m.school_id,
        m.dossier_id,
        m.from,
        to,
        submitted_by,
        return_reason,
    )
    .await?;
    if !moved {
        return Err(MoveError::Moved);
    }
    let (kind, id) = m.by.parts();
    dossiers::record_transition(
        &mut *conn,
        m.dossier_id,
        m.from,
        to,
        kind,
        id,
        m.ip,
        m.reason,
    )
    .await?;
    Ok(to)
}
