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

/// « 5e → 4e », or « 3e → fin du collège » for a pupil who leaves.
pub fn next_year(current: Option<&str>, next: Option<&str>) -> String {
    let current = current.map(class_level).unwrap_or_else(|| "—".into());
    match next {
        Some(next) => format!("{current} → {}", class_level(next)),
        None => format!("{current} → fin du collège"),
    }
}

/// "de " or "d'" before `name` (see [`de`]), for a name set apart (in bold).
pub fn de_before(name: &str) -> &'static str {
    let mut letters = name.chars().flat_map(char::to_lowercase);
    let first = letters.next();
    let second = letters.next();
    let vowel = |c: char| "aàâäeéèêëiîïoôöuùûüœæ".contains(c);
    let elided = match first {
        Some(c) if vowel(c) || c == 'h' => true,
        Some('y') => !second.is_some_and(vowel),
        _ => false,
    };
    if elided { "d'" } else { "de " }
}

/// "de" before a name, elided before a vowel or a mute h: "d'Inès",
/// "d'Hugo", "d'Yves", but "de Léa" and "de Yanis" (a "y" before a vowel is
/// a consonant).
pub fn de(name: &str) -> String {
    format!("{}{name}", de_before(name))
}

/// A class level as people write it: SIECLE's "5EME" is "5e", "6EME
/// SEGPA" is "6e SEGPA"; any other label is kept.
pub fn class_level(mef_label: &str) -> String {
    let label = mef_label.trim();
    let mut chars = label.chars();
    match (chars.next(), chars.as_str().get(..3)) {
        (Some(d), Some(suffix)) if d.is_ascii_digit() && suffix.eq_ignore_ascii_case("EME") => {
            format!("{d}e{}", &chars.as_str()[3..])
        }
        _ => label.to_owned(),
    }
}

/// The pupil's sex in words, from its SIECLE code ("F", "M"); any other
/// value is kept.
pub fn sex(code: &str) -> &str {
    match code.trim() {
        "F" | "f" | "2" => "Féminin",
        "M" | "m" | "1" => "Masculin",
        other => other,
    }
}

/// A French phone number in pairs of digits: "06 12 34 56 78", "+33 6 12 34
/// 56 78"; anything else is kept as written.
pub fn phone(number: &str) -> String {
    let digits: String = number
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '\u{a0}'))
        .collect();
    let pairs = |d: &str| {
        d.as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" ")
    };
    if digits.len() == 10 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit()) {
        pairs(&digits)
    } else if digits.len() == 12
        && digits.starts_with("+33")
        && digits[1..].bytes().all(|b| b.is_ascii_digit())
    {
        format!("+33 {} {}", &digits[3..4], pairs(&digits[4..]))
    } else {
        number.trim().to_owned()
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

/// The canteen's days, as the school saves them (`lun,mar,jeu`), in words:
/// « lundi, mardi et jeudi »; empty when the school set none.
pub fn canteen_days(codes: &str) -> String {
    let days: Vec<&str> = [
        ("lun", "lundi"),
        ("mar", "mardi"),
        ("mer", "mercredi"),
        ("jeu", "jeudi"),
        ("ven", "vendredi"),
    ]
    .iter()
    .filter(|(code, _)| codes.split(',').any(|c| c.trim() == *code))
    .map(|(_, day)| *day)
    .collect();
    match days.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} et {last}", rest.join(", ")),
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

/// An instant (Unix milliseconds) as read in France: « 12/06/2026 à 14:05 »
/// (Paris time: UTC+2 from the last Sunday of March to the last Sunday of
/// October, 01:00 UTC, else UTC+1).
pub fn paris_time(millis: i64) -> String {
    paris_local(millis)
        .map(|local| local.format("%d/%m/%Y à %H:%M").to_string())
        .unwrap_or_default()
}

/// The calendar day of an instant (Unix milliseconds) in Paris.
pub fn paris_day(millis: i64) -> Option<chrono::NaiveDate> {
    paris_local(millis).map(|local| local.date())
}

/// An instant as a Paris wall-clock time (see [`paris_time`]).
pub fn paris_local(millis: i64) -> Option<chrono::NaiveDateTime> {
    use chrono::{Datelike, NaiveDate, TimeZone, Utc, Weekday};
    let utc = Utc.timestamp_millis_opt(millis).single()?;
    let last_sunday = |month: u32| {
        let mut day = NaiveDate::from_ymd_opt(utc.year(), month, 31).unwrap_or_default();
        while day.weekday() != Weekday::Sun {
            day = day.pred_opt().unwrap_or(day);
        }
        Utc.from_utc_datetime(&day.and_hms_opt(1, 0, 0).unwrap_or_default())
    };
    let summer = utc >= last_sunday(3) && utc < last_sunday(10);
    Some((utc + chrono::Duration::hours(if summer { 2 } else { 1 })).naive_utc())
}

/// A SIECLE label in capitals (« ETABLISSEMENT PRIVE ») as a sentence
/// (« Etablissement prive »); a label already in mixed case is kept.
pub fn sentence_case(label: &str) -> String {
    let label = label.trim();
    if label.chars().any(char::is_lowercase) {
        return label.to_owned();
    }
    let lower = label.to_lowercase();
    let mut chars = lower.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// A name folded for comparison: lower case, without accents, and only its
/// letters and digits (« Zoé-Marie » and « ZOE MARIE » fold alike).
pub fn folded_name(name: &str) -> String {
    name.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => 'a',
            'ç' => 'c',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' | 'ì' => 'i',
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ÿ' | 'ý' => 'y',
            'ñ' => 'n',
            'æ' | 'œ' => 'e',
            other => other,
        })
        .filter(|c| c.is_alphanumeric())
        .collect()
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
        assert_eq!(value("sex", "F"), "Féminin");
        assert_eq!(
            canteen_days("lun,mar,jeu,ven"),
            "lundi, mardi, jeudi et vendredi"
        );
        assert_eq!(canteen_days("mer"), "mercredi");
        assert_eq!(canteen_days(""), "");
        assert_eq!(value("sex", "M"), "Masculin");
        assert_eq!(value("birth_date", "2013-03-12"), "12/03/2013");
        assert_eq!(value("canteen", "demi_pension"), "Demi-pensionnaire");
        assert_eq!(value("fse", "oui"), "Oui");
        assert_eq!(value("phone_mobile", "0612345678"), "06 12 34 56 78");
        assert_eq!(value("phone_mobile", "+33612345678"), "+33 6 12 34 56 78");
        assert_eq!(value("phone_home", "+44 20 7946 0958"), "+44 20 7946 0958");
        assert_eq!(value("city", ""), "—");
        assert_eq!(person("MME", "Thi Lan", "NGUYEN"), "Madame Thi Lan NGUYEN");
        assert_eq!(person("M.", "Marc", "DUBOIS"), "Monsieur Marc DUBOIS");
        assert_eq!(person("", "Marc", "DUBOIS"), "Marc DUBOIS");
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
    fn names_fold_without_case_accents_or_dashes() {
        assert_eq!(folded_name("Zoé-Marie"), folded_name("ZOE MARIE"));
        assert_eq!(folded_name(" Inès "), "ines");
        assert_ne!(folded_name("Léa"), folded_name("Léo"));
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

    #[test]
    fn de_is_elided_before_a_vowel_or_a_mute_h() {
        assert_eq!(de("Inès DUBOIS"), "d'Inès DUBOIS");
        assert_eq!(de("Émile"), "d'Émile");
        assert_eq!(de("Hugo"), "d'Hugo");
        assert_eq!(de("Yves"), "d'Yves");
        assert_eq!(de("Léa MARTIN"), "de Léa MARTIN");
        assert_eq!(de("Yanis"), "de Yanis");
        assert_eq!(de(""), "de ");
        assert_eq!(de_before("Inès"), "d'");
    }

    #[test]
    fn class_levels_read_as_written_by_people() {
        assert_eq!(class_level("5EME"), "5e");
        assert_eq!(class_level("6EME SEGPA"), "6e SEGPA");
        assert_eq!(class_level("3eme"), "3e");
        assert_eq!(class_level("CAP 1"), "CAP 1");
        assert_eq!(class_level(""), "");
    }

    #[test]
    fn sexes_and_phone_numbers_read_as_words_and_pairs() {
        assert_eq!(sex("F"), "Féminin");
        assert_eq!(sex("M"), "Masculin");
        assert_eq!(sex("?"), "?");
        assert_eq!(phone("0612345678"), "06 12 34 56 78");
        assert_eq!(phone("06.12.34.56.78"), "06 12 34 56 78");
        assert_eq!(phone("+33612345678"), "+33 6 12 34 56 78");
        assert_eq!(phone("+44 20 7946 0958"), "+44 20 7946 0958");
        assert_eq!(phone(""), "");
    }
}
