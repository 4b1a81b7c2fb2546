//! The collège nomenclature of every synthetic school (its MEFs 6e→3e, subjects,
//! programmes and mandatory options) and its structures (divisions and groups).

use crate::codes::ModaliteElection;
use crate::nomenclatures::{Matiere, Mef, OptionObligatoire, Programme};
use crate::structures::{Division, Groupe};

use super::data::d;

/// The collège MEFs: code, FORMATION, LIBELLE_LONG, LIBELLE_EDITION, MEFSTAT.
pub(super) const MEFS: &[(&str, &str, &str, &str, &str)] = &[
    ("10010012110", "6EME", "6EME", "6ème", "21110010012"),
    ("10110001110", "5G", "5EME", "5ème", "21120010001"),
    ("10210001110", "4G", "4EME", "4ème", "21150010001"),
    ("10310019110", "3EME", "3EME", "3ème", "21160010019"),
];
pub(super) const MEF_CM2: &str = "00310002220";
/// Subjects: CODE_MATIERE, CODE_GESTION, LIBELLE_COURT, LIBELLE_LONG.
pub(super) const MATIERES: &[(&str, &str, &str, &str)] = &[
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

/// Provenances (bloc PROVENANCES): CODE_PROVENANCE, LIBELLE_COURT, LIBELLE_LONG
/// (synthetic labels).
pub(super) const PROVENANCES: &[(&str, &str, &str)] = &[
    ("1", "MEME ETAB", "MEME ETABLISSEMENT"),
    ("2", "PUB ACAD", "ETABLISSEMENT PUBLIC DE L'ACADEMIE"),
    ("3", "PUB H ACAD", "ETABLISSEMENT PUBLIC HORS ACADEMIE"),
    ("4", "PRIVE", "ETABLISSEMENT PRIVE"),
    ("5", "ETRANGER", "ETABLISSEMENT A L'ETRANGER"),
];

/// The nomenclature records of a school.
pub(super) struct Nomenclature {
    pub mefs: Vec<Mef>,
    pub matieres: Vec<Matiere>,
    pub programmes: Vec<Programme>,
    pub options_obligatoires: Vec<OptionObligatoire>,
}

/// The nomenclature every synthetic school shares.
pub(super) fn nomenclature() -> Nomenclature {
    let (programmes, options_obligatoires) = programmes();
    Nomenclature {
        mefs: mefs(),
        matieres: matieres(),
        programmes,
        options_obligatoires,
    }
}

/// The MEFs of the four levels.
fn mefs() -> Vec<Mef> {
    MEFS.iter()
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
        .collect()
}

/// The subjects taught.
fn matieres() -> Vec<Matiere> {
    MATIERES
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
        .collect()
}

/// What each level studies (French, maths, English; two LV2 and Latin from 5e; Greek
/// in 3e), and the options a pupil must choose (LV1, then the LV2).
fn programmes() -> (Vec<Programme>, Vec<OptionObligatoire>) {
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
    (programmes, options_obligatoires)
}

/// Pupils per level: `pupils` shared out over the four levels, the first levels
/// taking the remainder.
pub(super) fn pupils_per_level(pupils: usize) -> Vec<usize> {
    (0..4)
        .map(|l| pupils / 4 + usize::from(l < pupils % 4))
        .collect()
}

/// The divisions and groups of a school.
pub(super) struct Structures {
    pub divisions: Vec<Division>,
    pub groupes: Vec<Groupe>,
    /// The division codes of each level (« 6 A », « 6 B »…).
    pub division_codes: Vec<Vec<String>>,
}

/// Divisions of about 28 pupils per level, and a Latin group per level from 5e.
pub(super) fn structures(per_level: &[usize]) -> Structures {
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
    Structures {
        divisions,
        groupes,
        division_codes,
    }
}
