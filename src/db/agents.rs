//! School agents: the person (one e-mail, one password), their memberships
//! (a set of roles in each school they work for) and the one-time links
//! e-mailed to them (invitation, new password).

use sqlx::{Any, Executor, FromRow};

use super::{Flag, now_ms};
use crate::domain::RoleSet;

#[derive(Debug, Clone, FromRow)]
pub struct Agent {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub password_hash: Option<String>,
}

/// (`failed_sign_ins` and `locked_until` are no longer used for agents: their
/// failures are counted per address in `sign_in_failures`. `school_id` is
/// only the school where the account was created: memberships give access.)
const COLUMNS: &str = "id, email, display_name, password_hash";

/// E-mails are kept trimmed and in lower case.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub async fn find_by_email(
    db: impl Executor<'_, Database = Any>,
    email: &str,
) -> sqlx::Result<Option<Agent>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM agents WHERE email = $1"
    )))
    .bind(normalise_email(email))
    .fetch_optional(db)
    .await
}

pub async fn find(db: impl Executor<'_, Database = Any>, id: i64) -> sqlx::Result<Option<Agent>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM agents WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Creates an agent (no password yet, unless `password_hash`); returns its id.
pub async fn create(
    db: impl Executor<'_, Database = Any>,
    first_school_id: i64,
    email: &str,
    display_name: &str,
    password_hash: Option<&str>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO agents (school_id, email, display_name, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(first_school_id)
    .bind(normalise_email(email))
    .bind(display_name)
    .bind(password_hash)
    .bind(now_ms())
    .fetch_one(db)
    .await
}

/// Renames the agent and sets their password (the demo refreshing its accounts).
pub async fn update_name_and_password(
    db: impl Executor<'_, Database = Any>,
    id: i64,
    display_name: &str,
    password_hash: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE agents SET display_name = $2, password_hash = $3 WHERE id = $1")
        .bind(id)
        .bind(display_name)
        .bind(password_hash)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn set_password(
    db: impl Executor<'_, Database = Any>,
    id: i64,
    password_hash: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE agents SET password_hash = $2 WHERE id = $1")
        .bind(id)
        .bind(password_hash)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn record_sign_in(db: impl Executor<'_, Database = Any>, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE agents SET last_sign_in_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now_ms())
        .execute(db)
        .await?;
    Ok(())
}

/// Claims the right to tell the agent of failed sign-ins: true (and noted)
/// unless they were told less than `every_ms` ago, so that an attack from
/// many addresses sends at most one message per period.
pub async fn claim_failure_notice(
    db: impl Executor<'_, Database = Any>,
    id: i64,
    now: i64,
    every_ms: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE agents SET failure_notice_at = $2
         WHERE id = $1 AND (failure_notice_at IS NULL OR failure_notice_at <= $3)",
    )
    .bind(id)
    .bind(now)
    .bind(now - every_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

// ---------------------------------------------------------------------------
// Memberships

/// What an agent may do in one school.
#[derive(Debug, Clone, FromRow)]
pub struct Membership {
    pub agent_id: i64,
    pub school_id: i64,
    pub school_uai: String,
    pub school_name: String,
    pub display_name: String,
    roles: i64,
    active: Flag,
}

impl Membership {
    /// The roles (never empty: the database refuses an empty set).
    pub fn roles(&self) -> RoleSet {
        RoleSet::from_bits(self.roles).unwrap_or_default()
    }

    pub fn is_active(&self) -> bool {
        self.active.0
    }
}

const MEMBERSHIP: &str = "SELECT m.agent_id, m.school_id, s.uai AS school_uai, s.name AS school_name,
        a.display_name, m.roles, m.active
     FROM agent_memberships m JOIN schools s ON s.id = m.school_id JOIN agents a ON a.id = m.agent_id";

/// The membership of `agent_id` in the school of UAI `uai`, active or not.
pub async fn membership_by_uai(
    db: impl Executor<'_, Database = Any>,
    agent_id: i64,
    uai: &str,
) -> sqlx::Result<Option<Membership>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{MEMBERSHIP} WHERE m.agent_id = $1 AND s.uai = $2"
    )))
    .bind(agent_id)
    .bind(uai)
    .fetch_optional(db)
    .await
}

/// The membership of `agent_id` in school `school_id`, active or not.
pub async fn membership(
    db: impl Executor<'_, Database = Any>,
    agent_id: i64,
    school_id: i64,
) -> sqlx::Result<Option<Membership>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{MEMBERSHIP} WHERE m.agent_id = $1 AND m.school_id = $2"
    )))
    .bind(agent_id)
    .bind(school_id)
    .fetch_optional(db)
    .await
}

/// The schools where `agent_id` is active, by name.
pub async fn active_memberships(
    db: impl Executor<'_, Database = Any>,
    agent_id: i64,
) -> sqlx::Result<Vec<Membership>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{MEMBERSHIP} WHERE m.agent_id = $1 AND m.active = TRUE ORDER BY s.name, s.uai"
    )))
    .bind(agent_id)
    .fetch_all(db)
    .await
}

/// Adds `agent_id` to `school_id` with `roles`, or gives an existing
/// membership these roles and makes it active again.
pub async fn upsert_membership(
    db: impl Executor<'_, Database = Any>,
    agent_id: i64,
    school_id: i64,
    roles: RoleSet,
) -> sqlx::Result<()> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO agent_memberships (agent_id, school_id, roles, active, created_at, updated_at)
         VALUES ($1, $2, $3, TRUE, $4, $4)
         ON CONFLICT (agent_id, school_id) DO UPDATE SET roles = excluded.roles, active = TRUE,
             updated_at = excluded.updated_at",
    )
    .bind(agent_id)
    .bind(school_id)
    .bind(roles.bits())
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_roles(
    db: impl Executor<'_, Database = Any>,
    agent_id: i64,
    school_id: i64,
    roles: RoleSet,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE agent_memberships SET roles = $3, updated_at = $4 WHERE agent_id = $1 AND school_id = $2",
    )
    .bind(agent_id)
    .bind(school_id)
    .bind(roles.bits())
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_active(
    db: impl Executor<'_, Database = Any>,
    agent_id: i64,
    school_id: i64,
    active: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE agent_memberships SET active = $3, updated_at = $4 WHERE agent_id = $1 AND school_id = $2",
    )
    .bind(agent_id)
    .bind(school_id)
    .bind(active)
    .bind(now_ms())
    .execute(db)
    .await?;
    Ok(())
}

/// Active members of the school with the admin role, `except` left out.
pub async fn count_active_admins_except(
    db: impl Executor<'_, Database = Any>,
    school_id: i64,
    except: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM agent_memberships
         WHERE school_id = $1 AND agent_id <> $2 AND active = TRUE AND (roles & 1) = 1",
    )
    .bind(school_id)
    .bind(except)
    .fetch_one(db)
    .await
}

/// Takes the school's row lock for the rest of the transaction, so that two
/// changes of its team (two admins demoting each other) are serialised on
/// PostgreSQL; SQLite's `BEGIN IMMEDIATE` already serialises writers.
pub async fn lock_team(db: impl Executor<'_, Database = Any>, school_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE schools SET created_at = created_at WHERE id = $1")
        .bind(school_id)
        .execute(db)
        .await?;
    Ok(())
}

/// One line of a school's team.
#[derive(Debug, Clone, FromRow)]
pub struct Member {
    pub agent_id: i64,
    pub email: String,
    pub display_name: String,
    roles: i64,
    active: Flag,
    has_password: Flag,
    pub last_sign_in_at: Option<i64>,
}

impl Member {
    pub fn roles(&self) -> RoleSet {
        RoleSet::from_bits(self.roles).unwrap_or_default()
    }

    pub fn is_active(&self) -> bool {
        self.active.0
    }

    /// Whether the agent has chosen a password (otherwise their invitation
    /// is pending).
    pub fn has_password(&self) -> bool {
        self.has_password.0
    }
}

const MEMBER: &str = "SELECT a.id AS agent_id, a.email, a.display_name, m.roles, m.active,
        (a.password_hash IS NOT NULL) AS has_password, a.last_sign_in_at
     FROM agent_memberships m JOIN agents a ON a.id = m.agent_id";

/// The school's team, active members first, then by name.
pub async fn list_members(
    db: impl Executor<'_, Database = Any>,
    scope: super::SchoolScope,
) -> sqlx::Result<Vec<Member>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{MEMBER} WHERE m.school_id = $1 ORDER BY m.active DESC, a.display_name, a.email"
    )))
    .bind(scope.id())
    .fetch_all(db)
    .await
}

/// One member of the school; `None` for an agent who is not (or another
/// school's).
pub async fn find_member(
    db: impl Executor<'_, Database = Any>,
    scope: super::SchoolScope,
    agent_id: i64,
) -> sqlx::Result<Option<Member>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{MEMBER} WHERE m.school_id = $1 AND m.agent_id = $2"
    )))
    .bind(scope.id())
    .bind(agent_id)
    .fetch_optional(db)
    .await
}

// ---------------------------------------------------------------------------
// One-time links

/// What a one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Join a school and choose a first password (7 days).
    Invitation,
    /// Choose a new password (1 hour).
    PasswordReset,
}

impl LinkPurpose {
    pub fn code(self) -> &'static str {
        match self {
            LinkPurpose::Invitation => "invitation",
            LinkPurpose::PasswordReset => "password_reset",
        }
    }
}

pub async fn create_link(
    db: impl Executor<'_, Database = Any>,
    token_hash: &str,
    agent_id: i64,
    school_id: Option<i64>,
    purpose: LinkPurpose,
    lifetime_ms: i64,
) -> sqlx::Result<()> {
    // One clock reading: the link lives exactly `lifetime_ms`.
    let now = now_ms();
    sqlx::query(
        "INSERT INTO agent_links (token_hash, agent_id, school_id, purpose, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(agent_id)
    .bind(school_id)
    .bind(purpose.code())
    .bind(now)
    .bind(now + lifetime_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Voids the unused links of `agent_id` for `purpose` (a new one replaces
/// them), or of every purpose with `None` (the password was just set);
/// returns how many.
pub async fn void_links(
    db: impl Executor<'_, Database = Any>,
    agent_id: i64,
    purpose: Option<LinkPurpose>,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE agent_links SET used_at = $3
         WHERE agent_id = $1 AND used_at IS NULL AND purpose IN ($2, $4)",
    )
    .bind(agent_id)
    .bind(purpose.unwrap_or(LinkPurpose::Invitation).code())
    .bind(now_ms())
    .bind(purpose.unwrap_or(LinkPurpose::PasswordReset).code())
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// A link that still works: unused and not expired.
#[derive(Debug, Clone, FromRow)]
pub struct LiveLink {
    pub agent_id: i64,
    pub school_id: Option<i64>,
    pub email: String,
    pub display_name: String,
}

/// The live link of this hash and purpose, if any (nothing is changed).
pub async fn live_link(
    db: impl Executor<'_, Database = Any>,
    token_hash: &str,
    purpose: LinkPurpose,
) -> sqlx::Result<Option<LiveLink>> {
    sqlx::query_as(
        "SELECT l.agent_id, l.school_id, a.email, a.display_name
         FROM agent_links l JOIN agents a ON a.id = l.agent_id
         WHERE l.token_hash = $1 AND l.purpose = $2 AND l.used_at IS NULL AND l.expires_at > $3",
    )
    .bind(token_hash)
    .bind(purpose.code())
    .bind(now_ms())
    .fetch_optional(db)
    .await
}

/// Uses the link: true once, for the first caller, while it is live; false
/// for anyone after (two tabs submitting at once: one wins).
pub async fn use_link(
    db: impl Executor<'_, Database = Any>,
    token_hash: &str,
    purpose: LinkPurpose,
) -> sqlx::Result<bool> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE agent_links SET used_at = $3
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(token_hash)
    .bind(purpose.code())
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
