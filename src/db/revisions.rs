//! Revisions of what the school's list is computed from, kept by the
//! database itself so that no write path can forget them.
//!
//! The list of a school's dossiers (`dossier::review::Entry`) is computed
//! from the facts of every dossier (`db::facts`): reading them all takes
//! about 100 ms for 1,000 pupils, most of it decoding rows. The list keeps
//! its entries in memory (`dossier::entries_cache`) and recomputes only the
//! dossiers whose pupil's revision changed, or all of them when the school's
//! revision changed.
//!
//! Triggers bump the revisions on every insert, update or delete of a table
//! the facts read ([`SOURCES`]):
//! - a table about one pupil (their dossiers, identity, guardians, edits,
//!   answers, pieces, options) bumps `pupil_revisions` for each pupil the row
//!   concerns (a guardian's row concerns each of their children);
//! - a table about the whole school (its campaigns, MEFs, options and their
//!   requests, questions, expected documents, exit rules) bumps
//!   `school_revisions`.
//!
//! The triggers are (re)created by [`ensure_triggers`] after the migrations,
//! so that a migration rebuilding a table on SQLite (which drops its
//! triggers) cannot leave a table without them. A test checks that every
//! table the facts' queries name is here
//! (`revisions::every_table_the_facts_read_bumps_a_revision`), and the tests'
//! settings recompute the list from scratch on each request and compare.

use sqlx::{Any, AssertSqlSafe, Executor};

use super::campaigns::is_current;
use super::{Backend, Db};

/// Whose revision a table's rows bump.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// The pupils the row concerns: a query with the row as `R`, giving
    /// `pupil_id`.
    Pupils(&'static str),
    /// The school the row belongs to: a query with the row as `R`, giving
    /// `school_id`.
    School(&'static str),
}

const VIA_DOSSIER: &str = "SELECT d.pupil_id FROM dossiers d WHERE d.id = R.dossier_id";
const VIA_GUARDIAN: &str =
    "SELECT l.pupil_id FROM guardianships l WHERE l.guardian_id = R.guardian_id";

/// Every table the facts of a dossier are read from, and whose revision
/// its rows bump.
pub const SOURCES: &[(&str, Scope)] = &[
    ("dossiers", Scope::Pupils("SELECT R.pupil_id AS pupil_id")),
    ("pupils", Scope::Pupils("SELECT R.id AS pupil_id")),
    (
        "guardianships",
        Scope::Pupils("SELECT R.pupil_id AS pupil_id"),
    ),
    (
        "guardians",
        Scope::Pupils("SELECT l.pupil_id FROM guardianships l WHERE l.guardian_id = R.id"),
    ),
    ("pupil_changes", Scope::Pupils(VIA_DOSSIER)),
    ("guardian_changes", Scope::Pupils(VIA_GUARDIAN)),
    ("dossier_answers", Scope::Pupils(VIA_DOSSIER)),
    (
        "pupil_options",
        Scope::Pupils("SELECT R.pupil_id AS pupil_id"),
    ),
    (
        "pupil_siecle_options",
        Scope::Pupils("SELECT R.pupil_id AS pupil_id"),
    ),
    ("emergency_contacts", Scope::Pupils(VIA_DOSSIER)),
    ("uploads", Scope::Pupils(VIA_DOSSIER)),
    (
        "campaigns",
        Scope::School("SELECT R.school_id AS school_id"),
    ),
    ("mefs", Scope::School("SELECT R.school_id AS school_id")),
    (
        "mef_options",
        Scope::School("SELECT m.school_id FROM mefs m WHERE m.id = R.mef_id"),
    ),
    (
        "subject_options",
        Scope::School("SELECT R.school_id AS school_id"),
    ),
    // A request moves the others on the option's waiting list.
    (
        "option_requests",
        Scope::School(
            "SELECT c.school_id FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
             WHERE d.id = R.dossier_id",
        ),
    ),
    (
        "expected_documents",
        Scope::School("SELECT R.school_id AS school_id"),
    ),
    (
        "school_questions",
        Scope::School("SELECT R.school_id AS school_id"),
    ),
    (
        "exit_rules",
        Scope::School("SELECT R.school_id AS school_id"),
    ),
];

/// The statement bumping the revisions a row concerns, the row being
/// `row` (`NEW` or `OLD`).
fn bump(scope: Scope, row: &str) -> String {
    let (table, key, query) = match scope {
        Scope::Pupils(q) => ("pupil_revisions", "pupil_id", q),
        Scope::School(q) => ("school_revisions", "school_id", q),
    };
    let query = query.replace("R.", &format!("{row}."));
    // `WHERE` before `ON CONFLICT`: SQLite's parser needs it after a SELECT.
    // In key order, so that two transactions bumping the same rows take
    // their locks in the same order (PostgreSQL).
    format!(
        "INSERT INTO {table} ({key}, revision)
         SELECT DISTINCT x.{key}, 1 FROM ({query}) x WHERE x.{key} IS NOT NULL ORDER BY x.{key}
         ON CONFLICT ({key}) DO UPDATE SET revision = {table}.revision + 1"
    )
}

/// The name of a table's trigger (with the operation on SQLite, which has
/// one trigger per operation). Versioned: a new definition takes a new name.
fn trigger_name(table: &str, op: Option<&str>) -> String {
    match op {
        Some(op) => format!("revision_v1_{table}_{op}"),
        None => format!("revision_v1_{table}"),
    }
}

/// The statements creating the triggers of `table`, and their names.
fn triggers(backend: Backend, table: &str, scope: Scope) -> Vec<(String, String)> {
    match backend {
        Backend::Sqlite => [
            ("insert", "INSERT", vec!["NEW"]),
            ("update", "UPDATE", vec!["OLD", "NEW"]),
            ("delete", "DELETE", vec!["OLD"]),
        ]
        .into_iter()
        .map(|(op, event, rows)| {
            let name = trigger_name(table, Some(op));
            let body: String = rows.iter().map(|r| format!("{};\n", bump(scope, r))).collect();
            let sql = format!(
                "CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON {table} FOR EACH ROW\nBEGIN\n{body}END"
            );
            (name, sql)
        })
        .collect(),
        Backend::Postgres => {
            let name = trigger_name(table, None);
            let sql = format!(
                "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$
                 BEGIN
                     IF TG_OP <> 'INSERT' THEN {old}; END IF;
                     IF TG_OP <> 'DELETE' THEN {new}; END IF;
                     RETURN NULL;
                 END $body$;
                 CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table}
                     FOR EACH ROW EXECUTE FUNCTION {name}();",
                old = bump(scope, "OLD"),
                new = bump(scope, "NEW"),
            );
            vec![(name, sql)]
        }
    }
}

/// The names of the revision triggers in the database.
pub async fn installed_triggers(db: &Db) -> sqlx::Result<Vec<String>> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'revision_%'"
        }
        Backend::Postgres => {
            "SELECT tgname::text FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'revision_%'"
        }
    };
    sqlx::query_scalar(sql).fetch_all(db.pool()).await
}

/// Creates the triggers of [`SOURCES`] that are missing (all of them on a
/// new database; those of a table a migration rebuilt on SQLite). Nothing
/// is written when they are all there.
pub async fn ensure_triggers(db: &Db) -> anyhow::Result<usize> {
    let installed = installed_triggers(db).await?;
    let mut created = 0;
    for &(table, scope) in SOURCES {
        for (name, sql) in triggers(db.backend(), table, scope) {
            if installed.contains(&name) {
                continue;
            }
            let mut tx = db.begin().await?;
            let made = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut *tx).await;
            match made {
                Ok(_) => {
                    tx.commit().await?;
                    created += 1;
                }
                // Another process starting at the same time made it first.
                Err(_) if installed_triggers(db).await?.contains(&name) => {}
                Err(e) => anyhow::bail!("trigger {name} on {table}: {e}"),
            }
        }
    }
    Ok(created)
}

/// The revisions of a school's current campaign: the school's, and each
/// dossier's pupil's (0 when never bumped), by dossier id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Revisions {
    pub school: i64,
    /// (dossier id, its pupil's revision), in the list's order (pupil's
    /// name, then dossier id).
    pub dossiers: Vec<(i64, i64)>,
}

/// Reads the revisions of school `school_id`'s current campaign.
pub async fn of_school(
    db: impl Executor<'_, Database = Any> + Copy,
    school_id: i64,
) -> sqlx::Result<Revisions> {
    let school: Option<i64> =
        sqlx::query_scalar("SELECT revision FROM school_revisions WHERE school_id = $1")
            .bind(school_id)
            .fetch_optional(db)
            .await?;
    let dossiers: Vec<(i64, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT d.id, COALESCE(r.revision, 0)
         FROM dossiers d
         JOIN campaigns c ON c.id = d.campaign_id
         JOIN pupils p ON p.id = d.pupil_id
         LEFT JOIN pupil_revisions r ON r.pupil_id = d.pupil_id
         WHERE c.school_id = $1 AND {}
         ORDER BY p.last_name, p.first_name, d.id",
        is_current("c", "$1")
    )))
    .bind(school_id)
    .fetch_all(db)
    .await?;
    Ok(Revisions {
        school: school.unwrap_or(0),
        dossiers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guardian_s_row_bumps_each_of_their_children() {
        let sql = bump(SOURCES[3].1, "NEW");
        assert!(
            sql.contains("FROM guardianships l WHERE l.guardian_id = NEW.id"),
            "{sql}"
        );
        assert!(sql.contains("INSERT INTO pupil_revisions"), "{sql}");
    }

    #[test]
    fn sqlite_has_a_trigger_per_operation_and_postgres_one_per_table() {
        let scope = Scope::School("SELECT R.school_id AS school_id");
        let lite = triggers(Backend::Sqlite, "mefs", scope);
        assert_eq!(lite.len(), 3);
        assert!(lite[1].1.contains("OLD.school_id") && lite[1].1.contains("NEW.school_id"));
        let pg = triggers(Backend::Postgres, "mefs", scope);
        assert_eq!(pg.len(), 1);
        assert!(pg[0].1.contains("AFTER INSERT OR UPDATE OR DELETE ON mefs"));
    }
}
