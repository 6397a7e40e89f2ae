//! Starting and stopping server processes (the real `yishi` binary, the trivial axum
//! ceiling), free ports, fresh databases, and the memory figures of a process.
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Where the `yishi` binary is: `$YISHI_BIN`, else next to this executable.
pub fn yishi_bin() -> Result<PathBuf> {
    if let Ok(p) = std::env::var("YISHI_BIN") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("executable has no directory")?;
    for cand in [dir.join("yishi"), dir.parent().map(|p| p.join("yishi")).unwrap_or_default()] {
        if cand.is_file() {
            return Ok(cand);
        }
    }
    bail!("yishi binary not found next to {} (build it, or set YISHI_BIN)", exe.display())
}

pub struct Proc {
    pub child: Child,
    pub base: String,
    pub port: u16,
}

impl Proc {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
    /// SIGKILL (no chance to flush anything) and reap.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
    /// SIGTERM and wait for the graceful shutdown.
    pub fn stop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill9();
    }
    pub fn memory(&self) -> Option<Memory> {
        memory_of(self.child.id())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill9();
        }
    }
}

/// Starts `yishi serve` on a free port against `database_url`, waits until /readyz answers.
pub async fn start_yishi(bin: &Path, database_url: &str, dir: &Path, port: Option<u16>) -> Result<Proc> {
    let port = match port {
        Some(p) => p,
        None => free_port()?,
    };
    std::fs::create_dir_all(dir.join("dist"))?;
    let log = std::fs::File::create(dir.join(format!("yishi-{port}.log")))?;
    let child = Command::new(bin)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--database-url", database_url])
        .env("YISHI_DATA_DIR", dir.join("data"))
        .env("YISHI_DIST", dir.join("dist"))
        .env("YISHI_TEST_CLOCK", "1")
        // YISHI_SQL_LOG=1 with YISHI_BENCH_SERVER_LOG=sqlx::query=info logs every statement in yishi-<port>.log
        // (the server inherits YISHI_SQL_LOG; without it sqlx logs nothing).
        .env("RUST_LOG", std::env::var("YISHI_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()))
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let base = format!("http://127.0.0.1:{port}");
    let mut proc = Proc { child, base, port };
    wait_ready(&mut proc, "/readyz").await?;
    Ok(proc)
}

/// Starts this binary's hidden `trivial-server` (the axum ceiling).
pub async fn start_trivial() -> Result<Proc> {
    let port = free_port()?;
    let child = Command::new(std::env::current_exe()?)
        .args(["trivial-server", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let mut proc = Proc {
        child,
        base: format!("http://127.0.0.1:{port}"),
        port,
    };
    wait_ready(&mut proc, "/").await?;
    Ok(proc)
}

async fn wait_ready(proc: &mut Proc, path: &str) -> Result<()> {
    let http = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(Some(status)) = proc.child.try_wait() {
            bail!("server exited during start-up: {status}");
        }
        if let Ok(r) = http.get(format!("{}{}", proc.base, path)).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("server at {} did not become ready", proc.base)
}

#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Memory {
    /// Resident set now (VmRSS), KiB.
    pub rss_kib: u64,
    /// Peak resident set since start (VmHWM), KiB.
    pub hwm_kib: u64,
}

pub fn memory_of(pid: u32) -> Option<Memory> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> { text.lines().find(|l| l.starts_with(name))?.split_whitespace().nth(1)?.parse().ok() };
    Some(Memory {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
    })
}

/// CPU time (user + system) a process has used so far, in seconds.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = text.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / clock_ticks())
}

/// CPU seconds (user + system) of every `postgres` process on this machine now: the
/// PostgreSQL server's cost, which `cpu_seconds` of yishi's own process does not include.
pub fn postgres_cpu_seconds() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0.0 };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres"))
        .filter_map(cpu_seconds)
        .sum()
}

fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse::<f64>().ok())
        .unwrap_or(100.0))
}

/// A fresh database: a SQLite file in `dir`, or a new PostgreSQL database on the server
/// of `pg_admin_url` (dropped by [`drop_pg`]).
pub async fn fresh_database(dir: &Path, pg_admin_url: Option<&str>, tag: &str) -> Result<String> {
    std::fs::create_dir_all(dir)?;
    match pg_admin_url {
        None => Ok(format!("sqlite://{}/{tag}.db?mode=rwc", dir.display())),
        Some(admin) => {
            use sea_orm::ConnectionTrait;
            let name = format!("yishi_bench_{tag}_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
            let conn = sea_orm::Database::connect(admin).await?;
            conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
            conn.close().await?;
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or_else(|| admin.to_string());
            Ok(format!("{base}/{name}"))
        }
    }
}

pub async fn drop_pg(pg_admin_url: &str, database_url: &str) {
    use sea_orm::ConnectionTrait;
    let Some((_, name)) = database_url.rsplit_once('/') else { return };
    if let Ok(conn) = sea_orm::Database::connect(pg_admin_url).await {
        let _ = conn
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        let _ = conn.close().await;
    }
}

/// A scratch directory under the system temp dir.
pub fn scratch(tag: &str) -> Result<PathBuf> {
    let d = std::env::temp_dir().join(format!("yishi-bench-{tag}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

/// Removes a run's scratch directory, unless `YISHI_BENCH_KEEP` is set (then the database
/// and the server's log stay for a look afterwards, and the path is printed).
pub fn cleanup(dir: &Path) {
    if std::env::var_os("YISHI_BENCH_KEEP").is_some() {
        eprintln!("[bench] kept {}", dir.display());
        return;
    }
    let _ = std::fs::remove_dir_all(dir);
}
