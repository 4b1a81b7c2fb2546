//! This year's dossiers in every state (issue 13), so that the back-office
//! list, the dashboard's curve, the pieces queue, the dossier timeline and
//! the return file have something to show: dossiers not started, started
//! (some with health information), sent without a change (to validate in
//! bulk, so with no piece), sent with two changes to decide (a phone and an
//! e-mail address) and pieces to check, sent back with a
//! refused change and a refused piece, validated with accepted changes (one
//! with a rejected change too), and pupils leaving. Their events are spread
//! over the two weeks since the campaign opened. Deterministic: the kind of
//! each dossier follows its rank; the featured families' dossiers stay as
//! they are, for the visitor to fill.

use bytes::Bytes;

use crate::app::AppState;
use crate::db::{Tx, now_ms};
use crate::domain::words;

const DAY: i64 = 24 * 60 * 60 * 1000;
const HOUR: i64 = 60 * 60 * 1000;
/// The demo's address in the trail.
const IP: &str = "192.0.2.10";

/// What happens to one dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    NotStarted,
    Started,
    StartedWithHealth,
    SubmittedUnchanged,
    SubmittedWithChanges,
    SubmittedWithPiece,
    ValidatedUnchanged,
    Returned,
    ValidatedWithChanges,
    ValidatedWithRejected,
    Leaving,
}

/// The kind of the dossier of rank `i` (featured families left out), over a
/// cycle of 20.
fn kind(i: usize) -> Kind {
    match i % 20 {
        0..=4 => Kind::NotStarted,
        5..=6 => Kind::Started,
        7 => Kind::StartedWithHealth,
        8..=9 => Kind::SubmittedUnchanged,
        10 => Kind::ValidatedUnchanged,
        11 => Kind::SubmittedWithPiece,
        12..=13 => Kind::SubmittedWithChanges,
        14 => Kind::Returned,
        15..=17 => Kind::ValidatedWithChanges,
        18 => Kind::ValidatedWithRejected,
        _ => Kind::Leaving,
    }
}

/// A guardian's field the family changes in the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Phone,
    Email,
}

/// Who decides on a sent dossier.
#[derive(Debug, Clone, Copy)]
enum By {
    Secretariat,
    Direction,
}

/// What an agent decides on a change: its field, the decision and its
/// reason.
type Decision = (Field, &'static str, &'static str);

/// How a dossier's story ends, after the school's decisions.
struct End {
    to: &'static str,
    reason: &'static str,
    /// When, after the decisions.
    after: i64,
}

/// A dossier's story, step by step: the family's part, then the school's.
struct Story {
    /// How far the family went in the form.
    furthest_step: &'static str,
    /// The family filled in the health information.
    health: bool,
    /// The changes the family proposes (none unless it sends the dossier).
    changes: &'static [Field],
    /// The family sent the dossier (with one piece, if the school expects
    /// any and `sends_piece`).
    sent: bool,
    /// A piece is a change for the list: the dossiers sent without a change
    /// send none, so that they can be validated in bulk.
    sends_piece: bool,
    by: By,
    decisions: &'static [Decision],
    /// The decision on the piece sent and its reason.
    piece: Option<(&'static str, &'static str)>,
    /// The school's transition, if any; a dossier sent back also gets its
    /// message and its reason.
    end: Option<End>,
    /// The state the dossier ends in.
    state: &'static str,
}

const STARTED: Story = Story {
    furthest_step: "scolarite",
    health: false,
    changes: &[],
    sent: false,
    sends_piece: true,
    by: By::Secretariat,
    decisions: &[],
    piece: None,
    end: None,
    state: "started",
};

const SUBMITTED: Story = Story {
    furthest_step: "confirmation",
    sent: true,
    state: "submitted",
    ..STARTED
};

const VALIDATED: End = End {
    to: "validated",
    reason: "",
    after: HOUR,
};

const PHONE_ACCEPTED: Decision = (Field::Phone, "accepted", "");

/// Each kind's story.
fn story(kind: Kind) -> Story {
    match kind {
        Kind::NotStarted => Story {
            state: "not_started",
            ..STARTED
        },
        Kind::Started => STARTED,
        Kind::StartedWithHealth => Story {
            furthest_step: "pieces",
            health: true,
            ..STARTED
        },
        Kind::SubmittedUnchanged => Story {
            sends_piece: false,
            ..SUBMITTED
        },
        Kind::SubmittedWithPiece => SUBMITTED,
        // Two changes, so that the school can accept one and reject the other.
        Kind::SubmittedWithChanges => Story {
            changes: &[Field::Phone, Field::Email],
            ..SUBMITTED
        },
        Kind::ValidatedUnchanged => Story {
            piece: Some(("accepted", "")),
            end: Some(End {
                after: 0,
                ..VALIDATED
            }),
            state: "validated",
            ..SUBMITTED
        },
        Kind::Returned => Story {
            changes: &[Field::Phone, Field::Email],
            decisions: &[
                PHONE_ACCEPTED,
                (
                    Field::Email,
                    "rejected",
                    "Cette adresse n'existe pas : vérifiez-la.",
                ),
            ],
            piece: Some((
                "refused",
                "Document illisible : envoyez une photo plus nette.",
            )),
            end: Some(End {
                to: "returned",
                reason: "Merci de corriger votre adresse électronique et de renvoyer la pièce refusée.",
                after: HOUR,
            }),
            state: "returned",
            ..SUBMITTED
        },
        Kind::ValidatedWithChanges => Story {
            changes: &[Field::Phone],
            by: By::Direction,
            decisions: &[PHONE_ACCEPTED],
            piece: Some(("accepted", "")),
            end: Some(VALIDATED),
            state: "validated",
            ..SUBMITTED
        },
        Kind::ValidatedWithRejected => Story {
            changes: &[Field::Phone, Field::Email],
            decisions: &[
                PHONE_ACCEPTED,
                (
                    Field::Email,
                    "rejected",
                    "Adresse déjà utilisée par un autre responsable.",
                ),
            ],
            ..story(Kind::ValidatedWithChanges)
        },
        Kind::Leaving => Story {
            end: Some(End {
                to: "leaving",
                reason: "Déménagement en province",
                after: 0,
            }),
            state: "leaving",
            ..SUBMITTED
        },
    }
}

/// A dossier of the campaign with its first guardian.
#[derive(sqlx::FromRow)]
struct Row {
    dossier_id: i64,
    guardian_id: i64,
    phone_mobile: String,
    email: String,
    /// How many children the guardian has here: a guardian's changes are
    /// shared by siblings, so only only-children's dossiers get changes.
    children: i64,
    /// The pupil's MEF this year: a pupil in the collège's last year has no
    /// next year here, so the demo validates none of them with changes.
    mef_code: String,
}

/// The agents who act in the demo's dossiers.
struct Agents {
    secretariat: i64,
    direction: i64,
}

impl Agents {
    fn id(&self, by: By) -> i64 {
        match by {
            By::Secretariat => self.secretariat,
            By::Direction => self.direction,
        }
    }
}

/// Seeds the states of the current campaign's dossiers (`campaign_id`), once,
/// when the demo school is created. Pieces are stored in the documents
/// store.
pub(super) async fn seed_states(
    state: &AppState,
    tx: &mut Tx,
    school_id: i64,
    campaign_id: i64,
) -> anyhow::Result<()> {
    let now = now_ms();
    let agents = Agents {
        secretariat: agent(tx, "secretariat@demo.dossiersco.fr").await?,
        direction: agent(tx, "direction@demo.dossiersco.fr").await?,
    };
    let documents: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, label FROM expected_documents WHERE school_id = $1 ORDER BY id")
            .bind(school_id)
            .fetch_all(&mut **tx)
            .await?;
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT d.id AS dossier_id, g.id AS guardian_id, g.phone_mobile, g.email,
                (SELECT COUNT(*) FROM guardianships o WHERE o.guardian_id = g.id) AS children,
                p.siecle_mef_code AS mef_code
         FROM dossiers d JOIN pupils p ON p.id = d.pupil_id
         JOIN guardianships l ON l.pupil_id = d.pupil_id AND l.rank = 1
         JOIN guardians g ON g.id = l.guardian_id
         WHERE d.campaign_id = $1 ORDER BY d.id",
    )
    .bind(campaign_id)
    .fetch_all(&mut **tx)
    .await?;
    // The featured families (Martin, Dubois: the first three pupils) stay
    // not started.
    for (i, row) in rows.iter().enumerate().skip(3) {
        let mut story = story(kind(i - 3));
        if !story.changes.is_empty() && row.children > 1 {
            story = self::story(Kind::NotStarted);
        }
        // A 3e's next year is not here: its validated changes would have no
        // MEF to go to SIECLE with (the return file blocks on it).
        if story.state == "validated"
            && !story.changes.is_empty()
            && crate::domain::mef_succession::is_last_level(&row.mef_code)
        {
            story = self::story(Kind::SubmittedWithChanges);
        }
        if story.state == "not_started" {
            continue;
        }
        // Opened between 13 and 2 days ago; sent a day later; decided half a
        // day after that.
        let opened = now - (2 + (i as i64 * 5) % 12) * DAY - (i as i64 % 9) * HOUR;
        let sent = opened + DAY - 3 * HOUR;
        let decided = sent + 12 * HOUR;
        let mut d = Dossier {
            tx: &mut *tx,
            school_id,
            id: row.dossier_id,
            guardian: row.guardian_id,
        };
        d.sign_in(opened).await?;
        d.transition("not_started", "started", Actor::Guardian, "", opened)
            .await?;
        d.progress(story.furthest_step, opened + HOUR).await?;
        if story.health {
            d.health(opened + 2 * HOUR).await?;
        }
        if !story.sent {
            d.set_state(story.state, None).await?;
            continue;
        }
        // Sent by the family.
        let phone = format!("07{:08}", 10_000_000 + i * 7_919 % 90_000_000);
        let email = format!("nouvelle.adresse.{i}@exemple.fr");
        // A field's key, SIECLE's value, the new value and its words.
        let gid = row.guardian_id;
        let field = |f: Field| match f {
            Field::Phone => (
                "phone_mobile",
                row.phone_mobile.as_str(),
                phone.as_str(),
                "Téléphone portable",
                words::phone(&phone),
            ),
            Field::Email => (
                "email",
                row.email.as_str(),
                email.as_str(),
                "Adresse électronique",
                email.clone(),
            ),
        };
        for &f in story.changes {
            let (key, before, after, _, _) = field(f);
            d.guardian_change(key, before, after, opened + 2 * HOUR)
                .await?;
        }
        let piece = match documents.get(i % documents.len().max(1)) {
            Some((doc, label)) if story.sends_piece => {
                Some(d.upload(state, *doc, label, opened + 3 * HOUR).await?)
            }
            _ => None,
        };
        d.transition("started", "submitted", Actor::Guardian, "", sent)
            .await?;
        d.message("receipt", &row.email, "sent", sent).await?;
        let agent = agents.id(story.by);
        for &(f, decision, reason) in story.decisions {
            let (key, _, value, label, value_words) = field(f);
            d.decision(
                &format!("guardian:{gid}:{key}"),
                value,
                label,
                &value_words,
                decision,
                reason,
                agent,
                decided,
            )
            .await?;
        }
        if let (Some(piece), Some((status, reason))) = (piece, story.piece) {
            d.piece_decision(piece, status, reason, agent, decided)
                .await?;
        }
        if let Some(end) = &story.end {
            let at = decided + end.after;
            d.transition("submitted", end.to, Actor::Agent(agent), end.reason, at)
                .await?;
            if end.to == "returned" {
                d.message("returned", &row.email, "delivered", at).await?;
                sqlx::query("UPDATE dossiers SET return_reason = $2 WHERE id = $1")
                    .bind(d.id)
                    .bind(end.reason)
                    .execute(&mut **d.tx)
                    .await?;
            }
        }
        d.set_state(story.state, Some(sent)).await?;
    }
    Ok(())
}

async fn agent(tx: &mut Tx, email: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT id FROM agents WHERE email = $1")
        .bind(email)
        .fetch_one(&mut **tx)
        .await?)
}

/// The school year's dates, the divisions and an applied import of SIECLE's
/// exports of the current school year (`year - 1`), as a school that
/// imported them has: the return file reads them (never the clock).
pub(super) async fn seed_return_file_settings(
    tx: &mut Tx,
    school_id: i64,
    campaign_id: i64,
    year: i64,
) -> anyhow::Result<()> {
    let exports_year = year - 1;
    sqlx::query("UPDATE campaigns SET classes_start_on = $2, classes_end_on = $3 WHERE id = $1")
        .bind(campaign_id)
        .bind(format!("{exports_year}-09-01"))
        .bind(format!("{year}-07-04"))
        .execute(&mut **tx)
        .await?;
    // The divisions, as the Structures export gives them, with their MEF.
    sqlx::query(
        "INSERT INTO structures (school_id, code, kind, label, mef_codes)
         SELECT p.school_id, p.division, 'D', p.division, MIN(m.code)
         FROM pupils p JOIN mefs m ON m.id = p.mef_id
         WHERE p.school_id = $1 AND p.division <> ''
         GROUP BY p.school_id, p.division
         ON CONFLICT (school_id, code) DO NOTHING",
    )
    .bind(school_id)
    .execute(&mut **tx)
    .await?;
    let imported: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM imports WHERE school_id = $1 AND status = 'done'")
            .bind(school_id)
            .fetch_one(&mut **tx)
            .await?;
    if imported == 0 {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO imports (school_id, status, created_at, updated_at, applied_at, school_year)
             VALUES ($1, 'done', $2, $2, $2, $3)",
        )
        .bind(school_id)
        .bind(now - 15 * DAY)
        .bind(exports_year)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

enum Actor {
    Guardian,
    Agent(i64),
}

/// One dossier being seeded, with its first guardian.
struct Dossier<'t> {
    tx: &'t mut Tx,
    school_id: i64,
    id: i64,
    guardian: i64,
}

impl Dossier<'_> {
    async fn audit(
        &mut self,
        actor: (&str, i64),
        action: &str,
        subject: &str,
        at: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO audit_events (school_id, actor_kind, actor_id, action, subject, ip, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(self.school_id)
        .bind(actor.0)
        .bind(actor.1)
        .bind(action)
        .bind(subject)
        .bind(IP)
        .bind(at)
        .execute(&mut **self.tx)
        .await?;
        Ok(())
    }

    async fn sign_in(&mut self, at: i64) -> anyhow::Result<()> {
        self.audit(("guardian", self.guardian), "sign_in", "family", at)
            .await?;
        sqlx::query(
            "UPDATE guardians SET last_sign_in_at = $2
             WHERE id = $1 AND (last_sign_in_at IS NULL OR last_sign_in_at < $2)",
        )
        .bind(self.guardian)
        .bind(at)
        .execute(&mut **self.tx)
        .await?;
        Ok(())
    }

    async fn transition(
        &mut self,
        from: &str,
        to: &str,
        actor: Actor,
        reason: &str,
        at: i64,
    ) -> anyhow::Result<()> {
        let (kind, id) = match actor {
            Actor::Guardian => ("guardian", self.guardian),
            Actor::Agent(id) => ("agent", id),
        };
        sqlx::query(
            "INSERT INTO dossier_transitions (dossier_id, from_state, to_state, actor_kind, actor_id, ip, reason, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(self.id)
        .bind(from)
        .bind(to)
        .bind(kind)
        .bind(id)
        .bind(IP)
        .bind(reason)
        .bind(at)
        .execute(&mut **self.tx)
        .await?;
        Ok(())
    }

    async fn set_state(&mut self, state: &str, sent: Option<i64>) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE dossiers SET state = $2, submitted_at = $3, submitted_by = $4 WHERE id = $1",
        )
        .bind(self.id)
        .bind(state)
        .bind(sent)
        .bind(sent.map(|_| self.guardian))
        .execute(&mut **self.tx)
        .await?;
        Ok(())
    }

    async fn progress(&mut self, step: &str, at: i64) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO guardian_progress (dossier_id, guardian_id, furthest_step, updated_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(self.id)
        .bind(self.guardian)
        .bind(step)
        .bind(at)
        .execute(&mut **self.tx)
        .await?;
        Ok(())
    }

    async fn health(&mut self, at: i64) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO medical_notes (dossier_id, guardian_id, mode, note, updated_at)
             VALUES ($1, $2, 'online', $3, $4)",
        )
        .bind(self.id)
        .bind(self.guardian)
        .bind("Asthme léger : Ventoline en cas de crise.")
        .bind(at)
        .execute(&mut **self.tx)
        .await?;
        Ok(())
    }

    async fn guardian_change(
        &mut self,
        field: &str,
        before: &str,
        after: &str,
        at: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO guardian_changes (guardian_id, field, siecle_value, new_value, changed_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(self.guardian)
        .bind(field)
        .bind(before)
        .bind(after)
        .bind(at)
        .execute(&mut **self.tx)
        .await?;
        Ok(())
    }

    /// A one-page PDF sent for piece `document`, stored; its upload's id.
    async fn upload(
        &mut self,
        state: &AppState,
        document: i64,
        label: &str,
        at: i64,
    ) -> anyhow::Result<i64> {
        let pdf = crate::pdf::render(
            label,
            &[
                crate::pdf::Line::Title(label.to_owned()),
                crate::pdf::Line::Text("Document de démonstration.".to_owned()),
            ],
        );
        let key = format!("dossiers/{}/{document}/demo.pdf", self.id);
        let size = pdf.len() as i64;
        state.documents.put_bytes(&key, Bytes::from(pdf)).await?;
        let name: String = label
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let name = format!("{name}.pdf");
        Ok(sqlx::query_scalar(
            "INSERT INTO uploads (dossier_id, expected_document_id, guardian_id, storage_key, original_name,
                 content_type, size_bytes, created_at)
             VALUES ($1, $2, $3, $4, $5, 'application/pdf', $6, $7) RETURNING id",
        )
        .bind(self.id)
        .bind(document)
        .bind(self.guardian)
        .bind(&key)
        .bind(name)
        .bind(size)
        .bind(at)
        .fetch_one(&mut **self.tx)
        .await?)
    }

    async fn piece_decision(
        &mut self,
        upload: i64,
        status: &str,
        reason: &str,
        agent: i64,
        at: i64,
    ) -> anyhow::Result<()> {
        sqlx::query("UPDATE uploads SET status = $2, refusal_reason = $3 WHERE id = $1")
            .bind(upload)
            .bind(status)
            .bind(reason)
            .execute(&mut **self.tx)
            .await?;
        self.audit(
            ("agent", agent),
            "upload_decision",
            &format!("upload:{upload}:{status}"),
            at,
        )
        .await
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "a decision's columns, one by one"
    )]
    async fn decision(
        &mut self,
        key: &str,
        value: &str,
        label: &str,
        value_words: &str,
        decision: &str,
        reason: &str,
        agent: i64,
        at: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO change_decisions (dossier_id, change_key, proposed_value, label, proposed_words,
                 decision, reason, agent_id, decided_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(self.id)
        .bind(key)
        .bind(value)
        .bind(label)
        .bind(value_words)
        .bind(decision)
        .bind(reason)
        .bind(agent)
        .bind(at)
        .execute(&mut **self.tx)
        .await?;
        self.audit(
            ("agent", agent),
            "change_decision",
            &format!("dossier:{}:{key}:{decision}", self.id),
            at,
        )
        .await
    }

    async fn message(
        &mut self,
        kind: &str,
        recipient: &str,
        status: &str,
        at: i64,
    ) -> anyhow::Result<()> {
        let (subject, body) = match kind {
            "returned" => (
                "Dossier à compléter",
                "Le collège vous a renvoyé le dossier : connectez-vous pour le compléter.",
            ),
            _ => (
                "Dossier bien reçu",
                "Le collège a bien reçu le dossier. Vous recevrez un message s'il manque quelque chose.",
            ),
        };
        sqlx::query(
            "INSERT INTO messages (school_id, guardian_id, dossier_id, channel, kind, recipient, subject, body,
                 status, created_at, status_at)
             VALUES ($1, $2, $3, 'email', $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(self.school_id)
        .bind(self.guardian)
        .bind(self.id)
        .bind(kind)
        .bind(recipient)
        .bind(subject)
        .bind(body)
        .bind(status)
        .bind(at)
        .execute(&mut **self.tx)
        .await?;
        Ok(())
    }
}
