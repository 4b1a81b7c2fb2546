//! Invitations and reminders sent by the school to a chosen target — the
//! dossiers in a state, a class, or a selection — by e-mail and/or SMS.
//!
//! - One message per guardian and channel, naming their children concerned,
//!   with a single-use sign-in link (`auth::sign_in_links`): never a code, so
//!   that a printed letter's code keeps working.
//! - Deduplicated: a guardian invited or reminded (by any channel) within
//!   `reminder_min_days` is left out, and said so.
//! - Throttled: the messages are handed to the providers no faster than
//!   `messages_per_minute` (their jobs are spread in time).
//! - Built by a job ([`SendRemindersJob`]) with progress, one guardian per
//!   transaction; a re-run skips the guardians it already reached.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::auth::sign_in_links;
use crate::db::{self, Db, now_ms, reminders};
use crate::dossier::messages::{Invitation, SchoolContact};
use crate::jobs::{Job, JobContext, JobSignal};
use crate::mail::Email;
use crate::notify::{self, Kind, Message, Recipient};
use crate::settings::Settings;
use crate::sms::{self, Sms};

/// The states a target may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetState {
    NotStarted,
    StartedNotSent,
    ToFix,
}

impl TargetState {
    pub const ALL: [TargetState; 3] = [
        TargetState::NotStarted,
        TargetState::StartedNotSent,
        TargetState::ToFix,
    ];

    /// The dossier state it stands for (`dossiers.state`), also its code.
    pub fn code(self) -> &'static str {
        match self {
            TargetState::NotStarted => "not_started",
            TargetState::StartedNotSent => "started",
            TargetState::ToFix => "returned",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            TargetState::NotStarted => "pas encore commencés",
            TargetState::StartedNotSent => "commencés mais pas envoyés",
            TargetState::ToFix => "renvoyés à la famille (pièces à remplacer)",
        }
    }
}

/// Whom to write to: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub state: Option<TargetState>,
    pub division: Option<String>,
    pub dossier_ids: Option<Vec<i64>>,
}

/// Which channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channels {
    pub email: bool,
    pub sms: bool,
}

/// One guardian to write to, with their children concerned.
#[derive(Debug, Clone)]
pub struct Family {
    pub guardian_id: i64,
    /// The first dossier concerned (the message is recorded against it).
    pub dossier_id: i64,
    pub children: Vec<String>,
    /// Their usable address and mobile number, for the chosen channels.
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// What a sending would do.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The dossiers of the target.
    pub dossiers: usize,
    /// The guardians written to (at least one usable contact, not reminded lately).
    pub families: Vec<Family>,
    /// Guardians left out: reminded within the delay; no usable contact for
    /// the chosen channels.
    pub recent: usize,
    pub without_contact: usize,
}

impl Plan {
    pub fn messages(&self) -> usize {
        self.families
            .iter()
            .map(|f| usize::from(f.email.is_some()) + usize::from(f.phone.is_some()))
            .sum()
    }
}

pub fn usable_email(email: &str) -> Option<String> {
    let email = email.trim();
    email
        .parse::<lettre::message::Mailbox>()
        .ok()
        .map(|_| email.to_owned())
}

/// Whom a sending to `target` by `channels` reaches now.
pub async fn plan(
    db: &Db,
    school_id: i64,
    target: &Target,
    channels: Channels,
    min_days: u32,
) -> sqlx::Result<Plan> {
    let rows = reminders::family_rows(db.pool(), school_id).await?;
    let since = now_ms() - i64::from(min_days) * 24 * 3600 * 1000;
    let recent: HashSet<i64> = reminders::reminded_since(db.pool(), school_id, since)
        .await?
        .into_iter()
        .collect();
    let chosen: Option<HashSet<i64>> = target
        .dossier_ids
        .as_ref()
        .map(|ids| ids.iter().copied().collect());
    let mut dossiers = HashSet::new();
    let mut by_guardian: BTreeMap<i64, (db::reminders::FamilyRow, Vec<String>)> = BTreeMap::new();
    let mut order = Vec::new();
    for row in rows {
        if target.state.is_some_and(|s| s.code() != row.state)
            || target.division.as_ref().is_some_and(|d| *d != row.division)
            || chosen
                .as_ref()
                .is_some_and(|c| !c.contains(&row.dossier_id))
        {
            continue;
        }
        dossiers.insert(row.dossier_id);
        let child = format!("{} {}", row.pupil_first_name, row.pupil_last_name);
        match by_guardian.get_mut(&row.guardian_id) {
            Some((_, children)) => {
                if !children.contains(&child) {
                    children.push(child)
                }
            }
            None => {
                order.push(row.guardian_id);
                by_guardian.insert(row.guardian_id, (row, vec![child]));
            }
        }
    }
    let mut plan = Plan {
        dossiers: dossiers.len(),
        ..Plan::default()
    };
    for guardian_id in order {
        let Some((row, children)) = by_guardian.remove(&guardian_id) else {
            continue;
        };
        let email = channels.email.then(|| usable_email(&row.email)).flatten();
        let phone = channels
            .sms
            .then(|| sms::french_mobile(&row.phone_mobile).map(|_| row.phone_mobile.clone()))
            .flatten();
        if email.is_none() && phone.is_none() {
            plan.without_contact += 1;
        } else if recent.contains(&guardian_id) {
            plan.recent += 1;
        } else {
            plan.families.push(Family {
                guardian_id,
                dossier_id: row.dossier_id,
                children,
                email,
                phone,
            });
        }
    }
    Ok(plan)
}

impl reminders::Batch {
    pub fn target(&self) -> Target {
        Target {
            state: self
                .target_state
                .as_deref()
                .and_then(TargetState::from_code),
            division: self.division.clone(),
            dossier_ids: self
                .dossier_ids
                .as_deref()
                .map(|ids| serde_json::from_str(ids).unwrap_or_default()),
        }
    }

    pub fn channels(&self) -> Channels {
        Channels {
            email: self.by_email,
            sms: self.by_sms,
        }
    }

    pub fn kind(&self) -> Kind {
        if self.kind == "invitation" {
            Kind::Invitation
        } else {
            Kind::Reminder
        }
    }
}

/// The texts a guardian receives, for `family` (`token`: their link's).
pub fn texts(
    kind: Kind,
    family: &Family,
    school: &SchoolContact,
    settings: &Settings,
    token: &str,
) -> (Option<Email>, Option<Sms>) {
    let link = sign_in_links::url(&settings.base_url, token);
    let expires = crate::domain::words::paris_time(
        now_ms() + i64::from(settings.sign_in_link_days) * 24 * 3600 * 1000,
    );
    let invitation = Invitation {
        reminder: kind == Kind::Reminder,
        children: &family.children,
        school,
        link: &link,
        token,
        expires: &expires,
        base_url: &settings.base_url,
    };
    let email = family.email.as_ref().map(|to| {
        let (subject, body_text) = invitation.email();
        Email {
            to: to.clone(),
            subject,
            body_text,
        }
    });
    let sms = family.phone.as_ref().map(|to| Sms {
        to: to.clone(),
        text: invitation.sms(),
    });
    (email, sms)
}

/// What the job needs.
#[derive(Clone)]
pub struct RemindersEnv {
    pub db: Db,
    pub settings: Settings,
    pub job_signal: JobSignal,
}

/// The job that sends a batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendRemindersJob {
    pub batch_id: i64,
}

impl Job for SendRemindersJob {
    const KIND: &'static str = "send_reminders";
    type Context = RemindersEnv;

    async fn run(self, ctx: &JobContext<RemindersEnv>) -> anyhow::Result<()> {
        let state = &ctx.env;
        let db = &state.db;
        let Some(batch) = reminders::find(db.pool(), self.batch_id).await? else {
            return Ok(());
        };
        if batch.status != "queued" {
            return Ok(());
        }
        let settings = &state.settings;
        let plan = plan(
            db,
            batch.school_id,
            &batch.target(),
            batch.channels(),
            settings.reminder_min_days,
        )
        .await?;
        let school_name = db::schools::find(db.pool(), batch.school_id)
            .await?
            .map(|s| s.name)
            .unwrap_or_default();
        let (email, phone) = db::campaigns::contact(db.pool(), batch.school_id).await?;
        let school = SchoolContact {
            name: school_name,
            email,
            phone,
        };
        let interval = 60_000 / i64::from(settings.messages_per_minute.max(1));
        let start = now_ms();
        let total = plan.families.len() as i64;
        let mut queued = 0_i64;
        for (n, family) in plan.families.iter().enumerate() {
            let mut tx = db.begin().await?;
            let token =
                sign_in_links::issue(&mut tx, family.guardian_id, settings.sign_in_link_days)
                    .await?;
            let (email, sms) = texts(batch.kind(), family, &school, settings, &token);
            let to = Recipient {
                school_id: batch.school_id,
                guardian_id: family.guardian_id,
                dossier_id: Some(family.dossier_id),
                batch_id: Some(batch.id),
            };
            let messages = email
                .map(Message::Email)
                .into_iter()
                .chain(sms.map(Message::Sms));
            for message in messages {
                let at = start + queued * interval;
                notify::send_at(&mut tx, &to, batch.kind(), &message, Some(at)).await?;
                queued += 1;
            }
            tx.commit().await?;
            ctx.progress(n as i64 + 1, total).await?;
        }
        reminders::finish(
            db.pool(),
            batch.id,
            total,
            queued,
            plan.recent as i64,
            plan.without_contact as i64,
        )
        .await?;
        state.job_signal.notify();
        Ok(())
    }
}
