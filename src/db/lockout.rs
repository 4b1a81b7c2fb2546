//! Family codes locked after failures, for longer each time: after
//! `policy.after` wrong birth dates in a row the code is locked for
//! `policy.for_ms`, then twice as long the next time, and so on up to a day
//! (15 min, 30 min, 1 h … 16 h, 24 h). A known code leaves only the birth date
//! to guess: five tries per quarter of an hour would cover a year of dates in
//! under a day; progressively, it takes months. A successful sign-in or a new
//! code starts again from the beginning. (Agents' failures are counted per
//! address instead: see `auth::throttle`.)

use sqlx::{Any, Pool};

use super::now_ms;

/// How many failures lock a code, and for how long the first time.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub after: i64,
    pub for_ms: i64,
}

/// Whether `locked_until` (as stored) still locks the account now.
pub fn is_locked(locked_until: Option<i64>) -> bool {
    locked_until.is_some_and(|until| until > now_ms())
}

/// The lock after `previous` lockouts, as a multiple of the first one.
pub fn multiplier(previous: i64) -> i64 {
    match previous {
        ..=0 => 1,
        1..=6 => 1 << previous,
        _ => 96,
    }
}

/// Counts one failure of a guardian's code; returns until when the code is
/// now locked, if this failure locked it. The count is one statement (two
/// attempts at once cannot both slip under the limit) and only the failure
/// that reaches the limit sets the lock. Once a lock has expired the count
/// starts again, so the next mistake does not lock the code straight away.
pub async fn record_guardian_failure(
    db: &Pool<Any>,
    id: i64,
    policy: Policy,
) -> sqlx::Result<Option<i64>> {
    let now = now_ms();
    let counted: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE guardians SET
             failed_sign_ins = CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN 1
                                    ELSE failed_sign_ins + 1 END,
             locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN NULL
                                 ELSE locked_until END,
             last_failed_sign_in_at = $2
         WHERE id = $1
         RETURNING failed_sign_ins, sign_in_lockouts",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(db)
    .await?;
    let Some((failures, lockouts)) = counted else {
        return Ok(None);
    };
    if failures != policy.after {
        return Ok(None);
    }
    let until = now + policy.for_ms * multiplier(lockouts);
    let locked = sqlx::query(
        "UPDATE guardians SET locked_until = $2, sign_in_lockouts = sign_in_lockouts + 1
         WHERE id = $1 AND locked_until IS NULL",
    )
    .bind(id)
    .bind(until)
    .execute(db)
    .await?;
    Ok((locked.rows_affected() == 1).then_some(until))
}

#[cfg(test)]
mod tests {
    use super::multiplier;

    #[test]
    fn each_lock_of_a_code_lasts_twice_as_long_up_to_a_day() {
        let quarters: Vec<i64> = (0..9).map(multiplier).collect();
        assert_eq!(quarters, [1, 2, 4, 8, 16, 32, 64, 96, 96]);
    }
}
