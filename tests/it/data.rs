//! The data layer on both databases: migrations, types, constraints,
//! transactions, the demo seed.

use dossiersco::db::{self, Flag, now_ms};
use dossiersco::domain::access_code;

use crate::harness::TestApp;
use crate::on_both_databases;

async fn migrations_run_once_and_again_do_nothing(app: TestApp) {
    assert!(app.db().migrate().await.unwrap().is_empty());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM schema_migrations").await,
        db::migrate::MIGRATIONS.len() as i64
    );
    app.finish().await;
}

async fn booleans_nulls_and_big_integers_round_trip(app: TestApp) {
    app.seed_demo().await;
    let rows: Vec<(Flag, Flag, String)> = sqlx::query_as(
        "SELECT can_drop, open_to_new, modality FROM mef_options ORDER BY mef_id, option_id",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert!(rows.iter().any(|(can_drop, _, m)| can_drop.0 && m == "F"));
    assert!(rows.iter().any(|(can_drop, _, _)| !can_drop.0));
    let big = 9_007_199_254_740_993_i64; // beyond f64 precision
    sqlx::query("UPDATE agents SET locked_until = $1 WHERE email LIKE 'direction@%'")
        .bind(big)
        .execute(app.db().pool())
        .await
        .unwrap();
    let locked: Vec<(Option<i64>,)> =
        sqlx::query_as("SELECT locked_until FROM agents ORDER BY email")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    assert!(locked.contains(&(Some(big),)) && locked.contains(&(None,)));
    app.finish().await;
}

async fn the_database_refuses_invalid_rows(app: TestApp) {
    let pool = app.db().pool();
    let dup = sqlx::query("INSERT INTO schools (uai, name, created_at) VALUES ('0750680G', 'A', 0), ('0750680G', 'B', 0)")
        .execute(pool)
        .await
        .unwrap_err();
    assert!(db::is_unique_violation(&dup), "{dup}");
    let bad_uai = sqlx::query("INSERT INTO schools (uai, name, created_at) VALUES ('123', 'A', 0)")
        .execute(pool)
        .await;
    assert!(bad_uai.is_err(), "CHECK on the UAI length");
    let orphan = sqlx::query("INSERT INTO agents (school_id, email, display_name, created_at) VALUES (999, 'a@b.c', 'A', 0)")
        .execute(pool)
        .await;
    assert!(orphan.is_err(), "foreign keys are enforced");
    let orphan_membership = sqlx::query("INSERT INTO agent_memberships (agent_id, school_id, roles, created_at, updated_at) VALUES (999, 999, 1, 0, 0)")
        .execute(pool)
        .await;
    assert!(orphan_membership.is_err(), "foreign keys are enforced");
    assert_eq!(app.count("SELECT COUNT(*) FROM schools").await, 0);
    app.finish().await;
}

async fn a_transaction_that_fails_leaves_nothing_behind(app: TestApp) {
    let mut tx = app.db().begin().await.unwrap();
    sqlx::query("INSERT INTO schools (uai, name, created_at) VALUES ('0750680G', 'A', $1)")
        .bind(now_ms())
        .execute(&mut *tx)
        .await
        .unwrap();
    let failed =
        sqlx::query("INSERT INTO schools (uai, name, created_at) VALUES ('0750680G', 'B', 0)")
            .execute(&mut *tx)
            .await;
    assert!(failed.is_err());
    drop(tx); // rolled back
    assert_eq!(app.count("SELECT COUNT(*) FROM schools").await, 0);
    app.finish().await;
}

async fn the_demo_seed_is_idempotent_and_its_family_codes_work(app: TestApp) {
    let first = app.seed_demo().await;
    let pupils = app.count("SELECT COUNT(*) FROM pupils").await;
    let guardians = app.count("SELECT COUNT(*) FROM guardians").await;
    let second = app.seed_demo().await;
    assert_eq!(app.count("SELECT COUNT(*) FROM pupils").await, pupils);
    assert_eq!(app.count("SELECT COUNT(*) FROM guardians").await, guardians);
    assert_eq!(app.count("SELECT COUNT(*) FROM agents").await, 5);
    assert!(pupils >= 50, "{pupils} pupils");
    assert_eq!(
        first.families, second.families,
        "codes stay valid across runs"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossiers").await,
        2 * pupils,
        "this year's dossier and last year's, validated, for each pupil"
    );
    // One guardian with two children, a separated family with different addresses.
    let (who, code, children) = &first.families[0];
    assert!(
        who.contains("deux enfants") && children.contains(" ; "),
        "{who}: {children}"
    );
    let guardian: Option<i64> =
        sqlx::query_scalar("SELECT id FROM guardians WHERE access_code_hash = $1")
            .bind(access_code::hash(code))
            .fetch_optional(app.db().pool())
            .await
            .unwrap();
    let two: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM guardianships WHERE guardian_id = $1")
        .bind(guardian.unwrap())
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(two, 2);
    let addresses: i64 = app
        .count(
            "SELECT COUNT(DISTINCT g.address_lines) FROM guardians g
             WHERE g.last_name IN ('NGUYEN', 'DUBOIS') AND g.first_name IN ('Thi Lan', 'Marc')",
        )
        .await;
    assert_eq!(addresses, 2, "the separated parents live apart");
    app.finish().await;
}

async fn a_family_code_is_locked_for_longer_each_time_then_starts_again(app: TestApp) {
    use dossiersco::db::lockout::{self, Policy};
    app.seed_demo().await;
    let policy = Policy {
        after: 3,
        for_ms: 60_000,
    };
    let id: i64 = sqlx::query_scalar("SELECT MIN(id) FROM guardians")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let state = || async {
        sqlx::query_as::<_, (i64, Option<i64>, i64)>(
            "SELECT failed_sign_ins, locked_until, sign_in_lockouts FROM guardians WHERE id = $1",
        )
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
    };
    let expire = || async {
        sqlx::query("UPDATE guardians SET locked_until = $2 WHERE id = $1")
            .bind(id)
            .bind(now_ms() - 1)
            .execute(app.db().pool())
            .await
            .unwrap();
    };
    for (round, minutes) in [(1, 1), (2, 2), (3, 4)] {
        for expected in 1..=2 {
            let locked = lockout::record_guardian_failure(app.db().pool(), id, policy)
                .await
                .unwrap();
            assert_eq!(locked, None);
            assert_eq!(state().await.0, expected, "round {round}");
        }
        let before = now_ms();
        let until = lockout::record_guardian_failure(app.db().pool(), id, policy)
            .await
            .unwrap()
            .expect("locked at the third failure");
        let after = now_ms();
        assert!(
            until >= before + minutes * 60_000 && until <= after + minutes * 60_000,
            "round {round}: locked for {minutes} min"
        );
        assert_eq!(state().await, (3, Some(until), round));
        // A failure during the lock (it cannot happen through the form) does
        // not lock again.
        expire().await;
    }
    // The lock expired: the next mistake starts a new count, no lock.
    assert_eq!(
        lockout::record_guardian_failure(app.db().pool(), id, policy)
            .await
            .unwrap(),
        None
    );
    assert_eq!(state().await.0, 1, "a fresh count");
    // A successful sign-in starts the progression again.
    dossiersco::db::family::record_sign_in(app.db().pool(), id)
        .await
        .unwrap();
    assert_eq!(state().await, (0, None, 0));
    app.finish().await;
}

async fn sign_in_failures_are_counted_once_each_even_at_the_same_time(app: TestApp) {
    use dossiersco::db::sign_in_failures;
    let pool = app.db().pool().clone();
    let now = now_ms();
    let counts = futures::future::join_all((0..20).map(|_| {
        let pool = pool.clone();
        async move {
            sign_in_failures::count(&pool, "agent:test", now, 60_000)
                .await
                .unwrap()
        }
    }))
    .await;
    let mut counts = counts;
    counts.sort();
    assert_eq!(counts, (1..=20).collect::<Vec<i64>>());
    // A new window starts from one.
    assert_eq!(
        sign_in_failures::count(&pool, "agent:test", now + 60_001, 60_000)
            .await
            .unwrap(),
        1
    );
    assert!(
        sign_in_failures::lock(&pool, "agent:test", now + 120_000, now + 60_001)
            .await
            .unwrap()
    );
    assert!(
        !sign_in_failures::lock(&pool, "agent:test", now + 120_000, now + 60_001)
            .await
            .unwrap(),
        "reported once"
    );
    assert_eq!(
        sign_in_failures::locked_until(&pool, "agent:test", now + 60_002)
            .await
            .unwrap(),
        Some(now + 120_000)
    );
    app.finish().await;
}

on_both_databases!(
    a_family_code_is_locked_for_longer_each_time_then_starts_again,
    sign_in_failures_are_counted_once_each_even_at_the_same_time,
    migrations_run_once_and_again_do_nothing,
    booleans_nulls_and_big_integers_round_trip,
    the_database_refuses_invalid_rows,
    a_transaction_that_fails_leaves_nothing_behind,
    the_demo_seed_is_idempotent_and_its_family_codes_work,
);

/// sqlx 0.9.0 no longer sets TCP_NODELAY: `db::nodelay` does, on every
/// connection to PostgreSQL (40 ms per round trip over TLS otherwise).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_have_tcp_nodelay() {
    crate::harness::on_postgres(|app| async move {
        // The server tells the client port of this very connection.
        let mut conn = app.db().pool().acquire().await.unwrap();
        let local_port: i32 = sqlx::query_scalar("SELECT inet_client_port()")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let server_port: i32 = sqlx::query_scalar("SELECT inet_server_port()")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(
            db::nodelay::is_set(local_port as u16, server_port as u16),
            Some(true),
            "the socket of this connection has TCP_NODELAY"
        );
        drop(conn);
        app.finish().await;
    })
    .await;
}
