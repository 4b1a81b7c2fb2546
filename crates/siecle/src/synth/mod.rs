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

mod data;
mod families;
mod nomenclature;
mod rng;
#[cfg(feature = "xlsx")]
mod tableur;
mod write;
mod xml_out;

use chrono::{NaiveDate, NaiveDateTime};

use crate::codes::{
    Civilite, ModaliteElection, Nationalite, NiveauResponsabilite, Parente, Pays, Regime, Sexe,
    TypeStructure,
};
use crate::eleves::{
    Eleve, OptionEleve, OptionsEleve, ScolariteAnDernier, StructureEleve, StructuresEleve,
};
use crate::nomenclatures::{Matiere, Mef, OptionObligatoire, Programme};
use crate::responsables::{Personne, ResponsableEleve};
use crate::structures::{Division, Groupe};
use crate::types::{Adresse, Ine, Uai};

use data::{COMMUNES_NAISS, NAISS_ETRANGER, NOMS, PRENOMS_F, PRENOMS_M, REGIMES, VILLES};
use families::Builder;
use nomenclature::{MATIERES, MEF_CM2, MEFS};
use rng::Rng;

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

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
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
