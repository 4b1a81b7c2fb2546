//! Invitations and reminders to families (`crate::reminders`), and a
//! message to one family from its dossier:
//! - `GET …/relances`: choose whom (a state, a class, the ticked dossiers),
//!   invitation or reminder, and the channels;
//! - `POST …/relances`: without `confirmed`, the texts to read and the
//!   numbers (families, guardians left out); once confirmed, the sending's
//!   job is queued and its page followed (`GET …/relances/{reminder_id}`);
//! - `POST …/dossiers/{dossier_id}/message`: a message to the dossier's
//!   guardians, by the channels chosen.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;

use crate::app::AppState;
use crate::db::reminders::{self as batches, Batch, NewBatch};
use crate::db::{campaigns, letters as letter_batches};
use crate::domain::role::ManageSchool;
use crate::domain::words;
use crate::dossier::messages::{self, SchoolContact};
use crate::jobs::{self, queue};
use crate::mail::Email;
use crate::notify::{self, Kind, Message, Recipient};
use crate::reminders::{self, Channels, Plan, SendRemindersJob, Target, TargetState};
use crate::sms::Sms;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

#[derive(Debug, Default, Deserialize)]
pub struct RemindersForm {
    /// "invitation" or "relance".
    #[serde(default)]
    kind: String,
    /// "etat", "classe" or "selection".
    #[serde(default)]
    cible: String,
    #[serde(default)]
    etat: String,
    #[serde(default)]
    classe: String,
    #[serde(default)]
    dossier: Vec<i64>,
    #[serde(default)]
    courriel: Option<String>,
    #[serde(default)]
    sms: Option<String>,
    #[serde(default)]
    confirmed: Option<String>,
}

impl RemindersForm {
    fn target(&self) -> Target {
        match self.cible.as_str() {
            "classe" => Target {
                division: Some(self.classe.trim().to_owned()),
                ..Target::default()
            },
            // Nobody ticked selects nobody.
            "selection" => Target {
                dossier_ids: Some(self.dossier.clone()),
                ..Target::default()
            },
            _ => Target {
                state: Some(
                    TargetState::from_code(&self.etat).unwrap_or(TargetState::StartedNotSent),
                ),
                ..Target::default()
            },
        }
    }

    fn channels(&self) -> Channels {
        Channels {
            email: self.courriel.is_some(),
            sms: self.sms.is_some(),
        }
    }

    fn kind(&self) -> Kind {
        if self.kind == "invitation" {
            Kind::Invitation
        } else {
            Kind::Reminder
        }
    }
}

/// The target in words.
fn whom(target: &Target) -> String {
    match (target.state, &target.division, &target.dossier_ids) {
        (Some(state), _, _) => format!("les dossiers {}", state.label()),
        (_, Some(division), _) => format!("les élèves de la classe {division}"),
        (_, _, Some(ids)) => format!("{} dossier(s) choisi(s) dans la liste", ids.len()),
        _ => "tous les dossiers".to_owned(),
    }
}

fn channels_label(channels: Channels) -> &'static str {
    match (channels.email, channels.sms) {
        (true, true) => "par courriel et par SMS",
        (true, false) => "par courriel",
        (false, true) => "par SMS",
        (false, false) => "par aucun moyen",
    }
}

#[derive(Template)]
#[template(path = "school/reminders/new.html")]
pub struct NewPage {
    pub chrome: Chrome,
    pub uai: String,
    pub states: Vec<(&'static str, &'static str)>,
    pub divisions: Vec<String>,
    pub dossiers: Vec<i64>,
}

/// `GET …/relances`.
pub async fn new(
    State(state): State<AppState>,
    manager: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Html<String>, AppError> {
    // `?dossier=1&dossier=2`: the dossiers ticked in the list.
    let dossiers: Vec<i64> = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(key, _)| key == "dossier")
        .filter_map(|(_, value)| value.parse().ok())
        .collect();
    let divisions = letter_batches::divisions(state.db.pool(), manager.school_id).await?;
    render(&NewPage {
        chrome,
        uai: manager.school_uai.clone(),
        states: TargetState::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        divisions,
        dossiers,
    })
}

#[derive(Template)]
#[template(path = "school/reminders/preview.html")]
pub struct PreviewPage {
    pub chrome: Chrome,
    pub uai: String,
    pub kind_label: &'static str,
    pub whom: String,
    pub channels: &'static str,
    pub dossiers: usize,
    pub families: usize,
    pub messages: usize,
    pub recent: usize,
    pub without_contact: usize,
    pub min_days: u32,
    pub email: Option<(String, String)>,
    pub sms: Option<String>,
    pub no_channel: bool,
    /// The form's fields, sent again with `confirmed`.
    pub fields: Vec<(&'static str, String)>,
}

pub(crate) async fn school_contact(
    state: &AppState,
    manager: &CurrentAgent<ManageSchool>,
) -> Result<SchoolContact, AppError> {
    let (email, phone) = campaigns::contact(state.db.pool(), manager.school_id).await?;
    Ok(SchoolContact {
        name: manager.school_name.clone(),
        email,
        phone,
    })
}

fn preview(
    state: &AppState,
    chrome: Chrome,
    manager: &CurrentAgent<ManageSchool>,
    form: &RemindersForm,
    plan: &Plan,
    school: &SchoolContact,
) -> PreviewPage {
    let channels = form.channels();
    // The texts of the first family, with an example token: each family gets its own link.
    let (email, sms) = plan
        .families
        .first()
        .map(|family| {
            let mut family = family.clone();
            family.email = channels
                .email
                .then(|| family.email.clone().unwrap_or_default());
            family.phone = channels
                .sms
                .then(|| family.phone.clone().unwrap_or_default());
            reminders::texts(
                form.kind(),
                &family,
                school,
                &state.settings,
                "XXXX-XXXX-XXXX-XXXX-XXXX",
            )
        })
        .unwrap_or_default();
    let mut fields = vec![
        ("kind", form.kind.clone()),
        ("cible", form.cible.clone()),
        ("etat", form.etat.clone()),
        ("classe", form.classe.clone()),
    ];
    fields.extend(form.dossier.iter().map(|id| ("dossier", id.to_string())));
    if channels.email {
        fields.push(("courriel", "oui".into()));
    }
    if channels.sms {
        fields.push(("sms", "oui".into()));
    }
    PreviewPage {
        chrome,
        uai: manager.school_uai.clone(),
        kind_label: Kind::label(form.kind().code()),
        whom: whom(&form.target()),
        channels: channels_label(channels),
        dossiers: plan.dossiers,
        families: plan.families.len(),
        messages: plan.messages(),
        recent: plan.recent,
        without_contact: plan.without_contact,
        min_days: state.settings.reminder_min_days,
        email: email.map(|e| (e.subject, e.body_text)),
        sms: sms.map(|s| s.text),
        no_channel: !channels.email && !channels.sms,
        fields,
    }
}

/// `POST …/relances`.
pub async fn create(
    State(state): State<AppState>,
    manager: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Form(form): Form<RemindersForm>,
) -> Result<Response, AppError> {
    let target = form.target();
    let channels = form.channels();
    let plan = reminders::plan(
        &state.db,
        manager.school_id,
        &target,
        channels,
        state.settings.reminder_min_days,
    )
    .await?;
    let school = school_contact(&state, &manager).await?;
    if form.confirmed.is_none() || plan.families.is_empty() {
        return Ok(
            render(&preview(&state, chrome, &manager, &form, &plan, &school))?.into_response(),
        );
    }
    let kind = form.kind();
    let mut tx = state.db.begin().await?;
    let batch_id = batches::create(
        &mut *tx,
        &NewBatch {
            school_id: manager.school_id,
            agent_id: Some(manager.agent_id),
            kind: kind.code(),
            target_state: target.state.map(TargetState::code),
            division: target.division.as_deref(),
            dossier_ids: target
                .dossier_ids
                .as_ref()
                .map(|ids| serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())),
            by_email: channels.email,
            by_sms: channels.sms,
        },
    )
    .await?;
    let job_id = jobs::enqueue(
        &mut *tx,
        &SendRemindersJob { batch_id },
        None,
        Some(manager.school_id),
    )
    .await
    .map_err(AppError::Internal)?;
    batches::set_job(&mut *tx, batch_id, job_id).await?;
    manager
        .audit(
            &mut *tx,
            "reminders_requested",
            &format!("reminders:{batch_id} families={}", plan.families.len()),
        )
        .await?;
    tx.commit().await?;
    state.job_signal.notify();
    Ok(Redirect::to(&format!(
        "/etablissements/{}/relances/{batch_id}",
        manager.school_uai
    ))
    .into_response())
}

/// A message of the batch not sent or not delivered: (guardian, dossier,
/// channel, recipient, status, reason).
pub type FailureLine = (
    String,
    Option<i64>,
    &'static str,
    String,
    &'static str,
    String,
);

#[derive(Template)]
#[template(path = "school/reminders/show.html")]
pub struct ShowPage {
    pub chrome: Chrome,
    pub uai: String,
    pub batch_id: i64,
    pub kind_label: &'static str,
    pub whom: String,
    pub channels: &'static str,
    pub created: String,
    pub finished: bool,
    pub percent: i64,
    pub batch: Batch,
    /// (status in words, count).
    pub statuses: Vec<(&'static str, i64)>,
    /// (guardian, dossier, channel, recipient, status, reason).
    pub failures: Vec<FailureLine>,
    pub min_days: u32,
}

/// `GET …/relances/{reminder_id}`.
pub async fn show(
    State(state): State<AppState>,
    manager: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Path((_uai, reminder_id)): Path<(String, i64)>,
) -> Result<Html<String>, AppError> {
    let batch = batches::find(state.db.pool(), reminder_id)
        .await?
        .filter(|b| b.school_id == manager.school_id)
        .ok_or(AppError::NotFound)?;
    let (mut percent, mut finished) = (100, true);
    if batch.status == "queued" {
        finished = false;
        percent = 0;
        if let Some(job_id) = batch.job_id
            && let Some(job) = queue::find(state.db.pool(), job_id).await?
        {
            let (done, total) = state
                .live_progress
                .get(job_id)
                .filter(|_| job.status == "running")
                .unwrap_or((job.progress_done, job.progress_total));
            if total > 0 {
                percent = (done * 100 / total).clamp(0, 99);
            }
            finished = job.status == "failed";
        }
    }
    let statuses = batches::message_statuses(state.db.pool(), reminder_id)
        .await?
        .into_iter()
        .map(|(status, n)| (notify::status_label(&status), n))
        .collect();
    let failures = batches::failures(state.db.pool(), reminder_id)
        .await?
        .into_iter()
        .map(|(name, dossier, channel, recipient, status, reason)| {
            let recipient = if channel == "sms" {
                words::phone(&recipient)
            } else {
                recipient
            };
            (
                name,
                dossier,
                notify::Channel::label(&channel),
                recipient,
                notify::status_label(&status),
                reason,
            )
        })
        .collect();
    render(&ShowPage {
        chrome,
        uai: manager.school_uai.clone(),
        batch_id: reminder_id,
        kind_label: Kind::label(&batch.kind),
        whom: whom(&batch.target()),
        channels: channels_label(batch.channels()),
        created: words::paris_time(batch.created_at),
        finished,
        percent,
        statuses,
        failures,
        min_days: state.settings.reminder_min_days,
        batch,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct MessageForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    courriel: Option<String>,
    #[serde(default)]
    sms: Option<String>,
}

/// `POST …/dossiers/{dossier_id}/message`: the agent's words to each
/// guardian of the dossier with a usable contact, by the channels chosen.
pub async fn create_message(
    State(state): State<AppState>,
    manager: CurrentAgent<ManageSchool>,
    Path((_uai, dossier_id)): Path<(String, i64)>,
    Form(form): Form<MessageForm>,
) -> Result<Response, AppError> {
    let page = format!(
        "/etablissements/{}/dossiers/{dossier_id}",
        manager.school_uai
    );
    let target = Target {
        dossier_ids: Some(vec![dossier_id]),
        ..Target::default()
    };
    let channels = Channels {
        email: form.courriel.is_some(),
        sms: form.sms.is_some(),
    };
    // No delay here: a message to one family is deliberate.
    let plan = reminders::plan(&state.db, manager.school_id, &target, channels, 0).await?;
    let text = form.text.trim();
    if plan.dossiers == 0 {
        return Err(AppError::NotFound);
    }
    if text.is_empty() || (!channels.email && !channels.sms) {
        return Ok(redirect_with_flash(
            &state,
            &format!("{page}#message"),
            Flash::error("Écrivez le message et choisissez au moins un moyen : courriel ou SMS."),
        ));
    }
    if text.chars().count() > 1000 {
        return Ok(redirect_with_flash(
            &state,
            &format!("{page}#message"),
            Flash::error("Message trop long : 1 000 caractères au plus."),
        ));
    }
    if plan.families.is_empty() {
        return Ok(redirect_with_flash(
            &state,
            &format!("{page}#message"),
            Flash::error(
                "Aucun responsable de cet élève n'a de courriel ni de téléphone portable utilisable : rien n'a été envoyé.",
            ),
        ));
    }
    let school = school_contact(&state, &manager).await?;
    let mut tx = state.db.begin().await?;
    let mut sent = 0;
    for family in &plan.families {
        let to = Recipient {
            school_id: manager.school_id,
            guardian_id: family.guardian_id,
            dossier_id: Some(dossier_id),
            batch_id: None,
        };
        let child = family.children.first().cloned().unwrap_or_default();
        if let Some(address) = &family.email {
            let (subject, body_text) = messages::individual_email(&child, text, &school);
            let email = Email {
                to: address.clone(),
                subject,
                body_text,
            };
            notify::send(&mut tx, &to, Kind::Individual, &Message::Email(email)).await?;
            sent += 1;
        }
        if let Some(phone) = &family.phone {
            let sms = Sms {
                to: phone.clone(),
                text: messages::individual_sms(text, &school),
            };
            notify::send(&mut tx, &to, Kind::Individual, &Message::Sms(sms)).await?;
            sent += 1;
        }
    }
    manager
        .audit(
            &mut *tx,
            "family_message",
            &format!("dossier:{dossier_id} messages={sent}"),
        )
        .await?;
    tx.commit().await?;
    state.job_signal.notify();
    Ok(redirect_with_flash(
        &state,
        &format!("{page}#message"),
        Flash::success(format!("Message mis en file d'envoi ({sent} envoi(s)).")),
    ))
}
