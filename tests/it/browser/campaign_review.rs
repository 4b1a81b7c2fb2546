//! A whole campaign reviewed in one sitting, in a real browser (issue 13):
//! from the demo's dossiers in every state, the secretariat filters the
//! list, validates the dossiers sent without a change in one action, accepts
//! one change of a dossier and rejects the other with a reason, validates
//! it, refuses a piece from the queue with a reason, reads the return file's
//! dry run, ticks each warning and downloads the file: its XML passes the
//! schema and carries the accepted change, not the rejected one. Every page
//! passes axe-core and html-validate; taps and keystrokes are counted.

use std::io::{Cursor, Read};
use std::time::Duration;

use dossiersco::campaign::school_year_starting;
use fantoccini::Locator;
use serde_json::{Value, json};

use super::{Browser, Cdp, Counted, agent_sign_in};
use crate::harness::TestApp;
use crate::siecle_return::xmllint;

/// Counts among the current campaign's dossiers (`$1`: its school year).
async fn count(app: &TestApp, condition: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM dossiers d JOIN campaigns c ON c.id = d.campaign_id
         WHERE c.school_year = $1 AND {condition}"
    )))
    .bind(school_year_starting())
    .fetch_one(app.db().pool())
    .await
    .unwrap()
}

/// Sent, with no change from any of the pupil's guardians and no piece.
const UNCHANGED: &str = "d.state = 'submitted' AND NOT EXISTS (SELECT 1 FROM guardian_changes g
     JOIN guardianships l ON l.guardian_id = g.guardian_id WHERE l.pupil_id = d.pupil_id)
     AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.dossier_id = d.id)";
/// Validated with a change accepted: the return file's pupils.
const TO_SEND: &str = "d.state = 'validated' AND EXISTS (SELECT 1 FROM change_decisions k
     WHERE k.dossier_id = d.id AND k.decision = 'accepted')";

/// On SQLite only, as the other walks (CI time): each step's queries run on
/// both databases in their own tests; the walk passes on PostgreSQL too
/// (`on_postgres(review_the_demo_campaign)`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secretariat_reviews_the_demo_campaign_and_downloads_exactly_the_accepted_changes() {
    crate::harness::on_sqlite(review_the_demo_campaign).await;
}

async fn review_the_demo_campaign(app: TestApp) {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let demo = dossiersco::demo::seed_in_every_state(&app.state)
        .await
        .unwrap();
    let uai = demo.uai.clone();
    let unchanged = count(&app, UNCHANGED).await;
    let to_send = count(&app, TO_SEND).await;
    assert!(unchanged > 1 && to_send > 0, "{unchanged}, {to_send}");
    let downloads = tempfile::tempdir().unwrap();
    browser
        .client
        .issue_cmd(Cdp::new(
            "Browser.setDownloadBehavior",
            json!({ "behavior": "allow", "downloadPath": downloads.path() }),
        ))
        .await
        .expect("downloads allowed");
    agent_sign_in(&browser, &app, "secretariat@demo.dossiersco.fr").await;
    browser
        .goto(&app.url(&format!("/etablissements/{uai}")))
        .await;
    let mut user = Counted::new(&browser);
    user.check_page().await;

    // The list, filtered: sent, without a change; all validated at once.
    user.tap(Locator::LinkText("Voir les dossiers")).await;
    user.choose("etat", "submitted").await;
    user.choose("modifie", "non").await;
    user.tap(Locator::Css("#filtres button[type=submit]")).await;
    let text = browser.text().await;
    assert!(text.contains(&format!("{unchanged} résultats")), "{text}");
    user.tap(Locator::XPath(
        "//button[normalize-space()='Valider les dossiers sans modification…']",
    ))
    .await;
    let text = browser.text().await;
    assert!(
        text.contains(&format!("Valider {unchanged} dossiers sans modification ?")),
        "{text}"
    );
    user.tap(Locator::Css("main form button[type=submit]"))
        .await;
    let text = browser.text().await;
    assert!(
        text.contains(&format!("{unchanged} dossiers validés.")),
        "{text}"
    );
    assert_eq!(count(&app, UNCHANGED).await, 0);

    // A 6e's dossier sent with changes (a 3e's next year is not here).
    user.choose("modifie", "oui").await;
    let sixth: Value = browser
        .client
        .execute(
            "return Array.from(document.querySelectorAll('#mef option')).map(o => o.value).find(v => v.startsWith('6'));",
            vec![],
        )
        .await
        .unwrap();
    user.choose("mef", sixth.as_str().expect("a 6e MEF")).await;
    user.tap(Locator::Css("#filtres button[type=submit]")).await;
    user.tap(Locator::Css(
        "#selection tbody tr:first-child td:nth-child(2) a",
    ))
    .await;
    let dossier_id: i64 = user
        .path()
        .await
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (guardian, phone, email, known_email): (i64, String, String, String) = sqlx::query_as(
        "SELECT g.id, MAX(CASE WHEN c.field = 'phone_mobile' THEN c.new_value END),
                MAX(CASE WHEN c.field = 'email' THEN c.new_value END),
                MAX(CASE WHEN c.field = 'email' THEN c.siecle_value END)
         FROM dossiers d JOIN guardianships l ON l.pupil_id = d.pupil_id
         JOIN guardians g ON g.id = l.guardian_id JOIN guardian_changes c ON c.guardian_id = g.id
         WHERE d.id = $1 GROUP BY g.id",
    )
    .bind(dossier_id)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let form = |field: &str| {
        format!("//form[input[@name='change' and @value='guardian:{guardian}:{field}']]")
    };
    user.tap(Locator::XPath(&format!(
        "{}//button[@value='accepter']",
        form("phone_mobile")
    )))
    .await;
    let reason = "Adresse inconnue";
    let field: String = browser
        .client
        .find(Locator::XPath(&format!(
            "{}//input[@name='reason']",
            form("email")
        )))
        .await
        .unwrap()
        .attr("id")
        .await
        .unwrap()
        .unwrap();
    user.replace_text(&field, reason).await;
    user.tap(Locator::XPath(&format!(
        "{}//button[@value='refuser']",
        form("email")
    )))
    .await;
    let text = browser.text().await;
    assert!(
        text.contains("Toutes les modifications sont décidées.")
            && text.contains(&format!("Motif : {reason}")),
        "{text}"
    );
    user.tap(Locator::XPath(
        "//button[normalize-space()='Valider le dossier']",
    ))
    .await;
    let text = browser.text().await;
    assert!(
        text.contains("Dossier validé par l'établissement."),
        "{text}"
    );

    // The pieces queue: the first piece refused, with a reason.
    user.tap(Locator::LinkText("Tous les dossiers")).await;
    user.tap(Locator::LinkText("Accueil")).await;
    user.tap(Locator::LinkText("Pièces à vérifier")).await;
    let refused = "SELECT COUNT(*) FROM uploads WHERE status = 'refused'";
    let refused_before = app.count(refused).await;
    let piece_reason = "Scan coupé en bas de page";
    user.replace_text("precisions", piece_reason).await;
    user.tap(Locator::XPath("//button[normalize-space()='Refuser']"))
        .await;
    assert!(browser.text().await.contains("Pièce refusée."));
    assert_eq!(app.count(refused).await, refused_before + 1);
    let told: String = sqlx::query_scalar::<_, String>(
        "SELECT refusal_reason FROM uploads WHERE status = 'refused' ORDER BY id DESC",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap()
    .join(" | ");
    assert!(told.contains(piece_reason), "{told}");

    // The return file: its dry run, each warning ticked, the download.
    user.tap(Locator::LinkText("Accueil")).await;
    user.tap(Locator::LinkText("Retour vers SIECLE")).await;
    let text = browser.text().await;
    assert!(
        text.contains("Simulation : 0 problème(s) bloquant(s)")
            && text.contains(&format!("{} élève(s)", to_send + 1)),
        "{text}"
    );
    let ids: Value = browser
        .client
        .execute(
            "return Array.from(document.querySelectorAll('input[name=avertissement]')).map(e => e.id);",
            vec![],
        )
        .await
        .unwrap();
    let ids: Vec<String> = serde_json::from_value(ids).unwrap();
    assert!(!ids.is_empty(), "the demo's pupils leaving");
    for id in &ids {
        user.label(id).await;
    }
    user.click(Locator::XPath(
        "//button[normalize-space()='Télécharger le fichier pour SIECLE']",
    ))
    .await;
    let mut zip = None;
    for _ in 0..100 {
        let done = std::fs::read_dir(downloads.path())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "zip"));
        if let Some(path) = done {
            zip = Some(std::fs::read(path).unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let zip = zip.expect("the file is downloaded");
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    let mut xml = Vec::new();
    archive.by_index(0).unwrap().read_to_end(&mut xml).unwrap();
    xmllint(&xml);
    let back = dossiersco_siecle::return_file::read_xml(&xml).unwrap();
    assert_eq!(back.pupils.len() as i64, to_send + 1);
    // ISO-8859-15: the values compared are ASCII.
    let xml = String::from_utf8_lossy(&xml);
    assert!(xml.contains(&phone), "the accepted phone is sent");
    assert!(
        !xml.contains(&email) && xml.contains(&known_email),
        "the rejected address is not: SIECLE's stays"
    );

    // Taps: the list; two filters (two taps each: open, choose) and their
    // button; the bulk action and its confirmation; two filters, their
    // button and the dossier; accept,
    // refuse, validate; three links to the queue; refuse; two links to the
    // return file; one per warning; the download.
    assert_eq!(
        (user.clicks, user.typed),
        (
            1 + 5 + 2 + 6 + 3 + 3 + 1 + 2 + ids.len() + 1,
            reason.chars().count() + piece_reason.chars().count()
        ),
        "taps, keystrokes"
    );
    browser.close().await;
    // The refused piece is told to the family, one e-mail per parent.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages WHERE body LIKE '%Scan coupé en bas de page%'")
            .await,
        2
    );
    assert_eq!(app.run_jobs().await, 2, "the two e-mails leave");
    app.finish().await;
}
