//! Issue 10, defects 2 to 5: every change a family makes is seen, counted
//! the same way by the family's summary, the receipt, the school's list and
//! the school's dossier page, in words; nothing unchanged is flagged; each
//! guardian's drafts stay theirs until one of them sends.

use super::{
    family, location, mother_dossier, send_dossier, sign_in, sign_in_as, submit,
    walk_without_change_as,
};
use crate::forms::prefilled_or_first;
use crate::harness::TestApp;
use crate::on_both_databases;

/// The value checked for the radio question `name` on a page.
fn checked(html: &str, name: &str) -> Option<String> {
    prefilled_or_first(html)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .filter(|_| html.contains(&format!("name=\"{name}\"")))
}

/// The text of the school list's row for `pupil` (the cells, tags removed).
fn row_of(list: &str, pupil: &str) -> String {
    let at = list
        .find(pupil)
        .unwrap_or_else(|| panic!("{pupil} not in the list"));
    let row = &list[at..at + list[at..].find("</tr>").unwrap()];
    let mut text = String::new();
    let mut in_tag = false;
    for c in row.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push('|');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split('|')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("|")
}

async fn a_mother_s_three_school_life_changes_are_counted_and_shown_in_words_everywhere(
    app: TestApp,
) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change_as(&app, &app.client, &base).await;

    // Vie scolaire starts from what was known: SIECLE's régime, last year's
    // answers; nothing hard-coded.
    let page = format!("{base}/vie-scolaire");
    let html = app.get_html(&page).await.1;
    let canteen = checked(&html, "canteen").expect("the régime from SIECLE");
    let fse = checked(&html, "fse").expect("last year's FSE answer");
    let photo = checked(&html, "photo").expect("last year's photo answer");
    let flip = |v: &str, a: &str, b: &str| if v == a { b.to_owned() } else { a.to_owned() };
    let response = submit(
        &app,
        &app.client,
        &page,
        &[
            ("canteen", flip(&canteen, "demi_pension", "externe")),
            ("fse", flip(&fse, "oui", "non")),
            ("photo", flip(&photo, "oui", "non")),
        ],
    )
    .await;
    assert_eq!(response.status(), 303);

    let summary = app.get_html(&format!("{base}/validation")).await.1;
    assert!(!summary.contains("Vous n'avez rien changé"), "{summary}");
    assert!(summary.contains("3 informations modifiées"), "{summary}");
    assert!(summary.contains("Externe") && summary.contains("Demi-pensionnaire"));
    for code in ["demi_pension", "externe\"", ">oui<", ">non<"] {
        assert!(!summary.contains(code), "{code} shown to the family");
    }
    send_dossier(&app, &base).await;
    let receipt = app
        .get(&format!("{base}/recu.pdf"))
        .await
        .bytes()
        .await
        .unwrap();
    let marks = receipt.windows(6).filter(|w| *w == b"modifi").count();
    assert_eq!(marks, 3, "three lines marked as changed in the receipt");

    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let school = format!("/etablissements/{}/dossiers", seeded.uai);
    // Every pupil on one page.
    let list = app.get_html(&format!("{school}?par_page=2000")).await.1;
    let row = row_of(&list, "DUBOIS Inès");
    assert!(row.ends_with("|3|—"), "the Modifications column: {row}");
    let dossier_id = base.rsplit('/').next().unwrap();
    let page = app.get_html(&format!("{school}/{dossier_id}")).await.1;
    assert!(page.contains("3 modifications"), "{page}");
    assert!(page.contains("Adhésion au foyer socio-éducatif") && page.contains("Photo de classe"));
    for raw in ["demi_pension", ">canteen<", ">fse<", "exit_rule"] {
        assert!(!page.contains(raw), "{raw} shown to the school");
    }
    app.run_jobs().await;
    app.finish().await;
}

on_both_databases!(a_mother_s_three_school_life_changes_are_counted_and_shown_in_words_everywhere);

async fn a_family_changing_nothing_has_no_change_even_for_a_pupil_leaving_the_college(
    app: TestApp,
) {
    let seeded = app.seed_demo().await;
    // The Martins' Hugo is in 3e: next year, the end of collège.
    let (code, birth) = family(&app, &seeded, "deux enfants (mère)").await;
    sign_in(&app, &code, &birth).await;
    let list = app.get_html("/famille").await.1;
    let mut bases: Vec<String> = list
        .split("href=\"/famille/dossiers/")
        .skip(1)
        .map(|s| format!("/famille/dossiers/{}", s.split('/').next().unwrap()))
        .collect();
    bases.dedup();
    assert_eq!(bases.len(), 2, "two children: {list}");
    let mut next_years = Vec::new();
    for base in &bases {
        walk_without_change_as(&app, &app.client, base).await;
        let scolarite = app.get_html(&format!("{base}/scolarite")).await.1;
        if scolarite.contains("Fin du collège") {
            // Hugo, in 3e, is asked no option: he leaves the collège.
            assert!(!scolarite.contains("type=\"checkbox\""), "{scolarite}");
        }
        let summary = app.get_html(&format!("{base}/validation")).await.1;
        assert!(summary.contains("Vous n'avez rien changé"), "{summary}");
        next_years.push(
            ["3e → fin du collège", "5e → 4e"]
                .into_iter()
                .find(|y| summary.contains(y))
                .unwrap_or_else(|| panic!("next year's class: {summary}")),
        );
        assert!(!summary.contains("modifié</span>"), "{summary}");
        send_dossier(&app, base).await;
    }
    next_years.sort_unstable();
    assert_eq!(next_years, ["3e → fin du collège", "5e → 4e"]);
    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let list = app
        .get_html(&format!(
            "/etablissements/{}/dossiers?par_page=2000",
            seeded.uai
        ))
        .await
        .1;
    for child in ["MARTIN Hugo", "MARTIN Léa"] {
        let row = row_of(&list, child);
        assert!(row.ends_with("|0|—"), "{child}: {row}");
    }
    let codes: Vec<String> = sqlx::query_scalar("SELECT code FROM subject_options")
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    for base in &bases {
        let dossier_id = base.rsplit('/').next().unwrap();
        let page = app
            .get_html(&format!(
                "/etablissements/{}/dossiers/{dossier_id}",
                seeded.uai
            ))
            .await
            .1;
        assert!(page.contains("Aucune modification"), "{page}");
        for code in &codes {
            assert!(
                !page.contains(code.as_str()),
                "option code {code} shown: {page}"
            );
        }
    }
    app.run_jobs().await;
    app.finish().await;
}

on_both_databases!(a_family_changing_nothing_has_no_change_even_for_a_pupil_leaving_the_college);

async fn each_parent_s_edit_is_kept_and_the_school_reads_the_sender_s_with_the_other_as_a_draft(
    app: TestApp,
) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    let (father_code, birth) = family(&app, &seeded, "le père").await;
    let father = TestApp::client_for(&app);
    sign_in_as(&app, &father, &father_code, &birth).await;

    // Both correct the birth town, differently; the father never sends.
    submit(&app, &father, &format!("{base}/accueil"), &[]).await;
    let response = submit(
        &app,
        &father,
        &format!("{base}/eleve"),
        &[("birth_city", "Lyon 3e".to_owned())],
    )
    .await;
    assert_eq!(location(&response), format!("{base}/responsables"));
    walk_without_change_as(&app, &app.client, &base).await;
    let response = submit(
        &app,
        &app.client,
        &format!("{base}/eleve"),
        &[("birth_city", "Lyon".to_owned())],
    )
    .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM pupil_changes WHERE field = 'birth_city'")
            .await,
        2,
        "neither edit replaced the other"
    );
    // Each reads their own.
    assert!(
        app.get_html(&format!("{base}/eleve"))
            .await
            .1
            .contains("value=\"Lyon\"")
    );
    let his = father
        .get(app.url(&format!("{base}/eleve")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(his.contains("value=\"Lyon 3e\""));

    send_dossier(&app, &base).await;
    // The father, who did not send, reads who did; no e-mail promised that
    // is not sent.
    let confirmation = father
        .get(app.url(&format!("{base}/confirmation")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        confirmation.contains("par l'autre responsable"),
        "{confirmation}"
    );

    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let dossier_id = base.rsplit('/').next().unwrap();
    let page = app
        .get_html(&format!(
            "/etablissements/{}/dossiers/{dossier_id}",
            seeded.uai
        ))
        .await
        .1;
    assert!(
        page.contains("<strong>Lyon</strong>"),
        "the sender's value: {page}"
    );
    assert!(
        page.contains("Lyon 3e (brouillon)"),
        "the father's draft, marked: {page}"
    );
    assert!(page.contains("ne disent pas la même chose : Commune de naissance"));
    assert!(
        page.contains("pas envoyé ni certifié ses réponses"),
        "{page}"
    );
    assert!(page.contains("a envoyé le dossier et certifié ses réponses"));
    app.run_jobs().await;
    app.finish().await;
}

on_both_databases!(
    each_parent_s_edit_is_kept_and_the_school_reads_the_sender_s_with_the_other_as_a_draft
);
