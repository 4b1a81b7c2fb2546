//! Messages to families through one door, whatever the channel: an e-mail
//! (`crate::mail`, outbox or SMTP) or an SMS (`crate::sms`, outbox or the
//! HTTP provider). Both are delivered by a job enqueued in the caller's
//! transaction, retried with backoff, and failed at once with a reason when
//! retrying cannot help (an invalid number or address, a message the provider
//! refused).
//!
//! A message to a guardian ([`send`]) is also recorded in `messages` with its
//! delivery status — queued, sent, failed with its reason, then delivered or
//! bounced when the SMS provider reports it (`POST /webhooks/sms`) — which
//! the school reads on the family's dossier.

use sqlx::{Any, AnyConnection, Executor};

use crate::db::messages::{self, NewMessage};
use crate::jobs;
use crate::mail::{Email, SendEmailJob};
use crate::sms::{SendSmsJob, Sms};

/// One message to one family member, by one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Email(Email),
    Sms(Sms),
}

impl Message {
    pub fn channel(&self) -> Channel {
        match self {
            Message::Email(_) => Channel::Email,
            Message::Sms(_) => Channel::Sms,
        }
    }
}

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn code(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    pub fn label(code: &str) -> &'static str {
        match code {
            "sms" => "SMS",
            _ => "Courriel",
        }
    }
}

/// Why the family is written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The campaign is open: come and re-enrol.
    Invitation,
    /// You have not finished.
    Reminder,
    /// A message an agent wrote to this family.
    Individual,
    /// The receipt of a sent dossier.
    Receipt,
    /// The school sends the dossier back.
    Returned,
    /// The pieces the school refused, to replace (`dossier::refusals`).
    PiecesRefused,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Invitation => "invitation",
            Kind::Reminder => "reminder",
            Kind::Individual => "individual",
            Kind::Receipt => "receipt",
            Kind::Returned => "returned",
            Kind::PiecesRefused => "pieces_refused",
        }
    }

    pub fn label(code: &str) -> &'static str {
        match code {
            "invitation" => "Invitation",
            "reminder" => "Relance",
            "individual" => "Message de l'établissement",
            "receipt" => "Récépissé",
            "returned" => "Dossier renvoyé",
            "pieces_refused" => "Pièces refusées",
            _ => "Message",
        }
    }
}

/// A message's delivery status, in words.
pub fn status_label(code: &str) -> &'static str {
    match code {
        "queued" => "en attente d'envoi",
        "sent" => "envoyé",
        "delivered" => "reçu",
        "failed" => "non envoyé",
        "bounced" => "non distribué",
        _ => "inconnu",
    }
}

/// Whom a message is for: a guardian of a school, about a dossier or not,
/// part of a reminder or not.
#[derive(Debug, Clone, Copy)]
pub struct Recipient {
    pub school_id: i64,
    pub guardian_id: i64,
    pub dossier_id: Option<i64>,
    pub batch_id: Option<i64>,
}

/// Records `message` to `to` (status queued) and queues its delivery, in the
/// caller's transaction; returns the message's id.
pub async fn send(
    conn: &mut AnyConnection,
    to: &Recipient,
    kind: Kind,
    message: &Message,
) -> anyhow::Result<i64> {
    send_at(conn, to, kind, message, None).await
}

/// [`send`], handed to the provider no sooner than `not_before` (ms): a
/// large sending keeps to the provider's rate (`messages_per_minute`).
pub async fn send_at(
    conn: &mut AnyConnection,
    to: &Recipient,
    kind: Kind,
    message: &Message,
    not_before: Option<i64>,
) -> anyhow::Result<i64> {
    let (recipient, subject, body) = match message {
        Message::Email(e) => (e.to.as_str(), e.subject.as_str(), e.body_text.as_str()),
        Message::Sms(s) => (s.to.as_str(), "", s.text.as_str()),
    };
    let id = messages::create(
        &mut *conn,
        &NewMessage {
            school_id: to.school_id,
            guardian_id: to.guardian_id,
            dossier_id: to.dossier_id,
            channel: message.channel().code(),
            kind: kind.code(),
            recipient,
            subject,
            body,
            batch_id: to.batch_id,
        },
    )
    .await?;
    match not_before {
        None => {
            enqueue_job(&mut *conn, message, Some(id), Some(to.school_id)).await?;
        }
        Some(run_at) => match message {
            Message::Email(email) => {
                let job = SendEmailJob {
                    email: email.clone(),
                    message_id: Some(id),
                };
                jobs::enqueue_at(&mut *conn, &job, Some(to.school_id), run_at).await?;
            }
            Message::Sms(sms) => {
                let job = SendSmsJob {
                    sms: sms.clone(),
                    message_id: Some(id),
                };
                jobs::enqueue_at(&mut *conn, &job, Some(to.school_id), run_at).await?;
            }
        },
    }
    Ok(id)
}

/// Queues `message` for delivery without recording it as a message to a
/// family (an agent's e-mail, a test); returns its job's id.
pub async fn enqueue(
    db: impl Executor<'_, Database = Any>,
    message: &Message,
    school_id: Option<i64>,
) -> anyhow::Result<i64> {
    enqueue_job(db, message, None, school_id).await
}

async fn enqueue_job(
    db: impl Executor<'_, Database = Any>,
    message: &Message,
    message_id: Option<i64>,
    school_id: Option<i64>,
) -> anyhow::Result<i64> {
    match message {
        Message::Email(email) => {
            jobs::enqueue(
                db,
                &SendEmailJob {
                    email: email.clone(),
                    message_id,
                },
                None,
                school_id,
            )
            .await
        }
        Message::Sms(sms) => {
            jobs::enqueue(
                db,
                &SendSmsJob {
                    sms: sms.clone(),
                    message_id,
                },
                None,
                school_id,
            )
            .await
        }
    }
}

/// What a delivery job did, recorded on its message (if it has one): sent;
/// failed for good (`permanent`) or at its last attempt, with the reason;
/// otherwise still queued, to be retried.
pub async fn record_outcome<C>(
    ctx: &jobs::JobContext<C>,
    message_id: Option<i64>,
    outcome: Result<Option<String>, (String, bool)>,
) -> anyhow::Result<()> {
    let Some(id) = message_id else { return Ok(()) };
    let pool = ctx.db().pool();
    match outcome {
        Ok(provider_id) => messages::mark_sent(pool, id, provider_id.as_deref()).await?,
        Err((reason, permanent)) if permanent || ctx.is_last_attempt() => {
            messages::mark_failed(pool, id, &reason).await?
        }
        Err(_) => {}
    }
    Ok(())
}

/// Records the delivery reports of the SMS provider (`POST /webhooks/sms`):
/// one event, or a batch of them. Returns how many messages they updated;
/// events about unknown messages are ignored (the provider must not retry).
pub async fn record_sms_reports(
    db: &crate::db::Db,
    body: &serde_json::Value,
) -> anyhow::Result<usize> {
    let events: Vec<&serde_json::Value> = match body {
        serde_json::Value::Array(events) => events.iter().collect(),
        event => vec![event],
    };
    let mut updated = 0;
    for event in events {
        let Some((id, report)) = crate::sms::read_report(event) else {
            continue;
        };
        let (status, reason) = match &report {
            crate::sms::Report::Delivered => ("delivered", ""),
            crate::sms::Report::Bounced(reason) => ("bounced", reason.as_str()),
            crate::sms::Report::Other => continue,
        };
        if messages::report(db.pool(), Channel::Sms.code(), &id, status, reason).await? {
            updated += 1;
        }
    }
    Ok(updated)
}
