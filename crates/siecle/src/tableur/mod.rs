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
mod records;
mod rows;

use std::collections::HashMap;
use std::io::Read;

use calamine::Data;

use crate::detect::{FileKind, detect};
use crate::error::{ErrorReason, Location, SiecleError, Warnings};
use crate::xml::Limits;

use cells::cell_text;
pub use container::check_zip_size;
use container::load_sheets;
use layout::Layout;
pub use records::{
    AdresseTableur, EleveTableur, OptionTableur, RepresentantTableur, StructureTableur, Tableur,
};
use rows::RowReader;

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
        let data_rows = rows.iter().enumerate().skip(header_index + 1);
        let eleves = read_pupils(data_rows, start_row, &layout, kind, &mut warnings);
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

/// Reads the data rows (with their index from the top of the sheet) into pupils, one
/// per INE (or per name and birth date when the INE is missing): the rows of a pupil
/// in several groups are merged.
fn read_pupils<'a>(
    rows: impl Iterator<Item = (usize, &'a Vec<Data>)>,
    start_row: u32,
    layout: &Layout,
    kind: FileKind,
    warnings: &mut Warnings,
) -> Vec<EleveTableur> {
    let mut eleves: Vec<EleveTableur> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, row) in rows {
        if row.iter().all(|c| cell_text(c).is_none()) {
            continue;
        }
        let line = start_row + i as u32 + 1;
        let mut reader = RowReader {
            row,
            layout,
            line,
            kind,
            record: format!("ligne {line}"),
            warnings,
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
    eleves
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
