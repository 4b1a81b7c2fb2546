//! Does an import look like somebody else's pupils? A preview whose numbers
//! say so raises an [`Alarm`] the agent must acknowledge before confirming
//! (`web::controllers::school::imports::confirm`). Pure: counts in, alarm out.
//!
//! Files of another school are refused when they say whose they are (the
//! XML exports' UAJ, see `parse::xml`); a spreadsheet export names no
//! school, so only the numbers can tell. A re-enrolment import normally
//! finds most of the school's pupils again: about a quarter of them leave
//! each year (the 3e), about a quarter arrive (the 6e). So:
//! - more than a third of the known pupils absent from the files, or
//! - more than half of the files' pupils unknown to the school
//!
//! is unusual enough to stop and ask. A first import (no known pupil) never
//! raises one.

use super::Counts;

/// What looks wrong, with the numbers to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// One French sentence per reason, naming the numbers.
    pub reasons: Vec<String>,
}

/// Above this share of known pupils absent from the files (one third).
const ABSENT_NUM: i64 = 1;
const ABSENT_DEN: i64 = 3;

/// The alarm the preview's `counts` raise, if any.
pub fn alarm(counts: &Counts) -> Option<Alarm> {
    let matched = counts.pupils_updated + counts.pupils_unchanged;
    let known = matched + counts.pupils_missing;
    let in_files = matched + counts.pupils_new;
    if known == 0 {
        return None;
    }
    let mut reasons = Vec::new();
    if counts.pupils_missing * ABSENT_DEN > known * ABSENT_NUM {
        reasons.push(format!(
            "{} des {known} élèves connus de l'établissement ({} %) sont absents des fichiers : ils seront signalés « absents de SIECLE ».",
            counts.pupils_missing,
            percent(counts.pupils_missing, known)
        ));
    }
    if in_files > 0 && counts.pupils_new * 2 > in_files {
        reasons.push(format!(
            "{} des {in_files} élèves des fichiers ({} %) ne sont pas des élèves connus de l'établissement : un dossier sera créé pour chacun d'eux.",
            counts.pupils_new,
            percent(counts.pupils_new, in_files)
        ));
    }
    (!reasons.is_empty()).then_some(Alarm { reasons })
}

fn percent(part: i64, whole: i64) -> i64 {
    (part * 100 + whole / 2) / whole
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(new: i64, updated: i64, unchanged: i64, missing: i64) -> Counts {
        Counts {
            pupils_new: new,
            pupils_updated: updated,
            pupils_unchanged: unchanged,
            pupils_missing: missing,
            ..Counts::default()
        }
    }

    #[test]
    fn a_spreadsheet_of_another_schools_pupils_raises_both_alarms_with_the_numbers() {
        let alarm = alarm(&counts(30, 0, 0, 95)).expect("an alarm");
        assert_eq!(
            alarm.reasons,
            [
                "95 des 95 élèves connus de l'établissement (100 %) sont absents des fichiers : ils seront signalés « absents de SIECLE ».",
                "30 des 30 élèves des fichiers (100 %) ne sont pas des élèves connus de l'établissement : un dossier sera créé pour chacun d'eux.",
            ]
        );
    }

    #[test]
    fn a_yearly_import_with_its_usual_arrivals_and_departures_raises_none() {
        // 400 pupils: 100 left (3e), 100 arrived (6e), 300 found again.
        assert_eq!(alarm(&counts(100, 40, 260, 100)), None);
        assert_eq!(alarm(&counts(0, 0, 400, 0)), None);
    }

    #[test]
    fn the_first_import_of_a_school_raises_none() {
        assert_eq!(alarm(&counts(450, 0, 0, 0)), None);
        assert_eq!(alarm(&Counts::default()), None);
    }

    #[test]
    fn more_than_a_third_absent_is_enough() {
        assert_eq!(alarm(&counts(0, 0, 200, 100)), None, "exactly a third");
        let alarm = alarm(&counts(0, 0, 199, 101)).expect("just over a third");
        assert_eq!(alarm.reasons.len(), 1);
        assert!(alarm.reasons[0].starts_with("101 des 300 élèves connus"));
    }

    #[test]
    fn mostly_unknown_pupils_are_enough_even_when_the_known_ones_are_all_there() {
        let alarm = alarm(&counts(51, 0, 50, 0)).expect("most pupils unknown");
        assert_eq!(alarm.reasons.len(), 1);
        assert!(alarm.reasons[0].starts_with("51 des 101 élèves des fichiers (50 %)"));
        assert_eq!(
            super::alarm(&counts(50, 0, 50, 0)),
            None,
            "half is not most"
        );
    }
}
