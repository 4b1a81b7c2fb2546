//! SMS, like e-mail (`crate::mail`): a message is put in a [`SendSmsJob`] in
//! the caller's transaction and handed by the worker to one of two
//! transports, chosen by `sms_transport`: the database outbox (demo, tests)
//! or Brevo's transactional SMS API (a French provider schools' académies
//! already buy; `sms_api_url`, `sms_api_key`, `sms_sender`).
//!
//! A number that is not a French mobile phone is refused before anything is
//! sent, as is a message the provider refuses (4xx): retrying cannot help,
//! the job fails at once with the reason. A provider that is down, slow
//! (10 s) or overloaded (5xx, 429) is retried with the queue's backoff.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::db::{Db, now_ms};
use crate::jobs::{Job, JobContext, permanent};
use crate::secret::Secret;
use crate::settings::{Settings, SmsTransport};

/// One text to one phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sms {
    /// As the school has it: `06 12 34 56 78`, `+33 6…`.
    pub to: String,
    pub text: String,
}

/// A French mobile number (06, 07, in metropolitan form or international)
/// in the international form providers expect, without `+`: `33612345678`.
pub fn french_mobile(number: &str) -> Option<String> {
    let digits: String = number
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    let national = if let Some(rest) = digits.strip_prefix("+33") {
        rest.trim_start_matches('0').to_owned()
    } else if let Some(rest) = digits.strip_prefix("0033") {
        rest.trim_start_matches('0').to_owned()
    } else {
        digits.strip_prefix('0')?.to_owned()
    };
    let valid = national.len() == 9
        && national.chars().all(|c| c.is_ascii_digit())
        && (national.starts_with('6') || national.starts_with('7'));
    valid.then(|| format!("33{national}"))
}

/// Why an SMS was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// Not a French mobile number: nothing was sent.
    #[error("« {0} » n'est pas un numéro de téléphone portable français")]
    InvalidNumber(String),
    /// The provider refused the message (4xx): sending again will not help.
    #[error("refusé par l'opérateur de SMS : {0}")]
    Refused(String),
    /// The provider could not be reached or failed (5xx, 429, timeout).
    #[error("opérateur de SMS indisponible : {0}")]
    Unavailable(String),
}

/// Where SMS go.
#[derive(Clone)]
pub enum SmsSender {
    /// Stored in `outbox_sms`.
    Outbox(Db),
    /// Brevo's API: `POST sms_api_url` with the key in `api-key`.
    Brevo {
        client: reqwest::Client,
        /// How long the provider has to answer (`sms_timeout_secs`).
        timeout: Duration,
        url: String,
        api_key: Secret<String>,
        sender: String,
    },
}

/// What Brevo is sent (its transactional SMS API).
#[derive(Serialize)]
struct BrevoSms<'a> {
    sender: &'a str,
    recipient: &'a str,
    content: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
}

impl SmsSender {
    pub fn from_settings(settings: &Settings, db: &Db) -> anyhow::Result<Self> {
        Ok(match settings.sms_transport {
            SmsTransport::Outbox => SmsSender::Outbox(db.clone()),
            SmsTransport::Brevo => SmsSender::Brevo {
                client: reqwest::Client::builder()
                    .timeout(Duration::from_secs(settings.sms_timeout_secs.max(1)))
                    .build()?,
                timeout: Duration::from_secs(settings.sms_timeout_secs.max(1)),
                url: settings.sms_api_url.clone(),
                api_key: settings
                    .sms_api_key
                    .clone()
                    .ok_or_else(|| anyhow::anyhow!("sms_transport = brevo needs sms_api_key"))?,
                sender: settings.sms_sender.clone(),
            },
        })
    }

    /// Delivers `sms`; returns the provider's id of the message (the
    /// outbox's row id), which its delivery reports name. `job_id` makes a
    /// retried outbox delivery store it once.
    pub async fn send(&self, sms: &Sms, job_id: Option<i64>) -> Result<Option<String>, SmsError> {
        let to = french_mobile(&sms.to).ok_or_else(|| SmsError::InvalidNumber(sms.to.clone()))?;
        match self {
            SmsSender::Outbox(db) => {
                // On a retry the row exists: the no-op update returns it.
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO outbox_sms (recipient, body, job_id, created_at)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (job_id) DO UPDATE SET job_id = excluded.job_id RETURNING id",
                )
                .bind(&to)
                .bind(&sms.text)
                .bind(job_id)
                .bind(now_ms())
                .fetch_one(db.pool())
                .await
                .map_err(|e| SmsError::Unavailable(e.to_string()))?;
                Ok(Some(format!("outbox-{id}")))
            }
            SmsSender::Brevo {
                client,
                timeout,
                url,
                api_key,
                sender,
            } => {
                let body = serde_json::to_vec(&BrevoSms {
                    sender,
                    recipient: &to,
                    content: &sms.text,
                    kind: "transactional",
                })
                .map_err(|e| SmsError::Unavailable(e.to_string()))?;
                let response = client
                    .post(url)
                    .header("api-key", api_key.expose())
                    .header("content-type", "application/json")
                    .header("accept", "application/json")
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| {
                        SmsError::Unavailable(if e.is_timeout() {
                            format!("pas de réponse en {} s", timeout.as_secs())
                        } else {
                            e.without_url().to_string()
                        })
                    })?;
                let status = response.status();
                if status.is_success() {
                    // `{"messageId": 1511882900176220}`
                    let text = response.text().await.unwrap_or_default();
                    let id = serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| provider_message_id(v.get("messageId")?));
                    return Ok(id);
                }
                let text = response.text().await.unwrap_or_default();
                let reason = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v.get("message")?.as_str().map(str::to_owned))
                    .unwrap_or_else(|| text.chars().take(200).collect());
                let reason = format!("{} {reason}", status.as_u16()).trim().to_owned();
                if status.is_client_error() && status.as_u16() != 429 {
                    Err(SmsError::Refused(reason))
                } else {
                    Err(SmsError::Unavailable(reason))
                }
            }
        }
    }
}

/// What a delivery report of the provider says of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// The phone received it.
    Delivered,
    /// The operator could not deliver it: why, for the school.
    Bounced(String),
    /// Anything else (sent, accepted, replied…): nothing to record.
    Other,
}

/// Reads one event of Brevo's transactional SMS webhook: its `messageId`
/// (the one the send answered) and its `msg_status` (`sent`, `delivered`,
/// `soft_bounce`, `hard_bounce`…). `None` when it names no message.
pub fn read_report(event: &serde_json::Value) -> Option<(String, Report)> {
    let id = provider_message_id(event.get("messageId")?)?;
    let status = event
        .get("msg_status")
        .or_else(|| event.get("event"))
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let detail = ["description", "reason", "error"]
        .iter()
        .find_map(|key| event.get(*key)?.as_str())
        .map(str::trim)
        .filter(|d| !d.is_empty());
    let bounced = |why: &str| {
        Report::Bounced(match detail {
            Some(detail) => format!("{why} ({detail})"),
            None => why.to_owned(),
        })
    };
    let report = match status.as_str() {
        "delivered" => Report::Delivered,
        "hard_bounce" | "hardbounce" => {
            bounced("numéro inexistant ou injoignable, refusé par l'opérateur")
        }
        "soft_bounce" | "softbounce" => {
            bounced("téléphone injoignable (éteint, hors réseau ou saturé)")
        }
        "rejected" | "blacklisted" | "skip" => bounced("refusé par l'opérateur de SMS"),
        _ => Report::Other,
    };
    Some((id, report))
}

/// Brevo's `messageId`, a number (or a string), as text.
pub fn provider_message_id(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// The job that delivers one SMS, and records how it went on its message
/// (`crate::notify`), if it has one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendSmsJob {
    pub sms: Sms,
    #[serde(default)]
    pub message_id: Option<i64>,
}

impl Job for SendSmsJob {
    const KIND: &'static str = "send_sms";
    type Context = SmsSender;

    async fn run(self, ctx: &JobContext<SmsSender>) -> anyhow::Result<()> {
        let sent = ctx.env.send(&self.sms, Some(ctx.job_id)).await;
        let outcome = match &sent {
            Ok(id) => Ok(id.clone()),
            Err(err) => Err((err.to_string(), !matches!(err, SmsError::Unavailable(_)))),
        };
        crate::notify::record_outcome(ctx, self.message_id, outcome).await?;
        match sent {
            Ok(_) => Ok(()),
            Err(err @ (SmsError::InvalidNumber(_) | SmsError::Refused(_))) => {
                Err(permanent(err.to_string()))
            }
            Err(err) => Err(err.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_mobiles_are_read_in_every_usual_form_and_others_refused() {
        for typed in [
            "06 12 34 56 78",
            "06.12.34.56.78",
            "+33 6 12 34 56 78",
            "+33 (0)6 12 34 56 78",
            "0033612345678",
        ] {
            assert_eq!(
                french_mobile(typed).as_deref(),
                Some("33612345678"),
                "{typed}"
            );
        }
        assert_eq!(
            french_mobile("07 00 00 00 01").as_deref(),
            Some("33700000001")
        );
        for refused in [
            "01 40 00 00 00",
            "06 12 34",
            "",
            "+44 7700 900123",
            "06 12 34 56 7a",
        ] {
            assert_eq!(french_mobile(refused), None, "{refused}");
        }
    }
}
