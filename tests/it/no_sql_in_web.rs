//! SQL lives in the data layer (`src/db/`): handlers call its functions and
//! never write a query. This test reads every file of `src/web/` and fails
//! if a query, or a call that runs one, comes back. (Naming `sqlx` types is
//! fine: `From<sqlx::Error>`, an executor in a signature.)

use std::path::Path;

use crate::harness::rust_sources as sources;

/// What writes or runs a query with sqlx.
const FORBIDDEN: &[&str] = &[
    "sqlx::query",
    "sqlx::raw_sql",
    "query_as(",
    "query_as::<",
    "query_scalar(",
    "query_scalar::<",
    ".fetch_one(",
    ".fetch_all(",
    ".fetch_optional(",
    ".fetch(",
    ".execute(",
    "Executor::execute",
];

fn offences(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        for needle in FORBIDDEN {
            if code.contains(needle) {
                found.push(format!("line {}: `{needle}`", number + 1));
            }
        }
    }
    found
}

#[test]
fn the_web_layer_runs_no_sql() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
    let files = sources(&web);
    assert!(files.len() > 10, "src/web was not found");
    let mut broken = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for offence in offences(&text) {
            broken.push(format!("{}, {offence}", file.display()));
        }
    }
    assert!(
        broken.is_empty(),
        "SQL belongs in src/db/ (a function per query, taking an executor):\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_guard_sees_a_query_and_lets_types_pass() {
    let handler = r#"
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM uploads")
            .fetch_one(state.db.pool())
            .await?;
    "#;
    assert_eq!(offences(handler).len(), 3);
    let edge = "impl From<sqlx::Error> for AppError {}\n\
                db: impl sqlx::Executor<'_, Database = sqlx::Any>,\n\
                heads.received.fetch_add(1, Ordering::Relaxed);";
    assert!(offences(edge).is_empty());
}
