//! What a family must fix before sending its dossier (again): the reason the
//! school gave when it sent the dossier back, each refused piece not yet
//! replaced (with the school's reason, to its sender) and each mandatory
//! piece without a file, and each change the school rejected (with its
//! reason) — each with a link to where it is fixed. Shown as a
//! banner on the validation step (`templates/family/_to_fix.html`); sending
//! is refused while a mandatory piece is refused or missing.

use super::FamilyDossier;
use crate::app::AppState;
use crate::db::{decisions, dossiers, family, setup};
use crate::domain::dossier_state::DossierState;
use crate::domain::journey::Step;
use crate::web::error::AppError;

/// A piece to send again, or to send at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PieceToFix {
    pub label: String,
    /// The school's refusal reason (empty for another guardian's file, whose
    /// reason is theirs, and for a missing piece).
    pub reason: String,
    /// The piece on the pieces step.
    pub href: String,
    /// Refused (else: mandatory and missing).
    pub refused: bool,
    pub mandatory: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ToFix {
    /// Why the school sent the dossier back (empty unless it did).
    pub return_reason: String,
    /// Where to start correcting what the reason says.
    pub return_link: String,
    pub pieces: Vec<PieceToFix>,
    /// The changes the school rejected, once it sent the dossier back:
    /// (field, proposed value in words, the school's reason).
    pub rejected_changes: Vec<(String, String, String)>,
    /// The family tried to send while a mandatory piece was to fix.
    pub sending_refused: bool,
}

impl ToFix {
    pub fn is_empty(&self) -> bool {
        self.return_reason.is_empty() && self.pieces.is_empty() && self.rejected_changes.is_empty()
    }

    /// Whether the dossier cannot be sent yet: a mandatory piece is refused
    /// and not replaced, or has no file.
    pub fn blocks_sending(&self) -> bool {
        self.pieces.iter().any(|p| p.mandatory)
    }
}

/// Everything `dossier`'s guardian must fix, in the school's order of pieces.
pub async fn to_fix(state: &AppState, dossier: &FamilyDossier) -> Result<ToFix, AppError> {
    let pool = state.db.pool();
    let id = dossier.dossier.dossier_id;
    let (return_reason, rejected_changes) = if dossier.state == DossierState::Returned {
        (
            dossiers::return_reason(pool, id).await?,
            decisions::rejected(pool, id)
                .await?
                .into_iter()
                .map(|r| (r.label, r.proposed_words, r.reason))
                .collect(),
        )
    } else {
        (String::new(), Vec::new())
    };
    // Replaced refused files are not in this list (see `uploads_seen_by`).
    let uploads = family::uploads_seen_by(pool, id, dossier.guardian_id).await?;
    let mut pieces = Vec::new();
    let asked = {
        let mut conn = pool.acquire().await?;
        setup::documents_asked(&mut conn, dossier.dossier.school_id, id).await?
    };
    for expected in asked {
        let href = format!("{}#piece-{}", dossier.url(Step::Pieces), expected.id);
        let files: Vec<_> = uploads
            .iter()
            .filter(|u| u.expected_document_id == expected.id)
            .collect();
        let refused: Vec<_> = files.iter().filter(|u| u.status == "refused").collect();
        if !refused.is_empty() {
            let reasons: Vec<&str> = refused
                .iter()
                .map(|u| u.refusal_reason.as_str())
                .filter(|r| !r.is_empty())
                .collect();
            pieces.push(PieceToFix {
                label: expected.label,
                reason: reasons.join(" ; "),
                href,
                refused: true,
                mandatory: expected.mandatory,
            });
        } else if expected.mandatory && files.is_empty() {
            pieces.push(PieceToFix {
                label: expected.label,
                reason: String::new(),
                href,
                refused: false,
                mandatory: true,
            });
        }
    }
    Ok(ToFix {
        return_link: if return_reason.is_empty() {
            String::new()
        } else {
            dossier.url(Step::Eleve)
        },
        return_reason,
        pieces,
        rejected_changes,
        sending_refused: false,
    })
}
