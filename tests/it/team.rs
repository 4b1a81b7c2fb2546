//! A school from zero and its team (issue 11): `dossiersco school add` and
//! `school list` (the real binary), invitations and their one-time links,
//! the rules on roles (nobody raises their own, the last admin stays),
//! schools kept apart for agents in several schools, and the new-password
//! flow. Each on SQLite and PostgreSQL.

use std::process::Output;

use dossiersco::db::Flag;
use dossiersco::domain::Role;
use reqwest::Client;

use crate::builders::{AGENT_PASSWORD, SchoolBuilder};
use crate::harness::{SECRET, TestApp};
use crate::on_both_databases;

const UAI: &str = "0750680G";
const OTHER_UAI: &str = "0750650Z";

/// Runs `dossiersco ARGS…` on the test application's database.
pub async fn dossiersco(app: &TestApp, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_dossiersco"))
        .args(args)
        .current_dir(dir.path())
        .env("DOSSIERSCO_DATABASE_URL", app.state.settings.database_url())
        .env("DOSSIERSCO_DATA_DIR", dir.path())
        .env("DOSSIERSCO_SECRET_KEY", SECRET)
        .env("DOSSIERSCO_BASE_URL", app.url(""))
        .env("DOSSIERSCO_MAIL_TRANSPORT", "outbox")
        .env("DOSSIERSCO_LOG", "warn")
        .output()
        .await
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The first link of `body` that starts with `prefix`.
pub fn link_in(body: &str, prefix: &str) -> Option<String> {
    let start = body.find(prefix)?;
    let link: String = body[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    Some(link)
}

/// The path of the last e-mail sent to `to` that carries a link under `/agent/`.
pub async fn last_link_to(app: &TestApp, to: &str) -> String {
    app.run_jobs().await;
    let body: String = sqlx::query_scalar(
        "SELECT body_text FROM outbox_emails WHERE recipient = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(to)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let link = link_in(&body, "http").expect("a link in the e-mail");
    let url = url::Url::parse(&link).unwrap();
    assert!(url.path().starts_with("/agent/"), "{link}");
    url.path().to_owned()
}

/// Another browser, with its own cookies.
fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs `client` in; returns where it was sent.
async fn sign_in(app: &TestApp, client: &Client, email: &str, password: &str) -> (u16, String) {
    let response = app.sign_in_agent_as(client, email, password).await;
    (response.status().as_u16(), location(&response))
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn status_of(app: &TestApp, client: &Client, path: &str) -> u16 {
    client
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Sets a password through a link page; returns the answer's status and location.
async fn set_password(app: &TestApp, client: &Client, link: &str, password: &str) -> (u16, String) {
    let response = app
        .post_form_as(
            client,
            "/agent/mot-de-passe-oublie",
            link,
            &[("password", password), ("confirmation", password)],
        )
        .await;
    (response.status().as_u16(), location(&response))
}

async fn roles_of(app: &TestApp, email: &str, uai: &str) -> (i64, bool) {
    let (roles, active): (i64, Flag) = sqlx::query_as(
        "SELECT m.roles, m.active FROM agent_memberships m JOIN agents a ON a.id = m.agent_id
         JOIN schools s ON s.id = m.school_id WHERE a.email = $1 AND s.uai = $2",
    )
    .bind(email)
    .bind(uai)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    (roles, active.0)
}

async fn audited(app: &TestApp, action: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = $1")
        .bind(action)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

// ---------------------------------------------------------------------------
// The command line

async fn school_add_creates_the_school_and_invites_its_admin_by_a_link_that_works_once(
    app: TestApp,
) {
    let out = dossiersco(
        &app,
        &[
            "school",
            "add",
            "--uai",
            "0750680g",
            "--name",
            "Collège Arago",
            "--admin",
            "Principal@Arago.fr",
            "--academy",
            "01",
        ],
    )
    .await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("0750680G Collège Arago"), "{stdout}");
    let printed = link_in(&stdout, &app.url("/agent/invitation/")).expect("the link is printed");

    // The e-mail is in the outbox, with the same link, for the admin.
    let (to, body): (String, String) =
        sqlx::query_as("SELECT recipient, body_text FROM outbox_emails")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(to, "principal@arago.fr");
    assert!(body.contains(&printed), "{body}");
    assert_eq!(
        roles_of(&app, "principal@arago.fr", UAI).await,
        (1, true),
        "admin of the school"
    );

    // The admin sets a password through the link and lands on the school.
    let admin = browser();
    let link = printed.trim_start_matches(&app.url("")).to_owned();
    assert_eq!(status_of(&app, &admin, &link).await, 200);
    let short = set_password(&app, &admin, &link, "trop-court").await;
    assert_eq!(short.0, 422, "under 12 characters");
    let (status, to) = set_password(&app, &admin, &link, "une phrase de passe longue").await;
    assert_eq!((status, to.as_str()), (303, "/etablissements/0750680G"));
    assert_eq!(
        status_of(&app, &admin, "/etablissements/0750680G/agents").await,
        200
    );

    // `school list` shows it with its académie and its agent.
    let out = dossiersco(&app, &["school", "list"]).await;
    let stdout = text(&out.stdout);
    assert!(out.status.success());
    assert!(
        stdout.contains("0750680G\tCollège Arago\t01 Paris\t1"),
        "{stdout}"
    );
    app.finish().await;
}

async fn school_add_refuses_a_wrong_check_letter_or_an_unknown_academie_and_writes_nothing(
    app: TestApp,
) {
    let out = dossiersco(
        &app,
        &[
            "school", "add", "--uai", "0750680H", "--name", "X", "--admin", "a@b.fr",
        ],
    )
    .await;
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("UAI 0750680H refusé"), "{stderr}");
    assert!(
        stderr.contains("la lettre clé de 0750680 est G"),
        "{stderr}"
    );

    let out = dossiersco(
        &app,
        &[
            "school",
            "add",
            "--uai",
            UAI,
            "--name",
            "X",
            "--admin",
            "a@b.fr",
            "--academy",
            "99",
        ],
    )
    .await;
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("académie 99 inconnue"), "{stderr}");
    assert!(stderr.contains("10 (Lyon)"), "{stderr}");

    assert_eq!(app.count("SELECT COUNT(*) FROM schools").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM agents").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox_emails").await, 0);
    app.finish().await;
}

// ---------------------------------------------------------------------------
// Invitations

/// A school, its admin signed in on `app.client`; returns the school's id.
async fn school_with_signed_in_admin(app: &TestApp) -> i64 {
    let school = SchoolBuilder::new(UAI).build(app).await;
    school.agent(app, "direction@arago.fr", Role::Admin).await;
    let response = app
        .sign_in_agent("direction@arago.fr", AGENT_PASSWORD)
        .await;
    assert_eq!(response.status(), 303);
    school.id
}

/// The admin invites `email` with `roles` (checkbox names).
async fn invite(app: &TestApp, email: &str, roles: &[&str]) -> reqwest::Response {
    let page = format!("/etablissements/{UAI}/agents/nouveau");
    let mut fields = vec![("name", "Camille Durand"), ("email", email)];
    let names: Vec<String> = roles.iter().map(|r| format!("role_{r}")).collect();
    fields.extend(names.iter().map(|n| (n.as_str(), "oui")));
    app.post_form(&page, &format!("/etablissements/{UAI}/agents"), &fields)
        .await
}

async fn an_invitation_link_works_once_and_an_expired_or_replaced_one_changes_nothing(
    app: TestApp,
) {
    school_with_signed_in_admin(&app).await;
    let invited = invite(&app, "secretariat@arago.fr", &["secretariat", "intendance"]).await;
    assert_eq!(invited.status(), 303);
    assert_eq!(
        roles_of(&app, "secretariat@arago.fr", UAI).await,
        (2 + 4, true)
    );
    let link = last_link_to(&app, "secretariat@arago.fr").await;

    // Used once…
    let secretary = browser();
    let (status, to) = set_password(&app, &secretary, &link, "premier mot de passe").await;
    assert_eq!((status, to.as_str()), (303, "/etablissements/0750680G"));
    // … then refused with a clear page, and nothing changes.
    let reused = secretary.get(app.url(&link)).send().await.unwrap();
    assert_eq!(reused.status(), 410);
    assert!(
        reused
            .text()
            .await
            .unwrap()
            .contains("Ce lien ne fonctionne plus")
    );
    let stranger = browser();
    let (status, _) = set_password(&app, &stranger, &link, "second mot de passe").await;
    assert_eq!(status, 410);
    assert_eq!(
        sign_in(
            &app,
            &browser(),
            "secretariat@arago.fr",
            "second mot de passe"
        )
        .await
        .0,
        401
    );
    assert_eq!(
        sign_in(
            &app,
            &browser(),
            "secretariat@arago.fr",
            "premier mot de passe"
        )
        .await
        .0,
        303
    );

    // Expired (7 days later): refused, no password set.
    invite(&app, "cpe@arago.fr", &["vie_scolaire"]).await;
    let link = last_link_to(&app, "cpe@arago.fr").await;
    let lifetime: i64 = sqlx::query_scalar(
        "SELECT l.expires_at - l.created_at FROM agent_links l JOIN agents a ON a.id = l.agent_id
         WHERE a.email = 'cpe@arago.fr'",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(lifetime, 7 * 24 * 3600 * 1000, "an invitation lasts 7 days");
    sqlx::query("UPDATE agent_links SET expires_at = $1")
        .bind(dossiersco::db::now_ms() - 1)
        .execute(app.db().pool())
        .await
        .unwrap();
    let expired = browser().get(app.url(&link)).send().await.unwrap();
    assert_eq!(expired.status(), 410);
    let page = expired.text().await.unwrap();
    assert!(
        page.contains("Ce lien ne fonctionne plus") && page.contains("7 jours pour une invitation"),
        "{page}"
    );
    assert_eq!(
        set_password(&app, &browser(), &link, "un mot de passe valable")
            .await
            .0,
        410
    );
    let hash: Option<String> =
        sqlx::query_scalar("SELECT password_hash FROM agents WHERE email = 'cpe@arago.fr'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert!(hash.is_none());

    // A new invitation replaces it; the one before stays refused.
    let cpe: i64 = sqlx::query_scalar("SELECT id FROM agents WHERE email = 'cpe@arago.fr'")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let page = format!("/etablissements/{UAI}/agents/{cpe}");
    let resent = app
        .post_form(&page, &format!("{page}/invitation"), &[])
        .await;
    assert_eq!(resent.status(), 303);
    let new_link = last_link_to(&app, "cpe@arago.fr").await;
    assert_ne!(new_link, link);
    assert_eq!(status_of(&app, &browser(), &link).await, 410);
    assert_eq!(status_of(&app, &browser(), &new_link).await, 200);
    // Only hashes are stored.
    let token = new_link.rsplit('/').next().unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM agent_links WHERE token_hash = $1")
        .bind(token)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(stored, 0, "the token itself is never stored");
    app.finish().await;
}

// ---------------------------------------------------------------------------
// Roles

async fn nobody_raises_their_own_roles(app: TestApp) {
    let school = SchoolBuilder::new(UAI).build(&app).await;
    let admin = school.agent(&app, "direction@arago.fr", Role::Admin).await;
    let secretary = school
        .agent(&app, "secretariat@arago.fr", Role::Secretariat)
        .await;

    // A secretary cannot reach the team's forms at all, for herself either.
    let client = browser();
    sign_in(&app, &client, "secretariat@arago.fr", AGENT_PASSWORD).await;
    let refused = app
        .post_form_as(
            &client,
            &format!("/etablissements/{UAI}"),
            &format!("/etablissements/{UAI}/agents/{secretary}/roles"),
            &[("role_admin", "oui"), ("role_secretariat", "oui")],
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(roles_of(&app, "secretariat@arago.fr", UAI).await, (2, true));

    // The direction cannot give itself the nurse's role (medical records).
    app.sign_in_agent("direction@arago.fr", AGENT_PASSWORD)
        .await;
    let page = format!("/etablissements/{UAI}/agents/{admin}");
    let raised = app
        .post_form(
            &page,
            &format!("{page}/roles"),
            &[("role_admin", "oui"), ("role_infirmerie", "oui")],
        )
        .await;
    assert_eq!(raised.status(), 303);
    let (_, html) = app.get_html(&page).await;
    assert!(
        html.contains("Vous ne pouvez pas vous donner un rôle que vous n&#39;avez pas"),
        "{html}"
    );
    assert_eq!(roles_of(&app, "direction@arago.fr", UAI).await, (1, true));
    assert_eq!(audited(&app, "agent_own_roles_raise_refused").await, 1);

    // Giving roles to someone else works, and is audited.
    let page = format!("/etablissements/{UAI}/agents/{secretary}");
    app.post_form(
        &page,
        &format!("{page}/roles"),
        &[("role_secretariat", "oui"), ("role_vie_scolaire", "oui")],
    )
    .await;
    assert_eq!(
        roles_of(&app, "secretariat@arago.fr", UAI).await,
        (2 + 8, true)
    );
    assert_eq!(audited(&app, "agent_roles_changed").await, 1);
    app.finish().await;
}

async fn the_last_admin_cannot_be_demoted_nor_deactivated_and_a_deactivated_agent_is_signed_out(
    app: TestApp,
) {
    let school = SchoolBuilder::new(UAI).build(&app).await;
    let admin = school
        .agent_with_roles(
            &app,
            "direction@arago.fr",
            &[Role::Admin, Role::Secretariat],
        )
        .await;
    let deputy = school.agent(&app, "adjoint@arago.fr", Role::Admin).await;
    let deputy_browser = browser();
    sign_in(&app, &deputy_browser, "adjoint@arago.fr", AGENT_PASSWORD).await;
    assert_eq!(
        status_of(&app, &deputy_browser, &format!("/etablissements/{UAI}")).await,
        200
    );

    app.sign_in_agent("direction@arago.fr", AGENT_PASSWORD)
        .await;
    // Two admins: the deputy can be deactivated; their session ends.
    let page = format!("/etablissements/{UAI}/agents/{deputy}");
    app.post_form(&page, &format!("{page}/desactivation"), &[])
        .await;
    assert_eq!(roles_of(&app, "adjoint@arago.fr", UAI).await, (1, false));
    let after = deputy_browser
        .get(app.url(&format!("/etablissements/{UAI}")))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 303, "signed out");
    assert!(location(&after).starts_with("/agent/connexion"));
    assert_eq!(
        sign_in(&app, &browser(), "adjoint@arago.fr", AGENT_PASSWORD)
            .await
            .0,
        403,
        "no active school left"
    );

    // Now the last active admin: neither demoted nor deactivated.
    let page = format!("/etablissements/{UAI}/agents/{admin}");
    app.post_form(
        &page,
        &format!("{page}/roles"),
        &[("role_secretariat", "oui")],
    )
    .await;
    let (_, html) = app.get_html(&page).await;
    assert!(
        html.contains("dernier membre actif de la direction"),
        "{html}"
    );
    assert_eq!(
        roles_of(&app, "direction@arago.fr", UAI).await,
        (1 + 2, true)
    );
    app.post_form(&page, &format!("{page}/desactivation"), &[])
        .await;
    assert_eq!(
        roles_of(&app, "direction@arago.fr", UAI).await,
        (1 + 2, true)
    );
    assert_eq!(audited(&app, "agent_last_admin_refused").await, 1);
    assert_eq!(audited(&app, "agent_own_deactivation_refused").await, 1);

    // Reactivated, the deputy may sign in again; then the direction can step down.
    let page = format!("/etablissements/{UAI}/agents/{deputy}");
    app.post_form(&page, &format!("{page}/reactivation"), &[])
        .await;
    assert_eq!(roles_of(&app, "adjoint@arago.fr", UAI).await, (1, true));
    let page = format!("/etablissements/{UAI}/agents/{admin}");
    app.post_form(
        &page,
        &format!("{page}/roles"),
        &[("role_secretariat", "oui")],
    )
    .await;
    assert_eq!(roles_of(&app, "direction@arago.fr", UAI).await, (2, true));
    app.finish().await;
}

// ---------------------------------------------------------------------------
// Schools kept apart

async fn a_secretary_of_one_school_cannot_reach_another_and_an_agent_of_two_reaches_both_with_each_schools_roles(
    app: TestApp,
) {
    let a = SchoolBuilder::new(UAI).build(&app).await;
    let b = SchoolBuilder::new(OTHER_UAI).build(&app).await;
    a.agent(&app, "secretariat@arago.fr", Role::Secretariat)
        .await;
    b.agent(&app, "direction@voisin.fr", Role::Admin).await;

    let secretary = browser();
    sign_in(&app, &secretary, "secretariat@arago.fr", AGENT_PASSWORD).await;
    assert_eq!(
        status_of(&app, &secretary, &format!("/etablissements/{UAI}")).await,
        200
    );
    for path in ["", "/agents", "/dossiers", "/imports"] {
        let url = format!("/etablissements/{OTHER_UAI}{path}");
        assert_eq!(status_of(&app, &secretary, &url).await, 403, "{url}");
    }

    // One person, secretary in A and admin in B.
    a.agent_with_roles(&app, "camille@ac-paris.fr", &[Role::Secretariat])
        .await;
    b.agent_with_roles(
        &app,
        "camille@ac-paris.fr",
        &[Role::Admin, Role::Intendance],
    )
    .await;
    let camille = browser();
    let (status, to) = sign_in(&app, &camille, "camille@ac-paris.fr", AGENT_PASSWORD).await;
    assert_eq!((status, to.as_str()), (303, "/agent/etablissements"));
    let choice = camille
        .get(app.url("/agent/etablissements"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        choice.contains(&format!("/etablissements/{UAI}")),
        "{choice}"
    );
    assert!(
        choice.contains(&format!("/etablissements/{OTHER_UAI}")),
        "{choice}"
    );
    assert!(choice.contains("Direction, Intendance"), "{choice}");
    assert_eq!(
        status_of(&app, &camille, &format!("/etablissements/{UAI}")).await,
        200
    );
    assert_eq!(
        status_of(&app, &camille, &format!("/etablissements/{UAI}/agents")).await,
        403,
        "B's admin role does not count in A"
    );
    assert_eq!(
        status_of(
            &app,
            &camille,
            &format!("/etablissements/{OTHER_UAI}/agents")
        )
        .await,
        200
    );
    app.finish().await;
}

// ---------------------------------------------------------------------------
// Forgotten password

async fn a_forgotten_password_is_replaced_through_a_one_hour_link_and_the_answer_does_not_tell_who_exists(
    app: TestApp,
) {
    let school = SchoolBuilder::new(UAI).build(&app).await;
    school.agent(&app, "direction@arago.fr", Role::Admin).await;
    let elsewhere = browser();
    sign_in(&app, &elsewhere, "direction@arago.fr", AGENT_PASSWORD).await;

    let ask = async |email: &str| {
        let response = app
            .post_form_as(
                &browser(),
                "/agent/mot-de-passe-oublie",
                "/agent/mot-de-passe-oublie",
                &[("email", email)],
            )
            .await;
        let status = response.status().as_u16();
        let html = response.text().await.unwrap();
        let start = html.find("<main").unwrap();
        let end = html.find("</main>").unwrap();
        (status, html[start..end].replace(email, "ADRESSE"))
    };
    let known = ask("direction@arago.fr").await;
    let unknown = ask("personne@arago.fr").await;
    assert_eq!(known.0, 200);
    assert_eq!(known, unknown, "the same answer, known or not");
    app.run_jobs().await;
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox_emails").await, 1);
    let link = last_link_to(&app, "direction@arago.fr").await;
    assert!(link.starts_with("/agent/nouveau-mot-de-passe/"), "{link}");

    let me = browser();
    let (status, to) = set_password(&app, &me, &link, "nouveau mot de passe solide").await;
    assert_eq!((status, to.as_str()), (303, "/agent/etablissements"));
    assert_eq!(
        status_of(&app, &me, &format!("/etablissements/{UAI}")).await,
        200
    );
    // The old password and the sessions opened with it are gone.
    assert_eq!(
        status_of(&app, &elsewhere, &format!("/etablissements/{UAI}")).await,
        303
    );
    assert_eq!(
        sign_in(&app, &browser(), "direction@arago.fr", AGENT_PASSWORD)
            .await
            .0,
        401
    );
    assert_eq!(
        sign_in(
            &app,
            &browser(),
            "direction@arago.fr",
            "nouveau mot de passe solide"
        )
        .await
        .0,
        303
    );
    // The link worked once; a link older than an hour does not work.
    assert_eq!(status_of(&app, &browser(), &link).await, 410);
    ask("direction@arago.fr").await;
    let link = last_link_to(&app, "direction@arago.fr").await;
    sqlx::query("UPDATE agent_links SET expires_at = $1 WHERE used_at IS NULL")
        .bind(dossiersco::db::now_ms() - 1)
        .execute(app.db().pool())
        .await
        .unwrap();
    assert_eq!(
        set_password(&app, &browser(), &link, "encore un autre mot de passe")
            .await
            .0,
        410
    );
    assert_eq!(
        sign_in(
            &app,
            &browser(),
            "direction@arago.fr",
            "nouveau mot de passe solide"
        )
        .await
        .0,
        303
    );
    let lifetime: i64 = sqlx::query_scalar(
        "SELECT expires_at - created_at FROM agent_links WHERE purpose = 'password_reset' ORDER BY created_at LIMIT 1",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(lifetime, 3600 * 1000);
    app.finish().await;
}

async fn the_database_refuses_a_membership_without_a_role(app: TestApp) {
    let school = SchoolBuilder::new(UAI).build(&app).await;
    let agent = school.agent(&app, "direction@arago.fr", Role::Admin).await;
    for bits in [0, 32] {
        let refused = sqlx::query("UPDATE agent_memberships SET roles = $2 WHERE agent_id = $1")
            .bind(agent)
            .bind(bits)
            .execute(app.db().pool())
            .await;
        assert!(refused.is_err(), "roles = {bits}");
    }
    app.finish().await;
}

on_both_databases!(
    school_add_creates_the_school_and_invites_its_admin_by_a_link_that_works_once,
    school_add_refuses_a_wrong_check_letter_or_an_unknown_academie_and_writes_nothing,
    an_invitation_link_works_once_and_an_expired_or_replaced_one_changes_nothing,
    nobody_raises_their_own_roles,
    the_last_admin_cannot_be_demoted_nor_deactivated_and_a_deactivated_agent_is_signed_out,
    a_secretary_of_one_school_cannot_reach_another_and_an_agent_of_two_reaches_both_with_each_schools_roles,
    a_forgotten_password_is_replaced_through_a_one_hour_link_and_the_answer_does_not_tell_who_exists,
    the_database_refuses_a_membership_without_a_role,
);

/// An install from before migration 0007: its agents keep their school and
/// their role, now as a membership, and still sign in.
async fn agents_of_an_older_install_keep_their_school_and_role_through_migration_0007(
    backend: dossiersco::db::Backend,
) {
    let Some(old) = crate::harness::OlderInstall::before(backend, 7).await else {
        return;
    };
    let db = &old.db;
    sqlx::raw_sql(
        "INSERT INTO schools (uai, name, created_at) VALUES ('0750680G', 'Arago', 0);
         INSERT INTO agents (school_id, email, display_name, role, password_hash, created_at)
         VALUES (1, 'direction@arago.fr', 'D', 'admin', 'x', 5),
                (1, 'infirmerie@arago.fr', 'I', 'infirmerie', 'x', 6);",
    )
    .execute(db.pool())
    .await
    .unwrap();
    // 7 first; the later migrations after it (8, 11 … as they are added).
    let applied = db.migrate().await.unwrap();
    assert_eq!(applied.first(), Some(&7), "{applied:?}");
    assert!(applied.iter().all(|v| *v >= 7), "{applied:?}");
    let rows: Vec<(String, i64, Flag)> = sqlx::query_as(
        "SELECT a.email, m.roles, m.active FROM agent_memberships m JOIN agents a ON a.id = m.agent_id
         WHERE m.school_id = 1 ORDER BY a.email",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let rows: Vec<(String, i64, bool)> = rows.into_iter().map(|(e, r, a)| (e, r, a.0)).collect();
    assert_eq!(
        rows,
        [
            ("direction@arago.fr".to_owned(), 1, true),
            ("infirmerie@arago.fr".to_owned(), 16, true)
        ]
    );
    old.finish().await;
}

mod agents_of_an_older_install_keep_their_school_and_role_through_migration_0007 {
    use dossiersco::db::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::agents_of_an_older_install_keep_their_school_and_role_through_migration_0007(
            Backend::Sqlite,
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::agents_of_an_older_install_keep_their_school_and_role_through_migration_0007(
            Backend::Postgres,
        )
        .await
    }
}
