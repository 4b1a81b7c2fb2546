//! File type detection from content (never from the file name).
//!
//! XLSX is a zip (`PK\x03\x04`), XLS an OLE2 compound file (`D0 CF 11 E0 A1 B1 1A E1`).
//! An XML export is recognised by its root element (`BEE_ELEVES`, `BEE_RESPONSABLES`,
//! `BEE_NOMENCLATURES`, `BEE_STRUCTURES`), found after an optional BOM, XML declaration,
//! comments and whitespace. A kilobyte of the file is plenty.

use std::fmt;

/// The kinds of files a school can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// BEE_ELEVES (ElevesAvecAdresses.xml / ElevesSansAdresses.xml).
    ElevesXml,
    /// BEE_RESPONSABLES (ResponsablesAvecAdresses.xml / ResponsablesSansAdresses.xml).
    ResponsablesXml,
    /// BEE_NOMENCLATURES (Nomenclature.xml).
    NomenclaturesXml,
    /// BEE_STRUCTURES (Structures.xml).
    StructuresXml,
    /// Spreadsheet export, Excel 2007+ (zip).
    Xlsx,
    /// Spreadsheet export, Excel 97–2003 (OLE2).
    Xls,
    /// Anything else.
    Unknown,
}

impl FileKind {
    /// The root element of the XML export, for XML kinds.
    pub fn root_element(self) -> Option<&'static str> {
        match self {
            FileKind::ElevesXml => Some("BEE_ELEVES"),
            FileKind::ResponsablesXml => Some("BEE_RESPONSABLES"),
            FileKind::NomenclaturesXml => Some("BEE_NOMENCLATURES"),
            FileKind::StructuresXml => Some("BEE_STRUCTURES"),
            _ => None,
        }
    }

    /// The kind whose root element is `name`.
    pub fn from_root_element(name: &str) -> FileKind {
        match name {
            "BEE_ELEVES" => FileKind::ElevesXml,
            "BEE_RESPONSABLES" => FileKind::ResponsablesXml,
            "BEE_NOMENCLATURES" => FileKind::NomenclaturesXml,
            "BEE_STRUCTURES" => FileKind::StructuresXml,
            _ => FileKind::Unknown,
        }
    }

    /// Whether this is one of the spreadsheet kinds.
    pub fn is_spreadsheet(self) -> bool {
        matches!(self, FileKind::Xlsx | FileKind::Xls)
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::ElevesXml => "SIECLE élèves (BEE_ELEVES)",
            FileKind::ResponsablesXml => "SIECLE responsables (BEE_RESPONSABLES)",
            FileKind::NomenclaturesXml => "SIECLE nomenclatures (BEE_NOMENCLATURES)",
            FileKind::StructuresXml => "SIECLE structures (BEE_STRUCTURES)",
            FileKind::Xlsx => "tableur Excel (XLSX)",
            FileKind::Xls => "tableur Excel (XLS)",
            FileKind::Unknown => "inconnu",
        })
    }
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE2_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Detects the kind of a file from its first bytes (1 KiB is enough; fewer may give
/// `Unknown` when the root element is not reached).
pub fn detect(first_bytes: &[u8]) -> FileKind {
    if first_bytes.starts_with(ZIP_MAGIC) {
        return FileKind::Xlsx;
    }
    if first_bytes.starts_with(OLE2_MAGIC) {
        return FileKind::Xls;
    }
    match root_element_name(first_bytes) {
        Some(name) => FileKind::from_root_element(&name),
        None => FileKind::Unknown,
    }
}

/// Finds the name of the first element, skipping BOM, declaration, comments,
/// processing instructions and whitespace. Works on ASCII-compatible encodings.
pub(crate) fn root_element_name(bytes: &[u8]) -> Option<String> {
    let mut rest = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    loop {
        let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
        rest = &rest[start..];
        if rest.starts_with(b"<?") {
            let end = find(rest, b"?>")?;
            rest = &rest[end + 2..];
        } else if rest.starts_with(b"<!--") {
            let end = find(&rest[4..], b"-->")?;
            rest = &rest[4 + end + 3..];
        } else if rest.starts_with(b"<!") {
            // DOCTYPE: not a SIECLE export (and refused by the parsers anyway).
            return None;
        } else if rest.starts_with(b"<") {
            let name: Vec<u8> = rest[1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
                .copied()
                .collect();
            return if name.is_empty() {
                None
            } else {
                String::from_utf8(name).ok()
            };
        } else {
            return None;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_every_export_by_its_root() {
        let decl = "<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?>\n";
        for (root, kind) in [
            ("BEE_ELEVES", FileKind::ElevesXml),
            ("BEE_RESPONSABLES", FileKind::ResponsablesXml),
            ("BEE_NOMENCLATURES", FileKind::NomenclaturesXml),
            ("BEE_STRUCTURES", FileKind::StructuresXml),
        ] {
            let doc = format!("{decl}<!-- export -->\r\n<{root} VERSION=\"3.0\">\n  <PARAMETRES>");
            assert_eq!(detect(doc.as_bytes()), kind);
            assert_eq!(kind.root_element(), Some(root));
        }
        assert_eq!(detect(b"\xEF\xBB\xBF<BEE_ELEVES>"), FileKind::ElevesXml);
    }

    #[test]
    fn recognises_spreadsheets_by_magic_bytes() {
        assert_eq!(detect(b"PK\x03\x04\x14\x00"), FileKind::Xlsx);
        assert_eq!(
            detect(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            FileKind::Xls
        );
    }

    #[test]
    fn anything_else_is_unknown() {
        assert_eq!(detect(b""), FileKind::Unknown);
        assert_eq!(detect(b"%PDF-1.4"), FileKind::Unknown);
        assert_eq!(detect(b"<IMPORT_ELEVES>"), FileKind::Unknown);
        assert_eq!(
            detect(b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><BEE_ELEVES/>"),
            FileKind::Unknown
        );
        assert_eq!(detect(b"<?xml version=\"1.0\""), FileKind::Unknown);
        assert_eq!(detect(b"<"), FileKind::Unknown);
    }
}
