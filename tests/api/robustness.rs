//! CI-sized robustness checks (issue 8). The long runs are `scripts/bench.sh tamper`,
//! `crash` and `races` (crate `bench/`); these run the same harness code for seconds.
use serde_json::json;
use yishi_tests::*;

/// R19: random single-row edits, deletions, reorderings and forgeries of audit rows made
/// directly in the database are every one detected by the verifier (each inside a
/// transaction that is rolled back, so all trials run against one real chain).
#[tokio::test]
async fn r19_random_tampering_of_audit_rows_is_always_detected() {
    let app = spawn_app().await;
    // Entries written by the application itself…
    let sec = app.login("secadmin").await;
    for d in 2..6 {
        sec.put(&format!("/api/v1/units/{}/settings", app.unit()), json!({ "publication_days": d }))
            .await
            .ok();
    }
    let h = app.login("huangxin").await;
    for i in 0..5 {
        h.post(
            &format!("/api/v1/units/{}/absences", app.unit()),
            json!({"from": "2026-12-01", "to": "2026-12-02", "reason": format!("r{i}")}),
        )
        .await
        .ok();
    }
    // …and varied ones (nulls and values in every optional column).
    yishi_bench::tamper::build_chain(&app.state.db, 30, 7).await.unwrap();
    let rep = yishi_bench::tamper::run(app.db(), 160, 7).await.unwrap();
    assert!(rep.undetected.is_empty(), "undetected tampering: {:?}", rep.undetected);
    assert_eq!(rep.detected, 160, "{}", rep.summary());
    // Every kind was exercised.
    assert!(
        rep.by_kind.len() >= 8 && rep.by_kind.values().all(|(n, d)| n == d && *n > 0),
        "{:?}",
        rep.by_kind
    );
}

/// R19: a tampering that is committed is reported by `GET /api/v1/audit/verify` with the
/// first bad entry, and the chain verifies again once the row is restored.
#[tokio::test]
async fn r19_committed_tampering_is_reported_by_the_verify_endpoint() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    yishi_bench::tamper::build_chain(&app.state.db, 12, 3).await.unwrap();
    let auditor = app.login("auditor").await;
    let ok = auditor.get("/api/v1/audit/verify").await;
    assert_eq!(ok.ok()["ok"], true, "{}", ok.body);
    let n = ok.body["entries"].as_i64().unwrap();
    assert!(n >= 13);
    let victim = n / 2;
    app.db()
        .execute_unprepared(&format!("UPDATE audit_log SET action = 'ballot.forged' WHERE seq = {victim}"))
        .await
        .unwrap();
    let bad = auditor.get("/api/v1/audit/verify").await;
    assert_eq!(bad.ok()["ok"], false, "{}", bad.body);
    assert_eq!(bad.body["first_bad"]["seq"], victim, "{}", bad.body);
    // Deleting the entry instead is reported at the same place.
    app.db()
        .execute_unprepared(&format!("DELETE FROM audit_log WHERE seq = {victim}"))
        .await
        .unwrap();
    let gone = auditor.get("/api/v1/audit/verify").await;
    assert_eq!(gone.ok()["ok"], false);
    assert_eq!(gone.body["first_bad"]["seq"], victim, "{}", gone.body);
}

/// R40: decisions are memoised per loaded policy; a policy change by secadmin takes effect
/// at once (the cache is replaced with the policy), both ways.
#[tokio::test]
async fn r40_decision_cache_follows_policy_changes() {
    let app = spawn_app().await;
    let sec = app.login("secadmin").await;
    let h = app.login("huangxin").await;
    let path = format!("/api/v1/units/{}/absences", app.unit());
    let body = json!({"from": "2026-12-01", "to": "2026-12-02", "reason": "缓存"});
    // Allowed, twice (the second answer comes from the cache).
    h.post(&path, body.clone()).await.ok();
    h.post(&path, body.clone()).await.ok();
    let rule = json!({"sub": "handler", "dom": "*", "obj": "absence", "act": "create"});
    sec.send(reqwest::Method::DELETE, "/api/v1/policies", Some(rule.clone())).await.ok();
    let before = count_rows(&app, "absences").await;
    h.post(&path, body.clone()).await.err("forbidden");
    assert_eq!(count_rows(&app, "absences").await, before, "a refused request changed nothing");
    sec.post("/api/v1/policies", rule).await.ok();
    h.post(&path, body).await.ok();
    assert_eq!(count_rows(&app, "absences").await, before + 1);
}

/// R43 (CI size): a few kill -9 cycles of the crash harness against the real binary; every
/// acknowledged write survives, nothing is duplicated, the audit chain verifies.
#[tokio::test]
async fn r43_kill_9_cycles_keep_every_acknowledged_action() {
    let dir = std::env::temp_dir().join(format!("yishi-crash-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (url, pg) = fresh_database(&dir).await;
    let seeded = yishi_bench::crash::prepare(&url).await.unwrap();
    let o = yishi_bench::crash::CrashOpts {
        cycles: 3,
        bin: crate::durability::yishi_bin(),
        database_url: url.clone(),
        dir: dir.clone(),
        seed: 11,
        kill_after_ms: (300, 700),
        writers: 4,
        workloads: vec!["absences".into(), "ballots".into(), "routing".into()],
    };
    let rep = yishi_bench::crash::run(&o, &seeded).await.unwrap();
    assert!(rep.ok(), "{}", rep.summary());
    assert_eq!(rep.cycles, 3);
    assert!(
        rep.acknowledged.values().sum::<u64>() > 0,
        "nothing was acknowledged: {}",
        rep.summary()
    );
    if let Some((admin, name)) = pg {
        drop_pg_database(&admin, &name).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

async fn drop_pg_database(admin: &str, name: &str) {
    use sea_orm::ConnectionTrait;
    if let Ok(conn) = sea_orm::Database::connect(admin).await {
        let _ = conn
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        let _ = conn.close().await;
    }
}

/// R42 (CI size): randomized concurrent ballots (some sent twice at once, some racing the
/// close of the vote), approvals sent twice at once and sign-offs by two leaders at once;
/// afterwards one ballot per member per item, tallies = stored ballots, one approval and one
/// sign-off per object, gapless 文号, no 5xx, intact audit chain.
#[tokio::test]
async fn r42_random_concurrent_ballots_approvals_signoffs_keep_invariants() {
    let app = spawn_app().await;
    let seeded = yishi_bench::seed::Seeded {
        org: app.org.clone(),
        extra: Default::default(),
    };
    let voters: Vec<String> = ["lina", "wangqiang", "liuyang", "chenjing"].iter().map(|s| s.to_string()).collect();
    let o = yishi_bench::races::RaceOpts {
        ops: 160,
        items: 3,
        proposals: 5,
        documents: 5,
        concurrency: 8,
        seed: 5,
    };
    let rep = yishi_bench::races::run(&app.base, &app.database_url, &seeded, &voters, &o)
        .await
        .unwrap();
    assert!(rep.ok(), "{}", rep.summary());
    let (sent, acked, _) = rep.by_kind["ballot"];
    assert!(sent > 100 && acked > 0 && acked <= 12, "{}", rep.summary());
    assert!(rep.by_kind.get("signoff").is_some_and(|s| s.1 >= 1), "{}", rep.summary());
}

/// Issue 8 (RSS ≤ 50 MB): the SQLite pool the server runs on has the measured memory
/// settings on every connection it hands out — four connections, a 512 KiB page cache each —
/// and a write and the reads beside it still work with all four busy at once.
#[tokio::test]
async fn sqlite_pool_runs_on_four_connections_with_a_small_page_cache() {
    let app = spawn_app().await;
    if !app.state.db.is_sqlite() {
        return;
    }
    let pool = app.db().get_sqlite_connection_pool();
    assert_eq!(pool.options().get_max_connections(), 4);
    // Hold every connection at once, so each one's settings are seen, not one's four times.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(pool.acquire().await.expect("a pooled connection"));
    }
    for c in held.iter_mut() {
        let (kib,): (i64,) = sea_orm::sqlx::query_as("PRAGMA cache_size")
            .fetch_one(&mut **c)
            .await
            .unwrap();
        assert_eq!(kib, -512, "cache_size on a pooled connection");
    }
    drop(held);
    // The server still answers a write and the reads around it.
    let c = app.login("xuming").await;
    let before = count_rows(&app, "proposals").await;
    let body = json!({
        "category": "major_decision", "title": "连接池测试议题", "flags": {},
        "materials": {"topic": "研究连接池", "background": "基本情况。", "research": "调研论证。", "recommendation": "处理建议。"},
    });
    let path = format!("/api/v1/units/{}/proposals", app.unit());
    let (w, r1, r2) = tokio::join!(c.post(&path, body), c.get("/api/v1/me"), c.get(&path));
    assert_eq!(w.ok()["state"], "draft");
    r1.ok();
    r2.ok();
    assert_eq!(count_rows(&app, "proposals").await, before + 1);
}

/// A meeting's page (its items, ballots, participations, statements, observers) and an
/// object's history, attachments and pre-consultations are read through an index, in the
/// index's order: no statement reads a whole table or sorts its rows afterwards. Scenario
/// B's statement log had found "my ballots" and "who has voted" reading every ballot the
/// unit ever cast, on every open of a meeting (migration m20261205_180000_meeting_indexes).
#[tokio::test]
async fn meeting_page_and_history_reads_use_an_index_in_order() {
    use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
    let app = spawn_app().await;
    let db = app.db();
    let backend = db.get_database_backend();
    // (table, filter, order, the index that must answer it)
    let reads = [
        ("ballots", "meeting_id = 'm' AND voter_id = 'u'", "", "ix_ballots_meeting_voter"),
        ("ballot_participations", "meeting_id = 'm'", "", "ix_ballot_participations_meeting_voter"),
        ("ballot_participations", "meeting_id = 'm' AND voter_id = 'u'", "", "ix_ballot_participations_meeting_voter"),
        ("statements", "meeting_id = 'm'", "seq", "ix_statements_meeting_seq"),
        ("meeting_items", "meeting_id = 'm'", "position", "ix_meeting_items_meeting_position"),
        ("observers", "meeting_id = 'm'", "created_at", "ix_observers_meeting_created"),
        ("preconsult_records", "proposal_id = 'p'", "created_at", "ix_preconsult_proposal_created"),
        ("attachments", "owner_type = 'proposal' AND owner_id = 'p'", "created_at", "ix_attachments_owner_created"),
        ("trail", "object_type = 'meeting' AND object_id = 'm'", "at, id", "ix_trail_object_at_id"),
    ];
    for (table, filter, order, ix) in reads {
        let order_by = if order.is_empty() { String::new() } else { format!(" ORDER BY {order}") };
        let sql = format!("SELECT * FROM {table} WHERE {filter}{order_by}");
        let plan: Vec<String> = if app.state.db.is_sqlite() {
            let rows = db.query_all_raw(Statement::from_string(backend, format!("EXPLAIN QUERY PLAN {sql}"))).await.unwrap();
            rows.iter().map(|r| r.try_get::<String>("", "detail").unwrap()).collect()
        } else {
            // PostgreSQL would rightly scan an empty table; with scans and sorts priced out,
            // the plan shows whether an index can answer the read in its order.
            let tx = db.begin().await.unwrap();
            tx.execute_unprepared("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off")
                .await
                .unwrap();
            let rows = tx.query_all_raw(Statement::from_string(backend, format!("EXPLAIN {sql}"))).await.unwrap();
            let plan = rows.iter().map(|r| r.try_get::<String>("", "QUERY PLAN").unwrap()).collect();
            tx.rollback().await.unwrap();
            plan
        };
        let plan = plan.join(" / ");
        assert!(plan.contains(ix), "{sql}: not answered by {ix}: {plan}");
        // SQLite: a whole-table (or whole-index) scan, a sort afterwards; PostgreSQL: the same.
        for bad in ["SCAN ", "TEMP B-TREE", "Seq Scan", "Sort"] {
            assert!(!plan.contains(bad), "{sql}: {bad:?} in {plan}");
        }
    }
}
