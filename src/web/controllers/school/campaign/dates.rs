//! `GET|POST /etablissements/{uai}/campagne`: the campaign's dates (opening,
//! closing, returned dossiers), the welcome text, whom families contact, and
//! the help of each step. Texts are Markdown, shown rendered and sanitised
//! (`web::markdown`); the dates are checked by `domain::campaign_dates`.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Fields, base};
use crate::app::AppState;
use crate::db::setup::{self, CampaignText};
use crate::domain::campaign_dates::{self, CampaignDates};
use crate::domain::journey::Step;
use crate::domain::role::ManageSchool;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::markdown;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

pub const TEXT_MAX: usize = 5000;

pub struct HelpField {
    pub slug: &'static str,
    pub title: &'static str,
    pub text: String,
}

#[derive(Template)]
#[template(path = "school/campaign/dates.html")]
pub struct DatesPage {
    pub chrome: Chrome,
    pub uai: String,
    pub school_year: i64,
    pub text: CampaignText,
    pub help: Vec<HelpField>,
    pub welcome_preview: String,
    pub error: Option<String>,
}

fn help_fields(get: impl Fn(&str) -> String) -> Vec<HelpField> {
    Step::fillable()
        .iter()
        .map(|step| HelpField {
            slug: step.slug(),
            title: step.title(),
            text: get(step.slug()),
        })
        .collect()
}

pub async fn show(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    let campaign = setup::current_or_new_campaign(
        &mut tx,
        agent.school_id,
        crate::campaign::school_year_starting(),
    )
    .await?;
    let help = setup::help_texts(&mut *tx, campaign.id).await?;
    tx.commit().await?;
    Ok(render(&DatesPage {
        chrome,
        uai: agent.school_uai.clone(),
        school_year: campaign.school_year,
        welcome_preview: markdown::to_safe_html(&campaign.welcome_text),
        text: CampaignText {
            opens_on: campaign.opens_on,
            closes_on: campaign.closes_on,
            returned_until: campaign.returned_until,
            welcome_text: campaign.welcome_text,
            contact_email: campaign.contact_email,
            contact_phone: campaign.contact_phone,
        },
        help: help_fields(|slug| help.get(slug).cloned().unwrap_or_default()),
        error: None,
    })?
    .into_response())
}

fn date(fields: &Fields, name: &str) -> Option<String> {
    Some(fields.text(name, 10)).filter(|d| !d.is_empty())
}

pub async fn update(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields = Fields(form);
    let text = CampaignText {
        opens_on: date(&fields, "opens_on"),
        closes_on: date(&fields, "closes_on"),
        returned_until: date(&fields, "returned_until"),
        welcome_text: fields.text("welcome_text", TEXT_MAX),
        contact_email: fields.text("contact_email", 200),
        contact_phone: fields.text("contact_phone", 30),
    };
    let dates = CampaignDates::parse(
        text.opens_on.as_deref(),
        text.closes_on.as_deref(),
        text.returned_until.as_deref(),
    );
    let mut error = campaign_dates::check(&dates).err().map(str::to_owned);
    let typed_but_unreadable = [
        (&text.opens_on, dates.opens_on.is_some()),
        (&text.closes_on, dates.closes_on.is_some()),
        (&text.returned_until, dates.returned_until.is_some()),
    ]
    .iter()
    .any(|(typed, read)| typed.is_some() && !read);
    if typed_but_unreadable {
        error = Some("Une date n'est pas lisible : saisissez-la au format JJ/MM/AAAA.".into());
    }
    if error.is_none() && !text.contact_email.is_empty() && !text.contact_email.contains('@') {
        error = Some("L'adresse de contact doit être au format nom@domaine.fr.".into());
    }
    let help = help_fields(|slug| fields.text(&format!("help_{slug}"), TEXT_MAX));
    let mut tx = state.db.begin().await?;
    let campaign = setup::current_or_new_campaign(
        &mut tx,
        agent.school_id,
        crate::campaign::school_year_starting(),
    )
    .await?;
    if let Some(error) = error {
        tx.rollback().await?;
        let page = DatesPage {
            chrome,
            uai: agent.school_uai.clone(),
            school_year: campaign.school_year,
            welcome_preview: markdown::to_safe_html(&text.welcome_text),
            text,
            help,
            error: Some(error),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    setup::update_campaign(&mut *tx, agent.school_id, campaign.id, &text).await?;
    for field in &help {
        setup::set_help_text(&mut tx, campaign.id, field.slug, &field.text).await?;
    }
    agent
        .audit(
            &mut *tx,
            "campaign_dates_updated",
            &format!("campaign:{}", campaign.id),
        )
        .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &state,
        &base(&agent),
        Flash::success("Dates et textes de la campagne enregistrés."),
    ))
}
