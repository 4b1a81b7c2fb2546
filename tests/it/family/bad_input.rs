//! Bad input refused with a message; HTML typed by a family shown escaped.

use super::{mother_dossier, submit, walk_without_change};
use crate::forms::prefilled;
use crate::harness::TestApp;
use crate::on_both_databases;

async fn bad_input_is_refused_with_a_message_and_html_is_shown_escaped(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    let page = format!("{base}/eleve");
    let long = "A".repeat(10_000);
    for (field, value, message) in [
        ("last_name", long.as_str(), "trop long"),
        ("birth_date", "2099-01-01", "dans le futur"),
        ("birth_date", "2013-02-31", "Date invalide"),
        ("first_name", "", "obligatoire"),
    ] {
        let mut form = prefilled(&app.get_html(&page).await.1);
        for (k, v) in form.iter_mut() {
            if k == field {
                *v = value.to_owned();
            }
        }
        let response = app
            .client
            .post(app.url(&page))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{field}={value}");
        let html = response.text().await.unwrap();
        assert!(html.contains(message), "{field}: {message}");
        assert!(
            html.contains(&format!("aria-describedby=\"{field}-error\"")),
            "the error is tied to its field"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM pupil_changes").await,
        0,
        "nothing stored"
    );

    let script = "<script>alert('x')</script>";
    let mut form = prefilled(&app.get_html(&page).await.1);
    for (k, v) in form.iter_mut() {
        if k == "birth_city" {
            *v = script.to_owned();
        }
    }
    assert_eq!(
        app.client
            .post(app.url(&page))
            .form(&form)
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    let summary = app.get_html(&format!("{base}/validation")).await.1;
    assert!(
        !summary.contains(script) && summary.contains("&#60;script&#62;"),
        "shown escaped"
    );
    app.finish().await;
}

async fn html_typed_in_any_text_field_is_shown_escaped_to_the_family_and_the_school(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change(&app, &base).await;
    let script = "<script>alert(1)</script>";
    let tagged = |name: &str| format!("{name} {script}");
    for (page, fields) in [
        (
            "eleve",
            vec![
                ("last_name", tagged("Dubois")),
                ("first_name", tagged("Inès")),
                ("other_first_names", tagged("Marie")),
                ("birth_city", tagged("Lyon")),
            ],
        ),
        (
            "responsables",
            vec![
                ("address_lines", tagged("3 rue")),
                ("city", tagged("Paris")),
            ],
        ),
        (
            "contacts-urgence",
            vec![
                ("name", tagged("Mamie")),
                ("relationship", tagged("grand-mère")),
                ("phone", "06 00 00 00 01".into()),
            ],
        ),
        (
            "sante",
            vec![("mode", "online".into()), ("note", tagged("Asthme"))],
        ),
    ] {
        let response = submit(&app, &app.client, &format!("{base}/{page}"), &fields).await;
        assert_eq!(
            response.status(),
            303,
            "{page}: {}",
            response.text().await.unwrap()
        );
    }
    let family_view = app.get_html(&format!("{base}/validation")).await.1;
    assert!(
        !family_view.contains(script),
        "raw markup never reaches a page"
    );
    assert!(
        family_view.matches("&#60;script&#62;").count() >= 5,
        "shown escaped"
    );
    app.post_form(&format!("{base}/validation"), "/famille/deconnexion", &[])
        .await;
    let dossier_id = base.rsplit('/').next().unwrap();
    app.sign_in_agent(
        "infirmerie@demo.dossiersco.fr",
        dossiersco::demo::DEMO_PASSWORD,
    )
    .await;
    let school_view = app
        .get_html(&format!(
            "/etablissements/{}/dossiers/{dossier_id}",
            seeded.uai
        ))
        .await
        .1;
    assert!(!school_view.contains(script));
    assert!(
        school_view.matches("&#60;script&#62;").count() >= 7,
        "{school_view}"
    );
    app.finish().await;
}

on_both_databases!(
    bad_input_is_refused_with_a_message_and_html_is_shown_escaped,
    html_typed_in_any_text_field_is_shown_escaped_to_the_family_and_the_school,
);
