//! Rules for next year's options (mandatory, kept, droppable, open to
//! requests; groups where one is chosen; capacities and their waiting list)
//! and for the demi-pension tariff.

/// An option the next MEF offers, with the school's rules for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedOption {
    pub code: String,
    pub label: String,
    pub explanation: String,
    /// Followed by every pupil of the MEF; never dropped.
    pub mandatory: bool,
    pub can_drop: bool,
    pub open_to_new: bool,
    /// Places for new requests; `None`: no limit.
    pub capacity: Option<i64>,
    /// The group of options it belongs to, if any.
    pub group: Option<i64>,
}

/// How many options of a group a pupil may follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupRule {
    ExactlyOne,
    AtMostOne,
}

impl GroupRule {
    pub fn code(self) -> &'static str {
        match self {
            GroupRule::ExactlyOne => "exactly_one",
            GroupRule::AtMostOne => "at_most_one",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "exactly_one" => Some(GroupRule::ExactlyOne),
            "at_most_one" => Some(GroupRule::AtMostOne),
            _ => None,
        }
    }

    /// What the family reads under the group's name.
    pub fn hint(self) -> &'static str {
        match self {
            GroupRule::ExactlyOne => "Choisissez une option, et une seule.",
            GroupRule::AtMostOne => "Une option au plus.",
        }
    }
}

/// A group of options of a MEF (one LV2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionGroup {
    pub id: i64,
    pub label: String,
    pub rule: GroupRule,
}

/// What a family may do with one option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionStatus {
    /// Mandatory in the MEF: followed by everyone, not a choice.
    Mandatory,
    /// Practised and not droppable: kept, shown, not a choice.
    Kept,
    /// Practised and droppable: kept unless the family unticks it.
    Droppable,
    /// Not practised, open to new pupils: the family may ask for it.
    Requestable,
}

impl OptionStatus {
    /// Whether the family decides (ticks or unticks) this option.
    pub fn is_choice(self) -> bool {
        matches!(self, OptionStatus::Droppable | OptionStatus::Requestable)
    }
}

/// The options shown to a family, in the school's order; options neither
/// mandatory, practised nor open are not shown.
pub fn available(
    offered: &[OfferedOption],
    practised: &[String],
) -> Vec<(OfferedOption, OptionStatus)> {
    offered
        .iter()
        .filter_map(|option| {
            let was = practised.contains(&option.code);
            let status = match (option.mandatory, was, option.can_drop, option.open_to_new) {
                (true, _, _, _) => OptionStatus::Mandatory,
                (false, true, false, _) => OptionStatus::Kept,
                (false, true, true, _) => OptionStatus::Droppable,
                (false, false, _, true) => OptionStatus::Requestable,
                (false, false, _, false) => return None,
            };
            Some((option.clone(), status))
        })
        .collect()
}

/// Why a family's choice of options is refused, in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionsError {
    /// A code the family may not tick (a forged form).
    NotOffered(String),
    /// A group where exactly one is required has none.
    NoneInGroup { group: String },
    /// A group has more than one.
    SeveralInGroup { group: String, rule: GroupRule },
}

impl OptionsError {
    pub fn message(&self) -> String {
        match self {
            OptionsError::NotOffered(_) => {
                "Une option demandée n'est pas proposée l'an prochain : vérifiez vos choix.".into()
            }
            OptionsError::NoneInGroup { group } => {
                format!("« {group} » : choisissez une option.")
            }
            OptionsError::SeveralInGroup { group, rule } => match rule {
                GroupRule::ExactlyOne => {
                    format!("« {group} » : choisissez une seule option.")
                }
                GroupRule::AtMostOne => {
                    format!("« {group} » : une option au plus peut être choisie.")
                }
            },
        }
    }

    /// The group the error is about, if any.
    pub fn group(&self) -> Option<&str> {
        match self {
            OptionsError::NotOffered(_) => None,
            OptionsError::NoneInGroup { group } | OptionsError::SeveralInGroup { group, .. } => {
                Some(group)
            }
        }
    }
}

/// The options a pupil will follow given what the family ticked: every
/// mandatory and kept option, plus the ticked ones it may keep or ask for,
/// within the groups' rules. Anything else ticked (a forged form) is refused;
/// an unticked mandatory or kept option stays (it is not a choice).
pub fn resolve(
    available: &[(OfferedOption, OptionStatus)],
    groups: &[OptionGroup],
    ticked: &[String],
) -> Result<Vec<String>, OptionsError> {
    for code in ticked {
        if !available.iter().any(|(o, _)| &o.code == code) {
            return Err(OptionsError::NotOffered(code.clone()));
        }
    }
    let chosen: Vec<&OfferedOption> = available
        .iter()
        .filter(|(o, s)| !s.is_choice() || ticked.contains(&o.code))
        .map(|(o, _)| o)
        .collect();
    for group in groups {
        let in_group = chosen.iter().filter(|o| o.group == Some(group.id)).count();
        let offered_here = available.iter().any(|(o, _)| o.group == Some(group.id));
        if in_group > 1 {
            return Err(OptionsError::SeveralInGroup {
                group: group.label.clone(),
                rule: group.rule,
            });
        }
        if in_group == 0 && offered_here && group.rule == GroupRule::ExactlyOne {
            return Err(OptionsError::NoneInGroup {
                group: group.label.clone(),
            });
        }
    }
    let mut codes: Vec<String> = chosen.into_iter().map(|o| o.code.clone()).collect();
    codes.sort();
    codes.dedup();
    Ok(codes)
}

/// Where a dossier's request of an option stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStanding {
    /// Within the capacity (or no capacity).
    Placed,
    /// Beyond it: waiting, at this rank (1 is the next place to free up).
    Waiting(usize),
}

/// Where `dossier` stands among the dossiers that asked for an option, in
/// the order they asked (`requests`: dossier ids, earliest first), given
/// the option's capacity. `None` when the dossier did not ask.
pub fn request_standing(
    requests: &[i64],
    dossier: i64,
    capacity: Option<i64>,
) -> Option<RequestStanding> {
    let rank = requests.iter().position(|d| *d == dossier)? + 1;
    Some(match capacity {
        Some(places) if rank as i64 > places => {
            RequestStanding::Waiting(rank - usize::try_from(places).unwrap_or(0))
        }
        _ => RequestStanding::Placed,
    })
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
            mandatory: false,
            can_drop,
            open_to_new,
            capacity: None,
            group: None,
        }
    }

    fn in_group(mut o: OfferedOption, group: i64) -> OfferedOption {
        o.group = Some(group);
        o
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
            resolve(&shown, &[], &["LAT".into()]).unwrap(),
            vec!["ANG", "LAT"],
            "no change"
        );
        assert_eq!(
            resolve(&shown, &[], &[]).unwrap(),
            vec!["ANG"],
            "Latin dropped, English kept anyway"
        );
        assert_eq!(
            resolve(&shown, &[], &["LAT".into(), "ESP".into()]).unwrap(),
            vec!["ANG", "ESP", "LAT"]
        );
        assert_eq!(
            resolve(&shown, &[], &["CHI".into()]),
            Err(OptionsError::NotOffered("CHI".into())),
            "a closed option cannot be forced"
        );
    }

    #[test]
    fn a_mandatory_option_is_followed_by_everyone_and_never_dropped() {
        let mut ang = option("ANG", true, true);
        ang.mandatory = true;
        let shown = available(&[ang], &[]);
        assert_eq!(shown[0].1, OptionStatus::Mandatory);
        assert_eq!(resolve(&shown, &[], &[]).unwrap(), vec!["ANG"]);
    }

    #[test]
    fn a_group_takes_exactly_one_or_at_most_one() {
        let offered = [
            in_group(option("ESP", false, true), 1),
            in_group(option("ALL", false, true), 1),
            in_group(option("LAT", true, true), 2),
            in_group(option("GRE", true, true), 2),
        ];
        let groups = [
            OptionGroup {
                id: 1,
                label: "LV2".into(),
                rule: GroupRule::ExactlyOne,
            },
            OptionGroup {
                id: 2,
                label: "Langues anciennes".into(),
                rule: GroupRule::AtMostOne,
            },
        ];
        let shown = available(&offered, &[]);
        assert_eq!(
            resolve(&shown, &groups, &[]),
            Err(OptionsError::NoneInGroup {
                group: "LV2".into()
            })
        );
        assert_eq!(
            resolve(&shown, &groups, &["ESP".into(), "ALL".into()]),
            Err(OptionsError::SeveralInGroup {
                group: "LV2".into(),
                rule: GroupRule::ExactlyOne
            })
        );
        assert_eq!(
            resolve(&shown, &groups, &["ESP".into()]).unwrap(),
            vec!["ESP"]
        );
        assert!(
            resolve(&shown, &groups, &["ESP".into(), "LAT".into(), "GRE".into()]).is_err(),
            "at most one ancient language"
        );
        assert_eq!(
            resolve(&shown, &groups, &["ALL".into(), "GRE".into()]).unwrap(),
            vec!["ALL", "GRE"]
        );
    }

    #[test]
    fn requests_beyond_the_capacity_wait_in_the_order_they_came() {
        let requests = [7, 3, 9];
        assert_eq!(
            request_standing(&requests, 3, Some(2)),
            Some(RequestStanding::Placed)
        );
        assert_eq!(
            request_standing(&requests, 9, Some(2)),
            Some(RequestStanding::Waiting(1))
        );
        assert_eq!(
            request_standing(&requests, 9, None),
            Some(RequestStanding::Placed)
        );
        assert_eq!(request_standing(&requests, 4, Some(2)), None);
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
