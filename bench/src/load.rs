//! A small load generator: a fixed number of users (one HTTP connection each), either
//! paced at a fixed total arrival rate (open loop, wrk2-style) or as fast as they can
//! (closed loop, to find the capacity).
//!
//! Coordinated omission: in the paced mode user `u` sends its `k`-th request at the
//! intended time `start + (k·users + u) / rate`. When the server is slow the next request
//! goes out late, but its latency is counted from the *intended* time, so a stall shows up
//! in the percentiles as the users would have felt it, not as a pause in sending.
use futures::future::BoxFuture;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one request reports: Ok, or an error label (HTTP status or transport error).
pub type OpResult = Result<(), String>;
/// `op(user, k)`: the user's `k`-th operation.
pub type Op = Arc<dyn Fn(usize, u64) -> BoxFuture<'static, OpResult> + Send + Sync>;

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Stats {
    pub label: String,
    pub users: usize,
    /// Target rate (requests/s); 0 for closed loop.
    pub target_rate: f64,
    pub seconds: f64,
    pub ok: u64,
    pub errors: u64,
    pub error_kinds: BTreeMap<String, u64>,
    /// Successful operations per second.
    pub throughput: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Server CPU (user + system) per successful operation, ms (0 when not measured).
    #[serde(default)]
    pub server_cpu_ms: f64,
    /// Load generator CPU per successful operation, ms.
    #[serde(default)]
    pub client_cpu_ms: f64,
    /// CPU of this machine's PostgreSQL server (every `postgres` process) per successful
    /// operation, ms: 0 on SQLite, which runs inside the server.
    #[serde(default)]
    pub db_cpu_ms: f64,
}

/// Runs a measurement and adds the CPU the server (`pid`) and this load generator spent
/// per successful operation: a figure that does not depend on what else the machine runs.
pub async fn with_cpu(pid: u32, run: impl std::future::Future<Output = Stats>) -> Stats {
    let s0 = crate::server::cpu_seconds(pid).unwrap_or(0.0);
    let c0 = crate::server::cpu_seconds(std::process::id()).unwrap_or(0.0);
    let d0 = crate::server::postgres_cpu_seconds();
    let mut st = run.await;
    let s1 = crate::server::cpu_seconds(pid).unwrap_or(0.0);
    let c1 = crate::server::cpu_seconds(std::process::id()).unwrap_or(0.0);
    let d1 = crate::server::postgres_cpu_seconds();
    let n = st.ok.max(1) as f64;
    st.server_cpu_ms = (s1 - s0) * 1000.0 / n;
    st.client_cpu_ms = (c1 - c0) * 1000.0 / n;
    // Backends that ended during the run take their CPU with them: never below zero.
    st.db_cpu_ms = ((d1 - d0) * 1000.0 / n).max(0.0);
    st
}

impl Stats {
    fn from_samples(
        label: &str,
        users: usize,
        target_rate: f64,
        seconds: f64,
        mut lat_us: Vec<u64>,
        errors: BTreeMap<String, u64>,
    ) -> Stats {
        lat_us.sort_unstable();
        let ok = lat_us.len() as u64;
        let pct = |p: f64| -> f64 {
            if lat_us.is_empty() {
                return 0.0;
            }
            let idx = ((p * lat_us.len() as f64).ceil() as usize).clamp(1, lat_us.len()) - 1;
            lat_us[idx] as f64 / 1000.0
        };
        Stats {
            label: label.to_string(),
            users,
            target_rate,
            seconds,
            ok,
            errors: errors.values().sum(),
            error_kinds: errors,
            throughput: ok as f64 / seconds.max(1e-9),
            p50_ms: pct(0.50),
            p90_ms: pct(0.90),
            p99_ms: pct(0.99),
            max_ms: lat_us.last().map(|v| *v as f64 / 1000.0).unwrap_or(0.0),
            server_cpu_ms: 0.0,
            client_cpu_ms: 0.0,
            db_cpu_ms: 0.0,
        }
    }

    pub fn line(&self) -> String {
        let errs = if self.errors == 0 {
            String::new()
        } else {
            format!(" errors={} {:?}", self.errors, self.error_kinds)
        };
        format!(
            "{:<28} users={:<3} rate={:<7.0} ok={:<7} {:>9.1}/s  p50={:.2}ms p90={:.2}ms p99={:.2}ms max={:.1}ms cpu/op server={:.3}ms db={:.3}ms client={:.3}ms{}",
            self.label,
            self.users,
            self.target_rate,
            self.ok,
            self.throughput,
            self.p50_ms,
            self.p90_ms,
            self.p99_ms,
            self.max_ms,
            self.server_cpu_ms,
            self.db_cpu_ms,
            self.client_cpu_ms,
            errs
        )
    }
}

struct UserOut {
    lat_us: Vec<u64>,
    errors: BTreeMap<String, u64>,
    /// (intended start after the run's start, latency), both in µs: kept only for
    /// `YISHI_BENCH_LATENCY_LOG`.
    timeline: Vec<(u64, u64)>,
}

/// Paced (open-loop) run at `rate` operations/s in total for `duration`, latencies
/// counted from each operation's intended start (coordinated-omission corrected).
/// `max_ops` stops a user early (e.g. when it has no more ballots to cast).
pub async fn paced(label: &str, users: usize, rate: f64, duration: Duration, max_ops: Option<u64>, op: Op) -> Stats {
    let start = Instant::now() + Duration::from_millis(20);
    let end = start + duration;
    let interval = Duration::from_secs_f64(users as f64 / rate.max(1e-9));
    let offset = Duration::from_secs_f64(1.0 / rate.max(1e-9));
    let mut handles = Vec::with_capacity(users);
    for u in 0..users {
        let op = op.clone();
        handles.push(tokio::spawn(async move {
            let mut out = UserOut {
                lat_us: Vec::new(),
                errors: BTreeMap::new(),
                timeline: Vec::new(),
            };
            let mut k: u64 = 0;
            loop {
                if max_ops.is_some_and(|m| k >= m) {
                    break;
                }
                let intended = start + offset * u as u32 + interval * k as u32;
                if intended >= end {
                    break;
                }
                tokio::time::sleep_until(intended.into()).await;
                match op(u, k).await {
                    Ok(()) => {
                        let us = intended.elapsed().as_micros() as u64;
                        out.lat_us.push(us);
                        out.timeline.push(((intended - start).as_micros() as u64, us));
                    }
                    Err(e) => *out.errors.entry(e).or_default() += 1,
                }
                k += 1;
            }
            out
        }));
    }
    collect(label, users, rate, start, handles).await
}

/// Closed-loop run: every user sends its next operation as soon as the previous answered.
pub async fn closed(label: &str, users: usize, duration: Duration, max_ops: Option<u64>, op: Op) -> Stats {
    let start = Instant::now();
    let end = start + duration;
    let mut handles = Vec::with_capacity(users);
    for u in 0..users {
        let op = op.clone();
        handles.push(tokio::spawn(async move {
            let mut out = UserOut {
                lat_us: Vec::new(),
                errors: BTreeMap::new(),
                timeline: Vec::new(),
            };
            let mut k: u64 = 0;
            while Instant::now() < end && max_ops.is_none_or(|m| k < m) {
                let t = Instant::now();
                match op(u, k).await {
                    Ok(()) => out.lat_us.push(t.elapsed().as_micros() as u64),
                    Err(e) => *out.errors.entry(e).or_default() += 1,
                }
                k += 1;
            }
            out
        }));
    }
    collect(label, users, 0.0, start, handles).await
}

async fn collect(label: &str, users: usize, rate: f64, start: Instant, handles: Vec<tokio::task::JoinHandle<UserOut>>) -> Stats {
    let mut lat = Vec::new();
    let mut errors = BTreeMap::new();
    let mut timeline = Vec::new();
    for h in handles {
        match h.await {
            Ok(o) => {
                lat.extend(o.lat_us);
                timeline.extend(o.timeline);
                for (k, v) in o.errors {
                    *errors.entry(k).or_default() += v;
                }
            }
            Err(e) => *errors.entry(format!("task: {e}")).or_default() += 1,
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    if let (Ok(path), false) = (std::env::var("YISHI_BENCH_LATENCY_LOG"), timeline.is_empty()) {
        // One line per paced operation, in order of its intended start: the start's wall-clock
        // time (to line up with the server's log) and its latency, for finding what a tail is.
        timeline.sort_unstable();
        let t0 = std::time::SystemTime::now() - start.elapsed();
        let epoch = t0.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
        let text: String = timeline.iter().map(|(at, us)| format!("{:.6} {us}\n", epoch + *at as f64 / 1e6)).collect();
        let name: String = label.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        let file = format!("{path}.{name}");
        if let Err(e) = std::fs::write(&file, text) {
            eprintln!("[load] {file}: {e}");
        }
    }
    Stats::from_samples(label, users, rate, seconds, lat, errors)
}

/// Median of several runs, figure by figure (throughput and each percentile separately).
pub fn median(runs: &[Stats]) -> Stats {
    let Some(first) = runs.first() else { return Stats::default() };
    let med = |f: &dyn Fn(&Stats) -> f64| -> f64 {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let mut errors = BTreeMap::new();
    for r in runs {
        for (k, v) in &r.error_kinds {
            *errors.entry(k.clone()).or_default() += v;
        }
    }
    Stats {
        label: first.label.clone(),
        users: first.users,
        target_rate: first.target_rate,
        seconds: med(&|s| s.seconds),
        ok: med(&|s| s.ok as f64) as u64,
        errors: runs.iter().map(|r| r.errors).sum(),
        error_kinds: errors,
        throughput: med(&|s| s.throughput),
        p50_ms: med(&|s| s.p50_ms),
        p90_ms: med(&|s| s.p90_ms),
        p99_ms: med(&|s| s.p99_ms),
        max_ms: med(&|s| s.max_ms),
        server_cpu_ms: med(&|s| s.server_cpu_ms),
        client_cpu_ms: med(&|s| s.client_cpu_ms),
        db_cpu_ms: med(&|s| s.db_cpu_ms),
    }
}

/// Turns a response into an `OpResult`, labelling failures by status and error code.
pub async fn check(resp: Result<reqwest::Response, reqwest::Error>) -> OpResult {
    match resp {
        Ok(r) if r.status().is_success() => {
            // Read the body: the server's work is not done until it is sent.
            r.bytes().await.map(|_| ()).map_err(|e| format!("body: {e}"))
        }
        Ok(r) => {
            let status = r.status().as_u16();
            let code = r
                .json::<serde_json::Value>()
                .await
                .ok()
                .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
                .unwrap_or_default();
            Err(format!("{status} {code}"))
        }
        Err(e) => Err(if e.is_timeout() {
            "timeout".into()
        } else if e.is_connect() {
            "connect".into()
        } else {
            "transport".into()
        }),
    }
}
