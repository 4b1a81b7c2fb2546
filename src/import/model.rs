//! What an import reads from the files, in the shape of our tables: one
//! [`PupilIn`] per pupil, one [`GuardianIn`] per person, one [`LinkIn`] per
//! pupil–person link, and the school's nomenclature. No I/O here.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How a pupil of the files is recognised in the database.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PupilKey {
    /// ELEVE_ID (the XML exports).
    EleveId(String),
    /// INE only (the spreadsheet export has no ELEVE_ID).
    Ine(String),
}

/// A postal address, flattened as our tables keep it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressIn {
    pub siecle_id: Option<String>,
    /// Non-empty lines joined with `\n`.
    pub lines: String,
    pub postcode: String,
    /// LIBELLE_POSTAL, or the town abroad.
    pub city: String,
    pub commune_insee: String,
    pub country_code: String,
}

/// A pupil as the files describe it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PupilIn {
    pub eleve_id: Option<String>,
    pub ine: Option<String>,
    pub elenoet: Option<String>,
    pub last_name: String,
    pub first_name: String,
    pub other_first_names: String,
    /// `F` or `M`.
    pub sex: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub birth_city: String,
    pub birth_country_code: String,
    pub birth_commune_insee: String,
    pub birth_department: String,
    pub nationality_code: String,
    pub regime_code: String,
    pub mef_code: String,
    pub division: String,
    /// (code, `D` or `G`)
    pub structures: Vec<(String, String)>,
    /// (subject code, modality, option number)
    pub options: Vec<(String, String, Option<i64>)>,
    pub last_year_mef_code: String,
    pub last_year_division: String,
    pub last_year_uai: String,
    pub entry_date: Option<String>,
    pub address: AddressIn,
    /// What the return file sends back as SIECLE had it (docs/SIECLE-RETURN.md).
    pub siecle: PupilSiecleValues,
}

/// The values of a pupil the return file to SIECLE must send back unchanged and
/// that nothing else uses. `None`: SIECLE did not say (never taken as `false`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PupilSiecleValues {
    /// ID_PRV_ELE, the private id SIECLE exports.
    pub private_id: Option<String>,
    pub usage_name: String,
    pub first_name2: String,
    pub first_name3: String,
    /// CODE_STATUT.
    pub status_code: String,
    /// CODE_PROVENANCE.
    pub provenance_code: String,
    /// DOUBLEMENT.
    pub repeating: Option<bool>,
    /// ADHESION_TRANSPORT.
    pub school_transport: Option<bool>,
    pub accepts_sms: Option<bool>,
    pub phone_home: String,
    pub phone_work: String,
    pub phone_mobile: String,
    pub email: String,
    /// DATE_SORTIE, `YYYY-MM-DD`.
    pub exit_date: Option<String>,
    /// CODE_MOTIF_SORTIE.
    pub exit_reason_code: String,
    /// CODE_BOURSE of each grant.
    pub grant_codes: Vec<String>,
}

impl PupilIn {
    /// The key the database matches first: ELEVE_ID, else INE.
    pub fn key(&self) -> Option<PupilKey> {
        match (&self.eleve_id, &self.ine) {
            (Some(id), _) => Some(PupilKey::EleveId(id.clone())),
            (None, Some(ine)) => Some(PupilKey::Ine(ine.clone())),
            (None, None) => None,
        }
    }

    /// A fingerprint of everything the import writes about this pupil: an
    /// unchanged fingerprint means an unchanged pupil.
    pub fn fingerprint(&self) -> String {
        fingerprint(self)
    }
}

/// A person responsible for or to contact about pupils.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GuardianIn {
    /// PERSONNE_ID, or a key built from the name and postcode for the spreadsheet.
    pub key: String,
    /// « M. » / « MME ».
    pub civility: String,
    pub civility_code: String,
    pub last_name: String,
    pub first_name: String,
    pub email: String,
    pub phone_mobile: String,
    pub phone_home: String,
    pub phone_work: String,
    pub profession_code: String,
    pub accepts_sms: bool,
    pub address: AddressIn,
    /// What the return file sends back as SIECLE had it.
    pub siecle: GuardianSiecleValues,
}

/// The values of a person the return file to SIECLE must send back unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardianSiecleValues {
    /// ID_PRV_PER, the private id SIECLE exports.
    pub private_id: Option<String>,
    pub usage_name: String,
    /// COMMUNICATION_ADRESSE.
    pub shares_address: Option<bool>,
    /// ACCEPTE_SMS as exported (`accepts_sms` takes absent as `false`).
    pub accepts_sms: Option<bool>,
}

impl GuardianIn {
    pub fn fingerprint(&self) -> String {
        fingerprint(self)
    }
}

/// A link between a pupil and a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkIn {
    pub pupil: PupilKey,
    pub guardian_key: String,
    /// 1 and 2 for the legal guardians, 3 for everyone else.
    pub rank: i64,
    /// CODE_PARENTE (two characters).
    pub relationship_code: String,
    /// NIVEAU_RESPONSABILITE (1 legal guardian, 2 in charge, 3 contact).
    pub legal_responsibility: i64,
    pub pays_fees: bool,
    pub receives_aid: bool,
    pub lives_with_pupil: bool,
    pub contact_first: bool,
    /// The link as SIECLE exported it.
    pub siecle: LinkSiecleValues,
}

/// A link as SIECLE exported it: `relationship_code` above holds 90 when SIECLE
/// gave no valid code, and the flags above take absent as `false`; the return
/// file sends these instead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkSiecleValues {
    /// CODE_PARENTE as exported (empty when absent or invalid).
    pub relationship_code: String,
    pub pays_fees: Option<bool>,
    pub receives_aid: Option<bool>,
    pub lives_with_pupil: Option<bool>,
    pub contact_first: Option<bool>,
}

/// A MEF of the nomenclature.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MefIn {
    pub code: String,
    pub label: String,
    pub edition_label: String,
    pub attached_mef_code: String,
    pub formation: String,
    pub mandatory_options_count: Option<i64>,
}

/// A subject (MATIERE).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubjectIn {
    pub code: String,
    pub management_code: String,
    pub short_label: String,
    pub long_label: String,
    pub edition_label: String,
    pub national_code: String,
}

/// Everything a Nomenclature.xml gives.
#[derive(Debug, Clone, Default)]
pub struct NomenclatureIn {
    pub mefs: Vec<MefIn>,
    pub subjects: Vec<SubjectIn>,
    /// (mef, subject, modality, weekly hours)
    pub programmes: Vec<(String, String, String, String)>,
    /// (mef, subject, rank)
    pub mandatory_options: Vec<(String, String, i64)>,
    /// Bloc PROVENANCES: (CODE_PROVENANCE, short label, long label).
    pub provenances: Vec<(String, String, String)>,
}

/// A division or group.
#[derive(Debug, Clone)]
pub struct StructureIn {
    pub code: String,
    /// `D` or `G`.
    pub kind: String,
    pub label: String,
    pub mef_codes: Vec<String>,
}

fn fingerprint<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_vec(value).unwrap_or_default();
    let digest = Sha256::digest(&json);
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pupil_is_matched_on_eleve_id_first_then_ine() {
        let mut p = PupilIn {
            ine: Some("070832327JA".into()),
            ..PupilIn::default()
        };
        assert_eq!(p.key(), Some(PupilKey::Ine("070832327JA".into())));
        p.eleve_id = Some("42".into());
        assert_eq!(p.key(), Some(PupilKey::EleveId("42".into())));
        p.ine = None;
        p.eleve_id = None;
        assert_eq!(p.key(), None);
    }

    #[test]
    fn the_fingerprint_changes_with_any_imported_field() {
        let a = PupilIn {
            last_name: "Martin".into(),
            ..PupilIn::default()
        };
        let mut b = a.clone();
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.division = "5A".into();
        assert_ne!(a.fingerprint(), b.fingerprint());
        // The values only the return file to SIECLE uses count too: a pupil whose
        // DOUBLEMENT changed in SIECLE is updated.
        let mut c = a.clone();
        c.siecle.repeating = Some(true);
        assert_ne!(a.fingerprint(), c.fingerprint());
        assert_eq!(a.fingerprint().len(), 32);
    }
}
