//! Scenario B (ballots): members sign in, open the meeting and cast ballots concurrently,
//! one connection each. Setup drives the real API: proposals from draft to `ready`
//! (handler → deputy → principal), meetings noticed and opened with every member present,
//! two agreeing statements per item and the chair's named vote; then the members vote.
use crate::client::Session;
use crate::load::{self, Op, Stats};
use crate::report::{self, Machine, Section, ratio, thousands};
use crate::run::{Ceil, MemWatch, Opts, mib};
use crate::{scenarios, seed, server};
use anyhow::{Context, Result, anyhow};
use futures::{FutureExt, StreamExt, TryStreamExt};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

pub const TARGET_RATE: f64 = 3000.0;
pub const TARGET_P99_MS: f64 = 25.0;
/// Items per meeting (several meetings when more are needed).
const ITEMS_PER_MEETING: usize = 100;

/// A ready-to-vote set of items: (meeting id, proposal id).
pub struct Items {
    pub items: Vec<(String, String)>,
    pub meetings: Vec<String>,
}

fn id_of(v: &Value) -> Result<String> {
    v["id"].as_str().map(str::to_string).ok_or_else(|| anyhow!("no id in {v}"))
}

/// Drafts `n` proposals and brings them to `ready` (R02–R05), `par` at a time.
pub async fn ready_proposals(base: &str, unit: &str, n: usize, par: usize) -> Result<Vec<String>> {
    let handler = Session::sign_in(base, "xuming", seed::PASSWORD).await?;
    let deputy = Session::sign_in(base, "lina", seed::PASSWORD).await?;
    let principal = Session::sign_in(base, "zhangwei", seed::PASSWORD).await?;
    let unit = unit.to_string();
    futures::stream::iter(0..n)
        .map(|i| {
            let (h, d, p, unit) = (handler.clone(), deputy.clone(), principal.clone(), unit.clone());
            async move {
                let body = json!({
                    "category": "major_decision",
                    "title": format!("压测议题{i}"),
                    "materials": {
                        "topic": format!("研究压测议题{i}"),
                        "background": "基本情况：已具备条件。",
                        "research": "调研论证：经专家论证可行。",
                        "recommendation": "处理建议：同意实施。",
                    },
                    "flags": {},
                });
                let id = id_of(&h.post(&format!("/api/v1/units/{unit}/proposals"), &body).await?)?;
                h.post(&format!("/api/v1/proposals/{id}/submit"), &json!({})).await?;
                d.post(
                    &format!("/api/v1/proposals/{id}/submission-approval"),
                    &json!({"approve": true, "opinion": "同意"}),
                )
                .await?;
                p.post(
                    &format!("/api/v1/proposals/{id}/premeeting-decision"),
                    &json!({"decision": "to_meeting", "reason": "提交会议"}),
                )
                .await?;
                anyhow::Ok(id)
            }
        })
        .buffered(par)
        .try_collect()
        .await
}

/// Meetings over `proposals` (≤ ITEMS_PER_MEETING each): scheduled two weeks ahead (R06),
/// noticed, every member in `present` marked present, opened; each item discussed by two
/// agreeing members and put to a named vote by the chair.
pub async fn open_for_voting(
    base: &str,
    unit: &str,
    proposals: &[String],
    present: &[String],
    speakers: [&str; 2],
    par: usize,
) -> Result<Items> {
    let clerk = Session::sign_in(base, "sunli", seed::PASSWORD).await?;
    let principal = Session::sign_in(base, "zhangwei", seed::PASSWORD).await?;
    let starts_at = (chrono::Utc::now() + chrono::Duration::days(14)).to_rfc3339();
    let mut out = Items {
        items: Vec::new(),
        meetings: Vec::new(),
    };
    for chunk in proposals.chunks(ITEMS_PER_MEETING) {
        let m = clerk
            .post(
                &format!("/api/v1/units/{unit}/meetings"),
                &json!({"type": "party_group", "title": "压测党组会议", "starts_at": starts_at, "location": "三楼会议室", "agenda": chunk, "attendees": []}),
            )
            .await?;
        let mid = id_of(&m)?;
        clerk.post(&format!("/api/v1/meetings/{mid}/notice"), &json!({})).await?;
        futures::stream::iter(present.iter())
            .map(|uid| {
                let (c, mid) = (clerk.clone(), mid.clone());
                async move {
                    c.put(&format!("/api/v1/meetings/{mid}/attendance/{uid}"), &json!({"status": "present"}))
                        .await
                }
            })
            .buffer_unordered(par)
            .try_collect::<Vec<_>>()
            .await?;
        clerk.post(&format!("/api/v1/meetings/{mid}/open"), &json!({})).await?;
        futures::stream::iter(chunk.iter())
            .map(|pid| {
                let (c, p, mid) = (clerk.clone(), principal.clone(), mid.clone());
                async move {
                    for s in speakers {
                        c.post(
                            &format!("/api/v1/meetings/{mid}/items/{pid}/statements"),
                            &json!({"speaker_id": s, "role": "member", "stance": "agree", "text": "同意"}),
                        )
                        .await?;
                    }
                    p.post(
                        &format!("/api/v1/meetings/{mid}/items/{pid}/vote"),
                        &json!({"path": "vote", "mode": "named"}),
                    )
                    .await?;
                    anyhow::Ok(())
                }
            })
            .buffer_unordered(par)
            .try_collect::<Vec<_>>()
            .await?;
        out.items.extend(chunk.iter().map(|p| (mid.clone(), p.clone())));
        out.meetings.push(mid);
    }
    Ok(out)
}

/// The ballot operation: voter `u` votes on item `first + k`.
pub fn ballot_op(voters: Arc<Vec<Session>>, items: Arc<Vec<(String, String)>>, first: usize) -> Op {
    Arc::new(move |u, k| {
        let s = voters[u].clone();
        let idx = first + k as usize;
        let items = items.clone();
        async move {
            let Some((mid, pid)) = items.get(idx) else {
                return Err("no item left".to_string());
            };
            let choice = ["agree", "agree", "agree", "disagree", "abstain", "defer"][(u + idx) % 6];
            let r = s
                .request(reqwest::Method::POST, &format!("/api/v1/meetings/{mid}/items/{pid}/ballots"))
                .json(&json!({ "choice": choice }))
                .send()
                .await;
            load::check(r).await
        }
        .boxed()
    })
}

pub struct RunOut {
    pub signin: Stats,
    pub open: Stats,
    pub capacity: Stats,
    pub paced: Stats,
    pub mem: (u64, u64),
    pub stored_ok: bool,
}

/// One complete run of scenario B on a fresh database (`pg`: a PostgreSQL admin URL).
pub async fn one_run(o: &Opts, pg: Option<&str>, target_rate: f64, expect_capacity: f64) -> Result<RunOut> {
    let bin = server::yishi_bin()?;
    let dir = server::scratch("b")?;
    let url = server::fresh_database(&dir, pg, "b").await?;
    // 64 voters: the four demo members besides the principal, and the rest extra members.
    let extra = o.users.saturating_sub(4);
    let seeded = seed::seed(&url, &[("member", extra, None)]).await?;
    let proc = server::start_yishi(&bin, &url, &dir, None).await?;
    let watch = MemWatch::start(proc.pid());
    let routes = scenarios::routes(&proc.base).await?;
    if !scenarios::has(&routes, "POST", "/api/v1/meetings/{id}/items/{proposal}/ballots") {
        anyhow::bail!("the ballot route is not served yet");
    }
    let mut names: Vec<String> = ["lina", "wangqiang", "liuyang", "chenjing"].iter().map(|s| s.to_string()).collect();
    names.extend(seeded.extra.get("member").cloned().unwrap_or_default());
    names.truncate(o.users);
    let (voters, signin) = scenarios::sign_in_all(&proc.base, &names, seed::PASSWORD).await?;
    let mut present: Vec<String> = voters.iter().map(|s| s.user_id.clone()).collect();
    present.push(seeded.org.user("zhangwei"));
    let secs = o.seconds as f64;
    let users = voters.len();
    // Items: enough for the capacity phase (a generous estimate) and the paced phase.
    let per_user_cap = ((expect_capacity * 1.5 * secs) / users as f64).ceil() as usize + 5;
    let per_user_paced = ((target_rate * secs) / users as f64).ceil() as usize + 5;
    let n = per_user_cap + per_user_paced;
    eprintln!(
        "[b] setting up {n} items ({} meetings) for {users} voters…",
        n.div_ceil(ITEMS_PER_MEETING)
    );
    let t = std::time::Instant::now();
    let unit = seeded.unit().to_string();
    let proposals = ready_proposals(&proc.base, &unit, n, 8).await?;
    let speakers = [seeded.org.user("liuyang"), seeded.org.user("chenjing")];
    let items = open_for_voting(&proc.base, &unit, &proposals, &present, [&speakers[0], &speakers[1]], 8).await?;
    eprintln!("[b] setup took {:.1} s", t.elapsed().as_secs_f64());
    let voters = Arc::new(voters);
    // Opening the meeting (what each member's ballot page loads first).
    let open_op: Op = {
        let (v, m) = (voters.clone(), items.meetings.clone());
        Arc::new(move |u, k| {
            let s = v[u].clone();
            let mid = m[(u + k as usize) % m.len()].clone();
            async move { load::check(s.http.get(s.url(&format!("/api/v1/meetings/{mid}"))).send().await).await }.boxed()
        })
    };
    let open = load::with_cpu(
        proc.pid(),
        load::closed("open the meeting (GET)", users, Duration::from_secs(3), None, open_op),
    )
    .await;
    let all = Arc::new(items.items.clone());
    let cap_op = ballot_op(voters.clone(), all.clone(), 0);
    let capacity = load::with_cpu(
        proc.pid(),
        load::closed("ballots (capacity)", users, o.dur_pub(), Some(per_user_cap as u64), cap_op),
    )
    .await;
    let used = capacity.ok + capacity.errors;
    let first = (used as usize).div_ceil(users).max(per_user_cap);
    // The target's own rate when the capacity reaches it (the target is p99 at that rate);
    // otherwise 80% of the capacity.
    let rate = if capacity.throughput >= target_rate { target_rate } else { (capacity.throughput * 0.8).max(10.0) };
    let paced_op = ballot_op(voters.clone(), all.clone(), first);
    let paced = load::with_cpu(
        proc.pid(),
        load::paced(
            &format!("ballots (paced {rate:.0}/s)"),
            users,
            rate,
            o.dur_pub(),
            Some(per_user_paced as u64),
            paced_op,
        ),
    )
    .await;
    let mem = watch.finish().await;
    // Every acknowledged ballot is stored, once (tally = stored ballots).
    let db = sea_orm::Database::connect(&url).await?;
    let stored = crate::races::count(&db, "SELECT COUNT(*) AS n FROM ballot_participations").await?;
    let dups = crate::races::count(
        &db,
        "SELECT COUNT(*) AS n FROM (SELECT item_id, voter_id FROM ballot_participations GROUP BY item_id, voter_id HAVING COUNT(*) > 1) d",
    )
    .await?;
    db.close().await?;
    let acked = capacity.ok + paced.ok;
    let stored_ok = stored as u64 >= acked && dups == 0;
    if !stored_ok {
        eprintln!("[b] WARNING: {acked} ballots acknowledged, {stored} stored, {dups} duplicated");
    }
    drop(proc);
    if let Some(a) = pg {
        server::drop_pg(a, &url).await;
    }
    crate::server::cleanup(&dir);
    Ok(RunOut {
        signin,
        open,
        capacity,
        paced,
        mem,
        stored_ok,
    })
}

pub async fn step(o: &Opts, ceil: &Ceil) -> Result<()> {
    let m = Machine::now();
    let mut body = String::new();
    let mut data = serde_json::Map::new();
    let dbs: Vec<(&str, Option<&str>, f64)> = {
        let mut v = Vec::new();
        if o.wants_db("b", "sqlite") {
            v.push(("SQLite", None, ceil.sqlite_commit_n.max(ceil.sqlite_commit_1)));
        }
        if let Some(pg) = o.pg.as_deref().filter(|_| o.wants_db("b", "pg")) {
            v.push(("PostgreSQL", Some(pg), ceil.pgbench_n));
        }
        v
    };
    for (name, pg, commit_ceiling) in dbs {
        let mut runs = Vec::new();
        for r in 0..o.runs {
            let out = one_run(o, pg, TARGET_RATE, commit_ceiling.max(500.0))
                .await
                .with_context(|| format!("scenario B on {name}, run {}", r + 1))?;
            eprintln!(
                "[b] {name} run {}:\n  {}\n  {}\n  {}\n  {}",
                r + 1,
                out.signin.line(),
                out.open.line(),
                out.capacity.line(),
                out.paced.line()
            );
            runs.push(out);
        }
        let cap = load::median(&runs.iter().map(|r| r.capacity.clone()).collect::<Vec<_>>());
        let paced = load::median(&runs.iter().map(|r| r.paced.clone()).collect::<Vec<_>>());
        let open = load::median(&runs.iter().map(|r| r.open.clone()).collect::<Vec<_>>());
        let si = load::median(&runs.iter().map(|r| r.signin.clone()).collect::<Vec<_>>());
        let hwm = runs.iter().map(|r| r.mem.0).max().unwrap_or(0);
        let steady = {
            let mut v: Vec<u64> = runs.iter().map(|r| r.mem.1).collect();
            v.sort_unstable();
            v[v.len() / 2]
        };
        let all_stored = runs.iter().all(|r| r.stored_ok);
        let (ceiling_label, ceiling) = match pg {
            None => ("SQLite single-row commits/s (WAL, FULL)", ceil.sqlite_commit_1),
            Some(_) => ("`pgbench -N` tps", ceil.pgbench_n),
        };
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        // Everything a ballot costs this machine: yishi, the load generator and, on
        // PostgreSQL, the database server's own processes.
        let cpu_total = cap.server_cpu_ms + cap.client_cpu_ms + cap.db_cpu_ms;
        let cpu_bound = cores as f64 * 1000.0 / cpu_total.max(1e-6);
        // The target's rate, and so its CPU budget per ballot on these cores.
        let needed = match pg {
            None => TARGET_RATE,
            Some(_) => 0.5 * ceil.pgbench_n,
        };
        let target_met = match pg {
            None => cap.throughput >= TARGET_RATE && paced.p99_ms <= TARGET_P99_MS && paced.target_rate >= TARGET_RATE,
            Some(_) => ceil.pgbench_n > 0.0 && cap.throughput >= needed,
        };
        body += &format!(
            "### {name}\n\n| figure | value | ceiling | ratio | target | met |\n| --- | ---: | ---: | ---: | --- | --- |\n\
             | ballots/s, capacity ({} voters, closed loop) | {:.0} | {:.0} ({ceiling_label}) | {} | {} | {} |\n\
             | ballots paced at {:.0}/s: p50 / p99 (CO-corrected) | {:.1} ms / {:.1} ms | trivial handler p99 {:.2} ms | — | p99 ≤ 25 ms at ≥ 3,000/s | {} |\n\
             | ballots: errors | {} (capacity) + {} (paced) | — | — | 0 | {} |\n\
             | every acknowledged ballot stored once | {} | — | — | yes | {} |\n\
             | CPU per ballot: yishi / database server / load generator | {:.2} ms / {:.2} ms / {:.2} ms | trivial request {:.3} ms / — / {:.3} ms | — | — | — |\n\
             | CPU-bound ballots/s on {} dedicated cores (cores ÷ all CPU per ballot) | {:.0} | — | — | ≥ {}/s (CPU budget {:.2} ms per ballot) | {} |\n\
             | open the meeting (GET /meetings/{{id}}): capacity, p99 | {:.0} req/s, {:.1} ms | {:.0} req/s (trivial) | {} | — | — |\n\
             | sign-in of {} members at once: p50 / p99 | {:.0} ms / {:.0} ms | — | — | — | — |\n\
             | server memory: peak VmHWM / steady VmRSS | {:.1} / {:.1} MiB | — | — | ≤ 50 MB | {} |\n\n",
            cap.users,
            cap.throughput,
            ceiling,
            ratio(cap.throughput, ceiling),
            if pg.is_some() { "≥ 50% of pgbench -N" } else { "≥ 3,000/s" },
            if target_met { "yes" } else { "**no**" },
            paced.target_rate,
            paced.p50_ms,
            paced.p99_ms,
            ceil.trivial_p99_ms,
            if paced.p99_ms <= TARGET_P99_MS && paced.target_rate >= TARGET_RATE {
                "yes"
            } else {
                "**no**"
            },
            cap.errors,
            paced.errors,
            if cap.errors + paced.errors == 0 { "yes" } else { "**no**" },
            if all_stored { "yes" } else { "**no**" },
            if all_stored { "yes" } else { "**no**" },
            cap.server_cpu_ms,
            cap.db_cpu_ms,
            cap.client_cpu_ms,
            ceil.trivial_server_cpu_ms,
            ceil.trivial_client_cpu_ms,
            cores,
            cpu_bound,
            thousands(needed.round() as usize),
            cores as f64 * 1000.0 / needed.max(1.0),
            if cpu_bound >= needed { "yes" } else { "**no**" },
            open.throughput,
            open.p99_ms,
            ceil.trivial_rps,
            ratio(open.throughput, ceil.trivial_rps),
            si.users,
            si.p50_ms,
            si.p99_ms,
            mib(hwm),
            mib(steady),
            if (hwm as f64) * 1024.0 <= 50.0e6 { "yes" } else { "**no**" },
        );
        if cap.errors + paced.errors > 0 {
            body += &format!("Errors by kind: {:?} / {:?}\n\n", cap.error_kinds, paced.error_kinds);
        }
        data.insert(
            name.into(),
            json!({ "capacity": cap, "paced": paced, "open": open, "signin": si, "mem_kib": {"hwm": hwm, "steady": steady} }),
        );
    }
    body += "Setup (not measured): proposals drafted by 徐明, approved by the deputy 李娜, put to the meeting by 张伟; \
             party-group meetings of up to 100 items, noticed two weeks ahead, every member present and the meeting opened; \
             two members' agreeing statements per item and the chair's named vote. Then each voter casts one ballot per item \
             (named vote; agree/disagree/abstain/defer mixed), first closed-loop (capacity), then paced on fresh items at \
             3,000/s (the target's rate) when the capacity reached it, else at 80% of the capacity. The paced row's rate tells whether the target rate was offered at all.\n";
    report::save(
        "scenario_b",
        Section {
            title: "Scenario B — ballots".into(),
            command: report::command_line(),
            at: report::now(),
            machine: m.finish(),
            body,
            data: serde_json::Value::Object(data),
        },
        &o.doc,
    )
}
