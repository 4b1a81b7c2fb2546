//! Types shared by every export: PARAMETRES, UAI and INE identifiers, addresses.
//! Plain values: reading them from XML is `xml` (PARAMETRES) and `fields` (records).

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};

use crate::codes::Pays;

/// An UAI (« unité administrative immatriculée », called UAJ or RNE in SIECLE):
/// seven digits and a check letter, e.g. `0752387M`.
///
/// The letter is `"ABCDEFGHJKLMNPRSTUVWXYZ"[n % 23]` where `n` is the number made of
/// the seven digits (the alphabet has no I, O or Q).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uai(String);

const UAI_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

impl Uai {
    /// Parses an UAI (case and surrounding spaces ignored). The check letter is not
    /// verified here (see [`Uai::has_valid_check_letter`]); the shape is.
    pub fn parse(s: &str) -> Option<Uai> {
        let s = s.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() == 8 && b[..7].iter().all(u8::is_ascii_digit) && b[7].is_ascii_uppercase() {
            Some(Uai(s))
        } else {
            None
        }
    }

    /// Builds the UAI for seven digits, computing the check letter.
    pub fn from_digits(n: u32) -> Option<Uai> {
        if n > 9_999_999 {
            return None;
        }
        Some(Uai(format!("{n:07}{}", Uai::check_letter(n) as char)))
    }

    /// The check letter of a seven-digit number.
    pub fn check_letter(n: u32) -> u8 {
        UAI_LETTERS[(n % 23) as usize]
    }

    /// Whether the letter matches the digits.
    pub fn has_valid_check_letter(&self) -> bool {
        if self.0.len() != 8 {
            return false;
        }
        let digits: u32 = self.0[..7].parse().unwrap_or(0);
        self.0.as_bytes()[7] == Uai::check_letter(digits)
    }

    /// The UAI as written (upper case).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An INE (« identifiant national élève », ID_NATIONAL): 11 characters, digits and
/// upper-case letters. Two shapes are in use: 9 digits + 2 letters (INE-RNIE, e.g.
/// `070832327JA`) and 10 characters + 1 letter (INE-BEA, e.g. `0113014881M`). The key
/// algorithms are not published in the material we have, so only the shape is checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ine(String);

impl Ine {
    /// Parses an INE (upper-cased, spaces removed). `None` if it is not 11 ASCII
    /// letters or digits with at least one digit.
    pub fn parse(s: &str) -> Option<Ine> {
        let s: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if s.len() == 11
            && s.bytes().all(|b| b.is_ascii_alphanumeric())
            && s.bytes().any(|b| b.is_ascii_digit())
        {
            Some(Ine(s))
        } else {
            None
        }
    }

    /// The INE as written (upper case).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The PARAMETRES block every export starts with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parametres {
    /// The school (PARAMETRES/UAJ). Compare it with the school importing the file.
    pub uaj: Option<Uai>,
    /// School year (its starting year: 2019 for 2019-2020).
    pub annee_scolaire: Option<u16>,
    /// DATE_EXPORT.
    pub date_export: Option<NaiveDate>,
    /// HORODATAGE.
    pub horodatage: Option<NaiveDateTime>,
    /// The VERSION attribute of the root element.
    pub version: Option<String>,
}

impl Parametres {
    /// The UAJ; always present once a reader has been opened.
    pub fn uaj(&self) -> &Uai {
        // Readers refuse files without an UAJ, so this only fails on a hand-built value.
        self.uaj.as_ref().unwrap_or(&EMPTY_UAI)
    }
}

static EMPTY_UAI: Uai = Uai(String::new());

/// An address (ADRESSES/ADRESSE), shared by pupils and persons through ADRESSE_ID.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Adresse {
    /// ADRESSE_ID, referenced by ELEVE/ADRESSE_ID and PERSONNE/ADRESSE_ID.
    pub adresse_id: u64,
    /// LIGNE1_ADRESSE … LIGNE4_ADRESSE (38 characters each).
    pub lignes: [Option<String>; 4],
    /// BOITE_POSTALE.
    pub boite_postale: Option<String>,
    /// CODE_POSTAL (5 characters, leading zero kept).
    pub code_postal: Option<String>,
    /// LIBELLE_POSTAL (the town as La Poste writes it).
    pub libelle_postal: Option<String>,
    /// CODE_COMMUNE_INSEE.
    pub code_commune_insee: Option<String>,
    /// CODE_DEPARTEMENT.
    pub code_departement: Option<String>,
    /// COMMUNE_ETRANGERE (town abroad).
    pub commune_etrangere: Option<String>,
    /// CODE_PAYS.
    pub code_pays: Option<Pays>,
    /// LL_PAYS.
    pub ll_pays: Option<String>,
}

/// Restores the leading zeros of a numeric code read as a number (« 1001 » → « 01001 »).
/// `None` if the value is not digits of at most `len` characters.
pub(crate) fn fix_code_len(raw: &str, len: usize) -> Option<String> {
    let digits = raw.strip_suffix(".0").unwrap_or(raw);
    if digits.len() == len {
        return Some(digits.to_string());
    }
    if !digits.is_empty() && digits.len() < len && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!("{digits:0>len$}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uai_check_letters_match_real_schools() {
        for real in ["0752387M", "0140070A", "0750680G"] {
            let uai = Uai::parse(real).unwrap();
            assert!(uai.has_valid_check_letter(), "{real}");
            let digits: u32 = real[..7].parse().unwrap();
            assert_eq!(Uai::from_digits(digits).unwrap().as_str(), real);
        }
        assert!(!Uai::parse("0752387A").unwrap().has_valid_check_letter());
        assert_eq!(Uai::parse("0752387m").unwrap().as_str(), "0752387M");
        assert!(Uai::parse("752387M").is_none());
        assert!(Uai::parse("07523870").is_none());
        assert!(
            !UAI_LETTERS.contains(&b'I')
                && !UAI_LETTERS.contains(&b'O')
                && !UAI_LETTERS.contains(&b'Q')
        );
    }

    #[test]
    fn ine_shapes() {
        assert_eq!(Ine::parse("070832327ja").unwrap().as_str(), "070832327JA");
        assert!(Ine::parse("0113014881M").is_some());
        assert!(Ine::parse("07083232").is_none());
        assert!(Ine::parse("ABCDEFGHIJK").is_none());
        assert!(Ine::parse("070832327J-").is_none());
    }

    #[test]
    fn leading_zeros_are_restored() {
        assert_eq!(fix_code_len("1001", 5).as_deref(), Some("01001"));
        assert_eq!(fix_code_len("75017", 5).as_deref(), Some("75017"));
        assert_eq!(fix_code_len("2A004", 5).as_deref(), Some("2A004"));
        assert_eq!(fix_code_len("ABC", 5), None);
    }
}
