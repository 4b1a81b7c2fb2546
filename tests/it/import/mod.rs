//! The SIECLE import (issue 3), on both databases, by subject (below), and
//! the helpers the import tests share: synthetic exports, running an import,
//! counting what it wrote, uploading through the web.

mod apply;
mod jobs;
mod problems;
mod samples;
mod siecle_return;
mod web;

use std::path::Path;

use dossiersco::import::{self, InputFile, Preview, School};
use dossiersco_siecle::synth::{
    self, FICHIER_ELEVES, FICHIER_NOMENCLATURE, FICHIER_RESPONSABLES, FICHIER_STRUCTURES,
    SynthSchool,
};

use crate::harness::TestApp;

/// A synthetic school's four XML exports written to a temporary folder.
pub(crate) struct Exports {
    pub dir: tempfile::TempDir,
    pub files: Vec<InputFile>,
}

pub(crate) fn write_exports(school: &SynthSchool) -> Exports {
    let dir = tempfile::tempdir().unwrap();
    school.write_all_to_dir(dir.path()).unwrap();
    let files = [
        FICHIER_ELEVES,
        FICHIER_RESPONSABLES,
        FICHIER_NOMENCLATURE,
        FICHIER_STRUCTURES,
    ]
    .iter()
    .map(|name| InputFile {
        name: name.to_string(),
        path: dir.path().join(name),
    })
    .collect();
    Exports { dir, files }
}

fn input(dir: &Path, name: &str, bytes: &[u8]) -> InputFile {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    InputFile {
        name: name.into(),
        path,
    }
}

pub(crate) async fn add_school(app: &TestApp, uai: &str) -> School {
    let id = dossiersco::db::schools::upsert(app.db().pool(), uai, "Collège d'essai", "", "")
        .await
        .unwrap();
    School {
        id,
        uai: uai.into(),
    }
}

/// Plans and applies; panics on a fatal problem.
async fn run_import(app: &TestApp, school: &School, files: &[InputFile]) -> Preview {
    let plan = import::plan(app.db(), school, files).await.unwrap();
    assert!(plan.is_applicable(), "{}", plan.preview.to_text());
    import::apply(app.db(), &plan, None, &|_, _| {})
        .await
        .unwrap();
    plan.preview
}

async fn count(app: &TestApp, sql: &str, school: &School) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(school.id)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

async fn pupils(app: &TestApp, school: &School) -> i64 {
    count(
        app,
        "SELECT COUNT(*) FROM pupils WHERE school_id = $1",
        school,
    )
    .await
}

async fn guardians(app: &TestApp, school: &School) -> i64 {
    count(
        app,
        "SELECT COUNT(*) FROM guardians WHERE school_id = $1",
        school,
    )
    .await
}

async fn links(app: &TestApp, school: &School) -> i64 {
    count(
        app,
        "SELECT COUNT(*) FROM guardianships g JOIN pupils p ON p.id = g.pupil_id WHERE p.school_id = $1",
        school,
    )
    .await
}

/// Every table an import writes, for "nothing changed" assertions.
async fn footprint(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "pupils",
        "guardians",
        "guardianships",
        "dossiers",
        "campaigns",
        "mefs",
        "subjects",
        "programmes",
        "mandatory_options",
        "structures",
        "pupil_structures",
        "pupil_siecle_options",
        "imports",
    ] {
        out.push(
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(app.db().pool())
                .await
                .unwrap(),
        );
    }
    out
}

/// Plans `files` for `school` and checks the import is refused with a fatal
/// problem naming `file` and containing `expected`, and that nothing is written.
async fn assert_refused(
    app: &TestApp,
    school: &School,
    files: &[InputFile],
    file: &str,
    expected: &[&str],
) {
    let before = footprint(app).await;
    let plan = import::plan(app.db(), school, files).await.unwrap();
    assert!(!plan.is_applicable(), "{file} is refused");
    let fatal = plan
        .preview
        .problems
        .iter()
        .find(|p| p.fatal)
        .expect("a fatal problem");
    assert_eq!(fatal.file, file);
    let text = fatal.to_string();
    for part in expected {
        assert!(text.contains(part), "« {text} » should contain « {part} »");
    }
    assert!(
        import::apply(app.db(), &plan, None, &|_, _| {})
            .await
            .is_err()
    );
    assert_eq!(footprint(app).await, before, "nothing written for {file}");
}

fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

/// A multipart body as a browser sends it: the CSRF token first, then the files.
pub(crate) fn multipart(token: &str, files: &[(&str, Vec<u8>)]) -> (String, Vec<u8>) {
    let boundary = "----dossiersco-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
        )
        .as_bytes(),
    );
    for (name, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"fichiers\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The four exports of a synthetic school, relabelled for the school `uai`.
pub(crate) fn exports_for(uai: &str, pupils: usize) -> Vec<(&'static str, Vec<u8>)> {
    let generated = synth::generate_school(0, pupils, 21);
    let exports = write_exports(&generated);
    [
        FICHIER_ELEVES,
        FICHIER_RESPONSABLES,
        FICHIER_NOMENCLATURE,
        FICHIER_STRUCTURES,
    ]
    .into_iter()
    .map(|name| {
        let bytes = std::fs::read(exports.dir.path().join(name)).unwrap();
        let from = format!("<UAJ>{}</UAJ>", generated.uai);
        let to = format!("<UAJ>{uai}</UAJ>");
        (name, replace_all(&bytes, from.as_bytes(), to.as_bytes()))
    })
    .collect()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

async fn upload(app: &TestApp, uai: &str, files: &[(&str, Vec<u8>)]) -> reqwest::Response {
    let page = format!("/etablissements/{uai}/imports");
    let token = app.csrf_token(&page).await;
    let (content_type, body) = multipart(&token, files);
    app.client
        .post(app.url(&page))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}
