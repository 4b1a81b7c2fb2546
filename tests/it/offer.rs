//! Issue 11, the campaign's options per MEF and the school's own questions:
//! configured on the school's screens by the roles that own them, then
//! applied to the family's scolarité and vie scolaire steps and read in words
//! on the family's summary and the school's dossier page.

use dossiersco::demo::{DEMO_PASSWORD, Seeded};
use dossiersco::domain::Role;
use reqwest::Client;

use crate::family::{mother_dossier, submit, walk_without_change_as};
use crate::forms::prefilled;
use crate::harness::TestApp;
use crate::on_both_databases;

/// A browser of its own signed in as the demo agent of `role`.
async fn staff(app: &TestApp, seeded: &Seeded, role: Role) -> Client {
    let client = TestApp::client_for(app);
    let email = &seeded.agents.iter().find(|(r, _)| *r == role).unwrap().1;
    let signed = app.sign_in_agent_as(&client, email, DEMO_PASSWORD).await;
    assert_eq!(signed.status(), 303);
    client
}

async fn get(app: &TestApp, client: &Client, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// What a browser sends for the form of `page` posting to `action`, with
/// `changes` replacing (or adding) fields.
async fn form_of(
    app: &TestApp,
    client: &Client,
    page: &str,
    action: &str,
    changes: &[(&str, &str)],
) -> Vec<(String, String)> {
    let html = get(app, client, page).await.1;
    let start = html
        .find(&format!("<form method=\"post\" action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form to {action} on {page}"));
    let end = start + html[start..].find("</form>").unwrap() + 7;
    let mut form = prefilled(&html[start..end]);
    for (key, value) in changes {
        form.retain(|(k, _)| k != key);
        form.push(((*key).to_owned(), (*value).to_owned()));
    }
    form
}

async fn post(
    app: &TestApp,
    client: &Client,
    action: &str,
    form: &[(String, String)],
) -> (u16, String) {
    let response = client
        .post(app.url(action))
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Posts `fields` to `action` with the CSRF token of `page`.
async fn post_fields(
    app: &TestApp,
    client: &Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let response = app.post_form_as(client, page, action, fields).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Whether `html` shows `text` (escaped as the templates escape it).
fn shows(html: &str, text: &str) -> bool {
    let escaped = text
        .replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;");
    html.contains(&escaped)
}

async fn scalar(app: &TestApp, sql: &str, bind: i64) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(bind)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

async fn options_answer(app: &TestApp, dossier_id: i64) -> Option<String> {
    sqlx::query_scalar(
        "SELECT a.answer FROM dossier_answers a JOIN dossiers d ON d.id = a.dossier_id
         WHERE a.dossier_id = $1 AND a.question = 'options' AND a.guardian_id =
           (SELECT l.guardian_id FROM guardianships l WHERE l.pupil_id = d.pupil_id AND l.rank = 1)",
    )
    .bind(dossier_id)
    .fetch_optional(app.db().pool())
    .await
    .unwrap()
}

async fn the_school_s_option_rules_hold_in_the_family_s_choices(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change_as(&app, &app.client, &base).await;
    let dossier_id: i64 = base.rsplit('/').next().unwrap().parse().unwrap();
    let next_mef = scalar(
        &app,
        "SELECT m.next_mef_id FROM dossiers d JOIN pupils p ON p.id = d.pupil_id
         JOIN mefs m ON m.id = p.mef_id WHERE d.id = $1",
        dossier_id,
    )
    .await;

    // The secretariat adds Greek, a group « exactly one » of Latin and Greek,
    // and one place for Greek.
    let secretariat = staff(&app, &seeded, Role::Secretariat).await;
    let mef_page = format!("/etablissements/{}/campagne/options/{next_mef}", seeded.uai);
    let (status, _) = post_fields(
        &app,
        &secretariat,
        &mef_page,
        &format!("{mef_page}/ajout"),
        &[("code", "020800"), ("label", "Grec ancien")],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _) = post_fields(
        &app,
        &secretariat,
        &mef_page,
        &format!("{mef_page}/groupes"),
        &[
            ("group_label", "Langues anciennes"),
            ("group_rule", "exactly_one"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let group = scalar(
        &app,
        "SELECT id FROM option_groups WHERE mef_id = $1 AND label = 'Langues anciennes'",
        next_mef,
    )
    .await;
    let option = |code: &'static str| {
        sqlx::query_scalar::<_, i64>("SELECT id FROM subject_options WHERE code = $1")
            .bind(code)
            .fetch_one(app.db().pool())
    };
    let (latin, greek) = (
        option("020700").await.unwrap(),
        option("020800").await.unwrap(),
    );
    let group_s = group.to_string();
    let (l, g) = (latin.to_string(), greek.to_string());
    let fields = [
        (format!("group_{l}"), group_s.as_str()),
        (format!("group_{g}"), group_s.as_str()),
        (format!("rule_{g}"), "droppable"),
        (format!("open_{g}"), "oui"),
        (format!("capacity_{g}"), "1"),
        (
            format!("explanation_{g}"),
            "2 heures <b>par</b> semaine {{ 7*7 }}.",
        ),
    ];
    let changes: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let form = form_of(&app, &secretariat, &mef_page, &mef_page, &changes).await;
    assert_eq!(post(&app, &secretariat, &mef_page, &form).await.0, 303);

    // A capacity in words is refused with its message; nothing changes.
    let capacity = format!("capacity_{g}");
    let bad = form_of(
        &app,
        &secretariat,
        &mef_page,
        &mef_page,
        &[(&capacity, "beaucoup")],
    )
    .await;
    let (status, html) = post(&app, &secretariat, &mef_page, &bad).await;
    assert_eq!(status, 422);
    assert!(html.contains("nombre entier"), "{html}");
    assert_eq!(
        scalar(
            &app,
            "SELECT capacity FROM mef_options WHERE option_id = $1",
            greek
        )
        .await,
        1
    );

    // Another family going to the same MEF asked for Greek first.
    let (other, other_guardian): (i64, i64) = sqlx::query_as(
        "SELECT d.id, l.guardian_id FROM dossiers d
         JOIN pupils p ON p.id = d.pupil_id
         JOIN guardianships l ON l.pupil_id = p.id AND l.rank = 1
         WHERE p.mef_id = (SELECT p2.mef_id FROM dossiers d2 JOIN pupils p2 ON p2.id = d2.pupil_id WHERE d2.id = $1)
           AND d.id <> $1
           AND d.campaign_id = (SELECT campaign_id FROM dossiers WHERE id = $1)
         ORDER BY d.id LIMIT 1",
    )
    .bind(dossier_id)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO option_requests (dossier_id, guardian_id, mef_id, option_id, requested_at) VALUES ($1, $2, $3, $4, 1)",
    )
    .bind(other)
    .bind(other_guardian)
    .bind(next_mef)
    .bind(greek)
    .execute(app.db().pool())
    .await
    .unwrap();

    let page = format!("{base}/scolarite");
    let html = app.get_html(&page).await.1;
    assert!(
        html.contains("Langues anciennes") && html.contains("Choisissez une option, et une seule.")
    );
    assert!(
        html.contains("toutes les places (1) sont demandées"),
        "{html}"
    );
    assert!(
        shows(&html, "2 heures <b>par</b> semaine {{ 7*7 }}."),
        "{html}"
    );
    assert!(!html.contains("<b>par</b>"));
    let before = options_answer(&app, dossier_id).await;
    let radio = format!("group_{group}");
    let token = app.csrf_token(&page).await;
    let send = |fields: Vec<(&str, &str)>| {
        let mut body = vec![("csrf_token", token.as_str())];
        body.extend(fields);
        app.client.post(app.url(&page)).form(&body).send()
    };

    // None of the group: refused.
    let refused = send(vec![]).await.unwrap();
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("« Langues anciennes » : choisissez une option."),
        "{html}"
    );
    // Two of the group (a forged form): refused.
    let refused = send(vec![(&radio, "020700"), (&radio, "020800")])
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("« Langues anciennes » : choisissez une seule option.")
    );
    // An option the MEF does not offer (forged): refused.
    let refused = send(vec![(&radio, "020800"), ("options", "999999")])
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("n&#39;est pas proposée l&#39;an prochain")
    );
    assert_eq!(
        options_answer(&app, dossier_id).await,
        before,
        "nothing saved"
    );

    // Greek, without ticking English: English is mandatory and stays.
    let saved = send(vec![(&radio, "020800")]).await.unwrap();
    assert_eq!(saved.status(), 303);
    let answer = options_answer(&app, dossier_id).await.unwrap();
    let codes: Vec<&str> = answer.split(',').collect();
    assert!(codes.contains(&"030201"), "{answer}");
    assert!(
        codes.contains(&"020800") && !codes.contains(&"020700"),
        "{answer}"
    );

    // The family is told it waits, here and on its summary; so is the school.
    let html = app.get_html(&page).await.1;
    assert!(shows(&html, "en liste d'attente (rang 1)"), "{html}");
    let summary = app.get_html(&format!("{base}/validation")).await.1;
    assert!(
        shows(
            &summary,
            "en liste d'attente, faute de place : Grec ancien (rang 1)"
        ),
        "{summary}"
    );
    let (_, school) = get(
        &app,
        &secretariat,
        &format!("/etablissements/{}/dossiers/{dossier_id}", seeded.uai),
    )
    .await;
    assert!(school.contains("Grec ancien (rang 1)"), "{school}");

    // Intendance does not configure options; the other family's place is kept.
    let intendance = staff(&app, &seeded, Role::Intendance).await;
    assert_eq!(get(&app, &intendance, &mef_page).await.0, 403);
    let response = app
        .post_form_as(
            &intendance,
            &format!("/etablissements/{}", seeded.uai),
            &mef_page,
            &[],
        )
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM option_requests WHERE dossier_id = $1",
            other
        )
        .await,
        1
    );
    app.finish().await;
}

async fn questions_the_school_configures_are_asked_answered_and_read_in_words(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change_as(&app, &app.client, &base).await;
    let dossier_id: i64 = base.rsplit('/').next().unwrap().parse().unwrap();
    let questions_page = format!("/etablissements/{}/campagne/questions", seeded.uai);
    let authorisations_page = format!("/etablissements/{}/campagne/autorisations", seeded.uai);
    let secretariat = staff(&app, &seeded, Role::Secretariat).await;
    let vie_scolaire = staff(&app, &seeded, Role::VieScolaire).await;
    let count = || app.count("SELECT COUNT(*) FROM school_questions");
    let initial = count().await;
    assert_eq!(initial, 3, "the demo's photo, sorties and FSE");

    let transport = [
        ("kind", "custom"),
        ("answer_type", "choice"),
        ("label", "Transport <script>alert(1)</script>"),
        (
            "question",
            "Comment vient-il au collège ? {{ 7*7 }} {% if true %}oui{% endif %}",
        ),
        ("choices", "À pied\nEn bus"),
        ("key", "transport"),
    ];
    // Bad input: a key of the dossier's own fields, one choice only.
    let mut bad = transport.to_vec();
    bad.retain(|(k, _)| *k != "key");
    bad.push(("key", "canteen"));
    let (status, html) =
        post_fields(&app, &secretariat, &questions_page, &questions_page, &bad).await;
    assert_eq!(status, 422);
    assert!(html.contains("déjà une information du dossier"), "{html}");
    let mut bad = transport.to_vec();
    bad.retain(|(k, _)| *k != "choices");
    bad.push(("choices", "À pied"));
    let (status, html) =
        post_fields(&app, &secretariat, &questions_page, &questions_page, &bad).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("au moins deux réponses différentes"),
        "{html}"
    );
    // Wrong roles: vie scolaire does not make custom questions, the
    // secretariat no authorisations.
    let (status, _) = post_fields(
        &app,
        &vie_scolaire,
        &authorisations_page,
        &questions_page,
        &transport,
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = post_fields(
        &app,
        &secretariat,
        &questions_page,
        &authorisations_page,
        &[
            ("label", "Droit à l'image"),
            ("question", "J'autorise"),
            ("key", "droit_image"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(count().await, initial, "nothing created");

    let (status, _) = post_fields(
        &app,
        &secretariat,
        &questions_page,
        &questions_page,
        &transport,
    )
    .await;
    assert_eq!(status, 303);
    let (status, _) = post_fields(
        &app,
        &secretariat,
        &questions_page,
        &questions_page,
        &[
            ("kind", "custom"),
            ("answer_type", "text"),
            ("label", "Précision"),
            ("question", "Une précision pour la vie scolaire ?"),
            ("key", "precision"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _) = post_fields(
        &app,
        &vie_scolaire,
        &authorisations_page,
        &authorisations_page,
        &[
            ("label", "Droit à l'image"),
            (
                "question",
                "J'autorise la diffusion de photos de mon enfant sur le site du collège",
            ),
            ("key", "droit_image"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, listed) = get(&app, &secretariat, &questions_page).await;
    assert!(
        shows(&listed, "Transport <script>alert(1)</script>") && !listed.contains("<script>alert"),
        "{listed}"
    );
    assert!(
        // Not evaluated as a template (anywhere else in the page, « 49 »
        // may well be part of a CSRF token).
        listed.contains("{{ 7*7 }}") && !listed.contains("collège ? 49"),
        "{listed}"
    );

    // The family reads exactly these questions, as text.
    let page = format!("{base}/vie-scolaire");
    let html = app.get_html(&page).await.1;
    assert!(html.contains("Comment vient-il au collège ? {{ 7*7 }} {% if true %}oui{% endif %}"));
    assert!(!html.contains("<script>alert"));
    assert!(shows(&html, "J'autorise la diffusion de photos"), "{html}");
    assert!(html.contains("Une précision pour la vie scolaire ?"));
    assert!(html.contains("Cotisation : 10,00 €"), "the demo's FSE fee");
    for key in [
        "transport",
        "droit_image",
        "precision",
        "photo",
        "sorties",
        "fse",
    ] {
        assert!(html.contains(&format!("name=\"{key}\"")), "{key}");
    }
    // A choice that is not one is refused; nothing saved.
    let response = submit(
        &app,
        &app.client,
        &page,
        &[
            ("transport", "En hélicoptère".into()),
            ("droit_image", "non".into()),
        ],
    )
    .await;
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Choisissez une réponse")
    );
    let response = submit(
        &app,
        &app.client,
        &page,
        &[
            ("transport", "En bus".into()),
            ("droit_image", "non".into()),
            ("precision", "Vient avec son frère".into()),
        ],
    )
    .await;
    assert_eq!(response.status(), 303);
    let stored: Vec<(String, String)> = sqlx::query_as(
        "SELECT question, answer FROM dossier_answers WHERE dossier_id = $1
         AND question IN ('transport', 'droit_image', 'precision') ORDER BY question",
    )
    .bind(dossier_id)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert_eq!(
        stored,
        vec![
            ("droit_image".into(), "non".into()),
            ("precision".into(), "Vient avec son frère".into()),
            ("transport".into(), "En bus".into()),
        ]
    );

    // In words on the family's summary and on the school's page: labels, no keys.
    let summary = app.get_html(&format!("{base}/validation")).await.1;
    let school = get(
        &app,
        &secretariat,
        &format!("/etablissements/{}/dossiers/{dossier_id}", seeded.uai),
    )
    .await
    .1;
    for html in [&summary, &school] {
        assert!(shows(html, "Transport <script>alert(1)</script>"), "{html}");
        assert!(!html.contains("<script>alert"));
        assert!(
            html.contains("En bus") && shows(html, "Droit à l'image"),
            "{html}"
        );
        assert!(html.contains("Vient avec son frère"));
        assert!(html.contains("Photo de classe"));
        assert!(!html.contains(">droit_image<") && !html.contains(">transport<"));
        assert!(!html.contains("Autre information"), "{html}");
    }

    // Its words are edited on its page; an empty label changes nothing.
    let transport_id: i64 =
        sqlx::query_scalar("SELECT id FROM school_questions WHERE answer_key = 'transport'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    let edit = format!("{questions_page}/{transport_id}");
    let form = form_of(&app, &secretariat, &edit, &edit, &[("label", "  ")]).await;
    let (status, html) = post(&app, &secretariat, &edit, &form).await;
    assert_eq!(status, 422);
    assert!(html.contains("Saisissez un intitulé court"), "{html}");
    let form = form_of(
        &app,
        &secretariat,
        &edit,
        &edit,
        &[("label", "Mode de transport")],
    )
    .await;
    assert_eq!(post(&app, &secretariat, &edit, &form).await.0, 303);
    let summary = app.get_html(&format!("{base}/validation")).await.1;
    assert!(summary.contains("Mode de transport") && summary.contains("En bus"));
    assert_eq!(
        get(&app, &vie_scolaire, &edit).await.0,
        403,
        "the vie scolaire does not edit the secretariat's questions"
    );

    // Removing an authorisation goes through its confirmation.
    let id: i64 =
        sqlx::query_scalar("SELECT id FROM school_questions WHERE answer_key = 'droit_image'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    let remove = format!("{authorisations_page}/{id}/suppression");
    let (status, _) = post_fields(&app, &vie_scolaire, &remove, &remove, &[]).await;
    assert_eq!(status, 303);
    assert_eq!(count().await, initial + 3, "not without the confirmation");
    let (status, _) = post_fields(
        &app,
        &vie_scolaire,
        &remove,
        &remove,
        &[("confirmation", "oui")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(count().await, initial + 2);
    assert!(!app.get_html(&page).await.1.contains("name=\"droit_image\""));
    app.finish().await;
}

/// The options SIECLE's import says a pupil follows (`pupil_siecle_options`)
/// are their options: kept next year unless the family drops them, and the
/// baseline the diff compares with.
async fn options_siecle_says_a_pupil_follows_are_kept_unless_the_family_drops_them(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    let dossier_id: i64 = base.rsplit('/').next().unwrap().parse().unwrap();
    let pupil = scalar(
        &app,
        "SELECT pupil_id FROM dossiers WHERE id = $1",
        dossier_id,
    )
    .await;
    // Latin, as only the SIECLE import knows it.
    sqlx::query(
        "DELETE FROM pupil_options WHERE pupil_id = $1
         AND option_id = (SELECT id FROM subject_options WHERE code = '020700')",
    )
    .bind(pupil)
    .execute(app.db().pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO pupil_siecle_options (pupil_id, subject_code, modality_code) VALUES ($1, '020700', 'F')",
    )
    .bind(pupil)
    .execute(app.db().pool())
    .await
    .unwrap();
    walk_without_change_as(&app, &app.client, &base).await;
    let html = app.get_html(&format!("{base}/scolarite")).await.1;
    assert!(
        html.contains("Latin (suivie cette année : décochez pour l'abandonner)"),
        "{html}"
    );
    let answer = options_answer(&app, dossier_id).await.unwrap();
    assert!(answer.split(',').any(|c| c == "020700"), "{answer}");
    let school_id = scalar(
        &app,
        "SELECT c.school_id FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id WHERE d.id = $1",
        dossier_id,
    )
    .await;
    let (listed, _) =
        dossiersco::dossier::facts::of_dossier(app.db().pool(), school_id, dossier_id)
            .await
            .unwrap()
            .unwrap();
    assert!(
        listed
            .facts
            .baseline
            .options
            .unwrap()
            .contains(&"020700".to_owned()),
        "the baseline keeps what SIECLE says"
    );
    app.finish().await;
}

/// The options of the imported nomenclature are proposed per MEF: a
/// facultative subject droppable, the mandatory options of one rank a group
/// where exactly one is chosen, the subject's label from SIECLE; proposing
/// again keeps what the school set.
async fn the_nomenclature_s_options_are_proposed_per_mef_and_the_school_s_rules_kept(app: TestApp) {
    use crate::builders::{AGENT_PASSWORD, SchoolBuilder};
    let school = SchoolBuilder::new("0750680G").build(&app).await;
    school
        .agent(&app, "secretariat@arago.fr", Role::Secretariat)
        .await;
    // What an import of Nomenclature.xml writes.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "INSERT INTO mefs (school_id, code, label, from_siecle) VALUES ({id}, '10110001110', '5EME', TRUE);
         INSERT INTO subjects (school_id, code, long_label, edition_label) VALUES
           ({id}, '030201', 'ANGLAIS LV1', 'Anglais LV1'),
           ({id}, '030602', 'ESPAGNOL LV2', 'Espagnol LV2'),
           ({id}, '030102', 'ALLEMAND LV2', 'Allemand LV2'),
           ({id}, '020700', 'LATIN', 'Latin'),
           ({id}, '010100', 'FRANCAIS', 'Français');
         INSERT INTO programmes (school_id, mef_code, subject_code, modality_code) VALUES
           ({id}, '10110001110', '030201', 'S'),
           ({id}, '10110001110', '010100', 'S'),
           ({id}, '10110001110', '030602', 'O'),
           ({id}, '10110001110', '030102', 'O'),
           ({id}, '10110001110', '020700', 'F');
         INSERT INTO mandatory_options (school_id, mef_code, subject_code, option_rank) VALUES
           ({id}, '10110001110', '030602', 1),
           ({id}, '10110001110', '030102', 1);",
        id = school.id
    )))
    .execute(app.db().pool())
    .await
    .unwrap();
    let signed = app
        .sign_in_agent("secretariat@arago.fr", AGENT_PASSWORD)
        .await;
    assert_eq!(signed.status(), 303);
    let options = format!("/etablissements/{}/campagne/options", school.uai);
    let propose = format!("{options}/nomenclature");
    assert_eq!(app.post_form(&options, &propose, &[]).await.status(), 303);
    let offered: Vec<(String, String, String, bool)> = {
        let rows: Vec<(String, String, String, dossiersco::db::Flag)> = sqlx::query_as(
            "SELECT o.code, o.label, COALESCE(g.rule, ''), mo.can_drop FROM mef_options mo
             JOIN subject_options o ON o.id = mo.option_id
             LEFT JOIN option_groups g ON g.id = mo.group_id ORDER BY o.code",
        )
        .fetch_all(app.db().pool())
        .await
        .unwrap();
        rows.into_iter()
            .map(|(a, b, c, d)| (a, b, c, d.0))
            .collect()
    };
    assert_eq!(
        offered,
        [
            ("020700".into(), "Latin".into(), "".into(), true),
            (
                "030102".into(),
                "Allemand LV2".into(),
                "exactly_one".into(),
                false
            ),
            (
                "030602".into(),
                "Espagnol LV2".into(),
                "exactly_one".into(),
                false
            ),
        ],
        "the common subjects (S) are not options"
    );
    // The school opens Latin to requests; proposing again keeps it.
    sqlx::query("UPDATE mef_options SET open_to_new = TRUE")
        .execute(app.db().pool())
        .await
        .unwrap();
    assert_eq!(app.post_form(&options, &propose, &[]).await.status(), 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM mef_options").await, 3);
    assert_eq!(app.count("SELECT COUNT(*) FROM option_groups").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM mef_options WHERE open_to_new = TRUE")
            .await,
        3
    );
    let html = app.get_html(&options).await.1;
    assert!(html.contains("5EME"), "{html}");
    app.finish().await;
}

on_both_databases!(
    the_school_s_option_rules_hold_in_the_family_s_choices,
    the_nomenclature_s_options_are_proposed_per_mef_and_the_school_s_rules_kept,
    options_siecle_says_a_pupil_follows_are_kept_unless_the_family_drops_them,
    questions_the_school_configures_are_asked_answered_and_read_in_words,
);

/// An install from before migration 0010 whose families answered the photo
/// and FSE questions that were hard-coded then keeps them as the school's
/// own questions, under the same keys (so last year's answers still prefill).
async fn answers_of_an_older_install_keep_their_questions_through_migration_0010(
    backend: dossiersco::db::Backend,
) {
    let Some(old) = crate::harness::OlderInstall::before(backend, 10).await else {
        return;
    };
    let db = &old.db;
    sqlx::raw_sql(
        "INSERT INTO schools (uai, name, created_at) VALUES ('0750680G', 'Arago', 0), ('0750681H', 'Voisin', 0);
         INSERT INTO campaigns (school_id, school_year, created_at) VALUES (1, 2026, 0);
         INSERT INTO pupils (school_id, last_name, first_name, sex, birth_date, created_at, updated_at)
         VALUES (1, 'MARTIN', 'Léa', 'F', '2013-01-01', 0, 0);
         INSERT INTO guardians (school_id, last_name, first_name, created_at, updated_at)
         VALUES (1, 'MARTIN', 'Anne', 0, 0);
         INSERT INTO dossiers (campaign_id, pupil_id, created_at, updated_at) VALUES (1, 1, 0, 0);
         INSERT INTO dossier_answers (dossier_id, guardian_id, question, answer, answered_at)
         VALUES (1, 1, 'photo', 'oui', 0), (1, 1, 'fse', 'non', 0);",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let applied = db.migrate().await.unwrap();
    assert!(applied.contains(&10), "{applied:?}");
    let kept: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT school_id, answer_key, kind, label FROM school_questions ORDER BY school_id, position",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(
        kept,
        [
            (
                1,
                "photo".into(),
                "authorisation".into(),
                "Photo de classe".into()
            ),
            (
                1,
                "fse".into(),
                "fse".into(),
                "Adhésion au foyer socio-éducatif".into()
            ),
        ],
        "only the answered questions, only for the school whose families answered them"
    );
    old.finish().await;
}

mod answers_of_an_older_install_keep_their_questions_through_migration_0010 {
    use dossiersco::db::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::answers_of_an_older_install_keep_their_questions_through_migration_0010(
            Backend::Sqlite,
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::answers_of_an_older_install_keep_their_questions_through_migration_0010(
            Backend::Postgres,
        )
        .await
    }
}
