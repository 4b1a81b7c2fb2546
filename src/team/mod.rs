//! A school's team: inviting agents with a set of roles, changing their
//! roles, deactivating them, and the one-time links that let an agent choose
//! a password (invitation, 7 days; new password, 1 hour). Used by the web
//! screens, the `school add` command ([`command`]) and the demo.
//!
//! The rules (`docs/ARCHITECTURE.md`, "Agents"): nobody raises their own
//! roles; the last active admin of a school cannot be demoted nor
//! deactivated; a link works once and before it expires, and only its
//! SHA-256 is stored; every change is in the audit trail. A refusal by a rule
//! writes only its audit row before returning: callers commit it too.

pub mod command;

use crate::auth::keys::{hash_token, random_token};
use crate::db::agents::{self, LinkPurpose};
use crate::db::schools::School;
use crate::db::sessions::{self, Owner};
use crate::db::{Tx, audit};
use crate::domain::{Role, RoleSet};
use crate::mail::Email;

/// How long an invitation link works.
pub const INVITATION_LIFETIME_MS: i64 = 7 * 24 * 3600 * 1000;
/// How long a new-password link works.
pub const RESET_LIFETIME_MS: i64 = 3600 * 1000;

/// Who makes a change, for the audit trail and the rules on oneself.
#[derive(Debug, Clone)]
pub struct By {
    /// The agent acting (`None`: the platform operator's command line).
    pub agent_id: Option<i64>,
    /// Their name, for the e-mails ("Claire Fontaine vous invite…").
    pub name: String,
    pub ip: String,
}

impl By {
    /// The platform operator, from the command line.
    pub fn operator() -> Self {
        Self {
            agent_id: None,
            name: "L'équipe DossierSCO".into(),
            ip: String::new(),
        }
    }

    fn actor(&self) -> audit::Actor {
        self.agent_id
            .map_or(audit::Actor::System, audit::Actor::Agent)
    }
}

/// A change refused by a rule; the message is French, for the page.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error("Choisissez au moins un rôle.")]
    NoRole,
    #[error("Cette personne fait déjà partie de l'équipe : modifiez ses rôles depuis sa fiche.")]
    AlreadyMember,
    #[error(
        "Vous ne pouvez pas vous donner un rôle que vous n'avez pas : demandez-le à un autre membre de la direction."
    )]
    OwnRolesRaised,
    #[error(
        "Vous ne pouvez pas désactiver votre propre compte : demandez-le à un autre membre de la direction."
    )]
    OwnDeactivation,
    #[error(
        "C'est le dernier membre actif de la direction : nommez d'abord une autre personne à la direction."
    )]
    LastAdmin,
    #[error(
        "Cette personne a déjà choisi son mot de passe : elle peut se connecter, ou utiliser « Mot de passe oublié »."
    )]
    AlreadyHasPassword,
    #[error("Cette personne n'est pas active dans l'établissement.")]
    NotActive,
    #[error("Cette personne ne fait pas partie de l'équipe.")]
    NotMember,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// What an invitation did: the agent, and the e-mail to send (the caller
/// sends it: a job in the same transaction on the web, directly from the
/// command line).
#[derive(Debug)]
pub struct Invitation {
    pub agent_id: i64,
    /// The one-time link, when the agent has no password yet.
    pub link: Option<String>,
    pub email: Email,
}

/// A new one-time link of `purpose` for `agent_id`, voiding the previous
/// ones of that purpose; returns the URL to send.
async fn new_link(
    tx: &mut Tx,
    base_url: &str,
    agent_id: i64,
    school_id: Option<i64>,
    purpose: LinkPurpose,
) -> sqlx::Result<String> {
    agents::void_links(&mut **tx, agent_id, Some(purpose)).await?;
    let token = random_token();
    let lifetime = match purpose {
        LinkPurpose::Invitation => INVITATION_LIFETIME_MS,
        LinkPurpose::PasswordReset => RESET_LIFETIME_MS,
    };
    agents::create_link(
        &mut **tx,
        &hash_token(&token),
        agent_id,
        school_id,
        purpose,
        lifetime,
    )
    .await?;
    let path = match purpose {
        LinkPurpose::Invitation => "invitation",
        LinkPurpose::PasswordReset => "nouveau-mot-de-passe",
    };
    Ok(format!(
        "{}/agent/{path}/{token}",
        base_url.trim_end_matches('/')
    ))
}

fn invitation_email(to: &str, school: &School, roles: RoleSet, by: &By, link: &str) -> Email {
    Email {
        to: to.to_owned(),
        subject: format!("Invitation à DossierSCO — {}", school.name),
        body_text: format!(
            "Bonjour,\n\n{by} vous invite à rejoindre l'espace agents de DossierSCO pour {school} ({uai}), \
             avec le rôle : {roles}.\n\n\
             Pour choisir votre mot de passe, ouvrez ce lien (il fonctionne une seule fois, pendant 7 jours) :\n\
             {link}\n\n\
             Si vous ne vous attendiez pas à ce message, ignorez-le : sans ce lien, personne ne peut utiliser votre adresse.\n\n\
             DossierSCO\n",
            by = by.name,
            school = school.name,
            uai = school.uai,
            roles = roles.labels(),
        ),
    }
}

fn access_email(to: &str, school: &School, roles: RoleSet, by: &By, base_url: &str) -> Email {
    Email {
        to: to.to_owned(),
        subject: format!("Accès à DossierSCO — {}", school.name),
        body_text: format!(
            "Bonjour,\n\n{by} vous a donné accès à {school} ({uai}) dans DossierSCO, avec le rôle : {roles}.\n\n\
             Connectez-vous avec votre adresse et votre mot de passe habituels :\n{base}/agent/connexion\n\n\
             DossierSCO\n",
            by = by.name,
            school = school.name,
            uai = school.uai,
            roles = roles.labels(),
            base = base_url.trim_end_matches('/'),
        ),
    }
}

/// Invites `email` into `school` with `roles`: creates the agent if the
/// address is new, adds (or reactivates) their membership, and prepares the
/// e-mail: a one-time link for someone without a password, a notice for an
/// agent who already has one (from another school).
pub async fn invite(
    tx: &mut Tx,
    base_url: &str,
    school: &School,
    email: &str,
    display_name: &str,
    roles: RoleSet,
    by: &By,
) -> Result<Invitation, TeamError> {
    if roles.is_empty() {
        return Err(TeamError::NoRole);
    }
    agents::lock_team(&mut **tx, school.id).await?;
    let (agent_id, has_password) = match agents::find_by_email(&mut **tx, email).await? {
        Some(agent) => {
            if let Some(m) = agents::membership(&mut **tx, agent.id, school.id).await?
                && m.is_active()
            {
                return Err(TeamError::AlreadyMember);
            }
            (agent.id, agent.password_hash.is_some())
        }
        None => (
            agents::create(&mut **tx, school.id, email, display_name, None).await?,
            false,
        ),
    };
    agents::upsert_membership(&mut **tx, agent_id, school.id, roles).await?;
    let to = agents::normalise_email(email);
    let (link, email) = if has_password {
        (None, access_email(&to, school, roles, by, base_url))
    } else {
        let link = new_link(
            tx,
            base_url,
            agent_id,
            Some(school.id),
            LinkPurpose::Invitation,
        )
        .await?;
        let email = invitation_email(&to, school, roles, by, &link);
        (Some(link), email)
    };
    audit::record(
        &mut **tx,
        Some(school.id),
        by.actor(),
        "agent_invited",
        &format!("agent:{agent_id} roles:{}", roles.codes()),
        &by.ip,
    )
    .await?;
    Ok(Invitation {
        agent_id,
        link,
        email,
    })
}

/// Sends a new invitation link to a member who has not chosen a password
/// yet; the previous link stops working.
pub async fn resend_invitation(
    tx: &mut Tx,
    base_url: &str,
    school: &School,
    agent_id: i64,
    by: &By,
) -> Result<Invitation, TeamError> {
    let membership = agents::membership(&mut **tx, agent_id, school.id)
        .await?
        .ok_or(TeamError::NotMember)?;
    if !membership.is_active() {
        return Err(TeamError::NotActive);
    }
    let agent = agents::find(&mut **tx, agent_id)
        .await?
        .ok_or(TeamError::NotMember)?;
    if agent.password_hash.is_some() {
        return Err(TeamError::AlreadyHasPassword);
    }
    let link = new_link(
        tx,
        base_url,
        agent_id,
        Some(school.id),
        LinkPurpose::Invitation,
    )
    .await?;
    let email = invitation_email(&agent.email, school, membership.roles(), by, &link);
    audit::record(
        &mut **tx,
        Some(school.id),
        by.actor(),
        "agent_invitation_resent",
        &format!("agent:{agent_id}"),
        &by.ip,
    )
    .await?;
    Ok(Invitation {
        agent_id,
        link: Some(link),
        email,
    })
}

/// Refuses a change that would leave the school without an active admin.
async fn keep_an_admin(tx: &mut Tx, school_id: i64, agent_id: i64) -> Result<(), TeamError> {
    if agents::count_active_admins_except(&mut **tx, school_id, agent_id).await? == 0 {
        return Err(TeamError::LastAdmin);
    }
    Ok(())
}

/// Records a refusal of a rule in the audit trail (the page says why).
async fn audit_refusal(
    tx: &mut Tx,
    school_id: i64,
    by: &By,
    error: &TeamError,
    agent_id: i64,
) -> sqlx::Result<()> {
    let action = match error {
        TeamError::OwnRolesRaised => "agent_own_roles_raise_refused",
        TeamError::LastAdmin => "agent_last_admin_refused",
        TeamError::OwnDeactivation => "agent_own_deactivation_refused",
        _ => return Ok(()),
    };
    audit::record(
        &mut **tx,
        Some(school_id),
        by.actor(),
        action,
        &format!("agent:{agent_id}"),
        &by.ip,
    )
    .await
}

/// Gives `agent_id` the roles `roles` in the school. Nobody adds a role to
/// themself; the last active admin keeps the admin role.
pub async fn change_roles(
    tx: &mut Tx,
    school_id: i64,
    agent_id: i64,
    roles: RoleSet,
    by: &By,
) -> Result<(), TeamError> {
    if roles.is_empty() {
        return Err(TeamError::NoRole);
    }
    agents::lock_team(&mut **tx, school_id).await?;
    let membership = agents::membership(&mut **tx, agent_id, school_id)
        .await?
        .ok_or(TeamError::NotMember)?;
    let before = membership.roles();
    let refusal = if by.agent_id == Some(agent_id) && !roles.is_subset_of(before) {
        Some(TeamError::OwnRolesRaised)
    } else if membership.is_active() && before.contains(Role::Admin) && !roles.contains(Role::Admin)
    {
        keep_an_admin(tx, school_id, agent_id).await.err()
    } else {
        None
    };
    if let Some(error) = refusal {
        audit_refusal(tx, school_id, by, &error, agent_id).await?;
        return Err(error);
    }
    agents::set_roles(&mut **tx, agent_id, school_id, roles).await?;
    audit::record(
        &mut **tx,
        Some(school_id),
        by.actor(),
        "agent_roles_changed",
        &format!(
            "agent:{agent_id} roles:{}->{}",
            before.codes(),
            roles.codes()
        ),
        &by.ip,
    )
    .await?;
    Ok(())
}

/// Deactivates the membership: the agent no longer reaches the school, their
/// sessions end and their unused links stop working.
pub async fn deactivate(
    tx: &mut Tx,
    school_id: i64,
    agent_id: i64,
    by: &By,
) -> Result<(), TeamError> {
    agents::lock_team(&mut **tx, school_id).await?;
    let membership = agents::membership(&mut **tx, agent_id, school_id)
        .await?
        .ok_or(TeamError::NotMember)?;
    if !membership.is_active() {
        return Ok(());
    }
    let refusal = if by.agent_id == Some(agent_id) {
        Some(TeamError::OwnDeactivation)
    } else if membership.roles().contains(Role::Admin) {
        keep_an_admin(tx, school_id, agent_id).await.err()
    } else {
        None
    };
    if let Some(error) = refusal {
        audit_refusal(tx, school_id, by, &error, agent_id).await?;
        return Err(error);
    }
    agents::set_active(&mut **tx, agent_id, school_id, false).await?;
    agents::void_links(&mut **tx, agent_id, None).await?;
    let ended = sessions::delete_all_of(&mut **tx, Owner::Agent(agent_id)).await?;
    audit::record(
        &mut **tx,
        Some(school_id),
        by.actor(),
        "agent_deactivated",
        &format!("agent:{agent_id} sessions_ended:{ended}"),
        &by.ip,
    )
    .await?;
    Ok(())
}

/// Makes a deactivated membership active again, with its roles.
pub async fn reactivate(
    tx: &mut Tx,
    school_id: i64,
    agent_id: i64,
    by: &By,
) -> Result<(), TeamError> {
    let membership = agents::membership(&mut **tx, agent_id, school_id)
        .await?
        .ok_or(TeamError::NotMember)?;
    if membership.is_active() {
        return Ok(());
    }
    agents::set_active(&mut **tx, agent_id, school_id, true).await?;
    audit::record(
        &mut **tx,
        Some(school_id),
        by.actor(),
        "agent_reactivated",
        &format!("agent:{agent_id}"),
        &by.ip,
    )
    .await?;
    Ok(())
}

/// "Mot de passe oublié": the e-mail with a one-hour link for the agent of
/// `email`, or `None` when no agent has it (the page answers the same).
pub async fn request_password_reset(
    tx: &mut Tx,
    base_url: &str,
    email: &str,
    ip: &str,
) -> sqlx::Result<Option<Email>> {
    let Some(agent) = agents::find_by_email(&mut **tx, email).await? else {
        return Ok(None);
    };
    let link = new_link(tx, base_url, agent.id, None, LinkPurpose::PasswordReset).await?;
    audit::record(
        &mut **tx,
        None,
        audit::Actor::Agent(agent.id),
        "password_reset_requested",
        "agent",
        ip,
    )
    .await?;
    Ok(Some(Email {
        to: agent.email,
        subject: "Choisir un nouveau mot de passe DossierSCO".into(),
        body_text: format!(
            "Bonjour,\n\nUne demande de nouveau mot de passe a été faite pour votre compte DossierSCO.\n\n\
             Pour choisir un nouveau mot de passe, ouvrez ce lien (il fonctionne une seule fois, pendant une heure) :\n\
             {link}\n\n\
             Si vous n'avez rien demandé, ignorez ce message : votre mot de passe actuel reste valable.\n\n\
             DossierSCO\n"
        ),
    }))
}

/// What a used link leads to.
#[derive(Debug, Clone)]
pub struct PasswordSet {
    pub agent_id: i64,
    /// The school of an invitation, where the agent lands.
    pub school_id: Option<i64>,
}

/// Sets the password of the agent of a live link of `purpose`, once: the
/// link and every other unused link of the agent stop working, and every
/// session of the agent ends (a new password shuts out whoever had the old
/// one). `None` when the link is unknown, used, voided or expired (nothing
/// is changed then).
pub async fn set_password_with_link(
    tx: &mut Tx,
    token: &str,
    purpose: LinkPurpose,
    password_hash: &str,
    ip: &str,
) -> sqlx::Result<Option<PasswordSet>> {
    let token_hash = hash_token(token);
    let Some(link) = agents::live_link(&mut **tx, &token_hash, purpose).await? else {
        return Ok(None);
    };
    if !agents::use_link(&mut **tx, &token_hash, purpose).await? {
        return Ok(None);
    }
    agents::set_password(&mut **tx, link.agent_id, password_hash).await?;
    agents::void_links(&mut **tx, link.agent_id, None).await?;
    sessions::delete_all_of(&mut **tx, Owner::Agent(link.agent_id)).await?;
    let action = match purpose {
        LinkPurpose::Invitation => "invitation_accepted",
        LinkPurpose::PasswordReset => "password_reset",
    };
    audit::record(
        &mut **tx,
        link.school_id,
        audit::Actor::Agent(link.agent_id),
        action,
        "agent",
        ip,
    )
    .await?;
    Ok(Some(PasswordSet {
        agent_id: link.agent_id,
        school_id: link.school_id,
    }))
}

/// Makes `email` an agent of `school_id` with `roles` and this password hash,
/// without a link (the demo's accounts, test fixtures): creates the agent or
/// renames them and sets their password, and sets the membership.
pub async fn upsert_agent_with_password(
    tx: &mut Tx,
    school_id: i64,
    email: &str,
    display_name: &str,
    roles: RoleSet,
    password_hash: &str,
) -> Result<i64, TeamError> {
    if roles.is_empty() {
        return Err(TeamError::NoRole);
    }
    let agent_id = match agents::find_by_email(&mut **tx, email).await? {
        Some(agent) => {
            agents::update_name_and_password(&mut **tx, agent.id, display_name, password_hash)
                .await?;
            agent.id
        }
        None => {
            agents::create(
                &mut **tx,
                school_id,
                email,
                display_name,
                Some(password_hash),
            )
            .await?
        }
    };
    agents::upsert_membership(&mut **tx, agent_id, school_id, roles).await?;
    Ok(agent_id)
}
