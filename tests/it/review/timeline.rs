//! The dossier's timeline on the school's page: each kind of event in
//! French with its actor, newest first, what an agent did at the desk with
//! the family marked as such, and never a medical detail but for the nurse.

use dossiersco::db::now_ms;
use dossiersco::domain::Role;
use dossiersco::domain::words;

use super::{AGENT, UAI, change_email, review_school, sign_in, state_of};
use crate::builders::AGENT_PASSWORD;
use crate::harness::TestApp;
use crate::on_both_databases;

const NURSE: &str = "infirmerie@voisin.fr";
const NOTE: &str = "Allergie sévère aux arachides";

/// The timeline's part of the dossier page.
fn timeline(html: &str) -> &str {
    let start = html
        .find("id=\"historique\"")
        .unwrap_or_else(|| panic!("no timeline in {html}"));
    let end = html[start..]
        .find("</ol>")
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

async fn name_of(app: &TestApp, sql: &'static str, id: i64) -> String {
    let (civility, first, last): (String, String, String) = sqlx::query_as(sql)
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    words::person(&civility, &first, &last)
}

async fn audit(app: &TestApp, kind: &str, actor: i64, action: &str, subject: &str, mode: &str) {
    sqlx::query(
        "INSERT INTO audit_events (school_id, actor_kind, actor_id, action, subject, ip, created_at, mode)
         VALUES ((SELECT id FROM schools WHERE uai = $1), $2, $3, $4, $5, '192.0.2.1', $6, $7)",
    )
    .bind(UAI)
    .bind(kind)
    .bind(actor)
    .bind(action)
    .bind(subject)
    .bind(now_ms())
    .bind(mode)
    .execute(app.db().pool())
    .await
    .unwrap();
}

async fn the_timeline_tells_every_event_in_french_with_its_actor_newest_first(app: TestApp) {
    let school = review_school(&app, 0).await;
    let p = &school.changed;
    let d = p.dossier_id;
    change_email(&app, p).await;
    let guardian = name_of(
        &app,
        "SELECT civility, first_name, last_name FROM guardians WHERE id = $1",
        p.guardian_id,
    )
    .await;
    let pool = app.db().pool();
    // What the family did before: signed in, opened, saved its health
    // information, sent a piece, sent the dossier.
    audit(&app, "guardian", p.guardian_id, "sign_in", "family", "").await;
    for (from, to) in [("not_started", "started"), ("started", "submitted")] {
        sqlx::query(
            "INSERT INTO dossier_transitions (dossier_id, from_state, to_state, actor_kind, actor_id, created_at)
             VALUES ($1, $2, $3, 'guardian', $4, $5)",
        )
        .bind(d)
        .bind(from)
        .bind(to)
        .bind(p.guardian_id)
        .bind(now_ms())
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO medical_notes (dossier_id, guardian_id, mode, note, updated_at)
         VALUES ($1, $2, 'online', $3, $4)",
    )
    .bind(d)
    .bind(p.guardian_id)
    .bind(NOTE)
    .bind(now_ms())
    .execute(pool)
    .await
    .unwrap();
    let document: i64 = sqlx::query_scalar(
        "INSERT INTO expected_documents (school_id, label)
         VALUES ((SELECT id FROM schools WHERE uai = $1), 'Attestation d''assurance') RETURNING id",
    )
    .bind(UAI)
    .fetch_one(pool)
    .await
    .unwrap();
    let upload: i64 = sqlx::query_scalar(
        "INSERT INTO uploads (dossier_id, expected_document_id, guardian_id, storage_key, original_name,
             content_type, size_bytes, created_at)
         VALUES ($1, $2, $3, 'dossiers/x/y.pdf', 'assurance.pdf', 'application/pdf', 10, $4) RETURNING id",
    )
    .bind(d)
    .bind(document)
    .bind(p.guardian_id)
    .bind(now_ms())
    .fetch_one(pool)
    .await
    .unwrap();
    // An agent filled a step at the desk with the family (assisted mode's
    // audit row).
    let agent_id: i64 = sqlx::query_scalar("SELECT id FROM agents WHERE email = $1")
        .bind(AGENT)
        .fetch_one(pool)
        .await
        .unwrap();
    let agent = name_of(
        &app,
        "SELECT '' AS civility, display_name AS first_name, '' AS last_name FROM agents WHERE id = $1",
        agent_id,
    )
    .await;
    audit(
        &app,
        "agent",
        agent_id,
        "dossier_saved",
        &format!("dossier:{d} etape:eleve responsable:{}", p.guardian_id),
        "assisted",
    )
    .await;

    // The school decides, writes, gives a code and sends the dossier back.
    sign_in(&app).await;
    let page = format!("/etablissements/{UAI}/dossiers/{d}");
    let decide = format!("{page}/modifications");
    for form in [
        vec![
            ("change", "pupil:first_name".to_owned()),
            ("decision", "accepter".into()),
        ],
        vec![
            ("change", format!("guardian:{}:email", p.guardian_id)),
            ("decision", "refuser".into()),
            ("reason", "Adresse inconnue".into()),
        ],
    ] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(app.post_form(&page, &decide, &form).await.status(), 303);
    }
    let refused = app
        .post_form(
            &page,
            &format!("{page}/pieces/{upload}/decision"),
            &[("decision", "refuser"), ("reason", "Illisible")],
        )
        .await;
    assert_eq!(refused.status(), 303);
    let written = app
        .post_form(
            &page,
            &format!("{page}/message"),
            &[
                ("text", "Pouvez-vous rappeler le collège ?"),
                ("courriel", "oui"),
            ],
        )
        .await;
    assert_eq!(written.status(), 303);
    let code = app
        .post_form(
            &page,
            &format!("{page}/responsables/{}/code", p.guardian_id),
            &[],
        )
        .await;
    assert_eq!(code.status(), 303);
    let back = app
        .post_form(
            &page,
            &format!("{page}/etat"),
            &[
                ("event", "renvoyer"),
                ("reason", "Merci de corriger l'adresse"),
            ],
        )
        .await;
    assert_eq!(back.status(), 303);
    assert_eq!(state_of(&app, d).await, "returned");

    let (status, html) = app.get_html(&page).await;
    assert_eq!(status, 200);
    let t = timeline(&html);
    let said = |what: &str, who: &str| {
        let found = t.split("<li").any(|e| e.contains(what) && e.contains(who));
        assert!(found, "« {what} » par « {who} » missing from {t}");
    };
    said("Connexion", &format!("par {guardian}"));
    said("Dossier ouvert", &format!("par {guardian}"));
    said(
        "Dossier envoyé à l&#39;établissement",
        &format!("par {guardian}"),
    );
    said("Pièce envoyée", "assurance.pdf");
    said("Santé enregistrée", &format!("par {guardian}"));
    said("Modification acceptée", &format!("par {agent}"));
    said("Modification refusée", "motif : Adresse inconnue");
    said("Pièce refusée", &format!("par {agent}"));
    said(
        "Message envoyé : message de l&#39;établissement",
        "Courriel à",
    );
    said("Nouveau code personnel donné", &format!("à {guardian}"));
    said(
        "Dossier renvoyé à la famille",
        "motif : Merci de corriger l&#39;adresse",
    );
    said("Message envoyé : dossier renvoyé", "Courriel");
    said(
        "Étape « Élève » enregistrée",
        &format!("par {agent} (au guichet, avec la famille)"),
    );
    assert!(t.contains("<time datetime=\""), "{t}");
    // Newest first: the send-back above the sign-in.
    let at = |s: &str| t.find(s).unwrap_or_else(|| panic!("{s} in {t}"));
    assert!(at("Dossier renvoyé à la famille") < at("Connexion"), "{t}");
    // Words, never codes; no medical detail for the secretariat.
    for code in [
        "submitted",
        "returned",
        "sign_in",
        "upload:",
        "individual",
        "assisted",
        NOTE,
        "saisie en ligne",
    ] {
        assert!(!t.contains(code), "« {code} » in {t}");
    }
    app.run_jobs().await;
    app.finish().await;
}
on_both_databases!(the_timeline_tells_every_event_in_french_with_its_actor_newest_first);

async fn the_timeline_never_shows_medical_details_and_tells_the_nurse_how_they_are_given(
    app: TestApp,
) {
    let school = review_school(&app, 0).await;
    let p = &school.started;
    let school_id: i64 = sqlx::query_scalar("SELECT id FROM schools WHERE uai = $1")
        .bind(UAI)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    crate::builders::add_agent(
        &app,
        school_id,
        NURSE,
        &[Role::Infirmerie],
        &crate::builders::AGENT_PASSWORD_HASH,
    )
    .await;
    sqlx::query(
        "INSERT INTO medical_notes (dossier_id, guardian_id, mode, note, updated_at)
         VALUES ($1, $2, 'sealed', $3, $4)",
    )
    .bind(p.dossier_id)
    .bind(p.guardian_id)
    .bind(NOTE)
    .bind(now_ms())
    .execute(app.db().pool())
    .await
    .unwrap();
    let page = format!("/etablissements/{UAI}/dossiers/{}", p.dossier_id);

    sign_in(&app).await;
    let html = app.get_html(&page).await.1;
    let t = timeline(&html);
    assert!(t.contains("Santé enregistrée"), "{t}");
    assert!(!t.contains(NOTE) && !t.contains("pli fermé"), "{t}");
    assert!(!html.contains(NOTE));

    assert_eq!(app.sign_in_agent(NURSE, AGENT_PASSWORD).await.status(), 303);
    let html = app.get_html(&page).await.1;
    assert!(html.contains(NOTE), "the nurse reads the note on the page");
    let t = timeline(&html);
    assert!(t.contains("Santé enregistrée"), "{t}");
    assert!(t.contains("pli fermé"), "{t}");
    assert!(!t.contains(NOTE), "never the note in the timeline: {t}");
    app.finish().await;
}
on_both_databases!(the_timeline_never_shows_medical_details_and_tells_the_nurse_how_they_are_given);
