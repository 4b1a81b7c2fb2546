//! Rules of the domain: plain types and functions, no I/O, unit-tested.

pub mod access_code;
pub mod role;
pub mod uai;

pub use role::Role;
pub use uai::Uai;
