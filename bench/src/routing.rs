//! Scenario R (routing): complete outgoing documents (发文), each through draft → section
//! review → three parallel countersigns → consolidation → office verification → sign-off
//! (which numbers it), by concurrent pipelines; instances/s and per-step latency. Then the
//! 文号 of the run are checked gapless and unique.
use crate::client::Session;
use crate::load::{self, Op};
use crate::report::{self, Machine, Section, ratio};
use crate::run::{Ceil, MemWatch, Opts, mib};
use crate::{scenarios, seed, server};
use anyhow::{Context, Result, anyhow, bail};
use futures::FutureExt;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub const STEPS: &[&str] = &[
    "draft",
    "submit",
    "review",
    "countersign",
    "opinion ×3 (parallel)",
    "consolidate",
    "verify",
    "signoff",
];
/// Write requests per instance (the three opinions are three requests).
pub const WRITES_PER_INSTANCE: f64 = 10.0;

#[derive(Clone)]
pub struct Cast {
    pub drafter: Session,
    pub head: Session,
    pub cs: [Session; 3],
    pub office: Session,
    pub signer: Session,
    pub sections: [String; 3],
}

impl Cast {
    pub async fn sign_in(base: &str, seeded: &seed::Seeded) -> Result<Cast> {
        let s = |n: &'static str| Session::sign_in(base, n, seed::PASSWORD);
        Ok(Cast {
            drafter: s("huangxin").await?,
            head: s("zhoujie").await?,
            cs: [s("wuhua").await?, s("zhengkai").await?, s("zhaomin").await?],
            office: s("zhaomin").await?,
            signer: s("wangqiang").await?,
            sections: [
                seeded.org.section("finance"),
                seeded.org.section("farmland"),
                seeded.org.section("office"),
            ],
        })
    }
}

pub fn doc_body(i: u64) -> Value {
    json!({
        "title": format!("关于开展耕地保护专项检查的通知（{i}）"),
        "doc_type": "notice",
        "issuing_form": "bureau_general",
        "series": "发",
        "recipients": {"main": ["各县（市、区）国土资源局"], "cc": ["局领导"]},
        "body": [
            {"kind": "heading", "level": 1, "text": "基本情况"},
            {"kind": "paragraph", "text": "为切实加强耕地保护，经研究，决定在全市范围内开展耕地保护专项检查。"},
            {"kind": "paragraph", "text": "各单位要高度重视，认真组织，确保检查工作取得实效。"},
        ],
        "urgency": "normal",
    })
}

type StepLat = Arc<Mutex<BTreeMap<&'static str, Vec<u64>>>>;

async fn timed(lat: &StepLat, step: &'static str, f: impl std::future::Future<Output = Result<Value>>) -> Result<Value> {
    let t = Instant::now();
    let v = f.await?;
    if let Ok(mut m) = lat.lock() {
        m.entry(step).or_default().push(t.elapsed().as_micros() as u64);
    }
    Ok(v)
}

/// One complete instance; returns the 文号.
pub async fn instance(c: &Cast, unit: &str, i: u64, lat: &StepLat) -> Result<String> {
    let d = timed(
        lat,
        "draft",
        c.drafter.post(&format!("/api/v1/units/{unit}/outgoing"), &doc_body(i)),
    )
    .await?;
    let id = d["id"].as_str().ok_or_else(|| anyhow!("no id"))?.to_string();
    let p = |s: &str| format!("/api/v1/outgoing/{id}/{s}");
    timed(lat, "submit", c.drafter.post(&p("submit"), &json!({}))).await?;
    timed(
        lat,
        "review",
        c.head.post(&p("review"), &json!({"approve": true, "opinion": "同意"})),
    )
    .await?;
    timed(
        lat,
        "countersign",
        c.drafter.post(&p("countersign"), &json!({"section_ids": c.sections})),
    )
    .await?;
    let t = Instant::now();
    let path = p("countersign-opinions");
    let opinion = json!({"stance": "agree", "text": "同意"});
    let ops = c.cs.iter().map(|s| s.post(&path, &opinion));
    for r in futures::future::join_all(ops).await {
        r?;
    }
    if let Ok(mut m) = lat.lock() {
        m.entry("opinion ×3 (parallel)").or_default().push(t.elapsed().as_micros() as u64);
    }
    timed(lat, "consolidate", c.drafter.post(&p("consolidate"), &json!({}))).await?;
    timed(
        lat,
        "verify",
        c.office.post(&p("verify"), &json!({"pass": true, "opinion": "核稿通过"})),
    )
    .await?;
    let s = timed(lat, "signoff", c.signer.post(&p("signoff"), &json!({"opinion": "同意"}))).await?;
    s["number"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("signed off without a number: {s}"))
}

/// Parses `X国土资发〔2026〕12号` → 12.
pub fn number_of(wenhao: &str) -> Option<u64> {
    wenhao.rsplit_once('〕')?.1.trim_end_matches('号').parse().ok()
}

pub struct RunOut {
    pub instances: load::Stats,
    pub steps: BTreeMap<&'static str, (f64, f64)>,
    pub gapless: bool,
    pub mem: (u64, u64),
}

pub async fn one_run(o: &Opts, pg: Option<&str>, workers: usize) -> Result<RunOut> {
    let bin = server::yishi_bin()?;
    let dir = server::scratch("r")?;
    let url = server::fresh_database(&dir, pg, "r").await?;
    let seeded = seed::seed(&url, &[]).await?;
    let proc = server::start_yishi(&bin, &url, &dir, None).await?;
    let watch = MemWatch::start(proc.pid());
    let routes = scenarios::routes(&proc.base).await?;
    if !scenarios::has(&routes, "POST", "/api/v1/outgoing/{id}/signoff") {
        bail!("the outgoing routes are not served yet");
    }
    let cast = Cast::sign_in(&proc.base, &seeded).await?;
    let unit = seeded.unit().to_string();
    let lat: StepLat = Arc::new(Mutex::new(BTreeMap::new()));
    let numbers = Arc::new(Mutex::new(Vec::<String>::new()));
    let op: Op = {
        let (cast, unit, lat, numbers) = (cast.clone(), unit.clone(), lat.clone(), numbers.clone());
        Arc::new(move |u, k| {
            let (cast, unit, lat, numbers) = (cast.clone(), unit.clone(), lat.clone(), numbers.clone());
            async move {
                let n = instance(&cast, &unit, (u as u64) << 32 | k, &lat)
                    .await
                    .map_err(|e| error_kind(&format!("{e}")))?;
                if let Ok(mut v) = numbers.lock() {
                    v.push(n);
                }
                Ok(())
            }
            .boxed()
        })
    };
    let stats = load::with_cpu(proc.pid(), load::closed("outgoing documents", workers, o.dur_pub(), None, op)).await;
    let mem = watch.finish().await;
    let steps = lat
        .lock()
        .map_err(|_| anyhow!("poisoned"))?
        .iter_mut()
        .map(|(k, v)| {
            v.sort_unstable();
            let p = |q: f64| {
                v.get(((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1)
                    .map(|x| *x as f64 / 1000.0)
                    .unwrap_or(0.0)
            };
            (*k, (p(0.5), p(0.99)))
        })
        .collect();
    let mut ns: Vec<u64> = numbers
        .lock()
        .map_err(|_| anyhow!("poisoned"))?
        .iter()
        .filter_map(|w| number_of(w))
        .collect();
    ns.sort_unstable();
    let gapless = ns.iter().enumerate().all(|(i, n)| *n == i as u64 + 1);
    // Also in the database: numbered documents carry exactly 1..N (failed attempts gave numbers back).
    drop(proc);
    if let Some(a) = pg {
        server::drop_pg(a, &url).await;
    }
    crate::server::cleanup(&dir);
    Ok(RunOut {
        instances: stats,
        steps,
        gapless,
        mem,
    })
}

pub async fn step(o: &Opts, ceil: &Ceil) -> Result<()> {
    let m = Machine::now();
    let workers = o.users.min(16);
    let mut body = String::new();
    let mut data = serde_json::Map::new();
    let mut dbs = vec![("SQLite", None::<&str>, ceil.sqlite_commit_1)];
    if let Some(pg) = o.pg.as_deref() {
        dbs.push(("PostgreSQL", Some(pg), ceil.pgbench_n));
    }
    for (name, pg, commit_ceiling) in dbs {
        let mut runs = Vec::new();
        for r in 0..o.runs {
            let out = one_run(o, pg, workers)
                .await
                .with_context(|| format!("scenario R on {name}, run {}", r + 1))?;
            eprintln!("[r] {name} run {}: {}", r + 1, out.instances.line());
            runs.push(out);
        }
        let inst = load::median(&runs.iter().map(|r| r.instances.clone()).collect::<Vec<_>>());
        let writes = inst.throughput * WRITES_PER_INSTANCE;
        body += &format!(
            "### {name}\n\n{workers} concurrent pipelines (bureau_general document; drafter 黄欣, head 周杰, countersigns 财务处/耕地保护处/办公室, verification 赵敏, sign-off 王强).\n\n\
             | figure | value | ceiling | ratio |\n| --- | ---: | ---: | ---: |\n\
             | complete documents/s (10 write requests each) | {:.1} | — | — |\n\
             | write requests/s | {:.0} | {:.0} ({}) | {} |\n\
             | instance latency p50 / p99 | {:.0} ms / {:.0} ms | — | — |\n\
             | errors | {} | — | — |\n\
             | server CPU per complete document | {:.1} ms | — | — |\n\
             | 文号 gapless and unique in every run | {} | — | — |\n\
             | server memory peak / steady | {:.1} / {:.1} MiB | — | — |\n\n\
             | step | p50 | p99 |\n| --- | ---: | ---: |\n",
            inst.throughput,
            writes,
            commit_ceiling,
            if pg.is_some() {
                "pgbench -N tps"
            } else {
                "SQLite single-row commits/s"
            },
            ratio(writes, commit_ceiling),
            inst.p50_ms,
            inst.p99_ms,
            inst.errors,
            inst.server_cpu_ms,
            if runs.iter().all(|r| r.gapless) { "yes" } else { "**no**" },
            mib(runs.iter().map(|r| r.mem.0).max().unwrap_or(0)),
            mib(runs.iter().map(|r| r.mem.1).max().unwrap_or(0)),
        );
        for s in STEPS {
            let mut p50: Vec<f64> = runs.iter().filter_map(|r| r.steps.get(s).map(|x| x.0)).collect();
            let mut p99: Vec<f64> = runs.iter().filter_map(|r| r.steps.get(s).map(|x| x.1)).collect();
            p50.sort_by(|a, b| a.total_cmp(b));
            p99.sort_by(|a, b| a.total_cmp(b));
            body += &format!(
                "| {s} | {:.1} ms | {:.1} ms |\n",
                p50.get(p50.len() / 2).copied().unwrap_or(0.0),
                p99.get(p99.len() / 2).copied().unwrap_or(0.0)
            );
        }
        if inst.errors > 0 {
            body += &format!("\nErrors by kind: {:?}\n", inst.error_kinds);
        }
        body += "\n";
        data.insert(name.into(), json!({ "instances": inst, "gapless": runs.iter().all(|r| r.gapless) }));
    }
    report::save(
        "scenario_r",
        Section {
            title: "Scenario R — outgoing documents, draft to number".into(),
            command: report::command_line(),
            at: report::now(),
            machine: m.finish(),
            body,
            data: serde_json::Value::Object(data),
        },
        &o.doc,
    )
}

/// An error as a kind: ids in paths become `{id}` (so a thousand documents refused the same
/// way count as one kind), cut at 120 characters.
fn error_kind(e: &str) -> String {
    e.split('/')
        .map(|seg| {
            let id_len = seg.find(|c: char| !(c.is_ascii_hexdigit() || c == '-')).unwrap_or(seg.len());
            if id_len == 36 { format!("{{id}}{}", &seg[36..]) } else { seg.to_string() }
        })
        .collect::<Vec<_>>()
        .join("/")
        .chars()
        .take(120)
        .collect()
}

