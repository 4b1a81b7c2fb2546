//! Values as SIECLE reads them: ISO-8859-15 (Latin-9) characters only, trimmed, inner
//! whitespace collapsed (the schema's `xs:token`). Characters outside Latin-9 that have
//! an obvious Latin-9 spelling (typographic quotes and dashes, letters with accents
//! Latin-9 lacks: « ł », « ș », « ğ »…) are transliterated; anything else (another
//! script, a control character) is refused, never written as « ? ».

/// Whether SIECLE's encoding has this character (control characters excluded).
pub fn is_latin9(c: char) -> bool {
    match c as u32 {
        0x20..=0x7E => true,
        0xA4 | 0xA6 | 0xA8 | 0xB4 | 0xB8 | 0xBC | 0xBD | 0xBE => false,
        0xA0..=0xFF => true,
        _ => matches!(c, '€' | 'Š' | 'š' | 'Ž' | 'ž' | 'Œ' | 'œ' | 'Ÿ'),
    }
}

/// The Latin-9 spelling of a lower-case character (or a symbol) outside Latin-9.
fn replacement(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{B4}' | '\u{2BC}' => {
            "'"
        }
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => "\"",
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}' => "-",
        '\u{2026}' => "...",
        '\u{2022}' => "·",
        'ā' | 'ă' | 'ą' | 'ǎ' | 'ȧ' => "a",
        'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' => "d",
        'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' | 'ǐ' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ń' | 'ņ' | 'ň' => "n",
        'ō' | 'ŏ' | 'ő' | 'ǒ' => "o",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'ș' => "s",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' | 'ǔ' => "u",
        'ŵ' => "w",
        'ŷ' => "y",
        'ź' | 'ż' => "z",
        'ĳ' => "ij",
        _ => return None,
    })
}

/// What is wrong with a value that cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unwritable {
    /// A character Latin-9 lacks and that has no Latin-9 spelling.
    Character(char),
}

/// The value as it will be written: transliterated to Latin-9, trimmed, whitespace
/// runs (including no-break spaces, tabs, new lines) collapsed to one space.
pub fn clean(value: &str) -> Result<String, Unwritable> {
    let mut out = String::with_capacity(value.len());
    let mut pending_space = false;
    for c in value.chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        let mut push = |s: &str| {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push_str(s);
        };
        if is_latin9(c) {
            let mut buf = [0u8; 4];
            push(c.encode_utf8(&mut buf));
        } else if let Some(r) = replacement(c) {
            push(r);
        } else {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) if l != c => match replacement(l) {
                    Some(r) => push(&r.to_uppercase()),
                    None => return Err(Unwritable::Character(c)),
                },
                _ => return Err(Unwritable::Character(c)),
            }
        }
    }
    Ok(out)
}

/// Whether [`clean`] changes more than the whitespace of the value (a transliteration
/// the school should know about).
pub fn is_transliterated(value: &str) -> bool {
    value.chars().any(|c| !c.is_whitespace() && !is_latin9(c))
}

/// Encodes a string made of Latin-9 characters only (as [`clean`] returns them) in
/// ISO-8859-15.
pub(crate) fn encode(s: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::ISO_8859_15.encode(s);
    debug_assert!(!unmappable, "not Latin-9: {s}");
    bytes.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin9_has_the_french_letters_and_the_euro_but_not_latin1_symbols() {
        for c in "àâäçéèêëîïôöùûüÿœŒŸÀÉ€«»°".chars() {
            assert!(is_latin9(c), "{c}");
        }
        for c in ['¤', '½', '´', 'ł', '\u{2019}', '\u{7}', '漢'] {
            assert!(!is_latin9(c), "{c}");
        }
    }

    #[test]
    fn values_are_trimmed_collapsed_and_transliterated() {
        assert_eq!(clean("  Jean\u{a0} Pierre\t\n").unwrap(), "Jean Pierre");
        assert_eq!(clean("L\u{2019}Haÿ-les-Roses").unwrap(), "L'Haÿ-les-Roses");
        assert_eq!(clean("Łukasz Wójcik").unwrap(), "Lukasz Wójcik");
        assert_eq!(clean("Ștefan Țurcanu").unwrap(), "Stefan Turcanu");
        assert_eq!(clean("Ağaoğlu").unwrap(), "Agaoglu");
        assert_eq!(clean("Dupont \u{2013} Durand").unwrap(), "Dupont - Durand");
        assert_eq!(clean("Œuvre").unwrap(), "Œuvre");
        assert_eq!(clean("李"), Err(Unwritable::Character('李')));
        assert_eq!(clean("a\u{7}b"), Err(Unwritable::Character('\u{7}')));
        assert!(is_transliterated("Łukasz"));
        assert!(!is_transliterated(" Lukas\u{a0}z "));
        assert_eq!(encode("Œé€"), vec![0xBC, 0xE9, 0xA4]);
    }
}
