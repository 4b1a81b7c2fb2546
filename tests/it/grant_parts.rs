//! The grants' numbers of parts (« Parts de bourse », docs/SIECLE-RETURN.md
//! check 30), on both databases: SIECLE's exports give a pupil's grant but
//! not its NB_PART, so the school enters it; the return file then carries the
//! grant with its parts (valid against schema 4.0) and the dry run warns only
//! about the grants still without; a line out of the schema's range (0–99)
//! refuses the whole form, nothing saved; only the direction and the
//! secretariat reach the screen.

use dossiersco_siecle::return_file::read_xml;
use std::io::{Cursor, Read};

use crate::builders::AGENT_PASSWORD;
use crate::harness::TestApp;
use crate::on_both_databases;
use crate::siecle_return::xmllint;
use crate::siecle_return_screen::{Returning, SECRETARIAT, returning_school};
use crate::valid_html::HtmlValidator;

fn screen(uai: &str) -> String {
    format!("/etablissements/{uai}/retour-siecle")
}

fn grants_page(uai: &str) -> String {
    format!("{}/bourses", screen(uai))
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

/// The two validated pupils get a grant in the import (codes N and R), as
/// the import stores BOURSES/BOURSE/CODE_BOURSE; signs the secretariat in and
/// gives the school year's dates.
async fn with_grants(app: &TestApp) -> Returning {
    let r = returning_school(app).await;
    for ((_, pupil), code) in r.dossiers.iter().zip(["N", "R"]) {
        sqlx::query("INSERT INTO pupil_grants (pupil_id, code) VALUES ($1, $2)")
            .bind(pupil)
            .bind(code)
            .execute(app.db().pool())
            .await
            .unwrap();
    }
    assert_eq!(
        app.sign_in_agent(SECRETARIAT, AGENT_PASSWORD)
            .await
            .status(),
        303
    );
    let dates = format!("{}/annee", screen(&r.school.uai));
    let response = app
        .post_form(
            &dates,
            &dates,
            &[
                ("classes_start_on", &format!("{}-09-01", r.year)),
                ("classes_end_on", &format!("{}-07-04", r.year + 1)),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    r
}

fn field(r: &Returning, i: usize, code: &str) -> String {
    format!("parts_{}_{code}", r.dossiers[i].1)
}

async fn stored(app: &TestApp) -> Vec<(i64, String, i64)> {
    sqlx::query_as("SELECT pupil_id, code, parts FROM grant_parts ORDER BY pupil_id, code")
        .fetch_all(app.db().pool())
        .await
        .unwrap()
}

async fn an_agent_enters_the_parts_and_the_file_carries_the_grant(app: TestApp) {
    let r = with_grants(&app).await;
    let uai = r.school.uai.clone();

    // The dry run: one warning per grant without parts, linked to the screen.
    let (_, html) = app.get_html(&screen(&uai)).await;
    let before = values(&html, "avertissement").len();
    assert_eq!(
        html.matches("la bourse n&#39;est pas envoyée").count(),
        2,
        "{html}"
    );
    assert!(
        html.contains(&format!("href=\"{}\"", grants_page(&uai))),
        "{html}"
    );

    // The screen: both pupils, one labelled input each, the grant in words.
    let (status, html) = app.get_html(&grants_page(&uai)).await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("inputmode=\"numeric\"").count(), 2, "{html}");
    assert!(html.contains("<label class=\"fr-label\" for=\"parts-0\">Parts de bourse de "));
    assert!(html.contains("Bourse de code « N » dans SIECLE"), "{html}");
    if let Some(validator) = HtmlValidator::start().await {
        validator.assert_valid("parts de bourse", &html).await;
    }

    // Parts for the first pupil, none yet for the second.
    let response = app
        .post_form(
            &grants_page(&uai),
            &grants_page(&uai),
            &[(&field(&r, 0, "N"), "3"), (&field(&r, 1, "R"), "")],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(stored(&app).await, vec![(r.dossiers[0].1, "N".into(), 3)]);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'grant_parts_updated'")
            .await,
        1
    );
    let (_, html) = app.get_html(&grants_page(&uai)).await;
    assert_eq!(values(&html, &field(&r, 0, "N")), vec!["3"]);

    // The dry run warns only about the grant still without parts.
    let (_, html) = app.get_html(&screen(&uai)).await;
    assert_eq!(
        html.matches("la bourse n&#39;est pas envoyée").count(),
        1,
        "{html}"
    );
    let warnings = values(&html, "avertissement");
    assert_eq!(warnings.len(), before - 1, "{warnings:?}");

    // The file: the first pupil's BOURSE with its NB_PART, the other left out.
    let dossiers = values(&html, "dossiers").pop().unwrap();
    let mut fields = vec![("dossiers", dossiers.as_str())];
    fields.extend(warnings.iter().map(|k| ("avertissement", k.as_str())));
    let response = app.post_form(&screen(&uai), &screen(&uai), &fields).await;
    assert_eq!(response.status(), 200);
    let zip = response.bytes().await.unwrap().to_vec();
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    let mut xml = Vec::new();
    archive.by_index(0).unwrap().read_to_end(&mut xml).unwrap();
    xmllint(&xml);
    let text = String::from_utf8_lossy(&xml);
    assert!(
        text.contains("<CODE_BOURSE>N</CODE_BOURSE><NB_PART>3</NB_PART>")
            || text.contains("<NB_PART>3</NB_PART>"),
        "{text}"
    );
    let back = read_xml(&xml).unwrap();
    let grants: Vec<(String, Option<u8>)> = back
        .pupils
        .iter()
        .flat_map(|p| p.grants.iter().map(|g| (g.code.clone(), g.parts)))
        .collect();
    assert_eq!(grants, vec![("N".to_owned(), Some(3))]);
    app.finish().await;
}

on_both_databases!(an_agent_enters_the_parts_and_the_file_carries_the_grant);

async fn a_line_out_of_range_refuses_the_form_and_saves_nothing(app: TestApp) {
    let r = with_grants(&app).await;
    let uai = r.school.uai.clone();
    for wrong in ["100", "-1", "2,5", "deux"] {
        let response = app
            .post_form(
                &grants_page(&uai),
                &grants_page(&uai),
                &[(&field(&r, 0, "N"), "4"), (&field(&r, 1, "R"), wrong)],
            )
            .await;
        assert_eq!(response.status(), 422, "{wrong}");
        let html = response.text().await.unwrap();
        assert!(html.contains("Rien n'a été enregistré"), "{html}");
        assert!(html.contains("1 ligne(s) à corriger"), "{html}");
        // The error on its line, tied to its input; the typed values kept.
        assert!(
            html.contains("id=\"parts-1\"") && html.contains("aria-describedby=\"parts-1-error\""),
            "{html}"
        );
        assert!(!html.contains("aria-describedby=\"parts-0-error\""));
        assert!(html.contains("0 à 99"), "{html}");
        assert_eq!(values(&html, &field(&r, 0, "N")), vec!["4"]);
        if wrong == "100"
            && let Some(validator) = HtmlValidator::start().await
        {
            validator
                .assert_valid("parts de bourse (erreurs)", &html)
                .await;
        }
        assert!(stored(&app).await.is_empty(), "{wrong}: nothing saved");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'grant_parts_updated'")
            .await,
        0
    );
    app.finish().await;
}

on_both_databases!(a_line_out_of_range_refuses_the_form_and_saves_nothing);

async fn the_nurse_and_the_vie_scolaire_cannot_enter_parts(app: TestApp) {
    let r = with_grants(&app).await;
    let uai = r.school.uai.clone();
    for email in ["infirmerie@retour.fr", "cpe@retour.fr"] {
        let client = TestApp::client_for(&app);
        let response = app.sign_in_agent_as(&client, email, AGENT_PASSWORD).await;
        assert_eq!(response.status(), 303);
        let (status, _) = app.get_html_as(&client, &grants_page(&uai)).await;
        assert_eq!(status, 403, "{email}");
        let response = app
            .post_form_as(
                &client,
                &format!("/etablissements/{uai}"),
                &grants_page(&uai),
                &[(&field(&r, 0, "N"), "2")],
            )
            .await;
        assert_eq!(response.status(), 403, "{email}");
    }
    assert!(stored(&app).await.is_empty());
    app.finish().await;
}

on_both_databases!(the_nurse_and_the_vie_scolaire_cannot_enter_parts);
