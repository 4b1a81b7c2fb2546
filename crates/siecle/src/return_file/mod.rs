//! The file sent back to SIECLE (IMPORT_ELEVES, the « import privé », schema 4.0): the
//! typed input ([`ReturnFile`]), the writer ([`ReturnFile::to_xml`], [`ReturnFile::to_zip`],
//! [`file_name`]), the reader of our own files ([`read_xml`]) and the dry run
//! ([`dry_run`]).
//!
//! Safe by construction:
//! - the writer checks every value against what schema 4.0 allows and refuses to write
//!   a file the schema would reject (each problem in French, naming the pupil or person
//!   and the field in words);
//! - output is ISO-8859-15, characters outside it transliterated or refused, never « ? »;
//! - nothing comes from a clock or a default: the school year, the generation time and
//!   the send number are the caller's, every value is given explicitly;
//! - the dry run applies the checks of RETURN-FILE-RULES.md §4 that the schema does not
//!   express, against what SIECLE held ([`DryRunContext`]), blocking or warning.
//!
//! Where each value comes from: `docs/SIECLE-RETURN.md`.

mod dry_run;
mod from_exports;
pub mod latin9;
mod model;
mod problem;
mod read;
mod write;

pub use dry_run::{DryRun, DryRunContext, dry_run};
pub use from_exports::{Choices, SiecleRecords, SiecleSnapshot, what_siecle_holds};
pub use model::{
    ADDRESS_LINE_MAX, Address, Birthplace, Grant, Leaving, Link, LinkKind, OptionChoice, Person,
    Phones, PreviousSchool, PreviousYear, Pupil, ReturnFile, Schooling, Town,
};
pub use problem::{Problem, Severity, Subject};
pub use read::{ReadError, read_xml};
pub use write::{
    SCHEMA_VERSION, SEND_NUMBER_MAX, SOFTWARE, WriteError, file_name, is_valid_file_name,
};
