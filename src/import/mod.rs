//! The SIECLE import: the files a school exports from SIECLE (BEE) become its
//! pupils, guardians, MEFs, subjects and structures.
//!
//! Two steps, so an agent sees what will happen before anything is written:
//! 1. [`plan`] reads every file (kind from the content, UAJ checked, XML
//!    streamed record by record), compares with the database and returns a
//!    [`Plan`] whose [`Preview`] counts new / updated / unchanged / missing
//!    pupils and guardians and lists every problem with its file, line and
//!    element. Nothing is written.
//! 2. [`apply`] writes the plan in **one transaction** (all or nothing), with
//!    multi-row upserts: pupils matched on ELEVE_ID then INE, guardians on
//!    PERSONNE_ID (one row per person and school, so siblings share them),
//!    pupils and guardians absent from the new export flagged
//!    `missing_from_siecle` (never deleted), a `not_started` dossier in the
//!    current campaign for every pupil that has none. Dossiers and whatever
//!    families wrote are never touched.
//!
//! Entry points: the `dossiersco import` command, and the web pages with their
//! two jobs ([`jobs::ImportPreviewJob`], [`jobs::ImportApplyJob`]).

pub mod alarm;
pub mod command;
pub mod jobs;
pub mod model;
pub mod parse;
pub mod records;
mod store;

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::db::{Db, Flag};
use model::{GuardianIn, LinkIn, PupilIn, PupilKey};
pub use parse::{InputFile, Parsed};
pub use store::apply;

/// At most this many problems are kept in a preview; the others are counted.
pub const MAX_PROBLEMS: usize = 2_000;

/// The school an import is for.
#[derive(Debug, Clone)]
pub struct School {
    pub id: i64,
    pub uai: String,
}

/// One problem found in the files, for the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The file's name as the agent gave it.
    pub file: String,
    /// « ligne 12 », « ligne 4 du tableur »…
    pub location: Option<String>,
    /// The XML element or the spreadsheet column.
    pub field: Option<String>,
    /// The record concerned (« élève ELEVE_ID 12 »).
    pub record: Option<String>,
    /// What is wrong, in French.
    pub message: String,
    /// A fatal problem stops the import: nothing is written.
    pub fatal: bool,
}

impl Problem {
    pub fn fatal(file: &str, message: String) -> Self {
        Problem {
            file: file.into(),
            location: None,
            field: None,
            record: None,
            message,
            fatal: true,
        }
    }

    pub fn warning(file: &str, message: String) -> Self {
        Problem {
            fatal: false,
            ..Problem::fatal(file, message)
        }
    }

    pub fn record(file: &str, field: &str, record: String, message: String) -> Self {
        Problem {
            field: Some(field.into()),
            record: Some(record),
            ..Problem::warning(file, message)
        }
    }

    pub fn from_error(file: &str, err: &dossiersco_siecle::SiecleError) -> Self {
        Problem {
            file: file.into(),
            location: err.location.map(|l| l.to_string()),
            field: err.element.clone(),
            record: None,
            message: err.reason.to_string(),
            fatal: true,
        }
    }

    pub fn from_warning(file: &str, w: &dossiersco_siecle::Warning) -> Self {
        Problem {
            file: file.into(),
            location: Some(w.location.to_string()),
            field: w.field.clone(),
            record: w.record.clone(),
            message: format!("{} ({})", w.message, w.effect),
            fatal: false,
        }
    }

    /// Where, as one French phrase: « ligne 12, élément CODE_MEF ».
    pub fn place(&self) -> String {
        let mut parts = Vec::new();
        if let Some(location) = &self.location {
            parts.push(location.clone());
        }
        if let Some(field) = &self.field {
            if self
                .location
                .as_deref()
                .is_some_and(|l| l.contains("tableur"))
            {
                parts.push(format!("colonne {field}"));
            } else {
                parts.push(format!("élément {field}"));
            }
        }
        parts.join(", ")
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        let place = self.place();
        if !place.is_empty() {
            write!(f, ", {place}")?;
        }
        write!(f, " : {}", self.message)?;
        if let Some(record) = &self.record {
            write!(f, " [{record}]")?;
        }
        Ok(())
    }
}

/// A file of the import, as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSummary {
    pub name: String,
    /// The kind, in French (« SIECLE élèves (BEE_ELEVES) »).
    pub kind: String,
    /// Records read.
    pub records: u64,
}

/// What an import does (preview) or did (after apply).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub pupils_new: i64,
    pub pupils_updated: i64,
    pub pupils_unchanged: i64,
    pub pupils_missing: i64,
    pub guardians_new: i64,
    pub guardians_updated: i64,
    pub guardians_unchanged: i64,
    pub guardians_missing: i64,
    pub links: i64,
    pub mefs: i64,
    pub subjects: i64,
    pub structures: i64,
}

/// The preview shown before an import is applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    pub files: Vec<FileSummary>,
    pub counts: Counts,
    /// Fatal problems first.
    pub problems: Vec<Problem>,
    /// Problems found beyond [`MAX_PROBLEMS`].
    pub more_problems: u64,
}

impl Preview {
    /// Whether a problem forbids the import.
    pub fn fatal(&self) -> bool {
        self.problems.iter().any(|p| p.fatal)
    }

    /// Whether the numbers look like another school's files (see [`alarm`]).
    pub fn alarm(&self) -> Option<alarm::Alarm> {
        alarm::alarm(&self.counts)
    }

    pub fn problem_count(&self) -> u64 {
        self.problems.len() as u64 + self.more_problems
    }

    /// The preview as text, for the command line.
    pub fn to_text(&self) -> String {
        let c = &self.counts;
        let mut out = String::new();
        for f in &self.files {
            out.push_str(&format!(
                "fichier {} : {} ({} enregistrements)\n",
                f.name, f.kind, f.records
            ));
        }
        out.push_str(&format!(
            "élèves : {} nouveaux, {} mis à jour, {} inchangés, {} absents de SIECLE (signalés)\n",
            c.pupils_new, c.pupils_updated, c.pupils_unchanged, c.pupils_missing
        ));
        out.push_str(&format!(
            "responsables : {} nouveaux, {} mis à jour, {} inchangés, {} absents de SIECLE (signalés)\n",
            c.guardians_new, c.guardians_updated, c.guardians_unchanged, c.guardians_missing
        ));
        out.push_str(&format!(
            "liens élève–responsable : {} ; MEF : {} ; matières : {} ; divisions et groupes : {}\n",
            c.links, c.mefs, c.subjects, c.structures
        ));
        if let Some(alarm) = self.alarm() {
            for reason in &alarm.reasons {
                out.push_str(&format!("ATTENTION : {reason}\n"));
            }
        }
        out.push_str(&format!("problèmes : {}\n", self.problem_count()));
        for p in &self.problems {
            out.push_str(&format!(
                "  {} {p}\n",
                if p.fatal { "ERREUR" } else { "attention" }
            ));
        }
        if self.more_problems > 0 {
            out.push_str(&format!("  … et {} autres problèmes\n", self.more_problems));
        }
        out
    }
}

/// What will happen to one record of the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    New,
    /// Update row `id`; `rekey` when the row must first take the file's
    /// ELEVE_ID (a pupil) or PERSONNE_ID (a guardian created at the desk).
    Update {
        id: i64,
        rekey: bool,
    },
    Unchanged,
}

/// A computed import, ready to be applied.
#[derive(Debug)]
pub struct Plan {
    pub preview: Preview,
    school_id: i64,
    parsed: Parsed,
    /// Per pupil of `parsed.pupils`, in order (`None`: left out).
    pupil_actions: Vec<Option<Action>>,
    missing_pupils: Vec<i64>,
    guardian_actions: Vec<Action>,
    missing_guardians: Vec<i64>,
}

impl Plan {
    /// Whether this plan may be applied.
    pub fn is_applicable(&self) -> bool {
        !self.preview.fatal()
    }
}

type ExistingPupil = (i64, Option<String>, Option<String>, String, Flag);

/// Reads the files and compares them with the database; writes nothing.
pub async fn plan(db: &Db, school: &School, files: &[InputFile]) -> anyhow::Result<Plan> {
    let known_mefs: HashSet<String> =
        sqlx::query_scalar::<_, String>("SELECT code FROM mefs WHERE school_id = $1")
            .bind(school.id)
            .fetch_all(db.pool())
            .await?
            .into_iter()
            .collect();
    let files = files.to_vec();
    let uai = school.uai.clone();
    let parsed =
        tokio::task::spawn_blocking(move || parse::parse_files(&files, &uai, &known_mefs)).await?;
    plan_parsed(db, school, parsed).await
}

async fn plan_parsed(db: &Db, school: &School, mut parsed: Parsed) -> anyhow::Result<Plan> {
    let mut counts = Counts::default();
    let mut pupil_actions = Vec::new();
    let mut missing_pupils = Vec::new();
    let mut guardian_actions = Vec::new();
    let mut missing_guardians = Vec::new();
    if !parsed.fatal() {
        let existing: Vec<ExistingPupil> = sqlx::query_as(
            "SELECT id, siecle_eleve_id, ine, siecle_hash, missing_from_siecle FROM pupils WHERE school_id = $1",
        )
        .bind(school.id)
        .fetch_all(db.pool())
        .await?;
        // Pupils the school created, not yet known to SIECLE: SIECLE's next
        // export gives them an ELEVE_ID and an INE, found by names and birth date.
        let created: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT id, last_name, first_name, birth_date FROM pupils
             WHERE school_id = $1 AND created_by_school = $2 AND siecle_eleve_id IS NULL AND ine IS NULL",
        )
        .bind(school.id)
        .bind(true)
        .fetch_all(db.pool())
        .await?;
        // Their guardians created at the desk (no PERSONNE_ID yet): SIECLE's
        // next export has them under a PERSONNE_ID, linked to that pupil.
        let desk_guardians: Vec<DeskGuardian> = sqlx::query_as(
            "SELECT g.id, g.last_name, g.first_name, p.id, p.siecle_eleve_id, p.ine
             FROM guardians g JOIN guardianships l ON l.guardian_id = g.id JOIN pupils p ON p.id = l.pupil_id
             WHERE g.school_id = $1 AND p.school_id = $1 AND p.created_by_school = $2
               AND g.siecle_personne_id IS NULL",
        )
        .bind(school.id)
        .bind(true)
        .fetch_all(db.pool())
        .await?;
        // The keys the files give the school's created pupils.
        let mut created_keys: HashMap<i64, Vec<PupilKey>> = HashMap::new();
        let mut known_pupils: HashSet<PupilKey> = HashSet::new();
        for (_, eleve_id, ine, _, _) in &existing {
            known_pupils.extend(eleve_id.clone().map(PupilKey::EleveId));
            known_pupils.extend(ine.clone().map(PupilKey::Ine));
        }
        if let Some(pupils) = &parsed.pupils {
            let skipped: HashSet<&PupilKey> = parsed.skipped_pupils.iter().collect();
            let (actions, mut missing, problems) =
                classify_pupils(pupils, &existing, &created, &skipped);
            parsed.problems.extend(problems);
            if parsed.unidentified_skipped_pupils > 0 && !missing.is_empty() {
                // Any of them may be one of the records left out.
                parsed.problems.push(Problem::warning(
                    "",
                    format!(
                        "les élèves absents de l'export ({}) ne sont pas signalés cette fois : {} enregistrement(s) d'élève ignoré(s) sans ELEVE_ID ni INE lisible pourraient être l'un d'eux ; corrigez l'export puis importez-le de nouveau",
                        missing.len(),
                        parsed.unidentified_skipped_pupils
                    ),
                ));
                missing.clear();
            }
            for (p, a) in pupils.iter().zip(&actions) {
                if let Some(Action::Update { id, .. }) = a {
                    let keys = created_keys.entry(*id).or_default();
                    keys.extend(p.eleve_id.clone().map(PupilKey::EleveId));
                    keys.extend(p.ine.clone().map(PupilKey::Ine));
                }
                if a.is_some() {
                    known_pupils.extend(p.eleve_id.clone().map(PupilKey::EleveId));
                    known_pupils.extend(p.ine.clone().map(PupilKey::Ine));
                }
            }
            for a in actions.iter().flatten() {
                match a {
                    Action::New => counts.pupils_new += 1,
                    Action::Update { .. } => counts.pupils_updated += 1,
                    Action::Unchanged => counts.pupils_unchanged += 1,
                }
            }
            counts.pupils_missing = missing.len() as i64;
            pupil_actions = actions;
            missing_pupils = missing;
        }
        if let Some((guardians, links)) = &mut parsed.guardians {
            let existing: Vec<(i64, String, String, Flag)> = sqlx::query_as(
                "SELECT id, siecle_personne_id, siecle_hash, missing_from_siecle FROM guardians
                 WHERE school_id = $1 AND siecle_personne_id IS NOT NULL",
            )
            .bind(school.id)
            .fetch_all(db.pool())
            .await?;
            let by_key: HashMap<&str, &(i64, String, String, Flag)> =
                existing.iter().map(|g| (g.1.as_str(), g)).collect();
            let mut claimed = HashSet::new();
            let mut desk_claimed = HashSet::new();
            for g in guardians.iter() {
                let action = match by_key.get(g.key.as_str()) {
                    None => match desk_guardian(g, links, &desk_guardians, &created_keys)
                        .filter(|id| desk_claimed.insert(*id))
                    {
                        // A guardian created at the desk: the row takes the
                        // PERSONNE_ID (no duplicate, same sign-in).
                        Some(id) => Action::Update { id, rekey: true },
                        None => Action::New,
                    },
                    Some((id, _, hash, missing)) => {
                        claimed.insert(*id);
                        if *hash == g.fingerprint() && !missing.0 {
                            Action::Unchanged
                        } else {
                            Action::Update {
                                id: *id,
                                rekey: false,
                            }
                        }
                    }
                };
                match action {
                    Action::New => counts.guardians_new += 1,
                    Action::Update { .. } => counts.guardians_updated += 1,
                    Action::Unchanged => counts.guardians_unchanged += 1,
                }
                guardian_actions.push(action);
            }
            missing_guardians = existing
                .iter()
                .filter(|(id, _, _, missing)| !missing.0 && !claimed.contains(id))
                .map(|(id, ..)| *id)
                .collect();
            counts.guardians_missing = missing_guardians.len() as i64;
            // Links to pupils neither in the files nor in the database are left out.
            let file = parsed
                .files
                .iter()
                .find(|f| f.kind.contains("BEE_RESPONSABLES"))
                .map(|f| f.name.clone())
                .unwrap_or_default();
            let mut problems = Vec::new();
            let mut seen = HashSet::new();
            links.retain(|l| {
                if !seen.insert((l.pupil.clone(), l.guardian_key.clone())) {
                    return false;
                }
                if known_pupils.contains(&l.pupil) {
                    return true;
                }
                let id = match &l.pupil {
                    PupilKey::EleveId(id) => format!("ELEVE_ID {id}"),
                    PupilKey::Ine(ine) => format!("INE {ine}"),
                };
                problems.push(Problem::record(
                    &file,
                    "ELEVE_ID",
                    format!("lien {id} – PERSONNE_ID {}", l.guardian_key),
                    format!(
                        "élève {id} inconnu : ni dans les fichiers ni déjà importé (lien ignoré)"
                    ),
                ));
                false
            });
            parsed.problems.extend(problems);
            counts.links = links.len() as i64;
        }
        if let Some(n) = &parsed.nomenclature {
            counts.mefs = n.mefs.len() as i64;
            counts.subjects = n.subjects.len() as i64;
        } else {
            counts.mefs = parsed.spreadsheet_mefs.len() as i64;
        }
        counts.structures = parsed.structures.as_ref().map_or(0, |s| s.len() as i64);
    }
    let preview = preview_of(&mut parsed, counts);
    Ok(Plan {
        preview,
        school_id: school.id,
        parsed,
        pupil_actions,
        missing_pupils,
        guardian_actions,
        missing_guardians,
    })
}

/// A guardian created at the desk: (guardian id, last name, first name, and
/// their created pupil: id, ELEVE_ID, INE).
type DeskGuardian = (i64, String, String, i64, Option<String>, Option<String>);

/// The guardian created at the desk that the file's guardian `g` (unknown by
/// PERSONNE_ID) is: same last and first names (folded: case, accents,
/// hyphens), linked in the file to the created pupil they were entered for.
/// None when no one, or more than one, fits.
fn desk_guardian(
    g: &GuardianIn,
    links: &[LinkIn],
    desk: &[DeskGuardian],
    created_keys: &HashMap<i64, Vec<PupilKey>>,
) -> Option<i64> {
    let fold = crate::domain::words::folded_name;
    let (last, first) = (fold(&g.last_name), fold(&g.first_name));
    let their_pupils: Vec<&PupilKey> = links
        .iter()
        .filter(|l| l.guardian_key == g.key)
        .map(|l| &l.pupil)
        .collect();
    let fits: HashSet<i64> = desk
        .iter()
        .filter(|(_, l, f, ..)| fold(l) == last && fold(f) == first)
        .filter(|(_, _, _, pupil_id, eleve_id, ine)| {
            let mut keys: Vec<PupilKey> = created_keys.get(pupil_id).cloned().unwrap_or_default();
            keys.extend(eleve_id.clone().map(PupilKey::EleveId));
            keys.extend(ine.clone().map(PupilKey::Ine));
            keys.iter().any(|k| their_pupils.contains(&k))
        })
        .map(|d| d.0)
        .collect();
    match fits.len() {
        1 => fits.into_iter().next(),
        _ => None,
    }
}

fn preview_of(parsed: &mut Parsed, counts: Counts) -> Preview {
    let mut problems = std::mem::take(&mut parsed.problems);
    // Fatal problems first; the order of the files otherwise.
    problems.sort_by_key(|p| !p.fatal);
    let mut more = parsed.dropped_problems;
    if problems.len() > MAX_PROBLEMS {
        more += (problems.len() - MAX_PROBLEMS) as u64;
        problems.truncate(MAX_PROBLEMS);
    }
    Preview {
        files: parsed.files.clone(),
        counts,
        problems,
        more_problems: more,
    }
}

/// Decides, for each pupil of the files, whether it is new, to update or
/// unchanged, and which pupils of the database the files no longer have
/// (`skipped`: pupils the files hold but that were left out for a problem,
/// so not missing).
fn classify_pupils(
    pupils: &[PupilIn],
    existing: &[ExistingPupil],
    created: &[(i64, String, String, String)],
    skipped: &HashSet<&PupilKey>,
) -> (Vec<Option<Action>>, Vec<i64>, Vec<Problem>) {
    let identity = |last: &str, first: &str, born: &str| {
        (
            crate::domain::words::folded_name(last),
            crate::domain::words::folded_name(first),
            born.to_owned(),
        )
    };
    let index_of: HashMap<i64, usize> = existing
        .iter()
        .enumerate()
        .map(|(i, row)| (row.0, i))
        .collect();
    let mut by_identity: HashMap<(String, String, String), usize> = HashMap::new();
    for (id, last, first, born) in created {
        if let Some(&i) = index_of.get(id) {
            by_identity.insert(identity(last, first, born), i);
        }
    }
    let mut by_eleve_id: HashMap<&str, usize> = HashMap::new();
    let mut by_ine: HashMap<&str, usize> = HashMap::new();
    for (i, (_, eleve_id, ine, _, _)) in existing.iter().enumerate() {
        if let Some(e) = eleve_id {
            by_eleve_id.insert(e.as_str(), i);
        }
        if let Some(ine) = ine {
            by_ine.insert(ine.as_str(), i);
        }
    }
    let mut claimed = HashSet::new();
    let mut incoming_ines = HashSet::new();
    let mut actions = Vec::with_capacity(pupils.len());
    let mut problems = Vec::new();
    for p in pupils {
        let found = p
            .eleve_id
            .as_deref()
            .and_then(|e| by_eleve_id.get(e))
            .or_else(|| p.ine.as_deref().and_then(|i| by_ine.get(i)))
            .copied();
        // A pupil the school created, now in SIECLE's export.
        let created_found = found
            .is_none()
            .then(|| {
                by_identity
                    .get(&identity(&p.last_name, &p.first_name, &p.birth_date))
                    .copied()
            })
            .flatten()
            .filter(|i| !claimed.contains(i));
        let found = found.or(created_found);
        let duplicate_ine = p
            .ine
            .as_ref()
            .is_some_and(|i| !incoming_ines.insert(i.clone()));
        if duplicate_ine || found.is_some_and(|i| !claimed.insert(i)) {
            problems.push(Problem::record(
                "",
                "ID_NATIONAL",
                format!("{} {}", p.first_name, p.last_name),
                "élève en double dans les fichiers (même ELEVE_ID ou même INE) : seul le premier est importé".into(),
            ));
            actions.push(None);
            continue;
        }
        let action = match found {
            None => Action::New,
            Some(i) => {
                let (id, eleve_id, _, hash, missing) = &existing[i];
                let rekey =
                    created_found.is_some() || (p.eleve_id.is_some() && *eleve_id != p.eleve_id);
                if *hash == p.fingerprint() && !missing.0 && !rekey {
                    Action::Unchanged
                } else {
                    Action::Update { id: *id, rekey }
                }
            }
        };
        actions.push(Some(action));
    }
    let in_the_files_but_skipped = |row: &ExistingPupil| {
        let eleve_id = row.1.clone().map(PupilKey::EleveId);
        let ine = row.2.clone().map(PupilKey::Ine);
        [eleve_id, ine]
            .iter()
            .flatten()
            .any(|key| skipped.contains(key))
    };
    let missing = existing
        .iter()
        .enumerate()
        .filter(|(i, row)| {
            // A pupil the school created is not in SIECLE yet: not missing.
            let from_siecle = row.1.is_some() || row.2.is_some();
            from_siecle && !claimed.contains(i) && !row.4.0 && !in_the_files_but_skipped(row)
        })
        .map(|(_, row)| row.0)
        .collect();
    (actions, missing, problems)
}
