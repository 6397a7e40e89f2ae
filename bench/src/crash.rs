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
            if self.problems.is_empty() {
                String::new()
            } else {
                format!("; problems: {:?}", self.problems)
            }
        )
    }
}

/// What the workers were told "done" for, by workload.
#[derive(Default)]
struct Acked {
    absences: Vec<String>,
    /// (voter user id, meeting id, proposal id)
    ballots: Vec<(String, String, String)>,
    /// (document id, step index in PIPELINE, state it answered, 文号 if numbered)
    steps: Vec<(String, usize, String, Option<String>)>,
}

/// Voting members besides the four demo members (the ballot workload's voters).
pub const EXTRA_VOTERS: usize = 4;

/// Seeds the database the crash harness runs on (call once, before `run`).
pub async fn prepare(database_url: &str) -> Result<Seeded> {
    seed::seed(database_url, &[("member", EXTRA_VOTERS, None)]).await
}

/// The state each step of the routing workload leaves a document in: create, submit,
/// review (approved: straight to consolidating), send to countersign, three opinions (the
/// last returns it to the main section), consolidate, verify, sign off (numbered).
const PIPELINE: &[&str] = &[
    "drafting",
    "section_review",
    "consolidating",
    "countersigning",
    "countersigning",
    "countersigning",
    "consolidating",
    "verifying",
    "signoff",
    "numbered",
];

pub async fn run(o: &CrashOpts, seeded: &Seeded) -> Result<CrashReport> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(o.seed);
    let mut rep = CrashReport::default();
    let mut restart_ms = Vec::new();
    let port = server::free_port()?;
    let mut proc = server::start_yishi(&o.bin, &o.database_url, &o.dir, Some(port)).await?;
    let routes = crate::scenarios::routes(&proc.base).await?;
    let want = |w: &str| o.workloads.iter().any(|x| x == w);
    let do_ballots = want("ballots") && crate::scenarios::has(&routes, "POST", "/api/v1/meetings/{id}/items/{proposal}/ballots");
    let do_routing = want("routing") && crate::scenarios::has(&routes, "POST", "/api/v1/outgoing/{id}/signoff");
    let mut voters: Vec<String> = ["lina", "wangqiang", "liuyang", "chenjing"].iter().map(|s| s.to_string()).collect();
    voters.extend(seeded.extra.get("member").cloned().unwrap_or_default());
    // Items for the ballot workload: about what the voters can cast in the run.
    let items: Arc<Vec<(String, String)>> = Arc::new(if do_ballots {
        let n = if o.cycles <= 5 { 8 } else { (o.cycles * 12).min(1500) };
        let vs = futures::future::try_join_all(voters.iter().map(|v| Session::sign_in(&proc.base, v, seed::PASSWORD))).await?;
        let mut present: Vec<String> = vs.iter().map(|s| s.user_id.clone()).collect();
        present.push(seeded.org.user("zhangwei"));
        let props = crate::ballots::ready_proposals(&proc.base, seeded.unit(), n, 4).await?;
        let speakers = [seeded.org.user("liuyang"), seeded.org.user("chenjing")];
        crate::ballots::open_for_voting(&proc.base, seeded.unit(), &props, &present, [&speakers[0], &speakers[1]], 4)
            .await?
            .items
    } else {
        Vec::new()
    });
    // Each voter's next item (kept across cycles).
    let next_item: Arc<Vec<std::sync::atomic::AtomicUsize>> =
        Arc::new(voters.iter().map(|_| std::sync::atomic::AtomicUsize::new(0)).collect());
    for cycle in 0..o.cycles {
        let acked = Arc::new(Mutex::new(Acked::default()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut tasks = Vec::new();
        if o.workloads.iter().any(|w| w == "absences") {
            for w in 0..o.writers {
                let who = ["huangxin", "gaofei", "xuming", "mali", "hejun", "luoyan", "zhoujie", "wuhua"][w % 8];
                let s = Session::sign_in(&proc.base, who, seed::PASSWORD).await?;
                tasks.push(tokio::spawn(absence_writer(
                    s,
                    seeded.unit().to_string(),
                    acked.clone(),
                    stop.clone(),
                    cycle,
                    w,
                )));
            }
        }
        if do_ballots {
            for (vi, v) in voters.iter().enumerate() {
                let s = Session::sign_in(&proc.base, v, seed::PASSWORD).await?;
                tasks.push(tokio::spawn(ballot_writer(
                    s,
                    vi,
                    items.clone(),
                    next_item.clone(),
                    acked.clone(),
                    stop.clone(),
                )));
            }
        }
        if do_routing {
            let cast = crate::routing::Cast::sign_in(&proc.base, seeded).await?;
            for w in 0..3 {
                tasks.push(tokio::spawn(routing_writer(
                    cast.clone(),
                    seeded.unit().to_string(),
                    acked.clone(),
                    stop.clone(),
                    cycle,
                    w,
                )));
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
        proc = server::start_yishi(&o.bin, &o.database_url, &o.dir, Some(port))
            .await
            .with_context(|| format!("restart after cycle {cycle}"))?;
        restart_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        // Check with a separate connection while the restarted server runs.
        let db = sea_orm::Database::connect(&o.database_url).await?;
        let a = std::mem::take(&mut *acked.lock().map_err(|_| anyhow!("poisoned"))?);
        check_absences(&db, &a.absences, &mut rep).await?;
        *rep.acknowledged.entry("absences".into()).or_default() += a.absences.len() as u64;
        check_ballots(&db, &a.ballots, &mut rep).await?;
        *rep.acknowledged.entry("ballots".into()).or_default() += a.ballots.len() as u64;
        check_routing(&db, &a.steps, &mut rep).await?;
        *rep.acknowledged.entry("routing steps".into()).or_default() += a.steps.len() as u64;
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
    Ok(Proc {
        child,
        base: format!("http://127.0.0.1:{port}"),
        port,
    })
}

async fn absence_writer(
    s: Session,
    unit: String,
    acked: Arc<Mutex<Acked>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    cycle: usize,
    w: usize,
) {
    let mut i = 0u64;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let body = json!({ "from": "2026-12-01", "to": "2026-12-02", "reason": format!("c{cycle}-w{w}-{i}") });
        match s
            .call(reqwest::Method::POST, &format!("/api/v1/units/{unit}/absences"), Some(&body))
            .await
        {
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

async fn ballot_writer(
    s: Session,
    vi: usize,
    items: Arc<Vec<(String, String)>>,
    next: Arc<Vec<std::sync::atomic::AtomicUsize>>,
    acked: Arc<Mutex<Acked>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::atomic::Ordering;
    while !stop.load(Ordering::Relaxed) {
        let i = next[vi].load(Ordering::Relaxed);
        let Some((mid, pid)) = items.get(i) else { break };
        let choice = ["agree", "disagree", "abstain"][(vi + i) % 3];
        match s
            .call(
                reqwest::Method::POST,
                &format!("/api/v1/meetings/{mid}/items/{pid}/ballots"),
                Some(&json!({ "choice": choice })),
            )
            .await
        {
            Ok((200..=299, _)) => {
                if let Ok(mut a) = acked.lock() {
                    a.ballots.push((s.user_id.clone(), mid.clone(), pid.clone()));
                }
                next[vi].fetch_add(1, Ordering::Relaxed);
            }
            // Refused (e.g. R11: the ballot of an unacknowledged request did commit): move on.
            Ok((400..=499, _)) => {
                next[vi].fetch_add(1, Ordering::Relaxed);
            }
            _ => break, // the server died
        }
    }
}

/// Outgoing documents through the pipeline; every acknowledged step is remembered.
async fn routing_writer(
    c: crate::routing::Cast,
    unit: String,
    acked: Arc<Mutex<Acked>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    cycle: usize,
    w: usize,
) {
    let mut i = 0u64;
    let note = |id: &str, k: usize, v: &serde_json::Value| {
        if let Ok(mut a) = acked.lock() {
            a.steps.push((
                id.to_string(),
                k,
                v["state"].as_str().unwrap_or("").to_string(),
                v["number"].as_str().map(str::to_string),
            ));
        }
    };
    'docs: while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let Ok(d) = c
            .drafter
            .post(
                &format!("/api/v1/units/{unit}/outgoing"),
                &crate::routing::doc_body(((cycle as u64) << 40) | ((w as u64) << 32) | i),
            )
            .await
        else {
            break;
        };
        i += 1;
        let Some(id) = d["id"].as_str().map(str::to_string) else { break };
        note(&id, 0, &d);
        let p = |s: &str| format!("/api/v1/outgoing/{id}/{s}");
        let steps: Vec<(&Session, String, serde_json::Value)> = vec![
            (&c.drafter, p("submit"), json!({})),
            (&c.head, p("review"), json!({"approve": true, "opinion": "同意"})),
            (&c.drafter, p("countersign"), json!({"section_ids": c.sections})),
            (&c.cs[0], p("countersign-opinions"), json!({"stance": "agree", "text": "同意"})),
            (&c.cs[1], p("countersign-opinions"), json!({"stance": "agree", "text": "同意"})),
            (&c.cs[2], p("countersign-opinions"), json!({"stance": "agree", "text": "同意"})),
            (&c.drafter, p("consolidate"), json!({})),
            (&c.office, p("verify"), json!({"pass": true, "opinion": "核稿通过"})),
            (&c.signer, p("signoff"), json!({"opinion": "同意"})),
        ];
        for (k, (who, path, body)) in steps.into_iter().enumerate() {
            match who.call(reqwest::Method::POST, &path, Some(&body)).await {
                Ok((200..=299, v)) => note(&id, k + 1, &v),
                Ok((400..=499, _)) => continue 'docs,
                _ => break 'docs,
            }
        }
    }
}

async fn check_ballots(db: &DatabaseConnection, acked: &[(String, String, String)], rep: &mut CrashReport) -> Result<()> {
    if acked.is_empty() {
        return Ok(());
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT b.voter_id AS voter_id, i.meeting_id AS meeting_id, i.proposal_id AS proposal_id FROM ballot_participations b JOIN meeting_items i ON i.id = b.item_id".to_string(),
        ))
        .await?;
    let mut stored: HashSet<(String, String, String)> = HashSet::new();
    for r in rows {
        let k = (
            r.try_get::<String>("", "voter_id")?,
            r.try_get::<String>("", "meeting_id")?,
            r.try_get::<String>("", "proposal_id")?,
        );
        if !stored.insert(k) {
            rep.duplicated += 1;
        }
    }
    let lost = acked.iter().filter(|k| !stored.contains(*k)).count();
    if lost > 0 {
        rep.lost += lost as u64;
        rep.problems.push(format!("{lost} acknowledged ballots lost"));
    }
    // Named ballots: one ballot row per participation (the tally counts what is stored).
    let mismatched = crate::races::count(
        db,
        "SELECT COUNT(*) AS n FROM (SELECT p.item_id FROM ballot_participations p LEFT JOIN ballots b ON b.item_id = p.item_id AND b.voter_id = p.voter_id WHERE b.id IS NULL) x",
    )
    .await?;
    if mismatched > 0 {
        rep.problems.push(format!("{mismatched} participations without their named ballot"));
    }
    Ok(())
}

async fn check_routing(db: &DatabaseConnection, acked: &[(String, usize, String, Option<String>)], rep: &mut CrashReport) -> Result<()> {
    // Last acknowledged step per document (steps of one document are sequential).
    let mut last: BTreeMap<&str, (usize, Option<&String>)> = BTreeMap::new();
    for (id, k, state, number) in acked {
        if PIPELINE.get(*k) != Some(&state.as_str()) {
            rep.problems.push(format!(
                "document {id}: step {k} answered state {state}, expected {:?} (workload out of date?)",
                PIPELINE.get(*k)
            ));
        }
        let e = last.entry(id.as_str()).or_insert((0, None));
        if *k >= e.0 {
            *e = (*k, number.as_ref().or(e.1));
        }
    }
    for (id, (k, number)) in &last {
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                match db.get_database_backend() {
                    sea_orm::DbBackend::Postgres => "SELECT state, number FROM outgoing_documents WHERE id = $1",
                    _ => "SELECT state, number FROM outgoing_documents WHERE id = ?",
                },
                [(*id).to_string().into()],
            ))
            .await?;
        let Some(r) = rows.first() else {
            rep.lost += 1;
            rep.problems.push(format!("acknowledged document {id} missing"));
            continue;
        };
        let state: String = r.try_get("", "state")?;
        let stored_number: Option<String> = r.try_get("", "number")?;
        // The acknowledged step's state, or the next step's if that one committed unacknowledged.
        let ok_states = [PIPELINE.get(*k), PIPELINE.get(k + 1)];
        if !ok_states.iter().flatten().any(|s| **s == state) {
            rep.lost += 1;
            rep.problems.push(format!(
                "document {id}: acknowledged step {k} ({}), stored state {state}",
                PIPELINE[*k]
            ));
        }
        if let Some(n) = number
            && stored_number.as_ref() != Some(*n)
        {
            rep.lost += 1;
            rep.problems
                .push(format!("document {id}: acknowledged number {n}, stored {stored_number:?}"));
        }
    }
    // 文号 gapless and unique per unit, series and year.
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT unit_id, series, year, number_no FROM outgoing_documents WHERE number_no IS NOT NULL ORDER BY unit_id, series, year, number_no".to_string(),
        ))
        .await?;
    let mut series: BTreeMap<(String, String, i32), Vec<i64>> = BTreeMap::new();
    for r in rows {
        series
            .entry((r.try_get("", "unit_id")?, r.try_get("", "series")?, r.try_get("", "year")?))
            .or_default()
            .push(r.try_get("", "number_no")?);
    }
    for (k, ns) in series {
        if ns.iter().enumerate().any(|(i, n)| *n != i as i64 + 1) {
            rep.number_gaps += 1;
            rep.problems
                .push(format!("文号 series {k:?} not gapless: {:?}…", &ns[..ns.len().min(20)]));
        }
    }
    Ok(())
}

async fn ids(db: &DatabaseConnection, sql: &str) -> Result<Vec<String>> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_string()))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "id").map_err(|e| anyhow!("{e}")))
        .collect()
}

async fn check_absences(db: &DatabaseConnection, acked: &[String], rep: &mut CrashReport) -> Result<()> {
    if acked.is_empty() {
        return Ok(());
    }
    let stored: HashSet<String> = ids(db, "SELECT id FROM absences").await?.into_iter().collect();
    let lost: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    if !lost.is_empty() {
        rep.lost += lost.len() as u64;
        rep.problems
            .push(format!("{} acknowledged absences lost, e.g. {}", lost.len(), lost[0]));
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
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT key, value FROM counters".to_string(),
        ))
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
