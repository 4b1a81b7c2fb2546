//! `dossiersco export siecle`: the return file from the command line.

use std::path::PathBuf;

use anyhow::Context;

use super::{Request, produce, report};
use crate::db::{Db, SchoolScope, schools};
use crate::domain::words;

/// What the command prints, and whether it failed.
pub struct Report {
    pub text: String,
    /// The file was asked for and not produced.
    pub failed: bool,
    pub refused: Option<String>,
    /// The file written.
    pub written: Option<PathBuf>,
}

/// Runs the dry run, then (unless `dry_run`) writes the zip to `out` (default:
/// the name SIECLE expects, in the current folder). The history records it as
/// made from the command line.
pub async fn export(
    db: &Db,
    uai: &str,
    dry_run: bool,
    accept_warnings: bool,
    out: Option<PathBuf>,
) -> anyhow::Result<Report> {
    let school = schools::find_by_uai(db.pool(), uai)
        .await?
        .with_context(|| format!("aucun établissement n'a l'UAI {uai}"))?;
    let now = chrono::Utc::now().timestamp_millis();
    let generated_at = words::paris_local(now).context("horloge hors limites")?;
    let outcome = produce(
        db.pool(),
        SchoolScope::of_command_line(school.id),
        Request {
            dry_run,
            accept_warnings,
            agent_id: None,
            from_cli: true,
            generated_at,
            now: now / 1000,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut text = format!(
        "Fichier de retour vers SIECLE {} : {} élève(s).\n",
        outcome.file_name, outcome.pupils
    );
    text.push_str(&report(&outcome.dry_run));
    if !outcome.leaving.is_empty() {
        text.push_str(
            "Élèves qui quittent le collège, à enregistrer dans SIECLE (absents du fichier) :\n",
        );
        for l in &outcome.leaving {
            let mut about = Vec::new();
            if let Some(ine) = &l.ine {
                about.push(format!("INE {ine}"));
            }
            if let Some(division) = &l.division {
                about.push(format!("classe {division}"));
            }
            if let Some(date) = l.exit_date {
                about.push(format!("sortie le {}", date.format("%d/%m/%Y")));
            }
            if about.is_empty() {
                text.push_str(&format!("  - {}\n", l.name));
            } else {
                text.push_str(&format!("  - {} ({})\n", l.name, about.join(", ")));
            }
        }
    }
    let mut written = None;
    if let Some((name, bytes)) = &outcome.zip {
        let path = out.unwrap_or_else(|| PathBuf::from(name));
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        text.push_str(&format!("Fichier écrit : {}\n", path.display()));
        written = Some(path);
    } else if dry_run {
        text.push_str("Simulation : aucun fichier écrit, aucun numéro d'envoi utilisé.\n");
    }
    if let Some(why) = &outcome.refused {
        text.push_str(&format!("Refusé : {why}\n"));
    }
    Ok(Report {
        text,
        failed: outcome.refused.is_some(),
        refused: outcome.refused,
        written,
    })
}
