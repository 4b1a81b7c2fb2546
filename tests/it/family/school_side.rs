//! The school's side of a family's dossier: what the school sees, codes
//! reissued, pieces refused, dossiers returned and validated.

use super::{
    PDF, expected_document, family, location, mother_dossier, send_dossier, sign_in, sign_in_as,
    sign_out_family, upload, walk_without_change,
};
use crate::forms::prefilled;
use crate::harness::TestApp;
use crate::on_both_databases;

async fn the_school_sees_the_sent_dossier_with_exactly_the_changed_fields_and_medical_notes_stay_with_the_nurse(
    app: TestApp,
) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    let page = format!("{base}/responsables");
    let mut form = prefilled(&app.get_html(&page).await.1);
    for (k, v) in form.iter_mut() {
        if k == "phone_mobile" {
            *v = "07 11 22 33 44".into();
        }
    }
    app.client
        .post(app.url(&page))
        .form(&form)
        .send()
        .await
        .unwrap();
    let sante = format!("{base}/sante");
    app.post_form(
        &sante,
        &sante,
        &[
            ("mode", "online"),
            ("note", "Allergie aux arachides, PAI en cours"),
        ],
    )
    .await;
    upload(
        &app,
        &base,
        expected_document(&app, 0).await,
        vec![("assurance.pdf", PDF.to_vec())],
    )
    .await;
    send_dossier(&app, &base).await;
    app.run_jobs().await;
    sign_out_family(&app, &base).await;

    let dossier_id = base.rsplit('/').next().unwrap();
    let school = format!("/etablissements/{}", seeded.uai);
    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let list = app
        .get_html(&format!("{school}/dossiers?etat=submitted"))
        .await
        .1;
    assert!(
        list.contains("DUBOIS Inès") && list.contains("1 résultat,"),
        "{list}"
    );
    let html = app
        .get_html(&format!("{school}/dossiers/{dossier_id}"))
        .await
        .1;
    assert!(
        html.contains("envoyé à l&#39;établissement") || html.contains("envoyé à l'établissement"),
        "submitted"
    );
    // Staff read the catalogue's French label, never the stored key.
    assert!(html.contains("Téléphone portable") && html.contains("07 11 22 33 44"));
    // (The decision forms name each change by its key in a hidden field.)
    let shown: String = html
        .split("name=\"change\" value=\"")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part
            } else {
                part.split_once('"').map_or(part, |(_, rest)| rest)
            }
        })
        .collect();
    assert!(!shown.contains("phone_mobile"), "no raw field key");
    assert_eq!(
        // Each changed field is a row whose new value is in bold.
        html.matches("</td><td><strong>").count(),
        1,
        "exactly one changed field"
    );
    assert!(
        !html.contains("arachides"),
        "the secretariat does not read medical notes"
    );
    let download = html
        .split("/pieces/")
        .nth(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .unwrap();
    let file = app
        .get(&format!("{school}/dossiers/{dossier_id}/pieces/{download}"))
        .await;
    assert_eq!(file.status(), 200);
    assert!(
        file.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(file.bytes().await.unwrap().as_ref(), PDF);
    // A PDF is previewed in the page, in the browser's viewer, sandboxed.
    assert!(
        html.contains(&format!(
            "<iframe class=\"piece-preview-pdf\" src=\"{school}/dossiers/{dossier_id}/pieces/{download}?apercu=1\""
        )),
        "{html}"
    );
    let preview = app
        .get(&format!(
            "{school}/dossiers/{dossier_id}/pieces/{download}?apercu=1"
        ))
        .await;
    assert_eq!(preview.status(), 200);
    let header = |name: &str| {
        preview.headers()[name]
            .to_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "application/pdf");
    assert!(header("content-disposition").starts_with("inline"));
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("x-frame-options"), "SAMEORIGIN");
    assert_eq!(
        header("content-security-policy"),
        "sandbox; frame-ancestors 'self'",
        "an opaque origin, framed by our pages only"
    );
    let download_policy = file_policy(
        &app.get(&format!("{school}/dossiers/{dossier_id}/pieces/{download}"))
            .await,
    );
    assert!(
        download_policy.starts_with("sandbox;")
            && download_policy.contains("frame-ancestors 'none'"),
        "{download_policy}"
    );

    app.post_form(&school, "/agent/deconnexion", &[]).await;
    app.sign_in_agent(
        "infirmerie@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    assert!(
        app.get_html(&format!("{school}/dossiers/{dossier_id}"))
            .await
            .1
            .contains("arachides"),
        "the nurse does"
    );
    app.finish().await;
}

fn file_policy(response: &reqwest::Response) -> String {
    response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned()
}

async fn the_school_reissues_a_code_and_cannot_see_another_schools_dossier(app: TestApp) {
    let seeded = app.seed_demo().await;
    let (old_code, birth) = family(&app, &seeded, "la mère").await;
    let (dossier_id, guardian_id): (i64, i64) = sqlx::query_as(
        "SELECT d.id, g.id FROM dossiers d JOIN guardianships l ON l.pupil_id = d.pupil_id JOIN guardians g ON g.id = l.guardian_id
         WHERE g.last_name = 'NGUYEN' AND g.first_name = 'Thi Lan' AND d.campaign_id IN (SELECT id FROM campaigns WHERE school_year = (SELECT MAX(school_year) FROM campaigns))",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let school = format!("/etablissements/{}", seeded.uai);
    let page = format!("{school}/dossiers/{dossier_id}");
    let action = format!("{page}/responsables/{guardian_id}/code");

    app.sign_in_agent(
        "infirmerie@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    assert_eq!(
        app.post_form(&page, &action, &[]).await.status(),
        403,
        "the nurse does not issue codes"
    );
    app.post_form(&page, "/agent/deconnexion", &[]).await;

    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    // Post/Redirect/Get: the code is shown once by the page the POST leads
    // to, never in its address; a reload neither shows it nor issues another.
    let issued = app.post_form(&page, &action, &[]).await;
    assert_eq!(issued.status(), 303);
    assert_eq!(location(&issued), action, "the same address, read with GET");
    let html = app.get_html(&action).await.1;
    let marker = "Code personnel : <strong class=\"app-code\">";
    let start = html.find(marker).expect("the code, once") + marker.len();
    let new_code = html[start..start + 14].to_owned();
    assert!(!location(&issued).contains(&new_code));
    assert!(
        html.contains("Collège")
            && html.contains("Inès DUBOIS")
            && html.contains("/famille/connexion"),
        "a slip for the family: school, pupil, sign-in address: {html}"
    );
    assert!(html.contains("Imprimer"));
    let reloaded = app.get_html(&action).await.1;
    assert!(!reloaded.contains(&new_code), "shown once");
    assert!(
        reloaded.contains("Ce code n&#39;est plus affiché")
            || reloaded.contains("Ce code n'est plus affiché")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'access_code_reissued'")
            .await,
        1,
        "a reload issues no code"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM code_slips").await, 0);

    // Another school's agent cannot reach this dossier through their own school.
    let other = dossiersco::db::schools::upsert(
        app.db().pool(),
        "0750680G",
        "Collège Voisin",
        "Paris",
        "Paris",
    )
    .await
    .unwrap();
    crate::builders::add_agent(
        &app,
        other,
        "sec@voisin.fr",
        &[dossiersco::domain::Role::Secretariat],
        &dossiersco::web::auth::hash_password("voisin-pass").unwrap(),
    )
    .await;
    app.post_form(&page, "/agent/deconnexion", &[]).await;
    app.sign_in_agent("sec@voisin.fr", "voisin-pass").await;
    assert_eq!(
        app.get(&format!("/etablissements/0750680G/dossiers/{dossier_id}"))
            .await
            .status(),
        404
    );
    assert_eq!(app.get(&page).await.status(), 403);
    app.post_form("/", "/agent/deconnexion", &[]).await;

    assert_eq!(sign_in(&app, &old_code, &birth).await.status(), 401);
    assert_eq!(sign_in(&app, &new_code, &birth).await.status(), 303);
    app.finish().await;
}

async fn a_piece_refused_by_the_school_shows_its_reason_and_is_replaced_alone(app: TestApp) {
    let seeded = app.seed_demo().await;
    let (code, birth) = family(&app, &seeded, "la mère").await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    let insurance = expected_document(&app, 0).await;
    upload(&app, &base, insurance, vec![("flou.pdf", PDF.to_vec())]).await;
    upload(
        &app,
        &base,
        expected_document(&app, 2).await,
        vec![("caf.pdf", PDF.to_vec())],
    )
    .await;
    send_dossier(&app, &base).await;
    sign_out_family(&app, &base).await;

    // The secretary looks at the pieces: refusing needs a reason.
    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let dossier_id = base.rsplit('/').next().unwrap();
    let page = format!("/etablissements/{}/dossiers/{dossier_id}", seeded.uai);
    let id_of = |name: &'static str| {
        let pool = app.db().pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT id FROM uploads WHERE original_name = $1")
                .bind(name)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let (blurred, caf) = (id_of("flou.pdf").await, id_of("caf.pdf").await);
    let decide = |id: i64| format!("{page}/pieces/{id}/decision");
    let html = app.get_html(&page).await.1;
    assert!(html.contains(&format!("action=\"{}\"", decide(blurred))));
    let no_reason = app
        .post_form(
            &page,
            &decide(blurred),
            &[("decision", "refuser"), ("reason", "  ")],
        )
        .await;
    assert_eq!(no_reason.status(), 303);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM uploads WHERE status = 'submitted'")
            .await,
        2,
        "nothing decided without a reason"
    );
    app.post_form(
        &page,
        &decide(blurred),
        &[("decision", "refuser"), ("reason", "Document illisible")],
    )
    .await;
    app.post_form(&page, &decide(caf), &[("decision", "accepter")])
        .await;
    let unknown = app
        .post_form(&page, &decide(caf + 1000), &[("decision", "accepter")])
        .await;
    assert_eq!(unknown.status(), 404, "only this dossier's pieces");
    let html = app.get_html(&page).await.1;
    assert!(html.contains("(refusée)") && html.contains("Motif du refus : Document illisible"));
    assert!(html.contains("caf.pdf</a> (acceptée)"), "{html}");
    app.post_form(
        &page,
        &format!("{page}/etat"),
        &[
            ("event", "renvoyer"),
            ("reason", "Une pièce est à remplacer."),
        ],
    )
    .await;
    app.post_form(&page, "/agent/deconnexion", &[]).await;
    app.run_jobs().await;
    let body: String = sqlx::query_scalar(
        "SELECT body_text FROM outbox_emails WHERE subject LIKE 'Dossier de réinscription d% à compléter' ORDER BY id",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert!(
        body.contains(
            "Pièces à remplacer :\n- Attestation d'assurance scolaire : Document illisible"
        ),
        "{body}"
    );

    // The family reads the reason and replaces that piece alone.
    assert_eq!(sign_in(&app, &code, &birth).await.status(), 303);
    let html = app.get_html(&format!("{base}/pieces")).await.1;
    assert!(
        html.contains("flou.pdf : refusée — motif : Document illisible"),
        "{html}"
    );
    assert_eq!(
        upload(&app, &base, insurance, vec![("net.pdf", PDF.to_vec())])
            .await
            .status(),
        303
    );
    let statuses: Vec<(String, String)> =
        sqlx::query_as("SELECT original_name, status FROM uploads ORDER BY id")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    assert_eq!(
        statuses,
        vec![
            ("flou.pdf".to_owned(), "refused".to_owned()),
            ("caf.pdf".to_owned(), "accepted".to_owned()),
            ("net.pdf".to_owned(), "submitted".to_owned())
        ],
        "only the refused piece was replaced"
    );
    app.finish().await;
}

async fn the_school_returns_a_dossier_the_family_corrects_it_and_the_school_validates_it(
    app: TestApp,
) {
    let seeded = app.seed_demo().await;
    let (code, birth) = family(&app, &seeded, "la mère").await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    send_dossier(&app, &base).await;
    sign_out_family(&app, &base).await;

    let dossier_id = base.rsplit('/').next().unwrap();
    let page = format!("/etablissements/{}/dossiers/{dossier_id}", seeded.uai);
    let action = format!("{page}/etat");
    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let no_reason = app
        .post_form(&page, &action, &[("event", "renvoyer"), ("reason", " ")])
        .await;
    assert_eq!(location(&no_reason), page);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers WHERE state = 'returned'")
            .await,
        0,
        "a reason is required"
    );
    app.post_form(
        &page,
        &action,
        &[
            ("event", "renvoyer"),
            ("reason", "Le prénom est mal orthographié"),
        ],
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers WHERE state = 'returned'")
            .await,
        1
    );
    app.post_form(&page, "/agent/deconnexion", &[]).await;
    assert_eq!(
        app.run_jobs().await,
        4,
        "the receipt, then the return e-mail, each to both parents"
    );
    let body: String = sqlx::query_scalar("SELECT body_text FROM outbox_emails WHERE subject LIKE 'Dossier de réinscription d% à compléter' ORDER BY id")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert!(body.contains("Le prénom est mal orthographié"));

    let response = sign_in(&app, &code, &birth).await;
    assert_eq!(
        location(&response),
        format!("{base}/validation"),
        "back at the validation, not in a loop"
    );
    assert!(
        app.get_html(&format!("{base}/validation"))
            .await
            .1
            .contains("Le prénom est mal orthographié")
    );
    let eleve = format!("{base}/eleve");
    let mut form = prefilled(&app.get_html(&eleve).await.1);
    form.retain(|(k, _)| k != "first_name");
    form.push(("first_name".into(), "Inès-Marie".into()));
    assert_eq!(
        app.client
            .post(app.url(&eleve))
            .form(&form)
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    send_dossier(&app, &base).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers WHERE state = 'submitted'")
            .await,
        1
    );
    sign_out_family(&app, &base).await;

    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    // Every change is decided before validating (issue 13): all accepted.
    app.post_form(
        &page,
        &format!("{page}/modifications"),
        &[("decision", "tout_accepter")],
    )
    .await;
    app.post_form(&page, &action, &[("event", "valider")]).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers d WHERE state = 'validated' AND d.campaign_id IN (SELECT id FROM campaigns WHERE school_year = (SELECT MAX(school_year) FROM campaigns))")
            .await,
        1
    );
    let html = app.get_html(&page).await.1;
    assert!(html.contains("validé par l") && html.contains("Inès-Marie"));
    let states: Vec<(String, String)> = sqlx::query_as(
        "SELECT to_state, actor_kind FROM dossier_transitions WHERE dossier_id = $1 ORDER BY created_at, id",
    )
    .bind(dossier_id.parse::<i64>().unwrap())
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    let states: Vec<(&str, &str)> = states
        .iter()
        .map(|(s, a)| (s.as_str(), a.as_str()))
        .collect();
    assert_eq!(
        states,
        vec![
            ("started", "guardian"),
            ("submitted", "guardian"),
            ("returned", "agent"),
            ("submitted", "guardian"),
            ("validated", "agent")
        ]
    );
    assert_eq!(
        app.run_jobs().await,
        2,
        "the second receipt, to both parents"
    );
    app.finish().await;
}

/// The decisions of the dossier page follow its state, come after what the
/// agent reads, and "sortant" is confirmed on a page of its own.
async fn the_school_is_offered_only_the_decisions_the_state_allows_and_confirms_a_leaving_pupil(
    app: TestApp,
) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    send_dossier(&app, &base).await;
    app.run_jobs().await;
    sign_out_family(&app, &base).await;
    let sent: i64 = base.rsplit('/').next().unwrap().parse().unwrap();
    let untouched: i64 = sqlx::query_scalar(
        "SELECT id FROM dossiers WHERE state = 'not_started' ORDER BY id LIMIT 1",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let school = format!("/etablissements/{}", seeded.uai);
    let page = |id: i64| format!("{school}/dossiers/{id}");

    let html = app.get_html(&page(sent)).await.1;
    assert!(html.contains("Valider le dossier") && html.contains("Renvoyer à la famille"));
    let decisions = html
        .find("Décision de l&#39;établissement")
        .or_else(|| html.find("Décision de l'établissement"))
        .unwrap();
    assert!(
        decisions > html.find("Historique").unwrap()
            && decisions > html.find("id=\"pieces\"").unwrap(),
        "the decisions come after the content"
    );

    let html = app.get_html(&page(untouched)).await.1;
    assert!(
        !html.contains("Valider le dossier") && !html.contains("Renvoyer à la famille"),
        "nothing to validate or send back in a dossier not started"
    );
    assert!(html.contains(&format!("href=\"{}/sortant\"", page(untouched))));

    // "Sortant" without its confirmation changes nothing and asks for it.
    let unconfirmed = app
        .post_form(
            &page(untouched),
            &format!("{}/etat", page(untouched)),
            &[("event", "sortant")],
        )
        .await;
    assert_eq!(
        location(&unconfirmed),
        format!("{}/sortant", page(untouched))
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers WHERE state = 'leaving'")
            .await,
        0
    );
    let confirm = app.get_html(&format!("{}/sortant", page(untouched))).await;
    assert_eq!(confirm.0, 200);
    assert!(confirm.1.contains("Confirmer"), "{}", confirm.1);
    let confirmed = app
        .post_form(
            &format!("{}/sortant", page(untouched)),
            &format!("{}/etat", page(untouched)),
            &[("event", "sortant"), ("confirmation", "oui")],
        )
        .await;
    assert_eq!(location(&confirmed), page(untouched));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers WHERE state = 'leaving'")
            .await,
        1
    );
    let html = app.get_html(&page(untouched)).await.1;
    assert!(html.contains("Aucune décision possible") && !html.contains("/sortant\""));
    assert_eq!(
        location(&app.get(&format!("{}/sortant", page(untouched))).await),
        page(untouched),
        "no confirmation for what is no longer possible"
    );
    app.finish().await;
}

/// A dossier sent back with a refused mandatory piece: the family reads what
/// to fix with links to it, cannot send until the piece is replaced, may
/// remove its own file (never the other parent's), and the replaced file no
/// longer shows as the piece's.
async fn a_returned_dossier_lists_what_to_fix_and_is_sent_again_only_once_the_refused_piece_is_replaced(
    app: TestApp,
) {
    let seeded = app.seed_demo().await;
    let (code, birth) = family(&app, &seeded, "la mère").await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    let insurance = expected_document(&app, 0).await;
    sqlx::query("UPDATE expected_documents SET mandatory = $1 WHERE id = $2")
        .bind(true)
        .bind(insurance)
        .execute(app.db().pool())
        .await
        .unwrap();
    upload(&app, &base, insurance, vec![("flou.pdf", PDF.to_vec())]).await;
    send_dossier(&app, &base).await;
    sign_out_family(&app, &base).await;

    let dossier_id = base.rsplit('/').next().unwrap();
    let page = format!("/etablissements/{}/dossiers/{dossier_id}", seeded.uai);
    app.sign_in_agent(
        "secretariat@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let blurred: i64 = sqlx::query_scalar("SELECT id FROM uploads")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    app.post_form(
        &page,
        &format!("{page}/pieces/{blurred}/decision"),
        &[("decision", "refuser"), ("reason", "Document illisible")],
    )
    .await;
    app.post_form(
        &page,
        &format!("{page}/etat"),
        &[
            ("event", "renvoyer"),
            ("reason", "Une pièce est à remplacer"),
        ],
    )
    .await;
    app.post_form(&page, "/agent/deconnexion", &[]).await;
    app.run_jobs().await;

    // The banner: the school's reason and the refused piece, with links.
    assert_eq!(
        location(&sign_in(&app, &code, &birth).await),
        format!("{base}/validation")
    );
    let validation = format!("{base}/validation");
    let html = app.get_html(&validation).await.1;
    let banner = &html[html.find("id=\"a-corriger\"").expect("a banner")..];
    let banner = &banner[..banner.find("</div>").unwrap()];
    assert!(banner.contains("Une pièce est à remplacer"), "{banner}");
    assert!(
        banner.contains(&format!("href=\"{base}/pieces#piece-{insurance}\""))
            && banner.contains("Attestation d&#39;assurance scolaire")
            && banner.contains("motif : Document illisible"),
        "{banner}"
    );
    assert!(
        banner.contains(&format!("href=\"{base}/eleve\"")),
        "{banner}"
    );

    // Sending is refused while the mandatory piece is refused.
    let refused = app
        .post_form(&validation, &validation, &[("attestation", "oui")])
        .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Le dossier ne peut pas encore être envoyé")
            && html.contains("role=\"alert\""),
        "{html}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers WHERE state = 'returned'")
            .await,
        1,
        "nothing changed"
    );
    assert_eq!(app.run_jobs().await, 0, "no receipt");

    // The other parent cannot remove the mother's file, even with a forged form.
    let remove = format!("{base}/fichiers/{blurred}/retirer");
    let (father_code, father_birth) = family(&app, &seeded, "le père").await;
    let father = TestApp::client_for(&app);
    sign_in_as(&app, &father, &father_code, &father_birth).await;
    let forged = app
        .post_form_as(&father, &format!("{base}/accueil"), &remove, &[])
        .await;
    assert_eq!(forged.status(), 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 1);

    // The mother removes it: the row, the stored file, audited.
    let pieces = format!("{base}/pieces");
    let html = app.get_html(&pieces).await.1;
    assert!(html.contains(&format!("action=\"{remove}\"")), "{html}");
    let key: String = sqlx::query_scalar("SELECT storage_key FROM uploads")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let removed = app.post_form(&pieces, &remove, &[]).await;
    assert_eq!(location(&removed), format!("{pieces}#piece-{insurance}"));
    assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 0);
    assert!(
        app.state.documents.get_stream(&key).await.is_err(),
        "the stored file is deleted"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'upload_removed'")
            .await,
        1
    );
    let refused = app
        .post_form(&validation, &validation, &[("attestation", "oui")])
        .await;
    assert_eq!(
        refused.status(),
        422,
        "a missing mandatory piece blocks too"
    );
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Pièce obligatoire manquante")
    );

    // A refused file once replaced is no longer the piece's current file.
    upload(&app, &base, insurance, vec![("flou.pdf", PDF.to_vec())]).await;
    let again: i64 = sqlx::query_scalar("SELECT id FROM uploads")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    sqlx::query("UPDATE uploads SET status = 'refused', refusal_reason = 'Toujours illisible'")
        .execute(app.db().pool())
        .await
        .unwrap();
    assert_eq!(
        upload(&app, &base, insurance, vec![("net.pdf", PDF.to_vec())])
            .await
            .status(),
        303
    );
    let html = app.get_html(&pieces).await.1;
    assert!(
        html.contains("net.pdf") && !html.contains("flou.pdf"),
        "{html}"
    );
    assert!(!html.contains(&format!("/fichiers/{again}/retirer")));
    let html = app.get_html(&validation).await.1;
    assert!(
        !html.contains("flou.pdf") && !html.contains("Pièce refusée"),
        "{html}"
    );
    send_dossier(&app, &base).await;
    app.run_jobs().await;
    app.finish().await;
}

on_both_databases!(
    a_returned_dossier_lists_what_to_fix_and_is_sent_again_only_once_the_refused_piece_is_replaced,
    the_school_is_offered_only_the_decisions_the_state_allows_and_confirms_a_leaving_pupil,
    the_school_sees_the_sent_dossier_with_exactly_the_changed_fields_and_medical_notes_stay_with_the_nurse,
    the_school_reissues_a_code_and_cannot_see_another_schools_dossier,
    a_piece_refused_by_the_school_shows_its_reason_and_is_replaced_alone,
    the_school_returns_a_dossier_the_family_corrects_it_and_the_school_validates_it,
);
