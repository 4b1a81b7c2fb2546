//! Assisted mode's trail: while an agent fills a dossier with the family at
//! the desk (their session's assisted dossier, set from the school's dossier
//! page), every save of the family's journey they make for that dossier (a
//! POST under `/famille/dossiers/{dossier_id}/` that succeeded) is recorded in
//! the audit trail with the agent as actor and the mode `assisted`
//! (`db::audit::ASSISTED`), action `dossier_saved`, subject
//! `dossier:{id} etape:{what} responsable:{guardian acted as}`. One place for
//! every step, so a step added later is recorded too.

use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, Request};
use axum::middleware::Next;
use axum::response::Response;

use super::session::RequestContext;
use crate::app::AppState;
use crate::db::audit;

/// The middleware (inside the session layer).
pub async fn trail(State(state): State<AppState>, request: Request<Body>, next: Next) -> Response {
    let assisted = (request.method() == Method::POST)
        .then(|| {
            let ctx = request.extensions().get::<RequestContext>()?;
            let s = ctx.session.as_ref()?;
            let prefix = format!("/famille/dossiers/{}/", s.assisted_dossier_id?);
            let what = request.uri().path().strip_prefix(&prefix)?.to_owned();
            Some((
                s.agent_id?,
                s.assisted_school_id?,
                s.assisted_dossier_id?,
                s.assisted_guardian_id?,
                what,
                ctx.ip_string(),
            ))
        })
        .flatten();
    let response = next.run(request).await;
    if let Some((agent_id, school_id, dossier_id, guardian_id, what, ip)) = assisted {
        let status = response.status();
        if status.is_success() || status.is_redirection() {
            let subject = format!("dossier:{dossier_id} etape:{what} responsable:{guardian_id}");
            if let Err(err) = audit::record_assisted(
                state.db.pool(),
                school_id,
                agent_id,
                "dossier_saved",
                &subject,
                &ip,
            )
            .await
            {
                tracing::error!(%err, "assisted save not recorded");
            }
        }
    }
    response
}
