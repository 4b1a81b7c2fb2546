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

/// An invitation (the campaign is open) or a reminder (not finished) to one
/// guardian, naming their children concerned, with their single-use sign-in
/// link (`auth::sign_in_links`).
pub struct Invitation<'a> {
    pub reminder: bool,
    /// « Inès Martin », one per child concerned.
    pub children: &'a [String],
    pub school: &'a SchoolContact,
    /// The link (its token in the fragment) and the token itself, to type
    /// when the link does not open the page with its script.
    pub link: &'a str,
    pub token: &'a str,
    /// When the link stops working, in words.
    pub expires: &'a str,
    pub base_url: &'a str,
}

impl Invitation<'_> {
    /// « d'Inès Martin », « d'Inès Martin et de Noé Martin ».
    fn of_children(&self) -> String {
        let parts: Vec<String> = self.children.iter().map(|c| words::de(c)).collect();
        parts.join(" et ")
    }

    pub fn email(&self) -> (String, String) {
        let of_children = self.of_children();
        let (subject, opening) = if self.reminder {
            (
                format!("Rappel : réinscription {of_children} à terminer"),
                format!(
                    "Le dossier de réinscription {of_children} au {} n'a pas encore été envoyé au collège. \
                     Quelques minutes suffisent pour le terminer.",
                    self.school.name
                ),
            )
        } else {
            (
                format!("Réinscription {of_children} au collège : à faire en ligne"),
                format!(
                    "La réinscription {of_children} au {} se fait en ligne, sur DossierSCO, \
                     depuis un téléphone ou un ordinateur.",
                    self.school.name
                ),
            )
        };
        let whose = if self.children.len() > 1 {
            "de l'un de vos enfants"
        } else {
            "de votre enfant"
        };
        let body = format!(
            "Bonjour,\n\n{opening}\n\n\
             Ouvrez votre lien personnel, puis saisissez la date de naissance {whose} :\n{}\n\n\
             Ce lien ne sert qu'une fois et fonctionne jusqu'au {}. S'il ne s'ouvre pas, allez sur \
             {}/famille/lien et recopiez ce code : {}\n\
             Vous pouvez aussi vous connecter avec le code personnel du courrier du collège.\n\n\
             Une question ? Contactez {}.\n\nDossierSCO\n",
            self.link,
            self.expires,
            self.base_url.trim_end_matches('/'),
            self.token,
            self.school.line()
        );
        (subject, body)
    }

    pub fn sms(&self) -> String {
        let of_children = self.of_children();
        if self.reminder {
            format!(
                "{} : la réinscription {of_children} n'est pas terminée. Votre lien personnel (une seule utilisation) : {}",
                self.school.name, self.link
            )
        } else {
            format!(
                "{} : la réinscription {of_children} se fait en ligne. Votre lien personnel (une seule utilisation) : {}",
                self.school.name, self.link
            )
        }
    }
}

/// A message an agent writes to one family: their words, framed.
pub fn individual_email(child: &str, text: &str, school: &SchoolContact) -> (String, String) {
    (
        format!("Message du collège au sujet {}", words::de(child)),
        format!(
            "Bonjour,\n\n{}\n\nPour répondre, contactez {}.\n\nDossierSCO\n",
            text.trim(),
            school.line()
        ),
    )
}

/// The same, by SMS.
pub fn individual_sms(text: &str, school: &SchoolContact) -> String {
    format!("{} : {}", school.name, text.trim())
}

/// The school refused pieces: one message to one guardian listing every
/// refused piece of their children not told yet, each with its reason, and
/// their single-use sign-in link to the page that replaces just those.
pub struct PiecesRefused<'a> {
    /// « Inès Martin » and their refused pieces: (label, reason).
    pub children: &'a [(String, Vec<(String, String)>)],
    pub school: &'a SchoolContact,
    pub link: &'a str,
    pub token: &'a str,
    /// When the link stops working, in words.
    pub expires: &'a str,
    pub base_url: &'a str,
}

impl PiecesRefused<'_> {
    fn of_children(&self) -> String {
        let parts: Vec<String> = self.children.iter().map(|(c, _)| words::de(c)).collect();
        parts.join(" et ")
    }

    fn count(&self) -> usize {
        self.children.iter().map(|(_, pieces)| pieces.len()).sum()
    }

    pub fn email(&self) -> (String, String) {
        let of_children = self.of_children();
        let several = self.count() > 1;
        let mut list = String::new();
        for (child, pieces) in self.children {
            if self.children.len() > 1 {
                list.push_str(&format!("{child} :\n"));
            }
            for (label, reason) in pieces {
                list.push_str(&format!("- {label} : {reason}\n"));
            }
        }
        let (these, them, pieces, files) = if several {
            (
                "Ces pièces n'ont pas pu être acceptées",
                "ces pièces",
                "pièces",
                "les nouveaux fichiers",
            )
        } else {
            (
                "Cette pièce n'a pas pu être acceptée",
                "cette pièce",
                "pièce",
                "le nouveau fichier",
            )
        };
        let whose = if self.children.len() > 1 {
            "de l'un de vos enfants"
        } else {
            "de votre enfant"
        };
        let subject = format!("Réinscription {of_children} : {pieces} à remplacer");
        let body = format!(
            "Bonjour,\n\nLe {} a vérifié les pièces envoyées pour la réinscription {of_children}. \
             {these} :\n\n{list}\n\
             Remplacez seulement {them} : ouvrez votre lien personnel, saisissez la date de naissance \
             {whose}, puis envoyez {files} :\n{}\n\n\
             Ce lien ne sert qu'une fois et fonctionne jusqu'au {}. S'il ne s'ouvre pas, allez sur \
             {}/famille/lien et recopiez ce code : {}\n\
             Vous pouvez aussi vous connecter avec le code personnel du courrier du collège.\n\n\
             Une question ? Contactez {}.\n\nDossierSCO\n",
            self.school.name,
            self.link,
            self.expires,
            self.base_url.trim_end_matches('/'),
            self.token,
            self.school.line()
        );
        (subject, body)
    }

    pub fn sms(&self) -> String {
        let several = self.children.len() > 1;
        let pieces: Vec<String> = self
            .children
            .iter()
            .map(|(child, pieces)| {
                let list: Vec<String> = pieces
                    .iter()
                    .map(|(label, reason)| format!("{label} ({reason})"))
                    .collect();
                if several {
                    format!("{child} : {}", list.join(", "))
                } else {
                    list.join(", ")
                }
            })
            .collect();
        format!(
            "{} : pièce(s) à remplacer pour la réinscription {} : {}. Votre lien personnel (une seule utilisation) : {}",
            self.school.name,
            self.of_children(),
            pieces.join(" ; "),
            self.link
        )
    }
}
