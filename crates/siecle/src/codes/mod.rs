//! Typed SIECLE code lists: countries and nationalities, parenté, PCS professions,
//! régimes, civilités, sexes, structure types, levels of responsibility and
//! modalités d'élection.
//!
//! Every list has `from_code` (never fails: a code outside the list is kept in an
//! `Other` variant so nothing read from a file is lost), `code()` giving back the
//! exact SIECLE code, and a French `label()`. `is_known()` tells whether the code is
//! in the list; the parsers turn unknown codes into warnings.

mod pays;

pub use pays::{Nationalite, PAYS, Pays, PaysEntry};

/// Defines a closed SIECLE code list with an `Other(String)` escape hatch.
macro_rules! code_list {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal => $label:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = $label] $variant, )+
            /// A code that is not in the list, kept exactly as read.
            Other(String),
        }

        impl $name {
            /// Every known value, in code order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Reads a SIECLE code (surrounding spaces ignored); unknown codes become `Other`.
            pub fn from_code(code: &str) -> Self {
                match code.trim() {
                    $( $code => $name::$variant, )+
                    other => $name::Other(other.to_string()),
                }
            }

            /// The SIECLE code, exactly as written in the exports.
            pub fn code(&self) -> &str {
                match self {
                    $( $name::$variant => $code, )+
                    $name::Other(code) => code,
                }
            }

            /// The French label shown to users (« Code inconnu » for `Other`).
            pub fn label(&self) -> &'static str {
                match self {
                    $( $name::$variant => $label, )+
                    $name::Other(_) => "Code inconnu",
                }
            }

            /// Whether the code belongs to the list.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{} ({})", self.label(), self.code())
            }
        }
    };
}

code_list! {
    /// CODE_PARENTE: the link between a person and a pupil. Always two characters
    /// (a one-character code is silently rejected by SIECLE's import).
    Parente {
        Mere = "10" => "Mère",
        Pere = "20" => "Père",
        Fratrie = "37" => "Fratrie",
        Ascendant = "38" => "Ascendant",
        AutreMembreFamille = "39" => "Autre membre de la famille",
        Educateur = "41" => "Éducateur",
        AssistantFamilial = "42" => "Assistant familial",
        Tuteur = "50" => "Tuteur (garde d'un mineur)",
        AideSocialeEnfance = "51" => "Aide sociale à l'enfance",
        Eleve = "70" => "Élève lui-même",
        AutreLien = "90" => "Autre lien",
    }
}

impl Parente {
    /// Reads the upper-case label used by the spreadsheet export (« MERE », « PERE »,
    /// « TUTEUR », « AUTRE LIEN »…), accents and case ignored. `None` if unrecognised.
    pub fn from_label(label: &str) -> Option<Self> {
        let key = crate::text::fold_key(label);
        let found = match key.as_str() {
            "mere" => Parente::Mere,
            "pere" => Parente::Pere,
            "fratrie" | "frere" | "soeur" => Parente::Fratrie,
            "ascendant" | "grand parent" | "grand mere" | "grand pere" => Parente::Ascendant,
            "autre membre de la famille" | "autre membre famille" => Parente::AutreMembreFamille,
            "educateur" => Parente::Educateur,
            "assistant familial" | "ass famil" | "assistante familiale" => {
                Parente::AssistantFamilial
            }
            "tuteur" | "garde d un mineur" | "tutrice" => Parente::Tuteur,
            "aide sociale a l enfance" | "ase" => Parente::AideSocialeEnfance,
            "eleve" | "eleve lui meme" => Parente::Eleve,
            "autre lien" => Parente::AutreLien,
            _ => return None,
        };
        Some(found)
    }

    /// Whether the code has the two characters SIECLE requires.
    pub fn has_valid_length(&self) -> bool {
        self.code().chars().count() == 2
    }
}

code_list! {
    /// CODE_PROFESSION: the socio-professional category (PCS, two digits) of a person.
    /// 73 and 76 are the former retiree codes, split into 74/75 and 77/78.
    Pcs {
        AgriculteurExploitant = "10" => "Agriculteur exploitant",
        Artisan = "21" => "Artisan",
        Commercant = "22" => "Commerçant et assimilé",
        ChefEntreprise = "23" => "Chef d'entreprise de 10 salariés ou plus",
        ProfessionLiberale = "31" => "Profession libérale",
        CadreFonctionPublique = "33" => "Cadre de la fonction publique",
        ProfesseurScientifique = "34" => "Professeur, profession scientifique",
        InformationArtsSpectacles = "35" => "Profession de l'information, des arts et des spectacles",
        CadreAdministratifCommercial = "37" => "Cadre administratif et commercial d'entreprise",
        IngenieurCadreTechnique = "38" => "Ingénieur, cadre technique d'entreprise",
        Instituteur = "42" => "Professeur des écoles, instituteur et assimilé",
        IntermediaireSanteSocial = "43" => "Profession intermédiaire de la santé et du travail social",
        Clerge = "44" => "Clergé, religieux",
        IntermediaireFonctionPublique = "45" => "Profession intermédiaire administrative de la fonction publique",
        IntermediaireEntreprise = "46" => "Profession intermédiaire administrative et commerciale des entreprises",
        Technicien = "47" => "Technicien",
        Contremaitre = "48" => "Contremaître, agent de maîtrise",
        EmployeFonctionPublique = "52" => "Employé civil et agent de service de la fonction publique",
        PolicierMilitaire = "53" => "Policier et militaire",
        EmployeAdministratif = "54" => "Employé administratif d'entreprise",
        EmployeCommerce = "55" => "Employé de commerce",
        ServicesParticuliers = "56" => "Personnel des services directs aux particuliers",
        OuvrierQualifieIndustriel = "62" => "Ouvrier qualifié de type industriel",
        OuvrierQualifieArtisanal = "63" => "Ouvrier qualifié de type artisanal",
        Chauffeur = "64" => "Chauffeur",
        OuvrierQualifieManutention = "65" => "Ouvrier qualifié de la manutention, du magasinage et du transport",
        OuvrierNonQualifieIndustriel = "67" => "Ouvrier non qualifié de type industriel",
        OuvrierNonQualifieArtisanal = "68" => "Ouvrier non qualifié de type artisanal",
        OuvrierAgricole = "69" => "Ouvrier agricole",
        RetraiteAgriculteur = "71" => "Retraité agriculteur exploitant",
        RetraiteArtisanCommercant = "72" => "Retraité artisan, commerçant, chef d'entreprise",
        RetraiteCadreIntermediaire = "73" => "Retraité cadre, profession intermédiaire (ancien code)",
        RetraiteCadre = "74" => "Retraité cadre",
        RetraiteIntermediaire = "75" => "Retraité profession intermédiaire",
        RetraiteEmployeOuvrier = "76" => "Retraité employé et ouvrier (ancien code)",
        RetraiteEmploye = "77" => "Retraité employé",
        RetraiteOuvrier = "78" => "Retraité ouvrier",
        ChomeurJamaisTravaille = "81" => "Chômeur n'ayant jamais travaillé",
        SansActiviteMoins60 = "85" => "Personne sans activité professionnelle de moins de 60 ans",
        SansActivite60EtPlus = "86" => "Personne sans activité professionnelle de 60 ans et plus",
        NonRenseigne = "99" => "Non renseignée (inconnue ou sans objet)",
    }
}

impl Pcs {
    /// Whether this is one of the obsolete retiree codes (73, 76) that SIECLE replaced.
    pub fn is_obsolete(&self) -> bool {
        matches!(
            self,
            Pcs::RetraiteCadreIntermediaire | Pcs::RetraiteEmployeOuvrier
        )
    }
}

code_list! {
    /// CODE_REGIME: the pupil's boarding régime (canteen, boarding).
    Regime {
        ExterneLibre = "0" => "Externe libre",
        ExterneSurveille = "1" => "Externe surveillé",
        DemiPensionnaire = "2" => "Demi-pensionnaire dans l'établissement",
        DemiPensionnaire1Jour = "21" => "Demi-pensionnaire 1 jour",
        DemiPensionnaire2Jours = "22" => "Demi-pensionnaire 2 jours",
        DemiPensionnaire3Jours = "23" => "Demi-pensionnaire 3 jours",
        DemiPensionnaire4Jours = "24" => "Demi-pensionnaire 4 jours",
        DemiPensionnaire5Jours = "25" => "Demi-pensionnaire 5 jours",
        DemiPensionnaire6Jours = "26" => "Demi-pensionnaire 6 jours",
        DemiPensionnaireTicket = "29" => "Demi-pensionnaire au ticket",
        Interne = "3" => "Interne dans l'établissement",
        Interne1Jour = "31" => "Interne 1 jour",
        Interne2Jours = "32" => "Interne 2 jours",
        Interne3Jours = "33" => "Interne 3 jours",
        Interne4Jours = "34" => "Interne 4 jours",
        Interne5Jours = "35" => "Interne 5 jours",
        Interne6Jours = "36" => "Interne 6 jours",
        DemiInterne = "38" => "Demi-interne",
        InterneWeekEnd = "39" => "Interne week-end",
        InterneExterne = "4" => "Interne externé",
        InterneHeberge = "5" => "Interne hébergé",
        DemiPensionnaireHorsEtablissement = "6" => "Demi-pensionnaire hors établissement",
    }
}

impl Regime {
    /// Whether the pupil eats at the canteen (any demi-pension or internat régime).
    pub fn has_canteen(&self) -> bool {
        matches!(
            self.code().as_bytes().first(),
            Some(b'2' | b'3' | b'4' | b'5' | b'6')
        ) && self.is_known()
    }
}

code_list! {
    /// CODE_CIVILITE of a person (SIECLE writes LC_CIVILITE « M. » / « MME » in exports).
    Civilite {
        Monsieur = "1" => "Monsieur",
        Madame = "2" => "Madame",
    }
}

impl Civilite {
    /// Reads a short or long civilité label (« M. », « MME », « MONSIEUR », « Madame »…).
    pub fn from_label(label: &str) -> Option<Self> {
        match crate::text::fold_key(label).as_str() {
            "m" | "mr" | "monsieur" => Some(Civilite::Monsieur),
            "mme" | "madame" | "mlle" | "mademoiselle" => Some(Civilite::Madame),
            _ => None,
        }
    }

    /// The short label SIECLE uses in LC_CIVILITE.
    pub fn short_label(&self) -> &str {
        match self {
            Civilite::Monsieur => "M.",
            Civilite::Madame => "MME",
            Civilite::Other(code) => code,
        }
    }
}

code_list! {
    /// CODE_SEXE of a pupil.
    Sexe {
        Masculin = "1" => "Masculin",
        Feminin = "2" => "Féminin",
    }
}

impl Sexe {
    /// Reads the letter used by the spreadsheet export (« M » / « F »).
    pub fn from_letter(letter: &str) -> Option<Self> {
        match crate::text::fold_key(letter).as_str() {
            "m" | "masculin" | "g" | "garcon" => Some(Sexe::Masculin),
            "f" | "feminin" | "fille" => Some(Sexe::Feminin),
            "1" => Some(Sexe::Masculin),
            "2" => Some(Sexe::Feminin),
            _ => None,
        }
    }
}

code_list! {
    /// TYPE_STRUCTURE of a structure element a pupil belongs to.
    TypeStructure {
        Division = "D" => "Division",
        Groupe = "G" => "Groupe",
    }
}

code_list! {
    /// NIVEAU_RESPONSABILITE of a person towards a pupil (replaced RESP_LEGAL in 2018).
    NiveauResponsabilite {
        RepresentantLegal = "1" => "Représentant légal",
        PersonneEnCharge = "2" => "Personne en charge de l'élève",
        PersonneAContacter = "3" => "Personne à contacter",
    }
}

code_list! {
    /// CODE_MODALITE_ELECT: how a subject is taken.
    ModaliteElection {
        TroncCommun = "S" => "Tronc commun",
        Obligatoire = "O" => "Option obligatoire",
        Facultatif = "F" => "Option facultative",
        Ajout = "A" => "Ajout",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_code_round_trips_through_from_code() {
        for v in Parente::ALL {
            assert_eq!(&Parente::from_code(v.code()), v);
            assert!(v.has_valid_length());
        }
        for v in Pcs::ALL {
            assert_eq!(&Pcs::from_code(v.code()), v);
        }
        for v in Regime::ALL {
            assert_eq!(&Regime::from_code(v.code()), v);
        }
        for v in Civilite::ALL {
            assert_eq!(&Civilite::from_code(v.code()), v);
        }
        for v in Sexe::ALL {
            assert_eq!(&Sexe::from_code(v.code()), v);
        }
        for v in TypeStructure::ALL {
            assert_eq!(&TypeStructure::from_code(v.code()), v);
        }
        for v in NiveauResponsabilite::ALL {
            assert_eq!(&NiveauResponsabilite::from_code(v.code()), v);
        }
        for v in ModaliteElection::ALL {
            assert_eq!(&ModaliteElection::from_code(v.code()), v);
        }
    }

    #[test]
    fn unknown_codes_are_kept_as_read() {
        let p = Pcs::from_code("30");
        assert_eq!(p, Pcs::Other("30".into()));
        assert_eq!(p.code(), "30");
        assert!(!p.is_known());
        assert_eq!(p.label(), "Code inconnu");
        assert_eq!(Regime::from_code(" 24 "), Regime::DemiPensionnaire4Jours);
    }

    #[test]
    fn parente_codes_must_have_two_characters() {
        let one = Parente::from_code("1");
        assert!(!one.is_known());
        assert!(!one.has_valid_length());
        assert_eq!(Parente::from_code("10"), Parente::Mere);
        assert_eq!(Parente::Mere.label(), "Mère");
        assert_eq!(Parente::from_label("MERE"), Some(Parente::Mere));
        assert_eq!(Parente::from_label("Père"), Some(Parente::Pere));
        assert_eq!(Parente::from_label("AUTRE LIEN"), Some(Parente::AutreLien));
        assert_eq!(Parente::from_label("VOISIN"), None);
    }

    #[test]
    fn labels_are_french() {
        assert_eq!(Regime::from_code("0").label(), "Externe libre");
        assert_eq!(Regime::from_code("24").label(), "Demi-pensionnaire 4 jours");
        assert!(Regime::DemiPensionnaire4Jours.has_canteen());
        assert!(!Regime::ExterneLibre.has_canteen());
        assert_eq!(
            Pcs::from_code("75").label(),
            "Retraité profession intermédiaire"
        );
        assert!(Pcs::from_code("73").is_obsolete());
        assert_eq!(Civilite::from_label("MME"), Some(Civilite::Madame));
        assert_eq!(Civilite::from_label("M."), Some(Civilite::Monsieur));
        assert_eq!(Civilite::Madame.short_label(), "MME");
        assert_eq!(Sexe::from_letter("F"), Some(Sexe::Feminin));
        assert_eq!(Sexe::from_code("1").label(), "Masculin");
        assert_eq!(format!("{}", Parente::Pere), "Père (20)");
    }
}
