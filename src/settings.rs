//! Typed settings, loaded once from an optional TOML file and `DOSSIERSCO_*`
//! environment variables (the environment wins).
//!
//! Every setting is listed in [`SETTINGS`] with its meaning; the README's
//! configuration table is checked against that list by a test, so the
//! documentation cannot drift from the code.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// Where uploaded documents live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentsBackend {
    /// A folder on local disk (`documents_dir`).
    Local,
    /// An S3-compatible bucket (`s3_*` settings).
    S3,
}

/// How e-mails leave the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    /// Stored in the database; readable at `/outbox` when `outbox_web` is on.
    Outbox,
    /// Sent to an SMTP server (`smtp_*` settings).
    Smtp,
}

/// How SMS leave the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsTransport {
    /// Stored in the database (`outbox_sms`): demo, development, tests.
    Outbox,
    /// Sent through Brevo's transactional SMS API (`sms_*` settings).
    Brevo,
}

/// Transport security for SMTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// All settings of a running DossierSCO. Field names are the TOML keys; the
/// environment variable is `DOSSIERSCO_` + the name in upper case.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub addr: SocketAddr,
    pub base_url: String,
    pub data_dir: PathBuf,
    pub secret_key: Option<Secret<String>>,
    pub database_url: Option<Secret<String>>,
    pub database_max_connections: u32,
    pub documents_backend: DocumentsBackend,
    pub documents_dir: Option<PathBuf>,
    pub s3_bucket: String,
    pub s3_endpoint: Option<String>,
    pub s3_region: String,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<Secret<String>>,
    pub s3_allow_http: bool,
    pub mail_transport: MailTransport,
    pub mail_from: String,
    pub outbox_web: bool,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<Secret<String>>,
    pub sms_transport: SmsTransport,
    pub sms_api_url: String,
    pub sms_api_key: Option<Secret<String>>,
    pub sms_sender: String,
    pub sms_webhook_secret: Option<Secret<String>>,
    pub sms_timeout_secs: u64,
    pub messages_per_minute: u32,
    pub reminder_min_days: u32,
    pub sign_in_link_days: u32,
    pub upload_max_bytes: u64,
    pub export_retention_hours: u32,
    pub sign_in_failures_per_minute: u32,
    pub behind_proxy: bool,
    pub http_header_timeout_secs: u64,
    pub http_idle_timeout_secs: u64,
    pub http_max_connections: u32,
    pub http_request_timeout_secs: u64,
    pub http_body_idle_timeout_secs: u64,
    pub worker_concurrency: usize,
    pub job_poll_interval_ms: u64,
    pub log: String,
    pub log_format: LogFormat,
    /// Recompute the school's list from scratch on each request as well,
    /// and stop on any difference with the kept entries (the tests; a
    /// suspicion of a stale list). Slow: never in production.
    pub check_list_cache: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            base_url: "http://127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            secret_key: None,
            database_url: None,
            database_max_connections: 10,
            documents_backend: DocumentsBackend::Local,
            documents_dir: None,
            s3_bucket: String::new(),
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_allow_http: false,
            mail_transport: MailTransport::Outbox,
            mail_from: "DossierSCO <ne-pas-repondre@dossiersco.localhost>".into(),
            outbox_web: false,
            smtp_host: "127.0.0.1".into(),
            smtp_port: 25,
            smtp_tls: SmtpTls::Starttls,
            smtp_username: None,
            smtp_password: None,
            sms_transport: SmsTransport::Outbox,
            sms_api_url: "https://api.brevo.com/v3/transactionalSMS/send".into(),
            sms_api_key: None,
            sms_sender: "DossierSCO".into(),
            sms_webhook_secret: None,
            sms_timeout_secs: 10,
            messages_per_minute: 300,
            reminder_min_days: 3,
            sign_in_link_days: 14,
            upload_max_bytes: 20 * 1024 * 1024,
            export_retention_hours: 24,
            sign_in_failures_per_minute: 20,
            behind_proxy: false,
            http_header_timeout_secs: 10,
            http_idle_timeout_secs: 60,
            http_max_connections: 1000,
            http_request_timeout_secs: 60,
            http_body_idle_timeout_secs: 30,
            worker_concurrency: 2,
            job_poll_interval_ms: 1000,
            log: "info".into(),
            log_format: LogFormat::Text,
            check_list_cache: false,
        }
    }
}

/// One documented setting: its key, its default as written in the README, and
/// what it does.
pub struct SettingDoc {
    pub key: &'static str,
    pub default: &'static str,
    pub meaning: &'static str,
}

/// The one place where every setting is described (the README table mirrors it).
pub const SETTINGS: &[SettingDoc] = &[
    SettingDoc {
        key: "addr",
        default: "127.0.0.1:8080",
        meaning: "Address and port the web server listens on.",
    },
    SettingDoc {
        key: "base_url",
        default: "http://127.0.0.1:8080",
        meaning: "Public URL of the service, used in e-mails and to check the Origin of forms. `https://` turns on secure cookies.",
    },
    SettingDoc {
        key: "data_dir",
        default: "data",
        meaning: "Folder for the embedded defaults: the SQLite file, local documents and the generated secret key.",
    },
    SettingDoc {
        key: "secret_key",
        default: "generated in data_dir",
        meaning: "Secret (≥ 32 characters) that signs cookies and CSRF tokens. Set it, identical, on every instance of a multi-instance deployment.",
    },
    SettingDoc {
        key: "database_url",
        default: "sqlite://data/dossiersco.db",
        meaning: "`sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB`.",
    },
    SettingDoc {
        key: "database_max_connections",
        default: "10",
        meaning: "Connection pool size.",
    },
    SettingDoc {
        key: "documents_backend",
        default: "local",
        meaning: "`local` (a folder) or `s3` (an S3-compatible bucket).",
    },
    SettingDoc {
        key: "documents_dir",
        default: "data/documents",
        meaning: "Folder for documents when `documents_backend = local`.",
    },
    SettingDoc {
        key: "s3_bucket",
        default: "",
        meaning: "Bucket for documents when `documents_backend = s3`.",
    },
    SettingDoc {
        key: "s3_endpoint",
        default: "AWS",
        meaning: "Endpoint URL of the S3-compatible server (e.g. `https://s3.gra.io.cloud.ovh.net`).",
    },
    SettingDoc {
        key: "s3_region",
        default: "us-east-1",
        meaning: "S3 region.",
    },
    SettingDoc {
        key: "s3_access_key_id",
        default: "",
        meaning: "S3 access key id.",
    },
    SettingDoc {
        key: "s3_secret_access_key",
        default: "",
        meaning: "S3 secret key (never printed).",
    },
    SettingDoc {
        key: "s3_allow_http",
        default: "false",
        meaning: "Allow a plain-HTTP S3 endpoint (tests, local servers).",
    },
    SettingDoc {
        key: "mail_transport",
        default: "outbox",
        meaning: "`outbox` (stored in the database) or `smtp`.",
    },
    SettingDoc {
        key: "mail_from",
        default: "DossierSCO <ne-pas-repondre@dossiersco.localhost>",
        meaning: "Sender of every e-mail.",
    },
    SettingDoc {
        key: "outbox_web",
        default: "false (true in demo)",
        meaning: "Show the stored e-mails at `/outbox`. Never in production.",
    },
    SettingDoc {
        key: "smtp_host",
        default: "127.0.0.1",
        meaning: "SMTP server host.",
    },
    SettingDoc {
        key: "smtp_port",
        default: "25",
        meaning: "SMTP server port.",
    },
    SettingDoc {
        key: "smtp_tls",
        default: "starttls",
        meaning: "`none`, `starttls` or `tls`.",
    },
    SettingDoc {
        key: "smtp_username",
        default: "",
        meaning: "SMTP user name, if the server wants one.",
    },
    SettingDoc {
        key: "smtp_password",
        default: "",
        meaning: "SMTP password (never printed).",
    },
    SettingDoc {
        key: "sms_transport",
        default: "outbox",
        meaning: "`outbox` (stored in the database) or `brevo` (Brevo's transactional SMS API).",
    },
    SettingDoc {
        key: "sms_api_url",
        default: "https://api.brevo.com/v3/transactionalSMS/send",
        meaning: "The provider's send endpoint (a local stand-in in tests).",
    },
    SettingDoc {
        key: "sms_api_key",
        default: "",
        meaning: "The provider's API key, sent as `api-key` (never printed).",
    },
    SettingDoc {
        key: "sms_sender",
        default: "DossierSCO",
        meaning: "The sender name families read (11 letters or digits at most).",
    },
    SettingDoc {
        key: "sms_webhook_secret",
        default: "",
        meaning: "The token Brevo's delivery reports carry (`Authorization: Bearer …`) at `POST /webhooks/sms`; without it the route refuses every report (never printed).",
    },
    SettingDoc {
        key: "messages_per_minute",
        default: "300",
        meaning: "Invitations and reminders handed to the providers per minute, at most (their rate).",
    },
    SettingDoc {
        key: "reminder_min_days",
        default: "3",
        meaning: "A guardian reminded (by e-mail or SMS) is not reminded again for this many days.",
    },
    SettingDoc {
        key: "sign_in_link_days",
        default: "14",
        meaning: "How long the single-use sign-in link of an invitation or reminder works, in days.",
    },
    SettingDoc {
        key: "upload_max_bytes",
        default: "20971520",
        meaning: "Largest accepted upload, in bytes.",
    },
    SettingDoc {
        key: "export_retention_hours",
        default: "24",
        meaning: "How long a school's export (spreadsheet, ZIP of pieces, PDF) stays downloadable, in hours; an hourly job then deletes the file.",
    },
    SettingDoc {
        key: "sign_in_failures_per_minute",
        default: "20",
        meaning: "Failed sign-ins accepted per minute from one IP address (one IPv6 /64) before it must wait for the minute to end; successful sign-ins never count.",
    },
    SettingDoc {
        key: "behind_proxy",
        default: "false",
        meaning: "Take the client address from the last `X-Forwarded-For` entry (set it only behind your own reverse proxy).",
    },
    SettingDoc {
        key: "http_header_timeout_secs",
        default: "10",
        meaning: "Seconds a client has to send a request's headers, from their first byte; then the connection is closed. Does not limit the body (uploads).",
    },
    SettingDoc {
        key: "http_idle_timeout_secs",
        default: "60",
        meaning: "Seconds a connection may wait for a request (a new one, or one kept alive after a response) before it is closed.",
    },
    SettingDoc {
        key: "http_max_connections",
        default: "1000",
        meaning: "Connections served at once by each instance; further ones wait in the system's listen queue until one closes.",
    },
    SettingDoc {
        key: "http_request_timeout_secs",
        default: "60",
        meaning: "Seconds to receive and answer a request, uploads of files excepted (they may take 30 minutes, as long as their bytes keep coming).",
    },
    SettingDoc {
        key: "http_body_idle_timeout_secs",
        default: "30",
        meaning: "Seconds a request body (an upload on a slow phone network) may go without sending a byte before the request is given up.",
    },
    SettingDoc {
        key: "worker_concurrency",
        default: "2",
        meaning: "Background jobs run at the same time by each instance (0: no worker in this process).",
    },
    SettingDoc {
        key: "job_poll_interval_ms",
        default: "1000",
        meaning: "How often an idle worker looks for new jobs.",
    },
    SettingDoc {
        key: "log",
        default: "info",
        meaning: "Log filter (`tracing` syntax, e.g. `info,dossiersco=debug`).",
    },
    SettingDoc {
        key: "log_format",
        default: "text",
        meaning: "`text` or `json` (one JSON object per line).",
    },
    SettingDoc {
        key: "sms_timeout_secs",
        default: "10",
        meaning: "How long the SMS provider has to answer before the attempt fails and is retried later.",
    },
    SettingDoc {
        key: "check_list_cache",
        default: "false",
        meaning: "`true`: the school's list is also recomputed from scratch on each request, and the request fails if the kept entries differ (the tests turn it on; slow, never in production).",
    },
];

/// The prefix of every environment variable read as a setting.
pub const ENV_PREFIX: &str = "DOSSIERSCO_";

/// Environment variables with the prefix that are not settings (the test
/// harness and CI use them).
fn is_setting_env(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    !(key.starts_with("test_")
        || matches!(key.as_str(), "config" | "require_all" | "siecle_samples"))
}

impl Settings {
    /// Loads settings from `file` (if given, or `DOSSIERSCO_CONFIG`), then the
    /// environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("DOSSIERSCO_CONFIG").map(PathBuf::from));
        let mut figment = Figment::new();
        if let Some(file) = &file {
            anyhow::ensure!(
                file.exists(),
                "configuration file {} not found",
                file.display()
            );
            figment = figment.merge(Toml::file(file));
        }
        figment =
            figment.merge(Env::prefixed(ENV_PREFIX).filter(|key| is_setting_env(key.as_str())));
        let settings: Settings = figment.extract()?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if let Some(key) = &self.secret_key {
            anyhow::ensure!(
                key.expose().len() >= 32,
                "secret_key must be at least 32 characters long"
            );
        }
        if self.documents_backend == DocumentsBackend::S3 {
            anyhow::ensure!(
                !self.s3_bucket.is_empty(),
                "documents_backend = s3 needs s3_bucket"
            );
        }
        anyhow::ensure!(
            self.http_header_timeout_secs > 0
                && self.http_idle_timeout_secs > 0
                && self.http_max_connections > 0
                && self.http_request_timeout_secs > 0
                && self.http_body_idle_timeout_secs > 0,
            "the http_* timeouts and http_max_connections must be at least 1"
        );
        url::Url::parse(&self.base_url)
            .map_err(|e| anyhow::anyhow!("base_url is not a URL: {e}"))?;
        Ok(())
    }

    /// The database URL, defaulting to a SQLite file in `data_dir`.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().clone(),
            None => format!("sqlite://{}", self.data_dir.join("dossiersco.db").display()),
        }
    }

    /// The documents folder for the local backend.
    pub fn documents_dir(&self) -> PathBuf {
        self.documents_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("documents"))
    }

    /// Whether cookies must carry the `Secure` flag.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_is_documented_and_every_documented_key_exists() {
        let defaults = serde_json::to_value(Settings::default()).unwrap();
        let fields: Vec<&str> = defaults
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let documented: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
        let mut a = fields.clone();
        let mut b = documented.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }

    #[test]
    fn the_readme_lists_every_setting_with_its_environment_variable() {
        let readme = include_str!("../README.md");
        for setting in SETTINGS {
            let var = format!("DOSSIERSCO_{}", setting.key.to_uppercase());
            assert!(readme.contains(&var), "README.md does not document {var}");
        }
    }

    #[test]
    fn a_misspelt_setting_is_refused_instead_of_ignored() {
        let err = Figment::new()
            .merge(Toml::string("databse_url = 'sqlite://x'"))
            .extract::<Settings>()
            .unwrap_err();
        assert!(err.to_string().contains("databse_url"), "{err}");
    }

    #[test]
    fn test_and_ci_variables_are_not_taken_for_settings() {
        for key in [
            "TEST_DATABASE_URL",
            "test_smtp_addr",
            "REQUIRE_ALL",
            "CONFIG",
            "SIECLE_SAMPLES",
        ] {
            assert!(!is_setting_env(key), "{key}");
        }
        assert!(is_setting_env("DATABASE_URL"));
    }

    #[test]
    fn secrets_do_not_appear_when_settings_are_printed() {
        let settings = Settings {
            smtp_password: Some(Secret::from("p4ssw0rd")),
            database_url: Some(Secret::from("postgres://u:topsecret@h/db")),
            ..Settings::default()
        };
        let printed = format!("{settings:?} {}", serde_json::to_string(&settings).unwrap());
        assert!(
            !printed.contains("p4ssw0rd") && !printed.contains("topsecret"),
            "{printed}"
        );
    }
}
