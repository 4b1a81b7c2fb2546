//! DossierSCO: online re-enrolment in collège.
//!
//! The crate is a library that builds the whole application from [`settings::Settings`];
//! the binary (`src/main.rs`), the CLI commands, the background worker and the tests
//! all go through [`process::App`]. See `docs/ARCHITECTURE.md` for the map.

pub mod app;
pub mod auth;
pub mod campaign;
pub mod cli;
pub mod db;
pub mod demo;
pub mod documents;
pub mod domain;
pub mod dossier;
pub mod exports;
pub mod import;
pub mod jobs;
pub mod letters;
pub mod mail;
pub mod notify;
pub mod pdf;
pub mod private_fs;
pub mod process;
pub mod reminders;
pub mod secret;
pub mod settings;
pub mod siecle_return;
pub mod sms;
pub mod team;
pub mod telemetry;
pub mod web;
