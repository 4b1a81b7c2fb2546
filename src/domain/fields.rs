//! The catalogue of dossier fields: for each key stored in a change or an
//! answer, its French label, the part of the dossier it belongs to, the SIECLE
//! element it comes from or goes back to, and who may read it. The family
//! summary, the receipt, the school's dossier page and (next) the return file
//! all name fields through it, so staff and families read words, never keys.
//! The school's own questions are not in the catalogue: [`label_with`] names
//! them by the label the school gave them.

use super::Role;

/// The part of a dossier a field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// The pupil's identity (élève).
    Pupil,
    /// A guardian's own details (responsable légal).
    Guardian,
    /// Next year's schooling (scolarité).
    Schooling,
    /// School life answers (vie scolaire).
    SchoolLife,
    /// Health (santé): the nurse only.
    Health,
}

impl Section {
    pub fn label(self) -> &'static str {
        match self {
            Section::Pupil => "Élève",
            Section::Guardian => "Responsable légal",
            Section::Schooling => "Scolarité",
            Section::SchoolLife => "Vie scolaire",
            Section::Health => "Santé",
        }
    }
}

/// One field of a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The key stored in `pupil_changes`, `guardian_changes` or `answers`.
    pub key: &'static str,
    pub label: &'static str,
    pub section: Section,
    /// The SIECLE element (BEE_ELEVES / BEE_RESPONSABLES), when SIECLE holds it.
    pub siecle: Option<&'static str>,
}

impl Field {
    /// Whether an agent of `role` may read this field's values.
    pub fn readable_by(&self, role: Role) -> bool {
        match self.section {
            Section::Health => role == Role::Infirmerie,
            _ => true,
        }
    }
}

const fn field(
    key: &'static str,
    label: &'static str,
    section: Section,
    siecle: Option<&'static str>,
) -> Field {
    Field {
        key,
        label,
        section,
        siecle,
    }
}

use Section::{Guardian, Health, Pupil, SchoolLife, Schooling};

/// Every field, in the order a dossier shows them.
pub const FIELDS: &[Field] = &[
    field("last_name", "Nom", Pupil, Some("NOM_DE_FAMILLE")),
    field("first_name", "Prénom", Pupil, Some("PRENOM")),
    field(
        "other_first_names",
        "Autres prénoms",
        Pupil,
        Some("PRENOM2"),
    ),
    field("sex", "Sexe", Pupil, Some("CODE_SEXE")),
    field("birth_date", "Date de naissance", Pupil, Some("DATE_NAISS")),
    field(
        "birth_city",
        "Commune de naissance",
        Pupil,
        Some("VILLE_NAISS"),
    ),
    field("email", "Adresse électronique", Guardian, Some("MEL")),
    field(
        "phone_mobile",
        "Téléphone portable",
        Guardian,
        Some("TEL_PORTABLE"),
    ),
    field(
        "phone_home",
        "Téléphone domicile",
        Guardian,
        Some("TEL_PERSONNEL"),
    ),
    field(
        "phone_work",
        "Téléphone professionnel",
        Guardian,
        Some("TEL_PROFESSIONNEL"),
    ),
    field("address_lines", "Adresse", Guardian, Some("LIGNE1_ADRESSE")),
    field("postcode", "Code postal", Guardian, Some("CODE_POSTAL")),
    field("city", "Commune", Guardian, Some("LIBELLE_POSTAL")),
    field(
        "profession_code",
        "Profession",
        Guardian,
        Some("CODE_PROFESSION"),
    ),
    field(
        "options",
        "Options l'an prochain",
        Schooling,
        Some("CODE_MATIERE"),
    ),
    field("exit_rule", "Régime de sortie", SchoolLife, None),
    field("canteen", "Restauration", SchoolLife, Some("CODE_REGIME")),
    field("quotient", "Quotient familial", SchoolLife, None),
    field("medical_note", "Information médicale", Health, None),
];

/// The field stored under `key`.
pub fn find(key: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.key == key)
}

/// The French label of `key` where the school's own questions (FSE,
/// authorisations, custom questions: `domain::questions`) are named by their
/// own label; a key known to neither reads « Autre information ».
pub fn label_with(key: &str, questions: &[super::questions::Question]) -> String {
    match find(key) {
        Some(f) => f.label.to_owned(),
        None => questions
            .iter()
            .find(|q| q.key == key)
            .map_or_else(|| "Autre information".to_owned(), |q| q.label.clone()),
    }
}

/// The French label of `key`; a key missing from the catalogue reads
/// « Autre information » rather than showing the key.
pub fn label(key: &str) -> &'static str {
    find(key).map_or("Autre information", |f| f.label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_listed_once_with_a_french_label() {
        for (i, f) in FIELDS.iter().enumerate() {
            assert!(
                FIELDS[i + 1..].iter().all(|g| g.key != f.key),
                "{} twice",
                f.key
            );
            assert!(
                !f.label.contains('_') && f.label.chars().next().unwrap().is_uppercase(),
                "{}: {}",
                f.key,
                f.label
            );
        }
        assert_eq!(label("canteen"), "Restauration");
        assert_eq!(label("exit_rule"), "Régime de sortie");
        assert_eq!(label("something_new"), "Autre information");
    }

    #[test]
    fn health_fields_are_for_the_nurse_only() {
        let note = find("medical_note").unwrap();
        assert!(note.readable_by(Role::Infirmerie));
        for role in [
            Role::Admin,
            Role::Secretariat,
            Role::Intendance,
            Role::VieScolaire,
        ] {
            assert!(!note.readable_by(role), "{role:?}");
        }
        assert!(find("phone_mobile").unwrap().readable_by(Role::Secretariat));
    }
}
