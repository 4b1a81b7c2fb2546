//! BEE_STRUCTURES (Structures.xml): the school's divisions (classes) and groups, with
//! the MEFs they belong to.
//!
//! ```text
//! BEE_STRUCTURES[@VERSION]
//!   PARAMETRES/…
//!   DONNEES/
//!     DIVISIONS/DIVISION[@CODE_STRUCTURE]/{LIBELLE_LONG, CODE_CONTRAT?,
//!         MEFS_APPARTENANCE/MEF_APPARTENANCE/CODE_MEF}
//!     GROUPES/GROUPE[@CODE_STRUCTURE]/{LIBELLE_LONG,
//!         DIVISIONS_APPARTENANCE/DIVISION_APPARTENANCE/CODE_STRUCTURE,
//!         MEFS_APPARTENANCE/MEF_APPARTENANCE/CODE_MEF}
//! ```
//! The samples have no such file: this follows the spec (§ « Structures ») and the shape
//! public importers read. `CODE_STRUCTURE` is accepted as an attribute or a child, and
//! `DIVISION_APPARTENANCE` with a `CODE_STRUCTURE` child or a `CODE` attribute.

use std::io::BufRead;

use crate::detect::FileKind;
use crate::error::{SiecleError, Warning, WarningEffect};
use crate::fields::Fields;
use crate::reader::bee_reader;
use crate::types::Parametres;
use crate::xml::Node;

/// A division (class).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Division {
    /// CODE_STRUCTURE (e.g. « 3 A »).
    pub code_structure: String,
    /// LIBELLE_LONG.
    pub libelle_long: Option<String>,
    /// CODE_CONTRAT (private schools only).
    pub code_contrat: Option<String>,
    /// MEFS_APPARTENANCE: the MEFs of the division.
    pub mefs: Vec<String>,
}

/// A group (part of one or several divisions).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Groupe {
    /// CODE_STRUCTURE.
    pub code_structure: String,
    /// LIBELLE_LONG.
    pub libelle_long: Option<String>,
    /// DIVISIONS_APPARTENANCE: the divisions it draws from.
    pub divisions: Vec<String>,
    /// MEFS_APPARTENANCE.
    pub mefs: Vec<String>,
}

/// One record of a BEE_STRUCTURES export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StructuresRecord {
    /// A division.
    Division(Division),
    /// A group.
    Groupe(Groupe),
}

bee_reader! {
    /// Streaming reader of a BEE_STRUCTURES export: an iterator of [`StructuresRecord`].
    StructuresReader, StructuresRecord, FileKind::StructuresXml, {}
}

fn codes_under(node: &Node, list: &str, item: &str, field: &str) -> Vec<String> {
    node.children_named(list)
        .flat_map(|l| l.children_named(item))
        .filter_map(|i| {
            i.child(field)
                .and_then(|c| crate::text::non_empty(&c.text))
                .or_else(|| i.attr(field).and_then(crate::text::non_empty))
                .or_else(|| i.attr("CODE").and_then(crate::text::non_empty))
                .or_else(|| crate::text::non_empty(&i.text))
        })
        .collect()
}

impl<R: BufRead> StructuresReader<R> {
    fn parse_record(&mut self, block: &str, node: &Node) -> Option<StructuresRecord> {
        let kind = FileKind::StructuresXml;
        let code = node
            .attr("CODE_STRUCTURE")
            .or_else(|| node.attr("CODE"))
            .unwrap_or("?")
            .to_string();
        match (block, node.name.as_str()) {
            ("DIVISIONS", "DIVISION") => {
                let mut f = Fields::new(kind, node, format!("division {code}"), &mut self.warnings);
                let code_structure = f.text("CODE_STRUCTURE").or_else(|| f.text("CODE"));
                let Some(code_structure) = code_structure else {
                    f.warn(
                        "CODE_STRUCTURE",
                        "champ obligatoire absent".into(),
                        WarningEffect::RecordSkipped,
                    );
                    return None;
                };
                let mefs = codes_under(node, "MEFS_APPARTENANCE", "MEF_APPARTENANCE", "CODE_MEF");
                Some(StructuresRecord::Division(Division {
                    code_structure,
                    libelle_long: f.text("LIBELLE_LONG"),
                    code_contrat: f.text("CODE_CONTRAT"),
                    mefs,
                }))
            }
            ("GROUPES", "GROUPE") => {
                let mut f = Fields::new(kind, node, format!("groupe {code}"), &mut self.warnings);
                let code_structure = f.text("CODE_STRUCTURE").or_else(|| f.text("CODE"));
                let Some(code_structure) = code_structure else {
                    f.warn(
                        "CODE_STRUCTURE",
                        "champ obligatoire absent".into(),
                        WarningEffect::RecordSkipped,
                    );
                    return None;
                };
                let divisions = codes_under(
                    node,
                    "DIVISIONS_APPARTENANCE",
                    "DIVISION_APPARTENANCE",
                    "CODE_STRUCTURE",
                );
                let mefs = codes_under(node, "MEFS_APPARTENANCE", "MEF_APPARTENANCE", "CODE_MEF");
                if divisions.is_empty() {
                    f.warn(
                        "DIVISIONS_APPARTENANCE",
                        "groupe rattaché à aucune division".into(),
                        WarningEffect::KeptAsIs,
                    );
                }
                Some(StructuresRecord::Groupe(Groupe {
                    code_structure,
                    libelle_long: f.text("LIBELLE_LONG"),
                    divisions,
                    mefs,
                }))
            }
            _ => None,
        }
    }
}

/// A whole BEE_STRUCTURES export in memory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StructuresExport {
    /// PARAMETRES.
    pub parametres: Parametres,
    /// Divisions.
    pub divisions: Vec<Division>,
    /// Groups.
    pub groupes: Vec<Groupe>,
    /// Record-level problems.
    pub warnings: Vec<Warning>,
}

/// Reads a whole BEE_STRUCTURES export.
pub fn parse_structures<R: BufRead>(input: R) -> Result<StructuresExport, SiecleError> {
    let mut reader = StructuresReader::new(input)?;
    let mut s = StructuresExport {
        parametres: reader.parametres().clone(),
        ..Default::default()
    };
    for record in &mut reader {
        match record? {
            StructuresRecord::Division(d) => s.divisions.push(d),
            StructuresRecord::Groupe(g) => s.groupes.push(g),
        }
    }
    s.warnings = reader.take_warnings();
    Ok(s)
}
