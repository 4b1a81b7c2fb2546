//! The demi-pension tariff grid: brackets of quotient familial, each with a
//! price per meal. A grid covers every quotient from 0 upwards exactly once:
//! no gap (a family whose quotient falls between two brackets would have no
//! price) and no overlap (two prices). The last bracket has no maximum.

use std::fmt;

/// One bracket as the intendance types it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bracket {
    pub label: String,
    /// Lowest quotient of the bracket, inclusive.
    pub min: i64,
    /// Highest quotient, inclusive; `None` for the last bracket.
    pub max: Option<i64>,
    pub price_cents: i64,
}

/// Why a grid is refused, in words the intendance reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GridError {
    Empty,
    NoLabel {
        row: usize,
    },
    MaxBelowMin {
        label: String,
    },
    DoesNotStartAtZero {
        label: String,
        min: i64,
    },
    Gap {
        after: String,
        before: String,
        from: i64,
        to: i64,
    },
    Overlap {
        first: String,
        second: String,
    },
    NotOpenEnded,
    OpenBeforeLast {
        label: String,
    },
}

impl fmt::Display for GridError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GridError::Empty => write!(f, "Saisissez au moins une tranche."),
            GridError::NoLabel { row } => {
                write!(f, "La tranche n° {row} n'a pas de nom.")
            }
            GridError::MaxBelowMin { label } => write!(
                f,
                "« {label} » : le quotient maximum est plus petit que le minimum."
            ),
            GridError::DoesNotStartAtZero { label, min } => write!(
                f,
                "La première tranche, « {label} », commence à {min} : elle doit commencer à 0, sinon les quotients de 0 à {} n'ont pas de tarif.",
                min - 1
            ),
            GridError::Gap {
                after,
                before,
                from,
                to,
            } => write!(
                f,
                "Trou entre « {after} » et « {before} » : les quotients de {from} à {to} n'ont pas de tarif."
            ),
            GridError::Overlap { first, second } => write!(
                f,
                "« {first} » et « {second} » se chevauchent : un même quotient aurait deux tarifs."
            ),
            GridError::NotOpenEnded => write!(
                f,
                "La dernière tranche doit rester sans maximum, pour les quotients les plus élevés (et les familles qui ne donnent pas leur quotient)."
            ),
            GridError::OpenBeforeLast { label } => write!(
                f,
                "« {label} » n'a pas de maximum : seule la dernière tranche peut en être dépourvue."
            ),
        }
    }
}

impl std::error::Error for GridError {}

/// The grid sorted by lowest quotient, or the first reason to refuse it.
pub fn check(mut brackets: Vec<Bracket>) -> Result<Vec<Bracket>, GridError> {
    if brackets.is_empty() {
        return Err(GridError::Empty);
    }
    if let Some(row) = brackets.iter().position(|b| b.label.trim().is_empty()) {
        return Err(GridError::NoLabel { row: row + 1 });
    }
    if let Some(b) = brackets
        .iter()
        .find(|b| b.max.is_some_and(|max| max < b.min))
    {
        return Err(GridError::MaxBelowMin {
            label: b.label.clone(),
        });
    }
    brackets.sort_by_key(|b| (b.min, b.max.unwrap_or(i64::MAX)));
    let first = &brackets[0];
    if first.min > 0 {
        return Err(GridError::DoesNotStartAtZero {
            label: first.label.clone(),
            min: first.min,
        });
    }
    for pair in brackets.windows(2) {
        let (low, high) = (&pair[0], &pair[1]);
        let Some(low_max) = low.max else {
            return Err(GridError::OpenBeforeLast {
                label: low.label.clone(),
            });
        };
        if high.min <= low_max {
            return Err(GridError::Overlap {
                first: low.label.clone(),
                second: high.label.clone(),
            });
        }
        if high.min > low_max + 1 {
            return Err(GridError::Gap {
                after: low.label.clone(),
                before: high.label.clone(),
                from: low_max + 1,
                to: high.min - 1,
            });
        }
    }
    if brackets.last().is_some_and(|b| b.max.is_some()) {
        return Err(GridError::NotOpenEnded);
    }
    Ok(brackets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(label: &str, min: i64, max: Option<i64>) -> Bracket {
        Bracket {
            label: label.into(),
            min,
            max,
            price_cents: 300,
        }
    }

    #[test]
    fn a_grid_from_zero_without_gaps_ending_open_is_accepted_and_sorted() {
        let grid = check(vec![
            b("Tarif 3", 901, None),
            b("Tarif 1", 0, Some(450)),
            b("Tarif 2", 451, Some(900)),
        ])
        .unwrap();
        let labels: Vec<&str> = grid.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["Tarif 1", "Tarif 2", "Tarif 3"]);
        assert_eq!(check(vec![b("Tarif unique", 0, None)]).unwrap().len(), 1);
    }

    #[test]
    fn a_gap_is_refused_naming_the_quotients_without_a_price() {
        let err = check(vec![b("Tarif 1", 0, Some(450)), b("Tarif 2", 500, None)]).unwrap_err();
        assert_eq!(
            err,
            GridError::Gap {
                after: "Tarif 1".into(),
                before: "Tarif 2".into(),
                from: 451,
                to: 499
            }
        );
        assert!(err.to_string().contains("de 451 à 499"), "{err}");
    }

    #[test]
    fn an_overlap_is_refused() {
        let err = check(vec![b("Tarif 1", 0, Some(450)), b("Tarif 2", 450, None)]).unwrap_err();
        assert!(matches!(err, GridError::Overlap { .. }), "{err:?}");
        assert!(err.to_string().contains("se chevauchent"));
    }

    #[test]
    fn the_grid_starts_at_zero_ends_open_and_has_one_open_bracket() {
        assert!(matches!(
            check(vec![b("Tarif 1", 10, None)]),
            Err(GridError::DoesNotStartAtZero { .. })
        ));
        assert_eq!(
            check(vec![
                b("Tarif 1", 0, Some(450)),
                b("Tarif 2", 451, Some(900))
            ]),
            Err(GridError::NotOpenEnded)
        );
        assert!(matches!(
            check(vec![b("Tarif 1", 0, None), b("Tarif 2", 451, None)]),
            Err(GridError::OpenBeforeLast { .. })
        ));
        assert!(matches!(
            check(vec![b("Tarif 1", 500, Some(400))]),
            Err(GridError::MaxBelowMin { .. })
        ));
        assert_eq!(check(vec![]), Err(GridError::Empty));
        assert_eq!(
            check(vec![b(" ", 0, None)]),
            Err(GridError::NoLabel { row: 1 })
        );
    }
}
