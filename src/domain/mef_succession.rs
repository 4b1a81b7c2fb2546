//! Where each MEF goes next year, proposed from the nomenclature's codes:
//! the first three digits of a collège MEF code give its level (100 6e,
//! 101 5e, 102 4e, 103 3e; 164–167 the same levels in SEGPA). The next level
//! of the same track is proposed; a 3e goes to the end of collège (none).
//! ULIS pupils keep their ordinary MEF, so nothing special is needed.

/// A MEF of the school: (id, code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mef {
    pub id: i64,
    pub code: String,
    pub label: String,
}

/// The level (0 for 6e … 3 for 3e) and the track's first prefix, from the
/// code; `None` for a code outside the collège's levels.
fn level(code: &str) -> Option<(u32, u32)> {
    let prefix: u32 = code.get(0..3)?.parse().ok()?;
    match prefix {
        100..=103 => Some((prefix - 100, 100)),
        164..=167 => Some((prefix - 164, 164)),
        _ => None,
    }
}

/// Whether `code` is a 3e (ordinary or SEGPA): its pupils leave the collège.
pub fn is_last_level(code: &str) -> bool {
    level(code).is_some_and(|(lvl, _)| lvl == 3)
}

/// The proposed next MEF of `mef` among `mefs`: same track, one level up,
/// preferring the same end of code (same options' variant), then the
/// smallest code. `None`: end of collège, or nothing found.
pub fn propose(mef: &Mef, mefs: &[Mef]) -> Option<i64> {
    let (lvl, track) = level(&mef.code)?;
    if lvl >= 3 {
        return None;
    }
    let wanted = format!("{}", track + lvl + 1);
    let mut candidates: Vec<&Mef> = mefs
        .iter()
        .filter(|m| m.code.starts_with(&wanted))
        .collect();
    candidates.sort_by_key(|m| (m.code.get(3..) != mef.code.get(3..), m.code.clone()));
    candidates.first().map(|m| m.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mef(id: i64, code: &str) -> Mef {
        Mef {
            id,
            code: code.into(),
            label: String::new(),
        }
    }

    #[test]
    fn each_level_goes_to_the_next_and_the_third_to_the_end_of_college() {
        let mefs = [
            mef(1, "10010012110"),
            mef(2, "10110001110"),
            mef(3, "10210001110"),
            mef(4, "10310019110"),
        ];
        assert_eq!(propose(&mefs[0], &mefs), Some(2));
        assert_eq!(propose(&mefs[1], &mefs), Some(3));
        assert_eq!(propose(&mefs[2], &mefs), Some(4));
        assert_eq!(propose(&mefs[3], &mefs), None);
        assert!(is_last_level("10310019110"));
        assert!(!is_last_level("10210001110"));
    }

    #[test]
    fn segpa_stays_in_segpa_and_the_same_variant_is_preferred() {
        let mefs = [
            mef(1, "16410002110"),
            mef(2, "16510002110"),
            mef(3, "10110001110"),
            mef(4, "10110002110"),
            mef(5, "10010002110"),
        ];
        assert_eq!(propose(&mefs[0], &mefs), Some(2));
        assert_eq!(propose(&mefs[4], &mefs), Some(4));
        assert_eq!(propose(&mef(9, "20111010110"), &mefs), None);
    }
}
