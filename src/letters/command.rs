//! `dossiersco letters --uai UAI [--division DIV] [--only-without-contact]
//! [--replace-codes] -o FILE.pdf`: the letters printed from the command line.

use std::path::Path;

use anyhow::Context;

use super::{Heading, Selection};
use crate::db::{Db, audit, schools};

/// What the command was asked.
#[derive(Debug, Clone)]
pub struct Request {
    pub uai: String,
    pub selection: Selection,
    pub replace_codes: bool,
    /// The school's text (`None`: [`super::DEFAULT_TEXT`]).
    pub text: Option<String>,
}

/// What the command did, printed for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub letters: usize,
    pub issued: usize,
    pub replaced: usize,
    pub left_out: usize,
}

impl Report {
    pub fn text(&self, out: &Path) -> String {
        let mut text = if self.letters == 0 {
            "aucun courrier à imprimer : aucun fichier écrit\n".to_owned()
        } else {
            format!(
                "{} courrier(s) écrit(s) dans {}\n",
                self.letters,
                out.display()
            )
        };
        text.push_str(&format!(
            "codes donnés : {}\ncodes remplacés : {}\n",
            self.issued, self.replaced
        ));
        if self.left_out > 0 {
            text.push_str(&format!(
                "{} responsable(s) ayant déjà un code laissé(s) de côté (--replace-codes pour leur en donner un nouveau)\n",
                self.left_out
            ));
        }
        text
    }
}

/// Issues the codes and writes the PDF to `out`; the codes change only once
/// the file is written.
pub async fn letters(
    db: &Db,
    base_url: &str,
    request: &Request,
    out: &Path,
) -> anyhow::Result<Report> {
    let school = schools::find_by_uai(db.pool(), &request.uai)
        .await?
        .with_context(|| format!("aucun établissement n'a l'UAI {}", request.uai))?;
    let plan = super::plan(db, school.id, &request.selection, request.replace_codes).await?;
    let left_out = plan.left_out;
    if plan.letters.is_empty() {
        return Ok(Report {
            letters: 0,
            issued: 0,
            replaced: 0,
            left_out,
        });
    }
    let heading = Heading {
        school_name: school.name.clone(),
        text: request
            .text
            .clone()
            .unwrap_or_else(|| super::DEFAULT_TEXT.to_owned()),
        sign_in_url: super::job::sign_in_url(base_url),
    };
    let prepared = super::prepare(plan, &heading, &()).await?;
    let partial = out.with_extension("pdf.partial");
    std::fs::write(&partial, &prepared.pdf)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    let committed = async {
        let mut tx = db.begin().await?;
        let counts = super::commit_codes(&mut tx, &prepared).await?;
        audit::record(
            &mut *tx,
            Some(school.id),
            audit::Actor::System,
            "letters_printed",
            &format!("letters:{}", prepared.plan.letters.len()),
            "",
        )
        .await?;
        std::fs::rename(&partial, out)
            .with_context(|| format!("cannot write {}", out.display()))?;
        tx.commit().await?;
        anyhow::Ok(counts)
    }
    .await;
    let (issued, replaced) = match committed {
        Ok(counts) => counts,
        Err(err) => {
            let _ = std::fs::remove_file(&partial);
            let _ = std::fs::remove_file(out);
            return Err(err);
        }
    };
    Ok(Report {
        letters: prepared.plan.letters.len(),
        issued,
        replaced,
        left_out,
    })
}
