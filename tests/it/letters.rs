//! Personal codes in bulk and the printed letters (issue 12): counts, the
//! confirmation before any code is replaced, one code and one letter for a
//! guardian of pupils in two classes, the PDF read back with poppler
//! (`pdfinfo`, `pdftotext`, `pdftoppm`) and its QR codes decoded by zbar
//! (`zbarimg`). `.ci/run` installs both; a missing tool fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;

use dossiersco::db::family;
use dossiersco::domain::Role;
use dossiersco::domain::access_code;
use dossiersco::letters::{self, Selection};

use crate::builders::{AGENT_PASSWORD, BuiltSchool, GuardianBuilder, SchoolBuilder};
use crate::harness::TestApp;
use crate::on_both_databases;
use crate::team::dossiersco;

pub const UAI: &str = "0750680G";
const OLD_CODE: &str = "AAAA-BBBB-CCCC";

/// Three guardians: Julie MARTIN (has a code; Léa, 4A), Paul MARTIN (no
/// code, no e-mail; Léa in 4A and Noé in 6B), Awa DIALLO (no code; Tom, 6B).
pub struct Families {
    pub school: BuiltSchool,
    pub julie: i64,
    pub paul: i64,
    pub awa: i64,
    pub lea_dossier: i64,
    pub noe_dossier: i64,
}

pub async fn families(app: &TestApp) -> Families {
    let school = SchoolBuilder::new(UAI)
        .name("Collège Voisin")
        .build(app)
        .await;
    let lea = school
        .pupil("MARTIN", "Léa")
        .division("4A")
        .guardian(GuardianBuilder::new("MARTIN", "Julie").code(OLD_CODE))
        .guardian(GuardianBuilder::new("MARTIN", "Paul").email(""))
        .build(app)
        .await;
    let paul = lea.guardian_ids[1];
    let noe = school
        .pupil("MARTIN", "Noé")
        .division("6B")
        .existing_guardian(paul)
        .build(app)
        .await;
    let tom = school
        .pupil("DIALLO", "Tom")
        .division("6B")
        .guardian(GuardianBuilder::new("DIALLO", "Awa"))
        .build(app)
        .await;
    Families {
        julie: lea.guardian_ids[0],
        paul,
        awa: tom.guardian_ids[0],
        lea_dossier: lea.dossier_id,
        noe_dossier: noe.dossier_id,
        school,
    }
}

/// Runs a command-line tool the tests need; a missing tool fails the test.
pub fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!("{name} must be installed (.ci/run installs poppler-utils and zbar-tools): {e}")
    });
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn page_count(pdf: &Path) -> usize {
    let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .expect("pdfinfo prints the number of pages")
        .trim()
        .parse()
        .unwrap()
}

/// The text of each page.
pub fn page_texts(pdf: &Path) -> Vec<String> {
    let text = tool("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    let mut pages: Vec<String> = text.split('\x0c').map(str::to_owned).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

/// The personal codes printed in `text` (XXXX-XXXX-XXXX).
pub fn codes_in(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|w| {
            w.len() == 14
                && w.split('-').count() == 3
                && w.split('-').all(|g| {
                    g.len() == 4
                        && g.chars()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                })
        })
        .map(str::to_owned)
        .collect()
}

/// What the QR code of page `page` (from 1) says, decoded from an image.
pub fn qr_of_page(pdf: &Path, page: usize) -> String {
    let dir = pdf.parent().unwrap();
    let prefix = dir.join(format!("page-{page}"));
    let n = page.to_string();
    tool(
        "pdftoppm",
        &[
            "-r",
            "150",
            "-f",
            &n,
            "-l",
            &n,
            "-png",
            "-singlefile",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let png: PathBuf = prefix.with_extension("png");
    tool("zbarimg", &["--quiet", "--raw", png.to_str().unwrap()])
        .trim()
        .to_owned()
}

async fn code_works(app: &TestApp, code: &str) -> Option<i64> {
    family::guardian_by_code_hash(app.db().pool(), &access_code::hash(code))
        .await
        .unwrap()
        .map(|g| g.id)
}

async fn has_code(app: &TestApp, guardian: i64) -> bool {
    sqlx::query_scalar::<_, Option<String>>("SELECT access_code_hash FROM guardians WHERE id = $1")
        .bind(guardian)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
        .is_some()
}

async fn a_bulk_plan_counts_new_and_replaced_codes_and_gives_one_letter_per_guardian(app: TestApp) {
    let f = families(&app).await;
    let db = app.db();
    let all = Selection::default();
    let plan = letters::plan(db, f.school.id, &all, false).await.unwrap();
    let ids: Vec<i64> = plan.letters.iter().map(|l| l.guardian_id).collect();
    assert_eq!(ids.len(), 2, "by default, only guardians without a code");
    assert!(ids.contains(&f.paul) && ids.contains(&f.awa));
    assert_eq!((plan.new_codes, plan.replaced, plan.left_out), (2, 0, 1));

    let plan = letters::plan(db, f.school.id, &all, true).await.unwrap();
    assert_eq!(
        plan.letters.len(),
        3,
        "one letter per guardian, not per child"
    );
    assert_eq!((plan.new_codes, plan.replaced, plan.left_out), (2, 1, 0));
    let paul = plan
        .letters
        .iter()
        .find(|l| l.guardian_id == f.paul)
        .unwrap();
    let children: Vec<&str> = paul.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(children, ["Léa MARTIN", "Noé MARTIN"]);

    let sixth = Selection {
        division: Some("6B".into()),
        ..Selection::default()
    };
    let plan = letters::plan(db, f.school.id, &sixth, true).await.unwrap();
    let ids: Vec<i64> = plan.letters.iter().map(|l| l.guardian_id).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&f.paul) && ids.contains(&f.awa) && !ids.contains(&f.julie));

    let unreachable = Selection {
        only_without_contact: true,
        ..Selection::default()
    };
    let plan = letters::plan(db, f.school.id, &unreachable, true)
        .await
        .unwrap();
    let ids: Vec<i64> = plan.letters.iter().map(|l| l.guardian_id).collect();
    assert_eq!(
        ids,
        [f.paul],
        "only Paul has neither e-mail nor mobile phone"
    );

    // A selection of pupils: Noé's guardian (Paul) only, with both children.
    let chosen = Selection {
        dossiers: Some(vec![f.noe_dossier]),
        ..Selection::default()
    };
    let plan = letters::plan(db, f.school.id, &chosen, false)
        .await
        .unwrap();
    let ids: Vec<i64> = plan.letters.iter().map(|l| l.guardian_id).collect();
    assert_eq!(ids, [f.paul]);
    assert_eq!(plan.letters[0].children.len(), 2);
    // Léa's: Julie is left out (she has a code), Paul gets a letter.
    let chosen = Selection {
        dossiers: Some(vec![f.lea_dossier]),
        ..Selection::default()
    };
    let plan = letters::plan(db, f.school.id, &chosen, false)
        .await
        .unwrap();
    assert_eq!((plan.letters.len(), plan.left_out), (1, 1));
    app.finish().await;
}

async fn letters_from_the_back_office_replace_codes_only_once_confirmed_and_their_qr_codes_sign_in(
    app: TestApp,
) {
    let f = families(&app).await;
    f.school
        .agent(&app, "secretariat@voisin.fr", Role::Secretariat)
        .await;
    f.school
        .agent(&app, "direction@voisin.fr", Role::Admin)
        .await;
    assert_eq!(
        app.sign_in_agent("secretariat@voisin.fr", AGENT_PASSWORD)
            .await
            .status(),
        303
    );
    let page = format!("/etablissements/{UAI}/courriers");
    let (status, html) = app.get_html(&page).await;
    assert_eq!(status, 200);
    assert!(html.contains("Remplacer les codes existants") && html.contains("6B"));

    // Asking to replace codes shows how many, and issues nothing.
    let response = app
        .post_form(
            &page,
            &page,
            &[("scope", "school"), ("replace_codes", "oui")],
        )
        .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("<strong>3</strong> courrier(s)"), "{html}");
    assert!(html.contains("<strong>1</strong> code(s) existant(s) remplacé(s)"));
    assert!(html.contains("1 code(s) cesseront de fonctionner"));
    // Confirmed with another number than the one shown: still nothing.
    let response = app
        .post_form(
            &page,
            &page,
            &[
                ("scope", "school"),
                ("replace_codes", "oui"),
                ("confirmed", "oui"),
                ("confirmed_replacements", "0"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Les nombres ont changé")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM letter_batches").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM jobs").await, 0);
    assert_eq!(code_works(&app, OLD_CODE).await, Some(f.julie));

    // By default: the guardians without a code only, once confirmed.
    let response = app.post_form(&page, &page, &[("scope", "school")]).await;
    let html = response.text().await.unwrap();
    assert!(html.contains("<strong>2</strong> courrier(s)"));
    assert!(html.contains("1 responsable(s) laissé(s) de côté"));
    let response = app
        .post_form(
            &page,
            &page,
            &[
                ("scope", "school"),
                (
                    "letter_text",
                    "Bonjour,\n\nMerci de réinscrire votre enfant avant le 30 juin.",
                ),
                ("confirmed", "oui"),
                ("confirmed_replacements", "0"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let batch_page = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(batch_page.starts_with(&format!("{page}/")));
    let (_, html) = app.get_html(&batch_page).await;
    assert!(html.contains("En préparation") && html.contains("data-refresh"));
    assert_eq!(app.run_jobs().await, 1);
    let (_, html) = app.get_html(&batch_page).await;
    assert!(html.contains("2 courrier(s) : 2 nouveau(x) code(s), 0 code(s) remplacé(s)"));
    assert!(!html.contains("data-refresh"));
    assert_eq!(
        code_works(&app, OLD_CODE).await,
        Some(f.julie),
        "not replaced"
    );
    assert!(has_code(&app, f.paul).await && has_code(&app, f.awa).await);

    // The file, for the agent who asked.
    let response = app.get(&format!("{batch_page}/courriers.pdf")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("courriers.pdf");
    std::fs::write(&pdf, response.bytes().await.unwrap()).unwrap();
    assert_eq!(page_count(&pdf), 2, "one page per guardian");
    let pages = page_texts(&pdf);
    assert_eq!(pages.len(), 2);
    let sign_in = "http://127.0.0.1/famille/connexion";
    let mut first_codes = Vec::new();
    for (n, text) in pages.iter().enumerate() {
        assert!(text.contains("Collège Voisin"), "{text}");
        assert!(text.contains("avant le 30 juin"), "the school's text");
        assert!(text.contains(sign_in), "the sign-in address");
        let codes = codes_in(text);
        assert_eq!(codes.len(), 1, "one code a page: {text}");
        let code = codes[0].clone();
        let owner = code_works(&app, &code)
            .await
            .expect("the printed code signs in");
        if owner == f.paul {
            assert!(text.contains("Léa MARTIN") && text.contains("Noé MARTIN"));
            assert!(text.contains("classe 4A") && text.contains("classe 6B"));
        } else {
            assert_eq!(owner, f.awa);
            assert!(text.contains("Tom DIALLO"));
        }
        assert_eq!(
            qr_of_page(&pdf, n + 1),
            format!("{sign_in}#code={code}"),
            "the QR code opens the sign-in page with the code in the fragment"
        );
        first_codes.push(code);
    }

    // Another agent of the school reads the batch but not the file.
    let other = TestApp::client_for(&app);
    app.sign_in_agent_as(&other, "direction@voisin.fr", AGENT_PASSWORD)
        .await;
    let response = other
        .get(app.url(&format!("{batch_page}/courriers.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Seul l'agent qui a demandé")
    );

    // A second batch that replaces codes: the old ones stop working.
    let response = app
        .post_form(
            &page,
            &page,
            &[
                ("scope", "school"),
                ("replace_codes", "oui"),
                ("confirmed", "oui"),
                ("confirmed_replacements", "3"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    app.run_jobs().await;
    assert_eq!(code_works(&app, OLD_CODE).await, None);
    for code in &first_codes {
        assert_eq!(code_works(&app, code).await, None, "{code} was replaced");
    }
    let replaced: (i64, i64, i64) = sqlx::query_as(
        "SELECT letters, issued, replaced FROM letter_batches ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(replaced, (3, 0, 3));

    // After a day, the purge deletes the file; the page says so.
    sqlx::query("UPDATE letter_batches SET done_at = 1")
        .execute(app.db().pool())
        .await
        .unwrap();
    let mut tx = app.db().begin().await.unwrap();
    dossiersco::jobs::enqueue(
        &mut *tx,
        &dossiersco::letters::job::PurgeLettersJob {},
        None,
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.run_jobs().await;
    let response = app.get(&format!("{batch_page}/courriers.pdf")).await;
    assert_eq!(response.status(), 410);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Le fichier a été supprimé")
    );
    app.finish().await;
}

async fn the_letters_command_prints_how_many_codes_it_issued_and_replaced(app: TestApp) {
    let f = families(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("courriers.pdf");
    let out = dossiersco(
        &app,
        &["letters", "--uai", UAI, "-o", pdf.to_str().unwrap()],
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("2 courrier(s) écrit(s)"), "{stdout}");
    assert!(stdout.contains("codes donnés : 2"), "{stdout}");
    assert!(stdout.contains("codes remplacés : 0"), "{stdout}");
    assert!(
        stdout.contains("1 responsable(s) ayant déjà un code"),
        "{stdout}"
    );
    assert_eq!(page_count(&pdf), 2);
    assert_eq!(code_works(&app, OLD_CODE).await, Some(f.julie));
    for text in page_texts(&pdf) {
        let code = &codes_in(&text)[0];
        assert!(code_works(&app, code).await.is_some());
    }

    // A class, replacing codes: Léa's two guardians, one letter each.
    let out = dossiersco(
        &app,
        &[
            "letters",
            "--uai",
            UAI,
            "--division",
            "4A",
            "--replace-codes",
            "-o",
            pdf.to_str().unwrap(),
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("codes donnés : 0"), "{stdout}");
    assert!(stdout.contains("codes remplacés : 2"), "{stdout}");
    assert_eq!(page_count(&pdf), 2);
    assert_eq!(code_works(&app, OLD_CODE).await, None, "replaced");
    assert!(has_code(&app, f.awa).await);

    // Nobody without contact is left without a code: nothing to print.
    let empty = dir.path().join("vide.pdf");
    let out = dossiersco(
        &app,
        &[
            "letters",
            "--uai",
            UAI,
            "--only-without-contact",
            "-o",
            empty.to_str().unwrap(),
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("aucun courrier à imprimer"), "{stdout}");
    assert!(stdout.contains("codes donnés : 0") && stdout.contains("codes remplacés : 0"));
    assert!(!empty.exists());
    app.finish().await;
}

on_both_databases!(
    a_bulk_plan_counts_new_and_replaced_codes_and_gives_one_letter_per_guardian,
    letters_from_the_back_office_replace_codes_only_once_confirmed_and_their_qr_codes_sign_in,
    the_letters_command_prints_how_many_codes_it_issued_and_replaced,
);

/// The row of `html` whose id is `id`, up to its end.
fn row<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<tr id=\"{id}\""))
        .unwrap_or_else(|| panic!("no row {id} in:\n{html}"));
    let end = html[start..].find("</tr>").unwrap() + start;
    &html[start..end]
}

async fn the_dashboard_counts_this_campaign_s_dossiers_per_class_and_mef_and_lists_who_is_left(
    app: TestApp,
) {
    use dossiersco::domain::dossier_state::DossierState;
    let school = SchoolBuilder::new(UAI)
        .name("Collège Voisin")
        .build(&app)
        .await;
    let pool = app.db().pool();
    let mef = |code: &'static str, label: &'static str| {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO mefs (school_id, code, label) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(school.id)
        .bind(code)
        .bind(label)
        .fetch_one(pool)
    };
    let fourth = mef("10310019110", "4EME").await.unwrap();
    let sixth = mef("10010012110", "6EME").await.unwrap();
    let mut made = Vec::new();
    for (name, division, mef_id, state) in [
        ("Léa", "4A", fourth, DossierState::NotStarted),
        ("Tom", "4A", fourth, DossierState::Submitted),
        ("Noé", "6B", sixth, DossierState::Started),
        ("Inès", "6B", sixth, DossierState::Validated),
        ("Yanis", "6B", sixth, DossierState::Leaving),
    ] {
        let built = school
            .pupil("MARTIN", name)
            .division(division)
            .guardian(GuardianBuilder::new("MARTIN", &format!("Parent de {name}")))
            .state(state)
            .build(&app)
            .await;
        sqlx::query("UPDATE pupils SET mef_id = $2 WHERE id = $1")
            .bind(built.pupil_id)
            .bind(mef_id)
            .execute(pool)
            .await
            .unwrap();
        made.push(built);
    }
    // Last year's campaign: a validated dossier of Léa that must not count.
    let last_year: i64 = sqlx::query_scalar(
        "INSERT INTO campaigns (school_id, school_year, created_at)
         SELECT school_id, school_year - 1, 0 FROM campaigns WHERE id = $1 RETURNING id",
    )
    .bind(school.campaign_id)
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO dossiers (campaign_id, pupil_id, state, created_at, updated_at) VALUES ($1, $2, 'validated', 0, 0)",
    )
    .bind(last_year)
    .bind(made[0].pupil_id)
    .execute(pool)
    .await
    .unwrap();
    school.agent(&app, "cpe@voisin.fr", Role::VieScolaire).await;
    app.sign_in_agent("cpe@voisin.fr", AGENT_PASSWORD).await;
    let (status, html) = app.get_html(&format!("/etablissements/{UAI}")).await;
    assert_eq!(status, 200);

    let tile = |state: DossierState, count: i64| {
        format!(
            "<p class=\"fr-tile__title\">{count}</p>\n          <p class=\"fr-tile__desc\">{}</p>",
            state.label().replace('\'', "&#39;")
        )
    };
    assert!(
        html.contains(&tile(DossierState::Validated, 1)),
        "last year's dossier is not counted:\n{html}"
    );
    assert!(html.contains(&tile(DossierState::NotStarted, 1)));
    let class_4a = row(&html, "classe-4A");
    assert!(
        class_4a.contains("<td data-state=\"not_started\">1</td>"),
        "{class_4a}"
    );
    assert!(class_4a.contains("<td data-state=\"submitted\">1</td>"));
    assert!(class_4a.contains("<td data-state=\"validated\">0</td>"));
    assert!(class_4a.contains("<td data-total>2</td>"));
    assert!(class_4a.contains("50 %"), "{class_4a}");
    let class_6b = row(&html, "classe-6B");
    assert!(class_6b.contains("<td data-state=\"started\">1</td>"));
    assert!(class_6b.contains("<td data-state=\"leaving\">1</td>"));
    assert!(class_6b.contains("<td data-total>3</td>"));
    assert!(
        class_6b.contains("50 %"),
        "the leaving pupil is out of the rate: {class_6b}"
    );
    let mef_6 = row(&html, "mef-6EME");
    assert!(mef_6.contains("<td data-state=\"validated\">1</td>"));
    // The whole campaign: 2 sent or validated of the 4 who stay.
    assert!(
        html.contains("50 % des dossiers sont envoyés ou validés (2 sur 4)"),
        "{html}"
    );

    // Who is left: Léa (not started), Noé (started), with the list's labels.
    let left = &html[html
        .find("id=\"qui-reste\"")
        .expect("the list of who is left")..];
    let left = &left[..left.find("</table>").unwrap()];
    assert!(left.contains("Léa") && left.contains(DossierState::NotStarted.label()));
    assert!(left.contains("Noé") && left.contains(DossierState::Started.label()));
    assert!(!left.contains("Tom") && !left.contains("Inès") && !left.contains("Yanis"));
    assert!(left.contains(&format!(
        "/etablissements/{UAI}/dossiers/{}",
        made[0].dossier_id
    )));
    app.finish().await;
}

async fn pupils_ticked_in_the_dossier_list_get_letters_for_their_guardians_only(app: TestApp) {
    let f = families(&app).await;
    f.school
        .agent(&app, "secretariat@voisin.fr", Role::Secretariat)
        .await;
    app.sign_in_agent("secretariat@voisin.fr", AGENT_PASSWORD)
        .await;
    let list = format!("/etablissements/{UAI}/dossiers");
    let (_, html) = app.get_html(&list).await;
    assert!(html.contains(&format!("name=\"dossier\" value=\"{}\"", f.noe_dossier)));
    let page = format!("/etablissements/{UAI}/courriers");
    let noe = f.noe_dossier.to_string();
    let html = app
        .post_form(&list, &page, &[("scope", "selection"), ("dossier", &noe)])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("les responsables de 1 élève(s) choisi(s)"),
        "{html}"
    );
    assert!(html.contains("<strong>1</strong> courrier(s)"));
    assert!(html.contains(&format!("name=\"dossier\" value=\"{noe}\"")));
    // Nobody ticked: nobody, not the whole school.
    let html = app
        .post_form(&list, &page, &[("scope", "selection")])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Aucun courrier à imprimer"), "{html}");
    let response = app
        .post_form(
            &list,
            &page,
            &[
                ("scope", "selection"),
                ("dossier", &noe),
                ("confirmed", "oui"),
                ("confirmed_replacements", "0"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    app.run_jobs().await;
    assert!(has_code(&app, f.paul).await);
    assert!(!has_code(&app, f.awa).await, "Tom was not ticked");
    // The CPE sees the list (and may tick pupils to export them) without
    // the letters' button.
    f.school
        .agent(&app, "cpe@voisin.fr", Role::VieScolaire)
        .await;
    let cpe = TestApp::client_for(&app);
    app.sign_in_agent_as(&cpe, "cpe@voisin.fr", AGENT_PASSWORD)
        .await;
    let html = cpe
        .get(app.url(&list))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("MARTIN Noé") && !html.contains("Codes personnels et courriers"));
    app.finish().await;
}

on_both_databases!(
    pupils_ticked_in_the_dossier_list_get_letters_for_their_guardians_only,
    the_dashboard_counts_this_campaign_s_dossiers_per_class_and_mef_and_lists_who_is_left
);
