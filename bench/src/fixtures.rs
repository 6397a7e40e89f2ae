//! Data the read scenario (Q) needs beyond the seeded unit, made through the API: proposals
//! on a noticed meeting (so the members are participants and may open them, R07), and the
//! demo's published minutes (seeded with `seed::seed_with_flows`) for the open publications.
use crate::client::Session;
use crate::seed::{self, Seeded};
use anyhow::{Result, anyhow};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;

pub type PathOf = Arc<dyn Fn(usize, u64) -> String + Send + Sync>;

/// Proposals put on the noticed meeting for the proposal-detail reads.
const PROPOSALS: usize = 10;

/// Extra read endpoints (label, path per user and request) for scenario Q: open publications
/// (list and one publication) and proposal detail.
pub async fn reads(base: &str, seeded: &Seeded, _routes: &BTreeSet<String>) -> Result<Vec<(String, PathOf)>> {
    let unit = seeded.unit().to_string();
    let member = seeded
        .extra
        .get("member")
        .and_then(|m| m.first())
        .ok_or_else(|| anyhow!("scenario Q needs extra members"))?;
    let reader = Session::sign_in(base, member, seed::PASSWORD).await?;
    let mut out: Vec<(String, PathOf)> = Vec::new();

    let list = format!("/api/v1/units/{unit}/publications?open=true");
    let open = reader.get(&list).await?;
    let first = open
        .as_array()
        .or_else(|| open["items"].as_array())
        .and_then(|a| a.first())
        .and_then(|p| p["id"].as_str())
        .map(str::to_string);
    out.push(("GET /api/v1/units/{unit}/publications?open=true".into(), Arc::new(move |_, _| list.clone())));
    match first {
        Some(id) => {
            let path = format!("/api/v1/publications/{id}");
            out.push(("GET /api/v1/publications/{id}".into(), Arc::new(move |_, _| path.clone())));
        }
        None => eprintln!("[q] no open publication in the seeded data: publication detail not measured"),
    }

    let ids = crate::ballots::ready_proposals(base, &unit, PROPOSALS, 4).await?;
    let clerk = Session::sign_in(base, "sunli", seed::PASSWORD).await?;
    let starts_at = (chrono::Utc::now() + chrono::Duration::days(14)).to_rfc3339();
    let m = clerk
        .post(
            &format!("/api/v1/units/{unit}/meetings"),
            &json!({"type": "party_group", "title": "读取压测党组会议", "starts_at": starts_at, "location": "三楼会议室", "agenda": ids, "attendees": []}),
        )
        .await?;
    let mid = m["id"].as_str().ok_or_else(|| anyhow!("no meeting id in {m}"))?.to_string();
    clerk.post(&format!("/api/v1/meetings/{mid}/notice"), &json!({})).await?;
    // The member may open them now (invited from the notice on).
    reader.get(&format!("/api/v1/proposals/{}", ids[0])).await?;
    out.push((
        "GET /api/v1/proposals/{id}".into(),
        Arc::new(move |user, n| format!("/api/v1/proposals/{}", ids[(user + n as usize) % ids.len()])),
    ));
    Ok(out)
}
