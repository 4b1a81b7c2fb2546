use super::*;
use crate::domain::questions::{AnswerType, QuestionKind};

const MOTHER: i64 = 1;
const FATHER: i64 = 2;

fn guardian(id: i64, name: &str) -> GuardianFacts {
    GuardianFacts {
        id,
        name: name.into(),
        siecle: [("email", "x@example.fr"), ("phone_mobile", "0612345678")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        ..GuardianFacts::default()
    }
}

/// The school's count of changes, checked against the count without words
/// (`changes`, what the list shows) on every dossier of these tests.
fn counted(f: &Facts) -> usize {
    let n = for_school(f, &words()).changes;
    assert_eq!(changes(f), n, "the list's count and the dossier page's");
    n
}

/// A pupil going from 5e to 4e who practises Latin (droppable), in
/// demi-pension according to SIECLE, whose mother answered last year.
fn facts() -> Facts {
    let previous = [("photo", "oui"), ("fse", "non"), ("exit_rule", "7")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Facts {
        dossier_id: 10,
        state: DossierState::Started,
        pupil: [
            ("last_name", "MARTIN"),
            ("first_name", "Inès"),
            ("sex", "F"),
            ("birth_date", "2013-03-12"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
        guardians: vec![
            guardian(MOTHER, "Madame Anne Martin"),
            guardian(FATHER, "Monsieur Paul Martin"),
        ],
        baseline: baseline("2", previous, Some(vec!["LATIN".into()])),
        questions: vec!["photo".into(), "sorties".into(), "fse".into()],
        ..Facts::default()
    }
}

fn words() -> Words {
    Words {
        options: [("LATIN", "Latin"), ("GREC", "Grec ancien")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        exit_rules: [("7".to_owned(), "Régime 1".to_owned())]
            .into_iter()
            .collect(),
        questions: [
            ("photo", "Photo de classe"),
            ("sorties", "Sorties scolaires"),
            ("fse", "Adhésion au foyer socio-éducatif"),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, (key, label))| Question {
            id: i as i64,
            kind: QuestionKind::Authorisation,
            answer_type: AnswerType::YesNo,
            key: key.into(),
            label: label.into(),
            question: format!("{label} ?"),
            help: String::new(),
            choices: Vec::new(),
            amount_cents: None,
        })
        .collect(),
    }
}

fn answer(facts: &mut Facts, who: i64, question: &str, value: &str, at: i64) {
    let g = facts.guardians.iter_mut().find(|g| g.id == who).unwrap();
    g.answers.insert(question.into(), (value.into(), at));
}

/// Answers exactly what was known, as a family changing nothing does.
fn unchanged_answers(facts: &mut Facts, who: i64) {
    for (q, v) in [
        ("options", "LATIN"),
        ("exit_rule", "7"),
        ("canteen", "demi_pension"),
        ("photo", "oui"),
        ("sorties", "oui"),
        ("fse", "non"),
    ] {
        answer(facts, who, q, v, 1);
    }
}

fn line<'a>(summary: &'a Summary, key: &str) -> &'a Line {
    summary
        .sections
        .iter()
        .flat_map(|s| &s.lines)
        .find(|l| l.key == key)
        .unwrap_or_else(|| panic!("no line {key}"))
}

#[test]
fn a_family_changing_nothing_has_no_change_anywhere() {
    let mut f = facts();
    unchanged_answers(&mut f, MOTHER);
    let summary = for_guardian(&f, MOTHER, &words());
    assert_eq!(summary.changes, 0, "{summary:#?}");
    assert_eq!(counted(&f), 0);
    // Sorties had no answer last year: shown, not a change.
    assert_eq!(line(&summary, "sorties").after, "Oui");
    assert!(line(&summary, "sorties").before.is_empty());
}

#[test]
fn switching_canteen_fse_and_photo_counts_three_changes_the_same_everywhere() {
    let mut f = facts();
    unchanged_answers(&mut f, MOTHER);
    answer(&mut f, MOTHER, "canteen", "externe", 2);
    answer(&mut f, MOTHER, "fse", "oui", 2);
    answer(&mut f, MOTHER, "photo", "non", 2);
    let summary = for_guardian(&f, MOTHER, &words());
    assert_eq!(summary.changes, 3);
    let canteen = line(&summary, "canteen");
    assert_eq!(
        (canteen.before.as_str(), canteen.after.as_str()),
        ("Demi-pensionnaire", "Externe")
    );
    assert!(canteen.changed);
    assert_eq!(line(&summary, "fse").before, "Non");
    assert_eq!(counted(&f), 3);
    // Sent: the receipt and the school read the same.
    f.state = DossierState::Submitted;
    f.submitted_by = Some(MOTHER);
    assert_eq!(for_guardian(&f, MOTHER, &words()).changes, 3);
    assert_eq!(counted(&f), 3);
}

#[test]
fn options_read_as_names_and_compare_as_sets() {
    let mut f = facts();
    answer(&mut f, MOTHER, "options", "GREC,LATIN", 1);
    let summary = for_guardian(&f, MOTHER, &words());
    let options = line(&summary, "options");
    assert_eq!(options.after, "Grec ancien, Latin");
    assert_eq!(options.before, "Latin");
    assert!(options.changed);
    answer(&mut f, MOTHER, "options", "LATIN", 2);
    assert!(!line(&for_guardian(&f, MOTHER, &words()), "options").changed);
}

#[test]
fn a_pupil_leaving_the_college_is_not_asked_options_and_has_no_false_change() {
    let mut f = facts();
    f.baseline.options = None;
    // An old answer (before the fix) or a forged one is not shown as a change.
    answer(&mut f, MOTHER, "options", "", 1);
    let summary = for_guardian(&f, MOTHER, &words());
    assert!(
        summary
            .sections
            .iter()
            .flat_map(|s| &s.lines)
            .all(|l| l.key != "options")
    );
    assert_eq!(summary.changes, 0);
    assert_eq!(counted(&f), 0);
}

#[test]
fn both_guardians_edits_are_kept_and_their_disagreement_flagged() {
    let mut f = facts();
    f.guardians[0]
        .pupil_edits
        .insert("birth_date".into(), ("2013-03-13".into(), 5));
    f.guardians[1]
        .pupil_edits
        .insert("birth_date".into(), ("2013-04-12".into(), 6));
    let school = for_school(&f, &words());
    assert_eq!(school.disagreements, vec!["Date de naissance"]);
    // Nobody sent: the latest draft is read, the other shown beside it.
    let date = &school.pupil[0];
    assert_eq!(date.line.after, "12/04/2013");
    assert!(!date.certified);
    assert_eq!(
        date.others,
        vec![(
            "Madame Anne Martin".to_owned(),
            "13/03/2013".to_owned(),
            false
        )]
    );
    // Each guardian reads their own version.
    assert_eq!(
        line(&for_guardian(&f, MOTHER, &words()), "birth_date").after,
        "13/03/2013"
    );
    assert_eq!(
        line(&for_guardian(&f, FATHER, &words()), "birth_date").after,
        "12/04/2013"
    );
    // The mother sends: hers is certified, the father's is a draft.
    f.state = DossierState::Submitted;
    f.submitted_by = Some(MOTHER);
    let school = for_school(&f, &words());
    assert_eq!(school.pupil[0].line.after, "13/03/2013");
    assert!(school.pupil[0].certified);
    assert_eq!(school.guardians[0].standing, Standing::Sent);
    assert_eq!(school.guardians[1].standing, Standing::Draft);
    assert_eq!(school.changes, 1);
    assert_eq!(changes(&f), 1);
}

#[test]
fn the_sender_keeping_siecle_s_value_against_a_draft_is_a_disagreement() {
    let mut f = facts();
    f.guardians[1]
        .pupil_edits
        .insert("first_name".into(), ("Inés".into(), 5));
    assert!(
        disagreements(&f).is_empty(),
        "a lone draft is no disagreement"
    );
    f.state = DossierState::Submitted;
    f.submitted_by = Some(MOTHER);
    assert_eq!(disagreements(&f), vec!["first_name"]);
    // The school reads the certified (unchanged) value beside the draft: no
    // change counted.
    let school = for_school(&f, &words());
    assert_eq!(school.changes, 0);
    assert_eq!(changes(&f), 0);
    assert!(!school.pupil[0].line.changed);
    assert_eq!(school.pupil[0].others[0].1, "Inés");
}

#[test]
fn a_guardian_reads_neither_the_other_s_contacts_nor_their_file_names() {
    let mut f = facts();
    f.added = vec![
        Added {
            by: Some(FATHER),
            label: "Contact d'urgence".into(),
            text: "Mamie, 06 00 00 00 00".into(),
            is_piece: false,
        },
        Added {
            by: Some(FATHER),
            label: "Attestation d'assurance".into(),
            text: "assurance-papa.pdf".into(),
            is_piece: true,
        },
        Added {
            by: Some(MOTHER),
            label: "Attestation d'assurance".into(),
            text: "assurance.pdf".into(),
            is_piece: true,
        },
    ];
    let summary = for_guardian(&f, MOTHER, &words());
    let text = format!("{summary:?}");
    assert!(
        !text.contains("Mamie") && !text.contains("assurance-papa"),
        "{text}"
    );
    assert!(text.contains("Fichier fourni par l'autre responsable"));
    assert_eq!(summary.changes, 1);
    assert_eq!(counted(&f), 3);
}

#[test]
fn contact_details_changes_read_in_words() {
    let mut f = facts();
    f.guardians[0]
        .edits
        .insert("phone_mobile".into(), "0698765432".into());
    let summary = for_guardian(&f, MOTHER, &words());
    let phone = line(&summary, "phone_mobile");
    assert_eq!(
        (phone.before.as_str(), phone.after.as_str()),
        ("06 12 34 56 78", "06 98 76 54 32")
    );
    let school = for_school(&f, &words());
    assert_eq!(school.guardians[0].changes.len(), 1);
    assert_eq!(school.changes, 1);
    assert_eq!(changes(&f), 1);
    assert_eq!(for_guardian(&f, FATHER, &words()).changes, 0);
}

#[test]
fn changes_as_stored_values_follow_the_sender_and_count_like_the_school_view() {
    let mut f = facts();
    f.state = DossierState::Submitted;
    f.submitted_by = Some(MOTHER);
    f.guardians[0]
        .pupil_edits
        .insert("last_name".into(), ("MARTIN-DURAND".into(), 5));
    // The father's draft is not the sent version.
    f.guardians[1]
        .pupil_edits
        .insert("first_name".into(), ("Ines".into(), 9));
    f.guardians[1]
        .edits
        .insert("phone_mobile".into(), "0699999999".into());
    // Same as SIECLE: not a change.
    f.guardians[0]
        .edits
        .insert("email".into(), "x@example.fr".into());
    f.guardians[0]
        .answers
        .insert("canteen".into(), ("externe".into(), 6));
    // Options as a set: the same codes in another order are no change.
    f.guardians[0]
        .answers
        .insert("options".into(), ("LATIN".into(), 6));
    let got: Vec<StoredChange> = for_school(&f, &words())
        .decidable()
        .iter()
        .map(Change::stored)
        .collect();
    assert_eq!(
        got,
        vec![
            StoredChange::Pupil {
                key: "last_name".into(),
                value: "MARTIN-DURAND".into()
            },
            StoredChange::Guardian {
                guardian_id: FATHER,
                key: "phone_mobile".into(),
                value: "0699999999".into()
            },
            StoredChange::Answer {
                key: "canteen".into(),
                value: "externe".into()
            },
        ]
    );
    assert_eq!(got.len(), counted(&f));
}
