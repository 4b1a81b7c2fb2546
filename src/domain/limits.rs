//! How much a family may send: the quotas of one dossier, in one place.
//!
//! The numbers are generous for an honest family (a school asks for four to
//! six pieces, each one or two pages) and small enough that one dossier
//! cannot fill the disk or the agents' screens. The database write paths
//! enforce them in the same transaction as the insert (see
//! `documents::quota` and the emergency contacts step), so two requests at
//! once cannot both slip under a limit.

/// Files in one upload request. The form sends the files of one piece at a
/// time, so a request never needs more than a piece may hold.
pub const MAX_FILES_PER_REQUEST: usize = MAX_FILES_PER_PIECE as usize;

/// Files kept for one piece (recto, verso and a few pages of a judgement).
pub const MAX_FILES_PER_PIECE: i64 = 5;

/// Files kept for one dossier, all pieces together.
pub const MAX_FILES_PER_DOSSIER: i64 = 30;

/// Bytes kept for one dossier, all pieces together (five 20 MB files).
pub const MAX_BYTES_PER_DOSSIER: i64 = 100 * 1024 * 1024;

/// Emergency contacts of one dossier, both guardians together.
pub const MAX_EMERGENCY_CONTACTS: i64 = 6;

/// The largest picture accepted or converted: 64 megapixels, well above a
/// phone's 48, far below what a decompression bomb announces.
pub const MAX_PIXELS: u64 = 64_000_000;

/// What a dossier already holds. Pieces the school refused are not counted:
/// the refusal frees their place for the replacement (families cannot
/// delete what they sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Files of the piece being sent.
    pub piece_files: i64,
    pub dossier_files: i64,
    pub dossier_bytes: i64,
}

/// A limit reached, with the message shown next to the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Quota {
    #[error(
        "Envoyez au plus {} fichiers à la fois : les fichiers suivants n'ont pas été pris en compte.",
        MAX_FILES_PER_REQUEST
    )]
    TooManyInRequest,
    #[error(
        "Cette pièce a déjà {} fichiers : c'est le maximum. Si l'un d'eux est à remplacer, le secrétariat peut le refuser, ce qui libère sa place.",
        MAX_FILES_PER_PIECE
    )]
    PieceFull,
    #[error(
        "Ce dossier a déjà {} fichiers : c'est le maximum pour un dossier.",
        MAX_FILES_PER_DOSSIER
    )]
    DossierFull,
    #[error(
        "Les fichiers de ce dossier dépasseraient {} Mo, le maximum : envoyez un fichier plus léger (une photo en qualité normale suffit).",
        MAX_BYTES_PER_DOSSIER / (1024 * 1024)
    )]
    DossierBytes,
    #[error(
        "Ce dossier a déjà {} contacts d'urgence (les deux responsables ensemble) : c'est le maximum. Retirez-en un pour en ajouter un autre.",
        MAX_EMERGENCY_CONTACTS
    )]
    TooManyContacts,
}

impl Usage {
    /// Whether one more file of `size` bytes fits (`size` 0 before it is
    /// known, to refuse early what cannot fit anyway).
    pub fn admits(&self, size: i64) -> Result<(), Quota> {
        if self.piece_files >= MAX_FILES_PER_PIECE {
            Err(Quota::PieceFull)
        } else if self.dossier_files >= MAX_FILES_PER_DOSSIER {
            Err(Quota::DossierFull)
        } else if self.dossier_bytes + size > MAX_BYTES_PER_DOSSIER
            || self.dossier_bytes >= MAX_BYTES_PER_DOSSIER
        {
            Err(Quota::DossierBytes)
        } else {
            Ok(())
        }
    }
}

/// Whether one more emergency contact fits beside `existing` ones.
pub fn admits_contact(existing: i64) -> Result<(), Quota> {
    if existing >= MAX_EMERGENCY_CONTACTS {
        Err(Quota::TooManyContacts)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_fits_until_a_limit_of_the_piece_or_the_dossier_is_reached() {
        let usage = Usage {
            piece_files: 4,
            dossier_files: 29,
            dossier_bytes: 90 * 1024 * 1024,
        };
        assert_eq!(usage.admits(10 * 1024 * 1024), Ok(()));
        assert_eq!(usage.admits(10 * 1024 * 1024 + 1), Err(Quota::DossierBytes));
        let piece_full = Usage {
            piece_files: 5,
            ..usage
        };
        assert_eq!(piece_full.admits(0), Err(Quota::PieceFull));
        let dossier_full = Usage {
            dossier_files: 30,
            ..usage
        };
        assert_eq!(dossier_full.admits(0), Err(Quota::DossierFull));
        assert_eq!(admits_contact(5), Ok(()));
        assert_eq!(admits_contact(6), Err(Quota::TooManyContacts));
    }

    #[test]
    fn messages_name_the_limits() {
        assert!(Quota::PieceFull.to_string().contains("5 fichiers"));
        assert!(Quota::DossierFull.to_string().contains("30 fichiers"));
        assert!(Quota::DossierBytes.to_string().contains("100 Mo"));
        assert!(Quota::TooManyContacts.to_string().contains("6 contacts"));
    }
}
