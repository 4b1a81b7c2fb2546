//! New pupils in the return file (RETURN-FILE-RULES.md §2 « New pupil
//! without an INE »): the pupils the school created at the desk
//! (`db::new_pupils`), still unknown to SIECLE, whose dossier is validated.
//! Each is an ELEVE_NON_SORTANT with a private id from the allocator (stable
//! across files), no ID_NATIONAL and no ID_SIECLE_ELE, its identity,
//! its guardians as new PERSONNEs (allocated ids; a guardian SIECLE knows,
//! linked at creation, keeps SIECLE's ids), SCOLARITE_ACTIVE (the MEF
//! entered, the campaign's first day of classes) and ETABLISSEMENT_AN_DERNIER
//! (the UAI or the department the agent entered, the provenance chosen
//! among the nomenclature's). Accepted changes of their
//! dossier apply on top, as for every pupil. A homonym among the pupils SIECLE
//! exported (check 15) blocks the file.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use dossiersco_siecle::codes::{Civilite, Parente, Pcs, Regime};
use dossiersco_siecle::return_file::{
    Address, Link, LinkKind, Person, Phones, PreviousSchool, PreviousYear, Problem, Pupil,
    Schooling, Severity, Subject,
};
use sqlx::AnyPool;

use super::assemble::{
    address, apply_options, apply_person, apply_pupil, birthplace, phone, problem, sex, some,
};
use super::{Error, ToSend, group};
use crate::db::new_pupils::{self as rows, GuardianToSend};
use crate::db::siecle_return::{IdKind, allocate_ids};
use crate::db::{SchoolScope, siecle_return};
use crate::dossier::diff::StoredChange as Change;

/// What the new pupils add to the file.
#[derive(Debug, Default)]
pub(super) struct NewPupils {
    /// Their pupil ids (left out of the imported pupils' assembly).
    pub pupil_ids: HashSet<i64>,
    /// (dossier id, pupil id, pupil).
    pub pupils: Vec<(i64, i64, Pupil)>,
    /// Their guardians, by guardian id.
    pub persons: Vec<(i64, Person)>,
    /// The dossier of each (by ID_PRV_ELE), those left out for a blocking
    /// problem included: the school's screen links each problem to it.
    pub dossiers: HashMap<u32, i64>,
    pub problems: Vec<Problem>,
}

/// The new pupils of validated dossiers; `to_send`: the accepted changes of
/// every validated dossier, by pupil.
pub(super) async fn collect(
    pool: &AnyPool,
    scope: SchoolScope,
    start: NaiveDate,
    to_send: &HashMap<i64, ToSend>,
) -> Result<NewPupils, Error> {
    let validated = rows::validated(pool, scope).await?;
    let mut out = NewPupils::default();
    if validated.is_empty() {
        return Ok(out);
    }
    let ids: Vec<i64> = validated.iter().map(|r| r.pupil_id).collect();
    let pupil_ids: HashMap<i64, u32> = allocate_ids(pool, scope, IdKind::Pupil, &ids)
        .await?
        .into_iter()
        .map(|(record, n)| (record, u32::try_from(n).unwrap_or(u32::MAX)))
        .collect();
    let guardians = group(rows::guardians(pool, scope, &ids).await?, |g| g.pupil_id);
    // A guardian SIECLE knows (a sibling's, linked at creation) keeps
    // SIECLE's private id, as in the imported pupils' part of the file;
    // the others get the allocator's.
    let mut person_ids: HashMap<i64, u32> = HashMap::new();
    let mut without: Vec<i64> = Vec::new();
    for g in guardians.values().flatten() {
        match g
            .siecle_private_id
            .as_deref()
            .and_then(|s| s.trim().parse::<u32>().ok())
        {
            Some(id) => {
                person_ids.insert(g.guardian_id, id);
            }
            None if !without.contains(&g.guardian_id) => without.push(g.guardian_id),
            None => {}
        }
    }
    for (record, n) in allocate_ids(pool, scope, IdKind::Person, &without).await? {
        person_ids.insert(record, u32::try_from(n).unwrap_or(u32::MAX));
    }
    let programmes = siecle_return::programmes(pool, scope).await?;
    for r in validated {
        out.pupil_ids.insert(r.pupil_id);
        let private_id = pupil_ids[&r.pupil_id];
        out.dossiers.insert(private_id, r.dossier_id);
        let subject = Subject::Pupil {
            private_id,
            name: format!("{} {}", r.first_name, r.last_name),
        };
        let Some(birth_date) = NaiveDate::parse_from_str(&r.birth_date, "%Y-%m-%d").ok() else {
            out.problems.push(problem(
                Severity::Blocking,
                11,
                &subject,
                "la date de naissance",
                "absente",
            ));
            continue;
        };
        // Check 15: SIECLE must not know them already.
        for h in rows::homonyms(pool, scope, &r.last_name, &r.first_name, &r.birth_date).await? {
            if h.id != r.pupil_id && h.ine.is_some() {
                out.problems.push(problem(
                    Severity::Blocking,
                    15,
                    &subject,
                    "l'identité",
                    format!(
                        "SIECLE connaît déjà un élève {} {} né(e) le {} : importez le dernier export SIECLE, il sera reconnu, plutôt que de le créer en double",
                        h.first_name,
                        h.last_name,
                        birth_date.format("%d/%m/%Y")
                    ),
                ));
            }
        }
        let mut links = Vec::new();
        let mut persons = Vec::new();
        for g in guardians.get(&r.pupil_id).cloned().unwrap_or_default() {
            let person = Person {
                private_id: person_ids[&g.guardian_id],
                siecle_id: g
                    .siecle_personne_id
                    .as_deref()
                    .and_then(|s| s.trim().parse().ok()),
                civility: Civilite::from_code(&g.civility_code),
                last_name: g.last_name.clone(),
                usage_name: None,
                first_name: g.first_name.clone(),
                address: Address::split_lines(&g.address_lines)
                    .and_then(|lines| address(&lines, &g.postcode, &g.city, &g.country_code)),
                shares_address: None,
                profession: some(&g.profession_code)
                    .map(|c| Pcs::from_code(&c))
                    .unwrap_or(Pcs::NonRenseigne),
                phones: Phones {
                    home: phone(&g.phone_home),
                    work: phone(&g.phone_work),
                    mobile: phone(&g.phone_mobile),
                },
                accepts_sms: None,
                email: some(&g.email),
            };
            let kind = match g.legal_responsibility {
                1 => LinkKind::Legal,
                2 => LinkKind::InCharge,
                _ => LinkKind::Contact,
            };
            let flag = |b: bool| (kind != LinkKind::Contact).then_some(b);
            links.push(Link {
                person: person.private_id,
                kind,
                relationship: Parente::from_code(&g.relationship_code),
                pays_fees: flag(g.pays_fees.0),
                lives_with_pupil: flag(g.lives_with_pupil.0),
                receives_aid: None,
                contact_first: flag(g.contact_first.0),
            });
            persons.push((g.guardian_id, person, g));
        }
        let school = match (some(&r.last_year_uai), some(&r.last_year_department)) {
            (Some(uai), _) => PreviousSchool::Uai(uai),
            (None, Some(department)) => PreviousSchool::Department(department),
            (None, None) => {
                out.problems.push(problem(
                    Severity::Blocking,
                    38,
                    &subject,
                    "l'établissement d'origine",
                    "absent : indiquez l'établissement de l'an dernier",
                ));
                continue;
            }
        };
        // The provenance the agent chose among the nomenclature's.
        let Some(provenance) = some(&r.provenance_code) else {
            out.problems.push(problem(
                Severity::Blocking,
                38,
                &subject,
                "la provenance",
                "absente : l'élève a été créé sans provenance, avant l'import de l'export Nomenclature de SIECLE qui les donne ; choisissez-la dans son dossier (rubrique « Provenance »)",
            ));
            continue;
        };
        let mut p = Pupil {
            private_id,
            siecle_id: None,
            ine: None,
            last_name: r.last_name.clone(),
            usage_name: None,
            first_name: r.first_name.clone(),
            first_name2: some(&r.first_name2),
            first_name3: some(&r.first_name3),
            nationality: some(&r.nationality_code),
            birth_date,
            sex: sex(&r.sex),
            birth_country: r.birth_country_code.clone(),
            birthplace: birthplace(&r.birth_commune_insee, &r.birth_city),
            entry_date: None,
            address: None,
            phones: Phones::default(),
            accepts_sms: None,
            email: None,
            transport: r.school_transport.is_some_and(|f| f.0),
            regime: Regime::from_code(&r.regime_code),
            repeating: r.repeating.is_some_and(|f| f.0),
            grants: Vec::new(),
            links,
            schooling: Some(Schooling {
                mef: r.entry_mef_code.clone(),
                division: None,
                status: r.status_code.clone(),
                start,
                end: None,
                stops_training: None,
                options: Vec::new(),
            }),
            previous: Some(PreviousYear {
                school,
                provenance,
                mef: None,
                mef_type: None,
                division: None,
                status: None,
                start: None,
                end: None,
                regime: None,
                options: Vec::new(),
            }),
            leaving: None,
        };
        // The accepted changes of the dossier, on top.
        let mut persons: Vec<(i64, Person, GuardianToSend)> = persons;
        if let Some(send) = to_send.get(&r.pupil_id) {
            for change in &send.changes {
                match change {
                    Change::Pupil { key, value } => {
                        apply_pupil(&mut p, key, value, &subject, &mut out.problems)
                    }
                    Change::Guardian {
                        guardian_id,
                        key,
                        value,
                    } => {
                        if let Some((_, person, _)) =
                            persons.iter_mut().find(|(id, _, _)| id == guardian_id)
                        {
                            apply_person(person, None, key, value, &mut out.problems);
                        }
                    }
                    // The options the family chose (a new pupil had none).
                    Change::Answer { key, value } if key == "options" => {
                        apply_options(&mut p, &[], value, &programmes, &subject, &mut out.problems)
                    }
                    Change::Answer { .. } => {}
                }
            }
        }
        out.persons
            .extend(persons.into_iter().map(|(id, person, _)| (id, person)));
        out.pupils.push((r.dossier_id, r.pupil_id, p));
    }
    Ok(out)
}
