//! Large-database reads: a generator writes `docs` documents (60% outgoing 发文, 40%
//! incoming 收文) and `users` accounts spread over `units` units (each a copy of the demo
//! unit plus staff and handlers), most documents archived and ~1.5% in processing with the
//! rows the flows expect (assignments for distributed incoming documents); then a release
//! `yishi` serves it and the to-do list and the document lists are measured (p50/p99), and
//! the query plans of the list queries are printed (indexes).
use crate::client::Session;
use crate::load::{self, Op, Stats};
use crate::{seed, server};
use anyhow::{Result, anyhow};
use chrono::{Duration, Utc};
use futures::FutureExt;
use rand::{Rng, SeedableRng};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, TransactionTrait};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;
use yishi::store::entities::{incoming_assignments, incoming_documents, memberships, outgoing_documents, users};

#[derive(Clone, Debug, serde::Serialize)]
pub struct Generated {
    pub units: Vec<String>,
    pub users: usize,
    pub outgoing: usize,
    pub incoming: usize,
    pub in_processing: usize,
    pub seconds: f64,
}

const OUT_WAITING: &[&str] = &["drafting", "section_review", "verifying", "signoff"];
const IN_WAITING: &[&str] = &["registered", "distributed", "accepted", "in_progress"];

fn e(x: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("{x}")
}

pub async fn generate(database_url: &str, docs: usize, n_users: usize, n_units: usize, seed_v: u64) -> Result<Generated> {
    let t0 = Instant::now();
    let db = yishi::startup::prepare_database(database_url).await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed_v);
    let now = Utc::now();
    let hash = yishi::auth::hash_password(seed::PASSWORD).map_err(e)?;
    let mut orgs = Vec::new();
    for u in 0..n_units {
        let suffix = if u == 0 { String::new() } else { format!("-{u}") };
        orgs.push(yishi::demo::seed_org(&db, now, &suffix).await.map_err(e)?);
    }
    // Extra accounts: per unit, handlers in the four sections and staff.
    let per_unit = (n_users / n_units).saturating_sub(yishi::demo::PEOPLE.len());
    let mut users_total = orgs.iter().map(|o| o.users.len()).sum::<usize>();
    let mut handlers: Vec<Vec<(String, String)>> = Vec::new(); // per unit: (user id, section id)
    for (ui, org) in orgs.iter().enumerate() {
        let tx = db.conn.begin().await?;
        let mut hs = Vec::new();
        let mut us = Vec::new();
        let mut ms = Vec::new();
        for i in 0..per_unit {
            let id = uuid::Uuid::now_v7().to_string();
            let section_key = ["office", "planning", "finance", "farmland"][i % 4];
            let role = if i % 3 == 0 { "handler" } else { "staff" };
            us.push(users::ActiveModel {
                id: Set(id.clone()),
                username: Set(format!("u{ui}_{i:05}")),
                display_name: Set(format!("职工{ui}-{i}")),
                password_hash: Set(hash.clone()),
                admin_role: Set(None),
                must_change_password: Set(false),
                active: Set(true),
                created_at: Set(now),
                version: Set(1),
            });
            ms.push(memberships::ActiveModel {
                id: Set(uuid::Uuid::now_v7().to_string()),
                unit_id: Set(org.unit_id.clone()),
                user_id: Set(id.clone()),
                roles: Set(json!([role]).to_string()),
                section_id: Set(Some(org.section(section_key))),
                backup_user_id: Set(None),
                created_at: Set(now),
                version: Set(1),
            });
            if role == "handler" {
                hs.push((id, org.section(section_key)));
            }
        }
        for c in us.chunks(500) {
            users::Entity::insert_many(c.to_vec()).exec_without_returning(&tx).await?;
        }
        for c in ms.chunks(500) {
            memberships::Entity::insert_many(c.to_vec()).exec_without_returning(&tx).await?;
        }
        tx.commit().await?;
        users_total += per_unit;
        // The demo handlers too.
        for (u, s) in [
            ("huangxin", "planning"),
            ("xuming", "finance"),
            ("gaofei", "farmland"),
            ("mali", "office"),
        ] {
            hs.push((org.user(u), org.section(s)));
        }
        handlers.push(hs);
    }
    yishi::authz::bump_policy_version(&db.conn).await.map_err(e)?;
    let n_out = docs * 6 / 10;
    let n_in = docs - n_out;
    let mut in_processing = 0;
    // Documents, oldest first, created over the past three years.
    let span = Duration::days(3 * 365).num_seconds();
    let batch = 400;
    let mut i = 0;
    while i < n_out {
        let tx = db.conn.begin().await?;
        let end = (i + 20_000).min(n_out);
        let mut rows = Vec::with_capacity(batch);
        for k in i..end {
            let ui = k % n_units;
            let org = &orgs[ui];
            let (drafter, section) = handlers[ui][rng.gen_range(0..handlers[ui].len())].clone();
            let created = now - Duration::seconds(span - (span * k as i64) / n_out as i64);
            let waiting = rng.gen_bool(0.015);
            let state = if waiting {
                OUT_WAITING[rng.gen_range(0..OUT_WAITING.len())]
            } else {
                "archived"
            };
            in_processing += usize::from(waiting);
            let year = chrono::Datelike::year(&created);
            let numbered = !waiting;
            rows.push(outgoing_documents::ActiveModel {
                id: Set(uuid::Uuid::now_v7().to_string()),
                unit_id: Set(org.unit_id.clone()),
                drafter_id: Set(drafter),
                main_section_id: Set(section),
                title: Set(format!("关于开展第{k}项专项检查工作的通知")),
                doc_type: Set("notice".into()),
                issuing_form: Set("bureau_general".into()),
                series: Set("发".into()),
                recipients: Set(json!({"main": ["各县（市、区）国土资源局"], "cc": []}).to_string()),
                body: Set(json!([{"kind": "paragraph", "text": "为切实加强耕地保护，经研究，决定开展专项检查。"}]).to_string()),
                urgency: Set("normal".into()),
                secrecy: Set("none".into()),
                amount_fen: Set(None),
                payee: Set(None),
                signoff_leader_id: Set(None),
                joint_departments: Set("[]".into()),
                state: Set(state.into()),
                paused_from: Set(None),
                pause_reason: Set(None),
                returned_at: Set(None),
                body_version: Set(1),
                number: Set(numbered.then(|| format!("{}发〔{year}〕{}号", yishi::demo::UNIT_CODE, k / n_units + 1))),
                number_no: Set(numbered.then_some((k / n_units + 1) as i64)),
                year: Set(numbered.then_some(year)),
                content_sha256: Set(None),
                signed_by: Set(numbered.then(|| org.user("wangqiang"))),
                signed_on_behalf_of: Set(None),
                signed_at: Set(numbered.then_some(created)),
                signoff_opinion: Set(None),
                linked_proposal_id: Set(None),
                issued_by: Set(numbered.then(|| org.user("sunli"))),
                issued_at: Set(numbered.then_some(created)),
                archived_at: Set(numbered.then_some(created)),
                created_at: Set(created),
                updated_at: Set(created),
                version: Set(1),
            });
            if rows.len() == batch {
                outgoing_documents::Entity::insert_many(std::mem::take(&mut rows))
                    .exec_without_returning(&tx)
                    .await?;
            }
        }
        if !rows.is_empty() {
            outgoing_documents::Entity::insert_many(rows).exec_without_returning(&tx).await?;
        }
        tx.commit().await?;
        i = end;
        eprintln!("[bigdata] outgoing {i}/{n_out} ({:.0} s)", t0.elapsed().as_secs_f64());
    }
    let mut i = 0;
    while i < n_in {
        let tx = db.conn.begin().await?;
        let end = (i + 20_000).min(n_in);
        let mut rows = Vec::with_capacity(batch);
        let mut asg = Vec::with_capacity(batch);
        for k in i..end {
            let ui = k % n_units;
            let org = &orgs[ui];
            let (handler, section) = handlers[ui][rng.gen_range(0..handlers[ui].len())].clone();
            let created = now - Duration::seconds(span - (span * k as i64) / n_in as i64);
            let waiting = rng.gen_bool(0.015);
            let state = if waiting {
                IN_WAITING[rng.gen_range(0..IN_WAITING.len())]
            } else {
                "archived"
            };
            in_processing += usize::from(waiting);
            let id = uuid::Uuid::now_v7().to_string();
            let distributed = state != "registered";
            let accepted = !matches!(state, "registered" | "distributed");
            let day = created.date_naive();
            rows.push(incoming_documents::ActiveModel {
                id: Set(id.clone()),
                unit_id: Set(org.unit_id.clone()),
                source_unit: Set("市人民政府办公室".into()),
                source_number: Set(format!("市政办〔2026〕{k}号")),
                title: Set(format!("关于做好第{k}项工作的通知")),
                secrecy: Set("none".into()),
                urgency: Set("normal".into()),
                received_on: Set(day.to_string()),
                deadline: Set((day + Duration::days(15)).to_string()),
                due_at: Set(created + Duration::days(15)),
                deadline_overridden: Set(false),
                kind: Set("non_approval".into()),
                doc_type: Set("notice".into()),
                major: Set(false),
                state: Set(state.into()),
                main_section_id: Set(distributed.then(|| section.clone())),
                co_section_ids: Set("[]".into()),
                handler_id: Set(accepted.then(|| handler.clone())),
                result: Set((!waiting).then(|| "已办结".to_string())),
                principal_instruction_kind: Set(None),
                principal_instruction: Set(None),
                principal_instructed_by: Set(None),
                principal_instructed_at: Set(None),
                reviewed_by: Set(None),
                reviewed_at: Set(None),
                review_opinion: Set(None),
                registered_by: Set(org.user("sunli")),
                distributed_at: Set(distributed.then_some(created)),
                accepted_at: Set(accepted.then_some(created)),
                completed_at: Set((!waiting).then_some(created)),
                archived_at: Set((!waiting).then_some(created)),
                created_at: Set(created),
                version: Set(1),
            });
            if distributed {
                asg.push(incoming_assignments::ActiveModel {
                    id: Set(uuid::Uuid::now_v7().to_string()),
                    unit_id: Set(org.unit_id.clone()),
                    document_id: Set(id),
                    section_id: Set(section),
                    role: Set("main".into()),
                    handler_id: Set((state != "distributed").then_some(handler.clone())),
                    assigned_by: Set(None),
                    assigned_on_behalf_of: Set(None),
                    assigned_at: Set(Some(created)),
                    accepted_by: Set(accepted.then_some(handler)),
                    accepted_on_behalf_of: Set(None),
                    accepted_at: Set(accepted.then_some(created)),
                    done_by: Set(None),
                    done_on_behalf_of: Set(None),
                    done_at: Set((!waiting).then_some(created)),
                    result: Set(None),
                    created_at: Set(created),
                    version: Set(1),
                });
            }
            if rows.len() == batch {
                incoming_documents::Entity::insert_many(std::mem::take(&mut rows))
                    .exec_without_returning(&tx)
                    .await?;
                incoming_assignments::Entity::insert_many(std::mem::take(&mut asg))
                    .exec_without_returning(&tx)
                    .await?;
            }
        }
        if !rows.is_empty() {
            incoming_documents::Entity::insert_many(rows).exec_without_returning(&tx).await?;
        }
        if !asg.is_empty() {
            incoming_assignments::Entity::insert_many(asg).exec_without_returning(&tx).await?;
        }
        tx.commit().await?;
        i = end;
        eprintln!("[bigdata] incoming {i}/{n_in} ({:.0} s)", t0.elapsed().as_secs_f64());
    }
    // Planner statistics, as an operator would have after a while (both engines).
    db.conn.execute_unprepared("ANALYZE").await?;
    db.conn.close().await?;
    Ok(Generated {
        units: orgs.iter().map(|o| o.unit_id.clone()).collect(),
        users: users_total,
        outgoing: n_out,
        incoming: n_in,
        in_processing,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// The query plans (SQLite `EXPLAIN QUERY PLAN`, PostgreSQL `EXPLAIN`) of the statements the
/// server runs for the lists — built by the server's own code for people of several roles —
/// and of the to-do providers' document queries.
pub async fn plans(database_url: &str, unit: &str) -> Result<String> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryTrait};
    let db = sea_orm::Database::connect(database_url).await?;
    let backend = db.get_database_backend();
    let pg = backend == sea_orm::DbBackend::Postgres;
    let now = Utc::now();
    let today = yishi_domain::time::local_date(now);
    let in_org = yishi::incoming::model::OrgSnapshot::load(&db, unit)
        .await
        .map_err(e)?;
    let out_org = yishi::outgoing::model::Org::load(&db, unit, today)
        .await
        .map_err(e)?;
    let mut ids = std::collections::BTreeMap::new();
    for u in users::Entity::find()
        .filter(users::Column::Username.is_in(["sunli", "zhoujie", "huangxin", "wangqiang"]))
        .all(&db)
        .await?
    {
        ids.insert(u.username, u.id);
    }
    let id = |name: &str| ids.get(name).cloned().unwrap_or_default();
    let mut qs: Vec<(String, sea_orm::Statement)> = Vec::new();
    for (who, name) in [
        ("clerk", "sunli"),
        ("section head", "zhoujie"),
        ("handler", "huangxin"),
    ] {
        let q = yishi::incoming::service::ListQuery::default();
        let sel = yishi::incoming::service::list_select(&in_org, unit, &[id(name)], &q, now)
            .map_err(e)?;
        qs.push((format!("incoming list, {who}"), sel.build(backend)));
    }
    for (who, name) in [
        ("deputy", "wangqiang"),
        ("section head", "zhoujie"),
        ("handler", "huangxin"),
    ] {
        let sel = yishi::outgoing::list_select(&out_org, &id(name), None, None, 201);
        qs.push((format!("outgoing list, {who}"), sel.build(backend)));
    }
    // The to-do providers' document queries (as outgoing::tasks and incoming::tasks build them), for a section head.
    let waiting = [
        "drafting",
        "returned",
        "section_review",
        "countersigning",
        "paused",
        "consolidating",
        "verifying",
        "signoff",
        "signed",
        "numbered",
    ];
    qs.push((
        "outgoing to-do, section head (waiting documents that may wait for them)".into(),
        outgoing_documents::Entity::find()
            .filter(outgoing_documents::Column::UnitId.eq(unit))
            .filter(outgoing_documents::Column::State.is_in(waiting))
            .filter(yishi::outgoing::model::may_wait_for(&out_org, &id("zhoujie")))
            .build(backend),
    ));
    let not_archived = ["registered", "distributed", "accepted", "in_progress", "instructed", "done"];
    qs.push((
        "incoming to-do, section head (open documents that may hold work for them)".into(),
        incoming_documents::Entity::find()
            .filter(incoming_documents::Column::UnitId.eq(unit))
            .filter(incoming_documents::Column::State.is_in(not_archived))
            .filter(yishi::incoming::model::may_have_work(&in_org, &[id("zhoujie")]))
            .build(backend),
    ));
    let mut out = String::new();
    for (label, st) in qs {
        let prefix = if pg {
            "EXPLAIN "
        } else {
            "EXPLAIN QUERY PLAN "
        };
        let explain = sea_orm::Statement {
            sql: format!("{prefix}{}", st.sql),
            values: st.values,
            db_backend: backend,
        };
        let rows = db.query_all_raw(explain).await?;
        let mut parts = Vec::new();
        for r in rows {
            let text = if pg {
                r.try_get::<String>("", "QUERY PLAN").unwrap_or_default()
            } else {
                r.try_get::<String>("", "detail").unwrap_or_default()
            };
            parts.push(text.trim().to_string());
        }
        out += &format!("- {label}: `{}`\n", parts.join(" / "));
    }
    db.close().await?;
    Ok(out)
}

pub struct Measured {
    pub label: String,
    /// Closed loop: every person sends the next request as soon as the answer arrived (the endpoint's capacity).
    pub capacity: Stats,
    /// Open loop at half the capacity, latencies from the intended send times (coordinated
    /// omission corrected): the answer time the target is about.
    pub stats: Stats,
}

/// Runs per measurement; the figures are their medians.
pub const RUNS: usize = 3;

/// Measures the to-do list and the document lists on a generated database: for each, the
/// capacity (closed loop), then the latency at half of it (paced, open loop); medians of [`RUNS`] runs.
pub async fn measure(base: &str, unit_suffixes: &[String], users: usize, seconds: u64) -> Result<Vec<Measured>> {
    // People whose to-do lists hold the in-processing documents: section heads, the office
    // director, the deputies, handlers; each user in a different unit.
    let mut sessions = Vec::new();
    let who = ["zhoujie", "zhaomin", "wangqiang", "huangxin", "wuhua", "lina", "sunli", "xuming"];
    for i in 0..users {
        let suffix = &unit_suffixes[i % unit_suffixes.len()];
        let name = format!("{}{suffix}", who[i % who.len()]);
        sessions.push(Session::sign_in(base, &name, seed::PASSWORD).await?);
    }
    let mut units = Vec::new();
    for s in &sessions {
        let me = s.get("/api/v1/me").await?;
        units.push(me["units"][0]["unit_id"].as_str().unwrap_or_default().to_string());
    }
    let sessions = Arc::new(sessions);
    let units = Arc::new(units);
    let mut out = Vec::new();
    for (label, path) in [
        ("GET /api/v1/me/tasks (to-do list)", "/api/v1/me/tasks".to_string()),
        ("GET /api/v1/units/{unit}/outgoing", "/api/v1/units/{unit}/outgoing".to_string()),
        ("GET /api/v1/units/{unit}/incoming", "/api/v1/units/{unit}/incoming".to_string()),
    ] {
        let op: Op = {
            let (s, u, p) = (sessions.clone(), units.clone(), path.clone());
            Arc::new(move |i, _| {
                let sess = s[i].clone();
                let path = p.replace("{unit}", &u[i]);
                async move { load::check(sess.http.get(sess.url(&path)).send().await).await }.boxed()
            })
        };
        // Medians of RUNS runs each: the machine is shared, and a single window can catch a neighbour's build.
        let duration = std::time::Duration::from_secs(seconds);
        let mut caps = Vec::new();
        for _ in 0..RUNS {
            let c = load::closed(&format!("{label} (capacity)"), sessions.len(), duration, None, op.clone()).await;
            eprintln!("  {}", c.line());
            caps.push(c);
        }
        let capacity = load::median(&caps);
        let rate = (capacity.throughput * 0.5).max(1.0);
        let mut paced = Vec::new();
        for _ in 0..RUNS {
            let p = load::paced(&format!("{label} (paced 50%)"), sessions.len(), rate, duration, None, op.clone()).await;
            eprintln!("  {}", p.line());
            paced.push(p);
        }
        let st = load::median(&paced);
        out.push(Measured {
            label: label.to_string(),
            capacity,
            stats: st,
        });
    }
    Ok(out)
}

/// The whole step: generate (or reuse `keep`), serve, measure, explain. With `pg_admin`
/// (a PostgreSQL admin URL) the database is `yishi_bigdata` on that server instead of SQLite
/// (recreated unless `keep` holds a matching generation; dropped at the end without `keep`).
pub async fn run(
    docs: usize,
    users: usize,
    units: usize,
    seconds: u64,
    keep: Option<std::path::PathBuf>,
    pg_admin: Option<&str>,
) -> Result<(Generated, Vec<Measured>, String)> {
    let dir = match &keep {
        Some(p) => {
            std::fs::create_dir_all(p)?;
            p.clone()
        }
        None => server::scratch("bigdata")?,
    };
    let (url, meta) = match pg_admin {
        None => (format!("sqlite://{}/big.db?mode=rwc", dir.display()), dir.join("generated.json")),
        Some(admin) => {
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or_else(|| admin.to_string());
            (format!("{base}/{PG_DATABASE}"), dir.join("generated-pg.json"))
        }
    };
    let reusable = std::fs::read(&meta)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .filter(|v| keep.is_some() && v["outgoing"].as_u64().unwrap_or(0) as usize + v["incoming"].as_u64().unwrap_or(0) as usize == docs);
    let reusable = match (reusable, pg_admin) {
        // The database must still be there.
        (Some(v), Some(_)) => sea_orm::Database::connect(&url).await.ok().map(|_| v),
        (v, _) => v,
    };
    let generated = match reusable {
        Some(v) => Generated {
            units: v["units"]
                .as_array()
                .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
            users: v["users"].as_u64().unwrap_or(0) as usize,
            outgoing: v["outgoing"].as_u64().unwrap_or(0) as usize,
            incoming: v["incoming"].as_u64().unwrap_or(0) as usize,
            in_processing: v["in_processing"].as_u64().unwrap_or(0) as usize,
            seconds: v["seconds"].as_f64().unwrap_or(0.0),
        },
        None => {
            match pg_admin {
                None => {
                    for f in ["big.db", "big.db-wal", "big.db-shm"] {
                        let _ = std::fs::remove_file(dir.join(f));
                    }
                }
                Some(admin) => recreate_pg(admin).await?,
            }
            let g = generate(&url, docs, users, units, 3).await?;
            std::fs::write(&meta, serde_json::to_vec(&g)?)?;
            g
        }
    };
    eprintln!(
        "[bigdata] {} outgoing + {} incoming documents ({} in processing), {} users, {} units; generated in {:.0} s",
        generated.outgoing,
        generated.incoming,
        generated.in_processing,
        generated.users,
        generated.units.len(),
        generated.seconds
    );
    let bin = server::yishi_bin()?;
    let proc = server::start_yishi(&bin, &url, &dir, None).await?;
    // After the server has started: its migrations are applied (new indexes on a kept database).
    let plans = plans(&url, generated.units.first().map(String::as_str).unwrap_or("")).await?;
    let suffixes: Vec<String> = (0..units.min(8))
        .map(|u| if u == 0 { String::new() } else { format!("-{u}") })
        .collect();
    let measured = measure(&proc.base, &suffixes, 8, seconds).await?;
    drop(proc);
    if keep.is_none() {
        if let Some(admin) = pg_admin {
            server::drop_pg(admin, &url).await;
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok((generated, measured, plans))
}

/// The PostgreSQL database of the large-database benchmark (a fixed name, so `--keep` can reuse it).
pub const PG_DATABASE: &str = "yishi_bigdata";

async fn recreate_pg(admin: &str) -> Result<()> {
    let conn = sea_orm::Database::connect(admin).await?;
    conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")).await?;
    conn.execute_unprepared(&format!("CREATE DATABASE {PG_DATABASE}")).await?;
    conn.close().await?;
    Ok(())
}
