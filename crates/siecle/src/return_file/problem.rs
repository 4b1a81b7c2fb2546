//! A problem found in a return file, by the writer (what the schema would refuse) or by
//! the dry run (what SIECLE would refuse or damage). Each says, in French, which pupil or
//! person and which field, in words.

use std::fmt;

/// Whether a problem prevents the download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The file must not be produced until it is fixed.
    Blocking,
    /// Listed; an agent acknowledges it before downloading.
    Warning,
}

/// What a problem is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// The file as a whole (name, PARAMETRES, exports used).
    File,
    /// A pupil, by ID_PRV_ELE, with « Prénom NOM ».
    Pupil {
        /// ID_PRV_ELE.
        private_id: u32,
        /// « Prénom NOM ».
        name: String,
    },
    /// A person, by ID_PRV_PER, with « Prénom NOM ».
    Person {
        /// ID_PRV_PER.
        private_id: u32,
        /// « Prénom NOM ».
        name: String,
    },
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::File => f.write_str("Fichier"),
            Subject::Pupil { name, .. } => write!(f, "Élève {name}"),
            Subject::Person { name, .. } => write!(f, "Responsable {name}"),
        }
    }
}

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Blocking or warning.
    pub severity: Severity,
    /// The check's number in RETURN-FILE-RULES.md §4 (0: a rule of the schema itself).
    pub check: u8,
    /// The pupil, the person or the file.
    pub subject: Subject,
    /// The field, in words (« la division », « le téléphone portable »).
    pub field: &'static str,
    /// What is wrong, in French, for the school.
    pub message: String,
}

impl Problem {
    pub(crate) fn blocking(
        check: u8,
        subject: &Subject,
        field: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            severity: Severity::Blocking,
            check,
            subject: subject.clone(),
            field,
            message: message.into(),
        }
    }

    pub(crate) fn warning(
        check: u8,
        subject: &Subject,
        field: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::blocking(check, subject, field, message)
        }
    }

    /// Whether it prevents the download.
    pub fn is_blocking(&self) -> bool {
        self.severity == Severity::Blocking
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} — {} : {}", self.subject, self.field, self.message)
    }
}

/// The French words of a file element, for messages (never the raw tag alone).
pub(crate) fn field_label(tag: &str) -> &'static str {
    match tag {
        "UAJ" => "l'établissement (UAI)",
        "ANNEE_SCOLAIRE" => "l'année scolaire",
        "DATE_IMPORT" => "la date du fichier",
        "NUM_ENVOI" => "le numéro d'envoi",
        "LOGICIEL" => "le nom du logiciel",
        "ID_PRV_PER" | "ID_PRV_ELE" => "l'identifiant privé",
        "ID_SIECLE_PER" | "ID_SIECLE_ELE" => "l'identifiant SIECLE",
        "ID_NATIONAL" => "l'INE",
        "CODE_CIVILITE" => "la civilité",
        "NOM_DE_FAMILLE" => "le nom de famille",
        "NOM_USAGE" => "le nom d'usage",
        "PRENOM" => "le prénom",
        "PRENOM2" => "le deuxième prénom",
        "PRENOM3" => "le troisième prénom",
        "LIGNE1_ADRESSE" | "LIGNE2_ADRESSE" | "LIGNE3_ADRESSE" | "LIGNE4_ADRESSE" => {
            "une ligne de l'adresse"
        }
        "CODE_POSTAL" => "le code postal",
        "LL_POSTAL" => "la commune de l'adresse",
        "COMMUNE_ETRANGERE" => "la commune étrangère de l'adresse",
        "CODE_PAYS" => "le pays",
        "CODE_PROFESSION" => "la profession",
        "TEL_PERSONNEL" => "le téléphone personnel",
        "TEL_PROFESSIONNEL" => "le téléphone professionnel",
        "TEL_PORTABLE" => "le téléphone portable",
        "EMAIL" => "l'adresse électronique",
        "CODE_MOTIF_SORTIE" => "le motif de sortie",
        "CODE_PAYS_NAT" => "la nationalité",
        "DATE_NAISS" => "la date de naissance",
        "CODE_SEXE" => "le sexe",
        "CODE_COMMUNE_INSEE_NAISS" => "la commune de naissance (code INSEE)",
        "VILLE_NAISS" => "la ville de naissance à l'étranger",
        "DATE_ENTREE" => "la date d'entrée dans l'établissement",
        "DATE_SORTIE" => "la date de sortie",
        "CODE_REGIME" => "le régime (demi-pension, internat)",
        "CODE_BOURSE" => "la bourse",
        "NB_PART" => "le nombre de parts de bourse",
        "CODE_PARENTE" => "le lien de parenté",
        "CODE_MEF" => "la formation (MEF)",
        "CODE_DIVISION" => "la division",
        "CODE_STATUT" => "le statut",
        "CODE_MATIERE" => "une option",
        "CODE_MODALITE_ELECT" => "la modalité d'une option",
        "CODE_RNE" => "l'établissement d'origine",
        "CODE_DEPARTEMENT" => "le département d'origine",
        "CODE_PROVENANCE" => "la provenance",
        "TYPE_MEF" => "le type de la formation d'origine",
        _ => "une donnée",
    }
}
