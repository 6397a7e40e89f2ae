//! Races (R42): randomized concurrent ballots (with deliberate duplicates and close-vote
//! racing them), submission approvals (the same approval sent twice at once) and sign-offs
//! (two leaders who may both sign, at once) against a running server; then the invariants
//! are checked in the database:
//! - one ballot per member per item; every acknowledged ballot stored; for every closed
//!   item the tally equals the stored ballots (per choice for named votes);
//! - one approval per proposal, one sign-off per document, each acknowledged exactly once;
//! - 文号 gapless and unique (1..N per series and year), numbered documents = successful sign-offs;
//! - no 5xx answer; the audit chain verifies.
use crate::ballots;
use crate::client::Session;
use crate::routing;
use crate::seed::{self, Seeded};
use anyhow::{Result, anyhow};
use futures::StreamExt;
use rand::{Rng, SeedableRng, seq::SliceRandom};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// `SELECT COUNT(*) AS n …` → n.
pub async fn count(db: &DatabaseConnection, sql: &str) -> Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_string()))
        .await?
        .ok_or_else(|| anyhow!("no row from {sql}"))?;
    Ok(row.try_get::<i64>("", "n")?)
}

#[derive(Clone, Debug)]
pub struct RaceOpts {
    /// Operations to send in total (ballots, approvals, sign-offs, close-votes).
    pub ops: usize,
    /// Items open for a named vote.
    pub items: usize,
    /// Proposals waiting for the deputy's approval.
    pub proposals: usize,
    /// Documents waiting for sign-off.
    pub documents: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
    pub seed: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct RaceReport {
    pub ops: usize,
    /// op kind → (sent, succeeded, refused 4xx)
    pub by_kind: BTreeMap<String, (u64, u64, u64)>,
    /// Refusal codes seen, by op kind.
    pub refusals: BTreeMap<String, u64>,
    pub server_errors: u64,
    pub violations: Vec<String>,
    pub stored_ballots: i64,
    pub closed_items: usize,
    pub numbered_documents: i64,
}

impl RaceReport {
    pub fn ok(&self) -> bool {
        self.server_errors == 0 && self.violations.is_empty()
    }
    pub fn summary(&self) -> String {
        format!(
            "{} operations {:?}; refusals {:?}; 5xx {}; stored ballots {}, closed items {}, numbered documents {}; violations: {}",
            self.ops,
            self.by_kind,
            self.refusals,
            self.server_errors,
            self.stored_ballots,
            self.closed_items,
            self.numbered_documents,
            if self.violations.is_empty() {
                "none".to_string()
            } else {
                self.violations.join("; ")
            }
        )
    }
}

#[derive(Clone, Debug)]
enum Op {
    /// voter index, item index, copies sent at once
    Ballot(usize, usize, usize),
    /// proposal index, copies sent at once
    Approve(usize, usize),
    /// document index: the deputy in charge and the principal at once
    Signoff(usize),
    CloseVote(usize),
}

#[derive(Default)]
struct Outcome {
    by_kind: BTreeMap<String, (u64, u64, u64)>,
    refusals: BTreeMap<String, u64>,
    server_errors: u64,
    ballot_ok: HashMap<(usize, usize), u32>,
    approve_ok: HashMap<usize, u32>,
    signoff_ok: HashMap<usize, Vec<String>>,
    closed: HashMap<usize, Value>,
}

fn record(out: &Mutex<Outcome>, kind: &str, status: u16, body: &Value) -> bool {
    let Ok(mut o) = out.lock() else { return false };
    let e = o.by_kind.entry(kind.to_string()).or_default();
    e.0 += 1;
    if (200..300).contains(&status) {
        e.1 += 1;
        return true;
    }
    if status >= 500 {
        o.server_errors += 1;
    } else {
        e.2 += 1;
        let code = body["error"]["code"].as_str().unwrap_or("?").to_string();
        *o.refusals.entry(format!("{kind}:{status} {code}")).or_default() += 1;
    }
    false
}

/// Sets up the objects (through the API), runs the randomized operations, checks the
/// invariants. `base` is a running server on `database_url` seeded with `seeded`;
/// `voters` are member usernames (not the principal).
pub async fn run(base: &str, database_url: &str, seeded: &Seeded, voters: &[String], o: &RaceOpts) -> Result<RaceReport> {
    let unit = seeded.unit().to_string();
    let mut rng = rand::rngs::StdRng::seed_from_u64(o.seed);
    // --- setup
    let vsess: Vec<Session> = futures::future::try_join_all(voters.iter().map(|v| Session::sign_in(base, v, seed::PASSWORD))).await?;
    let mut present: Vec<String> = vsess.iter().map(|s| s.user_id.clone()).collect();
    present.push(seeded.org.user("zhangwei"));
    let props = ballots::ready_proposals(base, &unit, o.items, 4).await?;
    let speakers = [seeded.org.user("liuyang"), seeded.org.user("chenjing")];
    let items = ballots::open_for_voting(base, &unit, &props, &present, [&speakers[0], &speakers[1]], 4)
        .await?
        .items;
    // Proposals submitted, waiting for the deputy (李娜, in charge of 徐明's finance section).
    let handler = Session::sign_in(base, "xuming", seed::PASSWORD).await?;
    let waiting: Vec<String> = futures::stream::iter(0..o.proposals)
        .map(|i| {
            let (h, unit) = (handler.clone(), unit.clone());
            async move {
                let body = json!({"category": "major_decision", "title": format!("并发审批{i}"), "flags": {},
                    "materials": {"topic": "议题", "background": "基本情况", "research": "调研论证", "recommendation": "处理建议"}});
                let p = h.post(&format!("/api/v1/units/{unit}/proposals"), &body).await?;
                let id = p["id"].as_str().ok_or_else(|| anyhow!("no id"))?.to_string();
                h.post(&format!("/api/v1/proposals/{id}/submit"), &json!({})).await?;
                anyhow::Ok(id)
            }
        })
        .buffered(4)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    // Documents at sign-off (bureau_general: the deputy in charge 王强 or the principal may sign).
    let cast = routing::Cast::sign_in(base, seeded).await?;
    let docs: Vec<String> = futures::stream::iter(0..o.documents)
        .map(|i| {
            let (c, unit) = (cast.clone(), unit.clone());
            async move {
                let d = c
                    .drafter
                    .post(&format!("/api/v1/units/{unit}/outgoing"), &routing::doc_body(i as u64))
                    .await?;
                let id = d["id"].as_str().ok_or_else(|| anyhow!("no id"))?.to_string();
                let p = |s: &str| format!("/api/v1/outgoing/{id}/{s}");
                c.drafter.post(&p("submit"), &json!({})).await?;
                c.head.post(&p("review"), &json!({"approve": true, "opinion": "同意"})).await?;
                c.drafter.post(&p("consolidate"), &json!({})).await?;
                c.office.post(&p("verify"), &json!({"pass": true, "opinion": "核稿通过"})).await?;
                anyhow::Ok(id)
            }
        })
        .buffered(4)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    // Two sessions per racing party, so that duplicates really travel on two connections.
    let deputies = [
        Session::sign_in(base, "lina", seed::PASSWORD).await?,
        Session::sign_in(base, "lina", seed::PASSWORD).await?,
    ];
    let signers = [
        Session::sign_in(base, "wangqiang", seed::PASSWORD).await?,
        Session::sign_in(base, "zhangwei", seed::PASSWORD).await?,
    ];
    let chair = Session::sign_in(base, "zhangwei", seed::PASSWORD).await?;

    // --- the operations: mostly ballots, some duplicated; approvals sent 2–3 times at once;
    // sign-offs by both leaders at once; a fifth of the items closed while ballots fly.
    let mut ops = Vec::new();
    let mut sent = 0;
    let close_at: HashSet<usize> = (0..items.len()).filter(|_| rng.gen_bool(0.2)).collect();
    let mut approvals: Vec<usize> = (0..waiting.len()).collect();
    approvals.shuffle(&mut rng);
    let mut signoffs: Vec<usize> = (0..docs.len()).collect();
    signoffs.shuffle(&mut rng);
    while sent < o.ops {
        let r: f64 = rng.r#gen();
        let op = if r < 0.1 && !approvals.is_empty() {
            let copies = rng.gen_range(2..=3);
            Op::Approve(approvals.pop().unwrap_or(0), copies)
        } else if r < 0.2 && !signoffs.is_empty() {
            Op::Signoff(signoffs.pop().unwrap_or(0))
        } else if r < 0.21 && !items.is_empty() {
            let i = rng.gen_range(0..items.len());
            if close_at.contains(&i) {
                Op::CloseVote(i)
            } else {
                Op::Ballot(rng.gen_range(0..vsess.len()), i, 1)
            }
        } else {
            let copies = if rng.gen_bool(0.25) { 2 } else { 1 };
            Op::Ballot(rng.gen_range(0..vsess.len().max(1)), rng.gen_range(0..items.len().max(1)), copies)
        };
        sent += match &op {
            Op::Ballot(_, _, c) | Op::Approve(_, c) => *c,
            Op::Signoff(_) => 2,
            Op::CloseVote(_) => 1,
        };
        ops.push(op);
    }
    let out = Arc::new(Mutex::new(Outcome::default()));
    let ctx = Arc::new((vsess, items.clone(), waiting.clone(), docs.clone(), deputies, signers, chair));
    futures::stream::iter(ops)
        .map(|op| {
            let (ctx, out) = (ctx.clone(), out.clone());
            async move {
                let (vsess, items, waiting, docs, deputies, signers, chair) = &*ctx;
                match op {
                    Op::Ballot(v, i, copies) => {
                        let (mid, pid) = &items[i];
                        let path = format!("/api/v1/meetings/{mid}/items/{pid}/ballots");
                        let choice = ["agree", "disagree", "abstain", "defer"][(v + i) % 4];
                        let body = json!({"choice": choice});
                        let calls = (0..copies).map(|_| vsess[v].call(reqwest::Method::POST, &path, Some(&body)));
                        for r in futures::future::join_all(calls).await {
                            let (st, b) = r.unwrap_or((599, Value::Null));
                            if record(&out, "ballot", st, &b)
                                && let Ok(mut o) = out.lock()
                            {
                                *o.ballot_ok.entry((v, i)).or_default() += 1;
                            }
                        }
                    }
                    Op::Approve(p, copies) => {
                        let path = format!("/api/v1/proposals/{}/submission-approval", waiting[p]);
                        let body = json!({"approve": true, "opinion": "同意"});
                        let calls = (0..copies).map(|c| deputies[c % 2].call(reqwest::Method::POST, &path, Some(&body)));
                        for r in futures::future::join_all(calls).await {
                            let (st, b) = r.unwrap_or((599, Value::Null));
                            if record(&out, "approval", st, &b)
                                && let Ok(mut o) = out.lock()
                            {
                                *o.approve_ok.entry(p).or_default() += 1;
                            }
                        }
                    }
                    Op::Signoff(d) => {
                        let path = format!("/api/v1/outgoing/{}/signoff", docs[d]);
                        let body = json!({"opinion": "同意"});
                        let (a, b) = tokio::join!(
                            signers[0].call(reqwest::Method::POST, &path, Some(&body)),
                            signers[1].call(reqwest::Method::POST, &path, Some(&body))
                        );
                        for r in [a, b] {
                            let (st, b) = r.unwrap_or((599, Value::Null));
                            if record(&out, "signoff", st, &b)
                                && let Ok(mut o) = out.lock()
                            {
                                o.signoff_ok
                                    .entry(d)
                                    .or_default()
                                    .push(b["number"].as_str().unwrap_or("").to_string());
                            }
                        }
                    }
                    Op::CloseVote(i) => {
                        let (mid, pid) = &items[i];
                        let r = chair
                            .call(
                                reqwest::Method::POST,
                                &format!("/api/v1/meetings/{mid}/items/{pid}/close-vote"),
                                Some(&json!({})),
                            )
                            .await;
                        let (st, b) = r.unwrap_or((599, Value::Null));
                        if record(&out, "close-vote", st, &b)
                            && let Ok(mut o) = out.lock()
                        {
                            o.closed.insert(i, b["tally"].clone());
                        }
                    }
                }
            }
        })
        .buffer_unordered(o.concurrency)
        .collect::<Vec<_>>()
        .await;

    // --- invariants
    let out = std::mem::take(&mut *out.lock().map_err(|_| anyhow!("poisoned"))?);
    let mut rep = RaceReport {
        ops: sent,
        by_kind: out.by_kind.clone(),
        refusals: out.refusals.clone(),
        server_errors: out.server_errors,
        closed_items: out.closed.len(),
        ..Default::default()
    };
    let db = sea_orm::Database::connect(database_url).await?;
    let q = |sql: String| Statement::from_string(db.get_database_backend(), sql);
    let item_ids: HashMap<String, usize> = {
        let mut m = HashMap::new();
        for (i, (mid, pid)) in items.iter().enumerate() {
            let rows = db
                .query_all_raw(q(format!(
                    "SELECT id FROM meeting_items WHERE meeting_id = '{mid}' AND proposal_id = '{pid}'"
                )))
                .await?;
            if let Some(r) = rows.first() {
                m.insert(r.try_get::<String>("", "id")?, i);
            }
        }
        m
    };
    let voter_ids: HashMap<String, usize> = ctx.0.iter().enumerate().map(|(i, s)| (s.user_id.clone(), i)).collect();
    let mut stored: HashMap<(usize, usize), u32> = HashMap::new();
    let mut per_item: HashMap<usize, BTreeMap<String, i64>> = HashMap::new();
    let ids_sql = |ids: Vec<&String>| ids.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(",");
    let in_items = ids_sql(item_ids.keys().collect());
    if !in_items.is_empty() {
        for r in db
            .query_all_raw(q(format!(
                "SELECT item_id, voter_id FROM ballot_participations WHERE item_id IN ({in_items})"
            )))
            .await?
        {
            let (it, vo): (String, String) = (r.try_get("", "item_id")?, r.try_get("", "voter_id")?);
            if let (Some(i), Some(v)) = (item_ids.get(&it), voter_ids.get(&vo)) {
                *stored.entry((*v, *i)).or_default() += 1;
            }
            rep.stored_ballots += 1;
        }
        for r in db
            .query_all_raw(q(format!("SELECT item_id, choice FROM ballots WHERE item_id IN ({in_items})")))
            .await?
        {
            let (it, ch): (String, String) = (r.try_get("", "item_id")?, r.try_get("", "choice")?);
            if let Some(i) = item_ids.get(&it) {
                *per_item.entry(*i).or_default().entry(ch).or_default() += 1;
            }
        }
    }
    for (k, n) in &stored {
        if *n > 1 {
            rep.violations.push(format!("voter {} has {n} ballots on item {}", k.0, k.1));
        }
    }
    for (k, n) in &out.ballot_ok {
        if *n > 1 {
            rep.violations
                .push(format!("voter {} was acknowledged {n} ballots on item {}", k.0, k.1));
        }
        if !stored.contains_key(k) {
            rep.violations
                .push(format!("acknowledged ballot of voter {} on item {} not stored", k.0, k.1));
        }
    }
    for (i, tally) in &out.closed {
        let stored_n: u32 = stored.iter().filter(|((_, it), _)| it == i).map(|(_, n)| *n).sum();
        let cast = tally["cast"].as_i64().unwrap_or(-1);
        if cast != i64::from(stored_n) {
            rep.violations
                .push(format!("item {i}: tally says {cast} ballots, {stored_n} stored"));
        }
        let choices = per_item.get(i).cloned().unwrap_or_default();
        for c in ["agree", "disagree", "defer", "abstain"] {
            let t = tally[c].as_i64().unwrap_or(-1);
            let s = choices.get(c).copied().unwrap_or(0);
            if t != s {
                rep.violations.push(format!("item {i}: tally {c} = {t}, stored {s}"));
            }
        }
    }
    // Approvals: exactly one approval trail entry per proposal that was approved, ≤ 1 success.
    for (p, n) in &out.approve_ok {
        if *n != 1 {
            rep.violations.push(format!("proposal {p}: {n} approvals acknowledged"));
        }
        let k = count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM trail WHERE object_id = '{}' AND action = 'proposal.submission_approve'",
                waiting[*p]
            ),
        )
        .await?;
        if k != 1 {
            rep.violations.push(format!("proposal {p}: {k} approval entries in its trail"));
        }
    }
    // Sign-offs: one per document, numbers gapless and unique.
    let mut numbers = Vec::new();
    for (d, ns) in &out.signoff_ok {
        if ns.len() != 1 {
            rep.violations.push(format!("document {d}: {} sign-offs acknowledged", ns.len()));
        }
        let k = count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM trail WHERE object_id = '{}' AND action = 'outgoing.signoff'",
                docs[*d]
            ),
        )
        .await?;
        if k != 1 {
            rep.violations.push(format!("document {d}: {k} sign-off entries in its trail"));
        }
        numbers.extend(ns.iter().filter_map(|n| routing::number_of(n)));
    }
    numbers.sort_unstable();
    if numbers.iter().enumerate().any(|(i, n)| *n != i as u64 + 1) {
        rep.violations.push(format!("文号 not gapless/unique: {numbers:?}"));
    }
    rep.numbered_documents = count(&db, "SELECT COUNT(*) AS n FROM outgoing_documents WHERE number IS NOT NULL").await?;
    if rep.numbered_documents != out.signoff_ok.len() as i64 {
        rep.violations.push(format!(
            "{} numbered documents, {} sign-offs acknowledged",
            rep.numbered_documents,
            out.signoff_ok.len()
        ));
    }
    let dup_numbers = count(
        &db,
        "SELECT COUNT(*) AS n FROM (SELECT number FROM outgoing_documents WHERE number IS NOT NULL GROUP BY number HAVING COUNT(*) > 1) d",
    )
    .await?;
    if dup_numbers > 0 {
        rep.violations.push(format!("{dup_numbers} 文号 used twice"));
    }
    let v = yishi::audit::verify(&db).await.map_err(|e| anyhow!("{e}"))?;
    if !v.ok {
        rep.violations.push(format!("audit chain broken: {:?}", v.first_bad));
    }
    db.close().await?;
    Ok(rep)
}
