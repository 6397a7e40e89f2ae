//! `yishi-bench run`: the whole benchmark in one process — ceilings, authorization, the
//! scenarios against a fresh `yishi` (SQLite, then PostgreSQL), memory — written into
//! docs/performance.md.
use crate::load::{self, Stats};
use crate::report::{self, Machine, Section, ratio};
use crate::{ceilings, scenarios, seed, server};
use anyhow::Result;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Opts {
    pub runs: usize,
    pub seconds: u64,
    pub users: usize,
    pub pg: Option<String>,
    pub doc: PathBuf,
    pub only: Vec<String>,
}

impl Opts {
    /// Is the step wanted (`--only b`, or `--only b-pg` for one database of it)?
    pub fn wants(&self, what: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == what || o.strip_prefix(what).is_some_and(|r| r.starts_with('-')))
    }
    /// Is the step wanted on this database (`sqlite` or `pg`): `--only b` runs both,
    /// `--only b-pg` PostgreSQL only.
    pub fn wants_db(&self, what: &str, db: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == what || *o == format!("{what}-{db}"))
    }
    pub fn dur_pub(&self) -> Duration {
        self.dur()
    }
    fn dur(&self) -> Duration {
        Duration::from_secs(self.seconds)
    }
}

/// What the scenarios compare with (filled by the ceilings step, or read from the last run).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Ceil {
    pub trivial_rps: f64,
    pub trivial_p99_ms: f64,
    pub fsync_per_s: f64,
    pub sqlite_commit_1: f64,
    pub sqlite_commit_n: f64,
    pub pg_commit_n: f64,
    pub pgbench_n: f64,
    pub pgbench_s: f64,
    #[serde(default)]
    pub sqlite_select_rate: f64,
    #[serde(default)]
    pub sqlite_select_cpu_us: f64,
    #[serde(default)]
    pub pg_select_rate: f64,
    #[serde(default)]
    pub pg_select_cpu_us: f64,
    #[serde(default)]
    pub trivial_server_cpu_ms: f64,
    #[serde(default)]
    pub trivial_client_cpu_ms: f64,
}

fn median_f(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

pub async fn run(o: &Opts) -> Result<()> {
    let mut ceil = report::load_all(&o.doc)
        .get("ceilings")
        .and_then(|s| serde_json::from_value::<Ceil>(s.data.clone()).ok())
        .unwrap_or_default();
    if o.wants("ceilings") {
        ceil = ceilings_step(o).await?;
    }
    if o.wants("authz") {
        authz_step(o).await?;
    }
    if o.wants("q") {
        scenario_q_step(o, &ceil).await?;
    }
    if o.wants("b") {
        crate::ballots::step(o, &ceil).await?;
    }
    if o.wants("r") {
        crate::routing::step(o, &ceil).await?;
    }
    if o.wants("pdf") {
        crate::pdf::step(o.runs.max(5) * 3, &o.doc)?;
    }
    Ok(())
}

async fn ceilings_step(o: &Opts) -> Result<Ceil> {
    let m = Machine::now();
    let dir = server::scratch("ceil")?;
    let mut trivial = Vec::new();
    let (mut fs, mut sq1, mut sqn, mut pgn, mut pbn, mut pbs) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut ssel, mut ssel_cpu, mut psel, mut psel_cpu) = (vec![], vec![], vec![], vec![]);
    for r in 0..o.runs {
        eprintln!("[ceilings] run {}/{}", r + 1, o.runs);
        let t = ceilings::http_trivial(o.users, o.dur()).await?;
        eprintln!("  {}", t.line());
        trivial.push(t);
        fs.push(ceilings::fsync_rate(&dir, Duration::from_secs(3))?);
        let url = server::fresh_database(&dir, None, &format!("commit{r}")).await?;
        sq1.push(ceilings::db_commit_rate(&url, 1, Duration::from_secs(5)).await?);
        sqn.push(ceilings::db_commit_rate(&url, o.users, Duration::from_secs(5)).await?);
        let (rate, cpu) = ceilings::db_point_select_rate(&url, 8, Duration::from_secs(3)).await?;
        ssel.push(rate);
        ssel_cpu.push(cpu);
        eprintln!(
            "  fsync {:.0}/s, sqlite commits 1 writer {:.0}/s, {} writers {:.0}/s, point selects {rate:.0}/s ({cpu:.0} µs CPU each)",
            fs[r], sq1[r], o.users, sqn[r]
        );
        if let Some(pg) = &o.pg {
            let url = server::fresh_database(&dir, Some(pg), "commit").await?;
            pgn.push(ceilings::db_commit_rate(&url, o.users, Duration::from_secs(5)).await?);
            let (rate, cpu) = ceilings::db_point_select_rate(&url, 8, Duration::from_secs(3)).await?;
            psel.push(rate);
            psel_cpu.push(cpu);
            server::drop_pg(pg, &url).await;
            match ceilings::pgbench(pg, o.users, o.seconds).await {
                Ok(p) => {
                    eprintln!("  pgbench -N {:.0} tps, -S {:.0} tps", p.read_write_tps, p.select_only_tps);
                    pbn.push(p.read_write_tps);
                    pbs.push(p.select_only_tps);
                }
                Err(e) => eprintln!("  pgbench: {e}"),
            }
        }
    }
    let t = load::median(&trivial);
    let c = Ceil {
        trivial_rps: t.throughput,
        trivial_p99_ms: t.p99_ms,
        fsync_per_s: median_f(fs),
        sqlite_commit_1: median_f(sq1),
        sqlite_commit_n: median_f(sqn),
        pg_commit_n: median_f(pgn),
        pgbench_n: median_f(pbn),
        pgbench_s: median_f(pbs),
        sqlite_select_rate: median_f(ssel),
        sqlite_select_cpu_us: median_f(ssel_cpu),
        pg_select_rate: median_f(psel),
        pg_select_cpu_us: median_f(psel_cpu),
        trivial_server_cpu_ms: t.server_cpu_ms,
        trivial_client_cpu_ms: t.client_cpu_ms,
    };
    let mut body = String::from("| ceiling | figure | how measured |\n| --- | ---: | --- |\n");
    body += &format!(
        "| trivial axum handler (HTTP ceiling) | {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms | `GET /json` of a one-line axum 0.8 handler in its own process, {} connections, closed loop, same load generator as the scenarios |\n",
        t.throughput, t.p50_ms, t.p99_ms, o.users
    );
    body += &format!(
        "| disk: write + fdatasync | {:.0} /s | 128-byte append + `fdatasync` loop in the scratch directory ({}) |\n",
        c.fsync_per_s,
        dir.display()
    );
    body += &format!(
        "| SQLite single-row commit, 1 writer | {:.0} commits/s | through `yishi::db::Db` (WAL, synchronous=FULL, BEGIN IMMEDIATE): the bound of any one-action-per-transaction write |\n",
        c.sqlite_commit_1
    );
    body += &format!(
        "| SQLite single-row commit, {} writers | {:.0} commits/s | same, concurrent tasks (SQLite serialises writers) |\n",
        o.users, c.sqlite_commit_n
    );
    body += &format!(
        "| SQLite point SELECT through sea-orm/sqlx, 8 tasks | {:.0} queries/s, {:.0} µs CPU each | primary-key lookup with a bound `LIMIT ?` like every `.one()`; every statement of a request costs at least this |\n",
        c.sqlite_select_rate, c.sqlite_select_cpu_us
    );
    body += &format!(
        "| CPU per trivial request | server {:.3} ms + load generator {:.3} ms | the same run as the HTTP ceiling |\n",
        c.trivial_server_cpu_ms, c.trivial_client_cpu_ms
    );
    if o.pg.is_some() {
        body += &format!(
            "| PostgreSQL single-row commit, {} writers | {:.0} commits/s | through `yishi::db::Db` (pool of 24) |\n",
            o.users, c.pg_commit_n
        );
        body += &format!(
            "| PostgreSQL point SELECT through sea-orm/sqlx, 8 tasks | {:.0} queries/s, {:.0} µs CPU each (client side) | as above |\n",
            c.pg_select_rate, c.pg_select_cpu_us
        );
        body += &format!(
            "| PostgreSQL `pgbench -N` | {:.0} tps | `pgbench -N -M prepared -c {} -j 2 -T {}`, scale 10 |\n",
            c.pgbench_n, o.users, o.seconds
        );
        body += &format!(
            "| PostgreSQL `pgbench -S` | {:.0} tps | `pgbench -S -M prepared -c {} -j 2 -T {}`, scale 10 |\n",
            c.pgbench_s, o.users, o.seconds
        );
    }
    body += &format!(
        "\nThe disk allows about {:.0} durable commits per second; a SQLite commit in WAL mode with synchronous=FULL costs one fsync of the WAL, so **no design that commits each ballot in its own transaction can exceed ≈{:.0} ballots/s here**. Reaching more needs several acknowledged actions per fsync (group commit), see scenario B.\n",
        c.fsync_per_s, c.sqlite_commit_1
    );
    report::save(
        "ceilings",
        Section {
            title: "Ceilings (what this machine can do at all)".into(),
            command: report::command_line(),
            at: report::now(),
            machine: m.finish(),
            body,
            data: serde_json::to_value(&c)?,
        },
        &o.doc,
    )?;
    server::cleanup(&dir);
    Ok(c)
}

async fn authz_step(o: &Opts) -> Result<()> {
    let m = Machine::now();
    let mut rs = Vec::new();
    for r in 0..o.runs {
        let dir = server::scratch("authz")?;
        let a = crate::authz::bench(&dir, 10_000, Duration::from_secs(3)).await?;
        eprintln!(
            "[authz] run {}: {:.0}/s (1 thread), {:.0}/s ({} threads), cold {:.0}/s, allowed {:.0}%",
            r + 1,
            a.decisions_per_s_1,
            a.decisions_per_s_n,
            a.threads,
            a.cold_decisions_per_s,
            a.allowed_share * 100.0
        );
        rs.push(a);
        server::cleanup(&dir);
    }
    let one = median_f(rs.iter().map(|a| a.decisions_per_s_1).collect());
    let many = median_f(rs.iter().map(|a| a.decisions_per_s_n).collect());
    let cold = median_f(rs.iter().map(|a| a.cold_decisions_per_s).collect());
    let a = rs.first().cloned().unwrap_or_default();
    let body = format!(
        "| figure | value | target | met |\n| --- | ---: | ---: | --- |\n\
         | decisions/s, 1 thread | {one:.0} | ≥ 100,000 | {} |\n\
         | decisions/s, {} threads | {many:.0} | ≥ 100,000 | {} |\n\
         | first decision of each distinct request (cold) | {cold:.0} /s | — | — |\n\n\
         `yishi::authz::Authz::allowed` alone, default policy ({} rules), {} accounts with role assignments in the demo unit, \
         a fixed mix of {} distinct (user, unit, object, action) requests drawn from the policy ({:.0}% allowed).\n",
        if one >= 100_000.0 { "yes" } else { "**no**" },
        a.threads,
        if many >= 100_000.0 { "yes" } else { "**no**" },
        a.policies,
        a.users,
        a.distinct_requests,
        a.allowed_share * 100.0
    );
    report::save(
        "authz",
        Section {
            title: "Authorization decisions (enforcer alone)".into(),
            command: report::command_line(),
            at: report::now(),
            machine: m.finish(),
            body,
            data: serde_json::to_value(&rs)?,
        },
        &o.doc,
    )
}

/// Memory of the server during a scenario: sampled every 100 ms.
pub struct MemWatch {
    stop: Arc<std::sync::atomic::AtomicBool>,
    handle: tokio::task::JoinHandle<Vec<u64>>,
    pid: u32,
}

impl MemWatch {
    pub fn start(pid: u32) -> MemWatch {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s = stop.clone();
        let handle = tokio::spawn(async move {
            let mut v = Vec::new();
            while !s.load(std::sync::atomic::Ordering::Relaxed) {
                if let Some(m) = server::memory_of(pid) {
                    v.push(m.rss_kib);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            v
        });
        MemWatch { stop, handle, pid }
    }
    /// (peak VmHWM KiB, steady = median VmRSS KiB over the samples)
    pub async fn finish(self) -> (u64, u64) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let hwm = server::memory_of(self.pid).map(|m| m.hwm_kib).unwrap_or(0);
        let mut v = self.handle.await.unwrap_or_default();
        v.sort_unstable();
        (hwm, v.get(v.len() / 2).copied().unwrap_or(0))
    }
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

async fn scenario_q_step(o: &Opts, ceil: &Ceil) -> Result<()> {
    let m = Machine::now();
    let bin = server::yishi_bin()?;
    let mut per_endpoint: std::collections::BTreeMap<String, (Vec<Stats>, Vec<Stats>)> = Default::default();
    let mut mem = Vec::new();
    let mut signin = Vec::new();
    for r in 0..o.runs {
        let dir = server::scratch("q")?;
        let url = server::fresh_database(&dir, None, "q").await?;
        // The demo's business data too: its published minutes are the open publications read here.
        let seeded = seed::seed_with_flows(&url, &[("member", o.users, None)], &dir.join("data")).await?;
        let proc = server::start_yishi(&bin, &url, &dir, None).await?;
        let watch = MemWatch::start(proc.pid());
        let routes = scenarios::routes(&proc.base).await?;
        let names = seeded.extra.get("member").cloned().unwrap_or_default();
        let (sessions, si) = scenarios::sign_in_all(&proc.base, &names, seed::PASSWORD).await?;
        eprintln!("[q] run {}: {}", r + 1, si.line());
        signin.push(si);
        let fixtures = crate::fixtures::reads(&proc.base, &seeded, &routes).await?;
        let mut endpoints: Vec<(String, crate::fixtures::PathOf)> = vec![
            (
                "GET /api/v1/me/tasks (to-do list)".into(),
                Arc::new(|_, _| "/api/v1/me/tasks".to_string()),
            ),
            ("GET /api/v1/me".into(), Arc::new(|_, _| "/api/v1/me".to_string())),
        ];
        endpoints.extend(fixtures);
        for (label, path_of) in endpoints {
            let (cap, lat) = scenarios::read_endpoint(proc.pid(), &label, &sessions, path_of, o.dur()).await;
            eprintln!("  {}\n  {}", cap.line(), lat.line());
            let e = per_endpoint.entry(label).or_default();
            e.0.push(cap);
            e.1.push(lat);
        }
        mem.push(watch.finish().await);
        drop(proc);
        server::cleanup(&dir);
    }
    let mut body = format!(
        "{} signed-in members, one connection each; fresh SQLite database: the demo unit with the demo's business data (its published minutes are the open publications read here), the members, and ten proposals on a noticed meeting (so the members may open them, R07). Target: each read ≥ 25% of the trivial-handler ceiling ({:.0} req/s).\n\n\
         | endpoint | capacity | ratio to ceiling | target met | p50 (paced at 80%) | p99 (paced at 80%) | server CPU per request (trivial: {:.3} ms) | errors |\n| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |\n",
        o.users, ceil.trivial_rps, ceil.trivial_server_cpu_ms
    );
    let mut data = serde_json::Map::new();
    for (label, (caps, lats)) in &per_endpoint {
        let c = load::median(caps);
        let l = load::median(lats);
        body += &format!(
            "| `{label}` | {:.0} req/s | {} | {} | {:.2} ms | {:.2} ms | {:.3} ms | {} |\n",
            c.throughput,
            ratio(c.throughput, ceil.trivial_rps),
            if c.throughput >= 0.25 * ceil.trivial_rps { "yes" } else { "**no**" },
            l.p50_ms,
            l.p99_ms,
            c.server_cpu_ms,
            c.errors + l.errors
        );
        data.insert(label.clone(), json!({ "capacity": c, "paced": l }));
    }
    let si = load::median(&signin);
    body += &format!(
        "\nSign-in of {} users at once (argon2id, one hash each): p50 {:.0} ms, p99 {:.0} ms, {} errors.\n",
        o.users, si.p50_ms, si.p99_ms, si.errors
    );
    let hwm = median_f(mem.iter().map(|m| m.0 as f64).collect());
    let steady = median_f(mem.iter().map(|m| m.1 as f64).collect());
    body += &format!(
        "\nServer memory during this scenario ({} connections): peak (VmHWM) {:.1} MiB, steady (median VmRSS) {:.1} MiB; target ≤ 50 MB: {}.\n",
        o.users,
        mib(hwm as u64),
        mib(steady as u64),
        if hwm <= 50.0 * 1000.0 * 1000.0 / 1024.0 {
            "met"
        } else {
            "**missed**"
        }
    );
    data.insert("memory_kib".into(), json!({ "hwm": hwm, "steady": steady }));
    report::save(
        "scenario_q",
        Section {
            title: "Scenario Q — reads".into(),
            command: report::command_line(),
            at: report::now(),
            machine: m.finish(),
            body,
            data: serde_json::Value::Object(data),
        },
        &o.doc,
    )
}
