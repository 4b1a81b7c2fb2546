//! The spreadsheet export (« Fiches Élèves Complètes », XLS or XLSX): one row per
//! pupil (several rows for a pupil in several groups), 136 columns, the two legal
//! guardians side by side.
//!
//! Columns are matched by header name, never by position. Headers are compared
//! after folding (case, accents, punctuation, non-breaking and trailing spaces
//! ignored). Guardian columns end with « Repr. Lég. 1 » / « Repr. Lég. 2 », or with
//! an unnumbered « Repr. Lég. » (then the first occurrence is guardian 1, the second
//! guardian 2), or « Autre Repr. Lég. » (guardian 2). Option columns are numbered
//! 1–12 (or resolved by occurrence order when not numbered). Repeated pupil columns:
//! the first one is used, the others are listed in [`Tableur::ignored_columns`].
//!
//! Cells may hold text, numbers or dates: codes read as numbers get their leading
//! zeros back where the field has a fixed length (MEF 11, postcode 5, département 3,
//! « Num. Élève Etab » 11), a MEF read as 10110001110.0 becomes « 10110001110 »; dates
//! may be text (`JJ/MM/AAAA`, `AAAA-MM-JJ`), spreadsheet serial numbers or date cells
//! (honouring the workbook's 1900/1904 epoch).
//!
//! Before anything is loaded, the input size is capped and, for XLSX, the zip entries'
//! declared sizes are summed, then each entry is inflated into a counting sink under a
//! cap (declared sizes can lie), so a zip bomb is refused without being expanded in
//! memory.

mod cells;
mod container;
mod layout;
mod rows;

use std::collections::HashMap;
use std::io::Read;

use chrono::NaiveDate;

use crate::codes::{
    Civilite, ModaliteElection, Nationalite, Parente, Pays, Regime, Sexe, TypeStructure,
};
use crate::detect::{FileKind, detect};
use crate::error::{ErrorReason, Location, SiecleError, Warning, Warnings};
use crate::types::Ine;
use crate::xml::Limits;

use cells::cell_text;
pub use container::check_zip_size;
use container::load_sheets;
use layout::Layout;
use rows::RowReader;

/// A postal address as the spreadsheet gives it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdresseTableur {
    /// « Ligne Adresse 1 » … « Ligne Adresse 4 ».
    pub lignes: [Option<String>; 4],
    /// « Lib. Postal ».
    pub lib_postal: Option<String>,
    /// « Code Postal » (5 characters).
    pub code_postal: Option<String>,
    /// « Département » / « Code Département » (3 characters).
    pub departement: Option<String>,
    /// « Commune Etrangère ».
    pub commune_etrangere: Option<String>,
    /// « Pays » (a country name).
    pub pays: Option<String>,
}

impl AdresseTableur {
    fn is_empty(&self) -> bool {
        *self == AdresseTableur::default()
    }
}

/// A legal guardian (« Repr. Lég. 1 » or « 2 »).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepresentantTableur {
    /// 1 or 2.
    pub rang: u8,
    /// « Civilité ».
    pub civilite: Option<Civilite>,
    /// « Nom de famille ».
    pub nom_de_famille: Option<String>,
    /// « Nom d'usage ».
    pub nom_usage: Option<String>,
    /// « Prénom ».
    pub prenom: Option<String>,
    /// « Lien Parenté », as a code when the label is known.
    pub lien_parente: Option<Parente>,
    /// « Lien Parenté », as written (« MERE », « PERE »…).
    pub lien_parente_libelle: Option<String>,
    /// « Tél. Personnel ».
    pub tel_personnel: Option<String>,
    /// « Tél. Portable ».
    pub tel_portable: Option<String>,
    /// « Tél. Professionnel ».
    pub tel_professionnel: Option<String>,
    /// « Email ».
    pub email: Option<String>,
    /// « Communication Adresse postale et courriel » (O/N).
    pub communication_adresse: Option<bool>,
    /// The guardian's address.
    pub adresse: AdresseTableur,
}

/// A structure (division or group) of a pupil.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructureTableur {
    /// « Code Structure ».
    pub code_structure: String,
    /// « Type Structure » (D/G), when given.
    pub type_structure: Option<TypeStructure>,
    /// « Lib. Structure ».
    pub lib_structure: Option<String>,
}

/// An option (« Clé Gestion Mat. Enseignée N »…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionTableur {
    /// « Clé Gestion Mat. Enseignée » (CODE_GESTION, e.g. « AGL1 »).
    pub cle_gestion: String,
    /// « Lib. Mat. Enseignée ».
    pub libelle: Option<String>,
    /// « Code Modalité Elect. ».
    pub code_modalite_elect: Option<ModaliteElection>,
}

/// A pupil, from one or several rows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EleveTableur {
    /// The spreadsheet rows (numbered from 1) this pupil was read from.
    pub lignes: Vec<u32>,
    /// « Sexe » (M/F).
    pub sexe: Option<Sexe>,
    /// « Pays Nat. » as written (a country name).
    pub pays_nat: Option<String>,
    /// Nationality found from « Pays Nat. ».
    pub nationalite: Option<Nationalite>,
    /// « Elève No Etab » (ELENOET).
    pub elenoet: Option<String>,
    /// « Num. Elève Etab » (ID_ELEVE_ETAB, 11 characters).
    pub num_eleve_etab: Option<String>,
    /// « Nom de famille ».
    pub nom_de_famille: String,
    /// « Nom d'usage ».
    pub nom_usage: Option<String>,
    /// « Prénom ».
    pub prenom: String,
    /// « Prénom 2 ».
    pub prenom2: Option<String>,
    /// « Prénom 3 ».
    pub prenom3: Option<String>,
    /// « Date Naissance ».
    pub date_naiss: Option<NaiveDate>,
    /// « Doublement ».
    pub doublement: Option<bool>,
    /// « Id National » (INE).
    pub id_national: Option<Ine>,
    /// « Date Entrée ».
    pub date_entree: Option<NaiveDate>,
    /// « Date Sortie ».
    pub date_sortie: Option<NaiveDate>,
    /// « Date Modification ».
    pub date_modification: Option<NaiveDate>,
    /// « Adhésion Transport ».
    pub adhesion_transport: Option<bool>,
    /// « Ville Naiss. Etrangère ».
    pub ville_naiss_etrangere: Option<String>,
    /// « Commune Naiss. » (a name).
    pub commune_naiss: Option<String>,
    /// « Pays Naiss. » (a name).
    pub pays_naiss: Option<String>,
    /// Country of birth found from « Pays Naiss. ».
    pub code_pays_naiss: Option<Pays>,
    /// « Code Régime ».
    pub code_regime: Option<Regime>,
    /// « Lib. Régime ».
    pub lib_regime: Option<String>,
    /// « Motif Sortie ».
    pub motif_sortie: Option<String>,
    /// « Code MEF » (11 characters).
    pub code_mef: Option<String>,
    /// « Lib. MEF ».
    pub lib_mef: Option<String>,
    /// Divisions and groups (one per row for multi-row pupils).
    pub structures: Vec<StructureTableur>,
    /// Options, in column order.
    pub options: Vec<OptionTableur>,
    /// « Tél. Personnel ».
    pub tel_personnel: Option<String>,
    /// « Tél. Professionnel ».
    pub tel_professionnel: Option<String>,
    /// « Tél. Portable ».
    pub tel_portable: Option<String>,
    /// « Email ».
    pub email: Option<String>,
    /// The pupil's address.
    pub adresse: AdresseTableur,
    /// Legal guardians (0 to 2), by rank.
    pub representants: Vec<RepresentantTableur>,
}

/// A whole spreadsheet export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tableur {
    /// XLS or XLSX.
    pub kind: FileKind,
    /// The sheet read.
    pub feuille: String,
    /// The header row (numbered from 1).
    pub ligne_entete: u32,
    /// The pupils, in order of first appearance.
    pub eleves: Vec<EleveTableur>,
    /// Headers that were not used (unknown or repeated).
    pub ignored_columns: Vec<String>,
    /// Row-level problems.
    pub warnings: Vec<Warning>,
}

/// Reads a spreadsheet export from a reader, refusing inputs above
/// `limits.max_spreadsheet_bytes` without reading them whole.
pub fn read_spreadsheet_from<R: Read>(input: R, limits: Limits) -> Result<Tableur, SiecleError> {
    let mut bytes = Vec::new();
    input
        .take(limits.max_spreadsheet_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| SiecleError::new(FileKind::Unknown, ErrorReason::Io(e.to_string())))?;
    read_spreadsheet_with_limits(&bytes, limits)
}

/// Reads a spreadsheet export (XLS or XLSX, detected from the content).
pub fn read_spreadsheet(bytes: &[u8]) -> Result<Tableur, SiecleError> {
    read_spreadsheet_with_limits(bytes, Limits::default())
}

/// Reads a spreadsheet export with explicit limits.
pub fn read_spreadsheet_with_limits(bytes: &[u8], limits: Limits) -> Result<Tableur, SiecleError> {
    let kind = detect(bytes);
    if bytes.is_empty() {
        return Err(SiecleError::new(FileKind::Unknown, ErrorReason::Empty));
    }
    if !kind.is_spreadsheet() {
        return Err(SiecleError::new(kind, ErrorReason::NotSiecle(None)));
    }
    if bytes.len() as u64 > limits.max_spreadsheet_bytes {
        return Err(SiecleError::new(
            kind,
            ErrorReason::FileTooLarge(limits.max_spreadsheet_bytes),
        ));
    }
    if kind == FileKind::Xlsx {
        check_zip_size(bytes, limits.max_uncompressed_bytes)?;
    }
    // calamine is a large parser of untrusted binary input: a panic inside it must
    // become an error for the user, not a crash of the import job.
    let sheets = std::panic::catch_unwind(|| load_sheets(bytes, kind, limits.max_spreadsheet_rows))
        .map_err(|_| {
            SiecleError::new(kind, ErrorReason::Spreadsheet("contenu inattendu".into()))
        })??;
    let mut best_missing: Option<(Vec<String>, u32)> = None;
    for (name, rows) in sheets {
        // Rows are indexed from the top of the sheet: index 0 is spreadsheet row 1.
        let start_row = 0u32;
        let header = rows.iter().take(30).enumerate().find_map(|(i, row)| {
            let layout = Layout::from_header(row);
            (layout.pupil_fields >= 4).then_some((i, layout))
        });
        let Some((header_index, layout)) = header else {
            continue;
        };
        let missing = layout.missing();
        if !missing.is_empty() {
            if best_missing
                .as_ref()
                .is_none_or(|(m, _)| missing.len() < m.len())
            {
                best_missing = Some((missing, start_row + header_index as u32 + 1));
            }
            continue;
        }
        let mut warnings = Warnings::new(limits.max_warnings);
        let mut eleves: Vec<EleveTableur> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, row) in rows.iter().enumerate().skip(header_index + 1) {
            if row.iter().all(|c| cell_text(c).is_none()) {
                continue;
            }
            let line = start_row + i as u32 + 1;
            let mut reader = RowReader {
                row,
                layout: &layout,
                line,
                kind,
                record: format!("ligne {line}"),
                warnings: &mut warnings,
            };
            let Some(eleve) = reader.eleve() else {
                continue;
            };
            let key = match &eleve.id_national {
                Some(ine) => ine.as_str().to_string(),
                None => format!(
                    "{}|{}|{:?}",
                    eleve.nom_de_famille, eleve.prenom, eleve.date_naiss
                ),
            };
            match index.get(&key) {
                Some(&at) => merge(&mut eleves[at], eleve),
                None => {
                    index.insert(key, eleves.len());
                    eleves.push(eleve);
                }
            }
        }
        return Ok(Tableur {
            kind,
            feuille: name,
            ligne_entete: start_row + header_index as u32 + 1,
            eleves,
            ignored_columns: layout.ignored,
            warnings: warnings.list,
        });
    }
    match best_missing {
        Some((missing, line)) => {
            Err(SiecleError::new(kind, ErrorReason::MissingColumns(missing))
                .at(Location::Row(line)))
        }
        None => Err(SiecleError::new(kind, ErrorReason::NoHeaderRow)),
    }
}

/// Adds the structures and options of another row of the same pupil.
fn merge(into: &mut EleveTableur, other: EleveTableur) {
    into.lignes.extend(other.lignes);
    for s in other.structures {
        if !into
            .structures
            .iter()
            .any(|x| x.code_structure == s.code_structure)
        {
            into.structures.push(s);
        }
    }
    for o in other.options {
        if !into.options.iter().any(|x| x.cle_gestion == o.cle_gestion) {
            into.options.push(o);
        }
    }
}
