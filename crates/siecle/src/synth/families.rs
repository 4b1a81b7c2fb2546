//! Guardians and their addresses: the part of the generator that builds families.

use crate::codes::{Civilite, Parente, Pays, Pcs};
use crate::responsables::Personne;
use crate::types::Adresse;

use super::data::{NOMS, PCS, PRENOMS_F, PRENOMS_M, RUES};
use super::rng::Rng;

/// A town of the data lists: INSEE code, postcode, libellé postal, département.
pub(super) type Ville = (&'static str, &'static str, &'static str, &'static str);

/// A legal guardian of a family.
pub(super) struct Guardian {
    pub personne: Personne,
    pub parente: Parente,
    /// Whether the children live with this guardian.
    pub heberge: bool,
}

/// One family: its surname, its home, its guardians, maybe a grandparent to contact,
/// and how many of the school's pupils are its children.
pub(super) struct Family {
    pub kids: usize,
    pub nom: String,
    pub home: Adresse,
    /// The home, then the father's address when the parents are separated.
    pub adresses: Vec<Adresse>,
    pub guardians: Vec<Guardian>,
    pub contact: Option<Personne>,
}

/// Draws the people of one school: its random source and the counters of its ids.
pub(super) struct Builder {
    pub(super) rng: Rng,
    school: usize,
    next_personne: u64,
    next_adresse: u64,
    ville: Ville,
}

impl Builder {
    pub(super) fn new(rng: Rng, school: usize, ville: Ville) -> Self {
        Builder {
            rng,
            school,
            next_personne: 0,
            next_adresse: 0,
            ville,
        }
    }

    /// The level of each pupil (0 is 6e), shuffled so that siblings land in
    /// different levels.
    pub(super) fn shuffled_levels(&mut self, per_level: &[usize]) -> Vec<usize> {
        let mut levels: Vec<usize> = per_level
            .iter()
            .enumerate()
            .flat_map(|(l, &n)| std::iter::repeat_n(l, n))
            .collect();
        for i in (1..levels.len()).rev() {
            let j = self.rng.below(i as u64 + 1) as usize;
            levels.swap(i, j);
        }
        levels
    }

    /// A family with at most `max_kids` children at the school: 7.5 % have two, 1 %
    /// three; 10 % are separated parents at two addresses, 1 % a placement (ASE), 1 %
    /// a tutor, 6 % of the others a single mother; 10 % have a grandparent to contact.
    pub(super) fn family(&mut self, max_kids: usize) -> Family {
        let roll = self.rng.below(1000);
        let kids = if roll < 75 {
            2
        } else if roll < 85 {
            3
        } else {
            1
        }
        .min(max_kids);
        let nom = self.rng.pick(NOMS).to_string();
        let separated = self.rng.chance(10);
        let placement = self.rng.permille(10);
        let tutor = !placement && self.rng.permille(10);
        let single = !separated && !placement && !tutor && self.rng.chance(6);
        let home = self.adresse();
        let mut adresses = vec![home.clone()];
        let guardians = if placement {
            let mut p = self.personne(
                Civilite::Madame,
                "AIDE SOCIALE À L'ENFANCE",
                Some(home.adresse_id),
            );
            p.prenom = "Service".into();
            vec![guardian(p, Parente::AideSocialeEnfance, true)]
        } else if tutor {
            let tutor_name = *self.rng.pick(NOMS);
            let p = self.personne(Civilite::Monsieur, tutor_name, Some(home.adresse_id));
            vec![guardian(p, Parente::Tuteur, true)]
        } else {
            self.parents(&nom, &home, separated, single, &mut adresses)
        };
        let contact = self.rng.chance(10).then(|| {
            let civ = if self.rng.chance(50) {
                Civilite::Madame
            } else {
                Civilite::Monsieur
            };
            self.personne(civ, &nom, None)
        });
        Family {
            kids,
            nom,
            home,
            adresses,
            guardians,
            contact,
        }
    }

    /// The mother (30 % with a surname of her own) and, unless she is alone, the
    /// father, at a second address (pushed on `adresses`) when they are separated.
    fn parents(
        &mut self,
        nom: &str,
        home: &Adresse,
        separated: bool,
        single: bool,
        adresses: &mut Vec<Adresse>,
    ) -> Vec<Guardian> {
        let mother_name = if self.rng.chance(30) {
            self.rng.pick(NOMS).to_string()
        } else {
            nom.to_string()
        };
        let mut guardians = vec![guardian(
            self.personne(Civilite::Madame, &mother_name, Some(home.adresse_id)),
            Parente::Mere,
            true,
        )];
        if !single {
            let father_address = if separated {
                let other = self.adresse();
                adresses.push(other.clone());
                other.adresse_id
            } else {
                home.adresse_id
            };
            guardians.push(guardian(
                self.personne(Civilite::Monsieur, nom, Some(father_address)),
                Parente::Pere,
                !separated,
            ));
        }
        guardians
    }

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
        let tel_personnel = self
            .rng
            .chance(40)
            .then(|| format!("+333{:08}", self.rng.below(100_000_000)));
        let tel_portable = self.rng.permille(950).then_some(mobile);
        let tel_professionnel = self
            .rng
            .chance(20)
            .then(|| format!("+331{:08}", self.rng.below(100_000_000)));
        // As in SIECLE's exports: no consent to SMS without a mobile phone.
        let accepte_sms = Some(self.rng.chance(80) && tel_portable.is_some());
        Personne {
            personne_id: id,
            id_prv_per: None,
            civilite: Some(civilite),
            nom_de_famille: nom.to_string(),
            nom_usage: None,
            prenom: prenom.to_string(),
            tel_personnel,
            tel_portable,
            tel_professionnel,
            accepte_sms,
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

fn guardian(personne: Personne, parente: Parente, heberge: bool) -> Guardian {
    Guardian {
        personne,
        parente,
        heberge,
    }
}
