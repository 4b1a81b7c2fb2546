//! The life of a dossier (see PRODUCT.md, "Dossier states"), as one pure
//! function: who may move a dossier from which state to which.

use std::fmt;
use std::str::FromStr;

/// The state of a re-enrolment dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DossierState {
    #[default]
    NotStarted,
    Started,
    Submitted,
    Returned,
    Validated,
    Leaving,
}

/// Who asks for a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Guardian,
    Agent,
}

/// What happens to a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// A guardian opens the dossier for the first time.
    Open,
    /// A guardian validates the dossier (attestation signed).
    Submit,
    /// The school sends it back to the family, with a reason.
    Return,
    /// The school accepts it.
    Validate,
    /// The pupil leaves the school (sortant).
    MarkLeaving,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("transition refusée : {event:?} depuis l'état « {} » par {actor:?}", from.label())]
pub struct TransitionRefused {
    pub from: DossierState,
    pub event: Event,
    pub actor: Actor,
}

impl Event {
    pub const ALL: [Event; 5] = [
        Event::Open,
        Event::Submit,
        Event::Return,
        Event::Validate,
        Event::MarkLeaving,
    ];
}

impl DossierState {
    pub const ALL: [DossierState; 6] = [
        DossierState::NotStarted,
        DossierState::Started,
        DossierState::Submitted,
        DossierState::Returned,
        DossierState::Validated,
        DossierState::Leaving,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DossierState::NotStarted => "not_started",
            DossierState::Started => "started",
            DossierState::Submitted => "submitted",
            DossierState::Returned => "returned",
            DossierState::Validated => "validated",
            DossierState::Leaving => "leaving",
        }
    }

    /// The French label shown to families and agents.
    pub fn label(self) -> &'static str {
        match self {
            DossierState::NotStarted => "non commencé",
            DossierState::Started => "en cours",
            DossierState::Submitted => "envoyé à l'établissement",
            DossierState::Returned => "à compléter (renvoyé par l'établissement)",
            DossierState::Validated => "validé par l'établissement",
            DossierState::Leaving => "départ de l'établissement",
        }
    }

    /// Whether the school checks the pieces of a dossier in this state: sent
    /// to it or validated. The pieces of a dossier the family is filling in
    /// or correcting wait until it is sent. The one definition of « pieces
    /// to check » (the dashboard, the dossier list and the pieces queue).
    pub fn pieces_checked_by_school(self) -> bool {
        matches!(self, DossierState::Submitted | DossierState::Validated)
    }

    /// Whether a family may still change the dossier.
    pub fn editable_by_family(self) -> bool {
        matches!(
            self,
            DossierState::NotStarted | DossierState::Started | DossierState::Returned
        )
    }

    /// The events `actor` may apply to a dossier in this state, that change
    /// it (re-opening an opened dossier is not one): what a page offers.
    pub fn events_for(self, actor: Actor) -> Vec<Event> {
        Event::ALL
            .into_iter()
            .filter(|&event| self.apply(event, actor).is_ok_and(|to| to != self))
            .collect()
    }

    /// The state after `event` by `actor`, or why it is refused.
    pub fn apply(self, event: Event, actor: Actor) -> Result<DossierState, TransitionRefused> {
        use DossierState::*;
        let next = match (self, event, actor) {
            (NotStarted, Event::Open, Actor::Guardian) => Some(Started),
            // Opening an already opened dossier changes nothing.
            (s, Event::Open, Actor::Guardian) if s != NotStarted => Some(s),
            (Started | Returned, Event::Submit, Actor::Guardian) => Some(Submitted),
            (Submitted | Validated, Event::Return, Actor::Agent) => Some(Returned),
            (Submitted, Event::Validate, Actor::Agent) => Some(Validated),
            (s, Event::MarkLeaving, Actor::Agent) if s != Leaving => Some(Leaving),
            _ => None,
        };
        next.ok_or(TransitionRefused {
            from: self,
            event,
            actor,
        })
    }
}

impl fmt::Display for DossierState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for DossierState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DossierState::ALL
            .into_iter()
            .find(|state| state.code() == s)
            .ok_or_else(|| format!("unknown dossier state {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::Actor::*;
    use super::DossierState::*;
    use super::*;

    #[test]
    fn a_family_opens_then_submits_its_dossier() {
        let opened = NotStarted.apply(Event::Open, Guardian).unwrap();
        assert_eq!(opened, Started);
        assert_eq!(
            opened.apply(Event::Open, Guardian).unwrap(),
            Started,
            "opening again changes nothing"
        );
        assert_eq!(opened.apply(Event::Submit, Guardian).unwrap(), Submitted);
    }

    #[test]
    fn a_submitted_dossier_is_locked_for_the_family_until_the_school_returns_it() {
        assert!(!Submitted.editable_by_family());
        assert!(Submitted.apply(Event::Submit, Guardian).is_err());
        let returned = Submitted.apply(Event::Return, Agent).unwrap();
        assert!(returned.editable_by_family());
        assert_eq!(returned.apply(Event::Submit, Guardian).unwrap(), Submitted);
    }

    #[test]
    fn only_the_school_validates_returns_or_marks_a_pupil_as_leaving() {
        assert!(Submitted.apply(Event::Validate, Guardian).is_err());
        assert!(Started.apply(Event::Return, Guardian).is_err());
        assert!(Started.apply(Event::MarkLeaving, Guardian).is_err());
        assert_eq!(Submitted.apply(Event::Validate, Agent).unwrap(), Validated);
        assert_eq!(
            NotStarted.apply(Event::MarkLeaving, Agent).unwrap(),
            Leaving
        );
        assert!(Leaving.apply(Event::MarkLeaving, Agent).is_err());
    }

    #[test]
    fn the_school_cannot_validate_what_the_family_has_not_sent() {
        for state in [NotStarted, Started, Returned, Validated, Leaving] {
            assert!(state.apply(Event::Validate, Agent).is_err(), "{state}");
        }
        assert!(
            NotStarted.apply(Event::Submit, Guardian).is_err(),
            "a dossier is opened before it is sent"
        );
    }

    #[test]
    fn the_school_is_offered_only_the_events_the_state_allows() {
        assert_eq!(NotStarted.events_for(Agent), [Event::MarkLeaving]);
        assert_eq!(Started.events_for(Agent), [Event::MarkLeaving]);
        assert_eq!(
            Submitted.events_for(Agent),
            [Event::Return, Event::Validate, Event::MarkLeaving]
        );
        assert_eq!(Returned.events_for(Agent), [Event::MarkLeaving]);
        assert_eq!(
            Validated.events_for(Agent),
            [Event::Return, Event::MarkLeaving]
        );
        assert!(Leaving.events_for(Agent).is_empty());
        assert_eq!(Started.events_for(Guardian), [Event::Submit]);
        assert_eq!(NotStarted.events_for(Guardian), [Event::Open]);
        for state in DossierState::ALL {
            for actor in [Agent, Guardian] {
                for event in state.events_for(actor) {
                    assert!(state.apply(event, actor).is_ok());
                }
            }
        }
    }

    #[test]
    fn every_state_round_trips_through_its_code() {
        for state in DossierState::ALL {
            assert_eq!(state.code().parse::<DossierState>().unwrap(), state);
        }
        assert!("archived".parse::<DossierState>().is_err());
    }
}
