//! The campaign set up in the browser (issue 11): dates and texts, MEF
//! succession and repeaters, conditional pieces, exit rules, the
//! demi-pension's grid, the ready page and the copy into next year; each
//! screen's happy path and its bad input, the dates enforced for families,
//! and the roles. Each on SQLite and PostgreSQL.

use dossiersco::demo::DEMO_PASSWORD;
use dossiersco::domain::Role;
use reqwest::Client;

use crate::builders::{AGENT_PASSWORD, GuardianBuilder, SchoolBuilder};
use crate::family::{family, location, mother_dossier, sign_in, walk_without_change_as};
use crate::harness::TestApp;
use crate::on_both_databases;

/// A browser signed in as `email`.
async fn agent(app: &TestApp, email: &str, password: &str) -> Client {
    let client = TestApp::client_for(app);
    let response = app.sign_in_agent_as(&client, email, password).await;
    assert_eq!(response.status(), 303, "{email} signs in");
    client
}

async fn post(
    app: &TestApp,
    client: &Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let response = app.post_form_as(client, page, action, fields).await;
    let status = response.status().as_u16();
    let to = location(&response);
    (status, to, response.text().await.unwrap())
}

async fn get(app: &TestApp, client: &Client, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

async fn set_dates(app: &TestApp, opens: i64, closes: i64, returned: Option<i64>) {
    sqlx::query("UPDATE campaigns SET opens_on = $1, closes_on = $2, returned_until = $3")
        .bind(day(opens))
        .bind(day(closes))
        .bind(returned.map(day))
        .execute(app.db().pool())
        .await
        .unwrap();
}

const SCRIPT: &str = "<script>alert('x')</script>";

/// Whether `page` shows `before` followed by the script tag as text, and
/// never the tag itself (askama escapes `<` as `&#60;`, the Markdown
/// renderer as `&lt;`).
fn shows_script_as_text(page: &str, before: &str) -> bool {
    !page.contains("<script>alert")
        && (page.contains(&format!("{before}&lt;script&gt;"))
            || page.contains(&format!("{before}&#60;script&#62;")))
}
const TEMPLATE: &str = "{{ 7*7 }} {% if true %}oui{% endif %}";

/// The dates-and-texts screen saves Markdown shown rendered to families,
/// with typed HTML and template syntax shown as text; closing before
/// opening is refused and changes nothing.
async fn dates_and_texts_are_saved_and_shown_as_safe_text(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = format!("/etablissements/{}/campagne", seeded.uai);
    let secretary = agent(&app, "secretariat@demo.dossiersco.fr", DEMO_PASSWORD).await;
    let welcome = format!("**Bienvenue** {SCRIPT} {TEMPLATE}");
    let help = format!("Aide {SCRIPT} {TEMPLATE}");
    let (opens, closes) = (day(-1), day(30));
    let fields = [
        ("opens_on", opens.as_str()),
        ("closes_on", closes.as_str()),
        ("returned_until", ""),
        ("welcome_text", welcome.as_str()),
        ("contact_email", "vie.scolaire@college.fr"),
        ("contact_phone", "01 02 03 04 05"),
        ("help_pieces", help.as_str()),
    ];
    let (status, to, _) = post(&app, &secretary, &base, &base, &fields).await;
    assert_eq!((status, to.as_str()), (303, base.as_str()));
    let (_, page) = get(&app, &secretary, &base).await;
    assert!(
        page.contains("&lt;script&gt;"),
        "the screen shows the text as typed"
    );
    assert!(!page.contains(SCRIPT));

    // Closing before opening: refused with a message, nothing changed.
    let mut bad = fields;
    bad[0].1 = closes.as_str();
    bad[1].1 = opens.as_str();
    bad[3].1 = "autre texte";
    let (status, _, body) = post(&app, &secretary, &base, &base, &bad).await;
    assert_eq!(status, 422);
    assert!(
        body.contains("avant la date d&#39;ouverture")
            || body.contains("avant la date d'ouverture"),
        "{body}"
    );
    let saved: (String, String) =
        sqlx::query_as("SELECT closes_on, welcome_text FROM campaigns c JOIN schools s ON s.id = c.school_id WHERE s.uai = $1 ORDER BY c.school_year DESC LIMIT 1")
            .bind(&seeded.uai)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(saved, (closes.clone(), welcome.clone()));

    // The family reads the welcome and the help rendered, the rest as text.
    let dossier = mother_dossier(&app, &seeded).await;
    let (_, accueil) = app.get_html(&format!("{dossier}/accueil")).await;
    assert!(accueil.contains("<strong>Bienvenue</strong>"), "{accueil}");
    assert!(accueil.contains("&lt;script&gt;alert"), "{accueil}");
    assert!(!accueil.contains(SCRIPT));
    assert!(accueil.contains("{{ 7*7 }}") && accueil.contains("{% if true %}"));
    walk_until(&app, &dossier, "pieces").await;
    let (_, pieces) = app.get_html(&format!("{dossier}/pieces")).await;
    assert!(pieces.contains("Aide &lt;script&gt;"), "{pieces}");
    assert!(!pieces.contains(SCRIPT));

    // Another role may not change them.
    let nurse = agent(&app, "infirmerie@demo.dossiersco.fr", DEMO_PASSWORD).await;
    assert_eq!(get(&app, &nurse, &base).await.0, 403);
    app.finish().await;
}

/// Posts the steps before `step` as they are prefilled.
async fn walk_until(app: &TestApp, dossier: &str, step: &str) {
    let steps = [
        "accueil",
        "eleve",
        "responsables",
        "contacts-urgence",
        "scolarite",
        "vie-scolaire",
        "sante",
        "pieces",
    ];
    for name in steps.iter().take_while(|s| **s != step) {
        let page = format!("{dossier}/{name}");
        let html = app.get_html(&page).await.1;
        let mut form = crate::forms::prefilled_or_first(&html);
        if *name == "contacts-urgence" {
            form.retain(|(k, _)| k != "action");
            form.push(("action".into(), "continuer".into()));
        }
        let response = app
            .client
            .post(app.url(&page))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "step {name}");
    }
}

/// Before the opening the family gets a page saying when and whom to
/// contact, and nothing changes; after the closing nothing can be sent; a
/// returned dossier can be sent until the returned dossiers' date.
async fn dates_are_enforced_for_families(app: TestApp) {
    let seeded = app.seed_demo().await;
    set_dates(&app, 3, 30, None).await;
    let (code, birth) = family(&app, &seeded, "la mère").await;
    let signed = sign_in(&app, &code, &birth).await;
    let accueil = location(&signed);
    let (status, page) = app.get_html(&accueil).await;
    assert_eq!(status, 403);
    assert!(page.contains("pas encore ouvert"), "{page}");
    assert!(page.contains(&dossiersco::domain::words::french_date(&day(3))));
    assert!(
        page.contains("secretariat@demo.dossiersco.fr"),
        "whom to contact"
    );
    let response = app.post_raw(&accueil, &[("csrf_token", "x")]).await;
    assert_ne!(response.status(), 303);
    let started = app.count("SELECT COUNT(*) FROM guardian_progress").await;
    assert_eq!(started, 0, "nothing changed");

    // Open: the family walks to the validation step.
    set_dates(&app, -10, 30, None).await;
    let dossier = accueil.trim_end_matches("/accueil").to_owned();
    walk_without_change_as(&app, &app.client, &dossier).await;

    // Closed: reading works, sending is refused with a message.
    set_dates(&app, -10, -1, None).await;
    let validation = format!("{dossier}/validation");
    let (status, _) = app.get_html(&validation).await;
    assert_eq!(status, 200);
    let token = app.csrf_token(&format!("{dossier}/eleve")).await;
    let response = app
        .post_raw(
            &validation,
            &[("csrf_token", &token), ("attestation", "oui")],
        )
        .await;
    assert_eq!(response.status(), 403);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("La période d&#39;inscription est terminée")
            || body.contains("La période d'inscription est terminée"),
        "{body}"
    );
    let state: String = sqlx::query_scalar("SELECT state FROM dossiers WHERE id = $1")
        .bind(dossier.rsplit('/').next().unwrap().parse::<i64>().unwrap())
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_ne!(state, "submitted");

    // Returned by the school: may be sent until the returned dossiers' date.
    let id: i64 = dossier.rsplit('/').next().unwrap().parse().unwrap();
    sqlx::query("UPDATE dossiers SET state = 'returned' WHERE id = $1")
        .bind(id)
        .execute(app.db().pool())
        .await
        .unwrap();
    set_dates(&app, -10, -1, Some(-1)).await;
    let response = app
        .post_raw(
            &validation,
            &[("csrf_token", &token), ("attestation", "oui")],
        )
        .await;
    assert_eq!(response.status(), 403, "returned deadline passed");
    set_dates(&app, -10, -1, Some(5)).await;
    let response = app
        .post_raw(
            &validation,
            &[("csrf_token", &token), ("attestation", "oui")],
        )
        .await;
    assert_eq!(location(&response), format!("{dossier}/confirmation"));
    app.run_jobs().await;
    app.finish().await;
}

/// Pieces with conditions are asked only of the dossiers they apply to.
async fn conditional_pieces_are_asked_only_when_they_apply(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = format!("/etablissements/{}/campagne/pieces", seeded.uai);
    let secretary = agent(&app, "secretariat@demo.dossiersco.fr", DEMO_PASSWORD).await;
    let dossier = mother_dossier(&app, &seeded).await;
    let id: i64 = dossier.rsplit('/').next().unwrap().parse().unwrap();
    let (mef_id, other_mef): (i64, i64) = sqlx::query_as(
        "SELECT p.mef_id, (SELECT MIN(m.id) FROM mefs m WHERE m.school_id = p.school_id AND m.id <> p.mef_id)
         FROM dossiers d JOIN pupils p ON p.id = d.pupil_id WHERE d.id = $1",
    )
    .bind(id)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let (mef, other) = (mef_id.to_string(), other_mef.to_string());
    for (label, condition) in [
        ("Pièce de son niveau", ("mef", mef.as_str())),
        ("Pièce d'un autre niveau", ("mef", other.as_str())),
        ("Certificat de radiation", ("only_new_pupils", "oui")),
    ] {
        let (status, _, _) = post(
            &app,
            &secretary,
            &base,
            &base,
            &[
                ("label", label),
                ("explanation", ""),
                ("mandatory", "oui"),
                condition,
            ],
        )
        .await;
        assert_eq!(status, 303, "{label}");
    }
    // A piece without a name is refused; script tags are shown as text.
    let (status, _, body) = post(&app, &secretary, &base, &base, &[("label", "")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("Saisissez le nom de la pièce."));
    let tagged = format!("Pièce {SCRIPT}");
    post(
        &app,
        &secretary,
        &base,
        &base,
        &[("label", tagged.as_str())],
    )
    .await;
    let (_, list) = get(&app, &secretary, &base).await;
    assert!(shows_script_as_text(&list, "Pièce "), "{list}");

    walk_until(&app, &dossier, "pieces").await;
    let (_, pieces) = app.get_html(&format!("{dossier}/pieces")).await;
    assert!(pieces.contains("Pièce de son niveau"), "{pieces}");
    assert!(
        !pieces.contains("Pièce d&#39;un autre niveau")
            && !pieces.contains("Pièce d'un autre niveau")
    );
    assert!(!pieces.contains("Certificat de radiation"));

    // Coming from another school, the pupil is now asked the certificate.
    sqlx::query("UPDATE pupils SET last_year_uai = '0310000X' WHERE id = (SELECT pupil_id FROM dossiers WHERE id = $1)")
        .bind(id)
        .execute(app.db().pool())
        .await
        .unwrap();
    let (_, pieces) = app.get_html(&format!("{dossier}/pieces")).await;
    assert!(pieces.contains("Certificat de radiation"), "{pieces}");
    app.finish().await;
}

/// The intendance's grid: a gap or an overlap is refused with a message and
/// nothing changes; a complete grid is saved, and the family reads the
/// canteen's days. Other roles are refused.
async fn the_tariff_grid_refuses_gaps_and_overlaps(app: TestApp) {
    let seeded = app.seed_demo().await;
    let page = format!("/etablissements/{}/campagne/demi-pension", seeded.uai);
    let intendance = agent(&app, "intendance@demo.dossiersco.fr", DEMO_PASSWORD).await;
    let grid = |second_min: &'static str| {
        vec![
            ("day", "lun"),
            ("day", "jeu"),
            ("label_0", "Tranche A"),
            ("min_0", "0"),
            ("max_0", "500"),
            ("price_0", "1,50"),
            ("label_1", "Tranche B"),
            ("min_1", second_min),
            ("max_1", ""),
            ("price_1", "4"),
        ]
    };
    let before = app
        .count("SELECT COUNT(*) FROM canteen_tariffs WHERE label LIKE 'Tarif%'")
        .await;
    let (status, _, body) = post(&app, &intendance, &page, &page, &grid("600")).await;
    assert_eq!(status, 422);
    assert!(
        body.contains("les quotients de 501 à 599 n&#39;ont pas de tarif")
            || body.contains("les quotients de 501 à 599 n'ont pas de tarif"),
        "{body}"
    );
    let (status, _, body) = post(&app, &intendance, &page, &page, &grid("400")).await;
    assert_eq!(status, 422);
    assert!(body.contains("se chevauchent"), "{body}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM canteen_tariffs WHERE label LIKE 'Tarif%'")
            .await,
        before,
        "nothing changed"
    );
    let (status, _, _) = post(&app, &intendance, &page, &page, &grid("501")).await;
    assert_eq!(status, 303);
    let saved: Vec<(String, i64, Option<i64>, i64)> = sqlx::query_as(
        "SELECT label, quotient_min, quotient_max, price_cents FROM canteen_tariffs ORDER BY quotient_min",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert_eq!(
        saved,
        vec![
            ("Tranche A".to_owned(), 0, Some(500), 150),
            ("Tranche B".to_owned(), 501, None, 400)
        ]
    );
    let days: String =
        sqlx::query_scalar("SELECT canteen_days FROM campaigns ORDER BY school_year DESC LIMIT 1")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(days, "lun,jeu");
    // The family reads the days in the canteen step.
    let dossier = mother_dossier(&app, &seeded).await;
    walk_until(&app, &dossier, "vie-scolaire").await;
    let (_, step) = app.get_html(&format!("{dossier}/vie-scolaire")).await;
    assert!(
        step.contains("Jours de demi-pension : lundi et jeudi."),
        "{step}"
    );
    let secretary = agent(&app, "secretariat@demo.dossiersco.fr", DEMO_PASSWORD).await;
    assert_eq!(
        get(&app, &secretary, &page).await.0,
        403,
        "the canteen is the intendance's"
    );
    app.finish().await;
}

/// The vie scolaire adds, changes, reorders and removes exit rules; the
/// intendance may not.
async fn exit_rules_are_the_school_life_s(app: TestApp) {
    let seeded = app.seed_demo().await;
    let list = format!("/etablissements/{}/campagne/regimes-de-sortie", seeded.uai);
    let cpe = agent(&app, "cpe@demo.dossiersco.fr", DEMO_PASSWORD).await;
    let label = format!("Régime 4 {SCRIPT}");
    let (status, _, _) = post(
        &app,
        &cpe,
        &list,
        &list,
        &[("label", label.as_str()), ("description", TEMPLATE)],
    )
    .await;
    assert_eq!(status, 303);
    let (_, page) = get(&app, &cpe, &list).await;
    assert!(shows_script_as_text(&page, "Régime 4 "), "{page}");
    assert!(page.contains("{{ 7*7 }}"));
    let rules = |app: &TestApp| {
        let pool = app.db().pool().clone();
        async move {
            sqlx::query_as::<_, (i64, String)>(
                "SELECT id, label FROM exit_rules ORDER BY position, id",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    let before = rules(&app).await;
    let (new_id, _) = before.last().unwrap().clone();
    let up = format!("{list}/{new_id}/monter");
    assert_eq!(post(&app, &cpe, &list, &up, &[]).await.0, 303);
    let after = rules(&app).await;
    assert_eq!(after[after.len() - 2].0, new_id, "moved up one place");
    let edit = format!("{list}/{new_id}");
    assert_eq!(
        post(&app, &cpe, &edit, &edit, &[("label", "")]).await.0,
        422
    );
    assert_eq!(
        post(
            &app,
            &cpe,
            &edit,
            &edit,
            &[("label", "Régime 4"), ("description", "")]
        )
        .await
        .0,
        303
    );
    // Removing needs the confirmation.
    let remove = format!("{edit}/retrait");
    post(&app, &cpe, &edit, &remove, &[]).await;
    assert_eq!(rules(&app).await.len(), before.len());
    post(&app, &cpe, &edit, &remove, &[("confirm", "oui")]).await;
    assert_eq!(rules(&app).await.len(), before.len() - 1);
    let intendance = agent(&app, "intendance@demo.dossiersco.fr", DEMO_PASSWORD).await;
    assert_eq!(get(&app, &intendance, &list).await.0, 403);
    app.finish().await;
}

/// A school from its import: the ready page lists what is missing, each
/// line fixed on its screen (MEF succession proposed from the nomenclature,
/// dates, a piece, an exit rule, tariffs) until it is all green; a repeater
/// goes to the same MEF; the next year's campaign is a copy, a year later.
async fn a_school_goes_from_missing_to_ready_then_next_year(app: TestApp) {
    let school = SchoolBuilder::new("0750680G").build(&app).await;
    school
        .agent(&app, "direction@college.fr", Role::Admin)
        .await;
    let pool = app.db().pool();
    let mut mef_ids = Vec::new();
    for (code, label) in [
        ("10010012110", "6EME"),
        ("10110001110", "5EME"),
        ("10210001110", "4EME"),
        ("10310019110", "3EME"),
    ] {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO mefs (school_id, code, label) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(school.id)
        .bind(code)
        .bind(label)
        .fetch_one(pool)
        .await
        .unwrap();
        mef_ids.push(id);
    }
    let pupil = school
        .pupil("MARTIN", "Léa")
        .guardian(GuardianBuilder::new("MARTIN", "Julie"))
        .build(&app)
        .await;
    sqlx::query("UPDATE pupils SET mef_id = $1 WHERE id = $2")
        .bind(mef_ids[1])
        .bind(pupil.pupil_id)
        .execute(pool)
        .await
        .unwrap();

    let admin = agent(&app, "direction@college.fr", AGENT_PASSWORD).await;
    let base = format!("/etablissements/{}/campagne", school.uai);
    let ready = format!("{base}/pret");
    let (status, page) = get(&app, &admin, &ready).await;
    assert_eq!(status, 200);
    for missing in [
        "Date d&#39;ouverture non fixée",
        "4 MEF n&#39;ont pas de MEF suivant",
        "Aucune pièce demandée",
        "Aucun régime de sortie",
        "Aucun tarif de demi-pension",
    ] {
        let plain = missing.replace("&#39;", "'");
        assert!(
            page.contains(missing) || page.contains(&plain),
            "{missing}: {page}"
        );
    }
    assert!(page.contains("Pas encore prête"));

    // MEF succession from the nomenclature: 6e → 5e → 4e → 3e → end.
    let mefs = format!("{base}/mefs");
    assert_eq!(
        post(&app, &admin, &mefs, &format!("{mefs}/propositions"), &[])
            .await
            .0,
        303
    );
    let next: Vec<(Option<i64>, dossiersco::db::Flag)> = sqlx::query_as(
        "SELECT next_mef_id, ends_college FROM mefs WHERE school_id = $1 ORDER BY code",
    )
    .bind(school.id)
    .fetch_all(pool)
    .await
    .unwrap();
    let next: Vec<(Option<i64>, bool)> = next.into_iter().map(|(n, e)| (n, e.0)).collect();
    assert_eq!(
        next,
        vec![
            (Some(mef_ids[1]), false),
            (Some(mef_ids[2]), false),
            (Some(mef_ids[3]), false),
            (None, true)
        ]
    );
    // Edited by hand: 4e goes to the end of collège, then back.
    let field = format!("next_{}", mef_ids[2]);
    post(&app, &admin, &mefs, &mefs, &[(field.as_str(), "fin")]).await;
    let ends: dossiersco::db::Flag =
        sqlx::query_scalar("SELECT ends_college FROM mefs WHERE id = $1")
            .bind(mef_ids[2])
            .fetch_one(pool)
            .await
            .unwrap();
    assert!(ends.0);
    let back = mef_ids[3].to_string();
    post(
        &app,
        &admin,
        &mefs,
        &mefs,
        &[(field.as_str(), back.as_str())],
    )
    .await;

    // A repeater stays in 5e.
    let succession = dossiersco::db::campaigns::mef_succession_of_dossier(pool, pupil.dossier_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(succession.next_label.as_deref(), Some("4EME"));
    let repeaters = format!("{base}/redoublants");
    let id = pupil.dossier_id.to_string();
    assert_eq!(
        post(
            &app,
            &admin,
            &repeaters,
            &repeaters,
            &[("repeating", id.as_str())]
        )
        .await
        .0,
        303
    );
    let succession = dossiersco::db::campaigns::mef_succession_of_dossier(pool, pupil.dossier_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(succession.next_label.as_deref(), Some("5EME"));

    // Dates, a piece, an exit rule, tariffs.
    let (opens, closes) = (day(1), day(40));
    let (status, _, _) = post(
        &app,
        &admin,
        &base,
        &base,
        &[
            ("opens_on", &opens),
            ("closes_on", &closes),
            ("welcome_text", "Bienvenue"),
            ("contact_email", "ce.0750680G@ac-paris.fr"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let pieces = format!("{base}/pieces");
    post(
        &app,
        &admin,
        &pieces,
        &pieces,
        &[("label", "Attestation d'assurance")],
    )
    .await;
    let rules = format!("{base}/regimes-de-sortie");
    post(&app, &admin, &rules, &rules, &[("label", "Sortie libre")]).await;
    let canteen = format!("{base}/demi-pension");
    post(
        &app,
        &admin,
        &canteen,
        &canteen,
        &[
            ("label_0", "Tarif unique"),
            ("min_0", "0"),
            ("max_0", ""),
            ("price_0", "3,20"),
        ],
    )
    .await;
    let (_, page) = get(&app, &admin, &ready).await;
    assert!(page.contains("Prête à ouvrir"), "{page}");
    assert!(!page.contains("À faire"), "{page}");

    // Next year: refused without the confirmation, then a copy a year later.
    let next_year = format!("{base}/annee-suivante");
    assert_eq!(post(&app, &admin, &next_year, &next_year, &[]).await.0, 422);
    assert_eq!(app.count("SELECT COUNT(*) FROM campaigns").await, 1);
    assert_eq!(
        post(&app, &admin, &next_year, &next_year, &[("confirm", "oui")])
            .await
            .0,
        303
    );
    let copied: (i64, String, String, String) = sqlx::query_as("SELECT school_year, opens_on, closes_on, welcome_text FROM campaigns ORDER BY school_year DESC LIMIT 1")
        .fetch_one(pool)
        .await
        .unwrap();
    let a_year_later = |d: &str| dossiersco::db::setup::a_year_later(d).unwrap();
    assert_eq!(
        copied,
        (
            dossiersco::campaign::school_year_starting() + 1,
            a_year_later(&opens),
            a_year_later(&closes),
            "Bienvenue".to_owned()
        )
    );
    app.finish().await;
}

/// Script tags and template syntax typed into every text field of the
/// set-up not covered above.
const MARKUP: &str = "<script>alert('x')</script> {{ 7*7 }} {% if true %}oui{% endif %}";

/// Whether `html` shows [`MARKUP`] as text: no script tag, the template
/// syntax as typed.
fn shows_markup_as_text(html: &str) -> bool {
    !html.contains("<script>alert")
        && html.contains("{{ 7*7 }}")
        && html.contains("{% if true %}oui{% endif %}")
        && (html.contains("&lt;script&gt;alert") || html.contains("&#60;script&#62;alert"))
}

fn assert_markup_as_text(page: &str, html: &str) {
    let around = html
        .find("7*7")
        .map(|at| &html[at.saturating_sub(300)..(at + 100).min(html.len())])
        .unwrap_or("(no « 7*7 »)");
    assert!(shows_markup_as_text(html), "{page}: {around}");
}

/// The form of `page` that posts to `action`, as prefilled, with `changes`.
async fn form_on(
    app: &TestApp,
    client: &Client,
    page: &str,
    action: &str,
    changes: &[(String, String)],
) -> Vec<(String, String)> {
    let (_, html) = get(app, client, page).await;
    let start = html
        .find(&format!("<form method=\"post\" action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form to {action} on {page}"));
    let end = start + html[start..].find("</form>").unwrap() + 7;
    let mut form = crate::forms::prefilled(&html[start..end]);
    for (key, value) in changes {
        form.retain(|(k, _)| k != key);
        form.push((key.clone(), value.clone()));
    }
    form
}

/// Script tags and template syntax in the fields the other tests leave
/// out (a piece's explanation, an option's label and a group's name, a
/// question's help and choices, an authorisation, a tariff's label, an
/// invited agent's name) are saved as typed and shown as text, on the
/// screens and to the family; none is run as markup or as a template.
async fn every_other_text_field_of_the_set_up_shows_markup_as_text(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = format!("/etablissements/{}/campagne", seeded.uai);
    let secretary = agent(&app, "secretariat@demo.dossiersco.fr", DEMO_PASSWORD).await;
    let marked = |before: &str| format!("{before} {MARKUP}");

    // A piece asked of everyone, with its explanation.
    let pieces = format!("{base}/pieces");
    let (status, _, _) = post(
        &app,
        &secretary,
        &pieces,
        &pieces,
        &[
            ("label", "Assurance"),
            ("explanation", &marked("Explication")),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let piece: i64 =
        sqlx::query_scalar("SELECT id FROM expected_documents WHERE label = 'Assurance'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_markup_as_text(
        "the piece",
        &get(&app, &secretary, &format!("{pieces}/{piece}")).await.1,
    );

    // The options of the mother's child's next MEF: a group and an option's label.
    let dossier = mother_dossier(&app, &seeded).await;
    let next_mef: i64 = sqlx::query_scalar(
        "SELECT m.next_mef_id FROM dossiers d JOIN pupils p ON p.id = d.pupil_id
         JOIN mefs m ON m.id = p.mef_id WHERE d.id = $1",
    )
    .bind(dossier.rsplit('/').next().unwrap().parse::<i64>().unwrap())
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let mef_page = format!("{base}/options/{next_mef}");
    let (status, _, _) = post(
        &app,
        &secretary,
        &mef_page,
        &format!("{mef_page}/groupes"),
        &[
            ("group_label", &marked("Groupe")),
            ("group_rule", "at_most_one"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, html) = get(&app, &secretary, &mef_page).await;
    let option = html
        .split("id=\"label_")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an option on the MEF's page")
        .to_owned();
    let form = form_on(
        &app,
        &secretary,
        &mef_page,
        &mef_page,
        &[(format!("label_{option}"), marked("Option"))],
    )
    .await;
    let response = secretary
        .post(app.url(&mef_page))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_markup_as_text(
        "the MEF's options",
        &get(&app, &secretary, &mef_page).await.1,
    );

    // A question's help and choices; an authorisation.
    let questions = format!("{base}/questions");
    let (status, _, _) = post(
        &app,
        &secretary,
        &questions,
        &questions,
        &[
            ("kind", "custom"),
            ("answer_type", "choice"),
            ("label", "Transport"),
            ("question", "Comment vient-il ?"),
            ("help", &marked("Aide")),
            ("choices", &format!("À pied\n{}", marked("En bus"))),
            ("key", "transport"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_markup_as_text("questions", &get(&app, &secretary, &questions).await.1);
    let cpe = agent(&app, "cpe@demo.dossiersco.fr", DEMO_PASSWORD).await;
    let authorisations = format!("{base}/autorisations");
    let (status, _, _) = post(
        &app,
        &cpe,
        &authorisations,
        &authorisations,
        &[
            ("label", &marked("Sortie")),
            ("question", &marked("J'autorise")),
            ("key", "sortie_piscine"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_markup_as_text("authorisations", &get(&app, &cpe, &authorisations).await.1);

    // A tariff's label.
    let intendance = agent(&app, "intendance@demo.dossiersco.fr", DEMO_PASSWORD).await;
    let canteen = format!("{base}/demi-pension");
    let tariff = marked("Tarif");
    let (status, _, body) = post(
        &app,
        &intendance,
        &canteen,
        &canteen,
        &[
            ("day", "lun"),
            ("label_0", tariff.as_str()),
            ("min_0", "0"),
            ("max_0", ""),
            ("price_0", "3"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_markup_as_text("canteen", &get(&app, &intendance, &canteen).await.1);

    // An invited agent's name, on the team's page.
    let direction = agent(&app, "direction@demo.dossiersco.fr", DEMO_PASSWORD).await;
    let team = format!("/etablissements/{}/agents", seeded.uai);
    let (status, _, body) = post(
        &app,
        &direction,
        &format!("{team}/nouveau"),
        &team,
        &[
            ("name", &marked("Agent")),
            ("email", "nouvel.agent@college.fr"),
            ("role_secretariat", "oui"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_markup_as_text("team", &get(&app, &direction, &team).await.1);

    // The family reads all of it as text.
    walk_until(&app, &dossier, "pieces").await;
    for step in ["scolarite", "vie-scolaire", "pieces"] {
        let (_, html) = app.get_html(&format!("{dossier}/{step}")).await;
        assert_markup_as_text(step, &html);
    }
    app.run_jobs().await; // the invitation's e-mail
    app.finish().await;
}

/// Posts the step `step` of `dossier` as prefilled, with `changes`.
async fn post_step(app: &TestApp, dossier: &str, step: &str, changes: &[(&str, &str)]) {
    let page = format!("{dossier}/{step}");
    let html = app.get_html(&page).await.1;
    let mut form = crate::forms::prefilled_or_first(&html);
    for (key, value) in changes {
        form.retain(|(k, _)| k != key);
        form.push(((*key).to_owned(), (*value).to_owned()));
    }
    let response = app
        .client
        .post(app.url(&page))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "step {step}");
}

/// A piece for separated guardians only is asked of the separated family,
/// and of the other once a guardian declares another address; a piece for the demi-pension only follows the
/// family's answer in the canteen step.
async fn pieces_for_separated_guardians_or_the_demi_pension_follow_the_family(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = format!("/etablissements/{}/campagne/pieces", seeded.uai);
    let secretary = agent(&app, "secretariat@demo.dossiersco.fr", DEMO_PASSWORD).await;
    for (label, condition) in [
        ("Jugement fixant la résidence", "only_separated"),
        ("Autorisation de prélèvement", "only_demi_pension"),
    ] {
        let (status, _, _) = post(
            &app,
            &secretary,
            &base,
            &base,
            &[("label", label), ("mandatory", "oui"), (condition, "oui")],
        )
        .await;
        assert_eq!(status, 303, "{label}");
    }

    // The separated family, externe then demi-pensionnaire.
    let dossier = mother_dossier(&app, &seeded).await;
    walk_until(&app, &dossier, "vie-scolaire").await;
    post_step(&app, &dossier, "vie-scolaire", &[("canteen", "externe")]).await;
    post_step(&app, &dossier, "sante", &[]).await;
    let (_, pieces) = app.get_html(&format!("{dossier}/pieces")).await;
    assert!(pieces.contains("Jugement fixant la résidence"), "{pieces}");
    assert!(!pieces.contains("Autorisation de prélèvement"), "{pieces}");
    post_step(
        &app,
        &dossier,
        "vie-scolaire",
        &[("canteen", "demi_pension")],
    )
    .await;
    let (_, pieces) = app.get_html(&format!("{dossier}/pieces")).await;
    assert!(pieces.contains("Autorisation de prélèvement"), "{pieces}");

    // A family living together is not asked the judgement.
    let (code, birth) = family(&app, &seeded, "deux enfants (mère)").await;
    sign_in(&app, &code, &birth).await;
    let dossier_id: i64 = sqlx::query_scalar(
        "SELECT d.id FROM dossiers d JOIN pupils p ON p.id = d.pupil_id
         JOIN guardianships l ON l.pupil_id = p.id JOIN guardians g ON g.id = l.guardian_id
         WHERE g.access_code_hash = $1
           AND d.campaign_id = (SELECT id FROM campaigns ORDER BY school_year DESC LIMIT 1)
         ORDER BY p.birth_date LIMIT 1",
    )
    .bind(dossiersco::domain::access_code::hash(&code))
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let dossier = format!("/famille/dossiers/{dossier_id}");
    walk_until(&app, &dossier, "pieces").await;
    let (status, pieces) = app.get_html(&format!("{dossier}/pieces")).await;
    assert_eq!(status, 200);
    assert!(!pieces.contains("Jugement fixant la résidence"), "{pieces}");
    // Until a guardian declares another address: then they no longer live together.
    post_step(
        &app,
        &dossier,
        "responsables",
        &[
            ("address_lines", "3 rue des Lilas"),
            ("postcode", "69003"),
            ("city", "Lyon"),
        ],
    )
    .await;
    let (_, pieces) = app.get_html(&format!("{dossier}/pieces")).await;
    assert!(pieces.contains("Jugement fixant la résidence"), "{pieces}");
    app.finish().await;
}

on_both_databases!(
    pieces_for_separated_guardians_or_the_demi_pension_follow_the_family,
    dates_and_texts_are_saved_and_shown_as_safe_text,
    every_other_text_field_of_the_set_up_shows_markup_as_text,
    dates_are_enforced_for_families,
    conditional_pieces_are_asked_only_when_they_apply,
    the_tariff_grid_refuses_gaps_and_overlaps,
    exit_rules_are_the_school_life_s,
    a_school_goes_from_missing_to_ready_then_next_year,
);
