//! Small text helpers shared by the parsers: accent folding for tolerant matching,
//! date parsing, identifier checks.

use chrono::NaiveDate;

/// Folds a label for tolerant comparison: lower case, accents removed, non-breaking
/// spaces and punctuation turned into spaces, whitespace collapsed.
/// « Civilité Repr. Lég.\u{a0}» → « civilite repr leg ».
pub fn fold_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        let folded: &str = match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' | 'À' | 'Â' | 'Ä' | 'Á' | 'Ã' | 'Å' => {
                "a"
            }
            'ç' | 'Ç' => "c",
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => "e",
            'î' | 'ï' | 'í' | 'ì' | 'Î' | 'Ï' | 'Í' | 'Ì' => "i",
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' | 'Ô' | 'Ö' | 'Ó' | 'Ò' | 'Õ' => "o",
            'ù' | 'û' | 'ü' | 'ú' | 'Ù' | 'Û' | 'Ü' | 'Ú' => "u",
            'ÿ' | 'Ÿ' | 'ý' | 'Ý' => "y",
            'ñ' | 'Ñ' => "n",
            'œ' | 'Œ' => "oe",
            'æ' | 'Æ' => "ae",
            'š' | 'Š' => "s",
            'ž' | 'Ž' => "z",
            _ => "",
        };
        if !folded.is_empty() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push_str(folded);
        } else if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            // Spaces, NBSP, punctuation, apostrophes: all separators.
            pending_space = true;
        }
    }
    out
}

/// Trims a field value; `None` when nothing is left.
pub fn non_empty(s: &str) -> Option<String> {
    let t = s.trim_matches(|c: char| c.is_whitespace());
    if t.is_empty() {
        None
    } else {
        Some(t.to_string())
    }
}

/// Parses the dates SIECLE and spreadsheets write: `JJ/MM/AAAA` (the official form),
/// `AAAA-MM-JJ`, `JJ-MM-AAAA`, `JJ.MM.AAAA`, an optional time after a space or `T`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let date_part = s.split([' ', 'T']).next().unwrap_or(s);
    let parts: Vec<&str> = date_part.split(['/', '-', '.']).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let (y, m, d) = if parts[0].len() == 4 {
        (parts[0], parts[1], parts[2])
    } else if parts[2].len() == 4 {
        (parts[2], parts[1], parts[0])
    } else {
        return None;
    };
    if m.len() > 2 || d.len() > 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// Parses a `JJ/MM/AAAA HH:MM:SS` timestamp (PARAMETRES/HORODATAGE).
pub fn parse_datetime(s: &str) -> Option<chrono::NaiveDateTime> {
    let s = s.trim();
    let (date, time) = s.split_once([' ', 'T'])?;
    let date = parse_date(date)?;
    let time = chrono::NaiveTime::parse_from_str(time.trim(), "%H:%M:%S")
        .or_else(|_| chrono::NaiveTime::parse_from_str(time.trim(), "%H:%M"))
        .ok()?;
    Some(date.and_time(time))
}

/// Reads SIECLE booleans: `1`/`0`, `true`/`false`, `O`/`N`, `oui`/`non`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match fold_key(s).as_str() {
        "1" | "true" | "o" | "oui" | "y" | "yes" | "vrai" | "x" => Some(true),
        "0" | "false" | "n" | "non" | "no" | "faux" => Some(false),
        _ => None,
    }
}

/// Shortens a value quoted in a message so a huge field cannot flood the preview.
pub fn excerpt(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_key_ignores_accents_case_punctuation_and_nbsp() {
        assert_eq!(fold_key("Civilité Repr. Lég.\u{a0}"), "civilite repr leg");
        assert_eq!(fold_key("  Date   Naissance "), "date naissance");
        assert_eq!(fold_key("Nom d'usage"), "nom d usage");
        assert_eq!(fold_key("ŒUVRE"), "oeuvre");
    }

    #[test]
    fn dates_in_every_form_seen() {
        let d = NaiveDate::from_ymd_opt(2004, 12, 22).unwrap();
        assert_eq!(parse_date("22/12/2004"), Some(d));
        assert_eq!(parse_date("2004-12-22"), Some(d));
        assert_eq!(parse_date("22/12/2004 00:00:00"), Some(d));
        assert_eq!(parse_date("2004-12-22T00:00:00"), Some(d));
        assert_eq!(parse_date("31/02/2010"), None);
        assert_eq!(
            parse_date("31/12/9999"),
            NaiveDate::from_ymd_opt(9999, 12, 31)
        );
        assert_eq!(parse_date("hier"), None);
        assert_eq!(parse_date("1/2/3"), None);
        assert!(parse_datetime("06/07/2019 19:01:46").is_some());
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("1"), Some(true));
        assert_eq!(parse_bool("false"), Some(false));
        assert_eq!(parse_bool("O"), Some(true));
        assert_eq!(parse_bool("N"), Some(false));
        assert_eq!(parse_bool("peut-être"), None);
    }
}
