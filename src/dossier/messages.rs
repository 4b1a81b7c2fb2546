//! What families read in their mailbox about a dossier. Each guardian gets
//! their own message at their own address (never a copy of the other's),
//! naming the child, with a link to the service and whom to contact at the
//! school.

use super::diff::Facts;
use crate::domain::words;
use crate::mail::Email;

/// Whom families write to: the school's name and the campaign's contact.
#[derive(Debug, Clone, Default)]
pub struct SchoolContact {
    pub name: String,
    pub email: String,
    pub phone: String,
}

impl SchoolContact {
    /// « Collège Jean Moulin (secretariat@…, 01 23 45 67 89) ».
    pub fn line(&self) -> String {
        let details: Vec<String> = [self.email.clone(), crate::domain::words::phone(&self.phone)]
            .into_iter()
            .filter(|d| !d.is_empty())
            .collect();
        if details.is_empty() {
            format!("le secrétariat du {}", self.name)
        } else {
            format!("le secrétariat du {} ({})", self.name, details.join(", "))
        }
    }
}

/// The address a guardian receives e-mails at: the one they declared, else
/// SIECLE's. `None` without one.
pub fn address_of(facts: &Facts, guardian_id: i64) -> Option<String> {
    let g = facts.guardians.iter().find(|g| g.id == guardian_id)?;
    let email = g
        .edits
        .get("email")
        .or_else(|| g.siecle.get("email"))
        .map(|e| e.trim().to_owned())?;
    (!email.is_empty()).then_some(email)
}

/// The receipt of a sent dossier, one per guardian with an address (with
/// the guardian's id): the sender reads that they sent it, the other
/// guardian who sent it.
pub fn dossier_sent(
    facts: &Facts,
    child: &str,
    sender: i64,
    when: &str,
    school: &SchoolContact,
    base_url: &str,
) -> Vec<(i64, Email)> {
    let sender_name = facts
        .guardians
        .iter()
        .find(|g| g.id == sender)
        .map(|g| g.name.clone())
        .unwrap_or_default();
    let of_child = words::de(child);
    facts
        .guardians
        .iter()
        .filter_map(|g| {
            let to = address_of(facts, g.id)?;
            let who = if g.id == sender {
                "Vous avez envoyé".to_owned()
            } else {
                format!("{sender_name} a envoyé")
            };
            Some((g.id, Email {
                to,
                subject: format!("Réinscription {of_child} envoyée au collège"),
                body_text: format!(
                    "Bonjour,\n\n{who} le dossier de réinscription {of_child} au {} le {when}.\n\
                     Le collège le vérifiera et vous écrira s'il manque quelque chose.\n\n\
                     Votre récépissé est disponible sur DossierSCO : {base_url}/famille/connexion\n\n\
                     Une question ? Contactez {}.\n\nDossierSCO\n",
                    school.name,
                    school.line()
                ),
            }))
        })
        .collect()
}

/// The school sends the dossier back: every guardian with an address reads
/// why, what to replace, and where to do it (with the guardian's id).
pub fn dossier_returned(
    facts: &Facts,
    child: &str,
    reason: &str,
    pieces: &[(String, String)],
    school: &SchoolContact,
    base_url: &str,
) -> Vec<(i64, Email)> {
    let pieces = if pieces.is_empty() {
        String::new()
    } else {
        let lines: Vec<String> = pieces
            .iter()
            .map(|(label, why)| format!("- {label} : {why}"))
            .collect();
        format!("Pièces à remplacer :\n{}\n\n", lines.join("\n"))
    };
    let of_child = words::de(child);
    facts
        .guardians
        .iter()
        .filter_map(|g| {
            let to = address_of(facts, g.id)?;
            Some((g.id, Email {
                to,
                subject: format!("Dossier de réinscription {of_child} à compléter"),
                body_text: format!(
                    "Bonjour,\n\nLe {} vous renvoie le dossier de réinscription {of_child} pour le motif suivant :\n\n\
                     {reason}\n\n{pieces}\
                     Connectez-vous avec votre code personnel pour le corriger, puis envoyez-le à nouveau : \
                     {base_url}/famille/connexion\n\n\
                     Une question ? Contactez {}.\n\nDossierSCO\n",
                    school.name,
                    school.line()
                ),
            }))
        })
        .collect()
}
