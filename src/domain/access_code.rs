//! Guardians' personal access codes: random, high-entropy, typed by hand from
//! a letter, so without ambiguous characters and grouped by four.
//!
//! Only a SHA-256 of the normalised code is stored. A fast hash is right here:
//! the code is random with 60 bits of entropy (argon2 protects weak, human-chosen
//! passwords, which these are not).

use rand::Rng;
use sha2::{Digest, Sha256};

/// 32 symbols: digits and capitals without 0, O, 1, I.
const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
const LENGTH: usize = 12;

/// A new code, e.g. `K7QF-3MZA-9TXW`.
pub fn generate() -> String {
    let mut rng = rand::rng();
    let raw: String = (0..LENGTH)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format_code(&raw)
}

/// Builds a code from 12 bytes of key material (used by the demo to derive
/// stable codes from the secret key).
pub fn from_bytes(bytes: &[u8]) -> String {
    let raw: String = bytes
        .iter()
        .take(LENGTH)
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect();
    format_code(&raw)
}

fn format_code(raw: &str) -> String {
    raw.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("-")
}

/// What a person typed, as stored: upper case, without spaces or dashes, with
/// the look-alike characters mapped (O→0 is not in the alphabet, so O means 0…
/// which is not valid either: such codes simply do not match).
pub fn normalise(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The stored form of a code.
pub fn hash(typed: &str) -> String {
    let digest = Sha256::digest(normalise(typed).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_has_twelve_unambiguous_symbols_in_three_groups() {
        let code = generate();
        assert_eq!(code.len(), 14);
        assert_eq!(code.matches('-').count(), 2);
        assert!(
            normalise(&code)
                .chars()
                .all(|c| ALPHABET.contains(&(c as u8)))
        );
        assert_ne!(generate(), generate());
    }

    #[test]
    fn a_code_typed_with_spaces_or_lower_case_matches() {
        let code = "K7QF-3MZA-9TXW";
        assert_eq!(hash(code), hash("k7qf 3mza 9txw"));
        assert_eq!(hash(code), hash(" K7QF3MZA9TXW "));
        assert_ne!(hash(code), hash("K7QF-3MZA-9TXX"));
    }
}
