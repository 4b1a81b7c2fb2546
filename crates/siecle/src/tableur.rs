//! The spreadsheet export (« Fiches Élèves Complètes », XLS or XLSX): one row per
//! pupil (several rows for a pupil in several groups), 136 columns, the two legal
//! guardians side by side.
//!
//! Columns are matched by header name, never by position. Headers are compared
//! after folding (case, accents, punctuation, non-breaking and trailing spaces
//! ignored). Guardian columns end with « Repr. Lég. 1 » / « Repr. Lég. 2 », or with
//! an unnumbered « Repr. Lég. » (then the first occurrence is guardian 1, the second
//! guardian 2), or « Autre Repr. Lég. » (guardian 2). Option columns are numbered
//! 1–12 (or resolved by occurrence order when not numbered). Repeated pupil columns:
//! the first one is used, the others are listed in [`Tableur::ignored_columns`].
//!
//! Cells may hold text, numbers or dates: codes read as numbers get their leading
//! zeros back where the field has a fixed length (MEF 11, postcode 5, département 3,
//! « Num. Élève Etab » 11), a MEF read as 10110001110.0 becomes « 10110001110 »; dates
//! may be text (`JJ/MM/AAAA`, `AAAA-MM-JJ`), spreadsheet serial numbers or date cells
//! (honouring the workbook's 1900/1904 epoch).
//!
//! Before anything is loaded, the input size is capped and, for XLSX, the zip entries'
//! declared sizes are summed, then each entry is inflated into a counting sink under a
//! cap (declared sizes can lie), so a zip bomb is refused without being expanded in
//! memory.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use calamine::{Data, Reader};
use chrono::NaiveDate;

use crate::codes::{
    Civilite, ModaliteElection, Nationalite, Parente, Pays, Regime, Sexe, TypeStructure,
};
use crate::detect::{FileKind, detect};
use crate::error::{ErrorReason, Location, SiecleError, Warning, WarningEffect, Warnings};
use crate::text::{excerpt, fold_key, non_empty, parse_bool, parse_date};
use crate::types::{Ine, fix_code_len};
use crate::xml::Limits;

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
    fn is_empty(&self) -> bool {
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

/// Where a column's data goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scope {
    Eleve,
    Option(u8),
    Representant(u8),
}

const REQUIRED: &[(&str, &str)] = &[
    ("nom", "Nom de famille"),
    ("prenom", "Prénom"),
    ("date_naiss", "Date Naissance"),
    ("ine", "Id National"),
];

fn pupil_field(key: &str) -> Option<&'static str> {
    Some(match key {
        "sexe" | "sexe m f" => "sexe",
        "pays nat" | "nationalite" | "pays nationalite" => "pays_nat",
        "eleve no etab" | "eleve n etab" | "elenoet" => "elenoet",
        "num eleve etab" | "numero eleve etab" => "num_eleve_etab",
        "nom de famille" | "nom" => "nom",
        "nom d usage" => "nom_usage",
        "prenom" | "prenom 1" => "prenom",
        "prenom 2" => "prenom2",
        "prenom 3" => "prenom3",
        "date naissance" | "date de naissance" => "date_naiss",
        "doublement" | "redoublement" => "doublement",
        "id national" | "ine" | "identifiant national" => "ine",
        "date entree" => "date_entree",
        "date sortie" => "date_sortie",
        "adhesion transport" => "adhesion_transport",
        "date modification" => "date_modification",
        "ville naiss etrangere" | "ville naissance etrangere" => "ville_naiss_etrangere",
        "commune naiss" | "commune naissance" => "commune_naiss",
        "pays naiss" | "pays naissance" => "pays_naiss",
        "code regime" => "code_regime",
        "lib regime" => "lib_regime",
        "motif sortie" => "motif_sortie",
        "code mef" => "code_mef",
        "lib mef" => "lib_mef",
        "code structure" => "code_structure",
        "type structure" => "type_structure",
        "lib structure" => "lib_structure",
        "tel personnel" => "tel_personnel",
        "tel professionnel" => "tel_professionnel",
        "tel portable" => "tel_portable",
        "email" | "mel" | "courriel" => "email",
        "ligne adresse 1" => "ligne1",
        "ligne adresse 2" => "ligne2",
        "ligne adresse 3" => "ligne3",
        "ligne adresse 4" => "ligne4",
        "lib postal" => "lib_postal",
        "code postal" => "code_postal",
        "departement" | "code departement" => "departement",
        "commune etrangere" => "commune_etrangere",
        "pays" => "pays",
        _ => return None,
    })
}

fn guardian_field(key: &str) -> Option<&'static str> {
    Some(match key {
        "civilite" => "civilite",
        "nom de famille" | "nom" => "nom",
        "nom d usage" => "nom_usage",
        "prenom" => "prenom",
        "tel personnel" => "tel_personnel",
        "lien parente" => "lien_parente",
        "tel portable" => "tel_portable",
        "tel professionnel" => "tel_professionnel",
        "email" | "mel" | "courriel" => "email",
        "communication adresse postale et courriel" | "communication adresse" => {
            "communication_adresse"
        }
        "ligne adresse 1" => "ligne1",
        "ligne adresse 2" => "ligne2",
        "ligne adresse 3" => "ligne3",
        "ligne adresse 4" => "ligne4",
        "lib postal" => "lib_postal",
        "code postal" => "code_postal",
        "code departement" | "departement" => "departement",
        "commune etrangere" => "commune_etrangere",
        "pays" => "pays",
        _ => return None,
    })
}

fn option_field(key: &str) -> Option<(&'static str, Option<u8>)> {
    const BASES: &[(&str, &str)] = &[
        ("cle gestion mat enseignee", "cle_gestion"),
        ("lib mat enseignee", "libelle"),
        ("code modalite elect", "modalite"),
        ("lib modalite elect", "lib_modalite"),
    ];
    for (base, field) in BASES {
        if let Some(rest) = key.strip_prefix(base) {
            let rest = rest.trim();
            if rest.is_empty() {
                return Some((field, None));
            }
            if let Ok(n) = rest.parse::<u8>()
                && (1..=12).contains(&n)
            {
                return Some((field, Some(n)));
            }
        }
    }
    None
}

/// The column layout found in the header row.
#[derive(Debug, Default)]
struct Layout {
    columns: HashMap<(Scope, &'static str), usize>,
    ignored: Vec<String>,
    pupil_fields: usize,
}

impl Layout {
    fn from_header(row: &[Data]) -> Layout {
        let mut layout = Layout::default();
        let mut guardian_seen: HashMap<&'static str, u8> = HashMap::new();
        let mut option_seen: HashMap<&'static str, u8> = HashMap::new();
        for (col, cell) in row.iter().enumerate() {
            let Some(header) = cell_text(cell) else {
                continue;
            };
            let key = fold_key(&header);
            let target = if let Some(pos) = ["repr leg", "representant legal", "resp leg"]
                .iter()
                .find_map(|m| key.find(m).map(|p| (p, m.len())))
            {
                let (p, len) = pos;
                let mut base = key[..p].trim().to_string();
                let suffix = key[p + len..].trim();
                let mut explicit = match suffix {
                    "1" => Some(1),
                    "2" => Some(2),
                    _ => None,
                };
                if let Some(b) = base.strip_suffix(" autre") {
                    base = b.to_string();
                    explicit = Some(2);
                }
                guardian_field(&base).map(|f| {
                    let rank = explicit.unwrap_or_else(|| {
                        let n = guardian_seen.entry(f).or_insert(0);
                        *n += 1;
                        *n
                    });
                    (Scope::Representant(rank), f)
                })
            } else if let Some((f, n)) = option_field(&key) {
                let n = n.unwrap_or_else(|| {
                    let c = option_seen.entry(f).or_insert(0);
                    *c += 1;
                    *c
                });
                Some((Scope::Option(n), f))
            } else {
                pupil_field(&key).map(|f| (Scope::Eleve, f))
            };
            match target {
                Some(t)
                    if !layout.columns.contains_key(&t)
                        && matches!(
                            t.0,
                            Scope::Representant(1 | 2) | Scope::Option(1..=12) | Scope::Eleve
                        ) =>
                {
                    if t.0 == Scope::Eleve {
                        layout.pupil_fields += 1;
                    }
                    layout.columns.insert(t, col);
                }
                _ => layout.ignored.push(header),
            }
        }
        layout
    }

    fn missing(&self) -> Vec<String> {
        REQUIRED
            .iter()
            .filter(|(f, _)| !self.columns.contains_key(&(Scope::Eleve, *f)))
            .map(|(_, label)| label.to_string())
            .collect()
    }
}

/// Text of a cell; numbers without a fractional part are written as integers.
fn cell_text(cell: &Data) -> Option<String> {
    match cell {
        Data::Empty | Data::Error(_) => None,
        Data::String(s) => non_empty(s),
        Data::Float(f) => {
            if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
                Some(format!("{}", *f as i64))
            } else if f.is_finite() {
                Some(f.to_string())
            } else {
                None
            }
        }
        Data::Int(i) => Some(i.to_string()),
        Data::Bool(b) => Some(if *b { "1".into() } else { "0".into() }),
        Data::DateTime(d) => {
            let (y, m, day, ..) = d.to_ymd_hms_milli();
            Some(format!("{day:02}/{m:02}/{y:04}"))
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => non_empty(s),
    }
}

/// Converts a spreadsheet serial number (1900 epoch) to a date.
fn serial_to_date(serial: f64) -> Option<NaiveDate> {
    if !serial.is_finite() || !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?
        .checked_add_days(chrono::Days::new(serial.trunc() as u64))
}

fn cell_date(cell: &Data) -> Result<Option<NaiveDate>, String> {
    match cell {
        Data::Empty => Ok(None),
        Data::DateTime(d) => {
            let (y, m, day, ..) = d.to_ymd_hms_milli();
            NaiveDate::from_ymd_opt(y.into(), m.into(), day.into())
                .map(Some)
                .ok_or_else(|| format!("{}", d.as_f64()))
        }
        Data::Float(f) => serial_to_date(*f).map(Some).ok_or_else(|| f.to_string()),
        Data::Int(i) => serial_to_date(*i as f64)
            .map(Some)
            .ok_or_else(|| i.to_string()),
        other => match cell_text(other) {
            None => Ok(None),
            Some(t) => {
                if let Some(d) = parse_date(&t) {
                    return Ok(Some(d));
                }
                match t.parse::<f64>() {
                    Ok(f) => serial_to_date(f).map(Some).ok_or(t),
                    Err(_) => Err(t),
                }
            }
        },
    }
}

struct RowReader<'a> {
    row: &'a [Data],
    layout: &'a Layout,
    line: u32,
    kind: FileKind,
    record: String,
    warnings: &'a mut Warnings,
}

fn header_name(scope: Scope, field: &str) -> String {
    let base = match field {
        "sexe" => "Sexe",
        "pays_nat" => "Pays Nat.",
        "nom" => "Nom de famille",
        "prenom" => "Prénom",
        "date_naiss" => "Date Naissance",
        "ine" => "Id National",
        "date_entree" => "Date Entrée",
        "date_sortie" => "Date Sortie",
        "date_modification" => "Date Modification",
        "code_regime" => "Code Régime",
        "code_mef" => "Code MEF",
        "code_postal" => "Code Postal",
        "departement" => "Département",
        "civilite" => "Civilité",
        "lien_parente" => "Lien Parenté",
        "num_eleve_etab" => "Num. Elève Etab",
        "type_structure" => "Type Structure",
        "modalite" => "Code Modalité Elect.",
        other => other,
    };
    match scope {
        Scope::Eleve => base.to_string(),
        Scope::Option(n) => format!("{base} {n}"),
        Scope::Representant(n) => format!("{base} Repr. Lég. {n}"),
    }
}

impl RowReader<'_> {
    fn cell(&self, scope: Scope, field: &'static str) -> Option<&Data> {
        self.layout
            .columns
            .get(&(scope, field))
            .and_then(|&c| self.row.get(c))
    }

    fn warn(&mut self, scope: Scope, field: &str, message: String, effect: WarningEffect) {
        self.warnings.push(Warning {
            kind: self.kind,
            location: Location::Row(self.line),
            record: Some(self.record.clone()),
            field: Some(header_name(scope, field)),
            message,
            effect,
        });
    }

    fn text(&self, scope: Scope, field: &'static str) -> Option<String> {
        self.cell(scope, field).and_then(cell_text)
    }

    fn fixed(&mut self, scope: Scope, field: &'static str, len: usize) -> Option<String> {
        let raw = self.text(scope, field)?;
        Some(fix_code_len(&raw, len).unwrap_or_else(|| {
            self.warn(
                scope,
                field,
                format!("code de {len} caractères attendu, « {} » lu", excerpt(&raw)),
                WarningEffect::KeptAsIs,
            );
            raw
        }))
    }

    fn phone(&self, scope: Scope, field: &'static str) -> Option<String> {
        let cell = self.cell(scope, field)?;
        let text = cell_text(cell)?;
        // A French number typed as a number lost its leading zero.
        if matches!(cell, Data::Float(_) | Data::Int(_))
            && text.len() == 9
            && text.bytes().all(|b| b.is_ascii_digit())
        {
            return Some(format!("0{text}"));
        }
        Some(text)
    }

    fn date(&mut self, scope: Scope, field: &'static str) -> Option<NaiveDate> {
        let cell = self.cell(scope, field)?.clone();
        match cell_date(&cell) {
            Ok(d) => d,
            Err(raw) => {
                self.warn(
                    scope,
                    field,
                    format!("date invalide « {} »", excerpt(&raw)),
                    WarningEffect::FieldIgnored,
                );
                None
            }
        }
    }

    fn boolean(&mut self, scope: Scope, field: &'static str) -> Option<bool> {
        let raw = self.text(scope, field)?;
        let b = parse_bool(&raw);
        if b.is_none() {
            self.warn(
                scope,
                field,
                format!("valeur oui/non invalide « {} »", excerpt(&raw)),
                WarningEffect::FieldIgnored,
            );
        }
        b
    }

    fn adresse(&mut self, scope: Scope) -> AdresseTableur {
        AdresseTableur {
            lignes: [
                self.text(scope, "ligne1"),
                self.text(scope, "ligne2"),
                self.text(scope, "ligne3"),
                self.text(scope, "ligne4"),
            ],
            lib_postal: self.text(scope, "lib_postal"),
            code_postal: self.fixed(scope, "code_postal", 5),
            departement: self.fixed(scope, "departement", 3),
            commune_etrangere: self.text(scope, "commune_etrangere"),
            pays: self.text(scope, "pays"),
        }
    }

    fn representant(&mut self, rang: u8) -> Option<RepresentantTableur> {
        let s = Scope::Representant(rang);
        let civilite_raw = self.text(s, "civilite");
        let civilite = civilite_raw.as_deref().and_then(Civilite::from_label);
        if let (Some(raw), None) = (&civilite_raw, &civilite) {
            self.warn(
                s,
                "civilite",
                format!("civilité inconnue « {} »", excerpt(raw)),
                WarningEffect::FieldIgnored,
            );
        }
        let lien_raw = self.text(s, "lien_parente");
        let lien_parente = lien_raw.as_deref().and_then(|l| {
            Parente::from_label(l).or_else(|| {
                let p = Parente::from_code(l);
                p.is_known().then_some(p)
            })
        });
        if let (Some(raw), None) = (&lien_raw, &lien_parente) {
            self.warn(
                s,
                "lien_parente",
                format!("lien de parenté inconnu « {} »", excerpt(raw)),
                WarningEffect::KeptAsIs,
            );
        }
        let r = RepresentantTableur {
            rang,
            civilite,
            nom_de_famille: self.text(s, "nom"),
            nom_usage: self.text(s, "nom_usage"),
            prenom: self.text(s, "prenom"),
            lien_parente,
            lien_parente_libelle: lien_raw,
            tel_personnel: self.phone(s, "tel_personnel"),
            tel_portable: self.phone(s, "tel_portable"),
            tel_professionnel: self.phone(s, "tel_professionnel"),
            email: self.text(s, "email"),
            communication_adresse: self.boolean(s, "communication_adresse"),
            adresse: self.adresse(s),
        };
        let empty = RepresentantTableur {
            rang,
            ..Default::default()
        };
        if r == empty
            || (r.nom_de_famille.is_none()
                && r.prenom.is_none()
                && r.adresse.is_empty()
                && r.email.is_none())
        {
            None
        } else {
            Some(r)
        }
    }

    fn eleve(&mut self) -> Option<EleveTableur> {
        let e = Scope::Eleve;
        let nom = self.text(e, "nom");
        let prenom = self.text(e, "prenom");
        let (nom_de_famille, prenom) = match (nom, prenom) {
            (Some(n), Some(p)) => (n, p),
            (n, _) => {
                let field = if n.is_none() { "nom" } else { "prenom" };
                self.warn(
                    e,
                    field,
                    "champ obligatoire absent".into(),
                    WarningEffect::RecordSkipped,
                );
                return None;
            }
        };
        self.record = format!("élève {prenom} {nom_de_famille}");
        let id_national = match self.text(e, "ine") {
            None => {
                self.warn(e, "ine", "INE absent".into(), WarningEffect::KeptAsIs);
                None
            }
            Some(raw) => {
                let ine = Ine::parse(&raw);
                if ine.is_none() {
                    self.warn(
                        e,
                        "ine",
                        format!("INE invalide « {} »", excerpt(&raw)),
                        WarningEffect::FieldIgnored,
                    );
                }
                ine
            }
        };
        let date_naiss = self.date(e, "date_naiss");
        let sexe_raw = self.text(e, "sexe");
        let sexe = sexe_raw.as_deref().and_then(Sexe::from_letter);
        if let (Some(raw), None) = (&sexe_raw, &sexe) {
            self.warn(
                e,
                "sexe",
                format!("sexe inconnu « {} »", excerpt(raw)),
                WarningEffect::FieldIgnored,
            );
        }
        let pays_nat = self.text(e, "pays_nat");
        let nationalite = pays_nat.as_deref().and_then(Nationalite::from_label);
        if let (Some(raw), None) = (&pays_nat, &nationalite) {
            self.warn(
                e,
                "pays_nat",
                format!("pays de nationalité inconnu « {} »", excerpt(raw)),
                WarningEffect::KeptAsIs,
            );
        }
        let pays_naiss = self.text(e, "pays_naiss");
        let code_pays_naiss = pays_naiss.as_deref().and_then(Pays::from_label);
        let code_regime = self.text(e, "code_regime").map(|c| {
            let r = Regime::from_code(&c);
            if !r.is_known() {
                self.warn(
                    e,
                    "code_regime",
                    format!("code régime inconnu « {} »", excerpt(&c)),
                    WarningEffect::KeptAsIs,
                );
            }
            r
        });
        let code_mef = self.fixed(e, "code_mef", 11);
        let structures = match self.text(e, "code_structure") {
            Some(code_structure) => {
                let type_structure = self
                    .text(e, "type_structure")
                    .map(|t| TypeStructure::from_code(&t.to_uppercase()));
                vec![StructureTableur {
                    code_structure,
                    type_structure,
                    lib_structure: self.text(e, "lib_structure"),
                }]
            }
            None => Vec::new(),
        };
        let mut options = Vec::new();
        for n in 1..=12u8 {
            let s = Scope::Option(n);
            if let Some(cle_gestion) = self.text(s, "cle_gestion") {
                options.push(OptionTableur {
                    cle_gestion,
                    libelle: self.text(s, "libelle"),
                    code_modalite_elect: self
                        .text(s, "modalite")
                        .map(|m| ModaliteElection::from_code(&m.to_uppercase())),
                });
            }
        }
        let representants = (1..=2).filter_map(|r| self.representant(r)).collect();
        Some(EleveTableur {
            lignes: vec![self.line],
            sexe,
            pays_nat,
            nationalite,
            elenoet: self.text(e, "elenoet"),
            num_eleve_etab: self.fixed(e, "num_eleve_etab", 11),
            nom_de_famille,
            nom_usage: self.text(e, "nom_usage"),
            prenom,
            prenom2: self.text(e, "prenom2"),
            prenom3: self.text(e, "prenom3"),
            date_naiss,
            doublement: self.boolean(e, "doublement"),
            id_national,
            date_entree: self.date(e, "date_entree"),
            date_sortie: self.date(e, "date_sortie"),
            date_modification: self.date(e, "date_modification"),
            adhesion_transport: self.boolean(e, "adhesion_transport"),
            ville_naiss_etrangere: self.text(e, "ville_naiss_etrangere"),
            commune_naiss: self.text(e, "commune_naiss"),
            pays_naiss,
            code_pays_naiss,
            code_regime,
            lib_regime: self.text(e, "lib_regime"),
            motif_sortie: self.text(e, "motif_sortie"),
            code_mef,
            lib_mef: self.text(e, "lib_mef"),
            structures,
            options,
            tel_personnel: self.phone(e, "tel_personnel"),
            tel_professionnel: self.phone(e, "tel_professionnel"),
            tel_portable: self.phone(e, "tel_portable"),
            email: self.text(e, "email"),
            adresse: self.adresse(e),
            representants,
        })
    }
}

/// Refuses an XLSX whose content would inflate beyond `max` bytes: first from the
/// declared sizes, then by actually inflating each entry into a counting sink (the
/// declared sizes can lie). Nothing is kept in memory.
pub fn check_zip_size(bytes: &[u8], max: u64) -> Result<(), SiecleError> {
    let kind = FileKind::Xlsx;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        SiecleError::new(
            kind,
            ErrorReason::Spreadsheet(format!("archive zip illisible ({e})")),
        )
    })?;
    if archive.len() > 10_000 {
        return Err(SiecleError::new(kind, ErrorReason::ZipBomb(max)));
    }
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|e| {
            SiecleError::new(
                kind,
                ErrorReason::Spreadsheet(format!("archive zip illisible ({e})")),
            )
        })?;
        declared = declared.saturating_add(entry.size());
        if declared > max {
            return Err(SiecleError::new(kind, ErrorReason::ZipBomb(max)));
        }
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            // Encrypted or unsupported entries: calamine will report them.
            Err(_) => continue,
        };
        let budget = max - total;
        let read =
            std::io::copy(&mut (&mut entry).take(budget + 1), &mut std::io::sink()).unwrap_or(0);
        total += read;
        if total > max {
            return Err(SiecleError::new(kind, ErrorReason::ZipBomb(max)));
        }
    }
    Ok(())
}

/// Reads a spreadsheet export from a reader, refusing inputs above
/// `limits.max_spreadsheet_bytes` without reading them whole.
pub fn read_spreadsheet_from<R: Read>(input: R, limits: Limits) -> Result<Tableur, SiecleError> {
    let mut bytes = Vec::new();
    input
        .take(limits.max_spreadsheet_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| SiecleError::new(FileKind::Unknown, ErrorReason::Io(e.to_string())))?;
    read_spreadsheet_with_limits(&bytes, limits)
}

/// Reads a spreadsheet export (XLS or XLSX, detected from the content).
pub fn read_spreadsheet(bytes: &[u8]) -> Result<Tableur, SiecleError> {
    read_spreadsheet_with_limits(bytes, Limits::default())
}

/// Reads a spreadsheet export with explicit limits.
pub fn read_spreadsheet_with_limits(bytes: &[u8], limits: Limits) -> Result<Tableur, SiecleError> {
    let kind = detect(bytes);
    if bytes.is_empty() {
        return Err(SiecleError::new(FileKind::Unknown, ErrorReason::Empty));
    }
    if !kind.is_spreadsheet() {
        return Err(SiecleError::new(kind, ErrorReason::NotSiecle(None)));
    }
    if bytes.len() as u64 > limits.max_spreadsheet_bytes {
        return Err(SiecleError::new(
            kind,
            ErrorReason::FileTooLarge(limits.max_spreadsheet_bytes),
        ));
    }
    if kind == FileKind::Xlsx {
        check_zip_size(bytes, limits.max_uncompressed_bytes)?;
    }
    // calamine is a large parser of untrusted binary input: a panic inside it must
    // become an error for the user, not a crash of the import job.
    let sheets = std::panic::catch_unwind(|| load_sheets(bytes, kind, limits.max_spreadsheet_rows))
        .map_err(|_| {
            SiecleError::new(kind, ErrorReason::Spreadsheet("contenu inattendu".into()))
        })??;
    let mut best_missing: Option<(Vec<String>, u32)> = None;
    for (name, rows) in sheets {
        // Rows are indexed from the top of the sheet: index 0 is spreadsheet row 1.
        let start_row = 0u32;
        let header = rows.iter().take(30).enumerate().find_map(|(i, row)| {
            let layout = Layout::from_header(row);
            (layout.pupil_fields >= 4).then_some((i, layout))
        });
        let Some((header_index, layout)) = header else {
            continue;
        };
        let missing = layout.missing();
        if !missing.is_empty() {
            if best_missing
                .as_ref()
                .is_none_or(|(m, _)| missing.len() < m.len())
            {
                best_missing = Some((missing, start_row + header_index as u32 + 1));
            }
            continue;
        }
        let mut warnings = Warnings::new(limits.max_warnings);
        let mut eleves: Vec<EleveTableur> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, row) in rows.iter().enumerate().skip(header_index + 1) {
            if row.iter().all(|c| cell_text(c).is_none()) {
                continue;
            }
            let line = start_row + i as u32 + 1;
            let mut reader = RowReader {
                row,
                layout: &layout,
                line,
                kind,
                record: format!("ligne {line}"),
                warnings: &mut warnings,
            };
            let Some(eleve) = reader.eleve() else {
                continue;
            };
            let key = match &eleve.id_national {
                Some(ine) => ine.as_str().to_string(),
                None => format!(
                    "{}|{}|{:?}",
                    eleve.nom_de_famille, eleve.prenom, eleve.date_naiss
                ),
            };
            match index.get(&key) {
                Some(&at) => merge(&mut eleves[at], eleve),
                None => {
                    index.insert(key, eleves.len());
                    eleves.push(eleve);
                }
            }
        }
        return Ok(Tableur {
            kind,
            feuille: name,
            ligne_entete: start_row + header_index as u32 + 1,
            eleves,
            ignored_columns: layout.ignored,
            warnings: warnings.list,
        });
    }
    match best_missing {
        Some((missing, line)) => {
            Err(SiecleError::new(kind, ErrorReason::MissingColumns(missing))
                .at(Location::Row(line)))
        }
        None => Err(SiecleError::new(kind, ErrorReason::NoHeaderRow)),
    }
}

/// Adds the structures and options of another row of the same pupil.
fn merge(into: &mut EleveTableur, other: EleveTableur) {
    into.lignes.extend(other.lignes);
    for s in other.structures {
        if !into
            .structures
            .iter()
            .any(|x| x.code_structure == s.code_structure)
        {
            into.structures.push(s);
        }
    }
    for o in other.options {
        if !into.options.iter().any(|x| x.cle_gestion == o.cle_gestion) {
            into.options.push(o);
        }
    }
}

/// A sheet as rows of cells, built with bounded memory: at most [`MAX_COLUMNS`]
/// columns and `max_rows` rows are kept.
type Sheet = (String, Vec<Vec<Data>>);

/// Columns read from a sheet (the export has 136); cells further right are ignored.
const MAX_COLUMNS: u32 = 512;

/// Most cell slots (rows × columns) kept for a workbook, and that calamine may
/// allocate for all the sheets of an XLS (it builds each sheet as a dense grid):
/// 8 million slots of 32 bytes is about 256 MB.
const MAX_XLS_CELL_SLOTS: u64 = 8_000_000;

fn load_sheets(bytes: &[u8], kind: FileKind, max_rows: usize) -> Result<Vec<Sheet>, SiecleError> {
    let err = |e: String| SiecleError::new(kind, ErrorReason::Spreadsheet(excerpt(&e)));
    let too_big = || {
        SiecleError::new(
            kind,
            ErrorReason::Spreadsheet(format!("feuille de plus de {max_rows} lignes")),
        )
    };
    let mut out = Vec::new();
    match kind {
        FileKind::Xlsx => {
            // calamine's worksheet_range allocates the dense bounding box of the cells:
            // two cells far apart would ask for hundreds of gigabytes. Reading cell by
            // cell keeps memory proportional to the cells kept.
            let mut wb: calamine::Xlsx<_> =
                calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| err(e.to_string()))?;
            for name in wb.sheet_names() {
                let mut reader = wb
                    .worksheet_cells_reader(&name)
                    .map_err(|e| err(e.to_string()))?;
                let mut rows: Vec<Vec<Data>> = Vec::new();
                let mut slots: u64 = 0;
                while let Some(cell) = reader.next_cell().map_err(|e| err(e.to_string()))? {
                    let (r, c) = cell.get_position();
                    if c >= MAX_COLUMNS {
                        continue;
                    }
                    let (r, c) = (r as usize, c as usize);
                    if r >= max_rows {
                        return Err(too_big());
                    }
                    let value: Data = cell.get_value().clone().into();
                    if value == Data::Empty {
                        continue;
                    }
                    if rows.len() <= r {
                        rows.resize_with(r + 1, Vec::new);
                    }
                    let row = &mut rows[r];
                    if row.len() <= c {
                        slots += (c + 1 - row.len()) as u64;
                        if slots > MAX_XLS_CELL_SLOTS {
                            return Err(err("trop de cellules".into()));
                        }
                        row.resize(c + 1, Data::Empty);
                    }
                    row[c] = value;
                }
                out.push((name, rows));
            }
        }
        _ => {
            check_xls_dimensions(bytes, max_rows)?;
            let mut wb: calamine::Xls<_> =
                calamine::Xls::new(Cursor::new(bytes)).map_err(|e| err(e.to_string()))?;
            for name in wb.sheet_names() {
                let range = wb.worksheet_range(&name).map_err(|e| err(e.to_string()))?;
                let (start_row, start_col) = range.start().unwrap_or((0, 0));
                let mut rows: Vec<Vec<Data>> = vec![Vec::new(); start_row as usize];
                for row in range.rows() {
                    let mut cells = vec![Data::Empty; start_col as usize];
                    cells.extend(row.iter().take(MAX_COLUMNS as usize).cloned());
                    rows.push(cells);
                }
                out.push((name, rows));
            }
        }
    }
    Ok(out)
}

/// Walks the BIFF records of an XLS workbook stream and refuses a file whose sheets
/// would make calamine allocate more than [`MAX_XLS_CELL_SLOTS`] cells (it allocates
/// the bounding box of each sheet's cells) or that has more than `max_rows` rows.
fn check_xls_dimensions(bytes: &[u8], max_rows: usize) -> Result<(), SiecleError> {
    let kind = FileKind::Xls;
    let unreadable = |e: std::io::Error| {
        SiecleError::new(
            kind,
            ErrorReason::Spreadsheet(format!(
                "fichier XLS illisible ({})",
                excerpt(&e.to_string())
            )),
        )
    };
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(unreadable)?;
    let name = ["/Workbook", "/Book"]
        .into_iter()
        .find(|n| file.is_stream(n));
    let Some(name) = name else {
        return Err(SiecleError::new(
            kind,
            ErrorReason::Spreadsheet("flux « Workbook » absent".into()),
        ));
    };
    let mut stream = Vec::new();
    file.open_stream(name)
        .map_err(unreadable)?
        .take(bytes.len() as u64)
        .read_to_end(&mut stream)
        .map_err(unreadable)?;
    let mut slots: u64 = 0;
    let mut bounds: Option<(u32, u32, u32, u32)> = None;
    let close = |bounds: &mut Option<(u32, u32, u32, u32)>, slots: &mut u64| {
        if let Some((r0, r1, c0, c1)) = bounds.take() {
            *slots = slots.saturating_add(u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1));
        }
    };
    let mut at = 0usize;
    while at + 4 <= stream.len() {
        let typ = u16::from_le_bytes([stream[at], stream[at + 1]]);
        let len = u16::from_le_bytes([stream[at + 2], stream[at + 3]]) as usize;
        let data = &stream[at + 4..(at + 4 + len).min(stream.len())];
        at += 4 + len;
        let u16_at = |i: usize| {
            data.get(i..i + 2)
                .map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
        };
        match typ {
            // BOF / EOF of a substream (a sheet).
            0x0809 | 0x000A => close(&mut bounds, &mut slots),
            // FORMULA, MULRK, MULBLANK, RSTRING, LABELSST, BLANK, NUMBER, LABEL, BOOLERR, RK.
            0x0006 | 0x00BD | 0x00BE | 0x00D6 | 0x00FD | 0x0201 | 0x0203 | 0x0204 | 0x0205
            | 0x027E => {
                let (Some(row), Some(col)) = (u16_at(0), u16_at(2)) else {
                    continue;
                };
                let last_col = if matches!(typ, 0x00BD | 0x00BE) {
                    data.len().checked_sub(2).and_then(u16_at).unwrap_or(col)
                } else {
                    col
                };
                if row as usize >= max_rows {
                    return Err(SiecleError::new(
                        kind,
                        ErrorReason::Spreadsheet(format!("feuille de plus de {max_rows} lignes")),
                    ));
                }
                let (lo, hi) = (col.min(last_col), col.max(last_col));
                bounds = Some(match bounds {
                    None => (row, row, lo, hi),
                    Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(lo), c1.max(hi)),
                });
            }
            _ => {}
        }
    }
    close(&mut bounds, &mut slots);
    // calamine builds a value grid and a formula grid per sheet.
    if slots.saturating_mul(2) > MAX_XLS_CELL_SLOTS {
        return Err(SiecleError::new(
            kind,
            ErrorReason::Spreadsheet("feuilles aux dimensions démesurées".into()),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_variants_are_resolved() {
        let headers = [
            "Nom de famille",
            "Prénom",
            "Date Naissance ",
            "Id\u{a0}National",
            "Civilité Repr. Lég. ",
            "Civilité Repr. Lég. ",
            "Nom de famille Autre Repr. Lég.",
            "Nom de famille Repr. Lég. 1",
            "CLÉ GESTION MAT. ENSEIGNÉE 3",
            "Ligne Adresse 2",
            "Ligne Adresse 2",
            "Colonne inconnue",
        ];
        let row: Vec<Data> = headers
            .iter()
            .map(|h| Data::String(h.to_string()))
            .collect();
        let layout = Layout::from_header(&row);
        assert_eq!(layout.columns[&(Scope::Eleve, "date_naiss")], 2);
        assert_eq!(layout.columns[&(Scope::Eleve, "ine")], 3);
        assert_eq!(layout.columns[&(Scope::Representant(1), "civilite")], 4);
        assert_eq!(layout.columns[&(Scope::Representant(2), "civilite")], 5);
        assert_eq!(layout.columns[&(Scope::Representant(2), "nom")], 6);
        assert_eq!(layout.columns[&(Scope::Representant(1), "nom")], 7);
        assert_eq!(layout.columns[&(Scope::Option(3), "cle_gestion")], 8);
        assert_eq!(layout.columns[&(Scope::Eleve, "ligne2")], 9);
        assert_eq!(
            layout.ignored,
            vec![
                "Ligne Adresse 2".to_string(),
                "Colonne inconnue".to_string()
            ]
        );
        assert!(layout.missing().is_empty());
    }

    #[test]
    fn cells_become_text_codes_and_dates() {
        assert_eq!(
            cell_text(&Data::Float(10110001110.0)).as_deref(),
            Some("10110001110")
        );
        assert_eq!(cell_text(&Data::Float(1.5)).as_deref(), Some("1.5"));
        assert_eq!(
            cell_text(&Data::String("  x ".into())).as_deref(),
            Some("x")
        );
        assert_eq!(
            cell_date(&Data::Float(41517.0)),
            Ok(NaiveDate::from_ymd_opt(2013, 8, 31))
        );
        assert_eq!(
            cell_date(&Data::String("24/02/2005".into())),
            Ok(NaiveDate::from_ymd_opt(2005, 2, 24))
        );
        assert_eq!(
            cell_date(&Data::String("38407".into())),
            Ok(NaiveDate::from_ymd_opt(2005, 2, 24))
        );
        assert!(cell_date(&Data::String("31/02/2005".into())).is_err());
        assert!(cell_date(&Data::Float(-3.0)).is_err());
        assert_eq!(cell_date(&Data::Empty), Ok(None));
    }
}
