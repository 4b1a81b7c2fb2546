//! The school's screen for the return file to SIECLE (issue 13), on both
//! databases: without the school year's dates no file, and the page says
//! where to give them; a blocking problem hides the download and a forged
//! download is refused with nothing recorded; each warning is acknowledged
//! on its own; a good download is a zip whose XML validates against schema
//! 4.0, kept in the history and downloaded again byte for byte.

use std::io::{Cursor, Read};
use std::path::PathBuf;

use dossiersco::db::{SchoolScope, family};
use dossiersco::domain::Role;
use dossiersco::domain::dossier_state::{DossierState, Event};
use dossiersco::dossier::By;
use dossiersco_siecle::return_file::{is_valid_file_name, read_xml};
use dossiersco_siecle::synth;

use crate::builders::{AGENT_PASSWORD, BuiltSchool};
use crate::harness::TestApp;
use crate::import::{add_school, write_exports};
use crate::on_both_databases;
use crate::siecle_return::{step, xmllint};

/// The secretariat of the school.
pub(crate) const SECRETARIAT: &str = "secretariat@retour.fr";

/// A school imported from generated exports, with two validated dossiers
/// whose accepted changes the file carries: the first pupil's last name
/// changed, and on each a town of birth in words, which SIECLE cannot take
/// (two warnings, one per pupil).
pub(crate) struct Returning {
    pub school: BuiltSchool,
    /// (dossier, pupil) of the two validated dossiers.
    pub dossiers: [(i64, i64); 2],
    /// The file's school year (ANNEE_SCOLAIRE): the campaign's, the year after
    /// the exports'.
    pub year: i32,
}

pub(crate) async fn returning_school(app: &TestApp) -> Returning {
    let generated = synth::generate_school(0, 20, 7);
    let school = add_school(app, generated.uai.as_str()).await;
    let exports = write_exports(&generated);
    let paths: Vec<PathBuf> = exports.files.iter().map(|f| f.path.clone()).collect();
    dossiersco::import::command::import(app.db(), &school.uai, false, &paths, false)
        .await
        .unwrap();
    let pool = app.db().pool();
    let scope = SchoolScope::of_command_line(school.id);
    // The campaign's MEF succession, as the set-up screen proposes it: the
    // file moves the pupils up to the campaign's year.
    let mut tx = app.db().begin().await.unwrap();
    dossiersco::db::setup::apply_proposed_succession(&mut tx, school.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let campaign_id: i64 = sqlx::query_scalar("SELECT MAX(id) FROM campaigns WHERE school_id = $1")
        .bind(school.id)
        .fetch_one(pool)
        .await
        .unwrap();
    let built = BuiltSchool {
        id: school.id,
        uai: school.uai.clone(),
        campaign_id,
    };
    let agent_id = built.agent(app, SECRETARIAT, Role::Secretariat).await;
    built
        .agent(app, "infirmerie@retour.fr", Role::Infirmerie)
        .await;
    built.agent(app, "cpe@retour.fr", Role::VieScolaire).await;

    // Two pupils whose guardians have no other child here, born in France, in
    // 5e or 4e (a 6e's 5e needs a second compulsory option the exports do
    // not give; a 3e leaves the collège).
    let lonely: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT d.id, p.id, p.last_name FROM dossiers d JOIN pupils p ON p.id = d.pupil_id
         WHERE p.school_id = $1 AND p.birth_commune_insee <> ''
           AND (p.siecle_mef_code LIKE '101%' OR p.siecle_mef_code LIKE '102%') AND NOT EXISTS (
             SELECT 1 FROM guardianships l JOIN guardianships o ON o.guardian_id = l.guardian_id
             WHERE l.pupil_id = p.id AND o.pupil_id <> p.id)
         ORDER BY p.id LIMIT 2",
    )
    .bind(school.id)
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(lonely.len(), 2);
    let mut dossiers = [(0, 0); 2];
    for (i, (dossier_id, pupil_id, last_name)) in lonely.iter().enumerate() {
        let guardian: i64 = sqlx::query_scalar(
            "SELECT guardian_id FROM guardianships WHERE pupil_id = $1 ORDER BY rank, guardian_id LIMIT 1",
        )
        .bind(pupil_id)
        .fetch_one(pool)
        .await
        .unwrap();
        if i == 0 {
            family::set_pupil_field(
                pool,
                *dossier_id,
                "last_name",
                last_name,
                "NOUVEAUNOM",
                guardian,
            )
            .await
            .unwrap();
        }
        let town = ["Villeneuve", "Montreuil"][i];
        family::set_pupil_field(pool, *dossier_id, "birth_city", "", town, guardian)
            .await
            .unwrap();
        step(
            app,
            school.id,
            *dossier_id,
            DossierState::NotStarted,
            Event::Open,
            By::Guardian(guardian),
        )
        .await;
        step(
            app,
            school.id,
            *dossier_id,
            DossierState::Started,
            Event::Submit,
            By::Guardian(guardian),
        )
        .await;
        let decided = dossiersco::dossier::decisions::of_dossier(pool, scope, *dossier_id)
            .await
            .unwrap()
            .unwrap();
        for c in decided.iter().map(|x| &x.change) {
            dossiersco::db::decisions::record(
                pool,
                dossiersco::db::decisions::Decision {
                    dossier_id: *dossier_id,
                    change_key: &c.key,
                    proposed_value: &c.value,
                    label: &c.label,
                    proposed_words: &c.after,
                    accepted: true,
                    reason: "",
                    agent_id,
                },
            )
            .await
            .unwrap();
        }
        step(
            app,
            school.id,
            *dossier_id,
            DossierState::Submitted,
            Event::Validate,
            By::Agent(agent_id),
        )
        .await;
        dossiers[i] = (*dossier_id, *pupil_id);
    }
    Returning {
        school: built,
        dossiers,
        year: i32::from(generated.annee_scolaire) + 1,
    }
}

fn page(uai: &str) -> String {
    format!("/etablissements/{uai}/retour-siecle")
}

/// The values of the inputs named `name` of a page.
fn values(html: &str, name: &str) -> Vec<String> {
    let marker = format!("name=\"{name}\" value=\"");
    html.match_indices(&marker)
        .map(|(at, _)| {
            let rest = &html[at + marker.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

async fn sends(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM siecle_sends").await
}

async fn sent_dossiers(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM dossiers WHERE siecle_send_id IS NOT NULL")
        .await
}

/// Gives the school year's dates (the secretariat signed in).
async fn set_dates(app: &TestApp, r: &Returning) {
    let response = app
        .post_form(
            &format!("{}/annee", page(&r.school.uai)),
            &format!("{}/annee", page(&r.school.uai)),
            &[
                ("classes_start_on", &format!("{}-09-01", r.year)),
                ("classes_end_on", &format!("{}-07-04", r.year + 1)),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
}

async fn without_the_school_year_s_dates_no_file_and_the_page_says_where_to_give_them(
    app: TestApp,
) {
    let r = returning_school(&app).await;
    let uai = r.school.uai.clone();
    assert_eq!(
        app.sign_in_agent(SECRETARIAT, AGENT_PASSWORD)
            .await
            .status(),
        303
    );

    let (status, html) = app.get_html(&page(&uai)).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Les dates de l'année scolaire ne sont pas saisies"),
        "{html}"
    );
    assert!(html.contains(&format!(
        "href=\"/etablissements/{uai}/retour-siecle/annee\""
    )));
    assert!(
        !html.contains("Télécharger le fichier pour SIECLE"),
        "{html}"
    );

    // A download asked anyway: refused, nothing recorded.
    let response = app
        .post_form(&page(&uai), &page(&uai), &[("dossiers", "x")])
        .await;
    assert_eq!(response.status(), 409);
    let html = response.text().await.unwrap();
    assert!(html.contains("Aucun fichier n'a été produit"), "{html}");
    assert!(
        html.contains("dates de début et de fin des cours"),
        "{html}"
    );
    assert_eq!(sends(&app).await, 0);

    // The form refuses an end before the start and dates of another year.
    let dates = format!("{}/annee", page(&uai));
    let (status, form) = app.get_html(&dates).await;
    assert_eq!(status, 200);
    let year_label = format!("{}-{}", r.year, r.year + 1);
    assert!(form.contains(&year_label), "{form}");
    for (start, end, why) in [
        (
            format!("{}-09-01", r.year),
            format!("{}-08-31", r.year),
            "après le premier",
        ),
        (
            format!("{}-09-01", r.year + 1),
            format!("{}-07-04", r.year + 2),
            year_label.as_str(),
        ),
        (
            String::new(),
            format!("{}-07-04", r.year + 1),
            "premier jour",
        ),
    ] {
        let response = app
            .post_form(
                &dates,
                &dates,
                &[("classes_start_on", &start), ("classes_end_on", &end)],
            )
            .await;
        assert_eq!(response.status(), 422, "{start} {end}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("Rien n'a été enregistré") && html.contains(why),
            "{html}"
        );
    }
    let stored: Option<String> =
        sqlx::query_scalar("SELECT classes_start_on FROM campaigns WHERE id = $1")
            .bind(r.school.campaign_id)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(stored, None);

    // Given, the page shows them and what the file will carry.
    set_dates(&app, &r).await;
    let (_, html) = app.get_html(&page(&uai)).await;
    assert!(html.contains(&format!("01/09/{}", r.year)), "{html}");
    assert!(!html.contains("ne sont pas saisies"), "{html}");
    assert!(html.contains("data-pupils=\"2\""), "{html}");
    assert_eq!(sends(&app).await, 0, "reading the dry run records nothing");
    app.finish().await;
}

on_both_databases!(without_the_school_year_s_dates_no_file_and_the_page_says_where_to_give_them);

async fn a_blocking_problem_hides_the_download_and_a_forged_download_is_refused(app: TestApp) {
    let r = returning_school(&app).await;
    let uai = r.school.uai.clone();
    assert_eq!(
        app.sign_in_agent(SECRETARIAT, AGENT_PASSWORD)
            .await
            .status(),
        303
    );
    set_dates(&app, &r).await;
    // The campaign does not say what follows the second pupil's MEF: the
    // file cannot tell SIECLE next year's.
    sqlx::query(
        "UPDATE mefs SET next_mef_id = NULL WHERE school_id = $1
           AND code = (SELECT siecle_mef_code FROM pupils WHERE id = $2)",
    )
    .bind(r.school.id)
    .bind(r.dossiers[1].1)
    .execute(app.db().pool())
    .await
    .unwrap();

    let (status, html) = app.get_html(&page(&uai)).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Le fichier ne peut pas être téléchargé"),
        "{html}"
    );
    assert!(
        html.contains("Bloquant</span> la formation de l&#39;an prochain"),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            "/etablissements/{uai}/dossiers/{}\"",
            r.dossiers[1].0
        )),
        "the pupil's dossier is linked"
    );
    assert!(
        !html.contains("Télécharger le fichier pour SIECLE"),
        "{html}"
    );
    assert!(values(&html, "avertissement").is_empty(), "nothing to tick");

    // A forged download: refused, nothing recorded, no number used.
    let key = values(&html, "dossiers").pop().unwrap();
    let response = app
        .post_form(
            &page(&uai),
            &page(&uai),
            &[("dossiers", &key), ("avertissement", "0")],
        )
        .await;
    assert_eq!(response.status(), 409);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("problème(s) bloquant(s) à corriger"),
        "{html}"
    );
    assert_eq!(sends(&app).await, 0);
    assert_eq!(sent_dossiers(&app).await, 0);
    app.finish().await;
}

on_both_databases!(a_blocking_problem_hides_the_download_and_a_forged_download_is_refused);

async fn each_warning_is_acknowledged_and_the_file_is_kept_in_the_history(app: TestApp) {
    let r = returning_school(&app).await;
    let uai = r.school.uai.clone();
    assert_eq!(
        app.sign_in_agent(SECRETARIAT, AGENT_PASSWORD)
            .await
            .status(),
        303
    );
    set_dates(&app, &r).await;

    let (_, html) = app.get_html(&page(&uai)).await;
    assert!(
        html.contains("Télécharger le fichier pour SIECLE"),
        "{html}"
    );
    assert!(
        html.contains("Villeneuve") && html.contains("Montreuil"),
        "{html}"
    );
    let warnings = values(&html, "avertissement");
    // The two towns of birth, and the changed name to check (§4 check 25).
    assert!(
        warnings.len() >= 2,
        "one checkbox per warning: {warnings:?}"
    );
    let all: Vec<(&str, &str)> = warnings
        .iter()
        .map(|k| ("avertissement", k.as_str()))
        .collect();
    let (last, but_last) = all.split_last().unwrap();
    let dossiers = values(&html, "dossiers").pop().unwrap();
    for d in r.dossiers {
        assert!(
            html.contains(&format!("/dossiers/{}\"", d.0)),
            "dossier {} linked",
            d.0
        );
    }

    // One warning not ticked, or a forged key instead: refused, nothing recorded.
    let forged = [("avertissement", "0123456789abcdef01234567")];
    for ticked in [but_last.to_vec(), [but_last, &forged].concat()] {
        assert_ne!(last.1, forged[0].1);
        let mut fields = vec![("dossiers", dossiers.as_str())];
        fields.extend(ticked);
        let response = app.post_form(&page(&uai), &page(&uai), &fields).await;
        assert_eq!(response.status(), 409);
        let html = response.text().await.unwrap();
        assert!(
            html.contains("1 avertissement(s) ne sont pas cochés"),
            "{html}"
        );
        assert_eq!(sends(&app).await, 0);
    }
    // A stale dry run (other dossiers): refused.
    let fields = [&[("dossiers", "autre")], all.as_slice()].concat();
    let response = app.post_form(&page(&uai), &page(&uai), &fields).await;
    assert_eq!(response.status(), 409);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("des dossiers ont changé")
    );
    assert_eq!(sends(&app).await, 0);

    // Every warning ticked: the zip, named as the spec says.
    let fields = [&[("dossiers", dossiers.as_str())], all.as_slice()].concat();
    let response = app.post_form(&page(&uai), &page(&uai), &fields).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    let zip = response.bytes().await.unwrap().to_vec();
    let name = disposition
        .strip_prefix("attachment; filename=\"")
        .and_then(|n| n.strip_suffix(".zip\""))
        .unwrap_or_else(|| panic!("{disposition}"));
    assert!(is_valid_file_name(name), "{name}");
    let mut archive = zip::ZipArchive::new(Cursor::new(zip.clone())).unwrap();
    assert_eq!(archive.len(), 1);
    let mut entry = archive.by_index(0).unwrap();
    assert_eq!(entry.name().unwrap(), format!("{name}.xml"));
    let mut xml = Vec::new();
    entry.read_to_end(&mut xml).unwrap();
    drop(entry);
    xmllint(&xml);
    let back = read_xml(&xml).unwrap();
    assert_eq!(back.send_number, 1);
    assert_eq!(back.pupils.len(), 2);
    assert_eq!(sent_dossiers(&app).await, 2);

    // The history: the agent, the dossiers, the file again, byte for byte.
    let (_, html) = app.get_html(&page(&uai)).await;
    assert!(html.contains("id=\"envoi-1\""), "{html}");
    assert!(html.contains("Agent Secrétariat"), "{html}");
    assert!(html.contains("2 dossier(s)"), "{html}");
    assert!(
        html.contains("Déposez ce fichier une seule fois dans SIECLE"),
        "{html}"
    );
    let send_id: i64 = sqlx::query_scalar("SELECT id FROM siecle_sends WHERE send_number = 1")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let again = format!("{}/envois/{send_id}", page(&uai));
    assert!(html.contains(&format!("href=\"{again}\"")), "{html}");
    let response = app.get(&again).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"].to_str().unwrap(),
        disposition
    );
    assert_eq!(
        response.bytes().await.unwrap().to_vec(),
        zip,
        "byte for byte"
    );
    app.finish().await;
}

on_both_databases!(each_warning_is_acknowledged_and_the_file_is_kept_in_the_history);

async fn the_nurse_and_the_vie_scolaire_are_refused(app: TestApp) {
    let r = returning_school(&app).await;
    let uai = r.school.uai.clone();
    for email in ["infirmerie@retour.fr", "cpe@retour.fr"] {
        let client = TestApp::client_for(&app);
        let response = app.sign_in_agent_as(&client, email, AGENT_PASSWORD).await;
        assert_eq!(response.status(), 303);
        for path in [page(&uai), format!("{}/annee", page(&uai))] {
            let (status, _) = app.get_html_as(&client, &path).await;
            assert_eq!(status, 403, "{email} on {path}");
        }
    }
    app.finish().await;
}

on_both_databases!(the_nurse_and_the_vie_scolaire_are_refused);
