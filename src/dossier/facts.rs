//! Reads the [`Facts`] of the diff: for one dossier (the family's pages, the
//! school's dossier page) or every dossier of a school's current campaign in
//! a fixed number of queries (the school's list).

use std::collections::HashMap;

use sqlx::AnyPool;

use super::diff::{self, Added, Baseline, Facts, GuardianFacts, Words};
use crate::db::facts::Which;
use crate::db::{campaigns, facts as rows, offer};
use crate::domain::dossier_state::DossierState;
use crate::domain::schooling::{self, OfferedOption, OptionStatus};
use crate::domain::words;

/// A dossier of the school's list with its facts.
pub struct Listed {
    pub row: rows::DossierRow,
    pub facts: Facts,
    /// Pieces sent and not yet accepted or refused, in a dossier whose
    /// pieces the school checks
    /// ([`DossierState::pieces_checked_by_school`](crate::domain::dossier_state::DossierState::pieces_checked_by_school)).
    pub pieces_to_check: usize,
}

/// The facts of one dossier of school `school_id` (`None` when the dossier
/// is not in the school's current campaign), with the school's words.
pub async fn of_dossier(
    pool: &AnyPool,
    school_id: i64,
    dossier_id: i64,
) -> sqlx::Result<Option<(Listed, Words)>> {
    let (mut listed, words) = read(pool, school_id, Which::Dossier(dossier_id)).await?;
    Ok(listed.pop().map(|l| (l, words)))
}

/// The facts of every dossier of the school's current campaign, by pupil
/// name.
pub async fn of_school(pool: &AnyPool, school_id: i64) -> sqlx::Result<(Vec<Listed>, Words)> {
    read(pool, school_id, Which::Campaign).await
}

/// The facts of the dossiers of the school's current campaign in `state`,
/// by pupil name.
pub async fn of_school_in_state(
    pool: &AnyPool,
    school_id: i64,
    state: DossierState,
) -> sqlx::Result<(Vec<Listed>, Words)> {
    read(pool, school_id, Which::InState(state)).await
}

/// The school's words (option names, exit rules, its own questions).
pub async fn words_of_school(pool: &AnyPool, school_id: i64) -> sqlx::Result<Words> {
    Ok(Words {
        questions: offer::questions(pool, school_id).await?,
        options: rows::option_labels(pool, school_id)
            .await?
            .into_iter()
            .collect(),
        exit_rules: campaigns::exit_rules(pool, school_id)
            .await?
            .into_iter()
            .map(|r| (r.id.to_string(), r.label))
            .collect(),
    })
}

/// The options a pupil is offered next year, with what the family may do
/// with each: none when the pupil has no next MEF (leaving the collège).
pub fn available_options(
    offered: &[offer::MefOptionRow],
    next_mef_id: Option<i64>,
    practised: &[String],
) -> Vec<(OfferedOption, OptionStatus)> {
    let Some(next) = next_mef_id else {
        return Vec::new();
    };
    let offered: Vec<OfferedOption> = offered
        .iter()
        .filter(|o| o.mef_id == next)
        .map(offer::MefOptionRow::offered)
        .collect();
    schooling::available(&offered, practised)
}

/// The options baseline: what the pupil follows next year unless the family
/// drops it (mandatory, kept and droppable options; never a request), `None`
/// when none is offered (nothing is asked). Compared as a set.
pub fn default_options(available: &[(OfferedOption, OptionStatus)]) -> Option<Vec<String>> {
    if available.is_empty() {
        return None;
    }
    let mut kept: Vec<String> = available
        .iter()
        .filter(|(_, s)| *s != OptionStatus::Requestable)
        .map(|(o, _)| o.code.clone())
        .collect();
    kept.sort();
    Some(kept)
}

/// The options dossier `dossier_id` asked for that are beyond their
/// capacity: (code, rank on the waiting list).
pub fn waiting_options(
    available: &[(OfferedOption, OptionStatus)],
    queues: &HashMap<(i64, String), Vec<i64>>,
    next_mef_id: Option<i64>,
    dossier_id: i64,
) -> Vec<(String, usize)> {
    let Some(mef) = next_mef_id else {
        return Vec::new();
    };
    available
        .iter()
        .filter(|(_, s)| *s == OptionStatus::Requestable)
        .filter_map(|(o, _)| {
            let queue = queues.get(&(mef, o.code.clone()))?;
            match schooling::request_standing(queue, dossier_id, o.capacity)? {
                schooling::RequestStanding::Waiting(rank) => Some((o.code.clone(), rank)),
                schooling::RequestStanding::Placed => None,
            }
        })
        .collect()
}

fn group<T, K: std::hash::Hash + Eq>(items: Vec<T>, key: impl Fn(&T) -> K) -> HashMap<K, Vec<T>> {
    let mut map: HashMap<K, Vec<T>> = HashMap::new();
    for item in items {
        map.entry(key(&item)).or_default().push(item);
    }
    map
}

async fn read(pool: &AnyPool, school_id: i64, which: Which) -> sqlx::Result<(Vec<Listed>, Words)> {
    let dossiers = rows::dossiers(pool, school_id, which).await?;
    if dossiers.is_empty() {
        return Ok((Vec::new(), Words::default()));
    }
    let mut pupil_edits = group(rows::pupil_edits(pool, school_id, which).await?, |r| {
        r.dossier_id
    });
    let mut guardians = group(rows::guardians(pool, school_id, which).await?, |r| {
        r.dossier_id
    });
    let guardian_edits = group(rows::guardian_edits(pool, school_id, which).await?, |r| {
        r.guardian_id
    });
    let mut answers = group(rows::answers(pool, school_id, which).await?, |r| {
        r.dossier_id
    });
    let mut previous = group(rows::previous_answers(pool, school_id, which).await?, |r| {
        r.dossier_id
    });
    let mut practised = group(
        rows::practised_options(pool, school_id, which).await?,
        |r| r.dossier_id,
    );
    let offered = offer::options_of_school(pool, school_id).await?;
    let queues = offer::request_queues(pool, school_id).await?;
    let mut contacts = group(rows::contacts(pool, school_id, which).await?, |r| {
        r.dossier_id
    });
    let mut pieces = group(rows::pieces(pool, school_id, which).await?, |r| {
        r.dossier_id
    });
    let words = words_of_school(pool, school_id).await?;

    let listed = dossiers
        .into_iter()
        .map(|row| {
            let id = row.dossier_id;
            let practised: Vec<String> = practised
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|p| p.code)
                .collect();
            let available = available_options(&offered, row.next_mef_id, &practised);
            let options = default_options(&available);
            let waiting = waiting_options(&available, &queues, row.next_mef_id, id);
            let previous: HashMap<String, String> = previous
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|p| (p.question, p.answer))
                .collect();
            let baseline: Baseline = diff::baseline(&row.regime_code, previous, options);
            let mut edits_by_guardian = group(pupil_edits.remove(&id).unwrap_or_default(), |e| {
                e.guardian_id
            });
            let mut answers_by_guardian =
                group(answers.remove(&id).unwrap_or_default(), |a| a.guardian_id);
            let guardians = guardians
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|g| GuardianFacts {
                    id: g.guardian_id,
                    name: words::person(&g.civility, &g.first_name, &g.last_name),
                    siecle: [
                        ("email", g.email),
                        ("phone_mobile", g.phone_mobile),
                        ("phone_home", g.phone_home),
                        ("phone_work", g.phone_work),
                        ("address_lines", g.address_lines),
                        ("postcode", g.postcode),
                        ("city", g.city),
                        ("profession_code", g.profession_code),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
                    edits: guardian_edits
                        .get(&g.guardian_id)
                        .into_iter()
                        .flatten()
                        .map(|e| (e.field.clone(), e.new_value.clone()))
                        .collect(),
                    edited_at: guardian_edits
                        .get(&g.guardian_id)
                        .into_iter()
                        .flatten()
                        .map(|e| (e.field.clone(), e.changed_at))
                        .collect(),
                    pupil_edits: edits_by_guardian
                        .remove(&g.guardian_id)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|e| (e.field, (e.new_value, e.changed_at)))
                        .collect(),
                    answers: answers_by_guardian
                        .remove(&g.guardian_id)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|a| (a.question, (a.answer, a.answered_at)))
                        .collect(),
                })
                .collect();
            let mut added: Vec<Added> = contacts
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|c| Added {
                    by: c.added_by,
                    label: "Contact d'urgence".into(),
                    text: if c.relationship.is_empty() {
                        format!("{}, {}", c.name, words::phone(&c.phone))
                    } else {
                        format!(
                            "{} ({}), {}",
                            c.name,
                            c.relationship,
                            words::phone(&c.phone)
                        )
                    },
                    is_piece: false,
                })
                .collect();
            let pieces = pieces.remove(&id).unwrap_or_default();
            let pieces_to_check = if row.state.pieces_checked_by_school() {
                pieces.iter().filter(|p| p.status == "submitted").count()
            } else {
                0
            };
            added.extend(pieces.into_iter().map(|p| Added {
                by: p.guardian_id,
                label: p.label,
                text: p.original_name,
                is_piece: true,
            }));
            let facts = Facts {
                dossier_id: id,
                state: row.state,
                submitted_by: row.submitted_by,
                submitted_at: row.submitted_at,
                pupil: [
                    ("last_name", row.last_name.clone()),
                    ("first_name", row.first_name.clone()),
                    ("other_first_names", row.other_first_names.clone()),
                    ("sex", row.sex.clone()),
                    ("birth_date", row.birth_date.clone()),
                    ("birth_city", row.birth_city.clone()),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
                guardians,
                baseline,
                added,
                next_year: if row.mef_label.is_some() {
                    words::next_year(row.mef_label.as_deref(), row.next_mef_label.as_deref())
                } else {
                    String::new()
                },
                questions: words.questions.iter().map(|q| q.key.clone()).collect(),
                waiting,
            };
            Listed {
                row,
                facts,
                pieces_to_check,
            }
        })
        .collect();
    Ok((listed, words))
}
