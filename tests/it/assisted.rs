//! Assisted mode and new pupils (issue 13): an agent fills a dossier with the
//! family at the desk, through the family's own pages, every save recorded as
//! the agent's with the mode `assisted`; a pupil unknown to SIECLE is created
//! from the back-office with what SIECLE needs, and becomes a new pupil of the
//! return file. On both databases.

use std::path::PathBuf;

use dossiersco::db::SchoolScope;
use dossiersco::db::siecle_return as rows;
use dossiersco::demo::{DEMO_PASSWORD, Seeded};
use dossiersco::domain::Role;
use dossiersco::domain::dossier_state::{DossierState, Event};
use dossiersco::dossier::{By, Move};
use dossiersco::siecle_return::command::export;
use dossiersco_siecle::codes::Civilite;
use dossiersco_siecle::return_file::{Birthplace, PreviousSchool, latin9, read_xml};
use dossiersco_siecle::synth;

use crate::builders::{AGENT_PASSWORD, BuiltSchool};
use crate::import::{add_school, write_exports};
use crate::siecle_return::{unzip, xmllint};

use crate::family::{location, walk_without_change_as};
use crate::harness::TestApp;
use crate::on_both_databases;

const SECRETARIAT: &str = "secretariat@demo.dossiersco.fr";

/// A dossier of the demo's current campaign that nobody opened, its pupil's
/// first guardian, and the number of its guardians.
async fn untouched_dossier(app: &TestApp) -> (i64, i64) {
    sqlx::query_as(
        "SELECT d.id, l.guardian_id FROM dossiers d
         JOIN campaigns c ON c.id = d.campaign_id
         JOIN guardianships l ON l.pupil_id = d.pupil_id
         WHERE d.state = 'not_started'
           AND c.school_year = (SELECT MAX(school_year) FROM campaigns WHERE school_id = c.school_id)
         ORDER BY d.id, l.rank LIMIT 1",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap()
}

async fn agent_id(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM agents WHERE email = $1")
        .bind(email)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

/// Signs `email` in and starts the assisted mode on `dossier_id`.
async fn start_assisted(
    app: &TestApp,
    seeded: &Seeded,
    email: &str,
    dossier_id: i64,
) -> reqwest::Response {
    let signed_in = app.sign_in_agent(email, DEMO_PASSWORD).await;
    assert_eq!(signed_in.status(), 303, "{email} signs in");
    let page = format!("/etablissements/{}/dossiers/{dossier_id}", seeded.uai);
    app.post_form(&page, &format!("{page}/avec-la-famille"), &[])
        .await
}

async fn assisted_saves_are_the_agent_s_at_the_desk_without_the_family_signing_in(app: TestApp) {
    let seeded = app.seed_demo().await;
    let (dossier_id, guardian_id) = untouched_dossier(&app).await;
    let secretariat = agent_id(&app, SECRETARIAT).await;
    let school_page = format!("/etablissements/{}/dossiers/{dossier_id}", seeded.uai);

    app.sign_in_agent(SECRETARIAT, DEMO_PASSWORD).await;
    let (status, html) = app.get_html(&school_page).await;
    assert_eq!(status, 200);
    assert!(html.contains("Remplir avec la famille"), "{html}");
    // Before the assisted mode, the family's pages are not the agent's.
    let refused = app
        .get(&format!("/famille/dossiers/{dossier_id}/accueil"))
        .await;
    assert_eq!(location(&refused), "/famille/connexion");

    let started = app
        .post_form(&school_page, &format!("{school_page}/avec-la-famille"), &[])
        .await;
    assert_eq!(started.status(), 303);
    let base = format!("/famille/dossiers/{dossier_id}");
    assert_eq!(location(&started), format!("{base}/accueil"));
    let (status, html) = app.get_html(&format!("{base}/accueil")).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Mode accompagné"), "the banner says so");

    // The family's own steps, as the family would fill them, then sent.
    walk_without_change_as(&app, &app.client, &base).await;
    let page = format!("{base}/responsables");
    let mut form = crate::forms::prefilled(&app.get_html(&page).await.1);
    for (k, v) in form.iter_mut() {
        if k == "phone_mobile" {
            *v = "07 12 34 56 78".into();
        }
    }
    let saved = app
        .client
        .post(app.url(&page))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 303);
    let page = format!("{base}/validation");
    let sent = app.post_form(&page, &page, &[("attestation", "oui")]).await;
    let to = location(&sent);
    assert_eq!(
        to,
        format!("{base}/confirmation"),
        "{}",
        sent.text().await.unwrap()
    );

    let pool = app.db().pool();
    let rows: Vec<(String, Option<i64>, String, String)> = sqlx::query_as(
        "SELECT actor_kind, actor_id, mode, subject FROM audit_events WHERE action = 'dossier_saved' ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(rows.len() >= 10, "every save is recorded: {rows:?}");
    for (kind, actor, mode, subject) in &rows {
        assert_eq!(
            (kind.as_str(), *actor, mode.as_str()),
            ("agent", Some(secretariat), "assisted")
        );
        assert!(
            subject.starts_with(&format!("dossier:{dossier_id} etape:"))
                && subject.ends_with(&format!("responsable:{guardian_id}")),
            "{subject}"
        );
    }
    assert!(
        rows.iter().any(|r| r.3.contains("etape:validation")),
        "the sending too"
    );
    let started: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'assisted_started' AND actor_id = $1 AND mode = 'assisted'",
    )
    .bind(secretariat)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(started, 1);
    // No guardian signed in; the change and the sending are the family's.
    let guardian_sessions: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE guardian_id IS NOT NULL")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(guardian_sessions, 0);
    let state: String = sqlx::query_scalar("SELECT state FROM dossiers WHERE id = $1")
        .bind(dossier_id)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(state, "submitted");
    let phone: String = sqlx::query_scalar(
        "SELECT new_value FROM guardian_changes WHERE guardian_id = $1 AND field = 'phone_mobile'",
    )
    .bind(guardian_id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(phone, "07 12 34 56 78");

    // Ended: back to the school's page, the family's pages closed again.
    let ended = app
        .post_form(
            &format!("{base}/confirmation"),
            &format!("{school_page}/avec-la-famille/fin"),
            &[],
        )
        .await;
    assert_eq!(location(&ended), school_page);
    let refused = app.get(&format!("{base}/accueil")).await;
    assert_eq!(location(&refused), "/famille/connexion");
    app.run_jobs().await;
    app.finish().await;
}

async fn the_nurse_and_school_life_may_not_fill_a_dossier_with_the_family(app: TestApp) {
    let seeded = app.seed_demo().await;
    let (dossier_id, _) = untouched_dossier(&app).await;
    let page = format!("/etablissements/{}/dossiers/{dossier_id}", seeded.uai);
    for email in ["infirmerie@demo.dossiersco.fr", "cpe@demo.dossiersco.fr"] {
        let client = TestApp::client_for(&app);
        let signed_in = app.sign_in_agent_as(&client, email, DEMO_PASSWORD).await;
        assert_eq!(signed_in.status(), 303, "{email}");
        let refused = app
            .post_form_as(&client, &page, &format!("{page}/avec-la-famille"), &[])
            .await;
        assert_eq!(refused.status(), 403, "{email}");
        let family_page = client
            .get(app.url(&format!("/famille/dossiers/{dossier_id}/accueil")))
            .send()
            .await
            .unwrap();
        assert_eq!(location(&family_page), "/famille/connexion", "{email}");
    }
    // An agent whose role changed since loses the mode at once.
    let started = start_assisted(&app, &seeded, SECRETARIAT, dossier_id).await;
    assert_eq!(started.status(), 303);
    let nurse_roles: i64 = sqlx::query_scalar(
        "SELECT m.roles FROM agent_memberships m JOIN agents a ON a.id = m.agent_id WHERE a.email = 'infirmerie@demo.dossiersco.fr'",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    sqlx::query(
        "UPDATE agent_memberships SET roles = $1 WHERE agent_id = (SELECT id FROM agents WHERE email = $2)",
    )
    .bind(nurse_roles)
    .bind(SECRETARIAT)
    .execute(app.db().pool())
    .await
    .unwrap();
    let refused = app
        .get(&format!("/famille/dossiers/{dossier_id}/accueil"))
        .await;
    assert_eq!(refused.status(), 403);
    let saves: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'dossier_saved'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(saves, 0);
    app.finish().await;
}

/// A complete, valid new pupil form of the demo school (`overrides` replace
/// fields; a field set to "" is left out).
pub(crate) async fn new_pupil_fields(
    app: &TestApp,
    school_id_uai: &str,
    overrides: &[(&str, &str)],
) -> Vec<(String, String)> {
    let pool = app.db().pool();
    let mef: String = sqlx::query_scalar(
        "SELECT m.code FROM mefs m JOIN schools s ON s.id = m.school_id WHERE s.uai = $1 ORDER BY m.code LIMIT 1",
    )
    .bind(school_id_uai)
    .fetch_one(pool)
    .await
    .unwrap();
    let regime: String = sqlx::query_scalar(
        "SELECT MIN(p.regime_code) FROM pupils p JOIN schools s ON s.id = p.school_id WHERE s.uai = $1 AND p.regime_code <> ''",
    )
    .bind(school_id_uai)
    .fetch_optional(pool)
    .await
    .unwrap()
    .unwrap_or_else(|| "2".into());
    // The school's first provenance (its nomenclature's), if it has any.
    let provenance: String = sqlx::query_scalar(
        "SELECT MIN(v.code) FROM provenances v JOIN schools s ON s.id = v.school_id WHERE s.uai = $1",
    )
    .bind(school_id_uai)
    .fetch_optional(pool)
    .await
    .unwrap()
    .flatten()
    .unwrap_or_default();
    let mut fields: Vec<(String, String)> = [
        ("last_name", "NOUVEL"),
        ("first_name", "Élise"),
        ("other_first_names", "Marie Anne"),
        ("sex", "F"),
        ("birth_date", "2014-03-02"),
        ("birth_country", "100"),
        ("birth_commune_insee", "75112"),
        ("nationality", "100"),
        ("entry_mef", mef.as_str()),
        ("regime", regime.as_str()),
        ("transport", "non"),
        ("repeating", "non"),
        ("previous_kind", "uai"),
        ("previous_uai", "0750680G"),
        ("provenance", provenance.as_str()),
        ("g1_civility", "2"),
        ("g1_last_name", "NOUVEL"),
        ("g1_first_name", "Sophie"),
        ("g1_relationship", "10"),
        ("g1_address", "3 rue des Lilas"),
        ("g1_postcode", "75012"),
        ("g1_city", "Paris"),
        ("g1_country", "100"),
        ("g1_phone", "06 01 02 03 04"),
        ("g1_email", "sophie.nouvel@example.fr"),
        ("g1_lives_with", "oui"),
        ("g1_pays", "oui"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (k, v) in overrides {
        fields.retain(|(key, _)| key != k);
        if !v.is_empty() {
            fields.push(((*k).to_owned(), (*v).to_owned()));
        }
    }
    fields
}

async fn post_new_pupil(
    app: &TestApp,
    uai: &str,
    fields: &[(String, String)],
) -> reqwest::Response {
    let page = format!("/etablissements/{uai}/eleves/nouveau");
    let token = app.csrf_token(&page).await;
    let mut body = vec![("csrf_token".to_owned(), token)];
    body.extend_from_slice(fields);
    app.client
        .post(app.url(&format!("/etablissements/{uai}/eleves")))
        .form(&body)
        .send()
        .await
        .unwrap()
}

async fn counts(app: &TestApp) -> (i64, i64, i64) {
    let pool = app.db().pool();
    let one = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(pool);
    (
        one("SELECT COUNT(*) FROM pupils").await.unwrap(),
        one("SELECT COUNT(*) FROM guardians").await.unwrap(),
        one("SELECT COUNT(*) FROM dossiers").await.unwrap(),
    )
}

async fn the_new_pupil_form_refuses_bad_codes_and_a_missing_guardian_in_french_and_changes_nothing(
    app: TestApp,
) {
    let seeded = app.seed_demo().await;
    app.sign_in_agent(SECRETARIAT, DEMO_PASSWORD).await;
    let before = counts(&app).await;
    let (status, html) = app
        .get_html(&format!("/etablissements/{}/eleves/nouveau", seeded.uai))
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Nouvel élève") && html.contains(">Allemagne<"),
        "countries by name"
    );
    assert!(!html.contains(">109<"), "no raw code shown");
    for (overrides, message) in [
        (
            vec![("birth_commune_insee", "7512")],
            "Code INSEE de la commune invalide",
        ),
        (
            vec![("birth_commune_insee", "99109")],
            "Code INSEE de la commune invalide",
        ),
        (vec![("previous_uai", "0750680A")], "Code UAI invalide"),
        (
            vec![("previous_uai", seeded.uai.as_str())],
            "C&#39;est le code de votre établissement",
        ),
        (
            vec![
                ("previous_kind", "departement"),
                ("previous_department", "ZZ"),
            ],
            "Département invalide",
        ),
        (
            vec![("birth_country", "109"), ("birth_town_abroad", "")],
            "Ce champ est obligatoire",
        ),
        (
            vec![
                ("g1_civility", ""),
                ("g1_last_name", ""),
                ("g1_first_name", ""),
            ],
            "Indiquez la civilité du responsable",
        ),
        (
            vec![("g1_relationship", "")],
            "Choisissez le lien avec l&#39;élève",
        ),
        (
            vec![("g1_address", ""), ("g1_postcode", "")],
            "Code postal invalide",
        ),
    ] {
        let fields = new_pupil_fields(&app, &seeded.uai, &overrides).await;
        let refused = post_new_pupil(&app, &seeded.uai, &fields).await;
        assert_eq!(refused.status(), 422, "{overrides:?}");
        let html = refused.text().await.unwrap();
        let html = html.replace("&#x27;", "&#39;");
        assert!(html.contains(message), "{overrides:?}: {message}\n{html}");
        assert!(html.contains("Rien n'a été enregistré"), "{overrides:?}");
    }
    assert_eq!(counts(&app).await, before, "nothing was created");
    app.finish().await;
}

/// The demo seeds the provenances of SIECLE's nomenclature: its desk form
/// offers them by their words, not the notice asking for the import.
async fn the_demo_s_desk_form_lists_the_nomenclature_s_provenances(app: TestApp) {
    let seeded = app.seed_demo().await;
    app.sign_in_agent(SECRETARIAT, DEMO_PASSWORD).await;
    let (status, html) = app
        .get_html(&format!("/etablissements/{}/eleves/nouveau", seeded.uai))
        .await;
    assert_eq!(status, 200);
    let html = html.replace("&#x27;", "&#39;");
    assert!(
        html.contains(r#"<select class="fr-select" id="provenance" name="provenance""#),
        "{html}"
    );
    assert!(
        html.contains(r#"<option value="1">Meme etablissement</option>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<option value="5">Etablissement a l&#39;etranger</option>"#),
        "{html}"
    );
    assert!(
        !html.contains("les provenances de SIECLE ne sont pas connues"),
        "no notice"
    );
    // Seeding again keeps them as they are (an import would replace them).
    app.seed_demo().await;
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM provenances v JOIN schools s ON s.id = v.school_id WHERE s.uai = $1",
    )
    .bind(&seeded.uai)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(n, 5);
    app.finish().await;
}

async fn a_homonym_is_shown_before_a_new_pupil_is_created(app: TestApp) {
    let seeded = app.seed_demo().await;
    app.sign_in_agent(SECRETARIAT, DEMO_PASSWORD).await;
    let (last, first, born): (String, String, String) =
        sqlx::query_as("SELECT last_name, first_name, birth_date FROM pupils ORDER BY id LIMIT 1")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    let before = counts(&app).await;
    let lower = first.to_lowercase();
    let fields = new_pupil_fields(
        &app,
        &seeded.uai,
        &[
            ("last_name", last.as_str()),
            ("first_name", lower.as_str()),
            ("birth_date", born.as_str()),
        ],
    )
    .await;
    let warned = post_new_pupil(&app, &seeded.uai, &fields).await;
    assert_eq!(warned.status(), 409);
    let html = warned.text().await.unwrap();
    assert!(
        html.contains("Un élève porte déjà ce nom, ce prénom et cette date de naissance"),
        "{html}"
    );
    assert!(html.contains("Il s'agit bien d'un autre élève"), "{html}");
    assert_eq!(counts(&app).await, before, "nothing yet");
    let mut confirmed = fields.clone();
    confirmed.push(("homonym_confirmed".into(), "oui".into()));
    let created = post_new_pupil(&app, &seeded.uai, &confirmed).await;
    assert_eq!(created.status(), 303);
    let after = counts(&app).await;
    assert_eq!(
        (after.0, after.1, after.2),
        (before.0 + 1, before.1 + 1, before.2 + 1)
    );
    app.finish().await;
}

/// Posts the new pupil form with its search button: the page comes back.
async fn search_known(app: &TestApp, uai: &str, fields: &[(String, String)], name: &str) -> String {
    let mut fields = fields.to_vec();
    fields.push(("known_search".into(), name.into()));
    fields.push(("action".into(), "chercher".into()));
    let found = post_new_pupil(app, uai, &fields).await;
    assert_eq!(found.status(), 200);
    found.text().await.unwrap()
}

async fn a_new_pupil_is_linked_to_a_sibling_s_guardian_found_among_the_school_s_only(app: TestApp) {
    let seeded = app.seed_demo().await;
    app.sign_in_agent(SECRETARIAT, DEMO_PASSWORD).await;
    let pool = app.db().pool();
    // A guardian of a pupil of the school (the sibling's)…
    let (known, last, first): (i64, String, String) = sqlx::query_as(
        "SELECT g.id, g.last_name, g.first_name FROM guardians g
         JOIN guardianships l ON l.guardian_id = g.id JOIN pupils p ON p.id = l.pupil_id
         JOIN schools s ON s.id = p.school_id WHERE s.uai = $1 ORDER BY g.id LIMIT 1",
    )
    .bind(&seeded.uai)
    .fetch_one(pool)
    .await
    .unwrap();
    // …and a namesake in another school, whom the search never offers.
    let other = add_school(&app, "0750652B").await;
    let now = 0_i64;
    let other_pupil: i64 = sqlx::query_scalar(
        "INSERT INTO pupils (school_id, last_name, first_name, sex, birth_date, created_at, updated_at)
         VALUES ($1, $2, 'Autre', 'M', '2013-01-01', $3, $3) RETURNING id",
    )
    .bind(other.id)
    .bind(&last)
    .bind(now)
    .fetch_one(pool)
    .await
    .unwrap();
    let stranger: i64 = sqlx::query_scalar(
        "INSERT INTO guardians (school_id, last_name, first_name, created_at, updated_at)
         VALUES ($1, $2, 'Homonyme', $3, $3) RETURNING id",
    )
    .bind(other.id)
    .bind(&last)
    .bind(now)
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO guardianships (pupil_id, guardian_id, rank, relationship_code, legal_responsibility)
         VALUES ($1, $2, 1, '10', 1)",
    )
    .bind(other_pupil)
    .bind(stranger)
    .execute(pool)
    .await
    .unwrap();

    let g1_empty: Vec<(&str, &str)> = [
        "g1_civility",
        "g1_last_name",
        "g1_first_name",
        "g1_relationship",
        "g1_address",
        "g1_postcode",
        "g1_city",
        "g1_phone",
        "g1_email",
    ]
    .into_iter()
    .map(|k| (k, ""))
    .collect();
    let fields = new_pupil_fields(&app, &seeded.uai, &g1_empty).await;
    let html = search_known(&app, &seeded.uai, &fields, &last.to_lowercase()).await;
    assert!(
        html.contains(&format!(r#"id="known_guardian-{known}""#)),
        "{html}"
    );
    assert!(
        html.contains(&first) && html.contains("responsable de"),
        "{html}"
    );
    assert!(
        !html.contains(&format!(r#"id="known_guardian-{stranger}""#)) && !html.contains("Homonyme"),
        "never another school's persons"
    );
    assert!(html.contains("NOUVEL"), "the form keeps what was typed");
    let nobody = search_known(&app, &seeded.uai, &fields, "Zzyzx").await;
    assert!(nobody.contains("Aucun responsable de vos élèves ne correspond"));

    let before = counts(&app).await;
    let link = |id: i64| {
        let mut f = fields.clone();
        f.extend(
            [
                ("known_guardian", id.to_string()),
                ("known_relationship", "20".to_owned()),
                ("known_lives_with", "oui".to_owned()),
                ("known_pays", "non".to_owned()),
            ]
            .map(|(k, v)| (k.to_owned(), v)),
        );
        f
    };
    let refused = post_new_pupil(&app, &seeded.uai, &link(stranger)).await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Choisissez le responsable dans la liste.")
    );
    let alone = post_new_pupil(&app, &seeded.uai, &fields).await;
    assert_eq!(alone.status(), 422, "a legal guardian is still needed");
    assert_eq!(counts(&app).await, before, "nothing was created");

    let created = post_new_pupil(&app, &seeded.uai, &link(known)).await;
    assert_eq!(created.status(), 303, "{}", created.text().await.unwrap());
    let after = counts(&app).await;
    assert_eq!(
        (after.0, after.1, after.2),
        (before.0 + 1, before.1, before.2 + 1),
        "no guardian re-typed"
    );
    let links: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT l.guardian_id, l.relationship_code, l.rank FROM guardianships l
         JOIN pupils p ON p.id = l.pupil_id WHERE p.created_by_school = $1 ORDER BY l.rank",
    )
    .bind(true)
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(links, vec![(known, "20".to_owned(), 1)]);
    app.finish().await;
}

/// A new pupil created before SIECLE's Nomenclature export was imported has
/// no provenance: the dry run blocks them (check 38) and links to the
/// « Provenance » form of their dossier, where the direction and the
/// secretariat choose one of the school's provenances (a forged code is
/// refused in French, nothing changed; the other roles read it and may not
/// post), audited and in the dossier's timeline.
async fn a_new_pupil_created_without_a_provenance_gets_one_on_the_dossier_s_page(app: TestApp) {
    let seeded = dossiersco::demo::seed_in_every_state(&app.state)
        .await
        .unwrap();
    let pool = app.db().pool();
    let school_id: i64 = sqlx::query_scalar("SELECT id FROM schools WHERE uai = $1")
        .bind(&seeded.uai)
        .fetch_one(pool)
        .await
        .unwrap();
    // Before the nomenclature's import: no provenance to choose.
    sqlx::query("DELETE FROM provenances WHERE school_id = $1")
        .bind(school_id)
        .execute(pool)
        .await
        .unwrap();
    app.sign_in_agent(SECRETARIAT, DEMO_PASSWORD).await;
    let fields = new_pupil_fields(&app, &seeded.uai, &[("provenance", "")]).await;
    let created = post_new_pupil(&app, &seeded.uai, &fields).await;
    assert_eq!(created.status(), 303, "{}", created.text().await.unwrap());
    let dossier_id: i64 = location(&created)
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (pupil_id, guardian_id): (i64, i64) = sqlx::query_as(
        "SELECT d.pupil_id, l.guardian_id FROM dossiers d JOIN guardianships l ON l.pupil_id = d.pupil_id
         WHERE d.id = $1",
    )
    .bind(dossier_id)
    .fetch_one(pool)
    .await
    .unwrap();
    let provenance = async || -> String {
        sqlx::query_scalar("SELECT provenance_code FROM pupils WHERE id = $1")
            .bind(pupil_id)
            .fetch_one(pool)
            .await
            .unwrap()
    };
    assert_eq!(provenance().await, "");
    // Then the nomenclature comes (the demo seeds its provenances again).
    dossiersco::demo::seed_in_every_state(&app.state)
        .await
        .unwrap();
    let agent = agent_id(&app, SECRETARIAT).await;
    transition(
        &app,
        school_id,
        dossier_id,
        &[
            (
                DossierState::NotStarted,
                Event::Open,
                By::Guardian(guardian_id),
            ),
            (
                DossierState::Started,
                Event::Submit,
                By::Guardian(guardian_id),
            ),
            (DossierState::Submitted, Event::Validate, By::Agent(agent)),
        ],
    )
    .await;
    let link = format!(
        r#"<a href="/etablissements/{}/dossiers/{dossier_id}#provenance">Choisir la provenance de Élise NOUVEL</a>"#,
        seeded.uai
    );
    let dry_run = format!("/etablissements/{}/retour-siecle", seeded.uai);
    let (status, html) = app.get_html(&dry_run).await;
    assert_eq!(status, 200);
    let html = html.replace("&#x27;", "&#39;");
    assert!(html.contains("la provenance : absente"), "{html}");
    assert!(
        html.contains(&link),
        "the problem links to the form: {html}"
    );

    let page = format!("/etablissements/{}/dossiers/{dossier_id}", seeded.uai);
    let action = format!("{page}/provenance");
    let (status, html) = app.get_html(&page).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"<h2 id="provenance">Provenance</h2>"#),
        "{html}"
    );
    assert!(html.contains(&format!(r#"action="{action}""#)), "{html}");
    assert!(
        html.contains(r#"<option value="2">Etablissement public de l"#),
        "{html}"
    );
    assert!(html.contains("non renseignée"), "{html}");

    // A forged code: refused in French, nothing changed.
    let audited = async || -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'provenance_chosen'")
            .fetch_one(pool)
            .await
            .unwrap()
    };
    for forged in ["9", ""] {
        let refused = app
            .post_form(&page, &action, &[("provenance", forged)])
            .await;
        assert_eq!(refused.status(), 422, "{forged:?}");
        let html = refused.text().await.unwrap().replace("&#x27;", "&#39;");
        assert!(
            html.contains("Choisissez la provenance de l&#39;élève dans la liste des provenances de SIECLE. Rien n&#39;a été changé."),
            "{html}"
        );
        assert!(html.contains(r#"aria-invalid="true""#), "{html}");
    }
    assert_eq!(provenance().await, "");
    assert_eq!(audited().await, 0);

    // School life and the nurse read it, without the form, and may not post.
    for email in ["cpe@demo.dossiersco.fr", "infirmerie@demo.dossiersco.fr"] {
        let other = TestApp::client_for(&app);
        app.sign_in_agent_as(&other, email, DEMO_PASSWORD).await;
        let (status, html) = app.get_html_as(&other, &page).await;
        assert_eq!(status, 200, "{email}");
        assert!(html.contains("non renseignée"), "{email}: {html}");
        assert!(!html.contains(&format!(r#"action="{action}""#)), "{email}");
        let token = dossiersco_csrf(&html);
        let refused = other
            .post(app.url(&action))
            .form(&[("csrf_token", token.as_str()), ("provenance", "2")])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 403, "{email}");
    }
    assert_eq!(provenance().await, "");

    // The secretariat chooses: saved, audited, in the timeline, and the dry
    // run no longer blocks on it.
    let chosen = app.post_form(&page, &action, &[("provenance", "2")]).await;
    assert_eq!(chosen.status(), 303);
    assert!(location(&chosen).ends_with("#provenance"));
    assert_eq!(provenance().await, "2");
    assert_eq!(audited().await, 1);
    let (_, html) = app.get_html(&page).await;
    let html = html.replace("&#x27;", "&#39;");
    assert!(
        html.contains("Provenance : <strong>Etablissement public de l&#39;academie</strong>"),
        "{html}"
    );
    assert!(
        html.contains("Provenance de l&#39;élève choisie"),
        "in the timeline: {html}"
    );
    let (_, html) = app.get_html(&dry_run).await;
    assert!(!html.contains("la provenance : absente"), "{html}");
    assert!(!html.contains("#provenance"), "{html}");
    app.finish().await;
}

fn dossiersco_csrf(html: &str) -> String {
    crate::harness::extract_csrf(html).expect("a csrf token")
}

on_both_databases!(
    assisted_saves_are_the_agent_s_at_the_desk_without_the_family_signing_in,
    a_new_pupil_created_without_a_provenance_gets_one_on_the_dossier_s_page,
    the_demo_s_desk_form_lists_the_nomenclature_s_provenances,
    a_new_pupil_is_linked_to_a_sibling_s_guardian_found_among_the_school_s_only,
    the_nurse_and_school_life_may_not_fill_a_dossier_with_the_family,
    the_new_pupil_form_refuses_bad_codes_and_a_missing_guardian_in_french_and_changes_nothing,
    a_homonym_is_shown_before_a_new_pupil_is_created,
);

async fn transition(
    app: &TestApp,
    school_id: i64,
    dossier_id: i64,
    steps: &[(DossierState, Event, By)],
) {
    for (from, event, by) in steps {
        let mut tx = app.db().begin().await.unwrap();
        dossiersco::dossier::transition(
            &mut tx,
            Move {
                school_id,
                dossier_id,
                from: *from,
                event: *event,
                by: *by,
                ip: "192.0.2.1",
                reason: "",
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

async fn a_validated_new_pupil_goes_to_siecle_as_a_new_pupil_and_siecle_s_next_export_is_matched_to_it(
    app: TestApp,
) {
    let generated = synth::generate_school(0, 30, 5);
    // SIECLE's first export lacks the pupil the school will create; its
    // next one has them (with an ELEVE_ID and an INE).
    let arriving = generated.eleves.last().unwrap().clone();
    let mut first = generated.clone();
    first.eleves.retain(|e| e.eleve_id != arriving.eleve_id);
    first.options.retain(|o| o.eleve_id != arriving.eleve_id);
    first.structures.retain(|s| s.eleve_id != arriving.eleve_id);
    first
        .responsables
        .retain(|r| r.eleve_id != arriving.eleve_id);
    // Nor the persons only linked to them.
    let linked: std::collections::HashSet<u64> =
        first.responsables.iter().map(|r| r.personne_id).collect();
    first.personnes.retain(|p| linked.contains(&p.personne_id));
    let school = add_school(&app, generated.uai.as_str()).await;
    let import = |exports: &crate::import::Exports| {
        let paths: Vec<PathBuf> = exports.files.iter().map(|f| f.path.clone()).collect();
        let db = app.db().clone();
        let uai = school.uai.clone();
        async move {
            dossiersco::import::command::import(&db, &uai, false, &paths, false)
                .await
                .unwrap();
        }
    };
    import(&write_exports(&first)).await;
    let pool = app.db().pool();
    let scope = SchoolScope::of_command_line(school.id);
    let year = i32::from(generated.annee_scolaire);
    rows::set_classes_dates(
        pool,
        scope,
        &format!("{year}-09-01"),
        &format!("{}-07-04", year + 1),
    )
    .await
    .unwrap();
    let campaign_id: i64 = sqlx::query_scalar(
        "SELECT id FROM campaigns WHERE school_id = $1 ORDER BY school_year DESC LIMIT 1",
    )
    .bind(school.id)
    .fetch_one(pool)
    .await
    .unwrap();
    let built = BuiltSchool {
        id: school.id,
        uai: school.uai.clone(),
        campaign_id,
    };
    let agent = built
        .agent(&app, "secretariat@college.fr", Role::Secretariat)
        .await;
    app.sign_in_agent("secretariat@college.fr", AGENT_PASSWORD)
        .await;

    // The secretariat creates the arriving pupil. Their options are the
    // family's choice in the journey, not given here: the MEF asks for none
    // (else the dry run blocks the file, check 36).
    let mef: String = sqlx::query_scalar(
        "SELECT code FROM mefs WHERE school_id = $1 ORDER BY COALESCE(mandatory_options_count, 0), code LIMIT 1",
    )
    .bind(school.id)
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query("UPDATE mefs SET mandatory_options_count = 0 WHERE school_id = $1 AND code = $2")
        .bind(school.id)
        .bind(&mef)
        .execute(pool)
        .await
        .unwrap();
    // The provenances came with SIECLE's nomenclature: the form offers them
    // by their words and refuses a code it does not know.
    let form = app
        .client
        .get(app.url(&format!("/etablissements/{}/eleves/nouveau", school.uai)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        form.contains(r#"<option value="4">Etablissement prive</option>"#),
        "{form}"
    );
    let (sibling_guardian, personne_id): (i64, String) = sqlx::query_as(
        "SELECT id, siecle_personne_id FROM guardians
         WHERE school_id = $1 AND siecle_personne_id IS NOT NULL ORDER BY id LIMIT 1",
    )
    .bind(school.id)
    .fetch_one(pool)
    .await
    .unwrap();
    let desk_link = generated
        .responsables
        .iter()
        .find(|r| r.eleve_id == arriving.eleve_id && r.est_representant_legal())
        .unwrap()
        .clone();
    let desk_person = generated
        .personnes
        .iter()
        .find(|p| p.personne_id == desk_link.personne_id)
        .unwrap()
        .clone();
    let born = arriving.date_naiss.unwrap().format("%Y-%m-%d").to_string();
    let unknown = new_pupil_fields(&app, &school.uai, &[("provenance", "9")]).await;
    let refused = post_new_pupil(&app, &school.uai, &unknown).await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap().replace("&#x27;", "&#39;");
    assert!(
        html.contains("Choisissez la provenance de l&#39;élève dans la liste."),
        "{html}"
    );
    let fields = new_pupil_fields(
        &app,
        &school.uai,
        &[
            ("last_name", arriving.nom_de_famille.as_str()),
            ("first_name", arriving.prenom.as_str()),
            ("other_first_names", ""),
            ("birth_date", born.as_str()),
            ("entry_mef", mef.as_str()),
            ("birth_country", "109"),
            ("birth_commune_insee", ""),
            ("birth_town_abroad", "Berlin"),
            ("nationality", "109"),
            ("provenance", "4"),
            // The guardian typed is the one SIECLE's next export will have.
            (
                "g1_last_name",
                desk_person.nom_de_famille.to_lowercase().as_str(),
            ),
            ("g1_first_name", desk_person.prenom.as_str()),
            // A sibling's guardian SIECLE knows, linked rather than re-typed.
            ("known_guardian", sibling_guardian.to_string().as_str()),
            ("known_relationship", "20"),
            ("known_lives_with", "oui"),
            ("known_pays", "non"),
        ],
    )
    .await;
    let created = post_new_pupil(&app, &school.uai, &fields).await;
    assert_eq!(created.status(), 303, "{}", created.text().await.unwrap());
    let dossier_id: i64 = location(&created)
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (pupil_id, guardian_id): (i64, i64) = sqlx::query_as(
        "SELECT d.pupil_id, l.guardian_id FROM dossiers d JOIN guardianships l ON l.pupil_id = d.pupil_id
         WHERE d.id = $1 AND l.guardian_id <> $2",
    )
    .bind(dossier_id)
    .bind(sibling_guardian)
    .fetch_one(pool)
    .await
    .unwrap();
    transition(
        &app,
        school.id,
        dossier_id,
        &[
            (
                DossierState::NotStarted,
                Event::Open,
                By::Guardian(guardian_id),
            ),
            (
                DossierState::Started,
                Event::Submit,
                By::Guardian(guardian_id),
            ),
            (DossierState::Submitted, Event::Validate, By::Agent(agent)),
        ],
    )
    .await;

    // Two files: the pupil is new in both, with the same private ids.
    let mut seen = Vec::new();
    for n in 1..=2 {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("retour.zip");
        let report = export(app.db(), &school.uai, false, true, Some(out.clone()))
            .await
            .unwrap();
        assert!(!report.failed, "{}", report.text);
        assert!(!report.text.contains("la provenance"), "{}", report.text);
        let (_, xml) = unzip(&out);
        xmllint(&xml);
        let text = String::from_utf8_lossy(&xml).into_owned();
        let back = read_xml(&xml).unwrap();
        assert_eq!(back.send_number, n);
        let p = back
            .pupils
            .iter()
            .find(|p| p.last_name == latin9::clean(&arriving.nom_de_famille).unwrap())
            .unwrap_or_else(|| panic!("the new pupil is in the file: {text}"));
        assert_eq!(
            (p.siecle_id, p.ine.as_deref()),
            (None, None),
            "no SIECLE id, no INE"
        );
        assert!(p.leaving.is_none());
        assert_eq!(p.birthplace, Some(Birthplace::Abroad("Berlin".into())));
        assert_eq!(
            (p.birth_country.as_str(), p.nationality.as_deref()),
            ("109", Some("109"))
        );
        assert_eq!(p.schooling.as_ref().unwrap().mef, mef);
        assert_eq!(
            p.previous.as_ref().unwrap().school,
            PreviousSchool::Uai("0750680G".into())
        );
        assert_eq!(
            p.previous.as_ref().unwrap().provenance,
            "4",
            "the provenance the agent chose, not a guess"
        );
        assert_eq!(
            p.links.len(),
            2,
            "the sibling's guardian, then the one typed"
        );
        let sibling = back
            .persons
            .iter()
            .find(|x| x.private_id == p.links[0].person)
            .unwrap();
        assert_eq!(
            sibling.siecle_id,
            Some(personne_id.parse().unwrap()),
            "SIECLE's person, with their id: no duplicate"
        );
        assert_eq!(
            back.persons
                .iter()
                .filter(|x| x.siecle_id == sibling.siecle_id)
                .count(),
            1
        );
        let person = back
            .persons
            .iter()
            .find(|x| x.private_id == p.links[1].person)
            .unwrap();
        assert_eq!(person.siecle_id, None);
        assert_eq!(person.civility, Civilite::Madame);
        assert!(person.address.is_some());
        assert!(
            back.pupils
                .iter()
                .filter(|o| o.private_id == p.private_id)
                .count()
                == 1,
            "a private id of its own"
        );
        seen.push((p.private_id, person.private_id));
    }
    assert_eq!(seen[0], seen[1], "stable across files");

    // SIECLE's next export has them: the import finds the created pupil.
    let pupils_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pupils WHERE school_id = $1")
        .bind(school.id)
        .fetch_one(pool)
        .await
        .unwrap();
    import(&write_exports(&generated)).await;
    let pupils_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pupils WHERE school_id = $1")
        .bind(school.id)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(pupils_after, pupils_before, "no duplicate");
    let (eleve_id, ine): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT siecle_eleve_id, ine FROM pupils WHERE id = $1")
            .bind(pupil_id)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(eleve_id, Some(arriving.eleve_id.to_string()));
    assert_eq!(ine.is_some(), arriving.id_national.is_some());
    // The guardian typed at the desk is SIECLE's person now: the same row
    // (their sign-in and messages), no duplicate, the e-mail kept.
    let (siecle_id, email): (Option<String>, String) =
        sqlx::query_as("SELECT siecle_personne_id, email FROM guardians WHERE id = $1")
            .bind(guardian_id)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(siecle_id, Some(desk_person.personne_id.to_string()));
    assert!(!email.is_empty());
    let same: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM guardians WHERE school_id = $1 AND (siecle_personne_id = $2 OR id = $3)",
    )
    .bind(school.id)
    .bind(desk_person.personne_id.to_string())
    .bind(guardian_id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(same, 1, "no duplicate guardian");
    let linked: Vec<(i64, dossiersco::db::Flag)> = sqlx::query_as(
        "SELECT guardian_id, from_siecle FROM guardianships WHERE pupil_id = $1 ORDER BY guardian_id",
    )
    .bind(pupil_id)
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        linked.iter().any(|(g, from)| *g == guardian_id && from.0),
        "SIECLE's link is the desk one: {linked:?}"
    );
    app.finish().await;
}

on_both_databases!(
    a_validated_new_pupil_goes_to_siecle_as_a_new_pupil_and_siecle_s_next_export_is_matched_to_it,
);
