//! From the database to the writer's input: what SIECLE held (as the import
//! kept it), then the changes to send on top.

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use dossiersco_siecle::Parametres;
use dossiersco_siecle::Uai;
use dossiersco_siecle::codes::{Civilite, ModaliteElection, Parente, Pcs, Regime, Sexe};
use dossiersco_siecle::nomenclatures::{Matiere, Mef, OptionObligatoire, Programme};
use dossiersco_siecle::return_file::{
    Address, Birthplace, DryRunContext, Grant, Link, LinkKind, OptionChoice, Person, Phones,
    PreviousSchool, PreviousYear, Problem, Pupil, ReturnFile, Schooling, Severity, Subject, Town,
};
use dossiersco_siecle::structures::Division;
use sqlx::AnyPool;

use super::{Assembled, Error, ToSend, changes_to_send, group, next_year, option_set};
use crate::db::siecle_return::{self as rows, IdKind, LinkRow, PupilRow};
use crate::db::{Flag, SchoolScope};
use crate::domain::words;
use crate::dossier::diff::StoredChange as Change;

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

pub(super) fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

fn flag(f: Option<Flag>) -> Option<bool> {
    f.map(|f| f.0)
}

pub(super) fn problem(
    severity: Severity,
    check: u8,
    subject: &Subject,
    field: &'static str,
    message: impl Into<String>,
) -> Problem {
    Problem {
        severity,
        check,
        subject: subject.clone(),
        field,
        message: message.into(),
    }
}

/// An address from the stored strings (lines joined with `\n`, abroad when
/// the country is not France: the town is then COMMUNE_ETRANGERE).
pub(super) fn address(
    lines: &[String],
    postcode: &str,
    city: &str,
    country: &str,
) -> Option<Address> {
    let country = some(country)?;
    let town = if country == "100" {
        Town::France {
            postcode: some(postcode)?,
            name: some(city)?,
        }
    } else {
        Town::Abroad(some(city)?)
    };
    Some(Address {
        lines: lines.to_vec(),
        town,
        country,
    })
}

fn stored_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Phone digits as SIECLE takes them: digits, with an optional leading `+`.
pub(super) fn phone(value: &str) -> Option<String> {
    let plus = value.trim_start().starts_with('+');
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    (!digits.is_empty()).then(|| if plus { format!("+{digits}") } else { digits })
}

/// The sex as stored (`F`, `M`), SIECLE's code; anything else none.
pub(super) fn sex(code: &str) -> Option<Sexe> {
    match code {
        "F" => Some(Sexe::Feminin),
        "M" => Some(Sexe::Masculin),
        _ => None,
    }
}

/// The birthplace: the INSEE code of a French commune, else a town abroad.
pub(super) fn birthplace(insee: &str, city: &str) -> Option<Birthplace> {
    match (some(insee), some(city)) {
        (Some(c), _) => Some(Birthplace::Insee(c)),
        (None, Some(v)) => Some(Birthplace::Abroad(v)),
        (None, None) => None,
    }
}

/// Assembles the school's return file at `generated_at` (the caller's clock,
/// French local time): the pupils of validated dossiers with at least one
/// change to send, every person they are linked to, NUM_ENVOI the school's
/// next one.
pub async fn assemble(
    pool: &AnyPool,
    scope: SchoolScope,
    generated_at: NaiveDateTime,
) -> Result<Assembled, Error> {
    let school = rows::school(pool, scope)
        .await?
        .ok_or_else(|| Error::Missing("l'établissement n'a pas de campagne".into()))?;
    let uai = Uai::parse(&school.uai)
        .ok_or_else(|| Error::Missing(format!("l'UAI {} n'est pas valide", school.uai)))?;
    let (exports_year, school_year) = years(&school)?;
    let (Some(start), Some(end)) = (
        school.classes_start_on.as_deref().and_then(date),
        school.classes_end_on.as_deref().and_then(date),
    ) else {
        return Err(Error::Missing(
            "les dates de début et de fin des cours de l'année scolaire ne sont pas saisies dans la campagne"
                .into(),
        ));
    };

    let to_send: HashMap<i64, ToSend> = changes_to_send(pool, scope)
        .await?
        .into_iter()
        .map(|t| (t.pupil_id, t))
        .collect();
    // New pupils (not yet in SIECLE) are assembled apart.
    let new = super::new_pupils::collect(pool, scope, start, &to_send).await?;
    let pupil_rows: Vec<PupilRow> = rows::validated_pupils(pool, scope)
        .await?
        .into_iter()
        .filter(|p| to_send.contains_key(&p.pupil_id) && !new.pupil_ids.contains(&p.pupil_id))
        .collect();
    let links = group(
        rows::validated_links(pool, scope)
            .await?
            .into_iter()
            .filter(|l| l.from_siecle.0 && to_send.contains_key(&l.pupil_id))
            .collect(),
        |l| l.pupil_id,
    );
    let mut grants = group(rows::validated_grants(pool, scope).await?, |g| g.0);
    let mut options = group(rows::validated_options(pool, scope).await?, |o| o.pupil_id);
    let programmes = rows::programmes(pool, scope).await?;
    let subject_rows = rows::subjects(pool, scope).await?;
    let division_rows: Vec<(String, String, Vec<String>)> = rows::divisions(pool, scope)
        .await?
        .into_iter()
        .map(|(code, label, mefs)| {
            let mefs = mefs
                .split([',', ' '])
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .collect();
            (code, label, mefs)
        })
        .collect();
    let divisions_mefs: Vec<(String, Vec<String>)> = division_rows
        .iter()
        .map(|(code, _, mefs)| (code.clone(), mefs.clone()))
        .collect();
    let subject_names: HashMap<String, String> = subject_rows
        .iter()
        .map(|s| {
            let name = some(&s.long_label).or_else(|| some(&s.short_label));
            (s.code.clone(), name.unwrap_or_else(|| "une option".into()))
        })
        .collect();
    let nomenclature = next_year::Nomenclature {
        programmes: &programmes,
        divisions: &divisions_mefs,
        subject_names: &subject_names,
    };

    // Private ids: SIECLE's exported ones, else the allocator's.
    let pupil_ids = private_ids(
        pool,
        scope,
        IdKind::Pupil,
        pupil_rows
            .iter()
            .map(|p| (p.pupil_id, p.siecle_private_id.as_deref())),
    )
    .await?;
    let mut person_rows: Vec<&LinkRow> = Vec::new();
    let mut seen = BTreeSet::new();
    for l in links.values().flatten() {
        if seen.insert(l.guardian_id) {
            person_rows.push(l);
        }
    }
    let person_ids = private_ids(
        pool,
        scope,
        IdKind::Person,
        person_rows
            .iter()
            .map(|l| (l.guardian_id, l.siecle_private_id.as_deref())),
    )
    .await?;

    // Which dossiers each pupil and person of the file is about (for the
    // school's screen to link each problem to its dossiers).
    let mut pupil_dossiers: HashMap<u32, i64> = pupil_rows
        .iter()
        .map(|p| (pupil_ids[&p.pupil_id], p.dossier_id))
        .collect();
    pupil_dossiers.extend(new.dossiers.iter().map(|(&p, &d)| (p, d)));
    let dossier_of_pupil: HashMap<i64, i64> = pupil_rows
        .iter()
        .map(|p| (p.pupil_id, p.dossier_id))
        .collect();
    let mut person_dossiers: HashMap<u32, Vec<i64>> = HashMap::new();
    for l in links.values().flatten() {
        if let (Some(&person), Some(&dossier)) = (
            person_ids.get(&l.guardian_id),
            dossier_of_pupil.get(&l.pupil_id),
        ) {
            let dossiers = person_dossiers.entry(person).or_default();
            if !dossiers.contains(&dossier) {
                dossiers.push(dossier);
            }
        }
    }

    let mut problems = Vec::new();
    // What SIECLE holds.
    let mut persons: HashMap<i64, Person> = HashMap::new();
    for l in &person_rows {
        let private_id = person_ids[&l.guardian_id];
        let subject = Subject::Person {
            private_id,
            name: format!("{} {}", l.first_name, l.last_name),
        };
        let Some(civility) = some(&l.civility_code).map(|c| Civilite::from_code(&c)) else {
            problems.push(problem(
                Severity::Blocking,
                13,
                &subject,
                "la civilité",
                "absente de l'import SIECLE : le fichier ne peut pas la renvoyer",
            ));
            continue;
        };
        persons.insert(
            l.guardian_id,
            Person {
                private_id,
                siecle_id: l
                    .siecle_personne_id
                    .as_deref()
                    .and_then(|s| s.trim().parse().ok()),
                civility,
                last_name: l.last_name.clone(),
                usage_name: some(&l.usage_name),
                first_name: l.first_name.clone(),
                address: address(
                    &stored_lines(&l.address_lines),
                    &l.postcode,
                    &l.city,
                    &l.country_code,
                ),
                shares_address: flag(l.shares_address),
                // 99 is SIECLE's own code for « non renseignée ».
                profession: some(&l.profession_code)
                    .map(|c| Pcs::from_code(&c))
                    .unwrap_or(Pcs::NonRenseigne),
                phones: Phones {
                    home: some(&l.phone_home),
                    work: some(&l.phone_work),
                    mobile: some(&l.phone_mobile),
                },
                accepts_sms: flag(l.siecle_accepts_sms),
                email: some(&l.email),
            },
        );
    }
    let before_persons: Vec<Person> = {
        let mut v: Vec<Person> = persons.values().cloned().collect();
        v.sort_by_key(|p| p.private_id);
        v
    };

    let mut pupils: Vec<(i64, i64, Pupil)> = Vec::new();
    for row in &pupil_rows {
        let private_id = pupil_ids[&row.pupil_id];
        let Some(mut p) = base_pupil(row, private_id, start, &mut problems) else {
            continue;
        };
        let subject = Subject::Pupil {
            private_id,
            name: p.display_name(),
        };
        for (_, code, parts) in grants.remove(&row.pupil_id).unwrap_or_default() {
            // NB_PART is not exported: the school's figure (« Parts de
            // bourse » screen), or unknown and never sent as a made-up number
            // (the writer leaves the grant out, check 30 warns).
            let parts = parts
                .and_then(|n| u8::try_from(n).ok())
                .filter(|n| *n <= 99);
            p.grants.push(Grant { code, parts });
        }
        for l in links.get(&row.pupil_id).cloned().unwrap_or_default() {
            let Some(person) = persons.get(&l.guardian_id) else {
                continue;
            };
            let Some(code) = some(&l.siecle_relationship_code) else {
                problems.push(problem(
                    Severity::Blocking,
                    23,
                    &subject,
                    "les responsables",
                    format!(
                        "le lien de parenté avec {} {} est absent de l'import SIECLE",
                        person.first_name, person.last_name
                    ),
                ));
                continue;
            };
            let kind = match l.legal_responsibility {
                1 => LinkKind::Legal,
                2 => LinkKind::InCharge,
                _ => LinkKind::Contact,
            };
            let unless_contact = |v: Option<Flag>| {
                if kind == LinkKind::Contact {
                    None
                } else {
                    flag(v)
                }
            };
            p.links.push(Link {
                person: person.private_id,
                kind,
                relationship: Parente::from_code(&code),
                pays_fees: unless_contact(l.siecle_pays_fees),
                lives_with_pupil: unless_contact(l.siecle_lives_with_pupil),
                receives_aid: unless_contact(l.siecle_receives_aid),
                contact_first: unless_contact(l.siecle_contact_first),
            });
        }
        let this_year_options = options.remove(&row.pupil_id).unwrap_or_default();
        if let Some(s) = p.schooling.as_mut() {
            let mut kept = this_year_options.clone();
            kept.sort_by_key(|o| (o.modality_code != "O", o.option_number));
            s.options = kept
                .into_iter()
                .map(|o| OptionChoice {
                    subject: o.subject_code,
                    modality: ModaliteElection::from_code(&o.modality_code),
                })
                .collect();
        }
        to_next_year(
            &mut p,
            row,
            &school.uai,
            this_year_options,
            &nomenclature,
            &subject,
            &mut problems,
        );
        pupils.push((row.dossier_id, row.pupil_id, p));
    }
    let before_pupils: Vec<Pupil> = pupils.iter().map(|(_, _, p)| p.clone()).collect();

    // The changes to send, on top.
    let regimes: Vec<String> = pupil_rows
        .iter()
        .map(|r| r.regime_code.clone())
        .filter(|c| !c.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut dossiers = Vec::new();
    for (dossier_id, pupil_id, p) in &mut pupils {
        let send = &to_send[pupil_id];
        let subject = Subject::Pupil {
            private_id: p.private_id,
            name: p.display_name(),
        };
        for change in &send.changes {
            match change {
                Change::Pupil { key, value } => {
                    apply_pupil(p, key, value, &subject, &mut problems);
                }
                Change::Guardian {
                    guardian_id,
                    key,
                    value,
                } => {
                    if let Some(person) = persons.get_mut(guardian_id) {
                        let row = person_rows.iter().find(|l| l.guardian_id == *guardian_id);
                        apply_person(person, row.copied(), key, value, &mut problems);
                    }
                }
                Change::Answer { key, value } if key == "canteen" => {
                    let matching: Vec<&String> = regimes
                        .iter()
                        .filter(|c| words::canteen_of_regime(c) == Some(value.as_str()))
                        .collect();
                    if let [code] = matching.as_slice() {
                        p.regime = Regime::from_code(code);
                    } else {
                        problems.push(problem(
                            Severity::Warning,
                            0,
                            &subject,
                            "le régime",
                            format!(
                                "le choix de la famille ({}) ne correspond pas à un seul code de régime SIECLE : le régime reste celui de SIECLE, à modifier dans SIECLE",
                                words::value("canteen", value)
                            ),
                        ));
                    }
                }
                Change::Answer { key, value } if key == "options" => {
                    apply_options(
                        p,
                        send.options_before.as_deref().unwrap_or_default(),
                        value,
                        &programmes,
                        &subject,
                        &mut problems,
                    );
                }
                Change::Answer { .. } => {}
            }
        }
        dossiers.push(*dossier_id);
    }

    for (dossier_id, pupil_id, p) in new.pupils {
        dossiers.push(dossier_id);
        pupils.push((dossier_id, pupil_id, p));
    }
    // A guardian of a new pupil SIECLE knows (a sibling's) may be in the file
    // already, as SIECLE has them with the sibling's changes: one PERSONNE.
    for (guardian_id, person) in new.persons {
        persons.entry(guardian_id).or_insert(person);
    }
    problems.extend(new.problems);
    name_subjects_as_sent(&mut problems, &pupils);

    let mut file_persons: Vec<Person> = persons.into_values().collect();
    file_persons.sort_by_key(|p| p.private_id);
    let last = rows::last_send(pool, scope).await?;
    let send_number = last.as_ref().map_or(1, |(n, _)| n + 1);
    let file = ReturnFile {
        uai: uai.clone(),
        school_year,
        generated_at,
        send_number: u32::try_from(send_number).unwrap_or(u32::MAX),
        persons: file_persons,
        pupils: pupils.into_iter().map(|(_, _, p)| p).collect(),
    };
    let context = DryRunContext {
        school_year_dates: Some((start, end)),
        mefs: rows::mefs(pool, scope)
            .await?
            .into_iter()
            .map(|m| Mef {
                code_mef: m.code,
                libelle_long: some(&m.label),
                nb_opt_oblig: m.mandatory_options_count.and_then(|n| u8::try_from(n).ok()),
                ..Default::default()
            })
            .collect(),
        subjects: subject_rows
            .into_iter()
            .map(|s| Matiere {
                code_matiere: s.code,
                code_gestion: some(&s.management_code),
                libelle_court: some(&s.short_label),
                libelle_long: some(&s.long_label),
                ..Default::default()
            })
            .collect(),
        programmes: programmes
            .iter()
            .map(|(mef, subject, modality)| Programme {
                code_mef: mef.clone(),
                code_matiere: subject.clone(),
                code_modalite_elect: some(modality).map(|m| ModaliteElection::from_code(&m)),
                horaire: None,
            })
            .collect(),
        mandatory_options: rows::mandatory_options(pool, scope)
            .await?
            .into_iter()
            .map(|(mef, subject, rank)| OptionObligatoire {
                code_mef: mef,
                code_matiere: subject,
                rang_option: u8::try_from(rank).unwrap_or(u8::MAX),
            })
            .collect(),
        divisions: division_rows
            .into_iter()
            .map(|(code, label, mefs)| Division {
                code_structure: code,
                libelle_long: some(&label),
                code_contrat: None,
                mefs,
            })
            .collect(),
        siecle_pupils: before_pupils,
        siecle_persons: before_persons,
        removed_links: Vec::new(),
        exports: vec![Parametres {
            uaj: Some(uai),
            annee_scolaire: Some(exports_year),
            ..Default::default()
        }],
        exports_of_the_year_before: true,
        last_send: last.and_then(|(n, at)| {
            Some((
                u32::try_from(n).ok()?,
                NaiveDateTime::parse_from_str(&at, "%Y-%m-%d %H:%M:%S").ok()?,
            ))
        }),
    };
    // Pupils leaving are never in the file (check 31): listed apart.
    let leaving = super::leaving(pool, scope).await?;
    problems.extend(super::leaving_warning(&leaving));
    Ok(Assembled {
        file,
        context,
        problems,
        dossiers,
        campaign_id: school.campaign_id,
        leaving,
        pupil_dossiers,
        person_dossiers,
    })
}

/// Names each pupil of the assembly's problems as the file (and so the dry
/// run) names them, after the changes: one group per pupil in the report.
fn name_subjects_as_sent(problems: &mut [Problem], pupils: &[(i64, i64, Pupil)]) {
    let names: HashMap<u32, String> = pupils
        .iter()
        .map(|(_, _, p)| (p.private_id, p.display_name()))
        .collect();
    for p in problems {
        if let Subject::Pupil { private_id, name } = &mut p.subject
            && let Some(sent) = names.get(private_id)
        {
            name.clone_from(sent);
        }
    }
}

/// The exports' school year and the file's: the campaign's, the year after
/// the exports' (the campaign is prepared from the ending year's exports,
/// docs/SIECLE-RETURN.md « Which year »).
fn years(school: &rows::SchoolRow) -> Result<(u16, u16), Error> {
    let exports_year = school
        .exports_year
        .and_then(|y| u16::try_from(y).ok())
        .ok_or_else(|| {
            Error::Missing(
                "l'année scolaire des exports SIECLE n'est pas connue : importez de nouveau les exports SIECLE"
                    .into(),
            )
        })?;
    let campaign_year = u16::try_from(school.school_year).unwrap_or(u16::MAX);
    if u32::from(exports_year) + 1 != u32::from(campaign_year) {
        return Err(Error::Missing(format!(
            "les exports SIECLE importés sont de l'année {exports_year}-{}, la campagne prépare l'année {campaign_year}-{} : le fichier se prépare à partir des exports de l'année qui s'achève ({}-{campaign_year})",
            exports_year + 1,
            campaign_year + 1,
            campaign_year - 1,
        )));
    }
    Ok((exports_year, campaign_year))
}

/// Moves a pupil staying up to next year ([`next_year`]): the agent's
/// choice of MEF (change of track), « redoublant » or the campaign's
/// succession, this year's schooling as
/// ETABLISSEMENT_AN_DERNIER (options by their CODE_GESTION). Without a next
/// MEF the pupil stays as imported, with a blocking problem.
fn to_next_year(
    p: &mut Pupil,
    row: &PupilRow,
    uai: &str,
    this_year_options: Vec<rows::OptionRow>,
    nomenclature: &next_year::Nomenclature<'_>,
    subject: &Subject,
    problems: &mut Vec<Problem>,
) {
    let succession = next_year::Succession {
        mef: &row.siecle_mef_code,
        mef_label: row.mef_label.as_deref(),
        next: row.next_mef_code.as_deref(),
        ends_college: row.ends_college.is_some_and(|f| f.0),
        repeats: row.decided_repeating.0,
        chosen: row.chosen_mef_code.as_deref(),
    };
    let next = match next_year::next_mef(&succession) {
        Ok(next) => next,
        Err(why) => {
            problems.push(problem(
                Severity::Blocking,
                32,
                subject,
                "la formation de l'an prochain",
                why,
            ));
            return;
        }
    };
    let mut ordered = this_year_options;
    ordered.sort_by_key(|o| (o.option_number, o.subject_code.clone()));
    let mut last_year = Vec::new();
    for o in ordered {
        match o.management_code.as_deref().and_then(some) {
            Some(code) => last_year.push(code),
            None => problems.push(problem(
                Severity::Blocking,
                38,
                subject,
                "les options de l'an dernier",
                format!(
                    "l'option « {} » de cette année n'a pas de code de gestion dans la nomenclature SIECLE importée : réimportez la nomenclature",
                    nomenclature
                        .subject_names
                        .get(&o.subject_code)
                        .map_or("sans nom", String::as_str)
                ),
            )),
        }
    }
    next_year::move_up(p, &next, uai, last_year, nomenclature, subject, problems);
}

/// record → ID_PRV: SIECLE's exported id when it is a number, else the
/// allocator's (stable, never reused).
async fn private_ids<'a>(
    pool: &AnyPool,
    scope: SchoolScope,
    kind: IdKind,
    records: impl Iterator<Item = (i64, Option<&'a str>)>,
) -> sqlx::Result<HashMap<i64, u32>> {
    let mut out = HashMap::new();
    let mut without = Vec::new();
    for (record, exported) in records {
        match exported.and_then(|s| s.trim().parse::<u32>().ok()) {
            Some(id) => {
                out.insert(record, id);
            }
            None => without.push(record),
        }
    }
    for (record, n) in rows::allocate_ids(pool, scope, kind, &without).await? {
        out.insert(record, u32::try_from(n).unwrap_or(u32::MAX));
    }
    Ok(out)
}

/// The pupil as the import kept it; `None` (with a problem) when a value the
/// file needs is missing.
fn base_pupil(
    r: &PupilRow,
    private_id: u32,
    start: NaiveDate,
    problems: &mut Vec<Problem>,
) -> Option<Pupil> {
    let subject = Subject::Pupil {
        private_id,
        name: format!("{} {}", r.first_name, r.last_name),
    };
    let before = problems.len();
    let mut missing = |field: &'static str| {
        problems.push(problem(
            Severity::Blocking,
            11,
            &subject,
            field,
            "absent de l'import SIECLE : le fichier ne peut pas le renvoyer (réimportez les exports SIECLE)",
        ));
    };
    let birth_date = date(&r.birth_date);
    if birth_date.is_none() {
        missing("la date de naissance");
    }
    if r.school_transport.is_none() {
        missing("le transport scolaire");
    }
    if r.repeating.is_none() {
        missing("le redoublement");
    }
    if r.regime_code.is_empty() {
        missing("le régime (demi-pension, internat)");
    }
    if r.siecle_mef_code.is_empty() {
        missing("la formation (MEF)");
    }
    if r.status_code.is_empty() {
        missing("le statut");
    }
    // ELEVES' SCOLARITE_AN_DERNIER (the year before this one) is not sent: a
    // pupil moved up has this year's schooling here as last year's.
    if r.provenance_code.is_empty() {
        missing("la provenance");
    }
    if problems.len() > before {
        return None;
    }
    Some(Pupil {
        private_id,
        siecle_id: r
            .siecle_eleve_id
            .as_deref()
            .and_then(|s| s.trim().parse().ok()),
        ine: r.ine.as_deref().and_then(some),
        last_name: r.last_name.clone(),
        usage_name: some(&r.usage_name),
        first_name: r.first_name.clone(),
        first_name2: some(&r.first_name2),
        first_name3: some(&r.first_name3),
        nationality: some(&r.nationality_code),
        birth_date: birth_date?,
        sex: sex(&r.sex),
        birth_country: r.birth_country_code.clone(),
        birthplace: birthplace(&r.birth_commune_insee, &r.birth_city),
        entry_date: r.entry_date.as_deref().and_then(date),
        address: address(
            &stored_lines(&r.address_lines),
            &r.postcode,
            &r.city,
            &r.country_code,
        ),
        phones: Phones {
            home: some(&r.phone_home),
            work: some(&r.phone_work),
            mobile: some(&r.phone_mobile),
        },
        accepts_sms: flag(r.accepts_sms),
        email: some(&r.email),
        transport: flag(r.school_transport)?,
        regime: Regime::from_code(&r.regime_code),
        repeating: flag(r.repeating)?,
        grants: Vec::new(),
        links: Vec::new(),
        schooling: Some(Schooling {
            mef: r.siecle_mef_code.clone(),
            division: some(&r.division),
            status: r.status_code.clone(),
            start,
            end: None,
            stops_training: None,
            options: Vec::new(),
        }),
        previous: Some(PreviousYear {
            school: PreviousSchool::Uai(r.last_year_uai.clone()),
            provenance: r.provenance_code.clone(),
            mef: some(&r.last_year_mef_code),
            mef_type: None,
            division: some(&r.last_year_division),
            status: None,
            start: None,
            end: None,
            regime: None,
            options: Vec::new(),
        }),
        leaving: None,
    })
}

pub(super) fn apply_pupil(
    p: &mut Pupil,
    key: &str,
    value: &str,
    subject: &Subject,
    out: &mut Vec<Problem>,
) {
    match key {
        "last_name" => p.last_name = value.trim().to_owned(),
        "first_name" => p.first_name = value.trim().to_owned(),
        "other_first_names" => {
            let mut words = value.split_whitespace();
            p.first_name2 = words.next().map(str::to_owned);
            let rest: Vec<&str> = words.collect();
            p.first_name3 = (!rest.is_empty()).then(|| rest.join(" "));
        }
        "sex" => {
            if let Some(s) = sex(value) {
                p.sex = Some(s);
            }
        }
        "birth_date" => match date(value) {
            Some(d) => p.birth_date = d,
            None => out.push(problem(
                Severity::Blocking,
                0,
                subject,
                "la date de naissance",
                format!("« {value} » n'est pas une date"),
            )),
        },
        "birth_city" => match &p.birthplace {
            Some(Birthplace::Abroad(_)) => {
                p.birthplace = Some(Birthplace::Abroad(value.trim().to_owned()))
            }
            _ => out.push(problem(
                Severity::Warning,
                0,
                subject,
                "la commune de naissance",
                format!(
                    "la famille a écrit « {value} » : SIECLE attend le code INSEE de la commune, la commune reste celle de SIECLE, à modifier dans SIECLE"
                ),
            )),
        },
        _ => {}
    }
}

pub(super) fn apply_person(
    p: &mut Person,
    row: Option<&LinkRow>,
    key: &str,
    value: &str,
    out: &mut Vec<Problem>,
) {
    let subject = Subject::Person {
        private_id: p.private_id,
        name: format!("{} {}", p.first_name, p.last_name),
    };
    match key {
        "email" => p.email = some(value),
        "phone_mobile" => p.phones.mobile = phone(value),
        "phone_home" => p.phones.home = phone(value),
        "phone_work" => p.phones.work = phone(value),
        "profession_code" => {
            if let Some(code) = some(value) {
                p.profession = Pcs::from_code(&code);
            }
        }
        "address_lines" | "postcode" | "city" => {
            let country = p
                .address
                .as_ref()
                .map(|a| a.country.clone())
                .or_else(|| row.map(|r| r.country_code.clone()))
                .unwrap_or_default();
            let (mut lines, mut postcode, mut city) = match &p.address {
                Some(a) => match &a.town {
                    Town::France { postcode, name } => {
                        (a.lines.clone(), postcode.clone(), name.clone())
                    }
                    Town::Abroad(name) => (a.lines.clone(), String::new(), name.clone()),
                },
                None => (Vec::new(), String::new(), String::new()),
            };
            match key {
                "address_lines" => match Address::split_lines(value) {
                    Some(l) => lines = l,
                    None => {
                        out.push(problem(
                            Severity::Blocking,
                            20,
                            &subject,
                            "l'adresse",
                            "l'adresse donnée ne tient pas en quatre lignes de 38 caractères",
                        ));
                        return;
                    }
                },
                "postcode" => postcode = value.trim().to_owned(),
                _ => city = value.trim().to_owned(),
            }
            match address(&lines, &postcode, &city, &country) {
                Some(a) => p.address = Some(a),
                None => out.push(problem(
                    Severity::Blocking,
                    0,
                    &subject,
                    "l'adresse",
                    "l'adresse donnée est incomplète (code postal ou commune)",
                )),
            }
        }
        _ => {}
    }
}

pub(super) fn apply_options(
    p: &mut Pupil,
    before: &[String],
    value: &str,
    programmes: &[(String, String, String)],
    subject: &Subject,
    out: &mut Vec<Problem>,
) {
    let Some(s) = p.schooling.as_mut() else {
        return;
    };
    let before: BTreeSet<String> = before.iter().cloned().collect();
    let after = option_set(value);
    s.options
        .retain(|o| !before.contains(&o.subject) || after.contains(&o.subject));
    for code in after.difference(&before) {
        if s.options.iter().any(|o| &o.subject == code) {
            continue;
        }
        let modalities: BTreeSet<&str> = programmes
            .iter()
            .filter(|(mef, subj, m)| mef == &s.mef && subj == code && (m == "O" || m == "F"))
            .map(|(_, _, m)| m.as_str())
            .collect();
        match modalities.into_iter().collect::<Vec<_>>().as_slice() {
            [m] => s.options.push(OptionChoice {
                subject: code.clone(),
                modality: ModaliteElection::from_code(m),
            }),
            _ => out.push(problem(
                Severity::Blocking,
                35,
                subject,
                "les options",
                format!(
                    "l'option choisie (code {code}) n'a pas une seule modalité pour la formation dans la nomenclature SIECLE"
                ),
            )),
        }
    }
    s.options
        .sort_by_key(|o| o.modality != ModaliteElection::Obligatoire);
}
