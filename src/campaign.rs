//! The re-enrolment campaign of a school: which school year a campaign
//! prepares, from the SIECLE exports it starts from. (Its configuration —
//! MEF succession, options, expected documents, exit rules, tariffs — is read
//! by `db::campaigns`; its editing screens come with the school set-up.)

use chrono::{Datelike, NaiveDate};

/// The calendar year in which the next school year starts, seen from `today`:
/// from September on, the one after.
///
/// Used only when nothing else tells: an import whose files carry no school
/// year (the spreadsheet export has no ANNEE_SCOLAIRE), and the demo. The XML
/// exports decide it otherwise ([`school_year_after_exports`]).
pub fn school_year_after(today: NaiveDate) -> i64 {
    let year = i64::from(today.year());
    if today.month() >= 9 { year + 1 } else { year }
}

/// The school year a campaign prepares, from the school year of the SIECLE
/// exports it starts from (ANNEE_SCOLAIRE, a starting year): families
/// re-enrol during one school year for the next.
pub fn school_year_after_exports(exports_year: i64) -> i64 {
    exports_year + 1
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

    #[test]
    fn a_campaign_prepares_the_year_after_its_exports() {
        // Exports of 2025-2026 (ANNEE_SCOLAIRE 2025): re-enrolment for 2026-2027.
        assert_eq!(school_year_after_exports(2025), 2026);
    }
}
