//! Pupils: names, birth, INE, last year's schooling, options, structures, and the
//! links to their family's guardians.
//!
//! The order of the draws from the random source is part of the output: moving a
//! draw changes every file generated after it (`tests/all/synth.rs` pins the hashes).

use crate::codes::{
    ModaliteElection, Nationalite, NiveauResponsabilite, Parente, Pays, Regime, Sexe, TypeStructure,
};
use crate::eleves::{
    Eleve, OptionEleve, OptionsEleve, ScolariteAnDernier, StructureEleve, StructuresEleve,
};
use crate::responsables::ResponsableEleve;
use crate::types::{Ine, Uai};

use super::data::{COMMUNES_NAISS, NAISS_ETRANGER, PRENOMS_F, PRENOMS_M, REGIMES, d};
use super::families::{Builder, Family};
use super::nomenclature::{MEF_CM2, MEFS};

/// What the pupils of one school share.
pub(super) struct PupilContext<'a> {
    /// The school's number in the run (0-based).
    pub index: usize,
    /// The seed of the run.
    pub seed: u64,
    /// School year (starting year).
    pub annee: u16,
    /// The school.
    pub uai: Uai,
    /// The primary school the 6e pupils come from.
    pub primaire: Option<String>,
    /// The division codes of each level.
    pub division_codes: &'a [Vec<String>],
}

/// A generated pupil with its records in the ELEVES and RESPONSABLES exports.
pub(super) struct Pupil {
    pub eleve: Eleve,
    pub options: OptionsEleve,
    pub structures: StructuresEleve,
    pub responsables: Vec<ResponsableEleve>,
}

/// Where a pupil was born, and their nationality.
struct Birthplace {
    code_pays: Pays,
    ville_naiss: Option<String>,
    commune: Option<String>,
    dep_naiss: Option<String>,
    nationalite: Nationalite,
}

impl Builder {
    /// Pupil number `k` of the school (1-based), a child of `family`, at `level` (0 is 6e).
    pub(super) fn pupil(
        &mut self,
        ctx: &PupilContext<'_>,
        family: &Family,
        level: usize,
        k: usize,
    ) -> Pupil {
        let eleve_id = 1_000_000 + ctx.index as u64 * 100_000 + k as u64;
        let elenoet = format!("{}", 1000 + k);
        let (sexe, prenom, second) = self.first_names();
        let redoublant = self.rng.chance(3);
        let birth_year = ctx.annee as i32 - 11 - level as i32 - i32::from(redoublant);
        let naiss = d(birth_year, 1, 1) + chrono::Days::new(self.rng.below(365));
        let birthplace = self.birthplace();
        let divs = &ctx.division_codes[level];
        let division = divs[self.rng.below(divs.len() as u64) as usize].clone();
        let ine_text = self.ine(ctx, k);
        let scolarite_an_dernier = self.last_year(ctx, level, redoublant);
        let annee = ctx.annee;
        let eleve = Eleve {
            eleve_id,
            elenoet: Some(elenoet.clone()),
            id_national: Ine::parse(&ine_text),
            ine_rnie: Some(ine_text.clone()),
            ine_bea: None,
            id_eleve_etab: Some(format!("{elenoet:0>5}{}", &ctx.uai.as_str()[1..7])),
            id_prv_ele: None,
            nom_de_famille: family.nom.clone(),
            nom_usage: None,
            prenom: prenom.to_string(),
            prenom2: second,
            prenom3: None,
            date_naiss: Some(naiss),
            code_sexe: Some(sexe),
            code_pays: Some(birthplace.code_pays),
            code_pays_nat: Some(birthplace.nationalite),
            code_departement_naiss: birthplace.dep_naiss,
            code_commune_insee_naiss: birthplace.commune,
            ville_naiss: birthplace.ville_naiss,
            doublement: Some(redoublant),
            code_regime: Some(Regime::from_code(self.rng.pick::<&str>(REGIMES))),
            code_statut: Some("ST".into()),
            code_mef: Some(MEFS[level].0.to_string()),
            // SIECLE always exports it; "1", as the tests of the return file had it.
            code_provenance: Some("1".into()),
            date_entree: Some(d(annee as i32 - level as i32, 9, 1)),
            date_sortie: None,
            code_motif_sortie: None,
            date_modification: Some(d(annee as i32 + 1, 5, 1 + self.rng.below(28) as u32)),
            accepte_sms: Some(false),
            adhesion_transport: Some(self.rng.chance(15)),
            tel_personnel: None,
            tel_portable: (level >= 2 && self.rng.chance(30))
                .then(|| format!("+337{:08}", self.rng.below(100_000_000))),
            tel_professionnel: None,
            mel: None,
            adresse_id: Some(family.home.adresse_id),
            scolarite_an_dernier,
        };
        let (options, structures) = self.options_and_structures(eleve_id, level, division);
        Pupil {
            eleve,
            options,
            structures,
            responsables: links(eleve_id, family),
        }
    }

    /// Sex, first name and, for 60 % of pupils, a second first name.
    fn first_names(&mut self) -> (Sexe, &'static str, Option<String>) {
        let sexe = if self.rng.chance(50) {
            Sexe::Feminin
        } else {
            Sexe::Masculin
        };
        let prenom = match sexe {
            Sexe::Feminin => *self.rng.pick(PRENOMS_F),
            _ => *self.rng.pick(PRENOMS_M),
        };
        let second = self.rng.chance(60).then(|| match sexe {
            Sexe::Feminin => self.rng.pick(PRENOMS_F).to_string(),
            _ => self.rng.pick(PRENOMS_M).to_string(),
        });
        (sexe, prenom, second)
    }

    /// Born abroad for 6 % of pupils (60 % of them with that country's nationality),
    /// in a French commune for the others.
    fn birthplace(&mut self) -> Birthplace {
        let abroad = self.rng.chance(6);
        let (code_pays, ville_naiss, commune, dep_naiss) = if abroad {
            let (pays, ville) = *self.rng.pick(NAISS_ETRANGER);
            (Pays::from_code(pays), Some(ville.to_string()), None, None)
        } else {
            let (insee, dep) = *self.rng.pick(COMMUNES_NAISS);
            (
                Pays::france(),
                None,
                Some(insee.to_string()),
                Some(dep.to_string()),
            )
        };
        let nationalite = if abroad && self.rng.chance(60) {
            Nationalite(code_pays.clone())
        } else {
            Nationalite::from_code("100")
        };
        Birthplace {
            code_pays,
            ville_naiss,
            commune,
            dep_naiss,
            nationalite,
        }
    }

    /// An INE in the 9 digits + 2 letters shape, distinct within a run.
    fn ine(&mut self, ctx: &PupilContext<'_>, k: usize) -> String {
        let ine_digits = (ctx
            .seed
            .wrapping_mul(31)
            .wrapping_add(ctx.index as u64 * 7_919 + k as u64 * 104_729))
            % 1_000_000_000;
        format!(
            "{ine_digits:09}{}{}",
            (b'A' + self.rng.below(26) as u8) as char,
            (b'A' + (k % 26) as u8) as char
        )
    }

    /// Last year's schooling: a CM2 in the primary school for 6e pupils, the level
    /// below (or the same level for a pupil repeating it) in this school for others.
    fn last_year(
        &mut self,
        ctx: &PupilContext<'_>,
        level: usize,
        redoublant: bool,
    ) -> Option<ScolariteAnDernier> {
        if level == 0 {
            return Some(ScolariteAnDernier {
                code_mef: Some(MEF_CM2.into()),
                code_rne: ctx.primaire.clone(),
                ..ScolariteAnDernier::default()
            });
        }
        let prev_level = if redoublant { level } else { level - 1 };
        let prev_divs = &ctx.division_codes[prev_level];
        Some(ScolariteAnDernier {
            code_mef: Some(MEFS[prev_level].0.to_string()),
            code_structure: Some(
                prev_divs[self.rng.below(prev_divs.len() as u64) as usize].clone(),
            ),
            code_rne: Some(ctx.uai.to_string()),
            ..ScolariteAnDernier::default()
        })
    }

    /// English LV1 for all; from 5e an LV2 (70 % Spanish, 30 % German) and, for 20 %,
    /// Latin with its group.
    fn options_and_structures(
        &mut self,
        eleve_id: u64,
        level: usize,
        division: String,
    ) -> (OptionsEleve, StructuresEleve) {
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
            let lv2 = if self.rng.chance(70) {
                "030602"
            } else {
                "030102"
            };
            opts.push(OptionEleve {
                num_option: Some(2),
                code_modalite_elect: Some(ModaliteElection::Obligatoire),
                code_matiere: lv2.into(),
            });
            if self.rng.chance(20) {
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
        (
            OptionsEleve {
                eleve_id,
                options: opts,
            },
            StructuresEleve {
                eleve_id,
                structures: structs,
            },
        )
    }
}

/// The pupil's links to the family: the first guardian pays, receives the aids and is
/// the first contact; a grandparent, if any, is a person to contact.
fn links(eleve_id: u64, family: &Family) -> Vec<ResponsableEleve> {
    let mut responsables = Vec::new();
    for (i, g) in family.guardians.iter().enumerate() {
        responsables.push(ResponsableEleve {
            eleve_id,
            personne_id: g.personne.personne_id,
            niveau_responsabilite: Some(NiveauResponsabilite::RepresentantLegal),
            resp_legal: None,
            code_parente: Some(g.parente.clone()),
            paie_frais_scolaires: Some(i == 0),
            percoit_les_aides: Some(i == 0),
            heberge_eleve: Some(g.heberge || i == 0),
            a_contacter_en_priorite: Some(i == 0),
        });
    }
    if let Some(c) = &family.contact {
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
    responsables
}
