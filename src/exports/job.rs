//! The jobs of exports: making one (with progress), and deleting the files
//! whose time is up (every hour).

use std::collections::HashMap;
use std::io::{Cursor, Write};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::pieces::{self, Grouping};
use super::{Kind, Params, pdfs, sheets, xlsx};
use crate::db::decisions::DecisionRow;
use crate::db::{Db, campaigns, exports, facts as rows, now_ms, schools, setup};
use crate::documents::DocumentStore;
use crate::dossier::diff::Words;
use crate::dossier::facts;
use crate::jobs::{Job, JobContext, permanent};

/// What the export jobs need.
#[derive(Clone)]
pub struct ExportsEnv {
    pub db: Db,
    pub documents: DocumentStore,
    /// How long a made file is kept (`export_retention_hours`), in ms.
    pub retention_ms: i64,
}

/// Makes export `export_id` of school `school_id`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MakeExportJob {
    pub export_id: i64,
    pub school_id: i64,
}

/// Deletes the files of expired exports; every hour.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PurgeExportsJob {}

/// The spreadsheet of `kind` for the school's current campaign.
pub async fn spreadsheet(pool: &AnyPool, school_id: i64, kind: Kind) -> anyhow::Result<Vec<u8>> {
    let mut made = spreadsheets(pool, school_id, &[kind]).await?;
    Ok(made.pop().expect("one spreadsheet per kind"))
}

/// The spreadsheets of `kinds`, in that order, from one reading of the
/// school's dossier facts (`facts::of_school`, the costly part).
pub async fn spreadsheets(
    pool: &AnyPool,
    school_id: i64,
    kinds: &[Kind],
) -> anyhow::Result<Vec<Vec<u8>>> {
    let (listed, words) = facts::of_school(pool, school_id).await?;
    let mut made = Vec::with_capacity(kinds.len());
    for kind in kinds {
        made.push(sheet(pool, school_id, *kind, &listed, &words).await?);
    }
    Ok(made)
}

/// « Tout exporter (tableurs) »: the four spreadsheets
/// ([`Kind::SPREADSHEETS`]) in one ZIP, from one reading of the facts
/// ([`spreadsheets`]); each is named by its kind's stem
/// (`modifications.xlsx`, `options.xlsx`, `demi-pension.xlsx`,
/// `reponses.xlsx`), and is the same file as its single export.
pub async fn all_spreadsheets(pool: &AnyPool, school_id: i64) -> anyhow::Result<Vec<u8>> {
    let made = spreadsheets(pool, school_id, &Kind::SPREADSHEETS).await?;
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    // An .xlsx is already a compressed archive.
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for (kind, bytes) in Kind::SPREADSHEETS.iter().zip(&made) {
        zip.start_file(format!("{}.xlsx", kind.file_stem()), options)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

async fn sheet(
    pool: &AnyPool,
    school_id: i64,
    kind: Kind,
    listed: &[facts::Listed],
    words: &Words,
) -> anyhow::Result<Vec<u8>> {
    let sheet = match kind {
        Kind::Changes => {
            let mut decided: HashMap<i64, Vec<DecisionRow>> = HashMap::new();
            for d in exports::decisions_of_school(pool, school_id).await? {
                decided.entry(d.dossier_id).or_default().push(d.row);
            }
            sheets::changes(listed, words, &decided)
        }
        Kind::Options => sheets::options(listed, words),
        Kind::Canteen => {
            let tariffs = campaigns::tariffs(pool, school_id).await?;
            let days = setup::current_campaign(pool, school_id)
                .await?
                .map(|c| c.canteen_days)
                .unwrap_or_default();
            sheets::canteen(listed, words, &tariffs, &days)
        }
        Kind::Answers => sheets::answers(listed, words),
        other => anyhow::bail!("{} is not a spreadsheet", other.code()),
    };
    Ok(xlsx::write(&sheet)?)
}

impl Job for MakeExportJob {
    const KIND: &'static str = "make_export";
    type Context = ExportsEnv;

    async fn run(self, ctx: &JobContext<ExportsEnv>) -> anyhow::Result<()> {
        let env = &ctx.env;
        let pool = env.db.pool();
        let Some(export) = exports::find(pool, self.school_id, self.export_id).await? else {
            return Ok(());
        };
        if export.status != "queued" {
            return Ok(());
        }
        let fail = |message: String| async move {
            exports::mark_failed(pool, self.export_id, &message).await?;
            Err::<(), anyhow::Error>(permanent(message))
        };
        let Some(kind) = Kind::from_code(&export.kind) else {
            return fail("Cet export n'existe plus.".into()).await;
        };
        let params = Params::from_json(&export.params);
        let school = schools::find(pool, self.school_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("school {} not found", self.school_id))?;
        let key = format!(
            "exports/{}/{}-{}.{}",
            self.school_id,
            self.export_id,
            uuid::Uuid::new_v4().simple(),
            kind.extension()
        );
        let size = match kind {
            Kind::Changes
            | Kind::Options
            | Kind::Canteen
            | Kind::Answers
            | Kind::AllSpreadsheets => {
                ctx.progress(0, 1).await?;
                let bytes = if kind == Kind::AllSpreadsheets {
                    all_spreadsheets(pool, self.school_id).await?
                } else {
                    spreadsheet(pool, self.school_id, kind).await?
                };
                let size = bytes.len() as u64;
                env.documents.put_bytes(&key, Bytes::from(bytes)).await?;
                size
            }
            Kind::PiecesByType | Kind::PiecesByClass => {
                let grouping = if kind == Kind::PiecesByType {
                    Grouping::ByType
                } else {
                    Grouping::ByClass
                };
                let found = exports::pieces_of_school(pool, self.school_id).await?;
                if found.is_empty() {
                    return fail("Aucune pièce n'a encore été envoyée.".into()).await;
                }
                ctx.progress(0, found.len() as i64).await?;
                pieces::write_zip(&env.documents, &key, &found, grouping, |done, total| {
                    ctx.progress(done as i64, total as i64)
                })
                .await?
            }
            Kind::Convocations | Kind::MedicalForms => {
                ctx.progress(0, 1).await?;
                let dossiers = rows::dossiers(pool, self.school_id, rows::Which::Campaign).await?;
                let dossiers: Vec<&rows::DossierRow> = dossiers.iter().collect();
                let pdf = if kind == Kind::Convocations {
                    pdfs::convocations(&school.name, &dossiers, &params)
                } else {
                    let notes = exports::medical_of_school(pool, self.school_id).await?;
                    pdfs::medical_forms(&school.name, &dossiers, &notes)
                };
                let Some(pdf) = pdf else {
                    return fail(if kind == Kind::Convocations {
                        "Aucun élève à convoquer dans cette classe.".into()
                    } else {
                        "Aucune famille n'a encore donné d'information pour l'infirmerie.".into()
                    })
                    .await;
                };
                let size = pdf.len() as u64;
                env.documents.put_bytes(&key, Bytes::from(pdf)).await?;
                size
            }
        };
        let expires_at = now_ms() + env.retention_ms;
        if !exports::mark_done(pool, self.export_id, &key, size as i64, expires_at).await? {
            env.documents.delete(&key).await?;
        }
        Ok(())
    }
}

impl Job for PurgeExportsJob {
    const KIND: &'static str = "purge_exports";
    type Context = ExportsEnv;

    async fn run(self, ctx: &JobContext<ExportsEnv>) -> anyhow::Result<()> {
        let env = &ctx.env;
        let stale = exports::expired(env.db.pool(), now_ms(), 500).await?;
        for (id, key) in &stale {
            env.documents.delete(key).await?;
            exports::mark_expired(env.db.pool(), *id).await?;
        }
        if !stale.is_empty() {
            tracing::info!(exports = stale.len(), "expired exports deleted");
        }
        Ok(())
    }
}
