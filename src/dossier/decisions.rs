//! The school's decision on each change of a dossier ([`super::diff::Change`]):
//! which changes are decided, which are not, and which go back to SIECLE.
//! A decision holds for the value it was taken on: a change the family made
//! again since is undecided again.

use sqlx::AnyPool;

use super::diff::{self, Change};
use super::facts;
use crate::db::{SchoolScope, decisions};

/// A change with the school's decision on it, if any.
#[derive(Debug, Clone)]
pub struct Decided {
    pub change: Change,
    pub decision: Option<decisions::DecisionRow>,
}

impl Decided {
    pub fn accepted(&self) -> bool {
        self.decision.as_ref().is_some_and(|d| d.accepted())
    }

    pub fn rejected(&self) -> bool {
        self.decision.as_ref().is_some_and(|d| !d.accepted())
    }
}

/// Pairs each change with the decision taken on its current value.
pub fn pair(changes: Vec<Change>, rows: &[decisions::DecisionRow]) -> Vec<Decided> {
    changes
        .into_iter()
        .map(|change| {
            let decision = rows
                .iter()
                .find(|r| r.change_key == change.key && r.proposed_value == change.value)
                .cloned();
            Decided { change, decision }
        })
        .collect()
}

/// How many changes wait for a decision.
pub fn undecided(decided: &[Decided]) -> usize {
    decided.iter().filter(|d| d.decision.is_none()).count()
}

/// Every change of dossier `dossier_id` of the school with its decision;
/// `None` when the dossier is not in the school's current campaign.
pub async fn of_dossier(
    pool: &AnyPool,
    scope: SchoolScope,
    dossier_id: i64,
) -> sqlx::Result<Option<Vec<Decided>>> {
    let Some((listed, words)) = facts::of_dossier(pool, scope.id(), dossier_id).await? else {
        return Ok(None);
    };
    let changes = diff::for_school(&listed.facts, &words).decidable();
    let rows = decisions::list_in_school(pool, scope, dossier_id).await?;
    Ok(Some(pair(changes, &rows)))
}

/// The changes of dossier `dossier_id` the school accepted: what the return
/// file to SIECLE may send (never a rejected or undecided one). Each carries
/// its field, its guardian for a contact detail, and its value as stored.
pub async fn accepted_changes(
    pool: &AnyPool,
    scope: SchoolScope,
    dossier_id: i64,
) -> sqlx::Result<Vec<Change>> {
    Ok(of_dossier(pool, scope, dossier_id)
        .await?
        .unwrap_or_default()
        .into_iter()
        .filter(Decided::accepted)
        .map(|d| d.change)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(key: &str, value: &str) -> Change {
        Change {
            key: key.into(),
            section: String::new(),
            field: String::new(),
            guardian_id: None,
            label: String::new(),
            before: String::new(),
            after: String::new(),
            value: value.into(),
            by: String::new(),
            at: None,
        }
    }

    fn row(key: &str, value: &str, decision: &str) -> decisions::DecisionRow {
        decisions::DecisionRow {
            change_key: key.into(),
            proposed_value: value.into(),
            label: String::new(),
            proposed_words: String::new(),
            decision: decision.into(),
            reason: String::new(),
            agent_name: String::new(),
            decided_at: 0,
        }
    }

    #[test]
    fn a_decision_holds_only_for_the_value_it_was_taken_on() {
        let decided = pair(
            vec![
                change("pupil:first_name", "Ines"),
                change("answer:canteen", "externe"),
                change("guardian:3:email", "a@b.fr"),
            ],
            &[
                row("pupil:first_name", "Inès", "accepted"),
                row("answer:canteen", "externe", "rejected"),
            ],
        );
        assert!(decided[0].decision.is_none(), "the family changed it again");
        assert!(decided[1].rejected());
        assert_eq!(undecided(&decided), 2);
    }
}
