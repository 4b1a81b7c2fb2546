//! UAI (RNE): the national identifier of a school, 7 digits and a check letter.

use std::fmt;
use std::str::FromStr;

/// A validated UAI, upper-case, e.g. `0750680G`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Uai(String);

/// Letters used for the key: the alphabet without I, O and Q.
const KEY_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

impl Uai {
    /// The check letter of a 7-character numeric prefix (the number modulo 23).
    /// Corsican codes (`2A`, `2B`) count as `20`.
    pub fn key_for(prefix: &str) -> Option<char> {
        if prefix.len() != 7 {
            return None;
        }
        let digits = prefix.replacen("2A", "20", 1).replacen("2B", "20", 1);
        let number: u64 = digits.parse().ok()?;
        Some(KEY_LETTERS[(number % 23) as usize] as char)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Uai {
    type Err = InvalidUai;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_uppercase();
        if s.len() != 8 || !s.is_ascii() {
            return Err(InvalidUai);
        }
        let (prefix, key) = s.split_at(7);
        match Uai::key_for(prefix) {
            Some(expected) if key.starts_with(expected) => Ok(Uai(s)),
            _ => Err(InvalidUai),
        }
    }
}

impl fmt::Display for Uai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("code UAI invalide (7 caractères et une lettre clé)")]
pub struct InvalidUai;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_uai_codes_are_accepted_and_normalised() {
        // Lycée Arago, Paris.
        assert_eq!("0750680g".parse::<Uai>().unwrap().as_str(), "0750680G");
        assert_eq!(" 0750680G ".parse::<Uai>().unwrap().to_string(), "0750680G");
    }

    #[test]
    fn a_wrong_key_letter_or_length_is_refused() {
        assert_eq!("0750680H".parse::<Uai>(), Err(InvalidUai));
        assert_eq!("075068G".parse::<Uai>(), Err(InvalidUai));
        assert_eq!("".parse::<Uai>(), Err(InvalidUai));
    }

    #[test]
    fn the_key_is_the_number_modulo_23() {
        assert_eq!(Uai::key_for("0000000"), Some('A'));
        assert_eq!(Uai::key_for("0000022"), Some('Z'));
        assert_eq!(Uai::key_for("0000023"), Some('A'));
    }
}
