//! E-mail: messages are rendered by the code that decides to send them, put in
//! a [`SendEmailJob`] in the same transaction, and handed by the worker to one
//! of two transports: the database outbox (demo, development) or SMTP.
//!
//! Every e-mail goes as text and HTML (`multipart/alternative`): the HTML is
//! the text itself, escaped, in paragraphs, with its addresses as links
//! ([`html_of`]), so both say exactly the same.

use lettre::message::{Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use crate::db::{Db, now_ms};
use crate::jobs::{Job, JobContext, permanent};
use crate::settings::{MailTransport, Settings, SmtpTls};

/// One message to one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body_text: String,
}

/// Where e-mails go. Two real implementations, chosen by `mail_transport`.
#[derive(Clone)]
pub enum Mailer {
    /// Stored in `outbox_emails`, readable at `/outbox` when enabled.
    Outbox(Db),
    /// Sent with SMTP.
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
}

impl Mailer {
    pub fn from_settings(settings: &Settings, db: &Db) -> anyhow::Result<Self> {
        Ok(match settings.mail_transport {
            MailTransport::Outbox => Mailer::Outbox(db.clone()),
            MailTransport::Smtp => {
                let host = settings.smtp_host.as_str();
                let mut builder = match settings.smtp_tls {
                    SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
                    SmtpTls::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?
                    }
                    SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
                }
                .port(settings.smtp_port);
                if let (Some(user), Some(password)) =
                    (&settings.smtp_username, &settings.smtp_password)
                {
                    builder = builder
                        .credentials(Credentials::new(user.clone(), password.expose().clone()));
                }
                Mailer::Smtp {
                    transport: Box::new(builder.build()),
                    from: settings.mail_from.parse()?,
                }
            }
        })
    }

    /// Delivers `email`. `job_id` makes a retried outbox delivery store the
    /// message once. An address that is not one is refused before sending.
    pub async fn send(&self, email: &Email, job_id: Option<i64>) -> Result<(), MailError> {
        let to: Mailbox = email
            .to
            .trim()
            .parse()
            .map_err(|_| MailError::InvalidAddress(email.to.clone()))?;
        let html = html_of(&email.subject, &email.body_text);
        match self {
            Mailer::Outbox(db) => {
                sqlx::query(
                    "INSERT INTO outbox_emails (recipient, subject, body_text, body_html, job_id, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (job_id) DO NOTHING",
                )
                .bind(&email.to)
                .bind(&email.subject)
                .bind(&email.body_text)
                .bind(&html)
                .bind(job_id)
                .bind(now_ms())
                .execute(db.pool())
                .await
                .map_err(|e| MailError::Unavailable(e.to_string()))?;
            }
            Mailer::Smtp { transport, from } => {
                let message = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(email.subject.clone())
                    .multipart(
                        MultiPart::alternative()
                            .singlepart(
                                SinglePart::builder()
                                    .header(ContentType::TEXT_PLAIN)
                                    .body(email.body_text.clone()),
                            )
                            .singlepart(
                                SinglePart::builder()
                                    .header(ContentType::TEXT_HTML)
                                    .body(html),
                            ),
                    )
                    .map_err(|e| MailError::Unavailable(e.to_string()))?;
                transport.send(message).await.map_err(|e| {
                    if e.is_permanent() {
                        MailError::Refused(e.to_string())
                    } else {
                        MailError::Unavailable(e.to_string())
                    }
                })?;
            }
        }
        Ok(())
    }
}

/// Why an e-mail was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Not an e-mail address: nothing was sent.
    #[error("« {0} » n'est pas une adresse électronique valide")]
    InvalidAddress(String),
    /// The mail server refused it for good (5xx).
    #[error("refusé par le serveur de messagerie : {0}")]
    Refused(String),
    /// The server could not be reached or asked to try later.
    #[error("serveur de messagerie indisponible : {0}")]
    Unavailable(String),
}

/// The HTML part of an e-mail: its text, escaped, one paragraph per block,
/// line breaks kept and web addresses as links; in French, with the subject
/// as its title.
pub fn html_of(subject: &str, text: &str) -> String {
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let lines: Vec<String> = p.lines().map(linked).collect();
            format!("<p>{}</p>", lines.join("<br>\n"))
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n</head>\n<body style=\"font-family: Arial, sans-serif; font-size: 16px; line-height: 1.5; color: #161616;\">\n{}\n</body>\n</html>\n",
        escape(subject),
        paragraphs.join("\n")
    )
}

/// One line, escaped, its `http(s)://` addresses as links.
fn linked(line: &str) -> String {
    line.split(' ')
        .map(|word| {
            let url = word.trim_end_matches(['.', ',', ';', ')']);
            if (url.starts_with("https://") || url.starts_with("http://")) && url.len() > 8 {
                let rest = &word[url.len()..];
                format!(
                    "<a href=\"{}\" style=\"color: #000091;\">{}</a>{}",
                    escape(url),
                    escape(url),
                    escape(rest)
                )
            } else {
                escape(word)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The job that delivers one e-mail, and records how it went on its
/// message (`crate::notify`), if it has one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendEmailJob {
    pub email: Email,
    #[serde(default)]
    pub message_id: Option<i64>,
}

impl SendEmailJob {
    /// An e-mail that is not recorded as a message to a family.
    pub fn new(email: Email) -> Self {
        Self {
            email,
            message_id: None,
        }
    }
}

impl Job for SendEmailJob {
    const KIND: &'static str = "send_email";
    type Context = Mailer;

    async fn run(self, ctx: &JobContext<Mailer>) -> anyhow::Result<()> {
        let sent = ctx.env.send(&self.email, Some(ctx.job_id)).await;
        let outcome = match &sent {
            Ok(()) => Ok(None),
            Err(err) => Err((err.to_string(), !matches!(err, MailError::Unavailable(_)))),
        };
        crate::notify::record_outcome(ctx, self.message_id, outcome).await?;
        match sent {
            Ok(()) => Ok(()),
            Err(err @ (MailError::InvalidAddress(_) | MailError::Refused(_))) => {
                Err(permanent(err.to_string()))
            }
            Err(err) => Err(err.into()),
        }
    }
}

/// A stored e-mail of the outbox.
#[derive(Debug, Clone, FromRow)]
pub struct OutboxEmail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub created_at: i64,
}

pub async fn list_outbox(db: &Db, limit: i64) -> sqlx::Result<Vec<OutboxEmail>> {
    sqlx::query_as(
        "SELECT id, recipient, subject, body_text, created_at FROM outbox_emails ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

pub async fn find_outbox(db: &Db, id: i64) -> sqlx::Result<Option<OutboxEmail>> {
    sqlx::query_as(
        "SELECT id, recipient, subject, body_text, created_at FROM outbox_emails WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await
}
