//! Rules of the domain: plain types and functions, no I/O, unit-tested.

pub mod access_code;
pub mod dossier_state;
pub mod fields;
pub mod french;
pub mod household;
pub mod journey;
pub mod limits;
pub mod role;
pub mod schooling;
pub mod uai;
pub mod upload;

pub use role::Role;
pub use uai::Uai;
