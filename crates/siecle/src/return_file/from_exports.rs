//! What SIECLE holds, in the writer's shape, straight from the exports: the base the
//! app changes (only where an agent accepted a change) and the « before » of the dry
//! run ([`super::DryRunContext::siecle_pupils`]). Nothing is defaulted: a value the
//! file needs and the exports lack is a problem naming the pupil or the person.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::model::{
    Address, Birthplace, Grant, Link, LinkKind, OptionChoice, Person, Phones, PreviousSchool,
    PreviousYear, Pupil, Schooling, Town,
};
use super::problem::{Problem, Subject};
use crate::codes::{ModaliteElection, NiveauResponsabilite, Pcs, TypeStructure};
use crate::eleves::{BourseEleve, Eleve, OptionsEleve, StructuresEleve};
use crate::responsables::{Personne, ResponsableEleve};
use crate::types::Adresse;

/// The records of a BEE_ELEVES and a BEE_RESPONSABLES export.
#[derive(Debug, Clone, Copy)]
pub struct SiecleRecords<'a> {
    /// ELEVES.
    pub eleves: &'a [Eleve],
    /// OPTIONS.
    pub options: &'a [OptionsEleve],
    /// STRUCTURES.
    pub structures: &'a [StructuresEleve],
    /// BOURSES.
    pub bourses: &'a [BourseEleve],
    /// The pupils' ADRESSES.
    pub pupil_addresses: &'a [Adresse],
    /// PERSONNES.
    pub personnes: &'a [Personne],
    /// RESPONSABLES.
    pub responsables: &'a [ResponsableEleve],
    /// The persons' ADRESSES.
    pub person_addresses: &'a [Adresse],
}

/// What the caller decides: never read from the exports, never defaulted.
pub struct Choices<'a> {
    /// ID_PRV_ELE of a pupil: SIECLE's exported one, else the school's allocator's.
    pub pupil_private_id: &'a dyn Fn(&Eleve) -> Option<u32>,
    /// ID_PRV_PER of a person, likewise.
    pub person_private_id: &'a dyn Fn(&Personne) -> Option<u32>,
    /// NB_PART of a grant (SIECLE does not export it: the school's figure; the dry
    /// run warns about every pupil with a grant, check 30).
    pub grant_parts: &'a dyn Fn(&Eleve, &str) -> Option<u8>,
    /// DATE_DEB_SCO: the first day of the target school year.
    pub schooling_start: NaiveDate,
}

/// The persons and pupils as SIECLE has them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiecleSnapshot {
    /// One per PERSONNE.
    pub persons: Vec<Person>,
    /// One per ELEVE.
    pub pupils: Vec<Pupil>,
    /// The values the file needs that the exports lack (blocking), per pupil or person.
    pub problems: Vec<Problem>,
}

fn address(a: Option<&Adresse>) -> Option<Address> {
    let a = a?;
    let lines = a.lignes.iter().flatten().cloned().collect();
    let country = a.code_pays.as_ref()?.code().to_string();
    let town = match (&a.code_postal, &a.libelle_postal, &a.commune_etrangere) {
        (Some(postcode), Some(name), _) if country == "100" => Town::France {
            postcode: postcode.clone(),
            name: name.clone(),
        },
        (_, _, Some(town)) if country != "100" => Town::Abroad(town.clone()),
        _ => return None,
    };
    Some(Address {
        lines,
        town,
        country,
    })
}

/// Builds what SIECLE holds from its exports.
pub fn what_siecle_holds(records: SiecleRecords<'_>, choices: &Choices<'_>) -> SiecleSnapshot {
    let mut out = SiecleSnapshot::default();
    let person_addresses: HashMap<u64, &Adresse> = records
        .person_addresses
        .iter()
        .map(|a| (a.adresse_id, a))
        .collect();
    let pupil_addresses: HashMap<u64, &Adresse> = records
        .pupil_addresses
        .iter()
        .map(|a| (a.adresse_id, a))
        .collect();
    let mut person_ids: HashMap<u64, u32> = HashMap::new();
    for p in records.personnes {
        let subject = Subject::Person {
            private_id: 0,
            name: format!("{} {}", p.prenom, p.nom_de_famille),
        };
        let mut missing = |field: &'static str, what: &str| {
            out.problems.push(Problem::blocking(
                13,
                &subject,
                field,
                format!("{what} absent de l'export SIECLE"),
            ));
        };
        let Some(private_id) = (choices.person_private_id)(p) else {
            missing("l'identifiant privé", "identifiant privé");
            continue;
        };
        let Some(civility) = p.civilite.clone() else {
            missing("la civilité", "civilité");
            continue;
        };
        let siecle_id = u32::try_from(p.personne_id).ok();
        person_ids.insert(p.personne_id, private_id);
        out.persons.push(Person {
            private_id,
            siecle_id,
            civility,
            last_name: p.nom_de_famille.clone(),
            usage_name: p.nom_usage.clone(),
            first_name: p.prenom.clone(),
            address: address(
                p.adresse_id
                    .and_then(|id| person_addresses.get(&id).copied()),
            ),
            shares_address: p.communication_adresse,
            // 99 is SIECLE's own code for « non renseignée ».
            profession: p.code_profession.clone().unwrap_or(Pcs::NonRenseigne),
            phones: Phones {
                home: p.tel_personnel.clone(),
                work: p.tel_professionnel.clone(),
                mobile: p.tel_portable.clone(),
            },
            accepts_sms: p.accepte_sms,
            email: p.mel.clone(),
        });
    }
    let mut options: HashMap<u64, &OptionsEleve> = HashMap::new();
    for o in records.options {
        options.insert(o.eleve_id, o);
    }
    let mut divisions: HashMap<u64, String> = HashMap::new();
    for s in records.structures {
        if let Some(d) = s
            .structures
            .iter()
            .find(|st| st.type_structure == TypeStructure::Division)
        {
            divisions.insert(s.eleve_id, d.code_structure.clone());
        }
    }
    let mut grants: HashMap<u64, Vec<&str>> = HashMap::new();
    for b in records.bourses {
        grants.entry(b.eleve_id).or_default().push(&b.code_bourse);
    }
    let mut links: HashMap<u64, Vec<&ResponsableEleve>> = HashMap::new();
    for r in records.responsables {
        links.entry(r.eleve_id).or_default().push(r);
    }
    for e in records.eleves {
        let Some(mut p) = pupil(e, choices, &mut out.problems) else {
            continue;
        };
        let subject = super::write::pupil_subject(&p);
        p.address = address(
            e.adresse_id
                .and_then(|id| pupil_addresses.get(&id).copied()),
        );
        if let Some(s) = p.schooling.as_mut() {
            s.division = divisions.get(&e.eleve_id).cloned();
        }
        for code in grants.get(&e.eleve_id).into_iter().flatten() {
            p.grants.push(Grant {
                code: code.to_string(),
                parts: (choices.grant_parts)(e, code),
            });
        }
        for r in links.get(&e.eleve_id).into_iter().flatten() {
            let (Some(&person), Some(relationship)) =
                (person_ids.get(&r.personne_id), r.code_parente.clone())
            else {
                out.problems.push(Problem::blocking(
                    23,
                    &subject,
                    "les responsables",
                    format!(
                        "le lien avec la personne SIECLE n° {} ne peut pas être renvoyé (personne ou lien de parenté absent de l'export)",
                        r.personne_id
                    ),
                ));
                continue;
            };
            let kind = match (&r.niveau_responsabilite, r.resp_legal) {
                (Some(NiveauResponsabilite::RepresentantLegal), _) | (None, Some(1 | 2)) => {
                    LinkKind::Legal
                }
                (Some(NiveauResponsabilite::PersonneEnCharge), _) => LinkKind::InCharge,
                _ => LinkKind::Contact,
            };
            let contact = kind == LinkKind::Contact;
            let unless_contact = |v: Option<bool>| if contact { None } else { v };
            p.links.push(Link {
                person,
                kind,
                relationship,
                pays_fees: unless_contact(r.paie_frais_scolaires),
                lives_with_pupil: unless_contact(r.heberge_eleve),
                receives_aid: unless_contact(r.percoit_les_aides),
                contact_first: unless_contact(r.a_contacter_en_priorite),
            });
        }
        if let Some(o) = options.get(&e.eleve_id) {
            let mut chosen: Vec<_> = o.options.iter().collect();
            // Mandatory options first, in their order (NUM_OPTION).
            chosen.sort_by_key(|o| {
                (
                    o.code_modalite_elect != Some(ModaliteElection::Obligatoire),
                    o.num_option,
                )
            });
            let mut kept = Vec::new();
            for o in chosen {
                match &o.code_modalite_elect {
                    Some(modality) => kept.push(OptionChoice {
                        subject: o.code_matiere.clone(),
                        modality: modality.clone(),
                    }),
                    None => out.problems.push(Problem::blocking(
                        35,
                        &subject,
                        "les options",
                        format!(
                            "l'option de code {} n'a pas de modalité dans l'export SIECLE",
                            o.code_matiere
                        ),
                    )),
                }
            }
            if let Some(s) = p.schooling.as_mut() {
                s.options = kept;
            }
        }
        out.pupils.push(p);
    }
    out
}

fn pupil(e: &Eleve, choices: &Choices<'_>, problems: &mut Vec<Problem>) -> Option<Pupil> {
    let subject = Subject::Pupil {
        private_id: 0,
        name: format!("{} {}", e.prenom, e.nom_de_famille),
    };
    let before = problems.len();
    let mut missing = |field: &'static str| {
        problems.push(Problem::blocking(
            11,
            &subject,
            field,
            "absent de l'export SIECLE : le fichier ne peut pas le renvoyer",
        ));
    };
    let private_id = (choices.pupil_private_id)(e);
    if private_id.is_none() {
        missing("l'identifiant privé");
    }
    if e.date_naiss.is_none() {
        missing("la date de naissance");
    }
    if e.code_pays.is_none() {
        missing("le pays de naissance");
    }
    if e.adhesion_transport.is_none() {
        missing("le transport scolaire");
    }
    if e.doublement.is_none() {
        missing("le redoublement");
    }
    if e.code_regime.is_none() {
        missing("le régime (demi-pension, internat)");
    }
    if e.code_mef.is_none() {
        missing("la formation (MEF)");
    }
    if e.code_statut.is_none() {
        missing("le statut");
    }
    let last = e.scolarite_an_dernier.as_ref();
    let school = match last.and_then(|l| l.code_rne.clone()) {
        Some(uai) => Some(PreviousSchool::Uai(uai)),
        None => {
            missing("l'établissement d'origine");
            None
        }
    };
    if e.code_provenance.is_none() {
        missing("la provenance");
    }
    if problems.len() > before {
        return None;
    }
    Some(Pupil {
        private_id: private_id?,
        siecle_id: u32::try_from(e.eleve_id).ok(),
        ine: e.id_national.as_ref().map(|i| i.as_str().to_string()),
        last_name: e.nom_de_famille.clone(),
        usage_name: e.nom_usage.clone(),
        first_name: e.prenom.clone(),
        first_name2: e.prenom2.clone(),
        first_name3: e.prenom3.clone(),
        nationality: e.code_pays_nat.as_ref().map(|n| n.code().to_string()),
        birth_date: e.date_naiss?,
        sex: e.code_sexe.clone(),
        birth_country: e.code_pays.as_ref()?.code().to_string(),
        birthplace: match (&e.code_commune_insee_naiss, &e.ville_naiss) {
            (Some(c), _) => Some(Birthplace::Insee(c.clone())),
            (None, Some(v)) => Some(Birthplace::Abroad(v.clone())),
            (None, None) => None,
        },
        entry_date: e.date_entree,
        address: None,
        phones: Phones {
            home: e.tel_personnel.clone(),
            work: e.tel_professionnel.clone(),
            mobile: e.tel_portable.clone(),
        },
        accepts_sms: e.accepte_sms,
        email: e.mel.clone(),
        transport: e.adhesion_transport?,
        regime: e.code_regime.clone()?,
        repeating: e.doublement?,
        grants: Vec::new(),
        links: Vec::new(),
        schooling: Some(Schooling {
            mef: e.code_mef.clone()?,
            division: None,
            status: e.code_statut.clone()?,
            start: choices.schooling_start,
            end: None,
            stops_training: None,
            options: Vec::new(),
        }),
        previous: Some(PreviousYear {
            school: school?,
            provenance: e.code_provenance.clone()?,
            mef: last.and_then(|l| l.code_mef.clone()),
            mef_type: None,
            division: last.and_then(|l| l.code_structure.clone()),
            status: None,
            start: None,
            end: None,
            regime: None,
            // Not in the exports: last year's options are not sent (the element stays empty).
            options: Vec::new(),
        }),
        leaving: None,
    })
}
