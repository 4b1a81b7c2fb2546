//! The campaign's dashboard beyond the counts by state (issue 12): the
//! completion curve (an SVG drawn by the server and the same numbers in a
//! table), the families who never came, what needs the school, the
//! satisfaction marks, and the requests of families who lost their code.

use chrono::{Days, NaiveDate};
use dossiersco::db::now_ms;
use dossiersco::domain::Role;
use dossiersco::domain::dossier_state::DossierState;
use dossiersco::domain::words;

use crate::builders::{AGENT_PASSWORD, BuiltDossier, BuiltSchool, GuardianBuilder, SchoolBuilder};
use crate::harness::TestApp;
use crate::on_both_databases;

const UAI: &str = "0750680G";

/// The row of `html` whose id is `id`, up to its end.
fn row<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<tr id=\"{id}\""))
        .unwrap_or_else(|| panic!("no row {id} in:\n{html}"));
    let end = html[start..].find("</tr>").unwrap() + start;
    &html[start..end]
}

/// Paris's today, as the server reads it.
fn today() -> NaiveDate {
    words::paris_day(now_ms()).unwrap()
}

/// 10:00 UTC on `day` (11:00 or 12:00 in Paris: the same day), in Unix ms.
fn morning(day: NaiveDate) -> i64 {
    day.and_hms_opt(10, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

async fn transition(app: &TestApp, dossier_id: i64, from: &str, to: &str, at: i64) {
    sqlx::query(
        "INSERT INTO dossier_transitions (dossier_id, from_state, to_state, actor_kind, created_at)
         VALUES ($1, $2, $3, 'guardian', $4)",
    )
    .bind(dossier_id)
    .bind(from)
    .bind(to)
    .bind(at)
    .execute(app.db().pool())
    .await
    .unwrap();
}

async fn pupil(
    app: &TestApp,
    school: &BuiltSchool,
    name: &str,
    state: DossierState,
) -> BuiltDossier {
    school
        .pupil("MARTIN", name)
        .division("4A")
        .guardian(GuardianBuilder::new("MARTIN", &format!("Parent de {name}")))
        .state(state)
        .build(app)
        .await
}

async fn the_completion_curve_counts_sent_and_validated_dossiers_per_day_from_recorded_instants(
    app: TestApp,
) {
    let school = SchoolBuilder::new(UAI).build(&app).await;
    let today = today();
    let day = |back: u64| today - Days::new(back);
    sqlx::query("UPDATE campaigns SET opens_on = $2, closes_on = $3 WHERE id = $1")
        .bind(school.campaign_id)
        .bind(day(3).format("%Y-%m-%d").to_string())
        .bind((today + Days::new(30)).format("%Y-%m-%d").to_string())
        .execute(app.db().pool())
        .await
        .unwrap();
    let _lea = pupil(&app, &school, "Léa", DossierState::Started).await;
    let tom = pupil(&app, &school, "Tom", DossierState::Submitted).await;
    let ines = pupil(&app, &school, "Inès", DossierState::Validated).await;
    let noe = pupil(&app, &school, "Noé", DossierState::Returned).await;
    let yanis = pupil(&app, &school, "Yanis", DossierState::Leaving).await;
    transition(
        &app,
        tom.dossier_id,
        "started",
        "submitted",
        morning(day(2)),
    )
    .await;
    transition(
        &app,
        ines.dossier_id,
        "started",
        "submitted",
        morning(day(2)),
    )
    .await;
    transition(
        &app,
        ines.dossier_id,
        "submitted",
        "validated",
        morning(day(1)),
    )
    .await;
    // Sent before the opening (a test of the school), then sent back: it was sent.
    transition(
        &app,
        noe.dossier_id,
        "started",
        "submitted",
        morning(day(5)),
    )
    .await;
    transition(
        &app,
        noe.dossier_id,
        "submitted",
        "returned",
        morning(day(4)),
    )
    .await;
    // A leaving pupil is not in the curve.
    transition(
        &app,
        yanis.dossier_id,
        "started",
        "submitted",
        morning(day(1)),
    )
    .await;
    school
        .agent(&app, "secretariat@voisin.fr", Role::Secretariat)
        .await;
    app.sign_in_agent("secretariat@voisin.fr", AGENT_PASSWORD)
        .await;
    let (status, html) = app.get_html(&format!("/etablissements/{UAI}")).await;
    assert_eq!(status, 200);

    let id = |back: u64| format!("jour-{}", day(back).format("%Y-%m-%d"));
    let numbers = |back: u64| {
        let row = row(&html, &id(back));
        let cell = |name: &str| {
            let start = row.find(&format!("<td {name}>")).unwrap() + name.len() + 5;
            row[start..start + row[start..].find('<').unwrap()].to_owned()
        };
        (
            cell("data-sent"),
            cell("data-sent-total"),
            cell("data-validated-total"),
        )
    };
    let s = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        numbers(3),
        s("0", "1", "0"),
        "the opening day counts Noé, sent before"
    );
    assert_eq!(numbers(2), s("2", "3", "0"));
    assert_eq!(numbers(1), s("0", "3", "1"));
    assert_eq!(numbers(0), s("0", "3", "1"));
    assert!(!html.contains(&id(4)), "the curve starts at the opening");
    assert!(!html.contains(&format!(
        "jour-{}",
        (today + Days::new(1)).format("%Y-%m-%d")
    )));

    // The SVG, readable without script: an image with a name and a description.
    let svg = &html[html.find("<svg").expect("an inline SVG")..];
    let svg = &svg[..svg.find("</svg>").unwrap()];
    assert!(svg.contains("role=\"img\""));
    assert!(svg.contains("aria-labelledby=\"courbe-titre courbe-desc\""));
    assert!(svg.contains("<title id=\"courbe-titre\">"));
    assert!(
        svg.contains("3 dossier(s) envoyé(s) et 1 validé(s), sur 4 élève(s) qui restent"),
        "{svg}"
    );
    let points = |series: &str| -> Vec<(i64, i64)> {
        let start = svg
            .find(&format!("data-series=\"{series}\" points=\""))
            .unwrap();
        let rest = &svg[start..];
        let rest = &rest[rest.find("points=\"").unwrap() + 8..];
        rest[..rest.find('"').unwrap()]
            .split(' ')
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect()
    };
    let sent = points("sent");
    assert_eq!(sent.len(), 4, "one point per day");
    assert!(
        sent[1].1 < sent[0].1,
        "the curve rises with the sent dossiers (SVG y goes down)"
    );
    assert_eq!(sent[2].1, sent[3].1);
    let validated = points("validated");
    assert_eq!(validated[0].1, validated[1].1);
    assert!(validated[2].1 < validated[1].1);
    app.finish().await;
}

/// The number in the line `id` of the dashboard's tables.
fn count_in(html: &str, id: &str) -> String {
    let row = row(html, id);
    let start = row
        .find("<td data-count>")
        .unwrap_or_else(|| panic!("{row}"))
        + 15;
    row[start..start + row[start..].find('<').unwrap()].to_owned()
}

/// Which of Léa, Tom and Yanis MARTIN the dossier list shows with `filter`.
async fn listed(app: &TestApp, filter: &str) -> Vec<&'static str> {
    let (status, html) = app
        .get_html(&format!("/etablissements/{UAI}/dossiers?{filter}=oui"))
        .await;
    assert_eq!(status, 200);
    ["Léa", "Tom", "Yanis"]
        .into_iter()
        .filter(|name| html.contains(&format!("MARTIN {name}</a>")))
        .collect()
}

async fn the_dashboard_counts_what_needs_the_school_and_the_families_who_never_came(app: TestApp) {
    let school = SchoolBuilder::new(UAI).build(&app).await;
    let pool = app.db().pool();
    let lea = school
        .pupil("MARTIN", "Léa")
        .guardian(GuardianBuilder::new("MARTIN", "Julie").code("AAAA-BBBB-CCCC"))
        .guardian(GuardianBuilder::new("MARTIN", "Paul"))
        .state(DossierState::Submitted)
        .build(&app)
        .await;
    let tom = pupil(&app, &school, "Tom", DossierState::Started).await;
    let _yanis = pupil(&app, &school, "Yanis", DossierState::Leaving).await;
    sqlx::query("UPDATE pupils SET ine = '1234567890A' WHERE id = $1")
        .bind(tom.pupil_id)
        .execute(pool)
        .await
        .unwrap();
    // Léa's parents answered differently; a piece of hers waits to be checked.
    for (guardian, answer) in lea.guardian_ids.iter().zip(["demi_pension", "externe"]) {
        sqlx::query(
            "INSERT INTO dossier_answers (dossier_id, guardian_id, question, answer, answered_at)
             VALUES ($1, $2, 'canteen', $3, 1)",
        )
        .bind(lea.dossier_id)
        .bind(guardian)
        .bind(answer)
        .execute(pool)
        .await
        .unwrap();
    }
    let document: i64 = sqlx::query_scalar(
        "INSERT INTO expected_documents (school_id, label) VALUES ($1, 'Attestation') RETURNING id",
    )
    .bind(school.id)
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO uploads (dossier_id, expected_document_id, storage_key, original_name, content_type, size_bytes, created_at)
         VALUES ($1, $2, 'k1', 'a.pdf', 'application/pdf', 10, 1)",
    )
    .bind(lea.dossier_id)
    .bind(document)
    .execute(pool)
    .await
    .unwrap();
    // Messages: one SMS to Julie failed and one e-mail bounced; a delivered
    // e-mail does not count, nor does another school's failure.
    let other = SchoolBuilder::new("0750681H").build(&app).await;
    let stranger = other
        .pupil("DURAND", "Léo")
        .guardian(GuardianBuilder::new("DURAND", "Anne"))
        .build(&app)
        .await
        .guardian_ids[0];
    for (school_id, guardian_id, channel, status) in [
        (school.id, lea.guardian_ids[0], "sms", "failed"),
        (school.id, lea.guardian_ids[1], "email", "bounced"),
        (school.id, lea.guardian_ids[0], "email", "delivered"),
        (other.id, stranger, "email", "failed"),
    ] {
        sqlx::query(
            "INSERT INTO messages (school_id, guardian_id, channel, kind, recipient, body, status, created_at, status_at)
             VALUES ($1, $2, $3, 'reminder', 'x', 'y', $4, 0, 0)",
        )
        .bind(school_id)
        .bind(guardian_id)
        .bind(channel)
        .bind(status)
        .execute(pool)
        .await
        .unwrap();
    }
    // Julie signs in: her visit is recorded.
    let family = TestApp::client_for(&app);
    let signed_in = app
        .post_form_as(
            &family,
            "/famille/connexion",
            "/famille/connexion",
            &[("code", "AAAA-BBBB-CCCC"), ("birth_date", "2013-05-14")],
        )
        .await;
    assert_eq!(signed_in.status(), 303);
    let visit: Option<i64> =
        sqlx::query_scalar("SELECT last_sign_in_at FROM guardians WHERE id = $1")
            .bind(lea.guardian_ids[0])
            .fetch_one(pool)
            .await
            .unwrap();
    assert!(visit.is_some_and(|at| now_ms() - at < 60_000), "{visit:?}");

    school
        .agent(&app, "secretariat@voisin.fr", Role::Secretariat)
        .await;
    app.sign_in_agent("secretariat@voisin.fr", AGENT_PASSWORD)
        .await;
    let (status, html) = app.get_html(&format!("/etablissements/{UAI}")).await;
    assert_eq!(status, 200);
    assert_eq!(count_in(&html, "a-traiter-conflits"), "1");
    assert_eq!(count_in(&html, "a-traiter-pieces"), "1");
    assert_eq!(count_in(&html, "a-traiter-ine"), "1", "Léa; Yanis leaves");
    assert_eq!(
        count_in(&html, "a-traiter-messages"),
        "2",
        "a failed SMS and a bounced e-mail"
    );
    assert_eq!(count_in(&html, "a-traiter-demandes"), "0");
    assert!(row(&html, "a-traiter-pieces").contains(&format!(
        "href=\"/etablissements/{UAI}/dossiers?pieces=oui\""
    )));
    // Guardians of pupils who stay: Julie came; Paul and Tom's parent never did.
    assert!(
        html.contains("<span data-came>1</span> responsable(s) sur 3"),
        "{html}"
    );
    assert!(html.contains("<span data-never>2</span>"));
    let never = &html[html.find("id=\"jamais-venus\"").unwrap()..];
    let never = &never[..never.find("</table>").unwrap()];
    assert!(never.contains("Paul MARTIN") && never.contains("Parent de Tom MARTIN"));
    assert!(
        !never.contains("Julie") && !never.contains("Yanis"),
        "{never}"
    );

    // Léa's dossier says when each of her parents last came.
    let (_, page) = app
        .get_html(&format!(
            "/etablissements/{UAI}/dossiers/{}",
            lea.dossier_id
        ))
        .await;
    let julie = format!(
        "<span data-last-visit=\"{}\">{}</span>",
        lea.guardian_ids[0],
        words::paris_time(visit.unwrap())
    );
    assert!(page.contains(&julie), "{page}");
    assert!(page.contains(&format!(
        "<span data-last-visit=\"{}\">jamais</span>",
        lea.guardian_ids[1]
    )));

    // Each count links to the dossier list filtered on it.
    assert_eq!(listed(&app, "conflits").await, ["Léa"]);
    assert_eq!(listed(&app, "pieces").await, ["Léa"]);
    assert_eq!(listed(&app, "sans-ine").await, ["Léa"]);
    assert_eq!(listed(&app, "jamais-venus").await, ["Tom"]);
    assert_eq!(listed(&app, "autre").await, ["Léa", "Tom", "Yanis"]);
    app.finish().await;
}

async fn the_direction_reads_the_satisfaction_marks_and_comments_and_other_roles_do_not(
    app: TestApp,
) {
    let school = SchoolBuilder::new(UAI).build(&app).await;
    let pool = app.db().pool();
    for (name, mark, comment) in [
        ("Léa", 5, "Très simple, merci."),
        ("Tom", 5, ""),
        ("Noé", 2, "La photo ne passait pas."),
    ] {
        let built = pupil(&app, &school, name, DossierState::Submitted).await;
        sqlx::query(
            "INSERT INTO satisfaction (dossier_id, guardian_id, mark, comment, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(built.dossier_id)
        .bind(built.guardian_ids[0])
        .bind(mark)
        .bind(comment)
        .bind(now_ms())
        .execute(pool)
        .await
        .unwrap();
    }
    school.agent(&app, "direction@voisin.fr", Role::Admin).await;
    school.agent(&app, "cpe@voisin.fr", Role::VieScolaire).await;
    app.sign_in_agent("direction@voisin.fr", AGENT_PASSWORD)
        .await;
    let (_, html) = app.get_html(&format!("/etablissements/{UAI}")).await;
    assert_eq!(count_in(&html, "note-5"), "2");
    assert_eq!(count_in(&html, "note-2"), "1");
    assert_eq!(count_in(&html, "note-1"), "0");
    assert!(html.contains("3 avis"));
    let comments = &html[html.find("id=\"commentaires\"").unwrap()..];
    let comments = &comments[..comments.find("</ul>").unwrap()];
    assert!(
        comments.contains("Très simple, merci.") && comments.contains("La photo ne passait pas.")
    );
    assert_eq!(
        comments.matches("<li>").count(),
        2,
        "an empty comment is not listed"
    );

    let cpe = TestApp::client_for(&app);
    app.sign_in_agent_as(&cpe, "cpe@voisin.fr", AGENT_PASSWORD)
        .await;
    let html = cpe
        .get(app.url(&format!("/etablissements/{UAI}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("À traiter par l&#39;établissement")
            || html.contains("À traiter par l'établissement"),
        "the CPE reads the dashboard"
    );
    assert!(
        !html.contains("Satisfaction des familles") && !html.contains("La photo ne passait pas.")
    );
    app.finish().await;
}

/// The page's `<main>`, without its CSRF tokens (one per visitor).
fn main_of(html: &str) -> String {
    let main = &html[html.find("<main").unwrap()..html.find("</main>").unwrap()];
    main.split("name=\"csrf_token\" value=\"")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part
            } else {
                &part[part.find('"').unwrap()..]
            }
        })
        .collect()
}

async fn a_family_who_lost_its_code_asks_the_school_which_issues_a_new_one_or_dismisses_the_request(
    app: TestApp,
) {
    use dossiersco::domain::access_code;
    let school = SchoolBuilder::new(UAI)
        .name("Collège Voisin")
        .build(&app)
        .await;
    let pool = app.db().pool();
    let lea = school
        .pupil("MARTIN", "Léa")
        .born("2013-05-14")
        .guardian(GuardianBuilder::new("MARTIN", "Julie").code("AAAA-BBBB-CCCC"))
        .guardian(GuardianBuilder::new("MARTIN", "Paul"))
        .build(&app)
        .await;
    let (status, page) = app.get_html("/famille/connexion").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("href=\"/famille/code-perdu\""),
        "the sign-in page offers it"
    );
    let (status, form) = app.get_html("/famille/code-perdu").await;
    assert_eq!(status, 200);
    assert!(
        form.contains(&format!(
            "<option value=\"{}\" selected>Collège Voisin</option>",
            school.id
        )),
        "the only school is chosen: {form}"
    );
    let school_id = school.id.to_string();
    let ask = |last: &'static str, first: &'static str, birth: &'static str| {
        let school_id = school_id.clone();
        let app = &app;
        async move {
            let client = TestApp::client_for(app);
            let response = app
                .post_form_as(
                    &client,
                    "/famille/code-perdu",
                    "/famille/code-perdu",
                    &[
                        ("school_id", school_id.as_str()),
                        ("last_name", last),
                        ("first_name", first),
                        ("birth_date", birth),
                        ("guardian_name", "Julie Martin"),
                        ("contact", "06 12 34 56 78"),
                    ],
                )
                .await;
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    // Her child, typed another way; then a child the school does not have.
    let (status, known) = ask("martin", "LEA", "14/05/2013").await;
    assert_eq!(status, 200);
    assert!(known.contains("Demande transmise"), "{known}");
    let (status, unknown) = ask("MARTIN", "Zoé", "2013-05-14").await;
    assert_eq!(status, 200);
    assert_eq!(
        main_of(&known),
        main_of(&unknown),
        "nothing tells them apart"
    );
    let (status, incomplete) = ask("", "Léa", "pas une date").await;
    assert_eq!(status, 422);
    assert!(
        incomplete.contains("Saisissez le nom de l&#39;enfant")
            || incomplete.contains("Saisissez le nom de l'enfant")
    );
    assert!(incomplete.contains("aria-describedby=\"birth_date-error\""));
    let requests: Vec<(i64, Option<i64>, String)> =
        sqlx::query_as("SELECT id, pupil_id, birth_date FROM code_requests ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(requests.len(), 2, "the incomplete one is not kept");
    assert_eq!(
        requests[0].1,
        Some(lea.pupil_id),
        "matched on the names and the birth date"
    );
    assert_eq!(requests[0].2, "2013-05-14");
    assert_eq!(requests[1].1, None);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'code_requested'")
            .await,
        2
    );

    // The secretariat sees them, issues a code to Julie, dismisses the other.
    school
        .agent(&app, "secretariat@voisin.fr", Role::Secretariat)
        .await;
    app.sign_in_agent("secretariat@voisin.fr", AGENT_PASSWORD)
        .await;
    let (_, dashboard) = app.get_html(&format!("/etablissements/{UAI}")).await;
    assert_eq!(count_in(&dashboard, "a-traiter-demandes"), "2");
    let list = format!("/etablissements/{UAI}/demandes-de-code");
    let (status, html) = app.get_html(&list).await;
    assert_eq!(status, 200);
    let first = &html[html
        .find(&format!("id=\"demande-{}\"", requests[0].0))
        .unwrap()..];
    assert!(first.contains("Élève retrouvé") && first.contains("06 12 34 56 78"));
    assert!(first.contains("Nouveau code pour Julie MARTIN"));
    let second = &html[html
        .find(&format!("id=\"demande-{}\"", requests[1].0))
        .unwrap()..];
    assert!(second.contains("Aucun élève ne correspond"));
    let julie = lea.guardian_ids[0].to_string();
    let issued = app
        .post_form(
            &list,
            &format!("{list}/{}/code", requests[0].0),
            &[("guardian_id", julie.as_str())],
        )
        .await;
    assert_eq!(issued.status(), 303);
    let code_page = issued.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        code_page,
        format!(
            "/etablissements/{UAI}/dossiers/{}/responsables/{julie}/code",
            lea.dossier_id
        )
    );
    let (_, slip) = app.get_html(&code_page).await;
    let hash: String = sqlx::query_scalar("SELECT access_code_hash FROM guardians WHERE id = $1")
        .bind(lea.guardian_ids[0])
        .fetch_one(pool)
        .await
        .unwrap();
    assert_ne!(
        hash,
        access_code::hash("AAAA-BBBB-CCCC"),
        "the old code stops working"
    );
    let shown = slip
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .find(|word| word.len() == 14 && access_code::hash(word) == hash);
    assert!(shown.is_some(), "the code page shows the new code once");
    let dismissed = app
        .post_form(&list, &format!("{list}/{}/classement", requests[1].0), &[])
        .await;
    assert_eq!(dismissed.status(), 303);
    let statuses: Vec<(String, Option<i64>)> =
        sqlx::query_as("SELECT status, handled_by FROM code_requests ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(statuses[0].0, "issued");
    assert_eq!(statuses[1].0, "dismissed");
    assert!(statuses.iter().all(|s| s.1.is_some()));
    // A handled request stays as it was.
    app.post_form(
        &list,
        &format!("{list}/{}/code", requests[1].0),
        &[("guardian_id", julie.as_str())],
    )
    .await;
    let after: String = sqlx::query_scalar("SELECT access_code_hash FROM guardians WHERE id = $1")
        .bind(lea.guardian_ids[0])
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(after, hash);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_events WHERE action IN ('code_request_issued', 'code_request_dismissed')"
        )
        .await,
        2
    );
    let (_, html) = app.get_html(&list).await;
    assert!(html.contains("Aucune demande en attente."));

    // From one address, requests are limited like sign-ins.
    let mut refused = false;
    for _ in 0..25 {
        let (status, _) = ask("MARTIN", "Zoé", "2013-05-14").await;
        if status == 429 {
            refused = true;
            break;
        }
    }
    assert!(refused, "the address is slowed down");
    assert!(app.count("SELECT COUNT(*) FROM code_requests").await <= 20);
    app.finish().await;
}

on_both_databases!(
    a_family_who_lost_its_code_asks_the_school_which_issues_a_new_one_or_dismisses_the_request,
    the_completion_curve_counts_sent_and_validated_dossiers_per_day_from_recorded_instants,
    the_dashboard_counts_what_needs_the_school_and_the_families_who_never_came,
    the_direction_reads_the_satisfaction_marks_and_comments_and_other_roles_do_not,
);

/// An install from before migration 0013: each guardian's last sign-in is
/// read back from the audit trail (the latest `sign_in` of that guardian).
async fn last_sign_ins_of_an_older_install_come_from_the_audit_trail_in_migration_0013(
    backend: dossiersco::db::Backend,
) {
    let Some(old) = crate::harness::OlderInstall::before(backend, 13).await else {
        return;
    };
    let db = &old.db;
    sqlx::raw_sql(
        "INSERT INTO schools (uai, name, created_at) VALUES ('0750680G', 'Arago', 0);
         INSERT INTO guardians (school_id, last_name, first_name, created_at, updated_at)
         VALUES (1, 'MARTIN', 'Julie', 0, 0), (1, 'MARTIN', 'Paul', 0, 0);
         INSERT INTO audit_events (school_id, actor_kind, actor_id, action, subject, created_at)
         VALUES (1, 'guardian', 1, 'sign_in', 'family', 100),
                (1, 'guardian', 1, 'sign_in', 'family', 300),
                (1, 'guardian', 1, 'sign_in_failed', 'family', 400),
                (1, 'agent', 2, 'sign_in', 'agent', 500),
                (1, 'guardian', 2, 'sign_in_failed', 'family', 200);",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let applied = db.migrate().await.unwrap();
    assert_eq!(applied.first(), Some(&13), "{applied:?}");
    let visits: Vec<(String, Option<i64>)> =
        sqlx::query_as("SELECT first_name, last_sign_in_at FROM guardians ORDER BY id")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(
        visits,
        [("Julie".to_owned(), Some(300)), ("Paul".to_owned(), None)]
    );
    old.finish().await;
}

mod last_sign_ins_of_an_older_install_come_from_the_audit_trail_in_migration_0013 {
    use dossiersco::db::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::last_sign_ins_of_an_older_install_come_from_the_audit_trail_in_migration_0013(
            Backend::Sqlite,
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::last_sign_ins_of_an_older_install_come_from_the_audit_trail_in_migration_0013(
            Backend::Postgres,
        )
        .await
    }
}

/// The filtered list's « N dossier(s) sur M ».
fn filtered_count(html: &str) -> String {
    let at = html
        .find("<p role=\"status\" class=\"fr-mb-1w\">")
        .unwrap_or_else(|| panic!("{html}"))
        + 34;
    html[at..at + html[at..].find(' ').unwrap()].to_owned()
}

/// What needs the school is counted as the list filters it: on the demo,
/// each count of the dashboard is the number of dossiers its link lists,
/// with a piece sent again to a dossier sent back (the family replaces the
/// refused piece before sending the dossier again).
async fn each_count_of_what_needs_the_school_is_the_length_of_the_list_it_links_to(app: TestApp) {
    let seeded = dossiersco::demo::seed_in_every_state(&app.state)
        .await
        .unwrap();
    let returned: i64 = sqlx::query_scalar(
        "SELECT u.id FROM uploads u JOIN dossiers d ON d.id = u.dossier_id
         WHERE d.state = 'returned' AND u.status = 'refused' ORDER BY u.id LIMIT 1",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO uploads (dossier_id, expected_document_id, guardian_id, storage_key, original_name,
             content_type, size_bytes, created_at)
         SELECT dossier_id, expected_document_id, guardian_id, storage_key || '.2', original_name,
             content_type, size_bytes, created_at + 1
         FROM uploads WHERE id = $1",
    )
    .bind(returned)
    .execute(app.db().pool())
    .await
    .unwrap();
    let signed_in = app
        .sign_in_agent(
            "secretariat@demo.dossiersco.fr",
            dossiersco::demo::DEMO_PASSWORD,
        )
        .await;
    assert_eq!(signed_in.status(), 303);
    let (status, dashboard) = app
        .get_html(&format!("/etablissements/{}", seeded.uai))
        .await;
    assert_eq!(status, 200);
    for (need, filter) in [
        ("a-traiter-conflits", "conflits"),
        ("a-traiter-pieces", "pieces"),
        ("a-traiter-ine", "sans-ine"),
    ] {
        let (status, list) = app
            .get_html(&format!(
                "/etablissements/{}/dossiers?{filter}=oui",
                seeded.uai
            ))
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            count_in(&dashboard, need),
            filtered_count(&list),
            "{need} and the list filtered on {filter}"
        );
    }
    app.finish().await;
}
on_both_databases!(each_count_of_what_needs_the_school_is_the_length_of_the_list_it_links_to);
