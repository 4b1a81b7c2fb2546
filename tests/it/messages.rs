//! What people read in their mailbox, as snapshots (`tests/it/snapshots/`):
//! a change of wording shows in review, and CI fails on an unreviewed one
//! (`INSTA_UPDATE=no`). To accept a change: `INSTA_UPDATE=always cargo test
//! --test it messages`, then read the diff before committing.

use dossiersco::demo::DEMO_PASSWORD;

use crate::family::{mother_dossier, send_dossier, walk_without_change_as};
use crate::harness::TestApp;
use crate::on_both_databases;

/// The e-mails in the outbox, oldest first: (recipient, subject, text).
async fn outbox(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT recipient, subject, body_text FROM outbox_emails ORDER BY id")
        .fetch_all(app.db().pool())
        .await
        .unwrap()
}

/// One e-mail as a person reads it; dates and ports vary from run to run.
fn readable((to, subject, text): &(String, String, String)) -> String {
    format!("À : {to}\nObjet : {subject}\n\n{text}")
}

/// The text of a PDF, page by page.
fn pdf_text(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).expect("a PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("its text")
}

macro_rules! assert_message {
    ($name:expr, $message:expr) => {
        insta::with_settings!({
            filters => vec![
                (r"\d{2}/\d{2}/\d{4}", "[date]"),
                (r"\d{2}:\d{2}", "[heure]"),
                (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
                (r"Dossier n° \d+", "Dossier n° [numéro]"),
            ],
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!($name, readable($message));
        })
    };
}

async fn the_family_s_receipt_and_the_school_s_send_back_read_as_written(app: TestApp) {
    let seeded = app.seed_demo().await;
    let base = mother_dossier(&app, &seeded).await;
    walk_without_change_as(&app, &app.client, &base).await;
    send_dossier(&app, &base).await;
    assert_eq!(app.run_jobs().await, 2, "one to each parent");
    let receipts = outbox(&app).await;
    let (mine, other): (Vec<_>, Vec<_>) = receipts
        .into_iter()
        .partition(|(_, _, text)| text.contains("Vous avez envoyé"));
    let receipt = mine[0].clone();
    assert_message!("receipt_email", &receipt);
    // The receipt PDF, as its text reads.
    let pdf = app
        .get(&format!("{base}/recu.pdf"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_message!(
        "receipt_pdf",
        &("(PDF)".to_owned(), "recu.pdf".to_owned(), pdf_text(&pdf))
    );
    assert_message!("receipt_email_to_the_other_parent", &other[0]);

    // The secretariat sends it back with a reason.
    let dossier_id = base.rsplit('/').next().unwrap();
    let staff = crate::harness::TestApp::client_for(&app);
    let page = format!("/etablissements/{}/dossiers/{dossier_id}", seeded.uai);
    app.sign_in_agent_as(&staff, "secretariat@demo.dossiersco.fr", DEMO_PASSWORD)
        .await;
    let returned = app
        .post_form_as(
            &staff,
            &page,
            &format!("{page}/etat"),
            &[
                ("event", "renvoyer"),
                ("reason", "L'attestation d'assurance est illisible."),
            ],
        )
        .await;
    assert_eq!(returned.status(), 303);
    app.run_jobs().await;
    let sent_back = outbox(&app).await;
    let to_mother = sent_back
        .iter()
        .skip(2)
        .find(|(to, _, _)| *to == receipt.0)
        .expect("the mother is told");
    assert_message!("send_back_email", to_mother);
    app.finish().await;
}

async fn the_notice_of_a_locked_account_reads_as_written(app: TestApp) {
    app.seed_demo().await;
    for _ in 0..10 {
        app.sign_in_agent("direction@demo.dossiersco.fr", "wrong")
            .await;
    }
    assert_eq!(app.run_jobs().await, 1);
    let notice = outbox(&app).await.pop().unwrap();
    assert_message!("account_locked_email", &notice);
    app.finish().await;
}

on_both_databases!(
    the_family_s_receipt_and_the_school_s_send_back_read_as_written,
    the_notice_of_a_locked_account_reads_as_written,
);

/// Invitations and reminders (`dossier::messages::Invitation`), by e-mail
/// and SMS, for a guardian of two children; and an agent's message.
#[test]
fn invitations_reminders_and_an_agent_s_message_read_as_written() {
    use dossiersco::dossier::messages::{self, Invitation, SchoolContact};
    let school = SchoolContact {
        name: "Collège Jean Moulin".into(),
        email: "secretariat@clg-moulin.fr".into(),
        phone: "0140000000".into(),
    };
    let children = ["Inès Martin".to_owned(), "Noé Martin".to_owned()];
    let invitation = |reminder| Invitation {
        reminder,
        children: &children,
        school: &school,
        link: "https://dossiersco.fr/famille/lien#jeton=K7QF-3MZA-9TXW-AB2C-DE3F",
        token: "K7QF-3MZA-9TXW-AB2C-DE3F",
        expires: "15/06/2026 à 10:00",
        base_url: "https://dossiersco.fr",
    };
    for (name, reminder) in [("invitation", false), ("reminder", true)] {
        let (subject, body) = invitation(reminder).email();
        assert_message!(
            format!("{name}_email").as_str(),
            &("ines.martin@exemple.fr".to_owned(), subject, body)
        );
        assert_message!(
            format!("{name}_sms").as_str(),
            &(
                "06 12 34 56 78".to_owned(),
                "(SMS)".to_owned(),
                invitation(reminder).sms()
            )
        );
    }
    let (subject, body) = messages::individual_email(
        "Inès Martin",
        "Merci d'apporter le certificat médical.",
        &school,
    );
    assert_message!(
        "individual_email",
        &("ines.martin@exemple.fr".to_owned(), subject, body)
    );
}

/// The refused pieces of a family, told in one message
/// (`dossier::messages::PiecesRefused`): one child with two pieces by
/// e-mail; two children by SMS.
#[test]
fn the_refused_pieces_of_a_family_read_as_written() {
    use dossiersco::dossier::messages::{PiecesRefused, SchoolContact};
    let school = SchoolContact {
        name: "Collège Jean Moulin".into(),
        email: "secretariat@clg-moulin.fr".into(),
        phone: "0140000000".into(),
    };
    let one = vec![(
        "Inès Martin".to_owned(),
        vec![
            (
                "Attestation d'assurance".to_owned(),
                "Document illisible".to_owned(),
            ),
            (
                "Justificatif de domicile".to_owned(),
                "Document trop ancien ou expiré : facture de 2023".to_owned(),
            ),
        ],
    )];
    let text = |children| PiecesRefused {
        children,
        school: &school,
        link: "https://dossiersco.fr/famille/lien#jeton=K7QF-3MZA-9TXW-AB2C-DE3F",
        token: "K7QF-3MZA-9TXW-AB2C-DE3F",
        expires: "15/06/2026 à 10:00",
        base_url: "https://dossiersco.fr",
    };
    let (subject, body) = text(&one).email();
    assert_message!(
        "pieces_refused_email",
        &("ines.martin@exemple.fr".to_owned(), subject, body)
    );
    let two = vec![
        one[0].clone(),
        (
            "Noé Martin".to_owned(),
            vec![(
                "Attestation d'assurance".to_owned(),
                "Ce n'est pas le document demandé".to_owned(),
            )],
        ),
    ];
    let (subject, body) = text(&two).email();
    assert_message!(
        "pieces_refused_email_two_children",
        &("ines.martin@exemple.fr".to_owned(), subject, body)
    );
    assert_message!(
        "pieces_refused_sms",
        &(
            "06 12 34 56 78".to_owned(),
            "(SMS)".to_owned(),
            text(&two).sms()
        )
    );
}
