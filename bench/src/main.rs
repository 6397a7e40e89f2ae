//! `yishi-bench`: see lib.rs and docs/performance.md. Normally started by scripts/bench.sh,
//! which builds everything in release mode first.
use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use yishi_bench::report::{self, Machine, Section};
use yishi_bench::{crash, run, server, tamper};

#[derive(Parser)]
#[command(name = "yishi-bench", about = "Yishi benchmarks against the physical limits, and robustness harnesses")]
struct Cli {
    /// The document the results are rendered into.
    #[arg(long, global = true, default_value = "docs/performance.md")]
    doc: PathBuf,
    /// PostgreSQL admin URL for the PostgreSQL figures ("" to skip).
    #[arg(long, global = true, env = "YISHI_BENCH_PG", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
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
        /// Only these steps (comma-separated: ceilings,authz,q,b,r).
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
        Cmd::Run { runs, seconds, users, only } => {
            run::run(&run::Opts { runs, seconds, users, pg, doc: cli.doc, only }).await?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Tamper { trials, entries, seed } => {
            let m = Machine::now();
            let mut body = String::from("| database | chain entries | tamperings | detected | undetected | by kind (detected/trials) |\n| --- | ---: | ---: | ---: | ---: | --- |\n");
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
            let _ = std::fs::remove_dir_all(&dir);
            body += "\nEach tampering is made directly in the database inside a transaction, `yishi::audit::verify` (the code behind \
                     `yishi audit verify` and `GET /api/v1/audit/verify`) runs inside the same transaction, then it is rolled back. \
                     Kinds: edit one column of one entry (every column); edit and recompute that entry's own hash; delete an entry; \
                     delete the last 1–3 entries; swap two entries' contents (reorder); renumber an entry; append a correctly \
                     chained forged entry without moving the head; edit the head. What a hash chain cannot detect by design: an \
                     attacker who rewrites every entry after the edit *and* the head (needs anchoring the head outside the database).\n";
            report::save(
                "tamper",
                Section { title: "Tamper detection (R19)".into(), command: report::command_line(), at: report::now(), machine: m.finish(), body, data: serde_json::Value::Object(data) },
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
                    rep.cycles, rep.kills_during_startup, acked.join(", "), rep.lost, rep.duplicated, rep.number_gaps, rep.audit_failures, rep.audit_entries, rep.restart_ms_p50, rep.restart_ms_max
                );
                for p in &rep.problems {
                    body += &format!("\n- {name}: {p}");
                }
                data.insert(name.into(), serde_json::to_value(&rep)?);
                if let Some(a) = admin {
                    server::drop_pg(a, &url).await;
                }
                let _ = std::fs::remove_dir_all(&dir);
            }
            body += "\nEach cycle: concurrent writers run the workloads against a release `yishi serve`; after a random 150–1500 ms the \
                     process gets SIGKILL; one restart in ten is itself killed 5–150 ms into start-up; then the server is restarted on the \
                     same database and, with a separate connection, every acknowledged action is looked up (lost), effects counted \
                     (duplicated), gapless series checked, and the audit chain verified.\n";
            report::save(
                "crash",
                Section { title: "Crash durability (R43, kill -9)".into(), command: report::command_line(), at: report::now(), machine: m.finish(), body, data: serde_json::Value::Object(data) },
                &cli.doc,
            )?;
            Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Cmd::TrivialServer { .. } => Ok(ExitCode::SUCCESS),
    }
}
