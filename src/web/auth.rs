//! Who may see what. Handlers of the school back-office take a
//! [`CurrentAgent<P>`] argument: the extractor refuses the request unless an
//! agent is signed in, the `{uai}` of the URL is the agent's own school and the
//! agent's role is allowed by the permission `P`. A handler cannot be written
//! without stating its permission, and cannot reach another school's data by
//! changing the URL.

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;

use super::error::AppError;
use super::session::RequestContext;
use crate::app::AppState;
use crate::db::audit;
use crate::domain::Role;
use crate::domain::role::{Permission, allows};

/// The signed-in agent, checked against the school of the URL and the
/// permission `P`.
#[derive(Debug)]
pub struct CurrentAgent<P> {
    pub agent_id: i64,
    pub display_name: String,
    pub role: Role,
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
        let ctx = RequestContext::from_request_parts(parts, state).await?;
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        let Some(session) = ctx.session.clone() else {
            return Err(AppError::SignInRequired { next });
        };
        let (Some(agent_id), Some(role), Some(school_id), Some(school_uai)) = (
            session.agent_id,
            session.role.as_deref(),
            session.school_id,
            session.school_uai.clone(),
        ) else {
            return Err(AppError::SignInRequired { next });
        };
        let role: Role = role
            .parse()
            .map_err(|e| AppError::Internal(anyhow::Error::new(e)))?;
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
        let refusal = if url_uai != school_uai {
            Some("forbidden_other_school")
        } else if !allows::<P>(role) {
            Some("forbidden_role")
        } else {
            None
        };
        if let Some(action) = refusal {
            audit::record(
                state.db.pool(),
                Some(school_id),
                audit::Actor::Agent(agent_id),
                action,
                parts.uri.path(),
                &ctx.ip_string(),
            )
            .await?;
            tracing::warn!(agent.id = agent_id, school.uai = %school_uai, url.uai = %url_uai, action, "access refused");
            return Err(AppError::Forbidden);
        }
        Ok(Self {
            agent_id,
            display_name: session.display_name.unwrap_or_default(),
            role,
            school_id,
            school_uai,
            school_name: session.school_name.unwrap_or_default(),
            ctx,
            _permission: PhantomData,
        })
    }
}

/// Kept here for callers of the web layer; lives in [`crate::auth::passwords`].
pub use crate::auth::passwords::hash_password;
