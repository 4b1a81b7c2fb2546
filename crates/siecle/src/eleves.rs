//! BEE_ELEVES (ElevesAvecAdresses.xml / ElevesSansAdresses.xml): pupils, their
//! options, their divisions and groups, grants and addresses.
//!
//! ```text
//! BEE_ELEVES[@VERSION]
//!   PARAMETRES/{UAJ, ANNEE_SCOLAIRE, DATE_EXPORT, HORODATAGE}
//!   DONNEES/
//!     ELEVES/ELEVE[@ELEVE_ID][@ELENOET]/{ID_NATIONAL, NOM_DE_FAMILLE, PRENOM, DATE_NAISS, …,
//!         SCOLARITE_AN_DERNIER/{CODE_MEF, CODE_STRUCTURE, CODE_RNE, …}}
//!     OPTIONS/OPTION[@ELEVE_ID]/OPTIONS_ELEVE/{NUM_OPTION, CODE_MODALITE_ELECT, CODE_MATIERE}
//!     STRUCTURES/STRUCTURES_ELEVE[@ELEVE_ID]/STRUCTURE/{CODE_STRUCTURE, TYPE_STRUCTURE}
//!     BOURSES/BOURSE[@ELEVE_ID]/CODE_BOURSE
//!     ADRESSES/ADRESSE[@ADRESSE_ID]/{LIGNE1_ADRESSE…, CODE_POSTAL, CODE_PAYS, …}
//! ```

use std::collections::HashSet;
use std::io::BufRead;

use chrono::NaiveDate;

use crate::codes::{ModaliteElection, Nationalite, Pays, Regime, Sexe, TypeStructure};
use crate::detect::FileKind;
use crate::error::{SiecleError, Warning, WarningEffect};
use crate::fields::Fields;
use crate::reader::bee_reader;
use crate::types::{Adresse, Ine, Parametres};
use crate::xml::Node;

/// A pupil (ELEVES/ELEVE).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Eleve {
    /// ELEVE_ID: SIECLE's internal id, the join key with the responsables export.
    pub eleve_id: u64,
    /// ELENOET: the school's pupil number.
    pub elenoet: Option<String>,
    /// ID_NATIONAL: the INE.
    pub id_national: Option<Ine>,
    /// INE_RNIE.
    pub ine_rnie: Option<String>,
    /// INE_BEA.
    pub ine_bea: Option<String>,
    /// ID_ELEVE_ETAB.
    pub id_eleve_etab: Option<String>,
    /// ID_PRV_ELE: id given by a private software.
    pub id_prv_ele: Option<String>,
    /// NOM_DE_FAMILLE.
    pub nom_de_famille: String,
    /// NOM_USAGE.
    pub nom_usage: Option<String>,
    /// PRENOM.
    pub prenom: String,
    /// PRENOM2.
    pub prenom2: Option<String>,
    /// PRENOM3.
    pub prenom3: Option<String>,
    /// DATE_NAISS.
    pub date_naiss: Option<NaiveDate>,
    /// CODE_SEXE.
    pub code_sexe: Option<Sexe>,
    /// CODE_PAYS: country of birth.
    pub code_pays: Option<Pays>,
    /// CODE_PAYS_NAT: nationality.
    pub code_pays_nat: Option<Nationalite>,
    /// CODE_DEPARTEMENT_NAISS.
    pub code_departement_naiss: Option<String>,
    /// CODE_COMMUNE_INSEE_NAISS (5 characters, for a birth in France).
    pub code_commune_insee_naiss: Option<String>,
    /// VILLE_NAISS (town of birth abroad).
    pub ville_naiss: Option<String>,
    /// DOUBLEMENT.
    pub doublement: Option<bool>,
    /// CODE_REGIME (CODE_REGIME2 in the spec).
    pub code_regime: Option<Regime>,
    /// CODE_STATUT (ST = scolaire…).
    pub code_statut: Option<String>,
    /// CODE_MEF: this year's MEF.
    pub code_mef: Option<String>,
    /// CODE_PROVENANCE.
    pub code_provenance: Option<String>,
    /// DATE_ENTREE (DATE_ENTREE_ELE in the spec).
    pub date_entree: Option<NaiveDate>,
    /// DATE_SORTIE (DATE_SORTIE_ETAB in the spec).
    pub date_sortie: Option<NaiveDate>,
    /// CODE_MOTIF_SORTIE.
    pub code_motif_sortie: Option<String>,
    /// DATE_MODIFICATION.
    pub date_modification: Option<NaiveDate>,
    /// ACCEPTE_SMS.
    pub accepte_sms: Option<bool>,
    /// ADHESION_TRANSPORT.
    pub adhesion_transport: Option<bool>,
    /// TEL_PERSONNEL.
    pub tel_personnel: Option<String>,
    /// TEL_PORTABLE.
    pub tel_portable: Option<String>,
    /// TEL_PROFESSIONNEL.
    pub tel_professionnel: Option<String>,
    /// MEL.
    pub mel: Option<String>,
    /// ADRESSE_ID: the pupil's address in ADRESSES.
    pub adresse_id: Option<u64>,
    /// SCOLARITE_AN_DERNIER: last year's schooling.
    pub scolarite_an_dernier: Option<ScolariteAnDernier>,
}

/// Last year's schooling (ELEVE/SCOLARITE_AN_DERNIER).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScolariteAnDernier {
    /// CODE_MEF of last year.
    pub code_mef: Option<String>,
    /// CODE_STRUCTURE: last year's division.
    pub code_structure: Option<String>,
    /// CODE_RNE: last year's school.
    pub code_rne: Option<String>,
    /// CODE_NATURE.
    pub code_nature: Option<String>,
    /// SIGLE.
    pub sigle: Option<String>,
    /// DENOM_PRINC.
    pub denom_princ: Option<String>,
    /// DENOM_COMPL.
    pub denom_compl: Option<String>,
    /// CODE_COMMUNE_INSEE.
    pub code_commune_insee: Option<String>,
    /// LL_COMMUNE_INSEE.
    pub ll_commune_insee: Option<String>,
}

/// A pupil's options (OPTIONS/OPTION).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OptionsEleve {
    /// ELEVE_ID.
    pub eleve_id: u64,
    /// The options, in file order.
    pub options: Vec<OptionEleve>,
}

/// One option (OPTIONS_ELEVE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionEleve {
    /// NUM_OPTION.
    pub num_option: Option<u8>,
    /// CODE_MODALITE_ELECT.
    pub code_modalite_elect: Option<ModaliteElection>,
    /// CODE_MATIERE.
    pub code_matiere: String,
}

/// The divisions and groups of a pupil (STRUCTURES/STRUCTURES_ELEVE).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StructuresEleve {
    /// ELEVE_ID.
    pub eleve_id: u64,
    /// The structures, in file order.
    pub structures: Vec<StructureEleve>,
}

impl StructuresEleve {
    /// The pupil's division (first structure of type D).
    pub fn division(&self) -> Option<&str> {
        self.structures
            .iter()
            .find(|s| s.type_structure == TypeStructure::Division)
            .map(|s| s.code_structure.as_str())
    }
}

/// One structure (STRUCTURE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructureEleve {
    /// CODE_STRUCTURE (free text, e.g. « 3 A »).
    pub code_structure: String,
    /// TYPE_STRUCTURE: D (division) or G (groupe).
    pub type_structure: TypeStructure,
}

/// A grant (BOURSES/BOURSE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BourseEleve {
    /// ELEVE_ID.
    pub eleve_id: u64,
    /// CODE_BOURSE.
    pub code_bourse: String,
}

/// A pupil record (ELEVE) left out for a problem (see the reader's warnings),
/// with what could be read of its identifiers: the pupil is in the export, so
/// an importer must not take them for a pupil who left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEleve {
    /// ELEVE_ID, when it is a valid number.
    pub eleve_id: Option<u64>,
    /// ID_NATIONAL, when it is a valid INE.
    pub id_national: Option<Ine>,
}

/// One record of a BEE_ELEVES export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElevesRecord {
    /// A pupil.
    Eleve(Box<Eleve>),
    /// A pupil's options.
    Options(OptionsEleve),
    /// A pupil's divisions and groups.
    Structures(StructuresEleve),
    /// A grant.
    Bourse(BourseEleve),
    /// An address.
    Adresse(Box<Adresse>),
}

bee_reader! {
    /// Streaming reader of a BEE_ELEVES export: an iterator of [`ElevesRecord`].
    ///
    /// ```no_run
    /// # fn main() -> Result<(), dossiersco_siecle::SiecleError> {
    /// use dossiersco_siecle::eleves::{ElevesReader, ElevesRecord};
    /// let file = std::io::BufReader::new(std::fs::File::open("ElevesAvecAdresses.xml").unwrap());
    /// let mut reader = ElevesReader::new(file)?;
    /// println!("établissement {}", reader.uaj());
    /// for record in &mut reader {
    ///     if let ElevesRecord::Eleve(eleve) = record? {
    ///         println!("{} {}", eleve.prenom, eleve.nom_de_famille);
    ///     }
    /// }
    /// for warning in reader.warnings() {
    ///     println!("{warning}");
    /// }
    /// # Ok(()) }
    /// ```
    ElevesReader, ElevesRecord, FileKind::ElevesXml, {
        known_mefs: Option<HashSet<String>> = None,
        seen_ine: HashSet<Ine> = HashSet::new(),
        seen_ids: HashSet<u64> = HashSet::new(),
        skipped: Vec<SkippedEleve> = Vec::new(),
    }
}

impl<R: BufRead> ElevesReader<R> {
    /// Warns about pupils whose CODE_MEF (this year or last year) is not among these
    /// codes (typically the MEFs of the school's Nomenclature.xml).
    pub fn with_known_mefs<I: IntoIterator<Item = String>>(mut self, codes: I) -> Self {
        self.known_mefs = Some(codes.into_iter().collect());
        self
    }

    /// The pupil records left out so far, with their identifiers.
    pub fn skipped_eleves(&self) -> &[SkippedEleve] {
        &self.skipped
    }

    fn parse_record(&mut self, block: &str, node: &Node) -> Option<ElevesRecord> {
        match (block, node.name.as_str()) {
            ("ELEVES", "ELEVE") => self
                .parse_eleve(node)
                .map(|e| ElevesRecord::Eleve(Box::new(e))),
            ("OPTIONS", "OPTION") => self.parse_options(node).map(ElevesRecord::Options),
            ("STRUCTURES", _) => self.parse_structures(node).map(ElevesRecord::Structures),
            ("BOURSES", _) => self.parse_bourse(node).map(ElevesRecord::Bourse),
            ("ADRESSES", "ADRESSE") => {
                let mut f = Fields::new(
                    FileKind::ElevesXml,
                    node,
                    "adresse".into(),
                    &mut self.warnings,
                );
                f.adresse().map(|a| ElevesRecord::Adresse(Box::new(a)))
            }
            _ => None,
        }
    }

    fn parse_eleve(&mut self, node: &Node) -> Option<Eleve> {
        let record = format!(
            "élève ELEVE_ID {}",
            node.attr("ELEVE_ID")
                .map(crate::text::excerpt)
                .unwrap_or_else(|| "?".into())
        );
        let known_mefs = self.known_mefs.take();
        let mut f = Fields::new(FileKind::ElevesXml, node, record, &mut self.warnings);
        let result = (|| {
            let eleve_id = f.id("ELEVE_ID", WarningEffect::RecordSkipped)?;
            let nom = f.required("NOM_DE_FAMILLE", WarningEffect::RecordSkipped);
            let prenom = f.required("PRENOM", WarningEffect::RecordSkipped);
            let (nom_de_famille, prenom) = (nom?, prenom?);
            let attr_elenoet = node.attr("ELENOET").and_then(crate::text::non_empty);
            let child_elenoet = node
                .child("ELENOET")
                .and_then(|c| crate::text::non_empty(&c.text));
            if let (Some(a), Some(c)) = (&attr_elenoet, &child_elenoet)
                && a != c
            {
                f.warn(
                    "ELENOET",
                    format!("ELENOET différent dans l'attribut (« {a} ») et dans l'élément (« {c} ») ; l'élément est retenu"),
                    WarningEffect::KeptAsIs,
                );
            }
            let id_national = match f.text("ID_NATIONAL") {
                None => {
                    f.warn("ID_NATIONAL", "INE absent".into(), WarningEffect::KeptAsIs);
                    None
                }
                Some(raw) => {
                    let ine = Ine::parse(&raw);
                    if ine.is_none() {
                        f.warn(
                            "ID_NATIONAL",
                            format!("INE invalide « {} »", crate::text::excerpt(&raw)),
                            WarningEffect::FieldIgnored,
                        );
                    }
                    ine
                }
            };
            let date_naiss = f.date("DATE_NAISS");
            if date_naiss.is_none() && f.text("DATE_NAISS").is_none() {
                f.warn(
                    "DATE_NAISS",
                    "champ obligatoire absent".into(),
                    WarningEffect::KeptAsIs,
                );
            }
            let code_sexe = f.code("CODE_SEXE", "code sexe", Sexe::from_code, Sexe::is_known);
            let code_regime = f
                .code(
                    "CODE_REGIME",
                    "code régime",
                    Regime::from_code,
                    Regime::is_known,
                )
                .or_else(|| {
                    f.code(
                        "CODE_REGIME2",
                        "code régime",
                        Regime::from_code,
                        Regime::is_known,
                    )
                });
            let code_mef = f.text("CODE_MEF");
            if let (Some(mef), Some(known)) = (&code_mef, &known_mefs)
                && !known.contains(mef)
            {
                f.warn(
                    "CODE_MEF",
                    format!(
                        "MEF « {} » absent de la nomenclature",
                        crate::text::excerpt(mef)
                    ),
                    WarningEffect::KeptAsIs,
                );
            }
            let scolarite_an_dernier = node.child("SCOLARITE_AN_DERNIER").map(|s| {
                let text = |name: &str| s.child(name).and_then(|c| crate::text::non_empty(&c.text));
                ScolariteAnDernier {
                    code_mef: text("CODE_MEF"),
                    code_structure: text("CODE_STRUCTURE"),
                    code_rne: text("CODE_RNE"),
                    code_nature: text("CODE_NATURE"),
                    sigle: text("SIGLE"),
                    denom_princ: text("DENOM_PRINC"),
                    denom_compl: text("DENOM_COMPL"),
                    code_commune_insee: text("CODE_COMMUNE_INSEE"),
                    ll_commune_insee: text("LL_COMMUNE_INSEE"),
                }
            });
            Some(Eleve {
                eleve_id,
                elenoet: child_elenoet.or(attr_elenoet),
                id_national,
                ine_rnie: f.text("INE_RNIE"),
                ine_bea: f.text("INE_BEA"),
                id_eleve_etab: f.text("ID_ELEVE_ETAB"),
                id_prv_ele: f.text("ID_PRV_ELE"),
                nom_de_famille,
                nom_usage: f.text("NOM_USAGE"),
                prenom,
                prenom2: f.text("PRENOM2"),
                prenom3: f.text("PRENOM3"),
                date_naiss,
                code_sexe,
                code_pays: f.pays("CODE_PAYS"),
                code_pays_nat: f.code(
                    "CODE_PAYS_NAT",
                    "code nationalité",
                    Nationalite::from_code,
                    Nationalite::is_known,
                ),
                code_departement_naiss: f.text("CODE_DEPARTEMENT_NAISS"),
                code_commune_insee_naiss: f.fixed_code("CODE_COMMUNE_INSEE_NAISS", 5),
                ville_naiss: f.text("VILLE_NAISS"),
                doublement: f.boolean("DOUBLEMENT"),
                code_regime,
                code_statut: f.text("CODE_STATUT"),
                code_mef,
                code_provenance: f.text("CODE_PROVENANCE"),
                date_entree: f.date("DATE_ENTREE").or_else(|| f.date("DATE_ENTREE_ELE")),
                date_sortie: f.date("DATE_SORTIE").or_else(|| f.date("DATE_SORTIE_ETAB")),
                code_motif_sortie: f.text("CODE_MOTIF_SORTIE"),
                date_modification: f.date("DATE_MODIFICATION"),
                accepte_sms: f.boolean("ACCEPTE_SMS"),
                adhesion_transport: f.boolean("ADHESION_TRANSPORT"),
                tel_personnel: f.text("TEL_PERSONNEL"),
                tel_portable: f.text("TEL_PORTABLE"),
                tel_professionnel: f.text("TEL_PROFESSIONNEL"),
                mel: f.text("MEL"),
                adresse_id: f.text("ADRESSE_ID").and_then(|_| f.number("ADRESSE_ID")),
                scolarite_an_dernier,
            })
        })();
        if result.is_none() {
            self.skipped.push(SkippedEleve {
                eleve_id: f.text("ELEVE_ID").and_then(|id| id.parse().ok()),
                id_national: f.text("ID_NATIONAL").and_then(|ine| Ine::parse(&ine)),
            });
        }
        if let Some(eleve) = &result {
            if let Some(ine) = &eleve.id_national
                && !self.seen_ine.insert(ine.clone())
            {
                let mut f = Fields::new(
                    FileKind::ElevesXml,
                    node,
                    format!("élève ELEVE_ID {}", eleve.eleve_id),
                    &mut self.warnings,
                );
                f.warn(
                    "ID_NATIONAL",
                    format!("INE {ine} présent deux fois dans le fichier"),
                    WarningEffect::KeptAsIs,
                );
            }
            if !self.seen_ids.insert(eleve.eleve_id) {
                let mut f = Fields::new(
                    FileKind::ElevesXml,
                    node,
                    format!("élève ELEVE_ID {}", eleve.eleve_id),
                    &mut self.warnings,
                );
                f.warn(
                    "ELEVE_ID",
                    "ELEVE_ID présent deux fois dans le fichier".into(),
                    WarningEffect::KeptAsIs,
                );
            }
        }
        self.known_mefs = known_mefs;
        result
    }

    fn parse_options(&mut self, node: &Node) -> Option<OptionsEleve> {
        let record = format!(
            "options de l'élève ELEVE_ID {}",
            node.attr("ELEVE_ID")
                .map(crate::text::excerpt)
                .unwrap_or_else(|| "?".into())
        );
        let mut f = Fields::new(FileKind::ElevesXml, node, record, &mut self.warnings);
        let eleve_id = f.id("ELEVE_ID", WarningEffect::RecordSkipped)?;
        let mut options = Vec::new();
        for opt in node
            .children
            .iter()
            .filter(|c| c.name == "OPTIONS_ELEVE" || c.name == "OPTION_ELEVE")
        {
            let mut o = Fields::new(FileKind::ElevesXml, opt, f.record.clone(), f.warnings);
            let Some(code_matiere) = o.required("CODE_MATIERE", WarningEffect::RecordSkipped)
            else {
                continue;
            };
            options.push(OptionEleve {
                num_option: o.number("NUM_OPTION"),
                code_modalite_elect: o.code(
                    "CODE_MODALITE_ELECT",
                    "code modalité d'élection",
                    ModaliteElection::from_code,
                    ModaliteElection::is_known,
                ),
                code_matiere,
            });
        }
        Some(OptionsEleve { eleve_id, options })
    }

    fn parse_structures(&mut self, node: &Node) -> Option<StructuresEleve> {
        let record = format!(
            "structures de l'élève ELEVE_ID {}",
            node.attr("ELEVE_ID")
                .map(crate::text::excerpt)
                .unwrap_or_else(|| "?".into())
        );
        let mut f = Fields::new(FileKind::ElevesXml, node, record, &mut self.warnings);
        let eleve_id = f.id("ELEVE_ID", WarningEffect::RecordSkipped)?;
        let mut structures = Vec::new();
        for s in node.children_named("STRUCTURE") {
            let mut sf = Fields::new(FileKind::ElevesXml, s, f.record.clone(), f.warnings);
            let Some(code_structure) = sf.required("CODE_STRUCTURE", WarningEffect::RecordSkipped)
            else {
                continue;
            };
            let type_structure = sf
                .code(
                    "TYPE_STRUCTURE",
                    "type de structure",
                    TypeStructure::from_code,
                    TypeStructure::is_known,
                )
                .unwrap_or(TypeStructure::Division);
            structures.push(StructureEleve {
                code_structure,
                type_structure,
            });
        }
        Some(StructuresEleve {
            eleve_id,
            structures,
        })
    }

    fn parse_bourse(&mut self, node: &Node) -> Option<BourseEleve> {
        let mut f = Fields::new(
            FileKind::ElevesXml,
            node,
            "bourse".into(),
            &mut self.warnings,
        );
        let eleve_id = f.id("ELEVE_ID", WarningEffect::RecordSkipped)?;
        let code_bourse = f.required("CODE_BOURSE", WarningEffect::RecordSkipped)?;
        Some(BourseEleve {
            eleve_id,
            code_bourse,
        })
    }
}

/// A whole BEE_ELEVES export in memory (for small files, previews and tests; use
/// [`ElevesReader`] to stream large ones).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ElevesExport {
    /// PARAMETRES.
    pub parametres: Parametres,
    /// Pupils, in file order.
    pub eleves: Vec<Eleve>,
    /// Options per pupil.
    pub options: Vec<OptionsEleve>,
    /// Structures per pupil.
    pub structures: Vec<StructuresEleve>,
    /// Grants.
    pub bourses: Vec<BourseEleve>,
    /// Addresses.
    pub adresses: Vec<Adresse>,
    /// Record-level problems.
    pub warnings: Vec<Warning>,
}

/// Reads a whole BEE_ELEVES export into memory.
pub fn parse_eleves<R: BufRead>(input: R) -> Result<ElevesExport, SiecleError> {
    let mut reader = ElevesReader::new(input)?;
    let mut export = ElevesExport {
        parametres: reader.parametres().clone(),
        ..Default::default()
    };
    for record in &mut reader {
        match record? {
            ElevesRecord::Eleve(e) => export.eleves.push(*e),
            ElevesRecord::Options(o) => export.options.push(o),
            ElevesRecord::Structures(s) => export.structures.push(s),
            ElevesRecord::Bourse(b) => export.bourses.push(b),
            ElevesRecord::Adresse(a) => export.adresses.push(*a),
        }
    }
    export.warnings = reader.take_warnings();
    Ok(export)
}
