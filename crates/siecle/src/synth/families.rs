//! Guardians and their addresses: the part of the generator that builds families.

use crate::codes::{Civilite, Pays, Pcs};
use crate::responsables::Personne;
use crate::types::Adresse;

use super::data::{PCS, PRENOMS_F, PRENOMS_M, RUES};
use super::rng::Rng;

pub(super) struct Builder {
    pub(super) rng: Rng,
    pub(super) school: usize,
    pub(super) next_personne: u64,
    pub(super) next_adresse: u64,
    pub(super) ville: (&'static str, &'static str, &'static str, &'static str),
}

impl Builder {
    pub(super) fn adresse(&mut self) -> Adresse {
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

    pub(super) fn personne(
        &mut self,
        civilite: Civilite,
        nom: &str,
        adresse_id: Option<u64>,
    ) -> Personne {
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
