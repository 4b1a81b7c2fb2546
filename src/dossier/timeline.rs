//! A dossier's timeline on the school's page: every event read by
//! `db::timeline::of_dossier` (state changes, sign-ins, saves, uploads,
//! decisions, messages, codes, what an agent did at the desk with the
//! family), in words, **newest first**: a secretary opens a dossier to see
//! what happened since she last looked (the family answered the send-back?
//! the reminder bounced?), so the latest event is at the top and the
//! dossier's beginnings, weeks old, at the bottom.
//!
//! Medical information never appears: a save of the health step reads
//! « Santé enregistrée », with how the family gives it (online, sealed) for
//! the nurse only; the note itself is never read here.

use std::collections::HashMap;

use crate::db::audit::ASSISTED;
use crate::db::timeline::{AuditRow, Sources};
use crate::domain::dossier_state::DossierState;
use crate::domain::fields::{self, Section};
use crate::domain::journey::Step;
use crate::domain::questions::Question;
use crate::domain::words;

/// One event as the school reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Unix milliseconds.
    pub at: i64,
    /// « 12/06/2026 à 14:05 », Paris time.
    pub when: String,
    /// The instant for `<time datetime>` (UTC, ISO 8601).
    pub datetime: String,
    /// What happened, in a few words.
    pub what: String,
    /// Who did it: a guardian's name, an agent's name (« (au guichet, avec la
    /// famille) » at the desk), « la famille », « l'établissement » or
    /// « l'application ».
    pub who: String,
    /// A short detail (may be empty).
    pub detail: String,
}

/// Who acted when the family's tables do not say which guardian.
pub const FAMILY: &str = "la famille";
/// Messages and codes made by the school without a named agent.
pub const SCHOOL: &str = "l'établissement";
/// What the application did by itself.
pub const SYSTEM: &str = "l'application";
/// Saves of the same step by the same guardian this close together are one
/// event (the tables keep each value's last save, not each save).
const SAVE_GAP_MS: i64 = 30 * 60 * 1000;
/// A code is « made at the desk or by letter » unless an audited issue of it
/// (with its agent) is this close.
const CODE_GAP_MS: i64 = 60 * 1000;

/// The agent's name as the timeline shows it, marked when they acted at the
/// desk with the family (an audit row's `mode`).
pub fn agent_actor(name: Option<&str>, mode: &str) -> String {
    let name = name.unwrap_or("un agent");
    if mode == ASSISTED {
        format!("{name} (au guichet, avec la famille)")
    } else {
        name.to_owned()
    }
}

/// The events of `sources`, newest first. `questions` names the school's own
/// questions; `can_read_medical` adds how the family gives health
/// information (never the information).
pub fn assemble(sources: &Sources, questions: &[Question], can_read_medical: bool) -> Vec<Event> {
    let names: HashMap<i64, String> = sources
        .members
        .iter()
        .map(|m| {
            (
                m.id,
                words::person(&m.civility, &m.first_name, &m.last_name),
            )
        })
        .collect();
    let guardian = |id: Option<i64>| {
        id.and_then(|id| names.get(&id).cloned())
            .unwrap_or_else(|| FAMILY.to_owned())
    };
    let mut out: Vec<Event> = Vec::new();
    let mut push = |at: i64, what: String, who: String, detail: String| {
        out.push(Event {
            at,
            when: words::paris_time(at),
            datetime: chrono::DateTime::from_timestamp_millis(at)
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default(),
            what,
            who,
            detail,
        });
    };

    for t in &sources.transitions {
        let from = state_words(&t.from_state);
        let to = t.to_state.parse::<DossierState>().ok();
        let what = match to {
            Some(DossierState::Started) => "Dossier ouvert",
            Some(DossierState::Submitted) => "Dossier envoyé à l'établissement",
            Some(DossierState::Returned) => "Dossier renvoyé à la famille",
            Some(DossierState::Validated) => "Dossier validé",
            Some(DossierState::Leaving) => "Départ de l'établissement",
            Some(DossierState::NotStarted) | None => "Changement d'état",
        };
        let who = match t.actor_kind.as_str() {
            "guardian" => guardian(t.actor_id),
            "agent" => agent_actor(t.agent_name.as_deref(), ""),
            _ => SYSTEM.to_owned(),
        };
        let mut detail = format!("État : {from} → {}", state_words(&t.to_state));
        if !t.reason.is_empty() {
            detail.push_str(&format!(" ; motif : {}", t.reason));
        }
        push(t.created_at, what.to_owned(), who, detail);
    }

    for m in &sources.messages {
        let kind = crate::notify::Kind::label(&m.kind);
        let channel = crate::notify::Channel::label(&m.channel);
        let mut detail = format!(
            "{channel} à {} : {}",
            guardian(Some(m.guardian_id)),
            crate::notify::status_label(&m.status)
        );
        if !m.failure.is_empty() {
            detail.push_str(&format!(" ({})", m.failure));
        }
        let who = if m.kind == "receipt" { SYSTEM } else { SCHOOL };
        push(
            m.created_at,
            format!("Message envoyé : {}", lower_first(kind)),
            who.to_owned(),
            detail,
        );
    }

    for d in &sources.decisions {
        let accepted = d.decision == "accepted";
        let mut detail = format!("{} : {}", d.label, d.proposed_words);
        if !accepted && !d.reason.is_empty() {
            detail.push_str(&format!(" ; motif : {}", d.reason));
        }
        push(
            d.decided_at,
            if accepted {
                "Modification acceptée"
            } else {
                "Modification refusée"
            }
            .to_owned(),
            agent_actor(d.agent_name.as_deref(), ""),
            detail,
        );
    }

    for u in &sources.uploads {
        push(
            u.created_at,
            "Pièce envoyée".to_owned(),
            guardian(u.guardian_id),
            format!("{} : « {} »", u.label, u.original_name),
        );
    }

    // Saves: grouped per guardian and step when close in time.
    let mut saves: Vec<_> = sources.saves.iter().collect();
    saves.sort_by_key(|s| (s.guardian_id, save_step(&s.source, &s.key).index(), s.at));
    let mut group: Option<(Option<i64>, Step, i64, Vec<String>)> = None;
    let flush = |group: Option<(Option<i64>, Step, i64, Vec<String>)>,
                 push: &mut dyn FnMut(i64, String, String, String)| {
        if let Some((who, step, at, labels)) = group {
            let (what, detail) = match step {
                Step::Sante => (
                    "Santé enregistrée".to_owned(),
                    if can_read_medical {
                        labels.join(", ")
                    } else {
                        String::new()
                    },
                ),
                Step::ContactsUrgence => ("Contact d'urgence ajouté".to_owned(), labels.join(", ")),
                _ => (
                    format!("Étape « {} » enregistrée", step.title()),
                    labels.join(", "),
                ),
            };
            push(at, what, guardian(who), detail);
        }
    };
    for s in saves {
        let step = save_step(&s.source, &s.key);
        let label = save_label(&s.source, &s.key, questions);
        match &mut group {
            Some((who, g_step, at, labels))
                if *who == s.guardian_id && *g_step == step && s.at - *at <= SAVE_GAP_MS =>
            {
                *at = s.at;
                if !labels.contains(&label) {
                    labels.push(label);
                }
            }
            _ => {
                flush(group.take(), &mut push);
                group = Some((s.guardian_id, step, s.at, vec![label]));
            }
        }
    }
    flush(group.take(), &mut push);

    let uploads: HashMap<i64, &crate::db::timeline::UploadRow> =
        sources.uploads.iter().map(|u| (u.id, u)).collect();
    let mut codes_seen: Vec<(i64, i64)> = Vec::new();
    for a in &sources.audit {
        let who = audit_actor(a, &guardian);
        let (what, detail) = match a.action.as_str() {
            "sign_in" => ("Connexion".to_owned(), "avec le code personnel".to_owned()),
            "sign_in_link" => (
                "Connexion".to_owned(),
                "avec le lien reçu par message".to_owned(),
            ),
            "sign_in_failed" => (
                "Connexion refusée".to_owned(),
                "date de naissance incorrecte".to_owned(),
            ),
            "sign_in_code_locked" => (
                "Code personnel bloqué".to_owned(),
                "trop d'essais incorrects ; il se débloque seul après un délai".to_owned(),
            ),
            "access_code_reissued" | "code_request_issued" => {
                let to = subject_id(&a.subject, "guardian:");
                if let Some(to) = to {
                    codes_seen.push((to, a.created_at));
                }
                (
                    "Nouveau code personnel donné".to_owned(),
                    if a.action == "code_request_issued" {
                        format!("à {} (code perdu)", guardian(to))
                    } else {
                        format!("à {}", guardian(to))
                    },
                )
            }
            "upload_decision" => {
                let mut parts = a.subject.trim_start_matches("upload:").split(':');
                let id = parts.next().and_then(|i| i.parse::<i64>().ok());
                let accepted = parts.next() == Some("accepted");
                let piece = id
                    .and_then(|id| uploads.get(&id))
                    .map(|u| format!("{} : « {} »", u.label, u.original_name))
                    .unwrap_or_default();
                (
                    if accepted {
                        "Pièce acceptée"
                    } else {
                        "Pièce refusée"
                    }
                    .to_owned(),
                    piece,
                )
            }
            "upload_removed" => ("Fichier retiré".to_owned(), String::new()),
            "dossier_saved" => {
                let step = a
                    .subject
                    .split(' ')
                    .find_map(|p| p.strip_prefix("etape:"))
                    .and_then(|p| p.split('/').next())
                    .and_then(Step::from_slug);
                let what = match step {
                    Some(Step::Sante) => "Santé enregistrée".to_owned(),
                    Some(step) => format!("Étape « {} » enregistrée", step.title()),
                    None => "Dossier enregistré".to_owned(),
                };
                let on_behalf = subject_id(&a.subject, "responsable:");
                let detail = on_behalf
                    .map(|g| format!("pour {}", guardian(Some(g))))
                    .unwrap_or_default();
                (what, detail)
            }
            "next_mef_chosen" => match &a.mef_label {
                Some(label) => (
                    "Formation de l'an prochain choisie".to_owned(),
                    words::class_level(label),
                ),
                None => (
                    "Formation de l'an prochain : retour à celle prévue".to_owned(),
                    "passage prévu par la campagne, ou redoublement si l'élève est parmi les redoublants"
                        .to_owned(),
                ),
            },
            "provenance_chosen" => (
                "Provenance de l'élève choisie".to_owned(),
                a.provenance_label
                    .as_deref()
                    .map(words::sentence_case)
                    .unwrap_or_default(),
            ),
            _ => continue,
        };
        push(a.created_at, what, who, detail);
    }

    for m in &sources.members {
        if let Some(at) = m.access_code_issued_at {
            let audited = codes_seen
                .iter()
                .any(|(g, t)| *g == m.id && (t - at).abs() <= CODE_GAP_MS);
            if !audited {
                push(
                    at,
                    "Code personnel créé".to_owned(),
                    SCHOOL.to_owned(),
                    format!("pour {} (courrier ou au guichet)", names[&m.id]),
                );
            }
        }
    }

    // Newest first; equal instants keep the order above.
    out.sort_by_key(|e| std::cmp::Reverse(e.at));
    out
}

/// Who acted in an audit row: an agent at the desk is marked as such
/// (data-driven: the row's actor kind and mode).
fn audit_actor(a: &AuditRow, guardian: &dyn Fn(Option<i64>) -> String) -> String {
    match a.actor_kind.as_str() {
        "guardian" => guardian(a.actor_id),
        "agent" => agent_actor(a.agent_name.as_deref(), &a.mode),
        _ => SYSTEM.to_owned(),
    }
}

/// The number after `prefix` in an audit subject (`guardian:12`).
fn subject_id(subject: &str, prefix: &str) -> Option<i64> {
    subject
        .split(' ')
        .find_map(|p| p.strip_prefix(prefix))
        .and_then(|p| p.parse().ok())
}

fn state_words(code: &str) -> &'static str {
    code.parse::<DossierState>()
        .map_or("inconnu", DossierState::label)
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The step of the journey where a saved value is entered.
fn save_step(source: &str, key: &str) -> Step {
    match source {
        "pupil" => Step::Eleve,
        "guardian" => Step::Responsables,
        "medical" => Step::Sante,
        "contact" => Step::ContactsUrgence,
        _ if key.starts_with("group_") => Step::Scolarite,
        _ => match fields::find(key).map(|f| f.section) {
            Some(Section::Schooling) => Step::Scolarite,
            Some(Section::Health) => Step::Sante,
            _ => Step::VieScolaire,
        },
    }
}

/// What was saved, in words: a field's label, a contact's name, how health
/// information is given (shown to the nurse only).
fn save_label(source: &str, key: &str, questions: &[Question]) -> String {
    match source {
        "medical" => match key {
            "online" => "saisie en ligne",
            "sealed" => "remise sous pli fermé à l'infirmerie",
            _ => "rien à signaler",
        }
        .to_owned(),
        "contact" => key.to_owned(),
        _ if key.starts_with("group_") => fields::label("options").to_owned(),
        _ => fields::label_with(key, questions),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::timeline::{Member, SaveRow};

    fn member(id: i64) -> Member {
        Member {
            id,
            civility: "MME".into(),
            first_name: "Inès".into(),
            last_name: "MARTIN".into(),
            access_code_issued_at: None,
        }
    }

    #[test]
    fn the_health_step_reads_only_health_saved_but_for_the_nurse() {
        let sources = Sources {
            members: vec![member(1)],
            saves: vec![SaveRow {
                at: 1_000,
                guardian_id: Some(1),
                source: "medical".into(),
                key: "online".into(),
            }],
            ..Sources::default()
        };
        let staff = assemble(&sources, &[], false);
        assert_eq!(staff.len(), 1);
        assert_eq!(staff[0].what, "Santé enregistrée");
        assert_eq!(staff[0].detail, "");
        let nurse = assemble(&sources, &[], true);
        assert_eq!(nurse[0].detail, "saisie en ligne");
    }

    #[test]
    fn saves_of_one_step_close_in_time_are_one_event_newest_first() {
        let save = |at, source: &str, key: &str| SaveRow {
            at,
            guardian_id: Some(1),
            source: source.into(),
            key: key.into(),
        };
        let sources = Sources {
            members: vec![member(1)],
            saves: vec![
                save(1_000, "pupil", "first_name"),
                save(2_000, "pupil", "birth_city"),
                save(10_000_000, "guardian", "email"),
            ],
            ..Sources::default()
        };
        let events = assemble(&sources, &[], false);
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].what, "Étape « Responsables » enregistrée");
        assert_eq!(events[1].what, "Étape « Élève » enregistrée");
        assert_eq!(events[1].detail, "Prénom, Commune de naissance");
        assert_eq!(events[1].who, "Madame Inès MARTIN");
        assert_eq!(events[1].at, 2_000);
    }
}
