//! `GET /etablissements/{uai}/campagne/pret`: what is still missing before
//! families can be invited, each line linking to the screen that fixes it;
//! all green when the campaign is complete. Also the set-up's home page.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::base;
use crate::app::AppState;
use crate::db::setup::{self, Readiness};
use crate::domain::role::ManageSchool;
use crate::domain::words;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

/// One line of the check: done or not, what it says, where to fix it.
pub struct Check {
    pub done: bool,
    pub text: String,
    pub href: String,
    pub link: &'static str,
}

#[derive(Template)]
#[template(path = "school/campaign/ready.html")]
pub struct ReadyPage {
    pub chrome: Chrome,
    pub uai: String,
    pub school_year: Option<i64>,
    pub checks: Vec<Check>,
    pub ready: bool,
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The lines of the check, from what the school has set up.
pub fn checks(r: &Readiness, base: &str) -> Vec<Check> {
    let campaign = r.campaign.as_ref();
    let dates = campaign.map(|c| c.dates()).unwrap_or_default();
    let line = |done: bool, text: String, path: &str, link: &'static str| Check {
        done,
        text,
        href: format!("{base}{path}"),
        link,
    };
    let date_text = |d: Option<chrono::NaiveDate>, what: &str| match d {
        Some(d) => format!(
            "{what} : {}",
            words::french_date(&d.format("%Y-%m-%d").to_string())
        ),
        None => format!("{what} non fixée"),
    };
    vec![
        line(
            dates.opens_on.is_some(),
            date_text(dates.opens_on, "Date d'ouverture"),
            "",
            "Fixer les dates",
        ),
        line(
            dates.closes_on.is_some(),
            date_text(dates.closes_on, "Date de clôture"),
            "",
            "Fixer les dates",
        ),
        line(
            campaign.is_some_and(|c| !c.welcome_text.trim().is_empty()),
            if campaign.is_some_and(|c| !c.welcome_text.trim().is_empty()) {
                "Mot d'accueil rédigé".into()
            } else {
                "Aucun mot d'accueil".into()
            },
            "",
            "Rédiger le mot d'accueil",
        ),
        line(
            campaign.is_some_and(|c| !c.contact_email.is_empty() || !c.contact_phone.is_empty()),
            if campaign.is_some_and(|c| !c.contact_email.is_empty() || !c.contact_phone.is_empty())
            {
                "Contact des familles indiqué".into()
            } else {
                "Aucun contact pour les familles".into()
            },
            "",
            "Indiquer un contact",
        ),
        line(
            r.mefs > 0 && r.mefs_to_set == 0,
            if r.mefs == 0 {
                "Aucun MEF : importez la nomenclature".into()
            } else if r.mefs_to_set == 0 {
                "Chaque MEF a sa suite pour l'an prochain".into()
            } else {
                format!(
                    "{} pas de MEF suivant",
                    plural(r.mefs_to_set, "MEF n'a", "MEF n'ont")
                )
            },
            "/mefs",
            "Choisir les MEF suivants",
        ),
        line(
            r.documents > 0,
            if r.documents == 0 {
                "Aucune pièce demandée".into()
            } else {
                plural(r.documents, "pièce demandée", "pièces demandées")
            },
            "/pieces",
            "Gérer les pièces",
        ),
        line(
            r.exit_rules > 0,
            if r.exit_rules == 0 {
                "Aucun régime de sortie".into()
            } else {
                plural(r.exit_rules, "régime de sortie", "régimes de sortie")
            },
            "/regimes-de-sortie",
            "Gérer les régimes de sortie",
        ),
        line(
            r.tariffs > 0,
            if r.tariffs == 0 {
                "Aucun tarif de demi-pension".into()
            } else {
                plural(
                    r.tariffs,
                    "tranche de tarif de demi-pension",
                    "tranches de tarif de demi-pension",
                )
            },
            "/demi-pension",
            "Gérer la demi-pension",
        ),
    ]
}

pub async fn show(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
) -> Result<Response, AppError> {
    let readiness = {
        let mut conn = state.db.pool().acquire().await?;
        setup::readiness(&mut conn, agent.school_id).await?
    };
    let checks = checks(&readiness, &base(&agent));
    Ok(render(&ReadyPage {
        chrome,
        uai: agent.school_uai.clone(),
        school_year: readiness.campaign.as_ref().map(|c| c.school_year),
        ready: checks.iter().all(|c| c.done),
        checks,
    })?
    .into_response())
}
