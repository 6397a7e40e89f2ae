//! The incoming documents' part of `GET /api/v1/me/tasks`: every piece of pending work that
//! waits for the user — as themselves, or as the AB-post backup of an absent colleague
//! (D11, `on_behalf_of`) — with the document's deadline (`due_at`) and whether it has passed.
use super::model::{Loaded, OBJECT_TYPE, OrgSnapshot, items_for, may_have_work, names, work_items};
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::entities::{
    incoming_assignments as assignments, incoming_documents as documents, incoming_instructions as instructions,
    incoming_reminders as reminders, memberships,
};
use crate::tasks::Task;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::{BTreeMap, BTreeSet};
use yishi_domain::routing::incoming::State;
use yishi_domain::time::local_date;

pub async fn for_user(state: &AppState, user_id: &str) -> AppResult<Vec<Task>> {
    let db = &state.db.conn;
    let now = state.clock.now();
    let today = local_date(now);
    let mut out = Vec::new();
    for m in memberships::Entity::find().filter(memberships::Column::UserId.eq(user_id)).all(db).await? {
        let unit = m.unit_id;
        let org = OrgSnapshot::load(db, &unit).await?;
        let backing = crate::org::absent_principals_of_backup(db, &unit, user_id, today).await?;
        let identities: Vec<String> = std::iter::once(user_id.to_string()).chain(backing.iter().cloned()).collect();
        let docs = documents::Entity::find()
            .filter(documents::Column::UnitId.eq(unit.clone()))
            // Every state but archived, as an IN list: a range of the (unit_id, state, id) index
            // rather than a scan of the unit's archive.
            .filter(documents::Column::State.is_in(State::ALL.iter().filter(|s| **s != State::Archived).map(|s| s.as_str())))
            // Only documents that may hold work for the user (the exact test is `work_items` below).
            .filter(may_have_work(&org, &identities))
            .all(db)
            .await?;
        if docs.is_empty() {
            continue;
        }
        let ids: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
        let mut parts: BTreeMap<String, Vec<assignments::Model>> = BTreeMap::new();
        for a in assignments::Entity::find().filter(assignments::Column::DocumentId.is_in(ids.clone())).all(db).await? {
            parts.entry(a.document_id.clone()).or_default().push(a);
        }
        let mut read_by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for i in instructions::Entity::find()
            .filter(instructions::Column::DocumentId.is_in(ids.clone()))
            .filter(instructions::Column::Phase.eq("reading"))
            .all(db)
            .await?
        {
            read_by.entry(i.document_id.clone()).or_default().insert(i.on_behalf_of.unwrap_or(i.leader_id));
        }
        let mut rems: BTreeMap<String, Vec<reminders::Model>> = BTreeMap::new();
        for r in reminders::Entity::find().filter(reminders::Column::DocumentId.is_in(ids)).all(db).await? {
            rems.entry(r.document_id.clone()).or_default().push(r);
        }
        let empty_set = BTreeSet::new();
        let mut unit_tasks: Vec<(Task, Option<String>)> = Vec::new();
        for d in docs {
            let mut assignments = parts.remove(&d.id).unwrap_or_default();
            assignments.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            let doc_rem = rems.remove(&d.id).unwrap_or_default();
            let l = Loaded { doc: d, assignments };
            let items = work_items(&org, &l, read_by.get(&l.doc.id).unwrap_or(&empty_set), &doc_rem);
            let open = l.state().map(|s| s.is_open()).unwrap_or(false);
            for (it, on_behalf_of) in items_for(&items, user_id, &backing) {
                unit_tasks.push((
                    Task {
                        kind: it.kind.to_string(),
                        object_type: OBJECT_TYPE.to_string(),
                        object_id: l.doc.id.clone(),
                        title: it.title.clone(),
                        unit_id: unit.clone(),
                        due_at: open.then_some(l.doc.due_at),
                        overdue: open && now >= l.doc.due_at,
                        on_behalf_of: on_behalf_of.clone(),
                        on_behalf_of_name: None,
                    },
                    on_behalf_of,
                ));
            }
        }
        let n = names(db, unit_tasks.iter().filter_map(|(_, o)| o.clone())).await?;
        for (mut t, on) in unit_tasks {
            t.on_behalf_of_name = on.and_then(|u| n.get(&u).cloned());
            out.push(t);
        }
    }
    Ok(out)
}
