//! Sign-in failures and lockout, the same for agents (password) and
//! guardians (personal code): after `policy.after` failures in a row, the
//! account is locked for `policy.for_ms`.

use sqlx::{Any, Executor};

use super::now_ms;

/// The two kinds of accounts one signs in to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account {
    Agent,
    Guardian,
}

/// The failure update for one table, written once for both (static SQL).
macro_rules! failure_sql {
    ($table:literal) => {
        concat!(
            "UPDATE ",
            $table,
            " SET
                 failed_sign_ins = CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN 1
                                        ELSE failed_sign_ins + 1 END,
                 locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN NULL
                                     WHEN failed_sign_ins + 1 >= $3 THEN $4
                                     ELSE locked_until END
             WHERE id = $1"
        )
    };
}

impl Account {
    fn failure_sql(self) -> &'static str {
        match self {
            Account::Agent => failure_sql!("agents"),
            Account::Guardian => failure_sql!("guardians"),
        }
    }
}

/// How many failures lock an account, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub after: i64,
    pub for_ms: i64,
}

/// Whether `locked_until` (as stored) still locks the account now.
pub fn is_locked(locked_until: Option<i64>) -> bool {
    locked_until.is_some_and(|until| until > now_ms())
}

/// Counts one failure, in one statement (two attempts at once cannot both
/// slip under the limit). Once a lock has expired the count starts again,
/// so the next mistake does not lock the account straight away.
pub async fn record_failure(
    db: impl Executor<'_, Database = Any>,
    account: Account,
    id: i64,
    policy: Policy,
) -> sqlx::Result<()> {
    let now = now_ms();
    sqlx::query(account.failure_sql())
        .bind(id)
        .bind(now)
        .bind(policy.after)
        .bind(now + policy.for_ms)
        .execute(db)
        .await?;
    Ok(())
}
