//! BEE_RESPONSABLES (ResponsablesAvecAdresses.xml / ResponsablesSansAdresses.xml):
//! persons, their links to pupils, and addresses.
//!
//! ```text
//! BEE_RESPONSABLES[@VERSION]
//!   PARAMETRES/{UAJ, ANNEE_SCOLAIRE, DATE_EXPORT, HORODATAGE}
//!   DONNEES/
//!     PERSONNES/PERSONNE[@PERSONNE_ID]/{LC_CIVILITE, LL_CIVILITE, NOM_DE_FAMILLE, NOM_USAGE,
//!         PRENOM, TEL_PERSONNEL, TEL_PORTABLE, TEL_PROFESSIONNEL, ACCEPTE_SMS, MEL,
//!         COMMUNICATION_ADRESSE, ADRESSE_ID, CODE_PROFESSION}
//!     RESPONSABLES/RESPONSABLE_ELEVE/{ELEVE_ID, PERSONNE_ID, NIVEAU_RESPONSABILITE,
//!         CODE_PARENTE, PAIE_FRAIS_SCOLAIRES, PERCOIT_LES_AIDES, HEBERGE_ELEVE,
//!         A_CONTACTER_EN_PRIORITE}   (older files: RESP_LEGAL, RESP_FINANCIER,
//!         PERS_PAIEMENT, PERS_CONTACT — both are read)
//!     ADRESSES/ADRESSE[@ADRESSE_ID]/…
//! ```

use std::io::BufRead;

use crate::codes::{Civilite, NiveauResponsabilite, Parente, Pcs};
use crate::detect::FileKind;
use crate::error::{SiecleError, Warning, WarningEffect};
use crate::fields::Fields;
use crate::reader::bee_reader;
use crate::types::{Adresse, Parametres};
use crate::xml::Node;

/// A person (PERSONNES/PERSONNE): a parent, a guardian, a contact.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Personne {
    /// PERSONNE_ID: SIECLE's id, the join key with RESPONSABLE_ELEVE.
    pub personne_id: u64,
    /// ID_PRV_PER.
    pub id_prv_per: Option<String>,
    /// Civilité, from LC_CIVILITE / LL_CIVILITE (or CODE_CIVILITE).
    pub civilite: Option<Civilite>,
    /// NOM_DE_FAMILLE.
    pub nom_de_famille: String,
    /// NOM_USAGE.
    pub nom_usage: Option<String>,
    /// PRENOM.
    pub prenom: String,
    /// TEL_PERSONNEL.
    pub tel_personnel: Option<String>,
    /// TEL_PORTABLE.
    pub tel_portable: Option<String>,
    /// TEL_PROFESSIONNEL.
    pub tel_professionnel: Option<String>,
    /// ACCEPTE_SMS.
    pub accepte_sms: Option<bool>,
    /// MEL.
    pub mel: Option<String>,
    /// COMMUNICATION_ADRESSE: agrees to give address and e-mail to parents' associations.
    pub communication_adresse: Option<bool>,
    /// ADRESSE_ID.
    pub adresse_id: Option<u64>,
    /// CODE_PROFESSION (PCS).
    pub code_profession: Option<Pcs>,
}

/// A link between a pupil and a person (RESPONSABLES/RESPONSABLE_ELEVE).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResponsableEleve {
    /// ELEVE_ID.
    pub eleve_id: u64,
    /// PERSONNE_ID.
    pub personne_id: u64,
    /// NIVEAU_RESPONSABILITE (since 2018).
    pub niveau_responsabilite: Option<NiveauResponsabilite>,
    /// RESP_LEGAL (before 2018: 1 or 2 for the legal guardians, 0 otherwise).
    pub resp_legal: Option<u8>,
    /// CODE_PARENTE (two characters).
    pub code_parente: Option<Parente>,
    /// PAIE_FRAIS_SCOLAIRES (RESP_FINANCIER / PERS_PAIEMENT in older files).
    pub paie_frais_scolaires: Option<bool>,
    /// PERCOIT_LES_AIDES.
    pub percoit_les_aides: Option<bool>,
    /// HEBERGE_ELEVE.
    pub heberge_eleve: Option<bool>,
    /// A_CONTACTER_EN_PRIORITE (PERS_CONTACT in older files).
    pub a_contacter_en_priorite: Option<bool>,
}

impl ResponsableEleve {
    /// Whether the person is a legal guardian of the pupil.
    pub fn est_representant_legal(&self) -> bool {
        self.niveau_responsabilite == Some(NiveauResponsabilite::RepresentantLegal)
            || matches!(self.resp_legal, Some(1 | 2))
    }
}

/// One record of a BEE_RESPONSABLES export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponsablesRecord {
    /// A person.
    Personne(Box<Personne>),
    /// A pupil–person link.
    Responsable(ResponsableEleve),
    /// An address.
    Adresse(Box<Adresse>),
}

bee_reader! {
    /// Streaming reader of a BEE_RESPONSABLES export: an iterator of [`ResponsablesRecord`].
    ResponsablesReader, ResponsablesRecord, FileKind::ResponsablesXml, {}
}

impl<R: BufRead> ResponsablesReader<R> {
    fn parse_record(&mut self, block: &str, node: &Node) -> Option<ResponsablesRecord> {
        match (block, node.name.as_str()) {
            ("PERSONNES", "PERSONNE") => self
                .parse_personne(node)
                .map(|p| ResponsablesRecord::Personne(Box::new(p))),
            ("RESPONSABLES", _) => self
                .parse_responsable(node)
                .map(ResponsablesRecord::Responsable),
            ("ADRESSES", "ADRESSE") => {
                let mut f = Fields::new(
                    FileKind::ResponsablesXml,
                    node,
                    "adresse".into(),
                    &mut self.warnings,
                );
                f.adresse()
                    .map(|a| ResponsablesRecord::Adresse(Box::new(a)))
            }
            _ => None,
        }
    }

    fn parse_personne(&mut self, node: &Node) -> Option<Personne> {
        let record = format!(
            "personne PERSONNE_ID {}",
            node.attr("PERSONNE_ID")
                .map(crate::text::excerpt)
                .unwrap_or_else(|| "?".into())
        );
        let mut f = Fields::new(FileKind::ResponsablesXml, node, record, &mut self.warnings);
        let personne_id = f.id("PERSONNE_ID", WarningEffect::RecordSkipped)?;
        let nom = f.required("NOM_DE_FAMILLE", WarningEffect::RecordSkipped);
        let prenom = f.required("PRENOM", WarningEffect::RecordSkipped);
        let (nom_de_famille, prenom) = (nom?, prenom?);
        let civilite = match f.text("CODE_CIVILITE") {
            Some(code) => Some(Civilite::from_code(&code)),
            None => {
                let label = f.text("LC_CIVILITE").or_else(|| f.text("LL_CIVILITE"));
                match label {
                    None => None,
                    Some(l) => {
                        let c = Civilite::from_label(&l);
                        if c.is_none() {
                            f.warn(
                                "LC_CIVILITE",
                                format!("civilité inconnue « {} »", crate::text::excerpt(&l)),
                                WarningEffect::FieldIgnored,
                            );
                        }
                        c
                    }
                }
            }
        };
        Some(Personne {
            personne_id,
            id_prv_per: f.text("ID_PRV_PER"),
            civilite,
            nom_de_famille,
            nom_usage: f.text("NOM_USAGE"),
            prenom,
            tel_personnel: f.text("TEL_PERSONNEL"),
            tel_portable: f.text("TEL_PORTABLE"),
            tel_professionnel: f.text("TEL_PROFESSIONNEL"),
            accepte_sms: f.boolean("ACCEPTE_SMS"),
            mel: f.text("MEL"),
            communication_adresse: f.boolean("COMMUNICATION_ADRESSE"),
            adresse_id: f.text("ADRESSE_ID").and_then(|_| f.number("ADRESSE_ID")),
            code_profession: f.code(
                "CODE_PROFESSION",
                "code profession (PCS)",
                Pcs::from_code,
                Pcs::is_known,
            ),
        })
    }

    fn parse_responsable(&mut self, node: &Node) -> Option<ResponsableEleve> {
        let record = format!(
            "lien élève {} / personne {}",
            node.child("ELEVE_ID")
                .map(|c| crate::text::excerpt(c.text.trim()))
                .unwrap_or_else(|| "?".into()),
            node.child("PERSONNE_ID")
                .map(|c| crate::text::excerpt(c.text.trim()))
                .unwrap_or_else(|| "?".into())
        );
        let mut f = Fields::new(FileKind::ResponsablesXml, node, record, &mut self.warnings);
        let eleve_id = f.id("ELEVE_ID", WarningEffect::RecordSkipped);
        let personne_id = f.id("PERSONNE_ID", WarningEffect::RecordSkipped);
        let (eleve_id, personne_id) = (eleve_id?, personne_id?);
        let code_parente = match f.text("CODE_PARENTE") {
            None => {
                f.warn(
                    "CODE_PARENTE",
                    "champ obligatoire absent".into(),
                    WarningEffect::KeptAsIs,
                );
                None
            }
            Some(raw) => {
                let p = Parente::from_code(&raw);
                if !p.has_valid_length() {
                    f.warn(
                        "CODE_PARENTE",
                        format!(
                            "code parenté « {} » invalide : deux caractères attendus",
                            crate::text::excerpt(&raw)
                        ),
                        WarningEffect::KeptAsIs,
                    );
                } else if !p.is_known() {
                    f.warn(
                        "CODE_PARENTE",
                        format!("code parenté inconnu « {} »", crate::text::excerpt(&raw)),
                        WarningEffect::KeptAsIs,
                    );
                }
                Some(p)
            }
        };
        let paie = f.boolean("PAIE_FRAIS_SCOLAIRES");
        let paie = paie
            .or_else(|| f.boolean("RESP_FINANCIER"))
            .or_else(|| f.boolean("PERS_PAIEMENT"));
        let contact = f.boolean("A_CONTACTER_EN_PRIORITE");
        let contact = contact.or_else(|| f.boolean("PERS_CONTACT"));
        Some(ResponsableEleve {
            eleve_id,
            personne_id,
            niveau_responsabilite: f.code(
                "NIVEAU_RESPONSABILITE",
                "niveau de responsabilité",
                NiveauResponsabilite::from_code,
                NiveauResponsabilite::is_known,
            ),
            resp_legal: f.number("RESP_LEGAL"),
            code_parente,
            paie_frais_scolaires: paie,
            percoit_les_aides: f.boolean("PERCOIT_LES_AIDES"),
            heberge_eleve: f.boolean("HEBERGE_ELEVE"),
            a_contacter_en_priorite: contact,
        })
    }
}

/// A whole BEE_RESPONSABLES export in memory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResponsablesExport {
    /// PARAMETRES.
    pub parametres: Parametres,
    /// Persons.
    pub personnes: Vec<Personne>,
    /// Pupil–person links.
    pub responsables: Vec<ResponsableEleve>,
    /// Addresses.
    pub adresses: Vec<Adresse>,
    /// Record-level problems.
    pub warnings: Vec<Warning>,
}

/// Reads a whole BEE_RESPONSABLES export into memory.
pub fn parse_responsables<R: BufRead>(input: R) -> Result<ResponsablesExport, SiecleError> {
    let mut reader = ResponsablesReader::new(input)?;
    let mut export = ResponsablesExport {
        parametres: reader.parametres().clone(),
        ..Default::default()
    };
    for record in &mut reader {
        match record? {
            ResponsablesRecord::Personne(p) => export.personnes.push(*p),
            ResponsablesRecord::Responsable(r) => export.responsables.push(r),
            ResponsablesRecord::Adresse(a) => export.adresses.push(*a),
        }
    }
    export.warnings = reader.take_warnings();
    Ok(export)
}
