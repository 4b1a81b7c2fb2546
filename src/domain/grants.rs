//! A pupil's grant (bourse) as the school reads and completes it: SIECLE's
//! exports give its code (CODE_BOURSE) but not its number of parts (NB_PART),
//! which the return file must carry (docs/SIECLE-RETURN.md, check 30).

/// The most parts a grant can have: NB_PART is the schema's `entier2`
/// (`xs:int` from 0 to 99, schema_Import_4.0.xsd).
pub const MAX_PARTS: u8 = 99;

/// The grant of code `code` in words. The Nomenclatures export's labels of
/// the grants are not imported: the code is said as SIECLE shows it.
pub fn in_words(code: &str) -> String {
    format!("Bourse de code « {} » dans SIECLE", code.trim())
}

/// The number of parts an agent typed: `Ok(None)` when left empty (the grant
/// stays without parts), `Ok(Some(n))` for a whole number from 0 to 99, else
/// why not, in French.
pub fn parse_parts(input: &str) -> Result<Option<u8>, &'static str> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    if !input.chars().all(|c| c.is_ascii_digit()) {
        return Err("Saisissez un nombre entier de parts, de 0 à 99, sans virgule ni espace.");
    }
    match input.parse::<u32>() {
        Ok(n) if n <= u32::from(MAX_PARTS) => Ok(Some(n as u8)),
        _ => Err("Le nombre de parts va de 0 à 99 : SIECLE n'accepte pas plus."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_whole_numbers_from_0_to_99() {
        assert_eq!(parse_parts(""), Ok(None));
        assert_eq!(parse_parts(" 0 "), Ok(Some(0)));
        assert_eq!(parse_parts("99"), Ok(Some(99)));
        assert!(parse_parts("100").is_err());
        assert!(parse_parts("-1").is_err());
        assert!(parse_parts("2,5").is_err());
        assert!(parse_parts("99999999999999").is_err());
    }
}
