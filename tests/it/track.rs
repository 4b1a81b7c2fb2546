//! A pupil's change of track (« Formation l'an prochain » on the dossier's
//! page), on both databases: the secretariat chooses next year's MEF among
//! the school's, in words; it wins over « redoublant » and the campaign's
//! succession in the return file to SIECLE, where DOUBLEMENT is « next MEF =
//! this year's » and the division stays only if attached to the new MEF; it
//! is in the dossier's timeline. A forged code is refused (422) and changes
//! nothing; the nurse may not choose (403).

use std::collections::HashMap;

use dossiersco::db::SchoolScope;
use dossiersco::db::siecle_return as rows;
use dossiersco::domain::words;
use dossiersco::siecle_return::command::export;
use dossiersco_siecle::return_file::{ReturnFile, read_xml};

use crate::builders::AGENT_PASSWORD;
use crate::harness::TestApp;
use crate::on_both_databases;
use crate::siecle_return::unzip;
use crate::siecle_return_screen::{Returning, SECRETARIAT, returning_school};

/// `text` as the templates write it (apostrophes escaped).
fn html_of(text: &str) -> String {
    text.replace('\'', "&#39;")
}

fn dossier_page(uai: &str, dossier_id: i64) -> String {
    format!("/etablissements/{uai}/dossiers/{dossier_id}")
}

fn action(uai: &str, dossier_id: i64) -> String {
    format!("{}/formation-an-prochain", dossier_page(uai, dossier_id))
}

/// The school's MEFs: code → label.
async fn mefs(app: &TestApp, school_id: i64) -> HashMap<String, String> {
    sqlx::query_as("SELECT code, label FROM mefs WHERE school_id = $1")
        .bind(school_id)
        .fetch_all(app.db().pool())
        .await
        .unwrap()
        .into_iter()
        .collect()
}

/// The pupil's MEF and division this year, and the campaign's next MEF.
async fn this_year(app: &TestApp, pupil_id: i64) -> (String, String, String) {
    sqlx::query_as(
        "SELECT p.siecle_mef_code, p.division, n.code FROM pupils p
         JOIN mefs m ON m.id = p.mef_id JOIN mefs n ON n.id = m.next_mef_id WHERE p.id = $1",
    )
    .bind(pupil_id)
    .fetch_one(app.db().pool())
    .await
    .unwrap()
}

async fn chosen(app: &TestApp, dossier_id: i64) -> Option<i64> {
    sqlx::query_scalar("SELECT next_mef_id FROM dossiers WHERE id = $1")
        .bind(dossier_id)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

async fn audited(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'next_mef_chosen'")
        .await
}

/// The return file, every warning accepted.
async fn return_file(app: &TestApp, r: &Returning) -> ReturnFile {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("retour.zip");
    let report = export(app.db(), &r.school.uai, false, true, Some(out.clone()))
        .await
        .unwrap();
    assert!(!report.failed, "{}", report.text);
    read_xml(&unzip(&out).1).unwrap()
}

async fn siecle_id(app: &TestApp, pupil_id: i64) -> u32 {
    let id: String = sqlx::query_scalar("SELECT siecle_eleve_id FROM pupils WHERE id = $1")
        .bind(pupil_id)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    id.parse().unwrap()
}

async fn a_change_of_track_goes_to_siecle_with_doublement_n_and_the_division_dropped(app: TestApp) {
    let r = returning_school(&app).await;
    let uai = r.school.uai.clone();
    let pool = app.db().pool();
    let scope = SchoolScope::of_command_line(r.school.id);
    rows::set_classes_dates(
        pool,
        scope,
        &format!("{}-09-01", r.year),
        &format!("{}-07-04", r.year + 1),
    )
    .await
    .unwrap();
    let [(moved, moved_pupil), (kept, kept_pupil)] = r.dossiers;
    let labels = mefs(&app, r.school.id).await;
    let (mef, division, succession) = this_year(&app, moved_pupil).await;
    assert!(!division.is_empty(), "the pupil has a division this year");
    // A change of track: neither this year's MEF, nor the campaign's next,
    // nor a 6e (which needs options the exports do not give).
    let mut others: Vec<&String> = labels
        .keys()
        .filter(|c| **c != mef && **c != succession && !c.starts_with("100"))
        .collect();
    others.sort();
    let track = others[0].clone();
    // The campaign marks them « redoublant »: the explicit choice still wins.
    let mut tx = app.db().begin().await.unwrap();
    dossiersco::db::setup::set_repeaters(&mut tx, scope, &[moved])
        .await
        .unwrap();
    tx.commit().await.unwrap();

    assert_eq!(
        app.sign_in_agent(SECRETARIAT, AGENT_PASSWORD)
            .await
            .status(),
        303
    );
    let page = dossier_page(&uai, moved);
    let html = app.get_html(&page).await.1;
    assert!(html.contains("Formation l'an prochain"), "{html}");
    assert!(
        html.contains("redoublement (redoublants de la campagne)"),
        "{html}"
    );
    // The choices in words, the codes only as the form's values.
    let track_words = words::class_level(&labels[&track]);
    assert!(
        html.contains(&format!("<option value=\"{track}\">{track_words}</option>")),
        "{html}"
    );
    assert!(!html.contains(&format!(">{track}<")), "no code shown");

    let response = app
        .post_form(&page, &action(&uai, moved), &[("mef", &track)])
        .await;
    assert_eq!(response.status(), 303);
    let html = app.get_html(&page).await.1;
    assert!(
        html.contains(&format!(
            "L'an prochain : <strong>{track_words}</strong> ({})",
            html_of("choisie par l'établissement")
        )),
        "{html}"
    );
    assert!(
        html.contains(&html_of("Formation de l'an prochain choisie")),
        "in the timeline: {html}"
    );
    assert_eq!(audited(&app).await, 1);
    // The other pupil: this year's MEF chosen, i.e. repeating (not marked so).
    let (kept_mef, kept_division, _) = this_year(&app, kept_pupil).await;
    let response = app
        .post_form(
            &dossier_page(&uai, kept),
            &action(&uai, kept),
            &[("mef", &kept_mef)],
        )
        .await;
    assert_eq!(response.status(), 303);
    let html = app.get_html(&dossier_page(&uai, kept)).await.1;
    assert!(
        html.contains(&html_of("(choisie par l'établissement : redoublement)")),
        "{html}"
    );

    let file = return_file(&app, &r).await;
    let of = |id: u32| {
        file.pupils
            .iter()
            .find(|p| p.siecle_id == Some(id))
            .unwrap()
            .clone()
    };
    let p = of(siecle_id(&app, moved_pupil).await);
    let s = p.schooling.as_ref().unwrap();
    assert_eq!(s.mef, track, "the chosen MEF, not the succession's");
    assert!(!p.repeating, "DOUBLEMENT N: the MEF changes");
    assert_eq!(
        s.division, None,
        "this year's division is not the new MEF's"
    );
    assert_eq!(
        p.previous.as_ref().unwrap().mef.as_deref(),
        Some(mef.as_str())
    );
    let p = of(siecle_id(&app, kept_pupil).await);
    let s = p.schooling.as_ref().unwrap();
    assert_eq!(s.mef, kept_mef);
    assert!(p.repeating, "DOUBLEMENT O: the same MEF");
    assert_eq!(s.division.as_deref(), Some(kept_division.as_str()));

    // Back to the default: the campaign's « redoublant », audited.
    let response = app
        .post_form(&page, &action(&uai, moved), &[("mef", "")])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(chosen(&app, moved).await, None);
    assert_eq!(audited(&app).await, 3);
    let html = app.get_html(&page).await.1;
    assert!(
        html.contains(&html_of(
            "Formation de l'an prochain : retour à celle prévue"
        )),
        "{html}"
    );
    let file = return_file(&app, &r).await;
    let id = siecle_id(&app, moved_pupil).await;
    let p = file
        .pupils
        .iter()
        .find(|p| p.siecle_id == Some(id))
        .unwrap();
    assert_eq!(p.schooling.as_ref().unwrap().mef, mef, "redoublant again");
    assert!(p.repeating);
    app.finish().await;
}

on_both_databases!(a_change_of_track_goes_to_siecle_with_doublement_n_and_the_division_dropped);

async fn a_forged_mef_code_is_refused_and_changes_nothing(app: TestApp) {
    let r = returning_school(&app).await;
    let uai = r.school.uai.clone();
    let dossier = r.dossiers[0].0;
    // A MEF of another school.
    let other = crate::builders::SchoolBuilder::new("0750999X")
        .build(&app)
        .await;
    sqlx::query(
        "INSERT INTO mefs (school_id, code, label) VALUES ($1, '99999999999', '4EME AUTRE')",
    )
    .bind(other.id)
    .execute(app.db().pool())
    .await
    .unwrap();
    assert_eq!(
        app.sign_in_agent(SECRETARIAT, AGENT_PASSWORD)
            .await
            .status(),
        303
    );
    let page = dossier_page(&uai, dossier);
    for forged in ["99999999999", "<script>", "1 OR 1=1"] {
        let response = app
            .post_form(&page, &action(&uai, dossier), &[("mef", forged)])
            .await;
        assert_eq!(response.status(), 422, "{forged}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains(&html_of(
                "Cette formation n'est pas une formation de l'établissement"
            )),
            "{html}"
        );
        assert!(html.contains("aria-invalid=\"true\""), "{html}");
    }
    assert_eq!(chosen(&app, dossier).await, None);
    assert_eq!(audited(&app).await, 0);
    app.finish().await;
}

on_both_databases!(a_forged_mef_code_is_refused_and_changes_nothing);

async fn the_nurse_may_not_choose_a_track(app: TestApp) {
    let r = returning_school(&app).await;
    let uai = r.school.uai.clone();
    let (dossier, pupil) = r.dossiers[0];
    let (mef, _, _) = this_year(&app, pupil).await;
    let client = TestApp::client_for(&app);
    let response = app
        .sign_in_agent_as(&client, "infirmerie@retour.fr", AGENT_PASSWORD)
        .await;
    assert_eq!(response.status(), 303);
    let page = dossier_page(&uai, dossier);
    let (status, html) = app.get_html_as(&client, &page).await;
    assert_eq!(status, 200);
    assert!(html.contains("Formation l'an prochain"), "shown: {html}");
    assert!(
        !html.contains("formation-an-prochain\""),
        "no form for the nurse: {html}"
    );
    let response = app
        .post_form_as(&client, &page, &action(&uai, dossier), &[("mef", &mef)])
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(chosen(&app, dossier).await, None);
    assert_eq!(audited(&app).await, 0);
    app.finish().await;
}

on_both_databases!(the_nurse_may_not_choose_a_track);

/// A validated dossier without an accepted change is not in the file, unless
/// the school decided the pupil's next year (« redoublant » or a change of
/// track): SIECLE's own move-up would not know it. Then the pupil goes with
/// every value as SIECLE had it and next year's MEF.
async fn a_pupil_whose_next_year_the_school_decided_goes_to_siecle_without_another_change(
    app: TestApp,
) {
    use dossiersco::domain::dossier_state::{DossierState, Event};
    use dossiersco::dossier::By;

    use crate::siecle_return::step;

    let r = returning_school(&app).await;
    let pool = app.db().pool();
    let scope = SchoolScope::of_command_line(r.school.id);
    rows::set_classes_dates(
        pool,
        scope,
        &format!("{}-09-01", r.year),
        &format!("{}-07-04", r.year + 1),
    )
    .await
    .unwrap();
    // A third pupil in 5e or 4e whose guardians have no other child here.
    let (dossier_id, pupil_id, last_name): (i64, i64, String) = sqlx::query_as(
        "SELECT d.id, p.id, p.last_name FROM dossiers d JOIN pupils p ON p.id = d.pupil_id
         WHERE p.school_id = $1 AND d.campaign_id = $2 AND d.id NOT IN ($3, $4)
           AND (p.siecle_mef_code LIKE '101%' OR p.siecle_mef_code LIKE '102%') AND NOT EXISTS (
             SELECT 1 FROM guardianships l JOIN guardianships o ON o.guardian_id = l.guardian_id
             WHERE l.pupil_id = p.id AND o.pupil_id <> p.id)
         ORDER BY p.id LIMIT 1",
    )
    .bind(r.school.id)
    .bind(r.school.campaign_id)
    .bind(r.dossiers[0].0)
    .bind(r.dossiers[1].0)
    .fetch_one(pool)
    .await
    .unwrap();
    let guardian: i64 = sqlx::query_scalar(
        "SELECT guardian_id FROM guardianships WHERE pupil_id = $1 ORDER BY rank, guardian_id LIMIT 1",
    )
    .bind(pupil_id)
    .fetch_one(pool)
    .await
    .unwrap();
    let agent: i64 = sqlx::query_scalar("SELECT id FROM agents WHERE email = $1")
        .bind(SECRETARIAT)
        .fetch_one(pool)
        .await
        .unwrap();
    let school = r.school.id;
    step(
        &app,
        school,
        dossier_id,
        DossierState::NotStarted,
        Event::Open,
        By::Guardian(guardian),
    )
    .await;
    step(
        &app,
        school,
        dossier_id,
        DossierState::Started,
        Event::Submit,
        By::Guardian(guardian),
    )
    .await;
    step(
        &app,
        school,
        dossier_id,
        DossierState::Submitted,
        Event::Validate,
        By::Agent(agent),
    )
    .await;
    let id = siecle_id(&app, pupil_id).await;

    let file = return_file(&app, &r).await;
    assert_eq!(file.pupils.len(), 2, "the two with accepted changes only");
    assert!(file.pupils.iter().all(|p| p.siecle_id != Some(id)));

    // The school marks them « redoublant »: now in the file, as SIECLE had
    // them, with this year's MEF again and DOUBLEMENT O.
    let (mef, division, _) = this_year(&app, pupil_id).await;
    let mut tx = app.db().begin().await.unwrap();
    dossiersco::db::setup::set_repeaters(&mut tx, scope, &[dossier_id])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let file = return_file(&app, &r).await;
    assert_eq!(file.pupils.len(), 3);
    let p = file
        .pupils
        .iter()
        .find(|p| p.siecle_id == Some(id))
        .expect("the repeater is in the file");
    assert_eq!(p.last_name, last_name, "as SIECLE had it");
    assert!(p.repeating);
    let s = p.schooling.as_ref().unwrap();
    assert_eq!(s.mef, mef);
    assert_eq!(s.division.as_deref(), Some(division.as_str()));
    app.finish().await;
}

on_both_databases!(
    a_pupil_whose_next_year_the_school_decided_goes_to_siecle_without_another_change
);

/// The « redoublants » screen says, for each pupil whose next year an agent
/// chose in the dossier, that choice in words (so the screen does not
/// suggest they simply move up), links to it, and its save leaves the
/// choice as it is, the pupil's box ticked or not.
async fn the_repeaters_screen_shows_a_chosen_track_and_its_save_keeps_it(app: TestApp) {
    let r = returning_school(&app).await;
    let uai = r.school.uai.clone();
    let (moved, moved_pupil) = r.dossiers[0];
    let (kept, kept_pupil) = r.dossiers[1];
    let untouched: i64 = sqlx::query_scalar(
        "SELECT MIN(d.id) FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
         WHERE c.school_id = $1 AND d.id <> $2 AND d.id <> $3",
    )
    .bind(r.school.id)
    .bind(moved)
    .bind(kept)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let mefs = mefs(&app, r.school.id).await;
    let (moved_mef, _, moved_next) = this_year(&app, moved_pupil).await;
    let (kept_mef, _, _) = this_year(&app, kept_pupil).await;
    let other = mefs
        .keys()
        .find(|c| **c != moved_mef && **c != moved_next)
        .unwrap()
        .clone();
    assert_eq!(
        app.sign_in_agent(SECRETARIAT, AGENT_PASSWORD)
            .await
            .status(),
        303
    );
    // A change of track for one, a repeat chosen in the dossier for another.
    for (dossier, code) in [(moved, &other), (kept, &kept_mef)] {
        let page = dossier_page(&uai, dossier);
        let response = app
            .post_form(&page, &action(&uai, dossier), &[("mef", code)])
            .await;
        assert_eq!(response.status(), 303);
    }
    let (moved_choice, kept_choice) = (chosen(&app, moved).await, chosen(&app, kept).await);
    assert!(moved_choice.is_some() && kept_choice.is_some());

    let screen = format!("/etablissements/{uai}/campagne/redoublants");
    let (status, html) = app.get_html(&screen).await;
    assert_eq!(status, 200);
    let moved_words = format!(
        "Formation choisie dans le dossier : {} (changement de formation)",
        words::class_level(&mefs[&other])
    );
    let kept_words = format!(
        "Formation choisie dans le dossier : {} (redoublement)",
        words::class_level(&mefs[&kept_mef])
    );
    assert!(html.contains(&moved_words), "{moved_words}\n{html}");
    assert!(html.contains(&kept_words), "{kept_words}\n{html}");
    assert!(
        html.contains(&format!(
            r#"href="/etablissements/{uai}/dossiers/{moved}#formation""#
        )),
        "{html}"
    );
    assert!(
        !html.contains(&format!(
            r#"href="/etablissements/{uai}/dossiers/{untouched}#formation""#
        )),
        "no choice, no link: {html}"
    );
    assert_eq!(
        html.matches("Formation choisie dans le dossier").count(),
        2,
        "{html}"
    );

    // Saved with the moved pupil's box ticked and the other's not: the
    // mark changes, the choices made in the dossiers stay.
    let response = app
        .post_form(
            &screen,
            &screen,
            &[("repeating", moved.to_string().as_str())],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(chosen(&app, moved).await, moved_choice);
    assert_eq!(chosen(&app, kept).await, kept_choice);
    let repeating: Vec<(i64, bool)> = sqlx::query_as::<_, (i64, dossiersco::db::Flag)>(
        "SELECT id, repeating FROM dossiers WHERE id IN ($1, $2) ORDER BY id",
    )
    .bind(moved.min(kept))
    .bind(moved.max(kept))
    .fetch_all(app.db().pool())
    .await
    .unwrap()
    .into_iter()
    .map(|(id, f)| (id, f.0))
    .collect();
    assert!(repeating.contains(&(moved, true)) && repeating.contains(&(kept, false)));
    let (_, html) = app.get_html(&screen).await;
    assert!(
        html.contains(&moved_words) && html.contains(&kept_words),
        "{html}"
    );
    app.finish().await;
}

on_both_databases!(the_repeaters_screen_shows_a_chosen_track_and_its_save_keeps_it);
