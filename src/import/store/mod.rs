//! Writing a [`Plan`] in one transaction, with multi-row upserts (a few
//! statements per thousand rows, on both engines).

mod batch;
mod guardians;
mod pupils;
mod reference;

use self::batch::{Val, for_ids};
use self::guardians::{write_guardians, write_links};
use self::pupils::write_pupils;
use self::reference::{write_nomenclature, write_spreadsheet_mefs, write_structures};
use super::model::LinkIn;
use super::{Counts, Plan};
use crate::db::{Db, Tx, now_ms};

/// Writes `plan` in one transaction; returns what was done. `import_id`, when
/// given, is recorded on the rows and its `imports` row marked done in the
/// same transaction. `progress(done, total)` is called between batches.
pub async fn apply(
    db: &Db,
    plan: &Plan,
    import_id: Option<i64>,
    progress: &(dyn Fn(i64, i64) + Send + Sync),
) -> anyhow::Result<Counts> {
    anyhow::ensure!(
        plan.is_applicable(),
        "this import has fatal problems and cannot be applied"
    );
    let school_id = plan.school_id;
    let parsed = &plan.parsed;
    let now = now_ms();
    let backend = db.backend();
    let pupils = parsed.pupils.as_deref().unwrap_or_default();
    let (guardians, links): (&[_], &[LinkIn]) = match &parsed.guardians {
        Some((g, l)) => (g.as_slice(), l.as_slice()),
        None => (&[][..], &[][..]),
    };
    let total = (pupils.len() + guardians.len() + links.len()) as i64 + 3;
    let mut done = 0;
    progress(done, total);

    let mut tx = db.begin().await?;
    let started = std::time::Instant::now();
    let step = |name: &str| {
        tracing::debug!(
            import.step = name,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "import step done"
        )
    };

    // 1. Nomenclature, MEFs, divisions and groups.
    if let Some(n) = &parsed.nomenclature {
        write_nomenclature(&mut tx, backend, school_id, n).await?;
    }
    write_spreadsheet_mefs(&mut tx, backend, school_id, &parsed.spreadsheet_mefs).await?;
    write_structures(
        &mut tx,
        backend,
        school_id,
        parsed.structures.as_deref(),
        pupils,
    )
    .await?;
    done += 1;
    progress(done, total);
    step("nomenclature and structures");

    // 2. Pupils (the missing ones flagged), then their dossiers.
    if parsed.pupils.is_some() {
        write_pupils(&mut tx, backend, plan, import_id, now).await?;
        done += pupils.len() as i64;
        progress(done, total);
        step("pupils");
        create_dossiers(&mut tx, school_id, parsed.school_year, now).await?;
        step("dossiers");
    }

    // 3. Guardians (the missing ones flagged) and their links.
    if parsed.guardians.is_some() {
        write_guardians(&mut tx, backend, plan, import_id, now).await?;
        done += guardians.len() as i64;
        progress(done, total);
        step("guardians");
        write_links(&mut tx, backend, plan).await?;
        step("links");
    }

    if let Some(id) = import_id {
        super::records::mark_done(&mut tx, id, &plan.preview).await?;
        sqlx::query("UPDATE imports SET school_year = $2 WHERE id = $1")
            .bind(id)
            .bind(parsed.school_year)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    step("commit");
    progress(total, total);
    Ok(plan.preview.counts.clone())
}

/// A dossier in the current campaign for every pupil SIECLE still has and
/// that has none yet.
async fn create_dossiers(
    tx: &mut Tx,
    school_id: i64,
    exports_year: Option<i64>,
    now: i64,
) -> sqlx::Result<()> {
    let campaign_id = current_campaign(tx, school_id, exports_year, now).await?;
    sqlx::query(
        "INSERT INTO dossiers (campaign_id, pupil_id, state, created_at, updated_at)
         SELECT $1, p.id, 'not_started', $2, $2 FROM pupils p
         WHERE p.school_id = $3 AND p.missing_from_siecle = $4
           AND NOT EXISTS (SELECT 1 FROM dossiers d WHERE d.campaign_id = $1 AND d.pupil_id = p.id)",
    )
    .bind(campaign_id)
    .bind(now)
    .bind(school_id)
    .bind(false)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The school's current campaign (the latest), created when there is none for
/// the school year after the exports' (the clock decides only when the files
/// carry no school year: the spreadsheet export).
async fn current_campaign(
    tx: &mut Tx,
    school_id: i64,
    exports_year: Option<i64>,
    now: i64,
) -> sqlx::Result<i64> {
    let existing: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM campaigns WHERE school_id = $1 ORDER BY school_year DESC LIMIT 1",
    )
    .bind(school_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    sqlx::query_scalar(
        "INSERT INTO campaigns (school_id, school_year, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(school_id)
    .bind(exports_year.map_or_else(
        crate::campaign::school_year_starting,
        crate::campaign::school_year_after_exports,
    ))
    .bind(now)
    .fetch_one(&mut **tx)
    .await
}

/// Flags the rows of `table` (pupils or guardians) the export no longer has;
/// they are never deleted.
async fn flag_missing(tx: &mut Tx, table: &str, ids: &[i64], now: i64) -> sqlx::Result<()> {
    for_ids(
        tx,
        &format!(
            "UPDATE {table} SET missing_from_siecle = $1, updated_at = $2 WHERE id IN ({{ids}})"
        ),
        &[Val::B(true), Val::I(now)],
        ids,
    )
    .await
}
