//! The return file to SIECLE, assembled from the database (issue 13,
//! docs/SIECLE-RETURN.md): every value as the import kept it, replaced only by
//! the changes to send ([`changes_to_send`]), for the pupils of validated
//! dossiers with at least one such change. The writer and the dry run are
//! `dossiersco_siecle::return_file` (pure); this module reads the school, its
//! nomenclature and its counters, and records each file in the school's
//! history ([`produce`]).

mod assemble;
pub mod command;
mod new_pupils;
mod next_year;

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use dossiersco_siecle::return_file::{
    DryRun, DryRunContext, Problem, ReturnFile, Severity, Subject, dry_run,
};
use sha2::{Digest, Sha256};
use sqlx::AnyPool;

use crate::db::{SchoolScope, decisions, next_mef, siecle_return as rows};
use crate::domain::dossier_state::DossierState;
use crate::dossier::diff::{self, StoredChange as Change};
use crate::dossier::facts;

pub use assemble::assemble;

/// What a validated dossier sends to SIECLE.
#[derive(Debug, Clone)]
pub struct ToSend {
    pub dossier_id: i64,
    pub pupil_id: i64,
    /// The changes the file carries (identity, guardians' contact details,
    /// canteen, options), as stored values.
    pub changes: Vec<Change>,
    /// The options the pupil kept unless the family dropped some (the
    /// baseline of the options answer), to send only what the family changed.
    pub options_before: Option<Vec<String>>,
}

/// Whether the return file carries a change: the pupil's identity, the
/// guardians' contact details, the canteen (régime) and the options. The other
/// answers (exit rule, quotient, the school's own questions) stay in the app.
fn carried(change: &Change) -> bool {
    match change {
        Change::Pupil { .. } | Change::Guardian { .. } => true,
        Change::Answer { key, .. } => key == "canteen" || key == "options",
    }
}

/// The changes to send to SIECLE: the changes of the **validated** dossiers
/// of the school's current campaign that an agent **accepted** (for the
/// value they accepted: a value changed since needs deciding again) and that
/// the file carries. A rejected or undecided change is never sent. Dossiers
/// without such a change are left out, unless an agent decided the pupil's
/// next year (a change of track, or « redoublant »): SIECLE's own move-up
/// would not know it, so the pupil goes with every value as SIECLE had it
/// and next year's MEF.
pub async fn changes_to_send(pool: &AnyPool, scope: SchoolScope) -> sqlx::Result<Vec<ToSend>> {
    let (listed, words) =
        facts::of_school_in_state(pool, scope.id(), DossierState::Validated).await?;
    let decided: HashSet<i64> = next_mef::decided_in_school(pool, scope)
        .await?
        .into_iter()
        .collect();
    let accepted: HashSet<(i64, String, String)> = decisions::accepted_in_school(pool, scope)
        .await?
        .into_iter()
        .collect();
    Ok(listed
        .into_iter()
        .filter(|l| l.facts.state == DossierState::Validated)
        .filter_map(|l| {
            let dossier_id = l.row.dossier_id;
            let changes: Vec<Change> = diff::for_school(&l.facts, &words)
                .decidable()
                .into_iter()
                .filter(|c| accepted.contains(&(dossier_id, c.key.clone(), c.value.clone())))
                .map(|c| c.stored())
                .filter(carried)
                .collect();
            (!changes.is_empty() || decided.contains(&dossier_id)).then(|| ToSend {
                dossier_id,
                pupil_id: l.row.pupil_id,
                changes,
                options_before: l.facts.baseline.options.clone(),
            })
        })
        .collect())
}

/// The file, what SIECLE held before (the dry run's context) and what could
/// not be put in the file.
#[derive(Debug, Clone)]
pub struct Assembled {
    pub file: ReturnFile,
    pub context: DryRunContext,
    /// The changes that cannot be sent, and the values the file needs that
    /// the import lacks, per pupil or person.
    pub problems: Vec<Problem>,
    /// The dossiers the file holds.
    pub dossiers: Vec<i64>,
    pub campaign_id: i64,
    /// The pupils leaving, never in the file ([`leaving`]).
    pub leaving: Vec<Leaving>,
    /// The dossier of each pupil (by ID_PRV_ELE) the file was assembled for,
    /// those left out by a problem included.
    pub pupil_dossiers: HashMap<u32, i64>,
    /// The dossiers of each person's pupils (by ID_PRV_PER).
    pub person_dossiers: HashMap<u32, Vec<i64>>,
}

/// A pupil leaving the school (dossier marked « sortant »). Never written as
/// ELEVE_SORTANT: RETURN-FILE-RULES.md check 31 (source LIL, rule family
/// SORTI) says exits are recorded in SIECLE, so the school records this one
/// there by hand; the dry run lists them in a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaving {
    pub dossier_id: i64,
    pub pupil_id: i64,
    /// « Prénom NOM ».
    pub name: String,
    /// The INE as SIECLE exported it, when it had one.
    pub ine: Option<String>,
    /// This year's division and MEF label, to find the pupil in SIECLE.
    pub division: Option<String>,
    pub mef: Option<String>,
    /// SIECLE's DATE_SORTIE, when it already had one. The app records no
    /// destination nor date of its own when a pupil is marked as leaving.
    pub exit_date: Option<NaiveDate>,
}

/// The school's pupils of the current campaign marked as leaving, by name.
pub async fn leaving(pool: &AnyPool, scope: SchoolScope) -> sqlx::Result<Vec<Leaving>> {
    let nonempty = |s: &str| {
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_owned())
    };
    Ok(rows::leaving_pupils(pool, scope)
        .await?
        .into_iter()
        .map(|r| Leaving {
            dossier_id: r.dossier_id,
            pupil_id: r.pupil_id,
            name: format!("{} {}", r.first_name.trim(), r.last_name.trim()),
            ine: r.ine.as_deref().and_then(nonempty),
            division: nonempty(&r.division),
            mef: r.mef_label.as_deref().and_then(nonempty),
            exit_date: r
                .exit_date
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok()),
        })
        .collect())
}

/// The dry run's warning about the pupils leaving: « 2 élèves quittent le
/// collège : enregistrez leur sortie dans SIECLE (…) ».
pub fn leaving_warning(leaving: &[Leaving]) -> Option<Problem> {
    let names: Vec<&str> = leaving.iter().map(|l| l.name.as_str()).collect();
    let message = match names.as_slice() {
        [] => return None,
        [one] => format!(
            "1 élève quitte le collège : enregistrez sa sortie dans SIECLE, ce fichier ne la porte pas ({one})"
        ),
        many => format!(
            "{} élèves quittent le collège : enregistrez leur sortie dans SIECLE, ce fichier ne la porte pas ({})",
            many.len(),
            many.join(", ")
        ),
    };
    Some(Problem {
        severity: Severity::Warning,
        check: 31,
        subject: Subject::File,
        field: "les élèves sortants",
        message,
    })
}

impl Assembled {
    /// The dossiers a problem's pupil or person is about (none for the file).
    pub fn dossiers_of(&self, subject: &Subject) -> Vec<i64> {
        match subject {
            Subject::File => Vec::new(),
            Subject::Pupil { private_id, .. } => self
                .pupil_dossiers
                .get(private_id)
                .copied()
                .into_iter()
                .collect(),
            Subject::Person { private_id, .. } => self
                .person_dossiers
                .get(private_id)
                .cloned()
                .unwrap_or_default(),
        }
    }

    /// The dry run: the assembly's problems, then the writer's and every check
    /// of RETURN-FILE-RULES.md §4.
    pub fn dry_run(&self) -> DryRun {
        let mut out = dry_run(&self.file, &self.context);
        let mut problems = self.problems.clone();
        problems.append(&mut out.problems);
        out.problems = problems;
        out
    }
}

/// Why a file cannot be assembled at all.
#[derive(Debug)]
pub enum Error {
    Db(sqlx::Error),
    /// What is missing, in French, for the school.
    Missing(String),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Db(e)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Db(e) => write!(f, "erreur de base de données : {e}"),
            Error::Missing(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for Error {}

/// Who asks for the file.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    /// A dry run never uses up a NUM_ENVOI and marks no dossier.
    pub dry_run: bool,
    /// Produce the file despite warnings (each acknowledged).
    pub accept_warnings: bool,
    /// The agent, `None` from the command line.
    pub agent_id: Option<i64>,
    pub from_cli: bool,
    /// The generation time, French local time.
    pub generated_at: NaiveDateTime,
    /// Unix seconds, for the history.
    pub now: i64,
}

/// What [`produce`] did.
#[derive(Debug)]
pub struct Outcome {
    pub dry_run: DryRun,
    pub file_name: String,
    /// The pupils in the file.
    pub pupils: usize,
    /// The zip (`<name>.zip`, `<name>.xml` inside) and its name, when produced.
    pub zip: Option<(String, Vec<u8>)>,
    /// The file's row in the history (`siecle_sends`), when produced.
    pub send_id: Option<i64>,
    /// Why the file was not produced, in French.
    pub refused: Option<String>,
    /// The pupils leaving, to record in SIECLE by hand (never in the file).
    pub leaving: Vec<Leaving>,
}

/// Assembles the file, runs the dry run and, unless it is a dry run or a
/// problem refuses it, gives it the school's next NUM_ENVOI, records it in the
/// history and marks its dossiers as sent. A dry run (or a refused file) is
/// recorded without a number.
pub async fn produce(pool: &AnyPool, scope: SchoolScope, req: Request) -> Result<Outcome, Error> {
    run(pool, scope, req, |_, _| None, true).await
}

/// [`produce`] for the school's screen: `check` reads the very assembly and
/// dry run the file is made from (the warnings the agent acknowledged, the
/// dossiers the agent saw) and may refuse it. A refused file is not recorded
/// at all: no history row, no NUM_ENVOI used, no dossier marked.
pub async fn produce_checked(
    pool: &AnyPool,
    scope: SchoolScope,
    req: Request,
    check: impl FnOnce(&Assembled, &DryRun) -> Option<String>,
) -> Result<Outcome, Error> {
    run(pool, scope, req, check, false).await
}

async fn run(
    pool: &AnyPool,
    scope: SchoolScope,
    req: Request,
    check: impl FnOnce(&Assembled, &DryRun) -> Option<String>,
    record_refusals: bool,
) -> Result<Outcome, Error> {
    let assembled = assemble(pool, scope, req.generated_at).await?;
    let dry = assembled.dry_run();
    let blocking = dry.blocking().count();
    let warnings = dry.warnings().count();
    let refused = if req.dry_run {
        None
    } else if blocking > 0 {
        Some(format!(
            "le fichier n'est pas produit : {blocking} problème(s) bloquant(s) à corriger d'abord"
        ))
    } else if warnings > 0 && !req.accept_warnings {
        Some(format!(
            "le fichier n'est pas produit : {warnings} avertissement(s) à lire et accepter d'abord"
        ))
    } else {
        check(&assembled, &dry)
    };
    let generated_at = req.generated_at.format("%Y-%m-%d %H:%M:%S").to_string();
    let mut zip = None;
    let mut send_id = None;
    if !req.dry_run && refused.is_none() {
        let (name, bytes) = assembled
            .file
            .to_zip()
            .map_err(|e| Error::Missing(format!("le fichier ne peut pas être écrit : {e:?}")))?;
        send_id = Some(
            rows::record_send(
                pool,
                scope,
                &rows::NewSend {
                    campaign_id: assembled.campaign_id,
                    send_number: Some(i64::from(assembled.file.send_number)),
                    file_name: &name,
                    agent_id: req.agent_id,
                    from_cli: req.from_cli,
                    generated_at: &generated_at,
                    blocking_count: 0,
                    warning_count: warnings as i64,
                    dossiers: &assembled.dossiers,
                    now: req.now,
                },
            )
            .await?,
        );
        zip = Some((name, bytes));
    } else if req.dry_run || record_refusals {
        // The dry run (or the refused file) keeps the number for the next file.
        rows::record_send(
            pool,
            scope,
            &rows::NewSend {
                campaign_id: assembled.campaign_id,
                send_number: None,
                file_name: &assembled.file.file_name(),
                agent_id: req.agent_id,
                from_cli: req.from_cli,
                generated_at: &generated_at,
                blocking_count: blocking as i64,
                warning_count: warnings as i64,
                dossiers: &assembled.dossiers,
                now: req.now,
            },
        )
        .await?;
    }
    Ok(Outcome {
        file_name: assembled.file.file_name(),
        pupils: assembled.file.pupils.len(),
        dry_run: dry,
        zip,
        send_id,
        refused,
        leaving: assembled.leaving,
    })
}

/// A warning's stable identity, for an agent to acknowledge each one: a hash
/// of its check, pupil or person, field and message. A warning that changed
/// (another value, another pupil) has another key, so a stale or forged
/// acknowledgement does not cover it.
pub fn warning_key(p: &Problem) -> String {
    let subject = match &p.subject {
        Subject::File => "fichier".to_owned(),
        Subject::Pupil { private_id, name } => format!("eleve:{private_id}:{name}"),
        Subject::Person { private_id, name } => format!("personne:{private_id}:{name}"),
    };
    let digest = Sha256::digest(
        format!(
            "{}\u{1f}{subject}\u{1f}{}\u{1f}{}",
            p.check, p.field, p.message
        )
        .as_bytes(),
    );
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// A fingerprint of the dossiers a file holds, for the screen to refuse a
/// file whose dossiers changed since the agent read its dry run.
pub fn dossiers_key(dossiers: &[i64]) -> String {
    let mut sorted = dossiers.to_vec();
    sorted.sort_unstable();
    let text: Vec<String> = sorted.iter().map(i64::to_string).collect();
    let digest = Sha256::digest(text.join(",").as_bytes());
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// The problems in French, per pupil or person, blocking first within each:
/// « Élève Inès MARTIN » then « - bloquant — la division : … ».
pub fn report(dry: &DryRun) -> String {
    if dry.problems.is_empty() {
        return "Aucun problème : le fichier peut être déposé dans SIECLE.\n".into();
    }
    let mut out = String::new();
    for (subject, problems) in dry.by_subject() {
        out.push_str(&format!("{subject}\n"));
        let mut problems = problems;
        problems.sort_by_key(|p| !p.is_blocking());
        for p in problems {
            let kind = if p.is_blocking() {
                "bloquant"
            } else {
                "avertissement"
            };
            out.push_str(&format!("  - {kind} — {} : {}\n", p.field, p.message));
        }
    }
    out.push_str(&format!(
        "{} problème(s) bloquant(s), {} avertissement(s).\n",
        dry.blocking().count(),
        dry.warnings().count()
    ));
    out
}

/// The sorted set of codes of a stored options answer (« a,b »).
fn option_set(value: &str) -> BTreeSet<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Groups items by key.
fn group<T, K: std::hash::Hash + Eq>(items: Vec<T>, key: impl Fn(&T) -> K) -> HashMap<K, Vec<T>> {
    let mut map: HashMap<K, Vec<T>> = HashMap::new();
    for item in items {
        map.entry(key(&item)).or_default().push(item);
    }
    map
}
