//! One call records a state change twice, in the caller's transaction: on the object's
//! trail (shown on the proposal or document) and in the audit chain (R19).
use crate::audit::{self, Actor, NewEntry};
use crate::error::AppResult;
use crate::store::entities::trail;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use serde_json::{Value, json};

pub struct Change<'a> {
    pub unit_id: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    /// e.g. "proposal.submit"
    pub action: &'a str,
    pub from_state: Option<&'a str>,
    pub to_state: Option<&'a str>,
    pub note: Option<&'a str>,
    /// Extra facts for the audit entry (before/after snapshots beyond the state).
    pub before: Value,
    pub after: Value,
    pub permanent: bool,
}

impl<'a> Change<'a> {
    pub fn new(unit_id: &'a str, object_type: &'a str, object_id: &'a str, action: &'a str) -> Self {
        Change {
            unit_id,
            object_type,
            object_id,
            action,
            from_state: None,
            to_state: None,
            note: None,
            before: Value::Null,
            after: Value::Null,
            permanent: false,
        }
    }
    pub fn states(mut self, from: Option<&'a str>, to: Option<&'a str>) -> Self {
        self.from_state = from;
        self.to_state = to;
        self
    }
    pub fn note(mut self, note: Option<&'a str>) -> Self {
        self.note = note;
        self
    }
    pub fn snapshots(mut self, before: Value, after: Value) -> Self {
        self.before = before;
        self.after = after;
        self
    }
    pub fn permanent(mut self) -> Self {
        self.permanent = true;
        self
    }
}

/// Writes the trail row (when it is a state change or carries a note) and the audit entry.
pub async fn record(tx: &impl ConnectionTrait, at: DateTime<Utc>, actor: &Actor, c: Change<'_>) -> AppResult<()> {
    let row = trail::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        unit_id: Set(c.unit_id.to_string()),
        object_type: Set(c.object_type.to_string()),
        object_id: Set(c.object_id.to_string()),
        actor_id: Set(actor.user_id.clone()),
        on_behalf_of: Set(actor.on_behalf_of.clone()),
        action: Set(c.action.to_string()),
        from_state: Set(c.from_state.map(str::to_string)),
        to_state: Set(c.to_state.map(str::to_string)),
        note: Set(c.note.map(str::to_string)),
        at: Set(at),
    };
    trail::Entity::insert(row).exec_without_returning(tx).await?;
    let mut before = c.before;
    let mut after = c.after;
    if let Some(f) = c.from_state {
        before = merge_state(before, f);
    }
    if let Some(t) = c.to_state {
        after = merge_state(after, t);
    }
    if let Some(n) = c.note {
        after = match after {
            Value::Object(mut m) => {
                m.insert("note".into(), json!(n));
                Value::Object(m)
            }
            Value::Null => json!({ "note": n }),
            other => json!({ "value": other, "note": n }),
        };
    }
    audit::append(
        tx,
        at,
        actor,
        NewEntry {
            unit_id: Some(c.unit_id.to_string()),
            action: c.action.to_string(),
            object_type: c.object_type.to_string(),
            object_id: Some(c.object_id.to_string()),
            before,
            after,
            permanent: c.permanent,
        },
    )
    .await?;
    Ok(())
}

fn merge_state(v: Value, state: &str) -> Value {
    match v {
        Value::Object(mut m) => {
            m.insert("state".into(), json!(state));
            Value::Object(m)
        }
        Value::Null => json!({ "state": state }),
        other => json!({ "value": other, "state": state }),
    }
}

/// Audits a read of restricted content (R07, R11, R19) — an entry without a trail row.
pub async fn record_read(
    tx: &impl ConnectionTrait,
    at: DateTime<Utc>,
    actor: &Actor,
    unit_id: &str,
    object_type: &str,
    object_id: &str,
    action: &str,
) -> AppResult<()> {
    audit::append(
        tx,
        at,
        actor,
        NewEntry {
            unit_id: Some(unit_id.to_string()),
            action: action.to_string(),
            object_type: object_type.to_string(),
            object_id: Some(object_id.to_string()),
            before: Value::Null,
            after: Value::Null,
            permanent: false,
        },
    )
    .await?;
    Ok(())
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct TrailEntry {
    pub at: DateTime<Utc>,
    pub actor_id: Option<String>,
    pub on_behalf_of: Option<String>,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub note: Option<String>,
}

/// An object's trail, oldest first.
pub async fn of(db: &impl ConnectionTrait, object_type: &str, object_id: &str) -> AppResult<Vec<TrailEntry>> {
    Ok(trail::Entity::find()
        .filter(trail::Column::ObjectType.eq(object_type))
        .filter(trail::Column::ObjectId.eq(object_id))
        .order_by_asc(trail::Column::At)
        .order_by_asc(trail::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|t| TrailEntry {
            at: t.at,
            actor_id: t.actor_id,
            on_behalf_of: t.on_behalf_of,
            action: t.action,
            from_state: t.from_state,
            to_state: t.to_state,
            note: t.note,
        })
        .collect())
}
