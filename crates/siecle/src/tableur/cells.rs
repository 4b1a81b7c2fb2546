//! Cell values: text, codes read as numbers, and dates in any of their spellings.

use calamine::Data;
use chrono::NaiveDate;

use crate::text::{non_empty, parse_date};

/// Text of a cell; numbers without a fractional part are written as integers.
pub(super) fn cell_text(cell: &Data) -> Option<String> {
    match cell {
        Data::Empty | Data::Error(_) => None,
        Data::String(s) => non_empty(s),
        Data::Float(f) => {
            if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
                Some(format!("{}", *f as i64))
            } else if f.is_finite() {
                Some(f.to_string())
            } else {
                None
            }
        }
        Data::Int(i) => Some(i.to_string()),
        Data::Bool(b) => Some(if *b { "1".into() } else { "0".into() }),
        Data::DateTime(d) => {
            let (y, m, day, ..) = d.to_ymd_hms_milli();
            Some(format!("{day:02}/{m:02}/{y:04}"))
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => non_empty(s),
    }
}

/// Converts a spreadsheet serial number (1900 epoch) to a date.
fn serial_to_date(serial: f64) -> Option<NaiveDate> {
    if !serial.is_finite() || !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?
        .checked_add_days(chrono::Days::new(serial.trunc() as u64))
}

pub(super) fn cell_date(cell: &Data) -> Result<Option<NaiveDate>, String> {
    match cell {
        Data::Empty => Ok(None),
        Data::DateTime(d) => {
            let (y, m, day, ..) = d.to_ymd_hms_milli();
            NaiveDate::from_ymd_opt(y.into(), m.into(), day.into())
                .map(Some)
                .ok_or_else(|| format!("{}", d.as_f64()))
        }
        Data::Float(f) => serial_to_date(*f).map(Some).ok_or_else(|| f.to_string()),
        Data::Int(i) => serial_to_date(*i as f64)
            .map(Some)
            .ok_or_else(|| i.to_string()),
        other => match cell_text(other) {
            None => Ok(None),
            Some(t) => {
                if let Some(d) = parse_date(&t) {
                    return Ok(Some(d));
                }
                match t.parse::<f64>() {
                    Ok(f) => serial_to_date(f).map(Some).ok_or(t),
                    Err(_) => Err(t),
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_become_text_codes_and_dates() {
        assert_eq!(
            cell_text(&Data::Float(10110001110.0)).as_deref(),
            Some("10110001110")
        );
        assert_eq!(cell_text(&Data::Float(1.5)).as_deref(), Some("1.5"));
        assert_eq!(
            cell_text(&Data::String("  x ".into())).as_deref(),
            Some("x")
        );
        assert_eq!(
            cell_date(&Data::Float(41517.0)),
            Ok(NaiveDate::from_ymd_opt(2013, 8, 31))
        );
        assert_eq!(
            cell_date(&Data::String("24/02/2005".into())),
            Ok(NaiveDate::from_ymd_opt(2005, 2, 24))
        );
        assert_eq!(
            cell_date(&Data::String("38407".into())),
            Ok(NaiveDate::from_ymd_opt(2005, 2, 24))
        );
        assert!(cell_date(&Data::String("31/02/2005".into())).is_err());
        assert!(cell_date(&Data::Float(-3.0)).is_err());
        assert_eq!(cell_date(&Data::Empty), Ok(None));
    }
}
