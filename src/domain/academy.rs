//! Académies: the regional education authorities, by the two-character code
//! the Éducation nationale gives them, the one SIECLE exports carry
//! (`CODE_ACADEMIE`, "CHAR 2": e.g. `10` for Lyon, see the export
//! specification's "Bloc départements de l'académie").

use std::fmt;

/// One académie: its code and its French name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Academy {
    pub code: &'static str,
    pub name: &'static str,
}

/// Every académie, by code. Caen (05) and Rouen (21) merged into Normandie
/// (70) in 2020; files and records written before may still carry their
/// codes, so they are kept.
pub const ACADEMIES: &[Academy] = &[
    Academy::new("01", "Paris"),
    Academy::new("02", "Aix-Marseille"),
    Academy::new("03", "Besançon"),
    Academy::new("04", "Bordeaux"),
    Academy::new("05", "Caen (avant 2020)"),
    Academy::new("06", "Clermont-Ferrand"),
    Academy::new("07", "Dijon"),
    Academy::new("08", "Grenoble"),
    Academy::new("09", "Lille"),
    Academy::new("10", "Lyon"),
    Academy::new("11", "Montpellier"),
    Academy::new("12", "Nancy-Metz"),
    Academy::new("13", "Poitiers"),
    Academy::new("14", "Rennes"),
    Academy::new("15", "Strasbourg"),
    Academy::new("16", "Toulouse"),
    Academy::new("17", "Nantes"),
    Academy::new("18", "Orléans-Tours"),
    Academy::new("19", "Reims"),
    Academy::new("20", "Amiens"),
    Academy::new("21", "Rouen (avant 2020)"),
    Academy::new("22", "Limoges"),
    Academy::new("23", "Nice"),
    Academy::new("24", "Créteil"),
    Academy::new("25", "Versailles"),
    Academy::new("27", "Corse"),
    Academy::new("28", "La Réunion"),
    Academy::new("31", "Martinique"),
    Academy::new("32", "Guadeloupe"),
    Academy::new("33", "Guyane"),
    Academy::new("40", "Nouvelle-Calédonie"),
    Academy::new("41", "Polynésie française"),
    Academy::new("42", "Wallis-et-Futuna"),
    Academy::new("43", "Mayotte"),
    Academy::new("44", "Saint-Pierre-et-Miquelon"),
    Academy::new("70", "Normandie"),
];

impl Academy {
    const fn new(code: &'static str, name: &'static str) -> Self {
        Self { code, name }
    }

    /// The académie of `code` (`"1"` is read as `"01"`), if it is one.
    pub fn from_code(code: &str) -> Option<Academy> {
        let code = code.trim();
        let code = if code.len() == 1 {
            format!("0{code}")
        } else {
            code.to_owned()
        };
        ACADEMIES.iter().copied().find(|a| a.code == code)
    }

    /// How a stored académie reads: "01 Paris" for a known code, the stored
    /// text itself otherwise (schools created before the codes were checked).
    pub fn describe(stored: &str) -> String {
        match Academy::from_code(stored) {
            Some(academy) => academy.to_string(),
            None => stored.to_owned(),
        }
    }
}

impl fmt::Display for Academy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_are_found_with_their_name() {
        assert_eq!(Academy::from_code("01").unwrap().name, "Paris");
        assert_eq!(Academy::from_code("10").unwrap().name, "Lyon");
        assert_eq!(Academy::from_code("9").unwrap().name, "Lille");
        assert_eq!(Academy::from_code(" 70 ").unwrap().name, "Normandie");
        assert_eq!(Academy::describe("24"), "24 Créteil");
        assert_eq!(Academy::describe("Paris"), "Paris");
    }

    #[test]
    fn unknown_codes_are_refused() {
        for code in ["", "00", "26", "99", "Paris", "001"] {
            assert_eq!(Academy::from_code(code), None, "{code:?}");
        }
    }

    #[test]
    fn codes_are_two_digits_and_unique() {
        let mut codes: Vec<&str> = ACADEMIES.iter().map(|a| a.code).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_digit()))
        );
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ACADEMIES.len());
    }
}
