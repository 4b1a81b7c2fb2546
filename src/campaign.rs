//! The re-enrolment campaign of a school. For now: which school year a new
//! campaign prepares. (The groundwork issue moves the campaign's
//! configuration here: MEF succession, options, expected documents, exit
//! rules, tariffs, and the current campaign of a school.)

use chrono::{Datelike, NaiveDate};

/// The calendar year in which the next school year starts, seen from `today`:
/// from September on, the one after.
///
/// Used when the files imported carry no school year (the spreadsheet export
/// has no ANNEE_SCOLAIRE) and by the demo. The XML exports' ANNEE_SCOLAIRE
/// should decide it instead: that is the next step of the campaign module.
pub fn school_year_after(today: NaiveDate) -> i64 {
    let year = i64::from(today.year());
    if today.month() >= 9 { year + 1 } else { year }
}

/// [`school_year_after`] today.
pub fn school_year_starting() -> i64 {
    school_year_after(chrono::Utc::now().date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_school_year_starts_this_september_until_august_then_the_next() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(school_year_after(day(2026, 3, 15)), 2026);
        assert_eq!(school_year_after(day(2026, 8, 31)), 2026);
        assert_eq!(school_year_after(day(2026, 9, 1)), 2027);
        assert_eq!(school_year_after(day(2026, 12, 1)), 2027);
    }
}
