//! Supervision reminders (督办, D02). An incoming document not done by the end of its
//! deadline day (Asia/Shanghai) is overdue, and reminders escalate:
//!
//! | level | to | when |
//! | --- | --- | --- |
//! | 1 | the main handler (before assignment: the main section's head; before distribution: the office director) | the deadline day has ended |
//! | 2 | the head of the main section (before distribution: the office director) | one more working day (unit calendar) has ended |
//! | 3 | the office (the office director; a clerk if there is none) | two more working days have ended |
//!
//! Why these steps: a one-working-day grace per level gives the person reminded a full
//! working day to act before the next person up is told, and weekends and holidays do not
//! escalate anything by themselves (D02 "working days, unit calendar").
//!
//! An addressee who is absent has the reminder delivered to their AB-post backup (D11); both
//! are recorded. Each reminder is written with its trail row and audit entry in one
//! transaction, by a conditional insert on the unique key (document, level): however many
//! runners call [`due_reminders`] at once, on however many instances, each level is recorded
//! exactly once (R46). The job runner calls [`due_reminders`] periodically.
use super::model::{Loaded, OBJECT_TYPE, OrgSnapshot};
use crate::audit::Actor;
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::entities::{incoming_documents as documents, incoming_reminders as reminders};
use crate::trail::{self, Change};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use yishi_domain::calendar::WorkCalendar;
use yishi_domain::roles::Role;
use yishi_domain::routing::incoming::{self as rules, ReminderLevel, State};
use yishi_domain::time::local_date;

/// Records every supervision reminder that is due and not yet recorded; returns how many this
/// call recorded. Safe to call concurrently and repeatedly.
pub async fn due_reminders(state: &AppState) -> AppResult<usize> {
    let now = state.clock.now();
    let db = &state.db.conn;
    let open: Vec<&str> = State::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect();
    let docs = documents::Entity::find()
        .filter(documents::Column::State.is_in(open))
        .filter(documents::Column::DueAt.lte(now))
        .all(db)
        .await?;
    let mut calendars: BTreeMap<String, WorkCalendar> = BTreeMap::new();
    let mut created = 0;
    for doc in docs {
        let Ok(deadline) = NaiveDate::parse_from_str(&doc.deadline, "%Y-%m-%d") else { continue };
        if !calendars.contains_key(&doc.unit_id) {
            calendars.insert(doc.unit_id.clone(), crate::org::calendar(db, &doc.unit_id).await?);
        }
        let Some(cal) = calendars.get(&doc.unit_id) else { continue };
        let existing: BTreeSet<i32> = reminders::Entity::find()
            .filter(reminders::Column::DocumentId.eq(doc.id.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|r| r.level)
            .collect();
        for level in rules::due_levels(cal, deadline, now) {
            if existing.contains(&level.number()) {
                continue;
            }
            let due_at = rules::reminder_due_at(cal, deadline, level);
            if record_reminder(state, &doc.id, level, due_at, now).await? {
                created += 1;
            }
        }
    }
    Ok(created)
}

/// The person a reminder level addresses (before D11 routing).
fn addressee(org: &OrgSnapshot, l: &Loaded, level: ReminderLevel) -> Option<String> {
    let main_head = || l.doc.main_section_id.as_ref().and_then(|s| org.heads_of(s).into_iter().next());
    let office = || org.holders(Role::OfficeDirector).into_iter().next().or_else(|| org.holders(Role::Clerk).into_iter().next());
    match level {
        ReminderLevel::Handler => l.main().and_then(|a| a.handler_id.clone()).or_else(main_head).or_else(office),
        ReminderLevel::SectionHead => main_head().or_else(office),
        ReminderLevel::Office => office(),
    }
}

/// One reminder, in its own transaction: the conditional insert decides whether this caller
/// is the one that records it; only then are the trail row and audit entry written.
async fn record_reminder(state: &AppState, doc_id: &str, level: ReminderLevel, due_at: DateTime<Utc>, now: DateTime<Utc>) -> AppResult<bool> {
    let tx = state.db.begin_write().await?;
    let l = Loaded::load(&*tx, doc_id).await?;
    // Completed meanwhile: nothing to remind about.
    if !l.state()?.is_open() {
        return Ok(false);
    }
    let unit = l.doc.unit_id.clone();
    let org = OrgSnapshot::load(&*tx, &unit).await?;
    let assignee = addressee(&org, &l, level);
    let (recipient, on_behalf_of) = match &assignee {
        Some(a) => {
            let (r, on) = crate::org::acting_for(&*tx, &unit, a, local_date(now)).await?;
            (Some(r), on)
        }
        None => (None, None),
    };
    let inserted = reminders::Entity::insert(reminders::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        unit_id: Set(unit.clone()),
        document_id: Set(doc_id.to_string()),
        level: Set(level.number()),
        level_name: Set(level.as_str().into()),
        assignee_id: Set(assignee.clone()),
        recipient_id: Set(recipient.clone()),
        on_behalf_of: Set(on_behalf_of.clone()),
        due_at: Set(due_at),
        sent_at: Set(now),
    })
    .on_conflict(OnConflict::columns([reminders::Column::DocumentId, reminders::Column::Level]).do_nothing().to_owned())
    .exec_without_returning(&*tx)
    .await?;
    if inserted != 1 {
        // Another runner recorded this level first; dropping the transaction writes nothing.
        return Ok(false);
    }
    let names = super::model::names(&*tx, [assignee.clone(), recipient.clone()].into_iter().flatten()).await?;
    let who = |u: &Option<String>| u.as_ref().and_then(|u| names.get(u).cloned()).unwrap_or_else(|| "（无人）".into());
    let to = match &on_behalf_of {
        Some(_) => format!("{}（{}外出，AB岗代收）", who(&recipient), who(&assignee)),
        None => who(&recipient),
    };
    let note = format!(
        "督办（第{}级·{}）：《{}》已超过办理时限 {}，提醒 {}",
        level.number(),
        level.label(),
        l.doc.title,
        l.doc.deadline,
        to
    );
    trail::record(
        &*tx,
        now,
        &Actor::system(),
        Change::new(&unit, OBJECT_TYPE, doc_id, "incoming.remind").note(Some(&note)).snapshots(
            serde_json::Value::Null,
            json!({"level": level.number(), "level_name": level.as_str(), "assignee_id": assignee,
                   "recipient_id": recipient, "on_behalf_of": on_behalf_of, "due_at": due_at, "deadline": l.doc.deadline}),
        ),
    )
    .await?;
    tx.commit().await?;
    let mut to_notify: Vec<String> = recipient.iter().cloned().collect();
    to_notify.extend(assignee.iter().cloned());
    state.events.publish(
        to_notify,
        "task",
        json!({"object_type": OBJECT_TYPE, "object_id": doc_id, "reminder_level": level.number()}),
    );
    Ok(true)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn levels_are_numbered_in_escalation_order() {
        let n: Vec<i32> = ReminderLevel::ALL.iter().map(ReminderLevel::number).collect();
        assert_eq!(n, [1, 2, 3]);
    }
}
