//! The first and last days of classes of the school year the return file to
//! SIECLE is for (its ANNEE_SCOLAIRE, the year the campaign prepares): the
//! school gives them (DATE_DEB_SCO, and the dry run's « inside the school
//! year »), never the clock. A school year `year` runs from August of `year`
//! to July of `year + 1`.

use chrono::NaiveDate;

/// `2025` → « 2025-2026 ».
pub fn year_label(year: i64) -> String {
    format!("{year}-{}", year + 1)
}

/// The first and last days a date of school year `year` may take.
pub fn bounds(year: i64) -> Option<(NaiveDate, NaiveDate)> {
    let year = i32::try_from(year).ok()?;
    Some((
        NaiveDate::from_ymd_opt(year, 8, 1)?,
        NaiveDate::from_ymd_opt(year.checked_add(1)?, 7, 31)?,
    ))
}

/// Reads and checks the two dates typed (`YYYY-MM-DD`, as a date input sends
/// them) for school year `year`; why they are refused, in French.
pub fn check(start: &str, end: &str, year: i64) -> Result<(NaiveDate, NaiveDate), String> {
    let read = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let (start, end) = match (start.trim().is_empty(), end.trim().is_empty()) {
        (true, _) => return Err("Saisissez le premier jour de classe.".into()),
        (_, true) => return Err("Saisissez le dernier jour de classe.".into()),
        _ => match (read(start), read(end)) {
            (Some(s), Some(e)) => (s, e),
            _ => {
                return Err(
                    "Une date n'est pas lisible : saisissez-la au format JJ/MM/AAAA.".into(),
                );
            }
        },
    };
    let Some((first, last)) = bounds(year) else {
        return Err("L'année scolaire n'est pas valide.".into());
    };
    let label = year_label(year);
    let fr = |d: NaiveDate| d.format("%d/%m/%Y").to_string();
    if start < first || start > last {
        return Err(format!(
            "Le premier jour de classe doit être dans l'année scolaire {label} (entre le {} et le {}).",
            fr(first),
            fr(last)
        ));
    }
    if end < first || end > last {
        return Err(format!(
            "Le dernier jour de classe doit être dans l'année scolaire {label} (entre le {} et le {}).",
            fr(first),
            fr(last)
        ));
    }
    if end <= start {
        return Err(
            "Le dernier jour de classe doit être après le premier : vérifiez les deux dates."
                .into(),
        );
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_inside_the_school_year_in_order_are_accepted() {
        let (s, e) = check("2025-09-01", "2026-07-04", 2025).unwrap();
        assert_eq!(s, NaiveDate::from_ymd_opt(2025, 9, 1).unwrap());
        assert_eq!(e, NaiveDate::from_ymd_opt(2026, 7, 4).unwrap());
    }

    #[test]
    fn an_end_before_the_start_or_a_date_of_another_year_is_refused() {
        assert!(
            check("2025-09-01", "2025-09-01", 2025)
                .unwrap_err()
                .contains("après le premier")
        );
        assert!(
            check("2026-07-04", "2025-09-01", 2025)
                .unwrap_err()
                .contains("après le premier")
        );
        assert!(
            check("2026-09-01", "2027-07-04", 2025)
                .unwrap_err()
                .contains("2025-2026")
        );
        assert!(
            check("2025-09-01", "2026-08-01", 2025)
                .unwrap_err()
                .contains("dernier jour")
        );
        assert!(
            check("", "2026-07-04", 2025)
                .unwrap_err()
                .contains("premier jour")
        );
        assert!(
            check("01/09/2025", "2026-07-04", 2025)
                .unwrap_err()
                .contains("lisible")
        );
    }
}
