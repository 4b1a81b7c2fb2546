//! The route table: every URL of the application, its handler and who may use
//! it, declared once in [`routes`]. [`super::router`] builds the axum router
//! from it, and the integration test `tests/it/route_access.rs` requests every
//! route of it as every kind of visitor (anonymous, each role of the school,
//! each role of another school, the family, another family), on both
//! databases. A route added here whose handler does not check what the table
//! says fails that test.
//!
//! Adding a URL is one line here. An agent route names the permission its
//! handler's `CurrentAgent<P>` takes (`agent::<ManageSchool>()`), so the roles
//! come from the same [`Permission`] type; a new path parameter also needs a
//! value in the test's map (the test fails until it has one).

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{self, MethodRouter};

use super::assets;
use super::controllers::{
    agent_links, agent_schools, agent_session, family, health, home, outbox, pages, school,
    webhooks,
};
use crate::app::AppState;
use crate::domain::Role;
use crate::domain::role::{
    AnyStaff, ManageAgents, ManageCanteen, ManageSchool, ManageSchoolLife, Permission, ReadMedical,
};

/// Who may use a route, as its handler's extractor checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not: home, legal pages, sign-in and sign-out,
    /// static files, the health check.
    Public,
    /// The demo outbox: anyone, but only when `outbox_web` is on (404
    /// otherwise). Never on in production.
    DemoOutbox,
    /// A signed-in guardian (`CurrentGuardian`): the list of their children.
    Guardian,
    /// A signed-in agent, whatever their schools (`SignedInAgent`): the
    /// choice of school after sign-in.
    SignedInAgent,
    /// A signed-in guardian, for a `{dossier_id}` of one of their own children
    /// (`FamilyDossier`); any other dossier is "not found".
    GuardianOfDossier,
    /// A provider's call (the SMS delivery reports), outside the session
    /// layer, with the shared secret of its setting; refused (401) without it,
    /// whoever calls.
    SharedSecret,
    /// A signed-in agent of the `{uai}` school with one of these roles
    /// (`CurrentAgent<P>`); ids in the URL are looked up in that school only.
    Agent(&'static [Role]),
}

/// The access of a back-office route whose handler takes `CurrentAgent<P>`.
pub const fn agent<P: Permission>() -> Access {
    Access::Agent(P::ROLES)
}

/// One method on one path.
pub struct Route {
    pub method: Method,
    /// The axum path, with `{param}` placeholders.
    pub path: &'static str,
    pub access: Access,
    /// Served outside the session layer: no cookie, no database read.
    pub sessionless: bool,
    pub handler: MethodRouter<AppState>,
}

impl Route {
    fn get<H, T>(path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        Self::new(Method::GET, path, access, routing::get(handler))
    }

    fn post<H, T>(path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        Self::new(Method::POST, path, access, routing::post(handler))
    }

    fn new(
        method: Method,
        path: &'static str,
        access: Access,
        handler: MethodRouter<AppState>,
    ) -> Self {
        Self {
            method,
            path,
            access,
            sessionless: false,
            handler,
        }
    }

    fn without_session(self) -> Self {
        Self {
            sessionless: true,
            ..self
        }
    }
}

/// Every URL of the application, in one place.
#[rustfmt::skip] // one line per route, so that the table reads as one
pub fn routes() -> Vec<Route> {
    use Access::{DemoOutbox, Guardian, GuardianOfDossier as Own, Public, SignedInAgent};
    let staff = agent::<AnyStaff>();
    let manager = agent::<ManageSchool>();
    let direction = agent::<ManageAgents>();
    let canteen = agent::<ManageCanteen>();
    let school_life = agent::<ManageSchoolLife>();
    let nurse = agent::<ReadMedical>();
    use school::campaign;
    vec![
        // Outside the session layer
        Route::get("/healthz", Public, health::show).without_session(),
        Route::get("/static/{version}/{*path}", Public, assets::serve).without_session(),
        Route::post("/webhooks/sms", Access::SharedSecret, webhooks::sms).without_session(),
        // Public pages
        Route::get("/", Public, home::show),
        Route::get("/accessibilite", Public, pages::accessibility),
        Route::get("/donnees-personnelles", Public, pages::personal_data),
        Route::get("/mentions-legales", Public, pages::legal_notice),
        // Agents' sign-in
        Route::get("/agent/connexion", Public, agent_session::new),
        Route::post("/agent/connexion", Public, agent_session::create),
        Route::post("/agent/deconnexion", Public, agent_session::delete),
        Route::get("/agent/etablissements", SignedInAgent, agent_schools::list),
        // Agents' one-time links (invitation, new password)
        Route::get("/agent/invitation/{token}", Public, agent_links::show_invitation),
        Route::post("/agent/invitation/{token}", Public, agent_links::accept_invitation),
        Route::get("/agent/mot-de-passe-oublie", Public, agent_links::new_reset),
        Route::post("/agent/mot-de-passe-oublie", Public, agent_links::create_reset),
        Route::get("/agent/nouveau-mot-de-passe/{token}", Public, agent_links::show_reset),
        Route::post("/agent/nouveau-mot-de-passe/{token}", Public, agent_links::update_reset),
        // Families
        Route::get("/famille/connexion", Public, family::session::new),
        Route::post("/famille/connexion", Public, family::session::create),
        Route::get("/famille/lien", Public, family::sign_in_link::show),
        Route::post("/famille/lien", Public, family::sign_in_link::create),
        Route::post("/famille/deconnexion", Public, family::session::delete),
        Route::get("/famille/code-perdu", Public, family::lost_code::new),
        Route::post("/famille/code-perdu", Public, family::lost_code::create),
        Route::get("/famille", Guardian, family::dossiers::list),
        Route::get("/famille/dossiers/{dossier_id}/accueil", Own, family::steps::show_accueil),
        Route::post("/famille/dossiers/{dossier_id}/accueil", Own, family::steps::update_accueil),
        Route::get("/famille/dossiers/{dossier_id}/eleve", Own, family::steps::show_eleve),
        Route::post("/famille/dossiers/{dossier_id}/eleve", Own, family::steps::update_eleve),
        Route::get("/famille/dossiers/{dossier_id}/responsables", Own, family::steps::show_responsables),
        Route::post("/famille/dossiers/{dossier_id}/responsables", Own, family::steps::update_responsables),
        Route::get("/famille/dossiers/{dossier_id}/contacts-urgence", Own, family::steps::show_contacts_urgence),
        Route::post("/famille/dossiers/{dossier_id}/contacts-urgence", Own, family::steps::update_contacts_urgence),
        Route::post("/famille/dossiers/{dossier_id}/contacts-urgence/{contact_id}/retirer", Own, family::steps::remove_contact),
        Route::get("/famille/dossiers/{dossier_id}/scolarite", Own, family::schooling::show_scolarite),
        Route::post("/famille/dossiers/{dossier_id}/scolarite", Own, family::schooling::update_scolarite),
        Route::get("/famille/dossiers/{dossier_id}/vie-scolaire", Own, family::schooling::show_vie_scolaire),
        Route::post("/famille/dossiers/{dossier_id}/vie-scolaire", Own, family::schooling::update_vie_scolaire),
        Route::get("/famille/dossiers/{dossier_id}/sante", Own, family::steps::show_sante),
        Route::post("/famille/dossiers/{dossier_id}/sante", Own, family::steps::update_sante),
        Route::get("/famille/dossiers/{dossier_id}/fiche-sante.pdf", Own, family::steps::show_health_form),
        Route::get("/famille/dossiers/{dossier_id}/pieces", Own, family::documents::show_pieces),
        Route::post("/famille/dossiers/{dossier_id}/pieces", Own, family::documents::update_pieces),
        Route::post("/famille/dossiers/{dossier_id}/pieces/{document_id}", Own, family::documents::create_upload),
        Route::post("/famille/dossiers/{dossier_id}/fichiers/{upload_id}/retirer", Own, family::documents::delete_upload),
        Route::get("/famille/dossiers/{dossier_id}/pieces-a-remplacer", Own, family::replacements::show),
        Route::post("/famille/dossiers/{dossier_id}/pieces-a-remplacer/{upload_id}", Own, family::replacements::create),
        Route::get("/famille/dossiers/{dossier_id}/validation", Own, family::validation::show_validation),
        Route::post("/famille/dossiers/{dossier_id}/validation", Own, family::validation::update_validation),
        Route::get("/famille/dossiers/{dossier_id}/confirmation", Own, family::validation::show_confirmation),
        Route::post("/famille/dossiers/{dossier_id}/satisfaction", Own, family::validation::create_satisfaction),
        Route::get("/famille/dossiers/{dossier_id}/recu.pdf", Own, family::validation::show_receipt),
        // School back-office: every route has {uai}, checked by CurrentAgent.
        Route::get("/etablissements/{uai}", staff, school::dashboard::show),
        Route::post("/etablissements/{uai}/courriels-de-test", manager, school::test_email::create),
        Route::get("/etablissements/{uai}/imports", manager, school::imports::list),
        Route::post("/etablissements/{uai}/imports", manager, school::imports::create),
        Route::get("/etablissements/{uai}/imports/{import_id}", manager, school::imports::show),
        Route::post("/etablissements/{uai}/imports/{import_id}/confirmation", manager, school::imports::confirm),
        Route::get("/etablissements/{uai}/taches/{job_id}", staff, school::jobs::show),
        Route::get("/etablissements/{uai}/dossiers", staff, school::dossiers::list),
        Route::post("/etablissements/{uai}/dossiers/validation", manager, school::bulk::validate),
        Route::post("/etablissements/{uai}/dossiers/renvoi", manager, school::bulk::send_back),
        Route::post("/etablissements/{uai}/dossiers/export", staff, school::bulk::export),
        Route::get("/etablissements/{uai}/dossiers/{dossier_id}", staff, school::dossiers::show),
        Route::get("/etablissements/{uai}/dossiers/{dossier_id}/pieces/{upload_id}", staff, school::dossiers::show_upload),
        Route::post("/etablissements/{uai}/dossiers/{dossier_id}/pieces/{upload_id}/decision", manager, school::pieces::update),
        Route::post("/etablissements/{uai}/dossiers/{dossier_id}/refus", manager, school::piece_queue::tell_family),
        Route::post("/etablissements/{uai}/dossiers/{dossier_id}/etat", manager, school::transitions::create),
        Route::post("/etablissements/{uai}/dossiers/{dossier_id}/modifications", manager, school::decisions::update),
        Route::post("/etablissements/{uai}/dossiers/{dossier_id}/formation-an-prochain", manager, school::track::update),
        Route::post("/etablissements/{uai}/dossiers/{dossier_id}/provenance", manager, school::provenance::update),
        Route::get("/etablissements/{uai}/dossiers/{dossier_id}/sortant", manager, school::transitions::show_leaving),
        // Assisted mode (filling the dossier with the family at the desk) and new pupils
        Route::post("/etablissements/{uai}/dossiers/{dossier_id}/avec-la-famille", manager, school::assisted::start),
        Route::post("/etablissements/{uai}/dossiers/{dossier_id}/avec-la-famille/fin", manager, school::assisted::end),
        Route::get("/etablissements/{uai}/eleves/nouveau", manager, school::new_pupil::new),
        Route::post("/etablissements/{uai}/eleves", manager, school::new_pupil::create),
        Route::post("/etablissements/{uai}/dossiers/{dossier_id}/responsables/{guardian_id}/code", manager, school::codes::create),
        Route::get("/etablissements/{uai}/dossiers/{dossier_id}/responsables/{guardian_id}/code", manager, school::codes::show),
        // The pieces queue: one piece after the other, and the refusals told per family
        Route::get("/etablissements/{uai}/pieces/a-verifier", manager, school::piece_queue::show),
        Route::post("/etablissements/{uai}/pieces/a-verifier/envoi-des-refus", manager, school::piece_queue::send_refusals),
        Route::post("/etablissements/{uai}/pieces/a-verifier/{upload_id}", manager, school::piece_queue::decide),
        // Personal codes in bulk and the letters that carry them
        Route::get("/etablissements/{uai}/courriers", manager, school::letters::new),
        Route::post("/etablissements/{uai}/courriers", manager, school::letters::create),
        Route::get("/etablissements/{uai}/courriers/{batch_id}", manager, school::letters::show),
        Route::get("/etablissements/{uai}/courriers/{batch_id}/courriers.pdf", manager, school::letters::download),
        // Exports (spreadsheets, ZIPs of pieces, convocations) and the nurse's medical forms
        Route::get("/etablissements/{uai}/exports", manager, school::exports::list_school),
        Route::post("/etablissements/{uai}/exports", manager, school::exports::create_school),
        Route::get("/etablissements/{uai}/exports/{export_id}", manager, school::exports::show_school),
        Route::get("/etablissements/{uai}/exports/{export_id}/fichier", manager, school::exports::download_school),
        Route::get("/etablissements/{uai}/fiches-sante", nurse, school::exports::list_medical),
        Route::post("/etablissements/{uai}/fiches-sante", nurse, school::exports::create_medical),
        Route::get("/etablissements/{uai}/fiches-sante/{medical_export_id}", nurse, school::exports::show_medical),
        Route::get("/etablissements/{uai}/fiches-sante/{medical_export_id}/fichier", nurse, school::exports::download_medical),
        // Invitations and reminders, and a message to one family
        Route::get("/etablissements/{uai}/relances", manager, school::reminders::new),
        Route::post("/etablissements/{uai}/relances", manager, school::reminders::create),
        Route::get("/etablissements/{uai}/relances/{reminder_id}", manager, school::reminders::show),
        Route::post("/etablissements/{uai}/dossiers/{dossier_id}/message", manager, school::reminders::create_message),
        // The return file to SIECLE: the dry run, the file, its history, the school year's dates
        Route::get("/etablissements/{uai}/retour-siecle", manager, school::siecle_return::show),
        Route::post("/etablissements/{uai}/retour-siecle", manager, school::siecle_return::download),
        Route::get("/etablissements/{uai}/retour-siecle/envois/{send_id}", manager, school::siecle_return::download_again),
        Route::get("/etablissements/{uai}/retour-siecle/annee", manager, school::siecle_return::show_dates),
        Route::post("/etablissements/{uai}/retour-siecle/annee", manager, school::siecle_return::update_dates),
        Route::get("/etablissements/{uai}/retour-siecle/bourses", manager, school::grant_parts::show),
        Route::post("/etablissements/{uai}/retour-siecle/bourses", manager, school::grant_parts::update),
        // Families' requests for a new code (made from the sign-in page)
        Route::get("/etablissements/{uai}/demandes-de-code", manager, school::code_requests::list),
        Route::post("/etablissements/{uai}/demandes-de-code/{request_id}/code", manager, school::code_requests::issue),
        Route::post("/etablissements/{uai}/demandes-de-code/{request_id}/classement", manager, school::code_requests::dismiss),
        // The school's team (direction only)
        Route::get("/etablissements/{uai}/agents", direction, school::agents::list),
        Route::post("/etablissements/{uai}/agents", direction, school::agents::create),
        Route::get("/etablissements/{uai}/agents/nouveau", direction, school::agents::new),
        Route::get("/etablissements/{uai}/agents/{agent_id}", direction, school::agents::show),
        Route::post("/etablissements/{uai}/agents/{agent_id}/roles", direction, school::agents::update_roles),
        Route::post("/etablissements/{uai}/agents/{agent_id}/desactivation", direction, school::agents::deactivate),
        Route::post("/etablissements/{uai}/agents/{agent_id}/reactivation", direction, school::agents::reactivate),
        Route::post("/etablissements/{uai}/agents/{agent_id}/invitation", direction, school::agents::resend),
        // The campaign's set-up: each screen for the role that owns it
        Route::get("/etablissements/{uai}/campagne", manager, campaign::dates::show),
        Route::post("/etablissements/{uai}/campagne", manager, campaign::dates::update),
        Route::get("/etablissements/{uai}/campagne/pret", manager, campaign::ready::show),
        Route::get("/etablissements/{uai}/campagne/mefs", manager, campaign::mefs::show),
        Route::post("/etablissements/{uai}/campagne/mefs", manager, campaign::mefs::update),
        Route::post("/etablissements/{uai}/campagne/mefs/propositions", manager, campaign::mefs::apply_proposals),
        Route::get("/etablissements/{uai}/campagne/redoublants", manager, campaign::mefs::show_repeaters),
        Route::post("/etablissements/{uai}/campagne/redoublants", manager, campaign::mefs::update_repeaters),
        Route::get("/etablissements/{uai}/campagne/pieces", manager, campaign::documents::list),
        Route::post("/etablissements/{uai}/campagne/pieces", manager, campaign::documents::create),
        Route::get("/etablissements/{uai}/campagne/pieces/{document_id}", manager, campaign::documents::show),
        Route::post("/etablissements/{uai}/campagne/pieces/{document_id}", manager, campaign::documents::update),
        Route::post("/etablissements/{uai}/campagne/pieces/{document_id}/retrait", manager, campaign::documents::delete),
        Route::get("/etablissements/{uai}/campagne/regimes-de-sortie", school_life, campaign::exit_rules::list),
        Route::post("/etablissements/{uai}/campagne/regimes-de-sortie", school_life, campaign::exit_rules::create),
        Route::get("/etablissements/{uai}/campagne/regimes-de-sortie/{exit_rule_id}", school_life, campaign::exit_rules::show),
        Route::post("/etablissements/{uai}/campagne/regimes-de-sortie/{exit_rule_id}", school_life, campaign::exit_rules::update),
        Route::post("/etablissements/{uai}/campagne/regimes-de-sortie/{exit_rule_id}/retrait", school_life, campaign::exit_rules::delete),
        Route::post("/etablissements/{uai}/campagne/regimes-de-sortie/{exit_rule_id}/monter", school_life, campaign::exit_rules::move_up),
        Route::post("/etablissements/{uai}/campagne/regimes-de-sortie/{exit_rule_id}/descendre", school_life, campaign::exit_rules::move_down),
        Route::get("/etablissements/{uai}/campagne/demi-pension", canteen, campaign::canteen::show),
        Route::post("/etablissements/{uai}/campagne/demi-pension", canteen, campaign::canteen::update),
        Route::get("/etablissements/{uai}/campagne/annee-suivante", manager, campaign::next_year::show),
        Route::post("/etablissements/{uai}/campagne/annee-suivante", manager, campaign::next_year::create),
        // The campaign: options per MEF, the school's questions (secretariat and direction), authorisations (vie scolaire and direction)
        Route::get("/etablissements/{uai}/campagne/options", manager, school::campaign::options::list),
        Route::post("/etablissements/{uai}/campagne/options/nomenclature", manager, school::campaign::options::create_from_nomenclature),
        Route::get("/etablissements/{uai}/campagne/options/{mef_id}", manager, school::campaign::options::show),
        Route::post("/etablissements/{uai}/campagne/options/{mef_id}", manager, school::campaign::options::update),
        Route::post("/etablissements/{uai}/campagne/options/{mef_id}/ajout", manager, school::campaign::options::create),
        Route::post("/etablissements/{uai}/campagne/options/{mef_id}/groupes", manager, school::campaign::options::create_group),
        Route::get("/etablissements/{uai}/campagne/questions", manager, school::campaign::questions::list),
        Route::post("/etablissements/{uai}/campagne/questions", manager, school::campaign::questions::create),
        Route::get("/etablissements/{uai}/campagne/questions/{question_id}", manager, school::campaign::questions::show_edit),
        Route::post("/etablissements/{uai}/campagne/questions/{question_id}", manager, school::campaign::questions::update),
        Route::get("/etablissements/{uai}/campagne/questions/{question_id}/suppression", manager, school::campaign::questions::show_delete),
        Route::post("/etablissements/{uai}/campagne/questions/{question_id}/suppression", manager, school::campaign::questions::delete),
        Route::get("/etablissements/{uai}/campagne/autorisations", school_life, school::campaign::questions::list_authorisations),
        Route::post("/etablissements/{uai}/campagne/autorisations", school_life, school::campaign::questions::create_authorisation),
        Route::get("/etablissements/{uai}/campagne/autorisations/{authorisation_id}", school_life, school::campaign::questions::show_edit_authorisation),
        Route::post("/etablissements/{uai}/campagne/autorisations/{authorisation_id}", school_life, school::campaign::questions::update_authorisation),
        Route::get("/etablissements/{uai}/campagne/autorisations/{authorisation_id}/suppression", school_life, school::campaign::questions::show_delete_authorisation),
        Route::post("/etablissements/{uai}/campagne/autorisations/{authorisation_id}/suppression", school_life, school::campaign::questions::delete_authorisation),
        // Demo outbox (404 unless outbox_web)
        Route::get("/outbox", DemoOutbox, outbox::list),
        Route::get("/outbox/{email_id}", DemoOutbox, outbox::show),
    ]
}

/// An axum router of `routes`; the methods of one path are merged (a method
/// declared twice on a path panics here, when the application is built).
pub fn into_router(routes: Vec<Route>) -> Router<AppState> {
    routes.into_iter().fold(Router::new(), |router, route| {
        router.route(route.path, route.handler)
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_route_of_the_table_has_its_own_method_and_path() {
        let mut seen = HashSet::new();
        for route in routes() {
            assert!(
                seen.insert((route.method.clone(), route.path)),
                "{} {} is declared twice",
                route.method,
                route.path
            );
        }
    }

    #[test]
    fn the_router_is_built_from_the_whole_table() {
        // Overlapping routes panic while the router is built.
        let _ = into_router(routes());
    }

    #[test]
    fn school_routes_are_for_agents_and_dossier_routes_for_their_family() {
        for route in routes() {
            let school = route.path.starts_with("/etablissements/{uai}");
            let dossier = route.path.starts_with("/famille/dossiers/{dossier_id}/");
            match route.access {
                Access::Agent(roles) => {
                    assert!(school, "{}: an agent route is under its school", route.path);
                    assert!(!roles.is_empty(), "{}", route.path);
                }
                Access::GuardianOfDossier => assert!(dossier, "{}", route.path),
                Access::Public
                | Access::DemoOutbox
                | Access::Guardian
                | Access::SignedInAgent
                | Access::SharedSecret => {
                    assert!(
                        !school && !dossier && !route.path.contains("{uai}"),
                        "{} names a school or a dossier but is not checked",
                        route.path
                    )
                }
            }
        }
    }

    #[test]
    fn only_static_files_the_health_check_and_the_provider_s_webhook_skip_the_session_layer() {
        let sessionless: Vec<&str> = routes()
            .into_iter()
            .filter(|r| r.sessionless)
            .map(|r| r.path)
            .collect();
        assert_eq!(
            sessionless,
            ["/healthz", "/static/{version}/{*path}", "/webhooks/sms"]
        );
    }
}
