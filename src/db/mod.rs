//! The data layer: one pool, one schema, one set of queries for SQLite and
//! PostgreSQL.
//!
//! Strategy (see `docs/ARCHITECTURE.md`): queries are written once in the SQL
//! both engines understand (`$1` placeholders, `RETURNING`, `ON CONFLICT`) and
//! run through sqlx's `Any` driver, so the backend is picked at run time from
//! the URL. Values crossing the boundary are limited to what both engines share:
//! `i64` (ids, counts, timestamps in Unix milliseconds), `String` (text and
//! calendar dates as `YYYY-MM-DD`) and booleans (written as `bool`, read as
//! [`Flag`]). The only dialect differences live
//! in [`migrate`], as a handful of type tokens.

pub mod agents;
pub mod audit;
pub mod campaigns;
pub mod code_requests;
pub mod code_slips;
pub mod contacts;
pub mod dashboard;
pub mod decisions;
pub mod dossiers;
pub mod drafts;
pub mod exports;
pub mod facts;
pub mod family;
pub mod grant_parts;
pub mod imports;
pub mod letters;
pub mod lockout;
pub mod medical;
pub mod messages;
pub mod migrate;
pub mod new_pupils;
pub mod next_mef;
pub mod nodelay;
pub mod offer;
pub mod piece_queue;
pub mod pupils;
pub mod reminders;
pub mod revisions;
pub mod schools;
pub mod sessions;
pub mod setup;
pub mod siecle_history;
pub mod siecle_return;
pub mod sign_in_failures;
pub mod sign_in_links;
pub mod timeline;
pub mod uploads;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

/// The school a back-office query is limited to. Back-office data functions
/// (`*_in_school`) take one, so no entry point can read a dossier, an upload or
/// a guardian by id alone. Only the web layer's `CurrentAgent` builds it, from
/// the signed-in agent's school (`tests/it/layers.rs` checks that no other
/// code does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchoolScope(i64);

impl SchoolScope {
    /// The scope of the school `school_id`, for the agent signed in to it.
    pub fn of_signed_in_agent(school_id: i64) -> Self {
        Self(school_id)
    }

    /// The scope of the school an operator names by its UAI on the command
    /// line (`dossiersco export siecle --uai`).
    pub fn of_command_line(school_id: i64) -> Self {
        Self(school_id)
    }

    pub fn id(self) -> i64 {
        self.0
    }
}

/// The database engine behind a [`Db`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Recognises the engine from a database URL.
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            anyhow::bail!("unsupported database URL (expected sqlite:// or postgres://)")
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }

    /// The one dialect difference of bulk writes: a `FROM` source that turns
    /// `param`, a JSON array given as text, into rows `r` whose JSON element
    /// is `r.value`. Both engines then read a field the same way
    /// (`r.value->>0` for the first element of an array, as text or NULL), so
    /// the rest of the statement is shared.
    pub fn json_rows(self, param: &str) -> String {
        match self {
            Self::Sqlite => format!("jsonb_each({param}) AS r"),
            Self::Postgres => format!("jsonb_array_elements(CAST({param} AS jsonb)) AS r(value)"),
        }
    }
}

/// A transaction on either engine.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The application's database handle: cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

impl Db {
    /// Opens a pool on `url`. SQLite files (and their folder) are created when
    /// missing and opened in WAL mode with foreign keys on and a busy timeout.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let mut url = url.to_owned();
        if backend == Backend::Sqlite {
            url = prepare_sqlite_url(&url)?;
        }
        let options = AnyConnectOptions::from_str(&url)?;
        // The database's TCP port, for the sqlx 0.9.0 workaround in `nodelay`.
        let postgres_port = (backend == Backend::Postgres)
            .then(|| url::Url::parse(&url).ok())
            .flatten()
            .filter(|u| u.host_str().is_some_and(|h| !h.is_empty()))
            .map(|u| u.port().unwrap_or(5432));
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                    }
                    if let Some(port) = postgres_port {
                        nodelay::set_on_sockets_to(port);
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Self { pool, backend })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a transaction meant to write. On SQLite it takes the write lock
    /// up front (`BEGIN IMMEDIATE`), so that two writers wait on the busy
    /// timeout instead of failing when a read lock cannot be upgraded.
    pub async fn begin(&self) -> sqlx::Result<Tx> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Applies the pending migrations.
    pub async fn migrate(&self) -> anyhow::Result<Vec<i64>> {
        migrate::run(self).await
    }

    /// Whether the database answers (`SELECT 1`).
    pub async fn ping(&self) -> sqlx::Result<()> {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.pool)
            .await
            .map(|_| ())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Adds `mode=rwc`, creates the parent folder of a SQLite file (`0700`) and
/// the file itself owner-only (`0600`; SQLite gives its `-wal` and `-shm`
/// files the database file's mode), tightening a file found wider.
fn prepare_sqlite_url(url: &str) -> anyhow::Result<String> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:"
        && !path.is_empty()
        && let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        crate::private_fs::create_dir(parent)?;
    }
    let creates = !query.contains("mode=") || query.contains("mode=rwc");
    if path != ":memory:" && !path.is_empty() && creates {
        let file = std::path::Path::new(path);
        crate::private_fs::ensure_file(file)?;
        for suffix in ["-wal", "-shm"] {
            let mut side = file.as_os_str().to_owned();
            side.push(suffix);
            crate::private_fs::tighten(std::path::Path::new(&side), 0o600)?;
        }
    }
    let query = if query.contains("mode=") {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// Milliseconds since the Unix epoch: the one timestamp type of the schema.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Whether an error is the violation of a unique constraint (on either engine).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}

/// A boolean read from either engine. PostgreSQL has `BOOLEAN`; SQLite stores
/// 0/1 in an `INTEGER` column (the `{{bool}}` migration token), which sqlx's
/// `Any` driver hands over as an integer. `Flag` accepts both; bind plain
/// `bool` values when writing. Row structs keep `bool` fields with
/// `#[sqlx(try_from = "Flag")]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

impl sqlx::Type<sqlx::Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <bool as sqlx::Type<sqlx::Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <bool as sqlx::Type<sqlx::Any>>::compatible(ty)
            || <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        match <bool as sqlx::Decode<sqlx::Any>>::decode(value.clone()) {
            Ok(b) => Ok(Flag(b)),
            Err(_) => Ok(Flag(<i64 as sqlx::Decode<sqlx::Any>>::decode(value)? != 0)),
        }
    }
}
