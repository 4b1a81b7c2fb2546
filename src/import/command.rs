//! The `dossiersco import` and `dossiersco generate` commands.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::records::{self, StoredFile};
use super::{InputFile, School};
use crate::db::{Db, schools};

/// `dossiersco import --uai UAI FILE…`: prints the preview, then applies it
/// unless `dry_run`. A fatal problem is an error (nothing written).
pub async fn import(
    db: &Db,
    uai: &str,
    create_school: bool,
    files: &[PathBuf],
    dry_run: bool,
) -> anyhow::Result<()> {
    let uai = uai.trim().to_ascii_uppercase();
    let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM schools WHERE uai = $1")
        .bind(&uai)
        .fetch_optional(db.pool())
        .await?;
    let school_id = match existing {
        Some(id) => id,
        None if create_school && !dry_run => {
            schools::upsert(db.pool(), &uai, &format!("Établissement {uai}"), "", "").await?
        }
        None if create_school => 0,
        None => anyhow::bail!(
            "no school with UAI {uai} in the database (add --create-school to create it)"
        ),
    };
    let school = School {
        id: school_id,
        uai: uai.clone(),
    };
    let inputs: Vec<InputFile> = files
        .iter()
        .map(|path| InputFile {
            name: file_name(path),
            path: path.clone(),
        })
        .collect();
    let plan = super::plan(db, &school, &inputs).await?;
    print!("{}", plan.preview.to_text());
    if !plan.is_applicable() {
        anyhow::bail!("import refused: fatal problem(s) above, nothing was written");
    }
    if dry_run {
        println!("--dry-run : rien n'a été écrit");
        return Ok(());
    }
    let stored: Vec<StoredFile> = files
        .iter()
        .map(|path| StoredFile {
            name: file_name(path),
            key: String::new(),
            size: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        })
        .collect();
    let import_id = records::create(db.pool(), school_id, &stored, None).await?;
    match super::apply(db, &plan, Some(import_id), &|_, _| {}).await {
        Ok(_) => {
            println!("import n° {import_id} appliqué");
            Ok(())
        }
        Err(err) => {
            records::mark_failed(db.pool(), import_id, &format!("{err:#}")).await?;
            Err(err.context("import failed, nothing was written"))
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// `dossiersco generate`: writes `schools` synthetic schools of
/// `pupils_per_school` pupils, one folder per UAI with its four XML exports.
pub fn generate(
    schools: usize,
    pupils_per_school: usize,
    out: &Path,
    seed: u64,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut dirs = Vec::with_capacity(schools);
    for school in dossiersco_siecle::synth::generate(schools, pupils_per_school, seed) {
        let dir = out.join(school.uai.as_str());
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        school
            .write_all_to_dir(&dir)
            .with_context(|| format!("cannot write into {}", dir.display()))?;
        dirs.push(dir);
    }
    Ok(dirs)
}
