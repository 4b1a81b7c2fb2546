//! The import's jobs: applying once, purging uploaded files, progress.

use dossiersco::import::records::StoredFile;
use dossiersco_siecle::synth::{self, FICHIER_ELEVES};

use super::{exports_for, location, upload, write_exports};
use crate::harness::TestApp;
use crate::on_both_databases;

/// Seeds the demo collège and signs its secretariat in.
async fn demo_with_secretariat(app: &TestApp) -> dossiersco::demo::Seeded {
    let demo = app.seed_demo().await;
    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    demo
}

/// Uploads `files`, runs the preview job; returns the import's page.
async fn upload_and_preview(app: &TestApp, uai: &str, files: &[(&str, Vec<u8>)]) -> String {
    let response = upload(app, uai, files).await;
    assert_eq!(response.status().as_u16(), 303);
    let import_page = location(&response);
    assert_eq!(app.run_jobs().await, 1, "the preview job");
    import_page
}

/// Confirms a previewed import; returns the page of its job.
async fn confirm(app: &TestApp, import_page: &str) -> String {
    let response = app
        .post_form(
            import_page,
            &format!("{import_page}/confirmation"),
            &[("avertissement", "lu")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    location(&response)
}

fn id_in(page: &str) -> i64 {
    page.rsplit('/').next().unwrap().parse().unwrap()
}

/// An import that can no longer be applied — its file changed since the
/// preview, or the database refuses its rows — fails at its first attempt
/// (retrying would fail the same way) and the job page says why, in French.
async fn an_import_that_cannot_be_applied_fails_once_and_says_why(app: TestApp) {
    let demo = demo_with_secretariat(&app).await;
    let pool = app.db().pool();
    let siecle_pupils = "SELECT COUNT(*) FROM pupils WHERE siecle_hash <> ''";

    // 1. After the preview, the stored pupils file becomes another school's.
    let import_page = upload_and_preview(&app, &demo.uai, &exports_for(&demo.uai, 20)).await;
    let school_id: i64 = sqlx::query_scalar("SELECT school_id FROM imports WHERE id = $1")
        .bind(id_in(&import_page))
        .fetch_one(pool)
        .await
        .unwrap();
    let row = dossiersco::import::records::find(pool, school_id, id_in(&import_page))
        .await
        .unwrap()
        .unwrap();
    let stored = row
        .files()
        .into_iter()
        .find(|f| f.name == FICHIER_ELEVES)
        .unwrap();
    let other = write_exports(&synth::generate_school(3, 10, 1));
    let bytes = std::fs::read(other.dir.path().join(FICHIER_ELEVES)).unwrap();
    app.state
        .documents
        .put_bytes(&stored.key, bytes.into())
        .await
        .unwrap();
    let job_page = confirm(&app, &import_page).await;
    assert_eq!(app.run_jobs().await, 1);
    let job = dossiersco::jobs::queue::find(pool, id_in(&job_page))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((job.status.as_str(), job.attempts), ("failed", 1));
    assert_eq!(app.run_jobs().await, 0, "not retried");
    let (_, html) = app.get_html(&job_page).await;
    assert!(
        html.contains("Échec définitif")
            && html.contains("ne peut plus être appliqué")
            && html.contains(FICHIER_ELEVES)
            && html.contains("fr-alert--error"),
        "{html}"
    );
    let (_, html) = app.get_html(&import_page).await;
    assert!(html.contains("ne peut plus être appliqué"), "{html}");
    assert_eq!(app.count(siecle_pupils).await, 0);

    // 2. The database refuses the rows (siblings share guardians): one SIECLE
    // link per guardian the import creates (the demo's own families, siblings
    // included, are older).
    let last_guardian: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM guardians")
        .fetch_one(pool)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE UNIQUE INDEX one_siecle_link_per_guardian ON guardianships (guardian_id)
         WHERE from_siecle = TRUE AND guardian_id > {last_guardian}"
    )))
    .execute(pool)
    .await
    .unwrap();
    let import_page = upload_and_preview(&app, &demo.uai, &exports_for(&demo.uai, 60)).await;
    let job_page = confirm(&app, &import_page).await;
    assert_eq!(app.run_jobs().await, 1);
    let job = dossiersco::jobs::queue::find(pool, id_in(&job_page))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((job.status.as_str(), job.attempts), ("failed", 1));
    assert!(
        job.last_error.contains("rien n'a été écrit"),
        "{}",
        job.last_error
    );
    assert_eq!(app.run_jobs().await, 0, "not retried");
    let (_, html) = app.get_html(&job_page).await;
    assert!(html.contains("Échec définitif"), "{html}");
    assert_eq!(app.count(siecle_pupils).await, 0, "nothing landed");
    app.finish().await;
}

/// The files of an import, as its row records them.
async fn stored_files(app: &TestApp, import_page: &str) -> Vec<StoredFile> {
    let school_id: i64 = sqlx::query_scalar("SELECT school_id FROM imports WHERE id = $1")
        .bind(id_in(import_page))
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    dossiersco::import::records::find(app.db().pool(), school_id, id_in(import_page))
        .await
        .unwrap()
        .unwrap()
        .files()
}

async fn in_store(app: &TestApp, files: &[StoredFile]) -> Vec<bool> {
    let mut out = Vec::new();
    for f in files {
        out.push(app.state.documents.exists(&f.key).await.unwrap());
    }
    out
}

/// Uploaded files leave the documents store once the import is applied, or a
/// day after its last change when nobody applies it (the hourly purge job);
/// the history keeps their names.
async fn uploaded_files_are_deleted_once_applied_or_abandoned(app: TestApp) {
    let demo = demo_with_secretariat(&app).await;

    // Applied: deleted by the import job itself.
    let applied = upload_and_preview(&app, &demo.uai, &exports_for(&demo.uai, 10)).await;
    let files = stored_files(&app, &applied).await;
    assert_eq!(in_store(&app, &files).await, vec![true; 4]);
    confirm(&app, &applied).await;
    assert_eq!(app.run_jobs().await, 1);
    assert_eq!(in_store(&app, &files).await, vec![false; 4]);
    assert!(
        stored_files(&app, &applied)
            .await
            .iter()
            .all(|f| f.key.is_empty())
    );
    let (_, html) = app.get_html(&applied).await;
    assert!(
        html.contains("Importé") && html.contains(FICHIER_ELEVES),
        "{html}"
    );

    // Never confirmed, refused, and a recent one.
    let abandoned = upload_and_preview(&app, &demo.uai, &exports_for(&demo.uai, 10)).await;
    let other = write_exports(&synth::generate_school(3, 10, 1));
    let bytes = std::fs::read(other.dir.path().join(FICHIER_ELEVES)).unwrap();
    let refused = upload_and_preview(&app, &demo.uai, &[(FICHIER_ELEVES, bytes)]).await;
    let recent = upload_and_preview(&app, &demo.uai, &exports_for(&demo.uai, 10)).await;
    let (abandoned_files, refused_files, recent_files) = (
        stored_files(&app, &abandoned).await,
        stored_files(&app, &refused).await,
        stored_files(&app, &recent).await,
    );
    for page in [&abandoned, &refused] {
        sqlx::query("UPDATE imports SET updated_at = updated_at - $2 WHERE id = $1")
            .bind(id_in(page))
            .bind(2 * 24 * 3600 * 1000_i64)
            .execute(app.db().pool())
            .await
            .unwrap();
    }
    dossiersco::app::job_registry(&app.state)
        .enqueue_periodic()
        .await
        .unwrap();
    dossiersco::app::job_registry(&app.state)
        .enqueue_periodic()
        .await
        .unwrap();
    assert_eq!(
        app.run_jobs().await,
        3,
        "each hourly purge (import files, letters, exports) once per hour"
    );
    assert_eq!(in_store(&app, &abandoned_files).await, vec![false; 4]);
    assert_eq!(in_store(&app, &refused_files).await, vec![false]);
    assert_eq!(in_store(&app, &recent_files).await, vec![true; 4]);

    // The abandoned import can no longer be confirmed, and says why.
    let (_, html) = app.get_html(&abandoned).await;
    assert!(html.contains("Envoyez-les de nouveau"), "{html}");
    confirm(&app, &abandoned).await;
    assert_eq!(app.run_jobs().await, 0, "no import job for deleted files");
    let (_, html) = app.get_html(&recent).await;
    assert!(html.contains("Confirmer l"), "{html}");
    app.finish().await;
}

/// The job page shows an import's progress while its one transaction is still
/// open (on SQLite from the worker's memory: the table cannot be written
/// before the commit).
async fn the_job_page_shows_progress_during_the_import(app: TestApp) {
    let demo = demo_with_secretariat(&app).await;
    let import_page = upload_and_preview(&app, &demo.uai, &exports_for(&demo.uai, 1500)).await;
    let job_page = confirm(&app, &import_page).await;
    let state = app.state.clone();
    let worker =
        tokio::spawn(async move { dossiersco::app::run_jobs_until_idle(&state, "test").await });
    let mut seen = Vec::new();
    while !worker.is_finished() {
        let (_, html) = app.get_html(&job_page).await;
        if html.contains("En cours")
            && let Some(rest) = html.split("Avancement : ").nth(1)
            && let Some(percent) = rest.split(' ').next().and_then(|p| p.parse::<i64>().ok())
        {
            seen.push(percent);
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(worker.await.unwrap().unwrap(), 1);
    assert!(
        seen.iter().any(|p| *p > 0 && *p < 100),
        "an intermediate value while running: {seen:?}"
    );
    let (_, html) = app.get_html(&job_page).await;
    assert!(
        html.contains("Terminée") && html.contains("100 %"),
        "{html}"
    );
    app.finish().await;
}

on_both_databases!(
    an_import_that_cannot_be_applied_fails_once_and_says_why,
    uploaded_files_are_deleted_once_applied_or_abandoned,
    the_job_page_shows_progress_during_the_import,
);
