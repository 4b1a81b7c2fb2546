//! Whether two guardians of a child live together, as far as the school
//! knows: only then does each see the other's contact details in the
//! journey (separated families must not find each other through us).
//!
//! The answer comes from SIECLE's values as imported, never from what a
//! guardian types or changes: otherwise a guardian could type addresses until
//! the other's details appear. A change can only hide (a guardian who
//! declares a new address may have left the household), never show.

/// A guardian's address as the SIECLE import wrote it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiecleAddress {
    /// ADRESSE_ID: SIECLE gives the people of one household the same one.
    pub id: Option<String>,
    /// The address lines, joined with `\n` by the import.
    pub lines: String,
    pub postcode: String,
    pub city: String,
    pub country_code: String,
}

fn normalised(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Same household in SIECLE: the same ADRESSE_ID, or (for the spreadsheet
/// export, which has no ids) the same non-empty address, spacing and case
/// aside.
pub fn same_household(a: &SiecleAddress, b: &SiecleAddress) -> bool {
    if let (Some(x), Some(y)) = (&a.id, &b.id)
        && !x.is_empty()
        && x == y
    {
        return true;
    }
    let lines = normalised(&a.lines);
    !lines.is_empty()
        && !a.postcode.trim().is_empty()
        && lines == normalised(&b.lines)
        && a.postcode.trim() == b.postcode.trim()
        && normalised(&a.city) == normalised(&b.city)
        && a.country_code.trim() == b.country_code.trim()
}

/// Whether two guardians see each other's contact details: they live
/// together according to SIECLE and neither has declared another address
/// since (`*_moved`).
pub fn contacts_shared(a: &SiecleAddress, b: &SiecleAddress, a_moved: bool, b_moved: bool) -> bool {
    same_household(a, b) && !a_moved && !b_moved
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(id: Option<&str>, lines: &str, postcode: &str) -> SiecleAddress {
        SiecleAddress {
            id: id.map(str::to_owned),
            lines: lines.into(),
            postcode: postcode.into(),
            city: "MEZIDON VALLEE D AUGE".into(),
            country_code: "100".into(),
        }
    }

    #[test]
    fn guardians_sharing_a_siecle_address_id_live_together() {
        assert!(same_household(
            &at(Some("189317"), "18 RUE DES HOMMETS", "14270"),
            &at(Some("189317"), "", ""),
        ));
    }

    #[test]
    fn the_same_address_without_ids_is_one_household_spacing_and_case_aside() {
        assert!(same_household(
            &at(None, "18 RUE DES HOMMETS\nMEZIDON CANON", "14270"),
            &at(None, "18 rue des  Hommets MEZIDON CANON", "14270"),
        ));
        assert!(same_household(
            &at(Some("1"), "18 RUE DES HOMMETS", "14270"),
            &at(Some("2"), "18 RUE DES HOMMETS", "14270"),
        ));
    }

    #[test]
    fn different_or_empty_addresses_are_not_one_household() {
        assert!(!same_household(
            &at(None, "18 RUE DES HOMMETS", "14270"),
            &at(None, "19 RUE DES HOMMETS", "14270"),
        ));
        assert!(!same_household(
            &at(None, "18 RUE DES HOMMETS", "14270"),
            &at(None, "18 RUE DES HOMMETS", "14271"),
        ));
        assert!(!same_household(&at(None, "", ""), &at(None, "", "")));
        assert!(!same_household(
            &at(Some(""), "", ""),
            &at(Some(""), "", "")
        ));
    }

    #[test]
    fn a_declared_move_hides_the_details_and_nothing_else_shows_them() {
        let home = at(Some("189317"), "18 RUE DES HOMMETS", "14270");
        let elsewhere = at(Some("200000"), "3 PLACE DU MARCHE", "14000");
        assert!(contacts_shared(&home, &home, false, false));
        assert!(!contacts_shared(&home, &home, true, false));
        assert!(!contacts_shared(&home, &home, false, true));
        assert!(!contacts_shared(&home, &elsewhere, false, false));
    }
}
