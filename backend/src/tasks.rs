//! The to-do list (`GET /api/v1/me/tasks`): what waits for the caller, across both flows,
//! including what reaches them as someone's AB-post backup (D11). Each flow contributes
//! its own tasks; this module only merges and orders them.
use crate::error::AppResult;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use serde::Serialize;

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
