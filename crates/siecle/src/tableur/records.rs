//! What is read from a spreadsheet export: a pupil per INE (from one or several
//! rows), their structures, options and legal guardians.

use chrono::NaiveDate;

use crate::codes::{
    Civilite, ModaliteElection, Nationalite, Parente, Pays, Regime, Sexe, TypeStructure,
};
use crate::detect::FileKind;
use crate::error::Warning;
use crate::types::Ine;

/// A postal address as the spreadsheet gives it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdresseTableur {
    /// « Ligne Adresse 1 » … « Ligne Adresse 4 ».
    pub lignes: [Option<String>; 4],
    /// « Lib. Postal ».
    pub lib_postal: Option<String>,
    /// « Code Postal » (5 characters).
    pub code_postal: Option<String>,
    /// « Département » / « Code Département » (3 characters).
    pub departement: Option<String>,
    /// « Commune Etrangère ».
    pub commune_etrangere: Option<String>,
    /// « Pays » (a country name).
    pub pays: Option<String>,
}

impl AdresseTableur {
    pub(super) fn is_empty(&self) -> bool {
        *self == AdresseTableur::default()
    }
}

/// A legal guardian (« Repr. Lég. 1 » or « 2 »).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepresentantTableur {
    /// 1 or 2.
    pub rang: u8,
    /// « Civilité ».
    pub civilite: Option<Civilite>,
    /// « Nom de famille ».
    pub nom_de_famille: Option<String>,
    /// « Nom d'usage ».
    pub nom_usage: Option<String>,
    /// « Prénom ».
    pub prenom: Option<String>,
    /// « Lien Parenté », as a code when the label is known.
    pub lien_parente: Option<Parente>,
    /// « Lien Parenté », as written (« MERE », « PERE »…).
    pub lien_parente_libelle: Option<String>,
    /// « Tél. Personnel ».
    pub tel_personnel: Option<String>,
    /// « Tél. Portable ».
    pub tel_portable: Option<String>,
    /// « Tél. Professionnel ».
    pub tel_professionnel: Option<String>,
    /// « Email ».
    pub email: Option<String>,
    /// « Communication Adresse postale et courriel » (O/N).
    pub communication_adresse: Option<bool>,
    /// The guardian's address.
    pub adresse: AdresseTableur,
}

/// A structure (division or group) of a pupil.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructureTableur {
    /// « Code Structure ».
    pub code_structure: String,
    /// « Type Structure » (D/G), when given.
    pub type_structure: Option<TypeStructure>,
    /// « Lib. Structure ».
    pub lib_structure: Option<String>,
}

/// An option (« Clé Gestion Mat. Enseignée N »…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionTableur {
    /// « Clé Gestion Mat. Enseignée » (CODE_GESTION, e.g. « AGL1 »).
    pub cle_gestion: String,
    /// « Lib. Mat. Enseignée ».
    pub libelle: Option<String>,
    /// « Code Modalité Elect. ».
    pub code_modalite_elect: Option<ModaliteElection>,
}

/// A pupil, from one or several rows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EleveTableur {
    /// The spreadsheet rows (numbered from 1) this pupil was read from.
    pub lignes: Vec<u32>,
    /// « Sexe » (M/F).
    pub sexe: Option<Sexe>,
    /// « Pays Nat. » as written (a country name).
    pub pays_nat: Option<String>,
    /// Nationality found from « Pays Nat. ».
    pub nationalite: Option<Nationalite>,
    /// « Elève No Etab » (ELENOET).
    pub elenoet: Option<String>,
    /// « Num. Elève Etab » (ID_ELEVE_ETAB, 11 characters).
    pub num_eleve_etab: Option<String>,
    /// « Nom de famille ».
    pub nom_de_famille: String,
    /// « Nom d'usage ».
    pub nom_usage: Option<String>,
    /// « Prénom ».
    pub prenom: String,
    /// « Prénom 2 ».
    pub prenom2: Option<String>,
    /// « Prénom 3 ».
    pub prenom3: Option<String>,
    /// « Date Naissance ».
    pub date_naiss: Option<NaiveDate>,
    /// « Doublement ».
    pub doublement: Option<bool>,
    /// « Id National » (INE).
    pub id_national: Option<Ine>,
    /// « Date Entrée ».
    pub date_entree: Option<NaiveDate>,
    /// « Date Sortie ».
    pub date_sortie: Option<NaiveDate>,
    /// « Date Modification ».
    pub date_modification: Option<NaiveDate>,
    /// « Adhésion Transport ».
    pub adhesion_transport: Option<bool>,
    /// « Ville Naiss. Etrangère ».
    pub ville_naiss_etrangere: Option<String>,
    /// « Commune Naiss. » (a name).
    pub commune_naiss: Option<String>,
    /// « Pays Naiss. » (a name).
    pub pays_naiss: Option<String>,
    /// Country of birth found from « Pays Naiss. ».
    pub code_pays_naiss: Option<Pays>,
    /// « Code Régime ».
    pub code_regime: Option<Regime>,
    /// « Lib. Régime ».
    pub lib_regime: Option<String>,
    /// « Motif Sortie ».
    pub motif_sortie: Option<String>,
    /// « Code MEF » (11 characters).
    pub code_mef: Option<String>,
    /// « Lib. MEF ».
    pub lib_mef: Option<String>,
    /// Divisions and groups (one per row for multi-row pupils).
    pub structures: Vec<StructureTableur>,
    /// Options, in column order.
    pub options: Vec<OptionTableur>,
    /// « Tél. Personnel ».
    pub tel_personnel: Option<String>,
    /// « Tél. Professionnel ».
    pub tel_professionnel: Option<String>,
    /// « Tél. Portable ».
    pub tel_portable: Option<String>,
    /// « Email ».
    pub email: Option<String>,
    /// The pupil's address.
    pub adresse: AdresseTableur,
    /// Legal guardians (0 to 2), by rank.
    pub representants: Vec<RepresentantTableur>,
}

/// A whole spreadsheet export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tableur {
    /// XLS or XLSX.
    pub kind: FileKind,
    /// The sheet read.
    pub feuille: String,
    /// The header row (numbered from 1).
    pub ligne_entete: u32,
    /// The pupils, in order of first appearance.
    pub eleves: Vec<EleveTableur>,
    /// Headers that were not used (unknown or repeated).
    pub ignored_columns: Vec<String>,
    /// Row-level problems.
    pub warnings: Vec<Warning>,
}
