//! The ceilings every figure is compared with: what this machine can do at all.
//! - HTTP: a trivial axum handler (same runtime, same load generator, same connections).
//! - Disk: raw `write + fdatasync` per second (what bounds any durable commit).
//! - SQLite: single-row commits per second with Yishi's own connection settings
//!   (WAL, synchronous=FULL, BEGIN IMMEDIATE through `yishi::db::Db`).
//! - PostgreSQL: `pgbench -N` (simple update, one commit each) and `-S` (select only).
use crate::load::{self, Op, Stats};
use crate::server;
use anyhow::{Context, Result, bail};
use futures::FutureExt;
use sea_orm::ConnectionTrait;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Hidden subcommand: the trivial HTTP server, a separate process like `yishi`.
pub fn trivial_server(port: u16) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" })).route(
            "/json",
            axum::routing::get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        axum::serve(listener, app).await?;
        Ok(())
    })
}

/// Trivial-handler throughput: closed loop (capacity) with `users` connections.
pub async fn http_trivial(users: usize, duration: Duration) -> Result<Stats> {
    let srv = server::start_trivial().await?;
    let clients: Vec<reqwest::Client> = (0..users).map(|_| crate::client::http_client()).collect::<Result<_>>()?;
    let clients = Arc::new(clients);
    let url = format!("{}/json", srv.base);
    let op: Op = Arc::new(move |u, _k| {
        let c = clients[u].clone();
        let url = url.clone();
        async move { load::check(c.get(&url).send().await).await }.boxed()
    });
    // Warm the connections, then measure.
    load::closed("warm-up", users, Duration::from_millis(500), None, op.clone()).await;
    let s = load::with_cpu(srv.pid(), load::closed("trivial axum handler", users, duration, None, op)).await;
    drop(srv);
    Ok(s)
}

/// Raw durable appends per second on the file system that holds `dir`.
pub fn fsync_rate(dir: &std::path::Path, duration: Duration) -> Result<f64> {
    use std::io::Write;
    let path = dir.join("fsync.probe");
    let mut f = std::fs::File::create(&path)?;
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < duration {
        f.write_all(&[b'x'; 128])?;
        f.sync_data()?;
        n += 1;
    }
    drop(f);
    let _ = std::fs::remove_file(&path);
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

/// Single-row commits per second through Yishi's own connection (WAL, synchronous=FULL,
/// BEGIN IMMEDIATE) with `writers` concurrent tasks; also works on PostgreSQL.
pub async fn db_commit_rate(database_url: &str, writers: usize, duration: Duration) -> Result<f64> {
    let db = yishi::db::Db::connect(database_url).await?;
    db.conn
        .execute_unprepared("CREATE TABLE IF NOT EXISTS bench_commit (id TEXT PRIMARY KEY, v TEXT NOT NULL)")
        .await?;
    let db = Arc::new(db);
    let start = Instant::now();
    let mut hs = Vec::new();
    for _ in 0..writers {
        let db = db.clone();
        hs.push(tokio::spawn(async move {
            let mut n = 0u64;
            while start.elapsed() < duration {
                let tx = db.begin_write().await.map_err(|e| anyhow::anyhow!("{e}"))?;
                let stmt = sea_orm::Statement::from_sql_and_values(
                    tx.get_database_backend(),
                    match tx.get_database_backend() {
                        sea_orm::DbBackend::Postgres => "INSERT INTO bench_commit (id, v) VALUES ($1, $2)",
                        _ => "INSERT INTO bench_commit (id, v) VALUES (?, ?)",
                    },
                    [uuid::Uuid::now_v7().to_string().into(), "ballot".into()],
                );
                tx.execute_raw(stmt).await?;
                tx.commit().await.map_err(|e| anyhow::anyhow!("{e}"))?;
                n += 1;
            }
            anyhow::Ok(n)
        }));
    }
    let mut total = 0;
    for h in hs {
        total += h.await??;
    }
    let rate = total as f64 / start.elapsed().as_secs_f64();
    db.conn.execute_unprepared("DROP TABLE bench_commit").await?;
    Ok(rate)
}

/// Point SELECTs by primary key through `yishi::db::Db` (sea-orm → sqlx), `tasks` at once,
/// on a 1,000-row table: (queries/s, CPU µs per query of this process). Every statement of
/// a use case costs at least this, so `queries/s ÷ statements per request` bounds any
/// request's throughput.
pub async fn db_point_select_rate(database_url: &str, tasks: usize, duration: Duration) -> Result<(f64, f64)> {
    let db = yishi::db::Db::connect(database_url).await?;
    db.conn
        .execute_unprepared("CREATE TABLE IF NOT EXISTS bench_select (id TEXT PRIMARY KEY, v TEXT NOT NULL)")
        .await?;
    let backend = db.conn.get_database_backend();
    let pg = backend == sea_orm::DbBackend::Postgres;
    for i in 0..1000 {
        let sql = if pg {
            "INSERT INTO bench_select (id, v) VALUES ($1, $2)"
        } else {
            "INSERT INTO bench_select (id, v) VALUES (?, ?)"
        };
        db.conn
            .execute_raw(sea_orm::Statement::from_sql_and_values(
                backend,
                sql,
                [format!("k{i}").into(), "投票".into()],
            ))
            .await?;
    }
    let db = Arc::new(db);
    let cpu0 = crate::server::cpu_seconds(std::process::id()).unwrap_or(0.0);
    let start = Instant::now();
    let mut hs = Vec::new();
    for t in 0..tasks {
        let db = db.clone();
        hs.push(tokio::spawn(async move {
            let mut n = 0u64;
            let sql = if pg {
                "SELECT id, v FROM bench_select WHERE id = $1 LIMIT $2"
            } else {
                "SELECT id, v FROM bench_select WHERE id = ? LIMIT ?"
            };
            while start.elapsed() < duration {
                let k = format!("k{}", (n as usize * 7 + t * 13) % 1000);
                let row = db
                    .conn
                    .query_one_raw(sea_orm::Statement::from_sql_and_values(backend, sql, [k.into(), 1i64.into()]))
                    .await?;
                std::hint::black_box(row);
                n += 1;
            }
            anyhow::Ok(n)
        }));
    }
    let mut total = 0;
    for h in hs {
        total += h.await??;
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = crate::server::cpu_seconds(std::process::id()).unwrap_or(0.0) - cpu0;
    db.conn.execute_unprepared("DROP TABLE bench_select").await?;
    Ok((total as f64 / secs, cpu * 1e6 / total.max(1) as f64))
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Pgbench {
    pub read_write_tps: f64,
    pub select_only_tps: f64,
    pub clients: usize,
}

/// `pgbench -N` and `-S` with `clients` connections against a scratch database.
pub async fn pgbench(pg_admin_url: &str, clients: usize, seconds: u64) -> Result<Pgbench> {
    if which("pgbench").is_none() {
        bail!("pgbench not installed (apt-get install postgresql-client / postgresql-contrib)");
    }
    let url = server::fresh_database(std::path::Path::new("/tmp"), Some(pg_admin_url), "pgbench").await?;
    let out = async {
        let init = std::process::Command::new("pgbench")
            .args(["-i", "-q", "-s", "10", &url])
            .output()?;
        if !init.status.success() {
            bail!("pgbench -i: {}", String::from_utf8_lossy(&init.stderr));
        }
        let run = |mode: &str| -> Result<f64> {
            let o = std::process::Command::new("pgbench")
                .args([
                    mode,
                    "-M",
                    "prepared",
                    "-c",
                    &clients.to_string(),
                    "-j",
                    "2",
                    "-T",
                    &seconds.to_string(),
                    &url,
                ])
                .output()?;
            let text = String::from_utf8_lossy(&o.stdout);
            let tps = text
                .lines()
                .find(|l| l.starts_with("tps = "))
                .and_then(|l| l.trim_start_matches("tps = ").split_whitespace().next())
                .and_then(|v| v.parse::<f64>().ok())
                .with_context(|| format!("pgbench {mode} output: {text} {}", String::from_utf8_lossy(&o.stderr)))?;
            Ok(tps)
        };
        Ok(Pgbench {
            read_write_tps: run("-N")?,
            select_only_tps: run("-S")?,
            clients,
        })
    }
    .await;
    server::drop_pg(pg_admin_url, &url).await;
    out
}

pub fn which(cmd: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| std::path::Path::new(d).join(cmd))
        .find(|p| p.is_file())
}
