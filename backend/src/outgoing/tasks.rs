//! To-do provider for outgoing documents: every step a document waits for, for whoever acts
//! on it today — the assignee, or their backup while they are absent (D11, `on_behalf_of`).
use super::model::{Doc, Org};
use crate::error::AppResult;
use crate::store::entities::{memberships, outgoing_documents as documents};
use crate::tasks::Task;
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::BTreeSet;
use yishi_domain::routing::outgoing::State;

/// States in which a document waits for someone.
const WAITING: &[State] = &[
    State::Drafting,
    State::Returned,
    State::SectionReview,
    State::Countersigning,
    State::Paused,
    State::Consolidating,
    State::Verifying,
    State::Signoff,
    State::Signed,
    State::Numbered,
];

pub async fn for_user(db: &impl ConnectionTrait, user_id: &str, today: NaiveDate) -> AppResult<Vec<Task>> {
    let units: Vec<String> = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.unit_id)
        .collect();
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for unit in units {
        let org = Org::load(db, &unit, today).await?;
        // Sorted here, not in SQL: with an ORDER BY the planner may walk the unit's whole archive
        // in creation order instead of reading the few waiting documents by (unit_id, state).
        let mut docs = documents::Entity::find()
            .filter(documents::Column::UnitId.eq(unit.clone()))
            .filter(documents::Column::State.is_in(WAITING.iter().map(|s| s.as_str())))
            // Only documents that may wait for the user (the exact test is `pending` below).
            .filter(super::model::may_wait_for(&org, user_id))
            .all(db)
            .await?;
        docs.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        for doc in Doc::from_models(db, docs).await? {
            for step in doc.pending(&org) {
                for a in &step.assignees {
                    let (acting, on_behalf) = org.acting_for(a);
                    if acting != user_id || !seen.insert((step.kind, doc.d.id.clone(), on_behalf.clone())) {
                        continue;
                    }
                    let on_behalf_of_name = match &on_behalf {
                        Some(o) => Some(crate::org::display_name(db, o).await?),
                        None => None,
                    };
                    out.push(Task {
                        kind: step.kind.to_string(),
                        object_type: super::model::OBJECT_TYPE.to_string(),
                        object_id: doc.d.id.clone(),
                        title: format!("{}：{}", step.label, doc.d.title),
                        unit_id: unit.clone(),
                        due_at: None,
                        overdue: false,
                        on_behalf_of: on_behalf,
                        on_behalf_of_name,
                    });
                }
            }
        }
    }
    Ok(out)
}
