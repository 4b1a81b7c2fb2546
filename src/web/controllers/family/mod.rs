//! The family journey: `/famille/…`. Handlers take a [`FamilyDossier`] (or
//! [`CurrentGuardian`]), extractors that refuse anything but the signed-in
//! guardian's own children.

pub mod documents;
pub mod dossiers;
pub mod lost_code;
pub mod replacements;
pub mod schooling;
pub mod session;
pub mod sign_in_link;
pub mod steps;
pub mod to_fix;
pub mod validation;

use std::collections::HashMap;

use askama::Template;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use crate::app::AppState;
use crate::db::{agents, audit, family, schools, setup};
use crate::domain::campaign_dates::Window;
use crate::domain::dossier_state::DossierState;
use crate::domain::journey::{self, Step};
use crate::domain::role::ManageSchool;
use crate::domain::words;
use crate::web::error::AppError;
use crate::web::markdown;
use crate::web::session::RequestContext;
use crate::web::templates::{Chrome, render};

/// The signed-in guardian.
#[derive(Debug, Clone)]
pub struct CurrentGuardian {
    pub guardian_id: i64,
    pub ctx: RequestContext,
}

impl FromRequestParts<AppState> for CurrentGuardian {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = RequestContext::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match ctx.session.as_ref().and_then(|s| s.guardian_id) {
            Some(guardian_id) => Ok(Self { guardian_id, ctx }),
            None => Err(Redirect::to("/famille/connexion").into_response()),
        }
    }
}

/// A dossier of one of the signed-in guardian's children (the `{dossier_id}`
/// of the URL). Any other dossier is "not found", whether it exists or not.
#[derive(Debug, Clone)]
pub struct FamilyDossier {
    pub guardian_id: i64,
    pub dossier: family::ChildDossier,
    pub state: DossierState,
    pub ctx: RequestContext,
    /// The page's script saves the form as the family types (`X-Autosave`):
    /// save, but neither advance nor redirect.
    pub autosave: bool,
    /// The school's help of each step (slug → Markdown), for the stepper.
    pub help: HashMap<String, String>,
    /// The agent filling the dossier with the family at the desk, as
    /// `guardian_id` (assisted mode), if any.
    pub assisted_by: Option<i64>,
}

/// The guardian an agent acts as and the agent, when the session is an
/// agent's in assisted mode for dossier `dossier_id` (set from the school's
/// dossier page) and the agent may still do it: an active member of the
/// dossier's school with a role that manages its dossiers. `None` when the
/// session is not assisting this dossier; refused when the agent may no
/// longer.
async fn assisted(
    parts: &mut Parts,
    state: &AppState,
    dossier_id: Option<i64>,
) -> Result<Option<(CurrentGuardian, i64)>, Response> {
    let ctx = RequestContext::from_request_parts(parts, state)
        .await
        .map_err(IntoResponse::into_response)?;
    let Some(session) = ctx.session.as_ref() else {
        return Ok(None);
    };
    let (Some(agent_id), Some(assisted_dossier), Some(guardian_id), Some(uai)) = (
        session.agent_id,
        session.assisted_dossier_id,
        session.assisted_guardian_id,
        session.assisted_uai.clone(),
    ) else {
        return Ok(None);
    };
    if dossier_id != Some(assisted_dossier) {
        return Ok(None);
    }
    let membership = agents::membership_by_uai(state.db.pool(), agent_id, &uai)
        .await
        .map_err(|e| AppError::from(e).into_response())?;
    match membership {
        Some(m) if m.is_active() && m.roles().allows::<ManageSchool>() => Ok(Some((
            CurrentGuardian {
                guardian_id,
                ctx: ctx.clone(),
            },
            agent_id,
        ))),
        _ => Err(AppError::Forbidden.into_response()),
    }
}

/// The page a family gets outside the campaign's dates: when it opens, or
/// since when it is closed, and whom to contact.
#[derive(Template)]
#[template(path = "family/closed.html")]
pub struct ClosedPage {
    pub chrome: Chrome,
    pub school_name: String,
    /// Not open yet (else: closed).
    pub not_yet: bool,
    /// The date in words (`15/06/2027`).
    pub date: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub confirmation_url: String,
}

/// Whether a request of the family is let through on `window`: before the
/// opening, nothing; after the closing, reading and the satisfaction mark
/// only.
fn allowed_in(window: Window, method: &Method, path: &str) -> bool {
    match window {
        Window::Open => true,
        Window::NotYetOpen(_) => false,
        Window::ClosedSince(_) => method == Method::GET || path.ends_with("/satisfaction"),
    }
}

/// Today in France (the campaign's dates are French calendar days).
fn today_in_france() -> chrono::NaiveDate {
    let paris = chrono::FixedOffset::east_opt(3600).expect("valid offset");
    chrono::Utc::now().with_timezone(&paris).date_naive()
}

async fn closed_page(
    state: &AppState,
    ctx: &RequestContext,
    dossier: &family::ChildDossier,
    campaign: &setup::FamilyCampaign,
    window: Window,
) -> Response {
    let (not_yet, date) = match window {
        Window::NotYetOpen(d) | Window::ClosedSince(d) => (
            matches!(window, Window::NotYetOpen(_)),
            words::french_date(&d.format("%Y-%m-%d").to_string()),
        ),
        Window::Open => (false, String::new()),
    };
    let school_name = schools::find(state.db.pool(), dossier.school_id)
        .await
        .ok()
        .flatten()
        .map(|s| s.name)
        .unwrap_or_default();
    let page = ClosedPage {
        chrome: Chrome::new(ctx, state.settings.outbox_web),
        school_name,
        not_yet,
        date,
        contact_email: campaign.contact_email.clone(),
        contact_phone: campaign.contact_phone.clone(),
        confirmation_url: format!("/famille/dossiers/{}/confirmation", dossier.dossier_id),
    };
    match render(&page) {
        Ok(html) => (StatusCode::FORBIDDEN, html).into_response(),
        Err(err) => err.into_response(),
    }
}

impl FromRequestParts<AppState> for FamilyDossier {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let dossier_id = params
            .iter()
            .find(|(name, _)| *name == "dossier_id")
            .and_then(|(_, value)| value.parse::<i64>().ok());
        let (guardian, assisted_by) = match assisted(parts, state, dossier_id).await? {
            Some((guardian, agent_id)) => (guardian, Some(agent_id)),
            None => (
                CurrentGuardian::from_request_parts(parts, state).await?,
                None,
            ),
        };
        let dossier_id = dossier_id.ok_or_else(|| AppError::NotFound.into_response())?;
        let found = family::dossier_of_guardian(state.db.pool(), guardian.guardian_id, dossier_id)
            .await
            .map_err(|e| AppError::from(e).into_response())?;
        let Some(dossier) = found else {
            let _ = audit::record(
                state.db.pool(),
                None,
                audit::Actor::Guardian(guardian.guardian_id),
                "forbidden_dossier",
                &format!("dossier:{dossier_id}"),
                &guardian.ctx.ip_string(),
            )
            .await;
            return Err(AppError::NotFound.into_response());
        };
        let db_error = |e: sqlx::Error| AppError::from(e).into_response();
        let campaign = setup::campaign_of_dossier(state.db.pool(), dossier.dossier_id)
            .await
            .map_err(db_error)?;
        let window = campaign
            .dates()
            .window(today_in_france(), dossier.state == DossierState::Returned);
        if !allowed_in(window, &parts.method, parts.uri.path()) {
            return Err(closed_page(state, &guardian.ctx, &dossier, &campaign, window).await);
        }
        let help = setup::help_texts(state.db.pool(), campaign.campaign_id)
            .await
            .map_err(db_error)?;
        Ok(Self {
            guardian_id: guardian.guardian_id,
            assisted_by,
            state: dossier.state,
            dossier,
            ctx: guardian.ctx,
            autosave: parts.headers.contains_key("x-autosave"),
            help,
        })
    }
}

impl FamilyDossier {
    /// Records `action` on `subject` in the audit trail, as this guardian,
    /// from this request's address.
    pub async fn audit(
        &self,
        db: impl sqlx::Executor<'_, Database = sqlx::Any>,
        action: &str,
        subject: &str,
    ) -> sqlx::Result<()> {
        match self.assisted_by {
            Some(agent_id) => {
                audit::record_assisted(
                    db,
                    self.dossier.school_id,
                    agent_id,
                    action,
                    &format!("{subject} responsable:{}", self.guardian_id),
                    &self.ctx.ip_string(),
                )
                .await
            }
            None => {
                audit::record(
                    db,
                    Some(self.dossier.school_id),
                    audit::Actor::Guardian(self.guardian_id),
                    action,
                    subject,
                    &self.ctx.ip_string(),
                )
                .await
            }
        }
    }

    /// The name of the dossier's school.
    pub async fn school_name(&self, state: &AppState) -> Result<String, AppError> {
        schools::find(state.db.pool(), self.dossier.school_id)
            .await?
            .map(|school| school.name)
            .ok_or(AppError::NotFound)
    }

    /// The furthest step this guardian reached in this dossier.
    pub fn furthest(&self) -> Step {
        self.dossier
            .furthest_step
            .as_deref()
            .and_then(Step::from_slug)
            .unwrap_or(Step::Accueil)
    }

    pub fn url(&self, step: Step) -> String {
        format!(
            "/famille/dossiers/{}/{}",
            self.dossier.dossier_id,
            step.slug()
        )
    }

    /// Refuses to change a dossier the family may no longer edit.
    pub fn ensure_editable(&self) -> Result<(), AppError> {
        if self.state.editable_by_family() {
            Ok(())
        } else {
            Err(AppError::DossierLocked)
        }
    }

    /// Where a GET of `step` should go instead, if anywhere: a sent dossier
    /// shows its confirmation; steps beyond the next one are not reachable yet.
    pub fn redirect_for(&self, step: Step) -> Option<Redirect> {
        if !self.state.editable_by_family() && step != Step::Confirmation {
            return Some(Redirect::to(&self.url(Step::Confirmation)));
        }
        let resume = journey::resume(self.dossier.furthest_step.as_deref(), true);
        if self.state.editable_by_family() && step == Step::Confirmation {
            return Some(Redirect::to(&self.url(resume)));
        }
        // A sent dossier's confirmation is always reachable, even by the
        // guardian who had not got that far (else: confirmation → their
        // furthest step → confirmation … for ever).
        if self.state.editable_by_family() && step > self.furthest().next() {
            return Some(Redirect::to(&self.url(resume)));
        }
        None
    }

    /// Records that `step` was completed and returns the redirect to the next one.
    pub async fn complete(&self, state: &AppState, step: Step) -> Result<Response, AppError> {
        if self.autosave {
            return Ok(axum::http::StatusCode::NO_CONTENT.into_response());
        }
        let next = step.next();
        // Only a step already reached moves the family on: steps cannot be skipped.
        if step <= self.furthest() && next > self.furthest() {
            family::advance(
                state.db.pool(),
                self.dossier.dossier_id,
                self.guardian_id,
                next.slug(),
            )
            .await?;
        }
        Ok(Redirect::to(&self.url(next)).into_response())
    }
}

/// The stepper shown on each step (DSFR `fr-stepper`).
#[derive(Debug, Clone)]
pub struct Stepper {
    /// The step's position in the stepper; `None` on the welcome page, which
    /// introduces the steps and is not counted.
    pub current: Option<usize>,
    pub total: usize,
    pub title: &'static str,
    pub next_title: Option<&'static str>,
    pub child_name: String,
    pub dossier_id: i64,
    pub previous_url: Option<String>,
    /// The school's help for this step, rendered and sanitised (empty: none).
    pub help_html: String,
}

impl Stepper {
    pub fn new(dossier: &FamilyDossier, step: Step) -> Self {
        let next = step.next();
        Self {
            current: step.number(),
            total: Step::numbered().len(),
            title: step.title(),
            next_title: (next != step && next != Step::Confirmation).then(|| next.title()),
            child_name: format!(
                "{} {}",
                dossier.dossier.first_name, dossier.dossier.last_name
            ),
            dossier_id: dossier.dossier.dossier_id,
            previous_url: step.previous().map(|p| dossier.url(p)),
            help_html: dossier
                .help
                .get(step.slug())
                .map(|text| markdown::to_safe_html(text))
                .unwrap_or_default(),
        }
    }
}
