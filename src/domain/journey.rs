//! The steps of the family's journey, in order, with their URL segment and
//! title.

/// One step of the journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Accueil,
    Eleve,
    Responsables,
    ContactsUrgence,
    Scolarite,
    VieScolaire,
    Sante,
    Pieces,
    Validation,
    Confirmation,
}

impl Step {
    pub const ALL: [Step; 10] = [
        Step::Accueil,
        Step::Eleve,
        Step::Responsables,
        Step::ContactsUrgence,
        Step::Scolarite,
        Step::VieScolaire,
        Step::Sante,
        Step::Pieces,
        Step::Validation,
        Step::Confirmation,
    ];

    /// The URL segment (French, as users see it).
    pub fn slug(self) -> &'static str {
        match self {
            Step::Accueil => "accueil",
            Step::Eleve => "eleve",
            Step::Responsables => "responsables",
            Step::ContactsUrgence => "contacts-urgence",
            Step::Scolarite => "scolarite",
            Step::VieScolaire => "vie-scolaire",
            Step::Sante => "sante",
            Step::Pieces => "pieces",
            Step::Validation => "validation",
            Step::Confirmation => "confirmation",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Step::Accueil => "Accueil",
            Step::Eleve => "Élève",
            Step::Responsables => "Responsables",
            Step::ContactsUrgence => "Contacts d'urgence",
            Step::Scolarite => "Scolarité",
            Step::VieScolaire => "Vie scolaire",
            Step::Sante => "Santé",
            Step::Pieces => "Pièces justificatives",
            Step::Validation => "Validation",
            Step::Confirmation => "Confirmation",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.slug() == slug)
    }

    pub fn index(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    /// The step after this one.
    pub fn next(self) -> Step {
        Step::ALL
            .get(self.index() + 1)
            .copied()
            .unwrap_or(Step::Confirmation)
    }

    pub fn previous(self) -> Option<Step> {
        self.index().checked_sub(1).map(|i| Step::ALL[i])
    }

    /// The steps the stepper counts: from the pupil to the validation. The
    /// welcome page introduces them and is not one of them: the DSFR stepper
    /// draws its bar for at most 8 steps.
    pub fn numbered() -> &'static [Step] {
        &Step::ALL[1..9]
    }

    /// The steps a family fills in, welcome included (each may carry the
    /// school's help text).
    pub fn fillable() -> &'static [Step] {
        &Step::ALL[..9]
    }

    /// This step's position in the stepper (from 1), if the stepper counts it.
    pub fn number(self) -> Option<usize> {
        Step::numbered()
            .iter()
            .position(|s| *s == self)
            .map(|i| i + 1)
    }
}

/// Where a guardian goes back to: the furthest step reached, but never
/// past the validation while the family may still edit (a dossier returned by
/// the school), and the confirmation once it is sent.
pub fn resume(furthest: Option<&str>, editable: bool) -> Step {
    if !editable {
        return Step::Confirmation;
    }
    furthest
        .and_then(Step::from_slug)
        .unwrap_or(Step::Accueil)
        .min(Step::Validation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_family_resumes_at_its_furthest_step_but_a_returned_dossier_reopens_at_validation() {
        assert_eq!(resume(None, true), Step::Accueil);
        assert_eq!(resume(Some("scolarite"), true), Step::Scolarite);
        assert_eq!(
            resume(Some("confirmation"), true),
            Step::Validation,
            "returned by the school"
        );
        assert_eq!(resume(Some("sante"), false), Step::Confirmation, "sent");
        assert_eq!(resume(Some("nonsense"), true), Step::Accueil);
    }

    #[test]
    fn steps_follow_the_product_order_and_round_trip_through_their_slug() {
        assert_eq!(Step::Accueil.next(), Step::Eleve);
        assert_eq!(Step::Pieces.next(), Step::Validation);
        assert_eq!(Step::Confirmation.next(), Step::Confirmation);
        assert_eq!(Step::Eleve.previous(), Some(Step::Accueil));
        assert_eq!(Step::Accueil.previous(), None);
        for step in Step::ALL {
            assert_eq!(Step::from_slug(step.slug()), Some(step));
        }
        assert!(
            Step::Validation > Step::Sante,
            "steps are ordered, to track the furthest one"
        );
        assert_eq!(Step::numbered().len(), 8, "the DSFR stepper's limit");
        assert_eq!(Step::Accueil.number(), None);
        assert_eq!(Step::Eleve.number(), Some(1));
        assert_eq!(Step::Validation.number(), Some(8));
        assert_eq!(Step::Confirmation.number(), None);
    }
}
