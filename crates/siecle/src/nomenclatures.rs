//! BEE_NOMENCLATURES (Nomenclature.xml): the school's MEFs, subjects, programmes,
//! mandatory options, modalités d'élection, and the other reference tables.
//!
//! ```text
//! BEE_NOMENCLATURES[@VERSION]
//!   PARAMETRES/…
//!   DONNEES/
//!     MEFS/MEF[@CODE_MEF]/{FORMATION, LIBELLE_LONG, LIBELLE_EDITION, STATUT_MEF,
//!         MEF_RATTACHEMENT, CODE_MEFSTAT, NB_OPT_OBLIG, NB_OPT_MINI, RENFORCEMENT_LANGUES,
//!         INSCRIPTION_ETAB, MEF_ORIGINE, MEF_SELECTIONNE, MEF_SELORIG, DATE_OUVERTURE, DATE_FERMETURE}
//!     MATIERES/MATIERE[@CODE_MATIERE]/{CODE_GESTION, LIBELLE_COURT, LIBELLE_LONG,
//!         LIBELLE_EDITION, MATIERE_ETP, CODE_MATIERE_NATIONALE}
//!     PROGRAMMES/PROGRAMME/{CODE_MEF, CODE_MATIERE, CODE_MODALITE_ELECT, HORAIRE}
//!     OPTIONS_OBLIGATOIRES/OPTION_OBLIGATOIRE/{CODE_MEF, CODE_MATIERE, RANG_OPTION}
//!     MODALITES_ELECTION/MODALITE_ELECTION[@CODE_MODALITE_ELECT]/{LIBELLE_COURT, LIBELLE_LONG}
//!     (other blocks: any record with a CODE_* and LIBELLE_LONG is kept as a CodeLibelle)
//! ```
//!
//! Programmes and mandatory options referring to a MEF or a subject that the file does
//! not define give a warning (the spec requires them to exist).

use std::collections::HashSet;
use std::io::BufRead;

use chrono::NaiveDate;

use crate::codes::ModaliteElection;
use crate::detect::FileKind;
use crate::error::{SiecleError, Warning, WarningEffect};
use crate::fields::Fields;
use crate::reader::bee_reader;
use crate::types::Parametres;
use crate::xml::Node;

/// A MEF (« module élémentaire de formation »: a year and track).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mef {
    /// CODE_MEF (11 characters).
    pub code_mef: String,
    /// FORMATION (mnemonic, e.g. « 5G », « 3EME »).
    pub formation: Option<String>,
    /// SPECIALITE.
    pub specialite: Option<String>,
    /// LIBELLE_LONG.
    pub libelle_long: Option<String>,
    /// LIBELLE_EDITION.
    pub libelle_edition: Option<String>,
    /// STATUT_MEF.
    pub statut_mef: Option<String>,
    /// MEF_RATTACHEMENT: the parent MEF of a variant.
    pub mef_rattachement: Option<String>,
    /// CODE_MEFSTAT (MEFSTAT11).
    pub code_mefstat: Option<String>,
    /// NB_OPT_OBLIG.
    pub nb_opt_oblig: Option<u8>,
    /// NB_OPT_MINI.
    pub nb_opt_mini: Option<u8>,
    /// RENFORCEMENT_LANGUES.
    pub renforcement_langues: Option<bool>,
    /// INSCRIPTION_ETAB: pupils can be enrolled in this MEF.
    pub inscription_etab: Option<bool>,
    /// MEF_ORIGINE: usable for previous schooling.
    pub mef_origine: Option<bool>,
    /// MEF_SELECTIONNE.
    pub mef_selectionne: Option<bool>,
    /// MEF_SELORIG.
    pub mef_selorig: Option<bool>,
    /// DATE_OUVERTURE.
    pub date_ouverture: Option<NaiveDate>,
    /// DATE_FERMETURE (31/12/9999 when open).
    pub date_fermeture: Option<NaiveDate>,
}

/// A subject (MATIERES/MATIERE).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Matiere {
    /// CODE_MATIERE (6 digits).
    pub code_matiere: String,
    /// CODE_GESTION (short code, e.g. « AGL1 »; padding spaces removed).
    pub code_gestion: Option<String>,
    /// LIBELLE_COURT.
    pub libelle_court: Option<String>,
    /// LIBELLE_LONG.
    pub libelle_long: Option<String>,
    /// LIBELLE_EDITION.
    pub libelle_edition: Option<String>,
    /// MATIERE_ETP.
    pub matiere_etp: Option<bool>,
    /// CODE_MATIERE_NATIONALE (for academic subjects).
    pub code_matiere_nationale: Option<String>,
}

/// A programme: a subject taught in a MEF with a modalité (PROGRAMMES/PROGRAMME).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Programme {
    /// CODE_MEF.
    pub code_mef: String,
    /// CODE_MATIERE.
    pub code_matiere: String,
    /// CODE_MODALITE_ELECT.
    pub code_modalite_elect: Option<ModaliteElection>,
    /// HORAIRE (hours a week).
    pub horaire: Option<f64>,
}

/// A mandatory option allowed at a rank (OPTIONS_OBLIGATOIRES/OPTION_OBLIGATOIRE).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OptionObligatoire {
    /// CODE_MEF.
    pub code_mef: String,
    /// CODE_MATIERE.
    pub code_matiere: String,
    /// RANG_OPTION.
    pub rang_option: u8,
}

/// A code and its labels, from any other reference block (régimes, liens de parenté,
/// modalités d'élection, bourses…).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CodeLibelle {
    /// The block (e.g. « MODALITES_ELECTION »).
    pub bloc: String,
    /// The code.
    pub code: String,
    /// LIBELLE_COURT.
    pub libelle_court: Option<String>,
    /// LIBELLE_LONG.
    pub libelle_long: Option<String>,
}

/// One record of a BEE_NOMENCLATURES export.
#[derive(Debug, Clone, PartialEq)]
pub enum NomenclaturesRecord {
    /// A MEF.
    Mef(Box<Mef>),
    /// A subject.
    Matiere(Matiere),
    /// A programme.
    Programme(Programme),
    /// A mandatory option.
    OptionObligatoire(OptionObligatoire),
    /// A code of another reference block.
    Code(CodeLibelle),
}

bee_reader! {
    /// Streaming reader of a BEE_NOMENCLATURES export: an iterator of [`NomenclaturesRecord`].
    NomenclaturesReader, NomenclaturesRecord, FileKind::NomenclaturesXml, {
        mefs: HashSet<String> = HashSet::new(),
        matieres: HashSet<String> = HashSet::new(),
    }
}

impl<R: BufRead> NomenclaturesReader<R> {
    fn parse_record(&mut self, block: &str, node: &Node) -> Option<NomenclaturesRecord> {
        let kind = FileKind::NomenclaturesXml;
        match (block, node.name.as_str()) {
            ("MEFS", "MEF") => {
                let mut f = Fields::new(
                    kind,
                    node,
                    format!("MEF {}", node.attr("CODE_MEF").unwrap_or("?")),
                    &mut self.warnings,
                );
                let code_mef = f.required("CODE_MEF", WarningEffect::RecordSkipped)?;
                if code_mef.len() != 11 {
                    f.warn(
                        "CODE_MEF",
                        format!(
                            "code MEF de 11 caractères attendu, « {} » lu",
                            crate::text::excerpt(&code_mef)
                        ),
                        WarningEffect::KeptAsIs,
                    );
                }
                let mef = Mef {
                    code_mef,
                    formation: f.text("FORMATION"),
                    specialite: f.text("SPECIALITE"),
                    libelle_long: f.text("LIBELLE_LONG"),
                    libelle_edition: f.text("LIBELLE_EDITION"),
                    statut_mef: f.text("STATUT_MEF"),
                    mef_rattachement: f.text("MEF_RATTACHEMENT"),
                    code_mefstat: f.text("CODE_MEFSTAT"),
                    nb_opt_oblig: f.number("NB_OPT_OBLIG"),
                    nb_opt_mini: f.number("NB_OPT_MINI"),
                    renforcement_langues: f.boolean("RENFORCEMENT_LANGUES"),
                    inscription_etab: f.boolean("INSCRIPTION_ETAB"),
                    mef_origine: f.boolean("MEF_ORIGINE"),
                    mef_selectionne: f.boolean("MEF_SELECTIONNE"),
                    mef_selorig: f.boolean("MEF_SELORIG"),
                    date_ouverture: f.date("DATE_OUVERTURE"),
                    date_fermeture: f.date("DATE_FERMETURE"),
                };
                self.mefs.insert(mef.code_mef.clone());
                Some(NomenclaturesRecord::Mef(Box::new(mef)))
            }
            ("MATIERES", "MATIERE") => {
                let mut f = Fields::new(
                    kind,
                    node,
                    format!("matière {}", node.attr("CODE_MATIERE").unwrap_or("?")),
                    &mut self.warnings,
                );
                let code_matiere = f.required("CODE_MATIERE", WarningEffect::RecordSkipped)?;
                let m = Matiere {
                    code_matiere,
                    code_gestion: f.text("CODE_GESTION"),
                    libelle_court: f.text("LIBELLE_COURT"),
                    libelle_long: f.text("LIBELLE_LONG"),
                    libelle_edition: f.text("LIBELLE_EDITION"),
                    matiere_etp: f.boolean("MATIERE_ETP"),
                    code_matiere_nationale: f.text("CODE_MATIERE_NATIONALE"),
                };
                self.matieres.insert(m.code_matiere.clone());
                Some(NomenclaturesRecord::Matiere(m))
            }
            ("PROGRAMMES", "PROGRAMME") => {
                let (mefs, matieres) = (&self.mefs, &self.matieres);
                let mut f = Fields::new(kind, node, "programme".into(), &mut self.warnings);
                let code_mef = f.required("CODE_MEF", WarningEffect::RecordSkipped);
                let code_matiere = f.required("CODE_MATIERE", WarningEffect::RecordSkipped);
                let (code_mef, code_matiere) = (code_mef?, code_matiere?);
                check_refs(&mut f, &code_mef, &code_matiere, mefs, matieres);
                Some(NomenclaturesRecord::Programme(Programme {
                    code_modalite_elect: f.code(
                        "CODE_MODALITE_ELECT",
                        "code modalité d'élection",
                        ModaliteElection::from_code,
                        ModaliteElection::is_known,
                    ),
                    horaire: f.decimal("HORAIRE"),
                    code_mef,
                    code_matiere,
                }))
            }
            ("OPTIONS_OBLIGATOIRES", "OPTION_OBLIGATOIRE") => {
                let (mefs, matieres) = (&self.mefs, &self.matieres);
                let mut f =
                    Fields::new(kind, node, "option obligatoire".into(), &mut self.warnings);
                let code_mef = f.required("CODE_MEF", WarningEffect::RecordSkipped);
                let code_matiere = f.required("CODE_MATIERE", WarningEffect::RecordSkipped);
                let rang = f.number("RANG_OPTION");
                if f.text("RANG_OPTION").is_none() {
                    f.warn(
                        "RANG_OPTION",
                        "champ obligatoire absent".into(),
                        WarningEffect::RecordSkipped,
                    );
                }
                let (code_mef, code_matiere, rang_option) = (code_mef?, code_matiere?, rang?);
                check_refs(&mut f, &code_mef, &code_matiere, mefs, matieres);
                Some(NomenclaturesRecord::OptionObligatoire(OptionObligatoire {
                    code_mef,
                    code_matiere,
                    rang_option,
                }))
            }
            (block, _) => {
                let code = node
                    .attrs
                    .iter()
                    .find(|(k, _)| k.starts_with("CODE"))
                    .map(|(_, v)| v.trim().to_string())
                    .or_else(|| {
                        node.children
                            .iter()
                            .find(|c| c.name.starts_with("CODE"))
                            .map(|c| c.text.trim().to_string())
                    })
                    .filter(|c| !c.is_empty())?;
                let f = Fields::new(kind, node, String::new(), &mut self.warnings);
                Some(NomenclaturesRecord::Code(CodeLibelle {
                    bloc: block.to_string(),
                    code,
                    libelle_court: f.text("LIBELLE_COURT"),
                    libelle_long: f.text("LIBELLE_LONG"),
                }))
            }
        }
    }
}

fn check_refs(
    f: &mut Fields<'_>,
    mef: &str,
    matiere: &str,
    mefs: &HashSet<String>,
    matieres: &HashSet<String>,
) {
    if !mefs.is_empty() && !mefs.contains(mef) {
        f.warn(
            "CODE_MEF",
            format!("MEF « {} » absent du bloc MEFS", crate::text::excerpt(mef)),
            WarningEffect::KeptAsIs,
        );
    }
    if !matieres.is_empty() && !matieres.contains(matiere) {
        f.warn(
            "CODE_MATIERE",
            format!(
                "matière « {} » absente du bloc MATIERES",
                crate::text::excerpt(matiere)
            ),
            WarningEffect::KeptAsIs,
        );
    }
}

/// A whole BEE_NOMENCLATURES export in memory (these files are small).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Nomenclature {
    /// PARAMETRES.
    pub parametres: Parametres,
    /// MEFs.
    pub mefs: Vec<Mef>,
    /// Subjects.
    pub matieres: Vec<Matiere>,
    /// Programmes.
    pub programmes: Vec<Programme>,
    /// Mandatory options.
    pub options_obligatoires: Vec<OptionObligatoire>,
    /// Other reference codes.
    pub codes: Vec<CodeLibelle>,
    /// Record-level problems.
    pub warnings: Vec<Warning>,
}

impl Nomenclature {
    /// The MEF with this code.
    pub fn mef(&self, code_mef: &str) -> Option<&Mef> {
        self.mefs.iter().find(|m| m.code_mef == code_mef)
    }

    /// The subject with this code.
    pub fn matiere(&self, code_matiere: &str) -> Option<&Matiere> {
        self.matieres
            .iter()
            .find(|m| m.code_matiere == code_matiere)
    }

    /// The MEF codes, e.g. for [`ElevesReader::with_known_mefs`](crate::eleves::ElevesReader::with_known_mefs).
    pub fn mef_codes(&self) -> impl Iterator<Item = String> + '_ {
        self.mefs.iter().map(|m| m.code_mef.clone())
    }
}

/// Reads a whole BEE_NOMENCLATURES export.
pub fn parse_nomenclature<R: BufRead>(input: R) -> Result<Nomenclature, SiecleError> {
    let mut reader = NomenclaturesReader::new(input)?;
    let mut n = Nomenclature {
        parametres: reader.parametres().clone(),
        ..Default::default()
    };
    for record in &mut reader {
        match record? {
            NomenclaturesRecord::Mef(m) => n.mefs.push(*m),
            NomenclaturesRecord::Matiere(m) => n.matieres.push(m),
            NomenclaturesRecord::Programme(p) => n.programmes.push(p),
            NomenclaturesRecord::OptionObligatoire(o) => n.options_obligatoires.push(o),
            NomenclaturesRecord::Code(c) => n.codes.push(c),
        }
    }
    n.warnings = reader.take_warnings();
    Ok(n)
}
