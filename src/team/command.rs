//! The operator's commands: `dossiersco school add` (a school and its first
//! admin, invited by e-mail) and `dossiersco school list`.

use std::fmt::Write;

use anyhow::Context;

use super::{By, invite};
use crate::db::{Db, is_unique_violation, schools};
use crate::domain::{Academy, Role, RoleSet, Uai};
use crate::jobs;
use crate::mail::{Mailer, SendEmailJob};

/// What `school add` asks for.
#[derive(Debug, Clone)]
pub struct NewSchool {
    pub uai: String,
    pub name: String,
    pub admin_email: String,
    pub academy: Option<String>,
}

/// What `school add` did.
#[derive(Debug, Clone)]
pub struct SchoolAdded {
    pub uai: String,
    pub name: String,
    pub link: String,
    /// Whether the e-mail left now (otherwise it waits in the job queue for
    /// the server's worker).
    pub emailed: bool,
}

/// The input of `school add`, checked; each refusal says what is wrong.
fn check(new: &NewSchool) -> anyhow::Result<(Uai, String, String)> {
    let typed = new.uai.trim().to_ascii_uppercase();
    let uai: Uai = typed.parse().map_err(|_| {
        let hint = if typed.len() == 8 {
            Uai::key_for(&typed[..7])
                .map(|key| format!(" (la lettre clé de {} est {key})", &typed[..7]))
                .unwrap_or_default()
        } else {
            String::new()
        };
        anyhow::anyhow!(
            "UAI {typed} refusé : un UAI compte 7 chiffres suivis de sa lettre clé{hint}"
        )
    })?;
    let academy = match new.academy.as_deref().map(str::trim) {
        None | Some("") => String::new(),
        Some(code) => Academy::from_code(code)
            .map(|a| a.code.to_owned())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "académie {code} inconnue : codes acceptés {}",
                    crate::domain::academy::ACADEMIES
                        .iter()
                        .map(|a| format!("{} ({})", a.code, a.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?,
    };
    let name = new.name.trim().to_owned();
    if name.is_empty() {
        anyhow::bail!("nom de l'établissement manquant (--name)");
    }
    let email = new.admin_email.trim();
    if email.len() < 3 || !email.contains('@') || email.contains(char::is_whitespace) {
        anyhow::bail!("adresse électronique de la direction invalide : {email}");
    }
    Ok((uai, academy, name))
}

/// `dossiersco school add`: creates the school and its first admin, and
/// e-mails the admin a one-time invitation link (also returned, to print).
pub async fn add_school(
    db: &Db,
    mailer: &Mailer,
    base_url: &str,
    new: &NewSchool,
) -> anyhow::Result<SchoolAdded> {
    let (uai, academy, name) = check(new)?;
    let mut tx = db.begin().await?;
    let school_id = match schools::create(&mut *tx, uai.as_str(), &name, &academy).await {
        Ok(id) => id,
        Err(err) if is_unique_violation(&err) => {
            anyhow::bail!("un établissement a déjà l'UAI {uai}")
        }
        Err(err) => return Err(err.into()),
    };
    let school = schools::find(&mut *tx, school_id)
        .await?
        .context("the school just created")?;
    let invitation = invite(
        &mut tx,
        base_url,
        &school,
        &new.admin_email,
        "Direction",
        RoleSet::of(&[Role::Admin]),
        &By::operator(),
    )
    .await?;
    crate::db::audit::record(
        &mut *tx,
        Some(school_id),
        crate::db::audit::Actor::System,
        "school_created",
        uai.as_str(),
        "",
    )
    .await?;
    tx.commit().await?;
    let link = invitation
        .link
        .clone()
        .context("a new admin has no password yet")?;
    // Sent now, so that the operator knows; if the mail server refuses, the
    // message waits in the job queue for the server's worker.
    let emailed = match mailer.send(&invitation.email, None).await {
        Ok(()) => true,
        Err(err) => {
            tracing::warn!(error = %format!("{err:#}"), "invitation not sent now; queued");
            jobs::enqueue(
                db.pool(),
                &SendEmailJob::new(invitation.email),
                None,
                Some(school_id),
            )
            .await?;
            false
        }
    };
    Ok(SchoolAdded {
        uai: uai.to_string(),
        name,
        link,
        emailed,
    })
}

/// What `school add` prints.
pub fn added_text(added: &SchoolAdded, admin_email: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "établissement créé : {} {}", added.uai, added.name);
    if added.emailed {
        let _ = writeln!(out, "invitation envoyée à {admin_email}");
    } else {
        let _ = writeln!(
            out,
            "invitation pour {admin_email} en file d'attente (le serveur l'enverra)"
        );
    }
    let _ = writeln!(
        out,
        "lien d'invitation (une seule fois, 7 jours) : {}",
        added.link
    );
    out
}

/// `dossiersco school list`: one line per school (UAI, name, académie,
/// active agents), tab-separated under a header.
pub async fn list_text(db: &Db) -> anyhow::Result<String> {
    let mut out = String::from("UAI\tnom\tacadémie\tagents\n");
    for school in schools::list_with_agent_counts(db.pool()).await? {
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}",
            school.uai,
            school.name,
            Academy::describe(&school.academy),
            school.agents
        );
    }
    Ok(out)
}
