//! The school back-office: `/etablissements/{uai}/…`. Every handler takes a
//! `CurrentAgent<Permission>`.

pub mod agents;
pub mod assisted;
pub mod bulk;
pub mod campaign;
pub mod code_requests;
pub mod codes;
pub mod completion;
pub mod dashboard;
pub mod decisions;
pub mod dossiers;
pub mod exports;
pub mod grant_parts;
pub mod imports;
pub mod jobs;
pub mod letters;
pub mod new_pupil;
pub mod piece_queue;
pub mod pieces;
pub mod provenance;
pub mod reminders;
pub mod review;
pub mod siecle_return;
pub mod test_email;
pub mod track;
pub mod transitions;
