//! What changed in a dossier, computed once: the family's summary, its
//! receipt, the school's list ("Modifications") and the school's dossier page
//! all read it, so a change counts and reads the same everywhere.
//!
//! A *change* is a value that differs from what the school already knew:
//! SIECLE for the pupil's identity, a guardian's contact details and the
//! régime (canteen); last year's sent answers for the other questions; the
//! options the pupil follows (those next year's MEF keeps) for options. An
//! answer with nothing known before it (a first photo consent) is shown but
//! is not a change. Every emergency contact and piece added is one.
//!
//! Each guardian's edits are kept apart until one of them certifies the
//! dossier by sending it: the school then reads the sender's version, sees
//! the other guardian's differing drafts as drafts, and the disagreement is
//! flagged.
//!
//! Pure: [`super::facts`] reads the [`Facts`] from the database.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::domain::dossier_state::DossierState;
use crate::domain::fields;
use crate::domain::questions::Question;
use crate::domain::words;

/// What a guardian reads for a piece another guardian sent (its name stays
/// theirs).
pub const OTHERS_PIECE: &str = "Fichier fourni par l'autre responsable";

/// The keys of the pupil's identity, in the order shown.
pub const PUPIL_FIELDS: [&str; 6] = [
    "last_name",
    "first_name",
    "other_first_names",
    "sex",
    "birth_date",
    "birth_city",
];

/// A guardian's contact details, in the order shown.
pub const CONTACT_FIELDS: [&str; 8] = [
    "email",
    "phone_mobile",
    "phone_home",
    "phone_work",
    "address_lines",
    "postcode",
    "city",
    "profession_code",
];

/// The questions every dossier asks (scolarité, vie scolaire), in order;
/// the school's own questions (FSE, authorisations, custom questions) follow
/// them ([`Facts::questions`]).
pub const FIXED_QUESTIONS: [&str; 4] = ["options", "exit_rule", "canteen", "quotient"];

/// What was known before this year's answers: where each question starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    /// The options the pupil keeps next year unless the family drops them
    /// (sorted codes); `None` when options are not asked (the pupil leaves the
    /// collège, or next year's MEF offers none).
    pub options: Option<Vec<String>>,
    /// Every other question's known answer: the canteen from SIECLE's régime,
    /// the rest from last year's sent dossier.
    pub answers: HashMap<String, String>,
}

impl Baseline {
    /// The value a question starts from, as stored in an answer.
    pub fn value(&self, question: &str) -> Option<String> {
        match question {
            "options" => self.options.as_ref().map(|o| o.join(",")),
            q => self.answers.get(q).cloned(),
        }
    }

    /// Whether options are asked at all.
    pub fn asks_options(&self) -> bool {
        self.options.is_some()
    }
}

/// The known answer of each question: SIECLE's régime for the canteen (when
/// it says externe or demi-pensionnaire), else last year's answers (options
/// excluded: they are the pupil's practised ones). Nothing else: a question
/// nobody answered before starts unanswered, never from a default.
pub fn baseline(
    regime_code: &str,
    previous: HashMap<String, String>,
    options: Option<Vec<String>>,
) -> Baseline {
    let mut answers: HashMap<String, String> = previous
        .into_iter()
        .filter(|(q, _)| q != "options")
        .collect();
    if let Some(canteen) = words::canteen_of_regime(regime_code) {
        answers.insert("canteen".into(), canteen.into());
    }
    Baseline { options, answers }
}

/// A guardian of the pupil and what they said.
#[derive(Debug, Clone, Default)]
pub struct GuardianFacts {
    pub id: i64,
    /// « Madame Anne Martin ».
    pub name: String,
    /// Their contact details as SIECLE holds them (key → value).
    pub siecle: HashMap<String, String>,
    /// Their edits of their own details (key → new value).
    pub edits: HashMap<String, String>,
    /// When they made each of those edits (key → time).
    pub edited_at: HashMap<String, i64>,
    /// Their edits of the pupil's identity (key → new value, when).
    pub pupil_edits: HashMap<String, (String, i64)>,
    /// Their answers (question → answer, when).
    pub answers: HashMap<String, (String, i64)>,
}

/// Something a guardian added: an emergency contact or a piece.
#[derive(Debug, Clone)]
pub struct Added {
    pub by: Option<i64>,
    /// For a piece, the expected document; for a contact, « Contact d'urgence ».
    pub label: String,
    /// The contact (« Paul Martin (oncle), 06 12 34 56 78 ») or the file's name.
    pub text: String,
    pub is_piece: bool,
}

/// Everything the diff needs about one dossier.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub dossier_id: i64,
    pub state: DossierState,
    pub submitted_by: Option<i64>,
    pub submitted_at: Option<i64>,
    /// The pupil's identity as SIECLE holds it (key → value).
    pub pupil: HashMap<String, String>,
    pub guardians: Vec<GuardianFacts>,
    pub baseline: Baseline,
    pub added: Vec<Added>,
    /// « 5e → 4e »: where the pupil goes next year (not a change: the school
    /// decides it).
    pub next_year: String,
    /// The keys of the school's own questions, in its order.
    pub questions: Vec<String>,
    /// The options asked for beyond their capacity: (code, rank on the
    /// waiting list).
    pub waiting: Vec<(String, usize)>,
}

impl Facts {
    /// The line of question `key`, with the waiting list said after the
    /// options.
    fn line(&self, key: &str, words: &Words, before: Option<&str>, after: &str) -> Line {
        let mut line = Line::new(key, words, before, after);
        if key == "options" && !self.waiting.is_empty() {
            let waiting: Vec<String> = self
                .waiting
                .iter()
                .map(|(code, rank)| {
                    let name = words
                        .options
                        .get(code)
                        .cloned()
                        .unwrap_or_else(|| code.clone());
                    format!("{name} (rang {rank})")
                })
                .collect();
            line.after = format!(
                "{} ; en liste d'attente, faute de place : {}",
                line.after,
                waiting.join(", ")
            );
        }
        line
    }

    /// Every question of the dossier, in order: the fixed ones, then the
    /// school's.
    pub fn question_keys(&self) -> Vec<&str> {
        FIXED_QUESTIONS
            .iter()
            .copied()
            .chain(self.questions.iter().map(String::as_str))
            .collect()
    }

    fn guardian(&self, id: i64) -> Option<&GuardianFacts> {
        self.guardians.iter().find(|g| g.id == id)
    }

    /// The guardian whose version the school reads: the one who sent the
    /// dossier while it is out of the family's hands.
    pub fn certified_by(&self) -> Option<i64> {
        self.submitted_by
            .filter(|_| !self.state.editable_by_family())
    }
}

/// How stored values read in French: option names, exit rule labels, the
/// school's questions and their answers.
#[derive(Debug, Clone, Default)]
pub struct Words {
    /// Option code → label.
    pub options: HashMap<String, String>,
    /// Exit rule id → label.
    pub exit_rules: HashMap<String, String>,
    /// The school's own questions (FSE, authorisations, custom questions).
    pub questions: Vec<Question>,
}

impl Words {
    /// The school's question stored under `key`.
    pub fn question(&self, key: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.key == key)
    }

    /// The French label of field or question `key`.
    pub fn label(&self, key: &str) -> String {
        fields::label_with(key, &self.questions)
    }

    /// `value` of field `key` as a person reads it.
    pub fn show(&self, key: &str, value: &str) -> String {
        match key {
            "options" => {
                let mut names: Vec<String> = value
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(|c| {
                        self.options
                            .get(c)
                            .cloned()
                            .unwrap_or_else(|| format!("option {c}"))
                    })
                    .collect();
                names.sort();
                if names.is_empty() {
                    "Aucune option".into()
                } else {
                    names.join(", ")
                }
            }
            "exit_rule" => self.exit_rules.get(value).cloned().unwrap_or_default(),
            other => match self.question(other) {
                Some(q) => q.show(value),
                None => words::value(other, value),
            },
        }
    }
}

/// One line: a field, what was known, what it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub key: String,
    pub label: String,
    /// What was known, in words; empty when nothing was.
    pub before: String,
    /// What it is now, in words.
    pub after: String,
    /// What it is now, as stored (what SIECLE would receive).
    pub value: String,
    pub changed: bool,
}

impl Line {
    fn new(key: &str, words: &Words, before: Option<&str>, after: &str) -> Self {
        let changed = before.is_some_and(|b| !same(key, b, after));
        Line {
            key: key.to_owned(),
            label: words.label(key),
            before: before.map(|b| words.show(key, b)).unwrap_or_default(),
            after: words.show(key, after),
            value: after.to_owned(),
            changed,
        }
    }
}

/// Whether two stored values of `key` say the same (options are a set).
fn same(key: &str, a: &str, b: &str) -> bool {
    if key == "options" {
        let set = |v: &str| -> BTreeSet<String> {
            v.split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect()
        };
        set(a) == set(b)
    } else {
        a == b
    }
}

/// A titled part of a summary.
#[derive(Debug, Clone)]
pub struct Section {
    pub title: &'static str,
    pub lines: Vec<Line>,
}

/// A guardian's summary: what they (or, once sent, the sender) said, against
/// what was known. What the family reads before sending and in the receipt.
#[derive(Debug, Clone)]
pub struct Summary {
    pub sections: Vec<Section>,
    /// How many lines changed: the figure the school's list shows when this
    /// guardian is the only one who said anything.
    pub changes: usize,
    /// The other guardian answered some question differently.
    pub conflicts: bool,
}

/// What `viewer` reads of the dossier: the pupil and the answers as they
/// said them (once the dossier is sent, as the sender said them), their own
/// contact details, their own emergency contacts, every piece (another
/// guardian's without its file name).
pub fn for_guardian(facts: &Facts, viewer: i64, words: &Words) -> Summary {
    let author_id = facts.certified_by().unwrap_or(viewer);
    let empty = GuardianFacts::default();
    let author = facts.guardian(author_id).unwrap_or(&empty);
    let me = facts.guardian(viewer).unwrap_or(&empty);
    let mut sections = Vec::new();

    let pupil = PUPIL_FIELDS
        .iter()
        .map(|key| {
            let siecle = facts.pupil.get(*key).map(String::as_str).unwrap_or("");
            let now = author
                .pupil_edits
                .get(*key)
                .map_or(siecle, |(v, _)| v.as_str());
            Line::new(key, words, Some(siecle), now)
        })
        // « Autres prénoms » only when there are some.
        .filter(|l| l.key != "other_first_names" || l.after != "—" || l.changed)
        .collect();
    sections.push(Section {
        title: "Élève",
        lines: pupil,
    });

    let contact = CONTACT_FIELDS
        .iter()
        .map(|key| {
            let siecle = me.siecle.get(*key).map(String::as_str).unwrap_or("");
            let now = me.edits.get(*key).map_or(siecle, String::as_str);
            Line::new(key, words, Some(siecle), now)
        })
        .collect();
    sections.push(Section {
        title: "Vos coordonnées",
        lines: contact,
    });

    let mut answers: Vec<Line> = Vec::new();
    if !facts.next_year.is_empty() {
        answers.push(Line {
            key: "next_year".into(),
            label: "Classe l'an prochain".into(),
            before: String::new(),
            after: facts.next_year.clone(),
            value: String::new(),
            changed: false,
        });
    }
    answers.extend(
        facts
            .question_keys()
            .into_iter()
            .filter(|q| *q != "options" || facts.baseline.asks_options())
            .filter_map(|q| {
                let (answer, _) = author.answers.get(q)?;
                Some(facts.line(q, words, facts.baseline.value(q).as_deref(), answer))
            }),
    );
    sections.push(Section {
        title: "Scolarité et vie scolaire",
        lines: answers,
    });

    let added = facts
        .added
        .iter()
        .filter(|a| a.is_piece || a.by == Some(viewer))
        .map(|a| {
            let mine = a.by == Some(viewer);
            Line {
                key: if a.is_piece {
                    "piece"
                } else {
                    "emergency_contact"
                }
                .to_owned(),
                label: a.label.clone(),
                before: String::new(),
                after: if mine {
                    a.text.clone()
                } else {
                    OTHERS_PIECE.into()
                },
                value: String::new(),
                changed: mine,
            }
        })
        .collect();
    sections.push(Section {
        title: "Contacts et pièces ajoutés",
        lines: added,
    });

    let changes = sections
        .iter()
        .flat_map(|s| &s.lines)
        .filter(|l| l.changed)
        .count();
    Summary {
        sections,
        changes,
        conflicts: !disagreements(facts).is_empty(),
    }
}

/// Where guardians disagree: the keys of the pupil's fields and questions
/// with more than one value among the guardians who gave one.
pub fn disagreements(facts: &Facts) -> Vec<String> {
    let mut out = Vec::new();
    let sender = facts.certified_by().and_then(|id| facts.guardian(id));
    for key in PUPIL_FIELDS {
        let values: BTreeSet<&str> = facts
            .guardians
            .iter()
            .filter_map(|g| g.pupil_edits.get(key).map(|(v, _)| v.as_str()))
            .collect();
        // The sender certified SIECLE's value while another guardian's draft
        // changes it: a disagreement too.
        let sender_kept = sender.is_some_and(|s| !s.pupil_edits.contains_key(key));
        if values.len() > 1 || (values.len() == 1 && sender_kept) {
            out.push(key.to_owned());
        }
    }
    for key in facts.question_keys() {
        let values: BTreeSet<String> = facts
            .guardians
            .iter()
            .filter_map(|g| g.answers.get(key).map(|(v, _)| normalised(key, v)))
            .collect();
        if values.len() > 1 {
            out.push(key.to_owned());
        }
    }
    out
}

fn normalised(key: &str, v: &str) -> String {
    if key == "options" {
        let mut codes: Vec<&str> = v.split(',').filter(|c| !c.is_empty()).collect();
        codes.sort_unstable();
        codes.join(",")
    } else {
        v.to_owned()
    }
}

/// Where a guardian stands in the dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Sent the dossier: their answers are certified.
    Sent,
    /// Said something but did not send it: a draft.
    Draft,
    /// Said nothing.
    Silent,
}

impl Standing {
    pub fn label(self) -> &'static str {
        match self {
            Standing::Sent => "a envoyé le dossier et certifié ses réponses",
            Standing::Draft => "brouillon : n'a pas envoyé ni certifié ses réponses",
            Standing::Silent => "n'a rien saisi",
        }
    }
}

/// A value of the school's view: the one the school reads, and the other
/// guardians' differing ones.
#[derive(Debug, Clone)]
pub struct SchoolLine {
    pub line: Line,
    /// Who gave the value read (empty when it is what was known).
    pub by: String,
    /// Whether the value read is certified (the sender's).
    pub certified: bool,
    /// When the value read was given (none when it is what was known).
    pub at: Option<i64>,
    /// Other guardians' different values: (name, value in words, certified).
    pub others: Vec<(String, String, bool)>,
}

/// A guardian as the school reads them.
#[derive(Debug, Clone)]
pub struct GuardianView {
    pub id: i64,
    pub name: String,
    pub standing: Standing,
    /// Their contact details that changed.
    pub changes: Vec<Line>,
    /// When they changed each (key → time).
    pub changed_at: HashMap<String, i64>,
}

/// The school's reading of a dossier.
#[derive(Debug, Clone)]
pub struct SchoolView {
    /// The pupil's identity fields some guardian changed.
    pub pupil: Vec<SchoolLine>,
    pub guardians: Vec<GuardianView>,
    /// Every question answered.
    pub answers: Vec<SchoolLine>,
    /// Emergency contacts and pieces added (label, text, by).
    pub added: Vec<(String, String, String)>,
    /// Labels of the fields the guardians disagree on.
    pub disagreements: Vec<String>,
    /// The number of changes: the school's list shows it.
    pub changes: usize,
}

/// The value the school reads among the guardians' ones: the sender's while
/// the dossier is sent, else the latest given.
fn read<'a>(
    facts: &'a Facts,
    pick: impl Fn(&'a GuardianFacts) -> Option<&'a (String, i64)>,
) -> Option<(&'a GuardianFacts, &'a str, bool, i64)> {
    if let Some(sender) = facts.certified_by().and_then(|id| facts.guardian(id))
        && let Some((v, at)) = pick(sender)
    {
        return Some((sender, v.as_str(), true, *at));
    }
    facts
        .guardians
        .iter()
        .filter_map(|g| pick(g).map(|(v, at)| (g, v, *at)))
        .max_by_key(|(_, _, at)| *at)
        .map(|(g, v, at)| (g, v.as_str(), false, at))
}

fn standing(facts: &Facts, g: &GuardianFacts) -> Standing {
    if facts.submitted_by == Some(g.id) && !facts.state.editable_by_family() {
        Standing::Sent
    } else if !g.answers.is_empty() || !g.pupil_edits.is_empty() || !g.edits.is_empty() {
        Standing::Draft
    } else {
        Standing::Silent
    }
}

/// The number of changes of the school's reading ([`SchoolView::changes`]),
/// counted without putting anything in words: what the school's list shows
/// for each of its 1,000 dossiers. The same rules as [`for_school`], line by
/// line (its tests check both agree).
pub fn changes(facts: &Facts) -> usize {
    let sender = facts.certified_by().and_then(|id| facts.guardian(id));
    let pupil = PUPIL_FIELDS
        .iter()
        .filter(|key| {
            let siecle = facts.pupil.get(**key).map(String::as_str).unwrap_or("");
            let value = match sender {
                Some(s) => s.pupil_edits.get(**key).map_or(siecle, |(v, _)| v.as_str()),
                None => match read(facts, |g| g.pupil_edits.get(**key)) {
                    Some((_, v, _, _)) => v,
                    None => return false,
                },
            };
            !same(key, siecle, value)
        })
        .count();
    let contacts: usize = facts
        .guardians
        .iter()
        .map(|g| {
            CONTACT_FIELDS
                .iter()
                .filter(|key| {
                    g.edits.get(**key).is_some_and(|new| {
                        let siecle = g.siecle.get(**key).map(String::as_str).unwrap_or("");
                        !same(key, siecle, new)
                    })
                })
                .count()
        })
        .sum();
    let answers = facts
        .question_keys()
        .into_iter()
        .filter(|q| *q != "options" || facts.baseline.asks_options())
        .filter(|q| {
            read(facts, |g| g.answers.get(*q)).is_some_and(|(_, value, _, _)| {
                facts
                    .baseline
                    .value(q)
                    .is_some_and(|before| !same(q, &before, value))
            })
        })
        .count();
    pupil + contacts + answers + facts.added.len()
}

/// What the school reads of a dossier, every guardian included.
pub fn for_school(facts: &Facts, words: &Words) -> SchoolView {
    let others = |key: &str, chosen: &GuardianFacts, value: &str, edits: bool| {
        facts
            .guardians
            .iter()
            .filter(|g| g.id != chosen.id)
            .filter_map(|g| {
                let v = if edits {
                    g.pupil_edits.get(key)
                } else {
                    g.answers.get(key)
                }?;
                (!same(key, &v.0, value)).then(|| {
                    (
                        g.name.clone(),
                        words.show(key, &v.0),
                        standing(facts, g) == Standing::Sent,
                    )
                })
            })
            .collect::<Vec<_>>()
    };

    let sender = facts.certified_by().and_then(|id| facts.guardian(id));
    let pupil: Vec<SchoolLine> = PUPIL_FIELDS
        .iter()
        .filter_map(|key| {
            let siecle = facts.pupil.get(*key).map(String::as_str).unwrap_or("");
            // Once sent, the sender's version, SIECLE's value included.
            let (by, value, certified, at) = match sender {
                Some(s) => (
                    Some(s),
                    s.pupil_edits.get(*key).map_or(siecle, |(v, _)| v.as_str()),
                    true,
                    s.pupil_edits.get(*key).map(|(_, at)| *at),
                ),
                None => {
                    let (g, v, c, at) = read(facts, |g| g.pupil_edits.get(*key))?;
                    (Some(g), v, c, Some(at))
                }
            };
            let line = Line::new(key, words, Some(siecle), value);
            let others = by.map(|g| others(key, g, value, true)).unwrap_or_default();
            if !line.changed && others.is_empty() {
                return None;
            }
            Some(SchoolLine {
                by: if line.changed {
                    by.map(|g| g.name.clone()).unwrap_or_default()
                } else {
                    String::new()
                },
                at: if line.changed { at } else { None },
                line,
                certified,
                others,
            })
        })
        .collect();

    let guardians: Vec<GuardianView> = facts
        .guardians
        .iter()
        .map(|g| GuardianView {
            id: g.id,
            name: g.name.clone(),
            standing: standing(facts, g),
            changed_at: g.edited_at.clone(),
            changes: CONTACT_FIELDS
                .iter()
                .filter_map(|key| {
                    let new = g.edits.get(*key)?;
                    let siecle = g.siecle.get(*key).map(String::as_str).unwrap_or("");
                    let line = Line::new(key, words, Some(siecle), new);
                    line.changed.then_some(line)
                })
                .collect(),
        })
        .collect();

    let answers: Vec<SchoolLine> = facts
        .question_keys()
        .into_iter()
        .filter(|q| *q != "options" || facts.baseline.asks_options())
        .filter_map(|q| {
            let (g, value, certified, at) = read(facts, |g| g.answers.get(q))?;
            Some(SchoolLine {
                line: facts.line(q, words, facts.baseline.value(q).as_deref(), value),
                by: g.name.clone(),
                certified,
                at: Some(at),
                others: others(q, g, value, false),
            })
        })
        .collect();

    let names: BTreeMap<i64, &str> = facts
        .guardians
        .iter()
        .map(|g| (g.id, g.name.as_str()))
        .collect();
    let added: Vec<(String, String, String)> = facts
        .added
        .iter()
        .map(|a| {
            (
                a.label.clone(),
                a.text.clone(),
                a.by.and_then(|id| names.get(&id))
                    .map(|n| (*n).to_owned())
                    .unwrap_or_default(),
            )
        })
        .collect();

    let changes = pupil.iter().filter(|l| l.line.changed).count()
        + guardians.iter().map(|g| g.changes.len()).sum::<usize>()
        + answers.iter().filter(|l| l.line.changed).count()
        + added.len();
    SchoolView {
        pupil,
        guardians,
        answers,
        added,
        disagreements: disagreements(facts)
            .into_iter()
            .map(|k| words.label(&k))
            .collect(),
        changes,
    }
}

/// A change the school accepts or rejects: one of the pupil's fields, one
/// of a guardian's contact details, or an answer that differs from what was
/// known. (Pieces have their own decisions; emergency contacts are not
/// SIECLE's.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Stable within the dossier: `pupil:first_name`, `guardian:12:email`,
    /// `answer:canteen`.
    pub key: String,
    /// Where it belongs: « Élève », « Coordonnées de Madame Anne Martin »,
    /// « Scolarité et vie scolaire ».
    pub section: String,
    /// The field or question (`first_name`, `email`, `canteen`).
    pub field: String,
    /// The guardian whose contact detail it is.
    pub guardian_id: Option<i64>,
    pub label: String,
    /// Before and after, in words.
    pub before: String,
    pub after: String,
    /// The proposed value as stored: a decision holds for this value only.
    pub value: String,
    /// Who gave it, and when.
    pub by: String,
    pub at: Option<i64>,
}

impl Change {
    /// The change as stored values, as the return file to SIECLE applies it.
    pub fn stored(&self) -> StoredChange {
        let key = self.field.clone();
        let value = self.value.clone();
        match (self.key.split(':').next(), self.guardian_id) {
            (Some("guardian"), Some(guardian_id)) => StoredChange::Guardian {
                guardian_id,
                key,
                value,
            },
            (Some("pupil"), _) => StoredChange::Pupil { key, value },
            _ => StoredChange::Answer { key, value },
        }
    }
}

impl SchoolView {
    /// The changes to decide on, in the page's order.
    pub fn decidable(&self) -> Vec<Change> {
        let mut out = Vec::new();
        for l in self.pupil.iter().filter(|l| l.line.changed) {
            out.push(Change {
                key: format!("pupil:{}", l.line.key),
                section: "Élève".into(),
                field: l.line.key.clone(),
                guardian_id: None,
                label: l.line.label.clone(),
                before: l.line.before.clone(),
                after: l.line.after.clone(),
                value: l.line.value.clone(),
                by: l.by.clone(),
                at: l.at,
            });
        }
        for g in &self.guardians {
            for line in &g.changes {
                out.push(Change {
                    key: format!("guardian:{}:{}", g.id, line.key),
                    section: format!("Coordonnées {}", words::de(&g.name)),
                    field: line.key.clone(),
                    guardian_id: Some(g.id),
                    label: line.label.clone(),
                    before: line.before.clone(),
                    after: line.after.clone(),
                    value: line.value.clone(),
                    by: g.name.clone(),
                    at: g.changed_at.get(&line.key).copied(),
                });
            }
        }
        for l in self.answers.iter().filter(|l| l.line.changed) {
            out.push(Change {
                key: format!("answer:{}", l.line.key),
                section: "Scolarité et vie scolaire".into(),
                field: l.line.key.clone(),
                guardian_id: None,
                label: l.line.label.clone(),
                before: l.line.before.clone(),
                after: l.line.after.clone(),
                value: l.line.value.clone(),
                by: l.by.clone(),
                at: l.at,
            });
        }
        out
    }
}

/// A change as stored values (not words): what the return file to SIECLE
/// applies, from a decided [`Change`] ([`Change::stored`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredChange {
    /// A field of the pupil's identity ([`PUPIL_FIELDS`]).
    Pupil { key: String, value: String },
    /// A guardian's contact detail ([`CONTACT_FIELDS`]).
    Guardian {
        guardian_id: i64,
        key: String,
        value: String,
    },
    /// An answer to a question ([`Facts::question_keys`]).
    Answer { key: String, value: String },
}

#[cfg(test)]
mod tests;
