//! The web layer: one route table ([`routes`], built into [`router`]), handlers grouped by area in
//! [`controllers`], and the cross-cutting pieces (sessions and CSRF, access
//! control, errors, security headers, static files).

pub mod assets;
pub mod assisted;
pub mod auth;
pub mod controllers;
pub mod csrf;
pub mod deadline;
pub mod error;
pub mod error_page;
pub mod markdown;
pub mod routes;
pub mod security;
pub mod server;
pub mod session;
pub mod templates;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use crate::app::AppState;

/// The application's router, built from the route table ([`routes::routes`]).
pub fn router(state: AppState) -> Router {
    // Static files and the health check skip the session layer: no cookie,
    // no database read.
    let (sessionless, pages): (Vec<_>, Vec<_>) = routes::routes()
        .into_iter()
        .partition(|route| route.sessionless);
    let pages = routes::into_router(pages)
        .fallback(error_page::not_found)
        .layer(from_fn_with_state(state.clone(), assisted::trail))
        .layer(from_fn_with_state(state.clone(), session::session_layer));
    routes::into_router(sessionless)
        .merge(pages)
        .layer(DefaultBodyLimit::max((state.settings.upload_max_bytes + 1024 * 1024) as usize))
        .layer(from_fn_with_state(state.clone(), security::headers))
        .layer(CompressionLayer::new())
        .layer(from_fn_with_state(state.clone(), deadline::deadline))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|_| {
            error_page::render_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Erreur inattendue",
                "Désolé, le service rencontre un problème. Nous y travaillons pour le résoudre le plus rapidement possible.",
                "Essayez de rafraîchir la page ou réessayez plus tard.",
            )
        }))
        .with_state(state)
}
