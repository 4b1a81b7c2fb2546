//! E-mail: messages are rendered by the code that decides to send them, put in
//! a [`SendEmailJob`] in the same transaction, and handed by the worker to one
//! of two transports: the database outbox (demo, development) or SMTP.

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use crate::db::{Db, now_ms};
use crate::jobs::{Job, JobContext};
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
    /// message once.
    pub async fn send(&self, email: &Email, job_id: Option<i64>) -> anyhow::Result<()> {
        match self {
            Mailer::Outbox(db) => {
                sqlx::query(
                    "INSERT INTO outbox_emails (recipient, subject, body_text, job_id, created_at)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job_id) DO NOTHING",
                )
                .bind(&email.to)
                .bind(&email.subject)
                .bind(&email.body_text)
                .bind(job_id)
                .bind(now_ms())
                .execute(db.pool())
                .await?;
            }
            Mailer::Smtp { transport, from } => {
                let message = Message::builder()
                    .from(from.clone())
                    .to(email.to.parse()?)
                    .subject(email.subject.clone())
                    .header(ContentType::TEXT_PLAIN)
                    .body(email.body_text.clone())?;
                transport.send(message).await?;
            }
        }
        Ok(())
    }
}

/// The job that delivers one e-mail.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendEmailJob {
    pub email: Email,
}

impl Job for SendEmailJob {
    const KIND: &'static str = "send_email";
    type Context = Mailer;

    async fn run(self, ctx: &JobContext<Mailer>) -> anyhow::Result<()> {
        ctx.env.send(&self.email, Some(ctx.job_id)).await
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
