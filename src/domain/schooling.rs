//! Rules for next year's options and for the demi-pension tariff.

/// An option the next MEF offers, with the school's rules for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedOption {
    pub code: String,
    pub label: String,
    pub explanation: String,
    pub can_drop: bool,
    pub open_to_new: bool,
}

/// What a family may do with one option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionStatus {
    /// Practised and not droppable: kept, shown, not a choice.
    Kept,
    /// Practised and droppable: kept unless the family unticks it.
    Droppable,
    /// Not practised, open to new pupils: the family may ask for it.
    Requestable,
}

/// The options shown to a family, in the school's order; options neither
/// practised nor open are not shown.
pub fn available(
    offered: &[OfferedOption],
    practised: &[String],
) -> Vec<(OfferedOption, OptionStatus)> {
    offered
        .iter()
        .filter_map(|option| {
            let was = practised.contains(&option.code);
            let status = match (was, option.can_drop, option.open_to_new) {
                (true, false, _) => OptionStatus::Kept,
                (true, true, _) => OptionStatus::Droppable,
                (false, _, true) => OptionStatus::Requestable,
                (false, _, false) => return None,
            };
            Some((option.clone(), status))
        })
        .collect()
}

/// The options a pupil will follow given what the family ticked: every kept
/// option, plus the ticked ones it may keep or ask for. Anything else ticked
/// (a forged form) is an error.
pub fn resolve(
    available: &[(OfferedOption, OptionStatus)],
    ticked: &[String],
) -> Result<Vec<String>, String> {
    for code in ticked {
        let allowed = available
            .iter()
            .any(|(o, s)| &o.code == code && *s != OptionStatus::Kept);
        let kept = available
            .iter()
            .any(|(o, s)| &o.code == code && *s == OptionStatus::Kept);
        if !allowed && !kept {
            return Err(code.clone());
        }
    }
    let mut chosen: Vec<String> = available
        .iter()
        .filter(|(o, s)| *s == OptionStatus::Kept || ticked.contains(&o.code))
        .map(|(o, _)| o.code.clone())
        .collect();
    chosen.sort();
    chosen.dedup();
    Ok(chosen)
}

/// A demi-pension tariff bracket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tariff {
    pub label: String,
    /// Highest quotient familial of the bracket; `None` for the last one.
    pub quotient_max: Option<i64>,
    pub price_cents: i64,
}

/// The bracket that applies to a quotient familial: the first whose maximum
/// is at least the quotient; without a quotient, the full price (the last).
pub fn tariff_for(quotient: Option<i64>, tariffs: &[Tariff]) -> Option<&Tariff> {
    let mut sorted: Vec<&Tariff> = tariffs.iter().collect();
    sorted.sort_by_key(|t| t.quotient_max.unwrap_or(i64::MAX));
    match quotient {
        Some(q) => sorted
            .iter()
            .copied()
            .find(|t| t.quotient_max.is_none_or(|max| q <= max)),
        None => sorted.last().copied(),
    }
}

/// A price in cents, in French (`3,45 €`).
pub fn euros(cents: i64) -> String {
    format!("{},{:02} €", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(code: &str, can_drop: bool, open_to_new: bool) -> OfferedOption {
        OfferedOption {
            code: code.into(),
            label: code.into(),
            explanation: String::new(),
            can_drop,
            open_to_new,
        }
    }

    #[test]
    fn practised_options_are_kept_or_droppable_and_open_ones_requestable() {
        let offered = [
            option("ANG", false, false),
            option("LAT", true, true),
            option("ESP", false, true),
            option("CHI", false, false),
        ];
        let shown = available(&offered, &["ANG".into(), "LAT".into()]);
        let statuses: Vec<(&str, OptionStatus)> =
            shown.iter().map(|(o, s)| (o.code.as_str(), *s)).collect();
        assert_eq!(
            statuses,
            vec![
                ("ANG", OptionStatus::Kept),
                ("LAT", OptionStatus::Droppable),
                ("ESP", OptionStatus::Requestable)
            ]
        );
    }

    #[test]
    fn a_family_keeps_drops_or_asks_within_the_rules_only() {
        let offered = [
            option("ANG", false, false),
            option("LAT", true, true),
            option("ESP", false, true),
            option("CHI", false, false),
        ];
        let shown = available(&offered, &["ANG".into(), "LAT".into()]);
        assert_eq!(
            resolve(&shown, &["LAT".into()]).unwrap(),
            vec!["ANG", "LAT"],
            "no change"
        );
        assert_eq!(
            resolve(&shown, &[]).unwrap(),
            vec!["ANG"],
            "Latin dropped, English kept anyway"
        );
        assert_eq!(
            resolve(&shown, &["LAT".into(), "ESP".into()]).unwrap(),
            vec!["ANG", "ESP", "LAT"]
        );
        assert_eq!(
            resolve(&shown, &["CHI".into()]),
            Err("CHI".into()),
            "a closed option cannot be forced"
        );
    }

    #[test]
    fn the_tariff_follows_the_quotient_familial() {
        let tariffs = vec![
            Tariff {
                label: "C".into(),
                quotient_max: None,
                price_cents: 450,
            },
            Tariff {
                label: "A".into(),
                quotient_max: Some(450),
                price_cents: 150,
            },
            Tariff {
                label: "B".into(),
                quotient_max: Some(900),
                price_cents: 300,
            },
        ];
        assert_eq!(tariff_for(Some(300), &tariffs).unwrap().label, "A");
        assert_eq!(tariff_for(Some(450), &tariffs).unwrap().label, "A");
        assert_eq!(tariff_for(Some(451), &tariffs).unwrap().label, "B");
        assert_eq!(tariff_for(Some(5000), &tariffs).unwrap().label, "C");
        assert_eq!(tariff_for(None, &tariffs).unwrap().label, "C");
        assert!(tariff_for(None, &[]).is_none());
        assert_eq!(euros(345), "3,45 €");
    }
}
