//! When a piece is asked: the school may ask one of new pupils only, of
//! demi-pensionnaires only, of separated guardians only, or of some MEFs
//! only. Every condition ticked must hold; a piece without conditions is
//! asked of everyone.

/// The conditions of one piece.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    pub only_new_pupils: bool,
    pub only_demi_pension: bool,
    pub only_separated: bool,
    /// The MEFs (ids) whose pupils are asked; empty: every MEF.
    pub mef_ids: Vec<i64>,
}

/// What the conditions are checked against, for one dossier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DossierFacts {
    /// Not at the school last year (SIECLE's last year school is another).
    pub new_pupil: bool,
    /// Demi-pensionnaire next year (the family's answer, else SIECLE's régime).
    pub demi_pension: bool,
    /// Two guardians who do not live together (as SIECLE says).
    pub separated: bool,
    pub mef_id: Option<i64>,
}

impl Conditions {
    pub fn applies_to(&self, facts: &DossierFacts) -> bool {
        (!self.only_new_pupils || facts.new_pupil)
            && (!self.only_demi_pension || facts.demi_pension)
            && (!self.only_separated || facts.separated)
            && (self.mef_ids.is_empty() || facts.mef_id.is_some_and(|m| self.mef_ids.contains(&m)))
    }

    /// The conditions in words ("nouveaux élèves, demi-pensionnaires"), or
    /// "tous les élèves"; `mef_labels` are the labels of `mef_ids`.
    pub fn describe(&self, mef_labels: &[String]) -> String {
        let mut parts: Vec<String> = Vec::new();
        if self.only_new_pupils {
            parts.push("nouveaux élèves".into());
        }
        if self.only_demi_pension {
            parts.push("demi-pensionnaires".into());
        }
        if self.only_separated {
            parts.push("responsables séparés".into());
        }
        if !mef_labels.is_empty() {
            parts.push(format!("élèves de {}", mef_labels.join(", ")));
        }
        if parts.is_empty() {
            "tous les élèves".into()
        } else {
            format!("seulement : {}", parts.join(" ; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_piece_without_conditions_is_asked_of_everyone() {
        assert!(Conditions::default().applies_to(&DossierFacts::default()));
    }

    #[test]
    fn every_ticked_condition_must_hold() {
        let canteen_new = Conditions {
            only_new_pupils: true,
            only_demi_pension: true,
            ..Default::default()
        };
        let facts = DossierFacts {
            new_pupil: true,
            demi_pension: false,
            ..Default::default()
        };
        assert!(!canteen_new.applies_to(&facts));
        assert!(canteen_new.applies_to(&DossierFacts {
            demi_pension: true,
            ..facts.clone()
        }));
        let separated = Conditions {
            only_separated: true,
            ..Default::default()
        };
        assert!(!separated.applies_to(&facts));
    }

    #[test]
    fn a_piece_for_some_mefs_is_asked_of_their_pupils_only() {
        let sixth = Conditions {
            mef_ids: vec![7],
            ..Default::default()
        };
        assert!(sixth.applies_to(&DossierFacts {
            mef_id: Some(7),
            ..Default::default()
        }));
        assert!(!sixth.applies_to(&DossierFacts {
            mef_id: Some(8),
            ..Default::default()
        }));
        assert!(!sixth.applies_to(&DossierFacts::default()));
        assert_eq!(
            sixth.describe(&["6EME".into()]),
            "seulement : élèves de 6EME"
        );
    }
}
