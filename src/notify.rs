//! Messages to families through one door, whatever the channel: an e-mail
//! (`crate::mail`, outbox or SMTP) or an SMS (`crate::sms`, outbox or the
//! HTTP provider). Both are delivered by a job enqueued in the caller's
//! transaction, retried with backoff, and failed at once with a reason when
//! retrying cannot help (an invalid number, a message the provider refused).

use sqlx::{Any, Executor};

use crate::jobs;
use crate::mail::{Email, SendEmailJob};
use crate::sms::{SendSmsJob, Sms};

/// One message to one family member, by one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Email(Email),
    Sms(Sms),
}

/// Queues `message` for delivery; returns its job's id.
pub async fn enqueue(
    db: impl Executor<'_, Database = Any>,
    message: &Message,
    school_id: Option<i64>,
) -> anyhow::Result<i64> {
    match message {
        Message::Email(email) => {
            jobs::enqueue(
                db,
                &SendEmailJob {
                    email: email.clone(),
                },
                None,
                school_id,
            )
            .await
        }
        Message::Sms(sms) => {
            jobs::enqueue(db, &SendSmsJob { sms: sms.clone() }, None, school_id).await
        }
    }
}
