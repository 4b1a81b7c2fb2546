//! Rules of the domain: plain types and functions, no I/O, unit-tested.

pub mod academy;
pub mod access_code;
pub mod birthplace;
pub mod campaign_dates;
pub mod classes_dates;
pub mod completion;
pub mod dossier_state;
pub mod fields;
pub mod grants;
pub mod household;
pub mod journey;
pub mod limits;
pub mod mef_succession;
pub mod piece_conditions;
pub mod questions;
pub mod role;
pub mod schooling;
pub mod tariff_grid;
pub mod uai;
pub mod upload;
pub mod words;

pub use academy::Academy;
pub use role::{Role, RoleSet};
pub use uai::Uai;
