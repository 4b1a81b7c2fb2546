//! The dry run: one test per check of RETURN-FILE-RULES.md §4 the schema does not express.

use dossiersco_siecle::codes::{Civilite, ModaliteElection, Parente, Pcs};
use dossiersco_siecle::nomenclatures::{Matiere, Mef, OptionObligatoire, Programme};
use dossiersco_siecle::return_file::{
    Birthplace, DryRun, DryRunContext, Leaving, OptionChoice, PreviousSchool, ReturnFile, Severity,
    Subject, Town, dry_run,
};
use dossiersco_siecle::structures::Division;
use dossiersco_siecle::{Parametres, Uai};

use super::{MEF_5E, MEF_6E, date, pupil, sample};

const LATIN: &str = "020100";
const LV2: &str = "030201";
const LV2_BIS: &str = "030602";

fn mef(code: &str, label: &str, mandatory: Option<u8>) -> Mef {
    Mef {
        code_mef: code.into(),
        libelle_long: Some(label.into()),
        nb_opt_oblig: mandatory,
        mef_origine: Some(true),
        ..Mef::default()
    }
}

fn programme(mef: &str, subject: &str, m: ModaliteElection) -> Programme {
    Programme {
        code_mef: mef.into(),
        code_matiere: subject.into(),
        code_modalite_elect: Some(m),
        horaire: None,
    }
}

/// What SIECLE holds for the sample: its two known pupils and their parents, as they
/// are in the file (nothing changed), plus one pupil who is not in the file.
fn context(file: &ReturnFile) -> DryRunContext {
    let mut absent = pupil(20, "Bernard", "Hugo", &[1]);
    absent.links.clear();
    DryRunContext {
        school_year_dates: Some((date(2025, 9, 1), date(2026, 7, 4))),
        mefs: vec![mef(MEF_5E, "5EME", Some(1)), mef(MEF_6E, "6EME", Some(0))],
        subjects: vec![Matiere {
            code_matiere: LV2.into(),
            libelle_long: Some("ESPAGNOL LV2".into()),
            ..Matiere::default()
        }],
        programmes: vec![
            programme(MEF_5E, LV2, ModaliteElection::Obligatoire),
            programme(MEF_5E, LV2_BIS, ModaliteElection::Obligatoire),
            programme(MEF_5E, LATIN, ModaliteElection::Facultatif),
        ],
        mandatory_options: vec![
            OptionObligatoire {
                code_mef: MEF_5E.into(),
                code_matiere: LV2.into(),
                rang_option: 1,
            },
            OptionObligatoire {
                code_mef: MEF_5E.into(),
                code_matiere: LV2_BIS.into(),
                rang_option: 1,
            },
        ],
        divisions: vec![
            Division {
                code_structure: "5A".into(),
                mefs: vec![MEF_5E.into()],
                ..Division::default()
            },
            Division {
                code_structure: "6A".into(),
                mefs: vec![MEF_6E.into()],
                ..Division::default()
            },
        ],
        siecle_pupils: vec![file.pupils[0].clone(), file.pupils[1].clone(), absent],
        siecle_persons: vec![file.persons[0].clone(), file.persons[1].clone()],
        removed_links: vec![],
        exports: vec![Parametres {
            uaj: Some(file.uai.clone()),
            annee_scolaire: Some(2025),
            date_export: Some(date(2025, 6, 27)),
            horodatage: Some(date(2025, 6, 27).and_hms_opt(9, 0, 0).unwrap()),
            version: None,
        }],
        last_send: None,
        exports_of_the_year_before: false,
    }
}

fn run(f: &ReturnFile, ctx: &DryRunContext) -> DryRun {
    dry_run(f, ctx)
}

/// The problems of one check, displayed.
fn of_check(r: &DryRun, check: u8) -> Vec<String> {
    r.problems
        .iter()
        .filter(|p| p.check == check)
        .map(|p| format!("{:?} {p}", p.severity))
        .collect()
}

fn assert_has(r: &DryRun, check: u8, severity: Severity, text: &str) {
    let found = r
        .problems
        .iter()
        .any(|p| p.check == check && p.severity == severity && p.to_string().contains(text));
    assert!(
        found,
        "no {severity:?} problem of check {check} containing « {text} » in:\n{}",
        r.problems
            .iter()
            .map(|p| format!("{:?} {} {p}", p.severity, p.check))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_sample_passes_with_only_the_expected_warnings() {
    let f = sample();
    let r = run(&f, &context(&f));
    assert!(!r.is_blocked(), "{:#?}", r.problems);
    let mut checks: Vec<u8> = r.warnings().map(|p| p.check).collect();
    checks.sort();
    // One SIECLE pupil not in the file (the grants carry their number of
    // parts, which the school gave: no check 30).
    assert_eq!(checks, vec![41]);
    assert_has(
        &r,
        41,
        Severity::Warning,
        "1 élève(s) de SIECLE ne sont pas dans le fichier",
    );
    let groups = r.by_subject();
    assert_eq!(groups[0].0, &Subject::File);
}

#[test]
fn the_writers_refusals_are_blocking_problems_of_the_dry_run() {
    let mut f = sample();
    let ctx = context(&f);
    f.pupils[0].links[1].person = 99;
    let r = run(&f, &ctx);
    assert!(r.is_blocked());
    assert_has(
        &r,
        0,
        Severity::Blocking,
        "Élève Zoé Martin — un responsable : le responsable d'identifiant 99 n'est pas dans la liste des personnes du fichier",
    );
}

#[test]
fn check_33_the_division_must_belong_to_the_mef() {
    let mut f = sample();
    let ctx = context(&f);
    f.pupils[0].schooling.as_mut().unwrap().division = Some("6A".into());
    f.pupils[1].schooling.as_mut().unwrap().division = Some("5Z".into());
    let r = run(&f, &ctx);
    assert_has(
        &r,
        33,
        Severity::Blocking,
        "Élève Zoé Martin — la division : la division 6A n'est pas rattachée à la formation « 5EME » (10110001110)",
    );
    assert_has(
        &r,
        33,
        Severity::Blocking,
        "Élève Léo Martin — la division : la division 5Z n'existe pas dans SIECLE",
    );
    // Without the Structures export, a division cannot be checked: blocking, not silent.
    let mut ctx = context(&f);
    ctx.divisions.clear();
    assert_has(&run(&f, &ctx), 33, Severity::Blocking, "export Structures");
    // No division at all is fine.
    for p in &mut f.pupils {
        p.schooling.as_mut().unwrap().division = None;
    }
    assert!(of_check(&run(&f, &ctx), 33).is_empty());
}

#[test]
fn checks_35_and_36_options_allowed_for_the_mef_and_their_count() {
    let mut f = sample();
    let ctx = context(&f);
    let opts = &mut f.pupils[0].schooling.as_mut().unwrap().options;
    opts.push(OptionChoice {
        subject: LATIN.into(),
        modality: ModaliteElection::Obligatoire,
    });
    let opts = &mut f.pupils[1].schooling.as_mut().unwrap().options;
    opts.clear();
    let opts = &mut f.pupils[2].schooling.as_mut().unwrap().options;
    opts.insert(
        0,
        OptionChoice {
            subject: LATIN.into(),
            modality: ModaliteElection::Facultatif,
        },
    );
    opts.push(OptionChoice {
        subject: "LATIN".into(),
        modality: ModaliteElection::Facultatif,
    });
    let r = run(&f, &ctx);
    assert_has(
        &r,
        35,
        Severity::Blocking,
        "Élève Zoé Martin — les options : l'option de code 020100 (option obligatoire) n'est pas au programme de la formation « 5EME »",
    );
    assert_has(
        &r,
        36,
        Severity::Blocking,
        "Élève Zoé Martin — les options obligatoires : 2 option(s) obligatoire(s) pour la formation « 5EME » (10110001110), qui en demande exactement 1",
    );
    assert_has(
        &r,
        36,
        Severity::Blocking,
        "Élève Zoé Martin — les options obligatoires : l'option de code 020100 n'est pas permise comme option obligatoire de rang 2",
    );
    assert_has(
        &r,
        36,
        Severity::Blocking,
        "Élève Léo Martin — les options obligatoires : 0 option(s) obligatoire(s)",
    );
    assert_has(
        &r,
        37,
        Severity::Warning,
        "Élève Léo Martin — les options : 0 option(s) dans le fichier, 1 dans SIECLE",
    );
    assert_has(
        &r,
        36,
        Severity::Blocking,
        "Élève Awa N'Diaye — les options obligatoires : les options obligatoires doivent venir avant les autres",
    );
    assert_has(
        &r,
        35,
        Severity::Blocking,
        "Élève Awa N'Diaye — les options : « LATIN » n'est pas un code de matière SIECLE à 6 chiffres",
    );
    // The other mandatory option allowed at rank 1 is fine; its name is used when known.
    let mut f = sample();
    f.pupils[0].schooling.as_mut().unwrap().options[0].subject = LV2_BIS.into();
    assert!(
        !run(&f, &ctx)
            .problems
            .iter()
            .any(|p| p.check == 35 || p.check == 36)
    );
    f.pupils[0]
        .schooling
        .as_mut()
        .unwrap()
        .options
        .push(OptionChoice {
            subject: LV2.into(),
            modality: ModaliteElection::Facultatif,
        });
    assert_has(
        &run(&f, &ctx),
        35,
        Severity::Blocking,
        "l'option « ESPAGNOL LV2 » (030201) (option facultative) n'est pas au programme",
    );
}

#[test]
fn check_22_code_parente_is_two_known_characters() {
    let mut f = sample();
    let ctx = context(&f);
    f.pupils[0].links[0].relationship = Parente::from_code("1");
    f.pupils[1].links[0].relationship = Parente::from_code("99");
    let r = run(&f, &ctx);
    assert_has(
        &r,
        22,
        Severity::Blocking,
        "Élève Zoé Martin — le lien de parenté : le lien avec Inès Martin (code « 1 ») n'est pas un lien de parenté de SIECLE à 2 chiffres",
    );
    assert_has(
        &r,
        22,
        Severity::Blocking,
        "Élève Léo Martin — le lien de parenté : le lien avec Inès Martin (code « 99 »)",
    );
}

#[test]
fn check_20_phones_are_digits_only_and_plausible() {
    let mut f = sample();
    let ctx = context(&f);
    f.persons[0].phones.home = Some("01 43 43 43 43".into());
    f.persons[1].phones.mobile = Some("0143434343".into());
    f.persons[2].phones.home = Some("014343".into());
    f.persons[2].phones.mobile = Some("+351912345678".into());
    let r = run(&f, &ctx);
    assert_has(
        &r,
        20,
        Severity::Blocking,
        "Responsable Inès Martin — le téléphone personnel : « 01 43 43 43 43 » : seulement des chiffres",
    );
    assert_has(
        &r,
        20,
        Severity::Warning,
        "Responsable Stéphane Martin — le téléphone portable : « 0143434343 » n'est pas un numéro de portable",
    );
    assert_has(
        &r,
        20,
        Severity::Warning,
        "Responsable Ousmane N'Diaye — le téléphone personnel : « 014343 » n'a pas les 10 chiffres",
    );
    assert_eq!(of_check(&r, 20).len(), 3, "{:?}", of_check(&r, 20));
}

#[test]
fn check_19_addresses_in_france_or_abroad_and_the_first_guardians() {
    let mut f = sample();
    let ctx = context(&f);
    f.persons[0].address.as_mut().unwrap().country = "139".into();
    f.persons[1].address.as_mut().unwrap().town = Town::France {
        postcode: "7501".into(),
        name: "PARIS".into(),
    };
    f.persons[2].address = None;
    let r = run(&f, &ctx);
    assert_has(
        &r,
        19,
        Severity::Blocking,
        "Responsable Inès Martin — le pays de l'adresse : une adresse avec un code postal doit être en France",
    );
    assert_has(
        &r,
        19,
        Severity::Blocking,
        "Responsable Stéphane Martin — le code postal : « 7501 » n'est pas un code postal de 5 chiffres",
    );
    assert_has(
        &r,
        19,
        Severity::Blocking,
        "Élève Awa N'Diaye — l'adresse du premier représentant légal : Ousmane N'Diaye n'a pas d'adresse",
    );
}

#[test]
fn check_23_no_guardian_dropped_unless_an_agent_removed_it() {
    let mut f = sample();
    let mut ctx = context(&f);
    f.pupils[0].links.remove(1);
    let r = run(&f, &ctx);
    assert_has(
        &r,
        23,
        Severity::Blocking,
        "Élève Zoé Martin — les responsables : Stéphane Martin (père) est lié(e) à l'élève dans SIECLE mais absent(e) du fichier",
    );
    ctx.removed_links.push((10, 2));
    assert!(of_check(&run(&f, &ctx), 23).is_empty());
    // Two mothers, and a guardian renamed: warnings.
    let mut f = sample();
    f.pupils[0].links[1].relationship = Parente::Mere;
    f.persons[1].last_name = "Dupont".into();
    let r = run(&f, &context(&sample()));
    assert_has(
        &r,
        23,
        Severity::Warning,
        "Élève Zoé Martin — les représentants légaux : deux représentants légaux ont le lien « Mère »",
    );
    assert_has(
        &r,
        23,
        Severity::Warning,
        "Responsable Stéphane Dupont — le nom : SIECLE connaît cette personne sous le nom Stéphane Martin",
    );
}

#[test]
fn check_34_date_deb_sco_inside_the_school_year_never_assumed() {
    let mut f = sample();
    let mut ctx = context(&f);
    f.pupils[0].schooling.as_mut().unwrap().start = date(2019, 9, 2);
    f.pupils[1].schooling.as_mut().unwrap().end = Some(date(2026, 8, 31));
    let r = run(&f, &ctx);
    assert_has(
        &r,
        34,
        Severity::Blocking,
        "Élève Zoé Martin — la date de début de scolarité : le 02/09/2019 est hors de l'année scolaire (du 01/09/2025 au 04/07/2026)",
    );
    assert_has(
        &r,
        34,
        Severity::Blocking,
        "Élève Léo Martin — la date de fin de scolarité : le 31/08/2026",
    );
    ctx.school_year_dates = None;
    assert_has(
        &run(&sample(), &ctx),
        34,
        Severity::Blocking,
        "Fichier — les dates de l'année scolaire",
    );
}

#[test]
fn check_32_the_mef_is_in_the_target_years_nomenclature() {
    let mut f = sample();
    let mut ctx = context(&f);
    f.pupils[0].schooling.as_mut().unwrap().mef = "10110001999".into();
    assert_has(
        &run(&f, &ctx),
        32,
        Severity::Blocking,
        "Élève Zoé Martin — la formation (MEF) : la formation de code 10110001999 n'est pas dans la nomenclature de l'année",
    );
    ctx.mefs.clear();
    assert_has(
        &run(&sample(), &ctx),
        32,
        Severity::Blocking,
        "Fichier — la nomenclature",
    );
}

#[test]
fn checks_12_13_and_15_identity_of_pupils_and_persons() {
    let mut f = sample();
    let ctx = context(&f);
    f.pupils[0].ine = Some("070000099AB".into());
    f.pupils[1].siecle_id = Some(42);
    f.pupils[2].private_id = 20; // held by Hugo Bernard in SIECLE
    f.persons[2].private_id = 1;
    f.pupils[2].links[0].person = 1;
    f.persons[0].private_id = 3;
    for l in f.pupils.iter_mut().flat_map(|p| p.links.iter_mut()) {
        if l.person == 3 && l.relationship != Parente::Tuteur {
            l.person = 99;
        }
    }
    let r = run(&f, &ctx);
    assert_has(
        &r,
        12,
        Severity::Blocking,
        "Élève Zoé Martin — l'INE : l'INE doit être celui du dernier export SIECLE (070000010AB)",
    );
    assert_has(
        &r,
        13,
        Severity::Blocking,
        "Élève Léo Martin — l'identifiant SIECLE : aucun élève de l'export SIECLE n'a l'identifiant 42",
    );
    assert_has(
        &r,
        13,
        Severity::Blocking,
        "Élève Awa N'Diaye — l'identifiant privé : l'identifiant 20 est celui de Hugo Bernard dans SIECLE",
    );
    assert_has(
        &r,
        13,
        Severity::Blocking,
        "Responsable Ousmane N'Diaye — l'identifiant privé : l'identifiant 1 est celui de Inès Martin dans SIECLE",
    );
    // A new pupil who is in fact known to SIECLE (same names and birth date).
    let mut f = sample();
    let mut twin = f.pupils[0].clone();
    twin.private_id = 13;
    twin.siecle_id = None;
    twin.ine = None;
    twin.last_name = "MARTIN".into();
    f.pupils.push(twin);
    assert_has(
        &run(&f, &ctx),
        15,
        Severity::Blocking,
        "Élève Zoé MARTIN — l'identité : SIECLE connaît déjà un élève Zoé Martin né(e) le 02/04/2013 (INE 070000010AB)",
    );
}

#[test]
fn checks_11_16_17_18_21_values_never_invented() {
    let mut f = sample();
    let ctx = context(&f);
    f.persons[0].civility = Civilite::from_code("3");
    f.persons[1].profession = Pcs::from_code("73");
    f.persons[1].usage_name = Some("MARTIN".into());
    f.persons[2].phones.mobile = None;
    f.persons[2].last_name = "Inconnu".into();
    f.pupils[2].birthplace = Some(Birthplace::Abroad("?".into()));
    let r = run(&f, &ctx);
    assert_has(
        &r,
        16,
        Severity::Blocking,
        "Responsable Inès Martin — la civilité : « 3 » n'est ni Monsieur ni Madame",
    );
    assert_has(
        &r,
        18,
        Severity::Blocking,
        "Responsable Stéphane Martin — la profession : le code 73 n'est pas une catégorie socio-professionnelle en vigueur",
    );
    assert_has(
        &r,
        17,
        Severity::Warning,
        "Responsable Stéphane Martin — le nom d'usage : identique au nom de famille",
    );
    assert_has(
        &r,
        21,
        Severity::Blocking,
        "Responsable Ousmane Inconnu — l'accord pour les SMS : accepte les SMS mais n'a pas de téléphone portable",
    );
    assert_has(
        &r,
        11,
        Severity::Blocking,
        "Responsable Ousmane Inconnu — le nom de famille : « Inconnu » n'est pas une vraie valeur",
    );
    assert_has(
        &r,
        11,
        Severity::Blocking,
        "Élève Awa N'Diaye — la ville de naissance : « ? » n'est pas une vraie valeur",
    );
}

#[test]
fn checks_25_26_27_identity_codes_and_birthplace() {
    let mut f = sample();
    let ctx = context(&f);
    f.pupils[0].last_name = "Martin-Durand".into();
    f.pupils[0].birth_country = "FRA".into();
    f.pupils[1].birthplace = Some(Birthplace::Abroad("PARIS".into()));
    f.pupils[2].birthplace = Some(Birthplace::Insee("99139".into()));
    let r = run(&f, &ctx);
    assert_has(
        &r,
        25,
        Severity::Warning,
        "Élève Zoé Martin-Durand — l'identité : diffère de SIECLE : nom de famille (SIECLE : Martin), lieu de naissance",
    );
    assert_has(
        &r,
        26,
        Severity::Blocking,
        "Élève Zoé Martin-Durand — le pays de naissance : « FRA » n'est pas un code pays SIECLE à 3 chiffres",
    );
    assert_has(
        &r,
        27,
        Severity::Blocking,
        "Élève Léo Martin — la commune de naissance : né(e) en France : il faut le code INSEE de la commune",
    );
    assert_has(
        &r,
        27,
        Severity::Blocking,
        "Élève Awa N'Diaye — la commune de naissance : un code de commune INSEE (99139) pour une naissance hors de France",
    );
}

#[test]
fn checks_28_29_regime_transport_and_repeating_as_siecle_had_them() {
    let mut f = sample();
    let ctx = context(&f);
    f.pupils[0].regime = dossiersco_siecle::codes::Regime::from_code("7");
    f.pupils[0].transport = false;
    f.pupils[1].previous.as_mut().unwrap().mef = Some(MEF_5E.into());
    let r = run(&f, &ctx);
    assert_has(
        &r,
        28,
        Severity::Blocking,
        "Élève Zoé Martin — le régime (demi-pension, internat) : le code 7 n'est pas un régime de SIECLE",
    );
    assert_has(
        &r,
        29,
        Severity::Blocking,
        "Élève Zoé Martin — le transport scolaire : doit rester la valeur de SIECLE",
    );
    assert_has(
        &r,
        29,
        Severity::Blocking,
        "Élève Léo Martin — le redoublement : même formation que l'an dernier (« 5EME » (10110001110)) mais le redoublement n'est pas indiqué",
    );
    assert_has(
        &r,
        38,
        Severity::Blocking,
        "Élève Léo Martin — la scolarité de l'an dernier : doit être celle que SIECLE connaît",
    );
}

#[test]
fn checks_31_38_39_leaving_pupils_and_the_school_of_origin() {
    let mut f = sample();
    let mut ctx = context(&f);
    f.pupils[1].leaving = Some(Leaving {
        motive: "DM".into(),
        date: date(2025, 7, 4),
    });
    f.pupils[2].previous.as_mut().unwrap().school = PreviousSchool::Uai(f.uai.to_string());
    ctx.mefs[1].mef_origine = Some(false);
    let r = run(&f, &ctx);
    assert_has(
        &r,
        31,
        Severity::Blocking,
        "Élève Léo Martin — la sortie de l'élève : la sortie d'un élève se saisit dans SIECLE",
    );
    assert_has(
        &r,
        38,
        Severity::Blocking,
        "Élève Awa N'Diaye — l'établissement d'origine : un nouvel élève vient d'un autre établissement",
    );
    assert_has(
        &r,
        39,
        Severity::Warning,
        "Élève Zoé Martin — la formation de l'an dernier : la formation « 6EME » (10010012110) n'est pas une formation d'origine",
    );
}

#[test]
fn checks_24_and_3_lodging_fees_and_transliteration() {
    let mut f = sample();
    let ctx = context(&f);
    for l in &mut f.pupils[0].links {
        l.lives_with_pupil = Some(false);
        l.pays_fees = None;
    }
    f.persons[2].first_name = "Łukasz".into();
    let r = run(&f, &ctx);
    assert_has(
        &r,
        24,
        Severity::Warning,
        "Élève Zoé Martin — l'hébergement de l'élève : aucun responsable n'héberge l'élève",
    );
    assert_has(
        &r,
        24,
        Severity::Warning,
        "Élève Zoé Martin — le paiement des frais scolaires : aucun responsable ne paie les frais scolaires",
    );
    assert_has(
        &r,
        3,
        Severity::Warning,
        "Responsable Łukasz N'Diaye — le prénom : « Łukasz » sera écrit « Lukasz »",
    );
    assert!(!r.is_blocked(), "{:#?}", r.blocking().collect::<Vec<_>>());
}

#[test]
fn checks_5_to_8_the_file_the_exports_and_the_send_number() {
    let mut f = sample();
    let mut ctx = context(&f);
    f.uai = Uai::parse("0752387A").unwrap();
    ctx.exports.push(Parametres {
        uaj: Uai::parse("0750680G"),
        annee_scolaire: Some(2024),
        ..Parametres::default()
    });
    ctx.last_send = Some((1, date(2025, 6, 27).and_hms_opt(17, 0, 0).unwrap()));
    let r = run(&f, &ctx);
    assert_has(
        &r,
        5,
        Severity::Blocking,
        "Fichier — l'établissement (UAI) : la lettre de contrôle de l'UAI 0752387A est fausse",
    );
    assert_has(
        &r,
        6,
        Severity::Blocking,
        "un export est celui de l'établissement 0750680G, pas de 0752387A",
    );
    assert_has(
        &r,
        6,
        Severity::Blocking,
        "Fichier — l'année scolaire : un export est de l'année 2024-2025, le fichier de l'année 2025-2026",
    );
    assert_has(
        &r,
        7,
        Severity::Warning,
        "un export date d'avant le dernier fichier envoyé (le 27/06/2025 à 17:00)",
    );
    assert_has(
        &r,
        8,
        Severity::Blocking,
        "le fichier porte le numéro 1, le précédent portait déjà le numéro 1",
    );
    ctx.exports.clear();
    assert_has(
        &run(&sample(), &ctx),
        6,
        Severity::Blocking,
        "aucun export SIECLE",
    );
}

#[test]
fn problems_name_the_pupil_and_the_field_in_words_never_a_bare_code() {
    // Many problems at once; none shows a SIECLE tag such as CODE_DIVISION.
    let mut f = sample();
    let mut ctx = context(&f);
    ctx.school_year_dates = None;
    f.pupils[0].schooling.as_mut().unwrap().division = Some("6A".into());
    f.pupils[0].links[0].relationship = Parente::from_code("1");
    f.pupils[1].links.clear();
    f.persons[0].phones.home = Some("01.43".into());
    f.persons[1].civility = Civilite::from_code("0");
    let r = run(&f, &ctx);
    assert!(r.problems.len() >= 6, "{:#?}", r.problems);
    for p in &r.problems {
        let text = p.to_string();
        assert!(!p.field.is_empty() && text.contains(p.field));
        let has_tag = text
            .split(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .any(|w| w.contains('_') && w.len() > 3);
        assert!(!has_tag, "raw tag in « {text} »");
        if let Subject::Pupil { name, .. } | Subject::Person { name, .. } = &p.subject {
            assert!(text.contains(name.as_str()));
        }
    }
}

#[test]
fn check_6_a_file_for_the_year_after_its_exports_when_the_caller_moved_pupils_up() {
    // Re-enrolment from the ending year's exports (2025-2026) prepares 2026-2027.
    let mut f = sample();
    let mut ctx = context(&f);
    f.school_year = 2026;
    assert_has(
        &run(&f, &ctx),
        6,
        Severity::Blocking,
        "un export est de l'année 2025-2026, le fichier de l'année 2026-2027",
    );
    ctx.exports_of_the_year_before = true;
    assert!(of_check(&run(&f, &ctx), 6).is_empty());
    // Then a file of the exports' own year is the wrong one.
    f.school_year = 2025;
    assert_has(
        &run(&f, &ctx),
        6,
        Severity::Blocking,
        "(il doit préparer l'année qui suit celle des exports)",
    );
}

#[test]
fn check_30_a_grant_without_its_number_of_parts_is_left_out_never_sent_as_0() {
    let mut f = sample();
    let ctx = context(&f);
    let with_grant = f.pupils.iter().position(|p| !p.grants.is_empty()).unwrap();
    // With the number of parts the school gave: sent, and nothing to warn.
    assert!(
        f.pupils[with_grant]
            .grants
            .iter()
            .all(|g| g.parts.is_some())
    );
    assert!(!run(&f, &ctx).problems.iter().any(|p| p.check == 30));
    let xml = String::from_utf8_lossy(&f.to_xml().unwrap()).into_owned();
    assert!(xml.contains("<NB_PART>3</NB_PART>"), "{xml}");
    for g in &mut f.pupils[with_grant].grants {
        g.parts = None;
    }
    assert_has(
        &run(&f, &ctx),
        30,
        Severity::Warning,
        "les exports ne donnent pas le nombre de parts : la bourse n'est pas envoyée",
    );
    let xml = String::from_utf8_lossy(&f.to_xml().unwrap()).into_owned();
    let back = dossiersco_siecle::return_file::read_xml(xml.as_bytes()).unwrap();
    assert!(back.pupils[with_grant].grants.is_empty(), "{xml}");
    assert!(!xml.contains("<NB_PART>0</NB_PART>"));
}
