//! Crash durability (R43): run write workloads against a real `yishi` process, `kill -9`
//! it at a random moment, restart it on the same database and check that every action
//! the server acknowledged is there exactly once, numbers are gapless and the audit chain
//! verifies. Repeated for many cycles on one growing database, SQLite or PostgreSQL.
//! Sometimes the kill lands during start-up (recovery itself is interrupted).
use crate::client::Session;
use crate::seed::{self, Seeded};
use crate::server::{self, Proc};
use anyhow::{Context, Result, anyhow, bail};
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct CrashOpts {
    pub cycles: usize,
    pub bin: PathBuf,
    pub database_url: String,
    pub dir: PathBuf,
    pub seed: u64,
    /// Kill after a random delay in this range (ms) of the workload.
    pub kill_after_ms: (u64, u64),
    /// Concurrent writers.
    pub writers: usize,
    /// Workloads to run (those whose routes exist): "absences", "ballots", "routing".
    pub workloads: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct CrashReport {
    pub cycles: usize,
    pub kills_during_startup: usize,
    /// Acknowledged actions per workload, summed over the cycles.
    pub acknowledged: BTreeMap<String, u64>,
    /// Acknowledged actions missing after the restart (must be 0).
    pub lost: u64,
    /// Duplicated effects found (must be 0).
    pub duplicated: u64,
    /// Gaps or repeats in serial numbers / 文号 (must be 0).
    pub number_gaps: u64,
    /// Audit chain failures after a restart (must be 0).
    pub audit_failures: u64,
    pub audit_entries: i64,
    pub restart_ms_p50: f64,
    pub restart_ms_max: f64,
    pub problems: Vec<String>,
}

impl CrashReport {
    pub fn ok(&self) -> bool {
        self.lost == 0 && self.duplicated == 0 && self.number_gaps == 0 && self.audit_failures == 0 && self.problems.is_empty()
    }
    pub fn summary(&self) -> String {
        format!(
            "{} cycles ({} killed during start-up): acknowledged {:?}; lost {}, duplicated {}, number gaps {}, audit failures {} ({} entries); restart p50 {:.0} ms, max {:.0} ms{}",
            self.cycles,
            self.kills_during_startup,
            self.acknowledged,
            self.lost,
            self.duplicated,
            self.number_gaps,
            self.audit_failures,
            self.audit_entries,
            self.restart_ms_p50,
            self.restart_ms_max,
            if self.problems.is_empty() { String::new() } else { format!("; problems: {:?}", self.problems) }
        )
    }
}

/// What the workers were told "done" for, by workload.
#[derive(Default)]
struct Acked {
    absences: Vec<String>,
    extra: BTreeMap<String, Vec<String>>,
}

/// Seeds the database the crash harness runs on (call once, before `run`).
pub async fn prepare(database_url: &str) -> Result<Seeded> {
    seed::seed(database_url, &[]).await
}

pub async fn run(o: &CrashOpts, seeded: &Seeded) -> Result<CrashReport> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(o.seed);
    let mut rep = CrashReport::default();
    let mut restart_ms = Vec::new();
    let port = server::free_port()?;
    let mut proc = server::start_yishi(&o.bin, &o.database_url, &o.dir, Some(port)).await?;
    for cycle in 0..o.cycles {
        let acked = Arc::new(Mutex::new(Acked::default()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut tasks = Vec::new();
        if o.workloads.iter().any(|w| w == "absences") {
            for w in 0..o.writers {
                let who = ["huangxin", "gaofei", "xuming", "mali", "hejun", "luoyan", "zhoujie", "wuhua"][w % 8];
                let s = Session::sign_in(&proc.base, who, seed::PASSWORD).await?;
                tasks.push(tokio::spawn(absence_writer(s, seeded.unit().to_string(), acked.clone(), stop.clone(), cycle, w)));
            }
        }
        let delay = rng.gen_range(o.kill_after_ms.0..=o.kill_after_ms.1);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        proc.kill9();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        // Restart; one time in ten, kill it again while it starts (before it is ready).
        if rng.gen_bool(0.1) {
            let mut p = spawn_only(&o.bin, &o.database_url, &o.dir, port)?;
            tokio::time::sleep(Duration::from_millis(rng.gen_range(5..150))).await;
            p.kill9();
            rep.kills_during_startup += 1;
        }
        let t0 = Instant::now();
        proc = server::start_yishi(&o.bin, &o.database_url, &o.dir, Some(port)).await.with_context(|| format!("restart after cycle {cycle}"))?;
        restart_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        // Check with a separate connection while the restarted server runs.
        let db = sea_orm::Database::connect(&o.database_url).await?;
        let a = std::mem::take(&mut *acked.lock().map_err(|_| anyhow!("poisoned"))?);
        check_absences(&db, &a.absences, &mut rep).await?;
        *rep.acknowledged.entry("absences".into()).or_default() += a.absences.len() as u64;
        for (k, v) in &a.extra {
            *rep.acknowledged.entry(k.clone()).or_default() += v.len() as u64;
        }
        check_counters(&db, &mut rep).await?;
        let v = yishi::audit::verify(&db).await.map_err(|e| anyhow!("{e}"))?;
        if !v.ok {
            rep.audit_failures += 1;
            rep.problems.push(format!("cycle {cycle}: audit chain broken: {:?}", v.first_bad));
        }
        rep.audit_entries = v.entries;
        db.close().await?;
        rep.cycles = cycle + 1;
        if !rep.ok() {
            break;
        }
    }
    proc.stop();
    restart_ms.sort_by(|a, b| a.total_cmp(b));
    rep.restart_ms_p50 = restart_ms.get(restart_ms.len() / 2).copied().unwrap_or(0.0);
    rep.restart_ms_max = restart_ms.last().copied().unwrap_or(0.0);
    Ok(rep)
}

fn spawn_only(bin: &Path, url: &str, dir: &Path, port: u16) -> Result<Proc> {
    let child = std::process::Command::new(bin)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--database-url", url])
        .env("YISHI_DATA_DIR", dir.join("data"))
        .env("YISHI_DIST", dir.join("dist"))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    Ok(Proc { child, base: format!("http://127.0.0.1:{port}"), port })
}

async fn absence_writer(s: Session, unit: String, acked: Arc<Mutex<Acked>>, stop: Arc<std::sync::atomic::AtomicBool>, cycle: usize, w: usize) {
    let mut i = 0u64;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let body = json!({ "from": "2026-12-01", "to": "2026-12-02", "reason": format!("c{cycle}-w{w}-{i}") });
        match s.call(reqwest::Method::POST, &format!("/api/v1/units/{unit}/absences"), Some(&body)).await {
            Ok((200..=299, v)) => {
                if let (Some(id), Ok(mut a)) = (v["id"].as_str(), acked.lock()) {
                    a.absences.push(id.to_string());
                }
            }
            _ => break, // the server died
        }
        i += 1;
    }
}

async fn ids(db: &DatabaseConnection, sql: &str) -> Result<Vec<String>> {
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_string())).await?;
    rows.iter().map(|r| r.try_get::<String>("", "id").map_err(|e| anyhow!("{e}"))).collect()
}

async fn check_absences(db: &DatabaseConnection, acked: &[String], rep: &mut CrashReport) -> Result<()> {
    if acked.is_empty() {
        return Ok(());
    }
    let stored: HashSet<String> = ids(db, "SELECT id FROM absences").await?.into_iter().collect();
    let lost: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    if !lost.is_empty() {
        rep.lost += lost.len() as u64;
        rep.problems.push(format!("{} acknowledged absences lost, e.g. {}", lost.len(), lost[0]));
    }
    // One row per acknowledged request: the reason text is unique per request.
    let dup = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT reason, COUNT(*) AS n FROM absences GROUP BY reason HAVING COUNT(*) > 1".to_string(),
        ))
        .await?;
    if !dup.is_empty() {
        rep.duplicated += dup.len() as u64;
        rep.problems.push(format!("{} absence requests stored twice", dup.len()));
    }
    Ok(())
}

/// Every gapless series (minutes serials, 文号): the numbers handed out for a counter
/// key must be exactly 1..=value. Checked by the flow workloads that know where numbers
/// are stored; here only the counters themselves must be sane.
async fn check_counters(db: &DatabaseConnection, rep: &mut CrashReport) -> Result<()> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT key, value FROM counters".to_string()))
        .await?;
    for r in rows {
        let v: i64 = r.try_get("", "value")?;
        if v < 0 {
            rep.number_gaps += 1;
            let k: String = r.try_get("", "key")?;
            rep.problems.push(format!("counter {k} is negative"));
        }
    }
    Ok(())
}

pub fn bail_if_bad(rep: &CrashReport) -> Result<()> {
    if !rep.ok() {
        bail!("durability violated: {}", rep.summary());
    }
    Ok(())
}
