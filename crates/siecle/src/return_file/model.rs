//! The writer's input: everything the file says, typed. Built by the caller from what
//! SIECLE exported and the changes an agent accepted (`docs/SIECLE-RETURN.md` maps
//! each field to its source). Codes are kept as SIECLE wrote them (the code lists keep
//! unknown codes in `Other`), so nothing read from SIECLE is lost on the way back.

use chrono::{NaiveDate, NaiveDateTime};

use crate::codes::{Civilite, ModaliteElection, Parente, Pcs, Regime, Sexe};
use crate::types::Uai;

/// The whole file: one school, one school year, one generation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnFile {
    /// PARAMETRES/UAJ and the first 8 characters of the file name.
    pub uai: Uai,
    /// PARAMETRES/ANNEE_SCOLAIRE: the starting year of the target SIECLE base, from the
    /// exports' PARAMETRES (never from the clock).
    pub school_year: u16,
    /// When the file is generated, French local time (file name and DATE_IMPORT).
    /// Given by the caller: the writer never reads a clock.
    pub generated_at: NaiveDateTime,
    /// PARAMETRES/NUM_ENVOI: the school's counter, +1 per downloaded file (0–99999).
    pub send_number: u32,
    /// PERSONNES: one per real person, shared by siblings.
    pub persons: Vec<Person>,
    /// ELEVES.
    pub pupils: Vec<Pupil>,
}

/// A person responsible for or to contact about pupils (PERSONNE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// ID_PRV_PER: SIECLE's exported private id, else one given by the school's
    /// allocator (stable across files, never reused). Never a database id.
    pub private_id: u32,
    /// ID_SIECLE_PER: SIECLE's PERSONNE_ID, for a person SIECLE already knows.
    pub siecle_id: Option<u32>,
    /// CODE_CIVILITE (1 M., 2 Mme), as SIECLE had it or as the family gave it.
    pub civility: Civilite,
    /// NOM_DE_FAMILLE.
    pub last_name: String,
    /// NOM_USAGE.
    pub usage_name: Option<String>,
    /// PRENOM.
    pub first_name: String,
    /// ADRESSE.
    pub address: Option<Address>,
    /// COMMUNICATION_ADRESSE: agrees to give the address to parents' associations.
    pub shares_address: Option<bool>,
    /// CODE_PROFESSION (PCS).
    pub profession: Pcs,
    /// TEL_PERSONNEL, TEL_PROFESSIONNEL, TEL_PORTABLE.
    pub phones: Phones,
    /// ACCEPTE_SMS.
    pub accepts_sms: Option<bool>,
    /// EMAIL.
    pub email: Option<String>,
}

/// The three phone numbers of a person or a pupil.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Phones {
    /// TEL_PERSONNEL.
    pub home: Option<String>,
    /// TEL_PROFESSIONNEL.
    pub work: Option<String>,
    /// TEL_PORTABLE.
    pub mobile: Option<String>,
}

/// A postal address (ADRESSE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// LIGNE1_ADRESSE … LIGNE4_ADRESSE: at most 4 lines of at most 38 characters
    /// ([`Address::split_lines`] cuts a free text at spaces).
    pub lines: Vec<String>,
    /// The town: in France with its postcode, or abroad.
    pub town: Town,
    /// CODE_PAYS (three digits; 100 = France).
    pub country: String,
}

/// Where an address is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Town {
    /// CODE_POSTAL (5 characters) and LL_POSTAL (≤ 32).
    France {
        /// CODE_POSTAL.
        postcode: String,
        /// LL_POSTAL.
        name: String,
    },
    /// COMMUNE_ETRANGERE (≤ 32).
    Abroad(String),
}

/// Longest address line SIECLE accepts.
pub const ADDRESS_LINE_MAX: usize = 38;

impl Address {
    /// Cuts a free-text address (lines separated by new lines) into SIECLE's lines of
    /// at most 38 characters, at spaces (a word longer than a line is cut inside).
    /// Returns `None` when more than four lines would be needed.
    pub fn split_lines(text: &str) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for paragraph in text.lines() {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let mut word: Vec<char> = word.chars().collect();
                loop {
                    let len = line.chars().count();
                    let needed = if len == 0 {
                        word.len()
                    } else {
                        len + 1 + word.len()
                    };
                    if needed <= ADDRESS_LINE_MAX {
                        if len > 0 {
                            line.push(' ');
                        }
                        line.extend(word.iter());
                        break;
                    }
                    if len > 0 {
                        out.push(std::mem::take(&mut line));
                        continue;
                    }
                    // A single word longer than a line.
                    let rest = word.split_off(ADDRESS_LINE_MAX);
                    out.push(word.into_iter().collect());
                    word = rest;
                }
            }
            if !line.is_empty() {
                out.push(line);
            }
        }
        (out.len() <= 4).then_some(out)
    }
}

/// A pupil (ELEVE): a pupil staying (ELEVE_NON_SORTANT) or leaving (ELEVE_SORTANT, when
/// [`Pupil::leaving`] is set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pupil {
    /// ID_PRV_ELE: SIECLE's exported private id, else the school's allocator's.
    pub private_id: u32,
    /// ID_SIECLE_ELE: SIECLE's ELEVE_ID; `None` for a pupil new to SIECLE.
    pub siecle_id: Option<u32>,
    /// ID_NATIONAL: the INE as the latest export gave it; `None` for a new pupil.
    pub ine: Option<String>,
    /// NOM_DE_FAMILLE.
    pub last_name: String,
    /// NOM_USAGE.
    pub usage_name: Option<String>,
    /// PRENOM.
    pub first_name: String,
    /// PRENOM2.
    pub first_name2: Option<String>,
    /// PRENOM3.
    pub first_name3: Option<String>,
    /// CODE_PAYS_NAT (three digits). Required for a pupil staying.
    pub nationality: Option<String>,
    /// DATE_NAISS.
    pub birth_date: NaiveDate,
    /// CODE_SEXE. Required for a pupil staying.
    pub sex: Option<Sexe>,
    /// CODE_PAYS: country of birth (three digits).
    pub birth_country: String,
    /// CODE_COMMUNE_INSEE_NAISS or VILLE_NAISS. Required for a pupil staying.
    pub birthplace: Option<Birthplace>,
    /// DATE_ENTREE.
    pub entry_date: Option<NaiveDate>,
    /// ADRESSE of the pupil.
    pub address: Option<Address>,
    /// The pupil's own phones.
    pub phones: Phones,
    /// ACCEPTE_SMS.
    pub accepts_sms: Option<bool>,
    /// EMAIL.
    pub email: Option<String>,
    /// ADHESION_TRANSPORT, as SIECLE had it.
    pub transport: bool,
    /// CODE_REGIME.
    pub regime: Regime,
    /// DOUBLEMENT: repeats the year.
    pub repeating: bool,
    /// BOURSES (0 to 2, one per CODE_BOURSE).
    pub grants: Vec<Grant>,
    /// RESPONSABLES_ELEVE: LEGAL (1–2), then PERSONNE_EN_CHARGE, then CONTACT (the
    /// writer orders them by kind, keeping their order within a kind).
    pub links: Vec<Link>,
    /// SCOLARITE_ACTIVE: the target year. Required for a pupil staying.
    pub schooling: Option<Schooling>,
    /// ETABLISSEMENT_AN_DERNIER. Required for a pupil staying.
    pub previous: Option<PreviousYear>,
    /// CODE_MOTIF_SORTIE and DATE_SORTIE of a leaving pupil.
    pub leaving: Option<Leaving>,
}

impl Pupil {
    /// « Prénom NOM », to name the pupil in messages.
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name.trim(), self.last_name.trim())
            .trim()
            .to_string()
    }
}

/// Where a pupil was born.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Birthplace {
    /// CODE_COMMUNE_INSEE_NAISS: the INSEE code of the town (5 characters), in France.
    Insee(String),
    /// VILLE_NAISS: the town abroad (≤ 32 characters).
    Abroad(String),
}

/// A grant (BOURSE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// CODE_BOURSE (one character).
    pub code: String,
    /// NB_PART (0–99). SIECLE's exports do not carry it: the school gives it.
    /// `None` when unknown: the schema requires NB_PART in a BOURSE, so the writer
    /// leaves such a grant out (never a made-up 0) and the dry run warns (check 30).
    pub parts: Option<u8>,
}

/// The kind of a pupil–person link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinkKind {
    /// LEGAL: legal guardian (SIECLE's level 1).
    Legal,
    /// PERSONNE_EN_CHARGE: person in charge of the pupil (level 2).
    InCharge,
    /// CONTACT: person to contact (level 3).
    Contact,
}

/// A link between the pupil and a person of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The person's ID_PRV_PER.
    pub person: u32,
    /// LEGAL, PERSONNE_EN_CHARGE or CONTACT.
    pub kind: LinkKind,
    /// CODE_PARENTE (two characters).
    pub relationship: Parente,
    /// PAIE_FRAIS_SCOLAIRES (not sent for a contact).
    pub pays_fees: Option<bool>,
    /// HEBERGE_ELEVE: required for a guardian or a person in charge.
    pub lives_with_pupil: Option<bool>,
    /// PERCOIT_LES_AIDES (not sent for a contact).
    pub receives_aid: Option<bool>,
    /// A_CONTACTER_EN_PRIORITE (not sent for a contact).
    pub contact_first: Option<bool>,
}

/// The active schooling of the target year (SCOLARITE_ACTIVE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schooling {
    /// CODE_MEF (11 characters) of the target year's nomenclature.
    pub mef: String,
    /// CODE_DIVISION: omitted, or a division of that MEF.
    pub division: Option<String>,
    /// CODE_STATUT (`ST`…).
    pub status: String,
    /// DATE_DEB_SCO: inside the school year.
    pub start: NaiveDate,
    /// DATE_FIN_SCO: only for a real end.
    pub end: Option<NaiveDate>,
    /// ARRET_FORMATION.
    pub stops_training: Option<bool>,
    /// OPTIONS (0–12): mandatory options first, in rank order.
    pub options: Vec<OptionChoice>,
}

/// An option of the active schooling (OPTION).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionChoice {
    /// CODE_MATIERE (six characters).
    pub subject: String,
    /// CODE_MODALITE_ELECT (O, F…), the one of the PROGRAMMES row.
    pub modality: ModaliteElection,
}

/// Last year's schooling (ETABLISSEMENT_AN_DERNIER).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousYear {
    /// CODE_RNE of last year's school, or CODE_DEPARTEMENT when only that is known.
    pub school: PreviousSchool,
    /// CODE_PROVENANCE (one character).
    pub provenance: String,
    /// CODE_MEF of last year.
    pub mef: Option<String>,
    /// TYPE_MEF.
    pub mef_type: Option<String>,
    /// CODE_DIVISION of last year.
    pub division: Option<String>,
    /// CODE_STATUT of last year.
    pub status: Option<String>,
    /// DATE_DEB_SCO of last year.
    pub start: Option<NaiveDate>,
    /// DATE_FIN_SCO of last year.
    pub end: Option<NaiveDate>,
    /// CODE_REGIME of last year.
    pub regime: Option<String>,
    /// OPTIONS_AN_DERNIER/CODE_MATIERE (≤ 12, five characters each: the subjects'
    /// CODE_GESTION).
    pub options: Vec<String>,
}

/// Last year's school.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviousSchool {
    /// CODE_RNE: the school's UAI.
    Uai(String),
    /// CODE_DEPARTEMENT (three characters).
    Department(String),
}

/// Why and when a pupil leaves (ELEVE_SORTANT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaving {
    /// CODE_MOTIF_SORTIE (two characters, from the nomenclature).
    pub motive: String,
    /// DATE_SORTIE.
    pub date: NaiveDate,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_lines_are_cut_at_spaces_within_38_characters() {
        let lines = Address::split_lines(
            "Résidence des Grands Chênes, bâtiment B escalier 4\n12 avenue du Général de Gaulle prolongée",
        )
        .unwrap();
        assert!(lines.iter().all(|l| l.chars().count() <= 38), "{lines:?}");
        assert_eq!(lines[0], "Résidence des Grands Chênes, bâtiment");
        assert_eq!(lines[1], "B escalier 4");
        assert_eq!(lines[2], "12 avenue du Général de Gaulle");
        assert_eq!(lines[3], "prolongée");
        assert_eq!(
            Address::split_lines(&"x".repeat(40)).unwrap(),
            vec!["x".repeat(38), "xx".to_string()]
        );
        assert_eq!(Address::split_lines("a\nb\nc\nd\ne"), None);
        assert_eq!(Address::split_lines("  \n"), Some(vec![]));
    }
}
