//! The school's exports (issue 13): spreadsheets of the changes, of the
//! options per pupil, of the demi-pension with its tariffs and of the
//! answers to the school's questions, one by one or the four in one ZIP
//! (« Tout exporter (tableurs) »); a ZIP of the pieces by type or by
//! class; PDFs of convocations per class and, for the nurse only, of the
//! medical forms. Each is asked on the exports page, made by a job
//! ([`job::MakeExportJob`]) into the documents store, downloaded by the
//! school's agents allowed to, and deleted once it expires
//! ([`job::PurgeExportsJob`], `export_retention_hours`).
//!
//! What each file holds is computed here from the dossier facts
//! ([`sheets`]: pure), then written ([`xlsx`], [`pieces`], [`pdfs`]).

pub mod job;
pub mod pdfs;
pub mod pieces;
pub mod sheets;
pub mod xlsx;

use serde::{Deserialize, Serialize};

/// What is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Changes,
    Options,
    Canteen,
    Answers,
    /// The four spreadsheets in one ZIP, from one reading of the facts.
    AllSpreadsheets,
    PiecesByType,
    PiecesByClass,
    Convocations,
    /// The health information the families gave: the nurse only.
    MedicalForms,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Changes,
        Kind::Options,
        Kind::Canteen,
        Kind::Answers,
        Kind::AllSpreadsheets,
        Kind::PiecesByType,
        Kind::PiecesByClass,
        Kind::Convocations,
        Kind::MedicalForms,
    ];

    /// The spreadsheets, in the order of the page and of
    /// [`Kind::AllSpreadsheets`]' archive.
    pub const SPREADSHEETS: [Kind; 4] =
        [Kind::Changes, Kind::Options, Kind::Canteen, Kind::Answers];

    /// The value stored in `exports.kind`; never rename one that shipped.
    pub fn code(self) -> &'static str {
        match self {
            Kind::Changes => "changes",
            Kind::Options => "options",
            Kind::Canteen => "canteen",
            Kind::Answers => "answers",
            Kind::AllSpreadsheets => "all_spreadsheets",
            Kind::PiecesByType => "pieces_by_type",
            Kind::PiecesByClass => "pieces_by_class",
            Kind::Convocations => "convocations",
            Kind::MedicalForms => "medical_forms",
        }
    }

    pub fn from_code(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// What the school reads.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Changes => "Modifications et décisions (tableur)",
            Kind::Options => "Options par élève (tableur)",
            Kind::Canteen => "Demi-pension et tarifs (tableur)",
            Kind::Answers => "Réponses aux questions de l'établissement (tableur)",
            Kind::AllSpreadsheets => "Tous les tableurs (ZIP)",
            Kind::PiecesByType => "Pièces justificatives par type (ZIP)",
            Kind::PiecesByClass => "Pièces justificatives par classe (ZIP)",
            Kind::Convocations => "Convocations par classe (PDF)",
            Kind::MedicalForms => "Fiches santé (PDF, confidentiel)",
        }
    }

    /// Whether the file holds medical information (the nurse's only).
    pub fn is_medical(self) -> bool {
        self == Kind::MedicalForms
    }

    /// The downloaded file's name, without the school or the date; a
    /// spreadsheet's name in the archive of [`Kind::AllSpreadsheets`] is
    /// this stem and `.xlsx` (`modifications.xlsx`…).
    pub fn file_stem(self) -> &'static str {
        match self {
            Kind::Changes => "modifications",
            Kind::Options => "options",
            Kind::Canteen => "demi-pension",
            Kind::Answers => "reponses",
            Kind::AllSpreadsheets => "tableurs",
            Kind::PiecesByType => "pieces-par-type",
            Kind::PiecesByClass => "pieces-par-classe",
            Kind::Convocations => "convocations",
            Kind::MedicalForms => "fiches-sante",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Kind::Changes | Kind::Options | Kind::Canteen | Kind::Answers => "xlsx",
            Kind::AllSpreadsheets | Kind::PiecesByType | Kind::PiecesByClass => "zip",
            Kind::Convocations | Kind::MedicalForms => "pdf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self.extension() {
            "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "zip" => "application/zip",
            _ => "application/pdf",
        }
    }
}

/// The choices made on the exports page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Params {
    /// One class only (convocations; empty: every class).
    pub division: String,
    /// The convocation: day (`YYYY-MM-DD`), time (`HH:MM`) and place.
    pub date: String,
    pub time: String,
    pub place: String,
}

impl Params {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// The stored params; defaults for anything unreadable.
    pub fn from_json(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or_default()
    }

    /// What is wrong with the params of `kind`, in French (empty: nothing).
    pub fn errors(&self, kind: Kind) -> Vec<(&'static str, String)> {
        let mut errors = Vec::new();
        if kind == Kind::Convocations {
            if chrono::NaiveDate::parse_from_str(&self.date, "%Y-%m-%d").is_err() {
                errors.push((
                    "date",
                    "Indiquez la date de la convocation, par exemple 02/07/2027.".to_owned(),
                ));
            }
            if chrono::NaiveTime::parse_from_str(&self.time, "%H:%M").is_err() {
                errors.push((
                    "time",
                    "Indiquez l'heure de la convocation, par exemple 09:30.".to_owned(),
                ));
            }
            if self.place.trim().is_empty() {
                errors.push((
                    "place",
                    "Indiquez le lieu de la convocation, par exemple « Salle polyvalente »."
                        .to_owned(),
                ));
            } else if self.place.chars().count() > 200 {
                errors.push(("place", "Le lieu dépasse 200 caractères.".to_owned()));
            }
        }
        errors
    }
}
