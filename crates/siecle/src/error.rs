//! Errors and warnings.
//!
//! Two levels, so the app can show a full preview before writing anything:
//! - [`SiecleError`]: fatal, the file cannot be read at all (truncated XML, wrong
//!   encoding, not a SIECLE file, no UAJ, DOCTYPE, too deep, spreadsheet without a
//!   header row or missing a required column…). Parsing stops.
//! - [`Warning`]: a problem in one record (invalid date, unknown code, missing
//!   mandatory field, unknown MEF…). It is collected with its location and the record
//!   is either skipped or kept with the field left empty ([`WarningEffect`]).
//!
//! Both display a French message for a school secretary, e.g.
//! « ligne 1234, élément DATE_NAISS : date invalide « 31/02/2010 » ».

use std::fmt;

use crate::detect::FileKind;

/// Where in a file something was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Location {
    /// A line (1-based) and, where known, a column (1-based, in characters) of an XML file.
    Xml {
        /// Line number, from 1.
        line: u64,
        /// Column number, from 1, when known.
        column: Option<u64>,
    },
    /// A row of a spreadsheet, numbered as the spreadsheet shows it (from 1).
    Row(u32),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Xml {
                line,
                column: Some(c),
            } => write!(f, "ligne {line}, colonne {c}"),
            Location::Xml { line, column: None } => write!(f, "ligne {line}"),
            Location::Row(r) => write!(f, "ligne {r} du tableur"),
        }
    }
}

/// What went wrong, for a fatal error. The `Display` text is the French message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorReason {
    /// Nothing in the file.
    #[error("le fichier est vide")]
    Empty,
    /// The file ends in the middle of the document.
    #[error("le fichier est tronqué : il se termine avant la fin du document{}", .0.as_ref().map(|e| format!(" (élément {e} non fermé)")).unwrap_or_default())]
    Truncated(Option<String>),
    /// The XML is not well-formed.
    #[error("le fichier XML est mal formé : {0}")]
    Malformed(String),
    /// Bytes that are not valid in the declared encoding.
    #[error("le fichier n'est pas correctement encodé en {declared} : {detail}")]
    Encoding {
        /// Encoding declared by the file (or assumed).
        declared: String,
        /// What was found.
        detail: String,
    },
    /// An encoding that is not supported.
    #[error("encodage « {0} » non pris en charge (attendu : ISO-8859-15 ou UTF-8)")]
    UnsupportedEncoding(String),
    /// The content is not a SIECLE export.
    #[error("ce fichier n'est pas un export SIECLE reconnu{}", .0.as_ref().map(|r| format!(" (élément racine « {r} »)")).unwrap_or_default())]
    NotSiecle(Option<String>),
    /// A SIECLE export, but not the one expected.
    #[error("ce fichier est un export {found}, alors qu'un export {expected} est attendu")]
    WrongKind {
        /// What the caller asked to parse.
        expected: FileKind,
        /// What the file is.
        found: FileKind,
    },
    /// No PARAMETRES/UAJ.
    #[error("le bloc PARAMETRES ne contient pas d'UAJ (code de l'établissement)")]
    MissingUaj,
    /// An UAJ that is not an UAI code.
    #[error("UAJ invalide « {0} » (attendu : 7 chiffres et une lettre, par exemple 0752387M)")]
    InvalidUaj(String),
    /// A DOCTYPE (DTD) is present: refused, never expanded.
    #[error(
        "le fichier contient une déclaration DOCTYPE, refusée par sécurité (les exports SIECLE n'en ont pas)"
    )]
    Doctype,
    /// Elements nested deeper than the limit.
    #[error("imbrication des éléments trop profonde (plus de {0} niveaux)")]
    TooDeep(usize),
    /// A text or a tag longer than the limit.
    #[error("texte ou balise trop long (plus de {0} caractères)")]
    TooLong(usize),
    /// One record with too many elements.
    #[error("enregistrement trop volumineux (plus de {0} éléments)")]
    RecordTooLarge(usize),
    /// The input is larger than allowed.
    #[error("fichier trop volumineux (plus de {0} octets)")]
    FileTooLarge(u64),
    /// A zip (XLSX) whose content would inflate beyond the limit.
    #[error("le classeur décompressé dépasserait {0} octets : fichier refusé")]
    ZipBomb(u64),
    /// The spreadsheet could not be opened.
    #[error("le classeur ne peut pas être lu : {0}")]
    Spreadsheet(String),
    /// No row looks like the SIECLE header row.
    #[error(
        "aucune ligne d'en-tête reconnue (les colonnes « Nom de famille », « Prénom », « Date Naissance »… sont introuvables)"
    )]
    NoHeaderRow,
    /// Required columns are missing.
    #[error("{}", missing_columns_message(.0))]
    MissingColumns(Vec<String>),
    /// Reading the input failed.
    #[error("erreur de lecture : {0}")]
    Io(String),
}

fn missing_columns_message(cols: &[String]) -> String {
    let list: Vec<String> = cols.iter().map(|c| format!("« {c} »")).collect();
    if cols.len() == 1 {
        format!("colonne obligatoire manquante : {}", list.join(", "))
    } else {
        format!("colonnes obligatoires manquantes : {}", list.join(", "))
    }
}

/// A fatal error: the file cannot be imported. Carries the file kind, the location
/// (line and column, or spreadsheet row), the element or column, and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct SiecleError {
    /// The kind of file being read.
    pub kind: FileKind,
    /// Where, when known.
    pub location: Option<Location>,
    /// The XML element or spreadsheet column concerned, when there is one.
    pub element: Option<String>,
    /// What went wrong.
    pub reason: ErrorReason,
}

impl SiecleError {
    pub(crate) fn new(kind: FileKind, reason: ErrorReason) -> Self {
        SiecleError {
            kind,
            location: None,
            element: None,
            reason,
        }
    }

    pub(crate) fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub(crate) fn element(mut self, element: impl Into<String>) -> Self {
        self.element = Some(element.into());
        self
    }

    /// The French message shown to users, with its location:
    /// « ligne 12, élément ELEVE : le fichier XML est mal formé : … ».
    pub fn message(&self) -> String {
        let mut prefix = Vec::new();
        if let Some(loc) = &self.location {
            prefix.push(loc.to_string());
        }
        if let Some(el) = &self.element {
            match self.location {
                Some(Location::Row(_)) => prefix.push(format!("colonne {el}")),
                _ => prefix.push(format!("élément {el}")),
            }
        }
        if prefix.is_empty() {
            self.reason.to_string()
        } else {
            format!("{} : {}", prefix.join(", "), self.reason)
        }
    }
}

/// What the parser did with the record or field a warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WarningEffect {
    /// The whole record was left out.
    RecordSkipped,
    /// The record was kept; this field was left empty.
    FieldIgnored,
    /// The record and the value were kept as read (e.g. an unknown code).
    KeptAsIs,
}

impl fmt::Display for WarningEffect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WarningEffect::RecordSkipped => "enregistrement ignoré",
            WarningEffect::FieldIgnored => "champ ignoré",
            WarningEffect::KeptAsIs => "valeur conservée",
        })
    }
}

/// A record-level problem, collected while parsing goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The kind of file.
    pub kind: FileKind,
    /// Where the problem is.
    pub location: Location,
    /// The record concerned, in French (« élève ELEVE_ID 1826500 »), when known.
    pub record: Option<String>,
    /// The XML element or spreadsheet column.
    pub field: Option<String>,
    /// The French message, without location.
    pub message: String,
    /// What was done about it.
    pub effect: WarningEffect,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.location)?;
        if let Some(field) = &self.field {
            match self.location {
                Location::Row(_) => write!(f, ", colonne {field}")?,
                Location::Xml { .. } => write!(f, ", élément {field}")?,
            }
        }
        write!(f, " : {}", self.message)?;
        if let Some(record) = &self.record {
            write!(f, " ({record}, {})", self.effect)
        } else {
            write!(f, " ({})", self.effect)
        }
    }
}

/// A bounded list of warnings: past `max`, warnings are only counted, so a file with
/// a systematic problem cannot exhaust memory.
#[derive(Debug, Clone, Default)]
pub(crate) struct Warnings {
    pub(crate) list: Vec<Warning>,
    pub(crate) dropped: u64,
    pub(crate) max: usize,
}

impl Warnings {
    pub(crate) fn new(max: usize) -> Self {
        Warnings {
            list: Vec::new(),
            dropped: 0,
            max,
        }
    }

    pub(crate) fn push(&mut self, w: Warning) {
        if self.list.len() < self.max {
            self.list.push(w);
        } else {
            self.dropped += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_line_element_and_value() {
        let w = Warning {
            kind: FileKind::ElevesXml,
            location: Location::Xml {
                line: 1234,
                column: None,
            },
            record: Some("élève ELEVE_ID 1".into()),
            field: Some("DATE_NAISS".into()),
            message: "date invalide « 31/02/2010 »".into(),
            effect: WarningEffect::FieldIgnored,
        };
        assert_eq!(
            w.to_string(),
            "ligne 1234, élément DATE_NAISS : date invalide « 31/02/2010 » (élève ELEVE_ID 1, champ ignoré)"
        );
        let e = SiecleError::new(
            FileKind::Xlsx,
            ErrorReason::MissingColumns(vec!["Prénom".into(), "Date Naissance".into()]),
        );
        assert_eq!(
            e.to_string(),
            "colonnes obligatoires manquantes : « Prénom », « Date Naissance »"
        );
        let e = SiecleError::new(
            FileKind::ElevesXml,
            ErrorReason::Truncated(Some("ELEVE".into())),
        )
        .at(Location::Xml {
            line: 7,
            column: Some(3),
        });
        assert_eq!(
            e.to_string(),
            "ligne 7, colonne 3 : le fichier est tronqué : il se termine avant la fin du document (élément ELEVE non fermé)"
        );
    }
}
