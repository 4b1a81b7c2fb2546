//! Multi-row writes: rows travel as one JSON parameter per batch, so each
//! statement is written once for both engines.

use std::collections::HashSet;

use serde::ser::Error as _;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

use crate::db::{Backend, Tx};

/// Rows per statement. A batch travels as one JSON parameter, so its size is
/// bounded by memory and round trips, not by placeholders (see
/// docs/BENCHMARKS.md for how it was chosen).
const BATCH_ROWS: usize = 1_000;

/// A value of a row to insert.
#[derive(Debug, Clone)]
pub(super) enum Val {
    T(String),
    OT(Option<String>),
    I(i64),
    OI(Option<i64>),
    B(bool),
    OB(Option<bool>),
}

fn bind(
    q: Query<'static, sqlx::Any, AnyArguments>,
    v: Val,
) -> Query<'static, sqlx::Any, AnyArguments> {
    match v {
        Val::T(s) => q.bind(s),
        Val::OT(s) => q.bind(s),
        Val::I(i) => q.bind(i),
        Val::OI(i) => q.bind(i),
        Val::B(b) => q.bind(b),
        Val::OB(b) => q.bind(b),
    }
}

impl Val {
    /// The SQL that reads column `n` of a JSON row `r.value` as this type.
    fn column(&self, n: usize) -> String {
        match self {
            Val::T(_) | Val::OT(_) => format!("r.value->>{n}"),
            Val::I(_) | Val::OI(_) => format!("CAST(r.value->>{n} AS BIGINT)"),
            Val::B(_) | Val::OB(_) => format!("CAST(r.value->>{n} AS BOOLEAN)"),
        }
    }

    fn to_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            Val::T(s) | Val::OT(Some(s)) => serde_json::to_writer(out, s),
            Val::I(i) | Val::OI(Some(i)) => serde_json::to_writer(out, i),
            Val::OT(None) | Val::OI(None) | Val::OB(None) => serde_json::to_writer(out, &()),
            Val::B(b) | Val::OB(Some(b)) => serde_json::to_writer(out, b),
        }
    }
}

/// One batch as a JSON array of row arrays.
fn json_batch(rows: &[Vec<Val>]) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(rows.len() * rows.first().map_or(0, Vec::len) * 12);
    out.push(b'[');
    for (i, row) in rows.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"[" } else { b",[" });
        for (c, v) in row.iter().enumerate() {
            if c > 0 {
                out.push(b',');
            }
            v.to_json(&mut out)?;
        }
        out.push(b']');
    }
    out.push(b']');
    // serde_json writes UTF-8 only.
    String::from_utf8(out).map_err(serde_json::Error::custom)
}

/// Runs `head SELECT … tail` over `rows`, in batches: each batch is sent as
/// ONE JSON text parameter (an array of row arrays) that the statement
/// unpacks ([`Backend::json_rows`]), so each statement is written once for
/// both engines. Binding thousands of `$N` parameters through sqlx's `Any`
/// layer cost more than writing and reading the JSON (see
/// docs/BENCHMARKS.md), and SQLite no longer looks numbered parameters up.
pub(super) async fn insert_rows(
    tx: &mut Tx,
    backend: Backend,
    head: &str,
    tail: &str,
    rows: Vec<Vec<Val>>,
) -> sqlx::Result<()> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let columns: Vec<String> = first.iter().enumerate().map(|(n, v)| v.column(n)).collect();
    // `WHERE true`: SQLite needs it to tell an upsert's ON from a join's.
    let sql = format!(
        "{head} SELECT {} FROM {} WHERE true {tail}",
        columns.join(", "),
        backend.json_rows("$1")
    );
    for batch in rows.chunks(BATCH_ROWS) {
        let json = json_batch(batch).map_err(|e| sqlx::Error::Encode(e.into()))?;
        sqlx::query(AssertSqlSafe(sql.clone()))
            .bind(json)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Runs `sql` with `ids` in place of `{ids}` (`$k, $k+1…`), in chunks; the
/// fixed parameters come first.
pub(super) async fn for_ids(
    tx: &mut Tx,
    sql: &str,
    fixed: &[Val],
    ids: &[i64],
) -> sqlx::Result<()> {
    // Short lists only (missing rows, changed pupils): `$N` is fine here.
    for chunk in ids.chunks(500) {
        let list: Vec<String> = (0..chunk.len())
            .map(|i| format!("${}", fixed.len() + i + 1))
            .collect();
        let mut q = sqlx::query(AssertSqlSafe(sql.replace("{ids}", &list.join(","))));
        for v in fixed {
            q = bind(q, v.clone());
        }
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

pub(super) fn dedup_by_key<T, K: std::hash::Hash + Eq>(
    items: &[T],
    key: impl Fn(&T) -> K,
) -> Vec<&T> {
    let mut seen = HashSet::new();
    items.iter().filter(|i| seen.insert(key(i))).collect()
}
