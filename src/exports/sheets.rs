//! What each spreadsheet holds, computed from the dossier facts of the
//! school's current campaign (`dossier::facts::of_school`): the same reading
//! as the school's list and dossier pages (`dossier::diff::for_school`), so
//! a change, an option or an answer reads the same in the file. Pure.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::db::decisions::DecisionRow;
use crate::domain::schooling::{self, Tariff};
use crate::domain::words;
use crate::dossier::decisions;
use crate::dossier::diff::{self, Facts, SchoolView, Words};
use crate::dossier::facts::Listed;
use crate::dossier::review::state_word;

/// One cell. Text is always written as text, never as a formula, whatever
/// a family typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(i64),
    /// An amount in cents, written as euros.
    Euros(i64),
    /// A Paris wall-clock time.
    DateTime(NaiveDateTime),
    Empty,
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s)
        }
    }

    fn at(millis: Option<i64>) -> Cell {
        millis
            .and_then(words::paris_local)
            .map_or(Cell::Empty, Cell::DateTime)
    }
}

/// A sheet: its tab's name, its French headers and its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub name: &'static str,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

fn headers(names: &[&str]) -> Vec<String> {
    names.iter().map(|h| (*h).to_owned()).collect()
}

/// The pupils by class, then name (the facts come by name).
fn by_class(listed: &[Listed]) -> Vec<&Listed> {
    let mut sorted: Vec<&Listed> = listed.iter().collect();
    sorted.sort_by(|a, b| a.row.division.cmp(&b.row.division));
    sorted
}

fn pupil_cells(l: &Listed) -> Vec<Cell> {
    vec![
        Cell::text(l.row.division.clone()),
        Cell::text(l.row.last_name.clone()),
        Cell::text(l.row.first_name.clone()),
    ]
}

/// The value the school reads for question `key`, as stored: the families'
/// answer, else what was known before (SIECLE's régime, last year's answer).
pub fn current(facts: &Facts, view: &SchoolView, key: &str) -> Option<String> {
    view.answers
        .iter()
        .find(|a| a.line.key == key)
        .map(|a| a.line.value.clone())
        .or_else(|| facts.baseline.value(key))
}

/// Every change of every dossier, with the school's decision on it.
pub fn changes(
    listed: &[Listed],
    words: &Words,
    decided: &HashMap<i64, Vec<DecisionRow>>,
) -> Sheet {
    let mut rows = Vec::new();
    for l in by_class(listed) {
        let view = diff::for_school(&l.facts, words);
        let none = Vec::new();
        let paired = decisions::pair(
            view.decidable(),
            decided.get(&l.row.dossier_id).unwrap_or(&none),
        );
        for d in paired {
            let c = &d.change;
            let (decision, reason, by, at) = match &d.decision {
                Some(row) => (
                    if row.accepted() {
                        "Acceptée"
                    } else {
                        "Refusée"
                    },
                    row.reason.clone(),
                    row.agent_name.clone(),
                    Some(row.decided_at),
                ),
                None => ("À décider", String::new(), String::new(), None),
            };
            let mut row = pupil_cells(l);
            row.extend([
                Cell::text(c.section.clone()),
                Cell::text(c.label.clone()),
                Cell::text(c.before.clone()),
                Cell::text(c.after.clone()),
                Cell::text(c.by.clone()),
                Cell::at(c.at),
                Cell::text(decision),
                Cell::text(reason),
                Cell::text(by),
                Cell::at(at),
            ]);
            rows.push(row);
        }
    }
    Sheet {
        name: "Modifications",
        headers: headers(&[
            "Classe",
            "Nom",
            "Prénom",
            "Rubrique",
            "Champ",
            "Avant",
            "Après",
            "Modifié par",
            "Modifié le",
            "Décision",
            "Motif du refus",
            "Décidé par",
            "Décidé le",
        ]),
        rows,
    }
}

/// Each pupil's options for next year, and the options waited for.
pub fn options(listed: &[Listed], words: &Words) -> Sheet {
    let mut rows = Vec::new();
    for l in by_class(listed) {
        let view = diff::for_school(&l.facts, words);
        let options = if l.facts.baseline.asks_options() {
            current(&l.facts, &view, "options")
                .map(|v| words.show("options", &v))
                .unwrap_or_default()
        } else {
            String::new()
        };
        let waiting: Vec<String> = l
            .facts
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
        let mut row = pupil_cells(l);
        row.extend([
            Cell::text(l.row.mef_label.clone().unwrap_or_default()),
            Cell::text(l.row.next_mef_label.clone().unwrap_or_default()),
            Cell::text(options),
            Cell::text(waiting.join(", ")),
            Cell::text(state_word(l.row.state)),
        ]);
        rows.push(row);
    }
    Sheet {
        name: "Options",
        headers: headers(&[
            "Classe",
            "Nom",
            "Prénom",
            "Formation actuelle",
            "Formation l'an prochain",
            "Options",
            "Liste d'attente",
            "État du dossier",
        ]),
        rows,
    }
}

/// The demi-pensionnaires, their days, quotient and tariff band.
pub fn canteen(listed: &[Listed], words: &Words, tariffs: &[Tariff], days: &str) -> Sheet {
    let mut rows = Vec::new();
    for l in by_class(listed) {
        let view = diff::for_school(&l.facts, words);
        if current(&l.facts, &view, "canteen").as_deref() != Some("demi_pension") {
            continue;
        }
        let quotient =
            current(&l.facts, &view, "quotient").and_then(|q| q.trim().parse::<i64>().ok());
        let tariff = schooling::tariff_for(quotient, tariffs);
        let mut row = pupil_cells(l);
        row.extend([
            Cell::text(words::canteen("demi_pension")),
            Cell::text(words::canteen_days(days)),
            quotient.map_or(Cell::Empty, Cell::Number),
            tariff.map_or(Cell::Empty, |t| Cell::text(t.label.clone())),
            tariff.map_or(Cell::Empty, |t| Cell::Euros(t.price_cents)),
            Cell::text(state_word(l.row.state)),
        ]);
        rows.push(row);
    }
    Sheet {
        name: "Demi-pension",
        headers: headers(&[
            "Classe",
            "Nom",
            "Prénom",
            "Régime",
            "Jours",
            "Quotient familial",
            "Tranche",
            "Prix du repas",
            "État du dossier",
        ]),
        rows,
    }
}

/// The answers to the school's own questions: one column per question.
pub fn answers(listed: &[Listed], words: &Words) -> Sheet {
    let mut rows = Vec::new();
    for l in by_class(listed) {
        let view = diff::for_school(&l.facts, words);
        let mut row = pupil_cells(l);
        row.push(Cell::text(state_word(l.row.state)));
        for q in &words.questions {
            let answered = view.answers.iter().find(|a| a.line.key == q.key);
            row.push(answered.map_or(Cell::Empty, |a| Cell::text(q.show(&a.line.value))));
        }
        rows.push(row);
    }
    let mut names = headers(&["Classe", "Nom", "Prénom", "État du dossier"]);
    names.extend(words.questions.iter().map(|q| q.label.clone()));
    Sheet {
        name: "Réponses",
        headers: names,
        rows,
    }
}
