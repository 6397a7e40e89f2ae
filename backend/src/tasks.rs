//! The to-do list (`GET /api/v1/me/tasks`): what waits for the caller, across both flows,
//! including what reaches them as someone's AB-post backup (D11). Each flow contributes
//! its own tasks; this module only merges and orders them.
use crate::error::AppResult;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Task {
    pub kind: String,
    pub object_type: String,
    pub object_id: String,
    pub title: String,
    pub unit_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    /// Set when the task is the caller's as backup of this user (D11).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_behalf_of_name: Option<String>,
}

/// The last to-do list of each person, with the audit chain's head and the time it was
/// computed. A hit needs one statement (the head) instead of the five providers' dozens:
/// every committed change — on any instance, since the head is in the database — appends to
/// the chain in its own transaction, so an unchanged head means nothing the list is made of
/// has changed. The entry also expires after [`FRESH_SECS`] of (the server's) time, because
/// "overdue" follows the clock, not the data.
#[derive(Clone)]
pub struct TaskCache(crate::readcache::HeadKeyed<Arc<Vec<Task>>>);

pub const FRESH_SECS: i64 = 15;
/// Beyond this many people the cache starts over (a bound on memory, not an LRU).
const MAX_ENTRIES: usize = 20_000;

impl Default for TaskCache {
    fn default() -> Self {
        TaskCache(crate::readcache::HeadKeyed::new(chrono::Duration::seconds(FRESH_SECS), MAX_ENTRIES))
    }
}

/// The caller's to-do list, from [`TaskCache`] when nothing changed since it was computed.
/// A list computed anew is some dozens of statements: it waits for a large-answer permit
/// (one per core) and allocates its work only then (`memory::with_large_answer_permit`).
pub async fn for_user_cached(state: &AppState, user_id: &str) -> AppResult<Arc<Vec<Task>>> {
    state
        .tasks
        .0
        .get_or_compute(state, user_id, || crate::memory::with_large_answer_permit(|| async { Ok(Arc::new(for_user(state, user_id).await?)) }))
        .await
}

pub async fn for_user(state: &AppState, user_id: &str) -> AppResult<Vec<Task>> {
    // Flow providers add themselves here (deliberation, routing, oversight). They only read,
    // each on its own pooled connection, so they run at once: the list answers in the time
    // of the slowest provider, not of all five in a row.
    let today = yishi_domain::time::local_date(state.clock.now());
    let (oversight, deliberation, incoming, minutes, outgoing) = tokio::try_join!(
        crate::oversight::tasks_for(state, user_id),
        crate::deliberation::tasks::for_user(state, user_id),
        crate::incoming::tasks::for_user(state, user_id),
        crate::minutes::tasks::for_user(state, user_id),
        crate::outgoing::tasks::for_user(&state.db.conn, user_id, today),
    )?;
    let mut items: Vec<Task> = Vec::new();
    items.extend(oversight);
    items.extend(deliberation);
    items.extend(incoming);
    items.extend(minutes);
    items.extend(outgoing);
    items.sort_by(|a, b| {
        b.overdue
            .cmp(&a.overdue)
            .then_with(|| match (a.due_at, b.due_at) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
    });
    Ok(items)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn task() -> Task {
        Task {
            kind: "k".into(),
            object_type: "o".into(),
            object_id: "1".into(),
            title: "t".into(),
            unit_id: "u".into(),
            due_at: None,
            overdue: false,
            on_behalf_of: None,
            on_behalf_of_name: None,
        }
    }

    #[test]
    fn cached_list_is_served_only_for_the_same_audit_head_and_for_at_most_fifteen_seconds() {
        let c = TaskCache::default();
        let t0 = DateTime::parse_from_rfc3339("2026-12-04T08:00:00Z").unwrap().with_timezone(&Utc);
        c.0.put("a", 7, t0, Arc::new(vec![task()]));
        // Each entry lives 11.25 to 15 seconds (`fresh::lifetime`).
        assert!(c.0.get("a", 7, t0 + chrono::Duration::seconds(11)).is_some());
        // Something changed (any committed change appends to the audit chain).
        assert!(c.0.get("a", 8, t0).is_none());
        // Time moved on ("overdue" follows the clock), or back (a test clock).
        assert!(c.0.get("a", 7, t0 + chrono::Duration::seconds(FRESH_SECS)).is_none());
        assert!(c.0.get("a", 7, t0 - chrono::Duration::seconds(1)).is_none());
        // Another person's list is never served.
        assert!(c.0.get("b", 7, t0).is_none());
    }
}
