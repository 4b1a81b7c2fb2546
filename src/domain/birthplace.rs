//! Codes a new pupil's record needs (RETURN-FILE-RULES.md §2, checks 26, 27
//! and 38): the INSEE code of a commune of birth in France, and the
//! department of last year's school when only that is known.

/// Whether `code` is the INSEE code of a French commune: five characters,
/// digits (Corsica: `2A` or `2B` then three digits). Codes starting with
/// `99` are countries, not communes; a postcode of Paris, Lyon or Marseille
/// (`75012`) is not the commune's code (`75112`) but has the same shape, so
/// only the shape is checked here.
pub fn is_insee_commune(code: &str) -> bool {
    let bytes = code.as_bytes();
    if bytes.len() != 5 || code.starts_with("99") {
        return false;
    }
    let corsica = matches!(&code[..2], "2A" | "2B");
    let head_ok = corsica || bytes[..2].iter().all(u8::is_ascii_digit);
    head_ok && bytes[2..].iter().all(u8::is_ascii_digit) && code != "00000"
}

/// The department's CODE_DEPARTEMENT (three characters) from what an agent
/// typed: `75` or `075` → `075`, `2a` → `02A`, `971` → `971`; `None` when it
/// is not a department.
pub fn department_code(typed: &str) -> Option<String> {
    let t = typed.trim().to_ascii_uppercase();
    let t = t.strip_prefix('0').filter(|r| r.len() == 2).unwrap_or(&t);
    match t {
        "2A" | "2B" => Some(format!("0{t}")),
        _ if t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit()) && t != "00" && t != "20" => {
            Some(format!("0{t}"))
        }
        _ if t.len() == 3
            && (t.starts_with("97") || t.starts_with("98"))
            && t.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(t.to_owned())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insee_codes_of_communes_are_five_digits_or_corsican() {
        for ok in ["75112", "2A004", "2B033", "97411", "01001"] {
            assert!(is_insee_commune(ok), "{ok}");
        }
        for bad in [
            "7511", "751120", "99109", "ABCDE", "2C004", "75 12", "", "00000",
        ] {
            assert!(!is_insee_commune(bad), "{bad}");
        }
    }

    #[test]
    fn departments_are_given_on_three_characters() {
        assert_eq!(department_code("75").as_deref(), Some("075"));
        assert_eq!(department_code("075").as_deref(), Some("075"));
        assert_eq!(department_code("2a").as_deref(), Some("02A"));
        assert_eq!(department_code("971").as_deref(), Some("971"));
        for bad in ["", "7", "0755", "ABC", "00", "999"] {
            assert_eq!(department_code(bad), None, "{bad}");
        }
    }
}
