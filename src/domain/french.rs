//! French grammar for the sentences the application writes around names and
//! codes: elision of "de", readable class levels, phone numbers, sexes.

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

#[cfg(test)]
mod tests {
    use super::*;

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
