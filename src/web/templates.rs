//! What every page's layout needs (the "chrome": header, footer, flash,
//! CSRF token). Each page struct has a `chrome: Chrome` field and extends
//! `templates/layout.html`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::assets;
use super::error::AppError;
use super::session::{Flash, RequestContext};
use crate::app::AppState;

/// Who is signed in, as the header shows it.
#[derive(Debug, Clone)]
pub struct UserBadge {
    pub display_name: String,
    /// An agent (their schools are a link away), or a guardian.
    pub is_agent: bool,
}

/// An agent filling a dossier with the family at the desk: the banner on
/// every page, with the way back to the school's dossier page.
#[derive(Debug, Clone)]
pub struct AssistedBanner {
    pub uai: String,
    pub dossier_id: i64,
}

#[derive(Debug, Clone)]
pub struct Chrome {
    pub csrf_token: String,
    pub flash: Option<Flash>,
    pub user: Option<UserBadge>,
    pub outbox: bool,
    pub assets: &'static str,
    pub assisted: Option<AssistedBanner>,
}

impl Chrome {
    /// The chrome of pages rendered without a request context (error pages).
    pub fn bare() -> Self {
        Self {
            csrf_token: String::new(),
            flash: None,
            user: None,
            outbox: false,
            assets: assets::base(),
            assisted: None,
        }
    }

    pub fn new(ctx: &RequestContext, outbox: bool) -> Self {
        let user = ctx.session.as_ref().map(|s| UserBadge {
            display_name: s.display_name.clone().unwrap_or_default(),
            is_agent: s.agent_id.is_some(),
        });
        Self {
            csrf_token: ctx.csrf_token.clone(),
            flash: ctx.flash.clone(),
            user,
            outbox,
            assets: assets::base(),
            assisted: ctx.session.as_ref().and_then(|s| {
                Some(AssistedBanner {
                    uai: s.assisted_uai.clone()?,
                    dossier_id: s.assisted_dossier_id?,
                })
            }),
        }
    }
}

impl FromRequestParts<AppState> for Chrome {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = RequestContext::from_request_parts(parts, state).await?;
        Ok(Chrome::new(&ctx, state.settings.outbox_web))
    }
}

/// Renders a page into an HTML response.
pub fn render(page: &impl askama::Template) -> Result<axum::response::Html<String>, AppError> {
    Ok(axum::response::Html(page.render()?))
}
