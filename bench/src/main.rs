//! `yishi-bench`: see lib.rs and docs/performance.md. Normally started by scripts/bench.sh,
//! which builds everything in release mode first.
use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use yishi_bench::report::{self, Machine, Section, thousands};
use yishi_bench::{crash, run, server, tamper};

#[derive(Parser)]
#[command(
    name = "yishi-bench",
    about = "Yishi benchmarks against the physical limits, and robustness harnesses"
)]
struct Cli {
    /// The document the results are rendered into.
    #[arg(long, global = true, default_value = "docs/performance.md")]
    doc: PathBuf,
    /// PostgreSQL admin URL for the PostgreSQL figures ("" to skip).
    #[arg(
        long,
        global = true,
        env = "YISHI_BENCH_PG",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pg: String,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// The benchmark: ceilings, authorization, scenarios Q/B/R, memory (medians of --runs).
    Run {
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Seconds per measurement.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Concurrent users (one connection each).
        #[arg(long, default_value_t = 64)]
        users: usize,
        /// Only these steps (comma-separated: ceilings,authz,q,b,r,pdf; b-sqlite or b-pg runs B
        /// on one database only).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    /// Audit tamper detection (R19): random single-row edits/deletions/reorderings.
    Tamper {
        #[arg(long, default_value_t = 1000)]
        trials: usize,
        /// Entries in the chain to tamper with.
        #[arg(long, default_value_t = 300)]
        entries: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// kill -9 durability (R43): workloads, kill at random moments, restart, check.
    Crash {
        #[arg(long, default_value_t = 100)]
        cycles: usize,
        #[arg(long, default_value_t = 8)]
        writers: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Databases: sqlite,pg
        #[arg(long, value_delimiter = ',', default_value = "sqlite,pg")]
        db: Vec<String>,
    },
    /// Races (R42): randomized concurrent ballots, approvals, sign-offs vs invariants.
    Races {
        #[arg(long, default_value_t = 10_000)]
        ops: usize,
        #[arg(long, default_value_t = 150)]
        items: usize,
        #[arg(long, default_value_t = 600)]
        proposals: usize,
        #[arg(long, default_value_t = 500)]
        documents: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Extra voting members besides the four demo members.
        #[arg(long, default_value_t = 12)]
        voters: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, value_delimiter = ',', default_value = "sqlite,pg")]
        db: Vec<String>,
    },
    /// Large database (1,000,000 documents, 10,000 users): to-do list and document lists.
    Bigdata {
        #[arg(long, default_value_t = 1_000_000)]
        docs: usize,
        #[arg(long, default_value_t = 10_000)]
        users: usize,
        #[arg(long, default_value_t = 50)]
        units: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Keep (and reuse) the generated database in this directory.
        #[arg(long)]
        keep: Option<PathBuf>,
        /// On PostgreSQL (database `yishi_bigdata` on the `--pg` server) instead of SQLite.
        #[arg(long)]
        postgres: bool,
    },
    /// Re-renders the document from its figures (docs/performance.json) without measuring.
    Render,
    /// Stores a Markdown section (from scripts: schemathesis, cargo fuzz) into the results.
    Section {
        #[arg(long)]
        key: String,
        #[arg(long)]
        title: String,
        #[arg(long)]
        body_file: PathBuf,
        /// The command line to show (default: the calling script's).
        #[arg(long, env = "YISHI_BENCH_COMMAND")]
        command: Option<String>,
    },
    /// The trivial axum server (the HTTP ceiling); started by `run`.
    #[command(hide = true)]
    TrivialServer {
        #[arg(long)]
        port: u16,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Cmd::TrivialServer { port } = cli.cmd {
        return match yishi_bench::ceilings::trivial_server(port) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn pg_reachable(url: &str) -> Option<String> {
    if url.is_empty() {
        return None;
    }
    match sea_orm::Database::connect(url).await {
        Ok(c) => {
            let _ = c.close().await;
            Some(url.to_string())
        }
        Err(e) => {
            eprintln!("PostgreSQL at {url} not reachable ({e}): PostgreSQL figures skipped");
            None
        }
    }
}

async fn dispatch(cli: Cli) -> Result<ExitCode> {
    let pg = pg_reachable(&cli.pg).await;
    match cli.cmd {
        Cmd::Run {
            runs,
            seconds,
            users,
            only,
        } => {
            run::run(&run::Opts {
                runs,
                seconds,
                users,
                pg,
                doc: cli.doc,
                only,
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Tamper { trials, entries, seed } => {
            let m = Machine::now();
            let mut body = String::from(
                "| database | chain entries | tamperings | detected | undetected | by kind (detected/trials) |\n| --- | ---: | ---: | ---: | ---: | --- |\n",
            );
            let mut data = serde_json::Map::new();
            let mut all_ok = true;
            let dir = server::scratch("tamper")?;
            for (name, admin) in [("SQLite", None), ("PostgreSQL", pg.as_deref())] {
                if name == "PostgreSQL" && admin.is_none() {
                    continue;
                }
                let url = server::fresh_database(&dir, admin, "tamper").await?;
                let db = yishi::startup::prepare_database(&url).await?;
                tamper::build_chain(&db, entries, seed).await?;
                let rep = tamper::run(&db.conn, trials, seed).await?;
                db.conn.close().await?;
                if let Some(a) = admin {
                    server::drop_pg(a, &url).await;
                }
                eprintln!("[tamper] {name}: {}", rep.summary());
                for u in &rep.undetected {
                    eprintln!("  UNDETECTED: {u}");
                }
                all_ok &= rep.undetected.is_empty();
                let kinds: Vec<String> = rep.by_kind.iter().map(|(k, (n, d))| format!("{k} {d}/{n}")).collect();
                body += &format!(
                    "| {name} | {} | {} | {} | {} | {} |\n",
                    rep.chain_entries,
                    rep.trials,
                    rep.detected,
                    rep.undetected.len(),
                    kinds.join(", ")
                );
                data.insert(name.into(), serde_json::to_value(&rep)?);
            }
            server::cleanup(&dir);
            body += "\nEach tampering is made directly in the database inside a transaction, `yishi::audit::verify` (the code behind \
                     `yishi audit verify` and `GET /api/v1/audit/verify`) runs inside the same transaction, then it is rolled back. \
                     Kinds: edit one column of one entry (every column); edit and recompute that entry's own hash; delete an entry; \
                     delete the last 1–3 entries; swap two entries' contents (reorder); renumber an entry; append a correctly \
                     chained forged entry without moving the head; edit the head. What a hash chain cannot detect by design: an \
                     attacker who rewrites every entry after the edit *and* the head (needs anchoring the head outside the database).\n";
            report::save(
                "tamper",
                Section {
                    title: "Tamper detection (R19)".into(),
                    command: report::command_line(),
                    at: report::now(),
                    machine: m.finish(),
                    body,
                    data: serde_json::Value::Object(data),
                },
                &cli.doc,
            )?;
            Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Cmd::Crash { cycles, writers, seed, db } => {
            let m = Machine::now();
            let bin = server::yishi_bin()?;
            let mut body = String::from(
                "| database | cycles | killed during start-up | acknowledged actions | lost | duplicated | number gaps | audit failures | audit entries | restart p50 / max |\n| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
            );
            let mut data = serde_json::Map::new();
            let mut all_ok = true;
            for which in db {
                let admin = match which.as_str() {
                    "sqlite" => None,
                    "pg" if pg.is_some() => pg.as_deref(),
                    _ => continue,
                };
                let name = if admin.is_some() { "PostgreSQL" } else { "SQLite" };
                let dir = server::scratch("crash")?;
                let url = server::fresh_database(&dir, admin, "crash").await?;
                let seeded = crash::prepare(&url).await?;
                let o = crash::CrashOpts {
                    cycles,
                    bin: bin.clone(),
                    database_url: url.clone(),
                    dir: dir.clone(),
                    seed,
                    kill_after_ms: (150, 1500),
                    writers,
                    workloads: vec!["absences".into(), "ballots".into(), "routing".into()],
                };
                let rep = crash::run(&o, &seeded).await?;
                eprintln!("[crash] {name}: {}", rep.summary());
                all_ok &= rep.ok();
                let acked: Vec<String> = rep.acknowledged.iter().map(|(k, v)| format!("{k} {v}")).collect();
                body += &format!(
                    "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {:.0} / {:.0} ms |\n",
                    rep.cycles,
                    rep.kills_during_startup,
                    acked.join(", "),
                    rep.lost,
                    rep.duplicated,
                    rep.number_gaps,
                    rep.audit_failures,
                    rep.audit_entries,
                    rep.restart_ms_p50,
                    rep.restart_ms_max
                );
                for p in &rep.problems {
                    body += &format!("\n- {name}: {p}");
                }
                data.insert(name.into(), serde_json::to_value(&rep)?);
                if let Some(a) = admin {
                    server::drop_pg(a, &url).await;
                }
                server::cleanup(&dir);
            }
            body += "\nEach cycle: concurrent writers run the workloads against a release `yishi serve`; after a random 150–1500 ms the \
                     process gets SIGKILL; one restart in ten is itself killed 5–150 ms into start-up; then the server is restarted on the \
                     same database and, with a separate connection, every acknowledged action is looked up (lost), effects counted \
                     (duplicated), gapless series checked, and the audit chain verified.\n";
            report::save(
                "crash",
                Section {
                    title: "Crash durability (R43, kill -9)".into(),
                    command: report::command_line(),
                    at: report::now(),
                    machine: m.finish(),
                    body,
                    data: serde_json::Value::Object(data),
                },
                &cli.doc,
            )?;
            Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Cmd::Races {
            ops,
            items,
            proposals,
            documents,
            concurrency,
            voters,
            seed,
            db,
        } => {
            let m = Machine::now();
            let bin = server::yishi_bin()?;
            let mut body = String::from(
                "| database | operations | by kind (sent / acknowledged / refused) | 5xx | stored ballots | closed items | numbered documents | invariant violations |\n| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |\n",
            );
            let mut data = serde_json::Map::new();
            let mut all_ok = true;
            for which in db {
                let admin = match which.as_str() {
                    "sqlite" => None,
                    "pg" if pg.is_some() => pg.as_deref(),
                    _ => continue,
                };
                let name = if admin.is_some() { "PostgreSQL" } else { "SQLite" };
                let dir = server::scratch("races")?;
                let url = server::fresh_database(&dir, admin, "races").await?;
                let seeded = yishi_bench::seed::seed(&url, &[("member", voters, None)]).await?;
                let proc = server::start_yishi(&bin, &url, &dir, None).await?;
                let mut names: Vec<String> = ["lina", "wangqiang", "liuyang", "chenjing"].iter().map(|s| s.to_string()).collect();
                names.extend(seeded.extra.get("member").cloned().unwrap_or_default());
                let o = yishi_bench::races::RaceOpts {
                    ops,
                    items,
                    proposals,
                    documents,
                    concurrency,
                    seed,
                };
                let t = std::time::Instant::now();
                let rep = yishi_bench::races::run(&proc.base, &url, &seeded, &names, &o).await?;
                eprintln!("[races] {name} ({:.0} s): {}", t.elapsed().as_secs_f64(), rep.summary());
                drop(proc);
                all_ok &= rep.ok();
                let kinds: Vec<String> = rep.by_kind.iter().map(|(k, (s, a, r))| format!("{k} {s}/{a}/{r}")).collect();
                body += &format!(
                    "| {name} | {} | {} | {} | {} | {} | {} | {} |\n",
                    rep.ops,
                    kinds.join(", "),
                    rep.server_errors,
                    rep.stored_ballots,
                    rep.closed_items,
                    rep.numbered_documents,
                    if rep.violations.is_empty() {
                        "none".to_string()
                    } else {
                        rep.violations.join("; ")
                    }
                );
                data.insert(name.into(), serde_json::to_value(&rep)?);
                if let Some(a) = admin {
                    server::drop_pg(a, &url).await;
                }
                server::cleanup(&dir);
            }
            body += &format!(
                "\n{ops} operations, {concurrency} in flight: ballots by {} voters on {items} items (a quarter sent twice at once), \
                 submission approvals of {proposals} proposals each sent 2–3 times at once by the deputy on two connections, \
                 sign-offs of {documents} documents by the deputy in charge and the principal at once, and close-vote on a fifth \
                 of the items while ballots are in flight. Checked afterwards in the database: one ballot per member per item, \
                 every acknowledged ballot stored, tally = stored ballots per choice for every closed item, one approval and one \
                 sign-off per object (acknowledged and in its trail), 文号 gapless and unique and as many as acknowledged \
                 sign-offs, no 5xx, audit chain intact.\n",
                voters + 4
            );
            report::save(
                "races",
                Section {
                    title: "Races (R42)".into(),
                    command: report::command_line(),
                    at: report::now(),
                    machine: m.finish(),
                    body,
                    data: serde_json::Value::Object(data),
                },
                &cli.doc,
            )?;
            Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Cmd::Bigdata {
            docs,
            users,
            units,
            seconds,
            keep,
            postgres,
        } => {
            if postgres && cli.pg.is_empty() {
                return Err(anyhow::anyhow!("--postgres needs a PostgreSQL admin URL (--pg or YISHI_BENCH_PG)"));
            }
            let (key, engine) = if postgres { ("bigdata_pg", "PostgreSQL") } else { ("bigdata", "SQLite") };
            let m = Machine::now();
            let (g, measured, plans) =
                yishi_bench::bigdata::run(docs, users, units, seconds, keep, postgres.then_some(cli.pg.as_str())).await?;
            let mut body = format!(
                "{engine} database with {} outgoing and {} incoming documents ({} in processing, the rest archived), {} accounts in {} units \
                 (each a copy of the demo unit plus handlers and staff), generated in {:.0} s. Eight signed-in people (section heads, \
                 office director, deputies, handlers, clerk — each in another unit). Per endpoint, medians of three runs of {seconds} s each: \
                 the capacity, closed loop (each person sends the next request when the answer arrived, so latency there is queueing at \
                 saturation); then the answer time at half that rate, open loop with latencies from the intended send times \
                 (coordinated omission corrected) — the p99 the target is about. Lists with their default page size (50). The load \
                 generator runs on the same two cores.\n\n\
                 | endpoint | capacity (req/s) | p50 / p99 at capacity | paced at (req/s) | p50 | p99 | target p99 | met | errors |\n\
                 | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |\n",
                g.outgoing,
                g.incoming,
                g.in_processing,
                g.users,
                g.units.len(),
                g.seconds
            );
            let mut data = serde_json::Map::new();
            for x in &measured {
                body += &format!(
                    "| `{}` | {:.0} | {:.1} / {:.1} ms | {:.0} | {:.1} ms | {:.1} ms | 50 ms | {} | {} |\n",
                    x.label,
                    x.capacity.throughput,
                    x.capacity.p50_ms,
                    x.capacity.p99_ms,
                    x.stats.target_rate,
                    x.stats.p50_ms,
                    x.stats.p99_ms,
                    if x.stats.p99_ms < 50.0 && x.stats.errors == 0 {
                        "yes"
                    } else {
                        "**no**"
                    },
                    x.stats.errors + x.capacity.errors
                );
                data.insert(x.label.clone(), serde_json::to_value(&x.stats)?);
                data.insert(format!("{} (capacity)", x.label), serde_json::to_value(&x.capacity)?);
            }
            // Earlier runs of this section (newest first, at most five), for before/after comparisons.
            let mut history: Vec<serde_json::Value> = Vec::new();
            if let Some(prev) = report::load_all(&cli.doc).remove(key) {
                let figures: serde_json::Map<String, serde_json::Value> = measured
                    .iter()
                    .filter_map(|x| prev.data.get(&x.label).map(|v| (x.label.clone(), v.clone())))
                    .collect();
                history.push(serde_json::json!({"at": prev.at, "commit": prev.machine.commit, "load": prev.machine.load_before, "figures": figures}));
                if let Some(older) = prev.data.get("history").and_then(|h| h.as_array()) {
                    history.extend(older.iter().cloned());
                }
                history.truncate(5);
            }
            if !history.is_empty() {
                body += "\nEarlier runs of this command (p50 / p99 per endpoint as the table's target column, same order as above; runs \
                         before 2026-12-04 10:15 UTC measured closed loop only; the commit is the one checked out, the working tree may have \
                         held uncommitted changes):\n\n| at | commit | load before | figures |\n| --- | --- | --- | --- |\n";
                for h in &history {
                    let figs: Vec<String> = measured
                        .iter()
                        .map(|x| {
                            let f = &h["figures"][&x.label];
                            match (f["p50_ms"].as_f64(), f["p99_ms"].as_f64()) {
                                (Some(a), Some(b)) => format!("{a:.1} / {b:.1} ms"),
                                _ => "—".into(),
                            }
                        })
                        .collect();
                    body += &format!(
                        "| {} | {} | {} | {} |\n",
                        h["at"].as_str().unwrap_or(""),
                        h["commit"].as_str().unwrap_or(""),
                        h["load"].as_str().unwrap_or(""),
                        figs.join(" · ")
                    );
                }
            }
            data.insert("history".into(), serde_json::Value::Array(history));
            body += &format!("\nQuery plans (one unit; the statements the server builds, for people of several roles):\n\n{plans}");
            report::save(
                key,
                Section {
                    title: format!(
                        "Large database ({engine}): {} documents, {} users",
                        thousands(g.outgoing + g.incoming),
                        thousands(g.users)
                    ),
                    command: report::command_line(),
                    at: report::now(),
                    machine: m.finish(),
                    body,
                    data: serde_json::Value::Object(data),
                },
                &cli.doc,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Section {
            key,
            title,
            body_file,
            command,
        } => {
            let body = std::fs::read_to_string(&body_file)?;
            let command = command.unwrap_or_else(|| match key.as_str() {
                "fuzz_api" => "scripts/schemathesis.sh".into(),
                "fuzz_parsers" => "scripts/fuzz.sh".into(),
                _ => report::command_line(),
            });
            report::save(
                &key,
                Section {
                    title,
                    command,
                    at: report::now(),
                    machine: Machine::now().finish(),
                    body,
                    data: serde_json::Value::Null,
                },
                &cli.doc,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Render => {
            std::fs::write(&cli.doc, report::render(&report::load_all(&cli.doc)))?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::TrivialServer { .. } => Ok(ExitCode::SUCCESS),
    }
}

