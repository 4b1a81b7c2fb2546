//! Who may see what. Handlers of the school back-office take a
//! [`CurrentAgent<P>`] argument: the extractor refuses the request unless an
//! agent is signed in, is an active member of the `{uai}` school of the URL,
//! and one of their roles in that school is allowed by the permission `P`. A handler cannot be written
//! without stating its permission, and cannot reach another school's data by
//! changing the URL.

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;

use super::error::AppError;
use super::session::RequestContext;
use crate::app::AppState;
use crate::db::{agents, audit};
use crate::domain::RoleSet;
use crate::domain::role::Permission;

/// The signed-in agent, checked against the school of the URL and the
/// permission `P`.
#[derive(Debug)]
pub struct CurrentAgent<P> {
    pub agent_id: i64,
    pub display_name: String,
    /// The agent's roles in this school.
    pub roles: RoleSet,
    pub school_id: i64,
    pub school_uai: String,
    pub school_name: String,
    pub ctx: RequestContext,
    _permission: PhantomData<P>,
}

impl<P> CurrentAgent<P> {
    /// The scope of this agent's school, for the back-office data functions.
    pub fn scope(&self) -> crate::db::SchoolScope {
        crate::db::SchoolScope::of_signed_in_agent(self.school_id)
    }

    /// Records `action` on `subject` in the audit trail, as this agent, from
    /// this request's address.
    pub async fn audit(
        &self,
        db: impl sqlx::Executor<'_, Database = sqlx::Any>,
        action: &str,
        subject: &str,
    ) -> sqlx::Result<()> {
        audit::record(
            db,
            Some(self.school_id),
            audit::Actor::Agent(self.agent_id),
            action,
            subject,
            &self.ctx.ip_string(),
        )
        .await
    }
}

impl<P: Permission> FromRequestParts<AppState> for CurrentAgent<P> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let signed_in = SignedInAgent::from_request_parts(parts, state).await?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| {
                AppError::Internal(anyhow::anyhow!(
                    "CurrentAgent used on a route without {{uai}}"
                ))
            })?;
        let url_uai = params
            .iter()
            .find(|(name, _)| *name == "uai")
            .map(|(_, value)| value.to_ascii_uppercase())
            .ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!(
                    "CurrentAgent used on a route without {{uai}}"
                ))
            })?;
        let agent_id = signed_in.agent_id;
        // What the agent may do here comes from their membership of this
        // school only, read on every request: a role changed or a membership
        // deactivated counts at once.
        let membership = agents::membership_by_uai(state.db.pool(), agent_id, &url_uai).await?;
        let (refusal, school_id) = match &membership {
            Some(m) if !m.is_active() => (Some("forbidden_inactive_member"), Some(m.school_id)),
            Some(m) if !m.roles().allows::<P>() => (Some("forbidden_role"), Some(m.school_id)),
            Some(_) => (None, None),
            None => (Some("forbidden_other_school"), None),
        };
        if let Some(action) = refusal {
            audit::record(
                state.db.pool(),
                school_id,
                audit::Actor::Agent(agent_id),
                action,
                parts.uri.path(),
                &signed_in.ctx.ip_string(),
            )
            .await?;
            tracing::warn!(agent.id = agent_id, url.uai = %url_uai, action, "access refused");
            return Err(AppError::Forbidden);
        }
        let membership = membership.expect("refused above when missing");
        Ok(Self {
            agent_id,
            display_name: signed_in.display_name,
            roles: membership.roles(),
            school_id: membership.school_id,
            school_uai: membership.school_uai,
            school_name: membership.school_name,
            ctx: signed_in.ctx,
            _permission: PhantomData,
        })
    }
}

/// A signed-in agent, whatever the school: the pages outside a school (the
/// choice of school after sign-in).
#[derive(Debug)]
pub struct SignedInAgent {
    pub agent_id: i64,
    pub display_name: String,
    pub ctx: RequestContext,
}

impl FromRequestParts<AppState> for SignedInAgent {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = RequestContext::from_request_parts(parts, state).await?;
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        let Some(agent_id) = ctx.session.as_ref().and_then(|s| s.agent_id) else {
            return Err(AppError::SignInRequired { next });
        };
        let display_name = ctx
            .session
            .as_ref()
            .and_then(|s| s.display_name.clone())
            .unwrap_or_default();
        Ok(Self {
            agent_id,
            display_name,
            ctx,
        })
    }
}

/// Kept here for callers of the web layer; lives in [`crate::auth::passwords`].
pub use crate::auth::passwords::hash_password;
