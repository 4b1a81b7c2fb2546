//! Telling families of refused pieces (issue 13): never one message per
//! refusal, but one per guardian listing every refused piece of their
//! children not told yet, each with its reason, with a single-use sign-in
//! link to the page where the family replaces just those pieces. Sent when
//! the school has decided on all of a dossier's pieces, when an agent asks
//! (« Prévenir la famille »), or for the whole school from the queue
//! (« Envoyer les refus »). A refusal is told once: a second sending finds
//! nothing new.

use std::collections::{BTreeSet, HashMap};

use crate::auth::sign_in_links;
use crate::db::{self, SchoolScope, Tx, now_ms, piece_queue};
use crate::dossier::messages::{PiecesRefused, SchoolContact};
use crate::mail::Email;
use crate::notify::{self, Kind, Message, Recipient};
use crate::settings::Settings;
use crate::sms::{self, Sms};

/// What a sending did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Told {
    /// The pupils whose refusals were told.
    pub dossiers: usize,
    /// Messages queued (one per guardian reached).
    pub messages: usize,
    /// Guardians with neither a usable address nor a mobile number.
    pub without_contact: usize,
}

/// The family's page to replace the refused pieces of a dossier.
pub fn replace_path(dossier_id: i64) -> String {
    format!("/famille/dossiers/{dossier_id}/pieces-a-remplacer")
}

/// One guardian to write to.
struct ToTell {
    guardian_id: i64,
    email: String,
    phone: String,
    /// The first dossier named (the message is recorded against it).
    dossier_id: i64,
    dossiers: BTreeSet<i64>,
    children: Vec<(String, Vec<(String, String)>)>,
    uploads: Vec<i64>,
}

/// Tells, in `tx`, the refusals not told yet of the school (of the guardians
/// of `dossier_id` only, if given): one message per guardian, by e-mail if
/// they have a usable address, else by SMS. Refusals no guardian could be
/// written to stay untold.
pub async fn tell(
    tx: &mut Tx,
    settings: &Settings,
    scope: SchoolScope,
    school: &SchoolContact,
    dossier_id: Option<i64>,
) -> anyhow::Result<Told> {
    let rows = piece_queue::untold_refusals(&mut **tx, scope, dossier_id).await?;
    let mut order: Vec<i64> = Vec::new();
    let mut by_guardian: HashMap<i64, ToTell> = HashMap::new();
    for row in rows {
        let guardian = by_guardian.entry(row.guardian_id).or_insert_with(|| {
            order.push(row.guardian_id);
            ToTell {
                guardian_id: row.guardian_id,
                email: row.email.clone(),
                phone: row.phone_mobile.clone(),
                dossier_id: row.dossier_id,
                dossiers: BTreeSet::new(),
                children: Vec::new(),
                uploads: Vec::new(),
            }
        });
        let child = format!("{} {}", row.pupil_first_name, row.pupil_last_name);
        guardian.dossiers.insert(row.dossier_id);
        guardian.uploads.push(row.upload_id);
        let piece = (row.label, row.refusal_reason);
        match guardian.children.iter_mut().find(|(c, _)| *c == child) {
            Some((_, pieces)) => pieces.push(piece),
            None => guardian.children.push((child, vec![piece])),
        }
    }
    let mut told = Told::default();
    let mut reached: BTreeSet<i64> = BTreeSet::new();
    let mut dossiers: BTreeSet<i64> = BTreeSet::new();
    let expires = crate::domain::words::paris_time(
        now_ms() + i64::from(settings.sign_in_link_days) * 24 * 3600 * 1000,
    );
    for guardian_id in order {
        let Some(guardian) = by_guardian.remove(&guardian_id) else {
            continue;
        };
        let email = crate::reminders::usable_email(&guardian.email);
        let phone = sms::french_mobile(&guardian.phone).map(|_| guardian.phone.clone());
        if email.is_none() && phone.is_none() {
            told.without_contact += 1;
            continue;
        }
        let next = match guardian.dossiers.len() {
            1 => replace_path(guardian.dossier_id),
            _ => "/famille".to_owned(),
        };
        let token = sign_in_links::issue_to(
            &mut *tx,
            guardian.guardian_id,
            settings.sign_in_link_days,
            Some(&next),
        )
        .await?;
        let link = sign_in_links::url(&settings.base_url, &token);
        let text = PiecesRefused {
            children: &guardian.children,
            school,
            link: &link,
            token: &token,
            expires: &expires,
            base_url: &settings.base_url,
        };
        let message = match (email, phone) {
            (Some(to), _) => {
                let (subject, body_text) = text.email();
                Message::Email(Email {
                    to,
                    subject,
                    body_text,
                })
            }
            (None, Some(to)) => Message::Sms(Sms {
                to,
                text: text.sms(),
            }),
            (None, None) => continue,
        };
        let to = Recipient {
            school_id: scope.id(),
            guardian_id: guardian.guardian_id,
            dossier_id: Some(guardian.dossier_id),
            batch_id: None,
        };
        notify::send(&mut *tx, &to, Kind::PiecesRefused, &message).await?;
        told.messages += 1;
        reached.extend(guardian.uploads);
        dossiers.extend(guardian.dossiers);
    }
    let reached: Vec<i64> = reached.into_iter().collect();
    // Told once: another agent's sending that told them first wins (this
    // one is then rolled back by the caller).
    if piece_queue::mark_told(&mut **tx, &reached, now_ms()).await? != reached.len() as u64 {
        anyhow::bail!(AlreadyTold);
    }
    told.dossiers = dossiers.len();
    Ok(told)
}

/// Another sending told these refusals meanwhile.
#[derive(Debug, thiserror::Error)]
#[error("these refusals were told meanwhile")]
pub struct AlreadyTold;

/// [`tell`] in its own transaction; nothing new when another sending told
/// the same refusals at the same time.
pub async fn tell_now(
    db: &db::Db,
    settings: &Settings,
    scope: SchoolScope,
    school: &SchoolContact,
    dossier_id: Option<i64>,
) -> anyhow::Result<Told> {
    let mut tx = db.begin().await?;
    match tell(&mut tx, settings, scope, school, dossier_id).await {
        Ok(told) => {
            tx.commit().await?;
            Ok(told)
        }
        Err(err) if err.is::<AlreadyTold>() => Ok(Told::default()),
        Err(err) => Err(err),
    }
}
