//! The background jobs of letters: making a batch (codes and PDF, with
//! progress), and deleting the PDFs after a while (they hold codes in clear).

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::{Conflict, Heading, Selection};
use crate::db::{Db, letters, now_ms, schools};
use crate::documents::DocumentStore;
use crate::jobs::{Job, JobContext, permanent};

/// What the letters jobs need.
#[derive(Clone)]
pub struct LettersEnv {
    pub db: Db,
    pub documents: DocumentStore,
    /// The application's public address (`Settings::base_url`).
    pub base_url: String,
}

/// How long a batch's PDF stays downloadable: it holds personal codes in
/// clear, so only as long as printing it takes.
pub const PDF_KEPT_MS: i64 = 24 * 3600 * 1000;

/// The family sign-in page of the application at `base_url`.
pub fn sign_in_url(base_url: &str) -> String {
    format!("{}/famille/connexion", base_url.trim_end_matches('/'))
}

/// Makes the letters of a batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MakeLettersJob {
    pub batch_id: i64,
    pub school_id: i64,
}

/// Deletes the PDFs of batches older than [`PDF_KEPT_MS`]; every hour.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PurgeLettersJob {}

/// The letters made so far; the last step (storing the PDF, writing the
/// codes) is the "+ 1".
impl super::Progress for JobContext<LettersEnv> {
    async fn report(&self, done: usize, total: usize) -> anyhow::Result<()> {
        self.progress(done as i64, total as i64 + 1).await
    }
}

impl Job for MakeLettersJob {
    const KIND: &'static str = "make_letters";
    type Context = LettersEnv;

    async fn run(self, ctx: &JobContext<LettersEnv>) -> anyhow::Result<()> {
        let env = &ctx.env;
        let Some(batch) = letters::find(env.db.pool(), self.school_id, self.batch_id).await? else {
            return Ok(());
        };
        if batch.status != "queued" {
            return Ok(());
        }
        let school = schools::find(env.db.pool(), self.school_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("school {} not found", self.school_id))?;
        let selection = Selection {
            division: batch.division.clone(),
            dossiers: batch.selected_dossiers(),
            only_without_contact: batch.only_without_contact,
        };
        let plan = super::plan(&env.db, self.school_id, &selection, batch.replace_codes).await?;
        if plan.replaced as i64 > batch.confirmed_replacements {
            let message = format!(
                "Ce courrier remplacerait {} code(s) existant(s), plus que les {} confirmés : des codes ont été donnés entre-temps. Recommencez la demande.",
                plan.replaced, batch.confirmed_replacements
            );
            letters::mark_failed(env.db.pool(), batch.id, &message).await?;
            return Err(permanent(message));
        }
        let heading = Heading {
            school_name: school.name.clone(),
            text: batch.letter_text.clone(),
            sign_in_url: sign_in_url(&env.base_url),
        };
        let mut prepared = super::prepare(plan, &heading, ctx).await?;
        let key = format!(
            "letters/{}/{}-{}.pdf",
            self.school_id,
            batch.id,
            uuid::Uuid::new_v4().simple()
        );
        env.documents
            .put_bytes(&key, Bytes::from(std::mem::take(&mut prepared.pdf)))
            .await?;
        let outcome = async {
            let mut tx = env.db.begin().await?;
            let (issued, replaced) = super::commit_codes(&mut tx, &prepared).await?;
            let done = letters::mark_done(
                &mut *tx,
                batch.id,
                &key,
                prepared.plan.letters.len() as i64,
                issued as i64,
                replaced as i64,
            )
            .await?;
            if done {
                tx.commit().await?;
            }
            anyhow::Ok(done)
        }
        .await;
        match outcome {
            Ok(true) => Ok(()),
            Ok(false) => {
                let _ = env.documents.delete(&key).await;
                Ok(())
            }
            Err(err) => {
                let _ = env.documents.delete(&key).await;
                if err.downcast_ref::<Conflict>().is_some() {
                    let message = err.to_string();
                    letters::mark_failed(env.db.pool(), batch.id, &message).await?;
                    return Err(permanent(message));
                }
                Err(err)
            }
        }
    }
}

impl Job for PurgeLettersJob {
    const KIND: &'static str = "purge_letters";
    type Context = LettersEnv;

    async fn run(self, ctx: &JobContext<LettersEnv>) -> anyhow::Result<()> {
        let env = &ctx.env;
        let stale =
            letters::documents_made_before(env.db.pool(), now_ms() - PDF_KEPT_MS, 500).await?;
        for (id, key) in &stale {
            env.documents.delete(key).await?;
            letters::mark_document_deleted(env.db.pool(), *id).await?;
        }
        if !stale.is_empty() {
            tracing::info!(batches = stale.len(), "letters PDFs deleted");
        }
        Ok(())
    }
}
