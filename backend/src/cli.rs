//! Command line (API.md "Command line"): serve, migrate, bootstrap, demo, audit verify.
use crate::config::Config;
use crate::startup::{Application, prepare_database};
use clap::{Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "yishi", version, about = "议事 Yishi — 三重一大集体决策与网上会办系统")]
pub struct Cli {
    /// Log format.
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the server (migrations run on start).
    Serve {
        /// Listen address [env: YISHI_ADDR] [default: 127.0.0.1:8080]
        #[arg(long)]
        addr: Option<SocketAddr>,
        /// Database URL [env: DATABASE_URL] [default: sqlite://data/yishi.db?mode=rwc]
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Apply migrations and exit.
    Migrate {
        #[arg(long)]
        database_url: Option<String>,
    },
    /// On an empty database only: create the three administrator accounts (三权分立).
    /// Passwords come from env YISHI_BOOTSTRAP_PASSWORD, or are generated and printed.
    Bootstrap {
        #[arg(long)]
        sysadmin: String,
        #[arg(long)]
        secadmin: String,
        #[arg(long)]
        auditor: String,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// A fresh demo database (示例市国土资源局, its people and data in various states), then serve it.
    Demo {
        #[arg(long)]
        addr: Option<SocketAddr>,
        /// [default: sqlite://data/demo.db?mode=rwc], recreated on every start
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Audit log commands.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain; exit 1 and print the first bad entry if broken.
    Verify {
        #[arg(long)]
        database_url: Option<String>,
    },
}

pub fn main() -> ExitCode {
    crate::memory::tune_allocator();
    let cli = Cli::parse();
    crate::telemetry::init(matches!(cli.log_format, LogFormat::Json));
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { addr, database_url } => {
            let config = Config::from_env(addr, database_url)?;
            let app = Application::build(config).await?;
            tracing::info!(addr = ?app.local_addr(), "yishi serving");
            println!("Yishi 议事 listening on http://{}", app.local_addr().map(|a| a.to_string()).unwrap_or_default());
            app.run_until_stopped().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { database_url } => {
            let config = Config::from_env(None, database_url)?;
            prepare_database(&config.database_url).await?;
            println!("migrations applied: {}", config.database_url);
            Ok(ExitCode::SUCCESS)
        }
        Command::Bootstrap { sysadmin, secadmin, auditor, database_url } => {
            let config = Config::from_env(None, database_url)?;
            let db = prepare_database(&config.database_url).await?;
            let now = crate::clock::Clock::new(false).now();
            let out = crate::cli::bootstrap(&db, now, [&sysadmin, &secadmin, &auditor]).await;
            match out {
                Ok(lines) => {
                    for l in lines {
                        println!("{l}");
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("bootstrap refused: {e}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Demo { addr, database_url } => {
            let url = database_url.unwrap_or_else(|| "sqlite://data/demo.db?mode=rwc".to_string());
            if let Some(path) = url.strip_prefix("sqlite://").and_then(|p| p.split('?').next()) {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{path}{suffix}"));
                }
            }
            let config = Config::from_env(addr, Some(url))?;
            let app = Application::build(config).await?;
            let org = crate::demo::seed_org(&app.state.db, app.state.clock.now(), "").await.map_err(|e| anyhow::anyhow!(e.to_string()))?;
            app.state.authz.reload(&app.state.db.conn).await.map_err(|e| anyhow::anyhow!(e.to_string()))?;
            crate::demo::seed_flows(&app.state, &org).await.map_err(|e| anyhow::anyhow!(e.to_string()))?;
            let url = format!("http://{}", app.local_addr().map(|a| a.to_string()).unwrap_or_default());
            println!("\nYishi 议事 演示环境已启动：{url}");
            println!("单位：{}（机关代字 {}）", crate::demo::UNIT_NAME, crate::demo::UNIT_CODE);
            crate::demo::print_accounts();
            println!("\nAPI 文档：{url}/api/docs    按 Ctrl-C 退出");
            app.run_until_stopped().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { command: AuditCommand::Verify { database_url } } => {
            let config = Config::from_env(None, database_url)?;
            let db = crate::db::Db::connect(&config.database_url).await?;
            let report = crate::audit::verify(&db.conn).await.map_err(|e| anyhow::anyhow!(e.to_string()))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(if report.ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
    }
}

/// Creates the three administrators on an empty database (三权分立: three distinct accounts,
/// each holding exactly one of the three roles — the `admin_role` column holds one value).
pub async fn bootstrap(db: &crate::db::Db, now: chrono::DateTime<chrono::Utc>, names: [&String; 3]) -> crate::error::AppResult<Vec<String>> {
    use crate::error::AppError;
    use crate::store::entities::users;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, PaginatorTrait};
    if names[0] == names[1] || names[1] == names[2] || names[0] == names[2] {
        return Err(AppError::invalid("username", "三员须为三个不同的账户（三权分立）"));
    }
    let tx = db.begin_write().await?;
    if users::Entity::find().count(&*tx).await? > 0 {
        return Err(AppError::conflict("数据库中已有账户，bootstrap 只能在空库上运行"));
    }
    let env_pw = std::env::var("YISHI_BOOTSTRAP_PASSWORD").ok().filter(|p| !p.is_empty());
    if let Some(p) = &env_pw {
        crate::auth::check_password_policy("YISHI_BOOTSTRAP_PASSWORD", p)?;
    }
    let mut lines = Vec::new();
    for (name, role) in names.iter().zip(["sysadmin", "secadmin", "auditor"]) {
        let pw = env_pw.clone().unwrap_or_else(|| format!("Yi-{}", crate::auth::random_token()));
        users::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            username: Set(name.to_string()),
            display_name: Set(name.to_string()),
            password_hash: Set(crate::auth::hash_password(&pw)?),
            admin_role: Set(Some(role.to_string())),
            must_change_password: Set(true),
            active: Set(true),
            created_at: Set(now),
            version: Set(1),
        }
        .insert(&*tx)
        .await?;
        if env_pw.is_some() {
            lines.push(format!("{role}: {name}"));
        } else {
            lines.push(format!("{role}: {name}  password: {pw}"));
        }
    }
    crate::authz::bump_policy_version(&*tx).await?;
    crate::audit::append(&*tx, now, &crate::audit::Actor::system(), crate::audit::NewEntry {
        unit_id: None,
        action: "system.bootstrap".into(),
        object_type: "system".into(),
        object_id: None,
        before: serde_json::Value::Null,
        after: serde_json::json!({ "admins": names }),
        permanent: true,
    })
    .await?;
    tx.commit().await?;
    Ok(lines)
}
