//! The web layer: one route table ([`router`]), handlers grouped by area in
//! [`controllers`], and the cross-cutting pieces (sessions and CSRF, access
//! control, errors, security headers, static files).

pub mod assets;
pub mod auth;
pub mod controllers;
pub mod csrf;
pub mod error;
pub mod keys;
pub mod rate_limit;
pub mod security;
pub mod server;
pub mod session;
pub mod templates;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::app::AppState;
use controllers::{agent_session, family, health, home, outbox, pages, school};

/// Every URL of the application, in one place.
pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(home::show))
        .route("/accessibilite", get(pages::accessibility))
        .route("/donnees-personnelles", get(pages::personal_data))
        // Agents
        .route(
            "/agent/connexion",
            get(agent_session::new).post(agent_session::create),
        )
        .route("/agent/deconnexion", post(agent_session::delete))
        // Families
        .route(
            "/famille/connexion",
            get(family::session::new).post(family::session::create),
        )
        .route("/famille/deconnexion", post(family::session::delete))
        .route("/famille", get(family::dossiers::list))
        .route(
            "/famille/dossiers/{dossier_id}/accueil",
            get(family::steps::show_accueil).post(family::steps::update_accueil),
        )
        .route(
            "/famille/dossiers/{dossier_id}/eleve",
            get(family::steps::show_eleve).post(family::steps::update_eleve),
        )
        .route(
            "/famille/dossiers/{dossier_id}/responsables",
            get(family::steps::show_responsables).post(family::steps::update_responsables),
        )
        .route(
            "/famille/dossiers/{dossier_id}/contacts-urgence",
            get(family::steps::show_contacts_urgence).post(family::steps::update_contacts_urgence),
        )
        .route(
            "/famille/dossiers/{dossier_id}/contacts-urgence/{contact_id}/retirer",
            post(family::steps::remove_contact),
        )
        .route(
            "/famille/dossiers/{dossier_id}/scolarite",
            get(family::schooling::show_scolarite).post(family::schooling::update_scolarite),
        )
        .route(
            "/famille/dossiers/{dossier_id}/vie-scolaire",
            get(family::schooling::show_vie_scolaire).post(family::schooling::update_vie_scolaire),
        )
        .route(
            "/famille/dossiers/{dossier_id}/sante",
            get(family::steps::show_sante).post(family::steps::update_sante),
        )
        .route(
            "/famille/dossiers/{dossier_id}/fiche-sante.pdf",
            get(family::steps::show_health_form),
        )
        .route(
            "/famille/dossiers/{dossier_id}/pieces",
            get(family::documents::show_pieces).post(family::documents::update_pieces),
        )
        .route(
            "/famille/dossiers/{dossier_id}/pieces/{document_id}",
            post(family::documents::create_upload),
        )
        .route(
            "/famille/dossiers/{dossier_id}/validation",
            get(family::validation::show_validation).post(family::validation::update_validation),
        )
        .route(
            "/famille/dossiers/{dossier_id}/confirmation",
            get(family::validation::show_confirmation),
        )
        .route(
            "/famille/dossiers/{dossier_id}/satisfaction",
            post(family::validation::create_satisfaction),
        )
        .route(
            "/famille/dossiers/{dossier_id}/recu.pdf",
            get(family::validation::show_receipt),
        )
        // School back-office: every route has {uai}, checked by CurrentAgent.
        .route("/etablissements/{uai}", get(school::dashboard::show))
        .route(
            "/etablissements/{uai}/courriels-de-test",
            post(school::test_email::create),
        )
        .route(
            "/etablissements/{uai}/imports",
            get(school::imports::list).post(school::imports::create),
        )
        .route(
            "/etablissements/{uai}/imports/{id}",
            get(school::imports::show),
        )
        .route(
            "/etablissements/{uai}/imports/{id}/confirmation",
            post(school::imports::confirm),
        )
        .route(
            "/etablissements/{uai}/taches/{job_id}",
            get(school::jobs::show),
        )
        .route(
            "/etablissements/{uai}/dossiers",
            get(school::dossiers::list),
        )
        .route(
            "/etablissements/{uai}/dossiers/{dossier_id}",
            get(school::dossiers::show),
        )
        .route(
            "/etablissements/{uai}/dossiers/{dossier_id}/pieces/{upload_id}",
            get(school::dossiers::show_upload),
        )
        .route(
            "/etablissements/{uai}/dossiers/{dossier_id}/pieces/{upload_id}/decision",
            post(school::pieces::update),
        )
        .route(
            "/etablissements/{uai}/dossiers/{dossier_id}/etat",
            post(school::transitions::create),
        )
        .route(
            "/etablissements/{uai}/dossiers/{dossier_id}/responsables/{guardian_id}/code",
            post(school::dossiers::create_code),
        )
        // Demo outbox (404 unless outbox_web)
        .route("/outbox", get(outbox::list))
        .route("/outbox/{id}", get(outbox::show))
        .fallback(error::not_found)
        .layer(from_fn_with_state(state.clone(), session::session_layer));

    // Static files and the health check skip the session layer: no cookie,
    // no database read.
    Router::new()
        .route("/healthz", get(health::show))
        .route("/static/{version}/{*path}", get(assets::serve))
        .merge(pages)
        .layer(DefaultBodyLimit::max((state.settings.upload_max_bytes + 1024 * 1024) as usize))
        .layer(from_fn_with_state(state.clone(), security::headers))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(60)))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|_| {
            error::render_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Erreur inattendue",
                "Désolé, le service rencontre un problème. Nous y travaillons pour le résoudre le plus rapidement possible.",
                "Essayez de rafraîchir la page ou réessayez plus tard.",
            )
        }))
        .with_state(state)
}
