//! A change of track decided by the school for one pupil: the MEF they go to
//! next year (`dossiers.next_mef_id`, chosen on the dossier's page), which
//! wins over the campaign's « redoublants » (`dossiers.repeating`) and MEF
//! succession (`mefs.next_mef_id`) wherever next year's MEF is read (the
//! family's options, the lists, the return file to SIECLE).

use sqlx::{Any, Executor, FromRow};

use super::{Flag, SchoolScope};

/// What the dossier's page says of a pupil's next year.
#[derive(Debug, Clone, FromRow)]
pub struct NextMefRow {
    /// This year's MEF code and label (the import's), if the pupil has one.
    pub mef_code: Option<String>,
    pub mef_label: Option<String>,
    /// The campaign's « redoublants » marks this pupil.
    #[sqlx(try_from = "Flag")]
    pub repeating: bool,
    /// The campaign says this year's MEF ends the collège.
    pub ends_college: Option<Flag>,
    /// The campaign's next MEF for this year's MEF.
    pub succession_label: Option<String>,
    /// The MEF a pupil created by the school enters, if any.
    pub entry_label: Option<String>,
    /// The MEF an agent chose for this pupil (code, label), if any.
    pub chosen_code: Option<String>,
    pub chosen_label: Option<String>,
}

/// Next year as read for the dossier `dossier_id` of the school (none if it
/// is not the school's).
pub async fn of_dossier(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    dossier_id: i64,
) -> sqlx::Result<Option<NextMefRow>> {
    sqlx::query_as(
        "SELECT m.code AS mef_code, m.label AS mef_label, d.repeating, m.ends_college,
                n.label AS succession_label,
                e.label AS entry_label, x.code AS chosen_code, x.label AS chosen_label
         FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
         JOIN pupils p ON p.id = d.pupil_id
         LEFT JOIN mefs m ON m.id = p.mef_id AND m.school_id = c.school_id
         LEFT JOIN mefs n ON n.id = m.next_mef_id AND n.school_id = c.school_id
         LEFT JOIN mefs e ON e.school_id = c.school_id AND p.entry_mef_code <> ''
             AND e.code = p.entry_mef_code
         LEFT JOIN mefs x ON x.id = d.next_mef_id AND x.school_id = c.school_id
         WHERE d.id = $1 AND c.school_id = $2",
    )
    .bind(dossier_id)
    .bind(scope.id())
    .fetch_optional(db)
    .await
}

/// A MEF of the school, as the choice offers it.
#[derive(Debug, Clone, FromRow)]
pub struct MefChoice {
    pub id: i64,
    pub code: String,
    pub label: String,
}

/// The school's MEFs, in the order of their codes (levels then tracks).
pub async fn choices(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<Vec<MefChoice>> {
    sqlx::query_as("SELECT id, code, label FROM mefs WHERE school_id = $1 ORDER BY code, id")
        .bind(scope.id())
        .fetch_all(db)
        .await
}

/// Sets the MEF the pupil of `dossier_id` goes to next year (`None`: back
/// to the default). A MEF or a dossier of another school changes nothing;
/// returns whether the dossier was changed.
pub async fn set(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
    dossier_id: i64,
    mef_id: Option<i64>,
) -> sqlx::Result<bool> {
    let done = match mef_id {
        Some(mef_id) => {
            sqlx::query(
                "UPDATE dossiers SET next_mef_id = $3
                 WHERE id = $1 AND campaign_id IN (SELECT id FROM campaigns WHERE school_id = $2)
                   AND EXISTS (SELECT 1 FROM mefs x WHERE x.id = $3 AND x.school_id = $2)",
            )
            .bind(dossier_id)
            .bind(scope.id())
            .bind(mef_id)
            .execute(db)
            .await?
        }
        None => {
            sqlx::query(
                "UPDATE dossiers SET next_mef_id = NULL
                 WHERE id = $1 AND campaign_id IN (SELECT id FROM campaigns WHERE school_id = $2)",
            )
            .bind(dossier_id)
            .bind(scope.id())
            .execute(db)
            .await?
        }
    };
    Ok(done.rows_affected() == 1)
}

/// The dossiers of the school whose next year an agent decided: a change of
/// track (`next_mef_id`) or the campaign's « redoublants » (`repeating`).
/// Validated, they go to SIECLE even without another accepted change.
pub async fn decided_in_school(
    db: impl Executor<'_, Database = Any>,
    scope: SchoolScope,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT d.id FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
         WHERE c.school_id = $1 AND (d.next_mef_id IS NOT NULL OR d.repeating)",
    )
    .bind(scope.id())
    .fetch_all(db)
    .await
}
