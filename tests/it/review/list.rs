//! The dossier list: filters, search, sort, pages; bulk validation, send
//! back and export; nothing of another school.

use dossiersco::domain::Role;

use super::{AGENT, UAI, review_school, sign_in, state_of};
use crate::builders::{AGENT_PASSWORD, SchoolBuilder};
use crate::harness::TestApp;
use crate::on_both_databases;

const LIST: &str = "/etablissements/0750680G/dossiers";

/// The pupils' names in the list's table, in order.
fn names(html: &str) -> Vec<String> {
    html.split("/dossiers/")
        .skip(1)
        .filter_map(|rest| {
            let (id, rest) = rest.split_once("\">")?;
            id.parse::<i64>().ok()?;
            Some(rest.split_once("</a>")?.0.to_owned())
        })
        .collect()
}

async fn the_dossier_list_filters_searches_sorts_and_pages_beyond_the_first(app: TestApp) {
    review_school(&app, 45).await;
    sign_in(&app).await;

    let (status, html) = app
        .get_html(&format!("{LIST}?etat=submitted&modifie=non"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        names(&html),
        ["BERNARD Jules", "LEFÈVRE Chloé", "MARTIN Léa"],
        "sent without a change, by class then name"
    );
    assert!(html.contains("3 dossiers sur 51"), "the counts are shown");
    assert!(
        html.contains("Envoyé à l&#39;établissement (3)")
            || html.contains("Envoyé à l'établissement (3)"),
        "the queue counts the filter's other parts"
    );

    let html = app.get_html(&format!("{LIST}?modifie=oui")).await.1;
    assert_eq!(names(&html), ["DURAND Inès"]);
    let html = app.get_html(&format!("{LIST}?q=lefevre+chl")).await.1;
    assert_eq!(
        names(&html),
        ["LEFÈVRE Chloé"],
        "a name without its accents"
    );
    let html = app.get_html(&format!("{LIST}?q=123456789ab")).await.1;
    assert_eq!(names(&html), ["LEFÈVRE Chloé"], "an INE");
    let html = app
        .get_html(&format!("{LIST}?classe=4A&tri=nom&ordre=desc"))
        .await
        .1;
    assert_eq!(
        names(&html),
        [
            "ROBERT Léo",
            "PETIT Tom",
            "MARTIN Léa",
            "LEFÈVRE Chloé",
            "DURAND Inès",
            "BERNARD Jules"
        ]
    );
    assert!(html.contains("aria-sort=\"descending\""));

    // 45 pupils of 5C by pages of 20: the third page holds the last 5.
    let html = app
        .get_html(&format!("{LIST}?classe=5C&tri=nom&par_page=20&page=3"))
        .await
        .1;
    assert_eq!(
        names(&html),
        [
            "ELEVE041 Prénom",
            "ELEVE042 Prénom",
            "ELEVE043 Prénom",
            "ELEVE044 Prénom",
            "ELEVE045 Prénom"
        ]
    );
    assert!(html.contains("page 3 sur 3"), "{html}");
    let html = app
        .get_html(&format!("{LIST}?classe=5C&tri=nom&par_page=20&page=2"))
        .await
        .1;
    assert_eq!(names(&html).len(), 20);
    assert_eq!(names(&html)[0], "ELEVE021 Prénom");
    assert!(
        html.replace("&#38;", "&")
            .replace("&amp;", "&")
            .contains("classe=5C&tri=nom&par_page=20&page=3"),
        "the next page keeps the filter, the sort and the size"
    );
    // No fixed limit: every pupil on one page when asked.
    let html = app.get_html(&format!("{LIST}?par_page=2000")).await.1;
    assert_eq!(names(&html).len(), 51);
    app.finish().await;
}
on_both_databases!(the_dossier_list_filters_searches_sorts_and_pages_beyond_the_first);

async fn validating_in_bulk_validates_exactly_the_submitted_dossiers_without_a_change(
    app: TestApp,
) {
    let school = review_school(&app, 3).await;
    sign_in(&app).await;
    let action = format!("{LIST}/validation");

    // On the whole filter (nothing ticked): a confirmation first, with the count.
    let asked = app.post_form(LIST, &action, &[("filtre", "")]).await;
    assert_eq!(asked.status(), 200);
    let page = asked.text().await.unwrap();
    assert!(
        page.contains("Valider 3 dossiers sans modification ?"),
        "{page}"
    );
    assert!(
        page.contains("4 autres dossiers de la sélection ne sont pas concernés")
            || page.contains("autres dossiers"),
        "{page}"
    );
    for p in &school.unchanged {
        assert_eq!(
            state_of(&app, p.dossier_id).await,
            "submitted",
            "not before confirming"
        );
    }

    let mut fields = vec![("filtre", String::new()), ("confirmation", "oui".into())];
    for p in &school.unchanged {
        fields.push(("dossier", p.dossier_id.to_string()));
    }
    // A dossier with a change slipped into the confirmed ids is left alone.
    fields.push(("dossier", school.changed.dossier_id.to_string()));
    fields.push(("dossier", school.started.dossier_id.to_string()));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = app.post_form(LIST, &action, &fields).await;
    assert_eq!(done.status(), 303);
    for p in &school.unchanged {
        assert_eq!(state_of(&app, p.dossier_id).await, "validated");
    }
    assert_eq!(state_of(&app, school.changed.dossier_id).await, "submitted");
    assert_eq!(state_of(&app, school.started.dossier_id).await, "started");
    assert_eq!(
        state_of(&app, school.validated.dossier_id).await,
        "validated"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers WHERE state = 'not_started'")
            .await,
        3
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossier_transitions WHERE to_state = 'validated'")
            .await,
        3,
        "each move recorded"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'dossier_transition'")
            .await,
        3
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'dossiers_validated_in_bulk' AND subject = 'dossiers:3'"
        )
        .await,
        1
    );
    let html = app.get_html(LIST).await.1;
    assert!(html.contains("3 dossiers validés."), "the outcome is said");
    app.finish().await;
}
on_both_databases!(validating_in_bulk_validates_exactly_the_submitted_dossiers_without_a_change);

async fn sending_back_in_bulk_asks_a_reason_and_writes_to_each_family(app: TestApp) {
    let school = review_school(&app, 0).await;
    sign_in(&app).await;
    let action = format!("{LIST}/renvoi");
    let a = school.unchanged[0].dossier_id.to_string();
    let b = school.changed.dossier_id.to_string();
    let c = school.started.dossier_id.to_string();
    let chosen = [
        ("dossier", a.as_str()),
        ("dossier", b.as_str()),
        ("dossier", c.as_str()),
    ];
    let asked = app.post_form(LIST, &action, &chosen).await;
    let page = asked.text().await.unwrap();
    assert!(
        page.contains("Renvoyer 2 dossiers à leur famille ?"),
        "{page}"
    );
    let mut confirmed = chosen.to_vec();
    confirmed.push(("confirmation", "oui"));
    let no_reason = app.post_form(LIST, &action, &confirmed).await;
    assert_eq!(no_reason.status(), 200, "no reason: asked again");
    assert_eq!(state_of(&app, school.changed.dossier_id).await, "submitted");
    confirmed.push(("reason", "Merci de joindre l'attestation d'assurance."));
    let done = app.post_form(LIST, &action, &confirmed).await;
    assert_eq!(done.status(), 303);
    assert_eq!(
        state_of(&app, school.unchanged[0].dossier_id).await,
        "returned"
    );
    assert_eq!(state_of(&app, school.changed.dossier_id).await, "returned");
    assert_eq!(state_of(&app, school.started.dossier_id).await, "started");
    app.run_jobs().await;
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM outbox_emails WHERE body_text LIKE '%attestation d''assurance%'"
        )
        .await,
        2,
        "one e-mail per family"
    );
    app.finish().await;
}
on_both_databases!(sending_back_in_bulk_asks_a_reason_and_writes_to_each_family);

async fn the_export_is_a_csv_for_excel_of_the_selection_or_the_filter(app: TestApp) {
    let school = review_school(&app, 2).await;
    sign_in(&app).await;
    let action = format!("{LIST}/export");
    let id = school.changed.dossier_id.to_string();
    let one = app
        .post_form(LIST, &action, &[("dossier", id.as_str())])
        .await;
    assert_eq!(one.status(), 200);
    assert!(
        one.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let body = one.bytes().await.unwrap();
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let text = String::from_utf8(body[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("Nom;Prénom;INE;Classe;MEF;État;Modifications"));
    assert_eq!(lines.len(), 2);
    assert!(
        lines[1].starts_with("DURAND;Inès;;4A;;Envoyé à l'établissement;1;"),
        "{}",
        lines[1]
    );

    let filtered = app
        .post_form(LIST, &action, &[("filtre", "classe=5C")])
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(filtered.lines().count(), 3, "the filter's 2 dossiers");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'dossiers_exported'")
            .await,
        2
    );
    app.finish().await;
}
on_both_databases!(the_export_is_a_csv_for_excel_of_the_selection_or_the_filter);

async fn an_agent_of_another_school_gets_nothing_of_its_dossiers_in_bulk(app: TestApp) {
    let school = review_school(&app, 0).await;
    let other = SchoolBuilder::new("0750681H").build(&app).await;
    other.agent(&app, "direction@autre.fr", Role::Admin).await;
    assert_eq!(
        app.sign_in_agent("direction@autre.fr", AGENT_PASSWORD)
            .await
            .status(),
        303
    );
    let list = "/etablissements/0750681H/dossiers";
    let html = app.get_html(list).await.1;
    assert!(names(&html).is_empty());
    let mut fields = vec![("confirmation", "oui".to_owned())];
    for p in &school.unchanged {
        fields.push(("dossier", p.dossier_id.to_string()));
    }
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = app
        .post_form(list, &format!("{list}/validation"), &fields)
        .await;
    assert_eq!(
        refused.status(),
        303,
        "nothing to validate in its own school"
    );
    for p in &school.unchanged {
        assert_eq!(state_of(&app, p.dossier_id).await, "submitted");
    }
    let csv = app
        .post_form(list, &format!("{list}/export"), &fields)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 1, "headers only: {csv}");
    // And A's URLs are refused to it.
    let forbidden = app
        .post_form(list, &format!("/etablissements/{UAI}/dossiers/export"), &[])
        .await;
    assert_eq!(forbidden.status(), 403);
    let _ = AGENT;
    app.finish().await;
}
on_both_databases!(an_agent_of_another_school_gets_nothing_of_its_dossiers_in_bulk);
