//! The campaign's configuration screens: `/etablissements/{uai}/campagne/…`.

pub mod options;
pub mod questions;
