//! Authorization decisions per second of the enforcer alone (`yishi::authz::Authz::allowed`),
//! with the real default policy and the demo unit plus `extra_users` members, over a mix of
//! (user, unit, object, action) requests drawn from the policy itself (allowed and denied).
use anyhow::Result;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct AuthzResult {
    pub policies: usize,
    pub users: usize,
    pub distinct_requests: usize,
    /// One thread.
    pub decisions_per_s_1: f64,
    /// As many threads as cores.
    pub decisions_per_s_n: f64,
    pub threads: usize,
    /// Share of allowed decisions in the mix (sanity: both outcomes are exercised).
    pub allowed_share: f64,
    /// First decision of each distinct request (cold cache), per second.
    pub cold_decisions_per_s: f64,
}

pub async fn bench(dir: &std::path::Path, extra_users: usize, duration: Duration) -> Result<AuthzResult> {
    let url = format!("sqlite://{}/authz.db?mode=rwc", dir.display());
    let seeded = crate::seed::seed(&url, &[("member", extra_users, None)]).await?;
    let db = yishi::db::Db::connect(&url).await?;
    let authz = yishi::authz::Authz::load(&db.conn).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let rules = yishi::authz::default_rules();
    let mut user_ids: Vec<String> = seeded.org.users.values().cloned().collect();
    // The extra accounts' ids, from the database.
    {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        use yishi::store::entities::users;
        for u in users::Entity::find()
            .filter(users::Column::Username.starts_with("bench_"))
            .all(&db.conn)
            .await?
        {
            user_ids.push(u.id);
        }
    }
    let unit = seeded.unit().to_string();
    // (obj, act) pairs of the policy, plus a few that no rule grants.
    let mut pairs: Vec<(String, String, String)> = rules.iter().map(|r| (r[1].clone(), r[2].clone(), r[3].clone())).collect();
    pairs.push(("*".into(), "proposal".into(), "delete".into()));
    pairs.push(("*".into(), "audit".into(), "purge".into()));
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let n_req = 4096;
    let reqs: Vec<(String, String, String, String)> = (0..n_req)
        .map(|_| {
            let (dom, obj, act) = pairs[rng.gen_range(0..pairs.len())].clone();
            let sub = user_ids[rng.gen_range(0..user_ids.len())].clone();
            let dom = match dom.as_str() {
                "*" => unit.clone(),
                "self" => dom,
                "system" => dom,
                _ => unit.clone(),
            };
            let sub = if dom == "self" { "authenticated".to_string() } else { sub };
            (sub, dom, obj, act)
        })
        .collect();
    let mut distinct = reqs.clone();
    distinct.sort();
    distinct.dedup();

    // Cold: every distinct request once, right after loading.
    let fresh = yishi::authz::Authz::load(&db.conn).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let t = Instant::now();
    for (s, d, o, a) in &distinct {
        std::hint::black_box(fresh.allowed(s, d, o, a));
    }
    let cold = distinct.len() as f64 / t.elapsed().as_secs_f64();

    let allowed = reqs.iter().filter(|(s, d, o, a)| authz.allowed(s, d, o, a)).count();
    let reqs = Arc::new(reqs);
    let run = |threads: usize| {
        let mut hs = Vec::new();
        let start = Instant::now();
        for t in 0..threads {
            let authz = authz.clone();
            let reqs = reqs.clone();
            hs.push(std::thread::spawn(move || {
                let mut n = 0u64;
                let mut i = t * 997;
                while start.elapsed() < duration {
                    for _ in 0..1000 {
                        let (s, d, o, a) = &reqs[i % reqs.len()];
                        std::hint::black_box(authz.allowed(s, d, o, a));
                        i += 1;
                    }
                    n += 1000;
                }
                n
            }));
        }
        let total: u64 = hs.into_iter().map(|h| h.join().unwrap_or(0)).sum();
        total as f64 / start.elapsed().as_secs_f64()
    };
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let one = run(1);
    let many = run(threads);
    Ok(AuthzResult {
        policies: rules.len(),
        users: user_ids.len(),
        distinct_requests: distinct.len(),
        decisions_per_s_1: one,
        decisions_per_s_n: many,
        threads,
        allowed_share: allowed as f64 / n_req as f64,
        cold_decisions_per_s: cold,
    })
}
