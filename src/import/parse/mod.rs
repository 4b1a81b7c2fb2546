//! Reading the files of one import (blocking code: run it off the async
//! threads). Each file's kind comes from its content; a file of another school
//! is refused; the XML exports are streamed record by record through the
//! `dossiersco_siecle` readers, and only our compact records are kept.

mod tableur;
mod xml;

use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::PathBuf;

use dossiersco_siecle::codes::{Civilite, Nationalite, Pays, Regime, Sexe, TypeStructure};
use dossiersco_siecle::{FileKind, SiecleError, Warning, detect};

use super::model::{GuardianIn, LinkIn, NomenclatureIn, PupilIn, PupilKey, StructureIn};
use super::{FileSummary, Problem};

/// A file of an import: the name the agent gave it and where its bytes are.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub name: String,
    pub path: PathBuf,
}

/// Everything read from the files of one import.
#[derive(Debug, Default)]
pub struct Parsed {
    pub files: Vec<FileSummary>,
    pub problems: Vec<Problem>,
    /// Problems beyond what the readers keep (counted only).
    pub dropped_problems: u64,
    pub nomenclature: Option<NomenclatureIn>,
    pub structures: Option<Vec<StructureIn>>,
    /// `Some` when the import has a pupils file (XML or spreadsheet).
    pub pupils: Option<Vec<PupilIn>>,
    /// `Some` when the import has a guardians file (or a spreadsheet).
    pub guardians: Option<(Vec<GuardianIn>, Vec<LinkIn>)>,
    /// (code, label) of the MEFs a spreadsheet names (it has no nomenclature).
    pub spreadsheet_mefs: Vec<(String, String)>,
    /// Pupils the files hold but that were left out for a problem (already in
    /// `problems`): present in the export, so never flagged as missing.
    pub skipped_pupils: Vec<PupilKey>,
    /// Pupil records left out without a readable ELEVE_ID or INE: any pupil
    /// of the database may be one of them.
    pub unidentified_skipped_pupils: u64,
    /// The school year of the exports (PARAMETRES/ANNEE_SCOLAIRE, its starting
    /// year: 2026 for 2026-2027), the latest when files differ; `None` when no
    /// file carries it (the spreadsheet export).
    pub school_year: Option<i64>,
}

impl Parsed {
    /// Records that a pupil of the files was left out.
    fn skip_pupil(&mut self, eleve_id: Option<String>, ine: Option<String>) {
        let keys: Vec<PupilKey> = eleve_id
            .map(PupilKey::EleveId)
            .into_iter()
            .chain(ine.map(PupilKey::Ine))
            .collect();
        if keys.is_empty() {
            self.unidentified_skipped_pupils += 1;
        }
        self.skipped_pupils.extend(keys);
    }

    pub fn fatal(&self) -> bool {
        self.problems.iter().any(|p| p.fatal)
    }

    /// Notes the ANNEE_SCOLAIRE of one export.
    fn note_school_year(&mut self, year: Option<u16>) {
        if let Some(year) = year.map(i64::from) {
            self.school_year = Some(self.school_year.map_or(year, |known| known.max(year)));
        }
    }

    fn fatal_problem(&mut self, file: &str, message: String) {
        self.problems.push(Problem::fatal(file, message));
    }

    fn warnings(&mut self, file: &str, warnings: Vec<Warning>, dropped: u64) {
        self.problems
            .extend(warnings.iter().map(|w| Problem::from_warning(file, w)));
        self.dropped_problems += dropped;
    }
}

/// Reads every file. `known_mefs` are the MEF codes already in the database;
/// the import's own Nomenclature.xml adds to them.
pub fn parse_files(files: &[InputFile], uai: &str, known_mefs: &HashSet<String>) -> Parsed {
    let mut parsed = Parsed::default();
    let mut kinds: Vec<(usize, FileKind)> = Vec::new();
    for (index, file) in files.iter().enumerate() {
        match sniff(file) {
            Ok(kind) => {
                if let Some((other, _)) = kinds.iter().find(|(_, k)| same_source(*k, kind)) {
                    parsed.fatal_problem(
                        &file.name,
                        format!(
                            "ce fichier fait double emploi avec « {} » (même type d'export : {kind}) ; n'envoyez qu'un fichier de chaque type",
                            files[*other].name
                        ),
                    );
                } else {
                    kinds.push((index, kind));
                }
            }
            Err(message) => parsed.fatal_problem(&file.name, message),
        }
    }
    if files.is_empty() {
        parsed.fatal_problem("", "aucun fichier n'a été envoyé".into());
    }
    // The nomenclature first (its MEFs check the pupils'), the pupils before
    // their guardians.
    kinds.sort_by_key(|(_, kind)| match kind {
        FileKind::NomenclaturesXml => 0,
        FileKind::StructuresXml => 1,
        FileKind::ElevesXml | FileKind::Xls | FileKind::Xlsx => 2,
        _ => 3,
    });
    let mut known: HashSet<String> = known_mefs.clone();
    for (index, kind) in kinds {
        let file = &files[index];
        let records = match kind {
            FileKind::NomenclaturesXml => {
                xml::read_nomenclature(file, uai, &mut parsed, &mut known)
            }
            FileKind::StructuresXml => xml::read_structures(file, uai, &mut parsed),
            FileKind::ElevesXml => xml::read_eleves(file, uai, &mut parsed, &known),
            FileKind::ResponsablesXml => xml::read_responsables(file, uai, &mut parsed),
            FileKind::Xls | FileKind::Xlsx => tableur::read_tableur(file, &mut parsed),
            FileKind::Unknown => None,
        };
        parsed.files.push(FileSummary {
            name: file.name.clone(),
            kind: kind.to_string(),
            records: records.unwrap_or(0),
        });
    }
    parsed
}

/// Whether two kinds would feed the same tables (two pupil sources conflict).
fn same_source(a: FileKind, b: FileKind) -> bool {
    let pupils = |k: FileKind| matches!(k, FileKind::ElevesXml | FileKind::Xls | FileKind::Xlsx);
    a == b || (pupils(a) && pupils(b))
}

/// The kind of a file, from its first kilobyte.
fn sniff(file: &InputFile) -> Result<FileKind, String> {
    let mut head = Vec::with_capacity(1024);
    File::open(&file.path)
        .and_then(|f| f.take(1024).read_to_end(&mut head))
        .map_err(|e| format!("le fichier ne peut pas être lu ({e})"))?;
    if head.is_empty() {
        return Err("le fichier est vide".into());
    }
    if head
        .windows(9)
        .any(|w| w.eq_ignore_ascii_case(b"<!DOCTYPE"))
    {
        return Err(
            "le fichier contient une déclaration DOCTYPE, refusée par sécurité (les exports SIECLE n'en ont pas)".into(),
        );
    }
    match detect(&head) {
        FileKind::Unknown => Err(
            "ce fichier n'est pas un export SIECLE reconnu (attendus : ElevesAvecAdresses.xml, ElevesSansAdresses.xml, ResponsablesAvecAdresses.xml, Nomenclature.xml, Structures.xml, ou le tableur « Fiches élèves complètes » en XLS/XLSX)".into(),
        ),
        kind => Ok(kind),
    }
}

fn stop(parsed: &mut Parsed, file: &InputFile, err: &SiecleError) -> Option<u64> {
    parsed.problems.push(Problem::from_error(&file.name, err));
    None
}

fn date(d: Option<chrono::NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

fn text(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

// What both pupil builders (XML and spreadsheet) share.

const NO_SEX: &str = "sexe absent ou inconnu (élève non importé)";
const NO_BIRTH_DATE: &str = "date de naissance absente ou invalide (élève non importé)";

/// `M` or `F`; `None` when absent or unknown (the pupil is then left out).
fn sex_code(sex: Option<&Sexe>) -> Option<&'static str> {
    match sex {
        Some(Sexe::Masculin) => Some("M"),
        Some(Sexe::Feminin) => Some("F"),
        _ => None,
    }
}

/// The second and third first names, space-separated.
fn other_first_names(second: &Option<String>, third: &Option<String>) -> String {
    [second, third]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A country's code; France (100) when none is given.
fn country_code(country: Option<&Pays>) -> String {
    country.map_or_else(|| "100".into(), |p| p.code().to_string())
}

/// A nationality's code; French (100) when none is given.
fn nationality_code(nationality: Option<&Nationalite>) -> String {
    nationality.map_or_else(|| "100".into(), |n| n.code().to_string())
}

fn regime_code(regime: Option<&Regime>) -> String {
    regime.map(|r| r.code().to_string()).unwrap_or_default()
}

/// (short label, code) of a civility; empty when none.
fn civility(civility: Option<&Civilite>) -> (String, String) {
    civility.map_or_else(Default::default, |c| {
        (c.short_label().to_string(), c.code().to_string())
    })
}

/// Sorted, one entry per code (the first element of each tuple).
fn unique_by_code<T: Ord>(mut items: Vec<T>, code: impl Fn(&T) -> &str) -> Vec<T> {
    items.sort();
    items.dedup_by(|a, b| code(a) == code(b));
    items
}

/// The division among a pupil's (code, kind) structures, or empty.
fn division_of(structures: &[(String, String)]) -> String {
    structures
        .iter()
        .find(|(_, kind)| kind == TypeStructure::Division.code())
        .map(|(code, _)| code.clone())
        .unwrap_or_default()
}
