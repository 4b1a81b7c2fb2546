//! The spreadsheet « Fiches élèves complètes » (XLS/XLSX): pupils, their
//! guardians and the MEFs they name, all from one file.

use std::collections::HashSet;
use std::fs::File;

use dossiersco_siecle::codes::Pays;
use dossiersco_siecle::tableur::{
    AdresseTableur, EleveTableur, RepresentantTableur, read_spreadsheet_from,
};
use dossiersco_siecle::{Limits, WarningEffect};

use super::super::Problem;
use super::super::model::{AddressIn, GuardianIn, LinkIn, LinkSiecleValues, PupilIn, PupilKey};
use super::{
    InputFile, NO_BIRTH_DATE, NO_SEX, Parsed, civility, country_code, date, division_of,
    nationality_code, other_first_names, regime_code, sex_code, stop, text, unique_by_code,
};

fn tableur_address(a: &AdresseTableur) -> AddressIn {
    AddressIn {
        siecle_id: None,
        lines: a
            .lignes
            .iter()
            .flatten()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
        postcode: text(&a.code_postal),
        city: a
            .lib_postal
            .clone()
            .or_else(|| a.commune_etrangere.clone())
            .unwrap_or_default(),
        commune_insee: String::new(),
        country_code: a
            .pays
            .as_deref()
            .and_then(Pays::from_label)
            .map_or_else(|| "100".into(), |p| p.code().to_string()),
    }
}

pub(super) fn read_tableur(file: &InputFile, parsed: &mut Parsed) -> Option<u64> {
    let input = match File::open(&file.path) {
        Ok(f) => f,
        Err(e) => {
            parsed.fatal_problem(&file.name, format!("le fichier ne peut pas être lu ({e})"));
            return None;
        }
    };
    let tableur = match read_spreadsheet_from(input, Limits::default()) {
        Ok(t) => t,
        Err(err) => return stop(parsed, file, &err),
    };
    parsed.warnings(&file.name, tableur.warnings.clone(), 0);
    // The reader leaves out rows without a name; it does not keep their INE.
    for _ in tableur
        .warnings
        .iter()
        .filter(|w| w.effect == WarningEffect::RecordSkipped)
    {
        parsed.skip_pupil(None, None);
    }
    let count = tableur.eleves.len() as u64;
    let mut pupils = Vec::new();
    let mut guardians = Guardians::default();
    let mut mefs: Vec<(String, String)> = Vec::new();
    for e in &tableur.eleves {
        let Some(pupil) = pupil_of(file, parsed, e) else {
            continue;
        };
        if let (Some(code), Some(label)) = (&e.code_mef, &e.lib_mef)
            && code.chars().count() == 11
            && !mefs.iter().any(|(c, _)| c == code)
        {
            mefs.push((code.clone(), label.clone()));
        }
        let ine = pupil.ine.clone().unwrap_or_default();
        pupils.push(pupil);
        for r in &e.representants {
            guardians.add(r, &ine);
        }
    }
    parsed.pupils = Some(pupils);
    parsed.guardians = Some((guardians.guardians, guardians.links));
    parsed.spreadsheet_mefs = mefs;
    Some(count)
}

/// A row's pupil; `None` (with a problem recorded) when it has no INE, sex
/// or birth date.
fn pupil_of(file: &InputFile, parsed: &mut Parsed, e: &EleveTableur) -> Option<PupilIn> {
    let row = e.lignes.first().copied().unwrap_or(0);
    let at = |field: &str, message: String| Problem {
        file: file.name.clone(),
        location: Some(format!("ligne {row} du tableur")),
        field: Some(field.to_string()),
        record: Some(format!("{} {}", e.prenom, e.nom_de_famille)),
        message,
        fatal: false,
    };
    let Some(ine) = e.id_national.as_ref().map(|i| i.as_str().to_string()) else {
        parsed.problems.push(at(
            "Id National",
            "INE absent : l'élève ne peut pas être reconnu d'un import à l'autre (élève non importé)".into(),
        ));
        parsed.skip_pupil(None, None);
        return None;
    };
    let Some(sex) = sex_code(e.sexe.as_ref()) else {
        parsed.problems.push(at("Sexe", NO_SEX.into()));
        parsed.skip_pupil(None, Some(ine));
        return None;
    };
    let Some(birth_date) = date(e.date_naiss) else {
        parsed
            .problems
            .push(at("Date Naissance", NO_BIRTH_DATE.into()));
        parsed.skip_pupil(None, Some(ine));
        return None;
    };
    let structures = unique_by_code(
        e.structures
            .iter()
            .map(|s| {
                (
                    s.code_structure.clone(),
                    s.type_structure
                        .as_ref()
                        .filter(|t| t.is_known())
                        .map_or("D", |t| t.code())
                        .to_string(),
                )
            })
            .collect(),
        |s| &s.0,
    );
    let options = unique_by_code(
        e.options
            .iter()
            .map(|o| {
                (
                    o.cle_gestion.clone(),
                    o.code_modalite_elect
                        .as_ref()
                        .map(|m| m.code().to_string())
                        .unwrap_or_default(),
                    None,
                )
            })
            .collect(),
        |o| &o.0,
    );
    let born_in_france = e.code_pays_naiss.as_ref().is_none_or(|p| p.code() == "100");
    Some(PupilIn {
        eleve_id: None,
        ine: Some(ine),
        elenoet: e.elenoet.clone(),
        last_name: e.nom_de_famille.clone(),
        first_name: e.prenom.clone(),
        other_first_names: other_first_names(&e.prenom2, &e.prenom3),
        sex: sex.into(),
        birth_date,
        birth_city: if born_in_france {
            text(&e.commune_naiss)
        } else {
            text(&e.ville_naiss_etrangere)
        },
        birth_country_code: country_code(e.code_pays_naiss.as_ref()),
        birth_commune_insee: String::new(),
        birth_department: String::new(),
        nationality_code: nationality_code(e.nationalite.as_ref()),
        regime_code: regime_code(e.code_regime.as_ref()),
        mef_code: text(&e.code_mef),
        division: division_of(&structures),
        structures,
        options,
        last_year_mef_code: String::new(),
        last_year_division: String::new(),
        last_year_uai: String::new(),
        entry_date: date(e.date_entree),
        address: tableur_address(&e.adresse),
        siecle: Default::default(),
    })
}

/// The spreadsheet's guardians: one per name and postcode (siblings share
/// them), and their links to the pupils.
#[derive(Default)]
struct Guardians {
    guardians: Vec<GuardianIn>,
    keys: HashSet<String>,
    links: Vec<LinkIn>,
}

impl Guardians {
    /// A guardian of the pupil `ine` (ignored without a name).
    fn add(&mut self, r: &RepresentantTableur, ine: &str) {
        let (Some(last), Some(first)) = (&r.nom_de_famille, &r.prenom) else {
            return;
        };
        let address = tableur_address(&r.adresse);
        let key = format!(
            "tableur:{}|{}|{}",
            last.to_lowercase(),
            first.to_lowercase(),
            address.postcode
        );
        if self.keys.insert(key.clone()) {
            let (civility, civility_code) = civility(r.civilite.as_ref());
            self.guardians.push(GuardianIn {
                key: key.clone(),
                civility,
                civility_code,
                last_name: last.clone(),
                first_name: first.clone(),
                email: text(&r.email),
                phone_mobile: text(&r.tel_portable),
                phone_home: text(&r.tel_personnel),
                phone_work: text(&r.tel_professionnel),
                profession_code: String::new(),
                accepts_sms: false,
                address,
                siecle: Default::default(),
            });
        }
        let exported = r
            .lien_parente
            .as_ref()
            .filter(|p| p.has_valid_length())
            .map(|p| p.code().to_string());
        self.links.push(LinkIn {
            pupil: PupilKey::Ine(ine.to_string()),
            guardian_key: key,
            rank: i64::from(r.rang.clamp(1, 2)),
            relationship_code: exported.clone().unwrap_or_else(|| "90".into()),
            legal_responsibility: 1,
            pays_fees: false,
            receives_aid: false,
            lives_with_pupil: false,
            contact_first: false,
            siecle: LinkSiecleValues {
                relationship_code: exported.unwrap_or_default(),
                ..LinkSiecleValues::default()
            },
        });
    }
}
