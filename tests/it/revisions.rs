//! The revisions the school's list is kept by (`db::revisions`,
//! `dossier::entries_cache`): every table the facts read has its triggers,
//! a write bumps what it concerns, a trigger lost by a table rebuild comes
//! back, and the list reflects a family's change made after it was kept.

use std::collections::BTreeSet;

use dossiersco::db::Backend;
use dossiersco::db::revisions::{self, SOURCES};

use crate::harness::TestApp;
use crate::on_both_databases;

/// The tables the facts' queries name (`FROM t` or `JOIN t` in
/// `src/db/facts.rs` and in the queries of `src/db/offer.rs` it calls).
fn tables_the_facts_read() -> BTreeSet<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut tables = BTreeSet::new();
    let facts = std::fs::read_to_string(root.join("src/db/facts.rs")).unwrap();
    let offer = std::fs::read_to_string(root.join("src/db/offer.rs")).unwrap();
    // Of offer.rs, the queries the facts call: the practised codes, the
    // options of the school, the waiting lists, the questions.
    let called: String = [
        "PRACTISED_CODES",
        "fn options_of_school",
        "fn request_queues",
        "fn questions",
    ]
    .iter()
    .map(|start| {
        let from = offer
            .find(start)
            .unwrap_or_else(|| panic!("{start} in offer.rs"));
        let rest = &offer[from..];
        rest[..rest.find("\n}\n").or_else(|| rest.find(";\n")).unwrap()].to_owned()
    })
    .collect();
    for text in [facts.as_str(), called.as_str()] {
        for keyword in ["FROM", "JOIN"] {
            for (at, _) in text.match_indices(keyword) {
                // A table's name follows; a subquery `(…) alias` does not.
                let rest = text[at + keyword.len()..].trim_start();
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    tables.insert(name);
                }
            }
        }
    }
    tables
}

#[test]
fn every_table_the_facts_read_bumps_a_revision() {
    let read = tables_the_facts_read();
    assert!(read.len() >= 15, "the reading found the queries: {read:?}");
    let kept: BTreeSet<String> = SOURCES.iter().map(|(t, _)| (*t).to_owned()).collect();
    let missing: Vec<&String> = read.difference(&kept).collect();
    assert!(
        missing.is_empty(),
        "tables the facts read without revision triggers: {missing:?} (add them to db::revisions::SOURCES)"
    );
}

async fn every_source_table_has_its_triggers_and_a_lost_one_comes_back(app: TestApp) {
    let per_table = match app.db().backend() {
        Backend::Sqlite => 3,
        Backend::Postgres => 1,
    };
    let installed = revisions::installed_triggers(app.db()).await.unwrap();
    assert_eq!(installed.len(), SOURCES.len() * per_table, "{installed:?}");

    // What rebuilding a table on SQLite does to its triggers.
    let drop = match app.db().backend() {
        Backend::Sqlite => "DROP TRIGGER revision_v1_uploads_insert",
        Backend::Postgres => "DROP TRIGGER revision_v1_uploads ON uploads",
    };
    sqlx::query(drop).execute(app.db().pool()).await.unwrap();
    assert_eq!(
        revisions::installed_triggers(app.db()).await.unwrap().len(),
        installed.len() - 1
    );
    app.db().migrate().await.unwrap();
    let mut back = revisions::installed_triggers(app.db()).await.unwrap();
    back.sort();
    let mut before = installed;
    before.sort();
    assert_eq!(back, before, "the next migration run recreates it");
    app.finish().await;
}
on_both_databases!(every_source_table_has_its_triggers_and_a_lost_one_comes_back);

async fn revision(app: &TestApp, sql: &'static str, id: i64) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .bind(id)
        .fetch_optional(app.db().pool())
        .await
        .unwrap()
        .unwrap_or(0)
}

async fn pupil_revision(app: &TestApp, pupil: i64) -> i64 {
    revision(
        app,
        "SELECT revision FROM pupil_revisions WHERE pupil_id = $1",
        pupil,
    )
    .await
}

async fn a_write_bumps_the_pupils_or_the_school_it_concerns(app: TestApp) {
    let seeded = app.seed_demo().await;
    let pool = app.db().pool();
    // Two children of one guardian, and a pupil of another family.
    let (guardian, first, second): (i64, i64, i64) = sqlx::query_as(
        "SELECT a.guardian_id, a.pupil_id, b.pupil_id FROM guardianships a
         JOIN guardianships b ON b.guardian_id = a.guardian_id AND b.pupil_id > a.pupil_id
         ORDER BY a.guardian_id LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let other: i64 = sqlx::query_scalar(
        "SELECT p.id FROM pupils p WHERE p.id NOT IN
             (SELECT l.pupil_id FROM guardianships l WHERE l.guardian_id = $1)
         ORDER BY p.id LIMIT 1",
    )
    .bind(guardian)
    .fetch_one(pool)
    .await
    .unwrap();
    let before = [
        pupil_revision(&app, first).await,
        pupil_revision(&app, second).await,
        pupil_revision(&app, other).await,
    ];

    // A guardian's edit of their own details concerns each of their children.
    sqlx::query(
        "INSERT INTO guardian_changes (guardian_id, field, siecle_value, new_value, changed_at)
         VALUES ($1, 'phone_mobile', '', '0611223344', 1)",
    )
    .bind(guardian)
    .execute(pool)
    .await
    .unwrap();
    assert_eq!(pupil_revision(&app, first).await, before[0] + 1);
    assert_eq!(pupil_revision(&app, second).await, before[1] + 1);
    assert_eq!(
        pupil_revision(&app, other).await,
        before[2],
        "not another family"
    );

    // An update bumps once for the old row and once for the new one.
    sqlx::query("UPDATE pupils SET division = '3B' WHERE id = $1")
        .bind(other)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(pupil_revision(&app, other).await, before[2] + 2);

    // A MEF of the school concerns the whole school.
    let school: i64 = sqlx::query_scalar("SELECT id FROM schools WHERE uai = $1")
        .bind(&seeded.uai)
        .fetch_one(pool)
        .await
        .unwrap();
    let school_before = revision(
        &app,
        "SELECT revision FROM school_revisions WHERE school_id = $1",
        school,
    )
    .await;
    sqlx::query("UPDATE mefs SET label = label || ' ' WHERE id = (SELECT MIN(id) FROM mefs WHERE school_id = $1)")
        .bind(school)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(
        revision(
            &app,
            "SELECT revision FROM school_revisions WHERE school_id = $1",
            school
        )
        .await,
        school_before + 2
    );
    app.finish().await;
}
on_both_databases!(a_write_bumps_the_pupils_or_the_school_it_concerns);

/// The list kept in memory (checked here without the tests' recomputation:
/// what production runs) shows a change made after it was kept, and leaves
/// the changed dossier out of the bulk validation.
async fn the_kept_list_shows_a_change_made_after_it_was_kept(app: TestApp) {
    use crate::review::{UAI, change, review_school, sign_in};
    let school = review_school(&app, 2).await;
    sign_in(&app).await;
    let list = format!("/etablissements/{UAI}/dossiers?etat=submitted&modifie=non");
    let (status, html) = app.get_html(&list).await;
    assert_eq!(status, 200);
    assert!(html.contains("MARTIN"), "unchanged at first: {html}");

    change(&app, &school.unchanged[0], "first_name", "Léa", "Lea").await;
    let (status, html) = app.get_html(&list).await;
    assert_eq!(status, 200);
    assert!(!html.contains("MARTIN"), "now changed: {html}");
    let (_, html) = app
        .get_html(&format!(
            "/etablissements/{UAI}/dossiers?etat=submitted&modifie=oui"
        ))
        .await;
    assert!(html.contains("MARTIN") && html.contains("DURAND"), "{html}");
    app.finish().await;
}

mod the_kept_list_shows_a_change_made_after_it_was_kept {
    use super::*;
    fn unchecked(s: &mut dossiersco::settings::Settings) {
        s.check_list_cache = false;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let app = TestApp::spawn_with(Backend::Sqlite, unchecked)
            .await
            .unwrap();
        super::the_kept_list_shows_a_change_made_after_it_was_kept(app).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(app) = TestApp::spawn_with(Backend::Postgres, unchecked).await {
            super::the_kept_list_shows_a_change_made_after_it_was_kept(app).await
        }
    }
}
