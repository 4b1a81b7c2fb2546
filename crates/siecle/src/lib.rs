//! Parsers and writers for the SIECLE (Base Élèves Établissement) exchange formats.
//!
//! Pure code: no database, no network, no file system (the parsers read from any
//! `std::io::BufRead` or byte slice; the generator writes to any `std::io::Write`).
//!
//! # Files
//! - [`detect()`]: tells the kind of a file from its first bytes.
//! - [`eleves`]: BEE_ELEVES (ElevesAvecAdresses / ElevesSansAdresses).
//! - [`responsables`]: BEE_RESPONSABLES (ResponsablesAvecAdresses).
//! - [`nomenclatures`]: BEE_NOMENCLATURES (Nomenclature.xml).
//! - [`structures`]: BEE_STRUCTURES (Structures.xml).
//! - [`tableur`]: the 136-column spreadsheet export (XLS / XLSX).
//! - [`return_file`]: the IMPORT_ELEVES file sent back to SIECLE (writer, reader, dry run).
//! - [`codes`]: typed code lists (countries, nationalities, parenté, PCS, régimes…).
//! - [`synth`]: a generator of format-faithful synthetic exports (and, with the
//!   `xlsx` feature, of the spreadsheet export: `SynthSchool::write_tableur_xlsx`).
//!
//! # Streaming
//! Each XML export has a reader (e.g. [`eleves::ElevesReader`]) that is an `Iterator`
//! of records. Opening it reads only the PARAMETRES block, so the app can check the
//! UAJ ([`eleves::ElevesReader::uaj`]) and refuse a file of another school before
//! reading on. Records are then yielded one at a time: memory is bounded by one
//! record, whatever the size of the file (an académie export of hundreds of MB is
//! fine). ISO-8859-15 is decoded on the fly. For small files, `parse_*` functions
//! collect everything into a struct.
//!
//! # Errors
//! A [`SiecleError`] is fatal (the file cannot be read: truncated, wrong encoding,
//! not a SIECLE export, no UAJ, DOCTYPE…): an import must not start, or must be rolled
//! back. A [`Warning`] concerns one record (invalid date, unknown code, missing
//! mandatory field…): parsing goes on, the record is skipped or kept with the field
//! empty, and the warning is collected with its line, so the app can show a preview
//! listing every problem. Both render French messages for school staff.
//!
//! # Security
//! No DTD is ever processed (a DOCTYPE is refused), only the five predefined entities
//! and character references are resolved, nesting depth, text length and record size
//! are bounded ([`Limits`]), spreadsheets are size-checked (and XLSX zip entries
//! inflated under a cap) before being opened, and nothing panics on any input (the
//! parsers are fuzzed, see `fuzz/README.md`).

pub mod codes;
mod decode;
pub mod detect;
pub mod eleves;
pub mod error;
mod fields;
pub mod nomenclatures;
mod reader;
pub mod responsables;
pub mod return_file;
pub mod structures;
pub mod synth;
pub mod tableur;
mod text;
pub mod types;
mod xml;

pub use detect::{FileKind, detect};
pub use error::{ErrorReason, Location, SiecleError, Warning, WarningEffect};
pub use types::{Adresse, Ine, Parametres, Uai};
pub use xml::Limits;
