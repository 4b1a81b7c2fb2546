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
mod pupils;
mod rng;
#[cfg(feature = "xlsx")]
mod tableur;
mod write;
mod xml_out;

use chrono::NaiveDateTime;

use crate::eleves::{Eleve, OptionsEleve, StructuresEleve};
use crate::nomenclatures::{Matiere, Mef, OptionObligatoire, Programme};
use crate::responsables::{Personne, ResponsableEleve};
use crate::structures::{Division, Groupe};
use crate::types::{Adresse, Uai};

use data::{VILLES, d};
use families::{Builder, Family};
use pupils::{Pupil, PupilContext};
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
    let mut b = Builder::new(rng, index, ville);
    let per_level = nomenclature::pupils_per_level(pupils);
    let nomenclature::Structures {
        divisions,
        groupes,
        division_codes,
    } = nomenclature::structures(&per_level);
    let levels = b.shuffled_levels(&per_level);
    let primaire =
        Uai::from_digits(dept * 10_000 + 8000 + b.rng.below(1000) as u32).map(|u| u.to_string());
    let ctx = PupilContext {
        index,
        seed,
        annee,
        uai: uai.clone(),
        primaire,
        division_codes: &division_codes,
    };
    let mut school = SynthSchool::empty(uai, annee, horodatage, divisions, groupes);
    let mut k = 0usize;
    while k < pupils {
        let family = b.family(pupils - k);
        school.add_family(&family);
        for _ in 0..family.kids {
            let level = levels[k];
            k += 1;
            school.add_pupil(b.pupil(&ctx, &family, level, k));
        }
    }
    school
}

impl SynthSchool {
    /// A school with its nomenclature and structures, and no one in it yet.
    fn empty(
        uai: Uai,
        annee_scolaire: u16,
        horodatage: NaiveDateTime,
        divisions: Vec<Division>,
        groupes: Vec<Groupe>,
    ) -> Self {
        let nomenclature = nomenclature::nomenclature();
        SynthSchool {
            uai,
            annee_scolaire,
            horodatage,
            mefs: nomenclature.mefs,
            matieres: nomenclature.matieres,
            programmes: nomenclature.programmes,
            options_obligatoires: nomenclature.options_obligatoires,
            divisions,
            groupes,
            eleves: Vec::new(),
            options: Vec::new(),
            structures: Vec::new(),
            adresses_eleves: Vec::new(),
            personnes: Vec::new(),
            responsables: Vec::new(),
            adresses_responsables: Vec::new(),
        }
    }

    /// Adds a family's guardians, contact and addresses (its home is the pupils' address).
    fn add_family(&mut self, family: &Family) {
        self.adresses_responsables
            .extend(family.adresses.iter().cloned());
        for g in &family.guardians {
            self.personnes.push(g.personne.clone());
        }
        if let Some(c) = &family.contact {
            self.personnes.push(c.clone());
        }
        if !self
            .adresses_eleves
            .iter()
            .any(|a| a.adresse_id == family.home.adresse_id)
        {
            self.adresses_eleves.push(family.home.clone());
        }
    }

    fn add_pupil(&mut self, pupil: Pupil) {
        self.eleves.push(pupil.eleve);
        self.options.push(pupil.options);
        self.structures.push(pupil.structures);
        self.responsables.extend(pupil.responsables);
    }
}

#[cfg(test)]
mod tests {
    use super::nomenclature::MEFS;
    use super::*;
    use crate::codes::Parente;

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
