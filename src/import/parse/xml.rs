//! The SIECLE XML exports (Nomenclature, Structures, ElevesAvecAdresses /
//! ElevesSansAdresses, ResponsablesAvecAdresses), streamed record by record.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::BufReader;

use dossiersco_siecle::Adresse;
use dossiersco_siecle::eleves::{Eleve, ElevesReader, ElevesRecord};
use dossiersco_siecle::nomenclatures::{NomenclaturesReader, NomenclaturesRecord};
use dossiersco_siecle::responsables::{
    Personne, ResponsableEleve, ResponsablesReader, ResponsablesRecord,
};
use dossiersco_siecle::structures::{StructuresReader, StructuresRecord};

use super::super::Problem;
use super::super::model::{
    AddressIn, GuardianIn, GuardianSiecleValues, LinkIn, LinkSiecleValues, MefIn, NomenclatureIn,
    PupilIn, PupilKey, PupilSiecleValues, StructureIn, SubjectIn,
};
use super::{
    InputFile, NO_BIRTH_DATE, NO_SEX, Parsed, civility, country_code, date, division_of,
    nationality_code, other_first_names, regime_code, sex_code, stop, text, unique_by_code,
};

fn open(file: &InputFile) -> Result<BufReader<File>, String> {
    File::open(&file.path)
        .map(|f| BufReader::with_capacity(64 * 1024, f))
        .map_err(|e| format!("le fichier ne peut pas être lu ({e})"))
}

/// Opens a reader and checks its UAJ; records a fatal problem otherwise.
macro_rules! open_reader {
    ($reader:ty, $file:expr, $uai:expr, $parsed:expr) => {{
        let input = match open($file) {
            Ok(input) => input,
            Err(message) => {
                $parsed.fatal_problem(&$file.name, message);
                return None;
            }
        };
        match <$reader>::new(input) {
            Err(err) => {
                $parsed
                    .problems
                    .push(Problem::from_error(&$file.name, &err));
                return None;
            }
            Ok(reader) => {
                let uaj = reader.uaj().as_str().to_string();
                if !uaj.eq_ignore_ascii_case($uai) {
                    $parsed.fatal_problem(
                        &$file.name,
                        format!(
                            "ce fichier est l'export de l'établissement {uaj} (PARAMETRES/UAJ), pas de votre établissement {} : il est refusé",
                            $uai
                        ),
                    );
                    return None;
                }
                $parsed.note_school_year(reader.parametres().annee_scolaire);
                reader
            }
        }
    }};
}

fn address(a: &Adresse) -> AddressIn {
    AddressIn {
        siecle_id: Some(a.adresse_id.to_string()),
        lines: a
            .lignes
            .iter()
            .flatten()
            .chain(a.boite_postale.iter())
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
        postcode: text(&a.code_postal),
        city: a
            .libelle_postal
            .clone()
            .or_else(|| a.commune_etrangere.clone())
            .unwrap_or_default(),
        commune_insee: text(&a.code_commune_insee),
        country_code: country_code(a.code_pays.as_ref()),
    }
}

pub(super) fn read_nomenclature(
    file: &InputFile,
    uai: &str,
    parsed: &mut Parsed,
    known: &mut HashSet<String>,
) -> Option<u64> {
    let mut reader = open_reader!(NomenclaturesReader<BufReader<File>>, file, uai, parsed);
    let mut out = NomenclatureIn::default();
    let mut count = 0;
    for record in &mut reader {
        let record = match record {
            Ok(record) => record,
            Err(err) => return stop(parsed, file, &err),
        };
        count += 1;
        match record {
            NomenclaturesRecord::Mef(m) => {
                if m.code_mef.chars().count() != 11 {
                    parsed.problems.push(Problem::record(
                        &file.name,
                        "CODE_MEF",
                        format!("MEF « {} »", m.code_mef),
                        "code MEF de 11 caractères attendu (enregistrement ignoré)".into(),
                    ));
                    continue;
                }
                known.insert(m.code_mef.clone());
                out.mefs.push(MefIn {
                    label: m
                        .libelle_long
                        .clone()
                        .or_else(|| m.libelle_edition.clone())
                        .unwrap_or_else(|| m.code_mef.clone()),
                    edition_label: text(&m.libelle_edition),
                    attached_mef_code: text(&m.mef_rattachement),
                    formation: text(&m.formation),
                    mandatory_options_count: m.nb_opt_oblig.map(i64::from),
                    code: m.code_mef,
                });
            }
            NomenclaturesRecord::Matiere(m) => out.subjects.push(SubjectIn {
                management_code: text(&m.code_gestion),
                short_label: text(&m.libelle_court),
                long_label: text(&m.libelle_long),
                edition_label: text(&m.libelle_edition),
                national_code: text(&m.code_matiere_nationale),
                code: m.code_matiere,
            }),
            NomenclaturesRecord::Programme(p) => out.programmes.push((
                p.code_mef,
                p.code_matiere,
                p.code_modalite_elect
                    .map(|m| m.code().to_string())
                    .unwrap_or_default(),
                p.horaire.map(|h| h.to_string()).unwrap_or_default(),
            )),
            NomenclaturesRecord::OptionObligatoire(o) => {
                out.mandatory_options
                    .push((o.code_mef, o.code_matiere, i64::from(o.rang_option)))
            }
            NomenclaturesRecord::Code(c) if c.bloc == "PROVENANCES" => {
                out.provenances
                    .push((c.code, text(&c.libelle_court), text(&c.libelle_long)))
            }
            NomenclaturesRecord::Code(_) => {}
        }
    }
    let dropped = reader.dropped_warnings();
    parsed.warnings(&file.name, reader.take_warnings(), dropped);
    parsed.nomenclature = Some(out);
    Some(count)
}

pub(super) fn read_structures(file: &InputFile, uai: &str, parsed: &mut Parsed) -> Option<u64> {
    let mut reader = open_reader!(StructuresReader<BufReader<File>>, file, uai, parsed);
    let mut out = Vec::new();
    for record in &mut reader {
        match record {
            Err(err) => return stop(parsed, file, &err),
            Ok(StructuresRecord::Division(d)) => out.push(StructureIn {
                code: d.code_structure,
                kind: "D".into(),
                label: text(&d.libelle_long),
                mef_codes: d.mefs,
            }),
            Ok(StructuresRecord::Groupe(g)) => out.push(StructureIn {
                code: g.code_structure,
                kind: "G".into(),
                label: text(&g.libelle_long),
                mef_codes: g.mefs,
            }),
        }
    }
    let dropped = reader.dropped_warnings();
    parsed.warnings(&file.name, reader.take_warnings(), dropped);
    let count = out.len() as u64;
    parsed.structures = Some(out);
    Some(count)
}

pub(super) fn read_eleves(
    file: &InputFile,
    uai: &str,
    parsed: &mut Parsed,
    known_mefs: &HashSet<String>,
) -> Option<u64> {
    let reader = open_reader!(ElevesReader<BufReader<File>>, file, uai, parsed);
    let mut reader = if known_mefs.is_empty() {
        parsed.problems.push(Problem::warning(
            &file.name,
            "aucune nomenclature connue : les MEF des élèves ne peuvent pas être vérifiés ; joignez Nomenclature.xml à l'import".into(),
        ));
        reader
    } else {
        reader.with_known_mefs(known_mefs.iter().cloned())
    };
    let mut eleves: Vec<Box<Eleve>> = Vec::new();
    let mut options: HashMap<u64, Vec<(String, String, Option<i64>)>> = HashMap::new();
    let mut structures: HashMap<u64, Vec<(String, String)>> = HashMap::new();
    let mut addresses: HashMap<u64, AddressIn> = HashMap::new();
    let mut grants: HashMap<u64, Vec<String>> = HashMap::new();
    for record in &mut reader {
        match record {
            Err(err) => return stop(parsed, file, &err),
            Ok(ElevesRecord::Eleve(e)) => eleves.push(e),
            Ok(ElevesRecord::Options(o)) => {
                options
                    .entry(o.eleve_id)
                    .or_default()
                    .extend(o.options.into_iter().map(|opt| {
                        (
                            opt.code_matiere,
                            opt.code_modalite_elect
                                .map(|m| m.code().to_string())
                                .unwrap_or_default(),
                            opt.num_option.map(i64::from),
                        )
                    }))
            }
            Ok(ElevesRecord::Structures(s)) => structures.entry(s.eleve_id).or_default().extend(
                s.structures
                    .into_iter()
                    .filter(|st| st.type_structure.is_known())
                    .map(|st| (st.code_structure, st.type_structure.code().to_string())),
            ),
            Ok(ElevesRecord::Adresse(a)) => {
                addresses.insert(a.adresse_id, address(&a));
            }
            Ok(ElevesRecord::Bourse(b)) => {
                let codes = grants.entry(b.eleve_id).or_default();
                if !codes.contains(&b.code_bourse) {
                    codes.push(b.code_bourse);
                }
            }
        }
    }
    let dropped = reader.dropped_warnings();
    parsed.warnings(&file.name, reader.take_warnings(), dropped);
    for skipped in reader.skipped_eleves() {
        parsed.skip_pupil(
            skipped.eleve_id.map(|id| id.to_string()),
            skipped.id_national.as_ref().map(|i| i.as_str().to_string()),
        );
    }
    let count = eleves.len() as u64;
    let mut pupils = Vec::with_capacity(eleves.len());
    for e in eleves {
        let record = format!("élève ELEVE_ID {}", e.eleve_id);
        let left_out = |parsed: &mut Parsed, field: &str, message: &str| {
            parsed.problems.push(Problem::record(
                &file.name,
                field,
                record.clone(),
                message.into(),
            ));
            parsed.skip_pupil(
                Some(e.eleve_id.to_string()),
                e.id_national.as_ref().map(|i| i.as_str().to_string()),
            );
        };
        let Some(sex) = sex_code(e.code_sexe.as_ref()) else {
            left_out(parsed, "CODE_SEXE", NO_SEX);
            continue;
        };
        let Some(birth_date) = date(e.date_naiss) else {
            left_out(parsed, "DATE_NAISS", NO_BIRTH_DATE);
            continue;
        };
        let structures =
            unique_by_code(structures.remove(&e.eleve_id).unwrap_or_default(), |s| &s.0);
        let options = unique_by_code(options.remove(&e.eleve_id).unwrap_or_default(), |o| &o.0);
        let address = e
            .adresse_id
            .and_then(|id| addresses.get(&id).cloned())
            .unwrap_or_default();
        let mut pupil = pupil_of(&e, sex, birth_date, structures, options, address);
        pupil.siecle.grant_codes = grants.remove(&e.eleve_id).unwrap_or_default();
        pupils.push(pupil);
    }
    parsed.pupils = Some(pupils);
    Some(count)
}

/// The pupil of an ELEVE record, once its sex and birth date are known.
fn pupil_of(
    e: &Eleve,
    sex: &str,
    birth_date: String,
    structures: Vec<(String, String)>,
    options: Vec<(String, String, Option<i64>)>,
    address: AddressIn,
) -> PupilIn {
    let last_year = e.scolarite_an_dernier.clone().unwrap_or_default();
    PupilIn {
        eleve_id: Some(e.eleve_id.to_string()),
        ine: e.id_national.as_ref().map(|i| i.as_str().to_string()),
        elenoet: e.elenoet.clone(),
        last_name: e.nom_de_famille.clone(),
        first_name: e.prenom.clone(),
        other_first_names: other_first_names(&e.prenom2, &e.prenom3),
        sex: sex.into(),
        birth_date,
        birth_city: text(&e.ville_naiss),
        birth_country_code: country_code(e.code_pays.as_ref()),
        birth_commune_insee: text(&e.code_commune_insee_naiss),
        birth_department: text(&e.code_departement_naiss),
        nationality_code: nationality_code(e.code_pays_nat.as_ref()),
        regime_code: regime_code(e.code_regime.as_ref()),
        mef_code: text(&e.code_mef),
        division: division_of(&structures),
        structures,
        options,
        last_year_mef_code: text(&last_year.code_mef),
        last_year_division: text(&last_year.code_structure),
        last_year_uai: text(&last_year.code_rne),
        entry_date: date(e.date_entree),
        address,
        siecle: PupilSiecleValues {
            private_id: e.id_prv_ele.clone(),
            usage_name: text(&e.nom_usage),
            first_name2: text(&e.prenom2),
            first_name3: text(&e.prenom3),
            status_code: text(&e.code_statut),
            provenance_code: text(&e.code_provenance),
            repeating: e.doublement,
            school_transport: e.adhesion_transport,
            accepts_sms: e.accepte_sms,
            phone_home: text(&e.tel_personnel),
            phone_work: text(&e.tel_professionnel),
            phone_mobile: text(&e.tel_portable),
            email: text(&e.mel),
            exit_date: date(e.date_sortie),
            exit_reason_code: text(&e.code_motif_sortie),
            grant_codes: Vec::new(),
        },
    }
}

/// The link's CODE_PARENTE, or 90 (other) when absent or invalid (a problem
/// is recorded then).
fn relationship_code(file: &InputFile, parsed: &mut Parsed, r: &ResponsableEleve) -> String {
    match &r.code_parente {
        Some(p) if p.has_valid_length() => p.code().to_string(),
        Some(p) => {
            parsed.problems.push(Problem::record(
                &file.name,
                "CODE_PARENTE",
                format!(
                    "lien ELEVE_ID {} – PERSONNE_ID {}",
                    r.eleve_id, r.personne_id
                ),
                format!(
                    "code de parenté « {} » invalide, remplacé par 90 (autre lien)",
                    p.code()
                ),
            ));
            "90".into()
        }
        None => "90".into(),
    }
}

fn guardian_of(p: &Personne, addresses: &HashMap<u64, AddressIn>) -> GuardianIn {
    let (civility, civility_code) = civility(p.civilite.as_ref());
    GuardianIn {
        key: p.personne_id.to_string(),
        civility,
        civility_code,
        last_name: p.nom_de_famille.clone(),
        first_name: p.prenom.clone(),
        email: text(&p.mel),
        phone_mobile: text(&p.tel_portable),
        phone_home: text(&p.tel_personnel),
        phone_work: text(&p.tel_professionnel),
        profession_code: p
            .code_profession
            .as_ref()
            .map(|c| c.code().to_string())
            .unwrap_or_default(),
        accepts_sms: p.accepte_sms.unwrap_or(false),
        address: p
            .adresse_id
            .and_then(|id| addresses.get(&id).cloned())
            .unwrap_or_default(),
        siecle: GuardianSiecleValues {
            private_id: p.id_prv_per.clone(),
            usage_name: text(&p.nom_usage),
            shares_address: p.communication_adresse,
            accepts_sms: p.accepte_sms,
        },
    }
}

pub(super) fn read_responsables(file: &InputFile, uai: &str, parsed: &mut Parsed) -> Option<u64> {
    let mut reader = open_reader!(ResponsablesReader<BufReader<File>>, file, uai, parsed);
    let mut personnes: Vec<Box<Personne>> = Vec::new();
    let mut responsables: Vec<ResponsableEleve> = Vec::new();
    let mut addresses: HashMap<u64, AddressIn> = HashMap::new();
    for record in &mut reader {
        match record {
            Err(err) => return stop(parsed, file, &err),
            Ok(ResponsablesRecord::Personne(p)) => personnes.push(p),
            Ok(ResponsablesRecord::Responsable(r)) => responsables.push(r),
            Ok(ResponsablesRecord::Adresse(a)) => {
                addresses.insert(a.adresse_id, address(&a));
            }
        }
    }
    let dropped = reader.dropped_warnings();
    parsed.warnings(&file.name, reader.take_warnings(), dropped);
    let count = personnes.len() as u64;
    let mut seen = HashSet::new();
    let guardians: Vec<GuardianIn> = personnes
        .iter()
        .filter(|p| seen.insert(p.personne_id))
        .map(|p| guardian_of(p, &addresses))
        .collect();
    // Ranks: the legal guardians of a pupil are 1 and 2 in file order, the others 3.
    let mut legal_so_far: HashMap<u64, i64> = HashMap::new();
    let mut links = Vec::with_capacity(responsables.len());
    let mut seen_links = HashSet::new();
    for r in &responsables {
        if !seen.contains(&r.personne_id) {
            parsed.problems.push(Problem::record(
                &file.name,
                "PERSONNE_ID",
                format!(
                    "lien ELEVE_ID {} – PERSONNE_ID {}",
                    r.eleve_id, r.personne_id
                ),
                "personne absente du bloc PERSONNES (lien ignoré)".into(),
            ));
            continue;
        }
        if !seen_links.insert((r.eleve_id, r.personne_id)) {
            continue;
        }
        let legal = r.est_representant_legal();
        let rank = if legal {
            let n = legal_so_far.entry(r.eleve_id).or_insert(0);
            *n += 1;
            (*n).min(3)
        } else {
            3
        };
        let relationship_code = relationship_code(file, parsed, r);
        links.push(LinkIn {
            pupil: PupilKey::EleveId(r.eleve_id.to_string()),
            guardian_key: r.personne_id.to_string(),
            rank,
            relationship_code,
            legal_responsibility: r
                .niveau_responsabilite
                .as_ref()
                .and_then(|n| n.code().parse().ok())
                .unwrap_or(if legal { 1 } else { 3 }),
            pays_fees: r.paie_frais_scolaires.unwrap_or(false),
            receives_aid: r.percoit_les_aides.unwrap_or(false),
            lives_with_pupil: r.heberge_eleve.unwrap_or(false),
            contact_first: r.a_contacter_en_priorite.unwrap_or(false),
            siecle: LinkSiecleValues {
                relationship_code: r
                    .code_parente
                    .as_ref()
                    .filter(|p| p.has_valid_length())
                    .map(|p| p.code().to_string())
                    .unwrap_or_default(),
                pays_fees: r.paie_frais_scolaires,
                receives_aid: r.percoit_les_aides,
                lives_with_pupil: r.heberge_eleve,
                contact_first: r.a_contacter_en_priorite,
            },
        });
    }
    parsed.guardians = Some((guardians, links));
    Some(count)
}
