//! The school back-office: `/etablissements/{uai}/…`. Every handler takes a
//! `CurrentAgent<Permission>`.

pub mod agents;
pub mod bulk;
pub mod campaign;
pub mod code_requests;
pub mod codes;
pub mod completion;
pub mod dashboard;
pub mod decisions;
pub mod dossiers;
pub mod exports;
pub mod imports;
pub mod jobs;
pub mod letters;
pub mod pieces;
pub mod reminders;
pub mod review;
pub mod test_email;
pub mod transitions;
