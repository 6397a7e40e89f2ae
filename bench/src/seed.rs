//! Benchmark databases: the demo unit (示例市国土资源局, through `yishi::demo::seed_org`)
//! plus as many extra accounts as a scenario needs, written directly before the server
//! starts (creating hundreds of accounts through the API would spend the run hashing
//! passwords twice each: creation and the forced change).
use anyhow::{Result, anyhow};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, TransactionTrait};
use std::collections::BTreeMap;
use yishi::demo::{DEMO_PASSWORD, DemoOrg};
use yishi::store::entities::{memberships, users};

pub const PASSWORD: &str = DEMO_PASSWORD;

#[derive(Clone, Debug)]
pub struct Seeded {
    pub org: DemoOrg,
    /// Extra accounts by role: "member" → [username, …].
    pub extra: BTreeMap<String, Vec<String>>,
}

impl Seeded {
    pub fn unit(&self) -> &str {
        &self.org.unit_id
    }
}

fn e(x: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("{x}")
}

/// Migrates `database_url`, seeds the demo unit and `extra` accounts per role
/// (`("member", 59)` → bench_member_001…059 with role member; `section` puts handlers and
/// section heads into that demo section).
pub async fn seed(database_url: &str, extra: &[(&str, usize, Option<&str>)]) -> Result<Seeded> {
    seed_opts(database_url, extra, None).await
}

/// [`seed`], plus the demo's business data (proposals, meetings, published minutes, documents
/// in various states) made by the demo's own code before the extra accounts are added — as
/// `yishi demo` does, with `data_dir` for its files (the archive's PDFs).
pub async fn seed_with_flows(database_url: &str, extra: &[(&str, usize, Option<&str>)], data_dir: &std::path::Path) -> Result<Seeded> {
    seed_opts(database_url, extra, Some(data_dir)).await
}

async fn seed_opts(database_url: &str, extra: &[(&str, usize, Option<&str>)], flows_data_dir: Option<&std::path::Path>) -> Result<Seeded> {
    let db = yishi::startup::prepare_database(database_url).await?;
    let now = chrono::Utc::now();
    let org = yishi::demo::seed_org(&db, now, "").await.map_err(e)?;
    if let Some(dir) = flows_data_dir {
        let mut config = yishi::config::Config::from_env(Some("127.0.0.1:0".parse()?), Some(database_url.to_string()))?;
        config.data_dir = dir.to_path_buf();
        let app = yishi::startup::Application::build(config).await?;
        app.state.authz.reload(&app.state.db.conn).await.map_err(e)?;
        yishi::demo::seed_flows(&app.state, &org).await.map_err(e)?;
        app.state.db.conn.clone().close().await?;
    }
    let hash = yishi::auth::hash_password(PASSWORD).map_err(e)?;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let tx = db.conn.begin().await?;
    for (role, n, section) in extra {
        for i in 1..=*n {
            let username = format!("bench_{role}_{i:05}");
            let id = uuid::Uuid::now_v7().to_string();
            users::ActiveModel {
                id: Set(id.clone()),
                username: Set(username.clone()),
                display_name: Set(format!("测试{role}{i}")),
                password_hash: Set(hash.clone()),
                admin_role: Set(None),
                must_change_password: Set(false),
                active: Set(true),
                created_at: Set(now),
                version: Set(1),
            }
            .insert(&tx)
            .await?;
            memberships::ActiveModel {
                id: Set(uuid::Uuid::now_v7().to_string()),
                unit_id: Set(org.unit_id.clone()),
                user_id: Set(id),
                roles: Set(serde_json::to_string(&[role])?),
                section_id: Set(section.map(|s| org.section(s))),
                backup_user_id: Set(None),
                created_at: Set(now),
                version: Set(1),
            }
            .insert(&tx)
            .await?;
            out.entry(role.to_string()).or_default().push(username);
        }
    }
    yishi::authz::bump_policy_version(&tx).await.map_err(e)?;
    tx.commit().await?;
    db.conn.close().await?;
    Ok(Seeded { org, extra: out })
}
