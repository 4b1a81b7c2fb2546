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

/// The school's authorisations asked to families (and its exit rules): the
/// vie scolaire and the direction.
pub struct ManageSchoolLife;
impl Permission for ManageSchoolLife {
    const ROLES: &'static [Role] = &[Role::Admin, Role::VieScolaire];
}

/// Whether `role` is allowed by permission `P`.
pub fn allows<P: Permission>(role: Role) -> bool {
    P::ROLES.contains(&role)
}

impl Role {
    /// The bit of this role in a [`RoleSet`] (and in the `roles` column of
    /// `agent_memberships`).
    const fn bit(self) -> u8 {
        match self {
            Role::Admin => 1,
            Role::Secretariat => 2,
            Role::Intendance => 4,
            Role::VieScolaire => 8,
            Role::Infirmerie => 16,
        }
    }
}

/// The roles of an agent in one school: one or several. Stored as the sum of
/// the roles' bits (`agent_memberships.roles`, 1 to 31, a CHECK keeps it
/// there), so that the database can refuse an empty or unknown set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RoleSet(u8);

impl RoleSet {
    pub const EMPTY: RoleSet = RoleSet(0);

    pub fn of(roles: &[Role]) -> Self {
        RoleSet(roles.iter().fold(0, |bits, role| bits | role.bit()))
    }

    /// The set stored as `bits`; `None` if it is empty or names no role.
    pub fn from_bits(bits: i64) -> Option<Self> {
        (1..=31).contains(&bits).then_some(RoleSet(bits as u8))
    }

    pub fn bits(self) -> i64 {
        i64::from(self.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn contains(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    pub fn with(self, role: Role) -> Self {
        RoleSet(self.0 | role.bit())
    }

    /// The roles of the set, in the order of [`Role::ALL`].
    pub fn roles(self) -> impl Iterator<Item = Role> {
        Role::ALL
            .into_iter()
            .filter(move |role| self.contains(*role))
    }

    /// Whether every role of `self` is in `other`.
    pub fn is_subset_of(self, other: RoleSet) -> bool {
        self.0 & !other.0 == 0
    }

    /// Whether permission `P` accepts one of these roles.
    pub fn allows<P: Permission>(self) -> bool {
        self.roles().any(allows::<P>)
    }

    /// The French labels, joined: "Direction, Secrétariat".
    pub fn labels(self) -> String {
        self.roles().map(Role::label).collect::<Vec<_>>().join(", ")
    }

    /// The codes, joined (audit trail): "admin,secretariat".
    pub fn codes(self) -> String {
        self.roles().map(Role::code).collect::<Vec<_>>().join(",")
    }
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

    #[test]
    fn a_set_of_roles_is_allowed_when_one_of_its_roles_is() {
        let nurse_and_cpe = RoleSet::of(&[Role::Infirmerie, Role::VieScolaire]);
        assert!(nurse_and_cpe.allows::<ReadMedical>());
        assert!(!nurse_and_cpe.allows::<ManageSchool>());
        assert!(nurse_and_cpe.allows::<AnyStaff>());
        assert!(!RoleSet::EMPTY.allows::<AnyStaff>());
        assert_eq!(nurse_and_cpe.labels(), "Vie scolaire (CPE), Infirmerie");
        assert_eq!(nurse_and_cpe.codes(), "vie_scolaire,infirmerie");
    }

    #[test]
    fn a_set_round_trips_through_its_bits_and_refuses_empty_or_unknown_ones() {
        let all = RoleSet::of(&Role::ALL);
        assert_eq!(all.bits(), 31);
        assert_eq!(RoleSet::from_bits(all.bits()), Some(all));
        let admin = RoleSet::of(&[Role::Admin]);
        assert_eq!(RoleSet::from_bits(admin.bits()), Some(admin));
        assert_eq!(RoleSet::from_bits(0), None);
        assert_eq!(RoleSet::from_bits(32), None);
        assert!(admin.is_subset_of(all));
        assert!(!all.is_subset_of(admin));
        assert!(RoleSet::EMPTY.is_subset_of(admin));
    }
}
