//! A generator of format-faithful synthetic SIECLE exports, for demos, benchmarks and
//! round-trip tests. Deterministic: the same seed gives the same bytes.
//!
//! Each school gets a valid UAI (check letter computed), the four collège levels
//! (6e→3e) with their MEFs, subjects, programmes and mandatory options, divisions of
//! about 28 pupils and a Latin group, pupils with realistic French names (accents,
//! « Œ », « Ÿ »…), INE in the 9 digits + 2 letters shape (no key: the algorithm is not
//! in the material we have), birthplaces in France and abroad, régimes, options, last
//! year's schooling (a CM2 in a primary school for 6e pupils), and families: about 15 %
//! of pupils are siblings sharing their guardians, about 10 % of families are
//! separated parents at two addresses, some have a grandparent as contact, a few are
//! placed (ASE) or have a tutor.
//!
//! Files are written in ISO-8859-15 with the element order of real exports, to any
//! `std::io::Write`:
//! ```no_run
//! use dossiersco_siecle::synth;
//! for school in synth::generate(2, 500, 42) {
//!     let dir = std::path::Path::new("out").join(school.uai.as_str());
//!     std::fs::create_dir_all(&dir).unwrap();
//!     school.write_all_to_dir(&dir).unwrap();
//! }
//! ```

use std::io::{self, Write};

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use crate::codes::{
    Civilite, ModaliteElection, Nationalite, NiveauResponsabilite, Parente, Pays, Pcs, Regime,
    Sexe, TypeStructure,
};
use crate::eleves::{
    Eleve, OptionEleve, OptionsEleve, ScolariteAnDernier, StructureEleve, StructuresEleve,
};
use crate::nomenclatures::{Matiere, Mef, OptionObligatoire, Programme};
use crate::responsables::{Personne, ResponsableEleve};
use crate::structures::{Division, Groupe};
use crate::types::{Adresse, Ine, Uai};

/// File names SIECLE gives these exports.
pub const FICHIER_ELEVES: &str = "ElevesAvecAdresses.xml";
/// File name of the responsables export.
pub const FICHIER_RESPONSABLES: &str = "ResponsablesAvecAdresses.xml";
/// File name of the nomenclature export.
pub const FICHIER_NOMENCLATURE: &str = "Nomenclature.xml";
/// File name of the structures export.
pub const FICHIER_STRUCTURES: &str = "Structures.xml";

/// One synthetic school: the typed records, and writers of the export files.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthSchool {
    /// The school's UAI (valid check letter).
    pub uai: Uai,
    /// School year (starting year).
    pub annee_scolaire: u16,
    /// Export timestamp.
    pub horodatage: NaiveDateTime,
    /// MEFs of the nomenclature.
    pub mefs: Vec<Mef>,
    /// Subjects.
    pub matieres: Vec<Matiere>,
    /// Programmes.
    pub programmes: Vec<Programme>,
    /// Mandatory options.
    pub options_obligatoires: Vec<OptionObligatoire>,
    /// Divisions.
    pub divisions: Vec<Division>,
    /// Groups.
    pub groupes: Vec<Groupe>,
    /// Pupils.
    pub eleves: Vec<Eleve>,
    /// Options per pupil.
    pub options: Vec<OptionsEleve>,
    /// Structures per pupil.
    pub structures: Vec<StructuresEleve>,
    /// Addresses of the pupils (ElevesAvecAdresses).
    pub adresses_eleves: Vec<Adresse>,
    /// Persons.
    pub personnes: Vec<Personne>,
    /// Pupil–person links.
    pub responsables: Vec<ResponsableEleve>,
    /// Addresses of the persons (ResponsablesAvecAdresses).
    pub adresses_responsables: Vec<Adresse>,
}

/// Generates `schools` schools of `pupils_per_school` pupils each, lazily (one school
/// in memory at a time). Deterministic for a given seed.
pub fn generate(
    schools: usize,
    pupils_per_school: usize,
    seed: u64,
) -> impl Iterator<Item = SynthSchool> {
    (0..schools).map(move |i| generate_school(i, pupils_per_school, seed))
}

/// A small deterministic generator (SplitMix64): no dependency, same output everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(1000) < percent * 10
    }

    fn permille(&mut self, permille: u64) -> bool {
        self.below(1000) < permille
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const PRENOMS_F: &[&str] = &[
    "Chloé",
    "Léa",
    "Zoé",
    "Maëlle",
    "Inès",
    "Anaïs",
    "Héloïse",
    "Noémie",
    "Clémence",
    "Éloïse",
    "Lætitia",
    "Agathe",
    "Camille",
    "Jeanne",
    "Louise",
    "Manon",
    "Yasmine",
    "Aïcha",
    "Fatoumata",
    "Rosalie",
    "Gaëlle",
    "Joséphine",
    "Ève",
    "Mélissa",
    "Océane",
    "Amélie",
    "Bérénice",
    "Maïwenn",
    "Salomé",
    "Léonie",
];
const PRENOMS_M: &[&str] = &[
    "Noé",
    "Léo",
    "Jérôme",
    "François",
    "Gaël",
    "Loïc",
    "Mathéo",
    "Raphaël",
    "Théo",
    "Benoît",
    "Hugo",
    "Lucas",
    "Adam",
    "Mohamed",
    "Youssef",
    "Éric",
    "Joël",
    "Noël",
    "Ousmane",
    "Timothée",
    "Anaël",
    "Élie",
    "Aurélien",
    "Jérémie",
    "Maël",
    "Côme",
    "Baptiste",
    "Stéphane",
    "Grégoire",
    "Ismaël",
];
const NOMS: &[&str] = &[
    "MARTIN",
    "BERNARD",
    "DUBOIS",
    "THOMAS",
    "ROBERT",
    "RICHARD",
    "PETIT",
    "DURAND",
    "LEROY",
    "MOREAU",
    "SIMON",
    "LAURENT",
    "LEFÈVRE",
    "MICHEL",
    "GARCIA",
    "DAVID",
    "BERTRAND",
    "ROUX",
    "VINCENT",
    "FOURNIER",
    "MOREL",
    "GIRARD",
    "ANDRÉ",
    "MERCIER",
    "DUPONT",
    "LAMBERT",
    "BONNET",
    "FRANÇOIS",
    "MARTINEZ",
    "N'DIAYE",
    "DIALLO",
    "NGUYEN",
    "ŒUVRARD",
    "BENOÎT",
    "GUÉRIN",
    "CHÂTEAU",
    "FAURÉ",
    "HÉBERT",
    "MÜLLER",
    "DE LA FONTAINE",
    "SAINT-ÉTIENNE",
    "LŒWY",
    "ÉMERY",
    "BOËLLE",
    "CÔTÉ",
    "KOWALČYK",
    "ŸSEUX",
    "PÉREZ",
    "LE GOFF",
    "D'ALMEIDA",
];
const RUES: &[&str] = &[
    "rue de la République",
    "avenue Jean Jaurès",
    "place du Théâtre",
    "rue Émile Zola",
    "boulevard de la Liberté",
    "allée des Châtaigniers",
    "impasse de l'Église",
    "chemin du Moulin",
    "rue Pasteur",
    "rue du Général de Gaulle",
    "résidence Les Œillets",
    "rue Noël Ménard",
    "square Jean-Baptiste Lebœuf",
];
/// Birth communes in France: INSEE code, département.
const COMMUNES_NAISS: &[(&str, &str)] = &[
    ("59350", "059"),
    ("59512", "059"),
    ("59599", "059"),
    ("75112", "075"),
    ("69123", "069"),
    ("13055", "013"),
    ("33063", "033"),
    ("31555", "031"),
    ("44109", "044"),
    ("67482", "067"),
    ("2A004", "02A"),
    ("97411", "974"),
];
/// Birth abroad: country code, town.
const NAISS_ETRANGER: &[(&str, &str)] = &[
    ("341", "DAKAR"),
    ("335", "BAMAKO"),
    ("350", "CASABLANCA"),
    ("352", "ORAN"),
    ("109", "MÜNCHEN"),
    ("139", "PORTO"),
    ("422", "CAJAMARCA"),
    ("243", "HANOÏ"),
    ("155", "KYIV"),
];
/// Towns of the schools: INSEE code, postcode, libellé postal, département.
const VILLES: &[(&str, &str, &str, &str)] = &[
    ("59350", "59000", "LILLE", "059"),
    ("59512", "59100", "ROUBAIX", "059"),
    ("14431", "14270", "MEZIDON VALLEE D AUGE", "014"),
    ("01053", "01000", "BOURG-EN-BRESSE", "001"),
    ("69123", "69003", "LYON", "069"),
    ("33063", "33000", "BORDEAUX", "033"),
    ("2A004", "20000", "AJACCIO", "02A"),
];

/// The collège MEFs: code, FORMATION, LIBELLE_LONG, LIBELLE_EDITION, MEFSTAT.
const MEFS: &[(&str, &str, &str, &str, &str)] = &[
    ("10010012110", "6EME", "6EME", "6ème", "21110010012"),
    ("10110001110", "5G", "5EME", "5ème", "21120010001"),
    ("10210001110", "4G", "4EME", "4ème", "21150010001"),
    ("10310019110", "3EME", "3EME", "3ème", "21160010019"),
];
const MEF_CM2: &str = "00310002220";
/// Subjects: CODE_MATIERE, CODE_GESTION, LIBELLE_COURT, LIBELLE_LONG.
const MATIERES: &[(&str, &str, &str, &str)] = &[
    ("020100", "FRANC", "FRANCAIS", "FRANCAIS"),
    ("061300", "MATHS", "MATHEMATIQUES", "MATHEMATIQUES"),
    ("030201", "AGL1", "ANGLAIS LV1", "ANGLAIS LV1"),
    ("030602", "ESP2", "ESPAGNOL LV2", "ESPAGNOL LV2"),
    ("030102", "ALL2", "ALLEMAND LV2", "ALLEMAND LV2"),
    (
        "020300",
        "LCALA",
        "LCA LATIN",
        "LANGUES ET CULTURES DE L'ANTIQUITE LATIN",
    ),
    (
        "020200",
        "LCAGR",
        "LCA GREC",
        "LANGUES ET CULTURES DE L'ANTIQUITE GREC",
    ),
];
const REGIMES: &[&str] = &["0", "0", "2", "24", "24", "24", "25", "21", "29"];
const PCS: &[&str] = &[
    "10", "21", "22", "23", "31", "33", "34", "35", "37", "38", "42", "43", "45", "46", "47", "48",
    "52", "53", "54", "55", "56", "62", "63", "65", "67", "68", "69", "74", "75", "77", "78", "85",
    "86", "99",
];

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

struct Builder {
    rng: Rng,
    school: usize,
    next_personne: u64,
    next_adresse: u64,
    ville: (&'static str, &'static str, &'static str, &'static str),
}

impl Builder {
    fn adresse(&mut self) -> Adresse {
        self.next_adresse += 1;
        let (insee, cp, lib, dept) = self.ville;
        let numero = 1 + self.rng.below(180);
        let rue = self.rng.pick(RUES);
        let bis = if self.rng.chance(8) { " bis" } else { "" };
        let ligne2 = self
            .rng
            .chance(15)
            .then(|| format!("Bâtiment {}", (b'A' + self.rng.below(6) as u8) as char));
        Adresse {
            adresse_id: 5_000_000 + self.school as u64 * 100_000 + self.next_adresse,
            lignes: [Some(format!("{numero}{bis} {rue}")), ligne2, None, None],
            boite_postale: None,
            code_postal: Some(cp.to_string()),
            libelle_postal: Some(lib.to_string()),
            code_commune_insee: Some(insee.to_string()),
            code_departement: Some(dept.to_string()),
            commune_etrangere: None,
            code_pays: Some(Pays::france()),
            ll_pays: Some("FRANCE".to_string()),
        }
    }

    fn personne(&mut self, civilite: Civilite, nom: &str, adresse_id: Option<u64>) -> Personne {
        self.next_personne += 1;
        let prenom = match civilite {
            Civilite::Madame => self.rng.pick(PRENOMS_F),
            _ => self.rng.pick(PRENOMS_M),
        };
        let id = 2_000_000 + self.school as u64 * 100_000 + self.next_personne;
        let mobile = format!("+336{:08}", self.rng.below(100_000_000));
        let mail_nom: String = crate::text::fold_key(nom)
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let mail_prenom: String = crate::text::fold_key(prenom)
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        Personne {
            personne_id: id,
            id_prv_per: None,
            civilite: Some(civilite),
            nom_de_famille: nom.to_string(),
            nom_usage: None,
            prenom: prenom.to_string(),
            tel_personnel: self
                .rng
                .chance(40)
                .then(|| format!("+333{:08}", self.rng.below(100_000_000))),
            tel_portable: self.rng.permille(950).then_some(mobile),
            tel_professionnel: self
                .rng
                .chance(20)
                .then(|| format!("+331{:08}", self.rng.below(100_000_000))),
            accepte_sms: Some(self.rng.chance(80)),
            mel: self
                .rng
                .chance(85)
                .then(|| format!("{mail_prenom}.{mail_nom}{}@exemple.test", id % 1000)),
            communication_adresse: Some(self.rng.chance(60)),
            adresse_id,
            code_profession: Some(Pcs::from_code(self.rng.pick::<&str>(PCS))),
        }
    }
}

/// Generates school number `index` (0-based) of a run with this seed.
pub fn generate_school(index: usize, pupils: usize, seed: u64) -> SynthSchool {
    let mut rng = Rng::new(seed.wrapping_mul(1_000_003).wrapping_add(index as u64));
    let ville = *rng.pick(VILLES);
    let dept: u32 = ville.3.trim_start_matches('0').parse().unwrap_or(20);
    let uai_digits =
        (dept * 10_000 + 1000 + (rng.below(8000) as u32 + index as u32 * 37) % 9000) % 10_000_000;
    let uai = Uai::from_digits(uai_digits)
        .unwrap_or_else(|| Uai::from_digits(593412).unwrap_or_else(|| unreachable!()));
    let annee: u16 = 2025;
    let horodatage = d(annee as i32 + 1, 6, 12)
        .and_hms_opt(18, 42, 7)
        .unwrap_or_default();
    let mut b = Builder {
        rng,
        school: index,
        next_personne: 0,
        next_adresse: 0,
        ville,
    };

    // Nomenclature.
    let mefs: Vec<Mef> = MEFS
        .iter()
        .map(|&(code, formation, ll, led, stat)| Mef {
            code_mef: code.to_string(),
            formation: Some(formation.to_string()),
            specialite: None,
            libelle_long: Some(ll.to_string()),
            libelle_edition: Some(led.to_string()),
            statut_mef: Some("1".into()),
            mef_rattachement: Some(code.to_string()),
            code_mefstat: Some(stat.to_string()),
            nb_opt_oblig: Some(if code == MEFS[0].0 { 1 } else { 2 }),
            nb_opt_mini: Some(if code == MEFS[0].0 { 1 } else { 2 }),
            renforcement_langues: Some(false),
            inscription_etab: Some(true),
            mef_origine: Some(true),
            mef_selectionne: Some(true),
            mef_selorig: Some(true),
            date_ouverture: Some(d(1992, 9, 1)),
            date_fermeture: Some(d(9999, 12, 31)),
        })
        .collect();
    let matieres: Vec<Matiere> = MATIERES
        .iter()
        .map(|&(code, gestion, lc, ll)| Matiere {
            code_matiere: code.to_string(),
            code_gestion: Some(gestion.to_string()),
            libelle_court: Some(lc.to_string()),
            libelle_long: Some(ll.to_string()),
            libelle_edition: Some(ll.to_lowercase()),
            matiere_etp: Some(true),
            code_matiere_nationale: None,
        })
        .collect();
    let mut programmes = Vec::new();
    let mut options_obligatoires = Vec::new();
    for (level, mef) in MEFS.iter().enumerate() {
        let mut add = |matiere: &str, modalite: ModaliteElection, horaire: f64| {
            programmes.push(Programme {
                code_mef: mef.0.to_string(),
                code_matiere: matiere.to_string(),
                code_modalite_elect: Some(modalite),
                horaire: Some(horaire),
            })
        };
        add("020100", ModaliteElection::TroncCommun, 4.5);
        add("061300", ModaliteElection::TroncCommun, 3.5);
        add(
            "030201",
            ModaliteElection::Obligatoire,
            if level == 0 { 4.0 } else { 3.0 },
        );
        options_obligatoires.push(OptionObligatoire {
            code_mef: mef.0.into(),
            code_matiere: "030201".into(),
            rang_option: 1,
        });
        if level > 0 {
            add("030602", ModaliteElection::Obligatoire, 2.5);
            add("030102", ModaliteElection::Obligatoire, 2.5);
            add(
                "020300",
                ModaliteElection::Facultatif,
                if level == 1 { 1.0 } else { 2.0 },
            );
            for lv2 in ["030602", "030102"] {
                options_obligatoires.push(OptionObligatoire {
                    code_mef: mef.0.into(),
                    code_matiere: lv2.into(),
                    rang_option: 2,
                });
            }
        }
        if level == 3 {
            add("020200", ModaliteElection::Facultatif, 2.0);
        }
    }

    // Pupils by level, divisions of about 28.
    let per_level: Vec<usize> = (0..4)
        .map(|l| pupils / 4 + usize::from(l < pupils % 4))
        .collect();
    let mut divisions = Vec::new();
    let mut groupes = Vec::new();
    let mut division_codes: Vec<Vec<String>> = Vec::new();
    for (level, &n) in per_level.iter().enumerate() {
        let count = n.div_ceil(28).max(1);
        let codes: Vec<String> = (0..count)
            .map(|k| format!("{} {}", 6 - level, (b'A' + (k % 26) as u8) as char))
            .collect();
        for code in &codes {
            divisions.push(Division {
                code_structure: code.clone(),
                libelle_long: Some(format!("{}ème {}", 6 - level, &code[2..])),
                code_contrat: None,
                mefs: vec![MEFS[level].0.to_string()],
            });
        }
        if level > 0 {
            groupes.push(Groupe {
                code_structure: format!("{}LAT", 6 - level),
                libelle_long: Some(format!("Latin {}ème", 6 - level)),
                divisions: codes.clone(),
                mefs: vec![MEFS[level].0.to_string()],
            });
        }
        division_codes.push(codes);
    }

    let mut eleves = Vec::with_capacity(pupils);
    let mut options = Vec::new();
    let mut structures = Vec::new();
    let mut personnes = Vec::new();
    let mut responsables = Vec::new();
    let mut adresses_eleves: Vec<Adresse> = Vec::new();
    let mut adresses_responsables = Vec::new();
    let mut levels: Vec<usize> = per_level
        .iter()
        .enumerate()
        .flat_map(|(l, &n)| std::iter::repeat_n(l, n))
        .collect();
    // Shuffle so that siblings land in different levels.
    for i in (1..levels.len()).rev() {
        let j = b.rng.below(i as u64 + 1) as usize;
        levels.swap(i, j);
    }
    let mut k = 0usize;
    let primaire =
        Uai::from_digits(dept * 10_000 + 8000 + b.rng.below(1000) as u32).map(|u| u.to_string());
    while k < pupils {
        let roll = b.rng.below(1000);
        let kids = if roll < 75 {
            2
        } else if roll < 85 {
            3
        } else {
            1
        }
        .min(pupils - k);
        let nom = b.rng.pick(NOMS).to_string();
        let separated = b.rng.chance(10);
        let placement = b.rng.permille(10);
        let tutor = !placement && b.rng.permille(10);
        let single = !separated && !placement && !tutor && b.rng.chance(6);
        let home = b.adresse();
        adresses_responsables.push(home.clone());
        let mut guardians: Vec<(Personne, Parente, bool)> = Vec::new();
        if placement {
            let mut p = b.personne(
                Civilite::Madame,
                "AIDE SOCIALE À L'ENFANCE",
                Some(home.adresse_id),
            );
            p.prenom = "Service".into();
            guardians.push((p, Parente::AideSocialeEnfance, true));
        } else if tutor {
            let tutor_name = *b.rng.pick(NOMS);
            let p = b.personne(Civilite::Monsieur, tutor_name, Some(home.adresse_id));
            guardians.push((p, Parente::Tuteur, true));
        } else {
            let mother_name = if b.rng.chance(30) {
                b.rng.pick(NOMS).to_string()
            } else {
                nom.clone()
            };
            guardians.push((
                b.personne(Civilite::Madame, &mother_name, Some(home.adresse_id)),
                Parente::Mere,
                true,
            ));
            if !single {
                let father_address = if separated {
                    let other = b.adresse();
                    adresses_responsables.push(other.clone());
                    other.adresse_id
                } else {
                    home.adresse_id
                };
                guardians.push((
                    b.personne(Civilite::Monsieur, &nom, Some(father_address)),
                    Parente::Pere,
                    !separated,
                ));
            }
        }
        let contact = b.rng.chance(10).then(|| {
            let civ = if b.rng.chance(50) {
                Civilite::Madame
            } else {
                Civilite::Monsieur
            };
            b.personne(civ, &nom, None)
        });
        for (p, ..) in &guardians {
            personnes.push(p.clone());
        }
        if let Some(c) = &contact {
            personnes.push(c.clone());
        }
        if !adresses_eleves
            .iter()
            .any(|a| a.adresse_id == home.adresse_id)
        {
            adresses_eleves.push(home.clone());
        }
        for _ in 0..kids {
            let level = levels[k];
            k += 1;
            let eleve_id = 1_000_000 + index as u64 * 100_000 + k as u64;
            let elenoet = format!("{}", 1000 + k);
            let sexe = if b.rng.chance(50) {
                Sexe::Feminin
            } else {
                Sexe::Masculin
            };
            let prenom = match sexe {
                Sexe::Feminin => *b.rng.pick(PRENOMS_F),
                _ => *b.rng.pick(PRENOMS_M),
            };
            let second = b.rng.chance(60).then(|| match sexe {
                Sexe::Feminin => b.rng.pick(PRENOMS_F).to_string(),
                _ => b.rng.pick(PRENOMS_M).to_string(),
            });
            let redoublant = b.rng.chance(3);
            let birth_year = annee as i32 - 11 - level as i32 - i32::from(redoublant);
            let naiss = d(birth_year, 1, 1) + chrono::Days::new(b.rng.below(365));
            let abroad = b.rng.chance(6);
            let (code_pays, ville_naiss, commune, dep_naiss) = if abroad {
                let (pays, ville) = *b.rng.pick(NAISS_ETRANGER);
                (Pays::from_code(pays), Some(ville.to_string()), None, None)
            } else {
                let (insee, dep) = *b.rng.pick(COMMUNES_NAISS);
                (
                    Pays::france(),
                    None,
                    Some(insee.to_string()),
                    Some(dep.to_string()),
                )
            };
            let nationalite = if abroad && b.rng.chance(60) {
                Nationalite(code_pays.clone())
            } else {
                Nationalite::from_code("100")
            };
            let divs = &division_codes[level];
            let division = divs[b.rng.below(divs.len() as u64) as usize].clone();
            let ine_digits = (seed
                .wrapping_mul(31)
                .wrapping_add(index as u64 * 7_919 + k as u64 * 104_729))
                % 1_000_000_000;
            let ine_text = format!(
                "{ine_digits:09}{}{}",
                (b'A' + b.rng.below(26) as u8) as char,
                (b'A' + (k % 26) as u8) as char
            );
            let scolarite_an_dernier = if level == 0 {
                Some(ScolariteAnDernier {
                    code_mef: Some(MEF_CM2.into()),
                    code_rne: primaire.clone(),
                    ..ScolariteAnDernier::default()
                })
            } else {
                let prev_level = if redoublant { level } else { level - 1 };
                let prev_divs = &division_codes[prev_level];
                Some(ScolariteAnDernier {
                    code_mef: Some(MEFS[prev_level].0.to_string()),
                    code_structure: Some(
                        prev_divs[b.rng.below(prev_divs.len() as u64) as usize].clone(),
                    ),
                    code_rne: Some(uai.to_string()),
                    ..ScolariteAnDernier::default()
                })
            };
            eleves.push(Eleve {
                eleve_id,
                elenoet: Some(elenoet.clone()),
                id_national: Ine::parse(&ine_text),
                ine_rnie: Some(ine_text.clone()),
                ine_bea: None,
                id_eleve_etab: Some(format!("{elenoet:0>5}{}", &uai.as_str()[1..7])),
                id_prv_ele: None,
                nom_de_famille: nom.clone(),
                nom_usage: None,
                prenom: prenom.to_string(),
                prenom2: second,
                prenom3: None,
                date_naiss: Some(naiss),
                code_sexe: Some(sexe),
                code_pays: Some(code_pays),
                code_pays_nat: Some(nationalite),
                code_departement_naiss: dep_naiss,
                code_commune_insee_naiss: commune,
                ville_naiss,
                doublement: Some(redoublant),
                code_regime: Some(Regime::from_code(b.rng.pick::<&str>(REGIMES))),
                code_statut: Some("ST".into()),
                code_mef: Some(MEFS[level].0.to_string()),
                code_provenance: None,
                date_entree: Some(d(annee as i32 - level as i32, 9, 1)),
                date_sortie: None,
                code_motif_sortie: None,
                date_modification: Some(d(annee as i32 + 1, 5, 1 + b.rng.below(28) as u32)),
                accepte_sms: Some(false),
                adhesion_transport: Some(b.rng.chance(15)),
                tel_personnel: None,
                tel_portable: (level >= 2 && b.rng.chance(30))
                    .then(|| format!("+337{:08}", b.rng.below(100_000_000))),
                tel_professionnel: None,
                mel: None,
                adresse_id: Some(home.adresse_id),
                scolarite_an_dernier,
            });
            let mut opts = vec![OptionEleve {
                num_option: Some(1),
                code_modalite_elect: Some(ModaliteElection::Obligatoire),
                code_matiere: "030201".into(),
            }];
            let mut structs = vec![StructureEleve {
                code_structure: division,
                type_structure: TypeStructure::Division,
            }];
            if level > 0 {
                let lv2 = if b.rng.chance(70) { "030602" } else { "030102" };
                opts.push(OptionEleve {
                    num_option: Some(2),
                    code_modalite_elect: Some(ModaliteElection::Obligatoire),
                    code_matiere: lv2.into(),
                });
                if b.rng.chance(20) {
                    opts.push(OptionEleve {
                        num_option: Some(3),
                        code_modalite_elect: Some(ModaliteElection::Facultatif),
                        code_matiere: "020300".into(),
                    });
                    structs.push(StructureEleve {
                        code_structure: format!("{}LAT", 6 - level),
                        type_structure: TypeStructure::Groupe,
                    });
                }
            }
            options.push(OptionsEleve {
                eleve_id,
                options: opts,
            });
            structures.push(StructuresEleve {
                eleve_id,
                structures: structs,
            });
            for (i, (p, parente, heberge)) in guardians.iter().enumerate() {
                responsables.push(ResponsableEleve {
                    eleve_id,
                    personne_id: p.personne_id,
                    niveau_responsabilite: Some(NiveauResponsabilite::RepresentantLegal),
                    resp_legal: None,
                    code_parente: Some(parente.clone()),
                    paie_frais_scolaires: Some(i == 0),
                    percoit_les_aides: Some(i == 0),
                    heberge_eleve: Some(*heberge || i == 0),
                    a_contacter_en_priorite: Some(i == 0),
                });
            }
            if let Some(c) = &contact {
                responsables.push(ResponsableEleve {
                    eleve_id,
                    personne_id: c.personne_id,
                    niveau_responsabilite: Some(NiveauResponsabilite::PersonneAContacter),
                    resp_legal: None,
                    code_parente: Some(Parente::Ascendant),
                    paie_frais_scolaires: Some(false),
                    percoit_les_aides: Some(false),
                    heberge_eleve: Some(false),
                    a_contacter_en_priorite: Some(false),
                });
            }
        }
    }

    SynthSchool {
        uai,
        annee_scolaire: annee,
        horodatage,
        mefs,
        matieres,
        programmes,
        options_obligatoires,
        divisions,
        groupes,
        eleves,
        options,
        structures,
        adresses_eleves,
        personnes,
        responsables,
        adresses_responsables,
    }
}

/// Writes XML in ISO-8859-15, escaping text; characters outside ISO-8859-15 become
/// numeric character references.
struct XmlOut<W: Write> {
    w: W,
    buf: String,
}

fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

impl<W: Write> XmlOut<W> {
    fn new(w: W) -> Self {
        XmlOut {
            w,
            buf: String::with_capacity(16 * 1024),
        }
    }

    fn raw(&mut self, s: &str) {
        self.buf.push_str(s);
    }

    fn open(&mut self, indent: usize, tag: &str, attrs: &[(&str, &str)]) {
        self.indent(indent);
        self.buf.push('<');
        self.buf.push_str(tag);
        for (k, v) in attrs {
            self.buf.push(' ');
            self.buf.push_str(k);
            self.buf.push_str("=\"");
            escape(v, &mut self.buf);
            self.buf.push('"');
        }
        self.buf.push_str(">\n");
    }

    fn close(&mut self, indent: usize, tag: &str) {
        self.indent(indent);
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push_str(">\n");
    }

    fn indent(&mut self, n: usize) {
        for _ in 0..n {
            self.buf.push_str("  ");
        }
    }

    /// `<TAG>value</TAG>`; nothing when `None`.
    fn leaf(&mut self, indent: usize, tag: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.indent(indent);
            self.buf.push('<');
            self.buf.push_str(tag);
            self.buf.push('>');
            escape(v, &mut self.buf);
            self.buf.push_str("</");
            self.buf.push_str(tag);
            self.buf.push_str(">\n");
        }
    }

    /// `<TAG>value</TAG>`, or `<TAG></TAG>` when `None` (as SIECLE does for address lines).
    fn leaf_or_empty(&mut self, indent: usize, tag: &str, value: Option<&str>) {
        match value {
            Some(_) => self.leaf(indent, tag, value),
            None => {
                self.indent(indent);
                self.buf.push_str(&format!("<{tag}></{tag}>\n"));
            }
        }
    }

    fn flush_if_big(&mut self) -> io::Result<()> {
        if self.buf.len() > 8 * 1024 {
            self.flush()
        } else {
            Ok(())
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        let (bytes, _, _) = encoding_rs::ISO_8859_15.encode(&self.buf);
        self.w.write_all(&bytes)?;
        self.buf.clear();
        Ok(())
    }
}

fn b01(b: Option<bool>) -> Option<&'static str> {
    b.map(|b| if b { "1" } else { "0" })
}

fn tf(b: Option<bool>) -> Option<&'static str> {
    b.map(|b| if b { "true" } else { "false" })
}

fn date(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year()))
}

impl SynthSchool {
    fn header<W: Write>(&self, out: &mut XmlOut<W>, root: &str, version: &str) {
        out.raw("<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?>\n");
        out.raw(&format!("<{root} VERSION=\"{version}\">\n"));
        out.open(1, "PARAMETRES", &[]);
        out.leaf(2, "UAJ", Some(self.uai.as_str()));
        out.leaf(2, "ANNEE_SCOLAIRE", Some(&self.annee_scolaire.to_string()));
        out.leaf(
            2,
            "DATE_EXPORT",
            Some(&self.horodatage.format("%d/%m/%Y").to_string()),
        );
        out.leaf(
            2,
            "HORODATAGE",
            Some(&self.horodatage.format("%d/%m/%Y %H:%M:%S").to_string()),
        );
        out.close(1, "PARAMETRES");
        out.open(1, "DONNEES", &[]);
    }

    fn write_adresses<W: Write>(out: &mut XmlOut<W>, adresses: &[Adresse]) -> io::Result<()> {
        out.open(2, "ADRESSES", &[]);
        for a in adresses {
            out.open(3, "ADRESSE", &[("ADRESSE_ID", &a.adresse_id.to_string())]);
            for (i, l) in a.lignes.iter().enumerate() {
                out.leaf_or_empty(4, &format!("LIGNE{}_ADRESSE", i + 1), l.as_deref());
            }
            out.leaf_or_empty(4, "COMMUNE_ETRANGERE", a.commune_etrangere.as_deref());
            out.leaf(4, "BOITE_POSTALE", a.boite_postale.as_deref());
            out.leaf(4, "CODE_POSTAL", a.code_postal.as_deref());
            out.leaf(4, "CODE_PAYS", a.code_pays.as_ref().map(Pays::code));
            out.leaf(4, "CODE_COMMUNE_INSEE", a.code_commune_insee.as_deref());
            out.leaf(4, "LL_PAYS", a.ll_pays.as_deref());
            out.leaf(4, "CODE_DEPARTEMENT", a.code_departement.as_deref());
            out.leaf(4, "LIBELLE_POSTAL", a.libelle_postal.as_deref());
            out.close(3, "ADRESSE");
            out.flush_if_big()?;
        }
        out.close(2, "ADRESSES");
        Ok(())
    }

    /// Writes ElevesAvecAdresses.xml (BEE_ELEVES).
    pub fn write_eleves<W: Write>(&self, w: W) -> io::Result<()> {
        let mut out = XmlOut::new(w);
        self.header(&mut out, "BEE_ELEVES", "3.0");
        out.open(2, "ELEVES", &[]);
        for e in &self.eleves {
            let id = e.eleve_id.to_string();
            let elenoet = e.elenoet.clone().unwrap_or_default();
            out.open(3, "ELEVE", &[("ELEVE_ID", &id), ("ELENOET", &elenoet)]);
            out.leaf(4, "ID_NATIONAL", e.id_national.as_ref().map(Ine::as_str));
            out.leaf(4, "INE_BEA", e.ine_bea.as_deref());
            out.leaf(4, "INE_RNIE", e.ine_rnie.as_deref());
            out.leaf(4, "ELENOET", e.elenoet.as_deref());
            out.leaf(4, "ID_ELEVE_ETAB", e.id_eleve_etab.as_deref());
            out.leaf(4, "ID_PRV_ELE", e.id_prv_ele.as_deref());
            out.leaf(4, "NOM_DE_FAMILLE", Some(&e.nom_de_famille));
            out.leaf(4, "NOM_USAGE", e.nom_usage.as_deref());
            out.leaf(4, "PRENOM", Some(&e.prenom));
            out.leaf(4, "PRENOM2", e.prenom2.as_deref());
            out.leaf(4, "PRENOM3", e.prenom3.as_deref());
            out.leaf(4, "DATE_NAISS", date(e.date_naiss).as_deref());
            out.leaf(4, "DOUBLEMENT", b01(e.doublement));
            out.leaf(4, "CODE_PAYS", e.code_pays.as_ref().map(Pays::code));
            out.leaf(4, "ACCEPTE_SMS", b01(e.accepte_sms));
            out.leaf(4, "DATE_MODIFICATION", date(e.date_modification).as_deref());
            out.leaf(4, "CODE_REGIME", e.code_regime.as_ref().map(Regime::code));
            out.leaf(4, "DATE_ENTREE", date(e.date_entree).as_deref());
            out.leaf(4, "DATE_SORTIE", date(e.date_sortie).as_deref());
            out.leaf(4, "CODE_MOTIF_SORTIE", e.code_motif_sortie.as_deref());
            out.leaf_or_empty(4, "VILLE_NAISS", e.ville_naiss.as_deref());
            out.leaf(4, "CODE_SEXE", e.code_sexe.as_ref().map(Sexe::code));
            out.leaf(
                4,
                "CODE_PAYS_NAT",
                e.code_pays_nat.as_ref().map(Nationalite::code),
            );
            out.leaf(4, "CODE_STATUT", e.code_statut.as_deref());
            out.leaf(4, "CODE_MEF", e.code_mef.as_deref());
            out.leaf(
                4,
                "CODE_DEPARTEMENT_NAISS",
                e.code_departement_naiss.as_deref(),
            );
            out.leaf(
                4,
                "CODE_COMMUNE_INSEE_NAISS",
                e.code_commune_insee_naiss.as_deref(),
            );
            out.leaf(4, "ADHESION_TRANSPORT", b01(e.adhesion_transport));
            out.leaf(4, "CODE_PROVENANCE", e.code_provenance.as_deref());
            out.leaf(4, "TEL_PERSONNEL", e.tel_personnel.as_deref());
            out.leaf(4, "TEL_PORTABLE", e.tel_portable.as_deref());
            out.leaf(4, "TEL_PROFESSIONNEL", e.tel_professionnel.as_deref());
            out.leaf(4, "MEL", e.mel.as_deref());
            out.leaf(
                4,
                "ADRESSE_ID",
                e.adresse_id.map(|a| a.to_string()).as_deref(),
            );
            if let Some(s) = &e.scolarite_an_dernier {
                out.open(4, "SCOLARITE_AN_DERNIER", &[]);
                out.leaf(5, "CODE_MEF", s.code_mef.as_deref());
                out.leaf_or_empty(5, "CODE_STRUCTURE", s.code_structure.as_deref());
                out.leaf(5, "CODE_RNE", s.code_rne.as_deref());
                out.leaf(5, "CODE_NATURE", s.code_nature.as_deref());
                out.leaf(5, "SIGLE", s.sigle.as_deref());
                out.leaf(5, "DENOM_PRINC", s.denom_princ.as_deref());
                out.leaf(5, "DENOM_COMPL", s.denom_compl.as_deref());
                out.leaf(5, "CODE_COMMUNE_INSEE", s.code_commune_insee.as_deref());
                out.leaf(5, "LL_COMMUNE_INSEE", s.ll_commune_insee.as_deref());
                out.close(4, "SCOLARITE_AN_DERNIER");
            }
            out.close(3, "ELEVE");
            out.flush_if_big()?;
        }
        out.close(2, "ELEVES");
        out.open(2, "OPTIONS", &[]);
        for o in &self.options {
            out.open(3, "OPTION", &[("ELEVE_ID", &o.eleve_id.to_string())]);
            for opt in &o.options {
                out.open(4, "OPTIONS_ELEVE", &[]);
                out.leaf(
                    5,
                    "NUM_OPTION",
                    opt.num_option.map(|n| n.to_string()).as_deref(),
                );
                out.leaf(
                    5,
                    "CODE_MODALITE_ELECT",
                    opt.code_modalite_elect.as_ref().map(ModaliteElection::code),
                );
                out.leaf(5, "CODE_MATIERE", Some(&opt.code_matiere));
                out.close(4, "OPTIONS_ELEVE");
            }
            out.close(3, "OPTION");
            out.flush_if_big()?;
        }
        out.close(2, "OPTIONS");
        out.open(2, "STRUCTURES", &[]);
        for s in &self.structures {
            out.open(
                3,
                "STRUCTURES_ELEVE",
                &[("ELEVE_ID", &s.eleve_id.to_string())],
            );
            for st in &s.structures {
                out.open(4, "STRUCTURE", &[]);
                out.leaf(5, "CODE_STRUCTURE", Some(&st.code_structure));
                out.leaf(5, "TYPE_STRUCTURE", Some(st.type_structure.code()));
                out.close(4, "STRUCTURE");
            }
            out.close(3, "STRUCTURES_ELEVE");
            out.flush_if_big()?;
        }
        out.close(2, "STRUCTURES");
        out.raw("    <BOURSES />\n");
        Self::write_adresses(&mut out, &self.adresses_eleves)?;
        out.close(1, "DONNEES");
        out.close(0, "BEE_ELEVES");
        out.flush()
    }

    /// Writes ResponsablesAvecAdresses.xml (BEE_RESPONSABLES).
    pub fn write_responsables<W: Write>(&self, w: W) -> io::Result<()> {
        let mut out = XmlOut::new(w);
        self.header(&mut out, "BEE_RESPONSABLES", "2.1");
        out.open(2, "PERSONNES", &[]);
        for p in &self.personnes {
            out.open(
                3,
                "PERSONNE",
                &[("PERSONNE_ID", &p.personne_id.to_string())],
            );
            out.leaf(4, "ID_PRV_PER", p.id_prv_per.as_deref());
            let (lc, ll) = match p.civilite {
                Some(Civilite::Madame) => (Some("MME"), Some("MADAME")),
                Some(Civilite::Monsieur) => (Some("M."), Some("MONSIEUR")),
                _ => (None, None),
            };
            out.leaf(4, "LC_CIVILITE", lc);
            out.leaf(4, "LL_CIVILITE", ll);
            out.leaf(4, "NOM_DE_FAMILLE", Some(&p.nom_de_famille));
            out.leaf(4, "NOM_USAGE", p.nom_usage.as_deref());
            out.leaf(4, "PRENOM", Some(&p.prenom));
            out.leaf_or_empty(4, "TEL_PERSONNEL", p.tel_personnel.as_deref());
            out.leaf_or_empty(4, "TEL_PORTABLE", p.tel_portable.as_deref());
            out.leaf(4, "ACCEPTE_SMS", b01(p.accepte_sms));
            out.leaf_or_empty(4, "TEL_PROFESSIONNEL", p.tel_professionnel.as_deref());
            out.leaf(4, "MEL", p.mel.as_deref());
            out.leaf(4, "COMMUNICATION_ADRESSE", b01(p.communication_adresse));
            out.leaf(
                4,
                "ADRESSE_ID",
                p.adresse_id.map(|a| a.to_string()).as_deref(),
            );
            out.leaf(
                4,
                "CODE_PROFESSION",
                p.code_profession.as_ref().map(Pcs::code),
            );
            out.close(3, "PERSONNE");
            out.flush_if_big()?;
        }
        out.close(2, "PERSONNES");
        out.open(2, "RESPONSABLES", &[]);
        for r in &self.responsables {
            out.open(3, "RESPONSABLE_ELEVE", &[]);
            out.leaf(4, "ELEVE_ID", Some(&r.eleve_id.to_string()));
            out.leaf(4, "PERSONNE_ID", Some(&r.personne_id.to_string()));
            out.leaf(
                4,
                "NIVEAU_RESPONSABILITE",
                r.niveau_responsabilite
                    .as_ref()
                    .map(NiveauResponsabilite::code),
            );
            out.leaf(
                4,
                "RESP_LEGAL",
                r.resp_legal.map(|n| n.to_string()).as_deref(),
            );
            out.leaf(
                4,
                "CODE_PARENTE",
                r.code_parente.as_ref().map(Parente::code),
            );
            out.leaf(4, "PAIE_FRAIS_SCOLAIRES", b01(r.paie_frais_scolaires));
            out.leaf(4, "PERCOIT_LES_AIDES", tf(r.percoit_les_aides));
            out.leaf(4, "HEBERGE_ELEVE", tf(r.heberge_eleve));
            out.leaf(4, "A_CONTACTER_EN_PRIORITE", tf(r.a_contacter_en_priorite));
            out.close(3, "RESPONSABLE_ELEVE");
            out.flush_if_big()?;
        }
        out.close(2, "RESPONSABLES");
        Self::write_adresses(&mut out, &self.adresses_responsables)?;
        out.close(1, "DONNEES");
        out.close(0, "BEE_RESPONSABLES");
        out.flush()
    }

    /// Writes Nomenclature.xml (BEE_NOMENCLATURES). CODE_GESTION and LIBELLE_COURT are
    /// space-padded to their fixed width, as in real files.
    pub fn write_nomenclature<W: Write>(&self, w: W) -> io::Result<()> {
        let mut out = XmlOut::new(w);
        self.header(&mut out, "BEE_NOMENCLATURES", "3.1");
        out.open(2, "MEFS", &[]);
        for m in &self.mefs {
            out.open(3, "MEF", &[("CODE_MEF", &m.code_mef)]);
            out.leaf(4, "FORMATION", m.formation.as_deref());
            out.leaf(4, "SPECIALITE", m.specialite.as_deref());
            out.leaf(4, "LIBELLE_LONG", m.libelle_long.as_deref());
            out.leaf(4, "LIBELLE_EDITION", m.libelle_edition.as_deref());
            out.leaf(4, "STATUT_MEF", m.statut_mef.as_deref());
            out.leaf(4, "MEF_RATTACHEMENT", m.mef_rattachement.as_deref());
            out.leaf(4, "CODE_MEFSTAT", m.code_mefstat.as_deref());
            out.leaf(
                4,
                "NB_OPT_OBLIG",
                m.nb_opt_oblig.map(|n| n.to_string()).as_deref(),
            );
            out.leaf(
                4,
                "NB_OPT_MINI",
                m.nb_opt_mini.map(|n| n.to_string()).as_deref(),
            );
            out.leaf(4, "RENFORCEMENT_LANGUES", b01(m.renforcement_langues));
            out.leaf(4, "INSCRIPTION_ETAB", b01(m.inscription_etab));
            out.leaf(4, "MEF_ORIGINE", b01(m.mef_origine));
            out.leaf(4, "MEF_SELECTIONNE", b01(m.mef_selectionne));
            out.leaf(4, "MEF_SELORIG", b01(m.mef_selorig));
            out.leaf(4, "DATE_OUVERTURE", date(m.date_ouverture).as_deref());
            out.leaf(4, "DATE_FERMETURE", date(m.date_fermeture).as_deref());
            out.close(3, "MEF");
        }
        out.close(2, "MEFS");
        out.open(2, "MATIERES", &[]);
        for m in &self.matieres {
            out.open(3, "MATIERE", &[("CODE_MATIERE", &m.code_matiere)]);
            out.leaf(
                4,
                "CODE_GESTION",
                m.code_gestion
                    .as_ref()
                    .map(|c| format!("{c:<5}"))
                    .as_deref(),
            );
            out.leaf(
                4,
                "LIBELLE_COURT",
                m.libelle_court
                    .as_ref()
                    .map(|c| format!("{c:<20}"))
                    .as_deref(),
            );
            out.leaf(4, "LIBELLE_LONG", m.libelle_long.as_deref());
            out.leaf(4, "LIBELLE_EDITION", m.libelle_edition.as_deref());
            out.leaf(4, "MATIERE_ETP", b01(m.matiere_etp));
            out.leaf(
                4,
                "CODE_MATIERE_NATIONALE",
                m.code_matiere_nationale.as_deref(),
            );
            out.close(3, "MATIERE");
        }
        out.close(2, "MATIERES");
        out.open(2, "PROGRAMMES", &[]);
        for p in &self.programmes {
            out.open(3, "PROGRAMME", &[]);
            out.leaf(4, "CODE_MEF", Some(&p.code_mef));
            out.leaf(4, "CODE_MATIERE", Some(&p.code_matiere));
            out.leaf(
                4,
                "CODE_MODALITE_ELECT",
                p.code_modalite_elect.as_ref().map(ModaliteElection::code),
            );
            out.leaf(
                4,
                "HORAIRE",
                p.horaire.map(|h| format!("{h:.2}")).as_deref(),
            );
            out.close(3, "PROGRAMME");
        }
        out.close(2, "PROGRAMMES");
        out.open(2, "OPTIONS_OBLIGATOIRES", &[]);
        for o in &self.options_obligatoires {
            out.open(3, "OPTION_OBLIGATOIRE", &[]);
            out.leaf(4, "CODE_MEF", Some(&o.code_mef));
            out.leaf(4, "CODE_MATIERE", Some(&o.code_matiere));
            out.leaf(4, "RANG_OPTION", Some(&o.rang_option.to_string()));
            out.close(3, "OPTION_OBLIGATOIRE");
        }
        out.close(2, "OPTIONS_OBLIGATOIRES");
        out.close(1, "DONNEES");
        out.close(0, "BEE_NOMENCLATURES");
        out.flush()
    }

    /// Writes Structures.xml (BEE_STRUCTURES).
    pub fn write_structures<W: Write>(&self, w: W) -> io::Result<()> {
        let mut out = XmlOut::new(w);
        self.header(&mut out, "BEE_STRUCTURES", "2.0");
        out.open(2, "DIVISIONS", &[]);
        for dv in &self.divisions {
            out.open(3, "DIVISION", &[("CODE_STRUCTURE", &dv.code_structure)]);
            out.leaf(4, "LIBELLE_LONG", dv.libelle_long.as_deref());
            out.leaf(4, "CODE_CONTRAT", dv.code_contrat.as_deref());
            out.open(4, "MEFS_APPARTENANCE", &[]);
            for m in &dv.mefs {
                out.open(5, "MEF_APPARTENANCE", &[]);
                out.leaf(6, "CODE_MEF", Some(m));
                out.close(5, "MEF_APPARTENANCE");
            }
            out.close(4, "MEFS_APPARTENANCE");
            out.close(3, "DIVISION");
        }
        out.close(2, "DIVISIONS");
        out.open(2, "GROUPES", &[]);
        for g in &self.groupes {
            out.open(3, "GROUPE", &[("CODE_STRUCTURE", &g.code_structure)]);
            out.leaf(4, "LIBELLE_LONG", g.libelle_long.as_deref());
            out.open(4, "DIVISIONS_APPARTENANCE", &[]);
            for dv in &g.divisions {
                out.open(5, "DIVISION_APPARTENANCE", &[]);
                out.leaf(6, "CODE_STRUCTURE", Some(dv));
                out.close(5, "DIVISION_APPARTENANCE");
            }
            out.close(4, "DIVISIONS_APPARTENANCE");
            out.open(4, "MEFS_APPARTENANCE", &[]);
            for m in &g.mefs {
                out.open(5, "MEF_APPARTENANCE", &[]);
                out.leaf(6, "CODE_MEF", Some(m));
                out.close(5, "MEF_APPARTENANCE");
            }
            out.close(4, "MEFS_APPARTENANCE");
            out.close(3, "GROUPE");
        }
        out.close(2, "GROUPES");
        out.close(1, "DONNEES");
        out.close(0, "BEE_STRUCTURES");
        out.flush()
    }

    /// Writes the four files under their SIECLE names into `dir` (which must exist).
    /// The only function of the crate that touches the file system, for the CLI.
    pub fn write_all_to_dir(&self, dir: &std::path::Path) -> io::Result<()> {
        let file = |name: &str| std::fs::File::create(dir.join(name)).map(io::BufWriter::new);
        self.write_eleves(file(FICHIER_ELEVES)?)?;
        self.write_responsables(file(FICHIER_RESPONSABLES)?)?;
        self.write_nomenclature(file(FICHIER_NOMENCLATURE)?)?;
        self.write_structures(file(FICHIER_STRUCTURES)?)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_seed_dependent() {
        let a: Vec<_> = generate(2, 60, 7).collect();
        let b: Vec<_> = generate(2, 60, 7).collect();
        let c: Vec<_> = generate(2, 60, 8).collect();
        assert_eq!(a, b);
        assert_ne!(a[0].eleves, c[0].eleves);
        let mut x = Vec::new();
        let mut y = Vec::new();
        a[0].write_eleves(&mut x).unwrap();
        b[0].write_eleves(&mut y).unwrap();
        assert_eq!(x, y);
    }

    #[test]
    fn uais_are_valid_and_distinct() {
        let schools: Vec<_> = generate(20, 4, 1).collect();
        let mut uais: Vec<_> = schools.iter().map(|s| s.uai.clone()).collect();
        assert!(uais.iter().all(Uai::has_valid_check_letter));
        uais.sort();
        uais.dedup();
        assert_eq!(uais.len(), 20);
    }

    #[test]
    fn families_look_real() {
        let s = generate_school(0, 1000, 3);
        assert_eq!(s.eleves.len(), 1000);
        // Siblings: pupils sharing their first guardian.
        let mut by_guardian = std::collections::HashMap::<u64, usize>::new();
        for r in s
            .responsables
            .iter()
            .filter(|r| r.a_contacter_en_priorite == Some(true))
        {
            *by_guardian.entry(r.personne_id).or_default() += 1;
        }
        let siblings: usize = by_guardian.values().filter(|&&n| n > 1).sum();
        assert!((100..=250).contains(&siblings), "{siblings} siblings");
        // Separated parents: the father lives elsewhere.
        let separated = s
            .responsables
            .iter()
            .filter(|r| r.code_parente == Some(Parente::Pere) && r.heberge_eleve == Some(false))
            .count();
        assert!(
            (40..=160).contains(&separated),
            "{separated} pupils with separated parents"
        );
        let ines: std::collections::HashSet<_> = s
            .eleves
            .iter()
            .map(|e| e.id_national.clone().unwrap())
            .collect();
        assert_eq!(ines.len(), 1000);
        for level in MEFS {
            assert!(
                s.eleves
                    .iter()
                    .any(|e| e.code_mef.as_deref() == Some(level.0))
            );
        }
    }
}
