//! Agent roles and what each may do.

use std::fmt;
use std::str::FromStr;

/// The role of a school agent (see PRODUCT.md, "Who uses it").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Chef d'établissement or adjoint: everything in the school.
    Admin,
    /// Secrétariat: imports, invitations, review, validation, reminders, exports.
    Secretariat,
    /// Intendance: demi-pension, tariffs, payment-related pieces.
    Intendance,
    /// CPE: régime de sortie, authorisations.
    VieScolaire,
    /// Infirmier·e: the only role that reads medical information.
    Infirmerie,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Secretariat,
        Role::Intendance,
        Role::VieScolaire,
        Role::Infirmerie,
    ];

    /// The value stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Secretariat => "secretariat",
            Role::Intendance => "intendance",
            Role::VieScolaire => "vie_scolaire",
            Role::Infirmerie => "infirmerie",
        }
    }

    /// The French label shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Direction",
            Role::Secretariat => "Secrétariat",
            Role::Intendance => "Intendance",
            Role::VieScolaire => "Vie scolaire (CPE)",
            Role::Infirmerie => "Infirmerie",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.code() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(String);

/// A permission is a named set of roles; extractors check them so that a
/// handler states what it needs in its signature (see `web::auth`), and the
/// route table names the same type for the route (`web::routes::agent::<P>()`).
pub trait Permission: Send + Sync + 'static {
    const ROLES: &'static [Role];
}

/// Any agent of the school.
pub struct AnyStaff;
impl Permission for AnyStaff {
    const ROLES: &'static [Role] = &Role::ALL;
}

/// Managing the school's data: imports, agents, campaign settings.
pub struct ManageSchool;
impl Permission for ManageSchool {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Secretariat];
}

/// Inviting agents and giving them roles.
pub struct ManageAgents;
impl Permission for ManageAgents {
    const ROLES: &'static [Role] = &[Role::Admin];
}

/// Reading medical information: the nurse only.
pub struct ReadMedical;
impl Permission for ReadMedical {
    const ROLES: &'static [Role] = &[Role::Infirmerie];
}

/// Demi-pension and tariffs.
pub struct ManageCanteen;
impl Permission for ManageCanteen {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Intendance];
}

/// Whether `role` is allowed by permission `P`.
pub fn allows<P: Permission>(role: Role) -> bool {
    P::ROLES.contains(&role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_code() {
        for role in Role::ALL {
            assert_eq!(role.code().parse::<Role>().unwrap(), role);
        }
        assert!("superadmin".parse::<Role>().is_err());
    }

    #[test]
    fn only_the_nurse_reads_medical_information() {
        let allowed: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| allows::<ReadMedical>(*r))
            .collect();
        assert_eq!(allowed, vec![Role::Infirmerie]);
        assert!(!allows::<ReadMedical>(Role::Admin));
    }

    #[test]
    fn only_direction_and_secretariat_manage_the_school() {
        assert!(allows::<ManageSchool>(Role::Secretariat));
        assert!(!allows::<ManageSchool>(Role::Infirmerie));
        assert!(!allows::<ManageAgents>(Role::Secretariat));
    }
}
