//! The demo seeds this year's dossiers in every state, with decisions,
//! pieces and transitions over several days, and its return file has pupils.

use dossiersco::campaign::school_year_starting;

use crate::harness::TestApp;
use crate::on_both_databases;

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(school_year_starting())
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

/// Dossiers of the current campaign only (the demo also has last year's).
const CURRENT: &str =
    "FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id WHERE c.school_year = $1";

async fn the_demo_has_dossiers_in_every_state_and_a_return_file_with_pupils(app: TestApp) {
    let seeded = dossiersco::demo::seed_in_every_state(&app.state)
        .await
        .unwrap();
    for state in [
        "not_started",
        "started",
        "submitted",
        "returned",
        "validated",
        "leaving",
    ] {
        let n = count(
            &app,
            &format!("SELECT COUNT(*) {CURRENT} AND d.state = '{state}'"),
        )
        .await;
        assert!(n > 0, "no demo dossier {state}");
    }
    let with = |what: &str| format!("SELECT COUNT(*) {CURRENT} AND {what}");
    // Sent back with a refused change and a refused piece.
    for what in [
        "d.state = 'returned' AND EXISTS (SELECT 1 FROM change_decisions k WHERE k.dossier_id = d.id AND k.decision = 'rejected' AND k.reason <> '')",
        "d.state = 'returned' AND EXISTS (SELECT 1 FROM uploads u WHERE u.dossier_id = d.id AND u.status = 'refused' AND u.refusal_reason <> '')",
        "d.state = 'validated' AND EXISTS (SELECT 1 FROM change_decisions k WHERE k.dossier_id = d.id AND k.decision = 'accepted')",
        "d.state = 'validated' AND EXISTS (SELECT 1 FROM change_decisions k WHERE k.dossier_id = d.id AND k.decision = 'rejected')",
        "d.state = 'submitted' AND EXISTS (SELECT 1 FROM uploads u WHERE u.dossier_id = d.id AND u.status = 'submitted')",
        "d.state = 'submitted' AND EXISTS (SELECT 1 FROM guardian_changes g JOIN guardianships l ON l.guardian_id = g.guardian_id WHERE l.pupil_id = d.pupil_id)",
        // Sent without any change, not even a piece: validated in bulk.
        "d.state = 'submitted' AND NOT EXISTS (SELECT 1 FROM guardian_changes g JOIN guardianships l ON l.guardian_id = g.guardian_id WHERE l.pupil_id = d.pupil_id)
         AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.dossier_id = d.id)",
        "EXISTS (SELECT 1 FROM medical_notes m WHERE m.dossier_id = d.id)",
    ] {
        assert!(
            count(&app, &with(what)).await > 0,
            "no demo dossier with {what}"
        );
    }
    // The dashboard's curve: transitions over several days.
    let days: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT t.created_at / 86400000 FROM dossier_transitions t
         JOIN dossiers d ON d.id = t.dossier_id JOIN campaigns c ON c.id = d.campaign_id
         WHERE c.school_year = $1",
    )
    .bind(school_year_starting())
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert!(days.len() >= 5, "transitions on {} days", days.len());

    // Seeding again changes nothing (the demo runs at every start).
    let before = count(
        &app,
        &format!("SELECT COUNT(*) {CURRENT} AND d.state <> 'not_started'"),
    )
    .await;
    dossiersco::demo::seed_in_every_state(&app.state)
        .await
        .unwrap();
    let after = count(
        &app,
        &format!("SELECT COUNT(*) {CURRENT} AND d.state <> 'not_started'"),
    )
    .await;
    assert_eq!(before, after);

    // The return file's dry run (as `dossiersco export siecle --dry-run`).
    let report =
        dossiersco::siecle_return::command::export(app.db(), &seeded.uai, true, false, None)
            .await
            .unwrap();
    let pupils: usize = report
        .text
        .split(" élève(s)")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", report.text));
    let validated_with_accepted = count(
        &app,
        &with("d.state = 'validated' AND EXISTS (SELECT 1 FROM change_decisions k WHERE k.dossier_id = d.id AND k.decision = 'accepted')"),
    )
    .await;
    assert_eq!(pupils as i64, validated_with_accepted, "{}", report.text);
    assert!(report.written.is_none());
    // The file can be sent: nothing blocks, and the one warning is the list
    // of the pupils leaving (check 31: their exit is recorded in SIECLE).
    let leaving = count(&app, &with("d.state = 'leaving'")).await;
    assert!(leaving > 0, "the demo has pupils leaving");
    assert!(
        report
            .text
            .contains("0 problème(s) bloquant(s), 1 avertissement(s).")
            && report.text.contains(&format!(
                "{leaving} élèves quittent le collège : enregistrez leur sortie dans SIECLE"
            )),
        "the demo's file can be sent: {}",
        report.text
    );
    app.finish().await;
}
on_both_databases!(the_demo_has_dossiers_in_every_state_and_a_return_file_with_pupils);
