//! Next year's schooling in the file (docs/SIECLE-RETURN.md, « Which year »).
//!
//! The campaign is prepared from the exports of the ending year: the MEF,
//! division and options the import kept are **this year's**. The file is for
//! the campaign's year (ANNEE_SCOLAIRE = the exports' + 1). So each pupil
//! staying is moved up a year: SCOLARITE_ACTIVE gets next year's MEF (the
//! school's change of track for this pupil, else its « redoublant »
//! decision, else the campaign's MEF succession),
//! ETABLISSEMENT_AN_DERNIER gets this year's schooling as SIECLE held it, and
//! DOUBLEMENT says whether the MEF repeats. Pure: no database.

use std::collections::{BTreeSet, HashMap};

use dossiersco_siecle::codes::ModaliteElection;
use dossiersco_siecle::return_file::{
    OptionChoice, PreviousSchool, PreviousYear, Problem, Pupil, Severity, Subject,
};

/// Where this year's MEF leads, as the campaign and the agent say.
#[derive(Debug, Clone, Copy)]
pub struct Succession<'a> {
    /// This year's MEF code (the import's).
    pub mef: &'a str,
    /// Its label in the campaign, for messages.
    pub mef_label: Option<&'a str>,
    /// The campaign's next MEF code (set-up screen « Formations »).
    pub next: Option<&'a str>,
    /// The campaign says this MEF ends the collège (3e).
    pub ends_college: bool,
    /// An agent decided this pupil repeats the year.
    pub repeats: bool,
    /// The MEF an agent chose for this pupil next year on the dossier's page
    /// (a change of track, or this year's MEF to repeat): wins over the rest.
    pub chosen: Option<&'a str>,
}

/// Next year's MEF code: the one an agent chose for this pupil, else this
/// year's when an agent decided the pupil repeats, else the campaign's
/// successor. Otherwise why not, in French (blocking). Whether the pupil
/// repeats (DOUBLEMENT) follows from the result: next MEF = this year's
/// ([`move_up`]).
pub fn next_mef(s: &Succession<'_>) -> Result<String, String> {
    if let Some(chosen) = s.chosen.map(str::trim).filter(|c| !c.is_empty()) {
        return Ok(chosen.to_owned());
    }
    if s.repeats {
        return Ok(s.mef.trim().to_owned());
    }
    if let Some(next) = s.next {
        return Ok(next.trim().to_owned());
    }
    let label = s.mef_label.map_or_else(
        || "la formation de cette année".to_owned(),
        |l| format!("la formation « {l} »"),
    );
    Err(if s.ends_college {
        format!(
            "{label} est la dernière du collège : l'élève n'a pas de formation l'an prochain ici ; indiquez qu'il redouble (redoublants de la campagne), choisissez sa formation de l'an prochain (page du dossier) ou marquez-le comme sortant"
        )
    } else {
        format!(
            "la formation qui suit {label} n'est pas réglée dans la campagne : réglez-la (formations de la campagne) ou indiquez que l'élève redouble"
        )
    })
}

/// The school's nomenclature, as the move needs it.
pub struct Nomenclature<'a> {
    /// (MEF, subject, modality) of PROGRAMMES.
    pub programmes: &'a [(String, String, String)],
    /// (division, its MEF codes) of the Structures export.
    pub divisions: &'a [(String, Vec<String>)],
    /// subject code → its name, for messages.
    pub subject_names: &'a HashMap<String, String>,
}

/// Moves `p` (this year's schooling, as imported) up to `next_mef`:
/// ETABLISSEMENT_AN_DERNIER = this year's schooling in our school (`uai`):
/// MEF, division and `options_last_year` (the subjects' CODE_GESTION), the
/// provenance as SIECLE had it; SCOLARITE_ACTIVE = `next_mef`, the division
/// only if it is one of the new MEF's (check 33), the options the new MEF's
/// programme has (with its modality; the others are left out with a warning,
/// checks 35/37); DOUBLEMENT = the MEF repeats (check 29).
pub fn move_up(
    p: &mut Pupil,
    next_mef: &str,
    uai: &str,
    options_last_year: Vec<String>,
    nomenclature: &Nomenclature<'_>,
    subject: &Subject,
    problems: &mut Vec<Problem>,
) {
    let Some(s) = p.schooling.as_mut() else {
        return;
    };
    let this_mef = s.mef.trim().to_owned();
    let this_division = s.division.clone();
    let provenance = p
        .previous
        .as_ref()
        .map(|prev| prev.provenance.clone())
        .unwrap_or_default();
    p.previous = Some(PreviousYear {
        school: PreviousSchool::Uai(uai.to_owned()),
        provenance,
        mef: Some(this_mef.clone()),
        mef_type: None,
        division: this_division.clone(),
        status: None,
        start: None,
        end: None,
        regime: None,
        options: options_last_year,
    });
    p.repeating = next_mef == this_mef;
    s.mef = next_mef.to_owned();
    s.division = this_division.filter(|d| {
        nomenclature
            .divisions
            .iter()
            .any(|(code, mefs)| code.trim() == d.trim() && mefs.iter().any(|m| m == next_mef))
    });
    let mut kept = Vec::new();
    for o in std::mem::take(&mut s.options) {
        let modalities: BTreeSet<&str> = nomenclature
            .programmes
            .iter()
            .filter(|(mef, subj, m)| mef == next_mef && subj == &o.subject && !m.trim().is_empty())
            .map(|(_, _, m)| m.trim())
            .collect();
        if modalities.contains(o.modality.code()) {
            kept.push(o);
        } else if let [m] = modalities.into_iter().collect::<Vec<_>>().as_slice() {
            kept.push(OptionChoice {
                subject: o.subject,
                modality: ModaliteElection::from_code(m),
            });
        } else {
            let name = nomenclature
                .subject_names
                .get(o.subject.trim())
                .cloned()
                .unwrap_or_else(|| "une option".to_owned());
            problems.push(Problem {
                severity: Severity::Warning,
                check: 37,
                subject: subject.clone(),
                field: "les options",
                message: format!(
                    "l'option « {name} » de cette année n'est pas au programme de la formation de l'an prochain : elle n'est pas envoyée"
                ),
            });
        }
    }
    kept.sort_by_key(|o| o.modality != ModaliteElection::Obligatoire);
    s.options = kept;
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use dossiersco_siecle::codes::{Regime, Sexe};
    use dossiersco_siecle::return_file::{Phones, Schooling};

    use super::*;

    const SIXIEME: &str = "10010012110";
    const CINQUIEME: &str = "10110001110";

    fn succession(next: Option<&'static str>, ends: bool, repeats: bool) -> Succession<'static> {
        Succession {
            mef: SIXIEME,
            mef_label: Some("6EME"),
            next,
            ends_college: ends,
            repeats,
            chosen: None,
        }
    }

    const QUATRIEME: &str = "10210001110";

    #[test]
    fn the_mef_an_agent_chose_wins_over_repeating_and_the_succession() {
        let chosen = |s: Succession<'static>, c| Succession {
            chosen: Some(c),
            ..s
        };
        // A change of track: neither the succession nor « redoublant ».
        for (next, ends, repeats) in [
            (Some(CINQUIEME), false, false),
            (Some(CINQUIEME), false, true),
            (None, false, false),
            (None, true, false),
        ] {
            assert_eq!(
                next_mef(&chosen(succession(next, ends, repeats), QUATRIEME)).unwrap(),
                QUATRIEME
            );
        }
        // Choosing this year's MEF is repeating, even when not marked so.
        assert_eq!(
            next_mef(&chosen(succession(Some(CINQUIEME), false, false), SIXIEME)).unwrap(),
            SIXIEME
        );
        // An empty choice is no choice.
        assert_eq!(
            next_mef(&chosen(succession(Some(CINQUIEME), false, true), " ")).unwrap(),
            SIXIEME
        );
    }

    #[test]
    fn doublement_is_next_mef_equal_to_this_years_whatever_was_marked() {
        // Marked « redoublant » (the pupil was repeating this year) but moved
        // up by an agent's choice: DOUBLEMENT N.
        let (p, _) = moved(CINQUIEME);
        assert!(!p.repeating);
        // Chosen this year's MEF, never marked: DOUBLEMENT O.
        let mut p = pupil();
        p.repeating = false;
        let next = next_mef(&Succession {
            chosen: Some(SIXIEME),
            ..succession(Some(CINQUIEME), false, false)
        })
        .unwrap();
        move_up(
            &mut p,
            &next,
            "0750680G",
            Vec::new(),
            &Nomenclature {
                programmes: &[],
                divisions: &[],
                subject_names: &HashMap::new(),
            },
            &Subject::Pupil {
                private_id: 1,
                name: "Inès MARTIN".into(),
            },
            &mut Vec::new(),
        );
        assert!(p.repeating);
    }

    #[test]
    fn next_year_is_the_agents_decision_else_the_succession_else_a_french_refusal() {
        assert_eq!(
            next_mef(&succession(Some(CINQUIEME), false, false)).unwrap(),
            CINQUIEME
        );
        assert_eq!(
            next_mef(&succession(Some(CINQUIEME), false, true)).unwrap(),
            SIXIEME
        );
        let unset = next_mef(&succession(None, false, false)).unwrap_err();
        assert!(
            unset.contains("n'est pas réglée dans la campagne"),
            "{unset}"
        );
        assert!(unset.contains("« 6EME »"), "{unset}");
        let last = next_mef(&succession(None, true, false)).unwrap_err();
        assert!(last.contains("dernière du collège"), "{last}");
        assert_eq!(next_mef(&succession(None, true, true)).unwrap(), SIXIEME);
    }

    fn pupil() -> Pupil {
        Pupil {
            private_id: 1,
            siecle_id: Some(7),
            ine: None,
            last_name: "MARTIN".into(),
            usage_name: None,
            first_name: "Inès".into(),
            first_name2: None,
            first_name3: None,
            nationality: Some("100".into()),
            birth_date: NaiveDate::from_ymd_opt(2014, 3, 2).unwrap(),
            sex: Some(Sexe::Feminin),
            birth_country: "100".into(),
            birthplace: None,
            entry_date: None,
            address: None,
            phones: Phones::default(),
            accepts_sms: None,
            email: None,
            transport: false,
            regime: Regime::from_code("2"),
            repeating: true,
            grants: Vec::new(),
            links: Vec::new(),
            schooling: Some(Schooling {
                mef: SIXIEME.into(),
                division: Some("6A".into()),
                status: "ST".into(),
                start: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
                end: None,
                stops_training: None,
                options: vec![
                    OptionChoice {
                        subject: "030201".into(),
                        modality: ModaliteElection::from_code("O"),
                    },
                    OptionChoice {
                        subject: "020700".into(),
                        modality: ModaliteElection::from_code("F"),
                    },
                ],
            }),
            previous: Some(PreviousYear {
                school: PreviousSchool::Uai("0750001A".into()),
                provenance: "3".into(),
                mef: Some("00000000000".into()),
                mef_type: None,
                division: Some("CM2".into()),
                status: None,
                start: None,
                end: None,
                regime: None,
                options: Vec::new(),
            }),
            leaving: None,
        }
    }

    fn moved(next: &str) -> (Pupil, Vec<Problem>) {
        let programmes = vec![
            (CINQUIEME.into(), "030201".into(), "O".into()),
            (SIXIEME.into(), "030201".into(), "O".into()),
            (SIXIEME.into(), "020700".into(), "F".into()),
        ];
        let divisions = vec![
            ("6A".into(), vec![SIXIEME.into()]),
            ("5A".into(), vec![CINQUIEME.into()]),
        ];
        let names = HashMap::from([("020700".to_owned(), "Latin".to_owned())]);
        let mut p = pupil();
        let mut problems = Vec::new();
        let subject = Subject::Pupil {
            private_id: 1,
            name: "Inès MARTIN".into(),
        };
        move_up(
            &mut p,
            next,
            "0750680G",
            vec!["03020".into(), "02070".into()],
            &Nomenclature {
                programmes: &programmes,
                divisions: &divisions,
                subject_names: &names,
            },
            &subject,
            &mut problems,
        );
        (p, problems)
    }

    #[test]
    fn a_pupil_moves_up_with_this_years_schooling_as_last_year() {
        let (p, problems) = moved(CINQUIEME);
        let s = p.schooling.as_ref().unwrap();
        assert_eq!(s.mef, CINQUIEME);
        assert_eq!(s.division, None, "6A is not a division of the 5e");
        assert!(!p.repeating);
        let prev = p.previous.as_ref().unwrap();
        assert_eq!(prev.school, PreviousSchool::Uai("0750680G".into()));
        assert_eq!(prev.mef.as_deref(), Some(SIXIEME));
        assert_eq!(prev.division.as_deref(), Some("6A"));
        assert_eq!(prev.options, vec!["03020".to_owned(), "02070".to_owned()]);
        assert_eq!(prev.provenance, "3", "as SIECLE had it");
        // Latin is not in the 5e's programme here: left out, with a warning.
        assert_eq!(s.options.len(), 1);
        assert_eq!(s.options[0].subject, "030201");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].severity, Severity::Warning);
        assert!(problems[0].message.contains("« Latin »"), "{problems:?}");
    }

    #[test]
    fn a_pupil_repeating_keeps_mef_division_and_options_and_is_marked_repeating() {
        let (p, problems) = moved(SIXIEME);
        let s = p.schooling.as_ref().unwrap();
        assert_eq!(s.mef, SIXIEME);
        assert_eq!(s.division.as_deref(), Some("6A"));
        assert_eq!(s.options.len(), 2);
        assert!(p.repeating);
        assert_eq!(p.previous.unwrap().mef.as_deref(), Some(SIXIEME));
        assert!(problems.is_empty());
    }
}
