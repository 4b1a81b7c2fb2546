//! The PDF exports, one page per pupil (`crate::pdf`): convocations of a
//! class (or of every class) with the date, time and place typed on the
//! exports page, and the medical forms with what the guardians told the
//! nurse (only the nurse's export reads it). Pure.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveTime};

use super::Params;
use crate::db::exports::MedicalRow;
use crate::db::facts::DossierRow;
use crate::domain::dossier_state::DossierState;
use crate::domain::words;
use crate::pdf::{self, Line};

/// The rows by class then name, pupils leaving the collège left out.
fn staying(rows: &[&DossierRow]) -> Vec<DossierRow> {
    let mut staying: Vec<DossierRow> = rows
        .iter()
        .filter(|r| r.state != DossierState::Leaving)
        .map(|r| (*r).clone())
        .collect();
    staying.sort_by(|a, b| {
        (&a.division, &a.last_name, &a.first_name).cmp(&(&b.division, &b.last_name, &b.first_name))
    });
    staying
}

/// « 02/07/2027 à 9 h 30 ».
pub fn when(params: &Params) -> String {
    let day = NaiveDate::parse_from_str(&params.date, "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_else(|_| params.date.clone());
    let time = NaiveTime::parse_from_str(&params.time, "%H:%M")
        .map(|t| t.format("%-H h %M").to_string())
        .unwrap_or_else(|_| params.time.clone());
    format!("{day} à {time}")
}

/// The convocations: one page per pupil of `params.division` (every class
/// when empty). `None` when there is nobody to convene.
pub fn convocations(school: &str, rows: &[&DossierRow], params: &Params) -> Option<Vec<u8>> {
    let pupils: Vec<DossierRow> = staying(rows)
        .into_iter()
        .filter(|r| params.division.is_empty() || r.division == params.division)
        .collect();
    if pupils.is_empty() {
        return None;
    }
    let when = when(params);
    let mut lines = Vec::new();
    for (n, p) in pupils.iter().enumerate() {
        if n > 0 {
            lines.push(Line::PageBreak);
        }
        lines.extend([
            Line::Title("Convocation".into()),
            Line::Text(school.to_owned()),
            Line::Blank,
            Line::Heading("Élève".into()),
            Line::Text(format!("{} {}", p.first_name, p.last_name)),
            Line::Text(format!("Classe : {}", p.division)),
            Line::Blank,
            Line::Heading("Rendez-vous".into()),
            Line::Text(format!("Le {when}")),
            Line::Text(format!("Lieu : {}", params.place.trim())),
            Line::Blank,
            Line::Text(
                "Merci de vous présenter à l'heure avec ce document. En cas d'empêchement, prévenez le secrétariat du collège.".into(),
            ),
        ]);
    }
    Some(pdf::render("Convocations", &lines))
}

/// A guardian's note in words.
fn note_lines(row: &MedicalRow) -> Vec<Line> {
    let who = format!("{} {}", row.guardian_first_name, row.guardian_last_name);
    let mut lines = vec![Line::Heading(format!("Selon {who}"))];
    match row.mode.as_str() {
        "online" => {
            let text = row.note.trim();
            if text.is_empty() {
                lines.push(Line::Text("Aucune information donnée.".into()));
            }
            lines.extend(
                text.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| Line::Text(l.trim().to_owned())),
            );
        }
        "sealed" => lines.push(Line::Text(
            "Remet une fiche santé sous enveloppe fermée à l'infirmerie.".into(),
        )),
        _ => lines.push(Line::Text("Rien à signaler.".into())),
    }
    lines
}

/// The medical forms: one page per pupil whose guardians said something
/// to the nurse. `None` when nobody did.
pub fn medical_forms(school: &str, rows: &[&DossierRow], notes: &[MedicalRow]) -> Option<Vec<u8>> {
    let mut by_dossier: HashMap<i64, Vec<&MedicalRow>> = HashMap::new();
    for note in notes {
        by_dossier.entry(note.dossier_id).or_default().push(note);
    }
    let mut lines = Vec::new();
    for p in staying(rows) {
        let Some(notes) = by_dossier.get(&p.dossier_id) else {
            continue;
        };
        if !lines.is_empty() {
            lines.push(Line::PageBreak);
        }
        lines.extend([
            Line::Title("Fiche santé — confidentielle".into()),
            Line::Text(format!("{school} — réservée à l'infirmerie")),
            Line::Blank,
            Line::Heading("Élève".into()),
            Line::Text(format!(
                "{} {} — né·e le {} — classe {}",
                p.first_name,
                p.last_name,
                words::french_date(&p.birth_date),
                p.division
            )),
            Line::Blank,
        ]);
        for note in notes {
            lines.extend(note_lines(note));
            lines.push(Line::Blank);
        }
    }
    (!lines.is_empty()).then(|| pdf::render("Fiches santé", &lines))
}
