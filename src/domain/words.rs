//! Stored values as people read them: « Fille » for `F`, « 12/03/2013 » for
//! `2013-03-12`, « Demi-pensionnaire » for `demi_pension`, a profession's name
//! for its code. Families, staff, e-mails and PDFs read these words, never the
//! codes (the codes stay in the database and go back to SIECLE).

use dossiersco_siecle::codes::{Pcs, Regime};

/// `value` of the dossier field `key` in words. Values with no code (names,
/// towns, addresses) read as typed; an empty value reads « — ».
pub fn value(key: &str, value: &str) -> String {
    if value.is_empty() {
        return "—".into();
    }
    match key {
        "sex" => sex(value).to_owned(),
        "birth_date" => french_date(value),
        "canteen" => canteen(value).to_owned(),
        "photo" | "sorties" | "fse" => yes_no(value).to_owned(),
        "phone_mobile" | "phone_home" | "phone_work" => phone(value),
        "profession_code" => profession(value),
        _ => value.to_owned(),
    }
}

/// « Madame Thi Lan NGUYEN » from SIECLE's short civilité (« MME », « M. »).
pub fn person(civility: &str, first_name: &str, last_name: &str) -> String {
    let civility =
        dossiersco_siecle::codes::Civilite::from_label(civility).map_or(civility, |c| c.label());
    [civility, first_name, last_name]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// « de Léa », « d'Inès », « d'Hugo »: French elision before a vowel or
/// an h (a mute h is by far the more common in first names).
pub fn of(name: &str) -> String {
    let elides = name
        .chars()
        .next()
        .is_some_and(|c| "aàâäeéèêëiîïoôöuùûüyhAÀÂÄEÉÈÊËIÎÏOÔÖUÙÛÜYH".contains(c));
    if elides {
        format!("d'{name}")
    } else {
        format!("de {name}")
    }
}

/// A MEF's label as families read it: « 6EME » → « 6e », « 3EME SEGPA » →
/// « 3e SEGPA »; other labels as SIECLE writes them.
pub fn mef(label: &str) -> String {
    let label = label.trim();
    for (level, short) in [
        ("6EME", "6e"),
        ("5EME", "5e"),
        ("4EME", "4e"),
        ("3EME", "3e"),
    ] {
        if let Some(rest) = label.strip_prefix(level) {
            return format!("{short}{rest}");
        }
    }
    label.to_owned()
}

/// « 5e → 4e », or « 3e → fin du collège » for a pupil who leaves.
pub fn next_year(current: Option<&str>, next: Option<&str>) -> String {
    let current = current.map(mef).unwrap_or_else(|| "—".into());
    match next {
        Some(next) => format!("{current} → {}", mef(next)),
        None => format!("{current} → fin du collège"),
    }
}

/// `F` → « Fille », `M` → « Garçon ».
pub fn sex(code: &str) -> &str {
    match code {
        "F" | "2" => "Fille",
        "M" | "1" => "Garçon",
        other => other,
    }
}

/// `YYYY-MM-DD` → `DD/MM/YYYY`; anything else as given.
pub fn french_date(iso: &str) -> String {
    match iso.split('-').collect::<Vec<_>>().as_slice() {
        [y, m, d] if y.len() == 4 => format!("{d}/{m}/{y}"),
        _ => iso.to_owned(),
    }
}

/// The family's canteen answer in words.
pub fn canteen(answer: &str) -> &str {
    match answer {
        "demi_pension" => "Demi-pensionnaire",
        "externe" => "Externe",
        other => other,
    }
}

/// `oui` / `non` → « Oui » / « Non ».
pub fn yes_no(answer: &str) -> &str {
    match answer {
        "oui" => "Oui",
        "non" => "Non",
        other => other,
    }
}

/// A French phone number by pairs (« 06 12 34 56 78 »); others as typed.
pub fn phone(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let national = if let Some(rest) = digits.strip_prefix("33").filter(|r| r.len() == 9) {
        format!("0{rest}")
    } else {
        digits
    };
    if national.len() == 10 && national.starts_with('0') {
        national
            .as_bytes()
            .chunks(2)
            .map(|pair| std::str::from_utf8(pair).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        number.trim().to_owned()
    }
}

/// An instant (Unix milliseconds) as read in France: « 12/06/2026 à 14:05 »
/// (Paris time: UTC+2 from the last Sunday of March to the last Sunday of
/// October, 01:00 UTC, else UTC+1).
pub fn paris_time(millis: i64) -> String {
    use chrono::{Datelike, NaiveDate, TimeZone, Utc, Weekday};
    let Some(utc) = Utc.timestamp_millis_opt(millis).single() else {
        return String::new();
    };
    let last_sunday = |month: u32| {
        let mut day = NaiveDate::from_ymd_opt(utc.year(), month, 31).unwrap_or_default();
        while day.weekday() != Weekday::Sun {
            day = day.pred_opt().unwrap_or(day);
        }
        Utc.from_utc_datetime(&day.and_hms_opt(1, 0, 0).unwrap_or_default())
    };
    let summer = utc >= last_sunday(3) && utc < last_sunday(10);
    let local = utc + chrono::Duration::hours(if summer { 2 } else { 1 });
    local.format("%d/%m/%Y à %H:%M").to_string()
}

/// A PCS profession code's name (« Employé administratif d'entreprise »).
pub fn profession(code: &str) -> String {
    let pcs = Pcs::from_code(code);
    if pcs.is_known() {
        pcs.label().to_owned()
    } else {
        code.to_owned()
    }
}

/// The family's canteen answer SIECLE's régime amounts to: `externe` for
/// the externe régimes, `demi_pension` for the demi-pension ones; nothing for
/// boarding or an unknown code (the family answers).
pub fn canteen_of_regime(code: &str) -> Option<&'static str> {
    if code.is_empty() {
        return None;
    }
    let regime = Regime::from_code(code);
    if !regime.is_known() {
        return None;
    }
    match code.as_bytes().first() {
        Some(b'0' | b'1') => Some("externe"),
        Some(b'2' | b'6') => Some("demi_pension"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_words() {
        assert_eq!(value("sex", "F"), "Fille");
        assert_eq!(value("sex", "M"), "Garçon");
        assert_eq!(value("birth_date", "2013-03-12"), "12/03/2013");
        assert_eq!(value("canteen", "demi_pension"), "Demi-pensionnaire");
        assert_eq!(value("fse", "oui"), "Oui");
        assert_eq!(value("phone_mobile", "0612345678"), "06 12 34 56 78");
        assert_eq!(value("phone_mobile", "+33 6 12 34 56 78"), "06 12 34 56 78");
        assert_eq!(value("phone_home", "+44 20 7946 0958"), "+44 20 7946 0958");
        assert_eq!(value("city", ""), "—");
        assert_eq!(person("MME", "Thi Lan", "NGUYEN"), "Madame Thi Lan NGUYEN");
        assert_eq!(person("M.", "Marc", "DUBOIS"), "Monsieur Marc DUBOIS");
        assert_eq!(person("", "Marc", "DUBOIS"), "Marc DUBOIS");
        assert_eq!(of("Inès DUBOIS"), "d'Inès DUBOIS");
        assert_eq!(of("Hugo"), "d'Hugo");
        assert_eq!(of("Léa"), "de Léa");
        assert_eq!(next_year(Some("5EME"), Some("4EME")), "5e → 4e");
        assert_eq!(
            next_year(Some("3EME SEGPA"), None),
            "3e SEGPA → fin du collège"
        );
        assert_eq!(value("city", "Lyon"), "Lyon");
        assert!(
            !value("profession_code", "54")
                .chars()
                .all(|c| c.is_ascii_digit())
        );
    }

    #[test]
    fn times_read_in_paris_time() {
        // 2026-01-15 10:00 UTC: winter, UTC+1.
        assert_eq!(paris_time(1_768_471_200_000), "15/01/2026 à 11:00");
        // 2026-06-15 10:00 UTC: summer, UTC+2.
        assert_eq!(paris_time(1_781_517_600_000), "15/06/2026 à 12:00");
        // 2026-03-29 00:59 UTC is still winter; 01:00 UTC is summer.
        assert_eq!(paris_time(1_774_745_940_000), "29/03/2026 à 01:59");
        assert_eq!(paris_time(1_774_746_000_000), "29/03/2026 à 03:00");
    }

    #[test]
    fn siecle_regimes_give_the_canteen_answer() {
        assert_eq!(canteen_of_regime("0"), Some("externe"));
        assert_eq!(canteen_of_regime("1"), Some("externe"));
        assert_eq!(canteen_of_regime("2"), Some("demi_pension"));
        assert_eq!(canteen_of_regime("24"), Some("demi_pension"));
        assert_eq!(canteen_of_regime("6"), Some("demi_pension"));
        assert_eq!(canteen_of_regime("3"), None);
        assert_eq!(canteen_of_regime(""), None);
        assert_eq!(canteen_of_regime("99"), None);
    }
}
