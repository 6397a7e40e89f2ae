//! Scenarios against a real `yishi` process: Q (reads), B (ballots), R (routing).
//! Each scenario checks the server's route list first (`/api/openapi.json`) and runs
//! only what exists, so the harness works while the flows are being built.
use crate::client::Session;
use crate::load::{self, Op, Stats};
use anyhow::{Result, bail};
use futures::FutureExt;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// The (METHOD path-template) pairs the server serves.
pub async fn routes(base: &str) -> Result<BTreeSet<String>> {
    let doc: Value = reqwest::get(format!("{base}/api/openapi.json")).await?.json().await?;
    let mut out = BTreeSet::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (p, ops) in paths {
            if let Some(ops) = ops.as_object() {
                for m in ops.keys() {
                    out.insert(format!("{} {p}", m.to_uppercase()));
                }
            }
        }
    }
    Ok(out)
}

pub fn has(routes: &BTreeSet<String>, method: &str, path: &str) -> bool {
    routes.contains(&format!("{method} {path}"))
}

/// Signs `names` in concurrently; returns the sessions and the sign-in stats.
pub async fn sign_in_all(base: &str, names: &[String], password: &str) -> Result<(Vec<Session>, Stats)> {
    let names = Arc::new(names.to_vec());
    let slots: Arc<Vec<tokio::sync::OnceCell<Session>>> = Arc::new((0..names.len()).map(|_| tokio::sync::OnceCell::new()).collect());
    let base = base.to_string();
    let password = password.to_string();
    let (n2, s2) = (names.clone(), slots.clone());
    let op: Op = Arc::new(move |u, _| {
        let (names, slots, base, password) = (n2.clone(), s2.clone(), base.clone(), password.clone());
        async move {
            let s = Session::sign_in(&base, &names[u], &password)
                .await
                .map_err(|e| format!("sign-in: {e}"))?;
            let _ = slots[u].set(s);
            Ok(())
        }
        .boxed()
    });
    let stats = load::closed("sign-in (argon2id)", names.len(), Duration::from_secs(120), Some(1), op).await;
    let mut out = Vec::new();
    for (i, s) in slots.iter().enumerate() {
        match s.get() {
            Some(s) => out.push(s.clone()),
            None => bail!("{} could not sign in: {:?}", names[i], stats.error_kinds),
        }
    }
    Ok((out, stats))
}

/// One read endpoint, closed loop (capacity) then paced at `paced_share` of it (latency).
pub async fn read_endpoint(
    pid: u32,
    label: &str,
    sessions: &[Session],
    path_of: Arc<dyn Fn(usize, u64) -> String + Send + Sync>,
    duration: Duration,
) -> (Stats, Stats) {
    let sessions = Arc::new(sessions.to_vec());
    let users = sessions.len();
    let op: Op = {
        let sessions = sessions.clone();
        Arc::new(move |u, k| {
            let s = sessions[u].clone();
            let path = path_of(u, k);
            async move { load::check(s.http.get(s.url(&path)).send().await).await }.boxed()
        })
    };
    load::closed("warm-up", users, Duration::from_millis(500), None, op.clone()).await;
    let cap = load::with_cpu(pid, load::closed(&format!("{label} (capacity)"), users, duration, None, op.clone())).await;
    let rate = (cap.throughput * 0.8).max(1.0);
    let lat = load::with_cpu(pid, load::paced(&format!("{label} (paced 80%)"), users, rate, duration, None, op)).await;
    (cap, lat)
}
