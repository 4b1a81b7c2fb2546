//! The identity and contact steps of the journey, one file per step:
//! accueil, élève, responsables, contacts d'urgence, santé. Each GET shows what is known,
//! prefilled; each POST saves (remembering only real changes against SIECLE)
//! and goes to the next step, or re-renders the form with the errors next to
//! their fields and everything typed kept.
mod accueil;
mod contacts;
mod eleve;
mod responsables;
mod sante;

use std::collections::BTreeMap;

pub use accueil::{french_date, show_accueil, update_accueil};
pub use contacts::{remove_contact, show_contacts_urgence, update_contacts_urgence};
pub use eleve::{show_eleve, update_eleve};
pub use responsables::{ContactForm, show_responsables, update_responsables};
pub use sante::{show_health_form, show_sante, update_sante};

/// Field errors: field name → message.
pub type Errors = BTreeMap<&'static str, &'static str>;

/// Longest accepted free text (names, addresses).
pub const MAX_TEXT: usize = 200;

pub(super) fn clean(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn check_text(errors: &mut Errors, field: &'static str, value: &str, required: bool) {
    if required && value.is_empty() {
        errors.insert(field, "Ce champ est obligatoire.");
    } else if value.chars().count() > MAX_TEXT {
        errors.insert(field, "Ce texte est trop long (200 caractères au plus).");
    } else if value.chars().any(|c| c.is_control()) {
        errors.insert(field, "Ce texte contient des caractères non autorisés.");
    }
}

pub(super) fn check_phone(errors: &mut Errors, field: &'static str, value: &str) {
    let digits: String = value.chars().filter(|c| c.is_ascii_digit()).collect();
    let allowed = value
        .chars()
        .all(|c| c.is_ascii_digit() || " .+-()".contains(c));
    if !value.is_empty() && (!allowed || digits.len() < 9 || digits.len() > 15) {
        errors.insert(
            field,
            "Numéro de téléphone invalide. Format attendu : 06 12 34 56 78 ou +33 6 12 34 56 78.",
        );
    }
}
