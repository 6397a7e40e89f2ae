//! R46: scheduled work runs exactly once, with any number of instances on one database.
//! Every claim of a job writes one `job_attempts` row, so "ran once" is "one attempt row".
use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use yishi::config::Config;
use yishi::jobs::{self, Runner, Settings};
use yishi::startup::Application;
use yishi::state::AppState;
use yishi::store::entities::{job_attempts, jobs as jobs_t};
use yishi_tests::*;

async fn schedule(state: &AppState, kind: &str, key: &str, payload: serde_json::Value) {
    let tx = state.db.begin_write().await.unwrap();
    jobs::schedule(&*tx, kind, key, state.clock.now(), payload).await.unwrap();
    tx.commit().await.unwrap();
}

async fn job_by_key(state: &AppState, key: &str) -> Vec<jobs_t::Model> {
    jobs_t::Entity::find().filter(jobs_t::Column::DedupeKey.eq(key)).all(&state.db.conn).await.unwrap()
}

async fn attempts_of(state: &AppState, job_id: &str) -> Vec<job_attempts::Model> {
    let mut v = job_attempts::Entity::find()
        .filter(job_attempts::Column::JobId.eq(job_id))
        .all(&state.db.conn)
        .await
        .unwrap();
    v.sort_by_key(|a| a.attempt);
    v
}

/// Waits until `f` holds (the background runners tick every second).
async fn wait_for<F, Fut>(what: &str, secs: u64, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for: {what}");
}

async fn job_state(state: &AppState, key: &str) -> String {
    job_by_key(state, key).await.first().map(|j| j.state.clone()).unwrap_or_default()
}

#[tokio::test]
async fn r46_job_scheduled_twice_runs_once() {
    let app = spawn_app().await;
    let st = &app.state;
    schedule(st, "diag.noop", "test:once", json!({"n": 1})).await;
    schedule(st, "diag.noop", "test:once", json!({"n": 2})).await;
    let rows = job_by_key(st, "test:once").await;
    assert_eq!(rows.len(), 1, "the dedupe key admits one job");
    assert_eq!(rows[0].payload, json!({"n": 1}).to_string(), "the first scheduling wins");
    wait_for("job done", 20, || async move { job_state(st, "test:once").await == "done" }).await;
    // Scheduling the same occurrence after it ran does not run it again.
    schedule(st, "diag.noop", "test:once", json!({"n": 3})).await;
    jobs::run_due(st).await.unwrap();
    let rows = job_by_key(st, "test:once").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].state, "done");
    assert_eq!(rows[0].attempts, 1);
    let att = attempts_of(st, &rows[0].id).await;
    assert_eq!(att.len(), 1, "{att:?}");
    assert_eq!(att[0].outcome, "done");
    assert_eq!(att[0].instance_id, st.config.instance_id);
    let result: serde_json::Value = serde_json::from_str(rows[0].result.as_deref().unwrap()).unwrap();
    assert_eq!(result["instance"], st.config.instance_id.as_str());
}

/// A second application instance on the same database (same SQLite file, or the same
/// PostgreSQL database), with its own connection pool and instance id.
async fn second_instance(app: &TestApp) -> AppState {
    let mut config: Config = test_config(&app.database_url, &app.dir);
    config.instance_id = format!("second-{}", uuid::Uuid::now_v7());
    let b = Application::build(config).await.unwrap();
    let state = b.state.clone();
    tokio::spawn(async move {
        let _ = b.run_until_stopped().await;
    });
    state
}

fn with_instance(state: &AppState, id: &str) -> AppState {
    let mut s = state.clone();
    let mut c = (*s.config).clone();
    c.instance_id = id.to_string();
    s.config = Arc::new(c);
    s
}

#[tokio::test]
async fn r46_two_instances_run_each_job_exactly_once() {
    let app = spawn_app().await;
    let b = second_instance(&app).await;
    let n = 120;
    for i in 0..n {
        schedule(&app.state, "diag.noop", &format!("test:many:{i}"), json!({ "i": i })).await;
    }
    // Besides the two background runners, four more runners (two per connection pool)
    // tick as fast as they can, so that claims really race.
    let mut tasks = Vec::new();
    for (k, base) in [&app.state, &b, &app.state, &b].into_iter().enumerate() {
        let st = with_instance(base, &format!("racer-{k}"));
        tasks.push(tokio::spawn(async move {
            let mut r = Runner::new(st.clone(), Settings { tick: std::time::Duration::from_millis(1), ..Settings::default() });
            for _ in 0..400 {
                r.tick().await.unwrap();
                let pending = jobs_t::Entity::find()
                    .filter(jobs_t::Column::DedupeKey.starts_with("test:many:"))
                    .filter(jobs_t::Column::State.ne("done"))
                    .all(&st.db.conn)
                    .await
                    .unwrap();
                if pending.is_empty() {
                    break;
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let st = &app.state;
    wait_for("all jobs done", 30, || async move {
        jobs_t::Entity::find()
            .filter(jobs_t::Column::DedupeKey.starts_with("test:many:"))
            .filter(jobs_t::Column::State.eq("done"))
            .all(&st.db.conn)
            .await
            .unwrap()
            .len()
            == n
    })
    .await;
    let all = jobs_t::Entity::find().filter(jobs_t::Column::DedupeKey.starts_with("test:many:")).all(&st.db.conn).await.unwrap();
    let mut by_instance: HashMap<String, usize> = HashMap::new();
    for j in &all {
        assert_eq!(j.attempts, 1, "job {} claimed {} times", j.dedupe_key, j.attempts);
        let att = attempts_of(st, &j.id).await;
        assert_eq!(att.len(), 1, "job {} ran {} times: {att:?}", j.dedupe_key, att.len());
        assert_eq!(att[0].outcome, "done");
        assert_eq!(j.lease_owner.as_deref(), Some(att[0].instance_id.as_str()));
        *by_instance.entry(att[0].instance_id.clone()).or_default() += 1;
    }
    println!("jobs per instance: {by_instance:?}");
    assert!(by_instance.len() >= 2, "the runners competed for the jobs: {by_instance:?}");
    assert_eq!(by_instance.values().sum::<usize>(), n);
}

#[tokio::test]
async fn r46_sweep_runs_once_per_time_bucket_across_instances() {
    let app = spawn_app().await;
    let b = second_instance(&app).await;
    let st = &app.state;
    // Both background runners and two manual ones schedule the daily purge sweep.
    let mut r1 = Runner::new(with_instance(st, "sweeper-1"), Settings::default());
    let mut r2 = Runner::new(with_instance(&b, "sweeper-2"), Settings::default());
    r1.tick().await.unwrap();
    r2.tick().await.unwrap();
    wait_for("sweep done", 20, || async move {
        let v = jobs_t::Entity::find()
            .filter(jobs_t::Column::DedupeKey.starts_with("sweep:jobs.purge:"))
            .all(&st.db.conn)
            .await
            .unwrap();
        !v.is_empty() && v.iter().all(|j| j.state == "done")
    })
    .await;
    let sweeps = jobs_t::Entity::find()
        .filter(jobs_t::Column::DedupeKey.starts_with("sweep:jobs.purge:"))
        .all(&st.db.conn)
        .await
        .unwrap();
    assert_eq!(sweeps.len(), 1, "one sweep job per bucket: {sweeps:?}");
    assert_eq!(attempts_of(st, &sweeps[0].id).await.len(), 1);
    // The next day is a new bucket: one more run. (Only the first instance's test clock
    // moved; the second still sees the old bucket, which is already done.)
    app.advance_days(1).await;
    r1.tick().await.unwrap();
    r2.tick().await.unwrap();
    wait_for("second sweep done", 20, || async move {
        let v = jobs_t::Entity::find()
            .filter(jobs_t::Column::DedupeKey.starts_with("sweep:jobs.purge:"))
            .all(&st.db.conn)
            .await
            .unwrap();
        v.len() == 2 && v.iter().all(|j| j.state == "done")
    })
    .await;
    let sweeps = jobs_t::Entity::find()
        .filter(jobs_t::Column::DedupeKey.starts_with("sweep:jobs.purge:"))
        .all(&st.db.conn)
        .await
        .unwrap();
    for s in &sweeps {
        assert_eq!(attempts_of(st, &s.id).await.len(), 1, "{s:?}");
    }
}

async fn insert_leased(state: &AppState, key: &str, owner: &str, lease_until: chrono::DateTime<Utc>) -> String {
    use sea_orm::ActiveValue::Set;
    let id = uuid::Uuid::now_v7().to_string();
    let now = state.clock.now();
    // The job and its attempt appear together, as an instance writes them: the app's own job
    // runner ticks meanwhile and must never see the job without its running attempt.
    let tx = state.db.begin_write().await.unwrap();
    jobs_t::Entity::insert(jobs_t::ActiveModel {
        id: Set(id.clone()),
        kind: Set("diag.noop".into()),
        dedupe_key: Set(key.into()),
        run_at: Set(now - Duration::minutes(10)),
        payload: Set("{}".into()),
        state: Set("running".into()),
        lease_owner: Set(Some(owner.into())),
        lease_until: Set(Some(lease_until)),
        attempts: Set(1),
        done_at: Set(None),
        result: Set(None),
    })
    .exec_without_returning(&*tx)
    .await
    .unwrap();
    job_attempts::Entity::insert(job_attempts::ActiveModel {
        id: Set(format!("{id}#1")),
        job_id: Set(id.clone()),
        kind: Set("diag.noop".into()),
        instance_id: Set(owner.into()),
        attempt: Set(1),
        started_at: Set(now - Duration::minutes(10)),
        finished_at: Set(None),
        outcome: Set("running".into()),
        error: Set(None),
    })
    .exec_without_returning(&*tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn r46_expired_lease_is_reclaimed_and_live_lease_is_respected() {
    let app = spawn_app().await;
    let st = &app.state;
    let now = st.clock.now();
    // A crashed instance's job: its lease ran out a second ago.
    let crashed = insert_leased(st, "test:crashed", "crashed-instance", now - Duration::seconds(1)).await;
    // A job another live instance is still running: its lease lasts another hour.
    let busy = insert_leased(st, "test:busy", "busy-instance", now + Duration::hours(1)).await;
    wait_for("crashed job re-run", 20, || async move { job_state(st, "test:crashed").await == "done" }).await;
    let j = &job_by_key(st, "test:crashed").await[0];
    assert_eq!(j.attempts, 2);
    assert_eq!(j.lease_owner.as_deref(), Some(st.config.instance_id.as_str()));
    let att = attempts_of(st, &crashed).await;
    assert_eq!(att.len(), 2, "{att:?}");
    assert_eq!((att[0].instance_id.as_str(), att[0].outcome.as_str()), ("crashed-instance", "abandoned"));
    assert_eq!(att[1].outcome, "done");
    // The live lease is left alone, tick after tick.
    for _ in 0..3 {
        jobs::run_due(st).await.unwrap();
    }
    let b = &job_by_key(st, "test:busy").await[0];
    assert_eq!((b.state.as_str(), b.lease_owner.as_deref(), b.attempts), ("running", Some("busy-instance"), 1));
    assert_eq!(attempts_of(st, &busy).await.len(), 1);
    // Once its lease has expired (the busy instance died), it is picked up.
    app.advance(3_601).await;
    wait_for("busy job re-run after expiry", 20, || async move { job_state(st, "test:busy").await == "done" }).await;
    assert_eq!(attempts_of(st, &busy).await.len(), 2);
}

#[tokio::test]
async fn r46_failed_job_is_retried_with_backoff_and_each_attempt_recorded() {
    let app = spawn_app().await;
    let st = &app.state;
    schedule(st, "diag.fail", "test:flaky", json!({"fail_times": 2})).await;
    wait_for("first failure", 20, || async move { job_by_key(st, "test:flaky").await[0].attempts == 1 }).await;
    wait_for("first failure recorded", 20, || async move { job_state(st, "test:flaky").await == "pending" }).await;
    let j = job_by_key(st, "test:flaky").await.remove(0);
    let delay = j.run_at - st.clock.now();
    assert!(delay > Duration::seconds(5) && delay <= Duration::seconds(10), "retry after ~10 s, got {delay}");
    assert!(j.result.as_deref().unwrap_or("").contains("诊断任务按要求失败"), "{:?}", j.result);
    // Not retried before its time.
    jobs::run_due(st).await.unwrap();
    assert_eq!(job_by_key(st, "test:flaky").await[0].attempts, 1);
    app.advance(11).await;
    wait_for("second failure", 20, || async move {
        let j = &job_by_key(st, "test:flaky").await[0];
        j.attempts == 2 && j.state == "pending"
    })
    .await;
    let j = job_by_key(st, "test:flaky").await.remove(0);
    let delay = j.run_at - st.clock.now();
    assert!(delay > Duration::seconds(15) && delay <= Duration::seconds(20), "second retry after ~20 s, got {delay}");
    app.advance(21).await;
    wait_for("success on third attempt", 20, || async move { job_state(st, "test:flaky").await == "done" }).await;
    let att = attempts_of(st, &j.id).await;
    let outcomes: Vec<&str> = att.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(outcomes, vec!["failed", "failed", "done"]);
    assert!(att[0].error.as_deref().is_some_and(|e| e.contains("attempt 1")), "{att:?}");
}

#[tokio::test]
async fn r46_unknown_kind_fails_visibly_and_gives_up_after_max_attempts() {
    let app = spawn_app_with(|c| c.run_jobs = false).await;
    let st = &app.state;
    schedule(st, "no.such.kind", "test:unknown", json!({})).await;
    let mut r = Runner::new(st.clone(), Settings { max_attempts: 3, ..Settings::default() });
    for _ in 0..3 {
        r.tick().await.unwrap();
        app.advance(3_600).await;
    }
    let j = job_by_key(st, "test:unknown").await.remove(0);
    assert_eq!((j.state.as_str(), j.attempts), ("failed", 3));
    assert!(j.result.as_deref().unwrap_or("").contains("未知的后台任务类型"));
    r.tick().await.unwrap();
    assert_eq!(attempts_of(st, &j.id).await.len(), 3, "a failed job is not claimed again");
}

/// Two real `yishi serve` processes on one PostgreSQL database: every due job runs once.
/// Needs `YISHI_TEST_DATABASE_URL` and the binary (`cargo build -p yishi` first).
#[tokio::test]
async fn r46_two_serve_processes_on_postgresql_run_each_job_once() {
    let Some(admin) = pg_url() else {
        println!("skipped r46_two_serve_processes_on_postgresql_run_each_job_once: YISHI_TEST_DATABASE_URL is not set");
        return;
    };
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().and_then(|d| d.parent()).map(|d| d.join("yishi")).unwrap();
    if !bin.exists() {
        println!("skipped r46_two_serve_processes_on_postgresql_run_each_job_once: {} not built (run `cargo build -p yishi`)", bin.display());
        return;
    }
    let dir = std::env::temp_dir().join(format!("yishi-r46-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (url, _) = fresh_database(&dir).await;
    let db = yishi::startup::prepare_database(&url).await.unwrap();
    let n = 80;
    for i in 0..n {
        let tx = db.begin_write().await.unwrap();
        jobs::schedule(&*tx, "diag.sleep", &format!("proc:{i}"), Utc::now(), json!({"ms": 25})).await.unwrap();
        tx.commit().await.unwrap();
    }
    let mut children = Vec::new();
    for name in ["proc-a", "proc-b"] {
        let child = std::process::Command::new(&bin)
            .args(["serve", "--addr", "127.0.0.1:0", "--database-url", &url])
            .env("YISHI_INSTANCE_ID", name)
            .env("YISHI_JOB_TICK_MS", "100")
            .env("YISHI_DATA_DIR", dir.join(name))
            .env("YISHI_DIST", dir.join("dist"))
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        children.push(child);
    }
    let conn = db.conn.clone();
    let finished = async move {
        let conn = &conn;
        wait_for("all jobs done by the two processes", 60, || async move {
            jobs_t::Entity::find()
                .filter(jobs_t::Column::DedupeKey.starts_with("proc:"))
                .filter(jobs_t::Column::State.eq("done"))
                .all(conn)
                .await
                .unwrap()
                .len()
                == n
        })
        .await;
    };
    let outcome = tokio::spawn(finished).await;
    for c in &mut children {
        let _ = c.kill();
        let _ = c.wait();
    }
    outcome.unwrap();
    let all = jobs_t::Entity::find().filter(jobs_t::Column::DedupeKey.starts_with("proc:")).all(&db.conn).await.unwrap();
    let ids: Vec<String> = all.iter().map(|j| j.id.clone()).collect();
    let att = job_attempts::Entity::find().filter(job_attempts::Column::JobId.is_in(ids)).all(&db.conn).await.unwrap();
    assert_eq!(att.len(), n, "one attempt per job");
    let distinct: HashSet<&str> = att.iter().map(|a| a.job_id.as_str()).collect();
    assert_eq!(distinct.len(), n);
    let mut per: HashMap<&str, usize> = HashMap::new();
    for a in &att {
        assert_eq!(a.outcome, "done");
        *per.entry(a.instance_id.as_str()).or_default() += 1;
    }
    println!("jobs per process: {per:?}");
    assert!(per.contains_key("proc-a") && per.contains_key("proc-b"), "both processes ran jobs: {per:?}");
    db.conn.close().await.ok();
    drop_pg_database(&admin, &url).await;
    let _ = std::fs::remove_dir_all(&dir);
}

fn yishi_bin() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?.parent()?.join("yishi");
    bin.exists().then_some(bin)
}

fn serve(bin: &std::path::Path, url: &str, name: &str, dir: &std::path::Path) -> std::process::Child {
    std::process::Command::new(bin)
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", url])
        .env("YISHI_INSTANCE_ID", name)
        .env("YISHI_JOB_TICK_MS", "100")
        .env("YISHI_JOB_LEASE_SECS", "6")
        .env("YISHI_DATA_DIR", dir.join(name))
        .env("YISHI_DIST", dir.join("dist"))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// A `yishi serve` process killed with SIGKILL while running a job: another process takes
/// the job over once the lease has run out, and it completes exactly once. SQLite (one
/// process at a time) or PostgreSQL.
#[tokio::test]
async fn r46_job_of_a_killed_process_is_taken_over_after_its_lease() {
    let Some(bin) = yishi_bin() else {
        println!("skipped r46_job_of_a_killed_process_is_taken_over_after_its_lease: target/debug/yishi not built (run `cargo build -p yishi`)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("yishi-r46k-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (url, _) = fresh_database(&dir).await;
    let db = yishi::startup::prepare_database(&url).await.unwrap();
    let tx = db.begin_write().await.unwrap();
    jobs::schedule(&*tx, "diag.sleep", "kill:1", Utc::now(), json!({"ms": 2500})).await.unwrap();
    tx.commit().await.unwrap();
    let key = "kill:1";
    let find = |conn: sea_orm::DatabaseConnection| async move {
        jobs_t::Entity::find().filter(jobs_t::Column::DedupeKey.eq(key)).one(&conn).await.unwrap().unwrap()
    };
    let mut a = serve(&bin, &url, "proc-a", &dir);
    // Wait until A holds the job, then kill it mid-run.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let j = find(db.conn.clone()).await;
        if j.state == "running" && j.lease_owner.as_deref() == Some("proc-a") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "proc-a never claimed the job: {j:?}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    a.kill().unwrap();
    a.wait().unwrap();
    let j = find(db.conn.clone()).await;
    assert_eq!((j.state.as_str(), j.attempts), ("running", 1), "killed mid-run: {j:?}");
    let mut b = serve(&bin, &url, "proc-b", &dir);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    let done = loop {
        let j = find(db.conn.clone()).await;
        if j.state == "done" || std::time::Instant::now() > deadline {
            break j;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    b.kill().unwrap();
    b.wait().unwrap();
    assert_eq!((done.state.as_str(), done.attempts, done.lease_owner.as_deref()), ("done", 2, Some("proc-b")), "{done:?}");
    let att = attempts_of_conn(&db.conn, &done.id).await;
    let got: Vec<(&str, &str)> = att.iter().map(|a| (a.instance_id.as_str(), a.outcome.as_str())).collect();
    assert_eq!(got, vec![("proc-a", "abandoned"), ("proc-b", "done")]);
    db.conn.close().await.ok();
    if let Some(admin) = pg_url() {
        drop_pg_database(&admin, &url).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

async fn attempts_of_conn(conn: &sea_orm::DatabaseConnection, job_id: &str) -> Vec<job_attempts::Model> {
    let mut v = job_attempts::Entity::find().filter(job_attempts::Column::JobId.eq(job_id)).all(conn).await.unwrap();
    v.sort_by_key(|a| a.attempt);
    v
}

async fn drop_pg_database(admin: &str, url: &str) {
    use sea_orm::ConnectionTrait;
    let name = url.rsplit('/').next().unwrap_or_default().to_string();
    if let Ok(conn) = sea_orm::Database::connect(admin).await {
        let _ = conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        let _ = conn.close().await;
    }
}
