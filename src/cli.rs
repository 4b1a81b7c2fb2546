//! The `dossiersco` command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::db::Db;
use crate::process::{App, shutdown_signal};
use crate::settings::Settings;
use crate::{demo, import, letters, team, telemetry};

#[derive(Parser)]
#[command(
    name = "dossiersco",
    version,
    about = "DossierSCO : la réinscription au collège, en ligne"
)]
struct Cli {
    /// TOML configuration file (also DOSSIERSCO_CONFIG). Environment variables
    /// DOSSIERSCO_* override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Creates (or refreshes) a demo collège and serves it, with the outbox visible in the browser.
    Demo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
    },
    /// Serves the application from the configuration.
    Serve,
    /// Applies the database migrations, then exits.
    Migrate,
    /// Prints the effective settings (secrets redacted).
    Config,
    /// Imports SIECLE exports (XML or spreadsheet) into a school: prints the
    /// preview, then applies it in one transaction (unless --dry-run).
    Import {
        /// The school's UAI; each XML file's UAJ must match it.
        #[arg(long)]
        uai: String,
        /// Creates the school when no school has this UAI, named « Établissement UAI »:
        /// SIECLE's exports carry the UAJ but no school name (`school add` names it).
        #[arg(long)]
        create_school: bool,
        /// Prints the preview only; writes nothing.
        #[arg(long)]
        dry_run: bool,
        /// The files: ElevesAvecAdresses.xml, ResponsablesAvecAdresses.xml, Nomenclature.xml,
        /// Structures.xml, or the XLS/XLSX spreadsheet (kinds are detected from the content).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Writes synthetic SIECLE exports (one folder per school) for demos and benchmarks.
    Generate {
        #[arg(long, default_value_t = 1)]
        schools: usize,
        #[arg(long, default_value_t = 500)]
        pupils_per_school: usize,
        /// The folder to write into.
        #[arg(short = 'o', long)]
        out: PathBuf,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Issues personal codes and writes the letters that carry them (one page
    /// per guardian, with a QR code) into a PDF; prints how many codes were
    /// issued and replaced.
    Letters {
        /// The school's UAI.
        #[arg(long)]
        uai: String,
        /// Only the guardians of the pupils of this class.
        #[arg(long)]
        division: Option<String>,
        /// Only the guardians with neither an e-mail nor a mobile phone.
        #[arg(long)]
        only_without_contact: bool,
        /// Also gives a new code to guardians who have one (their old code
        /// stops working). Without it, they are left out.
        #[arg(long)]
        replace_codes: bool,
        /// The school's text for the letter (a UTF-8 text file; blank lines
        /// separate paragraphs).
        #[arg(long)]
        text: Option<PathBuf>,
        /// The PDF file to write.
        #[arg(short = 'o', long)]
        out: PathBuf,
    },
    /// Exports to other software.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// The schools of the platform (operator commands).
    School {
        #[command(subcommand)]
        command: SchoolCommand,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Writes the return file to SIECLE (« import privé », schema 4.0, zipped)
    /// with the changes of the validated dossiers; prints every problem per
    /// pupil. Refuses on a blocking problem, and on warnings unless
    /// --accept-warnings.
    Siecle {
        /// The school's UAI.
        #[arg(long)]
        uai: String,
        /// Prints the problems only: writes no file and uses up no NUM_ENVOI.
        #[arg(long)]
        dry_run: bool,
        /// Writes the file despite warnings (each one printed).
        #[arg(long)]
        accept_warnings: bool,
        /// The file to write (default: the name SIECLE expects, `.zip`, in the
        /// current folder).
        #[arg(short = 'o', long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum SchoolCommand {
    /// Creates a school and invites its first admin (direction) by e-mail;
    /// prints the one-time invitation link.
    Add {
        /// The school's UAI: 7 digits and the check letter.
        #[arg(long)]
        uai: String,
        /// The school's name, as families will read it.
        #[arg(long)]
        name: String,
        /// The e-mail of the first admin (direction).
        #[arg(long)]
        admin: String,
        /// The académie's code (e.g. 01 for Paris, 10 for Lyon), as SIECLE writes it.
        #[arg(long)]
        academy: Option<String>,
        /// Also writes what is printed into this file.
        #[arg(short = 'o', long)]
        out: Option<PathBuf>,
    },
    /// Lists the schools: UAI, name, académie, active agents.
    List {
        /// Writes the list into this file instead of printing it.
        #[arg(short = 'o', long)]
        out: Option<PathBuf>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Command::Demo { .. }
            | Command::Serve
            | Command::Migrate
            | Command::Import { .. }
            | Command::Letters { .. }
            | Command::Export { .. }
            | Command::School { .. }
    ) {
        // Whatever these commands create (database, its -wal and -shm,
        // documents, temporary files) is for the service's user only.
        crate::private_fs::owner_only_umask();
    }
    install_tls_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = Settings::load(cli.config.as_deref())?;
    telemetry::init(&settings);
    match cli.command {
        Command::Demo { addr } => {
            settings.addr = addr;
            settings.outbox_web = true;
            if std::env::var_os("DOSSIERSCO_BASE_URL").is_none() {
                settings.base_url = format!("http://{addr}");
            }
            let app = App::build(settings).await?;
            let seeded = demo::seed_in_every_state(&app.state).await?;
            let base = format!("http://{}", app.local_addr());
            print!("{}", demo::banner(&base, &seeded));
            serve(app).await
        }
        Command::Serve => serve(App::build(settings).await?).await,
        Command::Migrate => {
            let db = Db::connect(&settings.database_url(), 1).await?;
            let applied = db.migrate().await?;
            println!(
                "{} migration(s) applied on {}",
                applied.len(),
                db.backend().name()
            );
            Ok(())
        }
        Command::Config => {
            print!("{}", toml_of(&settings)?);
            Ok(())
        }
        Command::Import {
            uai,
            create_school,
            dry_run,
            files,
        } => {
            let db = Db::connect(&settings.database_url(), 2).await?;
            db.migrate().await?;
            import::command::import(&db, &uai, create_school, &files, dry_run).await
        }
        Command::Generate {
            schools,
            pupils_per_school,
            out,
            seed,
        } => {
            let dirs = import::command::generate(schools, pupils_per_school, &out, seed)?;
            for dir in dirs {
                println!("{}", dir.display());
            }
            Ok(())
        }
        Command::Letters {
            uai,
            division,
            only_without_contact,
            replace_codes,
            text,
            out,
        } => {
            let text = match text {
                Some(path) => Some(
                    std::fs::read_to_string(&path)
                        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?,
                ),
                None => None,
            };
            let db = Db::connect(&settings.database_url(), 2).await?;
            db.migrate().await?;
            let request = letters::command::Request {
                uai,
                selection: letters::Selection {
                    division,
                    dossiers: None,
                    only_without_contact,
                },
                replace_codes,
                text,
            };
            let report = letters::command::letters(&db, &settings.base_url, &request, &out).await?;
            print!("{}", report.text(&out));
            Ok(())
        }
        Command::School { command } => school(&settings, command).await,
        Command::Export {
            command:
                ExportCommand::Siecle {
                    uai,
                    dry_run,
                    accept_warnings,
                    out,
                },
        } => {
            let db = Db::connect(&settings.database_url(), 2).await?;
            db.migrate().await?;
            let report =
                crate::siecle_return::command::export(&db, &uai, dry_run, accept_warnings, out)
                    .await?;
            print!("{}", report.text);
            if report.failed {
                anyhow::bail!("{}", report.refused.unwrap_or_default());
            }
            Ok(())
        }
    }
}

async fn school(settings: &Settings, command: SchoolCommand) -> anyhow::Result<()> {
    let db = Db::connect(&settings.database_url(), 2).await?;
    db.migrate().await?;
    let (text, out) = match command {
        SchoolCommand::Add {
            uai,
            name,
            admin,
            academy,
            out,
        } => {
            let mailer = crate::mail::Mailer::from_settings(settings, &db)?;
            let new = team::command::NewSchool {
                uai,
                name,
                admin_email: admin.clone(),
                academy,
            };
            let added = team::command::add_school(&db, &mailer, &settings.base_url, &new).await?;
            let text = team::command::added_text(&added, &admin);
            print!("{text}");
            (text, out)
        }
        SchoolCommand::List { out } => {
            let text = team::command::list_text(&db).await?;
            if out.is_none() {
                print!("{text}");
            }
            (text, out)
        }
    };
    if let Some(path) = out {
        std::fs::write(&path, text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

async fn serve(app: App) -> anyhow::Result<()> {
    tracing::info!(addr = %app.local_addr(), "listening");
    let shutdown = CancellationToken::new();
    let trigger = shutdown.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        trigger.cancel();
    });
    app.run(shutdown).await
}

fn toml_of(settings: &Settings) -> anyhow::Result<String> {
    let value = serde_json::to_value(settings)?;
    let mut out = String::new();
    if let Some(map) = value.as_object() {
        for (key, value) in map {
            if !value.is_null() {
                out.push_str(&format!("{key} = {value}\n"));
            }
        }
    }
    Ok(out)
}

/// Several dependencies bring rustls with different crypto back-ends; name
/// one for the whole process so that every TLS client (SMTP, PostgreSQL, S3)
/// works. Safe to call more than once.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
